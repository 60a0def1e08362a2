"""Statements of Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective"
(arXiv 2602.02986) [changkhanna2026], and the derived facts rmtcheck builds on, checked against the
exact mixed operators of :mod:`rmtcheck.stability.unlearning` and Monte Carlo.

Escape (unlearning succeeds) means divergence: :math:`\\rho(T) > 1` (mean-square) or a positive top
Lyapunov exponent (almost-sure); each row names one notion. Headline claims that are not theorems are
registered ``claimed=False`` and report their counterexamples (instance in ``first_violation``).

Rows tagged ``derived`` are this package's own derivations, proved in ``proofs/``: the three-axis
identity and the pair/independent operators (``proofs/chang_khanna_three_axis.py``), the tightness
construction, the orthogonal case and alpha = 0 (``proofs/chang_khanna_tightness.py``), the Dexter-type
escape conditions, after [dexter2024], Theorem 1 (``proofs/chang_khanna_dexter_conditions.py``), and the
non-interpolating extension (``proofs/chang_khanna_noise.py``).
"""

from __future__ import annotations

import functools

import numpy as np

from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.montecarlo import blew_up, second_moment_mc, simulate
from rmtcheck.stability.noisy_unlearning import NoisyMixedDynamics
from rmtcheck.stability.operator import dense_growth, sgd_recursion
from rmtcheck.stability.pairs import PairFamily
from rmtcheck.stability.sampling import MIXED_SAMPLINGS
from rmtcheck.stability.three_axis import cross_traces, pair_coherence, pair_coherence_naive
from rmtcheck.stability.unlearning import critical_alpha, mixed_critical_lr, mixed_recursion, resist_interval
from rmtcheck.studies.chang_khanna.constructions import (
    hessian_test_unlearning,
    least_squares_instance,
    random_unlearning_instance,
    rotated_forget,
    tightness_construction,
    tightness_factor,
)
from rmtcheck.studies.dexter.statements import MC_MARGIN, MC_TAIL, mc_resolvable, mc_wrong_side
from rmtcheck.verify.statement import Outcome, Statement, register, scope

SOURCE = "Chang & Khanna 2026, arXiv 2602.02986"
_REL = 1e-9


def _inst(rng, n_max=12, d_max=5):
    inst = random_unlearning_instance(rng, n_max=n_max, d_max=d_max)
    inst["alpha"] = float(rng.uniform(0.02, 0.98))
    inst["B"] = int(rng.integers(1, min(inst["n_r"], inst["n_f"]) + 1))
    inst["u"] = float(rng.uniform(0.05, 2.0))
    return inst


def _lr(inst):
    return inst["u"] / max(inst["retain"].lambda_max, inst["forget"].lambda_max)


# --------------------------------------------------------------------------- identities
def _three_axis_check(inst, rng):
    R, F, a = inst["retain"], inst["forget"], inst["alpha"]
    P = PairFamily(R, F, alpha=a)
    K = P.gram_traces()
    Rt, Ft, C = R.gram_traces, F.gram_traces, cross_traces(R, F)
    dec = ((1 - a) ** 2 * Rt[:, None, :, None] + a * a * Ft[None, :, None, :]
           - a * (1 - a) * (C[:, None, None, :] + C.T[None, :, :, None])).reshape(P.n, P.n)
    err = float(np.abs(K - dec).max() / max(np.abs(K).max(), 1e-300))
    pc = pair_coherence(R, F, alpha=a)
    naive = pair_coherence_naive(R, F, alpha=a)
    bad = err > 1e-10 or not np.isfinite(pc.sigma_mix) or abs(pc.sigma_mix - naive) > 1e-8 * naive
    return Outcome(violated=bad, detail={"max_rel_err": err, "sigma_mix": pc.sigma_mix, "sigma_mix_naive": naive,
                                         "negative_fraction": pc.negative_fraction})


register(Statement(
    id="chang_khanna.three_axis",
    source=f"{SOURCE}, pair coherence (three-axis identity derived here, proofs/chang_khanna_three_axis.py)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"$\operatorname{Tr}(D_{ij}D_{kl}) = (1-\alpha)^2\operatorname{Tr}(A_iA_k) + "
           r"\alpha^2\operatorname{Tr}(B_jB_l) - \alpha(1-\alpha)[\operatorname{Tr}(A_iB_l) + "
           r"\operatorname{Tr}(B_jA_k)]$; $\sigma_{\mathrm{mix}}$ with $\lvert\operatorname{Tr}\rvert$ (the "
           r"absolute-value convention) is finite and equals the naive pair-matrix value."),
    text="Tr(D_ij D_kl) = (1-a)^2 Tr(A_i A_k) + a^2 Tr(B_j B_l) - a(1-a)[Tr(A_i B_l) + Tr(B_j A_k)]; sigma_mix with "
         "|Tr| (absolute-value convention) is finite and equals the naive pair-matrix value",
    notion="deterministic", sampling="none", regime="random PSD retain/forget families, alpha in (0, 1)",
    method="exact", sample=lambda rng: _inst(rng, n_max=7, d_max=4), check=_three_axis_check, tag="derived",
    default_instances=6,
))


def _operator_check(inst, rng):
    R, F, a, B = inst["retain"], inst["forget"], inst["alpha"], inst["B"]
    eta = _lr(inst)
    det, bad = {"lr": eta}, False
    for s in MIXED_SAMPLINGS:
        rec = mixed_recursion(R, F, B, alpha=a, sampling=s)
        g, gd = rec.growth(eta), dense_growth(rec.dense_matrix(eta))
        det[s] = g
        bad |= abs(g - gd) > 1e-9 * max(1.0, gd)
    return Outcome(violated=bad, detail=det)


register(Statement(
    id="chang_khanna.mixed_operator",
    source=f"{SOURCE}, linearised descent-ascent (operators derived here, proofs/gram_space.py)",
    refs=("changkhanna2026", "mulayoff2024"),
    latex=(r"The matrix-free mixed operators (independent Bernoulli, pair Bernoulli via the pair-sandwich "
           r"decomposition, without replacement) have the spectral radius of their dense Kronecker forms."),
    text="the matrix-free mixed operators (independent bernoulli, pair bernoulli via the pair-sandwich "
         "decomposition, without replacement) have the spectral radius of their dense Kronecker forms",
    notion="mean-square", sampling="pair_bernoulli", regime="random families, d <= 5, all three batch models",
    method="exact", sample=lambda rng: _inst(rng, n_max=8, d_max=4), check=_operator_check, tag="derived",
    default_instances=6,
))


# --------------------------------------------------------------------------- constructions
def _tight_inst(rng):
    n_r, n_f = int(rng.integers(2, 60)), int(rng.integers(2, 60))
    return {"n_r": n_r, "n_f": n_f, "sigma_r": int(rng.integers(1, n_r + 1)), "sigma_f": int(rng.integers(1, n_f + 1)),
            "lam_r": float(rng.uniform(0.1, 3)), "lam_f": float(rng.uniform(0.1, 3)),
            "alpha": float(rng.uniform(0, 1)), "B": int(rng.integers(1, min(n_r, n_f) + 1)),
            "lr": float(rng.uniform(0.01, 2.0))}


def _tight_check(inst, rng):
    k = inst
    R, F = tightness_construction(k["n_r"], k["sigma_r"], k["lam_r"], k["n_f"], k["sigma_f"], k["lam_f"])
    rho = mixed_recursion(R, F, k["B"], alpha=k["alpha"], sampling="independent_bernoulli").growth(k["lr"])
    cf = float(tightness_factor(k["lr"], k["alpha"], k["lam_r"], k["lam_f"], k["n_r"], k["n_f"], k["sigma_r"],
                                k["sigma_f"], k["B"]))
    return Outcome(violated=abs(rho - cf) > 1e-10 * max(1, cf),
                   detail={"ms_growth": rho, "closed_form": cf, "escapes": bool(rho > 1)})


