import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import ortho_group

from rmtcheck.randmat.families import dexter_construction, gaussian_factors, wishart_stack
from rmtcheck.stability.coherence import coherence, coherence_batch, coherence_matrix
from rmtcheck.stability.families import HessianFamily
from rmtcheck.studies.dexter.constructions import theorem2_construction


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 15), d=st.integers(1, 6), rank=st.integers(1, 3),
       scale=st.floats(1e-3, 1e3))
@example(seed=0, n=1, d=1, rank=1, scale=1.0)
def test_bounds_and_invariances(seed, n, d, rank, scale):
    rng = np.random.default_rng(seed)
    rank = min(rank, d)
    fam = wishart_stack(n, d, rank, rng)
    s = coherence(fam)
    assert 1 - 1e-9 <= s <= n * np.sqrt(rank) * (1 + 1e-9)
    Q = ortho_group.rvs(d, random_state=seed % 2**32) if d > 1 else np.ones((1, 1))
    rotated = HessianFamily.from_stack(np.einsum("ab,ibc,dc->iad", Q, fam.stack, Q) * scale)
    assert np.isclose(coherence(rotated), s, rtol=1e-8)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20), d=st.integers(1, 8))
def test_rank_one_S_is_abs_gram(seed, n, d):
    G = np.random.default_rng(seed).standard_normal((n, d))
    S = coherence_matrix(G)
    np.testing.assert_allclose(S, np.abs(G @ G.T), rtol=1e-12)
    dense = coherence_matrix(HessianFamily.from_stack(G[:, :, None] * G[:, None, :]))
    np.testing.assert_allclose(dense, S, rtol=1e-8, atol=1e-10)
    assert np.isclose(coherence_batch(G[None])[0], coherence(G), rtol=1e-10)


def test_absolute_value_matters():
    # g1 = (1, 1), g2 = (1, -1) / 2 ... negative inner products must count as shared curvature
    G = np.array([[1.0, 0.2], [-1.0, -0.2]])
    assert np.isclose(coherence(G), 2.0)


def test_extremes_and_constructions():
    assert np.isclose(coherence(np.eye(5)), 1.0)                    # orthogonal: sigma = 1
    assert np.isclose(coherence(np.ones((7, 3))), 7.0)              # identical rank one: sigma = n
    for s in (1, 3, 10):
        assert np.isclose(coherence(theorem2_construction(10, s, 2.0)), s)
        f = dexter_construction(20, s, 2.0)
        assert np.isclose(coherence(f), s) and np.isclose(f.lambda_max, 2.0)
    with pytest.raises(ValueError, match="all zero"):
        coherence(np.zeros((3, 2)))


def test_large_n_uses_lanczos_and_agrees():
    G = gaussian_factors(700, 5, 3).factors
    S = np.abs(G @ G.T)
    ref = np.linalg.eigvalsh(S)[-1] / (G**2).sum(1).max()
    assert np.isclose(coherence(G), ref, rtol=1e-9)
