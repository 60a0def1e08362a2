"""Figure registry, deterministic saving (PNG, PDF, NPZ, CSV) and the packaged style.

A figure is a function ``fn(out_dir, quick=False, seed=0) -> list[Path]`` registered with
:func:`figure`. It draws inside ``with style() as plt:`` and writes its outputs with
:func:`save_figure`, which produces, for the same data, seed and package versions, byte-identical
files:

* ``NAME.png`` and ``NAME.pdf`` without timestamps or software strings in their metadata;
* ``NAME.npz`` (the arrays behind the figure; zip entries with a fixed 1980 date) and ``NAME.csv``
  (the same arrays in tidy long form: ``array, i0, i1, ..., value``; omitted above
  :data:`CSV_MAX_ELEMENTS` values, the NPZ is always written).

Parameters that are not visible in the function's signature (grid sizes, step counts ...) can be
recorded for the manifest (see :mod:`rmtcheck.plotting._manifest`) either statically,
``@figure("name", params={...})``, or at run time with :func:`record_params` (or
``save_figure(..., params=...)``).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Callable

import numpy as np

from rmtcheck.plotting.printed import check_printed

__all__ = ["FIGURES", "CSV_MAX_ELEMENTS", "figure", "legend_entries", "record_params", "recorded_params", "save_figure",
           "style", "style_path", "write_csv", "write_npz", "written_files", "zero_contour"]

FIGURES: dict[str, Callable] = {}
_STYLE = Path(__file__).with_name("rmtcheck.mplstyle")
#: Arrays with more values than this in total are written to NPZ only (a CSV would be many MB).
CSV_MAX_ELEMENTS = 60_000
# parameters recorded by, and files written for, the figure currently being generated (reset by the
# manifest runner)
_RECORDED: dict = {}
_WRITTEN: list = []


def figure(name: str, params: dict | None = None):
    """Decorator registering a figure function under ``name``.

    Parameters
    ----------
    name : str
        The figure's name: its output files are ``NAME.png``, ``NAME.pdf``, ``NAME.npz``, ``NAME.csv``
        and ``rmtcheck figures --only NAME`` regenerates it.
    params : dict, optional
        Fixed parameters of the figure (beyond ``quick`` and ``seed``) recorded in the manifest.
    """

    def deco(fn):
        if name in FIGURES and FIGURES[name] is not fn:
            raise ValueError(f"figure {name!r} is already registered")
        FIGURES[name] = fn
        fn.figure_name = name
        fn.figure_params = dict(params or {})
        return fn

    return deco




def record_params(**params) -> None:
    """Record parameters of the figure being generated (grid sizes, step counts ...) for the manifest."""
    _RECORDED.update(params)


def recorded_params(reset: bool = False) -> dict:
    """The parameters recorded since the last reset (``reset=True`` clears them afterwards).

    Parameters
    ----------
    reset : bool
        Clear the recorded parameters after reading them.

    Returns
    -------
    dict
        A copy of the parameters recorded by :func:`record_params` / :func:`save_figure`.
    """
    out = dict(_RECORDED)
    if reset:
        _RECORDED.clear()
    return out


def written_files(reset: bool = False) -> list[Path]:
    """Every file :func:`save_figure` wrote since the last reset (including the CSV, which
    :func:`save_figure` does not return, so that callers expecting PNG, PDF, NPZ keep working).

    Parameters
    ----------
    reset : bool
        Clear the list after reading it.

    Returns
    -------
    list of Path
        The written files, in write order.
    """
    out = list(_WRITTEN)
    if reset:
        _WRITTEN.clear()
    return out


def style_path() -> Path:
    """Path of the packaged matplotlib style sheet ``rmtcheck.mplstyle``."""
    return _STYLE


@contextlib.contextmanager
def style():
    """The packaged matplotlib style (Okabe–Ito colour-blind-safe palette, sizes for a 6.5 in LaTeX
    text width and 9 pt text), Agg backend, fixed hash salt: yields ``matplotlib.pyplot``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    with plt.style.context(str(_STYLE)):
        yield plt


