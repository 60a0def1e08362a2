"""Statements about the two-layer ReLU CNN on signal-plus-noise data and its descent–ascent unlearning
(Chang & Khanna 2026, arXiv 2602.02986 [changkhanna2026], headline claims (b) and (c); the patch CNN of
their Sec. 5 [reconstructed]).

Claimed rows are exact facts of :mod:`rmtcheck.studies.cnn.model` (analytic gradients, Gauss–Newton =
exact Hessian for this piecewise-linear network [derived]; the derivation is in that module's
docstring). The paper's empirical claims are registered
``claimed=False`` and report what tiny networks actually do: coherence against SNR, whether the
escape region shrinks as SNR grows, the agreement rate between the exact mixed operator's
predicted escape and the escape observed on the network, and the agreement rate of the pre-flight
forecast (:func:`rmtcheck.stability.preflight.forecast`: does a mean loss reach log 2 within the run?) with
the network's losses (numbers, never asserted).
Every row uses tiny networks (``n = 16``, ``d = 40``, ``m = 4``) so that the group runs in seconds.
"""

from __future__ import annotations

import functools

import numpy as np

from rmtcheck.randmat.designs import signal_noise_patches
from rmtcheck.studies.cnn import model as _cnn
from rmtcheck.studies.cnn import training as _training
from rmtcheck.verify.statement import Outcome, Statement, register, scope

SOURCE = "Chang & Khanna 2026, arXiv 2602.02986"
_TINY = dict(n=16, d=40, width=4, n_test=40, n_forget=6, steps=100)
_SNR_LO, _SNR_HI = 0.03, 1.0


def _fd_inst(rng):
    return {"seed": int(rng.integers(2**31)), "n": int(rng.integers(1, 6)), "d": int(rng.integers(2, 5)),
            "m": int(rng.integers(1, 4))}


def _random_net(inst):
    g = np.random.default_rng(inst["seed"])
    model = _cnn.PatchCNN(inst["d"], inst["m"])
    return model, g.standard_normal(model.shape), g.standard_normal((inst["n"], 2, inst["d"])), g.choice([-1.0, 1.0], inst["n"])


def _fd(fun, W, eps=1e-6):
    flat = W.ravel()
    cols = []
    for k in range(W.size):
        Wp, Wm = flat.copy(), flat.copy()
        Wp[k] += eps
        Wm[k] -= eps
        cols.append((fun(Wp.reshape(W.shape)) - fun(Wm.reshape(W.shape))) / (2 * eps))
    return np.stack(cols, axis=-1)


def _grad_check(inst, rng):
    model, W, X, y = _random_net(inst)
    G = _cnn.per_sample_grads(model, W, X, y)
    fd = _fd(lambda V: _cnn.per_sample_loss(model, V, X, y), W)
    err = float(np.abs(G - fd).max())
    loop = float(np.abs(G - _cnn.per_sample_grads_loop(model, W, X, y)).max())
    return Outcome(violated=err > 1e-6 or loop > 1e-12, detail={"max_abs_err_fd": err, "max_abs_err_loop": loop})


register(Statement(
    id="cnn.gradient_fd",
    source="derived here; rmtcheck/studies/cnn/model.py (the two-layer ReLU CNN of Chang & Khanna 2026)",
    refs=("changkhanna2026",),
    latex=(r"The vectorised analytic per-sample gradients of the logistic loss of $f = F_{+1} - F_{-1}$ equal "
           r"central finite differences (to $10^{-6}$) and the per-sample loop."),
    text="the vectorised analytic per-sample gradients of the logistic loss of f = F_+1 - F_-1 equal central "
         "finite differences (1e-6) and the per-sample loop",
    notion="deterministic", sampling="none", regime="random weights and Gaussian patches, n <= 5, d <= 4, m <= 3",
    method="exact", sample=_fd_inst, check=_grad_check, tag="derived", default_instances=6,
))


