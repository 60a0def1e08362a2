"""The built-in catalogue: every public module of :mod:`rmtcheck.verify` registers statements on import.

One module per paper (``dexter``, ``chang_khanna``, ``ascent_fails``, ``spectral`` ...); new modules
are discovered automatically, in alphabetical order.
"""
import importlib
import pkgutil

from .. import verify as _pkg

for _m in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda m: m.name):
    if not _m.name.startswith("_"):
        importlib.import_module(f"{_pkg.__name__}.{_m.name}")
