"""The two-layer ReLU CNN: analytic gradients vs finite differences, Gauss–Newton Hessians, training,
descent–ascent runs and input validation."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.randmat.designs import signal_noise_patches
from rmtcheck.studies.cnn import model as cnn
from rmtcheck.studies.cnn import training


def _random(seed, n, d, m, P=2):
    g = np.random.default_rng(seed)
    model = cnn.PatchCNN(d, m, P)
    W = g.standard_normal(model.shape)
    X = g.standard_normal((n, P, d))
    y = g.choice([-1.0, 1.0], n)
    return model, W, X, y


def _fd(fun, W, eps=1e-6):
    out = np.empty((W.size,) + np.shape(fun(W)))
    flat = W.ravel()
    for k in range(W.size):
        Wp, Wm = flat.copy(), flat.copy()
        Wp[k] += eps
        Wm[k] -= eps
        out[k] = (fun(Wp.reshape(W.shape)) - fun(Wm.reshape(W.shape))) / (2 * eps)
    return out


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), d=st.integers(1, 5), m=st.integers(1, 3),
       P=st.integers(1, 3))
@example(seed=0, n=1, d=1, m=1, P=1)
def test_grad_f_and_loss_gradients_match_finite_differences(seed, n, d, m, P):
    model, W, X, y = _random(seed, n, d, m, P)
    G = cnn.grad_f(model, W, X).reshape(n, -1)
    fd = _fd(lambda V: cnn.forward(model, V, X), W).T  # (n, p)
    # ReLU kinks within eps have probability ~0 for Gaussian data; tolerance covers FD round-off
    np.testing.assert_allclose(G, fd, rtol=1e-6, atol=1e-6)
    Gl = cnn.per_sample_grads(model, W, X, y)
    fdl = _fd(lambda V: cnn.per_sample_loss(model, V, X, y), W).T
    np.testing.assert_allclose(Gl, fdl, rtol=1e-6, atol=1e-6)
    L, g = cnn.loss_and_grad(model, W, X, y)
    assert np.isclose(L, cnn.loss(model, W, X, y))
    np.testing.assert_allclose(g.ravel(), fdl.mean(axis=0), rtol=1e-6, atol=1e-6)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), d=st.integers(1, 8), m=st.integers(1, 4))
def test_vectorised_equals_per_sample_loop_and_weighted_sum(seed, n, d, m):
    model, W, X, y = _random(seed, n, d, m)
    G = cnn.per_sample_grads(model, W, X, y)
    np.testing.assert_allclose(G, cnn.per_sample_grads_loop(model, W, X, y), rtol=1e-12, atol=1e-14)
    c = np.random.default_rng(seed + 1).standard_normal(n)
    g, z = cnn.weighted_grad(model, W, X, y, c)
    np.testing.assert_allclose(g.ravel(), c @ G, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(z, cnn.margins(model, W, X, y))


@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), d=st.integers(2, 4), m=st.integers(1, 3))
def test_gn_hessian_is_rank_one_curvature_times_outer_and_the_exact_hessian(seed, n, d, m):
    model, W, X, y = _random(seed, n, d, m)
    fam = cnn.gn_hessians(model, W, X, y)
    H = fam.dense()
    Gf = cnn.grad_f(model, W, X).reshape(n, -1)
    curv = cnn.logistic_curvature(cnn.margins(model, W, X, y))
    np.testing.assert_allclose(H, curv[:, None, None] * Gf[:, :, None] * Gf[:, None, :], rtol=1e-12, atol=1e-15)
    for i in range(n):
        sv = np.linalg.svd(H[i], compute_uv=False)
        # rank exactly one unless no filter is active on sample i (then grad f = 0 and H_i = 0)
        assert (sv[0] > 0) == bool(np.any(Gf[i])) and (sv.size == 1 or sv[1] <= 1e-12 * max(sv[0], 1e-300))
    # f is piecewise linear in W: the Gauss-Newton Hessian is the exact Hessian (FD of the analytic gradient)
    for i in range(n):
        Hfd = _fd(lambda V: cnn.per_sample_grads(model, V, X[i:i + 1], y[i:i + 1])[0], W, eps=1e-6)
        np.testing.assert_allclose(0.5 * (Hfd + Hfd.T), H[i], rtol=1e-5, atol=1e-7)


def test_gn_factor_would_miss_a_sign_error():
    # the test above can fail: a wrong-sign bank changes grad_f against finite differences
    model, W, X, y = _random(3, 4, 3, 2)
    G = cnn.grad_f(model, W, X).reshape(4, -1)
    fd = _fd(lambda V: cnn.forward(model, V, X), W).T
    bad = G.copy()
    bad[:, G.shape[1] // 2:] *= -1
    assert np.allclose(G, fd, atol=1e-6) and not np.allclose(bad, fd, atol=1e-6)


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 30), snr=st.sampled_from([0.05, 0.3, 1.0]),
       batch=st.sampled_from([None, 4]))
@example(seed=1, n=8, snr=0.05, batch=None)
def test_training_reaches_near_interpolation(seed, n, snr, batch):
    # Width 16: at width 4 a sample whose ReLUs are all dead at initialisation has f = 0 and zero
    # gradient, so it is never fitted (seed 1, n = 8 stalls at loss log(2)/8 with 7/8 accuracy).
    d, m = 60, 16
    data = signal_noise_patches(n, d, snr, flip=0.1, rng=seed)
    model = cnn.PatchCNN(d, m)
    lr = m / np.mean(np.sum(data.X ** 2, axis=(1, 2)))
    res = training.train(model, data.X, data.y, lr=lr, steps=4000, batch=batch, rng=seed, loss_tol=0.05)
    assert res.converged and res.train_accuracy == 1.0 and res.loss <= 0.05 and res.min_margin > 0
    # flipped labels are memorised too (interpolation, not just the signal)
    if data.flipped.any():
        assert np.all(cnn.margins(model, res.W, data.X[data.flipped], data.y[data.flipped]) > 0)


def test_training_reproducible_and_not_converged_flag():
    data = signal_noise_patches(20, 30, 0.1, flip=0.2, rng=1)
    model = cnn.PatchCNN(30, 3)
    a = training.train(model, data.X, data.y, lr=0.05, steps=3, rng=2)
    b = training.train(model, data.X, data.y, lr=0.05, steps=3, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(a.W, b.W)
    assert not a.converged and a.steps == 3


def test_descent_ascent_pure_ascent_raises_forget_loss_and_alpha0_tiny_lr_stays():
    data = signal_noise_patches(20, 40, 0.1, flip=0.0, rng=4)
    model = cnn.PatchCNN(40, 4)
    lr = 4 / np.mean(np.sum(data.X ** 2, axis=(1, 2)))
    W = training.train(model, data.X, data.y, lr=lr, steps=3000, rng=0).W
    Xr, yr, Xf, yf = data.X[:15], data.y[:15], data.X[15:], data.y[15:]
    up = training.descent_ascent(model, W, Xr, yr, Xf, yf, lr, 1.0, 3, 100, rng=0)
    assert cnn.loss(model, up.W, Xf, yf) > cnn.loss(model, W, Xf, yf) + 0.5
    stay = training.descent_ascent(model, W, Xr, yr, Xf, yf, 1e-6 * lr, 0.0, 3, 20, rng=0)
    assert stay.dist[-1] < 1e-3 * np.linalg.norm(W) and stay.dist.shape == (21,)
    big = training.descent_ascent(model, W, Xr, yr, Xf, yf, 1e3 * lr, 1.0, 5, 400, rng=0, cap=10 * np.linalg.norm(W))
    assert big.blew_up and np.all(np.isfinite(big.W))


@pytest.mark.parametrize("call, match", [
    (lambda m, W, X, y: cnn.forward(m, W[:, :1], X), "W must have shape"),
    (lambda m, W, X, y: cnn.forward(m, W, X[:, :1]), "X must have shape"),
    (lambda m, W, X, y: cnn.margins(m, W, X, np.zeros(len(y))), "labels in"),
    (lambda m, W, X, y: cnn.margins(m, W, X, y[:-1]), "y must have shape"),
    (lambda m, W, X, y: cnn.forward(m, W * np.nan, X), "NaN"),
    (lambda m, W, X, y: training.train(m, X, y, lr=0.0), "lr"),
    (lambda m, W, X, y: training.train(m, X, y, batch=len(y) + 1), "batch"),
    (lambda m, W, X, y: cnn.weighted_grad(m, W, X, y, np.ones(len(y) + 1)), "c must have shape"),
    (lambda m, W, X, y: training.descent_ascent(m, W, X, y, X, y, 0.1, 1.5, 1, 5), "alpha"),
    (lambda m, W, X, y: training.descent_ascent(m, W, X, y, X[:2], y[:2], 0.1, 0.5, 3, 5), "batch"),
    (lambda m, W, X, y: cnn.PatchCNN(0), "d must lie"),
    (lambda m, W, X, y: cnn.init_weights(m, 0, scale=-1.0), "scale"),
])
def test_bad_inputs_raise_valueerror_naming_the_argument(call, match):
    model, W, X, y = _random(0, 5, 3, 2)
    with pytest.raises(ValueError, match=match):
        call(model, W, X, y)


def test_logistic_helpers_are_overflow_safe():
    z = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        L, g, c = cnn.logistic_loss(z), cnn.logistic_grad(z), cnn.logistic_curvature(z)
    assert np.all(np.isfinite(L)) and np.isclose(L[0], 1e4) and L[-1] == 0.0
    assert np.all((-1 <= g) & (g <= 0)) and np.all((0 <= c) & (c <= 0.25)) and c[2] == 0.25
