"""Exact mixed operators, pair family, critical alpha/eta, Lyapunov, noise extension (Chang & Khanna 2026)."""

import numpy as np
import pytest
from _families import random_pair
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.montecarlo import second_moment_mc, simulate
from rmtcheck.stability.noisy_unlearning import NoisyMixedDynamics
from rmtcheck.stability.operator import dense_growth, sgd_recursion
from rmtcheck.stability.pairs import PairFamily
from rmtcheck.stability.sampling import MIXED_SAMPLINGS
from rmtcheck.stability.unlearning import (
    critical_alpha,
    diagonal_lyapunov,
    escape_verdicts,
    mixed_critical_lr,
    mixed_growth,
    mixed_recursion,
)
from rmtcheck.studies.chang_khanna.constructions import (
    hessian_test_unlearning,
    least_squares_instance,
    random_unlearning_instance,
    tightness_construction,
    tightness_factor,
)


def _pair(seed, n_r=5, n_f=4, d=3, dense=False):
    return random_pair(seed, n_r, n_f, d, dense)


@given(seed=st.integers(0, 10**6), alpha=st.floats(0, 1), dense=st.booleans())
@example(seed=0, alpha=0.0, dense=False)
@example(seed=1, alpha=1.0, dense=True)
@settings(max_examples=20)
def test_pair_family_matches_brute_force(seed, alpha, dense):
    R, F = _pair(seed, dense=dense)
    P = PairFamily(R, F, alpha=alpha)
    Ds = P.dense()
    rng = np.random.default_rng(seed + 1)
    M = rng.standard_normal((3, 3)); M = M + M.T
    brute = np.einsum("pab,bc,pcd->ad", Ds, M, Ds)
    assert np.allclose(P.sum_sandwich(M), brute, rtol=1e-10, atol=1e-10 * np.abs(brute).max())
    assert np.allclose(P.mean, Ds.mean(axis=0))
    assert np.allclose(P.top_eigenvalues, np.abs(np.linalg.eigvalsh(Ds)).max(axis=1), rtol=1e-10, atol=1e-12)
    C = rng.random((4, P.n)); X = rng.standard_normal((4, 3))
    assert np.allclose(P.weighted_apply(C, X), np.einsum("rp,pab,rb->ra", C, Ds, X))
    assert np.allclose(P.weighted_sum(C), np.einsum("rp,pab->rab", C, Ds))


@given(seed=st.integers(0, 10**6), alpha=st.floats(0.01, 0.99), u=st.floats(0.05, 2.0),
       sampling=st.sampled_from(MIXED_SAMPLINGS))
@settings(max_examples=20)
def test_matrix_free_equals_dense_kronecker(seed, alpha, u, sampling):
    R, F = _pair(seed)
    rec = mixed_recursion(R, F, 2, alpha=alpha, sampling=sampling)
    lr = u / max(R.lambda_max, F.lambda_max)
    assert abs(rec.growth(lr) - dense_growth(rec.dense_matrix(lr))) <= 1e-9 * max(1, rec.growth(lr))


def test_independent_bernoulli_by_enumeration():
    """E[J M J] by enumerating all 2^(n_r + n_f) batches equals the operator (tiny sizes)."""
    R, F = _pair(3, n_r=3, n_f=3, d=2)
    a, B, lr = 0.3, 2, 0.4
    rec = mixed_recursion(R, F, B, alpha=a, sampling="independent_bernoulli", restrict_to_range=False)
    M = np.array([[1.0, 0.3], [0.3, 2.0]])
    Ar, Af = R.dense(), F.dense()
    out = np.zeros((2, 2))
    import itertools
    for xr in itertools.product((0, 1), repeat=3):
        for xf in itertools.product((0, 1), repeat=3):
            p = np.prod([(B / 3) if x else 1 - B / 3 for x in xr + xf])
            Hr = np.tensordot(np.array(xr, float), Ar, 1) / B
            Hf = np.tensordot(np.array(xf, float), Af, 1) / B
            J = np.eye(2) - lr * (1 - a) * Hr + lr * a * Hf
            out += p * J @ M @ J
    assert np.allclose(out, rec.apply(M, lr), rtol=1e-12)


