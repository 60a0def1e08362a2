"""Random and structured Hessian families, the instances on which theorems are checked.

Every function returns per-sample Hessians :math:`H_1, \\dots, H_n` as a
:class:`rmtcheck.stability.families.HessianFamily` (rank-one factors :math:`H_i = g_ig_i^\\top` or a
dense stack):

* random families — :func:`gaussian_factors` (Gaussian rank-one factors, isotropic or diagonal
  covariance), :func:`clustered_factors` (factors around a few directions: tunable, high coherence),
  :func:`wishart_stack` (dense Wishart members of low rank), and :func:`random_family`, which draws one
  of these kinds (or the construction below) with random parameters for property-based tests;
* the structured construction :func:`dexter_construction`, the "Hessian test" of [1]_, whose top
  eigenvalue is fixed while its coherence is any integer :math:`\\sigma \\in [1, n]`;
* :func:`linear_factors`, the per-sample Gauss–Newton factors of the linear model on signal-plus-noise
  patch data (:func:`rmtcheck.randmat.designs.signal_noise_patches`).

The samplers take ``rng`` (``None``, a seed, a ``SeedSequence`` or a ``Generator``; Scientific Python
SPEC 7) and are vectorised.

References
----------
.. [1] G. Dexter, B. Ocejo, S. Keerthi, A. Gupta, A. Acharya and R. Khanna (2024), "A Precise
   Characterization of SGD Stability Using Loss Surface Geometry", International Conference on
   Learning Representations (ICLR) [dexter2024], Fig. 1.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.randmat.designs import PatchData
from rmtcheck.stability.families import HessianFamily

__all__ = [
    "gaussian_factors", "clustered_factors", "wishart_stack", "dexter_construction", "random_family",
    "linear_factors",
]


def gaussian_factors(n: int, d: int, rng=None, spectrum=None) -> HessianFamily:
    """Rank-one family with Gaussian factors :math:`g_i \\sim N(0, \\operatorname{diag}(\\text{spectrum}))`.

    Parameters
    ----------
    n, d : int
        Number of members and dimension, both ``>= 1``.
    rng : None, int, SeedSequence or Generator, optional
        Source of randomness (one ``standard_normal((n, d))`` draw).
    spectrum : array_like of shape (d,), optional
        Variances of the coordinates (finite, ``>= 0``); default isotropic (all ones).

    Returns
    -------
    HessianFamily
        Rank-one family :math:`H_i = g_ig_i^\\top`.

    Raises
    ------
    ValueError
        If ``n`` or ``d`` is not an integer ``>= 1``, or ``spectrum`` is not ``d`` finite non-negative
        variances.

    See Also
    --------
    rmtcheck.randmat.designs.anisotropic_gaussian : General (non-diagonal) covariance, as plain rows.

    Examples
    --------
    >>> fam = gaussian_factors(5, 3, rng=0)
    >>> fam.n, fam.d, fam.is_rank_one
    (5, 3, True)
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    rng = as_generator(rng)
    G = rng.standard_normal((n, d))
    if spectrum is not None:
        s = np.asarray(spectrum, dtype=float)
        if s.shape != (d,) or np.any(s < 0) or not np.all(np.isfinite(s)):
            raise ValueError(f"spectrum must be {d} finite non-negative variances; got shape {s.shape}")
        G *= np.sqrt(s)
    return HessianFamily.from_factors(G)


