"""Non-interpolating optimum: additive gradient noise in the linearised unlearning dynamics. [derived]

Statement: in the linearised descent–ascent dynamics of [changkhanna2026] (stated there at an interpolating
optimum), a nonzero per-batch gradient leaves the divergence threshold unchanged and only moves the limit of
the second moment; this extension is the package's own derivation.

:math:`\\delta_{k+1} = (I - \\eta\\hat D_k)\\delta_k - \\eta\\hat g_k` with :math:`(\\hat D_k, \\hat g_k)` drawn from the
same batch. Scalar reduction (one coordinate; the matrix case has the same block structure with
:math:`T` in place of :math:`\\mathbb E(1-\\eta h)^2`): the moment vector :math:`(M, m, 1)` maps linearly by

.. math:: \\begin{pmatrix}\\mathbb E(1-\\eta h)^2 & -2\\eta\\mathbb E[(1-\\eta h)g] & \\eta^2\\mathbb E g^2\\\\
          0 & 1-\\eta\\mathbb E h & -\\eta\\mathbb E g\\\\ 0 & 0 & 1\\end{pmatrix},

upper triangular: its eigenvalues are :math:`\\rho = \\mathbb E(1-\\eta h)^2`, :math:`1-\\eta\\mathbb Eh` and 1, and
:math:`(1-\\eta\\mathbb Eh)^2 \\le \\rho` (Jensen). Hence (what does not change) the second moment diverges iff
:math:`\\rho > 1`, the same threshold as with :math:`g = 0`; (what changes) for :math:`\\rho < 1` it converges to
the fixed point :math:`M_\\infty`, which is :math:`> 0` as soon as :math:`\\operatorname{Var}` of the effective
forcing is positive, instead of to 0. The matrix coefficients of ``NoisyMixedDynamics`` follow from the
bilinear identity :math:`\\mathbb E[\\sum_i c_iX_i\\otimes\\sum_j c_jY_j] = (1+\\kappa)\\bar X\\otimes\\bar Y + \\nu\\sum_iX_i\\otimes Y_i`
asserted here for 3 members with general exchangeable moments.
"""

import sympy as sp

from rmtcheck.proofs._common import eta


def derive():
    Eh, Eh2, Eg, Eg2, Ehg = sp.symbols("Eh Eh2 Eg Eg2 Ehg", real=True)
    rho = 1 - 2 * eta * Eh + eta**2 * Eh2
    A = sp.Matrix([[rho, -2 * eta * (Eg - eta * Ehg), eta**2 * Eg2], [0, 1 - eta * Eh, -eta * Eg], [0, 0, 1]])
    lam = sp.Symbol("x")
    cp = sp.factor(A.charpoly(lam).as_expr())
    assert sp.expand(cp - (lam - rho) * (lam - (1 - eta * Eh)) * (lam - 1)) == 0, "triangular spectrum"
    # Jensen: rho - (1 - eta Eh)^2 = eta^2 Var(h) >= 0
    assert sp.expand(rho - (1 - eta * Eh) ** 2 - eta**2 * (Eh2 - Eh**2)) == 0, "Jensen gap"
    # fixed point for rho < 1: m = -Eg/Eh, M = (eta^2 Eg2 - 2 eta (Eg - eta Ehg) m) / (1 - rho)
    m_inf = -Eg / Eh
    M_inf = (eta**2 * Eg2 - 2 * eta * (Eg - eta * Ehg) * m_inf) / (1 - rho)
    fix = A * sp.Matrix([M_inf, m_inf, 1]) - sp.Matrix([M_inf, m_inf, 1])
    assert all(sp.simplify(x) == 0 for x in fix), "stationary moments"
    # with zero mean gradient (Eg = 0) the limit is eta^2 Var(g)/(1 - rho) > 0 whenever Var(g) > 0
    assert sp.simplify(M_inf.subs(Eg, 0) - eta**2 * Eg2 / (1 - rho)) == 0
    # bilinear identity for exchangeable weights, 3 members
    a_, b_ = sp.symbols("a b")  # E c_i c_j (i != j), E c_i^2
    X = sp.symbols("X1:4", commutative=False)
    Y = sp.symbols("Y1:4", commutative=False)
    M = sp.Symbol("M", commutative=False)
    n = 3
    lhs = sum((b_ if i == j else a_) * X[i] * M * Y[j] for i in range(n) for j in range(n))
    kappa, nu = a_ * n * n - 1, b_ - a_
    rhs = (1 + kappa) * (sum(X) / n) * M * (sum(Y) / n) + nu * sum(X[i] * M * Y[i] for i in range(n))
    assert sp.expand(lhs - rhs) == 0, "bilinear identity"
    return {"moment_map": A, "stationary_M": M_inf, "stationary_m": m_inf}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
