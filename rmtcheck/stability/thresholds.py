"""Closed-form thresholds, lambdified from the SymPy derivations in :mod:`rmtcheck.proofs`.

This is the single source of truth the numerics use: nothing here is retyped. Each function is
built on first use (SymPy is imported lazily) and evaluated in float64, or with mpmath at 50 digits
through :func:`theorem1_ratio_mp` when an instance sits within ``1e-9`` of a threshold.
"""

from __future__ import annotations

from functools import cache

__all__ = [
    "theorem1_ratio",
    "theorem1_lr",
    "theorem1_ratio_mp",
    "theorem2_lr",
    "theorem2_factor",
    "sandwich_ratio",
    "gd_lr",
    "near_threshold",
    "expression",
]

_MP_DPS = 50


@cache
def _derived():
    from rmtcheck.proofs import dexter_gd_criterion as gd_criterion
    from rmtcheck.proofs import dexter_sandwich as sandwich
    from rmtcheck.proofs import dexter_theorem1 as theorem1
    from rmtcheck.proofs import dexter_theorem2 as theorem2

    t1, t2 = theorem1.derive(), theorem2.derive()
    return {
        "theorem1_ratio": t1["ratio"],
        "theorem1_lr": t1["critical_lr_bound"],
        "theorem2_lr": t2["critical_lr"],
        "theorem2_factor": t2["e1_factor"],
        "sandwich_ratio": sandwich.derive()["ratio"],
        "gd_lr": gd_criterion.derive()["critical_lr"],
    }


def expression(name: str):
    """The SymPy expression behind a threshold function (e.g. ``expression("theorem2_lr")``)."""
    return _derived()[name]


@cache
def _fn(name: str, module: str = "numpy"):
    import sympy as sp

    from rmtcheck.proofs._common import B, eta, lam, n, sigma

    expr = _derived()[name]
    args = [s for s in (eta, lam, sigma, n, B) if s in expr.free_symbols]
    return sp.lambdify(args, expr, modules=module), [str(a) for a in args]


def _call(name, module="numpy", **values):
    f, names = _fn(name, module)
    return f(*[values[k] for k in names])


def theorem1_ratio(lr, lam, sigma, n, B):
    """:math:`r = (\\eta\\lambda_{\\max}/\\sigma)^2 (n/B - 1)`; Theorem 1 asserts divergence when ``r >= 1``."""
    return _call("theorem1_ratio", eta=lr, **{"lambda": lam}, sigma=sigma, n=n, B=B)


def theorem1_ratio_mp(lr, lam, sigma, n, B, dps: int = _MP_DPS):
    """:func:`theorem1_ratio` in mpmath at ``dps`` digits (for instances near ``r = 1``)."""
    import mpmath

    with mpmath.workdps(dps):
        return _call("theorem1_ratio", "mpmath", eta=mpmath.mpf(lr), **{"lambda": mpmath.mpf(lam)},
                     sigma=mpmath.mpf(sigma), n=mpmath.mpf(n), B=mpmath.mpf(B))


def theorem1_lr(lam, sigma, n, B):
    """:math:`\\eta_1 = \\sigma / (\\lambda_{\\max}\\sqrt{n/B-1})`: Theorem 1's divergence learning rate."""
    return _call("theorem1_lr", **{"lambda": lam}, sigma=sigma, n=n, B=B)


def theorem2_lr(lam, sigma, n, B):
    """:math:`\\eta_2 = 2\\sigma/(\\lambda(\\sigma + n/B - 1))`: exact critical rate of the construction."""
    return _call("theorem2_lr", **{"lambda": lam}, sigma=sigma, n=n, B=B)


def theorem2_factor(lr, lam, sigma, n, B):
    """:math:`e_1^\\top E[J^2] e_1 = (1-\\eta\\lambda)^2 + \\eta^2\\lambda^2 (n/B-1)/\\sigma` (bernoulli)."""
    return _call("theorem2_factor", eta=lr, **{"lambda": lam}, sigma=sigma, n=n, B=B)


def sandwich_ratio(sigma, n, B):
    """:math:`T_1/T_2 = (\\sigma + n/B - 1)/(2\\sqrt{n/B-1}) \\ge 1`."""
    return _call("sandwich_ratio", sigma=sigma, n=n, B=B)


def gd_lr(lam):
    """:math:`2/\\lambda_{\\max}`: the full-batch gradient-descent threshold."""
    return _call("gd_lr", **{"lambda": lam})


def near_threshold(value: float, threshold: float = 1.0, tol: float = 1e-9) -> bool:
    """True when ``value`` is within ``tol`` (relative) of ``threshold``: use the mpmath path."""
    return abs(value - threshold) <= tol * max(1.0, abs(threshold))
