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
``data`` extra); a missing package raises ImportError naming the extra.
"""

from __future__ import annotations

import math
import random

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
    try:
        from sklearn import datasets
    except ImportError as exc:  # pragma: no cover - the data extra is in dev and CI
        raise ImportError(f"dataset {name!r} needs scikit-learn: pip install 'rmtcheck[data]'") from exc
    d = datasets.load_digits() if name == "digits" else datasets.load_breast_cancer()
    return np.asarray(d.data, dtype=float), np.asarray(d.target, dtype=np.int64)


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
