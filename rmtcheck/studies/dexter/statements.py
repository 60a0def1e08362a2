"""Statements of Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
Geometry" (ICLR 2024) [dexter2024], checked against the exact second-moment operator [mulayoff2024]
and Monte Carlo.

Instances are drawn from :func:`rmtcheck.randmat.families.random_family` (rank-one Gaussian, anisotropic,
clustered, dense Wishart, and the Hessian-test construction) with random ``n``, ``d``, ``B`` and a
learning rate placed relative to the threshold being tested. Tightness is the exact critical learning
rate divided by the bound's (1 = the bound is exact).

The closed forms are proved in ``proofs/``: Theorem 1's threshold (``proofs/dexter_theorem1.py``),
Theorem 2's exact factor (``proofs/dexter_theorem2.py``), the full-batch criterion
(``proofs/dexter_gd_criterion.py``) and the operator itself (``proofs/sgd_operator.py``). Rows tagged
``derived`` are this package's own: ``dexter.sandwich`` (AM–GM, ``proofs/dexter_sandwich.py``),
``dexter.certificate`` (``proofs/dexter_certificate.py``), ``dexter.theorem1.strong``
(:math:`\\rho(T) \\ge r`, proved on the construction in ``proofs/dexter_theorem1.py``, observed on
general families) and the Monte Carlo cross-checks of the exact operator. The ``dexter.enumerated.*`` rows check
the operator (on its explicit and secular routes) and the closed forms the proofs return against every batch
enumerated, ``dexter.gd_criterion_iterated`` the full-batch criterion against gradient descent's step map, and
``dexter.coherence_definition`` the coherence against Definition 1 with dense matrix square roots.
"""

from __future__ import annotations

import numpy as np

from rmtcheck.randmat.families import random_family
from rmtcheck.stability import thresholds as th
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.montecarlo import second_moment_mc, simulate
from rmtcheck.stability.operator import critical_lr, sgd_recursion
from rmtcheck.studies.dexter.constructions import theorem2_construction
from rmtcheck.verify.statement import Outcome, Statement, register, scope

SOURCE = "Dexter et al. 2024"
_REL = 1e-10  # relative tolerance of exact comparisons (Lanczos converged to 1e-13)


def _family_instance(rng, n_max=40, d_max=10, full_batch=False):
    n = int(rng.integers(2, n_max + 1))
    d = int(rng.integers(1, d_max + 1))
    B = n if full_batch else int(rng.integers(1, n))
    fam, info = random_family(rng, n, d)
    return {"n": n, "d": d, "B": B, "family": fam, "family_params": info, "u": float(rng.uniform(1.0, 2.0))}


def _theorem1_check(sampling):
    """Theorem 1 fails on an instance iff the recursion is still MS-stable at some eta with r >= 1:
    by convexity of rho in eta that happens iff rho(T(eta_1)) < 1 (eta_1: r = 1) or rho <= 1 beyond it."""

    def check(inst, rng):
        fam, n, B = inst["family"], inst["n"], inst["B"]
        sig, lam = coherence(fam), fam.lambda_max
        eta1 = th.theorem1_lr(lam, sig, n, B)
        eta = inst["u"] * eta1
        r = th.theorem1_ratio(eta, lam, sig, n, B)
        if th.near_threshold(r):
            r = float(th.theorem1_ratio_mp(eta, lam, sig, n, B))
        rec = sgd_recursion(fam, B, sampling=sampling)
        rho1 = rec.growth(eta1)
        rho = rec.growth(eta)
        eta_star = rec.critical_lr()
        violated = rho1 < 1.0 - _REL or (r > 1.0 + 1e-9 and not rho > 1.0)
        return Outcome(
            violated=violated,
            tightness=eta_star / eta1,
            detail={"sigma": sig, "lambda_max": lam, "theorem1_lr": eta1, "ms_growth_at_theorem1_lr": rho1,
                    "lr": eta, "r": r, "ms_growth": rho, "critical_lr": eta_star, "range_dim": rec.range_dim},
        )

    return check


def _equality_instance(rng):
    B = int(rng.integers(1, 50))
    return {"n": 2 * B, "B": B, "lam": float(rng.uniform(0.1, 10.0)), "sigma": 1}


def _equality_check(inst, rng):
    """Exact rational arithmetic: the construction's e1 factor at r = 1 with sigma = 1, n = 2B."""
    import sympy as sp

    n, B, s = inst["n"], inst["B"], inst["sigma"]
    lam = sp.nsimplify(inst["lam"])
    expr = th.expression("theorem2_factor")
    eta1 = th.expression("theorem1_lr")
    from rmtcheck.proofs._common import B as SB
    from rmtcheck.proofs._common import eta as SE
    from rmtcheck.proofs._common import lam as SL
    from rmtcheck.proofs._common import n as SN
    from rmtcheck.proofs._common import sigma as SS

    at = {SN: n, SB: B, SS: s, SL: lam}
    factor = sp.nsimplify(sp.simplify(expr.subs(SE, eta1.subs(at)).subs(at)))
    op = sgd_recursion(theorem2_construction(n, s, float(lam)), B, sampling="bernoulli").growth(float(eta1.subs(at)))
    return Outcome(violated=factor <= 1, detail={"exact_factor_at_r_equal_1": str(factor), "operator_factor": op})


# rows that evaluate the SymPy expressions of the proofs share their derivation (about a second, once per
# process): `rmtcheck verify --jobs` runs them in one worker
_equality_check.affinity = "sympy_derivations"


register(Statement(
    id="dexter.theorem1.equality",
    source=f"{SOURCE}, Theorem 1 (boundary case)",
    refs=("dexter2024",),
    latex=(r"At $r = 1$ exactly (the $\ge$ of Theorem 1), $\mathbb{E}\lVert\delta_k\rVert^2 \to \infty$; checked on "
           r"the construction with $\sigma = 1$, $n = 2B$, where $T_1 = T_2$."),
    text="at r = 1 exactly (the '>=' of Theorem 1) E||delta_k||^2 -> infinity; checked on the construction "
         "with sigma = 1, n = 2B, where T1 = T2",
    notion="mean-square", sampling="bernoulli", regime="r = 1 exactly, sigma = 1, n = 2B (exact rationals)",
    method="symbolic", sample=_equality_instance, check=_equality_check, claimed=False, tag="paper",
    default_instances=3,
))


