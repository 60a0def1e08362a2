"""Benchmark of the ascent package: the closed forms and the (eps, alpha) window against what a user writes.

Baselines: (1) the three Lambert-W closed forms written directly with ``scipy.special.lambertw`` called on the
arrays (what a competent user writes; the per-tuple Python loop and a per-tuple ``brentq`` are printed for
scale only); (2) a per-point loop of the package's own correlated-case solver for the (eps, alpha) window
(the solver is vectorised over the grid in ``alpha_epsilon_window``). Prints times, ratios and conditions.
"""

import os
import time

import numpy as np
from _timing import best as timed
from scipy.optimize import brentq
from scipy.special import lambertw

from rmtcheck.studies import ascent as A
from rmtcheck.studies.ascent.experiments import alpha_epsilon_window


def main():
    g = np.random.default_rng(0)
    n = 5000
    R = g.integers(20, 5000, n).astype(float)
    F = np.maximum(1.0, np.floor(R * g.uniform(0.01, 1.0, n)))
    Rj = np.maximum(1.0, np.floor(R * g.uniform(0.001, 1.0, n)))
    lam = 10 ** g.uniform(-6, 1, n)
    lo, hi = A.lemma3_range(R, F)
    alpha = lo + g.uniform(0, 1, n) * (hi - lo)
    A.block_solution(R[:2], F[:2], Rj[:2], alpha[:2], lam[:2])  # warm the lambdified proof functions

    t_vec, s = timed(lambda: A.block_solution(R, F, Rj, alpha, lam))

    def arrays():  # the closed forms with lambertw applied to whole arrays
        cD = (1 + alpha) * Rj / (R + F)
        cDA = (1 - alpha * R / F) * Rj / R
        z = cDA / lam
        wDA = np.full(n, -np.inf)
        ok = z >= -np.exp(-1)
        wDA[ok] = lambertw(z[ok]).real
        return lambertw(cD / lam).real, lambertw(Rj / R / lam).real, wDA

    t_arr, (wD, wR, _) = timed(arrays)
    assert np.allclose(wR, s.w_retrain)
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"block closed forms, {n} tuples: rmtcheck {t_vec * 1e3:.2f} ms, lambertw on the arrays "
          f"{t_arr * 1e3:.2f} ms -> ratio x{t_arr / t_vec:.2f} (the package adds validation and the regime "
          "branches; parity is the goal)")

    def loop():
        out = np.empty((n, 3))
        for i in range(n):
            cD = (1 + alpha[i]) * Rj[i] / (R[i] + F[i])
            cR = Rj[i] / R[i]
            out[i, 0] = lambertw(cD / lam[i]).real
            out[i, 1] = lambertw(cR / lam[i]).real
            cDA = (1 - alpha[i] * R[i] / F[i]) * Rj[i] / R[i]
            out[i, 2] = lambertw(cDA / lam[i]).real if cDA / lam[i] >= -np.exp(-1) else -np.inf
        return out

    t_loop, ref = timed(loop, 1)
    assert np.allclose(ref[:, 1], s.w_retrain)
    print(f"  for scale only (nobody's baseline): a per-tuple Python loop of the same ufunc {t_loop * 1e3:.1f} ms")

    # brentq baseline (no Lambert W): solve w e^w = c/lam per tuple
    def brent():
        return np.array([brentq(lambda w, z=Rj[i] / R[i] / lam[i]: w * np.exp(w) - z, -1, 40) for i in range(n)])

    t_brent, wb = timed(brent, 1)
    assert np.allclose(wb, s.w_retrain, atol=1e-8)
    print(f"  for scale only: the oracle by a per-tuple brentq root {t_brent * 1e3:.1f} ms")

    t_win, d = timed(lambda: alpha_epsilon_window(), 1)
    print(f"alpha-epsilon window ({d['status'].size} grid points, vectorised GD + Newton): {t_win:.2f} s")
    # per-point baseline on a subset, extrapolated
    sub = 40
    E, Al = np.meshgrid(d["eps"], d["alpha"], indexing="ij")
    t0 = time.perf_counter()
    for e, a in zip(E.ravel()[:sub], Al.ravel()[:sub]):
        A.correlated_case(900, 100, 90, a, 0.01, e, gd_steps=2000)
    t_pt = (time.perf_counter() - t0) / sub * E.size
    print(f"per-point loop (extrapolated from {sub} points): {t_pt:.1f} s, speed-up x{t_pt / t_win:.0f}")


if __name__ == "__main__":
    main()