def _gn_check(inst, rng):
    model, W, X, y = _random_net(inst)
    fam = _cnn.gn_hessians(model, W, X, y)
    H = fam.dense()
    Gf = _cnn.grad_f(model, W, X).reshape(inst["n"], -1)
    curv = _cnn.logistic_curvature(_cnn.margins(model, W, X, y))
    err_form = float(np.abs(H - curv[:, None, None] * Gf[:, :, None] * Gf[:, None, :]).max())
    err_exact = 0.0
    rank_bad = False
    for i in range(inst["n"]):
        Hfd = _fd(lambda V: _cnn.per_sample_grads(model, V, X[i:i + 1], y[i:i + 1])[0], W)
        err_exact = max(err_exact, float(np.abs(0.5 * (Hfd + Hfd.T) - H[i]).max()))
        sv = np.linalg.svd(H[i], compute_uv=False)
        rank_bad |= bool(sv.size > 1 and sv[1] > 1e-12 * max(sv[0], 1e-300))
    return Outcome(violated=err_form > 1e-12 or err_exact > 1e-6 or rank_bad,
                   detail={"max_err_curvature_outer": err_form, "max_err_vs_fd_hessian": err_exact, "rank_gt_one": rank_bad})


register(Statement(
    id="cnn.gn_exact_hessian",
    source="derived here; rmtcheck/studies/cnn/model.py (the two-layer ReLU CNN of Chang & Khanna 2026)",
    refs=("changkhanna2026",),
    latex=(r"The per-sample Gauss--Newton Hessians $\ell''(z_i)\,\nabla f_i\nabla f_i^\top$ have rank at most $1$ "
           r"and equal the exact per-sample Hessian (finite differences of the analytic gradient): $f$ is piecewise "
           r"linear in $W$."),
    text="per-sample Gauss-Newton Hessians l''(z_i) grad f_i grad f_i^T have rank <= 1 and equal the exact per-sample "
         "Hessian (finite differences of the analytic gradient): f is piecewise linear in W",
    notion="deterministic", sampling="none", regime="random weights off the ReLU kinks, n <= 5, d <= 4, m <= 3",
    method="exact", sample=_fd_inst, check=_gn_check, tag="derived", default_instances=4,
))


# --------------------------------------------------------------------------- empirical claims
def _seed_inst(rng):
    return {"seed": int(rng.integers(2**31))}


@functools.lru_cache(maxsize=16)
def _tiny_grid(seed: int, parts: tuple | None = None) -> dict:
    """The tiny grid of ``seed`` with only the cell ``parts`` a row reads (default all; a part left out changes
    no other value: :data:`rmtcheck.studies.cnn.experiments.CELL_PARTS`)."""
    from rmtcheck.studies.cnn.experiments import CELL_PARTS, cnn_unlearning_grid

    return cnn_unlearning_grid(snrs=(_SNR_LO, _SNR_HI), batches=(1, 4), alphas=(0.05, 0.3), reps=1, seed=seed,
                               parts=CELL_PARTS if parts is None else parts, **_TINY)


def _coherence_check(inst, rng):
    g = _tiny_grid(inst["seed"], ())  # only what the row reads
    s_lo, s_hi = float(g["sigma_r"][0]), float(g["sigma_r"][1])
    a_lo, a_hi = float(g["alignment"][0]), float(g["alignment"][1])
    return Outcome(violated=not (s_hi > s_lo and a_hi > a_lo), tightness=s_hi / s_lo,
                   detail={"sigma_r_low_snr": s_lo, "sigma_r_high_snr": s_hi, "alignment_low_snr": a_lo,
                           "alignment_high_snr": a_hi, "snrs": [_SNR_LO, _SNR_HI]})


