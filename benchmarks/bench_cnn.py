"""Benchmark of the ReLU CNN (rmtcheck.models.cnn) and the CNN unlearning heatmap.

Prints, in one run:
* per-sample gradients: vectorised (one batched GEMM) vs the per-sample Python loop, and the ratio;
* one training epoch (mini-batch GD): vectorised batch gradient vs a per-sample-loop gradient, ratio;
* wall time of the default ``cnn-escape-heatmaps`` grid (``--grid quick|default|large``), serial, and
  with ``--workers N`` on a ProcessPoolExecutor through ``map_cells``.

Usage: python benchmarks/bench_cnn.py [--grid default] [--workers 2] [--skip-grid]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import best

from rmtcheck.randmat.designs import signal_noise_patches
from rmtcheck.studies.cnn import model as cnn
from rmtcheck.studies.cnn import training


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", default="default", choices=["quick", "default", "large"])
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--skip-grid", action="store_true")
    a = ap.parse_args()

    for n, d, m in ((40, 200, 8), (200, 200, 8), (1000, 100, 10)):
        data = signal_noise_patches(n, d, 0.1, flip=0.1, rng=0)
        model = cnn.PatchCNN(d, m)
        W = cnn.init_weights(model, 1, scale=0.1)
        tv = best(lambda: cnn.per_sample_grads(model, W, data.X, data.y), repeat=5)[0]
        tl = best(lambda: cnn.per_sample_grads_loop(model, W, data.X, data.y), repeat=3)[0]
        np.testing.assert_allclose(cnn.per_sample_grads(model, W, data.X, data.y),
                                   cnn.per_sample_grads_loop(model, W, data.X, data.y), rtol=1e-12, atol=1e-14)
        print(f"per-sample grads n={n} d={d} m={m}: vectorised {tv*1e3:8.3f} ms  loop {tl*1e3:8.3f} ms  "
              f"ratio {tl/tv:6.1f}x")
        lr, B = 0.01, 10
        te = best(lambda: training._train_epoch_vec(model, W, data.X, data.y, lr, B), repeat=3)[0]
        tle = best(lambda: training.train_epoch_loop(model, W, data.X, data.y, lr, B), repeat=2)[0]
        np.testing.assert_allclose(training._train_epoch_vec(model, W, data.X, data.y, lr, B),
                                   training.train_epoch_loop(model, W, data.X, data.y, lr, B), rtol=1e-10, atol=1e-12)
        print(f"training epoch (B={B}) n={n}: vectorised {te*1e3:8.3f} ms  loop {tle*1e3:8.3f} ms  ratio {tle/te:6.1f}x")
        tf = best(lambda: cnn.loss_and_grad(model, W, data.X, data.y), repeat=5)[0]
        print(f"full-batch gradient n={n}: {tf*1e3:.3f} ms")

    if a.skip_grid:
        return
    from rmtcheck.studies.cnn.experiments import cnn_unlearning_grid
    t = time.perf_counter()
    g = cnn_unlearning_grid(preset=a.grid, seed=0)
    wall = time.perf_counter() - t
    print(f"heatmap grid '{a.grid}' ({len(g['records'])} cells), serial: {wall:.1f} s")
    print("  agreement asymptotic per SNR", dict(zip(g["snr"].tolist(), np.round(g["agreement_asymptotic"], 3).tolist())))
    print("  agreement horizon    per SNR", dict(zip(g["snr"].tolist(), np.round(g["agreement_horizon"], 3).tolist())))
    if a.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        def pmap(fn, cells, seeds):
            with ProcessPoolExecutor(a.workers) as ex:
                return list(ex.map(fn, cells, seeds, chunksize=max(1, len(cells) // (4 * a.workers))))

        t = time.perf_counter()
        g2 = cnn_unlearning_grid(preset=a.grid, seed=0, map_cells=pmap)
        print(f"heatmap grid '{a.grid}', {a.workers} processes: {time.perf_counter() - t:.1f} s; "
              f"identical records: {g2['records'] == g['records']}")


if __name__ == "__main__":
    main()
