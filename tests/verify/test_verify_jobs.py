"""`rmtcheck verify --jobs`: forked workers, rows sharing an affinity in one worker, same verdicts as one job."""

from __future__ import annotations

import os

import pytest

from rmtcheck.cli import main
from rmtcheck.verify import Outcome, Statement, run_all
from rmtcheck.verify import _parallel as P
from rmtcheck.verify.statement import _REGISTRY

pytestmark = pytest.mark.skipif(not P.can_fork(), reason="verify --jobs forks its workers")


def _pid_check(inst, rng):
    """The row's tightness is the id of the process that checked it; violated on odd draws (a verdict to compare)."""
    return Outcome(violated=inst["x"] > 0.5, tightness=float(os.getpid()))


def _shared(inst, rng):
    return _pid_check(inst, rng)


_shared.affinity = "cache"


@pytest.fixture
def rows(monkeypatch):
    made = {}
    for k in range(6):
        sid = f"zzjobs.row{k}"
        check = _shared if k in (1, 4) else (lambda inst, rng: _pid_check(inst, rng))
        made[sid] = Statement(id=sid, source="s", text="t", notion="mean-square", sampling="none", regime="r",
                              method="exact", sample=lambda rng: {"x": float(rng.random())}, check=check,
                              default_instances=3)
    monkeypatch.setattr("rmtcheck.verify.runner.registry", lambda: {**_REGISTRY, **made})
    return list(made.values())


def test_units_keep_an_affinity_together_and_hand_it_out_first(rows):
    assert P.units(rows) == [["zzjobs.row1", "zzjobs.row4"], ["zzjobs.row0"], ["zzjobs.row2"], ["zzjobs.row3"],
                             ["zzjobs.row5"]]


def test_units_without_affinity_go_by_declared_cost_then_registry_order(rows):
    def dear(inst, rng):
        return _pid_check(inst, rng)

    def dearer(inst, rng):
        return _pid_check(inst, rng)

    dear.cost, dearer.cost = 0.5, 3.0
    rows[3].check, rows[5].check = dear, dearer
    assert P.units(rows) == [["zzjobs.row1", "zzjobs.row4"], ["zzjobs.row5"], ["zzjobs.row3"], ["zzjobs.row0"],
                             ["zzjobs.row2"]]


def test_two_jobs_give_the_same_verdicts_in_registry_order_from_other_processes(rows):
    one = run_all(["zzjobs"], seed=3, jobs=1)
    two = run_all(["zzjobs"], seed=3, jobs=2)
    assert [r.id for r in two] == [s.id for s in rows]
    assert [(r.verdict, r.violations, r.instances) for r in two] == [(r.verdict, r.violations, r.instances) for r in one]
    assert {r.tightness_median for r in one} == {float(os.getpid())}
    pids = {r.id: r.tightness_median for r in two}
    assert os.getpid() not in {int(p) for p in pids.values()}
    assert pids["zzjobs.row1"] == pids["zzjobs.row4"]  # one worker computed the shared cache's rows
    assert all(r.tightness_min == r.tightness_max for r in two)  # every instance of a row in one worker


def test_cli_jobs_flag(rows, capsys):
    assert main(["verify", "--only", "zzjobs", "--jobs", "2", "-q"]) == 1  # claimed rows violated: exit 1
    assert "zzjobs.row5" in capsys.readouterr().out
    assert main(["verify", "--only", "zzjobs", "--jobs", "0"]) == 2
    assert "--jobs 0: use a number of worker processes >= 1" in capsys.readouterr().err


def _threads_check(inst, rng):
    """The row's tightness encodes the worker's threads: 10 * BLAS threads + torch's intra-op threads."""
    import torch
    from threadpoolctl import threadpool_info

    blas = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
    return Outcome(violated=False, tightness=10.0 * blas + torch.get_num_threads())


def test_workers_run_blas_and_torch_on_one_thread(monkeypatch):
    """Even when this process used torch's thread pool before forking (its threads do not survive a fork)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    float((torch.ones(300, 300) @ torch.ones(300, 300)).sum())  # the parent's pool is up
    made = {f"zzthreads.row{k}": Statement(id=f"zzthreads.row{k}", source="s", text="t", notion="mean-square",
                                           sampling="none", regime="r", method="exact", sample=lambda rng: {},
                                           check=_threads_check, default_instances=1) for k in range(2)}
    monkeypatch.setattr("rmtcheck.verify.runner.registry", lambda: {**_REGISTRY, **made})
    assert [r.tightness_median for r in run_all(["zzthreads"], jobs=2)] == [11.0, 11.0]
