import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmtcheck.randmat.families import gaussian_factors, wishart_stack
from rmtcheck.stability.families import HessianFamily, as_family, range_coordinates


def test_rejects_nan_nonsymmetric_nonpsd_and_bad_shapes():
    with pytest.raises(ValueError, match="NaN"):
        as_family(np.full((3, 2), np.nan))
    A = np.random.default_rng(0).standard_normal((4, 3, 3))
    with pytest.raises(ValueError, match="not symmetric"):
        HessianFamily.from_stack(A)
    with pytest.raises(ValueError, match="positive semi-definite"):
        HessianFamily.from_stack(-np.eye(3)[None].repeat(2, 0))
    assert as_family(np.ones((2, 3, 4))).is_blocks  # (n, d, k) with k != d: factor blocks
    with pytest.raises(ValueError, match="shape"):
        as_family(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="shape"):
        as_family(np.zeros(5))
    # signed families are allowed on request
    assert not HessianFamily.from_stack(-np.eye(3)[None], psd=False).psd


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), d=st.integers(1, 6))
def test_rank_one_paths_equal_dense_paths(seed, n, d):
    rng = np.random.default_rng(seed)
    f1 = gaussian_factors(n, d, rng)
    f2 = HessianFamily.from_stack(f1.dense())
    M = rng.standard_normal((d, d)); M = M + M.T
    np.testing.assert_allclose(f1.sum_sandwich(M), f2.sum_sandwich(M), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(f1.sum_sandwich(M), sum(H @ M @ H for H in f2.stack), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(f1.mean, f2.mean, atol=1e-12)
    np.testing.assert_allclose(f1.top_eigenvalues, f2.top_eigenvalues, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(f1.gram_traces, f2.gram_traces, rtol=1e-10, atol=1e-10)
    C = rng.random((5, n)); X = rng.standard_normal((5, d))
    np.testing.assert_allclose(f1.weighted_apply(C, X), f2.weighted_apply(C, X), rtol=1e-10, atol=1e-10)
    ref = np.einsum("ri,iab,rb->ra", C, f2.stack, X)
    np.testing.assert_allclose(f1.weighted_apply(C, X), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(f1.weighted_sum(C), np.einsum("ri,iab->rab", C, f2.stack), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(f1.sum_squares(), sum(H @ H for H in f2.stack), rtol=1e-10, atol=1e-10)


def test_range_coordinates_of_singular_family():
    G = np.zeros((4, 5)); G[:, :2] = np.random.default_rng(1).standard_normal((4, 2))
    U = range_coordinates(as_family(G).psd_parts())
    assert U.shape == (5, 2)
    assert np.allclose(U[2:], 0)
    assert np.allclose(U.T @ U, np.eye(2))
    D = np.zeros((3, 5)); D[0, 1] = 1.0; D[1, 3] = 2.0  # diagonal members: an index array
    assert range_coordinates(as_family(D).psd_parts()).tolist() == [1, 3]
    assert range_coordinates(as_family(np.eye(5)).psd_parts()) is None  # full range


def test_wishart_is_psd_and_diagonal_detection():
    f = wishart_stack(5, 4, 2, 0)
    assert f.eigenvalues.min() > -1e-12 and not f.is_diagonal
    g = np.zeros((3, 4)); g[0, 1] = 1; g[1, 2] = 2
    assert as_family(g).is_diagonal
