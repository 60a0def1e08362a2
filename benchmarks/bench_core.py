"""Benchmarks of issue 2, printed as ratios measured in one run (not a timed test).

    python benchmarks/bench_core.py [--skip-verify]

1. matrix-free rho(T) against what a competent user writes instead: the dense d^2 x d^2 Kronecker operator
   built with GEMM (sum_i vec(H_i) vec(H_i)^T as one V^T V) and its top eigenvalue by ARPACK (``eigsh``),
   at d = 40 (n = 200) and d = 60 (n = 400), construction included;
2. rank-one family n = 5000, d = 200: rho(T), eta*, and GFLOP/s of one T application as a fraction of
   this machine's measured dgemm rate;
3. exact rho(T) against the package's vectorised Monte Carlo estimator of the same quantity
   (``second_moment_mc``) run to 0.1 % relative precision (runs extrapolated from the spread of 8
   independent pilot estimates: precision ~ 1/sqrt(samples));
4. `rmtcheck verify` on its defaults (wall time).

Conditions (load average, BLAS threads) are printed first.
"""

import os
import subprocess
import sys
import time

import numpy as np
from _timing import best
from scipy.sparse.linalg import eigsh

from rmtcheck.randmat.families import gaussian_factors
from rmtcheck.stability.montecarlo import second_moment_mc
from rmtcheck.stability.operator import sgd_recursion


def dense_gemm_growth(G, lr, model):
    """rho(T) the way a competent user would compute it without this package: T as a dense d^2 x d^2 matrix,
    T = A (x) A + lr^2 (kappa Hbar (x) Hbar + nu V^T V), V's rows vec(g_i g_i^T), built with GEMM; top
    eigenvalue by ARPACK. (The Perron root of this positive map is its largest eigenvalue.)"""
    n, d = G.shape
    Hb = G.T @ G / n
    A = np.eye(d) - lr * Hb
    V = (G[:, :, None] * G[:, None, :]).reshape(n, d * d)
    T = np.kron(A, A) + lr * lr * (model.kappa * np.kron(Hb, Hb) + model.nu * (V.T @ V))
    return float(eigsh(T, k=1, which="LA", tol=1e-12)[0][0])


def conditions():
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i.get('internal_api')} {i.get('num_threads')} threads" for i in threadpool_info()
                         if i.get("user_api") == "blas")
    except ImportError:
        blas = "threadpoolctl not installed"
    load = os.getloadavg()
    print(f"# {os.cpu_count()} CPUs; BLAS: {blas}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main():
    conditions()
    # 1. matrix-free vs the dense GEMM + eigsh operator
    for n, d in ((200, 40), (400, 60)):
        fam = gaussian_factors(n, d, 0)
        rec = sgd_recursion(fam, 10, sampling="bernoulli")
        lr = 0.5 / fam.lambda_max
        # a fresh recursion per call: a recursion caches what it solved
        t_mf, rho_mf = best(lambda: sgd_recursion(fam, 10, sampling="bernoulli").growth(lr))
        model = rec.terms[0].model
        t_de, rho_de = best(lambda: dense_gemm_growth(fam.factors, lr, model), repeat=2)
        ok = "met" if t_de / t_mf >= 20 else "MISSED"
        print(f"[1] d={d}, n={n}: matrix-free rho {t_mf*1e3:.1f} ms, dense Kronecker (GEMM + eigsh, built "
              f"included) {t_de*1e3:.1f} ms -> speed-up {t_de / t_mf:.1f}x (target >= 20x: {ok}); "
              f"|diff| = {abs(rho_mf - rho_de):.2e}")

    # 2. rank-one n = 5000, d = 200
    fam = gaussian_factors(5000, 200, 1)
    rec = sgd_recursion(fam, 32, sampling="bernoulli")
    lr = 1.0 / fam.lambda_max
    t_rho, _ = best(lambda: sgd_recursion(fam, 32, sampling="bernoulli").growth(lr), repeat=2)
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

    # 3. exact rho(T) vs the vectorised Monte Carlo estimator of rho(T) at 0.1 % precision
    fam = gaussian_factors(200, 50, 2)
    rec = sgd_recursion(fam, 10, sampling="without_replacement")
    lr = 0.5 / fam.lambda_max
    t_ex, rho = best(lambda: sgd_recursion(fam, 10, sampling="without_replacement").growth(lr))
    pilot, samples = 8, 64
    seeds = np.random.SeedSequence(3).spawn(pilot)
    t0 = time.perf_counter()
    est = np.array([second_moment_mc(rec, lr, steps=200, samples=samples, rng=s).ms_growth for s in seeds])
    t_pilot = (time.perf_counter() - t0) / pilot
    rel = float(est.std(ddof=1) / rho)
    need = max(samples, samples * (rel / 1e-3) ** 2)  # never fewer samples than the pilot ran
    t_mc = t_pilot * need / samples
    print(f"[3] n=200, d=50, B=10, without replacement: exact rho {t_ex*1e3:.1f} ms; Monte Carlo "
          f"(second_moment_mc, 200 steps) has relative s.d. {rel:.1e} at {samples} samples/step "
          f"(mean {est.mean():.6f} vs exact {rho:.6f}: bias {est.mean() / rho - 1:+.1e}), so 0.1 % needs "
          f"~{need:.0f} samples/step, "
          f"~{t_mc:.2f} s -> exact is {t_mc / t_ex:.0f}x faster")

    if "--skip-verify" not in sys.argv:
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, "-m", "rmtcheck", "verify"], capture_output=True).returncode
        print(f"[4] rmtcheck verify (defaults): {time.perf_counter() - t0:.1f} s, exit {rc} (target < 60 s)")


if __name__ == "__main__":
    main()
