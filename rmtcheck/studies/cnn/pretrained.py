"""Trained two-layer ReLU CNNs and their retain/forget splits (cached), the starting points of unlearning.

* :func:`trained_point` / :class:`TrainedPoint` — for one ``(snr, train_seed)``: signal-plus-noise data
  (:func:`rmtcheck.randmat.designs.signal_noise_patches`), the network trained to near interpolation,
  the retain/forget split, the model retrained on the retain set alone (the gold standard), the
  per-sample Gauss–Newton Hessians and gradients at :math:`W^*` projected exactly onto the span of all
  factors (QR), coherences, and the exact critical step of retain SGD; cached per process;
* :func:`split_indices` and :data:`SPLITS` — the split kinds;
* :data:`CELL_DEFAULTS` — the default parameters of one unlearning cell.

The pipeline is described in :mod:`rmtcheck.studies.cnn.experiments`.

References
----------
.. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
   Perspective", arXiv:2602.02986 [changkhanna2026], Sec. 5.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.validation import check_int, check_positive
from rmtcheck.randmat.designs import signal_noise_patches
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.operator import critical_lr
from rmtcheck.stability.sampling import MIXED_SAMPLINGS
from rmtcheck.stability.three_axis import alignment
from rmtcheck.studies.cnn import model as _cnn
from rmtcheck.studies.cnn import training as _training

__all__ = [
    "SPLITS", "CELL_DEFAULTS", "TrainedPoint", "trained_point", "split_indices",
]


#: Retain/forget split kinds.
SPLITS = ("random", "class", "noise", "flipped")


@dataclass(frozen=True)
class TrainedPoint:
    """The trained network of one ``(snr, train_seed)`` with its split and measured Hessians.

    Attributes
    ----------
    model : PatchCNN
    W, W_retrained : ndarray, shape (2, m, d)
        The trained point :math:`W^*` and the model retrained on the retain set.
    X, y, flipped, X_test, y_test : ndarray
        Training data, label-flip mask and test set.
    retain, forget : ndarray of int
        Index arrays of the split.
    H_retain, H_forget : HessianFamily
        Projected rank-one Gauss–Newton factors (dimension :math:`\\le n`).
    g_retain, g_forget : ndarray
        Projected per-sample loss gradients at :math:`W^*`.
    eta_star : float
        Critical step of retain SGD at :math:`B = 1`, without replacement.
    summary : dict
        JSON scalars: training, coherence, accuracies.
    """

    model: _cnn.PatchCNN
    W: np.ndarray
    X: np.ndarray
    y: np.ndarray
    flipped: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    retain: np.ndarray          # indices
    forget: np.ndarray          # indices
    W_retrained: np.ndarray
    H_retain: HessianFamily     # projected rank-one GN factors (dimension <= n)
    H_forget: HessianFamily
    g_retain: np.ndarray        # projected per-sample loss gradients at W*
    g_forget: np.ndarray
    eta_star: float             # critical step of retain SGD at B = 1, without replacement
    summary: dict               # JSON scalars: training, coherence, accuracies


def split_indices(split: str, n_forget: int, y, flipped, xi_norms, rng) -> tuple[np.ndarray, np.ndarray]:
    """Retain and forget index arrays (sorted) for a split kind in :data:`SPLITS`.

    ``random`` (uniform); ``class`` (only samples of observed label +1); ``noise`` (the ``n_forget``
    samples with the largest noise patch :math:`\\|\\xi_i\\|`); ``flipped`` (the label-flipped samples
    first, then the largest :math:`\\|\\xi_i\\|`).

    Parameters
    ----------
    split : str
    n_forget : int
        :math:`1 \\le` ``n_forget`` :math:`\\le n - 1`.
    y, flipped, xi_norms : array_like, shape (n,)
        Labels, label-flip mask and noise-patch norms.
    rng : Generator

    Returns
    -------
    retain, forget : ndarray of int

    Raises
    ------
    ValueError
        Unknown kind, ``n_forget`` outside ``[1, n-1]``, or a ``class`` split that asks for more samples
        than class +1 has.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    y = np.asarray(y)
    n = y.size
    n_forget = check_int(n_forget, "n_forget", 1, n - 1)
    if split == "random":
        f = rng.permutation(n)[:n_forget]
    elif split == "class":
        pos = np.flatnonzero(y > 0)
        if pos.size < n_forget:
            raise ValueError(f"n_forget={n_forget} exceeds the {pos.size} samples of class +1 (split='class')")
        f = rng.permutation(pos)[:n_forget]
    elif split == "noise":
        f = np.argsort(-np.asarray(xi_norms), kind="stable")[:n_forget]
    else:  # flipped first, then the noisiest
        key = np.lexsort((-np.asarray(xi_norms), ~np.asarray(flipped, dtype=bool)))
        f = key[:n_forget]
    f = np.sort(f)
    r = np.setdiff1d(np.arange(n), f)
    return r, f


def _check_params(p: dict) -> dict:
    unknown = set(p) - set(CELL_DEFAULTS) - {"snr", "batch", "alpha", "rep", "train_seed"}
    if unknown:
        raise ValueError(f"unknown cell parameter(s) {sorted(unknown)}; known: {sorted(CELL_DEFAULTS)} + "
                         "snr, batch, alpha, rep, train_seed")
    q = {**CELL_DEFAULTS, **p}
    if "snr" not in p:
        raise ValueError("params must contain 'snr'")
    check_positive(q["snr"], "snr")
    check_int(q["n"], "n", 4)
    check_int(q["width"], "width", 1)
    check_int(q["steps"], "steps", 1)
    check_positive(q["lr_scale"], "lr_scale")
    check_positive(q["tau"], "tau")
    if q["sampling"] not in ("without_replacement", "independent_bernoulli"):
        raise ValueError(f"sampling must be 'without_replacement' or 'independent_bernoulli' (the batch models "
                         f"of the runs); got {q['sampling']!r}; known mixed samplings: {MIXED_SAMPLINGS}")
    return q


