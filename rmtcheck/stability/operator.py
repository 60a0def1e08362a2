"""Exact mean-square dynamics of linear random recursions: the second-moment operator and its spectral radius.

For :math:`\\delta_{k+1} = J_k \\delta_k` with

.. math::

    J_k = I - \\eta \\sum_t w_t \\hat H^{(t)}_k ,\\qquad
    \\hat H^{(t)}_k = \\sum_i c^{(t)}_{k,i} H^{(t)}_i ,

one *term* ``t`` per independently batched family (SGD: one term of weight 1; descent–ascent
unlearning: retain with weight :math:`1-\\alpha`, forget with weight :math:`-\\alpha`), the second moment
:math:`M_k = \\mathbb E[\\delta_k\\delta_k^\\top]` evolves by the linear map

.. math::

    T(M) = (I-\\eta \\bar D) M (I-\\eta \\bar D)
      + \\eta^2 \\sum_t w_t^2 \\Big[\\kappa_t \\bar H^{(t)} M \\bar H^{(t)}
      + \\nu_t \\sum_i H^{(t)}_i M H^{(t)}_i\\Big],
    \\qquad \\bar D = \\sum_t w_t \\bar H^{(t)},

with :math:`(\\kappa_t, \\nu_t)` from :mod:`rmtcheck.stability.sampling`. [derived;
``proofs/sgd_operator.py``; the exact second-moment operator in the spirit of [2]_] :math:`T` is
self-adjoint for the Frobenius inner product and maps the PSD cone into itself, so its spectral radius
(the *mean-square growth factor*) is its largest eigenvalue, attained on a PSD matrix; the recursion is
mean-square stable iff :math:`\\rho(T) < 1`. For one family under ``bernoulli`` sampling
(:math:`\\kappa = 0`) this is the operator of [1]_, proof of Theorem 1.

Public names: :class:`Term`, :class:`LinearRecursion` (the engine), and the SGD front ends
:func:`sgd_recursion`, :func:`ms_growth`, :func:`critical_lr`, :func:`second_moment_operator`,
:func:`dense_second_moment_matrix`; the descent–ascent front ends live in
:mod:`rmtcheck.stability.unlearning`.

Design notes
------------
* ``T`` is applied matrix-free (:class:`scipy.sparse.linalg.LinearOperator` on :math:`\\mathbb R^{d^2}`,
  symmetrised); ``eigsh`` finds :math:`\\rho`. The dense :math:`d^2\\times d^2` Kronecker matrix exists only
  in :func:`dense_second_moment_matrix`, as a small-``d`` cross-check.
* For PSD families the null space of :math:`\\sum_t |w_t| \\bar H^{(t)}` is common to every member, so
  the iterate never moves there (growth exactly 1). Growth and :math:`\\eta^*` are computed on the
  range; :attr:`LinearRecursion.range_dim` says how large it is.
* When every member is diagonal, :math:`T` maps diagonal matrices to diagonal matrices entrywise and
  :math:`\\rho(T) = \\max_j \\mathbb E[J_{jj}^2]` in closed form (off-diagonal entries are bounded by
  Cauchy–Schwarz); the "Hessian test" of [1]_ (Fig. 1) is of this kind.
* :math:`\\rho(T(\\eta))` is a maximum of convex quadratics in :math:`\\eta` with value 1 at 0, so
  :math:`g(\\eta) = (\\rho(T(\\eta)) - 1)/\\eta` is non-decreasing and has one sign change [derived: for a
  unit symmetric :math:`V`, :math:`\\langle V, T(\\eta)V\\rangle = 1 - 2\\eta b_V + \\eta^2 c_V` with
  :math:`c_V \\ge 0`]: the critical learning rate :math:`\\eta^*` is its root, found by a monotone
  iteration on the exact quadratic along the current Perron vector (Brent's method for diagonal
  recursions), with the previous Perron vector as the warm start of every Lanczos solve (see
  :meth:`LinearRecursion.critical_lr`).

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Theorem 1 and Fig. 1.
.. [2] Mulayoff and Michaeli (2024), "Exact Mean Square Linear Stability Analysis for SGD", COLT 2024
   [mulayoff2024].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.threads import with_blas_policy
from rmtcheck._lib.validation import check_positive
from rmtcheck.stability import _secular
from rmtcheck.stability.families import CurvatureFamily, as_family, range_coordinates, restrict
from rmtcheck.stability.sampling import SamplingModel, sampling_model

_optimize = lazy_module("scipy.optimize")
_spla = lazy_module("scipy.sparse.linalg")

if TYPE_CHECKING:  # pragma: no cover
    from scipy.sparse.linalg import LinearOperator

__all__ = [
    "Term",
    "LinearRecursion",
    "sgd_recursion",
    "second_moment_operator",
    "dense_second_moment_matrix",
    "ms_growth",
    "critical_lr",
]

_SMALL_SYM_DIM = 36  # below this many symmetric coordinates, eigvalsh on the explicit map


@dataclass(frozen=True)
class Term:
    """One independently batched family in :math:`J = I - \\eta \\sum_t w_t \\hat H^{(t)}`.

    Attributes
    ----------
    family : CurvatureFamily
        The members :math:`H^{(t)}_i` (a :class:`~rmtcheck.stability.families.HessianFamily` or a
        :class:`~rmtcheck.stability.pairs.PairFamily`).
    weight : float
        :math:`w_t` (SGD: 1; descent–ascent: :math:`1-\\alpha` for retain, :math:`-\\alpha` for forget).
    model : SamplingModel
        The batch model of this family; its ``n`` must equal ``family.n``.

    See Also
    --------
    LinearRecursion
    """

    family: CurvatureFamily
    weight: float
    model: SamplingModel


class LinearRecursion:
    """The linearised dynamics :math:`J = I - \\eta\\sum_t w_t \\hat H^{(t)}` and its exact second-moment operator.

    The engine behind every mean-square quantity of the package: :meth:`growth` is :math:`\\rho(T(\\eta))`,
    :meth:`critical_lr` the :math:`\\eta^*` with :math:`\\rho(T(\\eta^*)) = 1` (module notes for :math:`T`).

    Parameters
    ----------
    terms : sequence of Term
        One term per independently batched family, all of the same dimension ``d``.
    restrict_to_range : bool, default True
        Work on the common range of the (PSD) families; see the module notes and
        :func:`~rmtcheck.stability.families.range_coordinates`. Ignored when a family is signed.
    sampling : str, optional
        Name of the batch model, recorded as metadata (set by the front ends).
    alpha : float, optional
        Mixing weight, recorded as metadata (descent–ascent only).
    batch : int, optional
        Batch size, recorded as metadata.

    Attributes
    ----------
    terms : list of Term
        The terms, in range coordinates when restricted.
    coords : None or ndarray
        The range coordinates (``None`` when nothing was restricted), see
        :func:`~rmtcheck.stability.families.range_coordinates`.
    d : int
        Dimension the operator acts on (:attr:`range_dim`); ``d_full`` is the original dimension.
    mean : ndarray of shape (d, d)
        The mean :math:`\\bar D = \\sum_t w_t \\bar H^{(t)}`.
    diagonal : bool
        Every family is diagonal (closed-form growth).
    sampling, alpha, batch
        The metadata passed in.

    Raises
    ------
    ValueError
        If ``terms`` is empty or the families act on different dimensions.

    See Also
    --------
    sgd_recursion : The SGD front end.
    rmtcheck.stability.unlearning.mixed_recursion : The descent–ascent front end.
    rmtcheck.stability.montecarlo.simulate : Monte Carlo of the same recursion.

    References
    ----------
    .. [1] Mulayoff and Michaeli (2024), "Exact Mean Square Linear Stability Analysis for SGD",
       COLT 2024 [mulayoff2024].

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.stability import HessianFamily, sampling_model
    >>> fam = HessianFamily.from_factors(np.random.default_rng(0).standard_normal((20, 5)))
    >>> rec = LinearRecursion([Term(fam, 1.0, sampling_model("bernoulli", 20, 4))])
    >>> round(rec.growth(0.1), 6), round(rec.critical_lr(), 6)
    (0.95049, 0.672616)
    """

    def __init__(self, terms: Sequence[Term], restrict_to_range: bool = True, *, sampling: str | None = None,
                 alpha: float | None = None, batch: int | None = None):
        terms = list(terms)
        if not terms:
            raise ValueError("terms must contain at least one Term")
        d = terms[0].family.d
        for t in terms:
            if t.family.d != d:
                raise ValueError(
                    f"all families must act on the same dimension; got d={d} and d={t.family.d}"
                )
        self.d_full = d
        self.sampling, self.alpha, self.batch = sampling, alpha, batch
        self.diagonal = all(getattr(t.family, "is_diagonal", False) for t in terms)
        parts = [t.family.psd_parts() for t in terms]
        self.coords = None
        if restrict_to_range and all(p is not None for p in parts):
            self.coords = range_coordinates([(f, abs(t.weight) * c) for t, p in zip(terms, parts) for f, c in p])
            terms = [Term(restrict(t.family, self.coords), t.weight, t.model) for t in terms]
        self.terms = terms
        self.d = terms[0].family.d if terms[0].family.n else 0
        if self.coords is not None:
            self.d = len(self.coords) if self.coords.ndim == 1 else self.coords.shape[1]
        self.mean = sum(t.weight * t.family.mean for t in terms)
        if _should_rotate(terms, self.mean):
            terms, self.coords = self._rotate(terms)
            self.terms = terms
        # a diagonal mean (e.g. Gram coordinates, where it is diagonal by construction) makes the mean part of
        # T a Hadamard product, O(d^2) instead of two GEMMs
        self._dbar = _diagonal_of(self.mean)
        self._hbar = [_diagonal_of(t.family.mean) if t.model.kappa else None for t in terms]
        self._v0 = None
        self._secular_state = {}

    def _rotate(self, terms):
        """Rotate into the eigenbasis of the mean (the secular route then applies; module notes)."""
        w, U = np.linalg.eigh(self.mean)
        live = [t for t in terms if t.weight]
        out = []
        for t in terms:
            fam = t.family.project(U)
            if len(live) == 1 and t is live[0]:
                fam.__dict__["mean"] = np.diag(w / t.weight)  # exact: the mean is w_t times the family's
            out.append(Term(fam, t.weight, t.model))
        self.mean = np.diag(w)
        c = self.coords
        coords = U if c is None else (np.eye(self.d_full)[:, c] @ U if c.ndim == 1 else c @ U)
        return out, coords

    # ----------------------------------------------------------------- properties
    @property
    def range_dim(self) -> int:
        """Dimension of the space the growth is computed on (``d`` when nothing was restricted)."""
        return self.d

    def mean_lambda_max(self) -> float:
        """Largest eigenvalue of the mean :math:`\\bar D` (on the range; 0.0 when the range is empty)."""
        return float(self._mean_eigh()[0][-1]) if self.d else 0.0

    def _mean_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """Ascending eigendecomposition of the mean (read off the diagonal when it is diagonal)."""
        if self._dbar is None:
            return np.linalg.eigh(self.mean)
        order = np.argsort(self._dbar, kind="stable")
        return self._dbar[order], np.eye(self.d)[:, order]

    def _mean_part(self, M: np.ndarray, lr: float) -> np.ndarray:
        """:math:`(I - \\eta \\bar D) M (I - \\eta \\bar D)`."""
        if self._dbar is not None:
            a = 1.0 - lr * self._dbar
            return a[:, None] * M * a[None, :]
        A = np.eye(self.d) - lr * self.mean
        return A @ M @ A

    @property
    def restricted(self) -> bool:
        """Whether the operator acts on a proper subspace (the range) rather than on all of :math:`\\mathbb R^d`
        (a rotation into the mean's eigenbasis alone restricts nothing)."""
        return self.d < self.d_full

    # ----------------------------------------------------------------- T itself
    def apply(self, M: np.ndarray, lr: float) -> np.ndarray:
        """Apply the second-moment operator: :math:`T(M) = \\mathbb E[J M J]` at step size ``lr``.

        Parameters
        ----------
        M : ndarray of shape (d, d)
            A symmetric matrix in range coordinates.
        lr : float
            Step size :math:`\\eta` (not validated here).

        Returns
        -------
        ndarray of shape (d, d)
        """
        return self._mean_part(M, lr) + (lr * lr) * self._noise(M)

    def _noise(self, M: np.ndarray) -> np.ndarray:
        """The batch-noise part :math:`N(M)` of :math:`T(\\eta)(M) = (I-\\eta\\bar D)M(I-\\eta\\bar D) + \\eta^2 N(M)`,
        :math:`N(M) = \\sum_t w_t^2[\\kappa_t \\bar H_t M \\bar H_t + \\nu_t \\sum_i H_{t,i} M H_{t,i}]`."""
        out = np.zeros_like(M, dtype=float)
        for t, hb in zip(self.terms, self._hbar):
            c = t.weight * t.weight
            if t.model.kappa and c:
                Hb = t.family.mean
                out += (c * t.model.kappa) * (hb[:, None] * M * hb[None, :] if hb is not None else Hb @ M @ Hb)
            if t.model.nu and c:
                out += (c * t.model.nu) * t.family.sum_sandwich(M)
        return out

    def operator(self, lr: float) -> LinearOperator:
        """``T`` as a symmetric :class:`~scipy.sparse.linalg.LinearOperator` on :math:`\\mathbb R^{d^2}`.

        Inputs are symmetrised first, so the antisymmetric subspace maps to 0 and the largest
        eigenvalue of this operator is :math:`\\rho(T)` on symmetric matrices.

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta > 0`.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            Of shape ``(d*d, d*d)`` acting on row-major ``vec(M)``.

        Raises
        ------
        ValueError
            If ``lr`` is not a finite number > 0.
        """
        lr = check_positive(lr, "lr")
        d = self.d

        def matvec(x):
            M = np.asarray(x, dtype=np.float64).reshape(d, d)
            M = 0.5 * (M + M.T)
            return self.apply(M, lr).ravel()

        return _spla.LinearOperator((d * d, d * d), matvec=matvec, rmatvec=matvec, dtype=np.float64)

    def _diagonal_factors(self, lr: float) -> np.ndarray:
        """:math:`\\mathbb E[J_{jj}^2]` for every coordinate of a diagonal recursion."""
        dbar = np.diag(self.mean)
        out = (1.0 - lr * dbar) ** 2
        for t in self.terms:
            c = lr * lr * t.weight * t.weight
            hbar = t.family.diagonals.mean(axis=0)
            out = out + c * (t.model.kappa * hbar**2 + t.model.nu * (t.family.diagonals**2).sum(axis=0))
        return out

    @with_blas_policy
    def growth(self, lr: float) -> float:
        """Mean-square growth factor :math:`\\rho(T(\\eta))` on the range.

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta > 0`.

        Returns
        -------
        float
            :math:`\\rho(T)`; the recursion is mean-square stable iff it is < 1. 1.0 when the range is
            empty. Closed form for diagonal recursions, otherwise the Perron root of :math:`T` (dense
            ``eigvalsh`` for tiny ``d``, Lanczos otherwise).

        Raises
        ------
        ValueError
            If ``lr`` is not a finite number > 0.
        """
        lr = check_positive(lr, "lr")
        if self.d == 0:
            return 1.0
        if self.diagonal:
            return float(self._diagonal_factors(lr).max())
        return self._perron(lr)[0]

    def _perron(self, lr: float) -> tuple[float, np.ndarray]:
        """Largest eigenvalue of ``T`` and a unit (Frobenius) symmetric eigenvector."""
        d = self.d
        if d * (d + 1) // 2 <= _SMALL_SYM_DIM:
            return _perron_explicit(lambda M: self.apply(M, lr), d)
        if _secular.applicable(self):
            return _secular.perron(self, lr, self._secular_state)
        op = self.operator(lr)
        # Warm start from the previous Perron vector, mixed with the identity and a fixed generic
        # symmetric matrix: a warm start lying in an invariant subspace (e.g. one diagonal entry of a
        # diagonal-like family) would otherwise hide the true top eigenvector from Lanczos.
        P = np.random.default_rng(12345).standard_normal((d, d))
        v0 = (np.eye(d) + 0.1 * (P + P.T)).ravel()
        v0 /= np.linalg.norm(v0)
        if self._v0 is not None:
            v0 = self._v0 + 0.05 * v0
        ncv = min(d * d - 1, 24)
        try:
            w, v = _spla.eigsh(op, k=1, which="LA", v0=v0, ncv=ncv, tol=1e-13, maxiter=20 * d * d)
        except _spla.ArpackNoConvergence as exc:  # pragma: no cover - reported, not hidden
            if len(exc.eigenvalues):
                w, v = exc.eigenvalues, exc.eigenvectors
            else:
                raise RuntimeError(f"Lanczos did not converge for lr={lr}") from exc
        self._v0 = v[:, 0]
        V = v[:, 0].reshape(d, d)
        return float(w[0]), 0.5 * (V + V.T)

    def _quadratic_root(self, V: np.ndarray) -> float:
        """Positive root of :math:`q_V(\\eta) = \\langle V, T(\\eta) V\\rangle / \\|V\\|^2 = 1`.

        :math:`q_V(\\eta) = 1 - 2\\eta b + \\eta^2 c` exactly, and :math:`q_V \\le \\rho(T(\\eta))`, so the
        root is an upper bound on :math:`\\eta^*` (``inf`` when :math:`b \\le 0`).
        """
        V = V / np.linalg.norm(V)
        DV = self.mean @ V
        b = float(np.vdot(V, DV))
        c = float(np.vdot(V, DV @ self.mean)) + self._noise_form(V)
        return 2.0 * b / c if b > 0 and c > 0 else float("inf")

    def _noise_form(self, V: np.ndarray) -> float:
        """:math:`\\langle V, N(V)\\rangle`, the noise part of :math:`T(\\eta)` per :math:`\\eta^2`:
        :math:`T(\\eta)(V) = (I-\\eta\\bar D)V(I-\\eta\\bar D) + \\eta^2 N(V)`. It equals
        :math:`\\mathbb E\\operatorname{Tr}(V\\Delta V\\Delta)` for the batch fluctuation :math:`\\Delta`, which is
        :math:`\\ge 0` for PSD :math:`V`."""
        # N(V) directly: apply(V, 1) - mean_part(V, 1) would cancel catastrophically when |D| << 1
        return float(np.vdot(V, self._noise(V)))

    def _brent_critical(self, hi: float, rtol: float) -> float:
        """Brent's method on :math:`(\\rho(T(\\eta)) - 1)/\\eta`, non-decreasing in :math:`\\eta`
        (a maximum of the lines :math:`-2b_V + \\eta c_V` with :math:`c_V \\ge 0`), below ``hi``."""
        g = lambda eta: (self.growth(eta) - 1.0) / eta  # noqa: E731
        lo = hi
        for _ in range(200):
            lo *= 0.5
            if g(lo) < 0:
                break
        return float(_optimize.brentq(g, lo, hi, xtol=1e-15 * hi, rtol=rtol))

    @with_blas_policy
    def critical_lr(self, rtol: float = 1e-12) -> float:
        """The critical learning rate :math:`\\eta^*` with :math:`\\rho(T(\\eta^*)) = 1`.

        Parameters
        ----------
        rtol : float, default 1e-12
            Relative tolerance of the root.

        Returns
        -------
        float
            :math:`\\eta^*`: mean-square stable for :math:`\\eta < \\eta^*`, divergent above. ``inf`` when
            nothing moves (no curvature, or a vanishing mean with no batch noise); 0.0 when the recursion
            grows for every :math:`\\eta > 0`: the mean has a negative curvature direction
            (descent–ascent), or batch noise acts on the kernel of the mean (e.g. identical retain and
            forget families at :math:`\\alpha = 1/2`). Exactly :math:`2/\\lambda_{\\max}(\\bar D)` without
            batch noise [derived; ``proofs/dexter_gd_criterion.py``], and never above it.

        Notes
        -----
        :math:`f(\\eta) = \\rho(T(\\eta)) - 1` is convex with :math:`f(0) = 0`, and
        :math:`f(\\eta) \\ge 0` at :math:`\\eta = 2/\\lambda_{\\max}(\\bar D)`. Newton's method from that
        point would decrease monotonically onto the root (convexity); we use the sharper update
        :math:`\\eta \\leftarrow` root of the exact quadratic :math:`\\langle V, T(\\eta)V\\rangle = 1` along the
        current Perron vector :math:`V`, which also stays above :math:`\\eta^*`, with :math:`V` as the
        next Lanczos warm start. Diagonal recursions use Brent's method on the closed form.
        """
        if self.d == 0:
            return float("inf")
        lam, U = self._mean_eigh()
        scale = max(float(np.abs(lam).max()), np.finfo(float).tiny)
        if lam[0] < -1e-12 * scale:
            return 0.0  # a negative curvature direction of the mean: (1 + eta|lam|)^2 > 1 for all eta
        K = U[:, lam <= 1e-9 * scale]
        if K.shape[1]:
            # On ker(mean) the mean part of T is the identity, so V = K K^T has
            # <V, T(eta) V> = |V|^2 + eta^2 <V, N(V)>, and <V, N(V)> = E|K^T (batch fluctuation) K|_F^2
            # is zero only if no noise acts on the kernel at all: growth > 1 for every eta, or exactly 1.
            noise_scale = sum(abs(t.weight) * float(t.family.top_eigenvalues.max()) for t in self.terms) ** 2
            if self._noise_form(K @ K.T) > 1e-12 * noise_scale * K.shape[1]:
                return 0.0
            if K.shape[1] == self.d:
                return float("inf")  # J = I almost surely: nothing ever moves
        hi = 2.0 / lam[-1]
        if self.growth(hi) - 1.0 <= 1e-13:
            return hi  # noise-free (full batch): eta* = 2 / lambda_max exactly
        if self.diagonal:
            return self._brent_critical(hi, rtol)
        # q_V <= rho for every V and q_V is tangent to rho at the eta where V is the Perron vector:
        # iterating eta <- root(q_{V(eta)}) decreases monotonically onto eta* (faster than Newton,
        # whose tangent line lies below q_V).
        v = U[:, -1]
        eta = min(hi, self._quadratic_root(np.outer(v, v)))
        for _ in range(200):
            rho, V = self._perron(eta)
            if rho - 1.0 <= 1e-14:
                return float(eta)
            eta_new = min(eta, self._quadratic_root(V))
            if eta - eta_new <= rtol * eta:
                return float(eta_new)
            eta = eta_new
        return self._brent_critical(eta, rtol)  # pragma: no cover - the iteration converges in practice

    def dense_matrix(self, lr: float) -> np.ndarray:
        """The :math:`d^2 \\times d^2` Kronecker form of ``T`` (small-``d`` cross-checks only).

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta`.

        Returns
        -------
        ndarray of shape (d*d, d*d)
            Acts on row-major ``vec(M)``; not symmetrised (see :func:`dense_growth`).

        Raises
        ------
        ValueError
            If ``d > 60``.
        """
        d = self.d
        if d > 60:
            raise ValueError(f"dense_matrix forms a d^2 x d^2 matrix; d={d} is too large (max 60)")
        A = np.eye(d) - lr * self.mean
        T = np.kron(A, A)
        for t in self.terms:
            c = lr * lr * t.weight * t.weight
            Hb = t.family.mean
            if t.model.kappa:
                T += c * t.model.kappa * np.kron(Hb, Hb)
            if t.model.nu:
                Hs = t.family.dense()
                T += c * t.model.nu * np.einsum("iab,icd->acbd", Hs, Hs).reshape(d * d, d * d)
        return T


_ROTATE_MIN_D = 8  # below this (36 symmetric coordinates) T is solved explicitly and nothing is rotated


def _should_rotate(terms, mean) -> bool:
    """Rotate a factored recursion of dimension >= ``_ROTATE_MIN_D`` whose mean is not diagonal, when the
    rotated mean part is a Hadamard product: one live term, or no batch-correlation (``kappa``) term."""
    d = mean.shape[0]
    if d < _ROTATE_MIN_D or _diagonal_of(mean) is not None:
        return False
    if any(getattr(t.family, "k", None) is None for t in terms):
        return False
    live = [t for t in terms if t.weight]
    return len(live) == 1 or not any(t.model.kappa for t in live)


def _diagonal_of(A: np.ndarray) -> np.ndarray | None:
    """The diagonal of ``A`` if ``A`` is exactly diagonal, else ``None``."""
    dg = np.diag(A).copy()
    return dg if not np.any(A - np.diag(dg)) else None


def sym_basis(d: int) -> np.ndarray:
    """An orthonormal (Frobenius) basis of Sym(d), shape ``(d(d+1)/2, d, d)`` (small ``d`` only)."""
    basis = []
    for i in range(d):
        for j in range(i, d):
            E = np.zeros((d, d))
            if i == j:
                E[i, i] = 1.0
            else:
                E[i, j] = E[j, i] = np.sqrt(0.5)
            basis.append(E)
    return np.array(basis)


def _perron_explicit(apply, d: int) -> tuple[float, np.ndarray]:
    """Largest eigenvalue of a symmetric map on Sym(d) via an orthonormal basis (tiny ``d`` only)."""
    B = sym_basis(d)
    TB = np.array([apply(E) for E in B])
    A = np.einsum("pab,qab->pq", B, TB)
    w, v = np.linalg.eigh(0.5 * (A + A.T))
    return float(w[-1]), np.einsum("p,pab->ab", v[:, -1], B)


def _sym_basis_projector(d: int) -> np.ndarray:
    """Orthogonal projector onto vec(Sym(d)) inside R^{d^2}."""
    K = np.zeros((d * d, d * d))
    idx = np.arange(d * d).reshape(d, d)
    K[idx.ravel(), idx.T.ravel()] = 1.0
    return 0.5 * (np.eye(d * d) + K)


# --------------------------------------------------------------------------- SGD front end
@with_blas_policy
def sgd_recursion(hessians, batch: int, *, sampling: str = "bernoulli", restrict_to_range: bool = True) -> LinearRecursion:
    """Linearised SGD :math:`J = I - \\eta \\hat H` for a family and a batch model.

    Parameters
    ----------
    hessians : HessianFamily or array_like
        Per-sample Hessians at the minimum: ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    batch : int
        (Mean) batch size ``B``, ``1 <= B <= n``.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model (keyword-only), see :mod:`rmtcheck.stability.sampling`.
    restrict_to_range : bool, default True
        Work on the range of :math:`H`; ``False`` keeps the original coordinates (for
        :func:`~rmtcheck.stability.montecarlo.simulate`).

    Returns
    -------
    LinearRecursion
        One term of weight 1.

    Raises
    ------
    ValueError
        If ``hessians`` is not a valid family, ``batch`` is not in ``[1, n]`` or ``sampling`` is unknown.

    See Also
    --------
    ms_growth, critical_lr, rmtcheck.stability.unlearning.mixed_recursion

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 1 (the ``bernoulli`` recursion).

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> rec = sgd_recursion(G, 4)
    >>> rec.range_dim, round(rec.growth(0.1), 6)
    (5, 0.95049)
    >>> eta = rec.critical_lr()
    >>> round(eta, 6), round(rec.growth(eta), 6)
    (0.672616, 1.0)
    """
    fam = as_family(hessians)
    return LinearRecursion([Term(fam, 1.0, sampling_model(sampling, fam.n, batch))], restrict_to_range)


def second_moment_operator(hessians, lr: float, batch: int, *, sampling: str = "bernoulli") -> LinearOperator:
    """Matrix-free second-moment map of linearised SGD.

    .. math::

        T(M) = (I-\\eta H) M (I-\\eta H) + \\eta^2\\big[\\kappa\\, HMH + \\nu \\textstyle\\sum_i H_i M H_i\\big]

    For ``bernoulli`` sampling, :math:`\\kappa = 0` and :math:`\\nu = (1 - B/n)/(nB)`, the operator of
    [1]_, proof of Theorem 1. [derived; ``proofs/sgd_operator.py``] Acts on the range of :math:`H`.

    Parameters
    ----------
    hessians : HessianFamily or array_like
        ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` in ``[1, n]``.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model (keyword-only).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Of shape ``(r*r, r*r)``, ``r`` the dimension of the range of :math:`H`.

    Raises
    ------
    ValueError
        For an invalid family, ``lr``, ``batch`` or ``sampling``.

    See Also
    --------
    dense_second_moment_matrix, LinearRecursion.operator

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], proof of Theorem 1.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> T = second_moment_operator(G, 0.1, 4)
    >>> T.shape
    (25, 25)
    """
    return sgd_recursion(hessians, batch, sampling=sampling).operator(lr)


def dense_second_moment_matrix(hessians, lr: float, batch: int, *, sampling: str = "bernoulli") -> np.ndarray:
    """Dense Kronecker form of :func:`second_moment_operator` (cross-checks at small ``d`` only).

    Parameters
    ----------
    hessians : HessianFamily or array_like
        ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` in ``[1, n]``.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model (keyword-only).

    Returns
    -------
    ndarray of shape (r*r, r*r)
        On the range of :math:`H` (dimension ``r``).

    Raises
    ------
    ValueError
        For an invalid family, ``lr``, ``batch`` or ``sampling``, or ``r > 60``.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> round(dense_growth(dense_second_moment_matrix(G, 0.1, 4)), 6) == round(ms_growth(G, 0.1, 4), 6)
    True
    """
    return sgd_recursion(hessians, batch, sampling=sampling).dense_matrix(check_positive(lr, "lr"))


def dense_growth(T: np.ndarray) -> float:
    """:math:`\\rho` of a dense Kronecker-form ``T`` on the symmetric subspace.

    Parameters
    ----------
    T : ndarray of shape (d*d, d*d)
        As returned by :func:`dense_second_moment_matrix`.

    Returns
    -------
    float
        Largest eigenvalue of :math:`PTP`, :math:`P` the projector onto vectorised symmetric matrices.
    """
    d = int(round(np.sqrt(T.shape[0])))
    P = _sym_basis_projector(d)
    return float(np.linalg.eigvalsh(P @ T @ P)[-1])


@with_blas_policy
def ms_growth(hessians, lr: float, batch: int, *, sampling: str = "bernoulli") -> float:
    """Mean-square growth factor :math:`\\rho(T)` of linearised SGD (on the range of :math:`H`).

    Stable in mean square iff the value is < 1. Notion: mean-square; the sampling model is the
    ``sampling`` argument.

    Parameters
    ----------
    hessians : HessianFamily or array_like
        Per-sample Hessians: ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        (Mean) batch size ``B`` in ``[1, n]``.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model (keyword-only).

    Returns
    -------
    float
        :math:`\\rho(T(\\eta))` per step: :math:`\\mathbb E\\|\\delta_k\\|^2` grows like :math:`\\rho^k`.

    Raises
    ------
    ValueError
        For an invalid family, ``lr``, ``batch`` or ``sampling``.

    See Also
    --------
    critical_lr, sgd_recursion, rmtcheck.stability.montecarlo.simulate_sgd

    References
    ----------
    .. [1] Mulayoff and Michaeli (2024), "Exact Mean Square Linear Stability Analysis for SGD",
       COLT 2024 [mulayoff2024].
    .. [2] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorem 1.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> round(ms_growth(G, 0.1, 4), 6)
    0.95049
    >>> round(ms_growth(G, 0.1, 4, sampling="without_replacement"), 6)
    0.950372
    >>> ms_growth(G, 0.9, 4) > 1                      # above the critical learning rate
    True
    """
    return sgd_recursion(hessians, batch, sampling=sampling).growth(lr)


@with_blas_policy
def critical_lr(hessians, batch: int, *, sampling: str = "bernoulli") -> float:
    """Critical learning rate :math:`\\eta^*` with :math:`\\rho(T(\\eta^*)) = 1` (mean-square notion).

    Parameters
    ----------
    hessians : HessianFamily or array_like
        Per-sample Hessians: ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    batch : int
        (Mean) batch size ``B`` in ``[1, n]``.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model (keyword-only).

    Returns
    -------
    float
        :math:`\\eta^*`; SGD is mean-square stable iff :math:`\\eta < \\eta^*`. At full batch (no noise)
        :math:`\\eta^* = 2/\\lambda_{\\max}(H)`, and :math:`\\eta^* \\le 2/\\lambda_{\\max}(H)` always
        [derived; ``proofs/dexter_gd_criterion.py``]. ``inf`` when every member is zero on the range.

    Raises
    ------
    ValueError
        For an invalid family, ``batch`` or ``sampling``.

    See Also
    --------
    ms_growth, LinearRecursion.critical_lr, rmtcheck.stability.thresholds.theorem1_lr,
    rmtcheck.stability.thresholds.theorem2_lr

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Theorems 1 and 2 (bounds on this quantity).

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> round(critical_lr(G, 4), 6)
    0.672616
    >>> round(critical_lr(G, 4, sampling="without_replacement"), 6)
    0.749225
    >>> print(f"{critical_lr(G, 20):.6f} {2 / as_family(G).lambda_max:.6f}")   # full batch: 2/lambda_max
    1.047449 1.047449
    """
    return sgd_recursion(hessians, batch, sampling=sampling).critical_lr()
