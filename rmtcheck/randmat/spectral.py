"""Layer-spectrum diagnostics: ESD, Marchenko–Pastur bulk fit and spikes, WeightWatcher metrics.

This module holds the per-matrix pipeline :func:`esd` → :func:`fit_mp` (:class:`MPFit`) →
:func:`rmtcheck.randmat.powerlaw.fit_powerlaw` → derived metrics (:func:`stable_rank`,
:func:`log_spectral_norm`, :func:`alpha_weighted`, :func:`log_alpha_norm`) and :func:`flag`, assembled
by :func:`diagnose` into a :class:`LayerSpectrum`; the multi-layer front end :func:`as_layers`,
:func:`layers_from_torch`, :func:`diagnose_layers` and :func:`spectrum_table`; and the helper
:func:`as_matrix`. The power-law fit, its conventions and its bootstrap are documented in
:mod:`rmtcheck.randmat.powerlaw`; this follows the heavy-tail analysis of layer spectra of [1]_ and
its reference implementation WeightWatcher (open-source software by CalculatedContent).

.. rubric:: Conventions (all explicit, all parameters)

* **ESD.** For a layer weight ``W`` of shape ``(N, M)`` (oriented so that :math:`N \\ge M`), the ESD is the
  set of the :math:`M` eigenvalues of :math:`W^\\top W` — the squared singular values (WeightWatcher's
  default, ``normalize=False``), or of :math:`W^\\top W / N` with ``normalize=True`` [1]_. A conv kernel is
  read as WeightWatcher reads it (``conv="slices"``, the default; :func:`weight_matrices`): a 4-D kernel of
  shape ``(out, in, kh, kw)`` (PyTorch; ``(kh, kw, in, out)`` when ``kh + kw > out + in``, Keras) is
  ``rf = kh kw`` matrices ``W[:, :, i, j]``, a 3-D kernel ``(out, in, k)`` is ``k`` matrices, and the ESD
  pools the eigenvalues of every slice (:math:`M \\cdot rf` of them: 288 for a 64 x 32 x 3 x 3 kernel),
  unscaled (WeightWatcher's optional ``conv2d_norm`` rescaling is not applied; :math:`\\hat\\alpha` does
  not depend on it except through the absolute :math:`10^{-5}` cut of the fit). ``conv="flatten"`` reshapes
  the kernel to ``(shape[0], -1)`` instead (one matrix, ``min(out, in kh kw)`` eigenvalues). Transposing ``W``
  changes nothing. They are computed by default from the Gram matrix (``method="gram"``: one GEMM and a
  symmetric eigensolver, several times faster than an SVD); ``method="svd"`` uses LAPACK's SVD.
  The Gram route loses relative accuracy only for eigenvalues below about
  :math:`10^{-13}\\lambda_{\\max}`, far below the :math:`10^{-5}\\lambda_{\\max}` cut of the fit.
* **MP bulk fit.** The entry variance :math:`s^2` is fitted by minimising the KS distance between the
  eigenvalues of :math:`W^\\top W/N` and :func:`rmtcheck.randmat.marchenko_pastur.marchenko_pastur`
  ``(M/N, s^2)`` [2]_ (``mp_method="ks"``) or by matching medians (``"median"``). The edge is reported
  in the units of the ESD, so with ``normalize=False`` it is the Bai–Yin value
  :math:`s^2(\\sqrt N + \\sqrt M)^2`.
* **Spikes** are eigenvalues above ``edge + spike_sigmas * sigma_TW`` (Johnstone's Tracy–Widom scale
  [3]_, Thm. 1.1, :func:`rmtcheck.randmat.marchenko_pastur.tracy_widom_edge`; default 4) [derived]: the
  threshold lies about four Tracy–Widom standard deviations beyond the mean of :math:`\\lambda_{\\max}`
  (TW1 has mean :math:`\\approx -1.21` and sd :math:`\\approx 1.27` in units of ``sigma_TW``), so a
  pure-noise matrix has no spike except with small probability. Checked by
  ``test_gaussian_diagnostic`` (no spike in a Gaussian matrix) and ``test_spikes_detected`` (a planted
  rank-one spike is found) in ``tests/randmat/test_spectral_fit.py``.
* **Derived metrics** [1]_, [4]_, [5]_: stable rank :math:`\\sum\\lambda/\\lambda_{\\max}`, log
  spectral norm :math:`\\log_{10}\\lambda_{\\max}`, α-weighted :math:`\\hat\\alpha \\log_{10}\\lambda_{\\max}`,
  log α-norm :math:`\\log_{10}\\sum_i \\lambda_i^{\\hat\\alpha}` (computed with log-sum-exp), all on the ESD in
  the chosen normalisation. **Flag** from heuristic bands (``bands=(2, 6)``): :math:`\\hat\\alpha < 2`
  ``"over-trained"``, :math:`\\hat\\alpha > 6` ``"under-trained"``, otherwise ``"well-trained"``. These
  bands are WeightWatcher's rules of thumb, not theorems: a Gaussian (untrained) matrix gets
  :math:`\\hat\\alpha > 6` on most draws under WeightWatcher's estimator (the default) but
  :math:`\\hat\\alpha < 6` under ``estimator="strict"``, so its flag depends on the estimator (verified
  statement ``spectral.gaussian_large_alpha``).

References
----------
.. [1] C. H. Martin and M. W. Mahoney (2021), "Implicit Self-Regularization in Deep Neural Networks:
   Evidence from Random Matrix Theory and Implications for Learning", Journal of Machine Learning
   Research 22(165), 1–73 [martin2021].
.. [2] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
   matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].
.. [3] I. M. Johnstone (2001), "On the distribution of the largest eigenvalue in principal components
   analysis", Annals of Statistics 29(2), 295–327 (not in ``paper/references.bib``), Thm. 1.1.
.. [4] C. H. Martin and M. W. Mahoney (2020), "Heavy-Tailed Universality Predicts Trends in Test
   Accuracies for Very Large Pre-Trained Deep Neural Networks", SIAM International Conference on Data
   Mining (SDM) (not in ``paper/references.bib``).
.. [5] C. H. Martin, T. S. Peng and M. W. Mahoney (2021), "Predicting trends in the quality of
   state-of-the-art neural networks without access to training or testing data", Nature
   Communications 12, 4122 (not in ``paper/references.bib``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_magnitude
from rmtcheck.randmat import marchenko_pastur as _mp_frozen  # noqa: F401  (caches the function on the package)
from rmtcheck.randmat._ww_metrics import WW_ALIASES, spectrum_summary, spectrum_table, ww_metrics
from rmtcheck.randmat._ww_randomize import RAND_COLUMNS, random_columns
from rmtcheck.randmat.marchenko_pastur import mp_edges, tracy_widom_edge
from rmtcheck.randmat.powerlaw import PowerLawFit, TooFewEigenvalues, fit_powerlaw

sla = lazy_module("scipy.linalg")
_special = lazy_module("scipy.special")

__all__ = [
    "FLAGS", "CONV_MODES", "MPFit", "LayerSpectrum", "as_matrix", "weight_matrices", "esd", "fit_mp", "stable_rank", "log_spectral_norm",
    "alpha_weighted", "log_alpha_norm", "flag", "diagnose", "diagnose_layers", "as_layers",
    "layers_from_torch", "spectrum_table", "spectrum_summary", "ww_metrics", "WW_ALIASES",
]

#: Values of :func:`flag` (ordered by increasing alpha).
FLAGS = ("over-trained", "well-trained", "under-trained")
#: The flag of a layer with too few eigenvalues for a power-law fit (``extra["skipped"]`` gives the reason).
SKIPPED = "skipped"


# ----------------------------------------------------------------------------- matrices and ESD
def _mp_module():
    """The module :mod:`rmtcheck.randmat.marchenko_pastur` (the package attribute of that name is the function)."""
    import importlib

    return importlib.import_module("rmtcheck.randmat.marchenko_pastur")


def as_matrix(W, name: str = "W") -> np.ndarray:
    """``W`` as a float64 2-D array oriented with ``N >= M``.

    Parameters
    ----------
    W : array_like, ndim >= 2
        A weight matrix; ``ndim > 2`` (e.g. a conv kernel) is reshaped to ``(shape[0], -1)``.
    name : str, default "W"
        Name used in error messages.

    Returns
    -------
    ndarray of shape (N, M), N >= M
        ``W`` or its transpose.

    Raises
    ------
    ValueError
        If ``W`` is not finite and numeric, has ``ndim < 2``, or has an empty dimension.

    Examples
    --------
    >>> import numpy as np
    >>> as_matrix(np.zeros((2, 5))).shape, as_matrix(np.zeros((2, 3, 4))).shape
    ((5, 2), (12, 2))
    """
    W = as_finite_array(W, name)
    if W.ndim < 2:
        raise ValueError(f"{name} must have ndim >= 2 (a weight matrix); got shape {W.shape}")
    if W.ndim > 2:
        W = W.reshape(W.shape[0], -1)
    if min(W.shape) < 1:
        raise ValueError(f"{name} must have both dimensions >= 1; got shape {W.shape}")
    check_magnitude(W, name, 1e-75, 1e75, fix="divide the weights by a constant c (alpha is scale-free; eigenvalues "
                    "scale by c**2)")
    return W if W.shape[0] >= W.shape[1] else W.T


#: Ways :func:`esd` reads a kernel with ``ndim > 2`` (module docstring).
CONV_MODES = ("slices", "flatten")


def weight_matrices(W, conv: str = "slices", name: str = "W") -> tuple[list, str]:
    """The matrices whose eigenvalues form the ESD of a layer weight, and the layer's type.

    Parameters
    ----------
    W : array_like, ndim >= 2
        A dense weight (2-D), a conv1d kernel (3-D, ``(out, in, k)``) or a conv2d kernel (4-D,
        ``(out, in, kh, kw)``, or ``(kh, kw, in, out)`` when ``kh + kw > out + in``).
    conv : {"slices", "flatten"}, default "slices"
        Receptive-field slices (WeightWatcher) or one ``(shape[0], -1)`` matrix (module docstring).
    name : str, default "W"
        Name used in error messages.

    Returns
    -------
    matrices : list of ndarray
        Each 2-D, validated and oriented with ``N >= M`` (:func:`as_matrix`); ``rf = len(matrices)``.
    layer_type : {"dense", "conv1d", "conv2d", "tensor"}

    Raises
    ------
    ValueError
        If ``conv`` is unknown, ``W`` has ``ndim < 2`` or ``ndim > 4`` with ``conv="slices"``, or a slice is
        rejected by :func:`as_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> mats, kind = weight_matrices(np.zeros((64, 32, 3, 3)) + 1.0)
    >>> len(mats), mats[0].shape, kind
    (9, (64, 32), 'conv2d')
    """
    if conv not in CONV_MODES:
        raise ValueError(f"conv must be one of {CONV_MODES}; got {conv!r}")
    A = as_finite_array(W, name)
    if A.ndim <= 2 or conv == "flatten":  # (ndim < 2 is refused by as_matrix, naming ndim)
        return [as_matrix(A, name)], "dense" if A.ndim <= 2 else "tensor"
    if A.ndim == 3:
        return [as_matrix(A[:, :, k], name) for k in range(A.shape[2])], "conv1d"
    if A.ndim == 4:
        a, b, c, d = A.shape
        if a + b >= c + d:  # (out, in, kh, kw): channels first in the kernel's leading axes (PyTorch)
            mats = [A[:, :, i, j] for i in range(c) for j in range(d)]
        else:  # (kh, kw, in, out) (Keras)
            mats = [A[i, j] for i in range(a) for j in range(b)]
        return [as_matrix(m, name) for m in mats], "conv2d"
    raise ValueError(f"{name} must have 2 to 4 dimensions (dense, conv1d or conv2d weights) with conv='slices'; "
                     f"got shape {A.shape} (conv='flatten' reshapes any tensor to (shape[0], -1))")


def esd(W, normalize: bool = False, method: str = "gram", name: str = "W", conv: str = "slices") -> np.ndarray:
    """Empirical spectral density: ascending eigenvalues of :math:`W^\\top W` (``N >= M`` orientation).

    Parameters
    ----------
    W : array_like, ndim >= 2
        Weight matrix (oriented and reshaped by :func:`as_matrix`).
    normalize : bool, default False
        Eigenvalues of :math:`W^\\top W/N` instead of :math:`W^\\top W`.
    method : {"gram", "svd"}, default "gram"
        Symmetric eigensolver on the Gram matrix, or squared singular values from LAPACK's SVD (module
        docstring).
    name : str, default "W"
        Name used in error messages.
    conv : {"slices", "flatten"}, default "slices"
        How a kernel with ``ndim > 2`` is read (:func:`weight_matrices`).

    Returns
    -------
    ndarray of shape (M * rf,)
        ``M = min`` of a slice's shape values per slice (no structural zeros; ``rf = 1`` for a matrix), pooled,
        ascending, clipped at 0.

    Raises
    ------
    ValueError
        If ``method`` is unknown or ``W`` is invalid (see :func:`as_matrix`).

    See Also
    --------
    fit_mp, rmtcheck.randmat.powerlaw.fit_powerlaw : Fits on the ESD.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    >>> esd(W).tolist(), esd(W.T).tolist(), esd(W, normalize=True).round(4).tolist()
    ([1.0, 4.0], [1.0, 4.0], [0.3333, 1.3333])
    """
    return _pooled_esd(weight_matrices(W, conv, name)[0], normalize, method)


def _pooled_esd(mats, normalize: bool, method: str) -> np.ndarray:
    """The ascending, pooled eigenvalues of ``X^T X`` over the oriented matrices ``mats`` (:func:`esd`)."""
    if method not in ("gram", "svd"):
        raise ValueError(f"method must be 'gram' or 'svd'; got {method!r}")
    parts = []
    for X in mats:
        if method == "svd":
            sv = sla.svdvals(X, check_finite=False)
            ev = sv * sv
        else:
            ev = sla.eigvalsh(X.T @ X, check_finite=False)
        ev = np.clip(ev, 0.0, None)
        parts.append(ev / X.shape[0] if normalize else ev)
    return np.sort(np.concatenate(parts))


# ----------------------------------------------------------------------------- MP bulk
@dataclass
class MPFit:
    """Marchenko–Pastur bulk fit of one ESD (edge and spikes in the units of the ESD).

    Attributes
    ----------
    ratio : float
        :math:`q = M/N \\le 1`.
    scale : float
        Fitted entry variance :math:`s^2`.
    edge : float
        Upper bulk edge :math:`\\lambda_+`.
    edge_low : float
        Lower bulk edge :math:`\\lambda_-`.
    edge_sigma : float
        Tracy–Widom fluctuation scale of :math:`\\lambda_{\\max}`.
    spike_threshold : float
        ``edge + spike_sigmas * edge_sigma``.
    n_spikes : int
        Number of eigenvalues above the threshold.
    spikes : ndarray
        Those eigenvalues, ascending.
    ks_distance : float
        KS distance of the ESD (all eigenvalues) to the fitted MP law.
    """

    ratio: float
    scale: float  # fitted entry variance s^2
    edge: float  # upper bulk edge lambda_+
    edge_low: float
    edge_sigma: float  # Tracy–Widom fluctuation scale of lambda_max
    spike_threshold: float
    n_spikes: int
    spikes: np.ndarray
    ks_distance: float  # KS distance of the ESD (all eigenvalues) to the fitted MP law


def fit_mp(evals, n_rows, n_cols, normalized: bool = False, method: str = "ks", spike_sigmas: float = 4.0) -> MPFit:
    """Fit the Marchenko–Pastur scale :math:`s^2` to the ESD of an ``n_rows x n_cols`` matrix; edge and spikes.

    The ESD is compared in the units of :math:`W^\\top W/N` (``N = max(n_rows, n_cols)``) with
    :func:`~rmtcheck.randmat.marchenko_pastur.marchenko_pastur` ``(M/N, s^2)`` [1]_; the spike threshold
    uses the Tracy–Widom scale of [2]_, Thm. 1.1 (module docstring).

    Parameters
    ----------
    evals : array_like, 1-D
        The ``min(n_rows, n_cols)`` eigenvalues of :math:`W^\\top W` (or of :math:`W^\\top W/N` when
        ``normalized``), as returned by :func:`esd`.
    n_rows : int
        ``>= 2``.
    n_cols : int
        ``>= 1``.
    normalized : bool, default False
        Whether ``evals`` are of :math:`W^\\top W/N`.
    method : {"ks", "median"}, default "ks"
        ``"ks"``: minimise the two-sided KS distance over :math:`s^2` (81-point log grid on
        :math:`[s_0^2/4, 4 s_0^2]`, then a bounded refinement around the best grid point), starting from
        the median match :math:`s_0^2`. ``"median"``: median match.
    spike_sigmas : float, default 4.0
        Spikes are eigenvalues above ``edge + spike_sigmas * sigma_TW`` (finite, ``>= 0``).

    Returns
    -------
    MPFit
        Edges, threshold and spikes in the units of ``evals``.

    Raises
    ------
    ValueError
        If ``n_rows < 2`` or ``n_cols < 1``; ``evals`` is not a finite 1-D array of
        ``min(n_rows, n_cols)`` values or a multiple of it (pooled receptive-field slices, each the same shape); ``method`` is unknown; ``spike_sigmas`` is not finite and
        ``>= 0``; or the median eigenvalue is 0 (no bulk to fit).

    References
    ----------
    .. [1] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
       matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].
    .. [2] I. M. Johnstone (2001), "On the distribution of the largest eigenvalue in principal components
       analysis", Annals of Statistics 29(2), 295–327 (not in ``paper/references.bib``), Thm. 1.1.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((400, 200))
    >>> f = fit_mp(esd(W), 400, 200)
    >>> round(f.scale, 2), f.n_spikes, round(f.ratio, 2)
    (1.01, 0, 0.5)
    """
    from scipy.optimize import minimize_scalar

    N = check_int(n_rows, "n_rows", 2)
    M = check_int(n_cols, "n_cols", 1)
    N, M = max(N, M), min(N, M)
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size == 0 or ev.size % M:
        raise ValueError(f"evals must have min(n_rows, n_cols) = {M} entries (or a multiple: the pooled slices of a "
                         f"conv kernel, each n_rows x n_cols); got {ev.size}")
    if method not in ("ks", "median"):
        raise ValueError(f"method must be 'ks' or 'median'; got {method!r}")
    spike_sigmas = float(spike_sigmas)
    if not np.isfinite(spike_sigmas) or spike_sigmas < 0:
        raise ValueError(f"spike_sigmas must be finite and >= 0; got {spike_sigmas!r}")
    unit = 1.0 if normalized else float(N)
    x = np.sort(ev) / unit
    q = M / N
    med = float(np.median(x))
    if med <= 0:
        raise ValueError("evals has median 0: the matrix is (numerically) of rank < M/2; no MP bulk to fit")
    s0 = med / float(_mp_module().mp.median(q))
    k, K = np.arange(x.size), x.size

    def ks(s2):
        F = _mp_module().mp.cdf(x, q, scale=s2)
        return float(np.max(np.maximum(F - k / K, (k + 1) / K - F)))

    if method == "median":
        s2 = s0
    else:
        grid = s0 * np.exp(np.linspace(np.log(0.25), np.log(4.0), 81))
        vals = np.array([ks(g) for g in grid])
        j = int(np.argmin(vals))
        lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
        res = minimize_scalar(lambda t: ks(np.exp(t)), bounds=(np.log(lo), np.log(hi)), method="bounded",
                              options={"xatol": 1e-6})
        s2 = float(np.exp(res.x)) if res.fun <= vals[j] else float(grid[j])
    lo_e, hi_e = mp_edges(q, s2)
    if N >= 2:
        _, sig = tracy_widom_edge(N, M, s2)
    else:  # pragma: no cover - N >= 2 enforced above
        sig = 0.0
    sig = sig / N  # in units of W^T W / N
    thr = hi_e + spike_sigmas * sig
    spikes = ev[ev / unit > thr]
    return MPFit(ratio=q, scale=s2, edge=hi_e * unit, edge_low=lo_e * unit, edge_sigma=sig * unit,
                 spike_threshold=thr * unit, n_spikes=int(spikes.size), spikes=np.sort(spikes),
                 ks_distance=ks(s2))


# ----------------------------------------------------------------------------- power law



# ----------------------------------------------------------------------------- derived metrics
def stable_rank(evals) -> float:
    """Stable rank :math:`\\sum_i \\lambda_i / \\lambda_{\\max}` of an ESD.

    For the ESD of :math:`W^\\top W` this is :math:`\\|W\\|_F^2/\\|W\\|_2^2`, the numerical rank reported by
    WeightWatcher [1]_.

    Parameters
    ----------
    evals : array_like, 1-D
        Eigenvalues (negative round-off is clipped to 0 in the sum).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``evals`` is not finite 1-D or has no positive entry.

    References
    ----------
    .. [1] C. H. Martin, T. S. Peng and M. W. Mahoney (2021), "Predicting trends in the quality of
       state-of-the-art neural networks without access to training or testing data", Nature
       Communications 12, 4122 (not in ``paper/references.bib``).

    Examples
    --------
    >>> stable_rank([1.0, 2.0, 4.0])
    1.75
    """
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size == 0 or np.max(ev) <= 0:
        raise ValueError("evals must contain a positive eigenvalue")
    return float(np.sum(np.clip(ev, 0, None)) / np.max(ev))


def log_spectral_norm(evals) -> float:
    """Log spectral norm :math:`\\log_{10}\\lambda_{\\max}` of an ESD [1]_.

    For the ESD of :math:`W^\\top W`, :math:`\\lambda_{\\max} = \\|W\\|_2^2`.

    Parameters
    ----------
    evals : array_like, 1-D
        Eigenvalues.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``evals`` is not finite 1-D or has no positive entry.

    References
    ----------
    .. [1] C. H. Martin, T. S. Peng and M. W. Mahoney (2021), "Predicting trends in the quality of
       state-of-the-art neural networks without access to training or testing data", Nature
       Communications 12, 4122 (not in ``paper/references.bib``).

    Examples
    --------
    >>> log_spectral_norm([1.0, 10.0, 100.0])
    2.0
    """
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size == 0 or np.max(ev) <= 0:
        raise ValueError("evals must contain a positive eigenvalue")
    return float(np.log10(np.max(ev)))


def alpha_weighted(alpha, evals) -> float:
    """Alpha-weighted metric :math:`\\hat\\alpha\\,\\log_{10}\\lambda_{\\max}` [1]_, [2]_.

    Parameters
    ----------
    alpha : float
        Power-law exponent (e.g. ``fit_powerlaw(evals).alpha``).
    evals : array_like, 1-D
        Eigenvalues.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``evals`` is not finite 1-D or has no positive entry.

    References
    ----------
    .. [1] C. H. Martin and M. W. Mahoney (2020), "Heavy-Tailed Universality Predicts Trends in Test
       Accuracies for Very Large Pre-Trained Deep Neural Networks", SIAM International Conference on Data
       Mining (SDM) (not in ``paper/references.bib``).
    .. [2] C. H. Martin, T. S. Peng and M. W. Mahoney (2021), "Predicting trends in the quality of
       state-of-the-art neural networks without access to training or testing data", Nature
       Communications 12, 4122 (not in ``paper/references.bib``).

    Examples
    --------
    >>> alpha_weighted(2.0, [1.0, 10.0, 100.0])
    4.0
    """
    return float(alpha) * log_spectral_norm(evals)


def log_alpha_norm(alpha, evals) -> float:
    """Log α-norm :math:`\\log_{10}\\sum_i\\lambda_i^{\\hat\\alpha}` via log-sum-exp (overflow-safe) [1]_.

    For the ESD of :math:`W^\\top W` this is :math:`\\log_{10}\\|W\\|_{2\\hat\\alpha}^{2\\hat\\alpha}`, the
    Schatten :math:`2\\hat\\alpha`-norm raised to its order. Zero eigenvalues are skipped.

    Parameters
    ----------
    alpha : float
        Power-law exponent.
    evals : array_like, 1-D
        Eigenvalues.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``evals`` is not finite 1-D or has no positive entry.

    References
    ----------
    .. [1] C. H. Martin, T. S. Peng and M. W. Mahoney (2021), "Predicting trends in the quality of
       state-of-the-art neural networks without access to training or testing data", Nature
       Communications 12, 4122 (not in ``paper/references.bib``).

    Examples
    --------
    >>> round(log_alpha_norm(2.0, [1.0, 10.0, 100.0]), 4)
    4.0044
    """
    ev = as_finite_array(evals, "evals", ndim=1)
    ev = ev[ev > 0]
    if ev.size == 0:
        raise ValueError("evals must contain a positive eigenvalue")
    return float(_special.logsumexp(float(alpha) * np.log(ev)) / np.log(10.0))


def flag(alpha, bands=(2.0, 6.0)) -> str:
    """Heuristic training flag from WeightWatcher's :math:`\\alpha` bands.

    ``alpha < bands[0]`` → ``"over-trained"``, ``alpha > bands[1]`` → ``"under-trained"``, else
    ``"well-trained"``. The bands are rules of thumb of the WeightWatcher software, motivated by the
    heavy-tail phenomenology of [1]_; they are not theorems (a Gaussian matrix is usually
    ``"well-trained"`` by them).

    Parameters
    ----------
    alpha : float
        Power-law exponent.
    bands : tuple of float, default (2.0, 6.0)
        Finite ``(lo, hi)`` with ``lo < hi``.

    Returns
    -------
    str
        One of :data:`FLAGS`.

    Raises
    ------
    ValueError
        If ``bands`` is not two finite numbers ``lo < hi`` or ``alpha`` is NaN.

    References
    ----------
    .. [1] C. H. Martin and M. W. Mahoney (2021), "Implicit Self-Regularization in Deep Neural Networks:
       Evidence from Random Matrix Theory and Implications for Learning", Journal of Machine Learning
       Research 22(165), 1–73 [martin2021].

    Examples
    --------
    >>> flag(1.5), flag(3.0), flag(7.0)
    ('over-trained', 'well-trained', 'under-trained')
    """
    lo, hi = float(bands[0]), float(bands[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"bands must be two finite numbers lo < hi; got {bands!r}")
    a = float(alpha)
    if np.isnan(a):
        raise ValueError("alpha is NaN")
    if a < lo:
        return "over-trained"
    if a > hi:
        return "under-trained"
    return "well-trained"


# ----------------------------------------------------------------------------- full diagnostic
@dataclass
class LayerSpectrum:
    """Everything the diagnostic reports for one layer (see :meth:`record` for the JSON keys).

    Attributes
    ----------
    name : str
        Layer name.
    shape : tuple
        Shape of the weight as given (before reshaping and orientation).
    eigenvalues : ndarray
        The ESD, ascending.
    normalized : bool
        Whether the ESD is of :math:`W^\\top W/N`.
    mp : MPFit or None
        Marchenko–Pastur bulk fit (``None`` for a skipped layer).
    powerlaw : PowerLawFit or None
        CSN power-law fit (``None`` for a skipped layer: fewer than ``MIN_EIGENVALUES`` eigenvalues).
    stable_rank, log_spectral_norm, alpha_weighted, log_alpha_norm : float
        Derived metrics (module docstring).
    flag : str
        One of :data:`FLAGS`, or :data:`SKIPPED` when the layer has too few eigenvalues to fit.
    extra : dict
        Free-form additions by callers.
    layer_type : {"dense", "conv1d", "conv2d", "tensor"}
        As :func:`weight_matrices` read the weight.
    rf : int
        Receptive-field size: matrices pooled into the ESD (1 for a dense layer).
    layer_id : int
        Position of the layer in the model (:func:`diagnose_layers`; 0 for a single :func:`diagnose`).
    alpha : float
        ``powerlaw.alpha`` (property).
    """

    name: str
    shape: tuple
    eigenvalues: np.ndarray
    normalized: bool
    mp: MPFit | None
    powerlaw: PowerLawFit | None
    stable_rank: float
    log_spectral_norm: float
    alpha_weighted: float
    log_alpha_norm: float
    flag: str
    extra: dict = field(default_factory=dict)
    layer_type: str = "dense"
    rf: int = 1
    layer_id: int = 0

    @property
    def alpha(self) -> float:
        """The fitted power-law exponent, ``powerlaw.alpha`` (NaN for a skipped layer)."""

        return float("nan") if self.powerlaw is None else self.powerlaw.alpha

    @property
    def skipped(self) -> str | None:
        """Why the layer was not fitted (too few eigenvalues), or ``None``."""

        return self.extra.get("skipped")

    def record(self) -> dict:
        """Flat JSON-able record of the diagnostic, with WeightWatcher's column names alongside this package's.

        Returns
        -------
        dict
            This package's keys: ``name``, ``shape``, ``alpha``, ``xmin``, ``ks_distance``, ``n_tail``,
            ``alpha_stderr``, ``alpha_ci``, ``flag``, ``skipped``, ``stable_rank``, ``log_spectral_norm``,
            ``alpha_weighted``, ``log_alpha_norm``, ``mp_scale``, ``mp_edge``, ``n_spikes``, ``lambda_max``,
            ``n_eigenvalues``, ``convention``, ``ecdf``, ``normalized``; WeightWatcher's names for the same
            quantities (:data:`WW_ALIASES`: ``D``, ``sigma``, ``num_pl_spikes``, ``num_evals``, ``warning``,
            empty for a well-trained layer as in WeightWatcher); and WeightWatcher's further metrics
            (:func:`ww_metrics`): ``layer_id``, ``layer_type``, ``rf``, ``norm``, ``log_norm``,
            ``spectral_norm``, ``matrix_rank``, ``entropy``, ``mp_softrank``; the fit's ``xmax`` (the largest
            eigenvalue it used), ``num_pl_spikes`` (WeightWatcher's count, which includes clipped fingers),
            ``fix_fingers``, ``num_fingers`` and ``raw_alpha`` (``None`` unless ``fix_fingers="clip_xmax"``) and
            ``n_clipped`` (:class:`~rmtcheck.randmat.powerlaw.PowerLawFit`); ``best_fit``, ``best_fit_p`` and
            ``tail_comparison`` (``None`` unless :func:`diagnose` ran with ``best_fit=True``); and the randomised-ESD
            columns ``max_rand_eval``, ``rand_distance``, ``ww_softrank``, ``ww_maxdist``, ``rand_num_spikes``,
            ``rand_mp_softrank``, ``rand_bulk_max``, ``rand_bulk_min``, ``rand_sigma_mp``, ``rand_W_scale``
            (``None`` unless ``randomize=True``).
        """
        pl = self.powerlaw
        rec = {"name": self.name, "shape": list(self.shape), "alpha": None, "xmin": None, "ks_distance": None,
               "n_tail": None, "alpha_stderr": None, "alpha_ci": None, "flag": self.flag, "skipped": self.skipped,
               "stable_rank": self.stable_rank, "log_spectral_norm": self.log_spectral_norm,
               "alpha_weighted": None, "log_alpha_norm": None, "mp_scale": None, "mp_edge": None, "n_spikes": None,
               "lambda_max": float(self.eigenvalues[-1]), "n_eigenvalues": int(self.eigenvalues.size),
               "convention": None, "ecdf": None, "normalized": self.normalized}
        if pl is not None:
            rec.update({"alpha": pl.alpha, "xmin": pl.xmin, "ks_distance": pl.ks_distance, "n_tail": pl.n_tail,
                        "alpha_stderr": pl.alpha_stderr, "alpha_ci": list(pl.ci),
                        "alpha_weighted": self.alpha_weighted, "log_alpha_norm": self.log_alpha_norm,
                        "mp_scale": self.mp.scale, "mp_edge": self.mp.edge, "n_spikes": self.mp.n_spikes,
                        "convention": pl.convention, "ecdf": pl.ecdf})
        for ww, ours in WW_ALIASES.items():
            rec[ww] = rec[ours]
        rec["warning"] = "" if self.flag == "well-trained" else self.flag
        rec.update(layer_id=self.layer_id, layer_type=self.layer_type, rf=self.rf)
        fields = ("xmax", "num_pl_spikes", "fix_fingers", "num_fingers", "raw_alpha", "n_clipped")
        rec.update({k: None if pl is None else getattr(pl, k) for k in fields})
        rec.update(ww_metrics(self.eigenvalues, None if self.mp is None else self.mp.edge))
        rec.update({k: self.extra.get(k) for k in ("best_fit", "best_fit_p", "tail_comparison")})
        rec.update({k: self.extra.get("randomize", {}).get(k) for k in RAND_COLUMNS})
        return rec


def diagnose(W, name: str = "W", min_tail: int | None = None, convention: str | None = None, ecdf: str | None = None,
             bootstrap: int = 200, ci_level: float = 0.95, bootstrap_mode: str = "fixed-xmin", rng=None,
             normalize: bool = False, method: str = "gram", mp_method: str = "ks", spike_sigmas: float = 4.0,
             bands=(2.0, 6.0), conv: str = "slices", min_evals: int = 10, max_evals: int | None = None,
             layer_id: int = 0, estimator: str = "ww", best_fit: bool = False, xmax: int | None = None,
             fix_fingers: str | None = None, max_fingers: int = 10, xmin_max: float | None = None,
             randomize: bool = False) -> LayerSpectrum:
    """Full spectral diagnostic of one weight matrix.

    Computes the ESD (:func:`esd`), the Marchenko–Pastur bulk fit (:func:`fit_mp`), the CSN power-law fit
    (:func:`rmtcheck.randmat.powerlaw.fit_powerlaw`), the derived metrics and the flag; the module
    docstrings of this module and of :mod:`rmtcheck.randmat.powerlaw` state every convention.

    Parameters
    ----------
    W : array_like, ndim >= 2
        Weight matrix (:func:`as_matrix`); ``max(shape) >= 2``.
    name : str, default "W"
        Layer name.
    min_tail, convention, ecdf, bootstrap, ci_level, bootstrap_mode, rng, estimator : see fit_powerlaw
        Passed to :func:`~rmtcheck.randmat.powerlaw.fit_powerlaw` (defaults: the ``"ww"`` estimator's options,
        WeightWatcher's; ``200``, ``0.95``, ``"fixed-xmin"``, ``None``, ``"ww"``). ``rng`` also draws the
        permutations of ``randomize``, after the bootstrap (which is the same with or without them).
    xmax, fix_fingers, max_fingers, xmin_max : see fit_powerlaw
        WeightWatcher's options of the fit (defaults WeightWatcher's: ``None``, off, 10, ``None``).
    normalize : bool, default False
        ESD of :math:`W^\\top W/N` instead of :math:`W^\\top W`.
    method : {"gram", "svd"}, default "gram"
        Eigenvalue route of :func:`esd`.
    mp_method : {"ks", "median"}, default "ks"
        ``method`` of :func:`fit_mp`.
    spike_sigmas : float, default 4.0
        Spike threshold of :func:`fit_mp`.
    bands : tuple of float, default (2.0, 6.0)
        Bands of :func:`flag`.
    conv : {"slices", "flatten"}, default "slices"
        How a kernel with ``ndim > 2`` is read (:func:`weight_matrices`; WeightWatcher's slices by default).
    min_evals : int, default 10
        A layer whose ESD has fewer eigenvalues is skipped (flag ``"skipped"``, the reason in ``skipped``), never
        fitted; not below 10 (:data:`~rmtcheck.randmat.powerlaw.MIN_EIGENVALUES`).
    max_evals : int, optional
        A layer whose ESD has more eigenvalues is skipped, with the reason (WeightWatcher's ``max_evals``; no
        limit by default).
    layer_id : int, default 0
        Position of the layer in its model (recorded).
    best_fit : bool, default False
        Also compare the power-law tail with the truncated power law, the lognormal and the exponential by
        likelihood ratio (:func:`rmtcheck.randmat.compare_tail`, Vuong's test; 0.1-1 s a layer) and record
        ``best_fit``, ``best_fit_p`` and ``tail_comparison``.
    randomize : bool, default False
        Also compute WeightWatcher's randomised-ESD columns (``max_rand_eval``, ``rand_distance``, ``ww_softrank``,
        ``ww_maxdist``, ``rand_num_spikes``, ...; :mod:`rmtcheck.randmat._ww_randomize` states each rule and where
        it departs from WeightWatcher): the entries of each matrix permuted with ``rng``.

    Returns
    -------
    LayerSpectrum

    Raises
    ------
    ValueError
        If ``max(W.shape) < 2`` or any argument is rejected by :func:`as_matrix`, :func:`esd`,
        :func:`fit_mp`, :func:`~rmtcheck.randmat.powerlaw.fit_powerlaw` or :func:`flag`.

    See Also
    --------
    diagnose_layers : Every layer of a model.

    Examples
    --------
    A Gaussian matrix: no spike; WeightWatcher's estimator fits the hard edge of its spectrum with a large
    :math:`\\hat\\alpha`, so the heuristic bands call it ``"under-trained"`` (the stricter estimator's long tail
    calls the same matrix ``"well-trained"``: the bands are rules of thumb, module docstring):

    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((400, 200))
    >>> d = diagnose(W, bootstrap=0)
    >>> d.flag, d.mp.n_spikes, round(d.mp.scale, 2)
    ('under-trained', 0, 1.01)
    >>> diagnose(W, bootstrap=0, estimator="strict").flag
    'well-trained'
    """
    min_evals = check_int(min_evals, "min_evals", 10)
    if max_evals is not None:
        max_evals = check_int(max_evals, "max_evals", min_evals)
    mats, kind = weight_matrices(W, conv, name)
    gen = as_generator(rng)
    X = mats[0]
    if X.shape[0] < 2:
        raise ValueError(f"{name} must have max(shape) >= 2; got shape {X.shape}")
    ev = _pooled_esd(mats, normalize, method)
    common = dict(name=str(name), shape=tuple(np.shape(W)), eigenvalues=ev, normalized=bool(normalize),
                  layer_type=kind, rf=len(mats), layer_id=int(layer_id))
    why = None
    if ev.size < min_evals:
        why = f"only {ev.size} eigenvalues (fewer than min_evals={min_evals}): a power-law fit would be noise"
    elif max_evals is not None and ev.size > max_evals:
        why = f"{ev.size} eigenvalues (more than max_evals={max_evals})"
    else:
        try:
            pl = fit_powerlaw(ev, min_tail=min_tail, convention=convention, ecdf=ecdf, bootstrap=bootstrap,
                              ci_level=ci_level, bootstrap_mode=bootstrap_mode, rng=gen, estimator=estimator,
                              xmax=xmax, fix_fingers=fix_fingers, max_fingers=max_fingers, xmin_max=xmin_max)
        except TooFewEigenvalues as exc:
            why = str(exc).replace("evals has only", "only", 1).replace("evals must", "a fit needs", 1)
            why = why.replace("evals has", "", 1).strip()
    if why is not None:
        return LayerSpectrum(
            **common, mp=None, powerlaw=None, stable_rank=stable_rank(ev) if ev[-1] > 0 else float("nan"),
            log_spectral_norm=log_spectral_norm(ev) if ev[-1] > 0 else float("nan"), alpha_weighted=float("nan"),
            log_alpha_norm=float("nan"), flag=SKIPPED, extra={"skipped": why})
    def mp_of(e):
        return fit_mp(e, X.shape[0], X.shape[1], normalized=normalize, method=mp_method, spike_sigmas=spike_sigmas)

    mpf = mp_of(ev)
    a = pl.alpha
    extra = {}
    if randomize:
        extra["randomize"] = random_columns(mats, ev, lambda ms: _pooled_esd(ms, normalize, method), mp_of, gen)
    if best_fit:
        from rmtcheck.randmat._tail_compare import best_fit as _decide
        from rmtcheck.randmat._tail_compare import compare_tail

        comp = compare_tail(ev, pl.xmin)
        law, p = _decide(comp)
        extra.update(best_fit=law, best_fit_p=p,
                     tail_comparison={k: {"R": v["R"], "p": v["p"]} for k, v in comp.items() if k != "power_law"})
    return LayerSpectrum(
        **common, mp=mpf, powerlaw=pl, stable_rank=stable_rank(ev), log_spectral_norm=log_spectral_norm(ev),
        alpha_weighted=alpha_weighted(a, ev), log_alpha_norm=log_alpha_norm(a, ev), flag=flag(a, bands),
        extra=extra,
    )


def layers_from_torch(module) -> dict:
    """Weight arrays (``ndim >= 2``) of a PyTorch module as float64 NumPy arrays, keyed by parameter name.

    Torch is imported lazily, only here.

    Parameters
    ----------
    module : torch.nn.Module
        Any module; its ``named_parameters()`` with ``ndim >= 2`` are kept (biases are skipped).

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    ValueError
        If PyTorch is not installed or the module has no parameter with ``ndim >= 2``.
    """
    try:
        import torch  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ValueError("layers_from_torch needs PyTorch installed (pip install torch)") from exc
    out = {}
    for pname, p in module.named_parameters():
        if p.ndim >= 2:
            out[pname] = p.detach().cpu().double().numpy()
    if not out:
        raise ValueError("module has no parameter with ndim >= 2 (no weight matrix to diagnose)")
    return out


def _is_torch_module(obj) -> bool:
    """True for instances of ``torch.nn.Module`` subclasses, detected without importing torch."""
    if not hasattr(obj, "named_parameters"):
        return False
    return any(c.__module__.split(".")[0] == "torch" for c in type(obj).__mro__)


def as_layers(obj) -> dict:
    """Named weight arrays from a mapping, a sequence, an array or a torch module.

    Parameters
    ----------
    obj : mapping, list, tuple, ndarray or torch.nn.Module
        A mapping (e.g. ``np.load`` of an ``.npz``; keys become names), a list/tuple of arrays (names
        ``"layer0"``, ...), a 2-D array (one layer ``"W"``), a 3-D array (a stack: layers ``"W[0]"``,
        ...), or a torch module (:func:`layers_from_torch`, lazy import). Entries with ``ndim < 2``
        (biases) are skipped; ``ndim > 2`` entries of a mapping or sequence are kept (conv kernels;
        :func:`as_matrix` reshapes them).

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    ValueError
        If an array input is neither 2-D nor 3-D, or no entry has ``ndim >= 2``.

    Examples
    --------
    >>> import numpy as np
    >>> list(as_layers(np.zeros((3, 4, 5))))
    ['W[0]', 'W[1]', 'W[2]']
    >>> list(as_layers({"fc": np.zeros((4, 3)), "bias": np.zeros(3)}))
    ['fc']
    """
    if _is_torch_module(obj):
        return layers_from_torch(obj)
    if hasattr(obj, "keys") and hasattr(obj, "__getitem__"):
        items = [(str(k), np.asarray(obj[k])) for k in obj.keys()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"layer{i}", np.asarray(a)) for i, a in enumerate(obj)]
    else:
        arr = np.asarray(obj)
        if arr.ndim == 2:
            items = [("W", arr)]
        elif arr.ndim == 3:
            items = [(f"W[{i}]", arr[i]) for i in range(arr.shape[0])]
        else:
            raise ValueError(f"weights must be a 2-D matrix or a 3-D stack of matrices; got shape {arr.shape}")
    out = {k: a for k, a in items if a.ndim >= 2}
    if not out:
        raise ValueError("no array with ndim >= 2 found (biases and scalars are skipped)")
    return out


def diagnose_layers(layers, rng=None, **kwargs) -> list[LayerSpectrum]:
    """:func:`diagnose` for every layer of :func:`as_layers` ``(layers)``, one child seed per layer.

    Parameters
    ----------
    layers : mapping, list, tuple, ndarray or torch.nn.Module
        Anything :func:`as_layers` accepts.
    rng : None, int, SeedSequence or Generator, optional
        One draw seeds a ``SeedSequence`` whose children seed the layers' bootstraps.
    **kwargs
        Passed to :func:`diagnose`.

    Returns
    -------
    list of LayerSpectrum
        In the order of :func:`as_layers`.

    Raises
    ------
    ValueError
        As :func:`as_layers` and :func:`diagnose`.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((400, 200))
    >>> res = diagnose_layers({"fc1": W, "fc2": W[:300, :150], "b": np.zeros(5)}, rng=0, bootstrap=0)
    >>> [(r.name, r.flag) for r in res]
    [('fc1', 'under-trained'), ('fc2', 'under-trained')]
    """
    named = as_layers(layers)
    gen = as_generator(rng)
    seeds = np.random.SeedSequence(int(gen.integers(2**63))).spawn(len(named))
    return [diagnose(W, name=k, rng=np.random.default_rng(s), layer_id=i, **kwargs)
            for i, ((k, W), s) in enumerate(zip(named.items(), seeds))]
