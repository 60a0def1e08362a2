"""Figures of Chang & Khanna (2026), "Why Some Models Resist Unlearning": escape (unlearning succeeds)
vs resistance heatmaps with the exact mean-square (rho(T) = 1) and Lyapunov (exponent = 0) boundaries.
Data come from :mod:`rmtcheck.studies.chang_khanna.experiments`.

* ``unlearning-hessian-test`` (:func:`fig_hessian_test`), ``unlearning-batch-alpha``
  (:func:`fig_batch_alpha`), ``unlearning-alignment`` (:func:`fig_alignment`).

References
----------
.. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
   Perspective", arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, save_figure, style, zero_contour


def _heat(ax, x, y, logrho, title):
    v = np.clip(logrho, -1.0, 1.0)
    im = ax.pcolormesh(x, y, v, cmap="RdBu_r", vmin=-1, vmax=1, shading="nearest", rasterized=True)
    ax.set_title(title, fontsize=8)
    return im


@figure("unlearning-hessian-test")
def fig_hessian_test(out_dir, quick: bool = False, seed: int = 0):
    """Chang & Khanna, unlearning Hessian test: escape vs resistance over (B, sigma) at alpha = 0.1 with exact mean-square and Lyapunov boundaries.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.chang_khanna.experiments.hessian_test_grid : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (c).
    """
    from rmtcheck.studies.chang_khanna.experiments import hessian_test_grid

    d = hessian_test_grid(seed=seed, quick=quick)
    with style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.1), sharey=True)
        for ax, s in zip(axes, ("without_replacement", "independent_bernoulli")):
            lr_ = np.log(d[f"rho_{s}"])
            im = _heat(ax, d["B"], d["sigma"], lr_, s.replace("_", " ") + " (red = escapes)")
            zero_contour(ax, d["B"], d["sigma"], lr_, "k", "-", "mean-square boundary rho = 1")
            zero_contour(ax, d["B"], d["sigma"], d[f"lyapunov_{s}"], "0.35", "--", "Lyapunov boundary (exact)")
            ax.set_xlabel("batch size B")
        mB, mS = np.meshgrid(d["mc_B"], d["mc_sigma"])
        esc = d["mc_escape_fraction"] > 0.5
        axes[0].scatter(mB[esc], mS[esc], s=6, marker="x", color="k", lw=0.6, label="MC: > half of runs escape")
        axes[0].set_ylabel(r"coherence $\sigma$")
        axes[0].legend(fontsize=5.5, loc="upper right")
        fig.colorbar(im, ax=axes, shrink=0.8, label=r"$\log\rho(T)$ (clipped)")
        fig.suptitle(rf"Hessian test for unlearning: retain = forget, $\alpha$ = {d['alpha']}, $\eta$ = {d['lr']}",
                     fontsize=8)
        return save_figure(fig, out_dir, "unlearning-hessian-test", d)


@figure("unlearning-batch-alpha")
def fig_batch_alpha(out_dir, quick: bool = False, seed: int = 0):
    """Chang & Khanna: escape vs resistance over (B, alpha) for fixed retain/forget families, with the exact boundaries and the critical alpha.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.chang_khanna.experiments.batch_alpha_grid : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], critical mixing weight.
    """
    from rmtcheck.studies.chang_khanna.experiments import batch_alpha_grid

    d = batch_alpha_grid(seed=seed, quick=quick)
    with style() as plt:
        fig, ax = plt.subplots(figsize=(4.2, 3.2))
        lr_ = np.log(d["rho"])
        im = _heat(ax, d["B"], d["alpha"], lr_, f"independent bernoulli, eta = {d['lr']}: log rho(T)")
        zero_contour(ax, d["B"], d["alpha"], lr_, "k", "-", "mean-square boundary rho = 1")
        zero_contour(ax, d["B"], d["alpha"], d["lyapunov"], "0.35", "--", "Lyapunov boundary (exact)")
        mB, mA = np.meshgrid(d["mc_B"], d["mc_alpha"])
        esc = d["mc_escape_fraction"] > 0.5
        ax.scatter(mB[esc], mA[esc], s=6, marker="x", color="k", lw=0.6, label="MC: > half of runs escape")
        ax.set_xlabel("batch size B")
        ax.set_ylabel(r"mixing weight $\alpha$")
        ax.legend(fontsize=5.5, loc="lower right")
        fig.colorbar(im, ax=ax, label=r"$\log\rho(T)$ (clipped)")
        fig.tight_layout()
        data = {k: v for k, v in d.items() if not isinstance(v, str)}
        return save_figure(fig, out_dir, "unlearning-batch-alpha", data)


#: A tightness-construction instance on which rho(T) falls by 31 % along the rotation while staying above 1
#: (found by a random search; outside the overshoot regime: eta (1 - alpha) lambda_r = 0.81).
NON_MONOTONE = dict(n_r=48, sigma_r=8, lam_r=1.55, n_f=10, sigma_f=3, lam_f=1.68, alpha=0.41, batch=1, lr=0.89)


def _rotation_growth(thetas, n_r, sigma_r, lam_r, n_f, sigma_f, lam_f, alpha, batch, lr, sampling):
    from rmtcheck.stability.unlearning import mixed_recursion
    from rmtcheck.studies.chang_khanna.constructions import rotated_forget, tightness_construction

    R, F = tightness_construction(n_r, sigma_r, lam_r, n_f, sigma_f, lam_f)
    return np.array([mixed_recursion(R, rotated_forget(F, t), batch, alpha=alpha, sampling=sampling).growth(lr)
                     for t in thetas])


@figure("unlearning-alignment")
def fig_alignment(out_dir, quick: bool = False, seed: int = 0):
    """Chang & Khanna claim (a): the escape verdict as the forget curvature rotates from aligned to orthogonal, and a counterexample to the monotonicity of the growth factor.

    Left: the instance of :func:`~rmtcheck.studies.chang_khanna.experiments.alignment_curve` — the exact
    growth factor (both batch models), the Monte Carlo Lyapunov exponent and escape fraction; the verdict
    turns from resist to escape as the angle grows, never back (claim (a), at the verdict level). Right: the
    instance :data:`NON_MONOTONE`, whose exact growth factor falls along the rotation while staying above 1:
    the derived prediction that :math:`\\rho(T)` itself is monotone fails, the verdict (escape) does not change.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.chang_khanna.experiments.alignment_curve : the data of the left panel.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026], headline claim (a).
    """
    from rmtcheck.studies.chang_khanna.experiments import alignment_curve

    d = alignment_curve(seed=seed, quick=quick)
    d = dict(d)
    for samp in ("independent_bernoulli", "without_replacement"):
        d[f"nonmonotone_rho_{samp}"] = _rotation_growth(d["theta"], sampling=samp, **NON_MONOTONE)
    d["nonmonotone_params"] = np.array([NON_MONOTONE[k] for k in NON_MONOTONE], dtype=float)
    with style() as plt:
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(6.5, 3.9))  # printed at 6.5 in: labels at 7 pt or more
        deg = np.degrees(d["theta"])
        ax.plot(deg, np.log(d["rho_independent_bernoulli"]), "-", label=r"$\log\rho(T)$, independent bernoulli")
        ax.plot(deg, np.log(d["rho_without_replacement"]), "--", label=r"$\log\rho(T)$, without replacement")
        ax.errorbar(deg, d["lyapunov"], yerr=3 * d["lyapunov_stderr"], fmt="o", ms=2.5, lw=0.8,
                    label="Lyapunov exponent (Monte Carlo, 3 s.e.)")
        ax.axhline(0, color="0.5", lw=0.6)
        z = np.log(d["rho_independent_bernoulli"])
        for n_line, i in enumerate(np.flatnonzero(np.diff(np.sign(z)) != 0)):
            ax.axvline(deg[i] + (deg[i + 1] - deg[i]) * (-z[i]) / (z[i + 1] - z[i]), color="k", ls=":", lw=0.8,
                       label="mean-square verdict changes" if n_line == 0 else None)
        z = d["lyapunov"]
        for n_line, i in enumerate(np.flatnonzero(np.diff(np.sign(z)) != 0)):
            ax.axvline(deg[i] + (deg[i + 1] - deg[i]) * (-z[i]) / (z[i + 1] - z[i]), color="C2", ls=":", lw=0.8,
                       label="almost-sure verdict changes" if n_line == 0 else None)
        ax2 = ax.twinx()
        ax2.step(deg, d["escape_fraction"], where="mid", color="0.6", lw=0.8)
        ax2.set_ylabel("Monte Carlo escape fraction (grey)", color="0.4")
        ax2.set_ylim(-0.02, 1.02)
        ax.set_xlabel(r"rotation $\theta$ of the forget family (deg)")
        ax.set_ylabel(r"$\log\rho(T)$, Lyapunov exp. (> 0: escape)")
        ax.set_title("(a) the verdict turns from resist to escape, never back", fontsize=7.5)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
        for samp, ls in (("independent_bernoulli", "-"), ("without_replacement", "--")):
            bx.plot(deg, d[f"nonmonotone_rho_{samp}"], ls, label=rf"$\rho(T)$, {samp.replace('_', ' ')}")
        bx.axhline(1, color="0.5", lw=0.6)
        bx.set_xlabel(r"rotation $\theta$ of the forget family (deg)")
        bx.set_ylabel(r"growth factor $\rho(T)$ (> 1: escape)")
        p = NON_MONOTONE
        bx.set_title(rf"(b) $\rho(T)$ falls yet stays > 1 ($\eta(1-\alpha)\lambda_r$ = "
                     rf"{p['lr'] * (1 - p['alpha']) * p['lam_r']:.2f})", fontsize=7.5)
        bx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
        fig.text(0.5, 0.005, "0 deg = forget curvature aligned with the retain curvature; 90 deg = orthogonal",
                 ha="center", fontsize=7)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        return save_figure(fig, out_dir, "unlearning-alignment", d)
