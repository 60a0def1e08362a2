"""Marchenko–Pastur law, its largest-eigenvalue edge, and its form for noise Gram matrices.

This module holds

* the law itself: :class:`MarchenkoPasturGen` (a :class:`scipy.stats.rv_continuous` with a closed-form
  CDF), its unfrozen instance :data:`mp` and the frozen constructor :func:`marchenko_pastur`;
* the edge of the spectrum: :func:`mp_edges` (bulk edges), :func:`bai_yin_edge` (leading order of
  :math:`\\lambda_{\\max}`) and :func:`tracy_widom_edge` (Johnstone's centring and scale of its
  fluctuations);
* the same laws in the orientation of a Gram matrix :math:`\\Xi\\Xi^\\top` of ``n`` noise vectors in
  ``k`` dimensions: :func:`gram_mp`, :func:`gram_edge`, and the Kolmogorov–Smirnov comparison
  :func:`mp_ks`.

.. rubric:: Conventions

Let :math:`W` be :math:`N \\times M` with i.i.d. centred entries of variance :math:`s^2` and let
:math:`q = M/N` (the *ratio*). The eigenvalues of :math:`C = W^\\top W / N` (:math:`M \\times M`)
converge to the Marchenko–Pastur law with ratio :math:`q` and scale :math:`s^2` [1]_:

.. math::

    \\rho_{q,s^2}(x) = \\frac{\\sqrt{(\\lambda_+ - x)(x - \\lambda_-)}}{2\\pi\\, q\\, s^2\\, x},
    \\qquad \\lambda_\\pm = s^2 (1 \\pm \\sqrt q)^2, \\qquad 0 < q \\le 1 .

**The atom at zero (q > 1).** For :math:`q > 1` the matrix :math:`C` has rank :math:`N < M`, and its
limiting law has an atom of mass :math:`1 - 1/q` at zero. This module implements **the law of the
nonzero eigenvalues** (the continuous part renormalised to mass one):

.. math::

    \\rho^{\\ne 0}_{q,s^2}(x) = \\frac{\\sqrt{(\\lambda_+ - x)(x - \\lambda_-)}}{2\\pi\\, s^2\\, x},
    \\qquad \\lambda_\\pm = s^2(\\sqrt q \\pm 1)^2, \\qquad q > 1,

which is the law of :math:`q\\,X` with :math:`X \\sim \\mathrm{MP}(1/q, s^2)` (the nonzero
eigenvalues of :math:`W^\\top W/N` are those of :math:`W W^\\top / N = q\\, W W^\\top / M`). [derived;
checked by ``test_q_greater_one_is_nonzero_law`` in ``tests/randmat/test_marchenko_pastur.py``]
So for every ``ratio`` the support is :math:`[(1-\\sqrt q)^2, (1+\\sqrt q)^2]\\, s^2`, the mean is
:math:`\\max(1, q)\\, s^2` and the variance :math:`q\\, s^4`. To compare with an empirical spectrum for
:math:`q > 1`, drop the :math:`M - N` structural zeros first (:func:`rmtcheck.randmat.spectral.esd` does).

The ``scale`` of every function here is the **entry variance** :math:`s^2` (not its square root); it
is exactly scipy's ``scale`` parameter of the frozen distribution.

**CDF in closed form** [derived]: with :math:`a = \\lambda_-`, :math:`b = \\lambda_+`,
:math:`r(x) = \\sqrt{(b-x)(x-a)}`,

.. math::

    G(x) = r(x) + \\frac{a+b}{2} \\arcsin\\frac{2x - a - b}{b - a}
           - \\sqrt{ab}\\, \\arcsin\\frac{(a+b)x - 2ab}{x(b-a)},
    \\qquad F(x) = \\frac{G(x) - G(a)}{G(b) - G(a)},

with :math:`G(b) - G(a) = \\tfrac{\\pi}{2}(\\sqrt b - \\sqrt a)^2`. Differentiating, :math:`G'(x) =
r(x)/x`, the unnormalised density; the normalisation follows from :math:`G(a)` and :math:`G(b)` (the
arcsines are :math:`\\mp\\pi/2` there). Checked against quadrature of the density, including the hard
edge at :math:`q = 1`, by ``test_pdf_cdf_consistent`` in the same test file. The quantile function
inverts :math:`F` by vectorised bisection (80 halvings, float64 resolution).

**Edge.** :math:`\\lambda_{\\max}(W^\\top W) \\to s^2(\\sqrt N + \\sqrt M)^2` to leading order [2]_,
[3]_, with Tracy–Widom (:math:`\\beta = 1`) fluctuations on the scale of [4]_, Thm. 1.1.

References
----------
.. [1] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
   matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].
.. [2] Y. Q. Yin, Z. D. Bai and P. R. Krishnaiah (1988), "On the limit of the largest eigenvalue of
   the large dimensional sample covariance matrix", Probability Theory and Related Fields 78,
   509–521 (not in ``paper/references.bib``).
.. [3] Z. D. Bai and Y. Q. Yin (1993), "Limit of the smallest eigenvalue of a large dimensional sample
   covariance matrix", Annals of Probability 21(3), 1275–1294 (not in ``paper/references.bib``).
.. [4] I. M. Johnstone (2001), "On the distribution of the largest eigenvalue in principal components
   analysis", Annals of Statistics 29(2), 295–327 (not in ``paper/references.bib``), Thm. 1.1.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, check_int, check_positive

stats = lazy_module("scipy.stats")

__all__ = [
    "MarchenkoPasturGen", "mp",  # noqa: F822 (created on first access, see __getattr__)
    "marchenko_pastur", "mp_edges", "bai_yin_edge", "tracy_widom_edge",
    "gram_mp", "gram_edge", "mp_ks",
]


def _edges(q):
    sq = np.sqrt(q)
    return (1.0 - sq) ** 2, (1.0 + sq) ** 2


def _check_ratio(ratio) -> float:
    return check_positive(ratio, "ratio")


def marchenko_pastur(ratio, scale: float = 1.0):
    """Frozen Marchenko–Pastur distribution of ratio ``ratio`` and entry variance ``scale``.

    Parameters
    ----------
    ratio : float
        :math:`q = M/N > 0` for :math:`C = W^\\top W/N`, ``W`` of shape ``(N, M)``. For ``q > 1`` the
        law of the **nonzero** eigenvalues (module docstring). [1]_ for ``q <= 1``; [derived] for
        ``q > 1``.
    scale : float, default 1.0
        Entry variance :math:`s^2 > 0`.

    Returns
    -------
    scipy.stats frozen distribution
        :class:`MarchenkoPasturGen` frozen at ``(ratio, scale=scale)``, with ``pdf``, ``cdf``, ``ppf``,
        ``rvs``, ``support``, ``mean``, ``var``, ...

    Raises
    ------
    ValueError
        If ``ratio`` or ``scale`` is not a finite real number ``> 0``.

    See Also
    --------
    mp_edges : Support edges only.
    gram_mp : The same law in the orientation of a noise Gram matrix.
    rmtcheck.randmat.spectral.fit_mp : Fit ``scale`` to an empirical spectrum.

    References
    ----------
    .. [1] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
       matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].

    Examples
    --------
    >>> d = marchenko_pastur(0.25)
    >>> [float(v) for v in d.support()]
    [0.25, 2.25]
    >>> print(f"mean {float(d.mean()):.2f}, var {float(d.var()):.2f}, F(1) = {float(d.cdf(1.0)):.4f}")
    mean 1.00, var 0.25, F(1) = 0.5534

    For ``q > 1`` the law of the nonzero eigenvalues has mean :math:`q s^2`:

    >>> print(f"{float(marchenko_pastur(4.0).mean()):.1f}")
    4.0
    """
    q = _check_ratio(ratio)
    s2 = check_positive(scale, "scale")
    return _law().mp(q, scale=s2)


def mp_edges(ratio, scale: float = 1.0) -> tuple[float, float]:
    """Bulk edges :math:`(\\lambda_-, \\lambda_+)` of the Marchenko–Pastur law.

    .. math:: \\lambda_\\pm = s^2 (1 \\pm \\sqrt q)^2 ,

    and for ``q > 1`` (law of the nonzero eigenvalues) :math:`s^2(\\sqrt q \\pm 1)^2`, the same numbers
    [1]_.

    Parameters
    ----------
    ratio : float
        :math:`q = M/N > 0`.
    scale : float, default 1.0
        Entry variance :math:`s^2 > 0`.

    Returns
    -------
    lower, upper : float
        The edges in the units of :math:`W^\\top W/N`; multiply by ``N`` for :math:`W^\\top W`.

    Raises
    ------
    ValueError
        If ``ratio`` or ``scale`` is not a finite real number ``> 0``.

    See Also
    --------
    bai_yin_edge : Upper edge of the unnormalised :math:`W^\\top W`.
    tracy_widom_edge : Finite-size fluctuation of the largest eigenvalue.

    References
    ----------
    .. [1] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
       matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].

    Examples
    --------
    >>> mp_edges(0.25)
    (0.25, 2.25)
    >>> mp_edges(4.0)
    (1.0, 9.0)
    >>> print("({:.4f}, {:.4f})".format(*mp_edges(0.5, scale=2.0)))
    (0.1716, 5.8284)
    """
    q = _check_ratio(ratio)
    s2 = check_positive(scale, "scale")
    a, b = _edges(q)
    return float(s2 * a), float(s2 * b)


def bai_yin_edge(n_rows, n_cols, scale: float = 1.0) -> float:
    """Leading-order largest eigenvalue of the unnormalised Gram matrix :math:`W^\\top W`.

    For an ``n_rows x n_cols`` matrix :math:`W` with i.i.d. centred entries of variance :math:`s^2`
    [1]_, [2]_:

    .. math:: \\lambda_{\\max}(W^\\top W) \\approx s^2 (\\sqrt{N} + \\sqrt{M})^2 .

    Equal to ``N * mp_edges(M/N, s2)[1]``; symmetric in ``N`` and ``M``.

    Parameters
    ----------
    n_rows, n_cols : int
        :math:`N, M \\ge 1`.
    scale : float, default 1.0
        Entry variance :math:`s^2 > 0`.

    Returns
    -------
    float
        :math:`s^2(\\sqrt N + \\sqrt M)^2`.

    Raises
    ------
    ValueError
        If ``n_rows`` or ``n_cols`` is not an integer ``>= 1`` or ``scale`` is not finite and ``> 0``.

    See Also
    --------
    tracy_widom_edge : The finite-size centring and scale around this edge.

    References
    ----------
    .. [1] Y. Q. Yin, Z. D. Bai and P. R. Krishnaiah (1988), "On the limit of the largest eigenvalue of
       the large dimensional sample covariance matrix", Probability Theory and Related Fields 78,
       509–521 (not in ``paper/references.bib``).
    .. [2] Z. D. Bai and Y. Q. Yin (1993), "Limit of the smallest eigenvalue of a large dimensional sample
       covariance matrix", Annals of Probability 21(3), 1275–1294 (not in ``paper/references.bib``).

    Examples
    --------
    >>> bai_yin_edge(400, 100)
    900.0
    """
    N = check_int(n_rows, "n_rows", 1)
    M = check_int(n_cols, "n_cols", 1)
    s2 = check_positive(scale, "scale")
    return float(s2 * (np.sqrt(N) + np.sqrt(M)) ** 2)


def tracy_widom_edge(n_rows, n_cols, scale: float = 1.0) -> tuple[float, float]:
    """Johnstone's centring and scale of :math:`\\lambda_{\\max}(W^\\top W)` for Gaussian ``W``.

    For ``W`` with i.i.d. :math:`N(0, s^2)` entries, :math:`n = \\max(N, M)` and :math:`p = \\min(N, M)`
    [1]_, Thm. 1.1:

    .. math::

        \\mu = s^2(\\sqrt{n-1} + \\sqrt{p})^2, \\qquad
        \\sigma = s^2(\\sqrt{n-1} + \\sqrt{p})\\Big(\\tfrac{1}{\\sqrt{n-1}} + \\tfrac{1}{\\sqrt p}\\Big)^{1/3},

    so that :math:`(\\lambda_{\\max} - \\mu)/\\sigma` is asymptotically Tracy–Widom (:math:`\\beta = 1`; mean
    :math:`\\approx -1.21`, sd :math:`\\approx 1.27`). Symmetric in the two dimensions up to the ``-1``;
    the finite-size fluctuation of the edge is :math:`\\sigma` (divide both by ``N`` for
    :math:`W^\\top W/N`).

    Parameters
    ----------
    n_rows : int
        :math:`N \\ge 2`.
    n_cols : int
        :math:`M \\ge 1`.
    scale : float, default 1.0
        Entry variance :math:`s^2 > 0`.

    Returns
    -------
    mu, sigma : float
        Centring and scale, in the units of the unnormalised :math:`W^\\top W`.

    Raises
    ------
    ValueError
        If ``n_rows < 2``, ``n_cols < 1`` (or either is not an integer) or ``scale`` is not finite and
        ``> 0``.

    See Also
    --------
    bai_yin_edge : The leading-order edge :math:`s^2(\\sqrt N + \\sqrt M)^2`.
    gram_edge : Both, for a noise Gram matrix.

    References
    ----------
    .. [1] I. M. Johnstone (2001), "On the distribution of the largest eigenvalue in principal components
       analysis", Annals of Statistics 29(2), 295–327 (not in ``paper/references.bib``), Thm. 1.1.

    Examples
    --------
    >>> mu, sigma = tracy_widom_edge(400, 100)
    >>> print(f"{mu:.2f} {sigma:.2f}")
    898.50 15.93
    """
    N = check_int(n_rows, "n_rows", 2)
    M = check_int(n_cols, "n_cols", 1)
    s2 = check_positive(scale, "scale")
    n1, p = max(N, M), min(N, M)
    r = np.sqrt(n1 - 1) + np.sqrt(p)
    mu = s2 * r**2
    sigma = s2 * r * (1.0 / np.sqrt(n1 - 1) + 1.0 / np.sqrt(p)) ** (1.0 / 3.0)
    return float(mu), float(sigma)


def gram_mp(n, k, scale: float = 1.0):
    """Marchenko–Pastur law of the eigenvalues of :math:`\\Xi\\Xi^\\top/k`, :math:`\\Xi` of shape ``(n, k)``.

    In the conventions of the module docstring :math:`W = \\Xi^\\top` (``N = k`` rows, ``M = n``
    columns), so the ratio is :math:`q = n/k` [1]_; for :math:`n > k` it is the law of the nonzero
    eigenvalues (drop the :math:`n - k` zeros). Projected noise (orthogonal to a signal direction) lives
    in :math:`d-1` dimensions: pass ``k = d - 1``.

    Parameters
    ----------
    n : int
        Number of noise vectors (rows of :math:`\\Xi`), ``>= 1``.
    k : int
        Their dimension (columns of :math:`\\Xi`), ``>= 1``.
    scale : float, default 1.0
        Entry variance of :math:`\\Xi` (:math:`\\sigma_p^2` for patch noise), ``> 0``.

    Returns
    -------
    scipy.stats frozen distribution
        ``marchenko_pastur(n / k, scale)``.

    Raises
    ------
    ValueError
        If ``n`` or ``k`` is not an integer ``>= 1`` or ``scale`` is not finite and ``> 0``.

    See Also
    --------
    marchenko_pastur : The law in :math:`W^\\top W/N` orientation.
    mp_ks : KS comparison of sampled Gram spectra with this law.

    Notes
    -----
    The law applies to the signed Gram matrix :math:`G = \\Xi\\Xi^\\top`, **not** to its entrywise
    absolute value :math:`|G|` that enters the coherence.

    References
    ----------
    .. [1] V. A. Marčenko and L. A. Pastur (1967), "Distribution of eigenvalues for some sets of random
       matrices", Mathematics of the USSR-Sbornik 1(4), 457–483 [marchenko1967].

    Examples
    --------
    >>> [float(v) for v in gram_mp(100, 400).support()]
    [0.25, 2.25]
    """
    n = check_int(n, "n", 1)
    k = check_int(k, "k", 1)
    return marchenko_pastur(n / k, scale)


def gram_edge(n, k, scale: float = 1.0) -> tuple[float, float, float]:
    """Edge of :math:`\\lambda_{\\max}(\\Xi\\Xi^\\top)` for :math:`\\Xi` of shape ``(n, k)``.

    Returns the Bai–Yin value :math:`s^2(\\sqrt k + \\sqrt n)^2` [1]_, [2]_ together with Johnstone's
    Tracy–Widom centring and scale [3]_, Thm. 1.1 (:func:`tracy_widom_edge` with ``N = k``, ``M = n``).

    Parameters
    ----------
    n : int
        Number of noise vectors, ``>= 2``.
    k : int
        Their dimension, ``>= 2``.
    scale : float, default 1.0
        Entry variance :math:`s^2 > 0`.

    Returns
    -------
    bai_yin, tw_centre, tw_scale : float
        In the units of the unnormalised :math:`\\Xi\\Xi^\\top`.

    Raises
    ------
    ValueError
        If ``n`` or ``k`` is not an integer ``>= 2`` or ``scale`` is not finite and ``> 0``.

    See Also
    --------
    bai_yin_edge, tracy_widom_edge

    References
    ----------
    .. [1] Y. Q. Yin, Z. D. Bai and P. R. Krishnaiah (1988), "On the limit of the largest eigenvalue of
       the large dimensional sample covariance matrix", Probability Theory and Related Fields 78,
       509–521 (not in ``paper/references.bib``).
    .. [2] Z. D. Bai and Y. Q. Yin (1993), "Limit of the smallest eigenvalue of a large dimensional sample
       covariance matrix", Annals of Probability 21(3), 1275–1294 (not in ``paper/references.bib``).
    .. [3] I. M. Johnstone (2001), "On the distribution of the largest eigenvalue in principal components
       analysis", Annals of Statistics 29(2), 295–327 (not in ``paper/references.bib``), Thm. 1.1.

    Examples
    --------
    >>> print("{:.1f} {:.2f} {:.2f}".format(*gram_edge(100, 400)))
    900.0 898.50 15.93
    """
    n = check_int(n, "n", 2)
    k = check_int(k, "k", 2)
    s2 = check_positive(scale, "scale")
    mu, sg = tracy_widom_edge(k, n, s2)
    return float(s2 * (np.sqrt(k) + np.sqrt(n)) ** 2), mu, sg


def mp_ks(eigs, n, k, scale: float = 1.0) -> dict:
    """Kolmogorov–Smirnov comparison of sampled Gram spectra with :func:`gram_mp`.

    Parameters
    ----------
    eigs : array_like, shape (m, n)
        Eigenvalues of :math:`\\Xi\\Xi^\\top` (unnormalised) for ``m`` instances, one row each, any order.
        The ``min(n, k)`` largest of each row are divided by ``k`` and compared with the law.
    n, k : int
        Shape ``(n, k)`` of each :math:`\\Xi` (both ``>= 1``).
    scale : float, default 1.0
        Entry variance of :math:`\\Xi`.

    Returns
    -------
    dict
        ``D``, ``p`` : ndarray (m,)
            Per-instance one-sample KS statistic and p-value (exact two-sided distribution
            :data:`scipy.stats.kstwo`).
        ``D_pooled``, ``p_pooled`` : float
            KS test of all ``m * min(n, k)`` eigenvalues pooled (:func:`scipy.stats.kstest`).
        ``ratio`` : float
            :math:`n/k`.

    Raises
    ------
    ValueError
        If ``eigs`` is not a finite 2-D array with ``n`` columns, ``n`` or ``k`` is not an integer
        ``>= 1``, or ``scale`` is not finite and ``> 0``.

    See Also
    --------
    gram_mp : The law being tested.
    scipy.stats.kstest

    Notes
    -----
    The per-instance test treats the ``n`` eigenvalues as a sample; eigenvalue repulsion makes it
    conservative. The pooled test over ``m`` instances compares the *mean* finite-``n`` spectral density
    with the limit law and therefore detects the :math:`O(1/n)` finite-size correction once :math:`m\\,n`
    is large (its p-value is not exact either, the eigenvalues of one instance being dependent).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((5, 50, 200))
    >>> r = mp_ks(np.linalg.eigvalsh(X @ X.transpose(0, 2, 1)), 50, 200)
    >>> r["ratio"], bool(r["p"].min() > 0.01)
    (0.25, True)
    """
    E = as_finite_array(eigs, "eigs", ndim=2)
    n = check_int(n, "n", 1)
    k = check_int(k, "k", 1)
    if E.shape[1] != n:
        raise ValueError(f"eigs must have n={n} columns; got shape {E.shape}")
    E = np.sort(E, axis=1)[:, -min(n, k):] / k
    law = gram_mp(n, k, scale)
    # vectorised one-sample KS for every row
    r = E.shape[1]
    F = law.cdf(E)
    i = np.arange(1, r + 1)
    D = np.maximum((i / r - F).max(axis=1), (F - (i - 1) / r).max(axis=1))
    p = stats.kstwo.sf(D, r)
    pooled = stats.kstest(E.ravel(), law.cdf)
    return {"D": D, "p": p, "D_pooled": float(pooled.statistic), "p_pooled": float(pooled.pvalue),
            "ratio": n / k}


def _law():
    """The private module holding the distribution (imports SciPy's stats on first use)."""
    from rmtcheck.randmat import _mp_law

    return _mp_law


def __getattr__(name):
    """:class:`MarchenkoPasturGen` and :data:`mp` are created on first access (PEP 562)."""
    if name in ("MarchenkoPasturGen", "mp"):
        return getattr(_law(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
