"""Figures of descent–ascent unlearning on the two-layer ReLU CNN (Chang & Khanna 2026, claims (b), (c)).

* ``cnn-escape-heatmaps``: per SNR, the observed escape fraction (``||W_K - W*|| >= tau ||W*||``) over
  batch size ``B`` and mixing weight ``alpha``, with the boundaries predicted by the exact mixed operator
  on the measured Gauss–Newton Hessians: asymptotic (:math:`\\rho(T) = 1`, solid) and finite-horizon
  (RMS displacement of the linearised run = tau, dashed), both judged against the distance escape; and the
  pre-flight forecast's boundary (:func:`rmtcheck.stability.preflight.forecast`: the forecast mean forget or
  retain loss reaches log 2 at step K, dotted), judged against the network's losses (crosses: cells where
  the observed forget or retain loss reached log 2 in most replicates). The three agreement rates are in
  the titles (``asym``, ``K``, ``fc``).
* ``cnn-snr-escape``: escape probability over the ``alpha > 0`` cells against SNR (observed, the three
  predictions, and the fraction of runs whose forget or retain loss reached log 2), with the retain coherence
  :math:`\\sigma_r` and the alignment on a second axis; each prediction's pooled agreement rate with its
  observation is in its legend entry.

Data come from :func:`rmtcheck.studies.cnn.experiments.cnn_unlearning_grid`. The default heatmap uses
the ``default`` grid preset (its smallest honest grid, about 20 s); ``rmtcheck figures --large`` uses the
``large`` preset (minutes to tens of minutes; add ``--jobs N`` to spread its cells over processes).

References
----------
.. [1] <<CK>>, headline claims (b) and (c).
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, record_params, save_figure, style, zero_contour


def _arrays(d: dict) -> dict:
    return {k: np.asarray(v) for k, v in d.items() if k != "records" and not isinstance(v, str)}


def _grid_preset(quick: bool, large: bool = False) -> str:
    if quick and large:
        raise ValueError("quick and large exclude each other; pass one of them")
    return "quick" if quick else ("large" if large else "default")


@figure("cnn-escape-heatmaps")
def fig_cnn_heatmaps(out_dir, quick: bool = False, seed: int = 0, large: bool = False):
    """ReLU CNN descent-ascent: observed escape over (B, alpha) per SNR with the exact asymptotic, finite-horizon and pre-flight forecast boundaries.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder for ``NAME.png``, ``NAME.pdf``, ``NAME.npz`` and ``NAME.csv``.
    quick : bool, optional
        Preview size (``rmtcheck figures --quick``).
    seed : int, optional
        Root seed of the data.
    large : bool, optional
        The ``large`` grid preset (``rmtcheck figures --large``); excludes ``quick``.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and NPZ paths (:func:`rmtcheck.plotting.registry.save_figure`).

    See Also
    --------
    rmtcheck.studies.cnn.experiments.cnn_unlearning_grid : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claims (b) and (c).
    """
    from rmtcheck.studies.cnn.experiments import cnn_unlearning_grid

    preset = _grid_preset(quick, large)
    record_params(grid=preset)
    d = cnn_unlearning_grid(preset=preset, seed=seed)
    S, A, Bs = d["snr"], d["alpha"], d["B"]
    with style() as plt:
        # printed at 6.5 in wide (the paper's text width): every label at 7 pt or more
        fig, axes = plt.subplots(1, len(S), figsize=(6.5, 3.9), sharey=True, squeeze=False)
        axes = axes[0]
        for i, ax in enumerate(axes):
            im = ax.pcolormesh(Bs, A, d["obs_escape_frac"][i], cmap="RdBu_r", vmin=0, vmax=1, shading="nearest",
                               rasterized=True)
            zero_contour(ax, Bs, A, d["log_rho"][i], "k", "-", r"predicted $\rho(T) = 1$")
            zero_contour(ax, Bs, A, np.log(np.maximum(d["pred_rms_dist"][i], 1e-300) / d["records"][0]["tau"]), "0.35", "--",
                     "predicted, horizon K: rms dist = tau")
            zero_contour(ax, Bs, A, d["fc_log_reach"][i], "C6", ":", "quadratic forecast: mean loss = log 2 at K")
            jj, kk = np.nonzero(d["obs_left_frac"][i] > 0.5)
            ax.scatter(Bs[kk], A[jj], marker="x", s=12, c="C6", lw=0.8, clip_on=False, zorder=3,
                       label="observed loss >= log 2")
            ax.set_title(f"SNR {S[i]:g}\nagree: asym {d['agreement_asymptotic'][i]:.2f}, "
                         f"K {d['agreement_horizon'][i]:.2f}\nfc {d['agreement_forecast'][i]:.2f}, "
                         f"tg {d['agreement_tangent'][i]:.2f}", fontsize=7)
            ax.set_xlabel("batch size B")
            ax.set_xscale("log")
        axes[0].set_ylabel(r"mixing weight $\alpha$")
        h, lab = axes[0].get_legend_handles_labels()
        fig.legend(h, lab, fontsize=7, loc="lower center", ncol=2, frameon=False)
        fig.subplots_adjust(top=0.71, bottom=0.30, left=0.09, right=0.86, wspace=0.16)
        fig.colorbar(im, cax=fig.add_axes([0.88, 0.30, 0.015, 0.41]), label="observed escape fraction")
        r0 = d["records"][0]
        fig.suptitle(f"Descent-ascent on a ReLU CNN (n={r0['n_retain'] + r0['n_forget']}, {r0['split']} split, "
                     f"eta = {r0['lr_scale']:g} eta*_r, K = {r0['steps']})\nagree: asym and K with the observed "
                     "escape (distance);\nfc (quadratic forecast) and tg (tangent forecast, median of 32 runs) with "
                     "the observed loss >= log 2", fontsize=7, y=0.995)
        return save_figure(fig, out_dir, "cnn-escape-heatmaps", _arrays(d))


@figure("cnn-snr-escape")
def fig_cnn_snr_escape(out_dir, quick: bool = False, seed: int = 0):
    """ReLU CNN: escape probability against SNR (observed, the three predictions, forgetting) with retain coherence and alignment.

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
    rmtcheck.studies.cnn.experiments.cnn_unlearning_grid : the data.

    References
    ----------
    .. [1] Chang & Khanna (2026), "Why Some Models Resist Unlearning", arXiv [changkhanna2026], headline claims (b) and (c).
    """
    from rmtcheck.studies.cnn.experiments import cnn_unlearning_grid

    d = cnn_unlearning_grid(preset="curve-quick" if quick else "curve", seed=seed)
    S = d["snr"]
    with style() as plt:
        fig, ax = plt.subplots(figsize=(4.4, 3.9))
        ax.plot(S, d["p_escape_obs"], "o-", label=r"observed escape: $\|W_K - W^*\| \geq \tau\|W^*\|$")
        ax.plot(S, d["p_escape_pred_asym"], "s--",
                label=rf"predicted: $\rho(T) > 1$ (agree {d['agreement_asymptotic_all']:.2f})")
        ax.plot(S, d["p_escape_pred_horizon"], "^:",
                label=rf"predicted: rms dist at K $\geq \tau$ (agree {d['agreement_horizon_all']:.2f})")
        ax.plot(S, d["p_left_obs"], "x-", color="0.5", lw=0.8, label=r"observed: a loss $\geq \log 2$ at K")
        ax.plot(S, d["p_escape_pred_forecast"], "d-.", color="C3",
                label=rf"quadratic forecast: mean loss $\geq \log 2$ at K (agree {d['agreement_forecast_all']:.2f})")
        ax.plot(S, d["p_escape_pred_tangent"], "v-", color="C6", lw=0.9,
                label=rf"tangent forecast: median run $\geq \log 2$ at K (agree {d['agreement_tangent_all']:.2f})")
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("SNR")
        ax.set_ylabel(r"escape probability ($\alpha > 0$ cells)")
        ax2 = ax.twinx()
        ax2.plot(S, d["sigma_r"], color="C4", lw=0.8, label=r"$\sigma_r$")
        ax2.plot(S, 1 + d["alignment"], color="C5", lw=0.8, ls="-.", label="1 + alignment")
        ax2.set_ylabel("coherence", color="C4")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2,
                  title="agree: with the distance escape; forecast: with a loss >= log 2", title_fontsize=5.5)
        fig.tight_layout()
        return save_figure(fig, out_dir, "cnn-snr-escape", _arrays(d))
