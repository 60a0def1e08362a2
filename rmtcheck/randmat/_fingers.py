"""WeightWatcher's ``xmax`` and "fix fingers" options of the power-law fit (private; used by
:func:`rmtcheck.randmat.powerlaw.fit_powerlaw`, documented there).

The rules are WeightWatcher's as its source states them (CalculatedContent/WeightWatcher, read at commits
``002fa5ed`` and ``a596ca09`` of ``weightwatcher/weightwatcher.py``, which agree here, and ``4754964`` of
``weightwatcher/RMT_Util.py``; no code is copied):

* ``xmax`` (``WeightWatcher.fit_powerlaw``, the ``isinstance(xmax, int)`` branch): an integer ``k`` drops the top
  ``|k|`` eigenvalues of the sorted ESD before the fit; ``|k|`` above half the ESD is refused. ``xmax=None`` (the
  default, ``DEFAULT_XMAX``) fits the whole ESD; WeightWatcher's ``xmax='force'`` is only accepted with the
  ``powerlaw`` package (``valid_params``), not with ``WWFit``, and is not offered here. A float ``xmax`` is refused by
  ``valid_params`` too. *Not reproduced*: WeightWatcher, on an ``|xmax|`` above half the ESD, marks the fit failed and
  then fits anyway with the integer read as an eigenvalue (``WWFit``'s nearest-value ``find_limit``), overwriting the
  status; here it is an error.
* ``fix_fingers='xmin_peak'`` (``WeightWatcher.fit_powerlaw``): a 100-bin histogram of :math:`\\log_{10}` of the
  eigenvalues above the cut, the left edge :math:`p = 10^{e}` of its (first) fullest bin, ``xmin_max`` (default
  :math:`1.5p`; below :math:`0.95p` refused here, where WeightWatcher logs "XMIN max is too small, stopping" at level
  fatal and goes on), and the x_min range
  ``(log10(0.95 p), xmin_max)`` handed to the ``powerlaw`` package's ``Fit(xmin=range)``. The lower end is, as written
  in WeightWatcher, :math:`\\log_{10}(0.95p)` compared with eigenvalues (not :math:`0.95p`): it lies below
  :math:`0.95p`, and below 0 for :math:`p < 1.053`, so the window reaches down to the smallest eigenvalue whenever
  :math:`\\log_{10}(0.95p)` lies below it. ``powerlaw.Fit`` 1.x takes the distinct eigenvalues in ``[min(range), max(range)]`` less
  the largest of them as candidates, each with the tail of all eigenvalues :math:`\\ge` it, and the first smallest KS
  distance among them (:func:`window_mask`; checked against ``powerlaw`` 1.5: the same x_min and alpha on 12 ESDs;
  ``powerlaw`` 2.0 uses ``[min, max)`` and marks some of these candidates invalid, so it can choose another). WeightWatcher's own
  ``WWFit`` cannot take a range (its ``find_limit`` fails on a tuple), so WeightWatcher runs this option only with
  ``pl_package='powerlaw'``; here the same candidates are scanned with the chosen estimator.
* ``fix_fingers='clip_xmax'`` (``RMT_Util.fit_clipped_powerlaw``): the raw fit of the eigenvalues above the cut, then
  fits with the top ``idx = 2, ..., max_fingers - 1`` eigenvalues removed, in order; the first whose
  :math:`\\hat\\alpha` is more than ``finger_thresh`` (1.0) below the raw fit's is taken; the loop stops with the raw
  fit when a clipped :math:`\\hat\\alpha \\le 2` (``min_alpha``) comes first. WeightWatcher reports
  ``num_fingers = idx - 1`` for ``idx`` eigenvalues removed (its loop starts at two); ``n_clipped`` here is ``idx``.
  ``raw_alpha`` is the raw fit's :math:`\\hat\\alpha`. *Not reproduced*: WeightWatcher resets any ``max_fingers``
  below half the ESD to its default 10 (``if ... max_fingers < (1/2)*len(evals)``), so its own value is 10 for every
  ordinary layer; here ``max_fingers`` is honoured as given (default 10, so the default is WeightWatcher's).
  A consequence of the rule [measured]: a tight cluster of :math:`k \\ge 3` fingers right above a well-fitted bulk is
  cut down to its lowest member (with one finger left the fit already drops), while :math:`k` fingers above a pair
  of large eigenvalues are removed exactly (``tests/randmat/test_ww_fingers.py``).
"""

from __future__ import annotations

import numpy as np

