"""CNN study: the pre-flight forecast per cell (curvature of the trained point, agreement with the existing
finite-horizon prediction, the new record fields and the grid's agreement rates)."""

import json
import math

import numpy as np
import pytest

from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.preflight import Recipe, forecast
from rmtcheck.studies.cnn import experiments as cu
from rmtcheck.studies.cnn import model as cnn
from rmtcheck.studies.cnn.pretrained import trained_point

TINY = dict(n=16, d=40, width=4, n_test=40, n_forget=6, steps=30)


@pytest.fixture(scope="module")
def tp():
    return trained_point(dict(snr=0.3, **TINY), 3)


def test_trained_curvature_is_the_network_s_gradients_losses_and_gauss_newton(tp):
    curv, n_r = cu.trained_curvature(tp)
    idx = np.concatenate([tp.retain, tp.forget])
    X, y = tp.X[idx], tp.y[idx]
    assert n_r == tp.retain.size and curv.k == 1 and curv.n == idx.size
    grads = cnn.per_sample_grads(tp.model, tp.W, X, y)
    assert np.allclose(np.einsum("idk,ik->id", curv.factors, curv.coef), grads, rtol=0, atol=1e-12 * np.abs(grads).max())
    assert np.allclose(curv.losses, cnn.per_sample_loss(tp.model, tp.W, X, y), rtol=1e-12, atol=0)
    G = cnn.gn_factors(tp.model, tp.W, X, y)
    assert np.allclose(curv.gram_matrix(), G @ G.T, rtol=1e-12, atol=1e-14 * np.abs(G @ G.T).max())


@pytest.mark.parametrize("alpha,batch", [(0.0, 1), (0.05, 3), (0.3, 2), (1.0, 1)])
def test_forecast_distance_equals_the_existing_horizon_prediction(tp, alpha, batch):
    # same dynamics, independent code paths: Gram-eigenvector coordinates of the curvature adapter's factors
    # and gradient coefficients (forecast) against the QR projection of gn_factors and per_sample_grads
    # (NoisyMixedDynamics.log_second_moment in _predicted_rms)
    lr, K = 0.5 * tp.eta_star, 30
    curv, n_r = cu.trained_curvature(tp)
    G, g = curv.coordinates()
    R, F = HessianFamily.from_factors(G[:n_r, :, 0]), HessianFamily.from_factors(G[n_r:, :, 0])
    L0 = (float(curv.losses[:n_r].mean()), float(curv.losses[n_r:].mean()))
    # thresholds far away, so that the forecast runs all K steps (they do not enter the distance)
    recipe = Recipe(lr=lr, batch=batch, steps=K, alpha=alpha, sampling="without_replacement", forget_rise=1e250,
                    retain_rise=1e250)
    fc = forecast(R, F, g[:n_r], g[n_r:], L0, recipe)
    ref = cu._predicted_rms(tp, lr, alpha, batch, "without_replacement", K)
    assert np.all(np.isfinite(fc["distance_rms"]))
    assert fc["distance_rms"][K] == pytest.approx(ref, rel=1e-8)


def test_cell_records_the_forecast_fields():
    r = cu.cnn_unlearning_cell(dict(snr=0.3, batch=2, alpha=0.2, train_seed=3, **TINY), 4)
    json.dumps(r, allow_nan=False)  # finite JSON scalars
    for key in ("pred_forecast", "obs_left", "forgot", "pred_tangent"):
        assert isinstance(r[key], bool)
    assert r["pred_tangent"] == (r["tangent_verdict"] != "stay") and 0.0 <= r["tangent_left_fraction"] <= 1.0
    for key in ("fc_forget_loss_K", "fc_forget_loss_sd_K", "fc_retain_loss_K", "fc_retain_loss_sd_K", "fc_rms_dist",
                "fc_log_reach", "forget_rise_thr", "retain_rise_thr", "retain_loss_0", "retain_loss_K"):
        assert isinstance(r[key], float) and math.isfinite(r[key]), key
    assert r["forecast_verdict"] in ("stay", "leave", "collapse") and r["obs_verdict"] in ("stay", "leave", "collapse")
    assert r["pred_forecast"] == (r["forecast_verdict"] != "stay") == (r["fc_log_reach"] >= 0)
    assert r["obs_left"] == (r["obs_verdict"] != "stay")
    # the thresholds are the rises to log 2 (the 'forgot' definition)
    assert r["forget_rise_thr"] == pytest.approx(math.log(2) - r["forget_loss_0"], rel=1e-12)
    assert r["retain_rise_thr"] == pytest.approx(math.log(2) - r["retain_loss_0"], rel=1e-12)
    assert r["obs_left"] == (r["forgot"] or r["retain_loss_K"] >= math.log(2))
    assert r["fc_rms_dist"] == pytest.approx(r["pred_rms_dist"], rel=1e-8)


def test_a_stopped_forecast_stays_finite_and_reads_collapse():
    r = cu.cnn_unlearning_cell(dict(snr=0.3, batch=1, alpha=1.0, lr_scale=50.0, train_seed=3, **TINY), 0)
    json.dumps(r, allow_nan=False)
    assert r["fc_steps"] < r["steps"] and r["fc_rms_dist"] == 1e300
    assert r["forecast_verdict"] == "collapse" and r["pred_forecast"]


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_forecast_losses_match_the_network_for_small_steps(alpha):
    # full batches make the run deterministic (forecast sd 0); small steps keep it where the quadratic model holds
    p = dict(snr=1.0, batch=10, alpha=alpha, n=20, n_forget=10, d=40, width=4, n_test=40, steps=20, lr_scale=0.02)
    r = cu.cnn_unlearning_cell(p, 0)
    assert r["fc_forget_loss_sd_K"] < 1e-8 and r["fc_retain_loss_sd_K"] < 1e-8
    for name in ("forget", "retain"):
        obs_rise = r[f"{name}_loss_K"] - r[f"{name}_loss_0"]
        assert abs(r[f"fc_{name}_loss_K"] - r[f"{name}_loss_K"]) < 0.1 * abs(obs_rise), (name, r)
        assert abs(r[f"tg_{name}_loss_K"] - r[f"{name}_loss_K"]) < 0.1 * abs(obs_rise), (name, r)


def test_grid_reports_the_forecast_agreement():
    g = cu.cnn_unlearning_grid(snrs=(0.05, 1.0), batches=(1,), alphas=(0.0, 0.5), reps=1, seed=2, **TINY)
    for i, s in enumerate(g["snr"]):
        rs = [r for r in g["records"] if r["snr"] == s]
        want = np.mean([r["pred_forecast"] == r["obs_left"] for r in rs])
        assert g["agreement_forecast"][i] == pytest.approx(want)
        assert g["agreement_forecast_distance"][i] == pytest.approx(np.mean([r["pred_forecast"] == r["obs_escape"]
                                                                             for r in rs]))
        assert g["agreement_tangent"][i] == pytest.approx(np.mean([r["pred_tangent"] == r["obs_left"] for r in rs]))
    assert 0.0 <= g["agreement_forecast_all"] <= 1.0 and 0.0 <= g["agreement_forecast_distance_all"] <= 1.0
    assert g["pred_forecast_frac"].shape == g["obs_escape_frac"].shape == g["fc_log_reach"].shape
    assert np.all(np.isfinite(g["fc_log_reach"])) and np.all(np.isfinite(g["p_escape_pred_forecast"]))
