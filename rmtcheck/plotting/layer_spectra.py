"""Per-layer ESD figures of :func:`rmtcheck.randmat.spectral.diagnose_layers` (``rmtcheck spectrum --plot DIR``).

For each fitted layer, :func:`plot_layer` draws two panels at the paper's text width (6.5 in, every text
between 7 and 10 pt in print but one-level mathtext scripts at 0.7 of it, one legend below the panels):

* the ESD on log–log axes (density per logarithmic bin), the Marchenko–Pastur bulk edge :math:`\\lambda_+`, the
  chosen :math:`x_{\\min}` and the fitted power law
  :math:`p(\\lambda) = \\frac{n_{\\rm tail}}{n}\\frac{\\hat\\alpha - 1}{x_{\\min}}(\\lambda/x_{\\min})^{-\\hat\\alpha}`
  over the tail (the fit's density scaled by the fraction of eigenvalues in the tail);
* :math:`\\hat\\alpha` against the candidate :math:`x_{\\min}`, with the chosen candidate marked (the
  Clauset–Shalizi–Newman scan; pruned candidates of a large spectrum are still drawn: their :math:`\\hat\\alpha` is
  exact, only their KS distance is not computed).

Files are written through :func:`rmtcheck.plotting.registry.save_figure` (PNG and PDF, identical bytes for identical
input, and the data behind each figure as NPZ/CSV), named ``NN-LAYER`` after the layer's position and name.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from rmtcheck.plotting.printed import figure_size
from rmtcheck.plotting.registry import legend_entries, save_figure, style

__all__ = ["plot_layer", "plot_layers"]


def _file_name(r) -> str:
    return f"{r.layer_id:02d}-" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", r.name).strip("._") or "layer")


def _log_axis(axis) -> None:
    """Decade ticks labelled by matplotlib's mathtext powers of ten (:math:`10^k`, the exponent a real
    superscript at 0.7 x the tick size, which :func:`~rmtcheck.plotting.printed.check_printed` allows), at most
    eight; minor ticks unlabelled."""
    from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10.0, numticks=8))
    axis.set_major_formatter(LogFormatterSciNotation())
    axis.set_minor_formatter(NullFormatter())


def plot_layer(result, out_dir) -> list[Path]:
    """The two-panel ESD figure of one layer (module notes), 6.5 in wide, text in [7, 10] pt (scripts 0.7 of it).

    Parameters
    ----------
    result : LayerSpectrum
        A fitted layer (``result.powerlaw`` is not ``None``).
    out_dir : str or Path
        Output directory (created if missing).

    Returns
    -------
    list of Path
        The PNG, PDF and NPZ written.

    Raises
    ------
    ValueError
        If the layer was skipped (no fit to draw).
    """
    pl, ev = result.powerlaw, np.asarray(result.eigenvalues)
    if pl is None:
        raise ValueError(f"layer {result.name!r} was skipped ({result.skipped}): no fit to plot")
    pos = ev[ev > 0]
    bins = np.geomspace(pos.min(), pos.max() * (1 + 1e-12), 41)
    dens, _ = np.histogram(pos, bins=bins, density=True)
    centres = np.sqrt(bins[:-1] * bins[1:])
    frac = pl.n_tail / pos.size
    clipped = int(getattr(pl, "n_clipped", 0) or 0)  # top eigenvalues an xmax or fix_fingers left out of the fit
    top = float(pl.xmax) if clipped and np.isfinite(pl.xmax) else float(pos.max())
    grid = np.geomspace(pl.xmin, top, 100)
    fitted = frac * (pl.alpha - 1.0) / pl.xmin * (grid / pl.xmin) ** (-pl.alpha)
    with style() as plt:
        fig, (a0, a1) = plt.subplots(1, 2, figsize=figure_size("full", 2.9))
        a0.loglog(centres[dens > 0], dens[dens > 0], "o", color="C0", ms=3, mfc="none", label="ESD (log bins)")
        a0.loglog(grid, fitted, "-", color="C1", label=rf"power law, $\hat\alpha$ = {pl.alpha:.2f}")
        a0.axvline(pl.xmin, color="C2", ls="--", lw=1, label=r"chosen $x_{\min}$")
        if clipped:
            a0.axvline(top, color="C3", ls="-.", lw=1,
                       label=rf"$x_{{\max}}$: top {clipped} eigenvalue{'s' if clipped > 1 else ''} left out of the fit")
        if result.mp is not None:
            a0.axvline(result.mp.edge, color="k", ls=":", lw=1.2, label=r"Marchenko–Pastur edge $\lambda_+$")
        a0.set_xlabel(r"eigenvalue $\lambda$ of $W^{\mathsf{T}}W$" if result.rf == 1 else
                      rf"eigenvalue $\lambda$ (pooled over {result.rf} slices)")
        a0.set_ylabel(r"density $p(\lambda)$")
        ok = np.isfinite(pl.alphas)
        a1.semilogx(pl.xmins[ok], pl.alphas[ok], "-", color="C0", lw=1, label=r"fit at each candidate $x_{\min}$")
        a1.semilogx([pl.xmin], [pl.alpha], "D", color="C1", mec="k", ms=5, ls="none",
                    label=f"chosen: smallest KS distance, D = {pl.ks_distance:.3f}")
        a1.set_xlabel(r"candidate lower cutoff $x_{\min}$")
        a1.set_ylabel(r"fitted exponent $\hat\alpha$")
        for ax in (a0, a1):
            _log_axis(ax.xaxis)
        _log_axis(a0.yaxis)
        fig.legend(*legend_entries(a0, a1), loc="outside lower center", ncol=3)
        fig.suptitle(f"{result.name} ({result.layer_type}, rf = {result.rf}, {ev.size} eigenvalues): {result.flag}")
        data = {"eigenvalues": ev, "bin_edges": bins, "density": dens, "xmins": pl.xmins, "alphas": pl.alphas,
                "alpha": np.array(pl.alpha), "xmin": np.array(pl.xmin), "xmax": np.array(top),
                "n_clipped": np.array(clipped)}
        return save_figure(fig, out_dir, _file_name(result), data=data)


def plot_layers(results, out_dir) -> list[Path]:
    """:func:`plot_layer` for every fitted layer (skipped layers have no fit and no figure).

    Parameters
    ----------
    results : iterable of LayerSpectrum
    out_dir : str or Path

    Returns
    -------
    list of Path
    """
    paths = []
    for r in results:
        if r.powerlaw is not None:
            paths += plot_layer(r, out_dir)
    return paths
