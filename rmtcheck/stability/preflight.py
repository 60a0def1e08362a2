"""Pre-flight check for gradient-ascent unlearning: will this run forget, do nothing, or collapse?

Given the per-sample curvature of a trained model on its retain and forget samples
(:class:`~rmtcheck.stability.gram.SampleCurvature`, from :mod:`rmtcheck.curvature`) and an unlearning
recipe — gradient ascent (GA, :math:`\\alpha = 1`) or descent–ascent (GDA) with step size :math:`\\eta`, batch
size ``B``, forget weight :math:`\\alpha` and a number of steps — :func:`preflight` reports

* the coherences :math:`\\sigma_r`, :math:`\\sigma_f` and :math:`\\sigma_{mix}` [1]_, [2]_;
* the critical learning rate and the critical :math:`\\alpha` under both notions — mean-square (exact
  :math:`\\rho(T)`) and almost-sure (the sign of the top Lyapunov exponent, Monte Carlo) — for the linearised
  update at the trained point;
* the finite-horizon forecast of the forget and retain losses over the given steps (mean and spread), by
  one of two models (``forecast_model``):

  - **tangent** (the default when the curvature carries the Jacobian Gram :math:`JJ^\\top`, as the adapters of
    :mod:`rmtcheck.curvature` return it): the network is linearised in its parameters,
    :math:`f_i(\\theta_0 + \\delta) = f_i + J_i\\delta`, and the recipe itself — the same batch model, the
    exact loss (softmax cross-entropy, logistic or squared error) on the linearised outputs — is run
    ``forecast_runs`` times (:func:`tangent_forecast`). The parameter-space iterate stays in the span of the
    Jacobian rows, so the runs take place in the coordinates of a factor :math:`\\Phi` of :math:`JJ^\\top`
    (:meth:`~rmtcheck.stability.gram.SampleCurvature.tangent_features`) and cost :math:`O(B\\,m\\,p)` per
    step and run (``p`` the rank of :math:`JJ^\\top`), not :math:`O(d)`. Monte Carlo, but of the model only:
    what it leaves out is the change of the Jacobian along the run.
  - **quadratic**: the exact first and second moments of the linearised run with the per-sample gradients
    at the trained point as forcing (:class:`~rmtcheck.stability.noisy_unlearning.NoisyMixedDynamics`),
    pushed through the quadratic model of each loss,
    :math:`L(\\delta) \\approx L_0 + \\bar g^\\top\\delta + \\tfrac12\\delta^\\top\\bar H\\delta` with the
    Gauss–Newton :math:`\\bar H`; the spread assumes :math:`\\delta` Gaussian with those moments (a closure,
    not exact). Exact in its model, but a cross-entropy leaves its quadratic model once the forget margins
    move, so this forecast misplaces the boundary: late on the 10-class MLPs of the real-model study (digits,
    MNIST-1D), early on the binary one (breast cancer) (``rmtcheck.studies.real_models``).
* a plain verdict from the forecast at the last step: **collapse** (retain loss rises by at least
  ``retain_rise``), **leave** (forget loss rises by at least ``forget_rise``, retain below its threshold) or
  **stay** — on the median run for the tangent model, on the mean for the quadratic one; and the same
  forecast over a range of step sizes, with the step sizes where each threshold is first crossed (the
  predicted boundaries).

Everything is computed in coordinates of the Gram matrices, so the cost depends on the number of samples,
not on the number of parameters. Both forecasts are linearisations of the network at the trained point: they
say when the run leaves the minimum, not what the network does long after.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024].
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive, check_unit_interval
from rmtcheck.stability._forecast_moments import moments
from rmtcheck.stability._loss_terms import _check_loss, _check_outputs, _check_targets
from rmtcheck.stability._tangent import simulate as _simulate_tangent
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.gram import SampleCurvature
from rmtcheck.stability.montecarlo import simulate
from rmtcheck.stability.sampling import check_mixed_sampling
from rmtcheck.stability.three_axis import pair_coherence
from rmtcheck.stability.unlearning import critical_alpha, mixed_critical_lr, mixed_recursion

__all__ = ["Recipe", "PreflightReport", "preflight", "forecast", "tangent_forecast", "tangent_forecast_curve",
           "first_crossing"]

PAIRS_MAX = 250_000  # sigma_mix is skipped (reported as None, with the reason) above this many pairs


@dataclass(frozen=True)
class Recipe:
    """An unlearning run: :math:`w \\leftarrow w - \\eta[(1-\\alpha)\\hat g_r - \\alpha\\hat g_f]` for ``steps`` steps.

    Attributes
    ----------
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` of both the retain and the forget batches.
    steps : int
        Number of steps.
    alpha : float, default 1.0
        Forget weight; 1.0 is plain gradient ascent on the forget set (GA), below 1 descent–ascent (GDA).
    sampling : {"independent_bernoulli", "without_replacement"}, default "without_replacement"
        Batch model (fixed-size batches without replacement is what unlearning code runs).
    forget_rise, retain_rise : float, default 0.5 and 0.5
        Loss rises (in the loss's units, nats for cross-entropy) that count as leaving the minimum and as
        collapse of the retain loss.
    """

    lr: float
    batch: int
    steps: int
    alpha: float = 1.0
    sampling: str = "without_replacement"
    forget_rise: float = 0.5
    retain_rise: float = 0.5

    def __post_init__(self):
        check_positive(self.lr, "lr")
        check_int(self.batch, "batch", 1)
        check_int(self.steps, "steps", 1)
        check_unit_interval(self.alpha, "alpha")
        if check_mixed_sampling(self.sampling) == "pair_bernoulli":
            raise ValueError("sampling must be 'independent_bernoulli' or 'without_replacement' for a pre-flight "
                             "forecast (pair_bernoulli has no gradient forcing model)")
        check_positive(self.forget_rise, "forget_rise")
        check_positive(self.retain_rise, "retain_rise")

    @property
    def method(self) -> str:
        """``"GA"`` (:math:`\\alpha = 1`) or ``"GDA"``."""
        return "GA" if self.alpha == 1.0 else "GDA"


@dataclass
class PreflightReport:
    """What :func:`preflight` found (``to_dict`` for JSON). Notions are named in every key."""

    recipe: dict
    n_retain: int
    n_forget: int
    n_params: int | None
    rank: int
    sigma_retain: float
    sigma_forget: float
    sigma_mix: float | None
    ms_growth: float
    lyapunov: dict
    critical_lr: dict
    critical_alpha: dict
    forecast: dict
    verdict: str
    sentence: str
    lr_curve: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """The report as plain Python (arrays as lists)."""
        out = asdict(self)
        for key in ("forecast", "lr_curve"):
            out[key] = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in out[key].items()}
        return out


def _families(curv: SampleCurvature, n_retain: int, rtol: float):
    from rmtcheck.stability.gram import _family

    if not isinstance(curv, SampleCurvature):
        raise ValueError("curvature must be a SampleCurvature (from rmtcheck.curvature or "
                         "rmtcheck.stability.gram.SampleCurvature); got " + type(curv).__name__)
    if curv.coef is None or curv.losses is None:
        raise ValueError("curvature needs coef (gradient coefficients) and losses for a forecast; build it with "
                         "rmtcheck.curvature (torch_curvature or gauss_newton_factors), which sets both")
    n_r = check_int(n_retain, "n_retain", 1, curv.n - 1)
    G, g = curv.coordinates(rtol)
    return _family(G[:n_r]), _family(G[n_r:]), g[:n_r], g[n_r:], G.shape[1]


def forecast(retain, forget, g_retain, g_forget, losses, recipe: Recipe, *, lr: float | None = None,
             record=None) -> dict:
    """Finite-horizon forecast of the mean and spread of the forget and retain losses (module notes).

    Parameters
    ----------
    retain, forget : HessianFamily
        Per-sample curvature in common coordinates.
    g_retain, g_forget : ndarray of shape (n_r, r) and (n_f, r)
        Per-sample gradients in the same coordinates.
    losses : tuple of (float, float)
        Mean retain and forget losses at the trained point.
    recipe : Recipe
    lr : float, optional
        Overrides ``recipe.lr``.
    record : sequence of int, optional
        Steps at which the losses are reported (default: every step ``0..steps``; the last step is always
        included). The spreads cost a product of ``d x d`` matrices per step, the means do not: a curve that
        reads the last step only records that one.

    Returns
    -------
    dict
        ``steps`` (the recorded steps), ``forget_loss_mean``, ``forget_loss_sd``, ``retain_loss_mean``,
        ``retain_loss_sd`` and ``distance_rms`` (:math:`\\sqrt{E\\|\\delta\\|^2}`), arrays over the recorded steps;
        ``inf`` after the forecast overflows or once both rises exceed ``1e4`` times their thresholds (the run
        has long left the quadratic region; the verdict is already decided).
    """
    lr = recipe.lr if lr is None else lr
    # the recursion, in the span the iterate can reach and with each member at its numerical rank (exact up to
    # round-off; prepared once for a curve over step sizes: rmtcheck.stability._forecast_moments)
    mom = moments(retain, forget, g_retain, g_forget, recipe.batch, recipe.alpha, recipe.sampling)
    dyn, K = mom.dyn, recipe.steps
    rec = list(range(K + 1)) if record is None else sorted({check_int(v, "record", 0, K) for v in record} | {K})
    at = {k: j for j, k in enumerate(rec)}
    M, m = np.zeros((dyn.d, dyn.d)), np.zeros(dyn.d)
    out = {key: np.full(len(rec), np.inf) for key in ("forget_loss_mean", "forget_loss_sd", "retain_loss_mean",
                                                      "retain_loss_sd", "distance_rms")}
    L0 = {"retain": float(losses[0]), "forget": float(losses[1])}
    means = {"forget_loss_mean": np.full(K + 1, np.inf), "retain_loss_mean": np.full(K + 1, np.inf)}  # every step
    for k in range(K + 1):
        if k:
            M, m = dyn.step(M, m, lr)
        tr = float(np.trace(M))
        if not np.isfinite(tr) or tr > 1e100 or _far_past(means, k - 1, L0, recipe):
            break  # the run has long left the quadratic region: the rest stays inf
        if k not in at:
            for name, rise in zip(("retain", "forget"), mom.loss_means(M, m)):
                means[f"{name}_loss_mean"][k] = L0[name] + rise
            continue
        j = at[k]
        out["distance_rms"][j] = np.sqrt(max(tr, 0.0))
        for name, (rise, var) in zip(("retain", "forget"), mom.loss_moments(M, m, M - np.outer(m, m))):
            means[f"{name}_loss_mean"][k] = out[f"{name}_loss_mean"][j] = L0[name] + rise
            out[f"{name}_loss_sd"][j] = np.sqrt(max(var, 0.0))
    out["steps"] = np.asarray(rec)
    out["model"] = "quadratic"
    return out


def _far_past(out: dict, k: int, L0: dict, recipe: Recipe, factor: float = 1e4) -> bool:
    """Both forecast rises already exceed ``factor`` times their thresholds at step ``k``."""
    return k >= 0 and (out["forget_loss_mean"][k] - L0["forget"] > factor * recipe.forget_rise
                       and out["retain_loss_mean"][k] - L0["retain"] > factor * recipe.retain_rise)


def _check_tangent(curvature) -> None:
    if not isinstance(curvature, SampleCurvature):
        raise ValueError("curvature must be a SampleCurvature (from rmtcheck.curvature); got "
                         + type(curvature).__name__)
    if curvature.jacobian_gram is None:
        raise ValueError("curvature has no linearised model (jacobian_gram, outputs, targets) for the tangent "
                         "forecast; build it with rmtcheck.curvature (tangent=True, the default), or pass "
                         "forecast_model='quadratic'")


def tangent_forecast(curvature: SampleCurvature, n_retain: int, recipe: Recipe, *, lr: float | None = None,
                     runs: int = 64, rng=None, record=None) -> dict:
    """Forecast by running the recipe on the linearised network with the exact loss (module notes).

    The outputs are :math:`f_i + \\Phi_i\\delta` with :math:`\\Phi` a factor of the Jacobian Gram
    (:meth:`~rmtcheck.stability.gram.SampleCurvature.tangent_features`) and :math:`\\delta` the parameter change in
    the orthonormal coordinates of the span of the Jacobian rows; each step draws the retain and forget
    batches of ``recipe.sampling`` and takes
    :math:`\\delta \\leftarrow \\delta - \\eta[(1-\\alpha)\\hat g_r - \\alpha \\hat g_f]` with the exact per-sample
    gradients :math:`\\Phi_i^\\top \\partial\\ell_i/\\partial f`. A run whose outputs pass ``1e12`` in absolute value
    is stopped and counts as an infinite rise of both losses.

    Parameters
    ----------
    curvature : SampleCurvature
        With ``outputs``, ``targets``, ``loss`` and ``jacobian_gram`` (the adapters of :mod:`rmtcheck.curvature`
        set them); retain samples first.
    n_retain : int
        Number of retain samples.
    recipe : Recipe
    lr : float, optional
        Overrides ``recipe.lr``.
    runs : int, default 64
        Simulated runs.
    rng : None, int, SeedSequence or Generator, optional
        Draws the batches. The same seed gives the same batches at every ``lr`` (common random numbers, so a
        curve over ``lr`` is smooth).
    record : sequence of int, optional
        Steps at which the losses are recorded (default: about 20 steps from 0 to ``steps``, the last included).

    Returns
    -------
    dict
        ``model`` (``"tangent"``), ``runs``, ``steps`` (the recorded steps), per recorded step
        ``forget_loss_mean``, ``forget_loss_sd``, ``forget_loss_median``, the same for ``retain`` and
        ``distance_rms`` (:math:`\\sqrt{E\\|\\delta\\|^2}` over the runs, the parameter distance); at the last step
        ``forget_rise_runs`` and ``retain_rise_runs`` (one per run) and ``fractions`` (of the runs whose
        verdict is stay, leave and collapse, by the rule of the pre-flight verdict). ``inf`` wherever a run
        diverged.

    Raises
    ------
    ValueError
        A curvature without the linearised model (build it with :mod:`rmtcheck.curvature`), ``n_retain`` outside
        ``[1, n - 1]``, a batch larger than a set it samples, or bad ``runs``/``record``.

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.curvature import gauss_newton_factors
    >>> g = np.random.default_rng(0)
    >>> J, z = g.standard_normal((40, 1, 30)), 3 * g.standard_normal((40, 1))
    >>> cur = gauss_newton_factors(J, z, (z[:, 0] > 0).astype(float), "bce")   # a perfectly fitted logit
    >>> fc = tangent_forecast(cur, 30, Recipe(lr=1.0, batch=5, steps=10), runs=16, rng=0)
    >>> fc["model"], int(fc["steps"][-1]), bool(fc["forget_loss_median"][-1] > fc["forget_loss_median"][0])
    ('tangent', 10, True)
    """
    _check_tangent(curvature)
    lr = check_positive(recipe.lr if lr is None else lr, "lr")
    return tangent_forecast_curve(curvature, n_retain, recipe, [lr], runs=runs, rng=rng, record=record)[0]


def tangent_forecast_curve(curvature: SampleCurvature, n_retain: int, recipe: Recipe, lrs, *, runs: int = 64,
                           rng=None, record=None) -> list[dict]:
    """:func:`tangent_forecast` at every step size of ``lrs``, simulated together on the same batches.

    The result for ``lrs[j]`` equals ``tangent_forecast(curvature, n_retain, recipe, lr=lrs[j], runs=runs,
    rng=seed, record=record)`` when ``rng`` is the same seed (an int or a SeedSequence): the batches are drawn
    once per step and shared by all step sizes, as separate calls with one seed draw them, and the runs are
    advanced together (the batch rows are gathered once per step for all of them).

    Parameters
    ----------
    curvature, n_retain, recipe
        As for :func:`tangent_forecast`.
    lrs : array_like of float
        Step sizes, each > 0 (``recipe.lr`` is not used).
    runs, rng, record
        As for :func:`tangent_forecast`.

    Returns
    -------
    list of dict
        One :func:`tangent_forecast` result per step size, in the order of ``lrs``.

    Raises
    ------
    ValueError
        As :func:`tangent_forecast`, or an empty ``lrs`` or a step size that is not > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.curvature import gauss_newton_factors
    >>> g = np.random.default_rng(1)
    >>> J, r = g.standard_normal((24, 2, 12)), 0.1 * g.standard_normal((24, 2))   # squared error, two outputs
    >>> cur = gauss_newton_factors(J, r, np.zeros((24, 2)), "mse")
    >>> recipe = Recipe(lr=0.1, batch=4, steps=5, alpha=0.5)
    >>> curve = tangent_forecast_curve(cur, 16, recipe, [0.05, 0.1], runs=8, rng=0)
    >>> one = tangent_forecast(cur, 16, recipe, lr=0.1, runs=8, rng=0)
    >>> bool(np.allclose(curve[1]["retain_loss_median"], one["retain_loss_median"], rtol=1e-12))
    True
    >>> bool(curve[0]["retain_loss_median"][-1] != curve[1]["retain_loss_median"][-1])   # two different runs
    True
    """
    _check_tangent(curvature)
    lrs = np.atleast_1d(np.asarray(lrs, dtype=float))
    if lrs.ndim != 1 or lrs.size == 0:
        raise ValueError(f"lrs must be a non-empty 1-d sequence of step sizes; got shape {lrs.shape}")
    for v in lrs:
        check_positive(float(v), "lrs")
    n_r = check_int(n_retain, "n_retain", 1, curvature.n - 1)
    R, K, a, B = check_int(runs, "runs", 1), recipe.steps, recipe.alpha, recipe.batch
    Phi = curvature.tangent_features()
    loss = _check_loss(curvature.loss)
    f = _check_outputs(curvature.outputs, loss, "curvature.outputs")
    y = _check_targets(curvature.targets, curvature.n, f.shape[1], loss, "curvature.targets")
    for c, size in ((-a, curvature.n - n_r), (1.0 - a, n_r)):
        if c:
            check_int(B, "batch", 1, size)
    rec = sorted({int(v) for v in np.linspace(0, K, min(K, 20) + 1).round()}) if record is None else \
        sorted({check_int(v, "record", 0, K) for v in record} | {K})
    results = []
    for res in _simulate_tangent(Phi, f, y, loss, n_r, recipe, lrs, R, as_generator(rng), rec):
        last, L0 = res.pop("last"), res.pop("L0")
        out = {key: np.asarray(v) for key, v in res.items()}
        frac = [_rule(df, dr, recipe) for df, dr in zip(last["forget"], last["retain"])]
        out.update(model="tangent", runs=R, steps=np.asarray(rec), forget_rise_runs=last["forget"],
                   retain_rise_runs=last["retain"],
                   fractions={v: frac.count(v) / R for v in ("stay", "leave", "collapse")},
                   forget_loss_0=L0["forget"], retain_loss_0=L0["retain"])
        results.append(out)
    return results


def _rule(df: float, dr: float, recipe: Recipe) -> str:
    """The verdict rule on loss rises: collapse takes precedence over leave."""
    return "collapse" if dr >= recipe.retain_rise else ("leave" if df >= recipe.forget_rise else "stay")



def _rises(fc: dict, L0: tuple) -> tuple[float, float]:
    """The forecast rises (forget, retain) at the last step that the verdict reads: the median run of the
    tangent model, the mean of the quadratic one."""
    key = "median" if fc["model"] == "tangent" else "mean"
    return float(fc[f"forget_loss_{key}"][-1] - L0[1]), float(fc[f"retain_loss_{key}"][-1] - L0[0])


def _verdict(fc: dict, recipe: Recipe, L0: tuple) -> tuple[str, str, float, float]:
    df, dr = _rises(fc, L0)
    v = _rule(df, dr, recipe)
    if fc["model"] == "tangent":
        fr = fc["fractions"]
        head = f"tangent-model forecast ({fc['runs']} simulated runs of the linearised network, exact loss)"
        tail = (f"; of the simulated runs {100 * fr['stay']:.0f} % stay, {100 * fr['leave']:.0f} % leave, "
                f"{100 * fr['collapse']:.0f} % collapse")
        what = "median"
    else:
        head, tail, what = "quadratic-model forecast (exact moments of the linearised run, quadratic loss)", "", "mean"
    if v == "collapse":
        s = (f"{head}: this run will collapse the retain loss ({what} rise {dr:+.3g} >= {recipe.retain_rise:g} over "
             f"{recipe.steps} steps; forget loss {df:+.3g}){tail}")
    elif v == "leave":
        s = (f"{head}: this run will leave the minimum: forget loss {what} rise {df:+.3g} >= {recipe.forget_rise:g} over "
             f"{recipe.steps} steps, retain loss {dr:+.3g} (below {recipe.retain_rise:g}){tail}")
    else:
        s = (f"{head}: this run will stay at the minimum: forget loss {what} rise {df:+.3g} < {recipe.forget_rise:g} "
             f"over {recipe.steps} steps (retain {dr:+.3g}){tail}")
    return v, s, df, dr


def _as_lyapunov(rec, lr, steps, runs, rng) -> tuple[float, float]:
    res = simulate(rec, lr, steps=steps, runs=runs, rng=rng)
    return float(res.lyapunov), float(res.lyapunov_stderr)


def _as_sign(rec, lr, steps, runs, rng) -> int:
    """Sign of the Lyapunov exponent at three standard errors (0: undecided, i.e. at the boundary)."""
    lam, se = _as_lyapunov(rec, lr, steps, runs, rng)
    return 1 if lam - 3 * se > 0 else (-1 if lam + 3 * se < 0 else 0)


def _bisect(sign, lo: float, hi: float, iters: int, geometric: bool) -> float | None:
    """Bisection for the sign change of ``sign`` (-1, 0 undecided, +1) on ``[lo, hi]``; an undecided point is
    taken as the boundary (it lies within the Monte Carlo's resolution of it)."""
    if sign(lo) >= 0:
        return lo
    if sign(hi) < 0:
        return None
    for _ in range(iters):
        mid = np.sqrt(lo * hi) if geometric else 0.5 * (lo + hi)
        s = sign(mid)
        if s == 0:
            return float(mid)
        lo, hi = (lo, mid) if s > 0 else (mid, hi)
    return float(np.sqrt(lo * hi) if geometric else 0.5 * (lo + hi))


def preflight(curvature: SampleCurvature, n_retain: int, recipe: Recipe, *, lrs=None, mc_steps: int = 200,
              mc_runs: int = 64, rng=None, almost_sure: bool = True, progress: bool = False,
              rank_rtol: float = 1e-10, critical_alpha_ms: bool = True, forecast_model: str = "auto",
              forecast_runs: int = 64) -> PreflightReport:
    """Pre-flight check of an unlearning recipe on a trained model (module notes).

    Parameters
    ----------
    curvature : SampleCurvature
        Per-sample curvature, gradient coefficients and losses of the retain samples followed by the forget
        samples (``rmtcheck.curvature.torch_curvature`` or ``gauss_newton_factors`` on the concatenated data).
    n_retain : int
        Number of retain samples (the first ``n_retain``).
    recipe : Recipe
        The run to check.
    lrs : array_like, optional
        Step sizes of the forecast curve (default: 13 log-spaced from ``lr/30`` to ``30 lr``).
    mc_steps, mc_runs : int, default 200 and 64
        Size of each Lyapunov Monte Carlo (almost-sure notion).
    rng : None, int, SeedSequence or Generator, optional
        Seed of the Monte Carlo runs (Lyapunov exponent and tangent forecast).
    almost_sure : bool, default True
        Compute the almost-sure quantities (Monte Carlo; the slow part).
    progress : bool, default False
        Report the stages on stderr.
    rank_rtol : float, default 1e-10
        Eigenvalues of the joint Gram matrix below this fraction of the largest are dropped (the numerical
        rank; exact by default). A larger value, e.g. 1e-6, drops directions of negligible mean curvature and
        makes multi-class models much cheaper; the report records it.
    critical_alpha_ms : bool, default True
        Compute the mean-square critical :math:`\\alpha` (a root search over :math:`\\alpha`, often most of the
        run time on multi-class models); ``False`` reports it as None. The Gram eigendecomposition is kept on
        ``curvature``, so repeated calls on the same curvature (other recipes) do not redo it.
    forecast_model : {"auto", "tangent", "quadratic"}, default "auto"
        The forecast behind the verdict and the curve (module notes): ``"auto"`` is ``"tangent"`` when the
        curvature carries the Jacobian Gram, else ``"quadratic"`` (the report says which).
    forecast_runs : int, default 64
        Simulated runs of the tangent forecast (the same batches at every step size of the curve).

    Returns
    -------
    PreflightReport

    Raises
    ------
    ValueError
        Bad curvature (no gradients or losses), ``n_retain`` outside ``[1, n - 1]``, or a batch larger than a set.
    """
    say = (lambda msg: print(f"preflight: {msg}", file=sys.stderr, flush=True)) if progress else (lambda msg: None)
    rng = as_generator(rng)
    model = _forecast_model(forecast_model, curvature)
    check_int(forecast_runs, "forecast_runs", 1)
    say("range coordinates of the Gram matrix")
    notes = []
    R, F, gr, gf, r = _families(curvature, n_retain, rank_rtol)
    if rank_rtol > 1e-10:
        notes.append(f"Gram eigenvalues below {rank_rtol:g} of the largest dropped (approximation)")
    check_int(recipe.batch, "batch", 1, min(R.n, F.n))
    L = np.asarray(curvature.losses, dtype=float)
    L0 = (float(L[:R.n].mean()), float(L[R.n:].mean()))
    say("coherences")
    sig_r, sig_f = coherence(R), coherence(F)
    sig_mix = None
    if recipe.alpha > 0 and R.n * F.n <= PAIRS_MAX:
        sig_mix = float(pair_coherence(R, F, alpha=recipe.alpha).sigma_mix)
    elif recipe.alpha > 0:
        notes.append(f"sigma_mix skipped: {R.n * F.n} pairs > {PAIRS_MAX}")
    a, B, s = recipe.alpha, recipe.batch, recipe.sampling
    say("mean-square growth and critical values")
    rec = mixed_recursion(R, F, B, alpha=a, sampling=s)
    rho = rec.growth(recipe.lr)
    crit_lr = {"mean-square": mixed_critical_lr(R, F, B, alpha=a, sampling=s), "almost-sure": None}
    crit_a = {"mean-square": critical_alpha(R, F, recipe.lr, B, sampling=s) if critical_alpha_ms else None,
              "almost-sure": None}
    lyap = {"notion": "almost-sure", "value": None, "stderr": None, "method": "monte-carlo", "steps": mc_steps,
            "runs": mc_runs}
    if almost_sure:
        say("almost-sure (Lyapunov Monte Carlo)")
        lam, se = _as_lyapunov(rec, recipe.lr, mc_steps, mc_runs, rng)
        lyap.update(value=lam, stderr=se)
        if a == 1.0:  # J = I + eta H_f >= I: |delta| never shrinks, every eta > 0 escapes (exact)
            crit_lr["almost-sure"] = 0.0
        else:
            sgn = lambda eta: _as_sign(rec, eta, mc_steps, mc_runs, rng)  # noqa: E731
            top = crit_lr["mean-square"]
            hi = 64.0 * (top if np.isfinite(top) and top > 0 else recipe.lr)
            crit_lr["almost-sure"] = _bisect(sgn, hi / 4096.0, hi, 8, geometric=True)
        sga = lambda al: _as_sign(mixed_recursion(R, F, B, alpha=al, sampling=s), recipe.lr, mc_steps,  # noqa: E731
                                  mc_runs, rng)
        crit_a["almost-sure"] = _bisect(sga, 0.0, 1.0, 10, geometric=False)
        notes.append("almost-sure critical values: sign of the Monte Carlo Lyapunov exponent at 3 standard errors, "
                     "bisection to a factor 1.03 in lr and 1e-3 in alpha (exactly 0 for gradient ascent, J >= I)")
    if model == "tangent":
        seed = np.random.SeedSequence(int(rng.integers(2 ** 63)))  # the same batches at every step size
        run = lambda eta: tangent_forecast(curvature, R.n, recipe, lr=eta, runs=forecast_runs,  # noqa: E731
                                           rng=seed)
    else:
        run = lambda eta: forecast(R, F, gr, gf, L0, recipe, lr=eta)  # noqa: E731
    say(f"finite-horizon forecast ({model} model, {recipe.steps} steps)")
    fc = run(recipe.lr)
    verdict, sentence, df, dr = _verdict(fc, recipe, L0)
    lrs = np.geomspace(recipe.lr / 30, recipe.lr * 30, 13) if lrs is None else np.asarray(lrs, dtype=float)
    curve = {"lr": lrs, "forget_rise": [], "forget_sd": [], "retain_rise": [], "retain_sd": [], "model": model}
    if model == "tangent":
        curve.update(leave_fraction=[], collapse_fraction=[])
    for eta in lrs:
        check_positive(float(eta), "lrs")
    if model == "tangent":  # every step size at once, on the same batches
        say(f"forecast curve ({len(lrs)} step sizes)")
        points = tangent_forecast_curve(curvature, R.n, recipe, lrs, runs=forecast_runs, rng=seed,
                                        record=[recipe.steps])
    else:
        points = (forecast(R, F, gr, gf, L0, recipe, lr=float(eta), record=[recipe.steps]) for eta in lrs)
    for i, f in enumerate(points):
        if model != "tangent":
            say(f"forecast curve {i + 1}/{len(lrs)} (lr={lrs[i]:.3g})")
        rf, rr = _rises(f, L0)
        curve["forget_rise"].append(rf)
        curve["forget_sd"].append(float(f["forget_loss_sd"][-1]))
        curve["retain_rise"].append(rr)
        curve["retain_sd"].append(float(f["retain_loss_sd"][-1]))
        if model == "tangent":
            curve["leave_fraction"].append(f["fractions"]["leave"])
            curve["collapse_fraction"].append(f["fractions"]["collapse"])
    curve = {k: (v if k == "model" else np.asarray(v)) for k, v in curve.items()}
    curve["leave_lr"] = first_crossing(lrs, curve["forget_rise"], recipe.forget_rise)
    curve["collapse_lr"] = first_crossing(lrs, curve["retain_rise"], recipe.retain_rise)
    fc.update(forget_rise=df, retain_rise=dr, forget_loss_0=L0[1], retain_loss_0=L0[0])
    return PreflightReport(
        recipe={**asdict(recipe), "method": recipe.method}, n_retain=R.n, n_forget=F.n, n_params=curvature.n_params,
        rank=r, sigma_retain=float(sig_r), sigma_forget=float(sig_f), sigma_mix=sig_mix, ms_growth=float(rho),
        lyapunov=lyap, critical_lr=crit_lr, critical_alpha=crit_a, forecast=fc, verdict=verdict, sentence=sentence,
        lr_curve=curve, notes=notes)


def _forecast_model(name: str, curvature: SampleCurvature) -> str:
    if name not in ("auto", "tangent", "quadratic"):
        raise ValueError(f"forecast_model must be 'auto', 'tangent' or 'quadratic'; got {name!r}")
    has = isinstance(curvature, SampleCurvature) and curvature.jacobian_gram is not None
    if name == "tangent" and not has:
        raise ValueError("forecast_model='tangent' needs the linearised model (jacobian_gram, outputs, targets) on "
                         "the curvature; build it with rmtcheck.curvature (tangent=True), or use 'quadratic'")
    return ("tangent" if has else "quadratic") if name == "auto" else name


def first_crossing(x, y, level) -> float | None:
    """Smallest ``x`` where ``y`` reaches ``level`` (log-linear interpolation between the two points around the
    first crossing; the geometric mean when the upper value is infinite), ``None`` if never.

    Examples
    --------
    >>> first_crossing([1.0, 2.0, 4.0], [0.0, 0.25, 1.0], 0.5) > 2.0
    True
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    hit = np.flatnonzero(y >= level)
    if not hit.size:
        return None
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    y0, y1 = y[i - 1], y[i]
    if not np.isfinite(y1):
        return float(np.sqrt(x[i - 1] * x[i]))
    t = (level - y0) / (y1 - y0)
    return float(np.exp(np.log(x[i - 1]) + t * (np.log(x[i]) - np.log(x[i - 1]))))
