"""Real-models study: data loaders (deterministic, nothing downloaded), forget sets, verdict rule, bad inputs."""

import random

import numpy as np
import pytest

from rmtcheck.studies.real_models import data as rd
from rmtcheck.studies.real_models import models as rm

pytest.importorskip("sklearn")


def _mnist1d():
    try:
        import mnist1d.data  # noqa: F401
    except ImportError as exc:  # the data extra installs it; CI must
        pytest.skip(f"mnist1d not installed ({exc}); pip install 'rmtcheck[data]'")


@pytest.mark.parametrize("name", ["digits", "breast_cancer"])
def test_sklearn_loaders_are_deterministic(name):
    a, b = rd.load_dataset(name, 60, rng=3), rd.load_dataset(name, 60, rng=3)
    c = rd.load_dataset(name, 60, rng=4)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert a.X.shape == (60, 64 if name == "digits" else 30) and a.y.dtype == np.int64
    assert a.n_classes == (10 if name == "digits" else 2) and set(np.unique(a.y)) <= set(range(a.n_classes))
    if name == "digits":
        assert 0.0 <= a.X.min() and a.X.max() <= 1.0
    else:  # standardised with the statistics of all 569 samples
        full = rd.load_dataset(name, 569, rng=0)
        assert np.allclose(full.X.mean(axis=0), 0, atol=1e-12) and np.allclose(full.X.std(axis=0), 1)


def test_mnist1d_is_generated_in_memory_deterministically_and_leaves_global_rngs_alone():
    _mnist1d()
    np_before = np.random.get_state()[1].copy()  # noqa: NPY002
    py_before = random.getstate()
    a, b = rd.load_dataset("mnist1d", 80, rng=7), rd.load_dataset("mnist1d", 80, rng=7)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert a.X.shape == (80, 40) and a.n_classes == 10
    assert not np.array_equal(a.X, rd.load_dataset("mnist1d", 80, rng=8).X)
    assert np.array_equal(np.random.get_state()[1], np_before) and random.getstate() == py_before  # noqa: NPY002


def test_forget_splits():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    L = np.arange(10.0)[::-1]
    r, f = rd.forget_split("class", y, L, forget_class=0)
    assert f.tolist() == [0, 3, 6, 9] and np.union1d(r, f).tolist() == list(range(10))
    r, f = rd.forget_split("highest_loss", y, L, frac=0.2)
    assert f.tolist() == [0, 1]
    r1, f1 = rd.forget_split("random", y, L, frac=0.3, rng=1)
    r2, f2 = rd.forget_split("random", y, L, frac=0.3, rng=1)
    assert f1.size == 3 and np.array_equal(f1, f2) and np.intersect1d(r1, f1).size == 0


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="dataset"):
        rd.load_dataset("cifar10", 50)
    with pytest.raises(ValueError, match="n must lie"):
        rd.load_dataset("breast_cancer", 10_000)
    with pytest.raises(ValueError, match="kind"):
        rd.forget_split("loudest", [0, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match="frac"):
        rd.forget_split("random", [0, 1], [0.0, 1.0], frac=1.5)
    with pytest.raises(ValueError, match="forget_class"):
        rd.forget_split("class", [0, 1], [0.0, 1.0], forget_class=5)
    d = rd.load_dataset("breast_cancer", 40, rng=0)
    tr = rm.train_to_zero(d.X, d.y, 2, 4, rng=0, loss_tol=10.0)  # no training needed for the checks
    sets = ((d.X[:30], d.y[:30]), (d.X[30:], d.y[30:]))
    with pytest.raises(ValueError, match="lr"):
        rm.unlearn(tr.model, tr.params, *sets, lr=0.0, alpha=1.0, batch=2, steps=1)
    with pytest.raises(ValueError, match="lr"):
        rm.unlearn(tr.model, tr.params, *sets, lr=-1.0, alpha=1.0, batch=2, steps=1)
    with pytest.raises(ValueError, match="batch"):
        rm.unlearn(tr.model, tr.params, *sets, lr=0.1, alpha=1.0, batch=11, steps=1)
    with pytest.raises(ValueError, match="alpha"):
        rm.unlearn(tr.model, tr.params, *sets, lr=0.1, alpha=1.5, batch=2, steps=1)


def test_verdict_thresholds_and_the_cell_verdict():
    assert rm.verdict(0.5, 0.0) == "leave"          # >= counts
    assert rm.verdict(0.4999, 0.4999) == "stay"
    assert rm.verdict(3.0, 0.5) == "collapse"       # collapse takes precedence
    assert rm.verdict(0.0, np.inf) == "collapse" and rm.verdict(np.inf, 0.1) == "leave"
    assert rm.verdict(0.3, 0.0, forget_thr=0.25) == "leave"
    with pytest.raises(ValueError, match="NaN"):
        rm.verdict(np.nan, 0.0)
    with pytest.raises(ValueError, match="forget_thr"):
        rm.verdict(0.1, 0.1, forget_thr=0.0)
    assert rm.cell_verdict(["collapse", "stay", "collapse"]) == "collapse"
    assert rm.cell_verdict(["stay", "leave", "collapse"]) == "leave"   # median: no majority
    assert rm.cell_verdict(["leave", "stay"]) == "stay"                # lower median of an even count
    with pytest.raises(ValueError):
        rm.cell_verdict([])


def test_unlearn_respects_the_batch_model_and_the_cap():
    d = rd.load_dataset("breast_cancer", 60, rng=1)
    tr = rm.train_to_zero(d.X, d.y, 2, 6, rng=1)
    assert tr.loss <= 0.01 and tr.accuracy == 1.0
    sets = ((d.X[:50], d.y[:50]), (d.X[50:], d.y[50:]))
    a = rm.unlearn(tr.model, tr.params, *sets, lr=0.01, alpha=0.5, batch=4, steps=5, rng=3)
    b = rm.unlearn(tr.model, tr.params, *sets, lr=0.01, alpha=0.5, batch=4, steps=5, rng=3)
    assert a == b and not a.blew_up and a.steps_done == 5 and 0 < a.dist < 1
    big = rm.unlearn(tr.model, tr.params, *sets, lr=1e6, alpha=1.0, batch=4, steps=5, rng=3, cap=1e3)
    assert big.blew_up and big.retain_rise == np.inf and rm.verdict(big.forget_rise, big.retain_rise) == "collapse"
