"""The Perron root of the second-moment operator by a secular equation on the sample side.

When the mean part of :math:`T` is a Hadamard product in the current coordinates — the mean
:math:`\\bar D` diagonal and every :math:`\\kappa`-term's mean diagonal, as in Gram coordinates — and every
noise term is factored (:math:`H_{t,i} = F_{t,i}F_{t,i}^\\top`), write

.. math::

    T = \\mathcal A + \\mathcal B^\\top \\mathcal B,\\qquad \\mathcal A(M)_{ab} = a_{ab} M_{ab},\\qquad
    \\mathcal B(M) = \\big(s_t F_{t,i}^\\top M F_{t,i}\\big)_{t,i},\\quad s_t^2 = \\eta^2 w_t^2 \\nu_t \\ge 0,

with :math:`a_{ab} = (1-\\eta d_a)(1-\\eta d_b) + \\eta^2\\sum_t w_t^2\\kappa_t h_{t,a}h_{t,b}`. For
:math:`\\lambda > a_{\\max} = \\max_{ab} a_{ab}`, :math:`\\lambda` is an eigenvalue of :math:`T` iff 1 is an
eigenvalue of the PSD operator :math:`\\Phi(\\lambda) = \\mathcal B(\\lambda - \\mathcal A)^{-1}\\mathcal B^\\top`
on the sample side (dimension :math:`\\sum_t n_t k_t^2`), with eigenvector
:math:`M = (\\lambda - \\mathcal A)^{-1}\\mathcal B^\\top v`. :math:`\\Phi` decreases (Loewner) and is convex in
:math:`\\lambda`, so :math:`h(\\lambda) = \\lambda_{\\max}\\Phi(\\lambda) - 1` is convex and decreasing with
:math:`h'(\\lambda) = -\\|(\\lambda-\\mathcal A)^{-1}\\mathcal B^\\top v\\|_F^2`: Newton's method from the left
increases monotonically onto the root, and :math:`\\rho(T) = \\max(a_{\\max}, \\text{root})` (Weyl:
:math:`\\mathcal B^\\top\\mathcal B \\succeq 0`). [derived] Unlike Lanczos on :math:`T`, whose top eigenvalues
cluster at 1 when the curvature has many weak directions (as real models' Gram matrices do), the
top eigenvalue of :math:`\\Phi` is found in a few iterations.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module

_spla = lazy_module("scipy.sparse.linalg")

_EXPLICIT_MAX = 60  # below this many sample-side coordinates, Phi is built column by column


class SecularForm:
    """The sample-side form of one recursion at one step size (see the module notes)."""

    def __init__(self, rec, lr: float):
        d = rec.d
        base = 1.0 - lr * rec._dbar
        A = np.outer(base, base)
        self.blocks = []  # (scale s_t, rows R_t (n_t k_t, d), n_t, k_t)
        for t, hb in zip(rec.terms, rec._hbar):
            c = lr * lr * t.weight * t.weight
            if t.model.kappa:
                A += (c * t.model.kappa) * np.outer(hb, hb)
            if t.model.nu and c:
                fam = t.family
                R = fam.factors if fam.is_rank_one else fam.rows
                self.blocks.append((np.sqrt(c * t.model.nu), R, fam.n, fam.k))
        self.A, self.d = A, d
        self.amax = float(A.max())
        self.dim = sum(n * k * k for _, _, n, k in self.blocks)

    def adjoint(self, v: np.ndarray) -> np.ndarray:
        """:math:`\\mathcal B^\\top v = \\sum_t s_t \\sum_i F_{t,i} V_{t,i} F_{t,i}^\\top`."""
        Y = np.zeros((self.d, self.d))
        pos = 0
        for s, R, n, k in self.blocks:
            V = v[pos:pos + n * k * k].reshape(n, k, k)
            pos += n * k * k
            if k == 1:
                Y += (R.T * (s * V[:, 0, 0])) @ R
            else:
                V = 0.5 * (V + V.transpose(0, 2, 1))
                Y += R.T @ (s * (V @ R.reshape(n, k, -1))).reshape(n * k, -1)
        return Y

    def forward(self, M: np.ndarray) -> np.ndarray:
        """:math:`\\mathcal B M = (s_t F_{t,i}^\\top M F_{t,i})_{t,i}`, flattened."""
        out = []
        for s, R, n, k in self.blocks:
            P = R @ M
            if k == 1:
                out.append(s * np.einsum("ij,ij->i", P, R))
            else:
                out.append(s * np.einsum("iad,ibd->iab", P.reshape(n, k, -1), R.reshape(n, k, -1)).ravel())
        return np.concatenate(out)

    def phi(self, lam: float, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`\\Phi(\\lambda)v` and :math:`Z = (\\lambda - \\mathcal A)^{-1}\\mathcal B^\\top v`."""
        Z = self.adjoint(v) / (lam - self.A)
        return self.forward(Z), Z

    def top(self, lam: float, v0: np.ndarray | None, tol: float = 1e-13) -> tuple[float, np.ndarray]:
        """Largest eigenvalue of :math:`\\Phi(\\lambda)` and a unit eigenvector (relative tolerance ``tol``)."""
        if self.dim <= _EXPLICIT_MAX:
            P = np.column_stack([self.phi(lam, e)[0] for e in np.eye(self.dim)])
            w, V = np.linalg.eigh(0.5 * (P + P.T))
            return float(w[-1]), V[:, -1]
        op = _spla.LinearOperator((self.dim, self.dim), matvec=lambda x: self.phi(lam, np.ravel(x))[0],
                                  dtype=np.float64)
        if v0 is None or not np.any(v0):
            v0 = np.ones(self.dim)
        w, V = _spla.eigsh(op, k=1, which="LA", v0=v0, ncv=min(self.dim - 1, 8), tol=tol,
                           maxiter=50 * self.dim)
        return float(w[0]), V[:, 0]


