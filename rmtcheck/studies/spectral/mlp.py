"""A small multilayer perceptron in NumPy with analytic gradients (softmax cross-entropy): the models
SRAGU [partohaghighi2026] and AGU [agu2025] unlearn in :mod:`rmtcheck.studies.spectral.evaluation`.

Parameters are a flat list of arrays ``[W_1, b_1, W_2, b_2, ...]`` with ``W_l`` of shape
``(d_{l-1}, d_l)``; :func:`layer_of` maps each parameter array to its layer (the unit a spectral gate
acts on). Hidden activation ReLU or tanh; output logits :math:`z = a_{L-1} W_L + b_L`;
loss [paper: standard]

.. math::

    L(\\theta) = \\frac{1}{n}\\sum_{i} \\Big(\\operatorname{logsumexp}(z_i) - z_{i, y_i}\\Big),
    \\qquad \\frac{\\partial L}{\\partial z_i} = \\frac{\\operatorname{softmax}(z_i) - e_{y_i}}{n} .

Back-propagation: :math:`\\delta_L = \\partial L/\\partial z`, :math:`\\nabla W_l = a_{l-1}^\\top \\delta_l`,
:math:`\\nabla b_l = \\mathbf 1^\\top\\delta_l`, :math:`\\delta_{l-1} = (\\delta_l W_l^\\top) \\odot \\phi'(h_{l-1})`.
Gradients are checked against central finite differences in ``tests/test_sragu_mlp.py`` and the
verify row ``spectral.mlp_gradient_fd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive

_special = lazy_module("scipy.special")

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "init_params",
    "layer_of",
    "weight_matrices",
    "forward",
    "predict_proba",
    "per_sample_loss",
    "loss",
    "loss_and_grad",
    "per_sample_grad_norms",
    "output_jacobian",
    "train",
    "accuracy",
]

#: Hidden activations.
ACTIVATIONS = ("relu", "tanh")


@dataclass(frozen=True)
class MLP:
    """Architecture: layer widths ``sizes = (d_in, h_1, ..., n_classes)`` and hidden activation.

    Parameters
    ----------
    sizes : tuple of int
        At least two positive widths.
    activation : {"relu", "tanh"}, optional
    """

    sizes: tuple
    activation: str = "relu"

    def __post_init__(self):
        sizes = tuple(int(s) for s in self.sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be >= 2 positive widths (d_in, ..., n_classes); got {self.sizes!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}; got {self.activation!r}")
        object.__setattr__(self, "sizes", sizes)

    @property
    def n_layers(self) -> int:
        """Number of weight layers, ``len(sizes) - 1``."""
        return len(self.sizes) - 1


def init_params(model: MLP, rng=None) -> list[np.ndarray]:
    """He (ReLU) or Glorot (tanh) Gaussian initialisation, zero biases.

    Parameters
    ----------
    model : MLP
    rng : int, Generator or None, optional

    Returns
    -------
    list of ndarray
        ``[W_1, b_1, W_2, b_2, ...]``.
    """
    g = as_generator(rng)
    params = []
    for din, dout in zip(model.sizes[:-1], model.sizes[1:]):
        std = np.sqrt(2.0 / din) if model.activation == "relu" else np.sqrt(2.0 / (din + dout))
        params += [std * g.standard_normal((din, dout)), np.zeros(dout)]
    return params


def layer_of(params) -> np.ndarray:
    """Layer index of every parameter array (``[0, 0, 1, 1, ...]``).

    Parameters
    ----------
    params : list of ndarray

    Returns
    -------
    ndarray of int
    """
    return np.arange(len(params)) // 2


def weight_matrices(params) -> list[np.ndarray]:
    """The weight matrices :math:`W_l` of ``params`` (biases dropped).

    Parameters
    ----------
    params : list of ndarray

    Returns
    -------
    list of ndarray
    """
    return [params[2 * l] for l in range(len(params) // 2)]


def _act(h, activation):
    return np.maximum(h, 0.0) if activation == "relu" else np.tanh(h)


def _forward_cache(model, params, X):
    a = X
    acts, pre = [X], []
    L = model.n_layers
    for l in range(L):
        h = a @ params[2 * l] + params[2 * l + 1]
        pre.append(h)
        a = h if l == L - 1 else _act(h, model.activation)
        acts.append(a)
    return acts, pre


def _check_xy(model, X, y=None):
    X = as_finite_array(X, "X", ndim=2)
    if X.shape[1] != model.sizes[0]:
        raise ValueError(f"X must have {model.sizes[0]} columns; got shape {X.shape}")
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be an integer array of shape ({X.shape[0]},); got {y.dtype} {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= model.sizes[-1]):
        raise ValueError(f"y must lie in [0, {model.sizes[-1] - 1}]; got range [{y.min()}, {y.max()}]")
    return X, y


def _backprop(model, params, pre, l, delta):
    """:math:`\\delta_{l-1} = (\\delta_l W_l^\\top) \\odot \\phi'(h_{l-1})` for ``delta`` of shape ``(n, width)`` or
    ``(n, m, width)`` (one per output unit)."""
    back = delta @ params[2 * l].T
    h = pre[l - 1].reshape(pre[l - 1].shape[:1] + (1,) * (delta.ndim - 2) + pre[l - 1].shape[1:])
    return back * (h > 0) if model.activation == "relu" else back * (1.0 - np.tanh(h) ** 2)


def forward(model, params, X) -> np.ndarray:
    """Logits, shape ``(n, n_classes)``.

    Parameters
    ----------
    model, params, X
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``.

    Returns
    -------
    ndarray
    """
    X, _ = _check_xy(model, X)
    return _forward_cache(model, params, X)[0][-1]


def predict_proba(model, params, X) -> np.ndarray:
    """Softmax class probabilities, shape ``(n, n_classes)``.

    Parameters
    ----------
    model, params, X
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``.

    Returns
    -------
    ndarray
    """
    return _special.softmax(forward(model, params, X), axis=1)


def per_sample_loss(model, params, X, y) -> np.ndarray:
    """Cross-entropy of every sample (log-softmax: overflow-safe).

    Parameters
    ----------
    model, params, X, y
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``, integer labels ``(n,)``.

    Returns
    -------
    ndarray, shape (n,)
    """
    X, y = _check_xy(model, X, y)
    z = _forward_cache(model, params, X)[0][-1]
    return -_special.log_softmax(z, axis=1)[np.arange(y.size), y]


def loss(model, params, X, y) -> float:
    """Mean cross-entropy.

    Parameters
    ----------
    model, params, X, y
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``, integer labels ``(n,)``.

    Returns
    -------
    float
    """
    return float(np.mean(per_sample_loss(model, params, X, y)))


def loss_and_grad(model, params, X, y, scale: float = 1.0):
    """Mean cross-entropy (times ``scale``) and its analytic gradient (list like ``params``).

    Parameters
    ----------
    model, params, X, y
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``, integer labels ``(n,)``.
    scale : float, optional
        Loss scale (default 1).

    Returns
    -------
    value : float
    grads : list of ndarray
    """
    X, y = _check_xy(model, X, y)
    n = y.size
    if n == 0:
        raise ValueError("X must have at least one row")
    acts, pre = _forward_cache(model, params, X)
    z = acts[-1]
    logp = _special.log_softmax(z, axis=1)
    val = -float(np.mean(logp[np.arange(n), y]))
    delta = np.exp(logp)
    delta[np.arange(n), y] -= 1.0
    delta *= scale / n
    grads = [None] * len(params)
    for l in range(model.n_layers - 1, -1, -1):
        grads[2 * l] = acts[l].T @ delta
        grads[2 * l + 1] = delta.sum(axis=0)
        if l > 0:
            delta = _backprop(model, params, pre, l, delta)
    return scale * val, grads


def per_sample_grad_norms(model, params, X, y) -> np.ndarray:
    """:math:`\\|\\nabla_\\theta \\ell_i\\|_2` for every sample without materialising per-sample gradients.

    :math:`\\|\\nabla W_l\\|^2 = \\|a_{l-1}\\|^2\\|\\delta_l\\|^2` (rank one) and :math:`\\|\\nabla b_l\\|^2 = \\|\\delta_l\\|^2`. [derived]

    Parameters
    ----------
    model, params, X, y
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``, integer labels ``(n,)``.

    Returns
    -------
    ndarray, shape (n,)
    """
    X, y = _check_xy(model, X, y)
    n = y.size
    acts, pre = _forward_cache(model, params, X)
    delta = _special.softmax(acts[-1], axis=1)
    delta[np.arange(n), y] -= 1.0
    sq = np.zeros(n)
    for l in range(model.n_layers - 1, -1, -1):
        dn = np.einsum("ij,ij->i", delta, delta)
        sq += dn * (np.einsum("ij,ij->i", acts[l], acts[l]) + 1.0)
        if l > 0:
            delta = _backprop(model, params, pre, l, delta)
    return np.sqrt(sq)


def output_jacobian(model, params, X) -> np.ndarray:
    """Per-sample Jacobian of the logits with respect to every parameter, shape ``(n, n_classes, d)``.

    Column order: the arrays of ``params`` flattened in turn (row-major), ``[W_1, b_1, W_2, b_2, ...]``, so
    ``d = sum(p.size for p in params)``. Back-propagation of each output unit
    :math:`e_j` [derived]: :math:`\\partial z_j/\\partial W_l = a_{l-1} \\otimes \\delta^{(j)}_l`,
    :math:`\\partial z_j/\\partial b_l = \\delta^{(j)}_l` with :math:`\\delta^{(j)}_L = e_j` and
    :math:`\\delta^{(j)}_{l-1} = (\\delta^{(j)}_l W_l^\\top) \\odot \\phi'(h_{l-1})`; the Gauss–Newton factors
    of :func:`rmtcheck.curvature.gauss_newton_factors` take it as is. Memory :math:`O(n\\, m\\, d)`.

    Parameters
    ----------
    model, params, X
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``.

    Returns
    -------
    ndarray of shape (n, n_classes, d)

    Examples
    --------
    >>> model = MLP((3, 4, 2), "tanh")
    >>> params = init_params(model, rng=0)
    >>> X = np.random.default_rng(1).standard_normal((5, 3))
    >>> J = output_jacobian(model, params, X)
    >>> J.shape                                   # d = 3*4 + 4 + 4*2 + 2
    (5, 2, 26)
    >>> step = 1e-6 * np.eye(26)[7]               # a finite difference along parameter 7 (in W_1)
    >>> shifted = [p + s.reshape(p.shape) for p, s in zip(params, np.split(step, [12, 16, 24]))]
    >>> fd = (forward(model, shifted, X) - forward(model, params, X)) / 1e-6
    >>> bool(np.allclose(J[:, :, 7], fd, atol=1e-5))
    True
    """
    X, _ = _check_xy(model, X)
    acts, pre = _forward_cache(model, params, X)
    n, m = X.shape[0], model.sizes[-1]
    delta = np.broadcast_to(np.eye(m), (n, m, m))
    blocks = [None] * len(params)
    for l in range(model.n_layers - 1, -1, -1):
        a = acts[l]
        blocks[2 * l] = np.einsum("ip,ijq->ijpq", a, delta).reshape(n, m, -1)
        blocks[2 * l + 1] = delta
        if l > 0:
            delta = _backprop(model, params, pre, l, delta)
    return np.concatenate(blocks, axis=2)


def accuracy(model, params, X, y) -> float:
    """Fraction of samples whose largest logit is the label (NaN for an empty set).

    Parameters
    ----------
    model, params, X, y
        :class:`MLP`, parameter list ``[W_1, b_1, ...]``, inputs ``(n, d_in)``, integer labels ``(n,)``.

    Returns
    -------
    float
    """
    X, y = _check_xy(model, X, y)
    if y.size == 0:
        return float("nan")
    return float(np.mean(np.argmax(forward(model, params, X), axis=1) == y))


def train(model, X, y, epochs: int = 30, lr: float = 0.05, batch: int = 32, rng=None, params=None,
          weight_decay: float = 0.0, momentum: float = 0.9) -> list[np.ndarray]:
    """Mini-batch SGD with heavy-ball momentum (shuffled epochs drawn from ``rng``).

    ``params=None`` initialises from ``rng`` first (:func:`init_params`), so the same seed gives the
    same initialisation and batch order — the protocol shared by the original and the gold model.

    Parameters
    ----------
    model, X, y
        :class:`MLP`, inputs ``(n, d_in)``, integer labels ``(n,)``.
    epochs, lr, batch : optional
        Defaults 30, 0.05, 32.
    rng : int, Generator or None, optional
    params : list of ndarray, optional
        Starting parameters.
    weight_decay, momentum : float, optional
        Decay on the weight matrices (default 0) and momentum in :math:`[0, 1)` (default 0.9).

    Returns
    -------
    list of ndarray
        The trained parameters.

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026] (the gold model is retrained with the same protocol).
    """
    X, y = _check_xy(model, X, y)
    epochs = check_int(epochs, "epochs", 0)
    lr = check_positive(lr, "lr")
    batch = check_int(batch, "batch", 1)
    if not 0.0 <= float(momentum) < 1.0:
        raise ValueError(f"momentum must lie in [0, 1); got {momentum!r}")
    if float(weight_decay) < 0:
        raise ValueError(f"weight_decay must be >= 0; got {weight_decay!r}")
    g = as_generator(rng)
    params = init_params(model, g) if params is None else [p.copy() for p in params]
    # one flat buffer for the parameters, their gradient and the velocity (the arrays are views into it), so
    # the update is three vector operations; the arithmetic is that of the per-array update, element by element
    flat, pv = _flat_views(params)
    grad, gv = _flat_views(params)
    vel = np.zeros_like(flat)
    decay = [(gv[k], pv[k]) for k in range(0, len(params), 2)] if weight_decay else []
    n = y.size
    onehot = np.zeros((n, model.sizes[-1]))
    onehot[np.arange(n), y] = 1.0
    for _ in range(epochs):
        perm = g.permutation(n)
        Xp, Yp = X[perm], onehot[perm]
        for s in range(0, n, batch):
            _grad_into(model, pv, Xp[s:s + batch], Yp[s:s + batch], gv)
            for gr, p in decay:
                gr += weight_decay * p
            vel *= momentum
            vel -= lr * grad
            flat += vel
    return [p.copy() for p in pv]


def _flat_views(params):
    """A flat copy of ``params`` and views of it shaped like each array."""
    flat = np.concatenate([np.ravel(p) for p in params]).astype(float, copy=False)
    views, i = [], 0
    for p in params:
        views.append(flat[i:i + p.size].reshape(p.shape))
        i += p.size
    return flat, views


def _grad_into(model, params, X, Y, out):
    """The gradient of :func:`loss_and_grad` (``scale = 1``) at inputs ``X`` and one-hot labels ``Y``, written into
    the arrays of ``out``: the same operations in the same order (log-softmax as :func:`scipy.special.log_softmax`
    computes it), without the input checks and the loss value.

    Also for a stack of models (:func:`rmtcheck.studies.real_models.models.unlearn_runs`): with leading axes,
    ``params`` hold ``(..., d_{l-1}, d_l)`` weights and ``(..., 1, d_l)`` biases, ``X`` and ``Y`` are
    ``(..., B, d_in)`` and ``(..., B, n_classes)`` (broadcast against the weights), and every model's gradient
    is computed as for that model alone.
    """
    acts, pre = _forward_cache(model, params, X)
    z = acts[-1]
    zmax = np.maximum.reduce(z, axis=-1, keepdims=True)  # np.max and np.sum without their Python wrappers
    fin = np.isfinite(zmax)
    if not fin.all():
        zmax[~fin] = 0
    t = z - zmax
    delta = np.exp(t - np.log(np.add.reduce(np.exp(t), axis=-1, keepdims=True)))
    delta -= Y  # subtracting 0 elsewhere leaves the entries as they are
    delta *= 1.0 / Y.shape[-2]
    stacked = delta.ndim > 2
    for l in range(model.n_layers - 1, -1, -1):
        np.matmul(np.swapaxes(acts[l], -1, -2), delta, out=out[2 * l])
        np.add.reduce(delta, axis=-2, keepdims=stacked, out=out[2 * l + 1])
        if l > 0:
            back = delta @ np.swapaxes(params[2 * l], -1, -2)
            delta = back * (pre[l - 1] > 0) if model.activation == "relu" else back * (1.0 - acts[l] ** 2)
