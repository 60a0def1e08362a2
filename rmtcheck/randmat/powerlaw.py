"""Power-law fits of eigenvalue tails: the CSN fit behind WeightWatcher's :math:`\\alpha`, and Hill's
estimator.

This module holds :func:`fit_powerlaw` (maximum-likelihood exponent with the Kolmogorov–Smirnov
choice of :math:`x_{\\min}`, returning a :class:`PowerLawFit`), :func:`powerlaw_alpha_at` (the MLE at a
fixed threshold), :func:`hill_alpha` (Hill's top-:math:`k` estimator), and the option names
:data:`CONVENTIONS` and :data:`ECDFS`. The layer diagnostics of :mod:`rmtcheck.randmat.spectral` call
:func:`fit_powerlaw` on the ESD of a weight matrix, as WeightWatcher does [3]_.

.. rubric:: The CSN fit

Eigenvalues at or below the estimator's cut are dropped (:math:`10^{-5}` under ``"ww"``, :math:`10^{-5}\\lambda_{\\max}`
under ``"strict"``; ``drop_atol``, ``drop_rtol``). For every candidate
:math:`x_{\\min} = \\lambda_{(i)}` (ascending order) with at least ``min_tail`` tail points the
continuous MLE and the KS distance are computed, and the :math:`x_{\\min}` of smallest KS distance is
chosen ([1]_, Sec. 3.1 for the estimator and its standard error, Sec. 3.3 for :math:`x_{\\min}`):

.. math::

    \\hat\\alpha = 1 + \\frac{n}{\\sum_{\\text{tail}} \\ln(\\lambda_i / x_{\\min})}, \\qquad
    D = \\sup_x |S_n(x) - P(x)|, \\quad P(x) = 1 - (x/x_{\\min})^{1-\\hat\\alpha},
    \\qquad \\sigma_\\alpha = \\frac{\\hat\\alpha - 1}{\\sqrt n} .

*Counting conventions* (``convention``, made explicit here): ``"ww"`` (WeightWatcher, the ``powerlaw``
package and [1]_) counts the :math:`x_{\\min}` point itself in the tail,
:math:`n = \\#\\{\\lambda \\ge x_{\\min}\\}`; ``"hill"`` is Hill's top-:math:`k` form [2]_: the :math:`k`
points strictly above the threshold :math:`\\lambda_{(k+1)}`. The log-sums are equal (the threshold
contributes :math:`\\ln 1 = 0`), so at the same threshold
:math:`(\\hat\\alpha_{ww} - 1) / (\\hat\\alpha_{hill} - 1) = (k+1)/k` **exactly** [derived; checked by
``test_hill_vs_ww_exact`` in ``tests/randmat/test_spectral_fit.py``].

*Estimators* (``estimator``): ``"ww"`` is WeightWatcher's ``WWFit`` exactly — every eigenvalue but the
largest is an :math:`x_{\\min}` candidate (no minimum tail beyond 2 points), the KS distance on the left ECDF
(:math:`\\max_r |P_r - r/n|`), eigenvalues at or below an *absolute* :math:`10^{-5}` dropped, the first minimum of
:math:`D` chosen; ``"strict"`` is this package's stricter fit — a minimum tail of 50 points, the two-sided KS
supremum and a *relative* cut :math:`10^{-5}\\lambda_{\\max}` (and a bootstrap CI on request). They differ most on
spectra with a hard edge (a Gaussian 500 x 250 matrix: median :math:`\\alpha` near 9 under ``"ww"``, near 4.3
under ``"strict"``). ``"ww"`` is the default, so that :math:`\\hat\\alpha` is the number WeightWatcher users
compare with; ``"strict"`` is the option for a fit whose tail is long enough for its standard error to mean
something. An option given explicitly (``min_tail``, ``ecdf``, ``convention``, the cut) overrides the
estimator's value for it.

*ECDF conventions* (``ecdf``): ``"two-sided"`` (``"strict"``'s) is the exact KS supremum, checking both
sides of every jump, :math:`\\max_r \\max(P_r - r/n, (r+1)/n - P_r)`; ``"left"`` uses
:math:`|P_r - r/n|` only, which is what the ``powerlaw`` package (and so WeightWatcher) computes. They
differ by at most :math:`1/n`.

*Vectorised scan* [derived]: with :math:`L = \\ln\\lambda` sorted, suffix sums give all
:math:`\\hat\\alpha` in :math:`O(n)`, and each candidate's KS distance costs :math:`O(n)` array work
(blocks of candidates at once), with no refit loop; ``test_scan_matches_brute_force`` checks it
against a per-candidate refit.

*Pruned scan* [derived] (``scan``): the exact scan is :math:`O(n^2)` (0.5-0.8 s at 20,000 eigenvalues). With
:math:`E_{ij} = (\\lambda_j/\\lambda_i)^{1-\\hat\\alpha_i}` and :math:`V_{ij} = E_{ij} + (j - n)/m_i` (tail column
:math:`j`, tail size :math:`m_i`), :math:`D_i = \\max(-\\min_j V_{ij}, \\max_j V_{ij} + e/m_i)` (:math:`e = 1` two-sided,
0 left). The same extremes over a subset of columns, with the same floating-point formula per element, are a lower
bound :math:`LB_i \\le D_i`; :math:`E` falls and :math:`(j - n)/m_i` rises with :math:`j`, so between sampled columns
:math:`j_1 < j_2` every :math:`V_{ij}` lies in :math:`[V_{ij_2} - (j_2 - j_1)/m_i, V_{ij_1} + (j_2 - j_1)/m_i]`: an
upper bound :math:`UB_i = LB_i + G_i/m_i` (:math:`G_i` the widest gap, plus a rounding slack). A candidate with
:math:`LB_i > T`, :math:`T` the smallest upper bound or exact :math:`D` found so far, has :math:`D_i > \\min_k D_k`:
it is never the chosen one, nor tied with it. The bounds come from 8 index-uniform columns per candidate, then
from "hot" columns: the columns where :math:`|V|` peaks for a few candidates of smallest :math:`LB`, computed exactly
(neighbouring candidates mostly peak at the same data points); what survives is computed exactly. The exact
distances are bitwise those of the full scan (the per-element formula does not depend on the blocks), so the chosen
:math:`x_{\\min}`, :math:`\\hat\\alpha`, :math:`D` and tail size are identical to the full scan's; ``ks_curve`` holds
NaN for the candidates proved non-minimal. ``scan="auto"`` (default) prunes from :data:`PRUNE_FROM` eigenvalues on,
where it is already several times faster (``benchmarks/bench_spectral.py``, ``estimator="ww"``: 1-2 ms against
8-10 ms at 2,000 eigenvalues, 5-6 ms against 0.55-0.76 s at 20,000, 66 ms against 168 s at 200,000; 130 to 3,200
times faster than the ``powerlaw`` package's ``Fit``, with the same choice). ``tests/randmat/test_powerlaw_pruned_scan.py``
checks the equality (property tests on Pareto, Student-t and Gaussian ESDs, ties, both conventions and ECDFs).

.. rubric:: WeightWatcher's ``xmax`` and "fix fingers" options

Off by default, as in WeightWatcher; the rules are WeightWatcher's as its source states them, with the places where
they are not reproduced, in :mod:`rmtcheck.randmat._fingers`. ``xmax=k`` (a nonzero integer) leaves the top
:math:`|k|` eigenvalues out of the fit (at most half of them). ``fix_fingers="xmin_peak"`` scans only the
:math:`x_{\\min}` candidates that the ``powerlaw`` package's ``Fit(xmin=(log10(0.95 p), xmin_max))`` scans, :math:`p`
the left edge of the fullest bin of a 100-bin histogram of :math:`\\log_{10}\\lambda` and ``xmin_max`` :math:`1.5p`
by default (checked once against the ``powerlaw`` package 1.5, of the 1.x line WeightWatcher was written for: the
same :math:`x_{\\min}` and :math:`\\hat\\alpha` to 5e-15 on 12 ESDs; 2.0 marks some of these candidates invalid). ``fix_fingers="clip_xmax"`` refits with the top ``2, ..., max_fingers - 1``
eigenvalues removed and keeps the first fit whose :math:`\\hat\\alpha` is more than 1 below the raw fit's (stopping
at a clipped :math:`\\hat\\alpha \\le 2`); ``PowerLawFit.xmax``, ``n_clipped``, ``num_fingers``, ``raw_alpha`` and
``num_pl_spikes`` report what was left out as WeightWatcher's columns do.

*Bootstrap CI* [derived]: ``bootstrap_mode="fixed-xmin"`` (default) resamples the eigenvalues with
replacement, keeps :math:`x_{\\min}` and refits :math:`\\hat\\alpha` (vectorised over replicates;
ignores the uncertainty of :math:`x_{\\min}`); ``"full"`` redoes the :math:`x_{\\min}` scan on every
replicate (slower). Percentile interval.

References
----------
.. [1] A. Clauset, C. R. Shalizi and M. E. J. Newman (2009), "Power-Law Distributions in Empirical
   Data", SIAM Review 51(4), 661–703 [clauset2009], Secs. 3.1 and 3.3.
.. [2] B. M. Hill (1975), "A simple general approach to inference about the tail of a distribution",
   Annals of Statistics 3(5), 1163–1174 (not in ``paper/references.bib``).
.. [3] C. H. Martin and M. W. Mahoney (2021), "Implicit Self-Regularization in Deep Neural Networks:
   Evidence from Random Matrix Theory and Implications for Learning", Journal of Machine Learning
   Research 22(165), 1–73 [martin2021].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive, check_unit_interval
from rmtcheck.randmat._fingers import (
    DEFAULT_MAX_FINGERS,
    FIX_FINGERS,
    check_options,
    clip_fingers,
    peak_window,
    window_mask,
)
from rmtcheck.randmat._ks_scan import ks_rows
from rmtcheck.randmat._ks_scan import scan as _scan

__all__ = [
    "CONVENTIONS", "ECDFS", "ESTIMATORS", "FIX_FINGERS", "PRUNE_FROM", "SCANS", "PowerLawFit", "fit_powerlaw",
    "hill_alpha", "powerlaw_alpha_at",
]


#: Tail counting conventions of :func:`fit_powerlaw` (module docstring).
CONVENTIONS = ("ww", "hill")


#: KS (ECDF) conventions of :func:`fit_powerlaw` (module docstring).
ECDFS = ("two-sided", "left")


#: Named estimators of :func:`fit_powerlaw` (module docstring): the options each one fixes.
ESTIMATORS = {
    "ww": {"min_tail": 2, "ecdf": "left", "convention": "ww", "drop_atol": 1e-5},
    "strict": {"min_tail": 50, "ecdf": "two-sided", "convention": "ww", "drop_rtol": 1e-5},
}


_DROP_RTOL = 1e-5


_BLOCK_ELEMS = 1 << 20  # about 8 MB of float64 per working array in the bootstrap


#: Scan modes of :func:`fit_powerlaw` (module docstring); ``"auto"`` prunes from :data:`PRUNE_FROM` eigenvalues on.
SCANS = ("full", "pruned", "auto")


#: Smallest number of retained eigenvalues at which ``scan="auto"`` uses the pruned scan (it is faster from about 400
#: on; below 1,000 the whole KS curve costs at most a few milliseconds).
PRUNE_FROM = 1000


@dataclass
class PowerLawFit:
    """CSN power-law fit of one spectrum, with the whole :math:`\\alpha`-versus-:math:`x_{\\min}` curve.

    ``xmins[i]``, ``alphas[i]``, ``ks_curve[i]``, ``n_tails[i]`` describe candidate ``i``; ``index`` is
    the chosen one.

    Attributes
    ----------
    alpha : float
        Fitted exponent :math:`\\hat\\alpha` of the density :math:`p(\\lambda) \\propto \\lambda^{-\\alpha}`.
    xmin : float
        Chosen (or fixed) threshold :math:`x_{\\min}`.
    ks_distance : float
        KS distance :math:`D` of the tail at ``xmin``.
    n_tail : int
        Number of tail points in the chosen convention.
    alpha_stderr : float
        :math:`(\\hat\\alpha - 1)/\\sqrt{n_{\\rm tail}}`.
    convention : {"ww", "hill"}
        Tail counting convention.
    ecdf : {"two-sided", "left"}
        KS convention.
    index : int
        Position of the chosen candidate in the arrays below.
    xmins, alphas, ks_curve : ndarray of float
        Candidate thresholds, their :math:`\\hat\\alpha` and KS distances (``inf`` where the tail is
        degenerate). After the pruned scan (``scan="pruned"``, or ``"auto"`` from :data:`PRUNE_FROM` eigenvalues
        on) ``ks_curve`` is NaN for the candidates proved to have a larger distance than the chosen one (module
        docstring); every other entry is the exact distance of the full scan.
    n_tails : ndarray of int
        Candidate tail sizes.
    n_used : int
        Eigenvalues kept after dropping those :math:`\\le` ``drop_rtol * max``.
    min_tail : int
        Effective minimum tail size.
    ci : tuple of float
        Bootstrap percentile interval (NaNs when no bootstrap ran).
    ci_level : float
        Its level.
    n_boot : int
        Number of bootstrap replicates (0: none).
    bootstrap_mode : str
        ``"fixed-xmin"``, ``"full"`` or ``"none"``.
    xmax : float
        The largest eigenvalue the fit used (WeightWatcher's ``xmax`` column).
    n_clipped : int
        Top eigenvalues left out of the fit: ``|xmax|`` for an integer ``xmax``, or the fingers removed by
        ``fix_fingers="clip_xmax"`` (0: none).
    fix_fingers : str or None
        The ``fix_fingers`` option used.
    num_fingers : int or None
        WeightWatcher's ``num_fingers`` column under ``"clip_xmax"``: ``n_clipped - 1`` when fingers were clipped
        (its loop starts at two and records one less), else 0; ``None`` without ``"clip_xmax"``.
    raw_alpha : float or None
        :math:`\\hat\\alpha` of the fit before clipping (``"clip_xmax"`` only).
    num_pl_spikes : int
        WeightWatcher's ``num_pl_spikes``: eigenvalues given (less those an integer ``xmax`` left out) that are
        :math:`\\ge x_{\\min}`; with ``"clip_xmax"`` it counts the clipped fingers too (``n_tail + n_clipped``),
        otherwise it equals ``n_tail`` up to ties at :math:`x_{\\min}`.
    xmin_window : tuple of float or None
        ``(lo, hi)``, the x_min range of ``fix_fingers="xmin_peak"``.
    """

    alpha: float
    xmin: float
    ks_distance: float
    n_tail: int
    alpha_stderr: float
    convention: str
    ecdf: str
    index: int
    xmins: np.ndarray
    alphas: np.ndarray
    ks_curve: np.ndarray
    n_tails: np.ndarray
    n_used: int  # eigenvalues kept after dropping those <= 1e-5 * max
    min_tail: int  # effective minimum tail size
    ci: tuple = (float("nan"), float("nan"))
    ci_level: float = 0.95
    n_boot: int = 0
    bootstrap_mode: str = "none"
    xmax: float = float("nan")
    n_clipped: int = 0
    fix_fingers: str | None = None
    num_fingers: int | None = None
    raw_alpha: float | None = None
    num_pl_spikes: int = -1
    xmin_window: tuple | None = None


#: Smallest spectrum (number of eigenvalues given) :func:`fit_powerlaw` fits; a layer with fewer is reported as
#: skipped, never flagged.
MIN_EIGENVALUES = 10


class TooFewEigenvalues(ValueError):
    """Raised by :func:`fit_powerlaw` when too few eigenvalues remain for a meaningful fit."""


def _check_convention(convention, ecdf):
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}; got {convention!r}")
    if ecdf not in ECDFS:
        raise ValueError(f"ecdf must be one of {ECDFS}; got {ecdf!r}")
    return 0 if convention == "ww" else 1


def _positive_sorted(evals, drop_rtol=_DROP_RTOL, drop_atol=None) -> np.ndarray:
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size and np.min(ev) < 0:
        # tiny negative round-off of PSD spectra is clipped; anything else is an error
        if np.min(ev) < -1e-8 * max(np.max(np.abs(ev)), np.finfo(float).tiny):
            raise ValueError(f"evals must be >= 0 (eigenvalues of W^T W); got min {np.min(ev):.3g}")
    ev = np.sort(ev)
    if ev.size == 0 or ev[-1] <= 0:
        raise TooFewEigenvalues("evals has no positive eigenvalue (an all-zero spectrum); a power law cannot be "
                                "fitted")
    return ev[ev > (drop_atol if drop_atol is not None else drop_rtol * ev[-1])]


def fit_powerlaw(evals, min_tail: int | None = None, convention: str | None = None, ecdf: str | None = None,
                 xmin=None, bootstrap: int = 0, ci_level: float = 0.95, bootstrap_mode: str = "fixed-xmin",
                 rng=None, drop_rtol: float | None = None, *, drop_atol: float | None = None,
                 estimator: str = "ww", scan: str = "auto", xmax: int | None = None, fix_fingers: str | None = None,
                 max_fingers: int = DEFAULT_MAX_FINGERS, xmin_max: float | None = None) -> PowerLawFit:
    """CSN power-law fit of an ESD with the vectorised :math:`x_{\\min}` scan.

    See the module docstring for the estimator, the conventions and the bootstrap.

    Parameters
    ----------
    evals : array_like, 1-D
        Eigenvalues (order irrelevant, ``>= 0`` up to round-off); those at or below the estimator's cut are
        dropped.
    min_tail : int, optional
        Minimum number of tail points (``>= 2``; the estimator's by default: 2 for ``"ww"``, 50 for ``"strict"``,
        which keeps the standard error :math:`(\\hat\\alpha - 1)/\\sqrt{n}` below about :math:`(\\hat\\alpha - 1)/7`).
        When fewer points remain after the drop, the effective minimum is all of them (a single candidate, the
        smallest eigenvalue); ``PowerLawFit.min_tail`` reports the value used.
    convention : {"ww", "hill"}, optional
        Tail counting convention (module docstring; ``"ww"`` for both estimators).
    ecdf : {"two-sided", "left"}, optional
        KS convention (the estimator's by default: ``"left"`` for ``"ww"``, as the ``powerlaw`` package and
        WeightWatcher; ``"two-sided"`` for ``"strict"``).
    xmin : float, optional
        Fix :math:`x_{\\min}` (the largest candidate :math:`\\le` ``xmin`` is used) instead of scanning.
    bootstrap : int, default 0
        Number of bootstrap replicates for the CI (0: none).
    ci_level : float, default 0.95
        Level of the percentile interval, in ``[0, 1]``.
    bootstrap_mode : {"fixed-xmin", "full"}, default "fixed-xmin"
        Keep :math:`x_{\\min}` or redo the scan on every replicate.
    rng : None, int, SeedSequence or Generator, optional
        Randomness of the bootstrap.
    drop_rtol : float, optional
        A relative cut: eigenvalues ``<= drop_rtol * max`` are dropped (``"strict"``'s 1e-5 by default).
    drop_atol : float, optional
        An absolute cut (keyword-only): eigenvalues ``<= drop_atol`` are dropped (``"ww"``'s 1e-5 by default, as
        WeightWatcher). Given both, the absolute cut applies.
    estimator : {"ww", "strict"}, default "ww"
        The named estimator (keyword-only; module docstring) whose ``min_tail``, ``ecdf``, ``convention`` and cut
        are the defaults of the arguments above; an argument given explicitly overrides its preset value.
        ``"ww"`` with no override is WeightWatcher's ``WWFit`` exactly.
    xmax : int, optional
        WeightWatcher's ``xmax`` (keyword-only): a nonzero integer ``k`` leaves the top ``|k|`` eigenvalues out of the
        fit (``|k|`` at most half of ``evals``); ``None`` (default) fits them all. Not with ``fix_fingers``.
    fix_fingers : {None, "xmin_peak", "clip_xmax"}, optional
        WeightWatcher's finger fixes (keyword-only; off by default; module docstring and
        :mod:`rmtcheck.randmat._fingers`). Not with a fixed ``xmin``.
    max_fingers : int, default 10
        ``"clip_xmax"`` tries fits without the top ``2, ..., max_fingers - 1`` eigenvalues (keyword-only; ``>= 3``).
    xmin_max : float, optional
        Upper end of the ``"xmin_peak"`` window (keyword-only; default 1.5 times the log-histogram peak; at least
        0.95 times it).
    scan : {"auto", "full", "pruned"}, default "auto"
        The :math:`x_{\\min}` scan (keyword-only; module docstring): ``"full"`` computes every candidate's KS
        distance (:math:`O(n^2)`); ``"pruned"`` skips the candidates proved non-minimal (NaN in ``ks_curve``) and
        chooses exactly the same candidate; ``"auto"`` prunes from :data:`PRUNE_FROM` retained eigenvalues on. Also
        used by every replicate of ``bootstrap_mode="full"``. Pass ``"full"`` for the whole KS curve.

    Returns
    -------
    PowerLawFit

    Raises
    ------
    ValueError
        If ``convention``, ``ecdf``, ``bootstrap_mode`` or ``scan`` is unknown; ``min_tail < 2``, ``bootstrap < 0``
        or ``ci_level`` outside ``[0, 1]``; ``evals`` is not a finite 1-D array, has a negative entry
        beyond round-off, has fewer than :data:`MIN_EIGENVALUES` (10) entries, has no positive entry, or keeps
        fewer than 2 (``"hill"``: 3) eigenvalues after the drop (these three: :class:`TooFewEigenvalues`, a
        ``ValueError``); ``xmin`` is not finite and ``> 0`` or is below the smallest retained eigenvalue; every
        candidate tail is degenerate (all tail eigenvalues equal); ``xmax`` is not ``None`` or a nonzero integer of
        at most half the eigenvalues; ``fix_fingers`` is unknown or combined with ``xmax`` or ``xmin``;
        ``max_fingers < 3``; ``xmin_max`` is given without ``"xmin_peak"`` or lies below 0.95 times the peak; or the
        ``"xmin_peak"`` window holds no candidate.

    See Also
    --------
    powerlaw_alpha_at : The MLE at a given threshold, without the scan.
    hill_alpha : Hill's estimator at a given ``k``.
    rmtcheck.randmat.spectral.diagnose : Full layer diagnostic built on this fit.

    References
    ----------
    .. [1] A. Clauset, C. R. Shalizi and M. E. J. Newman (2009), "Power-Law Distributions in Empirical
       Data", SIAM Review 51(4), 661–703 [clauset2009], Secs. 3.1 and 3.3.

    Examples
    --------
    A Pareto sample with density exponent :math:`\\alpha = 3` on :math:`[1, \\infty)`:

    >>> import numpy as np
    >>> u = np.random.default_rng(0).random(2000)
    >>> x = (1 - u) ** (-1 / 2.0)
    >>> fit = fit_powerlaw(x)
    >>> round(fit.alpha, 2), fit.n_tail, round(fit.alpha_stderr, 3)
    (2.99, 1957, 0.045)
    >>> fit = fit_powerlaw(x, bootstrap=200, rng=1)
    >>> [round(c, 2) for c in fit.ci]
    [2.91, 3.08]
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {sorted(ESTIMATORS)}; got {estimator!r}")
    preset = ESTIMATORS[estimator]
    min_tail = preset["min_tail"] if min_tail is None else min_tail
    ecdf = preset["ecdf"] if ecdf is None else ecdf
    convention = preset["convention"] if convention is None else convention
    if drop_atol is None and drop_rtol is None:
        drop_rtol, drop_atol = preset.get("drop_rtol", _DROP_RTOL), preset.get("drop_atol")
    elif drop_rtol is None:
        drop_rtol = _DROP_RTOL  # (unused: the absolute cut applies)
    if drop_rtol is not None:
        drop_rtol = float(drop_rtol)
        if not (np.isfinite(drop_rtol) and drop_rtol >= 0):
            raise ValueError(f"drop_rtol must be a finite number >= 0; got {drop_rtol!r}")
    if drop_atol is not None:
        drop_atol = float(drop_atol)
        if not (np.isfinite(drop_atol) and drop_atol >= 0):
            raise ValueError(f"drop_atol must be a finite number >= 0; got {drop_atol!r}")
    offset = _check_convention(convention, ecdf)
    min_tail = check_int(min_tail, "min_tail", 2)
    bootstrap = check_int(bootstrap, "bootstrap", 0)
    ci_level = check_unit_interval(ci_level, "ci_level")
    if bootstrap_mode not in ("fixed-xmin", "full"):
        raise ValueError(f"bootstrap_mode must be 'fixed-xmin' or 'full'; got {bootstrap_mode!r}")
    if scan not in SCANS:
        raise ValueError(f"scan must be one of {SCANS}; got {scan!r}")
    evals = as_finite_array(evals, "evals", ndim=1)
    given = evals.size
    top = check_options(xmax, fix_fingers, max_fingers, xmin_max, xmin)
    if top > given / 2:
        raise TooFewEigenvalues(f"xmax={xmax} would leave out {top} of the {given} eigenvalues, more than half "
                                f"(WeightWatcher marks such a fit failed): pass |xmax| <= {given // 2}")
    if top:  # WeightWatcher's integer xmax: the top |xmax| eigenvalues are left out of the fit
        evals = np.sort(evals)[:-top]
    x = _positive_sorted(evals, drop_rtol, drop_atol)
    n = x.size
    if n - offset < 2:
        cut = f"{drop_atol:g}" if drop_atol is not None else f"{drop_rtol:g} * max"
        raise TooFewEigenvalues(f"evals must have at least {2 + offset} eigenvalues above {cut}; got {n}")
    if given < MIN_EIGENVALUES:
        raise TooFewEigenvalues(f"evals has only {given} eigenvalues; a power-law fit needs a spectrum of at least "
                                f"{MIN_EIGENVALUES} (on fewer the exponent is noise): pass a larger spectrum")
    window = peak_window(x, xmin_max)[:2] if fix_fingers == "xmin_peak" else None

    def run(xs, pick=xmin is None):
        """Scan of the sorted eigenvalues ``xs``: ``(L, min_tail, pruned, idx, alphas, D, m, chosen)``."""
        Ls = np.log(xs)
        mts = min(min_tail, xs.size - offset)
        pr = scan == "pruned" or (scan == "auto" and xs.size >= PRUNE_FROM)
        allowed = None if window is None else (lambda ids: window_mask(xs, ids, *window))
        ids, als, Ds, ms = _scan(Ls, offset, mts, ecdf, pr, allowed)
        if allowed is not None and not np.any(allowed(ids)):
            raise TooFewEigenvalues(f"fix_fingers='xmin_peak' leaves no x_min candidate in its window "
                             f"[{window[0]:.6g}, {window[1]:.6g}]; fit without fix_fingers")
        Dc = Ds if allowed is None else np.where(allowed(ids), Ds, np.nan)
        if not np.any(np.isfinite(Dc)):
            if pick:
                raise ValueError("evals: every candidate tail is degenerate (all tail eigenvalues equal)")
            return Ls, mts, pr, ids, als, Ds, ms, None
        # the first minimum; NaN (pruned, or outside the window) entries are not chosen
        return Ls, mts, pr, ids, als, Ds, ms, int(np.nanargmin(Dc))

    removed, raw_alpha, runs = 0, None, {}
    if fix_fingers == "clip_xmax":
        def alpha_without(d):
            runs[d] = run(x[:n - d])
            return float(runs[d][4][runs[d][7]])

        removed, raw_alpha = clip_fingers(alpha_without, max_fingers, n, offset + 2)
        x = x[:n - removed]
    L, mt, pruned, idx, alphas, D, m, k = runs.get(removed) or run(x)
    if xmin is not None:
        xmin = check_positive(xmin, "xmin")
        cand = np.flatnonzero(x[idx] <= xmin * (1 + 1e-12))
        if cand.size == 0:
            raise ValueError(f"xmin must be >= the smallest retained eigenvalue {x[0]:.6g}; got {xmin!r}")
        k = int(cand[-1])
        if np.isnan(D[k]):  # pruned scan: the fixed candidate's distance, exactly
            D[k] = ks_rows(L, idx[k:k + 1], np.where(np.isfinite(alphas), alphas - 1.0, 0.0), 1.0 / m, offset,
                           1.0 if ecdf == "two-sided" else 0.0)[0]
    a = float(alphas[k])
    clip = fix_fingers == "clip_xmax"
    fit = PowerLawFit(alpha=a, xmin=float(x[idx[k]]), ks_distance=float(D[k]), n_tail=int(m[k]),
                      alpha_stderr=float((a - 1.0) / np.sqrt(m[k])), convention=convention, ecdf=ecdf,
                      index=k, xmins=x[idx], alphas=alphas, ks_curve=D, n_tails=m, n_used=x.size, min_tail=mt,
                      ci_level=ci_level, xmax=float(x[-1]), n_clipped=top or removed, fix_fingers=fix_fingers,
                      num_fingers=(max(removed - 1, 0) if clip else None), raw_alpha=raw_alpha,
                      num_pl_spikes=int(np.count_nonzero(evals >= x[idx[k]])),
                      xmin_window=None if window is None else tuple(window))
    if bootstrap:
        gen = as_generator(rng)
        if bootstrap_mode == "fixed-xmin":
            reps = _bootstrap_fixed(L, int(idx[k]), offset, bootstrap, gen)
        else:
            reps = np.empty(bootstrap)
            for b in range(bootstrap):
                try:
                    rb = run(np.sort(x[gen.integers(0, x.size, x.size)]), pick=True)
                except ValueError:  # a replicate without a usable candidate
                    reps[b] = np.nan
                    continue
                reps[b] = rb[4][rb[7]]
        reps = reps[np.isfinite(reps)]
        if reps.size:
            lo = float(np.quantile(reps, (1 - ci_level) / 2))
            hi = float(np.quantile(reps, 1 - (1 - ci_level) / 2))
            fit.ci = (lo, hi)
        fit.n_boot = bootstrap
        fit.bootstrap_mode = bootstrap_mode
    return fit


def _bootstrap_fixed(L, i, offset, B, gen):
    n = L.size
    out = np.full(B, np.nan)
    chunk = max(1, _BLOCK_ELEMS // n)
    for s in range(0, B, chunk):
        b = min(chunk, B - s)
        draw = gen.integers(0, n, (b, n))
        inside = draw >= i + offset  # sorted: index order is value order
        cnt = inside.sum(axis=1)
        ls = np.where(inside, L[draw] - L[i], 0.0).sum(axis=1)
        ok = (cnt >= 1) & (ls > 0)
        out[s:s + b] = np.where(ok, 1.0 + cnt / np.where(ok, ls, 1.0), np.nan)
    return out


def powerlaw_alpha_at(evals, xmin, convention: str = "ww") -> tuple[float, int]:
    """MLE exponent and tail size at a fixed threshold ``xmin``.

    .. math:: \\hat\\alpha = 1 + \\frac{m}{\\sum_{\\text{tail}} \\ln(\\lambda_i/x_{\\min})},

    with ``"ww"`` counting the :math:`m` points :math:`\\ge x_{\\min}` and ``"hill"`` the points
    :math:`> x_{\\min}` ([1]_, Sec. 3.1). ``xmin`` need not be an eigenvalue.

    Parameters
    ----------
    evals : array_like, 1-D
        Eigenvalues (values :math:`\\le 10^{-5}\\lambda_{\\max}` are dropped first).
    xmin : float
        Threshold ``> 0``.
    convention : {"ww", "hill"}, default "ww"
        Tail counting convention.

    Returns
    -------
    alpha : float
        :math:`\\hat\\alpha`.
    n_tail : int
        :math:`m`.

    Raises
    ------
    ValueError
        If ``convention`` is unknown, ``evals`` is invalid (as in :func:`fit_powerlaw`), ``xmin`` is not
        finite and ``> 0``, or the tail is empty or has zero log-sum.

    References
    ----------
    .. [1] A. Clauset, C. R. Shalizi and M. E. J. Newman (2009), "Power-Law Distributions in Empirical
       Data", SIAM Review 51(4), 661–703 [clauset2009], Sec. 3.1.

    Examples
    --------
    At the same threshold the two conventions differ by exactly :math:`(k+1)/k`:

    >>> import numpy as np
    >>> x = (1 - np.random.default_rng(0).random(2000)) ** (-1 / 2.0)
    >>> t = np.sort(x)[-101]
    >>> (a_ww, m_ww), (a_hill, m_hill) = powerlaw_alpha_at(x, t), powerlaw_alpha_at(x, t, "hill")
    >>> m_ww, m_hill, round((a_ww - 1) / (a_hill - 1), 10)
    (101, 100, 1.01)
    """
    offset = _check_convention(convention, "two-sided")
    x = _positive_sorted(evals)
    xmin = check_positive(xmin, "xmin")
    tail = x[x >= xmin] if offset == 0 else x[x > xmin]
    s = float(np.sum(np.log(tail / xmin)))
    if tail.size == 0 or s <= 0:
        raise ValueError(f"xmin={xmin!r} leaves no tail with positive log-sum")
    return 1.0 + tail.size / s, int(tail.size)


def hill_alpha(evals, k) -> float:
    """Hill's top-:math:`k` estimator of the density exponent [1]_.

    .. math:: \\hat\\alpha_{\\rm Hill}(k) = 1 + \\frac{k}{\\sum_{i=1}^{k}\\ln(\\lambda_{(i)}/\\lambda_{(k+1)})},

    :math:`\\lambda_{(1)} \\ge \\lambda_{(2)} \\ge \\dots` (descending). Hill's statistic
    :math:`\\frac1k\\sum_{i\\le k}\\ln(\\lambda_{(i)}/\\lambda_{(k+1)})` estimates the reciprocal tail index of
    the survival function; the density exponent is one more than that index. WeightWatcher's count at
    :math:`x_{\\min} = \\lambda_{(k+1)}` uses :math:`k + 1` points and the same log-sum (module docstring).

    Parameters
    ----------
    evals : array_like, 1-D
        Eigenvalues (values :math:`\\le 10^{-5}\\lambda_{\\max}` are dropped first).
    k : int
        Number of top order statistics, in ``[1, n_used - 1]``.

    Returns
    -------
    float
        :math:`\\hat\\alpha_{\\rm Hill}(k)`.

    Raises
    ------
    ValueError
        If ``evals`` is invalid (as in :func:`fit_powerlaw`), ``k`` is out of range, or the top ``k + 1``
        eigenvalues are equal.

    See Also
    --------
    powerlaw_alpha_at : Same value with ``convention="hill"`` at ``xmin`` :math:`= \\lambda_{(k+1)}`.

    References
    ----------
    .. [1] B. M. Hill (1975), "A simple general approach to inference about the tail of a distribution",
       Annals of Statistics 3(5), 1163–1174 (not in ``paper/references.bib``).

    Examples
    --------
    >>> import numpy as np
    >>> x = (1 - np.random.default_rng(0).random(2000)) ** (-1 / 2.0)
    >>> round(hill_alpha(x, 100), 4)
    3.0342
    """
    x = _positive_sorted(evals)
    k = check_int(k, "k", 1, x.size - 1)
    top = x[::-1][: k + 1]
    s = float(np.sum(np.log(top[:k] / top[k])))
    if s <= 0:
        raise ValueError(f"k={k}: the top {k + 1} eigenvalues are equal; Hill's estimator is undefined")
    return 1.0 + k / s
