"""The pre-flight forecast against real runs where the linearisation is exact (linear least squares), against
parameter space, and its verdicts and bad inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.stability import HessianFamily
from rmtcheck.stability.gram import SampleCurvature
from rmtcheck.stability.preflight import Recipe, forecast, preflight


def _least_squares(rng, n_r=30, n_f=8, d=12, noise=0.3):
    """Linear regression at its least-squares optimum on retain + forget: per-sample loss (x.w - y)^2 / 2 is
    exactly quadratic, so the linearised run IS the run."""
    X = rng.standard_normal((n_r + n_f, d))
    y = X @ rng.standard_normal(d) + noise * rng.standard_normal(n_r + n_f)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    res = X @ w - y
    return X, y, w, res


def _real_runs(X, y, w0, n_r, recipe, runs, rng):
    """Real descent-ascent on the per-sample losses with independent Bernoulli batches (weight 1/B)."""
    n_f = len(y) - n_r
    a, B, eta = recipe.alpha, recipe.batch, recipe.lr
    W = np.repeat(w0[None], runs, axis=0)
    for _ in range(recipe.steps):
        cr = (rng.random((runs, n_r)) < B / n_r) / B
        cf = (rng.random((runs, n_f)) < B / n_f) / B
        res = W @ X.T - y  # (runs, n)
        gr = (cr * res[:, :n_r]) @ X[:n_r]
        gf = (cf * res[:, n_r:]) @ X[n_r:]
        W = W - eta * ((1 - a) * gr - a * gf)
    L = 0.5 * (W @ X.T - y) ** 2
    return L[:, :n_r].mean(axis=1), L[:, n_r:].mean(axis=1)


@pytest.mark.parametrize("alpha", [1.0, 0.4])
def test_forecast_mean_equals_real_least_squares_runs(alpha):
    rng = np.random.default_rng(0)
    n_r = 30
    X, y, w, res = _least_squares(rng)
    recipe = Recipe(lr=0.05, batch=4, steps=40, alpha=alpha, sampling="independent_bernoulli")
    R, F = HessianFamily.from_factors(X[:n_r]), HessianFamily.from_factors(X[n_r:])
    g = res[:, None] * X  # per-sample gradients at the optimum
    L0 = (0.5 * np.mean(res[:n_r] ** 2), 0.5 * np.mean(res[n_r:] ** 2))
    fc = forecast(R, F, g[:n_r], g[n_r:], L0, recipe)
    lr_, lf_ = _real_runs(X, y, w, n_r, recipe, 4000, np.random.default_rng(1))
    for name, obs in (("retain", lr_), ("forget", lf_)):
        se = obs.std(ddof=1) / np.sqrt(len(obs))
        assert abs(fc[f"{name}_loss_mean"][-1] - obs.mean()) < 4 * se + 1e-12, (name, fc[f"{name}_loss_mean"][-1],
                                                                                 obs.mean(), se)


@settings(max_examples=15, deadline=None)
@given(n_r=st.integers(3, 12), n_f=st.integers(2, 6), d=st.integers(20, 40), k=st.integers(1, 3),
       alpha=st.sampled_from([1.0, 0.7, 0.3]), seed=st.integers(0, 2**16))
def test_forecast_is_the_same_in_gram_and_parameter_space(n_r, n_f, d, k, alpha, seed):
    rng = np.random.default_rng(seed)
    Fs = rng.standard_normal((n_r + n_f, d, k)) * rng.uniform(0.3, 1.5, (n_r + n_f, 1, 1))
    coef = rng.standard_normal((n_r + n_f, k))
    losses = rng.uniform(0.1, 1.0, n_r + n_f)
    g = np.einsum("idk,ik->id", Fs, coef)
    recipe = Recipe(lr=0.02, batch=2, steps=15, alpha=alpha, sampling="independent_bernoulli")
    L0 = (losses[:n_r].mean(), losses[n_r:].mean())
    par = forecast(HessianFamily.from_blocks(Fs[:n_r]), HessianFamily.from_blocks(Fs[n_r:]), g[:n_r], g[n_r:], L0,
                   recipe)
    cur = SampleCurvature(k=k, factors=Fs, coef=coef, losses=losses)
    G, gg = cur.coordinates()
    fam = (lambda H: HessianFamily.from_blocks(H))
    gram = forecast(fam(G[:n_r]), fam(G[n_r:]), gg[:n_r], gg[n_r:], L0, recipe)
    for key in ("forget_loss_mean", "retain_loss_mean", "distance_rms"):
        np.testing.assert_allclose(gram[key], par[key], rtol=1e-9, atol=1e-12)
    # the spread is the square root of M - m m^T, a cancellation: sqrt(eps) of the scale when the batch is the set
    # (the scale over the finite steps: a run that overflows has inf entries, equal in both, and no scale)
    m = np.abs(par["forget_loss_mean"])
    scale = 1 + m[np.isfinite(m)].max(initial=0.0)
    for key in ("forget_loss_sd", "retain_loss_sd"):
        np.testing.assert_allclose(gram[key], par[key], rtol=1e-6, atol=1e-6 * scale)


def _curvature(rng, n=40, d=15):
    X, y, w, res = _least_squares(rng, n_r=n - 8, n_f=8, d=d)
    return SampleCurvature(k=1, factors=X[:, :, None], coef=res[:, None], losses=0.5 * res**2)


def test_verdicts_follow_the_step_size():
    cur = _curvature(np.random.default_rng(2))
    stay = preflight(cur, 32, Recipe(lr=1e-4, batch=4, steps=20), almost_sure=False)
    assert stay.verdict == "stay"
    far = preflight(cur, 32, Recipe(lr=0.5, batch=4, steps=200), almost_sure=False)
    assert far.verdict in ("leave", "collapse")
    c = far.lr_curve
    assert c["leave_lr"] is not None and c["leave_lr"] <= 0.5 * 30
    d = far.to_dict()
    assert d["recipe"]["method"] == "GA" and d["critical_lr"]["mean-square"] == 0.0
    # gradient ascent: J = I + eta H_f >= I, so the almost-sure critical rate is exactly 0
    ga = preflight(cur, 32, Recipe(lr=0.01, batch=4, steps=5), almost_sure=True, mc_steps=50, mc_runs=16, rng=0,
                   lrs=[0.01])
    assert ga.critical_lr["almost-sure"] == 0.0


def test_retain_collapse_takes_precedence():
    cur = _curvature(np.random.default_rng(3))
    rep = preflight(cur, 32, Recipe(lr=5.0, batch=4, steps=50, alpha=0.5), almost_sure=False, lrs=[5.0])
    assert rep.verdict == "collapse"
    assert rep.forecast["retain_rise"] >= 0.5


@pytest.mark.parametrize("kw, match", [
    (dict(lr=0.0), "lr"), (dict(batch=0), "batch"), (dict(steps=0), "steps"), (dict(alpha=1.5), "alpha"),
    (dict(sampling="pair_bernoulli"), "sampling"), (dict(sampling="bogus"), "sampling"),
    (dict(forget_rise=-1.0), "forget_rise"),
])
def test_bad_recipes_name_the_argument(kw, match):
    base = dict(lr=0.1, batch=2, steps=3)
    with pytest.raises(ValueError, match=match):
        Recipe(**{**base, **kw})


def test_bad_curvature_and_split():
    cur = _curvature(np.random.default_rng(4))
    r = Recipe(lr=0.1, batch=2, steps=3)
    with pytest.raises(ValueError, match="n_retain"):
        preflight(cur, 40, r, almost_sure=False)
    with pytest.raises(ValueError, match="batch"):
        preflight(cur, 32, Recipe(lr=0.1, batch=9, steps=3), almost_sure=False)
    with pytest.raises(ValueError, match="coef"):
        preflight(SampleCurvature(k=1, factors=cur.factors), 32, r, almost_sure=False)
    with pytest.raises(ValueError, match="SampleCurvature"):
        preflight(cur.factors, 32, r, almost_sure=False)
