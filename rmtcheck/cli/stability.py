"""``rmtcheck stability FILE.npy``: mean-square and Lyapunov stability of SGD for your own Hessians."""

from __future__ import annotations

import json

import numpy as np

from rmtcheck.stability.report import stability_report
from rmtcheck.stability.sampling import SAMPLING_MODELS


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


def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable

    try:
        arr = np.load(args.file, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"FILE {args.file!r} could not be read as a .npy array: {exc}") from exc
    rep = stability_report(arr, args.lr, args.batch, sampling=args.sampling, seed=args.seed, runs=args.runs,
                           steps=args.steps)
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
