"""User outputs follow the print rules too: ``rmtcheck spectrum --plot`` (per-layer ESD figures) and
``rmtcheck preflight --plot`` are 3.25 in or 6.5 in wide, every text in [7, 10] pt (one-level mathtext scripts at 0.7 of it); the page size is read back
with poppler's ``pdfinfo`` as well as by the package."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from rmtcheck.plotting.printed import check_printed, pdf_font_sizes


def _pdfinfo_size_pt(pdf) -> tuple[float, float]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    words = next(v for v in out.splitlines() if v.startswith("Page size:")).split()
    return float(words[2]), float(words[4])


def test_layer_spectrum_figure_keeps_the_print_rules(tmp_path):
    from rmtcheck.plotting.layer_spectra import plot_layer
    from rmtcheck.randmat.spectral import diagnose

    r = diagnose(np.random.default_rng(1).standard_t(3, size=(300, 150)), bootstrap=0)
    pdf = next(p for p in plot_layer(r, tmp_path) if p.suffix == ".pdf")
    assert check_printed(pdf) == []
    # base text in [7, 10] pt; the exponents of the 7 pt powers-of-ten tick labels and the 8 pt x_min, lambda_+ and
    # W^T scripts are real mathtext scripts at 0.7 x their base (4.9 and 5.6 pt), not Unicode glyphs at base size
    sizes = {round(s, 2) for s in pdf_font_sizes(pdf)}
    assert {4.9, 5.6, 7.0} <= sizes and all(7.0 <= s <= 10.0 for s in sizes - {4.9, 5.6})
    if shutil.which("pdfinfo"):
        assert _pdfinfo_size_pt(pdf)[0] == pytest.approx(468.0, abs=0.5)


def test_layer_spectrum_log_axes_label_decades_as_mathtext_powers_of_ten():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from rmtcheck.plotting.layer_spectra import _log_axis

    fig, ax = plt.subplots()
    try:
        ax.set_xscale("log")
        ax.set_xlim(5e-4, 300.0)
        _log_axis(ax.xaxis)
        ticks = [t for t in ax.xaxis.get_major_locator()() if 5e-4 <= t <= 300.0]
        labels = ax.xaxis.get_major_formatter().format_ticks(ticks)
    finally:
        plt.close(fig)
    assert ticks == pytest.approx([1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0], rel=1e-12)
    assert labels == [rf"$\mathdefault{{10^{{{k}}}}}$" for k in (-3, -2, -1, 0, 1, 2)]


def test_preflight_plot_keeps_the_print_rules(tmp_path):
    from rmtcheck.cli import main
    from rmtcheck.stability.gram import SampleCurvature, save_curvature

    g = np.random.default_rng(0)
    n, d = 40, 12
    F = g.standard_normal((n, d, 1)) / np.sqrt(d)
    cur = SampleCurvature(factors=F, coef=g.standard_normal((n, 1)) * 0.1, losses=np.full(n, 0.05), k=1)
    c = tmp_path / "c.npz"
    save_curvature(c, cur, n_retain=30)
    pdf = tmp_path / "f.pdf"
    argv = ["preflight", "--curvature", str(c), "--lr", "0.5", "--batch", "4", "--steps", "10", "--no-almost-sure",
            "--no-critical-alpha", "--plot", str(pdf)]
    assert main(argv) == 0
    assert check_printed(pdf) == []
    if shutil.which("pdfinfo"):
        assert _pdfinfo_size_pt(pdf)[0] == pytest.approx(234.0, abs=0.5)


def test_layer_plot_marks_the_eigenvalues_xmax_leaves_out(tmp_path):
    """With ``xmax=3`` the fit ends at the 4th largest eigenvalue, and the figure's data say so."""
    from rmtcheck.plotting.layer_spectra import plot_layer
    from rmtcheck.randmat import diagnose

    W = np.random.default_rng(1).standard_t(3, size=(600, 240))
    r = diagnose(W, name="W", xmax=3, bootstrap=0)
    d = np.load(plot_layer(r, tmp_path)[2])
    ev = np.sort(np.linalg.svd(W, compute_uv=False) ** 2)
    assert int(d["n_clipped"]) == 3
    assert float(d["xmax"]) == pytest.approx(ev[-4], rel=1e-9)
    plain = np.load(plot_layer(diagnose(W, name="W2", bootstrap=0), tmp_path)[2])
    assert int(plain["n_clipped"]) == 0 and float(plain["xmax"]) == pytest.approx(ev[-1], rel=1e-9)