register(Statement(
    id="dexter.theorem1",
    source=f"{SOURCE}, Theorem 1",
    refs=("dexter2024",),
    latex=(r"$\lambda_{\max}(H) \ge (\sigma/\eta)(n/B-1)^{-1/2}$, i.e.\ $r = (\eta\lambda_{\max}(H)/\sigma)^2(n/B-1)"
           r" \ge 1$, implies $\mathbb{E}\lVert\delta_k\rVert^2 \to \infty$ (checked: $\rho(T) \ge 1$ at $r = 1$ and"
           r" $\rho(T) > 1$ for $r > 1$)."),
    text="lambda_max(H) >= (sigma/eta)(n/B-1)^(-1/2), i.e. r >= 1, implies E||delta_k||^2 -> infinity "
         "(checked: rho >= 1 at r = 1 and rho > 1 for r > 1)",
    notion="mean-square", sampling="bernoulli", regime="bernoulli sampling, 1 <= B < n, r >= 1",
    method="exact", sample=_family_instance, check=_theorem1_check("bernoulli"), tag="paper",
    threshold="theorem1_ratio", default_instances=40,
))

for _s in ("without_replacement", "with_replacement"):
    register(Statement(
        id=f"dexter.theorem1.{_s}",
        source=f"{SOURCE}, Theorem 1 (outside its sampling model)",
        refs=("dexter2024",),
        latex=r"Theorem 1's divergence condition $r \ge 1$ applied to fixed-size batches.",
        text="Theorem 1's divergence condition r >= 1 applied to fixed-size batches",
        notion="mean-square", sampling=_s, regime=f"{_s} sampling (not covered by the theorem), r >= 1",
        method="exact", sample=_family_instance, check=_theorem1_check(_s), claimed=False, tag="paper",
        default_instances=40,
    ))


def _b1_instance(rng):
    inst = _family_instance(rng)
    inst["B"] = 1
    return inst


register(Statement(
    id="dexter.theorem1.without_replacement.B1",
    source=f"{SOURCE}, Theorem 1 (outside its sampling model)",
    refs=("dexter2024",),
    latex=(r"Theorem 1's divergence condition $r \ge 1$ at batch size $B = 1$ without replacement (the authors' "
           r"experiments)."),
    text="Theorem 1's divergence condition at batch size 1 without replacement (the authors' experiments)",
    notion="mean-square", sampling="without_replacement", regime="without_replacement, B = 1, r >= 1",
    method="exact", sample=_b1_instance, check=_theorem1_check("without_replacement"), claimed=False,
    tag="paper", default_instances=40,
))


def _strong_check(inst, rng):
    fam, n, B = inst["family"], inst["n"], inst["B"]
    sig, lam = coherence(fam), fam.lambda_max
    eta = inst["u"] * th.theorem1_lr(lam, sig, n, B) * float(rng.uniform(0.2, 1.0))
    r = th.theorem1_ratio(eta, lam, sig, n, B)
    rho = sgd_recursion(fam, B, sampling="bernoulli").growth(eta)
    return Outcome(violated=rho < r * (1 - _REL), tightness=r / rho,
                   detail={"sigma": sig, "lambda_max": lam, "lr": eta, "r": r, "ms_growth": rho})


register(Statement(
    id="dexter.theorem1.strong",
    source=f"{SOURCE}, Theorem 1 (stronger form, observed)",
    refs=("dexter2024",),
    latex=r"$\rho(T_{\mathrm{bernoulli}}) \ge r = (\eta\lambda_{\max}/\sigma)^2(n/B-1)$ for every $\eta > 0$.",
    text="rho(T_bernoulli) >= r = (eta lambda_max / sigma)^2 (n/B - 1) for every eta",
    notion="mean-square", sampling="bernoulli", regime="bernoulli sampling, 1 <= B < n, any eta > 0",
    method="exact", sample=_family_instance, check=_strong_check, tag="derived", default_instances=40,
))


def _t2_instance(rng):
    n = int(rng.integers(2, 200))
    return {"n": n, "sigma": int(rng.integers(1, n + 1)), "B": int(rng.integers(1, n)),
            "lam": float(rng.uniform(0.1, 10.0)), "d": int(rng.integers(1, 4)), "u": float(rng.uniform(0.2, 2.0))}


def _t2_check(inst, rng):
    n, s, B, lam = inst["n"], inst["sigma"], inst["B"], inst["lam"]
    fam = theorem2_construction(n, s, lam, inst["d"])
    sig = coherence(fam)
    rec = sgd_recursion(fam, B, sampling="bernoulli")
    eta_star = rec.critical_lr()
    eta2 = th.theorem2_lr(lam, s, n, B)
    eta = inst["u"] * eta2
    factor_op = rec.growth(eta)
    factor_cf = th.theorem2_factor(eta, lam, s, n, B)
    bad = (abs(sig - s) > 1e-10 * s or abs(eta_star - eta2) > 1e-10 * eta2
           or abs(factor_op - factor_cf) > 1e-10 * max(1, factor_cf) or abs(fam.lambda_max - lam) > 1e-10 * lam)
    return Outcome(violated=bad, tightness=eta_star / eta2,
                   detail={"coherence": sig, "critical_lr": eta_star, "theorem2_lr": eta2,
                           "factor_operator": factor_op, "factor_closed_form": factor_cf})


