"""Running statements on seeded instances and collecting the verdict table."""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass, field
from typing import Iterable

import numpy as np

from rmtcheck._lib.jsonable import jsonable
from rmtcheck.verify.catalog import registry
from rmtcheck.verify.statement import STATISTICAL_METHODS, Outcome, Statement

__all__ = ["StatementResult", "run_statement", "run_all", "exit_status", "EXIT_INTERNAL_ERROR"]




@dataclass
class StatementResult:
    """The outcome of checking one statement (a row of ``rmtcheck verify``).

    Attributes
    ----------
    id, source, text, tag, notion, sampling, regime, method : str
        Copied from the :class:`~rmtcheck.verify.statement.Statement`.
    claimed : bool
        Whether the statement is claimed in its regime (``False``: a probe).
    instances : int
        Instances checked (not skipped).
    skipped : int
        Instances outside the regime.
    violations : int
        Checked instances that violate the statement.
    verdict : str
        ``"holds"``, ``"VIOLATED"``, ``"fails (as expected)"``, ``"no counterexample found"``,
        ``"no instance in regime"`` or ``"error"`` (the check raised: a bug in the package, see ``error``).
    tightness_min, tightness_median, tightness_max : float or None
        Range and median of the finite tightness values (``None`` when there are none).
    first_violation : dict or None
        Index, seed, instance and detail of the first violation.
    threshold : str or None
        The statement's threshold as text.
    seed : int
        Root seed of the run.
    refs : list of str
        BibTeX keys of ``paper/references.bib`` the statement cites (:attr:`Statement.refs`).
    seconds : float
        Wall time.
    details : list
        Per-instance details (only with ``keep_details``).
    error : str or None
        ``"instance K: ExceptionType: last line of its message"`` when sampling or checking an instance raised;
        the row stops there, the other rows run.
    false_alarm : float or None
        Monte Carlo and statistical rows: the probability that a correct package trips the row's margin in
        this run (:attr:`Statement.false_alarm`, stated for ``default_instances``, scaled by the union bound
        to the instances drawn, at most 1); ``None`` for exact rows and for rows without one.
    false_alarm_how : str
        How that probability was computed (or why the row has none); ``""`` for exact rows.
    refutes : str
        For a probe: what its counterexamples refute (:attr:`Statement.refutes`).
    latex : str
        The statement as LaTeX source, text mode with inline math (:attr:`Statement.latex`).
    fails_run : bool
        Whether this row makes ``rmtcheck verify`` exit 1 (property, also in :meth:`to_dict`).
    """

    id: str
    source: str
    text: str
    tag: str
    notion: str
    sampling: str
    regime: str
    method: str
    claimed: bool
    instances: int
    skipped: int
    violations: int
    verdict: str
    tightness_min: float | None = None
    tightness_median: float | None = None
    tightness_max: float | None = None
    first_violation: dict | None = None
    threshold: str | None = None
    seed: int = 0
    refs: list = field(default_factory=list)
    seconds: float = 0.0
    details: list = field(default_factory=list)
    error: str | None = None
    false_alarm: float | None = None
    false_alarm_how: str = ""
    refutes: str = ""
    latex: str = ""

    def to_dict(self, with_details: bool = False, with_timings: bool = False) -> dict:
        """The record as JSON-able data; ``seconds`` only with ``with_timings`` (so identical runs give
        identical records), per-instance ``details`` only with ``with_details``."""
        d = asdict(self)
        if not with_details:
            d.pop("details")
        if not with_timings:
            d.pop("seconds")
        d["fails_run"] = self.fails_run
        return jsonable(d)

    @property
    def fails_run(self) -> bool:
        """A claimed statement violated by exact or symbolic computation, or by Monte Carlo / a statistical
        test beyond its statistical margin (a row that states its ``false_alarm``; rows without one are
        reported, not fatal)."""
        if not (self.claimed and self.violations > 0):
            return False
        if self.method in STATISTICAL_METHODS:
            return self.false_alarm is not None
        return True


