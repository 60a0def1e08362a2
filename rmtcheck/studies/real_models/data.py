"""The three real data sets (nothing is downloaded) and the three kinds of forget set.

Data sets (:data:`DATASETS`), each subsampled to ``n`` training samples by ``rng``:

``"digits"``
    scikit-learn's bundled 8x8 handwritten digits (1797 samples, 64 pixel features scaled to [0, 1],
    10 classes) [sklearn2011].
``"breast_cancer"``
    scikit-learn's bundled Wisconsin diagnostic breast cancer data (569 samples, 30 features standardised
    with the statistics of all 569 samples, 2 classes: 0 malignant, 1 benign) [sklearn2011].
``"mnist1d"``
    MNIST-1D [greydanus2024], *generated in memory* by the ``mnist1d`` package's ``make_dataset`` with its
    default transformation parameters and a seed drawn from ``rng`` (40 features, 10 classes). Its
    ``get_dataset`` (which downloads) is never called. ``make_dataset`` seeds NumPy's and Python's global
    generators; their states are saved and restored around the call, so loading has no side effect.

The generators live in :mod:`rmtcheck._lib.datasets` (shared with the SRAGU evaluation of
:mod:`rmtcheck.studies.spectral`); this module scales and subsamples them.

The scikit-learn data need the ``data`` extra (scikit-learn), MNIST-1D the ``mnist1d`` package (also in the
``data`` extra); a missing package raises ImportError naming the extra.

Forget sets (:data:`FORGET_KINDS`, :func:`forget_split`):

``"random"``
    ``round(frac * n)`` samples drawn uniformly without replacement by ``rng``;
``"class"``
    every training sample of one class (``forget_class``, default 0: the digit 0, or the malignant
    class of breast cancer, 37 % of the data);
``"highest_loss"``
    the ``round(frac * n)`` samples with the largest loss under the trained model (ties broken by index).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.datasets import BUNDLED, mnist1d_arrays, sklearn_arrays
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int

__all__ = ["DATASETS", "FORGET_KINDS", "Dataset", "load_dataset", "forget_split", "check_dataset", "check_kind"]

#: The data sets, by name.
DATASETS = BUNDLED
#: The kinds of forget set.
FORGET_KINDS = ("random", "class", "highest_loss")
_SIZES = {"digits": 1797, "breast_cancer": 569, "mnist1d": None}


@dataclass(frozen=True)
class Dataset:
    """A training sample of one data set.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n, d_in)
    y : ndarray of int64, shape (n,)
    n_classes : int
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    n_classes: int


def check_dataset(name) -> str:
    """``name`` if it is one of :data:`DATASETS`, else ValueError naming the argument ``dataset``."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}; got {name!r}")
    return name


def check_kind(kind) -> str:
    """``kind`` if it is one of :data:`FORGET_KINDS`, else ValueError naming the argument ``kind``."""
    if kind not in FORGET_KINDS:
        raise ValueError(f"kind must be one of {FORGET_KINDS}; got {kind!r}")
    return kind


def _sklearn(name: str):
    X, y = sklearn_arrays(name)
    if name == "digits":
        return X / 16.0, y, 10
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0), y, 2


def _mnist1d(n: int, seed: int):
    X, y = mnist1d_arrays(n, seed)
    return X, y, 10


def load_dataset(name: str, n: int, rng=None) -> Dataset:
    """``n`` training samples of data set ``name``, drawn without replacement by ``rng`` (module notes).

    Parameters
    ----------
    name : {"digits", "breast_cancer", "mnist1d"}
    n : int
        Number of samples, at least 20 and at most the size of the data set (1797 digits, 569 breast
        cancer; MNIST-1D is generated to size).
    rng : None, int, SeedSequence or Generator, optional
        Draws the subsample (and the MNIST-1D generation seed). The same seed gives the same data.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown ``name`` or ``n`` out of range.
    ImportError
        scikit-learn or mnist1d missing (the ``data`` extra).

    Examples
    --------
    >>> d = load_dataset("breast_cancer", 50, rng=0)  # doctest: +SKIP
    >>> d.X.shape, d.n_classes                         # doctest: +SKIP
    ((50, 30), 2)
    """
    check_dataset(name)
    n = check_int(n, "n", 20, _SIZES[name])
    g = as_generator(rng)
    if name == "mnist1d":
        X, y, c = _mnist1d(n, int(g.integers(2**31)))
    else:
        X, y, c = _sklearn(name)
    idx = np.sort(g.choice(y.size, size=n, replace=False))
    return Dataset(name, np.ascontiguousarray(X[idx]), y[idx].copy(), c)


def forget_split(kind: str, y, losses, frac: float = 0.1, rng=None, forget_class: int = 0):
    """Retain and forget indices (both sorted) of one kind of forget set (module notes).

    Parameters
    ----------
    kind : {"random", "class", "highest_loss"}
    y : array_like of int, shape (n,)
        Labels.
    losses : array_like, shape (n,)
        Per-sample losses of the trained model (used by ``"highest_loss"``).
    frac : float, default 0.1
        Forget fraction of ``"random"`` and ``"highest_loss"``, in (0, 1).
    rng : None, int, SeedSequence or Generator, optional
        Draws the ``"random"`` forget set.
    forget_class : int, default 0
        The class forgotten by ``"class"``.

    Returns
    -------
    retain, forget : ndarray of int

    Raises
    ------
    ValueError
        Unknown ``kind``; ``frac`` outside (0, 1); a class that is absent or is the whole set; sizes that
        leave an empty retain or forget set.

    Examples
    --------
    >>> r, f = forget_split("highest_loss", [0, 1, 0, 1], [0.1, 0.9, 0.5, 0.2], frac=0.5)
    >>> r.tolist(), f.tolist()
    ([0, 3], [1, 2])
    """
    check_kind(kind)
    y = np.asarray(y)
    L = as_finite_array(losses, "losses", ndim=1)
    n = y.size
    if L.size != n:
        raise ValueError(f"losses must have one entry per label ({n}); got {L.size}")
    if not 0.0 < float(frac) < 1.0:
        raise ValueError(f"frac must lie in (0, 1); got {frac!r}")
    n_f = max(1, int(round(float(frac) * n)))
    if kind == "random":
        forget = as_generator(rng).choice(n, size=n_f, replace=False)
    elif kind == "highest_loss":
        forget = np.argsort(-L, kind="stable")[:n_f]
    else:
        forget = np.flatnonzero(y == int(forget_class))
        if forget.size == 0 or forget.size == n:
            raise ValueError(f"forget_class {forget_class!r} has {forget.size} of {n} samples; it must have some, "
                             "but not all")
    forget = np.sort(forget)
    if n_f >= n:
        raise ValueError(f"frac={frac!r} leaves no retain sample out of {n}")
    mask = np.ones(n, dtype=bool)
    mask[forget] = False
    return np.flatnonzero(mask), forget
