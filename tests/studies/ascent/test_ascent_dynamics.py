"""Dynamics, correlated case, toy, random forget sets and metrics of the ascent package."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.studies import ascent as A


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=10)
def test_coordinate_gd_outcomes_match_cases(seed):
    g = np.random.default_rng(seed)
    n = 2000
    c = g.uniform(-0.5, 0.5, n)
    lam = 10 ** g.uniform(-3, 0, n)
    w0 = g.uniform(0.0, 3.0, n)
    wmin, wmax, case = A.lambert_stationary(c, lam)
    w_fin = np.where(np.isfinite(wmin), wmin, 0.0)
    lr = 0.5 / (lam * (np.abs(w_fin) + 2) + np.abs(c) * np.exp(-np.minimum(w0, 0)))
    path, div = A.coordinate_gd(c, lam, w0, lr, 3000, record_every=3000)
    assert np.all(div[case == 2])  # no stationary point: runs off to -inf
    assert not np.any(div[case == 0])  # global minimum: converges
    conv = case == 0
    np.testing.assert_allclose(path[-1][conv], wmin[conv], atol=1e-6)
    assert np.all(np.isneginf(path[-1][div]))


def test_general_trajectories_no_overflow_and_divergence_is_an_outcome():
    r, f = np.array([30, 20, 50]), np.array([3, 1, 6])
    P = A.block_problem(r, f, 0.05)
    s = A.block_solution_counts(r, f, 0.05)
    with np.errstate(all="raise"):
        tr = A.gradient_descent(P, "da", s.w_pretrain, lr=1.0, max_iter=20000)
    assert tr.status == "diverged"
    assert s.da_case_names[2] == "no-stationary-point"
    # batched starts advance together
    tr2 = A.gradient_descent(P, "retrain", np.zeros((4, 3)), lr=1.0, max_iter=20000, tol=1e-11)
    assert np.all(tr2.status == "converged")
    np.testing.assert_allclose(tr2.final, np.broadcast_to(s.w_retrain, (4, 3)), atol=1e-9)


def test_alternating_da_matches_ridge_two_lambda_to_first_order():
    r, f = np.array([60, 40]), np.array([2, 2])  # c_DA = (0.1, -0.1); with ridge 0.4 both have a minimum
    P = A.block_problem(r, f, 0.2)
    # fixed point of alternating DA with small lr is close to simultaneous DA with ridge 2*lam
    P2 = A.block_problem(r, f, 0.4)
    w_sim, ok = A.newton_minimize(P2, "da", w0=np.ones(2))
    assert ok
    np.testing.assert_allclose(w_sim, A.block_solution_counts(r, f, 0.4).w_da, atol=1e-10)
    tr = A.alternating_da(P, np.ones(2), lr=1e-2, max_iter=200000, tol=1e-10)
    assert tr.status == "converged"
    err = np.abs(tr.final - w_sim).max()
    tr_big = A.alternating_da(P, np.ones(2), lr=4e-2, max_iter=200000, tol=1e-10)
    err_big = np.abs(tr_big.final - w_sim).max()
    assert err < 0.02 and 3 < err_big / err < 5  # an O(eta) gap: 4x the step, ~4x the gap


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=8)
def test_alternating_expansion_remainder_is_cubic(seed):
    g = np.random.default_rng(seed)
    n = 3000
    a, b = g.uniform(0.01, 1, n), g.uniform(0.01, 1, n)
    lam, w = 10 ** g.uniform(-3, 0, n), g.uniform(-2, 3, n)
    first = (a - b) * np.exp(-w) - 2 * lam * w
    second = (a - lam * w * np.exp(w)) * (b - lam * np.exp(w)) * np.exp(-2 * w)
    scale = 1.0 / (1 + np.abs(first) + np.sqrt(np.abs(second)))
    e1 = np.abs(A.alternating_coordinate_step(w, a, b, lam, 1e-2 * scale) - (w + 1e-2 * scale * first + (1e-2 * scale) ** 2 * second))
    e2 = np.abs(A.alternating_coordinate_step(w, a, b, lam, 5e-3 * scale) - (w + 5e-3 * scale * first + (5e-3 * scale) ** 2 * second))
    m = e1 > 1e-12
    assert np.all((e1[m] / e2[m] > 6) & (e1[m] / e2[m] < 10.5))
    # dropping the eta^2 term makes the remainder quadratic (ratio ~4): the check can fail
    e1b = np.abs(A.alternating_coordinate_step(w, a, b, lam, 1e-2 * scale) - (w + 1e-2 * scale * first))
    e2b = np.abs(A.alternating_coordinate_step(w, a, b, lam, 5e-3 * scale) - (w + 5e-3 * scale * first))
    mb = e1b > 1e-10
    assert np.median(e1b[mb] / e2b[mb]) < 5


def _corr(seed, n, where):
    """The verify rows' draw of correlated-case instances (one source for both)."""
    from rmtcheck.studies.ascent.statements import _corr_draw

    return _corr_draw(np.random.default_rng(seed), n, where)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=5)
