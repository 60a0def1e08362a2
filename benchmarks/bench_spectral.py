"""Benchmark of the spectral diagnostics (ratios measured in one run).

1. CSN power-law fit with x_min scan on 2000 eigenvalues: rmtcheck (vectorised scan) versus the
   ``powerlaw`` package (optional; ``pip install powerlaw``), on (a) the ESD of a 4000 x 2000 Student-t(1.5)
   matrix (alpha about 1.75: powerlaw's analytic fast path) and (b) Pareto samples with alpha = 3.5
   (powerlaw >= 2 fits numerically outside (1.5, 3]). Both use the left-ECDF KS convention here so that
   the x_min choices are comparable; alpha agreement is printed where both choose the same x_min.
2. Full diagnostic of a 2000 x 1000 matrix (eigenvalues, MP fit, power law, 200-replicate bootstrap).

Run: ``python benchmarks/bench_spectral.py``. Times are best of ``repeat`` runs (wall clock).
"""

import inspect
import time
import warnings

import numpy as np

from rmtcheck.randmat.powerlaw import fit_powerlaw
from rmtcheck.randmat.spectral import diagnose, esd


def best(fn, repeat=3):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return min(ts), out


def main():
    rng = np.random.default_rng(0)
    samples = {
        "Student-t(1.5) ESD, 4000x2000": esd(rng.standard_t(1.5, (4000, 2000))),
        "Pareto alpha=3.5, n=2000": (1 - rng.random(2000)) ** (-1 / 2.5),
    }
    try:
        import powerlaw
    except ImportError:
        powerlaw = None
        print("powerlaw package not installed: ratio against it skipped (pip install powerlaw)")
    for name, x in samples.items():
        t_ours, f = best(lambda: fit_powerlaw(x, ecdf="left", min_tail=2), repeat=5)
        line = f"{name}: rmtcheck fit {t_ours * 1e3:.1f} ms (alpha {f.alpha:.4f}, xmin {f.xmin:.4g})"
        if powerlaw is not None:
            kw = {"verbose": False}
            if "parameter_ranges" in inspect.signature(powerlaw.Fit.__init__).parameters:
                kw["parameter_ranges"] = {"alpha": [1.0, 20.0]}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_pl, F = best(lambda: powerlaw.Fit(x, **kw), repeat=2)
            same = F.xmin == f.xmin
            line += (f"; powerlaw {t_pl * 1e3:.1f} ms (alpha {F.alpha:.4f}, xmin {F.xmin:.4g}); "
                     f"speed-up {t_pl / t_ours:.1f}x; same xmin: {same}"
                     + (f", |d alpha| = {abs(F.alpha - f.alpha):.2e}" if same else ""))
        print(line)
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
