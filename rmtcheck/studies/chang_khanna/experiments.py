"""Unlearning stability grids (Chang & Khanna 2026 [changkhanna2026]): plain data for the figures, no plotting.

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
* :func:`rotation_growth`, :func:`batch_alpha_boundaries` — exact figure layers without Monte Carlo: the
  growth factor along a rotation (e.g. of :data:`ROTATION_COUNTEREXAMPLE`), and the resisting window of
  :math:`\alpha` (critical :math:`\alpha`) per batch size with a finer exact Lyapunov layer.

Every grid runs through the sweep engine (:func:`rmtcheck.sweep.run_sweep`; experiments
``"unlearning-hessian-test"``, ``"unlearning-batch-alpha"``, ``"unlearning-alignment"``) with one cell
function, :func:`unlearning_cell`; the cell builders put the Monte Carlo cells first, in the grids'
row-major order, so each keeps its original spawned seed and the outputs are bit-for-bit those of the
loops they replace, for any ``jobs`` or executor.
"""

from __future__ import annotations

import functools

import numpy as np

from rmtcheck._lib.validation import as_generator
from rmtcheck.randmat.families import dexter_construction
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.montecarlo import BLOWUP_FACTOR, blew_up, simulate
from rmtcheck.stability.unlearning import diagonal_lyapunov, mixed_recursion, resist_interval
from rmtcheck.studies.chang_khanna.constructions import hessian_test_unlearning, rotated_forget, tightness_construction
from rmtcheck.sweep import cell_rng, grid_engine, run_sweep

__all__ = [
    "hessian_test_grid", "batch_alpha_grid", "alignment_curve", "escape_fraction", "unlearning_cell",
    "hessian_test_cells", "batch_alpha_cells", "alignment_cells", "SAMPLINGS", "ROTATION_COUNTEREXAMPLE",
    "rotation_growth", "batch_alpha_boundaries",
]

#: The two batch models of the grids: fixed-size batches (the authors' runs) and independent bernoulli.
SAMPLINGS = ("without_replacement", "independent_bernoulli")


def escape_fraction(rec, lr, runs, steps, rng, init="uniform", blowup=BLOWUP_FACTOR) -> float:
    """Fraction of Monte Carlo runs with :math:`\\max_k\\|\\delta_k\\|^2 \\ge` ``blowup`` :math:`\\|\\delta_0\\|^2` (sample paths).

    Parameters
    ----------
    rec, lr, runs, steps, rng
        A linear recursion (e.g. :func:`rmtcheck.stability.unlearning.mixed_recursion`), the step size,
        Monte Carlo runs and steps per run, and the random generator.
    init, blowup : optional
        Law of :math:`\\delta_0` (``"uniform"`` or ``"gaussian"``), escape threshold (default 1000).

    Returns
    -------
    float
        The escape fraction.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claims (a) and (c).
    """
    res = simulate(rec, lr, steps=steps, runs=runs, rng=rng, init=init)
    L = res.log_norms
    return float(np.mean(blew_up(L, blowup)))


# ------------------------------------------------------------------------------------------------
# Sweep cells. Every grid runs through :func:`rmtcheck.sweep.run_sweep`; one cell function
# (:func:`unlearning_cell`) dispatches on ``params["grid"]`` and ``params["kind"]``. Monte Carlo
# cells come first in each cell list, in the row-major order the grids always used, so cell ``k``
# gets the ``k``-th spawned seed exactly as before the engine; exact (seedless) rows follow.
# ------------------------------------------------------------------------------------------------
#: The one quick (preview) preset of each grid: ``rmtcheck figures --quick`` and ``rmtcheck sweep run NAME
#: --quick`` both read it. Axis values apply only where the caller gave none.
QUICK_PRESETS = {
    "hessian_test": dict(Bs=np.arange(1, 50, 4), sigmas=np.arange(1, 51, 4), mc_stride=3, mc_runs=6, mc_steps=300),
    "batch_alpha": dict(Bs=np.arange(1, 21, 2), alphas=np.linspace(0, 1, 21), mc_stride=3, mc_runs=8, mc_steps=200),
    "alignment": dict(thetas=np.linspace(0, np.pi / 2, 11), runs=48, steps=200),
}


def _quick(grid: str, **given) -> dict:
    """The quick preset of ``grid`` with the caller's axis values (those not ``None``) kept."""
    return {**QUICK_PRESETS[grid], **{k: v for k, v in given.items() if v is not None}}


