"""The fast quadratic forecast against references that share none of its shortcuts.

The forecast (:func:`rmtcheck.stability.preflight.forecast`) runs its moment recursion with a TRMM/SYRK sandwich
(:mod:`rmtcheck.stability._sandwich`), each member at its numerical rank, in the subspace the iterate can reach,
and caches the recursion between step sizes (:mod:`rmtcheck.stability._forecast_moments`). The references here are
plain dense NumPy: :math:`\\sum_i H_i M H_i` of the dense stack, and the moment map written out from the batch
weights' first two moments — :math:`E[c_i c_j] - E[c_i]E[c_j]` by hand for independent Bernoulli and for
fixed-size batches (and checked itself against the sum over every batch of ``tests/_enumerate.py``) — pushed
through the quadratic loss model with its Gaussian closure.
"""

import numpy as np
import pytest
from _enumerate import batch_hessians, mixed_batches

from rmtcheck.stability import _forecast_moments as fm
from rmtcheck.stability._sandwich import sandwich_rows
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.preflight import Recipe, forecast

KEYS = ("forget_loss_mean", "forget_loss_sd", "retain_loss_mean", "retain_loss_sd", "distance_rms")


# ----------------------------------------------------------------------------- references
def _blocks(rng, n, d, k, rank=None, zero=()):
    """Factor blocks ``(n, d, k)``, every member of rank ``rank`` (default ``k``), members ``zero`` all zero."""
    r = k if rank is None else rank
    F = rng.standard_normal((n, d, r)) @ rng.standard_normal((n, r, k)) if r < k else rng.standard_normal((n, d, k))
    F = F * rng.uniform(0.3, 2.0, (n, 1, 1))
    F[list(zero)] = 0.0
    return F


def _stack(F):
    return F @ F.transpose(0, 2, 1)


def _cov(sampling, n, B):
    """:math:`E[c_i c_j] - E[c_i]E[c_j]` of the batch weights (member ``i`` weighs 1/B when drawn)."""
    q = B / n
    if sampling == "independent_bernoulli":
        return np.eye(n) * (q / B**2 - 1.0 / n**2)
    both = B * (B - 1) / (n * (n - 1)) / B**2 if n > 1 else 0.0
    return np.full((n, n), both - 1.0 / n**2) + np.eye(n) * (q / B**2 - both)


def reference_step(sets, alpha, sampling, B, M, m, lr):
    """One step of the exact moment map, dense: ``sets`` is ``((H_stack, grads), (H_stack, grads))``."""
    w = (1.0 - alpha, -alpha)
    Dbar = sum(wt * H.mean(axis=0) for wt, (H, _) in zip(w, sets))
    gbar = sum(wt * g.mean(axis=0) for wt, (_, g) in zip(w, sets))
    A = np.eye(len(m)) - lr * Dbar
    EJMJ, EJmg, Egg = A @ M @ A, np.outer(A @ m, gbar), np.outer(gbar, gbar)
    for wt, (H, g) in zip(w, sets):
        C = _cov(sampling, len(H), B) * wt * wt
        EJMJ = EJMJ + lr * lr * np.einsum("ij,iab,bc,jcd->ad", C, H, M, H)
        EJmg = EJmg - lr * np.einsum("ij,ia,jb->ab", C, H @ m, g)  # J = I - lr D: the covariance of D m and g
        Egg = Egg + np.einsum("ij,ia,jb->ab", C, g, g)
    M2 = EJMJ - lr * (EJmg + EJmg.T) + lr * lr * Egg
    return M2, A @ m - lr * gbar


def reference_forecast(sets, L0, alpha, sampling, B, lr, steps, step=reference_step):
    d = sets[0][0].shape[1]
    M, m = np.zeros((d, d)), np.zeros(d)
    out = {k: [] for k in KEYS}
    for k in range(steps + 1):
        if k:
            M, m = step(sets, alpha, sampling, B, M, m, lr)
        S = M - np.outer(m, m)
        out["distance_rms"].append(np.sqrt(np.trace(M)))
        for name, (H, g), l0 in zip(("retain", "forget"), sets, L0):
            Hb, gb = H.mean(axis=0), g.mean(axis=0)
            b = gb + Hb @ m
            out[f"{name}_loss_mean"].append(l0 + gb @ m + 0.5 * np.trace(Hb @ M))
            out[f"{name}_loss_sd"].append(np.sqrt(max(b @ S @ b + 0.5 * np.trace(Hb @ S @ Hb @ S), 0.0)))
    return {k: np.array(v) for k, v in out.items()}