def clustered_factors(n: int, d: int, clusters: int, spread: float, rng=None) -> HessianFamily:
    """Rank-one family with factors clustered around ``clusters`` random directions.

    Draws ``clusters`` uniformly random unit centres :math:`c_j`, assigns each member a uniformly random
    centre :math:`c_{j(i)}`, and sets

    .. math:: g_i = s_i\\Big(c_{j(i)} + \\text{spread}\\;\\frac{z_i}{\\sqrt d}\\Big),
              \\qquad z_i \\sim N(0, I_d),\\quad s_i \\sim \\mathrm{Unif}[0.5, 1.5].

    Small ``spread`` and few clusters give high coherence (one cluster with ``spread`` :math:`\\to 0`
    makes the factors parallel, with coherence :math:`\\sum_i s_i^2/\\max_i s_i^2 \\le n`); large
    ``spread`` approaches the isotropic Gaussian family.

    Parameters
    ----------
    n, d : int
        Number of members and dimension, both ``>= 1``.
    clusters : int
        Number of centres, in ``[1, n]``.
    spread : float
        Noise level around the centres (relative to the unit-norm centre).
    rng : None, int, SeedSequence or Generator, optional
        Draw order: centres ``(clusters, d)``, assignments ``(n,)``, noise ``(n, d)``, scales ``(n, 1)``.

    Returns
    -------
    HessianFamily
        Rank-one family.

    Raises
    ------
    ValueError
        If ``n`` or ``d`` is not an integer ``>= 1`` or ``clusters`` is not an integer in ``[1, n]``.

    Examples
    --------
    >>> from rmtcheck.stability.coherence import coherence
    >>> fam = clustered_factors(10, 20, 1, 0.01, rng=0)
    >>> round(coherence(fam), 2)
    6.11
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    clusters = check_int(clusters, "clusters", 1, n)
    rng = as_generator(rng)
    centres = rng.standard_normal((clusters, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    G = centres[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, d)) / np.sqrt(d)
    G *= rng.uniform(0.5, 1.5, (n, 1))
    return HessianFamily.from_factors(G)


def wishart_stack(n: int, d: int, rank: int, rng=None) -> HessianFamily:
    """Dense PSD family :math:`H_i = A_i A_i^\\top / r` with :math:`A_i \\in \\mathbb R^{d\\times r}` Gaussian.

    Parameters
    ----------
    n, d : int
        Number of members and dimension, both ``>= 1``.
    rank : int
        :math:`r \\ge 1`, the number of columns of each :math:`A_i` (rank of :math:`H_i` is
        :math:`\\min(r, d)` almost surely).
    rng : None, int, SeedSequence or Generator, optional
        Source of randomness (one ``standard_normal((n, d, rank))`` draw).

    Returns
    -------
    HessianFamily
        Dense stack of shape ``(n, d, d)``.

    Raises
    ------
    ValueError
        If ``n``, ``d`` or ``rank`` is not an integer ``>= 1``.

    Examples
    --------
    >>> fam = wishart_stack(4, 3, 2, rng=0)
    >>> fam.n, fam.d, fam.is_rank_one
    (4, 3, False)
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    rank = check_int(rank, "rank", 1)
    rng = as_generator(rng)
    A = rng.standard_normal((n, d, rank))
    return HessianFamily.from_stack(A @ np.swapaxes(A, 1, 2) / rank)


#: Kinds drawn by :func:`random_family`.
FAMILY_KINDS = ("gaussian", "anisotropic", "clustered", "wishart", "dexter")


