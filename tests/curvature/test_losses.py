"""The three losses of ``rmtcheck.curvature._losses`` against independent references.

References written here from the definitions (not the package's code): the losses by ``math`` formulas,
their output gradients and Hessians by central finite differences of those formulas. Then
:math:`\\Lambda^{1/2}\\Lambda^{1/2\\top} = \\Lambda`, :math:`\\nabla\\ell = J^\\top \\partial\\ell/\\partial f = F c` and
:math:`F F^\\top = J^\\top \\Lambda J` for random Jacobians, for all three losses.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmtcheck.curvature import (
    CURVATURE_FLOOR,
    LOSSES,
    gauss_newton_factors,
    gradient_coefficients,
    hessian_sqrt,
    output_gradient,
    output_hessian,
    per_sample_losses,
)

# --------------------------------------------------------------------------------------------------
# independent references

def ref_loss(f, y, loss):
    """One sample's loss from the textbook formulas (plain Python floats)."""
    f = [float(v) for v in f]
    if loss == "mse":
        return 0.5 * sum((a - b) ** 2 for a, b in zip(f, y))
    if loss == "bce":
        z = f[0]
        p = 1.0 / (1.0 + math.exp(-z))
        return -(y * math.log(p) + (1 - y) * math.log(1.0 - p))
    top = max(f)
    return top + math.log(sum(math.exp(v - top) for v in f)) - f[y]


def fd_grad(f, y, loss, h=1e-6):
    f = np.asarray(f, float)
    out = np.empty(f.size)
    for a in range(f.size):
        e = np.zeros(f.size); e[a] = h
        out[a] = (ref_loss(f + e, y, loss) - ref_loss(f - e, y, loss)) / (2 * h)
    return out


def fd_hess(f, y, loss, h=1e-3):
    f = np.asarray(f, float)
    m = f.size
    H = np.empty((m, m))
    for a in range(m):
        for b in range(m):
            ea = np.zeros(m); ea[a] = h
            eb = np.zeros(m); eb[b] = h
            H[a, b] = (ref_loss(f + ea + eb, y, loss) - ref_loss(f + ea - eb, y, loss)
                       - ref_loss(f - ea + eb, y, loss) + ref_loss(f - ea - eb, y, loss)) / (4 * h * h)
    return H


def draw_case(data, loss, n_max=4):
    n = data.draw(st.integers(1, n_max), label="n")
    m = 1 if loss == "bce" else data.draw(st.integers(2 if loss == "ce" else 1, 5), label="m")
    logits = st.floats(-6.0, 6.0, allow_nan=False)
    f = np.array(data.draw(st.lists(st.lists(logits, min_size=m, max_size=m), min_size=n, max_size=n),
                           label="outputs"))
    if loss == "mse":
        y = np.array(data.draw(st.lists(st.lists(logits, min_size=m, max_size=m), min_size=n, max_size=n),
                               label="targets"))
    elif loss == "bce":
        y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n), label="targets"))
    else:
        y = np.array(data.draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n), label="targets"))
    return f, y


# --------------------------------------------------------------------------------------------------
# property tests, every loss