register(Statement(
    id="chang_khanna.tightness",
    source=f"{SOURCE} (tightness construction derived here, proofs/chang_khanna_tightness.py)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"With $\sigma_r$ retain and $\sigma_f$ forget members on $e_1$: $\rho(T) = (1 - \eta\bar d)^2 + "
           r"\eta^2\bigl[(1-\alpha)^2\lambda_r^2(n_r/B-1)/\sigma_r + \alpha^2\lambda_f^2(n_f/B-1)/\sigma_f\bigr]$ "
           r"with $\bar d = (1-\alpha)\lambda_r - \alpha\lambda_f$; unlearning escapes iff this exceeds $1$."),
    text="sigma_r retain and sigma_f forget members on e1: rho(T) = (1-eta dbar)^2 + eta^2[(1-a)^2 lr^2 (n_r/B-1)/sigma_r "
         "+ a^2 lf^2 (n_f/B-1)/sigma_f]; unlearning escapes iff this exceeds 1",
    notion="mean-square", sampling="independent_bernoulli", regime="tightness construction, any eta, alpha, B",
    method="exact", sample=_tight_inst, check=_tight_check, tag="derived", default_instances=15,
))


def _orth_check(inst, rng):
    k = inst
    R, F = tightness_construction(k["n_r"], k["sigma_r"], k["lam_r"], k["n_f"], k["sigma_f"], k["lam_f"], np.pi / 2)
    a = max(k["alpha"], 1e-3)
    det, bad = {}, False
    lower = (1 + k["lr"] * a * k["lam_f"]) ** 2
    for s in ("independent_bernoulli", "without_replacement"):
        rho = mixed_recursion(R, F, k["B"], alpha=a, sampling=s).growth(k["lr"])
        det[s] = rho
        bad |= not (rho >= lower * (1 - 1e-12) and rho > 1)
        bad |= mixed_critical_lr(R, F, k["B"], alpha=a, sampling=s) != 0.0
    cf = float(tightness_factor(k["lr"], a, k["lam_r"], k["lam_f"], k["n_r"], k["n_f"], k["sigma_r"], k["sigma_f"],
                                k["B"], orthogonal=True))
    bad |= cf <= 1
    return Outcome(violated=bad, tightness=det["independent_bernoulli"] / lower,
                   detail={**det, "lower_bound": lower, "e2_closed_form": cf})


register(Statement(
    id="chang_khanna.orthogonal_escapes",
    source=f"{SOURCE} (orthogonal forget curvature)",
    refs=("changkhanna2026",),
    latex=(r"Forget curvature orthogonal to all retain curvature: $\rho(T) \ge (1 + \eta\alpha\lambda_f)^2 > 1$ for "
           r"every $\eta, \alpha > 0$ (critical $\eta = 0$): unlearning always escapes."),
    text="forget curvature orthogonal to all retain curvature: rho(T) >= (1 + eta alpha lambda_f)^2 > 1 for every "
         "eta, alpha > 0 (critical eta = 0): unlearning always escapes",
    notion="mean-square", sampling="independent_bernoulli",
    regime="tightness construction with theta = pi/2; independent bernoulli and without replacement",
    method="exact", sample=_tight_inst, check=_orth_check, tag="paper", default_instances=10,
))


def _alpha0_check(inst, rng):
    R, B = inst["retain"], inst["B"]
    eta = _lr(inst)
    g_ind = mixed_recursion(R, inst["forget"], B, alpha=0.0, sampling="independent_bernoulli").growth(eta)
    g_sgd = sgd_recursion(R, B, sampling="bernoulli").growth(eta)
    g_wor = mixed_recursion(R, inst["forget"], B, alpha=0.0, sampling="without_replacement").growth(eta)
    g_sgd_wor = sgd_recursion(R, B, sampling="without_replacement").growth(eta)
    bad = abs(g_ind - g_sgd) > 1e-10 * g_sgd or abs(g_wor - g_sgd_wor) > 1e-10 * g_sgd_wor
    return Outcome(violated=bad, detail={"mixed": g_ind, "sgd": g_sgd, "mixed_wor": g_wor, "sgd_wor": g_sgd_wor})


register(Statement(
    id="chang_khanna.alpha_zero",
    source=f"{SOURCE} (mixing weight zero: no forget term)",
    refs=("changkhanna2026",),
    latex=(r"$\alpha = 0$ reduces descent--ascent to SGD on the retain set (the same mean-square growth; independent"
           r" Bernoulli becomes Bernoulli, without replacement stays without replacement)."),
    text="alpha = 0 reduces descent-ascent to SGD on the retain set (same mean-square growth, independent "
         "bernoulli = bernoulli, without replacement = without replacement)",
    notion="mean-square", sampling="independent_bernoulli", regime="random families, alpha = 0",
    method="exact", sample=_inst, check=_alpha0_check, tag="derived", default_instances=8,
))


# --------------------------------------------------------------------------- sufficient conditions
def _dexter_terms_check(sampling):
    def check(inst, rng):
        R, F, a, B = inst["retain"], inst["forget"], inst["alpha"], inst["B"]
        eta = _lr(inst)
        sr, sf = coherence(R), coherence(F)
        rr = (eta * (1 - a) * R.lambda_max / sr) ** 2 * (R.n / B - 1)
        rf = (eta * a * F.lambda_max / sf) ** 2 * (F.n / B - 1)
        rec = mixed_recursion(R, F, B, alpha=a, sampling=sampling)
        lam = np.linalg.eigvalsh(rec.mean)
        mean_factor = float(max((1 - eta * lam) ** 2))
        r = max(rr, rf, mean_factor)
        if r < 1:
            return Outcome(violated=False, skipped=True)
        rho = rec.growth(eta)
        return Outcome(violated=rho < r * (1 - _REL), tightness=rho / r,
                       detail={"r_retain": rr, "r_forget": rf, "mean_factor": mean_factor, "ms_growth": rho, "lr": eta})

    return check


def _cond_inst(rng):
    inst = _inst(rng)
    inst["u"] = float(rng.uniform(0.5, 3.0))
    return inst


register(Statement(
    id="chang_khanna.dexter_terms",
    source=f"{SOURCE} (Dexter-type sufficient escape conditions derived here, proofs/chang_khanna_dexter_conditions.py)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"$\max\bigl(r_{\mathrm{retain}}, r_{\mathrm{forget}}, \max_k (1 - \eta\lambda_k(\bar D))^2\bigr) \ge 1$ "
           r"implies $\rho(T) \ge$ that maximum (escape), where $r_t = (\eta w_t\lambda_t/\sigma_t)^2(n_t/B-1)$."),
    text="max(r_retain, r_forget, max_k (1 - eta lambda_k(Dbar))^2) >= 1 implies rho(T) >= that maximum "
         "(escape), r_t = (eta w_t lambda_t / sigma_t)^2 (n_t/B - 1)",
    notion="mean-square", sampling="independent_bernoulli", regime="independent bernoulli, condition >= 1",
    method="exact", sample=_cond_inst, check=_dexter_terms_check("independent_bernoulli"), tag="derived",
    default_instances=15,
))

register(Statement(
    id="chang_khanna.dexter_terms.without_replacement",
    source=f"{SOURCE} (per-term condition outside its batch model)",
    refs=("changkhanna2026", "dexter2024"),
    latex=r"The per-term Dexter-type condition applied to fixed-size batches without replacement.",
    text="the per-term Dexter-type condition applied to fixed-size batches without replacement",
    notion="mean-square", sampling="without_replacement", regime="without replacement (kappa < 0: not covered)",
    method="exact", sample=_cond_inst, check=_dexter_terms_check("without_replacement"), tag="derived",
    claimed=False, default_instances=15,
))


def _pair_cond_check(inst, rng):
    R, F, a = inst["retain"], inst["forget"], inst["alpha"]
    N = R.n * F.n
    B = int(rng.integers(1, N))
    eta = _lr(inst)
    pc = pair_coherence(R, F, alpha=a)
    rec = mixed_recursion(R, F, B, alpha=a, sampling="pair_bernoulli")
    dn = float(np.linalg.norm(rec.mean, 2))
    r = (eta * dn / pc.sigma_mix) ** 2 * (N / B - 1)
    if r < 1:
        return Outcome(violated=False, skipped=True)
    rho = rec.growth(eta)
    return Outcome(violated=rho < r * (1 - _REL), tightness=rho / r,
                   detail={"r_mix": r, "sigma_mix": pc.sigma_mix, "ms_growth": rho, "B": B, "lr": eta})


