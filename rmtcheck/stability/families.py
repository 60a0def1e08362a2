"""Per-sample Hessian families: the one container every operator, coherence and Monte Carlo routine takes.

A family :math:`\\{H_i\\}_{i=1}^n \\subset \\mathbb{S}_+^d` is held as a dense stack of shape
``(n, d, d)``, as rank-one factors ``G`` of shape ``(n, d)`` with :math:`H_i = g_i g_i^\\top`
(Gauss–Newton Hessians of MSE at interpolation [1]_, Sec. 2), or as factor blocks ``F`` of shape
``(n, d, k)`` with :math:`H_i = F_i F_i^\\top` (the Gauss–Newton curvature of a loss with ``k`` outputs,
e.g. :math:`F_i = J_i^\\top \\Lambda_i^{1/2}` for cross-entropy). Every operator and coherence routine
takes a :class:`HessianFamily`, so the low-rank speed-ups live here only:

* :math:`\\sum_i H_i M H_i = G^\\top \\operatorname{diag}(g_i^\\top M g_i)\\, G` costs
  :math:`O(nd^2)` instead of :math:`O(nd^3)`;
* :math:`\\operatorname{Tr}(H_i H_j) = (g_i^\\top g_j)^2`, so the coherence matrix is :math:`|G G^\\top|`;
  for blocks :math:`\\operatorname{Tr}(H_i H_j) = \\|F_i^\\top F_j\\|_F^2`, a block norm of the Gram matrix.

Families may also be *signed* (``psd=False``): the pair matrices
:math:`D_{ij} = (1-\\alpha)H^r_i - \\alpha H^f_j` of descent–ascent unlearning are symmetric but
indefinite. Symmetry and finiteness are always checked; positive semi-definiteness only for
``psd=True`` (the default).

Public names: :class:`CurvatureFamily` (the interface), :class:`HessianFamily`, :func:`as_family`,
:func:`range_coordinates` (the one range restriction of the package) and :func:`restrict`.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Sec. 2.
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026] (the signed pair matrices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, runtime_checkable

import numpy as np

from rmtcheck._lib.threads import with_blas_policy
from rmtcheck._lib.validation import as_finite_array, check_magnitude
from rmtcheck.stability._sandwich import sandwich_rows as _sandwich_rows

__all__ = ["CurvatureFamily", "HessianFamily", "as_family", "range_coordinates", "restrict"]

_SYM_RTOL = 1e-10
_PSD_RTOL = 1e-10


# Entries whose products leave float64's range surface later as LAPACK failures or as "all zero": refused here,
# by name. Factors enter squared (H_i = g_i g_i^T) and to the fourth power (coherence), stacks squared.
_FACTOR_RANGE = (1e-40, 1e40)
_STACK_RANGE = (1e-80, 1e80)
_RESCALE_FACTORS = ("divide the factors by a constant c and multiply the learning rate by c**2 (the dynamics depend "
                    "on lr * H only; coherence is scale-free)")
_RESCALE_STACK = ("divide the Hessians by a constant c and multiply the learning rate by c (the dynamics depend on "
                  "lr * H only; coherence is scale-free)")


@runtime_checkable
class CurvatureFamily(Protocol):
    """Interface: what the exact operators and the Monte Carlo need of a family of per-sample curvatures.

    :class:`HessianFamily` (dense or rank-one members) and
    :class:`~rmtcheck.stability.pairs.PairFamily` (the signed pairs of descent–ascent, never formed)
    implement it; :class:`~rmtcheck.stability.operator.LinearRecursion` accepts any object that does.
    The protocol is ``runtime_checkable``: ``isinstance(obj, CurvatureFamily)`` checks that the
    attributes and methods below exist (not their semantics).

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
    diagonals : ndarray of shape (n, d)
        Diagonal entries of every member.

    See Also
    --------
    HessianFamily, rmtcheck.stability.pairs.PairFamily, rmtcheck.stability.operator.LinearRecursion
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
    """A family of ``n`` symmetric ``d x d`` matrices :math:`H_1, \\dots, H_n`, dense or rank-one.

    Use :meth:`from_factors` or :meth:`from_stack` (or :func:`as_family`) to build one; both validate.
    Calling the dataclass constructor directly skips validation (used internally for families this
    package derived itself, e.g. by :meth:`project` or :meth:`subset`). Instances are frozen; the
    spectral quantities are cached on first use.

    Attributes
    ----------
    factors : ndarray of shape (n, d) or None
        Rank-one factors :math:`g_i` (``H_i = g_i g_i^T``) when the family is rank one.
    stack : ndarray of shape (n, d, d) or None
        The dense stack, when neither factors nor blocks are held.
    blocks : ndarray of shape (n, d, k) or None
        Factor blocks :math:`F_i` (``H_i = F_i F_i^T``, ``k >= 2``); see :meth:`from_blocks`.
    psd : bool, default True
        Whether the members are positive semi-definite (``False`` for signed families).
    n, d : int
        Number of members and their dimension (properties).
    is_rank_one : bool
        ``True`` when held as factors (property).
    mean : ndarray of shape (d, d)
        The mean Hessian :math:`H = \\frac1n\\sum_i H_i` (cached).
    lambda_max : float
        :math:`\\lambda_{\\max}(H)` of the mean (property).

    See Also
    --------
    as_family : Coerce an array to a family.
    rmtcheck.stability.pairs.PairFamily : The signed pair family of descent–ascent unlearning.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> fam = HessianFamily.from_factors(G)
    >>> fam.n, fam.d, fam.is_rank_one
    (20, 5, True)
    >>> round(fam.lambda_max, 6)
    1.909401
    >>> dense = HessianFamily.from_stack(fam.dense())
    >>> dense.is_rank_one, bool(np.allclose(dense.mean, fam.mean))
    (False, True)
    """

    factors: np.ndarray | None = None
    stack: np.ndarray | None = None
    psd: bool = True
    blocks: np.ndarray | None = None
    _extra: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_factors(cls, G, name: str = "factors") -> "HessianFamily":
        """Rank-one family :math:`H_i = g_i g_i^\\top` from the rows of ``G``.

        Parameters
        ----------
        G : array_like of shape (n, d)
            One factor :math:`g_i` per row (e.g. per-sample gradients of the model output, so that
            :math:`g_i g_i^\\top` is the Gauss–Newton Hessian of the squared loss [1]_).
        name : str, default "factors"
            Name of the argument in error messages.

        Returns
        -------
        HessianFamily
            A PSD rank-one family (``factors`` set, ``stack`` None).

        Raises
        ------
        ValueError
            If ``G`` is not a finite 2-D numeric array with ``n, d >= 1``.

        See Also
        --------
        from_stack, as_family

        References
        ----------
        .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
           Geometry", ICLR 2024 [dexter2024], Sec. 2.

        Examples
        --------
        >>> import numpy as np
        >>> fam = HessianFamily.from_factors(np.random.default_rng(0).standard_normal((20, 5)))
        >>> fam.n, fam.d
        (20, 5)
        >>> fam.eigenvalues.shape     # one nonzero eigenvalue |g_i|^2 per member
        (20, 5)
        """
        G = as_finite_array(G, name, ndim=2)
        if G.shape[0] < 1 or G.shape[1] < 1:
            raise ValueError(f"{name} must have shape (n, d) with n, d >= 1; got {G.shape}")
        check_magnitude(G, name, *_FACTOR_RANGE, fix=_RESCALE_FACTORS)
        return cls(factors=np.ascontiguousarray(G))

    @classmethod
    def from_blocks(cls, F, name: str = "factors") -> "HessianFamily":
        """Low-rank family :math:`H_i = F_i F_i^\\top` from blocks ``F`` of shape ``(n, d, k)``.

        Parameters
        ----------
        F : array_like of shape (n, d, k)
            One block per member (e.g. :math:`F_i = J_i^\\top \\Lambda_i^{1/2}`, the Gauss–Newton factor of a
            loss with ``k`` outputs). ``k = 1`` gives the rank-one family of :meth:`from_factors`.
        name : str, default "factors"
            Name of the argument in error messages.

        Returns
        -------
        HessianFamily
            A PSD family held as blocks (``k >= 2``) or as rank-one factors (``k = 1``).

        Raises
        ------
        ValueError
            If ``F`` is not a finite 3-D numeric array with ``n, d, k >= 1``.

        Examples
        --------
        >>> import numpy as np
        >>> F = np.random.default_rng(0).standard_normal((6, 4, 2))
        >>> fam = HessianFamily.from_blocks(F)
        >>> fam.n, fam.d, fam.k
        (6, 4, 2)
        >>> bool(np.allclose(fam.mean, np.einsum("iak,ibk->ab", F, F) / 6))
        True
        """
        F = as_finite_array(F, name, ndim=3)
        if min(F.shape) < 1:
            raise ValueError(f"{name} must have shape (n, d, k) with n, d, k >= 1; got {F.shape}")
        check_magnitude(F, name, *_FACTOR_RANGE, fix=_RESCALE_FACTORS)
        if F.shape[2] == 1:
            return cls(factors=np.ascontiguousarray(F[:, :, 0]))
        return cls(blocks=np.ascontiguousarray(F))

    @classmethod
    @with_blas_policy  # a batched eigvalsh of many small matrices: 10-30x slower on two threads of a busy machine
    def from_stack(cls, H, name: str = "hessians", psd: bool = True, atol: float = 0.0) -> "HessianFamily":
        """Dense family from a stack of shape ``(n, d, d)``.

        The stack is symmetrised, :math:`(H + H^\\top)/2`, after the symmetry check.

        Parameters
        ----------
        H : array_like of shape (n, d, d)
            The members :math:`H_i`.
        name : str, default "hessians"
            Name of the argument in error messages.
        psd : bool, default True
            Require (and record) positive semi-definiteness; ``False`` for signed families.
        atol : float, default 0.0
            Absolute tolerance added to both checks.

        Returns
        -------
        HessianFamily
            A dense family (``stack`` set, ``factors`` None).

        Raises
        ------
        ValueError
            If ``H`` is not a finite 3-D array of square matrices with ``n, d >= 1``; if a matrix is not
            symmetric (relative tolerance ``1e-10`` of the largest entry, plus ``atol``); or, for
            ``psd=True``, if a matrix has an eigenvalue below ``-1e-10 * max|H| - atol``.

        See Also
        --------
        from_factors, as_family

        Examples
        --------
        >>> import numpy as np
        >>> fam = HessianFamily.from_stack(np.stack([np.eye(2), np.diag([2.0, 0.0])]))
        >>> fam.n, fam.d, fam.is_diagonal
        (2, 2, True)
        >>> fam.mean.tolist()
        [[1.5, 0.0], [0.0, 0.5]]
        """
        H = as_finite_array(H, name, ndim=3)
        n, d1, d2 = H.shape
        if n < 1 or d1 < 1 or d1 != d2:
            raise ValueError(f"{name} must have shape (n, d, d) with n, d >= 1; got {H.shape}")
        check_magnitude(H, name, *_STACK_RANGE, fix=_RESCALE_STACK)
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
        """Whether the family is held as rank-one factors (``H_i = g_i g_i^T``)."""
        return self.factors is not None

    @property
    def is_blocks(self) -> bool:
        """Whether the family is held as factor blocks (``H_i = F_i F_i^T``, ``k >= 2``)."""
        return self.blocks is not None

    @property
    def k(self) -> int | None:
        """Columns per member factor (1 for rank one, ``k`` for blocks, ``None`` for a dense stack)."""
        return 1 if self.is_rank_one else (self.blocks.shape[2] if self.is_blocks else None)

    @property
    def n(self) -> int:
        """Number of members."""
        return self._held.shape[0]

    @property
    def d(self) -> int:
        """Dimension of every member."""
        return self._held.shape[1]

    @property
    def _held(self) -> np.ndarray:
        return self.factors if self.is_rank_one else (self.blocks if self.is_blocks else self.stack)

    @cached_property
    def rows(self) -> np.ndarray:
        """The block columns as rows, shape ``(n*k, d)`` (sample-major): :math:`F = [F_1 \\cdots F_n]^\\top`."""
        return np.ascontiguousarray(self.blocks.transpose(0, 2, 1).reshape(-1, self.d))

    def member_apply(self, x: np.ndarray) -> np.ndarray:
        """:math:`H_i x` for every member, shape ``(n, d)``."""
        if self.is_rank_one:
            return self.factors * (self.factors @ x)[:, None]
        if self.is_blocks:
            return np.einsum("idk,ik->id", self.blocks, np.einsum("idk,d->ik", self.blocks, x))
        return self.stack @ x

    def __len__(self) -> int:
        return self.n

    def dense(self) -> np.ndarray:
        """The ``(n, d, d)`` stack (materialised for rank-one and block families)."""
        if self.is_rank_one:
            G = self.factors
            return G[:, :, None] * G[:, None, :]
        if self.is_blocks:
            return self.blocks @ self.blocks.transpose(0, 2, 1)
        return self.stack

    # ------------------------------------------------------------------ spectra
    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Ascending eigenvalues of every member, shape ``(n, d)`` (batched ``eigvalsh``)."""
        if self.is_rank_one:
            ev = np.zeros((self.n, self.d))
            ev[:, -1] = np.einsum("ij,ij->i", self.factors, self.factors)
            return ev
        if self.is_blocks:  # the nonzero eigenvalues of F_i F_i^T are those of F_i^T F_i
            small = np.clip(np.linalg.eigvalsh(self.blocks.transpose(0, 2, 1) @ self.blocks), 0.0, None)
            m = min(self.k, self.d)
            ev = np.zeros((self.n, self.d))
            ev[:, self.d - m:] = small[:, self.k - m:]
            return ev
        return np.linalg.eigvalsh(self.stack)

    @cached_property
    def top_eigenvalues(self) -> np.ndarray:
        """:math:`\\lambda_{\\max}(H_i)` for every member (for signed families: spectral norms)."""
        if self.is_rank_one or self.is_blocks:
            return self.eigenvalues[:, -1].copy()
        ev = self.eigenvalues
        if self.psd:
            return ev[:, -1].copy()
        return np.maximum(np.abs(ev[:, 0]), np.abs(ev[:, -1]))

    @cached_property
    def mean(self) -> np.ndarray:
        """:math:`H = \\frac1n \\sum_i H_i`."""
        if self.is_rank_one or self.is_blocks:
            G = self.factors if self.is_rank_one else self.rows
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
        if self.is_blocks:
            K = (self.rows @ self.rows.T).reshape(self.n, self.k, self.n, self.k)
            return np.einsum("iajb,iajb->ij", K, K)
        flat = self.stack.reshape(self.n, -1)
        return flat @ flat.T  # Tr(H_i H_j) = <H_i, H_j>_F for symmetric matrices

    def sum_sandwich(self, M: np.ndarray) -> np.ndarray:
        """The sandwich sum :math:`\\sum_i H_i M H_i`, the noise part of the second-moment operator.

        Parameters
        ----------
        M : ndarray of shape (d, d) or (k, d, d)
            A symmetric matrix, or a batch of them.

        Returns
        -------
        ndarray of the shape of ``M``

        Notes
        -----
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
        if self.is_blocks:
            return _sandwich_rows(self.rows, self.n, M)
        if "low_rank" in self._extra:  # dense members of low rank, held as factor rows too (see _attach_low_rank)
            return _sandwich_rows(self._extra["low_rank"], self.n, M)
        n, d = self.n, self.d
        A = (self.stack.reshape(n * d, d) @ M).reshape(n, d, d)  # H_i M
        # sum_i (H_i M) H_i = [H_1 M | ... | H_n M] @ [H_1; ...; H_n]
        return A.transpose(1, 0, 2).reshape(d, n * d) @ self.stack.reshape(n * d, d)

    def weighted_apply(self, C: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Apply a different weighted sum of members to every row: :math:`y_r = \\sum_i C_{ri} H_i x_r`.

        One random step for many Monte Carlo runs at once (row ``r`` of ``C`` holds the batch weights of
        run ``r``).

        Parameters
        ----------
        C : ndarray of shape (runs, n)
            Batch weights :math:`c_i` per run.
        X : ndarray of shape (runs, d)
            Current iterates :math:`x_r`.

        Returns
        -------
        ndarray of shape (runs, d)

        Notes
        -----
        Rank one: two GEMMs, :math:`((X G^\\top) \\odot C) G`.
        """
        if self.is_rank_one:
            G = self.factors
            return ((X @ G.T) * C) @ G
        if self.is_blocks:
            R = self.rows
            return ((X @ R.T) * np.repeat(C, self.k, axis=1)) @ R
        if "low_rank" in self._extra:
            R = self._extra["low_rank"]
            return ((X @ R.T) * np.repeat(C, R.shape[0] // self.n, axis=1)) @ R
        n, d = self.n, self.d
        HX = (X @ self.stack.reshape(n * d, d).T).reshape(X.shape[0], n, d)  # H_i x_r (H_i symmetric)
        return np.einsum("ri,rid->rd", C, HX)

    def weighted_sum(self, C: np.ndarray) -> np.ndarray:
        """Weighted sums of the members, :math:`\\sum_i C_{ri} H_i` for every row of ``C``.

        Parameters
        ----------
        C : ndarray of shape (R, n)
            Weights, one row per sum.

        Returns
        -------
        ndarray of shape (R, d, d)
        """
        if self.is_rank_one:
            G = self.factors
            return (G.T[None, :, :] * C[:, None, :]) @ G
        if self.is_blocks:
            R = self.rows
            return (R.T[None, :, :] * np.repeat(C, self.k, axis=1)[:, None, :]) @ R
        return (C @ self.stack.reshape(self.n, -1)).reshape(C.shape[0], self.d, self.d)

    def sum_squares(self) -> np.ndarray:
        """:math:`\\sum_i H_i^2`, shape ``(d, d)``.

        Used by the convergence certificate :math:`\\lambda_{\\max}(T(I)) < 1` [derived;
        ``proofs/dexter_certificate.py``].
        """
        if self.is_rank_one:
            G = self.factors
            return (G.T * np.einsum("ij,ij->i", G, G)) @ G
        if self.is_blocks:
            return self.sum_sandwich(np.eye(self.d))
        return np.einsum("iab,ibc->ac", self.stack, self.stack)

    @cached_property
    def is_diagonal(self) -> bool:
        """True when every member is diagonal in the standard basis."""
        if self.is_rank_one:
            return bool(np.all(np.count_nonzero(self.factors, axis=1) <= 1))
        if self.is_blocks:  # diagonal when each F_i has at most one nonzero row (other cases: generic path)
            return bool(np.all(np.count_nonzero(np.any(self.blocks != 0, axis=2), axis=1) <= 1))
        off = self.stack - self.diagonals[:, :, None] * np.eye(self.d)
        return not np.any(off)

    @cached_property
    def diagonals(self) -> np.ndarray:
        """Diagonal entries of every member, shape ``(n, d)``."""
        if self.is_rank_one:
            return self.factors**2
        if self.is_blocks:
            return (self.blocks**2).sum(axis=2)
        return np.einsum("ijj->ij", self.stack).copy()

    # ------------------------------------------------------------------ transforms
    def select_coordinates(self, idx) -> "HessianFamily":
        """The family restricted to the coordinates ``idx`` (rows and columns).

        Parameters
        ----------
        idx : array_like of int
            Kept coordinates (as returned by :func:`range_coordinates` for diagonal families).

        Returns
        -------
        HessianFamily
            Members :math:`H_i[idx, idx]`, of dimension ``len(idx)``.
        """
        if self.is_rank_one:
            return HessianFamily(factors=np.ascontiguousarray(self.factors[:, idx]))
        if self.is_blocks:
            return HessianFamily(blocks=np.ascontiguousarray(self.blocks[:, idx, :]))
        return HessianFamily(stack=np.ascontiguousarray(self.stack[:, idx][:, :, idx]), psd=self.psd)

    def project(self, U: np.ndarray) -> "HessianFamily":
        """The family :math:`U^\\top H_i U` in the coordinates of the orthonormal columns of ``U``.

        Parameters
        ----------
        U : ndarray of shape (d, r)
            Orthonormal columns (as returned by :func:`range_coordinates`).

        Returns
        -------
        HessianFamily
            Members of dimension ``r``; rank one stays rank one (factors :math:`U^\\top g_i`).
        """
        if self.is_rank_one:
            return HessianFamily(factors=np.ascontiguousarray(self.factors @ U), psd=self.psd)
        if self.is_blocks:
            return HessianFamily(blocks=np.ascontiguousarray(U.T @ self.blocks))
        S = np.einsum("ab,iac,cd->ibd", U, self.stack, U, optimize=True)
        fam = HessianFamily(stack=0.5 * (S + np.swapaxes(S, 1, 2)), psd=self.psd)
        if self.psd:
            _attach_low_rank(fam)
        return fam

    def subset(self, idx) -> "HessianFamily":
        """The sub-family of the members indexed by ``idx``.

        Parameters
        ----------
        idx : int array, slice or boolean mask
            Members to keep.

        Returns
        -------
        HessianFamily
        """
        if self.is_rank_one:
            return HessianFamily(factors=self.factors[idx])
        if self.is_blocks:
            return HessianFamily(blocks=self.blocks[idx])
        return HessianFamily(stack=self.stack[idx], psd=self.psd)

    def psd_parts(self) -> list[tuple["HessianFamily", float]] | None:
        """PSD families (with non-negative weights) whose weighted means span this family's range.

        Returns
        -------
        list of (HessianFamily, float) or None
            ``[(self, 1.0)]`` for a PSD family, ``None`` for a signed one (no range restriction is then
            possible: an indefinite member can act outside the range of the mean).

        See Also
        --------
        range_coordinates
        """
        return [(self, 1.0)] if self.psd else None


def as_family(H, name: str = "hessians", psd: bool = True) -> HessianFamily:
    """Coerce ``H`` to a :class:`HessianFamily` (the entry point of every public routine).

    Parameters
    ----------
    H : HessianFamily or array_like
        A family (returned unchanged), a 2-D array ``(n, d)`` read as rank-one factors
        (:math:`H_i = g_i g_i^\\top`), or a 3-D array ``(n, d, d)`` read as a dense stack.
    name : str, default "hessians"
        Name of the argument in error messages.
    psd : bool, default True
        For a dense stack: require positive semi-definiteness (see :meth:`HessianFamily.from_stack`).

    Returns
    -------
    HessianFamily

    Raises
    ------
    ValueError
        If ``H`` has another number of dimensions, or fails the checks of
        :meth:`HessianFamily.from_factors` / :meth:`HessianFamily.from_stack` (non-finite entries,
        empty, non-symmetric or, with ``psd=True``, not PSD).

    See Also
    --------
    HessianFamily.from_factors, HessianFamily.from_stack

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> fam = as_family(G)                   # (n, d): rank-one factors
    >>> fam.is_rank_one, fam.n, fam.d
    (True, 20, 5)
    >>> as_family(fam) is fam
    True
    >>> as_family(fam.dense()).is_rank_one   # (n, d, d): dense stack
    False
    """
    if isinstance(H, HessianFamily):
        return H
    arr = as_finite_array(H, name)  # refuses ragged, complex, boolean, non-numeric and non-finite input by name
    if arr.ndim == 2:
        return HessianFamily.from_factors(arr, name)
    if arr.ndim == 3:
        if arr.shape[1] != arr.shape[2]:
            return HessianFamily.from_blocks(arr, name)
        return HessianFamily.from_stack(arr, name, psd=psd)
    raise ValueError(
        f"{name} must be an (n, d) array of rank-one factors, an (n, d, d) stack or (n, d, k) factor blocks "
        f"(k != d); got shape {arr.shape}"
    )


def as_family_pair(retain, forget, psd: bool = True) -> tuple[HessianFamily, HessianFamily]:
    """``(as_family(retain), as_family(forget))``, checked to share one dimension ``d``.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians (anything :func:`as_family` takes).
    psd : bool, default True
        Passed to :func:`as_family`.

    Returns
    -------
    tuple of HessianFamily

    Raises
    ------
    ValueError
        Naming ``retain`` or ``forget``: an invalid family, or different dimensions (never a broadcasting error
        later).

    Examples
    --------
    >>> import numpy as np
    >>> as_family_pair(np.ones((3, 2)), np.ones((2, 4)))
    Traceback (most recent call last):
    ...
    ValueError: retain and forget must have the same dimension d (parameters); got d=2 for retain and d=4 for \
forget: both must be per-sample curvature of the same model
    """
    r, f = as_family(retain, "retain", psd=psd), as_family(forget, "forget", psd=psd)
    if r.d != f.d:
        raise ValueError(f"retain and forget must have the same dimension d (parameters); got d={r.d} for retain "
                         f"and d={f.d} for forget: both must be per-sample curvature of the same model")
    return r, f


def range_coordinates(parts, *, diagonal: bool | None = None):
    """Coordinates of :math:`\\operatorname{range}(\\sum_k c_k \\bar H_k)` for PSD families :math:`H_k`.

    The one range restriction of the package. For PSD members,
    :math:`\\operatorname{null}(\\sum_k c_k \\bar H_k) = \\bigcap_{k,i} \\operatorname{null}(H_{k,i})`
    (:math:`c_k > 0`), so a linearised iterate never moves there: growth is exactly 1 on it, and every
    exact quantity is computed on the range. [derived: if :math:`u^\\top (\\sum_k c_k \\bar H_k) u = 0`
    then every term :math:`c_k u^\\top H_{k,i} u \\ge 0` vanishes, and :math:`u^\\top H u = 0` implies
    :math:`Hu = 0` for PSD :math:`H`.]

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

    See Also
    --------
    restrict : Apply the result to a family.
    HessianFamily.psd_parts, rmtcheck.stability.pairs.PairFamily.psd_parts

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> range_coordinates([(HessianFamily.from_factors(G), 1.0)]) is None   # full range
    True
    >>> G[:, 4] = 0.0                                 # no member acts on the last coordinate
    >>> U = range_coordinates([(HessianFamily.from_factors(G), 1.0)])
    >>> U.shape                                       # orthonormal basis of the range
    (5, 4)
    >>> D = np.array([[1.0, 0, 0], [0, 2.0, 0]])      # diagonal members e_1 e_1^T and 4 e_2 e_2^T
    >>> range_coordinates([(HessianFamily.from_factors(D), 1.0)]).tolist()
    [0, 1]
    """
    parts = list(parts)
    d = parts[0][0].d
    if diagonal is None:
        diagonal = all(f.is_diagonal for f, _ in parts)
    if diagonal:
        mass = sum(c * f.diagonals.sum(axis=0) for f, c in parts)
        keep = np.flatnonzero(mass > 1e-12 * max(mass.max(), np.finfo(float).tiny))
        return None if keep.size == d else keep
    rows = sum(f.n * (f.k or d) for f, c in parts if c > 0)
    if all(f.k is not None for f, _ in parts) and rows < d:
        return _gram_range(parts)
    S = sum(c * f.mean for f, c in parts)
    if not np.any(S - np.diag(np.diag(S))):  # diagonal mean (e.g. Gram coordinates): its diagonal is its spectrum
        w = np.diag(S)
        keep = np.abs(w) > 1e-10 * max(np.abs(w).max(), np.finfo(float).tiny)
        return None if keep.all() else np.flatnonzero(keep)
    w, V = np.linalg.eigh(S)
    keep = np.abs(w) > 1e-10 * max(np.abs(w).max(), np.finfo(float).tiny)
    return None if keep.all() else V[:, keep]


def _gram_range(parts) -> np.ndarray:
    """Orthonormal basis of :math:`\\operatorname{range}(\\sum_k c_k \\bar H_k)` for factored families, from the
    Gram matrix of the weighted factor rows when there are fewer rows than dimensions: :math:`O(m^2 d)` for
    ``m`` rows instead of the :math:`O(d^3)` eigendecomposition of the mean. [derived; ``proofs/gram_space.py``:
    with :math:`F^\\top F = V S V^\\top`, :math:`Q = F V S^{-1/2}` is an orthonormal basis of
    :math:`\\operatorname{range}(F)`, and :math:`\\operatorname{range}(\\sum_k c_k F_k F_k^\\top) = \\operatorname{range}(F)`
    for :math:`c_k > 0`.] The basis diagonalises the weighted mean."""
    F = np.concatenate([np.sqrt(c / f.n) * (f.factors if f.is_rank_one else f.rows) for f, c in parts if c > 0])
    w, V = np.linalg.eigh(F @ F.T)
    keep = w > 1e-10 * max(w.max(initial=0.0), np.finfo(float).tiny)
    d = parts[0][0].d
    if not keep.any():
        return np.zeros(0, dtype=np.intp)
    Q = (F.T @ V[:, keep]) / np.sqrt(w[keep])
    Q = np.linalg.qr(Q)[0]  # orthogonality of F V S^{-1/2} degrades like eps cond(K): restore it
    return Q if Q.shape[1] < d else None


def restrict(family, coords):
    """``family`` in the coordinates returned by :func:`range_coordinates`.

    Parameters
    ----------
    family : HessianFamily or PairFamily
        Any :class:`CurvatureFamily`.
    coords : None or ndarray
        ``None`` (returns ``family`` unchanged), kept coordinate indices (1-D: :meth:`select_coordinates`)
        or an orthonormal basis ``(d, r)`` (2-D: :meth:`project`).

    Returns
    -------
    CurvatureFamily
        The family of the same kind in the reduced coordinates.

    See Also
    --------
    range_coordinates
    """
    if coords is None:
        return family
    if coords.ndim == 1:
        return family.select_coordinates(coords)
    return family.project(coords)


#: a dense PSD family restricted to its range is also held as factor rows when every member has rank <= d / 4
#: (eigenvalues above 1e-13 of the family's largest; the dropped ones are round-off): the sandwich sum and the
#: Monte Carlo step then cost O(n k d^2) instead of O(n d^3), e.g. rank-one Hessians stored dense
_LOW_RANK_RTOL, _LOW_RANK_MAX = 1e-13, 0.25


def _attach_low_rank(fam: "HessianFamily") -> None:
    n, d = fam.n, fam.d
    if d < 8:
        return
    w, V = np.linalg.eigh(fam.stack)
    keep = w > _LOW_RANK_RTOL * max(float(w.max(initial=0.0)), np.finfo(float).tiny)
    k = int(keep.sum(axis=1).max(initial=0))
    if k == 0 or k > _LOW_RANK_MAX * d:
        return
    F = V[:, :, d - k:] * np.sqrt(np.clip(w[:, None, d - k:], 0.0, None) * keep[:, None, d - k:])  # (n, d, k)
    fam._extra["low_rank"] = np.ascontiguousarray(F.transpose(0, 2, 1).reshape(n * k, d))
