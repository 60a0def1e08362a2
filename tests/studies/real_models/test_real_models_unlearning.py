"""Real-models study: real GA/GDA runs against the pre-flight forecast (linear regime, huge steps), the two
prediction paths, the cell and grid records, the sweep, the figure, and the torch backend."""

import json

import numpy as np
import pytest

pytest.importorskip("sklearn")

from rmtcheck.studies.real_models import experiments as rx  # noqa: E402
from rmtcheck.studies.real_models import models as rm  # noqa: E402
from rmtcheck.sweep import canonical_json, sweeps  # noqa: E402

DIGITS = dict(dataset="digits", n=100, hidden=8, batch=4, steps=20, curve_density=1)
BC = dict(dataset="breast_cancer", n=60, hidden=6, batch=4, steps=15, reps=2, curve_density=2)


def test_linear_regime_real_rise_matches_both_forecasts():
    """At a tiny step the run stays in the quadratic region: the mean forget-loss rise over 30 seeds equals
    the quadratic forecast (first order eta K |g_f|^2 plus the noise term) and the tangent forecast's median
    run within 10 %, for every forget kind."""
    for kind in ("random", "class", "highest_loss"):
        r = rx.real_models_cell(dict(DIGITS, kind=kind, alpha=1.0, lrs=[0.005], reps=30), 11)
        obs = r["obs_forget_rise_mean"][0]
        for pred in (r["pred_forget_rise"][0], r["curve_forget_rise_quadratic"][0]):
            assert pred > 0 and abs(obs / pred - 1) < 0.1, (kind, obs, pred)
        assert r["obs"] == ["stay"] and r["pred"] == ["stay"] and r["pred_quadratic"] == ["stay"]


def test_huge_step_gradient_ascent_is_observed_and_predicted_to_leave():
    r = rx.real_models_cell(dict(DIGITS, kind="random", alpha=1.0, lrs=[0.005, 8.0], reps=3), 5)
    assert r["obs"][1] in ("leave", "collapse") and r["pred"][1] in ("leave", "collapse")
    assert r["obs"][0] == r["pred"][0] == "stay"
    assert r["pred_boundary"] is not None and 0.005 < r["pred_boundary"] < 8.0
    assert r["obs_boundary"] == 8.0 and r["boundary_ratio"] == pytest.approx(r["pred_boundary"] / 8.0)
    assert r["agreement"] == 1.0 and not r["boundary_censored"]


def test_preflight_and_direct_forecast_give_the_same_curve():
    cell = dict(BC, kind="highest_loss", alpha=0.5, lrs=[0.05, 0.1, 0.2, 0.4])
    a = rx.real_models_cell(dict(cell, predictor="forecast"), 3)
    b = rx.real_models_cell(dict(cell, predictor="preflight"), 3)
    assert a["curve_lrs"] == b["curve_lrs"]
    for key in ("curve_forget_rise", "curve_retain_rise"):
        assert np.allclose(a[key], b[key], rtol=1e-6, atol=1e-12), key
    assert a["pred"] == b["pred"] and a["obs"] == b["obs"]
    # preflight's own verdict at its recipe step size is the predicted verdict there
    assert b["preflight_verdict"] == b["pred"][b["lrs"].index(b["preflight_lr"])]
    assert b["critical_lr_ms"] is not None and b["rank"] == a["rank"]


def test_cell_records_are_json_deterministic_and_named():
    cell = dict(BC, kind="class", alpha=1.0, lrs=[0.1, 0.8])
    canonical_json(cell)  # a sweep key
    a, b = rx.real_models_cell(cell, 9), rx.real_models_cell(cell, 9)
    same = lambda r: json.dumps({k: v for k, v in r.items() if not k.startswith("seconds")}, sort_keys=True)  # noqa: E731
    assert same(a) == same(b)
    assert a["method"] == "GA" and a["sampling_pred"] == "without_replacement" and a["n_forget"] > 0
    assert a["predictor"] == "tangent" and a["forecast_runs"] == 32 and a["sampling_quadratic"] == "independent_bernoulli"
    assert len(a["pred_quadratic"]) == 2 and 0.0 <= a["agreement_quadratic"] <= 1.0
    assert len(a["obs_verdicts"]) == 2 and all(len(v) == 2 for v in a["obs_verdicts"])
    assert a["train_loss"] <= 0.01 and a["train_accuracy"] == 1.0
    assert set(a["obs"]) <= set(rm.VERDICTS) and 0.0 <= a["agreement"] <= 1.0