def enumerated_step(sets, alpha, sampling, B, M, m, lr):
    """The same step summed over every pair of batches (tiny sets only)."""
    (Hr, gr), (Hf, gf) = sets
    p, cr, cf = mixed_batches(sampling, len(Hr), len(Hf), B)
    Hhat = (1 - alpha) * batch_hessians(cr, Hr) - alpha * batch_hessians(cf, Hf)
    ghat = (1 - alpha) * cr @ gr - alpha * cf @ gf
    J = np.eye(len(m))[None] - lr * Hhat
    Jm = J @ m
    M2 = (np.einsum("k,kij,jl,kml->im", p, J, M, J) - lr * np.einsum("k,ki,kj->ij", p, Jm, ghat)
          - lr * np.einsum("k,ki,kj->ij", p, ghat, Jm) + lr * lr * np.einsum("k,ki,kj->ij", p, ghat, ghat))
    return M2, np.einsum("k,ki->i", p, Jm - lr * ghat)


def _close(a, b, rtol=1e-10):
    """Equal to ``rtol`` of the array's scale (entries near 0, e.g. a spread at step 0, have no relative scale)."""
    a, b = np.asarray(a), np.asarray(b)
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    f = np.isfinite(b)
    scale = np.abs(b[f]).max(initial=0.0)
    np.testing.assert_allclose(a[f], b[f], rtol=rtol, atol=rtol * scale)


# ----------------------------------------------------------------------------- the sandwich
@pytest.mark.parametrize("n, d, k, rank", [(7, 9, 3, 3), (7, 9, 3, 2), (30, 12, 4, 4), (5, 11, 1, 1), (3, 4, 5, 5),
                                           (40, 6, 2, 1), (1, 1, 1, 1)])
@pytest.mark.parametrize("kind", ["psd", "indefinite", "one_negative", "singular", "zero", "nonsymmetric"])
def test_sandwich_rows_equals_the_dense_sum(n, d, k, rank, kind):
    rng = np.random.default_rng(n * 100 + d * 10 + k + rank)
    F = _blocks(rng, n, d, k, rank, zero=(0,) if n > 2 else ())
    X = rng.standard_normal((d, d))
    M = {"psd": X @ X.T, "indefinite": X + X.T, "singular": np.outer(X[0], X[0]), "zero": np.zeros((d, d)),
         "nonsymmetric": X, "one_negative": X @ X.T - 10 * np.sum(X * X) * np.outer(X[-1], X[-1]) / (X[-1] @ X[-1])}[kind]
    H = _stack(F)
    ref = np.einsum("iab,bc,icd->ad", H, 0.5 * (M + M.T), H)
    rows = np.ascontiguousarray(F.transpose(0, 2, 1).reshape(n * k, d))
    out = sandwich_rows(rows, n, M)
    scale = sum(np.linalg.norm(h, 2) ** 2 for h in H) * np.linalg.norm(M, 2)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12 * scale)
    assert np.array_equal(out, out.T)
    if kind == "zero":
        assert not np.any(out)
    # the family method takes this route for blocks
    if k > 1:
        np.testing.assert_allclose(HessianFamily.from_blocks(F).sum_sandwich(M), ref, rtol=0, atol=1e-12 * scale)


def test_sandwich_rows_of_nothing_is_zero():
    assert not np.any(sandwich_rows(np.zeros((0, 4)), 0, np.eye(4)))
    assert not np.any(sandwich_rows(np.zeros((6, 4)), 3, np.eye(4)))


# ----------------------------------------------------------------------------- per-member rank, reachable span
@pytest.mark.parametrize("k, rank", [(4, 4), (4, 3), (3, 1), (2, 1)])
def test_compact_keeps_every_member(k, rank):
    rng = np.random.default_rng(k * 10 + rank)
    F = _blocks(rng, 8, 10, k, rank, zero=(3,))
    fam = HessianFamily.from_blocks(F)
    out = fm.compact(fam)
    if rank == k:
        assert out is fam
    else:
        assert out.k == rank and (out.is_rank_one == (rank == 1))
    np.testing.assert_allclose(out.dense(), _stack(F), rtol=0, atol=1e-13 * np.abs(_stack(F)).max())


