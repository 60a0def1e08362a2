"""Sweeps on a Dask cluster (the optional extra ``rmtcheck[dask]``): a LocalCluster on loopback gives the
same results as computing inline."""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import _sweep_helpers as H

from rmtcheck.sweep import close_executor, executor_from, run_sweep


def _cluster(processes, n_workers):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                                    protocol="tcp://", host="127.0.0.1", dashboard_address=None)


def test_threaded_local_cluster_matches_inline(tmp_path):
    cells = [{"i": i} for i in range(10)]
    inline = run_sweep("dask", H.logged_cell, cells, seed=4, jobs=1)
    with _cluster(False, 2) as cluster:
        ex = executor_from(scheduler=cluster.scheduler_address)
        try:
            info = {}
            got = run_sweep("dask", H.logged_cell, cells, seed=4, executor=ex, store=tmp_path / "d.sqlite", stats=info)
        finally:
            close_executor(ex)
    assert got == inline and info["computed"] == 10
    again = run_sweep("dask", H.logged_cell, cells, seed=4, jobs=1, store=tmp_path / "d.sqlite", stats=info)
    assert again == inline and info["computed"] == 0  # the Dask run's cells are in the store


def test_process_local_cluster_runs_a_package_grid():
    from rmtcheck.studies.chang_khanna.experiments import alignment_curve

    kw = dict(thetas=np.linspace(0, np.pi / 2, 4), runs=16, steps=60, seed=2)
    inline = alignment_curve(**kw)
    with _cluster(True, 1) as cluster, distributed.Client(cluster) as client:
        got = alignment_curve(**kw, executor=client.get_executor(pure=False))
    for k in inline:
        np.testing.assert_array_equal(np.asarray(inline[k]), np.asarray(got[k]), err_msg=k)


def test_unreachable_scheduler_is_a_value_error():
    with pytest.raises(ValueError, match="cannot connect to the Dask scheduler"):
        executor_from(scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)
    with pytest.raises(ValueError, match="scheduler"):
        executor_from(scheduler="  ")
