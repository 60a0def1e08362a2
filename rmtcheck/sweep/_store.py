"""The embedded results store of the sweep engine: one SQLite file, one row per finished cell.

Schema (standard-library :mod:`sqlite3`, WAL journal):

``cells``
    ``(experiment, params, seed, code_version)`` is the primary key: ``params`` is the canonical JSON
    of the cell's parameters (sorted keys, no spaces), ``seed`` the cell's integer seed written in
    decimal (it can exceed 64 bits, see :func:`rmtcheck.sweep.cell_seeds`), ``code_version`` the
    package version plus a hash of the cell function's module source. The row also holds ``result``
    (the JSON the cell returned), ``seconds`` (the cell's compute time in the worker) and
    ``finished_at`` (Unix time).
``claims``
    Cells being computed: who holds each (``claimed_by``, a token unique to one run, with its
    ``pid`` and ``host``) and when the holder last renewed it (``renewed_at``). A run claims a cell
    (in a ``BEGIN IMMEDIATE`` transaction that also checks ``cells``) before computing it, renews its
    claims while it runs and deletes each claim when it writes the cell's result (same transaction),
    so concurrent runs on one store split the cells and a finished cell is never recomputed. A claim
    is *stale*, and may be taken over, when it is older than the lease (:data:`LEASE_SECONDS`
    without renewal) or when its holder ran on this host and that process no longer exists (a
    ``SIGKILL``-ed run's cells are free at once).
``sweeps`` and ``sweep_cells``
    A *plan* (one call of :func:`rmtcheck.sweep.run_sweep`: experiment, code version, root seed and
    the ordered cell list) with its total, so ``rmtcheck sweep status`` can count finished cells out
    of the total, even for an interrupted sweep.

Durability: every finished cell is one ``INSERT`` (and the deletion of its claim) in its own
transaction, committed before the next result is handled, so a sweep killed at any moment (even
``SIGKILL``) loses at most the cells still computing. The journal is in WAL mode with
``synchronous=NORMAL``: a committed row survives the death of the process (it is in the WAL, which
the operating system holds); only a power cut may lose the last few commits, which the next run then
recomputes. Only the main process of a sweep writes (its heartbeat thread renews its claims);
workers compute and return.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import time
import uuid
from pathlib import Path

from rmtcheck._lib.procs import pid_gone

__all__ = ["ResultStore", "default_store_path", "STORE_ENV", "LEASE_SECONDS"]

#: seconds after its last renewal that a claim on a cell lapses (runs renew theirs every sixth of it)
LEASE_SECONDS = 60.0

STORE_ENV = "RMTCHECK_STORE"
_DEFAULT_NAME = "rmtcheck-sweeps.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    experiment   TEXT NOT NULL,
    params       TEXT NOT NULL,
    seed         TEXT NOT NULL,
    code_version TEXT NOT NULL,
    result       TEXT NOT NULL,
    seconds      REAL NOT NULL,
    finished_at  REAL NOT NULL,
    PRIMARY KEY (experiment, params, seed, code_version)
);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id     TEXT PRIMARY KEY,
    experiment   TEXT NOT NULL,
    code_version TEXT NOT NULL,
    root_seed    TEXT NOT NULL,
    total        INTEGER NOT NULL,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_cells (
    sweep_id TEXT NOT NULL,
    idx      INTEGER NOT NULL,
    params   TEXT NOT NULL,
    seed     TEXT NOT NULL,
    PRIMARY KEY (sweep_id, idx)
);
CREATE TABLE IF NOT EXISTS claims (
    experiment   TEXT NOT NULL,
    params       TEXT NOT NULL,
    seed         TEXT NOT NULL,
    code_version TEXT NOT NULL,
    claimed_by   TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    claimed_at   REAL NOT NULL,
    renewed_at   REAL NOT NULL,
    PRIMARY KEY (experiment, params, seed, code_version)
);
CREATE INDEX IF NOT EXISTS claims_by ON claims (claimed_by);
"""

_HOST = socket.gethostname()


