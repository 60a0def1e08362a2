"""The secular route's nonlinear Rayleigh–Ritz solver (many samples, few dimensions: the route real models
take) against T built independently with np.kron from the members and hand-written batch coefficients, for
SGD and descent–ascent, rank-one and block families."""

import numpy as np
from _kronecker import kappa_nu, kron_growth
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.stability import _secular
from rmtcheck.stability.gram import gram_family, gram_pair
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.stability.unlearning import mixed_recursion


def _sgd_rho(fam, sampling, B, lr):
    return kron_growth([(1.0, *kappa_nu(sampling, fam.n, B), fam.dense())], lr)


def _mixed_rho(R, F, alpha, sampling, B, lr):
    model = "bernoulli" if sampling == "independent_bernoulli" else "without_replacement"
    return kron_growth([(1 - alpha, *kappa_nu(model, R.n, B), R.dense()),
                        (-alpha, *kappa_nu(model, F.n, B), F.dense())], lr)


def _gram(rng, n, r, k, decay):
    """Gram matrix of n samples (k columns each) spanning r dimensions with a geometric spectrum."""
    F = rng.standard_normal((r, n * k)) * (decay ** np.arange(r))[:, None]
    return F.T @ F


@settings(max_examples=20, deadline=None)
@given(n=st.integers(61, 90), r=st.integers(9, 13), k=st.sampled_from([1, 2]), decay=st.floats(0.3, 1.0),
       sampling=st.sampled_from(["bernoulli", "without_replacement", "with_replacement"]),
       B=st.integers(1, 8), u=st.floats(0.2, 3.0), seed=st.integers(0, 2**16))
def test_sgd_growth_equals_the_dense_operator(n, r, k, decay, sampling, B, u, seed):
    rng = np.random.default_rng(seed)
    fam = gram_family(_gram(rng, n, r, k, decay), k)
    rec = sgd_recursion(fam, B, sampling=sampling)
    assert _secular.applicable(rec) and sum(b[2] * b[3] ** 2 for b in _secular.SecularForm(rec, 1.0).blocks) > 60
    lr = u * 2.0 / np.linalg.eigvalsh(fam.mean)[-1]
    ref = _sgd_rho(fam, sampling, B, lr)
    assert abs(rec.growth(lr) - ref) <= 1e-10 * max(ref, 1.0), (rec.growth(lr), ref)


@settings(max_examples=15, deadline=None)
@given(n_r=st.integers(40, 60), n_f=st.integers(25, 40), r=st.integers(9, 12), alpha=st.floats(0.05, 0.6),
       sampling=st.sampled_from(["independent_bernoulli", "without_replacement"]), B=st.integers(1, 6),
       u=st.floats(0.2, 2.5), seed=st.integers(0, 2**16))
def test_mixed_growth_equals_the_dense_operator(n_r, n_f, r, alpha, sampling, B, u, seed):
    rng = np.random.default_rng(seed)
    R, F = gram_pair(_gram(rng, n_r + n_f, r, 1, 0.8), n_r)
    rec = mixed_recursion(R, F, B, alpha=alpha, sampling=sampling)
    lr = u / np.linalg.eigvalsh(R.mean)[-1]
    ref = _mixed_rho(R, F, alpha, sampling, B, lr)
    assert abs(rec.growth(lr) - ref) <= 1e-10 * max(ref, 1.0), (rec.growth(lr), ref)


def test_warm_starts_across_step_sizes_do_not_hide_the_top():
    """One recursion asked at many step sizes (as eta* and the critical alpha do): each answer is the dense one."""
    rng = np.random.default_rng(7)
    fam = gram_family(_gram(rng, 80, 11, 1, 0.7))
    rec = sgd_recursion(fam, 4, sampling="without_replacement")
    top = 2.0 / np.linalg.eigvalsh(fam.mean)[-1]
    for u in (3.0, 0.1, 1.0, 0.5, 2.0, 0.9):
        ref = _sgd_rho(fam, "without_replacement", 4, u * top)
        assert abs(rec.growth(u * top) - ref) <= 1e-10 * max(ref, 1.0), u
