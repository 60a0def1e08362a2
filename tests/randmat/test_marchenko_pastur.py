"""Marchenko–Pastur law (rmtcheck.laws)."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import integrate, stats

from rmtcheck.randmat.marchenko_pastur import bai_yin_edge, marchenko_pastur, mp_edges, tracy_widom_edge


def _integral(pdf, a, x):
    """The integral of ``pdf`` over [a, x] by quadrature in s = sqrt(t - a), with break points at the scale sqrt(a): for
    q near 1 the density grows like 1/sqrt(t) down to a lower edge a near 0 and turns over within sqrt(a) of it,
    which plain quad misses (off by 5e-6 at q = 0.99999; mpmath at 30 digits gives 1 for the package's density)."""
    top = np.sqrt(x - a)
    pts = [p for p in np.sqrt(a) * np.array([1.0, 10.0, 100.0, 1e3]) if 0 < p < top]
    return integrate.quad(lambda s: 2.0 * s * pdf(a + s * s), 0.0, top, points=pts or None, limit=400,
                          epsabs=1e-12)[0]


@given(q=st.floats(0.02, 8.0), s2=st.floats(0.05, 20.0), u=st.floats(0.01, 0.99))
@example(q=1.0, s2=1.0, u=0.5)
@example(q=1.0, s2=1.0, u=0.01)  # hard edge at 0
@example(q=0.99999, s2=1.0, u=0.5)  # lower edge at 8e-11: the density is nearly singular there
@example(q=1.00001, s2=20.0, u=0.01)
def test_pdf_cdf_consistent(q, s2, u):
    d = marchenko_pastur(q, s2)
    a, b = d.support()
    assert a == pytest.approx(s2 * (1 - np.sqrt(q)) ** 2) and b == pytest.approx(s2 * (1 + np.sqrt(q)) ** 2)
    assert _integral(d.pdf, a, b) == pytest.approx(1.0, abs=1e-7)
    x = a + u * (b - a)
    assert d.cdf(x) == pytest.approx(_integral(d.pdf, a, x), abs=1e-7)
    assert d.cdf(d.ppf(u)) == pytest.approx(u, abs=1e-10)
    assert d.mean() == pytest.approx(max(1.0, q) * s2, rel=1e-12)
    assert d.var() == pytest.approx(q * s2**2, rel=1e-12)


def test_cdf_outside_support_and_monotone():
    d = marchenko_pastur(0.3, 2.0)
    a, b = d.support()
    assert d.cdf(a - 1e-3) == 0 and d.cdf(b + 1) == 1 and d.pdf(b + 1) == 0 and d.pdf(a / 2) == 0
    xs = np.linspace(a, b, 500)
    assert np.all(np.diff(d.cdf(xs)) >= 0)


@pytest.mark.parametrize("N,M", [(600, 200), (400, 400), (200, 600)])
def test_gaussian_spectrum_ks(N, M):
    rng = np.random.default_rng(N + M)
    W = 1.5 * rng.standard_normal((N, M))
    ev = np.linalg.eigvalsh(W.T @ W / N)[-min(N, M):]
    assert stats.kstest(ev, marchenko_pastur(M / N, 2.25).cdf).pvalue > 1e-3
    # and a wrong scale is rejected: the test can fail
    assert stats.kstest(ev, marchenko_pastur(M / N, 2.25 * 1.6).cdf).pvalue < 1e-3


def test_q_greater_one_is_nonzero_law():
    # nonzero law at q equals q * MP(1/q)
    q, s2 = 3.0, 0.7
    d, e = marchenko_pastur(q, s2), marchenko_pastur(1 / q, s2)
    x = np.linspace(*d.support(), 7)[1:-1]
    assert np.allclose(d.cdf(x), e.cdf(x / q))


def test_edges_and_bai_yin():
    assert mp_edges(0.25, 4.0) == pytest.approx((1.0, 9.0))
    assert bai_yin_edge(100, 25, 2.0) == pytest.approx(100 * mp_edges(0.25, 2.0)[1])
    mu, sig = tracy_widom_edge(400, 100)
    assert mu == pytest.approx((np.sqrt(399) + 10) ** 2) and 0 < sig < mu


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_ratio(bad):
    with pytest.raises(ValueError, match="ratio"):
        marchenko_pastur(bad)
    with pytest.raises(ValueError, match="scale"):
        mp_edges(0.5, bad)


def test_rvs_matches_law():
    d = marchenko_pastur(0.5, 1.0)
    x = d.rvs(size=2000, random_state=np.random.default_rng(0))
    assert stats.kstest(x, d.cdf).pvalue > 1e-3