def new_owner() -> str:
    """A token naming one run in the ``claims`` table: ``host:pid:random``."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim_is_live(owner: str, pid: int, host: str, renewed_at: float, lease: float | None = None) -> bool:
    """Whether a claim still binds other runs (see the module docstring)."""
    lease = LEASE_SECONDS if lease is None else lease
    if time.time() - renewed_at > lease:
        return False
    return not (host == _HOST and pid_gone(int(pid)))



def default_store_path() -> Path:
    """``$RMTCHECK_STORE`` if set, else ``./rmtcheck-sweeps.sqlite`` (in the working directory)."""
    return Path(os.environ.get(STORE_ENV) or _DEFAULT_NAME)


class ResultStore:
    """SQLite results store (see the module docstring for the schema and durability).

    Parameters
    ----------
    path : str or Path, optional
        The database file; created with its parent directory if missing. Default
        :func:`default_store_path`. ``":memory:"`` gives a private in-memory store (tests).

    Notes
    -----
    One connection per store object, used from the thread that drives the sweep. Several processes
    may read the file while a sweep writes it (WAL), e.g. ``rmtcheck sweep status``.
    """

    def __init__(self, path=None):
        path = default_store_path() if path is None else path
        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"store must be a path or a ResultStore; got {type(path).__name__}")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # two runs opening a new store at once race on switching it to WAL, which SQLite can refuse with "database
        # is locked" without waiting for the busy timeout: retry that (only that) for up to 30 s
        deadline = time.monotonic() + 30.0
        while True:
            try:
                self._con = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=NORMAL")
                self._con.executescript(_SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise ValueError(f"store {self.path!r} is not a usable SQLite results store: {exc}") from exc
                self._con.close()
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"store {self.path!r} is not a usable SQLite results store: {exc}") from exc

    # -- context management -------------------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"ResultStore({self.path!r})"

    # -- plans ---------------------------------------------------------------------------------
    @staticmethod
    def sweep_id(experiment: str, code_version: str, root_seed, keys: list[tuple[str, str]]) -> str:
        """Identifier of a plan: hash of experiment, version, root seed and the ordered cell keys."""
        h = hashlib.sha256()
        for part in (experiment, code_version, str(root_seed)):
            h.update(part.encode())
            h.update(b"\0")
        for p, s in keys:
            h.update(p.encode())
            h.update(b"\1")
            h.update(s.encode())
            h.update(b"\2")
        return h.hexdigest()[:16]

    def begin(self, experiment: str, code_version: str, root_seed, keys: list[tuple[str, str]]) -> str:
        """Record a plan (idempotent) and return its id."""
        sid = self.sweep_id(experiment, code_version, root_seed, keys)
        now = time.time()
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            cur = con.execute("INSERT OR IGNORE INTO sweeps VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (sid, experiment, code_version, str(root_seed), len(keys), now, now))
            if cur.rowcount:
                con.executemany("INSERT INTO sweep_cells VALUES (?, ?, ?, ?)",
                                ((sid, i, p, s) for i, (p, s) in enumerate(keys)))
            else:
                con.execute("UPDATE sweeps SET updated_at = ? WHERE sweep_id = ?", (now, sid))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return sid

    # -- cells ---------------------------------------------------------------------------------
    def finished(self, experiment: str, code_version: str) -> dict[tuple[str, str], str]:
        """``{(params_json, seed): result_json}`` of every finished cell of this experiment and version."""
        rows = self._con.execute("SELECT params, seed, result FROM cells WHERE experiment = ? AND code_version = ?",
                                 (experiment, code_version))
        return {(p, s): r for p, s, r in rows}

    def put(self, experiment: str, params: str, seed: str, code_version: str, result: str, seconds: float,
            owner: str | None = None) -> None:
        """Write one finished cell (dropping ``owner``'s claim on it) and commit at once."""
        now = time.time()
        with self._transaction() as con:
            con.execute("INSERT OR REPLACE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (experiment, params, seed, code_version, result, float(seconds), now))
            if owner is not None:
                con.execute("DELETE FROM claims WHERE experiment = ? AND params = ? AND seed = ? AND code_version = ? "
                            "AND claimed_by = ?", (experiment, params, seed, code_version, owner))

    # -- claims (concurrent runs share the work) -------------------------------------------------
    def _transaction(self):
        return _Transaction(self._con)

    def claim(self, experiment: str, params: str, seed: str, code_version: str, owner: str,
              lease: float | None = None) -> tuple[str, object]:
        """Try to claim one cell for ``owner``, atomically.

        Returns ``("done", result_json)`` when the cell is finished, ``("busy", holder)`` when another
        run holds a live claim on it (``holder`` is ``{"claimed_by", "pid", "host"}``), else records
        the claim (taking over a stale one) and returns ``("mine", None)``.
        """
        key = (experiment, params, seed, code_version)
        where = "experiment = ? AND params = ? AND seed = ? AND code_version = ?"
        with self._transaction() as con:
            row = con.execute(f"SELECT result FROM cells WHERE {where}", key).fetchone()
            if row is not None:
                return "done", row[0]
            row = con.execute(f"SELECT claimed_by, pid, host, renewed_at FROM claims WHERE {where}", key).fetchone()
            if row is not None and row[0] != owner and claim_is_live(*row, lease=lease):
                return "busy", {"claimed_by": row[0], "pid": int(row[1]), "host": row[2]}
            now = time.time()
            con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*key, owner, os.getpid(), _HOST, now, now))
        return "mine", None

    def result(self, experiment: str, params: str, seed: str, code_version: str) -> str | None:
        """The stored result JSON of one cell, or None."""
        row = self._con.execute("SELECT result FROM cells WHERE experiment = ? AND params = ? AND seed = ? "
                                "AND code_version = ?", (experiment, params, seed, code_version)).fetchone()
        return None if row is None else row[0]

    def claims(self, experiment: str, code_version: str) -> dict[tuple[str, str], tuple]:
        """``{(params_json, seed): (claimed_by, pid, host, renewed_at)}`` of this experiment's claims."""
        rows = self._con.execute("SELECT params, seed, claimed_by, pid, host, renewed_at FROM claims "
                                 "WHERE experiment = ? AND code_version = ?", (experiment, code_version))
        return {(p, s): tuple(rest) for p, s, *rest in rows}

    def finished_keys(self, experiment: str, code_version: str) -> set[tuple[str, str]]:
        """``{(params_json, seed)}`` of the finished cells of this experiment and version (no results)."""
        rows = self._con.execute("SELECT params, seed FROM cells WHERE experiment = ? AND code_version = ?",
                                 (experiment, code_version))
        return {(p, s) for p, s in rows}

    def renew(self, owner: str) -> int:
        """Renew every claim of ``owner`` (a heartbeat); returns how many it holds."""
        cur = self._con.execute("UPDATE claims SET renewed_at = ? WHERE claimed_by = ?", (time.time(), owner))
        return cur.rowcount

    def release(self, owner: str) -> None:
        """Drop every claim of ``owner`` (a run that stops leaves its unfinished cells to others)."""
        if self._con.in_transaction:  # interrupted inside a transaction of this connection
            self._con.execute("ROLLBACK")
        self._con.execute("DELETE FROM claims WHERE claimed_by = ?", (owner,))

    def count(self, experiment: str | None = None) -> int:
        """Number of finished cells (of one experiment, or all)."""
        if experiment is None:
            return int(self._con.execute("SELECT COUNT(*) FROM cells").fetchone()[0])
        return int(self._con.execute("SELECT COUNT(*) FROM cells WHERE experiment = ?", (experiment,)).fetchone()[0])

    def status(self) -> list[dict]:
        """One record per plan: experiment, code version, root seed, finished, total, last update.

        ``last_update`` is the latest of the plan's start and its cells' finishing times (Unix time).
        Plans are listed by last update, newest first.
        """
        q = """
        SELECT s.sweep_id, s.experiment, s.code_version, s.root_seed, s.total, s.created_at,
               COUNT(c.result), MAX(c.finished_at), COALESCE(SUM(c.seconds), 0.0)
        FROM sweeps s
        JOIN sweep_cells p ON p.sweep_id = s.sweep_id
        LEFT JOIN cells c ON c.experiment = s.experiment AND c.code_version = s.code_version
                         AND c.params = p.params AND c.seed = p.seed
        GROUP BY s.sweep_id
        """
        out = []
        for sid, exp, ver, root, total, created, done, last, secs in self._con.execute(q):
            out.append({"sweep_id": sid, "experiment": exp, "code_version": ver, "seed": root, "finished": int(done),
                        "total": int(total), "last_update": max(created, last or created),
                        "cell_seconds": float(secs)})
        out.sort(key=lambda r: -r["last_update"])
        return out


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception, an interrupt included)."""

    def __init__(self, con):
        self.con = con

    def __enter__(self):
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, typ, exc, tb):
        if typ is None:
            self.con.execute("COMMIT")
        elif self.con.in_transaction:
            self.con.execute("ROLLBACK")
        return False
