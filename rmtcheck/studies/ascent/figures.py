"""Figures of "Ascent Fails to Forget" (Mavrothalassitis et al., NeurIPS 2025): DA trajectories in the
block model, the (epsilon, alpha) window of the correlated case, the toy's basins, and random vs
structured forget sets. Data come from :mod:`rmtcheck.studies.ascent.experiments`.

Every figure is designed at its printed size (:func:`rmtcheck.plotting.printed.figure_size`) and its
docstring's first paragraph is the paper's caption.

References
----------
.. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
   [mavrothalassitis2025].
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.printed import figure_size
from rmtcheck.plotting.registry import figure, legend_entries, record_params, save_figure, style

#: Sizes of the block and correlated models drawn here: |R|, |F|, |R_j| (|R_ij|) and the ridge lambda.
SIZES = dict(n_retain=900, n_forget=100, retain_j=90, ridge=0.01)
#: The forget ratios of the trajectory figure, as multiples of Lemma 3's range ends (name, end, factor).
TRAJECTORY_ALPHAS = (("0.3 × lower end", "lo", 0.3), ("midpoint", "mid", 1.0), ("upper end |F|/|R|", "hi", 1.0),
                     ("1.02 × upper end", "hi", 1.02), ("1.5 × upper end", "hi", 1.5))
_STYLES = (("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"), ((0, (5, 1, 1, 1, 1, 1)), "v"))
# outcome categories of the window figure: colour (Okabe-Ito) and hatch, so that greyscale keeps them apart
_WINDOW = (("DA converges, closer to the oracle than pretraining", "#009E73", ""),
           ("DA converges, no closer to the oracle than pretraining", "#E69F00", "////"),
           (r"DA has no minimum: runs to ${-\infty}$", "#56B4E9", "...."))


def _steps(quick: bool) -> int:
    return 300 if quick else 600


@figure("ascent-trajectories")
def fig_trajectories(out_dir, quick: bool = False, seed: int = 0):
    """Block model: descent–ascent (DA) moves a coordinate away from the retrained oracle. Distance $|w_t - w_R|$ of one block coordinate's weight to the oracle $w_R$ during full-batch gradient DA from the pretrained $w_D$ ($|R| = 900$, $|F| = 100$, $|R_j| = 90$, $\\lambda = 0.01$), simultaneous (left) and alternating (right). Colour, line style and marker give the forget ratio $\\alpha = |F_j|/|R_j|$: 0.3 times the lower end of Lemma 3's range $[|F|^2/(|R|(|F|+|D|)), |F|/|R|]$, its midpoint, its upper end, and 1.02 and 1.5 times the upper end. The triangle marks where simultaneous DA at 1.5 times the upper end leaves the axes: no DA stationary point, $w_t \\to {-\\infty}$. Deterministic, no uncertainty.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``): 300 steps instead of 600.
    seed : int, optional
        Unused (the dynamics are deterministic); kept for the common signature.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.ascent.experiments.block_trajectories : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.1.
    """
    from rmtcheck.studies import ascent as A
    from rmtcheck.studies.ascent.experiments import block_trajectories

    lo, hi = A.lemma3_range(SIZES["n_retain"], SIZES["n_forget"])
    ends = {"lo": lo, "hi": hi, "mid": 0.5 * (lo + hi)}
    alphas = np.array([ends[e] * f for _, e, f in TRAJECTORY_ALPHAS])
    n_steps = _steps(quick)
    record_params(n_steps=n_steps, record_every=10, **SIZES)
    d = block_trajectories(alphas=alphas, n_steps=n_steps, record_every=10, **SIZES)
    finite = np.concatenate([d["dist_da"][np.isfinite(d["dist_da"])], d["dist_alternating"].ravel()])
    top = 1.12 * float(finite.max())
    with style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=figure_size("full", 2.55), sharey=True)
        for k, (name, _, _) in enumerate(TRAJECTORY_ALPHAS):
            ls, mk = _STYLES[k]
            label = rf"$\alpha$ = {alphas[k]:.3f} ({name})"
            for ax, key in zip(axes, ("dist_da", "dist_alternating")):
                y = d[key][:, k]
                out = np.flatnonzero(~(y <= top))
                stop = out[0] if out.size else y.size
                ax.plot(d["steps"][:stop], y[:stop], color=f"C{k}", ls=ls, marker=mk, markevery=(k * 2, 8),
                        ms=3.5, lw=1.2, label=label if key == "dist_da" else None)
                if out.size and stop > 0:  # the run leaves the axes (DA diverges): line to the frame, marked there
                    x0, x1, y0 = d["steps"][stop - 1], d["steps"][stop], y[stop - 1]
                    y1 = y[stop] if np.isfinite(y[stop]) else 10 * top
                    x_exit = x0 + (x1 - x0) * (top - y0) / (y1 - y0)
                    ax.plot([x0, x_exit], [y0, top], color=f"C{k}", ls=ls, lw=1.2)
                    ax.plot([x_exit], [top], marker="^", color=f"C{k}", mec="k", mew=0.6, ms=7, ls="none",
                            clip_on=False, zorder=5)
        axes[0].plot([], [], marker="^", color="0.5", mec="k", mew=0.6, ms=7, ls="none",
                     label=r"leaves the axes: no DA minimum, $w \to {-\infty}$")
        axes[0].set_title("simultaneous descent–ascent")
        axes[1].set_title("alternating descent–ascent")
        for ax in axes:
            ax.set_xlabel(r"gradient step $t$")
            ax.set_xlim(0, d["steps"][-1])
            ax.set_ylim(0, top)
        axes[0].set_ylabel(r"distance to the oracle $|w_t - w_R|$")
        fig.legend(loc="outside lower center", ncol=3)
        data = {k: d[k] for k in ("alphas", "steps", "dist_da", "dist_alternating", "lemma3_range", "diverged")}
        return save_figure(fig, out_dir, "ascent-trajectories", data)


def _hatch_runs(ax, code, eps_edges, alpha_edges):
    """Hatched rectangles over every run of equal category along alpha (one column per epsilon)."""
    from matplotlib.patches import Rectangle

    for c, (_, colour, hatch) in enumerate(_WINDOW):
        if not hatch:
            continue
        for i in range(code.shape[0]):
            on = np.concatenate([[0], (code[i] == c).astype(int), [0]])
            starts, stops = np.flatnonzero(np.diff(on) == 1), np.flatnonzero(np.diff(on) == -1)
            for s0, s1 in zip(starts, stops):
                ax.add_patch(Rectangle((eps_edges[i], alpha_edges[s0]), eps_edges[i + 1] - eps_edges[i],
                                       alpha_edges[s1] - alpha_edges[s0], facecolor="none", edgecolor="k",
                                       hatch=hatch, lw=0, alpha=0.45))


def _edges(x):
    mid = 0.5 * (x[1:] + x[:-1])
    return np.concatenate([[x[0] - (mid[0] - x[0])], mid, [x[-1] + (x[-1] - mid[-1])]])


@figure("ascent-alpha-epsilon-window")
def fig_window(out_dir, quick: bool = False, seed: int = 0):
    """Correlated case: the outcome of descent–ascent (DA) over correlation and forget ratio, with Lemma 9's bound. Two correlated coordinates (retain samples $(1, \\varepsilon)$, forget samples $(\\varepsilon, 1)$; $|R| = 900$, $|F| = 100$, $|R_{ij}| = 90$, $\\lambda = 0.01$); each cell of the grid of $\\varepsilon$ and forget ratio $\\alpha = |F_{ij}|/|R_{ij}|$ is gradient DA from the pretrained weights. Green: it converges to a local minimum closer to the retrained oracle than the pretrained weights; orange, hatched: to a minimum no closer; light blue, dotted: there is no minimum and it runs to $-\\infty$; crosses: not converged within 2000 steps. Solid line: Lemma 9's sufficient bound (above it DA's margins end below the pretrained ones); dotted: $\\alpha = |F|/|R|$. Deterministic, no uncertainty.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Unused (deterministic); kept for the common signature.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.ascent.experiments.alpha_epsilon_window : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 9.
    """
    import matplotlib.patheffects as pe
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    from rmtcheck.studies.ascent.experiments import alpha_epsilon_window

    grid = dict(n_eps=25, n_alpha=30, gd_steps=800) if quick else dict(n_eps=60, n_alpha=80, gd_steps=2000)
    record_params(**grid)
    d = alpha_epsilon_window(n_retain=SIZES["n_retain"], n_forget=SIZES["n_forget"], retain_ij=SIZES["retain_j"],
                             ridge=SIZES["ridge"], **grid)
    # 0 closer, 1 no closer, 2 no minimum (diverged); status 2 (not converged) is drawn as crosses on top
    code = np.where(d["status"] == 1, 2, np.where(d["da_harmful"], 1, 0))
    eps_e, al_e = _edges(d["eps"]), _edges(d["alpha"])
    al_e[0] = max(al_e[0], 0.0)
    with style() as plt:
        fig, ax = plt.subplots(figsize=figure_size("column", 3.6))
        cmap = ListedColormap([c for _, c, _ in _WINDOW])
        ax.pcolormesh(eps_e, al_e, code.T, cmap=cmap, norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3), rasterized=True)
        _hatch_runs(ax, code, eps_e, al_e)
        nc = np.argwhere(d["status"] == 2)
        ax.plot(d["eps"][nc[:, 0]], d["alpha"][nc[:, 1]], "x", color="k", ms=4, mew=0.9, ls="none")
        halo = [pe.Stroke(linewidth=3.2, foreground="w"), pe.Normal()]  # readable over every category
        ax.plot(d["eps"], d["lemma9_alpha"], "k-", lw=1.4, path_effects=halo)
        ax.axhline(d["lemma3_range"][1], color="w", lw=2.8)  # a solid white underlay keeps it readable
        ax.axhline(d["lemma3_range"][1], color="k", ls=":", lw=1.2)
        ax.set_xlim(eps_e[0], eps_e[-1])
        ax.set_ylim(al_e[0], al_e[-1])
        ax.set_xlabel(r"correlation $\varepsilon$")
        ax.set_ylabel(r"forget ratio $\alpha$")
        handles = [Patch(facecolor=c, edgecolor="k", hatch=h, lw=0.4, label=lab) for lab, c, h in _WINDOW]
        handles += [plt.Line2D([], [], color="k", marker="x", ls="none", ms=4, label="not converged"),
                    plt.Line2D([], [], color="k", lw=1.4, label="Lemma 9's sufficient bound"),
                    plt.Line2D([], [], color="k", ls=":", lw=1.1, label=r"$\alpha = |F|/|R|$")]
        fig.legend(handles=handles, loc="outside lower center", ncol=1)
        return save_figure(fig, out_dir, "ascent-alpha-epsilon-window", d)


#: Toy-figure window: centre (a, b) and half-width, around the three minima and the two class boundaries.
TOY_WINDOW = dict(center=(2.0, -0.6), box=1.6)
_TOY_MARKS = (("pretrain", "o", 8.0, "none", "pretraining minimum"),
              ("retrain", "s", 6.5, "w", "retraining (oracle) minimum"),
              ("da", "D", 5.0, "#E69F00", "descent–ascent minimum"),
              ("finetuned", "+", 5.0, "k", "retain fine-tuning from the DA minimum"))
_TOY_TITLES = {"pretrain": "pretraining loss", "retrain": "retraining loss", "da": "descent–ascent loss"}


@figure("ascent-toy-basins")
def fig_toy(out_dir, quick: bool = False, seed: int = 0):
    """Toy example: descent–ascent (DA) lands in the wrong basin. Loss over the weights $\\theta = (a, b)$ of $h_\\theta(x) = s(ax + bx^2)$ (points $x \\in \\{-1, 1, 3, 4\\}$, two copies at $x = 4$ forgotten; squared loss, ridge $0.1\\|\\theta\\|^2$) for pretraining, retraining and DA ($L_R - L_F$), left to right, on one colour scale. Dashed and dash-dotted lines: where the prediction at $x = 3$ and at $x = 4$ flips. The pretraining (circle) and retraining (square) minima misclassify only $x = 3$, the DA minimum (diamond) only $x = 4$; gradient descent on $L_R$ started at the DA minimum ends at the plus, back at the retraining minimum. Global minima by multistart; deterministic, no uncertainty.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Unused (deterministic); kept for the common signature.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.ascent.experiments.toy_landscape : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    from matplotlib.colors import Normalize

    from rmtcheck.studies.ascent.experiments import toy_landscape

    grid = 61 if quick else 121
    record_params(grid=grid, **TOY_WINDOW)
    d = toy_landscape(grid=grid, **TOY_WINDOW)
    losses = [d[f"loss_{k}"] for k in _TOY_TITLES]
    norm = Normalize(min(float(L.min()) for L in losses), max(float(L.max()) for L in losses))
    a, b = d["a"], d["b"]
    with style() as plt:
        fig, axes = plt.subplots(1, 3, figsize=figure_size("full", 2.75), sharey=True)
        for ax, kind, L in zip(axes, _TOY_TITLES, losses):
            ax.contourf(a, b, L.T, levels=24, cmap="cividis", norm=norm)
            for x, ls in ((3.0, "--"), (4.0, "-.")):
                ax.plot(a, (-1.0 - a * x) / x**2, color="w", lw=2.6)  # a solid white underlay keeps it readable
                ax.plot(a, (-1.0 - a * x) / x**2, color="k", ls=ls, lw=1.1)
            for key, mk, ms, fc, _ in _TOY_MARKS:
                th = d[f"theta_{key}"]
                ax.plot(th[0], th[1], mk, ms=ms, mfc=fc, mec="k", mew=1.3 if mk == "+" else 1.0, ls="none", zorder=4)
            ax.set_title(_TOY_TITLES[kind])
            ax.set_xlabel(r"weight $a$ (on $x$)")
            ax.set_xlim(a[0], a[-1])
            ax.set_ylim(b[0], b[-1])
        axes[0].set_ylabel(r"weight $b$ (on $x^2$)")
        sm = plt.cm.ScalarMappable(norm=norm, cmap="cividis")
        fig.colorbar(sm, ax=list(axes), label=r"loss $L(\theta)$", shrink=0.95, pad=0.02)
        handles = [plt.Line2D([], [], marker=mk, ms=ms, mfc=fc if fc != "w" else "0.85", mec="k", mew=1.0,
                              color="k", ls="none", label=lab) for _, mk, ms, fc, lab in _TOY_MARKS]
        handles += [plt.Line2D([], [], color="k", ls="--", lw=1.1, label=r"$x = 3$ flips: $3a + 9b = -1$"),
                    plt.Line2D([], [], color="k", ls="-.", lw=1.1, label=r"$x = 4$ flips: $4a + 16b = -1$")]
        fig.legend(handles=handles, loc="outside lower center", ncol=3)
        return save_figure(fig, out_dir, "ascent-toy-basins", dict(d))


@figure("ascent-random-forget")
def fig_random(out_dir, quick: bool = False, seed: int = 0):
    """Random forget sets: descent–ascent (DA) ends far from the oracle, and Lemma 1's Hoeffding bound holds. Left, block model (100 coordinates of 100 samples, 10 % forgotten, $\\lambda = 0.01$), one point per trial: the fraction of coordinates without a DA minimiser against $\\|w_{DA} - w_R\\|/\\|w_D - w_R\\|$ over the coordinates with one (log scale; dotted: ratio 1). Circles: uniformly random forget sets; triangle: structured ones (half the samples of randomly chosen coordinates), whose ratio is exactly 0 in every trial, drawn at the bottom edge. Right: the frequency, over 400 independent splits, that the oracle's accuracy on a random forget set ($|F| = 50$ of 200) deviates from its population accuracy by more than $\\varepsilon$, with Wilson 95 % bands, against Lemma 1's bound $2e^{-2|F|\\varepsilon^2}$.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``): 10 trials instead of 50.
    seed : int, optional
        Root seed of the forget sets and the Hoeffding splits.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.ascent.experiments.random_forget_study : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 1 and Sec. 4.1.
    """
    from scipy.stats import binomtest

    from rmtcheck.studies.ascent.experiments import random_forget_study

    trials = 10 if quick else 50
    record_params(trials=trials, n_groups=100, per_group=100, forget_fraction=0.1, ridge=0.01, hoeffding_splits=400)
    d = random_forget_study(trials=trials, rng=seed)
    u, s = d["uniform"], d["structured"]
    pos = np.concatenate([r["ratio_local"][np.isfinite(r["ratio_local"]) & (r["ratio_local"] > 0)] for r in (u, s)])
    lo = 10 ** np.floor(np.log10(min(pos.min(), 1.0)) - 0.5)
    hi = 10 ** np.ceil(np.log10(max(pos.max(), 1.0)) + 0.3)
    with style() as plt:
        fig, (a0, a1) = plt.subplots(1, 2, figsize=figure_size("full", 2.6))
        for r, mk, c, name in ((u, "o", "C0", "uniform forget set"), (s, "^", "C1", "structured forget set")):
            x, y = r["frac_no_global_min"], r["ratio_local"]
            ok = np.isfinite(y) & (y > 0)
            if ok.any():
                a0.plot(x[ok], y[ok], mk, color=c, ms=4, mfc="none", mew=0.9, ls="none", label=name)
            if (~ok).any():  # ratio exactly 0 (or undefined): drawn at the bottom edge, marked, counted
                a0.plot(x[~ok], np.full((~ok).sum(), lo), mk, color=c, ms=6, mew=0.9, ls="none", clip_on=False,
                        label=f"{name}: ratio exactly 0 ({int((~ok).sum())} of {y.size} trials), drawn at the bottom edge")
        a0.axhline(1.0, color="k", ls=":", lw=1.0, label="ratio 1: as far from the oracle as pretraining")
        a0.set_yscale("log")
        _plain_log(a0.yaxis)
        a0.set_ylim(lo, hi)
        a0.set_xlabel("fraction of coordinates without a DA minimiser")
        a0.set_ylabel("distance ratio to the oracle\n" + r"$\|w_{DA} - w_R\| \,/\, \|w_D - w_R\|$")
        a0.set_title("distance to the oracle after DA")
        eps, freq = d["hoeffding_eps"], d["hoeffding_freq"]
        m = d["hoeffding_splits"]
        cis = [binomtest(int(round(f * m)), m).proportion_ci(0.95, method="wilson") for f in freq]
        wl, wh = np.array([c.low for c in cis]), np.array([c.high for c in cis])
        a1.fill_between(eps, wl, wh, color="C0", alpha=0.3, lw=0)
        a1.plot(eps, freq, "o-", color="C0", ms=3, label="observed frequency (Wilson 95 % band)")
        a1.plot(eps, d["hoeffding_bound"], "k--", label=r"Lemma 1: $2\,\exp(-2|F|\varepsilon^2)$, capped at 1")
        a1.set_xlabel(r"deviation $\varepsilon$")
        a1.set_ylabel(r"$P(|\mathrm{acc}_F - \mathrm{acc}| > \varepsilon)$")
        a1.set_title("oracle accuracy on a random forget set")
        a1.set_ylim(0, 1.05)
        fig.legend(*legend_entries(a0, a1), loc="outside lower center", ncol=2)
        data = {"hoeffding_eps": eps, "hoeffding_freq": freq, "hoeffding_bound": d["hoeffding_bound"],
                "hoeffding_wilson_low": wl, "hoeffding_wilson_high": wh}
        for name in ("uniform", "structured"):
            for k in ("frac_no_global_min", "frac_no_stationary", "ratio_local", "dist_pretrain"):
                data[f"{name}_{k}"] = d[name][k]
        return save_figure(fig, out_dir, "ascent-random-forget", data)


def _plain_log(axis):
    """Log-axis tick labels as plain numbers (0.1, 1, 100): on the few decades these axes span they read more
    directly than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10.0, numticks=12))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())
