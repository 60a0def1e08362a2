"""Random-matrix laws: the Marchenko–Pastur distribution and the Bai–Yin / Tracy–Widom edge.

Conventions
-----------
Let :math:`W` be :math:`N \\times M` with i.i.d. centred entries of variance :math:`s^2` and let
:math:`q = M/N` (the *ratio*). The eigenvalues of :math:`C = W^\\top W / N` (:math:`M \\times M`)
converge to the Marchenko–Pastur law with ratio :math:`q` and scale :math:`s^2`
[paper: Marchenko & Pastur 1967; theory brief 3, Sec. 1]:

.. math::

    \\rho_{q,s^2}(x) = \\frac{\\sqrt{(\\lambda_+ - x)(x - \\lambda_-)}}{2\\pi\\, q\\, s^2\\, x},
    \\qquad \\lambda_\\pm = s^2 (1 \\pm \\sqrt q)^2, \\qquad 0 < q \\le 1 .

**The atom at zero (q > 1).** For :math:`q > 1` the matrix :math:`C` has rank :math:`N < M`, and its
limiting law has an atom of mass :math:`1 - 1/q` at zero. This module implements **the law of the
nonzero eigenvalues** (the continuous part renormalised to mass one):

.. math::

    \\rho^{\\ne 0}_{q,s^2}(x) = \\frac{\\sqrt{(\\lambda_+ - x)(x - \\lambda_-)}}{2\\pi\\, s^2\\, x},
    \\qquad \\lambda_\\pm = s^2(\\sqrt q \\pm 1)^2, \\qquad q > 1,

which is the law of :math:`q\\,X` with :math:`X \\sim \\mathrm{MP}(1/q, s^2)` (the nonzero
eigenvalues of :math:`W^\\top W/N` are those of :math:`W W^\\top / N = q\\, W W^\\top / M`). [derived]
So for every ``ratio`` the support is :math:`[(1-\\sqrt q)^2, (1+\\sqrt q)^2]\\, s^2`, the mean is
:math:`\\max(1, q)\\, s^2` and the variance :math:`q\\, s^4`. To compare with an empirical spectrum for
:math:`q > 1`, drop the :math:`M - N` structural zeros first (:func:`rmtcheck.spectral.esd` does).

The ``scale`` of every function here is the **entry variance** :math:`s^2` (not its square root); it
is exactly scipy's ``scale`` parameter of the frozen distribution.

CDF in closed form [derived]: with :math:`a = \\lambda_-`, :math:`b = \\lambda_+`,
:math:`r(x) = \\sqrt{(b-x)(x-a)}`,

.. math::

    G(x) = r(x) + \\frac{a+b}{2} \\arcsin\\frac{2x - a - b}{b - a}
           - \\sqrt{ab}\\, \\arcsin\\frac{(a+b)x - 2ab}{x(b-a)},
    \\qquad F(x) = \\frac{G(x) - G(a)}{G(b) - G(a)},

with :math:`G(b) - G(a) = \\tfrac{\\pi}{2}(\\sqrt b - \\sqrt a)^2`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from rmtcheck._lib.validation import check_int, check_positive
from rmtcheck._lib.validation import as_finite_array

__all__ = [
    "MarchenkoPasturGen", "mp", "marchenko_pastur", "mp_edges", "bai_yin_edge", "tracy_widom_edge",
    "gram_mp", "gram_edge", "mp_ks",
]


def _edges(q):
    sq = np.sqrt(q)
    return (1.0 - sq) ** 2, (1.0 + sq) ** 2


class MarchenkoPasturGen(stats.rv_continuous):
    """Marchenko–Pastur law of ratio ``q`` (shape parameter), unit scale; see the module docstring.

    For ``q > 1`` this is the law of the nonzero eigenvalues (the atom ``1 - 1/q`` at zero is dropped
    and the continuous part renormalised). Use ``scale=s**2`` for entry variance :math:`s^2`.
    """

    def _argcheck(self, q):
        return (q > 0) & np.isfinite(q)

    def _get_support(self, q):
        return _edges(q)

    def _norm(self, q):
        # 2 pi q for q <= 1 ; 2 pi for the nonzero law at q > 1
        return 2.0 * np.pi * np.where(q <= 1.0, q, 1.0)

    def _pdf(self, x, q):
        a, b = _edges(q)
        inside = (x > a) & (x < b) & (x > 0)
        xs = np.where(inside, x, 0.5 * (a + b))
        val = np.sqrt(np.clip((b - xs) * (xs - a), 0.0, None)) / (self._norm(q) * xs)
        return np.where(inside, val, 0.0)

    @staticmethod
    def _G(x, a, b):
        r = np.sqrt(np.clip((b - x) * (x - a), 0.0, None))
        t1 = 0.5 * (a + b) * np.arcsin(np.clip((2.0 * x - a - b) / (b - a), -1.0, 1.0))
        sab = np.sqrt(a * b)
        with np.errstate(divide="ignore", invalid="ignore"):
            arg = ((a + b) * x - 2.0 * a * b) / (x * (b - a))
        t2 = np.where(sab > 0, sab * np.arcsin(np.clip(np.nan_to_num(arg, nan=1.0), -1.0, 1.0)), 0.0)
        return r + t1 - t2

    def _cdf(self, x, q):
        a, b = _edges(q)
        xs = np.clip(x, a, b)
        xs = np.where(xs <= 0, np.finfo(float).tiny, xs)
        G = self._G(xs, a, b)
        Ga = 0.5 * np.pi * (-0.5 * (a + b) + np.sqrt(a * b))
        total = 0.5 * np.pi * (np.sqrt(b) - np.sqrt(a)) ** 2
        return np.clip((G - Ga) / total, 0.0, 1.0)

    def _sf(self, x, q):
        return 1.0 - self._cdf(x, q)

    def _ppf(self, p, q):
        # vectorised bisection on the closed-form CDF (monotone); 80 halvings reach float64 resolution
        p, q = np.broadcast_arrays(np.asarray(p, float), np.asarray(q, float))
        a, b = _edges(q)
        lo, hi = np.array(a, dtype=float, copy=True), np.array(b, dtype=float, copy=True)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            below = self._cdf(mid, q) < p
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def _stats(self, q):
        mean = np.where(q <= 1.0, 1.0, q)
        var = q
        # third and fourth free-cumulant moments are not needed by the package
        return mean, var, None, None


#: The unfrozen distribution (``mp.pdf(x, q, scale=s2)``).
mp = MarchenkoPasturGen(name="marchenko_pastur", a=0.0, shapes="q")


def _check_ratio(ratio) -> float:
    return check_positive(ratio, "ratio")


def marchenko_pastur(ratio, scale: float = 1.0):
    """Frozen Marchenko–Pastur distribution.

    Parameters
    ----------
    ratio : float
        :math:`q = M/N > 0` for :math:`C = W^\\top W/N`, ``W`` of shape ``(N, M)``. For ``q > 1`` the
        law of the **nonzero** eigenvalues (module docstring). [paper for q <= 1; derived for q > 1]
    scale : float
        Entry variance :math:`s^2 > 0`.

    Returns
    -------
    scipy.stats frozen distribution with ``pdf``, ``cdf``, ``ppf``, ``rvs``, ``support``, ``mean`` ...

    Examples
    --------
    >>> d = marchenko_pastur(0.25)
    >>> [round(v, 4) for v in d.support()]
    [0.25, 2.25]
    """
    q = _check_ratio(ratio)
    s2 = check_positive(scale, "scale")
    return mp(q, scale=s2)


def mp_edges(ratio, scale: float = 1.0) -> tuple[float, float]:
    """Bulk edges :math:`\\lambda_\\pm = s^2 (1 \\pm \\sqrt q)^2` (for ``q > 1``: :math:`s^2(\\sqrt q \\pm 1)^2`,
    the same numbers). [paper; theory brief 3, Sec. 1]"""
    q = _check_ratio(ratio)
    s2 = check_positive(scale, "scale")
    a, b = _edges(q)
    return float(s2 * a), float(s2 * b)


def bai_yin_edge(n_rows, n_cols, scale: float = 1.0) -> float:
    """Largest eigenvalue of the *unnormalised* Gram matrix :math:`W^\\top W` of an ``n_rows x n_cols``
    matrix with entry variance :math:`s^2`, to leading order (Bai & Yin 1993) [paper]:

    .. math:: \\lambda_{\\max}(W^\\top W) \\approx s^2 (\\sqrt{N} + \\sqrt{M})^2 .

    Equal to ``N * mp_edges(M/N, s2)[1]``.
    """
    N = check_int(n_rows, "n_rows", 1)
    M = check_int(n_cols, "n_cols", 1)
    s2 = check_positive(scale, "scale")
    return float(s2 * (np.sqrt(N) + np.sqrt(M)) ** 2)


def tracy_widom_edge(n_rows, n_cols, scale: float = 1.0) -> tuple[float, float]:
    """Centring and scale of :math:`\\lambda_{\\max}(W^\\top W)` for Gaussian ``W`` (Johnstone 2001,
    Theorem 1.1) [paper]:

    .. math::

        \\mu = s^2(\\sqrt{N-1} + \\sqrt{M})^2, \\qquad
        \\sigma = s^2(\\sqrt{N-1} + \\sqrt{M})\\Big(\\tfrac{1}{\\sqrt{N-1}} + \\tfrac{1}{\\sqrt M}\\Big)^{1/3},

    so that :math:`(\\lambda_{\\max} - \\mu)/\\sigma` is asymptotically Tracy–Widom (β = 1; mean
    ≈ −1.21, sd ≈ 1.27). Symmetric in the two dimensions up to the ``-1``; the finite-size
    fluctuation of the edge is :math:`\\sigma` (divide both by ``N`` for :math:`W^\\top W/N`).
    """
    N = check_int(n_rows, "n_rows", 2)
    M = check_int(n_cols, "n_cols", 1)
    s2 = check_positive(scale, "scale")
    n1, p = max(N, M), min(N, M)
    r = np.sqrt(n1 - 1) + np.sqrt(p)
    mu = s2 * r**2
    sigma = s2 * r * (1.0 / np.sqrt(n1 - 1) + 1.0 / np.sqrt(p)) ** (1.0 / 3.0)
    return float(mu), float(sigma)


def gram_mp(n, k, scale: float = 1.0):
    """Marchenko–Pastur law of the eigenvalues of :math:`\\Xi\\Xi^\\top/k` for :math:`\\Xi` of shape
    ``(n, k)`` with entry variance ``scale`` [paper: Marchenko & Pastur 1967].

    In :mod:`rmtcheck.laws` conventions :math:`W = \\Xi^\\top` (``N = k`` rows, ``M = n`` columns), so the
    ratio is :math:`q = n/k`; for :math:`n > k` the law of the nonzero eigenvalues (drop the
    :math:`n - k` zeros). Projected noise lives in :math:`d-1` dimensions: pass ``k = d - 1``.
    """
    n = check_int(n, "n", 1)
    k = check_int(k, "k", 1)
    return marchenko_pastur(n / k, scale)


def gram_edge(n, k, scale: float = 1.0) -> tuple[float, float, float]:
    """Edge of :math:`\\lambda_{\\max}(\\Xi\\Xi^\\top)`: ``(bai_yin, tw_centre, tw_scale)`` with
    :math:`s^2(\\sqrt k + \\sqrt n)^2` (Bai–Yin) and Johnstone's centring and scale
    (:func:`rmtcheck.laws.tracy_widom_edge`) [paper]."""
    n = check_int(n, "n", 2)
    k = check_int(k, "k", 2)
    s2 = check_positive(scale, "scale")
    mu, sg = tracy_widom_edge(k, n, s2)
    return float(s2 * (np.sqrt(k) + np.sqrt(n)) ** 2), mu, sg


def mp_ks(eigs, n, k, scale: float = 1.0) -> dict:
    """KS comparison of Gram spectra with :func:`gram_mp`.

    Parameters
    ----------
    eigs : array (m, n)
        Eigenvalues of :math:`\\Xi\\Xi^\\top` (unnormalised) for ``m`` instances.

    Returns
    -------
    dict with per-instance KS statistics and p-values (``D``, ``p``), and the pooled test
    (``D_pooled``, ``p_pooled``). The per-instance test treats the ``n`` eigenvalues as a sample;
    eigenvalue repulsion makes it conservative. The pooled test over ``m`` instances compares the
    *mean* finite-``n`` spectral density with the limit law and therefore detects the :math:`O(1/n)`
    finite-size correction once :math:`m\\,n` is large (its p-value is not exact either, the
    eigenvalues of one instance being dependent).
    """
    E = as_finite_array(eigs, "eigs", ndim=2)
    n = check_int(n, "n", 1)
    k = check_int(k, "k", 1)
    if E.shape[1] != n:
        raise ValueError(f"eigs must have n={n} columns; got shape {E.shape}")
    E = np.sort(E, axis=1)[:, -min(n, k):] / k
    law = gram_mp(n, k, scale)
    # vectorised one-sample KS for every row
    r = E.shape[1]
    F = law.cdf(E)
    i = np.arange(1, r + 1)
    D = np.maximum((i / r - F).max(axis=1), (F - (i - 1) / r).max(axis=1))
    p = stats.kstwo.sf(D, r)
    pooled = stats.kstest(E.ravel(), law.cdf)
    return {"D": D, "p": p, "D_pooled": float(pooled.statistic), "p_pooled": float(pooled.pvalue),
            "ratio": n / k}