def _pair_inst(rng):
    inst = _inst(rng, n_max=8, d_max=4)
    inst["u"] = float(rng.uniform(1.0, 20.0))
    return inst


register(Statement(
    id="chang_khanna.dexter_pairs",
    source=f"{SOURCE} (pair condition derived by analogy with Dexter et al. 2024, Theorem 1)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"$r_{\mathrm{mix}} = (\eta\lVert\bar D\rVert/\sigma_{\mathrm{mix}})^2(N/B-1) \ge 1$ implies "
           r"$\rho(T_{\mathrm{pair}}) \ge r_{\mathrm{mix}}$ (hypothesis: the signed pairs have no square roots, so "
           r"Dexter's norm-compression proof does not transfer)."),
    text="r_mix = (eta ||Dbar|| / sigma_mix)^2 (N/B - 1) >= 1 implies rho(T_pair) >= r_mix (hypothesis: the signed "
         "pairs have no square roots, so Dexter's norm-compression proof does not transfer)",
    notion="mean-square", sampling="pair_bernoulli", regime="pair bernoulli, r_mix >= 1, |Tr| convention",
    method="exact", sample=_pair_inst, check=_pair_cond_check, tag="derived", claimed=False, default_instances=15,
))


# --------------------------------------------------------------------------- headline claims
_THETAS = np.linspace(0.0, np.pi / 2, 9)


def _rotation_check(inst, rng):
    k = inst
    R, F = tightness_construction(k["n_r"], k["sigma_r"], k["lam_r"], k["n_f"], k["sigma_f"], k["lam_f"])
    g = np.array([mixed_recursion(R, rotated_forget(F, t), k["B"], alpha=k["alpha"], sampling="independent_bernoulli").growth(k["lr"])
                  for t in _THETAS])
    drops = np.diff(g) < -1e-10 * g[1:]
    overshoot = k["lr"] * (1 - k["alpha"]) * k["lam_r"]
    return Outcome(violated=bool(drops.any()), detail={
        "theta": _THETAS, "ms_growth": g, "orthogonal_minus_aligned": float(g[-1] - g[0]),
        "overshoot_eta_1ma_lam_r": overshoot, "in_overshoot_regime": bool(overshoot > 1),
        "refutes": "the derived prediction that rho(T) grows monotonically with the angle, not claim (a) itself, "
                   "which is about the escape verdict (chang_khanna.rotation_escape_verdict)"})


register(Statement(
    id="chang_khanna.rotation_monotone",
    source=f"{SOURCE}, a derived prediction behind headline claim (a): monotonicity of the growth factor",
    refs=("changkhanna2026",),
    latex=(r"(A derived prediction, stronger than the paper's claim (a), which is about escape versus resistance.) "
           r"Rotating the forget family (retain fixed) by $\theta$ in the $(e_1, e_2)$ plane, from aligned with the "
           r"retain curvature ($\theta = 0$) to orthogonal ($\theta = \pi/2$), never decreases the mean-square "
           r"growth factor $\rho(T)$; the detail says whether the instance is in the overshoot regime "
           r"$\eta(1-\alpha)\lambda_r > 1$."),
    text="(derived prediction, stronger than the paper's claim (a), which is about escape versus resistance) "
         "rotating the FORGET family (retain fixed) by theta in the (e1, e2) plane from aligned with the retain "
         "curvature (theta = 0) to orthogonal (pi/2) never decreases the mean-square growth factor rho(T); detail: "
         "whether the instance is in the overshoot regime eta (1 - alpha) lambda_r > 1",
    notion="mean-square", sampling="independent_bernoulli",
    regime="tightness construction, 9 angles in [0, pi/2]", method="exact", sample=_tight_inst,
    check=_rotation_check, tag="paper", claimed=False, default_instances=15,
))


def _rotation_random_inst(rng):
    inst = _inst(rng, n_max=10, d_max=4)
    return inst


def _rotation_random_check(inst, rng):
    R, F, a, B = inst["retain"], inst["forget"], inst["alpha"], inst["B"]
    eta = _lr(inst)
    w, V = np.linalg.eigh(R.mean)
    u = V[:, -1]
    # forget aligned: its top mean direction rotated onto u first, then rotated away towards v
    wf, Vf = np.linalg.eigh(F.mean)
    from rmtcheck.studies.chang_khanna.constructions import rotate_family, rotation_matrix

    f_top = Vf[:, -1]
    c = float(np.clip(f_top @ u, -1, 1))
    if abs(abs(c) - 1) > 1e-12:
        v0 = f_top - c * u
        v0 /= np.linalg.norm(v0)
        F = rotate_family(F, rotation_matrix(R.d, -np.arccos(c), u, v0))
    v = V[:, 0]
    g = np.array([mixed_recursion(R, rotated_forget(F, t, u, v), B, alpha=a, sampling="independent_bernoulli").growth(eta)
                  for t in _THETAS])
    drops = np.diff(g) < -1e-10 * g[1:]
    overshoot = eta * (1 - a) * float(w[-1])
    return Outcome(violated=bool(drops.any()), detail={"ms_growth": g, "lr": eta, "overshoot_eta_1ma_lam_r": overshoot,
                                                       "in_overshoot_regime": bool(overshoot > 1)})


register(Statement(
    id="chang_khanna.rotation_monotone.random",
    source=f"{SOURCE}, a derived prediction behind headline claim (a), general families",
    refs=("changkhanna2026",),
    latex=(r"(A derived prediction, stronger than claim (a).) Rotating the forget family rigidly, its top mean "
           r"direction first aligned with the retain top direction $u$ and then rotated towards the retain bottom "
           r"direction $v$, never decreases the mean-square growth factor $\rho(T)$; the detail says whether the "
           r"instance is in the overshoot regime."),
    text="(derived prediction, stronger than claim (a)) rotating the FORGET family rigidly (its top mean direction "
         "first aligned with the retain top direction u, then rotated towards the retain bottom direction v) never "
         "decreases the mean-square growth factor rho(T); detail: whether the instance is in the overshoot regime",
    notion="mean-square", sampling="independent_bernoulli", regime="random families, 9 angles in [0, pi/2]",
    method="exact", sample=_rotation_random_inst, check=_rotation_random_check, tag="paper", claimed=False,
    default_instances=10,
))


_VERDICT_THETAS = np.linspace(0.0, np.pi / 2, 33)
_TIE = 1e-12  # |rho - 1| at or below this (relative) is a boundary cell, not a verdict


def _rotation_verdict_check(inst, rng):
    k = inst
    R, F = tightness_construction(k["n_r"], k["sigma_r"], k["lam_r"], k["n_f"], k["sigma_f"], k["lam_f"])
    g = np.array([mixed_recursion(R, rotated_forget(F, t), k["B"], alpha=k["alpha"],
                                  sampling="independent_bernoulli").growth(k["lr"]) for t in _VERDICT_THETAS])
    verdict = np.where(g > 1 + _TIE, 1, np.where(g < 1 - _TIE, -1, 0))  # escape, resist, boundary
    decided = verdict[verdict != 0]
    # an escape at a smaller angle followed by resistance at a larger one reverses the claimed direction
    reversed_ = bool(np.any((decided[:-1] == 1) & (decided[1:] == -1))) if decided.size > 1 else False
    return Outcome(violated=reversed_, detail={"verdicts": verdict.tolist(), "ms_growth": g,
                                               "boundary_angles": int(np.sum(verdict == 0))})


