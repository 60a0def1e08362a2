"""The two-layer ReLU CNN on signal-plus-noise patches, in NumPy, with analytic per-sample gradients.

Model [reconstructed; the patch CNN of [changkhanna2026], Sec. 5, after Cao et al. 2022 / Kou et al.
2023]: an input is
``P`` patches :math:`x = [x^{(1)}, \\dots, x^{(P)}] \\in \\mathbb R^{P\\times d}` (``P = 2``: signal
:math:`y\\mu` and noise :math:`\\xi`), the second layer is fixed to :math:`\\pm 1/m` and

.. math::

    f(W, x) = F_{+1}(W_{+1}, x) - F_{-1}(W_{-1}, x),\\qquad
    F_s = \\frac1m \\sum_{r=1}^m \\sum_{p=1}^P \\operatorname{ReLU}(\\langle w_{s,r}, x^{(p)}\\rangle).

Weights are one array ``W`` of shape ``(2, m, d)``; ``W[0]`` holds the :math:`w_{+1,r}`, ``W[1]`` the
:math:`w_{-1,r}`. Gradient [derived; checked against central finite differences in
``tests/test_cnn_model.py``]:

.. math:: \\nabla_{w_{s,r}} f(x) = \\frac{s}{m}\\sum_p \\mathbf 1[\\langle w_{s,r}, x^{(p)}\\rangle > 0]\\, x^{(p)} .

Logistic loss :math:`\\ell(z) = \\log(1 + e^{-z})` of the margin :math:`z = y f`; :math:`\\ell'(z) = -\\operatorname{expit}(-z)`,
:math:`\\ell''(z) = \\operatorname{expit}(z)\\operatorname{expit}(-z)` (all overflow-safe).

Per-sample Hessians [derived]: :math:`\\nabla^2_W \\ell_i = \\ell''(z_i)\\nabla f_i\\nabla f_i^\\top + \\ell'(z_i)\\,y_i\\nabla^2 f_i`
and :math:`f` is piecewise *linear* in ``W`` (ReLU of a linear form), so :math:`\\nabla^2 f_i = 0` off the
measure-zero kinks: **the Gauss–Newton Hessian** :math:`H_i = \\ell''(z_i)\\nabla f_i\\nabla f_i^\\top` **is the
exact per-sample Hessian** wherever it exists. It is held as rank-one factors
:math:`g_i = \\sqrt{\\ell''(z_i)}\\,\\nabla f_i` (:class:`~rmtcheck.stability.families.HessianFamily`).

Everything is vectorised over samples: the per-sample gradient stack is one batched GEMM :math:`(n, 2m, P)\\times(n, P, d)` written once
:math:`(n, 2, m, P) \\times (n, P, d) \\to (n, 2, m, d)`; the mean gradient never forms the stack.
:func:`per_sample_grads_loop` (and :func:`rmtcheck.studies.cnn.training.train_epoch_loop`) are the
per-sample Python-loop baselines of ``benchmarks/bench_cnn.py``. Training and descent–ascent runs are in
:mod:`rmtcheck.studies.cnn.training`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.stability.families import HessianFamily

_special = lazy_module("scipy.special")

__all__ = [
    "PatchCNN", "SIGNS", "init_weights", "forward", "margins", "logistic_loss", "logistic_grad",
    "logistic_curvature", "per_sample_loss", "loss", "accuracy", "grad_f", "per_sample_grads",
    "per_sample_grads_loop", "weighted_grad", "loss_and_grad", "gn_factors", "gn_hessians",
]

#: Fixed second-layer signs of the two filter banks ``W[0]`` (+1) and ``W[1]`` (-1).
SIGNS = np.array([1.0, -1.0])


@dataclass(frozen=True)
class PatchCNN:
    """Architecture: patch dimension ``d``, filters per class ``width`` (:math:`m`), ``patches`` (:math:`P`).

    Parameters
    ----------
    d, width, patches : int
        :math:`d \\ge 1`, :math:`m \\ge 1` (default 10), :math:`P \\ge 1` (default 2: signal and noise).

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], Sec. 5 (the patch CNN).
    """

    d: int
    width: int = 10
    patches: int = 2

    def __post_init__(self):
        object.__setattr__(self, "d", check_int(self.d, "d", 1))
        object.__setattr__(self, "width", check_int(self.width, "width", 1))
        object.__setattr__(self, "patches", check_int(self.patches, "patches", 1))

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape ``(2, m, d)`` of the weights."""
        return (2, self.width, self.d)



