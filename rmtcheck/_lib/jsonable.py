"""The one NumPy-to-JSON converter of the package (verify records, CLI ``--json``, manifests, sweep keys)."""

from __future__ import annotations

import numpy as np

__all__ = ["jsonable"]


def _keep(x):
    return x


def jsonable(x, max_array: int | None = 64, nonfinite: str = "encode", fallback=_keep):
    """Convert numbers, arrays, families and containers to values :func:`json.dumps` accepts.

    Parameters
    ----------
    x : object
        Nested dicts, lists and tuples of NumPy or Python numbers, arrays, booleans, strings,
        :class:`~rmtcheck.stability.HessianFamily` objects and SymPy expressions.
    max_array : int or None, default 64
        Arrays with more elements are summarised as ``{"array_shape": [...], "dtype": "..."}``;
        ``None`` converts every array in full.
    nonfinite : {"encode", "keep"}, default "encode"
        ``"encode"`` writes NaN as ``null`` and infinities as the strings ``"inf"`` / ``"-inf"`` (what
        ``rmtcheck verify --json`` prints); ``"keep"`` leaves them as floats, so that
        ``json.dumps(..., allow_nan=False)`` can refuse them (canonical sweep keys).
    fallback : callable, default identity
        Applied to leaves of any other type (``str`` for manifests; a function that raises
        ``TypeError`` for strict conversions).

    Returns
    -------
    object
        Dicts (with string keys), lists, floats, ints, bools, strings and ``None``.

    Raises
    ------
    ValueError
        If ``nonfinite`` is not ``"encode"`` or ``"keep"``.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": np.float64(0.5), "b": np.arange(3), "c": np.inf, (1, 2): np.nan})
    {'a': 0.5, 'b': [0, 1, 2], 'c': 'inf', '(1, 2)': None}
    >>> jsonable(np.zeros((10, 10)), max_array=64)
    {'array_shape': [10, 10], 'dtype': 'float64'}
    """
    if nonfinite not in ("encode", "keep"):
        raise ValueError(f"nonfinite must be 'encode' or 'keep'; got {nonfinite!r}")
    rec = lambda v: jsonable(v, max_array, nonfinite, fallback)  # noqa: E731
    if isinstance(x, dict):
        return {str(k): rec(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rec(v) for v in x]
    if isinstance(x, range):
        return [x.start, x.stop, x.step]
    if isinstance(x, np.ndarray):
        if max_array is None or x.size <= max_array:
            return rec(x.tolist())
        return {"array_shape": list(x.shape), "dtype": str(x.dtype)}
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if nonfinite == "keep" or np.isfinite(v):
            return v
        if np.isnan(v):
            return None
        return "inf" if v > 0 else "-inf"
    if hasattr(x, "factors") and hasattr(x, "stack"):  # a HessianFamily: shape, and entries when small
        kind = "factors" if x.factors is not None else ("blocks" if x.blocks is not None else "stack")
        out = {"n": int(x.n), "d": int(x.d), "rank_one": x.factors is not None}
        out[kind] = rec(getattr(x, kind))
        return out
    if hasattr(x, "free_symbols"):  # SymPy expression
        return str(x)
    if x is None or isinstance(x, (str, int)):
        return x
    return fallback(x)
