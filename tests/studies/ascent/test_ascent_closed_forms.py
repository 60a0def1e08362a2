"""Block-orthogonal closed forms (Lemmas 2–5, Corollary 1, first step): vectorised property tests.

Hypothesis draws seeds and sizes; each example evaluates thousands of parameter tuples at once
(vectorised Lambert W), plus ordinary single-tuple properties with pinned edge cases.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from rmtcheck.studies import ascent as A

N = 5000


def draw(seed, n=N):
    g = np.random.default_rng(seed)
    R = g.integers(20, 5000, n).astype(float)
    F = np.maximum(1.0, np.floor(R * g.uniform(0.01, 1.0, n)))
    Rj = np.maximum(1.0, np.floor(R * g.uniform(0.001, 1.0, n)))
    lam = 10 ** g.uniform(-6, 1, n)
    return g, R, F, Rj, lam


@given(seed=st.integers(0, 2**32 - 1))
def test_lemma3_ordering_vectorised(seed):
    g, R, F, Rj, lam = draw(seed)
    lo, hi = A.lemma3_range(R, F)
    assert np.all(lo < hi)
    alpha = lo + g.uniform(0, 1, N) * (hi - lo)
    s = A.block_solution(R, F, Rj, alpha, lam)
    assert np.all(s.w_da <= s.w_pretrain + 1e-12)
    assert np.all(s.w_pretrain <= s.w_retrain + 1e-12)
    assert np.all(s.da_harmful)
    # below the range: DA helps but undershoots
    s2 = A.block_solution(R, F, Rj, lo * g.uniform(0, 1, N), lam)
    assert np.all((s2.w_pretrain <= s2.w_da + 1e-12) & (s2.w_da <= s2.w_retrain + 1e-12))


@given(seed=st.integers(0, 2**32 - 1))
def test_lemma2_stationarity_and_cases_vectorised(seed):
    g = np.random.default_rng(seed)
    c = np.sinh(g.uniform(-8, 8, N)) * 0.1
    lam = 10 ** g.uniform(-6, 1, N)
    wmin, wmax, case = A.lambert_stationary(c, lam)
    assert np.array_equal(case == 2, c < -lam / np.e)
    assert np.array_equal(case == 0, c >= 0)
    m = case < 2
    resid = -c[m] * np.exp(-wmin[m]) + lam[m] * wmin[m]
    assert np.all(np.abs(resid) <= 1e-9 * (np.abs(c[m]) * np.exp(-wmin[m]) + lam[m] * np.abs(wmin[m]) + 1e-300))
    assert np.all(wmin[m] >= -1 - 1e-9)  # W0 branch, a minimum (L'' = lam (w + 1) > 0)
    k = case == 1
    assert np.all(wmax[k] <= -1 + 1e-9) and np.all(np.isnan(wmax[~k]))
    assert np.all(np.isneginf(wmin[case == 2]))


@given(seed=st.integers(0, 2**32 - 1))
def test_lemma4_and_first_step_vectorised(seed):
    g, R, F, Rj, lam = draw(seed)
    alpha = 10 ** g.uniform(-4, 1, N)
    s = A.block_solution(R, F, Rj, alpha, lam)
    bound = np.abs(np.log((1 + alpha) * R / (R + F)))
    assert np.all(np.abs(s.w_pretrain - s.w_retrain) <= bound + 1e-12)
    lo, hi = A.lemma3_range(R, F)
    inside = (alpha > lo * (1 + 1e-9)) & (alpha < hi * (1 - 1e-9))
    outside = (alpha < lo * (1 - 1e-9)) | (alpha > hi * (1 + 1e-9))
    assert np.all(s.first_step_away[inside]) and not np.any(s.first_step_away[outside])
    direct = -s.c_da * np.exp(-s.w_pretrain) + lam * s.w_pretrain
    np.testing.assert_allclose(direct, s.first_step_gradient, rtol=1e-8, atol=1e-12)


@given(seed=st.integers(0, 2**32 - 1))
def test_lemma5_and_corollary1(seed):
    g, R, F, Rj, lam = draw(seed)
    _, hi = A.lemma3_range(R, F)
    s = A.block_solution(R, F, Rj, hi * (1 + g.uniform(0, 0.3, N) ** 3), lam)
    has = s.da_case != 2
    assert np.all(np.abs(s.w_retrain - s.w_da)[has] >= s.w_retrain[has] * (1 - 1e-9) - 1e-12)
    # corollary 1 with integer counts so that c_DA is exactly 0
    k = g.integers(1, 20, 50)
    lams = 10.0 ** -np.arange(2, 15)
    sc = A.block_solution_counts(3 * k, 2 * k, lams[:, None])
    assert np.all(sc.w_da == 0.0)
    np.testing.assert_allclose(sc.w_pretrain, sc.w_retrain, rtol=1e-12)
    dist = np.abs(sc.w_retrain - sc.w_da)
    assert np.all(np.diff(dist, axis=0) > 0)
    L = np.log(sc.c_retrain / lams[-1])
    ratio = dist[-1] / L
    assert np.all((ratio >= 1 - np.log(L) / L) & (ratio <= 1))  # grows like ln(1/lambda)


@given(R=st.integers(2, 5000), fF=st.floats(0.01, 1.0), fRj=st.floats(0.001, 1.0), u=st.floats(0, 1),
       loglam=st.floats(-6, 1))
@example(R=900, fF=1 / 9, fRj=0.1, u=0.0, loglam=-2)  # alpha at the lower end: w_DA = w_D
@example(R=900, fF=1 / 9, fRj=0.1, u=1.0, loglam=-2)  # alpha = |F|/|R|: w_D = w_R, w_DA = 0
def test_lemma3_single(R, fF, fRj, u, loglam):
    F = max(1.0, np.floor(R * fF))
    Rj = max(1.0, np.floor(R * fRj))
    lo, hi = A.lemma3_range(R, F)
    alpha = float(lo + u * (hi - lo))
    s = A.block_solution(R, F, Rj, alpha, 10.0**loglam)
    assert s.w_da <= s.w_pretrain + 1e-9 * (1 + abs(s.w_pretrain))
    assert s.w_pretrain <= s.w_retrain + 1e-9 * (1 + abs(s.w_retrain))
    if u == 1.0:
        assert abs(s.w_da) < 1e-6 and abs(s.w_pretrain - s.w_retrain) < 1e-9 * (1 + s.w_retrain)


@given(seed=st.integers(0, 2**32 - 1), K=st.integers(1, 6), loss=st.sampled_from(["exp", "logistic"]))
@settings(max_examples=10)
def test_design_matrix_equals_reduction_and_scipy(seed, K, loss):
    g = np.random.default_rng(seed)
    r = g.integers(1, 40, K)
    f = g.integers(0, 10, K)
    f[0] += 1
    lam = float(10 ** g.uniform(-2, 0))
    P = A.block_problem(r, f, lam, loss=loss)
    for kind in ("pretrain", "retrain"):
        w, ok = A.newton_minimize(P, kind)
        assert ok
        res = minimize(lambda v: P.value(kind, v), np.zeros(K), jac=lambda v: P.grad(kind, v),
                       hess=lambda v: P.hessian(kind, v), method="trust-exact", options={"gtol": 1e-13})
        np.testing.assert_allclose(w, res.x, atol=1e-8)
        if loss == "exp":
            s = A.block_solution_counts(r, f, lam)
            np.testing.assert_allclose(w, getattr(s, f"w_{kind}"), atol=1e-10)


def test_alpha_and_counts_forms_agree():
    # coordinate 0: R_j = 90, F_j = 9 (alpha = 0.1) inside a data set with |R| = 900, |F| = 100
    r = np.full(10, 90)
    f = np.array([9, 10, 10, 10, 10, 10, 10, 10, 10, 11])
    s_counts = A.block_solution_counts(r, f, 0.01)
    s_alpha = A.block_solution(900, 100, 90, 9 / 90, 0.01)
    for name in ("w_pretrain", "w_retrain", "w_da"):
        assert float(getattr(s_alpha, name)) == pytest.approx(float(getattr(s_counts, name)[0]), rel=1e-12)


def test_proof_module_matches_numerics():
    from rmtcheck.proofs import ascent_alternating, ascent_block, ascent_correlated

    ascent_block.check()
    ascent_alternating.check()
    ascent_correlated.check()


@pytest.mark.parametrize("kw, msg", [
    ({"n_retain": 0}, "n_retain"), ({"alpha": -0.1}, "alpha"), ({"retain_j": 1e6}, "retain_j"),
])
def test_bad_input_raises(kw, msg):
    args = {"n_retain": 900, "n_forget": 100, "retain_j": 90, "alpha": 0.05, "ridge": 0.01, **kw}
    with pytest.raises(ValueError, match=msg):
        A.block_solution(**args)
    with pytest.raises(ValueError, match="ridge"):
        A.block_solution(900, 100, 90, 0.05, 0.0)
