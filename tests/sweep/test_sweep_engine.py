"""The sweep engine: seeds, results store, code versions, worker-count independence, bad input."""

import concurrent.futures as cf
import importlib
import json
import sqlite3
import sys

import _sweep_helpers as H
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rmtcheck
from rmtcheck.sweep import (
    ResultStore,
    canonical_json,
    cell_rng,
    cell_seeds,
    code_version,
    executor_from,
    get_sweep,
    register_sweep,
    run_sweep,
    seed_sequence,
    sweeps,
)


def cells(n, **extra):
    return [{"i": i, **extra} for i in range(n)]


# ------------------------------------------------------------------------------------------- seeds
@settings(max_examples=25)
@given(seed=st.integers(0, 2**128 - 1), n=st.integers(1, 40), data=st.data())
@example(seed=0, n=1, data=None)
@example(seed=2**128 - 1, n=3, data=None)
def test_cell_rng_is_exactly_the_spawned_child(seed, n, data):
    i = 0 if data is None else data.draw(st.integers(0, n - 1))
    child = np.random.SeedSequence(seed).spawn(n)[i]
    s = cell_seeds(seed, n)[i]
    np.testing.assert_array_equal(cell_rng(s).random(5), np.random.default_rng(child).random(5))
    assert seed_sequence(s).spawn_key == (i,)


def test_cell_seeds_distinct_and_independent_of_n():
    a, b = cell_seeds(3, 10), cell_seeds(3, 25)
    assert a == b[:10] and len(set(b)) == 25
    assert cell_seeds(3, 4) != cell_seeds(4, 4)


# ------------------------------------------------------------------------------- worker independence
def test_one_and_two_workers_identical(tmp_path):
    cs = cells(12)
    r1 = run_sweep("w", H.logged_cell, cs, seed=5, jobs=1)
    r2 = run_sweep("w", H.logged_cell, cs, seed=5, jobs=2)
    assert r1 == r2
    with cf.ThreadPoolExecutor(3) as ex:  # any executor, any completion order, tiny in-flight bound
        r3 = run_sweep("w", H.logged_cell, cs, seed=5, executor=ex, max_in_flight=1)
    assert r3 == r1
    assert [r["i"] for r in r1] == list(range(12))
    assert len({r["x"] for r in r1}) == 12  # every cell has its own stream
    assert run_sweep("w", H.logged_cell, cs, seed=6, jobs=1) != r1


def test_dexter_grid_one_vs_two_workers_identical():
    from rmtcheck.studies.dexter.experiments import hessian_test_grid

    kw = dict(B_values=[1, 10, 40], sigma_values=[1, 20], lrs=(0.8,), rng=5)
    a, b = hessian_test_grid(**kw).as_dict(), hessian_test_grid(**kw, jobs=2).as_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert a["mc_fraction"].shape == (1, 3, 2)
    assert 0 < a["mc_fraction"].mean() < 1  # both diverging and stable cells: the comparison is not vacuous


def test_unlearning_grids_one_vs_two_workers_identical():
    from rmtcheck.studies.chang_khanna.experiments import alignment_curve, batch_alpha_grid

    kw = dict(thetas=np.linspace(0, np.pi / 2, 4), runs=16, steps=60, seed=3)
    a, b = alignment_curve(**kw), alignment_curve(**kw, jobs=2)
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]), err_msg=k)
    kw = dict(Bs=np.arange(1, 21, 6), alphas=np.linspace(0, 1, 4), mc_stride=2, mc_runs=4, mc_steps=40, seed=1)
    a, b = batch_alpha_grid(**kw), batch_alpha_grid(**kw, jobs=2)
    for k in a:
        if not isinstance(a[k], str):
            np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]), err_msg=k)
    assert a["mc_escape_fraction"].shape == (2, 2) and a["rho"].shape == (4, 4)


