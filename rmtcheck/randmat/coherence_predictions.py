"""Random-matrix predictions for the coherence of random rank-one Hessians, and distribution studies.

For rank-one Hessians :math:`H_i = g_ig_i^\\top` the package's coherence (Dexter et al. 2024, Def. 1;
:mod:`rmtcheck.coherence`) is

.. math:: S = |G G^\\top| \\ (\\text{entrywise}),\\qquad \\sigma = \\frac{\\lambda_{\\max}(S)}{\\max_i \\|g_i\\|^2},

and is invariant to a common scaling and rotation of the :math:`g_i`. This module predicts its
distribution for Gaussian designs and for the signal-plus-noise patch model
(:mod:`rmtcheck.designs_rmt`), samples it fast for many instances (:func:`coherence_distribution`), and
compares prediction and sample with stated statistical tests.

Predictions (see each function for the formula)
-----------------------------------------------
* :func:`noise_floor` — the pure-noise floor :math:`1 + (n-1)\\sqrt{2/(\\pi d)}` (stability brief Sec. 7)
  [reconstructed]; for :math:`N(0,\\Sigma)` rows, with :math:`d` replaced by the effective dimension
  :math:`d_{\\rm eff} = (\\operatorname{tr}\\Sigma)^2/\\operatorname{tr}\\Sigma^2` [derived].
* :func:`noise_floor_refined` — a finite-size refinement [derived]: the exact mean of
  :math:`|\\langle g_i, g_k\\rangle|`, a second-order Perron-root correction with the exact row-sum
  variance, and the exact mean of :math:`\\max_i\\|g_i\\|^2` (the leading floor ignores that the
  denominator is a *maximum* of :math:`n` chi-squares, which is what breaks it at finite size).
* :func:`snr_prediction` — the mean coherence of the patch model's linear factors as a function of SNR
  [derived, leading order].
* :func:`norm_bound`, :func:`inner_product_bound` — rigorous high-probability bounds (Laurent–Massart;
  a Chernoff bound for products of Gaussians) [paper / derived]; :func:`brief_inner_product_scale` is the
  brief's un-constanted :math:`\\sigma_p^2\\sqrt{d\\log(n/\\delta)}`, which is *not* a valid bound.
* :func:`gram_mp` — Marchenko–Pastur law of the noise Gram matrix's eigenvalues (reuses
  :func:`rmtcheck.laws.marchenko_pastur`), and :func:`gram_edge` — the Bai–Yin edge with Johnstone's
  Tracy–Widom scale. The MP law applies to :math:`G`, **not** to :math:`|G|`.

Statistical comparisons: :func:`mp_ks` (KS per instance and pooled), :func:`snr_increase_test`
(one-sided Mann–Whitney U and one-sided two-sample KS), :func:`floor_report` (where the floors hold and
where finite size breaks them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import integrate, special, stats

from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.randmat.designs import NOISE_MODELS
from rmtcheck.randmat.coherence_distribution import coherence_distribution

__all__ = [
    "effective_dimension", "noise_floor", "noise_floor_refined", "expected_max_chi2", "mean_abs_inner",
    "snr_prediction", "norm_bound", "inner_product_bound", "brief_inner_product_scale",
    "snr_increase_test", "floor_report",
]


# ----------------------------------------------------------------------------- floors
def effective_dimension(spectrum) -> float:
    """:math:`d_{\\rm eff} = (\\operatorname{tr}\\Sigma)^2/\\operatorname{tr}\\Sigma^2` of a covariance given by its
    eigenvalues [derived]; equals :math:`d` for :math:`\\Sigma \\propto I`."""
    lam = as_finite_array(spectrum, "spectrum", ndim=1)
    if lam.size == 0 or np.any(lam < 0) or not np.any(lam > 0):
        raise ValueError("spectrum must be non-negative eigenvalues, not all zero")
    return float(lam.sum() ** 2 / np.sum(lam**2))


def _check_nd(n, d):
    n = check_int(n, "n", 1)
    d = check_positive(d, "d")
    return n, float(d)


def noise_floor(n, d) -> float:
    """Pure-noise coherence floor (stability brief Sec. 7) [reconstructed]:

    .. math:: \\sigma \\approx 1 + (n-1)\\sqrt{\\frac{2}{\\pi d}} .

    From :math:`S \\approx d I + \\mathbb E|\\langle g_i,g_k\\rangle|(\\mathbf 1\\mathbf 1^\\top - I)`,
    :math:`\\mathbb E|\\langle g_i, g_k\\rangle| \\approx \\sqrt{2d/\\pi}` and :math:`\\max_i\\|g_i\\|^2 \\approx d`.
    For :math:`N(0,\\Sigma)` rows pass ``d = effective_dimension(spectrum)`` [derived]. ``d`` may be
    non-integer. Not :math:`\\sigma \\approx 1`: pure-noise Hessians are nearly orthogonal only when
    :math:`d \\gg n^2`.
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
    """:math:`\\mathbb E\\max_{i\\le n}\\chi^2_{k,i} = \\int_0^\\infty (1 - F_k(x)^n)\\,dx` (exact quadrature)
    [derived]; about :math:`k + 2\\sqrt{k\\log n}` for large ``k``."""
    n = check_int(n, "n", 1)
    k = check_positive(k, "k")
    return _max_chi2_moments(n, float(k))[0]


