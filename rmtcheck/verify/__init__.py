"""Statements and the runner behind ``rmtcheck verify``.

* :mod:`.statement` — the record types a study imports: :class:`Statement`, :class:`Outcome`,
  :func:`register` and the vocabularies :data:`NOTIONS`, :data:`METHODS` (:data:`STATISTICAL_METHODS`),
  :data:`TAGS`, :data:`SAMPLINGS`;
* :mod:`.catalog` — :func:`registry` and :func:`get`, which discover every study's ``statements``;
* :mod:`.runner` — :func:`run_statement`, :func:`run_all`, :func:`exit_status` and :class:`StatementResult`.
"""

from rmtcheck.verify.catalog import get, registry
from rmtcheck.verify.runner import StatementResult, exit_status, run_all, run_statement
from rmtcheck.verify.statement import (
    METHODS,
    NOTIONS,
    SAMPLINGS,
    STATISTICAL_METHODS,
    TAGS,
    Outcome,
    Statement,
    register,
)

__all__ = [
    "Statement", "Outcome", "register", "registry", "get", "NOTIONS", "METHODS", "STATISTICAL_METHODS", "TAGS",
    "SAMPLINGS",
    "StatementResult", "run_statement", "run_all", "exit_status",
]
