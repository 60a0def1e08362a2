"""Tightness construction for descent–ascent unlearning; orthogonal forget curvature; α = 0. [derived]

Statement: the tightness of the unlearning stability thresholds of [changkhanna2026], on a construction
modelled on [dexter2024], Theorem 2; the exact factors below are the package's own derivation.

Retain: :math:`\\sigma_r` of :math:`n_r` members equal to :math:`m_r e_1e_1^\\top`; forget: :math:`\\sigma_f` of
:math:`n_f` members :math:`m_f e_1e_1^\\top` (aligned) or :math:`m_f e_2e_2^\\top` (orthogonal),
:math:`m_r = n_r\\lambda_r/\\sigma_r`, :math:`m_f = n_f\\lambda_f/\\sigma_f`. Independent bernoulli batches:
:math:`K_r \\sim \\mathrm{Bin}(\\sigma_r, B/n_r)`, :math:`K_f \\sim \\mathrm{Bin}(\\sigma_f, B/n_f)` independent and
:math:`J_{11} = 1 - \\eta(1-\\alpha)m_rK_r/B + \\eta\\alpha m_fK_f/B`, hence

.. math:: e_1^\\top\\mathbb E[J^2]e_1 = (1-\\eta\\bar d)^2 + \\eta^2\\Big[(1-\\alpha)^2\\lambda_r^2\\frac{n_r/B-1}{\\sigma_r}
          + \\alpha^2\\lambda_f^2\\frac{n_f/B-1}{\\sigma_f}\\Big],\\qquad \\bar d = (1-\\alpha)\\lambda_r - \\alpha\\lambda_f .

Orthogonal forget: :math:`e_2^\\top\\mathbb E[J^2]e_2 = (1+\\eta\\alpha\\lambda_f)^2 + \\eta^2\\alpha^2\\lambda_f^2(n_f/B-1)/\\sigma_f > 1`
for all :math:`\\eta, \\alpha > 0` (and :math:`B \\le n_f`): orthogonal forget curvature always escapes.
At :math:`\\alpha = 0` the factor is the [dexter2024], Theorem 2 factor of the retain set, and the independent
bernoulli operator is exactly SGD's bernoulli operator on the retain set; the pair-bernoulli operator at
:math:`\\alpha = 0` is SGD on the retain set with :math:`\\nu' = (1 - B/N)/(n_rB)` instead of
:math:`(1 - B/n_r)/(n_rB)` (a different batch model: equal only when :math:`n_f = 1`).
"""

import sympy as sp

from rmtcheck.proofs._common import B, assert_equal, eta

a = sp.Symbol("alpha", nonnegative=True)
lr_, lf = sp.symbols("lambda_r lambda_f", positive=True)
nr, nf, sr, sf = sp.symbols("n_r n_f sigma_r sigma_f", positive=True, integer=True)


def _binom_moments(s, p):
    return s * p, s * p + s * (s - 1) * p**2  # E K, E K^2 for K ~ Binomial(s, p)


def derive():
    pr, pf = B / nr, B / nf
    EKr, EKr2 = _binom_moments(sr, pr)
    EKf, EKf2 = _binom_moments(sf, pf)
    mr, mf = nr * lr_ / sr, nf * lf / sf
    u, v = eta * (1 - a) * mr / B, eta * a * mf / B  # J11 = 1 - u K_r + v K_f
    EJ2 = 1 - 2 * u * EKr + 2 * v * EKf + u**2 * EKr2 + v**2 * EKf2 - 2 * u * v * EKr * EKf
    dbar = (1 - a) * lr_ - a * lf
    closed = (1 - eta * dbar) ** 2 + eta**2 * ((1 - a) ** 2 * lr_**2 * (nr / B - 1) / sr
                                              + a**2 * lf**2 * (nf / B - 1) / sf)
    assert_equal(EJ2, closed, "aligned e1 factor (independent bernoulli)")
    from sympy.stats import Binomial, E

    Kc = Binomial("K", 5, sp.Rational(1, 3))  # spot-check the moment formulas with sympy.stats
    assert_equal(E(Kc**2), _binom_moments(5, sp.Rational(1, 3))[1], "Binomial second moment")

    # orthogonal forget: e2 coordinate sees only the forget term, J22 = 1 + v K_f
    e2 = 1 + 2 * v * EKf + v**2 * EKf2
    e2_closed = (1 + eta * a * lf) ** 2 + eta**2 * a**2 * lf**2 * (nf / B - 1) / sf
    assert_equal(e2, e2_closed, "orthogonal e2 factor")
    # e2_closed - 1 = 2 eta a lf + eta^2 a^2 lf^2 (1 + (nf/B - 1)/sf) : every term >= 0, first > 0
    excess = sp.expand(e2_closed - 1)
    assert_equal(excess, 2 * eta * a * lf + eta**2 * a**2 * lf**2 * (1 + (nf / B - 1) / sf), "orthogonal excess")
    # with B <= n_f the bracket is >= 1 > 0; positivity of each factor for eta, alpha, lambda_f > 0:
    t = sp.Symbol("t", nonnegative=True)  # t = n_f/B - 1 >= 0
    assert (2 * eta * a * lf + eta**2 * a**2 * lf**2 * (1 + t / sf)).subs(a, sp.Symbol("ap", positive=True)).is_positive

    # alpha = 0: the [dexter2024] Theorem 2 factor of the retain set
    from rmtcheck.proofs import dexter_theorem2
    from rmtcheck.proofs._common import lam, n, sigma

    t2 = dexter_theorem2.derive()["e1_factor"]
    assert_equal(closed.subs(a, 0), t2.subs({lam: lr_, n: nr, sigma: sr}), "alpha = 0 reduces to Theorem 2")

    # alpha = 0, operator level: independent bernoulli coefficients equal SGD bernoulli on the retain set
    nu_r = (1 - B / nr) / (nr * B)
    nu_indep_r = ((1 - a) ** 2 * nu_r).subs(a, 0)
    nu_indep_f = (a**2 * (1 - B / nf) / (nf * B)).subs(a, 0)
    assert_equal(nu_indep_r, nu_r, "alpha = 0: retain noise coefficient")
    assert nu_indep_f == 0, "alpha = 0: no forget noise"
    # pair bernoulli at alpha = 0: sum_ij A_i (x) A_i = n_f sum_i A_i (x) A_i
    N = nr * nf
    nu_pair_eff = sp.simplify(nf * (1 - B / N) / (N * B))
    assert_equal(nu_pair_eff, (1 - B / N) / (nr * B), "pair bernoulli at alpha = 0")
    assert_equal((nu_pair_eff - nu_r).subs(nf, 1), 0, "pair = independent when n_f = 1")
    return {"aligned_factor": closed, "orthogonal_factor": e2_closed, "pair_alpha0_nu": nu_pair_eff}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