def random_family(rng, n: int, d: int, kind: str | None = None) -> tuple[HessianFamily, dict]:
    """One random family of a random (or given) kind, with the parameters that produced it.

    Parameters
    ----------
    rng : None, int, SeedSequence or Generator
        Source of randomness for the kind, its parameters and the family.
    n, d : int
        Number of members and dimension (``"dexter"`` ignores ``d``: its dimension is
        :math:`n - \\sigma + 1`).
    kind : {"gaussian", "anisotropic", "clustered", "wishart", "dexter"}, optional
        Default: drawn uniformly from these five. ``"anisotropic"``: :func:`gaussian_factors` with
        variances :math:`\\mathrm{Unif}[0.05, 1]^2`; ``"clustered"``: :func:`clustered_factors` with
        ``clusters`` uniform in ``{1, ..., min(n, 4)}`` and ``spread`` uniform in ``[0.05, 1]``;
        ``"wishart"``: :func:`wishart_stack` with ``rank`` uniform in ``{1, ..., min(d, 3)}``;
        ``"dexter"``: :func:`dexter_construction` with :math:`\\sigma` uniform in ``{1, ..., n}`` and
        ``lam`` uniform in ``[0.5, 3]``.

    Returns
    -------
    family : HessianFamily
        The sampled family.
    params : dict
        ``{"kind": kind}`` plus the drawn integer or spread parameters (``clusters`` and ``spread``,
        ``rank``, or ``sigma_construction``; the ``"dexter"`` ``lam`` is not recorded).

    Raises
    ------
    ValueError
        If ``kind`` is not one of the five kinds, or ``n``, ``d`` or ``rng`` is invalid.

    Examples
    --------
    >>> fam, params = random_family(0, 6, 4, kind="clustered")
    >>> params["kind"], params["clusters"], round(params["spread"], 3), fam.n, fam.d
    ('clustered', 4, 0.306, 6, 4)
    >>> fam, params = random_family(0, 6, 4)  # kind drawn from the seed
    >>> params, fam.d
    ({'kind': 'dexter', 'sigma_construction': 4}, 3)
    """
    rng = as_generator(rng)
    kind = kind or FAMILY_KINDS[int(rng.integers(len(FAMILY_KINDS)))]
    if kind == "gaussian":
        return gaussian_factors(n, d, rng), {"kind": kind}
    if kind == "anisotropic":
        spec = rng.uniform(0.05, 1.0, d) ** 2
        return gaussian_factors(n, d, rng, spec), {"kind": kind}
    if kind == "clustered":
        k = int(rng.integers(1, min(n, 4) + 1))
        spread = float(rng.uniform(0.05, 1.0))
        return clustered_factors(n, d, k, spread, rng), {"kind": kind, "clusters": k, "spread": spread}
    if kind == "wishart":
        r = int(rng.integers(1, min(d, 3) + 1))
        return wishart_stack(n, d, r, rng), {"kind": kind, "rank": r}
    if kind == "dexter":
        s = int(rng.integers(1, n + 1))
        return dexter_construction(n, s, float(rng.uniform(0.5, 3.0))), {"kind": kind, "sigma_construction": s}
    raise ValueError(f"kind must be one of {FAMILY_KINDS}; got {kind!r}")


def linear_factors(data: PatchData, combine: str = "sum", family: bool = False):
    """Per-sample Gauss–Newton factors of the linear model on patch data [derived].

    For :math:`f(w, x) = \\langle w, x^{(1)} + x^{(2)}\\rangle` (``combine="sum"``) the per-sample
    Hessian of the square loss :math:`\\tfrac12(f(w, x_i) - y_i)^2` is :math:`g_ig_i^\\top` with
    :math:`g_i = \\nabla_w f = y_i\\mu + \\xi_i` (the model is linear, so the residual term vanishes);
    for :math:`f(W, x) = \\langle w_1, x^{(1)}\\rangle + \\langle w_2, x^{(2)}\\rangle` (``"concat"``) it is
    :math:`g_i = [y_i\\mu, \\xi_i] \\in \\mathbb R^{2d}`. Here :math:`y_i` is the clean label carried by the
    signal patch. Both give

    .. math:: \\langle g_i, g_k\\rangle = y_iy_k\\|\\mu\\|^2 + \\langle\\xi_i, \\xi_k\\rangle

    for projected noise (``"sum"`` adds :math:`y_i\\langle\\mu,\\xi_k\\rangle + y_k\\langle\\xi_i,\\mu\\rangle`
    for isotropic noise); checked by ``test_linear_factor_inner_products`` in
    ``tests/randmat/test_rmt_designs.py``. These factors are the linear-model instances on which the
    SNR–coherence claim of [1]_ (headline claim (b)) is checked.

    Parameters
    ----------
    data : PatchData
        Output of :func:`rmtcheck.randmat.designs.signal_noise_patches`.
    combine : {"sum", "concat"}, default "sum"
        Shared weight vector for both patches, or one weight vector per patch.
    family : bool, default False
        Return a :class:`HessianFamily` instead of the factor array.

    Returns
    -------
    ndarray of shape (n, d) or (n, 2d), or HessianFamily
        The factors :math:`g_i` as rows, or their rank-one family when ``family=True``.

    Raises
    ------
    ValueError
        If ``data`` is not a :class:`~rmtcheck.randmat.designs.PatchData` or ``combine`` is not ``"sum"``
        or ``"concat"``.

    See Also
    --------
    rmtcheck.randmat.designs.signal_noise_batch : The same factors for many instances at once.
    rmtcheck.randmat.coherence_predictions.snr_prediction : Predicted coherence of these factors.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
       arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> from rmtcheck.randmat.designs import signal_noise_patches
    >>> p = signal_noise_patches(8, 50, 0.1, rng=0)
    >>> linear_factors(p).shape, linear_factors(p, "concat").shape
    ((8, 50), (8, 100))
    """
    if not isinstance(data, PatchData):
        raise ValueError(f"data must be a PatchData (from signal_noise_patches); got {type(data).__name__}")
    if combine == "sum":
        G = data.X[:, 0] + data.X[:, 1]
    elif combine == "concat":
        G = data.X.reshape(data.n, -1).copy()
    else:
        raise ValueError(f"combine must be 'sum' or 'concat'; got {combine!r}")
    return HessianFamily.from_factors(G) if family else G


