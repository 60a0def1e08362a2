"""CNN unlearning experiment: splits, the cell function (sweep contract), the linearised prediction,
agreement rates and input validation."""

import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.studies.cnn import experiments as cu
from rmtcheck.studies.cnn import pretrained

TINY = dict(n=16, d=40, width=4, n_test=40, n_forget=6, steps=30)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 40), frac=st.floats(0.05, 0.95),
       split=st.sampled_from(pretrained.SPLITS))
@example(seed=0, n=4, frac=0.05, split="flipped")
def test_splits_are_valid_partitions(seed, n, frac, split):
    g = np.random.default_rng(seed)
    y = np.where(g.random(n) < 0.5, -1.0, 1.0)
    y[0] = 1.0
    flipped = g.random(n) < 0.2
    xi = g.random(n)
    k = int(np.clip(round(frac * n), 1, n - 1))
    if split == "class":
        k = min(k, int(np.sum(y > 0)))
    r, f = pretrained.split_indices(split, k, y, flipped, xi, g)
    assert f.size == k and r.size == n - k
    assert np.intersect1d(r, f).size == 0 and np.array_equal(np.union1d(r, f), np.arange(n))
    if split == "class":
        assert np.all(y[f] > 0)
    if split == "noise":
        assert xi[f].min() >= xi[r].max()
    if split == "flipped":
        nf = int(flipped.sum())
        assert flipped[f].sum() == min(nf, k)


