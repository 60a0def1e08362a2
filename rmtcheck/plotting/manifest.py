"""Regenerating registered figures with a progress bar, and the deterministic manifest.

``figures/manifest.json`` maps each figure name to how it was made and what it wrote::

    {"figures": {"dexter-hessian-test": {
        "command": "rmtcheck figures --only dexter-hessian-test --seed 0",
        "seed": 0, "quick": false,
        "parameters": {"quick": false, "seed": 0, ...},     # signature defaults + recorded parameters
        "description": "...",                               # first line of the function's docstring
        "module": "rmtcheck.studies.dexter.figures",
        "versions": {"matplotlib": "...", "numpy": "...", "rmtcheck": "...", "scipy": "...", "sympy": "..."},
        "files": {"dexter-hessian-test.png": "<sha256>", ...},
        "data": ["dexter-hessian-test.csv", "dexter-hessian-test.npz"]}},
     "format": 1}

Keys are sorted and nothing time-dependent is stored (no dates, no durations, no host names), so the
same figures with the same seed and versions give the same manifest bytes. Regenerating a subset
(``--only``) updates those entries and keeps the others.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rmtcheck._lib.jsonable import jsonable

__all__ = ["MANIFEST_NAME", "FigureRun", "Progress", "figure_description", "generate", "load_manifest", "package_versions",
           "reproduce_command", "sha256"]

MANIFEST_NAME = "manifest.json"
_VERSIONED = ("rmtcheck", "numpy", "scipy", "matplotlib", "sympy")
_DATA_SUFFIXES = (".npz", ".csv")


def sha256(path) -> str:
    """Hex SHA-256 of a file's bytes.

    Parameters
    ----------
    path : str or Path
        The file (read in 1 MiB chunks).

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of rmtcheck and the libraries that determine the figures' bytes."""
    from importlib import metadata

    out = {}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            mod = sys.modules.get(name) or __import__(name)
            out[name] = str(getattr(mod, "__version__", "unknown"))
    return out


def reproduce_command(name: str, seed: int = 0, quick: bool = False, out: str | os.PathLike | None = None,
                      large: bool = False) -> str:
    """The one command that regenerates figure ``name``.

    Parameters
    ----------
    name : str
        The figure's registered name.
    seed : int
        Root seed.
    quick : bool
        Add ``--quick``.
    out : str or PathLike, optional
        Output directory; added as ``--out`` unless it is ``figures`` (an absolute path inside the
        working directory is made relative).
    large : bool
        Add ``--large``.

    Returns
    -------
    str
        The ``rmtcheck figures --only NAME --seed SEED ...`` command line.
    """
    cmd = f"rmtcheck figures --only {name} --seed {int(seed)}"
    if quick:
        cmd += " --quick"
    if large:
        cmd += " --large"
    if out is not None:
        p = Path(out)
        if p.is_absolute():  # inside the working directory: record it relative, so manifests are portable
            try:
                p = p.resolve().relative_to(Path.cwd().resolve())
            except ValueError:
                pass
        if p != Path("figures"):
            cmd += f" --out {p.as_posix()}"
    return cmd


def figure_description(fn) -> str:
    """One-paragraph description of a figure: the first paragraph of its docstring, else the first
    sentence of its module's docstring (reST roles such as ``:mod:`x``` reduced to ``x``).

    Parameters
    ----------
    fn : callable
        The figure function.

    Returns
    -------
    str
        The description on one line, without backquotes (empty when neither docstring exists).
    """
    doc = (inspect.getdoc(fn) or "").strip()
    if doc:
        text = " ".join(doc.split("\n\n")[0].split())
    else:
        mod = sys.modules.get(getattr(fn, "__module__", ""))
        mdoc = " ".join(((getattr(mod, "__doc__", None) or "").strip().split("\n\n")[0]).split())
        text = re.split(r"(?<=[.!?])\s", mdoc, maxsplit=1)[0] if mdoc else ""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    return text.replace("``", "").replace("`", "")


def _default_params(fn) -> dict:
    out = {}
    for p in inspect.signature(fn).parameters.values():
        if p.default is not inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out[p.name] = p.default
    return out




def load_manifest(out_dir) -> dict:
    """The manifest in ``out_dir`` (an empty one when absent or unreadable).

    Parameters
    ----------
    out_dir : str or Path
        The figures directory holding ``manifest.json``.

    Returns
    -------
    dict
        The manifest, or ``{"format": 1, "figures": {}}`` when the file is missing, unreadable or
        has no ``figures`` mapping.
    """
    p = Path(out_dir) / MANIFEST_NAME
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(m, dict) and isinstance(m.get("figures"), dict):
            return m
    except (OSError, ValueError):
        pass
    return {"format": 1, "figures": {}}


def _write_manifest(out_dir, manifest: dict) -> Path:
    p = Path(out_dir) / MANIFEST_NAME
    p.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8", newline="\n")
    return p


