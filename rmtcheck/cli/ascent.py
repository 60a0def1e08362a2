"""``rmtcheck ascent``: the "Ascent Fails to Forget" case study (logistic-regression descent–ascent).

Without a model it runs the ``ascent`` verify rows and prints the verdict table; with a model
(``block``, ``correlated``, ``toy``, ``random``) it prints that case study's record (``--json`` for
machine-readable output).
"""

from __future__ import annotations

import json

MODELS = ("block", "correlated", "toy", "random")


def add_parser(subparsers):
    p = subparsers.add_parser(
        "ascent", help="descent–ascent unlearning in logistic regression (Ascent Fails to Forget)",
        description=__doc__.split("\n\n")[1] if __doc__ else None)
    p.add_argument("model", nargs="?", choices=MODELS, default=None,
                   help="case study to run; omit for the verdict table of all 'ascent' statements")
    p.add_argument("--retain", type=int, default=900, help="|R|, total retain samples (default 900)")
    p.add_argument("--forget", type=int, default=100, help="|F|, total forget samples (default 100)")
    p.add_argument("--retain-j", type=int, default=90, help="|R_j| (|R_ij| for correlated), default 90")
    p.add_argument("--alpha", type=float, default=0.05, help="forget/retain ratio of the coordinate(s) (0.05)")
    p.add_argument("--ridge", type=float, default=None, help="ridge lambda > 0 (0.01; toy: 0.1)")
    p.add_argument("--eps", type=float, default=0.5, help="correlation epsilon in (0, 1] (correlated; 0.5)")
    p.add_argument("--groups", type=int, default=100, help="groups K (random; 100)")
    p.add_argument("--per-group", type=int, default=100, help="samples per group (random; 100)")
    p.add_argument("--forget-fraction", type=float, default=0.1, help="|F|/|D| (random; 0.1)")
    p.add_argument("--trials", type=int, default=50, help="random forget sets drawn (random; 50)")
    p.add_argument("--target", choices=("01", "pm1"), default="01", help="toy loss: targets (01)")
    p.add_argument("--reduction", choices=("sum", "mean"), default="sum", help="toy loss: reduction (sum)")
    p.add_argument("--ridge-form", choices=("lambda", "half"), default="lambda", help="toy loss: ridge form")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--instances", type=int, default=None, help="instances per verify row (default: each row's own)")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=run)
    return p


def _table(rows):
    head = f"{'statement':32s} {'tag':13s} {'method':11s} {'claimed':7s} {'n':>4s} {'viol':>4s}  verdict"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.id:32s} {r.tag:13s} {r.method:11s} {str(r.claimed):7s} {r.instances:4d} "
                     f"{r.violations:4d}  {r.verdict}")
    return "\n".join(lines)


def _summary(rec: dict) -> str:
    from rmtcheck._lib.jsonable import jsonable

    out = []
    for k, v in jsonable(rec).items():
        if isinstance(v, dict) and "array_shape" in v:
            continue
        out.append(f"{k:24s} {v}")
    return "\n".join(out)


def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck.verify import exit_status, run_all

    if args.ridge is None:
        args.ridge = 0.1 if args.model == "toy" else 0.01
    if not args.ridge > 0:
        raise ValueError(f"--ridge must be > 0; got {args.ridge}")
    if args.model is None:
        rows = run_all(["ascent"], seed=args.seed, instances=args.instances)
        if args.json:
            print(json.dumps([r.to_dict() for r in rows], indent=2))
        else:
            print(_table(rows))
        return exit_status(rows)
    from rmtcheck.studies.ascent import experiments as E

    if args.model == "block":
        rec = E.block_case(args.retain, args.forget, args.retain_j, args.alpha, args.ridge)
    elif args.model == "correlated":
        if not 0 < args.eps <= 1:
            raise ValueError(f"--eps must lie in (0, 1]; got {args.eps}")
        rec = E.correlated_point(args.retain, args.forget, args.retain_j, args.alpha, args.ridge, args.eps)
    elif args.model == "toy":
        from rmtcheck.studies import ascent as A

        rec = A.toy_claim(args.target, args.reduction, args.ridge_form, ridge=args.ridge)
    else:
        import numpy as np

        st = E.random_forget_study(args.groups, args.per_group, args.forget_fraction, args.ridge, args.trials, args.seed)
        rec = {"model": "random", "groups": args.groups, "per_group": args.per_group,
               "forget_fraction": args.forget_fraction, "ridge": args.ridge, "trials": args.trials, "seed": args.seed}
        for name in ("uniform", "structured"):
            d = st[name]
            rec[name] = {"frac_no_global_min": float(np.mean(d["frac_no_global_min"])),
                         "frac_no_stationary": float(np.mean(d["frac_no_stationary"])),
                         "median_ratio_local": float(np.median(d["ratio_local"])),
                         "mean_dist_pretrain": float(np.mean(d["dist_pretrain"]))}
        rec["hoeffding_max_freq_minus_bound"] = float(np.max(st["hoeffding_freq"] - st["hoeffding_bound"]))
    if args.json:
        print(json.dumps(jsonable(rec), indent=2))
    else:
        print(_summary(rec))
    return 0
