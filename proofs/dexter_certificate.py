"""Convergence certificate for linearised SGD (complements [dexter2024], Theorem 1). [derived]

Statement: :math:`\\lambda_{\\max}(T(I)) < 1` is sufficient for mean-square convergence under bernoulli
sampling (the stable side, opposite to the divergence condition of [dexter2024], Theorem 1), and it is
exact on the construction of [dexter2024], Theorem 2. This package's own derivation.

For PSD :math:`M \\preceq \\|M\\|_2 I` and the positive map :math:`T`,
:math:`T(M) \\preceq \\|M\\|_2 T(I)`, hence :math:`\\rho(T) = \\lim_k \\|T^k(I)\\|^{1/k} \\le \\lambda_{\\max}(T(I))`.
Under bernoulli sampling :math:`T(I) = (I-\\eta H)^2 + \\frac{\\eta^2}{nB}(1 - \\tfrac{B}{n})\\sum_i H_i^2`, so
:math:`\\lambda_{\\max}(T(I)) < 1 \\Rightarrow E\\|\\delta_k\\|^2 \\to 0`.

Asserted here: :math:`T(I)` from the operator formula (noncommutative expansion, three members), and on
the Theorem 2 construction the certificate's threshold
:math:`\\eta_c = 2\\lambda / (\\lambda^2 + \\nu \\sigma m^2)` equals the exact critical rate (the
certificate is tight when the operator is a scalar).
"""

import sympy as sp

from rmtcheck.proofs import dexter_theorem2, sgd_operator
from rmtcheck.proofs._common import B, assert_equal, eta, lam, n, sigma


def derive():
    H = sp.symbols("H1:4", commutative=False)
    Hm = sum(H, sp.Integer(0)) / 3
    I = sp.Integer(1)
    kappa, nu = sgd_operator.derive()["bernoulli"]
    nu3 = nu.subs(n, 3)
    T_of_I = (I - eta * Hm) * I * (I - eta * Hm) + eta**2 * (kappa * Hm * I * Hm + nu3 * sum(h * I * h for h in H))
    expected = (I - eta * Hm) ** 2 + eta**2 * (1 - B / 3) / (3 * B) * sum(h**2 for h in H)
    assert sp.expand(T_of_I - expected) == 0, "T(I) under bernoulli sampling"
    # construction: sum_i H_i^2 = sigma m^2 e1e1^T, m = n lam / sigma
    m = n * lam / sigma
    cert = (1 - eta * lam) ** 2 + eta**2 * nu * sigma * m**2
    eta_c = [r for r in sp.solve(sp.Eq(cert, 1), eta) if r != 0]
    assert len(eta_c) == 1
    assert_equal(eta_c[0], dexter_theorem2.derive()["critical_lr"], "certificate is tight on the construction")
    return {"T_of_identity_bernoulli": expected}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
