"""The ``cnn-*`` figures: Wilson intervals and per-SNR counts against independent references, and both
figures drawn from a tiny grid within the print rules."""

import numpy as np
import pytest
from scipy import stats

from rmtcheck.plotting.manifest import figure_description
from rmtcheck.plotting.printed import check_printed, pdf_page_size
from rmtcheck.studies.cnn import experiments as E
from rmtcheck.studies.cnn import figures as F

TINY = dict(n=16, d=40, width=4, n_test=40, n_forget=6, steps=30)


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_wilson_interval_matches_scipy(level):
    for n in (1, 2, 7, 12, 40):
        for k in range(n + 1):
            ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
            assert E.wilson_interval(k, n, level) == pytest.approx([ci.low, ci.high], abs=1e-12)


def test_wilson_interval_broadcasts_and_refuses_bad_counts():
    lo, hi = E.wilson_interval([0, 3, 12], 12)
    assert lo[0] == pytest.approx(0, abs=1e-15) and hi[2] == pytest.approx(1) and lo[1] < 3 / 12 < hi[1]
    with pytest.raises(ValueError, match="k, n"):
        E.wilson_interval(5, 4)
    with pytest.raises(ValueError, match="level=0"):
        E.wilson_interval(1, 4, level=0)


def test_snr_fractions_count_the_alpha_positive_cells_of_each_snr():
    rng = np.random.default_rng(0)
    recs = [{"snr": s, "alpha": a, "obs_escape": bool(rng.random() < 0.5)}
            for s in (0.3, 0.1) for a in (0.0, 0.1, 0.2) for _ in range(3)]
    f = E.snr_fractions(recs, ["obs_escape"])
    assert f["snr"].tolist() == [0.1, 0.3] and f["n"].tolist() == [6, 6]
    for i, s in enumerate((0.1, 0.3)):
        k = sum(r["obs_escape"] for r in recs if r["snr"] == s and r["alpha"] > 0)
        assert f["obs_escape_k"][i] == k and f["obs_escape_frac"][i] == k / 6
        ci = stats.binomtest(k, 6).proportion_ci(method="wilson")
        assert f["obs_escape_ci"][:, i] == pytest.approx([ci.low, ci.high])
    with pytest.raises(ValueError, match="records: no cell"):
        E.snr_fractions(recs, ["obs_escape"], where=lambda r: r["alpha"] > 1)


@pytest.fixture
def tiny_grid(monkeypatch):
    real = E.cnn_unlearning_grid

    def tiny(preset="default", seed=0, **kw):
        return real(snrs=(0.05, 1.0), batches=(1, 2), alphas=(0.0, 0.1, 0.5), reps=2, seed=seed, **TINY)

    monkeypatch.setattr(E, "cnn_unlearning_grid", tiny)


@pytest.mark.parametrize("fn", [F.fig_cnn_heatmaps, F.fig_cnn_snr_escape])
def test_figure_keeps_the_print_rules_and_labels_every_axis(tmp_path, tiny_grid, monkeypatch, fn):
    seen = {}
    real = F.save_figure

    def spy(fig, out_dir, name, data=None, params=None):
        seen["axes"] = [(ax.get_xlabel(), ax.get_ylabel(), ax.get_label()) for ax in fig.axes]
        seen["data"] = data
        return real(fig, out_dir, name, data, params)

    monkeypatch.setattr(F, "save_figure", spy)
    paths = fn(tmp_path, quick=True, seed=0)
    pdf = [p for p in paths if p.suffix == ".pdf"][0]
    assert check_printed(pdf) == [] and pdf_page_size(pdf)[0] == pytest.approx(6.5)
    panels = [a for a in seen["axes"] if a[2] != "<colorbar>"]
    assert all(x for x, _, _ in panels) and panels[0][1], seen["axes"]
    if fn is F.fig_cnn_snr_escape:
        assert all(y for _, y, _ in panels)
        lo, hi = seen["data"]["wilson_obs_escape_ci"]
        frac = seen["data"]["wilson_obs_escape_frac"]
        assert np.all(lo <= frac) and np.all(frac <= hi) and np.all(hi - lo > 0)
    caption = figure_description(fn)
    assert len(caption.split()) <= 125
