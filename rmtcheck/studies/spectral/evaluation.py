"""Evaluation harness for AGU / SRAGU: data, forget sets, baselines, membership inference, the table.

Holds the data sets (:func:`load_dataset`, :data:`DATASETS`), the forget sets (:func:`forget_set`,
:data:`REGIMES`), the metrics against the gold retrained model (:func:`compare`, :func:`mia_auc`), the
experiment (:func:`run_evaluation` over :data:`METHODS`) and its report (:func:`summarize`,
:func:`evaluation_table`). The unlearning methods are in :mod:`rmtcheck.studies.spectral.sragu`.

Evaluation [paper: protocol; reconstructed: details]
---------------------------------------------------
Gold = same architecture, same seed (so the same initialisation draw and batch-order stream), same
epochs and learning rate, trained on the retain set only. Metrics on the forget set :math:`F` with
:math:`p` the unlearned and :math:`p^\\star` the gold predictive distributions: disagreement
:math:`\\frac1{|F|}\\sum 1[\\arg\\max p \\ne \\arg\\max p^\\star]`, mean total variation, mean
:math:`\\mathrm{KL}(p^\\star\\|p)` and :math:`\\mathrm{KL}(p\\|p^\\star)` (both: KL is asymmetric), forget/retain/
test accuracy, loss-threshold membership-inference AUC (members = forget points, non-members = test
points, score = −loss; AUC = P(member loss < non-member loss), ties ½), and unlearning wall-clock
divided by the gold retraining wall-clock. Forget sets: ``random`` (uniform), ``class`` (every training
point of one class), ``influence`` (largest per-sample gradient norm at the trained model — a cheap
proxy for influence, [reconstructed]).

References
----------
.. [1] Partohaghighi, Marcia, West & Chen (2026), "Statistical Roughness-Informed Machine
   Unlearning", arXiv:2602.09304 [partohaghighi2026].
.. [2] AGU authors (2025), "Adaptive Gradient Unlearning", Intelligent Systems with Applications
   [agu2025].
"""

from __future__ import annotations

import time

import numpy as np

from rmtcheck._lib.datasets import mnist1d_arrays, sklearn_arrays
from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.statistics import mia_auc
from rmtcheck._lib.threads import single_blas_thread
from rmtcheck._lib.validation import as_generator, check_int
from rmtcheck.studies.spectral import mlp as M
from rmtcheck.studies.spectral.sragu import (
    GateParams,
    UnlearnResult,
    agu,
    descent_ascent,
    finetune,
    gate,
    gradient_ascent,
    layer_alphas,
    sragu,
)

_special = lazy_module("scipy.special")

__all__ = [
    "METHODS", "REGIMES", "DATASETS", "MNIST1D_SAMPLES", "load_dataset", "forget_set", "mia_auc", "compare",
    "run_evaluation", "evaluation_table",
]


#: Unlearning methods compared (``none`` keeps the trained model).
METHODS = ("none", "gradient_ascent", "descent_ascent", "finetune", "agu", "sragu")


#: Forget-set regimes (module docstring).
REGIMES = ("random", "class", "influence")


#: Bundled data sets (nothing is downloaded): scikit-learn's digits and breast cancer, MNIST-1D generated in memory
#: (:mod:`rmtcheck._lib.datasets`).
DATASETS = ("digits", "breast_cancer", "mnist1d")
#: Samples of MNIST-1D used by the evaluation (before the train/test split).
MNIST1D_SAMPLES = 4000


