"""Figure registry, deterministic saving and the packaged style."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["FIGURES", "figure", "figures", "save_figure", "style", "write_npz"]

FIGURES: dict[str, Callable] = {}
_STYLE = Path(__file__).with_name("rmtcheck.mplstyle")


def figure(name: str):
    """Decorator registering a figure function under ``name``."""

    def deco(fn):
        if name in FIGURES and FIGURES[name] is not fn:
            raise ValueError(f"figure {name!r} is already registered")
        FIGURES[name] = fn
        fn.figure_name = name
        return fn

    return deco


def figures() -> dict[str, Callable]:
    """All registered figures (imports every figure module of this package once)."""
    from .. import plotting as pkg

    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not m.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{m.name}")
    return dict(FIGURES)


@contextlib.contextmanager
def style():
    """The packaged matplotlib style (colour-blind-safe palette, LaTeX-compatible sizes), Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    with plt.style.context(str(_STYLE)):
        yield plt


def write_npz(path, data: dict) -> Path:
    """``np.savez`` with fixed zip timestamps, so identical data give identical bytes."""
    import io
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


def save_figure(fig, out_dir, name: str, data: dict | None = None) -> list[Path]:
    """Write ``name.png``, ``name.pdf`` (no timestamps: identical bytes for identical input) and
    ``name.npz`` with ``data``; return the paths."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None})
    plt.close(fig)
    if data is not None:
        p = out / f"{name}.npz"
        write_npz(p, data)
        paths.append(p)
    return paths
