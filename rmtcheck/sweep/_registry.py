"""Named sweepable experiments: ``rmtcheck sweep list`` / ``rmtcheck sweep run NAME``.

A sweep is registered with a *cell builder* ``cells_fn(quick: bool = False) -> list[dict]`` (the
canonical cell order; a builder without a ``quick`` parameter is called with no argument) and a
module-level *cell function* ``cell_fn(params, seed) -> dict``. Either may be given as a dotted
``"package.module:name"`` string, resolved on first use, so the registry imports no experiment until
a sweep is listed or run (imports point downwards: experiments use the engine, the registry sits on
top of experiments).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

__all__ = ["register_sweep", "get_sweep", "sweeps", "Sweep"]


@dataclass
class Sweep:
    name: str
    cells_fn: Callable | str
    cell_fn: Callable | str
    description: str = ""

    def _resolve(self, f):
        if isinstance(f, str):
            mod, _, attr = f.partition(":")
            try:
                return getattr(importlib.import_module(mod), attr)
            except (ImportError, AttributeError) as exc:
                raise ValueError(f"sweep {self.name!r}: cannot load {f!r}: {exc}") from None
        return f

    @property
    def cell(self) -> Callable:
        return self._resolve(self.cell_fn)

    def cells(self, quick: bool = False) -> list[dict]:
        f = self._resolve(self.cells_fn)
        try:
            takes_quick = "quick" in inspect.signature(f).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins
            takes_quick = False
        return list(f(quick=quick) if takes_quick else f())


_REGISTRY: dict[str, Sweep] = {}


def register_sweep(name: str, cells_fn, cell_fn, description: str = "") -> Sweep:
    """Register (or replace) a sweepable experiment under ``name``; returns the record."""
    if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name):
        raise ValueError(f"sweep name must be a non-empty string without spaces; got {name!r}")
    for arg, f in (("cells_fn", cells_fn), ("cell_fn", cell_fn)):
        if not (callable(f) or (isinstance(f, str) and ":" in f)):
            raise ValueError(f"{arg} must be a callable or a 'module:attribute' string; got {f!r}")
    rec = Sweep(name, cells_fn, cell_fn, description)
    _REGISTRY[name] = rec
    return rec


def sweeps() -> dict[str, Sweep]:
    """All registered sweeps, by name (built-ins first)."""
    return dict(_REGISTRY)


def get_sweep(name: str) -> Sweep:
    """The sweep registered as ``name``; ValueError naming the known ones otherwise."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown sweep experiment {name!r}; known: {sorted(_REGISTRY)} "
                         "(see `rmtcheck sweep list`)") from None


# Built-ins (lazy strings: nothing is imported until used).
_E = "rmtcheck.experiments"
register_sweep("dexter-hessian-test", f"{_E}.hessian_test:sweep_cells", f"{_E}.hessian_test:hessian_test_row",
               "Dexter et al. (2024) Fig. 1 heatmap: one cell per batch size B (all sigma, both lrs)")
register_sweep("unlearning-hessian-test", f"{_E}.unlearning:hessian_test_cells", f"{_E}.unlearning:unlearning_cell",
               "Chang & Khanna: unlearning Hessian test over (B, sigma); MC points, then exact rows per sigma")
register_sweep("unlearning-batch-alpha", f"{_E}.unlearning:batch_alpha_cells", f"{_E}.unlearning:unlearning_cell",
               "Chang & Khanna: (B, alpha) grid; MC points, then exact rows per alpha")
register_sweep("unlearning-alignment", f"{_E}.unlearning:alignment_cells", f"{_E}.unlearning:unlearning_cell",
               "Chang & Khanna: forget-family rotation theta; one cell per theta")
register_sweep("cnn-unlearning", f"{_E}.cnn_unlearning:cnn_grid_cells", f"{_E}.cnn_unlearning:cnn_unlearning_cell",
               "Two-layer ReLU CNN: descent-ascent unlearning over (SNR, B, alpha, replicate); one cell each")