@pytest.mark.parametrize("sampling", MIXED_SAMPLINGS)
def test_monte_carlo_matches_exact_with_margins(sampling):
    R, F = _pair(11, n_r=8, n_f=6, d=3)
    rec = mixed_recursion(R, F, 2, alpha=0.1, sampling=sampling)
    eta = rec.critical_lr() if np.linalg.eigvalsh(rec.mean)[0] > 0 else None
    eta = eta or mixed_critical_lr(R, F, 2, alpha=0.1, sampling=sampling)
    assert 0 < eta < np.inf
    lo = second_moment_mc(rec, 0.85 * eta, steps=120, samples=256, rng=1).ms_growth
    hi = second_moment_mc(rec, 1.15 * eta, steps=120, samples=256, rng=2).ms_growth
    assert lo < 1 < hi
    assert abs(rec.growth(eta) - 1) < 1e-8


@given(nr=st.integers(2, 40), nf=st.integers(2, 40), data=st.data())
@settings(max_examples=20)
def test_tightness_closed_form_and_orthogonal(nr, nf, data):
    sr, sf = data.draw(st.integers(1, nr)), data.draw(st.integers(1, nf))
    B = data.draw(st.integers(1, min(nr, nf)))
    a, lr = data.draw(st.floats(0.001, 1.0)), data.draw(st.floats(0.01, 2.0))
    R, F = tightness_construction(nr, sr, 1.3, nf, sf, 0.7)
    rho = mixed_growth(R, F, lr, B, alpha=a)
    assert abs(rho - tightness_factor(lr, a, 1.3, 0.7, nr, nf, sr, sf, B)) <= 1e-10 * max(1, rho)
    R, F = tightness_construction(nr, sr, 1.3, nf, sf, 0.7, theta=np.pi / 2)
    for s in ("independent_bernoulli", "without_replacement", "pair_bernoulli"):
        assert mixed_growth(R, F, lr, B, alpha=a, sampling=s) >= (1 + lr * a * 0.7) ** 2 * (1 - 1e-12) > 1
        assert mixed_critical_lr(R, F, B, alpha=a, sampling=s) == 0.0


@given(seed=st.integers(0, 10**6), B=st.integers(1, 4), u=st.floats(0.05, 3.0))
@settings(max_examples=15)
def test_alpha_zero_is_sgd_on_retain(seed, B, u):
    R, F = _pair(seed, n_r=6, n_f=5)
    lr = u / R.lambda_max
    assert abs(mixed_growth(R, F, lr, B, alpha=0.0) - sgd_recursion(R, B).growth(lr)) <= 1e-10 * max(1, sgd_recursion(R, B).growth(lr))
    # pair bernoulli at alpha = 0 is a different batch model (nu' = (1 - B/N)/(n_r B)): it differs from SGD
    g_pair = mixed_growth(R, F, lr, B, alpha=0.0, sampling="pair_bernoulli")
    N = R.n * F.n
    Hs = R.dense()
    A = np.eye(3) - lr * R.mean
    T = np.kron(A, A) + lr**2 * (1 - B / N) / (R.n * B) * np.einsum("iab,icd->acbd", Hs, Hs).reshape(9, 9)
    assert abs(g_pair - dense_growth(T)) <= 1e-9 * max(1, g_pair)


def test_critical_alpha_and_lr_are_boundaries():
    R, F = tightness_construction(40, 8, 2.0, 10, 3, 1.0)
    a = critical_alpha(R, F, 0.2, 3)
    assert 0 < a < 1
    assert mixed_growth(R, F, 0.2, 3, alpha=a) == pytest.approx(1.0, abs=1e-8)
    assert mixed_growth(R, F, 0.2, 3, alpha=max(a - 1e-3, 0)) < 1 < mixed_growth(R, F, 0.2, 3, alpha=min(a + 1e-3, 1))
    eta = mixed_critical_lr(R, F, 3, alpha=0.05)
    assert mixed_growth(R, F, 0.99 * eta, 3, alpha=0.05) < 1 < mixed_growth(R, F, 1.01 * eta, 3, alpha=0.05)


