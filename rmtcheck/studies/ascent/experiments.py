"""Case studies of "Ascent Fails to Forget" (Mavrothalassitis et al., NeurIPS 2025): plain data only.

Every function returns dicts of numbers/arrays (JSON-able through :func:`rmtcheck._lib.jsonable.jsonable`);
the figures in :mod:`rmtcheck.studies.ascent.figures` and the ``rmtcheck ascent`` command draw/print them.

* :func:`block_case`, :func:`block_trajectories` — the block-orthogonal model (Sec. 4.1);
* :func:`correlated_point`, :func:`alpha_epsilon_window` — two correlated coordinates (Sec. 4.2);
* :func:`toy_case`, :func:`toy_landscape` — the non-convex toy (Sec. 5);
* :func:`random_forget_study` — uniform vs structured forget sets and Lemma 1.

References
----------
.. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
   [mavrothalassitis2025].
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.studies import ascent as A

__all__ = ["block_case", "block_trajectories", "correlated_point", "alpha_epsilon_window", "toy_case",
           "toy_landscape", "random_forget_study"]


def _fin(x):
    x = float(x)
    return x if np.isfinite(x) else None


def block_case(n_retain: int = 900, n_forget: int = 100, retain_j: int = 90, alpha: float = 0.05,
               ridge: float = 0.01, n_steps: int = 2000) -> dict:
    """One coordinate of the block-orthogonal model: closed forms, cases, and the DA run from w_D.

    ``w_da`` is the DA (local) minimiser, ``None`` when DA has no stationary point (it runs to
    :math:`-\\infty`); ``da_global_min`` says whether it is a global minimiser.

    Parameters
    ----------
    n_retain, n_forget, retain_j : int, optional
        :math:`|R|, |F|, |R_j|`.
    alpha, ridge : float, optional
        :math:`\\alpha = |F_j|/|R_j|` and :math:`\\lambda`.
    n_steps : int, optional
        Gradient steps of the DA run.

    Returns
    -------
    dict
        JSON-able closed forms, Lemma 3's range, Lemma 4's bound and the DA run's outcome.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemmas 2–5.
    """
    check_positive(ridge, "ridge")
    check_int(n_retain, "retain", 1)
    check_int(n_forget, "forget", 1)
    check_int(retain_j, "retain_j", 1, n_retain)
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be finite and >= 0; got {alpha}")
    s = A.block_solution(n_retain, n_forget, retain_j, alpha, ridge)
    lo, hi = A.lemma3_range(n_retain, n_forget)
    wda = float(s.w_da)
    lr = 0.5 / (ridge * (abs(wda if np.isfinite(wda) else 0.0) + 2) + abs(float(s.c_da)) * np.exp(-float(s.w_pretrain)))
    path, div = A.coordinate_gd(s.c_da, ridge, s.w_pretrain, lr, n_steps, record_every=n_steps)
    return {
        "model": "block", "retain": n_retain, "forget": n_forget, "retain_j": retain_j, "alpha": alpha, "ridge": ridge,
        "c_pretrain": float(s.c_pretrain), "c_retrain": float(s.c_retrain), "c_da": float(s.c_da),
        "w_pretrain": float(s.w_pretrain), "w_retrain": float(s.w_retrain), "w_da": _fin(wda),
        "da_case": str(s.da_case_names), "da_global_min": bool(s.da_case == 0),
        "da_harmful": bool(s.da_harmful), "opposite_sides": bool(s.opposite_sides),
        "lemma3_range": [float(lo), float(hi)], "in_lemma3_range": bool(lo <= alpha <= hi),
        "first_step_gradient": float(s.first_step_gradient), "first_step_away": bool(s.first_step_away),
        "dist_pretrain": float(abs(s.w_pretrain - s.w_retrain)), "dist_da": _fin(abs(wda - s.w_retrain)),
        "lemma4_bound": float(abs(np.log((1 + alpha) * n_retain / (n_retain + n_forget)))),
        "gd_steps": n_steps, "gd_diverged": bool(div), "gd_final": _fin(path[-1]),
    }


def block_trajectories(n_retain: int = 900, n_forget: int = 100, retain_j: int = 90, ridge: float = 0.01,
                       alphas=None, n_steps: int = 3000, record_every: int = 10) -> dict:
    """Simultaneous and alternating DA trajectories from :math:`w_D` for several :math:`\\alpha`, vectorised.

    Distances to the oracle over time are ``inf`` once a run left for :math:`-\\infty`.

    Parameters
    ----------
    n_retain, n_forget, retain_j : int, optional
    ridge : float, optional
    alphas : array_like, optional
        Default: five values around Lemma 3's range.
    n_steps, record_every : int, optional

    Returns
    -------
    dict
        ``steps``, ``path_da``, ``path_alternating``, ``dist_da``, ``dist_alternating``, ``diverged``, ...

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.1.
    """
    lo, hi = A.lemma3_range(n_retain, n_forget)
    alphas = np.asarray([0.3 * lo, 0.5 * (lo + hi), hi, 1.02 * hi, 1.5 * hi] if alphas is None else alphas, float)
    s = A.block_solution(n_retain, n_forget, retain_j, alphas, ridge)
    lr = 0.2 / (ridge * 3 + np.abs(s.c_da) * np.exp(-s.w_pretrain) + s.c_pretrain)
    lr = np.full_like(alphas, lr.min())
    path, div = A.coordinate_gd(s.c_da, ridge, s.w_pretrain, lr, n_steps, record_every)
    a = np.broadcast_to(s.c_retrain, alphas.shape)  # a = |R_j|/|R|
    b = a - s.c_da  # b = |F_j|/|F|
    w = s.w_pretrain.copy()
    alt = [w.copy()]
    for t in range(1, n_steps + 1):
        w = np.maximum(A.alternating_coordinate_step(w, a, b, ridge, lr), -600.0)
        if t % record_every == 0:
            alt.append(w.copy())
    alt = np.array(alt)
    steps = np.arange(path.shape[0]) * record_every
    return {"alphas": alphas, "lemma3_range": np.array([lo, hi]), "steps": steps, "lr": lr,
            "w_pretrain": s.w_pretrain, "w_retrain": s.w_retrain, "w_da": s.w_da, "da_case": s.da_case,
            "path_da": path, "diverged": div, "path_alternating": alt,
            "dist_da": np.abs(path - s.w_retrain), "dist_alternating": np.abs(alt - s.w_retrain)}


def correlated_point(n_retain: int = 900, n_forget: int = 100, retain_ij: int = 90, alpha: float = 0.05,
                     ridge: float = 0.01, eps: float = 0.5) -> dict:
    """The correlated two-coordinate case at one parameter point (margins, DA status, Lemma 9).

    Parameters
    ----------
    n_retain, n_forget, retain_ij : int, optional
    alpha, ridge, eps : float, optional

    Returns
    -------
    dict

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemmas 6 and 9.
    """
    out = A.correlated_case(n_retain, n_forget, retain_ij, alpha, ridge, eps)
    st = int(out["status"])
    return {"model": "correlated", "retain": n_retain, "forget": n_forget, "retain_ij": retain_ij, "alpha": alpha,
            "ridge": ridge, "eps": eps,
            "w_pretrain": out["w_pretrain"], "w_retrain": out["w_retrain"],
            "w_da": out["w_da"] if st == 0 else None, "da_status": A.CORRELATED_STATUS[st],
            "margins_pretrain": [float(out["x_pretrain"]), float(out["y_pretrain"])],
            "margins_retrain": [float(out["x_retrain"]), float(out["y_retrain"])],
            "margins_da": [float(out["x_da"]), float(out["y_da"])] if st == 0 else None,
            "da_below_pretrained": bool(out["below_pretrained"]), "da_harmful": bool(out["da_harmful"]),
            "lemma9_alpha": float(out["lemma9_alpha"]), "lemma9_applies": bool(out["lemma9_applies"])}


def alpha_epsilon_window(n_retain: int = 900, n_forget: int = 100, retain_ij: int = 90, ridge: float = 0.01,
                         n_eps: int = 60, n_alpha: int = 80, alpha_max=None, gd_steps: int = 2000) -> dict:
    """The :math:`(\\varepsilon, \\alpha)` grid of the correlated case (vectorised over the grid).

    DA status, whether DA ends below the pretrained margins / farther from the oracle, and Lemma 9's
    sufficient bound per :math:`\\varepsilon`.

    Parameters
    ----------
    n_retain, n_forget, retain_ij : int, optional
    ridge : float, optional
    n_eps, n_alpha : int, optional
        Grid sizes.
    alpha_max : float, optional
        Default :math:`2|F|/|R|`.
    gd_steps : int, optional

    Returns
    -------
    dict

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 9.
    """
    check_int(n_eps, "n_eps", 2)
    check_int(n_alpha, "n_alpha", 2)
    amax = 2.0 * n_forget / n_retain if alpha_max is None else float(alpha_max)
    eps = np.linspace(0.05, 1.0, n_eps)
    alpha = np.linspace(0.0, amax, n_alpha)
    E, Al = np.meshgrid(eps, alpha, indexing="ij")
    out = A.correlated_case(n_retain, n_forget, retain_ij, Al, ridge, E, gd_steps=gd_steps)
    return {"eps": eps, "alpha": alpha, "status": out["status"], "below_pretrained": out["below_pretrained"],
            "da_harmful": out["da_harmful"], "lemma9_alpha": A.lemma9_alpha(n_retain, n_forget, eps),
            "lemma3_range": np.array(A.lemma3_range(n_retain, n_forget)),
            "params": np.array([n_retain, n_forget, retain_ij, ridge])}


def toy_case(variants: bool = True) -> dict:
    """The toy claim in the default loss form and (optionally) in every variant.

    Parameters
    ----------
    variants : bool, optional

    Returns
    -------
    dict
        ``default`` and ``variants`` (:func:`~rmtcheck.studies.ascent._toy.toy_claim` results).

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    out = {"default": A.toy_claim(**A.TOY_DEFAULT)}
    if variants:
        import itertools

        out["variants"] = [A.toy_claim(*combo) for combo in itertools.product(*A.TOY_VARIANTS.values())]
    return out