def load_dataset(name: str = "digits", rng=None, test_fraction: float = 0.25):
    """A bundled dataset (no download) or the user's own ``.npz``, standardised with train statistics, random split.

    ``"digits"`` and ``"breast_cancer"`` are scikit-learn's bundled sets (all samples), ``"mnist1d"`` is
    :data:`MNIST1D_SAMPLES` samples of MNIST-1D generated in memory by ``mnist1d.data.make_dataset`` with its
    default arguments and a seed drawn from ``rng`` (:func:`rmtcheck._lib.datasets.mnist1d_arrays`). The bundled
    sets need the optional extra ``data`` (scikit-learn, mnist1d).

    Parameters
    ----------
    name : {"digits", "breast_cancer", "mnist1d"} or path, optional
        A bundled set, or a ``.npz`` file holding ``X`` (``(n, p)`` features) and ``y`` (``(n,)`` integer class
        labels ``0 .. C-1``, at least two classes).
    rng : int, Generator or None, optional
    test_fraction : float, optional
        In :math:`(0, 1)` (default 0.25).

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray

    Raises
    ------
    ValueError
        Unknown name, a file without ``X``/``y`` or with bad shapes or labels, bad fraction, or scikit-learn missing.
    """
    if not 0 < float(test_fraction) < 1:
        raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction!r}")
    g = as_generator(rng)
    if name == "mnist1d":
        X, y = mnist1d_arrays(MNIST1D_SAMPLES, int(g.integers(2**32)))
        X, y = X[:MNIST1D_SAMPLES], y[:MNIST1D_SAMPLES]
    elif name in DATASETS:
        try:
            X, y = sklearn_arrays(name)
        except ImportError as exc:  # pragma: no cover
            raise ValueError("the SRAGU evaluation needs scikit-learn: pip install 'rmtcheck[data]'") from exc
    elif str(name).endswith(".npz"):
        X, y = _user_data(str(name))
    else:
        raise ValueError(f"dataset must be one of {DATASETS} or a .npz file with X and y; got {name!r}")
    perm = g.permutation(y.size)
    nt = int(round(test_fraction * y.size))
    te, tr = perm[:nt], perm[nt:]
    mu, sd = X[tr].mean(0), X[tr].std(0)
    sd = np.where(sd > 0, sd, 1.0)
    X = (X - mu) / sd
    return X[tr], y[tr], X[te], y[te]


