"""Figures of random-matrix coherence (data from :mod:`rmtcheck.studies.rmt.experiments`).

* ``rmt-coherence-histograms``: pure-noise coherence histograms with the leading and refined floors,
  Gram entries and norms against their laws, mean :math:`\\sigma - 1` and the floors' relative error
  against :math:`d/n^2` (95 % t-intervals).
* ``rmt-sigma-vs-snr``: :math:`\\sigma` versus SNR for SNR set through :math:`\\|\\mu\\|` and through
  :math:`\\sigma_p` (projected noise) and for isotropic noise in one panel, with the prediction, and the
  ratio to the prediction (median with its 95 % interval, 5–95 % of the draws); open markers where the
  one-sided Mann–Whitney test does *not* detect an increase.
* ``rmt-mp-fits``: pooled Gram spectra against Marchenko–Pastur with the sampled :math:`\\lambda_{\\max}` and
  the Bai–Yin edge, and the spectrum of :math:`|G|` (not MP: Perron outlier).

Every figure is designed at the paper's full text width (6.5 in) and printed at scale 1.

References
----------
.. [1] <<MP>>.
.. [2] <<CK>>, headline claim (b).
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck.plotting.registry import figure, record_params, save_figure, style

stats = lazy_module("scipy.stats")

_FULL = 6.5  # the paper's full text width in inches (rmtcheck.plotting.printed.FULL_WIDTH)
# Radicals use the text-size sign (r"$√d$", as in running text, not a script): mathtext's \sqrt draws its sign
# in a font scaled to the radicand (4.0-5.2 pt under 7-8 pt text), which the print check reads as small text.
_HIST = dict(density=True, color="C0", alpha=0.55, edgecolor="none")


def _p_text(p: float) -> str:
    """A p-value as printed: ``p > 0.99`` rather than a rounded ``p = 1``, ``p < 1e-300`` for underflow."""
    if p > 0.99:
        return r"$p > 0.99$"
    if p <= 0:
        return r"$p < 10^{-300}$"
    if p >= 1e-3:
        return rf"$p = {p:.2g}$"
    e = int(np.floor(np.log10(p)))
    return rf"$p = {p / 10.0 ** e:.1f} \times 10^{{{e}}}$"


def _plain_log(axis, ticks=None):
    """Log-scale ``axis`` (``ax.xaxis`` or ``ax.yaxis``) labelled with plain decimals (``0.01``, ``1``, ``20``).

    Every log axis of these figures spans about 0.004 to 30, where ``0.1`` reads more easily than
    :math:`10^{-1}`. ``ticks`` fixes the labelled values (for a range of about one decade, where the default
    would label no or one major tick)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    if ticks is not None:
        axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _t_half(sd, m, level=0.95):
    """Half width of the t-interval of a mean of ``m`` draws with standard deviation ``sd``."""
    return stats.t.ppf(0.5 + level / 2, m - 1) * np.asarray(sd) / np.sqrt(m)


