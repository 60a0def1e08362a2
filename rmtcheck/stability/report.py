"""The records printed by ``rmtcheck stability`` and ``rmtcheck unlearn-stability``.

Two functions assemble everything the package knows about one instance into one plain, JSON-able
dict (convert NumPy scalars with :func:`rmtcheck._lib.jsonable.jsonable`), each value labelled with
its notion of stability, mean-square (exact operator) or almost-sure (Monte Carlo Lyapunov exponent),
never mixed:

:func:`stability_report`
    linearised SGD on one family of per-sample Hessians: coherence, :math:`\\lambda_{\\max}(H)`, the
    exact mean-square growth factor and critical learning rate, the ratio of [1]_, Theorem 1, and a
    Monte Carlo Lyapunov exponent (``rmtcheck stability FILE.npy``);
:func:`analyse`
    descent–ascent unlearning of [2]_ from retain and forget Hessians: the three coherence axes and
    :math:`\\sigma_{mix}`, the spectrum of the signed mixed Hessian, the escape verdicts under both
    notions, the resisting interval of mixing weights, the critical :math:`\\alpha` and :math:`\\eta`
    (``rmtcheck unlearn-stability RETAIN.npy FORGET.npy``).

Both are usable from Python; the command-line front ends (:mod:`rmtcheck.cli.stability`,
:mod:`rmtcheck.cli.unlearn_stability`) only load the arrays and format the record.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Theorem 1.
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

from rmtcheck._lib.validation import check_batch, check_positive
from rmtcheck.stability import thresholds as th
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.families import as_family
from rmtcheck.stability.montecarlo import simulate
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.stability.three_axis import mixed_coherence
from rmtcheck.stability.unlearning import escape_verdicts, mixed_critical_lr, resist_interval


def stability_report(hessians, lr: float, batch: int, *, sampling: str = "bernoulli", seed: int = 0,
                     runs: int = 64, steps: int = 400) -> dict:
    """The stability record of linearised SGD printed by ``rmtcheck stability`` (plain dict, JSON-able).

    Parameters
    ----------
    hessians : HessianFamily or array_like
        Per-sample Hessians at the minimum: ``(n, d)`` rank-one factors or an ``(n, d, d)`` PSD stack
        (the ``FILE`` of the command).
    lr : float
        Step size :math:`\\eta > 0` (``--lr``).
    batch : int
        (Mean) batch size ``B`` in ``[1, n]`` (``--batch``).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
        Batch model, keyword-only.
    seed : int, default 0
        Seed of the Monte Carlo Lyapunov estimate.
    runs, steps : int, default 64 and 400
        Size of the Monte Carlo.

    Returns
    -------
    dict
        ``n``, ``d``, ``rank_one``, ``sampling``, ``lr``, ``batch``; ``coherence`` (:math:`\\sigma`),
        ``lambda_max`` (:math:`\\lambda_{\\max}(H)`); ``ms_growth`` (:math:`\\rho(T)`), ``ms_stable``,
        ``critical_lr`` (:math:`\\eta^*`), ``range_dim`` and ``null_space_note`` (``None`` unless
        :math:`H` is singular); ``theorem1_ratio`` (:math:`r`, 0.0 at full batch),
        ``theorem1_diverges`` (:math:`r \\ge 1`), ``theorem1_applies`` (bernoulli and ``B < n``, the
        regime where Theorem 1 is proved); ``lyapunov``, ``lyapunov_stderr`` (Monte Carlo); ``notions``
        (the notion and method of each verdict).

    Raises
    ------
    ValueError
        If ``hessians`` is not a valid family (reported as ``FILE``), ``lr`` is not > 0 (``--lr``),
        ``batch`` is not in ``[1, n]`` (``--batch``), ``sampling`` is unknown, or ``runs``/``steps``
        are invalid.

    See Also
    --------
    rmtcheck.stability.operator.sgd_recursion, rmtcheck.stability.coherence.coherence,
    rmtcheck.stability.thresholds.theorem1_ratio, rmtcheck.stability.montecarlo.simulate

    Notes
    -----
    For ``B < n`` the first call lambdifies Theorem 1's ratio from ``proofs/dexter_theorem1.py``
    (SymPy, about 2 s once per process).

    References
    ----------
    .. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Definition 1 and Theorem 1.

    Examples
    --------
    Full batch (gradient descent; Theorem 1 does not apply, so no SymPy is needed):

    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> rep = stability_report(G, 0.5, 20, runs=8, steps=50)
    >>> rep["ms_stable"], round(rep["ms_growth"], 4), f"{rep['critical_lr']:.4f}"
    (True, 0.7637, '1.0474')
    >>> round(rep["coherence"], 4), rep["theorem1_applies"], rep["lyapunov"] < 0
    (3.8847, False, True)
    >>> G[:, 4] = 0.0                      # a singular mean Hessian: computed on its range
    >>> stability_report(G, 0.5, 20, runs=8, steps=50)["range_dim"]
    4
    """

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
    """The unlearning record printed by ``rmtcheck unlearn-stability`` (plain dict, JSON-able).

    Does descent–ascent unlearning escape the pre-trained minimum (unlearning succeeds) or does the
    model resist?

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        Per-sample Hessians of the retain and forget sets at the pre-trained minimum: ``(n, d)``
        rank-one factors or ``(n, d, d)`` PSD stacks.
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` (range as in :func:`~rmtcheck.stability.unlearning.mixed_recursion`).
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
        Batch model, keyword-only.
    with_pairs : bool, default True
        Compute the pair coherence :math:`\\sigma_{mix}` (``--no-pairs`` turns it off).
    steps, runs : int, default 400 and 128
        Size of the Monte Carlo of the almost-sure verdict (when not exact).
    seed : int, default 0
        Seed of the Monte Carlo.

    Returns
    -------
    dict
        ``sampling``, ``lr``, ``batch``, ``alpha``; ``sigma_retain``, ``sigma_forget``,
        ``sigma_cross``, ``alignment``, ``sigma_mix`` (``None`` without pairs) and
        ``sigma_mix_convention``; ``mixed_lambda_min``, ``mixed_lambda_max`` (spectrum of
        :math:`\\bar D`); ``ms_growth`` (:math:`\\rho(T)`), ``escapes`` (mean-square, see
        ``escapes_notion``); ``critical_alpha``, ``resist_interval`` (``[alpha_-, alpha_+]`` or
        ``None``), ``critical_lr``; ``lyapunov``, ``lyapunov_stderr``, ``lyapunov_method`` and
        ``escapes_almost_sure`` (``True``, ``False`` or ``None`` when undecided).

    Raises
    ------
    ValueError
        For invalid families, ``lr``, ``batch``, ``alpha``, ``sampling``, ``steps`` or ``runs``, or
        when a family or every pair is all zero (coherence undefined).

    See Also
    --------
    rmtcheck.stability.three_axis.mixed_coherence, rmtcheck.stability.unlearning.escape_verdicts,
    rmtcheck.stability.unlearning.resist_interval, rmtcheck.stability.unlearning.mixed_critical_lr

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> out = analyse(R, F, 0.3, 4, alpha=0.2, steps=100, runs=32)
    >>> out["escapes"], out["escapes_almost_sure"], round(out["ms_growth"], 6)
    (False, False, 0.993893)
    >>> [round(a, 6) for a in out["resist_interval"]], round(out["critical_lr"], 6)
    ([0.0, 0.206029], 0.4981)
    """

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