register(Statement(
    id="cnn.coherence_rises_with_snr",
    source=f"{SOURCE}, claim (b) (low SNR means memorisation and low coherence)",
    refs=("changkhanna2026",),
    latex=(r"For the trained CNN, the retain coherence $\sigma_r$ and the retain/forget alignment are larger at SNR "
           r"$1.0$ than at SNR $0.03$ (random split)."),
    text=f"for the trained CNN, the retain coherence sigma_r and the retain/forget alignment are larger at SNR {_SNR_HI} "
         f"than at SNR {_SNR_LO} (random split)",
    notion="deterministic", sampling="none", regime="tiny CNN (n=16, d=40, m=4), logistic loss, near interpolation",
    method="statistical", sample=_seed_inst, check=_coherence_check, claimed=False, tag="paper", default_instances=2,
))


def _shrink_check(inst, rng):
    g = _tiny_grid(inst["seed"], ("observed", "asymptotic"))  # only what the row reads
    p_lo, p_hi = float(g["p_escape_obs"][0]), float(g["p_escape_obs"][1])
    return Outcome(violated=p_hi > p_lo, tightness=None,
                   detail={"p_escape_low_snr": p_lo, "p_escape_high_snr": p_hi,
                           "mean_dist_low_snr": float(g["mean_obs_dist"][0]),
                           "mean_dist_high_snr": float(g["mean_obs_dist"][1]),
                           "p_pred_asymptotic": [float(v) for v in g["p_escape_pred_asym"]],
                           "snrs": [_SNR_LO, _SNR_HI]})


register(Statement(
    id="cnn.escape_shrinks_with_snr",
    source=f"{SOURCE}, claim (b) (high SNR resists unlearning)",
    refs=("changkhanna2026",),
    latex=(r"The observed escape region of descent--ascent on the trained CNN (the fraction of cells $(B, \alpha > "
           r"0)$ with $\lVert W_K - W^\star\rVert \ge \lVert W^\star\rVert$) at SNR $1.0$ is no larger than at SNR "
           r"$0.03$."),
    text=f"the observed escape region of descent-ascent on the trained CNN (fraction of (B, alpha > 0) cells with "
         f"||W_K - W*|| >= ||W*||) at SNR {_SNR_HI} is no larger than at SNR {_SNR_LO}",
    notion="almost-sure", sampling="without_replacement",
    regime="tiny CNN, B in {1, 4}, alpha in {0.05, 0.3}, eta = 0.5 eta*_retain(B=1), 100 steps",
    method="monte-carlo", sample=_seed_inst, check=_shrink_check, claimed=False, tag="paper", default_instances=2,
))


def _agreement_check(inst, rng):
    g = _tiny_grid(inst["seed"], ("observed", "asymptotic", "horizon"))  # only what the row reads
    a_asym = float(g["agreement_asymptotic_all"])
    a_hor = float(g["agreement_horizon_all"])
    return Outcome(violated=a_asym < 1.0, tightness=a_asym,
                   detail={"agreement_asymptotic": a_asym, "agreement_horizon": a_hor,
                           "per_snr_asymptotic": [float(v) for v in g["agreement_asymptotic"]],
                           "per_snr_horizon": [float(v) for v in g["agreement_horizon"]],
                           "escape_vs_forgot_agreement": float(g["escape_forgot_agreement"])})


register(Statement(
    id="cnn.prediction_agreement",
    source=f"{SOURCE}, claim (c) (the predicted boundary matches the heatmaps)",
    refs=("changkhanna2026",),
    latex=(r"The exact mixed operator on the measured Gauss--Newton Hessians ($\rho(T) > 1$) predicts the observed "
           r"escape of the network in every cell $(\mathrm{SNR}, B, \alpha)$; tightness is the agreement rate (the "
           r"fraction of matching cells), and the detail also gives the finite-horizon prediction's rate."),
    text="the exact mixed operator on the measured Gauss-Newton Hessians (rho(T) > 1) predicts the observed escape of "
         "the network in every (SNR, B, alpha) cell; tightness = agreement rate (fraction of matching cells), "
         "detail also gives the finite-horizon prediction's rate",
    notion="mean-square", sampling="without_replacement",
    regime="tiny CNN, SNR in {0.03, 1}, B in {1, 4}, alpha in {0.05, 0.3}, 100 steps, escape = ||W_K - W*|| >= ||W*||",
    method="monte-carlo", sample=_seed_inst, check=_agreement_check, claimed=False, tag="paper", default_instances=2,
))


