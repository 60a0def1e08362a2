"""Power-law fit, MP bulk fit, derived metrics and the full diagnostic (rmtcheck.spectral)."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from rmtcheck import randmat as S
from rmtcheck.randmat.powerlaw import TooFewEigenvalues


def _pareto(alpha, n, seed):
    return (1 - np.random.default_rng(seed).random(n)) ** (-1 / (alpha - 1))


@given(seed=st.integers(0, 2**31), logc=st.floats(-10, 10), nu=st.floats(1.0, 5.0))
@example(seed=0, logc=-10.0, nu=1.0)
def test_alpha_invariant_scale_and_transpose(seed, logc, nu):
    # the strict estimator's cut is relative, so its fit is exactly scale-invariant (WeightWatcher's absolute
    # 1e-5 cut is invariant only while no eigenvalue crosses it: test_ww_layers)
    W = np.random.default_rng(seed).standard_t(nu, (90, 50))
    try:
        f0 = S.fit_powerlaw(S.esd(W), min_tail=15, estimator="strict")
    except TooFewEigenvalues:  # a Cauchy-like draw keeps < 2 eigenvalues above 1e-5 * max: so must every variant
        for V in (np.exp(logc) * W, -W, W.T):
            with pytest.raises(TooFewEigenvalues):
                S.fit_powerlaw(S.esd(V), min_tail=15, estimator="strict")
        return
    for V in (np.exp(logc) * W, -W, W.T):
        f = S.fit_powerlaw(S.esd(V), min_tail=15, estimator="strict")
        assert np.allclose(f.alphas, f0.alphas, rtol=1e-9)
        assert f.index == f0.index or abs(f.ks_distance - f0.ks_distance) < 1e-12


@given(seed=st.integers(0, 2**31), n=st.integers(20, 90), conv=st.sampled_from(S.CONVENTIONS),
       ecdf=st.sampled_from(S.ECDFS))
@settings(max_examples=10)
def test_scan_matches_brute_force(seed, n, conv, ecdf):
    x = np.sort(np.random.default_rng(seed).lognormal(0, 1.5, n))
    f = S.fit_powerlaw(x, min_tail=5, convention=conv, ecdf=ecdf)
    off = 0 if conv == "ww" else 1
    brute_D = []
    for i, (xm, a) in enumerate(zip(f.xmins, f.alphas)):
        tail = x[i + off:]
        assert a == pytest.approx(1 + tail.size / np.sum(np.log(tail / xm)), rel=1e-10)
        P = 1 - (tail / xm) ** (1 - a)
        r = np.arange(tail.size)
        if ecdf == "two-sided":
            D = stats.kstest(tail, lambda z: 1 - (z / xm) ** (1 - a)).statistic
        else:
            D = np.max(np.abs(P - r / tail.size))
        brute_D.append(D)
    assert np.allclose(f.ks_curve, brute_D, atol=1e-12)
    assert f.ks_distance == pytest.approx(min(brute_D), abs=1e-12)
    assert f.n_tail == x.size - f.index - off
    assert f.alpha_stderr == pytest.approx((f.alpha - 1) / np.sqrt(f.n_tail))


@given(seed=st.integers(0, 2**31), k=st.integers(1, 150))
def test_hill_vs_ww_exact(seed, k):
    x = _pareto(2.5, 200, seed)
    thr = np.sort(x)[::-1][k]
    a_ww, n_ww = S.powerlaw_alpha_at(x, thr, "ww")
    a_h = S.hill_alpha(x, k)
    assert n_ww == k + 1
    assert (a_ww - 1) / (a_h - 1) == pytest.approx((k + 1) / k, rel=1e-12)
    assert S.powerlaw_alpha_at(x, thr, "hill") == (pytest.approx(a_h, rel=1e-12), k)


@given(alpha=st.floats(1.5, 4.5), seed=st.integers(0, 2**31))
@example(alpha=1.5, seed=1)
@example(alpha=4.5, seed=2)
@settings(max_examples=10)
def test_pareto_recovery(alpha, seed):
    f = S.fit_powerlaw(_pareto(alpha, 2000, seed))
    assert abs(f.alpha - alpha) <= 4 * f.alpha_stderr


def test_bootstrap_ci_covers_and_is_reproducible():
    x = _pareto(3.0, 1500, 3)
    f1 = S.fit_powerlaw(x, bootstrap=300, rng=5)
    f2 = S.fit_powerlaw(x, bootstrap=300, rng=5)
    assert f1.ci == f2.ci and f1.ci[0] < f1.alpha < f1.ci[1]
    assert f1.ci[1] - f1.ci[0] == pytest.approx(2 * 1.96 * f1.alpha_stderr, rel=0.35)
    full = S.fit_powerlaw(x[:300], bootstrap=20, bootstrap_mode="full", rng=1)
    assert full.ci[0] < full.ci[1]


def test_fixed_xmin_and_guards():
    x = _pareto(2.5, 500, 0)
    f = S.fit_powerlaw(x, xmin=2.0)
    assert f.xmin <= 2.0 and f.alpha == pytest.approx(S.powerlaw_alpha_at(x, f.xmin)[0])
    small = S.fit_powerlaw(x[:20], estimator="strict")
    assert small.min_tail == 20 and small.n_tail == 20
    assert S.fit_powerlaw(x[:20]).min_tail == 2  # WeightWatcher's: every eigenvalue but the largest a candidate
    with pytest.raises(ValueError, match="evals"):
        S.fit_powerlaw([1.0])
    with pytest.raises(ValueError, match="evals"):
        S.fit_powerlaw([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="convention"):
        S.fit_powerlaw(x, convention="x")
    with pytest.raises(ValueError, match="min_tail"):
        S.fit_powerlaw(x, min_tail=1)
    with pytest.raises(ValueError, match="evals"):
        S.fit_powerlaw([-1.0, 1.0, 2.0])


def test_drop_small_eigenvalues():
    x = np.concatenate([np.zeros(50), np.full(5, 1e-9), _pareto(2.5, 300, 1)])
    f = S.fit_powerlaw(x)
    assert f.n_used == 300


def test_gaussian_diagnostic():
    W = np.random.default_rng(0).standard_normal((1000, 500))
    d = S.diagnose(W, bootstrap=0)
    assert d.mp.scale == pytest.approx(1.0, rel=0.05)
    assert d.mp.n_spikes == 0
    assert d.mp.edge == pytest.approx((np.sqrt(1000) + np.sqrt(500)) ** 2 * d.mp.scale)
    # the heuristic 'Gaussian -> large alpha': only a measurement (see verify row); alpha is above 2
    assert d.alpha > 2


def test_spikes_detected():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((600, 300))
    u, v = rng.standard_normal(600), rng.standard_normal(300)
    W += 3.0 * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v)) * np.sqrt(600) * 1.5
    d = S.diagnose(W, bootstrap=0)
    assert d.mp.n_spikes == 1 and d.mp.spikes[0] == pytest.approx(d.eigenvalues[-1])


def test_student_t_heavy_tail_flag():
    W = np.random.default_rng(2).standard_t(1.0, (600, 300))
    d = S.diagnose(W, bootstrap=0)
    assert d.flag == "over-trained" and abs(d.alpha - 1.5) < 0.35


def test_derived_metrics():
    ev = np.array([1.0, 2.0, 4.0])
    assert S.stable_rank(ev) == pytest.approx(7 / 4)
    assert S.log_spectral_norm(ev) == pytest.approx(np.log10(4))
    assert S.alpha_weighted(2.0, ev) == pytest.approx(2 * np.log10(4))
    assert S.log_alpha_norm(2.0, ev) == pytest.approx(np.log10(1 + 4 + 16))
    assert np.isfinite(S.log_alpha_norm(400.0, np.array([1e3, 1e4])))  # no overflow
    assert [S.flag(a) for a in (1.5, 3, 7)] == ["over-trained", "well-trained", "under-trained"]


def test_normalize_and_methods_agree():
    W = np.random.default_rng(3).standard_normal((200, 80))
    e1, e2 = S.esd(W, method="gram"), S.esd(W, method="svd")
    assert np.allclose(e1, e2, rtol=1e-9)
    assert np.allclose(S.esd(W, normalize=True), e1 / 200)
    d1, d2 = S.diagnose(W, bootstrap=0), S.diagnose(W, bootstrap=0, normalize=True)
    assert d1.alpha == pytest.approx(d2.alpha) and d1.mp.n_spikes == d2.mp.n_spikes
    assert d1.mp.edge == pytest.approx(200 * d2.mp.edge)


def test_layers_inputs():
    rng = np.random.default_rng(4)
    stack = rng.standard_normal((3, 60, 40))
    res = S.diagnose_layers(stack, bootstrap=10, rng=0)
    assert [r.name for r in res] == ["W[0]", "W[1]", "W[2]"]
    named = S.as_layers({"w": stack[0], "b": np.ones(3), "conv": rng.standard_normal((8, 4, 3, 3))})
    assert list(named) == ["w", "conv"]
    assert S.as_matrix(named["conv"]).shape == (36, 8)
    rec = res[0].record()
    for key in ("alpha", "xmin", "ks_distance", "n_tail", "alpha_stderr", "flag", "stable_rank", "mp_edge", "n_spikes"):
        assert key in rec
    table = S.spectrum_table(res)
    assert "W[2]" in table and "flag" in table
    with pytest.raises(ValueError, match="ndim"):
        S.diagnose(np.ones(5))
    with pytest.raises(ValueError):
        S.as_layers({"b": np.ones(3)})


def test_torch_path_optional():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(80, 60), torch.nn.ReLU(), torch.nn.Linear(60, 10))
    res = S.diagnose_layers(net, bootstrap=0)
    assert len(res) == 2


def powerlaw_kwargs(powerlaw):
    """powerlaw >= 2 restricts alpha to [0, 3] by default (``parameter_ranges``); lift that limit."""
    import inspect

    kw = {"verbose": False}
    if "parameter_ranges" in inspect.signature(powerlaw.Fit.__init__).parameters:
        kw["parameter_ranges"] = {"alpha": [1.0, 20.0]}
    return kw


def test_agrees_with_powerlaw_package():
    powerlaw = pytest.importorskip("powerlaw")
    import warnings

    checked = 0
    for seed, a in enumerate([2.2, 2.8, 3.6, 4.2]):
        x = _pareto(a, 800, seed) * np.random.default_rng(seed + 10).uniform(0.9, 1.1, 800)
        f = S.fit_powerlaw(x, ecdf="left", min_tail=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F = powerlaw.Fit(x, **powerlaw_kwargs(powerlaw))
        if F.xmin == f.xmin:
            checked += 1
            assert abs(F.alpha - f.alpha) < 0.02
    assert checked >= 2
