"""The moment recursion behind the quadratic forecast (:func:`rmtcheck.stability.preflight.forecast`), prepared once.

Everything here is an exact rewriting of the recursion (up to round-off), chosen for its cost:

* **per-sample rank.** A factor block :math:`F_i` (``d x k``) whose Gram matrix :math:`F_i^\\top F_i` has
  eigenvalues below :math:`\\epsilon_k = 64\\,k\\,\\varepsilon` of its largest (round-off: the softmax
  cross-entropy's :math:`\\Lambda_i = \\operatorname{diag}(p) - pp^\\top` has rank ``k - 1``) is replaced by
  :math:`F_i V_i` with the eigenvectors :math:`V_i` of the others; :math:`H_i = F_i F_i^\\top` changes by at
  most :math:`k\\,\\epsilon_k \\|H_i\\|`. The sandwich sums then get positive definite :math:`F_i^\\top M F_i`
  (Cholesky, not an eigendecomposition; :mod:`rmtcheck.stability._sandwich`) and ``k - 1`` columns.
* **reachable subspace.** From :math:`\\delta_0 = 0` the iterate stays in the span
  :math:`V` of the ranges of the live members (nonzero weight) and of the live per-sample gradients, since
  :math:`\\hat H\\delta \\in \\operatorname{range}(\\hat H)`. So :math:`m_k = Q m'_k` and :math:`M_k = Q M'_k Q^\\top`
  exactly for an orthonormal basis :math:`Q` of :math:`V`, and the loss moments read
  :math:`\\bar g^\\top m = (Q^\\top\\bar g)^\\top m'`, :math:`\\operatorname{Tr}(\\bar H M) = \\operatorname{Tr}(Q^\\top \\bar H Q M')`,
  and so on. The basis is that of the singular values of the stacked live factor rows above
  ``max(rows, d) eps`` of the largest (members change by :math:`O(\\varepsilon)`), completed by the
  gradients' residual directions above ``max(shape) eps`` of their norm (round-off: the gradient of a
  cross-entropy lies in the range of its Gauss–Newton factor). Gradient ascent (:math:`\\alpha = 1`) on a
  small forget set then runs in the forget set's rank instead of the model's.
* **loss moments.** :math:`\\operatorname{Tr}(\\bar H S \\bar H S) = \\|C S C^\\top\\|_F^2` for
  :math:`\\bar H = C^\\top C` with few factor rows ``C``, and :math:`\\sum_{ab} h_a h_b S_{ab}^2` for a diagonal
  :math:`\\bar H` (the mean of the one live family, in the eigenbasis the recursion rotates to).
* **cache.** The recursion does not depend on the step size: the last one prepared is kept (keyed on the
  identity of the two families and the values of the gradients and of the recipe), so a forecast curve
  over step sizes prepares it once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.validation import as_finite_array
from rmtcheck.stability.families import HessianFamily, as_family_pair
from rmtcheck.stability.noisy_unlearning import NoisyMixedDynamics

_EPS = np.finfo(float).eps
_LAST: list = []  # [(key, prepared)]: the last prepared recursion


@dataclass(frozen=True)
class Moments:
    """A prepared moment recursion and, per set (retain, forget), what its loss moments need."""

    dyn: NoisyMixedDynamics
    sets: tuple  # ((H, gbar, C, h), ...): mean Hessian, mean gradient, factor rows (or None), diagonal (or None)

    def loss_means(self, M: np.ndarray, m: np.ndarray) -> list[float]:
        """Per set, the mean rise :math:`\\bar g^\\top m + \\tfrac12\\operatorname{Tr}(\\bar H M)` alone (as
        :meth:`loss_moments` computes it)."""
        return [float(gb @ m) + 0.5 * float(np.vdot(H, M)) for H, gb, _, _ in self.sets]

    def loss_moments(self, M: np.ndarray, m: np.ndarray, S: np.ndarray) -> list[tuple[float, float]]:
        """Per set, the mean rise :math:`\\bar g^\\top m + \\tfrac12\\operatorname{Tr}(\\bar H M)` and the variance
        :math:`b^\\top S b + \\tfrac12\\operatorname{Tr}(\\bar H S\\bar H S)` (:math:`b = \\bar g + \\bar H m`)."""
        out = []
        for H, gb, C, h in self.sets:
            if h is not None:
                hshs = float(h @ (S * S) @ h)
            elif C is not None:
                K = (C @ S) @ C.T
                hshs = float(np.vdot(K, K))
            else:
                HS = H @ S
                hshs = float(np.einsum("ij,ji->", HS, HS))
            b = gb + H @ m
            out.append((float(gb @ m) + 0.5 * float(np.vdot(H, M)), float(b @ S @ b) + 0.5 * hshs))
        return out


def moments(retain, forget, g_retain, g_forget, batch: int, alpha: float, sampling: str) -> Moments:
    """The prepared recursion of the quadratic forecast (module notes), cached for the last arguments."""
    key = (batch, float(alpha), sampling)
    if _LAST:
        (r, f, gr, gf, k), out = _LAST[0]
        if (r is retain and f is forget and k == key and np.array_equal(gr, g_retain)
                and np.array_equal(gf, g_forget)):
            return out
    out = _prepare(retain, forget, g_retain, g_forget, batch, alpha, sampling)
    _LAST[:] = [((retain, forget, np.array(g_retain, dtype=float), np.array(g_forget, dtype=float), key), out)]
    return out


def _prepare(retain, forget, g_retain, g_forget, batch, alpha, sampling) -> Moments:
    fams = list(as_family_pair(retain, forget))
    grads = [as_finite_array(g_retain, "g_retain", ndim=2), as_finite_array(g_forget, "g_forget", ndim=2)]
    for name, fam, g in zip(("g_retain", "g_forget"), fams, grads):
        if g.shape != (fam.n, fam.d):
            raise ValueError(f"{name} must have shape {(fam.n, fam.d)} (one gradient per member); got {g.shape}")
    fams = [compact(f) for f in fams]
    live = [i for i, w in enumerate((1.0 - alpha, alpha)) if w]
    Q = reachable_basis([fams[i] for i in live], [grads[i] for i in live], [abs(w) for w in (1.0 - alpha, alpha) if w])
    if Q is not None:
        fams, grads = [f.project(Q) for f in fams], [g @ Q for g in grads]
    # every coordinate is kept (the Gram coordinates are already a range, and V is exact): a gradient component
    # along a direction of (numerically) no curvature drifts as the random walk it is
    dyn = NoisyMixedDynamics(fams[0], fams[1], grads[0], grads[1], batch, alpha=alpha, sampling=sampling,
                             restrict_to_range=False)
    sets = []
    for t, g in zip(dyn.rec.terms, dyn.grads):
        fam, H = t.family, t.family.mean
        h, C = _diagonal(H), None
        if h is None and fam.k is not None:
            rows = fam.factors if fam.is_rank_one else fam.rows
            C = rows / np.sqrt(fam.n) if 2 * rows.shape[0] <= fam.d else None
        sets.append((H, g.mean(axis=0), C, h))
    return Moments(dyn, tuple(sets))


def _diagonal(A: np.ndarray) -> np.ndarray | None:
    """The diagonal of ``A`` if ``A`` is exactly diagonal, else None."""
    dg = np.diag(A).copy()
    return None if np.any(A - np.diag(dg)) else dg


def compact(fam: HessianFamily) -> HessianFamily:
    """A block family with every member's factor reduced to its numerical rank (module notes); others unchanged."""
    if not fam.is_blocks or fam.n == 0:
        return fam
    B = fam.blocks
    k = B.shape[2]
    w, V = np.linalg.eigh(np.swapaxes(B, 1, 2) @ B)  # ascending, per member
    top = w[:, -1:]
    kept = int(np.max(np.sum(w > 64 * k * _EPS * top, axis=1), initial=0))
    if kept in (0, k):
        return fam
    Bk = B @ V[:, :, k - kept:]
    if kept == 1:
        return HessianFamily(factors=np.ascontiguousarray(Bk[:, :, 0]))
    return HessianFamily(blocks=np.ascontiguousarray(Bk))


