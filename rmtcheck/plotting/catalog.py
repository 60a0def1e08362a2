"""The catalogue of figures: every study's ``figures`` module registers its figures on import."""

from __future__ import annotations

from typing import Callable

from rmtcheck import studies
from rmtcheck.plotting.registry import FIGURES

__all__ = ["figures"]


def figures() -> dict[str, Callable]:
    """All registered figures, sorted by name.

    Imports ``rmtcheck.studies.<study>.figures`` for every study (once); a figure registered by the
    caller with :func:`rmtcheck.plotting.figure` is included too.

    Returns
    -------
    dict of str to callable
        Figure name to ``fn(out_dir, quick=False, seed=0) -> list[Path]``.
    """
    studies.load("figures")
    return dict(sorted(FIGURES.items()))
