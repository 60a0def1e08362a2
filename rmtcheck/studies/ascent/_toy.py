"""The non-convex toy where descent–ascent selects the wrong basin.

Source: Mavrothalassitis et al., "Ascent Fails to Forget" (NeurIPS 2025) [mavrothalassitis2025], Sec. 5
(toy example) [paper]; the loss form is [reconstructed] (the paper does not pin down targets, reduction
and ridge form), so it is a parameter here (:data:`TOY_VARIANTS`).

Parameters :math:`\\theta = (a, b)`, features :math:`x \\mapsto (x, x^2)`, prediction
:math:`h_\\theta(x) = s(ax + bx^2)` with the shifted sigmoid :math:`s(z) = 1/(1 + e^{-(1+z)/2})`, so
:math:`h > 1/2 \\iff ax + bx^2 > -1`. Points :math:`x \\in \\{-1, 1, 3, 4\\}`, labels
:math:`\\{-1, +1, -1, +1\\}`, multiplicities :math:`\\{5, 4, 1, 4\\}`; two of the four copies at
:math:`x = 4` are forgotten. The encoded variant (``TOY_DEFAULT``): targets :math:`t = (1+y)/2`,
unnormalised weighted sum of squares, ridge :math:`0.1\\|\\theta\\|^2`:

.. math::
    L_S(\\theta) = \\sum_i m^S_i (h_\\theta(x_i) - t_i)^2 + 0.1\\|\\theta\\|^2,\\qquad
    L_{DA} = \\sum_{R} - \\sum_{F} + 0.1\\|\\theta\\|^2,

so retraining has multiplicity 2 at :math:`x = 4` and DA effectively 0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, check_int, check_positive

_optimize = lazy_module("scipy.optimize")
_special = lazy_module("scipy.special")

__all__ = ["TOY_X", "TOY_Y", "TOY_COUNTS", "TOY_FORGET", "TOY_DEFAULT", "TOY_VARIANTS", "ToyLoss",
           "toy_loss", "toy_multistart", "toy_predict", "toy_misclassified", "toy_finetune", "toy_claim"]

#: The four points :math:`x` of the toy.
TOY_X = np.array([-1.0, 1.0, 3.0, 4.0])
#: Their labels.
TOY_Y = np.array([-1.0, 1.0, -1.0, 1.0])
#: Their multiplicities in the training set :math:`D`.
TOY_COUNTS = np.array([5.0, 4.0, 1.0, 4.0])
#: The forgotten copies (two of the four at :math:`x = 4`).
TOY_FORGET = np.array([0.0, 0.0, 0.0, 2.0])
#: Loss-form choices: targets, reduction (``sum``: unnormalised; ``mean``: each set over its size),
#: ridge form (``lambda``: :math:`\\lambda\\|\\theta\\|^2`; ``half``: :math:`\\tfrac{\\lambda}{2}\\|\\theta\\|^2`).
TOY_VARIANTS = {"target": ("01", "pm1"), "reduction": ("sum", "mean"), "ridge_form": ("lambda", "half")}
#: The encoded loss form (module docstring).
TOY_DEFAULT = {"target": "01", "reduction": "sum", "ridge_form": "lambda"}


def _s(z):
    return _special.expit((1.0 + z) / 2.0)


@dataclass(frozen=True)
class ToyLoss:
    """One objective of the toy: signed per-point weights, target/ridge form (see module docstring).

    Parameters
    ----------
    weights : ndarray, shape (4,)
        Signed multiplicities of the four points.
    target : {"01", "pm1"}, optional
        Targets :math:`(1+y)/2` or :math:`y` (then :math:`2h - 1` is fitted).
    ridge : float, optional
        :math:`\\lambda > 0` (default 0.1).
    ridge_form : {"lambda", "half"}, optional
        :math:`\\lambda\\|\\theta\\|^2` or :math:`\\tfrac{\\lambda}{2}\\|\\theta\\|^2`.

    See Also
    --------
    toy_loss : the three objectives.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """

    weights: np.ndarray
    target: str = "01"
    ridge: float = 0.1
    ridge_form: str = "lambda"

    def __post_init__(self):
        if self.target not in TOY_VARIANTS["target"]:
            raise ValueError(f"target must be one of {TOY_VARIANTS['target']}; got {self.target!r}")
        if self.ridge_form not in TOY_VARIANTS["ridge_form"]:
            raise ValueError(f"ridge_form must be one of {TOY_VARIANTS['ridge_form']}; got {self.ridge_form!r}")
        check_positive(self.ridge, "ridge")

    @property
    def _rho(self) -> float:
        return self.ridge if self.ridge_form == "lambda" else self.ridge / 2

    def _resid(self, theta):
        theta = np.asarray(theta, float)
        z = theta[..., :1] * TOY_X + theta[..., 1:2] * TOY_X**2
        h = _s(z)
        if self.target == "01":
            return h - (1 + TOY_Y) / 2, h, 1.0
        return 2 * h - 1 - TOY_Y, h, 2.0

    def value(self, theta):
        """Objective value at ``theta`` of shape ``(..., 2)``."""
        r, _, _ = self._resid(theta)
        theta = np.asarray(theta, float)
        return (r**2) @ self.weights + self._rho * np.sum(theta**2, axis=-1)

    def grad(self, theta):
        """Analytic gradient at ``theta`` of shape ``(..., 2)``."""
        r, h, scale = self._resid(theta)
        dz = 2 * r * scale * 0.5 * h * (1 - h) * self.weights  # d/dz of weighted squares
        theta = np.asarray(theta, float)
        return np.stack([dz @ TOY_X, dz @ TOY_X**2], -1) + 2 * self._rho * theta


def toy_loss(kind: str, target: str = "01", reduction: str = "sum", ridge_form: str = "lambda",
             ridge: float = 0.1) -> ToyLoss:
    """The toy's ``pretrain``, ``retrain`` or ``da`` objective in the chosen loss form.

    Parameters
    ----------
    kind : {"pretrain", "retrain", "da"}
    target, reduction, ridge_form, ridge : optional
        Loss form (:data:`TOY_VARIANTS`) and ridge (default :data:`TOY_DEFAULT`, 0.1).

    Returns
    -------
    ToyLoss

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    if reduction not in TOY_VARIANTS["reduction"]:
        raise ValueError(f"reduction must be one of {TOY_VARIANTS['reduction']}; got {reduction!r}")
    retain = TOY_COUNTS - TOY_FORGET
    if reduction == "sum":
        w = {"pretrain": TOY_COUNTS, "retrain": retain, "da": retain - TOY_FORGET}
    else:
        nD, nR, nF = TOY_COUNTS.sum(), retain.sum(), TOY_FORGET.sum()
        w = {"pretrain": TOY_COUNTS / nD, "retrain": retain / nR, "da": retain / nR - TOY_FORGET / nF}
    if kind not in w:
        raise ValueError(f"kind must be one of ('pretrain', 'retrain', 'da'); got {kind!r}")
    return ToyLoss(np.asarray(w[kind], float), target=target, ridge=ridge, ridge_form=ridge_form)