def hessian_test_cells(quick: bool = False, n=100, lr=0.5, alpha=0.1, Bs=None, sigmas=None, mc_stride=5, mc_runs=10,
                       mc_steps=1000) -> list[dict]:
    """Cells of :func:`hessian_test_grid`: MC points of the coarse sub-grid, then one exact row per sigma.

    Parameters
    ----------
    quick : bool, optional
        The figure's preview grid (:data:`QUICK_PRESETS`).
    n, lr, alpha : optional
        Samples, step size and mixing weight (defaults 100, 0.5, 0.1).
    Bs, sigmas, mc_stride, mc_runs, mc_steps : optional
        Axes; stride, runs and steps of the Monte Carlo sub-grid.

    Returns
    -------
    list of dict
        JSON-able cells for :func:`unlearning_cell`.
    """
    if quick:
        return hessian_test_cells(n=n, lr=lr, alpha=alpha, **_quick("hessian_test", Bs=Bs, sigmas=sigmas))
    Bs = np.arange(1, 50) if Bs is None else np.asarray(Bs)
    sigmas = np.arange(1, 51) if sigmas is None else np.asarray(sigmas)
    base = {"grid": "hessian_test", "n": int(n), "lr": lr, "alpha": alpha}
    mc = [{**base, "kind": "mc", "sigma": int(sg), "B": int(B), "runs": int(mc_runs), "steps": int(mc_steps)}
          for sg in sigmas[::mc_stride] for B in Bs[::mc_stride]]
    exact = [{**base, "kind": "exact", "sigma": int(sg), "Bs": [int(B) for B in Bs]} for sg in sigmas]
    return mc + exact


def batch_alpha_cells(quick: bool = False, lr=0.5, Bs=None, alphas=None, mc_stride=4, mc_runs=16,
                      mc_steps=400) -> list[dict]:
    """Cells of :func:`batch_alpha_grid`: MC points, then one exact row per alpha.

    Parameters
    ----------
    quick : bool, optional
        The preview grid.
    lr : float, optional
        Step size (default 0.5).
    Bs, alphas, mc_stride, mc_runs, mc_steps : optional
        Axes; stride, runs and steps of the Monte Carlo sub-grid.

    Returns
    -------
    list of dict
        JSON-able cells for :func:`unlearning_cell`.
    """
    if quick:
        return batch_alpha_cells(lr=lr, **_quick("batch_alpha", Bs=Bs, alphas=alphas))
    Bs = np.arange(1, 21) if Bs is None else np.asarray(Bs)
    alphas = np.linspace(0.0, 1.0, 41) if alphas is None else np.asarray(alphas)
    base = {"grid": "batch_alpha", "lr": lr}
    mc = [{**base, "kind": "mc", "alpha": float(a), "B": int(B), "runs": int(mc_runs), "steps": int(mc_steps)}
          for a in alphas[::mc_stride] for B in Bs[::mc_stride]]
    exact = [{**base, "kind": "exact", "alpha": float(a), "Bs": [int(B) for B in Bs]} for a in alphas]
    return mc + exact


def alignment_cells(quick: bool = False, thetas=None, n_r=50, sigma_r=10, lam_r=2.0, n_f=10, sigma_f=2, lam_f=1.0,
                    alpha=0.1, batch=2, lr=0.3, runs=128, steps=400) -> list[dict]:
    """Cells of :func:`alignment_curve`: one per rotation angle.

    Parameters
    ----------
    quick : bool, optional
        The preview grid.
    thetas : array_like, optional
        Rotation angles (default 31 in :math:`[0, \\pi/2]`).
    n_r, sigma_r, lam_r, n_f, sigma_f, lam_f, alpha, batch, lr, runs, steps : optional
        As in :func:`alignment_curve`.

    Returns
    -------
    list of dict
        JSON-able cells for :func:`unlearning_cell`.
    """
    if quick:
        return alignment_cells(n_r=n_r, sigma_r=sigma_r, lam_r=lam_r, n_f=n_f, sigma_f=sigma_f, lam_f=lam_f, alpha=alpha,
                               batch=batch, lr=lr, **_quick("alignment", thetas=thetas))
    thetas = np.linspace(0, np.pi / 2, 31) if thetas is None else np.asarray(thetas)
    base = {"grid": "alignment", "kind": "mc", "n_r": n_r, "sigma_r": sigma_r, "lam_r": lam_r, "n_f": n_f,
            "sigma_f": sigma_f, "lam_f": lam_f, "alpha": alpha, "batch": batch, "lr": lr, "runs": int(runs),
            "steps": int(steps)}
    return [{**base, "theta": float(t)} for t in thetas]