def init_weights(model: PatchCNN, rng=None, scale: float | None = None) -> np.ndarray:
    """Gaussian initialisation :math:`w_{s,r} \\sim N(0, \\sigma_0^2 I_d)`, :math:`\\sigma_0` = ``scale``.

    Parameters
    ----------
    model : PatchCNN
    rng, scale : optional
        Seed or generator; :math:`\\sigma_0` (default :math:`0.1/\\sqrt d`, small as in benign overfitting).

    Returns
    -------
    ndarray, shape (2, m, d)
    """
    g = as_generator(rng)
    s = 0.1 / np.sqrt(model.d) if scale is None else check_positive(scale, "scale")
    return s * g.standard_normal(model.shape)


# --------------------------------------------------------------------------- validation
def _check_W(model: PatchCNN, W) -> np.ndarray:
    W = as_finite_array(W, "W", ndim=3)
    if W.shape != model.shape:
        raise ValueError(f"W must have shape {model.shape} (2, width, d); got {W.shape}")
    return W


def _check_X(model: PatchCNN, X) -> np.ndarray:
    X = as_finite_array(X, "X", ndim=3)
    if X.shape[1:] != (model.patches, model.d):
        raise ValueError(f"X must have shape (n, {model.patches}, {model.d}) (samples, patches, d); got {X.shape}")
    return X


def _check_y(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},); got {y.shape}")
    yf = as_finite_array(y, "y")
    if not np.all(np.isin(yf, (-1.0, 1.0))):
        bad = yf[~np.isin(yf, (-1.0, 1.0))][0]
        raise ValueError(f"y must contain labels in {{-1, +1}} only; got {bad!r}")
    return yf


# --------------------------------------------------------------------------- forward
def _pre(W, X):
    """Pre-activations :math:`\\langle w_{s,r}, x_i^{(p)}\\rangle` from one GEMM, shape ``(n, P, 2m)`` (the
    columns run over :math:`(s, r)`, ``s`` slowest)."""
    n, P, d = X.shape
    return (X.reshape(n * P, d) @ W.reshape(-1, d).T).reshape(n, P, -1)


def _f_pre(pre):
    """:math:`f(W, x_i)` from the pre-activations ``(n, P, 2m)`` of :func:`_pre`: ReLU, the sum over the patches
    (in patch order), over the filters (``@ ones``), the signs and :math:`1/m`."""
    n, P, two_m = pre.shape
    m = two_m // 2
    r = np.maximum(pre, 0.0)
    h = (r[:, 0] + r[:, 1] if P == 2 else r.sum(axis=1)).reshape(n, 2, m)
    return (h @ _constants(m)[0]) @ SIGNS / m


def forward(model: PatchCNN, W, X) -> np.ndarray:
    """:math:`f(W, x_i)` for every sample, shape ``(n,)``.

    Parameters
    ----------
    model, W, X
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``.
    """
    W, X = _check_W(model, W), _check_X(model, X)
    return _forward(W, X)


def _forward(W, X):
    return _f_pre(_pre(W, X))


def margins(model, W, X, y) -> np.ndarray:
    """Margins :math:`z_i = y_i f(W, x_i)`, shape ``(n,)``.

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.
    """
    X = _check_X(model, X)
    return _check_y(y, X.shape[0]) * forward(model, W, X)


def logistic_loss(z) -> np.ndarray:
    """:math:`\\ell(z) = \\log(1 + e^{-z})` (``logaddexp``: no overflow), elementwise on margins ``z``."""
    return np.logaddexp(0.0, -np.asarray(z, dtype=np.float64))


@functools.cache
def _expit():
    """``scipy.special.expit``, imported on first use (the hot loops skip the lazy module's import look-up)."""
    return _special.expit


def logistic_grad(z) -> np.ndarray:
    """:math:`\\ell'(z) = -\\operatorname{expit}(-z)` in :math:`(-1, 0)`, elementwise on margins ``z``."""
    return -_expit()(-np.asarray(z, dtype=np.float64))