@pytest.mark.parametrize(("change", "word"), [
    (dict(dataset="imagenet"), "dataset"), (dict(kind="oldest"), "kind"), (dict(lrs=[0.1, 0.0]), "lr"),
    (dict(lrs=[-1.0]), "lr"), (dict(batch=10_000), "batch"), (dict(alpha=0.0), "alpha"), (dict(alpha=2.0), "alpha"),
    (dict(predictor="oracle"), "predictor"), (dict(colour="red"), "unknown"), (dict(lrs=[]), "lrs"),
    (dict(forecast_runs=0), "forecast_runs"),
])
def test_bad_cell_parameters_name_the_argument(change, word):
    with pytest.raises(ValueError, match=word):
        rx.real_models_cell({**BC, "kind": "random", "alpha": 1.0, "lrs": [0.1], **change}, 0)


def test_the_sweep_and_its_quick_cells():
    sw = sweeps()["real-models"]
    quick = sw.cells(quick=True)
    assert len(quick) == 3 * 3 * 2 and {c["dataset"] for c in quick} == {"digits", "breast_cancer", "mnist1d"}
    assert all(len(c["lrs"]) == 13 and c["predictor"] == "tangent" for c in quick)
    assert sw.cell is rx.real_models_cell
    full = sw.cells()
    assert len(full) == 3 * 3 * 2 * 3 and all(c["predictor"] == "tangent" for c in full)
    assert rx.grid_lrs(0.05, 3) == [0.05, 0.0707106781187, 0.1]


def test_grid_and_figure_are_deterministic(tmp_path):
    from rmtcheck.studies.real_models import figures as rf

    paths = [rf.fig_real_models_breast_cancer(tmp_path / s, quick=True) for s in ("a", "b")]
    for p, q in zip(*paths):
        assert p.read_bytes() == q.read_bytes(), p.name
    d = np.load(paths[0][2])
    # the verify rows' cells: [forget kind, alpha (GA 1.0, GDA 0.5), step size (10)]
    assert d["obs_code"].shape == (3, 2, 10) and (d["obs_code"] >= 0).all() and d["pred_code"].shape == (3, 2, 10)
    assert list(d["alphas"]) == [1.0, 0.5]
    assert list(d["kinds"]) == ["random", "class", "highest_loss"]
    # GA at the largest step size is observed to leave the minimum for every forget kind
    assert (d["obs_code"][:, 0, -1] > 0).all()


def test_torch_backend_curvature_equals_the_numpy_one():
    pytest.importorskip("torch")
    from rmtcheck.studies.real_models import torch_model as rt
    from rmtcheck.studies.real_models.data import load_dataset

    d = load_dataset("breast_cancer", 60, rng=2)
    net, tr = rt.train_torch(d.X, d.y, 2, 6, rng=2, loss_tol=0.05)
    assert tr.loss <= 0.05 and tr.accuracy == 1.0
    Kt = rt.torch_mlp_curvature(net, d.X, d.y)
    Kn = rm.mlp_curvature(tr.model, tr.params, d.X, d.y)
    assert np.allclose(Kt.gram_matrix(), Kn.gram_matrix(), rtol=0, atol=1e-10 * np.abs(Kn.gram_matrix()).max())
    assert np.allclose(Kt.losses, Kn.losses, rtol=1e-10, atol=1e-14)
    r = rx.real_models_cell(dict(BC, kind="random", alpha=1.0, lrs=[0.1, 8.0], backend="torch", loss_tol=0.05), 1)
    assert r["backend"] == "torch" and r["obs"][1] != "stay" and r["pred"][1] != "stay"
