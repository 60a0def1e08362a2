"""Rows of group ``real_models``: the pre-flight forecast against real GA/GDA unlearning of small MLPs.

Every row runs on a small instance so that it takes seconds (``n = 100`` training samples, hidden width 8
or 16, 20 unlearning steps with batches of 4, 3 seeds per cell, step sizes ``0.05 * sqrt(2)**k`` for ``k = 0..9``;
the pre-flight's tangent forecast, 32 simulated runs of the linearised network with the runs' own batch
model, fixed-size batches; the quadratic forecast's agreement is reported beside it). Each row states what
it measures; the targets of the validation
(agreement >= 90 %, boundary within 1.5x) are probes (``claimed=False``) whose tightness is the measured
value, whichever way it goes. Thresholds: leave = forget loss +0.5 nats, collapse = retain loss +0.5
nats (precedence); a cell's observed verdict is the median over its seeds (stay < leave < collapse).
"""

from __future__ import annotations

import functools

import numpy as np

from rmtcheck.studies.real_models import experiments as _x
from rmtcheck.studies.real_models.data import DATASETS, FORGET_KINDS
from rmtcheck.verify.statement import Outcome, Statement, register, scope

_REFS = ("changkhanna2026", "dexter2024")
_HIDDEN = {"digits": 8, "breast_cancer": 16, "mnist1d": 8}
_REFS_DATA = {"digits": ("sklearn2011",), "breast_cancer": ("sklearn2011",), "mnist1d": ("greydanus2024",)}
_SMALL = dict(n=100, reps=3, steps=20, predictor="tangent", curve_density=2, rank_rtol=1e-4)
_ALPHAS = (1.0, 0.5)
_REGIME = ("MLP (tanh) trained to mean loss <= 0.01 on n = 100 samples; 20 steps, B = 4, 3 seeds per cell; step "
           "sizes 0.05 * sqrt(2)**k, k = 0..9")


def _seed_inst(rng):
    return {"seed": int(rng.integers(2**31))}


def _fixed_inst(rng):
    """The one measured instance (training seed 0, run seed 0), shared by a data set's agreement and boundary
    rows (one computation, cached); ``--instances N`` repeats it."""
    return {"seed": 0}


def _lrs(ds: str) -> list:
    return _x.grid_lrs(0.05, 10)


@functools.lru_cache(maxsize=64)
def _group(ds: str, kind: str, alpha: float, seed: int, lrs: tuple | None = None, reps: int = 3,
           predictor: str = "tangent") -> dict:
    params = dict(_SMALL, dataset=ds, kind=kind, alpha=alpha, batch=4, lrs=list(lrs or _lrs(ds)), hidden=_HIDDEN[ds],
                  train_seed=seed % 1000, reps=reps, predictor=predictor)
    return _x.real_models_cell(params, seed)


def _available(ds: str) -> str | None:
    """Why data set ``ds`` cannot be loaded (its package is not installed), else None; imports nothing."""
    import importlib.util

    package = "mnist1d" if ds == "mnist1d" else "sklearn"
    if importlib.util.find_spec(package) is None:
        return f"{ds} needs the 'data' extra: no module named {package!r}"
    return None


def _on_groups(ds, measure):
    """A check of data set ``ds`` over every (forget kind, alpha) group of the instance: skipped, with the reason,
    without the data extra; else ``measure(records)``."""
    def check(inst, rng):
        if (why := _available(ds)) is not None:
            return Outcome(violated=False, skipped=True, detail={"reason": why})
        return measure([_group(ds, k, a, inst["seed"]) for k in FORGET_KINDS for a in _ALPHAS])

    check.affinity = ds  # rows of one data set share its cached groups: `rmtcheck verify --jobs` keeps them together
    return check


def _agreement(recs):
    agree = float(np.mean([p == o for r in recs for p, o in zip(r["pred"], r["obs"])]))
    quad = float(np.mean([p == o for r in recs for p, o in zip(r["pred_quadratic"], r["obs"])]))
    per = {f"{r['kind']}_alpha{r['alpha']:g}": r["agreement"] for r in recs}
    return Outcome(violated=agree < 0.9, tightness=agree, detail={"agreement": agree, "per_group": per,
                                                                  "agreement_quadratic_forecast": quad})


def _boundary(recs):
    ratios = {f"{r['kind']}_alpha{r['alpha']:g}": r["boundary_ratio"] for r in recs}
    both = [v for v in ratios.values() if v is not None]
    worst = max((max(v, 1.0 / v) for v in both), default=None)
    missing = [k for k, v in ratios.items() if v is None]  # not crossed in the grid, or censored at its bottom
    bracket = [r["bracket_factor"] for r in recs if r["bracket_factor"] is not None]
    return Outcome(violated=worst is None or worst > 1.5 or bool(missing), tightness=worst,
                   detail={"ratio_pred_over_obs": ratios, "worst_factor": worst, "no_ratio": missing,
                           "worst_factor_outside_observed_bracket": max(bracket, default=None),
                           "pred_boundary": {f"{r['kind']}_alpha{r['alpha']:g}": r["pred_boundary"] for r in recs},
                           "obs_boundary": {f"{r['kind']}_alpha{r['alpha']:g}": r["obs_boundary"] for r in recs}})


