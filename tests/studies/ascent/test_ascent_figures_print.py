"""The four "Ascent Fails to Forget" figures: printed size and fonts read back with poppler, the data they draw
against independent references (the toy loss by its formula, Lemma 3's range by its formula, exact structured
ratios by the closed forms' geometry)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from scipy.special import expit

from rmtcheck.plotting import figures
from rmtcheck.plotting.printed import check_printed

NAMES = ("ascent-trajectories", "ascent-alpha-epsilon-window", "ascent-toy-basins", "ascent-random-forget")


def _pdfinfo_width_pt(pdf) -> float:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    line = next(v for v in out.splitlines() if v.startswith("Page size:"))
    return float(line.split()[2])


@pytest.mark.parametrize("name", NAMES)
def test_quick_figure_is_printed_at_a_paper_width_with_legal_fonts(name, tmp_path):
    paths = figures()[name](tmp_path, quick=True)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    assert check_printed(pdf) == []
    if shutil.which("pdfinfo"):  # an independent reader of the page size (poppler)
        assert _pdfinfo_width_pt(pdf) in (pytest.approx(234.0, abs=0.5), pytest.approx(468.0, abs=0.5))


def test_toy_landscape_window_matches_the_loss_formula():
    from rmtcheck.studies.ascent.experiments import toy_landscape

    d = toy_landscape(grid=11, box=1.0, center=(2.0, -0.5))
    np.testing.assert_allclose(d["a"], np.linspace(1.0, 3.0, 11))
    np.testing.assert_allclose(d["b"], np.linspace(-1.5, 0.5, 11))
    # retraining loss by hand (module notes): sum_i m_i (s(a x + b x^2) - t_i)^2 + 0.1 |theta|^2 with the
    # forgotten copies removed, s(z) = 1 / (1 + exp(-(1 + z) / 2)), targets t = (1 + y) / 2
    x, y, m = np.array([-1.0, 1, 3, 4]), np.array([-1.0, 1, -1, 1]), np.array([5.0, 4, 1, 2])
    a, b = d["a"][3], d["b"][7]
    h = expit((1 + a * x + b * x**2) / 2)
    ref = np.sum(m * (h - (1 + y) / 2) ** 2) + 0.1 * (a * a + b * b)
    assert d["loss_retrain"][3, 7] == pytest.approx(ref, rel=1e-12)
    # the default window is unchanged (centre at the origin)
    np.testing.assert_array_equal(toy_landscape(grid=5)["a"], np.linspace(-6.0, 6.0, 5))


def test_trajectory_alphas_are_the_multiples_of_lemma3s_range(tmp_path):
    paths = figures()["ascent-trajectories"](tmp_path, quick=True)
    d = np.load(next(p for p in paths if p.suffix == ".npz"))
    R, F = 900, 100
    lo, hi = F**2 / (R * (F + R + F)), F / R  # Lemma 3: |F|^2/(|R|(|F|+|D|)) <= alpha <= |F|/|R|, |D| = |R| + |F|
    np.testing.assert_allclose(d["lemma3_range"], [lo, hi], rtol=1e-12)
    np.testing.assert_allclose(d["alphas"], [0.3 * lo, (lo + hi) / 2, hi, 1.02 * hi, 1.5 * hi], rtol=1e-12)
    # the only run drawn as leaving the axes is the one with no stationary point (1.5 x the upper end)
    assert d["diverged"].tolist() == [False, False, False, False, True]


def test_structured_forget_ratio_is_exactly_zero_as_the_caption_says():
    from rmtcheck.studies.ascent.experiments import random_forget_study

    d = random_forget_study(trials=5, rng=3)
    s = d["structured"]
    # half of every visited coordinate is forgotten (no DA stationary point there); untouched coordinates have
    # DA equal to the oracle, so the distance ratio over coordinates with a minimum is 0
    assert np.all(s["ratio_local"] == 0.0) and np.all(s["frac_no_stationary"] > 0)
    assert np.all(d["uniform"]["ratio_local"] > 1.0)


def test_hoeffding_band_is_the_wilson_95_interval(tmp_path):
    paths = figures()["ascent-random-forget"](tmp_path, quick=True)
    d = np.load(next(p for p in paths if p.suffix == ".npz"))
    n, z = 400, 1.959963984540054  # hoeffding_experiment's default splits; the two-sided 95 % normal quantile
    p = d["hoeffding_freq"]
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    np.testing.assert_allclose(d["hoeffding_wilson_low"], centre - half, atol=1e-9)
    np.testing.assert_allclose(d["hoeffding_wilson_high"], centre + half, atol=1e-9)
    assert np.all(d["hoeffding_wilson_low"] <= p) and np.all(p <= d["hoeffding_wilson_high"])
