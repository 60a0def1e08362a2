"""Full-batch gradient descent: stable iff :math:`0 < \\eta < 2/\\lambda_{\\max}(H)`. [derived]

Statement: the classical linear-stability criterion of gradient descent, the :math:`B = n` limit of the SGD
thresholds of [dexter2024]; derived here as the noise-free case of the operator of ``sgd_operator``.

With no sampling noise (bernoulli with B = n, or without replacement with B = n) the operator is
:math:`M \\mapsto (I-\\eta H)M(I-\\eta H)` whose eigenvalues are :math:`(1-\\eta\\lambda_a)(1-\\eta\\lambda_b)`;
its spectral radius is :math:`\\max_a (1-\\eta\\lambda_a)^2`, below 1 iff :math:`\\eta\\lambda_{\\max} < 2`.
The noise terms are PSD-preserving, so :math:`\\eta^* \\le 2/\\lambda_{\\max}` for every sampling model.
"""

import sympy as sp

from rmtcheck.proofs import sgd_operator
from rmtcheck.proofs._common import B, assert_equal, eta, lam, n


def derive():
    sol = sp.solve_univariate_inequality((1 - eta * lam) ** 2 < 1, eta, relational=False)
    assert sol == sp.Interval.open(0, 2 / lam), sol
    # at B = n the bernoulli and without-replacement noise coefficients vanish
    co = sgd_operator.derive()
    for name in ("bernoulli", "without_replacement"):
        kappa, nu = co[name]
        assert_equal(kappa.subs(B, n), 0, f"{name} kappa at B=n")
        assert_equal(nu.subs(B, n), 0, f"{name} nu at B=n")
    return {"critical_lr": 2 / lam}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
