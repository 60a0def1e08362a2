"""Dexter-type sufficient divergence (escape) conditions for descent–ascent unlearning. [derived]

Statement: for the descent–ascent unlearning dynamics of [changkhanna2026], the argument of [dexter2024],
Theorem 1 applied to the mean part and to each noise term (retain, forget, pairs) gives sufficient escape
conditions; the transfer of the argument is this package's own derivation.

For the bernoulli-type models every part of :math:`T` maps the PSD cone into itself
(:math:`M\\mapsto AMA` and :math:`M \\mapsto DMD` for any symmetric :math:`A, D`), so by cone monotonicity
of the Perron root :math:`\\rho(T) \\ge \\rho(\\text{each part})`:

* mean part: :math:`\\rho(M\\mapsto (I-\\eta\\bar D)M(I-\\eta\\bar D)) = \\max_k(1-\\eta\\lambda_k(\\bar D))^2`, so
  :math:`\\max_k|1-\\eta\\lambda_k(\\bar D)| > 1` (i.e. :math:`\\lambda_{\\min}(\\bar D) < 0` or
  :math:`\\eta\\lambda_{\\max}(\\bar D) > 2`) implies escape;
* per noise term ``t`` (retain with :math:`w = 1-\\alpha`, forget with :math:`w = \\alpha`; PSD members):
  :math:`\\eta^2w^2\\nu_t\\,\\rho(\\sum_i H_i\\otimes H_i) \\ge \\eta^2w^2\\nu_t(n_t\\lambda_t/\\sigma_t)^2 = r_t`,
  :math:`r_t = (\\eta w\\lambda_t/\\sigma_t)^2(n_t/B - 1)` — the inequality of [dexter2024], Theorem 1
  (:math:`\\rho(\\sum H_i\\otimes H_i) \\ge \\max_i\\|H_i\\|_F^2 \\ge (\\max_i\\lambda_{\\max}(H_i))^2` and
  :math:`n\\lambda_{\\max}(H) \\le \\lambda_{\\max}(S)` by norm compression of the block Gram of
  :math:`H_i^{1/2}`); so :math:`r_t \\ge 1` implies :math:`\\rho(T) \\ge 1`, and :math:`\\rho(T) \\ge r_t` always;
* pairs (hypothesis by analogy, the signed :math:`D_{ij}` have no square roots):
  :math:`r_{mix} = (\\eta\\|\\bar D\\|_2/\\sigma_{mix})^2(N/B-1) \\ge 1 \\Rightarrow \\rho(T_{pair}) \\ge 1`.

This module derives the algebra: the identities :math:`\\eta^2 w^2\\nu (n\\lambda/\\sigma)^2 = r`, the
solution set of :math:`(1-\\eta\\lambda)^2 > 1`, and the learning-rate forms of the conditions.
"""

import sympy as sp

from rmtcheck.proofs._common import B, assert_equal, eta, lam, n, sigma

w = sp.Symbol("w", positive=True)


def derive():
    nu = (1 - B / n) / (n * B)
    lower = eta**2 * w**2 * nu * (n * lam / sigma) ** 2
    r = (eta * w * lam / sigma) ** 2 * (n / B - 1)
    assert_equal(lower, r, "per-term Dexter ratio")
    # learning-rate form: r >= 1  <=>  eta >= sigma / (w lam sqrt(n/B - 1))
    eta_c = sigma / (w * lam * sp.sqrt(n / B - 1))
    assert_equal(r.subs(eta, eta_c), 1, "per-term critical learning rate")
    # mean part: (1 - eta l)^2 > 1  <=>  eta l (eta l - 2) > 0
    l = sp.Symbol("l", real=True)
    assert_equal((1 - eta * l) ** 2 - 1, eta * l * (eta * l - 2), "mean factor excess")
    x = sp.Symbol("x", real=True)  # x = eta * l
    sol = sp.solveset((1 - x) ** 2 > 1, x, sp.S.Reals)
    assert sol == sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(2, sp.oo)), sol
    # pair form (N pairs, sigma_mix)
    N, smix, dn = sp.symbols("N sigma_mix dbar", positive=True)
    nuN = (1 - B / N) / (N * B)
    r_mix = (eta * dn / smix) ** 2 * (N / B - 1)
    assert_equal(eta**2 * nuN * (N * dn / smix) ** 2, r_mix, "pair Dexter ratio")
    eta_mix = smix / (dn * sp.sqrt(N / B - 1))
    assert_equal(r_mix.subs(eta, eta_mix), 1, "pair critical learning rate")
    return {"term_ratio": r, "term_lr": eta_c, "pair_ratio": r_mix, "pair_lr": eta_mix, "mean_escape_set": sol}


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