@figure("rmt-coherence-histograms")
def coherence_histograms(out_dir, quick=False, seed=0):
    r"""Pure-noise coherence: sampled $\sigma$ against the two noise floors, and where each floor holds. Top, first three panels: histograms of $\sigma$ over isotropic Gaussian families ($g_i \sim N(0, I_d)$, sizes in the titles) with the leading floor $1+(n-1)\sqrt{2/(\pi d)}$ (dashed) and the refined floor (solid). Top right: mean $\sigma - 1$ against $d/n^2$ (colour and marker: $n$; the same colours in the bottom right); dotted: $\sigma - 1 = 0.1$. Bottom: Gram entries $G_{ik}/\sqrt d$ against $N(0,1)$ and norms $\|g_i\|^2/d$ against $\chi^2_d/d$ (largest family; KS p-values of 5000 values); right: relative error of each floor against the simulated mean $\sigma$ (open circles, dashed: leading; squares, solid: refined; grey band: $\pm 2$ %). Error bars: 95 % t-intervals over the draws.

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

    inst, finst = (150, 60) if quick else (300, 150)
    ns, ratios = ((10, 30), (0.3, 1, 3, 10)) if quick else ((10, 30, 100), (0.1, 0.3, 1, 3, 10, 30))
    record_params(instances=inst, floor_instances=finst, floor_ns=list(ns), floor_ratios=list(ratios))
    h = noise_histograms(instances=inst, seed=seed)
    fr = floor_regimes(ns=ns, ratios=ratios, instances=finst, seed=seed)
    data = {f"fr_{k}": np.asarray(v) for k, v in fr.items() if isinstance(v, np.ndarray)}
    half = _t_half(fr["sd_sigma"], fr["instances"])
    with style() as plt:
        fig = plt.figure(figsize=(_FULL, 4.3))
        top, bottom = fig.subfigures(2, 1, height_ratios=(1.1, 1))  # rows of 4 and 3 panels, each laid out alone
        axd = dict(zip(("h0", "h1", "h2", "ms"), top.subplots(1, 4)))
        axd.update(zip(("ip", "nm", "re"), bottom.subplots(1, 3)))
        for j, c in enumerate(h["cases"]):
            ax = axd[f"h{j}"]
            ax.hist(c["sigma"], bins=30, label=rf"sampled $\sigma$ ({c['sigma'].size} draws)", **_HIST)
            ax.axvline(c["floor"], c="C1", ls="--", label=r"leading floor $1+(n-1)√(2/(\pi d))$")
            ax.axvline(c["refined"], c="k", ls="-", lw=1.1, label="refined floor [derived]")
            ax.set_title(rf"$n={c['n']}$, $d={c['d']}$" "\n" rf"($d/n^2={c['d'] / c['n'] ** 2:.2g}$)", fontsize=7)
            ax.set_xlabel(r"coherence $\sigma$")
            ax.set_ylabel("density")
            data[f"sigma_{j}"] = c["sigma"]
            data[f"floor_{j}"] = np.array([c["floor"], c["refined"]])
        ax = axd["ms"]
        for i, n in enumerate(np.unique(fr["n"])):
            sel = fr["n"] == n
            ax.errorbar(fr["d_over_n2"][sel], fr["mean_sigma"][sel] - 1, yerr=half[sel], fmt="D^v"[i % 3], c=f"C{i}",
                        ms=3.5, label=f"$n={n}$")
        ax.axhline(0.1, c="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log(ax.xaxis)
        _plain_log(ax.yaxis, (0.1, 0.3, 1, 3))
        ax.set_xlabel(r"$d/n^2$")
        ax.set_ylabel(r"mean $\sigma - 1$")
        ax.set_title("noise nearly orthogonal\n" r"only for $d \gg n^2$", fontsize=7)
        ax.legend(loc="upper right", handletextpad=0.2, borderaxespad=0.2)
        c = h["cases"][-1]
        ax = axd["ip"]
        ax.hist(c["offdiag_scaled"], bins=50, **_HIST)
        x = np.linspace(-4.5, 4.5, 200)
        ax.plot(x, stats.norm.pdf(x), c="C1", label="$N(0,1)$")
        ax.set_title(rf"entries, $n={c['n']}$, $d={c['d']}$; KS {_p_text(c['ks_offdiag_p'])}",
                     fontsize=7)
        ax.set_xlabel(r"$G_{ik}/√d$ ($i \neq k$)")
        ax.set_ylabel("density")
        ax.legend(loc="upper left")
        ax = axd["nm"]
        ax.hist(c["norms_scaled"], bins=50, **_HIST)
        d = c["d"]
        x = np.linspace(c["norms_scaled"].min(), c["norms_scaled"].max(), 200)
        ax.plot(x, d * stats.chi2(d).pdf(d * x), c="C1", label=r"$\chi^2(d)/d$")
        ax.set_title(rf"norms; KS {_p_text(c['ks_norms_p'])}", fontsize=7)
        ax.set_xlabel(r"$\|g_i\|^2/d$")
        ax.set_ylabel("density")
        ax.legend(loc="upper left")
        data["offdiag_scaled"] = c["offdiag_scaled"]
        data["norms_scaled"] = c["norms_scaled"]
        ax = axd["re"]
        for i, n in enumerate(np.unique(fr["n"])):
            sel = fr["n"] == n
            m, x = fr["mean_sigma"][sel], fr["d_over_n2"][sel]
            for key, ls, mk, face in (("floor", "--", "o", "none"), ("refined", "-", "s", f"C{i}")):
                y = 100 * (fr[key][sel] / m - 1)
                lo = 100 * (fr[key][sel] / (m + half[sel]) - 1)
                hi = 100 * (fr[key][sel] / (m - half[sel]) - 1)
                ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt=mk, ls=ls, c=f"C{i}", mfc=face, ms=3.5, lw=1)
        ax.axhspan(-100 * fr["tol"], 100 * fr["tol"], color="0.85", zorder=0)
        ax.set_xscale("log")
        _plain_log(ax.xaxis)
        ax.set_xlabel(r"$d/n^2$")
        ax.set_ylabel(r"floor / mean $\sigma$ $-$ 1 (%)")
        ax.set_title("where the floors hold", fontsize=7)
        ax.plot([], [], "o--", c="0.3", mfc="none", ms=3.5, label="leading")
        ax.plot([], [], "s-", c="0.3", ms=3.5, label="refined")
        ax.legend(loc="upper right")
        h0, l0 = axd["h0"].get_legend_handles_labels()
        top.legend(h0, l0, loc="outside upper center", ncol=3)
        return save_figure(fig, out_dir, "rmt-coherence-histograms", data)


_CONV = {("mu", "projected"): (r"$\|\mu\|$ varied, $\sigma_p$ fixed; projected noise", "C0", "o", "-"),
         ("sigma", "projected"): (r"$\sigma_p$ varied, $\|\mu\|$ fixed; projected noise", "C1", "s", "--"),
         ("mu", "isotropic"): (r"$\|\mu\|$ varied, $\sigma_p$ fixed; isotropic noise", "C2", "^", ":")}


@figure("rmt-sigma-vs-snr")
def sigma_vs_snr_figure(out_dir, quick=False, seed=0):
    r"""Coherence $\sigma$ rises with the SNR $\|\mu\|/(\sigma_p\sqrt d)$ only once the signal beats the noise floor, however the SNR is set. Signal-plus-noise patch families, $n = 30$, $d = 400$, 200 draws per point; colour, marker and line style: SNR set through $\|\mu\|$ or $\sigma_p$ with projected noise, or through $\|\mu\|$ with isotropic noise. Left: median $\sigma$ with the prediction [derived] (thin black: projected noise; thick grey: isotropic) and the leading (dash-dotted) and refined (dotted) pure-noise floors. Right: $\sigma$ / prediction: median with its 95 % order-statistic interval (thick bars) and 5–95 % of the draws (thin bars), offset horizontally. Open markers: no significant increase over the next smaller SNR (one-sided Mann–Whitney, level $10^{-3}$; the smallest SNR is untested).

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

    k, inst = (8, 40) if quick else (10, 200)
    record_params(n=30, d=400, snrs=k, instances=inst)
    r = sigma_vs_snr(n=30, d=400, snrs=np.geomspace(1e-2, 1.5, k), instances=inst, seed=seed)
    s = r["snr"]
    step = np.exp(np.diff(np.log(s)).mean())
    data = {"snr": s, "floors": np.array([r["floor"], r["refined"]])}
    with style() as plt:
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(_FULL, 2.9))
        for j, c in enumerate(r["curves"]):
            label, col, mk, ls = _CONV[(c["vary"], c["noise"])]
            tested = np.r_[False, c["increase"]]
            med = c["q"][2]
            for sel, face in ((tested, col), (~tested, "white")):
                ax.plot(s[sel], med[sel], mk, c=col, mfc=face, ms=4, ls="none", zorder=3)
            ax.plot(s, med, ls=ls, c=col, lw=1)
            ax.plot([], [], ls=ls, c=col, lw=1, marker=mk, ms=4, label=label)
            pred_style = dict(c="0.5", lw=2.2, alpha=0.6) if c["noise"] == "isotropic" else dict(c="k", lw=0.8)
            ax.plot(s, c["pred"], zorder=4, **pred_style)
            xo = s * step ** (0.18 * (j - 1))
            rel_q, rel_ci = c["q"] / c["pred"], c["median_ci"] / c["pred"]
            bx.vlines(xo, rel_q[0], rel_q[4], color=col, lw=0.7)
            bx.vlines(xo, rel_ci[0], rel_ci[1], color=col, lw=2.6)
            for sel, face in ((tested, col), (~tested, "white")):
                bx.plot(xo[sel], rel_q[2][sel], mk, c=col, mfc=face, ms=3.5, ls="none", zorder=3)
            data[f"q_{j}"], data[f"median_ci_{j}"] = c["q"], c["median_ci"]
            data[f"pred_{j}"], data[f"p_increase_{j}"] = c["pred"], c["p_increase"]
        ax.plot([], [], c="k", lw=0.8, label="prediction (projected)")
        ax.plot([], [], c="0.5", lw=2.2, alpha=0.6, label="prediction (isotropic)")
        ax.axhline(r["floor"], c="C3", ls="-.", lw=0.9, label="leading noise floor")
        ax.axhline(r["refined"], c="C4", ls=":", lw=1.2, label="refined noise floor")
        ax.plot([], [], "o", c="0.3", mfc="white", ms=4, ls="none", label="no significant increase")
        ax.plot([], [], c="0.3", lw=2.6, label="right: median, 95 % interval")
        ax.plot([], [], c="0.3", lw=0.7, label="right: 5–95 % of the draws")
        bx.axhline(1, c="k", lw=0.8)
        for a in (ax, bx):
            a.set_xscale("log")
            _plain_log(a.xaxis)
            a.set_xlabel(r"SNR $= \|\mu\|/(\sigma_p√d)$")
        ax.set_yscale("log")
        _plain_log(ax.yaxis, (2, 3, 5, 10, 20))
        ax.set_ylabel(r"median coherence $\sigma$")
        bx.set_ylabel(r"$\sigma$ / prediction")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3)
        return save_figure(fig, out_dir, "rmt-sigma-vs-snr", data)


