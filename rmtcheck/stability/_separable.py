"""The separable-kernel solver of the secular equation (:mod:`rmtcheck.stability._secular`): when the mean
spectrum is clustered, the kernel :math:`1/(\\lambda - a_{ab})` is a certified Chebyshev expansion and the
sample-side matrix :math:`\\Phi(\\lambda)` is held explicitly (:class:`SeparableKernel`, :func:`_separable_root`).
"""

from __future__ import annotations

import mmap
from typing import TYPE_CHECKING

import numpy as np

from rmtcheck._lib.lazy import lazy_module

_sla = lazy_module("scipy.linalg")
_spla = lazy_module("scipy.sparse.linalg")

if TYPE_CHECKING:  # the form is built by _secular, which imports this module
    from rmtcheck.stability._secular import SecularForm

_SEP_TERMS = (6, 8, 10, 12, 14, 16)  # Chebyshev terms per coordinate, tried in turn
_SEP_RTOL = 1e-12     # certified largest relative error of the separable kernel over every (a, b)
_SEP_MAX_SIDE = 2500  # largest sample side held explicitly (16 Gram matrices of 2500^2: 800 MB)
_SEP_CHUNK = 1 << 14  # entries per pass when contracting the Gram matrices (stays in cache)


def _plain_pages(shape) -> np.ndarray:
    """An uninitialised float64 array in an anonymous mapping of ordinary pages.

    NumPy advises transparent huge pages for large arrays; where the kernel then compacts memory on every first
    touch (``defrag = madvise``, a common default) filling a fresh 512 MB buffer cost 2-3 s more than the GEMMs
    that fill it (measured on the 2-core machines). An anonymous ``mmap`` is not advised, so its pages fault in
    cheaply; the mapping lives as long as the array."""
    n = int(np.prod(shape))
    if n == 0:
        return np.empty(shape)
    buf = mmap.mmap(-1, 8 * n)
    return np.frombuffer(buf, dtype=np.float64, count=n).reshape(shape)


