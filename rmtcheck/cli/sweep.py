"""``rmtcheck sweep run|status|list``: run registered experiment grids resumably, show progress.

Results go to an SQLite store: ``--store PATH``, else ``$RMTCHECK_STORE``, else
``./rmtcheck-sweeps.sqlite``. Rerunning an interrupted ``sweep run`` with the same arguments computes
only the missing cells; two runs on one store at the same time share the cells. ``sweep run`` reports
progress on stderr (a bar on a terminal, one line per finished cell -- per percent on grids of more
than 100 cells -- otherwise; ``--quiet`` silences it), uses at most one worker process per usable
core (saying so when ``--jobs`` asks for more) and stops its workers on ``SIGINT``, ``SIGTERM`` and
``SIGHUP`` (its workers also exit if it is killed outright).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("sweep", help="run experiment grids on a process pool or a Dask cluster, resumably",
                       description="Run registered experiment grids resumably (results in an SQLite store: "
                                   "--store, else $RMTCHECK_STORE, else ./rmtcheck-sweeps.sqlite) and show progress.")
    ss = p.add_subparsers(dest="sweep_command", metavar="ACTION")

    r = ss.add_parser("run", help="run (or resume) a registered sweep")
    r.add_argument("name", help="sweep name (see `rmtcheck sweep list`)")
    r.add_argument("--jobs", type=int, default=None, help="local worker processes (default: usable cores)")
    r.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (needs rmtcheck[dask])")
    r.add_argument("--store", default=None, metavar="PATH", help="SQLite results store (default $RMTCHECK_STORE "
                   "or ./rmtcheck-sweeps.sqlite)")
    r.add_argument("--quick", action="store_true", help="the small preview grid")
    r.add_argument("--seed", type=int, default=0, help="root seed (cell seeds are spawned from it)")
    r.add_argument("--json", action="store_true", help="print a machine-readable summary")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr (warnings still appear)")

    s = ss.add_parser("status", help="finished cells / total per sweep in the store")
    s.add_argument("--store", default=None, metavar="PATH")
    s.add_argument("--json", action="store_true")

    ls = ss.add_parser("list", help="the registered sweepable experiments")
    ls.add_argument("--json", action="store_true")
    p.set_defaults(func=run, _sweep_parser=p)


def run(args) -> int:
    action = getattr(args, "sweep_command", None)
    if action == "run":
        return _run(args)
    if action == "status":
        return _status(args)
    if action == "list":
        return _list(args)
    args._sweep_parser.print_help()
    return 2


def _bar(done: int, total: int, width: int = 24) -> str:
    frac = done / total if total else 1.0
    k = int(round(frac * width))
    return f"[{'#' * k}{'.' * (width - k)}] {done}/{total} ({100 * frac:5.1f}%)"


def _progress_printer(name: str, quiet: bool):
    """``progress(done, total)`` for :func:`run_sweep`: a bar on a terminal, else one line per step."""
    if quiet:
        return None, False
    tty = sys.stderr.isatty()
    t0 = time.monotonic()
    last = [0.0, -1]

    def progress(done, total):
        now = time.monotonic()
        if tty:
            if now - last[0] > 0.1 or done == total:
                last[0] = now
                print(f"\r{name} {_bar(done, total)}", end="", file=sys.stderr, flush=True)
            return
        step = done if total <= 100 else (100 * done) // total  # one line per cell, or per percent
        if step != last[1] or done == total:
            last[1] = step
            print(f"{name}: {done}/{total} cells ({100 * done / total if total else 100:.1f}%), "
                  f"{now - t0:.1f} s", file=sys.stderr, flush=True)

    return progress, tty


def _run(args) -> int:
    from rmtcheck.sweep import (
        SweepTerminated,
        close_executor,
        default_jobs,
        default_store_path,
        executor_from,
        get_sweep,
        run_sweep,
    )

    sw = get_sweep(args.name)
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1; got {args.jobs}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0; got {args.seed}")
    store = Path(args.store) if args.store else default_store_path()
    cells = sw.cells(quick=args.quick)
    jobs = args.jobs
    if jobs is not None and not args.scheduler and jobs > default_jobs():
        print(f"rmtcheck sweep: --jobs {jobs} capped at {default_jobs()}, the CPUs available to this process "
              "(more worker processes would only slow the sweep down)", file=sys.stderr, flush=True)
        jobs = default_jobs()
    executor = executor_from(scheduler=args.scheduler) if args.scheduler else None
    progress, tty = _progress_printer(sw.name, args.quiet)
    info: dict = {}
    try:
        run_sweep(sw.name, sw.cell, cells, seed=args.seed, executor=executor,
                  jobs=None if executor is not None else jobs, store=store, progress=progress, stats=info)
    except (KeyboardInterrupt, SweepTerminated) as exc:
        why = str(exc) if isinstance(exc, SweepTerminated) else "interrupted"
        print(f"{chr(10) if tty else ''}{why}; finished cells are in {store}: rerun the same command to resume",
              file=sys.stderr)
        return exc.code if isinstance(exc, SweepTerminated) else 130
    finally:
        if executor is not None:
            close_executor(executor)
    if tty:
        print(file=sys.stderr)
    rec = {k: info[k] for k in ("experiment", "total", "cached", "computed", "shared", "workers", "seconds",
                                "code_version", "sweep_id")}
    rec.update(seed=args.seed, store=str(store), quick=bool(args.quick),
               where=f"dask {args.scheduler}" if args.scheduler else f"{info['workers']} local process(es)")
    if args.json:
        print(json.dumps(rec))
    else:
        other = f", {rec['shared']} by a concurrent run" if rec["shared"] else ""
        print(f"{rec['experiment']}: {rec['total']} cells ({rec['cached']} from the store, {rec['computed']} computed "
              f"on {rec['where']}{other}) in {rec['seconds']:.1f} s; store {store}, code version {rec['code_version']}")
    return 0


def _status(args) -> int:
    from rmtcheck.sweep import ResultStore, default_store_path

    path = Path(args.store) if args.store else default_store_path()
    if not path.exists():
        if args.json:
            print(json.dumps([]))
        else:
            print(f"no sweeps yet: {path} does not exist")
        return 0
    with ResultStore(path) as st:
        recs = st.status()
    if args.json:
        print(json.dumps(recs))
        return 0
    if not recs:
        print(f"no sweeps in {path}")
        return 0
    print(f"store {path}")
    print(f"{'experiment':26s} {'progress':44s} {'last update':19s}  code version / seed")
    for r in recs:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["last_update"]))
        print(f"{r['experiment']:26s} {_bar(r['finished'], r['total']):44s} {when:19s}  {r['code_version']} / "
              f"{r['seed']}")
    return 0


def _list(args) -> int:
    from rmtcheck.sweep import sweeps

    reg = sweeps()
    if args.json:
        print(json.dumps([{"name": n, "description": s.description} for n, s in reg.items()]))
        return 0
    for n, s in reg.items():
        print(f"{n:28s} {s.description}")
    return 0