def toy_predict(theta) -> np.ndarray:
    """Predicted labels :math:`\\operatorname{sign}(ax + bx^2 + 1)` (``h > 1/2``) at the four points.

    Parameters
    ----------
    theta : array_like, shape (..., 2)

    Returns
    -------
    ndarray, shape (..., 4)
    """
    theta = np.asarray(theta, float)
    return np.where(theta[..., :1] * TOY_X + theta[..., 1:2] * TOY_X**2 > -1.0, 1.0, -1.0)


def toy_misclassified(theta) -> tuple:
    """The points :math:`x` misclassified by ``theta`` (the classification pattern).

    Parameters
    ----------
    theta : array_like, shape (2,)

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> toy_misclassified([0.0, 0.0])  # h(x) = s(0) > 1/2 everywhere: every negative point is wrong
    (-1.0, 3.0)
    """
    return tuple(float(v) for v in TOY_X[toy_predict(theta) != TOY_Y])


def toy_multistart(loss: ToyLoss, box: float = 8.0, grid: int = 121, n_starts: int = 12) -> dict:
    """Global minimum by multistart.

    Grid the box, refine the ``n_starts`` lowest grid-local minima with BFGS (analytic gradient, gtol
    1e-10).

    Parameters
    ----------
    loss : ToyLoss
    box : float, optional
        Half-width of the square searched (default 8).
    grid, n_starts : int, optional
        Grid points per axis and number of refined starts.

    Returns
    -------
    dict
        ``theta``, ``value`` and ``local_minima`` (``(theta, value, pattern)`` triples, best first).
    """
    check_positive(box, "box")
    check_int(grid, "grid", 11)
    g = np.linspace(-box, box, grid)
    A, B = np.meshgrid(g, g, indexing="ij")
    V = loss.value(np.stack([A, B], -1))
    P = np.pad(V, 1, constant_values=np.inf)
    is_min = np.ones_like(V, bool)
    for di, dj in itertools.product((-1, 0, 1), repeat=2):
        if di or dj:
            is_min &= V <= P[1 + di:1 + di + grid, 1 + dj:1 + dj + grid]
    idx = np.flatnonzero(is_min)
    idx = idx[np.argsort(V.ravel()[idx])][:n_starts]
    found = []
    for k in idx:
        res = _optimize.minimize(loss.value, np.array([A.ravel()[k], B.ravel()[k]]), jac=loss.grad, method="BFGS",
                       options={"gtol": 1e-10, "maxiter": 2000})
        th = res.x
        if not any(np.linalg.norm(th - f[0]) < 1e-5 for f in found):
            found.append((th, float(loss.value(th))))
    found.sort(key=lambda t: t[1])
    return {"theta": found[0][0], "value": found[0][1],
            "local_minima": [(th, v, toy_misclassified(th)) for th, v in found]}


