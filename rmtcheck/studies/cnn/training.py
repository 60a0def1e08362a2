"""Training the two-layer ReLU CNN and running descent–ascent unlearning on it.

* :func:`train` / :class:`TrainResult` — full- or mini-batch gradient descent on the mean logistic loss
  to near interpolation (the trained point :math:`W^*` of an unlearning cell);
* :func:`train_epoch_loop` — one epoch with a per-sample Python loop (the baseline of
  ``benchmarks/bench_cnn.py``);
* :func:`descent_ascent` / :class:`DescentAscentRun` — the descent–ascent unlearning rule of
  [changkhanna2026] run on the network from :math:`W^*`.

The network and its gradients are in :mod:`rmtcheck.studies.cnn.model`.

References
----------
.. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
   Perspective", arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive, check_unit_interval
from rmtcheck.studies.cnn.model import (
    PatchCNN,
    _check_W,
    _check_X,
    _check_y,
    _forward,
    _grad_pre,
    _margins_pre,
    _pre,
    _weighted_grad,
    init_weights,
    logistic_loss,
    per_sample_grads_loop,
)

__all__ = [
    "TrainResult", "train", "train_epoch_loop", "descent_ascent", "DescentAscentRun",
]


@dataclass
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    W : ndarray, shape (2, m, d)
        Final weights.
    steps : int
        Steps taken.
    loss, train_accuracy, min_margin : float
        Final mean loss, training accuracy and minimum margin.
    converged : bool
        Every margin positive and mean loss at most ``loss_tol``.
    history : list of float
        The loss every ``record_every`` steps.
    """

    W: np.ndarray
    steps: int
    loss: float
    train_accuracy: float
    min_margin: float
    converged: bool
    history: list = field(default_factory=list)


