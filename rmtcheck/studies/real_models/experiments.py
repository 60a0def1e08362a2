"""Does the pre-flight forecast predict real gradient-ascent / descent–ascent unlearning? The grid.

Plain data for :mod:`.figures`, :mod:`.statements` and the sweep engine; no plotting here.

Pipeline of one trained model ``(dataset, n, hidden, train_seed, backend)`` (cached per process)
----------------------------------------------------------------------------------------------
1. Data: ``n`` samples of ``dataset`` (:func:`.data.load_dataset`; nothing downloaded).
2. Training to mean loss :math:`\\le` ``loss_tol`` (:func:`.models.train_to_zero`, or the torch MLP of
   :mod:`.torch_model` for ``backend="torch"``).
3. Per-sample Gauss–Newton curvature of the cross-entropy on all ``n`` samples (:func:`.models.mlp_curvature`
   or :func:`rmtcheck.curvature.torch_curvature`; ``"factored"`` root) and its range coordinates with
   Gram eigenvalues below ``rank_rtol`` of the largest dropped (``SampleCurvature.coordinates``), once.
   The seeds: ``SeedSequence(train_seed).spawn(3)`` — data, training, random forget set.

One cell = one group ``(dataset, kind, alpha, B)`` over every step size of the grid (:func:`real_models_cell`)
------------------------------------------------------------------------------------------------------
* Forget set of ``kind`` (:func:`.data.forget_split`); retain samples first, forget samples after.
* **Observed**: for every grid ``lr`` and each of ``reps`` seeds, one real run of ``steps`` steps
  (:func:`.models.unlearn_runs`, all of a cell's runs at once: fixed-size batches of ``B`` drawn without
  replacement from each set); the
  cell seed spawns ``reps`` children for the runs and then one for the tangent forecast; seed ``s``
  draws the same batches at every ``lr``. Verdict per run with the forecast's thresholds
  (:func:`.models.verdict`); the cell's observed verdict is the median over seeds in the order
  stay < leave < collapse (:func:`.models.cell_verdict`, the majority whenever one exists).
* **Predicted** (``predictor``, default ``"tangent"``): the pre-flight's tangent forecast
  (:func:`rmtcheck.stability.preflight.tangent_forecast`: the same recipe run ``forecast_runs`` = 32 times on
  the network linearised at the trained weights, with the exact cross-entropy and the runs' own batch model,
  fixed-size batches without replacement; the verdict of the median run), on a step-size curve with
  ``curve_density`` points per factor 2 (4 in the default preset; 2, the grid itself, in the quick one) and
  the same simulated batches at every step size. Every cell also records the quadratic forecast
  (``*_quadratic``: exact moments of the linearised run pushed through the quadratic model of the loss, with
  ``sampling="independent_bernoulli"`` so the exact secular solver applies; the two batch models differ by
  O(B/n) in the noise correlation term), computed directly on the range coordinates computed once per model
  (``predictor="forecast"`` makes it the predictor; ``"preflight"`` calls
  :func:`rmtcheck.stability.preflight.preflight` with ``forecast_model="quadratic"`` and records its summary
  — the same curve, tested).
* Predicted verdict at each grid ``lr`` = the rule of :func:`.models.verdict` on the forecast rises at the
  last step; **agreement** = fraction of grid step sizes whose predicted verdict equals the observed one.
  **Predicted boundary** = the smallest ``lr`` where the forecast is not "stay" (log-linear interpolation
  of the first threshold crossing, as preflight's ``leave_lr``/``collapse_lr``); **observed boundary** =
  the smallest grid ``lr`` whose observed verdict is not "stay" (so it lies within one grid factor,
  :math:`\\sqrt 2`, above the true one); their ratio is reported (target: within 1.5x), and left out
  (``None``, ``boundary_censored``) when either verdict is already not "stay" at the smallest grid ``lr``.
  Because the true boundary lies in the bracket ``(obs_boundary_below, obs_boundary]`` between two grid
  points, ``bracket_factor`` also reports by what factor the prediction falls outside that bracket (1 when
  inside).

Step-size grids (:data:`DATASET_SETTINGS`: ``lr_lo``, ratio :math:`\\sqrt 2`, ``lr_points`` of the preset)
were set from pilot runs so that they span the transition on every data set (now 0.025 to 1.6 for all
three, 13 points). Presets (:data:`PRESETS`): ``quick`` (``n = 150``, half the hidden width, one batch size,
GA and GDA at 0.5) and ``default`` (``n = 300``, full width — d = 1210 digits, 1058 breast cancer, 826
MNIST-1D — two batch sizes, three alphas, 5 seeds); both predict with the tangent forecast.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from rmtcheck._lib.threads import single_blas_thread
from rmtcheck._lib.validation import check_int, check_positive, check_unit_interval
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.gram import SampleCurvature
from rmtcheck.stability.preflight import Recipe, first_crossing, forecast, preflight, tangent_forecast_curve
from rmtcheck.studies.real_models import models as _m
from rmtcheck.studies.real_models.data import FORGET_KINDS, check_dataset, check_kind, forget_split, load_dataset
from rmtcheck.sweep import cell_seeds, seed_sequence, sweep_map, sweep_option

__all__ = ["PRESETS", "DATASET_SETTINGS", "CELL_DEFAULTS", "grid_lrs", "trained_model", "real_models_cell",
           "real_models_cells", "real_models_grid", "serial_map"]

#: Per data set: hidden width and the smallest grid step size (the grid is ``lr_lo * sqrt(2)**k``).
DATASET_SETTINGS = {
    "digits": dict(hidden=16, lr_lo=0.025),
    "breast_cancer": dict(hidden=32, lr_lo=0.025),
    "mnist1d": dict(hidden=16, lr_lo=0.025),
}
#: Grid presets: ``quick`` (< 60 s per data set on 2 cores: tests, ``sweep run real-models --quick``) and ``default``
#: (the figures draw the verify rows' smaller instance instead: :mod:`.figures`).
PRESETS = {
    "quick": dict(n=150, reps=3, steps=20, alphas=(1.0, 0.5), batches=(8,), lr_points=13, hidden_scale=0.5,
                  predictor="tangent", curve_density=2),
    "default": dict(n=300, reps=5, steps=20, alphas=(1.0, 0.8, 0.5), batches=(4, 16), lr_points=13, hidden_scale=1.0,
                    predictor="tangent", curve_density=4),
}
#: Cell parameters a cell may override (besides ``dataset``, ``kind``, ``alpha``, ``batch``, ``lrs``).
CELL_DEFAULTS = dict(n=150, hidden=8, steps=20, reps=3, train_seed=0, backend="numpy", loss_tol=0.01,
                     forget_frac=0.1, forget_class=0, forget_rise=0.5, retain_rise=0.5, rank_rtol=1e-4,
                     predictor="tangent", curve_density=4, forecast_runs=32)
_BACKENDS = ("numpy", "torch")
_PREDICTORS = ("tangent", "forecast", "preflight")
SAMPLING = "independent_bernoulli"  # the quadratic forecast's batch model (the exact secular solver applies)
TANGENT_SAMPLING = "without_replacement"  # the tangent forecast runs the real runs' batch model


def grid_lrs(lr_lo: float, points: int) -> list[float]:
    """``lr_lo * sqrt(2)**k`` for ``k = 0..points-1`` (rounded to 12 significant digits)."""
    check_positive(lr_lo, "lr_lo")
    return [float(f"{lr_lo * 2 ** (k / 2):.12g}") for k in range(check_int(points, "points", 1))]


def _fine(lrs, density: int) -> np.ndarray:
    """``density`` points per factor 2 between the smallest and the largest grid step size, and the grid."""
    lo, hi = min(lrs), max(lrs)
    m = int(round(density * np.log2(hi / lo))) if hi > lo else 0
    pts = np.concatenate([lo * 2.0 ** (np.arange(m + 1) / density), np.asarray(lrs, dtype=float)])
    pts = np.sort(pts)
    return pts[np.concatenate([[True], np.diff(np.log(pts)) > 1e-9])]


# --------------------------------------------------------------------------- the trained model
class Trained:
    """A trained model with its data, curvature on all samples and range coordinates (:func:`trained_model`)."""

    def __init__(self, data, train, curvature: SampleCurvature, G, g, split_seed, seconds: float):
        self.data, self.train, self.curvature = data, train, curvature
        self.G, self.g, self.split_seed, self.seconds = G, g, split_seed, seconds

    def split(self, kind: str, frac: float, forget_class: int):
        """Retain and forget indices of ``kind`` (the random kind drawn from the model's split seed)."""
        return forget_split(kind, self.data.y, self.curvature.losses, frac, rng=np.random.default_rng(self.split_seed),
                            forget_class=forget_class)

    def ordered_curvature(self, order) -> SampleCurvature:
        """The curvature with its samples in ``order`` (retain first, forget after), for :func:`preflight`; the
        tangent factor is computed once per model and permuted."""
        self.curvature.tangent_features()
        return self.curvature.reordered(order)


@functools.lru_cache(maxsize=8)
def trained_model(dataset: str, n: int, hidden: int, train_seed: int = 0, backend: str = "numpy",
                  loss_tol: float = 0.01, rank_rtol: float = 1e-4) -> Trained:
    """Train (cached per process) and measure the curvature (module notes, pipeline steps 1–3).

    Parameters
    ----------
    dataset : {"digits", "breast_cancer", "mnist1d"}
    n, hidden : int
    train_seed : int, default 0
        Root of ``SeedSequence(train_seed).spawn(3)``: data, training, random forget set.
    backend : {"numpy", "torch"}, default "numpy"
    loss_tol : float, default 0.01
    rank_rtol : float, default 1e-4
        Gram eigenvalues below this fraction of the largest are dropped from the coordinates (the same
        ``rank_rtol`` is passed to :func:`preflight`).

    Returns
    -------
    Trained
    """
    check_dataset(dataset)
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}; got {backend!r}")
    t0 = time.perf_counter()
    s_data, s_train, s_split = np.random.SeedSequence(check_int(train_seed, "train_seed", 0)).spawn(3)
    data = load_dataset(dataset, n, rng=np.random.default_rng(s_data))
    g = np.random.default_rng(s_train)
    if backend == "torch":
        from rmtcheck.studies.real_models.torch_model import torch_mlp_curvature, train_torch

        net, tr = train_torch(data.X, data.y, data.n_classes, hidden, rng=g, loss_tol=loss_tol)
        curv = torch_mlp_curvature(net, data.X, data.y)
    else:
        tr = _m.train_to_zero(data.X, data.y, data.n_classes, hidden, rng=g, loss_tol=loss_tol)
        curv = _m.mlp_curvature(tr.model, tr.params, data.X, data.y)
    G, gg = curv.coordinates(check_positive(rank_rtol, "rank_rtol"))
    return Trained(data, tr, curv, G, gg, s_split, time.perf_counter() - t0)


