"""Per-layer ESD figures of :func:`rmtcheck.randmat.spectral.diagnose_layers` (``rmtcheck spectrum --plot DIR``).

For each fitted layer, :func:`plot_layer` draws two panels at the paper's text width (6.5 in, every text
between 7 and 10 pt in print, one legend below the panels):

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
from rmtcheck.plotting.registry import save_figure, style

__all__ = ["plot_layer", "plot_layers"]


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _file_name(r) -> str:
    return f"{r.layer_id:02d}-" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", r.name).strip("._") or "layer")


def _tick(v) -> str:
    """A log-axis tick as plain text: a power of ten as 10 with a Unicode exponent (mathtext sets exponents at
    70 % of the tick size, below the 7 pt print minimum), anything else as a number."""
    if v <= 0 or not np.isfinite(v):
        return ""
    k = int(np.round(np.log10(v)))
    return "10" + str(k).translate(_SUP) if np.isclose(v, 10.0**k, rtol=1e-9) else f"{v:g}"


def _plain_log(axis) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10.0, numticks=8))
    axis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v)))
    axis.set_minor_formatter(NullFormatter())


def plot_layer(result, out_dir) -> list[Path]:
    """The two-panel ESD figure of one layer (module notes), 6.5 in wide with every text in [7, 10] pt.

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
    grid = np.geomspace(pl.xmin, pos.max(), 100)
    fitted = frac * (pl.alpha - 1.0) / pl.xmin * (grid / pl.xmin) ** (-pl.alpha)
    with style() as plt:
        fig, (a0, a1) = plt.subplots(1, 2, figsize=figure_size("full", 2.9))
        a0.loglog(centres[dens > 0], dens[dens > 0], "o", color="C0", ms=3, mfc="none", label="ESD (log bins)")
        a0.loglog(grid, fitted, "-", color="C1", label=rf"power law, $\hat\alpha$ = {pl.alpha:.2f}")
        a0.axvline(pl.xmin, color="C2", ls="--", lw=1, label=r"chosen $x$ₘᵢₙ")
        if result.mp is not None:
            a0.axvline(result.mp.edge, color="k", ls=":", lw=1.2, label=r"Marchenko–Pastur edge $\lambda$₊")
        a0.set_xlabel(r"eigenvalue $\lambda$ of $W$ᵀ$W$" if result.rf == 1 else
                      rf"eigenvalue $\lambda$ (pooled over {result.rf} slices)")
        a0.set_ylabel(r"density $p(\lambda)$")
        ok = np.isfinite(pl.alphas)
        a1.semilogx(pl.xmins[ok], pl.alphas[ok], "-", color="C0", lw=1, label=r"fit at each candidate $x$ₘᵢₙ")
        a1.semilogx([pl.xmin], [pl.alpha], "D", color="C1", mec="k", ms=5, ls="none",
                    label=f"chosen: smallest KS distance, D = {pl.ks_distance:.3f}")
        a1.set_xlabel(r"candidate lower cutoff $x$ₘᵢₙ")
        a1.set_ylabel(r"fitted exponent $\hat\alpha$")
        for ax in (a0, a1):
            _plain_log(ax.xaxis)
        _plain_log(a0.yaxis)
        fig.legend(*_merged(a0, a1), loc="outside lower center", ncol=3)
        fig.suptitle(f"{result.name} ({result.layer_type}, rf = {result.rf}, {ev.size} eigenvalues): {result.flag}")
        data = {"eigenvalues": ev, "bin_edges": bins, "density": dens, "xmins": pl.xmins, "alphas": pl.alphas,
                "alpha": np.array(pl.alpha), "xmin": np.array(pl.xmin)}
        return save_figure(fig, out_dir, _file_name(result), data=data)


def _merged(*axes):
    handles, labels = [], []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    return handles, labels


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
