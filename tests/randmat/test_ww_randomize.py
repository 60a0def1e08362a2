"""WeightWatcher's randomised-ESD columns (``diagnose(randomize=True)``): recomputed here from the permutations the
seeded generator draws (NumPy's SVD, SciPy's Jensen-Shannon distance), closed forms, and random-matrix facts (a
permuted Gaussian matrix is MP with sigma 1 in WeightWatcher's units; a planted low-rank signal is destroyed by the
permutation, a planted large entry is not)."""

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from rmtcheck.randmat._ww_randomize import RAND_COLUMNS, jensen_shannon_distance
from rmtcheck.randmat.spectral import diagnose, diagnose_layers, spectrum_summary


def test_jensen_shannon_distance_closed_form_and_scipy():
    assert jensen_shannon_distance([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(np.log(2.0)), rel=1e-15)
    g = np.random.default_rng(0)
    p, q = g.random(50), g.random(50)
    q *= p.sum() / q.sum()  # equal sums (as the ESDs of a matrix and its permutation): WeightWatcher's m is SciPy's
    assert jensen_shannon_distance(p, q) == pytest.approx(jensenshannon(p, q), rel=1e-12)


def _by_hand(W, seed):
    """The columns from the generator's first draws: the replicated ESD, then one more permutation."""
    g = np.random.default_rng(seed)
    ev = np.sort(np.linalg.svd(W, compute_uv=False) ** 2)
    reps = 5 if ev.size < 100 else 1
    rand = np.sort(np.concatenate([np.linalg.svd(g.permutation(W.ravel()).reshape(W.shape), compute_uv=False) ** 2
                                   for _ in range(reps)]))
    one = np.sort(np.linalg.svd(g.permutation(W.ravel()).reshape(W.shape), compute_uv=False) ** 2)
    return ev, rand, one, reps


@pytest.mark.parametrize("shape", [(300, 60), (400, 150)])
def test_columns_recomputed_from_the_same_permutations(shape):
    W = np.random.default_rng(1).standard_t(3.0, shape)
    rec = diagnose(W, bootstrap=0, rng=7, randomize=True).record()
    ev, rand, one, reps = _by_hand(W, 7)
    assert rec["max_rand_eval"] == pytest.approx(rand[-1], rel=1e-10)
    assert rec["ww_softrank"] == pytest.approx(one[-1] / ev[-1], rel=1e-10)
    assert rec["ww_maxdist"] == pytest.approx(ev[-1] - one[-1], rel=1e-9)
    assert rec["rand_distance"] == pytest.approx(jensenshannon(ev, one), rel=1e-8)
    assert rec["rand_W_scale"] == pytest.approx(np.sqrt(rand.size / rand.sum()), rel=1e-10)
    assert rec["rand_bulk_min"] < rec["rand_bulk_max"] and rec["rand_mp_softrank"] == pytest.approx(
        rec["rand_bulk_max"] / rand[-1], rel=1e-12)
    assert (reps == 5) == (shape[1] < 100)


def test_a_permuted_gaussian_matrix_is_marchenko_pastur():
    """No spike; sigma = 1 in WeightWatcher's rescaled units; the edge near Bai-Yin's (sqrt N + sqrt M)^2."""
    N, M = 600, 200
    W = np.random.default_rng(2).standard_normal((N, M))
    rec = diagnose(W, bootstrap=0, rng=3, randomize=True).record()
    assert rec["rand_num_spikes"] == 0
    assert rec["rand_sigma_mp"] == pytest.approx(1.0, abs=0.03)
    assert rec["rand_bulk_max"] == pytest.approx((np.sqrt(N) + np.sqrt(M)) ** 2, rel=0.03)
    assert rec["rand_distance"] < 0.02 and abs(rec["ww_softrank"] - 1) < 0.05


def test_permutation_destroys_a_planted_signal_but_not_a_planted_large_entry():
    g = np.random.default_rng(4)
    N, M = 500, 200
    u, v = g.standard_normal(N), g.standard_normal(M)
    signal = g.standard_normal((N, M)) + 3.0 * np.outer(u, v) / np.sqrt(np.sqrt(N * M))
    rec = diagnose(signal, bootstrap=0, rng=5, randomize=True).record()
    assert rec["n_spikes"] >= 1 and rec["rand_num_spikes"] == 0
    assert rec["ww_maxdist"] > 0.5 * rec["lambda_max"] and rec["ww_softrank"] < 0.5
    trap = g.standard_normal((N, M))
    trap[3, 7] = 200.0  # a "correlation trap": one huge entry, which the permutation only moves
    rec = diagnose(trap, bootstrap=0, rng=5, randomize=True).record()
    assert rec["rand_num_spikes"] >= 1 and rec["max_rand_eval"] > 200.0 ** 2 * 0.9


def test_reproducible_and_the_bootstrap_is_unchanged():
    W = np.random.default_rng(6).standard_t(3.0, (200, 80))
    a = diagnose(W, bootstrap=50, rng=9, randomize=True)
    b = diagnose(W, bootstrap=50, rng=9, randomize=True)
    c = diagnose(W, bootstrap=50, rng=9)
    ra, rb, rc = a.record(), b.record(), c.record()
    assert all(ra[k] == rb[k] for k in RAND_COLUMNS)
    assert ra["alpha_ci"] == rc["alpha_ci"] and all(rc[k] is None for k in RAND_COLUMNS)


def test_conv_kernels_permute_each_slice_and_the_summary_averages():
    g = np.random.default_rng(8)
    layers = {"conv": g.standard_normal((64, 32, 3, 3)), "fc": g.standard_normal((120, 60)), "tiny": np.ones((3, 2))}
    res = diagnose_layers(layers, rng=0, bootstrap=0, randomize=True)
    recs = [r.record() for r in res]
    assert recs[2]["rand_distance"] is None  # a skipped layer has none
    conv = res[0]
    assert conv.extra["randomize"]["rand_replicas"] == 1 and conv.eigenvalues.size == 288
    s = spectrum_summary(res)
    assert s["rand_distance"] == pytest.approx(np.mean([recs[0]["rand_distance"], recs[1]["rand_distance"]]))
    assert "rand_distance" not in spectrum_summary(diagnose_layers(layers, rng=0, bootstrap=0))
