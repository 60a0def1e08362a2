"""What the dexter-hessian-test figure draws and its caption claims, against the theorems' closed forms.

* The Theorem 1 and 2 boundaries drawn as curves (:func:`rmtcheck.studies.dexter.figures.theorem_sigmas`)
  equal the closed forms typed here from the theorem statements: r = (eta lam / sigma)^2 (n/B - 1) = 1 and
  (1 - eta lam)^2 + eta^2 lam^2 (n/B - 1) / sigma = 1.
* The caption says the exact bernoulli boundary coincides with Theorem 2's: on every cell of the figure's
  grid the exact side of rho(T) = 1 (decided in rationals) is the side of Theorem 2's closed form, computed
  here in rationals too.
"""

from fractions import Fraction

import numpy as np
import pytest

from rmtcheck.studies.dexter.experiments import exact_side
from rmtcheck.studies.dexter.figures import FIG_B, FIG_SIGMA, theorem_sigmas


@pytest.mark.parametrize("lr", [0.5, 0.8, 0.3])
def test_theorem_boundaries_are_the_closed_forms(lr):
    lam, n = 2.0, 100
    B = np.array([1, 2, 3, 7, 10, 25, 49, 99], dtype=float)
    s1, s2 = theorem_sigmas(lr, lam, n, B)
    np.testing.assert_allclose(s1, lr * lam * np.sqrt(n / B - 1), rtol=1e-12)
    np.testing.assert_allclose(s2, (lr * lam) ** 2 * (n / B - 1) / (1 - (1 - lr * lam) ** 2), rtol=1e-12)


def test_theorem2_side_equals_the_exact_bernoulli_side_on_the_figure_grid():
    n, lam = 100, Fraction(2)
    assert FIG_B[0] == 1 and FIG_B[-1] == 49 and FIG_SIGMA[0] == 1 and FIG_SIGMA[-1] == 50
    boundary = 0
    for lr_text in ("0.5", "0.8"):
        eta = Fraction(lr_text)
        for B in FIG_B:
            s2 = eta**2 * lam**2 * (Fraction(n, int(B)) - 1) / (1 - (1 - eta * lam) ** 2)
            for s in FIG_SIGMA:
                expected = int(s2 > int(s)) - int(s2 < int(s))  # +1: the factor exceeds 1 (divergent), 0: exactly 1
                assert exact_side(n, int(s), int(B), float(lr_text), 2.0, "bernoulli") == expected, (lr_text, B, s)
                boundary += expected == 0
    assert boundary >= 1  # the grid holds a cell exactly on the boundary (B = 10, sigma = 9 at eta = 0.5)
