"""Random-matrix tools: Marchenko–Pastur laws, random designs and Hessian families, coherence of random
designs, and layer-spectrum diagnostics.

Marchenko–Pastur laws and edges (``marchenko_pastur``)
    :func:`marchenko_pastur` (a frozen :class:`scipy.stats.rv_continuous`), :func:`mp_edges`,
    :func:`bai_yin_edge`, :func:`tracy_widom_edge`; for noise Gram matrices :func:`gram_mp`,
    :func:`gram_edge` and the KS comparison :func:`mp_ks`.
Designs (``designs``)
    :func:`isotropic_gaussian`, :func:`anisotropic_gaussian`, :func:`haar_orthogonal`,
    :func:`gaussian_batch`; the signal-plus-noise patch model :func:`signal_noise_patches`
    (:class:`PatchData`), :func:`signal_noise_batch`, :func:`patch_scales`; option names
    :data:`NOISE_MODELS`, :data:`SNR_CONVENTIONS`.
Random Hessian families (``families``)
    :func:`gaussian_factors`, :func:`clustered_factors`, :func:`wishart_stack`, :func:`random_family`,
    :func:`dexter_construction`, :func:`linear_factors`.
Sampled coherence (``coherence_distribution``)
    :func:`coherence_distribution` (:class:`CoherenceDistribution`), :data:`DESIGNS`.
Coherence predictions, bounds and tests (``coherence_predictions``)
    :func:`noise_floor`, :func:`noise_floor_refined`, :func:`effective_dimension`,
    :func:`expected_max_chi2`, :func:`mean_abs_inner`, :func:`snr_prediction`; :func:`norm_bound`,
    :func:`inner_product_bound`, :func:`brief_inner_product_scale`; :func:`snr_increase_test`,
    :func:`floor_report` (:class:`FloorRecord`).
Layer spectra (``spectral``, ``powerlaw``)
    :func:`esd`, :func:`weight_matrices`, :func:`as_matrix`, :func:`fit_mp` (:class:`MPFit`), :func:`stable_rank`,
    :func:`log_spectral_norm`, :func:`alpha_weighted`, :func:`log_alpha_norm`, :func:`flag`,
    :func:`diagnose` (:class:`LayerSpectrum`), :func:`diagnose_layers`, :func:`as_layers`,
    :func:`layers_from_torch`, :func:`spectrum_table`, :func:`spectrum_summary`, :func:`ww_metrics`
    (:data:`WW_ALIASES`); :func:`fit_powerlaw` (:class:`PowerLawFit`, :data:`FIX_FINGERS`); is the tail a power law:
    :func:`compare_tail`, :func:`best_fit`, :func:`tail_loglikelihoods` (``_tail_compare``),
    :func:`powerlaw_alpha_at`, :func:`hill_alpha`.

Every name is imported lazily from the module in parentheses. Each module's docstring states its
conventions and sources; citations use the BibTeX keys of ``paper/references.bib``.
"""

from rmtcheck._lib.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "marchenko_pastur": ["marchenko_pastur", "mp_edges", "bai_yin_edge", "tracy_widom_edge", "gram_mp", "gram_edge",
                         "mp_ks"],
    "designs": ["isotropic_gaussian", "anisotropic_gaussian", "haar_orthogonal", "gaussian_batch",
                "signal_noise_patches", "signal_noise_batch", "PatchData", "patch_scales", "NOISE_MODELS",
                "SNR_CONVENTIONS"],
    "families": ["gaussian_factors", "clustered_factors", "wishart_stack", "random_family", "dexter_construction",
                 "linear_factors"],
    "coherence_distribution": ["coherence_distribution", "CoherenceDistribution", "DESIGNS"],
    "coherence_predictions": ["effective_dimension", "noise_floor", "noise_floor_refined", "expected_max_chi2",
                              "mean_abs_inner", "snr_prediction", "norm_bound", "inner_product_bound",
                              "brief_inner_product_scale", "snr_increase_test",
                              "floor_report", "FloorRecord"],
    "spectral": ["esd", "as_matrix", "fit_mp", "MPFit", "stable_rank", "log_spectral_norm", "alpha_weighted",
                 "log_alpha_norm", "flag", "FLAGS", "LayerSpectrum", "diagnose", "diagnose_layers", "as_layers",
                 "layers_from_torch", "spectrum_table", "spectrum_summary", "ww_metrics", "WW_ALIASES",
                 "weight_matrices", "CONV_MODES"],
    "_tail_compare": ["compare_tail", "best_fit", "tail_loglikelihoods", "TAIL_LAWS"],
    "powerlaw": ["fit_powerlaw", "PowerLawFit", "powerlaw_alpha_at", "hill_alpha", "CONVENTIONS", "ECDFS",
                 "FIX_FINGERS"],
})
