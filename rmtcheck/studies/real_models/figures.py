"""Figures of the pre-flight validation on real data: one per data set.

``real-models-digits``, ``real-models-breast-cancer``, ``real-models-mnist1d`` draw exactly the cells that the
verify rows ``real_models.agreement.<dataset>`` and ``real_models.boundary.<dataset>`` measure (the same
function, parameters and seeds: :func:`rmtcheck.studies.real_models.statements._group`): per forget kind
(panels) and forget weight :math:`\\alpha` (rows), the observed verdict of real GA/GDA unlearning over step size
:math:`\\eta` (median of the seeds: stay, leave, collapse), the cells where the seeds split, the predicted
verdict's misses, and the boundary step sizes of the tangent forecast and of the quadratic forecast.

Why not the larger ``default`` grid preset of :data:`~rmtcheck.studies.real_models.experiments.PRESETS`
(``n = 300``, two batch sizes, three alphas, 5 seeds): it takes 5–15 minutes per data set on 2 cores (the
quadratic forecast of each GDA cell alone is close to a minute), against about 25 s for all three data sets
here, and it is not what the paper's numbers measure. ``rmtcheck sweep run real-models`` still computes it.

References
----------
.. [1] Chang & Khanna (2026), arXiv:2602.02986 [changkhanna2026] (the linear stability of descent–ascent).
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.printed import figure_size
from rmtcheck.plotting.registry import figure, record_params, save_figure, style

#: Verdict colours and hatches (stay, leave, collapse): Okabe–Ito hues of distinct lightness, hatched, so
#: that they stay apart in greyscale.
VERDICT_STYLE = (("#F0E442", ""), ("#E69F00", "////"), ("#0072B2", "...."))
_KIND_TITLES = {"random": "random forget set", "class": "one class forgotten", "highest_loss": "highest-loss samples"}


def _verify_cell(params: dict, seed: int) -> dict:
    """One (kind, alpha) group of the verify rows' instance (a sweep cell function: JSON params and a seed)."""
    from rmtcheck.studies.real_models import statements as S

    return S._group(params["dataset"], params["kind"], float(params["alpha"]), int(seed))


def verification_cells(dataset: str, seed: int = 0, jobs: int | None = None, store=None) -> list[dict]:
    """The records of the verify rows' instance of ``dataset`` (every forget kind and alpha), in that order.

    They come from the verify rows' own function (:func:`rmtcheck.studies.real_models.statements._group`), so the
    figure shows the cells whose agreement and boundary factor those rows report.

    Parameters
    ----------
    dataset : {"digits", "breast_cancer", "mnist1d"}
    seed : int, default 0
        The instance seed (the verify rows use 0).
    jobs : int, default 1
        Worker processes for the six (kind, alpha) groups. ``rmtcheck figures --jobs`` does not reach here: each
        worker imports the package and trains the model again, which costs more than it saves on these
        seconds-long groups (MNIST-1D on 2 busy cores: 8.7 s in one process, 32 s with 2 workers).
    store : str or Path, optional
        A sweep store keeping every finished group (default: ``rmtcheck figures --store``), so a second run
        reads them back (experiment ``real-models-verify``).

    Returns
    -------
    list of dict
        :func:`rmtcheck.studies.real_models.experiments.real_models_cell` records; they do not depend on
        ``jobs`` or ``store``.
    """
    from rmtcheck.studies.real_models import statements as S
    from rmtcheck.studies.real_models.data import FORGET_KINDS
    from rmtcheck.sweep import sweep_map, sweep_option

    cells = [{"dataset": dataset, "kind": k, "alpha": float(a)} for k in FORGET_KINDS for a in S._ALPHAS]
    seeds = [int(seed)] * len(cells)
    jobs = 1 if jobs is None else int(jobs)
    store = sweep_option("store") if store is None else store
    if jobs <= 1 and store is None:
        return [_verify_cell(c, s) for c, s in zip(cells, seeds)]
    return list(sweep_map("real-models-verify", jobs=jobs, store=store)(_verify_cell, cells, seeds))