for _ds in DATASETS:
    register(Statement(
        id=f"real_models.agreement.{_ds}",
        source="derived here; rmtcheck/stability/preflight.py (the pre-flight check), validated on real data",
        refs=_REFS + _REFS_DATA[_ds],
        latex=(r"\texttt{" + _ds.replace("_", r"\_") + r"}: "
               r"the pre-flight verdict (stay, leave or collapse of the median run of the tangent forecast, "
               r"i.e.\ the recipe on the network linearised at the trained weights with the exact loss, at the last "
               r"step) agrees with the observed verdict of real gradient-ascent ($\alpha = 1$) and descent--ascent "
               r"($\alpha = 0.5$) unlearning on at least $90\%$ of the cells (step size, $\alpha$, forget kind), "
               r"with forget kinds random, one class and highest loss; tightness is the measured agreement (detail: "
               r"the quadratic forecast's agreement on the same cells)."),
        text=f"{_ds}: the pre-flight verdict (stay/leave/collapse of the median run of the tangent forecast — the "
             "recipe on the network linearised at the trained weights, exact loss — at the last step) agrees "
             "with the observed verdict of real GA (alpha=1) and GDA (alpha=0.5) unlearning on >= 90% of the "
             "(step size, alpha, forget kind) cells, forget kinds random / one class / highest loss; tightness = the "
             "measured agreement (detail: the quadratic forecast's agreement on the same cells)",
        notion="in-probability", sampling="without_replacement", regime=_REGIME, method="monte-carlo",
        sample=_fixed_inst, check=_on_groups(_ds, _agreement), claimed=False, tag="derived", default_instances=1,
    ))
    register(Statement(
        id=f"real_models.boundary.{_ds}",
        source="derived here; rmtcheck/stability/preflight.py (the pre-flight check), validated on real data",
        refs=_REFS + _REFS_DATA[_ds],
        latex=(r"\texttt{" + _ds.replace("_", r"\_") + r"}: "
               r"the predicted boundary step size (the smallest $\eta$ whose forecast is not stay) is within a"
               r" factor $1.5$ of the observed one (the smallest grid $\eta$ whose observed verdict is not stay) for"
               r" gradient ascent and descent--ascent ($\alpha = 0.5$) and each forget kind (tangent forecast); "
               r"tightness is the worst factor $\max(r, 1/r)$, and the detail gives the ratios of predicted to "
               r"observed."),
        text=f"{_ds}: the predicted boundary step size (smallest eta whose forecast is not 'stay') is within a factor "
             "1.5 of the observed one (smallest grid eta whose observed verdict is not 'stay') for GA and GDA "
             "(alpha=0.5) and each forget kind (tangent forecast); tightness = the worst factor max(r, 1/r), detail "
             "the ratios predicted/observed",
        notion="in-probability", sampling="without_replacement", regime=_REGIME, method="monte-carlo",
        sample=_fixed_inst, check=_on_groups(_ds, _boundary), claimed=False, tag="derived", default_instances=1,
    ))


def _linear_check(inst, rng):
    if (why := _available("digits")) is not None:
        return Outcome(violated=False, skipped=True, detail={"reason": why})
    r = _group("digits", "random", 1.0, inst["seed"], lrs=(0.01,), reps=10, predictor="forecast")
    obs, pred = r["obs_forget_rise_mean"][0], r["pred_forget_rise"][0]
    ratio = obs / pred if pred > 0 else float("inf")
    return Outcome(violated=not 1 / 1.25 <= ratio <= 1.25, tightness=ratio,
                   detail={"lr": r["lrs"][0], "observed_forget_rise": obs, "forecast_forget_rise": pred,
                           "forecast_sd": r["pred_forget_sd"][0]})