class SeparableKernel:
    r"""The kernel :math:`W_{ab} = 1/(\lambda - a_{ab})` as :math:`P C P^\top`, with
    :math:`P_{ak} = T_k(t_a)` the Chebyshev polynomials at the mean's diagonal (mapped to [-1, 1]).

    When :math:`a_{ab}` is a smooth function of :math:`(\bar d_a, \bar d_b)` (one term, or no
    batch-correlation term: :math:`a_{ab} = (1-\eta\bar d_a)(1-\eta\bar d_b) + \ldots`) and the pole
    :math:`\lambda = a_{\max}` is far compared with the spread of :math:`a` (curvature whose mean spectrum is
    clustered, as for many nearly isotropic samples — exactly where Krylov methods see a cluster of
    near-equal top eigenvalues), a few terms reproduce :math:`W` to rounding, and

    .. math::

        \Phi(\lambda)_{ij} = s_i s_j \sum_{ab} W_{ab} F_{ia}F_{ib}F_{ja}F_{jb}
        \approx s_i s_j \sum_{kl} C_{kl}\,(G_k)_{ij}(G_l)_{ij},\qquad G_k = F\,\mathrm{diag}(T_k(t))F^\top,

    where the :math:`G_k` do not depend on :math:`\lambda` or :math:`\eta`. The error is certified, not
    estimated: the fit is evaluated at every pair :math:`(a, b)`, and a largest relative error
    :math:`\epsilon` gives :math:`(1-\epsilon)\Phi \preceq \Phi_C \preceq (1+\epsilon)\Phi` (Loewner), since
    :math:`\Phi = \sum_{ab} W_{ab} b_{ab}b_{ab}^\top` with :math:`W > 0`. [derived]
    """

    def __init__(self, x: np.ndarray, rows: np.ndarray):
        self.x = x.copy()
        lo, hi = float(x.min()), float(x.max())
        span = hi - lo
        self.t = (2.0 * x - (lo + hi)) / span if span > 1e-14 * max(abs(hi), abs(lo), 1e-300) else 0.0 * x
        self.rows = rows
        # room for every term at once: pages are touched only as the matrices are built
        self._G = _plain_pages((max(_SEP_TERMS), rows.shape[0] * rows.shape[0]))
        self.built = 0
        self._pinv, self._last = {}, {}
        self._work = None  # r x r buffers (W, W^2, the error) and the N x N matrix, reused by every step

    def buffers(self, r: int):
        """Work arrays in plain pages, allocated once: three ``(r, r)`` and one ``(N, N)``."""
        if self._work is None or self._work[0].shape != (r, r):
            N = self.rows.shape[0]
            self._work = [_plain_pages((r, r)) for _ in range(3)] + [_plain_pages((N, N))]
        return self._work

    def fits(self, x: np.ndarray, rows: np.ndarray) -> bool:
        """Whether this kernel belongs to the coordinates ``x`` and the factor rows ``rows``."""
        return (rows is self.rows or (rows.shape == self.rows.shape and np.array_equal(rows, self.rows))) \
            and np.array_equal(x, self.x)

    def grams(self, m: int) -> np.ndarray:
        """The first ``m`` Gram matrices :math:`G_k`, flattened (built on demand, upper blocks only)."""
        if self.built < m:
            N = self.rows.shape[0]
            P = np.polynomial.chebyshev.chebvander(self.t, m - 1)
            step = max(1, -(-N // 4))
            for k in range(self.built, m):
                Rk = self.rows * P[:, k]
                Gk = self._G[k].reshape(N, N)
                for i in range(0, N, step):  # upper block triangle with GEMM, then mirrored
                    Gk[i:i + step, i:] = Rk[i:i + step] @ self.rows[i:].T
                    Gk[i + step:, i:i + step] = Gk[i:i + step, i + step:].T
            self.built = m
        return self._G[:m]

    def fit(self, W: np.ndarray, rtol: float = _SEP_RTOL) -> tuple[np.ndarray, float] | None:
        """Coefficients ``C`` (the fewest terms reaching ``rtol``) and their certified relative error."""
        if not (np.isfinite(W).all() and W.min() > 0):
            return None
        E = self.buffers(W.shape[0])[2]
        if rtol not in self._last and self._fit_at(_SEP_TERMS[-1], W, E)[1] > rtol:
            return None  # not separable even with every term: one trial, not one per term count
        start = self._last.get(rtol, _SEP_TERMS[0])  # successive calls need about as many terms
        for m in (m for m in _SEP_TERMS if m >= start):
            C, err = self._fit_at(m, W, E)
            if err <= rtol:
                self._last[rtol] = m
                return C, err
        return None

    def _fit_at(self, m: int, W: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, float]:
        """Least-squares coefficients with ``m`` terms and the largest relative error over every (a, b)."""
        if m not in self._pinv:
            P = np.polynomial.chebyshev.chebvander(self.t, m - 1)
            self._pinv[m] = (P, np.linalg.pinv(P))
        P, Pp = self._pinv[m]
        C = Pp @ W @ Pp.T
        C = 0.5 * (C + C.T)
        np.matmul(P @ C, P.T, out=E)  # the fit at every pair (a, b), then its relative error, in place
        E -= W
        np.abs(E, out=E)
        E /= W
        return C, float(E.max())


def _contract(G: np.ndarray, C: np.ndarray, w: np.ndarray | None = None, out: np.ndarray | None = None):
    """``sum_kl C_kl G_k * G_l`` (flattened, into ``out`` if given), or with ``w`` the forms
    ``[w^T (G_k * G_l) w]_kl``."""
    m, NN = G.shape
    if w is None:
        out = np.empty(NN) if out is None else out
        for c in range(0, NN, _SEP_CHUNK):
            g = G[:, c:c + _SEP_CHUNK]
            y = C @ g
            y *= g
            y.sum(axis=0, out=out[c:c + _SEP_CHUNK])
        return out
    ww = np.outer(w, w).ravel()
    Q = np.zeros((m, m))
    for c in range(0, NN, _SEP_CHUNK):
        g = G[:, c:c + _SEP_CHUNK]
        Q += (g * ww[c:c + _SEP_CHUNK]) @ g.T
    return Q


def _prefer_separable(N: int, r: int) -> bool:
    """Whether the explicit route is expected to be cheaper for ``N`` samples in ``r`` coordinates: ten Gram
    matrices and a dense top eigenpair per Newton step against about thirty products with the factors (four
    ``N r^2`` GEMMs each) for Rayleigh–Ritz."""
    return 20 * N * N * r + 8 * N**3 <= 30 * 4 * N * r * r


def _separable_kernel(rec, form: SecularForm, state: dict) -> SeparableKernel | None:
    """The cached kernel of ``rec`` when the explicit route is applicable and cheaper (module notes)."""
    if any(k != 1 for _, _, _, k in form.blocks) or form.dim > _SEP_MAX_SIDE:
        return None
    if not _prefer_separable(form.dim, form.d):
        return None
    x = rec._dbar
    rows = np.concatenate([R for _, R, _, _ in form.blocks]) if len(form.blocks) > 1 else form.blocks[0][1]
    kern = state.get("kernel")
    if kern is not None and kern.fits(x, rows):
        return kern
    fams = [t.family for t in rec.terms if t.model.nu and t.weight]
    cache = fams[0].__dict__ if len(form.blocks) == 1 and len(fams) == 1 else None
    kern = cache.get("_separable_kernel") if cache is not None else None
    if kern is None or not kern.fits(x, rows):
        kern = SeparableKernel(x, rows)
        if cache is not None:  # another recursion on this family (ms_growth at another step size) reuses it
            cache["_separable_kernel"] = kern
    state["kernel"] = kern
    return kern


def _top_pair(P: np.ndarray, v0: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Largest eigenvalue of the explicit symmetric ``P`` and a unit eigenvector: Lanczos from ``v0`` mixed with
    a fixed generic vector (dense ``eigh`` if it does not converge)."""
    N = P.shape[0]
    mix = np.random.default_rng(12345).standard_normal(N) / np.sqrt(N)
    start = mix + (v0 if v0 is not None else np.full(N, 1.0 / np.sqrt(N)))
    try:
        w, V = _spla.eigsh(P, k=1, which="LA", v0=start, ncv=min(N - 1, 24), tol=1e-14, maxiter=100 * N)
    except _spla.ArpackNoConvergence:  # pragma: no cover - dense fallback
        w, V = _sla.eigh(P, subset_by_index=[N - 1, N - 1], driver="evr")
    return float(w[0]), V[:, 0]


def _separable_root(form: SecularForm, kern: SeparableKernel, lam_lo: float):
    r"""The largest root of :math:`\lambda_{\max}\Phi(\lambda) = 1` with :math:`\Phi` held explicitly
    (:class:`SeparableKernel`), by safeguarded Newton on :math:`1/\lambda_{\max}\Phi - 1` (linear near
    the pole, where :math:`\lambda_{\max}\Phi \approx c/(\lambda - a_{\max})`). Returns ``(lam, u)`` with ``u``
    the sample-side eigenvector, or None when the kernel is not separable to ``_SEP_RTOL`` at some step
    (the caller falls back to Rayleigh–Ritz)."""
    s = np.concatenate([np.full(n, sc) for sc, _, n, _ in form.blocks])
    W, W2, _, Phi = kern.buffers(form.A.shape[0])

    def top(lam):
        np.subtract(lam, form.A, out=W)
        np.reciprocal(W, out=W)
        got = kern.fit(W)
        if got is None:
            return None
        C, _ = got
        G = kern.grams(C.shape[0])
        _contract(G, C, out=Phi.reshape(-1))
        np.multiply(Phi, s[:, None], out=Phi)
        np.multiply(Phi, s[None, :], out=Phi)
        w, v = _top_pair(Phi, prev[0])
        prev[0] = v
        np.multiply(W, W, out=W2)
        got2 = kern.fit(W2, 1e-8)  # the slope only guides Newton (kept inside the bracket)
        if got2 is None:
            return None
        C2 = got2[0]
        Q = _contract(kern.grams(C2.shape[0]), None, v * s)
        return w, v, float(np.sum(C2 * Q))  # top, vector, -d top / d lambda

    prev = [None]
    lo, hi, lam, best = lam_lo, np.inf, lam_lo, None
    for _ in range(60):
        got = top(lam)  # fails at once (no Gram matrix built) when the kernel is not separable at lam_lo
        if got is None:
            return None
        t, v, slope = got
        if t >= 1.0:
            lo, best = lam, (lam, v)
        else:
            hi = lam
        if abs(t - 1.0) <= 1e-14 or (np.isfinite(hi) and hi - lo <= 4e-16 * abs(hi)):
            return (lam, v) if abs(t - 1.0) <= 1e-14 or best is None else best
        if not slope > 0:
            return None
        # left of the root: Newton on g = 1/t - 1 (exact for t = c/(lam - a_max), may overshoot); right of it:
        # Newton on h = t - 1, which lands left of the root (h is convex); always inside the bracket
        cand = lam + (t * (t - 1.0) if t >= 1.0 else t - 1.0) / slope
        if not lo < cand < hi:
            cand = 0.5 * (lo + hi)
        if not np.isfinite(cand):
            return None
        lam = cand
    return None


def _diagonal_bound(form: SecularForm, steps: int = 30) -> float:
    r"""A Rayleigh quotient of :math:`T` over diagonal :math:`M` — a lower bound of :math:`\rho(T)`: for
    :math:`M = \mathrm{diag}(m)`, :math:`\langle M, TM\rangle = m^\top(\mathrm{diag}(a_{aa}) + Q^\top Q)m` with
    :math:`Q_{ia} = s_i F_{ia}^2` (rank-one blocks). ``steps`` power iterations from :math:`m = 1` (the
    quotient is a lower bound at every step; no convergence is needed), O(n r) each."""
    if any(k != 1 for _, _, _, k in form.blocks):
        return -np.inf
    Q = np.concatenate([s * R * R for s, R, _, _ in form.blocks])
    a = np.diag(form.A).copy()
    m = np.full(a.size, 1.0 / np.sqrt(a.size))
    best = -np.inf
    for _ in range(steps):
        Lm = a * m + Q.T @ (Q @ m)
        best = max(best, float(m @ Lm))
        nrm = float(np.linalg.norm(Lm))
        if not nrm > 0:
            break
        m = Lm / nrm
    return best
