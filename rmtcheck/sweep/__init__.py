"""Sweeps: run experiment grids on any executor, with a resumable SQLite results store.

* :func:`run_sweep` — the engine (``fn(params, seed) -> dict`` per cell; per-cell seeds from
  ``SeedSequence.spawn``; results in cell order; independent of the number of workers);
* :func:`sweep_map` — the engine as a ``map_cells(fn, cells, seeds)`` for grids with their own seeds;
* :func:`sweep_options` — ``jobs``/``store`` defaults for the package's grids inside a block (what
  ``rmtcheck figures --jobs N --store PATH`` uses);
* :class:`ResultStore` — the store (one row per finished cell, keyed by experiment, canonical-JSON
  parameters, seed and code version; default file ``$RMTCHECK_STORE`` or ``./rmtcheck-sweeps.sqlite``);
* :func:`executor_from` — a local ``ProcessPoolExecutor(jobs)`` (at most one worker per usable core;
  workers exit when their parent dies) or a Dask cluster's executor;
* concurrent runs on one store share the work (cells are claimed in the store before they are
  computed); ``SIGTERM``/``SIGHUP`` stop a running sweep like ``SIGINT`` (:class:`SweepTerminated`);
* :func:`register_sweep`, :func:`sweeps`, :func:`get_sweep` — the named sweeps behind
  ``rmtcheck sweep run|status|list``;
* :func:`cell_rng`, :func:`cell_seeds`, :func:`code_version` — what a cell sees and how it is keyed.

Layering: the engine and store are generic infrastructure (they import nothing from the package
but ``__version__`` and the BLAS thread helper), so experiment modules may run their grids through them; the registry names
experiments lazily, so importing this package imports no experiment.
"""

from rmtcheck.sweep._engine import (
    code_version,
    default_jobs,
    grid_engine,
    run_sweep,
    sweep_map,
    sweep_option,
    sweep_options,
)
from rmtcheck.sweep._executors import close_executor, executor_from
from rmtcheck.sweep._procs import SweepTerminated
from rmtcheck.sweep._registry import Sweep, get_sweep, register_sweep, sweeps
from rmtcheck.sweep._seeds import canonical_json, cell_rng, cell_seeds, seed_sequence
from rmtcheck.sweep._store import STORE_ENV, ResultStore, default_store_path

__all__ = [
    "run_sweep", "sweep_map", "sweep_options", "sweep_option", "grid_engine", "ResultStore", "executor_from", "close_executor",
    "register_sweep", "get_sweep", "sweeps", "Sweep",
    "cell_rng", "cell_seeds", "seed_sequence", "code_version", "canonical_json", "default_jobs",
    "default_store_path", "STORE_ENV", "SweepTerminated",
]