def _family(G):
    return HessianFamily(factors=np.ascontiguousarray(G[:, :, 0])) if G.shape[2] == 1 else HessianFamily(blocks=G)


# --------------------------------------------------------------------------- one cell
def _check_params(params: dict) -> dict:
    for key in ("dataset", "kind", "alpha", "batch", "lrs"):
        if key not in params:
            raise ValueError(f"params must contain {key!r}")
    unknown = set(params) - set(CELL_DEFAULTS) - {"dataset", "kind", "alpha", "batch", "lrs"}
    if unknown:
        raise ValueError(f"unknown cell parameters {sorted(unknown)}; known: {sorted(CELL_DEFAULTS)}")
    q = {**CELL_DEFAULTS, **params}
    check_dataset(q["dataset"])
    check_kind(q["kind"])
    check_unit_interval(q["alpha"], "alpha")
    if q["alpha"] == 0.0:
        raise ValueError("alpha must be > 0 (alpha = 0 is plain descent on the retain set, not unlearning)")
    if q["predictor"] not in _PREDICTORS:
        raise ValueError(f"predictor must be one of {_PREDICTORS}; got {q['predictor']!r}")
    if len(q["lrs"]) == 0:
        raise ValueError("lrs must be non-empty")
    q["lrs"] = sorted(check_positive(v, "lr") for v in q["lrs"])
    for key in ("steps", "reps", "batch", "forecast_runs"):
        check_int(q[key], key, 1)
    return q


