"""Descent–ascent unlearning: exact mixed second-moment operators, escape verdicts, critical α and η.

Following [1]_: starting at a pre-trained minimum :math:`w^*` of retain :math:`\\cup` forget,
descent–ascent unlearning with mixing weight :math:`\\alpha` linearises to
:math:`\\delta_{k+1} = J_k\\delta_k` with [paper]

.. math::

    J_k = I - \\eta(1-\\alpha)\\hat H^r_k + \\eta\\alpha\\hat H^f_k ,\\qquad
    \\mathbb E J_k = I - \\eta\\bar D,\\quad \\bar D = (1-\\alpha)H_r - \\alpha H_f .

**Unlearning succeeds (the iterate escapes the old minimum) when these dynamics diverge; the model
resists when they converge.** Two notions, never mixed in one verdict:

* ``mean-square``: :math:`\\rho(T) > 1` for :math:`T(M) = \\mathbb E[J M J]` (exact, matrix-free);
* ``almost-sure``: top Lyapunov exponent :math:`> 0` (Monte Carlo; exact for diagonal constructions
  through :func:`diagonal_lyapunov`).

Batch models (names as in :data:`rmtcheck.stability.sampling.MIXED_SAMPLINGS`) [derived;
``proofs/chang_khanna_three_axis.py``, items 2–4, and ``proofs/sgd_operator.py`` for the per-family
coefficients]:

``independent_bernoulli``
    retain members in the batch with probability :math:`B/n_r`, forget members with :math:`B/n_f`,
    independently; two terms of :class:`~rmtcheck.stability.operator.LinearRecursion`:

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

The non-interpolating extension (:class:`~rmtcheck.stability.noisy_unlearning.NoisyMixedDynamics`)
adds the per-sample gradients at :math:`w^*`: :math:`\\delta_{k+1} = J_k\\delta_k - \\eta\\hat g_k`.
[derived; ``proofs/chang_khanna_noise.py``] Its second moment is an affine map whose linear part is the
same :math:`T`, so the divergence threshold is unchanged, while below it :math:`\\mathbb E\\|\\delta_k\\|^2`
tends to a positive limit instead of 0.

Argument order of the public functions: ``(retain, forget, lr, batch, *, alpha, sampling)``; without a
step size, ``(retain, forget, batch, *, alpha, sampling)``.

References
----------
.. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.threads import with_blas_policy
from rmtcheck._lib.validation import check_batch, check_int, check_positive, check_unit_interval
from rmtcheck.stability.families import as_family_pair
from rmtcheck.stability.montecarlo import simulate
from rmtcheck.stability.operator import LinearRecursion, Term
from rmtcheck.stability.pairs import PairFamily
from rmtcheck.stability.sampling import SamplingModel, check_mixed_sampling

_optimize = lazy_module("scipy.optimize")

__all__ = [
    "mixed_recursion", "mixed_hessian", "mixed_growth", "mixed_critical_lr", "critical_alpha",
    "resist_interval", "EscapeVerdict", "escape_verdicts", "diagonal_lyapunov",
]


# --------------------------------------------------------------------------- the pair family


# --------------------------------------------------------------------------- recursions

@with_blas_policy
def mixed_recursion(retain, forget, batch: int, *, alpha: float, sampling: str = "independent_bernoulli",
                    restrict_to_range: bool = True) -> LinearRecursion:
    """The linearised descent–ascent recursion :math:`J = I - \\eta(1-\\alpha)\\hat H^r + \\eta\\alpha\\hat H^f`.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians of the retain and forget sets at the pre-trained minimum (PSD):
        ``(n, d)`` rank-one factors or ``(n, d, d)`` stacks, of the same dimension ``d``.
    batch : int
        ``B``; ``1 <= B <= min(n_r, n_f)`` for the two independent models, ``1 <= B <= n_r n_f`` for
        ``pair_bernoulli``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model (keyword-only; module notes).
    restrict_to_range : bool, default True
        Work on the range of :math:`(1-\\alpha)H_r + \\alpha H_f` (``coords`` attribute of the result).

    Returns
    -------
    LinearRecursion
        Its ``growth(lr)`` is the exact mean-square factor :math:`\\rho(T)` (see the module notes), its
        ``critical_lr()`` the step size above which unlearning escapes.

    Raises
    ------
    ValueError
        If the dimensions differ, ``alpha`` is not in :math:`[0, 1]`, ``sampling`` is unknown,
        ``batch`` is out of range, or both families (weighted by :math:`\\alpha`) are all zero.

    See Also
    --------
    mixed_growth, mixed_critical_lr, rmtcheck.stability.operator.sgd_recursion

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> rec = mixed_recursion(R, F, 4, alpha=0.2)
    >>> rec.range_dim, round(rec.growth(0.3), 6), round(rec.critical_lr(), 6)
    (5, 0.993893, 0.4981)
    >>> pairs = mixed_recursion(R, F, 4, alpha=0.2, sampling="pair_bernoulli")
    >>> round(pairs.growth(0.3), 6)
    0.993903
    """
    retain, forget = as_family_pair(retain, forget)
    if retain.d != forget.d:
        raise ValueError(f"retain and forget must have the same dimension d; got {retain.d} and {forget.d}")
    alpha = check_unit_interval(alpha, "alpha")
    sampling = check_mixed_sampling(sampling)
    if sampling == "pair_bernoulli":
        N = retain.n * forget.n
        B = check_batch(batch, N, "batch")
        terms = [Term(PairFamily(retain, forget, alpha=alpha), 1.0, SamplingModel("bernoulli", N, B))]
    else:
        B = check_batch(batch, min(retain.n, forget.n), "batch")
        model = "bernoulli" if sampling == "independent_bernoulli" else "without_replacement"
        terms = [Term(retain, 1.0 - alpha, SamplingModel(model, retain.n, B)),
                 Term(forget, -alpha, SamplingModel(model, forget.n, B))]
    rec = LinearRecursion(terms, restrict_to_range, sampling=sampling, alpha=alpha, batch=B)
    if rec.d == 0:
        raise ValueError("retain and forget Hessians (weighted by alpha) are all zero: nothing to analyse")
    return rec


def mixed_hessian(retain, forget, *, alpha: float) -> np.ndarray:
    """The signed mean Hessian :math:`\\bar D = (1-\\alpha)H_r - \\alpha H_f` of descent–ascent. [paper]

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.

    Returns
    -------
    ndarray of shape (d, d)
        Symmetric, indefinite in general; :math:`\\mathbb E J = I - \\eta\\bar D`.

    Raises
    ------
    ValueError
        If ``alpha`` is not in :math:`[0, 1]` or an input is not a valid family.

    See Also
    --------
    rmtcheck.stability.three_axis.mixed_spectrum : Its eigenvalues.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> mixed_hessian(np.eye(2)[:1], np.eye(2)[1:], alpha=0.25).tolist()
    [[0.75, 0.0], [0.0, -0.25]]
    """
    retain, forget = as_family_pair(retain, forget)
    a = check_unit_interval(alpha, "alpha")
    return (1 - a) * retain.mean - a * forget.mean


@with_blas_policy
def mixed_growth(retain, forget, lr: float, batch: int, *, alpha: float, sampling: str = "independent_bernoulli") -> float:
    """Exact mean-square growth factor :math:`\\rho(T)` of descent–ascent; ``> 1`` means unlearning escapes.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians (``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks).
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` (range as in :func:`mixed_recursion`).
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.

    Returns
    -------
    float
        :math:`\\rho(T)` on the range of :math:`(1-\\alpha)H_r + \\alpha H_f`. Notion: mean-square.

    Raises
    ------
    ValueError
        For invalid families, ``lr``, ``batch``, ``alpha`` or ``sampling`` (see :func:`mixed_recursion`).

    See Also
    --------
    mixed_recursion, escape_verdicts, rmtcheck.stability.operator.ms_growth

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> round(mixed_growth(R, F, 0.3, 4, alpha=0.2), 6)                     # resists
    0.993893
    >>> round(mixed_growth(R, F, 0.3, 4, alpha=0.2, sampling="without_replacement"), 6)
    0.992044
    >>> round(mixed_growth(R, F, 0.3, 4, alpha=0.6), 6)                     # escapes
    1.727287
    """
    return mixed_recursion(retain, forget, batch, alpha=alpha, sampling=sampling).growth(check_positive(lr, "lr"))


@with_blas_policy
def mixed_critical_lr(retain, forget, batch: int, *, alpha: float, sampling: str = "independent_bernoulli") -> float:
    """Critical step size :math:`\\eta^*` (mean-square): unlearning escapes iff :math:`\\eta > \\eta^*`.

    :math:`(\\rho(T(\\eta)) - 1)/\\eta` is non-decreasing, so the escape set in :math:`\\eta` is
    :math:`(\\eta^*, \\infty)`. [derived; module notes of :mod:`rmtcheck.stability.operator`]

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians (``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks).
    batch : int
        Batch size ``B`` (range as in :func:`mixed_recursion`).
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.

    Returns
    -------
    float
        :math:`\\eta^*`. ``0.0`` when unlearning escapes for every :math:`\\eta > 0` (e.g. forget
        curvature outside the retain range makes :math:`\\lambda_{\\min}(\\bar D) < 0`; mean part of
        ``proofs/chang_khanna_dexter_conditions.py``), ``inf`` when it never escapes.

    Raises
    ------
    ValueError
        For invalid families, ``batch``, ``alpha`` or ``sampling`` (see :func:`mixed_recursion`).

    See Also
    --------
    critical_alpha, rmtcheck.stability.operator.LinearRecursion.critical_lr

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> [round(mixed_critical_lr(R, F, 4, alpha=0.2, sampling=s), 6)
    ...  for s in ("independent_bernoulli", "pair_bernoulli", "without_replacement")]
    [0.4981, 0.479931, 0.606104]
    >>> mixed_critical_lr(np.eye(2)[:1], np.eye(2)[1:], 1, alpha=0.5)   # forget curvature off the retain range
    0.0
    """
    return mixed_recursion(retain, forget, batch, alpha=alpha, sampling=sampling).critical_lr()


def _alpha_growth(retain, forget, lr, batch, sampling):
    return lambda a: mixed_recursion(retain, forget, batch, alpha=float(a), sampling=sampling).growth(lr)


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


@with_blas_policy
def resist_interval(retain, forget, lr: float, batch: int, *, sampling: str = "independent_bernoulli",
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
    the interval never reaches 1. When some forget curvature lies outside the range of the retain
    Hessians, unlearning escapes for every :math:`\alpha > 0` (Jensen on a kernel direction of
    :math:`H_r`; the orthogonal case of ``proofs/chang_khanna_tightness.py``) and ``None`` is returned
    without a search.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians (``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks).
    lr : float
        Step size :math:`\eta > 0`.
    batch : int
        Batch size ``B`` (range as in :func:`mixed_recursion`).
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.
    xtol : float, default 1e-10
        Absolute tolerance on :math:`\alpha` of the Brent searches.

    Returns
    -------
    tuple of float or None
        :math:`(\alpha_-, \alpha_+)` (with :math:`\alpha_- = 0` when plain SGD on the retain set is
        stable; ``(0.0, 1.0)`` when the forget Hessians are all zero), or ``None`` when unlearning
        escapes for every :math:`\alpha`.

    Raises
    ------
    ValueError
        For invalid families, ``lr``, ``batch`` or ``sampling`` (see :func:`mixed_recursion`).

    See Also
    --------
    critical_alpha : The upper end :math:`\alpha_+`.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> [round(a, 6) for a in resist_interval(R, F, 0.3, 4)]     # retain SGD stable: starts at 0
    [0.0, 0.206029]
    >>> [round(a, 6) for a in resist_interval(R, F, 0.7, 4)]     # retain SGD unstable: a window
    [0.039048, 0.187057]
    >>> resist_interval(R, F, 0.9, 4) is None                      # escapes for every alpha
    True
    """
    from scipy.optimize import minimize_scalar

    lr = check_positive(lr, "lr")
    retain, forget = as_family_pair(retain, forget)
    if _forget_leaves_retain_range(retain, forget):
        return None
    rho = _alpha_growth(retain, forget, lr, batch, sampling)
    f = lambda a: rho(a) - 1.0  # noqa: E731
    f0 = f(0.0)
    if f0 < 0:
        if float(forget.top_eigenvalues.max()) <= 0:
            return (0.0, 1.0)
        return (0.0, float(_optimize.brentq(f, 0.0, 1.0, xtol=xtol)))
    res = minimize_scalar(f, bounds=(0.0, 1.0), method="bounded", options={"xatol": xtol})
    a_min, f_min = float(res.x), float(res.fun)
    if f_min >= 0:
        return None
    return (float(_optimize.brentq(f, 0.0, a_min, xtol=xtol)), float(_optimize.brentq(f, a_min, 1.0, xtol=xtol)))


@with_blas_policy
def critical_alpha(retain, forget, lr: float, batch: int, *, sampling: str = "independent_bernoulli",
                   xtol: float = 1e-10) -> float:
    r"""Mixing weight above which unlearning escapes (mean-square), for fixed :math:`\eta` and ``B``.

    .. math:: \alpha^* = \inf\{\alpha \in [0, 1] : \rho(T(\alpha')) \ge 1\ \forall \alpha' \ge \alpha\}

    By convexity of :math:`\rho(T(\alpha))` (see :func:`resist_interval`) the weights that resist form
    one interval, so :math:`\alpha^*` is its upper end: when plain SGD on the retain set is stable
    (:math:`\rho(T(0)) < 1`) the escape set is exactly :math:`[\alpha^*, 1]`; when it is not,
    :math:`\alpha^* = 0` unless a resisting window :math:`(\alpha_-, \alpha^*)` opens in between.
    ``inf`` when the forget Hessians are all zero (nothing to ascend). [derived]

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians (``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks).
    lr : float
        Step size :math:`\eta > 0`.
    batch : int
        Batch size ``B`` (range as in :func:`mixed_recursion`).
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.
    xtol : float, default 1e-10
        Absolute tolerance on :math:`\alpha`.

    Returns
    -------
    float
        :math:`\alpha^* \in [0, 1)`, or ``inf`` when there is nothing to ascend.

    Raises
    ------
    ValueError
        For invalid families, ``lr``, ``batch`` or ``sampling`` (see :func:`mixed_recursion`).

    See Also
    --------
    resist_interval, mixed_critical_lr

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> round(critical_alpha(R, F, 0.3, 4), 6)
    0.206029
    >>> critical_alpha(R, F, 0.9, 4)                  # escapes for every alpha
    0.0
    """
    retain, forget = as_family_pair(retain, forget)
    if float(forget.top_eigenvalues.max()) <= 0:
        return float("inf")
    iv = resist_interval(retain, forget, lr, batch, sampling=sampling, xtol=xtol)
    return 0.0 if iv is None else iv[1]


# --------------------------------------------------------------------------- verdicts
@dataclass
class EscapeVerdict:
    """One escape verdict under one notion (see :func:`escape_verdicts`).

    Attributes
    ----------
    notion : {"mean-square", "almost-sure"}
        The notion of stability the verdict is about.
    sampling : str
        The batch model.
    escapes : bool or None
        ``True`` (unlearning succeeds: divergence), ``False`` (the model resists: convergence) or
        ``None`` (Monte Carlo undecided within three standard errors, or a Lyapunov exponent of
        exactly 0).
    value : float
        :math:`\\rho(T)` (mean-square) or the top Lyapunov exponent (almost-sure).
    margin : float
        :math:`\\log\\rho(T)` (mean-square) or the Lyapunov exponent (almost-sure): positive = escape, its
        size how far from the boundary.
    method : {"exact", "monte-carlo"}
        How ``value`` was obtained.
    detail : dict
        Extra numbers (``ms_growth``; ``lyapunov``, ``lyapunov_stderr``, ``steps``, ``runs``).
    """

    notion: str
    sampling: str
    escapes: bool | None
    value: float
    margin: float
    method: str
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A flat dict: the fields with ``detail`` merged in."""
        return {"notion": self.notion, "sampling": self.sampling, "escapes": self.escapes, "value": self.value,
                "margin": self.margin, "method": self.method, **self.detail}


@with_blas_policy
def escape_verdicts(retain, forget, lr: float, batch: int, *, alpha: float, sampling: str = "independent_bernoulli",
                    rng=None, steps: int = 400, runs: int = 128, lyapunov: str = "auto") -> dict[str, EscapeVerdict]:
    """Escape verdicts of descent–ascent unlearning under both notions, never mixed.

    Mean-square: exact :math:`\\rho(T)`. Almost-sure: the exact Lyapunov exponent for diagonal families
    with equal member values per coordinate and the two independent models (:func:`diagonal_lyapunov`),
    otherwise :func:`~rmtcheck.stability.montecarlo.simulate` (``lyapunov="mc"`` forces it, ``"none"``
    skips it). The two can disagree: mean-square divergence does not imply sample-path divergence.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians (``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks).
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` (range as in :func:`mixed_recursion`).
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.
    rng : None, int, SeedSequence or Generator, optional
        Seed of the Monte Carlo.
    steps, runs : int, default 400 and 128
        Size of the Monte Carlo.
    lyapunov : {"auto", "mc", "none"}, default "auto"
        How to obtain the almost-sure verdict (see above).

    Returns
    -------
    dict of str to EscapeVerdict
        ``{"mean-square": ..., "almost-sure": ...}`` (only ``"mean-square"`` for ``lyapunov="none"``).

    Raises
    ------
    ValueError
        For invalid families, ``lr``, ``batch``, ``alpha``, ``sampling``, ``steps``, ``runs`` or ``rng``.

    See Also
    --------
    mixed_growth, diagonal_lyapunov, rmtcheck.stability.report.analyse

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    Diagonal families: both notions exact, and they disagree (mean-square escape, almost-sure
    resistance).

    >>> import numpy as np
    >>> R = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> F = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> v = escape_verdicts(R, F, 2.0, 2, alpha=0.4)
    >>> [(k, e.escapes, round(e.value, 4), e.method) for k, e in v.items()]
    [('mean-square', True, 1.1222, 'exact'), ('almost-sure', False, -0.2376, 'exact')]

    General families: the almost-sure verdict comes from the Monte Carlo.

    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> v = escape_verdicts(R, F, 0.3, 4, alpha=0.6, rng=0, steps=100, runs=32)
    >>> v["mean-square"].escapes, v["almost-sure"].escapes, v["almost-sure"].method
    (True, True, 'monte-carlo')
    """
    lr = check_positive(lr, "lr")
    if lyapunov not in ("auto", "mc", "none"):
        raise ValueError(f"lyapunov must be 'auto', 'mc' or 'none'; got {lyapunov!r}")
    steps, runs = check_int(steps, "steps", 1), check_int(runs, "runs", 1)
    rec = mixed_recursion(retain, forget, batch, alpha=alpha, sampling=sampling)
    rho = rec.growth(lr)
    out = {"mean-square": EscapeVerdict("mean-square", sampling, bool(rho > 1.0), rho, float(np.log(rho)) if rho > 0 else -np.inf,
                                        "exact", {"ms_growth": rho})}
    if lyapunov == "none":
        return out
    lam = None
    if lyapunov == "auto" and sampling != "pair_bernoulli":
        try:
            lam = diagonal_lyapunov(retain, forget, lr, batch, alpha=alpha, sampling=sampling)
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


@with_blas_policy
def diagonal_lyapunov(retain, forget, lr: float, batch: int, *, alpha: float,
                      sampling: str = "independent_bernoulli") -> float:
    """Exact top Lyapunov exponent for diagonal families with one member value per coordinate.

    For diagonal members, :math:`J` is diagonal and coordinate ``c`` evolves by the scalar
    :math:`J_{cc} = 1 - \\eta(1-\\alpha) m^r_c K^r_c/B + \\eta\\alpha m^f_c K^f_c / B` with the batch counts
    :math:`K^r_c, K^f_c` of the members that touch ``c`` (Binomial under ``independent_bernoulli``,
    hypergeometric under ``without_replacement``, independent of each other). By the law of large
    numbers the exponent of coordinate ``c`` is :math:`\\mathbb E\\log|J_{cc}|`, and the top exponent is
    the maximum over coordinates that carry curvature (``-inf`` when :math:`J_{cc} = 0` has positive
    probability everywhere). [derived; the scalar factor is that of ``proofs/chang_khanna_tightness.py``]

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Diagonal per-sample Hessians (e.g. rank-one factors with one nonzero entry per row) whose
        nonzero values are equal on each coordinate.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` in ``[1, min(n_r, n_f)]``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.

    Returns
    -------
    float
        The top Lyapunov exponent (per step, natural log); ``0.0`` when no coordinate carries
        curvature.

    Raises
    ------
    ValueError
        When a family is not diagonal, a coordinate's nonzero member values differ (use the Monte
        Carlo then), ``sampling`` is ``"pair_bernoulli"`` or unknown, or ``lr``, ``alpha``, ``batch``
        are invalid.

    See Also
    --------
    escape_verdicts, rmtcheck.stability.montecarlo.simulate

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> F = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> round(diagonal_lyapunov(R, F, 0.5, 2, alpha=0.2), 6)
    -0.157599
    """
    lr = check_positive(lr, "lr")
    sampling = check_mixed_sampling(sampling)
    if sampling == "pair_bernoulli":
        raise ValueError("diagonal_lyapunov supports sampling 'independent_bernoulli' and 'without_replacement'")
    retain, forget = as_family_pair(retain, forget)
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
