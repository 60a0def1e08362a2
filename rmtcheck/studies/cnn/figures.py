"""Figures of descent–ascent unlearning on the two-layer ReLU CNN (Chang & Khanna 2026, claims (b), (c)).

* ``cnn-escape-heatmaps``: per SNR, the observed escape fraction (``||W_K - W*|| >= tau ||W*||``) over
  batch size ``B`` and mixing weight ``alpha`` (sequential colour map, one level per number of escaping
  replicates), with the boundaries predicted by the exact mixed operator on the measured Gauss–Newton
  Hessians: asymptotic (:math:`\\rho(T) = 1`, solid) and finite-horizon (RMS displacement of the linearised
  run = tau, dashed), both judged against the distance escape; and the pre-flight forecast's boundary
  (:func:`rmtcheck.stability.preflight.forecast`: the forecast mean forget or retain loss reaches log 2 at
  step K, dotted), judged against the network's losses (crosses: cells where the observed forget or retain
  loss reached log 2 in most replicates). Each panel's title gives the four agreement rates.
* ``cnn-snr-escape``: escape fractions over the ``alpha > 0`` cells against SNR with Wilson 95 % intervals:
  the distance escape against the two exact predictions, the loss reaching log 2 against the two
  pre-flight forecasts, and the retain coherence :math:`\\sigma_r` and the retain–forget alignment per
  training seed.

Data come from :func:`rmtcheck.studies.cnn.experiments.cnn_unlearning_grid`. The default heatmap uses
the ``default`` grid preset (its smallest honest grid); ``rmtcheck figures --large`` uses the ``large``
preset (minutes to tens of minutes; add ``--jobs N`` to spread its cells over processes). Both figures are
designed at the paper's full text width (6.5 in) and printed at scale 1.

References
----------
.. [1] <<CK>>, headline claims (b) and (c).
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, record_params, save_figure, style

_FULL = 6.5  # the paper's full text width in inches (rmtcheck.plotting.printed.FULL_WIDTH)


def _arrays(d: dict) -> dict:
    return {k: np.asarray(v) for k, v in d.items() if k != "records" and not isinstance(v, str)}


def _grid_preset(quick: bool, large: bool = False) -> str:
    if quick and large:
        raise ValueError("quick and large exclude each other; pass one of them")
    return "quick" if quick else ("large" if large else "default")


def _halo(width=2.2):
    """A white outline, so that black lines and markers stay visible on the dark end of the colour map."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _boundary(ax, Z, ls, color="k"):
    """The level set ``Z = 0`` on the cell-index grid, outlined in white (nothing when ``Z`` keeps its sign)."""
    Z = np.asarray(Z, float)
    if Z.shape[0] >= 2 and Z.shape[1] >= 2 and np.nanmin(Z) < 0 < np.nanmax(Z):
        cs = ax.contour(np.arange(Z.shape[1]), np.arange(Z.shape[0]), Z, levels=[0.0], colors=color,
                        linestyles=ls, linewidths=1.3)
        cs.set(path_effects=_halo(3.0))