def unlearning_cell(params: dict, seed: int) -> dict:
    """The sweep cell of every grid of this module (dispatch on ``params["grid"]`` and ``["kind"]``).

    Monte Carlo cells draw from :func:`rmtcheck.sweep.cell_rng` ``(seed)``; exact rows ignore the seed.

    Parameters
    ----------
    params : dict
        One cell of :func:`hessian_test_cells`, :func:`batch_alpha_cells` or :func:`alignment_cells`.
    seed : int
        The cell's seed.

    Returns
    -------
    dict
        Escape fraction (``kind="mc"``), or exact growth factors and Lyapunov exponents (``"exact"``).

    Raises
    ------
    ValueError
        Unknown grid or kind.
    """
    grid, kind = params.get("grid"), params.get("kind")
    if grid == "hessian_test":
        n, lr, alpha, sg = params["n"], params["lr"], params["alpha"], params["sigma"]
        R, F = _hessian_test_families(int(n), int(sg))
        if kind == "mc":
            rec = mixed_recursion(R, F, int(params["B"]), alpha=alpha, sampling="without_replacement", restrict_to_range=False)
            return {"escape_fraction": escape_fraction(rec, lr, params["runs"], params["steps"], cell_rng(seed))}
        if kind == "exact":
            out = {}
            for s in SAMPLINGS:
                out[f"rho_{s}"] = [mixed_recursion(R, F, int(B), alpha=alpha, sampling=s).growth(lr) for B in params["Bs"]]
                out[f"lyapunov_{s}"] = [diagonal_lyapunov(R, F, lr, int(B), alpha=alpha, sampling=s) for B in params["Bs"]]
            return out
    elif grid == "batch_alpha":
        R, F = _batch_alpha_families()
        a, lr = float(params["alpha"]), params["lr"]
        if kind == "mc":
            rec = mixed_recursion(R, F, int(params["B"]), alpha=a, sampling="independent_bernoulli")
            return {"escape_fraction": escape_fraction(rec, lr, params["runs"], params["steps"], cell_rng(seed),
                                                       init="gaussian")}
        if kind == "exact":
            return {"rho": [mixed_recursion(R, F, int(B), alpha=a, sampling="independent_bernoulli").growth(lr) for B in params["Bs"]],
                    "lyapunov": [diagonal_lyapunov(R, F, lr, int(B), alpha=a, sampling="independent_bernoulli") for B in params["Bs"]]}
    elif grid == "alignment" and kind == "mc":
        p = params
        R, F0 = tightness_construction(p["n_r"], p["sigma_r"], p["lam_r"], p["n_f"], p["sigma_f"], p["lam_f"])
        F = rotated_forget(F0, float(p["theta"]))
        out = {f"rho_{s}": mixed_recursion(R, F, p["batch"], alpha=p["alpha"], sampling=s).growth(p["lr"]) for s in SAMPLINGS}
        rec = mixed_recursion(R, F, p["batch"], alpha=p["alpha"], sampling="independent_bernoulli")
        res = simulate(rec, p["lr"], steps=p["steps"], runs=p["runs"], rng=cell_rng(seed))
        L = res.log_norms
        out.update(lyapunov=res.lyapunov, lyapunov_stderr=res.lyapunov_stderr,
                   escape_fraction=float(np.mean(blew_up(L))))
        return out
    raise ValueError(f"unlearning_cell: unknown grid/kind {grid!r}/{kind!r}; expected grid in "
                     "('hessian_test', 'batch_alpha', 'alignment') and kind in ('mc', 'exact')")


@functools.lru_cache(maxsize=64)
def _hessian_test_families(n: int, sigma: int):
    """:func:`hessian_test_unlearning` memoised per process (cells of one sigma share the families, as the
    grid's loops always did). Treat as read-only."""
    return hessian_test_unlearning(n, sigma)


