"""``rmtcheck.studies.spectral.mlp.output_jacobian`` against finite differences of ``forward`` and against the
MLP's own analytic gradient (``loss_and_grad``)."""

import numpy as np
import pytest

from rmtcheck.curvature import gauss_newton_factors
from rmtcheck.studies.spectral import mlp


def _flat(params):
    return np.concatenate([p.ravel() for p in params])


def _unflat(theta, like):
    out, at = [], 0
    for p in like:
        out.append(theta[at:at + p.size].reshape(p.shape)); at += p.size
    return out


@pytest.mark.parametrize(("sizes", "activation"), [((3, 5, 2), "tanh"), ((4, 6, 5, 3), "relu"), ((2, 4, 1), "tanh")])
def test_output_jacobian_matches_central_differences(sizes, activation):
    model = mlp.MLP(sizes, activation)
    params = mlp.init_params(model, rng=1)
    X = np.random.default_rng(2).standard_normal((6, sizes[0]))
    J = mlp.output_jacobian(model, params, X)
    theta = _flat(params)
    d = theta.size
    assert J.shape == (6, sizes[-1], d)
    h = 1e-6
    fd = np.empty_like(J)
    for a in range(d):
        e = np.zeros(d); e[a] = h
        fd[:, :, a] = (mlp.forward(model, _unflat(theta + e, params), X)
                       - mlp.forward(model, _unflat(theta - e, params), X)) / (2 * h)
    np.testing.assert_allclose(J, fd, atol=1e-7)


def test_output_jacobian_reproduces_the_analytic_cross_entropy_gradient():
    model = mlp.MLP((4, 7, 6, 3), "relu")
    params = mlp.init_params(model, rng=3)
    X = np.random.default_rng(4).standard_normal((9, 4)); y = np.arange(9) % 3
    _, grads = mlp.loss_and_grad(model, params, X, y)
    cur = gauss_newton_factors(mlp.output_jacobian(model, params, X), mlp.forward(model, params, X), y, "ce")
    mean_grad = np.einsum("idk,ik->d", cur.factors, cur.coef) / 9
    np.testing.assert_allclose(mean_grad, _flat(grads), atol=1e-12)
    np.testing.assert_allclose(cur.losses, mlp.per_sample_loss(model, params, X, y), rtol=1e-13)


def test_output_jacobian_checks_X():
    model = mlp.MLP((3, 2))
    with pytest.raises(ValueError, match="X must have 3 columns"):
        mlp.output_jacobian(model, mlp.init_params(model, rng=0), np.zeros((2, 4)))