def _forecast_check(inst, rng):
    g = _tiny_grid(inst["seed"])
    a_fc = float(g["agreement_forecast_all"])
    recs = g["records"]
    return Outcome(violated=a_fc < 1.0, tightness=a_fc,
                   detail={"agreement_forecast": a_fc,
                           "per_snr_forecast": [float(v) for v in g["agreement_forecast"]],
                           "agreement_forecast_vs_distance_escape": float(g["agreement_forecast_distance_all"]),
                           "agreement_asymptotic": float(g["agreement_asymptotic_all"]),
                           "agreement_horizon": float(g["agreement_horizon_all"]),
                           "agreement_tangent_forecast": float(g["agreement_tangent_all"]),
                           "verdicts_forecast": [r["forecast_verdict"] for r in recs],
                           "verdicts_observed": [r["obs_verdict"] for r in recs],
                           "snrs": [_SNR_LO, _SNR_HI]})


register(Statement(
    id="cnn.forecast_agreement",
    source="derived here; rmtcheck/stability/preflight.py (forecast) on the CNN of Chang & Khanna 2026, claim (c)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"The pre-flight finite-horizon forecast (the exact mean of the linearised run with gradient forcing on "
           r"the network's Gauss--Newton curvature, through the quadratic loss model) predicts in every cell "
           r"$(\mathrm{SNR}, B, \alpha)$ whether the network's mean forget or retain loss reaches $\log 2$ within "
           r"$K$ steps (verdict leave or collapse against stay, the same rule on forecast and observed losses); "
           r"tightness is the agreement rate, and the detail also gives the other two predictions' rates (against "
           r"the distance escape)."),
    text="the pre-flight finite-horizon forecast (exact mean of the linearised run with gradient forcing on the "
         "network's Gauss-Newton curvature, through the quadratic loss model) predicts in every (SNR, B, alpha) cell "
         "whether the network's mean forget or retain loss reaches log 2 within K steps (verdict leave/collapse vs "
         "stay, the same rule on forecast and observed losses); tightness = agreement rate, detail also gives the "
         "other two predictions' rates (against the distance escape)",
    notion="mean-square", sampling="without_replacement",
    regime="tiny CNN, SNR in {0.03, 1}, B in {1, 4}, alpha in {0.05, 0.3}, 100 steps, "
           "left = forget or retain loss >= log 2 at step K",
    method="monte-carlo", sample=_seed_inst, check=_forecast_check, claimed=False, tag="derived", default_instances=2,
))


def _tangent_check(inst, rng):
    g = _tiny_grid(inst["seed"], ("observed", "forecast"))  # only what the row reads
    a = float(g["agreement_tangent_all"])
    recs = g["records"]
    return Outcome(violated=a < 1.0, tightness=a,
                   detail={"agreement_tangent": a, "per_snr": [float(v) for v in g["agreement_tangent"]],
                           "agreement_quadratic_forecast": float(g["agreement_forecast_all"]),
                           "verdicts_tangent": [r["tangent_verdict"] for r in recs],
                           "left_fractions": [r["tangent_left_fraction"] for r in recs],
                           "verdicts_observed": [r["obs_verdict"] for r in recs], "snrs": [_SNR_LO, _SNR_HI]})


