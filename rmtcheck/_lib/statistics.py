"""Small statistics shared by the studies' tables, figures and audits (private).

* :func:`wilson_interval` — the Wilson score interval of a binomial proportion [1]_;
* :func:`t_interval` — the mean and the two-sided Student-t interval of the mean;
* :func:`mia_auc` — the loss-threshold membership-inference AUC (Mann–Whitney).

References
----------
.. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical inference", *J. Amer.
   Statist. Assoc.* 22 (1927), 209–212.
"""

from __future__ import annotations

import numpy as np

__all__ = ["wilson_interval", "t_interval", "mia_auc"]


def wilson_interval(k, n, level: float = 0.95) -> np.ndarray:
    """Wilson score interval of a binomial proportion ``k / n``.

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n},
       \\qquad z = \\Phi^{-1}((1 + \\text{level})/2).

    Parameters
    ----------
    k, n : array_like of int
        Successes and trials (``0 <= k <= n``, ``n >= 1``), broadcast together. Counts computed from
        fractions (``frac * n``) are accepted when they are within 1e-9 of an integer.
    level : float, optional
        Confidence level in (0, 1).

    Returns
    -------
    numpy.ndarray
        Lower and upper limits stacked on a new first axis (shape ``(2, ...)``), within [0, 1].

    See Also
    --------
    scipy.stats.binomtest : ``proportion_ci(method="wilson")`` gives the same limits, one count at a time.

    Examples
    --------
    >>> wilson_interval(0, 10).round(4).tolist()
    [0.0, 0.2775]
    """
    from scipy.stats import norm

    k, n = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float))
    if not 0 < float(level) < 1:
        raise ValueError(f"level={level!r}: use a confidence level in (0, 1), e.g. 0.95")
    kr = np.round(k)
    if np.any(n < 1) or np.any(kr < 0) or np.any(kr > n) or np.any(np.abs(k - kr) > 1e-9 * np.maximum(n, 1)):
        raise ValueError("k, n: pass integer counts with 0 <= k <= n and n >= 1")
    z = norm.ppf(0.5 + level / 2)
    p = kr / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.stack([np.clip(centre - half, 0, p), np.clip(centre + half, p, 1)])


def t_interval(x, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of the mean, ``(mean, low, high)`` (NaN bounds for one value).

    Parameters
    ----------
    x : array_like
        Non-empty, finite.
    level : float, default 0.95

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> m, lo, hi = t_interval([1.0, 2.0, 3.0])
    >>> m, round(hi - m, 4)  # t_{0.975, 2} * 1 / sqrt(3)
    (2.0, 2.4841)
    """
    from scipy import stats

    x = np.asarray(x, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"t_interval needs a non-empty array of finite values (x); got {x.size} values, "
                         f"{int(np.sum(~np.isfinite(x)))} of them not finite")
    if not 0 < float(level) < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    m = float(np.mean(x))
    if x.size < 2:
        return m, float("nan"), float("nan")
    h = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * np.std(x, ddof=1) / np.sqrt(x.size))
    return m, m - h, m + h


def mia_auc(loss_members, loss_nonmembers) -> float:
    """Loss-threshold membership-inference AUC.

    :math:`P(\\ell_m < \\ell_n) + \\tfrac12 P(\\ell_m = \\ell_n)` over all (member, non-member) pairs
    (Mann–Whitney; 0.5 = members indistinguishable from non-members, 1 = every member's loss is below every
    non-member's).

    Parameters
    ----------
    loss_members, loss_nonmembers : array_like
        Non-empty, no NaN (an infinite loss ranks last).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        An empty argument or a NaN loss.

    Examples
    --------
    >>> mia_auc([0.1, 0.2], [0.5, 0.2])  # 3 of 4 pairs have the member's loss lower, one tie
    0.875
    """
    from scipy.stats import rankdata

    a = np.asarray(loss_members, float).ravel()
    b = np.asarray(loss_nonmembers, float).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError("mia_auc needs at least one member and one non-member loss")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("mia_auc needs losses without NaN (loss_members, loss_nonmembers)")
    r = rankdata(np.concatenate([-a, -b]))  # high score = low loss = 'member'
    return float((r[: a.size].sum() - a.size * (a.size + 1) / 2) / (a.size * b.size))
