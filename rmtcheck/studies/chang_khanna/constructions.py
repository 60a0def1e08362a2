"""Retain/forget Hessian configurations for descent–ascent unlearning (Chang & Khanna 2026).

* :func:`tightness_construction` — :math:`\\sigma_r` retain members :math:`m_r e_1e_1^\\top` among
  :math:`n_r`, :math:`\\sigma_f` forget members :math:`m_f u u^\\top` among :math:`n_f` with
  :math:`u = \\cos\\theta\\, e_1 + \\sin\\theta\\, e_2`; :math:`m_r = n_r\\lambda_r/\\sigma_r`,
  :math:`m_f = n_f\\lambda_f/\\sigma_f`. [derived; stability brief Sec. 6]
* :func:`rotate_family` / :func:`rotated_forget` — **the forget family is rotated** rigidly by the plane
  rotation :math:`R_\\theta` (:math:`R_\\theta u_0 = \\cos\\theta u_0 + \\sin\\theta v_0`,
  :math:`R_\\theta v_0 = -\\sin\\theta u_0 + \\cos\\theta v_0`, identity on the orthogonal complement) while the
  retain family stays fixed: :math:`B_j(\\theta) = R_\\theta B_j R_\\theta^\\top`.
* :func:`hessian_test_unlearning` — the authors' Hessian test for unlearning: retain and forget are the
  *same* Dexter family (:func:`rmtcheck.designs.dexter_construction`), so
  :math:`\\bar D = (1-2\\alpha)H` (:math:`0.8H` at :math:`\\alpha = 0.1`). [paper, reconstructed setup]
* :func:`least_squares_instance` — a non-interpolating optimum: rank-one Gauss–Newton Hessians
  :math:`x_ix_i^\\top` and per-sample gradients :math:`r_ix_i` with least-squares residuals
  (:math:`\\sum_i r_ix_i = 0` over retain :math:`\\cup` forget, so :math:`w^*` is the minimum).
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.randmat.families import dexter_construction
from rmtcheck.randmat.families import random_family
from rmtcheck.stability.families import HessianFamily, as_family

__all__ = [
    "tightness_construction",
    "rotation_matrix",
    "rotate_family",
    "rotated_forget",
    "hessian_test_unlearning",
    "least_squares_instance",
    "random_unlearning_instance",
    "tightness_factor",
]


def tightness_construction(n_r: int, sigma_r: int, lam_r: float, n_f: int, sigma_f: int, lam_f: float,
                           theta: float = 0.0, d: int = 2) -> tuple[HessianFamily, HessianFamily]:
    """Retain on :math:`e_1`, forget on :math:`\\cos\\theta e_1 + \\sin\\theta e_2` (``theta = 0``: aligned).

    :math:`\\lambda_{\\max}(H_r) = \\lambda_r`, :math:`\\lambda_{\\max}(H_f) = \\lambda_f`, coherences
    :math:`\\sigma_r`, :math:`\\sigma_f`. Under independent bernoulli batches and ``theta = 0``
    [derived; ``proofs/chang_khanna_tightness.py``]

    .. math:: e_1^\\top\\mathbb E[J^2]e_1 = (1-\\eta\\bar d)^2 + \\eta^2\\Big[(1-\\alpha)^2\\lambda_r^2\\frac{n_r/B-1}{\\sigma_r}
              + \\alpha^2\\lambda_f^2\\frac{n_f/B-1}{\\sigma_f}\\Big],\\quad \\bar d = (1-\\alpha)\\lambda_r - \\alpha\\lambda_f .
    """
    n_r, n_f = check_int(n_r, "n_r", 1), check_int(n_f, "n_f", 1)
    sigma_r, sigma_f = check_int(sigma_r, "sigma_r", 1, n_r), check_int(sigma_f, "sigma_f", 1, n_f)
    lam_r, lam_f = check_positive(lam_r, "lam_r"), check_positive(lam_f, "lam_f")
    d = check_int(d, "d", 2)
    Gr = np.zeros((n_r, d))
    Gr[:sigma_r, 0] = np.sqrt(n_r * lam_r / sigma_r)
    Gf = np.zeros((n_f, d))
    u = np.zeros(d)
    u[0], u[1] = np.cos(theta), np.sin(theta)
    Gf[:sigma_f] = np.sqrt(n_f * lam_f / sigma_f) * u
    return HessianFamily.from_factors(Gr, "retain"), HessianFamily.from_factors(Gf, "forget")


def rotation_matrix(d: int, theta: float, u=None, v=None) -> np.ndarray:
    """Rotation by ``theta`` in the plane of orthonormal ``u``, ``v`` (default :math:`e_1, e_2`)."""
    d = check_int(d, "d", 2)
    if u is None:
        u = np.eye(d)[0]
    if v is None:
        v = np.eye(d)[1]
    u, v = np.asarray(u, float), np.asarray(v, float)
    if abs(np.linalg.norm(u) - 1) > 1e-10 or abs(np.linalg.norm(v) - 1) > 1e-10 or abs(u @ v) > 1e-10:
        raise ValueError("u and v must be orthonormal vectors of length d")
    c, s = np.cos(theta), np.sin(theta)
    return np.eye(d) + (c - 1) * (np.outer(u, u) + np.outer(v, v)) + s * (np.outer(v, u) - np.outer(u, v))


def rotate_family(fam, R: np.ndarray) -> HessianFamily:
    """:math:`R H_i R^\\top` for every member (rank one: :math:`g_i \\mapsto R g_i`)."""
    fam = as_family(fam)
    if fam.is_rank_one:
        return HessianFamily(factors=np.ascontiguousarray(fam.factors @ R.T))
    S = np.einsum("ab,ibc,dc->iad", R, fam.stack, R, optimize=True)
    return HessianFamily(stack=0.5 * (S + np.swapaxes(S, 1, 2)), psd=fam.psd)


def rotated_forget(forget, theta: float, u=None, v=None) -> HessianFamily:
    """The forget family rotated by ``theta`` in the plane ``(u, v)`` (the retain family is not touched)."""
    forget = as_family(forget, "forget")
    return rotate_family(forget, rotation_matrix(forget.d, theta, u, v))


def hessian_test_unlearning(n: int, sigma: int, lam: float = 2.0) -> tuple[HessianFamily, HessianFamily]:
    """Identical retain and forget families: Dexter's Hessian test (``n``, ``sigma``, :math:`\\lambda_{\\max} = \\lambda`)."""
    H = dexter_construction(n, sigma, lam)
    return H, H


