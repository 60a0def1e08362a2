"""Descent–ascent unlearning of the two-layer ReLU CNN over a ``(B, alpha)`` grid at several SNRs.

Holds one unlearning cell (:func:`cnn_unlearning_cell`: observed escape vs exact prediction), the grid
(:func:`cnn_grid_cells`, :func:`cnn_unlearning_grid`, :data:`GRID_PRESETS`) and
:func:`agreement_rate`. Plain data for :mod:`rmtcheck.studies.cnn.figures`, the verify rows of
:mod:`rmtcheck.studies.cnn.statements` and the sweep engine; no plotting here. The setting is the
signal-plus-noise CNN of [changkhanna2026], Sec. 5, and their headline claims (b) and (c).

Pipeline of one ``(snr, rep)`` (cached, :func:`rmtcheck.studies.cnn.pretrained.trained_point`)
---------------------------------------------------------------
1. Data: :func:`rmtcheck.randmat.designs.signal_noise_patches` (``n`` training samples, label flips with
   probability ``flip``; a test set of ``n_test`` with the same :math:`\\mu`).
2. Training: full-batch GD on the mean logistic loss to near interpolation
   (:func:`rmtcheck.studies.cnn.training.train`; every margin positive and mean loss :math:`\\le` ``loss_tol``).
   The step is ``train_lr`` in units of :math:`m/\\overline{\\|x\\|^2}` so that it is scale-free under both
   SNR conventions.
3. Split into retain and forget (``split``): ``random``; ``class`` (forget only samples of observed
   label +1); ``noise`` (the ``n_forget`` samples with the largest noise patch :math:`\\|\\xi_i\\|`);
   ``flipped`` (the label-flipped samples first, then the largest :math:`\\|\\xi_i\\|`).
4. Per-sample Gauss–Newton Hessians at :math:`W^*` (rank one; the exact Hessians off the ReLU kinks,
   see :mod:`rmtcheck.studies.cnn.model`), expressed exactly in an orthonormal basis of the span of all
   ``n`` factors (QR; traces, spectra and the mixed operator are invariant), so every operator works
   in dimension :math:`\\le n` instead of :math:`2md`.
5. Coherence: :math:`\\sigma_r`, :math:`\\sigma_f`, alignment, :math:`\\sigma_{mix}` (pair coherence,
   absolute-value convention) from :mod:`rmtcheck.stability.three_axis`.
6. The model retrained on the retain set alone (same initialisation, same schedule): the gold standard
   for forgetting.

One cell ``(snr, B, alpha, rep)`` (:func:`cnn_unlearning_cell`)
-----------------------------------------------------------------
* Step size :math:`\\eta = u\\,\\eta^*_r`, :math:`u` = ``lr_scale`` and :math:`\\eta^*_r` the exact
  mean-square critical step of plain SGD on the retain Hessians at batch 1 without replacement
  (:func:`rmtcheck.stability.operator.critical_lr`), so :math:`\\alpha = 0` is stable at every ``B`` for
  :math:`u < 1` and every SNR is compared at the same distance from the retain edge.
* **Observed**: ``steps`` of descent–ascent on the network (:func:`rmtcheck.studies.cnn.training.descent_ascent`;
  fixed-size batches without replacement, starting at :math:`W^*`). ``obs_dist`` =
  :math:`\\|W_K - W^*\\|_F/\\|W^*\\|_F`; **observed escape** iff ``obs_dist`` :math:`\\ge` ``tau``. Also the
  forget loss rise, forget/retain/test accuracy and the distance to the retrained model before and
  after.
* **Predicted** from the exact mixed operator on the measured Hessians (``sampling``, default
  ``without_replacement`` = what the runs do), two verdicts:

  - ``pred_asymptotic``: :math:`\\rho(T) > 1` (Chang & Khanna's notion: the linearised dynamics
    diverge); :func:`rmtcheck.stability.unlearning.mixed_recursion`.
  - ``pred_horizon``: the exact root-mean-square displacement of the *linearised* run after the same
    ``steps`` (including the per-sample gradients at :math:`W^*`, which are not zero for logistic loss:
    :class:`rmtcheck.stability.noisy_unlearning.NoisyMixedDynamics`, whose linear part is the same :math:`T`),
    :math:`\\sqrt{\\mathbb E\\|\\delta_K\\|^2}/\\|W^*\\| \\ge` ``tau``. [derived;
    ``proofs/chang_khanna_noise.py``]

  Agreement = fraction of cells whose observed verdict equals the predicted one
  (:func:`agreement_rate`), reported per SNR, never asserted.
* **Pre-flight forecast** (:func:`rmtcheck.stability.preflight.forecast`, what ``rmtcheck preflight`` runs):
  the curvature of :math:`W^*` is built the way a user of the pre-flight check builds it
  (:func:`trained_curvature`: the output Jacobians :math:`\\nabla_W f_i` through
  :func:`rmtcheck.curvature.gauss_newton_factors` with the binary cross-entropy of the logit, which is the
  logistic loss of the margin; rank-one factors, gradient coefficients and per-sample losses, then the range
  coordinates of the joint Gram matrix), independently of the QR projection behind ``pred_horizon``. The
  :class:`~rmtcheck.stability.preflight.Recipe` is the cell's run (``lr``, ``B``, ``steps``, :math:`\\alpha`,
  ``sampling``) with the loss-rise thresholds ``forget_rise`` :math:`= \\log 2 - L_f(W^*)` and ``retain_rise``
  :math:`= \\log 2 - L_r(W^*)`, so the verdict asks whether a mean loss reaches :math:`\\log 2` (chance level)
  within ``steps``:

  - ``forecast_verdict``: the pre-flight rule (:func:`loss_verdict`) on the forecast *mean* losses at step
    ``K``: **collapse** (retain loss :math:`\\ge \\log 2`), **leave** (forget loss :math:`\\ge \\log 2`, retain
    below) or **stay**; ``pred_forecast`` = verdict is not ``stay``.
  - Its observed counterpart is the **same rule on the network's losses** after the run (``obs_verdict``,
    ``obs_left`` = not ``stay``; ``obs_left`` is ``forgot`` or the retain loss reached :math:`\\log 2`), not
    the distance escape ``obs_escape``: the forecast predicts losses, and its distance is
    ``pred_rms_dist`` (the same dynamics; the tests check that they agree to rounding), so a distance verdict
    from it would repeat ``pred_horizon``. ``agreement_forecast`` compares ``pred_forecast`` with
    ``obs_left``; ``agreement_forecast_distance`` (with ``obs_escape``) is recorded for comparison with the
    other two.
  - ``tangent_verdict`` / ``pred_tangent``: the same rule on the median of :data:`TANGENT_RUNS` runs of the
    recipe on the network linearised at :math:`W^*` with the exact logistic loss
    (:func:`rmtcheck.stability.preflight.tangent_forecast`, the pre-flight's default forecast; its batches
    from child 0 of the cell's seed sequence, the real run's from the sequence itself);
    ``agreement_tangent`` compares it with ``obs_left``.

[derived] Whenever some forget curvature lies outside the span of the retain curvature — generic when
``d > n`` because the forget samples' noise patches are nearly orthogonal to everything else —
:math:`\\lambda_{\\min}(\\bar D) < 0` for every :math:`\\alpha > 0` and the exact operator predicts
asymptotic escape for every :math:`\\alpha > 0` and ``B`` (the mean part of
``proofs/chang_khanna_dexter_conditions.py``: :math:`\\rho(T) \\ge \\max_k(1-\\eta\\lambda_k(\\bar D))^2 > 1`);
how fast it escapes (and so what a finite run sees) is what SNR and coherence change. The cell records
:math:`\\lambda_{\\min}(\\bar D)` so this is visible in the data.

Sweep interface
---------------
:func:`cnn_unlearning_cell` is a pure, picklable, module-level function of JSON scalars;
:func:`cnn_grid_cells` lists the cells; :func:`cnn_unlearning_grid` maps them with ``map_cells(fn,
cells, seeds)`` (default: a serial map) using the sweep engine's per-cell seeds
(:func:`rmtcheck.sweep.cell_seeds`: cell ``k`` draws its batches from child ``k`` of
``SeedSequence(seed).spawn(len(cells))``), so results do
not depend on the number of workers. Training and the split depend only on the cell's ``train_seed``
(derived from ``seed`` and the replicate index) and are cached per process with
:func:`functools.lru_cache`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from rmtcheck._lib.statistics import wilson_interval
from rmtcheck._lib.threads import single_blas_thread
from rmtcheck._lib.validation import check_int, check_positive, check_unit_interval
from rmtcheck.curvature import gauss_newton_factors
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.gram import SampleCurvature
from rmtcheck.stability.noisy_unlearning import NoisyMixedDynamics
from rmtcheck.stability.preflight import Recipe, forecast, tangent_forecast
from rmtcheck.stability.three_axis import pair_coherence
from rmtcheck.stability.unlearning import mixed_recursion
from rmtcheck.studies.cnn import model as _cnn
from rmtcheck.studies.cnn import training as _training
from rmtcheck.studies.cnn.pretrained import TrainedPoint, _check_params, trained_point
from rmtcheck.sweep import cell_rng, cell_seeds, seed_sequence, sweep_map, sweep_option

__all__ = [
    "GRID_PRESETS", "cnn_unlearning_cell", "cnn_grid_cells", "cnn_unlearning_grid", "agreement_rate",
    "serial_map", "trained_curvature", "loss_verdict", "cell_forecast", "wilson_interval", "snr_fractions",
]


#: Grid sizes: ``quick`` (tests/CI and the heatmaps' preview), ``default`` (the heatmap figure), ``curve`` (the SNR
#: curve), ``curve-quick`` (its preview), ``large`` (opt-in).
GRID_PRESETS = {
    "quick": dict(snrs=(0.03, 0.3, 1.0), batches=(1, 10), alphas=(0.0, 0.05, 0.2), reps=1),
    "default": dict(snrs=(0.03, 0.1, 0.3, 1.0), batches=(1, 2, 5, 10), alphas=(0.0, 0.02, 0.05, 0.1, 0.2, 0.4),
                    reps=2),
    "curve": dict(snrs=(0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0), batches=(1, 5), alphas=(0.05, 0.1, 0.2), reps=2),
    "curve-quick": dict(snrs=(0.03, 0.1, 0.3, 1.0), batches=(1,), alphas=(0.1, 0.2), reps=1),
    "large": dict(snrs=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0), batches=(1, 2, 3, 5, 7, 10),
                  alphas=(0.0, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4), reps=5),
}


# --------------------------------------------------------------------------- one cell
_SIGMA_MIX_CACHE: dict = {}


def _sigma_mix(tp: TrainedPoint, alpha: float) -> float:
    """Pair coherence of the split at ``alpha`` (independent of ``B``; cached per trained point)."""
    key = (id(tp), alpha)
    if key not in _SIGMA_MIX_CACHE:
        if len(_SIGMA_MIX_CACHE) > 4096:
            _SIGMA_MIX_CACHE.clear()
        _SIGMA_MIX_CACHE[key] = (tp, float(pair_coherence(tp.H_retain, tp.H_forget, alpha=alpha).sigma_mix))
    return _SIGMA_MIX_CACHE[key][1]


def _project_rows(g, factors):
    U, sv, _ = np.linalg.svd(factors.T, full_matrices=False)
    U = U[:, sv > 1e-12 * max(sv.max(), 1e-300)]
    return (g @ U) @ U.T


def _predicted_rms(tp: TrainedPoint, lr, alpha, batch, sampling, steps) -> float:
    """:math:`\\sqrt{\\mathbb E\\|\\delta_K\\|^2}` of the linearised run with gradient forcing, from :math:`\\delta_0 = 0`."""
    gr, gf = tp.g_retain, tp.g_forget
    # a family with weight 0 (alpha = 0 or 1) drops out of the range the dynamics live on; its
    # gradients carry weight 0 too, so project them onto the other family's range (exact)
    if alpha == 0.0:
        gf = _project_rows(gf, tp.H_retain.factors)
    elif alpha == 1.0:
        gr = _project_rows(gr, tp.H_forget.factors)
    dyn = NoisyMixedDynamics(tp.H_retain, tp.H_forget, gr, gf, batch, alpha=alpha, sampling=sampling)
    d = dyn.d
    logm = dyn.log_second_moment(lr, steps, M0=np.zeros((d, d)) + 1e-300 * np.eye(d))
    return float(np.exp(0.5 * logm[-1]))


_LOG2 = math.log(2.0)
#: stands for a forecast value past the point where the forecast stopped (overflow, or both rises beyond 1e4
#: times their thresholds): the run has long left the quadratic region; keeps the records finite JSON
_FC_BIG = 1e300
_FC_CACHE: dict = {}


def trained_curvature(tp: TrainedPoint) -> tuple[SampleCurvature, int]:
    """The pre-flight curvature of the trained point: retain samples, then forget samples.

    Built as a user of :func:`rmtcheck.stability.preflight.preflight` would: the output Jacobians
    :math:`\\nabla_W f_i` (:func:`rmtcheck.studies.cnn.model.grad_f`) and logits :math:`f_i` through
    :func:`rmtcheck.curvature.gauss_newton_factors` with ``loss="bce"`` and targets :math:`(y_i + 1)/2`
    (binary cross-entropy of the logit = logistic loss of the margin :math:`y_i f_i`). Rank-one factors
    :math:`\\sqrt{\\ell''}\\,\\nabla f_i` (the exact per-sample Hessians off the ReLU kinks), gradient
    coefficients and per-sample losses; no use of the QR projection held by ``tp``.

    Parameters
    ----------
    tp : TrainedPoint

    Returns
    -------
    curvature : SampleCurvature
        ``k = 1``, factors of shape ``(n, 2md, 1)``, ``coef``, ``losses``.
    n_retain : int
        The first ``n_retain`` samples are the retain set.
    """
    idx = np.concatenate([tp.retain, tp.forget])
    X, y = tp.X[idx], tp.y[idx]
    J = _cnn.grad_f(tp.model, tp.W, X).reshape(idx.size, 1, -1)
    z = _cnn.forward(tp.model, tp.W, X)
    return gauss_newton_factors(J, z[:, None], (y > 0).astype(float), "bce"), int(tp.retain.size)


def _forecast_inputs(tp: TrainedPoint):
    """Retain/forget families, gradients (Gram range coordinates) and mean losses; cached per trained point."""
    key = id(tp)
    if key not in _FC_CACHE:
        if len(_FC_CACHE) > 256:
            _FC_CACHE.clear()
        curv, n_r = trained_curvature(tp)
        G, g = curv.coordinates()
        fams = (HessianFamily.from_factors(G[:n_r, :, 0], "retain factors"),
                HessianFamily.from_factors(G[n_r:, :, 0], "forget factors"))
        L = curv.losses
        _FC_CACHE[key] = (tp, fams, (g[:n_r], g[n_r:]), (float(L[:n_r].mean()), float(L[n_r:].mean())), curv)
    return _FC_CACHE[key][1:4]


#: Simulated runs of the tangent forecast in each cell.
TANGENT_RUNS = 32


def loss_verdict(forget_rise: float, retain_rise: float, forget_thr: float, retain_thr: float) -> str:
    """The pre-flight verdict rule on loss rises: ``"collapse"``, ``"leave"`` or ``"stay"``.

    ``collapse`` if the retain rise reaches ``retain_thr``; else ``leave`` if the forget rise reaches
    ``forget_thr``; else ``stay`` (the rule of :func:`rmtcheck.stability.preflight.preflight`). The cell
    applies it to the forecast mean losses and to the network's losses alike.

    Examples
    --------
    >>> loss_verdict(0.9, 0.1, 0.6, 0.6), loss_verdict(0.9, 0.7, 0.6, 0.6), loss_verdict(0.1, 0.1, 0.6, 0.6)
    ('leave', 'collapse', 'stay')
    """
    if retain_rise >= retain_thr:
        return "collapse"
    return "leave" if forget_rise >= forget_thr else "stay"


def _rise_thresholds(L0) -> tuple[float, float]:
    """Retain and forget loss rises to log 2 (chance level) from the mean losses ``L0`` at :math:`W^*`; the floor
    only matters for a point whose mean loss already exceeds log 2."""
    return max(_LOG2 - L0[0], 1e-12), max(_LOG2 - L0[1], 1e-12)


def _fin(x) -> float:
    x = float(x)
    return min(x, _FC_BIG) if np.isfinite(x) else _FC_BIG


def cell_forecast(tp: TrainedPoint, lr: float, alpha: float, batch: int, sampling: str, steps: int,
                  rng=None) -> dict:
    """Pre-flight forecast of one cell's run (module notes): verdict and the forecast numbers at step ``steps``.

    Parameters
    ----------
    tp : TrainedPoint
    lr, alpha, batch, sampling, steps
        The run (:class:`~rmtcheck.stability.preflight.Recipe`).
    rng : None, int, SeedSequence or Generator, optional
        Batches of the tangent forecast's simulated runs.

    Returns
    -------
    dict
        JSON scalars: ``forecast_verdict``, ``pred_forecast`` (verdict is not ``stay``), the forecast mean and
        sd of the forget and retain losses at step ``steps`` (``fc_forget_loss_K``, ``fc_forget_loss_sd_K``,
        ``fc_retain_loss_K``, ``fc_retain_loss_sd_K``), ``fc_rms_dist`` (:math:`\\sqrt{E\\|\\delta_K\\|^2}/\\|W^*\\|`),
        ``fc_steps`` (steps before the forecast stopped; ``steps`` when it did not), ``fc_log_reach``
        (:math:`\\log\\max` of each rise over its threshold, :math:`\\ge 0` iff ``pred_forecast``), the thresholds
        ``forget_rise_thr``, ``retain_rise_thr`` and the mean retain loss at :math:`W^*` ``retain_loss_0``.
        Values past a stopped forecast read ``1e300``. The tangent forecast of the same recipe
        (:func:`rmtcheck.stability.preflight.tangent_forecast`, :data:`TANGENT_RUNS` runs of the linearised
        network with the exact logistic loss): ``tangent_verdict`` (the rule on its median run),
        ``pred_tangent`` (not ``stay``), ``tangent_left_fraction`` (fraction of its runs that are not ``stay``),
        ``tg_forget_loss_K`` and ``tg_retain_loss_K`` (the median run's losses at step ``steps``).
    """
    (R, F), (gr, gf), L0 = _forecast_inputs(tp)
    thr_r, thr_f = _rise_thresholds(L0)
    recipe = Recipe(lr=lr, batch=batch, steps=steps, alpha=alpha, sampling=sampling, forget_rise=thr_f,
                    retain_rise=thr_r)
    fc = forecast(R, F, gr, gf, L0, recipe)
    df, dr = fc["forget_loss_mean"][-1] - L0[1], fc["retain_loss_mean"][-1] - L0[0]
    verdict = loss_verdict(df, dr, thr_f, thr_r)
    reach = max(_fin(df) / thr_f, _fin(dr) / thr_r, 1e-300)
    curv = _FC_CACHE[id(tp)][4]
    tfc = tangent_forecast(curv, tp.retain.size, recipe, runs=TANGENT_RUNS, rng=rng, record=[steps])
    tv = loss_verdict(tfc["forget_loss_median"][-1] - L0[1], tfc["retain_loss_median"][-1] - L0[0], thr_f, thr_r)
    return dict(
        tangent_verdict=tv, pred_tangent=tv != "stay", tangent_left_fraction=1.0 - tfc["fractions"]["stay"],
        tg_forget_loss_K=_fin(tfc["forget_loss_median"][-1]), tg_retain_loss_K=_fin(tfc["retain_loss_median"][-1]),
        forecast_verdict=verdict, pred_forecast=verdict != "stay",
        fc_forget_loss_K=_fin(fc["forget_loss_mean"][-1]), fc_forget_loss_sd_K=_fin(fc["forget_loss_sd"][-1]),
        fc_retain_loss_K=_fin(fc["retain_loss_mean"][-1]), fc_retain_loss_sd_K=_fin(fc["retain_loss_sd"][-1]),
        fc_rms_dist=_fin(fc["distance_rms"][-1] / tp.summary["norm_W"]), fc_steps=int(np.sum(np.isfinite(fc["distance_rms"]))) - 1,
        fc_log_reach=float(math.log(min(reach, _FC_BIG))), forget_rise_thr=thr_f, retain_rise_thr=thr_r,
        retain_loss_0=L0[0],
    )


#: The parts of a cell beyond its trained point: ``"observed"`` (the descent-ascent run on the network),
#: ``"asymptotic"`` (:math:`\\rho(T)`), ``"horizon"`` (the linearised rms distance), ``"forecast"``
#: (:func:`cell_forecast`). Each draws from its own stream, so leaving one out changes no other.
CELL_PARTS = ("observed", "asymptotic", "horizon", "forecast")


def cnn_unlearning_cell(params: dict, seed: int, parts=CELL_PARTS) -> dict:
    """One cell: train (cached), unlearn, measure, predict. Returns JSON scalars only.

    ``params`` must contain ``snr``, ``batch``, ``alpha`` and may override any of
    :data:`~rmtcheck.studies.cnn.pretrained.CELL_DEFAULTS` and ``train_seed`` (default 0). ``seed`` draws
    the unlearning batches. BLAS runs single-threaded inside the cell (small GEMMs; see
    :mod:`rmtcheck._lib.threads`).

    Parameters
    ----------
    params : dict
    seed : int
    parts : sequence of str, optional
        The parts of :data:`CELL_PARTS` to compute (default all); the record holds the keys of those only
        (with the same values as a full cell's).

    Returns
    -------
    dict
        Observed (``obs_dist``, ``obs_escape``, accuracies, forget and retain loss, ``obs_verdict``,
        ``obs_left``) and predicted (``rho``, ``pred_asymptotic``, ``pred_rms_dist``, ``pred_horizon``, and
        the pre-flight forecast of :func:`cell_forecast`: ``forecast_verdict``, ``pred_forecast``, ``fc_*``;
        see there) quantities and the trained point's summary.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claims (b) and (c).
    """
    unknown = set(parts) - set(CELL_PARTS)
    if unknown:
        raise ValueError(f"parts must be among {CELL_PARTS}; got {sorted(unknown)}")
    with single_blas_thread():
        return _cell(params, seed, frozenset(parts))


def _cell(params: dict, seed: int, parts=frozenset(CELL_PARTS)) -> dict:
    q = _check_params(params)
    for key in ("batch", "alpha"):
        if key not in params:
            raise ValueError(f"params must contain {key!r}")
    alpha = check_unit_interval(q["alpha"], "alpha")
    seed = check_int(seed, "seed", 0)
    tp = trained_point(params, int(params.get("train_seed", 0)))
    B = check_int(q["batch"], "batch", 1, min(tp.retain.size, tp.forget.size))
    steps, tau = int(q["steps"]), float(q["tau"])
    lr = float(q["lr_scale"]) * tp.eta_star
    model, X, y, W = tp.model, tp.X, tp.y, tp.W
    r, f = tp.retain, tp.forget
    nW = tp.summary["norm_W"]
    out = dict(
        snr=float(q["snr"]), batch=B, alpha=alpha, rep=int(params.get("rep", 0)), train_seed=int(params.get("train_seed", 0)),
        seed=seed, lr=lr, lr_scale=float(q["lr_scale"]), steps=steps, tau=tau, sampling=q["sampling"], split=q["split"],
    )
    if "asymptotic" in parts:
        rec = mixed_recursion(tp.H_retain, tp.H_forget, B, alpha=alpha, sampling=q["sampling"])
        rho = rec.growth(lr)
        out.update(rho=float(rho), log_rho=float(math.log(rho)) if rho > 0 else -1e300,
                   mixed_lambda_min=float(np.linalg.eigvalsh(rec.mean)[0]), pred_asymptotic=bool(rho > 1.0))
    if "horizon" in parts:
        pred_rms = _predicted_rms(tp, lr, alpha, B, q["sampling"], steps) / nW
        out.update(pred_rms_dist=pred_rms, pred_horizon=bool(pred_rms >= tau))
    sigma_mix = _sigma_mix(tp, alpha) if alpha > 0 else None
    fcd = cell_forecast(tp, lr, alpha, B, q["sampling"], steps, rng=seed_sequence(seed).spawn(1)[0]) \
        if "forecast" in parts else {}
    if "observed" in parts:
        run = _training.descent_ascent(model, W, X[r], y[r], X[f], y[f], lr, alpha, B, steps, rng=cell_rng(seed),
                                       cap=1e4 * nW)
        Wk = run.W
        obs = float(run.dist[-1] / nW)
        Wre = tp.W_retrained
        nre = max(float(np.linalg.norm(Wre)), 1e-300)
        out.update(
            obs_dist=obs, obs_escape=bool(obs >= tau or run.blew_up), blew_up=bool(run.blew_up),
            steps_done=int(run.steps_done),
            forget_loss_K=_cnn.loss(model, Wk, X[f], y[f]), forget_acc_K=_cnn.accuracy(model, Wk, X[f], y[f]),
            retain_acc_K=_cnn.accuracy(model, Wk, X[r], y[r]), test_acc_K=_cnn.accuracy(model, Wk, tp.X_test, tp.y_test),
            dist_retrained_K=float(np.linalg.norm(Wk - Wre) / nre))
    out["sigma_mix"] = sigma_mix
    if "observed" in parts:
        out["retain_loss_K"] = _cnn.loss(model, Wk, X[r], y[r])
    out.update({k: v for k, v in tp.summary.items() if k != "snr"}, **fcd)
    if "observed" in parts:
        L0 = _forecast_inputs(tp)[2]
        thr_r, thr_f = _rise_thresholds(L0)
        out["forget_loss_rise"] = out["forget_loss_K"] - out["forget_loss_0"]
        out["forgot"] = bool(out["forget_loss_K"] >= _LOG2)
        out["obs_verdict"] = loss_verdict(out["forget_loss_K"] - out["forget_loss_0"], out["retain_loss_K"] - L0[0],
                                          thr_f, thr_r)
        out["obs_left"] = out["obs_verdict"] != "stay"
    return out


# --------------------------------------------------------------------------- grid
def serial_map(fn, cells, seeds):
    """The default ``map_cells``: a plain serial map.

    Parameters
    ----------
    fn : callable
        ``fn(cell, seed)``.
    cells, seeds : sequence

    Returns
    -------
    list
    """
    return [fn(c, s) for c, s in zip(cells, seeds)]


def cnn_grid_cells(snrs=None, batches=None, alphas=None, reps: int | None = None, seed: int = 0, preset: str = "default",
                   quick: bool = False, **fixed) -> list[dict]:
    """All cells ``{snr, batch, alpha, rep, train_seed, **fixed}`` (rep-major, then snr, batch, alpha).

    Values not given come from ``GRID_PRESETS[preset]`` (``quick=True``: the ``"quick"`` preset, what
    ``rmtcheck sweep run cnn-unlearning --quick`` uses); ``train_seed`` of replicate ``k`` is
    ``SeedSequence([seed, k]).generate_state(1)[0]`` (shared by every cell of that replicate, so the
    trained network is cached).

    Parameters
    ----------
    snrs, batches, alphas : sequence, optional
    reps : int, optional
    seed : int, optional
    preset : str, optional
    quick : bool, optional
    **fixed
        Cell parameters shared by every cell.

    Returns
    -------
    list of dict
    """
    if preset not in GRID_PRESETS:
        raise ValueError(f"preset must be one of {tuple(GRID_PRESETS)}; got {preset!r}")
    g = GRID_PRESETS["quick" if quick else preset]
    snrs = g["snrs"] if snrs is None else snrs
    batches = g["batches"] if batches is None else batches
    alphas = g["alphas"] if alphas is None else alphas
    reps = g["reps"] if reps is None else check_int(reps, "reps", 1)
    for name, v in (("snrs", snrs), ("batches", batches), ("alphas", alphas)):
        if len(v) == 0:
            raise ValueError(f"{name} must be non-empty")
    _check_params({"snr": float(snrs[0]), **fixed})
    cells = []
    for k in range(reps):
        ts = int(np.random.SeedSequence([int(seed), k]).generate_state(1)[0])
        for s in snrs:
            for B in batches:
                for a in alphas:
                    cells.append({"snr": float(check_positive(float(s), "snr")), "batch": int(check_int(B, "batch", 1)),
                                  "alpha": check_unit_interval(float(a), "alpha"), "rep": k, "train_seed": ts,
                                  **fixed})
    return cells


def agreement_rate(predicted, observed) -> float:
    """Fraction of cells where the predicted escape verdict equals the observed one.

    Parameters
    ----------
    predicted, observed : array_like of bool

    Returns
    -------
    float
        Never NaN.

    Raises
    ------
    ValueError
        Empty or mismatched inputs.

    Examples
    --------
    >>> agreement_rate([True, False, True, True], [True, True, True, False])
    0.5
    """
    p = np.asarray(predicted, dtype=bool)
    o = np.asarray(observed, dtype=bool)
    if p.shape != o.shape:
        raise ValueError(f"predicted and observed must have the same shape; got {p.shape} and {o.shape}")
    if p.size == 0:
        raise ValueError("agreement_rate needs at least one cell")
    return float(np.mean(p == o))


def cnn_unlearning_grid(snrs=None, batches=None, alphas=None, reps: int | None = None, map_cells=None, seed: int = 0,
                        preset: str = "default", parts=CELL_PARTS, **fixed) -> dict:
    """Run the grid and collect arrays indexed ``[snr, alpha, batch]`` (means over replicates).

    Parameters
    ----------
    snrs, batches, alphas, reps
        As in :func:`cnn_grid_cells`.
    map_cells : callable, optional
        ``map_cells(fn, cells, seeds)`` (default :func:`serial_map`, or the sweep engine's map when the
        sweep options ask for jobs or a store).
    seed, preset, **fixed
        As in :func:`cnn_grid_cells`.
    parts : sequence of str, optional
        The cell parts to compute (:func:`cnn_unlearning_cell`; default all). The arrays and rates whose
        record keys a left-out part would give are absent; the others are those of the full grid.

    Returns
    -------
    dict
        The axes (``snr``, ``alpha``, ``B``), ``records`` (one dict per cell), arrays ``obs_escape_frac``,
        ``pred_asymptotic_frac``, ``pred_horizon_frac``, ``pred_forecast_frac``, ``obs_left_frac``,
        ``forgot_frac``, ``log_rho``, ``obs_dist``, ``pred_rms_dist``, ``fc_log_reach``, the observed and
        forecast losses at step ``K``, ``forget_acc_K``, ``test_acc_K``, ``dist_retrained_K``; per SNR
        ``agreement_asymptotic`` and ``agreement_horizon`` (with ``obs_escape``), ``agreement_forecast``
        (``pred_forecast`` with ``obs_left``: both "a mean loss reaches log 2", module notes),
        ``agreement_forecast_distance`` (``pred_forecast`` with ``obs_escape``) and
        ``agreement_forecast_verdict`` (three-way verdicts equal), ``agreement_tangent`` (``pred_tangent`` with
        ``obs_left``); the same pooled over SNR (``*_all``);
        escape probabilities over the ``alpha > 0`` cells (``p_escape_*``, ``p_left_obs``, ``p_forgot``),
        coherence summaries per SNR and ``seed``.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claims (b) and (c).
    """
    cells = cnn_grid_cells(snrs, batches, alphas, reps, seed, preset, **fixed)
    seeds = cell_seeds(int(seed), len(cells))
    if map_cells is None and (sweep_option("jobs", 1) > 1 or sweep_option("store") is not None):
        map_cells = sweep_map("cnn-unlearning", jobs=sweep_option("jobs", 1), store=sweep_option("store"))
    mapper = serial_map if map_cells is None else map_cells
    fn = cnn_unlearning_cell if tuple(parts) == CELL_PARTS else functools.partial(cnn_unlearning_cell, parts=tuple(parts))
    records = list(mapper(fn, cells, seeds))
    if len(records) != len(cells):
        raise ValueError(f"map_cells returned {len(records)} results for {len(cells)} cells")
    have = set(records[0]).intersection(*records[1:])
    S = sorted({c["snr"] for c in cells})
    A = sorted({c["alpha"] for c in cells})
    Bs = sorted({c["batch"] for c in cells})
    shape = (len(S), len(A), len(Bs))
    fracs = ("obs_escape", "pred_asymptotic", "pred_horizon", "forgot", "pred_forecast", "obs_left", "pred_tangent")
    keys = [k for k in fracs + ("log_rho", "obs_dist", "pred_rms_dist", "forget_loss_K", "forget_acc_K", "test_acc_K",
                                "dist_retrained_K", "mixed_lambda_min", "retain_loss_K", "fc_forget_loss_K",
                                "fc_retain_loss_K", "fc_log_reach") if k in have]
    acc = {k: np.zeros(shape) for k in keys}
    cnt = np.zeros(shape)
    for rec in records:
        i, j, k = S.index(rec["snr"]), A.index(rec["alpha"]), Bs.index(rec["batch"])
        cnt[i, j, k] += 1
        for key in keys:
            acc[key][i, j, k] += float(rec[key])
    out = {"snr": np.array(S), "alpha": np.array(A), "B": np.array(Bs), "seed": int(seed), "records": records,
           "count": cnt}
    for key in keys:
        out[key + ("_frac" if key in fracs else "")] = acc[key] / cnt
    agree = {name: pair for name, pair in _AGREEMENTS.items() if set(pair) <= have}
    on_pos = {name: key for name, key in _ON_ESCAPE_CELLS.items() if key in have}
    per = {name: np.full(len(S), np.nan) for name in _PER_SNR if name in agree or name in on_pos or name in _ON_POINT}
    for i, s in enumerate(S):
        rs = [r for r in records if r["snr"] == s]
        pos = [r for r in rs if r["alpha"] > 0]
        for name, (p, o) in agree.items():
            if name == "agreement_forecast_verdict":
                per[name][i] = np.mean([r[p] == r[o] for r in rs])
            else:
                per[name][i] = agreement_rate([r[p] for r in rs], [r[o] for r in rs])
        if pos:
            for name, key in on_pos.items():
                per[name][i] = np.mean([r[key] for r in pos])
        for name in _ON_POINT:
            per[name][i] = np.mean([r[name] for r in rs])
    out.update(per)
    for name in _POOLED:
        if name in agree:
            p, o = agree[name]
            out[name + "_all"] = agreement_rate([r[p] for r in records], [r[o] for r in records])
    if {"forgot", "obs_escape"} <= have:
        out["escape_forgot_agreement"] = float(np.mean(np.array([r["forgot"] for r in records])
                                                       == np.array([r["obs_escape"] for r in records])))
    return out


#: The grid's agreement rates: name -> (predicted, observed) record keys.
_AGREEMENTS = {
    "agreement_asymptotic": ("pred_asymptotic", "obs_escape"), "agreement_horizon": ("pred_horizon", "obs_escape"),
    "agreement_forecast": ("pred_forecast", "obs_left"), "agreement_forecast_distance": ("pred_forecast", "obs_escape"),
    "agreement_forecast_verdict": ("forecast_verdict", "obs_verdict"), "agreement_tangent": ("pred_tangent", "obs_left"),
}
#: Means over the cells with alpha > 0: name -> record key.
_ON_ESCAPE_CELLS = {
    "p_escape_obs": "obs_escape", "p_escape_pred_asym": "pred_asymptotic", "p_escape_pred_horizon": "pred_horizon",
    "p_escape_pred_forecast": "pred_forecast", "p_escape_pred_tangent": "pred_tangent", "p_left_obs": "obs_left",
    "p_forgot": "forgot", "mean_obs_dist": "obs_dist", "sigma_mix": "sigma_mix",
}
#: Means of the trained point's summary over the cells of one SNR.
_ON_POINT = ("sigma_r", "sigma_f", "alignment", "test_acc_0", "dist_retrained_0")
#: The per-SNR arrays, in the order of the grid's keys.
_PER_SNR = ("agreement_asymptotic", "agreement_horizon", "agreement_forecast", "agreement_forecast_distance",
            "agreement_forecast_verdict", "agreement_tangent", "p_escape_obs", "p_escape_pred_asym",
            "p_escape_pred_horizon", "p_escape_pred_forecast", "p_escape_pred_tangent", "p_left_obs", "p_forgot",
            "sigma_r", "sigma_f", "alignment", "sigma_mix", "test_acc_0", "dist_retrained_0", "mean_obs_dist")
#: The agreement rates also pooled over SNR (``<name>_all``).
_POOLED = ("agreement_asymptotic", "agreement_horizon", "agreement_forecast", "agreement_forecast_distance",
           "agreement_tangent")


# --------------------------------------------------------------------------- intervals for the figures
def snr_fractions(records, keys, level: float = 0.95, where=None) -> dict:
    """Per SNR, how many cells have each boolean ``key`` true, with Wilson intervals.

    Parameters
    ----------
    records : sequence of dict
        Cells of :func:`cnn_unlearning_grid` (``records``).
    keys : sequence of str
        Boolean fields of a record (``obs_escape``, ``pred_asymptotic`` ...).
    level : float, optional
        Level of the Wilson intervals (:func:`wilson_interval`).
    where : callable, optional
        Keep only the records for which ``where(record)`` is true (default: those with ``alpha > 0``).

    Returns
    -------
    dict
        ``snr`` (sorted), ``n`` (cells per SNR) and per key ``{key}_k``, ``{key}_frac`` and ``{key}_ci``
        (shape ``(2, len(snr))``).
    """
    keep = [r for r in records if (where(r) if where is not None else r["alpha"] > 0)]
    S = np.array(sorted({r["snr"] for r in keep}))
    if S.size == 0:
        raise ValueError("records: no cell passes `where`; pass cells with alpha > 0 or another `where`")
    n = np.array([sum(r["snr"] == s for r in keep) for s in S])
    out = {"snr": S, "n": n}
    for key in keys:
        k = np.array([sum(bool(r[key]) for r in keep if r["snr"] == s) for s in S])
        out[f"{key}_k"], out[f"{key}_frac"], out[f"{key}_ci"] = k, k / n, wilson_interval(k, n, level)
    return out
