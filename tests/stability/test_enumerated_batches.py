"""The mean-square operator of SGD and of descent–ascent against an enumeration of every batch (tests/_enumerate.py).

The reference never touches the package's batch coefficients (kappa, nu) or its Kronecker/sandwich code: it lists
every batch of the model with its probability, forms :math:`J_S = I - \\eta\\hat H_S`, and sums
:math:`p_S\\,J_S\\otimes J_S` into a :math:`d^2\\times d^2` matrix whose spectral radius is the growth factor. The
families are drawn by *structure* (member spectra, ranks 0/1/full, repeated and zero members, shared or
per-member eigenbases, axis-aligned bases that send the package down its diagonal closed form, rank-one factor or
dense-stack input, ``n = 1``, ``B = n``, step sizes at a fraction of :math:`2/\\lambda_{\\max}` or within
:math:`10^{-7}` of the critical one), so that a failure shrinks to a minimal family.

One-line bugs these kill (each checked by mutating the line and watching the test fail):

* any coefficient of the batch table in ``rmtcheck/stability/sampling.py`` (``SamplingModel.kappa``/``nu``/``_p``,
  e.g. ``nu = (1 - B/n)/(n*B)`` -> ``1/(n*B)`` or ``p = (n-B)/(B*(n-1))`` -> ``(n-B)/(B*n)``);
* the mean part, the noise part or the diagonal closed form of ``LinearRecursion`` in
  ``rmtcheck/stability/operator.py`` (``_mean_part``, ``_noise``, ``_diagonal_factors``, ``dense_matrix``);
* the retain/forget weights :math:`1-\\alpha` and :math:`-\\alpha`, the per-family models, and the pair-sandwich
  decomposition of ``rmtcheck/stability/pairs.py`` (``pair_bernoulli``).
"""

import numpy as np
import pytest
from _enumerate import Moments, batch_hessians, families, mixed_batches, operator, range_basis, restrict, sgd_batches
from _enumerate import apply as enum_apply
from _enumerate import growth as enum_growth
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.stability.operator import critical_lr, dense_second_moment_matrix, ms_growth, sgd_recursion
from rmtcheck.stability.unlearning import mixed_critical_lr, mixed_growth, mixed_recursion

RTOL = 1e-10
# each example costs a few ms: draw more than the profile's default (never fewer than it asks for)
MORE = settings(max_examples=max(60, settings.default.max_examples))


def _lr(kind, mean, crit):
    """A step size: a fraction of 2/lambda_max, or the reference critical one times (1 + eps)."""
    lam = np.linalg.eigvalsh(mean)[-1] if mean.size else 0.0
    if lam <= 0:
        return 0.1
    if kind[0] == "frac":
        return kind[1] * 2.0 / lam
    if crit is None:
        return 0.7 * 2.0 / lam
    return crit() * (1.0 + kind[1])


LR_KINDS = st.tuples(st.just("frac"), st.floats(0.02, 1.5)) | st.tuples(
    st.just("near"), st.sampled_from([-1e-7, 0.0, 1e-7, -1e-3, 1e-3]))


# ----------------------------------------------------------------------------- SGD
@st.composite
def sgd_cases(draw):
    d = draw(st.integers(1, 3))
    sampling = draw(st.sampled_from(["bernoulli", "without_replacement", "with_replacement"]))
    arg, stack = draw(families(d, n_max=7 if sampling != "with_replacement" else 5))
    n = len(stack)
    B = draw(st.sampled_from([1, n]) | st.integers(1, n))
    if sampling == "with_replacement":
        B = min(B, 4)  # n^B sequences: at most 5^4
    return arg, stack, sampling, B, draw(LR_KINDS)


def _sgd_reference(stack, sampling, B):
    p, c = sgd_batches(sampling, len(stack), B)
    Hhat = batch_hessians(c, stack)
    U = range_basis(stack.mean(axis=0))
    return p, Hhat, restrict(Hhat, U)