@figure("cnn-escape-heatmaps")
def fig_cnn_heatmaps(out_dir, quick: bool = False, seed: int = 0, large: bool = False):
    r"""ReLU CNN descent–ascent: observed escape over batch size $B$ and mixing weight $\alpha$ per SNR, with the exact and forecast boundaries. Colour: fraction of the training seeds whose run escaped, $\|W_K - W^*\| \geq \tau\|W^*\|$ after $K$ steps at $\eta = 0.5\,\eta^*_r$. Lines, exact mean-square mixed operator on the measured Gauss–Newton Hessians: solid, $\rho(T) = 1$ (asymptotic); dashed, predicted RMS distance $= \tau$ at step $K$; dotted, the quadratic pre-flight forecast's mean forget or retain loss $= \log 2$ at $K$. Crosses: the network's forget or retain loss reached $\log 2$ for most seeds. Titles: fraction of cells where each prediction matches its observation ($\rho$, $K$: distance escape; fc, quadratic, and tg, tangent forecast: loss). Boundaries interpolate between cells.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.
    large : bool, optional
        The ``large`` grid preset (``rmtcheck figures --large``); excludes ``quick``.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.cnn.experiments.cnn_unlearning_grid : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claims (b) and (c).
    """
    from matplotlib.colors import BoundaryNorm

    from rmtcheck.studies.cnn.experiments import cnn_unlearning_grid

    preset = _grid_preset(quick, large)
    record_params(grid=preset)
    d = cnn_unlearning_grid(preset=preset, seed=seed)
    S, A, Bs = d["snr"], d["alpha"], d["B"]
    reps = int(d["count"].max())
    r0 = d["records"][0]
    levels = (np.arange(reps + 2) - 0.5) / reps
    with style() as plt:
        cmap = plt.get_cmap("cividis", reps + 1)
        norm = BoundaryNorm(levels, cmap.N)
        fig, axes = plt.subplots(1, len(S), figsize=(_FULL, 3.5), sharey=True, squeeze=False)
        axes = axes[0]
        for i, ax in enumerate(axes):
            im = ax.pcolormesh(np.arange(Bs.size), np.arange(A.size), d["obs_escape_frac"][i], cmap=cmap, norm=norm,
                               shading="nearest", rasterized=True)
            _boundary(ax, d["log_rho"][i], "-")
            _boundary(ax, np.log(np.maximum(d["pred_rms_dist"][i], 1e-300) / r0["tau"]), "--")
            _boundary(ax, d["fc_log_reach"][i], ":")
            jj, kk = np.nonzero(d["obs_left_frac"][i] > 0.5)
            ax.scatter(kk, jj, marker="x", s=16, c="k", lw=1.0, zorder=3, path_effects=_halo(2.0))
            ax.set_title(f"SNR = {S[i]:g}\n" rf"$\rho$ {d['agreement_asymptotic'][i]:.2f}, $K$ {d['agreement_horizon'][i]:.2f}"
                         f"\nfc {d['agreement_forecast'][i]:.2f}, tg {d['agreement_tangent'][i]:.2f}", fontsize=7)
            ax.set_xticks(np.arange(Bs.size), [f"{b:g}" for b in Bs])
            ax.set_xlabel(r"batch size $B$")
            ax.tick_params(which="minor", bottom=False, left=False)
        axes[0].set_yticks(np.arange(A.size), [f"{a:g}" for a in A])
        axes[0].set_ylabel(r"mixing weight $\alpha$")
        cb = fig.colorbar(im, ax=axes, ticks=np.arange(reps + 1) / reps, fraction=0.04, pad=0.02)
        cb.ax.set_yticklabels([f"{k}/{reps}" for k in range(reps + 1)])
        cb.set_label("observed escape fraction\n" rf"($\geq \tau = {r0['tau']:g}$ relative distance)")
        proxies = [plt.Line2D([], [], c="k", ls=ls, lw=1.3, path_effects=_halo(3.0)) for ls in ("-", "--", ":")]
        proxies.append(plt.Line2D([], [], c="k", marker="x", ls="none", ms=5, mew=1.0))
        labels = [r"exact asymptotic boundary $\rho(T) = 1$ (title: $\rho$)",
                  rf"exact horizon-$K$ boundary, RMS distance $= \tau$ (title: $K$; $K = {r0['steps']}$)",
                  r"quadratic forecast: mean loss $= \log 2$ at $K$ (title: fc)",
                  r"observed forget or retain loss $\geq \log 2$ (most replicates)"]
        fig.legend(proxies, labels, loc="outside lower center", ncol=2,
                   title="titles: fraction of cells where the prediction matches the observation "
                         "(tg: tangent forecast, median of 32 runs)")
        return save_figure(fig, out_dir, "cnn-escape-heatmaps", _arrays(d))


def _errorbars(ax, x, f, key, offset, fmt, color, label, mfc=None):
    lo, hi = f[f"{key}_ci"]
    y = f[f"{key}_frac"]
    ax.errorbar(x * offset, y, yerr=[y - lo, hi - y], fmt=fmt, c=color, ms=4, mfc=mfc or color, lw=1.0,
                elinewidth=0.8, label=label)


def _per_seed(ax, records, key, color, marker):
    """Each training seed's value of ``key`` against SNR (small markers) and their mean (line)."""
    S = sorted({r["snr"] for r in records})
    reps = sorted({r["rep"] for r in records})
    V = np.array([[next(r[key] for r in records if r["snr"] == s and r["rep"] == k) for s in S] for k in reps])
    for v in V:
        ax.plot(S, v, marker, c=color, ms=3.5, mfc="none", ls="none")
    ax.plot(S, V.mean(axis=0), c=color, lw=1.0)
    return V