def grid_arrays(recs: list[dict]) -> dict:
    """Arrays ``[kind, alpha, lr]`` of a list of cell records (verdicts coded 0 stay, 1 leave, 2 collapse).

    Parameters
    ----------
    recs : list of dict
        Cell records over a full (kind, alpha) product sharing one step-size grid.

    Returns
    -------
    dict
        ``kinds``, ``alphas``, ``lrs``, ``obs_code``, ``pred_code``, ``pred_code_quadratic``, ``seeds_split``
        (the seeds' verdicts are not all equal), ``pred_boundary``, ``pred_boundary_quadratic``,
        ``obs_boundary`` (NaN where not crossed), ``agreement`` per kind, ``agreement_all`` and
        ``agreement_all_quadratic``.
    """
    from rmtcheck.studies.real_models.models import VERDICTS

    kinds = list(dict.fromkeys(r["kind"] for r in recs))
    alphas = sorted({r["alpha"] for r in recs}, reverse=True)
    lrs = np.asarray(recs[0]["lrs"], float)
    code = {v: i for i, v in enumerate(VERDICTS)}
    shape = (len(kinds), len(alphas))
    out = {"kinds": np.asarray(kinds, dtype=str), "alphas": np.asarray(alphas), "lrs": lrs}
    for key in ("obs_code", "pred_code", "pred_code_quadratic", "seeds_split"):
        out[key] = np.full(shape + (lrs.size,), -1)
    for key in ("pred_boundary", "pred_boundary_quadratic", "obs_boundary"):
        out[key] = np.full(shape, np.nan)
    for r in recs:
        i, j = kinds.index(r["kind"]), alphas.index(r["alpha"])
        for key, src in (("obs_code", "obs"), ("pred_code", "pred"), ("pred_code_quadratic", "pred_quadratic")):
            out[key][i, j] = [code[v] for v in r[src]]
        out["seeds_split"][i, j] = [len(set(v)) > 1 for v in r["obs_verdicts"]]
        for key in ("pred_boundary", "pred_boundary_quadratic", "obs_boundary"):
            out[key][i, j] = np.nan if r[key] is None else r[key]
    match = out["obs_code"] == out["pred_code"]
    out["agreement"] = match.reshape(len(kinds), -1).mean(axis=1)
    out["agreement_all"] = np.asarray(match.mean())
    out["agreement_all_quadratic"] = np.asarray(np.mean(out["obs_code"] == out["pred_code_quadratic"]))
    return out


def _hatch(ax, codes, edges):
    """Hatched rectangles over the runs of equal verdict along each row (greyscale-safe categories)."""
    from matplotlib.patches import Rectangle

    for c, (_, hatch) in enumerate(VERDICT_STYLE):
        if not hatch:
            continue
        for row in range(codes.shape[0]):
            on = np.concatenate([[0], (codes[row] == c).astype(int), [0]])
            for s0, s1 in zip(np.flatnonzero(np.diff(on) == 1), np.flatnonzero(np.diff(on) == -1)):
                ax.add_patch(Rectangle((edges[s0], row - 0.5), edges[s1] - edges[s0], 1.0, facecolor="none",
                                       edgecolor="k", hatch=hatch, lw=0, alpha=0.35))