@MORE
@given(case=sgd_cases())
@example(case=(np.array([[1.0]]), np.array([[[1.0]]]), "bernoulli", 1, ("frac", 0.9)))  # n = 1 = B: plain GD
@example(case=(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0]]), np.array([np.diag([1.0, 0.0]), np.diag([0.0, 4.0]),
              np.diag([1.0, 0.0])]), "without_replacement", 2, ("near", 1e-7)))  # diagonal, repeated member
@example(case=(np.zeros((3, 2)), np.zeros((3, 2, 2)), "bernoulli", 2, ("frac", 0.5)))  # all members zero
def test_sgd_growth_equals_enumerated_operator(case):
    """``ms_growth`` and ``LinearRecursion.growth`` (range-restricted and not) equal the spectral radius of the
    enumerated operator to 1e-10; ``apply`` and ``dense_second_moment_matrix`` equal it entrywise.

    Kills: a wrong ``kappa``/``nu``/``_p`` in ``sampling.py`` (e.g. the bernoulli ``nu`` without its ``(1 - B/n)``,
    or ``n - 1`` -> ``n`` in ``_p``), a wrong mean or noise part of ``LinearRecursion.apply`` or of the diagonal
    closed form ``_diagonal_factors`` (e.g. ``kappa * hbar**2`` -> ``kappa * hbar``), a wrong ``dense_matrix``."""
    arg, stack, sampling, B, kind = case
    p, Hhat, Hr = _sgd_reference(stack, sampling, B)
    mom = Moments(p, Hr)
    crit = (lambda: mom.critical_lr()) if Hr.shape[1] else None
    lr = _lr(kind, stack.mean(axis=0), crit)
    ref = enum_growth(p, Hr, lr) if Hr.shape[1] else 1.0
    assert ms_growth(arg, lr, B, sampling=sampling) == pytest.approx(ref, rel=RTOL, abs=RTOL)
    # full space: the kernel adds the eigenvalue 1 (J = I there), nothing else
    full = sgd_recursion(arg, B, sampling=sampling, restrict_to_range=False)
    assert full.growth(lr) == pytest.approx(enum_growth(p, Hhat, lr), rel=RTOL, abs=RTOL)
    M = np.random.default_rng(0).standard_normal((stack.shape[1],) * 2)
    M = M + M.T
    scale = np.abs(operator(p, Hhat, lr)).max()
    np.testing.assert_allclose(full.apply(M, lr), enum_apply(p, Hhat, lr, M), rtol=0, atol=1e-12 * scale * 10)
    if Hr.shape[1] == stack.shape[1]:  # full range: the package's dense Kronecker form, on symmetric inputs
        T = dense_second_moment_matrix(arg, lr, B, sampling=sampling)
        np.testing.assert_allclose(T @ M.ravel(), operator(p, Hhat, lr) @ M.ravel(), rtol=0, atol=1e-11 * scale)


@MORE
@given(case=sgd_cases())
@example(case=(np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0], [1.0, 1.0]]),
               np.array([np.diag([1.0, 0.0]), np.diag([0.0, 4.0]), np.zeros((2, 2)), np.ones((2, 2))]),
               "with_replacement", 2, ("near", 0.0)))
def test_sgd_critical_lr_equals_enumerated_boundary(case):
    """``critical_lr`` equals the bisected boundary of the enumerated operator (relative 1e-9), and the enumerated
    growth crosses 1 there.

    Kills: the same coefficient bugs as above, plus a wrong Brent bracket or quadratic-root update in
    ``LinearRecursion.critical_lr`` (e.g. ``hi = 2.0 / lam[-1]`` -> ``1.9 / lam[-1]``)."""
    arg, stack, sampling, B, _ = case
    p, _, Hr = _sgd_reference(stack, sampling, B)
    if Hr.shape[1] == 0:
        assert critical_lr(arg, B, sampling=sampling) == np.inf  # nothing moves
        return
    mom = Moments(p, Hr)
    ref = mom.critical_lr()
    eta = critical_lr(arg, B, sampling=sampling)
    assert eta == pytest.approx(ref, rel=1e-9)
    assert mom.growth(eta * (1 - 1e-6)) < 1.0 and mom.growth(min(eta * (1 + 1e-6), 4 * ref)) >= 1.0 - 1e-12


