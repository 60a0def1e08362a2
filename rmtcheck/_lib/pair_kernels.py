"""Matrix-free products with the pair-coherence matrix (private; used by ``three_axis.pair_coherence``).

The kernel evaluates, over all pairs ``(i, j)`` and ``(k, l)``,

.. math:: y_{ij} = \\sum_{k,l} \\sqrt{|R_{ik} + F_{jl} - C_{il} - C_{kj}|}\\, z_{kl}

without storing the matrix: :math:`O(N^2)` square roots, :math:`O(N)` memory (:math:`N = n_r n_f`).
Two back ends compute the same numbers:

* ``numba`` (optional dependency, ``pip install "rmtcheck[fast]"``): one fused loop, parallel over
  ``i``; each distinct entry is evaluated once and used twice (symmetry), so about half a square root
  per entry.
* ``numpy``: blocks of ``block_elems`` entries over the same symmetric half, applied by a thread pool; about 5
  passes over each block, so 4-5 times slower than ``numba`` (measured at N = 90,000 in
  ``benchmarks/bench_unlearning.py --full``).

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

__all__ = ["BACKENDS", "have_numba", "choose_backend", "pair_product", "negative_mass"]

#: Accepted values of ``backend``: ``"auto"`` picks numba when it is importable, else NumPy.
BACKENDS = ("auto", "numba", "numpy")
#: Below this many (unique) pairs ``auto`` takes NumPy: loading numba and the compiled kernel from its on-disk
#: cache costs a process 0.7-1.2 s, more than the NumPy kernel needs for a whole Perron solve there
#: (about 5e-9 s per distinct entry and product, measured on 2 cores; ~8 products).
NUMBA_MIN_PAIRS = 8000
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


def _jit_disabled() -> bool:
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() not in ("", "0")


def _resolve(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if backend == "auto":
        return "numba" if have_numba() and not _jit_disabled() else "numpy"
    if backend == "numba" and not have_numba():
        raise ValueError("backend='numba' needs the optional dependency: pip install 'rmtcheck[fast]' (or numba)")
    if backend == "numba" and _jit_disabled():
        raise ValueError("backend='numba' with NUMBA_DISABLE_JIT set would run the kernel as pure Python (about 200 "
                         "times slower): use backend='numpy' or 'auto', or unset NUMBA_DISABLE_JIT")
    return backend


def choose_backend(backend: str, pairs: int) -> str:
    """The kernel for a Perron solve over ``pairs`` unique pairs: ``"numba"`` or ``"numpy"``.

    ``"auto"`` takes numba when it is installed, its JIT is not disabled (``NUMBA_DISABLE_JIT``), and either
    the kernels are already loaded in this process or the problem has at least :data:`NUMBA_MIN_PAIRS` pairs
    (below that, loading them costs more than the NumPy kernel's whole solve).

    Parameters
    ----------
    backend : {"auto", "numba", "numpy"}
    pairs : int

    Returns
    -------
    str

    Raises
    ------
    ValueError
        As :func:`pair_product`; also for ``"numba"`` while ``NUMBA_DISABLE_JIT`` is set.
    """
    chosen = _resolve(backend)
    if backend == "auto" and chosen == "numba" and pairs < NUMBA_MIN_PAIRS and not _numba_kernels.cache_info().currsize:
        return "numpy"
    return chosen


def pair_product(R, F, C, Z, *, backend="auto", block_elems: int = 1 << 18, workers: int | None = None,
                 count_weights=None, count_tol: float = 0.0):
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
    block_elems : int, default 262144
        Entries per block of the NumPy back end (2 MB: measured fastest on 2 cores, N = 90,000).
    workers : int, optional
        Threads of the NumPy back end (default ``min(4, cpu_count)``).
    count_weights : ndarray of shape (n_r, n_f), optional
        Pair multiplicities: also return :func:`negative_mass` ``(R, F, C, count_weights, tol=count_tol)``,
        counted inside the same pass over the entries by the NumPy back end (the numba back end runs its own
        count, a fraction of a product).
    count_tol : float, default 0
        As ``tol`` of :func:`negative_mass`.

    Returns
    -------
    ndarray of shape (n_r, n_f)
        With ``count_weights``: ``(Y, negative mass)``.

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
        Y = _numba_kernels()[0](R, F, C, Z, _SLOTS)
        if count_weights is None:
            return Y
        return Y, negative_mass(R, F, C, count_weights, backend="numba", tol=count_tol)
    count = None if count_weights is None else (np.ascontiguousarray(count_weights, dtype=float), float(count_tol))
    Y, mass = _np_product(R, F, C, Z, block_elems, workers, count)
    return Y if count is None else (Y, mass)


_NP_SLOTS = 4  # accumulators of the symmetric NumPy product (fixed, so results do not depend on the thread count)


def _tasks(n_r: int, n_f: int, block_elems: int) -> list[tuple]:
    """Blocks ``(i, j0, j1, k0, k1)`` of the symmetric half: rows ``(i, j0:j1)`` against columns ``(k0:k1, :)`` with
    ``k0 >= i``, each at most ``block_elems`` entries (cache-sized: the passes over a block then stay in cache)."""
    jb = max(1, min(n_f, int(block_elems // n_f)))
    kb = max(1, int(block_elems // (jb * n_f)))
    return [(i, j0, min(n_f, j0 + jb), k0, min(n_r, k0 + kb))
            for i in range(n_r) for j0 in range(0, n_f, jb) for k0 in range(i, n_r, kb)]


def _traces(R, F, C, i, j0, j1, k0, k1) -> np.ndarray:
    """The block ``T[(i, j), (k, l)] = (R_ik - C_kj) + (F_jl - C_il)`` for ``j`` in ``j0:j1``, ``k`` in ``k0:k1`` (the
    numba kernels' association), shape ``(j1 - j0, k1 - k0, n_f)``."""
    return np.add((R[i, k0:k1][None, :] - C[k0:k1, j0:j1].T)[:, :, None], (F[j0:j1] - C[i][None, :])[:, None, :])


def _negative_in(T, W, w, i, j0, j1, k0, k1, tol) -> float:
    """Weighted count of the block's traces below ``-tol``: the ``k = i`` part once (it holds both orders of its
    pairs), the ``k > i`` part twice (its mirror is not visited)."""
    n_f = W.shape[1]
    neg = (T < -tol).reshape(j1 - j0, -1)
    cut = n_f if k0 == i else 0
    wk = w[k0 * n_f:k1 * n_f]
    return float(W[i, j0:j1] @ (neg[:, :cut] @ wk[:cut] + 2.0 * (neg[:, cut:] @ wk[cut:])))


def _np_product(R, F, C, Z, block_elems, workers, count=None):
    # Symmetric half, as the numba kernel (_tasks): a block is used for y_(i, j) and, transposed, for y_(k, l) with
    # k > i (the k = i part is its own transpose and counted once). Tasks are dealt round-robin to _NP_SLOTS
    # accumulators summed in a fixed order.
    n_r, n_f = C.shape
    z = Z.ravel()
    tasks = _tasks(n_r, n_f, block_elems)
    Ys = np.zeros((_NP_SLOTS, n_r * n_f))
    masses = np.zeros(_NP_SLOTS)
    workers = workers or min(4, os.cpu_count() or 1)
    if count is not None:
        W, tol = count
        w = W.ravel()

    def run(slot):
        Y = Ys[slot]
        for i, j0, j1, k0, k1 in tasks[slot::_NP_SLOTS]:
            b = _traces(R, F, C, i, j0, j1, k0, k1)
            if count is not None:
                masses[slot] += _negative_in(b, W, w, i, j0, j1, k0, k1, tol)
            np.abs(b, out=b)
            np.sqrt(b, out=b)
            flat = b.reshape(j1 - j0, -1)
            Y[i * n_f + j0:i * n_f + j1] += flat @ z[k0 * n_f:k1 * n_f]
            off = n_f if k0 == i else 0  # the k = i columns are not mirrored
            if k1 * n_f > k0 * n_f + off:
                Y[k0 * n_f + off:k1 * n_f] += Z[i, j0:j1] @ flat[:, off:]

    if workers == 1:
        for slot in range(_NP_SLOTS):
            run(slot)
    else:
        with ThreadPoolExecutor(min(workers, _NP_SLOTS)) as ex:
            list(ex.map(run, range(_NP_SLOTS)))
    return Ys.sum(axis=0).reshape(n_r, n_f), float(masses.sum())


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
    return sum(_negative_in(_traces(R, F, C, *t), W, w, *t, tol) for t in _tasks(n_r, n_f, 1 << 18))
