"""The CNN's fast paths equal straightforward references bit for bit: the fused full-batch training loop, the
descent-ascent loop, the gradient helpers, and grids (and verify rows) that compute only some cell parts."""

import numpy as np
import pytest
from scipy.special import expit

from rmtcheck.randmat.designs import signal_noise_patches
from rmtcheck.studies.cnn import experiments as cu
from rmtcheck.studies.cnn import model as cnn
from rmtcheck.studies.cnn import statements as cs
from rmtcheck.studies.cnn import training

TINY = dict(n=16, d=40, width=4, n_test=40, n_forget=6, steps=30)


# --------------------------------------------------------------------------- references (the per-step code as written before)
def _ref_grad(W, X, y, c):
    """The weighted gradient and margins, written out: pre-activations, margins, activations, one GEMM."""
    n, P, d = X.shape
    two, m, _ = W.shape
    pre = (X.reshape(n * P, d) @ W.reshape(two * m, d).T).reshape(n, P, two, m).transpose(0, 2, 3, 1)
    z = y * ((np.maximum(pre, 0.0).sum(axis=3) @ np.ones(m)) @ cnn.SIGNS / m)
    coef = c * -expit(-z) * y
    act = (pre > 0) * coef[:, None, None, None]
    g = (act.transpose(1, 2, 0, 3).reshape(two * m, n * P) @ X.reshape(n * P, -1)).reshape(two, m, -1)
    g *= cnn.SIGNS[:, None, None] / m
    return g, z


def _ref_margins(W, X, y):
    return _ref_grad(W, X, y, np.zeros(len(y)))[1]


def _ref_train(W0, X, y, lr, steps, loss_tol, record_every):
    """Full-batch gradient descent: a gradient, then the margins and mean loss of the new weights, every step."""
    W, n, hist, k, converged = W0.copy(), len(y), [], 0, False
    for k in range(1, steps + 1):
        W -= lr * _ref_grad(W, X, y, np.full(n, 1.0 / n))[0]
        z = _ref_margins(W, X, y)
        L = float(np.mean(cnn.logistic_loss(z)))
        if k % record_every == 0:
            hist.append(L)
        if z.min() > 0 and L <= loss_tol:
            converged = True
            break
    z = _ref_margins(W, X, y)
    return W, k, float(np.mean(cnn.logistic_loss(z))), float(np.mean(z > 0)), float(z.min()), converged, hist


def _ref_descent_ascent(W_star, Xr, yr, Xf, yf, lr, alpha, B, steps, rng, cap):
    g = np.random.default_rng(rng)
    ir = np.argsort(g.random((steps, len(yr))), axis=1)[:, :B]
    jf = np.argsort(g.random((steps, len(yf))), axis=1)[:, :B]
    c = np.concatenate([np.full(B, (1.0 - alpha) / B), np.full(B, -alpha / B)])
    W, dist, k, blew = W_star.copy(), [0.0], 0, False
    for k in range(1, steps + 1):
        X = np.concatenate([Xr[ir[k - 1]], Xf[jf[k - 1]]])
        y = np.concatenate([yr[ir[k - 1]], yf[jf[k - 1]]])
        W -= lr * _ref_grad(W, X, y, c)[0]
        dist.append(np.linalg.norm(W - W_star))
        if not np.isfinite(dist[-1]) or dist[-1] > cap:
            blew = True
            break
    return W, np.array(dist), k, blew


def _draw(seed):
    g = np.random.default_rng(seed)
    n, d, m, P = int(g.integers(4, 20)), int(g.integers(3, 30)), int(g.integers(1, 6)), int(g.integers(1, 4))
    X = g.standard_normal((n, P, d)) * g.uniform(0.2, 2.0)
    return cnn.PatchCNN(d, m, P), X, g.choice([-1.0, 1.0], n), 0.3 * g.standard_normal((2, m, d)), g


