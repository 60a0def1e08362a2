"""User outputs follow the print rules too: ``rmtcheck spectrum --plot`` (per-layer ESD figures) and
``rmtcheck preflight --plot`` are 3.25 in or 6.5 in wide, every text in [7, 10] pt; the page size is read back
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
    from rmtcheck.plotting.layer_spectra import _tick, plot_layer
    from rmtcheck.randmat.spectral import diagnose

    r = diagnose(np.random.default_rng(1).standard_t(3, size=(300, 150)), bootstrap=0)
    pdf = next(p for p in plot_layer(r, tmp_path) if p.suffix == ".pdf")
    assert check_printed(pdf) == []
    assert min(pdf_font_sizes(pdf)) >= 7.0
    if shutil.which("pdfinfo"):
        assert _pdfinfo_size_pt(pdf)[0] == pytest.approx(468.0, abs=0.5)
    assert [_tick(v) for v in (1e-3, 1.0, 100.0, 2.5)] == ["10⁻³", "10⁰", "10²", "2.5"]


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
