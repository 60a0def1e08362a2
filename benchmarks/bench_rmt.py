"""Benchmark: sampling and computing the coherence of 1000 pure-noise instances, n = 100, d = 1000.

Target (issue, performance bullet 1): under 10 s. Three implementations, same random stream
(one ``Generator``, ``standard_normal`` blocks in order), same numbers:

1. ``rmtcheck.coherence_laws.coherence_distribution("isotropic", ...)`` — chunked draws (about 64 MB),
   one BLAS ``syrk`` per instance for the Gram matrix, batched certified power iteration
   (Collatz–Wielandt bracket) for :math:`\\lambda_{\\max}(|G|)`, batched reductions for the summaries.
2. **Baseline: naive per-instance loop** — draw ``(n, d)``, call :func:`rmtcheck.coherence` (validation,
   ``|G G^T|``, dense ``eigvalsh``), one instance at a time; also timed with BLAS limited to one
   thread (``threadpoolctl``), which is what (1) does for its small per-instance ``syrk`` calls.
3. For scale only, not a baseline anyone would pick: a per *pair* Python loop :math:`S_{ik} = |g_i \\cdot g_k|`,
   then ``eigvalsh``, timed on a few instances and extrapolated linearly (marked "extrapolated").

The headline ratio is against (2), the per-instance call a competent user writes.

The script prints the time of each and the ratios, and checks that (1) and (2) give the same
coherences. Run: ``python benchmarks/bench_rmt.py [instances n d]``. Wall-clock times on a shared
machine are noisy; the best of ``--repeat`` runs is reported.
"""

import argparse

import numpy as np
from _timing import best

from rmtcheck.randmat.coherence_distribution import coherence_distribution
from rmtcheck.stability.coherence import coherence


def naive_loop(instances, n, d, seed):
    g = np.random.default_rng(seed)
    return np.array([coherence(g.standard_normal((n, d))) for _ in range(instances)])


def textbook_loop(instances, n, d, seed):
    g = np.random.default_rng(seed)
    out = []
    for _ in range(instances):
        X = g.standard_normal((n, d))
        S = np.empty((n, n))
        for i in range(n):
            for k in range(n):
                S[i, k] = abs(float(X[i] @ X[k]))
        out.append(np.linalg.eigvalsh(S)[-1] / max(float(x @ x) for x in X))
    return np.array(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="?", type=int, default=1000)
    ap.add_argument("n", nargs="?", type=int, default=100)
    ap.add_argument("d", nargs="?", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    m, n, d = a.instances, a.n, a.d
    t_vec, cd = best(lambda: coherence_distribution("isotropic", m, n, d, np.random.default_rng(a.seed)), a.repeat)
    t_loop, ref = best(lambda: naive_loop(m, n, d, a.seed), a.repeat)
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            t_loop1, _ = best(lambda: naive_loop(m, n, d, a.seed), a.repeat)
    except ImportError:
        t_loop1 = float("nan")
    k = max(1, min(m, 5))
    t_text, ref_text = best(lambda: textbook_loop(k, n, d, a.seed), 1)
    t_text_full = t_text * m / k
    err = float(np.max(np.abs(cd.sigma - ref) / ref))
    err_t = float(np.max(np.abs(cd.sigma[:k] - ref_text) / ref_text))
    import os

    print(f"coherence of {m} instances, n = {n}, d = {d} (sampling included; best of {a.repeat}; load average "
          f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs)")
    print(f"  rmtcheck coherence_distribution : {t_vec:8.2f} s   ({'under' if t_vec < 10 else 'OVER'} the 10 s target)")
    print(f"  naive per-instance loop         : {t_loop:8.2f} s   ratio naive/vectorised = {t_loop / t_vec:.2f}x")
    print(f"  naive loop, BLAS on 1 thread    : {t_loop1:8.2f} s   ratio = {t_loop1 / t_vec:.2f}x")
    print(f"  per-pair loop (for scale only)  : {t_text_full:8.2f} s   (extrapolated from {k} instances) "
          f"ratio = {t_text_full / t_vec:.1f}x")
    print(f"  max relative difference of sigma: {err:.2e} (loop), {err_t:.2e} (textbook)")
    print(f"  mean sigma {cd.sigma.mean():.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