# ------------------------------------------------------------------------------------------- store
def test_store_resumes_and_records_each_cell(tmp_path, monkeypatch):
    log = tmp_path / "log"
    monkeypatch.setenv(H.LOG_ENV, str(log))
    monkeypatch.setenv(H.FAIL_ENV, "6")
    store = tmp_path / "s.sqlite"
    with pytest.raises(RuntimeError, match="planned failure"):
        run_sweep("resume", H.logged_cell, cells(10), seed=1, jobs=1, store=store)
    with ResultStore(store) as st:
        (rec,) = st.status()
        assert (rec["finished"], rec["total"], rec["experiment"]) == (6, 10, "resume")
    monkeypatch.delenv(H.FAIL_ENV)
    log.write_text("")
    info = {}
    got = run_sweep("resume", H.logged_cell, cells(10), seed=1, jobs=1, store=store, stats=info)
    assert [json.loads(x)["i"] for x in log.read_text().splitlines()] == [6, 7, 8, 9]
    assert (info["cached"], info["computed"]) == (6, 4)
    assert got == run_sweep("resume", H.logged_cell, cells(10), seed=1, jobs=1)
    con = sqlite3.connect(store)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = con.execute("SELECT params, seed, result, seconds FROM cells ORDER BY seed").fetchall()
    assert len(rows) == 10 and all(r[3] >= 0 for r in rows)
    assert json.loads(rows[0][0]) == {"i": 0} and int(rows[0][1]) == cell_seeds(1, 10)[0]
    with ResultStore(store) as st:
        assert st.status()[0]["finished"] == 10


def test_progress_reaches_total(tmp_path):
    seen = []
    run_sweep("p", H.trivial_cell, cells(5), store=tmp_path / "p.sqlite", jobs=1, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(k, 5) for k in range(1, 6)]
    seen.clear()
    run_sweep("p", H.trivial_cell, cells(5), store=tmp_path / "p.sqlite", jobs=1, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(5, 5)]  # all found in the store


def test_code_version_keys_the_store(tmp_path):
    store = ResultStore(tmp_path / "v.sqlite")
    info = {}
    run_sweep("v", H.trivial_cell, cells(4), store=store, jobs=1, code_version="A", stats=info)
    assert info["computed"] == 4
    run_sweep("v", H.trivial_cell, cells(4), store=store, jobs=1, code_version="A", stats=info)
    assert info["computed"] == 0
    run_sweep("v", H.trivial_cell, cells(4), store=store, jobs=1, code_version="B", stats=info)
    assert info["computed"] == 4
    run_sweep("v", H.trivial_cell, cells(4), store=store, jobs=1, code_version="B", seed=9, stats=info)
    assert info["computed"] == 4  # another root seed: other cell seeds
    assert store.count("v") == 12
    store.close()


