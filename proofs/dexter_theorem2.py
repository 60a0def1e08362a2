"""[dexter2024], Theorem 2 construction: the exact e1 factor and threshold. [derived]

Statement: the construction (one direction shared by :math:`\\sigma` of the :math:`n` per-sample
Hessians) is from [dexter2024], Theorem 2 [paper]; its exact growth factor and critical learning rate
are derived here.

:math:`H_i = m e_1 e_1^\\top` for :math:`i \\le \\sigma`, 0 otherwise, :math:`m = n\\lambda/\\sigma`. Under
bernoulli sampling the number :math:`K` of batch members among the first :math:`\\sigma` samples is
Binomial(σ, B/n) and :math:`J_{11} = 1 - \\eta m K / B`, so

.. math:: e_1^\\top E[J^2] e_1 = (1-\\eta\\lambda)^2 + \\eta^2\\lambda^2 \\frac{n/B - 1}{\\sigma},

and the recursion is mean-square stable iff :math:`\\eta < \\eta^*_2 = \\frac{2\\sigma}{\\lambda(\\sigma + n/B - 1)}`.
"""

import sympy as sp

from rmtcheck.proofs._common import B, assert_equal, eta, lam, n, sigma


def derive():
    s = sp.Symbol("s", positive=True, integer=True)  # sigma as the Binomial's integer trial count
    p = B / n
    # K = sum of s iid Bernoulli(p) indicators: E[x_i] = p, E[x_i^2] = p, E[x_i x_j] = p^2 (i != j)
    EK = s * p
    EK2 = s * p + s * (s - 1) * p**2
    # cross-check the moments with sympy.stats on a concrete trial count
    from sympy.stats import Binomial, E

    Kc = Binomial("K", 7, p)
    assert_equal(E(Kc), EK.subs(s, 7), "E[K]")
    assert_equal(E(Kc**2), EK2.subs(s, 7), "E[K^2]")
    m = n * lam / s
    # J = 1 - eta m K / B, so E[J^2] = 1 - 2 eta m E[K]/B + eta^2 m^2 E[K^2]/B^2
    factor = sp.simplify(1 - 2 * eta * m * EK / B + eta**2 * m**2 * EK2 / B**2)
    closed = (1 - eta * lam) ** 2 + eta**2 * lam**2 * (n / B - 1) / s
    assert_equal(factor, closed, "e1 factor from K ~ Binomial(sigma, B/n)")
    closed = closed.subs(s, sigma)
    # threshold: factor = 1  <=>  eta (lam^2 (1 + (n/B - 1)/sigma) eta - 2 lam) = 0
    roots = sp.solve(sp.Eq(closed, 1), eta)
    assert len(roots) == 1, roots
    eta_star = sp.simplify(roots[0])
    assert_equal(eta_star, 2 * sigma / (lam * (sigma + n / B - 1)), "theorem 2 critical lr")
    # equivalent 'lambda_max' form of the paper: eta lam (1 + (n/B - 1)/sigma) < 2
    assert_equal(eta_star * lam * (1 + (n / B - 1) / sigma), 2, "threshold in the paper's form")
    return {"e1_factor": closed, "critical_lr": eta_star}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
