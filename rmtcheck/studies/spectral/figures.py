"""Figures of the spectral diagnostics and the SRAGU evaluation.

* ``spectral-layers``: per layer, the ESD histogram (log-log) with the fitted Marchenko–Pastur density
  and edge, and the tail's empirical CCDF with the fitted power law.
* ``spectral-alpha-xmin``: the α-versus-:math:`x_{\\min}` curve and the KS distance for each layer.
* ``sragu-evaluation``: KL(gold‖u), disagreement, test accuracy and MIA AUC of every method and forget
  regime on scikit-learn's digits (a table is printed by ``rmtcheck sragu``).

The layers shown are a Gaussian matrix (random-like), a Student-t(ν = 1.2) matrix (very heavy tailed),
a Student-t(ν = 3) matrix, and the layers of the digits MLP trained for the SRAGU evaluation.
Data: :mod:`rmtcheck.randmat.spectral` (ESD, MP and power-law fits) and
:func:`rmtcheck.studies.spectral.evaluation.run_evaluation`.

References
----------
.. [1] <<MaMa>>, Sec. 5.
.. [2] <<CSN>>, Sec. 3.
.. [3] <<MP>>.
.. [4] <<SR>>.
"""

from __future__ import annotations

import numpy as np

from rmtcheck.plotting.registry import figure, save_figure, style
from rmtcheck.randmat.marchenko_pastur import marchenko_pastur
from rmtcheck.randmat.powerlaw import fit_powerlaw
from rmtcheck.randmat.spectral import diagnose, esd


def _example_layers(quick, seed):
    from rmtcheck.studies.spectral import mlp as M
    from rmtcheck.studies.spectral.evaluation import load_dataset

    g = np.random.default_rng(seed)
    N, Mc = (400, 200) if quick else (1000, 500)
    layers = {"gaussian": g.standard_normal((N, Mc)), "student-t nu=1.2": g.standard_t(1.2, (N, Mc)),
              "student-t nu=3": g.standard_t(3.0, (N, Mc))}
    try:
        Xtr, ytr, _, _ = load_dataset("digits", seed)
        model = M.MLP((64, 128, 64, 10))
        params = M.train(model, Xtr, ytr, epochs=5 if quick else 30, lr=0.05, rng=seed)
        layers["digits MLP W1"] = params[0]
    except ValueError:  # scikit-learn missing
        pass
    return layers


@figure("spectral-layers")
def spectral_layers(out_dir, quick=False, seed=0):
    """Layer spectra: ESD with the fitted Marchenko-Pastur density and edge, and the tail CCDF with the fitted power law.

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
    rmtcheck.randmat.spectral.diagnose : the fits.

    References
    ----------
    .. [1] Martin & Mahoney (2021), "Implicit Self-Regularization in Deep Neural Networks", JMLR [martin2021], Sec. 5.
    .. [2] Marčenko & Pastur (1967), "Distribution of Eigenvalues for Some Sets of Random Matrices",
       Math. USSR-Sbornik [marchenko1967].
    """

    layers = _example_layers(quick, seed)
    res = [diagnose(W, name=k, bootstrap=0 if quick else 200, rng=seed) for k, W in layers.items()]
    data = {}
    with style() as plt:
        fig, axes = plt.subplots(2, len(res), figsize=(3.2 * len(res), 5.6))
        for j, r in enumerate(res):
            ev = r.eigenvalues[r.eigenvalues > 0]
            ax = axes[0, j]
            bins = np.geomspace(ev.min(), ev.max(), 40)
            ax.hist(ev, bins=bins, density=True, alpha=0.6, label="ESD")
            N = max(r.shape[0], int(np.prod(r.shape[1:]))) if len(r.shape) else 1
            d = marchenko_pastur(r.mp.ratio, r.mp.scale)
            x = np.geomspace(*d.support(), 200)[1:-1]
            ax.plot(x * N, d.pdf(x) / N, label="MP fit")
            ax.axvline(r.mp.edge, ls="--", c="k", lw=0.8, label="MP edge")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{r.name}\nα={r.alpha:.2f} ({r.flag})", fontsize=8)
            ax.set_xlabel("eigenvalue of $W^TW$")
            if j == 0:
                ax.set_ylabel("density")
                ax.legend(fontsize=6)
            ax = axes[1, j]
            tail = np.sort(ev[ev >= r.powerlaw.xmin])
            ccdf = 1 - np.arange(tail.size) / tail.size
            ax.loglog(tail, ccdf, ".", ms=3, label="tail CCDF")
            ax.loglog(tail, (tail / r.powerlaw.xmin) ** (1 - r.alpha), label=f"power law α={r.alpha:.2f}")
            ax.set_xlabel("eigenvalue")
            from matplotlib.ticker import NullFormatter

            ax.xaxis.set_minor_formatter(NullFormatter())
            if j == 0:
                ax.set_ylabel("P(λ ≥ x | tail)")
            ax.legend(fontsize=6)
            data[f"evals_{j}"] = ev
            data[f"alpha_{j}"] = np.array(r.alpha)
            data[f"xmin_{j}"] = np.array(r.powerlaw.xmin)
            data[f"mp_edge_{j}"] = np.array(r.mp.edge)
        fig.tight_layout()
        return save_figure(fig, out_dir, "spectral-layers", data)


