"""Reading the curvature files of ``rmtcheck stability`` and ``rmtcheck unlearn-stability`` (private, not a command).

:func:`load_input` turns one path into the mapping :mod:`rmtcheck.stability.report` takes: ``.npy`` arrays
(``(n, d)`` rank-one factors, ``(n, d, k)`` factor blocks with ``k != d``, ``(n, d, d)`` stacks) and ``.npz``
archives read by :func:`rmtcheck.stability.gram.load_curvature` (``factors`` or ``gram`` with ``k``, optionally
``n_retain``). The format is recognised by its first bytes, not by the file name. Every problem is a
:class:`ValueError` naming the argument, the file and the fix (the command line prints it as one line): a missing,
empty, truncated or foreign file, a pickled object array (refused before anything is unpickled), a malformed
``k`` or ``n_retain``, an archive without ``factors``/``gram``.
"""

from __future__ import annotations

import argparse
import math
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["load_input", "load_arrays", "SPACE_HELP", "positive_float", "unit_float", "positive_int", "seed_int"]

SPACE_HELP = ("where factors are analysed: 'gram' works from the Gram matrix K = F^T F (cost set by n*k, not d), "
              "'parameter' in R^d; 'auto' (default) takes Gram space when n*k < d. The numbers are the same")
_SAVE = "write it with numpy.save(path, G) or numpy.savez(path, factors=F) / numpy.savez(path, gram=K, k=k)"
_NPY, _ZIP = b"\x93NUMPY", (b"PK\x03\x04", b"PK\x05\x06")


def _header(fh):
    """``(shape, fortran_order, dtype)`` of the ``.npy`` stream ``fh`` (``None`` for an unknown version)."""
    version = np.lib.format.read_magic(fh)
    reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    return None if reader is None else reader(fh)


def _refuse_objects(dtype, where: str):
    if dtype is not None and dtype.hasobject:
        raise ValueError(f"{where} holds a pickled object array ({dtype}); rmtcheck never unpickles files (a pickle "
                         f"can run code): save a numeric array instead, {_SAVE}")


def _read_npy(path: Path, name: str) -> np.ndarray:
    bad = f"{name} is not a readable .npy file"
    try:
        with open(path, "rb") as fh:
            head = _header(fh)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{bad} ({type(exc).__name__}: {exc}): {_SAVE}") from None
    _refuse_objects(None if head is None else head[2], name)
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # an object array behind a header version we did not parse
            _refuse_objects(np.dtype(object), name)
        raise ValueError(f"{bad} ({exc}); it may be truncated: {_SAVE}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{bad} ({type(exc).__name__}: {exc}); it may be truncated: {_SAVE}") from None


def _scalar(value, key: str, name: str) -> int:
    v = np.asarray(value)
    if v.size != 1 or v.dtype.kind not in "iuf" or float(v.reshape(-1)[0]) != int(v.reshape(-1)[0]):
        raise ValueError(f"{name}: {key!r} must be a single integer; got {v.dtype} of shape {v.shape} "
                         f"(e.g. numpy.savez(path, gram=K, k=2, n_retain=50))")
    return int(v.reshape(-1)[0])


def read_arrays(path, name: str) -> dict:
    """Every array of an ``.npz`` archive, after refusing object arrays and malformed members from their headers.

    Parameters
    ----------
    path : str or Path
    name : str
        What the file is (the argument), named in every error message.

    Returns
    -------
    dict of str to ndarray
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{name}: no such file {str(path)!r}")
    _npz_members(path, name)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{name} holds an unreadable array ({type(exc).__name__}); it may be truncated: "
                         f"{_SAVE}") from None


def _npz_members(path: Path, name: str) -> list[str]:
    """The array names of an archive, refusing object arrays and malformed members from the headers."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.endswith(".npy")]
            for m in members:
                with zf.open(m) as fh:
                    head = _header(fh)
                _refuse_objects(None if head is None else head[2], f"{name} (array {m[:-4]!r})")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{name} is not a readable .npz archive ({type(exc).__name__}: {exc}); it may be "
                         f"truncated: {_SAVE}") from None
    except ValueError as exc:
        if "pickled object" in str(exc):
            raise
        raise ValueError(f"{name} holds an unreadable array ({exc}): {_SAVE}") from None
    return sorted(m[:-4] for m in members)


def _check_npz(path: Path, name: str) -> None:
    """Refuse object arrays and malformed archives from the member headers (no data read), check ``k``/``n_retain``."""
    keys = _npz_members(path, name)
    if ("factors" in keys) == ("gram" in keys):
        hint = " (numpy.savez(path, G) names the array arr_0)" if "arr_0" in keys else ""
        raise ValueError(f"{name} must hold exactly one of the arrays 'factors' (n, d[, k]) or 'gram' (n*k, n*k); "
                         f"found {keys}{hint}: {_SAVE}")
    with np.load(path, allow_pickle=False) as z:
        for key in ("k", "n_retain"):
            if key in keys:
                low = _scalar(z[key], key, name)
                if low < 1:
                    raise ValueError(f"{name}: {key!r} must be >= 1; got {low}")


