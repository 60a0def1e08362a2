"""Block-orthogonal logistic regression: data generator, per-coordinate reduction, Lambert-W closed
forms with their branch cases, Lemma 3's range and per-coordinate dynamics.

Source: Mavrothalassitis et al., "Ascent Fails to Forget" (NeurIPS 2025) [mavrothalassitis2025],
Sec. 4.1, Lemmas 2–5 and Corollary 1 [paper]; coefficient normalisation, branch assignment and
first-step direction [derived] (``proofs/ascent_block.py``). The coefficients and Lemma 3's range are
lambdified from ``proofs/ascent_block.py`` (single source of truth; printed once into :mod:`._closed_forms_generated`).

Samples of group :math:`j` live on coordinate :math:`j` only, with :math:`y_i x_{ij} = 1`. Per
coordinate every objective is :math:`c\\,e^{-w} + \\tfrac{\\lambda}{2}w^2`,

.. math::
    c_D = \\frac{|R_j| + |F_j|}{|D|},\\quad c_R = \\frac{|R_j|}{|R|},\\quad
    c_{DA} = \\frac{|R_j|}{|R|} - \\omega\\frac{|F_j|}{|F|},

and its stationary points are :math:`w = W_k(c/\\lambda)`: for :math:`c \\ge 0` the unique (global)
minimiser :math:`W_0`; for :math:`-\\lambda/e \\le c < 0` a local minimum on :math:`W_0` and a local
maximum on :math:`W_{-1}` while :math:`L \\to -\\infty` as :math:`w\\to-\\infty`; for
:math:`c < -\\lambda/e` no stationary point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, check_positive
from rmtcheck.studies.ascent._objectives import AscentProblem, safe_exp

_special = lazy_module("scipy.special")

__all__ = [
    "DA_CASES",
    "block_coefficients",
    "block_count_coefficients",
    "lambert_stationary",
    "lemma3_range",
    "BlockSolution",
    "block_solution",
    "block_solution_counts",
    "block_design",
    "block_problem",
    "coordinate_gd",
    "alternating_coordinate_step",
]

#: DA per-coordinate cases: a global minimiser, only a local minimiser (L_DA unbounded below), none.
DA_CASES = ("global-min", "local-min-only", "no-stationary-point")
_INV_E = float(np.exp(-1.0))


def _proof_functions():
    """The lambdified closed forms of ``proofs/ascent_block.py`` (printed by :mod:`._closed_forms`)."""
    from rmtcheck.studies.ascent import _closed_forms_generated as gen

    return gen.block_coefficients, gen.lemma3_range


def _pos(x, name):
    a = as_finite_array(x, name)
    if np.any(a <= 0):
        raise ValueError(f"{name} must be > 0; got min {a.min()!r}")
    return a


def block_coefficients(n_retain, n_forget, retain_j, alpha, forget_weight: float = 1.0):
    """:math:`(c_D, c_R, c_{DA})` from :math:`|R|, |F|, |R_j|` and :math:`\\alpha = |F_j|/|R_j|` (broadcasting).

    Lemma 2 [paper]; normalisation [derived; ``proofs/ascent_block.py``]: :math:`c_{DA} = (1 - \\omega\\alpha|R|/|F|)|R_j|/|R|`.

    Parameters
    ----------
    n_retain, n_forget, retain_j, alpha : array_like
        :math:`|R|, |F| > 0`, :math:`0 < |R_j| \\le |R|`, :math:`\\alpha \\ge 0`.
    forget_weight : float, optional
        :math:`\\omega \\ge 0` (default 1).

    Returns
    -------
    c_pretrain, c_retrain, c_da : ndarray
        Broadcast coefficient arrays.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 2.
    """
    R, F, Rj = _pos(n_retain, "n_retain"), _pos(n_forget, "n_forget"), _pos(retain_j, "retain_j")
    a = as_finite_array(alpha, "alpha")
    if np.any(a < 0):
        raise ValueError(f"alpha must be >= 0; got min {a.min()!r}")
    if np.any(Rj > R):
        raise ValueError("retain_j must be <= n_retain (|R_j| is part of |R|)")
    if not np.isfinite(forget_weight) or forget_weight < 0:
        raise ValueError(f"forget_weight must be finite and >= 0; got {forget_weight!r}")
    coeffs, _ = _proof_functions()
    cD, cR, cDA1 = (np.asarray(v, float) for v in coeffs(R, F, Rj, a))
    cDA = cR - forget_weight * (cR - cDA1)  # the proof's c_DA is the omega = 1 case
    return np.broadcast_arrays(cD, cR, cDA)


def block_count_coefficients(retain_counts, forget_counts, forget_weight: float = 1.0):
    """Coefficients from integer counts per coordinate (coordinates with :math:`|R_j| = 0` allowed).

    Parameters
    ----------
    retain_counts, forget_counts, forget_weight
        :math:`|R_j|`, :math:`|F_j|` (shape ``(K,)``; at least one retain and one forget sample), :math:`\\omega`.

    Returns
    -------
    c_pretrain, c_retrain, c_da : ndarray, shape (K,)

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.1.
    """
    r = as_finite_array(retain_counts, "retain_counts", ndim=1)
    f = as_finite_array(forget_counts, "forget_counts", ndim=1)
    if r.shape != f.shape or np.any(r < 0) or np.any(f < 0):
        raise ValueError("retain_counts and forget_counts must be non-negative arrays of equal shape")
    R, F = r.sum(), f.sum()
    if R <= 0 or F <= 0:
        raise ValueError(f"need at least one retain and one forget sample; got |R|={R}, |F|={F}")
    return (r + f) / (R + F), r / R, r / R - forget_weight * f / F


def lambert_stationary(c, ridge):
    """Stationary points of :math:`c e^{-w} + \\tfrac{\\lambda}{2}w^2` (vectorised Lambert W).

    Parameters
    ----------
    c, ridge : array_like
        Coefficient :math:`c` and ridge :math:`\\lambda > 0` (broadcast).

    Returns
    -------
    w_min, w_max, case : ndarray
        The local minimiser :math:`W_0(c/\\lambda)` (``-inf`` when none: the objective decreases to
        :math:`-\\infty`), the local maximum :math:`W_{-1}(c/\\lambda)` for :math:`-\\lambda/e \\le c < 0`
        (``nan`` otherwise) and the index into :data:`DA_CASES`.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 2.
    """
    c = as_finite_array(c, "c")
    lam = _pos(ridge, "ridge")
    c, lam = np.broadcast_arrays(c, lam)
    z = c / lam
    case = np.where(z >= 0, 0, np.where(z >= -_INV_E, 1, 2))
    w0 = np.full(z.shape, -np.inf)
    wm1 = np.full(z.shape, np.nan)
    m0, m1 = case < 2, case == 1
    w0[m0] = _special.lambertw(z[m0], 0).real  # evaluate each branch only where it exists
    wm1[m1] = _special.lambertw(z[m1], -1).real
    return w0, wm1, case


def lemma3_range(n_retain, n_forget):
    """Lemma 3 [paper]: DA is harmful for :math:`\\alpha` in

    .. math:: \\Bigl[\\frac{|F|^2}{|R|(|F|+|D|)},\\ \\frac{|F|}{|R|}\\Bigr].

    Parameters
    ----------
    n_retain, n_forget : array_like
        :math:`|R|, |F| > 0`.

    Returns
    -------
    low, high : ndarray
        The ends of the range.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 3.
    """
    _, rng = _proof_functions()
    lo, hi = rng(_pos(n_retain, "n_retain"), _pos(n_forget, "n_forget"))
    return np.asarray(lo, float), np.asarray(hi, float)


@dataclass
class BlockSolution:
    """Exact per-coordinate solutions (arrays broadcast over the inputs).

    Attributes
    ----------
    c_pretrain, c_retrain, c_da, ridge, w_pretrain, w_retrain : ndarray
        Coefficients, ridge, :math:`w_D` and the oracle :math:`w_R`.
    w_da, w_da_max : ndarray
        DA local minimiser (``-inf``: no stationary point, DA runs to :math:`-\\infty`) and maximum.
    da_case : ndarray of int
        Index into :data:`DA_CASES`.
    da_harmful : ndarray of bool
        :math:`|w_{DA} - w_R| \\ge |w_D - w_R|` (DA does not improve on doing nothing).
    opposite_sides : ndarray of bool
        Lemma 3's conclusion :math:`w_{DA} \\le w_D \\le w_R`.
    first_step_gradient, first_step_away : ndarray
        :math:`L_{DA}'(w_D) = (c_D - c_{DA})e^{-w_D}`, and whether the first DA gradient step from
        :math:`w_D` increases the distance to the oracle.
    """

    c_pretrain: np.ndarray
    c_retrain: np.ndarray
    c_da: np.ndarray
    ridge: np.ndarray
    w_pretrain: np.ndarray
    w_retrain: np.ndarray
    w_da: np.ndarray
    w_da_max: np.ndarray
    da_case: np.ndarray
    da_harmful: np.ndarray
    opposite_sides: np.ndarray
    first_step_gradient: np.ndarray
    first_step_away: np.ndarray

    @property
    def da_case_names(self) -> np.ndarray:
        """The case names of :attr:`da_case` (from :data:`DA_CASES`)."""
        return np.asarray(DA_CASES, dtype=object)[self.da_case]

    def distance(self, which: str = "da") -> np.ndarray:
        """Per-coordinate distance :math:`|w - w_R|` of ``"da"`` or ``"pretrain"``."""
        w = self.w_da if which == "da" else self.w_pretrain
        return np.abs(w - self.w_retrain)


def _solve(cD, cR, cDA, ridge) -> BlockSolution:
    lam = np.broadcast_to(_pos(ridge, "ridge"), np.broadcast(cD, ridge).shape).astype(float)
    wD = lambert_stationary(cD, lam)[0]
    wR = lambert_stationary(cR, lam)[0]
    wDA, wmax, case = lambert_stationary(cDA, lam)
    dist_da = np.where(np.isinf(wDA), np.inf, np.abs(wDA - wR))
    harmful = dist_da >= np.abs(wD - wR)
    opposite = (wDA <= wD) & (wD <= wR)
    g1 = (cD - cDA) * safe_exp(-wD)
    # a small step w_D - eta g moves away from w_R iff g (w_R - w_D) > 0 ... or both zero-free:
    away = np.where(wR >= wD, g1 > 0, g1 < 0)
    return BlockSolution(cD, cR, cDA, lam, wD, wR, wDA, wmax, case, harmful, opposite, g1, away)


def block_solution(n_retain, n_forget, retain_j, alpha, ridge, forget_weight: float = 1.0) -> BlockSolution:
    """Closed-form pretrained, retrained and DA solutions (Lemma 2) for the sizes and ratio given.

    Parameters
    ----------
    n_retain, n_forget, retain_j, alpha, ridge, forget_weight
        As in :func:`block_coefficients`; ridge :math:`\\lambda > 0`.

    Returns
    -------
    BlockSolution

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemmas 2–5.
    """
    return _solve(*block_coefficients(n_retain, n_forget, retain_j, alpha, forget_weight), ridge)


def block_solution_counts(retain_counts, forget_counts, ridge, forget_weight: float = 1.0) -> BlockSolution:
    """Closed-form solutions for a block-orthogonal data set given by its per-coordinate counts.

    Parameters
    ----------
    retain_counts, forget_counts, ridge, forget_weight
        Counts :math:`|R_j|, |F_j|` of shape ``(K,)``, ridge :math:`\\lambda > 0`, :math:`\\omega` (default 1).

    Returns
    -------
    BlockSolution

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.1.

    Examples
    --------
    >>> import numpy as np
    >>> s = block_solution_counts(np.array([90, 810]), np.array([9, 91]), ridge=0.01)
    >>> s.da_case_names.tolist()
    ['global-min', 'no-stationary-point']
    >>> np.round(s.w_da, 6).tolist()
    [0.567143, -inf]
    """
    return _solve(*block_count_coefficients(retain_counts, forget_counts, forget_weight), ridge)


def block_design(retain_counts, forget_counts):
    """The explicit block-orthogonal design: rows :math:`e_j`, labels +1.

    Parameters
    ----------
    retain_counts, forget_counts : array_like of int, shape (K,)
        Coordinate :math:`j` carries ``retain_counts[j]`` retain and ``forget_counts[j]`` forget samples.

    Returns
    -------
    X, y, forget : ndarray
        Shapes ``(n, K)``, ``(n,)`` and ``(n,)`` (bool).

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.1.
    """
    r = np.asarray(retain_counts)
    f = np.asarray(forget_counts)
    if r.ndim != 1 or r.shape != f.shape or not (np.issubdtype(r.dtype, np.integer) and np.issubdtype(f.dtype, np.integer)):
        raise ValueError("retain_counts and forget_counts must be 1-d integer arrays of equal length")
    if np.any(r < 0) or np.any(f < 0) or r.sum() < 1 or f.sum() < 1:
        raise ValueError("counts must be >= 0 with at least one retain and one forget sample")
    K = r.size
    coord = np.concatenate([np.repeat(np.arange(K), r), np.repeat(np.arange(K), f)])
    X = np.zeros((coord.size, K))
    X[np.arange(coord.size), coord] = 1.0
    y = np.ones(coord.size)
    forget = np.zeros(coord.size, bool)
    forget[r.sum():] = True
    return X, y, forget


def block_problem(retain_counts, forget_counts, ridge: float, loss: str = "exp", forget_weight: float = 1.0) -> AscentProblem:
    """:class:`AscentProblem` on the explicit block-orthogonal design.

    Parameters
    ----------
    retain_counts, forget_counts, ridge, loss, forget_weight
        As in :func:`block_design` and :class:`AscentProblem`.

    Returns
    -------
    AscentProblem
    """
    X, y, forget = block_design(retain_counts, forget_counts)
    return AscentProblem(X, y, forget, loss=loss, ridge=ridge, forget_weight=forget_weight)


def coordinate_gd(c, ridge, w0, lr, n_steps: int, record_every: int = 1):
    """Gradient descent on :math:`c e^{-w} + \\tfrac{\\lambda}{2}w^2`, vectorised over broadcast ``(c, ridge, w0, lr)``.

    A run is frozen as ``diverged`` once it is certain to run off to :math:`-\\infty` (:math:`c < 0` and
    the iterate is left of the local maximum :math:`W_{-1}(c/\\lambda)`, or there is no stationary point
    and :math:`w < -1`), so no overflow ever occurs; frozen entries hold ``-inf``.

    Parameters
    ----------
    c, ridge, w0, lr : array_like
    n_steps, record_every : int

    Returns
    -------
    path : ndarray, shape (n_records, ...)
    diverged : ndarray of bool
    """
    c, lam, w, lr = np.broadcast_arrays(*(np.asarray(v, float) for v in (c, ridge, w0, lr)))
    check_positive(float(np.min(lam)) if lam.size else 1.0, "ridge")
    _, wmax, case = lambert_stationary(c, lam)
    edge = np.where(case == 1, wmax, np.where(case == 2, -1.0, -np.inf))
    w = w.copy()
    div = np.zeros(w.shape, bool)
    path = [w.copy()]
    for t in range(1, n_steps + 1):
        live = ~div
        wl = np.where(live, w, 0.0)  # frozen entries hold -inf; evaluate a placeholder there
        w_new = wl - lr * (-c * safe_exp(-wl) + lam * wl)
        gone = live & ((w_new < edge) & (c < 0) | (w_new < -EXP_GUARD))
        div |= gone
        w = np.where(div, -np.inf, np.where(live, w_new, w))
        if t % record_every == 0:
            path.append(w.copy())
    return np.stack(path), div


EXP_GUARD = 600.0


def alternating_coordinate_step(w, a, b, ridge, lr):
    """One alternating DA double step on a coordinate (:math:`a=|R_j|/|R|`, :math:`b=|F_j|/|F|`).

    .. math::
        w' = w + \\eta(a e^{-w} - \\lambda w),\\qquad w'' = w' - \\eta(b e^{-w'} + \\lambda w').

    Parameters
    ----------
    w, a, b, ridge, lr : array_like

    Returns
    -------
    ndarray
        :math:`w''` [derived; ``proofs/ascent_alternating.py``].
    """
    w1 = w + lr * (a * safe_exp(-w) - ridge * w)
    return w1 - lr * (b * safe_exp(-w1) + ridge * w1)