def applicable(rec) -> bool:
    """Whether the secular route applies to ``rec`` (see the module notes)."""
    if rec._dbar is None or rec.d < 2:
        return False
    for t, hb in zip(rec.terms, rec._hbar):
        if t.model.kappa and hb is None:
            return False
        if t.model.nu and getattr(t.family, "k", None) is None:
            return False
        if t.model.nu < 0:
            return False
    return True


def perron(rec, lr: float, state: dict) -> tuple[float, np.ndarray]:
    """:math:`\\rho(T(\\eta))` and a unit (Frobenius) symmetric Perron vector, by Newton on :math:`h`.

    ``state`` carries the previous sample-side vector between calls (warm start).
    """
    form = SecularForm(rec, lr)
    amax = form.amax
    ia, ib = np.unravel_index(int(np.argmax(form.A)), form.A.shape)
    E = np.zeros((form.d, form.d))
    E[ia, ib] = E[ib, ia] = 1.0
    E /= np.linalg.norm(E)
    if form.dim == 0:
        return amax, E
    scale = max(abs(amax), 1e-300)
    # a lower bound below the root: Rayleigh quotients of T are <= rho(T)
    lam = amax
    v = state.get("v") if state.get("v") is not None and len(state["v"]) == form.dim else None
    if v is not None:
        Z = form.adjoint(v) / ((amax + 1e-3 * scale) - form.A)  # the previous Perron shape, roughly
        nz = np.linalg.norm(Z)
        if nz > 0:
            Z /= nz
            Bz = form.forward(Z)
            lam = max(lam, float(np.vdot(Z, form.A * Z) + Bz @ Bz))
    lam = max(lam, amax + 1e-13 * scale)
    lo, hi, hi_top = lam, np.inf, 0.0
    top, v = form.top(lo, v)
    if top - 1.0 <= 0.0:  # the root lies within 1e-13 of a_max (or there is none): rho = a_max to that precision
        state["v"] = v
        Z = form.phi(lo, v)[1]
        nz = np.linalg.norm(Z)
        return float(lo if top == 1.0 else amax), (Z / nz if nz > 0 else E)
    lam, ltop, lv = lo, top, v
    for _ in range(100):
        Z = form.phi(lo, v)[1]  # always step from the best point left of the root
        slope = float(np.vdot(Z, Z))  # -h'(lo)
        if not slope > 0:
            break
        newton = (top - 1.0) / slope  # stays left of the root (h convex)
        # near the pole at a_max, top ~ c / (lam - a_max): Newton on 1/top - 1 is then exact; it may overshoot
        cand = lo + top * newton
        if not cand < hi:
            cand = lo + newton
        if not cand < hi:  # Newton from the left lands on hi: the root is there to rounding; interpolate h
            lam, ltop = lo + (hi - lo) * (top - 1.0) / (top - hi_top), 1.0
            lv = v
            break
        if cand - lo <= 1e-15 * abs(cand):
            break
        lam = cand
        ltop, lv = form.top(lam, v)
        if ltop >= 1.0:
            lo, top, v = lam, ltop, lv
        else:
            hi, hi_top = lam, ltop
        if abs(ltop - 1.0) <= 1e-13 or (np.isfinite(hi) and hi - lo <= 1e-14 * abs(hi)):
            break
    lo, v = (lam, lv) if abs(ltop - 1.0) <= 1e-13 else (lo, v)
    state["v"] = v
    Z = form.phi(lo, v)[1]
    Z = 0.5 * (Z + Z.T)
    return float(lo), Z / np.linalg.norm(Z)
