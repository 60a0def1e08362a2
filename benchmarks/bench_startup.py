"""Start-up cost: CPU seconds of `import rmtcheck`, `rmtcheck --help`, `rmtcheck verify --list` and `rmtcheck stability`.

Each command runs in a fresh interpreter 7 times (3 for the two ``stability`` runs); the median CPU time (user +
sys of the child, from ``resource.getrusage``) and the median wall time are printed beside the same measure for
``python -c "import numpy"``, the floor any NumPy package pays. Targets (issues 11 and 17): ``--help`` and
``verify --list`` under 0.5 s; ``rmtcheck stability`` (``--lr 0.5 --batch 8``, default Monte Carlo) on (64, 200)
rank-one factors (.npy) under 1 s, on the same members as a dense (64, 200, 200) stack under 2 s. CPU time is
judged (wall time on a shared machine measures the neighbours); conditions are printed first.
Run: ``python benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _timing import fresh_process

COMMANDS = {
    'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
    'python -c "import rmtcheck"': [sys.executable, "-c", "import rmtcheck"],
    "rmtcheck --help": [sys.executable, "-m", "rmtcheck", "--help"],
    "rmtcheck verify --list": [sys.executable, "-m", "rmtcheck", "verify", "--list"],
    "rmtcheck stability (64, 200) factors": ["stability", "factors.npy"],
    "rmtcheck stability (64, 200, 200) stack": ["stability", "stack.npy"],
    "heavy modules after `import rmtcheck`": None,
}
TARGETS = {"rmtcheck --help": 0.5, "rmtcheck verify --list": 0.5, "rmtcheck stability (64, 200) factors": 1.0,
           "rmtcheck stability (64, 200, 200) stack": 2.0}


def write_inputs(folder: Path) -> None:
    """(64, 200) rank-one factors and the same members as a dense (64, 200, 200) stack."""
    G = np.random.default_rng(0).standard_normal((64, 200)) / np.sqrt(200)
    np.save(folder / "factors.npy", G)
    np.save(folder / "stack.npy", G[:, :, None] * G[:, None, :])


def command(cmd: list[str], folder: Path) -> list[str]:
    if cmd[0] != "stability":
        return cmd
    return [sys.executable, "-m", "rmtcheck", "stability", str(folder / cmd[1]), "--lr", "0.5", "--batch", "8", "-q"]


def heavy_modules() -> str:
    code = ("import sys, rmtcheck, rmtcheck.cli as c; c.build_parser(); "
            "print(sorted({m.split('.')[0] + ('.' + m.split('.')[1] if '.' in m else '') for m in sys.modules "
            "if m.startswith(('scipy.stats', 'scipy.integrate', 'sympy', 'matplotlib', 'numba'))}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    load = os.getloadavg()
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; median CPU s (and wall s) of 7 fresh processes "
          f"(3 for stability)")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        write_inputs(Path(tmp))
        for label, cmd in COMMANDS.items():
            if cmd is None:
                print(f"{label:40s} {heavy_modules()}")
                continue
            runs = [fresh_process(command(cmd, Path(tmp))) for _ in range(3 if cmd[0] == "stability" else 7)]
            t, wall = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            base = base or t
            line = f"{label:40s} {t:6.3f} s CPU ({wall:6.3f} s wall)   {t / base:5.2f}x import numpy"
            if label in TARGETS:
                line += f"   target < {TARGETS[label]:.1f} s: {'met' if t < TARGETS[label] else 'MISSED'}"
            print(line)
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
