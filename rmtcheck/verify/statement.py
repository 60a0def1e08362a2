"""Statement records and the registry shared by ``rmtcheck verify``, the tests and the figures.

A :class:`Statement` says what is claimed (``text``), by whom (``source``, ``refs``, ``tag``), under
which stability notion and sampling model, in which regime, and how it is checked: ``sample(rng)`` draws
one instance (a dict of parameters, JSON-able apart from arrays) and ``check(instance, rng)`` returns an
:class:`Outcome`. ``claimed=True`` rows are theorems asserted in their regime: a violation found by
exact or symbolic computation makes ``rmtcheck verify`` exit non-zero, and so does a violation found by
Monte Carlo or a statistical test beyond the row's statistical margin, when the row states the probability
``false_alarm`` that a correct package trips that margin (rows without one are reported, never fatal).
``claimed=False`` rows probe statements outside their regime (or hypotheses) and report where they fail.

Contents
--------
:class:`Statement`
    One row of ``rmtcheck verify`` (the extension point: a study registers its rows in its
    ``statements.py``).
:class:`Outcome`
    The result of checking one instance.
:func:`register`
    Add a statement to the registry (ids are unique).
:data:`NOTIONS`, :data:`METHODS`, :data:`TAGS`, :data:`SAMPLINGS`
    The vocabularies a statement's fields are validated against.

``refs`` are BibTeX keys of ``paper/references.bib``; they are checked when a statement is created
(the check is skipped when the file is absent, e.g. in an installed wheel).

See Also
--------
rmtcheck.verify.catalog.registry : every registered statement (loads the studies' catalogues).
rmtcheck.verify.runner.run_statement : check one statement on seeded instances.

Examples
--------
Adding a theorem (see :class:`Statement` for a complete, runnable example):

>>> from rmtcheck.verify import Statement, Outcome, register
>>> register(Statement(id="my.claim", source="Me 2026, Lemma 1", text="...", notion="mean-square",
...     sampling="bernoulli", regime="...", method="exact", sample=lambda rng: {...},
...     check=lambda inst, rng: Outcome(violated=False), refs=("dexter2024",)))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rmtcheck.stability.sampling import BATCH_MODELS

__all__ = ["NOTIONS", "METHODS", "STATISTICAL_METHODS", "TAGS", "SAMPLINGS", "Statement", "Outcome", "register",
           "scope"]

#: Stability notions; ``deterministic`` marks statements that are not about random dynamics, ``in-probability``
#: statements about the distribution of a finite random run (its median run, a fraction of runs), neither its
#: moments nor its limit.
NOTIONS = ("mean-square", "almost-sure", "in-probability", "deterministic")
#: How a statement is checked. ``exact`` and ``symbolic`` violations of a claimed row fail ``verify``;
#: ``monte-carlo`` and ``statistical`` ones (:data:`STATISTICAL_METHODS`) fail it when the row states its
#: :attr:`Statement.false_alarm`.
METHODS = ("exact", "symbolic", "monte-carlo", "statistical")
#: The methods whose verdict rests on a statistical margin (a row of these states its ``false_alarm``).
STATISTICAL_METHODS = ("monte-carlo", "statistical")
#: Provenance tags: ``paper`` (stated in the cited paper), ``derived`` (this package's own derivation; the
#: proofs are in ``proofs/``), ``reconstructed`` (the paper's statement or setup rebuilt where it is not
#: fully specified).
TAGS = ("paper", "derived", "reconstructed")
#: Sampling models a row may name (SGD models, the unlearning batch models, or ``none``).
SAMPLINGS = tuple(BATCH_MODELS) + ("none",)

#: The bibliography that :attr:`Statement.refs` must cite (found relative to the source tree).
BIBFILE = Path(__file__).resolve().parents[2] / "paper" / "references.bib"
_BIBKEY = re.compile(r"@\w+\{([^,\s]+),")


@functools.cache
def _bib_keys() -> frozenset[str] | None:
    """The entry keys of :data:`BIBFILE` (``None`` when the file does not exist, e.g. in a wheel)."""
    try:
        text = BIBFILE.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return frozenset(_BIBKEY.findall(text))


@dataclass
class Outcome:
    """The result of checking one instance of a :class:`Statement`.

    Returned by ``Statement.check(instance, rng)``; :func:`rmtcheck.verify.runner.run_statement`
    aggregates the outcomes of all instances into one verdict.

    Parameters
    ----------
    violated : bool
        The statement is false on this instance.
    tightness : float or None, optional
        Exact critical value divided by the bound's (1 = tight), when meaningful.
    detail : dict, optional
        JSON-able numbers that explain the outcome (growth factors, thresholds, ...).
    skipped : bool, optional
        The instance fell outside the statement's regime (not counted as tried).

    Attributes
    ----------
    violated : bool
        The statement is false on this instance.
    tightness : float or None
        Exact critical value divided by the bound's (1 = tight), when meaningful.
    detail : dict
        JSON-able numbers that explain the outcome (growth factors, thresholds, ...).
    skipped : bool
        The instance fell outside the statement's regime (not counted as tried).

    See Also
    --------
    Statement : the record whose ``check`` returns an outcome.

    Examples
    --------
    >>> Outcome(violated=False, tightness=0.5, detail={"ratio": 0.5})
    Outcome(violated=False, tightness=0.5, detail={'ratio': 0.5}, skipped=False)
    >>> Outcome(False, skipped=True).skipped
    True
    """

    violated: bool
    tightness: float | None = None
    detail: dict = field(default_factory=dict)
    skipped: bool = False


@dataclass
class Statement:
    """One verifiable statement: a row of ``rmtcheck verify`` (the main extension point).

    A study registers its rows in ``rmtcheck/studies/<study>/statements.py`` with :func:`register`;
    :func:`rmtcheck.verify.catalog.registry` discovers them. Instances are drawn by ``sample`` and
    checked by ``check``; :func:`rmtcheck.verify.runner.run_statement` seeds one generator per
    statement and collects the verdict, the tightness range and the first violation.

    Parameters
    ----------
    id, source, text, notion, sampling, regime, method, sample, check
        Required fields (see Attributes).
    latex, claimed, tag, threshold, group, default_instances, refs, false_alarm, false_alarm_how : optional
        Optional fields (see Attributes).

    Attributes
    ----------
    id : str
        Unique dotted name ``group.name[.variant]``, e.g. ``"dexter.theorem1"``.
    source : str
        Human-readable provenance: paper and theorem/lemma/section, e.g. ``"Dexter et al. 2024,
        Theorem 1"``.
    text : str
        What is claimed, in words and ASCII formulas (the terminal table).
    latex : str
        The same claim as LaTeX source in text mode with inline math (``$...$``), for the paper's tables:
        e.g. ``If $r = (\\eta\\lambda_{\\max}(H)/\\sigma)^2 (n/B-1) \\ge 1$, then $\\rho(T) \\ge 1$.`` It compiles
        under pdflatex with amsmath and amssymb, and holds no ASCII pseudo-maths (``eta*``, ``rho(T)``, ``>=``).
    notion : str
        Stability notion, one of :data:`NOTIONS`.
    sampling : str
        Batch (sampling) model, one of :data:`SAMPLINGS` (``"none"`` for statements without one).
    regime : str
        Where the statement is asserted or probed (sizes, parameter ranges, hypotheses).
    method : str
        How it is checked, one of :data:`METHODS`. A violation of a claimed statement makes ``rmtcheck
        verify`` exit non-zero when the method is ``exact`` or ``symbolic``, or when it is ``monte-carlo``
        or ``statistical`` and ``false_alarm`` is set (the violation lies beyond the row's statistical margin).
    sample : callable
        ``sample(rng) -> dict``: one instance's parameters (sizes, seeds, step sizes; JSON-able apart
        from arrays).
    check : callable
        ``check(instance, rng) -> Outcome``.
    claimed : bool, default True
        ``True``: a theorem asserted in its regime; ``False``: a probe (outside the regime, a
        hypothesis or a heuristic) that reports where it fails.
    tag : str, default "paper"
        Provenance, one of :data:`TAGS`: stated in the paper, this package's own derivation (proof in
        ``proofs/``), or a reconstruction.
    threshold : sympy.Expr or str or None, default None
        The closed-form threshold, or the name of one in :mod:`rmtcheck.stability.thresholds` (resolved
        lazily), shown by ``rmtcheck verify``.
    group : str, default ""
        Verify group; defaults to the first component of ``id``.
    default_instances : int, default 20
        Number of instances ``rmtcheck verify`` draws when not told otherwise.
    refs : tuple of str, default ()
        BibTeX keys (of ``paper/references.bib``) of the papers the statement comes from; statements
        that are this package's own derivations cite the paper they build on. A list is converted to a
        tuple.
    false_alarm : float or None, default None
        For ``monte-carlo`` and ``statistical`` rows: the probability, in ``(0, 1)``, that a *correct*
        package trips the row's statistical margin on some of its ``default_instances`` instances (a
        union bound over the instances is fine). ``None``: the row has no defensible false-alarm
        probability (a heuristic tolerance, a power statement, a qualitative verdict), so its violations
        are reported but never fail the run. Exact and symbolic rows leave it ``None``.
    false_alarm_how : str, default ""
        One phrase on how ``false_alarm`` was computed (or why a claimed statistical row has none).
    refutes : str, default ""
        For a probe (``claimed=False``): what one of its counterexamples refutes — the source's statement as the
        source states it (constants, regime, notion, sampling model), or only a stronger, transferred or
        reconstructed reading of it (set by :func:`scope`).

    Raises
    ------
    ValueError
        A field is outside its vocabulary, ``false_alarm`` is not in ``(0, 1)``, or ``refs`` names a key
        that ``paper/references.bib`` does not define (skipped when the file is absent, e.g. in an
        installed wheel).
    TypeError
        ``refs`` is not a tuple (or list) of strings.

    See Also
    --------
    Outcome : what ``check`` returns.
    register : add a statement to the registry.
    rmtcheck.verify.runner.run_statement : check a statement on seeded instances.

    Examples
    --------
    A statement that full-batch gradient descent on :math:`\\tfrac{\\lambda}{2}w^2` is stable for
    :math:`\\eta\\lambda < 2`:

    >>> import numpy as np
    >>> def sample(rng):
    ...     return {"lam": float(rng.uniform(0.1, 10.0)), "u": float(rng.uniform(0.0, 0.99))}
    >>> def check(inst, rng):
    ...     lr = inst["u"] * 2.0 / inst["lam"]
    ...     factor = abs(1.0 - lr * inst["lam"])
    ...     return Outcome(violated=not factor < 1.0, detail={"factor": factor})
    >>> st = Statement(id="mine.gd_scalar", source="Dexter et al. 2024 (full-batch limit)",
    ...                text="|1 - eta lambda| < 1 for eta < 2/lambda", notion="deterministic",
    ...                latex=r"$|1 - \\eta\\lambda| < 1$ for $\\eta < 2/\\lambda$",
    ...                sampling="none", regime="lambda in [0.1, 10]", method="exact", sample=sample,
    ...                check=check, tag="derived", refs=["dexter2024"])
    >>> st.group, st.refs
    ('mine', ('dexter2024',))
    >>> rng = np.random.default_rng(0)
    >>> st.check(st.sample(rng), rng).violated
    False
    >>> register(st)  # doctest: +SKIP

    An unknown BibTeX key is refused:

    >>> Statement(id="x.y", source="s", text="t", notion="mean-square", sampling="none", regime="r",
    ...           method="exact", sample=sample, check=check, refs=("nokey",))
    Traceback (most recent call last):
    ...
    ValueError: refs: unknown BibTeX key 'nokey'; add it to paper/references.bib or fix the key
    """

    id: str
    source: str
    text: str
    notion: str
    sampling: str
    regime: str
    method: str
    sample: Callable[[Any], dict]
    check: Callable[[dict, Any], Outcome]
    claimed: bool = True
    tag: str = "paper"
    threshold: Any = None  # SymPy expression, or the name of one in rmtcheck.thresholds (resolved lazily)
    group: str = ""
    default_instances: int = 20
    refs: tuple[str, ...] = ()
    false_alarm: float | None = None
    false_alarm_how: str = ""
    refutes: str = ""
    latex: str = ""

    def __post_init__(self):
        if self.notion not in NOTIONS:
            raise ValueError(f"notion must be one of {NOTIONS}; got {self.notion!r}")
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}; got {self.sampling!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        if self.tag not in TAGS:
            raise ValueError(f"tag must be one of {TAGS}; got {self.tag!r}")
        if self.false_alarm is not None and not 0.0 < float(self.false_alarm) < 1.0:
            raise ValueError(f"false_alarm must be a probability in (0, 1) or None; got {self.false_alarm!r}")
        if not isinstance(self.latex, str):
            raise TypeError(f"latex must be LaTeX source (str); got {type(self.latex).__name__}")
        if not self.group:
            self.group = self.id.split(".")[0]
        if isinstance(self.refs, list):
            self.refs = tuple(self.refs)
        if not isinstance(self.refs, tuple) or not all(isinstance(k, str) for k in self.refs):
            raise TypeError(f"refs must be a tuple of BibTeX keys (str); got {self.refs!r}")
        keys = _bib_keys()
        if keys is not None:
            for k in self.refs:
                if k not in keys:
                    raise ValueError(f"refs: unknown BibTeX key {k!r}; add it to paper/references.bib or fix the key")


_REGISTRY: dict[str, Statement] = {}


def register(statement: Statement) -> Statement:
    """Add ``statement`` to the registry (ids are unique).

    Parameters
    ----------
    statement : Statement
        The record to add. Registering the same object twice is a no-op.

    Returns
    -------
    Statement
        ``statement`` itself (so ``register(Statement(...))`` can be assigned).

    Raises
    ------
    ValueError
        Another statement with the same ``id`` is already registered.

    See Also
    --------
    rmtcheck.verify.catalog.registry : all registered statements.
    """
    if statement.id in _REGISTRY and _REGISTRY[statement.id] is not statement:
        raise ValueError(f"a statement with id {statement.id!r} is already registered")
    _REGISTRY[statement.id] = statement
    return statement




def scope(refutes: dict[str, str]) -> None:
    """Record, for registered probes, what their counterexamples refute (:attr:`Statement.refutes`).

    Parameters
    ----------
    refutes : dict of str to str
        Statement id to one or two sentences: does a counterexample refute the statement as its source states it
        (constants, regime, notion, sampling model), or only another reading of it?

    Raises
    ------
    ValueError
        An id is not registered, or names a claimed statement.
    """
    for sid, text in refutes.items():
        st = _REGISTRY.get(sid)
        if st is None or st.claimed:
            raise ValueError(f"scope: {sid!r} is not a registered probe (claimed=False) statement")
        st.refutes = text
