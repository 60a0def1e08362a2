"""The NumPy MLP: analytic gradients, training, validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.studies.spectral import mlp as M


@given(seed=st.integers(0, 2**31), act=st.sampled_from(M.ACTIVATIONS), h=st.integers(2, 6))
@settings(max_examples=8)
def test_gradient_matches_finite_differences(seed, act, h):
    g = np.random.default_rng(seed)
    model = M.MLP((3, h, 4, 3), activation=act)
    # random biases: with zero biases a dead unit feeds exactly 0 into the next ReLU (a kink)
    params = [p + 0.1 * g.standard_normal(p.shape) for p in M.init_params(model, g)]
    X, y = g.standard_normal((10, 3)), g.integers(0, 3, 10)
    _, grads = M.loss_and_grad(model, params, X, y)
    for k, p in enumerate(params):
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + 1e-6
            lp = M.loss(model, params, X, y)
            p[idx] = old - 1e-6
            lm = M.loss(model, params, X, y)
            p[idx] = old
            assert grads[k][idx] == pytest.approx((lp - lm) / 2e-6, rel=1e-5, abs=1e-8)


def test_per_sample_grad_norms():
    g = np.random.default_rng(0)
    model = M.MLP((4, 5, 3))
    params = M.init_params(model, g)
    X, y = g.standard_normal((6, 4)), g.integers(0, 3, 6)
    norms = M.per_sample_grad_norms(model, params, X, y)
    for i in range(6):
        _, gr = M.loss_and_grad(model, params, X[i:i + 1], y[i:i + 1])
        assert norms[i] == pytest.approx(np.sqrt(sum(np.sum(a * a) for a in gr)))


def test_training_learns_and_is_reproducible():
    g = np.random.default_rng(1)
    X = g.standard_normal((200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = M.MLP((2, 16, 2))
    p1 = M.train(model, X, y, epochs=60, lr=0.1, rng=3)
    p2 = M.train(model, X, y, epochs=60, lr=0.1, rng=3)
    assert all(np.array_equal(a, b) for a, b in zip(p1, p2))
    assert M.accuracy(model, p1, X, y) > 0.9


def test_validation():
    model = M.MLP((3, 2))
    params = M.init_params(model, 0)
    with pytest.raises(ValueError, match="X"):
        M.forward(model, params, np.ones((2, 4)))
    with pytest.raises(ValueError, match="y"):
        M.loss(model, params, np.ones((2, 3)), np.array([0, 5]))
    with pytest.raises(ValueError, match="activation"):
        M.MLP((3, 2), activation="gelu")
    with pytest.raises(ValueError, match="lr"):
        M.train(model, np.ones((2, 3)), np.array([0, 1]), lr=-1)
