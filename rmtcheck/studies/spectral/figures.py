"""Figures of the spectral diagnostics and the SRAGU evaluation.

* ``spectral-layers``: per layer, the ESD histogram (log-log, equal-count bins) with the KS-fitted
  Marchenko–Pastur density and bulk edge, and the tail's empirical CCDF with the fitted power law and the
  bootstrap interval of its exponent.
* ``spectral-alpha-xmin``: the α-versus-:math:`x_{\\min}` curve (with its asymptotic 95 % band) and the KS
  distance for each layer, :math:`x_{\\min}` in units of the layer's fitted bulk edge.
* ``sragu-evaluation``: KL(gold‖u), disagreement, test accuracy and MIA AUC gap of every method and forget
  regime on scikit-learn's digits over 5 seeds with 95 % t-intervals (``rmtcheck sragu`` prints the table, also
  for ``--dataset mnist1d``).

The layers shown are a Gaussian matrix (random-like), a Student-t(ν = 1.2) matrix (very heavy tailed),
a Student-t(ν = 3) matrix, and the first layer of the digits MLP trained for the SRAGU evaluation.
Sub- and superscripts are mathtext scripts, one level deep (0.7 × a base of at least 7 pt, as
:func:`rmtcheck.plotting.printed.check_printed` allows); log axes label ticks outside
:math:`[10^{-3}, 10^4)` as matplotlib's mathtext powers of ten, and plain decimals inside.
Data: :mod:`rmtcheck.randmat.spectral` (ESD, MP and power-law fits) and
:func:`rmtcheck.studies.spectral.evaluation.run_evaluation`.

References
----------
.. [1] <<MaMa>>, Sec. 5.
.. [2] <<CSN>>, Sec. 3.
.. [3] <<MP>>.
.. [4] <<SR>>.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.threads import single_blas_thread
from rmtcheck.plotting.registry import figure, save_figure, style
from rmtcheck.randmat.marchenko_pastur import marchenko_pastur
from rmtcheck.randmat.powerlaw import fit_powerlaw
from rmtcheck.randmat.spectral import diagnose, esd, fit_mp

#: Display names of the example layers (mathtext), by key.
_NAMES = {"gaussian": "Gaussian", "student-t nu=1.2": r"Student-$t$, $\nu = 1.2$",
          "student-t nu=3": r"Student-$t$, $\nu = 3$", "digits MLP W1": r"digits MLP, $W_1$"}
#: (line style, marker) per layer: distinguishable in greyscale as well as in colour.
_STYLES = (("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"))


def _example_layers(quick, seed):
    from rmtcheck.studies.spectral import mlp as M
    from rmtcheck.studies.spectral.evaluation import load_dataset

    g = np.random.default_rng(seed)
    N, Mc = (400, 200) if quick else (1000, 500)
    layers = {"gaussian": g.standard_normal((N, Mc)), "student-t nu=1.2": g.standard_t(1.2, (N, Mc)),
              "student-t nu=3": g.standard_t(3.0, (N, Mc))}
    try:
        Xtr, ytr, _, _ = load_dataset("digits", seed)
        model = M.MLP((64, 128, 64, 10))
        params = M.train(model, Xtr, ytr, epochs=5 if quick else 30, lr=0.05, rng=seed)
        layers["digits MLP W1"] = params[0]
    except ValueError:  # scikit-learn missing
        pass
    return layers


def _log_ticks(axis, lo, hi):
    """Labelled ticks on a log axis: 1-2-5 steps within two decades, powers of ten beyond (never unlabelled)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogFormatterSciNotation, NullFormatter, NullLocator

    e0, e1 = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))

    def inside(subs, step=1):
        return [m * 10.0 ** e for e in range(e0, e1 + 1, step) for m in subs if lo <= m * 10.0 ** e <= hi]

    ticks = inside((1,))
    if len(ticks) > 5:  # many decades: every second one
        ticks = inside((1,), 2) if len(inside((1,), 2)) >= 3 else ticks
    for subs in ((1, 3), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        if len(ticks) < 3:
            ticks = inside(subs)
    if len(ticks) > 5:  # at most five labels in a panel
        ticks = ticks[::2]
    if len(ticks) < 2:  # less than one integer step in range: three rounded values inside it
        ticks = sorted({float(f"{v:.2g}") for v in np.geomspace(lo, hi, 5)[1:-1]})
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())

    # one notation per axis: plain decimals within [0.001, 10^4), else matplotlib's mathtext 10^k and m x 10^k
    # (every tick labelled: no thresholds that would blank the 1-2-5 ticks)
    if min(ticks) < 1e-3 or max(ticks) >= 1e4:
        axis.set_major_formatter(LogFormatterSciNotation(minor_thresholds=(np.inf, np.inf)))
    else:
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _equal_count_edges(x):
    """Histogram edges at quantiles of ``x``: every bin holds about the same number of eigenvalues.

    The edges are data values (``method="lower"``), so every half-open bin holds at least its left edge: none is
    empty, ties included.
    """
    nb = int(np.clip(round(1.2 * np.sqrt(x.size)), 6, 30))
    return np.unique(np.quantile(x, np.linspace(0.0, 1.0, nb + 1), method="lower"))


