"""Block-orthogonal logistic regression: Lemmas 2–5, Corollary 1 and the first DA step, in SymPy.

Source: [mavrothalassitis2025], Sec. 4 (Lemmas 2–5, Corollary 1) [paper]; the coefficient normalisations
(each set averaged over its own size) and the Lambert-W branch assignment are [derived] here.

Per coordinate :math:`j` the exponential-loss objectives are :math:`c\\,e^{-w} + (\\lambda/2) w^2` with

.. math::
    c_D = \\frac{(1+\\alpha)|R_j|}{|D|},\\quad c_R = \\frac{|R_j|}{|R|},\\quad
    c_{DA} = \\Bigl(1 - \\frac{\\alpha|R|}{|F|}\\Bigr)\\frac{|R_j|}{|R|}

and stationary points solve :math:`w e^w = c/\\lambda`, i.e. :math:`w = W_k(c/\\lambda)`.

The numeric package lambdifies ``COEFFICIENTS`` and ``LEMMA3_RANGE`` from :func:`derive` (single
source of truth); :func:`check` also compares the lambdified numerics with exact SymPy values.
"""

from __future__ import annotations

import functools

import sympy as sp

R, F, Rj, alpha, lam = sp.symbols("R F R_j alpha lambda", positive=True)
w = sp.symbols("w", real=True)
D = R + F


def _zero(expr) -> bool:
    return sp.simplify(expr) == 0


@functools.cache
def derive() -> dict:
    out: dict = {}
    # ---- per-coordinate coefficients from the sums over samples (each sample on coordinate j has
    # y_i x_ij = 1, so its loss is exp(-w_j)).  |F_j| = alpha |R_j|.
    Fj = alpha * Rj
    c_D = (Rj + Fj) / D
    c_R = Rj / R
    c_DA = Rj / R - Fj / F  # each set averaged over its own size
    assert _zero(c_D - (1 + alpha) * Rj / D)
    assert _zero(c_DA - (1 - alpha * R / F) * Rj / R)
    out.update(c_D=c_D, c_R=c_R, c_DA=c_DA)

    # ---- Lemma 2: stationarity  -c e^{-w} + lam w = 0  <=>  w e^w = c / lam, solved by Lambert W.
    c = sp.symbols("c", real=True)
    L = c * sp.exp(-w) + lam / 2 * w**2
    dL = sp.diff(L, w)
    assert _zero(dL * sp.exp(w) / lam - (w * sp.exp(w) - c / lam))
    for k in (0, -1):
        Wk = sp.LambertW(c / lam, k)
        resid = (dL.subs(w, Wk)).subs(sp.exp(-Wk), Wk * lam / c)  # e^{-W(z)} = W(z)/z
        assert _zero(resid), resid
    # second derivative at a stationary point: L'' = c e^{-w} + lam = lam (w + 1)
    d2L = sp.diff(L, w, 2)
    assert _zero(d2L.subs(c, lam * w * sp.exp(w)) - lam * (w + 1))
    out["second_derivative_at_stationary"] = lam * (w + 1)
    out["w_D"] = sp.LambertW(c_D / lam)
    out["w_R"] = sp.LambertW(c_R / lam)
    out["w_DA_branches"] = (sp.LambertW(c_DA / lam, 0), sp.LambertW(c_DA / lam, -1))
    # branch cases: w e^w has its minimum -1/e at w = -1  (derivative (1+w) e^w)
    g = w * sp.exp(w)
    assert sp.solve(sp.diff(g, w), w) == [-1]
    assert _zero(g.subs(w, -1) + sp.exp(-1))
    out["da_existence_threshold"] = -lam / sp.E  # stationary point exists iff c_DA >= -lam/e

    # ---- Lemma 3: W0 is increasing, so the ordering of the w's is the ordering of the c's.
    a_hi = sp.solve(sp.Eq(c_D, c_R), alpha)
    a_lo = sp.solve(sp.Eq(c_DA, c_D), alpha)
    assert len(a_hi) == 1 and len(a_lo) == 1
    lo, hi = sp.simplify(a_lo[0]), sp.simplify(a_hi[0])
    assert _zero(hi - F / R)
    assert _zero(lo - F**2 / (R * (F + D)))
    # c_R - c_D and c_D - c_DA are affine in alpha with the right signs:
    assert _zero(sp.diff(c_R - c_D, alpha) + Rj / D)  # decreasing: c_D <= c_R  <=> alpha <= hi
    assert sp.simplify(sp.diff(c_D - c_DA, alpha)) .is_positive  # increasing: c_DA <= c_D <=> alpha >= lo
    assert sp.simplify(hi - lo).is_positive  # the range is never empty
    out["lemma3_lo"], out["lemma3_hi"] = lo, hi
    # at alpha = |F|/|R|:  c_D = c_R and c_DA = 0 (so w_DA = W(0) = 0)
    assert _zero((c_D - c_R).subs(alpha, hi)) and _zero(c_DA.subs(alpha, hi))
    assert sp.LambertW(0) == 0

    # ---- first DA step from the pretrained model: dL_DA(w_D) = (c_D - c_DA) e^{-w_D}
    wD = sp.symbols("w_D", real=True)
    dLDA = sp.diff(c_DA * sp.exp(-w) + lam / 2 * w**2, w).subs(w, wD)
    first = dLDA.subs(lam * wD, c_D * sp.exp(-wD))  # stationarity of L_D at w_D: lam w_D = c_D e^{-w_D}
    first = sp.expand(first)
    assert _zero(first - (c_D - c_DA) * sp.exp(-wD)), first
    out["first_step_gradient"] = (c_D - c_DA) * sp.exp(-wD)
    # its sign changes exactly at the lower end of Lemma 3's range
    assert _zero((c_D - c_DA).subs(alpha, lo))

    # ---- Lemma 4: d W(x) / d ln x = W/(1+W) in (0, 1) for x > 0, so |W(rx) - W(x)| <= |ln r|
    xx = sp.symbols("x", positive=True)
    dW = sp.simplify(sp.diff(sp.LambertW(xx), xx) * xx)
    assert _zero(dW - sp.LambertW(xx) / (1 + sp.LambertW(xx)))
    ratio = sp.simplify(c_D / c_R)
    assert _zero(ratio - (1 + alpha) * R / D)
    out["lemma4_bound"] = sp.Abs(sp.log((1 + alpha) * R / D))

    # ---- Lemma 5: alpha >= |F|/|R| => c_DA <= 0 => a DA local minimum (W0 branch) is <= 0,
    # hence |w_R - w_DA| >= w_R = W0(|R_j|/(lam |R|)).
    assert sp.simplify(c_DA.subs(alpha, hi + sp.Symbol("t", nonnegative=True))).is_nonpositive
    out["lemma5_bound"] = sp.LambertW(Rj / (lam * R))

    # ---- Corollary 1: at alpha = |F|/|R|, |w_D - w_R| = 0 and |w_R - w_DA| = W0(|R_j|/(lam|R|)),
    # which grows like ln(1/lam): W(x)/ln x -> 1 because W = ln x - ln W and 1 <= W <= ln x for x >= e.
    X = sp.symbols("X", positive=True)
    assert sp.limit(sp.log(sp.log(X)) / sp.log(X), X, sp.oo) == 0
    assert _zero(sp.LambertW(X) - (sp.log(X) - sp.log(sp.LambertW(X))).subs(
        sp.log(sp.LambertW(X)), sp.log(X) - sp.LambertW(X)))
    out["corollary1_distance"] = sp.LambertW(Rj / (lam * R))
    return out


