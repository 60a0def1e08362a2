"""Power-law fits of eigenvalue tails (WeightWatcher's alpha and the Hill estimator)."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive, check_unit_interval

__all__ = [
    "CONVENTIONS", "ECDFS", "PowerLawFit", "fit_powerlaw", "hill_alpha", "powerlaw_alpha_at",
]


CONVENTIONS = ("ww", "hill")


ECDFS = ("two-sided", "left")


_DROP_RTOL = 1e-5


_BLOCK_ELEMS = 1 << 20  # about 8 MB of float64 per working array in the KS scan


@dataclass
class PowerLawFit:
    """CSN power-law fit with the whole α-versus-x_min curve.

    ``xmins[i]``, ``alphas[i]``, ``ks_curve[i]``, ``n_tails[i]`` describe candidate ``i``; ``index``
    is the chosen one. ``ci`` is the bootstrap percentile interval (NaNs when no bootstrap ran).
    """

    alpha: float
    xmin: float
    ks_distance: float
    n_tail: int
    alpha_stderr: float
    convention: str
    ecdf: str
    index: int
    xmins: np.ndarray
    alphas: np.ndarray
    ks_curve: np.ndarray
    n_tails: np.ndarray
    n_used: int  # eigenvalues kept after dropping those <= 1e-5 * max
    min_tail: int  # effective minimum tail size
    ci: tuple = (float("nan"), float("nan"))
    ci_level: float = 0.95
    n_boot: int = 0
    bootstrap_mode: str = "none"


def _check_convention(convention, ecdf):
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}; got {convention!r}")
    if ecdf not in ECDFS:
        raise ValueError(f"ecdf must be one of {ECDFS}; got {ecdf!r}")
    return 0 if convention == "ww" else 1


def _positive_sorted(evals, drop_rtol=_DROP_RTOL) -> np.ndarray:
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size and np.min(ev) < 0:
        # tiny negative round-off of PSD spectra is clipped; anything else is an error
        if np.min(ev) < -1e-8 * max(np.max(np.abs(ev)), np.finfo(float).tiny):
            raise ValueError(f"evals must be >= 0 (eigenvalues of W^T W); got min {np.min(ev):.3g}")
    ev = np.sort(ev)
    if ev.size == 0 or ev[-1] <= 0:
        raise ValueError("evals has no positive eigenvalue; a power law cannot be fitted")
    return ev[ev > drop_rtol * ev[-1]]


def _scan(L: np.ndarray, offset: int, min_tail: int, ecdf: str):
    """All candidates' (alpha, D, m) from sorted logs ``L`` (vectorised; see module docstring)."""
    n = L.size
    # candidate i has tail j >= i + offset with m_i = n - i - offset points; need m_i >= min_tail
    last = n - offset - min_tail
    idx = np.arange(last + 1)
    m = (n - idx - offset).astype(float)
    suffix = np.cumsum(L[::-1])[::-1]  # suffix[i] = sum_{j >= i} L_j
    logsum = suffix[idx] - (n - idx) * L[idx]  # sum_{j >= i} ln(l_j / l_i); the j = i term is 0
    with np.errstate(divide="ignore"):
        alphas = np.where(logsum > 0, 1.0 + m / np.where(logsum > 0, logsum, 1.0), np.inf)
    # With U_ij = r/m_i = 1 + (j - n)/m_i and E_ij = exp(-(alpha_i - 1)(L_j - L_i)) the fitted CDF is
    # P = 1 - E, so with V = E + (j - n)/m_i:  P - r/m = -V  and  (r+1)/m - P = V + 1/m.
    # Two-sided D_i = max(-min V, max V + 1/m_i); left D_i = max(-min V, max V).  Entries left of the
    # tail (j < i + offset) are overwritten by the row's first tail entry, which changes neither extreme.
    D = np.empty(idx.size)
    a1 = alphas - 1.0
    inv_m = 1.0 / m
    jn = np.arange(n, dtype=float) - n
    block = 64
    extra = 1.0 if ecdf == "two-sided" else 0.0
    for s in range(0, idx.size, block):
        I = idx[s:s + block]
        B = I.size
        j0 = int(I[0])
        ab = np.where(np.isfinite(a1[s:s + B]), a1[s:s + B], 0.0)
        V = np.multiply.outer(-ab, L[j0:])
        V += (ab * L[I])[:, None]
        np.exp(V, out=V)
        V += np.multiply.outer(inv_m[s:s + B], jn[j0:])
        # left-of-tail triangle (columns j0 .. I[-1] + offset - 1)
        w = min(B + offset, V.shape[1])
        rel = np.arange(w)[None, :] < (I - j0 + offset)[:, None]
        first = V[np.arange(B), np.minimum(I - j0 + offset, V.shape[1] - 1)]
        V[:, :w] = np.where(rel, first[:, None], V[:, :w])
        D[s:s + B] = np.maximum(-V.min(axis=1), V.max(axis=1) + extra * inv_m[s:s + B])
    # infinite alpha (all tail points equal): no fit there
    D = np.where(np.isfinite(alphas), D, np.inf)
    return idx, alphas, D, m.astype(int)


