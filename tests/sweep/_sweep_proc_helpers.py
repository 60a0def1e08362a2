"""The "proc-test" sweep for the process and concurrency tests, and a command line that runs it.

Not collected by pytest (leading underscore). ``python _sweep_proc_helpers.py sweep run proc-test ...``
registers the sweep and runs ``rmtcheck`` exactly as ``python -m rmtcheck`` does (the registry has no
other way to learn a test sweep). The grid has ``$RMTCHECK_TEST_PROC_N`` cells (default 12), each
sleeping ``$RMTCHECK_TEST_PROC_SLEEP`` seconds (default 0.1); with ``$RMTCHECK_TEST_PROC_GATE`` set,
a cell waits until that file exists before it starts. Cells log each call like
``_sweep_helpers.logged_cell`` (``$RMTCHECK_TEST_SWEEP_LOG``).
"""

import os
import sys
import time

import _sweep_helpers as H

N_ENV, SLEEP_ENV, GATE_ENV = "RMTCHECK_TEST_PROC_N", "RMTCHECK_TEST_PROC_SLEEP", "RMTCHECK_TEST_PROC_GATE"
NAME = "proc-test"


def proc_cells():
    n, sleep = int(os.environ.get(N_ENV, "12")), float(os.environ.get(SLEEP_ENV, "0.1"))
    return [{"i": i, "sleep": sleep} for i in range(n)]


def gated_cell(params, seed):
    gate = os.environ.get(GATE_ENV)
    deadline = time.monotonic() + 60
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.01)
    return H.logged_cell(params, seed)


def register():
    from rmtcheck.sweep import register_sweep

    return register_sweep(NAME, proc_cells, gated_cell, "test grid of sleeping cells")


def unregister():
    from rmtcheck.sweep import _registry

    _registry._REGISTRY.pop(NAME, None)


if __name__ == "__main__":
    import _sweep_proc_helpers as me  # the cell function pickles as this module's, not __main__'s

    me.register()
    from rmtcheck.cli import main

    sys.exit(main(sys.argv[1:]))