@functools.cache
def coefficient_functions():
    """Lambdified ``(c_D, c_R, c_DA)(R, F, R_j, alpha)`` and ``(lo, hi)(R, F)`` (NumPy)."""
    d = derive()
    args = (R, F, Rj, alpha)
    coeffs = sp.lambdify(args, (d["c_D"], d["c_R"], d["c_DA"]), modules="numpy")
    rng = sp.lambdify((R, F), (d["lemma3_lo"], d["lemma3_hi"]), modules="numpy")
    return coeffs, rng


def check() -> None:
    d = derive()
    import numpy as np
    from scipy.special import lambertw

    coeffs, rng = coefficient_functions()
    vals = {R: 900, F: 100, Rj: 90, alpha: sp.Rational(1, 20), lam: sp.Rational(1, 100)}
    num = coeffs(900.0, 100.0, 90.0, 0.05)
    for name, v in zip(("c_D", "c_R", "c_DA"), num):
        assert abs(float(d[name].subs(vals)) - v) < 1e-14
    lo, hi = rng(900.0, 100.0)
    assert abs(lo - 100**2 / (900 * 1100)) < 1e-15 and abs(hi - 1 / 9) < 1e-15
    wR = float(sp.N(d["w_R"].subs(vals), 30))
    assert abs(wR - lambertw(num[1] / 0.01).real) < 1e-12
    assert np.isfinite(wR)


if __name__ == "__main__":
    check()
    print("ok")
