"""Lazy re-exports for package ``__init__`` modules (PEP 562), so ``import rmtcheck`` stays cheap.

A package lists where each public name lives; the submodule is imported on first attribute access.
"""

from __future__ import annotations

import importlib

__all__ = ["attach", "lazy_module"]


class _LazyModule:
    """Stands for a module that is imported on first attribute access."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self):
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str):
    """A stand-in for module ``name`` that imports it when an attribute is first read.

    SciPy's submodules cost 0.4–1.2 s of CPU to import; modules that use them in a few functions hold
    ``stats = lazy_module("scipy.stats")`` instead, so that ``import rmtcheck``, ``rmtcheck --help`` and
    ``rmtcheck verify --list`` do not pay for them.

    Parameters
    ----------
    name : str
        Dotted module name.

    Returns
    -------
    object
        Attribute access imports the module (once; later accesses are dictionary look-ups).

    Examples
    --------
    >>> special = lazy_module("scipy.special")
    >>> float(special.expit(0.0))
    0.5
    """
    return _LazyModule(name)


def attach(package: str, names: dict[str, list[str]]):
    """Return ``(__getattr__, __dir__, __all__)`` for ``package`` re-exporting ``names``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to list of str
        Submodule (relative to ``package``, dotted) to the public names it provides.

    Returns
    -------
    tuple
        The module-level ``__getattr__`` and ``__dir__`` functions and the ``__all__`` list.
    """
    where = {name: sub for sub, subnames in names.items() for name in subnames}
    public = list(where)

    def __getattr__(name):
        sub = where.get(name)
        if sub is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{sub}"), name)
        importlib.import_module(package).__dict__[name] = value  # cache: the next access is a plain lookup
        return value

    def __dir__():
        return sorted(set(public) | set(importlib.import_module(package).__dict__))

    return __getattr__, __dir__, public
