"""``rmtcheck figures``: regenerate registered figures (PNG, PDF and the data behind each)."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("figures", help="regenerate the paper figures (PNG + PDF + data)")
    p.add_argument("--only", action="append", metavar="NAME", help="figure name (repeatable)")
    p.add_argument("--list", action="store_true", help="list figure names and exit")
    p.add_argument("--out", default="figures", help="output directory (default: figures/)")
    p.add_argument("--quick", action="store_true", help="small grids for a fast preview")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..plotting import figures

    reg = figures()
    if args.list:
        for name, fn in reg.items():
            print(f"{name:32s} {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else ''}")
        return 0
    names = args.only or list(reg)
    unknown = [n for n in names if n not in reg]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; run `rmtcheck figures --list`")
    out = Path(args.out)
    for i, name in enumerate(names, 1):
        t0 = time.perf_counter()
        print(f"[{i}/{len(names)}] {name} ...", end=" ", flush=True)
        paths = reg[name](out, quick=args.quick, seed=args.seed)
        print(f"{time.perf_counter() - t0:.1f} s -> " + ", ".join(str(p) for p in paths))
    sys.stdout.flush()
    return 0
