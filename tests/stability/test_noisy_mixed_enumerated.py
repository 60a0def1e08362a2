"""``NoisyMixedDynamics`` (descent–ascent with gradient forcing) against the expectation over every batch.

One step of :math:`\\delta_{k+1} = J_S\\delta_k - \\eta\\hat g_S`, with :math:`J_S = I - \\eta(1-\\alpha)\\hat H^r_S + \\eta\\alpha\\hat H^f_S`
and :math:`\\hat g_S = (1-\\alpha)\\hat g^r_S - \\alpha\\hat g^f_S` built from the *same* batch :math:`S`, maps the moments
:math:`(M, m) = (\\mathbb E\\delta\\delta^\\top, \\mathbb E\\delta)` of a :math:`\\delta` independent of the batch to

.. math::

    M' = \\sum_S p_S\\big[J_SMJ_S - \\eta(J_Sm\\hat g_S^\\top + \\hat g_Sm^\\top J_S) + \\eta^2\\hat g_S\\hat g_S^\\top\\big],
    \\qquad m' = \\sum_S p_S\\,(J_Sm - \\eta\\hat g_S).

The reference sums this over every batch (``itertools.combinations`` for ``without_replacement``: exactly ``B``
retain and, independently, ``B`` forget members, weight 1/B; every subset for ``independent_bernoulli``), with no
use of the package's (kappa, nu). Until now the package's moment map had never been run with kappa != 0.
"""

import numpy as np
import pytest
from _enumerate import batch_hessians, families, mixed_batches
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.stability.noisy_unlearning import NoisyMixedDynamics


def enumerated_step(Rs, Fs, gr, gf, B, alpha, sampling, M, m, lr):
    """The exact one-step moment map, batch by batch."""
    p, cr, cf = mixed_batches(sampling, len(Rs), len(Fs), B)
    Hhat = (1 - alpha) * batch_hessians(cr, Rs) - alpha * batch_hessians(cf, Fs)
    ghat = (1 - alpha) * cr @ gr - alpha * cf @ gf  # (K, d): the batch gradient, same batch as Hhat
    J = np.eye(M.shape[0])[None] - lr * Hhat
    Jm = J @ m  # (K, d)
    M2 = (np.einsum("k,kij,jl,klm->im", p, J, M, J)
          - lr * np.einsum("k,ki,kj->ij", p, Jm, ghat) - lr * np.einsum("k,ki,kj->ij", p, ghat, Jm)
          + lr * lr * np.einsum("k,ki,kj->ij", p, ghat, ghat))
    m2 = np.einsum("k,ki->i", p, Jm - lr * ghat)
    return M2, m2


def _grads(draw, n, d, seed):
    """Per-member gradients drawn by structure: zero, or a random direction of drawn size."""
    g = np.random.default_rng(seed).standard_normal((n, d))
    scale = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]) | st.floats(0.1, 3.0), min_size=n, max_size=n)))
    return g * scale[:, None]


@st.composite
def cases(draw):
    d = draw(st.integers(1, 3))
    n_r, n_f = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    R, Rs = draw(families(d, n_r, n_r))
    F, Fs = draw(families(d, n_f, n_f))
    seed = draw(st.integers(0, 2**16))
    gr, gf = _grads(draw, n_r, d, seed), _grads(draw, n_f, d, seed + 1)
    B = draw(st.sampled_from([1, min(n_r, n_f)]) | st.integers(1, min(n_r, n_f)))
    alpha = draw(st.sampled_from([0.0, 0.3, 1.0]) | st.floats(0.01, 0.99))
    lr = draw(st.floats(0.01, 1.0))
    return R, Rs, F, Fs, gr, gf, B, alpha, lr


def _moments(d, seed):
    rng = np.random.default_rng(seed)
    A, m = rng.standard_normal((d, d)), rng.standard_normal(d)
    return A @ A.T + np.outer(m, m), m


