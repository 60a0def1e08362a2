"""Mini-batch sampling models.

The stochastic Hessian of one step is :math:`\\hat H = \\sum_i c_i H_i` with random weights
:math:`c_i`. Every model here is exchangeable with :math:`\\mathbb E[\\hat H] = H`, so its second moment is
fixed by two numbers (``kappa``, ``nu``):

.. math::

    \\mathbb E[\\hat H M \\hat H] - H M H = \\kappa\\, H M H + \\nu \\sum_i H_i M H_i .

Writing :math:`a = \\mathbb E[c_i c_j]` (:math:`i\\neq j`) and :math:`b = \\mathbb E[c_i^2]`, one has
:math:`\\kappa = a n^2 - 1` and :math:`\\nu = b - a`. [derived; ``proofs/sgd_operator.py`` derives all three]

=====================  ====================================  =====================================
model                  :math:`\\kappa`                         :math:`\\nu`
=====================  ====================================  =====================================
``bernoulli``          0                                     :math:`\\frac{1}{nB}(1 - B/n)`
``without_replacement`` :math:`-p`, :math:`p=\\frac{n-B}{B(n-1)}` :math:`p/n`
``with_replacement``   :math:`-1/B`                          :math:`1/(nB)`
=====================  ====================================  =====================================

``bernoulli`` (random batch size, mean ``B``) is what the proofs of Dexter et al. (2024) use;
``without_replacement`` (exactly ``B`` distinct samples) is what their experiments ran.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.validation import check_batch, check_int

__all__ = [
    "BATCH_MODELS",
    "SAMPLING_MODELS", "SamplingModel", "sampling_model", "check_sampling", "MIXED_SAMPLINGS",
]

#: The one table of batch models: name -> (which dynamics use it, what one batch is).
BATCH_MODELS = {
    "bernoulli": ("sgd", "each sample independently with probability B/n, weight 1/B (random batch size)"),
    "without_replacement": ("sgd, mixed", "exactly B distinct samples, uniformly (per family for unlearning)"),
    "with_replacement": ("sgd", "B independent uniform indices (repeats allowed), weight count/B"),
    "independent_bernoulli": ("mixed", "retain members with probability B/n_r, forget members with B/n_f, "
                                       "independently"),
    "pair_bernoulli": ("mixed", "each of the n_r n_f (retain, forget) pairs with probability B/N"),
}
#: Batch models of SGD on one family.
SAMPLING_MODELS = tuple(k for k, (use, _) in BATCH_MODELS.items() if "sgd" in use)
#: Batch models of descent–ascent unlearning.
MIXED_SAMPLINGS = ("independent_bernoulli", "pair_bernoulli", "without_replacement")


def check_sampling(name) -> str:
    if name not in SAMPLING_MODELS:
        raise ValueError(f"sampling must be one of {SAMPLING_MODELS}; got {name!r}")
    return name


@dataclass(frozen=True)
class SamplingModel:
    """A batch model for ``n`` samples with (mean) batch size ``B``.

    Attributes
    ----------
    name : str
        One of :data:`SAMPLING_MODELS`.
    n, B : int
        Population and batch size, ``1 <= B <= n``.
    """

    name: str
    n: int
    B: int

    def __post_init__(self):
        check_sampling(self.name)
        check_int(self.n, "n", 1)
        check_batch(self.B, self.n, "batch")

    @property
    def kappa(self) -> float:
        """Coefficient of :math:`HMH` in the covariance term."""
        B = self.B
        if self.name == "bernoulli":
            return 0.0
        if self.name == "without_replacement":
            return -self._p
        return -1.0 / B

    @property
    def nu(self) -> float:
        """Coefficient of :math:`\\sum_i H_i M H_i` in the covariance term."""
        n, B = self.n, self.B
        if self.name == "bernoulli":
            return (1.0 - B / n) / (n * B)
        if self.name == "without_replacement":
            return self._p / n
        return 1.0 / (n * B)

    @property
    def _p(self) -> float:
        n, B = self.n, self.B
        return 0.0 if n == 1 else (n - B) / (B * (n - 1))


    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Weights :math:`c` of shape ``(size, n)`` for ``size`` independent steps or runs."""
        n, B = self.n, self.B
        if self.name == "bernoulli":
            return (rng.random((size, n)) < B / n) / B
        if self.name == "without_replacement":
            c = np.zeros((size, n))
            if B == n:
                c[:] = 1.0 / B
                return c
            if B * B <= n:  # small batches: B iid indices, redraw the rows with a repeat (P <= 1 - e^-1/2)
                idx = np.empty((size, B), dtype=np.intp)
                bad = np.arange(size)
                while bad.size:
                    idx[bad] = rng.integers(0, n, (bad.size, B))
                    srt = np.sort(idx[bad], axis=1)
                    bad = bad[np.any(srt[:, 1:] == srt[:, :-1], axis=1)]
            else:
                idx = np.argpartition(rng.random((size, n)), B - 1, axis=1)[:, :B]
            np.put_along_axis(c, idx, 1.0 / B, axis=1)
            return c
        return rng.multinomial(B, np.full(n, 1.0 / n), size=size) / B


def sampling_model(name: str, n: int, B: int) -> SamplingModel:
    """Build a :class:`SamplingModel` (validates ``name``, ``n`` and ``B``)."""
    return SamplingModel(check_sampling(name), check_int(n, "n", 1), check_batch(B, n))


def check_mixed_sampling(name) -> str:
    if name not in MIXED_SAMPLINGS:
        raise ValueError(f"sampling must be one of {MIXED_SAMPLINGS}; got {name!r}")
    return name
