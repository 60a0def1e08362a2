"""The NumPy pair kernel's blocks against explicit pair matrices.

Reference: the pairs ``D_ij = (1 - alpha) a_i a_i^T - alpha b_j b_j^T`` formed as dense ``d x d`` matrices, their
``N x N`` matrix of traces ``Tr(D_ij D_kl)`` by ``einsum``, then ``sqrt|T| @ z`` and the weighted count of
``T < -tol`` — nothing of the kernel's trace formula, blocks or symmetric half is reused.
"""

import numpy as np
import pytest

from rmtcheck._lib.pair_kernels import _tasks, have_numba, negative_mass, pair_product


def _problem(n_r, n_f, d, alpha, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((n_r, d)), rng.standard_normal((n_f, d))
    D = ((1 - alpha) * np.einsum("ia,ib->iab", A, A)[:, None] - alpha * np.einsum("ja,jb->jab", B, B)[None, :])
    D = D.reshape(n_r * n_f, d, d)
    T = np.einsum("pab,qba->pq", D, D)  # Tr(D_p D_q)
    R, F, C = (1 - alpha) ** 2 * (A @ A.T) ** 2, alpha ** 2 * (B @ B.T) ** 2, alpha * (1 - alpha) * (A @ B.T) ** 2
    return R, F, C, T, rng


# alpha = 0.7: negative traces also inside a retain row (k = i), which the kernel counts once, not twice.
# (n_r, n_f, block_elems): one j chunk with several k per block; uneven j chunks (7 = 2 + 2 + 3); one entry row
# per block; one retain or forget member; the default block
CASES = [(6, 7, 2 * 49 + 5), (5, 7, 21), (4, 6, 1), (1, 5, 3), (6, 1, 2), (8, 9, 1 << 18)]


@pytest.mark.parametrize("n_r, n_f, block", CASES)
@pytest.mark.parametrize("workers", [1, 3])
def test_numpy_product_and_fused_count_match_explicit_pairs(n_r, n_f, block, workers):
    R, F, C, T, rng = _problem(n_r, n_f, d=3, alpha=0.7, seed=n_r * 100 + n_f)
    Z = rng.random((n_r, n_f))
    W = rng.integers(1, 4, (n_r, n_f)).astype(float)
    neg = T[T < 0]
    tol = float(np.median(-neg)) if neg.size else 0.0  # half the negative traces lie in [-tol, 0)
    ref = (np.sqrt(np.abs(T)) @ Z.ravel()).reshape(n_r, n_f)
    ref_mass = float(np.sum((T < -tol) * np.outer(W.ravel(), W.ravel())))
    Y, mass = pair_product(R, F, C, Z, backend="numpy", block_elems=block, workers=workers, count_weights=W,
                           count_tol=tol)
    assert np.allclose(Y, ref, rtol=1e-12, atol=0)
    assert mass == ref_mass
    assert negative_mass(R, F, C, W, backend="numpy", tol=tol) == ref_mass
    assert np.array_equal(pair_product(R, F, C, Z, backend="numpy", block_elems=block, workers=workers), Y)


def test_the_cases_reach_the_block_shapes_they_name():
    # the parametrisation above must keep exercising several k per block and uneven j chunks
    t = _tasks(6, 7, 2 * 49 + 5)
    assert {k1 - k0 for *_, k0, k1 in t} >= {2} and {j1 - j0 for _, j0, j1, *_ in t} == {7}
    assert sorted({j1 - j0 for _, j0, j1, *_ in _tasks(5, 7, 21)}) == [2, 3]
    for n_r, n_f, block in CASES:
        t = _tasks(n_r, n_f, block)
        assert max((j1 - j0) * (k1 - k0) * n_f for _, j0, j1, k0, k1 in t) <= max(block, n_f)
        # every (i, j) row meets every k >= i exactly once: the symmetric half, no gaps, no overlaps
        seen = np.zeros((n_r, n_f, n_r), int)
        for i, j0, j1, k0, k1 in t:
            seen[i, j0:j1, k0:k1] += 1
        assert np.array_equal(seen, np.broadcast_to(np.triu(np.ones((n_r, n_r), int))[:, None, :], seen.shape))


def test_numpy_and_numba_agree_at_a_few_thousand_pairs():
    if not have_numba():
        pytest.skip("numba not installed")
    R, F, C, T, rng = _problem(12, 11, d=4, alpha=0.1, seed=5)
    Z = rng.random((12, 11))
    ref = (np.sqrt(np.abs(T)) @ Z.ravel()).reshape(12, 11)
    for be in ("numpy", "numba"):
        assert np.allclose(pair_product(R, F, C, Z, backend=be), ref, rtol=1e-12, atol=0)


def _single_reference(R, F, C, Z):
    """``sqrt|T|`` with each root taken in float32, ``T`` formed in the kernels' association
    ``(R_ik - C_kj) + (F_jl - C_il)`` (so the float32 rounding sees the same double), then ``@ z`` in float64."""
    n_r, n_f = C.shape
    T = (R[:, None, :, None] - C.T[None, :, :, None]) + (F[None, :, None, :] - C[:, None, None, :])
    S = np.sqrt(np.abs(T).astype(np.float32)).astype(np.float64).reshape(n_r * n_f, n_r * n_f)
    return (S @ Z.ravel()).reshape(n_r, n_f)


@pytest.mark.parametrize("n_r, n_f", [c[:2] for c in CASES[:4]])
def test_single_precision_roots_are_the_float32_roots_and_within_their_bound(n_r, n_f):
    if not have_numba():
        pytest.skip("numba not installed")
    R, F, C, T, rng = _problem(n_r, n_f, d=3, alpha=0.7, seed=n_r * 10 + n_f)
    Z = rng.random((n_r, n_f))
    exact = pair_product(R, F, C, Z, backend="numba")
    single = pair_product(R, F, C, Z, backend="numba", single=True)
    assert np.allclose(single, _single_reference(R, F, C, Z), rtol=1e-12, atol=0)
    assert np.all(np.abs(single - exact) <= (2.0 ** -24 + 1e-13) * exact)  # Z >= 0: each root within 2^-24
    assert not np.array_equal(single, exact)


def test_single_precision_roots_are_numba_only():
    R, F, C, _, rng = _problem(3, 2, d=3, alpha=0.5, seed=1)
    with pytest.raises(ValueError, match="numba"):
        pair_product(R, F, C, rng.random((3, 2)), backend="numpy", single=True)
