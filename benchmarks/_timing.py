"""Timing shared by the benchmark scripts (run as ``python benchmarks/bench_NAME.py``; this folder is then on
``sys.path``)."""

from __future__ import annotations

import time

__all__ = ["best"]


def best(fn, repeat: int = 3):
    """The fastest of ``repeat`` calls of ``fn`` (wall seconds) and the last call's result: ``(seconds, out)``."""
    ts, out = [], None
    for _ in range(max(1, int(repeat))):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return min(ts), out
