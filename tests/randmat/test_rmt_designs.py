"""Random-matrix designs (rmtcheck.designs_rmt): patch model, Gaussian designs, batch sampler."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rmtcheck.randmat.designs import (
    PatchData,
    anisotropic_gaussian,
    gaussian_batch,
    haar_orthogonal,
    isotropic_gaussian,
    patch_scales,
    signal_noise_batch,
    signal_noise_patches,
)
from rmtcheck.randmat.families import linear_factors
from rmtcheck.stability.coherence import coherence

seeds = st.integers(0, 2**32 - 1)


@given(seed=seeds, n=st.integers(1, 40), d=st.integers(2, 120), snr=st.floats(1e-4, 1e2),
       vary=st.sampled_from(["mu", "sigma"]), noise=st.sampled_from(["projected", "isotropic"]),
       flip=st.floats(0.0, 0.49), scale=st.floats(1e-3, 1e3))
@example(seed=0, n=1, d=2, snr=1e-4, vary="mu", noise="projected", flip=0.0, scale=1.0)
@example(seed=1, n=3, d=2, snr=1e2, vary="sigma", noise="isotropic", flip=0.49, scale=1e-3)
def test_patch_structure(seed, n, d, snr, vary, noise, flip, scale):
    data = signal_noise_patches(n, d, snr, vary=vary, mu_norm=scale, sigma_p=scale, flip=flip, noise=noise, rng=seed)
    assert isinstance(data, PatchData) and data.X.shape == (n, 2, d) and data.X.dtype == np.float64
    assert data.snr == pytest.approx(snr, rel=1e-12)
    assert np.linalg.norm(data.mu) / (data.sigma_p * np.sqrt(d)) == pytest.approx(snr, rel=1e-12)
    if vary == "mu":
        assert data.sigma_p == scale
    else:
        assert np.linalg.norm(data.mu) == pytest.approx(scale, rel=1e-12)
    assert set(np.unique(data.y_clean)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(data.y, np.where(data.flipped, -data.y_clean, data.y_clean))
    np.testing.assert_allclose(data.X[:, 0], data.y_clean[:, None] * data.mu, rtol=0, atol=0)
    if noise == "projected":
        u = data.mu / np.linalg.norm(data.mu)
        assert np.max(np.abs(data.xi @ u)) <= 1e-12 * data.sigma_p * np.sqrt(d)
    if flip == 0.0:
        assert not data.flipped.any()


@given(seed=seeds, n=st.integers(2, 30), d=st.integers(2, 80), snr=st.floats(1e-3, 10.0),
       noise=st.sampled_from(["projected", "isotropic"]), a=st.floats(1e-3, 1e3), b=st.floats(1e-3, 1e3))
@example(seed=0, n=2, d=2, snr=1e-3, noise="projected", a=1e-3, b=1e3)
def test_snr_conventions_give_proportional_data(seed, n, d, snr, noise, a, b):
    x = signal_noise_patches(n, d, snr, vary="mu", sigma_p=a, noise=noise, rng=seed)
    z = signal_noise_patches(n, d, snr, vary="sigma", mu_norm=b, noise=noise, rng=seed)
    c = np.linalg.norm(z.mu) / np.linalg.norm(x.mu)
    np.testing.assert_allclose(z.X, c * x.X, rtol=1e-12, atol=1e-300)
    assert coherence(linear_factors(x)) == pytest.approx(coherence(linear_factors(z)), rel=1e-9)


def test_flip_does_not_change_clean_labels_or_noise():
    a = signal_noise_patches(50, 30, 0.5, flip=0.0, rng=7)
    b = signal_noise_patches(50, 30, 0.5, flip=0.4, rng=7)
    np.testing.assert_array_equal(a.y_clean, b.y_clean)
    np.testing.assert_array_equal(a.X, b.X)
    assert b.flipped.any() and not np.array_equal(a.y, b.y)


def test_flip_rate_and_label_balance():
    data = signal_noise_patches(20000, 2, 1.0, flip=0.3, rng=3)
    se = np.sqrt(0.3 * 0.7 / 20000)
    assert abs(data.flipped.mean() - 0.3) < 5 * se
    assert abs(data.y_clean.mean()) < 5 / np.sqrt(20000)


@pytest.mark.parametrize("noise", ["projected", "isotropic"])
def test_noise_covariance(noise):
    d, sp = 6, 2.0
    mu = np.array([1.0, 1.0, 0, 0, 0, 0])
    data = signal_noise_patches(40000, d, 0.5, sigma_p=sp, noise=noise, mu=mu, rng=11)
    C = data.xi.T @ data.xi / data.n
    u = mu / np.linalg.norm(mu)
    target = sp**2 * (np.eye(d) - (np.outer(u, u) if noise == "projected" else 0))
    assert np.max(np.abs(C - target)) < 6 * sp**2 * np.sqrt(2 / data.n)  # entry sd <= sqrt(2/n) sigma_p^2
    np.testing.assert_allclose(data.mu / np.linalg.norm(data.mu), u, atol=1e-15)


def test_linear_factor_inner_products():
    data = signal_noise_patches(12, 25, 0.7, rng=5)
    for combine in ("sum", "concat"):
        G = linear_factors(data, combine)
        K = G @ G.T
        expect = np.outer(data.y_clean, data.y_clean) * (data.mu @ data.mu) + data.xi @ data.xi.T
        np.testing.assert_allclose(K, expect, rtol=1e-12, atol=1e-12)
    fam = linear_factors(data, family=True)
    assert fam.is_rank_one and fam.n == 12


def test_signal_noise_batch():
    F = signal_noise_batch(7, 9, 30, 0.4, sigma_p=2.0, rng=1)
    assert F.shape == (7, 9, 30)
    norm, sp = patch_scales(30, 0.4, sigma_p=2.0)
    # the signal coordinate (mu along e1, projected noise) is exactly +-||mu||
    np.testing.assert_allclose(np.abs(F[:, :, 0]), norm, rtol=1e-12)
    C = signal_noise_batch(7, 9, 30, 0.4, sigma_p=2.0, rng=1, combine="concat")
    np.testing.assert_allclose(C[:, :, :30] + C[:, :, 30:], F, rtol=1e-12)
    np.testing.assert_array_equal(F, signal_noise_batch(7, 9, 30, 0.4, sigma_p=2.0, rng=1))


@given(seed=seeds, m=st.integers(1, 6), n=st.integers(1, 8), d=st.integers(1, 10), split=st.integers(0, 6))
@example(seed=0, m=1, n=1, d=1, split=0)
def test_gaussian_batch_reproducible_and_chunkable(seed, m, n, d, split):
    A = gaussian_batch(m, n, d, seed)
    np.testing.assert_array_equal(A, gaussian_batch(m, n, d, np.random.default_rng(seed)))
    k = min(split, m)
    g = np.random.default_rng(seed)
    parts = [g.standard_normal((k, n, d)), g.standard_normal((m - k, n, d))]
    np.testing.assert_array_equal(A, np.concatenate(parts))
    np.testing.assert_array_equal(isotropic_gaussian(n, d, seed, scale=3.0), 3.0 * gaussian_batch(1, n, d, seed)[0])


def test_anisotropic_covariance_and_spectrum():
    d = 4
    U = haar_orthogonal(d, 2)
    np.testing.assert_allclose(U.T @ U, np.eye(d), atol=1e-12)
    lam = np.array([4.0, 1.0, 0.25, 0.0])
    Sigma = U @ np.diag(lam) @ U.T
    for X in (anisotropic_gaussian(60000, d, covariance=Sigma, rng=1),
              anisotropic_gaussian(60000, d, spectrum=lam, basis=U, rng=1)):
        C = X.T @ X / X.shape[0]
        assert np.max(np.abs(C - Sigma)) < 6 * 4.0 * np.sqrt(2 / X.shape[0])
    X = anisotropic_gaussian(100, d, spectrum=lam, rng=0)
    assert np.all(X[:, 3] == 0)  # zero variance in the standard basis
    R = anisotropic_gaussian(5, d, spectrum=lam, basis="random", rng=0)
    assert R.shape == (5, d)


@pytest.mark.parametrize("kwargs,match", [
    (dict(n=5, d=10, snr=0.0), "snr"),
    (dict(n=5, d=10, snr=float("nan")), "snr"),
    (dict(n=5, d=10, snr=-1.0), "snr"),
    (dict(n=0, d=10, snr=1.0), "n"),
    (dict(n=5, d=1, snr=1.0), "d"),
    (dict(n=5, d=10, snr=1.0, vary="both"), "vary"),
    (dict(n=5, d=10, snr=1.0, noise="gaussian"), "noise"),
    (dict(n=5, d=10, snr=1.0, flip=0.5), "flip"),
    (dict(n=5, d=10, snr=1.0, flip=-0.1), "flip"),
    (dict(n=5, d=10, snr=1.0, sigma_p=0.0), "sigma_p"),
    (dict(n=5, d=10, snr=1.0, vary="sigma", mu_norm=-2.0), "mu_norm"),
    (dict(n=5, d=10, snr=1.0, mu=np.zeros(10)), "mu"),
    (dict(n=5, d=10, snr=1.0, mu=np.ones(3)), "mu"),
    (dict(n=5, d=10, snr=1.0, rng="seed"), "rng"),
])
def test_patch_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        signal_noise_patches(**kwargs)


def test_isotropic_noise_allows_d1():
    assert signal_noise_patches(3, 1, 1.0, noise="isotropic", rng=0).X.shape == (3, 2, 1)


@pytest.mark.parametrize("kwargs,match", [
    (dict(), "exactly one"),
    (dict(covariance=np.eye(3), spectrum=np.ones(3)), "exactly one"),
    (dict(covariance=np.array([[1.0, 0.5, 0], [0, 1, 0], [0, 0, 1]])), "symmetric"),
    (dict(covariance=np.diag([1.0, -1.0, 1.0])), "positive semi-definite"),
    (dict(covariance=np.eye(2)), "covariance"),
    (dict(covariance=np.full((3, 3), np.nan)), "NaN"),
    (dict(spectrum=[1.0, -1.0, 1.0]), "spectrum"),
    (dict(spectrum=[1.0, 1.0]), "spectrum"),
    (dict(spectrum=np.ones(3), basis=np.ones((3, 3))), "orthogonal"),
    (dict(spectrum=np.ones(3), basis="haar"), "basis"),
    (dict(covariance=np.eye(3), basis="random"), "basis"),
])
def test_anisotropic_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        anisotropic_gaussian(4, 3, **kwargs)


def test_batch_and_factor_bad_input():
    with pytest.raises(ValueError, match="instances"):
        gaussian_batch(0, 3, 3)
    with pytest.raises(ValueError, match="scale"):
        gaussian_batch(2, 3, 3, scale=-1.0)
    with pytest.raises(ValueError, match="combine"):
        signal_noise_batch(2, 3, 4, 1.0, combine="stack")
    with pytest.raises(ValueError, match="PatchData"):
        linear_factors(np.ones((3, 4)))
    with pytest.raises(ValueError, match="combine"):
        linear_factors(signal_noise_patches(3, 4, 1.0, rng=0), combine="prod")
