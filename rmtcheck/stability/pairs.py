"""The pair family of descent–ascent unlearning: :math:`D_{ij} = (1-\\alpha)H^r_i - \\alpha H^f_j` over all pairs, matrix-free.

The authors' code of [1]_ builds every pair explicitly; :class:`PairFamily` evaluates what the exact
operator and the Monte Carlo need from the retain and forget families alone, through the decomposition
[derived; ``proofs/chang_khanna_three_axis.py``, item 2]

.. math::

    \\sum_{ij} D_{ij} M D_{ij} = n_f(1-\\alpha)^2 \\sum_i A_i M A_i + n_r\\alpha^2 \\sum_j B_j M B_j
      - \\alpha(1-\\alpha)\\big[(\\textstyle\\sum_i A_i) M (\\sum_j B_j) + (\\sum_j B_j) M (\\sum_i A_i)\\big].

References
----------
.. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from rmtcheck._lib.validation import check_unit_interval
from rmtcheck.stability.families import HessianFamily

__all__ = [
    "PairFamily",
]


_PAIR_DENSE_MAX = 2_000_000  # N * d * d entries above which PairFamily.dense refuses


_DIRECT_NORM_D = 64  # up to this dimension pair norms come from the dense members (exact zeros stay 0)


class PairFamily:
    """The signed family :math:`D_{ij} = (1-\\alpha)A_i - \\alpha B_j` over all :math:`N = n_r n_f` pairs.

    Implements :class:`~rmtcheck.stability.families.CurvatureFamily`: the part of
    :class:`~rmtcheck.stability.families.HessianFamily` that
    :class:`~rmtcheck.stability.operator.LinearRecursion` and the Monte Carlo use; pair ``(i, j)`` has
    flat index ``i * n_f + j``. Nothing of size :math:`N` is formed except where stated
    (:meth:`dense`, :attr:`top_eigenvalues` and :attr:`diagonals` are :math:`O(N)`-sized). This is the
    family of the ``pair_bernoulli`` batch model of
    :func:`~rmtcheck.stability.unlearning.mixed_recursion` (the pairs of [1]_).

    Parameters
    ----------
    retain, forget : HessianFamily
        Retain Hessians :math:`A_i = H^r_i` (:math:`n_r` members) and forget Hessians
        :math:`B_j = H^f_j` (:math:`n_f` members), of the same dimension ``d``.
    alpha : float in [0, 1]
        Mixing (forget) weight :math:`\\alpha`, keyword-only.

    Attributes
    ----------
    retain, forget : HessianFamily
        The two families.
    alpha : float
        The mixing weight.
    n_r, n_f : int
        Sizes of the two families; ``n = n_r * n_f`` pairs of dimension ``d``.
    psd : bool
        Always ``False`` (pairs are indefinite in general).
    is_rank_one : bool
        Always ``False`` (a pair of rank-one members has rank two).

    Raises
    ------
    ValueError
        If the families act on different dimensions or ``alpha`` is not in :math:`[0, 1]`.

    See Also
    --------
    rmtcheck.stability.unlearning.mixed_recursion : Builds the pair term for ``pair_bernoulli``.
    rmtcheck.stability.three_axis.pair_coherence : The pair coherence :math:`\\sigma_{mix}`.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
       arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.stability import as_family
    >>> rng = np.random.default_rng(0)
    >>> R, F = as_family(rng.standard_normal((4, 3))), as_family(rng.standard_normal((2, 3)))
    >>> P = PairFamily(R, F, alpha=0.25)
    >>> P.n, P.d
    (8, 3)
    >>> M = np.eye(3)
    >>> bool(np.allclose(P.sum_sandwich(M), np.einsum("pab,bc,pcd->ad", P.dense(), M, P.dense())))
    True
    """

    psd = False
    is_rank_one = False

    def __init__(self, retain: HessianFamily, forget: HessianFamily, *, alpha: float):
        if retain.d != forget.d:
            raise ValueError(f"retain and forget must act on the same dimension; got {retain.d} and {forget.d}")
        self.retain, self.forget = retain, forget
        self.alpha = check_unit_interval(alpha, "alpha")
        self.n_r, self.n_f = retain.n, forget.n

    @property
    def n(self) -> int:
        """Number of pairs :math:`N = n_r n_f`."""
        return self.n_r * self.n_f

    @property
    def d(self) -> int:
        """Dimension of every pair."""
        return self.retain.d

    def __len__(self) -> int:
        return self.n

    @cached_property
    def mean(self) -> np.ndarray:
        """:math:`\\bar D = (1-\\alpha)H_r - \\alpha H_f` (the mean of the pairs)."""
        return (1 - self.alpha) * self.retain.mean - self.alpha * self.forget.mean

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue of the signed mean :math:`\\bar D` (not a spectral norm)."""
        return float(np.linalg.eigvalsh(self.mean)[-1])

    def sum_sandwich(self, M: np.ndarray) -> np.ndarray:
        """:math:`\\sum_{ij} D_{ij} M D_{ij}` by the decomposition (never forming the pairs).

        [derived; ``proofs/chang_khanna_three_axis.py``, item 2] Cost: one retain and one forget
        sandwich plus two products with the sums, :math:`O((n_r + n_f)d^2)` for rank-one families.

        Parameters
        ----------
        M : ndarray of shape (d, d) or (k, d, d)
            A symmetric matrix, or a batch of them.

        Returns
        -------
        ndarray of the shape of ``M``
        """
        M = np.asarray(M)
        if M.ndim == 3:
            return np.stack([self.sum_sandwich(m) for m in M])
        a = self.alpha
        SA = self.n_r * self.retain.mean
        SB = self.n_f * self.forget.mean
        out = (self.n_f * (1 - a) ** 2) * self.retain.sum_sandwich(M)
        out = out + (self.n_r * a * a) * self.forget.sum_sandwich(M)
        cross = SA @ M @ SB
        return out - a * (1 - a) * (cross + cross.T)

    def _split(self, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        C3 = np.asarray(C).reshape(C.shape[0], self.n_r, self.n_f)
        return C3.sum(axis=2), C3.sum(axis=1)

    def weighted_apply(self, C: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Row ``r``: :math:`\\sum_{ij} C_{r,ij} D_{ij} x_r` via the retain and forget marginals of ``C``.

        Parameters
        ----------
        C : ndarray of shape (runs, N)
            Pair weights per run (flat pair index ``i * n_f + j``).
        X : ndarray of shape (runs, d)
            Current iterates.

        Returns
        -------
        ndarray of shape (runs, d)
        """
        Cr, Cf = self._split(C)
        return (1 - self.alpha) * self.retain.weighted_apply(Cr, X) - self.alpha * self.forget.weighted_apply(Cf, X)

    def weighted_sum(self, C: np.ndarray) -> np.ndarray:
        """:math:`\\sum_{ij} C_{r,ij} D_{ij}` for every row of ``C``.

        Parameters
        ----------
        C : ndarray of shape (R, N)
            Pair weights, one row per sum.

        Returns
        -------
        ndarray of shape (R, d, d)
        """
        Cr, Cf = self._split(C)
        return (1 - self.alpha) * self.retain.weighted_sum(Cr) - self.alpha * self.forget.weighted_sum(Cf)

    def dense(self) -> np.ndarray:
        """The ``(N, d, d)`` stack of pairs (small cross-checks only).

        Returns
        -------
        ndarray of shape (N, d, d)

        Raises
        ------
        ValueError
            If the stack would hold more than 2 000 000 entries.
        """
        if self.n * self.d * self.d > _PAIR_DENSE_MAX:
            raise ValueError(
                f"dense() would form N*d*d = {self.n * self.d * self.d} entries (max {_PAIR_DENSE_MAX}); "
                "use the matrix-free methods")
        A, Bm = self.retain.dense(), self.forget.dense()
        D = (1 - self.alpha) * A[:, None] - self.alpha * Bm[None, :]
        return D.reshape(self.n, self.d, self.d)

    @cached_property
    def top_eigenvalues(self) -> np.ndarray:
        """Spectral norms :math:`\\|D_{ij}\\|_2` of all pairs, shape ``(N,)``.

        Rank-one members: :math:`D_{ij}` has the non-zero eigenvalues of the 2x2 matrix
        :math:`\\operatorname{diag}(1-\\alpha, -\\alpha)\\,[a_i\\ b_j]^\\top[a_i\\ b_j]` (closed form, :math:`O(N)`
        after the Gram matrices); dense members: chunked batched ``eigvalsh``, :math:`O(Nd^3)`.
        """
        a = self.alpha
        if self.retain.is_rank_one and self.forget.is_rank_one:
            A, Bf = self.retain.factors, self.forget.factors
            p = (1 - a) * np.einsum("ij,ij->i", A, A)[:, None]
            q = a * np.einsum("ij,ij->i", Bf, Bf)[None, :]
            c = (A @ Bf.T) ** 2
            tr = p - q
            det = -(p * q - a * (1 - a) * c)  # = -a(1-a)(|a|^2|b|^2 - (a.b)^2) <= 0
            disc = np.sqrt(np.maximum(tr * tr / 4 - det, 0.0))
            return np.maximum(np.abs(tr / 2 + disc), np.abs(tr / 2 - disc)).ravel()
        if self.retain.k is not None and self.forget.k is not None and self.d > _DIRECT_NORM_D:
            return self._factored_norms()
        out = np.empty(self.n)
        A, Bm = self.retain.dense(), self.forget.dense()
        for i in range(self.n_r):
            ev = np.linalg.eigvalsh((1 - a) * A[i][None] - a * Bm)
            out[i * self.n_f:(i + 1) * self.n_f] = np.maximum(np.abs(ev[:, 0]), np.abs(ev[:, -1]))
        return out

    def _factored_norms(self) -> np.ndarray:
        """:math:`\\|D_{ij}\\|_2` for factored members. With :math:`X = [F_i\\ E_j]` and
        :math:`C = \\mathrm{diag}((1-\\alpha) I, -\\alpha I)`, :math:`D_{ij} = X C X^\\top` has the nonzero
        eigenvalues of the :math:`2k \\times 2k` matrix :math:`C X^\\top X` (a block of the Gram matrix;
        ``proofs/gram_space.py``), which are real; one retain member at a time. Through the Gram matrix a pair
        that vanishes comes out at about :math:`\\sqrt{\\epsilon}\\,\\|H\\|` rather than 0, so families of
        dimension at most ``_DIRECT_NORM_D`` use the dense members instead."""
        a, r, f = self.alpha, self.retain, self.forget
        R3 = (r.factors[:, None, :] if r.is_rank_one else r.blocks.transpose(0, 2, 1))  # (n_r, k_r, d)
        E3 = (f.factors[:, None, :] if f.is_rank_one else f.blocks.transpose(0, 2, 1))
        Krr, Kff = R3 @ R3.transpose(0, 2, 1), E3 @ E3.transpose(0, 2, 1)
        kr, kf = R3.shape[1], E3.shape[1]
        c = np.concatenate([np.full(kr, 1 - a), np.full(kf, -a)])
        out = np.empty((r.n, f.n))
        for i in range(r.n):  # eig(C X^T X) = eig(K^{1/2} C K^{1/2}), K = X^T X: symmetric, exact zeros stay zero
            Kif = np.einsum("ad,jbd->jab", R3[i], E3)  # F_i^T E_j, (n_f, k_r, k_f)
            K = np.empty((f.n, kr + kf, kr + kf))
            K[:, :kr, :kr] = Krr[i]
            K[:, :kr, kr:] = Kif
            K[:, kr:, :kr] = Kif.transpose(0, 2, 1)
            K[:, kr:, kr:] = Kff
            w, U = np.linalg.eigh(K)
            w = np.where(w > 1e-12 * w[:, -1:], w, 0.0)  # round-off null directions: exactly 0, not sqrt(eps)
            S = (U * np.sqrt(w)[:, None, :]) @ U.transpose(0, 2, 1)
            ev = np.linalg.eigvalsh(S * c[None, None, :] @ S)
            out[i] = np.maximum(np.abs(ev[:, 0]), np.abs(ev[:, -1]))
        return out.ravel()

    @cached_property
    def is_diagonal(self) -> bool:
        """Both families diagonal (and ``N d`` small enough to hold :attr:`diagonals`)."""
        return bool(self.retain.is_diagonal and self.forget.is_diagonal and self.n * self.d <= _PAIR_DENSE_MAX * 25)

    @cached_property
    def diagonals(self) -> np.ndarray:
        """Diagonals of every pair, shape ``(N, d)`` (used by the diagonal closed form)."""
        a = self.alpha
        D = (1 - a) * self.retain.diagonals[:, None, :] - a * self.forget.diagonals[None, :, :]
        return D.reshape(self.n, self.d)

    def select_coordinates(self, idx) -> "PairFamily":
        """The pair family of both families restricted to the coordinates ``idx``."""
        return PairFamily(self.retain.select_coordinates(idx), self.forget.select_coordinates(idx), alpha=self.alpha)

    def project(self, U: np.ndarray) -> "PairFamily":
        """The pair family of :math:`U^\\top A_i U` and :math:`U^\\top B_j U` (orthonormal columns ``U``)."""
        return PairFamily(self.retain.project(U), self.forget.project(U), alpha=self.alpha)

    def psd_parts(self) -> list[tuple[HessianFamily, float]] | None:
        """``[(retain, 1 - alpha), (forget, alpha)]``: the pairs' range is that of
        :math:`(1-\\alpha)H_r + \\alpha H_f` when both families are PSD (``None`` otherwise)."""
        if not (self.retain.psd and self.forget.psd):
            return None
        return [(self.retain, 1.0 - self.alpha), (self.forget, self.alpha)]

    def gram_traces(self) -> np.ndarray:
        """Naive :math:`[\\operatorname{Tr}(D_p D_q)]_{pq}`, shape ``(N, N)`` — the baseline for tests only."""
        flat = self.dense().reshape(self.n, -1)
        return flat @ flat.T
