"""Trained weights from disk as NumPy arrays, and into PyTorch modules, without unpickling anything.

Formats, chosen by the file's suffix:

``.pt`` / ``.pth``
    ``torch.load(path, map_location="cpu", weights_only=True)``: a mapping of names to tensors (a
    ``state_dict``), or a mapping holding one under ``"state_dict"``, ``"model_state_dict"``, ``"model"`` or
    ``"module"``. A file that needs arbitrary unpickling (a whole pickled module, custom classes) is refused:
    re-save it with ``torch.save(model.state_dict(), path)`` or as ``.safetensors``.
``.safetensors``
    read by :func:`read_safetensors`, this module's own NumPy reader of the format [1]_: an 8-byte
    little-endian header length ``N``, ``N`` bytes of JSON mapping each name to ``dtype``, ``shape`` and
    ``data_offsets`` (into the byte buffer that follows; ``"__metadata__"`` holds strings), then the raw
    little-endian data. Integer, boolean and float types ``F16``/``F32``/``F64`` are read as they are,
    ``BF16`` exactly as float32; 8-bit float types are refused with the list of supported ones.
``.npz``
    ``np.load(path, allow_pickle=False)``: every array of the archive by its name.

Public names: :func:`load_state_dict`, :func:`load_into` (and its :class:`LoadResult`), :func:`read_safetensors`, :func:`write_safetensors`.

References
----------
.. [1] Hugging Face, "safetensors" file format, https://github.com/huggingface/safetensors (README, "Format").
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["load_state_dict", "load_into", "LoadResult", "read_safetensors", "write_safetensors"]

_SUFFIXES = (".pt", ".pth", ".safetensors", ".npz")
_ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
              "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
_ST_CODES = {np.dtype(v): k for k, v in _ST_DTYPES.items()}
_ST_MAX_HEADER = 100_000_000
_NESTED = ("state_dict", "model_state_dict", "model", "module")


def _corrupt(path, what: str) -> ValueError:
    return ValueError(f"{str(path)!r} is not a readable checkpoint: {what}")


def _check_file(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {str(path)!r}")
    if path.stat().st_size == 0:
        raise ValueError(f"{str(path)!r} is empty (0 bytes); the checkpoint was not written completely")
    return path


def read_safetensors(path) -> dict[str, np.ndarray]:
    """Read a ``.safetensors`` file into NumPy arrays (no torch or safetensors package needed).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict of str to ndarray
        In the order of the header; native-endian copies; ``BF16`` tensors as float32 (exact).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        Empty or truncated file, a header that is not the format's JSON, offsets that do not tile the data
        buffer, or an unsupported dtype (the message lists the supported ones).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> write_safetensors(path, {"fc.weight": np.arange(6.0).reshape(2, 3), "fc.bias": np.zeros(2, np.float32)})
    >>> {k: (v.dtype.name, v.shape) for k, v in read_safetensors(path).items()}
    {'fc.bias': ('float32', (2,)), 'fc.weight': ('float64', (2, 3))}
    """
    path = _check_file(path)
    raw = path.read_bytes()
    if len(raw) < 8:
        raise _corrupt(path, f"{len(raw)} bytes, shorter than the 8-byte header length")
    (size,) = struct.unpack("<Q", raw[:8])
    if size > min(_ST_MAX_HEADER, len(raw) - 8):
        raise _corrupt(path, f"header length {size} exceeds the file ({len(raw)} bytes); truncated or not safetensors")
    try:
        header = json.loads(raw[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, f"the header is not JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "the header is not a JSON object")
    header.pop("__metadata__", None)
    buf = memoryview(raw)[8 + size:]
    out, spans = {}, []
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], [int(s) for s in info["shape"]], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise _corrupt(path, f"entry {name!r} lacks dtype, shape or data_offsets") from None
        if code != "BF16" and code not in _ST_DTYPES:
            raise ValueError(f"{str(path)!r}: tensor {name!r} has dtype {code}, which this reader does not support; "
                             f"supported: {', '.join(sorted(_ST_DTYPES))}, BF16 (convert the checkpoint to one of them)")
        dt = np.dtype("<u2" if code == "BF16" else _ST_DTYPES[code])
        count = int(np.prod(shape, dtype=np.int64))
        if min(shape, default=0) < 0 or not 0 <= begin <= end <= len(buf) or end - begin != count * dt.itemsize:
            raise _corrupt(path, f"entry {name!r} has offsets {[begin, end]} that do not match shape {shape} "
                                 f"of {code} in a {len(buf)}-byte buffer")
        spans.append((begin, end))
        arr = np.frombuffer(buf[begin:end], dtype=dt).reshape(shape)
        if code == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = arr.astype(arr.dtype.newbyteorder("="), copy=True)
    at = 0
    for begin, end in sorted(spans):
        if begin != at:
            break
        at = end
    if at != len(buf):
        raise _corrupt(path, "the tensors' data_offsets do not tile the data buffer (overlap, gap or trailing bytes)")
    return out


def write_safetensors(path, arrays, metadata: dict | None = None) -> None:
    """Write NumPy arrays as a ``.safetensors`` file (readable by the ``safetensors`` package and by torch users).

    Parameters
    ----------
    path : str or Path
    arrays : mapping of str to array_like
        Names to numeric arrays (float16/32/64, signed and unsigned integers, bool).
    metadata : dict of str to str, optional
        Stored under ``"__metadata__"``.

    Raises
    ------
    ValueError
        An array of another dtype (e.g. complex or object) or a name ``"__metadata__"``.
    """
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, value in sorted(arrays.items()):
        arr = np.asarray(value)  # (not ascontiguousarray: it turns a 0-d array into shape (1,))
        code = _ST_CODES.get(arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype)
        if code is None or name == "__metadata__":
            raise ValueError(f"arrays[{name!r}] has dtype {arr.dtype}, which safetensors cannot hold here; "
                             f"pass one of {', '.join(sorted(_ST_DTYPES))} (as NumPy dtypes)")
        data = arr.astype(_ST_DTYPES[code], copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * (-len(blob) % 8)  # the format pads the header with spaces to a multiple of 8
    Path(path).write_bytes(struct.pack("<Q", len(blob)) + blob + b"".join(chunks))


def _tensor_mapping(obj):
    import torch

    return isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values())


def _to_numpy(name, t, path):
    import torch

    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        t = t.to(torch.float32)
    try:
        return t.numpy().copy()
    except (TypeError, RuntimeError) as exc:
        raise ValueError(f"{str(path)!r}: tensor {name!r} of dtype {t.dtype} has no NumPy equivalent "
                         f"({type(exc).__name__}); save it as a float or integer tensor") from None


def _load_torch(path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise ImportError(f"reading {path.suffix} checkpoints needs torch; install the 'torch' extra: "
                          "pip install 'rmtcheck[torch]' (or save the weights as .safetensors or .npz)") from None
    import pickle

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.findall(r"GLOBAL ([\w.]+)", str(exc))
        if not found:  # an opcode the weights-only unpickler does not know: garbage, not a pickled object
            raise _corrupt(path, "torch.load found no torch checkpoint (UnpicklingError); the file is corrupt or "
                                 "not a torch checkpoint") from None
        raise ValueError(f"{str(path)!r} cannot be loaded as weights only (it references {found[0]}): it holds "
                         "pickled objects, not just tensors; re-save it with torch.save(model.state_dict(), path) "
                         "or as .safetensors") from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, AttributeError) as exc:
        raise _corrupt(path, f"torch.load failed ({type(exc).__name__}); the file is truncated or not a torch "
                             "checkpoint") from None
    state = obj if _tensor_mapping(obj) else next(
        (obj[k] for k in _NESTED if isinstance(obj, dict) and _tensor_mapping(obj.get(k))), None)
    if state is None:
        keys = f" with keys {sorted(map(str, obj))[:10]}" if isinstance(obj, dict) else ""
        raise ValueError(f"{str(path)!r} holds a {type(obj).__name__}{keys}, not a mapping of names to tensors; "
                         "save model.state_dict()")
    return {str(k): _to_numpy(k, v, path) for k, v in state.items()}


def load_state_dict(path) -> dict[str, np.ndarray]:
    """Read trained weights as a mapping of parameter names to NumPy arrays (``.pt``/``.pth``, ``.safetensors``, ``.npz``).

    Parameters
    ----------
    path : str or Path
        The suffix selects the format (module notes); nothing is unpickled.

    Returns
    -------
    dict of str to ndarray
        ``bfloat16`` tensors become float32 (exact).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ImportError
        A ``.pt``/``.pth`` file without torch installed (install the ``torch`` extra).
    ValueError
        An unknown suffix, an empty, truncated or corrupt file, a file that needs pickle (a pickled module,
        object arrays), or a torch file that holds no mapping of names to tensors.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
    >>> np.savez(path, **{"0.weight": np.ones((2, 3)), "0.bias": np.zeros(2)})
    >>> sorted(load_state_dict(path))
    ['0.bias', '0.weight']
    """
    path = Path(path)
    if path.suffix.lower() not in _SUFFIXES:
        raise ValueError(f"{str(path)!r}: unknown checkpoint suffix {path.suffix!r}; use one of {_SUFFIXES}")
    path = _check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return read_safetensors(path)
    if suffix in (".pt", ".pth"):
        return _load_torch(path)
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as exc:  # pickled data (refused), zipfile.BadZipFile, EOFError, OSError: not an .npz archive
        raise _corrupt(path, f"np.load failed ({type(exc).__name__}); the file is truncated or not an .npz") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise _corrupt(path, "it holds one .npy array, not an .npz archive of named arrays; save with numpy.savez")
    with z:
        try:
            return {name: z[name] for name in z.files}
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise ValueError(f"{str(path)!r} holds object arrays that need pickle; save plain numeric arrays "
                                 "with numpy.savez") from None
            raise _corrupt(path, f"np.load failed ({type(exc).__name__})") from None
        except Exception as exc:
            raise _corrupt(path, f"np.load failed ({type(exc).__name__}); the archive is truncated") from None


class LoadResult(NamedTuple):
    """What :func:`load_into` left out: model keys without a value, and values without a model key."""

    missing: list
    unexpected: list


def _names(keys, limit: int = 10) -> str:
    keys = list(keys)
    return ", ".join(keys[:limit]) + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


def load_into(model, state, *, strict: bool = True) -> LoadResult:
    """Copy named arrays into a ``torch.nn.Module``'s parameters and buffers (cast to their dtype and device).

    Parameters
    ----------
    model : torch.nn.Module
    state : mapping of str to array_like or torch.Tensor
        E.g. :func:`load_state_dict`'s result; names as in ``model.state_dict()``.
    strict : bool, default True
        Refuse missing or unexpected names. With ``strict=False`` the matching names are loaded and the
        others reported. Shapes must always match.

    Returns
    -------
    LoadResult
        ``missing`` (model names not in ``state``) and ``unexpected`` (names of ``state`` not in the model).

    Raises
    ------
    ValueError
        Not a module; missing or unexpected names (``strict``), or any shape mismatch: one message listing
        them all. Nothing is copied when it raises.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")        # needs the 'torch' extra
    >>> import numpy as np
    >>> net = torch.nn.Linear(3, 2)
    >>> load_into(net, {"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    LoadResult(missing=[], unexpected=[])
    >>> load_into(net, {"weight": np.ones((3, 2)), "bias": np.zeros(2)})
    Traceback (most recent call last):
    ...
    ValueError: state does not fit the model: shape mismatch: weight (state (3, 2), model (2, 3))
    """
    try:
        import torch
    except ImportError:
        raise ImportError("load_into needs torch; install the 'torch' extra: pip install 'rmtcheck[torch]'") from None
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    targets = model.state_dict(keep_vars=True)
    missing = [k for k in targets if k not in state]
    unexpected = [k for k in state if k not in targets]
    shapes = [f"{k} (state {tuple(np.shape(state[k]))}, model {tuple(targets[k].shape)})"
              for k in targets if k in state and tuple(np.shape(state[k])) != tuple(targets[k].shape)]
    problems = ([f"missing: {_names(missing)}"] if strict and missing else []) + \
        ([f"unexpected: {_names(unexpected)}"] if strict and unexpected else []) + \
        ([f"shape mismatch: {_names(shapes)}"] if shapes else [])
    if problems:
        raise ValueError("state does not fit the model: " + "; ".join(problems))
    with torch.no_grad():
        for k, t in targets.items():
            if k in state:
                value = state[k]
                src = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
                t.copy_(src.to(device=t.device, dtype=t.dtype))
    return LoadResult(missing, unexpected)
