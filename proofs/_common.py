"""Shared SymPy symbols and assertion helpers for the derivations."""

import sympy as sp

eta, lam, sigma = sp.symbols("eta lambda sigma", positive=True)
n, B = sp.symbols("n B", positive=True, integer=True)
alpha = sp.symbols("alpha", nonnegative=True)


def assert_equal(a, b, what: str) -> None:
    """Assert that two SymPy expressions are identical (``expand(a - b) == 0``, else ``simplify(a - b) == 0``)."""
    diff = sp.expand(a - b)
    if diff == 0:  # a polynomial identity: no need for simplify
        return
    diff = sp.simplify(diff)
    if diff != 0:
        raise AssertionError(f"{what}: {a} != {b} (difference {diff})")
