"""The bundled real data sets (nothing is downloaded).

Shared by :mod:`rmtcheck.studies.real_models` (which re-exports the loaders from its ``data`` module),
:mod:`rmtcheck.studies.spectral` (the SRAGU evaluation), so that neither study
imports the other for them.

``"digits"``
    scikit-learn's bundled 8x8 handwritten digits (1797 samples, 64 pixel features in 0..16, 10 classes)
    [sklearn2011].
``"breast_cancer"``
    scikit-learn's bundled Wisconsin diagnostic breast cancer data (569 samples, 30 features, 2 classes:
    0 malignant, 1 benign) [sklearn2011].
``"mnist1d"``
    MNIST-1D [greydanus2024], *generated in memory* by the ``mnist1d`` package's ``make_dataset`` with its
    default transformation parameters and a given seed (40 features, 10 classes, the generator's own
    centring and scaling). Its ``get_dataset`` (which downloads) is never called. ``make_dataset`` seeds
    NumPy's and Python's global generators; their states are saved and restored around the call, so loading
    has no side effect.

The scikit-learn data need the ``data`` extra (scikit-learn), MNIST-1D the ``mnist1d`` package (also in the
``data`` extra); a missing package raises ImportError naming the extra. The two scikit-learn sets are read from
the CSV files that scikit-learn ships (``sklearn/datasets/data``) the way its loaders read them, without
importing scikit-learn (about a second per process); where the files are not found there, scikit-learn's
loaders are called.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import math
import random
from pathlib import Path

import numpy as np

__all__ = ["BUNDLED", "N_CLASSES", "sklearn_arrays", "mnist1d_arrays"]

#: The bundled data sets, by name.
BUNDLED = ("digits", "breast_cancer", "mnist1d")
#: Number of classes of each bundled set.
N_CLASSES = {"digits": 10, "breast_cancer": 2, "mnist1d": 10}


def sklearn_arrays(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The raw features and labels of a scikit-learn bundled set (no scaling).

    Parameters
    ----------
    name : {"digits", "breast_cancer"}

    Returns
    -------
    X : ndarray of float, shape (n, p)
    y : ndarray of int64, shape (n,)

    Raises
    ------
    ValueError
        Unknown ``name``.
    ImportError
        scikit-learn missing (the ``data`` extra).
    """
    if name not in ("digits", "breast_cancer"):
        raise ValueError(f"name must be 'digits' or 'breast_cancer' (the scikit-learn bundled sets); got {name!r}")
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is None:  # pragma: no cover - the data extra is in dev and CI
        raise ImportError(f"dataset {name!r} needs scikit-learn: pip install 'rmtcheck[data]'")
    roots = [Path(p) / "datasets" / "data" for p in (spec.submodule_search_locations or [])]
    fname = "digits.csv.gz" if name == "digits" else "breast_cancer.csv"
    path = next((r / fname for r in roots if (r / fname).is_file()), None)
    if path is None:  # pragma: no cover - a scikit-learn that keeps its data elsewhere
        from sklearn import datasets

        d = datasets.load_digits() if name == "digits" else datasets.load_breast_cancer()
        return np.asarray(d.data, dtype=float), np.asarray(d.target, dtype=np.int64)
    return _read_sklearn_csv(path)


def _read_sklearn_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of one of scikit-learn's bundled CSV files, parsed as its loaders parse them: the
    gzip-compressed digits with ``numpy.loadtxt`` (label in the last column), the breast cancer file with a
    header line ``n_samples, n_features, target names...`` and one sample per row."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = np.loadtxt(fh, delimiter=",")
        return np.ascontiguousarray(data[:, :-1]), data[:, -1].astype(np.int64)
    with path.open("r", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        head = next(rows)
        X, y = np.empty((int(head[0]), int(head[1]))), np.empty(int(head[0]), dtype=np.int64)
        for i, row in enumerate(rows):
            X[i] = np.asarray(row[:-1], dtype=np.float64)
            y[i] = int(row[-1])
    return X, y


def mnist1d_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At least ``n`` MNIST-1D samples (the training part of ``make_dataset``), generated in memory.

    ``make_dataset`` draws ``num_samples // 10`` per class and keeps the fraction ``train_split`` (0.8) for
    training; ``num_samples`` is chosen so that the training part holds at least ``n`` samples (a few more,
    at most 20). Same ``(n, seed)``, same arrays; the global NumPy and Python generators are left as found.

    Parameters
    ----------
    n : int
        At least 1.
    seed : int
        The generator's seed (``args.seed``), ``0 <= seed < 2**32``.

    Returns
    -------
    X : ndarray of float, shape (n', 40), n' >= n
    y : ndarray of int64, shape (n',)

    Raises
    ------
    ValueError
        ``n < 1`` or a seed out of range.
    ImportError
        mnist1d missing (the ``data`` extra).
    """
    if int(n) < 1:
        raise ValueError(f"n must be at least 1; got {n!r}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must lie in [0, 2**32); got {seed!r}")
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise ImportError("dataset 'mnist1d' needs the mnist1d package: pip install 'rmtcheck[data]' "
                          "(or pip install mnist1d)") from exc
    args = get_dataset_args()
    args.num_samples = 10 * math.ceil(int(n) / (10 * args.train_split)) + 10
    args.seed = int(seed)
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002 (restored below)
    try:
        d = make_dataset(args)  # in memory; never get_dataset (which downloads)
    finally:
        np.random.set_state(np_state)  # noqa: NPY002 (make_dataset seeds the global generator)
        random.setstate(py_state)
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=np.int64)
