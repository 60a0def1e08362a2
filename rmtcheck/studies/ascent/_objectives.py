"""Objectives of descent–ascent unlearning on a general data matrix, and their gradient dynamics.

Source: Mavrothalassitis, Puigdemont, Levi, Cevher, "Ascent Fails to Forget" (NeurIPS 2025,
arXiv 2509.26427) [mavrothalassitis2025], Sec. 3 [paper]; the normalisations (each set averaged over its
own size, ``proofs/ascent_block.py``), the logistic variant and the forget weight :math:`\\omega` are
[derived] here: they are the one formula below.

With margins :math:`m_i(w) = y_i\\langle w, x_i\\rangle`, a loss :math:`\\ell` (exponential proxy
:math:`e^{-m}` or logistic :math:`\\log(1 + e^{-m})`) and ridge :math:`\\lambda`, every objective is a
signed weighted sum

.. math::
    L(w) = \\sum_i \\kappa_i\\, \\ell(m_i(w)) + \\frac{\\lambda}{2}\\|w\\|^2,

with :math:`\\kappa_i = 1/|D|` (pretraining :math:`L_D`), :math:`\\kappa_i = 1_{i\\in R}/|R|`
(retraining, the oracle :math:`L_R`) and :math:`\\kappa_i = 1_{i\\in R}/|R| - \\omega 1_{i\\in F}/|F|`
(simultaneous descent–ascent :math:`L_{DA}`, forget weight :math:`\\omega`). One formula serves all
three, so the gradient and Hessian code exists once.

Descent–ascent has no minimiser in general (:math:`L_{DA}` is unbounded below along directions that
lower the forget margins), so the trajectories below treat running off as an *outcome*
(``status == "diverged"``), not as an error; exponentials are evaluated with a clipped exponent so no
overflow warning is ever raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, check_int, check_positive

_special = lazy_module("scipy.special")

__all__ = [
    "LOSSES",
    "KINDS",
    "EXP_CLIP",
    "safe_exp",
    "AscentProblem",
    "Trajectory",
    "gradient_descent",
    "alternating_da",
    "newton_minimize",
]

#: Loss families: ``"exp"`` is the paper's exponential proxy, ``"logistic"`` the true logistic loss.
LOSSES = ("exp", "logistic")
#: Objectives: pretraining on D, retraining on R (the oracle), simultaneous descent–ascent.
KINDS = ("pretrain", "retrain", "da")
#: Largest exponent ever passed to ``np.exp`` (exp(700) ~ 1e304 is finite in float64).
EXP_CLIP = 700.0


def safe_exp(z):
    """:math:`e^{\\min(z, 700)}`: an overflow-free exponential (values above 700 saturate).

    Parameters
    ----------
    z : array_like
        Exponent.

    Returns
    -------
    ndarray
        :math:`e^{\\min(z, 700)}` (:data:`EXP_CLIP`).
    """
    return np.exp(np.minimum(z, EXP_CLIP))


def _loss_terms(m, loss: str):
    """Return :math:`\\ell(m)`, :math:`\\ell'(m)`, :math:`\\ell''(m)` elementwise, overflow-safe."""
    if loss == "exp":
        e = safe_exp(-m)
        return e, -e, e
    # logistic: log(1 + e^{-m}) = logaddexp(0, -m); derivative -sigma(-m); second sigma(m) sigma(-m)
    sm = _special.expit(-m)
    return np.logaddexp(0.0, -m), -sm, sm * _special.expit(m)


@dataclass(frozen=True, eq=False)
class AscentProblem:
    """Data ``(X, y)`` split into retain and forget sets, with loss, ridge and forget weight.

    Values, gradients and Hessians of the three objectives ``kind`` in :data:`KINDS` (module docstring).

    Parameters
    ----------
    X : array of shape (n, d)
        Design matrix (any, not only the block-orthogonal construction).
    y : array of shape (n,)
        Labels in {-1, +1}.
    forget : bool array of shape (n,)
        ``True`` for forget samples; at least one retain and one forget sample.
    loss : {"exp", "logistic"}
        The paper's exponential proxy or the true logistic loss.
    ridge : float
        :math:`\\lambda > 0`.
    forget_weight : float
        :math:`\\omega \\ge 0`, weight of the ascent term in :math:`L_{DA}` (1 in the paper).

    See Also
    --------
    gradient_descent, alternating_da, newton_minimize

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 3.
    """

    X: np.ndarray
    y: np.ndarray
    forget: np.ndarray
    loss: str = "exp"
    ridge: float = 0.01
    forget_weight: float = 1.0
    _kappa: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        X = as_finite_array(self.X, "X", ndim=2)
        y = as_finite_array(self.y, "y", ndim=1)
        if X.shape[0] != y.shape[0] or X.shape[0] < 2:
            raise ValueError(f"X and y must have the same number n >= 2 of rows; got {X.shape} and {y.shape}")
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError("y must contain labels in {-1, +1} only")
        fm = np.asarray(self.forget)
        if fm.shape != y.shape or fm.dtype != bool:
            raise ValueError(f"forget must be a boolean mask of shape {y.shape}; got dtype {fm.dtype}, shape {fm.shape}")
        nf = int(fm.sum())
        if nf < 1 or nf > y.size - 1:
            raise ValueError(f"forget must select between 1 and n-1 = {y.size - 1} samples; got {nf}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; got {self.loss!r}")
        check_positive(self.ridge, "ridge")
        if not np.isfinite(self.forget_weight) or self.forget_weight < 0:
            raise ValueError(f"forget_weight must be finite and >= 0; got {self.forget_weight!r}")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "forget", fm)
        n, nr = y.size, y.size - nf
        r = (~fm).astype(float)
        f = fm.astype(float)
        self._kappa.update(
            pretrain=np.full(n, 1.0 / n), retrain=r / nr, da=r / nr - float(self.forget_weight) * f / nf,
            retain_part=r / nr, forget_part=f / nf,
        )

    # ------------------------------------------------------------------ basic quantities
    @property
    def n_retain(self) -> int:
        """Number :math:`|R|` of retain samples."""
        return int((~self.forget).sum())

    @property
    def n_forget(self) -> int:
        """Number :math:`|F|` of forget samples."""
        return int(self.forget.sum())

    @property
    def dim(self) -> int:
        """Dimension :math:`d`."""
        return self.X.shape[1]

    def weights(self, kind: str) -> np.ndarray:
        """The signed sample weights :math:`\\kappa_i` of objective ``kind``."""
        if kind not in self._kappa:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
        return self._kappa[kind]

    def margins(self, w) -> np.ndarray:
        """:math:`m_i = y_i \\langle w, x_i\\rangle` for ``w`` of shape ``(..., d)``; shape ``(..., n)``."""
        return (np.asarray(w, float) @ self.X.T) * self.y

    def value(self, kind: str, w) -> np.ndarray:
        """Objective value; ``+inf``/``-inf`` never appear (exponent clipped), huge values may."""
        w = np.asarray(w, float)
        ell, _, _ = _loss_terms(self.margins(w), self.loss)
        return ell @ self.weights(kind) + 0.5 * self.ridge * np.einsum("...d,...d->...", w, w)

    def grad(self, kind: str, w) -> np.ndarray:
        """:math:`\\nabla L(w) = X^\\top(\\kappa \\odot y \\odot \\ell'(m)) + \\lambda w`."""
        w = np.asarray(w, float)
        _, d1, _ = _loss_terms(self.margins(w), self.loss)
        return (d1 * (self.weights(kind) * self.y)) @ self.X + self.ridge * w

    def hessian(self, kind: str, w) -> np.ndarray:
        """:math:`\\nabla^2 L(w) = X^\\top \\operatorname{diag}(\\kappa\\odot\\ell''(m)) X + \\lambda I`."""
        w = np.asarray(w, float)
        _, _, d2 = _loss_terms(self.margins(w), self.loss)
        s = d2 * self.weights(kind)
        return np.einsum("...n,ni,nj->...ij", s, self.X, self.X) + self.ridge * np.eye(self.dim)

    def set_metrics(self, w) -> dict:
        """Accuracy and mean loss on the retain and forget sets for ``w`` of shape ``(d,)``."""
        m = self.margins(w)
        ell, _, _ = _loss_terms(m, self.loss)
        out = {}
        for name, mask in (("retain", ~self.forget), ("forget", self.forget)):
            out[f"{name}_accuracy"] = float(np.mean(m[mask] > 0))
            out[f"{name}_loss"] = float(np.mean(ell[mask]))
        return out


@dataclass
class Trajectory:
    """A gradient run. ``path`` has shape ``(T+1, ..., d)`` (every ``record_every``-th iterate).

    Attributes
    ----------
    path : ndarray
        Recorded iterates.
    final : ndarray
        Last iterate of every run, shape ``(..., d)``.
    status : ndarray of str
        Per batch element: ``"converged"`` (gradient norm below ``tol``), ``"diverged"`` (an iterate left
        the ball :math:`\\|w\\|_\\infty \\le` ``w_cap``: the expected outcome of DA without minimiser) or
        ``"max_iter"``.
    steps, grad_norm : ndarray
        Steps taken and final gradient norm per run.
    """

    path: np.ndarray
    final: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    grad_norm: np.ndarray

    def to_dict(self) -> dict:
        """Everything but ``path``, as a dict."""
        return {"final": self.final, "status": self.status, "steps": self.steps, "grad_norm": self.grad_norm}


def _run(step, gradfn, w0, lr, max_iter, tol, w_cap, record_every):
    w = np.array(np.atleast_1d(as_finite_array(w0, "w0")), dtype=float)
    batch = w.shape[:-1]
    active = np.ones(batch, bool)
    status = np.full(batch, "max_iter", dtype=object)
    steps = np.zeros(batch, int)
    path = [w.copy()]
    gnorm = np.linalg.norm(gradfn(w), axis=-1)
    for t in range(1, max_iter + 1):
        done = gnorm < tol
        status[done & active] = "converged"
        active &= ~done
        if not active.any():
            break
        w_new = step(w)
        bad = ~np.all(np.abs(w_new) <= w_cap, axis=-1)  # also catches NaN
        newly_div = active & bad
        status[newly_div] = "diverged"
        steps[newly_div] = t
        active &= ~bad
        w = np.where(active[..., None], w_new, w)
        steps[active] = t
        gnorm = np.where(active, np.linalg.norm(gradfn(w), axis=-1), gnorm)
        if record_every and t % record_every == 0:
            path.append(w.copy())
    return Trajectory(path=np.stack(path), final=w, status=status.astype(str), steps=steps, grad_norm=gnorm)


def gradient_descent(problem: AscentProblem, kind: str, w0, lr: float, max_iter: int = 10_000,
                     tol: float = 1e-10, w_cap: float = 1e3, record_every: int = 1) -> Trajectory:
    """Gradient descent :math:`w_{t+1} = w_t - \\eta\\nabla L(w_t)` on objective ``kind``.

    ``w0`` may carry batch dimensions ``(..., d)``; all runs advance together (vectorised) and each
    stops on its own. A run whose iterate leaves :math:`\\|w\\|_\\infty \\le` ``w_cap`` is frozen with
    status ``"diverged"`` ("DA has no minimiser").

    Parameters
    ----------
    problem : AscentProblem
    kind : {"pretrain", "retrain", "da"}
    w0 : array_like, shape (..., d)
        Start(s).
    lr : float
        Step size :math:`\\eta > 0`.
    max_iter, tol, w_cap, record_every : optional
        Iteration cap, gradient-norm tolerance, divergence box, recording stride.

    Returns
    -------
    Trajectory

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 3.
    """
    check_positive(lr, "lr")
    check_int(max_iter, "max_iter", 1)
    check_positive(w_cap, "w_cap")
    problem.weights(kind)
    g = lambda w: problem.grad(kind, w)  # noqa: E731
    return _run(lambda w: w - lr * g(w), g, w0, lr, max_iter, tol, w_cap, record_every)


def alternating_da(problem: AscentProblem, w0, lr: float, max_iter: int = 10_000, tol: float = 1e-10,
                   w_cap: float = 1e3, record_every: int = 1) -> Trajectory:
    """Alternating descent–ascent: a retain descent step, then a (weighted) forget ascent step.

    The ridge is descended in both half-steps [derived]:

    .. math::
        w' = w - \\eta(\\nabla \\bar L_R(w) + \\lambda w),\\qquad
        w'' = w' + \\eta\\,\\omega \\nabla \\bar L_F(w') - \\eta\\lambda w'.

    To first order in :math:`\\eta` this is simultaneous DA with ridge :math:`2\\lambda`
    (``proofs/ascent_alternating.py``). Convergence is measured by the size of the double step.

    Parameters
    ----------
    problem : AscentProblem
    w0 : array_like, shape (..., d)
    lr : float
    max_iter, tol, w_cap, record_every : optional
        As in :func:`gradient_descent`.

    Returns
    -------
    Trajectory

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 3 (alternating GDA).
    """
    check_positive(lr, "lr")
    check_int(max_iter, "max_iter", 1)
    lam, om = problem.ridge, float(problem.forget_weight)

    def part_grad(w, kind):
        _, d1, _ = _loss_terms(problem.margins(w), problem.loss)
        return (d1 * (problem.weights(kind) * problem.y)) @ problem.X

    def step(w):
        w1 = w - lr * (part_grad(w, "retain_part") + lam * w)
        w1 = np.clip(w1, -2 * w_cap, 2 * w_cap)
        return w1 + lr * om * part_grad(w1, "forget_part") - lr * lam * w1

    return _run(step, lambda w: (w - step(w)) / lr, w0, lr, max_iter, tol, w_cap, record_every)


def newton_minimize(problem: AscentProblem, kind: str, w0=None, tol: float = 1e-12, max_iter: int = 100):
    """Damped Newton with backtracking for the convex objectives (``pretrain``, ``retrain``).

    For ``da`` the Newton step is only accepted while the Hessian is positive definite (a local minimum
    search).

    Parameters
    ----------
    problem : AscentProblem
    kind : {"pretrain", "retrain", "da"}
    w0 : array_like, shape (d,), optional
        Start (default 0).
    tol, max_iter : optional
        Gradient-norm tolerance and iteration cap.

    Returns
    -------
    w : ndarray, shape (d,)
    converged : bool
        :math:`\\|\\nabla L\\| \\le` ``tol``.

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 3.
    """
    w = np.zeros(problem.dim) if w0 is None else np.array(as_finite_array(w0, "w0", ndim=1), float)
    f = problem.value(kind, w)
    for _ in range(max_iter):
        g = problem.grad(kind, w)
        if np.linalg.norm(g) <= tol:
            return w, True
        H = problem.hessian(kind, w)
        try:
            L = np.linalg.cholesky(H)
        except np.linalg.LinAlgError:
            return w, False
        step = np.linalg.solve(L.T, np.linalg.solve(L, g))
        t = 1.0
        while t > 1e-12:
            w_new = w - t * step
            f_new = problem.value(kind, w_new)
            if f_new <= f - 1e-4 * t * (g @ step) + 1e-14 * abs(f):
                break
            t *= 0.5
        if np.allclose(w_new, w, rtol=0, atol=1e-300):
            return w, np.linalg.norm(g) <= 10 * tol
        w, f = w_new, f_new
    return w, bool(np.linalg.norm(problem.grad(kind, w)) <= tol)
