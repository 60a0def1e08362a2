"""Factor-block families (H_i = F_i F_i^T, F_i of shape (d, k)): every method against the dense stack.

The references never go through the block code: each block family is compared with
``HessianFamily.from_stack(F @ F^T)`` (the dense branch of every method), and the mean-square growth and
critical learning rate with a Kronecker matrix built here with NumPy from the (kappa, nu) of each batch
model, written out below, restricted to symmetric matrices on the range of the family (an SVD of the
stacked factors; on the null space the growth is exactly 1 and the package reports rho on the range).
Hypothesis draws the structure: the latent rank of the common span, collinear columns inside a block,
duplicated members (the same H_i from a rotated factor F_i O), zero members, coordinate-aligned members
(diagonal families) and a spread of member scales.
"""

import numpy as np
import pytest
from _kronecker import kappa_nu, kron_critical, kron_growth, members, range_basis, stack_rows
from hypothesis import assume, given
from hypothesis import strategies as st

from rmtcheck.stability import (
    HessianFamily,
    PairFamily,
    as_family,
    critical_lr,
    ms_growth,
    second_moment_mc,
    sgd_recursion,
    simulate,
)

# coherence is also the name of a submodule: import the functions from it, not through the package
from rmtcheck.stability.coherence import coherence, coherence_matrix
from rmtcheck.stability.families import range_coordinates, restrict
from rmtcheck.stability.three_axis import coherence_blocks, cross_traces

SAMPLINGS = ("bernoulli", "without_replacement", "with_replacement")


# --------------------------------------------------------------------------- structure
def _orthonormal(rng, d, s):
    Q, _ = np.linalg.qr(rng.standard_normal((d, max(s, 1))))
    return Q[:, :s]


@st.composite
def block_factors(draw, n_max=6, d_max=7, k_min=2, k_max=3, scales=(-3, 0, 2)):
    """Factor blocks ``F`` of shape (n, d, k) with drawn structure (see the module notes)."""
    n = draw(st.integers(1, n_max))
    d = draw(st.integers(1, d_max))
    k = draw(st.integers(k_min, k_max))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):  # coordinate-aligned: every F_i has one nonzero row (a diagonal family)
        F = np.zeros((n, d, k))
        rows = rng.integers(0, d, n)
        F[np.arange(n), rows] = rng.standard_normal((n, k))
    else:
        s = draw(st.integers(1, d))  # latent rank of the common span
        F = np.einsum("ds,isk->idk", _orthonormal(rng, d, s), rng.standard_normal((n, s, k)))
    if draw(st.booleans()):  # collinear columns: rank(F_i) < k
        F[:, :, -1] = draw(st.sampled_from([0.0, 1.0, -2.5])) * F[:, :, 0]
    spread = draw(st.sampled_from([0.0, 0.5, 1.5]))
    F *= 10.0 ** rng.uniform(-spread, spread, n)[:, None, None]
    for _ in range(draw(st.integers(0, n - 1))):  # duplicated members, from a rotated factor F_i O
        i, j = rng.integers(0, n, 2)
        F[j] = F[i] @ _orthonormal(rng, k, k)
    zeros = draw(st.lists(st.integers(0, n - 1), max_size=n - 1, unique=True))
    F[zeros] = 0.0
    F *= 10.0 ** draw(st.sampled_from(scales))
    return F


def _dense(F):
    return F @ F.transpose(0, 2, 1)


def _scale(F):
    return max(float(np.abs(_dense(F)).max()), 1e-300)


def _close(a, b, scale, rtol=1e-10):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


