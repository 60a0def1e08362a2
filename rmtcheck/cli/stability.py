"""``rmtcheck stability FILE``: mean-square and Lyapunov stability of SGD for your own Hessians."""

from __future__ import annotations

import json

from rmtcheck._lib.threads import with_blas_policy
from rmtcheck.cli._cost import add_progress_options, cost_budget, single_plan
from rmtcheck.cli._inputs import SPACE_HELP, load_input, positive_float, positive_int, seed_int
from rmtcheck.stability.report import SPACES, stability_report
from rmtcheck.stability.sampling import SAMPLING_MODELS


def add_parser(sub):
    p = sub.add_parser(
        "stability",
        help="stability of linearised SGD for per-sample Hessians (.npy) or their factors / Gram matrix (.npz)",
        description="FILE holds per-sample Hessians: a .npy (n, d, d) stack or (n, d) rank-one factors "
        "(H_i = g_i g_i^T), or a .npz with 'factors' (n, d) or (n, d, k) (H_i = F_i F_i^T) or 'gram' (the "
        "(n*k, n*k) Gram matrix F^T F, sample-major) and 'k'. Reports the input form and the space used, "
        "coherence, lambda_max(H), the exact mean-square growth factor, the critical learning rate, Theorem 1's "
        "verdict and a Monte Carlo Lyapunov estimate, all on range(H).",
    )
    p.add_argument("file", help=".npy (n, d) factors or (n, d, d) stack; .npz with factors or gram (+ k)")
    p.add_argument("--lr", type=positive_float, required=True, help="learning rate eta > 0")
    p.add_argument("--batch", type=positive_int, required=True, help="batch size B in [1, n]")
    p.add_argument("--sampling", choices=SAMPLING_MODELS, default="bernoulli")
    p.add_argument("--space", choices=SPACES, default="auto", help=SPACE_HELP)
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the Monte Carlo Lyapunov estimate")
    p.add_argument("--runs", type=positive_int, default=64)
    p.add_argument("--steps", type=positive_int, default=400)
    p.add_argument("--json", action="store_true")
    add_progress_options(p)
    p.set_defaults(func=run)


@with_blas_policy  # loading (batched eigvalsh of a dense stack) and every product: no more threads than idle cores
def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck._lib.progress import Progress

    with Progress("rmtcheck stability", total=9, quiet=args.quiet) as prog:
        prog.stage("loading FILE")
        data = load_input(args.file, "FILE")
        cost_budget(single_plan(data, args.space, runs=args.runs, steps=args.steps), prog, args.force)
        rep = stability_report(data, args.lr, args.batch, sampling=args.sampling, seed=args.seed, runs=args.runs,
                               steps=args.steps, space=args.space, progress=prog)
    rep["input"]["file"] = args.file
    if args.json:
        print(json.dumps(jsonable(rep), indent=1))
        return 0
    d = "unknown (Gram matrix)" if rep["d"] is None else rep["d"]
    print(f"input: {rep['input']['summary']}")
    if rep["input"].get("note"):
        print(f"note: {rep['input']['note']}")
    k = "" if rep["k"] is None else f", k = {rep['k']}"
    print(f"n = {rep['n']}, d = {d}{k}, sampling = {rep['sampling']}, lr = {rep['lr']:g}, B = {rep['batch']}")
    print(f"coherence sigma            {rep['coherence']:.6g}")
    print(f"lambda_max(H)              {rep['lambda_max']:.6g}")
    print(f"mean-square growth rho(T)  {rep['ms_growth']:.6g}  ({'stable' if rep['ms_stable'] else 'DIVERGENT'} in mean square)")
    print(f"critical lr eta*           {rep['critical_lr']:.6g}  (mean square, {rep['sampling']})")
    applies = "" if rep["theorem1_applies"] else "  [outside the theorem's bernoulli regime]"
    print(f"Theorem 1: r = {rep['theorem1_ratio']:.6g} -> {'diverges' if rep['theorem1_diverges'] else 'no verdict (r < 1)'}{applies}")
    print(f"Lyapunov exponent          {rep['lyapunov']:.4g} +- {rep['lyapunov_stderr']:.2g}  (almost-sure, Monte Carlo)")
    print(f"computed on                {rep['computed_on']}  (rho(T), eta* and the Lyapunov exponent)")
    if rep["null_space_note"]:
        print(f"note: {rep['null_space_note']}")
    return 0
