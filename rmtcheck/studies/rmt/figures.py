"""Figures of random-matrix coherence (data from :mod:`rmtcheck.studies.rmt.experiments`).

* ``rmt-coherence-histograms``: pure-noise coherence histograms with the leading and refined floors,
  Gram entries and norms against their laws, and the floors' relative error against :math:`d/n^2`.
* ``rmt-sigma-vs-snr``: :math:`\\sigma` versus SNR with 5–95% and 25–75% bands, for SNR set through
  :math:`\\|\\mu\\|` and through :math:`\\sigma_p` (projected noise) and for isotropic noise, with the
  prediction; markers where the one-sided Mann–Whitney test does *not* detect an increase.
* ``rmt-mp-fits``: pooled Gram spectra against Marchenko–Pastur, the spectrum of :math:`|G|` (not MP:
  Perron outlier), and :math:`\\lambda_{\\max}` against the Bai–Yin edge.

References
----------
.. [1] <<MP>>.
.. [2] <<CK>>, headline claim (b).
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck.plotting.registry import figure, save_figure, style

stats = lazy_module("scipy.stats")


@figure("rmt-coherence-histograms")
def coherence_histograms(out_dir, quick=False, seed=0):
    """Pure-noise coherence histograms against the leading and refined floors, Gram entries and norms against their laws.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.rmt.experiments.noise_histograms, rmtcheck.studies.rmt.experiments.floor_regimes

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability ...", ICLR [dexter2024], Def. 1 (coherence).
    """
    from rmtcheck.studies.rmt.experiments import floor_regimes, noise_histograms

    h = noise_histograms(instances=150 if quick else 1000, seed=seed)
    fr = floor_regimes(ns=(10, 30) if quick else (10, 30, 100), ratios=(0.3, 1, 3, 10) if quick else
                       (0.1, 0.3, 1, 3, 10, 30), instances=60 if quick else 200, seed=seed)
    data = {f"fr_{k}": np.asarray(v) for k, v in fr.items() if isinstance(v, np.ndarray)}
    with style() as plt:
        nc = len(h["cases"])
        fig, axes = plt.subplots(2, nc + 1, figsize=(3.2 * (nc + 1), 5.8))
        for j, c in enumerate(h["cases"]):
            ax = axes[0, j]
            ax.hist(c["sigma"], bins=40, density=True, alpha=0.6, label="sampled σ")
            ax.axvline(c["floor"], c="C1", ls="--", label="1+(n−1)√(2/πd)")
            ax.axvline(c["refined"], c="k", ls="-", lw=1, label="refined [derived]")
            ax.set_title(f"n={c['n']}, d={c['d']} (d/n²={c['d'] / c['n'] ** 2:.2g})", fontsize=8)
            ax.set_xlabel("coherence σ (pure noise)")
            if j == 0:
                ax.legend(fontsize=6)
            data[f"sigma_{j}"] = c["sigma"]
            data[f"floor_{j}"] = np.array([c["floor"], c["refined"]])
        c = h["cases"][-1]
        ax = axes[1, 0]
        ax.hist(c["offdiag_scaled"], bins=50, density=True, alpha=0.6, label="G_1k/√d")
        x = np.linspace(-4, 4, 200)
        ax.plot(x, stats.norm.pdf(x), label=f"N(0,1) (KS p={c['ks_offdiag_p']:.2g})")
        ax.set_title(f"inner products, n={c['n']}, d={c['d']}", fontsize=8)
        ax.legend(fontsize=6)
        ax = axes[1, 1]
        ax.hist(c["norms_scaled"], bins=50, density=True, alpha=0.6, label="‖g‖²/d")
        d = c["d"]
        x = np.linspace(c["norms_scaled"].min(), c["norms_scaled"].max(), 200)
        ax.plot(x, d * stats.chi2(d).pdf(d * x), label=f"χ²_d/d (KS p={c['ks_norms_p']:.2g})")
        ax.set_title("norm concentration", fontsize=8)
        ax.legend(fontsize=6)
        data["offdiag_scaled"] = c["offdiag_scaled"]
        data["norms_scaled"] = c["norms_scaled"]
        for k in range(2, nc):
            axes[1, k].axis("off")
        ax = axes[1, nc]
        for i, n in enumerate(np.unique(fr["n"])):
            sel = fr["n"] == n
            ax.plot(fr["d_over_n2"][sel], 100 * fr["rel_err_floor"][sel], "o--", c=f"C{i}", ms=3, label=f"leading, n={n}")
            ax.plot(fr["d_over_n2"][sel], 100 * fr["rel_err_refined"][sel], "s-", c=f"C{i}", ms=3, label=f"refined, n={n}")
        ax.axhspan(-100 * fr["tol"], 100 * fr["tol"], color="0.85", zorder=0)
        ax.set_xscale("log")
        ax.set_xlabel("d / n²")
        ax.set_ylabel("prediction / mean σ − 1 (%)")
        ax.set_title("where the floors hold (grey: ±2%)", fontsize=8)
        ax.legend(fontsize=5)
        ax = axes[0, nc]
        ax.plot(fr["d_over_n2"], fr["mean_sigma"] - 1, "o", ms=3, label="mean σ − 1")
        ax.axhline(0.1, c="k", lw=0.8, ls=":", label="near-orthogonal (σ−1 < 0.1)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("d / n²")
        ax.set_title("σ ≈ 1 only for d ≫ n²", fontsize=8)
        ax.legend(fontsize=6)
        fig.tight_layout()
        return save_figure(fig, out_dir, "rmt-coherence-histograms", data)


@figure("rmt-sigma-vs-snr")
def sigma_vs_snr_figure(out_dir, quick=False, seed=0):
    """Coherence sigma versus SNR (both SNR conventions, both noise models) with bands, the prediction and the Mann-Whitney verdicts.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.rmt.experiments.sigma_vs_snr : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claim (b).
    """
    from rmtcheck.studies.rmt.experiments import sigma_vs_snr

    r = sigma_vs_snr(n=30, d=400, snrs=np.geomspace(1e-2, 1.5, 8 if quick else 16),
                     instances=40 if quick else 200, seed=seed)
    data = {"snr": r["snr"]}
    with style() as plt:
        fig, axes = plt.subplots(1, len(r["curves"]), figsize=(3.4 * len(r["curves"]), 3.4), sharey=True)
        for j, (ax, c) in enumerate(zip(axes, r["curves"])):
            s = r["snr"]
            ax.fill_between(s, c["q"][0], c["q"][4], alpha=0.25, label="5–95%")
            ax.fill_between(s, c["q"][1], c["q"][3], alpha=0.45, label="25–75%")
            ax.plot(s, c["q"][2], "o-", ms=3, label="median")
            ax.plot(s, c["pred"], "k--", lw=1, label="prediction [derived]")
            ax.axhline(r["floor"], c="C3", ls=":", lw=1, label="noise floor (leading)")
            flat = np.flatnonzero(~c["increase"]) + 1
            ax.plot(s[flat], c["q"][2][flat], "x", c="C3", ms=6, label="no significant increase")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("SNR = ‖μ‖/(σ_p√d)")
            how = "‖μ‖ varied, σ_p fixed" if c["vary"] == "mu" else "σ_p varied, ‖μ‖ fixed"
            ax.set_title(f"{how}; {c['noise']} noise", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"coherence σ (n={r['n']}, d={r['d']})")
                ax.legend(fontsize=6)
            data[f"q_{j}"] = c["q"]
            data[f"pred_{j}"] = c["pred"]
            data[f"p_increase_{j}"] = c["p_increase"]
        fig.tight_layout()
        return save_figure(fig, out_dir, "rmt-sigma-vs-snr", data)


@figure("rmt-mp-fits")
def mp_fits_figure(out_dir, quick=False, seed=0):
    """Gram spectra against Marchenko-Pastur, the spectrum of |G| (a Perron outlier, not MP) and lambda_max against the Bai-Yin edge.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.rmt.experiments.mp_fits : the data.

    References
    ----------
    .. [1] Marčenko & Pastur (1967), "Distribution of Eigenvalues for Some Sets of Random Matrices",
       Math. USSR-Sbornik [marchenko1967].
    """
    from rmtcheck.studies.rmt.experiments import mp_fits

    r = mp_fits(instances=8 if quick else 60, seed=seed)
    data = {}
    with style() as plt:
        nc = len(r["cases"])
        fig, axes = plt.subplots(2, nc, figsize=(3.3 * nc, 5.8))
        for j, c in enumerate(r["cases"]):
            ax = axes[0, j]
            ax.hist(c["eigs"], bins=60, density=True, alpha=0.6, label="eig(ΞΞᵀ)/d, pooled")
            ax.plot(c["x"], c["pdf"], label="Marchenko–Pastur")
            ax.axvline(c["bai_yin"], c="k", ls="--", lw=0.8, label="Bai–Yin edge")
            ax.set_title(f"n={c['n']}, d={c['d']}, q={c['ratio']:.2f}; KS p={c['p_pooled']:.2g}", fontsize=8)
            if j == 0:
                ax.legend(fontsize=6)
            ax = axes[1, j]
            ax.hist(c["abs_eigs"], bins=80, density=True, alpha=0.6, color="C2", label="eig(|G|)/d")
            ax.plot(c["x"], c["pdf"], label="MP (does not apply)")
            ax.axvline(c["bai_yin"], c="k", ls="--", lw=0.8)
            ax.set_yscale("log")
            ax.set_title(f"|G|: KS p={c['p_pooled_abs']:.2g}; Perron root ≈ {np.median(c['abs_eigs'].reshape(-1, c['n'])[:, -1]):.2f}",
                         fontsize=8)
            ax.set_xlabel("eigenvalue / d")
            if j == 0:
                ax.legend(fontsize=6)
            data[f"eigs_{j}"], data[f"abs_eigs_{j}"] = c["eigs"], c["abs_eigs"]
            data[f"lambda_max_{j}"] = c["lambda_max"]
            data[f"edge_{j}"] = np.array([c["bai_yin"], c["tw_centre"], c["tw_scale"]])
        fig.tight_layout()
        return save_figure(fig, out_dir, "rmt-mp-fits", data)