register(Statement(
    id="dexter.theorem2",
    source=f"{SOURCE}, Theorem 2 (construction)",
    refs=("dexter2024",),
    latex=(r"$H_i = m\,e_1e_1^\top$ with $m = n\lambda/\sigma$ for $i \le \sigma$ (and $H_i = 0$ otherwise): the "
           r"coherence is $\sigma$, $\lambda_{\max} = \lambda$, and SGD is mean-square stable iff "
           r"$\eta\lambda\bigl(1 + (n/B-1)/\sigma\bigr) < 2$; the operator's growth factor on $e_1$ equals the "
           r"closed form."),
    text="H_i = m e1e1^T (i <= sigma): coherence = sigma, lambda_max = lambda, and MS-stable iff "
         "eta lambda (1 + (n/B-1)/sigma) < 2; the operator's e1 factor equals the closed form",
    notion="mean-square", sampling="bernoulli", regime="integer sigma in [1, n], 1 <= B < n",
    method="exact", sample=_t2_instance, check=_t2_check, tag="paper", default_instances=40,
    threshold="theorem2_lr",
))


def _sandwich_check(inst, rng):
    fam, n, B = inst["family"], inst["n"], inst["B"]
    sig, lam = coherence(fam), fam.lambda_max
    eta1, eta2 = th.theorem1_lr(lam, sig, n, B), th.theorem2_lr(lam, sig, n, B)
    ratio = th.sandwich_ratio(sig, n, B)
    eta_star = critical_lr(fam, B, sampling="bernoulli")
    bad = eta2 > eta1 * (1 + _REL) or abs(eta1 / eta2 - ratio) > 1e-10 * ratio or eta_star > eta1 * (1 + _REL)
    return Outcome(violated=bad, tightness=ratio,
                   detail={"sigma": sig, "theorem1_lr": eta1, "theorem2_lr": eta2, "critical_lr": eta_star,
                           "exact_within_sandwich": bool(eta2 <= eta_star * (1 + _REL))})


register(Statement(
    id="dexter.sandwich",
    source=f"{SOURCE}, Theorems 1-2 (sandwich derived here, proofs/dexter_sandwich.py)",
    refs=("dexter2024",),
    latex=(r"$\eta_2 = 2\sigma/\bigl(\lambda(\sigma + n/B - 1)\bigr) \le \eta_1 = "
           r"\sigma/\bigl(\lambda\sqrt{n/B-1}\bigr)$, with ratio $\eta_1/\eta_2 = (\sigma + n/B - "
           r"1)/\bigl(2\sqrt{n/B-1}\bigr) \ge 1$, and the exact critical step size satisfies $\eta^\star \le "
           r"\eta_1$; the tightness column is the ratio."),
    text="eta_2 = 2 sigma/(lambda(sigma+n/B-1)) <= eta_1 = sigma/(lambda sqrt(n/B-1)), ratio "
         "(sigma+n/B-1)/(2 sqrt(n/B-1)) >= 1, and the exact eta* <= eta_1; tightness column = the ratio",
    notion="mean-square", sampling="bernoulli", regime="any PSD family, 1 <= B < n",
    method="exact", sample=_family_instance, check=_sandwich_check, tag="derived", default_instances=30,
    threshold="sandwich_ratio",
))


def _certificate_check(inst, rng):
    fam, B = inst["family"], inst["B"]
    rec = sgd_recursion(fam, B, sampling="bernoulli")
    nu = rec.terms[0].model.nu
    H = rec.mean
    HH = rec.terms[0].family.sum_squares()

    def cert(eta):
        A = np.eye(rec.d) - eta * H
        return float(np.linalg.eigvalsh(A @ A + eta * eta * nu * HH)[-1])

    # cert(eta) - 1 is convex with value 0 at 0: bisection for its positive root
    lo, hi = 0.0, 2.0 / rec.mean_lambda_max()
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cert(mid) < 1 else (lo, mid)
    eta_c = lo
    eta = eta_c * float(rng.uniform(0.05, 1.0))
    c = cert(eta)
    if not c < 1:
        return Outcome(violated=False, skipped=True)
    rho = rec.growth(eta)
    eta_star = rec.critical_lr()
    return Outcome(violated=not rho < 1, tightness=eta_c / eta_star,
                   detail={"lr": eta, "certificate": c, "ms_growth": rho, "certificate_lr": eta_c,
                           "critical_lr": eta_star})


register(Statement(
    id="dexter.certificate",
    source=f"{SOURCE} (setting); convergence certificate derived here, proofs/dexter_certificate.py",
    refs=("dexter2024", "mulayoff2024"),
    latex=(r"$\lambda_{\max}\bigl((I - \eta H)^2 + \frac{\eta^2}{nB}(1 - B/n)\sum_i H_i^2\bigr) < 1$ implies "
           r"$\mathbb{E}\lVert\delta_k\rVert^2 \to 0$."),
    text="lambda_max((I - eta H)^2 + eta^2/(nB) (1 - B/n) sum_i H_i^2) < 1 implies E||delta_k||^2 -> 0",
    notion="mean-square", sampling="bernoulli", regime="bernoulli sampling, certificate < 1",
    method="exact", sample=_family_instance, check=_certificate_check, tag="derived", default_instances=30,
))


def _gd_check(inst, rng):
    fam = inst["family"]
    lam = fam.lambda_max
    out = {}
    bad = False
    for s in ("bernoulli", "without_replacement"):
        e = critical_lr(fam, fam.n, sampling=s)
        out[s] = e
        bad |= abs(e - th.gd_lr(lam)) > 1e-10 * th.gd_lr(lam)
    B = int(rng.integers(1, fam.n + 1))
    for s in ("bernoulli", "without_replacement", "with_replacement"):
        e = critical_lr(fam, B, sampling=s)
        out[f"{s}_B{B}"] = e
        bad |= e > th.gd_lr(lam) * (1 + 1e-10)
    return Outcome(violated=bad, tightness=out["bernoulli"] / th.gd_lr(lam), detail={"gd_lr": th.gd_lr(lam), **out})


register(Statement(
    id="dexter.gd_criterion",
    source=f"{SOURCE} (full-batch GD criterion)",
    refs=("dexter2024",),
    latex=(r"For $B = n$ (Bernoulli or without replacement), $\eta^\star = 2/\lambda_{\max}(H)$; for every batch "
           r"model and every $B$, $\eta^\star \le 2/\lambda_{\max}(H)$."),
    text="B = n (bernoulli or without replacement): eta* = 2/lambda_max(H); for every model and B, eta* <= 2/lambda_max",
    notion="mean-square", sampling="bernoulli", regime="B = n for equality; any B for the inequality",
    method="exact", sample=lambda rng: _family_instance(rng, full_batch=True), check=_gd_check, tag="paper",
    threshold="gd_lr",
    default_instances=20,
))


