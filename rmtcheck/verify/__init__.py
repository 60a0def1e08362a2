"""The registry of verified statements and the runner behind ``rmtcheck verify``."""
from ._registry import METHODS, NOTIONS, SAMPLINGS, TAGS, Outcome, Statement, get, register, registry
from ._runner import StatementResult, exit_status, jsonable, run_all, run_statement