def logistic_curvature(z) -> np.ndarray:
    """:math:`\\ell''(z) = \\operatorname{expit}(z)\\operatorname{expit}(-z)` in :math:`(0, 1/4]`, elementwise."""
    z = np.asarray(z, dtype=np.float64)
    return _special.expit(z) * _special.expit(-z)


def per_sample_loss(model, W, X, y) -> np.ndarray:
    """Logistic loss :math:`\\ell(y_i f(W, x_i))` of every sample, shape ``(n,)``.

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.
    """
    return logistic_loss(margins(model, W, X, y))


def loss(model, W, X, y) -> float:
    """Mean logistic loss (a float).

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.
    """
    return float(np.mean(per_sample_loss(model, W, X, y)))


def accuracy(model, W, X, y) -> float:
    """Fraction of samples with :math:`y_i f(W, x_i) > 0` (a float).

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.
    """
    return float(np.mean(margins(model, W, X, y) > 0))


# --------------------------------------------------------------------------- gradients
def _grad_f(W, X, coef=None):
    """Per-sample :math:`c_i\\nabla_W f_i`, shape ``(n, 2, m, d)``: one batched GEMM
    :math:`(n, 2m, P) \\times (n, P, d)` with the signs, :math:`1/m` and ``coef`` folded into the small
    activation array first, so the big output is written once (the cost is memory bandwidth).
    """
    n, P, d = X.shape
    two, m, _ = W.shape
    pre = (X.reshape(n * P, d) @ W.reshape(two * m, d).T).reshape(n, P, two * m)
    act = np.ascontiguousarray((pre > 0).transpose(0, 2, 1), dtype=np.float64)  # (n, 2m, P)
    act *= np.repeat(SIGNS / m, m)[None, :, None]
    if coef is not None:
        act *= coef[:, None, None]
    return np.matmul(act, X).reshape(n, two, m, d)


def grad_f(model: PatchCNN, W, X) -> np.ndarray:
    """Per-sample :math:`\\nabla_W f(W, x_i)`, shape ``(n, 2, m, d)`` (one batched GEMM; no loop over samples).

    At a kink (:math:`\\langle w_{s,r}, x^{(p)}\\rangle = 0` exactly) the ReLU derivative is taken as 0
    (formula [derived] in the module docstring).

    Parameters
    ----------
    model, W, X
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``.

    Returns
    -------
    ndarray, shape (n, 2, m, d)
    """
    W, X = _check_W(model, W), _check_X(model, X)
    return _grad_f(W, X)


def per_sample_grads(model, W, X, y) -> np.ndarray:
    """Per-sample loss gradients :math:`\\nabla_W\\ell_i = \\ell'(z_i) y_i \\nabla_W f_i`, flattened to ``(n, 2md)``.

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.

    Returns
    -------
    ndarray, shape (n, 2md)
    """
    W, X = _check_W(model, W), _check_X(model, X)
    y = _check_y(y, X.shape[0])
    z = y * _forward(W, X)
    return _grad_f(W, X, logistic_grad(z) * y).reshape(X.shape[0], -1)


def per_sample_grads_loop(model, W, X, y) -> np.ndarray:
    """The per-sample Python-loop baseline of :func:`per_sample_grads` (benchmarks and tests only).

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.

    Returns
    -------
    ndarray, shape (n, 2md)
    """
    W, X = _check_W(model, W), _check_X(model, X)
    y = _check_y(y, X.shape[0])
    m = W.shape[1]
    out = np.empty((X.shape[0], W.size))
    for i in range(X.shape[0]):
        x = X[i]                                   # (P, d)
        pre = W @ x.T                              # (2, m, P)
        f = (np.maximum(pre, 0.0).sum(axis=(1, 2)) @ SIGNS) / m
        g = ((pre > 0) @ x) * SIGNS[:, None, None] / m  # (2, m, d)
        out[i] = (logistic_grad(y[i] * f) * y[i]) * g.ravel()
    return out