@figure("spectral-layers")
def spectral_layers(out_dir, quick=False, seed=0):
    r"""Layer spectra against the Marchenko–Pastur law and a power-law tail, for three random matrices and a trained layer.
    Columns: Gaussian and Student-$t$ ($\nu = 1.2$, infinite variance; $\nu = 3$) $1000\times500$ matrices, and the
    first weight matrix ($128\times64$) of the digits MLP of the SRAGU evaluation. Top: ESD of $W^\top W/N$
    (equal-count bins), the Marchenko–Pastur law whose variance minimises the KS distance to
    the ESD (solid; distance in the title) and its bulk edge $\lambda_+$ (dashed). The Gaussian, the $\nu = 3$
    bulk and the trained layer follow it; the $\nu = 1.2$ ESD is not Marchenko–Pastur at any scale, so even the
    best fit misses it: the heavy-tail signature. Bottom: tail CCDF above $x_{\min}$ (dots), fitted power law
    (dashed), $\hat\alpha$ with its 95 % bootstrap interval (200 resamples); for the Gaussian the "tail" is the
    soft bulk edge.

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
    rmtcheck.randmat.spectral.diagnose : the fits.

    References
    ----------
    .. [1] Martin & Mahoney (2021), "Implicit Self-Regularization in Deep Neural Networks", JMLR [martin2021], Sec. 5.
    .. [2] Marčenko & Pastur (1967), "Distribution of Eigenvalues for Some Sets of Random Matrices",
       Math. USSR-Sbornik [marchenko1967].
    """
    with single_blas_thread():  # small GEMMs and eigenproblems: one BLAS thread is faster (rmtcheck._lib.threads)
        layers = _example_layers(quick, seed)
        res = [diagnose(W, name=k, bootstrap=0 if quick else 200, rng=seed) for k, W in layers.items()]
    data = {}
    with style() as plt:
        fig, axes = plt.subplots(2, len(res), figsize=(6.5, 4.4))  # full width (plotting.printed.figure_size)
        for j, r in enumerate(res):
            N = max(r.shape[0], int(np.prod(r.shape[1:])))
            ev = r.eigenvalues[r.eigenvalues > 0] / N  # units of W^T W / N, those of the MP fit
            ax = axes[0, j]
            ax.hist(ev, bins=_equal_count_edges(ev), density=True, color="C0", alpha=0.55, label=r"ESD of $W^{\mathsf{T}}W/N$")
            d = marchenko_pastur(r.mp.ratio, r.mp.scale)
            x = np.geomspace(*d.support(), 300)[1:-1]
            ax.plot(x, d.pdf(x), c="C1", label=r"Marchenko–Pastur, KS-fitted $s^2$")
            ax.axvline(r.mp.edge / N, ls="--", c="k", lw=0.8, label=r"bulk edge $\lambda_+$")
            ax.set_xscale("log")
            ax.set_yscale("log")
            lo, hi = min(ev.min(), x[0]), max(ev.max(), r.mp.edge / N)
            ax.set_xlim(lo / 1.15, hi * 1.15)
            _log_ticks(ax.xaxis, lo / 1.15, hi * 1.15)
            _log_ticks(ax.yaxis, *ax.get_ylim())
            ax.set_title(f"{_NAMES.get(r.name, r.name)}\n" + f"KS distance to MP {r.mp.ks_distance:.2f}")
            ax.set_xlabel(r"eigenvalue $\lambda$")  # of W^T W / N (legend); narrower than a column
            if j == 0:
                ax.set_ylabel(r"density $p(\lambda)$")
            ax = axes[1, j]
            tail = np.sort(ev[ev >= r.powerlaw.xmin / N])
            ccdf = 1 - np.arange(tail.size) / tail.size
            ax.loglog(tail, ccdf, "o", ms=2.5, c="C0", label=r"tail CCDF ($\lambda \geq x_{\min}$)")
            ax.loglog(tail, (tail / tail[0]) ** (1 - r.alpha), c="C3", ls="--", label="fitted power law")
            lo_ci, hi_ci = r.powerlaw.ci
            ci = "" if not np.isfinite(lo_ci) else f"\n[{lo_ci:.2f}, {hi_ci:.2f}]"
            ax.text(0.04, 0.04, rf"$\hat\alpha = {r.alpha:.2f}$" + ci, transform=ax.transAxes, va="bottom", ha="left")
            ax.set_xlim(tail[0] / 1.1, tail[-1] * 1.1)
            _log_ticks(ax.xaxis, tail[0] / 1.1, tail[-1] * 1.1)
            _log_ticks(ax.yaxis, *ax.get_ylim())
            ax.set_xlabel(r"eigenvalue $\lambda$")
            if j == 0:
                ax.set_ylabel(r"$P(\Lambda \geq \lambda \mid$ tail$)$")
            data[f"evals_{j}"] = ev
            data[f"alpha_{j}"] = np.array(r.alpha)
            data[f"alpha_ci_{j}"] = np.array(r.powerlaw.ci)
            data[f"xmin_{j}"] = np.array(r.powerlaw.xmin / N)
            data[f"mp_scale_{j}"] = np.array(r.mp.scale)
            data[f"mp_edge_{j}"] = np.array(r.mp.edge / N)
            data[f"mp_ks_{j}"] = np.array(r.mp.ks_distance)
        h0, l0 = axes[0, 0].get_legend_handles_labels()
        h1, l1 = axes[1, 0].get_legend_handles_labels()
        fig.legend(h0 + h1, l0 + l1, loc="outside lower center", ncol=3)
        return save_figure(fig, out_dir, "spectral-layers", data)


