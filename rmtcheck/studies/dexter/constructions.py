"""The construction of Dexter et al. (2024), Theorem 2 [dexter2024]: the family that attains the bound.

* :func:`theorem2_construction` — :math:`\\sigma` of :math:`n` per-sample Hessians equal to
  :math:`m e_1e_1^\\top`, the others 0, so that the coherence is exactly :math:`\\sigma`.

The Hessian-test family of the paper's Fig. 1 is :func:`rmtcheck.randmat.families.dexter_construction`
(shared with Chang & Khanna's unlearning Hessian test); the thresholds come from ``proofs/dexter_*.py``
through :mod:`rmtcheck.stability.thresholds`.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import check_int, check_positive
from rmtcheck.stability.families import HessianFamily

__all__ = [
    "theorem2_construction",
]


def theorem2_construction(n: int, sigma: int, lam: float, d: int = 1) -> HessianFamily:
    """Theorem 2's family: :math:`H_i = m e_1 e_1^\\top` for :math:`i \\le \\sigma`, else 0.

    :math:`m = n\\lambda/\\sigma`, so :math:`\\lambda_{\\max}(H) = \\lambda` and the coherence is exactly
    :math:`\\sigma`. [paper] Under bernoulli sampling the recursion is mean-square stable iff
    :math:`\\eta < \\eta_2 = 2\\sigma/(\\lambda(\\sigma + n/B - 1))` [derived; ``proofs/dexter_theorem2.py``].

    Parameters
    ----------
    n : int
        Number of samples, :math:`n \\ge 1`.
    sigma : int
        Number of nonzero members (the coherence), :math:`1 \\le \\sigma \\le n`.
    lam : float
        :math:`\\lambda_{\\max}` of the mean Hessian, :math:`> 0`.
    d : int, optional
        Dimension (default 1); only coordinate :math:`e_1` carries curvature.

    Returns
    -------
    HessianFamily
        Rank-one family with factors :math:`g_i = \\sqrt{m}\\,e_1` (:math:`i \\le \\sigma`), 0 otherwise.

    See Also
    --------
    rmtcheck.randmat.families.dexter_construction : the Hessian-test family of Fig. 1.
    rmtcheck.stability.thresholds : ``theorem2_lr`` and ``theorem2_factor``.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Theorem 2.

    Examples
    --------
    >>> from rmtcheck.stability.coherence import coherence
    >>> from rmtcheck.stability.operator import sgd_recursion
    >>> fam = theorem2_construction(n=10, sigma=3, lam=2.0)
    >>> fam.lambda_max, round(coherence(fam), 12)
    (2.0, 3.0)
    >>> eta_star = sgd_recursion(fam, 2, sampling="bernoulli").critical_lr()
    >>> round(eta_star, 12) == round(2 * 3 / (2.0 * (3 + 10 / 2 - 1)), 12)
    True
    """
    n = check_int(n, "n", 1)
    sigma = check_int(sigma, "sigma", 1, n)
    lam = check_positive(lam, "lam")
    G = np.zeros((n, check_int(d, "d", 1)))
    G[:sigma, 0] = np.sqrt(n * lam / sigma)
    return HessianFamily.from_factors(G)


