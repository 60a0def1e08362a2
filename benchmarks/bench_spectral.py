"""Benchmark of the spectral diagnostics (ratios measured in one run).

1. CSN power-law fit with the x_min scan: rmtcheck's ``fit_powerlaw`` with the full O(n^2) scan
   (``scan="full"``), with the default ``scan="auto"`` (the exact pruned scan from ``PRUNE_FROM`` eigenvalues on)
   and the ``powerlaw`` package's ``Fit`` (optional; ``pip install powerlaw``; its alpha range lifted to
   [1, 20] where supported), on 2,000 and 20,000 eigenvalues (Student-t(1.5) ESDs and Pareto samples) and
   200,000 (Pareto; ``powerlaw.Fit`` runs in a child process and is skipped when it takes over 2 minutes, the
   full scan likewise past ``FULL_LIMIT_S``). Like for like: ``estimator="ww"`` (every eigenvalue but the
   largest a candidate, the left-ECDF KS distance ``max |P_r - r/n|``, the first minimum), which is what
   ``powerlaw.Fit`` computes (its candidates: the unique values but the largest; ``D = max |C_fit - C_data|`` on
   the tail's left empirical CDF); the samples have no ties and nothing below the 1e-5 cut. Pareto alpha = 2.5
   uses powerlaw's analytic MLE (its fast path, alpha within (1.5, 3]); alpha = 3.5 its numerical fit. Printed:
   the three times, the speed-up of ``auto`` over ``powerlaw`` against the target (>= 100x), whether the
   chosen x_min are equal (exactly) and the alphas (to 1e-12 relative: the same MLE summed in another order),
   and that ``auto`` chose bitwise what the full scan chose. The 20,000-eigenvalue Student-t ESD is that of a
   block-diagonal matrix of 10 independent 4000 x 2000 blocks (the union of their ESDs; one 40000 x 20000
   matrix is out of reach here).
2. Full diagnostic of a 2000 x 1000 matrix (eigenvalues, MP fit, power law, 200-replicate bootstrap).

Run: ``python benchmarks/bench_spectral.py`` (``--quick``: 2,000 eigenvalues only). Times are best of ``repeat``
runs (wall clock); the load average is printed with them.
"""

import inspect
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from _timing import best

from rmtcheck.randmat.powerlaw import fit_powerlaw
from rmtcheck.randmat.spectral import diagnose, esd

TARGET = 100.0  # speed-up of fit_powerlaw (auto) over powerlaw.Fit asked by issue 15, item 5
PL_LIMIT_S = 120.0  # powerlaw.Fit at 200,000 eigenvalues is skipped past this
FULL_LIMIT_S = 900.0  # the full scan at 200,000 eigenvalues (about 317 s measured) is skipped past this

_CHILD = """
import json, sys, time, warnings
import numpy as np
import powerlaw
x = np.load(sys.argv[1])
kw = json.loads(sys.argv[2])
if sys.argv[3] == "powerlaw":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter(); F = powerlaw.Fit(x, **kw); t = time.perf_counter() - t
    print(json.dumps([t, float(F.xmin), float(F.alpha)]))
else:
    from rmtcheck.randmat.powerlaw import fit_powerlaw
    t = time.perf_counter(); f = fit_powerlaw(x, estimator="ww", scan="full"); t = time.perf_counter() - t
    print(json.dumps([t, f.index, f.xmin, f.alpha, f.ks_distance, f.n_tail]))
"""


