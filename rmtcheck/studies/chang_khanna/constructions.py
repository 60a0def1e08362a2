"""Retain/forget Hessian configurations for descent–ascent unlearning (Chang & Khanna 2026 [changkhanna2026]).

* :func:`tightness_construction` — :math:`\\sigma_r` retain members :math:`m_r e_1e_1^\\top` among
  :math:`n_r`, :math:`\\sigma_f` forget members :math:`m_f u u^\\top` among :math:`n_f` with
  :math:`u = \\cos\\theta\\, e_1 + \\sin\\theta\\, e_2`; :math:`m_r = n_r\\lambda_r/\\sigma_r`,
  :math:`m_f = n_f\\lambda_f/\\sigma_f`, modelled on [dexter2024], Theorem 2.
  [derived; ``proofs/chang_khanna_tightness.py``]
* :func:`rotate_family` / :func:`rotated_forget` — **the forget family is rotated** rigidly by the plane
  rotation :math:`R_\\theta` (:math:`R_\\theta u_0 = \\cos\\theta u_0 + \\sin\\theta v_0`,
  :math:`R_\\theta v_0 = -\\sin\\theta u_0 + \\cos\\theta v_0`, identity on the orthogonal complement) while the
  retain family stays fixed: :math:`B_j(\\theta) = R_\\theta B_j R_\\theta^\\top`.
* :func:`hessian_test_unlearning` — the authors' Hessian test for unlearning: retain and forget are the
  *same* Dexter family (:func:`rmtcheck.randmat.families.dexter_construction`), so
  :math:`\\bar D = (1-2\\alpha)H` (:math:`0.8H` at :math:`\\alpha = 0.1`). [paper, reconstructed setup]
* :func:`least_squares_instance` — a non-interpolating optimum: rank-one Gauss–Newton Hessians
  :math:`x_ix_i^\\top` and per-sample gradients :math:`r_ix_i` with least-squares residuals
  (:math:`\\sum_i r_ix_i = 0` over retain :math:`\\cup` forget, so :math:`w^*` is the minimum).
* :func:`random_unlearning_instance` — random (retain, forget) pairs for the verify rows;
  :func:`tightness_factor` — the closed-form factors of the tightness construction, lambdified from
  ``proofs/chang_khanna_tightness.py``.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.randmat.families import dexter_construction, random_family
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

    Parameters
    ----------
    n_r, sigma_r : int
        Retain samples and retain coherence (:math:`1 \\le \\sigma_r \\le n_r`).
    lam_r : float
        :math:`\\lambda_{\\max}(H_r) > 0`.
    n_f, sigma_f : int
        Forget samples and forget coherence.
    lam_f : float
        :math:`\\lambda_{\\max}(H_f) > 0`.
    theta : float, optional
        Angle of the forget direction from :math:`e_1` (default 0).
    d : int, optional
        Dimension, :math:`\\ge 2` (default 2).

    Returns
    -------
    retain, forget : HessianFamily
        The two rank-one families.

    See Also
    --------
    tightness_factor : the closed-form factors.
    rotated_forget : rotate the forget family rigidly.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].
    .. [2] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Theorem 2 (the construction it is modelled on).
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
    """Rotation by ``theta`` in the plane of orthonormal ``u``, ``v`` (default :math:`e_1, e_2`).

    :math:`R = I + (\\cos\\theta - 1)(uu^\\top + vv^\\top) + \\sin\\theta(vu^\\top - uv^\\top)`, so
    :math:`Ru = \\cos\\theta u + \\sin\\theta v` and :math:`R` is the identity on the orthogonal complement.

    Parameters
    ----------
    d : int
        Dimension, :math:`\\ge 2`.
    theta : float
        Angle (radians).
    u, v : array_like, optional
        Orthonormal vectors of length ``d``.

    Returns
    -------
    ndarray, shape (d, d)
        The orthogonal matrix :math:`R_\\theta`.

    Raises
    ------
    ValueError
        ``u`` and ``v`` are not orthonormal.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> R = rotation_matrix(3, np.pi / 2)
    >>> np.round(R @ np.array([1.0, 0.0, 0.0]), 12) + 0.0
    array([0., 1., 0.])
    """
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
    """:math:`R H_i R^\\top` for every member (rank one: :math:`g_i \\mapsto R g_i`).

    Parameters
    ----------
    fam : HessianFamily or array_like
        The family (anything :func:`rmtcheck.stability.families.as_family` accepts).
    R : ndarray, shape (d, d)
        Orthogonal matrix.

    Returns
    -------
    HessianFamily
        The rotated family (rank one stays rank one).

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].
    """
    fam = as_family(fam)
    if fam.is_rank_one:
        return HessianFamily(factors=np.ascontiguousarray(fam.factors @ R.T))
    S = np.einsum("ab,ibc,dc->iad", R, fam.stack, R, optimize=True)
    return HessianFamily(stack=0.5 * (S + np.swapaxes(S, 1, 2)), psd=fam.psd)


def rotated_forget(forget, theta: float, u=None, v=None) -> HessianFamily:
    """The forget family rotated by ``theta`` in the plane ``(u, v)`` (the retain family is not touched).

    Parameters
    ----------
    forget : HessianFamily or array_like
        The forget family.
    theta : float
        Angle (radians); 0 leaves the family unchanged.
    u, v : array_like, optional
        Orthonormal plane of the rotation (default :math:`e_1, e_2`).

    Returns
    -------
    HessianFamily
        :math:`B_j(\\theta) = R_\\theta B_j R_\\theta^\\top`.

    See Also
    --------
    rotation_matrix, rotate_family

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (a) (curvature alignment).
    """
    forget = as_family(forget, "forget")
    return rotate_family(forget, rotation_matrix(forget.d, theta, u, v))


def hessian_test_unlearning(n: int, sigma: int, lam: float = 2.0) -> tuple[HessianFamily, HessianFamily]:
    """Identical retain and forget families: Dexter's Hessian test (``n``, ``sigma``, :math:`\\lambda_{\\max} = \\lambda`).

    With retain = forget, :math:`\\bar D = (1-2\\alpha)H` (:math:`0.8H` at :math:`\\alpha = 0.1`).
    [paper, reconstructed setup]

    Parameters
    ----------
    n, sigma : int
        Samples and coherence of the Dexter family.
    lam : float, optional
        :math:`\\lambda_{\\max}` (default 2).

    Returns
    -------
    retain, forget : HessianFamily
        The same object twice.

    See Also
    --------
    rmtcheck.randmat.families.dexter_construction

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (c) (Hessian test for unlearning).
    .. [2] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1.
    """
    H = dexter_construction(n, sigma, lam)
    return H, H


def least_squares_instance(n_r: int, n_f: int, d: int, residual_scale: float = 1.0, rng=None):
    """Non-interpolating least squares: ``(retain, forget, retain_grads, forget_grads)``.

    :math:`x_i \\sim N(0, I_d)`, residuals :math:`r = (I - X(X^\\top X)^{-1}X^\\top) r_0` with
    :math:`r_0 \\sim N(0, s^2 I)` over all :math:`n_r + n_f > d` samples, so :math:`X^\\top r = 0`: the total
    gradient vanishes at :math:`w^*` while per-sample gradients :math:`g_i = r_i x_i` do not. [derived;
    ``proofs/chang_khanna_noise.py``]

    Parameters
    ----------
    n_r, n_f, d : int
        Retain and forget samples and dimension (:math:`n_r + n_f > d`).
    residual_scale : float, optional
        :math:`s > 0` (default 1).
    rng : int, Generator or None, optional
        Seed or generator.

    Returns
    -------
    retain, forget : HessianFamily
        Rank-one Gauss–Newton Hessians :math:`x_ix_i^\\top`.
    retain_grads, forget_grads : ndarray
        Per-sample gradients :math:`r_ix_i` at :math:`w^*`, shapes ``(n_r, d)`` and ``(n_f, d)``.

    Raises
    ------
    ValueError
        :math:`n_r + n_f \\le d`.

    See Also
    --------
    rmtcheck.stability.noisy_unlearning.NoisyMixedDynamics : the dynamics with this gradient noise.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026] (reviewers' question: nonzero per-sample gradients at :math:`w^*`).
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
    """One random (retain, forget) instance with sizes and family kinds (for the verify rows).

    Parameters
    ----------
    rng : int or Generator
        Seed or generator.
    n_max, d_max : int, optional
        Upper bounds of the sizes and the dimension (defaults 20 and 6).
    kinds : sequence of str, optional
        Family kinds of :func:`rmtcheck.randmat.families.random_family` to draw from.

    Returns
    -------
    dict
        ``n_r``, ``n_f``, ``d``, ``retain``, ``forget`` (families) and ``retain_kind``, ``forget_kind``.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].
    """
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


def closed_forms_source() -> str:
    """The source of :mod:`._closed_forms_generated`: the tightness factors of
    ``proofs/chang_khanna_tightness.py`` as ``sympy.lambdify`` generates them (:mod:`rmtcheck._lib.codegen`;
    ``python -m rmtcheck.studies.chang_khanna.constructions`` writes it).

    Returns
    -------
    str
    """
    import sympy as sp

    from rmtcheck._lib.codegen import lambdified_source
    from rmtcheck.proofs import chang_khanna_tightness as P
    from rmtcheck.proofs._common import B, eta

    d = P.derive()
    args = [eta, P.a, P.lr_, P.lf, P.nr, P.nf, P.sr, P.sf, B]
    lines = ['"""The tightness factors of ``proofs/chang_khanna_tightness.py`` as SymPy\'s lambdify prints them (do not '
             'edit).', "", "Generated by ``python -m rmtcheck.studies.chang_khanna.constructions`` (:func:`.constructions."
             "closed_forms_source`);", "a test regenerates it and requires it byte for byte.", '"""']
    for key in ("aligned_factor", "orthogonal_factor"):
        lines += ["", "", f"# {key} = {sp.sstr(d[key])}", lambdified_source(sp.lambdify(args, d[key], "numpy"), key)]
    return "\n".join(lines)


def tightness_factor(lr, alpha, lam_r, lam_f, n_r, n_f, sigma_r, sigma_f, batch, orthogonal: bool = False):
    """Closed-form factor of the tightness construction under independent bernoulli batches.

    :math:`e_1^\\top\\mathbb E[J^2]e_1` (aligned) or :math:`e_2^\\top\\mathbb E[J^2]e_2` (orthogonal), lambdified
    from ``proofs/chang_khanna_tightness.py`` (printed into
    :mod:`._closed_forms_generated` by :func:`closed_forms_source`). [derived]

    Parameters
    ----------
    lr, alpha : float or array_like
        Step size :math:`\\eta` and mixing weight :math:`\\alpha`.
    lam_r, lam_f : float or array_like
        :math:`\\lambda_{\\max}` of retain and forget.
    n_r, n_f, sigma_r, sigma_f : float or array_like
        Sizes and coherences.
    batch : float or array_like
        Batch size :math:`B`.
    orthogonal : bool, optional
        The :math:`e_2` factor of the orthogonal construction (default: the aligned :math:`e_1` factor).

    Returns
    -------
    float or ndarray
        The factor; unlearning escapes (mean-square) where it exceeds 1.

    See Also
    --------
    tightness_construction

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].
    """
    from rmtcheck.studies.chang_khanna import _closed_forms_generated as gen

    f = gen.orthogonal_factor if orthogonal else gen.aligned_factor
    return f(lr, alpha, lam_r, lam_f, n_r, n_f, sigma_r, sigma_f, batch)


if __name__ == "__main__":  # regenerate the printed closed forms after the proof changes
    from pathlib import Path

    Path(__file__).with_name("_closed_forms_generated.py").write_text(closed_forms_source() + "\n", encoding="utf-8")
