"""Unlearning stability grids (Chang & Khanna 2026): plain data for the figures, no plotting.

* :func:`hessian_test_grid` — the authors' Hessian test for unlearning (identical retain and forget
  Dexter families, :math:`\\alpha = 0.1`) over batch size ``B`` and coherence ``sigma``: exact
  mean-square factor and exact Lyapunov exponent (diagonal families) under both fixed-size and
  independent bernoulli batches, and a Monte Carlo escape fraction on a coarse sub-grid with the
  authors' protocol (fixed-size batches, :math:`w_0 \\sim U(0,1)^d`, a run escapes when
  :math:`\\|w\\|^2 \\ge 1000\\|w_0\\|^2`).
* :func:`batch_alpha_grid` — fixed diagonal retain/forget families over ``(B, alpha)``.
* :func:`alignment_curve` — the tightness construction with the **forget** family rotated by
  :math:`\\theta \\in [0, \\pi/2]` (retain fixed on :math:`e_1`): exact factors, Monte Carlo Lyapunov
  exponent and escape fraction.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_generator
from ..designs import dexter_construction
from ..designs_unlearning import hessian_test_unlearning, rotated_forget, tightness_construction
from ..dynamics.mixed import diagonal_lyapunov, mixed_recursion
from ..dynamics.montecarlo import simulate
from ..hessians import HessianFamily

__all__ = ["hessian_test_grid", "batch_alpha_grid", "alignment_curve", "escape_fraction"]

SAMPLINGS = ("without_replacement", "independent_bernoulli")


def escape_fraction(rec, lr, runs, steps, rng, init="uniform", blowup=1000.0) -> float:
    """Fraction of Monte Carlo runs with :math:`\\max_k\\|\\delta_k\\|^2 \\ge` ``blowup`` :math:`\\|\\delta_0\\|^2` (sample paths)."""
    res = simulate(rec, lr, steps=steps, runs=runs, rng=rng, init=init)
    L = res.log_norms
    return float(np.mean(np.max(2 * (L - L[:, :1]), axis=1) >= np.log(blowup)))


def hessian_test_grid(n=100, lr=0.5, alpha=0.1, Bs=None, sigmas=None, mc_stride=5, mc_runs=10, mc_steps=1000,
                      seed=0) -> dict:
    Bs = np.arange(1, 50) if Bs is None else np.asarray(Bs)
    sigmas = np.arange(1, 51) if sigmas is None else np.asarray(sigmas)
    out = {"B": Bs, "sigma": sigmas, "lr": lr, "alpha": alpha, "n": n}
    for s in SAMPLINGS:
        rho = np.empty((len(sigmas), len(Bs)))
        lyap = np.empty_like(rho)
        for a_, sg in enumerate(sigmas):
            R, F = hessian_test_unlearning(n, int(sg))
            for b_, B in enumerate(Bs):
                rho[a_, b_] = mixed_recursion(R, F, alpha, int(B), s).growth(lr)
                lyap[a_, b_] = diagonal_lyapunov(R, F, lr, int(B), alpha, s)
        out[f"rho_{s}"] = rho
        out[f"lyapunov_{s}"] = np.maximum(lyap, -50.0)
    mcB, mcS = Bs[::mc_stride], sigmas[::mc_stride]
    children = np.random.SeedSequence(seed).spawn(len(mcS) * len(mcB))
    frac = np.empty((len(mcS), len(mcB)))
    for a_, sg in enumerate(mcS):
        R, F = hessian_test_unlearning(n, int(sg))
        for b_, B in enumerate(mcB):
            rec = mixed_recursion(R, F, alpha, int(B), "without_replacement", restrict_to_range=False)
            frac[a_, b_] = escape_fraction(rec, lr, mc_runs, mc_steps, np.random.default_rng(children[a_ * len(mcB) + b_]))
    out.update(mc_B=mcB, mc_sigma=mcS, mc_escape_fraction=frac, seed=seed)
    return out


def _batch_alpha_families():
    R = dexter_construction(100, 20, 2.0)
    Fd = dexter_construction(20, 5, 1.0)
    G = np.zeros((20, R.d))
    G[:, :Fd.d] = Fd.factors
    return R, HessianFamily.from_factors(G)


def batch_alpha_grid(lr=0.5, Bs=None, alphas=None, mc_stride=4, mc_runs=16, mc_steps=400, seed=0) -> dict:
    R, F = _batch_alpha_families()
    Bs = np.arange(1, 21) if Bs is None else np.asarray(Bs)
    alphas = np.linspace(0.0, 1.0, 41) if alphas is None else np.asarray(alphas)
    rho = np.empty((len(alphas), len(Bs)))
    lyap = np.empty_like(rho)
    for i, a in enumerate(alphas):
        for j, B in enumerate(Bs):
            rho[i, j] = mixed_recursion(R, F, float(a), int(B), "independent_bernoulli").growth(lr)
            lyap[i, j] = diagonal_lyapunov(R, F, lr, int(B), float(a), "independent_bernoulli")
    mcA, mcB = alphas[::mc_stride], Bs[::mc_stride]
    children = np.random.SeedSequence(seed).spawn(len(mcA) * len(mcB))
    frac = np.empty((len(mcA), len(mcB)))
    for i, a in enumerate(mcA):
        for j, B in enumerate(mcB):
            rec = mixed_recursion(R, F, float(a), int(B), "independent_bernoulli")
            frac[i, j] = escape_fraction(rec, lr, mc_runs, mc_steps, np.random.default_rng(children[i * len(mcB) + j]),
                                         init="gaussian")
    return {"B": Bs, "alpha": alphas, "rho": rho, "lyapunov": np.maximum(lyap, -50.0), "lr": lr,
            "mc_alpha": mcA, "mc_B": mcB, "mc_escape_fraction": frac, "seed": seed,
            "retain": "dexter(n=100, sigma=20, lambda=2)", "forget": "dexter(n=20, sigma=5, lambda=1) on coords 0..15"}


def alignment_curve(thetas=None, n_r=50, sigma_r=10, lam_r=2.0, n_f=10, sigma_f=2, lam_f=1.0, alpha=0.1, batch=2,
                    lr=0.3, runs=128, steps=400, seed=0) -> dict:
    thetas = np.linspace(0, np.pi / 2, 31) if thetas is None else np.asarray(thetas)
    R, F0 = tightness_construction(n_r, sigma_r, lam_r, n_f, sigma_f, lam_f)
    rng = as_generator(seed)
    children = np.random.SeedSequence(seed).spawn(len(thetas))
    rho = {s: np.empty(len(thetas)) for s in SAMPLINGS}
    lyap, lyap_se, frac = (np.empty(len(thetas)) for _ in range(3))
    for k, t in enumerate(thetas):
        F = rotated_forget(F0, float(t))
        for s in SAMPLINGS:
            rho[s][k] = mixed_recursion(R, F, alpha, batch, s).growth(lr)
        rec = mixed_recursion(R, F, alpha, batch, "independent_bernoulli")
        g = np.random.default_rng(children[k])
        res = simulate(rec, lr, steps=steps, runs=runs, rng=g)
        lyap[k], lyap_se[k] = res.lyapunov, res.lyapunov_stderr
        L = res.log_norms
        frac[k] = float(np.mean(np.max(2 * (L - L[:, :1]), axis=1) >= np.log(1000.0)))
    del rng
    return {"theta": thetas, "rho_independent_bernoulli": rho["independent_bernoulli"],
            "rho_without_replacement": rho["without_replacement"], "lyapunov": lyap, "lyapunov_stderr": lyap_se,
            "escape_fraction": frac, "lr": lr, "alpha": alpha, "batch": batch, "seed": seed,
            "params": np.array([n_r, sigma_r, lam_r, n_f, sigma_f, lam_f])}