def _user_data(path: str):
    from pathlib import Path

    if not Path(path).is_file():
        raise ValueError(f"data file {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "X" not in z or "y" not in z:
                raise ValueError(f"data file {path!r} must hold arrays 'X' (n, p) and 'y' (n,); it holds {sorted(z)}")
            X, y = np.asarray(z["X"]), np.asarray(z["y"])
    except (OSError, ValueError) as exc:
        if "must hold" in str(exc):
            raise
        raise ValueError(f"data file {path!r} is not a readable .npz of numeric arrays: {exc}") from None
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.size or y.size < 20:
        raise ValueError(f"data file {path!r}: X must be (n, p) and y (n,) with n >= 20; got {X.shape} and {y.shape}")
    if not np.issubdtype(X.dtype, np.number) or not np.all(np.isfinite(X)):
        raise ValueError(f"data file {path!r}: X must be finite numbers")
    if (not np.issubdtype(y.dtype, np.integer) or np.unique(y).size < 2
            or not np.array_equal(np.unique(y), np.arange(int(y.max()) + 1))):
        raise ValueError(f"data file {path!r}: y must be integer class labels 0 .. C-1 with at least two classes")
    return X.astype(float), y.astype(np.int64)


def forget_set(regime, model, params, X, y, n_forget=None, forget_class=None, rng=None) -> np.ndarray:
    """Indices (into the training set) of the forget set for ``regime`` in :data:`REGIMES`.

    Parameters
    ----------
    regime : {"random", "class", "influence"}
    model, params, X, y
        The trained MLP, its parameters and the training set (``influence`` ranks per-sample gradient norms).
    n_forget : int, optional
        Default :math:`\\max(1, n/10)` (not used by ``class``).
    forget_class : int, optional
        Default: the rarest class.
    rng : int, Generator or None, optional

    Returns
    -------
    ndarray of int

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026] (evaluation protocol; details [reconstructed]).
    """
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}; got {regime!r}")
    n = y.size
    nf = max(1, n // 10) if n_forget is None else check_int(n_forget, "n_forget", 1, n - 1)
    g = as_generator(rng)
    if regime == "random":
        return np.sort(g.choice(n, nf, replace=False))
    if regime == "class":
        c = int(np.bincount(y).argmin()) if forget_class is None else int(forget_class)
        idx = np.flatnonzero(y == c)
        if idx.size == 0 or idx.size == n:
            raise ValueError(f"forget_class={c} leaves an empty forget or retain set")
        return idx
    norms = M.per_sample_grad_norms(model, params, X, y)
    return np.sort(np.argsort(-norms, kind="stable")[:nf])


def compare(model, params, gold, Xf, yf, Xr, yr, Xt, yt) -> dict:
    """All metrics of ``params`` against the ``gold`` parameters (module docstring).

    Parameters
    ----------
    model, params, gold
        MLP, unlearned and gold parameters.
    Xf, yf, Xr, yr, Xt, yt : ndarray
        Forget, retain and test sets.

    Returns
    -------
    dict
        ``disagreement``, ``tv``, ``kl_gold_unlearned``, ``kl_unlearned_gold``, ``forget_acc``,
        ``retain_acc``, ``test_acc``, ``mia_auc``.

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026] (evaluation protocol; details [reconstructed]).
    """
    lp = _special.log_softmax(M.forward(model, params, Xf), axis=1)
    lg = _special.log_softmax(M.forward(model, gold, Xf), axis=1)
    p, pg = np.exp(lp), np.exp(lg)
    kl_gu = np.sum(pg * (lg - lp), axis=1)
    kl_ug = np.sum(p * (lp - lg), axis=1)
    lf = M.per_sample_loss(model, params, Xf, yf)
    lt = M.per_sample_loss(model, params, Xt, yt)
    return {
        "disagreement": float(np.mean(np.argmax(lp, 1) != np.argmax(lg, 1))),
        "tv": float(np.mean(0.5 * np.abs(p - pg).sum(axis=1))),
        "kl_gold_unlearned": float(max(np.mean(kl_gu), 0.0)),
        "kl_unlearned_gold": float(max(np.mean(kl_ug), 0.0)),
        "forget_acc": M.accuracy(model, params, Xf, yf),
        "retain_acc": M.accuracy(model, params, Xr, yr),
        "test_acc": M.accuracy(model, params, Xt, yt),
        "mia_auc": mia_auc(lf, lt),
    }


def run_evaluation(dataset="digits", hidden=(128, 64), epochs=30, lr=0.05, batch=32, unlearn_lr=1.0,
                   max_passes=20, delta=1e-4, loss_cap="test", retain_weight=0.0, ft_epochs=3, regimes=REGIMES, methods=METHODS,
                   n_forget=None, gate_params: GateParams = GateParams(), seed=0) -> dict:
    """The SRAGU evaluation: train, build forget sets, unlearn with every method, compare with gold.

    Parameters
    ----------
    dataset : str, optional
    hidden : tuple of int, optional
        Hidden widths of the MLP.
    epochs, lr, batch : optional
        Training schedule (shared by the gold model).
    unlearn_lr, max_passes, delta, loss_cap, retain_weight, ft_epochs : optional
        Unlearning settings; ``loss_cap="test"`` uses the trained model's mean test loss.
    regimes, methods : sequence of str, optional
    n_forget : int, optional
    gate_params : GateParams, optional
    seed : int, optional

    Returns
    -------
    dict
        ``records`` (one dict per regime and method, with every metric, the run's seconds and
        ``rel_cost`` = seconds / gold retraining seconds), ``gold`` (per regime, the gold's own accuracies
        and MIA AUC), ``alphas`` and ``nu`` of the trained model's layers, ``summary`` and the settings.

    References
    ----------
    .. [1] Partohaghighi et al. (2026), "Statistical Roughness-Informed Machine Unlearning" [partohaghighi2026] (evaluation protocol; details [reconstructed]).

    Notes
    -----
    BLAS runs on one thread inside (:func:`rmtcheck._lib.threads.single_blas_thread`): the MLP's GEMMs are small
    and a multithreaded BLAS only oversubscribes the cores (measured 14.1 s against 4.0 s for one digits run on a
    loaded 2-core machine, identical results).
    """
    with single_blas_thread():
        return _run_evaluation(dataset, hidden, epochs, lr, batch, unlearn_lr, max_passes, delta, loss_cap,
                               retain_weight, ft_epochs, regimes, methods, n_forget, gate_params, seed)


def _run_evaluation(dataset, hidden, epochs, lr, batch, unlearn_lr, max_passes, delta, loss_cap, retain_weight,
                    ft_epochs, regimes, methods, n_forget, gate_params, seed) -> dict:
    for r in regimes:
        if r not in REGIMES:
            raise ValueError(f"regimes must be drawn from {REGIMES}; got {r!r}")
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"methods must be drawn from {METHODS}; got {m!r}")
    ss = np.random.SeedSequence(seed)
    s_data, s_train, s_forget, s_unlearn = ss.spawn(4)
    Xtr, ytr, Xte, yte = load_dataset(dataset, np.random.default_rng(s_data))
    model = M.MLP((Xtr.shape[1], *hidden, int(max(ytr.max(), yte.max()) + 1)))
    train_seed = int(np.random.default_rng(s_train).integers(2**63))
    t0 = time.perf_counter()
    theta = M.train(model, Xtr, ytr, epochs=epochs, lr=lr, batch=batch, rng=train_seed)
    t_train = time.perf_counter() - t0
    alphas = layer_alphas(theta)
    nu = gate(alphas, gate_params)
    cap = M.loss(model, theta, Xte, yte) if loss_cap == "test" else loss_cap
    records, golds = [], {}
    for ri, regime in enumerate(regimes):
        g_f = np.random.default_rng(s_forget.spawn(len(regimes))[ri])
        fidx = forget_set(regime, model, theta, Xtr, ytr, n_forget=n_forget, rng=g_f)
        mask = np.zeros(ytr.size, bool)
        mask[fidx] = True
        Xf, yf, Xr, yr = Xtr[mask], ytr[mask], Xtr[~mask], ytr[~mask]
        t0 = time.perf_counter()
        gold = M.train(model, Xr, yr, epochs=epochs, lr=lr, batch=batch, rng=train_seed)
        t_gold = time.perf_counter() - t0
        gm = compare(model, gold, gold, Xf, yf, Xr, yr, Xte, yte)
        golds[regime] = {"n_forget": int(yf.size), "seconds": t_gold, **gm}
        useeds = s_unlearn.spawn(len(regimes))[ri].spawn(len(methods))
        for mi, meth in enumerate(methods):
            g_u = np.random.default_rng(useeds[mi])
            kw = dict(lr=unlearn_lr, max_passes=max_passes, delta=delta, batch=batch, rng=g_u, loss_cap=cap)
            if meth == "none":
                res = UnlearnResult("none", theta, 0, [], "max_passes", 0.0)
            elif meth == "gradient_ascent":
                res = gradient_ascent(model, theta, Xf, yf, **kw)
            elif meth == "descent_ascent":
                res = descent_ascent(model, theta, Xf, yf, (Xr, yr), **kw)
            elif meth == "finetune":
                res = finetune(model, theta, (Xr, yr), epochs=ft_epochs, lr=lr, batch=batch, rng=g_u)
            elif meth == "agu":
                res = agu(model, theta, Xf, yf, retain=(Xr, yr), retain_weight=retain_weight, **kw)
            else:
                res = sragu(model, theta, Xf, yf, retain=(Xr, yr), retain_weight=retain_weight,
                            gate_params=gate_params, alphas=alphas, **kw)
            met = compare(model, res.params, gold, Xf, yf, Xr, yr, Xte, yte)
            records.append({"regime": regime, "method": meth, "passes": res.passes, "stopped": res.stopped,
                            "seconds": res.seconds, "rel_cost": res.seconds / t_gold,
                            "mia_gap": abs(met["mia_auc"] - gm["mia_auc"]), **met})
    return {
        "dataset": dataset, "sizes": list(model.sizes), "seed": seed, "epochs": epochs, "lr": lr,
        "unlearn_lr": unlearn_lr, "max_passes": max_passes, "delta": delta, "loss_cap": cap, "retain_weight": retain_weight,
        "train_seconds": t_train, "alphas": alphas, "nu": nu, "gate": gate_params.__dict__,
        "records": records, "gold": golds, "summary": summarize(records),
    }


