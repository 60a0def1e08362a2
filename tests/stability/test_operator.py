"""The exact second-moment operator, its critical learning rate and the SGD theorems."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rmtcheck.randmat.families import dexter_construction, random_family
from rmtcheck.stability import thresholds as th
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.operator import critical_lr, dense_growth, ms_growth, sgd_recursion
from rmtcheck.stability.sampling import SAMPLING_MODELS, SamplingModel, sampling_model
from rmtcheck.studies.dexter.constructions import theorem2_construction

models = st.sampled_from(SAMPLING_MODELS)


def _instance(seed, n, d, kind=None):
    rng = np.random.default_rng(seed)
    fam, _ = random_family(rng, n, d, kind)
    return fam, rng


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), d=st.integers(1, 9), model=models,
       b=st.floats(0, 1), u=st.floats(0.05, 3))
def test_matrix_free_equals_dense(seed, n, d, model, b, u):
    fam, _ = _instance(seed, n, d)
    B = 1 + int(b * (n - 1))
    rec = sgd_recursion(fam, B, sampling=model)
    lr = u / rec.mean_lambda_max()
    rho = rec.growth(lr)
    ref = dense_growth(rec.dense_matrix(lr))
    assert abs(rho - ref) <= 1e-10 * max(1.0, abs(ref))
    # the full (unrestricted) operator has the same growth unless H is singular (then >= 1)
    full = sgd_recursion(fam, B, sampling=model, restrict_to_range=False)
    if full.d <= 9:
        ref_full = dense_growth(full.dense_matrix(lr))
        assert abs(max(rho, 1.0 if rec.restricted else 0.0) - ref_full) <= 1e-9 * max(1, ref_full)


def test_lanczos_path_equals_dense_at_moderate_d():
    fam, _ = _instance(3, 60, 14, "gaussian")
    rec = sgd_recursion(fam, 7, sampling="without_replacement")
    lr = 0.7 / rec.mean_lambda_max()
    assert abs(rec.growth(lr) - dense_growth(rec.dense_matrix(lr))) <= 1e-10 * rec.growth(lr)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), d=st.integers(1, 8), b=st.floats(0, 1),
       u=st.floats(1.0, 3.0))
@example(seed=0, n=2, d=1, b=0.0, u=1.0)  # n = 2B: the boundary case of the sandwich
def test_theorem1_never_violated_under_bernoulli(seed, n, d, b, u):
    fam, _ = _instance(seed, n, d)
    B = 1 + int(b * (n - 2))
    sig, lam = coherence(fam), fam.lambda_max
    eta = u * th.theorem1_lr(lam, sig, n, B)
    r = th.theorem1_ratio(eta, lam, sig, n, B)
    rho = ms_growth(fam, eta, B, sampling="bernoulli")
    assert rho >= r * (1 - 1e-10)             # the stronger form rho >= r
    assert rho >= 1 - 1e-10                     # hence no convergence once r >= 1
    if r > 1 + 1e-9:
        assert rho > 1


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), d=st.integers(1, 8), b=st.floats(0, 1),
       u=st.floats(0.01, 1.0))
def test_strong_lower_bound_for_every_lr(seed, n, d, b, u):
    fam, _ = _instance(seed, n, d)
    B = 1 + int(b * (n - 2))
    eta = u * 2 / fam.lambda_max
    r = th.theorem1_ratio(eta, fam.lambda_max, coherence(fam), n, B)
    assert ms_growth(fam, eta, B, sampling="bernoulli") >= r * (1 - 1e-10)


def test_theorem1_fails_without_replacement_at_B1():
    """A pinned counterexample: Theorem 1's r >= 1 while the fixed-size-batch recursion converges."""
    found = 0
    for seed in range(40):
        fam, _ = _instance(seed, 2 + seed % 5, 4, "gaussian")
        n, B = fam.n, 1
        sig, lam = coherence(fam), fam.lambda_max
        eta1 = th.theorem1_lr(lam, sig, n, B)
        found += ms_growth(fam, eta1 * 1.001, B, sampling="without_replacement") < 1
    assert found > 0


@given(n=st.integers(2, 200), s=st.integers(1, 200), b=st.floats(0, 1), lam=st.floats(0.1, 10), u=st.floats(0.1, 2))
@example(n=2, s=1, b=0.0, lam=2.0, u=1.0)
def test_theorem2_closed_form_is_the_operator(n, s, b, lam, u):
    s = min(s, n)
    B = 1 + int(b * (n - 2))
    fam = theorem2_construction(n, s, lam, d=2)
    rec = sgd_recursion(fam, B, sampling="bernoulli")
    eta2 = th.theorem2_lr(lam, s, n, B)
    assert np.isclose(rec.critical_lr(), eta2, rtol=1e-10)
    assert np.isclose(rec.growth(u * eta2), th.theorem2_factor(u * eta2, lam, s, n, B), rtol=1e-12)
    assert rec.range_dim == 1  # e2 is a null direction: restricted, and said so


