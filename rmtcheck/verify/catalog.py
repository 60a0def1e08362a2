"""The catalogue of statements: every study's ``statements`` module registers its rows on import.

:func:`registry` imports ``rmtcheck.studies.<study>.statements`` for each study in
:data:`rmtcheck.studies.STUDIES` (once), so ``rmtcheck verify`` lists the groups in that order and a new
study folder with a ``statements.py`` is picked up automatically.
"""

from __future__ import annotations

from rmtcheck import studies
from rmtcheck.verify.statement import _REGISTRY, Statement

__all__ = ["registry", "get"]


def registry() -> dict[str, Statement]:
    """All registered statements, loading the built-in catalogue on first use.

    Returns
    -------
    dict of str to Statement
        Statement id to record, in registration order (studies in :data:`rmtcheck.studies.STUDIES`
        order, then anything registered by the caller).
    """
    studies.load("statements")
    return dict(_REGISTRY)


def get(statement_id: str) -> Statement:
    """The statement registered as ``statement_id`` (``ValueError`` naming the known ids otherwise).

    Parameters
    ----------
    statement_id : str
        A registered statement id.

    Returns
    -------
    Statement
        The registered statement.

    Raises
    ------
    ValueError
        If no statement is registered as ``statement_id``.
    """
    reg = registry()
    if statement_id not in reg:
        raise ValueError(f"unknown statement id {statement_id!r}; known: {sorted(reg)}")
    return reg[statement_id]