def hessian_test_grid(n=100, lr=0.5, alpha=0.1, Bs=None, sigmas=None, mc_stride=5, mc_runs=10, mc_steps=1000,
                      seed=0, *, quick: bool = False, executor=None, jobs: int | None = None, store=None,
                      progress=None) -> dict:
    """The unlearning Hessian test over ``(sigma, B)`` (module docstring).

    Runs through the sweep engine (experiment ``"unlearning-hessian-test"``); ``quick`` applies
    :data:`QUICK_PRESETS` ``["hessian_test"]``.

    Parameters
    ----------
    n, lr, alpha : optional
        Samples, step size and mixing weight (defaults 100, 0.5, 0.1).
    Bs, sigmas, mc_stride, mc_runs, mc_steps : optional
        Axes (defaults ``1..49``, ``1..50``); stride, runs and steps of the Monte Carlo sub-grid.
    seed, quick : optional
        Root seed; the preview preset.
    executor, jobs, store, progress : optional
        Sweep-engine options (:func:`rmtcheck.sweep.run_sweep`); the result does not depend on them.

    Returns
    -------
    dict
        ``rho_<sampling>`` and ``lyapunov_<sampling>`` of shape ``(len(sigmas), len(Bs))`` for both
        :data:`SAMPLINGS`, the Monte Carlo ``mc_escape_fraction`` and the axes.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (c).
    .. [2] Dexter, Ocejo, Keerthi, Gupta, Acharya & Khanna (2024), "A Precise Characterization of SGD
       Stability Using Loss Surface Geometry", ICLR [dexter2024], Fig. 1.
    """
    if quick:
        return hessian_test_grid(n, lr, alpha, seed=seed, executor=executor, jobs=jobs, store=store, progress=progress,
                                 **_quick("hessian_test", Bs=Bs, sigmas=sigmas))
    Bs = np.arange(1, 50) if Bs is None else np.asarray(Bs)
    sigmas = np.arange(1, 51) if sigmas is None else np.asarray(sigmas)
    cells = hessian_test_cells(n=n, lr=lr, alpha=alpha, Bs=Bs, sigmas=sigmas, mc_stride=mc_stride, mc_runs=mc_runs,
                               mc_steps=mc_steps)
    res = run_sweep("unlearning-hessian-test", unlearning_cell, cells, seed=seed,
                    **grid_engine(executor, jobs, store, progress))
    out = {"B": Bs, "sigma": sigmas, "lr": lr, "alpha": alpha, "n": n}
    mcB, mcS = Bs[::mc_stride], sigmas[::mc_stride]
    n_mc = len(mcS) * len(mcB)
    rows = res[n_mc:]
    for s in SAMPLINGS:
        out[f"rho_{s}"] = np.array([r[f"rho_{s}"] for r in rows], dtype=np.float64).reshape(len(sigmas), len(Bs))
        lyap = np.array([r[f"lyapunov_{s}"] for r in rows], dtype=np.float64).reshape(len(sigmas), len(Bs))
        out[f"lyapunov_{s}"] = np.maximum(lyap, -50.0)
    frac = np.array([r["escape_fraction"] for r in res[:n_mc]], dtype=np.float64).reshape(len(mcS), len(mcB))
    out.update(mc_B=mcB, mc_sigma=mcS, mc_escape_fraction=frac, seed=seed)
    return out


@functools.cache
def _batch_alpha_families():
    """The fixed (retain, forget) pair of :func:`batch_alpha_grid`; built once per process (as the grid
    always did), so per-family caches are shared by every cell a worker runs. Treat as read-only."""
    R = dexter_construction(100, 20, 2.0)
    Fd = dexter_construction(20, 5, 1.0)
    G = np.zeros((20, R.d))
    G[:, :Fd.d] = Fd.factors
    return R, HessianFamily.from_factors(G)


