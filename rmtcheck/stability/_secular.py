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

Solver. On large sample sides the nonlinear eigenproblem :math:`\\Phi(\\lambda)v = v` is solved by nonlinear
Rayleigh–Ritz (:func:`_rayleigh_ritz`): on an orthonormal basis ``V`` of sample-side vectors, with their
adjoints :math:`X_p = \\mathcal B^\\top v_p` kept, the compression
:math:`V^\\top\\Phi(\\lambda)V = [\\langle X_p, (\\lambda-\\mathcal A)^{-1}X_q\\rangle]` costs no product with the
factors, and its root :math:`\\lambda_V` (Newton from the left, as above) is a lower bound of the root that
increases as ``V`` grows (Cauchy interlacing for the decreasing family :math:`\\Phi(\\lambda)`). Each step adds the
residual :math:`\\Phi(\\lambda_V)u - u` of the Ritz vector ``u`` (one product with the factors each way) and
stops when it is below ``1e-10`` (the root is then exact to about its square), or when :math:`\\lambda_V` has not
moved by more than rounding over three expansions with the residual below ``1e-5`` (top eigenvalues that
cluster converge long before their vectors); every few steps it restarts from the top Ritz vectors to bound
memory. Newton with a converged ARPACK eigenpair at every step, the former solver, needed 3.5–20 times as
many products with the factors (measured at n = 500); it remains the fallback. When the mean spectrum is
clustered, :mod:`rmtcheck.stability._separable` solves the same equation with :math:`\\Phi` held explicitly
(tried first where its cost model prefers it; it hands over to Rayleigh–Ritz when its kernel is not separable).
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck.stability._separable import _diagonal_bound, _separable_kernel, _separable_root

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

    def forward_lower(self, L: np.ndarray) -> np.ndarray:
        """:math:`\\mathcal B M` for symmetric ``M`` given as ``L``, its lower triangle with the off-diagonal doubled
        (so :math:`x^\\top L x = x^\\top M x`), which spares unpacking a packed ``M``. (A BLAS triangular product
        would halve the flops, but SciPy's ``trmm`` runs on a second OpenBLAS whose spinning threads then slow
        NumPy's next products by half on two cores: measured, it lost more than it saved.)"""
        out = []
        for s, R, n, k in self.blocks:
            P = R @ L.T
            if k == 1:
                out.append(s * np.einsum("ij,ij->i", P, R))
            else:
                X = np.einsum("iad,ibd->iab", P.reshape(n, k, -1), R.reshape(n, k, -1))
                out.append(s * (0.5 * (X + X.transpose(0, 2, 1))).ravel())
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


_RR_BASIS = 12     # basis size of the nonlinear Rayleigh-Ritz solver before a restart
_RR_KEEP = 5       # Ritz vectors kept at a restart
_RR_MAXIT = 400    # products with the factors before it gives up (the Newton/ARPACK route then takes over)
_RR_RESIDUAL = 1e-10