def fit_powerlaw(evals, min_tail: int = 50, convention: str = "ww", ecdf: str = "two-sided",
                 xmin=None, bootstrap: int = 0, ci_level: float = 0.95, bootstrap_mode: str = "fixed-xmin",
                 rng=None, drop_rtol: float = _DROP_RTOL) -> PowerLawFit:
    """CSN power-law fit of an ESD with the vectorised :math:`x_{\\min}` scan.

    Parameters
    ----------
    evals : 1-D array
        Eigenvalues (order irrelevant); those :math:`\\le` ``drop_rtol * max`` are dropped.
    min_tail : int
        Minimum number of tail points (default 50, the guard of theory brief 3). When fewer points
        remain after the drop, the effective minimum is all of them (a single candidate, the smallest
        eigenvalue); ``PowerLawFit.min_tail`` reports the value used.
    convention : {"ww", "hill"}
        Tail counting convention (module docstring).
    ecdf : {"two-sided", "left"}
        KS convention; ``"left"`` reproduces the ``powerlaw`` package.
    xmin : float, optional
        Fix :math:`x_{\\min}` (the largest retained eigenvalue :math:`\\le` ``xmin`` is used) instead of
        scanning.
    bootstrap : int
        Number of bootstrap replicates for the CI (0: none).
    bootstrap_mode : {"fixed-xmin", "full"}
    rng : seed or Generator, for the bootstrap.

    Returns
    -------
    PowerLawFit
    """
    offset = _check_convention(convention, ecdf)
    min_tail = check_int(min_tail, "min_tail", 2)
    bootstrap = check_int(bootstrap, "bootstrap", 0)
    ci_level = check_unit_interval(ci_level, "ci_level")
    if bootstrap_mode not in ("fixed-xmin", "full"):
        raise ValueError(f"bootstrap_mode must be 'fixed-xmin' or 'full'; got {bootstrap_mode!r}")
    x = _positive_sorted(evals, drop_rtol)
    n = x.size
    if n - offset < 2:
        raise ValueError(f"evals must have at least {2 + offset} eigenvalues above {drop_rtol:g} * max; got {n}")
    mt = min(min_tail, n - offset)
    L = np.log(x)
    idx, alphas, D, m = _scan(L, offset, mt, ecdf)
    if xmin is not None:
        xmin = check_positive(xmin, "xmin")
        cand = np.flatnonzero(x[idx] <= xmin * (1 + 1e-12))
        if cand.size == 0:
            raise ValueError(f"xmin must be >= the smallest retained eigenvalue {x[0]:.6g}; got {xmin!r}")
        k = int(cand[-1])
    else:
        if not np.any(np.isfinite(D)):
            raise ValueError("evals: every candidate tail is degenerate (all tail eigenvalues equal)")
        k = int(np.argmin(D))
    a = float(alphas[k])
    fit = PowerLawFit(alpha=a, xmin=float(x[idx[k]]), ks_distance=float(D[k]), n_tail=int(m[k]),
                      alpha_stderr=float((a - 1.0) / np.sqrt(m[k])), convention=convention, ecdf=ecdf,
                      index=k, xmins=x[idx], alphas=alphas, ks_curve=D, n_tails=m, n_used=n, min_tail=mt,
                      ci_level=ci_level)
    if bootstrap:
        gen = as_generator(rng)
        if bootstrap_mode == "fixed-xmin":
            reps = _bootstrap_fixed(L, int(idx[k]), offset, bootstrap, gen)
        else:
            reps = np.empty(bootstrap)
            for b in range(bootstrap):
                xb = np.sort(x[gen.integers(0, n, n)])
                Lb = np.log(xb)
                _, ab, Db, _ = _scan(Lb, offset, mt, ecdf)
                reps[b] = ab[int(np.argmin(Db))] if np.any(np.isfinite(Db)) else np.nan
        reps = reps[np.isfinite(reps)]
        if reps.size:
            lo = float(np.quantile(reps, (1 - ci_level) / 2))
            hi = float(np.quantile(reps, 1 - (1 - ci_level) / 2))
            fit.ci = (lo, hi)
        fit.n_boot = bootstrap
        fit.bootstrap_mode = bootstrap_mode
    return fit