def least_squares_instance(n_r: int, n_f: int, d: int, residual_scale: float = 1.0, rng=None):
    """Non-interpolating least squares: ``(retain, forget, retain_grads, forget_grads)``.

    :math:`x_i \\sim N(0, I_d)`, residuals :math:`r = (I - X(X^\\top X)^{-1}X^\\top) r_0` with
    :math:`r_0 \\sim N(0, s^2 I)` over all :math:`n_r + n_f > d` samples, so :math:`X^\\top r = 0`: the total
    gradient vanishes at :math:`w^*` while per-sample gradients :math:`g_i = r_i x_i` do not.
    """
    n_r, n_f, d = check_int(n_r, "n_r", 1), check_int(n_f, "n_f", 1), check_int(d, "d", 1)
    if n_r + n_f <= d:
        raise ValueError(f"n_r + n_f must exceed d for a non-interpolating optimum; got {n_r + n_f} <= {d}")
    s = check_positive(residual_scale, "residual_scale")
    rng = as_generator(rng)
    X = rng.standard_normal((n_r + n_f, d))
    r0 = s * rng.standard_normal(n_r + n_f)
    Q, _ = np.linalg.qr(X)
    r = r0 - Q @ (Q.T @ r0)
    G = r[:, None] * X
    return (HessianFamily.from_factors(X[:n_r]), HessianFamily.from_factors(X[n_r:]), G[:n_r], G[n_r:])


def random_unlearning_instance(rng, n_max: int = 20, d_max: int = 6, kinds=None) -> dict:
    """One random (retain, forget) instance with sizes and family kinds (for the verify rows)."""
    rng = as_generator(rng)
    kinds = kinds or ("gaussian", "anisotropic", "clustered", "wishart")
    d = int(rng.integers(2, d_max + 1))
    n_r = int(rng.integers(2, n_max + 1))
    n_f = int(rng.integers(2, n_max + 1))
    kr, kf = (kinds[int(rng.integers(len(kinds)))] for _ in range(2))
    retain, ir = random_family(rng, n_r, d, kr)
    forget, if_ = random_family(rng, n_f, d, kf)
    return {"n_r": n_r, "n_f": n_f, "d": d, "retain": retain, "forget": forget,
            "retain_kind": ir, "forget_kind": if_}


# --------------------------------------------------------------------------- closed forms (from the proofs)
from functools import cache as _cache


@_cache
def _tightness_fns():
    import sympy as sp

    from rmtcheck.proofs import chang_khanna_tightness as P
    from rmtcheck.proofs._common import B, eta

    d = P.derive()
    args = [eta, P.a, P.lr_, P.lf, P.nr, P.nf, P.sr, P.sf, B]
    return (sp.lambdify(args, d["aligned_factor"], "numpy"), sp.lambdify(args, d["orthogonal_factor"], "numpy"))


def tightness_factor(lr, alpha, lam_r, lam_f, n_r, n_f, sigma_r, sigma_f, batch, orthogonal: bool = False):
    """Closed-form :math:`e_1^\\top\\mathbb E[J^2]e_1` (aligned) or :math:`e_2^\\top\\mathbb E[J^2]e_2` (orthogonal)
    under independent bernoulli batches, lambdified from ``proofs/chang_khanna_tightness.py``. [derived]"""
    f = _tightness_fns()[1 if orthogonal else 0]
    return f(lr, alpha, lam_r, lam_f, n_r, n_f, sigma_r, sigma_f, batch)
