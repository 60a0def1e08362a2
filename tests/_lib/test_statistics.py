"""The shared statistics against SciPy: Wilson (binomtest) and Student-t (stats.t.interval) intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from rmtcheck._lib.statistics import t_interval, wilson_interval


@given(n=st.integers(1, 400), data=st.data(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_scipy_binomtest(n, data, level):
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k, n, level)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert lo == pytest.approx(ci.low, abs=1e-12) and hi == pytest.approx(ci.high, abs=1e-12)
    assert lo <= k / n <= hi


def test_wilson_takes_counts_from_fractions_and_refuses_non_counts():
    frac = np.arange(11) / 10
    np.testing.assert_allclose(wilson_interval(frac * 10, 10), wilson_interval(np.arange(11), 10), atol=0)
    for bad in ((0.5, 10), (11, 10), (-1, 10), (0, 0)):
        with pytest.raises(ValueError, match="integer counts"):
            wilson_interval(*bad)
    with pytest.raises(ValueError, match="level=1.5"):
        wilson_interval(1, 2, 1.5)


@given(x=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30), level=st.sampled_from([0.9, 0.95]))
def test_t_interval_matches_scipy(x, level):
    m, lo, hi = t_interval(x, level)
    a = np.asarray(x)
    sem = stats.sem(a)
    if sem == 0:
        assert lo == hi == pytest.approx(m)
        return
    ref = stats.t.interval(level, a.size - 1, loc=a.mean(), scale=sem)
    assert (lo, hi) == pytest.approx(ref, rel=1e-9, abs=1e-9)


def test_t_interval_one_value_and_bad_input():
    assert np.isnan(t_interval([2.0])[1])
    with pytest.raises(ValueError, match="finite values"):
        t_interval([1.0, np.nan])
