"""Running the selected statements on several cores (private; behind :func:`rmtcheck.verify.run_all`).

Rows are independent: row ``k`` of a statement draws its instances from ``SeedSequence([seed, crc32(id)])``
whatever process runs it, so the verdicts are the same as a sequential run's (computed values may differ in their last digits: the
workers' BLAS is single-threaded, which changes the summation order).
Some rows share a cached computation (a trained model, a grid of unlearning runs); a check declares this
with an ``affinity`` attribute (any string), and every row of the same group with the same affinity runs in
the same worker, one after the other, so the cache is computed once. A check may also declare a ``cost``
attribute, a rough number of seconds on one core (a scheduling hint only: a wrong value costs wall time, never
a result). The units are handed out largest first — units with an affinity, then the others by declared cost,
those without one last, each in registry order — to a pool of *forked* workers (they
inherit the selected statements, checks being closures that cannot be pickled; where ``fork`` is not
available the rows run in this process), each with
single-threaded BLAS and OpenMP (two processes with two BLAS threads each on two cores run slower than one: the
threads wait for cores at every GEMM barrier). The workers die with the parent (see
:mod:`rmtcheck._lib.procs`).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing

from rmtcheck._lib.procs import local_pool, stop_pool
from rmtcheck.verify.runner import run_statement

__all__ = ["units", "run_units", "can_fork"]

_PENDING: dict = {}  # id -> Statement, set before the workers fork (they inherit it)


def _affinity(stmt) -> str:
    tag = getattr(stmt.check, "affinity", None)
    return stmt.id if tag is None else f"{stmt.group}:{tag}"


def can_fork() -> bool:
    """Whether worker processes can be forked here (``fork`` start method available)."""
    return "fork" in multiprocessing.get_all_start_methods()


def units(chosen) -> list[list[str]]:
    """The selected statements' ids grouped into work units, in the order they are handed out.

    Parameters
    ----------
    chosen : list of Statement
        The selected statements, in registry order.

    Returns
    -------
    list of list of str
        Statement ids; ids sharing an affinity form one unit (in registry order), the units with an
        affinity first, then the others by declared ``cost`` (largest first; registry order among equals).
    """
    groups: dict[str, list[str]] = {}
    cost = {s.id: float(getattr(s.check, "cost", 0.0)) for s in chosen}
    for s in chosen:
        groups.setdefault(_affinity(s), []).append(s.id)
    shared = [ids for key, ids in groups.items() if ":" in key]
    alone = sorted((ids for key, ids in groups.items() if ":" not in key), key=lambda ids: -cost[ids[0]])
    return shared + alone


def _run_unit(ids: list[str], seed: int, instances: int | None) -> list:  # pragma: no cover - in workers
    return [run_statement(_PENDING[i], seed, instances) for i in ids]


def run_units(chosen, seed: int, instances: int | None, jobs: int, progress=None) -> list:
    """Run ``chosen`` on ``jobs`` worker processes; the results in the order of ``chosen``.

    Parameters
    ----------
    chosen : list of Statement
        The statements (the forked workers inherit them).
    seed : int
        Root seed.
    instances : int or None
        Instances per statement (``None``: each statement's own).
    jobs : int
        Worker processes (at most the usable cores).
    progress : callable, optional
        ``progress(k, total, statement_id)`` as each row finishes (``k`` rows done before it).

    Returns
    -------
    list of StatementResult
    """
    work = units(chosen)
    total, done = len(chosen), 0
    by_id = {}
    _PENDING.clear()
    _PENDING.update({s.id: s for s in chosen})
    ex = local_pool(jobs, multiprocessing.get_context("fork"))
    try:
        futures = {ex.submit(_run_unit, ids, seed, instances): ids for ids in work}
        for fut in cf.as_completed(futures):
            for res in fut.result():
                if progress is not None:
                    progress(done, total, res.id)
                done += 1
                by_id[res.id] = res
    except BaseException:
        stop_pool(ex)
        raise
    finally:
        _PENDING.clear()
    ex.shutdown(wait=True)
    return [by_id[s.id] for s in chosen]
