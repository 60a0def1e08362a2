"""The sweep engine: run a grid of independent cells on any :class:`concurrent.futures.Executor`.

A *cell function* is a picklable module-level callable ``fn(params: dict, seed: int) -> dict`` whose
parameters and result are JSON-serialisable (NumPy scalars and arrays in the result are converted to
numbers and lists). :func:`run_sweep` gives every cell its own seed, skips cells already in the
results store, submits the rest with a bounded number of futures in flight, writes each result to
the store the moment it arrives (the main process writes; workers only compute) and returns the
results in cell order.

Seeds
-----
Cell ``i`` (its position in the cell list, the *canonical order*: the order the experiment's cell
builder returns, whatever order cells are submitted or finish in) gets the ``i``-th child of
``np.random.SeedSequence(seed).spawn(len(cells))``, handed to the cell as one integer,

.. math::  s_i = \\mathrm{entropy} + i \\cdot 2^{128},

so that :func:`cell_rng` (``s_i``) is *exactly* ``np.random.default_rng(SeedSequence(seed).spawn(n)[i])``
(spawn keys are ``(i,)``; the root entropy of an integer seed is the seed itself, < 2**128). This
keeps the grids that predate the engine bit-for-bit identical, and it means results depend neither
on the number of workers nor on the executor. ``np.random.default_rng(s_i)`` is also a valid,
distinct stream per cell (equal to the spawned child for ``i >= 1``), but cells should use
:func:`cell_rng`. The store keys cells by ``s_i``, so resuming with another root seed recomputes.

Code version
------------
``code_version(fn) = "<rmtcheck version>+<first 12 hex of sha256(source of fn's module)>"``. Editing
the module that defines the cell function (or releasing a new version) therefore invalidates its
stored cells; edits to deeper dependencies do not (bump the version, or pass ``code_version=``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
import hashlib
import inspect
import json
import numbers
import sys
import time
from collections.abc import Callable

from rmtcheck import __version__
from rmtcheck.sweep._drive import Claims, InlineExecutor, drive
from rmtcheck.sweep._procs import default_jobs, local_pool, stop_pool, terminate_raises
from rmtcheck.sweep._seeds import _root_entropy, canonical_json, cell_seeds
from rmtcheck.sweep._store import ResultStore

__all__ = [
    "run_sweep", "sweep_map", "code_version", "default_jobs", "local_pool",
]


# --------------------------------------------------------------------------------------------- JSON


# -------------------------------------------------------------------------------------------- seeds


# ------------------------------------------------------------------------------------- code version
def code_version(fn: Callable) -> str:
    """``"<package version>+<sha256 of fn's module source, 12 hex>"`` (see the module docstring).

    Parameters
    ----------
    fn : callable
        The cell function; its module's source is hashed (its qualified name and bytecode when no
        source is available).

    Returns
    -------
    str
        ``"<rmtcheck version>+<12 hex digits>"``.
    """

    mod = sys.modules.get(getattr(fn, "__module__", None) or "")
    src = None
    if mod is not None:
        try:
            src = inspect.getsource(mod)
        except (OSError, TypeError):
            src = None
    if src is None:  # no source file (interactive): fall back to the function's bytecode
        code = getattr(fn, "__code__", None)
        src = repr((getattr(fn, "__qualname__", repr(fn)), code.co_code if code is not None else b""))
    return f"{__version__}+{hashlib.sha256(src.encode()).hexdigest()[:12]}"


_OPTIONS: contextvars.ContextVar[dict] = contextvars.ContextVar("rmtcheck_sweep_options", default={})


@contextlib.contextmanager
def sweep_options(jobs: int | None = None, store=None):
    """Defaults for the grids that package experiments run inside this block.

    ``rmtcheck figures --jobs N --store PATH`` wraps figure generation in this, so every heatmap's
    cells go to ``N`` worker processes and are kept in (and resumed from) ``store``; the experiment
    functions read them with :func:`sweep_option` when their own ``jobs``/``store`` are not given.
    Results do not depend on either.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1):
        raise ValueError(f"jobs must be an integer >= 1; got {jobs!r}")
    new = dict(_OPTIONS.get())
    new.update({k: v for k, v in (("jobs", jobs), ("store", store)) if v is not None})
    token = _OPTIONS.set(new)
    try:
        yield new
    finally:
        _OPTIONS.reset(token)


def sweep_option(name: str, default=None):
    """The value of ``name`` (``"jobs"`` or ``"store"``) set by the innermost :func:`sweep_options`."""
    return _OPTIONS.get().get(name, default)


def grid_engine(executor=None, jobs: int | None = None, store=None, progress=None) -> dict:
    """Keyword arguments for :func:`run_sweep` as the package's grids use them: ``jobs``/``store`` not
    given fall back to :func:`sweep_options` (so ``rmtcheck figures --jobs N --store PATH`` reaches every
    heatmap), and to an inline run without a store when none is set."""
    if executor is None and jobs is None:
        jobs = sweep_option("jobs", 1)
    return {"executor": executor, "jobs": None if executor is not None else jobs,
            "store": store if store is not None else sweep_option("store"), "progress": progress}


