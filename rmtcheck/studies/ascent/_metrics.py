"""Unlearning metrics of the paper: distance to the oracle, set accuracy/loss, and KLoM.

Source: Mavrothalassitis et al., "Ascent Fails to Forget" (NeurIPS 2025) [mavrothalassitis2025], Sec. 6
[paper]; KLoM (KL divergence of margins) is the metric of Georgiev et al. (2024) as used in that section
[paper].
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, check_int, check_positive

_special = lazy_module("scipy.special")

__all__ = ["distance_to_oracle", "accuracy_and_loss", "margins_from_logits", "klom_per_point", "klom"]


def distance_to_oracle(w, w_oracle) -> np.ndarray:
    """:math:`\\|w - w_R\\|_2` over the last axis (``inf`` for a run that went to infinity).

    Parameters
    ----------
    w : array_like, shape (..., d)
    w_oracle : array_like, shape (d,)

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 6.
    """
    w = np.asarray(w, float)
    wr = as_finite_array(w_oracle, "w_oracle")
    d = w - wr
    with np.errstate(invalid="ignore"):
        return np.where(np.any(np.isinf(w), axis=-1), np.inf, np.linalg.norm(np.where(np.isinf(d), 0.0, d), axis=-1))


def accuracy_and_loss(X, y, w, loss: str = "logistic") -> tuple[float, float]:
    """Accuracy :math:`\\mathbb{1}[y\\langle w,x\\rangle > 0]` and mean loss (``exp`` or ``logistic``).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    w : array_like, shape (d,)
    loss : {"logistic", "exp"}, optional

    Returns
    -------
    accuracy, mean_loss : float

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 6.
    """
    from rmtcheck.studies.ascent._objectives import _loss_terms

    X = as_finite_array(X, "X", ndim=2)
    m = (X @ as_finite_array(w, "w", ndim=1)) * as_finite_array(y, "y", ndim=1)
    return float(np.mean(m > 0)), float(np.mean(_loss_terms(m, loss)[0]))


def margins_from_logits(logits, labels) -> np.ndarray:
    """KLoM margin :math:`z_y - \\log\\sum_{k\\ne y} e^{z_k}` from logits ``(..., K)``, ``K >= 2``.

    Parameters
    ----------
    logits : array_like, shape (..., K)
    labels : array_like of int
        Classes in ``[0, K-1]``, broadcast to ``logits.shape[:-1]``.

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 6.

    Examples
    --------
    >>> float(margins_from_logits([[2.0, 0.0]], [0])[0])
    2.0
    """
    z = as_finite_array(logits, "logits")
    if z.ndim < 1 or z.shape[-1] < 2:
        raise ValueError(f"logits must have a last axis of size >= 2; got shape {z.shape}")
    lab = np.asarray(labels)
    if not np.issubdtype(lab.dtype, np.integer) or np.any(lab < 0) or np.any(lab >= z.shape[-1]):
        raise ValueError(f"labels must be integers in [0, {z.shape[-1] - 1}]")
    lab = np.broadcast_to(lab, z.shape[:-1])
    zy = np.take_along_axis(z, lab[..., None], -1)[..., 0]
    others = np.where(np.arange(z.shape[-1]) == lab[..., None], -np.inf, z)
    return zy - _special.logsumexp(others, axis=-1)


def klom_per_point(unlearned, oracle, bins: int = 20, clip: float = 100.0, floor: float = 1e-5) -> np.ndarray:
    """Per-point KL divergence of margins [paper; Georgiev et al. 2024].

    Margins are clipped to ``[-clip, clip]``; per point, ``bins`` equal-width bins span the
    combined range; with histograms :math:`p` (unlearned) and :math:`q` (oracle),

    .. math:: \\mathrm{KL}(p\\,\\|\\,q) = \\sum_{b: p_b > 0} p_b \\log\\frac{p_b}{\\max(q_b, 10^{-5})}.

    Identical samples give 0; for :math:`M_1 \\le 1839` the value is non-negative (the floored bins
    contribute at least :math:`p_b\\log(p_b/10^{-5})` with :math:`p_b \\ge 1/M_1`) [derived].

    Parameters
    ----------
    unlearned : array_like, shape (M1, n)
        Margins of :math:`M_1` unlearned models on ``n`` points.
    oracle : array_like, shape (M2, n)
        Margins of :math:`M_2` oracle (retrained) models.
    bins, clip, floor : optional
        Histogram bins, clipping bound and floor of :math:`q_b`.

    Returns
    -------
    ndarray, shape (n,)

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 6.
    """
    P = as_finite_array(unlearned, "unlearned", ndim=2)
    Q = as_finite_array(oracle, "oracle", ndim=2)
    check_int(bins, "bins", 1)
    check_positive(clip, "clip")
    check_positive(floor, "floor")
    if P.shape[1] != Q.shape[1] or P.shape[0] < 1 or Q.shape[0] < 1:
        raise ValueError(f"unlearned and oracle must be (M, n) with the same n; got {P.shape}, {Q.shape}")
    P, Q = np.clip(P, -clip, clip), np.clip(Q, -clip, clip)
    lo = np.minimum(P.min(0), Q.min(0))
    hi = np.maximum(P.max(0), Q.max(0))
    width = np.where(hi > lo, (hi - lo) / bins, 1.0)

    def hist(S):
        idx = np.clip(np.floor((S - lo) / width).astype(int), 0, bins - 1)
        H = np.zeros((S.shape[1], bins))
        np.add.at(H, (np.broadcast_to(np.arange(S.shape[1]), S.shape), idx), 1.0)
        return H / S.shape[0]

    p, q = hist(P), hist(Q)
    qf = np.maximum(q, floor)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / qf), 0.0)
    return terms.sum(1)


def klom(unlearned, oracle, percentile: float = 95.0, **kw) -> float:
    """KLoM of a set: the ``percentile`` (95th by default) of the per-point KL divergences.

    Parameters
    ----------
    unlearned, oracle : array_like
        As in :func:`klom_per_point`.
    percentile : float, optional
    **kw
        Passed to :func:`klom_per_point`.

    Returns
    -------
    float

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 6.
    """
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must lie in [0, 100]; got {percentile}")
    return float(np.percentile(klom_per_point(unlearned, oracle, **kw), percentile))