def test_split_errors():
    y = np.array([1.0, -1.0, -1.0, -1.0])
    with pytest.raises(ValueError, match="split must be one of"):
        pretrained.split_indices("bogus", 1, y, np.zeros(4, bool), np.ones(4), np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_forget must lie"):
        pretrained.split_indices("random", 4, y, np.zeros(4, bool), np.ones(4), np.random.default_rng(0))
    with pytest.raises(ValueError, match="class \\+1"):
        pretrained.split_indices("class", 2, y, np.zeros(4, bool), np.ones(4), np.random.default_rng(0))


def test_cell_is_pure_picklable_json_and_deterministic():
    p = dict(snr=0.3, batch=2, alpha=0.2, train_seed=5, **TINY)
    fn = pickle.loads(pickle.dumps(cu.cnn_unlearning_cell))
    a, b = fn(p, 11), cu.cnn_unlearning_cell(dict(p), 11)
    assert a == b
    json.dumps(a)  # JSON scalars only
    c = cu.cnn_unlearning_cell(dict(p), 12)
    assert c["obs_dist"] != a["obs_dist"]  # the seed drives the batches
    assert a["train_converged"] and a["n_forget"] == TINY["n_forget"]
    assert a["pred_asymptotic"] == (a["rho"] > 1) and a["pred_horizon"] == (a["pred_rms_dist"] >= a["tau"])


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_linearised_prediction_matches_the_network_for_small_steps(alpha):
    # full retain and forget batches (B = n_r = n_f) make both runs deterministic; small steps keep the
    # network near W*, where the exact affine moment map must reproduce its displacement
    p = dict(snr=1.0, batch=10, alpha=alpha, n=20, n_forget=10, d=40, width=4, n_test=40, steps=20, lr_scale=0.02)
    r = cu.cnn_unlearning_cell(p, 0)
    assert abs(r["obs_dist"] / r["pred_rms_dist"] - 1) < 0.05, r


def test_grid_driver_independent_of_the_map_and_reports_agreement():
    kw = dict(snrs=(0.05, 1.0), batches=(1, 3), alphas=(0.0, 0.5), reps=1, seed=3, **TINY)
    serial = cu.cnn_unlearning_grid(**kw)

    def threaded(fn, cells, seeds):
        with ThreadPoolExecutor(2) as ex:
            return list(ex.map(fn, cells, seeds))

    def reversed_map(fn, cells, seeds):
        return [fn(c, s) for c, s in zip(cells[::-1], seeds[::-1])][::-1]

    for mapper in (threaded, reversed_map):
        other = cu.cnn_unlearning_grid(map_cells=mapper, **kw)
        assert other["records"] == serial["records"]
    assert serial["obs_escape_frac"].shape == (2, 2, 2)
    for key in ("agreement_asymptotic", "agreement_horizon"):
        v = serial[key]
        assert v.shape == (2,) and np.all((0 <= v) & (v <= 1))
        # the reported number is the fraction of matching verdicts, recomputed here from the records
        for i, s in enumerate(serial["snr"]):
            rs = [r for r in serial["records"] if r["snr"] == s]
            pk = "pred_asymptotic" if key.endswith("asymptotic") else "pred_horizon"
            assert v[i] == np.mean([r[pk] == r["obs_escape"] for r in rs])
    # alpha = 0.5 with pure-noise forget curvature escapes asymptotically (lambda_min(Dbar) < 0)
    assert all(r["pred_asymptotic"] for r in serial["records"] if r["alpha"] == 0.5)


def test_agreement_rate_can_fail_and_rejects_bad_input():
    assert cu.agreement_rate([True, True, False, False], [True, False, False, True]) == 0.5
    assert cu.agreement_rate([True], [False]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        cu.agreement_rate([True, False], [True])
    with pytest.raises(ValueError, match="at least one"):
        cu.agreement_rate([], [])


def test_seeds_follow_seedsequence_spawn():
    cells = cu.cnn_grid_cells(snrs=(0.1,), batches=(1,), alphas=(0.0, 0.1), reps=2, seed=7, **TINY)
    assert len(cells) == 4 and cells[0]["train_seed"] == cells[1]["train_seed"] != cells[2]["train_seed"]
    seen = []

    def spy(fn, cs, seeds):
        seen.extend(seeds)
        return [fn(c, s) for c, s in zip(cs, seeds)]

    cu.cnn_unlearning_grid(snrs=(0.1,), batches=(1,), alphas=(0.0, 0.1), reps=2, seed=7, map_cells=spy, **TINY)
    from rmtcheck.sweep import cell_rng

    assert len(seen) == 4
    for s, child in zip(seen, np.random.SeedSequence(7).spawn(4)):  # cell k draws from spawn child k
        assert cell_rng(s).random(3).tolist() == np.random.default_rng(child).random(3).tolist()


@pytest.mark.parametrize("params, match", [
    (dict(batch=1, alpha=0.1), "snr"),
    (dict(snr=0.1, alpha=0.1), "batch"),
    (dict(snr=0.1, batch=1, alpha=1.5), "alpha"),
    (dict(snr=-1.0, batch=1, alpha=0.1), "snr"),
    (dict(snr=0.1, batch=1, alpha=0.1, bogus=1), "unknown cell parameter"),
    (dict(snr=0.1, batch=1, alpha=0.1, sampling="pair_bernoulli"), "sampling"),
    (dict(snr=0.1, batch=1, alpha=0.1, split="bogus"), "split"),
    (dict(snr=0.1, batch=99, alpha=0.1), "batch"),
    (dict(snr=0.1, batch=1, alpha=0.1, tau=0.0), "tau"),
])
def test_bad_cell_params_raise(params, match):
    with pytest.raises(ValueError, match=match):
        cu.cnn_unlearning_cell({**TINY, **params}, 0)


def test_grid_rejects_bad_preset_and_empty_axes():
    with pytest.raises(ValueError, match="preset"):
        cu.cnn_grid_cells(preset="huge")
    with pytest.raises(ValueError, match="alphas must be non-empty"):
        cu.cnn_grid_cells(snrs=(0.1,), batches=(1,), alphas=())


def test_cell_draws_its_batches_from_the_spawned_child(monkeypatch):
    """Cell k's unlearning batches come from child k of SeedSequence(seed).spawn(n) (cell_rng)."""
    from rmtcheck.sweep import cell_rng, cell_seeds

    seen = []
    real = cu._training.descent_ascent

    def spy(*args, rng=None, **kw):
        seen.append((type(rng), getattr(getattr(rng, "bit_generator", None), "state", None)))  # before any draw
        return real(*args, rng=rng, **kw)

    monkeypatch.setattr(cu._training, "descent_ascent", spy)
    s = cell_seeds(11, 3)[2]
    cu.cnn_unlearning_cell(dict(snr=0.3, batch=2, alpha=0.1, **TINY), s)
    assert seen[0][0] is np.random.Generator
    assert seen[0][1] == cell_rng(s).bit_generator.state
    child = np.random.SeedSequence(11).spawn(3)[2]
    assert cell_rng(s).random(4).tolist() == np.random.default_rng(child).random(4).tolist()