@figure("spectral-alpha-xmin")
def spectral_alpha_xmin(out_dir, quick=False, seed=0):
    r"""Power-law exponent $\hat\alpha$ and KS distance $D$ against the tail threshold $x_{\min}$ for the layers of the layer-spectra figure.
    Every candidate $x_{\min}$ is scanned, in units of the layer's fitted Marchenko–Pastur bulk edge $\lambda_+$
    (dotted at 1); the marker is the chosen $x_{\min}$, the KS minimiser (Clauset–Shalizi–Newman, WeightWatcher's
    estimator). Left: $\hat\alpha(x_{\min})$ with a 95 % band of $\pm1.96$ asymptotic standard errors
    $(\hat\alpha - 1)/\sqrt{n_{\rm tail}}$, axis cut at 100. Right: $D(x_{\min})$. Colour, line style and marker
    identify the layer. The Gaussian (no power-law tail) and the trained layer have their minimisers just inside
    the soft bulk edge, where the top eigenvalues mimic a steep power law ($\hat\alpha \approx 8$–10): those fits
    describe the edge, not a tail. The Student-$t$ $\nu = 1.2$ curve is flat over two decades: a genuine power
    law.

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
    rmtcheck.randmat.powerlaw.fit_powerlaw : the fit.

    References
    ----------
    .. [1] Clauset, Shalizi & Newman (2009), "Power-Law Distributions in Empirical Data" [clauset2009], Sec. 3.3.
    """
    data = {}
    with single_blas_thread(), style() as plt:
        layers = _example_layers(quick, seed)
        fig, axes = plt.subplots(1, 2, figsize=(6.5, 2.9))  # full width (plotting.printed.figure_size)
        lo, hi = np.inf, 0.0
        for j, (k, W) in enumerate(layers.items()):
            ev = esd(W)
            N, Mc = max(W.shape), min(W.shape)
            edge = fit_mp(ev, N, Mc).edge
            f = fit_powerlaw(ev, scan="full")  # WeightWatcher's estimator; the whole KS curve is drawn
            ok = np.isfinite(f.ks_curve) & np.isfinite(f.alphas)
            x, a, D = f.xmins[ok] / edge, f.alphas[ok], f.ks_curve[ok]
            se = 1.96 * (a - 1) / np.sqrt(f.n_tails[ok])
            ls, mk = _STYLES[j % len(_STYLES)]
            c = f"C{j}"
            axes[0].fill_between(x, np.maximum(a - se, 1.0), a + se, color=c, alpha=0.18, lw=0)
            axes[0].plot(x, a, ls=ls, c=c, lw=1.1, label=_NAMES.get(k, k))
            axes[0].plot(f.xmin / edge, f.alpha, mk, c=c, ms=5, mec="k", mew=0.5)
            axes[1].plot(x, D, ls=ls, c=c, lw=1.1)
            axes[1].plot(f.xmin / edge, f.ks_distance, mk, c=c, ms=5, mec="k", mew=0.5)
            lo, hi = min(lo, x.min()), max(hi, x.max())
            data[f"xmin_over_edge_{j}"], data[f"alphas_{j}"], data[f"ks_{j}"] = x, a, D
            data[f"n_tail_{j}"], data[f"mp_edge_{j}"] = f.n_tails[ok], np.array(edge)
            data[f"chosen_{j}"] = np.array([f.xmin / edge, f.alpha, f.ks_distance])
        for ax in axes:
            ax.set_xscale("log")
            ax.set_xlim(lo / 1.3, hi * 1.3)
            _log_ticks(ax.xaxis, lo / 1.3, hi * 1.3)
            ax.axvline(1.0, c="0.4", ls=":", lw=0.8)
            ax.set_xlabel(r"tail threshold $x_{\min}/\lambda_+$")
        axes[0].set_yscale("log")
        axes[0].set_ylim(1.0, 100.0)
        _log_ticks(axes[0].yaxis, 1.0, 100.0)
        axes[0].set_ylabel(r"exponent $\hat\alpha(x_{\min})$")
        axes[1].set_ylabel(r"KS distance $D(x_{\min})$")
        axes[1].set_ylim(bottom=0)
        from matplotlib.lines import Line2D

        handles, labels = axes[0].get_legend_handles_labels()
        handles = [Line2D([], [], ls=_STYLES[j][0], marker=_STYLES[j][1], c=f"C{j}", mec="k", mew=0.5, lw=1.1)
                   for j in range(len(handles))]
        handles.append(Line2D([], [], ls=":", c="0.4", lw=0.8))
        labels.append(r"bulk edge $\lambda_+$ (marker: chosen $x_{\min}$)")
        fig.legend(handles, labels, loc="outside lower center", ncol=3)
        return save_figure(fig, out_dir, "spectral-alpha-xmin", data)


