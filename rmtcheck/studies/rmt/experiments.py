"""Experiments behind the random-matrix coherence figures (plain data, no plotting).

* :func:`noise_histograms` — pure-noise coherence, Gram entries and norms for a few ``(n, d)`` against
  the floors (:func:`rmtcheck.randmat.coherence_predictions.noise_floor`,
  :func:`~rmtcheck.randmat.coherence_predictions.noise_floor_refined`),
  :math:`N(0, 1)` for :math:`G_{ik}/\\sqrt d` and :math:`\\chi^2_d/d` for :math:`\\|g\\|^2/d`;
  :func:`floor_regimes` — relative error of both floors against :math:`d/n^2`.
* :func:`sigma_vs_snr` — quantile bands of :math:`\\sigma` over SNR for both SNR conventions and both
  noise models, the prediction :func:`~rmtcheck.randmat.coherence_predictions.snr_prediction`, and one-sided
  Mann–Whitney tests between consecutive SNRs.
* :func:`mp_fits` — pooled Gram spectra against Marchenko–Pastur, the spectrum of :math:`|G|`, and
  :math:`\\lambda_{\\max}` against the Bai–Yin edge.

Every function records the seed; grids spawn one child seed per cell.

References
----------
.. [1] <<MP>>.
.. [2] <<D>>, Def. 1 (coherence).
.. [3] <<CK>>, headline claim (b).
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import check_int
from rmtcheck.randmat.coherence_distribution import coherence_distribution
from rmtcheck.randmat.coherence_predictions import floor_report, noise_floor, noise_floor_refined, snr_prediction
from rmtcheck.randmat.marchenko_pastur import gram_edge, gram_mp, mp_ks

stats = lazy_module("scipy.stats")

__all__ = ["noise_histograms", "floor_regimes", "sigma_vs_snr", "mp_fits", "median_ci"]

_Q = (5, 25, 50, 75, 95)


def _children(seed, k):
    return np.random.SeedSequence(seed).spawn(k)


def median_ci(samples, level: float = 0.95, axis: int = -1) -> np.ndarray:
    """Distribution-free confidence interval of the median from order statistics.

    With ``m`` samples sorted, the interval is :math:`[x_{(j)}, x_{(m-j+1)}]` where ``j`` is the largest
    integer with :math:`P(\\mathrm{Bin}(m, 1/2) \\le j - 1) \\le (1 - \\text{level})/2`, so its coverage is at
    least ``level`` for every continuous distribution.

    Parameters
    ----------
    samples : array_like
        Samples along ``axis`` (at least 6 for a 95% interval).
    level : float, optional
        Confidence level in (0, 1).
    axis : int, optional
        Axis holding the samples.

    Returns
    -------
    numpy.ndarray
        Lower and upper limits stacked on a new first axis (shape ``(2, ...)``).

    Examples
    --------
    >>> median_ci(np.arange(1.0, 101.0)).tolist()
    [40.0, 61.0]
    """
    if not 0 < float(level) < 1:
        raise ValueError(f"level={level!r}: use a confidence level in (0, 1), e.g. 0.95")
    x = np.sort(np.asarray(samples, float), axis=axis)
    m = x.shape[axis]
    j = int(stats.binom.ppf((1 - level) / 2, m, 0.5))  # smallest j with P(B <= j) >= (1 - level)/2
    if j < 1:
        raise ValueError(f"samples: {m} values cannot give a {level:g} interval for the median; pass more")
    return np.stack([np.take(x, j - 1, axis=axis), np.take(x, m - j, axis=axis)])


def noise_histograms(sizes=((20, 100), (50, 2000), (100, 1000)), instances: int = 500, seed: int = 0) -> dict:
    """Pure-noise (isotropic) coherence distributions for each ``(n, d)`` in ``sizes``.

    Parameters
    ----------
    sizes : sequence of (int, int), optional
    instances : int, optional
        Instances per size.
    seed : int, optional
        Root seed (recorded in the output).

    Returns
    -------
    dict
        Per case: sampled ``sigma``, both floors, scaled Gram entries and norms and their KS p-values.

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability ...", ICLR [dexter2024], Def. 1.
    """
    instances = check_int(instances, "instances", 2)
    out = {"seed": seed, "sizes": [tuple(map(int, s)) for s in sizes], "cases": []}
    for (n, d), child in zip(sizes, _children(seed, len(sizes))):
        cd = coherence_distribution("isotropic", instances, n, d, np.random.default_rng(child))
        out["cases"].append({
            "n": n, "d": d, "sigma": cd.sigma, "floor": noise_floor(n, d), "refined": noise_floor_refined(n, d),
            "offdiag_scaled": cd.offdiag.ravel() / np.sqrt(d), "norms_scaled": cd.norms2.ravel() / d,
            "mean_abs_offdiag_scaled": float(cd.mean_abs_offdiag.mean() / np.sqrt(d)),
            "ks_offdiag_p": float(stats.kstest(cd.offdiag.ravel()[:5000] / np.sqrt(d), "norm").pvalue),
            "ks_norms_p": float(stats.kstest(cd.norms2.ravel()[:5000], stats.chi2(d).cdf).pvalue),
        })
    return out


def floor_regimes(ns=(10, 30, 100), ratios=(0.3, 1.0, 3.0, 10.0, 30.0), instances: int = 100, seed: int = 0,
                  tol: float = 0.02) -> dict:
    """Relative error of the leading and refined floors on the grid ``d = ratio * n^2``.

    ``d`` is capped at 2e5 so that a cell stays below about 2e7 normals; ratios that the cap maps to the same
    ``(n, d)`` are sampled once.

    Parameters
    ----------
    ns, ratios : sequence, optional
    instances : int, optional
    seed : int, optional
        Root seed (recorded in the output).
    tol : float, optional
        Relative tolerance of "the floor holds" (default 2%).

    Returns
    -------
    dict
        Arrays of :class:`~rmtcheck.randmat.coherence_predictions.FloorRecord` fields over the grid.
    """
    sizes = []
    for n in ns:
        for r in ratios:
            d = int(max(2, min(round(r * n * n), 200_000, 2e7 / (n * instances))))
            if (int(n), d) not in sizes:  # ratios that the cap maps to the same d are sampled once
                sizes.append((int(n), d))
    recs = floor_report(sizes, instances=instances, rng=seed, tol=tol)
    keys = ("n", "d", "mean_sigma", "sd_sigma", "floor", "refined", "rel_err_floor", "rel_err_refined", "d_over_n2",
            "floor_holds", "refined_holds", "near_orthogonal")
    return {"seed": seed, "tol": tol, "instances": instances,
            **{k: np.array([getattr(r, k) for r in recs]) for k in keys}}


def sigma_vs_snr(n: int = 30, d: int = 400, snrs=None, instances: int = 200, seed: int = 0,
                 conventions=(("mu", "projected"), ("sigma", "projected"), ("mu", "isotropic")),
                 level: float = 1e-3) -> dict:
    """Quantiles of :math:`\\sigma` over an SNR grid for each ``(vary, noise)`` in ``conventions``.

    Parameters
    ----------
    n, d : int, optional
    snrs : array_like, optional
        Default 14 values in :math:`[10^{-2}, 1.5]`.
    instances : int, optional
    seed : int, optional
        Root seed (recorded in the output).
    conventions : sequence of (str, str), optional
        SNR set through ``"mu"`` or ``"sigma"``, ``"projected"`` or ``"isotropic"`` noise.
    level : float, optional
        Test level.

    Returns
    -------
    dict
        Per convention the quantiles ``q`` (len(_Q), len(snrs)), the mean, the 95% interval of the median
        ``median_ci`` (2, len(snrs); :func:`median_ci`), the prediction, and the
        one-sided Mann–Whitney p-values between consecutive SNRs (alternative: larger SNR, larger
        :math:`\\sigma`); ``increase`` marks rejections at ``level``.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claim (b).
    """
    n, d = check_int(n, "n", 2), check_int(d, "d", 2)
    snrs = np.geomspace(1e-2, 1.5, 14) if snrs is None else np.asarray(snrs, float)
    out = {"seed": seed, "n": n, "d": d, "snr": snrs, "quantile_levels": np.array(_Q), "floor": noise_floor(n, d),
           "refined": noise_floor_refined(n, d - 1), "level": level, "curves": []}
    for (vary, noise), child in zip(conventions, _children(seed, len(conventions))):
        kids = child.spawn(snrs.size)
        samples = [coherence_distribution("patch", instances, n, d, np.random.default_rng(k), snr=float(s),
                                          vary=vary, noise=noise).sigma for s, k in zip(snrs, kids)]
        S = np.stack(samples)
        p = np.array([stats.mannwhitneyu(S[i + 1], S[i], alternative="greater").pvalue for i in range(snrs.size - 1)])
        out["curves"].append({"vary": vary, "noise": noise, "q": np.percentile(S, _Q, axis=1), "mean": S.mean(axis=1),
                              "median_ci": median_ci(S, 0.95, axis=1),
                              "pred": snr_prediction(n, d, snrs, noise), "p_increase": p, "increase": p < level})
    return out


def mp_fits(sizes=((100, 400), (100, 200), (100, 110)), instances: int = 40, seed: int = 0) -> dict:
    """Pooled Gram spectra against Marchenko–Pastur, and the Bai–Yin edge.

    Eigenvalues of :math:`\\Xi\\Xi^\\top/d` against MP(n/d); the spectrum of :math:`|G|/d`;
    :math:`\\lambda_{\\max}(G)` against the Bai–Yin edge and Johnstone's centring.

    Parameters
    ----------
    sizes : sequence of (int, int), optional
    instances : int, optional
    seed : int, optional
        Root seed (recorded in the output).

    Returns
    -------
    dict
        Per case: the pooled eigenvalues of :math:`G/d` and :math:`|G|/d`, the MP density on its support, the
        pooled KS statistic ``D_pooled`` over ``n_pooled`` eigenvalues and its p-value ``p_pooled`` (the
        same for :math:`|G|`: ``D_pooled_abs``, ``p_pooled_abs``), the per-instance median p-value,
        :math:`\\lambda_{\\max}/d` per instance and the Bai–Yin edge and Tracy–Widom centring and scale
        (divided by ``d``).

    References
    ----------
    .. [1] Marčenko & Pastur (1967), "Distribution of Eigenvalues for Some Sets of Random Matrices",
       Math. USSR-Sbornik [marchenko1967].
    """
    out = {"seed": seed, "cases": []}
    for (n, d), child in zip(sizes, _children(seed, len(sizes))):
        cd = coherence_distribution("isotropic", instances, n, d, np.random.default_rng(child), spectra=True)
        r = mp_ks(cd.gram_eigs, n, d)
        ra = mp_ks(cd.abs_eigs, n, d)
        law = gram_mp(n, d)
        a, b = law.support()
        x = np.linspace(a, b, 400)[1:-1]
        by, mu, sg = gram_edge(n, d)
        out["cases"].append({"n": n, "d": d, "ratio": n / d, "eigs": cd.gram_eigs.ravel() / d,
                             "abs_eigs": cd.abs_eigs.ravel() / d, "x": x, "pdf": law.pdf(x), "edges": (a, b),
                             "p_pooled": r["p_pooled"], "median_p": float(np.median(r["p"])),
                             "D_pooled": r["D_pooled"], "n_pooled": int(cd.gram_eigs.size), "D_pooled_abs": ra["D_pooled"],
                             "p_pooled_abs": ra["p_pooled"], "lambda_max": cd.gram_eigs[:, -1] / d,
                             "bai_yin": by / d, "tw_centre": mu / d, "tw_scale": sg / d})
    return out
