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

from rmtcheck import studies

__all__ = ["register_sweep", "get_sweep", "sweeps", "Sweep"]


@dataclass
class Sweep:
    """A registered sweepable experiment (see the module docstring).

    Attributes
    ----------
    name : str
        The name used by ``rmtcheck sweep run NAME``.
    cells_fn : callable or str
        Cell builder ``cells_fn(quick=False) -> list[dict]``, or a ``"module:attribute"`` string
        resolved on first use.
    cell_fn : callable or str
        Module-level cell function ``cell_fn(params, seed) -> dict``, or a ``"module:attribute"`` string.
    description : str
        One line for ``rmtcheck sweep list``.
    """

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
    """Register (or replace) a sweepable experiment under ``name``; returns the record.

    Parameters
    ----------
    name : str
        Non-empty name without whitespace.
    cells_fn : callable or str
        Cell builder ``cells_fn(quick=False) -> list[dict]`` or a ``"module:attribute"`` string.
    cell_fn : callable or str
        Cell function ``cell_fn(params, seed) -> dict`` or a ``"module:attribute"`` string.
    description : str
        One-line description for ``rmtcheck sweep list``.

    Returns
    -------
    Sweep
        The registered record.

    Raises
    ------
    ValueError
        If ``name`` is empty or contains whitespace, or a function is neither callable nor a
        ``"module:attribute"`` string.
    """
    if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name):
        raise ValueError(f"sweep name must be a non-empty string without spaces; got {name!r}")
    for arg, f in (("cells_fn", cells_fn), ("cell_fn", cell_fn)):
        if not (callable(f) or (isinstance(f, str) and ":" in f)):
            raise ValueError(f"{arg} must be a callable or a 'module:attribute' string; got {f!r}")
    rec = Sweep(name, cells_fn, cell_fn, description)
    _REGISTRY[name] = rec
    return rec


_LOADED = False


def _load_studies() -> None:
    """Register the ``SWEEPS`` that every study declares (importing only the light study packages)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True

    builtin = {}
    for pkg in studies.load(""):
        for name, cells, cell, description in getattr(pkg, "SWEEPS", ()):
            builtin[name] = Sweep(name, f"{pkg.__name__}.{cells}", f"{pkg.__name__}.{cell}", description)
    user = dict(_REGISTRY)
    _REGISTRY.clear()
    _REGISTRY.update(builtin)
    _REGISTRY.update(user)


def sweeps() -> dict[str, Sweep]:
    """All registered sweeps, by name (the studies' built-ins first)."""
    _load_studies()
    return dict(_REGISTRY)


def get_sweep(name: str) -> Sweep:
    """The sweep registered as ``name``; ValueError naming the known ones otherwise.

    Parameters
    ----------
    name : str
        A registered sweep name (the studies' built-ins are loaded first).

    Returns
    -------
    Sweep
        The registered record.

    Raises
    ------
    ValueError
        If no sweep is registered under ``name``.
    """
    _load_studies()
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown sweep experiment {name!r}; known: {sorted(_REGISTRY)} "
                         "(see `rmtcheck sweep list`)") from None
