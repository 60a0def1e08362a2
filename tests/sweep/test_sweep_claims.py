"""Concurrent runs on one store share the cells: each cell is computed exactly once in total, the
union of their results is a single run's, and stale claims (dead or silent holders) are taken over."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import _sweep_helpers as H
import _sweep_proc_helpers as P
import pytest

import rmtcheck.sweep._store as store_mod
from rmtcheck.sweep import ResultStore, cell_seeds, code_version, run_sweep

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent


def cells(n, sleep=0.0):
    return [{"i": i, "sleep": sleep} for i in range(n)]


def _calls(log):
    return [json.loads(x)["i"] for x in log.read_text().splitlines()] if log.exists() else []


def _claim_rows(store):
    con = sqlite3.connect(store, timeout=5)
    try:
        return con.execute("SELECT params, claimed_by FROM claims").fetchall()
    except sqlite3.OperationalError:  # schema not created yet
        return []
    finally:
        con.close()


def _fake_claim(store, i, n, *, host, pid, renewed_at, owner="other-run"):
    """A claim on cell ``i`` of ``cells(n)`` (seed 0) as another run would write it."""
    key = json.dumps(cells(n)[i], sort_keys=True, separators=(",", ":"))
    seed = str(cell_seeds(0, n)[i])
    with ResultStore(store) as st:
        st._con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        ("claims", key, seed, code_version(H.logged_cell), owner, pid, host, renewed_at, renewed_at))
    return key, seed


# --------------------------------------------------------------------------- two runs, two processes
def test_two_concurrent_cli_runs_split_the_cells(tmp_path, monkeypatch):
    n = 12
    store, log, gate = tmp_path / "c.sqlite", tmp_path / "calls.log", tmp_path / "gate"
    env = dict(os.environ, **{H.LOG_ENV: str(log), P.N_ENV: str(n), P.SLEEP_ENV: "0.05", P.GATE_ENV: str(gate)})
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(TESTS), env.get("PYTHONPATH", "")])
    base = [sys.executable, str(HERE / "_sweep_proc_helpers.py"), "sweep", "run", P.NAME, "--store", str(store),
            "--json", "--quiet"]
    procs = [subprocess.Popen(base + ["--jobs", j], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for j in ("1", "2")]
    try:
        deadline = time.monotonic() + 30  # both runs hold claims before any cell may start
        while len({o for _, o in _claim_rows(store)}) < 2 and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), procs[0].communicate()[1].decode()[-2000:]
            time.sleep(0.02)
        gate.write_text("go")
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    assert [p.returncode for p in procs] == [0, 0], [e.decode()[-2000:] for _, e in outs]
    recs = [json.loads(o) for o, _ in outs]
    assert sorted(_calls(log)) == list(range(n))  # every cell computed exactly once in total
    assert sum(r["computed"] for r in recs) == n and all(r["computed"] >= 1 for r in recs)  # both worked
    assert all(r["cached"] + r["computed"] + r["shared"] == n for r in recs)
    assert _claim_rows(store) == []

    monkeypatch.setenv(P.N_ENV, str(n))
    monkeypatch.setenv(P.SLEEP_ENV, "0.05")
    info = {}
    union = run_sweep(P.NAME, P.gated_cell, P.proc_cells(), seed=0, jobs=1, store=store, stats=info)
    assert info["computed"] == 0
    assert union == run_sweep(P.NAME, P.gated_cell, P.proc_cells(), seed=0, jobs=1)  # a single run's results


# ------------------------------------------------------------------------ two runs, one process each
def test_two_concurrent_runs_in_threads_compute_each_cell_once(tmp_path, monkeypatch):
    n, store, log = 10, tmp_path / "t.sqlite", tmp_path / "calls.log"
    monkeypatch.setenv(H.LOG_ENV, str(log))
    out, infos = [None, None], [{}, {}]

    def go(k):
        out[k] = run_sweep("claims", H.logged_cell, cells(n, 0.05), store=store, jobs=1, stats=infos[k])

    threads = [threading.Thread(target=go, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(_calls(log)) == list(range(n))
    assert out[0] == out[1] == run_sweep("claims", H.logged_cell, cells(n), jobs=1)
    assert infos[0]["computed"] + infos[1]["computed"] == n
    assert _claim_rows(store) == []


def test_heartbeat_keeps_a_long_cell_from_being_taken_over(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "LEASE_SECONDS", 0.9)  # renewed every 0.15 s; cells last 1.5 s
    store, log = tmp_path / "h.sqlite", tmp_path / "calls.log"
    monkeypatch.setenv(H.LOG_ENV, str(log))
    out = [None, None]

    def go(k):
        out[k] = run_sweep("claims", H.logged_cell, cells(2, 1.5), store=store, jobs=1)

    first = threading.Thread(target=go, args=(0,))
    first.start()
    deadline = time.monotonic() + 10
    while not _claim_rows(store) and time.monotonic() < deadline:
        time.sleep(0.01)
    go(1)
    first.join(30)
    assert sorted(_calls(log)) == [0, 1] and out[0] == out[1]


# ------------------------------------------------------------------------------------- stale claims
def test_claims_of_a_dead_process_are_free_at_once(tmp_path, monkeypatch):
    store, log = tmp_path / "d.sqlite", tmp_path / "calls.log"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    _fake_claim(store, 1, 4, host=store_mod._HOST, pid=int(dead.stdout), renewed_at=time.time())
    _fake_claim(store, 2, 4, host="elsewhere", pid=1, renewed_at=time.time() - 2 * store_mod.LEASE_SECONDS)
    monkeypatch.setenv(H.LOG_ENV, str(log))
    t0 = time.monotonic()
    info = {}
    run_sweep("claims", H.logged_cell, cells(4), store=store, jobs=1, stats=info)
    assert time.monotonic() - t0 < 2.0 and info["computed"] == 4 and sorted(_calls(log)) == [0, 1, 2, 3]
    assert _claim_rows(store) == []


def test_a_live_claim_is_waited_for_and_its_result_read(tmp_path, monkeypatch):
    """Cell 1 is held by a live run elsewhere that stores a (marked) result; cell 2's holder gives up."""
    store, log = tmp_path / "w.sqlite", tmp_path / "calls.log"
    k1, s1 = _fake_claim(store, 1, 4, host="elsewhere", pid=1, renewed_at=time.time(), owner="run-b")
    _fake_claim(store, 2, 4, host="elsewhere", pid=1, renewed_at=time.time(), owner="run-c")
    version = code_version(H.logged_cell)

    def other_runs():
        time.sleep(0.5)
        with ResultStore(store) as st:
            st.put("claims", k1, s1, version, json.dumps({"i": 1, "by": "run-b"}), 0.1, owner="run-b")
            st.release("run-c")

    monkeypatch.setenv(H.LOG_ENV, str(log))
    t = threading.Thread(target=other_runs)
    t.start()
    info, seen = {}, []
    got = run_sweep("claims", H.logged_cell, cells(4), store=store, jobs=1, stats=info,
                    progress=lambda d, n: seen.append(d))
    t.join()
    assert got[1] == {"i": 1, "by": "run-b"}  # read from the store, not recomputed
    assert sorted(_calls(log)) == [0, 2, 3] and (info["computed"], info["shared"]) == (3, 1)
    assert seen == [1, 2, 3, 4] and _claim_rows(store) == []