class Progress:
    """A dependency-free progress bar on stderr.

    On a terminal it redraws one line (``[#####-----] 3/10 name  12.3 s``); otherwise (logs, CI,
    pipes) it prints one line per finished step, so logs stay readable. ``enabled=False`` silences it.

    Parameters
    ----------
    total : int
        Number of steps (at least 1 is used).
    stream : file-like, optional
        Where to write (default: ``sys.stderr``).
    enabled : bool
        Whether to write anything.
    width : int
        Characters of the bar.

    Attributes
    ----------
    total : int
        Number of steps.
    stream : file-like
        The output stream.
    enabled : bool
        Whether output is written.
    width : int
        Characters of the bar.
    tty : bool
        Whether ``stream`` is a terminal (redraw one line).
    done : int
        Steps finished so far.
    t0 : float
        ``time.perf_counter()`` at creation.
    """

    def __init__(self, total: int, stream=None, enabled: bool = True, width: int = 24):
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.t0 = time.perf_counter()

    def _bar(self, label: str) -> str:
        k = int(self.width * self.done / self.total)
        return (f"[{'#' * k}{'-' * (self.width - k)}] {self.done}/{self.total} {label}  "
                f"{time.perf_counter() - self.t0:.1f} s")

    def start(self, label: str) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r\033[K" + self._bar(label + " ..."))
            self.stream.flush()

    def step(self, label: str, note: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        text = self._bar(label) + (f"  {note}" if note else "")
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if self.done >= self.total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


@dataclass
class FigureRun:
    """What generating one figure produced.

    Attributes
    ----------
    name : str
        The figure's name.
    paths : list of Path
        Files the figure wrote (returned ones first, then others from :func:`written_files`).
    seconds : float
        Wall time of the figure function.
    error : str or None
        ``"ExceptionType: message"`` when it failed (with ``keep_going``), else ``None``.
    entry : dict or None
        Its manifest entry (``None`` when it failed).
    """

    name: str
    paths: list = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    entry: dict | None = None


def takes_large(fn) -> bool:
    """Whether a figure function has a larger grid (a ``large`` keyword), selected by ``--large``."""
    try:
        return "large" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _entry(name, fn, paths, out_dir, seed, quick, recorded, versions, large=False) -> dict:
    out_dir = Path(out_dir)
    files = {}
    for p in sorted({Path(p) for p in paths}):
        try:
            rel = p.resolve().relative_to(out_dir.resolve()).as_posix()
        except ValueError:
            rel = p.as_posix()
        files[rel] = sha256(p)
    params = _default_params(fn)
    params.update(getattr(fn, "figure_params", {}) or {})
    params.update(recorded)
    params.update(quick=bool(quick), seed=int(seed))
    if large:
        params["large"] = True
    return {
        "command": reproduce_command(name, seed, quick, out_dir, large),
        "seed": int(seed),
        "quick": bool(quick),
        "parameters": jsonable(params, max_array=256, fallback=str),
        "description": figure_description(fn),
        "module": getattr(fn, "__module__", ""),
        "versions": versions,
        "files": files,
        "data": sorted(f for f in files if f.endswith(_DATA_SUFFIXES)),
    }


def generate(names=None, out_dir="figures", quick: bool = False, seed: int = 0, progress: bool = True,
             manifest: bool = True, keep_going: bool = True, stream=None, large: bool = False) -> list[FigureRun]:
    """Regenerate figures and update ``out_dir/manifest.json``.

    Parameters
    ----------
    names : list of str, optional
        Figure names (default: every registered figure, sorted by name).
    out_dir : path
        Where the PNG, PDF, NPZ, CSV files and the manifest go (created if missing).
    quick : bool
        Small grids (each figure's own quick mode).
    seed : int
        Root seed passed to every figure.
    progress : bool
        Show the stderr progress bar.
    manifest : bool
        Write/update the manifest.
    keep_going : bool
        A failing figure is reported in its :class:`FigureRun` and the others still run; with
        ``False`` the exception propagates.
    large : bool
        The larger grid, for figures whose function takes a ``large`` keyword (others ignore it).
    """
    from rmtcheck.plotting.catalog import figures
    from rmtcheck.plotting.registry import recorded_params, written_files

    reg = figures()
    names = list(reg) if not names else list(dict.fromkeys(names))
    unknown = [n for n in names if n not in reg]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; known: {sorted(reg)} (run `rmtcheck figures --list`)")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    versions = package_versions()
    bar = Progress(len(names), stream=stream, enabled=progress)
    runs = []
    for name in names:
        fn = reg[name]
        bar.start(name)
        recorded_params(reset=True)
        written_files(reset=True)
        t0 = time.perf_counter()
        run = FigureRun(name)
        try:
            big = bool(large) and takes_large(fn)
            kw = {"large": True} if big else {}
            returned = [Path(p) for p in (fn(out, quick=quick, seed=seed, **kw) or [])]
            run.paths = returned + [p for p in written_files(reset=True) if p not in returned]
        except Exception as exc:  # noqa: BLE001 - reported per figure, re-raised unless keep_going
            if not keep_going:
                raise
            run.error = f"{type(exc).__name__}: {exc}"
        run.seconds = time.perf_counter() - t0
        rec = recorded_params(reset=True)
        if run.error is None:
            run.entry = _entry(name, fn, run.paths, out, seed, quick, rec, versions, bool(large) and takes_large(fn))
        bar.step(name, "FAILED" if run.error else "")
        runs.append(run)
    if manifest:
        m = load_manifest(out)
        m["format"] = 1
        for r in runs:
            if r.entry is None:
                continue
            # outputs the previous run of this figure wrote but this one did not (e.g. a CSV now over
            # the size limit) would be stale: remove them
            old = (m["figures"].get(r.name) or {}).get("files", {})
            for rel in sorted(set(old) - set(r.entry["files"])):
                stale = out / rel
                if stale.is_file() and stale.resolve().parent == out.resolve() and stale.name.startswith(r.name + "."):
                    stale.unlink()
            m["figures"][r.name] = r.entry
        _write_manifest(out, m)
    return runs
