"""Benchmarks of the sweep engine (issue on sweeps), printed as measured in one run (not a timed test).

    python benchmarks/bench_sweep.py [--cells 2000] [--grid dexter|unlearning|none] [--quick]

1. Per-cell overhead: ``--cells`` trivial cells through :func:`rmtcheck.sweep.run_sweep` against a
   plain Python loop calling the same function (baseline), in ms/cell: inline (``jobs=1``) with and
   without an SQLite store, and a 2-process pool with a store (includes pool start-up and pickling).
   Target: < 5 ms/cell.
2. Scaling: a full-size heatmap (Dexter's Fig. 1 grid, 49 cells; or the unlearning Hessian test,
   150 cells) with 1 process (inline) and with 2 processes; prints the speed-up and checks that both
   give identical arrays. Wall times on a shared machine are noisy: the load average is printed.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from rmtcheck.sweep import run_sweep


def trivial_cell(params, seed):
    return {"i": params["i"], "s": seed % 1000}


def overhead(n):
    cells = [{"i": i} for i in range(n)]
    seeds = list(range(n))
    t = time.perf_counter()
    [trivial_cell(c, s) for c, s in zip(cells, seeds)]
    t_loop = time.perf_counter() - t
    rows = [("plain loop (baseline)", t_loop)]
    with tempfile.TemporaryDirectory() as d:
        for label, kw in (("engine inline, no store", dict(jobs=1)),
                          ("engine inline + SQLite store", dict(jobs=1, store=Path(d) / "a.sqlite")),
                          ("engine 2 processes + store", dict(jobs=2, store=Path(d) / "b.sqlite"))):
            t = time.perf_counter()
            run_sweep("bench-overhead", trivial_cell, cells, **kw)
            rows.append((label, time.perf_counter() - t))
        t = time.perf_counter()
        run_sweep("bench-overhead", trivial_cell, cells, jobs=1, store=Path(d) / "a.sqlite")
        rows.append(("resume: all cells found in the store", time.perf_counter() - t))
    print(f"[1] per-cell overhead, {n} trivial cells (target < 5 ms/cell):")
    for label, tt in rows:
        extra = "" if label.startswith("plain") else f"  overhead {(tt - t_loop) / n * 1e3:7.3f} ms/cell"
        print(f"    {label:38s} {tt * 1e3 / n:7.3f} ms/cell{extra}")


def scaling(grid, quick):
    if grid == "dexter":
        from rmtcheck.studies.dexter.experiments import hessian_test_grid

        kw = dict(B_values=range(1, 50, 4), sigma_values=range(1, 51, 4)) if quick else {}

        def run(jobs):
            return hessian_test_grid(rng=0, jobs=jobs, **kw).as_dict()
        name = "Dexter Hessian test" + (" (quick)" if quick else " 49 x 50 x 2 lrs, 49 cells")
    else:
        from rmtcheck.studies.chang_khanna.experiments import hessian_test_grid

        kw = dict(Bs=np.arange(1, 50, 4), sigmas=np.arange(1, 51, 4), mc_stride=3, mc_runs=6,
                  mc_steps=300) if quick else {}

        def run(jobs):
            return hessian_test_grid(seed=0, jobs=jobs, **kw)
        name = "unlearning Hessian test" + (" (quick)" if quick else " 50 x 49 + 10 x 10 MC, 150 cells")
    from threadpoolctl import threadpool_limits

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    times = {}
    out = {}
    t = time.perf_counter()
    out["blas"] = run(1)  # one process, BLAS free to use every core (the engine's inline default)
    times["blas"] = time.perf_counter() - t
    with threadpool_limits(1):
        t = time.perf_counter()
        out[1] = run(1)  # one process, single-threaded BLAS (what each pool worker runs)
        times[1] = time.perf_counter() - t
    t = time.perf_counter()
    out[2] = run(2)  # two worker processes, single-threaded BLAS each
    times[2] = time.perf_counter() - t
    same = all(np.array_equal(np.asarray(out[a][k]), np.asarray(out[2][k])) for a in (1, "blas") for k in out[2]
               if not isinstance(out[2][k], str))
    print(f"[2] {name}: 1 process {times[1]:.1f} s, 2 processes {times[2]:.1f} s -> speed-up "
          f"{times[1] / times[2]:.2f}x on {os.cpu_count()} cores (BLAS single-threaded per process; one "
          f"process with multithreaded BLAS: {times['blas']:.1f} s, ratio {times['blas'] / times[2]:.2f}x; "
          f"load average before: {load:.2f}); identical results: {same}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cells", type=int, default=2000)
    ap.add_argument("--grid", choices=("dexter", "unlearning", "none"), default="dexter")
    ap.add_argument("--quick", action="store_true", help="a small grid for [2]")
    a = ap.parse_args()
    overhead(a.cells)
    if a.grid != "none":
        scaling(a.grid, a.quick)


if __name__ == "__main__":
    main()
