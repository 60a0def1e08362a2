"""``rmtcheck unlearn-stability``: does descent–ascent unlearning escape the pre-trained minimum?

Reads per-sample curvature of the retain and forget sets: two files (``.npy``: ``(n, d)`` rank-one factors or
``(n, d, d)`` stacks; ``.npz``: ``factors`` ``(n, d)`` or ``(n, d, k)``), or ONE ``.npz`` holding the joint
``gram`` of the retain samples followed by the forget samples (the cross block carries their alignment) with
``k`` and ``n_retain``. Reports the input form and space used, the three coherence axes, the signed mixed
Hessian, the exact mean-square growth factor (escape = unlearning succeeds when > 1), the critical mixing
weight and step size, and the Lyapunov exponent (almost-sure notion).
"""

from __future__ import annotations

import json

from rmtcheck._lib.threads import with_blas_policy
from rmtcheck.cli._cost import add_progress_options, cost_budget, pair_plan
from rmtcheck.cli._inputs import SPACE_HELP, load_input, positive_float, positive_int, seed_int, unit_float
from rmtcheck.stability.report import SPACES, analyse
from rmtcheck.stability.sampling import MIXED_SAMPLINGS


def add_parser(subparsers):
    p = subparsers.add_parser(
        "unlearn-stability", help="escape vs resistance of descent-ascent unlearning (Chang & Khanna 2026)",
        description=__doc__.split("\n\n")[1])
    p.add_argument("retain", help="RETAIN.npy/.npz: retain factors or Hessians, or the joint .npz (gram + n_retain)")
    p.add_argument("forget", nargs="?", default=None,
                   help="FORGET.npy/.npz: forget factors or Hessians (omit with a joint .npz)")
    p.add_argument("--lr", type=positive_float, required=True, help="step size eta > 0")
    p.add_argument("--batch", type=positive_int, required=True, help="batch size B")
    p.add_argument("--alpha", type=unit_float, required=True, help="mixing (forget) weight in [0, 1]")
    p.add_argument("--sampling", choices=MIXED_SAMPLINGS, default="independent_bernoulli",
                   help="batch model (default independent_bernoulli)")
    p.add_argument("--space", choices=SPACES, default="auto", help=SPACE_HELP)
    p.add_argument("--no-pairs", action="store_true", help="skip sigma_mix (O(N^2) per product for N distinct pairs)")
    p.add_argument("--steps", type=positive_int, default=400, help="Monte Carlo steps for the Lyapunov exponent (400)")
    p.add_argument("--runs", type=positive_int, default=128, help="Monte Carlo runs for the Lyapunov exponent (128)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the Monte Carlo (0)")
    p.add_argument("--json", action="store_true", help="print one JSON record")
    add_progress_options(p)
    p.set_defaults(func=run)
    return p


def _eta_note(eta: float, alpha: float) -> str:
    """Why a critical step size is 0 or infinite (the bare number reads like a bug)."""
    if eta == 0:
        return (f"  (every eta > 0 escapes: at alpha={alpha:g} the mixed Hessian (1-alpha) H_r - alpha H_f has a "
                "negative direction, so ascent grows it for any step size)")
    if eta == float("inf"):
        return "  (no eta escapes in mean square at this alpha)"
    return ""


@with_blas_policy  # loading (batched eigvalsh of a dense stack) and every product: no more threads than idle cores
def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck._lib.progress import Progress

    with Progress("rmtcheck unlearn-stability", total=8, quiet=args.quiet) as prog:
        prog.stage("loading RETAIN" + ("" if args.forget is None else " and FORGET"))
        retain = load_input(args.retain, "RETAIN")
        forget = None if args.forget is None else load_input(args.forget, "FORGET")
        cost_budget(pair_plan(retain, forget, args.space, pairs=not args.no_pairs, runs=args.runs, steps=args.steps),
                    prog, args.force)
        try:
            rec = analyse(retain, forget, args.lr, args.batch, alpha=args.alpha, sampling=args.sampling,
                          with_pairs=not args.no_pairs, steps=args.steps, runs=args.runs, seed=args.seed,
                          space=args.space, progress=prog)
        except ValueError as exc:  # the library names its Python arguments; name the options instead
            msg = str(exc)
            for key in ("batch", "lr", "alpha", "steps", "runs", "space", "sampling"):
                if msg.startswith(f"{key} "):
                    msg = f"--{key}{msg[len(key):]}"
            raise ValueError(msg) from None
    rec["input"]["files"] = [f for f in (args.retain, args.forget) if f is not None]
    if args.json:
        print(json.dumps(jsonable(rec), indent=2))
        return 0
    verdict = "ESCAPES (unlearning succeeds)" if rec["escapes"] else "RESISTS (converges)"
    as_v = {True: "escapes", False: "resists", None: "undecided"}[rec["escapes_almost_sure"]]
    lines = [
        f"input: {rec['input']['summary']}",
        f"sampling            {rec['sampling']}   (eta={args.lr}, B={args.batch}, alpha={args.alpha})",
        f"coherence           sigma_r={rec['sigma_retain']:.4g}  sigma_f={rec['sigma_forget']:.4g}  "
        f"sigma_rf={rec['sigma_cross']:.4g}  alignment={rec['alignment']:.4g}",
        f"pair coherence      sigma_mix={rec['sigma_mix'] if rec['sigma_mix'] is None else format(rec['sigma_mix'], '.4g')}"
        "  (|Tr| convention)",
        f"mixed Hessian       lambda in [{rec['mixed_lambda_min']:.4g}, {rec['mixed_lambda_max']:.4g}]",
        f"mean-square         rho(T)={rec['ms_growth']:.6g}  -> {verdict}",
        f"almost-sure         Lyapunov={rec['lyapunov']:.4g} ({rec['lyapunov_method']})  -> {as_v}",
        f"boundary            critical alpha={rec['critical_alpha']:.6g}   critical eta={rec['critical_lr']:.6g}"
        + _eta_note(rec['critical_lr'], args.alpha),
        f"computed on         {rec['computed_on']}",
    ]
    print("\n".join(lines))
    return 0
