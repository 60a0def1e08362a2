"""Coherence of per-sample Hessians ([1]_, Definition 1).

.. math::

    S_{ij} = \\big\\|H_i^{1/2} H_j^{1/2}\\big\\|_F = \\sqrt{\\operatorname{Tr}(H_i H_j)}, \\qquad
    \\sigma = \\frac{\\lambda_{\\max}(S)}{\\max_i \\lambda_{\\max}(H_i)} .

[paper] Properties [derived, tested in ``tests/stability/test_coherence.py``]: :math:`\\sigma` is
invariant to a common scaling and a common rotation of the family; :math:`1 \\le \\sigma \\le n\\sqrt{\\max_i
\\operatorname{rank} H_i}`; for rank-one :math:`H_i = g_i g_i^\\top`, :math:`S = |G G^\\top|` entrywise (the
absolute value matters); :math:`\\sigma = 1` for mutually orthogonal members and :math:`\\sigma = n` for
``n`` identical rank-one members. High coherence means shared curvature and more stability: [1]_,
Theorem 1 states mean-square divergence of SGD when
:math:`(\\eta\\lambda_{\\max}(H)/\\sigma)^2 (n/B - 1) \\ge 1` (see :mod:`rmtcheck.stability.thresholds`).

Single families: :func:`coherence`, :func:`coherence_matrix`. Many rank-one families at once (random
matrix studies): :func:`coherence_stack`, :func:`coherence_batch`, :func:`perron_root_batch`.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Definition 1 and Theorem 1.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.threads import single_blas_thread
from rmtcheck._lib.validation import as_finite_array
from rmtcheck.stability.families import HessianFamily, as_family

_spla = lazy_module("scipy.sparse.linalg")

__all__ = ["coherence_matrix", "coherence", "coherence_batch", "coherence_stack", "perron_root_batch"]

_DENSE_EIG_MAX = 600


def coherence_matrix(hessians) -> np.ndarray:
    """The coherence matrix :math:`S_{ij} = \\sqrt{\\operatorname{Tr}(H_i H_j)}` ([1]_, Definition 1).

    Parameters
    ----------
    hessians : HessianFamily or array_like
        ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack (see
        :func:`~rmtcheck.stability.families.as_family`).

    Returns
    -------
    ndarray of shape (n, n)
        Symmetric and entrywise non-negative; diagonal :math:`\\|H_i\\|_F`.

    Raises
    ------
    ValueError
        If ``hessians`` is not a valid family (see :func:`~rmtcheck.stability.families.as_family`).

    See Also
    --------
    coherence

    Notes
    -----
    Rank one: :math:`S = |G G^\\top|` (one GEMM). Dense: :math:`\\langle H_i, H_j\\rangle_F`, one GEMM on the
    flattened stack; tiny negative round-off of PSD traces is clipped to 0.

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> coherence_matrix(np.array([[1.0, 0.0], [1.0, 1.0]])).tolist()
    [[1.0, 1.0], [1.0, 2.0]]
    """
    fam = as_family(hessians)
    if fam.is_rank_one:
        return np.abs(fam.factors @ fam.factors.T)
    return np.sqrt(np.maximum(fam.gram_traces, 0.0))


def _lambda_max_nonneg(S: np.ndarray) -> float:
    """Largest eigenvalue of a symmetric entrywise non-negative matrix (= its spectral radius)."""
    n = S.shape[0]
    if n <= _DENSE_EIG_MAX:
        return float(np.linalg.eigvalsh(S)[-1])
    v0 = np.ones(n) / np.sqrt(n)  # Perron vector is non-negative: a good start
    return float(_spla.eigsh(S, k=1, which="LA", v0=v0, tol=1e-12)[0][0])


def coherence(hessians) -> float:
    """Coherence :math:`\\sigma = \\lambda_{\\max}(S) / \\max_i \\lambda_{\\max}(H_i)` of a Hessian family.

    Parameters
    ----------
    hessians : HessianFamily or array_like
        A family, ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.

    Returns
    -------
    float
        In :math:`[1, n\\sqrt{r}]`, ``r`` the largest rank of a member.

    Raises
    ------
    ValueError
        If every member is 0 (coherence undefined), or ``hessians`` is not a valid family.

    See Also
    --------
    coherence_matrix : The matrix :math:`S`.
    coherence_batch : Many rank-one families at once.
    rmtcheck.stability.three_axis.mixed_coherence : The descent–ascent analogues.

    Notes
    -----
    :math:`\\lambda_{\\max}(S)` is its Perron root (:math:`S \\ge 0` entrywise): ``eigvalsh`` up to
    ``n = 600``, Lanczos (``eigsh``) from the all-ones vector above.

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> round(coherence(G), 6)
    3.884744
    >>> round(coherence(np.ones((4, 3))), 6)      # n identical rank-one members: sigma = n
    4.0
    >>> coherence(np.eye(3))                        # mutually orthogonal members: sigma = 1
    1.0
    """
    if not isinstance(hessians, HessianFamily):
        # scale-free: bring entries far from 1 back to 1 before their products under- or overflow float64
        arr = as_finite_array(hessians, "hessians")
        big = float(np.max(np.abs(arr))) if arr.size else 0.0
        hessians = arr / big if big and not 1e-20 <= big <= 1e20 else arr
    fam = as_family(hessians)
    top = float(fam.top_eigenvalues.max())
    if top <= 0:
        raise ValueError("hessians are all zero: coherence is undefined (pass at least one nonzero member)")
    return _lambda_max_nonneg(coherence_matrix(fam)) / top


def _gram_stack(X: np.ndarray) -> np.ndarray:
    """Gram matrices :math:`X_k X_k^\\top` of a stack ``(m, n, d)``.

    One single-threaded BLAS ``syrk`` per instance (numpy dispatches ``A @ A.T`` to ``syrk``): measured
    5-10x faster than numpy's stacked ``matmul`` with a transposed view, which does not reach BLAS
    (0.7 s versus 6.7 s for 150 x 100 x 1000 on the development machine).
    """
    m, n, _ = X.shape
    G = np.empty((m, n, n))
    with single_blas_thread():
        for k in range(m):
            np.matmul(X[k], X[k].T, out=G[k])
    return G


def coherence_batch(factors) -> np.ndarray:
    """Coherence of many rank-one families at once.

    Parameters
    ----------
    factors : array of shape (m, n, d)
        ``m`` families of ``n`` rank-one factors.

    Returns
    -------
    ndarray of shape (m,)
        ``coherence_stack(factors)["sigma"]``: one single-threaded ``syrk`` per instance for
        :math:`|G G^\\top|` and a batched, certified Perron iteration (:func:`perron_root_batch`).

    Raises
    ------
    ValueError
        If ``factors`` is not a finite 3-D array, or some family is all zero.

    See Also
    --------
    coherence, coherence_stack

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((3, 20, 5))
    >>> sig = coherence_batch(X)
    >>> bool(np.allclose(sig, [coherence(x) for x in X]))
    True
    """
    return coherence_stack(factors)["sigma"]


def perron_root_batch(S: np.ndarray, rtol: float = 1e-12, max_iter: int = 200) -> np.ndarray:
    """Largest eigenvalue (Perron root) of every matrix in a stack of symmetric entrywise-positive matrices.

    Parameters
    ----------
    S : array_like of shape (m, n, n)
        Symmetric, entrywise non-negative matrices (e.g. :math:`|GG^\\top|`).
    rtol : float, default 1e-12
        Relative width of the certified bracket at which an instance stops.
    max_iter : int, default 200
        Power iterations before the remaining instances fall back to ``eigvalsh``.

    Returns
    -------
    ndarray of shape (m,)
        Equal to ``np.linalg.eigvalsh(S)[:, -1]`` to ``rtol``.

    Notes
    -----
    Batched power iteration from the all-ones vector with the **Collatz–Wielandt bracket**: for
    :math:`v > 0`, :math:`\\min_i (Sv)_i/v_i \\le \\lambda_{\\max}(S) \\le \\max_i (Sv)_i/v_i` (Perron–Frobenius),
    so stopping when the bracket is narrower than ``rtol`` (relative) certifies the answer. Matrices
    whose bracket is still wider after ``max_iter`` steps (small spectral gap, or zero entries) fall back
    to ``np.linalg.eigvalsh`` — the result always equals ``eigvalsh(S)[:, -1]`` to ``rtol``.

    Examples
    --------
    >>> import numpy as np
    >>> perron_root_batch(np.array([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 0.5], [0.5, 1.0]]])).round(12).tolist()
    [3.0, 1.5]
    """
    S = np.asarray(S, dtype=np.float64)
    m, n, _ = S.shape
    out = np.empty(m)
    idx = np.arange(m)
    v = np.ones((m, n))
    lo = np.zeros(m)
    hi = np.full(m, np.inf)
    for _ in range(max_iter):
        w = np.einsum("mij,mj->mi", S[idx], v)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = w / v
        lo, hi = r.min(axis=1), r.max(axis=1)
        ok = np.isfinite(hi) & (lo > 0) & (hi - lo <= rtol * hi)
        if ok.any():
            out[idx[ok]] = 0.5 * (lo[ok] + hi[ok])
            keep = ~ok
            idx, w = idx[keep], w[keep]
            if idx.size == 0:
                return out
        v = w / np.max(w, axis=1, keepdims=True)
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            break
    if idx.size:
        out[idx] = np.linalg.eigvalsh(S[idx])[:, -1]
    return out


def coherence_stack(factors, spectra: bool = False):
    """Coherence of many rank-one families, the vectorised form of :func:`coherence`.

    Parameters
    ----------
    factors : array (m, n, d)
        ``m`` families of ``n`` factors :math:`g_i` (:math:`H_i = g_ig_i^\\top`).
    spectra : bool, default False
        Also return the eigenvalues of the Gram matrices :math:`G = [\\langle g_i, g_k\\rangle]` (signed).

    Returns
    -------
    dict
        ``sigma`` (m,), ``lambda_max`` (m,) of :math:`S = |G|`, ``norms2`` (m, n) (the
        :math:`\\|g_i\\|^2 = \\lambda_{\\max}(H_i)`), ``gram`` (m, n, n) and, with ``spectra``,
        ``gram_eigs`` (m, n) ascending.

    Raises
    ------
    ValueError
        If ``factors`` is not a finite 3-D array, or some family is all zero.

    See Also
    --------
    coherence_batch : Only ``sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> out = coherence_stack(np.ones((2, 4, 3)), spectra=True)
    >>> out["sigma"].round(12).tolist(), out["gram_eigs"].shape
    ([4.0, 4.0], (2, 4))
    """
    return _coherence_stack(as_finite_array(factors, "factors", ndim=3), spectra)


def _coherence_stack(X: np.ndarray, spectra: bool = False) -> dict:
    """:func:`coherence_stack` without input validation (for stacks this package sampled itself)."""
    G = _gram_stack(X)
    norms2 = np.einsum("mii->mi", G).copy()
    top = norms2.max(axis=1)
    if np.any(top <= 0):
        raise ValueError("factors: some family is all zero; coherence is undefined for it")
    S = np.abs(G)
    lam = perron_root_batch(S)
    out = {"sigma": lam / top, "lambda_max": lam, "norms2": norms2, "gram": G}
    if spectra:
        out["gram_eigs"] = np.linalg.eigvalsh(G)
    return out