def _mc_instance(rng):
    n = int(rng.integers(8, 40))
    d = int(rng.integers(2, 7))
    fam, info = random_family(rng, n, d, kind=["gaussian", "clustered", "wishart"][int(rng.integers(3))])
    return {"n": n, "d": d, "B": int(rng.integers(1, n // 2 + 1)), "family": fam, "family_params": info}


#: The Monte Carlo rows' margin: the population estimate's log growth may lie on the wrong side of 0 (the side
#: the exact operator does not predict) by at most MC_MARGIN reported standard errors. ``second_moment_mc``
#: reports the i.i.d. standard error of its per-step log growth, which understates the spread of its
#: (autocorrelated) steps, and the estimate is biased low: over 120-150 replicates at each of 30 (family,
#: step size) pairs of these rows the spread was 0.6-1.46 reported errors and the bias -0.9 to +0.02. Allowing a
#: spread of 1.5 reported errors and a bias that carries the estimate's mean up to 2 of them past 0, a correct
#: package trips the margin only beyond (8 - 2) / 1.5 = 4 standard deviations; in about 6000 comparisons of
#: these rows (seeds 999 and 4242, step sizes with |log rho| >= MC_FLAT) no estimate even reached 0.
MC_MARGIN = 8.0
#: P(N(0, 1) > 4): the chance that one comparison of a correct package trips the margin.
MC_TAIL = 3.167124183311986e-05
#: A comparison is made only where the exact factor is at least 1% away from 1 (|log rho| >= MC_FLAT): closer to
#: 1 the 50-60 averaged steps cannot tell its side, as slower modes still dominate the trace (a correct package
#: read 0.9968 where rho = 1.000003, 15 reported errors off; such transients reached 0.0035 in log growth).
MC_FLAT = 0.01


def mc_resolvable(rho: float) -> bool:
    """Whether the exact factor ``rho`` is far enough from 1 (:data:`MC_FLAT`) for the Monte Carlo to tell its side."""
    return bool(rho > 0 and abs(np.log(rho)) >= MC_FLAT)


def mc_wrong_side(est, want_stable: bool) -> float:
    """How far the Monte Carlo log growth lies on the wrong side of 0, in reported standard errors (negative:
    on the predicted side); the row is violated when this exceeds :data:`MC_MARGIN`."""
    if not est.ms_growth > 0:
        return -np.inf if want_stable else np.inf  # M collapsed to zero: stable
    log_g = float(np.log(est.ms_growth))
    se = est.stderr / est.ms_growth
    if not se > 0:
        return 0.0 if log_g == 0 else (np.inf if (log_g > 0) == want_stable else -np.inf)
    return (log_g if want_stable else -log_g) / se


def _mc_check(sampling):
    def check(inst, rng):
        fam, B = inst["family"], inst["B"]
        exact = sgd_recursion(fam, B, sampling=sampling)
        eta_star = exact.critical_lr()
        rec = sgd_recursion(fam, B, sampling=sampling, restrict_to_range=False)
        det, bad, compared = {"critical_lr": eta_star}, False, 0
        for f, want_stable in ((0.9, True), (1.1, False)):
            rho = exact.growth(f * eta_star)
            det[f"exact_{f}"] = rho
            if not mc_resolvable(rho):
                continue
            est = second_moment_mc(rec, f * eta_star, steps=120, samples=192, rng=rng)
            path = simulate(rec, f * eta_star, steps=200, runs=64, rng=rng)
            z = mc_wrong_side(est, want_stable)
            compared += 1
            det[f"mc_{f}"] = est.ms_growth
            det[f"mc_stderr_{f}"] = est.stderr
            det[f"wrong_side_se_{f}"] = z
            det[f"path_mean_square_{f}"] = path.ms_growth
            det[f"lyapunov_{f}"] = path.lyapunov
            bad |= z > MC_MARGIN
        return Outcome(violated=bad, tightness=None, detail=det, skipped=compared == 0)

    return check


for _s in ("bernoulli", "without_replacement", "with_replacement"):
    register(Statement(
        id=f"dexter.monte_carlo.{_s}",
        source="derived here; proofs/sgd_operator.py (the exact operator) against rmtcheck/stability/montecarlo.py",
        refs=("dexter2024", "mulayoff2024"),
        latex=(r"A population Monte Carlo estimate of the mean-square growth factor of $M \mapsto \mathbb{E}[JMJ]$ "
               r"is below $1$ at $0.9\,\eta^\star$ and above $1$ at $1.1\,\eta^\star$ ($\eta^\star$ the exact "
               r"critical step size); violated when its logarithmic growth lies on the wrong side of $0$ by more than $8$ of"
               r" its reported standard errors (a one-sided $z$-test at $4$ after allowing for their autocorrelation"
               r" and bias; detail \texttt{wrong\_side\_se}). A step size whose exact factor is within $1\%$ of $1$ "
               r"is not compared."),
        text="population Monte Carlo of E[J M J] is below 1 at 0.9 eta* and above 1 at 1.1 eta* (eta* exact): "
             "violated when its log growth lies on the wrong side of 0 by more than 8 of its reported standard "
             "errors (a one-sided z-test at 4 after allowing for their autocorrelation and bias; detail "
             "wrong_side_se); a step size whose exact factor is within 1% of 1 is not compared",
        notion="mean-square", sampling=_s,
        regime="random families, step sizes 0.9 / 1.1 eta* where |log rho| >= 0.01",
        method="monte-carlo", sample=_mc_instance, check=_mc_check(_s), tag="derived", default_instances=4,
        false_alarm=8 * MC_TAIL,
        false_alarm_how="normal tail P(Z > 4) = 3.2e-5 per comparison (margin 8 reported errors, less a bias of 2, "
                        "over a spread of 1.5; calibrated spread <= 1.46, no estimate past 0 in ~6000 comparisons), "
                        "union over 2 step sizes x 4 instances",
    ))


def _lyap_check(inst, rng):
    fam, B = inst["family"], inst["B"]
    eta_star = critical_lr(fam, B, sampling="without_replacement")
    rec = sgd_recursion(fam, B, sampling="without_replacement", restrict_to_range=False)
    path = simulate(rec, 1.1 * eta_star, steps=300, runs=64, rng=rng)
    # a counterexample: mean-square divergent, yet typical paths converge (Lyapunov < 0 by 3 s.e.)
    bad = path.lyapunov + 3 * path.lyapunov_stderr < 0
    return Outcome(violated=bad, detail={"critical_lr": eta_star, "lyapunov": path.lyapunov,
                                         "lyapunov_stderr": path.lyapunov_stderr, "path_mean_square": path.ms_growth})


register(Statement(
    id="dexter.ms_implies_as",
    source="derived here; proofs/sgd_operator.py (mean square) against sample paths of rmtcheck/stability/montecarlo.py",
    refs=("dexter2024", "mulayoff2024"),
    latex=(r"Mean-square divergence at $1.1\,\eta^\star$ implies sample-path divergence (top Lyapunov exponent $> "
           r"0$)."),
    text="mean-square divergence at 1.1 eta* implies sample-path divergence (top Lyapunov exponent > 0)",
    notion="almost-sure", sampling="without_replacement", regime="random families at 1.1 eta*",
    method="monte-carlo", sample=_mc_instance, check=_lyap_check, claimed=False, tag="derived",
    default_instances=4,
))



def _members(rng, n, d):
    """n PSD members in dimension d with a full-rank mean: a random mix of rank-one, dense, repeated and zero ones."""
    while True:
        H = np.zeros((n, d, d))
        for i in range(n):
            kind = rng.integers(4)
            if kind == 0 and i:  # a repeated member
                H[i] = H[rng.integers(i)]
            elif kind == 1:  # rank one
                g = rng.standard_normal(d) * rng.uniform(0.3, 2.0)
                H[i] = np.outer(g, g)
            elif kind == 2:  # dense
                G = rng.standard_normal((d, d))
                H[i] = G @ G.T / d
            # kind 3: a zero member
        if np.linalg.eigvalsh(H.mean(axis=0))[0] > 1e-3 * max(np.linalg.eigvalsh(H.mean(axis=0))[-1], 1e-300):
            return H


def _enum_instance(model):
    def sample(rng):
        n = int(rng.integers(1, 6))
        d = int(rng.integers(1, 4))
        B = int(rng.integers(1, min(n, 3) + 1)) if model == "with_replacement" else int(rng.integers(1, n + 1))
        return {"n": n, "d": d, "B": B, "u": float(rng.uniform(0.2, 2.5)), "seed": int(rng.integers(2**31))}
    return sample


def _enum_check(model):
    def check(inst, rng):
        from rmtcheck.studies.dexter._enumeration import sgd_operator, spectral_radius

        H = _members(np.random.default_rng(inst["seed"]), inst["n"], inst["d"])
        lr = inst["u"] * 2.0 / np.linalg.eigvalsh(H.mean(axis=0))[-1]
        ref = spectral_radius(sgd_operator(H, lr, inst["B"], model))
        got = sgd_recursion(H, inst["B"], sampling=model).growth(lr)
        return Outcome(violated=abs(got - ref) > 1e-10 * max(1.0, ref), tightness=got / ref,
                       detail={"growth": got, "enumerated": ref, "lr": lr})
    return check


for _s in ("bernoulli", "without_replacement", "with_replacement"):
    register(Statement(
        id=f"dexter.enumerated.{_s}",
        source="derived here; proofs/sgd_operator.py (the exact operator) against every batch enumerated",
        refs=("dexter2024", "mulayoff2024"),
        latex=(r"$\rho(T)$ of the matrix-free operator equals the spectral radius of $\mathbb{E}[J \otimes J]$ "
               r"summed over every batch of the model with its probability (to $10^{-10}$)."),
        text="rho(T) of the matrix-free operator equals the spectral radius of E[J (x) J] summed over every batch "
             "of the model with its probability (to 1e-10)",
        notion="mean-square", sampling=_s, regime="n <= 5, d <= 3, random, repeated and zero members",
        method="exact", sample=_enum_instance(_s), check=_enum_check(_s), tag="derived", default_instances=12,
    ))



def _gram_instance(rng):
    return {"n": int(rng.integers(20, 70)), "d": int(rng.integers(9, 13)), "B": int(rng.integers(1, 8)),
            "u": float(rng.uniform(0.2, 2.5)), "decay": float(rng.uniform(0.3, 1.0)), "seed": int(rng.integers(2**31))}


def _gram_check(inst, rng):
    """The Gram-space family of K = F F^T (rotated, secular route) against the parameter-space family of F."""
    from rmtcheck.stability.gram import gram_family
    from rmtcheck.stability.operator import ms_growth

    g = np.random.default_rng(inst["seed"])
    F = g.standard_normal((inst["n"], inst["d"])) * (inst["decay"] ** np.arange(inst["d"]))
    lr = inst["u"] * 2.0 / np.linalg.eigvalsh(F.T @ F / inst["n"])[-1]
    det, bad = {}, False
    for model in ("bernoulli", "without_replacement", "with_replacement"):
        a = ms_growth(F, lr, inst["B"], sampling=model)
        b = ms_growth(gram_family(F @ F.T), lr, inst["B"], sampling=model)
        det[model] = {"parameter_space": a, "gram_space": b}
        bad |= abs(a - b) > 1e-10 * max(1.0, a)
    return Outcome(violated=bad, detail=det)


register(Statement(
    id="dexter.gram_space",
    source="derived here; proofs/gram_space.py (the operator depends on the factors only through their Gram matrix)",
    refs=("dexter2024", "mulayoff2024"),
    latex=(r"$\rho(T)$ computed from $K = FF^\top$ alone (Gram coordinates, secular route) equals $\rho(T)$ computed"
           r" from the factors $F$ in parameter space, for every batch model (to $10^{-10}$)."),
    text="rho(T) computed from K = F F^T alone (Gram coordinates, secular route) equals rho(T) computed from the "
         "factors F in parameter space, for every batch model (to 1e-10)",
    notion="mean-square", sampling="bernoulli", regime="n in [20, 70), d in [9, 12], geometric column scales",
    method="exact", sample=_gram_instance, check=_gram_check, tag="derived", default_instances=6,
))



def _secular_enum_instance(rng):
    return {"n": int(rng.integers(9, 11)), "d": 9, "u": float(rng.uniform(0.2, 2.5)),
            "decay": float(rng.uniform(0.5, 1.0)), "B": {"without_replacement": int(rng.integers(1, 3)),
                                                        "with_replacement": int(rng.integers(1, 3))},
            "seed": int(rng.integers(2**31))}


def _secular_enum_check(inst, rng):
    """n >= d = 9 rank-one members (range dimension 9, d(d+1)/2 = 45 > 36): the recursion rotates into the mean's
    eigenbasis and takes the secular route, batch-correlation (kappa) term included; every batch enumerated,
    T = sum_S p_S J_S (x) J_S."""
    from rmtcheck.stability import _secular
    from rmtcheck.studies.dexter._enumeration import batches, spectral_radius

    g = np.random.default_rng(inst["seed"])
    n, d = inst["n"], inst["d"]
    F = g.standard_normal((n, d)) * inst["decay"] ** np.arange(d)
    H = np.einsum("ia,ib->iab", F, F)
    lr = inst["u"] * 2.0 / np.linalg.eigvalsh(H.mean(axis=0))[-1]
    det, bad = {}, False
    for model, B in inst["B"].items():
        rec = sgd_recursion(F, B, sampling=model)
        got = rec.growth(lr)
        p, c = (np.array(x) for x in zip(*batches(n, B, model)))
        J = np.eye(d) - lr * np.tensordot(c, H, axes=1)
        ref = spectral_radius(np.einsum("s,sab,scd->acbd", p, J, J).reshape(d * d, d * d))
        det[model] = {"growth": got, "enumerated": ref, "secular_route": bool(_secular.applicable(rec))}
        bad |= abs(got - ref) > 1e-10 * max(1.0, ref)
    return Outcome(violated=bad, detail=det)


register(Statement(
    id="dexter.enumerated.secular",
    source="derived here; proofs/gram_space.py (the secular route) against every batch enumerated",
    refs=("dexter2024", "mulayoff2024"),
    latex=(r"With $n \ge d = 9$ rank-one members (the range too large for the explicit map: the recursion rotates "
           r"into the mean's eigenbasis and solves the secular equation, batch-correlation term $\kappa$ included), "
           r"$\rho(T)$ equals the spectral radius of $\mathbb{E}[J \otimes J]$ summed over every batch of each model"
           r" with its probability (to $10^{-10}$)."),
    text="with n >= d = 9 rank-one members (the range too large for the explicit map: the recursion rotates into "
         "the mean's eigenbasis and solves the secular equation, batch-correlation term kappa included), rho(T) "
         "equals the spectral radius of E[J (x) J] summed over every batch of each model with its probability "
         "(to 1e-10)",
    notion="mean-square", sampling="without_replacement",
    regime="n in [9, 10], d = 9, B <= 2 (without and with replacement: kappa != 0)",
    method="exact", sample=_secular_enum_instance, check=_secular_enum_check, tag="derived", default_instances=4,
))


# --------------------------------------------------------------------------- the derivations against enumeration
def _expr(name, **values):
    """The SymPy expression that the proof behind ``name`` returns (as thresholds.expression hands it over),
    evaluated at ``values`` (keys: eta, lam, sigma, n, B)."""
    from rmtcheck.proofs import _common as c

    sym = {"eta": c.eta, "lam": c.lam, "sigma": c.sigma, "n": c.n, "B": c.B}
    return float(th.expression(name).subs({sym[k]: v for k, v in values.items()}))


def _construction_instance(rng):
    n = int(rng.integers(3, 11))
    return {"n": n, "sigma": int(rng.integers(1, n + 1)), "B": int(rng.integers(1, n)),
            "lam": float(10 ** rng.uniform(-1, 1)), "u": float(rng.uniform(0.1, 3.0))}


def _construction_moments(inst):
    """Theorem 2's construction in d = 1 (h_i = n lam / sigma for i < sigma, 0 otherwise): every bernoulli batch
    enumerated, ``(p_S, h_S)`` with h_S = (1/B) sum_{i in S} h_i; rho(T(eta)) = sum_S p_S (1 - eta h_S)^2."""
    from rmtcheck.studies.dexter._enumeration import batches

    n, s, B, lam = inst["n"], inst["sigma"], inst["B"], inst["lam"]
    h = np.where(np.arange(n) < s, n * lam / s, 0.0)
    pc = list(batches(n, B, "bernoulli"))
    p = np.array([q for q, _ in pc])
    hs = np.array([c @ h for _, c in pc])
    return lambda eta: float(p @ (1.0 - eta * hs) ** 2)


def _enumerated_root(rho, lam):
    """The critical rate of the enumerated construction: rho(eta) - 1 changes sign once on (0, 2/lam]."""
    from scipy.optimize import brentq

    return brentq(lambda e: rho(e) - 1.0, 1e-9 / lam, 2.0 / lam, xtol=1e-300, rtol=1e-15, maxiter=200)


def _theorem2_enum_check(inst, rng):
    rho = _construction_moments(inst)
    n, s, B, lam = inst["n"], inst["sigma"], inst["B"], inst["lam"]
    eta2 = _enumerated_root(rho, lam)
    eta = inst["u"] * eta2
    got = {"theorem2_lr (proof)": _expr("theorem2_lr", lam=lam, sigma=s, n=n, B=B),
           "theorem2_lr (printed)": float(th.theorem2_lr(lam, s, n, B)),
           "theorem2_factor (proof)": _expr("theorem2_factor", eta=eta, lam=lam, sigma=s, n=n, B=B),
           "theorem2_factor (printed)": float(th.theorem2_factor(eta, lam, s, n, B))}
    want = {k: (eta2 if "lr" in k else rho(eta)) for k in got}
    bad = any(abs(got[k] - want[k]) > 1e-10 * abs(want[k]) for k in got)
    return Outcome(violated=bad, detail={"got": got, "enumerated": want})


_theorem2_enum_check.affinity = "sympy_derivations"


register(Statement(
    id="dexter.enumerated.theorem2_derivation",
    source=f"{SOURCE}, Theorem 2 (construction); the derivation of proofs/dexter_theorem2.py against every batch",
    refs=("dexter2024",),
    latex=(r"On Theorem 2's construction ($\sigma$ of the $n$ members have $h_i = n\lambda/\sigma$, the rest $0$), "
           r"the SymPy expressions \texttt{theorem2\_factor} and \texttt{theorem2\_lr} that the proof returns (and "
           r"the printed functions) equal $\mathbb{E}[(1 - \eta h_S)^2]$ summed over every Bernoulli batch $S$, and "
           r"the root of that sum minus $1$ found by Brent's method (to $10^{-10}$)."),
    text="on Theorem 2's construction (sigma of n members h_i = n lam / sigma, the rest 0), the SymPy expressions "
         "theorem2_factor and theorem2_lr that the proof returns (and the printed functions) equal E[(1 - eta h_S)^2] "
         "summed over every bernoulli batch S, and the root of that sum - 1 found by brentq (to 1e-10)",
    notion="mean-square", sampling="bernoulli", regime="n in [3, 10], sigma in [1, n], B in [1, n-1], lam in [0.1, 10]",
    method="exact", sample=_construction_instance, check=_theorem2_enum_check, tag="derived",
    threshold="theorem2_lr", default_instances=10,
))


def _sandwich_enum_check(inst, rng):
    from scipy.optimize import brentq

    n, s, B, lam = inst["n"], inst["sigma"], inst["B"], inst["lam"]
    eta2 = _enumerated_root(_construction_moments(inst), lam)
    # Theorem 1's hypothesis as the paper states it, lam_max >= (sigma / eta) (n/B - 1)^(-1/2), solved for eta
    eta1 = brentq(lambda e: lam - s / (e * np.sqrt(n / B - 1.0)), 1e-9 / lam, 1e9 / lam, xtol=1e-300, rtol=1e-15,
                  maxiter=400)
    ref = eta1 / eta2
    got = {"proof": _expr("sandwich_ratio", sigma=s, n=n, B=B), "printed": float(th.sandwich_ratio(s, n, B))}
    bad = any(abs(v - ref) > 1e-10 * ref for v in got.values())
    return Outcome(violated=bad, tightness=1.0 / ref, detail={"got": got, "theorem1_lr": eta1,
                                                              "enumerated_critical_lr": eta2, "ratio": ref})


register(Statement(
    id="dexter.enumerated.sandwich",
    source=f"{SOURCE}, Theorems 1 and 2; the sandwich ratio of proofs/dexter_sandwich.py against every batch",
    refs=("dexter2024",),
    latex=(r"The sandwich ratio that the proof returns (and the printed function) equals $\eta_1/\eta_2$, with "
           r"$\eta_1$ the root of Theorem 1's hypothesis $\lambda = (\sigma/\eta)(n/B-1)^{-1/2}$ and $\eta_2$ the "
           r"critical rate of Theorem 2's construction with every Bernoulli batch enumerated (both by Brent's "
           r"method, to $10^{-10}$)."),
    text="the sandwich ratio that the proof returns (and the printed function) equals eta_1 / eta_2, with eta_1 the "
         "root of Theorem 1's hypothesis lam = (sigma / eta)(n/B - 1)^(-1/2) and eta_2 the critical rate of Theorem "
         "2's construction with every bernoulli batch enumerated (both by brentq, to 1e-10)",
    notion="mean-square", sampling="bernoulli", regime="n in [3, 10], sigma in [1, n], B in [1, n-1], lam in [0.1, 10]",
    method="exact", sample=_construction_instance, check=_sandwich_enum_check, tag="derived",
    threshold="sandwich_ratio", default_instances=10,
))


def _gd_instance(rng):
    return {"d": int(rng.integers(1, 6)), "n": int(rng.integers(1, 5)), "scale": float(10 ** rng.uniform(-1, 1)),
            "seed": int(rng.integers(2**31))}


def _gd_check(inst, rng):
    """Full-batch gradient descent on f(w) = w^T H w / 2 with H = mean of n PSD members (spectrum in
    [0.05, 1] lam_max): its step map, read off by one GD step from each basis vector, and E[J (x) J] with B = n
    (one batch, enumerated) have spectral radius 1 at the proof's eta_c and < 1 just below it."""
    from rmtcheck.studies.dexter._enumeration import sgd_operator, spectral_radius

    g = np.random.default_rng(inst["seed"])
    d, n = inst["d"], inst["n"]
    Q, _ = np.linalg.qr(g.standard_normal((d, d)))
    spec = inst["scale"] * np.concatenate([[1.0], g.uniform(0.05, 1.0, d - 1)])
    H = (Q * spec) @ Q.T
    W = g.dirichlet(np.ones(n)) * n  # members n w_i H / n: PSD, mean H
    members = W[:, None, None] * H[None]
    lam = float(np.linalg.eigvalsh(H)[-1])

    def step_map(eta):  # column j: one GD step w -> w - eta grad f(w) from w = e_j
        return np.column_stack([e - eta * (H @ e) for e in np.eye(d)])

    eta_c = _expr("gd_lr", lam=lam)
    rho = {"gd_step_map": spectral_radius(step_map(eta_c)),
           "full_batch_enumerated": spectral_radius(sgd_operator(members, eta_c, n, "without_replacement")),
           "printed_gd_lr_over_proof": float(th.gd_lr(lam)) / eta_c}
    below = spectral_radius(step_map(eta_c * (1 - 1e-6)))
    bad = any(abs(v - 1.0) > 1e-10 for v in rho.values()) or not below < 1.0
    return Outcome(violated=bad, detail={"critical_lr": eta_c, "at_critical_lr": rho, "just_below": below})


register(Statement(
    id="dexter.gd_criterion_iterated",
    source=f"{SOURCE} (full-batch limit); the criterion of proofs/dexter_gd_criterion.py against GD itself",
    refs=("dexter2024",),
    latex=(r"At the critical rate the proof returns, $2/\lambda_{\max}$, the step map of full-batch gradient descent"
           r" on a quadratic (one step from each basis vector) and the operator $\mathbb{E}[J \otimes J]$ of $B = n$"
           r" (the one batch) have spectral radius $1$ (to $10^{-10}$), and the step map's spectral radius is $< 1$ "
           r"at $(1 - 10^{-6})$ times that rate; the printed \texttt{gd\_lr} agrees."),
    text="at the critical rate the proof returns (2/lam_max), the step map of full-batch gradient descent on a "
         "quadratic (one GD step from each basis vector) and the operator E[J (x) J] of B = n (the one batch) have "
         "spectral radius 1 (to 1e-10), and the step map < 1 at (1 - 1e-6) times it; the printed gd_lr agrees",
    notion="deterministic", sampling="without_replacement", regime="d in [1, 5], n in [1, 4], spectrum in "
    "[0.05, 1] lam_max, lam_max in [0.1, 10]",
    method="exact", sample=_gd_instance, check=_gd_check, tag="derived", threshold="gd_lr", default_instances=10,
))


def _coherence_instance(rng):
    return {"n": int(rng.integers(1, 9)), "d": int(rng.integers(1, 6)), "rank_one": bool(rng.integers(2)),
            "seed": int(rng.integers(2**31))}


def _psd_sqrt(H):
    w, V = np.linalg.eigh(H)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def _coherence_check(inst, rng):
    """Definition 1 of the paper with dense matrices: S_ij = ||H_i^(1/2) H_j^(1/2)||_F (principal square roots by
    eigh), sigma = lam_max(S) / max_i lam_max(H_i)."""
    from rmtcheck.stability.coherence import coherence_matrix

    g = np.random.default_rng(inst["seed"])
    n, d = inst["n"], inst["d"]
    scale = 10 ** g.uniform(-1, 1, n)
    if inst["rank_one"]:
        G = g.standard_normal((n, d)) * np.sqrt(scale)[:, None]
        arg, H = G, np.einsum("ia,ib->iab", G, G)
    else:
        X = g.standard_normal((n, d, d)) * (g.random((n, 1, d)) < 0.7)  # random ranks
        X[:, :, 0] += g.standard_normal((n, d))  # no zero member
        H = scale[:, None, None] * np.einsum("iak,ibk->iab", X, X) / d
        arg = H
    R = [_psd_sqrt(h) for h in H]
    S = np.array([[np.linalg.norm(a @ b) for b in R] for a in R])
    sig = float(np.linalg.eigvalsh(S)[-1]) / max(float(np.linalg.eigvalsh(h)[-1]) for h in H)
    Sg, sg = coherence_matrix(arg), coherence(arg)
    err_S = float(np.abs(Sg - S).max() / S.max())
    bad = err_S > 1e-7 or abs(sg - sig) > 1e-10 * sig
    return Outcome(violated=bad, detail={"coherence": sg, "definition": sig, "max_rel_err_S": err_S})


register(Statement(
    id="dexter.coherence_definition",
    source=f"{SOURCE}, Definition 1 (coherence)",
    refs=("dexter2024",),
    latex=(r"\texttt{coherence\_matrix} equals $S_{ij} = \lVert H_i^{1/2} H_j^{1/2}\rVert_F$ built from principal "
           r"square roots (by \texttt{eigh}) of the dense members (to $10^{-7}$ of $\max S$: a square root of a "
           r"trace near $0$ loses half the digits), and \texttt{coherence} equals $\lambda_{\max}(S)/\max_i "
           r"\lambda_{\max}(H_i)$ (to $10^{-10}$), for rank-one factors and dense stacks of random rank."),
    text="coherence_matrix equals S_ij = ||H_i^(1/2) H_j^(1/2)||_F built from principal square roots (eigh) of the "
         "dense members (to 1e-7 of max S: a sqrt of a trace near 0 loses half the digits) and coherence equals "
         "lam_max(S) / max_i lam_max(H_i) (to 1e-10), for rank-one factors and dense stacks of random rank",
    notion="deterministic", sampling="none", regime="n in [1, 8], d in [1, 5], member scales in [0.1, 10]",
    method="exact", sample=_coherence_instance, check=_coherence_check, tag="paper", default_instances=12,
))

# what a counterexample of each probe refutes (issue 13, item 5)
scope({
    "dexter.theorem1.equality": "Refutes Theorem 1 as its source states it, in its own model (bernoulli sampling, "
    "mean-square, exact rationals): the theorem's r >= 1 includes r = 1, where the construction's growth factor is "
    "exactly 1, so E||delta_k||^2 stays bounded. Only the boundary case; r > 1 holds (dexter.theorem1).",
    "dexter.theorem1.without_replacement": "Does not refute Theorem 1 (proved for bernoulli sampling): it refutes "
    "the transfer of its condition to fixed-size batches without replacement, the sampling of the paper's experiments.",
    "dexter.theorem1.with_replacement": "Does not refute Theorem 1 (proved for bernoulli sampling): it refutes the "
    "transfer of its condition to batches drawn with replacement.",
    "dexter.theorem1.without_replacement.B1": "Does not refute Theorem 1 as stated (bernoulli): it refutes its use "
    "at B = 1 without replacement, the setting of the authors' Hessian-test experiments.",
    "dexter.ms_implies_as": "Refutes no statement of the source: it refutes the reading of blown-up-run counts "
    "(an almost-sure, Lyapunov quantity) as evidence of mean-square divergence, which the paper's experiments imply "
    "but its theorems do not state.",
})