def toy_landscape(grid: int = 161, box: float = 6.0, center=(0.0, 0.0), **form) -> dict:
    """Loss surfaces of pretraining, retraining and DA over :math:`(a, b)` and their global minima.

    Parameters
    ----------
    grid : int, optional
        Points per axis.
    box : float, optional
        Half-width of the square window.
    center : tuple of float, optional
        Centre :math:`(a, b)` of the window (default the origin): ``a`` spans ``center[0] +- box`` and ``b``
        spans ``center[1] +- box``.
    **form
        Loss form (:data:`~rmtcheck.studies.ascent._toy.TOY_VARIANTS`).

    Returns
    -------
    dict

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    form = {**A.TOY_DEFAULT, **form}
    check_int(grid, "grid", 2)
    check_positive(box, "box")
    ca, cb = (float(v) for v in center)
    ga, gb = np.linspace(-box, box, grid) + ca, np.linspace(-box, box, grid) + cb
    Aa, Bb = np.meshgrid(ga, gb, indexing="ij")
    th = np.stack([Aa, Bb], -1)
    out = {"a": ga, "b": gb}
    claim = A.toy_claim(**form)
    for kind in ("pretrain", "retrain", "da"):
        out[f"loss_{kind}"] = A.toy_loss(kind, **form).value(th)
        out[f"theta_{kind}"] = claim[f"theta_{kind}"]
    out["theta_finetuned"] = claim["theta_finetuned"]
    return out


def random_forget_study(n_groups: int = 100, per_group: int = 100, forget_fraction: float = 0.1,
                        ridge: float = 0.01, trials: int = 50, rng=None) -> dict:
    """Uniform vs structured forget sets in the block model, and Lemma 1's Hoeffding check.

    Parameters
    ----------
    n_groups, per_group : int, optional
    forget_fraction, ridge : float, optional
    trials : int, optional
    rng : int, Generator or None, optional

    Returns
    -------
    dict
        ``uniform``, ``structured``, the Hoeffding frequencies and bound, and ``hoeffding_splits`` (the number of
        independent splits behind each frequency).

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 1 and Sec. 4.1.
    """
    g = as_generator(rng)
    s1, s2, s3 = np.random.SeedSequence(int(g.integers(2**63))).spawn(3)
    counts = np.full(n_groups, per_group)
    nf = int(forget_fraction * counts.sum())
    uni = A.random_forget_block(counts, nf, ridge, rng=np.random.default_rng(s1), trials=trials)
    st = A.random_forget_block(counts, nf, ridge, rng=np.random.default_rng(s2), structured=True, trials=trials)
    h = A.hoeffding_experiment(rng=np.random.default_rng(s3))
    eps = np.linspace(0.01, 0.3, 30)
    dev = np.abs(h["acc_forget"] - h["acc_population"])
    return {"uniform": uni, "structured": st, "hoeffding_eps": eps,
            "hoeffding_freq": np.array([np.mean(dev > e) for e in eps]), "hoeffding_splits": int(dev.size),
            "hoeffding_bound": A.hoeffding_bound(h["n_forget"], eps)}
