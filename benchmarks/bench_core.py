"""Benchmarks of issue 2, printed as ratios measured in one run (not a timed test).

    python benchmarks/bench_core.py [--skip-verify]

1. matrix-free rho(T) against the dense d^2 x d^2 Kronecker operator (d = 40, n = 200);
2. rank-one family n = 5000, d = 200: rho(T), eta*, and GFLOP/s of one T application as a fraction of
   this machine's measured dgemm rate;
3. Monte Carlo: runs x steps x d per second, vectorised against a plain per-run Python loop;
4. `rmtcheck verify` on its defaults (wall time).
"""

import subprocess
import sys
import time

import numpy as np

from rmtcheck.randmat.families import gaussian_factors
from rmtcheck.stability.montecarlo import simulate
from rmtcheck.stability.operator import dense_growth, sgd_recursion


def best(fn, repeat=3):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter(); out = fn(); ts.append(time.perf_counter() - t)
    return min(ts), out


def main():
    # 1. matrix-free vs dense at d = 40
    fam = gaussian_factors(200, 40, 0)
    rec = sgd_recursion(fam, 10, sampling="bernoulli")
    lr = 0.5 / fam.lambda_max
    t_mf, rho_mf = best(lambda: (setattr(rec, "_v0", None), rec.growth(lr))[1])
    t_de, rho_de = best(lambda: dense_growth(rec.dense_matrix(lr)), repeat=1)
    print(f"[1] d=40, n=200: matrix-free rho {t_mf*1e3:.1f} ms, dense Kronecker {t_de*1e3:.1f} ms "
          f"-> speed-up {t_de / t_mf:.1f}x (target >= 20x); |diff| = {abs(rho_mf - rho_de):.2e}")

    # 2. rank-one n = 5000, d = 200
    fam = gaussian_factors(5000, 200, 1)
    rec = sgd_recursion(fam, 32, sampling="bernoulli")
    lr = 1.0 / fam.lambda_max
    t_rho, _ = best(lambda: (setattr(rec, "_v0", None), rec.growth(lr))[1], repeat=2)
    t0 = time.perf_counter(); eta = rec.critical_lr(); t_eta = time.perf_counter() - t0
    M = np.random.default_rng(0).standard_normal((200, 200)); M = M + M.T
    t_app, _ = best(lambda: rec.apply(M, lr), repeat=5)
    n, d = 5000, 200
    flops = 4 * n * d * d + 2 * n * d + 4 * d**3
    A = np.random.default_rng(1).standard_normal((2000, 2000))
    t_mm, _ = best(lambda: A @ A, repeat=3)
    gemm = 2 * 2000**3 / t_mm
    print(f"[2] n=5000, d=200 rank one: rho {t_rho:.2f} s (target < 2 s), eta* = {eta:.6g} in {t_eta:.2f} s "
          f"(target < 15 s); one T application {t_app*1e3:.1f} ms = {flops / t_app / 1e9:.1f} GFLOP/s, "
          f"dgemm {gemm / 1e9:.1f} GFLOP/s -> fraction {flops / t_app / gemm:.2f} (aim >= 0.3)")

    # 3. Monte Carlo vectorised vs per-run loop
    fam = gaussian_factors(200, 50, 2)
    rec = sgd_recursion(fam, 10, sampling="without_replacement", restrict_to_range=False)
    lr = 0.5 / fam.lambda_max
    steps = 200
    rates = {}
    for runs in (256, 2048):
        t_vec, _ = best(lambda: simulate(rec, lr, steps=steps, runs=runs, rng=0), repeat=2)
        rates[runs] = runs * steps * 50 / t_vec
    G = fam.factors

    def loop(runs_loop=16):
        rng = np.random.default_rng(0)
        for _ in range(runs_loop):
            x = rng.standard_normal(50)
            for _ in range(steps):
                idx = rng.choice(200, 10, replace=False)
                x = x - lr * (G[idx].T @ (G[idx] @ x)) / 10
                x /= np.linalg.norm(x)
        return runs_loop

    t_loop, r_loop = best(loop, repeat=1)
    rate_loop = r_loop * steps * 50 / t_loop
    for runs, rate in rates.items():
        print(f"[3] Monte Carlo (n=200, d=50, B=10, without replacement, {runs} runs): vectorised {rate:.3g} "
              f"run-steps x d / s, per-run loop {rate_loop:.3g} -> speed-up {rate / rate_loop:.1f}x (target >= 20x)")

    if "--skip-verify" not in sys.argv:
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, "-m", "rmtcheck", "verify"], capture_output=True).returncode
        print(f"[4] rmtcheck verify (defaults): {time.perf_counter() - t0:.1f} s, exit {rc} (target < 60 s)")


if __name__ == "__main__":
    main()