#: Method names in words, colours (distinct hues) and hatches (greyscale), in the order of ``evaluation.METHODS``.
_METHOD_LOOK = {
    "none": ("no unlearning", "#BBBBBB", ""), "gradient_ascent": ("gradient ascent", "#F0E442", "...."),
    "descent_ascent": ("descent–ascent", "#CC79A7", "xxxx"), "finetune": ("fine-tuning on the retain set", "#009E73", "\\\\\\\\"),
    "agu": ("AGU", "#E69F00", "////"), "sragu": ("SRAGU", "#0072B2", ""),
}
#: Panels of the SRAGU figure: (record key, y label).
_SRAGU_METRICS = (("kl_gold_unlearned", "KL(gold ‖ unlearned)"), ("disagreement", "disagreement with gold"),
                  ("test_acc", "test accuracy"), ("mia_gap", "|MIA AUC − gold's MIA AUC|"))


def _draw_sragu(plt, runs, n_seeds):
    """The figure of :func:`sragu_evaluation` from the runs of :func:`~rmtcheck.studies.spectral.seeds.run_seeds`."""
    from matplotlib.patches import Patch

    from rmtcheck._lib.statistics import t_interval
    from rmtcheck.studies.spectral.evaluation import METHODS, REGIMES
    from rmtcheck.studies.spectral.seeds import paired_verdict, seed_table

    table = {(r["regime"], r["method"]): r for r in seed_table(runs, [k for k, _ in _SRAGU_METRICS])}
    verdicts = paired_verdict(runs)
    data = {"alphas": np.array([r["alphas"] for r in runs]), "nu": np.array([r["nu"] for r in runs])}
    fig, axes = plt.subplots(1, len(_SRAGU_METRICS), figsize=(6.5, 3.0))  # full width (plotting.printed.figure_size)
    w = 0.8 / len(METHODS)
    x = np.arange(len(REGIMES))
    for ax, (key, label) in zip(axes, _SRAGU_METRICS):
        for mi, m in enumerate(METHODS):
            mean, lo, hi = (np.array([table[(g, m)][key][i] for g in REGIMES]) for i in range(3))
            top = 1.0 if key in ("disagreement", "test_acc") else np.inf  # intervals drawn within the metric's range
            dlo, dhi = mean - np.clip(lo, 0.0, top), np.clip(hi, 0.0, top) - mean
            name, colour, hatch = _METHOD_LOOK[m]
            ax.bar(x + (mi - len(METHODS) / 2 + 0.5) * w, mean, w, yerr=np.vstack([dlo, dhi]), color=colour,
                   hatch=hatch, edgecolor="k", linewidth=0.4, label=name,
                   error_kw={"elinewidth": 0.6, "capsize": 1, "ecolor": "k"})
            data[f"{key}_{m}"], data[f"{key}_{m}_low"], data[f"{key}_{m}_high"] = mean, lo, hi
        if key == "test_acc":  # the gold model's own test accuracy: line at the mean, band = its t-interval
            for gi, g in enumerate(REGIMES):
                gm, glo, ghi = t_interval(np.array([r["gold"][g]["test_acc"] for r in runs]), 0.95)
                ax.fill_between([gi - 0.45, gi + 0.45], min(glo, 1.0), min(ghi, 1.0), color="0.5", alpha=0.5, lw=0,
                                zorder=3)
                ax.plot([gi - 0.45, gi + 0.45], [gm, gm], c="k", ls="--", lw=0.9, zorder=4)
                data[f"gold_test_acc_{g}"] = np.array([gm, glo, ghi])
            ax.set_ylim(0.0, 1.0)
        if key == "kl_gold_unlearned":
            from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

            ax.set_yscale("symlog", linthresh=0.1)
            ax.set_ylim(bottom=0)
            top = ax.get_ylim()[1]
            ax.yaxis.set_major_locator(FixedLocator([v for v in (0, 0.1, 0.3, 1, 3, 10, 30, 100) if v <= top]))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0 to 100: plain decimals read best
        ax.set_xticks(x, REGIMES)
        ax.set_xlabel("forget set")
        ax.set_ylabel(label)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append((Patch(color="0.5", alpha=0.5, lw=0), plt.Line2D([], [], c="k", ls="--", lw=0.9)))
    labels.append("retrained from scratch (gold)")
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    fig.suptitle(f"digits, MLP {'–'.join(str(v) for v in runs[0]['sizes'])}, {n_seeds} seeds: means and 95 % "
                 "t-intervals\nSRAGU vs AGU, paired KL difference: "
                 + "; ".join(f"{g}: {verdicts[g]['verdict']}" for g in REGIMES))
    for g in REGIMES:
        v = verdicts[g]
        data[f"verdict_{g}_difference"] = np.array([v["mean_difference"], *v["interval"], v["p_value"]])
    return fig, data


