"""Gauss–Newton Gram matrix of a PyTorch MLP: ``rmtcheck.curvature.torch_curvature`` against the naive Jacobian.

Model: an MLP 128-256-256-1 (ReLU), d = 99,073 parameters, float64, on n = 1000 samples with one logit
(loss ``"bce"``); torch on 2 threads (set here and restored). Target (issue: curvature unit): the Gram
matrix :math:`K = F^\\top F` (n x n) in under 30 s on 2 cores.

Baseline, what a competent user writes first: ``torch.func.jacrev`` of the model on all n samples at once
(an n x d Jacobian; jacrev back-propagates one cotangent per output through the whole batch), then
:math:`K = S J J^\\top S` with :math:`S = \\operatorname{diag}(\\sqrt{p(1-p)})`. It runs only where its memory
estimate (:math:`2 n^2 \\sum \\text{widths} \\cdot 8` bytes of vmapped activations plus the Jacobian) fits in
the available memory; otherwise the largest n that fits is compared. Each measurement runs in a fresh
process, so the peak resident memory (``ru_maxrss``) is that of one method alone; the two ``K`` agree to
the printed difference.

Run: ``python benchmarks/bench_curvature.py [--n 1000] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

WIDTHS = (128, 256, 256, 1)


def build(n: int):
    import torch

    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(WIDTHS) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    X = torch.randn(n, WIDTHS[0])
    y = (torch.rand(n) < 0.5).long()
    return net, X, y


def worker(method: str, n: int, threads: int, out: str, max_memory: int | None) -> None:
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        net, X, y = build(n)
        d = sum(p.numel() for p in net.parameters())
        t0 = time.perf_counter()
        if method == "rmtcheck":
            from rmtcheck.curvature import DEFAULT_MAX_MEMORY, torch_curvature
            from rmtcheck.curvature._torch import _plan

            budget = max_memory or DEFAULT_MAX_MEMORY
            K = torch_curvature(net, X, y, loss="bce", form="gram", max_memory=budget).gram
            plan = _plan(n, 1, d, 8, "gram", None, budget)._asdict()
        else:
            from torch.func import functional_call, jacrev

            params = {k: v.detach().double() for k, v in net.named_parameters()}
            net = net.double().eval()
            Xd = X.double()
            f = lambda p: functional_call(net, p, (Xd,)).reshape(-1)
            jac = jacrev(f)(params)
            J = torch.cat([v.reshape(n, -1) for v in jac.values()], dim=1)
            with torch.no_grad():
                p = torch.sigmoid(f(params))
            s = torch.sqrt(p * (1 - p))
            K = ((s[:, None] * J) @ (s[:, None] * J).T).numpy()
            plan = {}
        seconds = time.perf_counter() - t0
    finally:
        torch.set_num_threads(old)
    np.save(out, K)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # kB -> GiB (Linux)
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "d": d, "plan": plan}))


def available_bytes() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 2 ** 30


def naive_bytes(n: int, d: int) -> int:
    return 2 * n * n * sum(WIDTHS[1:]) * 8 + 2 * n * d * 8


def run(method: str, n: int, threads: int, max_memory: int | None = None):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "K.npy")
        cmd = [sys.executable, __file__, "--worker", method, "--n", str(n), "--threads", str(threads), "--out", out]
        if max_memory:
            cmd += ["--max-memory", str(max_memory)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        info = json.loads(res.stdout.strip().splitlines()[-1])
        return info, np.load(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--worker", choices=["rmtcheck", "naive"])
    ap.add_argument("--out")
    ap.add_argument("--max-memory", type=int)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.n, args.threads, args.out, args.max_memory)
        return
    import torch

    print(f"# {platform.python_implementation()} {platform.python_version()}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs, torch threads {args.threads}, load average {os.getloadavg()[0]:.2f}")
    n = args.n
    mine, K = run("rmtcheck", n, args.threads)
    d, plan = mine["d"], mine["plan"]
    print(f"MLP {'-'.join(map(str, WIDTHS))}: n = {n}, d = {d}, k = 1 (bce), float64")
    print(f"torch_curvature (1 GiB budget)   {mine['seconds']:7.2f} s   peak RSS {mine['peak_gib']:5.2f} GiB   "
          f"chunk {plan['chunk']}, panel {plan['panel']}, Jacobian passes {plan['passes']}   "
          f"target < 30 s: {'met' if mine['seconds'] < 30 else 'MISSED'}")
    tight, K2 = run("rmtcheck", n, args.threads, max_memory=2 ** 28)
    p2 = tight["plan"]
    print(f"torch_curvature (256 MiB budget) {tight['seconds']:7.2f} s   peak RSS {tight['peak_gib']:5.2f} GiB   "
          f"chunk {p2['chunk']}, panel {p2['panel']}, Jacobian passes {p2['passes']}   "
          f"max |dK| vs 1 GiB {np.abs(K2 - K).max():.1e}")
    n_naive = n
    while n_naive > 10 and naive_bytes(n_naive, d) > 0.8 * available_bytes():
        n_naive //= 2
    if n_naive != n:
        print(f"naive jacrev: estimated {naive_bytes(n, d) / 2 ** 30:.1f} GiB at n = {n} exceeds the available "
              f"memory; comparing at n = {n_naive}")
        mine, K = run("rmtcheck", n_naive, args.threads)
    naive, Kn = run("naive", n_naive, args.threads)
    print(f"naive jacrev + J J^T (n = {n_naive})   {naive['seconds']:7.2f} s   peak RSS {naive['peak_gib']:5.2f} GiB   "
          f"-> torch_curvature is {naive['seconds'] / mine['seconds']:.1f}x faster, "
          f"{naive['peak_gib'] / mine['peak_gib']:.1f}x less memory; max |dK| {np.abs(Kn - K).max():.1e}")


if __name__ == "__main__":
    main()
