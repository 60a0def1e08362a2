"""WeightWatcher's layer metrics and model summary (private; re-exported by :mod:`rmtcheck.randmat.spectral`).

:func:`ww_metrics` computes WeightWatcher's norm and rank metrics of an ESD, :func:`spectrum_summary` the
model-level means over the layers of :func:`rmtcheck.randmat.spectral.diagnose_layers`, :func:`spectrum_table` their
plain-text table, and :data:`WW_ALIASES` maps WeightWatcher's column names to this package's.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_finite_array

__all__ = ["WW_ALIASES", "ww_metrics", "spectrum_summary", "spectrum_table"]

#: The randomised-ESD columns :func:`spectrum_summary` averages (when the layers have them).
_RAND_MEANS = ("rand_distance", "ww_softrank", "ww_maxdist", "rand_mp_softrank", "rand_num_spikes")


#: WeightWatcher's column names of the quantities :meth:`LayerSpectrum.record` also reports under this package's.
WW_ALIASES = {"D": "ks_distance", "sigma": "alpha_stderr", "num_pl_spikes": "n_tail", "num_evals": "n_eigenvalues"}


def ww_metrics(evals, mp_edge: float | None = None) -> dict:
    """WeightWatcher's norm and rank metrics of an ESD.

    With :math:`\\lambda_i` the ESD (eigenvalues of :math:`W^\\top W`, pooled over slices):
    ``norm`` :math:`= \\sum_i\\lambda_i = \\|W\\|_F^2`, ``log_norm`` :math:`= \\log_{10}` of it,
    ``spectral_norm`` :math:`= \\lambda_{\\max}`, ``matrix_rank`` the number of eigenvalues above
    :math:`\\lambda_{\\max}\\, M\\, \\epsilon` (NumPy's ``matrix_rank`` rule in eigenvalue terms, :math:`\\epsilon` the
    float64 epsilon, :math:`M` the ESD size), ``entropy`` the spectral entropy
    :math:`-\\sum_i p_i\\ln p_i / \\ln R`, :math:`p_i = \\lambda_i/\\sum_j\\lambda_j` over the :math:`R` =
    ``matrix_rank`` retained eigenvalues (1 for a flat spectrum, 0 for rank one; [1]_), and ``mp_softrank``
    :math:`= \\lambda_+/\\lambda_{\\max}`, the Marchenko–Pastur bulk edge over the largest eigenvalue (``None``
    without a bulk fit).

    Parameters
    ----------
    evals : array_like, 1-D
        The ESD.
    mp_edge : float, optional
        Bulk edge :math:`\\lambda_+` of :func:`fit_mp`.

    Returns
    -------
    dict
        ``norm``, ``log_norm``, ``spectral_norm``, ``matrix_rank``, ``entropy``, ``mp_softrank`` (NaN where the
        ESD has no positive eigenvalue).

    References
    ----------
    .. [1] C. H. Martin and M. W. Mahoney (2021), "Implicit Self-Regularization in Deep Neural Networks:
       Evidence from Random Matrix Theory and Implications for Learning", Journal of Machine Learning
       Research 22(165), 1–73 [martin2021] (matrix entropy, MP soft rank).

    Examples
    --------
    >>> m = ww_metrics([1.0, 1.0, 1.0, 1.0], mp_edge=2.0)
    >>> m["norm"], m["matrix_rank"], round(m["entropy"], 12), m["mp_softrank"]
    (4.0, 4, 1.0, 2.0)
    """
    ev = np.clip(as_finite_array(evals, "evals", ndim=1), 0.0, None)
    top = float(ev.max()) if ev.size else 0.0
    if top <= 0:
        nan = float("nan")
        return {"norm": 0.0, "log_norm": nan, "spectral_norm": top, "matrix_rank": 0, "entropy": nan,
                "mp_softrank": nan}
    kept = ev[ev > top * ev.size * np.finfo(float).eps]
    p = kept / kept.sum()
    R = int(kept.size)
    ent = float(-np.sum(p * np.log(p)) / np.log(R)) if R > 1 else 0.0
    norm = float(ev.sum())
    return {"norm": norm, "log_norm": float(np.log10(norm)), "spectral_norm": top, "matrix_rank": R, "entropy": ent,
            "mp_softrank": None if mp_edge is None else float(mp_edge) / top}


def spectrum_summary(results) -> dict:
    """Model-level summary (WeightWatcher's ``get_summary``): the mean of each layer metric over fitted layers.

    Parameters
    ----------
    results : iterable of LayerSpectrum

    Returns
    -------
    dict
        ``alpha``, ``alpha_weighted``, ``log_alpha_norm``, ``log_norm``, ``log_spectral_norm``, ``stable_rank``,
        ``mp_softrank`` (means over the layers that were fitted; NaN when none was), ``n_layers``,
        ``n_fitted``, ``n_skipped`` and ``flags`` (layer count per flag); after ``randomize=True`` also the means of
        ``rand_distance``, ``ww_softrank``, ``ww_maxdist``, ``rand_mp_softrank`` and ``rand_num_spikes`` over the
        fitted layers (WeightWatcher's ``get_summary`` averages only the first seven).

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.randmat.spectral import diagnose_layers
    >>> W = np.random.default_rng(0).standard_normal((400, 200))
    >>> s = spectrum_summary(diagnose_layers({"a": W, "b": W[:5, :3]}, rng=0, bootstrap=0))
    >>> s["n_layers"], s["n_fitted"], s["n_skipped"], s["flags"]
    (2, 1, 1, {'under-trained': 1, 'skipped': 1})
    """
    recs = [r.record() for r in results]
    fitted = [r for r in recs if r["alpha"] is not None]
    keys = ("alpha", "alpha_weighted", "log_alpha_norm", "log_norm", "log_spectral_norm", "stable_rank",
            "mp_softrank")
    out = {k: (float(np.mean([r[k] for r in fitted])) if fitted else float("nan")) for k in keys}
    flags: dict = {}
    for r in recs:
        flags[r["flag"]] = flags.get(r["flag"], 0) + 1
    out.update(n_layers=len(recs), n_fitted=len(fitted), n_skipped=len(recs) - len(fitted), flags=flags)
    if fitted and fitted[0].get("rand_distance") is not None:
        out.update({k: float(np.mean([r[k] for r in fitted])) for k in _RAND_MEANS})
    return out


def spectrum_table(results) -> str:
    """Plain-text table of :func:`diagnose_layers` results.

    Parameters
    ----------
    results : iterable of LayerSpectrum
        Output of :func:`diagnose_layers` (or any :func:`diagnose` results).

    Returns
    -------
    str
        A header, a rule and one line per layer: name, shape, :math:`\\hat\\alpha`, its standard error and
        CI, :math:`x_{\\min}`, KS distance, tail size, stable rank, MP edge, number of spikes and flag; then, where
        the fit ran with them, the best fit, the clipped fingers and the randomised-ESD distance and spikes.

    Examples
    --------
    >>> print(spectrum_table([]).split()[:4])
    ['layer', 'shape', 'alpha', '±se']
    """
    head = f"{'layer':<20} {'shape':>11} {'alpha':>7} {'±se':>6} {'95% CI':>15} {'xmin':>10} {'D':>6} " \
           f"{'n_tail':>6} {'srank':>7} {'mp_edge':>10} {'spikes':>6}  flag"
    lines = [head, "-" * len(head)]
    for r in results:
        pl = r.powerlaw
        if pl is None:
            shp = "x".join(str(s) for s in r.shape)
            lines.append(f"{r.name[:20]:<20} {shp:>11}  skipped: {r.skipped}")
            continue
        ci = "" if not np.isfinite(pl.ci[0]) else f"[{pl.ci[0]:.2f},{pl.ci[1]:.2f}]"
        shp = "x".join(str(s) for s in r.shape)
        lines.append(f"{r.name[:20]:<20} {shp:>11} {pl.alpha:7.3f} {pl.alpha_stderr:6.3f} {ci:>15} "
                     f"{pl.xmin:10.4g} {pl.ks_distance:6.3f} {pl.n_tail:6d} {r.stable_rank:7.2f} "
                     f"{r.mp.edge:10.4g} {r.mp.n_spikes:6d}  {r.flag}" + _notes(r))
    return "\n".join(lines)


def _notes(r) -> str:
    """The optional notes of a table line: best fit, clipped fingers, randomised ESD."""
    pl, out = r.powerlaw, ""
    if "best_fit" in r.extra:
        out += f"  best fit: {r.extra['best_fit']} (p={r.extra['best_fit_p']:.2g})"
    if pl.fix_fingers == "clip_xmax":
        out += f"  fingers: {pl.n_clipped} clipped (raw alpha {pl.raw_alpha:.3f})"
    if pl.n_clipped and pl.fix_fingers is None:
        out += f"  xmax: top {pl.n_clipped} left out"
    if "randomize" in r.extra:
        rz = r.extra["randomize"]
        out += f"  random: distance {rz['rand_distance']:.3f}, spikes {rz['rand_num_spikes']}"
    return out
