"""Random-matrix tools: Marchenko–Pastur, random designs and families, coherence predictions, layer spectra.

Marchenko–Pastur (``marchenko_pastur``)
    :data:`marchenko_pastur` (a :class:`scipy.stats.rv_continuous`), :func:`mp_edges`,
    :func:`bai_yin_edge`, :func:`tracy_widom_edge`.
Designs (``designs``)
    :func:`isotropic_gaussian`, :func:`anisotropic_gaussian`, :func:`haar_orthogonal`,
    :func:`signal_noise_patches`, :class:`PatchData`, :func:`patch_scales`.
Random Hessian families (``families``)
    :func:`gaussian_factors`, :func:`clustered_factors`, :func:`wishart_stack`, :func:`random_family`,
    :func:`dexter_construction`, :func:`linear_factors`.
Coherence of random designs (``coherence_distribution``, ``coherence_predictions``)
    :func:`coherence_distribution`; :func:`noise_floor`, :func:`noise_floor_refined`,
    :func:`snr_prediction`, :func:`norm_bound`, :func:`inner_product_bound`, :func:`snr_increase_test`,
    :func:`floor_report`; Gram-matrix MP laws :func:`gram_mp`, :func:`gram_edge`, :func:`mp_ks`
    (``marchenko_pastur``).
Layer spectra (``spectral``, ``powerlaw``)
    :func:`esd`, :func:`fit_mp`, :func:`diagnose`, :func:`diagnose_layers`, :func:`spectrum_table`;
    :func:`fit_powerlaw`, :func:`powerlaw_alpha_at`, :func:`hill_alpha`.

Every name is imported lazily from the module in parentheses.
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
                 "layers_from_torch", "spectrum_table"],
    "powerlaw": ["fit_powerlaw", "PowerLawFit", "powerlaw_alpha_at", "hill_alpha", "CONVENTIONS", "ECDFS"],
})