#: WeightWatcher's ``fix_fingers`` options.
FIX_FINGERS = ("xmin_peak", "clip_xmax")
#: WeightWatcher's ``DEFAULT_MAX_FINGERS``, ``DEFAULT_FINGER_THRESH`` and ``fit_clipped_powerlaw``'s ``min_alpha``.
DEFAULT_MAX_FINGERS = 10
FINGER_THRESH = 1.0
MIN_ALPHA = 2.0
#: Bins of the log10 histogram of ``xmin_peak``.
PEAK_BINS = 100


def check_options(xmax, fix_fingers, max_fingers, xmin_max, xmin) -> int:
    """Validate the options; the number of top eigenvalues ``xmax`` drops (0 for ``None``)."""
    if fix_fingers is not None and fix_fingers not in FIX_FINGERS:
        raise ValueError(f"fix_fingers must be None or one of {FIX_FINGERS}; got {fix_fingers!r}")
    if isinstance(max_fingers, (bool, np.bool_)) or not isinstance(max_fingers, (int, np.integer)) or max_fingers < 3:
        raise ValueError(f"max_fingers must be an integer >= 3 (fits with the top 2 .. max_fingers-1 eigenvalues "
                         f"removed are tried); got {max_fingers!r}")
    if xmin_max is not None:
        if fix_fingers != "xmin_peak":
            raise ValueError("xmin_max applies only with fix_fingers='xmin_peak'; pass that or drop xmin_max")
        xmin_max = float(xmin_max)
        if not (np.isfinite(xmin_max) and xmin_max > 0):
            raise ValueError(f"xmin_max must be a finite number > 0; got {xmin_max!r}")
    if fix_fingers is not None and xmin is not None:
        raise ValueError("xmin (a fixed threshold) cannot be combined with fix_fingers, which chooses x_min; drop one")
    if xmax is None:
        return 0
    if isinstance(xmax, (bool, np.bool_)) or not isinstance(xmax, (int, np.integer)) or xmax == 0:
        raise ValueError(f"xmax must be None or a nonzero integer k (the top |k| eigenvalues are left out of the fit, "
                         f"WeightWatcher's xmax=-k); got {xmax!r}")
    if fix_fingers is not None:
        raise ValueError(f"xmax={xmax} cannot be combined with fix_fingers (WeightWatcher refuses the pair too); "
                         f"drop one")
    return abs(int(xmax))  # (at most half the ESD: checked by the caller, which skips such a layer)


def peak_window(x: np.ndarray, xmin_max=None) -> tuple[float, float, float]:
    """``(lo, hi, p)``: WeightWatcher's x_min range of ``xmin_peak`` for the sorted retained eigenvalues ``x``."""
    counts, edges = np.histogram(np.log10(x), bins=PEAK_BINS)
    p = float(10 ** edges[int(np.argmax(counts))])
    if xmin_max is None:
        xmin_max = 1.5 * p
    elif xmin_max < 0.95 * p:
        raise ValueError(f"xmin_max={xmin_max!r} is below 0.95 times the ESD's log-histogram peak {p:.6g} "
                         f"(WeightWatcher calls it too small): pass xmin_max >= {0.95 * p:.6g}")
    a, b = float(np.log10(0.95 * p)), float(xmin_max)
    return min(a, b), max(a, b), p


def window_mask(x: np.ndarray, idx: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The candidates ``idx`` (positions in ``x``) that ``powerlaw.Fit(xmin=(lo, hi))`` scans.

    The first position of each distinct eigenvalue in ``[lo, hi]`` (its tail holds every eigenvalue :math:`\\ge` it),
    less the largest distinct eigenvalue of that interval.
    """
    vals = x[idx]
    first = np.ones(x.size, dtype=bool)
    first[1:] = x[1:] != x[:-1]
    allowed = (vals >= lo) & (vals <= hi) & first[idx]
    inside = x[(x >= lo) & (x <= hi)]
    if inside.size:
        allowed &= vals != inside[-1]
    return allowed


def clip_fingers(alpha_without, max_fingers: int, n: int, min_left: int):
    """WeightWatcher's finger loop: ``(removed, raw_alpha)``; ``alpha_without(d)`` is the fit's alpha without the top ``d``.

    ``removed`` is 0 when no clipped fit is taken; clipping stops early where fewer than ``min_left`` eigenvalues
    would remain.
    """
    raw = alpha_without(0)
    for d in range(2, max_fingers):
        if n - d < min_left:
            break
        a = alpha_without(d)
        if a + FINGER_THRESH < raw:
            return d, raw
        if a <= MIN_ALPHA:
            break
    return 0, raw
