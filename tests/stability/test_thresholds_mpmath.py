"""Closed-form thresholds near their boundaries, against mpmath at 60 digits.

The reference for Dexter et al.'s Theorem 2 construction (:math:`H_i = m e_1e_1^\\top` for :math:`i \\le s`, 0 for the
other :math:`n - s` samples, :math:`m = n\\lambda/s`) is derived here from the batch count :math:`K` of the first
:math:`s` samples: :math:`J_{11} = 1 - \\eta mK/B` with :math:`\\mathbb EK = sB/n`, so

.. math:: \\mathbb E J_{11}^2 = (1-\\eta\\lambda)^2 + \\eta^2\\lambda^2 c,\\qquad \\eta^* = \\frac{2}{\\lambda(1 + c)},\\qquad
          c = \\frac{m^2\\operatorname{Var}K}{\\lambda^2B^2} = \\begin{cases}
          (n/B - 1)/s & \\text{bernoulli: } K \\sim \\mathrm{Bin}(s, B/n)\\\\
          (n-s)(n-B)/(sB(n-1)) & \\text{without replacement: } K \\sim \\mathrm{Hypergeom}(n, s, B)\\\\
          (n-s)/(sB) & \\text{with replacement: } K \\sim \\mathrm{Bin}(B, s/n)
          \\end{cases}

(the bernoulli case is Dexter's factor :math:`(1-\\eta\\lambda)^2 + \\eta^2\\lambda^2(n/B-1)/\\sigma` with
:math:`\\sigma = s`). All of it is evaluated in mpmath, at step sizes within :math:`10^{-9}` (relative) of
:math:`\\eta^*`, where float64 still resolves the sign of :math:`\\rho - 1` but only barely.
"""

import mpmath
import numpy as np
import pytest

from rmtcheck.stability.operator import critical_lr, ms_growth
from rmtcheck.stability.thresholds import (
    gd_lr,
    near_threshold,
    sandwich_ratio,
    theorem1_lr,
    theorem1_ratio,
    theorem1_ratio_mp,
    theorem2_factor,
    theorem2_lr,
)

DPS = 60
CASES = [  # (lambda, s, n, B)
    (1.0, 1, 2, 1), (2.5, 3, 10, 2), (0.37, 7, 50, 5), (13.0, 2, 9, 8), (4.2, 5, 5, 1), (1.0, 1, 1000, 1),
]


def _c(sampling, s, n, B):
    s, n, B = (mpmath.mpf(v) for v in (s, n, B))
    if sampling == "bernoulli":
        return (n / B - 1) / s
    if sampling == "without_replacement":
        return (n - s) * (n - B) / (s * B * (n - 1)) if n > 1 else mpmath.mpf(0)
    return (n - s) / (s * B)


def _factor(sampling, lam, s, n, B, lr):
    """:math:`(1-\\eta\\lambda)^2 + \\eta^2\\lambda^2c` in mpmath (``lr`` and ``lam`` taken exactly as given)."""
    lam, lr = mpmath.mpf(lam), mpmath.mpf(lr)
    return (1 - lr * lam) ** 2 + lr**2 * lam**2 * _c(sampling, s, n, B)


def _eta_star(sampling, lam, s, n, B):
    return 2 / (mpmath.mpf(lam) * (1 + _c(sampling, s, n, B)))


def _construction(lam, s, n, rotate):
    """The members: (n, 1) factors, or a rotated 2-D stack with a weak, stable second direction on every member."""
    m = n * lam / s
    if not rotate:
        return np.sqrt(m) * (np.arange(n) < s).astype(float)[:, None]
    eps = 1e-3 * lam
    q, _ = np.linalg.qr(np.random.default_rng(s * n).standard_normal((2, 2)))
    D = np.zeros((n, 2, 2))
    D[:s, 0, 0] = m
    D[:, 1, 1] = eps
    return q @ D @ q.T


@pytest.mark.parametrize("lam,s,n,B", CASES)
def test_theorem2_closed_forms_against_mpmath(lam, s, n, B):
    """``theorem2_lr`` and ``theorem2_factor`` equal the mpmath values (relative 1e-14); at
    :math:`\\eta^*(1 \\pm 10^{-9})` the factor minus 1 agrees with mpmath to 1e-14 absolute and has its sign.

    Kills a wrong lambdified expression or argument order (e.g. ``_call("theorem2_factor", eta=lr, ...,
    sigma=sigma, n=n, B=B)`` with ``n`` and ``B`` swapped)."""
    with mpmath.workdps(DPS):
        star = _eta_star("bernoulli", lam, s, n, B)
        assert theorem2_lr(lam, s, n, B) == pytest.approx(float(star), rel=1e-14)
        for eps in (-1e-9, 1e-9):
            lr = float(star * (1 + eps))
            ref = _factor("bernoulli", lam, s, n, B, lr) - 1
            got = theorem2_factor(lr, lam, s, n, B) - 1
            assert abs(got - float(ref)) < 1e-14 and np.sign(got) == np.sign(float(ref)) == np.sign(eps)


