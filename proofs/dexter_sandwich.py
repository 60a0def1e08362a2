"""The sandwich between Theorems 1 and 2 of [dexter2024]. [derived]

Statement: the divergence threshold of [dexter2024], Theorem 1 never lies below the exact threshold of their
Theorem 2 construction; this comparison is the package's own derivation (AM–GM).

:math:`T_1 = \\frac{\\sigma}{\\eta\\sqrt{n/B-1}} \\ge T_2 = \\frac{2\\sigma}{\\eta(\\sigma + n/B - 1)}`, ratio
:math:`\\frac{\\sigma + n/B - 1}{2\\sqrt{n/B-1}} \\ge 1` by AM–GM, with equality iff :math:`\\sigma = 1` and
:math:`n/B = 2`. In learning-rate form, :math:`\\eta_2 \\le \\eta_1` with the same ratio.
"""

import sympy as sp

from rmtcheck.proofs import dexter_theorem1, dexter_theorem2
from rmtcheck.proofs._common import B, assert_equal, eta, n, sigma


def derive():
    k = sp.Symbol("k", positive=True)  # k = n/B - 1 > 0
    T1 = sigma / (eta * sp.sqrt(k))
    T2 = 2 * sigma / (eta * (sigma + k))
    ratio = sp.simplify(T1 / T2)
    assert_equal(ratio, (sigma + k) / (2 * sp.sqrt(k)), "T1/T2")
    # AM-GM certificate: (sigma + k) - 2 sqrt(k) = (sigma - 1) + (sqrt(k) - 1)^2
    assert_equal((sigma + k) - 2 * sp.sqrt(k), (sigma - 1) + (sp.sqrt(k) - 1) ** 2, "AM-GM certificate")
    # the learning-rate thresholds obey the same ratio
    eta1 = dexter_theorem1.derive()["critical_lr_bound"].subs(n, B * (k + 1))
    eta2 = dexter_theorem2.derive()["critical_lr"].subs(n, B * (k + 1))
    assert_equal(sp.simplify(eta1 / eta2), ratio.subs(eta, 1), "eta_1 / eta_2")
    ratio_nB = ratio.subs(k, n / B - 1)
    return {"ratio": ratio_nB, "certificate": (sigma - 1) + (sp.sqrt(n / B - 1) - 1) ** 2}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
