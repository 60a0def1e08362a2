"""rmtcheck: verify the theory of SGD stability and machine unlearning, exactly and by simulation.

The curated public API (implementation modules are private or layered below):

* objects: :class:`HessianFamily`, :func:`as_family`, :class:`SamplingModel`, :data:`SAMPLING_MODELS`;
* measurements: :func:`coherence`, :func:`coherence_matrix`, :func:`coherence_batch`;
* exact dynamics: :func:`second_moment_operator`, :func:`ms_growth`, :func:`critical_lr`,
  :class:`LinearRecursion`, :class:`Term`, :func:`sgd_recursion`;
* Monte Carlo: :func:`simulate`, :func:`simulate_sgd`, :func:`second_moment_mc`,
  :class:`DexterProtocol`, :func:`divergence_fraction`;
* descent–ascent unlearning: :func:`mixed_recursion`, :func:`mixed_growth`, :func:`critical_alpha`,
  :func:`resist_interval`, :func:`escape_verdicts`, :func:`mixed_coherence`, :func:`pair_coherence`;
* random-matrix designs: :func:`signal_noise_patches`, :func:`anisotropic_gaussian`,
  :func:`coherence_distribution`, :func:`noise_floor`, :func:`noise_floor_refined`;
* sweeps: :func:`run_sweep`, :class:`ResultStore` (:mod:`rmtcheck.sweep`: executors, SQLite store, resume);
* verification: :mod:`rmtcheck.verify` (registry, runner), :mod:`rmtcheck.thresholds` (SymPy-derived);
* case studies: :mod:`rmtcheck.ascent`, :mod:`rmtcheck.spectral`, :mod:`rmtcheck.laws`,
  :mod:`rmtcheck.models.cnn` with :mod:`rmtcheck.experiments.cnn_unlearning`.

Plotting (:mod:`rmtcheck.plotting`) is not imported here, so matplotlib loads only when drawing.
"""

__version__ = "0.1.0"

from .coherence import coherence, coherence_batch, coherence_matrix
from .dynamics import (
    DexterProtocol,
    LinearRecursion,
    Term,
    critical_lr,
    divergence_fraction,
    ms_growth,
    second_moment_mc,
    second_moment_operator,
    sgd_recursion,
    simulate,
    simulate_sgd,
)
from .coherence_laws import coherence_distribution, noise_floor, noise_floor_refined
from .designs_rmt import PatchData, anisotropic_gaussian, signal_noise_patches
from .dynamics.mixed import (critical_alpha, escape_verdicts, mixed_growth, mixed_hessian, mixed_recursion,
                             resist_interval)
from .hessians import HessianFamily, as_family
from .mixed_coherence import coherence_blocks, mixed_coherence, pair_coherence
from .laws import marchenko_pastur, mp_edges
from .sampling import SAMPLING_MODELS, SamplingModel, sampling_model
from .spectral import diagnose, diagnose_layers, fit_powerlaw
from .sweep import ResultStore, run_sweep

__all__ = [
    "HessianFamily", "as_family", "SamplingModel", "SAMPLING_MODELS", "sampling_model",
    "coherence", "coherence_matrix", "coherence_batch",
    "second_moment_operator", "ms_growth", "critical_lr", "LinearRecursion", "Term", "sgd_recursion",
    "simulate", "simulate_sgd", "second_moment_mc", "DexterProtocol", "divergence_fraction",
    "mixed_recursion", "mixed_growth", "mixed_hessian", "critical_alpha", "resist_interval", "escape_verdicts",
    "mixed_coherence", "pair_coherence", "coherence_blocks",
    "marchenko_pastur", "mp_edges", "diagnose", "diagnose_layers", "fit_powerlaw",
    "signal_noise_patches", "PatchData", "anisotropic_gaussian",
    "coherence_distribution", "noise_floor", "noise_floor_refined",
    "run_sweep", "ResultStore",
]