def _mean_norm(k: float) -> float:
    """E||g|| for g ~ N(0, I_k): sqrt(2) Gamma((k+1)/2)/Gamma(k/2)."""
    return float(np.sqrt(2.0) * np.exp(special.gammaln((k + 1) / 2) - special.gammaln(k / 2)))


def mean_abs_inner(k) -> float:
    """Exact :math:`\\mathbb E|\\langle g_i, g_k\\rangle|` for independent :math:`g \\sim N(0, I_k)` [derived]:

    .. math:: \\mathbb E|\\langle g_i, g_k\\rangle| = \\sqrt{\\tfrac{2}{\\pi}}\\,\\mathbb E\\|g\\|
              = \\frac{2}{\\sqrt\\pi}\\frac{\\Gamma((k+1)/2)}{\\Gamma(k/2)}
              = \\sqrt{\\tfrac{2k}{\\pi}}\\,\\big(1 - \\tfrac{1}{4k} + O(k^{-2})\\big),

    since given :math:`g_k`, :math:`\\langle g_i, g_k\\rangle \\sim N(0, \\|g_k\\|^2)`.
    """
    k = check_positive(k, "k")
    return float(np.sqrt(2.0 / np.pi) * _mean_norm(k))


def noise_floor_refined(n, d) -> float:
    """Finite-size refinement of the pure-noise floor for :math:`g_i \\sim N(0, I_d)` [derived]:

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
    numerator–denominator correlation (weight :math:`1/n`). Checked against simulation in
    ``tests/test_rmt_laws.py`` and the ``rmt.floor_refined`` row. ``d`` may be non-integer
    (anisotropic rows: pass :math:`d_{\\rm eff}`, a Satterthwaite approximation).
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

    projected noise: :math:`\\|g\\|^2 = a + \\chi^2_{d-1}`, :math:`b^2 = d-1`, max by exact quadrature;
    isotropic: :math:`\\mathbb E\\|g\\|^2 = a + d`, :math:`b^2 = d + 2a`, max approximated as mean +
    :math:`\\sqrt{2d + 4a}\\,\\mathbb E\\max_n Z`. :math:`V/(nF)` is the second-order Perron correction of
    :func:`noise_floor_refined` with the row-sum variance
    :math:`V = \\operatorname{Var}\\|g\\|^2 + (n-1)(a^2 + b^2 - F^2) + (n-1)(n-2)\\tfrac2\\pi(k - \\mu_1^2)` (the
    last, pure-noise, covariance term is kept at every SNR: an approximation), so at small SNR the
    prediction tends to the refined floor. Depends on :math:`(\\|\\mu\\|, \\sigma_p)` only through the SNR.
    Rises from about :func:`noise_floor` at SNR :math:`\\ll d^{-3/4}` (where :math:`a \\ll \\sqrt d`) to
    :math:`n` at SNR :math:`\\gg d^{-1/4}`. Vectorised over ``snr``.
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
    """Rigorous two-sided norm concentration (Laurent & Massart 2000, Lemma 1) [paper]:

    .. math:: \\Pr\\Big(\\max_{i\\le n} \\big|\\|\\xi_i\\|^2/\\sigma_p^2 - k\\big| > 2\\sqrt{kx} + 2x\\Big) \\le \\delta,
              \\qquad x = \\log(2n/\\delta),

    for :math:`\\|\\xi_i\\|^2/\\sigma_p^2 \\sim \\chi^2_k` (``k = d`` isotropic, ``d - 1`` projected noise).
    Returns the deviation :math:`2\\sqrt{kx} + 2x` (in units of :math:`\\sigma_p^2`).
    """
    n = check_int(n, "n", 1)
    k = check_positive(k, "k")
    x = np.log(2 * n / _check_delta(delta))
    return float(2 * np.sqrt(k * x) + 2 * x)


def inner_product_bound(n, k, delta) -> float:
    """Rigorous bound on the largest noise inner product [derived]:

    .. math:: \\Pr\\Big(\\max_{i<j} |\\langle\\xi_i, \\xi_j\\rangle|/\\sigma_p^2 > t\\Big) \\le \\delta,\\qquad
              t = 2\\sqrt{k\\log\\frac{n(n-1)}{\\delta}}\\quad (t \\le \\sqrt2\\,k),

    from the Chernoff bound :math:`\\Pr(\\sum_{j\\le k} z_jw_j > t) \\le e^{-\\lambda t}(1-\\lambda^2)^{-k/2} \\le
    e^{-\\lambda t + k\\lambda^2}` (:math:`\\lambda^2 \\le 1/2`) at :math:`\\lambda = t/2k`, two sides and a union
    over :math:`n(n-1)/2` pairs. When :math:`t > \\sqrt 2 k` the branch :math:`\\lambda = 1/\\sqrt2` gives
    :math:`t = \\sqrt2\\,(k/2 + \\log(n(n-1)/\\delta))`. ``k`` is the noise dimension (``d`` or ``d - 1``).
    """
    n = check_int(n, "n", 2)
    k = check_positive(k, "k")
    L = np.log(n * (n - 1) / _check_delta(delta))
    t = 2 * np.sqrt(k * L)
    if t > np.sqrt(2) * k:
        t = np.sqrt(2) * (k / 2 + L)
    return float(t)


def brief_inner_product_scale(n, d, delta) -> float:
    """The brief's :math:`|\\langle\\xi_i,\\xi_k\\rangle| \\lesssim \\sigma_p^2\\sqrt{d\\log(n/\\delta)}` read with
    constant 1 (stability brief Sec. 7) [reconstructed]. A scale, **not** a bound: the maximum over
    :math:`n(n-1)/2` pairs is about :math:`\\sqrt{2d\\log(n^2)}`, which exceeds it (row ``rmt.brief_inner_scale``)."""
    n = check_int(n, "n", 1)
    d = check_positive(d, "d")
    return float(np.sqrt(d * np.log(n / _check_delta(delta))))


# ----------------------------------------------------------------------------- MP / edge


# ----------------------------------------------------------------------------- tests
def snr_increase_test(n, d, snr_lo, snr_hi, instances, rng=None, *, vary="mu", noise="projected",
                      level: float = 1e-3) -> dict:
    """Is :math:`\\sigma` at ``snr_hi`` stochastically larger than at ``snr_lo``? [statistical]

    Draws ``instances`` independent patch data sets at each SNR (independent streams from
    ``SeedSequence.spawn``) and runs the **one-sided Mann–Whitney U test** (alternative: :math:`\\sigma_{hi}`
    stochastically greater) and the one-sided two-sample KS test. ``increase`` is True when the
    Mann–Whitney p-value is below ``level``; ``decrease`` when the reverse one-sided test rejects at
    ``level`` (evidence *against* the claim).
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
    """Where do the pure-noise floors hold? For each ``(n, d)`` in ``sizes`` sample ``instances``
    isotropic families and compare the mean coherence with :func:`noise_floor` and
    :func:`noise_floor_refined`.

    A prediction "holds" when its relative error is within ``tol`` **and** within 4 standard errors of
    the Monte Carlo mean plus ``tol``; ``near_orthogonal`` records whether :math:`\\sigma - 1 < 0.1` (the
    "noise Hessians are orthogonal" idealisation, true only for :math:`d \\gg n^2`). Notes name the
    dominant finite-size effect.
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
