"""What every study shares about the linear stability of SGD and of descent–ascent unlearning.

Families and sampling
    :class:`HessianFamily` (dense stacks, rank-one factors or factor blocks ``(n, d, k)``), :func:`as_family`
    (``families``); :class:`PairFamily` (``pairs``);
    :class:`CurvatureFamily`, the interface both satisfy (``families``); :class:`SamplingModel`,
    :func:`sampling_model`, :data:`SAMPLING_MODELS`, :data:`MIXED_SAMPLINGS` (``sampling``: one table
    of batch models, SGD and mixed).
Coherence
    :func:`coherence`, :func:`coherence_matrix`, :func:`coherence_batch` (``coherence``);
    three-axis coherence and :math:`\\sigma_{mix}`: :func:`mixed_coherence`, :func:`pair_coherence`,
    :func:`coherence_blocks` (``three_axis``).
The exact second moment
    :class:`LinearRecursion`, :class:`Term`, :func:`sgd_recursion`, :func:`second_moment_operator`,
    :func:`ms_growth`, :func:`critical_lr`, :func:`range_coordinates` (``operator``).
Descent–ascent unlearning
    :func:`mixed_recursion`, :func:`mixed_hessian`, :func:`mixed_growth`, :func:`mixed_critical_lr`,
    :func:`critical_alpha`, :func:`resist_interval`, :func:`escape_verdicts`, :func:`diagonal_lyapunov`
    (``unlearning``); :class:`NoisyMixedDynamics` (``noisy_unlearning``).
Gram space and real models
    :class:`SampleCurvature`, :func:`gram_coordinates`, :func:`gram_family`, :func:`gram_pair`,
    :func:`curvature_family`, :func:`load_curvature`, :func:`save_curvature` (``gram``: every exact quantity
    from the Gram matrix :math:`K = F^\\top F`, at a cost set by the number of samples, not of parameters);
    :class:`Recipe`, :func:`preflight`, :class:`PreflightReport`, :func:`tangent_forecast` (the recipe run on
    the linearised network with the exact loss), :func:`forecast` (exact moments, quadratic loss)
    (``preflight``: will a gradient-ascent unlearning run forget, stay or collapse?).
Monte Carlo
    :func:`simulate`, :func:`simulate_sgd`, :func:`second_moment_mc`, :class:`DexterProtocol`,
    :func:`divergence_fraction`, :func:`blew_up` (``montecarlo``: the one blow-up rule).
Thresholds and reports
    ``thresholds`` (closed forms lambdified from ``proofs/``); :func:`stability_report`,
    :func:`analyse` (``report``: what ``rmtcheck stability`` and ``unlearn-stability`` print).

Every name is imported lazily from the module in parentheses.

Conventions: the SGD functions take ``(hessians, [lr,] batch, *, sampling)``; the descent–ascent
functions ``(retain, forget, [lr,] batch, *, alpha, sampling)``. Families are
:class:`HessianFamily` objects or arrays, ``(n, d)`` rank-one factors or ``(n, d, d)`` stacks. Tags in
the docstrings: [paper] (stated in the cited paper), [derived] (this package's derivation, with the
module of ``proofs/`` that asserts it), [reconstructed] (our reading of a paper's protocol or code).

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024].
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
.. [3] Mulayoff and Michaeli (2024), "Exact Mean Square Linear Stability Analysis for SGD", COLT 2024
   [mulayoff2024].
"""

from rmtcheck._lib.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "families": ["HessianFamily", "as_family", "CurvatureFamily"],
    "pairs": ["PairFamily"],
    "sampling": ["SamplingModel", "sampling_model", "SAMPLING_MODELS", "MIXED_SAMPLINGS"],
    "coherence": ["coherence", "coherence_matrix", "coherence_batch"],
    "three_axis": ["mixed_coherence", "pair_coherence", "coherence_blocks"],
    "operator": ["LinearRecursion", "Term", "sgd_recursion", "second_moment_operator",
                 "dense_second_moment_matrix", "ms_growth", "critical_lr", "range_coordinates"],
    "unlearning": ["mixed_recursion", "mixed_hessian", "mixed_growth", "mixed_critical_lr", "critical_alpha",
                   "resist_interval", "EscapeVerdict", "escape_verdicts", "diagonal_lyapunov"],
    "noisy_unlearning": ["NoisyMixedDynamics"],
    "montecarlo": ["simulate", "simulate_sgd", "second_moment_mc", "MonteCarloResult", "SecondMomentEstimate",
                   "DexterProtocol", "divergence_fraction", "blew_up"],
    "report": ["stability_report", "analyse"],
    "gram": ["SampleCurvature", "gram_coordinates", "gram_family", "gram_pair", "curvature_family", "load_curvature",
             "save_curvature"],
    "preflight": ["Recipe", "PreflightReport", "preflight", "forecast", "tangent_forecast", "first_crossing"],
})