def dexter_construction(n: int, sigma: int, lam: float = 2.0) -> HessianFamily:
    """The "Hessian test" family of Dexter et al. (2024), Fig. 1 [1]_.

    :math:`H_i = m e_1 e_1^\\top` for :math:`i \\le \\sigma` and :math:`H_i = m e_{i-\\sigma+1}e_{i-\\sigma+1}^\\top`
    for :math:`i > \\sigma`, :math:`m = \\lambda n/\\sigma`, :math:`d = n - \\sigma + 1`; then
    :math:`H = \\frac1n\\sum_i H_i` has :math:`\\lambda_{\\max}(H) = \\lambda` for every :math:`\\sigma`
    (other eigenvalues :math:`\\lambda/\\sigma`) [1]_. Its coherence is exactly :math:`\\sigma` [derived]:
    :math:`S = |GG^\\top|` is :math:`m\\mathbf 1\\mathbf 1^\\top` on the first :math:`\\sigma` members
    (Perron root :math:`\\sigma m`) and :math:`mI` on the rest, and every :math:`\\lambda_{\\max}(H_i) = m`.

    Parameters
    ----------
    n : int
        Number of members, ``>= 1``.
    sigma : int
        Number of members sharing :math:`e_1`, in ``[1, n]`` (the coherence).
    lam : float, default 2.0
        :math:`\\lambda_{\\max}(H) > 0`.

    Returns
    -------
    HessianFamily
        Rank-one family in dimension :math:`n - \\sigma + 1`.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1``, ``sigma`` not an integer in ``[1, n]`` or ``lam`` not
        finite and ``> 0``.

    References
    ----------
    .. [1] G. Dexter, B. Ocejo, S. Keerthi, A. Gupta, A. Acharya and R. Khanna (2024), "A Precise
       Characterization of SGD Stability Using Loss Surface Geometry", International Conference on
       Learning Representations (ICLR) [dexter2024], Fig. 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.stability.coherence import coherence
    >>> fam = dexter_construction(6, 3, lam=2.0)
    >>> fam.d, round(coherence(fam), 6), np.round(np.linalg.eigvalsh(fam.mean), 4).tolist()
    (4, 3.0, [0.6667, 0.6667, 0.6667, 2.0])
    """
    n = check_int(n, "n", 1)
    sigma = check_int(sigma, "sigma", 1, n)
    lam = check_positive(lam, "lam")
    d = n - sigma + 1
    G = np.zeros((n, d))
    m = lam * n / sigma
    G[:sigma, 0] = np.sqrt(m)
    G[np.arange(sigma, n), np.arange(1, d)] = np.sqrt(m)
    return HessianFamily.from_factors(G)