@given(seed=st.integers(0, 2**31 - 1), lr_factor=st.floats(0.05, 1.5), B=st.integers(1, 6),
       sampling=st.sampled_from(MIXED_SAMPLINGS), a=st.floats(0.01, 1), b=st.floats(0.01, 1))
@example(seed=538781663, lr_factor=0.1247, B=2, sampling="independent_bernoulli", a=0.05, b=0.9)
@example(seed=5, lr_factor=0.8, B=2, sampling="independent_bernoulli", a=0.46, b=0.1)  # resists on (0.216, 0.481)
@example(seed=5, lr_factor=0.8, B=2, sampling="independent_bernoulli", a=0.226, b=0.1)
@settings(max_examples=15, deadline=None)
def test_growth_is_convex_in_alpha_and_resist_set_is_an_interval(seed, lr_factor, B, sampling, a, b):
    """rho(T(alpha)) is a maximum of convex quadratics in alpha (J = P + alpha Q, Q >= 0)."""
    from rmtcheck.stability.unlearning import resist_interval

    inst = random_unlearning_instance(seed, n_max=8, d_max=4)
    R, F = inst["retain"], inst["forget"]
    B = min(B, R.n, F.n)
    lr = lr_factor * 2.0 / np.linalg.eigvalsh(R.mean)[-1]
    rho = lambda x: mixed_growth(R, F, lr, B, alpha=x, sampling=sampling)  # noqa: E731
    m = 0.5 * (a + b)
    assert rho(m) <= 0.5 * (rho(a) + rho(b)) + 1e-9 * max(rho(a), rho(b))
    iv = resist_interval(R, F, lr, B, sampling=sampling)
    a_star = critical_alpha(R, F, lr, B, sampling=sampling)
    for x in (a, b, m):
        inside = iv is not None and iv[0] + 1e-7 < x < iv[1] - 1e-7
        outside = iv is None or x < iv[0] - 1e-7 or x > iv[1] + 1e-7
        if inside:
            assert rho(x) < 1
        elif outside:
            assert rho(x) >= 1 - 1e-12
        if x > a_star + 1e-7:
            assert rho(x) >= 1 - 1e-12


