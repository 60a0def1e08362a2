"""Johnstone's Tracy–Widom centring and scale, pinned by hand and checked against a simulated largest eigenvalue.

``rmtcheck.randmat.marchenko_pastur.tracy_widom_edge(N, M, s2)`` claims (its docstring, Johnstone 2001, Thm. 1.1):
with :math:`n = \\max(N, M)`, :math:`p = \\min(N, M)`,

.. math:: \\mu = s^2(\\sqrt{n-1} + \\sqrt p)^2,\\qquad
          \\sigma = s^2(\\sqrt{n-1} + \\sqrt p)\\,(1/\\sqrt{n-1} + 1/\\sqrt p)^{1/3},

and that :math:`(\\lambda_{\\max}(W^\\top W) - \\mu)/\\sigma` is approximately TW1 for Gaussian :math:`W`. The existing
test only checks :math:`0 < \\sigma < \\mu`.
"""

import math

import numpy as np
import pytest

from rmtcheck.randmat.marchenko_pastur import gram_edge, tracy_widom_edge

# Tracy-Widom (beta = 1) mean and standard deviation (Tracy & Widom 1996; Johnstone 2001, Table 1 region;
# the usual tabulated values -1.2065335745820 and sqrt(1.6077810345810) = 1.2679830...)
TW1_MEAN = -1.2065335745820
TW1_SD = math.sqrt(1.6077810345810)


def _johnstone(N, M, s2=1.0):
    """Johnstone (2001), Thm. 1.1, written out: n - 1 on the larger dimension, p the smaller."""
    n, p = max(N, M), min(N, M)
    r = math.sqrt(n - 1) + math.sqrt(p)
    return s2 * r * r, s2 * r * (1 / math.sqrt(n - 1) + 1 / math.sqrt(p)) ** (1 / 3)


def test_values_pinned_by_hand():
    """Pinned values. Kills: dropping the ``- 1`` (``np.sqrt(n1 - 1)`` -> ``np.sqrt(n1)``), the exponent
    ``1/3`` -> ``1/2``, ``max``/``min`` swapped, the scale ``s2`` applied twice or not at all."""
    # (400, 100): r = sqrt(399) + sqrt(100) = 19.974984355 + 10 = 29.974984355; mu = r^2 = 898.4996871;
    # sigma = r * (1/19.974984355 + 1/10)^(1/3) = 29.974984355 * 0.1500626174^(1/3) = 29.974984355 * 0.5314032087
    #       = 15.928802867
    mu, sigma = tracy_widom_edge(400, 100)
    assert mu == pytest.approx(29.974984355438178**2, rel=1e-12)
    assert mu == pytest.approx(898.4996871, rel=1e-9)
    assert sigma == pytest.approx(15.928802867, rel=1e-9)
    # orientation: n - 1 goes on the larger dimension whichever argument it is
    assert tracy_widom_edge(100, 400) == pytest.approx((mu, sigma), rel=1e-14)
    # (40, 20) with entry variance 2.5: r = sqrt(39) + sqrt(20) = 6.244998 + 4.472136 = 10.717134; mu = 2.5 r^2
    # = 287.142400
    mu, sigma = tracy_widom_edge(20, 40, 2.5)
    assert mu == pytest.approx(287.142400, rel=1e-8)
    assert (mu, sigma) == pytest.approx(_johnstone(40, 20, 2.5), rel=1e-14)
    for N, M in [(2, 1), (3, 7), (50, 50), (1000, 3)]:
        assert tracy_widom_edge(N, M) == pytest.approx(_johnstone(N, M), rel=1e-14)
    # gram_edge(n, k): Bai-Yin (sqrt k + sqrt n)^2 and the same centring and scale
    assert gram_edge(100, 400, 0.5) == pytest.approx((0.5 * 900.0, *_johnstone(400, 100, 0.5)), rel=1e-14)


def test_standardised_lambda_max_is_tracy_widom():
    """Simulated :math:`(\\lambda_{\\max}(W^\\top W) - \\mu)/\\sigma` for :math:`W` of shape 40 x 20 has the TW1 mean
    and standard deviation.

    Tolerance: ``allowance + Z * SE``. The allowance is the finite-size error of Johnstone's approximation at
    (n, p) = (40, 20) (pilot runs of 40 000 matrices, two seeds: mean -0.004 and sd -0.051 to -0.059 off TW1;
    both errors shrink with p), set to 0.04 for the mean and 0.09 for the sd. The sampling error has
    SE = sd/sqrt(R) for the mean and sd*sqrt((kurtosis - 1)/(4R)) for the sd (delta method, sample kurtosis).
    With Z = 4.5 each check fails by chance with probability 2 * Phi(-4.5) = 6.8e-6, both together < 1.4e-5
    (< 1e-4). The mean check alone moves 0.22 units if the ``- 1`` is dropped (mu grows by 1.71 = 0.22 sigma),
    more than its tolerance 0.04 + 4.5 * 0.0063 = 0.068. About 1 s."""
    N, M, R, Z = 40, 20, 40_000, 4.5
    mu, sigma = tracy_widom_edge(N, M)
    rng = np.random.default_rng(20010401)
    lam = []
    for _ in range(R // 4000):
        W = rng.standard_normal((4000, N, M))
        lam.append(np.linalg.eigvalsh(W.transpose(0, 2, 1) @ W)[:, -1])
    x = (np.concatenate(lam) - mu) / sigma
    mean, sd = x.mean(), x.std(ddof=1)
    kurt = np.mean((x - mean) ** 4) / sd**4
    se_mean, se_sd = sd / math.sqrt(R), sd * math.sqrt((kurt - 1) / (4 * R))
    assert abs(mean - TW1_MEAN) <= 0.04 + Z * se_mean, (mean, se_mean)
    assert abs(sd - TW1_SD) <= 0.09 + Z * se_sd, (sd, se_sd)
