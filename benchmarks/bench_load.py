"""The exact maths on a busy machine (issue 17): the package's BLAS thread policy against forced 2 and 1 threads.

    python benchmarks/bench_load.py [--idle] [--no-eta-forced]

A competing CPU-bound process (a child python spinning on 2-thread numpy GEMMs) runs throughout, unless
``--idle``; it is killed at the end, on Ctrl-C too, and exits by itself if this process dies. Timed, each
with the policy (:func:`rmtcheck._lib.threads.policy_threads`), then forced to 2 and to 1 BLAS threads:

* exact rho(T), ``ms_growth``, n = 5000 rank-one members in d = 200, B = 32, lr = 1/lambda_max (target < 2 s);
* eta*, ``critical_lr``, same family (target < 10 s);
* mixed rho(T), ``mixed_growth``, n_r = n_f = 2000 in d = 200, alpha = 0.1, B = 32 (target < 2 s).

Conditions (cores, BLAS threads, load average, what the policy picks) are printed first. Times are the best
of ``REPEAT`` runs (one run for the slow forced-2 eta*). Targets are judged on the policy's times under load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
from _timing import best

from rmtcheck._lib.threads import busy_elsewhere, force_blas_threads, policy_threads
from rmtcheck.stability import HessianFamily, critical_lr, mixed_growth, ms_growth

REPEAT = 2
TARGETS = {"rho": 2.0, "eta": 10.0, "mixed": 2.0}

_SPIN = """
import os, sys, numpy as np
parent = os.getppid()
A = np.random.default_rng(0).standard_normal((400, 400))
while os.getppid() == parent:  # exits by itself when the benchmark dies (re-parented)
    for _ in range(20):
        A = np.tanh(A @ A)
"""


def start_competitor() -> subprocess.Popen:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    return subprocess.Popen([sys.executable, "-c", _SPIN], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.kill()
    proc.wait()


def conditions(label: str) -> None:
    from threadpoolctl import threadpool_info

    blas = ", ".join(f"{i.get('internal_api')} {i.get('num_threads')} threads" for i in threadpool_info()
                     if i.get("user_api") == "blas")
    load = os.getloadavg()
    print(f"# {label}: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable); BLAS: {blas}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; runnable elsewhere now {busy_elsewhere():.0f}; policy picks "
          f"{policy_threads()} thread(s)")


def instances():
    rng = np.random.default_rng(1)
    fam = HessianFamily.from_factors(rng.standard_normal((5000, 200)) / np.sqrt(200))
    W = rng.standard_normal((2000, 2000)) / np.sqrt(2000)
    Fr = rng.standard_normal((2000, 200)) / np.sqrt(200)
    retain, forget = HessianFamily.from_factors(Fr), HessianFamily.from_factors(W @ Fr)
    return fam, 1.0 / fam.lambda_max, retain, forget, 0.5 / retain.lambda_max


def measure(eta_forced2: bool) -> dict:
    fam, lr, retain, forget, lr_mix = instances()
    cases = {
        "rho": lambda: ms_growth(fam, lr, 32, sampling="bernoulli"),
        "eta": lambda: critical_lr(fam, 32, sampling="bernoulli"),
        "mixed": lambda: mixed_growth(retain, forget, lr_mix, 32, alpha=0.1, sampling="independent_bernoulli"),
    }
    out = {}
    for label, forced in (("policy", None), ("forced 2", 2), ("forced 1", 1)):
        with force_blas_threads(forced):
            for name, fn in cases.items():
                if name == "eta" and forced == 2 and not eta_forced2:
                    out[label, name] = (float("nan"), float("nan"))
                    continue
                out[label, name] = best(fn, 1 if (name == "eta" and forced == 2) else REPEAT)
                t, v = out[label, name]
                print(f"  {label:9s} {name:6s} {t:7.2f} s   value {v:.12g}", flush=True)
    return out


def report(out: dict, loaded: bool) -> None:
    names = {"rho": "rho(T), n=5000, d=200", "eta": "eta*,   n=5000, d=200", "mixed": "mixed rho(T), n_r=n_f=2000"}
    print(f"\n{'':30s} {'policy':>8s} {'forced 2':>9s} {'forced 1':>9s}   target   {'met' if loaded else '(idle)'}")
    for key, name in names.items():
        t = [out[lab, key][0] for lab in ("policy", "forced 2", "forced 1")]
        ok = "met" if t[0] < TARGETS[key] else "MISSED"
        print(f"{name:30s} {t[0]:7.2f}s {t[1]:8.2f}s {t[2]:8.2f}s   < {TARGETS[key]:4.1f} s  {ok}")
        vals = [out[lab, key][1] for lab in ("policy", "forced 2", "forced 1")]
        finite = [v for v in vals if np.isfinite(v)]
        print(f"{'':30s} values agree to {max(abs(v - finite[0]) for v in finite) / abs(finite[0]):.1e} (relative)")


def main() -> None:
    idle = "--idle" in sys.argv
    proc = None
    old = signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))  # SIGTERM also runs the finally below
    try:
        if not idle:
            proc = start_competitor()
            time.sleep(2.0)  # let it reach full speed
        conditions("idle (no competitor started)" if idle else "loaded (competitor: 2-thread GEMM loop)")
        out = measure(eta_forced2="--no-eta-forced" not in sys.argv)
        conditions("after")
        report(out, not idle)
    finally:
        stop(proc)
        signal.signal(signal.SIGTERM, old)


if __name__ == "__main__":
    main()
