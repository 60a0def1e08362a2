"""Figures of Chang & Khanna (2026), "Why Some Models Resist Unlearning": escape (unlearning succeeds)
vs resistance heatmaps with the exact mean-square (:math:`\\rho(T) = 1`) and Lyapunov (exponent 0) boundaries,
and the rotation of the forget curvature. Data come from :mod:`rmtcheck.studies.chang_khanna.experiments`.

* ``unlearning-hessian-test`` (:func:`fig_hessian_test`), ``unlearning-batch-alpha``
  (:func:`fig_batch_alpha`), ``unlearning-alignment`` (:func:`fig_alignment`).

Every Monte Carlo estimate is drawn with its uncertainty: escape fractions are classed by their Wilson 95 %
interval (:func:`wilson_interval`) against one half, Lyapunov exponents carry 95 % t-intervals over runs.

References
----------
.. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
   Perspective", arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.statistics import wilson_interval
from rmtcheck.plotting.registry import figure, save_figure, style

#: The Hessian-test figure's grid: every batch size and coherence up to 10, then log-spaced (log axes).
FIG_B = np.unique(np.round(np.geomspace(1, 49, 26)).astype(int))
FIG_SIGMA = np.unique(np.round(np.geomspace(1, 50, 26)).astype(int))


def _halo(artists, width=2.6):
    """A white outline under lines and markers, so they read on every cell of a colour map."""
    import matplotlib.patheffects as pe

    for a in np.atleast_1d(artists):
        a.set_path_effects([pe.Stroke(linewidth=width, foreground="white"), pe.Normal()])


#: Marker classes of a Monte Carlo escape fraction against 1/2 (Wilson 95 %): (kind, label, style).
_MC_CLASSES = (
    ("escape", "escape fraction > 1/2 (Wilson 95 %)", dict(marker="^", mfc="k", mec="white")),
    ("resist", "escape fraction < 1/2 (Wilson 95 %)", dict(marker="o", mfc="white", mec="k")),
    ("undecided", "Wilson 95 % interval contains 1/2", dict(marker="D", mfc="0.6", mec="k", ms=3.2)),
)


def _mc_markers(ax, X, Y, frac, runs):
    lo, hi = wilson_interval(np.asarray(frac) * runs, runs)
    cls = {"escape": lo > 0.5, "resist": hi < 0.5, "undecided": (lo <= 0.5) & (hi >= 0.5)}
    for kind, _, kw in _MC_CLASSES:
        m = cls[kind]
        ax.plot(X[m], Y[m], ls="none", **{"ms": 4, "mew": 0.8, **kw})
    return cls


def _mc_handles(plt, runs_text, cls):
    """Legend entries of the marker classes that occur (``cls`` from :func:`_mc_markers`)."""
    shown = [(label, kw) for kind, label, kw in _MC_CLASSES if np.any(cls[kind])]
    return ([plt.Line2D([], [], ls="none", **{"ms": 4, "mew": 0.8, **kw}) for _, kw in shown],
            [f"Monte Carlo, {runs_text}: {label}" if i == 0 else label for i, (label, _) in enumerate(shown)])


def _edges(v, log=True):
    v = np.asarray(v, dtype=float)
    mid = np.sqrt(v[1:] * v[:-1]) if log else (v[1:] + v[:-1]) / 2
    first, last = (v[0] ** 2 / mid[0], v[-1] ** 2 / mid[-1]) if log else (2 * v[0] - mid[0], 2 * v[-1] - mid[-1])
    return np.concatenate([[first], mid, [last]])


def _log_axes(ax, B, S):
    ax.set(xscale="log", yscale="log", xlim=_edges(B)[[0, -1]], ylim=_edges(S)[[0, -1]])
    ax.set_xticks([1, 2, 5, 10, 20, 49], labels=["1", "2", "5", "10", "20", "49"])
    ax.set_yticks([1, 2, 5, 10, 20, 50], labels=["1", "2", "5", "10", "20", "50"])
    ax.minorticks_off()


@figure("unlearning-hessian-test")
def fig_hessian_test(out_dir, quick: bool = False, seed: int = 0):
    """Chang & Khanna's Hessian test for unlearning: escape or resistance over batch size $B$ and coherence $\\sigma$ (retain = forget family, $n = 100$, $\\alpha = 0.1$, $\\eta = 0.5$). Panels: (a) fixed-size batches without replacement, (b) independent bernoulli batches. Colour: exact $\\log\\rho(T)$ (red: the second moment grows, unlearning escapes; blue: it resists), clipped to $\\pm 1$. Solid black: exact mean-square boundary $\\rho(T) = 1$; dashed grey: exact almost-sure boundary, Lyapunov exponent 0. Markers in (a): the authors' Monte Carlo protocol (10 runs of 1000 steps, $w_0 \\sim U(0,1)^d$; a run escapes when $\\|w\\|^2 \\ge 1000\\|w_0\\|^2$) on a sub-grid, classed by the Wilson 95 % interval of the escape fraction against 1/2. Log-spaced grid, log axes.

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
    rmtcheck.studies.chang_khanna.experiments.hessian_test_grid : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (c).
    """
    from rmtcheck.studies.chang_khanna.experiments import hessian_test_grid

    runs = 10
    d = (hessian_test_grid(seed=seed, quick=True) if quick
         else hessian_test_grid(Bs=FIG_B, sigmas=FIG_SIGMA, mc_stride=3, mc_runs=runs, seed=seed))
    runs = 6 if quick else runs
    d["mc_runs"] = runs
    with style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.4), sharey=True)  # full width (printed.figure_size)
        for k, (ax, s) in enumerate(zip(axes, ("without_replacement", "independent_bernoulli"))):
            lr_ = np.log(d[f"rho_{s}"])
            im = ax.pcolormesh(_edges(d["B"]), _edges(d["sigma"]), np.clip(lr_, -1, 1), cmap="RdBu_r", vmin=-1,
                               vmax=1, rasterized=True)
            _halo(ax.contour(d["B"], d["sigma"], lr_, levels=[0.0], colors="k", linewidths=1.3), 3.0)
            _halo(ax.contour(d["B"], d["sigma"], d[f"lyapunov_{s}"], levels=[0.0], colors="0.35",
                             linestyles="--", linewidths=1.3), 3.0)
            _log_axes(ax, d["B"], d["sigma"])
            ax.set_xlabel("batch size $B$")
            ax.set_title(("(a) fixed-size batches, without replacement", "(b) independent bernoulli batches")[k])
        mB, mS = np.meshgrid(d["mc_B"], d["mc_sigma"])
        cls = _mc_markers(axes[0], mB.ravel(), mS.ravel(), d["mc_escape_fraction"].ravel(), runs)
        axes[0].set_ylabel(r"coherence $\sigma$")
        fig.colorbar(im, ax=axes, shrink=0.9, label=r"$\log\rho(T)$ (clipped to $\pm 1$)")
        h = [plt.Line2D([], [], color="k", lw=1.3), plt.Line2D([], [], color="0.35", ls="--", lw=1.3)]
        lab = [r"mean-square boundary $\rho(T) = 1$ (exact)", "almost-sure boundary, Lyapunov exponent 0 (exact)"]
        mh, ml = _mc_handles(plt, f"{runs} runs", cls)
        fig.legend(h + mh, lab + ml, loc="outside lower center", ncol=2)
        return save_figure(fig, out_dir, "unlearning-hessian-test", d)


def _column_steps(B, alphas, Z, up=12):
    """``Z`` over (alpha, integer B) repeated across each column's width, so a zero contour follows the cell
    edges between batch sizes instead of interpolating across them."""
    x = np.linspace(B[0] - 0.5, B[-1] + 0.5, up * len(B))
    j = np.clip(np.searchsorted(B, np.round(x)), 0, len(B) - 1)
    return x, alphas, np.asarray(Z)[:, j]


@figure("unlearning-batch-alpha")
def fig_batch_alpha(out_dir, quick: bool = False, seed: int = 0):
    """Chang & Khanna: escape or resistance over batch size $B$ and mixing weight $\\alpha$, with the exact critical $\\alpha$. Retain: Dexter family ($n = 100$, $\\sigma = 20$, $\\lambda = 2$); forget: Dexter ($n = 20$, $\\sigma = 5$, $\\lambda = 1$); independent bernoulli batches, $\\eta = 0.5$. (a) Exact $\\log\\rho(T)$ (red: escapes); circles: critical $\\alpha_+(B)$, root of $\\rho(T)(\\alpha) = 1$, escape above it; square: lower end $\\alpha_-(B) > 0$ of the resisting window; none: no $\\alpha$ resists. (b) Exact top Lyapunov exponent (almost sure); dashed: its zero level per $B$. Its thin bands and islands are exact, not noise: there a batch factor vanishes with positive probability (0.16 per step at $B = 2$, $\\alpha = 0.6$). Markers: Monte Carlo escape fraction (16 runs, 400 steps, $\\|w\\|^2 \\ge 1000\\|w_0\\|^2$) against 1/2 by its Wilson 95 % interval.

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
    rmtcheck.studies.chang_khanna.experiments.batch_alpha_grid : the heatmap and Monte Carlo data.
    rmtcheck.studies.chang_khanna.experiments.batch_alpha_boundaries : the critical alpha and the fine Lyapunov layer.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], critical mixing weight.
    """
    from rmtcheck.studies.chang_khanna.experiments import batch_alpha_boundaries, batch_alpha_grid

    d = batch_alpha_grid(seed=seed, quick=quick)
    runs = 8 if quick else 16
    bd = batch_alpha_boundaries(d["lr"], d["B"], np.linspace(0, 1, 41 if quick else 101))
    B = d["B"]
    with style() as plt:
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(6.5, 3.9), sharey=True)  # full width (printed.figure_size)
        im = ax.pcolormesh(_edges(B, False), _edges(d["alpha"], False), np.clip(np.log(d["rho"]), -1, 1),
                           cmap="RdBu_r", vmin=-1, vmax=1, rasterized=True)
        fig.colorbar(im, ax=ax, label=r"$\log\rho(T)$ (clipped to $\pm 1$)", location="bottom", shrink=0.8, aspect=35,
                     ticks=[-1, -0.5, 0, 0.5, 1])
        L = np.clip(bd["lyapunov_fine"], -0.25, 0.25)
        im2 = bx.pcolormesh(_edges(B, False), _edges(bd["lyap_alpha"], False), L, cmap="RdBu_r", vmin=-0.25,
                            vmax=0.25, rasterized=True)
        fig.colorbar(im2, ax=bx, label=r"top Lyapunov exponent (clipped to $\pm 0.25$)", location="bottom", shrink=0.8,
                     aspect=35)
        _halo(bx.contour(*_column_steps(B, bd["lyap_alpha"], bd["lyapunov_fine"]), levels=[0.0], colors="k",
                         linestyles="--", linewidths=1.0), 2.4)
        hi, lo = bd["alpha_hi"], bd["alpha_lo"]
        for a in (ax, bx):
            a.plot(B, hi, "-o", color="k", ms=3.5, mfc="k", mec="white", mew=0.6, lw=1.2)
            m = lo > 0
            a.plot(B[m], lo[m], "s", color="k", ms=3.5, mfc="k", mec="white", mew=0.6)
            a.set_xlabel("batch size $B$")
            a.set_xticks([1, 5, 10, 15, 20])
            a.set_ylim(-0.0125, 1.0125)
            a.set_xlim(B[0] - 0.5, B[-1] + 0.5)
        mB, mA = np.meshgrid(d["mc_B"], d["mc_alpha"])
        cls = _mc_markers(bx, mB.ravel(), mA.ravel(), d["mc_escape_fraction"].ravel(), runs)
        ax.set_ylabel(r"mixing weight $\alpha$")
        ax.set_title("(a) mean square: exact growth factor")
        bx.set_title("(b) almost sure: exact Lyapunov exponent")
        h = [plt.Line2D([], [], color="k", marker="o", ms=3.5, lw=1.2),
             plt.Line2D([], [], color="k", marker="s", ms=3.5, ls="none"),
             plt.Line2D([], [], color="k", ls="--", lw=1.0)]
        lab = [r"critical $\alpha$: root of $\rho(T) = 1$, escape above it", "lower end of the resisting window",
               "Lyapunov exponent 0 (exact)"]
        mh, ml = _mc_handles(plt, f"{runs} runs", cls)
        fig.legend(h + mh, lab + ml, loc="outside lower center", ncol=2)
        data = {k: v for k, v in d.items() if not isinstance(v, str)}
        data.update(critical_alpha_hi=hi, critical_alpha_lo=lo, lyap_alpha=bd["lyap_alpha"],
                    lyapunov_fine=bd["lyapunov_fine"], mc_runs=runs)
        return save_figure(fig, out_dir, "unlearning-batch-alpha", data)


def alignment_data(quick: bool = False, seed: int = 0) -> dict:
    """The data of :func:`fig_alignment`: :func:`~rmtcheck.studies.chang_khanna.experiments.alignment_curve`
    (Monte Carlo and exact, 31 angles), its exact :math:`\\rho(T)` on a dense linear and a log-spaced angle grid,
    and the exact :math:`\\rho(T)` of the verify row's counterexample
    (:data:`~rmtcheck.studies.chang_khanna.experiments.ROTATION_COUNTEREXAMPLE`) on a dense grid and on the
    row's 9 angles.

    Parameters
    ----------
    quick : bool, optional
        The preview preset of the Monte Carlo (the exact curves are the same).
    seed : int, optional
        Root seed of the Monte Carlo.

    Returns
    -------
    dict
        Arrays for :func:`rmtcheck.plotting.registry.save_figure` (angles in radians).
    """
    from rmtcheck.studies.chang_khanna.experiments import ROTATION_COUNTEREXAMPLE, alignment_curve, rotation_growth

    d = dict(alignment_curve(seed=seed, quick=quick))
    n_r, sigma_r, lam_r, n_f, sigma_f, lam_f = d["params"]
    inst = dict(n_r=int(n_r), sigma_r=int(sigma_r), lam_r=lam_r, n_f=int(n_f), sigma_f=int(sigma_f), lam_f=lam_f,
                alpha=d["alpha"], B=d["batch"], lr=d["lr"])
    for key, th in (("dense", np.radians(np.linspace(0, 90, 181))), ("log", np.radians(np.geomspace(1e-2, 90, 61)))):
        for k, v in rotation_growth(th, **inst).items():
            d[f"{key}_{k}"] = v
    for key, th in (("cx", np.radians(np.linspace(0, 90, 91))), ("cx_verify", np.linspace(0, np.pi / 2, 9))):
        for k, v in rotation_growth(th, **ROTATION_COUNTEREXAMPLE).items():
            d[f"{key}_{k}"] = v
    d["cx_params"] = np.array(list(ROTATION_COUNTEREXAMPLE.values()), dtype=float)
    return d


def _draw_alignment(d, plt, runs, steps):
    from scipy import stats

    fig, axs = plt.subplots(2, 2, figsize=(6.5, 5.0))  # full width (printed.figure_size)
    (ax, bx), (cx, dx) = axs
    S = (("independent_bernoulli", "C0", "-", "o"), ("without_replacement", "C1", "--", "s"))
    deg = np.degrees(d["theta"])
    for s, c, ls, mk in S:  # (a) exponents along the rotation; theta = 0 drawn apart (rho jumps there)
        ax.plot(np.degrees(d["dense_theta"][1:]), np.log(d[f"dense_rho_{s}"][1:]), color=c, ls=ls)
        ax.plot(0, np.log(d[f"dense_rho_{s}"][0]), ls="none", marker=mk, mfc="none", mec=c, clip_on=False)
    t = stats.t.ppf(0.975, runs - 1) * d["lyapunov_stderr"]
    ax.errorbar(deg, d["lyapunov"], yerr=t, fmt="D", ms=2.5, lw=0.8, color="C2", mfc="C2")
    ax.axhline(0, color="0.5", lw=0.6, zorder=0)
    ax.set(xlabel=r"rotation $\theta$ of the forget family (degrees)", ylabel="exponent per step (> 0: escape)",
           title=r"(a) mean-square $\log\rho(T)$ and Lyapunov exponent")
    for s, c, ls, _ in S:  # (b) the jump at theta = 0 on log axes
        bx.plot(np.degrees(d["log_theta"]), d[f"log_rho_{s}"] - 1, color=c, ls=ls)
    th = np.degrees(d["log_theta"])
    ref = (d["log_rho_independent_bernoulli"][0] - 1) * (th / th[0]) ** 2
    bx.plot(th, ref, color="0.4", ls=":", lw=1.0)
    bx.set(xscale="log", yscale="log", xlabel=r"rotation $\theta$ (degrees, log scale)", ylabel=r"$\rho(T) - 1$",
           title=r"(b) near $\theta = 0$: $\rho(T) > 1$ for every $\theta > 0$")
    bx.set_xticks([0.01, 0.1, 1, 10, 90], labels=["0.01", "0.1", "1", "10", "90"])
    bx.set_yticks(10.0 ** np.arange(-10, 0, 2))
    bx.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0e}".replace("e-0", "e-")))
    bx.minorticks_off()
    r0 = [d[f"dense_rho_{s}"][0] for s, *_ in S]
    bx.text(0.03, 0.97, rf"at $\theta = 0$: $\rho(T) = {r0[0]:.3f}$ (bernoulli)" "\n"
            rf"and ${r0[1]:.3f}$ (without repl.) $< 1$: resists", transform=bx.transAxes, va="top", fontsize=7)
    lo, hi = wilson_interval(np.asarray(d["escape_fraction"]) * runs, runs)  # (c) escape fraction
    f = d["escape_fraction"]
    cx.errorbar(deg, f, yerr=[f - lo, hi - f], fmt="v", ms=3, lw=0.8, color="C3")
    cx.set(ylim=(-0.03, 1.03), xlabel=r"rotation $\theta$ of the forget family (degrees)",
           ylabel="fraction of runs that escape", title=f"(c) Monte Carlo escape within {steps} steps")
    cdeg = np.degrees(d["cx_theta"])  # (d) the counterexample
    for s, c, ls, _ in S:
        dx.plot(cdeg, d[f"cx_rho_{s}"], color=c, ls=ls)
    dx.plot(np.degrees(d["cx_verify_theta"]), d["cx_verify_rho_independent_bernoulli"], ls="none", marker="D",
            ms=3.2, mfc="white", mec="k", mew=0.8)
    g = d["cx_rho_independent_bernoulli"]
    i0, i1 = 0, int(np.argmin(g))
    dx.annotate("", xy=(cdeg[i1], g[i1]), xytext=(cdeg[i1], g[i0]),
                arrowprops=dict(arrowstyle="->", color="k", lw=1.0))
    dx.plot([cdeg[i0], cdeg[i1]], [g[i0], g[i0]], color="k", lw=0.6, ls=":")
    dx.text(cdeg[i1] - 2, (g[i0] + g[i1]) / 2, f"falls {100 * (1 - g[i1] / g[i0]):.1f} %\n"
            rf"{g[i0]:.3f} $\to$ {g[i1]:.3f}", ha="right", va="center", fontsize=7)
    dx.set(xlabel=r"rotation $\theta$ of the forget family (degrees)", ylabel=r"$\rho(T)$ (> 1: escape)",
           title=r"(d) counterexample: $\rho(T)$ decreases, stays > 1")
    for a in (ax, cx, dx):
        a.set_xticks([0, 15, 30, 45, 60, 75, 90])
    handles = [plt.Line2D([], [], color=c, ls=ls) for _, c, ls, _ in S]
    labels = ["exact, independent bernoulli batches", "exact, fixed-size batches without replacement"]
    handles += [plt.Line2D([], [], ls="none", marker=mk, mfc="none", mec=c) for _, c, _, mk in S]
    labels += [r"exact at $\theta = 0$ (bernoulli)", r"exact at $\theta = 0$ (without replacement)"]
    handles += [plt.Line2D([], [], color="C2", marker="D", ms=2.5, lw=0.8),
                plt.Line2D([], [], color="C3", marker="v", ms=3, lw=0.8),
                plt.Line2D([], [], color="0.4", ls=":"),
                plt.Line2D([], [], ls="none", marker="D", ms=3.2, mfc="white", mec="k", mew=0.8)]
    labels += ["Lyapunov exponent, Monte Carlo (95 % t-interval)", "escape fraction, Monte Carlo (Wilson 95 %)",
               "reference line \u221d \u03b8\u00b2 (slope 2)", "the 9 angles of the verify row"]
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    return fig


@figure("unlearning-alignment")
def fig_alignment(out_dir, quick: bool = False, seed: int = 0):
    """Chang & Khanna claim (a) along the rotation of the forget curvature, and a counterexample to the monotonicity of $\\rho(T)$. (a)-(c): the paper's tightness construction, retain on $e_1$ ($\\alpha = 0.1$, $B = 2$, $\\eta = 0.3$), forget family rotated by $\\theta$ from aligned (0) to orthogonal (90 degrees). (a) Exact mean-square $\\log\\rho(T)$ and Monte Carlo Lyapunov exponent (bernoulli, 128 runs, 400 steps, 95 % t-intervals). (b) $\\rho(T) - 1$, log axes: at $\\theta = 0$ all curvature is on $e_1$, where $\\rho(T) < 1$; any $\\theta > 0$ puts forget curvature outside the retain range, so $\\rho(T) > 1$, and $\\rho(T) - 1 \\propto \\theta^2$. (c) Monte Carlo escape fraction ($\\|w\\|^2 \\ge 1000\\|w_0\\|^2$ within 400 steps, Wilson 95 %). (d) The first instance of verify row chang_khanna.rotation_monotone (overshoot regime, $\\eta(1-\\alpha)\\lambda_r = 1.21$): $\\rho(T)$ falls 13 % while staying above 1.

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
    alignment_data : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (a).
    """
    d = alignment_data(quick=quick, seed=seed)
    runs, steps = (48, 200) if quick else (128, 400)
    d["mc_runs"], d["mc_steps"] = runs, steps
    with style() as plt:
        fig = _draw_alignment(d, plt, runs, steps)
        return save_figure(fig, out_dir, "unlearning-alignment", d)
