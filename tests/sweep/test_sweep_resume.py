"""An interrupted sweep (SIGKILL mid-way) resumes without redoing finished cells and loses nothing."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import _sweep_helpers as H
import pytest

from rmtcheck.sweep import ResultStore, run_sweep

TESTS = Path(__file__).resolve().parents[1]  # tests/ (where _sweep_helpers.py lives), from tests/sweep/
REPO = TESTS.parent
N, SLEEP = 16, 0.15


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
@pytest.mark.parametrize("jobs", [1, 2])
def test_sigkill_midway_then_resume(tmp_path, monkeypatch, jobs):
    store, log = tmp_path / "kill.sqlite", tmp_path / "calls.log"
    env = dict(os.environ, **{H.LOG_ENV: str(log)})
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(REPO), env.get("PYTHONPATH", "")])
    code = f"import _sweep_helpers as h; h.main([{str(store)!r}, '{jobs}', '{N}', '{SLEEP}'])"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while H.stored_cells(store) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
        proc.communicate(timeout=10)  # reap it and close its pipes
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.1)
    with ResultStore(store) as st:
        (rec,) = st.status()
        before = {json.loads(p)["i"] for p, _ in st.finished("kill-test", rec["code_version"])}
    assert 4 <= len(before) < N and rec["finished"] == len(before) and rec["total"] == N
    first_calls = [json.loads(x)["i"] for x in log.read_text().splitlines()]
    assert before <= set(first_calls)

    log.write_text("")
    monkeypatch.setenv(H.LOG_ENV, str(log))
    info = {}
    resumed = run_sweep("kill-test", H.logged_cell, H.kill_cells(N, SLEEP), seed=11, jobs=jobs, store=store, stats=info)
    second_calls = [json.loads(x)["i"] for x in log.read_text().splitlines()]
    assert not set(second_calls) & before          # finished cells are not recomputed
    assert sorted(second_calls) == sorted(set(range(N)) - before)  # every missing cell exactly once
    assert (info["cached"], info["computed"]) == (len(before), N - len(before))

    monkeypatch.delenv(H.LOG_ENV)
    fresh = run_sweep("kill-test", H.logged_cell, H.kill_cells(N, 0.0), seed=11, jobs=1)
    assert resumed == fresh  # nothing lost, nothing changed (the sleep is not part of the results)
