"""Figures for Dexter et al. (2024): the Hessian-test heatmap with exact and theorem boundaries.

* ``dexter-hessian-test`` (:func:`hessian_test`): the divergence fraction of the authors' Monte Carlo
  protocol over batch size and coherence (log-spaced grid, log-log axes), with the exact mean-square
  boundaries (without replacement, bernoulli), the Lyapunov boundary and the boundaries of Theorems 1 and 2
  overlaid; cells where the exact growth factor is exactly 1 (decided in rationals,
  :func:`~rmtcheck.studies.dexter.experiments.exact_side`) are marked as boundary cells. Data from
  :func:`rmtcheck.studies.dexter.experiments.hessian_test_grid`.

References
----------
.. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
   Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1, Theorems 1–2.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.statistics import wilson_interval
from rmtcheck.plotting.registry import figure, save_figure, style

#: The figure's grid: every batch size and coherence up to 10, then log-spaced up to 49 and 50 (the axes
#: are logarithmic, so a linear grid would spend most cells on the right and top edges), plus the cells where
#: the bernoulli growth factor at eta = 0.5 is exactly 1, sigma = n/B - 1 (B = 2, 4, 5, 10, 20, 25).
FIG_B = np.array([1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 25, 31, 36, 42, 49])
FIG_SIGMA = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 17, 19, 21, 24, 28, 33, 38, 43, 49, 50])


def _edges(v):
    """Cell edges of a positive grid at the geometric midpoints (cells look even on a log axis)."""
    v = np.asarray(v, dtype=float)
    mid = np.sqrt(v[1:] * v[:-1])
    return np.concatenate([[v[0] ** 2 / mid[0]], mid, [v[-1] ** 2 / mid[-1]]])


def theorem_sigmas(lr: float, lam: float, n: int, B) -> tuple[np.ndarray, np.ndarray]:
    """Coherence on the boundary of Theorem 1 (:math:`r = 1`) and of Theorem 2 (factor 1) at batch sizes ``B``.

    Both closed forms are read from :mod:`rmtcheck.stability.thresholds`: :math:`r \\propto \\sigma^{-2}`, so
    :math:`\\sigma_1 = \\sqrt{r(\\sigma = 1)}`; the Theorem 2 factor is :math:`a + b/\\sigma`, so
    :math:`\\sigma_2 = b/(1 - a)` (``inf`` when :math:`a \\ge 1`).

    Parameters
    ----------
    lr, lam : float
        Step size and :math:`\\lambda_{\\max}`.
    n : int
        Samples.
    B : array_like
        Batch sizes in ``[1, n)``.

    Returns
    -------
    tuple of ndarray
        :math:`(\\sigma_1(B), \\sigma_2(B))`.
    """
    from rmtcheck.stability import thresholds as th

    B = np.asarray(B, dtype=float)
    s1 = np.sqrt(th.theorem1_ratio(lr, lam, 1.0, n, B))
    f1, f2 = th.theorem2_factor(lr, lam, 1.0, n, B), th.theorem2_factor(lr, lam, 2.0, n, B)
    b = 2 * (f1 - f2)
    a = f1 - b
    with np.errstate(divide="ignore"):
        s2 = np.where(a < 1, b / (1 - a), np.inf)
    return s1, s2


def _halo(artists, pe, width=2.6):
    """A white outline under lines and markers, so they read on every cell of the colour map."""
    for a in np.atleast_1d(artists):
        a.set_path_effects([pe.Stroke(linewidth=width, foreground="white"), pe.Normal()])


def _draw_hessian_test(grid, plt, runs):
    import matplotlib.patheffects as pe

    lrs = grid.lrs
    fig, axes = plt.subplots(1, len(lrs), figsize=(6.5, 3.55), sharey=True)  # full width (printed.figure_size)
    axes = np.atleast_1d(axes)
    B, S = grid.B, grid.sigma
    Bc = np.geomspace(B[0], min(B[-1], grid.n - 1), 200)
    for e, ax in enumerate(axes):
        im = ax.pcolormesh(_edges(B), _edges(S), grid.mc_fraction[e].T, cmap="cividis", vmin=0, vmax=1,
                           rasterized=True)
        lo, hi = wilson_interval(grid.mc_fraction[e] * runs, runs)
        ib, js = np.nonzero((lo <= 0.5) & (hi >= 0.5))  # the authors' verdict (> half diverge) is undecided
        _halo(ax.plot(B[ib], S[js], ls="none", marker="x", ms=3.2, mew=0.9, color="k", zorder=4), pe, 2.2)
        kw = dict(levels=[1.0], linewidths=1.3)
        cs = [ax.contour(B, S, grid.ms_growth_wor[e].T, colors=["C0"], **kw),
              ax.contour(B, S, grid.ms_growth_bernoulli[e].T, colors=["C4"], linestyles="-", levels=[1.0],
                         linewidths=2.2),
              ax.contour(B, S, grid.lyapunov_wor[e].T, levels=[0.0], colors=["C2"], linestyles="-.",
                         linewidths=1.3)]
        for c in cs:
            _halo(c, pe, 3.4)
        s1, s2 = theorem_sigmas(lrs[e], grid.lam, grid.n, Bc)
        _halo(ax.plot(Bc, s1, color="C1", ls="--", lw=1.3), pe)
        _, s2b = theorem_sigmas(lrs[e], grid.lam, grid.n, B)
        on = s2b <= S[-1]
        _halo(ax.plot(B[on], s2b[on], ls="none", marker="v", ms=4, mfc="C3", mec="C3"), pe, 1.8)
        # cells where rho(T) = 1 exactly (decided in rationals): neither stable nor divergent
        for side, color, marker in ((grid.side_wor, "C0", "o"), (grid.side_bernoulli, "C4", "s")):
            ib, js = np.nonzero(side[e] == 0)
            _halo(ax.scatter(B[ib], S[js], s=30, facecolors="none", edgecolors=color, marker=marker,
                             linewidths=1.2, zorder=3, clip_on=False), pe, 2.4)
        ax.set(xscale="log", yscale="log", xlim=_edges(B)[[0, -1]], ylim=_edges(S)[[0, -1]])
        ax.set_xticks([1, 2, 5, 10, 20, 49], labels=["1", "2", "5", "10", "20", "49"])
        ax.set_yticks([1, 2, 5, 10, 20, 50], labels=["1", "2", "5", "10", "20", "50"])
        ax.minorticks_off()
        ax.set_title(f"({'ab'[e]}) step size $\\eta = {lrs[e]}$")
        ax.set_xlabel("batch size $B$")
        if e == 0:
            ax.set_ylabel(r"coherence $\sigma$")
    handles = [plt.Line2D([], [], color=c, ls=ls, lw=lw) for c, ls, lw in
               (("C0", "-", 1.3), ("C4", "-", 2.2), ("C2", "-.", 1.3), ("C1", "--", 1.3))]
    handles += [plt.Line2D([], [], ls="none", marker="v", mfc="C3", mec="C3")]
    handles += [plt.Line2D([], [], ls="none", marker=m, mfc="none", mec=c) for c, m in (("C0", "o"), ("C4", "s"))]
    handles += [plt.Line2D([], [], ls="none", marker="x", ms=3.2, mew=0.9, color="k")]
    labels = [r"exact $\rho(T) = 1$, without replacement", r"exact $\rho(T) = 1$, bernoulli",
              "zero Lyapunov exponent, without replacement", r"Theorem 1, $r = 1$",
              "Theorem 2 (coincides with the bernoulli boundary)",
              r"cell with $\rho(T) = 1$ exactly, without replacement", r"cell with $\rho(T) = 1$ exactly, bernoulli",
              "Wilson 95 % interval of the fraction contains 1/2"]
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    cb = fig.colorbar(im, ax=axes, shrink=0.9)
    cb.set_label("fraction of 10 runs that diverge")
    return fig


@figure("dexter-hessian-test")
def hessian_test(out_dir, quick: bool = False, seed: int = 0):
    """Dexter et al. (2024) Fig. 1 re-run: Monte Carlo divergence over batch size $B$ and coherence $\\sigma$ with the exact and theorem boundaries ($n = 100$, $\\lambda_{\\max} = 2$; panels: step sizes). Colour: fraction of the authors' 10 runs (without replacement, 1000 steps) that diverge, $\\|w\\|^2 \\ge 1000\\|w_0\\|^2$, on a log-spaced grid; crosses: cells whose Wilson 95 % interval contains 1/2. Lines: exact mean-square boundary $\\rho(T) = 1$ without replacement (blue) and bernoulli (thick orange); exact almost-sure boundary, Lyapunov exponent 0, without replacement (green, dash-dot); Theorem 1, $r = 1$ (vermillion, dashed). Theorem 2's boundary (purple triangles) coincides with the bernoulli one: both put every cell on the same side. Open markers: cells with $\\rho(T) = 1$ exactly.

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
    from rmtcheck.stability.montecarlo import DexterProtocol
    from rmtcheck.studies.dexter.experiments import hessian_test_grid

    grid = (hessian_test_grid(rng=seed, quick=True) if quick
            else hessian_test_grid(B_values=FIG_B, sigma_values=FIG_SIGMA, rng=seed))
    data = grid.as_dict()
    # the Theorem 2 and bernoulli boundaries coincide: cells on opposite sides (decided cells only), per lr
    th2 = np.sign(grid.theorem2_factor - 1).astype(np.int8)
    data["theorem2_bernoulli_disagree"] = np.sum((grid.side_bernoulli != 0) & (grid.side_bernoulli != th2),
                                                 axis=(1, 2))
    with style() as plt:
        fig = _draw_hessian_test(grid, plt, DexterProtocol().runs)
        return save_figure(fig, out_dir, "dexter-hessian-test", data)
