"""Figures: registry, deterministic saving, the packaged style and the manifest. Not imported by :mod:`rmtcheck`.

Every figure function has the signature ``fn(out_dir, quick=False, seed=0) -> list[Path]``: it
computes its data with the lower layers (or loads it), draws with the packaged style, and writes
``NAME.png``, ``NAME.pdf`` and ``NAME.npz`` (the data behind it) through :func:`save_figure`.

* :mod:`.registry` — the record side a study imports: :func:`figure`, :func:`save_figure`, :func:`style`;
* :mod:`.catalog` — :func:`figures`, which discovers every study's ``figures`` module;
* :mod:`.manifest` — generating figures and ``figures/manifest.json``.
"""

from rmtcheck.plotting.catalog import figures
from rmtcheck.plotting.registry import FIGURES, figure, save_figure, style, write_npz

__all__ = ["FIGURES", "figure", "figures", "save_figure", "style", "write_npz"]
