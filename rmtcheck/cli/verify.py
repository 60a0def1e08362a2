"""``rmtcheck verify``: the verdict table of every registered statement."""

from __future__ import annotations

import json
import sys
import time


def add_parser(sub):
    p = sub.add_parser(
        "verify",
        help="check every registered theorem on seeded instances and print the verdict table",
        description="Check registered statements against exact computation, SymPy and Monte Carlo. "
        "Exit status 1 only when a statement claimed to hold in its regime is violated there by exact "
        "or symbolic computation, or by Monte Carlo or a statistical test beyond the row's statistical margin "
        "(rows that state their false-alarm probability, the chance that a correct package trips the margin; "
        "see --json); 3 when a check raised (an internal error: that row reads 'error', the others run); 2 for "
        "bad arguments.",
    )
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0); row k of a statement uses child k")
    p.add_argument("--instances", type=int, default=None, help="instances per statement (default: each row's own)")
    p.add_argument("--only", action="append", metavar="ID", help="statement id or group prefix (repeatable)")
    p.add_argument("--json", action="store_true", help="machine-readable records instead of the table")
    p.add_argument("--list", action="store_true", help="list statement ids and exit")
    p.add_argument("--details", action="store_true", help="with --json: include per-instance details")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: the usable cores; 1 runs in this process); the verdicts are the "
                   "same for every N (BLAS runs single-threaded in workers, so last digits may differ by round-off)")
    p.add_argument("--timings", action="store_true", help="with --json: include each row's seconds (records of "
                   "identical runs then differ)")
    p.set_defaults(func=run)


def _fmt(x, spec=".3g"):
    return "-" if x is None else format(x, spec)


def _table(results) -> str:
    cols = ("id", "source", "notion", "sampling", "method", "n", "viol", "tightness", "verdict")
    rows = []
    for r in results:
        tight = "-" if r.tightness_median is None else (
            f"{r.tightness_median:.3g} [{r.tightness_min:.3g}, {r.tightness_max:.3g}]")
        rows.append((r.id, r.source[:48], r.notion, r.sampling, r.method, str(r.instances), str(r.violations),
                     tight, r.verdict + ("" if r.claimed else " *")))
    w = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v.ljust(w[i]) for i, v in enumerate(vals))  # noqa: E731
    out = [line(cols), line(["-" * x for x in w])] + [line(r) for r in rows]
    return "\n".join(out)


def run(args) -> int:
    from rmtcheck.verify import exit_status, registry, run_all
    from rmtcheck.verify.runner import run_statement

    if args.list:
        for sid, s in registry().items():
            print(f"{sid:48s} {s.notion:13s} {s.sampling:22s} {'claimed' if s.claimed else 'probe'}")
        return 0
    from rmtcheck._lib.progress import Progress
    from rmtcheck._lib.threads import usable_cores

    if args.jobs is not None and args.jobs < 1:
        print(f"rmtcheck verify: error: --jobs {args.jobs}: use a number of worker processes >= 1", file=sys.stderr)
        return 2
    jobs = usable_cores() if args.jobs is None else args.jobs
    t0 = time.perf_counter()
    with Progress("rmtcheck verify", quiet=args.quiet) as prog:
        def step(k, total, sid):
            prog.total = total
            prog.stage(sid)

        if args.details:
            reg = registry()
            ids = args.only or list(reg)
            chosen = [s for k, s in reg.items() if any(k == i or k.startswith(i + ".") for i in ids)]
            results = []
            for k, s in enumerate(chosen):
                step(k, len(chosen), s.id)
                results.append(run_statement(s, args.seed, args.instances, keep_details=True))
        else:
            results = run_all(args.only, seed=args.seed, instances=args.instances, progress=step, jobs=jobs)
    status = exit_status(results)
    if args.json:
        print(json.dumps([r.to_dict(with_details=args.details, with_timings=args.timings) for r in results],
                         indent=1))
        return status
    print(_table(results))
    print()
    print("tightness = exact critical value / the bound's (median [min, max]); * = probe outside the "
          "statement's regime or an open hypothesis: a violation there is a reported counterexample, not a failure. "
          "A claimed Monte Carlo or statistical row fails the run when violated beyond its statistical margin; "
          "--json gives each such row's false-alarm probability (false_alarm, false_alarm_how).")
    for r in results:
        if r.violations and r.first_violation:
            fv = r.first_violation
            tag = "VIOLATION" if r.claimed else "counterexample"
            if r.claimed and r.false_alarm is not None:
                tag += f" (false-alarm probability {r.false_alarm:.2g})"
            elif r.claimed and not r.fails_run:
                tag += " (no false-alarm probability: reported, not failing the run)"
            print(f"{tag} [{r.id}] instance {fv['index']} (reproduce: rmtcheck verify --only {r.id} --seed {r.seed}): "
                  f"{json.dumps(fv['instance'], default=str)[:300]} -> {json.dumps(fv['detail'], default=str)[:400]}")
            if r.refutes:
                print(f"  refutes: {r.refutes}")
    for r in results:
        if r.error is not None:
            print(f"ERROR [{r.id}] {r.error} (an internal error of the package, not a verdict; reproduce: "
                  f"rmtcheck verify --only {r.id} --seed {r.seed})")
    n_claim = sum(r.claimed for r in results)
    bad = [r.id for r in results if r.fails_run]
    unfailed = [r.id for r in results if r.claimed and r.violations and not r.fails_run]
    errors = [r.id for r in results if r.error is not None]
    print(f"\n{len(results)} statements ({n_claim} claimed in their regime), seed {args.seed}, "
          f"{time.perf_counter() - t0:.1f} s. " + (f"VIOLATED: {', '.join(bad)}" if bad else
                                                    "No claimed statement violated by exact or symbolic computation, "
                                                    "nor by Monte Carlo or a statistical test beyond its margin.")
          + (f" Violated without a false-alarm probability (reported, not failing the run): {', '.join(unfailed)}."
             if unfailed else "")
          + (f" INTERNAL ERROR in {len(errors)} row(s): {', '.join(errors)}" if errors else ""))
    sys.stdout.flush()
    return status
