"""Argument checking shared by every layer.

Every check raises :class:`ValueError` whose message names the argument, the bad value and the
accepted range or the fix, so that no routine of the package returns a silent NaN.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_finite_array",
    "check_positive",
    "check_batch",
    "check_unit_interval",
    "check_int",
    "as_generator",
    "check_magnitude",
]


def as_finite_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a float64 array, rejecting NaN/inf and wrong dimensionality.

    Parameters
    ----------
    x : array_like
        Numeric input.
    name : str
        Argument name for the error message.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions (any when ``None``).

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``x`` is not numeric, has another number of dimensions, or contains NaN or inf.

    Examples
    --------
    >>> as_finite_array([[1, 2]], "G", ndim=2).dtype
    dtype('float64')
    >>> as_finite_array([1.0, float("nan")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x contains 1 NaN or inf entries; pass finite values only
    """
    arr = _as_float_array(x, name)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have ndim in {allowed}; got shape {arr.shape}"
            )
    if arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or inf entries; pass finite values only")
    return arr


def _as_float_array(x, name: str) -> np.ndarray:
    """``x`` as float64, refusing ragged, complex, boolean, string and other non-real inputs by name."""
    if x is None:
        raise ValueError(f"{name} must be a numeric array; got None")
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be a numeric array; got a {type(x).__name__} ({x[:40]!r})")
    try:
        raw = x if isinstance(x, np.ndarray) else np.asarray(x)
    except ValueError:  # ragged nesting: "inhomogeneous shape"
        raise ValueError(f"{name} must be a rectangular numeric array; got a ragged {type(x).__name__} (rows of "
                         f"different lengths): pad or trim every row to the same length") from None
    except TypeError:
        raise ValueError(f"{name} must be a numeric array; got {type(x).__name__}") from None
    kind = raw.dtype.kind
    if kind == "c" or (kind == "O" and any(isinstance(v, complex) for v in raw.reshape(-1)[:10000])):
        raise ValueError(f"{name} is complex ({raw.dtype}); rmtcheck works with real arrays: pass real values "
                         f"(e.g. x.real when the imaginary part is round-off)")
    if kind == "b" or (kind == "O" and raw.size and all(isinstance(v, (bool, np.bool_)) for v in raw.reshape(-1))):
        raise ValueError(f"{name} is boolean; pass numbers (e.g. x.astype(float))")
    if kind in "USVMm":
        raise ValueError(f"{name} must be a numeric array; got dtype {raw.dtype}")
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a numeric array; got {type(x).__name__} of dtype {raw.dtype} "
                         f"with non-numeric entries") from None


def check_magnitude(arr: np.ndarray, name: str, low: float = 1e-100, high: float = 1e100,
                    fix: str = "divide it by a constant") -> None:
    """Refuse an array whose largest absolute entry lies outside ``[low, high]`` (all zeros pass).

    Products of such entries overflow or underflow float64, which surfaces later as an unrelated LAPACK
    failure ("Eigenvalues did not converge") or as "all zero"; this check names the argument instead.

    Parameters
    ----------
    arr : ndarray
        Finite float array.
    name : str
        Argument name for the error message.
    low, high : float
        Accepted range of ``max |arr|``.
    fix : str
        The remedy appended to the message.

    Raises
    ------
    ValueError
        If ``0 < max |arr| < low`` or ``max |arr| > high``.

    Examples
    --------
    >>> check_magnitude(np.ones(3), "G")
    >>> check_magnitude(np.full(3, 1e-200), "G")
    Traceback (most recent call last):
    ...
    ValueError: G has entries of at most 1e-200 in absolute value, outside [1e-100, 1e+100] where float64 products underflow or overflow; divide it by a constant
    """
    if not arr.size:
        return
    top = float(np.max(np.abs(arr)))
    if top == 0.0 or low <= top <= high:
        return
    how = "at most" if top < low else "up to"
    raise ValueError(f"{name} has entries of {how} {top:.3g} in absolute value, outside [{low:.3g}, {high:.3g}] "
                     f"where float64 products underflow or overflow; {fix}")


def check_positive(x, name: str) -> float:
    """Check a finite real number > 0 (learning rates, scales).

    Parameters
    ----------
    x : real
        The value (``bool`` is rejected).
    name : str
        Argument name for the error message.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x`` is not a real number, not finite or not > 0.

    Examples
    --------
    >>> check_positive(0.5, "lr")
    0.5
    >>> check_positive(0, "lr")
    Traceback (most recent call last):
    ...
    ValueError: lr must be finite and > 0; got 0
    """
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a real number > 0; got {x!r}")
    v = float(x)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0; got {x!r}")
    return v


def check_int(x, name: str, low: int | None = None, high: int | None = None) -> int:
    """Check an integer in ``[low, high]`` (integral floats such as ``3.0`` are accepted).

    Parameters
    ----------
    x : int
        The value (``bool`` is rejected).
    name : str
        Argument name for the error message.
    low, high : int, optional
        Inclusive bounds (unbounded when ``None``).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``x`` is not an integer or lies outside ``[low, high]``.

    Examples
    --------
    >>> check_int(3.0, "steps", 1)
    3
    """
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer; got {x!r} (a bool)")
    if not isinstance(x, numbers.Integral):
        if isinstance(x, numbers.Real) and np.isfinite(float(x)) and float(x).is_integer():
            x = int(x)
        else:
            raise ValueError(f"{name} must be an integer; got {x!r}")
    v = int(x)
    if (low is not None and v < low) or (high is not None and v > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must lie in [{lo}, {hi}]; got {v}")
    return v


def check_batch(B, n: int, name: str = "batch") -> int:
    """Check a batch size, an integer in ``[1, n]``.

    Parameters
    ----------
    B : int
        The batch size.
    n : int
        Population size.
    name : str, default "batch"
        Argument name for the error message.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``B`` is not an integer in ``[1, n]``.
    """
    return check_int(B, name, 1, n)


def check_unit_interval(x, name: str) -> float:
    """Check a real number in ``[0, 1]`` (mixing weights, probabilities).

    Parameters
    ----------
    x : real
        The value (``bool`` is rejected).
    name : str
        Argument name for the error message.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x`` is not a finite real number in ``[0, 1]``.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(float(x)):
        raise ValueError(f"{name} must be a real number in [0, 1]; got {x!r}")
    v = float(x)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1]; got {x!r}")
    return v


def as_generator(rng) -> np.random.Generator:
    """Coerce a seed to a :class:`numpy.random.Generator` (SPEC 7).

    Parameters
    ----------
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator
        A Generator is returned unchanged; anything else seeds ``np.random.default_rng``.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    ValueError
        For any other type (e.g. a legacy ``RandomState``).

    Examples
    --------
    >>> g = as_generator(0)
    >>> as_generator(g) is g
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)):
        raise ValueError(f"rng (seed) must be None, an integer >= 0, a SeedSequence or a Generator; got {rng!r}")
    if isinstance(rng, numbers.Integral) and int(rng) < 0:
        raise ValueError(f"rng (seed) must be an integer >= 0; got {int(rng)}")
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise ValueError(
        f"rng must be None, an int seed, a numpy SeedSequence or a numpy Generator; got {type(rng).__name__}"
    )
