"""``inner_product_bound``: values pinned from its documented formula, and its tightness against simulation.

Documented (``rmtcheck/randmat/coherence_predictions.py``): with :math:`L = \\log(n(n-1)/\\delta)`,
:math:`t = 2\\sqrt{kL}`, and when :math:`t > \\sqrt2 k` the other Chernoff branch :math:`t = \\sqrt2(k/2 + L)`;
claimed :math:`\\Pr(\\max_{i<j}|\\langle\\xi_i,\\xi_j\\rangle| > t) \\le \\delta` for i.i.d. :math:`\\xi_i \\sim N(0, I_k)`.
The existing tests check monotonicity and that the bound holds at one loose level, so a bound that is wrong by a
constant (too small *or* uselessly large) survived.
"""

import math

import numpy as np
import pytest
from scipy import stats

from rmtcheck.randmat.coherence_predictions import inner_product_bound


def test_values_pinned_by_hand():
    """Both branches and the branch condition. Kills: the constant ``2`` -> ``sqrt(2)`` in ``2 * np.sqrt(k * L)``,
    ``n * (n - 1)`` -> ``n`` inside the log, the branch test
    ``np.sqrt(2) * k`` -> ``2 * k``, and ``k / 2`` -> ``k`` in the second branch."""
    # n = 10, k = 100, delta = 0.05: L = log(90 / 0.05) = log(1800) = 7.4955419439;
    # t = 2 sqrt(100 * 7.4955419439) = 2 * 27.3779870 = 54.7559748 <= sqrt(2) * 100: first branch
    assert inner_product_bound(10, 100, 0.05) == pytest.approx(54.7559748115, rel=1e-10)
    # n = 30, k = 5, delta = 0.1: L = log(870 / 0.1) = log(8700) = 9.0710783046; 2 sqrt(5 L) = 13.469 > sqrt(2) * 5
    # = 7.071: second branch t = sqrt(2) (5/2 + 9.0710783046) = 1.41421356 * 11.5710783046 = 16.3639758697
    assert inner_product_bound(30, 5, 0.1) == pytest.approx(16.3639758697, rel=1e-10)
    # n = 2, k = 2, delta = 0.5: L = log(2 / 0.5) = log 4 = 1.3862943611; 2 sqrt(2 L) = 3.3302 lies between
    # sqrt(2) k = 2.8284 and 2k = 4, so only the documented condition selects the second branch:
    # t = sqrt(2) (1 + 1.3862943611) = 3.3747298493
    assert inner_product_bound(2, 2, 0.5) == pytest.approx(3.3747298493, rel=1e-10)
    # the same, by the formula, on a grid (both branches)
    for n, k, delta in [(2, 1.0, 1e-9), (5, 3.5, 0.3), (50, 1e4, 1e-6), (200, 7.0, 0.01)]:
        L = math.log(n * (n - 1) / delta)
        t = 2 * math.sqrt(k * L)
        t = t if t <= math.sqrt(2) * k else math.sqrt(2) * (k / 2 + L)
        assert inner_product_bound(n, k, delta) == pytest.approx(t, rel=1e-13)


@pytest.mark.parametrize("n,k,delta", [(20, 50, 0.1), (10, 150, 0.2), (30, 5, 0.1)])
def test_bound_holds_and_is_within_factor_two_of_the_true_quantile(n, k, delta):
    """Against 4000 simulated maxima :math:`\\max_{i<j}|\\langle\\xi_i, \\xi_j\\rangle|`: the bound is at least the
    :math:`(1-\\delta)` quantile, and at most twice it (the Chernoff step loses about :math:`\\sqrt 2` against the
    Gaussian tail: observed ratios 1.53-1.75 for these sizes). ``(30, 5)`` is on the second branch.

    The quantile is bracketed distribution-free by order statistics: with ``T`` draws the number below the true
    quantile is Binomial(T, 1 - delta), so the order statistics at ranks ``T(1-delta) -/+ 4.5 sqrt(T delta(1-delta))``
    lie below/above it except with probability Phi(-4.5) = 3.4e-6 each; both checks together fail by chance with
    probability < 1e-5 (< 1e-4). Also the exceedance frequency must be consistent with a rate <= delta (binomial
    upper tail, p > 1e-5). Kills: a bound too small (``2`` -> ``1`` in ``2 * np.sqrt(k * L)``) or too loose by more
    than 2 (``2`` -> ``4``)."""
    T, Z = 4000, 4.5
    X = np.random.default_rng(n * 1000 + k).standard_normal((T, n, k))
    G = X @ X.transpose(0, 2, 1)
    iu = np.triu_indices(n, 1)
    mx = np.sort(np.abs(G[:, iu[0], iu[1]]).max(axis=1))
    half = Z * math.sqrt(T * delta * (1 - delta))
    q_lo = mx[int(math.floor(T * (1 - delta) - half)) - 1]  # below the true quantile w.p. >= 1 - 3.4e-6
    q_hi = mx[int(math.ceil(T * (1 - delta) + half)) - 1]   # above it w.p. >= 1 - 3.4e-6
    t = inner_product_bound(n, k, delta)
    assert t >= q_lo, (t, q_lo)        # holds: t >= true quantile >= q_lo
    assert t <= 2.0 * q_hi, (t, q_hi)  # tight to a factor 2: t <= 2 true quantile <= 2 q_hi
    exceed = int(np.sum(mx > t))
    assert stats.binom.sf(exceed - 1, T, delta) > 1e-5  # P(at least `exceed` | rate delta)
