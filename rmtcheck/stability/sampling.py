"""Mini-batch sampling models: the one table of batch models, for SGD and for descent–ascent unlearning.

The stochastic Hessian of one step is :math:`\\hat H = \\sum_i c_i H_i` with random weights
:math:`c_i`. Every model here is exchangeable with :math:`\\mathbb E[\\hat H] = H`, so its second moment is
fixed by two numbers (``kappa``, ``nu``):

.. math::

    \\mathbb E[\\hat H M \\hat H] - H M H = \\kappa\\, H M H + \\nu \\sum_i H_i M H_i .

Writing :math:`a = \\mathbb E[c_i c_j]` (:math:`i\\neq j`) and :math:`b = \\mathbb E[c_i^2]`, one has
:math:`\\kappa = a n^2 - 1` and :math:`\\nu = b - a`. [derived; ``proofs/sgd_operator.py`` derives all three]

=======================  ========================================  =============================
model                    :math:`\\kappa`                            :math:`\\nu`
=======================  ========================================  =============================
``bernoulli``            0                                         :math:`\\frac{1}{nB}(1 - B/n)`
``without_replacement``  :math:`-p`, :math:`p=\\frac{n-B}{B(n-1)}`  :math:`p/n`
``with_replacement``     :math:`-1/B`                              :math:`1/(nB)`
=======================  ========================================  =============================

``bernoulli`` (random batch size, mean ``B``) is what the proofs of [1]_ (Theorems 1 and 2) use;
``without_replacement`` (exactly ``B`` distinct samples) is what their experiments ran. The
operator with these coefficients is the exact second-moment operator of [2]_.

The mixed (descent–ascent) models of :data:`MIXED_SAMPLINGS` reuse these per family:
``independent_bernoulli`` and ``without_replacement`` batch the retain and forget sets independently
(one :class:`SamplingModel` each), ``pair_bernoulli`` is ``bernoulli`` over the :math:`n_r n_f` pairs
(see :func:`~rmtcheck.stability.unlearning.mixed_recursion`).

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Theorems 1 and 2.
.. [2] Mulayoff and Michaeli (2024), "Exact Mean Square Linear Stability Analysis for SGD", COLT 2024
   [mulayoff2024].
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
    """Validate the name of an SGD batch model.

    Parameters
    ----------
    name : str
        One of :data:`SAMPLING_MODELS`.

    Returns
    -------
    str
        ``name`` unchanged.

    Raises
    ------
    ValueError
        If ``name`` is not in :data:`SAMPLING_MODELS`.
    """
    if name not in SAMPLING_MODELS:
        raise ValueError(f"sampling must be one of {SAMPLING_MODELS}; got {name!r}")
    return name


@dataclass(frozen=True)
class SamplingModel:
    """A batch model for ``n`` samples with (mean) batch size ``B``: its coefficients and its sampler.

    One step's stochastic Hessian is :math:`\\hat H = \\sum_i c_i H_i` with the weights :math:`c` of
    :meth:`draw`; :attr:`kappa` and :attr:`nu` fix its second moment (module table). Validated on
    construction; :func:`sampling_model` is the checked factory.

    Attributes
    ----------
    name : str
        One of :data:`SAMPLING_MODELS`.
    n, B : int
        Population and batch size, ``1 <= B <= n``.
    kappa, nu : float
        Coefficients of :math:`HMH` and :math:`\\sum_i H_iMH_i` in the covariance term (properties).

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``n < 1`` or ``B`` is not an integer in ``[1, n]``.

    See Also
    --------
    sampling_model, rmtcheck.stability.operator.Term

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 1 (the ``bernoulli`` model).
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
        """Coefficient :math:`\\kappa = an^2 - 1` of :math:`HMH` in the covariance term.

        [derived; ``proofs/sgd_operator.py``]
        """
        B = self.B
        if self.name == "bernoulli":
            return 0.0
        if self.name == "without_replacement":
            return -self._p
        return -1.0 / B

    @property
    def nu(self) -> float:
        """Coefficient :math:`\\nu = b - a` of :math:`\\sum_i H_i M H_i` in the covariance term.

        [derived; ``proofs/sgd_operator.py``]
        """
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
        """Draw batch weights :math:`c` for ``size`` independent steps or runs.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness.
        size : int
            Number of independent batches.

        Returns
        -------
        ndarray of shape (size, n)
            ``bernoulli``: :math:`1/B` on each sample with probability :math:`B/n`;
            ``without_replacement``: :math:`1/B` on exactly ``B`` distinct samples;
            ``with_replacement``: multiplicity/:math:`B` of ``B`` uniform draws. Every row has mean
            :math:`\\mathbb E[\\sum_i c_i] = 1` (exactly 1 for the fixed-size models).
        """
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
    """Build a validated :class:`SamplingModel`.

    Parameters
    ----------
    name : {"bernoulli", "without_replacement", "with_replacement"}
        The batch model (:data:`SAMPLING_MODELS`).
    n : int
        Number of samples, ``n >= 1``.
    B : int
        (Mean) batch size, ``1 <= B <= n``.

    Returns
    -------
    SamplingModel

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``n`` is not an integer ``>= 1`` or ``B`` not an integer in ``[1, n]``.

    See Also
    --------
    SamplingModel

    Examples
    --------
    >>> import numpy as np
    >>> m = sampling_model("without_replacement", 10, 3)
    >>> round(m.kappa, 6), round(m.nu, 6)          # -p and p/n with p = (n-B)/(B(n-1))
    (-0.259259, 0.025926)
    >>> c = m.draw(np.random.default_rng(0), 2)
    >>> c.shape, c.sum(axis=1).tolist(), (c > 0).sum(axis=1).tolist()
    ((2, 10), [1.0, 1.0], [3, 3])
    >>> [round(sampling_model(s, 10, 3).nu, 6) for s in SAMPLING_MODELS]
    [0.023333, 0.025926, 0.033333]
    """
    return SamplingModel(check_sampling(name), check_int(n, "n", 1), check_batch(B, n))


def check_mixed_sampling(name) -> str:
    """Validate the name of a descent–ascent batch model (one of :data:`MIXED_SAMPLINGS`); ``ValueError`` otherwise."""
    if name not in MIXED_SAMPLINGS:
        raise ValueError(f"sampling must be one of {MIXED_SAMPLINGS}; got {name!r}")
    return name