def summarize(records) -> list[str]:
    """Plain-language comparison of SRAGU with AGU and the other baselines, computed from the numbers.

    No verdict is hard-coded: per regime, which method is closest to gold in disagreement and KL.

    Parameters
    ----------
    records : list of dict
        The ``records`` of :func:`run_evaluation`.

    Returns
    -------
    list of str
    """
    lines = []
    for regime in dict.fromkeys(r["regime"] for r in records):
        rs = {r["method"]: r for r in records if r["regime"] == regime}
        best = min(rs.values(), key=lambda r: (r["kl_gold_unlearned"], r["disagreement"]))
        line = f"{regime}: closest to gold in KL(gold||u) is {best['method']} ({best['kl_gold_unlearned']:.3g})"
        if "sragu" in rs and "agu" in rs:
            s, a = rs["sragu"], rs["agu"]
            ks, ka = s["kl_gold_unlearned"], a["kl_gold_unlearned"]
            tol = 0.01 * max(ks, ka)  # differences under 1% are reported as ties
            verdict = "helps" if ks < ka - tol else ("does not help" if ks > ka + tol else "ties (within 1%)")
            line += (f"; SRAGU vs AGU: KL(gold||u) {s['kl_gold_unlearned']:.3g} vs {a['kl_gold_unlearned']:.3g} "
                     f"-> SRAGU {verdict} here; test acc {s['test_acc']:.3f} vs {a['test_acc']:.3f}")
        if "none" in rs and "sragu" in rs:
            line += f"; no-unlearning KL {rs['none']['kl_gold_unlearned']:.3g}"
        lines.append(line)
    return lines