def _threshold_text(thr) -> str | None:
    """A statement's threshold as text: a SymPy expression, or the name of one in :mod:`rmtcheck.thresholds`."""
    if thr is None:
        return None
    if isinstance(thr, str):
        from rmtcheck.stability import thresholds

        try:  # the printed text of the SymPy expression (no derivation at run time)
            return f"{thr} = {thresholds.expression_text(thr)}"
        except KeyError:
            return thr
    return str(thr)


def _verdict(stmt: Statement, tried: int, violations: int, error: str | None = None) -> str:
    if error is not None:
        return "error"
    if tried == 0:
        return "no instance in regime"
    if stmt.claimed:
        return "VIOLATED" if violations else "holds"
    return "fails (as expected)" if violations else "no counterexample found"


def _false_alarm(stmt: Statement, n_inst: int) -> float | None:
    """The row's false-alarm probability for ``n_inst`` instances: its stated value (for
    ``default_instances``) scaled by the union bound, at most 1."""
    if stmt.false_alarm is None:
        return None
    return min(1.0, float(stmt.false_alarm) * n_inst / stmt.default_instances)


def _seed_sequence(stmt_id: str, seed: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed), zlib.crc32(stmt_id.encode())])


def run_statement(stmt: Statement, seed: int = 0, instances: int | None = None, keep_details: bool = False) -> StatementResult:
    """Check ``stmt`` on ``instances`` seeded instances.

    Instance ``k`` uses the ``k``-th child of ``SeedSequence([seed, crc32(id)])``, so one row can be
    reproduced alone with ``rmtcheck verify --only ID --seed SEED``.

    Parameters
    ----------
    stmt : Statement
        The statement to check.
    seed : int
        Root seed.
    instances : int, optional
        Number of instances (default: ``stmt.default_instances``).
    keep_details : bool
        Keep each checked instance's detail in ``details``.

    Returns
    -------
    StatementResult
        Counts, verdict, tightness summary and first violation.

    Raises
    ------
    ValueError
        If ``instances`` is below 1.
    """
    n_inst = stmt.default_instances if instances is None else int(instances)
    if n_inst < 1:
        raise ValueError(f"instances must be >= 1; got {n_inst}")
    t0 = time.perf_counter()
    children = _seed_sequence(stmt.id, seed).spawn(n_inst)
    tried = skipped = violations = 0
    tight: list[float] = []
    first = error = None
    details = []
    for k, child in enumerate(children):
        rng = np.random.default_rng(child)
        try:
            inst = stmt.sample(rng)
            out: Outcome = stmt.check(inst, rng)
        except Exception as exc:  # a bug in one check must not hide the other rows
            lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
            error = f"instance {k}: {type(exc).__name__}" + (f": {lines[-1].strip()}" if lines else "")
            break
        if out.skipped:
            skipped += 1
            continue
        tried += 1
        if out.tightness is not None and np.isfinite(out.tightness):
            tight.append(float(out.tightness))
        if keep_details:
            details.append({"index": k, "violated": out.violated, **out.detail})
        if out.violated:
            violations += 1
            if first is None:
                first = {"index": k, "seed": seed, "instance": jsonable(inst), "detail": jsonable(out.detail)}
    try:  # printing the threshold derives a proof: a broken proof is this row's error, not the run's
        threshold = _threshold_text(stmt.threshold)
    except Exception as exc:
        threshold = None
        if error is None:
            lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
            error = f"threshold {stmt.threshold!r}: {type(exc).__name__}" + (f": {lines[-1].strip()}" if lines else "")
    return StatementResult(
        id=stmt.id,
        source=stmt.source,
        text=stmt.text,
        tag=stmt.tag,
        notion=stmt.notion,
        sampling=stmt.sampling,
        regime=stmt.regime,
        method=stmt.method,
        claimed=stmt.claimed,
        instances=tried,
        skipped=skipped,
        violations=violations,
        verdict=_verdict(stmt, tried, violations, error),
        tightness_min=min(tight) if tight else None,
        tightness_median=float(np.median(tight)) if tight else None,
        tightness_max=max(tight) if tight else None,
        first_violation=first,
        threshold=threshold,
        seed=seed,
        refs=list(stmt.refs),
        seconds=time.perf_counter() - t0,
        details=details,
        error=error,
        false_alarm=_false_alarm(stmt, n_inst),
        false_alarm_how=stmt.false_alarm_how,
        refutes=stmt.refutes,
        latex=stmt.latex,
    )


