"""Two correlated coordinates: stationarity systems, Lemma 6, Lemma 9 and the unbounded direction.

Source: Mavrothalassitis et al., "Ascent Fails to Forget" (NeurIPS 2025) [mavrothalassitis2025],
Sec. 4.2, Lemmas 6 and 9 [paper]; the existence caveat and the numerics [derived]
(``proofs/ascent_correlated.py``).
Coefficients and Lemma 9's bound are lambdified from ``proofs/ascent_correlated.py`` (printed once into
:mod:`._closed_forms_generated`).

Retain samples :math:`(1, \\varepsilon)`, forget samples :math:`(\\varepsilon, 1)`, labels +1. With
margins :math:`x = w_i + \\varepsilon w_j`, :math:`y = \\varepsilon w_i + w_j` every objective is

.. math:: L(w) = c_1 e^{-x} + c_2 e^{-y} + \\tfrac{\\lambda}{2}\\|w\\|^2,

convex for :math:`c_2 \\ge 0` (pretraining, retraining) and unbounded below along
:math:`w = s(\\varepsilon, -1)`, :math:`s\\to\\infty`, for :math:`c_2 < 0` and :math:`\\varepsilon < 1`
(descent–ascent). Every function here is vectorised over broadcast parameter grids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array
from rmtcheck.studies.ascent._objectives import safe_exp

_special = lazy_module("scipy.special")

__all__ = [
    "CORRELATED_STATUS",
    "correlated_coefficients",
    "correlated_value",
    "correlated_grad",
    "correlated_hessian",
    "oracle_margins",
    "lemma9_alpha",
    "CorrelatedSolution",
    "solve_convex",
    "solve_da",
    "correlated_case",
    "da_along_direction",
]

#: Status of the DA search: a local minimum (PD Hessian, GD converges), divergence, or neither.
CORRELATED_STATUS = ("local-min", "diverged", "not-converged")


def _arr(x, name):
    return as_finite_array(x, name)


def correlated_coefficients(n_retain, n_forget, retain_ij, alpha, forget_weight: float = 1.0) -> dict:
    """``{"pretrain": (c1, c2), "retrain": (c1, 0), "da": (c1, -omega*alpha*R_ij/|F|)}`` [paper].

    Parameters
    ----------
    n_retain, n_forget, retain_ij, alpha : array_like
        :math:`|R|, |F|, |R_{ij}| > 0`, :math:`\\alpha = |F_{ij}|/|R_{ij}| \\ge 0`.
    forget_weight : float, optional
        :math:`\\omega` (default 1).

    Returns
    -------
    dict of str to (ndarray, ndarray)

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.2.
    """
    from rmtcheck.studies.ascent._closed_forms_generated import CORRELATED  # the proof's lambdified closed forms

    R, F, Rij, a = (_arr(v, n) for v, n in ((n_retain, "n_retain"), (n_forget, "n_forget"),
                                            (retain_ij, "retain_ij"), (alpha, "alpha")))
    if np.any(R <= 0) or np.any(F <= 0) or np.any(Rij <= 0) or np.any(a < 0):
        raise ValueError("n_retain, n_forget, retain_ij must be > 0 and alpha >= 0")
    fns = CORRELATED
    out = {}
    for k, fn in fns.items():
        c1, c2 = fn(R, F, Rij, a)
        c1, c2 = np.broadcast_arrays(np.asarray(c1, float), np.asarray(c2, float) + 0.0 * np.asarray(c1, float))
        out[k] = (c1, c2 * (forget_weight if k == "da" else 1.0))
    return out


def _margins(w, eps):
    return w[..., 0] + eps * w[..., 1], eps * w[..., 0] + w[..., 1]


def correlated_value(w, c1, c2, ridge, eps):
    """:math:`c_1 e^{-x} + c_2 e^{-y} + \\tfrac{\\lambda}{2}\\|w\\|^2` for ``w`` of shape ``(..., 2)``.

    Parameters
    ----------
    w : ndarray, shape (..., 2)
    c1, c2, ridge, eps : array_like
        Coefficients, ridge :math:`\\lambda` and correlation :math:`\\varepsilon` (broadcast).

    Returns
    -------
    ndarray
    """
    x, y = _margins(w, eps)
    return c1 * safe_exp(-x) + c2 * safe_exp(-y) + 0.5 * ridge * (w[..., 0] ** 2 + w[..., 1] ** 2)


def correlated_grad(w, c1, c2, ridge, eps):
    """:math:`-c_1e^{-x}(1,\\varepsilon) - c_2e^{-y}(\\varepsilon,1) + \\lambda w`.

    Parameters
    ----------
    w : ndarray, shape (..., 2)
    c1, c2, ridge, eps : array_like
        Coefficients, ridge :math:`\\lambda` and correlation :math:`\\varepsilon` (broadcast).

    Returns
    -------
    ndarray, shape (..., 2)
    """
    x, y = _margins(w, eps)
    A, B = c1 * safe_exp(-x), c2 * safe_exp(-y)
    return np.stack([-A - eps * B + ridge * w[..., 0], -eps * A - B + ridge * w[..., 1]], axis=-1)


def correlated_hessian(w, c1, c2, ridge, eps):
    """Entries ``(h11, h12, h22)`` of :math:`c_1e^{-x}uu^\\top + c_2e^{-y}vv^\\top + \\lambda I`.

    Parameters
    ----------
    w : ndarray, shape (..., 2)
    c1, c2, ridge, eps : array_like
        Coefficients, ridge :math:`\\lambda` and correlation :math:`\\varepsilon` (broadcast).

    Returns
    -------
    h11, h12, h22 : ndarray
    """
    x, y = _margins(w, eps)
    A, B = c1 * safe_exp(-x), c2 * safe_exp(-y)
    return A + eps**2 * B + ridge, eps * (A + B), eps**2 * A + B + ridge


def oracle_margins(c1, ridge, eps):
    """Lemma 6 [paper]: the oracle's margins and weights.

    :math:`x_R = W_0((1+\\varepsilon^2)c_1/\\lambda)`, :math:`y_R = \\tfrac{2\\varepsilon}{1+\\varepsilon^2}x_R`.

    Parameters
    ----------
    c1, ridge, eps : array_like

    Returns
    -------
    x_R, y_R, w_R : ndarray
        Margins and weights (last axis of ``w_R`` of size 2).

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 6.
    """
    c1, ridge, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (c1, ridge, eps)))
    x = _special.lambertw((1 + eps**2) * c1 / ridge).real
    y = 2 * eps / (1 + eps**2) * x
    A = c1 * safe_exp(-x)
    return x, y, np.stack([A / ridge, eps * A / ridge], axis=-1)


def lemma9_alpha(n_retain, n_forget, eps):
    """Lemma 9's sufficient lower bound on :math:`\\alpha` [paper, reconstructed form]:

    .. math::
        \\alpha \\ge \\max\\Bigl\\{\\frac{1+\\varepsilon^2}{2\\varepsilon}\\frac{|F|^2}{|R|(|D|+|F|)},\\
        \\frac{2\\varepsilon}{1+\\varepsilon^2}\\frac{|F||D|}{|R|(|D|+|F|)}\\Bigr\\}.

    Parameters
    ----------
    n_retain, n_forget, eps : array_like
        Sizes and :math:`\\varepsilon \\in (0, 1]`.

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 9.
    """
    from rmtcheck.studies.ascent._closed_forms_generated import lemma9_alpha  # the proof's lambdified bound

    e = _arr(eps, "eps")
    if np.any(e <= 0) or np.any(e > 1):
        raise ValueError(f"eps must lie in (0, 1]; got range [{e.min()}, {e.max()}]")
    return np.asarray(lemma9_alpha(_arr(n_retain, "n_retain"), _arr(n_forget, "n_forget"), e), float)


def _newton(w, c1, c2, ridge, eps, iters):
    """Vectorised Newton with backtracking on the objective (only where the Hessian is PD)."""
    with np.errstate(over="ignore", invalid="ignore"):  # huge curvature: treated as not PD below
        return _newton_body(w, c1, c2, ridge, eps, iters)


def _newton_body(w, c1, c2, ridge, eps, iters):
    f = correlated_value(w, c1, c2, ridge, eps)
    for _ in range(iters):
        g = correlated_grad(w, c1, c2, ridge, eps)
        h11, h12, h22 = correlated_hessian(w, c1, c2, ridge, eps)
        det = h11 * h22 - h12**2
        pd = (h11 > 0) & (det > 0) & np.isfinite(det)
        sdet = np.where(pd, det, 1.0)
        step = np.stack([(h22 * g[..., 0] - h12 * g[..., 1]) / sdet, (h11 * g[..., 1] - h12 * g[..., 0]) / sdet], -1)
        step = np.where(pd[..., None] & np.isfinite(step), step, 0.0)
        t = np.ones(f.shape)
        accepted = np.zeros(f.shape, bool)
        for _k in range(30):
            w_try = w - t[..., None] * step
            f_try = correlated_value(w_try, c1, c2, ridge, eps)
            ok = ~accepted & (f_try <= f + 1e-13 * np.abs(f))
            w = np.where(ok[..., None], w_try, w)
            f = np.where(ok, f_try, f)
            accepted |= ok
            if accepted.all():
                break
            t = np.where(accepted, t, 0.5 * t)
    return w


@dataclass
class CorrelatedSolution:
    """Margins and weights of one objective over a grid.

    Attributes
    ----------
    w, x, y : ndarray
        Weights ``(..., 2)`` and margins.
    status : ndarray of int
        Index into :data:`CORRELATED_STATUS` (always ``0`` for the convex objectives).
    grad_norm, min_eig : ndarray
        Gradient norm and smallest Hessian eigenvalue at ``w``.
    """

    w: np.ndarray
    x: np.ndarray
    y: np.ndarray
    status: np.ndarray
    grad_norm: np.ndarray
    min_eig: np.ndarray


def _finish(w, c1, c2, ridge, eps, status):
    x, y = _margins(w, eps)
    gv = correlated_grad(w, c1, c2, ridge, eps)
    g = np.hypot(gv[..., 0], gv[..., 1])  # overflow-free norm
    h11, h12, h22 = correlated_hessian(w, c1, c2, ridge, eps)
    # eigenvalues of [[h11, h12], [h12, h22]] without overflow: mean -/+ hypot(half-difference, h12)
    mean, half = 0.5 * (h11 + h22), 0.5 * (h11 - h22)
    min_eig = mean - np.hypot(half, h12)
    return CorrelatedSolution(w, x, y, status, g, min_eig)


def solve_convex(c1, c2, ridge, eps, iters: int = 60) -> CorrelatedSolution:
    """Unique minimiser for :math:`c_1, c_2 \\ge 0` (pretraining, retraining) by vectorised Newton.

    Parameters
    ----------
    c1, c2, ridge, eps : array_like
    iters : int, optional

    Returns
    -------
    CorrelatedSolution
    """
    c1, c2, ridge, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (c1, c2, ridge, eps)))
    if np.any(c2 < 0) or np.any(c1 < 0):
        raise ValueError("solve_convex needs c1, c2 >= 0; use solve_da for descent–ascent")
    w = _newton(np.zeros(c1.shape + (2,)), c1, c2, ridge, eps, iters)
    return _finish(w, c1, c2, ridge, eps, np.zeros(c1.shape, int))


def solve_da(c1, c2, ridge, eps, w_start, gd_steps: int = 3000, newton_iters: int = 30,
             w_cap: float = 1e3, tol: float = 1e-9) -> CorrelatedSolution:
    """The DA stationary point reached by gradient descent from ``w_start`` (the pretrained model).

    Gradient descent with step :math:`0.5/\\hat L` (:math:`\\hat L` a curvature bound at the start)
    runs ``gd_steps``; a run leaving :math:`\\|w\\|_\\infty\\le` ``w_cap`` is ``"diverged"``. Newton then
    polishes where the Hessian is positive definite. ``"local-min"`` requires: gradient norm
    :math:`\\le` ``tol``, positive definite Hessian, and the GD iterate within 1e-3 of the polished
    point (GD converges to it). Anything else is ``"not-converged"``.

    Parameters
    ----------
    c1, c2, ridge, eps : array_like
    w_start : array_like, shape (..., 2)
    gd_steps, newton_iters, w_cap, tol : optional

    Returns
    -------
    CorrelatedSolution
        Diverged runs have ``x = nan`` and ``y = -inf``.
    """
    c1, c2, ridge, eps = np.broadcast_arrays(*(np.asarray(v, float) for v in (c1, c2, ridge, eps)))
    w_start = np.array(np.broadcast_to(w_start, c1.shape + (2,)), float)
    w = w_start.copy()
    x0, y0 = _margins(w, eps)
    Lhat = ridge + (np.abs(c1) * safe_exp(-np.minimum(x0, 0.0)) + np.abs(c2) * safe_exp(-y0)) * (1 + eps) ** 2
    lr = 0.5 / Lhat
    div = np.zeros(c1.shape, bool)
    for _ in range(gd_steps):
        w_new = w - lr[..., None] * correlated_grad(w, c1, c2, ridge, eps)
        div |= ~np.all(np.abs(w_new) <= w_cap, axis=-1)
        w = np.where(div[..., None], w, w_new)
    w = np.where(div[..., None], w_start, w)  # diverged runs: placeholder (reported as -inf below)
    w_pol = _newton(w, c1, c2, ridge, eps, newton_iters)
    sol = _finish(w_pol, c1, c2, ridge, eps, np.zeros(c1.shape, int))
    # a diverged run has no limit: its forget margin y went to -inf
    sol.x = np.where(div, np.nan, sol.x)
    sol.y = np.where(div, -np.inf, sol.y)
    close = np.linalg.norm(w_pol - w, axis=-1) <= 1e-3 * (1 + np.linalg.norm(w_pol, axis=-1))
    ok = ~div & (sol.grad_norm <= tol) & (sol.min_eig > 0) & close
    status = np.where(div, 1, np.where(ok, 0, 2))
    sol.status = status
    return sol


def correlated_case(n_retain, n_forget, retain_ij, alpha, ridge, eps, forget_weight: float = 1.0,
                    gd_steps: int = 3000) -> dict:
    """Pretrained, oracle and DA solutions over a broadcast grid of parameters.

    Parameters
    ----------
    n_retain, n_forget, retain_ij, alpha, ridge, eps : array_like
        Sizes, ratio, ridge and :math:`\\varepsilon \\in (0, 1]`.
    forget_weight : float, optional
    gd_steps : int, optional

    Returns
    -------
    dict
        Margins ``x_*``, ``y_*``, ``status`` (DA), ``below_pretrained`` (:math:`x_{DA}\\le x_D` and
        :math:`y_{DA}\\le y_D`, or DA diverged), ``da_harmful`` (:math:`\\|w_{DA} - w_R\\| \\ge
        \\|w_D - w_R\\|` or DA diverged), the Lemma 9 bound and whether it applies.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemmas 6 and 9.
    """
    co = correlated_coefficients(n_retain, n_forget, retain_ij, alpha, forget_weight)
    eps_a = _arr(eps, "eps")
    if np.any(eps_a <= 0) or np.any(eps_a > 1):
        raise ValueError(f"eps must lie in (0, 1]; got range [{eps_a.min()}, {eps_a.max()}]")
    sD = solve_convex(*co["pretrain"], ridge, eps_a)
    xR, yR, wR = oracle_margins(co["retrain"][0], ridge, eps_a)
    sDA = solve_da(*co["da"], ridge, eps_a, sD.w, gd_steps=gd_steps)
    div = sDA.status == 1
    below = div | ((sDA.x <= sD.x) & (sDA.y <= sD.y))
    dD = np.linalg.norm(sD.w - wR, axis=-1)
    dDA = np.where(div, np.inf, np.linalg.norm(sDA.w - wR, axis=-1))
    a9 = lemma9_alpha(n_retain, n_forget, eps_a)
    return {
        "x_pretrain": sD.x, "y_pretrain": sD.y, "w_pretrain": sD.w,
        "x_retrain": xR, "y_retrain": yR, "w_retrain": wR,
        "x_da": sDA.x, "y_da": sDA.y, "w_da": sDA.w, "status": sDA.status,
        "da_min_eig": sDA.min_eig, "da_grad_norm": sDA.grad_norm,
        "below_pretrained": below, "dist_pretrain": dD, "dist_da": dDA, "da_harmful": dDA >= dD,
        "lemma9_alpha": a9, "lemma9_applies": np.asarray(alpha) >= a9,
    }


def da_along_direction(c1, c2, ridge, eps, s):
    """:math:`L_{DA}(s(\\varepsilon, -1))`, which tends to :math:`-\\infty` for :math:`c_2 < 0` [derived].

    Along :math:`w = s(\\varepsilon, -1)` the margin :math:`x` vanishes and :math:`y = -s(1-\\varepsilon^2)`, so the
    value is :math:`c_1 + c_2e^{s(1-\\varepsilon^2)} + \\tfrac{\\lambda}{2}s^2(1+\\varepsilon^2)`
    (``proofs/ascent_correlated.py``).

    Parameters
    ----------
    c1, c2, ridge, eps, s : array_like

    Returns
    -------
    ndarray
    """
    s = np.asarray(s, float)
    w = np.stack(np.broadcast_arrays(s * eps, -s), axis=-1)
    return correlated_value(w, c1, c2, ridge, eps)
