"""Closed forms printed once from their SymPy derivations (private).

The studies evaluate closed forms derived in ``proofs/``. Rather than importing SymPy and re-deriving them in
every process, the code ``sympy.lambdify`` generates for each is printed into a ``*_generated.py`` module beside
the study; a test regenerates that module and requires it byte for byte (a proof changed without regenerating
fails there), so the derivation stays the single source of truth and the printed module computes what the
lambdified derivation computes, operation for operation.
"""

from __future__ import annotations

import inspect

__all__ = ["lambdified_source"]


def lambdified_source(fn, name: str) -> str:
    """The source of a function made by ``sympy.lambdify``, renamed ``name`` (no trailing newline).

    Parameters
    ----------
    fn : function
        The result of ``sympy.lambdify`` (it keeps its generated source where ``inspect`` finds it).
    name : str
        The function's name in the printed module.

    Returns
    -------
    str

    Raises
    ------
    RuntimeError
        If ``fn`` was not made by ``lambdify``.
    """
    code = inspect.getsource(fn)
    if not code.startswith("def _lambdifygenerated("):
        raise RuntimeError("not a lambdify function: " + code.splitlines()[0])
    return code.replace("def _lambdifygenerated(", f"def {name}(", 1).rstrip()
