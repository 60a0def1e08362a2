"""``rmtcheck unlearn-stability``: does descent–ascent unlearning escape the pre-trained minimum?

Reads per-sample Hessians of the retain and forget sets (``.npy``: ``(n, d)`` rank-one factors or
``(n, d, d)`` stacks) and reports the three coherence axes, the signed mixed Hessian, the exact
mean-square growth factor (escape = unlearning succeeds when > 1), the critical mixing weight and
step size, and the Lyapunov exponent (almost-sure notion).
"""

from __future__ import annotations

import json

from ..dynamics.mixed import MIXED_SAMPLINGS


def add_parser(subparsers):
    p = subparsers.add_parser(
        "unlearn-stability", help="escape vs resistance of descent-ascent unlearning (Chang & Khanna 2026)",
        description=__doc__.split("\n\n")[1])
    p.add_argument("retain", help="RETAIN.npy: (n_r, d) rank-one factors or (n_r, d, d) Hessians")
    p.add_argument("forget", help="FORGET.npy: (n_f, d) rank-one factors or (n_f, d, d) Hessians")
    p.add_argument("--lr", type=float, required=True, help="step size eta > 0")
    p.add_argument("--batch", type=int, required=True, help="batch size B")
    p.add_argument("--alpha", type=float, required=True, help="mixing (forget) weight in [0, 1]")
    p.add_argument("--sampling", choices=MIXED_SAMPLINGS, default="independent_bernoulli",
                   help="batch model (default independent_bernoulli)")
    p.add_argument("--no-pairs", action="store_true", help="skip sigma_mix (O(N^2) per product for N distinct pairs)")
    p.add_argument("--steps", type=int, default=400, help="Monte Carlo steps for the Lyapunov exponent (400)")
    p.add_argument("--runs", type=int, default=128, help="Monte Carlo runs for the Lyapunov exponent (128)")
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo (0)")
    p.add_argument("--json", action="store_true", help="print one JSON record")
    p.set_defaults(func=run)
    return p


def _load(path, name):
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{name}: cannot read {path!r} as a .npy array ({exc})") from exc


def analyse(retain, forget, lr, batch, alpha, sampling, with_pairs=True, steps=400, runs=128, seed=0) -> dict:
    """The record printed by the command (also usable from Python)."""
    from ..dynamics.mixed import escape_verdicts, mixed_critical_lr, resist_interval
    from ..hessians import as_family
    from ..mixed_coherence import mixed_coherence

    R, F = as_family(retain, "retain"), as_family(forget, "forget")
    mc = mixed_coherence(R, F, alpha, with_pairs=with_pairs)
    v = escape_verdicts(R, F, lr, batch, alpha, sampling, rng=seed, steps=steps, runs=runs)
    ms, a_s = v["mean-square"], v["almost-sure"]
    if float(F.top_eigenvalues.max()) <= 0:
        iv, crit_alpha = None, float("inf")
    else:
        iv = resist_interval(R, F, lr, batch, sampling)
        crit_alpha = 0.0 if iv is None else iv[1]
    return {
        "sampling": sampling, "lr": lr, "batch": batch, "alpha": alpha,
        "sigma_retain": mc.sigma_retain, "sigma_forget": mc.sigma_forget, "sigma_cross": mc.sigma_cross,
        "alignment": mc.alignment, "sigma_mix": mc.sigma_mix, "sigma_mix_convention": "sqrt(|Tr(D_ij D_kl)|)",
        "mixed_lambda_min": mc.mixed_lambda_min, "mixed_lambda_max": mc.mixed_lambda_max,
        "ms_growth": ms.value, "escapes": ms.escapes, "escapes_notion": "mean-square",
        "critical_alpha": crit_alpha, "resist_interval": None if iv is None else list(iv),
        "critical_lr": mixed_critical_lr(R, F, batch, alpha, sampling),
        "lyapunov": a_s.value, "lyapunov_stderr": a_s.detail.get("lyapunov_stderr", 0.0),
        "lyapunov_method": a_s.method, "escapes_almost_sure": a_s.escapes,
    }


def run(args) -> int:
    from ..verify import jsonable

    rec = analyse(_load(args.retain, "retain"), _load(args.forget, "forget"), args.lr, args.batch, args.alpha,
                  args.sampling, not args.no_pairs, args.steps, args.runs, args.seed)
    if args.json:
        print(json.dumps(jsonable(rec), indent=2))
        return 0
    verdict = "ESCAPES (unlearning succeeds)" if rec["escapes"] else "RESISTS (converges)"
    as_v = {True: "escapes", False: "resists", None: "undecided"}[rec["escapes_almost_sure"]]
    lines = [
        f"sampling            {rec['sampling']}   (eta={args.lr}, B={args.batch}, alpha={args.alpha})",
        f"coherence           sigma_r={rec['sigma_retain']:.4g}  sigma_f={rec['sigma_forget']:.4g}  "
        f"sigma_rf={rec['sigma_cross']:.4g}  alignment={rec['alignment']:.4g}",
        f"pair coherence      sigma_mix={rec['sigma_mix'] if rec['sigma_mix'] is None else format(rec['sigma_mix'], '.4g')}"
        "  (|Tr| convention)",
        f"mixed Hessian       lambda in [{rec['mixed_lambda_min']:.4g}, {rec['mixed_lambda_max']:.4g}]",
        f"mean-square         rho(T)={rec['ms_growth']:.6g}  -> {verdict}",
        f"almost-sure         Lyapunov={rec['lyapunov']:.4g} ({rec['lyapunov_method']})  -> {as_v}",
        f"boundary            critical alpha={rec['critical_alpha']:.6g}   critical eta={rec['critical_lr']:.6g}",
    ]
    print("\n".join(lines))
    return 0