@functools.lru_cache(maxsize=64)
def _trained_cached(snr, n, d, width, flip, vary, noise, n_test, train_lr, train_steps, loss_tol, split, n_forget,
                    train_seed) -> TrainedPoint:

    ss = np.random.SeedSequence(int(train_seed))
    s_data, s_test, s_init, s_split = ss.spawn(4)
    data = signal_noise_patches(n, d, snr, vary=vary, flip=flip, noise=noise, rng=np.random.default_rng(s_data))
    test = signal_noise_patches(n_test, d, snr, vary=vary, flip=0.0, noise=noise, mu=data.mu,
                                rng=np.random.default_rng(s_test))
    model = _cnn.PatchCNN(d, width)
    X, y = data.X, data.y
    scale = float(np.mean(np.sum(X * X, axis=(1, 2))))
    lr = train_lr * width / scale
    W0 = _cnn.init_weights(model, np.random.default_rng(s_init))
    tr = _training.train(model, X, y, lr=lr, steps=train_steps, W0=W0, loss_tol=loss_tol)
    W = tr.W
    xi_norms = np.linalg.norm(X[:, 1], axis=1)
    r, f = split_indices(split, n_forget, y, data.flipped, xi_norms, np.random.default_rng(s_split))
    re = _training.train(model, X[r], y[r], lr=lr, steps=train_steps, W0=W0, loss_tol=loss_tol)

    G = _cnn.gn_factors(model, W, X, y)
    grads = _cnn.per_sample_grads(model, W, X, y)
    Q, R = np.linalg.qr(G.T)
    keep = np.abs(np.diag(R)) > 1e-12 * max(np.abs(np.diag(R)).max(), np.finfo(float).tiny)
    Q = Q[:, keep]
    Gp, gp = G @ Q, grads @ Q
    Hr, Hf = HessianFamily.from_factors(Gp[r]), HessianFamily.from_factors(Gp[f])
    eta_star = critical_lr(Hr, 1, sampling="without_replacement")

    def acc(Wx, idx=None, test_set=False):
        if test_set:
            return _cnn.accuracy(model, Wx, test.X, test.y)
        return _cnn.accuracy(model, Wx, X[idx], y[idx])

    nW = float(np.linalg.norm(W))
    summary = dict(
        snr=float(data.snr), train_steps_done=int(tr.steps), train_loss=tr.loss, train_converged=bool(tr.converged),
        train_min_margin=tr.min_margin, retrain_converged=bool(re.converged), train_lr_abs=lr,
        n_retain=int(r.size), n_forget=int(f.size), rank=int(Q.shape[1]),
        sigma_r=coherence(Hr), sigma_f=coherence(Hf), alignment=alignment(Hr, Hf),
        lambda_r=Hr.lambda_max, lambda_f=Hf.lambda_max, eta_star=float(eta_star),
        norm_W=nW, dist_retrained_0=float(np.linalg.norm(W - re.W) / max(np.linalg.norm(re.W), 1e-300)),
        test_acc_0=acc(W, test_set=True), forget_acc_0=acc(W, f), retain_acc_0=acc(W, r),
        forget_loss_0=_cnn.loss(model, W, X[f], y[f]),
        test_acc_retrained=acc(re.W, test_set=True), forget_acc_retrained=acc(re.W, f),
        forget_loss_retrained=_cnn.loss(model, re.W, X[f], y[f]),
        flipped_in_forget=int(np.sum(data.flipped[f])),
    )
    return TrainedPoint(model=model, W=W, X=X, y=y, flipped=data.flipped, X_test=test.X, y_test=test.y,
                        retain=r, forget=f, W_retrained=re.W, H_retain=Hr, H_forget=Hf, g_retain=gp[r],
                        g_forget=gp[f], eta_star=float(eta_star), summary=summary)


def trained_point(params: dict, train_seed: int = 0) -> TrainedPoint:
    """Train (or fetch from the per-process cache) the network of ``params`` (needs ``snr``).

    Parameters
    ----------
    params : dict
        ``snr`` and any of :data:`CELL_DEFAULTS` (and ``train_seed``).
    train_seed : int, optional
        Used when ``params`` has no ``train_seed`` (default 0).

    Returns
    -------
    TrainedPoint

    Raises
    ------
    ValueError
        Unknown or invalid parameters.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], Sec. 5.
    """
    q = _check_params(params)
    q["train_seed"] = params.get("train_seed", train_seed)
    check_int(q["train_seed"], "train_seed", 0)
    if q["split"] not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {q['split']!r}")
    return _trained_cached(float(q["snr"]), int(q["n"]), int(q["d"]), int(q["width"]), float(q["flip"]), q["vary"],
                           q["noise"], int(q["n_test"]), float(q["train_lr"]), int(q["train_steps"]),
                           float(q["loss_tol"]), q["split"], int(q["n_forget"]), int(q["train_seed"]))


#: Default parameters of one cell (every value a JSON scalar).
CELL_DEFAULTS = dict(
    n=40, d=200, width=8, flip=0.1, vary="mu", noise="projected", n_test=400,
    train_lr=1.0, train_steps=3000, loss_tol=0.05,
    split="random", n_forget=10,
    lr_scale=0.5, steps=200, tau=1.0, sampling="without_replacement",
)
