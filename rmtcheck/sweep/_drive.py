"""The scheduler of the sweep engine: claim a cell in the store, compute it, write it, repeat.

:func:`drive` keeps at most ``bound`` cells in flight on an executor. With a store it first claims
each cell (:meth:`ResultStore.claim`): a cell another run has finished is read instead of computed,
a cell another live run is computing is set aside and looked at again every :data:`POLL` seconds
(its result is read once that run stores it; the cell is claimed and computed here if that run dies
or gives it up), so concurrent runs on one store split the cells and compute each exactly once. A
heartbeat thread renews this run's claims; whatever way the run ends, its remaining claims are
released.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import sqlite3
import threading
import time
from collections import deque

import rmtcheck.sweep._store as _store
from rmtcheck.sweep._seeds import _np_default
from rmtcheck.sweep._store import ResultStore, claim_is_live, new_owner

__all__ = ["drive", "run_cell", "InlineExecutor", "Claims", "POLL"]

#: seconds between two looks at cells that another run is computing
POLL = 0.2


def run_cell(fn, params_json: str, seed: int) -> tuple[str, float]:
    """Worker side: decode the parameters, run the cell, encode the result. Returns (json, seconds)."""
    params = json.loads(params_json)
    t0 = time.perf_counter()
    out = fn(params, seed)
    dt = time.perf_counter() - t0
    if not isinstance(out, dict):
        raise ValueError(f"cell function {getattr(fn, '__qualname__', fn)!r} must return a dict; "
                         f"got {type(out).__name__} for params {params_json}")
    try:
        enc = json.dumps(out, sort_keys=True, separators=(",", ":"), default=_np_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cell result for params {params_json} is not JSON-serialisable: {exc}") from None
    return enc, dt


class InlineExecutor(cf.Executor):
    """Computes each submitted call at once in this thread (``jobs=1``: no pickling, lowest overhead)."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            res = fn(*args, **kwargs)
        except Exception as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(res)
        return fut


class Claims:
    """This run's side of the ``claims`` table of one store (experiment and code version fixed)."""

    def __init__(self, st: ResultStore, experiment: str, version: str, keys, seeds):
        self.st, self.experiment, self.version = st, experiment, version
        self.keys, self.seeds = keys, [str(s) for s in seeds]
        self.owner = new_owner()
        self._stop = threading.Event()
        self._beat = None

    def take(self, i: int) -> tuple[str, object]:
        """Claim cell ``i``: ``("mine", None)``, ``("done", result_json)`` or ``("busy", holder)``."""
        return self.st.claim(self.experiment, self.keys[i], self.seeds[i], self.version, self.owner)

    def put(self, i: int, enc: str, dt: float) -> None:
        self.st.put(self.experiment, self.keys[i], self.seeds[i], self.version, enc, dt, owner=self.owner)

    def recheck(self, idx) -> tuple[dict, list]:
        """Of the set-aside cells ``idx``: ``({i: result_json}`` finished since, ``[i]`` no longer held)."""
        done = self.st.finished_keys(self.experiment, self.version)
        held = self.st.claims(self.experiment, self.version)
        found, free = {}, []
        for i in idx:
            k = (self.keys[i], self.seeds[i])
            if k in done:
                found[i] = self.st.result(self.experiment, k[0], k[1], self.version)
                continue
            h = held.get(k)
            if h is None or h[0] == self.owner or not claim_is_live(*h):
                free.append(i)
        return found, free

    # heartbeat: renew this run's claims from a thread with its own connection
    def start_heartbeat(self) -> None:
        if self._beat is None and self.st.path != ":memory:":
            self._beat = threading.Thread(target=self._heartbeat, name="rmtcheck-sweep-heartbeat", daemon=True)
            self._beat.start()

    def _heartbeat(self) -> None:
        try:
            con = sqlite3.connect(self.st.path, isolation_level=None, timeout=30.0)
        except sqlite3.Error:  # pragma: no cover - the main connection works, so this does too
            return
        try:
            while not self._stop.wait(_store.LEASE_SECONDS / 6):
                with contextlib.suppress(sqlite3.Error):
                    con.execute("UPDATE claims SET renewed_at = ? WHERE claimed_by = ?", (time.time(), self.owner))
        finally:
            con.close()

    def close(self) -> None:
        """Stop the heartbeat and release every claim still held (unfinished cells go back to others)."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        with contextlib.suppress(sqlite3.Error):
            self.st.release(self.owner)


def drive(ex, fn, todo, keys, seeds, bound, finish, found, claims: Claims | None) -> None:
    """Compute the cells ``todo`` on ``ex`` with at most ``bound`` in flight.

    ``finish(i, enc, seconds)`` gets each cell computed here, ``found(i, enc)`` each cell another run
    finished meanwhile; ``claims`` (None without a store) arbitrates between concurrent runs.
    """
    queue = deque(todo)
    aside: list[int] = []
    inflight: dict = {}
    next_look = 0.0

    def submit(i):
        inflight[ex.submit(run_cell, fn, keys[i], seeds[i])] = i

    def fill():
        while queue and len(inflight) < bound:
            i = queue.popleft()
            if claims is None:
                submit(i)
                continue
            state, info = claims.take(i)
            if state == "mine":
                submit(i)
            elif state == "done":
                found(i, info)
            else:
                aside.append(i)

    def look():  # cells set aside: finished by their holder, or free again
        nonlocal next_look
        next_look = time.monotonic() + POLL
        got, free = claims.recheck(aside)
        for i in got:
            found(i, got[i])
        free = set(free)
        aside[:] = [i for i in aside if i not in got and i not in free]
        queue.extend(sorted(free))

    # a fork-based pool forks its workers at the first submission: start the heartbeat thread after it
    early = claims is not None and not isinstance(ex, cf.ProcessPoolExecutor)
    try:
        if early:
            claims.start_heartbeat()
        fill()
        if claims is not None:
            claims.start_heartbeat()
        while inflight or queue or aside:
            if aside and time.monotonic() >= next_look:
                look()
                fill()
            if not inflight:
                if aside and not queue:
                    time.sleep(max(0.0, next_look - time.monotonic()))
                continue
            ready, _ = cf.wait(list(inflight), timeout=POLL if aside else None, return_when=cf.FIRST_COMPLETED)
            for fut in ready:
                i = inflight.pop(fut)
                try:
                    enc, dt = fut.result()
                except BaseException as exc:
                    if isinstance(exc, Exception) and hasattr(exc, "add_note"):
                        exc.add_note(f"in sweep cell {i} with params {keys[i]}")
                    raise
                finish(i, enc, dt)
            fill()
    finally:
        for fut in inflight:
            fut.cancel()
