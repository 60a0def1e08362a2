"""Figures of "Ascent Fails to Forget" (Mavrothalassitis et al., NeurIPS 2025): DA trajectories in the
block model, the (epsilon, alpha) window of the correlated case, the toy's basins, and random vs
structured forget sets. Data come from :mod:`rmtcheck.studies.ascent.experiments`.

References
----------
.. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
   [mavrothalassitis2025].
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, save_figure, style


@figure("ascent-trajectories")
def fig_trajectories(out_dir, quick: bool = False, seed: int = 0):
    """Ascent Fails to Forget, block model: distance to the retrained model along simultaneous and alternating descent-ascent.

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
    rmtcheck.studies.ascent.experiments.block_trajectories : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 4.1.
    """
    from rmtcheck.studies.ascent.experiments import block_trajectories

    d = block_trajectories(n_steps=800 if quick else 3000)
    with style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8), sharey=True)
        for k, a in enumerate(d["alphas"]):
            lab = rf"$\alpha={a:.3g}$"
            dist = np.where(np.isfinite(d["dist_da"][:, k]), d["dist_da"][:, k], np.nan)
            axes[0].plot(d["steps"], dist, label=lab)
            axes[1].plot(d["steps"], d["dist_alternating"][:, k], label=lab)
        axes[0].axhline(0, color="0.6", lw=0.5)
        axes[0].set_title("simultaneous DA")
        axes[1].set_title("alternating DA")
        for ax in axes:
            ax.set_xlabel("step")
            ax.set_yscale("symlog", linthresh=1e-2)
        axes[0].set_ylabel(r"$|w_t - w_R|$ (from $w_D$)")
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        data = {k: d[k] for k in ("alphas", "steps", "dist_da", "dist_alternating", "lemma3_range", "diverged")}
        return save_figure(fig, out_dir, "ascent-trajectories", data)


@figure("ascent-alpha-epsilon-window")
def fig_window(out_dir, quick: bool = False, seed: int = 0):
    """Ascent Fails to Forget, correlated case: over (epsilon, alpha), where descent-ascent ends below the pretrained margins or farther from the oracle, with Lemma 9's sufficient bound.

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
    rmtcheck.studies.ascent.experiments.alpha_epsilon_window : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 9.
    """
    from rmtcheck.studies.ascent.experiments import alpha_epsilon_window

    d = alpha_epsilon_window(n_eps=25 if quick else 60, n_alpha=30 if quick else 80, gd_steps=800 if quick else 2000)
    with style() as plt:
        fig, ax = plt.subplots(figsize=(4.2, 3.2))
        code = np.where(d["status"] == 1, 2, np.where(d["da_harmful"], 1, 0))  # 0 helps, 1 harmful, 2 diverges
        ext = [d["eps"][0], d["eps"][-1], d["alpha"][0], d["alpha"][-1]]
        from matplotlib.colors import ListedColormap

        ax.imshow(code.T, origin="lower", aspect="auto", extent=ext, cmap=ListedColormap(["#cfe8cf", "#f4c7a1", "#e8a0a0"]),
                  vmin=0, vmax=2, interpolation="nearest")
        a9 = np.minimum(d["lemma9_alpha"], d["alpha"][-1])
        ax.plot(d["eps"], a9, "k-", lw=1.2, label="Lemma 9 bound")
        ax.fill_between(d["eps"], a9, d["alpha"][-1], color="k", alpha=0.08, label="provably harmful (Lemma 9)")
        ax.axhline(d["lemma3_range"][1], color="k", ls=":", lw=0.8, label=r"$|F|/|R|$")
        ax.set_xlabel(r"correlation $\varepsilon$")
        ax.set_ylabel(r"$\alpha$")
        ax.set_title("DA helps (green) / harmful (orange) / diverges (red)", fontsize=8)
        ax.legend(fontsize=6, loc="upper left")
        fig.tight_layout()
        return save_figure(fig, out_dir, "ascent-alpha-epsilon-window", d)


@figure("ascent-toy-basins")
def fig_toy(out_dir, quick: bool = False, seed: int = 0):
    """Ascent Fails to Forget, toy example: loss surfaces of pretraining, retraining and descent-ascent over (a, b) with their minima.

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
    rmtcheck.studies.ascent.experiments.toy_landscape : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Sec. 5.
    """
    from rmtcheck.studies.ascent.experiments import toy_landscape

    d = toy_landscape(grid=81 if quick else 161)
    with style() as plt:
        fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.6), sharey=True)
        for ax, kind in zip(axes, ("pretrain", "retrain", "da")):
            L = d[f"loss_{kind}"]
            ax.contourf(d["a"], d["b"], L.T, levels=30)
            for k2, mk in (("pretrain", "o"), ("retrain", "s"), ("da", "x")):
                th = d[f"theta_{k2}"]
                ax.plot(th[0], th[1], mk, color="w", ms=5, label=k2)
            ax.set_title(kind)
            ax.set_xlabel("a")
        axes[0].set_ylabel("b")
        axes[2].legend(fontsize=6)
        fig.tight_layout()
        return save_figure(fig, out_dir, "ascent-toy-basins", {k: v for k, v in d.items()})


@figure("ascent-random-forget")
def fig_random(out_dir, quick: bool = False, seed: int = 0):
    """Ascent Fails to Forget, block model: uniform versus structured forget sets, and Lemma 1's Hoeffding check.

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
    rmtcheck.studies.ascent.experiments.random_forget_study : the data.

    References
    ----------
    .. [1] Mavrothalassitis et al. (2025), "Ascent Fails to Forget", NeurIPS [mavrothalassitis2025], Lemma 1 and Sec. 4.1.
    """
    from rmtcheck.studies.ascent.experiments import random_forget_study

    d = random_forget_study(trials=10 if quick else 50, rng=seed)
    with style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8))
        for name in ("uniform", "structured"):
            r = d[name]
            axes[0].scatter(r["frac_no_global_min"], np.log10(np.maximum(r["ratio_local"], 1e-3)), s=8, label=name)
        axes[0].set_xlabel("fraction of coordinates without DA minimiser")
        axes[0].set_ylabel(r"$\log_{10}\|w_{DA}-w_R\| / \|w_D-w_R\|$")
        axes[0].legend(fontsize=7)
        axes[1].plot(d["hoeffding_eps"], d["hoeffding_freq"], "o-", ms=3, label="empirical")
        axes[1].plot(d["hoeffding_eps"], d["hoeffding_bound"], "k--", label="Lemma 1 bound")
        axes[1].set_xlabel(r"$\varepsilon$")
        axes[1].set_ylabel(r"$P(|acc_F - acc| > \varepsilon)$")
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        data = {"hoeffding_eps": d["hoeffding_eps"], "hoeffding_freq": d["hoeffding_freq"],
                "hoeffding_bound": d["hoeffding_bound"]}
        for name in ("uniform", "structured"):
            for k in ("frac_no_global_min", "frac_no_stationary", "ratio_local", "dist_pretrain"):
                data[f"{name}_{k}"] = d[name][k]
        return save_figure(fig, out_dir, "ascent-random-forget", data)