def test_reachable_basis_spans_the_live_rows_and_gradients():
    rng = np.random.default_rng(5)
    d = 12
    F = _blocks(rng, 3, d, 2)  # 6 rows: a 6-dimensional range
    g = np.einsum("idk,ik->id", F, rng.standard_normal((3, 2)))  # in the range
    fam = HessianFamily.from_blocks(F)
    Q = fm.reachable_basis([fam], [g], [1.0])
    assert Q.shape == (d, 6)
    np.testing.assert_allclose(Q.T @ Q, np.eye(6), atol=1e-13)
    for X in (fam.rows, g):
        np.testing.assert_allclose(X - (X @ Q) @ Q.T, 0.0, atol=1e-13 * np.abs(X).max())
    g2 = g + rng.standard_normal((3, d)) * np.array([[1.0], [0.0], [1e-6]])  # two directions outside the range
    assert fm.reachable_basis([fam], [g2], [1.0]).shape == (d, 8)
    big = HessianFamily.from_blocks(_blocks(rng, 9, d, 2))  # 18 rows in d = 12: everything
    assert fm.reachable_basis([big], [np.zeros((9, d))], [1.0]) is None
    assert fm.reachable_basis([fam, big], [g, np.zeros((9, d))], [0.5, 0.5]) is None
    zero = HessianFamily.from_blocks(np.zeros((3, d, 2)))
    Qg = fm.reachable_basis([zero], [g2], [1.0])  # no curvature: the gradients' span only
    assert Qg.shape == (d, 3)


# ----------------------------------------------------------------------------- the forecast
def test_the_reference_moment_map_is_the_sum_over_every_batch():
    rng = np.random.default_rng(3)
    Fr, Ff = _blocks(rng, 4, 3, 2), _blocks(rng, 3, 3, 2, rank=1)
    sets = ((_stack(Fr), rng.standard_normal((4, 3))), (_stack(Ff), rng.standard_normal((3, 3))))
    for sampling in ("independent_bernoulli", "without_replacement"):
        for alpha in (1.0, 0.4):
            a = reference_forecast(sets, (0.3, 0.2), alpha, sampling, 2, 0.1, 4)
            b = reference_forecast(sets, (0.3, 0.2), alpha, sampling, 2, 0.1, 4, step=enumerated_step)
            for key in KEYS:
                _close(a[key], b[key], 1e-12)