register(Statement(
    id="chang_khanna.rotation_escape_verdict",
    source=f"{SOURCE}, headline claim (a): rotating the forget curvature away from the retain curvature "
           "makes unlearning easier",
    refs=("changkhanna2026",),
    latex=(r"Rotating the forget family from aligned with the retain curvature ($\theta = 0$) to orthogonal ($\theta"
           r" = \pi/2$) never turns escape into resistance: along $33$ angles, once the mean-square verdict is "
           r"escape ($\rho(T) > 1$) it stays escape (cells with $\lvert\rho - 1\rvert \le 10^{-12}$ are boundary "
           r"cells and decide nothing)."),
    text="rotating the FORGET family from aligned with the retain curvature (theta = 0) to orthogonal (pi/2) never "
         "turns escape into resistance: along 33 angles, once the mean-square verdict is escape (rho(T) > 1) it stays "
         "escape (cells with |rho - 1| <= 1e-12 are boundary cells and decide nothing)",
    notion="mean-square", sampling="independent_bernoulli", regime="tightness construction, 33 angles in [0, pi/2]",
    method="exact", sample=_tight_inst, check=_rotation_verdict_check, tag="paper", claimed=False,
    default_instances=15,
))


def _rotation_mc_inst(rng):
    inst = _tight_inst(rng)
    inst["n_r"], inst["n_f"] = int(rng.integers(4, 20)), int(rng.integers(4, 20))
    inst["sigma_r"] = int(rng.integers(1, inst["n_r"] + 1))
    inst["sigma_f"] = int(rng.integers(1, inst["n_f"] + 1))
    inst["B"] = int(rng.integers(1, min(inst["n_r"], inst["n_f"]) + 1))
    return inst


def _rotation_mc_check(inst, rng):
    k = inst
    R, F = tightness_construction(k["n_r"], k["sigma_r"], k["lam_r"], k["n_f"], k["sigma_f"], k["lam_f"])
    thetas = np.array([0.0, np.pi / 4, np.pi / 2])
    frac = []
    for t in thetas:
        rec = mixed_recursion(R, rotated_forget(F, t), k["B"], alpha=k["alpha"], sampling="independent_bernoulli")
        res = simulate(rec, k["lr"], steps=150, runs=64, rng=rng)
        L = res.log_norms
        frac.append(float(np.mean(blew_up(L))))
    frac = np.array(frac)
    # a decrease larger than sampling noise (3 binomial standard errors of the difference) is a counterexample
    se = np.sqrt((frac[:-1] * (1 - frac[:-1]) + frac[1:] * (1 - frac[1:])) / 64)
    return Outcome(violated=bool(np.any(frac[1:] < frac[:-1] - 3 * se - 1e-12)),
                   detail={"theta": thetas, "escape_fraction": frac})


register(Statement(
    id="chang_khanna.rotation_monotone.monte_carlo",
    source=f"{SOURCE}, headline claim (a) at the verdict level, escape probability",
    refs=("changkhanna2026",),
    latex=(r"Rotating the forget family from aligned to orthogonal never decreases the Monte Carlo escape fraction "
           r"(runs with $\lVert\delta\rVert^2 \ge 1000\,\lVert\delta_0\rVert^2$ within $150$ steps)."),
    text="rotating the FORGET family from aligned to orthogonal never decreases the Monte Carlo escape fraction "
         "(runs with ||delta||^2 >= 1000 ||delta_0||^2 within 150 steps)",
    notion="almost-sure", sampling="independent_bernoulli", regime="tightness construction, theta in {0, pi/4, pi/2}",
    method="monte-carlo", sample=_rotation_mc_inst, check=_rotation_mc_check, tag="paper", claimed=False,
    default_instances=4,
))


def _ht_inst(rng):
    n = int(rng.integers(10, 60))
    return {"n": n, "sigma": int(rng.integers(1, n + 1)), "B": int(rng.integers(1, n + 1)),
            "lr": float([0.5, 0.8][int(rng.integers(2))]), "alpha": 0.1}


def _ht_check(inst, rng):
    n, s, B, eta, a = inst["n"], inst["sigma"], inst["B"], inst["lr"], inst["alpha"]
    R, F = hessian_test_unlearning(n, s)
    det, bad = {}, False
    for samp in ("independent_bernoulli", "without_replacement"):
        rec = mixed_recursion(R, F, B, alpha=a, sampling=samp)
        lam = np.linalg.eigvalsh(rec.mean)
        mean_factor = float(max((1 - eta * lam) ** 2))
        rho = rec.growth(eta)
        full = mixed_recursion(R, F, n, alpha=a, sampling=samp).growth(eta)
        det[samp] = {"ms_growth": rho, "mean_factor": mean_factor, "full_batch": full, "escapes": bool(rho > 1)}
        bad |= mean_factor >= 1 or full >= 1 or abs(lam[-1] - 0.8 * 2.0) > 1e-10
    return Outcome(violated=bad, detail=det)


register(Statement(
    id="chang_khanna.hessian_test_noise_only",
    source=f"{SOURCE}, headline claim (c): the authors' Hessian test for unlearning",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"Identical retain and forget Dexter families ($\lambda_{\max}(H) = 2$) at $\alpha = 0.1$: $\bar D = "
           r"0.8\,H$, the mean factor $\max_k(1 - \eta\lambda_k(\bar D))^2 < 1$ and the full batch converges at "
           r"$\eta \in \{0.5, 0.8\}$, so any escape ($\rho(T) > 1$) comes from batch noise only."),
    text="identical retain and forget Dexter families (lambda_max(H) = 2) at alpha = 0.1: Dbar = 0.8 H, the mean "
         "factor max(1 - eta lambda(Dbar))^2 < 1 and the full batch converges at eta in {0.5, 0.8}, so any escape "
         "(rho(T) > 1) comes from batch noise only",
    notion="mean-square", sampling="independent_bernoulli",
    regime="Hessian test n in [10, 60), alpha = 0.1, eta in {0.5, 0.8}; also without replacement",
    method="exact", sample=_ht_inst, check=_ht_check, tag="paper", default_instances=10,
))


