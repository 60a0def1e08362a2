"""SRAGU on MNIST-1D: the data are mnist1d's own make_dataset output (called here directly), the evaluation and the
``rmtcheck sragu --dataset mnist1d`` path run on a tiny model, and the shared loader is the one real_models uses."""

import math
import random

import numpy as np
import pytest

pytest.importorskip("mnist1d", reason="MNIST-1D needs the 'data' extra (installed in CI)")


def _direct(seed: int, n: int):
    """MNIST-1D straight from the package: make_dataset with its default arguments, seed and size set here."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    args.num_samples = 10 * math.ceil(n / (10 * 0.8)) + 10
    d = make_dataset(args)
    return np.asarray(d["x"])[:n], np.asarray(d["y"])[:n]


def test_evaluation_data_are_make_dataset_with_the_drawn_seed_split_and_standardised():
    from rmtcheck.studies.spectral.evaluation import MNIST1D_SAMPLES, load_dataset

    np_state, py_state = np.random.get_state()[1].copy(), random.getstate()  # noqa: NPY002
    Xtr, ytr, Xte, yte = load_dataset("mnist1d", rng=11)
    assert np.array_equal(np.random.get_state()[1], np_state) and random.getstate() == py_state  # noqa: NPY002
    g = np.random.default_rng(11)
    X, y = _direct(int(g.integers(2**32)), MNIST1D_SAMPLES)
    perm = g.permutation(y.size)
    te, tr = perm[:1000], perm[1000:]
    mu, sd = X[tr].mean(0), X[tr].std(0)
    assert np.allclose(Xtr, (X[tr] - mu) / sd, atol=1e-12) and np.allclose(Xte, (X[te] - mu) / sd, atol=1e-12)
    assert np.array_equal(ytr, y[tr]) and np.array_equal(yte, y[te])
    assert Xtr.shape == (3000, 40) and set(np.unique(ytr)) == set(range(10))
    assert not np.array_equal(load_dataset("mnist1d", rng=12)[0], Xtr)


def test_shared_loader_is_the_one_real_models_uses():
    from rmtcheck._lib.datasets import mnist1d_arrays
    from rmtcheck.studies.real_models import data as rd

    X, y = mnist1d_arrays(120, 5)
    Xd, yd = _direct(5, 120)
    assert np.array_equal(X[:120], Xd) and np.array_equal(y[:120], yd) and X.shape[0] >= 120
    assert rd.DATASETS == ("digits", "breast_cancer", "mnist1d") and callable(rd.load_dataset)
    with pytest.raises(ValueError, match="seed"):
        mnist1d_arrays(10, -1)
    with pytest.raises(ValueError, match="n must"):
        mnist1d_arrays(0, 1)


def test_the_evaluation_and_the_cli_run_on_mnist1d(capsys):
    from rmtcheck.cli import main
    from rmtcheck.studies.spectral.evaluation import run_evaluation

    res = run_evaluation(dataset="mnist1d", hidden=(8,), epochs=1, max_passes=1, ft_epochs=1, seed=3,
                         methods=("none", "agu", "sragu"), regimes=("random",))
    assert res["sizes"] == [40, 8, 10] and res["gold"]["random"]["n_forget"] == 300
    none = next(r for r in res["records"] if r["method"] == "none")
    assert none["passes"] == 0 and 0.0 <= none["mia_auc"] <= 1.0 and 0.1 < none["test_acc"] <= 1.0
    assert main(["sragu", "--dataset", "mnist1d", "--quick", "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dataset mnist1d, MLP [40, 32, 10]") and "SRAGU vs AGU" in out
