"""Worker processes die with their sweep: SIGKILL of ``sweep run --jobs 2`` leaves no process behind,
SIGTERM and SIGINT stop the pool at once, and the store then resumes without losing a cell."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import _sweep_helpers as H
import _sweep_proc_helpers as P
import pytest

from rmtcheck.sweep import ResultStore, default_jobs, run_sweep

psutil = pytest.importorskip("psutil")

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "killpg") or not sys.platform.startswith("linux"),
                       reason="POSIX process groups and Linux process semantics"),
    pytest.mark.skipif(default_jobs() < 2, reason="needs 2 usable cores for a 2-worker pool"),
]

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
N, SLEEP = 24, 0.2


def _env(log, **extra):
    env = dict(os.environ, **{H.LOG_ENV: str(log), P.N_ENV: str(N), P.SLEEP_ENV: str(SLEEP), **extra})
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(TESTS), env.get("PYTHONPATH", "")])
    return env


def _start(store, log, *extra):
    argv = [sys.executable, str(HERE / "_sweep_proc_helpers.py"), "sweep", "run", P.NAME, "--jobs", "2",
            "--store", str(store), *extra]
    # a shell without job control starts background jobs with SIGINT ignored, and a child inherits that: give the
    # sweep the default disposition an interactive `rmtcheck sweep run` has
    return subprocess.Popen(argv, env=_env(log), start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _alive(p):
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _workers_started(proc, store, timeout=30.0):
    """Wait until the sweep has its two workers and has stored two cells; return its descendants."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        kids = parent.children(recursive=True)
        if len(kids) >= 2 and H.stored_cells(store) >= 2:
            return kids
        time.sleep(0.02)
    raise AssertionError(f"no workers started (rc={proc.poll()}): {proc.communicate()[1].decode()[-2000:]}")


def _gone_within(procs, seconds):
    """Seconds until every process in ``procs`` has exited (a zombie counts), or fail after ``seconds``."""
    t0 = time.monotonic()
    while any(_alive(p) for p in procs):
        assert time.monotonic() - t0 < seconds, f"still running: {[p.pid for p in procs if _alive(p)]}"
        time.sleep(0.01)
    return time.monotonic() - t0