def run_all(ids: Iterable[str] | None = None, seed: int = 0, instances: int | None = None, groups=None,
            progress=None, jobs: int = 1) -> list[StatementResult]:
    """Run the selected statements (all by default); the results in registry order.

    Parameters
    ----------
    ids : iterable of str, optional
        Statement ids, or prefixes selecting every id under ``PREFIX.`` (default: all).
    seed : int
        Root seed.
    instances : int, optional
        Instances per statement (default: each statement's own).
    groups : collection of str, optional
        Keep only statements of these groups.
    progress : callable, optional
        Called as ``progress(k, total, statement_id)`` before statement ``k`` (0-based) runs (with
        ``jobs > 1``: as it finishes).
    jobs : int, default 1
        Worker processes (at most the usable cores; forked, so one job where ``fork`` is not available;
        see :mod:`rmtcheck.verify._parallel`). The verdicts
        are the same as with one job; the workers' BLAS is single-threaded, so computed values may differ
        from a one-job run's in their last digits (summation order).

    Returns
    -------
    list of StatementResult
        One result per selected statement, in registry order.

    Raises
    ------
    ValueError
        If an id matches no statement, or ``instances`` is below 1.
    """
    reg = registry()
    if ids:
        ids = list(ids)
        unknown = [i for i in ids if i not in reg and not any(k.startswith(i + ".") for k in reg)]
        if unknown:
            raise ValueError(f"unknown statement id(s) {unknown}; run `rmtcheck verify --list` to see them")
        chosen = [s for k, s in reg.items() if k in ids or any(k.startswith(i + ".") for i in ids)]
    else:
        chosen = list(reg.values())
    if groups:
        chosen = [s for s in chosen if s.group in groups]
    if int(jobs) > 1 and len(chosen) > 1:
        from rmtcheck.verify import _parallel

        if _parallel.can_fork():
            return _parallel.run_units(chosen, seed, instances, int(jobs), progress)
    out = []
    for k, s in enumerate(chosen):
        if progress is not None:
            progress(k, len(chosen), s.id)
        out.append(run_statement(s, seed, instances))
    return out


#: Exit status of a run in which some check raised (distinct from 1, violated, and 2, bad user input).
EXIT_INTERNAL_ERROR = 3


def exit_status(results: list[StatementResult]) -> int:
    """1 when a claimed statement is violated (exact/symbolic computation, or Monte Carlo/statistical beyond
    its stated margin), 3 when a check raised, else 0.

    A claimed ``monte-carlo`` or ``statistical`` row fails the run when it is violated and states its
    false-alarm probability (:attr:`StatementResult.false_alarm`: the chance that a correct package trips its
    margin); a claimed row without one (a heuristic tolerance or a power statement) is reported, not fatal.

    Parameters
    ----------
    results : list of StatementResult
        Results of :func:`run_all`.

    Returns
    -------
    int
        The process exit status: 1 if any result's ``fails_run`` is true (a verified finding takes precedence),
        else :data:`EXIT_INTERNAL_ERROR` (3) if any row reads ``"error"``, else 0.
    """
    if any(r.fails_run for r in results):
        return 1
    return EXIT_INTERNAL_ERROR if any(r.error is not None for r in results) else 0
