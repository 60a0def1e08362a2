"""[dexter2024], Theorem 1 (divergence under bernoulli sampling): the threshold. [paper]

If :math:`\\lambda_{\\max}(H) \\ge \\frac{\\sigma}{\\eta}(n/B-1)^{-1/2}`, i.e.
:math:`r := (\\eta\\lambda_{\\max}/\\sigma)^2 (n/B - 1) \\ge 1`, then :math:`E\\|\\delta_k\\|^2 \\to \\infty`.
Equivalently :math:`\\eta \\ge \\eta_1 = \\sigma / (\\lambda_{\\max}\\sqrt{n/B-1})`.

What is proved here symbolically: the three forms are equivalent, and on the Theorem 2 construction
(where the operator is a scalar) the exact growth factor is at least ``r`` — the stronger form
:math:`\\rho(T) \\ge r` that the package checks numerically on general families [derived, observed].
The general inequality is not derived symbolically; ``rmtcheck verify`` tests it on random families.
"""

import sympy as sp

from rmtcheck.proofs import dexter_theorem2
from rmtcheck.proofs._common import B, assert_equal, eta, lam, n, sigma


def derive():
    k = n / B - 1
    r = (eta * lam / sigma) ** 2 * k
    eta1 = sigma / (lam * sp.sqrt(k))
    assert_equal(r.subs(eta, eta1), 1, "r = 1 at eta_1")
    # r is increasing in eta, so r >= 1 <=> eta >= eta_1
    assert sp.simplify(sp.diff(r, eta)) .is_nonnegative is not False
    # construction: factor - r = (1 - eta lam)^2 + eta^2 lam^2 k (1/sigma - 1/sigma^2) >= 0 for sigma >= 1
    factor = dexter_theorem2.derive()["e1_factor"]
    gap = sp.expand(factor - r)
    witness = (1 - eta * lam) ** 2 + eta**2 * lam**2 * k * (sigma - 1) / sigma**2
    assert_equal(gap, witness, "factor - r on the construction")
    return {"ratio": r, "critical_lr_bound": eta1, "construction_gap": witness}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
