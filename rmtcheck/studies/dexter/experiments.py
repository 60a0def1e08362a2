"""The "Hessian test" of Dexter et al. (2024), Fig. 1 [dexter2024]: divergence over batch size and coherence.

:func:`hessian_test_grid` returns, for each learning rate and every cell ``(B, sigma)`` of the grid,

* ``mc_fraction``: the fraction of runs that diverge under the authors' protocol
  (:class:`rmtcheck.stability.montecarlo.DexterProtocol`: without replacement, :math:`w_0\\sim U(0,1)^d`, 1000 steps,
  :math:`\\|w\\|^2 \\ge 1000\\|w_0\\|^2` at some step, 10 runs; a cell diverges when more than half do);
* ``ms_growth`` (exact, both ``without_replacement`` and ``bernoulli``): :math:`\\rho(T)` from
  :func:`rmtcheck.stability.operator.sgd_recursion` (closed-form diagonal path);
* ``lyapunov``: the exact top Lyapunov exponent. Every :math:`H_i` is diagonal, so each coordinate
  evolves by i.i.d. scalar multipliers and :math:`\\lambda = \\max_j E\\log|J_{jj}|`, with
  :math:`J_{11} = 1 - \\eta m K/B`, :math:`K \\sim` Hypergeometric(n, σ, B) (Binomial(σ, B/n) for
  bernoulli), and :math:`J_{jj} = 1 - \\eta m x/B`, :math:`x \\sim` Bernoulli(B/n), for the singletons;
* ``theorem1_ratio`` and ``theorem2_factor``: the closed forms (lambdified from ``proofs/``);
* ``side_wor`` and ``side_bernoulli``: the sign of :math:`\\rho(T) - 1` decided in rational arithmetic
  (:func:`exact_growth`): -1 stable, +1 divergent, 0 a *boundary* cell, where the floating-point growth is 1 to
  rounding and its last bit would otherwise decide the verdict (e.g. bernoulli at :math:`\\eta = 0.5`,
  :math:`B = 2`, :math:`\\sigma = 49`, where :math:`\\rho = (n/B - 1)/\\sigma = 1`).

The Monte Carlo is specialised to this design but exact in law: one batch stream (R, T, n) per
``B`` is shared by every ``sigma`` and learning rate (common random numbers), and log-norms are
accumulated coordinate-wise, so no run overflows.

The grid runs through the sweep engine (:func:`rmtcheck.sweep.run_sweep`, experiment
``"dexter-hessian-test"``): one cell per batch size (:func:`sweep_cells`, :func:`hessian_test_row`), whose
seed is the ``b``-th child of ``SeedSequence(rng)`` exactly as before the engine, so the output is
bit-for-bit the same for any ``jobs`` or executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck.randmat.families import dexter_construction
from rmtcheck.stability import thresholds as th
from rmtcheck.stability.montecarlo import BLOWUP_FACTOR, DexterProtocol, blew_up
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.sweep import cell_rng, grid_engine, run_sweep

stats = lazy_module("scipy.stats")

__all__ = ["exact_growth", "exact_side", "hessian_test_grid", "hessian_test_lyapunov", "hessian_test_mc_cell", "hessian_test_row", "sweep_cells"]


def hessian_test_lyapunov(n: int, sigma: int, B: int, lr: float, lam: float = 2.0, sampling: str = "without_replacement") -> float:
    """Exact top Lyapunov exponent (natural log, per step) of the Hessian-test recursion.

    Every member of :func:`rmtcheck.randmat.families.dexter_construction` is diagonal, so each coordinate
    evolves by i.i.d. scalar multipliers and :math:`\\lambda = \\max_j E\\log|J_{jj}|` with
    :math:`J_{11} = 1 - \\eta m K/B`, :math:`K \\sim` Hypergeometric(n, σ, B) (Binomial(σ, B/n) for
    bernoulli) and :math:`J_{jj} = 1 - \\eta m x/B`, :math:`x \\sim` Bernoulli(B/n), for the singletons;
    :math:`m = \\lambda n/\\sigma`. [derived]

    Parameters
    ----------
    n, sigma, B : int
        Samples, coherence of the family and batch size.
    lr : float
        Step size :math:`\\eta`.
    lam : float, optional
        :math:`\\lambda_{\\max}` of the mean Hessian (default 2).
    sampling : {"without_replacement", "bernoulli"}, optional
        Batch model (default ``"without_replacement"``, the authors' protocol).

    Returns
    -------
    float
        The exponent; ``-inf`` when some multiplier vanishes with positive probability.

    Raises
    ------
    ValueError
        For another ``sampling``.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1 (the Hessian test) and Theorems 1–2.
    """
    m = lam * n / sigma
    if sampling == "without_replacement":
        k = np.arange(0, min(sigma, B) + 1)
        pk = stats.hypergeom.pmf(k, n, sigma, B)  # unfrozen: freezing builds a docstring per call
    elif sampling == "bernoulli":
        k = np.arange(0, sigma + 1)
        pk = stats.binom.pmf(k, sigma, B / n)
    else:
        raise ValueError(f"sampling must be 'without_replacement' or 'bernoulli'; got {sampling!r}")

    def elog(vals, probs):
        a = np.abs(vals)
        mask = probs > 0
        if np.any(a[mask] == 0):
            return float("-inf")
        return float(np.sum(probs[mask] * np.log(a[mask])))

    top = elog(1 - lr * m * k / B, pk)
    if sigma < n:
        p = B / n
        top = max(top, elog(np.array([1.0, 1 - lr * m / B]), np.array([1 - p, p])))
    return top


def _rational(x) -> Fraction:
    """``x`` as the rational its decimal text denotes (``0.8`` is 4/5, not the nearest double's expansion)."""
    if isinstance(x, Fraction):
        return x
    return Fraction(repr(float(x))) if isinstance(x, (float, np.floating)) else Fraction(int(x))


_KAPPA_NU = {  # (kappa, nu) of the batch models in rmtcheck.stability.sampling, as rationals
    "bernoulli": lambda n, B: (Fraction(0), Fraction(n - B, n * n * B)),
    "without_replacement": lambda n, B: ((-Fraction(n - B, B * (n - 1)), Fraction(n - B, B * (n - 1) * n))
                                         if n > 1 else (Fraction(0), Fraction(0))),
    "with_replacement": lambda n, B: (-Fraction(1, B), Fraction(1, n * B)),
}


def exact_growth(n: int, sigma: int, B: int, lr, lam=2, sampling: str = "without_replacement") -> Fraction:
    """:math:`\\rho(T)` of the Hessian-test family (:func:`~rmtcheck.randmat.families.dexter_construction`), exactly.

    Every member is diagonal, so :math:`T` maps :math:`E_{jk}` to :math:`\\mathbb E[J_{jj}J_{kk}]E_{jk}` and, by
    Cauchy–Schwarz, :math:`\\rho(T) = \\max_j \\mathbb E[J_{jj}^2]` with
    :math:`\\mathbb E[J_{jj}^2] = (1-\\eta\\bar h_j)^2 + \\eta^2(\\kappa \\bar h_j^2 + \\nu\\sum_i (H_i)_{jj}^2)`:
    :math:`\\bar h_1 = \\lambda`, :math:`\\sum_i (H_i)_{11}^2 = \\lambda^2 n^2/\\sigma`, and for the singletons
    (present when :math:`\\sigma < n`) :math:`\\bar h_j = \\lambda/\\sigma`,
    :math:`\\sum_i (H_i)_{jj}^2 = \\lambda^2 n^2/\\sigma^2`. [derived] Computed in rationals, with ``lr`` and ``lam``
    read as the decimals they print as, so ties at :math:`\\rho = 1` are decided exactly.

    Parameters
    ----------
    n, sigma, B : int
        Samples, coherence (``1 <= sigma <= n``) and batch size (``1 <= B <= n``).
    lr, lam : float, int or fractions.Fraction
        Step size and :math:`\\lambda_{\\max}`.
    sampling : {"without_replacement", "bernoulli", "with_replacement"}
        Batch model (:mod:`rmtcheck.stability.sampling`).

    Returns
    -------
    fractions.Fraction

    Examples
    --------
    >>> exact_growth(100, 49, 2, 0.5, 2, "bernoulli")     # (n/B - 1)/sigma at eta lambda = 1
    Fraction(1, 1)
    >>> exact_growth(100, 50, 1, 0.5, 2)                 # without replacement: (n-B)(n-sigma)/(B(n-1)sigma)
    Fraction(1, 1)
    """
    if sampling not in _KAPPA_NU:
        raise ValueError(f"sampling must be one of {sorted(_KAPPA_NU)}; got {sampling!r}")
    eta, lam = _rational(lr), _rational(lam)
    kappa, nu = _KAPPA_NU[sampling](int(n), int(B))
    coords = [(lam, lam * lam * n * n / sigma)]
    if sigma < n:
        coords.append((lam / sigma, lam * lam * n * n / (sigma * sigma)))
    return max((1 - eta * h) ** 2 + eta * eta * (kappa * h * h + nu * s) for h, s in coords)


def exact_side(n: int, sigma: int, B: int, lr, lam=2, sampling: str = "without_replacement") -> int:
    """Sign of :math:`\\rho(T) - 1` for the Hessian-test family, exactly: -1 stable, 0 boundary, +1 divergent.

    See :func:`exact_growth`.

    Examples
    --------
    >>> exact_side(100, 49, 2, 0.5, 2, "bernoulli"), exact_side(100, 48, 2, 0.5, 2, "bernoulli")
    (0, 1)
    """
    g = exact_growth(n, sigma, B, lr, lam, sampling)
    return int(g > 1) - int(g < 1)


def _membership(rng, runs, steps, n, B):
    """Boolean batch membership (runs, steps, n): uniform B-subsets without replacement."""
    keys = rng.random((runs, steps, n))
    kth = np.partition(keys, B - 1, axis=2)[:, :, B - 1:B]
    return keys <= kth


def hessian_test_mc_cell(X, w0, sigma, B, lr, lam=2.0, blowup=BLOWUP_FACTOR, CT=None):
    """Divergence fraction of the runs for one cell, from a shared membership stream ``X``.

    ``CT`` (optional) is ``cumsum(X, axis=1)``, shared by every ``sigma`` of one batch size.
    Exponents are clipped at 60 (a factor :math:`e^{60} \\gg` ``blowup``): clipping can only
    affect runs that have already crossed the threshold.

    Parameters
    ----------
    X : ndarray of bool, shape (runs, steps, n)
        Batch membership of every sample at every step (one stream per batch size).
    w0 : ndarray, shape (runs, n - sigma + 1)
        Initial points (coordinate 1 and the singleton coordinates).
    sigma, B : int
        Coherence and batch size.
    lr : float
        Effective step size (the learning rate times the protocol's Hessian factor).
    lam : float, optional
        :math:`\\lambda_{\\max}` (default 2).
    blowup : float, optional
        Divergence threshold on :math:`\\|w\\|^2/\\|w_0\\|^2` (default the authors' 1000).
    CT : ndarray of int, optional
        ``cumsum(X, axis=1)``, to share between cells.

    Returns
    -------
    float
        Fraction of runs that crossed the threshold at some step.

    See Also
    --------
    rmtcheck.stability.montecarlo.blew_up : the divergence rule.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1 (the Hessian test) and Theorems 1–2.
    """
    runs, steps, n = X.shape
    m = lam * n / sigma
    K = X[:, :, :sigma].sum(axis=2)
    cap = 60.0
    with np.errstate(divide="ignore"):
        l1 = 2 * np.cumsum(np.log(np.abs(1 - lr * m * K / B)), axis=1)  # (runs, steps)
    norm2 = w0[:, :1] ** 2 * np.exp(np.minimum(l1, cap))
    if sigma < n:
        C = (np.cumsum(X[:, :, sigma:], axis=1, dtype=np.int32) if CT is None else CT[:, :, sigma:])
        q2 = (1 - lr * m / B) ** 2
        c = np.arange(steps + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            table = np.where(c == 0, 1.0, np.exp(np.minimum(c * np.log(q2), cap)))  # q2 = 0: (1, 0, 0, ...)
        norm2 = norm2 + np.einsum("rti,ri->rt", table[C], w0[:, 1:] ** 2)
    hit = blew_up(np.column_stack([np.sum(w0**2, axis=1), norm2]), blowup, scale="squared")
    return float(hit.mean())


@dataclass
class HessianTestGrid:
    """Every layer of the Hessian-test heatmap (see the module docstring).

    Attributes
    ----------
    B, sigma : ndarray
        Grid axes (batch sizes, coherences).
    lrs : tuple of float
        Learning rates.
    mc_fraction, ms_growth_wor, ms_growth_bernoulli, lyapunov_wor, theorem1_ratio, theorem2_factor : ndarray
        Layers of shape ``(len(lrs), len(B), len(sigma))``.
    side_wor, side_bernoulli : ndarray of int8
        :func:`exact_side` over the grid (same shape): -1 stable, 0 boundary, +1 divergent, decided exactly.
    n : int
        Number of samples.
    lam : float
        :math:`\\lambda_{\\max}`.
    seed_entropy : int
        Root seed entropy of the sweep.
    """
    B: np.ndarray
    sigma: np.ndarray
    lrs: tuple
    mc_fraction: np.ndarray      # (len(lrs), len(B), len(sigma))
    ms_growth_wor: np.ndarray
    ms_growth_bernoulli: np.ndarray
    lyapunov_wor: np.ndarray
    theorem1_ratio: np.ndarray
    theorem2_factor: np.ndarray
    n: int
    lam: float
    seed_entropy: int
    side_wor: np.ndarray | None = None
    side_bernoulli: np.ndarray | None = None

    def __post_init__(self):
        for name, sampling in (("side_wor", "without_replacement"), ("side_bernoulli", "bernoulli")):
            if getattr(self, name) is None:
                setattr(self, name, np.array([[[exact_side(self.n, int(s), int(b), lr, self.lam, sampling)
                                                for s in self.sigma] for b in self.B] for lr in self.lrs],
                                             dtype=np.int8))

    def as_dict(self) -> dict:
        return {k: np.asarray(v) for k, v in self.__dict__.items()}


#: The quick (preview) preset of the Hessian-test grid (every 4th B and sigma), read by both
#: ``rmtcheck figures --quick`` and ``rmtcheck sweep run dexter-hessian-test --quick``.
QUICK_PRESET = dict(B_values=np.arange(1, 50, 4), sigma_values=np.arange(1, 51, 4))


def sweep_cells(quick: bool = False, B_values=None, sigma_values=None, lrs=(0.5, 0.8), n: int = 100,
                lam: float = 2.0, protocol: DexterProtocol = DexterProtocol()) -> list[dict]:
    """Cells of the heatmap for :func:`rmtcheck.sweep.run_sweep`: one per batch size (a row over sigma).

    Cell ``b`` (the ``b``-th batch size) gets the ``b``-th spawned seed, as before the engine existed.
    ``quick`` gives the figure's preview grid (every 4th B and sigma).

    Parameters
    ----------
    quick : bool, optional
        Use :data:`QUICK_PRESET` for the axes not given.
    B_values, sigma_values : iterable of int, optional
        Axes (default ``1..49`` and ``1..50``).
    lrs : tuple of float, optional
        Learning rates (default ``(0.5, 0.8)``).
    n : int, optional
        Samples (default 100).
    lam : float, optional
        :math:`\\lambda_{\\max}` (default 2).
    protocol : DexterProtocol, optional
        Runs, steps, blow-up factor and Hessian factor of the authors' protocol.

    Returns
    -------
    list of dict
        One JSON-able parameter dict per batch size, for :func:`hessian_test_row`.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1 (the Hessian test) and Theorems 1–2.
    """
    if quick:
        B_values = QUICK_PRESET["B_values"] if B_values is None else B_values
        sigma_values = QUICK_PRESET["sigma_values"] if sigma_values is None else sigma_values
    B_values = np.arange(1, 50) if B_values is None else np.array(list(B_values))
    sigma_values = np.arange(1, 51) if sigma_values is None else np.array(list(sigma_values))
    common = {"sigmas": [int(s) for s in sigma_values], "lrs": list(lrs),
              "n": int(n), "lam": lam, "runs": int(protocol.runs), "steps": int(protocol.steps),
              "blowup": protocol.blowup, "hessian_factor": protocol.hessian_factor}
    return [{"B": int(B), **common} for B in B_values]


def hessian_test_row(params: dict, seed: int) -> dict:
    """One row of the heatmap (a batch size ``B``, every sigma and learning rate): the sweep cell.

    Draws, from :func:`rmtcheck.sweep.cell_rng` ``(seed)``, one membership stream shared by every
    sigma and learning rate (common random numbers), then one :math:`w_0` per sigma, in order.

    Parameters
    ----------
    params : dict
        One cell of :func:`sweep_cells`.
    seed : int
        The cell's seed.

    Returns
    -------
    dict
        Lists of shape ``(len(lrs), len(sigmas))`` for every layer of :class:`HessianTestGrid`.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1 (the Hessian test) and Theorems 1–2.
    """
    B, n, lam, lrs, sigmas = int(params["B"]), int(params["n"]), params["lam"], params["lrs"], params["sigmas"]
    runs, steps, blowup, factor = params["runs"], params["steps"], params["blowup"], params["hessian_factor"]
    gen = cell_rng(seed)
    X = _membership(gen, runs, steps, n, B)
    CT = np.cumsum(X, axis=1, dtype=np.int32)
    shape = (len(lrs), len(sigmas))
    mc, g_wor, g_ber, ly, r1, f2 = (np.zeros(shape) for _ in range(6))
    for s, sig in enumerate(sigmas):
        w0 = gen.random((runs, n - sig + 1))
        fam = dexter_construction(n, int(sig), lam)
        rec_w = sgd_recursion(fam, B, sampling="without_replacement")
        rec_b = sgd_recursion(fam, B, sampling="bernoulli")
        for e, lr in enumerate(lrs):
            eff = lr * factor
            mc[e, s] = hessian_test_mc_cell(X, w0, int(sig), B, eff, lam, blowup, CT)
            g_wor[e, s] = rec_w.growth(lr)
            g_ber[e, s] = rec_b.growth(lr)
            ly[e, s] = hessian_test_lyapunov(n, int(sig), B, lr, lam)
            r1[e, s] = th.theorem1_ratio(lr, lam, float(sig), n, B)
            f2[e, s] = th.theorem2_factor(lr, lam, float(sig), n, B)
    return {"mc_fraction": mc, "ms_growth_wor": g_wor, "ms_growth_bernoulli": g_ber, "lyapunov_wor": ly,
            "theorem1_ratio": r1, "theorem2_factor": f2}


_LAYERS = ("mc_fraction", "ms_growth_wor", "ms_growth_bernoulli", "lyapunov_wor", "theorem1_ratio", "theorem2_factor")


def hessian_test_grid(B_values=range(1, 50), sigma_values=range(1, 51), lrs=(0.5, 0.8), n: int = 100,
                      lam: float = 2.0, protocol: DexterProtocol = DexterProtocol(), rng=0, *, quick: bool = False,
                      executor=None, jobs: int | None = None, store=None, progress=None) -> HessianTestGrid:
    """Compute every layer of the Hessian-test heatmap (see the module docstring).

    Runs through :func:`rmtcheck.sweep.run_sweep` (experiment ``"dexter-hessian-test"``, one cell per
    batch size, :func:`hessian_test_row`); ``rng`` is the root seed (int or ``None``), batch size ``b``
    gets the ``b``-th spawned child. ``executor``/``jobs``/``store``/``progress`` are passed to the
    engine (default: inline in this process, no store); the result does not depend on them.

    Parameters
    ----------
    B_values, sigma_values : iterable of int, optional
        Axes (default ``1..49`` and ``1..50``, as in the paper's figure).
    lrs : tuple of float, optional
        Learning rates (default ``(0.5, 0.8)``).
    n : int, optional
        Samples (default 100).
    lam : float, optional
        :math:`\\lambda_{\\max}` (default 2).
    protocol : DexterProtocol, optional
        The authors' Monte Carlo protocol.
    rng : int or None, optional
        Root seed.
    quick : bool, optional
        The preview grid :data:`QUICK_PRESET`.
    executor, jobs, store, progress : optional
        Sweep-engine options.

    Returns
    -------
    HessianTestGrid
        Every layer over ``(lr, B, sigma)``.

    See Also
    --------
    rmtcheck.studies.dexter.figures.hessian_test : the figure drawn from this grid.

    References
    ----------
    .. [1] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1 (the Hessian test) and Theorems 1–2.
    """
    if quick:
        B_values, sigma_values = QUICK_PRESET["B_values"], QUICK_PRESET["sigma_values"]
    B_values, sigma_values = np.array(list(B_values)), np.array(list(sigma_values))
    cells = sweep_cells(B_values=B_values, sigma_values=sigma_values, lrs=lrs, n=n, lam=lam, protocol=protocol)
    info: dict = {}
    rows = run_sweep("dexter-hessian-test", hessian_test_row, cells, seed=rng, stats=info,
                     **grid_engine(executor, jobs, store, progress))
    shape = (len(lrs), len(B_values), len(sigma_values))
    layers = {k: np.zeros(shape) for k in _LAYERS}
    for b, r in enumerate(rows):
        for k in _LAYERS:
            layers[k][:, b, :] = np.asarray(r[k], dtype=np.float64).reshape(len(lrs), len(sigma_values))
    return HessianTestGrid(B_values, sigma_values, tuple(lrs), n=n, lam=lam, seed_entropy=int(info["seed"]), **layers)
