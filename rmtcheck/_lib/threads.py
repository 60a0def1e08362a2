"""BLAS thread control (private).

Small GEMMs (per-instance Gram matrices, the CNN's per-sample products, sweep cells) gain nothing from
a multithreaded BLAS and lose badly to oversubscription on small machines: measured 13-30x slower on
a loaded 2-core machine. Code that parallelises at a coarser level (instances, cells, processes) runs
its BLAS calls single-threaded through these helpers.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import threading
import time

__all__ = ["single_blas_thread", "limit_threads_globally", "blas_policy", "with_blas_policy", "policy_threads",
           "busy_elsewhere", "force_blas_threads"]


def single_blas_thread():
    """Context manager: BLAS on one thread inside the block (``threadpoolctl``; a no-op without it).

    Returns
    -------
    context manager
        ``ThreadpoolController.limit(limits=1, user_api="blas")`` of the controller the hot paths' policy
        caches (rescanned only when a BLAS-loading package is newly imported; a fresh ``threadpool_limits``
        scans every loaded library, ~0.7 ms, on each call), or ``contextlib.nullcontext()`` when
        threadpoolctl is missing. Results are unchanged; only the speed of small GEMMs is.

    Examples
    --------
    >>> import numpy as np
    >>> with single_blas_thread():
    ...     x = np.ones((3, 3)) @ np.ones((3, 3))
    >>> float(x[0, 0])
    3.0
    """
    try:
        return _blas_controller().limit(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()


def limit_threads_globally() -> None:  # pragma: no cover - runs in worker processes
    """BLAS and OpenMP on one thread for the rest of this process (process-pool worker initialiser).

    OpenMP covers torch's intra-op pool (its CPU wheel runs on libgomp): a worker forked from a process that
    used it must not enter that pool, whose threads did not survive the fork, and one thread per worker is the
    pool's design anyway. ``threadpoolctl`` limits the libraries loaded so far; a library loaded later (SciPy's
    own OpenBLAS on the first ``scipy.linalg`` call, torch's OpenMP on ``import torch``) reads its thread count
    from the environment when it loads, so the usual variables are set to 1 as well (two workers on two cores,
    each with a two-thread SciPy BLAS, ran its eigensolvers 3-6x slower).

    Returns
    -------
    None
    """
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")
    threadpool_limits(1, user_api="openmp")


#: the environment variables that BLAS and OpenMP runtimes read when they load
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


# --- the hot paths' policy: as many BLAS threads as there are idle cores, never more ----------------------------------
# Measured on a 2-core machine with one competing CPU-bound process: the n*d^2 GEMMs of the mean-square operator
# (n = 5000, d = 200) ran 5-7x slower on two OpenBLAS threads than on one (a thread that waits for a core stalls
# every other thread of the GEMM at its barrier), while two threads on an idle machine gain only ~20 %.

_FORCED: int | None = None  # set by force_blas_threads (benchmarks, tests): overrides the policy
_depth = threading.local()
_controller: tuple | None = None  # (key, ThreadpoolController)
_BLAS_MODULES = ("numpy", "scipy.linalg", "torch", "sklearn")


def usable_cores() -> int:
    """Cores this process may run on (``os.sched_getaffinity`` where available, else ``os.cpu_count``).

    Returns
    -------
    int
        At least 1.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_cores = usable_cores


def _own_running() -> int:
    """Threads of this process the kernel counts as running (an OpenBLAS thread spinning after a GEMM is one)."""
    n = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1][1:2] == b"R":
                    n += 1
    except OSError:  # pragma: no cover - no procfs
        return 1
    return max(n, 1)


def busy_elsewhere(samples: int = 3) -> float:
    """Runnable threads of OTHER processes right now (the largest of a few samples of ``/proc/loadavg``).

    Falls back to the one-minute load average where ``/proc`` is missing. Costs ~0.2 ms.

    Returns
    -------
    float
        0 on an idle machine; 1 with one competing CPU-bound process.
    """
    worst = 0
    try:
        for _ in range(samples):
            with open("/proc/loadavg", "rb") as fh:
                running = int(fh.read().split()[3].split(b"/")[0])
            worst = max(worst, running - _own_running())
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return max(0.0, os.getloadavg()[0] - 1.0) if hasattr(os, "getloadavg") else 0.0
    return float(max(worst, 0))


_MEASURED: list = [-1.0, 1]  # (monotonic time, threads) of the last load measurement
_REMEASURE_S = 0.2  # a decision is reused this long: figure grids and verify make thousands of top-level calls


def policy_threads() -> int:
    """The BLAS threads the hot paths use now: the idle cores (at least 1), or what :func:`force_blas_threads` set.

    The load is measured at most every 0.2 s (the measurement costs ~0.35 ms; a grid of small solves calls this
    thousands of times a second).

    Returns
    -------
    int
    """
    if _FORCED is not None:
        return _FORCED
    now = time.monotonic()
    if now - _MEASURED[0] >= _REMEASURE_S:
        _MEASURED[:] = [now, max(1, _cores() - int(math.ceil(busy_elsewhere())))]
    return _MEASURED[1]


def _blas_controller():
    global _controller
    key = tuple(m in sys.modules for m in _BLAS_MODULES)  # a newly imported BLAS needs a fresh scan
    if _controller is None or _controller[0] != key:
        from threadpoolctl import ThreadpoolController

        _controller = (key, ThreadpoolController())
    return _controller[1]


@contextlib.contextmanager
def blas_policy():
    """Context manager: the block's BLAS calls use :func:`policy_threads` threads; restored on exit.

    Re-entrant and cheap: only the outermost block decides and limits (~0.3 ms); nested blocks cost a counter.
    Results are unchanged beyond round-off (only the GEMMs' blocking over threads changes).
    """
    depth = getattr(_depth, "n", 0)
    if depth:
        _depth.n = depth + 1
        try:
            yield
        finally:
            _depth.n -= 1
        return
    try:
        ctl = _blas_controller()
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        ctl = None
    want = policy_threads()
    have = max((i.get("num_threads") or 1 for i in ctl.select(user_api="blas").info()), default=1) if ctl else 1
    if _FORCED is None:
        want = min(want, have)  # the policy only lowers: a limit the caller set stays
    cm = ctl.limit(limits=want, user_api="blas") if ctl is not None and want != have else contextlib.nullcontext()
    _depth.n = 1
    try:
        with cm:
            yield
    finally:
        _depth.n = 0


def with_blas_policy(fn):
    """Decorator: run ``fn`` inside :func:`blas_policy` (the top-level entry points of the exact maths)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with blas_policy():
            return fn(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def force_blas_threads(n: int | None):
    """Context manager: the hot paths use exactly ``n`` BLAS threads (``None``: the policy) — for benchmarks."""
    global _FORCED
    old, _FORCED = _FORCED, n
    try:
        yield
    finally:
        _FORCED = old
