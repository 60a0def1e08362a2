"""The constructions of Dexter et al. (2024): Theorem 2's family and the Hessian-test family of Fig. 1."""

from __future__ import annotations

import numpy as np
from rmtcheck._lib.validation import check_int, check_positive
from rmtcheck.stability.families import HessianFamily

__all__ = [
    "theorem2_construction",
]


def theorem2_construction(n: int, sigma: int, lam: float, d: int = 1) -> HessianFamily:
    """Dexter et al. (2024), Theorem 2: :math:`H_i = m e_1 e_1^\\top` for :math:`i \\le \\sigma`, else 0.

    :math:`m = n\\lambda/\\sigma`, so :math:`\\lambda_{\\max}(H) = \\lambda` and the coherence is exactly
    :math:`\\sigma`. [paper]
    """
    n = check_int(n, "n", 1)
    sigma = check_int(sigma, "sigma", 1, n)
    lam = check_positive(lam, "lam")
    G = np.zeros((n, check_int(d, "d", 1)))
    G[:sigma, 0] = np.sqrt(n * lam / sigma)
    return HessianFamily.from_factors(G)


