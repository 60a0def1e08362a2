"""Matrix-free products with the pair-coherence matrix (private; used by ``three_axis.pair_coherence``).

The kernel evaluates, over all pairs ``(i, j)`` and ``(k, l)``,

.. math:: y_{ij} = \\sum_{k,l} \\sqrt{|R_{ik} + F_{jl} - C_{il} - C_{kj}|}\\, z_{kl}

without storing the matrix: :math:`O(N^2)` square roots, :math:`O(N)` memory (:math:`N = n_r n_f`).
Two back ends compute the same numbers:

* ``numba`` (optional dependency, ``pip install "rmtcheck[fast]"``): one fused loop, parallel over
  ``i``; each distinct entry is evaluated once and used twice (symmetry), so about half a square root
  per entry.
* ``numpy``: blocks of ``block_elems`` entries over the same symmetric half, applied by a thread pool; four
  passes over each block (a broadcast add, abs and sqrt in place, two matrix-vector products). NumPy 2.4's float64
  ``sqrt`` has no AVX loop (128-bit SSE; numba's is 512-bit) and alone costs twice numba's whole entry, so this
  kernel stays about 4 times slower than ``numba`` (N = 90,000, 2 cores, alternating in one process: median 3.8x
  CPU time, 4.3x wall time).

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
                 count_weights=None, count_tol: float = 0.0, single: bool = False):
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
        Entries per block of the NumPy back end (2 MB; blocks of 90,000 to 270,000 entries measured equally fast
        on 2 cores at N = 90,000, smaller ones slower).
    workers : int, optional
        Threads of the NumPy back end (default ``min(4, cpu_count)``).
    count_weights : ndarray of shape (n_r, n_f), optional
        Pair multiplicities: also return :func:`negative_mass` ``(R, F, C, count_weights, tol=count_tol)``,
        counted inside the same pass over the entries by the NumPy back end (the numba back end runs its own
        count, a fraction of a product).
    count_tol : float, default 0
        As ``tol`` of :func:`negative_mass`.
    single : bool, default False
        Take each square root in single precision (the trace is formed in float64 and rounded to float32; the
        root, widened back, is within a relative :math:`2^{-24}` of the double one; the sums stay in float64):
        the warm-up products of an iteration that certifies its result with exact ones, about 2.3x cheaper in
        the numba kernel, which its square roots bound. Numba only: NumPy's float32 root is no faster than its
        float64 one, so its kernel has no such mode.

    Returns
    -------
    ndarray of shape (n_r, n_f)
        With ``count_weights``: ``(Y, negative mass)``.

    Raises
    ------
    ValueError
        If ``backend`` is unknown, ``"numba"`` without numba installed, or ``single`` with the NumPy kernel.

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
        Y = _numba_kernels()[0](R, F, C, Z, _SLOTS, bool(single))
        if count_weights is None:
            return Y
        return Y, negative_mass(R, F, C, count_weights, backend="numba", tol=count_tol)
    if single:
        raise ValueError("single=True (single-precision square roots) needs the numba kernel: backend='numba'")
    count = None if count_weights is None else (np.ascontiguousarray(count_weights, dtype=float), float(count_tol))
    Y, mass = _np_product(R, F, C, Z, block_elems, workers, count)
    return Y if count is None else (Y, mass)


_NP_SLOTS = 4  # accumulators of the symmetric NumPy product (fixed, so results do not depend on the thread count)


def _tasks(n_r: int, n_f: int, block_elems: int) -> list[tuple]:
    """Blocks ``(i, j0, j1, k0, k1)`` of the symmetric half: rows ``(i, j0:j1)`` against columns ``(k0:k1, :)`` with
    ``k0 >= i``, each at most ``block_elems`` entries (cache-sized: the passes over a block then stay in cache), or
    one ``(j, k)`` row of ``n_f`` entries if that is more; the ``j`` chunks differ in width by at most one."""
    nj = -(-n_f // max(1, min(n_f, int(block_elems // n_f))))
    cuts = [n_f * q // nj for q in range(nj + 1)]
    kb = max(1, int(block_elems // (-(-n_f // nj) * n_f)))  # the widest chunk
    return [(i, j0, j1, k0, min(n_r, k0 + kb))
            for i in range(n_r) for j0, j1 in zip(cuts, cuts[1:]) for k0 in range(i, n_r, kb)]


def _traces(R, C, Vt, i, j0, j1, k0, k1, out=None) -> np.ndarray:
    """The block ``M[(k, l), j] = (R_ik - C_kj) + (F_jl - C_il)`` for ``k`` in ``k0:k1``, ``j`` in ``j0:j1`` (the
    numba kernels' association), shape ``((k1 - k0) n_f, j1 - j0)``, from ``Vt = F.T - C[i][:, None]`` (row ``l``
    holds ``F_jl - C_il`` over ``j``); written into ``out`` (flat, long enough) when given.

    Rows ``(k, l)`` and a contiguous inner ``j``: one broadcast add per block, and both matrix-vector products
    run over contiguous rows (measured 2.3 vs 3.2 ns per entry on one core against ``(j, k, l)`` blocks)."""
    n_f = Vt.shape[0]
    a = np.subtract(R[i, k0:k1][:, None], C[k0:k1, j0:j1])
    shape = (k1 - k0, n_f, j1 - j0)
    M = np.empty(shape) if out is None else out[:(k1 - k0) * n_f * (j1 - j0)].reshape(shape)
    np.add(a[:, None, :], Vt[None, :, j0:j1], out=M)
    return M.reshape(-1, j1 - j0)


def _negative_in(M, W, w, i, j0, j1, k0, k1, tol) -> float:
    """Weighted count of the block's traces below ``-tol``: the ``k = i`` part once (it holds both orders of its
    pairs), the ``k > i`` part twice (its mirror is not visited)."""
    n_f = W.shape[1]
    neg = M < -tol
    cut = n_f if k0 == i else 0
    wk = w[k0 * n_f:k1 * n_f]
    return float((wk[:cut] @ neg[:cut] + 2.0 * (wk[cut:] @ neg[cut:])) @ W[i, j0:j1])


def _row_views(F, C):
    """``Vt(i) = F.T - C[i][:, None]`` for the blocks of row ``i``, computed once per row (a per-thread cache)."""
    Ft = np.ascontiguousarray(F.T)
    last = [-1, None]

    def vt(i):
        if last[0] != i:
            last[:] = [i, np.subtract(Ft, C[i][:, None])]
        return last[1]

    return vt


def _np_product(R, F, C, Z, block_elems, workers, count=None):
    # Symmetric half, as the numba kernel (_tasks): a block is used for y_(i, j) and, transposed, for y_(k, l) with
    # k > i (the k = i part is its own transpose and counted once). Tasks are dealt round-robin to _NP_SLOTS
    # accumulators summed in a fixed order. Per block: one broadcast add, abs and sqrt in place (in a per-thread
    # buffer), two matrix-vector products.
    n_r, n_f = C.shape
    z = Z.ravel()
    tasks = _tasks(n_r, n_f, block_elems)
    size = max(((t[2] - t[1]) * (t[4] - t[3]) for t in tasks), default=0) * n_f
    Ys = np.zeros((_NP_SLOTS, n_r * n_f))
    masses = np.zeros(_NP_SLOTS)
    workers = workers or min(4, os.cpu_count() or 1)
    if count is not None:
        W, tol = count
        w = W.ravel()

    def run(slot):
        Y, buf, vt = Ys[slot], np.empty(size), _row_views(F, C)
        for i, j0, j1, k0, k1 in tasks[slot::_NP_SLOTS]:
            M = _traces(R, C, vt(i), i, j0, j1, k0, k1, buf)
            if count is not None:
                masses[slot] += _negative_in(M, W, w, i, j0, j1, k0, k1, tol)
            np.abs(M, out=M)
            np.sqrt(M, out=M)
            Y[i * n_f + j0:i * n_f + j1] += z[k0 * n_f:k1 * n_f] @ M
            off = n_f if k0 == i else 0  # the k = i rows are not mirrored
            if k1 * n_f > k0 * n_f + off:
                Y[k0 * n_f + off:k1 * n_f] += M[off:] @ Z[i, j0:j1]

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
    w, vt = W.ravel(), _row_views(F, C)
    return sum(_negative_in(_traces(R, C, vt(t[0]), *t), W, w, *t, tol) for t in _tasks(n_r, n_f, 1 << 18))