def _cleanup(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


def _claims(store):
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
    finally:
        con.close()


def _resume_loses_nothing(store, log, monkeypatch):
    """Resume in this process: only the missing cells, each once; the results are a fresh run's."""
    with ResultStore(store) as st:
        (rec,) = st.status()
        before = {json.loads(p)["i"] for p, _ in st.finished(P.NAME, rec["code_version"])}
    assert 0 < len(before) < N
    log.write_text("")
    monkeypatch.setenv(H.LOG_ENV, str(log))
    monkeypatch.setenv(P.N_ENV, str(N))
    monkeypatch.setenv(P.SLEEP_ENV, "0")
    cells = [{"i": i, "sleep": SLEEP} for i in range(N)]
    info = {}
    resumed = run_sweep(P.NAME, P.gated_cell, cells, seed=0, jobs=2, store=store, stats=info)
    again = [json.loads(x)["i"] for x in log.read_text().splitlines()]
    assert sorted(again) == sorted(set(range(N)) - before)  # every missing cell exactly once, no finished one
    assert (info["cached"], info["computed"]) == (len(before), N - len(before))
    monkeypatch.delenv(H.LOG_ENV)
    fresh = run_sweep(P.NAME, P.gated_cell, [{"i": i, "sleep": 0.0} for i in range(N)], seed=0, jobs=1)
    assert resumed == fresh


def test_sigkill_of_the_parent_leaves_no_worker(tmp_path, monkeypatch):
    store, log = tmp_path / "k.sqlite", tmp_path / "calls.log"
    proc = _start(store, log, "--quiet")
    try:
        kids = _workers_started(proc, store)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: its workers must notice by themselves
        proc.wait(10)
        _gone_within(kids, 30.0)  # generous: a loaded machine; before the fix they lived forever
        out, err = proc.communicate(timeout=5)  # the pipes reach EOF: no worker holds them any more
    finally:
        _cleanup(proc)
    assert proc.returncode == -signal.SIGKILL
    assert _claims(store) > 0  # the killed run could not release its claims ...
    _resume_loses_nothing(store, log, monkeypatch)  # ... yet they are free at once (their pid is gone)


@pytest.mark.parametrize("sig, rc", [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_stop_the_pool_at_once(tmp_path, monkeypatch, sig, rc):
    store, log = tmp_path / "t.sqlite", tmp_path / "calls.log"
    proc = _start(store, log)
    try:
        kids = _workers_started(proc, store)
        os.kill(proc.pid, sig)  # the parent only, as `kill PID` does
        out, err = proc.communicate(timeout=60)  # a hang guard, not a timing assertion (tests never time)
        assert not [k.pid for k in kids if _alive(k)]
    finally:
        _cleanup(proc)
    err = err.decode()
    assert proc.returncode == rc, err[-2000:]
    assert "rerun the same command to resume" in err and "Traceback" not in err
    if sig == signal.SIGTERM:
        assert "terminated by SIGTERM" in err
    assert _claims(store) == 0  # a stopped run releases its claims
    _resume_loses_nothing(store, log, monkeypatch)


def test_worker_watchdog_alone_notices_the_parent_death(tmp_path):
    """The portable fallback (no prctl): a watched process exits once its parent is gone."""
    code = textwrap.dedent("""
        import multiprocessing as mp, os, sys, threading, time
        from rmtcheck.sweep import _procs

        def worker(ready):
            threading.Thread(target=_procs._watch, args=(os.getppid(), 0.05), daemon=True).start()
            ready.set()
            time.sleep(60)

        if __name__ == "__main__":
            ctx = mp.get_context("fork")
            ready = ctx.Event()
            p = ctx.Process(target=worker, args=(ready,))
            p.start()
            ready.wait(30)
            print(p.pid, flush=True)
            time.sleep(60)
    """)
    script = tmp_path / "watch.py"
    script.write_text(code)
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        child = psutil.Process(int(proc.stdout.readline()))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        _gone_within([child], 30.0)
    finally:
        _cleanup(proc)


def test_jobs_beyond_the_cores_are_capped(tmp_path):
    store, log = tmp_path / "c.sqlite", tmp_path / "calls.log"
    env = _env(log, **{P.N_ENV: "6", P.SLEEP_ENV: "0.05"})
    argv = [sys.executable, str(HERE / "_sweep_proc_helpers.py"), "sweep", "run", P.NAME, "--jobs", "64",
            "--store", str(store), "--json"]
    res = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    err = res.stderr.decode()
    assert f"--jobs 64 capped at {default_jobs()}" in err
    rec = json.loads(res.stdout)
    assert rec["workers"] <= default_jobs() and rec["computed"] == 6
    pids = {json.loads(x)["pid"] for x in log.read_text().splitlines()}
    assert len(pids) <= default_jobs()


def test_a_pool_first_used_from_another_thread_outlives_that_thread():
    """PR_SET_PDEATHSIG follows the forking *thread*: it is set only for workers forked by the main thread."""
    import threading

    from rmtcheck.sweep._procs import local_pool

    ex = local_pool(2)
    try:
        got = []
        t = threading.Thread(target=lambda: got.append(ex.submit(os.getpid).result(timeout=30)))
        t.start()
        t.join(30)
        time.sleep(0.2)  # had the workers PDEATHSIG bound to that thread, they would be dead now
        assert ex.submit(os.getpid).result(timeout=30) > 0 and got
    finally:
        ex.shutdown()
    ex = local_pool(2)
    try:
        assert ex.submit(_pdeathsig).result(timeout=30) == signal.SIGKILL  # forked by the main thread: set
    finally:
        ex.shutdown()


def _pdeathsig():
    import ctypes

    v = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0)  # PR_GET_PDEATHSIG
    return v.value