def _compression(Xs: np.ndarray, W: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """:math:`[\\sum_{ab} W_{ab} X_{p,ab} X_{q,ab}]_{pq}` for ``W > 0``, in column chunks (no ``b x r^2`` temporary)."""
    b = Xs.shape[0]
    P = np.zeros((b, b))
    for c in range(0, Xs.shape[1], chunk):
        Y = Xs[:, c:c + chunk] * np.sqrt(W[c:c + chunk])
        P += Y @ Y.T
    return P


def _projected_root(Xs: np.ndarray, gap, wt: np.ndarray, lam0: float) -> tuple[float, float, np.ndarray]:
    """Root of ``lambda_max(V^T Phi(lambda) V) = 1`` by Newton from ``lam0`` (to the left of it), with the top
    value and Ritz coefficients there; ``gap(lam)`` is ``1 / (lam - A)`` on the packed lower triangle and ``wt``
    its multiplicities (1 on the diagonal, 2 off it). Returns ``(lam, top, y)`` with ``top >= 1`` unless the
    compression has no root above ``lam0`` (then ``lam = lam0``)."""
    def top(lam):
        g = gap(lam)
        w, U = np.linalg.eigh(_compression(Xs, wt * g))
        y = U[:, -1]
        xg = (y @ Xs) * g
        return float(w[-1]), y, float(np.vdot(xg, wt * xg)), g  # -d top / d lambda

    lam = lam0
    t, y, slope, g = top(lam)
    for _ in range(100):
        if t <= 1.0 or not slope > 0:
            break
        step = (t - 1.0) / slope  # stays left of the root: the top of the compression is convex, decreasing
        if step <= 1e-16 * abs(lam):
            break
        # near the pole top ~ c / (lam - a), where Newton on 1/top - 1 (a step of t * step) is exact; it may
        # overshoot (then the plain step, which cannot, is taken)
        if t > 1.5:
            cand = lam + t * step
            tc, yc, sc, gc = top(cand)
            if tc >= 1.0:
                lam, t, y, slope, g = cand, tc, yc, sc, gc
                continue
        # Newton's next step is about step^2 * |g'/g| <= step^2 * max(g): below rounding, the step is final
        # (top is 1 there to rounding; the Ritz vector moves by O(step))
        if step * float(g.max()) <= 1e-13:
            return lam + step, 1.0, y
        lam += step
        t, y, slope, g = top(lam)
    return lam, t, y


def _rayleigh_ritz(form: SecularForm, v0: np.ndarray | None, lam_lo: float):
    """Nonlinear Rayleigh–Ritz for the largest root (module notes). Returns ``(lam, u, Z, top)`` — the root, the
    sample-side Ritz vector, :math:`(\\lambda - \\mathcal A)^{-1}\\mathcal B^\\top u` and the compression's top value
    there (1 to rounding) — or None if it did not converge. No root above ``lam_lo`` shows as ``lam = lam_lo``
    with ``top < 1`` (the top eigenvalue of :math:`\\Phi(\\lambda_{lo})`). The symmetric matrices :math:`X_p`
    are held as packed lower triangles (half the memory traffic of the compressions)."""
    d = form.d
    il = np.tril_indices(d)
    Ap = form.A[il]
    wt = np.where(il[0] == il[1], 1.0, 2.0)
    gap = lambda lam: 1.0 / (lam - Ap)  # noqa: E731
    L = np.zeros((d, d))

    def product(Zp):  # B Z for Z given packed
        L[il] = wt * Zp
        return form.forward_lower(L)

    def unpack(Zp):
        Z = np.empty((d, d))
        Z[il] = Zp
        Z.T[il] = Zp
        return Z

    # a fixed generic second vector: a start inside an invariant subspace (a symmetric family's, or a warm start
    # from another step size) would otherwise hide the top eigenvector from the expansion
    mix = np.random.default_rng(12345).standard_normal(form.dim)
    v = np.ones(form.dim) if v0 is None or not np.any(v0) else np.array(v0, dtype=float)
    v /= np.linalg.norm(v)
    mix -= v * (v @ mix)
    mix /= np.linalg.norm(mix)
    Xs = np.empty((_RR_BASIS, Ap.size))
    V = np.empty((form.dim, _RR_BASIS))
    V[:, 0], Xs[0], V[:, 1], Xs[1] = v, form.adjoint(v)[il], mix, form.adjoint(mix)[il]
    b, lam, products, still = 2, lam_lo, 2, 0
    while products < _RR_MAXIT:
        previous = lam
        lam, t, y = _projected_root(Xs[:b], gap, wt, max(lam, lam_lo))
        # the compression's root is a lower bound that increases with the basis: unchanged to rounding over
        # three expansions means it has converged (clustered top eigenvalues converge long before the residual)
        still = still + 1 if t >= 1.0 and lam - previous <= 4e-16 * abs(lam) else 0
        u = V[:, :b] @ y
        Zp = (y @ Xs[:b]) * gap(lam)
        w = product(Zp) - min(t, 1.0) * u
        products += 1
        res = float(np.linalg.norm(w))
        if res <= _RR_RESIDUAL or (still >= 3 and res <= 1e-5):
            return lam, u, unpack(Zp), t
        if b == _RR_BASIS:  # thick restart: keep the top _RR_KEEP Ritz vectors of the compression at lam
            _, Y = np.linalg.eigh(_compression(Xs, wt * gap(lam)))
            Y = Y[:, -_RR_KEEP:]
            V[:, :_RR_KEEP], Xs[:_RR_KEEP], b = V @ Y, Y.T @ Xs, _RR_KEEP
        for _ in range(2):
            w -= V[:, :b] @ (V[:, :b].T @ w)
        nw = float(np.linalg.norm(w))
        if not nw > 1e-14 * max(res, 1e-300):
            return lam, u, unpack(Zp), t  # the residual lies in the basis: converged to rounding
        V[:, b], Xs[b] = w / nw, form.adjoint(w / nw)[il]
        b += 1
        products += 1
    return None


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
    if form.dim > _EXPLICIT_MAX:
        kern = _separable_kernel(rec, form, state)
        # the separable route starts Newton from the best diagonal Rayleigh quotient (its kernel must be
        # separable there); Rayleigh-Ritz keeps the bound near the pole, where its compressions find the root
        start = max(lam, _diagonal_bound(form)) if kern is not None else lam
        sep = _separable_root(form, kern, start) if kern is not None else None
        if sep is not None and sep[0] >= start and sep[0] > lam:
            root, u = sep
            state["v"] = u
            Z = form.adjoint(u) / (root - form.A)
            return float(root), Z / np.linalg.norm(Z)
        found = _rayleigh_ritz(form, v, lam)
        if found is not None:
            root, u, Z, top = found
            state["v"] = u
            Z = 0.5 * (Z + Z.T)
            nz = np.linalg.norm(Z)
            if root <= lam and top < 1.0:  # no root above lam: it lies within 1e-13 of a_max, or there is none
                return float(amax), (Z / nz if nz > 0 else E)
            return float(root), Z / nz
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
