"""BLAS thread control (private).

Small GEMMs (per-instance Gram matrices, the CNN's per-sample products, sweep cells) gain nothing from
a multithreaded BLAS and lose badly to oversubscription on small machines: measured 13-30x slower on
a loaded 2-core machine. Code that parallelises at a coarser level (instances, cells, processes) runs
its BLAS calls single-threaded through these helpers.
"""

from __future__ import annotations

import contextlib

__all__ = ["single_blas_thread", "limit_blas_globally"]


def single_blas_thread():
    """Context manager: BLAS on one thread inside the block (``threadpoolctl``; a no-op without it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def limit_blas_globally() -> None:  # pragma: no cover - runs in worker processes
    """BLAS on one thread for the rest of this process (process-pool worker initialiser)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")