# --------------------------------------------------------------------------- tests
@pytest.mark.parametrize("seed", range(6))
def test_weighted_grad_and_margins_equal_the_reference_bit_for_bit(seed):
    model, X, y, W, g = _draw(seed)
    c = g.standard_normal(len(y))
    grad, z = cnn.weighted_grad(model, W, X, y, c)
    rg, rz = _ref_grad(W, X, y, c)
    assert np.array_equal(grad, rg) and np.array_equal(z, rz)
    assert np.array_equal(cnn.margins(model, W, X, y), rz)
    assert np.array_equal(cnn.logistic_grad(rz), -expit(-rz))


@pytest.mark.parametrize("seed", range(8))
def test_full_batch_training_equals_the_per_step_reference_bit_for_bit(seed):
    model, X, y, W0, g = _draw(100 + seed)
    if seed % 2:  # signal-plus-noise data that the network fits (a converged run), the others mostly stop at `steps`
        data = signal_noise_patches(len(y), model.d, float(g.uniform(0.05, 1.0)), flip=0.1, rng=seed)
        model, X, y = cnn.PatchCNN(model.d, model.width), data.X, data.y
        W0 = cnn.init_weights(model, seed)
    lr = float(g.uniform(0.5, 4.0)) * model.width / float(np.mean(np.sum(X * X, axis=(1, 2))))
    steps, tol, every = int(g.integers(0, 400)), float(g.uniform(0.02, 0.3)), int(g.integers(1, 30))
    res = training.train(model, X, y, lr=lr, steps=steps, W0=W0, loss_tol=tol, record_every=every)
    W, k, loss, acc, zmin, conv, hist = _ref_train(W0, X, y, lr, steps, tol, every)
    assert np.array_equal(res.W, W) and res.steps == k and res.converged == conv and res.history == hist
    assert (res.loss, res.train_accuracy, res.min_margin) == (loss, acc, zmin)


def test_the_training_comparison_sees_a_converged_and_a_stopped_run():
    data = signal_noise_patches(16, 40, 0.3, flip=0.1, rng=1)
    model = cnn.PatchCNN(40, 4)
    lr = 4 / float(np.mean(np.sum(data.X ** 2, axis=(1, 2))))
    W0 = cnn.init_weights(model, 2)
    for steps in (5, 3000):
        res = training.train(model, data.X, data.y, lr=lr, steps=steps, W0=W0)
        W, k, *_, conv, hist = _ref_train(W0, data.X, data.y, lr, steps, 0.05, 50)
        assert np.array_equal(res.W, W) and (res.steps, res.converged, res.history) == (k, conv, hist)
        assert res.converged == (steps == 3000)


@pytest.mark.parametrize("seed", range(6))
def test_descent_ascent_equals_the_per_step_reference_bit_for_bit(seed):
    model, X, y, W, g = _draw(200 + seed)
    n_f = int(g.integers(1, len(y) - 2))
    Xr, yr, Xf, yf = X[n_f:], y[n_f:], X[:n_f], y[:n_f]
    B = int(g.integers(1, min(n_f, len(yr)) + 1))
    alpha = float(g.choice([0.0, 1.0, g.uniform()]))
    lr, steps, cap = float(g.uniform(0.05, 3.0)), int(g.integers(1, 60)), float(g.choice([1e6, 2.0]))
    run = training.descent_ascent(model, W, Xr, yr, Xf, yf, lr, alpha, B, steps, rng=seed, cap=cap)
    rW, dist, k, blew = _ref_descent_ascent(W, Xr, yr, Xf, yf, lr, alpha, B, steps, seed, cap)
    assert np.array_equal(run.W, rW) and np.array_equal(run.dist, dist)
    assert (run.steps_done, run.blew_up) == (k, blew)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)


@pytest.fixture(scope="module")
def full_grid():
    return cu.cnn_unlearning_grid(snrs=(0.05, 1.0), batches=(1, 3), alphas=(0.0, 0.5), reps=1, seed=4, **TINY)


@pytest.mark.parametrize("parts", [(), ("observed",), ("observed", "asymptotic"), ("asymptotic", "horizon"),
                                   ("observed", "forecast"), ("forecast", "observed", "asymptotic", "horizon")])
