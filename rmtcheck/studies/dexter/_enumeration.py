"""The second-moment operator by enumerating every batch: the reference the ``*.enumerated.*`` rows check the
package's operators against (nothing here uses :mod:`rmtcheck.stability`'s batch coefficients).

:math:`T = \\sum_S p_S\\, J_S \\otimes J_S` over every batch :math:`S` with its probability :math:`p_S`, where
:math:`J_S = I - \\eta \\hat H_S` and :math:`\\hat H_S` is the batch mean the model defines: ``bernoulli`` —
each sample in with probability :math:`B/n`, :math:`\\hat H_S = \\frac1B\\sum_{i\\in S} H_i`; ``without_replacement``
— :math:`S` uniform among the :math:`B`-subsets, :math:`\\hat H_S = \\frac1B\\sum_{i\\in S}H_i`;
``with_replacement`` — :math:`B` indices drawn uniformly and independently, :math:`\\hat H_S = \\frac1B\\sum_j
H_{i_j}`. Descent–ascent batches the retain and forget sets independently, each by its model:
:math:`J = I - \\eta(1-\\alpha)\\hat H^r_S + \\eta\\alpha \\hat H^f_{S'}`. Sizes: at most a few thousand batches.
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np


def batches(n: int, B: int, model: str):
    """``(probability, batch mean weights c)`` for every batch: :math:`\\hat H = \\sum_i c_i H_i`."""
    if model == "bernoulli":
        p = B / n
        for k in range(n + 1):
            for S in itertools.combinations(range(n), k):
                c = np.zeros(n)
                c[list(S)] = 1.0 / B
                yield p**k * (1 - p) ** (n - k), c
    elif model == "without_replacement":
        for S in itertools.combinations(range(n), B):
            c = np.zeros(n)
            c[list(S)] = 1.0 / B
            yield 1.0 / comb(n, B), c
    elif model == "with_replacement":
        for idx in itertools.product(range(n), repeat=B):
            yield 1.0 / n**B, np.bincount(idx, minlength=n) / B
    else:
        raise ValueError(f"unknown batch model {model!r}")


def sgd_operator(H: np.ndarray, lr: float, B: int, model: str) -> np.ndarray:
    """:math:`\\mathbb E[J\\otimes J]` (``d^2 x d^2``) for members ``H`` of shape ``(n, d, d)``."""
    n, d, _ = H.shape
    T = np.zeros((d * d, d * d))
    for p, c in batches(n, B, model):
        J = np.eye(d) - lr * np.tensordot(c, H, axes=1)
        T += p * np.kron(J, J)
    return T


def mixed_operator(Hr: np.ndarray, Hf: np.ndarray, lr: float, B: int, alpha: float, model: str) -> np.ndarray:
    """:math:`\\mathbb E[J\\otimes J]` of descent–ascent, retain and forget batched independently by ``model``."""
    d = Hr.shape[1]
    retain = [(p, np.tensordot(c, Hr, axes=1)) for p, c in batches(Hr.shape[0], B, model)]
    forget = [(p, np.tensordot(c, Hf, axes=1)) for p, c in batches(Hf.shape[0], B, model)]
    T = np.zeros((d * d, d * d))
    for (pr, Ar), (pf, Af) in itertools.product(retain, forget):
        J = np.eye(d) - lr * (1 - alpha) * Ar + lr * alpha * Af
        T += pr * pf * np.kron(J, J)
    return T


def spectral_radius(T: np.ndarray) -> float:
    """Largest modulus of the eigenvalues of ``T``."""
    return float(np.max(np.abs(np.linalg.eigvals(T))))