def evaluation_table(result) -> str:
    """Text table of :func:`run_evaluation` records plus the gold rows and the summary.

    Parameters
    ----------
    result : dict
        The output of :func:`run_evaluation`.

    Returns
    -------
    str
    """
    cols = ("disagreement", "tv", "kl_gold_unlearned", "kl_unlearned_gold", "forget_acc", "retain_acc",
            "test_acc", "mia_auc", "rel_cost")
    short = ("disagr", "TV", "KL(g|u)", "KL(u|g)", "forget", "retain", "test", "MIA-AUC", "cost/retrain")
    head = f"{'regime':<10}{'method':<16}" + "".join(f"{s:>13}" for s in short)
    out = [f"dataset {result['dataset']}, MLP {result['sizes']}, seed {result['seed']}; layer alphas "
           + ", ".join(f"{a:.2f}" for a in result["alphas"]) + "; gate nu " + ", ".join(f"{v:.2f}" for v in result["nu"]),
           head, "-" * len(head)]
    for regime, g in result["gold"].items():
        out.append(f"{regime:<10}{'gold (retrain)':<16}" + "".join(
            f"{g[c]:>13.4g}" if c in g else f"{'1':>13}" for c in cols))
        for r in result["records"]:
            if r["regime"] == regime:
                out.append(f"{regime:<10}{r['method']:<16}" + "".join(f"{r[c]:>13.4g}" for c in cols))
    out.append("")
    out += result["summary"]
    return "\n".join(out)
