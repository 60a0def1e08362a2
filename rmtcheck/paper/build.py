"""Building ``paper/main.pdf`` with latexmk when TeX is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = [
    "build_pdf", "TEX_INSTALL_HINT", "TEX_PACKAGES",
]


#: The Debian/Ubuntu packages that build the paper (about 65 MB; the same list as the README and ``.ci/run``).
TEX_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended", "latexmk", "lmodern",
                "poppler-utils")

TEX_INSTALL_HINT = (
    "No TeX installation found (latexmk and pdflatex are needed to build paper/main.pdf).\n"
    "Install one, then run `make -C paper` (or `rmtcheck paper`) again:\n"
    "  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends " + " ".join(TEX_PACKAGES) + "\n"
    "  macOS:         brew install --cask mactex-no-gui   (or: brew install basictex && sudo tlmgr install latexmk)\n"
    "  any OS:        TinyTeX (https://yihui.org/tinytex/), then: tlmgr install latexmk booktabs "
    "xcolor natbib lm\n"
    "The generated fragments under paper/generated/ are up to date; only the PDF step was skipped."
)


def tex_available() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def build_pdf(paper_dir, main: str = "main.tex", stream=None) -> int:
    """Build ``main.pdf`` with latexmk (pdflatex; reproducible: ``SOURCE_DATE_EPOCH=0``).

    Returns 0 on success; 3 with installation instructions when no TeX is installed; latexmk's exit
    status otherwise.

    Parameters
    ----------
    paper_dir : str or Path
        The paper's directory (latexmk's working directory).
    main : str
        The root ``.tex`` file, relative to ``paper_dir``.
    stream : file-like, optional
        Where the installation hint goes when TeX is missing (default: ``sys.stderr``).

    Returns
    -------
    int
        0 on success, 3 when latexmk or pdflatex is missing, else latexmk's exit status.
    """
    stream = sys.stderr if stream is None else stream
    if not tex_available():
        print(TEX_INSTALL_HINT, file=stream)
        return 3
    # max_print_line: an unwrapped main.log, so that check_log reads each message on one line
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1", max_print_line="100000")
    cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", main]
    return subprocess.run(cmd, cwd=str(paper_dir), env=env).returncode
