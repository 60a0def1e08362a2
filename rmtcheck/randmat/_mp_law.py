"""The Marchenko–Pastur law as a :class:`scipy.stats.rv_continuous` (private: importing it imports SciPy's stats).

:mod:`rmtcheck.randmat.marchenko_pastur` re-exports :class:`MarchenkoPasturGen` and :data:`mp` lazily.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from rmtcheck.randmat.marchenko_pastur import _edges


class MarchenkoPasturGen(stats.rv_continuous):
    """Marchenko–Pastur distribution of ratio ``q`` (a :class:`scipy.stats.rv_continuous` subclass).

    The density, CDF, quantile function and first two moments are those of the module docstring, at
    unit scale; scipy's ``scale`` argument is the entry variance :math:`s^2`. For ``q > 1`` the law is
    that of the **nonzero** eigenvalues (the atom :math:`1 - 1/q` at zero is dropped and the continuous
    part renormalised). Use the instance :data:`mp` or the frozen :func:`marchenko_pastur`.

    Parameters
    ----------
    q : float
        Shape parameter, the ratio :math:`q = M/N > 0` (finite).
    loc, scale : float
        scipy's location and scale; keep ``loc = 0`` and pass the entry variance as ``scale``.

    See Also
    --------
    marchenko_pastur : Frozen law with validated arguments.
    mp_edges : Edges of the support.

    Notes
    -----
    Support :math:`[(1-\\sqrt q)^2, (1+\\sqrt q)^2]`, mean :math:`\\max(1, q)` and variance :math:`q` (times
    ``scale`` and ``scale**2``); skewness and kurtosis are left to scipy's numerical fallback.

    References
    ----------
    .. [1] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
       matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].

    Examples
    --------
    >>> print(f"{float(mp.cdf(1.0, 0.25)):.4f}")
    0.5534
    >>> print(f"{float(mp.mean(4.0, scale=0.5)):.2f}")
    2.00
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
