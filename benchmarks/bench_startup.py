"""Start-up cost: CPU seconds of `import rmtcheck`, `rmtcheck --help` and `rmtcheck verify --list`.

Each command runs in a fresh interpreter 7 times; the median CPU time (user + sys of the child, from
``resource.getrusage``) is printed beside the same measure for ``python -c "import numpy"``, the floor
any NumPy package pays. Target (issue 11): ``--help`` and ``verify --list`` under 0.5 s of CPU.
Run: ``python benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys

COMMANDS = {
    'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
    'python -c "import rmtcheck"': [sys.executable, "-c", "import rmtcheck"],
    "rmtcheck --help": [sys.executable, "-m", "rmtcheck", "--help"],
    "rmtcheck verify --list": [sys.executable, "-m", "rmtcheck", "verify", "--list"],
    "heavy modules after `import rmtcheck`": None,
}


def cpu_seconds(cmd: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_modules() -> str:
    code = ("import sys, rmtcheck, rmtcheck.cli as c; c.build_parser(); "
            "print(sorted({m.split('.')[0] + ('.' + m.split('.')[1] if '.' in m else '') for m in sys.modules "
            "if m.startswith(('scipy.stats', 'scipy.integrate', 'sympy', 'matplotlib', 'numba'))}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}; median CPU s of 7 fresh processes")
    base = None
    for label, cmd in COMMANDS.items():
        if cmd is None:
            print(f"{label:40s} {heavy_modules()}")
            continue
        t = statistics.median(cpu_seconds(cmd) for _ in range(7))
        base = base or t
        print(f"{label:40s} {t:6.3f} s   {t / base:5.2f}x import numpy")


if __name__ == "__main__":
    main()
