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
    """Context manager: BLAS on one thread inside the block (``threadpoolctl``; a no-op without it).

    Returns
    -------
    context manager
        ``threadpoolctl.threadpool_limits(1, user_api="blas")``, or ``contextlib.nullcontext()``
        when threadpoolctl is missing. Results are unchanged; only the speed of small GEMMs is.

    Examples
    --------
    >>> import numpy as np
    >>> with single_blas_thread():
    ...     x = np.ones((3, 3)) @ np.ones((3, 3))
    >>> float(x[0, 0])
    3.0
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def limit_blas_globally() -> None:  # pragma: no cover - runs in worker processes
    """BLAS on one thread for the rest of this process (process-pool worker initialiser).

    Returns
    -------
    None
        A no-op when threadpoolctl is missing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")
