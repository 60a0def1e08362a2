"""Dynamics: exact second-moment operators, Monte Carlo, Lyapunov exponents."""
from .montecarlo import (
    DexterProtocol,
    MonteCarloResult,
    SecondMomentEstimate,
    divergence_fraction,
    second_moment_mc,
    simulate,
    simulate_sgd,
)
from .operator import (
    LinearRecursion,
    Term,
    critical_lr,
    dense_second_moment_matrix,
    ms_growth,
    second_moment_operator,
    sgd_recursion,
)
