"""``rmtcheck sragu``: evaluate AGU, SRAGU and baselines against a retrained gold model on real data."""

from __future__ import annotations

import json


def add_parser(subparsers):
    p = subparsers.add_parser(
        "sragu", help="AGU/SRAGU unlearning vs baselines against a retrained gold model (scikit-learn data)",
        description="Train a small NumPy MLP on a scikit-learn bundled dataset, forget random / class / "
                    "high-influence sets with every method, and compare with the gold model retrained on "
                    "the retain set. Needs scikit-learn (pip install 'rmtcheck[data]').")
    p.add_argument("--dataset", choices=("digits", "breast_cancer"), default="digits")
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 64], help="hidden widths (default 128 64)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--unlearn-lr", type=float, default=1.0)
    p.add_argument("--max-passes", type=int, default=20)
    p.add_argument("--retain-weight", type=float, default=0.0, help="retain-descent weight of AGU/SRAGU")
    p.add_argument("--quick", action="store_true", help="tiny run (one hidden layer of 32, 8 epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck.studies.spectral.evaluation import evaluation_table, run_evaluation

    kw = dict(hidden=tuple(args.hidden), epochs=args.epochs, unlearn_lr=args.unlearn_lr,
              max_passes=args.max_passes, retain_weight=args.retain_weight)
    if args.quick:
        kw.update(hidden=(32,), epochs=8, max_passes=5)
    res = run_evaluation(dataset=args.dataset, seed=args.seed, **kw)
    if args.json:
        print(json.dumps(jsonable(res, max_array=1000), indent=2))
    else:
        print(evaluation_table(res))
    return 0
