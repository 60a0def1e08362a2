"""Local worker processes that die with their parent (private).

* :func:`local_pool` — a ``ProcessPoolExecutor`` of at most :func:`default_jobs` workers (more
  processes than cores only slow CPU-bound work down), each running BLAS and OpenMP (torch) single-threaded;
* each worker watches the process that started it: on Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``
  (the kernel kills the worker when its parent dies, even by ``SIGKILL``; only for workers forked by
  the parent's main thread, since the signal follows the forking thread), everywhere a daemon thread
  that every :data:`WATCH_INTERVAL` seconds checks ``os.getppid()`` and the parent's pid and exits
  the worker once it was re-parented or the parent is gone (a zombie counts as gone); workers ignore
  ``SIGINT`` (the parent decides) and take ``SIGTERM`` by default;
* :func:`stop_pool` — kill a pool's workers now (interrupted work does not wait for running tasks);
* :func:`pid_gone` — whether a process id is gone on this host.

Used by the sweep engine (cells) and by ``rmtcheck verify`` (statements).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

from rmtcheck._lib.threads import limit_threads_globally, usable_cores

__all__ = ["local_pool", "default_jobs", "stop_pool", "pid_gone", "WATCH_INTERVAL"]

#: seconds between two looks of a worker's watchdog thread at its parent
WATCH_INTERVAL = 0.25
_PR_SET_PDEATHSIG = 1


def default_jobs() -> int:
    """Cores this process may use (:func:`rmtcheck._lib.threads.usable_cores`)."""
    return usable_cores()


def local_pool(jobs: int, mp_context=None) -> cf.ProcessPoolExecutor:
    """A local process pool of ``min(jobs, default_jobs())`` workers, BLAS and OpenMP single-threaded, bound to this process.

    The pool parallelises over independent tasks; letting each worker's BLAS also spawn a thread per core
    would oversubscribe the machine (two processes x two BLAS threads on two cores ran slower than one
    process), and so would more workers than cores. Each worker exits when this process dies (see
    the module docstring). ``mp_context`` (a :mod:`multiprocessing` context, default the platform's)
    chooses how workers start.
    """
    n = max(1, min(int(jobs), default_jobs()))
    return cf.ProcessPoolExecutor(n, mp_context=mp_context, initializer=_worker_init,
                                  initargs=(os.getpid(), threading.main_thread().ident))


def pid_gone(pid: int) -> bool:
    """True when no process ``pid`` runs on this host (a zombie counts as gone; False when unknown)."""
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there: rely on the lease
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


# ------------------------------------------------------------------------------------------ workers
def _worker_init(parent_pid: int, parent_main_thread: int | None = None) -> None:  # pragma: no cover - in workers
    """Pool initialiser: signals, parent-death watch, single-threaded BLAS and OpenMP."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)  # not the parent's raising handler
    # PR_SET_PDEATHSIG fires when the parent *thread* that forked this worker ends: only safe when that
    # was the parent's main thread (a fork keeps the thread id); a pool first used from another thread
    # (or started by spawn/forkserver) relies on the watchdog alone
    _die_with_parent(parent_pid, pdeathsig=threading.get_ident() == parent_main_thread)
    limit_threads_globally()


def _die_with_parent(parent_pid: int, interval: float | None = None,
                     pdeathsig: bool = True) -> None:  # pragma: no cover - in workers
    if pdeathsig and sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # no libc / no prctl: the watchdog below still works
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    ppid = os.getppid()
    if pid_gone(parent_pid):  # the parent died before the watch was set up
        os._exit(1)
    threading.Thread(target=_watch, args=(ppid, interval or WATCH_INTERVAL, parent_pid),
                     name="rmtcheck-parent-watch", daemon=True).start()


def _watch(ppid: int, interval: float, parent_pid: int | None = None) -> None:  # pragma: no cover - in workers
    """Exit this process once it is re-parented (its parent, or a fork server, died) or ``parent_pid`` is gone."""
    while True:
        time.sleep(interval)
        if os.getppid() != ppid or (parent_pid is not None and pid_gone(parent_pid)):
            os._exit(1)


# ------------------------------------------------------------------------------------------- parent
def stop_pool(ex: cf.ProcessPoolExecutor) -> None:
    """Kill the workers of a local pool now, then shut it down (pending futures are cancelled)."""
    if hasattr(ex, "kill_workers"):  # Python >= 3.14
        ex.kill_workers()
    procs = list((getattr(ex, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(Exception):
            p.kill()
    ex.shutdown(wait=True, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(5)