# --------------------------------------------------------------------------- every method vs the dense stack
@given(F=block_factors(), data=st.data())
def test_every_method_equals_the_dense_stack(F, data):
    n, d, k = F.shape
    fam = HessianFamily.from_blocks(F)
    ref = HessianFamily.from_stack(_dense(F))
    s = _scale(F)
    assert fam.is_blocks and not fam.is_rank_one and (fam.n, fam.d, fam.k) == (n, d, k)
    assert ref.k is None and not ref.is_blocks
    np.testing.assert_array_equal(fam.rows.reshape(n, k, d), F.transpose(0, 2, 1))
    _close(fam.dense(), ref.stack, s)
    _close(fam.eigenvalues, ref.eigenvalues, s, rtol=1e-9)
    _close(fam.top_eigenvalues, ref.top_eigenvalues, s, rtol=1e-9)
    _close(fam.mean, ref.mean, s)
    _close(fam.lambda_max, ref.lambda_max, s, rtol=1e-9)
    _close(fam.gram_traces, ref.gram_traces, s * s)
    _close(fam.sum_squares(), ref.sum_squares(), s * s)
    _close(fam.diagonals, ref.diagonals, s)
    if fam.is_diagonal:  # the block test is conservative: it may miss a diagonal family, never invent one
        assert ref.is_diagonal

    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    M = rng.standard_normal((d, d)); M = M + M.T
    _close(fam.sum_sandwich(M), ref.sum_sandwich(M), s * s * np.abs(M).max())
    Ms = rng.standard_normal((2, d, d)); Ms = Ms + Ms.transpose(0, 2, 1)
    _close(fam.sum_sandwich(Ms), ref.sum_sandwich(Ms), s * s * np.abs(Ms).max())
    C = rng.random((3, n)); X = rng.standard_normal((3, d))
    _close(fam.weighted_apply(C, X), ref.weighted_apply(C, X), s * n * np.abs(X).max())
    _close(fam.weighted_sum(C), ref.weighted_sum(C), s * n)
    x = rng.standard_normal(d)
    _close(fam.member_apply(x), _dense(F) @ x, s * np.abs(x).max())
    _close(fam.member_apply(x), ref.member_apply(x), s * np.abs(x).max())

    idx = np.flatnonzero(rng.random(d) < 0.6)
    if idx.size:
        sub = fam.select_coordinates(idx)
        assert sub.is_blocks and sub.k == k
        _close(sub.dense(), ref.select_coordinates(idx).stack, s)
    r = data.draw(st.integers(1, d))
    U = _orthonormal(rng, d, r)
    proj = fam.project(U)
    assert proj.is_blocks and proj.d == r
    _close(proj.dense(), U.T @ _dense(F) @ U, s)
    _close(proj.dense(), ref.project(U).stack, s)
    for sel in (np.flatnonzero(rng.random(n) < 0.5), slice(0, max(1, n // 2)), rng.random(n) < 0.5):
        if np.size(np.arange(n)[sel]):
            _close(fam.subset(sel).dense(), _dense(F)[sel], s)
            _close(fam.subset(sel).mean, ref.subset(sel).mean, s)
    assert fam.psd_parts() == [(fam, 1.0)]


@given(F=block_factors(k_min=2, k_max=3, d_max=6))
def test_coherence_and_cross_traces_of_blocks(F):
    fam = HessianFamily.from_blocks(F)
    H = _dense(F)
    tr = np.einsum("iab,jba->ij", H, H)
    _close(coherence_matrix(fam), np.sqrt(np.maximum(tr, 0)), np.sqrt(np.abs(tr).max()) + 1e-300, rtol=1e-7)
    if np.abs(F).max() > 0:
        S = np.sqrt(np.maximum(tr, 0))
        ref = np.linalg.eigvalsh(S)[-1] / np.linalg.eigvalsh(H)[:, -1].max()
        assert coherence(fam) == pytest.approx(ref, rel=1e-7)
    # cross traces between blocks and every other kind of family, against einsum on the dense stacks
    rng = np.random.default_rng(int(abs(F).sum() * 1e6) % 2**32)
    d = F.shape[1]
    others = [HessianFamily.from_blocks(rng.standard_normal((3, d, 2))),
              HessianFamily.from_factors(rng.standard_normal((4, d))),
              HessianFamily.from_stack(_dense(rng.standard_normal((2, d, 3)))),
              fam]
    for other in others:
        B = other.dense()
        want = np.einsum("iab,jba->ij", H, B)
        scale = np.abs(H).max() * np.abs(B).max() * d + 1e-300
        _close(cross_traces(fam, other), want, scale)
        _close(cross_traces(other, fam), want.T, scale)
    Srr, Sff, Srf = coherence_blocks(fam, others[1])
    _close(Srf, np.sqrt(np.maximum(np.einsum("iab,jba->ij", H, others[1].dense()), 0)), 1.0, rtol=1e-7)


def test_from_blocks_validation_and_as_family_dispatch():
    F = np.random.default_rng(0).standard_normal((4, 5, 2))
    with pytest.raises(ValueError, match="blk"):
        HessianFamily.from_blocks(np.where(F > 1, np.nan, F), "blk")
    with pytest.raises(ValueError, match="blk"):
        HessianFamily.from_blocks(F[:, :, :, None], "blk")
    with pytest.raises(ValueError, match="blk"):
        HessianFamily.from_blocks(np.zeros((0, 5, 2)), "blk")
    one = HessianFamily.from_blocks(F[:, :, :1])  # k = 1 is the rank-one family
    assert one.is_rank_one and one.k == 1
    np.testing.assert_array_equal(one.factors, F[:, :, 0])
    assert as_family(F).is_blocks  # (n, d, k), k != d
    assert not as_family(_dense(F)).is_blocks  # (n, d, d) is a stack


@given(F=block_factors(n_max=3, d_max=14, k_max=3), data=st.data())
def test_range_coordinates_of_factored_families(F, data):
    """Fewer factor rows than dimensions: the range basis comes from the Gram matrix of the weighted rows."""
    n, d, k = F.shape
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    m = data.draw(st.integers(1, 3))
    W = _orthonormal(rng, d, d)[:, :min(2, d)]
    other = HessianFamily.from_factors(rng.standard_normal((m, W.shape[1])) @ W.T)  # rank-one members in a plane
    c1, c2 = data.draw(st.sampled_from([(1.0, 0.0), (0.3, 0.7), (1.0, 1.0)]))
    fam = HessianFamily.from_blocks(F)
    rows = np.concatenate([np.sqrt(c1 / n) * stack_rows(F), np.sqrt(c2 / m) * other.factors])
    _, sv, Vt = np.linalg.svd(rows, full_matrices=False)
    w = sv**2 / max(sv.max() ** 2, 1e-300)
    assume(not np.any((w > 1e-12) & (w < 1e-8)))  # an unambiguous numerical rank (the package cuts at 1e-10)
    r = int(np.sum(w > 1e-10))
    coords = range_coordinates([(fam, c1), (other, c2)])
    if coords is None:
        assert r == d
        return
    Q = np.eye(d)[:, coords] if coords.ndim == 1 else coords  # kept coordinates (diagonal families) or a basis
    assert Q.shape == (d, r)
    kappa = 1.0 / w[r - 1] if r else 1.0  # the span of a tiny direction is accurate to eps * cond only
    np.testing.assert_allclose(Q.T @ Q, np.eye(r), atol=1e-12)
    np.testing.assert_allclose(Q @ Q.T, Vt[:r].T @ Vt[:r], atol=1e-8 + 1e-14 * kappa)
    if coords.ndim == 2:
        S = Q.T @ (c1 * fam.mean + c2 * other.mean) @ Q
        np.testing.assert_allclose(S, np.diag(np.diag(S)), atol=(1e-10 + 1e-14 * kappa) * np.abs(S).max())
    # restricting loses nothing: the members are recovered from their range coordinates
    both = max(_scale(F), float(np.abs(other.dense()).max()))  # Q is accurate relative to the larger family
    np.testing.assert_allclose(Q @ restrict(fam, coords).dense() @ Q.T, _dense(F), atol=(1e-10 + 1e-14 * kappa) * both)


def test_gram_range_basis_is_orthonormal_at_large_condition_numbers():
    rng = np.random.default_rng(0)
    F = 3e-5 * rng.standard_normal((1, 6, 2))  # 2 rows, tiny
    other = HessianFamily.from_factors(rng.standard_normal((2, 6)))  # 2 rows, O(1): 4 rows < d = 6
    Q = range_coordinates([(HessianFamily.from_blocks(F), 1.0), (other, 1.0)])
    assert Q.shape == (6, 4)
    np.testing.assert_allclose(Q.T @ Q, np.eye(4), atol=1e-12)


def _range_members(F):
    """The members U^T H_i U on an orthonormal basis U of span(F)."""
    return members(F, range_basis(F))


@given(F=block_factors(n_max=4, d_max=10, k_max=2, scales=(0, 2)), sampling=st.sampled_from(SAMPLINGS), b=st.floats(0, 1),
       u=st.sampled_from([0.3, 0.9, 1.0, 1.7]))
def test_growth_and_critical_lr_of_blocks_equal_the_kronecker_reference(F, sampling, b, u):
    n = F.shape[0]
    B = 1 + int(b * (n - 1))
    kappa, nu = kappa_nu(sampling, n, B)
    H = _range_members(F)
    fam = HessianFamily.from_blocks(F)
    if H.shape[1] == 0:  # nothing moves
        assert ms_growth(fam, 1.0, B, sampling=sampling) == 1.0
        assert critical_lr(fam, B, sampling=sampling) == np.inf
        return
    eta_ref = kron_critical([(1.0, kappa, nu, H)])
    lr = u * eta_ref
    assert ms_growth(fam, lr, B, sampling=sampling) == pytest.approx(kron_growth([(1.0, kappa, nu, H)], lr), rel=1e-10)
    assert critical_lr(fam, B, sampling=sampling) == pytest.approx(eta_ref, rel=1e-8)
    # the same family held as a dense stack goes through the other branches: same numbers
    dense = HessianFamily.from_stack(_dense(F))
    assert ms_growth(dense, lr, B, sampling=sampling) == pytest.approx(ms_growth(fam, lr, B, sampling=sampling),
                                                                       rel=1e-10)


@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_lanczos_path_of_blocks_equals_the_kronecker_reference(sampling):
    """Range of dimension 9 (45 symmetric coordinates): the Lanczos branch, not the explicit one."""
    rng = np.random.default_rng(7)
    F = np.einsum("ds,isk->idk", _orthonormal(rng, 14, 9), rng.standard_normal((6, 9, 2)))
    F[5] = F[0] @ _orthonormal(rng, 2, 2)
    F *= 10.0 ** rng.uniform(-0.5, 0.5, 6)[:, None, None]
    kappa, nu = kappa_nu(sampling, 6, 2)
    H = _range_members(F)
    assert H.shape[1] == 9
    eta_ref = kron_critical([(1.0, kappa, nu, H)])
    for u in (0.5, 1.0, 2.0):
        assert ms_growth(F, u * eta_ref, 2, sampling=sampling) == pytest.approx(
            kron_growth([(1.0, kappa, nu, H)], u * eta_ref), rel=1e-10)
    assert critical_lr(F, 2, sampling=sampling) == pytest.approx(eta_ref, rel=1e-8)


@pytest.mark.parametrize("scale", [1e-3, 1e-4])
def test_critical_lr_is_scale_covariant(scale):
    """eta*(c F) = eta*(F) / c^2 exactly; the package doc example (20 x 5 Gaussian factors) scaled down."""
    G = np.random.default_rng(0).standard_normal((20, 5))
    eta = critical_lr(G, 4)
    assert critical_lr(scale * G, 4) * scale**2 == pytest.approx(eta, rel=1e-9)
    F = np.random.default_rng(1).standard_normal((2, 2, 2))  # blocks, range of dimension 1 (hypothesis-found shape)
    fam, small = HessianFamily.from_blocks(F), HessianFamily.from_blocks(scale * F)
    assert critical_lr(small, 1) * scale**2 == pytest.approx(critical_lr(fam, 1), rel=1e-9)


# --------------------------------------------------------------------------- pair norms
@given(Fr=block_factors(n_max=4, d_max=5), data=st.data(), alpha=st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0]))
def test_pair_norms_of_blocks_equal_dense_eigvalsh(Fr, data, alpha):
    n_r, d, k = Fr.shape
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    kind = data.draw(st.sampled_from(["blocks", "rank-one", "shared"]))
    if kind == "blocks":
        Ff = rng.standard_normal((3, d, data.draw(st.integers(2, 3))))
        forget = HessianFamily.from_blocks(Ff)
    elif kind == "rank-one":
        forget = HessianFamily.from_factors(rng.standard_normal((3, d)))
    else:  # forget members that are retain members with rotated factors (D_ij = (1 - 2 alpha) H at alpha)
        Ff = Fr[rng.integers(0, n_r, 3)] @ _orthonormal(rng, k, k)
        forget = HessianFamily.from_blocks(Ff)
    retain = HessianFamily.from_blocks(Fr)
    scale = max(_scale(Fr), float(np.abs(forget.dense()).max()), 1e-300)
    for a, b in ((retain, forget), (forget, retain)):  # block first and block second
        D = (1 - alpha) * a.dense()[:, None] - alpha * b.dense()[None, :]
        want = np.abs(np.linalg.eigvalsh(D.reshape(-1, d, d))).max(axis=1)
        got = PairFamily(a, b, alpha=alpha).top_eigenvalues
        assert got.shape == want.shape
        # a pair that does not vanish has a simple top eigenvalue: relative accuracy
        big = want > 1e-6 * scale
        np.testing.assert_allclose(got[big], want[big], rtol=1e-9)
        assert np.all(got[~big] <= 1e-6 * scale)


def test_pair_norm_of_a_vanishing_block_pair_is_zero():
    F = np.random.default_rng(1).standard_normal((3, 5, 2))
    A = HessianFamily.from_blocks(F)
    norms = PairFamily(A, A, alpha=0.5).top_eigenvalues.reshape(3, 3)
    scale = float(np.abs(A.dense()).max())
    assert np.all(np.diag(norms) <= 1e-12 * scale)


def test_pair_norm_of_a_vanishing_block_pair_is_zero_at_large_d():
    F = np.random.default_rng(1).standard_normal((3, 100, 2))
    A = HessianFamily.from_blocks(F)
    norms = PairFamily(A, A, alpha=0.5).top_eigenvalues.reshape(3, 3)
    assert np.all(np.diag(norms) <= 1e-12 * float(np.abs(A.dense()).max()))


# --------------------------------------------------------------------------- Monte Carlo, path by path
@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_monte_carlo_of_blocks_equals_the_dense_stack_path_by_path(sampling):
    """Same seed, same batches: the block branches of weighted_apply / weighted_sum give the same paths."""
    rng = np.random.default_rng(3)
    F = rng.standard_normal((7, 4, 2))
    F[6] = 0.0
    blocks, dense = HessianFamily.from_blocks(F), HessianFamily.from_stack(_dense(F))
    lr = 0.8 * critical_lr(blocks, 3, sampling=sampling)
    a = simulate(sgd_recursion(blocks, 3, sampling=sampling, restrict_to_range=False), lr, steps=30, runs=16, rng=5)
    b = simulate(sgd_recursion(dense, 3, sampling=sampling, restrict_to_range=False), lr, steps=30, runs=16, rng=5)
    np.testing.assert_allclose(a.log_norms, b.log_norms, rtol=1e-10, atol=1e-10)
    a = second_moment_mc(sgd_recursion(blocks, 3, sampling=sampling, restrict_to_range=False), lr, steps=20,
                         samples=32, rng=5)
    b = second_moment_mc(sgd_recursion(dense, 3, sampling=sampling, restrict_to_range=False), lr, steps=20,
                         samples=32, rng=5)
    assert a.ms_growth == pytest.approx(b.ms_growth, rel=1e-10)
