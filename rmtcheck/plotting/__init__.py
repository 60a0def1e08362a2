"""Figures: one function per figure, registered by name. Not imported by :mod:`rmtcheck`.

Every figure function has the signature ``fn(out_dir, quick=False, seed=0) -> list[Path]``: it
computes its data with the lower layers (or loads it), draws with the packaged style, and writes
``NAME.png``, ``NAME.pdf`` and ``NAME.npz`` (the data behind it) through :func:`save_figure`.
Figure modules in this package are discovered automatically.
"""
from ._registry import FIGURES, figure, figures, save_figure, style, write_npz
