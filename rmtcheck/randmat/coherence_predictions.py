"""Random-matrix predictions for the coherence of random rank-one Hessians, with concentration bounds
and statistical comparisons against simulation.

For rank-one Hessians :math:`H_i = g_ig_i^\\top` the package's coherence ([1]_, Def. 1;
:mod:`rmtcheck.stability.coherence`) is

.. math:: S = |G G^\\top| \\ (\\text{entrywise}),\\qquad \\sigma = \\frac{\\lambda_{\\max}(S)}{\\max_i \\|g_i\\|^2},

and is invariant to a common scaling and rotation of the :math:`g_i`. This module predicts its
distribution for Gaussian designs and for the signal-plus-noise patch model
(:mod:`rmtcheck.randmat.designs`); samples come from
:func:`rmtcheck.randmat.coherence_distribution.coherence_distribution`, and the Marchenko–Pastur laws
of the noise Gram matrix (:func:`~rmtcheck.randmat.marchenko_pastur.gram_mp`,
:func:`~rmtcheck.randmat.marchenko_pastur.gram_edge`, :func:`~rmtcheck.randmat.marchenko_pastur.mp_ks`)
live in :mod:`rmtcheck.randmat.marchenko_pastur`.

.. rubric:: Predictions (see each function for the formula)

* :func:`noise_floor` — the pure-noise floor :math:`1 + (n-1)\\sqrt{2/(\\pi d)}` [reconstructed]; for
  :math:`N(0,\\Sigma)` rows, with :math:`d` replaced by :func:`effective_dimension`
  :math:`d_{\\rm eff} = (\\operatorname{tr}\\Sigma)^2/\\operatorname{tr}\\Sigma^2` [derived].
* :func:`noise_floor_refined` — a finite-size refinement [derived]: the exact mean of
  :math:`|\\langle g_i, g_k\\rangle|` (:func:`mean_abs_inner`), a second-order Perron-root correction
  with the exact row-sum variance, and the exact mean of :math:`\\max_i\\|g_i\\|^2`
  (:func:`expected_max_chi2`; the leading floor ignores that the denominator is a *maximum* of
  :math:`n` chi-squares, which is what breaks it at finite size).
* :func:`snr_prediction` — the mean coherence of the patch model's linear factors as a function of SNR
  [derived, leading order], the quantity of the SNR–coherence claim of [2]_ (headline claim (b)).

.. rubric:: Concentration

* :func:`norm_bound` — rigorous norm concentration of the noise (Laurent–Massart [3]_, Lemma 1).
* :func:`inner_product_bound` — rigorous bound on the largest noise inner product (a Chernoff bound
  for sums of products of Gaussians) [derived].
* :func:`brief_inner_product_scale` — the un-constanted scale :math:`\\sigma_p^2\\sqrt{d\\log(n/\\delta)}`
  [reconstructed], which is *not* a valid bound (kept to show that it fails).

.. rubric:: Statistical comparisons

:func:`snr_increase_test` (one-sided Mann–Whitney U and one-sided two-sample KS: does :math:`\\sigma`
increase with the SNR?) and :func:`floor_report` (:class:`FloorRecord` per size: where the floors hold
and where finite size breaks them).

References
----------
.. [1] G. Dexter, B. Ocejo, S. Keerthi, A. Gupta, A. Acharya and R. Khanna (2024), "A Precise
   Characterization of SGD Stability Using Loss Surface Geometry", International Conference on
   Learning Representations (ICLR) [dexter2024], Def. 1.
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
.. [3] B. Laurent and P. Massart (2000), "Adaptive estimation of a quadratic functional by model
   selection", Annals of Statistics 28(5), 1302–1338 (not in ``paper/references.bib``), Lemma 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.randmat.coherence_distribution import coherence_distribution
from rmtcheck.randmat.designs import NOISE_MODELS

integrate = lazy_module("scipy.integrate")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = [
    "effective_dimension", "noise_floor", "noise_floor_refined", "expected_max_chi2", "mean_abs_inner",
    "snr_prediction", "norm_bound", "inner_product_bound", "brief_inner_product_scale",
    "snr_increase_test", "floor_report",
]


# ----------------------------------------------------------------------------- floors
def effective_dimension(spectrum) -> float:
    """Effective dimension :math:`d_{\\rm eff} = (\\operatorname{tr}\\Sigma)^2/\\operatorname{tr}\\Sigma^2` [derived].

    For rows :math:`g \\sim N(0, \\Sigma)`, :math:`\\mathbb E\\|g\\|^2 = \\operatorname{tr}\\Sigma` and
    :math:`\\mathbb E\\langle g_i, g_k\\rangle^2 = \\operatorname{tr}\\Sigma^2`, so the ratio
    :math:`\\mathbb E|\\langle g_i, g_k\\rangle| / \\mathbb E\\|g\\|^2` that sets the coherence floor is
    :math:`\\approx \\sqrt{2/(\\pi d_{\\rm eff})}`, the isotropic value with :math:`d` replaced by
    :math:`d_{\\rm eff}` (Gaussian approximation of the inner product). Equals :math:`d` for
    :math:`\\Sigma \\propto I`. Checked against simulation by the verified statement
    ``rmt.floor_anisotropic``.

    Parameters
    ----------
    spectrum : array_like, 1-D
        Eigenvalues of the covariance (finite, ``>= 0``, not all zero).

    Returns
    -------
    float
        :math:`d_{\\rm eff} \\in [1, d]`.

    Raises
    ------
    ValueError
        If ``spectrum`` is empty, not finite, has a negative entry or is all zero.

    See Also
    --------
    noise_floor, noise_floor_refined : Accept ``d = effective_dimension(spectrum)``.

    Examples
    --------
    >>> effective_dimension([1.0, 1.0, 1.0, 1.0])
    4.0
    >>> round(effective_dimension([4.0, 1.0, 0.25]), 4)
    1.6154
    """
    lam = as_finite_array(spectrum, "spectrum", ndim=1)
    if lam.size == 0 or np.any(lam < 0) or not np.any(lam > 0):
        raise ValueError("spectrum must be non-negative eigenvalues, not all zero")
    return float(lam.sum() ** 2 / np.sum(lam**2))


def _check_nd(n, d):
    n = check_int(n, "n", 1)
    d = check_positive(d, "d")
    return n, float(d)


def noise_floor(n, d) -> float:
    """Pure-noise coherence floor (leading order) [reconstructed].

    .. math:: \\sigma \\approx 1 + (n-1)\\sqrt{\\frac{2}{\\pi d}} .

    Derivation: for :math:`g_i \\sim N(0, I_d)`,
    :math:`S \\approx d I + \\mathbb E|\\langle g_i,g_k\\rangle|(\\mathbf 1\\mathbf 1^\\top - I)` with
    :math:`\\mathbb E|\\langle g_i, g_k\\rangle| \\approx \\sqrt{2d/\\pi}`, whose Perron root is
    :math:`d + (n-1)\\sqrt{2d/\\pi}`; dividing by :math:`\\max_i\\|g_i\\|^2 \\approx d` gives the floor. It is
    the small-SNR limit of the coherence of the patch model's linear factors. The approximation
    :math:`\\max_i\\|g_i\\|^2 \\approx d` is what fails at finite size (the maximum exceeds :math:`d` by
    about :math:`2\\sqrt{d\\log n}`): the verified statement ``rmt.floor_leading`` records this
    (``claimed=False``), and :func:`noise_floor_refined` corrects it.

    Not :math:`\\sigma \\approx 1`: pure-noise Hessians are nearly orthogonal only when :math:`d \\gg n^2`.

    Parameters
    ----------
    n : int
        Number of members, ``>= 1``.
    d : float
        Dimension ``> 0``; may be non-integer. For :math:`N(0,\\Sigma)` rows pass
        ``d = effective_dimension(spectrum)`` [derived].

    Returns
    -------
    float
        The floor :math:`1 + (n-1)\\sqrt{2/(\\pi d)}`.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1`` or ``d`` is not finite and ``> 0``.

    See Also
    --------
    noise_floor_refined : Finite-size refinement (use this for quantitative comparisons).
    floor_report : Where each floor holds.

    Examples
    --------
    >>> print(f"{noise_floor(10, 100):.4f}")
    1.7181
    """
    n, d = _check_nd(n, d)
    return 1.0 + (n - 1) * np.sqrt(2.0 / (np.pi * d))


@lru_cache(maxsize=4096)
def _max_chi2_moments(n: int, k: float) -> tuple[float, float]:
    """E[M] and E[M^2] for M the maximum of n i.i.d. chi^2_k (exact, by quadrature of the tail)."""
    # fixed-grid composite Simpson on [0, hi] (vectorised; the integrand 1 - F^n is smooth and bounded)
    hi = k + 40.0 * np.sqrt(2.0 * k) + 20.0 * np.log(n + 1.0) + 100.0
    # substitution x = t^2 removes the sqrt-type behaviour of F at 0 for small k
    t = np.linspace(0.0, np.sqrt(hi), 40001)
    x = t * t
    with np.errstate(divide="ignore"):
        tail = -np.expm1(n * stats.chi2.logcdf(x, k))  # P(M > x), stable for large n
    m1 = integrate.simpson(2.0 * t * tail, x=t)
    m2 = integrate.simpson(4.0 * t * x * tail, x=t)
    return float(m1), float(m2)


def expected_max_chi2(n, k) -> float:
    """Exact mean of the maximum of ``n`` i.i.d. :math:`\\chi^2_k` variables [derived].

    .. math:: \\mathbb E\\max_{i\\le n}\\chi^2_{k,i} = \\int_0^\\infty \\big(1 - F_k(x)^n\\big)\\,dx,

    :math:`F_k` the :math:`\\chi^2_k` CDF, computed by composite Simpson quadrature (40001 nodes after the
    substitution :math:`x = t^2`, cached); about :math:`k + 2\\sqrt{k\\log n}` for large ``k`` (normal
    approximation :math:`\\chi^2_k \\approx k + \\sqrt{2k}Z` and :math:`\\mathbb E\\max_n Z \\approx
    \\sqrt{2\\log n}`). Checked against simulation by ``test_expected_max_chi2`` in
    ``tests/randmat/test_rmt_laws.py``.

    Parameters
    ----------
    n : int
        Number of variables, ``>= 1``.
    k : float
        Degrees of freedom ``> 0`` (may be non-integer).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1`` or ``k`` is not finite and ``> 0``.

    Examples
    --------
    >>> print(f"{expected_max_chi2(10, 100):.2f}")
    122.86
    """
    n = check_int(n, "n", 1)
    k = check_positive(k, "k")
    return _max_chi2_moments(n, float(k))[0]


def _mean_norm(k: float) -> float:
    """E||g|| for g ~ N(0, I_k): sqrt(2) Gamma((k+1)/2)/Gamma(k/2)."""
    return float(np.sqrt(2.0) * np.exp(special.gammaln((k + 1) / 2) - special.gammaln(k / 2)))


def mean_abs_inner(k) -> float:
    """Exact :math:`\\mathbb E|\\langle g_i, g_k\\rangle|` for independent :math:`g \\sim N(0, I_k)` [derived].

    .. math:: \\mathbb E|\\langle g_i, g_k\\rangle| = \\sqrt{\\tfrac{2}{\\pi}}\\,\\mathbb E\\|g\\|
              = \\frac{2}{\\sqrt\\pi}\\frac{\\Gamma((k+1)/2)}{\\Gamma(k/2)}
              = \\sqrt{\\tfrac{2k}{\\pi}}\\,\\big(1 - \\tfrac{1}{4k} + O(k^{-2})\\big),

    since given :math:`g_k`, :math:`\\langle g_i, g_k\\rangle \\sim N(0, \\|g_k\\|^2)`, and
    :math:`\\mathbb E\\|g\\| = \\sqrt2\\,\\Gamma((k+1)/2)/\\Gamma(k/2)` (chi distribution). Checked by
    ``test_mean_abs_inner_exact`` in ``tests/randmat/test_rmt_laws.py``.

    Parameters
    ----------
    k : float
        Dimension ``> 0`` (may be non-integer).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``k`` is not finite and ``> 0``.

    Examples
    --------
    >>> print(f"{mean_abs_inner(100):.4f}")
    7.9589
    """
    k = check_positive(k, "k")
    return float(np.sqrt(2.0 / np.pi) * _mean_norm(k))


def noise_floor_refined(n, d) -> float:
    """Finite-size refinement of the pure-noise floor for :math:`g_i \\sim N(0, I_d)` [derived].

    .. math::

        \\mathbb E\\sigma \\approx \\frac{\\theta + V/(n m)}{\\mathbb E M}\\Big(1 + \\frac{\\operatorname{Var} M}{(\\mathbb E M)^2}\\Big),
        \\qquad \\theta = d + (n-1)m,\\qquad m = \\mathbb E|\\langle g_i, g_k\\rangle|,

    where :math:`M = \\max_i\\|g_i\\|^2` (moments by exact quadrature, :func:`expected_max_chi2`),
    :math:`\\theta` is the Perron root of :math:`\\mathbb E S = (d-m)I + m\\mathbf 1\\mathbf 1^\\top`, and
    :math:`V/(nm)` the second-order perturbation :math:`\\sum_j (u^\\top W v_j)^2/\\text{gap}` with
    :math:`W = S - \\mathbb E S`, :math:`u = \\mathbf 1/\\sqrt n`, gap :math:`nm`, and the exact row-sum variance

    .. math:: V = \\operatorname{Var}\\sum_k S_{ik} = 2d + (n-1)(d - m^2) + (n-1)(n-2)\\tfrac{2}{\\pi}(d - \\mu_1^2) + 2(n-1)m,

    :math:`\\mu_1 = \\mathbb E\\|g\\|` (the covariances :math:`\\operatorname{Cov}(|G_{ik}|, |G_{il}|) =
    \\tfrac{2}{\\pi}(d - \\mu_1^2)` and :math:`\\operatorname{Cov}(\\|g_i\\|^2, |G_{ik}|) = m` follow from
    :math:`\\mathbb E\\|g\\|^3 = (d+1)\\mu_1`). Neglected: :math:`O(1/n)` of the second-order term and the
    numerator–denominator correlation (weight :math:`1/n`). The factor :math:`1 + \\operatorname{Var}M/(\\mathbb
    E M)^2` is the second-order expansion of :math:`\\mathbb E[1/M]`.

    Checked against simulation by ``test_refined_floor_matches_simulation`` in
    ``tests/randmat/test_rmt_laws.py`` and by the verified statement ``rmt.floor_refined`` (relative error
    within a few per cent for :math:`n \\ge 10`; for :math:`n < 10` the second-order term is too crude).

    Parameters
    ----------
    n : int
        Number of members, ``>= 1`` (returns 1 for ``n = 1``).
    d : float
        Dimension ``> 0``; may be non-integer (anisotropic rows: pass :math:`d_{\\rm eff}` from
        :func:`effective_dimension`, a Satterthwaite approximation).

    Returns
    -------
    float
        Predicted :math:`\\mathbb E\\sigma`.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1`` or ``d`` is not finite and ``> 0``.

    See Also
    --------
    noise_floor : The leading-order floor.
    rmtcheck.randmat.coherence_distribution.coherence_distribution : The simulation it is compared with.

    Examples
    --------
    >>> from rmtcheck.randmat.coherence_distribution import coherence_distribution
    >>> print(f"{noise_floor_refined(10, 100):.3f}")
    1.477
    >>> s = coherence_distribution("isotropic", 200, 10, 100, rng=0).sigma
    >>> print(f"{s.mean():.2f}")
    1.46
    """
    n, d = _check_nd(n, d)
    if n == 1:
        return 1.0
    mu1 = _mean_norm(d)
    m = np.sqrt(2.0 / np.pi) * mu1
    V = 2 * d + (n - 1) * (d - m * m) + (n - 1) * (n - 2) * (2 / np.pi) * (d - mu1 * mu1) + 2 * (n - 1) * m
    theta = d + (n - 1) * m + V / (n * m)
    EM, EM2 = _max_chi2_moments(n, d)
    var_m = max(EM2 - EM * EM, 0.0)
    return float(theta / EM * (1.0 + var_m / EM**2))


# ----------------------------------------------------------------------------- SNR
def _folded_mean(a, b):
    """E|a + b Z| for Z ~ N(0, 1) (folded normal mean)."""
    a = np.asarray(a, float)
    return b * np.sqrt(2 / np.pi) * np.exp(-0.5 * (a / b) ** 2) + a * (1 - 2 * stats.norm.cdf(-a / b))


def _expected_max_normal(n: int) -> float:
    if n == 1:
        return 0.0
    f = lambda x: x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1)  # noqa: E731
    return float(integrate.quad(f, -12, 12, limit=200)[0])


def snr_prediction(n, d, snr, noise: str = "projected"):
    """Leading-order mean coherence of the patch model's linear factors :math:`g_i = y_i\\mu + \\xi_i` [derived].

    In units of :math:`\\sigma_p^2`, with :math:`a = \\|\\mu\\|^2/\\sigma_p^2 = \\mathrm{SNR}^2 d`:

    .. math::

        \\mathbb E\\sigma \\approx \\frac{\\mathbb E\\|g\\|^2 + (n-1)F + V/(nF)}{\\mathbb E\\max_i \\|g_i\\|^2},
        \\qquad F = \\mathbb E|a + bZ|,
        \\qquad \\mathbb E|a + bZ| = b\\sqrt{\\tfrac2\\pi}e^{-a^2/2b^2} + a\\,(1 - 2\\Phi(-a/b)),

    projected noise: :math:`\\|g\\|^2 = a + \\chi^2_{d-1}`, :math:`b^2 = d-1`, max by exact quadrature
    (with the same :math:`1 + \\operatorname{Var}M/(\\mathbb EM)^2` factor as :func:`noise_floor_refined`);
    isotropic: :math:`\\mathbb E\\|g\\|^2 = a + d`, :math:`b^2 = d + 2a`, max approximated as mean +
    :math:`\\sqrt{2d + 4a}\\,\\mathbb E\\max_n Z`. :math:`V/(nF)` is the second-order Perron correction of
    :func:`noise_floor_refined` with the row-sum variance
    :math:`V = \\operatorname{Var}\\|g\\|^2 + (n-1)(a^2 + b^2 - F^2) + (n-1)(n-2)\\tfrac2\\pi(k - \\mu_1^2)` (the
    last, pure-noise, covariance term is kept at every SNR: an approximation), so at small SNR the
    prediction tends to the refined floor. Depends on :math:`(\\|\\mu\\|, \\sigma_p)` only through the SNR.
    Rises from about :func:`noise_floor` at SNR :math:`\\ll d^{-3/4}` (where :math:`a \\ll \\sqrt d`) to
    :math:`n` at SNR :math:`\\gg d^{-1/4}`. The off-diagonal mean :math:`F` follows from
    :math:`\\langle g_i, g_k\\rangle = y_iy_k a + \\langle\\xi_i, \\xi_k\\rangle` (projected noise), a shift
    :math:`\\pm a` of an approximately :math:`N(0, b^2)` variable. Checked against simulation by
    ``test_snr_prediction_matches_simulation`` in ``tests/randmat/test_rmt_laws.py`` and the verified
    statement ``rmt.snr_prediction``.

    Parameters
    ----------
    n : int
        Number of samples, ``>= 1``.
    d : int
        Patch dimension, ``>= 2``.
    snr : float or array_like
        SNR :math:`\\|\\mu\\|/(\\sigma_p\\sqrt d) > 0`; vectorised.
    noise : {"projected", "isotropic"}, default "projected"
        Noise model of :func:`rmtcheck.randmat.designs.signal_noise_patches`.

    Returns
    -------
    float or ndarray
        Predicted :math:`\\mathbb E\\sigma`, of the shape of ``snr``.

    Raises
    ------
    ValueError
        If ``n < 1``, ``d < 2`` (or not integers), ``noise`` is not in
        :data:`~rmtcheck.randmat.designs.NOISE_MODELS`, or ``snr`` is not finite and ``> 0``.

    See Also
    --------
    snr_increase_test : Statistical test that :math:`\\sigma` increases with the SNR.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
       arXiv:2602.02986 [changkhanna2026], headline claim (b) (lower SNR, lower coherence).

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(snr_prediction(10, 100, [0.01, 1.0]), 2))
    [1.47 4.97]
    """
    n = check_int(n, "n", 1)
    d = check_int(d, "d", 2)
    if noise not in NOISE_MODELS:
        raise ValueError(f"noise must be one of {NOISE_MODELS}; got {noise!r}")
    s = as_finite_array(snr, "snr")
    if np.any(s <= 0):
        raise ValueError("snr must be > 0")
    a = s**2 * d
    k = d - 1 if noise == "projected" else d
    b2 = k if noise == "projected" else d + 2 * a
    F = _folded_mean(a, np.sqrt(b2))
    mu1 = _mean_norm(k)
    # second-order Perron correction V/(n F): row-sum variance with the pure-noise covariance term
    V = (2 * k + (0 if noise == "projected" else 4 * a) + (n - 1) * (a * a + b2 - F * F)
         + (n - 1) * (n - 2) * (2 / np.pi) * (k - mu1 * mu1))
    num = a + k + (n - 1) * F + (V / (n * F) if n > 1 else 0.0)
    if noise == "projected":
        EM, EM2 = _max_chi2_moments(n, float(k))
        den = (a + EM) / (1.0 + max(EM2 - EM * EM, 0.0) / (a + EM) ** 2)
    else:
        den = a + d + np.sqrt(2 * d + 4 * a) * _expected_max_normal(n)
    out = num / den
    return float(out) if np.ndim(out) == 0 else out


# ----------------------------------------------------------------------------- concentration
def _check_delta(delta):
    if isinstance(delta, bool) or not np.isfinite(float(delta)) or not 0 < float(delta) < 1:
        raise ValueError(f"delta must be a probability in (0, 1); got {delta!r}")
    return float(delta)


def norm_bound(n, k, delta) -> float:
    """Rigorous two-sided deviation bound for the squared norms of ``n`` Gaussian noise vectors [paper].

    From [1]_, Lemma 1 (:math:`\\Pr(X - k \\ge 2\\sqrt{kx} + 2x) \\le e^{-x}` and
    :math:`\\Pr(k - X \\ge 2\\sqrt{kx}) \\le e^{-x}` for :math:`X \\sim \\chi^2_k`) and a union bound over
    both sides and the ``n`` vectors:

    .. math:: \\Pr\\Big(\\max_{i\\le n} \\big|\\|\\xi_i\\|^2/\\sigma_p^2 - k\\big| > 2\\sqrt{kx} + 2x\\Big) \\le \\delta,
              \\qquad x = \\log(2n/\\delta),

    for :math:`\\|\\xi_i\\|^2/\\sigma_p^2 \\sim \\chi^2_k` (``k = d`` isotropic, ``d - 1`` projected noise).

    Parameters
    ----------
    n : int
        Number of noise vectors, ``>= 1``.
    k : float
        Noise dimension ``> 0``.
    delta : float
        Failure probability in ``(0, 1)``.

    Returns
    -------
    float
        The deviation :math:`2\\sqrt{kx} + 2x` (in units of :math:`\\sigma_p^2`).

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1``, ``k`` not finite and ``> 0``, or ``delta`` not in
        ``(0, 1)``.

    References
    ----------
    .. [1] B. Laurent and P. Massart (2000), "Adaptive estimation of a quadratic functional by model
       selection", Annals of Statistics 28(5), 1302–1338 (not in ``paper/references.bib``), Lemma 1.

    Examples
    --------
    >>> print(f"{norm_bound(10, 100, 0.05):.2f}")
    60.94
    """
    n = check_int(n, "n", 1)
    k = check_positive(k, "k")
    x = np.log(2 * n / _check_delta(delta))
    return float(2 * np.sqrt(k * x) + 2 * x)


def inner_product_bound(n, k, delta) -> float:
    """Rigorous high-probability bound on the largest noise inner product [derived].

    .. math:: \\Pr\\Big(\\max_{i<j} |\\langle\\xi_i, \\xi_j\\rangle|/\\sigma_p^2 > t\\Big) \\le \\delta,\\qquad
              t = 2\\sqrt{k\\log\\frac{n(n-1)}{\\delta}}\\quad (t \\le \\sqrt2\\,k),

    from the Chernoff bound :math:`\\Pr(\\sum_{j\\le k} z_jw_j > t) \\le e^{-\\lambda t}(1-\\lambda^2)^{-k/2} \\le
    e^{-\\lambda t + k\\lambda^2}` (:math:`\\lambda^2 \\le 1/2`; :math:`(1-\\lambda^2)^{-1/2}` is the moment
    generating function of a product of independent standard normals) at :math:`\\lambda = t/2k`, two
    sides and a union over :math:`n(n-1)/2` pairs. When :math:`t > \\sqrt 2 k` the branch
    :math:`\\lambda = 1/\\sqrt2` gives :math:`t = \\sqrt2\\,(k/2 + \\log(n(n-1)/\\delta))`. Checked by
    ``test_concentration_bounds_hold_at_loose_delta`` in ``tests/randmat/test_rmt_laws.py`` and the
    verified statement ``rmt.inner_product_bound``.

    Parameters
    ----------
    n : int
        Number of noise vectors, ``>= 2``.
    k : float
        Noise dimension (``d`` isotropic, ``d - 1`` projected), ``> 0``.
    delta : float
        Failure probability in ``(0, 1)``.

    Returns
    -------
    float
        :math:`t` in units of :math:`\\sigma_p^2`.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 2``, ``k`` not finite and ``> 0``, or ``delta`` not in ``(0, 1)``.

    See Also
    --------
    brief_inner_product_scale : The un-constanted scale, which this bound exceeds.

    Examples
    --------
    >>> print(f"{inner_product_bound(10, 100, 0.05):.2f}")
    54.76
    """
    n = check_int(n, "n", 2)
    k = check_positive(k, "k")
    L = np.log(n * (n - 1) / _check_delta(delta))
    t = 2 * np.sqrt(k * L)
    if t > np.sqrt(2) * k:
        t = np.sqrt(2) * (k / 2 + L)
    return float(t)


def brief_inner_product_scale(n, d, delta) -> float:
    """Un-constanted noise inner-product scale :math:`\\sqrt{d\\log(n/\\delta)}` (units of :math:`\\sigma_p^2`) [reconstructed].

    Encodes the statement :math:`|\\langle\\xi_i,\\xi_k\\rangle| \\lesssim \\sigma_p^2\\sqrt{d\\log(n/\\delta)}`
    for all pairs :math:`i \\ne k` with probability :math:`\\ge 1 - \\delta`, as the concentration of the
    noise inner products of the signal-plus-noise model is often quoted, read with constant 1. It is a
    scale, **not** a bound: the maximum over :math:`n(n-1)/2` pairs is about
    :math:`\\sqrt{2d\\log(n^2)}`, which exceeds it on most instances. A valid bound needs a constant 2 and
    :math:`n^2` inside the logarithm (:func:`inner_product_bound`). The ``claimed=False`` statement of
    :mod:`rmtcheck.studies.rmt.statements` that evaluates this function records the failure.

    Parameters
    ----------
    n : int
        Number of noise vectors, ``>= 1``.
    d : float
        Noise dimension ``> 0``.
    delta : float
        Nominal failure probability in ``(0, 1)``.

    Returns
    -------
    float
        :math:`\\sqrt{d\\log(n/\\delta)}`.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1``, ``d`` not finite and ``> 0``, or ``delta`` not in ``(0, 1)``.

    See Also
    --------
    inner_product_bound : The rigorous version.

    Examples
    --------
    >>> print(f"{brief_inner_product_scale(10, 100, 0.05):.2f}")
    23.02
    """
    n = check_int(n, "n", 1)
    d = check_positive(d, "d")
    return float(np.sqrt(d * np.log(n / _check_delta(delta))))


# ----------------------------------------------------------------------------- MP / edge


# ----------------------------------------------------------------------------- tests
def snr_increase_test(n, d, snr_lo, snr_hi, instances, rng=None, *, vary="mu", noise="projected",
                      level: float = 1e-3) -> dict:
    """Test whether :math:`\\sigma` at ``snr_hi`` is stochastically larger than at ``snr_lo`` [statistical].

    Draws ``instances`` independent patch data sets at each SNR (independent streams from
    ``SeedSequence.spawn``) and runs the **one-sided Mann–Whitney U test** (alternative: :math:`\\sigma_{hi}`
    stochastically greater) and the one-sided two-sample KS test. ``increase`` is True when the
    Mann–Whitney p-value is below ``level``; ``decrease`` when the reverse one-sided test rejects at
    ``level`` (evidence *against* the claim). This is the statistical form of the SNR–coherence claim of
    [1]_ (headline claim (b)) on the linear factors.

    Parameters
    ----------
    n : int
        Samples per data set, ``>= 1``.
    d : int
        Patch dimension (``>= 2`` for projected noise).
    snr_lo, snr_hi : float
        The two SNRs, ``0 < snr_lo < snr_hi``.
    instances : int
        Data sets per SNR, ``>= 2``.
    rng : None, int, Generator or SeedSequence, optional
        A ``SeedSequence`` is spawned directly; anything else seeds one from one draw of its generator.
    vary : {"mu", "sigma"}, default "mu"
        SNR convention (irrelevant for :math:`\\sigma`, see :mod:`rmtcheck.randmat.designs`).
    noise : {"projected", "isotropic"}, default "projected"
        Noise model.
    level : float, default 1e-3
        Test level in ``(0, 1)``.

    Returns
    -------
    dict
        ``n``, ``d``, ``snr_lo``, ``snr_hi``, ``instances``, ``level``; sample medians ``median_lo``,
        ``median_hi``; :func:`snr_prediction` values ``pred_lo``, ``pred_hi``; p-values
        ``p_mannwhitney``, ``p_reverse``, ``p_ks``; decisions ``increase`` and ``decrease`` (bool).

    Raises
    ------
    ValueError
        If an SNR is not finite and ``> 0``, ``snr_hi <= snr_lo``, ``instances < 2``, ``level`` is not in
        ``(0, 1)``, or the patch parameters are invalid.

    See Also
    --------
    scipy.stats.mannwhitneyu, scipy.stats.ks_2samp

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
       arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> r = snr_increase_test(10, 100, 0.05, 1.0, 50, rng=0)
    >>> r["increase"], r["decrease"]
    (True, False)
    """
    lo = check_positive(snr_lo, "snr_lo")
    hi = check_positive(snr_hi, "snr_hi")
    if hi <= lo:
        raise ValueError(f"snr_hi must exceed snr_lo; got snr_lo={lo}, snr_hi={hi}")
    m = check_int(instances, "instances", 2)
    level = _check_delta(level)
    ss = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(
        int(as_generator(rng).integers(2**63)))
    c_lo, c_hi = ss.spawn(2)
    a = coherence_distribution("patch", m, n, d, np.random.default_rng(c_lo), snr=lo, vary=vary, noise=noise).sigma
    b = coherence_distribution("patch", m, n, d, np.random.default_rng(c_hi), snr=hi, vary=vary, noise=noise).sigma
    up = stats.mannwhitneyu(b, a, alternative="greater")
    down = stats.mannwhitneyu(b, a, alternative="less")
    ks = stats.ks_2samp(b, a, alternative="less")  # 'less': CDF of b below CDF of a, i.e. b larger
    return {"n": n, "d": d, "snr_lo": lo, "snr_hi": hi, "instances": m, "level": level,
            "median_lo": float(np.median(a)), "median_hi": float(np.median(b)),
            "pred_lo": snr_prediction(n, d, lo, noise), "pred_hi": snr_prediction(n, d, hi, noise),
            "p_mannwhitney": float(up.pvalue), "p_reverse": float(down.pvalue), "p_ks": float(ks.pvalue),
            "increase": bool(up.pvalue < level), "decrease": bool(down.pvalue < level)}


@dataclass
class FloorRecord:
    """One row of :func:`floor_report`: simulated mean coherence at one size against both floors.

    Attributes
    ----------
    n, d : int
        Family size and dimension.
    instances : int
        Number of sampled isotropic families.
    mean_sigma, sd_sigma : float
        Monte Carlo mean and standard deviation of :math:`\\sigma`.
    floor, refined : float
        :func:`noise_floor` and :func:`noise_floor_refined` at ``(n, d)``.
    rel_err_floor, rel_err_refined : float
        ``prediction / mean_sigma - 1``.
    d_over_n2 : float
        :math:`d/n^2` (near-orthogonality needs :math:`d \\gg n^2`).
    floor_holds, refined_holds : bool
        Relative error within ``tol`` plus 4 Monte Carlo standard errors.
    near_orthogonal : bool
        Whether ``mean_sigma - 1 < 0.1``.
    notes : list of str
        The dominant finite-size effects, in words.
    """

    n: int
    d: int
    instances: int
    mean_sigma: float
    sd_sigma: float
    floor: float
    refined: float
    rel_err_floor: float
    rel_err_refined: float
    d_over_n2: float
    floor_holds: bool
    refined_holds: bool
    near_orthogonal: bool
    notes: list = field(default_factory=list)


def floor_report(sizes, instances: int = 200, rng=None, tol: float = 0.02) -> list[FloorRecord]:
    """Where do the pure-noise floors hold?

    For each ``(n, d)`` in ``sizes`` sample ``instances`` isotropic families and compare the mean
    coherence with :func:`noise_floor` and :func:`noise_floor_refined`. A prediction "holds" when its
    relative error is within ``tol`` plus 4 standard errors of the Monte Carlo mean (relative);
    ``near_orthogonal`` records whether :math:`\\sigma - 1 < 0.1` (the "noise Hessians are orthogonal"
    idealisation, true only for :math:`d \\gg n^2`). Notes name the dominant finite-size effect (the
    excess of :math:`\\mathbb E\\max_i\\|g_i\\|^2` over :math:`d`, or :math:`d < n^2`).

    Parameters
    ----------
    sizes : sequence of (int, int)
        Pairs ``(n, d)`` with ``n >= 2``, ``d >= 1``.
    instances : int, default 200
        Families per size.
    rng : None, int, SeedSequence or Generator, optional
        One child stream per size is spawned from one draw of this generator.
    tol : float, default 0.02
        Relative tolerance ``> 0``.

    Returns
    -------
    list of FloorRecord
        One record per size, in order.

    Raises
    ------
    ValueError
        If ``tol`` is not finite and ``> 0``, a size is out of range, or ``instances`` is invalid.

    Examples
    --------
    >>> rec = floor_report([(10, 2000)], instances=100, rng=0)[0]
    >>> rec.floor_holds, rec.refined_holds, round(rec.mean_sigma, 2)
    (False, True, 1.12)
    """
    tol = check_positive(tol, "tol")
    ss = np.random.SeedSequence(int(as_generator(rng).integers(2**63)))
    out = []
    for (n, d), child in zip(sizes, ss.spawn(len(sizes))):
        n, d = check_int(n, "n", 2), check_int(d, "d", 1)
        s = coherence_distribution("isotropic", instances, n, d, np.random.default_rng(child)).sigma
        mean, sd = float(s.mean()), float(s.std(ddof=1))
        se = sd / np.sqrt(s.size)
        f0, f1 = noise_floor(n, d), noise_floor_refined(n, d)
        e0, e1 = f0 / mean - 1, f1 / mean - 1
        notes = []
        EM = expected_max_chi2(n, d)
        if EM / d - 1 > tol:
            notes.append(f"max_i ||g_i||^2 exceeds d by {100 * (EM / d - 1):.1f}% (denominator of sigma)")
        if d < n * n:
            notes.append("d < n^2: off-diagonal mass (n-1)sqrt(2d/pi) exceeds ~d; sigma far from 1")
        out.append(FloorRecord(n=n, d=d, instances=instances, mean_sigma=mean, sd_sigma=sd, floor=f0, refined=f1,
                               rel_err_floor=e0, rel_err_refined=e1, d_over_n2=d / n**2,
                               floor_holds=bool(abs(e0) <= tol + 4 * se / mean),
                               refined_holds=bool(abs(e1) <= tol + 4 * se / mean),
                               near_orthogonal=bool(mean - 1 < 0.1), notes=notes))
    return out
