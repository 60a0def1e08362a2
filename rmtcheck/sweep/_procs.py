"""Worker processes of the sweep engine (the pool itself lives in :mod:`rmtcheck._lib.procs`).

* :func:`local_pool`, :func:`default_jobs`, :func:`stop_pool` — re-exported from :mod:`rmtcheck._lib.procs`:
  a ``ProcessPoolExecutor`` of at most one worker per usable core, BLAS single-threaded, whose workers die
  with their parent;
* :func:`terminate_raises` — while a sweep runs in the main thread, ``SIGTERM`` (and ``SIGHUP``)
  raise :class:`SweepTerminated` there, so a terminated sweep shuts its pool down and releases its
  claims exactly as ``SIGINT`` (``KeyboardInterrupt``) does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from rmtcheck._lib.procs import WATCH_INTERVAL, _watch, _worker_init, default_jobs, local_pool, stop_pool

__all__ = ["local_pool", "default_jobs", "stop_pool", "terminate_raises", "SweepTerminated", "WATCH_INTERVAL",
           "_watch", "_worker_init"]


class SweepTerminated(SystemExit):
    """Raised in the main thread of a running sweep by ``SIGTERM`` or ``SIGHUP``; exit status 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(128 + int(signum))
        self.signum = int(signum)

    def __str__(self) -> str:
        return f"terminated by {signal.Signals(self.signum).name}"


@contextlib.contextmanager
def terminate_raises():
    """Inside the block, ``SIGTERM``/``SIGHUP`` raise :class:`SweepTerminated` in the main thread.

    Only signals whose handler is the default one are taken over (a program's own handlers are
    left alone), only in the main thread, and the previous handlers are restored on exit. A second
    signal during the clean-up takes the default action (the process dies at once).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {}
    fired = []

    def handler(signum, frame):
        if fired:  # a second signal while cleaning up: die the default way
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        fired.append(signum)
        raise SweepTerminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
            old[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