def _recipe(q) -> Recipe:
    return Recipe(lr=float(q["lrs"][len(q["lrs"]) // 2]), batch=q["batch"], steps=q["steps"], alpha=q["alpha"],
                  sampling=TANGENT_SAMPLING if q["predictor"] == "tangent" else SAMPLING,
                  forget_rise=q["forget_rise"], retain_rise=q["retain_rise"])


def _quadratic_curve(tm: Trained, q, retain, forget, fine) -> tuple[dict, dict]:
    """The quadratic forecast's rises on the step sizes ``fine`` (and preflight's summary when it is the predictor)."""
    recipe = _recipe({**q, "predictor": "forecast"})
    if q["predictor"] == "preflight":
        order = np.concatenate([retain, forget])
        rep = preflight(tm.ordered_curvature(order), retain.size, recipe, lrs=fine, almost_sure=False,
                        rank_rtol=q["rank_rtol"], forecast_model="quadratic")
        c = rep.lr_curve
        summary = dict(preflight_verdict=rep.verdict, preflight_lr=recipe.lr, rank=rep.rank,
                       critical_lr_ms=rep.critical_lr["mean-square"], critical_alpha_ms=rep.critical_alpha["mean-square"],
                       sigma_retain=rep.sigma_retain, sigma_forget=rep.sigma_forget, sigma_mix=rep.sigma_mix)
        return {k: [float(v) for v in c[k]] for k in ("forget_rise", "retain_rise", "forget_sd", "retain_sd")}, summary
    L = tm.curvature.losses
    R, F = _family(tm.G[retain]), _family(tm.G[forget])
    L0 = (float(L[retain].mean()), float(L[forget].mean()))
    out = {k: [] for k in ("forget_rise", "retain_rise", "forget_sd", "retain_sd")}
    for eta in fine:
        fc = forecast(R, F, tm.g[retain], tm.g[forget], L0, recipe, lr=float(eta), record=[q["steps"]])
        out["forget_rise"].append(float(fc["forget_loss_mean"][-1] - L0[1]))
        out["retain_rise"].append(float(fc["retain_loss_mean"][-1] - L0[0]))
        out["forget_sd"].append(float(fc["forget_loss_sd"][-1]))
        out["retain_sd"].append(float(fc["retain_loss_sd"][-1]))
    return out, {"rank": int(tm.G.shape[1])}


def _tangent_curve(tm: Trained, q, retain, forget, fine, seed) -> dict:
    """The tangent forecast's median rises on ``fine`` (the same simulated batches at every step size, simulated together)."""
    cur = tm.ordered_curvature(np.concatenate([retain, forget]))
    recipe = _recipe(q)
    out = {k: [] for k in ("forget_rise", "retain_rise", "forget_sd", "retain_sd", "leave_fraction", "collapse_fraction")}
    for fc in tangent_forecast_curve(cur, retain.size, recipe, fine, runs=q["forecast_runs"], rng=seed,
                                     record=[q["steps"]]):
        out["forget_rise"].append(float(fc["forget_loss_median"][-1] - fc["forget_loss_0"]))
        out["retain_rise"].append(float(fc["retain_loss_median"][-1] - fc["retain_loss_0"]))
        out["forget_sd"].append(float(fc["forget_loss_sd"][-1]))
        out["retain_sd"].append(float(fc["retain_loss_sd"][-1]))
        out["leave_fraction"].append(fc["fractions"]["leave"])
        out["collapse_fraction"].append(fc["fractions"]["collapse"])
    return out


def _predicted(curve: dict, fine, lrs, fr: float, rr: float) -> tuple[list, float | None, list]:
    """Verdicts at the grid step sizes, the predicted boundary (first threshold crossing on ``fine``) and the
    indices of the grid step sizes in ``fine``."""
    idx = [int(np.flatnonzero(np.isclose(fine, v, rtol=1e-9))[0]) for v in lrs]
    pred = [_m.verdict(curve["forget_rise"][i], curve["retain_rise"][i], fr, rr) for i in idx]
    crossings = [c for c in (first_crossing(fine, curve["forget_rise"], fr), first_crossing(fine, curve["retain_rise"], rr))
                 if c is not None]
    return pred, (min(crossings) if crossings else None), idx


def real_models_cell(params: dict, seed: int) -> dict:
    """One group ``(dataset, kind, alpha, batch)`` over the step sizes ``lrs``: observed and predicted verdicts.

    ``params`` must contain ``dataset``, ``kind``, ``alpha`` (in (0, 1]), ``batch`` and ``lrs`` and may
    override any of :data:`CELL_DEFAULTS`; ``seed`` (a sweep cell seed) draws the batches of the real runs.
    BLAS runs single-threaded inside the cell.

    Returns
    -------
    dict
        JSON values: the setting, ``lrs``, per step size the observed verdicts per seed (``obs_verdicts``),
        the cell verdict (``obs``), median loss rises (and the mean forget-loss rise), mean accuracies and
        median distance, the forecast
        rises and spreads and the predicted verdict (``pred``), the fine curve, ``agreement``,
        ``pred_boundary``, ``obs_boundary`` (``None`` when not crossed in the grid), ``boundary_ratio``,
        training summary and timings.

    Raises
    ------
    ValueError
        Missing or unknown parameters, unknown data set or forget kind, ``alpha`` outside (0, 1], an ``lr``
        that is not > 0, or a batch larger than the forget or retain set.
    """
    with single_blas_thread():
        return _cell(params, seed)


def _cell(params: dict, seed: int) -> dict:
    q = _check_params(params)
    tm = trained_model(q["dataset"], int(q["n"]), int(q["hidden"]), int(q["train_seed"]), q["backend"],
                       float(q["loss_tol"]), float(q["rank_rtol"]))
    retain, forget = tm.split(q["kind"], q["forget_frac"], q["forget_class"])
    B = check_int(q["batch"], "batch", 1, forget.size if q["alpha"] == 1.0 else min(forget.size, retain.size))
    lrs, fr, rr = q["lrs"], float(q["forget_rise"]), float(q["retain_rise"])
    X, y, model, w = tm.data.X, tm.data.y, tm.train.model, tm.train.params
    L = tm.curvature.losses
    t0 = time.perf_counter()
    fine = _fine(lrs, check_int(q["curve_density"], "curve_density", 1))
    ss = seed_sequence(int(seed))
    seeds = ss.spawn(check_int(q["reps"], "reps", 1))  # the real runs' seeds, then the tangent forecast's
    s_forecast = ss.spawn(1)[0]
    quad, summary = _quadratic_curve(tm, q, retain, forget, fine)
    curve = _tangent_curve(tm, q, retain, forget, fine, s_forecast) if q["predictor"] == "tangent" else quad
    t1 = time.perf_counter()
    pred, pred_boundary, idx = _predicted(curve, fine, lrs, fr, rr)
    pred_q, pred_boundary_q, _ = _predicted(quad, fine, lrs, fr, rr)
    L0 = (float(L[retain].mean()), float(L[forget].mean()))
    runs = _m.unlearn_runs(model, w, (X[retain], y[retain]), (X[forget], y[forget]), lrs, q["alpha"], B, q["steps"],
                           [np.random.default_rng(s) for s in seeds], losses0=L0)  # [lr][seed], all at once
    t2 = time.perf_counter()
    obs_v = [[_m.verdict(r.forget_rise, r.retain_rise, fr, rr) for r in row] for row in runs]
    obs = [_m.cell_verdict(v) for v in obs_v]
    not_stay = [i for i, v in enumerate(obs) if v != "stay"]
    obs_boundary = lrs[not_stay[0]] if not_stay else None

    def ratio_of(pred, pb):  # None when a boundary sits at or below the smallest grid step size, or is not crossed
        censored = obs[0] != "stay" or pred[0] != "stay"
        return (pb / obs_boundary if not censored and None not in (pb, obs_boundary) else None), censored

    ratio, censored = ratio_of(pred, pred_boundary)
    ratio_q, _ = ratio_of(pred_q, pred_boundary_q)
    # the true observed boundary lies in (lrs[k-1], lrs[k]]: by what factor a prediction falls outside that bracket
    lo = lrs[not_stay[0] - 1] if not_stay and not_stay[0] > 0 else None
    outside = lambda pb, r: None if r is None or lo is None else float(max(1.0, pb / obs_boundary, lo / pb))  # noqa: E731
    med = lambda rows, key: [float(np.median([getattr(r, key) for r in row])) for row in rows]  # noqa: E731
    mean = lambda rows, key: [float(np.nanmean([getattr(r, key) for r in row])) if not all(r.blew_up for r in row)  # noqa: E731
                              else None for row in rows]
    return dict(
        dataset=q["dataset"], kind=q["kind"], alpha=float(q["alpha"]), batch=B, method="GA" if q["alpha"] == 1.0 else "GDA",
        n=int(q["n"]), n_retain=int(retain.size), n_forget=int(forget.size), hidden=int(q["hidden"]),
        n_params=int(tm.curvature.n_params), steps=int(q["steps"]), reps=int(q["reps"]), train_seed=int(q["train_seed"]),
        backend=q["backend"], predictor=q["predictor"], sampling_pred=_recipe(q).sampling, sampling_quadratic=SAMPLING,
        sampling_runs="fixed-size batches", forecast_runs=int(q["forecast_runs"]) if q["predictor"] == "tangent" else None,
        forget_rise_thr=fr, retain_rise_thr=rr, rank_rtol=float(q["rank_rtol"]), seed=int(seed), lrs=list(lrs),
        obs_verdicts=obs_v, obs=obs, pred=pred, agreement=float(np.mean([a == b for a, b in zip(pred, obs)])),
        obs_forget_rise=med(runs, "forget_rise"), obs_retain_rise=med(runs, "retain_rise"),
        obs_forget_rise_mean=[float(np.mean([r.forget_rise for r in row])) for row in runs],
        obs_forget_acc=mean(runs, "forget_acc"), obs_retain_acc=mean(runs, "retain_acc"), obs_dist=med(runs, "dist"),
        pred_forget_rise=[curve["forget_rise"][i] for i in idx], pred_retain_rise=[curve["retain_rise"][i] for i in idx],
        pred_forget_sd=[curve["forget_sd"][i] for i in idx], pred_retain_sd=[curve["retain_sd"][i] for i in idx],
        curve_lrs=[float(v) for v in fine], curve_forget_rise=curve["forget_rise"], curve_retain_rise=curve["retain_rise"],
        pred_boundary=pred_boundary, obs_boundary=obs_boundary, boundary_ratio=ratio, boundary_censored=censored,
        obs_boundary_below=lo, bracket_factor=outside(pred_boundary, ratio),
        bracket_factor_quadratic=outside(pred_boundary_q, ratio_q), pred_quadratic=pred_q, agreement_quadratic=float(np.mean([a == b for a, b in zip(pred_q, obs)])),
        pred_boundary_quadratic=pred_boundary_q, boundary_ratio_quadratic=ratio_q,
        curve_forget_rise_quadratic=quad["forget_rise"], curve_retain_rise_quadratic=quad["retain_rise"],
        train_loss=tm.train.loss, train_accuracy=tm.train.accuracy, train_epochs=int(tm.train.epochs),
        forget_loss_0=L0[1], retain_loss_0=L0[0], seconds_train=float(tm.seconds), seconds_predict=t1 - t0,
        seconds_runs=t2 - t1, **summary)


# --------------------------------------------------------------------------- the grid
def serial_map(fn, cells, seeds):
    """The default ``map_cells``: a plain serial map."""
    return [fn(c, s) for c, s in zip(cells, seeds)]


def real_models_cells(quick: bool = False, datasets=None, preset: str | None = None, kinds=None, **fixed) -> list[dict]:
    """Every cell ``{dataset, kind, alpha, batch, lrs, ...}`` of a preset (dataset, kind, batch, alpha order).

    Parameters
    ----------
    quick : bool, default False
        The ``"quick"`` preset (``rmtcheck sweep run real-models --quick``); else ``preset`` or ``"default"``.
    datasets : sequence of str, optional
        Default: all three.
    preset : {"quick", "default"}, optional
    kinds : sequence of str, optional
        Default: all three forget kinds.
    **fixed
        Cell parameters overriding the preset's.

    Returns
    -------
    list of dict
    """
    preset = preset or ("quick" if quick else "default")
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}; got {preset!r}")
    p = PRESETS[preset]
    cells = []
    for ds in datasets or tuple(DATASET_SETTINGS):
        s = DATASET_SETTINGS[check_dataset(ds)]
        base = dict(n=p["n"], reps=p["reps"], steps=p["steps"], predictor=p["predictor"], curve_density=p["curve_density"],
                    hidden=max(2, int(round(s["hidden"] * p["hidden_scale"]))), lrs=grid_lrs(s["lr_lo"], p["lr_points"]))
        for kind in kinds or FORGET_KINDS:
            for B in p["batches"]:
                for a in p["alphas"]:
                    cells.append({**base, "dataset": ds, "kind": check_kind(kind), "alpha": float(a), "batch": int(B),
                                  **fixed})
    return cells


def real_models_grid(dataset: str, preset: str = "quick", seed: int = 0, map_cells=None, kinds=None, **fixed) -> dict:
    """Run one data set's grid and collect its records and arrays ``[kind, batch, alpha, lr]``.

    Verdicts are coded 0 stay, 1 leave, 2 collapse. ``map_cells(fn, cells, seeds)`` defaults to a serial
    map (or the sweep engine's when sweep options ask for jobs or a store); seeds are the sweep engine's
    per-cell seeds of ``seed`` over the preset's whole cell list (:func:`real_models_cells`, all data sets),
    so ``rmtcheck sweep run real-models`` and this function compute the same cells.

    Returns
    -------
    dict
        ``records``, axes ``kinds``, ``batches``, ``alphas``, ``lrs``; arrays ``obs_code``, ``pred_code``,
        ``pred_boundary``, ``obs_boundary``, ``boundary_ratio`` (NaN where not crossed), the quadratic
        forecast's ``pred_code_quadratic``, ``pred_boundary_quadratic``, ``boundary_ratio_quadratic``;
        ``agreement`` (per kind, over all its cells), ``agreement_all``, ``agreement_all_quadratic``, ``seconds``.
    """
    check_dataset(dataset)
    every = real_models_cells(preset=preset, **fixed)  # the sweep's canonical list: its seeds are the sweep's
    pick = [i for i, c in enumerate(every) if c["dataset"] == dataset and (kinds is None or c["kind"] in kinds)]
    all_seeds = cell_seeds(int(seed), len(every))
    cells, seeds = [every[i] for i in pick], [all_seeds[i] for i in pick]
    if map_cells is None and (sweep_option("jobs", 1) > 1 or sweep_option("store") is not None):
        map_cells = sweep_map("real-models", jobs=sweep_option("jobs", 1), store=sweep_option("store"))
    t0 = time.perf_counter()
    recs = list((map_cells or serial_map)(real_models_cell, cells, seeds))
    K = sorted({c["kind"] for c in cells}, key=FORGET_KINDS.index)
    Bs, A = sorted({r["batch"] for r in recs}), sorted({c["alpha"] for c in cells})
    lrs = recs[0]["lrs"]
    code = {v: i for i, v in enumerate(_m.VERDICTS)}
    shape = (len(K), len(Bs), len(A))
    out = {"records": recs, "kinds": K, "batches": np.array(Bs), "alphas": np.array(A), "lrs": np.array(lrs)}
    for key in ("obs_code", "pred_code", "pred_code_quadratic"):
        out[key] = np.full(shape + (len(lrs),), -1)
    bkeys = ("pred_boundary", "obs_boundary", "boundary_ratio", "pred_boundary_quadratic", "boundary_ratio_quadratic")
    for key in bkeys:
        out[key] = np.full(shape, np.nan)
    for r in recs:
        i, j, k = K.index(r["kind"]), Bs.index(r["batch"]), A.index(r["alpha"])
        out["obs_code"][i, j, k] = [code[v] for v in r["obs"]]
        out["pred_code"][i, j, k] = [code[v] for v in r["pred"]]
        out["pred_code_quadratic"][i, j, k] = [code[v] for v in r["pred_quadratic"]]
        for key in bkeys:
            out[key][i, j, k] = np.nan if r[key] is None else r[key]
    match = out["obs_code"] == out["pred_code"]
    out["agreement"] = match.reshape(len(K), -1).mean(axis=1)
    out["agreement_all"] = float(match.mean())
    out["agreement_all_quadratic"] = float(np.mean(out["obs_code"] == out["pred_code_quadratic"]))
    out["seconds"] = time.perf_counter() - t0
    return out