@given(sigma=st.floats(1, 100), n=st.integers(2, 1000), b=st.floats(0, 1))
def test_sandwich(sigma, n, b):
    B = 1 + int(b * (n - 2))
    eta1, eta2 = th.theorem1_lr(1.0, sigma, n, B), th.theorem2_lr(1.0, sigma, n, B)
    assert eta2 <= eta1 * (1 + 1e-12)
    assert np.isclose(eta1 / eta2, th.sandwich_ratio(sigma, n, B), rtol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), d=st.integers(1, 8), b=st.floats(0, 1),
       u=st.floats(0.01, 1.0))
def test_convergence_certificate(seed, n, d, b, u):
    fam, _ = _instance(seed, n, d)
    B = 1 + int(b * (n - 1))
    rec = sgd_recursion(fam, B, sampling="bernoulli")
    nu = rec.terms[0].model.nu
    eta = u * 2 / rec.mean_lambda_max()
    A = np.eye(rec.d) - eta * rec.mean
    cert = np.linalg.eigvalsh(A @ A + eta**2 * nu * rec.terms[0].family.sum_squares())[-1]
    rho = rec.growth(eta)
    assert rho <= cert * (1 + 1e-10)  # rho(T) <= lambda_max(T(I)) for this positive map
    if cert < 1:
        assert rho < 1


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), d=st.integers(1, 8), model=models, b=st.floats(0, 1))
def test_critical_lr_is_the_unique_crossing(seed, n, d, model, b):
    fam, _ = _instance(seed, n, d)
    B = 1 + int(b * (n - 1))
    rec = sgd_recursion(fam, B, sampling=model)
    e = rec.critical_lr()
    assert e <= 2 / rec.mean_lambda_max() * (1 + 1e-12)   # noise only hurts: eta* <= 2/lambda_max
    assert abs(rec.growth(e) - 1) < 1e-9
    assert rec.growth(0.9 * e) < 1 < rec.growth(1.1 * e)


def test_full_batch_is_gradient_descent():
    fam, _ = _instance(11, 12, 5, "wishart")
    for model in ("bernoulli", "without_replacement"):
        assert np.isclose(critical_lr(fam, 12, sampling=model), 2 / fam.lambda_max, rtol=1e-12)
    assert critical_lr(fam, 12, sampling="with_replacement") < 2 / fam.lambda_max


def test_diagonal_fast_path_equals_general_path():
    fam = dexter_construction(12, 4, 2.0)
    G = fam.factors.copy(); G[0, 1] = 1e-300  # defeats the diagonal detection, same operator
    for model in SAMPLING_MODELS:
        a = sgd_recursion(fam, 3, sampling=model)
        assert a.diagonal
        b = sgd_recursion(HessianFamily.from_factors(G), 3, sampling=model)
        assert not b.diagonal
        assert np.isclose(a.growth(0.4), b.growth(0.4), rtol=1e-10)
        assert np.isclose(a.critical_lr(), b.critical_lr(), rtol=1e-9)


@pytest.mark.parametrize("model", SAMPLING_MODELS)
def test_sampling_coefficients_match_drawn_batches(model):
    """kappa, nu (from the SymPy derivation) against the empirical moments of draw()."""
    n, B = 9, 4
    sm = SamplingModel(model, n, B)
    C = sm.draw(np.random.default_rng(0), 200_000)
    second = C.T @ C / C.shape[0]
    b_emp = np.diag(second).mean()
    a_emp = (second.sum() - np.trace(second)) / (n * (n - 1))
    assert np.isclose(a_emp * n**2 - 1, sm.kappa, atol=0.01)
    assert np.isclose(b_emp - a_emp, sm.nu, atol=0.002)
    assert np.allclose(C.mean(0), 1 / n, atol=0.005)


def test_bad_arguments_are_clear():
    fam, _ = _instance(0, 5, 2)
    with pytest.raises(ValueError, match="lr"):
        ms_growth(fam, 0.0, 2)
    with pytest.raises(ValueError, match="batch"):
        ms_growth(fam, 0.1, 6)
    with pytest.raises(ValueError, match="sampling"):
        sampling_model("poisson", 5, 2)
    with pytest.raises(ValueError, match="lr"):
        ms_growth(fam, float("nan"), 2)


def test_vanishing_mean_with_noise_has_zero_critical_lr():
    """Identical retain and forget at alpha = 1/2: the mean cancels, noise alone makes growth > 1."""
    from rmtcheck.stability.operator import LinearRecursion, Term

    fam = HessianFamily.from_factors(np.eye(3))
    model = sampling_model("bernoulli", 3, 1)
    rec = LinearRecursion([Term(fam, 0.5, model), Term(fam, -0.5, model)])
    assert rec.critical_lr() == 0.0
    assert rec.growth(0.1) > 1
