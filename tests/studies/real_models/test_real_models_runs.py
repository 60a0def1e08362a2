"""The batched real runs (:func:`models.unlearn_runs`) against the plain per-run loop, written out here."""

import dataclasses

import numpy as np
import pytest

from rmtcheck.studies.real_models import models as rm
from rmtcheck.studies.spectral import mlp as M


def _flat(params):
    return np.concatenate([np.ravel(p) for p in params])


def _unflat(w, like):
    out, i = [], 0
    for p in like:
        out.append(w[i:i + p.size].reshape(p.shape))
        i += p.size
    return out


def _reference_run(model, params, retain, forget, lr, alpha, B, steps, g, cap):
    """One run, step by step with the public MLP functions (the loop ``unlearn`` had when the batched runs came)."""
    (Xr, yr), (Xf, yf) = retain, forget
    w0 = _flat(params)
    w = w0.copy()
    for k in range(1, steps + 1):
        step = np.zeros_like(w)
        if alpha > 0:
            b = g.choice(yf.size, size=B, replace=False)
            step -= alpha * _flat(M.loss_and_grad(model, _unflat(w, params), Xf[b], yf[b])[1])
        if alpha < 1:
            b = g.choice(yr.size, size=B, replace=False)
            step += (1.0 - alpha) * _flat(M.loss_and_grad(model, _unflat(w, params), Xr[b], yr[b])[1])
        w = w - lr * step
        if not np.all(np.isfinite(w)) or np.linalg.norm(w) > cap:
            return (np.inf, np.inf, np.nan, np.nan, np.inf, True, k)
    p = _unflat(w, params)
    return (M.loss(model, p, Xf, yf) - M.loss(model, params, Xf, yf),
            M.loss(model, p, Xr, yr) - M.loss(model, params, Xr, yr), M.accuracy(model, p, Xf, yf),
            M.accuracy(model, p, Xr, yr), np.linalg.norm(w - w0) / np.linalg.norm(w0), False, steps)


def _same(a, b):
    """Equal up to 1e-12 relative (NaN = NaN); the flags and step counts exactly."""
    assert a[5:] == b[5:], (a, b)
    np.testing.assert_allclose(np.array(a[:5], dtype=float), np.array(b[:5], dtype=float), rtol=1e-12, atol=0)


def _problem(seed):
    g = np.random.default_rng(seed)
    d, h, m = int(g.integers(2, 9)), int(g.integers(2, 7)), int(g.integers(2, 5))
    model = M.MLP((d, h, m), M.ACTIVATIONS[seed % 2])
    params = [p + 0.3 * g.standard_normal(p.shape) for p in M.init_params(model, g)]
    n_r, n_f = int(g.integers(6, 30)), int(g.integers(4, 12))
    retain = (g.standard_normal((n_r, d)), g.integers(0, m, n_r))
    forget = (g.standard_normal((n_f, d)), g.integers(0, m, n_f))
    return g, model, params, retain, forget


@pytest.mark.parametrize("seed, alpha", [(0, 1.0), (1, 0.5), (2, 0.0), (3, 0.8), (4, 1.0), (5, 0.3)])
def test_batched_runs_equal_one_run_at_a_time(seed, alpha):
    """Drawn MLPs and sets; step sizes from tiny to ones that blow up (a small cap) at different steps."""
    g, model, params, retain, forget = _problem(seed)
    B, steps, cap = int(g.integers(1, 5)), int(g.integers(3, 12)), float(np.linalg.norm(_flat(params))) * 4
    lrs = [float(v) for v in np.sort(10.0 ** g.uniform(-2, 1.5, 7))]
    seeds = np.random.SeedSequence(seed).spawn(3)
    got = rm.unlearn_runs(model, params, retain, forget, lrs, alpha, B, steps,
                          [np.random.default_rng(s) for s in seeds], cap=cap)
    assert len(got) == len(lrs) and all(len(row) == 3 for row in got)
    for lr, row in zip(lrs, got):
        for s, run in zip(seeds, row):
            ref = _reference_run(model, params, retain, forget, lr, alpha, B, steps, np.random.default_rng(s), cap)
            _same(dataclasses.astuple(run), ref)
            one = rm.unlearn(model, params, retain, forget, lr, alpha, B, steps, rng=np.random.default_rng(s), cap=cap)
            _same(dataclasses.astuple(run), dataclasses.astuple(one))


def test_blow_ups_at_different_steps_leave_the_other_runs_alone():
    g, model, params, retain, forget = _problem(7)
    cap = float(np.linalg.norm(_flat(params))) * 3
    lrs = [0.01, 0.5, 2.0, 8.0, 30.0, 200.0]
    seeds = np.random.SeedSequence(7).spawn(2)
    got = rm.unlearn_runs(model, params, retain, forget, lrs, 1.0, 3, 15, [np.random.default_rng(s) for s in seeds],
                          cap=cap, losses0=(0.0, 0.0))
    done = {r.steps_done for row in got for r in row if r.blew_up}
    assert len(done) >= 2 and any(not r.blew_up for row in got for r in row)  # several blow-up steps, and survivors
    for lr, row in zip(lrs, got):
        for s, run in zip(seeds, row):
            one = rm.unlearn(model, params, retain, forget, lr, 1.0, 3, 15, rng=np.random.default_rng(s), cap=cap,
                             losses0=(0.0, 0.0))
            _same(dataclasses.astuple(run), dataclasses.astuple(one))


def test_batched_runs_on_a_trained_model_are_bitwise_the_single_runs():
    """The verify setting in small: a model trained to zero loss, every step size of a grid, three seeds."""
    g = np.random.default_rng(3)
    X = g.standard_normal((40, 5))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64)
    tr = rm.train_to_zero(X, y, 2, 6, rng=1, loss_tol=0.05)
    retain, forget = (X[:32], y[:32]), (X[32:], y[32:])
    lrs = [0.05 * 2 ** (k / 2) for k in range(10)]
    for alpha in (1.0, 0.5):
        seeds = np.random.SeedSequence(11).spawn(3)
        got = rm.unlearn_runs(tr.model, tr.params, retain, forget, lrs, alpha, 4, 20,
                              [np.random.default_rng(s) for s in seeds])
        want = [[rm.unlearn(tr.model, tr.params, retain, forget, lr, alpha, 4, 20, rng=np.random.default_rng(s))
                 for s in seeds] for lr in lrs]
        assert [[dataclasses.astuple(r) for r in row] for row in got] == \
            [[dataclasses.astuple(r) for r in row] for row in want]


def test_bad_arguments_are_refused_as_unlearn_refuses_them():
    _, model, params, retain, forget = _problem(0)
    rngs = [np.random.default_rng(0)]
    with pytest.raises(ValueError, match="lr"):
        rm.unlearn_runs(model, params, retain, forget, [0.1, -1.0], 1.0, 2, 3, rngs)
    with pytest.raises(ValueError, match="alpha"):
        rm.unlearn_runs(model, params, retain, forget, [0.1], 1.5, 2, 3, rngs)
    with pytest.raises(ValueError, match="batch"):
        rm.unlearn_runs(model, params, retain, forget, [0.1], 1.0, forget[1].size + 1, 3, rngs)
