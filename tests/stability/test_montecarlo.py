import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.randmat.families import dexter_construction, random_family
from rmtcheck.stability.montecarlo import DexterProtocol, divergence_fraction, second_moment_mc, simulate_sgd
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.stability.sampling import SAMPLING_MODELS
from rmtcheck.studies.dexter.experiments import (
    _membership,
    hessian_test_grid,
    hessian_test_lyapunov,
    hessian_test_mc_cell,
)


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(6, 30), d=st.integers(2, 6),
       model=st.sampled_from(SAMPLING_MODELS))
def test_population_mc_agrees_with_exact_at_margins(seed, n, d, model):
    rng = np.random.default_rng(seed)
    fam, _ = random_family(rng, n, d, ["gaussian", "clustered", "wishart"][seed % 3])
    B = max(1, n // 4)
    exact = sgd_recursion(fam, B, sampling=model)
    e = exact.critical_lr()
    rec = sgd_recursion(fam, B, sampling=model, restrict_to_range=False)
    lo = second_moment_mc(rec, 0.9 * e, steps=120, samples=256, rng=rng)
    hi = second_moment_mc(rec, 1.1 * e, steps=120, samples=256, rng=rng)
    assert lo.ms_growth < 1 < hi.ms_growth
    # and the estimate is close to the exact factor (5 standard errors + 2% for the finite-R bias)
    for est, f in ((lo, 0.9), (hi, 1.1)):
        assert abs(est.ms_growth - exact.growth(f * e)) < 5 * est.stderr + 0.02 * exact.growth(f * e)


def test_paths_never_overflow_or_nan():
    fam = dexter_construction(20, 2, 2.0)
    res = simulate_sgd(fam, 5.0, 1, sampling="without_replacement", steps=500, runs=50, rng=0)
    assert np.all(~np.isnan(res.log_norms))
    assert res.lyapunov > 0.3 and np.isfinite(res.lyapunov_stderr)  # exact: 0.1 log 99 = 0.46


def test_lyapunov_of_a_deterministic_scalar_recursion_is_exact():
    res = simulate_sgd(np.array([[1.0], [1.0]]), 0.3, 2, sampling="without_replacement", steps=100, runs=4, rng=1)
    assert np.isclose(res.lyapunov, np.log(0.7), rtol=1e-12) and res.lyapunov_stderr < 1e-12


def test_exact_zero_gives_minus_infinity_not_nan():
    res = simulate_sgd(np.array([[1.0]]), 1.0, 1, sampling="without_replacement", steps=10, runs=3, rng=0)
    assert res.lyapunov == -np.inf and res.lyapunov_stderr == 0.0 and res.ms_growth == 0.0


def test_reproducible_from_seed():
    fam = dexter_construction(10, 3)
    a = simulate_sgd(fam, 0.5, 2, steps=50, runs=8, rng=7).log_norms
    b = simulate_sgd(fam, 0.5, 2, steps=50, runs=8, rng=np.random.default_rng(7)).log_norms
    np.testing.assert_array_equal(a, b)


def test_exact_lyapunov_matches_simulation():
    n, s, B, lr = 30, 5, 3, 0.5
    exact = hessian_test_lyapunov(n, s, B, lr)
    res = simulate_sgd(dexter_construction(n, s), lr, B, sampling="without_replacement", steps=2000, runs=64, rng=3)
    # the top exponent is reached by the slowest-decaying coordinate; allow 5 s.e. + transient
    assert abs(res.lyapunov - exact) < 5 * res.lyapunov_stderr + 0.01


@pytest.mark.parametrize("B,sigma,lr,expect", [(1, 2, 0.8, 1.0), (40, 40, 0.5, 0.0), (2, 45, 0.5, 0.0), (3, 30, 0.8, 1.0)])
def test_specialised_hessian_test_mc_agrees_with_generic_simulator(B, sigma, lr, expect):
    n = 100
    rng = np.random.default_rng(0)
    X = _membership(rng, 10, 1000, n, B)
    w0 = rng.random((10, n - sigma + 1))
    fast = hessian_test_mc_cell(X, w0, sigma, B, lr)
    generic = divergence_fraction(dexter_construction(n, sigma), lr, B, DexterProtocol(), rng=1)
    assert fast == expect and generic == expect


def test_grid_is_deterministic_and_consistent():
    a = hessian_test_grid(B_values=[1, 10, 40], sigma_values=[1, 20], lrs=(0.8,), rng=5)
    b = hessian_test_grid(B_values=[1, 10, 40], sigma_values=[1, 20], lrs=(0.8,), rng=5)
    for k, v in a.as_dict().items():
        np.testing.assert_array_equal(v, b.as_dict()[k])
    # the exact MS boundary lies below the Lyapunov one: MS divergence wherever Lyapunov > 0
    assert np.all((a.lyapunov_wor > 0) <= (a.ms_growth_wor > 1))


def test_blow_up_rule_first_passage_and_both_scales():
    from rmtcheck.stability.montecarlo import BLOWUP_FACTOR, blew_up

    sq = np.array([[1.0, 999.0, 2.0], [2.0, 2000.0, 1.0], [1.0, 5.0, 1000.0], [4.0, 1.0, 3999.0]])
    expect = [False, True, True, False]  # run 2 returns below after crossing: first passage still counts
    assert blew_up(sq, scale="squared").tolist() == expect
    assert blew_up(0.5 * np.log(sq)).tolist() == expect  # the log-norm scale decides the same
    assert blew_up(sq, 10.0, scale="squared").all() and not blew_up(sq, 1500.0, scale="squared").any()
    assert BLOWUP_FACTOR == 1000.0
    with pytest.raises(ValueError, match="scale"):
        blew_up(sq, scale="linear")
