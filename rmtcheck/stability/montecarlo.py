"""Monte Carlo simulation of linearised SGD and descent–ascent, vectorised over runs.

The independent check of :mod:`rmtcheck.stability.operator`. Every run is renormalised to unit norm after
each step and the log-norm accumulated, so diverging runs never overflow and no NaN appears (a run
that hits exactly zero gets log-norm ``-inf`` and stays there).

Two notions are estimated and never mixed:

* **mean-square** (the theorems' notion): :math:`\\hat\\rho = \\big(\\overline{\\|\\delta_K\\|^2} /
  \\overline{\\|\\delta_{K/2}\\|^2}\\big)^{2/K}` from the sample mean over runs (log-sum-exp). Far above the
  threshold the sample mean underestimates the true rate (rare large paths dominate it), so
  comparisons with the exact factor use margins;
* **mean-square, population estimator** (:func:`second_moment_mc`): propagate
  :math:`M_{k+1} = \\frac1R\\sum_r J_{k,r} M_k J_{k,r}` with ``R`` fresh sampled Jacobians per step. Its
  conditional mean is :math:`T(M_k)`, it never sees the closed-form coefficients of
  :mod:`rmtcheck.stability.sampling`, and unlike the path average it has no heavy-tail bias above threshold: this
  is the Monte Carlo check of :math:`\\rho(T)`;
* **almost-sure** (sample path): the top Lyapunov exponent
  :math:`\\hat\\lambda = \\frac{1}{K/2}\\log(\\|\\delta_K\\|/\\|\\delta_{K/2}\\|)` averaged over runs, with its
  standard error. By Jensen, :math:`\\lambda \\le \\tfrac12 \\log \\rho(T)`.

Counting blown-up runs, as the experiments of [1]_ (Fig. 1) do, measures the almost-sure notion; the
package has one blow-up rule, :func:`blew_up`, and one named reconstruction of that experimental
protocol, :class:`DexterProtocol` with :func:`divergence_fraction`.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Fig. 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.threads import with_blas_policy
from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.stability.families import as_family
from rmtcheck.stability.operator import LinearRecursion, Term
from rmtcheck.stability.sampling import sampling_model

_special = lazy_module("scipy.special")

__all__ = ["BLOWUP_FACTOR", "blew_up", "MonteCarloResult", "SecondMomentEstimate", "second_moment_mc", "simulate", "simulate_sgd", "DexterProtocol", "divergence_fraction"]


@dataclass
class MonteCarloResult:
    """Outcome of :func:`simulate`: log-norm paths and the two per-step growth estimates.

    Attributes
    ----------
    log_norms : ndarray (runs, steps + 1)
        :math:`\\log\\|\\delta_k\\|` for every run and step (``-inf`` after a run hits exactly zero).
    ms_growth : float
        Empirical mean-square growth factor per step (second half of the run; path average, biased
        low far above the threshold).
    lyapunov, lyapunov_stderr : float
        Top Lyapunov exponent estimate (per step, natural log) and its standard error over runs
        (``-inf`` and 0.0 when some run hit zero).
    notion : dict
        Which notion each estimate belongs to (``"mean-square"`` / ``"almost-sure"``).
    runs, steps : int
        Shape of the simulation (properties).
    """

    log_norms: np.ndarray
    ms_growth: float
    lyapunov: float
    lyapunov_stderr: float
    notion: dict = field(default_factory=lambda: {"ms_growth": "mean-square", "lyapunov": "almost-sure"})

    @property
    def runs(self) -> int:
        """Number of simulated runs."""
        return self.log_norms.shape[0]

    @property
    def steps(self) -> int:
        """Number of simulated steps."""
        return self.log_norms.shape[1] - 1


@with_blas_policy
def simulate(recursion: LinearRecursion, lr: float, steps: int = 400, runs: int = 256, rng=None,
             init: str = "gaussian", hessian_factor: float = 1.0) -> MonteCarloResult:
    """Simulate :math:`\\delta_{k+1} = (I - \\eta c \\sum_t w_t \\hat H^{(t)}_k)\\delta_k` for many runs at once.

    Parameters
    ----------
    recursion : LinearRecursion
        Built with ``restrict_to_range=False`` to simulate in the original coordinates.
    lr : float
        Step size :math:`\\eta > 0`.
    steps, runs : int, default 400 and 256
        Steps per run (``>= 2``) and number of independent runs.
    rng : None, int, SeedSequence or Generator, optional
        Seed.
    init : {"gaussian", "uniform"}, default "gaussian"
        :math:`\\delta_0 \\sim N(0, I)` (the theorems) or :math:`U(0,1)^d` (the authors' experiments).
    hessian_factor : float, default 1.0
        ``c`` above: 1 for :math:`J = I - \\eta\\hat H` (the convention of this package and of the authors'
        code); 2 for the gradient of :math:`w^\\top \\hat H w`.

    Returns
    -------
    MonteCarloResult
        Log-norm paths, the empirical mean-square growth factor and the Lyapunov exponent.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0, ``steps < 2``, ``runs < 1``, ``rng`` is not a seed or Generator, or
        ``init`` is unknown.

    See Also
    --------
    simulate_sgd : The SGD shortcut.
    second_moment_mc : Population estimator of :math:`\\rho(T)` without the heavy-tail bias.
    blew_up : The blow-up rule applied to ``log_norms``.

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.stability import sgd_recursion, ms_growth
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> rec = sgd_recursion(G, 4, restrict_to_range=False)
    >>> res = simulate(rec, 0.5, steps=200, runs=64, rng=0)
    >>> res.log_norms.shape
    (64, 201)
    >>> print(f"{res.ms_growth:.2f} vs exact {ms_growth(G, 0.5, 4):.2f}; Lyapunov {res.lyapunov:.2f}")
    0.77 vs exact 0.78; Lyapunov -0.14
    """
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", 2)
    runs = check_int(runs, "runs", 1)
    rng = as_generator(rng)
    d = recursion.d
    if init == "gaussian":
        X = rng.standard_normal((runs, d))
    elif init == "uniform":
        X = rng.random((runs, d))
    else:
        raise ValueError(f"init must be 'gaussian' or 'uniform'; got {init!r}")
    L = np.empty((runs, steps + 1))
    nrm = np.linalg.norm(X, axis=1)
    with np.errstate(divide="ignore"):
        L[:, 0] = np.log(nrm)
    X = _normalise(X, nrm)
    eff = lr * hessian_factor
    for k in range(1, steps + 1):
        step = np.zeros_like(X)
        for t in recursion.terms:
            C = t.model.draw(rng, runs)
            step += t.weight * t.family.weighted_apply(C, X)
        X = X - eff * step
        nrm = np.linalg.norm(X, axis=1)
        with np.errstate(divide="ignore"):
            L[:, k] = L[:, k - 1] + np.log(nrm)
        X = _normalise(X, nrm)
    return _summarise(L)


def _normalise(X, nrm):
    out = np.zeros_like(X)
    ok = nrm > 0
    out[ok] = X[ok] / nrm[ok, None]
    return out


def _summarise(L: np.ndarray) -> MonteCarloResult:
    runs, K1 = L.shape
    K = K1 - 1
    h = K // 2
    alive = np.isfinite(L[:, -1])
    with np.errstate(invalid="ignore"):
        ms_end = _special.logsumexp(2 * L[:, -1]) - np.log(runs)
        ms_mid = _special.logsumexp(2 * L[:, h]) - np.log(runs)
    if np.isneginf(ms_end):
        ms = 0.0
    else:
        ms = float(np.exp((ms_end - ms_mid) / (K - h)))
    if not alive.all():
        lyap, se = float("-inf"), 0.0  # some runs hit exactly zero and stay there
    else:
        per = (L[:, -1] - L[:, h]) / (K - h)
        lyap = float(per.mean())
        se = float(per.std(ddof=1) / np.sqrt(runs)) if runs > 1 else float("inf")
    return MonteCarloResult(log_norms=L, ms_growth=ms, lyapunov=lyap, lyapunov_stderr=se)


@dataclass
class SecondMomentEstimate:
    """Population Monte Carlo estimate of the mean-square growth factor (see :func:`second_moment_mc`).

    Attributes
    ----------
    ms_growth : float
        Estimated :math:`\\rho(T)` per step.
    stderr : float
        Standard error of the per-step log growth, mapped to the factor scale.
    steps, samples : int
        Steps propagated and sampled Jacobians per step.
    notion : str
        Always ``"mean-square"``.
    """

    ms_growth: float
    stderr: float  # standard error of the per-step log growth, mapped to the factor scale
    steps: int
    samples: int
    notion: str = "mean-square"


@with_blas_policy
def second_moment_mc(recursion: LinearRecursion, lr: float, steps: int = 200, samples: int = 256, rng=None,
                     hessian_factor: float = 1.0) -> SecondMomentEstimate:
    """Estimate :math:`\\rho(T)` by propagating :math:`M_{k+1} = \\frac1R \\sum_r J_{k,r} M_k J_{k,r}`.

    Each step draws ``samples`` batches from the sampling models (the same samplers as
    :func:`simulate`), forms the sampled Jacobians and averages; :math:`M` is renormalised by its trace
    and the log growth accumulated. The growth factor is the geometric mean of the trace ratios over
    the second half of the run (after the transient towards the Perron matrix).

    Parameters
    ----------
    recursion : LinearRecursion
        The dynamics (any coordinates).
    lr : float
        Step size :math:`\\eta > 0`.
    steps : int, default 200
        Steps to propagate, ``>= 4``.
    samples : int, default 256
        Sampled Jacobians ``R`` per step.
    rng : None, int, SeedSequence or Generator, optional
        Seed.
    hessian_factor : float, default 1.0
        As in :func:`simulate`.

    Returns
    -------
    SecondMomentEstimate
        ``ms_growth`` 0.0 when :math:`M` collapses to zero.

    Raises
    ------
    ValueError
        If ``lr``, ``steps``, ``samples`` or ``rng`` is invalid.

    See Also
    --------
    simulate, rmtcheck.stability.operator.LinearRecursion.growth

    Examples
    --------
    Above the threshold the population estimator follows the exact factor, unlike the path average
    of :func:`simulate`:

    >>> import numpy as np
    >>> from rmtcheck.stability import sgd_recursion, ms_growth
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> est = second_moment_mc(sgd_recursion(G, 4), 0.9, steps=100, samples=256, rng=0)
    >>> print(f"{est.ms_growth:.2f} vs exact {ms_growth(G, 0.9, 4):.2f}")
    2.05 vs exact 2.05
    """
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", 4)
    samples = check_int(samples, "samples", 1)
    rng = as_generator(rng)
    d = recursion.d
    M = np.eye(d) / d
    logs = np.empty(steps)
    eye = np.eye(d)
    for k in range(steps):
        J = np.broadcast_to(eye, (samples, d, d)).copy()
        for t in recursion.terms:
            J -= (lr * hessian_factor * t.weight) * t.family.weighted_sum(t.model.draw(rng, samples))
        M = np.einsum("rab,bc,rcd->ad", J, M, J, optimize=True) / samples
        M = 0.5 * (M + M.T)
        tr = np.trace(M)
        if tr <= 0:
            return SecondMomentEstimate(0.0, 0.0, steps, samples)
        logs[k] = np.log(tr)
        M /= tr
    tail = logs[steps // 2:]
    g = float(np.exp(tail.mean()))
    se = float(g * tail.std(ddof=1) / np.sqrt(tail.size)) if tail.size > 1 else float("inf")
    return SecondMomentEstimate(g, se, steps, samples)


@with_blas_policy
def simulate_sgd(hessians, lr: float, batch: int, *, sampling: str = "bernoulli", **kw) -> MonteCarloResult:
    """:func:`simulate` for linearised SGD on one family, in the original coordinates.

    Parameters
    ----------
    hessians : HessianFamily or array_like
        ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        (Mean) batch size ``B`` in ``[1, n]``.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model, keyword-only.
    **kw
        Passed to :func:`simulate` (``steps``, ``runs``, ``rng``, ``init``, ``hessian_factor``).

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    ValueError
        For an invalid family, ``batch``, ``sampling`` or an argument of :func:`simulate`.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> res = simulate_sgd(G, 0.5, 4, steps=200, runs=64, rng=0)
    >>> res.runs, res.steps, res.lyapunov < 0
    (64, 200, True)
    """
    fam = as_family(hessians)
    rec = LinearRecursion([Term(fam, 1.0, sampling_model(sampling, fam.n, batch))], restrict_to_range=False)
    return simulate(rec, lr, **kw)


#: A run has blown up once its squared norm reaches this multiple of the initial one (Dexter et al.
#: [dexter2024], Fig. 1: "1000 times the initial", our reading of their code) [reconstructed].
BLOWUP_FACTOR = 1000.0


def blew_up(path: np.ndarray, factor: float = BLOWUP_FACTOR, *, scale: str = "log") -> np.ndarray:
    """The package's one blow-up rule: :math:`\\max_k \\|\\delta_k\\|^2 \\ge` ``factor`` :math:`\\|\\delta_0\\|^2`.

    First passage over the whole path, so a run that blows up and comes back still counts. The factor
    1000 and the first-passage reading are [reconstructed] from the experiments of [1]_ (Fig. 1).

    Parameters
    ----------
    path : ndarray of shape (runs, steps + 1)
        Per run, :math:`\\log\\|\\delta_k\\|` (``scale="log"``, as :attr:`MonteCarloResult.log_norms`)
        or :math:`\\|\\delta_k\\|^2` (``scale="squared"``); column 0 is the initial iterate.
    factor : float, default :data:`BLOWUP_FACTOR`
        The threshold on the squared-norm ratio.
    scale : {"log", "squared"}, default "log"
        How ``path`` is given (keyword-only).

    Returns
    -------
    ndarray of bool, shape (runs,)
        ``True`` for the runs that blew up.

    Raises
    ------
    ValueError
        If ``scale`` is unknown.

    See Also
    --------
    divergence_fraction, DexterProtocol

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Fig. 1.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.log([[1.0, 10.0, 40.0], [1.0, 2.0, 1.0]])   # norms 1 -> 40 and 1 -> 2
    >>> blew_up(L).tolist()
    [True, False]
    """
    path = np.asarray(path)
    if check_positive(factor, "factor") <= 1.0:
        raise ValueError(f"factor must be > 1 (a squared-norm growth factor); got {factor!r}")
    if scale == "log":
        return np.max(2 * (path - path[:, :1]), axis=1) >= np.log(factor)
    if scale == "squared":
        return np.max(path, axis=1) >= factor * path[:, 0]
    raise ValueError(f"scale must be 'log' or 'squared'; got {scale!r}")


@dataclass(frozen=True)
class DexterProtocol:
    """The experiment convention of [1]_, Fig. 1 ("Hessian test"), as a named option.

    Fixed-size batches without replacement, :math:`w_0 \\sim U(0,1)^d`, the update
    :math:`w \\leftarrow w - \\eta \\hat H w` (no factor 2), 1000 steps; a run diverges when
    :math:`\\|w_k\\|^2 \\ge 1000 \\|w_0\\|^2` at some step (first passage, our reading of their code);
    a cell diverges when more than half of 10 runs do. Notion: sample-path (almost-sure-like)
    divergence counts, not mean square. [reconstructed from the paper's description and code]

    Attributes
    ----------
    sampling : str, default "without_replacement"
        Batch model (fixed-size batches).
    init : str, default "uniform"
        :math:`w_0 \\sim U(0,1)^d`.
    steps : int, default 1000
        Steps per run.
    blowup : float, default :data:`BLOWUP_FACTOR`
        Squared-norm ratio that counts as a blow-up (:func:`blew_up`).
    runs : int, default 10
        Runs per cell.
    hessian_factor : float, default 1.0
        Update :math:`w \\leftarrow w - \\eta\\hat H w` (no factor 2).

    See Also
    --------
    divergence_fraction

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Fig. 1.
    """

    sampling: str = "without_replacement"
    init: str = "uniform"
    steps: int = 1000
    blowup: float = BLOWUP_FACTOR
    runs: int = 10
    hessian_factor: float = 1.0

    def __post_init__(self):
        check_int(self.steps, "DexterProtocol.steps", 1)
        check_int(self.runs, "DexterProtocol.runs", 1)
        if check_positive(self.blowup, "DexterProtocol.blowup") <= 1.0:
            raise ValueError(f"DexterProtocol.blowup must be > 1 (a squared-norm growth factor); got {self.blowup!r}")
        check_positive(self.hessian_factor, "DexterProtocol.hessian_factor")
        if not isinstance(self.sampling, str) or not isinstance(self.init, str):
            raise ValueError(f"DexterProtocol.sampling and .init must be strings; got {self.sampling!r}, {self.init!r}")


@with_blas_policy
def divergence_fraction(hessians, lr: float, batch: int, protocol: DexterProtocol = DexterProtocol(), rng=None) -> float:
    """Fraction of runs that diverge under ``protocol`` (a cell diverges when this is > 1/2).

    Parameters
    ----------
    hessians : HessianFamily or array_like
        ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` in ``[1, n]``.
    protocol : DexterProtocol, default DexterProtocol()
        The experiment convention.
    rng : None, int, SeedSequence or Generator, optional
        Seed.

    Returns
    -------
    float
        In :math:`[0, 1]`, a multiple of ``1 / protocol.runs``. Notion: sample-path divergence.

    Raises
    ------
    ValueError
        For an invalid family, ``lr``, ``batch`` or protocol field.

    See Also
    --------
    blew_up, rmtcheck.stability.operator.critical_lr : The mean-square threshold.

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Fig. 1.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> divergence_fraction(G, 0.5, 4, rng=0), divergence_fraction(G, 1.2, 4, rng=0)
    (0.0, 1.0)
    """
    if not isinstance(protocol, DexterProtocol):
        raise TypeError(f"protocol must be a DexterProtocol; got {type(protocol).__name__}")
    protocol.__post_init__()  # fields replaced with object.__setattr__ or dataclasses.replace are checked again
    res = simulate_sgd(hessians, lr, batch, sampling=protocol.sampling, steps=protocol.steps, runs=protocol.runs, rng=rng, init=protocol.init, hessian_factor=protocol.hessian_factor)
    with np.errstate(invalid="ignore"):
        hit = blew_up(res.log_norms, protocol.blowup)
    return float(hit.mean())
