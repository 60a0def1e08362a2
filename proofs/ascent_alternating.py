"""Alternating descent–ascent equals simultaneous DA with ridge 2λ to first order in η [derived].

Source: the descent–ascent (DA) objectives of [mavrothalassitis2025], Sec. 4, run as alternating steps;
the second-order expansion in :math:`\\eta` of the two-step map is [derived] here.

Per coordinate with :math:`a = |R_j|/|R|`, :math:`b = |F_j|/|F|`: a descent step on
:math:`a e^{-w} + \\tfrac{\\lambda}{2}w^2` followed by an ascent step on :math:`b e^{-w}` with the ridge
descended gives

.. math::
    w'' = w + \\eta[(a-b)e^{-w} - 2\\lambda w]
          + \\eta^2 (a - \\lambda w e^{w})(b - \\lambda e^{w}) e^{-2w} + O(\\eta^3).
"""

from __future__ import annotations

import functools

import sympy as sp

a, b, lam, eta = sp.symbols("a b lambda eta", positive=True)
w = sp.symbols("w", real=True)


@functools.cache
def derive() -> dict:
    w1 = w - eta * sp.diff(a * sp.exp(-w) + lam / 2 * w**2, w)  # descent on the retain part + ridge
    v = sp.symbols("v", real=True)
    step2 = v + eta * sp.diff(b * sp.exp(-v), v) - eta * lam * v  # ascent on forget, ridge descended
    w2 = step2.subs(v, w1)
    ser = sp.series(w2, eta, 0, 3).removeO()
    first = sp.simplify(ser.coeff(eta, 1))
    second = sp.simplify(ser.coeff(eta, 2))
    assert sp.simplify(ser.coeff(eta, 0) - w) == 0
    first_claim = (a - b) * sp.exp(-w) - 2 * lam * w
    assert sp.simplify(first - first_claim) == 0
    # first order = minus the gradient of simultaneous DA with ridge 2*lam
    L_sim = (a - b) * sp.exp(-w) + (2 * lam) / 2 * w**2
    assert sp.simplify(first + sp.diff(L_sim, w)) == 0
    second_claim = (a - lam * w * sp.exp(w)) * (b - lam * sp.exp(w)) * sp.exp(-2 * w)
    assert sp.simplify(sp.expand(second - second_claim)) == 0
    return {"exact_two_step": w2, "first_order": first_claim, "second_order": second_claim,
            "effective_ridge": 2 * lam}


def check() -> None:
    d = derive()
    # numeric spot check of the remainder: O(eta^3)
    vals = {a: sp.Rational(3, 10), b: sp.Rational(1, 5), lam: sp.Rational(1, 10), w: sp.Rational(1, 2)}
    errs = []
    for e in (sp.Rational(1, 100), sp.Rational(1, 200)):
        exact = d["exact_two_step"].subs(vals).subs(eta, e)
        approx = (w + e * d["first_order"] + e**2 * d["second_order"]).subs(vals)
        errs.append(abs(float(sp.N(exact - approx, 30))))
    ratio = errs[0] / errs[1]
    assert 6.0 < ratio < 10.5, ratio  # halving eta divides an O(eta^3) remainder by ~8


if __name__ == "__main__":
    check()
    print("ok")
