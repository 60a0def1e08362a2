"""x"""

from __future__ import annotations



def stability_report(hessians, lr: float, batch: int, *, sampling: str = "bernoulli", seed: int = 0,
                     runs: int = 64, steps: int = 400) -> dict:
    """The record printed by ``rmtcheck stability`` (plain dict, JSON-able)."""
    from rmtcheck.stability import thresholds as th
    from rmtcheck.stability.coherence import coherence
    from rmtcheck.stability.operator import sgd_recursion
    from rmtcheck.stability.montecarlo import simulate
    from rmtcheck.stability.families import as_family
    from rmtcheck._lib.validation import check_batch, check_positive

    fam = as_family(hessians, "FILE")
    lr = check_positive(lr, "--lr")
    batch = check_batch(batch, fam.n, "--batch")
    sig, lam = coherence(fam), fam.lambda_max
    rec = sgd_recursion(fam, batch, sampling=sampling)
    rho = rec.growth(lr)
    eta_star = rec.critical_lr()
    if batch < fam.n:
        r = float(th.theorem1_ratio(lr, lam, sig, fam.n, batch))
        t1 = bool(r >= 1)
    else:
        r, t1 = 0.0, False
    path = simulate(sgd_recursion(fam, batch, sampling=sampling, restrict_to_range=False), lr, steps=steps,
                    runs=runs, rng=seed)
    return {
        "n": fam.n, "d": fam.d, "rank_one": fam.is_rank_one, "sampling": sampling, "lr": lr, "batch": batch,
        "coherence": sig, "lambda_max": lam,
        "ms_growth": rho, "ms_stable": bool(rho < 1), "critical_lr": eta_star,
        "range_dim": rec.range_dim,
        "null_space_note": (f"H is singular: growth and critical_lr are computed on range(H) (dim "
                            f"{rec.range_dim} of {fam.d}); the null space never moves (factor 1)")
        if rec.restricted else None,
        "theorem1_ratio": r, "theorem1_diverges": t1,
        "theorem1_applies": sampling == "bernoulli" and batch < fam.n,
        "lyapunov": path.lyapunov, "lyapunov_stderr": path.lyapunov_stderr,
        "notions": {"ms_growth": "mean-square (exact operator)", "critical_lr": "mean-square (exact operator)",
                    "theorem1_diverges": "mean-square (Dexter et al. 2024, Thm 1; proved for bernoulli)",
                    "lyapunov": f"almost-sure (Monte Carlo, {runs} runs x {steps} steps, seed {seed})"},
    }


def analyse(retain, forget, lr: float, batch: int, *, alpha: float, sampling: str = "independent_bernoulli",
            with_pairs: bool = True, steps: int = 400, runs: int = 128, seed: int = 0) -> dict:
    """The record printed by the command (also usable from Python)."""
    from rmtcheck.stability.unlearning import escape_verdicts, mixed_critical_lr, resist_interval
    from rmtcheck.stability.families import as_family
    from rmtcheck.stability.three_axis import mixed_coherence

    R, F = as_family(retain, "retain"), as_family(forget, "forget")
    mc = mixed_coherence(R, F, alpha=alpha, with_pairs=with_pairs)
    v = escape_verdicts(R, F, lr, batch, alpha=alpha, sampling=sampling, rng=seed, steps=steps, runs=runs)
    ms, a_s = v["mean-square"], v["almost-sure"]
    if float(F.top_eigenvalues.max()) <= 0:
        iv, crit_alpha = None, float("inf")
    else:
        iv = resist_interval(R, F, lr, batch, sampling=sampling)
        crit_alpha = 0.0 if iv is None else iv[1]
    return {
        "sampling": sampling, "lr": lr, "batch": batch, "alpha": alpha,
        "sigma_retain": mc.sigma_retain, "sigma_forget": mc.sigma_forget, "sigma_cross": mc.sigma_cross,
        "alignment": mc.alignment, "sigma_mix": mc.sigma_mix, "sigma_mix_convention": "sqrt(|Tr(D_ij D_kl)|)",
        "mixed_lambda_min": mc.mixed_lambda_min, "mixed_lambda_max": mc.mixed_lambda_max,
        "ms_growth": ms.value, "escapes": ms.escapes, "escapes_notion": "mean-square",
        "critical_alpha": crit_alpha, "resist_interval": None if iv is None else list(iv),
        "critical_lr": mixed_critical_lr(R, F, batch, alpha=alpha, sampling=sampling),
        "lyapunov": a_s.value, "lyapunov_stderr": a_s.detail.get("lyapunov_stderr", 0.0),
        "lyapunov_method": a_s.method, "escapes_almost_sure": a_s.escapes,
    }
