"""Print geometry of the figures: the two widths a figure may have, the font-size limits in print, and a
reader of the font sizes and page size a saved PDF actually contains.

Every figure is designed at the size it is printed at and included in the paper at scale 1:

* one column, :data:`COLUMN_WIDTH` = 3.25 in, or the full text width, :data:`FULL_WIDTH` = 6.5 in
  (a 10 pt LaTeX article with 1 in margins on letter paper);
* every piece of text between :data:`FONT_MIN_PT` = 7 pt and :data:`FONT_MAX_PT` = 10 pt; the one exception
  is a mathtext subscript or superscript (``$\\sigma_p$``, the exponent of ``$10^{-2}$``), which matplotlib
  sets at :data:`SCRIPT_SCALE` = 0.7 of its base size, as TeX does: it may be 0.7 times a base size of at
  least 7 pt (so 4.9 pt under 7 pt text), one level deep.

:func:`check_printed` enforces both on the saved PDF (not on the matplotlib objects, so that nothing a
figure draws escapes the check); :func:`rmtcheck.plotting.registry.save_figure` calls it, so a figure
that breaks the rules cannot be written.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

__all__ = ["COLUMN_WIDTH", "FULL_WIDTH", "FONT_MIN_PT", "FONT_MAX_PT", "SCRIPT_SCALE", "figure_size", "pdf_font_sizes",
           "pdf_page_size", "check_printed"]

#: One column of the paper, in inches.
COLUMN_WIDTH = 3.25
#: The paper's full text width, in inches.
FULL_WIDTH = 6.5
#: Smallest font size allowed in print, in points.
FONT_MIN_PT = 7.0
#: Largest font size allowed in print, in points.
FONT_MAX_PT = 10.0
#: Size of a mathtext sub- or superscript relative to its base (matplotlib's ``SHRINK_FACTOR``, TeX's
#: ``\scriptstyle`` ratio): a script may be this times a base size of at least :data:`FONT_MIN_PT`.
SCRIPT_SCALE = 0.7

_WIDTHS = {"column": COLUMN_WIDTH, "full": FULL_WIDTH}
_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.S)
_TF = re.compile(rb"/[^\s/]+\s+(-?[\d.]+)\s+Tf")
_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")


def figure_size(width: str = "full", height: float = 2.6) -> tuple[float, float]:
    """``figsize`` for a figure printed one column or full width.

    Parameters
    ----------
    width : {"full", "column"}
        Full text width (6.5 in) or one column (3.25 in).
    height : float
        Height in inches (positive; at most 8.5 in, two thirds of a page).

    Returns
    -------
    tuple of float
        ``(width_in, height_in)`` for ``plt.subplots(figsize=...)``.
    """
    if width not in _WIDTHS:
        raise ValueError(f"width={width!r}: use 'full' (6.5 in) or 'column' (3.25 in)")
    if not (0 < float(height) <= 8.5):
        raise ValueError(f"height={height!r}: use a height in inches in (0, 8.5]")
    return _WIDTHS[width], float(height)


def _streams(data: bytes):
    for m in _STREAM.finditer(data):
        head, body = m.group(1), m.group(2)
        if b"/FlateDecode" in head:
            try:
                body = zlib.decompress(body)
            except zlib.error:
                continue
        yield body


def pdf_font_sizes(path) -> list[float]:
    """Every font size (``Tf`` operator, in points) used in the content streams of a PDF.

    Matplotlib's PDF backend sets each run of text (and each mathtext glyph) with ``/Fk size Tf`` in an
    unscaled text space, so these are the sizes as printed when the PDF is included at scale 1.

    Parameters
    ----------
    path : str or Path
        A PDF written by matplotlib.

    Returns
    -------
    list of float
        The sizes in order of appearance (empty for a figure with no text).
    """
    data = Path(path).read_bytes()
    return [float(m.group(1)) for body in _streams(data) for m in _TF.finditer(body)]


def pdf_page_size(path) -> tuple[float, float]:
    """Width and height of the first page of a PDF, in inches (from its ``/MediaBox``).

    Parameters
    ----------
    path : str or Path
        A PDF file.

    Returns
    -------
    tuple of float
        ``(width_in, height_in)``.
    """
    m = _MEDIABOX.search(Path(path).read_bytes())
    if m is None:
        raise ValueError(f"path={str(path)!r}: no /MediaBox found; pass a PDF written by matplotlib")
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    return (x1 - x0) / 72.0, (y1 - y0) / 72.0


def check_printed(path) -> list[str]:
    """The ways a saved figure PDF breaks the print rules (an empty list when it keeps them).

    Parameters
    ----------
    path : str or Path
        A figure PDF.

    Returns
    -------
    list of str
        One line per problem: a width other than 3.25 in or 6.5 in, a font outside
        [:data:`FONT_MIN_PT`, :data:`FONT_MAX_PT`] points that is not a one-level script
        (:data:`SCRIPT_SCALE` times a base size of at least :data:`FONT_MIN_PT` used in the same figure), or a
        figure without any text.
    """
    problems = []
    w, h = pdf_page_size(path)
    if min(abs(w - COLUMN_WIDTH), abs(w - FULL_WIDTH)) > 0.01:
        problems.append(f"width {w:.3f} in: design it at 3.25 in (one column) or 6.5 in (full width)")
    sizes = pdf_font_sizes(path)
    if not sizes:
        problems.append("no text found: label the axes")
    else:
        bases = {round(v, 3) for v in sizes if v >= FONT_MIN_PT - 1e-6}
        scripts = {round(SCRIPT_SCALE * b, 3) for b in bases}
        small = [v for v in sizes if v < FONT_MIN_PT - 1e-6 and round(v, 3) not in scripts]
        lo, hi = min(small, default=FONT_MIN_PT), max(sizes)
        if small:
            problems.append(f"smallest font {lo:g} pt: use at least {FONT_MIN_PT:g} pt (a sub- or superscript: "
                            f"{SCRIPT_SCALE:g} x a base of at least {FONT_MIN_PT:g} pt, one level)")
        if hi > FONT_MAX_PT + 1e-6:
            problems.append(f"largest font {hi:g} pt: use at most {FONT_MAX_PT:g} pt")
    return problems
