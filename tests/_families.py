"""Random retain/forget Hessian families drawn from a seed (shared by the unlearning tests; not collected)."""

import numpy as np

from rmtcheck.stability.families import HessianFamily


def random_pair(seed, n_r=5, n_f=4, d=3, dense=False):
    """``(retain, forget)``: rank-one Gaussian factors, or rank-two dense PSD stacks with ``dense=True``."""
    rng = np.random.default_rng(seed)
    if dense:
        A = rng.standard_normal((n_r, d, 2))
        B = rng.standard_normal((n_f, d, 2))
        return (HessianFamily.from_stack(A @ A.transpose(0, 2, 1)),
                HessianFamily.from_stack(B @ B.transpose(0, 2, 1)))
    return (HessianFamily.from_factors(rng.standard_normal((n_r, d))),
            HessianFamily.from_factors(rng.standard_normal((n_f, d))))
