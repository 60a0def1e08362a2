"""Progress of long commands on stderr, and the memory they may use (private).

:class:`Progress` reports the stages of a command: on a terminal one redrawn line (a bar when the number
of stages is known), otherwise one line per stage, ``"rmtcheck CMD [  12.3 s] stage"``, the seconds
elapsed since the command started; ``quiet=True`` writes nothing. Only stderr is written, so stdout and
``--json`` output do not change.

A command that fails on bad input within its first second (``hold``) prints its one-line error and
nothing else: stage lines are held back for that long (a timer flushes them after ``hold`` seconds, so a
long stage is announced while it runs) and dropped when a :class:`ValueError` ends the block.

:func:`available_memory` reads ``MemAvailable`` from ``/proc/meminfo`` (``os.sysconf`` elsewhere);
:func:`memory_guard` refuses an estimate that exceeds it, naming the flag that forces the run.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time

__all__ = ["Progress", "available_memory", "memory_guard", "format_bytes", "format_seconds"]


def format_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KB"`` (powers of 1024, one decimal)."""
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover - the loop returns


def format_seconds(s: float) -> str:
    """``42`` -> ``"42 s"``, ``150`` -> ``"2.5 min"``, ``7200`` -> ``"2.0 h"``."""
    s = float(s)
    if s < 90:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def available_memory() -> int | None:
    """Bytes of memory this machine can give without swapping (``MemAvailable``), ``None`` when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def memory_guard(need: float, what: str, force: bool, flag: str = "--force") -> None:
    """Refuse (``ValueError``, one line naming ``flag``) when ``need`` bytes exceed :func:`available_memory`.

    Parameters
    ----------
    need : float
        Estimated peak bytes of the computation.
    what : str
        What is estimated (e.g. ``"parameter space, dim 4000"``), named in the message.
    force : bool
        Run anyway (the message's flag was given).
    flag : str
        The option that forces the run.
    """
    avail = available_memory()
    if force or avail is None or need <= avail:
        return
    raise ValueError(f"refusing to start: the estimated peak memory {format_bytes(need)} ({what}) exceeds the "
                     f"{format_bytes(avail)} this machine has available; pass {flag} to run anyway")


class Progress:
    """Stage lines (or a bar on a terminal) on stderr for one command; a context manager.

    Parameters
    ----------
    command : str
        Prefix of every line, e.g. ``"rmtcheck stability"``.
    total : int, optional
        Number of stages, when known (a bar on a terminal, ``[i/total]`` in the lines).
    quiet : bool
        Write nothing.
    stream : file-like, optional
        Default ``sys.stderr`` (read when the object is created).
    hold : float
        Seconds during which lines are held back (dropped if a ``ValueError`` ends the block).
    """

    def __init__(self, command: str, total: int | None = None, *, quiet: bool = False, stream=None,
                 hold: float = 1.0):
        self.command = command
        self.total = total
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.t0 = time.perf_counter()
        self._held: list[str] | None = [] if hold > 0 and not self.tty else None
        self._lock = threading.Lock()
        self._timer = None
        if self._held is not None and not quiet:
            self._timer = threading.Timer(hold, self.flush)
            self._timer.daemon = True
            self._timer.start()
        self._bar_shown = False

    # ---------------------------------------------------------------------------------- writing
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def _write(self, text: str) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(text)
                return
            self.stream.write(text + "\n")
            self.stream.flush()

    def flush(self) -> None:
        """Write the held lines now and stop holding."""
        with self._lock:
            held, self._held = self._held, None
            if held:
                self.stream.write("".join(t + "\n" for t in held))
                self.stream.flush()

    def _draw(self, label: str, finished: int) -> None:
        """Redraw the one terminal line: the bar of ``finished`` stages, ``label`` and the seconds elapsed."""
        if self.total:
            width, finished = 24, min(finished, self.total)
            k = int(width * finished / self.total)
            head = f"[{'#' * k}{'-' * (width - k)}] {finished}/{self.total} "
        else:
            head = ""
        text = f"{self.command}: {head}{label}"
        tail = f"  {self.elapsed():.1f} s"
        cols = shutil.get_terminal_size((100, 24)).columns - 1  # never wrap: \r must return to this line
        if len(text) + len(tail) > cols:
            text = text[:max(cols - len(tail) - 3, 10)] + "..."
        self.stream.write(f"\r\033[K{text}{tail}")
        self.stream.flush()
        self._bar_shown = True

    # ---------------------------------------------------------------------------------- stages
    def stage(self, label: str) -> None:
        """Announce the stage that starts now (counts towards ``total``)."""
        self.done += 1
        if self.quiet:
            return
        if self.tty:
            self._draw(label + " ...", self.done - 1)
            return
        count = f" {self.done}/{self.total}" if self.total else ""
        self._write(f"{self.command} [{self.elapsed():7.1f} s]{count} {label}")

    def note(self, text: str, now: bool = False) -> None:
        """One line of information (not a stage); ``now`` writes it (and anything held) at once."""
        if self.quiet:
            return
        if self.tty:
            if self._bar_shown:
                self.stream.write("\r\033[K")
                self._bar_shown = False
            self.stream.write(f"{self.command}: {text}\n")
            self.stream.flush()
            return
        self._write(f"{self.command}: {text}")
        if now:
            self.flush()

    def close(self, ok: bool = True) -> None:
        """End the report: a final line on success; held lines dropped after a failure."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.quiet:
            return
        if self.tty:
            if ok:
                self.done = self.total or self.done
                self._draw("done", self.done)
                self.stream.write("\n")
            elif self._bar_shown:
                self.stream.write("\r\033[K")
            self.stream.flush()
            self._bar_shown = False
            return
        if not ok:
            with self._lock:
                if self._held is not None:
                    self._held = []
            return
        self._write(f"{self.command} [{self.elapsed():7.1f} s] done")
        self.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close(True)
        elif issubclass(exc_type, ValueError):
            self.close(False)
        else:  # an unexpected failure: keep what was reached
            self.flush()
            self.close(False)
