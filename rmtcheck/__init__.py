"""rmtcheck: verify the theory of SGD stability and machine unlearning, exactly and by simulation.

The curated public API. Every name is imported lazily (on first use), so ``import rmtcheck`` loads
neither SciPy's ``stats``, SymPy nor matplotlib.

Families and sampling
    :class:`HessianFamily`, :func:`as_family`, :class:`SamplingModel`, :func:`sampling_model`,
    :data:`SAMPLING_MODELS`.
Coherence
    :func:`coherence`, :func:`coherence_matrix`, :func:`coherence_batch`; three-axis coherence
    :func:`mixed_coherence`, :func:`pair_coherence`, :func:`coherence_blocks`.
Exact mean-square dynamics
    :func:`second_moment_operator`, :func:`ms_growth`, :func:`critical_lr`, :class:`LinearRecursion`,
    :class:`Term`, :func:`sgd_recursion`.
Monte Carlo
    :func:`simulate`, :func:`simulate_sgd`, :func:`second_moment_mc`, :class:`DexterProtocol`,
    :func:`divergence_fraction`.
Descent–ascent unlearning
    :func:`mixed_recursion`, :func:`mixed_growth`, :func:`mixed_hessian`, :func:`critical_alpha`,
    :func:`resist_interval`, :func:`escape_verdicts` — one argument order,
    ``(retain, forget, lr, batch, *, alpha, sampling)``.
Reports
    :func:`stability_report`, :func:`analyse` (what ``rmtcheck stability`` / ``unlearn-stability`` print).
Real models
    :class:`SampleCurvature`, :func:`gram_family`, :func:`gram_pair`, :func:`curvature_family` (every exact
    quantity from the Gram matrix); :class:`Recipe`, :func:`preflight` (will a gradient-ascent run forget,
    stay or collapse?); the curvature of a model: :func:`gauss_newton_factors`, :func:`torch_curvature`.
Random matrices
    :data:`marchenko_pastur`, :func:`mp_edges`, :func:`signal_noise_patches`, :class:`PatchData`,
    :func:`anisotropic_gaussian`, :func:`coherence_distribution`, :func:`noise_floor`,
    :func:`noise_floor_refined`; layer spectra :func:`diagnose`, :func:`diagnose_layers`,
    :func:`fit_powerlaw`.
Sweeps
    :func:`run_sweep`, :class:`ResultStore`.

Subpackages: :mod:`rmtcheck.stability` (the shared stability maths), :mod:`rmtcheck.randmat`
(random-matrix tools), :mod:`rmtcheck.curvature` (per-sample curvature of trained models), :mod:`rmtcheck.studies` (one folder per paper), :mod:`rmtcheck.verify`,
:mod:`rmtcheck.plotting` (not imported here), :mod:`rmtcheck.sweep`, :mod:`rmtcheck.paper`,
:mod:`rmtcheck.cli`.
"""

__version__ = "0.1.0"

from rmtcheck._lib.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "stability.families": ["HessianFamily", "as_family"],
    "stability.sampling": ["SamplingModel", "SAMPLING_MODELS", "sampling_model"],
    "stability.coherence": ["coherence", "coherence_matrix", "coherence_batch"],
    "stability.operator": ["second_moment_operator", "ms_growth", "critical_lr", "LinearRecursion", "Term",
                           "sgd_recursion"],
    "stability.montecarlo": ["simulate", "simulate_sgd", "second_moment_mc", "DexterProtocol",
                             "divergence_fraction"],
    "stability.unlearning": ["mixed_recursion", "mixed_growth", "mixed_hessian", "critical_alpha",
                             "resist_interval", "escape_verdicts"],
    "stability.three_axis": ["mixed_coherence", "pair_coherence", "coherence_blocks"],
    "stability.report": ["stability_report", "analyse"],
    "stability.gram": ["SampleCurvature", "gram_family", "gram_pair", "curvature_family"],
    "stability.preflight": ["Recipe", "preflight"],
    "curvature": ["gauss_newton_factors", "torch_curvature"],
    "randmat.marchenko_pastur": ["marchenko_pastur", "mp_edges"],
    "randmat.spectral": ["diagnose", "diagnose_layers"],
    "randmat.powerlaw": ["fit_powerlaw"],
    "randmat.designs": ["signal_noise_patches", "PatchData", "anisotropic_gaussian"],
    "randmat.coherence_distribution": ["coherence_distribution"],
    "randmat.coherence_predictions": ["noise_floor", "noise_floor_refined"],
    "sweep": ["run_sweep", "ResultStore"],
})
__all__ = ["__version__", *__all__]
