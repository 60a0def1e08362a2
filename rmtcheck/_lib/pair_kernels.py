"""Matrix-free products with the pair-coherence matrix (private; used by ``three_axis.pair_coherence``).

The kernel evaluates, over all pairs ``(i, j)`` and ``(k, l)``,

.. math:: y_{ij} = \\sum_{k,l} \\sqrt{|R_{ik} + F_{jl} - C_{il} - C_{kj}|}\\, z_{kl}

without storing the matrix: :math:`O(N^2)` square roots, :math:`O(N)` memory (:math:`N = n_r n_f`).
Two back ends compute the same numbers:

* ``numba`` (optional dependency, ``pip install "rmtcheck[fast]"``): one fused loop, parallel over
  ``i``; each distinct entry is evaluated once and used twice (symmetry), so about half a square root
  per entry.
* ``numpy``: cache-sized blocks (``block_elems`` entries) applied by a thread pool; about 4 passes
  over each block, so 6-9 times slower than ``numba`` (measured in ``benchmarks/bench_unlearning.py``).

The entry is the trace :math:`\\operatorname{Tr}(D_{ij}D_{kl})` of the three-axis identity [derived;
``proofs/chang_khanna_three_axis.py``, item 1], with the weights :math:`(1-\\alpha)^2`, :math:`\\alpha^2`,
:math:`\\alpha(1-\\alpha)` already folded into ``R``, ``F`` and ``C``; the absolute value is the sign
convention of :mod:`rmtcheck.stability.three_axis`.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["BACKENDS", "have_numba", "pair_product", "negative_mass"]

#: Accepted values of ``backend``: ``"auto"`` picks numba when it is importable, else NumPy.
BACKENDS = ("auto", "numba", "numpy")
_SLOTS = 16  # accumulators of the symmetric numba product (fixed, so results do not depend on the thread count)


def have_numba() -> bool:
    """Whether the optional ``numba`` back end is importable (checked without importing it).

    Returns
    -------
    bool
    """
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _numba_kernels():
    """The fused kernels (compiled once, then loaded from numba's on-disk cache)."""
    from rmtcheck._lib import pair_numba as k

    return k._nb_product_sym, k._nb_negative_sym


def _resolve(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if backend == "auto":
        return "numba" if have_numba() else "numpy"
    if backend == "numba" and not have_numba():
        raise ValueError("backend='numba' needs the optional dependency: pip install 'rmtcheck[fast]' (or numba)")
    return backend


def pair_product(R, F, C, Z, *, backend="auto", block_elems: int = 1 << 16, workers: int | None = None) -> np.ndarray:
    """Product with the pair-coherence matrix: ``Y[i, j] = sum_{k,l} sqrt|R_ik + F_jl - C_il - C_kj| Z[k, l]``.

    Parameters
    ----------
    R : ndarray of shape (n_r, n_r)
        Weighted retain traces :math:`(1-\\alpha)^2\\operatorname{Tr}(A_iA_k)`.
    F : ndarray of shape (n_f, n_f)
        Weighted forget traces :math:`\\alpha^2\\operatorname{Tr}(B_jB_l)`.
    C : ndarray of shape (n_r, n_f)
        Weighted cross traces :math:`\\alpha(1-\\alpha)\\operatorname{Tr}(A_iB_l)`.
    Z : ndarray of shape (n_r, n_f)
        The vector over pairs, reshaped.
    backend : {"auto", "numba", "numpy"}, default "auto"
        Kernel (keyword-only); both compute the same numbers up to summation order.
    block_elems : int, default 65536
        Entries per block of the NumPy back end.
    workers : int, optional
        Threads of the NumPy back end (default ``min(4, cpu_count)``).

    Returns
    -------
    ndarray of shape (n_r, n_f)

    Raises
    ------
    ValueError
        If ``backend`` is unknown, or ``"numba"`` without numba installed.

    Examples
    --------
    >>> import numpy as np
    >>> R, F, C = np.eye(2), np.eye(3), np.zeros((2, 3))
    >>> Z = np.ones((2, 3))
    >>> T = (R[:, None, :, None] + F[None, :, None, :]).reshape(6, 6)   # dense reference
    >>> bool(np.allclose(pair_product(R, F, C, Z, backend="numpy").ravel(), np.sqrt(T) @ Z.ravel()))
    True
    """
    R, F, C = (np.ascontiguousarray(a, dtype=float) for a in (R, F, C))
    Z = np.ascontiguousarray(Z, dtype=float)
    if _resolve(backend) == "numba":
        return _numba_kernels()[0](R, F, C, Z, _SLOTS)
    return _np_product(R, F, C, Z, block_elems, workers)


def _np_product(R, F, C, Z, block_elems, workers):
    n_r, n_f = C.shape
    z = Z.ravel()
    per_row = n_r * n_f
    jb = max(1, min(n_f, int(block_elems // per_row)))
    tasks = [(i, j0) for i in range(n_r) for j0 in range(0, n_f, jb)]
    Y = np.empty((n_r, n_f))
    workers = workers or min(4, os.cpu_count() or 1)

    def run(chunk):
        buf = np.empty((jb, n_r, n_f))
        for i, j0 in chunk:
            j1 = min(n_f, j0 + jb)
            b = buf[: j1 - j0]
            np.add((R[i][None, :] - C[:, j0:j1].T)[:, :, None], (F[j0:j1] - C[i][None, :])[:, None, :], out=b)
            np.abs(b, out=b)
            np.sqrt(b, out=b)
            Y[i, j0:j1] = b.reshape(j1 - j0, per_row) @ z

    if workers == 1:
        run(tasks)
    else:
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(run, [tasks[s::workers] for s in range(workers)]))
    return Y


def negative_mass(R, F, C, W, *, backend="auto", tol: float = 0.0) -> float:
    """Weighted count of negative pair traces: ``sum_{ij,kl} W_ij W_kl [R_ik + F_jl - C_il - C_kj < -tol]``.

    Parameters
    ----------
    R, F, C : ndarray
        As in :func:`pair_product`.
    W : ndarray of shape (n_r, n_f)
        Pair multiplicities.
    backend : {"auto", "numba", "numpy"}, default "auto"
        Kernel (keyword-only).
    tol : float, default 0
        Traces in ``[-tol, 0)`` count as zero, not negative (keyword-only): a trace that vanishes exactly
        is computed as a round-off of either sign, and its sign must not decide the count.

    Returns
    -------
    float
        Divided by :math:`N^2` it is the ``negative_fraction`` of
        :class:`~rmtcheck.stability.three_axis.PairCoherence`.

    Raises
    ------
    ValueError
        If ``backend`` is unknown, or ``"numba"`` without numba installed.
    """
    W = np.ascontiguousarray(W, dtype=float)
    R, F, C = (np.ascontiguousarray(a, dtype=float) for a in (R, F, C))
    tol = float(tol)
    if _resolve(backend) == "numba":
        return float(_numba_kernels()[1](R, F, C, W, tol, _SLOTS))
    n_r, n_f = C.shape
    w = W.ravel()
    jb = max(1, int((1 << 18) // max(1, n_r * n_f)))
    tot = 0.0
    for i in range(n_r):
        for j0 in range(0, n_f, jb):
            j1 = min(n_f, j0 + jb)
            T = (R[i][None, :] - C[:, j0:j1].T)[:, :, None] + (F[j0:j1] - C[i][None, :])[:, None, :]  # (j, k, l)
            tot += float(((T < -tol).reshape(j1 - j0, -1) @ w) @ W[i, j0:j1])
    return tot