# ------------------------------------------------------------------------------------------- engine
def run_sweep(experiment: str, fn: Callable, cells: list, *, seed=0, executor: cf.Executor | None = None,
              jobs: int | None = None, store=None, progress: Callable[[int, int], None] | None = None,
              code_version: str | None = None, max_in_flight: int | None = None,
              stats: dict | None = None, seeds: list[int] | None = None) -> list[dict]:
    """Run ``fn(params, seed)`` for every cell and return the results in cell order.

    Parameters
    ----------
    experiment : str
        Name under which cells are stored (e.g. ``"dexter-hessian-test"``).
    fn : callable
        Module-level ``fn(params: dict, seed: int) -> dict`` (picklable; JSON in and out).
    cells : list of dict
        Cell parameters, in canonical order (cell ``i`` gets seed :math:`s_i`); no duplicates.
    seed : int, SeedSequence or None
        Root seed (``None``: fresh entropy, reported in ``stats["seed"]``).
    executor : concurrent.futures.Executor, optional
        Where to compute (a process pool, a Dask ``ClientExecutor`` ...). Not shut down here.
    jobs : int, optional
        Without ``executor``: ``1`` computes inline in this process (no pickling, lowest overhead);
        ``N > 1`` uses a pool of ``min(N, usable cores)`` worker processes created and shut down
        here (more processes than cores would only slow the grid down); they exit if this process
        dies. Default: the number of usable cores. Results do not depend on ``jobs``.
    store : str, Path or ResultStore, optional
        Results store; finished cells found there (same experiment, parameters, seed and code
        version) are not recomputed, and each newly finished cell is committed at once. Cells are
        claimed in the store before they are computed, so concurrent runs on one store share the
        work: a cell that another live run is computing is waited for and read, not recomputed.
        ``None``: keep nothing (no resume).
    progress : callable, optional
        ``progress(done, total)`` after each finished (or found) cell.
    code_version : str, optional
        Override :func:`code_version` ``(fn)`` (tests, or to pin a version deliberately).
    max_in_flight : int, optional
        Bound on submitted, unfinished futures; default twice the number of workers.
    seeds : list of int, optional
        Explicit per-cell seeds (non-negative ints, one per cell) instead of spawning them from
        ``seed``; for grids that already fix their own seeds (see :func:`sweep_map`).
    stats : dict, optional
        Filled with ``total``, ``cached`` (found in the store at the start), ``computed`` (by this
        run), ``shared`` (finished meanwhile by a concurrent run), ``workers``, ``seconds`` (wall),
        ``code_version``, ``seed`` (the root entropy), ``sweep_id`` and ``store``.

    Returns
    -------
    list of dict
        ``results[i]`` is cell ``i``'s result (decoded from its JSON, so a resumed sweep returns
        exactly what an uninterrupted one does).

    Raises
    ------
    ValueError
        For invalid arguments: an empty ``experiment``, a non-callable ``fn``, cells that are not a
        list of distinct JSON-serialisable dicts, both ``executor`` and ``jobs``, a bad ``jobs``,
        ``max_in_flight`` or seed.
    SweepTerminated
        (a ``SystemExit`` with status 128 + signal) when ``SIGTERM`` or ``SIGHUP`` arrives while the
        sweep runs in the main thread; like ``KeyboardInterrupt`` on ``SIGINT``, the worker processes
        are stopped at once and the finished cells are in the store.
    """
    if not isinstance(experiment, str) or not experiment.strip():
        raise ValueError(f"experiment must be a non-empty string; got {experiment!r}")
    if not callable(fn):
        raise ValueError(f"fn must be callable fn(params, seed) -> dict; got {fn!r}")
    if not isinstance(cells, (list, tuple)):
        raise ValueError(f"cells must be a list of dicts; got {type(cells).__name__}")
    if executor is not None and jobs is not None:
        raise ValueError("give either executor or jobs, not both")
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ValueError(f"executor must be a concurrent.futures.Executor; got {type(executor).__name__}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1):
        raise ValueError(f"jobs must be an integer >= 1; got {jobs!r}")
    if max_in_flight is not None and (not isinstance(max_in_flight, numbers.Integral) or max_in_flight < 1):
        raise ValueError(f"max_in_flight must be an integer >= 1; got {max_in_flight!r}")
    keys = []
    for i, c in enumerate(cells):
        if not isinstance(c, dict):
            raise ValueError(f"cells[{i}] must be a dict of parameters; got {type(c).__name__}")
        keys.append(canonical_json(c, f"cells[{i}]"))
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"cells must be distinct; {dup} appears more than once")
    if seeds is None:
        root = _root_entropy(seed)
        seeds = cell_seeds(root, len(keys))
    else:
        seeds = list(seeds)
        if len(seeds) != len(keys):
            raise ValueError(f"seeds must have one entry per cell ({len(keys)}); got {len(seeds)}")
        for i, sd in enumerate(seeds):
            if isinstance(sd, bool) or not isinstance(sd, numbers.Integral) or sd < 0:
                raise ValueError(f"seeds[{i}] must be a non-negative int; got {sd!r}")
        seeds = [int(sd) for sd in seeds]
        root = "explicit"
    version = code_version if code_version is not None else _code_version(fn)
    if not isinstance(version, str) or not version:
        raise ValueError(f"code_version must be a non-empty string; got {version!r}")

    own_store = store is not None and not isinstance(store, ResultStore)
    st = ResultStore(store) if own_store else store
    t_start = time.perf_counter()
    total = len(keys)
    results: list = [None] * total
    try:
        done = 0
        if st is not None:
            sid = st.begin(experiment, version, root, [(k, str(s)) for k, s in zip(keys, seeds)])
            cached = st.finished(experiment, version)
            for i, (k, s) in enumerate(zip(keys, seeds)):
                r = cached.get((k, str(s)))
                if r is not None:
                    results[i] = json.loads(r)
                    done += 1
        else:
            sid = None
        n_cached = done
        if progress is not None and done:
            progress(done, total)
        pending = [i for i in range(total) if results[i] is None]
        computed = shared = 0

        def finish(i, enc, dt):
            nonlocal done, computed
            if claims is not None:
                claims.put(i, enc, dt)
            elif st is not None:
                st.put(experiment, keys[i], str(seeds[i]), version, enc, dt)
            results[i] = json.loads(enc)
            done, computed = done + 1, computed + 1
            if progress is not None:
                progress(done, total)

        def found(i, enc):  # finished by a concurrent run
            nonlocal done, shared
            results[i] = json.loads(enc)
            done, shared = done + 1, shared + 1
            if progress is not None:
                progress(done, total)

        n_jobs = min(default_jobs() if jobs is None else int(jobs), default_jobs())
        own_exec = executor is None
        inline = own_exec and (n_jobs == 1 or len(pending) <= 1)
        workers = 1 if inline else min(n_jobs, len(pending)) if own_exec else _workers_of(executor)
        claims = Claims(st, experiment, version, keys, seeds) if st is not None and pending else None
        with terminate_raises():
            ex = InlineExecutor() if inline else local_pool(workers) if own_exec else executor
            try:
                drive(ex, fn, pending, keys, seeds, 1 if inline else max_in_flight or max(2 * workers, 2),
                      finish, found, claims)
            except BaseException as exc:
                if own_exec and not inline and not isinstance(exc, Exception):  # interrupted: stop at once
                    stop_pool(ex)
                raise
            finally:
                if own_exec:
                    ex.shutdown(wait=True, cancel_futures=True)
                if claims is not None:
                    claims.close()
    finally:
        if own_store:
            st.close()
    if stats is not None:
        stats.update(experiment=experiment, total=total, cached=n_cached, computed=computed, shared=shared,
                     workers=workers, seconds=time.perf_counter() - t_start, code_version=version, seed=root,
                     sweep_id=sid, store=None if st is None else st.path)
    return results