@settings(max_examples=max(60, settings.default.max_examples))
@given(case=cases(), sampling=st.sampled_from(["without_replacement", "independent_bernoulli"]))
@example(case=(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), None, np.array([[1.0, 2.0], [0.5, 0.0]]), None,
               np.array([[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]]), np.array([[0.0, 1.0], [2.0, 0.0]]), 1, 0.3, 0.4),
         sampling="without_replacement")
def test_one_step_equals_expectation_over_every_batch(case, sampling):
    """``NoisyMixedDynamics.step`` (on all coordinates, ``restrict_to_range=False``) equals the enumerated
    one-step moment map to 1e-12, for ``without_replacement`` (kappa != 0) and ``independent_bernoulli``.

    Kills (each by a one-line mutation of ``rmtcheck/stability/noisy_unlearning.py``): the kappa term of ``Q``
    (``t.model.kappa * np.outer(gm, gm)``) or of ``_EHmg`` dropped, the sign of ``lr * self._EHmg(m)``, the
    forget weight of ``gbar`` (``-alpha`` -> ``alpha``), and the per-family coefficients of ``sampling.py`` that
    enter through ``rec.apply``. (Transposing a term of ``P`` is an equivalent mutant: ``step`` only uses
    ``P + P.T``.)"""
    R, Rs, F, Fs, gr, gf, B, alpha, lr = case
    Rs = Rs if Rs is not None else np.einsum("ia,ib->iab", R, R)
    Fs = Fs if Fs is not None else np.einsum("ia,ib->iab", F, F)
    d = Rs.shape[1]
    if not np.any((1 - alpha) * Rs.mean(axis=0) + alpha * Fs.mean(axis=0)):
        return  # nothing to analyse (mixed_recursion refuses it)
    dyn = NoisyMixedDynamics(R, F, gr, gf, B, alpha=alpha, sampling=sampling, restrict_to_range=False)
    assert dyn.d == d
    M, m = _moments(d, 7)
    M_ref, m_ref = enumerated_step(Rs, Fs, gr, gf, B, alpha, sampling, M, m, lr)
    M_pkg, m_pkg = dyn.step(M, m, lr)
    scale = max(1.0, np.abs(M_ref).max())
    np.testing.assert_allclose(M_pkg, M_ref, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(m_pkg, m_ref, rtol=0, atol=1e-12 * max(1.0, np.abs(m_ref).max()))


@pytest.mark.parametrize("B", [1, 2, 3])
@pytest.mark.parametrize("alpha", [0.2, 0.7])
def test_three_steps_without_replacement_generic(B, alpha):
    """Generic full-rank families (4 retain, 3 forget members, d = 3) under ``without_replacement``: three steps of
    ``iterate`` (traces) and of ``step`` (full moments) equal three enumerated steps from :math:`(I, 0)`; the
    range-restricted default (full range here) gives the same moments."""
    rng = np.random.default_rng(B)
    A = rng.standard_normal((4, 3, 3)); R = A @ A.transpose(0, 2, 1) / 3
    C = rng.standard_normal((3, 3, 2)); F = C @ C.transpose(0, 2, 1) / 2
    gr, gf = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))
    lr = 0.35
    dyn = NoisyMixedDynamics(R, F, gr, gf, B, alpha=alpha, sampling="without_replacement")
    assert dyn.rec.coords is None  # full range: the package works in the original coordinates
    M, m = np.eye(3), np.zeros(3)
    Mp, mp = M, m
    traces = [3.0]
    for _ in range(3):
        M, m = enumerated_step(R, F, gr, gf, B, alpha, "without_replacement", M, m, lr)
        Mp, mp = dyn.step(Mp, mp, lr)
        traces.append(np.trace(M))
        np.testing.assert_allclose(Mp, M, rtol=0, atol=1e-12 * np.abs(M).max())
        np.testing.assert_allclose(mp, m, rtol=0, atol=1e-12 * max(1.0, np.abs(m).max()))
    np.testing.assert_allclose(dyn.iterate(lr, 3), traces, rtol=1e-12)
