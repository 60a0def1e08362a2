"""Per-sample Hessian families.

A family :math:`\\{H_i\\}_{i=1}^n \\subset \\mathbb{S}_+^d` is held either as a dense stack of shape
``(n, d, d)`` or as rank-one factors ``G`` of shape ``(n, d)`` with :math:`H_i = g_i g_i^\\top`
(Gauss–Newton Hessians of MSE at interpolation; Dexter et al. 2024, Sec. 2). Every operator and
coherence routine takes a :class:`HessianFamily`, so the rank-one speed-ups live here only:

* :math:`\\sum_i H_i M H_i = G^\\top \\operatorname{diag}(g_i^\\top M g_i)\\, G` costs
  :math:`O(nd^2)` instead of :math:`O(nd^3)`;
* :math:`\\operatorname{Tr}(H_i H_j) = (g_i^\\top g_j)^2`, so the coherence matrix is :math:`|G G^\\top|`.

Families may also be *signed* (``psd=False``): the pair matrices
:math:`D_{ij} = (1-\\alpha)H^r_i - \\alpha H^f_j` of descent–ascent unlearning are symmetric but
indefinite. Symmetry and finiteness are always checked; positive semi-definiteness only for
``psd=True`` (the default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._validate import as_finite_array

__all__ = ["HessianFamily", "as_family"]

_SYM_RTOL = 1e-10
_PSD_RTOL = 1e-10


@dataclass(frozen=True, eq=False)
class HessianFamily:
    """A family of ``n`` symmetric ``d x d`` matrices, dense or rank-one.

    Use :meth:`from_factors` or :meth:`from_stack` (or :func:`as_family`) to build one; both validate.

    Attributes
    ----------
    factors : ndarray of shape (n, d) or None
        Rank-one factors :math:`g_i` (``H_i = g_i g_i^T``) when the family is rank one.
    stack : ndarray of shape (n, d, d) or None
        The dense stack otherwise.
    """

    factors: np.ndarray | None = None
    stack: np.ndarray | None = None
    psd: bool = True
    _extra: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_factors(cls, G, name: str = "factors") -> "HessianFamily":
        """Rank-one family :math:`H_i = g_i g_i^\\top` from the rows of ``G`` (shape ``(n, d)``)."""
        G = as_finite_array(G, name, ndim=2)
        if G.shape[0] < 1 or G.shape[1] < 1:
            raise ValueError(f"{name} must have shape (n, d) with n, d >= 1; got {G.shape}")
        return cls(factors=np.ascontiguousarray(G))

    @classmethod
    def from_stack(cls, H, name: str = "hessians", psd: bool = True, atol: float = 0.0) -> "HessianFamily":
        """Dense family from a stack of shape ``(n, d, d)``.

        Raises ``ValueError`` when a matrix is not symmetric (relative tolerance 1e-10 of the
        largest entry, plus ``atol``) or, for ``psd=True``, has an eigenvalue below
        ``-1e-10 * max|eig|``.
        """
        H = as_finite_array(H, name, ndim=3)
        n, d1, d2 = H.shape
        if n < 1 or d1 < 1 or d1 != d2:
            raise ValueError(f"{name} must have shape (n, d, d) with n, d >= 1; got {H.shape}")
        scale = max(float(np.max(np.abs(H))), np.finfo(float).tiny)
        asym = np.max(np.abs(H - np.swapaxes(H, 1, 2)), axis=(1, 2))
        bad = np.flatnonzero(asym > _SYM_RTOL * scale + atol)
        if bad.size:
            raise ValueError(
                f"{name}[{bad[0]}] is not symmetric (max |H - H^T| = {asym[bad[0]]:.3g}); "
                "pass symmetric matrices, e.g. (H + H.swapaxes(1, 2)) / 2"
            )
        H = 0.5 * (H + np.swapaxes(H, 1, 2))
        fam = cls(stack=np.ascontiguousarray(H), psd=psd)
        if psd:
            ev = fam.eigenvalues
            bad = np.flatnonzero(ev[:, 0] < -_PSD_RTOL * scale - atol)
            if bad.size:
                raise ValueError(
                    f"{name}[{bad[0]}] is not positive semi-definite (smallest eigenvalue "
                    f"{ev[bad[0], 0]:.3g}); per-sample Hessians at a minimum must be PSD — project "
                    "with eigh and clip negative eigenvalues, or pass psd=False for signed families"
                )
        return fam

    # ------------------------------------------------------------------ shape
    @property
    def is_rank_one(self) -> bool:
        return self.factors is not None

    @property
    def n(self) -> int:
        return (self.factors if self.is_rank_one else self.stack).shape[0]

    @property
    def d(self) -> int:
        return (self.factors if self.is_rank_one else self.stack).shape[-1]

    def __len__(self) -> int:
        return self.n

    def dense(self) -> np.ndarray:
        """The ``(n, d, d)`` stack (materialised for rank-one families)."""
        if self.is_rank_one:
            G = self.factors
            return G[:, :, None] * G[:, None, :]
        return self.stack

    # ------------------------------------------------------------------ spectra
    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Ascending eigenvalues of every member, shape ``(n, d)`` (batched ``eigvalsh``)."""
        if self.is_rank_one:
            ev = np.zeros((self.n, self.d))
            ev[:, -1] = np.einsum("ij,ij->i", self.factors, self.factors)
            return ev
        return np.linalg.eigvalsh(self.stack)

    @cached_property
    def top_eigenvalues(self) -> np.ndarray:
        """:math:`\\lambda_{\\max}(H_i)` for every member (for signed families: spectral norms)."""
        if self.is_rank_one:
            return self.eigenvalues[:, -1].copy()
        ev = self.eigenvalues
        if self.psd:
            return ev[:, -1].copy()
        return np.maximum(np.abs(ev[:, 0]), np.abs(ev[:, -1]))

    @cached_property
    def mean(self) -> np.ndarray:
        """:math:`H = \\frac1n \\sum_i H_i`."""
        if self.is_rank_one:
            G = self.factors
            return (G.T @ G) / self.n
        return self.stack.mean(axis=0)

    @cached_property
    def mean_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigen-decomposition of the mean (ascending)."""
        return np.linalg.eigh(self.mean)

    @property
    def lambda_max(self) -> float:
        """:math:`\\lambda_{\\max}(H)` of the mean Hessian."""
        return float(self.mean_eigh[0][-1])

    # ------------------------------------------------------------------ products
    @cached_property
    def gram_traces(self) -> np.ndarray:
        """:math:`[\\operatorname{Tr}(H_i H_j)]_{ij}`, shape ``(n, n)``."""
        if self.is_rank_one:
            K = self.factors @ self.factors.T
            return K * K
        flat = self.stack.reshape(self.n, -1)
        return flat @ flat.T  # Tr(H_i H_j) = <H_i, H_j>_F for symmetric matrices

    def sum_sandwich(self, M: np.ndarray) -> np.ndarray:
        """:math:`\\sum_i H_i M H_i` for a symmetric ``M`` of shape ``(d, d)`` or a batch ``(k, d, d)``.

        Rank one: :math:`G^\\top \\operatorname{diag}(g_i^\\top M g_i) G` — two GEMMs, :math:`O(nd^2)`.
        Dense: :math:`O(nd^3)` as two reshaped GEMMs (no Python loop).
        """
        M = np.asarray(M)
        if M.ndim == 3:
            return np.stack([self.sum_sandwich(m) for m in M])
        if self.is_rank_one:
            G = self.factors
            q = np.einsum("ij,ij->i", G @ M, G)
            return (G.T * q) @ G
        n, d = self.n, self.d
        A = (self.stack.reshape(n * d, d) @ M).reshape(n, d, d)  # H_i M
        # sum_i (H_i M) H_i = [H_1 M | ... | H_n M] @ [H_1; ...; H_n]
        return A.transpose(1, 0, 2).reshape(d, n * d) @ self.stack.reshape(n * d, d)

    def weighted_apply(self, C: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Row ``r`` of the result is :math:`\\sum_i C_{ri} H_i x_r` (one random step for many runs).

        ``C`` has shape ``(runs, n)`` and ``X`` shape ``(runs, d)``. Rank one: two GEMMs,
        :math:`((X G^\\top) \\odot C) G`.
        """
        if self.is_rank_one:
            G = self.factors
            return ((X @ G.T) * C) @ G
        n, d = self.n, self.d
        HX = (X @ self.stack.reshape(n * d, d).T).reshape(X.shape[0], n, d)  # H_i x_r (H_i symmetric)
        return np.einsum("ri,rid->rd", C, HX)

    def weighted_sum(self, C: np.ndarray) -> np.ndarray:
        """:math:`\\sum_i C_{ri} H_i` for every row of ``C`` (shape ``(R, n)``), shape ``(R, d, d)``."""
        if self.is_rank_one:
            G = self.factors
            return (G.T[None, :, :] * C[:, None, :]) @ G
        return (C @ self.stack.reshape(self.n, -1)).reshape(C.shape[0], self.d, self.d)

    def sum_squares(self) -> np.ndarray:
        """:math:`\\sum_i H_i^2` (used by the convergence certificate)."""
        if self.is_rank_one:
            G = self.factors
            return (G.T * np.einsum("ij,ij->i", G, G)) @ G
        return np.einsum("iab,ibc->ac", self.stack, self.stack)

    @cached_property
    def is_diagonal(self) -> bool:
        """True when every member is diagonal in the standard basis."""
        if self.is_rank_one:
            return bool(np.all(np.count_nonzero(self.factors, axis=1) <= 1))
        off = self.stack - self.diagonals[:, :, None] * np.eye(self.d)
        return not np.any(off)

    @cached_property
    def diagonals(self) -> np.ndarray:
        """Diagonal entries of every member, shape ``(n, d)``."""
        if self.is_rank_one:
            return self.factors**2
        return np.einsum("ijj->ij", self.stack).copy()

    # ------------------------------------------------------------------ transforms
    def select_coordinates(self, idx) -> "HessianFamily":
        """The family restricted to the coordinates ``idx`` (rows and columns)."""
        if self.is_rank_one:
            return HessianFamily(factors=np.ascontiguousarray(self.factors[:, idx]))
        return HessianFamily(stack=np.ascontiguousarray(self.stack[:, idx][:, :, idx]), psd=self.psd)

    def project(self, U: np.ndarray) -> "HessianFamily":
        """The family :math:`U^\\top H_i U` in the coordinates of the orthonormal columns of ``U``."""
        if self.is_rank_one:
            return HessianFamily(factors=np.ascontiguousarray(self.factors @ U), psd=self.psd)
        S = np.einsum("ab,iac,cd->ibd", U, self.stack, U, optimize=True)
        return HessianFamily(stack=0.5 * (S + np.swapaxes(S, 1, 2)), psd=self.psd)

    def scaled(self, c: float) -> "HessianFamily":
        """The family :math:`c H_i` (``c`` may be negative for signed families)."""
        if self.is_rank_one and c >= 0:
            return HessianFamily(factors=np.sqrt(c) * self.factors)
        return HessianFamily(stack=c * self.dense(), psd=self.psd and c >= 0)

    def subset(self, idx) -> "HessianFamily":
        """The sub-family indexed by ``idx``."""
        if self.is_rank_one:
            return HessianFamily(factors=self.factors[idx])
        return HessianFamily(stack=self.stack[idx], psd=self.psd)

    def range_basis(self, rtol: float = 1e-10) -> tuple[np.ndarray, int]:
        """Orthonormal basis of :math:`\\operatorname{range}(H)` and its dimension.

        For PSD members, :math:`\\operatorname{null}(H) = \\bigcap_i \\operatorname{null}(H_i)`, so the
        linearised SGD iterate never moves along it: mean-square growth there is exactly 1.
        """
        w, V = self.mean_eigh
        tol = rtol * max(abs(w[-1]), abs(w[0]), np.finfo(float).tiny)
        keep = np.abs(w) > tol
        return V[:, keep], int(keep.sum())


def as_family(H, name: str = "hessians", psd: bool = True) -> HessianFamily:
    """Coerce ``H`` to a :class:`HessianFamily`.

    A 2-D array ``(n, d)`` is read as rank-one factors, a 3-D array ``(n, d, d)`` as a dense stack.
    """
    if isinstance(H, HessianFamily):
        return H
    arr = np.asarray(H) if not isinstance(H, np.ndarray) else H
    if arr.ndim == 2:
        return HessianFamily.from_factors(arr, name)
    if arr.ndim == 3:
        return HessianFamily.from_stack(arr, name, psd=psd)
    raise ValueError(
        f"{name} must be an (n, d) array of rank-one factors or an (n, d, d) stack; got shape {arr.shape}"
    )
