"""The simulated runs of the tangent forecast, at several step sizes at once (private; behind
:func:`rmtcheck.stability.preflight.tangent_forecast` and :func:`~rmtcheck.stability.preflight.tangent_forecast_curve`).

The runs at step sizes :math:`\\eta_1, \\dots, \\eta_L` share their batches (common random numbers: each step
draws the retain and forget batches once, in the order a single-step-size forecast draws them), so they are
simulated together: the batch rows :math:`\\Phi_S` are gathered once per step and applied to all ``L x runs``
iterates, the statistics are taken per step size. Each step size's result equals that of a forecast at that
step size alone (the same arithmetic per run, up to the summation order of the products). The step sizes
are taken in chunks of at most :data:`CHUNK` entries of ``runs x outputs`` per chunk (each chunk replays the
same batches from a copy of the generator), so memory stays that of a few single-step-size forecasts.
"""

from __future__ import annotations

import copy

import numpy as np

from rmtcheck.stability._loss_terms import _value_grad

__all__ = ["BLOWUP", "draw_batches", "set_losses", "simulate"]

BLOWUP = 1e12  # a simulated run whose linearised outputs exceed this in absolute value has diverged
CHUNK = 1 << 22  # step sizes x runs x outputs (n m) simulated at once, at most (unless one step size needs more)


def draw_batches(g: np.random.Generator, runs: int, N: int, B: int, sampling: str) -> tuple[np.ndarray, np.ndarray]:
    """Batch indices ``(runs, b)`` into a set of ``N`` samples and their weights (``1/B`` per member, 0 padding)."""
    if sampling == "without_replacement":
        idx = np.argpartition(g.random((runs, N)), B - 1, axis=1)[:, :B] if B < N else np.tile(np.arange(N), (runs, 1))
        return idx, np.full(idx.shape, 1.0 / B)
    member = g.random((runs, N)) < B / N  # independent Bernoulli(B/N) membership
    width = max(int(member.sum(axis=1).max()), 1)
    idx = np.argsort(~member, axis=1, kind="stable")[:, :width]
    return idx, np.take_along_axis(member, idx, axis=1) / B


def set_losses(Phi, f, y, loss, delta) -> np.ndarray:
    """Mean loss of one set for every run: ``(runs,)``, the outputs ``f + Phi delta``."""
    n, m, p = Phi.shape
    Z = f[None] + (delta @ Phi.reshape(n * m, p).T).reshape(-1, n, m)
    yy = np.broadcast_to(y, (Z.shape[0],) + y.shape).reshape((-1,) + y.shape[1:])
    return _value_grad(Z.reshape(-1, m), yy, loss)[0].reshape(-1, n).mean(axis=1)


def simulate(Phi, f, y, loss, n_r: int, recipe, lrs, runs: int, g: np.random.Generator, rec: list) -> list[dict]:
    """Run the recipe ``runs`` times at every step size of ``lrs`` on the linearised model (validated inputs).

    Returns one dict per step size with, per recorded step of ``rec``, the loss statistics of each set and
    ``distance_rms``, and the per-run rises at the last step (``last``) and the losses at the start (``L0``).
    ``g`` ends in the state one pass leaves it in, whatever the number of chunks.
    """
    lrs = np.asarray(lrs, dtype=float)
    size = max(1, CHUNK // max(1, runs * Phi.shape[0] * Phi.shape[1]))
    out, start = [], copy.deepcopy(g.bit_generator.state)
    for i in range(0, lrs.size, size):
        g.bit_generator.state = start
        out += _simulate(Phi, f, y, loss, n_r, recipe, lrs[i:i + size], runs, g, rec)
    return out


def _simulate(Phi, f, y, loss, n_r, recipe, lrs, runs, g, rec) -> list[dict]:
    L, R, K, a, B = lrs.size, runs, recipe.steps, recipe.alpha, recipe.batch
    sets = [(-a, Phi[n_r:], f[n_r:], y[n_r:]), (1.0 - a, Phi[:n_r], f[:n_r], y[:n_r])]
    p = Phi.shape[2]
    delta, alive = np.zeros((R, L, p)), np.ones((R, L), dtype=bool)  # run-major
    halves = (("forget", slice(n_r, None)), ("retain", slice(None, n_r)))
    L0 = {name: float(set_losses(Phi[sl], f[sl], y[sl], loss, np.zeros((1, p)))[0]) for name, sl in halves}
    names = ("forget_loss_mean", "forget_loss_sd", "forget_loss_median", "retain_loss_mean", "retain_loss_sd",
             "retain_loss_median", "distance_rms")
    outs = [{key: [] for key in names} for _ in range(L)]
    last = [{} for _ in range(L)]

    def record_now():
        losses = {}
        for name, sl in halves:
            Lr = np.full((R, L), np.inf)
            if alive.any():
                Lr[alive] = set_losses(Phi[sl], f[sl], y[sl], loss, delta[alive])
            losses[name] = Lr.T
        sq = (delta ** 2).sum(axis=2).T
        for j, out in enumerate(outs):
            for name, _ in halves:
                Lr = losses[name][j]
                bad = ~np.isfinite(Lr)
                out[f"{name}_loss_mean"].append(float(np.inf if bad.any() else Lr.mean()))
                out[f"{name}_loss_sd"].append(float(np.inf if bad.any() else Lr.std(ddof=1) if R > 1 else 0.0))
                out[f"{name}_loss_median"].append(float(np.median(Lr)))
                last[j][name] = Lr - L0[name]
            out["distance_rms"].append(float(np.sqrt(np.mean(np.where(alive[:, j], sq[j], np.inf)))))

    if 0 in rec:
        record_now()
    for k in range(1, K + 1):
        step = np.zeros((R, L, p))
        for c, P, fs, ys in sets:
            if not c:
                continue
            idx, w = draw_batches(g, R, P.shape[0], B, recipe.sampling)
            b, m = idx.shape[1], P.shape[1]
            Pb = P[idx].reshape(R, b * m, p)
            # per run, the L iterates at once: (L, p) @ (p, b m), a GEMM per run
            Z = (fs[idx].reshape(R, 1, b * m) + delta @ Pb.transpose(0, 2, 1)).reshape(R, L, b, m)
            ok = np.all(np.abs(Z) < BLOWUP, axis=(2, 3))
            alive &= ok
            Z[~ok] = 0.0
            yb = np.broadcast_to(ys[idx][:, None], (R, L) + ys[idx].shape[1:])
            _, G = _value_grad(Z.reshape(R * L * b, m), yb.reshape((R * L * b,) + ys.shape[1:]), loss)
            G = G.reshape(R, L, b * m) * np.repeat(w, m, axis=1)[:, None]
            step += c * (G @ Pb)
        delta -= lrs[None, :, None] * np.where(alive[..., None], step, 0.0)
        if k in rec:
            record_now()
    return [dict(out, last=lt, L0=L0) for out, lt in zip(outs, last)]
