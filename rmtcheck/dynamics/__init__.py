"""Dynamics: exact second-moment operators, Monte Carlo, Lyapunov exponents."""
from .operator import (
    LinearRecursion,
    Term,
    critical_lr,
    dense_second_moment_matrix,
    ms_growth,
    second_moment_operator,
    sgd_recursion,
)