def reachable_basis(fams: list, grads: list, weights: list) -> np.ndarray | None:
    """Orthonormal basis ``(d, p)`` of the span of the live members' ranges and gradients, ``None`` for all of
    :math:`\\mathbb R^d` (or when a family is a dense stack, or nothing is live)."""
    if not fams or any(f.k is None for f in fams):
        return None
    d = fams[0].d
    F = np.concatenate([np.sqrt(w / f.n) * (f.factors if f.is_rank_one else f.rows) for f, w in zip(fams, weights)])
    if F.shape[0] >= d:  # a cheap test for the common full-rank case: K - shift I positive definite
        K = sum(w * f.mean for f, w in zip(fams, weights))
        try:
            np.linalg.cholesky(K - (1e-12 * np.trace(K)) * np.eye(d))
            return None
        except np.linalg.LinAlgError:
            pass
    _, s, Vt = np.linalg.svd(F, full_matrices=False)
    Q = Vt[s > max(F.shape) * _EPS * s[0]].T if s.size and s[0] > 0 else np.zeros((d, 0))
    G = np.concatenate(grads)
    scale = np.linalg.norm(G)
    if scale > 0:
        res = G - (G @ Q) @ Q.T
        _, s2, Vt2 = np.linalg.svd(res, full_matrices=False)
        extra = Vt2[s2 > max(G.shape) * _EPS * scale].T
        if extra.shape[1]:
            Q = np.linalg.qr(np.concatenate([Q, extra], axis=1))[0]
    return None if Q.shape[1] in (0, d) else Q
