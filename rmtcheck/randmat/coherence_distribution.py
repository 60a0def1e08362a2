"""Monte Carlo sampling of the coherence of random rank-one Hessian families.

This module holds the sampler :func:`coherence_distribution`, its result :class:`CoherenceDistribution`
and the names of the built-in designs, :data:`DESIGNS`. One call draws ``instances`` independent
families :math:`g_1, \\dots, g_n \\in \\mathbb R^d` from a design (isotropic or anisotropic Gaussian rows,
the linear factors of the signal-plus-noise patch model, or any user sampler) and records, per
instance, the coherence :math:`\\sigma` of :math:`H_i = g_ig_i^\\top` (definition in
:mod:`rmtcheck.stability.coherence`, after [1]_, Def. 1) together with the Gram statistics that the
predictions of :mod:`rmtcheck.randmat.coherence_predictions` are built from.

Implementation: instances are drawn and reduced in chunks of about 64 MB (one batched GEMM for the
Gram matrices, a batched certified power iteration for :math:`\\lambda_{\\max}(|G|)`). A background
thread draws chunk :math:`i+1` from the same generator, in order, while chunk :math:`i` is reduced, so
the numbers are exactly those of a serial loop.

References
----------
.. [1] G. Dexter, B. Ocejo, S. Keerthi, A. Gupta, A. Acharya and R. Khanna (2024), "A Precise
   Characterization of SGD Stability Using Loss Surface Geometry", International Conference on
   Learning Representations (ICLR) [dexter2024], Def. 1.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.randmat.designs import _check_snr_args, signal_noise_batch
from rmtcheck.stability.coherence import _coherence_stack

__all__ = [
    "DESIGNS", "CoherenceDistribution", "coherence_distribution",
]


#: Designs understood by :func:`coherence_distribution`.
DESIGNS = ("isotropic", "anisotropic", "patch")


_CHUNK_ELEMENTS = 8_000_000  # about 64 MB of float64 per chunk


@dataclass
class CoherenceDistribution:
    """Coherence and Gram statistics of ``instances`` sampled families (plain data).

    With :math:`G = (\\langle g_i, g_k\\rangle)_{ik}` the signed Gram matrix of one instance and
    :math:`|G|` its entrywise absolute value, :math:`\\sigma = \\lambda_{\\max}(|G|)/\\max_i\\|g_i\\|^2`.

    Attributes
    ----------
    design : str
        Design name (``__name__`` of a callable sampler, ``"custom"`` if it has none).
    params : dict
        Normalised design parameters.
    n, d : int
        Members per family and the ``d`` argument of the call.
    instances : int
        Number of sampled families ``m``.
    seed_entropy : int or None
        Entropy of the ``SeedSequence`` built when ``rng`` was ``None`` or an int (else ``None``).
    sigma : ndarray of shape (m,)
        Coherence of each instance.
    lambda_max : ndarray of shape (m,)
        :math:`\\lambda_{\\max}(|G|)`.
    max_norm2 : ndarray of shape (m,)
        :math:`\\max_i \\|g_i\\|^2`.
    norms2 : ndarray of shape (m, n)
        All :math:`\\|g_i\\|^2`.
    mean_abs_offdiag : ndarray of shape (m,)
        Mean of :math:`|G_{ik}|`, :math:`i \\ne k`.
    max_abs_offdiag : ndarray of shape (m,)
        Max of :math:`|G_{ik}|`, :math:`i \\ne k`.
    offdiag : ndarray of shape (m, n-1)
        The signed entries :math:`G_{1k}`, :math:`k \\ge 2` (a sample for histograms).
    gram_eigs : ndarray of shape (m, n) or None
        Ascending eigenvalues of :math:`G` (with ``spectra=True``).
    abs_eigs : ndarray of shape (m, n) or None
        Ascending eigenvalues of :math:`|G|` (with ``spectra=True``; the Marchenko–Pastur law describes
        :math:`G`, not :math:`|G|`).

    See Also
    --------
    coherence_distribution : Produces this record.
    """

    design: str
    params: dict
    n: int
    d: int
    instances: int
    seed_entropy: int | None
    sigma: np.ndarray
    lambda_max: np.ndarray
    max_norm2: np.ndarray
    norms2: np.ndarray
    mean_abs_offdiag: np.ndarray
    max_abs_offdiag: np.ndarray
    offdiag: np.ndarray
    gram_eigs: np.ndarray | None = None
    abs_eigs: np.ndarray | None = None

    def to_dict(self) -> dict:
        """All fields as a plain ``dict`` (:func:`dataclasses.asdict`)."""

        return asdict(self)


def _design_sampler(design, n, d, params):
    """Return ``draw(rng, m) -> (m, n, d')`` and the normalised parameters."""
    if callable(design):
        return (lambda rng, m: np.asarray(design(rng, m), dtype=np.float64)), dict(params)
    if design == "isotropic":
        scale = check_positive(params.pop("scale", 1.0), "scale")
        if params:
            raise ValueError(f"unknown parameters for design 'isotropic': {sorted(params)}")
        return (lambda rng, m: rng.standard_normal((m, n, d)) * scale), {"scale": scale}
    if design == "anisotropic":
        spec = params.pop("spectrum", None)
        if spec is None:
            raise ValueError("design 'anisotropic' needs spectrum= (d eigenvalues of the covariance)")
        lam = as_finite_array(spec, "spectrum", ndim=1)
        if lam.shape != (d,) or np.any(lam < 0) or not np.any(lam > 0):
            raise ValueError(f"spectrum must be {d} non-negative eigenvalues, not all zero; got shape {lam.shape}")
        if params:
            raise ValueError(f"unknown parameters for design 'anisotropic': {sorted(params)}")
        sq = np.sqrt(lam)
        # sigma is invariant to a common rotation, so the covariance's eigenbasis is irrelevant: use diag
        return (lambda rng, m: rng.standard_normal((m, n, d)) * sq), {"spectrum": lam}
    if design == "patch":
        kw = {"snr": params.pop("snr", None), "vary": params.pop("vary", "mu"),
              "mu_norm": params.pop("mu_norm", 1.0), "sigma_p": params.pop("sigma_p", 1.0),
              "noise": params.pop("noise", "projected"), "combine": params.pop("combine", "sum")}
        if kw["snr"] is None:
            raise ValueError("design 'patch' needs snr=")
        if params:
            raise ValueError(f"unknown parameters for design 'patch': {sorted(params)}")
        _check_snr_args(n, d, kw["snr"], kw["vary"], kw["mu_norm"], kw["sigma_p"], 0.0, kw["noise"])
        return (lambda rng, m: signal_noise_batch(m, n, d, rng=rng, **kw)), kw
    raise ValueError(f"design must be one of {DESIGNS} or a callable sampler(rng, m); got {design!r}")


def _reduce_chunk(X, k, n, iu, spectra) -> dict:
    """Summaries of one chunk of sampled designs (see :func:`coherence_distribution`)."""
    if X.shape[:2] != (k, n):
        raise ValueError(f"design sampler returned shape {X.shape}; expected ({k}, {n}, d)")
    r = _coherence_stack(X, spectra=spectra)
    G = r["gram"]
    off = np.abs(G[:, iu[0], iu[1]])
    part = {"sigma": r["sigma"], "lambda_max": r["lambda_max"], "norms2": r["norms2"],
            "max_norm2": r["norms2"].max(axis=1), "mean_abs_offdiag": off.mean(axis=1),
            "max_abs_offdiag": off.max(axis=1), "offdiag": G[:, 0, 1:].copy()}
    if spectra:
        part["gram_eigs"] = r["gram_eigs"]
        part["abs_eigs"] = np.linalg.eigvalsh(np.abs(G))
    return part


def coherence_distribution(design, instances, n, d, rng=None, *, spectra: bool = False, chunk: int | None = None,
                           **params) -> CoherenceDistribution:
    """Sample ``instances`` random rank-one families and measure their coherence and Gram statistics.

    Vectorised: instances are drawn and processed in chunks (about 64 MB each) with one batched GEMM
    for the Gram matrices, a batched certified power iteration for :math:`\\lambda_{\\max}(|G|)`
    (:func:`rmtcheck.stability.coherence.perron_root_batch`) and, with ``spectra=True``, batched
    ``eigvalsh`` for the spectra of :math:`G` and :math:`|G|`.

    Parameters
    ----------
    design : {"isotropic", "anisotropic", "patch"} or callable
        ``"isotropic"``: rows :math:`N(0, s^2 I)` (``scale=``, default 1). ``"anisotropic"``: rows
        :math:`N(0, \\operatorname{diag}(\\text{spectrum}))` (``spectrum=``, required; :math:`\\sigma` is
        rotation invariant, so a general covariance is equivalent to its eigenvalues). ``"patch"``: the
        linear factors :math:`y_i\\mu + \\xi_i` of the signal-plus-noise model (``snr=`` required;
        ``vary=``, ``mu_norm=``, ``sigma_p=``, ``noise=``, ``combine=`` as in
        :func:`rmtcheck.randmat.designs.signal_noise_batch`). A callable ``sampler(rng, m) -> (m, n, d)``
        is used as is.
    instances : int
        Number of families ``m >= 1``.
    n : int
        Members per family, ``>= 2``.
    d : int
        Dimension, ``>= 1``.
    rng : None, int, SeedSequence or Generator, optional
        One generator for the whole run; the isotropic and anisotropic draws are chunk-size independent
        (consecutive ``standard_normal`` blocks of one stream), the patch draws depend on ``chunk``.
    spectra : bool, default False
        Keep the eigenvalues of :math:`G` and :math:`|G|` (one ``eigvalsh`` each per instance).
    chunk : int, optional
        Instances per chunk (default: about :math:`8\\cdot 10^6/(n d)`).
    **params
        Design parameters, as listed under ``design``.

    Returns
    -------
    CoherenceDistribution

    Raises
    ------
    ValueError
        If ``instances``, ``n``, ``d`` or ``chunk`` is out of range; if ``design`` is neither one of
        :data:`DESIGNS` nor callable; if a required design parameter is missing, an unknown one is given,
        or a value is invalid (``scale`` not ``> 0``, ``spectrum`` not ``d`` non-negative values with one
        positive, patch parameters as in :func:`~rmtcheck.randmat.designs.signal_noise_patches`); or if a
        callable sampler returns an array whose first two dimensions are not ``(chunk size, n)``.

    See Also
    --------
    rmtcheck.randmat.coherence_predictions.noise_floor_refined : Predicted mean for ``"isotropic"``.
    rmtcheck.randmat.coherence_predictions.snr_prediction : Predicted mean for ``"patch"``.
    rmtcheck.stability.coherence.coherence : Coherence of one family.

    Examples
    --------
    >>> cd = coherence_distribution("isotropic", 200, 10, 100, rng=0)
    >>> cd.sigma.shape, round(float(cd.sigma.mean()), 2)
    ((200,), 1.46)
    >>> cd = coherence_distribution("patch", 200, 10, 100, rng=0, snr=1.0)
    >>> round(float(cd.sigma.mean()), 2)
    4.98
    """
    m = check_int(instances, "instances", 1)
    n, d = check_int(n, "n", 2), check_int(d, "d", 1)
    draw, norm_params = _design_sampler(design, n, d, dict(params))
    ss_entropy = None
    if rng is None or isinstance(rng, (int, np.integer)):
        ss = np.random.SeedSequence(rng)
        ss_entropy = int(ss.entropy) if isinstance(ss.entropy, int) else None
        rng = np.random.default_rng(ss)
    rng = as_generator(rng)
    c = check_int(chunk, "chunk", 1) if chunk is not None else max(1, _CHUNK_ELEMENTS // (n * d))
    iu = np.triu_indices(n, 1)
    parts = []
    sizes = [min(c, m - start) for start in range(0, m, c)]
    # Pipeline: one background thread draws chunk i+1 (in order, from the same generator, so the
    # numbers are exactly those of a serial loop) while this thread reduces chunk i; numpy's
    # generators and BLAS release the GIL, so sampling and linear algebra overlap on two cores.
    with ThreadPoolExecutor(1) as sampler:
        pending = sampler.submit(draw, rng, sizes[0])
        for i, k in enumerate(sizes):
            X = pending.result()
            if i + 1 < len(sizes):
                pending = sampler.submit(draw, rng, sizes[i + 1])
            parts.append(_reduce_chunk(X, k, n, iu, spectra))
    cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    name = design if isinstance(design, str) else getattr(design, "__name__", "custom")
    return CoherenceDistribution(design=name, params=norm_params, n=n, d=d, instances=m, seed_entropy=ss_entropy,
                                 gram_eigs=cat.pop("gram_eigs", None), abs_eigs=cat.pop("abs_eigs", None), **cat)
