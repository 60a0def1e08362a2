"""Figures for Dexter et al. (2024): the Hessian-test heatmap with exact and theorem boundaries.

* ``dexter-hessian-test`` (:func:`hessian_test`): the divergence fraction of the authors' Monte Carlo
  protocol over batch size and coherence, with the exact mean-square boundaries (without replacement,
  bernoulli), the Lyapunov boundary and the boundaries of Theorems 1 and 2 overlaid; cells where the exact
  growth factor is exactly 1 (decided in rationals, :func:`~rmtcheck.studies.dexter.experiments.exact_side`) are
  marked as boundary cells. Data from
  :func:`rmtcheck.studies.dexter.experiments.hessian_test_grid`.

References
----------
.. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
   Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1, Theorems 1–2.
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, save_figure, style


def _draw_hessian_test(grid, plt):
    lrs = grid.lrs
    fig, axes = plt.subplots(1, len(lrs), figsize=(6.5, 3.0), sharey=True, constrained_layout=True)
    axes = np.atleast_1d(axes)
    B, S = grid.B, grid.sigma
    for e, ax in enumerate(axes):
        im = ax.pcolormesh(B, S, grid.mc_fraction[e].T, shading="nearest", cmap="Greys", vmin=0, vmax=1,
                           rasterized=True)
        kw = dict(levels=[1.0], linewidths=1.3)
        ax.contour(B, S, grid.ms_growth_wor[e].T, colors=["C0"], **kw)
        ax.contour(B, S, grid.ms_growth_bernoulli[e].T, colors=["C4"], linestyles=":", **kw)
        ax.contour(B, S, grid.lyapunov_wor[e].T, levels=[0.0], colors=["C2"], linestyles="-.",
                   linewidths=1.3)
        ax.contour(B, S, grid.theorem1_ratio[e].T, colors=["C1"], linestyles="--", **kw)
        ax.contour(B, S, grid.theorem2_factor[e].T, colors=["C3"], linestyles=[(0, (1, 1))], **kw)
        # cells where rho(T) = 1 exactly (decided in rationals): neither stable nor divergent
        for side, color, marker in ((grid.side_wor, "C0", "o"), (grid.side_bernoulli, "C4", "s")):
            ib, js = np.nonzero(side[e] == 0)
            ax.scatter(B[ib], S[js], s=14, facecolors="none", edgecolors=color, marker=marker, linewidths=1.0,
                       zorder=3, clip_on=False)
        ax.set_title(f"$\\eta = {lrs[e]}$, $n = {grid.n}$, $\\lambda_{{\\max}} = {grid.lam:g}$")
        ax.set_xlabel("batch size $B$")
        if e == 0:
            ax.set_ylabel("coherence $\\sigma$")
    handles = [plt.Line2D([], [], color=c, ls=ls) for c, ls in
               (("C0", "-"), ("C4", ":"), ("C2", "-."), ("C1", "--"), ("C3", (0, (1, 1))))]
    handles += [plt.Line2D([], [], ls="none", marker=m, mfc="none", mec=c) for c, m in (("C0", "o"), ("C4", "s"))]
    labels = ["exact MS boundary (without repl.)", "exact MS boundary (bernoulli)",
              "Lyapunov = 0 (without repl.)", "Theorem 1 (r = 1)", "Theorem 2 (bernoulli construction)",
              r"$\rho(T) = 1$ exactly (without repl.)", r"$\rho(T) = 1$ exactly (bernoulli)"]
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    cb = fig.colorbar(im, ax=axes, shrink=0.8)
    cb.set_label("fraction of 10 runs diverged (authors' protocol)")
    return fig


@figure("dexter-hessian-test")
def hessian_test(out_dir, quick: bool = False, seed: int = 0):
    """Dexter et al. (2024) Fig. 1 re-run: divergence over (B, sigma) with exact boundaries overlaid.

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
    rmtcheck.studies.dexter.experiments.hessian_test_grid : the data.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1.
    """
    from rmtcheck.studies.dexter.experiments import hessian_test_grid

    grid = hessian_test_grid(rng=seed, quick=quick)
    with style() as plt:
        fig = _draw_hessian_test(grid, plt)
        return save_figure(fig, out_dir, "dexter-hessian-test", grid.as_dict())
