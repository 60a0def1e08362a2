"""The ``rmt-*`` figures: the intervals and statistics they draw, checked against independent references,
and each figure drawn at its preview size within the print rules."""

import numpy as np
import pytest
from scipy import stats

from rmtcheck.plotting.manifest import figure_description
from rmtcheck.plotting.printed import check_printed, pdf_page_size
from rmtcheck.studies.rmt import experiments as E
from rmtcheck.studies.rmt import figures as F


@pytest.mark.parametrize("m", [6, 20, 50, 200])
def test_median_interval_is_the_narrowest_order_statistic_interval_with_95_coverage(m):
    # coverage of [x_(j), x_(m-j+1)] for a continuous law is P(j <= Bin(m, 1/2) <= m - j), by enumeration
    pmf = np.array([stats.binom.pmf(i, m, 0.5) for i in range(m + 1)])

    def coverage(j):
        return pmf[j:m - j + 1].sum()

    x = np.arange(1.0, m + 1.0)  # sorted order statistics are the values themselves
    lo, hi = E.median_ci(x[::-1])
    j = int(lo)
    assert hi == m - j + 1
    assert coverage(j) >= 0.95 and coverage(j + 1) < 0.95


def test_median_interval_covers_the_true_median_at_its_level_by_simulation():
    rng = np.random.default_rng(1)
    X = rng.exponential(size=(4000, 40))  # median log 2
    lo, hi = E.median_ci(X, axis=1)
    cover = np.mean((lo <= np.log(2)) & (np.log(2) <= hi))
    assert 0.95 - 3 * np.sqrt(0.05 * 0.95 / 4000) <= cover <= 0.99


def test_median_interval_refuses_too_few_samples_and_bad_levels():
    with pytest.raises(ValueError, match="samples: 5 values"):
        E.median_ci(np.arange(5.0))
    with pytest.raises(ValueError, match="level=1.5"):
        E.median_ci(np.arange(50.0), level=1.5)


def test_floor_regimes_samples_each_capped_size_once():
    fr = E.floor_regimes(ns=(10, 100), ratios=(0.1, 1.0, 10.0), instances=200, seed=0)
    sizes = list(zip(fr["n"].tolist(), fr["d"].tolist()))
    assert len(sizes) == len(set(sizes))
    # n = 100: d is capped at 2e7 / (100 * 200) = 1000 = 0.1 n^2, so the three ratios give one size
    assert sizes == [(10, 10), (10, 100), (10, 1000), (100, 1000)]


def test_pooled_ks_statistic_is_the_sup_distance_to_an_independent_mp_cdf():
    r = E.mp_fits(sizes=((50, 200),), instances=4, seed=2)
    c = r["cases"][0]
    q = c["ratio"]
    a, b = (1 - np.sqrt(q)) ** 2, (1 + np.sqrt(q)) ** 2
    # Marchenko-Pastur density of G/d (q = n/d <= 1), integrated numerically: an independent CDF
    grid = np.linspace(a, b, 200_001)
    pdf = np.sqrt(np.maximum((b - grid) * (grid - a), 0)) / (2 * np.pi * q * grid)
    cdf = np.concatenate([[0], np.cumsum((pdf[1:] + pdf[:-1]) / 2 * np.diff(grid))])
    e = np.sort(c["eigs"])
    F_e = np.interp(e, grid, cdf)
    i = np.arange(1, e.size + 1)
    D = max((i / e.size - F_e).max(), (F_e - (i - 1) / e.size).max())
    assert c["n_pooled"] == e.size == 4 * 50
    assert c["D_pooled"] == pytest.approx(D, abs=2e-4)


@pytest.mark.parametrize("p, text", [(0.99989, "$p > 0.99$"), (0.052, "$p = 0.052$"), (0.3, "$p = 0.3$"),
                                     (0.0, "$p < 10^{-300}$")])
def test_p_values_are_never_printed_as_one(p, text):
    assert F._p_text(p) == text
    assert F._p_text(1.4e-123) == r"$p = 1.4 \times 10^{-123}$"


@pytest.mark.parametrize("name", ["rmt-coherence-histograms", "rmt-sigma-vs-snr", "rmt-mp-fits"])
def test_preview_keeps_the_print_rules_and_labels_every_axis(tmp_path, name, monkeypatch):
    seen = {}
    real = F.save_figure

    def spy(fig, out_dir, fname, data=None, params=None):
        seen["axes"] = [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]
        return real(fig, out_dir, fname, data, params)

    monkeypatch.setattr(F, "save_figure", spy)
    fn = {f.figure_name: f for f in (F.coherence_histograms, F.sigma_vs_snr_figure, F.mp_fits_figure)}[name]
    paths = fn(tmp_path, quick=True, seed=0)
    pdf = [p for p in paths if p.suffix == ".pdf"][0]
    assert check_printed(pdf) == [] and pdf_page_size(pdf)[0] == pytest.approx(6.5)
    assert seen["axes"] and all(x and y for x, y in seen["axes"]), seen["axes"]
    caption = figure_description(fn)
    assert len(caption.split()) <= 125
    assert name == "rmt-mp-fits" or "95 %" in caption  # every Monte Carlo estimate states its interval