def test_lemma6_and_lemma9(seed):
    R, F, Rij, alpha, lam, eps = _corr(seed, 1500, "above")
    co = A.correlated_coefficients(R, F, Rij, alpha)
    sol = A.solve_convex(*co["retrain"], lam, eps)
    x, y, w = A.oracle_margins(co["retrain"][0], lam, eps)
    np.testing.assert_allclose(sol.w, w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(y, 2 * eps / (1 + eps**2) * x)
    out = A.correlated_case(R, F, Rij, alpha, lam, eps, gd_steps=1500)
    ex = out["status"] == 0
    assert ex.sum() > 0
    assert np.all(out["da_min_eig"][ex] > 0) and np.all(out["da_grad_norm"][ex] <= 1e-9)
    assert np.all(out["x_da"][ex] <= out["x_pretrain"][ex] + 1e-7)
    assert np.all(out["y_da"][ex] <= out["y_pretrain"][ex] + 1e-7)


def test_lemma9_is_only_sufficient():
    R, F, Rij, alpha, lam, eps = _corr(3, 1500, "below")
    out = A.correlated_case(R, F, Rij, alpha, lam, eps, gd_steps=1500)
    ex = out["status"] == 0
    below = (out["x_da"] <= out["x_pretrain"] + 1e-7) & (out["y_da"] <= out["y_pretrain"] + 1e-7)
    assert np.any(ex & ~below)


def test_da_unbounded_along_direction():
    co = A.correlated_coefficients(900, 100, 90, 0.05)
    c1, c2 = co["da"]
    s = np.linspace(0, 600 / (1 - 0.25), 100)
    v = A.da_along_direction(c1, c2, 0.01, 0.5, s)
    assert v[-1] < -1e100 and np.all(np.diff(v[50:]) < 0)
    # without ascent (c2 = 0) the same direction is bounded below
    v0 = A.da_along_direction(c1, 0.0, 0.01, 0.5, s)
    assert np.all(v0 > 0)


def test_toy_default_pattern_and_finetune_report():
    c = A.toy_claim(**A.TOY_DEFAULT)
    assert c["pattern_pretrain"] == (3.0,) and c["pattern_retrain"] == (3.0,) and c["pattern_da"] == (4.0,)
    assert c["pattern_claim"]
    # fine-tuning to convergence returns to the oracle pattern in this loss form (one basin of L_R)
    assert c["n_local_minima_retrain"] == 1 and not c["finetune_claim"]
    # the variant with two retrain basins reproduces both claims
    c2 = A.toy_claim("pm1", "sum", "half")
    assert c2["reproduces"]


def test_toy_loss_gradient_matches_finite_differences():
    g = np.random.default_rng(0)
    for form in [("01", "sum", "lambda"), ("pm1", "mean", "half")]:
        L = A.toy_loss("da", *form)
        th = g.normal(size=2)
        h = 1e-6
        fd = np.array([(L.value(th + h * e) - L.value(th - h * e)) / (2 * h) for e in np.eye(2)])
        np.testing.assert_allclose(L.grad(th), fd, rtol=1e-6, atol=1e-8)


def test_hoeffding_bound_holds_empirically():
    h = A.hoeffding_experiment(n=200, n_forget=50, n_splits=400, rng=1)
    dev = np.abs(h["acc_forget"] - h["acc_population"])
    for e in (0.1, 0.15, 0.2):
        b = float(A.hoeffding_bound(50, e))
        assert np.mean(dev > e) <= b + 3 * np.sqrt(b * (1 - b) / 400) + 1e-3
    # the two-set bound is looser than the one-set bound
    assert A.hoeffding_bound(50, 0.1, n_test=2000) > A.hoeffding_bound(50, 0.1)


def test_random_vs_structured_forget_sets():
    counts = np.full(100, 100)
    u = A.random_forget_block(counts, 1000, 0.01, rng=1, trials=20)
    s = A.random_forget_block(counts, 1000, 0.01, rng=2, structured=True, trials=20)
    assert np.median(u["ratio_local"]) > 1 > np.median(s["ratio_local"])
    assert np.mean(u["dist_pretrain"]) < np.mean(s["dist_pretrain"])
    assert np.all(A.random_forget_counts(counts, 1000, rng=3, trials=5).sum(1) == 1000)
    assert np.all(A.random_forget_counts(counts, 1000, rng=3, structured=True, trials=5).sum(1) == 1000)


@given(seed=st.integers(0, 2**32 - 1), M1=st.integers(1, 300), M2=st.integers(1, 300), n=st.integers(1, 40))
@example(seed=0, M1=1, M2=1, n=1)
def test_klom_properties(seed, M1, M2, n):
    g = np.random.default_rng(seed)
    P = g.standard_normal((M1, n)) * g.uniform(0.1, 300) + g.uniform(-5, 5)
    Q = g.standard_normal((M2, n)) * g.uniform(0.1, 300)
    k = A.klom_per_point(P, Q)
    assert np.all(k >= 0)
    assert np.all(A.klom_per_point(P, P) == 0)
    pi = g.permutation(n)
    np.testing.assert_allclose(A.klom_per_point(P[g.permutation(M1)][:, pi], Q[g.permutation(M2)][:, pi]), k[pi], atol=1e-12)
    assert A.klom(P[:, pi], Q[:, pi]) == pytest.approx(A.klom(P, Q), abs=1e-12)


def test_klom_detects_difference_and_margins():
    g = np.random.default_rng(1)
    P = g.normal(5, 1, (100, 10))
    Q = g.normal(0, 1, (100, 10))
    assert A.klom(P, Q) > 5
    logits = np.array([[2.0, 0.0, -1.0]])
    m = A.margins_from_logits(logits, np.array([0]))
    assert m[0] == pytest.approx(2.0 - np.log(np.exp(0.0) + np.exp(-1.0)))
    with pytest.raises(ValueError, match="labels"):
        A.margins_from_logits(logits, np.array([3]))


def test_metrics_and_problem_validation():
    X, y, forget = A.block_design(np.array([5, 5]), np.array([1, 0]))
    P = A.AscentProblem(X, y, forget, loss="logistic", ridge=0.1)
    w, ok = A.newton_minimize(P, "retrain")
    m = P.set_metrics(w)
    assert m["retain_accuracy"] == 1.0 and m["forget_accuracy"] == 1.0
    acc, loss = A.accuracy_and_loss(X, y, w)
    assert acc == 1.0 and loss > 0
    assert A.distance_to_oracle(np.array([-np.inf, 0.0]), w) == np.inf
    with pytest.raises(ValueError, match="loss"):
        A.AscentProblem(X, y, forget, loss="hinge")
    with pytest.raises(ValueError, match="forget"):
        A.AscentProblem(X, y, np.zeros(y.size, bool))
    with pytest.raises(ValueError, match="ridge"):
        A.AscentProblem(X, y, forget, ridge=-1.0)
