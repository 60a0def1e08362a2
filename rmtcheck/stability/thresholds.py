"""Closed-form thresholds of SGD stability, lambdified from the SymPy derivations in :mod:`rmtcheck.proofs`.

This is the single source of truth the numerics use: nothing here is retyped. Each function is
built on first use (SymPy is imported lazily; the first call derives every expression, about 2 s) and
evaluated in float64 (NumPy broadcasting applies), or with mpmath at 50 digits through
:func:`theorem1_ratio_mp` when an instance sits within ``1e-9`` of a threshold.

* :func:`theorem1_ratio`, :func:`theorem1_lr`, :func:`theorem1_ratio_mp`:
  :math:`r = (\\eta\\lambda/\\sigma)^2(n/B-1)` and :math:`\\eta_1 = \\sigma/(\\lambda\\sqrt{n/B-1})`, from
  [1]_, Theorem 1 [paper; ``proofs/dexter_theorem1.py``];
* :func:`theorem2_lr`, :func:`theorem2_factor`: :math:`\\eta_2 = 2\\sigma/(\\lambda(\\sigma+n/B-1))` and
  the exact growth factor of [1]_, Theorem 2's construction [derived; ``proofs/dexter_theorem2.py``];
* :func:`sandwich_ratio`: :math:`\\eta_1/\\eta_2 = (\\sigma+n/B-1)/(2\\sqrt{n/B-1}) \\ge 1` [derived;
  ``proofs/dexter_sandwich.py``];
* :func:`gd_lr`: :math:`2/\\lambda` [derived; ``proofs/dexter_gd_criterion.py``].

The ``proofs/`` folder of the repository is installed as :mod:`rmtcheck.proofs`.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Theorems 1 and 2.
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
    """The SymPy expression behind a threshold function (e.g. ``expression("theorem2_lr")``).

    Parameters
    ----------
    name : {"theorem1_ratio", "theorem1_lr", "theorem2_lr", "theorem2_factor", "sandwich_ratio", "gd_lr"}
        The threshold function.

    Returns
    -------
    sympy.Expr
        In the symbols of ``rmtcheck.proofs._common`` (``eta``, ``lambda``, ``sigma``, ``n``, ``B``).

    Raises
    ------
    KeyError
        If ``name`` is not one of the above.
    """
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
    """Theorem 1's ratio :math:`r = (\\eta\\lambda_{\\max}/\\sigma)^2 (n/B - 1)`; it asserts divergence when ``r >= 1``.

    Proved for bernoulli sampling; the package checks the stronger form :math:`\\rho(T) \\ge r`
    numerically ([derived, observed]; ``proofs/dexter_theorem1.py``).

    Parameters
    ----------
    lr : float or array_like
        Step size :math:`\\eta`.
    lam : float or array_like
        :math:`\\lambda_{\\max}(H)` of the mean Hessian (``lambda`` in the SymPy expression).
    sigma : float or array_like
        Coherence :math:`\\sigma` (:func:`~rmtcheck.stability.coherence.coherence`).
    n : int or array_like
        Number of samples.
    B : int or array_like
        Mean batch size (bernoulli sampling), ``1 <= B < n`` for a finite noise term.

    Returns
    -------
    float or ndarray
        :math:`r`.

    See Also
    --------
    theorem1_ratio_mp, theorem1_lr, near_threshold

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 1.
    """
    return _call("theorem1_ratio", eta=lr, **{"lambda": lam}, sigma=sigma, n=n, B=B)


def theorem1_ratio_mp(lr, lam, sigma, n, B, dps: int = _MP_DPS):
    """:func:`theorem1_ratio` in mpmath at ``dps`` digits (for instances near ``r = 1``).

    Parameters
    ----------
    lr, lam, sigma, n, B : float
        As in :func:`theorem1_ratio` (scalars; converted to ``mpmath.mpf``).
    dps : int, default 50
        Decimal digits of precision.

    Returns
    -------
    mpmath.mpf
        :math:`r` at ``dps`` digits.

    See Also
    --------
    theorem1_ratio, near_threshold
    """
    import mpmath

    with mpmath.workdps(dps):
        return _call("theorem1_ratio", "mpmath", eta=mpmath.mpf(lr), **{"lambda": mpmath.mpf(lam)},
                     sigma=mpmath.mpf(sigma), n=mpmath.mpf(n), B=mpmath.mpf(B))


def theorem1_lr(lam, sigma, n, B):
    """Theorem 1's divergence learning rate :math:`\\eta_1 = \\sigma / (\\lambda_{\\max}\\sqrt{n/B-1})` (``r = 1``).

    Parameters
    ----------
    lam : float or array_like
        :math:`\\lambda_{\\max}(H)` of the mean Hessian (``lambda`` in the SymPy expression).
    sigma : float or array_like
        Coherence :math:`\\sigma` (:func:`~rmtcheck.stability.coherence.coherence`).
    n : int or array_like
        Number of samples.
    B : int or array_like
        Mean batch size (bernoulli sampling), ``1 <= B < n`` for a finite noise term.

    Returns
    -------
    float or ndarray
        :math:`\\eta_1`; Theorem 1 asserts mean-square divergence for :math:`\\eta \\ge \\eta_1`, and
        :math:`\\eta_1 \\ge` :func:`theorem2_lr` (:func:`sandwich_ratio`).

    See Also
    --------
    theorem1_ratio, theorem2_lr, rmtcheck.stability.operator.critical_lr

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 1.
    """
    return _call("theorem1_lr", **{"lambda": lam}, sigma=sigma, n=n, B=B)


def theorem2_lr(lam, sigma, n, B):
    """Exact critical rate :math:`\\eta_2 = 2\\sigma/(\\lambda(\\sigma + n/B - 1))` of Theorem 2's construction.

    The construction: :math:`H_i = m e_1e_1^\\top` for :math:`i \\le \\sigma`, 0 otherwise,
    :math:`m = n\\lambda/\\sigma`, bernoulli batches. [derived; ``proofs/dexter_theorem2.py``]

    Parameters
    ----------
    lam : float or array_like
        :math:`\\lambda_{\\max}(H)` of the mean Hessian (``lambda`` in the SymPy expression).
    sigma : float or array_like
        Coherence :math:`\\sigma` (:func:`~rmtcheck.stability.coherence.coherence`).
    n : int or array_like
        Number of samples.
    B : int or array_like
        Mean batch size (bernoulli sampling), ``1 <= B < n`` for a finite noise term.

    Returns
    -------
    float or ndarray
        :math:`\\eta_2`: the construction is mean-square stable iff :math:`\\eta < \\eta_2`.

    See Also
    --------
    theorem2_factor, theorem1_lr, sandwich_ratio

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 2.
    """
    return _call("theorem2_lr", **{"lambda": lam}, sigma=sigma, n=n, B=B)


def theorem2_factor(lr, lam, sigma, n, B):
    """Growth factor :math:`e_1^\\top E[J^2] e_1` of Theorem 2's construction.

    :math:`e_1^\\top E[J^2] e_1 = (1-\\eta\\lambda)^2 + \\eta^2\\lambda^2 (n/B-1)/\\sigma` under
    bernoulli sampling; equals :math:`\\rho(T)` of the construction. [derived;
    ``proofs/dexter_theorem2.py``]

    Parameters
    ----------
    lr : float or array_like
        Step size :math:`\\eta`.
    lam : float or array_like
        :math:`\\lambda_{\\max}(H)` of the mean Hessian (``lambda`` in the SymPy expression).
    sigma : float or array_like
        Coherence :math:`\\sigma` (:func:`~rmtcheck.stability.coherence.coherence`).
    n : int or array_like
        Number of samples.
    B : int or array_like
        Mean batch size (bernoulli sampling), ``1 <= B < n`` for a finite noise term.

    Returns
    -------
    float or ndarray
        The exact mean-square growth factor per step.

    See Also
    --------
    theorem2_lr

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 2.
    """
    return _call("theorem2_factor", eta=lr, **{"lambda": lam}, sigma=sigma, n=n, B=B)


def sandwich_ratio(sigma, n, B):
    """Sandwich ratio :math:`T_1/T_2 = \\eta_1/\\eta_2 = (\\sigma + n/B - 1)/(2\\sqrt{n/B-1}) \\ge 1`.

    By AM–GM, with equality iff :math:`\\sigma = 1` and :math:`n/B = 2`. [derived;
    ``proofs/dexter_sandwich.py``]

    Parameters
    ----------
    sigma : float or array_like
        Coherence :math:`\\sigma`.
    n : int or array_like
        Number of samples.
    B : int or array_like
        Mean batch size, ``1 <= B < n``.

    Returns
    -------
    float or ndarray
        :func:`theorem1_lr` divided by :func:`theorem2_lr`.

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorems 1 and 2.
    """
    return _call("sandwich_ratio", sigma=sigma, n=n, B=B)


def gd_lr(lam):
    """The full-batch gradient-descent threshold :math:`2/\\lambda_{\\max}`.

    Gradient descent is stable iff :math:`0 < \\eta < 2/\\lambda_{\\max}(H)`, and the critical learning
    rate of SGD never exceeds it. [derived; ``proofs/dexter_gd_criterion.py``]

    Parameters
    ----------
    lam : float or array_like
        :math:`\\lambda_{\\max}(H)`.

    Returns
    -------
    float or ndarray
    """
    return _call("gd_lr", **{"lambda": lam})


def near_threshold(value: float, threshold: float = 1.0, tol: float = 1e-9) -> bool:
    """Whether ``value`` is within ``tol`` (relative) of ``threshold``: then use the mpmath path.

    Parameters
    ----------
    value : float
        E.g. :func:`theorem1_ratio`.
    threshold : float, default 1.0
        The boundary.
    tol : float, default 1e-9
        Relative tolerance (relative to ``max(1, |threshold|)``).

    Returns
    -------
    bool

    See Also
    --------
    theorem1_ratio_mp

    Examples
    --------
    >>> near_threshold(1.0 + 1e-12), near_threshold(1.01)
    (True, False)
    """
    return abs(value - threshold) <= tol * max(1.0, abs(threshold))
