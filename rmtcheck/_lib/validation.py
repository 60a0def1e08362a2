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
]


def as_finite_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a float64 array, rejecting NaN/inf and wrong dimensionality."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array; got {type(x).__name__}") from exc
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


def check_positive(x, name: str) -> float:
    """A finite real number > 0 (learning rates, scales)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a real number > 0; got {x!r}")
    v = float(x)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0; got {x!r}")
    return v


def check_int(x, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer in ``[low, high]``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        if isinstance(x, numbers.Real) and float(x).is_integer():
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
    """Batch size, an integer in ``[1, n]``."""
    return check_int(B, name, 1, n)


def check_unit_interval(x, name: str) -> float:
    """A real number in ``[0, 1]`` (mixing weights, probabilities)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(float(x)):
        raise ValueError(f"{name} must be a real number in [0, 1]; got {x!r}")
    v = float(x)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1]; got {x!r}")
    return v


def as_generator(rng) -> np.random.Generator:
    """SPEC 7: accept ``None``, an int seed, a SeedSequence or a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise ValueError(
        f"rng must be None, an int seed, a numpy SeedSequence or a numpy Generator; got {type(rng).__name__}"
    )
