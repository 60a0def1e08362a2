"""Issue 17, items 3 and 5: wall time of ``rmtcheck verify`` and ``rmtcheck figures`` on their defaults.

``rmtcheck verify`` (all rows, default ``--jobs``: the usable cores) runs 3 times in fresh processes; the median
wall and CPU seconds (user + sys of the whole process tree, from ``resource.getrusage``) are printed beside one run
with ``--jobs 1`` (every row in one process: what the command costs without its workers) and the target (< 15 s
wall on 2 cores). With ``--figures``, ``rmtcheck figures`` (all figures, default grids and ``--jobs``, into a
temporary folder) runs once against its target (< 90 s). The conditions (usable cores, load average before and
after) are printed first and last: wall time on a shared machine also measures the neighbours.
Run: ``python benchmarks/bench_verify.py [--figures]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile

from _timing import fresh_process


def main() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# {cores} usable cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    verify = [sys.executable, "-m", "rmtcheck", "verify", "-q"]
    runs = [fresh_process(verify) for _ in range(3)]  # (CPU, wall) of the whole process tree
    cpu, wall = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    one_cpu, one_wall = fresh_process(verify + ["--jobs", "1"])
    print(f"rmtcheck verify (defaults)   {wall:6.1f} s wall, {cpu:6.1f} s CPU (median of 3; runs "
          f"{', '.join(f'{r[1]:.1f}' for r in runs)} s)   target < 15 s: {'met' if wall < 15 else 'MISSED'}")
    print(f"rmtcheck verify --jobs 1     {one_wall:6.1f} s wall, {one_cpu:6.1f} s CPU   "
          f"the workers are {one_wall / wall:.2f}x faster in wall time")
    if "--figures" in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            f_cpu, f_wall = fresh_process([sys.executable, "-m", "rmtcheck", "figures", "--no-progress", "--out", tmp])
        print(f"rmtcheck figures (defaults)  {f_wall:6.1f} s wall, {f_cpu:6.1f} s CPU   "
              f"target < 90 s: {'met' if f_wall < 90 else 'MISSED'}")
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