CASES = {  # name: (n_r, n_f, d, k, retain rank, forget rank, alpha, gradients in range, forget members zero)
    "ga_reduced": (9, 5, 14, 3, 2, 2, 1.0, True, False),
    "gda_full": (9, 4, 10, 3, 3, 2, 0.5, True, False),
    "gda_reduced_rank_one": (5, 4, 16, 3, 1, 1, 0.3, True, False),
    "gradients_off_range": (6, 3, 12, 2, 2, 2, 1.0, False, False),
    "rank_one_families": (12, 5, 9, 1, 1, 1, 0.7, False, False),
    "zero_forget_family": (6, 3, 10, 2, 2, 2, 1.0, False, True),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("sampling", ["independent_bernoulli", "without_replacement"])
def test_forecast_equals_the_dense_moment_map(case, sampling):
    n_r, n_f, d, k, rr, rf, alpha, in_range, zero = CASES[case]
    rng = np.random.default_rng(sum(map(ord, case)))
    Fr, Ff = _blocks(rng, n_r, d, k, rr), _blocks(rng, n_f, d, k, rf, zero=range(n_f) if zero else ())
    if in_range:
        gr = np.einsum("idk,ik->id", Fr, rng.standard_normal((n_r, k)))
        gf = np.einsum("idk,ik->id", Ff, rng.standard_normal((n_f, k)))
    else:
        gr, gf = rng.standard_normal((n_r, d)), rng.standard_normal((n_f, d))
    fam = (lambda F: HessianFamily.from_blocks(F)) if k > 1 else (lambda F: HessianFamily.from_factors(F[:, :, 0]))
    R, F = fam(Fr), fam(Ff)
    lam = max(np.linalg.eigvalsh(_stack(Fr).mean(axis=0))[-1], np.linalg.eigvalsh(_stack(Ff).mean(axis=0))[-1])
    recipe = Recipe(lr=0.1 / lam, batch=2, steps=12, alpha=alpha, sampling=sampling)
    L0 = (0.4, 0.25)
    sets = ((_stack(Fr), gr), (_stack(Ff), gf))
    # the recursion runs in the span of the live members' factors and gradients (the full space when that is all)
    live = [np.concatenate([F_.transpose(0, 2, 1).reshape(-1, d), g]) for F_, g, w in ((Fr, gr, 1 - alpha),
                                                                                         (Ff, gf, alpha)) if w]
    assert fm.moments(R, F, gr, gf, 2, alpha, sampling).dyn.d == np.linalg.matrix_rank(np.concatenate(live))
    for lr in (recipe.lr, 2.0 * recipe.lr, recipe.lr / 3):  # a curve: the prepared recursion is reused
        out = forecast(R, F, gr, gf, L0, recipe, lr=lr)
        ref = reference_forecast(sets, L0, alpha, sampling, 2, lr, recipe.steps)
        for key in KEYS:
            _close(out[key], ref[key])
        few = forecast(R, F, gr, gf, L0, recipe, lr=lr, record=[0, 5])  # the last step is always recorded
        assert list(few["steps"]) == [0, 5, recipe.steps]
        for key in KEYS:
            _close(few[key], ref[key][[0, 5, recipe.steps]])


def test_recording_fewer_steps_keeps_the_early_stop():
    """Both rises past 1e4 times their thresholds stop the forecast (inf after), whether or not the steps in
    between are recorded: the stop reads the means of every step."""
    rng = np.random.default_rng(5)
    Fr, Ff = _blocks(rng, 10, 6, 1), _blocks(rng, 4, 6, 1)
    R, F = HessianFamily.from_factors(Fr[:, :, 0]), HessianFamily.from_factors(Ff[:, :, 0])
    gr, gf = rng.standard_normal((10, 6)), rng.standard_normal((4, 6))
    lam = np.linalg.eigvalsh(_stack(Fr).mean(axis=0))[-1]
    recipe = Recipe(lr=30.0 / lam, batch=2, steps=25, alpha=0.5, forget_rise=1e-3, retain_rise=1e-3)
    full = forecast(R, F, gr, gf, (0.1, 0.2), recipe)
    stop = int(np.argmax(~np.isfinite(full["distance_rms"])))
    assert 0 < stop < recipe.steps  # the test needs an early stop
    last = forecast(R, F, gr, gf, (0.1, 0.2), recipe, record=[stop - 1])
    assert list(last["steps"]) == [stop - 1, recipe.steps]
    for key in KEYS:
        assert last[key][0] == full[key][stop - 1] and np.isinf(last[key][1])


def test_the_cached_recursion_gives_the_fresh_result():
    rng = np.random.default_rng(11)
    Fr, Ff = _blocks(rng, 8, 12, 3, 2), _blocks(rng, 3, 12, 3, 2)
    gr, gf = rng.standard_normal((8, 12)), rng.standard_normal((3, 12))
    R, F = HessianFamily.from_blocks(Fr), HessianFamily.from_blocks(Ff)
    recipe = Recipe(lr=0.01, batch=2, steps=6, alpha=1.0)
    first = forecast(R, F, gr, gf, (0.1, 0.2), recipe)
    forecast(R, F, gr, gf, (0.1, 0.2), recipe, lr=0.05)
    again = forecast(R, F, gr, gf, (0.1, 0.2), recipe)  # from the cache
    fm._LAST.clear()
    fresh = forecast(R, F, gr, gf, (0.1, 0.2), recipe)
    for key in KEYS:
        assert np.array_equal(first[key], again[key]) and np.array_equal(first[key], fresh[key])
    # other gradients (same families, same array object changed in place) are not served from the cache
    gf[0] += 1.0
    changed = forecast(R, F, gr, gf, (0.1, 0.2), recipe)
    fm._LAST.clear()
    assert np.array_equal(changed["forget_loss_mean"], forecast(R, F, gr, gf, (0.1, 0.2), recipe)["forget_loss_mean"])
    assert not np.array_equal(changed["forget_loss_mean"], first["forget_loss_mean"])
