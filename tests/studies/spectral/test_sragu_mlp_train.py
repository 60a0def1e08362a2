"""The NumPy MLP's training loop is bitwise the plain per-array SGD with momentum, written out here."""

import numpy as np
import pytest

from rmtcheck.studies.spectral import mlp as M


def _reference_train(model, X, y, epochs, lr, batch, rng, params=None, weight_decay=0.0, momentum=0.9):
    """The loop of ``train`` before its flat buffers: one ``loss_and_grad`` and one update per array and batch."""
    g = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    params = M.init_params(model, g) if params is None else [p.copy() for p in params]
    vel = [np.zeros_like(p) for p in params]
    for _ in range(epochs):
        perm = g.permutation(y.size)
        for s in range(0, y.size, batch):
            b = perm[s:s + batch]
            _, grads = M.loss_and_grad(model, params, X[b], y[b])
            for k, (p, gr) in enumerate(zip(params, grads)):
                if weight_decay and k % 2 == 0:
                    gr = gr + weight_decay * p
                vel[k] = momentum * vel[k] - lr * gr
                p += vel[k]
    return params


def _config(seed):
    g = np.random.default_rng(seed)
    sizes = (int(g.integers(2, 30)),) + tuple(int(v) for v in g.integers(1, 12, seed % 3 + 1)) + (int(g.integers(2, 6)),)
    n = int(g.integers(5, 90))
    X, y = g.standard_normal((n, sizes[0])), g.integers(0, sizes[-1], n)
    kw = dict(epochs=int(g.integers(1, 6)), lr=float(10 ** g.uniform(-2, -0.5)), batch=int(g.integers(1, 40)),
              weight_decay=[0.0, 1e-3][seed % 2], momentum=[0.9, 0.0, 0.5][seed % 3])
    return M.MLP(sizes, ["relu", "tanh"][seed % 2 == 0]), X, y, kw


@pytest.mark.parametrize("seed", range(8))
def test_train_is_bitwise_the_plain_loop(seed):
    model, X, y, kw = _config(seed)
    got = M.train(model, X, y, rng=seed, **kw)
    want = _reference_train(model, X, y, rng=seed, **kw)
    assert [p.shape for p in got] == [p.shape for p in want]
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
    # continued from given parameters with one generator for both calls (train_to_zero's chunks)
    g1, g2 = np.random.default_rng(seed + 100), np.random.default_rng(seed + 100)
    got = M.train(model, X, y, rng=g1, params=M.train(model, X, y, rng=g1, **kw), **kw)
    want = _reference_train(model, X, y, rng=g2, params=_reference_train(model, X, y, rng=g2, **kw), **kw)
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


def test_diverging_training_matches_through_non_finite_logits():
    """A huge step overflows the logits: the non-finite branch of the log-softmax is taken as scipy takes it."""
    model, X, y, kw = _config(1)
    kw.update(lr=1e100, epochs=4)
    with np.errstate(all="ignore"):
        got = M.train(model, X, y, rng=0, **kw)
        want = _reference_train(model, X, y, rng=0, **kw)
    assert not all(np.all(np.isfinite(p)) for p in want)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(got, want))
    # an infinite logit beside finite ones: scipy shifts by 0 there, which keeps the other classes' gradients
    start = M.init_params(model, 1)
    start[-1][0] = np.inf
    kw.update(lr=0.1, epochs=1)
    with np.errstate(all="ignore"):
        got = M.train(model, X, y, rng=0, params=start, **kw)
        want = _reference_train(model, X, y, rng=0, params=start, **kw)
    assert np.isfinite(want[-2][:, 1:]).any()
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(got, want))


def test_train_returns_fresh_arrays_and_leaves_the_start_alone():
    model, X, y, kw = _config(1)
    start = M.init_params(model, 0)
    keep = [p.copy() for p in start]
    out = M.train(model, X, y, rng=0, params=start, **kw)
    assert all(np.array_equal(a, b) for a, b in zip(start, keep))
    assert all(p.flags.owndata and p.flags.c_contiguous for p in out)
