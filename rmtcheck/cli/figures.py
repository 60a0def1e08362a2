"""``rmtcheck figures``: regenerate registered figures (PNG, PDF, the data as NPZ + CSV, a manifest).

Every function registered with :func:`rmtcheck.plotting.figure` is picked up automatically. Outputs
are byte-identical for the same seed and package versions; ``OUT/manifest.json`` records per figure the
reproducing command, seed, parameters, versions and the SHA-256 of every file written.
"""

from __future__ import annotations

import json
import sys


def add_parser(sub):
    p = sub.add_parser(
        "figures",
        help="regenerate the figures (PNG + PDF + data as NPZ/CSV + manifest)",
        description="Regenerate every registered figure (or --only NAME) as PNG and PDF with the data behind "
        "it (NPZ and CSV) and update OUT/manifest.json (command, seed, parameters, package versions, SHA-256). "
        "Same seed and versions give identical bytes.",
    )
    p.add_argument("--only", action="append", metavar="NAME", help="figure name (repeatable)")
    p.add_argument("--list", action="store_true", help="list figure names and exit")
    p.add_argument("--out", default="figures", help="output directory (default: figures/)")
    p.add_argument("--quick", action="store_true", help="small grids for a fast preview")
    p.add_argument("--seed", type=int, default=0, help="root seed passed to every figure (default 0)")
    p.add_argument("--no-progress", "-q", "--quiet", dest="no_progress", action="store_true",
                   help="no progress on stderr (a bar on a terminal, else one line per figure)")
    p.add_argument("--no-manifest", action="store_true", help="do not write OUT/manifest.json")
    p.add_argument("--json", action="store_true", help="print the manifest entries of the generated figures")
    p.add_argument("--large", action="store_true",
                   help="the larger grid, for figures that have one (the CNN heatmaps: minutes to tens of minutes)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="run the heatmaps' cells on N worker processes (sweep engine; same bytes for any N; default: "
                        "2, or 1 on a single usable CPU)")
    p.add_argument("--store", default=None, metavar="PATH",
                   help="keep every finished cell in this SQLite store, so an interrupted run resumes")
    p.set_defaults(func=run)


def run(args) -> int:
    from rmtcheck.plotting.catalog import figures
    from rmtcheck.plotting.manifest import generate, reproduce_command

    if args.list:
        for name, fn in figures().items():
            doc = (fn.__doc__ or "").strip().splitlines()
            print(f"{name:32s} {doc[0].strip() if doc else ''}")
        return 0
    from rmtcheck._lib.threads import usable_cores
    from rmtcheck.sweep import sweep_options

    jobs = args.jobs if args.jobs is not None else min(2, usable_cores())
    with sweep_options(jobs=jobs, store=args.store):
        runs = generate(args.only, args.out, quick=args.quick, seed=args.seed, progress=not args.no_progress,
                        manifest=not args.no_manifest, large=args.large)
    failed = [r for r in runs if r.error]
    if args.json:
        print(json.dumps({r.name: r.entry for r in runs if r.entry}, indent=1, sort_keys=True))
    else:
        for r in runs:
            if r.error:
                print(f"{r.name}: FAILED ({r.error}); retry with: "
                      f"{reproduce_command(r.name, args.seed, args.quick, args.out, args.large)}")
            else:
                print(f"{r.name}: {r.seconds:.1f} s -> " + ", ".join(str(p) for p in r.paths))
        if not args.no_manifest:
            print(f"manifest: {args.out.rstrip('/')}/manifest.json ({len(runs) - len(failed)} updated)")
    sys.stdout.flush()
    return 1 if failed else 0
