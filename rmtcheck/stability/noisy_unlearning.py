"""Descent–ascent unlearning from a non-interpolating optimum: the affine second-moment map.

The linearised dynamics of [1]_ are stated at an interpolating minimum, where every per-sample
gradient vanishes. :class:`NoisyMixedDynamics` keeps the per-sample gradients at the optimum as an
additive forcing and tracks the exact first and second moments. [derived;
``proofs/chang_khanna_noise.py``] The divergence threshold is that of the homogeneous operator
:math:`T` of :mod:`rmtcheck.stability.unlearning` (unchanged); below it the second moment tends to a
positive fixed point instead of 0.

References
----------
.. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.stability.families import as_family
from rmtcheck.stability.operator import sym_basis
from rmtcheck.stability.sampling import check_mixed_sampling
from rmtcheck.stability.unlearning import mixed_recursion

_spla = lazy_module("scipy.sparse.linalg")

__all__ = [
    "NoisyMixedDynamics",
]


class NoisyMixedDynamics:
    """Descent–ascent at a non-interpolating optimum: :math:`\\delta_{k+1} = J_k\\delta_k - \\eta\\hat g_k`.

    :math:`\\hat g_k = (1-\\alpha)\\sum_i c^r_i g^r_i - \\alpha\\sum_j c^f_j g^f_j` uses the same batch as
    :math:`J_k`, with per-sample gradients :math:`g_i = \\nabla\\ell_i(w^*)` not all zero (reviewers of
    [1]_ noted the interpolation assumption). Writing :math:`m_k = \\mathbb E\\delta_k` and
    :math:`M_k = \\mathbb E\\delta_k\\delta_k^\\top`, [derived; ``proofs/chang_khanna_noise.py``]

    .. math::

        m_{k+1} &= (I-\\eta\\bar D)m_k - \\eta\\bar g,\\\\
        M_{k+1} &= T(M_k) - \\eta\\big(P(m_k) + P(m_k)^\\top\\big) + \\eta^2 Q,\\qquad
        P(m) = m\\bar g^\\top - \\eta\\,\\mathbb E[\\hat H m \\hat g^\\top],\\quad Q = \\mathbb E[\\hat g\\hat g^\\top],

    with :math:`\\mathbb E[\\hat H m\\hat g^\\top] = \\bar D m\\bar g^\\top + \\sum_t w_t^2[\\kappa_t\\bar H_t m\\bar g_t^\\top
    + \\nu_t\\sum_i H_{t,i} m g_{t,i}^\\top]` and
    :math:`Q = \\bar g\\bar g^\\top + \\sum_t w_t^2[\\kappa_t\\bar g_t\\bar g_t^\\top + \\nu_t\\sum_i g_{t,i}g_{t,i}^\\top]`.
    The map :math:`(M, m, 1)\\mapsto(M', m', 1)` is linear and block triangular with diagonal blocks
    :math:`T`, :math:`I - \\eta\\bar D` and 1, so its growth is :math:`\\max(\\rho(T), 1)`
    (:math:`|1-\\eta\\lambda(\\bar D)|^2 \\le \\rho(T)` by Jensen): **the divergence threshold is that of**
    :math:`T` **(unchanged)**, while for :math:`\\rho(T) < 1` the second moment converges to the fixed
    point :math:`M_\\infty \\ne 0` (**bounded, not convergent to 0**).

    Supported samplings: ``independent_bernoulli`` and ``without_replacement``. Gradients must lie in
    the range of :math:`(1-\\alpha)H_r + \\alpha H_f` (a component outside it performs a random walk,
    whose second moment grows linearly); MSE gradients :math:`r_i x_i` with Hessians
    :math:`x_i x_i^\\top` always do.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians at the optimum (``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks).
    retain_grads : array_like of shape (n_r, d)
        Per-sample retain gradients :math:`g^r_i`.
    forget_grads : array_like of shape (n_f, d)
        Per-sample forget gradients :math:`g^f_j`.
    batch : int
        Batch size ``B`` in ``[1, min(n_r, n_f)]``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.
    restrict_to_range : bool, default True
        Work on the range of the Hessians (and refuse gradients with a component outside it). ``False`` keeps
        every coordinate: a gradient component where no member has curvature then drifts as the exact random
        walk it is (the pre-flight forecast, already in Gram coordinates, uses this).

    Attributes
    ----------
    rec : LinearRecursion
        The homogeneous part (:func:`~rmtcheck.stability.unlearning.mixed_recursion`), on the range.
    alpha : float
        The mixing weight.
    grads : tuple of ndarray
        Retain and forget gradients in range coordinates.
    gbar : ndarray of shape (d,)
        Mean forcing :math:`\\bar g = (1-\\alpha)\\bar g_r - \\alpha\\bar g_f`.
    Q : ndarray of shape (d, d)
        :math:`\\mathbb E[\\hat g\\hat g^\\top]`.
    d : int
        Dimension of the range.

    Raises
    ------
    ValueError
        If ``sampling`` is ``"pair_bernoulli"`` or unknown, a gradient array has the wrong shape or
        is not finite, the gradients have a component outside the range of the Hessians, or the
        arguments fail the checks of :func:`~rmtcheck.stability.unlearning.mixed_recursion`.

    See Also
    --------
    rmtcheck.stability.unlearning.mixed_recursion : The homogeneous dynamics.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> dyn = NoisyMixedDynamics(R, F, 0.1 * R, -0.1 * F, 4, alpha=0.1)   # MSE gradients r_i x_i
    >>> round(dyn.rec.growth(0.5), 6)                                      # below threshold
    0.867975
    >>> M, m = dyn.stationary(0.5)
    >>> round(float(np.trace(M)), 6), round(float(dyn.iterate(0.5, 300)[-1]), 6)   # bounded, not 0
    (0.024065, 0.024065)
    """

    def __init__(self, retain, forget, retain_grads, forget_grads, batch: int, *, alpha: float,
                 sampling: str = "independent_bernoulli", restrict_to_range: bool = True):
        if check_mixed_sampling(sampling) == "pair_bernoulli":
            raise ValueError("NoisyMixedDynamics supports sampling 'independent_bernoulli' and 'without_replacement'")
        retain, forget = as_family(retain, "retain"), as_family(forget, "forget")
        gr = as_finite_array(retain_grads, "retain_grads", ndim=2)
        gf = as_finite_array(forget_grads, "forget_grads", ndim=2)
        if gr.shape != (retain.n, retain.d):
            raise ValueError(f"retain_grads must have shape {(retain.n, retain.d)}; got {gr.shape}")
        if gf.shape != (forget.n, forget.d):
            raise ValueError(f"forget_grads must have shape {(forget.n, forget.d)}; got {gf.shape}")
        self.rec = mixed_recursion(retain, forget, batch, alpha=alpha, sampling=sampling,
                                   restrict_to_range=restrict_to_range)
        coords = self.rec.coords
        if coords is not None:
            U = np.eye(retain.d)[:, coords] if coords.ndim == 1 else coords
            pr, pf = gr @ U, gf @ U
            off = max(np.linalg.norm(gr - pr @ U.T), np.linalg.norm(gf - pf @ U.T))
            scale = max(np.linalg.norm(gr), np.linalg.norm(gf), np.finfo(float).tiny)
            if off > 1e-9 * scale:
                raise ValueError(
                    f"gradients have a component of norm {off:.3g} outside the range of the Hessians; "
                    "there the dynamics are a random walk (second moment grows linearly) — project them first")
            gr, gf = pr, pf
        self.alpha = self.rec.alpha
        self.grads = (gr, gf)
        w = (1 - self.alpha, -self.alpha)
        self.gbar = w[0] * gr.mean(axis=0) + w[1] * gf.mean(axis=0)
        Q = np.outer(self.gbar, self.gbar)
        for t, g, wt in zip(self.rec.terms, self.grads, w):
            gm = g.mean(axis=0)
            Q += wt * wt * (t.model.kappa * np.outer(gm, gm) + t.model.nu * (g.T @ g))
        self.Q = Q
        self.d = self.rec.d
        self._rows_b = None

    def _EHmg(self, m: np.ndarray) -> np.ndarray:
        A, B = self._forcing_rows(m, 0.0, 1.0)
        return A.T @ B

    def _forcing_rows(self, m: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``A``, ``B`` with :math:`A^\\top B = a\\, m\\bar g^\\top + b\\,\\mathbb E[\\hat H m\\hat g^\\top]`: one GEMM
        for the sum of rank-one terms (the members' :math:`H_i m g_i^\\top` included)."""
        if self._rows_b is None:  # the right-hand rows do not depend on m
            rows, coefs = [self.gbar[None]], []
            for t, g in zip(self.rec.terms, self.grads):
                wt2 = t.weight * t.weight
                if wt2 and t.model.kappa:
                    rows.append(g.mean(axis=0)[None])
                    coefs.append(("kappa", t, wt2 * t.model.kappa))
                if wt2 and t.model.nu:
                    rows.append(g)
                    coefs.append(("nu", t, wt2 * t.model.nu))
            self._rows_b, self._coefs = np.concatenate(rows), coefs
        left = [(a * m + b * (self.rec.mean @ m))[None]]
        for kind, t, c in self._coefs:
            fam = t.family
            left.append((b * c) * ((fam.mean @ m)[None] if kind == "kappa" else _member_apply(fam, m)))
        return np.concatenate(left), self._rows_b

    def step(self, M: np.ndarray, m: np.ndarray, lr: float, c: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """One exact step of the affine moment map :math:`(M_k, m_k) \\mapsto (M_{k+1}, m_{k+1})`.

        Parameters
        ----------
        M : ndarray of shape (d, d)
            Second moment :math:`M_k` (range coordinates).
        m : ndarray of shape (d,)
            Mean :math:`m_k`.
        lr : float
            Step size :math:`\\eta` (not validated here).
        c : float, default 1.0
            Scales the forcing (the third coordinate of the homogeneous form :math:`(M, m, c)`).

        Returns
        -------
        M_next : ndarray of shape (d, d)
            Symmetrised :math:`M_{k+1}`.
        m_next : ndarray of shape (d,)
            :math:`m_{k+1}`.
        """
        A, B = self._forcing_rows(m, -lr, lr * lr)
        P = A.T @ B  # -lr P(m) with P(m) = m gbar^T - lr E[H m g^T]
        M2 = self.rec.apply(M, lr)
        M2 += P
        M2 += P.T
        if c:
            M2 += (c * lr * lr) * self.Q
        m2 = m - lr * (self.rec.mean @ m) - (c * lr) * self.gbar
        out = M2 + M2.T
        out *= 0.5
        return out, m2

    def log_second_moment(self, lr: float, steps: int, M0=None, m0=None) -> np.ndarray:
        """:math:`\\log\\mathbb E\\|\\delta_k\\|^2` for ``k = 0..steps``, overflow-safe.

        Iterates the homogeneous form :math:`(M, m, c)` of the affine map, renormalising by the trace
        and accumulating the logarithm, so divergent runs never overflow.

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta > 0`.
        steps : int
            Number of steps, ``>= 1``.
        M0 : array_like of shape (d, d), optional
            Initial second moment (default :math:`I`, i.e. :math:`\\delta_0 \\sim N(0, I)`).
        m0 : array_like of shape (d,), optional
            Initial mean (default 0).

        Returns
        -------
        ndarray of shape (steps + 1,)

        Raises
        ------
        ValueError
            If ``lr`` or ``steps`` is invalid.
        RuntimeError
            If the trace of the second moment becomes non-positive (round-off).
        """
        lr = check_positive(lr, "lr")
        M = np.eye(self.d) if M0 is None else np.array(M0, dtype=float)
        m = np.zeros(self.d) if m0 is None else np.array(m0, dtype=float)
        c, acc = 1.0, 0.0
        out = [float(np.log(np.trace(M)))]
        for _ in range(check_int(steps, "steps", 1)):
            M, m = self.step(M, m, lr, c)
            tr = float(np.trace(M))
            if tr <= 0:
                raise RuntimeError("non-positive second-moment trace (round-off); use fewer steps")
            acc += np.log(tr)
            out.append(acc)
            M, m, c = M / tr, m / tr, c / tr
        return np.array(out)

    def iterate(self, lr: float, steps: int, M0=None, m0=None) -> np.ndarray:
        """:math:`\\mathbb E\\|\\delta_k\\|^2 = \\operatorname{Tr} M_k` for ``k = 0..steps`` (exact moments).

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta > 0`.
        steps : int
            Number of steps, ``>= 1``.
        M0 : array_like of shape (d, d), optional
            Initial second moment (default :math:`I`).
        m0 : array_like of shape (d,), optional
            Initial mean (default 0).

        Returns
        -------
        ndarray of shape (steps + 1,)
            May overflow above the threshold; use :meth:`log_second_moment` there.

        Raises
        ------
        ValueError
            If ``lr`` or ``steps`` is invalid.
        """
        lr = check_positive(lr, "lr")
        M = np.eye(self.d) if M0 is None else np.array(M0, dtype=float)
        m = np.zeros(self.d) if m0 is None else np.array(m0, dtype=float)
        out = [float(np.trace(M))]
        for _ in range(check_int(steps, "steps", 1)):
            M, m = self.step(M, m, lr)
            out.append(float(np.trace(M)))
        return np.array(out)

    def stationary(self, lr: float) -> tuple[np.ndarray, np.ndarray]:
        """The fixed point :math:`(M_\\infty, m_\\infty)` of the moment map below the threshold.

        :math:`m_\\infty = -\\bar D^{-1}\\bar g` and :math:`(I - T)M_\\infty = -\\eta(P + P^\\top) + \\eta^2 Q`,
        solved by conjugate gradients (:math:`I - T` is Frobenius-symmetric positive definite when
        :math:`\\rho(T) < 1`).

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta > 0`.

        Returns
        -------
        M_inf : ndarray of shape (d, d)
            Stationary second moment (symmetric, nonzero in general).
        m_inf : ndarray of shape (d,)
            Stationary mean.

        Raises
        ------
        ValueError
            If ``lr`` is invalid or :math:`\\rho(T) \\ge 1` (no stationary second moment).
        RuntimeError
            If conjugate gradients do not converge.
        """
        lr = check_positive(lr, "lr")
        rho = self.rec.growth(lr)
        if not rho < 1:
            raise ValueError(f"no stationary second moment: rho(T) = {rho:.6g} >= 1 at lr={lr}")
        m = -np.linalg.solve(self.rec.mean, self.gbar)
        P = np.outer(m, self.gbar) - lr * self._EHmg(m)
        R = -lr * (P + P.T) + lr * lr * self.Q
        d = self.d

        def mv(x):
            X = x.reshape(d, d)
            X = 0.5 * (X + X.T)
            return (X - self.rec.apply(X, lr)).ravel()

        if d <= 30:  # small: I - T in an orthonormal basis of Sym(d), solved directly (CG stalls near rho = 1)
            E = sym_basis(d)
            A = np.einsum("pab,qab->pq", E, np.array([mv(e.ravel()).reshape(d, d) for e in E]))
            y = np.linalg.lstsq(A, np.einsum("pab,ab->p", E, R), rcond=None)[0]
            return np.einsum("p,pab->ab", y, E), m
        op = _spla.LinearOperator((d * d, d * d), matvec=mv, dtype=float)
        x, info = _spla.cg(op, R.ravel(), rtol=1e-13, atol=0.0, maxiter=100 * d * d + 1000)
        if info != 0:  # near rho(T) = 1, 1e-13 is below what round-off allows: accept what round-off permits
            res = np.linalg.norm(op.matvec(x) - R.ravel()) / max(np.linalg.norm(R), np.finfo(float).tiny)
            if not res <= 1e-8:
                raise RuntimeError(f"CG did not converge for the stationary second moment (relative residual "
                                   f"{res:.3g}; rho(T) = {rho:.6g})")
        X = x.reshape(d, d)
        return 0.5 * (X + X.T), m

    def simulate(self, lr: float, steps: int = 400, runs: int = 256, rng=None) -> np.ndarray:
        """Monte Carlo :math:`\\overline{\\|\\delta_k\\|^2}` over ``runs`` paths from :math:`\\delta_0 \\sim N(0, I)`.

        Simulates :math:`\\delta_{k+1} = \\delta_k - \\eta\\sum_t w_t(\\hat H_t\\delta_k + \\hat g_t)` in range
        coordinates with the same batch for the Hessian and the gradient (no renormalisation: use below
        the threshold).

        Parameters
        ----------
        lr : float
            Step size :math:`\\eta > 0`.
        steps : int, default 400
            Number of steps.
        runs : int, default 256
            Number of independent paths.
        rng : None, int, SeedSequence or Generator, optional
            Seed.

        Returns
        -------
        ndarray of shape (steps + 1,)
            The sample mean of :math:`\\|\\delta_k\\|^2` over runs, to compare with :meth:`iterate`.

        Raises
        ------
        ValueError
            If ``lr``, ``steps``, ``runs`` or ``rng`` is invalid.
        """
        lr = check_positive(lr, "lr")
        rng = as_generator(rng)
        runs = check_int(runs, "runs", 1)
        X = rng.standard_normal((runs, self.d))
        out = [float(np.mean(np.sum(X * X, axis=1)))]
        for _ in range(check_int(steps, "steps", 1)):
            step = np.zeros_like(X)
            for t, g in zip(self.rec.terms, self.grads):
                C = t.model.draw(rng, runs)
                step += t.weight * (t.family.weighted_apply(C, X) + C @ g)
            X = X - lr * step
            out.append(float(np.mean(np.sum(X * X, axis=1))))
        return np.array(out)


def _member_apply(fam, x: np.ndarray) -> np.ndarray:
    """:math:`H_i x` for every member, ``(n, d)``; for factor blocks through the factor rows (batched GEMV)."""
    if not getattr(fam, "is_blocks", False):
        return fam.member_apply(x)
    n, d = fam.n, fam.d
    R3 = fam.rows.reshape(n, -1, d)
    return ((R3 @ x)[:, None, :] @ R3)[:, 0, :]
