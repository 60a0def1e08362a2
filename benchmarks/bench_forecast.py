"""Benchmark of issue 17 (item 3): the quadratic forecast's moment recursion, CPU seconds, one BLAS thread.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_forecast.py

A problem shaped like the digits rows of ``rmtcheck verify`` (``real_models.agreement.digits``): a
10-class cross-entropy in Gram coordinates, ``d = 243``, 90 retain and 10 forget samples, factor blocks of
``k = 10`` columns of rank 9 (the softmax's :math:`\\operatorname{diag}(p) - pp^\\top` has rank ``k - 1``),
gradients in the factors' range, 20 steps, batch 4 (independent Bernoulli, the verify rows' quadratic model),
a curve of 10 step sizes, for gradient ascent (:math:`\\alpha = 1`) and descent–ascent (:math:`\\alpha = 0.5`).

1. The sandwich :math:`\\sum_i F_iF_i^\\top MF_iF_i^\\top` of the retain family (810 rank rows after the
   per-member rank, 900 before): the TRMM/SYRK route (:mod:`rmtcheck.stability._sandwich`) against the
   two GEMMs it replaced, on a second moment ``M``.
2. The forecast curve (:func:`rmtcheck.stability.preflight.forecast` at 10 step sizes), CPU seconds, and the
   largest relative difference to the two-GEMM formula run through the same recursion.
3. The same curve recording the last step only (``record=[steps]``, what the verify rows read): the spreads
   are computed once per step size instead of at every step; the values at the last step are the same.

The load average is printed first: on a shared machine compare CPU seconds, not wall time.
"""

import os
import time

import numpy as np

from rmtcheck.stability import _forecast_moments as fm
from rmtcheck.stability import families as _families
from rmtcheck.stability._sandwich import sandwich_rows
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.preflight import Recipe, forecast


def two_gemms(R, n, M):
    """The formula the TRMM/SYRK route replaced: two GEMMs of 2 n k d^2 flops each."""
    k, d = R.shape[0] // n, R.shape[1]
    R3 = R.reshape(n, k, d)
    W = (R @ M).reshape(n, k, d) @ R3.transpose(0, 2, 1)
    return R.T @ (W @ R3).reshape(n * k, d)


def problem(seed=0, n_r=90, n_f=10, d=243, k=10):
    rng = np.random.default_rng(seed)
    P = np.eye(k) - 1.0 / k  # rank k - 1, like diag(p) - p p^T
    blocks = rng.standard_normal((n_r + n_f, d, k)) @ P / np.sqrt(d)
    g = 0.05 * np.einsum("idk,ik->id", blocks, rng.standard_normal((n_r + n_f, k)))
    R, F = HessianFamily.from_blocks(blocks[:n_r]), HessianFamily.from_blocks(blocks[n_r:])
    return R, F, g[:n_r], g[n_r:]


def cpu(fn, reps=1, warm=False):
    if warm:
        fn()
    t = time.process_time()
    for _ in range(reps):
        out = fn()
    return (time.process_time() - t) / reps, out


def main():
    print(f"load average {os.getloadavg()[0]:.1f}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    R, F, gr, gf = problem()
    rng = np.random.default_rng(1)
    X = rng.standard_normal((R.d, R.d))
    M = X @ X.T / R.d
    rows = fm.compact(R).rows
    for name, fn in (("trmm+syrk, rank rows", lambda: sandwich_rows(rows, R.n, M)),
                     ("two gemms, all rows", lambda: two_gemms(R.rows, R.n, M))):
        t, _ = cpu(fn, 40, warm=True)
        print(f"1. sandwich, {name:22s} {1e3 * t:7.2f} ms")
    lrs = 0.05 * np.sqrt(2.0) ** np.arange(10)
    for alpha in (1.0, 0.5):
        recipe = Recipe(lr=float(lrs[5]), batch=4, steps=20, alpha=alpha, sampling="independent_bernoulli")
        fm._LAST.clear()
        t_new, new = cpu(lambda: [forecast(R, F, gr, gf, (0.1, 0.1), recipe, lr=float(v)) for v in lrs])
        orig = _families._sandwich_rows
        _families._sandwich_rows = two_gemms
        try:
            fm._LAST.clear()
            t_ref, ref = cpu(lambda: [forecast(R, F, gr, gf, (0.1, 0.1), recipe, lr=float(v)) for v in lrs])
        finally:
            _families._sandwich_rows = orig
            fm._LAST.clear()
        diff = max(float(np.max(np.abs(a[k] - b[k])[1:] / np.abs(b[k])[1:]))  # step 0: the spread is exactly 0
                   for a, b in zip(new, ref) for k in ("forget_loss_mean", "retain_loss_sd") if np.isfinite(b[k]).all())
        print(f"2. forecast curve alpha={alpha:g}: {t_new:.2f} s CPU (two-GEMM sandwich in the same recursion: "
              f"{t_ref:.2f} s); largest relative difference {diff:.1e}")
        t_last, last = cpu(lambda: [forecast(R, F, gr, gf, (0.1, 0.1), recipe, lr=float(v), record=[recipe.steps])
                                    for v in lrs])
        same = all(a[k][-1] == b[k][-1] for a, b in zip(new, last) for k in ("forget_loss_mean", "retain_loss_sd"))
        print(f"3. the same curve, last step recorded only: {t_last:.2f} s CPU ({t_new / t_last:.1f}x less); "
              f"last-step values identical: {same}")


if __name__ == "__main__":
    main()
