"""Two correlated coordinates: Lemma 6 (oracle), the stationarity system, Lemma 9's bound and the
unboundedness of :math:`L_{DA}` along :math:`s(\\varepsilon, -1)`.

Source: [mavrothalassitis2025], Sec. 4.2 (Lemmas 6 and 9) [paper]; the stationarity system in margins, the
Hessian and the unbounded direction are [derived] here.

Retain samples :math:`(1, \\varepsilon)`, forget samples :math:`(\\varepsilon, 1)`, labels +1,
:math:`|F_{ij}| = \\alpha|R_{ij}|`. Margins :math:`x = w_i + \\varepsilon w_j`,
:math:`y = \\varepsilon w_i + w_j`. Every objective is
:math:`c_1 e^{-x} + c_2 e^{-y} + \\tfrac{\\lambda}{2}\\|w\\|^2` with

.. math::
    (c_1, c_2) = \\Bigl(\\tfrac{|R_{ij}|}{|D|}, \\tfrac{\\alpha|R_{ij}|}{|D|}\\Bigr),\\
    \\Bigl(\\tfrac{|R_{ij}|}{|R|}, 0\\Bigr),\\
    \\Bigl(\\tfrac{|R_{ij}|}{|R|}, -\\tfrac{\\alpha|R_{ij}|}{|F|}\\Bigr)

for pretraining, retraining and DA.
"""

from __future__ import annotations

import functools

import sympy as sp

R, F, Rij, alpha, lam = sp.symbols("R F R_ij alpha lambda", positive=True)
eps = sp.symbols("epsilon", positive=True)
c1, c2 = sp.symbols("c1 c2", real=True)
wi, wj, s = sp.symbols("w_i w_j s", real=True)
D = R + F


@functools.cache
def derive() -> dict:
    x = wi + eps * wj
    y = eps * wi + wj
    L = c1 * sp.exp(-x) + c2 * sp.exp(-y) + lam / 2 * (wi**2 + wj**2)
    gi, gj = sp.diff(L, wi), sp.diff(L, wj)
    # stationarity: lam w = c1 e^{-x} (1, eps) + c2 e^{-y} (eps, 1); in margins:
    X, Y = sp.symbols("x y", real=True)
    A, B = c1 * sp.exp(-X), c2 * sp.exp(-Y)
    sys_x = lam * X - A * (1 + eps**2) - 2 * eps * B
    sys_y = lam * Y - 2 * eps * A - B * (1 + eps**2)
    w_stat = ((A + eps * B) / lam, (eps * A + B) / lam)
    # grad L = 0  <=>  lam w = c1 e^{-x} (1, eps) + c2 e^{-y} (eps, 1)
    assert sp.simplify(gi - (lam * wi - c1 * sp.exp(-x) - eps * c2 * sp.exp(-y))) == 0
    assert sp.simplify(gj - (lam * wj - eps * c1 * sp.exp(-x) - c2 * sp.exp(-y))) == 0
    # taking margins of w_stat gives the margin system
    xs = sp.simplify(w_stat[0] + eps * w_stat[1])
    ys = sp.simplify(eps * w_stat[0] + w_stat[1])
    assert sp.simplify(lam * xs - (A * (1 + eps**2) + 2 * eps * B)) == 0
    assert sp.simplify(lam * ys - (2 * eps * A + B * (1 + eps**2))) == 0
    # ---- Lemma 6 (oracle, c2 = 0): x e^x = c1 (1+eps^2)/lam and y = 2 eps/(1+eps^2) x
    c1R = Rij / R
    xR = sp.LambertW((1 + eps**2) * c1R / lam)
    resid = sys_x.subs({c2: 0, c1: c1R, X: xR}).subs(sp.exp(-xR), xR * lam / ((1 + eps**2) * c1R))
    assert sp.simplify(resid) == 0
    yR = sp.solve(sys_y.subs({c2: 0}), Y)[0]
    yR_from_x = sp.solve(sys_x.subs({c2: 0}), sp.exp(-X))
    ratio = sp.simplify(yR.subs(sp.exp(-X), yR_from_x[0]) / X) if yR_from_x else None
    assert ratio is not None and sp.simplify(ratio - 2 * eps / (1 + eps**2)) == 0
    # ---- Hessian of L in w: c1 e^{-x} u u^T + c2 e^{-y} v v^T + lam I
    H = sp.hessian(L, (wi, wj))
    u = sp.Matrix([1, eps])
    v = sp.Matrix([eps, 1])
    H_claim = c1 * sp.exp(-x) * u * u.T + c2 * sp.exp(-y) * v * v.T + lam * sp.eye(2)
    assert sp.simplify(H - H_claim) == sp.zeros(2, 2)
    # ---- L_DA is unbounded below along w = s (eps, -1) when c2 < 0 and eps < 1:
    along = L.subs({wi: s * eps, wj: -s})
    assert sp.simplify(x.subs({wi: s * eps, wj: -s})) == 0
    assert sp.simplify(y.subs({wi: s * eps, wj: -s}) + s * (1 - eps**2)) == 0
    k = sp.symbols("k", positive=True)  # c2 = -k
    e_val = sp.Rational(1, 2)
    lim = sp.limit(along.subs({c2: -k, eps: e_val}), s, sp.oo)
    assert lim == -sp.oo, lim
    # ---- Lemma 9's sufficient lower bound on alpha [mavrothalassitis2025; reconstructed, not verbatim]
    lemma9 = sp.Max((1 + eps**2) / (2 * eps) * F**2 / (R * (D + F)),
                    (2 * eps) / (1 + eps**2) * F * D / (R * (D + F)))
    # at eps = 1 the first term is Lemma 3's lower end |F|^2/(|R|(|D|+|F|))
    assert sp.simplify(((1 + eps**2) / (2 * eps)).subs(eps, 1) - 1) == 0
    coeffs = {
        "pretrain": (Rij / D, alpha * Rij / D),
        "retrain": (Rij / R, sp.Integer(0)),
        "da": (Rij / R, -alpha * Rij / F),
    }
    return {"objective": L, "system": (sys_x, sys_y), "w_from_margins": w_stat, "x_R": xR,
            "y_R": 2 * eps / (1 + eps**2) * xR, "hessian": H_claim, "along_direction": along,
            "lemma9_alpha": lemma9, "coefficients": coeffs}


@functools.cache
def lemma9_function():
    """Lambdified Lemma 9 lower bound ``alpha_min(R, F, eps)`` (NumPy)."""
    d = derive()
    return sp.lambdify((R, F, eps), d["lemma9_alpha"], modules="numpy")


@functools.cache
def coefficient_function():
    """Lambdified ``{kind: (c1, c2)}(R, F, R_ij, alpha)``."""
    d = derive()
    return {k: sp.lambdify((R, F, Rij, alpha), v, modules="numpy") for k, v in d["coefficients"].items()}


def check() -> None:
    d = derive()
    f = lemma9_function()
    val = f(900.0, 100.0, 0.5)
    exact = d["lemma9_alpha"].subs({R: 900, F: 100, eps: sp.Rational(1, 2)})
    assert abs(float(exact) - float(val)) < 1e-14


if __name__ == "__main__":
    check()
    print("ok")