def weighted_grad(model, W, X, y, c) -> tuple[np.ndarray, np.ndarray]:
    """:math:`\\sum_i c_i \\nabla_W \\ell_i` and the margins, without forming the per-sample stack.

    :math:`\\sum_i c_i \\ell'(z_i) y_i \\frac{s}{m}\\sum_p \\mathbf 1_{isrp} x_i^{(p)}`.

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.
    c : array_like, shape (n,)
        Sample weights.

    Returns
    -------
    grad : ndarray, shape (2, m, d)
    z : ndarray, shape (n,)
    """
    W, X = _check_W(model, W), _check_X(model, X)
    y = _check_y(y, X.shape[0])
    c = as_finite_array(c, "c", ndim=1)
    if c.shape != y.shape:
        raise ValueError(f"c must have shape {y.shape}; got {c.shape}")
    return _weighted_grad(W, X, y, c)


def _weighted_grad(W, X, y, c):
    pre = _pre(W, X)
    z = _margins_pre(pre, y)
    return _grad_pre(pre, z, X, y, c), z


def _margins_pre(pre, y):
    """Margins :math:`y_i f(W, x_i)` from the pre-activations ``(n, P, 2m)`` of :func:`_pre`."""
    return y * _f_pre(pre)


def _grad_pre(pre, z, X, y, c):
    """:math:`\\sum_i c_i \\nabla_W \\ell_i` from the pre-activations and margins at ``W`` (shape ``(2, m, d)``)."""
    n, P, two_m = pre.shape
    coef = c * -_expit()(-z) * y                             # (n,): c * logistic_grad(z) * y
    # the activations times coef, rows (s, r) and columns (i, p): the (2m, nP) left factor of one GEMM
    act = ((pre > 0) * coef[:, None, None]).transpose(2, 0, 1).reshape(two_m, n * P)
    g = (act @ X.reshape(n * P, -1)).reshape(2, two_m // 2, -1)
    g *= _constants(two_m // 2)[1]
    return g


@functools.lru_cache(maxsize=64)
def _constants(m: int):
    """Read-only ``np.ones(m)`` and ``SIGNS[:, None, None] / m`` (the same values every step)."""
    ones, scale = np.ones(m), SIGNS[:, None, None] / m
    ones.flags.writeable = scale.flags.writeable = False
    return ones, scale


def loss_and_grad(model, W, X, y) -> tuple[float, np.ndarray]:
    """Mean logistic loss and its gradient (shape of ``W``).

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.

    Returns
    -------
    loss : float
    grad : ndarray, shape (2, m, d)
    """
    W, X = _check_W(model, W), _check_X(model, X)
    y = _check_y(y, X.shape[0])
    n = X.shape[0]
    if n == 0:
        raise ValueError("X must have at least one sample")
    g, z = _weighted_grad(W, X, y, np.full(n, 1.0 / n))
    return float(np.mean(logistic_loss(z))), g


# --------------------------------------------------------------------------- Gauss-Newton
def gn_factors(model, W, X, y) -> np.ndarray:
    """Rank-one factors :math:`g_i = \\sqrt{\\ell''(z_i)}\\,\\nabla_W f_i`, shape ``(n, 2md)``.

    :math:`H_i = g_i g_i^\\top = \\ell''(z_i)\\nabla f_i\\nabla f_i^\\top` is the exact per-sample Hessian off
    the kinks (:math:`f` is piecewise linear in ``W``). [derived]

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.

    Returns
    -------
    ndarray, shape (n, 2md)

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], Sec. 5 (the patch CNN).
    """
    W, X = _check_W(model, W), _check_X(model, X)
    y = _check_y(y, X.shape[0])
    z = y * _forward(W, X)
    return _grad_f(W, X, np.sqrt(logistic_curvature(z))).reshape(X.shape[0], -1)


def gn_hessians(model, W, X, y) -> HessianFamily:
    """The per-sample Gauss–Newton Hessians as a rank-one :class:`~rmtcheck.stability.families.HessianFamily`.

    Parameters
    ----------
    model, W, X, y
        :class:`PatchCNN`, weights ``(2, m, d)``, patches ``(n, P, d)``, labels ``(n,)`` in {-1, +1}.

    Returns
    -------
    HessianFamily
    """
    return HessianFamily.from_factors(gn_factors(model, W, X, y), "gn_factors")
