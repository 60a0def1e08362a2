"""Loss primitives of the per-sample curvature: values, output gradients, output-Hessian square roots and
gradient coefficients of ``"mse"``, ``"bce"`` and ``"ce"``, on validated output arrays.

The conventions and the two square roots of the cross-entropy Hessian are documented with the public functions
in :mod:`rmtcheck.curvature` (``per_sample_losses``, ``output_gradient``, ``hessian_sqrt``,
``gradient_coefficients``). They live here, below both users, because the pre-flight forecast
(:mod:`rmtcheck.stability.preflight`) evaluates the exact loss on the outputs of the linearised model and the
curvature adapters build :math:`\\Lambda^{1/2}` from them; ``stability`` never imports ``curvature``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rmtcheck._lib.validation import as_finite_array

#: The losses, by name.
LOSSES = ("mse", "bce", "ce")
#: Lower clip of :math:`p(1-p)` (``"bce"``) and of the eigenvalues of :math:`\Lambda` on :math:`\mathbf 1^\perp` (``"ce"``).
CURVATURE_FLOOR = 1e-100
_ROOTS = ("symmetric", "factored")


class _Terms(NamedTuple):
    losses: np.ndarray  # (n,)
    grad: np.ndarray    # (n, m)  dl/df
    sqrt: np.ndarray    # (n, m, k)  Lambda^{1/2}
    coef: np.ndarray    # (n, k)


# --------------------------------------------------------------------------------------------------
# validation (the torch adapter names its own arguments: ``who`` is "outputs" or "the model")

def _check_loss(loss) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    return loss


def _check_width(m: int, loss: str, who: str = "outputs") -> None:
    has = f"{who} has {m} column(s)" if who == "outputs" else f"{who} returns {m} output(s) per sample"
    if loss == "bce" and m != 1:
        raise ValueError(f"loss='bce' needs exactly 1 output per sample (a single logit); {has}: "
                         "use loss='ce' for several classes")
    if loss == "ce" and m < 2:
        raise ValueError(f"loss='ce' needs >= 2 outputs per sample (one logit per class); {has}: "
                         "use loss='bce' for a single logit")


def _check_outputs(outputs, loss: str, name: str = "outputs") -> np.ndarray:
    f = as_finite_array(outputs, name, ndim=(1, 2))
    f = f[:, None] if f.ndim == 1 else f
    if f.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row (one per sample); got shape {f.shape}")
    _check_width(f.shape[1], loss, "outputs" if name == "outputs" else name)
    return f


def _check_targets(targets, n: int, m: int, loss: str, name: str = "targets") -> np.ndarray:
    if loss == "mse":
        y = as_finite_array(targets, name, ndim=(1, 2))
        y = y[:, None] if y.ndim == 1 and m == 1 else y
        if y.shape != (n, m):
            raise ValueError(f"{name} must have shape (n, m) = {(n, m)} like the outputs for loss='mse'; "
                             f"got {y.shape}")
        return y
    if loss == "bce":
        y = as_finite_array(targets, name, ndim=(1, 2))
        if y.shape not in ((n,), (n, 1)):
            raise ValueError(f"{name} must have shape (n,) = ({n},) for loss='bce'; got {y.shape}")
        y = y.reshape(n)
        bad = (y != 0) & (y != 1)
        if bad.any():
            raise ValueError(f"{name} must be 0 or 1 for loss='bce'; got {int(bad.sum())} other value(s), "
                             f"e.g. {y[bad][0]!r}")
        return y
    y = np.asarray(targets)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be integer class labels of shape ({n},) for loss='ce'; got {y.dtype} "
                         f"{y.shape} (cast with .astype(int))")
    if y.min() < 0 or y.max() >= m:
        raise ValueError(f"{name} must lie in [0, {m - 1}] for loss='ce' with {m} logits; "
                         f"got range [{y.min()}, {y.max()}]")
    return y.astype(np.intp)


def _validate(outputs, targets, loss, names=("outputs", "targets")):
    loss = _check_loss(loss)
    f = _check_outputs(outputs, loss, names[0])
    return f, _check_targets(targets, f.shape[0], f.shape[1], loss, names[1]), loss


# --------------------------------------------------------------------------------------------------
# the losses

def _sigmoid_parts(z):
    """``p``, ``1 - p`` and ``p (1 - p)`` without cancellation or overflow."""
    e = np.exp(-np.abs(z))
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)
    pos = z >= 0
    return np.where(pos, big, small), np.where(pos, small, big), e / (1.0 + e) ** 2


def _softmax(z):
    """``log p`` and ``p``; ``log1p`` of the terms other than the largest keeps ``-log p`` accurate near 0."""
    n = z.shape[0]
    top = z.argmax(axis=1)
    zs = z - z[np.arange(n), top][:, None]
    e = np.exp(zs)
    e[np.arange(n), top] = 0.0
    logp = zs - np.log1p(e.sum(axis=1, keepdims=True))
    return logp, np.exp(logp)


def _ce_root(p, y, root: str):
    """The factor of ``Lambda = diag(p) - p p^T`` and the coefficients of ``g = p - e_y`` in it (module notes)."""
    n, m = p.shape
    rows, idx = np.arange(n), np.arange(m)
    pt = np.maximum(p, CURVATURE_FLOOR)
    r = np.sqrt(pt)
    A = -pt[:, :, None] * r[:, None, :]
    A[:, idx, idx] = r * (pt @ (1.0 - np.eye(m)))  # sqrt(p_j) sum_{l != j} p_l: no cancellation at p_j ~ 1
    cA = r.copy()
    cA[rows, y] -= 1.0 / r[rows, y]
    if root == "factored":
        return A, cA
    Us, _, Vt = np.linalg.svd(A)
    U = Us @ Vt  # polar factor: A = S U with S = (A A^T)^{1/2}
    S = A @ U.transpose(0, 2, 1)
    return 0.5 * (S + S.transpose(0, 2, 1)), np.einsum("ijk,ik->ij", U, cA)


def _value_grad(f: np.ndarray, y: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample losses ``(n,)`` and output gradients :math:`\\partial \\ell / \\partial f` ``(n, m)`` of
    validated outputs ``f`` (n, m) and targets ``y`` (the cheap part of :func:`_terms`: no square root)."""
    n, m = f.shape
    if loss == "mse":
        r = f - y
        return 0.5 * np.einsum("ij,ij->i", r, r), r
    if loss == "bce":
        p, q, _ = _sigmoid_parts(f[:, 0])
        losses = y * np.logaddexp(0.0, -f[:, 0]) + (1.0 - y) * np.logaddexp(0.0, f[:, 0])  # no cancellation
        return losses, ((1.0 - y) * p - y * q)[:, None]  # p - y, exact in both tails
    logp, p = _softmax(f)
    rows = np.arange(n)
    grad = p.copy()
    grad[rows, y] = -(p @ (1.0 - np.eye(m)))[rows, y]  # p_y - 1 = -sum_{l != y} p_l, no cancellation
    return -logp[rows, y], grad


def _terms(f: np.ndarray, y: np.ndarray, loss: str, root: str = "symmetric") -> _Terms:
    """Every per-sample quantity of validated outputs ``f`` (n, m) and targets ``y``."""
    n, m = f.shape
    losses, grad = _value_grad(f, y, loss)
    if loss == "mse":
        return _Terms(losses, grad, np.broadcast_to(np.eye(m), (n, m, m)).copy(), grad.copy())
    if loss == "bce":
        sd = np.sqrt(np.maximum(_sigmoid_parts(f[:, 0])[2], CURVATURE_FLOOR))
        return _Terms(losses, grad, sd[:, None, None], grad / sd[:, None])
    S, coef = _ce_root(_softmax(f)[1], y, root)
    return _Terms(losses, grad, S, coef)


def _check_root(root) -> str:
    if root not in _ROOTS:
        raise ValueError(f"root must be one of {_ROOTS}; got {root!r}")
    return root
