"""The "Hessian test" of Dexter et al. (2024), Fig. 1: divergence over batch size and coherence.

:func:`hessian_test_grid` returns, for each learning rate and every cell ``(B, sigma)`` of the grid,

* ``mc_fraction``: the fraction of runs that diverge under the authors' protocol
  (:class:`rmtcheck.dynamics.DexterProtocol`: without replacement, :math:`w_0\\sim U(0,1)^d`, 1000 steps,
  :math:`\\|w\\|^2 \\ge 1000\\|w_0\\|^2` at some step, 10 runs; a cell diverges when more than half do);
* ``ms_growth`` (exact, both ``without_replacement`` and ``bernoulli``): :math:`\\rho(T)` from
  :func:`rmtcheck.dynamics.sgd_recursion` (closed-form diagonal path);
* ``lyapunov``: the exact top Lyapunov exponent. Every :math:`H_i` is diagonal, so each coordinate
  evolves by i.i.d. scalar multipliers and :math:`\\lambda = \\max_j E\\log|J_{jj}|`, with
  :math:`J_{11} = 1 - \\eta m K/B`, :math:`K \\sim` Hypergeometric(n, σ, B) (Binomial(σ, B/n) for
  bernoulli), and :math:`J_{jj} = 1 - \\eta m x/B`, :math:`x \\sim` Bernoulli(B/n), for the singletons;
* ``theorem1_ratio`` and ``theorem2_factor``: the closed forms (lambdified from ``proofs/``).

The Monte Carlo is specialised to this design but exact in law: one batch stream (R, T, n) per
``B`` is shared by every ``sigma`` and learning rate (common random numbers), and log-norms are
accumulated coordinate-wise, so no run overflows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .. import thresholds as th
from .._validate import as_generator
from ..designs import dexter_construction
from ..dynamics import DexterProtocol, sgd_recursion

__all__ = ["hessian_test_grid", "hessian_test_lyapunov", "hessian_test_mc_cell"]


def hessian_test_lyapunov(n: int, sigma: int, B: int, lr: float, lam: float = 2.0, sampling: str = "without_replacement") -> float:
    """Exact top Lyapunov exponent (natural log, per step) of the Hessian-test recursion."""
    m = lam * n / sigma
    if sampling == "without_replacement":
        k = np.arange(0, min(sigma, B) + 1)
        pk = stats.hypergeom(n, sigma, B).pmf(k)
    elif sampling == "bernoulli":
        k = np.arange(0, sigma + 1)
        pk = stats.binom(sigma, B / n).pmf(k)
    else:
        raise ValueError(f"sampling must be 'without_replacement' or 'bernoulli'; got {sampling!r}")

    def elog(vals, probs):
        a = np.abs(vals)
        mask = probs > 0
        if np.any(a[mask] == 0):
            return float("-inf")
        return float(np.sum(probs[mask] * np.log(a[mask])))

    top = elog(1 - lr * m * k / B, pk)
    if sigma < n:
        p = B / n
        top = max(top, elog(np.array([1.0, 1 - lr * m / B]), np.array([1 - p, p])))
    return top


def _membership(rng, runs, steps, n, B):
    """Boolean batch membership (runs, steps, n): uniform B-subsets without replacement."""
    keys = rng.random((runs, steps, n))
    kth = np.partition(keys, B - 1, axis=2)[:, :, B - 1:B]
    return keys <= kth


def hessian_test_mc_cell(X, w0, sigma, B, lr, lam=2.0, blowup=1000.0, CT=None):
    """Divergence fraction of the runs for one cell, from a shared membership stream ``X``.

    ``CT`` (optional) is ``cumsum(X, axis=1)``, shared by every ``sigma`` of one batch size.
    Exponents are clipped at 60 (a factor :math:`e^{60} \\gg` ``blowup``): clipping can only
    affect runs that have already crossed the threshold.
    """
    runs, steps, n = X.shape
    m = lam * n / sigma
    K = X[:, :, :sigma].sum(axis=2)
    cap = 60.0
    with np.errstate(divide="ignore"):
        l1 = 2 * np.cumsum(np.log(np.abs(1 - lr * m * K / B)), axis=1)  # (runs, steps)
    norm2 = w0[:, :1] ** 2 * np.exp(np.minimum(l1, cap))
    if sigma < n:
        C = (np.cumsum(X[:, :, sigma:], axis=1, dtype=np.int32) if CT is None else CT[:, :, sigma:])
        q2 = (1 - lr * m / B) ** 2
        c = np.arange(steps + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            table = np.where(c == 0, 1.0, np.exp(np.minimum(c * np.log(q2), cap)))  # q2 = 0: (1, 0, 0, ...)
        norm2 = norm2 + np.einsum("rti,ri->rt", table[C], w0[:, 1:] ** 2)
    hit = np.max(norm2, axis=1) >= blowup * np.sum(w0**2, axis=1)
    return float(hit.mean())


@dataclass
class HessianTestGrid:
    B: np.ndarray
    sigma: np.ndarray
    lrs: tuple
    mc_fraction: np.ndarray      # (len(lrs), len(B), len(sigma))
    ms_growth_wor: np.ndarray
    ms_growth_bernoulli: np.ndarray
    lyapunov_wor: np.ndarray
    theorem1_ratio: np.ndarray
    theorem2_factor: np.ndarray
    n: int
    lam: float
    seed_entropy: int

    def as_dict(self) -> dict:
        return {k: np.asarray(v) for k, v in self.__dict__.items()}


def hessian_test_grid(B_values=range(1, 50), sigma_values=range(1, 51), lrs=(0.5, 0.8), n: int = 100,
                      lam: float = 2.0, protocol: DexterProtocol = DexterProtocol(), rng=0) -> HessianTestGrid:
    """Compute every layer of the Hessian-test heatmap (see the module docstring)."""
    B_values, sigma_values = np.array(list(B_values)), np.array(list(sigma_values))
    ss = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(
        rng if rng is not None else None)
    children = ss.spawn(len(B_values))
    shape = (len(lrs), len(B_values), len(sigma_values))
    mc, g_wor, g_ber, ly, r1, f2 = (np.zeros(shape) for _ in range(6))
    for b, (B, child) in enumerate(zip(B_values, children)):
        gen = np.random.default_rng(child)
        X = _membership(gen, protocol.runs, protocol.steps, n, int(B))
        CT = np.cumsum(X, axis=1, dtype=np.int32)
        for s, sig in enumerate(sigma_values):
            w0 = gen.random((protocol.runs, n - sig + 1))
            fam = dexter_construction(n, int(sig), lam)
            rec_w = sgd_recursion(fam, int(B), "without_replacement")
            rec_b = sgd_recursion(fam, int(B), "bernoulli")
            for e, lr in enumerate(lrs):
                eff = lr * protocol.hessian_factor
                mc[e, b, s] = hessian_test_mc_cell(X, w0, int(sig), int(B), eff, lam, protocol.blowup, CT)
                g_wor[e, b, s] = rec_w.growth(lr)
                g_ber[e, b, s] = rec_b.growth(lr)
                ly[e, b, s] = hessian_test_lyapunov(n, int(sig), int(B), lr, lam)
                r1[e, b, s] = th.theorem1_ratio(lr, lam, float(sig), n, int(B))
                f2[e, b, s] = th.theorem2_factor(lr, lam, float(sig), n, int(B))
    return HessianTestGrid(B_values, sigma_values, tuple(lrs), mc, g_wor, g_ber, ly, r1, f2, n, lam,
                           int(ss.entropy) if ss.entropy is not None else -1)
