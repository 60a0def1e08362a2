"""Statements of "Ascent Fails to Forget" (Mavrothalassitis, Puigdemont, Levi, Cevher, NeurIPS 2025)
[mavrothalassitis2025].

Group ``ascent``. Every row computes its verdict from :mod:`rmtcheck.studies.ascent`; instances draw
parameters (sizes, ratios, ridges, seeds) only. Closed-form rows check thousands of parameter tuples
per instance, vectorised. Rows outside a statement's regime or about an uncertain reconstruction
(the toy's loss form, the sufficiency of Lemma 9, Lemma 3's range as a necessary condition) are
``claimed=False`` and report where the statement fails.

Rows tagged ``derived`` are this package's own: the closed forms and branch cases are proved in
``proofs/ascent_block.py``, the correlated case and the unbounded direction in
``proofs/ascent_correlated.py``, the alternating expansion in ``proofs/ascent_alternating.py``; the
rest are exact numerical identities stated in the row. KLoM is the metric of Georgiev et al. (2024)
as used in [mavrothalassitis2025], Sec. 6.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from rmtcheck.verify.statement import Outcome, Statement, register, scope

SRC = "Mavrothalassitis et al. 2025 (Ascent Fails to Forget)"
_GRID = 2000  # parameter tuples per instance for the vectorised closed-form rows


def _A():
    from rmtcheck.studies import ascent

    return ascent


def _sizes(rng, n=_GRID):
    """Vectorised draws of (|R|, |F|, |R_j|, lambda)."""
    R = rng.integers(20, 5000, n).astype(float)
    F = np.maximum(1.0, np.floor(R * rng.uniform(0.01, 1.0, n)))
    Rj = np.maximum(1.0, np.floor(R * rng.uniform(0.001, 1.0, n)))
    lam = 10 ** rng.uniform(-6, 1, n)
    return R, F, Rj, lam


def _seed(rng):
    return {"seed": int(rng.integers(2**31))}


def _close(a, b, tol=1e-9):
    return np.abs(a - b) <= tol * (1 + np.abs(b))


# ---------------------------------------------------------------- block-orthogonal model
def _check_reduction(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    K = int(g.integers(2, 7))
    r = g.integers(1, 60, K)
    f = g.integers(0, 15, K)
    f[g.integers(K)] += 1
    lam = float(10 ** g.uniform(-3, 0))
    P = A.block_problem(r, f, lam)
    s = A.block_solution_counts(r, f, lam)
    err = 0.0
    for kind, ref in (("pretrain", s.w_pretrain), ("retrain", s.w_retrain)):
        w, ok = A.newton_minimize(P, kind)
        if not ok:
            return Outcome(True, detail={"kind": kind, "newton": "not converged"})
        err = max(err, float(np.max(np.abs(w - ref))))
    # DA: the gradient of the general objective vanishes at the closed-form local minimiser
    has = s.da_case != 2
    w_da = np.where(has, s.w_da, 0.0)
    gda = P.grad("da", w_da)[has]
    gerr = float(np.max(np.abs(gda))) if gda.size else 0.0
    return Outcome(err > 1e-10 or gerr > 1e-10, detail={"K": K, "max_err": err, "da_grad": gerr})


register(Statement(
    id="ascent.block_reduction", source=f"{SRC}, Sec. 4.1 (Lemma 2; Lambert W: Corless et al. 1996)",
    refs=("mavrothalassitis2025", "corless1996"),
    latex=(r"On the explicit block-orthogonal design the minimisers of $L_D$ and $L_R$ (Newton's method on the full "
           r"objective) equal the per-coordinate Lambert-$W$ closed forms, and $\nabla L_{DA}$ vanishes at the $W_0$"
           r" root."),
    text="On the explicit block-orthogonal design the minimisers of L_D, L_R (Newton on the full objective) "
         "equal the per-coordinate Lambert-W closed forms, and grad L_DA vanishes at the W0 root",
    notion="deterministic", sampling="none", regime="any counts, lambda in [1e-3, 1]", method="exact",
    sample=_seed, check=_check_reduction, tag="derived", default_instances=10))


def _check_scipy(inst, rng):
    from scipy.optimize import minimize

    A = _A()
    g = np.random.default_rng(inst["seed"])
    n, d = int(g.integers(20, 80)), int(g.integers(2, 6))
    X = g.standard_normal((n, d))
    y = g.choice([-1.0, 1.0], n)
    forget = np.zeros(n, bool)
    forget[g.choice(n, int(g.integers(1, n // 3)), replace=False)] = True
    loss = ("exp", "logistic")[int(g.integers(2))]
    P = A.AscentProblem(X, y, forget, loss=loss, ridge=float(10 ** g.uniform(-2, 0)))
    w, ok = A.newton_minimize(P, "retrain")
    res = minimize(lambda v: P.value("retrain", v), np.zeros(d), jac=lambda v: P.grad("retrain", v),
                   hess=lambda v: P.hessian("retrain", v), method="trust-exact", options={"gtol": 1e-13})
    err = float(np.max(np.abs(w - res.x)))
    return Outcome((not ok) or err > 1e-8, detail={"n": n, "d": d, "loss": loss, "max_err": err})


register(Statement(
    id="ascent.oracle_scipy", source=f"{SRC}, oracle (retraining)",
    refs=("mavrothalassitis2025",),
    latex=(r"The package's retrained oracle equals the minimiser of the same objective found by "
           r"\texttt{scipy.optimize} to $10^{-8}$ (general Gaussian data, exponential or logistic loss)."),
    text="The package's retrained oracle equals scipy.optimize's minimiser of the same objective to 1e-8 "
         "(general Gaussian data, exponential or logistic loss)",
    notion="deterministic", sampling="none", regime="random X (n<=80, d<=5), lambda in [0.01, 1]",
    method="exact", sample=_seed, check=_check_scipy, tag="derived", default_instances=6))


def _check_lemma2(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    c = np.sinh(g.uniform(-8, 8, _GRID)) * 0.1
    lam = 10 ** g.uniform(-6, 1, _GRID)
    wmin, wmax, case = A.lambert_stationary(c, lam)
    ok = True
    for w in (wmin, wmax):
        m = np.isfinite(w)
        resid = -c[m] * np.exp(-w[m]) + lam[m] * w[m]  # L'(w)
        ok &= bool(np.all(np.abs(resid) <= 1e-9 * (np.abs(c[m]) * np.exp(-w[m]) + lam[m] * np.abs(w[m]) + 1e-300)))
    curv_min = lam * (np.where(np.isfinite(wmin), wmin, 0) + 1)  # L'' = lam (w + 1)
    curv_max = lam * (np.where(np.isfinite(wmax), wmax, -2) + 1)
    ok &= bool(np.all(curv_min[case < 2] > 0) and np.all(curv_max[case == 1] < 0))
    ok &= bool(np.all((case == 2) == (c < -lam / np.e)))
    return Outcome(not ok, detail={"cases": np.bincount(case, minlength=3)})


register(Statement(
    id="ascent.lemma2", source=f"{SRC}, Lemma 2 (Lambert W: Corless et al. 1996)",
    refs=("mavrothalassitis2025", "corless1996"),
    latex=(r"The stationary points of $c\,e^{-w} + \frac{\lambda}{2}w^2$ are $W_k(c/\lambda)$: $W_0$ gives a "
           r"minimum; for $-\lambda/e \le c < 0$, $W_{-1}$ gives a local maximum; there are none for $c < "
           r"-\lambda/e$."),
    text="Stationary points of c e^{-w} + (lam/2) w^2 are W_k(c/lam): W0 a minimum; for -lam/e <= c < 0, "
         "W_{-1} a local maximum; none for c < -lam/e",
    notion="deterministic", sampling="none", regime="c in R, lambda in [1e-6, 10]", method="exact",
    sample=_seed, check=_check_lemma2, tag="paper", default_instances=5))


def _lemma3_check(inst, rng, where):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rj, lam = _sizes(g)
    Rj = np.minimum(Rj, R)
    lo, hi = A.lemma3_range(R, F)
    u = g.uniform(0, 1, R.size)
    alpha = {"in": lo + u * (hi - lo), "below": lo * u, "above": hi * (1 + 3 * u)}[where]
    s = A.block_solution(R, F, Rj, alpha, lam)
    if where == "in":
        bad = ~((s.w_da <= s.w_pretrain + 1e-12) & (s.w_pretrain <= s.w_retrain + 1e-12))
    elif where == "below":
        bad = ~((s.w_pretrain <= s.w_da + 1e-12) & (s.w_da <= s.w_retrain + 1e-12))
    else:  # claimed=False probe: "outside the range, DA improves on doing nothing"
        bad = s.da_harmful
    return Outcome(bool(bad.any()), detail={"violating_fraction": float(bad.mean())})


register(Statement(
    id="ascent.lemma3", source=f"{SRC}, Lemma 3",
    refs=("mavrothalassitis2025",),
    latex=(r"For $\lvert F\rvert^2/\bigl(\lvert R\rvert(\lvert F\rvert + \lvert D\rvert)\bigr) \le \alpha \le \lvert"
           r" F\rvert/\lvert R\rvert$: $w_{DA} \le w_D \le w_R$ (descent--ascent and the oracle lie on opposite "
           r"sides of the pretrained model: doing nothing beats descent--ascent)."),
    text="For |F|^2/(|R|(|F|+|D|)) <= alpha <= |F|/|R|: w_DA <= w_D <= w_R (DA and the oracle on opposite "
         "sides of the pretrained model: doing nothing beats DA)",
    notion="deterministic", sampling="none", regime="alpha in Lemma 3's range; 2000 tuples per instance",
    method="exact", sample=_seed, check=functools.partial(_lemma3_check, where="in"), tag="paper",
    default_instances=5))
register(Statement(
    id="ascent.lemma3_below", source=f"{SRC}, Lemma 3 (discussion)",
    refs=("mavrothalassitis2025",),
    latex=r"Below Lemma 3's range descent--ascent helps but undershoots: $w_D \le w_{DA} \le w_R$.",
    text="Below Lemma 3's range DA helps but undershoots: w_D <= w_DA <= w_R",
    notion="deterministic", sampling="none", regime="0 <= alpha < |F|^2/(|R|(|F|+|D|))", method="exact",
    sample=_seed, check=functools.partial(_lemma3_check, where="below"), tag="derived", default_instances=5))
register(Statement(
    id="ascent.lemma3_range_necessary", source=f"{SRC}, Lemma 3 (converse probe)",
    refs=("mavrothalassitis2025",),
    latex=(r"Above Lemma 3's range ($\alpha > \lvert F\rvert/\lvert R\rvert$) descent--ascent improves on doing "
           r"nothing ($\lvert w_{DA} - w_R\rvert < \lvert w_D - w_R\rvert$)."),
    text="Above Lemma 3's range (alpha > |F|/|R|) DA improves on doing nothing (|w_DA - w_R| < |w_D - w_R|)",
    notion="deterministic", sampling="none", regime="alpha in (|F|/|R|, 4|F|/|R|)", method="exact",
    sample=_seed, check=functools.partial(_lemma3_check, where="above"), claimed=False, tag="derived",
    default_instances=3))


def _check_logistic_lemma3(inst, rng):
    """Per coordinate the logistic objective c log(1+e^{-w}) + lam w^2/2 has the unique stationary
    point lam w = c sigma(-w) (left side minus right is increasing in w), so bisection is exact."""
    from scipy.special import expit

    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rj, lam = _sizes(g)
    Rj = np.minimum(Rj, R)
    lo, hi = A.lemma3_range(R, F)
    alpha = lo + g.uniform(0, 1, R.size) * (hi - lo)
    cD, cR, cDA = A.block_coefficients(R, F, Rj, alpha)

    def root(c):
        a, b = np.full(c.shape, -1.0) * (np.abs(c) / lam + 1), np.abs(c) / lam + 1
        for _ in range(200):
            m = 0.5 * (a + b)
            pos = lam * m - c * expit(-m) > 0
            a, b = np.where(pos, a, m), np.where(pos, m, b)
        return 0.5 * (a + b)

    wD, wR, wDA = root(cD), root(cR), root(cDA)
    bad = ~((wDA <= wD + 1e-12) & (wD <= wR + 1e-12))
    return Outcome(bool(bad.any()), detail={"violating_fraction": float(bad.mean())})


register(Statement(
    id="ascent.lemma3_logistic", source=f"{SRC}, Lemma 3 with the true logistic loss",
    refs=("mavrothalassitis2025",),
    latex=(r"With $\log(1 + e^{-m})$ instead of $e^{-m}$, descent--ascent has a global minimiser on every coordinate"
           r" and Lemma 3's ordering $w_{DA} \le w_D \le w_R$ still holds in the same range of $\alpha$."),
    text="With log(1+e^{-m}) instead of e^{-m}, DA has a global minimiser on every coordinate and "
         "Lemma 3's ordering w_DA <= w_D <= w_R still holds in the same alpha range",
    notion="deterministic", sampling="none", regime="alpha in Lemma 3's range", method="exact",
    sample=_seed, check=_check_logistic_lemma3, tag="derived", default_instances=3))


def _check_first_step(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rj, lam = _sizes(g)
    Rj = np.minimum(Rj, R)
    lo, hi = A.lemma3_range(R, F)
    alpha = hi * g.uniform(0, 2, R.size)
    s = A.block_solution(R, F, Rj, alpha, lam)
    strict_in = (alpha > lo * (1 + 1e-9)) & (alpha < hi * (1 - 1e-9))
    strict_out = (alpha < lo * (1 - 1e-9)) | (alpha > hi * (1 + 1e-9))
    ok = np.all(s.first_step_away[strict_in]) and not np.any(s.first_step_away[strict_out])
    # the gradient formula itself: L_DA'(w_D) = -c_DA e^{-w_D} + lam w_D
    direct = -s.c_da * np.exp(-s.w_pretrain) + lam * s.w_pretrain
    ok &= bool(np.all(_close(direct, s.first_step_gradient, 1e-8)))
    # and one small gradient step really changes the distance to the oracle as predicted
    eta = 1e-3 / (lam + np.abs(s.c_da) * np.exp(-s.w_pretrain))
    path, _ = A.coordinate_gd(s.c_da, lam, s.w_pretrain, eta, 1)
    moved = np.abs(path[1] - s.w_retrain) - np.abs(path[0] - s.w_retrain)
    sel = strict_in | strict_out
    step = np.abs(path[1] - path[0])
    sel &= (step > 1e-9 * (1 + np.abs(s.w_pretrain))) & (step < 0.5 * np.abs(s.w_retrain - s.w_pretrain))
    ok &= bool(np.all((moved[sel] > 0) == s.first_step_away[sel]))
    return Outcome(not ok, detail={"in_range": int(strict_in.sum())})


register(Statement(
    id="ascent.first_step", source=f"{SRC}, Sec. 4.1 (first DA step)",
    refs=("mavrothalassitis2025",),
    latex=(r"$L_{DA}'(w_D) = (c_D - c_{DA})\,e^{-w_D}$: the first descent--ascent gradient step from the pretrained "
           r"model moves away from the oracle exactly when $\alpha$ lies strictly inside Lemma 3's range."),
    text="dL_DA(w_D) = (c_D - c_DA) e^{-w_D}: the first DA gradient step from the pretrained model moves away "
         "from the oracle exactly when alpha lies strictly inside Lemma 3's range",
    notion="deterministic", sampling="none", regime="alpha in (0, 2|F|/|R|)", method="exact",
    sample=_seed, check=_check_first_step, tag="derived", default_instances=5))


def _check_lemma4(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rj, lam = _sizes(g)
    Rj = np.minimum(Rj, R)
    alpha = 10 ** g.uniform(-4, 1, R.size)
    s = A.block_solution(R, F, Rj, alpha, lam)
    bound = np.abs(np.log((1 + alpha) * R / (R + F)))
    gap = np.abs(s.w_pretrain - s.w_retrain)
    t = np.divide(gap, bound, out=np.zeros_like(gap), where=bound > 0)
    return Outcome(bool(np.any(gap > bound + 1e-12)), tightness=float(t.max()), detail={"max_ratio": float(t.max())})


register(Statement(
    id="ascent.lemma4", source=f"{SRC}, Lemma 4",
    refs=("mavrothalassitis2025",),
    latex=(r"$\lvert w_D - w_R\rvert \le \bigl\lvert\ln\bigl((1+\alpha)\lvert R\rvert/\lvert "
           r"D\rvert\bigr)\bigr\rvert$ for all $\lambda, \alpha > 0$."),
    text="|w_D - w_R| <= |ln((1+alpha)|R|/|D|)| for all lambda, alpha > 0",
    notion="deterministic", sampling="none", regime="alpha in [1e-4, 10], lambda in [1e-6, 10]", method="exact",
    sample=_seed, check=_check_lemma4, tag="paper", default_instances=5))


def _check_lemma5(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rj, lam = _sizes(g)
    Rj = np.minimum(Rj, R)
    _, hi = A.lemma3_range(R, F)
    alpha = hi * (1 + g.uniform(0, 0.2, R.size) ** 3)
    s = A.block_solution(R, F, Rj, alpha, lam)
    has = s.da_case != 2
    if not has.any():
        return Outcome(False, skipped=True)
    bound = s.w_retrain[has]
    dist = np.abs(s.w_retrain - s.w_da)[has]
    return Outcome(bool(np.any(dist < bound - 1e-9 * (1 + bound))), tightness=float(np.max(bound / dist)),
                   detail={"with_local_min": int(has.sum())})


register(Statement(
    id="ascent.lemma5", source=f"{SRC}, Lemma 5",
    refs=("mavrothalassitis2025",),
    latex=(r"For $\alpha \ge \lvert F\rvert/\lvert R\rvert$, where a local minimum of $L_{DA}$ exists, $\lvert w_R -"
           r" w_{DA}\rvert \ge W_0\bigl(\lvert R_j\rvert/(\lambda\lvert R\rvert)\bigr)$."),
    text="For alpha >= |F|/|R|, where a DA local minimum exists, |w_R - w_DA| >= W0(|R_j|/(lam |R|))",
    notion="deterministic", sampling="none", regime="alpha >= |F|/|R| and c_DA >= -lam/e", method="exact",
    sample=_seed, check=_check_lemma5, tag="paper", default_instances=5))


def _check_corollary1(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    # integer counts with F_j/R_j = |F|/|R| exactly, so c_DA = R_j/|R| - F_j/|F| is exactly 0 in floats
    R0, F0 = int(g.integers(1, 50)), int(g.integers(1, 50))
    k = g.integers(1, 20, int(g.integers(2, 200)))
    lams = 10.0 ** -np.arange(2, 15)
    s = A.block_solution_counts(R0 * k, F0 * k, lams[:, None])  # arrays of shape (n_lambda, K)
    zero_gap = np.all(np.abs(s.w_pretrain - s.w_retrain) <= 1e-9 * (1 + s.w_retrain))
    da_zero = np.all(np.abs(s.w_da) <= 1e-12)
    dist = np.abs(s.w_retrain - s.w_da)
    L = np.log(s.c_retrain / lams[:, None])
    big = L > np.e
    ratio = dist[big] / L[big]
    lower = 1 - np.log(L[big]) / L[big]  # W(x)/ln x >= 1 - ln ln x / ln x for x >= e
    ok = zero_gap and da_zero and np.all(ratio <= 1 + 1e-12) and np.all(ratio >= lower - 1e-12)
    grows = np.all(np.diff(dist, axis=0) > 0)
    return Outcome(not (ok and grows), detail={"dist_at_smallest_lambda": float(dist[-1].min())})


register(Statement(
    id="ascent.corollary1", source=f"{SRC}, Corollary 1",
    refs=("mavrothalassitis2025",),
    latex=(r"At $\alpha = \lvert F\rvert/\lvert R\rvert$, $w_D = w_R$ and $w_{DA} = 0$, so $\lvert w_R - "
           r"w_{DA}\rvert = W_0\bigl(\lvert R_j\rvert/(\lambda\lvert R\rvert)\bigr)$ grows like $\ln(1/\lambda) \to "
           r"\infty$ as $\lambda \to 0$ while pretraining is exact."),
    text="At alpha = |F|/|R|, w_D = w_R and w_DA = 0, so |w_R - w_DA| = W0(|R_j|/(lam|R|)) grows like "
         "ln(1/lam) -> infinity as lam -> 0 while pretraining is exact",
    notion="deterministic", sampling="none", regime="alpha = |F|/|R|, lambda in [1e-14, 1e-2]", method="exact",
    sample=_seed, check=_check_corollary1, tag="paper", default_instances=3))


def _check_no_minimiser(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rj, lam = _sizes(g, 500)
    Rj = np.minimum(Rj, R)
    _, hi = A.lemma3_range(R, F)
    alpha = hi * g.uniform(0.5, 3, R.size)
    s = A.block_solution(R, F, Rj, alpha, lam)
    # curvature bound on [w_DA, w_D]: L'' = c e^{-w} + lam <= lam (w_DA + 1) for c >= 0, <= lam for c < 0
    w_fin = np.where(np.isfinite(s.w_da), s.w_da, 0.0)
    lr = 0.5 / (lam * (np.abs(w_fin) + 2) + np.abs(s.c_da) * np.exp(-s.w_pretrain))
    path, div = A.coordinate_gd(s.c_da, lam, s.w_pretrain, lr, 4000, record_every=4000)
    conv = ~div & _close(path[-1], np.where(np.isfinite(s.w_da), s.w_da, 0.0), 1e-6)
    expect_div = s.da_case == 2
    ok = np.all(div[expect_div]) and np.all(conv[~expect_div] | (s.da_case[~expect_div] == 1) & ~div[~expect_div])
    # local-min-only coordinates: L_DA is below its local minimum far to the left (no global min)
    lm = s.da_case == 1
    if lm.any():
        far = s.w_da_max[lm] - 50.0
        c, lm_l = s.c_da[lm], lam[lm]
        v_far = c * np.exp(np.minimum(-far, 700)) + 0.5 * lm_l * far**2
        v_min = c * np.exp(-s.w_da[lm]) + 0.5 * lm_l * s.w_da[lm] ** 2
        ok &= bool(np.all(v_far < v_min))
    return Outcome(not ok, detail={"diverged": int(div.sum()), "cases": np.bincount(s.da_case, minlength=3)})


register(Statement(
    id="ascent.da_no_minimiser", source=f"{SRC}, Sec. 4.1 (DA cases)",
    refs=("mavrothalassitis2025",),
    latex=(r"Gradient descent on $L_{DA}$ from $w_D$ runs to $-\infty$ exactly when $c_{DA} < -\lambda/e$; for "
           r"$c_{DA} \ge 0$ it converges to $W_0(c_{DA}/\lambda)$; for $-\lambda/e \le c_{DA} < 0$ the $W_0$ root is"
           r" only a local minimum ($L_{DA}$ is lower far to the left)."),
    text="GD on L_DA from w_D runs to -infinity exactly when c_DA < -lam/e; for c_DA >= 0 it converges to "
         "W0(c_DA/lam); for -lam/e <= c_DA < 0 the W0 root is only a local minimum (L_DA is lower far left)",
    notion="deterministic", sampling="none", regime="alpha in [|F|/(2|R|), 3|F|/|R|]", method="exact",
    sample=_seed, check=_check_no_minimiser, tag="derived", default_instances=3))


def _check_alternating(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    n = _GRID
    a, b = g.uniform(0.01, 1, n), g.uniform(0.01, 1, n)
    lam, w = 10 ** g.uniform(-3, 0, n), g.uniform(-2, 3, n)
    first = (a - b) * np.exp(-w) - 2 * lam * w
    second = (a - lam * w * np.exp(w)) * (b - lam * np.exp(w)) * np.exp(-2 * w)
    errs = []
    scale = 1.0 / (1 + np.abs(first) + np.sqrt(np.abs(second)))
    for eta in (1e-2 * scale, 5e-3 * scale):
        errs.append(np.abs(A.alternating_coordinate_step(w, a, b, lam, eta) - (w + eta * first + eta**2 * second)))
    ratio = errs[0] / np.maximum(errs[1], 1e-300)
    ok_mask = errs[0] > 1e-12  # below that the remainder is at round-off level
    bad = ok_mask & ((ratio < 6.0) | (ratio > 10.5))
    return Outcome(bool(bad.any()), detail={"median_ratio": float(np.median(ratio[ok_mask])) if ok_mask.any() else None})


register(Statement(
    id="ascent.alternating_expansion", source=f"{SRC}, alternating GDA",
    refs=("mavrothalassitis2025",),
    latex=(r"Alternating descent--ascent equals simultaneous descent--ascent with ridge $2\lambda$ to first order in"
           r" $\eta$; the $\eta^2$ term is $(a - \lambda w e^{w})(b - \lambda e^{w})e^{-2w}$ (halving $\eta$ divides"
           r" the remainder by about $8$)."),
    text="Alternating DA equals simultaneous DA with ridge 2 lam to first order in eta; the eta^2 term is "
         "(a - lam w e^w)(b - lam e^w) e^{-2w} (halving eta divides the remainder by ~8)",
    notion="deterministic", sampling="none", regime="a, b in (0, 1], lambda in [1e-3, 1], w in [-2, 3]",
    method="exact", sample=_seed, check=_check_alternating, tag="derived", default_instances=3))


# ---------------------------------------------------------------- correlated two-coordinate case
def _corr_sample(rng):
    return {"seed": int(rng.integers(2**31))}


def _corr_draw(g, n, where):
    A = _A()
    R = g.integers(50, 2000, n).astype(float)
    F = np.floor(R * g.uniform(0.02, 0.5, n)) + 1
    Rij = np.floor(R * g.uniform(0.01, 0.3, n)) + 1
    eps = g.uniform(0.05, 1, n)
    lam = 10 ** g.uniform(-3, 0, n)
    a9 = A.lemma9_alpha(R, F, eps)
    alpha = a9 * (g.uniform(1, 1.5, n) if where == "above" else g.uniform(0, 1, n))
    return R, F, Rij, alpha, lam, eps


def _check_lemma6(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rij, alpha, lam, eps = _corr_draw(g, _GRID, "above")
    c1, c2 = A.correlated_coefficients(R, F, Rij, alpha)["retrain"]
    sol = A.solve_convex(c1, c2, lam, eps)
    x, y, w = A.oracle_margins(c1, lam, eps)
    err = float(np.max(np.abs(sol.w - w) / (1 + np.abs(w))))
    # the margins too, against those of Newton's minimiser: x = w_1 + eps w_2, y = eps w_1 + w_2
    xs, ys = sol.w[..., 0] + eps * sol.w[..., 1], eps * sol.w[..., 0] + sol.w[..., 1]
    err_m = float(max(np.max(np.abs(x - xs) / (1 + np.abs(xs))), np.max(np.abs(y - ys) / (1 + np.abs(ys)))))
    return Outcome(err > 1e-9 or err_m > 1e-9 or bool(np.any(sol.grad_norm > 1e-9)),
                   detail={"max_rel_err": err, "max_rel_err_margins": err_m})


register(Statement(
    id="ascent.lemma6", source=f"{SRC}, Lemma 6",
    refs=("mavrothalassitis2025",),
    latex=(r"Correlated oracle: $x_R = W_0\bigl((1+\varepsilon^2)\lvert R_{ij}\rvert/(\lambda\lvert R\rvert)\bigr)$,"
           r" $y_R = \frac{2\varepsilon}{1+\varepsilon^2}\,x_R$, and the weights $w_R$ equal Newton's minimiser and "
           r"its margins $(w_1 + \varepsilon w_2,\ \varepsilon w_1 + w_2)$ to $10^{-9}$."),
    text="Correlated oracle: x_R = W0((1+eps^2)|R_ij|/(lam|R|)), y_R = 2eps/(1+eps^2) x_R and the weights w_R equal "
         "Newton's minimiser and its margins (w_1 + eps w_2, eps w_1 + w_2) to 1e-9",
    notion="deterministic", sampling="none", regime="eps in [0.05, 1], lambda in [1e-3, 1]", method="exact",
    sample=_corr_sample, check=_check_lemma6, tag="paper", default_instances=3))


def _check_lemma9(inst, rng, where):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rij, alpha, lam, eps = _corr_draw(g, 1000, where)
    out = A.correlated_case(R, F, Rij, alpha, lam, eps, gd_steps=1500)
    ex = out["status"] == 0
    if not ex.any():
        return Outcome(False, skipped=True)
    below = (out["x_da"] <= out["x_pretrain"] + 1e-7) & (out["y_da"] <= out["y_pretrain"] + 1e-7)
    bad = ex & ~below
    return Outcome(bool(bad.any()), detail={"exists": int(ex.sum()), "diverged": int((out["status"] == 1).sum()),
                                            "violations": int(bad.sum())})


register(Statement(
    id="ascent.lemma9", source=f"{SRC}, Lemma 9",
    refs=("mavrothalassitis2025",),
    latex=(r"$\alpha \ge \max\{a_1, a_2\}$ with $a_1 = \frac{1+\varepsilon^2}{2\varepsilon}\cdot\frac{\lvert "
           r"F\rvert^2}{\lvert R\rvert(\lvert D\rvert + \lvert F\rvert)}$ and $a_2 = "
           r"\frac{2\varepsilon}{1+\varepsilon^2}\cdot\frac{\lvert F\rvert\,\lvert D\rvert}{\lvert R\rvert(\lvert "
           r"D\rvert + \lvert F\rvert)}$ implies $x_D \ge x_{DA}$ and $y_D \ge y_{DA}$, checked only where the "
           r"stationary point of descent--ascent exists (positive definite Hessian, gradient descent converges)."),
    text="alpha >= max{(1+eps^2)/(2eps) |F|^2/(|R|(|D|+|F|)), 2eps/(1+eps^2) |F||D|/(|R|(|D|+|F|))} implies "
         "x_D >= x_DA and y_D >= y_DA, checked only where the DA stationary point exists (PD Hessian, GD converges)",
    notion="deterministic", sampling="none", regime="alpha above Lemma 9's bound; DA local minimum exists",
    method="exact", sample=_corr_sample, check=functools.partial(_check_lemma9, where="above"), tag="paper",
    default_instances=2))
register(Statement(
    id="ascent.lemma9_necessary", source=f"{SRC}, Lemma 9 (converse probe)",
    refs=("mavrothalassitis2025",),
    latex=(r"Below Lemma 9's bound descent--ascent still ends below the pretrained margins (Lemma 9 read as a "
           r"necessary condition)."),
    text="Below Lemma 9's bound DA still ends below the pretrained margins (Lemma 9 as a necessary condition)",
    notion="deterministic", sampling="none", regime="alpha below Lemma 9's bound; DA local minimum exists",
    method="exact", sample=_corr_sample, check=functools.partial(_check_lemma9, where="below"), claimed=False,
    tag="derived", default_instances=1))


def _check_unbounded(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    R, F, Rij, alpha, lam, eps = _corr_draw(g, _GRID, "above")
    eps = np.minimum(eps, 0.999)
    c1, c2 = A.correlated_coefficients(R, F, Rij, alpha)["da"]
    s_star = 690.0 / (1 - eps**2)  # keeps e^{s(1-eps^2)} below the exponent clip
    s_grid = np.linspace(0, 1, 50)[:, None] * s_star
    v = A.da_along_direction(c1, c2, lam, eps, s_grid)
    tail = v[-1]
    ok = np.all(tail < -1e100) and np.all(np.diff(v[25:], axis=0) < 0)
    return Outcome(not ok, detail={"max_tail_value": float(tail.max())})


register(Statement(
    id="ascent.da_unbounded", source=f"{SRC}, Sec. 4.2 (existence caveat)",
    refs=("mavrothalassitis2025",),
    latex=(r"For $\varepsilon < 1$ and any forget weight $> 0$, $L_{DA}$ is unbounded below along $w = "
           r"s(\varepsilon, -1)$, $s \to \infty$."),
    text="For eps < 1 and any forget weight > 0, L_DA is unbounded below along w = s(eps, -1), s -> infinity",
    notion="deterministic", sampling="none", regime="eps in [0.05, 0.999]", method="exact",
    sample=_corr_sample, check=_check_unbounded, tag="derived", default_instances=2))


# ---------------------------------------------------------------- the non-convex toy
@functools.cache
def _toy(target, reduction, ridge_form):
    return _A().toy_claim(target, reduction, ridge_form)


def _none(rng):
    return {}


def _check_toy_default(inst, rng):
    A = _A()
    c = _toy(*(A.TOY_DEFAULT[k] for k in ("target", "reduction", "ridge_form")))
    return Outcome(not c["pattern_claim"], detail={k: c[k] for k in ("pattern_pretrain", "pattern_retrain", "pattern_da")})


def _check_toy_finetune(inst, rng):
    A = _A()
    c = _toy(*(A.TOY_DEFAULT[k] for k in ("target", "reduction", "ridge_form")))
    return Outcome(not c["finetune_claim"], detail={"pattern_finetuned": c["pattern_finetuned"],
                                                    "flip_step": c["finetune_flip_step"],
                                                    "retrain_local_minima": c["n_local_minima_retrain"]})


def _check_toy_variants(inst, rng):
    A = _A()
    rows = {}
    for combo in itertools.product(*A.TOY_VARIANTS.values()):
        c = _toy(*combo)
        rows["/".join(combo)] = {"pattern": bool(c["pattern_claim"]), "finetune": bool(c["finetune_claim"])}
    both = [k for k, v in rows.items() if v["pattern"] and v["finetune"]]
    return Outcome(len(both) < len(rows), detail={"reproduce_pattern": [k for k, v in rows.items() if v["pattern"]],
                                                  "reproduce_both": both})


# the toy rows share the cached toy runs: `rmtcheck verify --jobs` runs them in one worker
_check_toy_default.affinity = _check_toy_finetune.affinity = _check_toy_variants.affinity = "toy"


register(Statement(
    id="ascent.toy_pattern", source=f"{SRC}, Sec. 5 (toy example)",
    refs=("mavrothalassitis2025",),
    latex=(r"In the toy example (targets $\{0, 1\}$, unnormalised weighted squares, ridge $0.1\lVert\theta\rVert^2$)"
           r" the global minima of pretraining and retraining misclassify only $x = 3$; the global minimum of "
           r"descent--ascent misclassifies only $x = 4$."),
    text="In the toy (targets {0,1}, unnormalised weighted squares, ridge 0.1||theta||^2) the global minima of "
         "pretraining and retraining misclassify only x=3; the DA global minimum misclassifies only x=4",
    notion="deterministic", sampling="none", regime="loss form TOY_DEFAULT; multistart global minima",
    method="exact", sample=_none, check=_check_toy_default, tag="reconstructed", default_instances=1))
register(Statement(
    id="ascent.toy_finetune", source=f"{SRC}, Sec. 5 (toy example)",
    refs=("mavrothalassitis2025",),
    latex=(r"Fine-tuning on $R$ (gradient descent to convergence) from the descent--ascent minimum stays in its "
           r"basin (it keeps misclassifying $x = 4$)."),
    text="Fine-tuning on R (gradient descent to convergence) from the DA minimum stays in its basin "
         "(keeps misclassifying x=4)",
    notion="deterministic", sampling="none", regime="loss form TOY_DEFAULT", method="exact",
    sample=_none, check=_check_toy_finetune, claimed=False, tag="reconstructed", default_instances=1))
register(Statement(
    id="ascent.toy_variants", source=f"{SRC}, Sec. 5 (toy example, loss-form sensitivity)",
    refs=("mavrothalassitis2025",),
    latex=(r"Both toy claims (the classification pattern and fine-tuning) hold in every loss form (targets $\{0, "
           r"1\}$ or $\{\pm 1\}$, sum or mean, ridge $\lambda\lVert\theta\rVert^2$ or $\frac{\lambda}{2}\lVert\theta\rVert^2$); the detail lists the variants that "
           r"reproduce them."),
    text="Both toy claims (classification pattern and fine-tuning) hold in every loss form "
         "(targets 01/pm1 x sum/mean x ridge lambda/half); detail lists the variants that reproduce them",
    notion="deterministic", sampling="none", regime="all 8 loss forms", method="exact",
    sample=_none, check=_check_toy_variants, claimed=False, tag="reconstructed", default_instances=1))


# ---------------------------------------------------------------- random forget sets
_HOEFFDING_EPS = (0.05, 0.1, 0.15, 0.2)
#: Level of each exact binomial test of ascent.lemma1_hoeffding: 4 thresholds x 2 instances -> 1e-3 per row.
_HOEFFDING_LEVEL = 1.25e-4


def _check_hoeffding(inst, rng):
    from scipy.stats import binom

    A = _A()
    h = A.hoeffding_experiment(n=inst["n"], n_forget=inst["n_forget"], n_splits=300, rng=inst["seed"])
    dev = np.abs(h["acc_forget"] - h["acc_population"])
    worst = 0.0
    p_min = 1.0
    for e in _HOEFFDING_EPS:
        bound = float(A.hoeffding_bound(inst["n_forget"], e))
        count = int(np.sum(dev > e))
        worst = max(worst, count / dev.size / bound if bound > 0 else 0.0)
        # the replicates are independent (a fresh data set each), so count ~ Binomial(300, q) with q <= bound
        if count and bound < 1:
            p_min = min(p_min, float(binom.sf(count - 1, dev.size, bound)))
    return Outcome(p_min < _HOEFFDING_LEVEL, tightness=worst,
                   detail={"max_freq_over_bound": worst, "min_binomial_p_value": p_min})


register(Statement(
    id="ascent.lemma1_hoeffding", source=f"{SRC}, Lemma 1 (Hoeffding 1963)",
    refs=("mavrothalassitis2025", "hoeffding1963"),
    latex=(r"For a uniformly random forget set, $P(\lvert a_F - a\rvert > \varepsilon) \le 2\exp(-2\lvert "
           r"F\rvert\varepsilon^2)$, where $a_F$ and $a$ are the oracle's accuracy on the forget set and overall; "
           r"violated when, at some $\varepsilon \in \{0.05, 0.1, 0.15, 0.2\}$, the exceedances in $300$ independent"
           r" splits are too many for $\mathrm{Binomial}(300, \text{bound})$ (exact one-sided test at level $1.25 "
           r"\times 10^{-4}$)."),
    text="For a uniformly random forget set, P(|acc_F(oracle) - acc(oracle)| > eps) <= 2 exp(-2|F| eps^2); "
         "violated when, at some eps in {0.05, 0.1, 0.15, 0.2}, the exceedances in 300 independent splits are "
         "too many for Binomial(300, bound) (exact one-sided test at level 1.25e-4)",
    notion="deterministic", sampling="without_replacement",
    regime="Gaussian-mixture logistic regression, exact population accuracy, 300 splits",
    method="statistical", sample=lambda rng: {"seed": int(rng.integers(2**31)), "n": int(rng.integers(120, 300)),
                                             "n_forget": int(rng.integers(20, 60))},
    check=_check_hoeffding, tag="paper", default_instances=2,
    false_alarm=8 * _HOEFFDING_LEVEL,
    false_alarm_how="exact binomial tail at level 1.25e-4 per test (the bound as success probability, an upper "
                    "bound on the true one), union over 4 eps x 2 instances"))


def _random_sample(rng):
    return {"seed": int(rng.integers(2**31)), "K": int(rng.integers(20, 200)), "per": int(rng.integers(50, 300)),
            "frac": float(rng.uniform(0.05, 0.2)), "ridge": float(10 ** rng.uniform(-3, -1))}


def _check_random(inst, rng):
    A = _A()
    counts = np.full(inst["K"], inst["per"])
    nf = int(inst["frac"] * counts.sum())
    r = A.random_forget_block(counts, nf, inst["ridge"], rng=inst["seed"], trials=20)
    st = A.random_forget_block(counts, nf, inst["ridge"], rng=inst["seed"] + 1, structured=True, trials=20)
    worse = np.median(r["ratio_local"]) > 1 and np.mean(r["frac_no_global_min"]) > 0
    return Outcome(not worse, detail={
        "random_median_ratio": float(np.median(r["ratio_local"])),
        "random_frac_no_global_min": float(np.mean(r["frac_no_global_min"])),
        "random_frac_no_stationary": float(np.mean(r["frac_no_stationary"])),
        "structured_median_ratio": float(np.median(st["ratio_local"])),
        "structured_frac_no_global_min": float(np.mean(st["frac_no_global_min"])),
        "random_dist_pretrain": float(np.mean(r["dist_pretrain"])),
        "structured_dist_pretrain": float(np.mean(st["dist_pretrain"]))})


register(Statement(
    id="ascent.random_forget", source=f"{SRC}, Sec. 4.1 (random forget sets)",
    refs=("mavrothalassitis2025",),
    latex=(r"With a uniformly random $F$ in the block model, pretraining is already near the oracle while "
           r"descent--ascent ends farther from it (median $\lVert w_{DA} - w_R\rVert/\lVert w_D - w_R\rVert > 1$ "
           r"over the coordinates with a descent--ascent minimum) and some coordinates have no descent--ascent "
           r"minimiser; a structured $F$ is reported alongside."),
    text="With a uniformly random F in the block model, pretraining is already near the oracle while DA "
         "ends farther from it (median ||w_DA - w_R|| / ||w_D - w_R|| > 1 over coordinates with a DA "
         "minimum) and some coordinates have no DA minimiser; structured F reported alongside",
    notion="deterministic", sampling="without_replacement",
    regime="K in [20, 200] groups of 50-300 samples, |F| = 5-20% of D, lambda in [1e-3, 0.1]",
    method="monte-carlo", sample=_random_sample, check=_check_random, tag="paper", default_instances=3,
    false_alarm_how="none: a qualitative comparison of 20 random forget sets with no stated sampling law, so a "
                    "violation is reported but does not fail the run"))


# ---------------------------------------------------------------- metrics
def _check_klom(inst, rng):
    A = _A()
    g = np.random.default_rng(inst["seed"])
    M1, M2, n = int(g.integers(2, 200)), int(g.integers(2, 200)), int(g.integers(1, 50))
    P = g.standard_normal((M1, n)) * g.uniform(0.1, 50) + g.uniform(-5, 5)
    Q = g.standard_normal((M2, n)) * g.uniform(0.1, 50)
    k = A.klom_per_point(P, Q)
    ok = np.all(k >= 0) and np.all(A.klom_per_point(P, P) == 0)
    perm_models = A.klom_per_point(P[g.permutation(M1)], Q[g.permutation(M2)])
    pi = g.permutation(n)
    perm_points = A.klom_per_point(P[:, pi], Q[:, pi])
    ok &= bool(np.allclose(perm_models, k, rtol=0, atol=1e-12) and np.allclose(perm_points, k[pi], rtol=0, atol=1e-12))
    ok &= abs(A.klom(P[:, pi], Q[:, pi]) - A.klom(P, Q)) <= 1e-12
    return Outcome(not ok, detail={"klom": A.klom(P, Q)})


register(Statement(
    id="ascent.klom", source="Georgiev et al. 2024 (KLoM), as used by " + SRC,
    refs=("georgiev2024", "mavrothalassitis2025"),
    latex=(r"KLoM is zero for identical samples, non-negative (up to $1839$ models per side) and invariant to "
           r"permuting models and points."),
    text="KLoM is zero for identical samples, non-negative (<= 1839 models per side) and invariant to "
         "permuting models and points",
    notion="deterministic", sampling="none", regime="2-200 models per side, 1-50 points", method="exact",
    sample=_seed, check=_check_klom, tag="derived", default_instances=10))



def _check_klom_histogram(inst, rng):
    """Per point: numpy.histogram with ``bins`` equal bins on the combined range of the clipped margins, p and q
    the fractions of models per bin, KL = sum rel_entr(p, max(q, 1e-5)) (scipy)."""
    from scipy.special import rel_entr

    A = _A()
    g = np.random.default_rng(inst["seed"])
    M1, M2, n, bins = int(g.integers(2, 80)), int(g.integers(2, 80)), int(g.integers(1, 12)), int(g.integers(2, 30))
    P = g.standard_normal((M1, n)) * g.uniform(0.1, 50) + g.uniform(-5, 5)
    Q = g.standard_normal((M2, n)) * g.uniform(0.1, 50) ** g.integers(2)
    P[:, 0] *= 10.0  # beyond the clip at 100 on the first point
    got = A.klom_per_point(P, Q, bins=bins)
    ref = np.empty(n)
    Pc, Qc = np.clip(P, -100, 100), np.clip(Q, -100, 100)
    for j in range(n):
        rng_j = (min(Pc[:, j].min(), Qc[:, j].min()), max(Pc[:, j].max(), Qc[:, j].max()))
        p = np.histogram(Pc[:, j], bins=bins, range=rng_j)[0] / M1
        q = np.histogram(Qc[:, j], bins=bins, range=rng_j)[0] / M2
        ref[j] = rel_entr(p, np.maximum(q, 1e-5)).sum()
    err = float(np.abs(got - ref).max())
    return Outcome(err > 1e-12 * max(1.0, float(np.abs(ref).max())), detail={"max_abs_err": err, "bins": bins})


register(Statement(
    id="ascent.klom_histogram", source="Georgiev et al. 2024 (KLoM), as used by " + SRC,
    refs=("georgiev2024", "mavrothalassitis2025"),
    latex=(r"\texttt{klom\_per\_point} equals, per point, $\sum_b p_b\log(p_b/\tilde q_b)$ with $\tilde q_b = "
           r"\max(q_b, 10^{-5})$ and $p$, $q$ the \texttt{numpy.\allowbreak histogram} fractions of the clipped "
           r"margins in \texttt{bins} equal-width bins spanning their combined range (\texttt{scipy} "
           r"\texttt{rel\_entr}; to $10^{-12}$)."),
    text="klom_per_point equals, per point, sum_b p_b log(p_b / max(q_b, 1e-5)) with p, q the numpy.histogram "
         "fractions of the clipped margins in `bins` equal-width bins spanning their combined range (scipy rel_entr; "
         "to 1e-12)",
    notion="deterministic", sampling="none", regime="2-79 models per side, 1-11 points, 2-29 bins, margins past the "
         "clip", method="exact", sample=_seed, check=_check_klom_histogram, tag="derived", default_instances=10))

# what a counterexample of each probe refutes (issue 13, item 5)
scope({
    "ascent.lemma3_range_necessary": "Refutes the converse of Lemma 3 (its range as necessary), which the source "
    "does not state; Lemma 3 itself holds (ascent.lemma3).",
    "ascent.lemma9_necessary": "Refutes Lemma 9 read as a necessary condition, which the source does not state; "
    "the sufficient direction holds.",
    "ascent.toy_finetune": "Refutes the package's reconstruction of the Sec. 5 toy example under loss form "
    "TOY_DEFAULT; the source does not state its exact loss, so it refutes the source only if that form is theirs "
    "(ascent.toy_variants lists the forms that reproduce it).",
    "ascent.toy_variants": "Refutes robustness of the reconstructed toy claims across loss forms, a reading of this "
    "package, not a statement of the source.",
})