def _in_child(x, what, kw, limit):
    """``what`` ("powerlaw" or "full") on ``x`` in a child process; None past ``limit`` seconds."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.npy")
        np.save(path, x)
        try:
            out = subprocess.run([sys.executable, "-c", _CHILD, path, json.dumps(kw), what], capture_output=True,
                                 text=True, timeout=limit, check=True)
        except subprocess.TimeoutExpired:
            return None
    return json.loads(out.stdout)


def _load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def powerlaw_section(rng, quick=False):
    try:
        import powerlaw
    except ImportError:
        powerlaw = None
        print("powerlaw package not installed: ratio against it skipped (pip install powerlaw)")
    pl_kw = {"verbose": False}
    if powerlaw is not None and "parameter_ranges" in inspect.signature(powerlaw.Fit.__init__).parameters:
        pl_kw["parameter_ranges"] = {"alpha": [1.0, 20.0]}
    samples = [("Student-t(1.5) ESD 4000x2000", lambda: esd(rng.standard_t(1.5, (4000, 2000)))),
               ("Pareto alpha=2.5", lambda: (1 - rng.random(2000)) ** (-1 / 1.5)),
               ("Pareto alpha=3.5 (powerlaw numerical)", lambda: (1 - rng.random(2000)) ** (-1 / 2.5))]
    if not quick:
        samples += [("Student-t(1.5) ESD 10 x (4000x2000)",
                     lambda: np.concatenate([esd(rng.standard_t(1.5, (4000, 2000))) for _ in range(10)])),
                    ("Pareto alpha=2.5", lambda: (1 - rng.random(20_000)) ** (-1 / 1.5)),
                    ("Pareto alpha=2.5", lambda: (1 - rng.random(200_000)) ** (-1 / 1.5))]
    print(f"1. CSN power-law fit, estimator='ww' (left ECDF, min_tail 2); {_load()}")
    print(f"   {'sample':38s} {'n':>7s} {'full':>10s} {'auto':>9s} {'powerlaw':>10s} {'speed-up':>9s} "
          f"{'>=100x':>6s} {'xmin eq':>7s} {'alpha eq':>8s} {'auto = full':>11s}")
    for name, make in samples:
        x = make()
        n = x.size
        rep = 7 if n <= 2000 else 3
        t_auto, f = best(lambda: fit_powerlaw(x, estimator="ww"), repeat=rep)
        if n <= 20_000:
            t_full, g = best(lambda: fit_powerlaw(x, estimator="ww", scan="full"), repeat=rep if n <= 2000 else 2)
            full = (g.index, g.xmin, g.alpha, g.ks_distance, g.n_tail)
        else:
            r = _in_child(x, "full", {}, FULL_LIMIT_S)
            t_full, full = (r[0], tuple(r[1:])) if r is not None else (None, None)
        same = "n/a" if full is None else str(full == (f.index, f.xmin, f.alpha, f.ks_distance, f.n_tail))
        t_pl = F = None
        if powerlaw is not None:
            if n <= 20_000:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t_pl, F = best(lambda: powerlaw.Fit(x, **pl_kw), repeat=2 if n <= 2000 else 1)
                F = (float(F.xmin), float(F.alpha))
            else:
                r = _in_child(x, "powerlaw", pl_kw, PL_LIMIT_S)
                t_pl, F = (r[0], tuple(r[1:])) if r is not None else (None, None)
        fmt = lambda t: "skipped" if t is None else f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"  # noqa: E731
        if F is None:
            ratio, met, xeq, aeq = "n/a", "n/a", "n/a", "n/a"
        else:
            ratio = f"{t_pl / t_auto:.0f}x"
            met = str(t_pl / t_auto >= TARGET)
            xeq = str(F[0] == f.xmin)
            aeq = str(abs(F[1] - f.alpha) <= 1e-12 * f.alpha)
        print(f"   {name:38s} {n:7d} {fmt(t_full):>10s} {fmt(t_auto):>9s} {fmt(t_pl):>10s} {ratio:>9s} {met:>6s} "
              f"{xeq:>7s} {aeq:>8s} {same:>11s}", flush=True)
        if F is not None and xeq == "True":
            print(f"   {'':38s} alpha {f.alpha:.15g} (powerlaw {F[1]:.15g}), xmin {f.xmin:.6g}")
        if n > 20_000 and t_pl is None and powerlaw is not None:
            print(f"   {'':38s} powerlaw.Fit did not finish within {PL_LIMIT_S:.0f} s in a child process: skipped")
        if n > 20_000 and t_full is None:
            print(f"   {'':38s} the full scan did not finish within {FULL_LIMIT_S:.0f} s: skipped")
    print(f"   ({_load()})")


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 eigenvalues only; skip section 2")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    powerlaw_section(rng, args.quick)
    if args.quick:
        return
    W = rng.standard_normal((2000, 1000))
    t_eig, _ = best(lambda: esd(W), repeat=3)
    t_svd, _ = best(lambda: esd(W, method="svd"), repeat=1)
    t_full, d = best(lambda: diagnose(W, bootstrap=200, rng=0), repeat=3)
    print(f"2000x1000 eigenvalues: gram+eigvalsh {t_eig:.3f} s, LAPACK SVD {t_svd:.3f} s")
    print(f"2000x1000 full diagnostic (gram, MP fit, scan, 200 bootstrap): {t_full:.3f} s "
          f"(target < 3 s; alpha {d.alpha:.2f}, flag {d.flag})")
    t_full_svd, _ = best(lambda: diagnose(W, bootstrap=200, rng=0, method="svd"), repeat=1)
    print(f"2000x1000 full diagnostic with method='svd': {t_full_svd:.3f} s")


if __name__ == "__main__":
    main()