@figure("cnn-snr-escape")
def fig_cnn_snr_escape(out_dir, quick: bool = False, seed: int = 0):
    r"""ReLU CNN: escape against SNR, observed and predicted, with the retain coherence and the retain–forget alignment. Fractions over the $\alpha > 0$ cells of each SNR (batch sizes, mixing weights, training seeds) with Wilson 95 % intervals; series offset horizontally. Left: distance escape $\|W_K - W^*\| \geq \tau\|W^*\|$ (filled circles) against the exact mean-square predictions $\rho(T) > 1$ (squares) and RMS distance $\geq \tau$ at step $K$ (triangles). Second: a forget or retain loss reached $\log 2$ (filled circles) against the quadratic (diamonds) and tangent (inverted triangles) pre-flight forecasts; legend: agreement with the observation over all cells. Right: retain coherence $\sigma_r$ and alignment $\mathrm{Tr}(\bar H_r\bar H_f)/(\|\bar H_r\|_F\|\bar H_f\|_F)$ of the mean Hessians, per training seed (open markers) and mean (line).

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
    rmtcheck.studies.cnn.experiments.cnn_unlearning_grid : the data.
    rmtcheck.studies.cnn.experiments.snr_fractions : the fractions and their Wilson intervals.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claims (b) and (c).
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from rmtcheck.studies.cnn.experiments import cnn_unlearning_grid, snr_fractions

    preset = "curve-quick" if quick else "curve"
    record_params(grid=preset)
    d = cnn_unlearning_grid(preset=preset, seed=seed)
    keys = ("obs_escape", "pred_asymptotic", "pred_horizon", "obs_left", "pred_forecast", "pred_tangent")
    f = snr_fractions(d["records"], keys)
    S = f["snr"]
    step = np.exp(np.diff(np.log(S)).mean()) if S.size > 1 else 2.0
    off = [step ** (0.2 * j) for j in (-1, 0, 1)]
    data = _arrays(d)
    data.update({f"wilson_{k}": v for k, v in f.items()})
    with style() as plt:
        fig, (a1, a2, a3, a4) = plt.subplots(1, 4, figsize=(_FULL, 3.2), width_ratios=(1.25, 1.25, 1, 1))
        _errorbars(a1, S, f, "obs_escape", off[0], "o-", "C0", r"observed: relative distance $\geq \tau$ at $K$")
        _errorbars(a1, S, f, "pred_asymptotic", off[1], "s--", "C1",
                   rf"exact: $\rho(T) > 1$ (agreement {d['agreement_asymptotic_all']:.2f})", mfc="white")
        _errorbars(a1, S, f, "pred_horizon", off[2], "^:", "C2",
                   rf"exact: RMS distance at $K \geq \tau$ (agreement {d['agreement_horizon_all']:.2f})", mfc="white")
        _errorbars(a2, S, f, "obs_left", off[0], "o-", "C3", r"observed: a loss $\geq \log 2$ at $K$")
        _errorbars(a2, S, f, "pred_forecast", off[1], "D-.", "C4",
                   rf"quadratic forecast (agreement {d['agreement_forecast_all']:.2f})", mfc="white")
        _errorbars(a2, S, f, "pred_tangent", off[2], "v--", "C5",
                   rf"tangent forecast (agreement {d['agreement_tangent_all']:.2f})", mfc="white")
        a1.set_title("distance escape", fontsize=8)
        a2.set_title(r"loss reaches $\log 2$", fontsize=8)
        for a in (a1, a2):
            a.set_ylim(-0.03, 1.03)
            a.set_ylabel(r"fraction of $\alpha > 0$ cells")
        data["sigma_r_per_seed"] = _per_seed(a3, d["records"], "sigma_r", "C7", "o")
        data["alignment_per_seed"] = _per_seed(a4, d["records"], "alignment", "C7", "s")
        a3.set_ylabel(r"retain coherence $\sigma_r$")
        a4.set_ylabel("retain–forget alignment")
        for a in (a1, a2, a3, a4):
            a.set_xscale("log")
            a.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            a.xaxis.set_minor_formatter(NullFormatter())
            a.set_xlabel("SNR")
        h, lab = [], []
        for a in (a1, a2):
            hh, ll = a.get_legend_handles_labels()
            h, lab = h + hh, lab + ll
        h += [plt.Line2D([], [], c="C7", marker="o", mfc="none", ls="none", ms=3.5), plt.Line2D([], [], c="C7", lw=1.0)]
        lab += [r"$\sigma_r$, alignment: each training seed", "their mean over the seeds"]
        fig.legend(h, lab, loc="outside lower center", ncol=2)
        return save_figure(fig, out_dir, "cnn-snr-escape", data)
