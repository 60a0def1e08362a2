"""Cell functions for the sweep tests (module level, so worker processes can unpickle them).

Not collected by pytest (leading underscore). ``python _sweep_helpers.py STORE JOBS N SLEEP`` runs the
"kill-test" sweep; the kill test starts it as a subprocess and SIGKILLs it mid-way.
"""

import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from rmtcheck.sweep import cell_rng, run_sweep

LOG_ENV = "RMTCHECK_TEST_SWEEP_LOG"
FAIL_ENV = "RMTCHECK_TEST_SWEEP_FAIL_AT"


def logged_cell(params, seed):
    """Records each invocation (a line in $RMTCHECK_TEST_SWEEP_LOG), optionally sleeps, draws from its seed."""
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"i": params["i"], "pid": os.getpid()}) + "\n")
    fail_at = os.environ.get(FAIL_ENV)
    if fail_at is not None and params["i"] == int(fail_at):
        raise RuntimeError(f"planned failure at cell {params['i']}")
    time.sleep(params.get("sleep", 0.0))
    g = cell_rng(seed)
    return {"i": params["i"], "x": g.random(), "z": g.standard_normal(3), "seed_low": seed % 997}


def trivial_cell(params, seed):
    return {"i": params["i"]}


def not_a_dict_cell(params, seed):
    return [params["i"]]


def kill_cells(n, sleep):
    return [{"i": i, "sleep": sleep} for i in range(n)]


def main(argv):
    store, jobs, n, sleep = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    run_sweep("kill-test", logged_cell, kill_cells(n, sleep), seed=11, jobs=jobs, store=store)


if __name__ == "__main__":
    main(sys.argv[1:])


def stored_cells(store) -> int:
    """Cells already in the SQLite store ``store`` (0 before the file or its schema exists), read-only."""
    if not Path(store).exists():
        return 0
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        con.close()