def test_an_expired_lease_is_taken_over(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "LEASE_SECONDS", 0.5)
    store, log = tmp_path / "e.sqlite", tmp_path / "calls.log"
    _fake_claim(store, 0, 3, host="elsewhere", pid=1, renewed_at=time.time())  # a silent holder
    monkeypatch.setenv(H.LOG_ENV, str(log))
    info = {}
    run_sweep("claims", H.logged_cell, cells(3), store=store, jobs=2, stats=info)
    assert sorted(_calls(log)) == [0, 1, 2] and info["computed"] == 3


def test_a_failing_run_releases_its_claims_and_finished_cells_stay(tmp_path, monkeypatch):
    store, log = tmp_path / "f.sqlite", tmp_path / "calls.log"
    monkeypatch.setenv(H.LOG_ENV, str(log))
    monkeypatch.setenv(H.FAIL_ENV, "3")
    with pytest.raises(RuntimeError, match="planned failure"):
        run_sweep("claims", H.logged_cell, cells(8), store=store, jobs=2)
    assert _claim_rows(store) == []
    monkeypatch.delenv(H.FAIL_ENV)
    with ResultStore(store) as st:
        done = {json.loads(p)["i"] for p, _ in st.finished("claims", code_version(H.logged_cell))}
    log.write_text("")
    run_sweep("claims", H.logged_cell, cells(8), store=store, jobs=2)
    assert sorted(_calls(log)) == sorted(set(range(8)) - done)  # completed cells are never recomputed


def test_many_runs_opening_a_new_store_at_once_all_get_it(tmp_path):
    """Switching a new file to WAL races; SQLite may refuse one opener with 'database is locked' at once."""
    import threading

    from rmtcheck.sweep._store import ResultStore

    errors = []
    for attempt in range(50):  # a rare race: many fresh files (without the retry this fails)
        path, barrier = tmp_path / f"race{attempt}.sqlite", threading.Barrier(16)

        def open_it(path=path, barrier=barrier):
            barrier.wait()
            try:
                ResultStore(path).close()
            except ValueError as exc:  # pragma: no cover - the failure this test guards against
                errors.append(str(exc))

        threads = [threading.Thread(target=open_it) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
