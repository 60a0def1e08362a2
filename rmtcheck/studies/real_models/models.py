"""Training to (near) zero loss, per-sample curvature, and the real gradient-ascent / descent–ascent runs.

The model is the NumPy MLP of :mod:`rmtcheck.studies.spectral.mlp` (one tanh hidden layer, softmax
cross-entropy over the classes; a binary problem has two logits). Training is mini-batch SGD with
momentum (:func:`rmtcheck.studies.spectral.mlp.train`), continued in chunks of epochs until the mean
training loss is at most ``loss_tol``.

The real unlearning run (:func:`unlearn`) starts at the trained weights :math:`w^*` and takes ``steps``
steps

.. math:: w \\leftarrow w - \\eta\\big[(1-\\alpha)\\,\\hat g_{retain} - \\alpha\\,\\hat g_{forget}\\big],

:math:`\\hat g` the mean cross-entropy gradient over a batch of exactly ``B`` samples drawn uniformly
without replacement, independently from the retain and the forget set at every step (fixed-size batches,
what unlearning code runs; :math:`\\alpha = 1` is gradient ascent, GA, and draws no retain batch).

:func:`unlearn_runs` runs a grid of them (step sizes x seeds) at once, vectorised over the runs, with the
results of :func:`unlearn` run by run.

The observed verdict of one run (:func:`verdict`) uses the thresholds of the pre-flight forecast
(:class:`rmtcheck.stability.preflight.Recipe`): **collapse** if the mean retain loss rose by at least
``retain_rise`` (takes precedence), else **leave** if the mean forget loss rose by at least
``forget_rise``, else **stay**. A run whose weights leave a ball of radius ``cap`` (or stop being finite)
is stopped and counts as an infinite rise of both losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive, check_unit_interval
from rmtcheck.studies.spectral import mlp as _mlp

__all__ = ["VERDICTS", "TrainResult", "UnlearnRun", "train_to_zero", "flatten", "unflatten", "mlp_curvature",
           "unlearn", "unlearn_runs", "verdict", "cell_verdict"]

#: Verdicts, from mild to severe (the order :func:`cell_verdict` takes the median in).
VERDICTS = ("stay", "leave", "collapse")


@dataclass
class TrainResult:
    """A trained MLP: ``params`` (list like :func:`rmtcheck.studies.spectral.mlp.init_params`), the epochs it
    took, the final mean training ``loss`` and training ``accuracy``."""

    model: _mlp.MLP
    params: list
    epochs: int
    loss: float
    accuracy: float


def train_to_zero(X, y, n_classes: int, hidden: int, rng=None, *, loss_tol: float = 0.01, lr: float = 0.05,
                  batch: int = 32, chunk: int = 50, max_epochs: int = 5000) -> TrainResult:
    """Train a one-hidden-layer tanh MLP until the mean training loss is at most ``loss_tol``.

    Parameters
    ----------
    X, y : ndarray
        Inputs ``(n, d_in)`` and integer labels ``(n,)``.
    n_classes : int
        Number of logits (2 for a binary problem).
    hidden : int
        Hidden width.
    rng : None, int, SeedSequence or Generator, optional
        Initialisation and batch order (one generator for both, as
        :func:`rmtcheck.studies.spectral.mlp.train`).
    loss_tol : float, default 0.01
    lr, batch : float and int, default 0.05 and 32
        SGD step and batch size (momentum 0.9).
    chunk, max_epochs : int, default 50 and 5000
        Epochs between loss checks and the most epochs; training stops at ``max_epochs`` whatever the
        loss (the result says how far it got).

    Returns
    -------
    TrainResult
    """
    hidden = check_int(hidden, "hidden", 1)
    loss_tol = check_positive(loss_tol, "loss_tol")
    model = _mlp.MLP((X.shape[1], hidden, check_int(n_classes, "n_classes", 2)), "tanh")
    g = as_generator(rng)
    params = _mlp.init_params(model, g)
    epochs, loss = 0, _mlp.loss(model, params, X, y)
    while loss > loss_tol and epochs < max_epochs:
        params = _mlp.train(model, X, y, epochs=chunk, lr=lr, batch=batch, rng=g, params=params)
        epochs += chunk
        loss = _mlp.loss(model, params, X, y)
    return TrainResult(model, params, epochs, float(loss), _mlp.accuracy(model, params, X, y))


def flatten(params) -> np.ndarray:
    """The parameter list as one vector (the column order of :func:`rmtcheck.studies.spectral.mlp.output_jacobian`)."""
    return np.concatenate([np.ravel(p) for p in params])


def unflatten(w: np.ndarray, like) -> list:
    """Split a vector into arrays shaped like ``like`` (the inverse of :func:`flatten`)."""
    out, i = [], 0
    for p in like:
        out.append(w[i:i + p.size].reshape(p.shape))
        i += p.size
    return out


def mlp_curvature(model, params, X, y):
    """Per-sample Gauss–Newton curvature of the cross-entropy of the MLP at ``params`` on ``(X, y)``.

    :func:`rmtcheck.curvature.gauss_newton_factors` on the analytic Jacobian, with the ``"factored"`` square
    root (exact gradients :math:`F_i c_i` at any confidence) and the factors held when ``d <= n k``, else
    the Gram matrix.

    Returns
    -------
    SampleCurvature
    """
    from rmtcheck.curvature import gauss_newton_factors

    J = _mlp.output_jacobian(model, params, X)
    n, m, d = J.shape
    return gauss_newton_factors(J, _mlp.forward(model, params, X), y, "ce", root="factored",
                                form="factors" if d <= n * m else "gram")


@dataclass
class UnlearnRun:
    """One real run: loss rises (``inf`` after a blow-up), accuracies and :math:`\\|w_K - w^*\\|/\\|w^*\\|`."""

    forget_rise: float
    retain_rise: float
    forget_acc: float
    retain_acc: float
    dist: float
    blew_up: bool
    steps_done: int


def _grad(model, like, w, X, y):
    return flatten(_mlp.loss_and_grad(model, unflatten(w, like), X, y)[1])


def unlearn(model, params, retain, forget, lr: float, alpha: float, batch: int, steps: int, rng=None,
            *, cap: float = 1e6, losses0=None) -> UnlearnRun:
    """Run ``steps`` steps of GA (``alpha = 1``) or descent–ascent from ``params`` (module notes).

    Parameters
    ----------
    model : MLP
    params : list of ndarray
        The trained weights :math:`w^*` (not modified).
    retain, forget : tuple of (X, y)
        The two sets.
    lr : float
        Step size :math:`\\eta > 0`.
    alpha : float
        Forget weight in [0, 1].
    batch : int
        Batch size ``B`` of both batches, at most the size of each set that is sampled.
    steps : int
    rng : None, int, SeedSequence or Generator, optional
        Draws the batches.
    cap : float, default 1e6
        The run stops (blow-up) once :math:`\\|w\\|` exceeds it.
    losses0 : tuple of float, optional
        Mean (retain, forget) losses at ``params`` (computed when not given).

    Returns
    -------
    UnlearnRun

    Raises
    ------
    ValueError
        ``lr <= 0``, ``alpha`` outside [0, 1], ``steps < 1``, or a batch larger than a set it samples.
    """
    lr = check_positive(lr, "lr")
    alpha = check_unit_interval(alpha, "alpha")
    steps = check_int(steps, "steps", 1)
    (Xr, yr), (Xf, yf) = retain, forget
    if alpha > 0:
        check_int(batch, "batch", 1, yf.size)
    if alpha < 1:
        check_int(batch, "batch", 1, yr.size)
    g = as_generator(rng)
    if losses0 is None:
        losses0 = (_mlp.loss(model, params, Xr, yr), _mlp.loss(model, params, Xf, yf))
    w0 = flatten(params)
    w = w0.copy()
    blew, k = False, 0
    for k in range(1, steps + 1):
        step = np.zeros_like(w)
        if alpha > 0:
            b = g.choice(yf.size, size=batch, replace=False)
            step -= alpha * _grad(model, params, w, Xf[b], yf[b])
        if alpha < 1:
            b = g.choice(yr.size, size=batch, replace=False)
            step += (1.0 - alpha) * _grad(model, params, w, Xr[b], yr[b])
        w = w - lr * step
        if not np.all(np.isfinite(w)) or np.linalg.norm(w) > cap:
            blew = True
            break
    nw = max(float(np.linalg.norm(w0)), 1e-300)
    if blew:
        return UnlearnRun(np.inf, np.inf, float("nan"), float("nan"), np.inf, True, k)
    p = unflatten(w, params)
    return UnlearnRun(_mlp.loss(model, p, Xf, yf) - losses0[1], _mlp.loss(model, p, Xr, yr) - losses0[0],
                      _mlp.accuracy(model, p, Xf, yf), _mlp.accuracy(model, p, Xr, yr),
                      float(np.linalg.norm(w - w0)) / nw, False, k)


def unlearn_runs(model, params, retain, forget, lrs, alpha: float, batch: int, steps: int, rngs, *,
                 cap: float = 1e6, losses0=None) -> list[list[UnlearnRun]]:
    """Every run of :func:`unlearn` over step sizes ``lrs`` and generators ``rngs`` at once, vectorised over the runs.

    Run ``[i][j]`` equals ``unlearn(model, params, retain, forget, lrs[i], alpha, batch, steps, rng=r_j)``, with
    ``r_j`` a generator in the state ``rngs[j]`` is in when passed: each generator draws the batches of all
    ``steps`` steps once, in the order :func:`unlearn` draws them (at every step the forget batch, then the
    retain batch), and they serve every step size. The weights of all runs are stacked and each step is one
    batched forward and backward pass of the MLP; every run goes through the arithmetic of its own
    :func:`unlearn` call, and a run stops at its blow-up as there (the later steps leave it alone).

    Parameters
    ----------
    model, params, retain, forget, alpha, batch, steps, cap, losses0
        As :func:`unlearn`.
    lrs : sequence of float
        Step sizes, each > 0.
    rngs : sequence of (None, int, SeedSequence or Generator)
        One per seed (a Generator passed is advanced by all ``steps`` steps' draws).

    Returns
    -------
    list of list of UnlearnRun
        Indexed ``[lr][seed]``.

    Raises
    ------
    ValueError
        As :func:`unlearn`.
    """
    lrs = [check_positive(lr, "lr") for lr in lrs]
    alpha = check_unit_interval(alpha, "alpha")
    steps = check_int(steps, "steps", 1)
    (Xr, yr), (Xf, yf) = _mlp._check_xy(model, *retain), _mlp._check_xy(model, *forget)
    sets = [(-1, alpha, Xf, yf)] if alpha > 0 else []  # (sign in the step, weight, set) as unlearn takes them
    sets += [(1, 1.0 - alpha, Xr, yr)] if alpha < 1 else []
    for *_, ys in sets:
        check_int(batch, "batch", 1, ys.size)
    gens = [as_generator(r) for r in rngs]
    # draws[seed, step, set]: the batch indices, drawn in unlearn's order
    draws = np.array([[[g.choice(ys.size, size=batch, replace=False) for *_, ys in sets] for _ in range(steps)]
                      for g in gens], dtype=np.intp).reshape(len(gens), steps, len(sets), batch)
    if losses0 is None:
        losses0 = (_mlp.loss(model, params, Xr, yr), _mlp.loss(model, params, Xf, yf))
    m = model.sizes[-1]
    onehots = [np.eye(m)[ys] for *_, ys in sets]
    S = len(gens)
    lr_of = np.repeat(np.asarray(lrs, dtype=float), S)  # run r = (lrs[r // S], rngs[r % S])
    seed_of = np.tile(np.arange(S), len(lrs))
    w0 = flatten(params)
    active = np.arange(lr_of.size)
    W = np.tile(w0, (active.size, 1))
    done = {}  # run -> steps done at its blow-up
    for k in range(1, steps + 1):
        if not active.size:
            break
        Wv = _stacked(W, params)
        step = np.zeros_like(W)
        for j, (sign, c, Xs, _) in enumerate(sets):
            idx = draws[seed_of[active], k - 1, j]
            G = np.empty_like(W)
            _mlp._grad_into(model, Wv, Xs[idx], onehots[j][idx], _stacked(G, params))
            if sign < 0:
                step -= c * G
            else:
                step += c * G
        W -= lr_of[active, None] * step
        blew = _blown(W, cap)
        if blew.any():
            done.update((int(r), k) for r in active[blew])
            active, W = active[~blew], W[~blew]
    out = {r: UnlearnRun(np.inf, np.inf, float("nan"), float("nan"), np.inf, True, k) for r, k in done.items()}
    if active.size:
        nw = max(float(np.linalg.norm(w0)), 1e-300)
        Wv = _stacked(W, params)
        fl, fa = _stacked_loss_acc(model, Wv, Xf, yf)
        rl, ra = _stacked_loss_acc(model, Wv, Xr, yr)
        for i, r in enumerate(active):
            out[int(r)] = UnlearnRun(fl[i] - losses0[1], rl[i] - losses0[0], fa[i], ra[i],
                                     float(np.linalg.norm(W[i] - w0)) / nw, False, steps)
    return [[out[i * S + j] for j in range(S)] for i in range(len(lrs))]


def _stacked(W, like) -> list:
    """Views of the rows of ``W`` (one flat parameter vector per run) as stacked arrays: weights
    ``(runs, d_in, d_out)``, biases ``(runs, 1, d_out)`` (what :func:`rmtcheck.studies.spectral.mlp._grad_into` takes)."""
    out, i = [], 0
    for p in like:
        v = W[:, i:i + p.size].reshape((W.shape[0],) + (p.shape if p.ndim == 2 else (1, p.size)))
        out.append(v)
        i += p.size
    return out


def _blown(W, cap: float) -> np.ndarray:
    """Per row of ``W``: not finite, or norm above ``cap`` (the test of :func:`unlearn`; the exact norm is taken
    where the fast one is within round-off of ``cap``)."""
    fin = np.isfinite(W).all(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        norm = np.sqrt(np.einsum("ij,ij->i", W, W))
        close = fin & ~(np.abs(norm - cap) > 1e-8 * cap)
    for i in np.flatnonzero(close):
        norm[i] = np.linalg.norm(W[i])
    return ~fin | (norm > cap)


def _stacked_loss_acc(model, Wv, X, y):
    """Mean cross-entropy and accuracy of every stacked model on ``(X, y)`` (the arithmetic of
    :func:`rmtcheck.studies.spectral.mlp.loss` and :func:`~rmtcheck.studies.spectral.mlp.accuracy`)."""
    z = _mlp._forward_cache(model, Wv, X)[0][-1]
    # contiguous rows: a row mean then sums pairwise as the mean of one model's losses does
    nll = np.ascontiguousarray(-_mlp._special.log_softmax(z, axis=-1)[:, np.arange(y.size), y])
    acc = np.argmax(z, axis=-1) == y
    return ([float(v) for v in np.mean(nll, axis=1)],
            [float(v) for v in np.mean(acc, axis=1)] if y.size else [float("nan")] * len(z))


def verdict(forget_rise: float, retain_rise: float, forget_thr: float = 0.5, retain_thr: float = 0.5) -> str:
    """``"collapse"`` if ``retain_rise >= retain_thr`` (precedence), ``"leave"`` if ``forget_rise >= forget_thr``,
    else ``"stay"``: the rule of the pre-flight verdict, applied to observed or forecast rises.

    Parameters
    ----------
    forget_rise, retain_rise : float
        Rises of the mean forget and retain losses (``inf`` allowed; NaN is refused).
    forget_thr, retain_thr : float, default 0.5 and 0.5
        The thresholds (``Recipe.forget_rise`` and ``Recipe.retain_rise``), > 0.

    Returns
    -------
    str

    Examples
    --------
    >>> verdict(0.7, 0.1), verdict(0.7, 0.5), verdict(0.49, 0.49)
    ('leave', 'collapse', 'stay')
    """
    check_positive(forget_thr, "forget_thr")
    check_positive(retain_thr, "retain_thr")
    if np.isnan(forget_rise) or np.isnan(retain_rise):
        raise ValueError(f"loss rises must not be NaN; got forget {forget_rise!r}, retain {retain_rise!r}")
    if retain_rise >= retain_thr:
        return "collapse"
    return "leave" if forget_rise >= forget_thr else "stay"


def cell_verdict(verdicts) -> str:
    """The verdict of a cell over its seeds: the median in the order stay < leave < collapse, which is the
    strict majority whenever one verdict is held by more than half of the seeds.

    Examples
    --------
    >>> cell_verdict(["stay", "leave", "leave"]), cell_verdict(["stay", "leave", "collapse"])
    ('leave', 'leave')
    """
    ranks = sorted(VERDICTS.index(v) for v in verdicts)
    if not ranks:
        raise ValueError("cell_verdict needs at least one verdict")
    return VERDICTS[ranks[(len(ranks) - 1) // 2]]