register(Statement(
    id="cnn.tangent_agreement",
    source="derived here; rmtcheck/stability/preflight.py (tangent_forecast, the default) on the CNN of Chang & "
           "Khanna 2026, claim (c)",
    refs=("changkhanna2026", "dexter2024"),
    latex=(r"The pre-flight tangent forecast (the median of $32$ runs of the same recipe on the network linearised "
           r"at $W^\star$, exact logistic loss) predicts in every cell $(\mathrm{SNR}, B, \alpha)$ whether the "
           r"network's mean forget or retain loss reaches $\log 2$ within $K$ steps (the same rule as "
           r"\texttt{cnn.forecast\_agreement}); tightness is the agreement rate, and the detail also gives the "
           r"quadratic forecast's rate on the same cells."),
    text="the pre-flight tangent forecast (the median of 32 runs of the same recipe on the network linearised at W*, "
         "exact logistic loss) predicts in every (SNR, B, alpha) cell whether the network's mean forget or retain "
         "loss reaches log 2 within K steps (the same rule as cnn.forecast_agreement); tightness = agreement rate, "
         "detail also the quadratic forecast's rate on the same cells",
    notion="in-probability", sampling="without_replacement",
    regime="tiny CNN, SNR in {0.03, 1}, B in {1, 4}, alpha in {0.05, 0.3}, 100 steps, "
           "left = forget or retain loss >= log 2 at step K",
    method="monte-carlo", sample=_seed_inst, check=_tangent_check, claimed=False, tag="derived", default_instances=2,
))


# no `affinity` on the tiny-grid rows: each row draws its own grid seeds, so they share no cached grid, and
# `rmtcheck verify --jobs` balances them better as separate units


def _interp_check(inst, rng):
    seed = inst["seed"]
    data = signal_noise_patches(16, 40, inst["snr"], flip=0.1, rng=seed)
    model = _cnn.PatchCNN(40, 4)
    lr = 4 / float(np.mean(np.sum(data.X ** 2, axis=(1, 2))))
    res = _training.train(model, data.X, data.y, lr=lr, steps=3000, rng=seed, loss_tol=0.05)
    return Outcome(violated=not res.converged, detail={"steps": res.steps, "loss": res.loss,
                                                       "train_accuracy": res.train_accuracy, "snr": inst["snr"]})


register(Statement(
    id="cnn.interpolation",
    source="Dexter et al. 2024; Chang & Khanna 2026 (the linear-stability theory assumes interpolation)",
    refs=("dexter2024", "changkhanna2026"),
    latex=(r"Full-batch gradient descent on the logistic loss brings the CNN to near interpolation (all margins $> "
           r"0$, mean loss $\le 0.05$) within $3000$ steps, label noise included."),
    text="full-batch GD on the logistic loss brings the CNN to near interpolation (all margins > 0, mean loss <= 0.05) "
         "within 3000 steps, label noise included",
    notion="deterministic", sampling="none", regime="n=16, d=40, m=4, flip=0.1, SNR in [0.02, 1]",
    method="statistical", sample=lambda rng: {"seed": int(rng.integers(2**31)), "snr": float(rng.uniform(0.02, 1.0))},
    check=_interp_check, claimed=False, tag="reconstructed", default_instances=3,
))


# what a counterexample of each probe refutes (issue 13, item 5)
scope({
    "cnn.coherence_rises_with_snr": "Would refute claim (b) on one tiny trained CNN only (a statistical reading on "
    "two SNR levels), not as the source states it for its networks.",
    "cnn.escape_shrinks_with_snr": "Would refute claim (b) at the level of observed escape on one tiny CNN, an "
    "almost-sure reading of a mean-square statement.",
    "cnn.prediction_agreement": "Refutes a cell-by-cell reading of claim (c) (every cell agrees) on a tiny CNN; the "
    "source claims qualitative agreement of the boundary with the heatmaps; the agreement rate is the finding.",
    "cnn.forecast_agreement": "A target of this package (the quadratic forecast predicts every cell), not a "
    "statement of the source; a miss measures the forecast, it refutes nothing the source states.",
    "cnn.tangent_agreement": "A target of this package (the tangent forecast predicts every cell), not a statement "
    "of the source; a miss measures the forecast.",
    "cnn.interpolation": "Would refute that this training recipe reaches near interpolation, an assumption the "
    "theory needs, not a claim of the sources.",
})

from rmtcheck.studies.cnn import statements_membership  # noqa: E402,F401  (registers cnn.membership_audit)