@pytest.mark.parametrize("sampling", ["bernoulli", "without_replacement", "with_replacement"])
@pytest.mark.parametrize("rotate", [False, True])
@pytest.mark.parametrize("lam,s,n,B", CASES[:5])
def test_construction_critical_lr_and_growth_against_mpmath(lam, s, n, B, sampling, rotate):
    """On the construction, ``critical_lr`` equals the mpmath :math:`\\eta^*` (relative 1e-11), and ``ms_growth`` at
    :math:`\\eta^*(1\\pm10^{-9})` equals the mpmath factor (absolute 1e-13) with the right side of 1. Unrotated
    (``(n, 1)`` factors) the package takes its diagonal closed form; rotated, the explicit Perron route.

    Kills: a wrong batch coefficient (``kappa``/``nu``/``_p`` of ``sampling.py``), a wrong diagonal closed form in
    ``LinearRecursion._diagonal_factors`` (e.g. ``(1.0 - lr * dbar) ** 2`` -> ``1.0 - 2 * lr * dbar``), or a wrong
    bracket in ``critical_lr`` (``hi = 2.0 / lam[-1]`` -> ``1.9 / lam[-1]``, caught where :math:`\\eta^* = 2/\\lambda`)."""
    H = _construction(lam, s, n, rotate)
    with mpmath.workdps(DPS):
        star = _eta_star(sampling, lam, s, n, B)
        assert critical_lr(H, B, sampling=sampling) == pytest.approx(float(star), rel=1e-11)
        for eps in (-1e-9, 1e-9):
            lr = float(star * (1 + eps))
            ref = float(_factor(sampling, lam, s, n, B, lr) - 1)
            got = ms_growth(H, lr, B, sampling=sampling) - 1
            assert abs(got - ref) < 1e-13 * max(1.0, lam), (got, ref)
            assert np.sign(got) == np.sign(ref) == np.sign(eps)


@pytest.mark.parametrize("lam,s,n,B", CASES)
def test_theorem1_ratio_mp_at_the_float_next_to_the_boundary(lam, s, n, B):
    """``theorem1_ratio_mp`` at 50 digits equals :math:`(\\eta\\lambda/\\sigma)^2(n/B-1)` computed here at 60 digits
    (absolute 1e-45) at the two floats around :math:`\\eta_1 = \\sigma/(\\lambda\\sqrt{n/B-1})`, where
    ``near_threshold`` asks for the mpmath path; their sides of 1 are the exact ones.

    Kills: ``_MP_DPS = 50`` -> ``15`` (or the mpmath path evaluated in float), and a wrong argument passed by
    ``theorem1_lr`` (e.g. ``sigma=lam``)."""
    if n == B:
        return  # no noise: r = 0
    with mpmath.workdps(DPS):
        lam_m, s_m, k = mpmath.mpf(lam), mpmath.mpf(s), mpmath.mpf(n) / B - 1
        eta1 = s_m / (lam_m * mpmath.sqrt(k))
        assert theorem1_lr(lam, s, n, B) == pytest.approx(float(eta1), rel=1e-14)
        lo = float(eta1)
        lo = lo if lo < eta1 else float(np.nextafter(lo, 0))
        for lr in (lo, float(np.nextafter(lo, np.inf))):
            ref = (mpmath.mpf(lr) * lam_m / s_m) ** 2 * k
            got = theorem1_ratio_mp(lr, lam, s, n, B)
            assert abs(got - ref) < mpmath.mpf(10) ** -45
            assert (got > 1) == (lr > eta1) and near_threshold(float(theorem1_ratio(lr, lam, s, n, B)))


@pytest.mark.parametrize("sig,n,B", [(1, 2, 1), (3.5, 10, 2), (1, 6, 3), (40, 100, 1)])
def test_sandwich_and_gd_against_mpmath(sig, n, B):
    """``sandwich_ratio`` = :math:`(\\sigma + n/B - 1)/(2\\sqrt{n/B-1})` (exactly 1 at :math:`\\sigma = 1, n/B = 2`), and
    ``gd_lr`` = :math:`2/\\lambda`, against mpmath (relative 1e-14)."""
    with mpmath.workdps(DPS):
        k = mpmath.mpf(n) / B - 1
        ref = (sig + k) / (2 * mpmath.sqrt(k))
        assert sandwich_ratio(sig, n, B) == pytest.approx(float(ref), rel=1e-14)
        assert theorem1_lr(1.7, sig, n, B) / theorem2_lr(1.7, sig, n, B) == pytest.approx(float(ref), rel=1e-13)
        assert gd_lr(0.3) == pytest.approx(float(2 / mpmath.mpf(0.3)), rel=1e-15)
    if sig == 1 and n == 2 * B:
        assert sandwich_ratio(sig, n, B) == 1.0