register(Statement(
    id="real_models.linear_regime",
    source="derived here; rmtcheck/stability/preflight.py (forecast: first and second moments of the linearised run)",
    refs=_REFS + ("sklearn2011",),
    latex=(r"At a small step size ($\eta = 0.01$, $20$ gradient-ascent steps, $B = 4$, \texttt{digits}, random "
           r"forget set) the observed rise of the mean forget loss (mean over $10$ seeds) equals the forecast's "
           r"within a factor $1.25$; tightness is observed over forecast."),
    text="at a small step size (eta = 0.01, 20 GA steps, B = 4, digits, random forget set) the observed rise of the "
         "mean forget loss (mean over 10 seeds) equals the forecast's within a factor 1.25; tightness = "
         "observed/forecast",
    notion="mean-square", sampling="independent_bernoulli", regime=_REGIME, method="monte-carlo",
    sample=_seed_inst, check=_linear_check, claimed=True, tag="derived", default_instances=1,
    false_alarm_how="none: the factor 1.25 is a tolerance for the linearisation, not a statistical margin (the "
                    "sampling error of the 10-seed mean, forecast_sd/sqrt(10), is about 5% of the rise at seed 0, "
                    "but the real network's error has no stated law), so a violation is reported but does not fail "
                    "the run",
))


def _huge_check(inst, rng):
    ds = DATASETS[inst["seed"] % 2]  # digits or breast cancer: always installed with the data extra
    if (why := _available(ds)) is not None:
        return Outcome(violated=False, skipped=True, detail={"reason": why})
    r = _group(ds, "random", 1.0, inst["seed"], lrs=(8.0,))
    return Outcome(violated=r["obs"][0] == "stay" or r["pred"][0] == "stay",
                   detail={"dataset": ds, "observed": r["obs"][0], "predicted": r["pred"][0],
                           "observed_forget_rise": r["obs_forget_rise"][0]})


register(Statement(
    id="real_models.huge_step",
    source="derived here; rmtcheck/stability/preflight.py (the tangent forecast of gradient ascent at the trained point)",
    refs=_REFS + ("sklearn2011",),
    latex=(r"Gradient ascent with a huge step size ($\eta = 8$, $20$ steps, random forget set, \texttt{digits} or "
           r"\texttt{breast\_cancer}) is observed as leave or collapse and predicted as leave or collapse (tangent "
           r"forecast)."),
    text="gradient ascent with a huge step size (eta = 8, 20 steps, random forget set, digits or breast cancer) is "
         "observed as leave or collapse and predicted as leave or collapse (tangent forecast)",
    notion="in-probability", sampling="without_replacement", regime=_REGIME, method="monte-carlo",
    sample=_seed_inst, check=_huge_check, claimed=True, tag="derived", default_instances=2,
    false_alarm_how="none: a qualitative verdict (median of 3 seeds, forecast of 32 simulated runs) with no stated "
                    "sampling law, so a violation is reported but does not fail the run",
))


def _torch_check(inst, rng):
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        return Outcome(violated=False, skipped=True, detail={"reason": f"needs the torch extra: {exc}"})
    from rmtcheck.studies.real_models import models as _m
    from rmtcheck.studies.real_models import torch_model as _t

    g = np.random.default_rng(inst["seed"])
    X, y = g.standard_normal((12, 5)), g.integers(0, 3, 12)
    net, tr = _t.train_torch(X, y, 3, 4, rng=g, loss_tol=10.0)  # loss_tol above any loss: initial weights
    Kt = _t.torch_mlp_curvature(net, X, y).gram_matrix()
    Kn = _m.mlp_curvature(tr.model, tr.params, X, y).gram_matrix()
    err = float(np.abs(Kt - Kn).max() / max(np.abs(Kn).max(), 1e-300))
    return Outcome(violated=err > 1e-10, detail={"max_rel_err": err})


_torch_check.cost = 2.5  # seconds, mostly importing torch: `rmtcheck verify --jobs` hands it out early


register(Statement(
    id="real_models.torch_gram",
    source="derived here; rmtcheck/curvature/_torch.py (torch_curvature) against rmtcheck/curvature/_losses.py",
    refs=("dexter2024",),
    latex=(r"The Gauss--Newton Gram matrix of the \texttt{torch} MLP (\texttt{torch.func} Jacobians) equals that of "
           r"the NumPy MLP (analytic Jacobians) with the same weights to $10^{-10}$ relative (the parameter order "
           r"differs: the Gram matrix does not depend on it)."),
    text="the Gauss-Newton Gram matrix of the torch MLP (torch.func Jacobians) equals that of the NumPy MLP "
         "(analytic Jacobians) with the same weights to 1e-10 relative (the parameter order differs: the Gram "
         "matrix does not depend on it)",
    notion="deterministic", sampling="none", regime="random weights, n = 12, 5 inputs, 4 hidden, 3 classes",
    method="exact", sample=_seed_inst, check=_torch_check, claimed=True, tag="derived", default_instances=2,
))


# what a counterexample of each probe refutes (issue 13, item 5)
scope({f"real_models.{_k}.{_ds}": (
    "A validation target of this package's pre-flight check (agreement >= 90 %, boundary within 1.5x), not a "
    "statement of any source; a miss measures the forecast on this data set, it refutes nothing the sources state.")
    for _k in ("agreement", "boundary") for _ds in ("digits", "breast_cancer", "mnist1d")})
