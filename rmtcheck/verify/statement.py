"""Statement records and the registry shared by ``rmtcheck verify``, the tests and the figures.

A :class:`Statement` says what is claimed (``text``), by whom (``source``, ``tag``), under which
stability notion and sampling model, in which regime, and how it is checked: ``sample(rng)`` draws one
instance (a dict of parameters, JSON-able apart from arrays) and ``check(instance, rng)`` returns an
:class:`Outcome`. ``claimed=True`` rows are theorems asserted in their regime: a violation found by
exact or symbolic computation makes ``rmtcheck verify`` exit non-zero. ``claimed=False`` rows probe
statements outside their regime (or hypotheses) and report where they fail.

Adding a theorem
----------------
>>> from rmtcheck.verify import Statement, Outcome, register
>>> register(Statement(id="my.claim", source="Me 2026, Lemma 1", text="...", notion="mean-square",
...     sampling="bernoulli", regime="...", method="exact", sample=lambda rng: {...},
...     check=lambda inst, rng: Outcome(violated=False)))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from rmtcheck.stability.sampling import BATCH_MODELS

__all__ = ["NOTIONS", "METHODS", "TAGS", "SAMPLINGS", "Statement", "Outcome", "register"]

#: Stability notions; ``deterministic`` marks statements that are not about random dynamics.
NOTIONS = ("mean-square", "almost-sure", "deterministic")
#: How a statement is checked. Only ``exact`` and ``symbolic`` violations fail ``verify``.
METHODS = ("exact", "symbolic", "monte-carlo", "statistical")
#: Provenance tags of ``../shared/theory``.
TAGS = ("paper", "derived", "reconstructed")
#: Sampling models a row may name (SGD models, the unlearning batch models, or ``none``).
SAMPLINGS = tuple(BATCH_MODELS) + ("none",)


@dataclass
class Outcome:
    """The result of checking one instance.

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
    """

    violated: bool
    tightness: float | None = None
    detail: dict = field(default_factory=dict)
    skipped: bool = False


@dataclass
class Statement:
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

    def __post_init__(self):
        if self.notion not in NOTIONS:
            raise ValueError(f"notion must be one of {NOTIONS}; got {self.notion!r}")
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}; got {self.sampling!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        if self.tag not in TAGS:
            raise ValueError(f"tag must be one of {TAGS}; got {self.tag!r}")
        if not self.group:
            self.group = self.id.split(".")[0]


_REGISTRY: dict[str, Statement] = {}


def register(statement: Statement) -> Statement:
    """Add ``statement`` to the registry (ids are unique)."""
    if statement.id in _REGISTRY and _REGISTRY[statement.id] is not statement:
        raise ValueError(f"a statement with id {statement.id!r} is already registered")
    _REGISTRY[statement.id] = statement
    return statement