def _draw(dataset: str, out_dir, quick: bool, seed: int):
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, FuncFormatter

    from rmtcheck.studies.real_models.models import VERDICTS

    recs = verification_cells(dataset, seed)
    r0 = recs[0]
    record_params(dataset=dataset, instance="verify rows real_models.agreement/boundary", n=r0["n"],
                  hidden=r0["hidden"], steps=r0["steps"], batch=r0["batch"], reps=r0["reps"],
                  forecast_runs=r0["forecast_runs"])
    d = grid_arrays(recs)
    K, A, lrs = d["kinds"], d["alphas"], d["lrs"]
    ratio = float(lrs[1] / lrs[0]) if lrs.size > 1 else 2.0
    edges = np.concatenate([lrs / np.sqrt(ratio), [lrs[-1] * np.sqrt(ratio)]])
    rows = np.arange(len(A))
    with style() as plt:
        cmap, norm = ListedColormap([c for c, _ in VERDICT_STYLE]), BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3)
        fig, axes = plt.subplots(1, len(K), figsize=figure_size("full", 0.42 * len(A) + 1.75), sharey=True,
                                 squeeze=False)
        for i, kind in enumerate(K):
            ax = axes[0, i]
            ax.pcolormesh(edges, np.arange(len(A) + 1) - 0.5, d["obs_code"][i], cmap=cmap, norm=norm, rasterized=True)
            _hatch(ax, d["obs_code"][i], edges)
            split = np.argwhere(d["seeds_split"][i] == 1)
            ax.plot(lrs[split[:, 1]], split[:, 0] + 0.28, "o", color="k", ms=2.2, ls="none")
            bad = np.argwhere(d["obs_code"][i] != d["pred_code"][i])
            ax.plot(lrs[bad[:, 1]], bad[:, 0], "x", color="k", ms=5, mew=1.1, ls="none")
            for key, colour in (("pred_boundary_quadratic", "0.5"), ("pred_boundary", "k")):
                pb = d[key][i]  # a bar in the lower part of each row, clear of the crosses and dots
                ok = np.isfinite(pb)
                ax.vlines(pb[ok], rows[ok] - 0.47, rows[ok] - 0.17, color=colour, lw=2.2)
            ax.set_xscale("log")
            ax.set_xlim(edges[0], edges[-1])
            ax.set_title(f"{_KIND_TITLES.get(kind, kind)}\nagreement {d['agreement'][i]:.2f}")
            ax.set_xlabel(r"step size $\eta$")
            ax.minorticks_off()
            ticks = lrs[::2]
            ax.xaxis.set_major_locator(FixedLocator(ticks))  # plain numbers: mathtext powers print below 7 pt
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
        axes[0, 0].set_yticks(rows, [("GA, " if a == 1.0 else "GDA, ") + rf"$\alpha$ = {a:g}" for a in A])
        axes[0, 0].set_ylim(-0.5, len(A) - 0.5)
        handles = [Patch(facecolor=c, edgecolor="k", hatch=h, lw=0.4, label=f"observed: {v}")
                   for (c, h), v in zip(VERDICT_STYLE, VERDICTS)]
        handles += [plt.Line2D([], [], color="k", marker="o", ms=2.2, ls="none", label="seeds disagree"),
                    plt.Line2D([], [], color="k", marker="x", ms=5, mew=1.1, ls="none", label="prediction differs"),
                    plt.Line2D([], [], color="k", marker="|", ms=10, mew=2.0, ls="none",
                               label="predicted boundary (tangent)"),
                    plt.Line2D([], [], color="0.5", marker="|", ms=10, mew=2.0, ls="none",
                               label="boundary of the quadratic forecast")]
        fig.legend(handles=handles, loc="outside lower center", ncol=4)
        fig.suptitle(f"{dataset.replace('_', ' ')}: MLP with {r0['n_params']} weights on n = {r0['n']} samples; "
                     f"agreement over all {d['obs_code'].size} cells {float(d['agreement_all']):.2f} "
                     f"(quadratic forecast {float(d['agreement_all_quadratic']):.2f})")
        return save_figure(fig, out_dir, f"real-models-{dataset.replace('_', '-')}", d)


_CAPTION = (
    "Pre-flight forecast against real gradient-ascent unlearning on {name}, on the cells of the verify rows "
    "real_models.agreement.{ds} and real_models.boundary.{ds}. A tanh MLP trained to loss $\\le 0.01$ on "
    "$n = 100$ samples is unlearned by 20 steps of gradient ascent (GA, $\\alpha = 1$) or descent–ascent "
    "(GDA, $\\alpha = 0.5$) with batches of $B = 4$ drawn without replacement; panels: forget kind; columns: step "
    "size $\\eta$ (factor $\\sqrt 2$). Cell colour: the median verdict of 3 seeds (yellow stay; orange, hatched, "
    "leave: forget loss up 0.5 nats; blue, dotted, collapse: retain loss up 0.5 nats); dots: the seeds disagree; "
    "crosses: the tangent forecast (median of 32 runs of the linearised network) predicts another verdict. Bars: "
    "its boundary step size (black) and the quadratic forecast's (grey; no bar: not crossed on the grid).\n\n")


def _register(dataset: str, name: str):
    @figure(f"real-models-{dataset.replace('_', '-')}")
    def fig(out_dir, quick: bool = False, seed: int = 0):
        return _draw(dataset, out_dir, quick, seed)

    fig.__name__ = f"fig_real_models_{dataset}"
    fig.__doc__ = (_CAPTION.format(name=name, ds=dataset)
                   + "Parameters\n----------\nout_dir : str or pathlib.Path\n    Output folder.\n"
                   "quick : bool, optional\n    Ignored: the verification instance takes seconds.\n"
                   "seed : int, optional\n    Instance seed (training seed ``seed % 1000``, run seed ``seed``); the "
                   "verify rows use 0.\n\nReturns\n-------\nlist of pathlib.Path\n    The PNG, PDF and NPZ paths.\n")
    return fig


fig_real_models_digits = _register("digits", "scikit-learn's digits")
fig_real_models_breast_cancer = _register("breast_cancer", "breast cancer")
fig_real_models_mnist1d = _register("mnist1d", "MNIST-1D")