@figure("spectral-alpha-xmin")
def spectral_alpha_xmin(out_dir, quick=False, seed=0):
    """Power-law exponent alpha and KS distance against x_min for each layer (Clauset-Shalizi-Newman fit).

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
    rmtcheck.randmat.powerlaw.fit_powerlaw : the fit.

    References
    ----------
    .. [1] Clauset, Shalizi & Newman (2009), "Power-Law Distributions in Empirical Data" [clauset2009], Sec. 3.3.
    """

    layers = _example_layers(quick, seed)
    data = {}
    with style() as plt:
        fig, axes = plt.subplots(2, 1, figsize=(5.5, 5.5), sharex=False)
        for j, (k, W) in enumerate(layers.items()):
            f = fit_powerlaw(esd(W), scan="full")  # WeightWatcher's estimator; the whole KS curve is drawn
            q = np.arange(f.xmins.size) / max(1, f.xmins.size - 1)
            axes[0].plot(f.xmins, f.alphas, label=k)
            axes[0].plot(f.xmin, f.alpha, "o", c=axes[0].lines[-1].get_color())
            axes[1].plot(f.xmins, f.ks_curve, label=k)
            data[f"xmins_{j}"], data[f"alphas_{j}"], data[f"ks_{j}"] = f.xmins, f.alphas, f.ks_curve
            del q
        for ax in axes:
            ax.set_xscale("log")
        axes[0].set_yscale("log")
        axes[0].set_ylabel("α̂(x_min)")
        axes[1].set_ylabel("KS distance D(x_min)")
        axes[1].set_xlabel("x_min")
        axes[0].legend(fontsize=7)
        axes[0].set_title("α versus x_min (dot: chosen x_min, the KS minimiser)", fontsize=9)
        fig.tight_layout()
        return save_figure(fig, out_dir, "spectral-alpha-xmin", data)


@figure("sragu-evaluation")
def sragu_evaluation(out_dir, quick=False, seed=0):
    """SRAGU vs AGU and baselines on digits over 5 seeds (mean, 95% t-interval, paired verdict): KL to the retrained gold model, disagreement, test accuracy and MIA AUC per forget regime.

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
    rmtcheck.studies.spectral.evaluation.run_evaluation : the data.

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026].
    .. [2] AGU authors (2025), "Adaptive Gradient Unlearning", Intell. Syst. Appl. [agu2025].
    """
    from rmtcheck.studies.spectral.evaluation import METHODS, REGIMES
    from rmtcheck.studies.spectral.seeds import MIN_SEEDS, paired_verdict, run_seeds, seed_table

    kw = dict(hidden=(32,), epochs=8, max_passes=5) if quick else {}
    runs = run_seeds(MIN_SEEDS, seed, **kw)
    metrics = (("kl_gold_unlearned", "KL(gold ‖ unlearned) on forget set"), ("disagreement", "disagreement with gold"),
               ("test_acc", "test accuracy"), ("mia_gap", "|MIA AUC − gold's MIA AUC|"))
    table = {(r["regime"], r["method"]): r for r in seed_table(runs, [k for k, _ in metrics])}
    verdicts = paired_verdict(runs)
    data = {"alphas": np.array([r["alphas"] for r in runs]), "nu": np.array([r["nu"] for r in runs])}
    with style() as plt:
        fig, axes = plt.subplots(1, len(metrics), figsize=(3.3 * len(metrics), 3.4))
        w = 0.8 / len(METHODS)
        x = np.arange(len(REGIMES))
        for ax, (key, label) in zip(axes, metrics):
            for mi, m in enumerate(METHODS):
                mean, lo, hi = (np.array([table[(g, m)][key][i] for g in REGIMES]) for i in range(3))
                top = 1.0 if key in ("disagreement", "test_acc") else np.inf  # drawn within the metric's range
                dlo, dhi = mean - np.clip(lo, 0.0, top), np.clip(hi, 0.0, top) - mean
                ax.bar(x + (mi - len(METHODS) / 2 + 0.5) * w, mean, w, yerr=np.vstack([dlo, dhi]),
                       label=m, error_kw={"elinewidth": 0.6, "capsize": 1})
                data[f"{key}_{m}"], data[f"{key}_{m}_low"], data[f"{key}_{m}_high"] = mean, lo, hi
            if key == "test_acc":
                gold = [np.mean([r["gold"][g]["test_acc"] for r in runs]) for g in REGIMES]
                ax.plot(x, gold, "k_", ms=20, label="gold (mean)")
            if key == "kl_gold_unlearned":
                ax.set_yscale("symlog", linthresh=0.1)
                ax.set_ylim(bottom=0)
            ax.set_xticks(x, REGIMES)
            ax.set_title(label, fontsize=8)
        handles, labels = axes[2].get_legend_handles_labels()  # one legend below the panels, covering no data
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=7, frameon=False)
        fig.suptitle(f"digits MLP {runs[0]['sizes']}, {MIN_SEEDS} seeds: mean and 95% t-interval (drawn within the metric's "
                     "range). SRAGU vs AGU "
                     "(paired, KL): " + "; ".join(f"{g} {verdicts[g]['verdict']}" for g in REGIMES), fontsize=8)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        return save_figure(fig, out_dir, "sragu-evaluation", data)