@pytest.mark.parametrize("loss", LOSSES)
@given(data=st.data())
def test_losses_gradients_and_hessians_match_finite_differences(loss, data):
    f, y = draw_case(data, loss)
    losses = per_sample_losses(f, y, loss)
    grad = output_gradient(f, y, loss)
    S = hessian_sqrt(f, loss)
    Lam = output_hessian(f, loss)
    for i in range(f.shape[0]):
        assert losses[i] == pytest.approx(ref_loss(f[i], y[i], loss), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(grad[i], fd_grad(f[i], y[i], loss), atol=1e-7)
        np.testing.assert_allclose(Lam[i], fd_hess(f[i], y[i], loss), atol=2e-6)
        np.testing.assert_allclose(S[i] @ S[i].T, Lam[i], atol=1e-12)


@pytest.mark.parametrize(("loss", "root"), [(loss, "symmetric") for loss in LOSSES] + [("ce", "factored")])
@given(data=st.data())
def test_factors_give_gradient_and_gauss_newton_hessian(loss, root, data):
    f, y = draw_case(data, loss)
    n, m = f.shape
    d = data.draw(st.integers(1, 7), label="d")
    J = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed")).standard_normal((n, m, d))
    cur = gauss_newton_factors(J, f, y, loss, root=root)
    k = 1 if loss == "bce" else m
    assert cur.k == k and cur.factors.shape == (n, d, k) and cur.coef.shape == (n, k)
    assert cur.n_params == d and cur.loss == loss and cur.gram is None
    for i in range(n):
        g_ref = J[i].T @ fd_grad(f[i], y[i], loss)            # J^T dl/df, from finite differences
        np.testing.assert_allclose(cur.factors[i] @ cur.coef[i], g_ref, atol=1e-6)
        H_ref = J[i].T @ fd_hess(f[i], y[i], loss) @ J[i]      # J^T Lambda J (d x d is fine in a test)
        np.testing.assert_allclose(cur.factors[i] @ cur.factors[i].T, H_ref, atol=2e-5)
    np.testing.assert_allclose(cur.losses, [ref_loss(f[i], y[i], loss) for i in range(n)], rtol=1e-12, atol=1e-12)
    gram = gauss_newton_factors(J, f, y, loss, form="gram", root=root)
    assert gram.factors is None and gram.gram.shape == (n * k, n * k)
    R = cur.factors.transpose(0, 2, 1).reshape(n * k, d)         # sample-major rows
    np.testing.assert_allclose(gram.gram, R @ R.T, atol=1e-12)
    np.testing.assert_array_equal(gram.coef, cur.coef)


@given(data=st.data())
def test_ce_symmetric_root_is_psd_with_null_vector_one_and_min_norm_coefficients(data):
    f, y = draw_case(data, "ce", n_max=6)
    S = hessian_sqrt(f, "ce")
    assert np.linalg.eigvalsh(S).min() > -1e-12
    np.testing.assert_allclose(S @ np.ones(f.shape[1]), 0.0, atol=1e-12)   # the null vector 1 of Lambda
    c = gradient_coefficients(f, y, "ce")
    np.testing.assert_allclose(np.einsum("imk,ik->im", S, c), output_gradient(f, y, "ce"), atol=1e-10)
    np.testing.assert_allclose(c.sum(axis=1), 0.0, atol=1e-9)               # c in range(S) = 1-perp: minimum norm
    c_fac = gradient_coefficients(f, y, "ce", root="factored")
    S_fac = hessian_sqrt(f, "ce", root="factored")
    np.testing.assert_allclose(np.einsum("imk,ik->im", S_fac, c_fac), output_gradient(f, y, "ce"), atol=1e-12)


# --------------------------------------------------------------------------------------------------
# closed forms and extremes

def test_closed_forms():
    z = np.array([[0.3], [-2.0]]); y = np.array([1, 0])
    p = 1 / (1 + np.exp(-z[:, 0]))
    np.testing.assert_allclose(output_hessian(z, "bce")[:, 0, 0], p * (1 - p), rtol=1e-14)
    np.testing.assert_allclose(gradient_coefficients(z, y, "bce")[:, 0], (p - y) / np.sqrt(p * (1 - p)), rtol=1e-13)
    f = np.array([[1.0, 2.0, 3.0]]); t = np.array([[0.0, 2.5, 3.0]])
    np.testing.assert_array_equal(hessian_sqrt(f, "mse")[0], np.eye(3))
    np.testing.assert_array_equal(gradient_coefficients(f, t, "mse"), f - t)
    assert per_sample_losses(f, t, "mse")[0] == pytest.approx(0.625)
    assert per_sample_losses([1.0, 2.0], [1.0, 1.0], "mse").tolist() == [0.0, 0.5]   # a vector: m = 1


def test_bce_saturated_logits_are_finite_and_exact():
    z = np.array([[800.0], [-800.0], [800.0], [40.0]]); y = np.array([0, 1, 1, 1])
    J = np.arange(1.0, 13.0).reshape(4, 1, 3)
    cur = gauss_newton_factors(J, z, y, "bce")
    assert np.all(np.isfinite(cur.factors)) and np.all(np.isfinite(cur.coef))
    np.testing.assert_allclose(cur.losses, [800.0, 800.0, 0.0, np.log1p(np.exp(-40.0))], rtol=1e-14)
    grad = np.array([1.0, -1.0, 0.0, -np.exp(-40.0) / (1 + np.exp(-40.0))])   # p - y, exact in both tails
    np.testing.assert_allclose(np.einsum("idk,ik->id", cur.factors, cur.coef), J[:, 0, :] * grad[:, None],
                               rtol=1e-14, atol=0)
    lam = output_hessian(z, "bce")[:, 0, 0]
    assert lam[0] == lam[1] == CURVATURE_FLOOR                    # clipped: exp(-800) underflows
    assert lam[3] == pytest.approx(np.exp(-40.0), rel=1e-12)          # not clipped, no cancellation


# p of the true class: ~e^-60 (confidently wrong), 1/3, ~e^-60, 0 (exp(-800) underflows), ~e^-45
EXTREME = np.array([[60.0, 0.0, -5.0], [0.0, 0.0, 0.0], [-30.0, 30.0, 29.0], [0.0, 0.0, -800.0], [-40.0, 5.0, 3.0]])
EXTREME_Y = np.array([1, 2, 0, 2, 0])
EXTREME_GRAD = np.array([[1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3], [-1.0, 0.7310585786300049, 0.2689414213699951],
                         [0.5, 0.5, -1.0], [-1.0, 0.8807970779778823, 0.11920292202211755]])  # p - e_y to 1e-16


def test_ce_factored_root_keeps_the_gradient_identity_at_any_confidence():
    J = np.random.default_rng(0).standard_normal((5, 3, 4))
    cur = gauss_newton_factors(J, EXTREME, EXTREME_Y, "ce", root="factored")
    assert np.all(np.isfinite(cur.factors)) and np.all(np.isfinite(cur.coef))
    np.testing.assert_allclose(np.einsum("idk,ik->id", cur.factors, cur.coef),
                               np.einsum("imd,im->id", J, EXTREME_GRAD), atol=1e-13)
    np.testing.assert_allclose(cur.losses, [60.0, np.log(3.0), 60.0 + np.log1p(np.exp(-1.0)), 800.0 + np.log(2.0),
                                            45.0 + np.log1p(np.exp(-2.0))], rtol=1e-14)


def test_ce_symmetric_root_meets_its_documented_rounding_bound():
    # |F c - grad| <~ 1e-16 / sqrt(p_y) relative (module notes); finite everywhere
    J = np.random.default_rng(0).standard_normal((5, 3, 4))
    cur = gauss_newton_factors(J, EXTREME, EXTREME_Y, "ce")
    assert np.all(np.isfinite(cur.factors)) and np.all(np.isfinite(cur.coef))
    logp_y = np.array([-60.0, -np.log(3), -60.0, -800.0, -45.0])
    err = np.abs(np.einsum("idk,ik->id", cur.factors, cur.coef) - np.einsum("imd,im->id", J, EXTREME_GRAD)).max(axis=1)
    bound = 1e-14 * np.exp(-logp_y / 2) * np.abs(J).sum(axis=(1, 2))
    ok = logp_y > -100.0   # beyond, 1/sqrt(p_y) is above 1e21 and the identity is lost to rounding (documented)
    assert np.all(err[ok] <= bound[ok])
    np.testing.assert_allclose(err[1], 0.0, atol=1e-14)


@pytest.mark.parametrize("root", ["symmetric", "factored"])
def test_ce_square_roots_reproduce_lambda_entrywise_for_confident_samples(root):
    S = hessian_sqrt(EXTREME[:1], "ce", root=root)[0]   # Lambda ~ 1e-26: relative accuracy, no cancellation
    p = np.exp(EXTREME[0] - 60.0 - np.log1p(np.exp(-60.0) + np.exp(-65.0)))
    lam = np.diag(p) - np.outer(p, p)
    lam[0, 0] = p[0] * (p[1] + p[2])
    # factored: entry by entry; symmetric: to rounding relative to |Lambda| ~ 1e-26 (not to 1, as eigh of Lambda)
    np.testing.assert_allclose(S @ S.T, lam, rtol=1e-12, atol=1e-60 if root == "factored" else 1e-15 * np.abs(lam).max())


@given(data=st.data())
def test_ce_roots_give_the_same_curvature_and_gram_spectrum(data):
    f, y = draw_case(data, "ce")
    n, m = f.shape
    J = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed")).standard_normal((n, m, 6))
    sym = gauss_newton_factors(J, f, y, "ce")
    fac = gauss_newton_factors(J, f, y, "ce", root="factored")
    np.testing.assert_allclose(np.einsum("idk,iek->ide", sym.factors, sym.factors),
                               np.einsum("idk,iek->ide", fac.factors, fac.factors), atol=1e-12)
    np.testing.assert_allclose(np.einsum("idk,ik->id", sym.factors, sym.coef),
                               np.einsum("idk,ik->id", fac.factors, fac.coef), atol=1e-10)
    np.testing.assert_allclose(np.linalg.eigvalsh(sym.gram_matrix()), np.linalg.eigvalsh(fac.gram_matrix()), atol=1e-10)
    S = hessian_sqrt(f, "ce")
    np.testing.assert_array_equal(S, S.transpose(0, 2, 1))


def test_ce_loss_of_the_top_class_is_accurate_near_zero():
    assert per_sample_losses([[40.0, 0.0]], [0], "ce")[0] == pytest.approx(np.exp(-40.0), rel=1e-12)


# --------------------------------------------------------------------------------------------------
# errors: one line, naming the argument and the fix

@pytest.mark.parametrize(("call", "match"), [
    (lambda: per_sample_losses([[0.0]], [0], "nll"), r"loss must be one of \('mse', 'bce', 'ce'\); got 'nll'"),
    (lambda: per_sample_losses([[0.0, 1.0]], [0], "bce"), r"loss='bce' needs exactly 1 output.*use loss='ce'"),
    (lambda: per_sample_losses([[0.0]], [0], "ce"), r"loss='ce' needs >= 2 outputs.*use loss='bce'"),
    (lambda: per_sample_losses([[0.5]], [2], "bce"), r"targets must be 0 or 1 for loss='bce'"),
    (lambda: per_sample_losses([[0.5]], [0, 1], "bce"), r"targets must have shape \(n,\) = \(1,\)"),
    (lambda: per_sample_losses([[0.5, 1.0]], [0.0], "ce"), r"targets must be integer class labels.*astype\(int\)"),
    (lambda: per_sample_losses([[0.5, 1.0]], [2], "ce"), r"targets must lie in \[0, 1\]"),
    (lambda: per_sample_losses([[0.5, 1.0]], [[1.0]], "mse"), r"targets must have shape \(n, m\) = \(1, 2\)"),
    (lambda: per_sample_losses([[np.nan]], [0], "bce"), r"outputs contains 1 NaN or inf"),
    (lambda: per_sample_losses(np.zeros((0, 2)), np.zeros(0, int), "ce"), r"outputs must have at least one row"),
    (lambda: hessian_sqrt([[0.0]], "ce"), r"loss='ce' needs >= 2"),
    (lambda: gauss_newton_factors(np.zeros((2, 1, 3)), [[0.0]], [1], "bce"), r"jacobians must have shape \(n, m, d\)"),
    (lambda: gauss_newton_factors(np.zeros((1, 1, 3)), [[0.0]], [1], "bce", form="dense"), r"form must be one of"),
    (lambda: gauss_newton_factors(np.full((1, 1, 3), np.inf), [[0.0]], [1], "bce"), r"jacobians contains 3 NaN"),
    (lambda: hessian_sqrt([[0.0, 1.0]], "ce", root="cholesky"), r"root must be one of \('symmetric', 'factored'\)"),
])
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
