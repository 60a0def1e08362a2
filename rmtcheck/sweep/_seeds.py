"""Canonical cell keys and per-cell seeds of the sweep engine."""

from __future__ import annotations

import json
import numbers

import numpy as np

from rmtcheck._lib.jsonable import jsonable

__all__ = [
    "cell_seeds", "cell_rng", "seed_sequence", "canonical_json",
]


_SEED_BITS = 128


_MASK = (1 << _SEED_BITS) - 1


def _refuse(o):
    raise TypeError(f"{type(o).__name__} is not JSON-serialisable")


def _np_default(o):
    return jsonable(o, max_array=None, nonfinite="keep", fallback=_refuse)


def canonical_json(obj, name: str = "params") -> str:
    """Canonical JSON (sorted keys, no spaces, no NaN/inf) of a cell's parameters; ValueError if impossible.

    Parameters
    ----------
    obj : object
        The value to encode (NumPy scalars and arrays are converted).
    name : str
        What ``obj`` is, for the error message.

    Returns
    -------
    str
        The canonical JSON text.

    Raises
    ------
    ValueError
        If ``obj`` is not JSON-serialisable or holds NaN or infinities.
    """
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False, default=_np_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be JSON-serialisable (finite numbers, strings, lists, dicts); "
                         f"got {obj!r}: {exc}") from None


def _root_entropy(seed) -> int:
    """The root entropy of ``seed``: an int in [0, 2**128), a fresh one for None."""
    if seed is None:
        return int(np.random.SeedSequence().entropy) & _MASK
    if isinstance(seed, np.random.SeedSequence):
        ent = seed.entropy
        if seed.spawn_key or seed.pool_size != 4 or not isinstance(ent, numbers.Integral) or not 0 <= ent <= _MASK:
            raise ValueError("seed as a SeedSequence must have an integer entropy < 2**128, no spawn key and the "
                             f"default pool size; got {seed!r} (pass an int seed instead)")
        return int(ent)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be None or an int in [0, 2**128); got {seed!r}")
    if not 0 <= int(seed) <= _MASK:
        raise ValueError(f"seed must lie in [0, 2**128); got {seed}")
    return int(seed)


def cell_seeds(seed, n: int) -> list[int]:
    """The integer seeds of ``n`` cells: :math:`s_i = \\mathrm{entropy} + i\\,2^{128}` (module docstring).

    Parameters
    ----------
    seed : int, SeedSequence or None
        Root seed: an int in [0, 2**128), a plain ``SeedSequence`` (integer entropy, no spawn key,
        default pool size), or ``None`` for fresh entropy.
    n : int
        Number of cells.

    Returns
    -------
    list of int
        The ``n`` cell seeds, for :func:`cell_rng` / :func:`seed_sequence`.

    Raises
    ------
    ValueError
        If ``seed`` is of another type, out of range, or an unsupported ``SeedSequence``.
    """
    root = _root_entropy(seed)
    return [root + (i << _SEED_BITS) for i in range(int(n))]


def seed_sequence(seed: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of a cell seed: ``SeedSequence(seed).spawn(n)[i]`` of the root seed.

    Parameters
    ----------
    seed : int
        A cell seed from :func:`cell_seeds` (a non-negative int).

    Returns
    -------
    numpy.random.SeedSequence
        Entropy ``seed mod 2**128`` and spawn key ``(seed >> 128,)``.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative int.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int (a cell seed from run_sweep); got {seed!r}")
    seed = int(seed)
    return np.random.SeedSequence(seed & _MASK, spawn_key=(seed >> _SEED_BITS,))


def cell_rng(seed: int) -> np.random.Generator:
    """The cell's generator: exactly ``default_rng(SeedSequence(root).spawn(n)[i])``.

    Parameters
    ----------
    seed : int
        A cell seed from :func:`cell_seeds` (a non-negative int).

    Returns
    -------
    numpy.random.Generator
        ``default_rng(seed_sequence(seed))``.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative int.
    """
    return np.random.default_rng(seed_sequence(seed))
