"""AGU and SRAGU unlearning for small MLPs: sensitivities, the spectral gate, the updates and baselines.

After [agu2025] (AGU: algorithm and reference code) and [partohaghighi2026] (SRAGU). Only the SRAGU
abstract was readable, so its formulas below are **this package's reconstruction** (tag
[reconstructed]); every choice is a parameter. The MLP is :mod:`rmtcheck.studies.spectral.mlp`; the
evaluation against a retrained gold model is :mod:`rmtcheck.studies.spectral.evaluation`.

AGU [paper + reference code]
----------------------------
Sensitivity of parameter :math:`j` on the forget set (minibatches :math:`F_1, \\dots, F_B`) and its
normalisation:

.. math::

    S_j = \\sum_{b} \\Big(\\frac{\\partial L_{F_b}}{\\partial\\theta_j}\\Big)^2, \\qquad
    R_j = \\frac{S_j}{\\max_k S_k} \\in [0, 1]

(invariant to rescaling the loss: :math:`L \\mapsto cL` multiplies every :math:`S_j` by :math:`c^2`).
Update on every forget minibatch — **ascent** on the forget loss (the reference code's demo descends,
which reinforces the forget set instead of erasing it; this package ascends and says so), with an
optional retain-descent term of weight :math:`\\rho` (``retain_weight``, default 0):

.. math:: \\theta_j \\leftarrow \\theta_j + \\eta\\, w_j\\, \\partial_j L_{F_b} - \\eta\\,\\rho\\, \\partial_j L_{R_b},
   \\qquad w_j = R_j .

**Stopping** (drift-based): after each pass over the forget set, the drift
:math:`d = \\max_j |\\theta_j^{\\text{end}} - \\theta_j^{\\text{start}}|` is computed; the run stops after the
first pass with :math:`d \\le \\delta` (``delta=1e-4`` as in the reference code) or after ``max_passes``.
Ascent on cross-entropy is unbounded, so two guards are added [reconstructed]: with ``loss_cap`` set, a
pass ends (and the run stops, ``stopped="loss_cap"``) before the first minibatch whose forget loss is
already :math:`\\ge` ``loss_cap``; a non-finite loss or gradient restores the parameters of the start of
the pass (``stopped="diverged"``). The evaluation sets ``loss_cap`` to the trained model's mean *test*
loss (forgotten points should look like unseen ones; no gold model is consulted).
:math:`R` is computed once, at the start.

SRAGU [paper: mechanism; reconstructed: formulas]
------------------------------------------------
1. :math:`R_j` as in AGU. 2. For each layer :math:`l`, the heavy-tail exponent :math:`\\xi_l` is the CSN
   :math:`\\hat\\alpha` of :math:`W_l^\\top W_l` (:func:`rmtcheck.randmat.powerlaw.fit_powerlaw`, WeightWatcher
   counting, ``min_tail = max(5, M_l // 3)`` for these small layers). 3. The gate

   .. math::

       g(\\xi) = \\sigma\\Big(\\frac{\\xi - a}{w}\\Big)\\,\\sigma\\Big(\\frac{b - \\xi}{w}\\Big), \\qquad
       \\nu(\\xi) = \\nu_{\\min} + (\\nu_{\\max} - \\nu_{\\min})\\,\\frac{g(\\xi)}{g\\big(\\tfrac{a+b}{2}\\big)},

   with :math:`\\sigma` the logistic function, band :math:`[a, b] = [2, 6]` (WeightWatcher's, after [martin2021]), width
   :math:`w = 0.5`, :math:`\\nu_{\\min} = 0.1`, :math:`\\nu_{\\max} = 1`. :math:`\\log g` is a sum of two concave
   functions symmetric about :math:`(a+b)/2`, so :math:`\\nu` is continuous, bounded in
   :math:`[\\nu_{\\min}, \\nu_{\\max}]` and maximal (:math:`= \\nu_{\\max}`) at the band centre. [derived]
4. :math:`w_j = \\nu_{l(j)} R_j` and the AGU update above. 5. Drift-based stopping as in AGU.
Within a layer the update direction equals AGU's; only its length is multiplied by :math:`\\nu_l`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.randmat.powerlaw import fit_powerlaw
from rmtcheck.randmat.spectral import esd
from rmtcheck.studies.spectral import mlp as M

__all__ = [
    "GateParams", "UnlearnResult", "gate", "sensitivities", "layer_alphas", "agu", "sragu",
    "gradient_ascent", "descent_ascent", "finetune",
]


# ----------------------------------------------------------------------------- the gate
@dataclass(frozen=True)
class GateParams:
    """Parameters of :func:`gate` (band ``[low, high]``, logistic ``width``, range ``[nu_min, nu_max]``).

    Defaults: WeightWatcher's band :math:`[2, 6]` [martin2021], width 0.5, :math:`\\nu \\in [0.1, 1]`
    [reconstructed].
    Invalid values raise ``ValueError``.
    """

    low: float = 2.0
    high: float = 6.0
    width: float = 0.5
    nu_min: float = 0.1
    nu_max: float = 1.0

    def __post_init__(self):
        vals = (self.low, self.high, self.width, self.nu_min, self.nu_max)
        if not all(np.isfinite(v) for v in vals):
            raise ValueError(f"gate parameters must be finite; got {vals}")
        if not self.low < self.high:
            raise ValueError(f"gate band must have low < high; got [{self.low}, {self.high}]")
        if self.width <= 0:
            raise ValueError(f"gate width must be > 0; got {self.width}")
        if not 0 <= self.nu_min <= self.nu_max:
            raise ValueError(f"gate needs 0 <= nu_min <= nu_max; got {self.nu_min}, {self.nu_max}")


def gate(alpha, params: GateParams = GateParams()) -> np.ndarray:
    """Spectral stability weight :math:`\\nu(\\alpha)` (module docstring) [reconstructed]; NaN alpha gets :math:`\\nu_{\\min}`.

    Parameters
    ----------
    alpha, params
        Layer heavy-tail exponents; :class:`GateParams`.

    Returns
    -------
    ndarray
        :math:`\\nu \\in [\\nu_{\\min}, \\nu_{\\max}]`, maximal at the band centre [derived].

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026].

    Examples
    --------
    >>> import numpy as np
    >>> np.round(gate([4.0, 2.0, 6.0, 9.0, np.nan]), 3).tolist()  # centre, band edges, outside, failed fit
    [1.0, 0.566, 0.566, 0.102, 0.1]
    """
    a = np.asarray(alpha, dtype=float)
    p = params

    def g(x):
        # product of logistic ramps, evaluated in log space (overflow-safe)
        return np.exp(-np.logaddexp(0, -(x - p.low) / p.width) - np.logaddexp(0, -(p.high - x) / p.width))

    ok = np.isfinite(a)
    val = p.nu_min + (p.nu_max - p.nu_min) * g(np.where(ok, a, p.low)) / g(0.5 * (p.low + p.high))
    return np.where(ok, val, p.nu_min)


# ----------------------------------------------------------------------------- AGU / SRAGU
def _batches(n, batch, g):
    perm = g.permutation(n)
    return [perm[s:s + batch] for s in range(0, n, batch)]


def sensitivities(model, params, Xf, yf, batch: int = 32, loss_scale: float = 1.0, rng=None) -> list[np.ndarray]:
    """AGU sensitivities :math:`R_j = S_j / \\max_k S_k` (arrays shaped like ``params``) [paper].

    Minibatches are consecutive blocks of ``Xf`` (no shuffling, unless ``rng`` is given: then a
    shuffled order). All-zero gradients give all-zero ``R``.

    Parameters
    ----------
    model, params, Xf, yf, batch, loss_scale, rng
        MLP, parameters, forget inputs and labels; minibatch size, loss scale, optional shuffling rng.

    Returns
    -------
    list of ndarray

    References
    ----------
    .. [1] AGU authors (2025), "Adaptive Gradient Unlearning", Intell. Syst. Appl. [agu2025].
    """
    batch = check_int(batch, "batch", 1)
    n = len(yf)
    if n == 0:
        raise ValueError("forget set must contain at least one sample")
    order = _batches(n, batch, as_generator(rng)) if rng is not None else [np.arange(s, min(s + batch, n)) for s in range(0, n, batch)]
    S = [np.zeros_like(p) for p in params]
    for b in order:
        _, gr = M.loss_and_grad(model, params, Xf[b], yf[b], scale=loss_scale)
        for s, g in zip(S, gr):
            s += g * g
    mx = max(float(np.max(s)) for s in S)
    if mx <= 0:
        return [np.zeros_like(s) for s in S]
    return [s / mx for s in S]


def layer_alphas(params, min_tail=None) -> np.ndarray:
    """CSN :math:`\\hat\\alpha` of every layer's :math:`W_l^\\top W_l` (NaN when a fit is impossible).

    Parameters
    ----------
    params, min_tail
        Parameter list; minimal tail of the fit (default ``max(5, min(W.shape) // 3)``).

    Returns
    -------
    ndarray, shape (n_layers,)

    References
    ----------
    .. [1] Clauset, Shalizi & Newman (2009), "Power-Law Distributions in Empirical Data" [clauset2009], Sec. 3.
    """

    out = []
    for W in M.weight_matrices(params):
        ev = esd(W)
        mt = max(5, min(W.shape) // 3) if min_tail is None else int(min_tail)
        try:
            # the strict estimator with a tail of a third of the layer (small MLP layers: WeightWatcher's tail of
            # 2 points makes alpha, and so the SRAGU weights, noise); its results were calibrated with it
            out.append(fit_powerlaw(ev, min_tail=mt, estimator="strict").alpha)
        except ValueError:
            out.append(np.nan)
    return np.asarray(out, dtype=float)


@dataclass
class UnlearnResult:
    """Outcome of one unlearning run.

    Attributes
    ----------
    method, params, passes
        Name, the unlearned parameter list, passes run.
    drifts : list of float
        Drift :math:`\\max_j|\\theta_j^{end} - \\theta_j^{start}|` of every pass.
    stopped : {"drift", "max_passes", "loss_cap", "diverged"}
    seconds : float
    weights, alphas, nu, extra : optional
        Per-parameter :math:`w_j` (AGU: :math:`R_j`; SRAGU: :math:`\\nu_l R_j`), layer alphas, gates, extras.
    """

    method: str
    params: list
    passes: int
    drifts: list
    stopped: str  # "drift", "max_passes", "loss_cap" or "diverged"
    seconds: float
    weights: list | None = None  # per-parameter w_j (AGU: R_j; SRAGU: nu_l R_j)
    alphas: np.ndarray | None = None
    nu: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _ascent(model, params, Xf, yf, weights, lr, max_passes, delta, batch, retain, retain_weight, rng, method,
            loss_cap=None):
    lr = check_positive(lr, "lr")
    max_passes = check_int(max_passes, "max_passes", 1)
    batch = check_int(batch, "batch", 1)
    if not np.isfinite(delta) or delta < 0:
        raise ValueError(f"delta must be finite and >= 0; got {delta!r}")
    if retain_weight < 0:
        raise ValueError(f"retain_weight must be >= 0; got {retain_weight!r}")
    if retain_weight > 0 and retain is None:
        raise ValueError("retain_weight > 0 needs retain=(X_retain, y_retain)")
    g = as_generator(rng)
    theta = [p.copy() for p in params]
    drifts, stopped, passes = [], "max_passes", 0
    if loss_cap is not None:
        loss_cap = check_positive(loss_cap, "loss_cap")
    for _ in range(max_passes):
        start = [p.copy() for p in theta]
        capped = False
        for b in _batches(len(yf), batch, g):
            with np.errstate(all="ignore"):
                val, gf = M.loss_and_grad(model, theta, Xf[b], yf[b])
            if not (np.isfinite(val) and all(np.all(np.isfinite(x)) for x in gf)):
                theta, stopped, capped = start, "diverged", True
                break
            if loss_cap is not None and val >= loss_cap:
                stopped, capped = "loss_cap", True
                break
            if retain_weight > 0:
                rb = g.integers(0, len(retain[1]), len(b))
                _, gr = M.loss_and_grad(model, theta, retain[0][rb], retain[1][rb])
            for k in range(len(theta)):
                step = gf[k] if weights is None else weights[k] * gf[k]
                theta[k] += lr * step
                if retain_weight > 0:
                    theta[k] -= lr * retain_weight * gr[k]
        passes += 1
        d = max(float(np.max(np.abs(t - s))) for t, s in zip(theta, start))
        drifts.append(d)
        if capped:
            break
        if d <= delta:
            stopped = "drift"
            break
    return theta, passes, drifts, stopped


def agu(model, params, Xf, yf, lr=0.05, max_passes=5, delta=1e-4, batch=32, retain=None, retain_weight=0.0,
        rng=None, loss_cap=None) -> UnlearnResult:
    """Adaptive Gradient Unlearning (ascent, :math:`w_j = R_j`; module docstring) [paper].

    Parameters
    ----------
    model, params, Xf, yf, lr, max_passes, delta, batch, rng, loss_cap
        MLP, parameter list, forget set; step, pass cap, drift tolerance, batch, rng, loss cap.
    retain, retain_weight : optional
        ``(X_retain, y_retain)`` and :math:`\\rho` of the optional retain-descent term.

    Returns
    -------
    UnlearnResult

    References
    ----------
    .. [1] AGU authors (2025), "Adaptive Gradient Unlearning", Intell. Syst. Appl. [agu2025].
    """
    t0 = time.perf_counter()
    R = sensitivities(model, params, Xf, yf, batch)
    theta, passes, drifts, stopped = _ascent(model, params, Xf, yf, R, lr, max_passes, delta, batch, retain,
                                             retain_weight, rng, "agu", loss_cap)
    return UnlearnResult("agu", theta, passes, drifts, stopped, time.perf_counter() - t0, weights=R)


def sragu(model, params, Xf, yf, lr=0.05, max_passes=5, delta=1e-4, batch=32, retain=None, retain_weight=0.0,
          rng=None, gate_params: GateParams = GateParams(), alphas=None, min_tail=None, loss_cap=None) -> UnlearnResult:
    """SRAGU: AGU with :math:`w_j = \\nu(\\hat\\alpha_{l(j)}) R_j` (module docstring) [reconstructed].

    Parameters
    ----------
    model, params, Xf, yf, lr, max_passes, delta, batch, rng, loss_cap
        MLP, parameter list, forget set; step, pass cap, drift tolerance, batch, rng, loss cap.
    retain, retain_weight, gate_params, alphas, min_tail : optional
        As in :func:`agu`; gate, per-layer alphas overriding the spectral estimate, the fit's minimal tail.

    Returns
    -------
    UnlearnResult

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026] (mechanism; formulas [reconstructed]).
    .. [2] AGU authors (2025), "Adaptive Gradient Unlearning", Intell. Syst. Appl. [agu2025].
    """
    t0 = time.perf_counter()
    R = sensitivities(model, params, Xf, yf, batch)
    al = layer_alphas(params, min_tail) if alphas is None else np.asarray(alphas, dtype=float)
    if al.shape != (model.n_layers,):
        raise ValueError(f"alphas must have one entry per layer ({model.n_layers}); got shape {al.shape}")
    nu = gate(al, gate_params)
    lay = M.layer_of(params)
    w = [nu[lay[k]] * R[k] for k in range(len(params))]
    theta, passes, drifts, stopped = _ascent(model, params, Xf, yf, w, lr, max_passes, delta, batch, retain,
                                             retain_weight, rng, "sragu", loss_cap)
    return UnlearnResult("sragu", theta, passes, drifts, stopped, time.perf_counter() - t0, weights=w,
                         alphas=al, nu=nu)


def gradient_ascent(model, params, Xf, yf, lr=0.05, max_passes=5, delta=1e-4, batch=32, rng=None, loss_cap=None) -> UnlearnResult:
    """Plain gradient ascent on the forget loss (:math:`w_j = 1`).

    Parameters
    ----------
    model, params, Xf, yf, lr, max_passes, delta, batch, rng, loss_cap
        MLP, parameter list, forget set; step, pass cap, drift tolerance, batch, rng, loss cap.

    Returns
    -------
    UnlearnResult
    """
    t0 = time.perf_counter()
    out = _ascent(model, params, Xf, yf, None, lr, max_passes, delta, batch, None, 0.0, rng, "ga", loss_cap)
    return UnlearnResult("gradient_ascent", *out, time.perf_counter() - t0)


def descent_ascent(model, params, Xf, yf, retain, lr=0.05, max_passes=5, delta=1e-4, batch=32,
                   retain_weight=1.0, rng=None, loss_cap=None) -> UnlearnResult:
    """Ascent on forget minibatches and descent on equally sized retain minibatches (:math:`w_j = 1`).

    Parameters
    ----------
    model, params, Xf, yf, lr, max_passes, delta, batch, rng, loss_cap
        MLP, parameter list, forget set; step, pass cap, drift tolerance, batch, rng, loss cap.
    retain, retain_weight : optional
        ``(X_retain, y_retain)`` and the descent weight (default 1).

    Returns
    -------
    UnlearnResult
    """
    t0 = time.perf_counter()
    out = _ascent(model, params, Xf, yf, None, lr, max_passes, delta, batch, retain, retain_weight, rng, "da", loss_cap)
    return UnlearnResult("descent_ascent", *out, time.perf_counter() - t0)


def finetune(model, params, retain, epochs=3, lr=0.05, batch=32, rng=None) -> UnlearnResult:
    """Fine-tune on the retain set (SGD with momentum, :func:`rmtcheck.studies.spectral.mlp.train`).

    Parameters
    ----------
    model, params, retain
        MLP, parameters, ``(X_retain, y_retain)``.
    epochs, lr, batch, rng : optional


    Returns
    -------
    UnlearnResult
    """
    t0 = time.perf_counter()
    theta = M.train(model, retain[0], retain[1], epochs=epochs, lr=lr, batch=batch, rng=rng, params=params)
    return UnlearnResult("finetune", theta, epochs, [], "max_passes", time.perf_counter() - t0)