def toy_finetune(loss: ToyLoss, theta0, lr: float = 0.02, n_steps: int = 20000, tol: float = 1e-9):
    """Gradient descent on ``loss`` from ``theta0`` (fine-tuning) until the gradient norm is below ``tol``.

    Parameters
    ----------
    loss : ToyLoss
    theta0 : array_like, shape (2,)
    lr, n_steps, tol : optional

    Returns
    -------
    theta : ndarray
    path : ndarray
        Every 100th iterate.
    flip_step : int or None
        First step whose classification pattern differs from the start's (``None`` if it never changes).

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    th = np.array(as_finite_array(theta0, "theta0", ndim=1), float)
    check_positive(lr, "lr")
    start = toy_misclassified(th)
    path = [th.copy()]
    flip = None
    for t in range(1, n_steps + 1):
        g = loss.grad(th)
        if np.linalg.norm(g) < tol:
            break
        th = th - lr * g
        if flip is None and t % 10 == 0 and toy_misclassified(th) != start:
            flip = t
        if t % 100 == 0:
            path.append(th.copy())
    path.append(th.copy())
    return th, np.array(path), flip


def toy_claim(target: str = "01", reduction: str = "sum", ridge_form: str = "lambda", ridge: float = 0.1,
              grid: int = 121) -> dict:
    """Evaluate the paper's toy claim in one loss form.

    The claim: the global minima of pretraining and retraining misclassify only :math:`x = 3`; the DA
    global minimum misclassifies :math:`x = 4` instead (and only it); gradient descent on the retain
    loss started at the DA minimum ends with the DA pattern.

    Parameters
    ----------
    target, reduction, ridge_form, ridge : optional
        Loss form (:data:`TOY_VARIANTS`) and ridge.
    grid : int, optional
        Multistart grid size.

    Returns
    -------
    dict
        Minima, patterns, ``pattern_claim``, ``finetune_claim`` and ``reproduces``.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    out = {"variant": {"target": target, "reduction": reduction, "ridge_form": ridge_form, "ridge": ridge}}
    thetas = {}
    for kind in ("pretrain", "retrain", "da"):
        res = toy_multistart(toy_loss(kind, target, reduction, ridge_form, ridge), grid=grid)
        thetas[kind] = res["theta"]
        out[f"theta_{kind}"] = res["theta"]
        out[f"pattern_{kind}"] = toy_misclassified(res["theta"])
        out[f"n_local_minima_{kind}"] = len(res["local_minima"])
    ft, _, flip = toy_finetune(toy_loss("retrain", target, reduction, ridge_form, ridge), thetas["da"])
    out["theta_finetuned"] = ft
    out["pattern_finetuned"] = toy_misclassified(ft)
    out["finetune_flip_step"] = flip
    out["pattern_claim"] = (out["pattern_pretrain"] == (3.0,) and out["pattern_retrain"] == (3.0,)
                            and out["pattern_da"] == (4.0,))
    out["finetune_claim"] = out["pattern_finetuned"] == out["pattern_da"] == (4.0,)
    out["reproduces"] = bool(out["pattern_claim"] and out["finetune_claim"])
    return out
