"""``rmtcheck stability FILE.npy``: mean-square and Lyapunov stability of SGD for your own Hessians."""

from __future__ import annotations

import json

import numpy as np

from ..sampling import SAMPLING_MODELS


def add_parser(sub):
    p = sub.add_parser(
        "stability",
        help="stability of linearised SGD for per-sample Hessians in a .npy file",
        description="FILE holds an (n, d, d) stack of per-sample Hessians or (n, d) rank-one factors "
        "(H_i = g_i g_i^T). Reports coherence, lambda_max(H), the exact mean-square growth factor, "
        "the critical learning rate, Theorem 1's verdict and a Monte Carlo Lyapunov estimate.",
    )
    p.add_argument("file", help=".npy file: (n, d, d) stack or (n, d) rank-one factors")
    p.add_argument("--lr", type=float, required=True, help="learning rate eta > 0")
    p.add_argument("--batch", type=int, required=True, help="batch size B in [1, n]")
    p.add_argument("--sampling", choices=SAMPLING_MODELS, default="bernoulli")
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo Lyapunov estimate")
    p.add_argument("--runs", type=int, default=64)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def stability_report(hessians, lr: float, batch: int, sampling: str = "bernoulli", seed: int = 0,
                     runs: int = 64, steps: int = 400) -> dict:
    """The record printed by ``rmtcheck stability`` (plain dict, JSON-able)."""
    from .. import thresholds as th
    from ..coherence import coherence
    from ..dynamics import sgd_recursion, simulate
    from ..hessians import as_family
    from .._validate import check_batch, check_positive

    fam = as_family(hessians, "FILE")
    lr = check_positive(lr, "--lr")
    batch = check_batch(batch, fam.n, "--batch")
    sig, lam = coherence(fam), fam.lambda_max
    rec = sgd_recursion(fam, batch, sampling)
    rho = rec.growth(lr)
    eta_star = rec.critical_lr()
    if batch < fam.n:
        r = float(th.theorem1_ratio(lr, lam, sig, fam.n, batch))
        t1 = bool(r >= 1)
    else:
        r, t1 = 0.0, False
    path = simulate(sgd_recursion(fam, batch, sampling, restrict_to_range=False), lr, steps=steps,
                    runs=runs, rng=seed)
    return {
        "n": fam.n, "d": fam.d, "rank_one": fam.is_rank_one, "sampling": sampling, "lr": lr, "batch": batch,
        "coherence": sig, "lambda_max": lam,
        "ms_growth": rho, "ms_stable": bool(rho < 1), "critical_lr": eta_star,
        "range_dim": rec.range_dim,
        "null_space_note": (f"H is singular: growth and critical_lr are computed on range(H) (dim "
                            f"{rec.range_dim} of {fam.d}); the null space never moves (factor 1)")
        if rec.restricted else None,
        "theorem1_ratio": r, "theorem1_diverges": t1,
        "theorem1_applies": sampling == "bernoulli" and batch < fam.n,
        "lyapunov": path.lyapunov, "lyapunov_stderr": path.lyapunov_stderr,
        "notions": {"ms_growth": "mean-square (exact operator)", "critical_lr": "mean-square (exact operator)",
                    "theorem1_diverges": "mean-square (Dexter et al. 2024, Thm 1; proved for bernoulli)",
                    "lyapunov": f"almost-sure (Monte Carlo, {runs} runs x {steps} steps, seed {seed})"},
    }


def run(args) -> int:
    from ..verify import jsonable

    try:
        arr = np.load(args.file, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"FILE {args.file!r} could not be read as a .npy array: {exc}") from exc
    rep = stability_report(arr, args.lr, args.batch, args.sampling, args.seed, args.runs, args.steps)
    if args.json:
        print(json.dumps(jsonable(rep), indent=1))
        return 0
    print(f"n = {rep['n']}, d = {rep['d']} ({'rank-one factors' if rep['rank_one'] else 'dense stack'}), "
          f"sampling = {rep['sampling']}, lr = {rep['lr']:g}, B = {rep['batch']}")
    print(f"coherence sigma            {rep['coherence']:.6g}")
    print(f"lambda_max(H)              {rep['lambda_max']:.6g}")
    print(f"mean-square growth rho(T)  {rep['ms_growth']:.6g}  ({'stable' if rep['ms_stable'] else 'DIVERGENT'} in mean square)")
    print(f"critical lr eta*           {rep['critical_lr']:.6g}  (mean square, {rep['sampling']})")
    if rep["null_space_note"]:
        print(f"note: {rep['null_space_note']}")
    applies = "" if rep["theorem1_applies"] else "  [outside the theorem's bernoulli regime]"
    print(f"Theorem 1: r = {rep['theorem1_ratio']:.6g} -> {'diverges' if rep['theorem1_diverges'] else 'no verdict (r < 1)'}{applies}")
    print(f"Lyapunov exponent          {rep['lyapunov']:.4g} +- {rep['lyapunov_stderr']:.2g}  (almost-sure, Monte Carlo)")
    return 0
