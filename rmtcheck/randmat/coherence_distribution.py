"""Sampled coherence distributions of random designs (vectorised over instances, chunked)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
import numpy as np
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.stability.coherence import _coherence_stack
from rmtcheck.randmat.designs import _check_snr_args, signal_noise_batch

__all__ = [
    "DESIGNS", "CoherenceDistribution", "coherence_distribution",
]


#: Designs understood by :func:`coherence_distribution`.
DESIGNS = ("isotropic", "anisotropic", "patch")


_CHUNK_ELEMENTS = 8_000_000  # about 64 MB of float64 per chunk


@dataclass
class CoherenceDistribution:
    """Coherence and Gram statistics of ``instances`` sampled families (plain data).

    Attributes
    ----------
    sigma : (m,)          coherence of each instance
    lambda_max : (m,)     :math:`\\lambda_{\\max}(|G|)`
    max_norm2 : (m,)      :math:`\\max_i \\|g_i\\|^2`
    norms2 : (m, n)       all :math:`\\|g_i\\|^2`
    mean_abs_offdiag : (m,)  mean of :math:`|G_{ik}|`, :math:`i \\ne k`
    max_abs_offdiag : (m,)   max of :math:`|G_{ik}|`, :math:`i \\ne k`
    offdiag : (m, n-1)    the signed entries :math:`G_{1k}`, :math:`k \\ge 2` (a sample for histograms)
    gram_eigs : (m, n) or None  ascending eigenvalues of :math:`G` (signed Gram)
    abs_eigs : (m, n) or None   ascending eigenvalues of :math:`|G|` (for the "MP is not for |G|" check)
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
    (:func:`perron_root_batch`) and, with ``spectra=True``, batched ``eigvalsh`` for the spectra of
    :math:`G` and :math:`|G|`.

    Parameters
    ----------
    design : {"isotropic", "anisotropic", "patch"} or callable
        ``isotropic``: rows :math:`N(0, s^2 I)` (``scale=``). ``anisotropic``: rows :math:`N(0,
        \\operatorname{diag}(\\text{spectrum}))` (``spectrum=``; :math:`\\sigma` is rotation invariant, so a
        general covariance is equivalent to its eigenvalues). ``patch``: the linear factors
        :math:`y_i\\mu + \\xi_i` of the signal-plus-noise model (``snr=``, ``vary=``, ``mu_norm=``,
        ``sigma_p=``, ``noise=``, ``combine=``; :func:`rmtcheck.designs_rmt.signal_noise_batch`). A callable
        ``sampler(rng, m) -> (m, n, d)`` is used as is.
    instances, n, d : int
    rng : seed or Generator
        One generator for the whole run; the isotropic and anisotropic draws are chunk-size independent
        (consecutive ``standard_normal`` blocks of one stream), the patch draws depend on ``chunk``.
    spectra : bool
        Keep the eigenvalues of :math:`G` and :math:`|G|` (one ``eigvalsh`` each per instance).
    chunk : int, optional
        Instances per chunk (default: about 8e6 / (n d)).

    Returns
    -------
    CoherenceDistribution
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