def test_forget_outside_retain_range_escapes_for_every_positive_alpha():
    R = HessianFamily.from_factors(np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]))
    F = HessianFamily.from_factors(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    assert critical_alpha(R, F, 0.1, 1) == 0.0
    assert mixed_growth(R, F, 0.1, 1, alpha=1e-6) > 1


def test_identical_families_at_half_alpha_escape_through_noise():
    """alpha = 1/2 and retain = forget: Dbar = 0 (no mean curvature), noise alone escapes; no NaN, no inf."""
    R, F = hessian_test_unlearning(20, 5)
    assert mixed_critical_lr(R, F, 2, alpha=0.5) == 0.0
    assert mixed_growth(R, F, 0.3, 2, alpha=0.5) > 1
    assert mixed_growth(R, F, 0.3, 20, alpha=0.5, sampling="without_replacement") == pytest.approx(1.0)  # full batch: J = I
    assert mixed_critical_lr(R, F, 20, alpha=0.5, sampling="without_replacement") == np.inf  # nothing moves: never escapes


@pytest.mark.parametrize("sampling", ["independent_bernoulli", "without_replacement"])
def test_diagonal_lyapunov_matches_simulation(sampling):
    R, F = hessian_test_unlearning(30, 6)
    for B in (2, 12):
        lam = diagonal_lyapunov(R, F, 0.8, B, alpha=0.1, sampling=sampling)
        res = simulate(mixed_recursion(R, F, B, alpha=0.1, sampling=sampling), 0.8, steps=1500, runs=120, rng=B)
        assert abs(res.lyapunov - lam) < 5 * res.lyapunov_stderr + 0.01


def test_escape_verdicts_name_their_notions():
    R, F = _pair(5, n_r=8, n_f=6)
    v = escape_verdicts(R, F, 0.05, 2, alpha=0.1, sampling="pair_bernoulli", rng=0, steps=200, runs=32)
    assert set(v) == {"mean-square", "almost-sure"}
    assert v["mean-square"].notion == "mean-square" and v["almost-sure"].notion == "almost-sure"
    assert v["mean-square"].escapes == (v["mean-square"].value > 1)


def test_noise_extension_bounded_below_and_same_threshold():
    R, F, gr, gf = least_squares_instance(12, 6, 3, 1.0, rng=4)
    dyn = NoisyMixedDynamics(R, F, gr, gf, 2, alpha=0.1)
    eta = mixed_critical_lr(R, F, 2, alpha=0.1)
    M, m = dyn.stationary(0.5 * eta)
    tr = dyn.iterate(0.5 * eta, 2000)
    assert np.trace(M) > 0 and abs(tr[-1] - np.trace(M)) < 1e-6 * np.trace(M)
    lt = dyn.log_second_moment(1.3 * eta, 800)
    rate = np.exp((lt[-1] - lt[-301]) / 300)
    assert abs(np.log(rate) / np.log(dyn.rec.growth(1.3 * eta)) - 1) < 0.05
    # Monte Carlo of the noisy paths agrees with the stationary second moment (margin 15 %)
    sim = dyn.simulate(0.5 * eta, steps=600, runs=3000, rng=1)
    assert abs(sim[-200:].mean() / np.trace(M) - 1) < 0.15
    with pytest.raises(ValueError, match="rho"):
        dyn.stationary(1.3 * eta)


def test_bad_inputs_raise_value_errors():
    R, F = _pair(0)
    with pytest.raises(ValueError, match="alpha"):
        mixed_recursion(R, F, 2, alpha=1.5)
    with pytest.raises(ValueError, match="sampling"):
        mixed_recursion(R, F, 2, alpha=0.1, sampling="bernoulli")
    with pytest.raises(ValueError, match="batch"):
        mixed_recursion(R, F, 50, alpha=0.1)
    with pytest.raises(ValueError, match="dimension"):
        mixed_recursion(R, HessianFamily.from_factors(np.ones((3, 4))), 2, alpha=0.1)
    with pytest.raises(ValueError, match="range"):
        NoisyMixedDynamics(HessianFamily.from_factors(np.eye(3)[:2]), HessianFamily.from_factors(np.eye(3)[:2]), np.ones((2, 3)), np.ones((2, 3)), 1, alpha=0.1)


@pytest.mark.parametrize("sampling", ["pair_bernoulli", "independent_bernoulli", "without_replacement"])
def test_mixed_recursion_works_on_the_common_range(sampling):
    """Curvature only in 3 of 6 coordinates: every batch model (the pair family too) is restricted to the
    range of (1-a)H_r + aH_f, and its growth equals that of the explicitly projected families."""
    rng = np.random.default_rng(4)
    G = np.zeros((6, 6)); G[:, :3] = rng.standard_normal((6, 3))
    K = np.zeros((4, 6)); K[:, :3] = rng.standard_normal((4, 3))
    rec = mixed_recursion(G, K, 2, alpha=0.2, sampling=sampling)
    assert rec.range_dim == 3 and rec.restricted
    assert (rec.sampling, rec.alpha, rec.batch) == (sampling, 0.2, 2)
    ref = mixed_recursion(G[:, :3], K[:, :3], 2, alpha=0.2, sampling=sampling)
    assert not ref.restricted
    lr = 0.2 * mixed_critical_lr(G, K, 2, alpha=0.2, sampling=sampling)
    g = rec.growth(lr)
    assert g < 1  # unrestricted, the null directions would give exactly 1
    assert g == pytest.approx(ref.growth(lr), rel=1e-10)
