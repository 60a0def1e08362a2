"""``rmtcheck sragu``: evaluate AGU, SRAGU and baselines against a retrained gold model on real data."""

from __future__ import annotations

import json


def add_parser(subparsers):
    p = subparsers.add_parser(
        "sragu", help="AGU/SRAGU unlearning vs baselines against a retrained gold model (digits, breast cancer, MNIST-1D or your X, y)",
        description="Train a small NumPy MLP on a bundled dataset (scikit-learn's digits or breast cancer, or "
                    "MNIST-1D generated in memory), forget random / class / high-influence sets with every method, "
                    "and compare with the gold model retrained on the retain set. Nothing is downloaded. Needs "
                    "scikit-learn and mnist1d (pip install 'rmtcheck[data]').")
    p.add_argument("--dataset", choices=("digits", "breast_cancer", "mnist1d"), default="digits",
                   help="bundled data set (default digits; mnist1d: 4000 samples generated in memory)")
    p.add_argument("--data", metavar="FILE.npz", help="your own data instead: X (n, p) features and y (n,) integer "
                   "labels 0 .. C-1 (standardised and split 75/25 like the bundled sets)")
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 64], help="hidden widths (default 128 64)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--unlearn-lr", type=float, default=1.0)
    p.add_argument("--max-passes", type=int, default=20)
    p.add_argument("--retain-weight", type=float, default=0.0, help="retain-descent weight of AGU/SRAGU")
    p.add_argument("--quick", action="store_true", help="tiny run (one hidden layer of 32, 8 epochs)")
    p.add_argument("--seed", type=int, default=0, help="root seed (the runs use its SeedSequence children)")
    p.add_argument("--seeds", type=_seeds, default=5,
                   help="independent runs (default 5): means with 95%% t-intervals and the paired verdict SRAGU vs "
                        "AGU; 1 prints the single run's full table")
    p.add_argument("--jobs", type=_seeds, default=1,
                   help="worker processes for the seeds (default 1; results do not depend on it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def _seeds(text: str) -> int:
    from rmtcheck.cli._inputs import _int

    return _int(text, 1, ">= 1")


def _fmt(v) -> str:
    m, lo, hi = v
    return f"{m:.3g}" if hi != hi else f"{m:.3g} ± {(hi - lo) / 2:.2g}"


def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck.studies.spectral.evaluation import evaluation_table, run_evaluation
    from rmtcheck.studies.spectral.seeds import TABLE_METRICS, paired_verdict, run_seeds, seed_table

    kw = dict(hidden=tuple(args.hidden), epochs=args.epochs, unlearn_lr=args.unlearn_lr,
              max_passes=args.max_passes, retain_weight=args.retain_weight)
    if args.quick:
        kw.update(hidden=(32,), epochs=8, max_passes=5)
    dataset = args.data if args.data else args.dataset
    if args.data and not str(args.data).endswith(".npz"):
        raise ValueError(f"--data must be a .npz file holding X and y; got {args.data!r}")
    if args.seeds == 1:
        res = run_evaluation(dataset=dataset, seed=args.seed, **kw)
        print(json.dumps(jsonable(res, max_array=1000), indent=2) if args.json else evaluation_table(res))
        return 0
    results = run_seeds(args.seeds, args.seed, jobs=args.jobs, dataset=dataset, **kw)
    table, verdicts = seed_table(results), paired_verdict(results)
    if args.json:
        print(json.dumps(jsonable({"config": {"dataset": dataset, "quick": args.quick, "seeds": args.seeds,
                                              "root_seed": args.seed, **kw},
                                   "table": table, "verdicts": verdicts,
                                   "runs": [{k: r[k] for k in ("seed", "alphas", "records")} for r in results]},
                                  max_array=1000), indent=2))
        return 0
    conf = f"{dataset}, hidden {list(kw['hidden'])}, {kw['epochs']} epochs{' (quick)' if args.quick else ''}"
    print(f"{conf}: {args.seeds} seeds (children of {args.seed}); mean ± half-width of the 95% t-interval")
    head = f"{'regime':<10}{'method':<16}" + "".join(f"{k:>22}" for k in TABLE_METRICS)
    print(head)
    print("-" * len(head))
    for row in table:
        print(f"{row['regime']:<10}{row['method']:<16}" + "".join(f"{_fmt(row[k]):>22}" for k in TABLE_METRICS))
    print()
    for regime, v in verdicts.items():
        lo, hi = v["interval"]
        print(f"{regime}: SRAGU vs AGU on KL(gold||unlearned), paired over {v['n']} seeds: difference "
              f"{v['mean_difference']:+.3g} [{lo:+.3g}, {hi:+.3g}] (p = {v['p_value']:.2g}) -> {v['verdict']}")
    return 0
