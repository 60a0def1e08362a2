"""Random and structured Hessian families (the instances theorems are checked on).

All samplers take ``rng`` (seed or Generator, SPEC 7) and are vectorised.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.stability.families import HessianFamily
from rmtcheck.randmat.designs import PatchData

__all__ = [
    "gaussian_factors", "clustered_factors", "wishart_stack", "dexter_construction", "random_family",
    "linear_factors",
]


def gaussian_factors(n: int, d: int, rng=None, spectrum=None) -> HessianFamily:
    """Rank-one family :math:`g_i \\sim N(0, \\operatorname{diag}(\\text{spectrum}))` (isotropic by default)."""
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    rng = as_generator(rng)
    G = rng.standard_normal((n, d))
    if spectrum is not None:
        s = np.asarray(spectrum, dtype=float)
        if s.shape != (d,) or np.any(s < 0) or not np.all(np.isfinite(s)):
            raise ValueError(f"spectrum must be {d} finite non-negative variances; got shape {s.shape}")
        G *= np.sqrt(s)
    return HessianFamily.from_factors(G)


def clustered_factors(n: int, d: int, clusters: int, spread: float, rng=None) -> HessianFamily:
    """Rank-one family around ``clusters`` random directions; small ``spread`` gives high coherence."""
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    clusters = check_int(clusters, "clusters", 1, n)
    rng = as_generator(rng)
    centres = rng.standard_normal((clusters, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    G = centres[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, d)) / np.sqrt(d)
    G *= rng.uniform(0.5, 1.5, (n, 1))
    return HessianFamily.from_factors(G)


def wishart_stack(n: int, d: int, rank: int, rng=None) -> HessianFamily:
    """Dense PSD family :math:`H_i = A_i A_i^\\top / r` with :math:`A_i \\in \\mathbb R^{d\\times r}` Gaussian."""
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    rank = check_int(rank, "rank", 1)
    rng = as_generator(rng)
    A = rng.standard_normal((n, d, rank))
    return HessianFamily.from_stack(A @ np.swapaxes(A, 1, 2) / rank)


FAMILY_KINDS = ("gaussian", "anisotropic", "clustered", "wishart", "dexter")


def random_family(rng, n: int, d: int, kind: str | None = None) -> tuple[HessianFamily, dict]:
    """One random family of a random (or given) kind, with the parameters that produced it."""
    rng = as_generator(rng)
    kind = kind or FAMILY_KINDS[int(rng.integers(len(FAMILY_KINDS)))]
    if kind == "gaussian":
        return gaussian_factors(n, d, rng), {"kind": kind}
    if kind == "anisotropic":
        spec = rng.uniform(0.05, 1.0, d) ** 2
        return gaussian_factors(n, d, rng, spec), {"kind": kind}
    if kind == "clustered":
        k = int(rng.integers(1, min(n, 4) + 1))
        spread = float(rng.uniform(0.05, 1.0))
        return clustered_factors(n, d, k, spread, rng), {"kind": kind, "clusters": k, "spread": spread}
    if kind == "wishart":
        r = int(rng.integers(1, min(d, 3) + 1))
        return wishart_stack(n, d, r, rng), {"kind": kind, "rank": r}
    if kind == "dexter":
        s = int(rng.integers(1, n + 1))
        return dexter_construction(n, s, float(rng.uniform(0.5, 3.0))), {"kind": kind, "sigma_construction": s}
    raise ValueError(f"kind must be one of {FAMILY_KINDS}; got {kind!r}")


def linear_factors(data: PatchData, combine: str = "sum", family: bool = False):
    """Per-sample Gauss–Newton factors of the linear model on patch data [derived].

    For :math:`f(w, x) = \\langle w, x^{(1)} + x^{(2)}\\rangle` (``combine="sum"``) the per-sample
    Hessian of the square loss at interpolation is :math:`g_ig_i^\\top` with
    :math:`g_i = y_i\\mu + \\xi_i`; for :math:`f(W, x) = \\langle w_1, x^{(1)}\\rangle + \\langle w_2, x^{(2)}\\rangle`
    (``"concat"``) it is :math:`g_i = [y_i\\mu, \\xi_i] \\in \\mathbb R^{2d}`. Both give

    .. math:: \\langle g_i, g_k\\rangle = y_iy_k\\|\\mu\\|^2 + \\langle\\xi_i, \\xi_k\\rangle

    for projected noise (``"sum"`` adds :math:`y_i\\langle\\mu,\\xi_k\\rangle + y_k\\langle\\xi_i,\\mu\\rangle`
    for isotropic noise). This is the "g_i = y_i mu + xi_i" of the stability brief, Sec. 7.

    Returns
    -------
    ndarray (n, d) or (n, 2d), or a :class:`HessianFamily` when ``family=True``.
    """
    if not isinstance(data, PatchData):
        raise ValueError(f"data must be a PatchData (from signal_noise_patches); got {type(data).__name__}")
    if combine == "sum":
        G = data.X[:, 0] + data.X[:, 1]
    elif combine == "concat":
        G = data.X.reshape(data.n, -1).copy()
    else:
        raise ValueError(f"combine must be 'sum' or 'concat'; got {combine!r}")
    return HessianFamily.from_factors(G) if family else G


def dexter_construction(n: int, sigma: int, lam: float = 2.0) -> HessianFamily:
    """The "Hessian test" of Dexter et al. (2024), Fig. 1. [paper]

    :math:`H_i = m e_1 e_1^\\top` for :math:`i \\le \\sigma` and :math:`H_i = m e_{i-\\sigma+1}e_{i-\\sigma+1}^\\top`
    for :math:`i > \\sigma`, :math:`m = \\lambda n/\\sigma`, :math:`d = n - \\sigma + 1`; then
    :math:`\\lambda_{\\max}(H) = \\lambda` for every :math:`\\sigma` (other eigenvalues :math:`\\lambda/\\sigma`).
    """
    n = check_int(n, "n", 1)
    sigma = check_int(sigma, "sigma", 1, n)
    lam = check_positive(lam, "lam")
    d = n - sigma + 1
    G = np.zeros((n, d))
    m = lam * n / sigma
    G[:sigma, 0] = np.sqrt(m)
    G[np.arange(sigma, n), np.arange(1, d)] = np.sqrt(m)
    return HessianFamily.from_factors(G)