@figure("rmt-mp-fits")
def mp_fits_figure(out_dir, quick=False, seed=0):
    r"""Gram spectra of pure noise follow Marchenko–Pastur; the spectrum of $|G|$ does not (a Perron outlier). Isotropic Gaussian families, $n = 100$ vectors in $d = 400$, $200$, $110$ ($q = n/d$), 30 draws each. Top: eigenvalues of $G/d$ pooled over the draws against the Marchenko–Pastur density (solid), the Bai–Yin edge $(1+\sqrt q)^2$ (dashed) and each draw's $\lambda_{\max}/d$ (ticks at the top); titles: pooled KS statistic $D$ over $N$ eigenvalues and its p-value, above 0.99 because eigenvalues repel, so the pooled sample is more regular than an independent one. Bottom, log scale: eigenvalues of the entrywise absolute value $|G|/d$ against the same density (KS p-values in the titles) and the mean-field Perron root $1+(n-1)\sqrt{2/(\pi d)}$ (dotted).

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
    from rmtcheck.randmat.coherence_predictions import noise_floor
    from rmtcheck.studies.rmt.experiments import mp_fits

    inst = 8 if quick else 30
    record_params(instances=inst)
    r = mp_fits(instances=inst, seed=seed)
    data = {}
    with style() as plt:
        nc = len(r["cases"])
        fig, axes = plt.subplots(2, nc, figsize=(_FULL, 4.4))
        for j, c in enumerate(r["cases"]):
            ax = axes[0, j]
            ax.hist(c["eigs"], bins=50, label=r"eigenvalues of $G/d$, pooled", **_HIST)
            ax.plot(c["x"], c["pdf"], c="C1", label="Marchenko–Pastur density")
            ax.axvline(c["bai_yin"], c="k", ls="--", lw=0.9, label=r"Bai–Yin edge $(1+√q)^2$")
            ax.plot(c["lambda_max"], np.full(c["lambda_max"].size, 0.97), "|", c="C3", ms=6, mew=0.8,
                    transform=ax.get_xaxis_transform(), label=r"sampled $\lambda_{\max}/d$ (one per draw)")
            ax.set_title(rf"$n={c['n']}$, $d={c['d']}$, $q={c['ratio']:.2f}$" "\n"
                         rf"KS $D={c['D_pooled']:.4f}$, $N={c['n_pooled']}$, {_p_text(c['p_pooled'])}", fontsize=7)
            ax.set_xlabel(r"eigenvalue of $G/d$")
            ax.set_ylabel("density")
            ax = axes[1, j]
            ax.hist(c["abs_eigs"], bins=80, log=True, label=r"eigenvalues of $|G|/d$, pooled",
                    **{**_HIST, "color": "C2"})
            ax.plot(c["x"], c["pdf"], c="C1")
            ax.axvline(c["bai_yin"], c="k", ls="--", lw=0.9)
            perron = noise_floor(c["n"], c["d"])
            ax.axvline(perron, c="k", ls=":", lw=1.1, zorder=0, label=r"mean-field Perron root $1+(n-1)√(2/(\pi d))$")
            ax.set_title(rf"$|G|$ against MP: KS {_p_text(c['p_pooled_abs'])}", fontsize=7)
            ax.set_xlabel(r"eigenvalue of $|G|/d$")
            ax.set_ylabel("density (log scale)")
            _plain_log(ax.yaxis)
            data[f"eigs_{j}"], data[f"abs_eigs_{j}"] = c["eigs"], c["abs_eigs"]
            data[f"lambda_max_{j}"] = c["lambda_max"]
            data[f"edge_{j}"] = np.array([c["bai_yin"], c["tw_centre"], c["tw_scale"]])
            data[f"ks_{j}"] = np.array([c["D_pooled"], c["n_pooled"], c["p_pooled"], c["D_pooled_abs"],
                                        c["p_pooled_abs"], perron])
        h, lab = axes[0, 0].get_legend_handles_labels()
        h2, lab2 = axes[1, 0].get_legend_handles_labels()
        fig.legend(h + h2, lab + lab2, loc="outside lower center", ncol=3)
        return save_figure(fig, out_dir, "rmt-mp-fits", data)