def batch_alpha_grid(lr=0.5, Bs=None, alphas=None, mc_stride=4, mc_runs=16, mc_steps=400, seed=0, *, quick=False,
                     executor=None, jobs: int | None = None, store=None, progress=None) -> dict:
    """Fixed retain/forget families over ``(alpha, B)``; sweep engine experiment ``"unlearning-batch-alpha"``.

    Parameters
    ----------
    lr : float, optional
        Step size (default 0.5).
    Bs, alphas, mc_stride, mc_runs, mc_steps : optional
        Axes; stride, runs and steps of the Monte Carlo sub-grid.
    seed, quick : optional
        Root seed; :data:`QUICK_PRESETS` ``["batch_alpha"]``.
    executor, jobs, store, progress : optional
        Sweep-engine options (:func:`rmtcheck.sweep.run_sweep`); the result does not depend on them.

    Returns
    -------
    dict
        Exact ``rho`` and ``lyapunov`` over ``(alpha, B)`` (independent bernoulli), ``mc_escape_fraction``.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claims (a) and (c).
    """
    if quick:
        return batch_alpha_grid(lr, seed=seed, executor=executor, jobs=jobs, store=store, progress=progress,
                                **_quick("batch_alpha", Bs=Bs, alphas=alphas))
    Bs = np.arange(1, 21) if Bs is None else np.asarray(Bs)
    alphas = np.linspace(0.0, 1.0, 41) if alphas is None else np.asarray(alphas)
    cells = batch_alpha_cells(lr=lr, Bs=Bs, alphas=alphas, mc_stride=mc_stride, mc_runs=mc_runs, mc_steps=mc_steps)
    res = run_sweep("unlearning-batch-alpha", unlearning_cell, cells, seed=seed,
                    **grid_engine(executor, jobs, store, progress))
    mcA, mcB = alphas[::mc_stride], Bs[::mc_stride]
    n_mc = len(mcA) * len(mcB)
    rows = res[n_mc:]
    rho = np.array([r["rho"] for r in rows], dtype=np.float64).reshape(len(alphas), len(Bs))
    lyap = np.array([r["lyapunov"] for r in rows], dtype=np.float64).reshape(len(alphas), len(Bs))
    frac = np.array([r["escape_fraction"] for r in res[:n_mc]], dtype=np.float64).reshape(len(mcA), len(mcB))
    return {"B": Bs, "alpha": alphas, "rho": rho, "lyapunov": np.maximum(lyap, -50.0), "lr": lr,
            "mc_alpha": mcA, "mc_B": mcB, "mc_escape_fraction": frac, "seed": seed,
            "retain": "dexter(n=100, sigma=20, lambda=2)", "forget": "dexter(n=20, sigma=5, lambda=1) on coords 0..15"}


def alignment_curve(thetas=None, n_r=50, sigma_r=10, lam_r=2.0, n_f=10, sigma_f=2, lam_f=1.0, alpha=0.1, batch=2,
                    lr=0.3, runs=128, steps=400, seed=0, *, quick: bool = False, executor=None, jobs: int | None = None,
                    store=None, progress=None) -> dict:
    """Forget family rotated by theta; sweep engine experiment ``"unlearning-alignment"`` (one cell per theta).

    Parameters
    ----------
    thetas : array_like, optional
        Angles (default 31 in :math:`[0, \\pi/2]`).
    n_r, sigma_r, lam_r, n_f, sigma_f, lam_f : optional
        The tightness construction (:func:`~rmtcheck.studies.chang_khanna.constructions.tightness_construction`).
    alpha, batch, lr, runs, steps, seed, quick : optional
        Mixing weight, batch size, step size, Monte Carlo size, root seed and the preview preset.
    executor, jobs, store, progress : optional
        Sweep-engine options (:func:`rmtcheck.sweep.run_sweep`); the result does not depend on them.

    Returns
    -------
    dict
        Exact growth factors (both :data:`SAMPLINGS`), Monte Carlo Lyapunov exponent with standard error
        and escape fraction, per angle.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (a).
    """
    if quick:
        return alignment_curve(n_r=n_r, sigma_r=sigma_r, lam_r=lam_r, n_f=n_f, sigma_f=sigma_f, lam_f=lam_f,
                               alpha=alpha, batch=batch, lr=lr, seed=seed, executor=executor, jobs=jobs, store=store,
                               progress=progress, **_quick("alignment", thetas=thetas))
    thetas = np.linspace(0, np.pi / 2, 31) if thetas is None else np.asarray(thetas)
    as_generator(seed)  # validates the seed as before
    cells = alignment_cells(thetas=thetas, n_r=n_r, sigma_r=sigma_r, lam_r=lam_r, n_f=n_f, sigma_f=sigma_f,
                            lam_f=lam_f, alpha=alpha, batch=batch, lr=lr, runs=runs, steps=steps)
    res = run_sweep("unlearning-alignment", unlearning_cell, cells, seed=seed,
                    **grid_engine(executor, jobs, store, progress))

    def col(k):
        return np.array([r[k] for r in res], dtype=np.float64)

    return {"theta": thetas, "rho_independent_bernoulli": col("rho_independent_bernoulli"),
            "rho_without_replacement": col("rho_without_replacement"), "lyapunov": col("lyapunov"),
            "lyapunov_stderr": col("lyapunov_stderr"), "escape_fraction": col("escape_fraction"), "lr": lr,
            "alpha": alpha, "batch": batch, "seed": seed, "params": np.array([n_r, sigma_r, lam_r, n_f, sigma_f, lam_f])}


