"""WeightWatcher's layer metrics and model summary (private; re-exported by :mod:`rmtcheck.randmat.spectral`).

:func:`ww_metrics` computes WeightWatcher's norm and rank metrics of an ESD, :func:`spectrum_summary` the
model-level means over the layers of :func:`rmtcheck.randmat.spectral.diagnose_layers`, and :data:`WW_ALIASES`
maps WeightWatcher's column names to this package's.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_finite_array

__all__ = ["WW_ALIASES", "ww_metrics", "spectrum_summary"]


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
        ``n_fitted``, ``n_skipped`` and ``flags`` (layer count per flag).

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
    return out
