"""Descent–ascent unlearning: exact mixed second-moment operators, escape verdicts, critical α and η.

Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective". Starting at
a pre-trained minimum :math:`w^*` of retain :math:`\\cup` forget, descent–ascent unlearning with mixing
weight :math:`\\alpha` linearises to :math:`\\delta_{k+1} = J_k\\delta_k` with [paper]

.. math::

    J_k = I - \\eta(1-\\alpha)\\hat H^r_k + \\eta\\alpha\\hat H^f_k ,\\qquad
    \\mathbb E J_k = I - \\eta\\bar D,\\quad \\bar D = (1-\\alpha)H_r - \\alpha H_f .

**Unlearning succeeds (the iterate escapes the old minimum) when these dynamics diverge; the model
resists when they converge.** Two notions, never mixed in one verdict:

* ``mean-square``: :math:`\\rho(T) > 1` for :math:`T(M) = \\mathbb E[J M J]` (exact, matrix-free);
* ``almost-sure``: top Lyapunov exponent :math:`> 0` (Monte Carlo; exact for diagonal constructions
  through :func:`diagonal_lyapunov`).

Batch models (names as in :data:`rmtcheck.verify.SAMPLINGS`) [derived; stability brief Sec. 6]:

``independent_bernoulli``
    retain members in the batch with probability :math:`B/n_r`, forget members with :math:`B/n_f`,
    independently; two terms of :class:`~rmtcheck.dynamics.operator.LinearRecursion`:

    .. math:: T = (I-\\eta\\bar D)^{\\otimes 2} + \\frac{\\eta^2(1-\\alpha)^2}{n_r B}\\Big(1-\\frac{B}{n_r}\\Big)
              \\sum_i H^r_i\\otimes H^r_i + \\frac{\\eta^2\\alpha^2}{n_f B}\\Big(1-\\frac{B}{n_f}\\Big)\\sum_j H^f_j\\otimes H^f_j .

``pair_bernoulli``
    each of the :math:`N = n_r n_f` pairs :math:`D_{ij} = (1-\\alpha)H^r_i - \\alpha H^f_j` (what the
    authors' code builds) with probability :math:`B/N`; one term over :class:`PairFamily`:

    .. math:: T = (I-\\eta\\bar D)^{\\otimes 2} + \\frac{\\eta^2}{NB}\\Big(1-\\frac{B}{N}\\Big)\\sum_{ij} D_{ij}\\otimes D_{ij},

    with :math:`\\sum_{ij} D_{ij} M D_{ij}` evaluated from the decomposition
    :math:`n_f(1-\\alpha)^2\\sum_i A_iMA_i + n_r\\alpha^2\\sum_j B_jMB_j - \\alpha(1-\\alpha)[(\\sum A)M(\\sum B) +
    (\\sum B)M(\\sum A)]` — the :math:`N` pairs are never formed (cost of the retain plus forget
    sandwiches, :math:`O((n_r + n_f)d^2)` for rank-one families).

``without_replacement``
    a uniform retain subset of exactly ``B`` and, independently, a uniform forget subset of exactly
    ``B`` (fixed-size batches, what the experiments run); two terms with :math:`\\kappa = -p`,
    :math:`\\nu = p/n`, :math:`p = (n-B)/(B(n-1))` per family.

Everything works on the common range of :math:`(1-\\alpha)H_r + \\alpha H_f` (outside it every member
vanishes and :math:`J = I`: growth exactly 1, neither escape nor resistance).

The non-interpolating extension (:class:`NoisyMixedDynamics`) adds the per-sample gradients at
:math:`w^*`: :math:`\\delta_{k+1} = J_k\\delta_k - \\eta\\hat g_k`. [derived] Its second moment is an
affine map whose linear part is the same :math:`T`, so the divergence threshold is unchanged, while
below it :math:`\\mathbb E\\|\\delta_k\\|^2` tends to a positive limit instead of 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.optimize import brentq
from scipy.sparse.linalg import LinearOperator, cg

from .._validate import as_finite_array, as_generator, check_batch, check_int, check_positive, check_unit_interval
from ..hessians import HessianFamily, as_family
from ..sampling import SamplingModel
from .montecarlo import simulate
from .operator import LinearRecursion, Term

__all__ = [
    "MIXED_SAMPLINGS",
    "PairFamily",
    "mixed_recursion",
    "mixed_hessian",
    "mixed_growth",
    "mixed_critical_lr",
    "critical_alpha",
    "resist_interval",
    "EscapeVerdict",
    "escape_verdicts",
    "diagonal_lyapunov",
    "NoisyMixedDynamics",
]

#: Batch models of descent–ascent unlearning.
MIXED_SAMPLINGS = ("independent_bernoulli", "pair_bernoulli", "without_replacement")

_PAIR_DENSE_MAX = 2_000_000  # N * d * d entries above which PairFamily.dense refuses


def check_mixed_sampling(name) -> str:
    if name not in MIXED_SAMPLINGS:
        raise ValueError(f"sampling must be one of {MIXED_SAMPLINGS}; got {name!r}")
    return name


# --------------------------------------------------------------------------- the pair family
class PairFamily:
    """The signed family :math:`D_{ij} = (1-\\alpha)A_i - \\alpha B_j` over all :math:`N = n_r n_f` pairs.

    Duck-types the part of :class:`~rmtcheck.hessians.HessianFamily` that
    :class:`~rmtcheck.dynamics.operator.LinearRecursion` and the Monte Carlo use; pair ``(i, j)`` has
    flat index ``i * n_f + j``. Nothing of size :math:`N` is formed except where stated
    (:meth:`dense`, :attr:`top_eigenvalues` and :attr:`diagonals` are :math:`O(N)`-sized).
    """

    psd = False
    is_rank_one = False

    def __init__(self, retain: HessianFamily, forget: HessianFamily, alpha: float):
        if retain.d != forget.d:
            raise ValueError(f"retain and forget must act on the same dimension; got {retain.d} and {forget.d}")
        self.retain, self.forget = retain, forget
        self.alpha = check_unit_interval(alpha, "alpha")
        self.n_r, self.n_f = retain.n, forget.n

    @property
    def n(self) -> int:
        return self.n_r * self.n_f

    @property
    def d(self) -> int:
        return self.retain.d

    def __len__(self) -> int:
        return self.n

    @cached_property
    def mean(self) -> np.ndarray:
        """:math:`\\bar D = (1-\\alpha)H_r - \\alpha H_f` (the mean of the pairs)."""
        return (1 - self.alpha) * self.retain.mean - self.alpha * self.forget.mean

    @property
    def lambda_max(self) -> float:
        return float(np.linalg.eigvalsh(self.mean)[-1])

    def sum_sandwich(self, M: np.ndarray) -> np.ndarray:
        """:math:`\\sum_{ij} D_{ij} M D_{ij}` by the decomposition (never forming the pairs). [derived]"""
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
        """Row ``r``: :math:`\\sum_{ij} C_{r,ij} D_{ij} x_r` via the retain and forget marginals of ``C``."""
        Cr, Cf = self._split(C)
        return (1 - self.alpha) * self.retain.weighted_apply(Cr, X) - self.alpha * self.forget.weighted_apply(Cf, X)

    def weighted_sum(self, C: np.ndarray) -> np.ndarray:
        """:math:`\\sum_{ij} C_{r,ij} D_{ij}` for every row of ``C``."""
        Cr, Cf = self._split(C)
        return (1 - self.alpha) * self.retain.weighted_sum(Cr) - self.alpha * self.forget.weighted_sum(Cf)

    def dense(self) -> np.ndarray:
        """The ``(N, d, d)`` stack of pairs (small cross-checks only)."""
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
        out = np.empty(self.n)
        A, Bm = self.retain.dense(), self.forget.dense()
        for i in range(self.n_r):
            ev = np.linalg.eigvalsh((1 - a) * A[i][None] - a * Bm)
            out[i * self.n_f:(i + 1) * self.n_f] = np.maximum(np.abs(ev[:, 0]), np.abs(ev[:, -1]))
        return out

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
        return PairFamily(self.retain.select_coordinates(idx), self.forget.select_coordinates(idx), self.alpha)

    def project(self, U: np.ndarray) -> "PairFamily":
        return PairFamily(self.retain.project(U), self.forget.project(U), self.alpha)

    def gram_traces(self) -> np.ndarray:
        """Naive :math:`[\\operatorname{Tr}(D_p D_q)]_{pq}`, shape ``(N, N)`` — the baseline for tests only."""
        flat = self.dense().reshape(self.n, -1)
        return flat @ flat.T


# --------------------------------------------------------------------------- recursions
def _range_coords(retain: HessianFamily, forget: HessianFamily, alpha: float):
    """Coordinates of the range of :math:`(1-\\alpha)H_r + \\alpha H_f` (index array when diagonal)."""
    d = retain.d
    if retain.is_diagonal and forget.is_diagonal:
        mass = (1 - alpha) * retain.diagonals.sum(axis=0) + alpha * forget.diagonals.sum(axis=0)
        keep = np.flatnonzero(mass > 1e-12 * max(mass.max(), np.finfo(float).tiny))
        return None if keep.size == d else keep
    S = (1 - alpha) * retain.mean + alpha * forget.mean
    w, V = np.linalg.eigh(S)
    keep = np.abs(w) > 1e-10 * max(np.abs(w).max(), np.finfo(float).tiny)
    return None if keep.all() else V[:, keep]


def _restrict(fam: HessianFamily, coords):
    if coords is None:
        return fam
    if coords.ndim == 1:
        return fam.select_coordinates(coords)
    return fam.project(coords)


def mixed_recursion(retain, forget, alpha: float, batch: int, sampling: str = "independent_bernoulli",
                    restrict_to_range: bool = True) -> LinearRecursion:
    """The linearised descent–ascent recursion :math:`J = I - \\eta(1-\\alpha)\\hat H^r + \\eta\\alpha\\hat H^f`.

    Parameters
    ----------
    retain, forget : HessianFamily or array ((n, d) rank-one factors or (n, d, d) stack)
        Per-sample Hessians of the retain and forget sets at the pre-trained minimum (PSD).
    alpha : float in [0, 1]
        Mixing (forget) weight.
    batch : int
        ``B``; ``1 <= B <= min(n_r, n_f)`` for the two independent models, ``1 <= B <= n_r n_f`` for
        ``pair_bernoulli``.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}
    restrict_to_range : bool
        Work on the range of :math:`(1-\\alpha)H_r + \\alpha H_f` (``coords`` attribute of the result).

    Returns
    -------
    LinearRecursion
        Its ``growth(lr)`` is the exact mean-square factor :math:`\\rho(T)` (see the module notes).
    """
    retain = as_family(retain, "retain")
    forget = as_family(forget, "forget")
    if retain.d != forget.d:
        raise ValueError(f"retain and forget must have the same dimension d; got {retain.d} and {forget.d}")
    alpha = check_unit_interval(alpha, "alpha")
    sampling = check_mixed_sampling(sampling)
    coords = _range_coords(retain, forget, alpha) if restrict_to_range else None
    if coords is not None and (coords.size == 0 if coords.ndim == 1 else coords.shape[1] == 0):
        raise ValueError("retain and forget Hessians (weighted by alpha) are all zero: nothing to analyse")
    r, f = _restrict(retain, coords), _restrict(forget, coords)
    if sampling == "pair_bernoulli":
        N = r.n * f.n
        B = check_batch(batch, N, "batch")
        rec = LinearRecursion([Term(PairFamily(r, f, alpha), 1.0, SamplingModel("bernoulli", N, B))],
                              restrict_to_range=False)
    else:
        B = check_batch(batch, min(r.n, f.n), "batch")
        model = "bernoulli" if sampling == "independent_bernoulli" else "without_replacement"
        rec = LinearRecursion([Term(r, 1.0 - alpha, SamplingModel(model, r.n, B)),
                               Term(f, -alpha, SamplingModel(model, f.n, B))], restrict_to_range=False)
    rec.coords = coords
    rec.sampling = sampling
    rec.alpha = alpha
    rec.batch = B
    return rec


def mixed_hessian(retain, forget, alpha: float) -> np.ndarray:
    """The signed mean :math:`\\bar D = (1-\\alpha)H_r - \\alpha H_f` (Chang & Khanna 2026). [paper]"""
    retain, forget = as_family(retain, "retain"), as_family(forget, "forget")
    a = check_unit_interval(alpha, "alpha")
    return (1 - a) * retain.mean - a * forget.mean


def mixed_growth(retain, forget, lr: float, batch: int, alpha: float, sampling: str = "independent_bernoulli") -> float:
    """Exact mean-square growth factor :math:`\\rho(T)`; ``> 1`` means unlearning escapes (mean-square)."""
    return mixed_recursion(retain, forget, alpha, batch, sampling).growth(check_positive(lr, "lr"))


def mixed_critical_lr(retain, forget, batch: int, alpha: float, sampling: str = "independent_bernoulli") -> float:
    """Critical step size :math:`\\eta^*` (mean-square): escapes iff :math:`\\eta > \\eta^*`.

    ``0.0`` when unlearning escapes for every :math:`\\eta > 0` (e.g. forget curvature outside the
    retain range makes :math:`\\lambda_{\\min}(\\bar D) < 0`), ``inf`` when it never escapes.
    :math:`(\\rho(T(\\eta)) - 1)/\\eta` is non-decreasing, so the escape set in :math:`\\eta` is
    :math:`(\\eta^*, \\infty)`. [derived]
    """
    return mixed_recursion(retain, forget, alpha, batch, sampling).critical_lr()


def _alpha_growth(retain, forget, lr, batch, sampling):
    return lambda a: mixed_recursion(retain, forget, float(a), batch, sampling).growth(lr)


def _forget_leaves_retain_range(retain, forget, tol: float = 1e-10) -> bool:
    r"""Whether some forget curvature lies outside the range of the retain Hessians.

    Then a unit :math:`u \in \ker H_r` has :math:`u^\top H_f u > 0`, and by Jensen
    :math:`\rho(T) \ge \mathbb E[(u^\top J u)^2] \ge (1 + \eta\alpha u^\top H_f u)^2 > 1` for every
    :math:`\alpha > 0`: unlearning escapes for all positive weights. (At :math:`\alpha = 0` the growth on
    that kernel is exactly 1, which the engine's range-restricted operator does not show.)
    """
    lam, U = np.linalg.eigh(retain.mean)
    scale = max(float(np.abs(lam).max()), np.finfo(float).tiny)
    K = U[:, lam <= tol * scale]
    if K.shape[1] == 0:
        return False
    Hf = forget.mean
    return float(np.trace(K.T @ Hf @ K)) > tol * max(float(np.trace(Hf)), np.finfo(float).tiny)


def resist_interval(retain, forget, lr: float, batch: int, sampling: str = "independent_bernoulli",
                    xtol: float = 1e-10) -> tuple[float, float] | None:
    r"""The mixing weights at which the model resists unlearning (mean-square): an interval or ``None``.

    .. math:: \{\alpha \in [0, 1] : \rho(T(\alpha)) < 1\} = (\alpha_-, \alpha_+)\ \text{(or } [0, \alpha_+))

    **Convexity** [derived]: every batch model writes the step as :math:`J_\alpha = P + \alpha Q` with
    :math:`P = I - \eta\hat H^r` and :math:`Q = \eta(\hat H^r + \hat H^f) \succeq 0` (pair batches:
    the pair averages). For a symmetric :math:`V`,
    :math:`\langle V, T(\alpha)V\rangle = \mathbb E\operatorname{Tr}(VJ_\alpha VJ_\alpha)` is a quadratic
    in :math:`\alpha` with leading coefficient
    :math:`\mathbb E\|Q^{1/2}VQ^{1/2}\|_F^2 \ge 0`, and :math:`T` is self-adjoint and positive, so
    :math:`\rho(T(\alpha)) = \max_V \langle V,T(\alpha)V\rangle/\|V\|_F^2` is a maximum of convex
    functions: convex in :math:`\alpha`. Its sublevel set :math:`\{\rho < 1\}` is therefore an interval,
    found exactly: Brent roots on each side of the minimiser (bounded Brent minimisation, which is
    exact for a convex function up to ``xtol``). Since :math:`\rho(T(1)) \ge (1 + \eta\lambda_{\max}(H_f))^2 > 1`
    the interval never reaches 1. Returns ``None`` when unlearning escapes for every :math:`\alpha`.
    """
    from scipy.optimize import minimize_scalar

    lr = check_positive(lr, "lr")
    retain, forget = as_family(retain, "retain"), as_family(forget, "forget")
    if _forget_leaves_retain_range(retain, forget):
        return None
    rho = _alpha_growth(retain, forget, lr, batch, sampling)
    f = lambda a: rho(a) - 1.0  # noqa: E731
    f0 = f(0.0)
    if f0 < 0:
        if float(forget.top_eigenvalues.max()) <= 0:
            return (0.0, 1.0)
        return (0.0, float(brentq(f, 0.0, 1.0, xtol=xtol)))
    res = minimize_scalar(f, bounds=(0.0, 1.0), method="bounded", options={"xatol": xtol})
    a_min, f_min = float(res.x), float(res.fun)
    if f_min >= 0:
        return None
    return (float(brentq(f, 0.0, a_min, xtol=xtol)), float(brentq(f, a_min, 1.0, xtol=xtol)))


def critical_alpha(retain, forget, lr: float, batch: int, sampling: str = "independent_bernoulli",
                   xtol: float = 1e-10) -> float:
    r"""Mixing weight above which unlearning escapes (mean-square), for fixed :math:`\eta` and ``B``.

    .. math:: \alpha^* = \inf\{\alpha \in [0, 1] : \rho(T(\alpha')) \ge 1\ \forall \alpha' \ge \alpha\}

    By convexity of :math:`\rho(T(\alpha))` (see :func:`resist_interval`) the weights that resist form
    one interval, so :math:`\alpha^*` is its upper end: when plain SGD on the retain set is stable
    (:math:`\rho(T(0)) < 1`) the escape set is exactly :math:`[\alpha^*, 1]`; when it is not,
    :math:`\alpha^* = 0` unless a resisting window :math:`(\alpha_-, \alpha^*)` opens in between.
    ``inf`` when the forget Hessians are all zero (nothing to ascend). [derived]
    """
    retain, forget = as_family(retain, "retain"), as_family(forget, "forget")
    if float(forget.top_eigenvalues.max()) <= 0:
        return float("inf")
    iv = resist_interval(retain, forget, lr, batch, sampling, xtol)
    return 0.0 if iv is None else iv[1]


# --------------------------------------------------------------------------- verdicts
@dataclass
class EscapeVerdict:
    """One escape verdict under one notion.

    ``escapes`` is ``True`` (unlearning succeeds: divergence), ``False`` (the model resists:
    convergence) or ``None`` (Monte Carlo undecided within three standard errors).
    ``margin`` is :math:`\\log\\rho(T)` (mean-square) or the Lyapunov exponent (almost-sure): positive
    = escape, its size how far from the boundary.
    """

    notion: str
    sampling: str
    escapes: bool | None
    value: float
    margin: float
    method: str
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"notion": self.notion, "sampling": self.sampling, "escapes": self.escapes, "value": self.value,
                "margin": self.margin, "method": self.method, **self.detail}


def escape_verdicts(retain, forget, lr: float, batch: int, alpha: float, sampling: str = "independent_bernoulli",
                    rng=None, steps: int = 400, runs: int = 128, lyapunov: str = "auto") -> dict[str, EscapeVerdict]:
    """Escape verdicts under both notions: ``{"mean-square": ..., "almost-sure": ...}``.

    Mean-square: exact :math:`\\rho(T)`. Almost-sure: the exact Lyapunov exponent for diagonal families
    with equal member values per coordinate and the two independent models (:func:`diagonal_lyapunov`),
    otherwise :func:`~rmtcheck.dynamics.montecarlo.simulate` (``lyapunov="mc"`` forces it, ``"none"``
    skips it).
    """
    lr = check_positive(lr, "lr")
    rec = mixed_recursion(retain, forget, alpha, batch, sampling)
    rho = rec.growth(lr)
    out = {"mean-square": EscapeVerdict("mean-square", sampling, bool(rho > 1.0), rho, float(np.log(rho)) if rho > 0 else -np.inf,
                                        "exact", {"ms_growth": rho})}
    if lyapunov == "none":
        return out
    lam = None
    if lyapunov == "auto" and sampling != "pair_bernoulli":
        try:
            lam = diagonal_lyapunov(retain, forget, lr, batch, alpha, sampling)
        except ValueError:
            lam = None
    if lam is not None:
        esc = None if lam == 0.0 else bool(lam > 0)
        out["almost-sure"] = EscapeVerdict("almost-sure", sampling, esc, lam, lam, "exact", {"lyapunov": lam})
    else:
        res = simulate(rec, lr, steps=steps, runs=runs, rng=rng)
        lam, se = res.lyapunov, res.lyapunov_stderr
        esc = True if lam - 3 * se > 0 else (False if lam + 3 * se < 0 else None)
        out["almost-sure"] = EscapeVerdict("almost-sure", sampling, esc, lam, lam, "monte-carlo",
                                           {"lyapunov": lam, "lyapunov_stderr": se, "steps": steps, "runs": runs})
    return out


def _count_pmf(model: str, n: int, s: int, B: int) -> np.ndarray:
    """pmf of the number of batch members among ``s`` marked members out of ``n``."""
    from scipy.stats import binom, hypergeom

    k = np.arange(s + 1)
    if model == "bernoulli":
        return binom.pmf(k, s, B / n)
    return hypergeom.pmf(k, n, s, B)


def diagonal_lyapunov(retain, forget, lr: float, batch: int, alpha: float,
                      sampling: str = "independent_bernoulli") -> float:
    """Exact top Lyapunov exponent for diagonal families with one member value per coordinate.

    For diagonal members, :math:`J` is diagonal and coordinate ``c`` evolves by the scalar
    :math:`J_{cc} = 1 - \\eta(1-\\alpha) m^r_c K^r_c/B + \\eta\\alpha m^f_c K^f_c / B` with the batch counts
    :math:`K^r_c, K^f_c` of the members that touch ``c`` (Binomial under ``independent_bernoulli``,
    hypergeometric under ``without_replacement``, independent of each other). By the law of large
    numbers the exponent of coordinate ``c`` is :math:`\\mathbb E\\log|J_{cc}|`, and the top exponent is
    the maximum over coordinates that carry curvature (``-inf`` when :math:`J_{cc} = 0` has positive
    probability everywhere). [derived] Raises ``ValueError`` when a family is not diagonal or a
    coordinate's nonzero member values differ (use the Monte Carlo then).
    """
    lr = check_positive(lr, "lr")
    sampling = check_mixed_sampling(sampling)
    if sampling == "pair_bernoulli":
        raise ValueError("diagonal_lyapunov supports sampling 'independent_bernoulli' and 'without_replacement'")
    retain, forget = as_family(retain, "retain"), as_family(forget, "forget")
    a = check_unit_interval(alpha, "alpha")
    if not (retain.is_diagonal and forget.is_diagonal):
        raise ValueError("diagonal_lyapunov needs diagonal families")
    B = check_batch(batch, min(retain.n, forget.n), "batch")
    model = "bernoulli" if sampling == "independent_bernoulli" else "without_replacement"
    Dr, Df = retain.diagonals, forget.diagonals
    sig = []
    for D in (Dr, Df):
        cnt = np.count_nonzero(D, axis=0)
        mx = np.max(np.abs(D), axis=0)
        mn = np.where(D != 0, np.abs(D), np.inf).min(axis=0)
        if np.any((cnt > 0) & (mx - mn > 1e-12 * mx)):
            c = int(np.flatnonzero((cnt > 0) & (mx - mn > 1e-12 * mx))[0])
            raise ValueError(f"coordinate {c} has unequal member values; use the Monte Carlo")
        sig += [cnt, np.where(cnt > 0, D.max(axis=0), 0.0)]
    sig = np.stack(sig, axis=1)  # (d, 4): s_r, m_r, s_f, m_f — coordinates with equal rows are equivalent
    best = -np.inf
    for sr, mr, sf, mf in np.unique(sig, axis=0):
        sr, sf = int(sr), int(sf)
        if (1 - a) * sr * mr == 0 and a * sf * mf == 0:
            continue  # no curvature on c: J_cc = 1
        pr = _count_pmf(model, retain.n, sr, B)
        pf = _count_pmf(model, forget.n, sf, B)
        J = 1 - lr * (1 - a) * mr * np.arange(sr + 1)[:, None] / B + lr * a * mf * np.arange(sf + 1)[None, :] / B
        P = pr[:, None] * pf[None, :]
        pos = P > 0
        if np.any(pos & (np.abs(J) <= 1e-15)):
            val = -np.inf
        else:
            val = float(np.sum(P[pos] * np.log(np.abs(J[pos]))))
        best = max(best, val)
    return float(best) if best > -np.inf else (-np.inf if sig[:, [0, 2]].any() else 0.0)


# --------------------------------------------------------------------------- non-interpolating optimum
class NoisyMixedDynamics:
    """Descent–ascent at a non-interpolating optimum: :math:`\\delta_{k+1} = J_k\\delta_k - \\eta\\hat g_k`.

    :math:`\\hat g_k = (1-\\alpha)\\sum_i c^r_i g^r_i - \\alpha\\sum_j c^f_j g^f_j` uses the same batch as
    :math:`J_k`, with per-sample gradients :math:`g_i = \\nabla\\ell_i(w^*)` not all zero (reviewers of
    Chang & Khanna 2026 noted the interpolation assumption). Writing :math:`m_k = \\mathbb E\\delta_k` and
    :math:`M_k = \\mathbb E\\delta_k\\delta_k^\\top`, [derived; ``proofs/unlearn_noise.py``]

    .. math::

        m_{k+1} &= (I-\\eta\\bar D)m_k - \\eta\\bar g,\\\\
        M_{k+1} &= T(M_k) - \\eta\\big(P(m_k) + P(m_k)^\\top\\big) + \\eta^2 Q,\\qquad
        P(m) = m\\bar g^\\top - \\eta\\,\\mathbb E[\\hat H m \\hat g^\\top],\\quad Q = \\mathbb E[\\hat g\\hat g^\\top],

    with :math:`\\mathbb E[\\hat H m\\hat g^\\top] = \\bar D m\\bar g^\\top + \\sum_t w_t^2[\\kappa_t\\bar H_t m\\bar g_t^\\top
    + \\nu_t\\sum_i H_{t,i} m g_{t,i}^\\top]` and
    :math:`Q = \\bar g\\bar g^\\top + \\sum_t w_t^2[\\kappa_t\\bar g_t\\bar g_t^\\top + \\nu_t\\sum_i g_{t,i}g_{t,i}^\\top]`.
    The map :math:`(M, m, 1)\\mapsto(M', m', 1)` is linear and block triangular with diagonal blocks
    :math:`T`, :math:`I - \\eta\\bar D` and 1, so its growth is :math:`\\max(\\rho(T), 1)`
    (:math:`|1-\\eta\\lambda(\\bar D)|^2 \\le \\rho(T)` by Jensen): **the divergence threshold is that of**
    :math:`T` **(unchanged)**, while for :math:`\\rho(T) < 1` the second moment converges to the fixed
    point :math:`M_\\infty \\ne 0` (**bounded, not convergent to 0**).

    Supported samplings: ``independent_bernoulli`` and ``without_replacement``. Gradients must lie in
    the range of :math:`(1-\\alpha)H_r + \\alpha H_f` (a component outside it performs a random walk,
    whose second moment grows linearly); MSE gradients :math:`r_i x_i` with Hessians
    :math:`x_i x_i^\\top` always do.
    """

    def __init__(self, retain, forget, retain_grads, forget_grads, alpha: float, batch: int,
                 sampling: str = "independent_bernoulli"):
        if check_mixed_sampling(sampling) == "pair_bernoulli":
            raise ValueError("NoisyMixedDynamics supports sampling 'independent_bernoulli' and 'without_replacement'")
        retain, forget = as_family(retain, "retain"), as_family(forget, "forget")
        gr = as_finite_array(retain_grads, "retain_grads", ndim=2)
        gf = as_finite_array(forget_grads, "forget_grads", ndim=2)
        if gr.shape != (retain.n, retain.d):
            raise ValueError(f"retain_grads must have shape {(retain.n, retain.d)}; got {gr.shape}")
        if gf.shape != (forget.n, forget.d):
            raise ValueError(f"forget_grads must have shape {(forget.n, forget.d)}; got {gf.shape}")
        self.rec = mixed_recursion(retain, forget, alpha, batch, sampling)
        coords = self.rec.coords
        if coords is not None:
            U = np.eye(retain.d)[:, coords] if coords.ndim == 1 else coords
            pr, pf = gr @ U, gf @ U
            off = max(np.linalg.norm(gr - pr @ U.T), np.linalg.norm(gf - pf @ U.T))
            scale = max(np.linalg.norm(gr), np.linalg.norm(gf), np.finfo(float).tiny)
            if off > 1e-9 * scale:
                raise ValueError(
                    f"gradients have a component of norm {off:.3g} outside the range of the Hessians; "
                    "there the dynamics are a random walk (second moment grows linearly) — project them first")
            gr, gf = pr, pf
        self.alpha = self.rec.alpha
        self.grads = (gr, gf)
        w = (1 - self.alpha, -self.alpha)
        self.gbar = w[0] * gr.mean(axis=0) + w[1] * gf.mean(axis=0)
        Q = np.outer(self.gbar, self.gbar)
        for t, g, wt in zip(self.rec.terms, self.grads, w):
            gm = g.mean(axis=0)
            Q += wt * wt * (t.model.kappa * np.outer(gm, gm) + t.model.nu * (g.T @ g))
        self.Q = Q
        self.d = self.rec.d

    def _EHmg(self, m: np.ndarray) -> np.ndarray:
        out = np.outer(self.rec.mean @ m, self.gbar)
        for t, g in zip(self.rec.terms, self.grads):
            fam = t.family
            wt2 = t.weight * t.weight
            if fam.is_rank_one:
                Hm_i = fam.factors * (fam.factors @ m)[:, None]
            else:
                Hm_i = fam.stack @ m
            out += wt2 * (t.model.kappa * np.outer(fam.mean @ m, g.mean(axis=0)) + t.model.nu * (Hm_i.T @ g))
        return out

    def step(self, M: np.ndarray, m: np.ndarray, lr: float, c: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """One exact step of the affine moment map :math:`(M_k, m_k) \\mapsto (M_{k+1}, m_{k+1})`.

        ``c`` scales the forcing (the third coordinate of the homogeneous form :math:`(M, m, c)`).
        """
        P = np.outer(m, self.gbar) - lr * self._EHmg(m)
        M2 = self.rec.apply(M, lr) - lr * (P + P.T) + (c * lr * lr) * self.Q
        m2 = m - lr * (self.rec.mean @ m) - (c * lr) * self.gbar
        return 0.5 * (M2 + M2.T), m2

    def log_second_moment(self, lr: float, steps: int, M0=None, m0=None) -> np.ndarray:
        """:math:`\\log\\mathbb E\\|\\delta_k\\|^2` for ``k = 0..steps``, overflow-safe.

        Iterates the homogeneous form :math:`(M, m, c)` of the affine map, renormalising by the trace
        and accumulating the logarithm, so divergent runs never overflow.
        """
        lr = check_positive(lr, "lr")
        M = np.eye(self.d) if M0 is None else np.array(M0, dtype=float)
        m = np.zeros(self.d) if m0 is None else np.array(m0, dtype=float)
        c, acc = 1.0, 0.0
        out = [float(np.log(np.trace(M)))]
        for _ in range(check_int(steps, "steps", 1)):
            M, m = self.step(M, m, lr, c)
            tr = float(np.trace(M))
            if tr <= 0:
                raise RuntimeError("non-positive second-moment trace (round-off); use fewer steps")
            acc += np.log(tr)
            out.append(acc)
            M, m, c = M / tr, m / tr, c / tr
        return np.array(out)

    def iterate(self, lr: float, steps: int, M0=None, m0=None) -> np.ndarray:
        """:math:`\\mathbb E\\|\\delta_k\\|^2 = \\operatorname{Tr} M_k` for ``k = 0..steps`` (exact moments)."""
        lr = check_positive(lr, "lr")
        M = np.eye(self.d) if M0 is None else np.array(M0, dtype=float)
        m = np.zeros(self.d) if m0 is None else np.array(m0, dtype=float)
        out = [float(np.trace(M))]
        for _ in range(check_int(steps, "steps", 1)):
            M, m = self.step(M, m, lr)
            out.append(float(np.trace(M)))
        return np.array(out)

    def stationary(self, lr: float) -> tuple[np.ndarray, np.ndarray]:
        """The fixed point :math:`(M_\\infty, m_\\infty)` for :math:`\\rho(T) < 1` (``ValueError`` otherwise).

        :math:`m_\\infty = -\\bar D^{-1}\\bar g` and :math:`(I - T)M_\\infty = -\\eta(P + P^\\top) + \\eta^2 Q`,
        solved by conjugate gradients (:math:`I - T` is Frobenius-symmetric positive definite when
        :math:`\\rho(T) < 1`).
        """
        lr = check_positive(lr, "lr")
        rho = self.rec.growth(lr)
        if not rho < 1:
            raise ValueError(f"no stationary second moment: rho(T) = {rho:.6g} >= 1 at lr={lr}")
        m = -np.linalg.solve(self.rec.mean, self.gbar)
        P = np.outer(m, self.gbar) - lr * self._EHmg(m)
        R = -lr * (P + P.T) + lr * lr * self.Q
        d = self.d

        def mv(x):
            X = x.reshape(d, d)
            X = 0.5 * (X + X.T)
            return (X - self.rec.apply(X, lr)).ravel()

        op = LinearOperator((d * d, d * d), matvec=mv, dtype=float)
        x, info = cg(op, R.ravel(), rtol=1e-13, atol=0.0, maxiter=100 * d * d + 1000)
        if info != 0:  # pragma: no cover
            raise RuntimeError(f"CG did not converge for the stationary second moment (info={info})")
        X = x.reshape(d, d)
        return 0.5 * (X + X.T), m

    def simulate(self, lr: float, steps: int = 400, runs: int = 256, rng=None) -> np.ndarray:
        """Monte Carlo :math:`\\overline{\\|\\delta_k\\|^2}` over ``runs`` paths from :math:`\\delta_0 \\sim N(0, I)`."""
        lr = check_positive(lr, "lr")
        rng = as_generator(rng)
        runs = check_int(runs, "runs", 1)
        X = rng.standard_normal((runs, self.d))
        out = [float(np.mean(np.sum(X * X, axis=1)))]
        for _ in range(check_int(steps, "steps", 1)):
            step = np.zeros_like(X)
            for t, g in zip(self.rec.terms, self.grads):
                C = t.model.draw(rng, runs)
                step += t.weight * (t.family.weighted_apply(C, X) + C @ g)
            X = X - lr * step
            out.append(float(np.mean(np.sum(X * X, axis=1))))
        return np.array(out)
