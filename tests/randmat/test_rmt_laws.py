"""Coherence distributions and random-matrix predictions (rmtcheck.coherence_laws)."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from rmtcheck.randmat.coherence_distribution import coherence_distribution
from rmtcheck.randmat.coherence_predictions import (
    effective_dimension,
    expected_max_chi2,
    floor_report,
    inner_product_bound,
    mean_abs_inner,
    noise_floor,
    noise_floor_refined,
    norm_bound,
    snr_increase_test,
    snr_prediction,
)
from rmtcheck.randmat.marchenko_pastur import gram_edge, gram_mp, mp_ks
from rmtcheck.stability.coherence import coherence, coherence_batch, coherence_stack, perron_root_batch

seeds = st.integers(0, 2**32 - 1)


# ----------------------------------------------------------------------------- batched sigma
@given(seed=seeds, m=st.integers(1, 5), n=st.integers(2, 25), d=st.integers(1, 60))
@example(seed=0, m=1, n=2, d=1)  # rank one: all g_i parallel, S = |g g^T| (sigma exactly n... up to scales)
@example(seed=1, m=3, n=25, d=2000)  # near-orthogonal regime: small spectral gap
def test_coherence_stack_matches_definition(seed, m, n, d):
    X = np.random.default_rng(seed).standard_normal((m, n, d))
    r = coherence_stack(X, spectra=True)
    ref = np.array([coherence(x) for x in X])
    np.testing.assert_allclose(r["sigma"], ref, rtol=1e-10)
    np.testing.assert_allclose(r["sigma"], coherence_batch(X), rtol=1e-10)
    np.testing.assert_allclose(r["gram_eigs"], np.linalg.eigvalsh(X @ X.transpose(0, 2, 1)), rtol=1e-9,
                               atol=1e-9 * np.abs(r["gram_eigs"]).max())
    assert np.all(r["sigma"] >= 1 - 1e-12) and np.all(r["sigma"] <= n + 1e-9)


def test_perron_fallback_on_zero_entries():
    S = np.stack([np.eye(4), np.diag([1.0, 3.0, 2.0, 0.5]), np.kron(np.eye(2), np.ones((2, 2)))])
    np.testing.assert_allclose(perron_root_batch(S), [1.0, 3.0, 2.0], rtol=1e-12)


def test_orthogonal_and_identical_extremes():
    d = 6
    X = np.stack([np.eye(d), np.ones((d, d))])
    np.testing.assert_allclose(coherence_stack(X)["sigma"], [1.0, d], rtol=1e-12)


@given(seed=seeds, chunk=st.integers(1, 9))
@example(seed=0, chunk=1)
def test_distribution_reproducible_and_chunk_independent(seed, chunk):
    a = coherence_distribution("isotropic", 9, 5, 7, seed)
    b = coherence_distribution("isotropic", 9, 5, 7, np.random.default_rng(seed), chunk=chunk)
    np.testing.assert_array_equal(a.sigma, b.sigma)
    np.testing.assert_array_equal(a.offdiag, b.offdiag)
    assert a.seed_entropy == seed
    assert a.sigma.shape == (9,) and a.norms2.shape == (9, 5) and a.offdiag.shape == (9, 4)


def test_distribution_designs_and_spectra():
    cd = coherence_distribution("patch", 4, 6, 20, 0, snr=0.5, spectra=True, noise="isotropic")
    assert cd.gram_eigs.shape == (4, 6) and cd.abs_eigs.shape == (4, 6)
    np.testing.assert_allclose(cd.abs_eigs[:, -1], cd.lambda_max, rtol=1e-10)
    lam = np.linspace(0.1, 2, 20)
    a = coherence_distribution("anisotropic", 4, 6, 20, 0, spectrum=lam)
    assert np.all(a.sigma >= 1 - 1e-12)
    c = coherence_distribution(lambda rng, m: rng.standard_normal((m, 6, 20)), 4, 6, 20, 0)
    np.testing.assert_array_equal(c.sigma, coherence_distribution("isotropic", 4, 6, 20, 0).sigma)


@pytest.mark.parametrize("args,kwargs,match", [
    (("gauss", 3, 4, 5), {}, "design"),
    (("patch", 3, 4, 5), {}, "snr"),
    (("patch", 3, 4, 5), {"snr": 1.0, "foo": 1}, "unknown"),
    (("isotropic", 3, 4, 5), {"spectrum": [1.0]}, "unknown"),
    (("anisotropic", 3, 4, 5), {}, "spectrum"),
    (("anisotropic", 3, 4, 5), {"spectrum": np.zeros(5)}, "spectrum"),
    (("anisotropic", 3, 4, 5), {"spectrum": np.ones(4)}, "spectrum"),
    (("isotropic", 0, 4, 5), {}, "instances"),
    (("isotropic", 3, 1, 5), {}, "n"),
    (("isotropic", 3, 4, 5), {"chunk": 0}, "chunk"),
    (("patch", 3, 4, 5), {"snr": -1.0}, "snr"),
])
def test_distribution_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        coherence_distribution(*args, **kwargs)


def test_zero_family_rejected():
    with pytest.raises(ValueError, match="zero"):
        coherence_stack(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="shape"):
        coherence_stack(np.zeros((3, 4)))


# ----------------------------------------------------------------------------- exact moments
@pytest.mark.parametrize("k", [1, 2, 3, 10, 1000])
def test_mean_abs_inner_exact(k):
    m = mean_abs_inner(k)
    if k == 1:
        assert m == pytest.approx(2 / np.pi)  # E|z w| = (2/pi)
    g = np.random.default_rng(k)
    A, B = g.standard_normal((2, 200000, k)) if k <= 10 else g.standard_normal((2, 4000, k))
    x = np.abs(np.einsum("ij,ij->i", A, B))
    assert abs(x.mean() - m) < 5 * x.std() / np.sqrt(x.size)
    assert m == pytest.approx(np.sqrt(2 * k / np.pi) * (1 - 1 / (4 * k)), rel=2 / k**2 + 1e-6)


@given(n=st.integers(1, 300), k=st.floats(0.5, 3000))
@example(n=1, k=7.0)
@example(n=2, k=2.0)
def test_expected_max_chi2(n, k):
    em = expected_max_chi2(n, k)
    if n == 1:
        assert em == pytest.approx(k, rel=1e-9)
    if n == 2 and k == 2.0:
        assert em == pytest.approx(3.0, rel=1e-9)  # max of two Exp(mean 2)
    ref = integrate.quad(lambda x: -np.expm1(n * stats.chi2.logcdf(x, k)), 0, k + 60 * np.sqrt(2 * k) + 200,
                         points=[k], limit=500)[0]
    assert em == pytest.approx(ref, rel=1e-7)
    assert em >= k - 1e-9


def test_floors_values_and_monotonicity():
    assert noise_floor(1, 10) == 1.0 and noise_floor_refined(1, 10) == 1.0
    assert noise_floor(101, 200) == pytest.approx(1 + 100 * np.sqrt(2 / (np.pi * 200)))
    assert noise_floor(50, 100) > noise_floor(50, 1000) > noise_floor(10, 1000)
    assert noise_floor_refined(50, 1000) < noise_floor(50, 1000)  # the max-norm denominator
    assert effective_dimension(np.ones(37)) == pytest.approx(37)
    assert effective_dimension([1.0, 0.0, 0.0]) == pytest.approx(1)


@settings(max_examples=8)
@given(seed=seeds, n=st.integers(10, 40), ratio=st.floats(1.0, 40.0))
@example(seed=0, n=10, ratio=1.0)
@example(seed=0, n=40, ratio=40.0)
def test_refined_floor_matches_simulation(seed, n, ratio):
    d = int(n * ratio)
    s = coherence_distribution("isotropic", 80, n, d, seed).sigma
    se = s.std(ddof=1) / np.sqrt(s.size)
    assert abs(noise_floor_refined(n, d) / s.mean() - 1) < 0.03 + 4 * se / s.mean()


def test_leading_floor_breaks_where_refined_holds():
    rec = floor_report([(40, 80), (10, 20000)], instances=60, rng=0)
    assert not rec[0].floor_holds and rec[0].refined_holds and rec[0].rel_err_floor > 0.2
    assert rec[1].near_orthogonal and not rec[0].near_orthogonal


@settings(max_examples=8)
@given(seed=seeds, n=st.integers(10, 30), d=st.integers(100, 500), snr=st.floats(0.01, 1.0),
       noise=st.sampled_from(["projected", "isotropic"]))
@example(seed=0, n=30, d=100, snr=1.0, noise="isotropic")
def test_snr_prediction_matches_simulation(seed, n, d, snr, noise):
    s = coherence_distribution("patch", 60, n, d, seed, snr=snr, noise=noise).sigma
    se = s.std(ddof=1) / np.sqrt(s.size)
    assert abs(snr_prediction(n, d, snr, noise) / s.mean() - 1) < 0.03 + 4 * se / s.mean()


def test_snr_prediction_limits_and_vectorised():
    n, d = 20, 400
    s = np.geomspace(1e-3, 10, 50)
    p = snr_prediction(n, d, s)
    assert p.shape == s.shape
    assert p[-1] == pytest.approx(n, rel=0.02)
    assert p[0] == pytest.approx(noise_floor_refined(n, d - 1), rel=0.01)
    assert np.all(np.diff(p[s > d**-0.5]) > 0)


# ----------------------------------------------------------------------------- concentration
@given(n=st.integers(2, 500), k=st.floats(1, 1e5), delta=st.floats(1e-9, 0.5))
@example(n=2, k=1.0, delta=1e-9)  # the sqrt(2) k branch
def test_bounds_monotone(n, k, delta):
    assert norm_bound(n, k, delta) > norm_bound(n, k, min(0.9, 2 * delta)) > 0
    t = inner_product_bound(n, k, delta)
    assert t >= inner_product_bound(n, k, min(0.9, 2 * delta)) > 0
    assert inner_product_bound(n + 1, k, delta) >= t


@pytest.mark.parametrize("n,d", [(30, 5), (30, 200)])
def test_concentration_bounds_hold_at_loose_delta(n, d):
    delta, trials = 0.3, 200
    X = np.random.default_rng(d).standard_normal((trials, n, d))
    G = X @ X.transpose(0, 2, 1)
    iu = np.triu_indices(n, 1)
    exceed_ip = np.mean(np.abs(G[:, iu[0], iu[1]]).max(axis=1) > inner_product_bound(n, d, delta))
    exceed_n = np.mean(np.abs(np.einsum("mii->mi", G) - d).max(axis=1) > norm_bound(n, d, delta))
    assert exceed_ip <= delta and exceed_n <= delta  # rigorous bounds: true rate <= delta (here far below)


@pytest.mark.parametrize("fn,args,match", [
    (norm_bound, (3, 10, 0.0), "delta"), (norm_bound, (3, 10, 1.0), "delta"),
    (inner_product_bound, (1, 10, 0.1), "n"), (inner_product_bound, (3, -1, 0.1), "k"),
    (noise_floor, (0, 10), "n"), (noise_floor, (3, 0), "d"), (noise_floor_refined, (3, np.nan), "d"),
    (snr_prediction, (5, 10, -1.0), "snr"), (snr_prediction, (5, 10, 1.0, "white"), "noise"),
    (effective_dimension, ([-1.0, 2.0],), "spectrum"), (expected_max_chi2, (0, 3), "n"),
])
def test_law_bad_input(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


# ----------------------------------------------------------------------------- MP and edge
@given(seed=seeds, n=st.integers(30, 120), ratio=st.floats(0.2, 1.0))
@example(seed=0, n=120, ratio=1.0)  # q = 1: hard edge at 0
def test_gram_spectra_pass_mp_ks(seed, n, ratio):
    d = max(2, int(n / ratio))
    cd = coherence_distribution("isotropic", 2, n, d, seed, spectra=True)
    r = mp_ks(cd.gram_eigs, n, d)
    assert r["p"].min() > 1e-3 and r["p_pooled"] > 1e-3
    law = gram_mp(n, d)
    a, b = law.support()
    assert integrate.quad(law.pdf, a, b, limit=300)[0] == pytest.approx(1, abs=1e-7)


def test_mp_ks_can_fail():
    cd = coherence_distribution("isotropic", 2, 100, 200, 1, spectra=True, scale=1.3)
    assert mp_ks(cd.gram_eigs, 100, 200)["p_pooled"] < 1e-6  # wrong scale is rejected
    assert mp_ks(cd.gram_eigs, 100, 200, scale=1.69)["p_pooled"] > 1e-3
    assert mp_ks(cd.abs_eigs, 100, 200)["p_pooled"] < 1e-6  # |G| does not follow MP


def test_gram_edge():
    by, mu, sg = gram_edge(100, 400)
    assert by == pytest.approx(900.0)
    X = np.random.default_rng(0).standard_normal((20, 100, 400))
    lmax = np.linalg.eigvalsh(X @ X.transpose(0, 2, 1))[:, -1]
    z = (lmax - mu) / sg
    assert -4 < z.mean() < 2 and np.all(np.abs(z) < 6)  # Tracy-Widom(1): mean -1.21, sd 1.27


# ----------------------------------------------------------------------------- SNR test
def test_snr_increase_detected_and_not_reversed():
    r = snr_increase_test(20, 300, 0.3, 0.45, 30, rng=0, vary="sigma")
    assert r["increase"] and not r["decrease"] and r["median_hi"] > r["median_lo"]
    low = snr_increase_test(20, 300, 1e-3, 2e-3, 30, rng=0)
    assert not low["increase"] and not low["decrease"]


def test_snr_increase_bad_input():
    with pytest.raises(ValueError, match="snr_hi"):
        snr_increase_test(5, 10, 0.5, 0.5, 10)
    with pytest.raises(ValueError, match="instances"):
        snr_increase_test(5, 10, 0.5, 0.6, 1)