def _generic(seed, n, d, rank=2):
    A = np.random.default_rng(seed).standard_normal((n, d, rank))
    return A @ A.transpose(0, 2, 1)


@pytest.mark.parametrize("sampling", ["bernoulli", "without_replacement", "with_replacement"])
@pytest.mark.parametrize("B", [1, 2, 4])
def test_sgd_generic_family_every_model(sampling, B):
    """A generic family (5 rank-two members in d = 3) under every model and batch size, growth and critical
    rate: the fixed companion of the property tests, so that no model can escape a short hypothesis run."""
    H = _generic(B, 5, 3)
    p, _, Hr = _sgd_reference(H, sampling, B)
    mom = Moments(p, Hr)
    eta = mom.critical_lr()
    for lr in (0.3 * eta, eta, 1.7 * eta):
        assert ms_growth(H, lr, B, sampling=sampling) == pytest.approx(mom.growth(lr), rel=RTOL)
    assert critical_lr(H, B, sampling=sampling) == pytest.approx(eta, rel=1e-9)


# ----------------------------------------------------------------------------- descent–ascent
ALPHAS = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.01, 0.99)


@st.composite
def mixed_cases(draw):
    d = draw(st.integers(1, 3))
    sampling = draw(st.sampled_from(["independent_bernoulli", "without_replacement", "pair_bernoulli"]))
    if sampling == "pair_bernoulli":  # 2^(n_r n_f) pair subsets: n_r n_f <= 10
        n_r = draw(st.integers(1, 3))
        n_f = draw(st.integers(1, 10 // n_r if n_r < 3 else 3))
    else:
        n_r, n_f = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    R, Rs = draw(families(d, n_r, n_r))
    F, Fs = draw(families(d, n_f, n_f))
    top = n_r * n_f if sampling == "pair_bernoulli" else min(n_r, n_f)
    B = draw(st.sampled_from([1, top]) | st.integers(1, top))
    return R, Rs, F, Fs, sampling, B, draw(ALPHAS), draw(LR_KINDS)


def _mixed_reference(Rs, Fs, sampling, B, alpha):
    p, cr, cf = mixed_batches(sampling, len(Rs), len(Fs), B)
    Dhat = (1 - alpha) * batch_hessians(cr, Rs) - alpha * batch_hessians(cf, Fs)
    U = range_basis((1 - alpha) * Rs.mean(axis=0) + alpha * Fs.mean(axis=0))
    return p, Dhat, restrict(Dhat, U)


@MORE
@given(case=mixed_cases())
@example(case=(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]),
               np.array([[1.0, 1.0]]), np.ones((1, 2, 2)), "pair_bernoulli", 1, 0.3, ("frac", 0.8)))
@example(case=(np.array([[2.0]]), np.array([[[4.0]]]), np.array([[1.0], [0.0]]), np.array([[[1.0]], [[0.0]]]),
               "without_replacement", 1, 0.5, ("frac", 1.0)))
