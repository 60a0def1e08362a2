"""Gram-space curvature (``rmtcheck.stability.gram``): exact rho(T), eta* and sigma_mix from K = F^T F alone.

Printed, not asserted: wall time, target, ratio to the target, and the ratio against what a competent user
would do otherwise — the parameter-space operator on the same instance where it fits in memory. Every
step size is placed at the critical one: eta* is computed first (its time is reported) and rho(T) is
timed at 0.5, 1 and 2 eta*.

1. SGD, n = 2000 rank-one samples at d = 10^3 (nk >= d): parameter space, Gram space, and the automatic
   choice of ``curvature_family`` (target: rho(T) < 5 s).
2. SGD, n = 2000 at d = 10^6, K given: K is the Gram matrix of a Gaussian design F (n x d, entries
   N(0, 1/d)), drawn through its exact law (Bartlett: K = A A^T / d, A lower triangular with chi
   diagonals), O(n^3) and 32 MB instead of the 8 n^2 d flops and 16 GB of F; ``--chunked`` forms F F^T
   literally, d in chunks of 25,000 columns (400 MB at a time). The parameter-space operator would act on
   d x d = 10^12 entries (8 TB) and does not fit. The mean spectrum is clustered (within about 10 %), so the
   separable-kernel solver answers: its sample-side Gram matrices are built by the first call on a family and
   reused; rho(T) is timed both on the family eta* ran on and on fresh families (first call).
3. Descent–ascent, n_r = n_f = 1000 from one joint K (target: rho(T) < 5 s). The forget samples are random
   combinations of retain samples (inside their span; the joint K is rank-deficient, rank 1000), so eta*
   is finite; with independent forget directions at d = 10^6 unlearning escapes at every eta (eta* = 0).
4. sigma_mix at N = 90,000 pairs (n_r = n_f = 300) from K (target < 10 s); the naive route (all N pairs,
   the N x N trace matrix) needs 65 GB for S alone; the baseline is the parameter-space families at d = 10^3.

Run: ``python benchmarks/bench_gram.py [--threads 2] [--quick] [--sections 1234] [--chunked]
[--sampling bernoulli]`` (each section draws its own instance from its own seed).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from rmtcheck.stability import (
    HessianFamily,
    critical_lr,
    mixed_critical_lr,
    mixed_growth,
    ms_growth,
    pair_coherence,
)
from rmtcheck.stability.gram import curvature_family, gram_family, gram_pair


def _t(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return time.perf_counter() - t, out


def conditions(threads: int) -> None:
    import scipy

    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('num_threads')} threads" for i in threadpool_info()
                if i.get("user_api") == "blas"]
    except ImportError:
        blas = ["threadpoolctl not installed"]
    try:
        import numba

        nb = f"numba {numba.__version__} ({numba.get_num_threads()} threads)"
    except ImportError:
        nb = "numba not installed (sigma_mix uses the NumPy kernel)"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"# {platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}; {os.cpu_count()} CPUs ({cores} usable), limited to {threads}")
    print(f"# BLAS: {', '.join(blas) or 'none found'}; {nb}")
    print(f"# load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def wishart_gram(rng, n: int, d: int) -> np.ndarray:
    """The Gram matrix F F^T of F (n x d, iid N(0, 1/d)), d >= n, drawn from its exact law (Bartlett)."""
    A = np.tril(rng.standard_normal((n, n)), -1)
    A[np.diag_indices(n)] = np.sqrt(rng.chisquare(d - np.arange(n)))
    return (A @ A.T) / d


def chunked_gram(rng, n: int, d: int, chunk: int = 25_000) -> np.ndarray:
    """F F^T formed literally, F drawn chunk by chunk (n x chunk at a time, never whole)."""
    K = np.zeros((n, n))
    for start in range(0, d, chunk):
        Fc = rng.standard_normal((n, min(chunk, d - start)))
        K += Fc @ Fc.T
    return K / d


def _bytes(b: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if b >= size:
            return f"{b / size:.3g} {unit}"
    return f"{b / 1e3:.3g} kB"


def row(label, t, target=None, base=None):
    s = f"  {label:58s} {t:8.2f} s"
    if target is not None:
        s += f"   target {target:4.1f} s, ratio {t / target:5.2f}"
    if base is not None:
        s += f"   parameter space / this: {base / t:6.1f}x"
    print(s)


def sgd_block(fam, B, sampling, label, target=None, base=None):
    """eta* and rho(T) at 0.5, 1, 2 eta*; returns (times, values)."""
    t_c, eta = _t(critical_lr, fam, B, sampling=sampling)
    out = {"eta": (t_c, eta)}
    row(f"{label}: eta* = {eta:.10g}", t_c, None, None if base is None else base["eta"][0])
    for u in (0.5, 1.0, 2.0):
        t, rho = _t(ms_growth, fam, u * eta, B, sampling=sampling)
        out[u] = (t, rho)
        row(f"{label}: rho(T) at {u:.1f} eta* = {rho:.12f}", t, target, None if base is None else base[u][0])
    return out


def mixed_block(r, f, B, alpha, sampling, label, target=None, base=None):
    t_c, eta = _t(mixed_critical_lr, r, f, B, alpha=alpha, sampling=sampling)
    out = {"eta": (t_c, eta)}
    row(f"{label}: eta* = {eta:.10g}", t_c, None, None if base is None else base["eta"][0])
    if not (np.isfinite(eta) and eta > 0):
        print("  (eta* is 0 or inf: no step size near it to time)")
        return out
    for u in (0.5, 1.0, 2.0):
        t, rho = _t(mixed_growth, r, f, u * eta, B, alpha=alpha, sampling=sampling)
        out[u] = (t, rho)
        row(f"{label}: rho(T) at {u:.1f} eta* = {rho:.12f}", t, target, None if base is None else base[u][0])
    return out


def main(threads: int = 2, quick: bool = False, chunked: bool = False, sampling: str = "bernoulli",
         sections: str = "1234") -> None:
    conditions(threads)
    (n, d_small, d_big), B = ((400, 200, 10**5) if quick else (2000, 1000, 10**6)), 32
    n_mix = n // 2
    n_pair = 60 if quick else 300

    if "1" in sections:
        sgd_small(np.random.default_rng(1), n, d_small, B, sampling)
    if "2" in sections:
        sgd_big(np.random.default_rng(2), n, d_big, B, sampling, chunked)
    if "3" in sections:
        mixed(np.random.default_rng(3), n_mix, d_small, d_big, B)
    if "4" in sections:
        sigma_mix(np.random.default_rng(4), n_pair, d_small, d_big)


def sgd_small(rng, n, d_small, B, sampling):
    print(f"\n== 1. SGD ({sampling}, B = {B}), n = {n} rank-one samples at d = {d_small} ==")
    F = rng.standard_normal((n, d_small)) / np.sqrt(d_small)
    param = HessianFamily.from_factors(F)
    base = sgd_block(param, B, sampling, "parameter space (d x d)")
    t_K, K = _t(lambda: F @ F.T)
    t_g, gram = _t(gram_family, K)
    row(f"Gram space: K = F F^T ({n} x {n})", t_K)
    row(f"Gram space: gram_family(K), rank {gram.d}", t_g)
    g = sgd_block(gram, B, sampling, "Gram space", 5.0, base)
    t_a, auto = _t(curvature_family, F)
    row(f"curvature_family(F): auto chose {'Gram' if auto.d < d_small or not auto.is_rank_one else 'parameter'} "
        f"space (nk = {n} {'<' if n < d_small else '>='} d)", t_a)
    agree = max(abs(g[u][1] - base[u][1]) / base[u][1] for u in (0.5, 1.0, 2.0))
    print(f"  agreement: eta* rel. diff {abs(g['eta'][1] - base['eta'][1]) / base['eta'][1]:.1e}, "
          f"rho rel. diff {agree:.1e}")



def sgd_big(rng, n, d_big, B, sampling, chunked):
    print(f"\n== 2. SGD ({sampling}, B = {B}), n = {n} rank-one samples at d = {d_big:.0e}, K given ==")
    t_w, K = _t(wishart_gram, rng, n, d_big)
    row(f"K = F F^T by its exact law (Bartlett), {n} x {n}", t_w)
    if chunked:
        t_c, _ = _t(chunked_gram, np.random.default_rng(1), n, d_big)
        row(f"K = F F^T formed literally, d in chunks of 25,000 ({2 * n * n * d_big / 1e12:.0f} Tflop)", t_c)
    t_g, gram = _t(gram_family, K)
    row(f"gram_family(K), rank {gram.d}", t_g)
    out = sgd_block(gram, B, sampling, "Gram space", 5.0)
    # the first rho(T) on a family builds the explicit sample-side Gram matrices that later calls reuse (when
    # its mean spectrum is clustered, as here; eta* above built them): time first calls on fresh families too
    for u in (0.5, 1.0, 2.0):
        t_cold, rho_cold = _t(ms_growth, gram_family(K), u * out["eta"][1], B, sampling=sampling)
        row(f"Gram space, first call on a fresh family: rho at {u:.1f} eta* = {rho_cold:.12f}", t_cold, 5.0)
    print(f"  parameter space: the operator acts on d x d = {d_big**2:.0e} entries ({_bytes(8 * d_big**2)}), "
          f"the factors alone take {_bytes(8 * n * d_big)}: does not fit")



def mixed(rng, n_mix, d_small, d_big, B):
    print(f"\n== 3. descent–ascent (independent_bernoulli, B = {B}, alpha = 0.1), n_r = n_f = {n_mix} ==")
    W = rng.standard_normal((n_mix, n_mix)) / np.sqrt(n_mix)  # forget_j = sum_i W_ji retain_i
    Fr = rng.standard_normal((n_mix, d_small)) / np.sqrt(d_small)
    Ff = W @ Fr
    pr, pf = HessianFamily.from_factors(Fr), HessianFamily.from_factors(Ff)
    base = mixed_block(pr, pf, B, 0.1, "independent_bernoulli", f"d = {d_small}, parameter space")
    J = np.concatenate([Fr, Ff])
    t_g, (gr, gf) = _t(lambda: gram_pair(J @ J.T, n_mix))
    row(f"d = {d_small}, Gram space: gram_pair(K), rank {gr.d}", t_g)
    mixed_block(gr, gf, B, 0.1, "independent_bernoulli", f"d = {d_small}, Gram space", 5.0, base)
    Krr = wishart_gram(rng, n_mix, d_big)  # retain Gram at d = 10^6; forget = W retain
    Kj = np.block([[Krr, Krr @ W.T], [W @ Krr, W @ Krr @ W.T]])
    t_g, (gr, gf) = _t(gram_pair, Kj, n_mix)
    row(f"d = {d_big:.0e}, Gram space: gram_pair(K), rank {gr.d} of {2 * n_mix}", t_g)
    mixed_block(gr, gf, B, 0.1, "independent_bernoulli", f"d = {d_big:.0e}, Gram space", 5.0)



def sigma_mix(rng, n_pair, d_small, d_big):
    N = n_pair * n_pair
    print(f"\n== 4. sigma_mix (alpha = 0.1), n_r = n_f = {n_pair}: N = {N:,} pairs ==")
    Fr = rng.standard_normal((n_pair, d_small)) / np.sqrt(d_small)
    Ff = rng.standard_normal((n_pair, d_small)) / np.sqrt(d_small)
    t_p, pc_p = _t(pair_coherence, Fr, Ff, alpha=0.1)
    row(f"d = {d_small}, parameter space: sigma_mix = {pc_p.sigma_mix:.8g} [{pc_p.method}, {pc_p.matvecs} products]",
        t_p)
    J = np.concatenate([Fr, Ff])
    t_g, pc_g = _t(lambda: pair_coherence(*gram_pair(J @ J.T, n_pair), alpha=0.1))
    row(f"d = {d_small}, Gram space (K, gram_pair, pair_coherence): sigma_mix = {pc_g.sigma_mix:.8g}", t_g, 10.0, t_p)
    t_g, pc_g = _t(lambda: pair_coherence(*gram_pair(wishart_gram(rng, 2 * n_pair, d_big), n_pair), alpha=0.1))
    row(f"d = {d_big:.0e}, Gram space from K: sigma_mix = {pc_g.sigma_mix:.8g} [{pc_g.method}, "
        f"{pc_g.matvecs} products]", t_g, 10.0)
    print(f"  naive route (all N pairs, N x N traces): {_bytes(8 * N * N)} for S alone: does not fit")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2, help="BLAS (and numba) threads (default 2)")
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--chunked", action="store_true", help="also form K = F F^T at d = 10^6 literally (slow)")
    ap.add_argument("--sections", default="1234", help="which sections to run, e.g. 14 (default all)")
    ap.add_argument("--sampling", default="bernoulli", choices=("bernoulli", "without_replacement", "with_replacement"))
    args = ap.parse_args()
    try:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.threads):
        main(args.threads, args.quick, args.chunked, args.sampling, args.sections)