def _open(p: Path, name: str) -> bytes:
    """The first bytes of an existing, readable, non-empty file (else a ValueError naming it)."""
    if not p.exists():
        raise ValueError(f"{name}: no such file")
    if p.is_dir():
        raise ValueError(f"{name} is a directory; pass a .npy or .npz file")
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise ValueError(f"{name} cannot be opened ({exc.strerror or exc})") from None
    if size == 0:
        raise ValueError(f"{name} is empty (0 bytes): {_SAVE}")
    return magic


def load_input(path, arg: str) -> dict:
    """One curvature file as the mapping :mod:`rmtcheck.stability.report` takes.

    Parameters
    ----------
    path : str or Path
        A ``.npy`` array or a ``.npz`` archive (recognised by content).
    arg : str
        The command-line argument (``FILE``, ``RETAIN``, ``FORGET``), named in every error message.

    Returns
    -------
    dict
        One of ``factors``, ``gram`` (with ``k``) or ``stack``; ``n_retain`` when the archive holds it; ``name``
        (``"ARG 'path'"``) and ``file``.

    Raises
    ------
    ValueError
        One line naming ``arg``, the file and the fix.
    """
    p = Path(path)
    name = f"{arg} {str(path)!r}"
    magic = _open(p, name)
    out = {"name": name, "file": str(path)}
    if magic.startswith(_NPY):
        arr = _read_npy(p, name)
        if arr.ndim == 3 and arr.shape[1] == arr.shape[2]:
            return {**out, "stack": arr}
        if arr.ndim not in (2, 3):
            raise ValueError(f"{name} holds an array of shape {arr.shape}; expected (n, d) rank-one factors, "
                             "(n, d, k) factor blocks or an (n, d, d) stack of per-sample Hessians")
        return {**out, "factors": arr}
    if not magic.startswith(_ZIP):
        raise ValueError(f"{name} is neither a NumPy .npy nor a .npz file (it starts with {magic!r}): {_SAVE}")
    from rmtcheck.stability.gram import load_curvature

    _check_npz(p, name)
    try:
        cur = load_curvature(p, name=name)
    except (TypeError, OverflowError) as exc:  # pragma: no cover - _check_npz validates k and n_retain first
        raise ValueError(f"{name}: malformed 'k' or 'n_retain' ({exc})") from None
    out["n_retain"] = cur["n_retain"]
    if cur["form"] == "gram":
        return {**out, "gram": cur["gram"], "k": cur["k"]}
    return {**out, "factors": cur["factors"]}


# ------------------------------------------------------------------ argparse types (errors name the option, exit 2)
def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (learning rates)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return v


def unit_float(text: str) -> float:
    """argparse type: a number in [0, 1] (mixing weights)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1]; got {text!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1]; got {text!r}")
    return v


def _int(text: str, low: int, what: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer {what}; got {text!r}") from None
    if v < low:
        raise argparse.ArgumentTypeError(f"must be an integer {what}; got {text!r}")
    return v


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (batch sizes, steps, runs)."""
    return _int(text, 1, ">= 1")


def seed_int(text: str) -> int:
    """argparse type: a seed, an integer >= 0."""
    return _int(text, 0, ">= 0 (a seed)")


def load_arrays(path, arg: str):
    """The array of a ``.npy`` file or the arrays of a ``.npz`` file, with :func:`load_input`'s checks.

    Parameters
    ----------
    path : str or Path
        The file (format recognised by content).
    arg : str
        The command-line argument, named in every error message.

    Returns
    -------
    ndarray or dict of str to ndarray
        The array of a ``.npy`` file, the archive's arrays (by name) for a ``.npz``.

    Raises
    ------
    ValueError
        One line naming ``arg``, the file and the fix; never suggests unpickling.
    """
    p = Path(path)
    name = f"{arg} {str(path)!r}"
    magic = _open(p, name)
    save = "write it with numpy.save(path, W) or numpy.savez(path, layer1=W1, layer2=W2)"
    if magic.startswith(_NPY):
        return _read_npy(p, name)
    if not magic.startswith(_ZIP):
        raise ValueError(f"{name} is neither a NumPy .npy nor a .npz file (it starts with {magic!r}): {save}")
    arrays = read_arrays(p, name)
    if not arrays:
        raise ValueError(f"{name} holds no arrays: {save}")
    return arrays