def write_npz(path, data: dict) -> Path:
    """``np.savez`` with fixed zip timestamps, so identical data give identical bytes.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file to write (overwritten).
    data : dict
        Array name to array-like (stored as ``NAME.npy``, sorted by name, no pickles).

    Returns
    -------
    Path
        ``path``.
    """
    import zipfile

    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(data):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(data[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    return path


def _csv_value(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))  # shortest round-trip form: nan, inf, -inf, 0.1 ...
    s = str(v)
    if any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, data: dict) -> Path:
    """Write the arrays of ``data`` as one tidy CSV: columns ``array, i0, ..., i{k-1}, value``.

    Every entry of every array is one row (``k`` is the largest number of dimensions; unused index
    columns are empty; booleans are written 0/1, floats in their shortest round-trip form), arrays
    in sorted key order: identical data give identical bytes. Read it back with e.g.
    ``pandas.read_csv(path).query("array == 'rho'")``.

    Parameters
    ----------
    path : str or Path
        The ``.csv`` file to write (overwritten, UTF-8, LF line endings).
    data : dict
        Array name to array-like.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    arrays = {k: np.asarray(data[k]) for k in sorted(data)}
    ndim = max([a.ndim for a in arrays.values()] + [0])
    lines = [",".join(["array"] + [f"i{j}" for j in range(ndim)] + ["value"])]
    for key, a in arrays.items():
        name = _csv_value(key)
        if a.ndim == 0:
            lines.append(",".join([name] + [""] * ndim + [_csv_value(a.item())]))
            continue
        idx = np.indices(a.shape).reshape(a.ndim, -1).T
        pad = [""] * (ndim - a.ndim)
        for ix, v in zip(idx, a.reshape(-1).tolist()):
            lines.append(",".join([name, *map(str, ix.tolist()), *pad, _csv_value(v)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path


def save_figure(fig, out_dir, name: str, data: dict | None = None, params: dict | None = None) -> list[Path]:
    """Write ``name.png``, ``name.pdf`` (no timestamps: identical bytes for identical input) and, with
    ``data``, ``name.npz`` and ``name.csv`` (see :func:`write_csv`); return the PNG, PDF and NPZ paths
    (the CSV is listed by :func:`written_files` and in the manifest).

    ``params`` are recorded for the manifest (as :func:`record_params`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed afterwards).
    out_dir : str or Path
        Output directory (created if missing).
    name : str
        Base name of the files.
    data : dict, optional
        Arrays behind the figure, for the NPZ (and the CSV, up to :data:`CSV_MAX_ELEMENTS` values).
    params : dict, optional
        Parameters to record for the manifest.

    Returns
    -------
    list of Path
        The PNG and PDF paths, plus the NPZ path when ``data`` is given.
    """
    import matplotlib.pyplot as plt

    if params:
        record_params(**params)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None})
    plt.close(fig)
    problems = check_printed(paths[1])
    if problems:
        raise ValueError(f"figure {name!r} breaks the print rules: {'; '.join(problems)}")
    if data is not None:
        p = out / f"{name}.npz"
        write_npz(p, data)
        paths.append(p)
        if sum(np.asarray(v).size for v in data.values()) <= CSV_MAX_ELEMENTS:
            _WRITTEN.append(write_csv(out / f"{name}.csv", data))
    _WRITTEN.extend(paths)
    return paths


def legend_entries(*axes) -> tuple[list, list]:
    """The legend handles and labels of several axes together, for one figure legend (``fig.legend(*entries)``).

    Parameters
    ----------
    *axes : matplotlib.axes.Axes
        The axes, in the order their entries should appear.

    Returns
    -------
    tuple of (list, list)
        Handles and labels.
    """
    handles, labels = [], []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    return handles, labels


def zero_contour(ax, x, y, Z, color, ls, label) -> None:
    """Draw the level set ``Z = 0`` (a predicted boundary) when ``Z`` changes sign on a grid of at least
    2 x 2 cells, and always add a legend entry, so a boundary outside the grid is still named.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on.
    x, y : array_like
        Grid coordinates, as for ``ax.contour``.
    Z : array_like
        Values on the grid (2-D); the curve is ``Z = 0``.
    color : color
        Line colour.
    ls : str
        Line style.
    label : str
        Legend label.

    Returns
    -------
    None
    """
    Z = np.asarray(Z)
    if Z.shape[0] >= 2 and Z.shape[1] >= 2 and np.nanmin(Z) < 0 < np.nanmax(Z):
        ax.contour(x, y, Z, levels=[0.0], colors=color, linestyles=ls, linewidths=1.2)
    ax.plot([], [], color=color, ls=ls, label=label)
