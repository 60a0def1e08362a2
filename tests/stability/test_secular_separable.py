"""The secular route's separable-kernel solver (curvature with a clustered mean spectrum: many nearly
isotropic samples) against T built independently with np.kron from the members and hand-written batch
coefficients; its explicit sample-side matrix against a direct four-index sum."""

import numpy as np
import pytest
from _kronecker import kappa_nu, kron_growth
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.stability import _secular, _separable
from rmtcheck.stability.gram import gram_family, gram_pair
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.stability.unlearning import mixed_recursion


def _clustered_gram(rng, n, r, spread):
    """A rank-r Gram matrix whose nonzero eigenvalues lie in [1 - spread, 1 + spread] (times n)."""
    U, _ = np.linalg.qr(rng.standard_normal((n, r)))
    return (U * (n * (1.0 + spread * rng.uniform(-1.0, 1.0, r)))) @ U.T


class _Route:
    """Counts which solver answered (the separable one or Rayleigh–Ritz)."""

    def __init__(self, mp, force=True):
        self.separable = self.ritz = 0
        sep, rr = _secular._separable_root, _secular._rayleigh_ritz

        def sep_counted(*a):
            out = sep(*a)
            self.separable += out is not None
            return out

        def rr_counted(*a):
            self.ritz += 1
            return rr(*a)

        mp.setattr(_secular, "_separable_root", sep_counted)
        mp.setattr(_secular, "_rayleigh_ritz", rr_counted)
        if force:  # small instances: the cost model would otherwise leave them to Rayleigh–Ritz
            mp.setattr(_separable, "_prefer_separable", lambda N, r: True)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(61, 90), r=st.integers(9, 13), spread=st.sampled_from([0.0, 1e-3, 0.02, 0.1, 0.3]),
       sampling=st.sampled_from(["bernoulli", "without_replacement", "with_replacement"]),
       B=st.integers(1, 8), u=st.floats(0.2, 3.0), seed=st.integers(0, 2**16))
def test_sgd_growth_equals_the_dense_operator(n, r, spread, sampling, B, u, seed):
    fam = gram_family(_clustered_gram(np.random.default_rng(seed), n, r, spread))
    lr = u * 2.0 / np.linalg.eigvalsh(fam.mean)[-1]
    ref = kron_growth([(1.0, *kappa_nu(sampling, fam.n, B), fam.dense())], lr)
    with pytest.MonkeyPatch.context() as mp:
        route = _Route(mp)
        rho = sgd_recursion(fam, B, sampling=sampling).growth(lr)
    assert abs(rho - ref) <= 1e-10 * max(ref, 1.0), (rho, ref, route.separable, route.ritz)


@settings(max_examples=15, deadline=None)
@given(n_r=st.integers(40, 60), n_f=st.integers(25, 40), r=st.integers(9, 12), alpha=st.floats(0.0, 0.3),
       spread=st.sampled_from([1e-3, 0.05]), sampling=st.sampled_from(["independent_bernoulli",
                                                                       "without_replacement"]),
       B=st.integers(1, 6), u=st.floats(0.2, 2.5), seed=st.integers(0, 2**16))
def test_mixed_growth_equals_the_dense_operator(n_r, n_f, r, alpha, spread, sampling, B, u, seed):
    R, F = gram_pair(_clustered_gram(np.random.default_rng(seed), n_r + n_f, r, spread), n_r)
    lr = u / np.linalg.eigvalsh(R.mean)[-1]
    model = "bernoulli" if sampling == "independent_bernoulli" else "without_replacement"
    ref = kron_growth([(1 - alpha, *kappa_nu(model, R.n, B), R.dense()),
                       (-alpha, *kappa_nu(model, F.n, B), F.dense())], lr)
    with pytest.MonkeyPatch.context() as mp:
        _Route(mp)
        rho = mixed_recursion(R, F, B, alpha=alpha, sampling=sampling).growth(lr)
    assert abs(rho - ref) <= 1e-10 * max(ref, 1.0), (rho, ref)


@pytest.mark.parametrize("u", [0.3, 1.0, 2.0])
def test_clustered_spectra_take_the_separable_route_and_spread_ones_do_not(u):
    rng = np.random.default_rng(3)
    for spread, expected in ((0.02, True), (None, False)):
        if spread is None:  # a geometric spectrum over four decades: the kernel is not separable
            F = rng.standard_normal((9, 80)) * (0.3 ** np.arange(9))[:, None]
            fam = gram_family(F.T @ F)
        else:
            fam = gram_family(_clustered_gram(rng, 80, 9, spread))
        lr = u * 2.0 / np.linalg.eigvalsh(fam.mean)[-1]
        ref = kron_growth([(1.0, *kappa_nu("bernoulli", fam.n, 4), fam.dense())], lr)
        with pytest.MonkeyPatch.context() as mp:
            route = _Route(mp)
            rho = sgd_recursion(fam, 4).growth(lr)
        assert abs(rho - ref) <= 1e-10 * max(ref, 1.0)
        assert (route.separable == 1 and route.ritz == 0) if expected else (route.separable == 0), \
            (spread, route.separable, route.ritz)


def test_a_second_recursion_on_the_family_reuses_its_gram_matrices():
    fam = gram_family(_clustered_gram(np.random.default_rng(4), 80, 9, 0.02))
    lr = 2.0 / np.linalg.eigvalsh(fam.mean)[-1]
    with pytest.MonkeyPatch.context() as mp:
        _Route(mp)
        sgd_recursion(fam, 4).growth(lr)
        kern = fam.__dict__["_separable_kernel"]
        built = kern.built
        sgd_recursion(fam, 4).growth(0.5 * lr)
        assert fam.__dict__["_separable_kernel"] is kern and kern.built >= built > 0


@settings(max_examples=20, deadline=None)
@given(N=st.integers(2, 12), r=st.integers(1, 6), spread=st.floats(0.0, 0.5), gap=st.floats(0.05, 2.0),
       seed=st.integers(0, 2**16))
def test_explicit_phi_equals_the_four_index_sum(N, r, spread, gap, seed):
    """sum_kl C_kl G_k * G_l equals sum_ab W_ab F_ia F_ib F_ja F_jb within the certified error."""
    rng = np.random.default_rng(seed)
    x = 1.0 + spread * rng.uniform(-1.0, 1.0, r)
    R = rng.standard_normal((N, r))
    a = 1.0 - 0.5 * x
    W = 1.0 / (np.outer(a, a).max() + gap - np.outer(a, a))
    kern = _separable.SeparableKernel(x, R)
    got = kern.fit(W)
    if got is None:  # not separable to the tolerance with the terms allowed: nothing to compare
        return
    C, err = got
    assert err <= _separable._SEP_RTOL
    P = np.polynomial.chebyshev.chebvander(kern.t, C.shape[0] - 1)
    fitted = P @ C @ P.T
    assert np.max(np.abs(fitted - W) / W) <= err + 1e-13  # the reported error is the true one (to rounding)
    Phi = _separable._contract(kern.grams(C.shape[0]), C).reshape(N, N)
    direct = np.einsum("ab,ia,ib,ja,jb->ij", W, R, R, R, R)
    scale = np.einsum("ab,ia,ib,ja,jb->ij", W, np.abs(R), np.abs(R), np.abs(R), np.abs(R))
    assert np.all(np.abs(Phi - direct) <= 1e-11 * scale + 1e-300)