# ------------------------------------------------------------------------------------------------
# Exact figure data that needs no Monte Carlo (added for the figures; the grids above are unchanged).
# ------------------------------------------------------------------------------------------------
#: The first instance of the tightness construction on which the verify row ``chang_khanna.rotation_monotone``
#: (seed 0, instance 3 of 15; ``paper/generated/verify-results.json``) finds :math:`\rho(T)` decreasing along
#: the rotation: it falls from 4.446 at 0 to 3.858 near 70 degrees (independent bernoulli), in the overshoot
#: regime :math:`\eta(1-\alpha)\lambda_r = 1.207`. ``tests/studies/chang_khanna`` re-derives it from the row's
#: sampler, so a change of the row shows up there.
ROTATION_COUNTEREXAMPLE = dict(n_r=46, sigma_r=4, lam_r=1.3128626292471735, n_f=35, sigma_f=26,
                               lam_f=2.3038775455731955, alpha=0.2851423358155547, B=4, lr=1.286492464732393)


def rotation_growth(thetas, n_r, sigma_r, lam_r, n_f, sigma_f, lam_f, alpha, B, lr, samplings=SAMPLINGS) -> dict:
    """Exact mean-square growth factor :math:`\\rho(T)` as the forget family of the tightness construction rotates.

    Parameters
    ----------
    thetas : array_like
        Rotation angles in radians (:func:`~rmtcheck.studies.chang_khanna.constructions.rotated_forget`).
    n_r, sigma_r, lam_r, n_f, sigma_f, lam_f : int or float
        The tightness construction (:func:`~rmtcheck.studies.chang_khanna.constructions.tightness_construction`).
    alpha, B, lr : float, int, float
        Mixing weight, batch size and step size.
    samplings : tuple of str, optional
        Batch models (default :data:`SAMPLINGS`).

    Returns
    -------
    dict
        ``theta`` and ``rho_<sampling>`` (one value per angle) for each sampling.
    """
    thetas = np.asarray(thetas, dtype=float)
    R, F = tightness_construction(n_r, sigma_r, lam_r, n_f, sigma_f, lam_f)
    out = {"theta": thetas}
    for s in samplings:
        out[f"rho_{s}"] = np.array([mixed_recursion(R, rotated_forget(F, float(t)), int(B), alpha=alpha,
                                                    sampling=s).growth(lr) for t in thetas])
    return out


def batch_alpha_boundaries(lr=0.5, Bs=None, alphas=None) -> dict:
    """Exact boundaries of :func:`batch_alpha_grid`: the resisting window of :math:`\\alpha` per batch size and a
    finer Lyapunov exponent.

    The mean-square window :math:`\\{\\alpha : \\rho(T(\\alpha)) < 1\\} = (\\alpha_-, \\alpha_+)` comes from
    :func:`rmtcheck.stability.unlearning.resist_interval` (Brent roots of :math:`\\rho(T)(\\alpha) = 1` on the
    exact operator; :math:`\\alpha_+` is the critical mixing weight); the exact top Lyapunov exponent
    (:func:`rmtcheck.stability.unlearning.diagonal_lyapunov`) on a fine :math:`\\alpha` grid resolves its narrow
    dips, where a batch factor vanishes with positive probability.

    Parameters
    ----------
    lr : float, optional
        Step size (default 0.5).
    Bs : array_like of int, optional
        Batch sizes (default ``1..20``).
    alphas : array_like, optional
        Mixing weights of the Lyapunov layer (default 121 in ``[0, 1]``).

    Returns
    -------
    dict
        ``B``; ``alpha_lo`` and ``alpha_hi`` (NaN where no :math:`\\alpha` resists), ``lyap_alpha`` and
        ``lyapunov_fine`` of shape ``(len(alphas), len(Bs))`` (clipped below at -50, as the grid does).
    """
    Bs = np.arange(1, 21) if Bs is None else np.asarray(Bs)
    alphas = np.linspace(0.0, 1.0, 121) if alphas is None else np.asarray(alphas, dtype=float)
    R, F = _batch_alpha_families()
    lo, hi = np.full(len(Bs), np.nan), np.full(len(Bs), np.nan)
    for i, B in enumerate(Bs):
        win = resist_interval(R, F, lr, int(B), sampling="independent_bernoulli")
        if win is not None:
            lo[i], hi[i] = win
    lyap = np.array([[diagonal_lyapunov(R, F, lr, int(B), alpha=float(a), sampling="independent_bernoulli")
                      for B in Bs] for a in alphas])
    return {"B": Bs, "alpha_lo": lo, "alpha_hi": hi, "lyap_alpha": alphas, "lyapunov_fine": np.maximum(lyap, -50.0)}