def sweep_map(experiment: str, **engine) -> Callable:
    """A ``map_cells(fn, cells, seeds) -> list`` that runs through :func:`run_sweep` with the given seeds.

    For grids written as ``map_cells(cell_fn, cells, seeds)`` (e.g. the CNN unlearning grid): pass
    ``sweep_map("cnn-unlearning", jobs=2, store="s.sqlite")`` as ``map_cells`` and the grid runs on
    the engine (executor, store, resume) with exactly its own seeds, so its results are unchanged.
    ``engine`` takes ``executor``, ``jobs``, ``store``, ``progress``, ``code_version``, ``max_in_flight``.

    Parameters
    ----------
    experiment : str
        Name under which the cells are stored.
    **engine
        Keyword arguments passed on to :func:`run_sweep` (only those listed above).

    Returns
    -------
    callable
        ``map_cells(fn, cells, seeds) -> list of dict``, the results in cell order.

    Raises
    ------
    ValueError
        If ``engine`` holds any other keyword.
    """
    allowed = {"executor", "jobs", "store", "progress", "code_version", "max_in_flight"}
    bad = set(engine) - allowed
    if bad:
        raise ValueError(f"sweep_map accepts {sorted(allowed)}; got {sorted(bad)}")

    def map_cells(fn, cells, seeds):
        return run_sweep(experiment, fn, list(cells), seeds=list(seeds), **engine)

    return map_cells


def _code_version(fn):
    return code_version(fn)


def _workers_of(ex) -> int:
    n = getattr(ex, "_max_workers", None)  # Process/ThreadPoolExecutor
    if isinstance(n, int) and n > 0:
        return n
    client = getattr(ex, "_client", None)  # distributed.cfexecutor.ClientExecutor
    if client is not None:
        try:
            return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        except Exception:  # pragma: no cover - scheduler unreachable: fall back
            pass
    return default_jobs()