def test_mixed_growth_equals_enumerated_operator(case):
    """``mixed_growth`` (and the unrestricted ``mixed_recursion``'s ``growth``/``apply``) equal the enumerated
    descent–ascent operator with retain weight :math:`1-\\alpha` and forget weight :math:`-\\alpha` to 1e-10.

    Kills: a sign or weight slip in ``mixed_recursion`` (``Term(forget, -alpha, ...)`` -> ``alpha``, or
    ``1 - alpha`` -> ``alpha``), the wrong per-family model (``without_replacement`` sent to ``bernoulli``), the
    pair count ``N = n_r * n_f``, and any coefficient of the pair-sandwich decomposition in ``pairs.py``."""
    R, Rs, F, Fs, sampling, B, alpha, kind = case
    p, Dhat, Dr = _mixed_reference(Rs, Fs, sampling, B, alpha)
    if Dr.shape[1] == 0:
        with pytest.raises(ValueError, match="all zero"):
            mixed_growth(R, F, 0.1, B, alpha=alpha, sampling=sampling)
        return
    mom = Moments(p, Dr)
    pd = np.linalg.eigvalsh(mom.mean)[0] > 1e-9 * np.abs(mom.mean).max()
    lr = _lr(kind, mom.mean, (lambda: mom.critical_lr()) if pd else None)
    ref = enum_growth(p, Dr, lr)
    assert mixed_growth(R, F, lr, B, alpha=alpha, sampling=sampling) == pytest.approx(ref, rel=RTOL, abs=RTOL)
    full = mixed_recursion(R, F, B, alpha=alpha, sampling=sampling, restrict_to_range=False)
    assert full.growth(lr) == pytest.approx(enum_growth(p, Dhat, lr), rel=RTOL, abs=RTOL)
    M = np.random.default_rng(1).standard_normal((Rs.shape[1],) * 2)
    M = M + M.T
    scale = np.abs(operator(p, Dhat, lr)).max()
    np.testing.assert_allclose(full.apply(M, lr), enum_apply(p, Dhat, lr, M), rtol=0, atol=1e-11 * scale)


@pytest.mark.parametrize("sampling", ["independent_bernoulli", "without_replacement", "pair_bernoulli"])
@pytest.mark.parametrize("alpha", [0.15, 0.6])
def test_mixed_generic_families_every_model(sampling, alpha):
    """Generic retain (4 members) and forget (3 members) families in d = 3 with B = 2, under every mixed model:
    growth at three step sizes, and the critical rate where the mean is positive definite."""
    R, F = _generic(10, 4, 3), _generic(11, 3, 3, rank=1)
    p, _, Dr = _mixed_reference(R, F, sampling, 2, alpha)
    mom = Moments(p, Dr)
    lam = np.linalg.eigvalsh(mom.mean)
    for lr in (0.2, 0.9, 1.9):
        lr = lr / lam[-1]
        assert mixed_growth(R, F, lr, 2, alpha=alpha, sampling=sampling) == pytest.approx(mom.growth(lr), rel=RTOL)
    eta = mixed_critical_lr(R, F, 2, alpha=alpha, sampling=sampling)
    assert eta == (pytest.approx(mom.critical_lr(), rel=1e-9) if lam[0] > 0 else 0.0)


@MORE
@given(case=mixed_cases())
def test_mixed_critical_lr_equals_enumerated_boundary(case):
    """``mixed_critical_lr`` equals the bisected boundary of the enumerated operator when the mean
    :math:`(1-\\alpha)H_r - \\alpha H_f` is positive definite on the range, and is 0 when it has a negative
    direction (then the enumerated growth exceeds 1 at every small step).

    Kills: the same weight/model bugs as above, and a wrong answer of the negative-curvature shortcut of
    ``LinearRecursion.critical_lr`` (``return 0.0`` -> ``return float('inf')``)."""
    R, Rs, F, Fs, sampling, B, alpha, _ = case
    p, _, Dr = _mixed_reference(Rs, Fs, sampling, B, alpha)
    if Dr.shape[1] == 0:
        return
    mom = Moments(p, Dr)
    w = np.linalg.eigvalsh(mom.mean)
    scale = np.abs(w).max()
    eta = mixed_critical_lr(R, F, B, alpha=alpha, sampling=sampling)
    if w[0] < -1e-9 * scale:
        assert eta == 0.0
        assert mom.growth(1e-3 / scale) > 1.0
    elif w[0] > 1e-9 * scale:
        assert eta == pytest.approx(mom.critical_lr(), rel=1e-9)