def _bootstrap_fixed(L, i, offset, B, gen):
    n = L.size
    out = np.full(B, np.nan)
    chunk = max(1, _BLOCK_ELEMS // n)
    for s in range(0, B, chunk):
        b = min(chunk, B - s)
        draw = gen.integers(0, n, (b, n))
        inside = draw >= i + offset  # sorted: index order is value order
        cnt = inside.sum(axis=1)
        ls = np.where(inside, L[draw] - L[i], 0.0).sum(axis=1)
        ok = (cnt >= 1) & (ls > 0)
        out[s:s + b] = np.where(ok, 1.0 + cnt / np.where(ok, ls, 1.0), np.nan)
    return out


def powerlaw_alpha_at(evals, xmin, convention: str = "ww") -> tuple[float, int]:
    """MLE :math:`\\hat\\alpha` and tail size at a fixed threshold ``xmin`` (must be an eigenvalue or
    between eigenvalues; ``"ww"`` counts points :math:`\\ge x_{\\min}`, ``"hill"`` points :math:`> x_{\\min}`)."""
    offset = _check_convention(convention, "two-sided")
    x = _positive_sorted(evals)
    xmin = check_positive(xmin, "xmin")
    tail = x[x >= xmin] if offset == 0 else x[x > xmin]
    s = float(np.sum(np.log(tail / xmin)))
    if tail.size == 0 or s <= 0:
        raise ValueError(f"xmin={xmin!r} leaves no tail with positive log-sum")
    return 1.0 + tail.size / s, int(tail.size)


def hill_alpha(evals, k) -> float:
    """Hill's top-:math:`k` estimator in density form [paper: Hill 1975; brief Sec. 2]:

    .. math:: \\hat\\alpha_{\\rm Hill}(k) = 1 + \\frac{k}{\\sum_{i=1}^{k}\\ln(\\lambda_{(i)}/\\lambda_{(k+1)})},

    :math:`\\lambda_{(1)} \\ge \\lambda_{(2)} \\ge \\dots` (descending). WeightWatcher's count at
    :math:`x_{\\min} = \\lambda_{(k+1)}` uses :math:`k + 1` points and the same log-sum.
    """
    x = _positive_sorted(evals)
    k = check_int(k, "k", 1, x.size - 1)
    top = x[::-1][: k + 1]
    s = float(np.sum(np.log(top[:k] / top[k])))
    if s <= 0:
        raise ValueError(f"k={k}: the top {k + 1} eigenvalues are equal; Hill's estimator is undefined")
    return 1.0 + k / s
