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
    """Canonical JSON (sorted keys, no spaces, no NaN/inf) of a cell's parameters; ValueError if impossible."""
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
    """The integer seeds of ``n`` cells: :math:`s_i = \\mathrm{entropy} + i\\,2^{128}` (module docstring)."""
    root = _root_entropy(seed)
    return [root + (i << _SEED_BITS) for i in range(int(n))]


def seed_sequence(seed: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of a cell seed: ``SeedSequence(seed).spawn(n)[i]`` of the root seed."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int (a cell seed from run_sweep); got {seed!r}")
    seed = int(seed)
    return np.random.SeedSequence(seed & _MASK, spawn_key=(seed >> _SEED_BITS,))


def cell_rng(seed: int) -> np.random.Generator:
    """The cell's generator: exactly ``default_rng(SeedSequence(root).spawn(n)[i])``."""
    return np.random.default_rng(seed_sequence(seed))
