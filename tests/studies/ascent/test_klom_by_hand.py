"""KLoM (KL divergence of margins) on hand-made margins, with the histogram arithmetic written out.

Documented (``rmtcheck/studies/ascent/_metrics.py``): margins clipped to ``[-clip, clip]``; per point ``bins``
equal-width bins over the combined range of both samples (``[lo, hi]``, the maximum falls in the last bin);
:math:`p, q` the unlearned/oracle histograms, each normalised by its own number of models;
:math:`\\mathrm{KL} = \\sum_{p_b > 0} p_b\\log(p_b/\\max(q_b, 10^{-5}))`; ``klom`` is the 95th percentile (linear
interpolation, NumPy's default) over points. The existing tests check only properties (non-negativity,
zero on identical samples, permutation invariance), which a wrong bin width, a swapped ``p``/``q`` or a
normalisation by the other sample's size all keep.
"""

import math

import numpy as np
import pytest

from rmtcheck.studies.ascent import klom, klom_per_point, margins_from_logits

# M1 = 4 unlearned models, M2 = 5 oracle models (different sizes, so each histogram's own normalisation matters),
# three points (columns).
P = np.array([[0.0, 1.0, -500.0],
              [1.0, 1.0, -100.0],
              [2.0, 1.0, 100.0],
              [8.0, 1.0, 300.0]])
Q = np.array([[0.0, 1.0, -100.0],
              [0.0, 1.0, -100.0],
              [8.0, 1.0, 100.0],
              [8.0, 1.0, 100.0],
              [8.0, 1.0, 100.0]])

# point A (column 0), bins = 4: lo = 0, hi = 8, width = 2. P -> bins floor(x/2) = 0, 0, 1, 4 -> clipped to 3:
# p = (2/4, 1/4, 0, 1/4); Q -> 0, 0, 3, 3, 3: q = (2/5, 0, 0, 3/5). The empty oracle bin 1 is floored to 1e-5:
# KL = 1/2 log((1/2)/(2/5)) + 1/4 log((1/4)/1e-5) + 1/4 log((1/4)/(3/5))
#    = 0.5 * 0.2231435513 + 0.25 * 10.1266311 + 0.25 * (-0.8754687374) = 2.4243623673
KL_A = 0.5 * math.log(0.5 / 0.4) + 0.25 * math.log(0.25 / 1e-5) + 0.25 * math.log(0.25 / 0.6)
# point B (column 1): every margin equal, hi == lo: width 1, everything in bin 0 on both sides: KL = 0
KL_B = 0.0
# point C (column 2), clip = 100: P -> (-100, -100, 100, 100); lo = -100, hi = 100, width = 50: bins 0, 0, 4 -> 3,
# 3: p = (1/2, 0, 0, 1/2); Q: q = (2/5, 0, 0, 3/5); KL = 1/2 log(1.25) + 1/2 log(5/6) = 1/2 log(25/24)
# = 1/2 * 0.0408219945 = 0.0204109973
# (unclipped, lo = -500 and width = 200 would put P in bins 0, 2, 3, 3: a different value)
KL_C = 0.5 * math.log(0.5 / 0.4) + 0.5 * math.log(0.5 / 0.6)


def test_per_point_values_by_hand():
    """Kills: ``p * log(p / qf)`` -> ``p * log(qf / p)`` or the floor applied to ``p``; ``width = (hi - lo) / bins``
    -> ``/ (bins - 1)``; ``np.floor`` -> ``np.round``; ``H / S.shape[0]`` normalised by the other sample's size; no
    clipping of the margins; the floor applied to ``p`` as well."""
    assert KL_A == pytest.approx(2.4243623673, rel=1e-10)
    assert KL_C == pytest.approx(0.02041099726, rel=1e-9)
    np.testing.assert_allclose(klom_per_point(P, Q, bins=4), [KL_A, KL_B, KL_C], rtol=1e-13, atol=1e-15)


def test_default_bins_and_floor_by_hand():
    """Defaults (20 bins, floor 1e-5, clip 100) on one point: P = (0, 10, 4.4), Q = (0, 0, 10, 4.6); lo = 0,
    hi = 10, width = 0.5: P -> bins 0, 20 -> 19, 8 (4.4/0.5 = 8.8); Q -> 0, 0, 19, 9 (4.6/0.5 = 9.2). p = 1/3 on
    bins 0, 8, 19; q = (1/2, 1/4, 1/4) on bins 0, 9, 19:
    KL = 1/3 log((1/3)/(1/2)) + 1/3 log((1/3)/1e-5) + 1/3 log((1/3)/(1/4)) = 1/3 log(2/3 * 10^5/3 * 4/3)
    = 1/3 log(800000/27) = 1/3 * 10.2965301 = 3.4321767. (With 10 bins, 4.4 and 4.6 share bin 4 and the value is 1/3 log(32/27).)
    Kills: ``bins=20`` -> a coarser default (e.g. 10), ``floor=1e-5`` -> another default (e.g. 1e-6)."""
    kl = klom_per_point(np.array([[0.0], [10.0], [4.4]]), np.array([[0.0], [0.0], [10.0], [4.6]]))
    assert kl[0] == pytest.approx(math.log(800000 / 27) / 3, rel=1e-12)
    assert kl[0] == pytest.approx(3.4321767, rel=1e-7)


def test_klom_percentile_by_hand():
    """``klom`` = 95th percentile of (KL_A, 0, KL_C) with linear interpolation: sorted (0, KL_C, KL_A), position
    0.95 * (3 - 1) = 1.9, so KL_C + 0.9 (KL_A - KL_C) = 0.0204110 + 0.9 * 2.4039514 = 2.1839672; the median is
    KL_C. Kills: the default ``percentile=95`` changed (e.g. to 90)."""
    expected = KL_C + 0.9 * (KL_A - KL_C)
    assert expected == pytest.approx(2.1839672, rel=1e-7)
    assert klom(P, Q, bins=4) == pytest.approx(expected, rel=1e-13)
    assert klom(P, Q, percentile=50, bins=4) == pytest.approx(KL_C, rel=1e-13)


def test_margins_by_hand():
    """:math:`z_y - \\log\\sum_{k\\ne y}e^{z_k}` for logits (1, 2, 3): label 0: 1 - log(e^2 + e^3) = -2 - log(1 + e^{-1})
    = -2.3132617; label 2: 3 - log(e + e^2) = 1 - log(1 + e^{-1}) = 0.6867383; label 1: 2 - log(e + e^3)
    = -1 - log(1 + e^{-2}) = -1.1269280. Kills: the own logit left in the log-sum-exp, or a wrong label gathered."""
    z = np.array([[1.0, 2.0, 3.0]] * 3)
    c = math.log(1 + math.exp(-1))
    expected = [-2 - c, -1 - math.log(1 + math.exp(-2)), 1 - c]
    np.testing.assert_allclose(margins_from_logits(z, np.array([0, 1, 2])), expected, rtol=1e-14)
    np.testing.assert_allclose(expected, [-2.3132617, -1.1269280, 0.6867383], atol=1e-7)