# --------------------------------------------------------------------------- Monte Carlo and notions
def _mc_check(sampling):
    def check(inst, rng):
        R, F, a, B = inst["retain"], inst["forget"], inst["alpha"], inst["B"]
        if sampling == "pair_bernoulli":
            B = int(rng.integers(1, R.n * F.n // 2 + 1))
        eta_star = mixed_critical_lr(R, F, B, alpha=a, sampling=sampling)
        if not (0 < eta_star < np.inf):
            return Outcome(violated=False, skipped=True, detail={"critical_lr": eta_star})
        rec = mixed_recursion(R, F, B, alpha=a, sampling=sampling)
        det, bad, compared = {"critical_lr": eta_star, "B": B}, False, 0
        for f, want_stable in ((0.9, True), (1.1, False)):
            rho = rec.growth(f * eta_star)
            det[f"exact_{f}"] = rho
            if not mc_resolvable(rho):
                continue
            est = second_moment_mc(rec, f * eta_star, steps=100, samples=128, rng=rng)
            z = mc_wrong_side(est, want_stable)
            compared += 1
            det[f"mc_{f}"] = est.ms_growth
            det[f"mc_stderr_{f}"] = est.stderr
            det[f"wrong_side_se_{f}"] = z
            bad |= z > MC_MARGIN
        return Outcome(violated=bad, detail=det, skipped=compared == 0)

    return check


def _mc_inst(rng):
    inst = random_unlearning_instance(rng, n_max=10, d_max=4, kinds=("gaussian", "clustered"))
    inst["alpha"] = float(rng.uniform(0.02, 0.3))
    inst["B"] = int(rng.integers(1, min(inst["n_r"], inst["n_f"]) // 2 + 1))
    return inst


for _s in MIXED_SAMPLINGS:
    register(Statement(
        id=f"chang_khanna.monte_carlo.{_s}",
        source="derived here; proofs/gram_space.py (the exact mixed operator) against rmtcheck/stability/montecarlo.py",
        refs=("changkhanna2026", "mulayoff2024"),
        latex=(r"A population Monte Carlo estimate of the mean-square growth factor of $M \mapsto \mathbb{E}[JMJ]$ "
               r"is below $1$ at $0.9\,\eta^\star$ and above $1$ at $1.1\,\eta^\star$ ($\eta^\star$ the exact "
               r"critical step size of descent--ascent); violated when its logarithmic growth lies on the wrong side of $0$ "
               r"by more than $8$ of its reported standard errors (as \texttt{dexter.monte\_carlo}; detail "
               r"\texttt{wrong\_side\_se}). A step size whose exact factor is within $1\%$ of $1$ is not compared."),
        text="population Monte Carlo of E[J M J] is below 1 at 0.9 eta* and above 1 at 1.1 eta* (eta* the exact "
             "critical step size of descent-ascent): violated when its log growth lies on the wrong side of 0 by "
             "more than 8 of its reported standard errors (as dexter.monte_carlo; detail wrong_side_se); a step "
             "size whose exact factor is within 1% of 1 is not compared",
        notion="mean-square", sampling=_s,
        regime="random families, step sizes 0.9 / 1.1 eta* where |log rho| >= 0.01, eta* in (0, inf)",
        method="monte-carlo", sample=_mc_inst, check=_mc_check(_s), tag="derived", default_instances=3,
        false_alarm=6 * MC_TAIL,
        false_alarm_how="normal tail P(Z > 4) = 3.2e-5 per comparison (margin 8 reported errors, less a bias of 2, "
                        "over a spread of 1.5; calibrated spread <= 1.44, no estimate past 0 in ~6000 comparisons), "
                        "union over 2 step sizes x 3 instances",
    ))


def _alpha_inst(rng):
    k = _tight_inst(rng)
    k["lr"] = float(rng.uniform(0.05, 0.9)) * 2.0 / k["lam_r"]
    return k


def _alpha_interval_inst(rng):
    k = _alpha_inst(rng)
    k.update(random_family=bool(rng.integers(2)), seed=int(rng.integers(2**31)), lr_factor=float(rng.uniform(0.05, 1.5)))
    return k


def _alpha_interval_check(inst, rng, sampling):
    k = dict(inst)
    if k["random_family"]:  # a random (retain, forget) pair drawn from its seed; the step from lr_factor
        fam = random_unlearning_instance(k["seed"], n_max=8, d_max=4)
        R, F = fam["retain"], fam["forget"]
        k["lr"] = k["lr_factor"] * 2.0 / float(np.linalg.eigvalsh(R.mean)[-1])
        k["B"] = int(min(k["B"], R.n, F.n))
    else:
        R, F = tightness_construction(k["n_r"], k["sigma_r"], k["lam_r"], k["n_f"], k["sigma_f"], k["lam_f"])
    iv = resist_interval(R, F, k["lr"], k["B"], sampling=sampling)
    a_star = critical_alpha(R, F, k["lr"], k["B"], sampling=sampling)
    grid = np.linspace(0, 1, 41)[1:]  # alpha = 0 is plain SGD on the retain set (no unlearning)
    rho = np.array([mixed_recursion(R, F, k["B"], alpha=a, sampling=sampling).growth(k["lr"]) for a in grid])
    resist = rho < 1
    pred = np.zeros_like(resist) if iv is None else (grid > iv[0]) & (grid < iv[1])
    near = np.zeros_like(resist) if iv is None else (np.abs(grid - iv[0]) < 1e-6) | (np.abs(grid - iv[1]) < 1e-6)
    mism = (resist != pred) & ~near
    # convexity on the grid: second differences of rho are non-negative (up to round-off)
    second = rho[2:] - 2 * rho[1:-1] + rho[:-2]
    nonconvex = bool((second < -1e-9 * rho.max()).any())
    return Outcome(violated=bool(mism.any()) or nonconvex,
                   detail={"sampling": sampling, "lr": k["lr"], "B": k["B"], "resist_interval": iv, "critical_alpha": a_star,
                           "min_second_difference": float(second.min()), "resist_on_grid": resist})


for _s in MIXED_SAMPLINGS:
    register(Statement(
        id=f"chang_khanna.escape_set_interval.{_s}",
        source=f"{SOURCE} (critical mixing weight)",
        refs=("changkhanna2026",),
        latex=(r"$\rho(T(\alpha))$ is convex in $\alpha$ on $(0, 1]$, so the resisting mixing weights $\{\alpha : "
               r"\rho(T(\alpha)) < 1\}$ form one interval and unlearning escapes exactly outside it (for all $\alpha"
               r" \ge \alpha_{\mathrm{crit}}$)."),
        text="rho(T(alpha)) is convex in alpha on (0, 1], so the resisting mixing weights {alpha: rho < 1} form "
             "one interval and unlearning escapes exactly outside it (for all alpha >= critical_alpha)",
        notion="mean-square", sampling=_s, regime="tightness construction or random families, 41 alphas",
        method="exact", sample=_alpha_interval_inst, check=functools.partial(_alpha_interval_check, sampling=_s),
        tag="derived", claimed=True, default_instances=6,
    ))


def _noise_inst(rng):
    n_r, n_f = int(rng.integers(6, 20)), int(rng.integers(3, 12))
    d = int(rng.integers(2, 5))
    return {"n_r": n_r, "n_f": n_f, "d": d, "alpha": float(rng.uniform(0.02, 0.3)),
            "B": int(rng.integers(1, min(n_r, n_f) + 1)), "seed": int(rng.integers(2**31)),
            "sampling": ["independent_bernoulli", "without_replacement"][int(rng.integers(2))]}


def _noise_check(inst, rng):
    k = inst
    R, F, gr, gf = least_squares_instance(k["n_r"], k["n_f"], k["d"], 1.0, k["seed"])
    dyn = NoisyMixedDynamics(R, F, gr, gf, k["B"], alpha=k["alpha"], sampling=k["sampling"])
    eta_star = mixed_critical_lr(R, F, k["B"], alpha=k["alpha"], sampling=k["sampling"])
    if not (0 < eta_star < np.inf):
        return Outcome(violated=False, skipped=True)
    lo, hi = 0.5 * eta_star, 1.5 * eta_star
    M_inf, m_inf = dyn.stationary(lo)
    M1, m1 = dyn.step(M_inf, m_inf, lo)
    fixed = np.abs(M1 - M_inf).max() <= 1e-8 * np.abs(M_inf).max()
    rho_lo = dyn.rec.growth(lo)
    steps = int(min(3000, max(200, np.ceil(30 / max(-np.log(rho_lo), 1e-6)))))
    tr_lo = dyn.iterate(lo, steps)
    target = float(np.trace(M_inf))
    conv = abs(tr_lo[-1] - target) <= 1e-6 * target + 1e-12
    rho_hi = dyn.rec.growth(hi)
    lt = dyn.log_second_moment(hi, 600)
    rate = float(np.exp((lt[-1] - lt[-201]) / 200))
    div = lt[-1] > lt[0] and abs(np.log(rate) - np.log(rho_hi)) <= 0.05 * np.log(rho_hi)
    bad = not (fixed and conv and target > 0 and div)
    return Outcome(violated=bad, detail={"critical_lr": eta_star, "stationary_trace": target, "trace_end_below": tr_lo[-1],
                                         "rho_below": rho_lo, "rho_above": rho_hi, "empirical_rate_above": rate})


register(Statement(
    id="chang_khanna.non_interpolating",
    source=f"{SOURCE} (stated at an interpolating optimum); extension derived here, proofs/chang_khanna_noise.py",
    refs=("changkhanna2026",),
    latex=(r"With per-sample gradients $g_i \ne 0$ at $w^\star$ (least squares), $\mathbb{E}\lVert\delta_k\rVert^2$ "
           r"tends to $\operatorname{Tr}(M_\infty) > 0$ (bounded, not $0$) at $0.5\,\eta^\star$ (a fixed point of "
           r"the exact affine moment map), and grows at the exact rate $\rho(T)$ at $1.5\,\eta^\star$: the "
           r"divergence threshold is unchanged."),
    text="with per-sample gradients g_i != 0 at w* (least squares), E||delta_k||^2 tends to Tr(M_inf) > 0 (bounded, "
         "not 0) at 0.5 eta* (a fixed point of the exact affine moment map), and grows at the exact rate rho(T) at 1.5 eta*: the divergence threshold is unchanged",
    notion="mean-square", sampling="independent_bernoulli",
    regime="least-squares instances, independent bernoulli or without replacement",
    method="exact", sample=_noise_inst, check=_noise_check, tag="derived", default_instances=5,
))



def _mixed_enum_instance(rng):
    n_r, n_f, d = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {"n_r": n_r, "n_f": n_f, "d": d, "B": int(rng.integers(1, min(n_r, n_f) + 1)),
            "alpha": float(rng.uniform(0.0, 0.6)), "u": float(rng.uniform(0.2, 2.0)), "seed": int(rng.integers(2**31))}


def _mixed_enum_check(model):
    def check(inst, rng):
        from rmtcheck.studies.dexter._enumeration import mixed_operator, spectral_radius
        from rmtcheck.studies.dexter.statements import _members

        g = np.random.default_rng(inst["seed"])
        Hr, Hf = _members(g, inst["n_r"], inst["d"]), _members(g, inst["n_f"], inst["d"])
        lr = inst["u"] / np.linalg.eigvalsh(Hr.mean(axis=0))[-1]
        one = "bernoulli" if model == "independent_bernoulli" else model
        ref = spectral_radius(mixed_operator(Hr, Hf, lr, inst["B"], inst["alpha"], one))
        got = mixed_recursion(Hr, Hf, inst["B"], alpha=inst["alpha"], sampling=model,
                              restrict_to_range=False).growth(lr)
        return Outcome(violated=abs(got - ref) > 1e-10 * max(1.0, ref), tightness=got / ref,
                       detail={"growth": got, "enumerated": ref, "lr": lr})
    return check


for _s in ("independent_bernoulli", "without_replacement"):
    register(Statement(
        id=f"chang_khanna.enumerated.{_s}",
        source="derived here; proofs/gram_space.py (the exact descent-ascent operator) against every pair of batches",
        refs=("changkhanna2026",),
        latex=(r"$\rho(T)$ of the matrix-free descent--ascent operator (retain weight $1 - \alpha$, forget weight "
               r"$-\alpha$) equals the spectral radius of $\mathbb{E}[J \otimes J]$ summed over every retain batch "
               r"and every forget batch (to $10^{-10}$)."),
        text="rho(T) of the matrix-free descent-ascent operator (retain weight 1 - alpha, forget weight -alpha) "
             "equals the spectral radius of E[J (x) J] summed over every retain batch and every forget batch (to 1e-10)",
        notion="mean-square", sampling=_s, regime="n_r <= 4, n_f <= 3, d <= 3, random, repeated and zero members",
        method="exact", sample=_mixed_enum_instance, check=_mixed_enum_check(_s), tag="derived",
        default_instances=10,
    ))


def _secular_instance(rng):
    return {"n_r": int(rng.integers(61, 80)), "n_f": int(rng.integers(20, 40)), "r": int(rng.integers(9, 12)),
            "alpha": float(rng.choice([0.0, rng.uniform(0.05, 0.4)])), "B": int(rng.integers(1, 8)),
            "u": float(rng.uniform(0.2, 2.0)), "clustered": bool(rng.integers(2)), "seed": int(rng.integers(2**31))}


def _kappa_nu(model, n, B):
    """The batch models' second-moment coefficients, retyped from their definitions in rationals (the table the
    exact Hessian-test growth uses, independent of rmtcheck.stability.sampling)."""
    from rmtcheck.studies.dexter.experiments import _KAPPA_NU

    return tuple(float(c) for c in _KAPPA_NU[model](n, B))


def _secular_check(inst, rng):
    from rmtcheck.stability.gram import gram_pair

    g = np.random.default_rng(inst["seed"])
    n, r = inst["n_r"] + inst["n_f"], inst["r"]
    U, _ = np.linalg.qr(g.standard_normal((n, r)))
    spec = (1 + 0.05 * g.uniform(-1, 1, r)) if inst["clustered"] else 0.5 ** np.arange(r)
    R, F = gram_pair((U * (n * spec)) @ U.T, inst["n_r"])
    lr = inst["u"] / np.linalg.eigvalsh(R.mean)[-1]
    got = {}
    for model in ("independent_bernoulli", "without_replacement"):
        one = "bernoulli" if model == "independent_bernoulli" else model
        rho = mixed_recursion(R, F, inst["B"], alpha=inst["alpha"], sampling=model).growth(lr)
        d = R.d
        T = np.zeros((d * d, d * d))
        for w, fam in ((1 - inst["alpha"], R), (-inst["alpha"], F)):
            if w == 0:
                continue
            kappa, nu = _kappa_nu(one, fam.n, inst["B"])
            Hs, Hb = fam.dense(), fam.mean
            T += (lr * w) ** 2 * (kappa * np.kron(Hb, Hb) + nu * sum(np.kron(h, h) for h in Hs))
        A = np.eye(d) - lr * ((1 - inst["alpha"]) * R.mean - inst["alpha"] * F.mean)
        T += np.kron(A, A)
        ref = float(np.max(np.abs(np.linalg.eigvals(T))))
        got[model] = (rho, ref)
    bad = any(abs(a - b) > 1e-10 * max(1.0, b) for a, b in got.values())
    return Outcome(violated=bad, detail={k: {"secular": a, "kronecker": b} for k, (a, b) in got.items()})


register(Statement(
    id="chang_khanna.secular_route",
    source="derived here; proofs/gram_space.py (solvers rmtcheck/stability/_secular.py, _separable.py)",
    refs=("changkhanna2026", "mulayoff2024"),
    latex=(r"On many samples in few Gram coordinates (the route of real models: the secular equation on the sample "
           r"side, a separable kernel when the spectrum is clustered, Rayleigh--Ritz otherwise), $\rho(T)$ equals "
           r"the spectral radius of the Kronecker operator built from the members with retyped batch coefficients "
           r"(to $10^{-10}$)."),
    text="on many samples in few Gram coordinates (the route of real models: secular equation on the sample side, "
         "separable kernel when the spectrum is clustered, Rayleigh-Ritz otherwise) rho(T) equals the spectral "
         "radius of the Kronecker operator built from the members with retyped batch coefficients (to 1e-10)",
    notion="mean-square", sampling="independent_bernoulli",
    regime="n_r in [61, 80], n_f in [20, 40], rank 9-11, clustered or geometric spectrum, alpha in {0} u [0.05, 0.4]",
    method="exact", sample=_secular_instance, check=_secular_check, tag="derived", default_instances=6,
))


def _interval_instance(rng):
    return {"n_r": int(rng.integers(3, 9)), "n_f": int(rng.integers(2, 6)), "d": int(rng.integers(2, 5)),
            "B": int(rng.integers(1, 3)), "u": float(rng.uniform(0.3, 2.4)), "seed": int(rng.integers(2**31))}


def _interval_check(inst, rng):
    g = np.random.default_rng(inst["seed"])
    R = g.standard_normal((inst["n_r"], inst["d"]))
    F = g.standard_normal((inst["n_f"], inst["d"]))
    lr = inst["u"] / np.linalg.eigvalsh(R.T @ R / inst["n_r"])[-1]
    B = inst["B"]
    rho = lambda a: mixed_recursion(R, F, B, alpha=a).growth(lr)  # noqa: E731
    iv = resist_interval(R, F, lr, B)
    if iv is None:  # escapes for every alpha: check a grid
        grid = np.linspace(0.0, 1.0, 21)[1:]
        worst = min(rho(a) for a in grid)
        return Outcome(violated=not worst > 1.0, detail={"interval": None, "min_growth_on_grid": worst})
    lo, hi = iv
    eps = 1e-6
    inside = [a for a in (lo + eps, 0.5 * (lo + hi), hi - eps) if lo < a < hi]
    outside = [a for a in (lo - eps, hi + eps) if 0.0 <= a <= 1.0 and not (lo == 0.0 and a < lo)]
    bad = any(not rho(a) < 1.0 for a in inside) or any(not rho(a) > 1.0 for a in outside)
    bad |= abs(critical_alpha(R, F, lr, B) - hi) > 1e-8
    return Outcome(violated=bad, detail={"interval": [lo, hi], "inside": [rho(a) for a in inside],
                                         "outside": [rho(a) for a in outside]})


register(Statement(
    id="chang_khanna.resist_interval",
    source=f"{SOURCE} (critical mixing weight); rmtcheck/stability/unlearning.py against the growth factor",
    refs=("changkhanna2026",),
    latex=(r"\texttt{resist\_interval} returns $(\alpha_-, \alpha_+)$ with $\rho(T(\alpha)) < 1$ just inside both "
           r"ends and at the middle and $\rho(T(\alpha)) > 1$ just outside ($10^{-6}$ away); "
           r"\texttt{critical\_alpha} is $\alpha_+$, and it is \texttt{None} only when $\rho > 1$ on a grid."),
    text="resist_interval returns (alpha_-, alpha_+) with rho(T(alpha)) < 1 just inside both ends and at the "
         "middle and > 1 just outside (1e-6 away), critical_alpha is alpha_+, and None only when rho > 1 on a grid",
    notion="mean-square", sampling="independent_bernoulli", regime="random rank-one families, d in [2, 4]",
    method="exact", sample=_interval_instance, check=_interval_check, tag="derived", default_instances=10,
))



# --------------------------------------------------------------------------- definitions against dense references
def _pair_batches(n_r, n_f, B, model):
    """Every (retain batch, forget batch) pair of ``model`` with its probability: ``(p, c_r, c_f)`` arrays whose
    rows are the batch-mean weights (retain and forget batched independently)."""
    from rmtcheck.studies.dexter._enumeration import batches

    pr, cr = zip(*batches(n_r, B, model))
    pf, cf = zip(*batches(n_f, B, model))
    p = np.outer(pr, pf).ravel()
    return p, np.repeat(np.array(cr), len(pf), axis=0), np.tile(np.array(cf), (len(pr), 1))


def _mean_step_check(inst, rng):
    """E[J] over every pair of batches, J = I - eta (1 - alpha) H^r_S + eta alpha H^f_S', equals I - eta D."""
    from rmtcheck.stability.three_axis import mixed_spectrum
    from rmtcheck.stability.unlearning import mixed_hessian
    from rmtcheck.studies.dexter.statements import _members

    g = np.random.default_rng(inst["seed"])
    Hr, Hf = _members(g, inst["n_r"], inst["d"]), _members(g, inst["n_f"], inst["d"])
    a, lr, d = inst["alpha"], inst["lr"], inst["d"]
    got = mixed_hessian(Hr, Hf, alpha=a)
    det, bad = {}, False
    for model in ("bernoulli", "without_replacement", "with_replacement"):
        p, cr, cf = _pair_batches(inst["n_r"], inst["n_f"], inst["B"], model)
        J = np.eye(d) - lr * (1 - a) * np.tensordot(cr, Hr, axes=1) + lr * a * np.tensordot(cf, Hf, axes=1)
        ref = (np.eye(d) - np.tensordot(p, J, axes=1)) / lr
        err = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-300))
        spec = float(np.abs(mixed_spectrum(Hr, Hf, alpha=a) - np.linalg.eigvalsh(0.5 * (ref + ref.T))).max())
        det[model] = {"max_rel_err": err, "spectrum_err": spec}
        bad |= err > 1e-10 or spec > 1e-10 * max(np.abs(ref).max(), 1e-300)
    return Outcome(violated=bad, detail=det)


register(Statement(
    id="chang_khanna.enumerated.mean_step",
    source=f"{SOURCE}, descent-ascent step (the mean step against every pair of batches)",
    refs=("changkhanna2026",),
    latex=(r"\texttt{mixed\_hessian(retain, forget, alpha)} equals $(I - \mathbb{E}[J])/\eta$ with $\mathbb{E}[J]$ "
           r"summed over every retain batch and every forget batch, $J = I - \eta(1-\alpha)H^r_S + \eta\alpha "
           r"H^f_{S'}$ (to $10^{-10}$), and \texttt{mixed\_spectrum} gives its eigenvalues, for the Bernoulli, "
           r"without- and with-replacement batch models."),
    text="mixed_hessian(retain, forget, alpha) equals (I - E[J]) / eta with E[J] summed over every retain batch and "
         "every forget batch, J = I - eta (1 - alpha) H^r_S + eta alpha H^f_S' (to 1e-10), and mixed_spectrum its "
         "eigenvalues, for the bernoulli, without- and with-replacement batch models",
    notion="deterministic", sampling="independent_bernoulli",
    regime="n_r <= 4, n_f <= 3, d <= 3, alpha in [0, 1], random, repeated and zero members",
    method="exact", tag="derived", default_instances=10,
    sample=lambda rng: (lambda n_r, n_f: {"n_r": n_r, "n_f": n_f, "d": int(rng.integers(1, 4)),
                                          "B": int(rng.integers(1, min(n_r, n_f) + 1)),
                                          "alpha": float(rng.uniform(0, 1)), "lr": float(10 ** rng.uniform(-2, 0.5)),
                                          "seed": int(rng.integers(2**31))})(
        int(rng.integers(1, 5)), int(rng.integers(1, 4))),
    check=_mean_step_check,
))


def _lyap_enum_instance(rng):
    n_r, n_f = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    return {"n_r": n_r, "n_f": n_f, "d": int(rng.integers(1, 4)), "B": int(rng.integers(1, min(n_r, n_f) + 1)),
            "alpha": float(rng.uniform(0.05, 0.95)), "u": float(rng.uniform(0.2, 3.0)), "seed": int(rng.integers(2**31))}


def _lyap_enum_check(inst, rng):
    """Diagonal members with one value per coordinate: J is diagonal, coordinate c evolves by J_cc, and by the law
    of large numbers its exponent is E log|J_cc|, summed here over every pair of batches."""
    from rmtcheck.stability.unlearning import diagonal_lyapunov

    g = np.random.default_rng(inst["seed"])
    d, a, B = inst["d"], inst["alpha"], inst["B"]
    Dr = (g.random((inst["n_r"], d)) < 0.6) * 10 ** g.uniform(-0.5, 0.5, d)
    Df = (g.random((inst["n_f"], d)) < 0.6) * 10 ** g.uniform(-0.5, 0.5, d)
    lr = inst["u"] / max(Dr.max(), Df.max(), 1e-300)
    out = {}
    for model, one in (("independent_bernoulli", "bernoulli"), ("without_replacement", "without_replacement")):
        p, cr, cf = _pair_batches(inst["n_r"], inst["n_f"], B, one)
        J = 1.0 - lr * (1 - a) * (cr @ Dr) + lr * a * (cf @ Df)  # (batch pairs, d): the diagonal of J
        curved = (Dr.any(axis=0)) | (Df.any(axis=0))
        with np.errstate(divide="ignore"):
            per = (p[:, None] * np.log(np.abs(J))).sum(axis=0)
        ref = float(per[curved].max()) if curved.any() else 0.0
        stack = lambda D: np.einsum("ia,ab->iab", D, np.eye(d))  # noqa: E731
        got = diagonal_lyapunov(stack(Dr), stack(Df), lr, B, alpha=a, sampling=model)
        out[model] = (got, ref)
    bad = any(not (a_ == b_ or abs(a_ - b_) <= 1e-10 * max(1.0, abs(b_))) for a_, b_ in out.values())
    return Outcome(violated=bad, detail={k: {"diagonal_lyapunov": a_, "enumerated": b_} for k, (a_, b_) in out.items()})


register(Statement(
    id="chang_khanna.enumerated.lyapunov",
    source=f"{SOURCE}, almost-sure escape (the exact diagonal Lyapunov exponent against every pair of batches)",
    refs=("changkhanna2026",),
    latex=(r"For diagonal retain and forget members with one value per coordinate, \texttt{diagonal\_lyapunov} "
           r"equals $\max_c \mathbb{E}\log\lvert J_{cc}\rvert$ over the coordinates with curvature, the expectation "
           r"summed over every retain batch and every forget batch, $J_{cc} = 1 - \eta(1-\alpha)(H^r_S)_{cc} + "
           r"\eta\alpha(H^f_{S'})_{cc}$ (to $10^{-10}$)."),
    text="for diagonal retain and forget members with one value per coordinate, diagonal_lyapunov equals "
         "max_c E log|J_cc| over the coordinates with curvature, the expectation summed over every retain batch and "
         "every forget batch, J_cc = 1 - eta (1 - alpha) (H^r_S)_cc + eta alpha (H^f_S')_cc (to 1e-10)",
    notion="almost-sure", sampling="independent_bernoulli",
    regime="n_r <= 5, n_f <= 4, d <= 3, alpha in [0.05, 0.95], eta max member value in [0.2, 3]",
    method="exact", sample=_lyap_enum_instance, check=_lyap_enum_check, tag="derived", default_instances=10,
))


def _cross_instance(rng):
    return {"n_r": int(rng.integers(1, 7)), "n_f": int(rng.integers(1, 6)), "d": int(rng.integers(1, 5)),
            "rank_one": bool(rng.integers(2)), "seed": int(rng.integers(2**31))}


def _cross_check(inst, rng):
    """sigma_rf = ||C||_2 / sqrt(max_i lam_max(A_i) max_j lam_max(B_j)), C_ij = ||A_i^(1/2) B_j^(1/2)||_F, from
    principal square roots (eigh) of the dense members."""
    from rmtcheck.stability.three_axis import cross_coherence
    from rmtcheck.studies.dexter.statements import _psd_sqrt

    g = np.random.default_rng(inst["seed"])
    d = inst["d"]

    def draw(n):
        scale = 10 ** g.uniform(-1, 1, n)
        if inst["rank_one"]:
            G = g.standard_normal((n, d)) * np.sqrt(scale)[:, None]
            return G, np.einsum("ia,ib->iab", G, G)
        X = g.standard_normal((n, d, d)) * (g.random((n, 1, d)) < 0.7)
        X[:, :, 0] += g.standard_normal((n, d))
        H = scale[:, None, None] * np.einsum("iak,ibk->iab", X, X) / d
        return H, H

    (ar, Hr), (af, Hf) = draw(inst["n_r"]), draw(inst["n_f"])
    Rr, Rf = [_psd_sqrt(h) for h in Hr], [_psd_sqrt(h) for h in Hf]
    C = np.array([[np.linalg.norm(x @ y) for y in Rf] for x in Rr])
    top = max(np.linalg.eigvalsh(h)[-1] for h in Hr) * max(np.linalg.eigvalsh(h)[-1] for h in Hf)
    ref = float(np.linalg.svd(C, compute_uv=False)[0] / np.sqrt(top))
    got = cross_coherence(ar, af)
    return Outcome(violated=abs(got - ref) > 1e-10 * max(ref, 1e-300),
                   detail={"cross_coherence": got, "definition": ref})


register(Statement(
    id="chang_khanna.cross_coherence_definition",
    source=f"{SOURCE}, pair coherence (cross coherence after Dexter et al. 2024, Definition 1)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"\texttt{cross\_coherence} equals $\lVert C\rVert_2/\sqrt{m_A m_B}$ with $m_A = "
           r"\max_i\lambda_{\max}(A_i)$, $m_B = \max_j\lambda_{\max}(B_j)$ and $C_{ij} = \lVert "
           r"A_i^{1/2}B_j^{1/2}\rVert_F$ built from principal square roots (by \texttt{eigh}) of the dense members "
           r"and the largest singular value (to $10^{-10}$), for rank-one factors and dense stacks of random rank."),
    text="cross_coherence equals ||C||_2 / sqrt(max_i lam_max(A_i) max_j lam_max(B_j)) with C_ij = "
         "||A_i^(1/2) B_j^(1/2)||_F built from principal square roots (eigh) of the dense members and the largest "
         "singular value (to 1e-10), for rank-one factors and dense stacks of random rank",
    notion="deterministic", sampling="none", regime="n_r <= 6, n_f <= 5, d <= 4, member scales in [0.1, 10]",
    method="exact", sample=_cross_instance, check=_cross_check, tag="derived", default_instances=12,
))


def _ls_check(inst, rng):
    """The returned factors x_i and gradients g_i = r_i x_i give the residuals r_i = <g_i, x_i> / ||x_i||^2; a
    least-squares optimum has X^T r = 0 (the normal equations, checked with lstsq) and r != 0 when n > d."""
    k = inst
    R, F, gr, gf = least_squares_instance(k["n_r"], k["n_f"], k["d"], k["scale"], k["seed"])
    X = np.vstack([R.factors, F.factors])
    G = np.vstack([gr, gf])
    r = np.einsum("ia,ia->i", G, X) / np.einsum("ia,ia->i", X, X)
    rebuilt = float(np.abs(G - r[:, None] * X).max() / np.abs(G).max())  # the gradients are r_i x_i
    coef = np.linalg.lstsq(X, r, rcond=None)[0]  # the projection of r on the column space of X
    proj = float(np.linalg.norm(X @ coef) / np.linalg.norm(r))
    total = float(np.linalg.norm(G.sum(axis=0)) / (np.linalg.norm(X, 2) * np.linalg.norm(r)))
    bad = rebuilt > 1e-12 or proj > 1e-10 or total > 1e-10 or not np.linalg.norm(r) > 0
    return Outcome(violated=bad, detail={"projection_of_r": proj, "total_gradient": total, "rebuilt": rebuilt,
                                         "residual_norm": float(np.linalg.norm(r))})


register(Statement(
    id="chang_khanna.least_squares_optimum",
    source=f"{SOURCE} (stated at an interpolating optimum); the instance of proofs/chang_khanna_noise.py",
    refs=("changkhanna2026",),
    latex=(r"\texttt{least\_squares\_instance} returns an optimum: the residuals $r_i$ read off the gradients $g_i ="
           r" r_i x_i$ are orthogonal to the column space of $X$ (least-squares projection and total gradient "
           r"$\sum_i g_i$ below $10^{-10}\lVert X\rVert\,\lVert r\rVert$) and nonzero ($n_r + n_f > d$: not "
           r"interpolating)."),
    text="least_squares_instance returns an optimum: the residuals r_i read off the gradients g_i = r_i x_i are "
         "orthogonal to the column space of X (lstsq projection and total gradient sum_i g_i below 1e-10 of "
         "||X|| ||r||) and nonzero (n_r + n_f > d: not interpolating)",
    notion="deterministic", sampling="none", regime="n_r in [1, 30], n_f in [1, 20], d < n_r + n_f, d <= 12",
    method="exact", check=_ls_check, tag="derived", default_instances=10,
    sample=lambda rng: (lambda n_r, n_f: {"n_r": n_r, "n_f": n_f, "d": int(rng.integers(1, min(12, n_r + n_f - 1) + 1)),
                                          "scale": float(10 ** rng.uniform(-2, 2)), "seed": int(rng.integers(2**31))})(
        int(rng.integers(1, 31)), int(rng.integers(1, 21))),
))

# what a counterexample of each probe refutes (issue 13, item 5)
scope({
    "chang_khanna.dexter_terms.without_replacement": "Would refute only the transfer of the per-term condition to "
    "batches without replacement (kappa < 0), which the source does not claim.",
    "chang_khanna.dexter_pairs": "A hypothesis of this package, derived by analogy with Dexter et al.; the source "
    "states no pair condition, so a counterexample would refute only that analogy.",
    "chang_khanna.rotation_monotone": "Refutes a derived prediction (monotone growth factor in the rotation angle), "
    "stronger than the source's claim (a), which is about escape versus resistance and holds at the verdict level "
    "(chang_khanna.rotation_escape_verdict); the counterexamples sit in the overshoot regime eta(1-alpha)lambda_r > 1 "
    "of the tightness construction.",
    "chang_khanna.rotation_monotone.random": "Refutes the same derived monotonicity on random families, not the "
    "source's claim (a) at the verdict level.",
    "chang_khanna.rotation_escape_verdict": "Would refute the source's claim (a) as stated (mean-square escape "
    "versus resistance, its batch model); boundary cells within 1e-12 of rho = 1 decide nothing.",
    "chang_khanna.rotation_monotone.monte_carlo": "Would refute claim (a) read on the Monte Carlo escape fraction "
    "(an almost-sure reading), not the mean-square statement.",
})