@figure("sragu-evaluation")
def sragu_evaluation(out_dir, quick=False, seed=0):
    r"""SRAGU against AGU and baselines on scikit-learn's digits, judged against the model retrained from scratch, over 5 seeds.
    An MLP (64–128–64–10) trained on digits forgets a random 10 % of its training set, one whole class, or the
    10 % of largest gradient norm by each method (bar colour and hatch). Panels:
    $\mathrm{KL}(p^\star\,\|\,p)$ from the retrained (gold) predictions $p^\star$ to the unlearned ones $p$ on the
    forget set (symmetric-log axis, linear below 0.1), top-1 disagreement with gold, test accuracy (gold: dashed
    line), and the gap between the membership-inference AUC and gold's; gold scores 0 on panels 1, 2 and 4.
    Bars: means over 5 seeds; black whiskers and grey bands: 95 % Student-$t$ intervals, drawn within each
    metric's range. Title: the paired verdict from the 95 % $t$-interval of the per-seed KL difference SRAGU − AGU.

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
    rmtcheck.studies.spectral.evaluation.run_evaluation : the data.

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026].
    .. [2] AGU authors (2025), "Adaptive Gradient Unlearning", Intell. Syst. Appl. [agu2025].
    """
    from rmtcheck.studies.spectral.seeds import MIN_SEEDS, run_seeds

    kw = dict(hidden=(32,), epochs=8, max_passes=5) if quick else {}
    runs = run_seeds(MIN_SEEDS, seed, **kw)
    with style() as plt:
        fig, data = _draw_sragu(plt, runs, MIN_SEEDS)
        return save_figure(fig, out_dir, "sragu-evaluation", data)
