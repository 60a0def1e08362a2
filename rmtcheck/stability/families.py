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
from typing import Protocol, runtime_checkable

import numpy as np

from rmtcheck._lib.validation import as_finite_array

__all__ = ["CurvatureFamily", "HessianFamily", "as_family", "range_coordinates", "restrict"]

_SYM_RTOL = 1e-10
_PSD_RTOL = 1e-10


@runtime_checkable
class CurvatureFamily(Protocol):
    """What the exact operators and the Monte Carlo need of a family of per-sample curvatures.

    :class:`HessianFamily` (dense or rank-one members) and
    :class:`~rmtcheck.stability.pairs.PairFamily` (the signed pairs of descent–ascent, never formed)
    implement it; :class:`~rmtcheck.stability.operator.LinearRecursion` accepts any object that does.

    Attributes
    ----------
    n, d : int
        Number of members and their dimension.
    psd : bool
        Whether every member is positive semi-definite.
    is_rank_one : bool
        Members are :math:`g_i g_i^\\top` (cheaper products).
    mean : ndarray of shape (d, d)
        :math:`\\frac1n\\sum_i H_i`.
    top_eigenvalues : ndarray of shape (n,)
        Spectral norms of the members.
    is_diagonal : bool
        Every member is diagonal; then :attr:`diagonals` holds their diagonals, shape ``(n, d)``.
    """

    n: int
    d: int
    psd: bool
    is_rank_one: bool
    mean: np.ndarray
    top_eigenvalues: np.ndarray
    is_diagonal: bool
    diagonals: np.ndarray

    def sum_sandwich(self, M: np.ndarray) -> np.ndarray:
        """:math:`\\sum_i H_i M H_i`."""

    def weighted_apply(self, C: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Row ``r``: :math:`\\sum_i C_{ri} H_i x_r`."""

    def weighted_sum(self, C: np.ndarray) -> np.ndarray:
        """:math:`\\sum_i C_{ri} H_i` for every row of ``C``."""

    def dense(self) -> np.ndarray:
        """The ``(n, d, d)`` stack."""

    def select_coordinates(self, idx) -> "CurvatureFamily":
        """The family restricted to coordinates ``idx``."""

    def project(self, U: np.ndarray) -> "CurvatureFamily":
        """The family :math:`U^\\top H_i U`."""

    def psd_parts(self) -> list | None:
        """PSD families and weights whose weighted means span the range, or ``None``."""


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

    def subset(self, idx) -> "HessianFamily":
        """The sub-family indexed by ``idx``."""
        if self.is_rank_one:
            return HessianFamily(factors=self.factors[idx])
        return HessianFamily(stack=self.stack[idx], psd=self.psd)

    def psd_parts(self) -> list[tuple["HessianFamily", float]] | None:
        """PSD families (with non-negative weights) whose weighted means span this family's range.

        ``[(self, 1.0)]`` for a PSD family, ``None`` for a signed one (no range restriction is then
        possible: an indefinite member can act outside the range of the mean).
        """
        return [(self, 1.0)] if self.psd else None


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


def range_coordinates(parts, *, diagonal: bool | None = None):
    """Coordinates of :math:`\\operatorname{range}(\\sum_k c_k \\bar H_k)` for PSD families :math:`H_k`.

    The one range restriction of the package. For PSD members,
    :math:`\\operatorname{null}(\\sum_k c_k \\bar H_k) = \\bigcap_{k,i} \\operatorname{null}(H_{k,i})`
    (:math:`c_k > 0`), so a linearised iterate never moves there: growth is exactly 1 on it, and every
    exact quantity is computed on the range.

    Parameters
    ----------
    parts : sequence of (HessianFamily, float)
        PSD families and non-negative weights (``family.psd_parts()`` of each term, scaled by the
        term's absolute weight).
    diagonal : bool, optional
        Whether every family is diagonal; computed when not given.

    Returns
    -------
    None or ndarray
        ``None`` when the range is everything; otherwise the kept coordinate indices (diagonal families:
        a mass above ``1e-12`` of the largest) or an orthonormal basis of shape ``(d, r)`` (eigenvalues of
        the weighted mean above ``1e-10`` of the largest in modulus). An empty result means every member
        vanishes.
    """
    parts = list(parts)
    d = parts[0][0].d
    if diagonal is None:
        diagonal = all(f.is_diagonal for f, _ in parts)
    if diagonal:
        mass = sum(c * f.diagonals.sum(axis=0) for f, c in parts)
        keep = np.flatnonzero(mass > 1e-12 * max(mass.max(), np.finfo(float).tiny))
        return None if keep.size == d else keep
    S = sum(c * f.mean for f, c in parts)
    w, V = np.linalg.eigh(S)
    keep = np.abs(w) > 1e-10 * max(np.abs(w).max(), np.finfo(float).tiny)
    return None if keep.all() else V[:, keep]


def restrict(family, coords):
    """``family`` in the coordinates returned by :func:`range_coordinates` (unchanged for ``None``)."""
    if coords is None:
        return family
    if coords.ndim == 1:
        return family.select_coordinates(coords)
    return family.project(coords)