def train(model: PatchCNN, X, y, lr: float = 1.0, steps: int = 2000, batch: int | None = None, rng=None,
          W0=None, loss_tol: float = 0.05, record_every: int = 50) -> TrainResult:
    """(Mini-)batch gradient descent on the mean logistic loss to near interpolation.

    Stops when every training margin is positive **and** the mean loss is at most ``loss_tol`` (checked
    on the full set every step for full batch, every ``n // batch`` steps otherwise), or after
    ``steps``. ``batch=None`` is full batch; otherwise batches of ``batch`` samples without replacement
    from shuffled epochs drawn from ``rng``. ``W0=None`` initialises with
    :func:`~rmtcheck.studies.cnn.model.init_weights` from ``rng`` first (same seed, same start).

    Parameters
    ----------
    model, X, y
        :class:`~rmtcheck.studies.cnn.model.PatchCNN`, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.
    lr : float, optional
        Step size (default 1).
    steps : int, optional
        Maximal number of steps (default 2000).
    batch : int or None, optional
        Batch size (``None``: full batch).
    rng : int, Generator or None, optional
    W0 : ndarray, optional
        Initial weights.
    loss_tol : float, optional
        Target mean loss (default 0.05).
    record_every : int, optional
        Stride of ``history``.

    Returns
    -------
    TrainResult
    """
    X = _check_X(model, X)
    n = X.shape[0]
    if n == 0:
        raise ValueError("X must have at least one sample")
    y = _check_y(y, n)
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", 0)
    loss_tol = check_positive(loss_tol, "loss_tol")
    record_every = check_int(record_every, "record_every", 1)
    B = n if batch is None else check_int(batch, "batch", 1, n)
    g = as_generator(rng)
    W = init_weights(model, g) if W0 is None else _check_W(model, W0).copy()
    if B == n:
        return _train_full_batch(W, X, y, lr, steps, loss_tol, record_every)
    hist = []
    check_every = 1 if B == n else max(1, n // B)
    perm, pos = g.permutation(n), 0
    k = 0
    converged = False
    for k in range(1, steps + 1):
        if B == n:
            grad, z = _weighted_grad(W, X, y, np.full(n, 1.0 / n))
        else:
            if pos + B > n:
                perm, pos = g.permutation(n), 0
            b = perm[pos:pos + B]
            pos += B
            grad, _ = _weighted_grad(W, X[b], y[b], np.full(B, 1.0 / B))
            z = None
        W -= lr * grad
        if k % check_every == 0 or k == steps:
            z = y * _forward(W, X)
            L = float(np.mean(logistic_loss(z)))
            if k % record_every == 0:
                hist.append(L)
            if z.min() > 0 and L <= loss_tol:
                converged = True
                break
    z = y * _forward(W, X)
    return TrainResult(W=W, steps=k, loss=float(np.mean(logistic_loss(z))), train_accuracy=float(np.mean(z > 0)),
                       min_margin=float(z.min()), converged=converged, history=hist)


def _train_full_batch(W, X, y, lr, steps, loss_tol, record_every) -> TrainResult:
    """Full-batch :func:`train` (``W`` updated in place): the margins checked after step ``k`` are those of the
    gradient of step ``k + 1``, so each step computes the pre-activations once (the per-step arithmetic of
    :func:`~rmtcheck.studies.cnn.model.weighted_grad` and :func:`~rmtcheck.studies.cnn.model.forward`, bit for bit).
    """
    n = X.shape[0]
    c = np.full(n, 1.0 / n)
    hist = []
    pre = _pre(W, X)
    z = _margins_pre(pre, y)
    k = 0
    converged = False
    for k in range(1, steps + 1):
        W -= lr * _grad_pre(pre, z, X, y, c)
        pre = _pre(W, X)
        z = _margins_pre(pre, y)
        record = k % record_every == 0
        positive = z.min() > 0
        if record or positive:  # the loss only matters for the history or once every margin is positive
            L = float(np.add.reduce(logistic_loss(z)) / n)  # np.mean's sum and division without its dispatch
            if record:
                hist.append(L)
            if positive and L <= loss_tol:
                converged = True
                break
    return TrainResult(W=W, steps=k, loss=float(np.mean(logistic_loss(z))), train_accuracy=float(np.mean(z > 0)),
                       min_margin=float(z.min()), converged=converged, history=hist)


def train_epoch_loop(model, W, X, y, lr: float, batch: int) -> np.ndarray:
    """One epoch of mini-batch GD with the gradient summed by a per-sample Python loop (benchmark baseline).

    Parameters
    ----------
    model, W, X, y
        As in :func:`train`; ``W`` the starting weights.
    lr : float
    batch : int

    Returns
    -------
    ndarray, shape (2, m, d)
        The weights after the epoch (batches in order, no shuffling).
    """
    W = _check_W(model, W).copy()
    X = _check_X(model, X)
    y = _check_y(y, X.shape[0])
    n = X.shape[0]
    for s in range(0, n, batch):
        G = per_sample_grads_loop(model, W, X[s:s + batch], y[s:s + batch])
        W -= lr * G.mean(axis=0).reshape(W.shape)
    return W


def _train_epoch_vec(model, W, X, y, lr, batch):
    W = W.copy()
    n = X.shape[0]
    for s in range(0, n, batch):
        Xb, yb = X[s:s + batch], y[s:s + batch]
        g, _ = _weighted_grad(W, Xb, yb, np.full(yb.size, 1.0 / yb.size))
        W -= lr * g
    return W


@dataclass
class DescentAscentRun:
    """A descent–ascent unlearning run on the network (see :func:`descent_ascent`).

    Attributes
    ----------
    W : ndarray, shape (2, m, d)
        Final weights.
    dist : ndarray
        :math:`\\|W_k - W^*\\|_F` at ``k = 0..steps_done`` (recorded every step).
    steps_done : int
    blew_up : bool
        The run was stopped early because ``dist`` exceeded ``cap``.
    """

    W: np.ndarray
    dist: np.ndarray
    steps_done: int
    blew_up: bool


def descent_ascent(model, W_star, X_r, y_r, X_f, y_f, lr: float, alpha: float, batch: int, steps: int, rng=None,
                   cap: float = 1e6, W_init=None) -> DescentAscentRun:
    """Descent–ascent unlearning on the network (Chang & Khanna 2026, the rule) [paper].

    .. math:: W \\leftarrow W - \\eta\\Big[(1-\\alpha)\\frac1B\\sum_{i\\in\\mathcal B^r_k}\\nabla\\ell_i
              - \\alpha\\frac1B\\sum_{j\\in\\mathcal B^f_k}\\nabla\\ell_j\\Big],

    retain and forget batches of exactly ``B`` drawn uniformly without replacement, independently each
    step (all ``steps`` batches drawn at once from ``rng``). Starts at ``W_init`` (default ``W_star``);
    stops early once :math:`\\|W_k - W^*\\|_F >` ``cap`` (so diverging runs never overflow).

    Parameters
    ----------
    model : PatchCNN
    W_star : ndarray, shape (2, m, d)
        The trained point :math:`W^*`.
    X_r, y_r, X_f, y_f : ndarray
        Retain and forget sets (non-empty).
    lr, alpha : float
        Step size :math:`\\eta > 0` and mixing weight :math:`\\alpha \\in [0, 1]`.
    batch, steps : int
        :math:`1 \\le B \\le \\min(n_r, n_f)` and the number of steps.
    rng : int, Generator or None, optional
    cap : float, optional
        Escape cap on :math:`\\|W_k - W^*\\|_F` (default 1e6).
    W_init : ndarray, optional

    Returns
    -------
    DescentAscentRun

    See Also
    --------
    rmtcheck.stability.unlearning.mixed_recursion : the linearisation of this rule.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], the descent–ascent rule.
    """
    W_star = _check_W(model, W_star)
    X_r, X_f = _check_X(model, X_r), _check_X(model, X_f)
    y_r, y_f = _check_y(y_r, X_r.shape[0]), _check_y(y_f, X_f.shape[0])
    n_r, n_f = X_r.shape[0], X_f.shape[0]
    if n_r == 0 or n_f == 0:
        raise ValueError(f"retain and forget sets must be non-empty; got n_r={n_r}, n_f={n_f}")
    lr = check_positive(lr, "lr")
    alpha = check_unit_interval(alpha, "alpha")
    B = check_int(batch, "batch", 1, min(n_r, n_f))
    steps = check_int(steps, "steps", 1)
    cap = check_positive(cap, "cap")
    g = as_generator(rng)
    ir = np.argsort(g.random((steps, n_r)), axis=1)[:, :B]
    jf = np.argsort(g.random((steps, n_f)), axis=1)[:, :B]
    Xc = np.concatenate([X_r, X_f])
    yc = np.concatenate([y_r, y_f])
    idx = np.concatenate([ir, n_r + jf], axis=1)  # step k's retain batch, then its forget batch
    c = np.concatenate([np.full(B, (1.0 - alpha) / B), np.full(B, -alpha / B)])
    W = W_star.copy() if W_init is None else _check_W(model, W_init).copy()
    dist = np.empty(steps + 1)
    dist[0] = np.linalg.norm(W - W_star)
    k = 0
    blew = False
    for k in range(1, steps + 1):
        b = idx[k - 1]
        grad, _ = _weighted_grad(W, Xc[b], yc[b], c)
        W -= lr * grad
        D = (W - W_star).ravel()
        dist[k] = math.sqrt(D.dot(D))  # np.linalg.norm's arithmetic without its dispatch
        if not math.isfinite(dist[k]) or dist[k] > cap:
            blew = True
            break
    return DescentAscentRun(W=W, dist=dist[:k + 1], steps_done=k, blew_up=blew)
