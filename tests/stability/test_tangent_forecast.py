"""The tangent forecast (the recipe run on the linearised network with the exact loss) against independent
references: explicit parameter-space runs on the Jacobians, exact expectations over every batch, and its errors."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, log_expit, logsumexp

from rmtcheck.curvature import gauss_newton_factors
from rmtcheck.stability.gram import SampleCurvature, load_curvature, save_curvature
from rmtcheck.stability.preflight import Recipe, preflight, tangent_forecast, tangent_forecast_curve


def _loss_grad(z, y, loss):
    """Per-sample loss and output gradient written from the textbook formulas (scipy special functions)."""
    if loss == "ce":
        lse = logsumexp(z, axis=1)
        p = np.exp(z - lse[:, None])
        onehot = np.eye(z.shape[1])[y]
        return lse - z[np.arange(len(y)), y], p - onehot
    if loss == "bce":
        t = z[:, 0]
        return -(y * log_expit(t) + (1 - y) * log_expit(-t)), (expit(t) - y)[:, None]
    return 0.5 * ((z - y) ** 2).sum(axis=1), z - y


def _instance(rng, loss, n, m, d, rank=None):
    """Jacobians (n, m, d) of rank ``rank`` (default full), outputs and targets of a loss."""
    J = rng.standard_normal((n, m, d))
    if rank is not None:  # the Jacobian rows span only a ``rank``-dimensional subspace: a singular Gram
        J = J @ rng.standard_normal((d, rank)) @ rng.standard_normal((rank, d)) / np.sqrt(d)
    z = 2.0 * rng.standard_normal((n, m))
    if loss == "ce":
        y = rng.integers(0, m, n)
    elif loss == "bce":
        y = (rng.random(n) < 0.5).astype(float)
    else:
        y = rng.standard_normal((n, m))
    return J, z, y


def _full_batch_reference(J, z, y, loss, n_r, lr, alpha, steps):
    """Full-batch descent-ascent on the linearised model in parameter space: (retain, forget, distance) per step,
    ``inf`` from the step whose batch outputs reach 1e12 in absolute value (the documented stopping rule)."""
    th = np.zeros(J.shape[2])
    sampled = slice(None) if alpha < 1 else slice(n_r, None)
    Z = z.copy()
    out = [(*[v.mean() for v in np.split(_loss_grad(Z, y, loss)[0], [n_r])], 0.0)]
    for _ in range(steps):
        if not np.all(np.abs(Z[sampled]) < 1e12):
            out.append((np.inf, np.inf, np.inf))
            continue
        g = np.einsum("im,imd->id", _loss_grad(Z, y, loss)[1], J)
        th = th - lr * ((1 - alpha) * g[:n_r].mean(axis=0) - alpha * g[n_r:].mean(axis=0))
        Z = z + J @ th
        L = _loss_grad(Z, y, loss)[0]
        out.append((L[:n_r].mean(), L[n_r:].mean(), np.linalg.norm(th)))
    return np.array(out)


@settings(max_examples=25, deadline=None)
@given(loss=st.sampled_from(["ce", "bce", "mse"]), n_r=st.integers(2, 7), n_f=st.integers(1, 4),
       m=st.integers(2, 4), d=st.integers(3, 30), alpha=st.sampled_from([1.0, 0.6, 0.2]),
       singular=st.booleans(), lr=st.floats(0.01, 1.0), seed=st.integers(0, 2**16))
def test_full_batch_forecast_equals_parameter_space_runs(loss, n_r, n_f, m, d, alpha, singular, lr, seed):
    """Batches holding every sample make each run deterministic: every run equals the explicit parameter-space
    run, including a rank-deficient Jacobian Gram (fewer parameters than outputs, or a low-rank Jacobian)."""
    rng = np.random.default_rng(seed)
    m = 1 if loss == "bce" else m
    n = n_r + n_f
    J, z, y = _instance(rng, loss, n, m, d, rank=max(1, d // 3) if singular else None)
    cur = gauss_newton_factors(J, z, y, loss)
    B = n_f if alpha == 1.0 else min(n_r, n_f)
    if alpha < 1 and n_r != n_f:  # a full batch of both sets needs B = n_r = n_f; else keep GA's full forget batch
        alpha = 1.0
        B = n_f
    recipe = Recipe(lr=lr, batch=B, steps=6, alpha=alpha, sampling="without_replacement")
    fc = tangent_forecast(cur, n_r, recipe, runs=3, rng=seed)
    ref = _full_batch_reference(J, z, y, loss, n_r, lr, alpha, 6)
    for j, key in enumerate(("retain_loss_median", "forget_loss_median", "distance_rms")):
        np.testing.assert_allclose(fc[key], ref[fc["steps"], j], rtol=1e-8, atol=1e-10, err_msg=key)
    sd, mean = fc["forget_loss_sd"], fc["forget_loss_mean"]
    assert np.all((sd <= 1e-8 * np.abs(mean) + 1e-10) | np.isinf(sd))  # the three runs are identical


@settings(max_examples=15, deadline=None)
@given(loss=st.sampled_from(["ce", "bce", "mse"]), n_r=st.integers(2, 6), m=st.integers(2, 3), d=st.integers(3, 20),
       alpha=st.sampled_from([1.0, 0.5]), lrs=st.lists(st.floats(0.01, 2.0), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
def test_curve_with_full_batches_equals_parameter_space_runs_at_every_step_size(loss, n_r, m, d, alpha, lrs, seed):
    """The step sizes of a curve are simulated together: with full batches each one must still equal its own
    explicit parameter-space run (a mix-up of the step-size axis would mix the runs)."""
    rng = np.random.default_rng(seed)
    m = 1 if loss == "bce" else m
    n = 2 * n_r  # n_f = n_r: full batches of both sets
    J, z, y = _instance(rng, loss, n, m, d)
    cur = gauss_newton_factors(J, z, y, loss)
    recipe = Recipe(lr=1.0, batch=n_r, steps=5, alpha=alpha, sampling="without_replacement")
    curve = tangent_forecast_curve(cur, n_r, recipe, lrs, runs=2, rng=seed)
    assert len(curve) == len(lrs)
    for lr, fc in zip(lrs, curve):
        ref = _full_batch_reference(J, z, y, loss, n_r, lr, alpha, 5)
        for j, key in enumerate(("retain_loss_median", "forget_loss_median", "distance_rms")):
            np.testing.assert_allclose(fc[key], ref[fc["steps"], j], rtol=1e-8, atol=1e-10, err_msg=key)


@settings(max_examples=15, deadline=None)
@given(loss=st.sampled_from(["ce", "mse"]), alpha=st.sampled_from([1.0, 0.7]),
       sampling=st.sampled_from(["without_replacement", "independent_bernoulli"]),
       lrs=st.lists(st.sampled_from([0.05, 0.3, 1.0, 30.0, 1e4]), min_size=2, max_size=5), seed=st.integers(0, 99))
def test_curve_equals_one_forecast_per_step_size_on_the_same_seed(loss, alpha, sampling, lrs, seed):
    """Sampled batches (shared by the step sizes, as separate calls with one seed draw them), diverging runs
    (1e4) among converging ones: each point of the curve equals the forecast at that step size alone."""
    rng = np.random.default_rng(seed)
    J, z, y = _instance(rng, loss, 14, 3, 9)
    cur = gauss_newton_factors(J, z, y, loss)
    recipe = Recipe(lr=1.0, batch=3, steps=6, alpha=alpha, sampling=sampling)
    curve = tangent_forecast_curve(cur, 9, recipe, lrs, runs=5, rng=seed)
    for lr, fc in zip(lrs, curve):
        one = tangent_forecast(cur, 9, recipe, lr=lr, runs=5, rng=seed)
        assert fc["fractions"] == one["fractions"]
        for key in ("forget_loss_median", "retain_loss_mean", "distance_rms", "forget_rise_runs"):
            np.testing.assert_allclose(fc[key], one[key], rtol=1e-12, atol=1e-14, err_msg=key)


def test_curve_in_chunks_replays_the_same_batches(monkeypatch):
    """Step sizes simulated in several chunks (a small memory budget) give the one-chunk results, and the
    generator ends where one pass leaves it."""
    from rmtcheck.stability import _tangent

    rng = np.random.default_rng(4)
    J, z, y = _instance(rng, "ce", 16, 3, 10)
    cur = gauss_newton_factors(J, z, y, "ce")
    recipe, lrs = Recipe(lr=1.0, batch=3, steps=5, alpha=0.6), [0.1, 0.4, 1.5, 6.0, 50.0]
    g1 = np.random.default_rng(9)
    whole = tangent_forecast_curve(cur, 10, recipe, lrs, runs=6, rng=g1)
    monkeypatch.setattr(_tangent, "CHUNK", 2 * 6 * 16 * 3)  # two step sizes per chunk
    g2 = np.random.default_rng(9)
    chunked = tangent_forecast_curve(cur, 10, recipe, lrs, runs=6, rng=g2)
    for a, b in zip(whole, chunked):
        assert a["fractions"] == b["fractions"]
        np.testing.assert_allclose(a["forget_rise_runs"], b["forget_rise_runs"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(a["retain_loss_median"], b["retain_loss_median"], rtol=1e-12)
    assert g1.random() == g2.random()


def test_curve_refuses_bad_step_sizes():
    rng = np.random.default_rng(0)
    J, z, y = _instance(rng, "ce", 10, 3, 6)
    cur = gauss_newton_factors(J, z, y, "ce")
    for bad in ([], [0.1, -1.0], [[0.1]]):
        with pytest.raises(ValueError, match="lrs"):
            tangent_forecast_curve(cur, 5, Recipe(lr=1.0, batch=2, steps=3), bad, runs=2, rng=0)


@pytest.mark.parametrize("sampling", ["without_replacement", "independent_bernoulli"])
def test_one_step_mean_equals_the_exact_expectation_over_batches(sampling):
    """After one GA step the mean forget loss over the runs estimates the exact expectation over every batch
    (enumerated with its probability): checks the batch draw and the 1/B weights."""
    rng = np.random.default_rng(3)
    n_r, n_f, m, d, B, lr = 4, 5, 3, 8, 2, 0.7
    J, z, y = _instance(rng, "ce", n_r + n_f, m, d)
    cur = gauss_newton_factors(J, z, y, "ce")
    Jf, zf, yf = J[n_r:], z[n_r:], y[n_r:]
    _, G = _loss_grad(zf, yf, "ce")
    g = np.einsum("im,imd->id", G, Jf)
    if sampling == "without_replacement":
        batches = [(np.array(c), 1.0 / len(list(itertools.combinations(range(n_f), B))))
                   for c in itertools.combinations(range(n_f), B)]
    else:
        p = B / n_f
        batches = [(np.flatnonzero(mask), p ** sum(mask) * (1 - p) ** (n_f - sum(mask)))
                   for mask in itertools.product([0, 1], repeat=n_f)]
    exact = 0.0
    for idx, prob in batches:
        th = lr * g[idx].sum(axis=0) / B  # ascent: w + eta * sum of forget gradients / B
        exact += prob * _loss_grad(zf + Jf @ th, yf, "ce")[0].mean()
    fc = tangent_forecast(cur, n_r, Recipe(lr=lr, batch=B, steps=1, sampling=sampling), runs=20000, rng=1)
    se = fc["forget_loss_sd"][-1] / np.sqrt(fc["runs"])
    assert abs(fc["forget_loss_mean"][-1] - exact) < 4 * se, (fc["forget_loss_mean"][-1], exact, se)


def test_same_seed_same_batches_and_fractions_sum_to_one():
    rng = np.random.default_rng(0)
    J, z, y = _instance(rng, "ce", 30, 3, 20)
    cur = gauss_newton_factors(J, z, y, "ce")
    r = Recipe(lr=0.3, batch=3, steps=8, alpha=0.5)
    a = tangent_forecast(cur, 20, r, runs=16, rng=5)
    b = tangent_forecast(cur, 20, r, runs=16, rng=5)
    np.testing.assert_array_equal(a["forget_rise_runs"], b["forget_rise_runs"])
    assert sum(a["fractions"].values()) == pytest.approx(1.0)
    c = tangent_forecast(cur, 20, r, runs=16, rng=6)
    assert not np.array_equal(a["forget_rise_runs"], c["forget_rise_runs"])


def test_diverging_runs_are_infinite_rises_not_nan():
    rng = np.random.default_rng(1)
    J, z, y = _instance(rng, "mse", 12, 2, 6)
    cur = gauss_newton_factors(J, z, y, "mse")
    with np.errstate(all="raise"):  # no overflow warning either: the run stops before
        fc = tangent_forecast(cur, 8, Recipe(lr=1e3, batch=2, steps=60, alpha=0.5), runs=4, rng=0)
    assert np.isinf(fc["forget_loss_median"][-1]) and np.isinf(fc["retain_rise_runs"]).all()
    assert fc["fractions"]["collapse"] == 1.0
    assert not np.isnan(fc["forget_loss_mean"]).any()


def test_tangent_features_factor_the_jacobian_gram():
    rng = np.random.default_rng(2)
    J, z, y = _instance(rng, "ce", 15, 4, 9)  # 60 outputs, 9 parameters: rank 9
    cur = gauss_newton_factors(J, z, y, "ce")
    Phi = cur.tangent_features()
    assert Phi.shape == (15, 4, 9)
    P = Phi.reshape(60, -1)
    np.testing.assert_allclose(P @ P.T, J.reshape(60, 9) @ J.reshape(60, 9).T, atol=1e-10)


def test_preflight_uses_the_tangent_model_when_it_can_and_says_so(tmp_path):
    rng = np.random.default_rng(4)
    J, z, y = _instance(rng, "ce", 40, 3, 25)
    cur = gauss_newton_factors(J, z, y, "ce", root="factored")
    r = Recipe(lr=0.2, batch=4, steps=10)
    rep = preflight(cur, 30, r, almost_sure=False, lrs=[0.1, 0.2, 0.4], forecast_runs=8, rng=0)
    assert rep.forecast["model"] == "tangent" and rep.lr_curve["model"] == "tangent"
    assert rep.sentence.startswith("tangent-model forecast")
    assert len(rep.lr_curve["leave_fraction"]) == 3
    quad = preflight(cur, 30, r, almost_sure=False, lrs=[0.1], forecast_model="quadratic")
    assert quad.forecast["model"] == "quadratic" and quad.sentence.startswith("quadratic-model forecast")
    bare = SampleCurvature(k=cur.k, factors=cur.factors, coef=cur.coef, losses=cur.losses)
    assert preflight(bare, 30, r, almost_sure=False, lrs=[0.1]).forecast["model"] == "quadratic"
    with pytest.raises(ValueError, match="forecast_model='tangent' needs the linearised model"):
        preflight(bare, 30, r, forecast_model="tangent")
    with pytest.raises(ValueError, match="forecast_model must be"):
        preflight(cur, 30, r, forecast_model="cubic")
    # the saved file keeps the linearised model: the same report after a round trip
    path = tmp_path / "cur.npz"
    save_curvature(path, cur, n_retain=30)
    d = load_curvature(path)
    back = SampleCurvature(k=d["k"], factors=d["factors"], coef=d["coef"], losses=d["losses"], loss=d["loss"],
                           outputs=d["outputs"], targets=d["targets"], jacobian_gram=d["jacobian_gram"])
    rep2 = preflight(back, 30, r, almost_sure=False, lrs=[0.1, 0.2, 0.4], forecast_runs=8, rng=0)
    assert rep2.verdict == rep.verdict
    np.testing.assert_allclose(rep2.lr_curve["forget_rise"], rep.lr_curve["forget_rise"], rtol=1e-9)


def test_bad_inputs_name_the_argument():
    rng = np.random.default_rng(5)
    J, z, y = _instance(rng, "bce", 10, 1, 6)
    cur = gauss_newton_factors(J, z, y, "bce")
    r = Recipe(lr=0.1, batch=2, steps=3)
    with pytest.raises(ValueError, match="runs"):
        tangent_forecast(cur, 6, r, runs=0)
    with pytest.raises(ValueError, match="record"):
        tangent_forecast(cur, 6, r, record=[7])
    with pytest.raises(ValueError, match="n_retain"):
        tangent_forecast(cur, 10, r)
    with pytest.raises(ValueError, match="batch"):
        tangent_forecast(cur, 6, Recipe(lr=0.1, batch=5, steps=3))
    no_model = gauss_newton_factors(J, z, y, "bce", tangent=False)
    with pytest.raises(ValueError, match="no linearised model"):
        tangent_forecast(no_model, 6, r)
    with pytest.raises(ValueError, match="jacobian_gram needs outputs"):
        SampleCurvature(k=1, factors=cur.factors, jacobian_gram=cur.jacobian_gram)
    with pytest.raises(ValueError, match="jacobian_gram"):
        SampleCurvature(k=1, factors=cur.factors, loss="bce", outputs=cur.outputs, targets=cur.targets,
                        jacobian_gram=cur.jacobian_gram[:-1, :-1])
    wrong = SampleCurvature(k=1, factors=cur.factors, loss="bce", outputs=cur.outputs, targets=cur.targets + 2,
                            jacobian_gram=cur.jacobian_gram)
    with pytest.raises(ValueError, match="curvature.targets must be 0 or 1"):
        tangent_forecast(wrong, 6, r)
    bad = SampleCurvature(k=1, factors=cur.factors, loss="bce", outputs=cur.outputs, targets=cur.targets,
                          jacobian_gram=cur.jacobian_gram - 10 * np.eye(10))
    with pytest.raises(ValueError, match="not positive semi-definite"):
        bad.tangent_features()


def test_reordered_equals_a_curvature_built_in_that_order():
    rng = np.random.default_rng(8)
    J, z, y = _instance(rng, "ce", 12, 3, 9)
    order = rng.permutation(12)
    for form in ("factors", "gram"):
        cur = gauss_newton_factors(J, z, y, "ce", form=form)
        cur.tangent_features()  # a cached factor is carried over, permuted
        a = cur.reordered(order)
        b = gauss_newton_factors(J[order], z[order], y[order], "ce", form=form)
        np.testing.assert_allclose(a.gram_matrix(), b.gram_matrix(), atol=1e-12)
        np.testing.assert_allclose(a.jacobian_gram, b.jacobian_gram, atol=1e-12)
        for key in ("coef", "losses", "outputs", "targets"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
        P = a.tangent_features().reshape(36, -1)
        np.testing.assert_allclose(P @ P.T, b.jacobian_gram, atol=1e-10)
        r = Recipe(lr=0.4, batch=3, steps=5, alpha=0.5)
        fa, fb = tangent_forecast(a, 8, r, runs=4, rng=1), tangent_forecast(b, 8, r, runs=4, rng=1)
        np.testing.assert_allclose(fa["forget_loss_mean"], fb["forget_loss_mean"], rtol=1e-9)
