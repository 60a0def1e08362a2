"""Timing shared by the benchmark scripts (run as ``python benchmarks/bench_NAME.py``; this folder is then on
``sys.path``)."""

from __future__ import annotations

import resource
import subprocess
import time

__all__ = ["best", "fresh_process"]


def best(fn, repeat: int = 3):
    """The fastest of ``repeat`` calls of ``fn`` (wall seconds) and the last call's result: ``(seconds, out)``."""
    ts, out = [], None
    for _ in range(max(1, int(repeat))):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return min(ts), out


def fresh_process(cmd: list[str]) -> tuple[float, float]:
    """``(CPU seconds, wall seconds)`` of one run of ``cmd`` in a fresh process, which must exit 0; CPU is user +
    sys of the process and its children (``resource.getrusage``), so forked workers count."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall
