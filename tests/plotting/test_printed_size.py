"""Print rules: every figure PDF is 3.25 in or 6.5 in wide with all text in [7, 10] pt, read from the PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmtcheck.plotting import registry as R
from rmtcheck.plotting.printed import check_printed, figure_size, pdf_font_sizes, pdf_page_size

FIGURES = Path(__file__).resolve().parents[2] / "figures"


def _draw(tmp_path, width=3.25, label_size=None, name="t"):
    with R.style() as plt:
        fig, ax = plt.subplots(figsize=(width, 2.0))
        ax.plot([0, 1], [0, 1], label="line")
        ax.set_xlabel(r"step size $\eta$", fontsize=label_size)
        ax.legend()
        return R.save_figure(fig, tmp_path, name)


def test_sizes_read_from_pdf_match_what_was_drawn(tmp_path):
    pdf = _draw(tmp_path, label_size=9.5)[1]
    sizes = pdf_font_sizes(pdf)
    assert 9.5 in sizes and 7.0 in sizes  # the label and the ticks / legend
    assert pdf_page_size(pdf) == pytest.approx((3.25, 2.0), abs=1e-9)
    assert check_printed(pdf) == []


@pytest.mark.parametrize("kwargs, message", [({"label_size": 6.0}, "smallest font 6 pt"),
                                             ({"label_size": 11.0}, "largest font 11 pt"),
                                             ({"width": 4.2}, "width 4.200 in")])
def test_save_figure_refuses_a_figure_that_breaks_the_rules(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _draw(tmp_path, **kwargs)


def test_one_level_of_mathtext_scripts_may_be_smaller(tmp_path):
    """$\\sigma_p$ under 8 pt text sets its subscript at 5.6 pt (0.7 x 8), which is allowed; a script of a script
    (0.49 x 8 = 3.92 pt) is not."""
    pdf = _draw(tmp_path, label_size=8.0)[1]
    assert check_printed(pdf) == []
    with R.style() as plt:
        fig, ax = plt.subplots(figsize=(3.25, 2.0))
        ax.set_xlabel(r"$\sigma_p$ and $10^{-2}$")
        fig.savefig(tmp_path / "script.pdf")
        plt.close(fig)
    assert {5.6, 8.0} <= set(pdf_font_sizes(tmp_path / "script.pdf"))
    assert check_printed(tmp_path / "script.pdf") == []
    with pytest.raises(ValueError, match="smallest font 3.92 pt"):
        with R.style() as plt:
            fig, ax = plt.subplots(figsize=(3.25, 2.0))
            ax.set_xlabel(r"$e^{x^2}$")
            R.save_figure(fig, tmp_path, "nested")


def test_figure_size_names_the_two_widths():
    assert figure_size("column", 2.0) == (3.25, 2.0) and figure_size("full", 3.0) == (6.5, 3.0)
    with pytest.raises(ValueError, match="width='half'"):
        figure_size("half")


def _manifest_figures():
    manifest = json.loads((FIGURES / "manifest.json").read_text())
    return sorted(manifest["figures"])


@pytest.mark.parametrize("name", _manifest_figures())
def test_every_committed_figure_keeps_the_print_rules(name):
    pdf = FIGURES / f"{name}.pdf"
    assert pdf.exists(), f"{pdf} is missing: run rmtcheck figures --only {name}"
    assert check_printed(pdf) == [], f"{name}: {check_printed(pdf)}"
