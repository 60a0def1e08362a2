"""Lazy re-exports for package ``__init__`` modules (PEP 562), so ``import rmtcheck`` stays cheap.

A package lists where each public name lives; the submodule is imported on first attribute access.
"""

from __future__ import annotations

import importlib

__all__ = ["attach"]


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