def test_code_version_follows_module_source(tmp_path, monkeypatch):
    mod = tmp_path / "sweep_vmod.py"
    mod.write_text("def cell(params, seed):\n    return {'a': 1}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module("sweep_vmod")
    v1 = code_version(m.cell)
    assert v1.startswith(rmtcheck.__version__ + "+") and len(v1.split("+")[1]) == 12
    mod.write_text("def cell(params, seed):\n    return {'a': 2}\n")
    m = importlib.reload(m)
    assert code_version(m.cell) != v1
    sys.modules.pop("sweep_vmod", None)


def test_results_round_trip_through_json(tmp_path):
    a = run_sweep("j", H.logged_cell, cells(3), jobs=1, store=tmp_path / "j.sqlite")
    b = run_sweep("j", H.logged_cell, cells(3), jobs=1, store=tmp_path / "j.sqlite")  # from the store
    assert a == b and isinstance(a[0]["z"], list) and isinstance(a[0]["x"], float)


# --------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_bad_jobs(jobs):
    with pytest.raises(ValueError, match="jobs"):
        run_sweep("x", H.trivial_cell, cells(2), jobs=jobs)
    with pytest.raises(ValueError, match="jobs"):
        executor_from(jobs=jobs)


@pytest.mark.parametrize("bad", [{"i": {1, 2}}, {"i": float("nan")}, {"i": object()}, {"i": float("inf")}])
def test_non_json_params(bad):
    with pytest.raises(ValueError, match=r"cells\[1\] must be JSON-serialisable"):
        run_sweep("x", H.trivial_cell, [{"i": 0}, bad], jobs=1)
    with pytest.raises(ValueError):
        canonical_json(bad)


def test_other_bad_input(tmp_path):
    with pytest.raises(ValueError, match="distinct"):
        run_sweep("x", H.trivial_cell, [{"i": 0}, {"i": 0}], jobs=1)
    with pytest.raises(ValueError, match=r"cells\[0\] must be a dict"):
        run_sweep("x", H.trivial_cell, [3], jobs=1)
    with pytest.raises(ValueError, match="experiment"):
        run_sweep("", H.trivial_cell, cells(1), jobs=1)
    with pytest.raises(ValueError, match="seed"):
        run_sweep("x", H.trivial_cell, cells(1), jobs=1, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        run_sweep("x", H.trivial_cell, cells(1), jobs=1, seed=2**128)
    with pytest.raises(ValueError, match="either executor or jobs"):
        with cf.ThreadPoolExecutor(1) as ex:
            run_sweep("x", H.trivial_cell, cells(1), executor=ex, jobs=2)
    with pytest.raises(ValueError, match="must return a dict"):
        run_sweep("x", H.not_a_dict_cell, cells(1), jobs=1)
    with pytest.raises(ValueError, match="store"):
        run_sweep("x", H.trivial_cell, cells(1), jobs=1, store=3)
    bad = tmp_path / "notdb.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match="SQLite"):
        ResultStore(bad)
    with pytest.raises(ValueError, match="unknown sweep experiment 'nope'"):
        get_sweep("nope")
    with pytest.raises(ValueError, match="sweep name"):
        register_sweep("has space", H.kill_cells, H.trivial_cell)
    with pytest.raises(ValueError, match="cell_fn"):
        register_sweep("ok-name", H.kill_cells, 42)


def test_registry_has_builtins_and_accepts_lazy_entries():
    names = set(sweeps())
    assert {"dexter-hessian-test", "unlearning-hessian-test", "unlearning-batch-alpha", "unlearning-alignment"} <= names
    sw = get_sweep("dexter-hessian-test")
    quick, full = sw.cells(quick=True), sw.cells()
    assert len(quick) == 13 and len(full) == 49 and callable(sw.cell)
    assert len(get_sweep("unlearning-alignment").cells(quick=True)) == 11
    rec = register_sweep("test-lazy", "_sweep_helpers:kill_cells", "_sweep_helpers:trivial_cell")
    try:
        with pytest.raises(TypeError):  # no quick parameter: called with no argument -> kill_cells needs n
            rec.cells()
        assert rec.cell is H.trivial_cell
        with pytest.raises(ValueError, match="cannot load"):
            register_sweep("test-broken", "no_such_module_xyz:f", "_sweep_helpers:trivial_cell").cells()
    finally:
        from rmtcheck.sweep import _registry
        _registry._REGISTRY.pop("test-lazy", None)
        _registry._REGISTRY.pop("test-broken", None)


def test_explicit_seeds_and_sweep_map(tmp_path):
    from rmtcheck.sweep import sweep_map

    cs = cells(6)
    seeds = [int(s) for s in np.random.SeedSequence(3).generate_state(6)]
    serial = [H.logged_cell(c, s) for c, s in zip(cs, seeds)]
    serial = json.loads(json.dumps(serial, default=lambda o: o.tolist() if hasattr(o, "tolist") else o))
    mapped = sweep_map("m", jobs=2, store=tmp_path / "m.sqlite")(H.logged_cell, cs, seeds)
    assert mapped == serial
    assert [r["seed_low"] for r in mapped] == [s % 997 for s in seeds]
    with pytest.raises(ValueError, match="one entry per cell"):
        run_sweep("m", H.trivial_cell, cs, seeds=seeds[:-1], jobs=1)
    with pytest.raises(ValueError, match=r"seeds\[0\]"):
        run_sweep("m", H.trivial_cell, cs, seeds=[-1] + seeds[1:], jobs=1)
    with pytest.raises(ValueError, match="sweep_map accepts"):
        sweep_map("m", seed=3)