def test_a_grid_of_some_parts_holds_the_full_grid_s_values(full_grid, parts):
    g = cu.cnn_unlearning_grid(snrs=(0.05, 1.0), batches=(1, 3), alphas=(0.0, 0.5), reps=1, seed=4, parts=parts,
                               **TINY)
    assert set(g) <= set(full_grid)
    for key in g:
        if key != "records":
            assert _same(g[key], full_grid[key]), key
    for r, f in zip(g["records"], full_grid["records"]):
        assert all(_same(v, f[k]) for k, v in r.items()), r
    # what each part adds: its records' keys and the summaries built on them
    assert ("obs_escape_frac" in g) == ("escape_forgot_agreement" in g) == ("observed" in parts)
    assert ("agreement_asymptotic_all" in g) == ({"observed", "asymptotic"} <= set(parts))
    assert ("pred_rms_dist" in g) == ("horizon" in parts)
    assert ("agreement_tangent_all" in g) == ({"observed", "forecast"} <= set(parts))
    if set(parts) == set(cu.CELL_PARTS):
        assert list(g) == list(full_grid) and [list(r) for r in g["records"]] == [list(r) for r in full_grid["records"]]


def test_the_full_grid_s_pooled_rates_recomputed_from_its_records(full_grid):
    rs = full_grid["records"]
    for name, (p, o) in {"asymptotic": ("pred_asymptotic", "obs_escape"), "horizon": ("pred_horizon", "obs_escape"),
                         "forecast": ("pred_forecast", "obs_left"), "forecast_distance": ("pred_forecast", "obs_escape"),
                         "tangent": ("pred_tangent", "obs_left")}.items():
        assert full_grid[f"agreement_{name}_all"] == np.mean([r[p] == r[o] for r in rs]), name
    assert full_grid["escape_forgot_agreement"] == np.mean([r["forgot"] == r["obs_escape"] for r in rs])
    for i, s in enumerate(full_grid["snr"]):
        pos = [r for r in rs if r["snr"] == s and r["alpha"] > 0]
        assert full_grid["p_escape_obs"][i] == np.mean([r["obs_escape"] for r in pos])
        assert full_grid["mean_obs_dist"][i] == np.mean([r["obs_dist"] for r in pos])
        assert full_grid["sigma_r"][i] == np.mean([r["sigma_r"] for r in rs if r["snr"] == s])
        assert full_grid["agreement_forecast_verdict"][i] == np.mean([r["forecast_verdict"] == r["obs_verdict"]
                                                                      for r in rs if r["snr"] == s])


def test_the_observed_verdict_reads_the_rises_and_thresholds_with_or_without_the_forecast(monkeypatch):
    calls, real = [], cu.loss_verdict
    monkeypatch.setattr(cu, "loss_verdict", lambda *a: calls.append(a) or real(*a))
    p = dict(snr=0.3, batch=2, alpha=0.2, train_seed=3, **TINY)
    full = cu.cnn_unlearning_cell(p, 4)  # the forecast's verdicts, then the observed one
    want = (full["forget_loss_K"] - full["forget_loss_0"], full["retain_loss_K"] - full["retain_loss_0"],
            full["forget_rise_thr"], full["retain_rise_thr"])
    assert calls[-1] == want
    calls.clear()
    assert cu.cnn_unlearning_cell(p, 4, parts=("observed",))["obs_verdict"] == full["obs_verdict"]
    assert calls == [want]


def test_an_unknown_part_raises():
    with pytest.raises(ValueError, match="parts"):
        cu.cnn_unlearning_cell(dict(snr=0.3, batch=1, alpha=0.2, **TINY), 0, parts=("observed", "rho"))


def test_each_tiny_grid_row_reports_what_it_would_on_the_full_grid(monkeypatch):
    checks = (cs._coherence_check, cs._shrink_check, cs._agreement_check, cs._forecast_check, cs._tangent_check)
    inst = {"seed": 12345}
    got = [chk(inst, None) for chk in checks]
    full = cs._tiny_grid(inst["seed"])
    monkeypatch.setattr(cs, "_tiny_grid", lambda seed, parts=None: full)
    for chk, out in zip(checks, got):
        want = chk(inst, None)
        assert (out.violated, out.tightness, out.detail) == (want.violated, want.tightness, want.detail), chk.__name__
