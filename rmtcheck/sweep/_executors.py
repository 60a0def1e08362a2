"""Executors for sweeps: a local process pool, or a Dask cluster (optional extra ``rmtcheck[dask]``)."""

from __future__ import annotations

import concurrent.futures as cf
import numbers

from rmtcheck.sweep._engine import default_jobs, local_pool

__all__ = ["executor_from", "close_executor"]


def executor_from(jobs: int | None = None, scheduler: str | None = None, *,
                  connect_timeout: float = 10.0) -> cf.Executor:
    """An executor for :func:`rmtcheck.sweep.run_sweep`.

    Parameters
    ----------
    jobs : int, optional
        Worker processes of a local ``ProcessPoolExecutor`` (default, and at most: the usable
        cores; the workers exit when this process dies). Ignored with ``scheduler`` (the cluster decides).
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``); returns
        ``distributed.Client(scheduler).get_executor(pure=False)``. dask is imported only here.
    connect_timeout : float
        Seconds to wait for the scheduler before a ValueError.

    Returns
    -------
    concurrent.futures.Executor
        Release it with :func:`close_executor` (shuts a pool down; closes a Dask client too).

    Raises
    ------
    ValueError
        If ``jobs`` is not an int >= 1, ``scheduler`` is not a non-empty string, dask.distributed is
        not installed, or the scheduler cannot be reached.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1):
        raise ValueError(f"jobs must be an integer >= 1; got {jobs!r}")
    if scheduler is None:
        return local_pool(default_jobs() if jobs is None else int(jobs))
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ValueError(f"scheduler must be a Dask scheduler address such as 'tcp://127.0.0.1:8786'; got {scheduler!r}")
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs dask.distributed, which is not installed: "
                         "pip install 'rmtcheck[dask]'") from None
    try:
        client = Client(scheduler, timeout=f"{float(connect_timeout)}s")
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from None
    return client.get_executor(pure=False)


def close_executor(executor: cf.Executor) -> None:
    """Shut an executor from :func:`executor_from` down (and close its Dask client, if any).

    Parameters
    ----------
    executor : concurrent.futures.Executor
        The executor; waits for pending work, then closes its ``_client`` when it has one.

    Returns
    -------
    None
    """
    executor.shutdown(wait=True)
    client = getattr(executor, "_client", None)
    if client is not None:
        client.close()
