"""The spectral figures' helpers and data: equal-count bins are never empty, log ticks are labelled inside the
range in one notation (plain decimals, or mathtext powers of ten with real superscripts), and the quick figures keep
the print rules with MP edges equal to the closed form."""

import re

import numpy as np
import pytest

from rmtcheck.studies.spectral import figures as F


@pytest.mark.parametrize("n", [10, 64, 500, 3000])
def test_equal_count_bins_are_never_empty_and_balanced(n):
    rng = np.random.default_rng(n)
    for x in (rng.standard_t(1.2, n) ** 2, rng.exponential(1.0, n), np.round(rng.exponential(1.0, n), 1) + 0.1):
        edges = F._equal_count_edges(x)
        counts, _ = np.histogram(x, bins=edges)
        assert counts.sum() == n and counts.min() > 0
        if np.unique(x).size == n:  # no ties: every bin within one count of n / bins, up to the closed last bin
            assert counts.max() - counts.min() <= 2


@pytest.mark.parametrize(("lo", "hi", "sci"), [(2.1, 2.9, False), (0.08, 0.12, False), (0.09, 3.0, False),
                                               (7.0, 8e5, True), (1e-7, 0.02, True), (6.0, 30.0, False),
                                               (2e-4, 9e-4, True), (3e-5, 8e-4, True)])
def test_log_ticks_are_labelled_inside_the_range_in_one_notation(lo, hi, sci):
    import matplotlib
    from matplotlib.mathtext import MathTextParser

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        F._log_ticks(ax.xaxis, lo, hi)
        ticks = ax.xaxis.get_major_locator()()
        labels = ax.xaxis.get_major_formatter().format_ticks(ticks)  # as drawn (set_locs first)
    finally:
        plt.close(fig)
    assert 2 <= len(ticks) <= 5 and all(lo <= t <= hi for t in ticks)
    assert all(labels) and len(set(labels)) == len(labels)
    assert all(lab.startswith("$") == sci for lab in labels)  # mathtext exactly when outside [1e-3, 1e4)
    assert all(lab.isascii() for lab in labels)  # no Unicode superscript glyphs
    for t, lab in zip(ticks, labels):  # the label reads back as the tick value, and is valid mathtext
        assert _read(lab) == pytest.approx(t, rel=1e-9), (lab, t)
        if sci:
            MathTextParser("path").parse(lab)


_MATH = re.compile(r"\$\\mathdefault\{(?:(\d+(?:\.\d+)?)\\times)?10\^\{(-?\d+)\}\}\$")


def _read(label: str) -> float:
    """The number a tick label shows: a plain decimal, or mathtext 10^{e} or m\\times10^{e}."""
    if label.startswith("$"):
        m = _MATH.fullmatch(label)
        assert m, label
        return float(m.group(1) or 1) * 10.0 ** int(m.group(2))
    return float(label)


def test_quick_spectral_figures_keep_the_print_rules_and_their_mp_edges(tmp_path):
    pytest.importorskip("sklearn")
    from rmtcheck.plotting.printed import check_printed

    F.spectral_layers(tmp_path, quick=True, seed=1)
    F.spectral_alpha_xmin(tmp_path, quick=True, seed=1)
    for name in ("spectral-layers", "spectral-alpha-xmin"):
        assert check_printed(tmp_path / f"{name}.pdf") == []
    z = np.load(tmp_path / "spectral-layers.npz")
    for j, q in enumerate((0.5, 0.5, 0.5, 0.5)):  # 400x200 random matrices and the 128x64 trained layer
        s2 = float(z[f"mp_scale_{j}"])
        assert float(z[f"mp_edge_{j}"]) == pytest.approx(s2 * (1 + np.sqrt(q)) ** 2, rel=1e-12)
        ev = z[f"evals_{j}"]
        assert float(z[f"xmin_{j}"]) >= ev.min() and float(z[f"alpha_{j}"]) > 1
    a = np.load(tmp_path / "spectral-alpha-xmin.npz")
    for j in range(4):
        x, alpha, D = a[f"chosen_{j}"]
        k = int(np.argmin(a[f"ks_{j}"]))  # the marker is the KS minimiser of the drawn curve
        assert x == pytest.approx(a[f"xmin_over_edge_{j}"][k]) and D == pytest.approx(a[f"ks_{j}"][k])
