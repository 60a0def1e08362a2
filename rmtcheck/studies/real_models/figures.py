"""Figures of the pre-flight validation on real data: one per data set.

``real-models-digits``, ``real-models-breast-cancer``, ``real-models-mnist1d``: for each forget kind
(columns) and batch size (rows), the observed verdict of real GA/GDA unlearning (median over seeds: stay,
leave, collapse) over step size :math:`\\eta` and forget weight :math:`\\alpha`, with the boundary of
the pre-flight's tangent forecast (smallest :math:`\\eta` whose median simulated run is not "stay") overlaid,
the cells whose predicted verdict differs crossed out, and the quadratic forecast's boundary in grey for
comparison. Thresholds, steps, seeds and the batch models (fixed-size batches in the runs and the tangent
forecast, independent Bernoulli batches in the quadratic forecast) are in the caption. ``--quick`` uses the ``quick`` grid preset (< 60 s per data set on 2
cores), otherwise the ``default`` preset (minutes; ``--jobs N`` spreads its cells over processes).

Data come from :func:`rmtcheck.studies.real_models.experiments.real_models_grid`.

References
----------
.. [1] Chang & Khanna (2026), arXiv:2602.02986 [changkhanna2026] (the linear stability of descent–ascent).
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, record_params, save_figure, style

_COLORS = ("#56B4E9", "#E69F00", "#D55E00")  # stay, leave, collapse (Okabe–Ito)


def _arrays(d: dict) -> dict:
    out = {k: np.asarray(v) for k, v in d.items() if k not in ("records", "kinds", "seconds")}  # timings vary
    out["kinds"] = np.asarray(d["kinds"], dtype=str)
    return out


def _draw(dataset: str, out_dir, quick: bool, seed: int):
    from rmtcheck.studies.real_models.experiments import real_models_grid
    from rmtcheck.studies.real_models.models import VERDICTS

    preset = "quick" if quick else "default"
    record_params(grid=preset, dataset=dataset)
    d = real_models_grid(dataset, preset=preset, seed=seed)
    K, Bs, A, lrs = d["kinds"], d["batches"], d["alphas"], d["lrs"]
    r0 = d["records"][0]
    ratio = float(lrs[1] / lrs[0]) if lrs.size > 1 else 2.0
    edges = np.concatenate([lrs / np.sqrt(ratio), [lrs[-1] * np.sqrt(ratio)]])
    yedges = np.arange(len(A) + 1) - 0.5
    with style() as plt:
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.patches import Patch

        cmap, norm = ListedColormap(_COLORS), BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3)
        # printed at 6.5 in wide (the paper's text width), so every label is set at 7 pt or more
        # panels (0.33 in per alpha row) + gaps between batch sizes + title and legend margins, in inches: about
        # 4.1 in for the default grid, so the paper's 0.45 textheight cap does not shrink it
        height = 0.33 * len(Bs) * max(len(A), 2) + 0.3 * (len(Bs) - 1) + 1.8
        fig, axes = plt.subplots(len(Bs), len(K), figsize=(6.5, height), sharex=True, sharey=True, squeeze=False)
        for j, B in enumerate(Bs):
            for i, kind in enumerate(K):
                ax = axes[j, i]
                ax.pcolormesh(edges, yedges, d["obs_code"][i, j], cmap=cmap, norm=norm, rasterized=True)
                bad = np.argwhere(d["obs_code"][i, j] != d["pred_code"][i, j])
                ax.plot(lrs[bad[:, 1]], bad[:, 0], "x", color="k", ms=3.5, mew=0.8, ls="none")
                for key, color in (("pred_boundary_quadratic", "0.45"), ("pred_boundary", "k")):
                    pb = d[key][i, j]
                    ok = np.isfinite(pb)
                    ax.plot(pb[ok], np.arange(len(A))[ok], "|-", color=color, ms=9, mew=1.6, lw=0.6)
                ax.set_xscale("log")
                agree = float(np.mean(d["obs_code"][i, j] == d["pred_code"][i, j]))
                ax.set_title(f"{kind}, B={int(B)}: agree {agree:.2f}", fontsize=7.5)
                if j == len(Bs) - 1:
                    ax.set_xlabel(r"step size $\eta$")
            axes[j, 0].set_yticks(np.arange(len(A)), [("GA " if a == 1.0 else "") + f"{a:g}" for a in A])
            axes[j, 0].set_ylabel(r"forget weight $\alpha$")
        handles = [Patch(color=c, label=f"observed {v}") for c, v in zip(_COLORS, VERDICTS)]
        handles += [plt.Line2D([], [], color="k", marker="|", ms=8, mew=1.6, lw=0.6, label="predicted boundary"),
                    plt.Line2D([], [], color="0.45", marker="|", ms=8, mew=1.6, lw=0.6,
                               label="quadratic forecast's boundary"),
                    plt.Line2D([], [], color="k", marker="x", ls="none", ms=4, label="prediction differs")]
        fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
        fig.suptitle(f"{dataset}: MLP (n={r0['n']}, d={r0['n_params']}) trained to loss <= 0.01; {r0['steps']} steps of "
                     f"GA/GDA\ncell = median verdict of {r0['reps']} seeds; agreement over all cells "
                     f"{d['agreement_all']:.2f} (quadratic forecast {d['agreement_all_quadratic']:.2f})\nleave: forget "
                     f"loss +{r0['forget_rise_thr']:g} nats; collapse: retain loss +{r0['retain_rise_thr']:g} nats (takes "
                     f"precedence)\nprediction: median of {r0['forecast_runs']} runs of the linearised network (exact loss, the "
                     "runs' batches); grey: quadratic forecast", fontsize=7)
        fig.subplots_adjust(top=1 - 0.85 / height, bottom=0.95 / height, left=0.11, right=0.98, hspace=0.32,
                            wspace=0.08)
        return save_figure(fig, out_dir, f"real-models-{dataset.replace('_', '-')}", _arrays(d))


def _register(dataset: str):
    @figure(f"real-models-{dataset.replace('_', '-')}")
    def fig(out_dir, quick: bool = False, seed: int = 0):
        return _draw(dataset, out_dir, quick, seed)

    fig.__name__ = f"fig_real_models_{dataset}"
    fig.__doc__ = (f"Pre-flight vs real GA/GDA unlearning on {dataset}: observed verdict over (step size, alpha) per "
                   "forget kind and batch size, predicted boundary overlaid.\n\n"
                   "Parameters\n----------\nout_dir : str or pathlib.Path\n    Output folder.\n"
                   "quick : bool, optional\n    The quick grid preset.\nseed : int, optional\n    Root seed of the runs.\n\n"
                   "Returns\n-------\nlist of pathlib.Path\n    The PNG, PDF and NPZ paths.\n")
    return fig


fig_real_models_digits = _register("digits")
fig_real_models_breast_cancer = _register("breast_cancer")
fig_real_models_mnist1d = _register("mnist1d")
