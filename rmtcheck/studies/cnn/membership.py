"""Membership-inference audit of the CNN's descent–ascent unlearning: does forgetting hide the forget set?

A loss-threshold membership-inference attack scores a point as a training member when its loss is low. Its AUC
on the forget set against held-out points (:func:`rmtcheck._lib.statistics.mia_auc`: the probability that a forget
point's loss is below a held-out point's, ties one half) is measured for three networks of the same
``(snr, train_seed)`` (:func:`rmtcheck.studies.cnn.pretrained.trained_point`):

* **before**: the trained network :math:`W^*` (the forget points are members);
* **after**: :math:`W_K`, after ``steps`` of descent–ascent from :math:`W^*`
  (:func:`rmtcheck.studies.cnn.training.descent_ascent`, the unlearning run of
  :func:`rmtcheck.studies.cnn.experiments.cnn_unlearning_cell`: step :math:`\\eta = u\\,\\eta^*_r`, batch ``B``,
  mixing weight :math:`\\alpha`, batches without replacement, stopped once :math:`\\|W_k - W^*\\| > 10^4\\|W^*\\|`);
* **retrained**: the network trained on the retain set alone from the same initialisation (the reference: the
  forget points were never seen, so a perfect unlearning has its AUC).

The held-out points are the test set of the trained point (``n_test`` samples of the same signal-plus-noise
design without label flips; the training labels flip with probability ``flip``, so a retrained network may
score flipped forget points *below* held-out points, AUC < 1/2). Per seed, the gaps
:math:`|\\mathrm{AUC}_{\\text{before}} - \\mathrm{AUC}_{\\text{retrained}}|` and
:math:`|\\mathrm{AUC}_{\\text{after}} - \\mathrm{AUC}_{\\text{retrained}}|`; over :math:`S \\ge 5` seeds
(children of one ``SeedSequence``: the training seed and the unlearning batches) the means with two-sided
Student-t intervals, and the paired t-interval of ``gap_after - gap_before``: **closer** (unlearning moved the
AUC towards the retrained model's) when it lies below 0, **further** when above, **no difference** when it
contains 0, **inconclusive at this size** with fewer than 5 seeds. Measured, never asserted.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.statistics import mia_auc, t_interval
from rmtcheck._lib.threads import single_blas_thread
from rmtcheck._lib.validation import check_int, check_unit_interval
from rmtcheck.studies.cnn import model as _cnn
from rmtcheck.studies.cnn import training as _training
from rmtcheck.studies.cnn.pretrained import _check_params, trained_point

_stats = lazy_module("scipy.stats")

__all__ = ["MIN_SEEDS", "STAGES", "membership_run", "membership_audit", "t_interval"]

#: Fewer seeds than this give the verdict "inconclusive at this size".
MIN_SEEDS = 5
#: The three networks whose membership AUC is measured.
STAGES = ("before", "after", "retrained")


def membership_run(params: dict, train_seed: int, seed: int) -> dict:
    """One seed of the audit (module notes): the three membership AUCs and the run's facts.

    Parameters
    ----------
    params : dict
        ``snr``, ``batch``, ``alpha`` and any of :data:`rmtcheck.studies.cnn.pretrained.CELL_DEFAULTS`
        (``n``, ``d``, ``width``, ``flip``, ``n_test``, ``split``, ``n_forget``, ``lr_scale``, ``steps``, ...).
    train_seed : int
        Data, initialisation and split (:func:`~rmtcheck.studies.cnn.pretrained.trained_point`).
    seed : int
        The unlearning batches.

    Returns
    -------
    dict
        JSON scalars: ``auc_before``, ``auc_after``, ``auc_retrained``, ``gap_before``, ``gap_after`` (absolute
        differences from ``auc_retrained``), the mean forget and held-out losses of each network
        (``forget_loss_<stage>``, ``heldout_loss_<stage>``), ``blew_up``, ``lr``, ``n_forget``, ``n_heldout``,
        ``flipped_in_forget``.
    """
    q = _check_params(params)
    for key in ("batch", "alpha"):
        if key not in params:
            raise ValueError(f"params must contain {key!r}")
    alpha = check_unit_interval(q["alpha"], "alpha")
    tp = trained_point({k: v for k, v in params.items() if k not in ("batch", "alpha")}, check_int(train_seed, "train_seed", 0))
    r, f = tp.retain, tp.forget
    B = check_int(q["batch"], "batch", 1, min(r.size, f.size))
    lr = float(q["lr_scale"]) * tp.eta_star
    X, y, model = tp.X, tp.y, tp.model
    run = _training.descent_ascent(model, tp.W, X[r], y[r], X[f], y[f], lr, alpha, B, int(q["steps"]),
                                   rng=np.random.default_rng(check_int(seed, "seed", 0)), cap=1e4 * tp.summary["norm_W"])
    out = {"lr": lr, "blew_up": bool(run.blew_up), "n_forget": int(f.size), "n_heldout": int(tp.y_test.size),
           "flipped_in_forget": int(np.sum(tp.flipped[f]))}
    for stage, W in zip(STAGES, (tp.W, run.W, tp.W_retrained)):
        lf = _cnn.per_sample_loss(model, W, X[f], y[f])
        lt = _cnn.per_sample_loss(model, W, tp.X_test, tp.y_test)
        out[f"auc_{stage}"] = mia_auc(lf, lt)
        out[f"forget_loss_{stage}"] = float(np.mean(lf))
        out[f"heldout_loss_{stage}"] = float(np.mean(lt))
    out["gap_before"] = abs(out["auc_before"] - out["auc_retrained"])
    out["gap_after"] = abs(out["auc_after"] - out["auc_retrained"])
    return out


def membership_audit(snr: float = 0.1, batch: int = 1, alpha: float = 0.2, n_seeds: int = MIN_SEEDS, seed: int = 0,
                     level: float = 0.95, **cell) -> dict:
    """The audit over ``n_seeds`` seeds: per-seed runs, means with t-intervals and the paired verdict.

    Parameters
    ----------
    snr, batch, alpha : optional
        The unlearning cell (defaults: SNR 0.1, ``B = 1``, :math:`\\alpha = 0.2`).
    n_seeds : int, default 5
    seed : int, default 0
        Root of the ``SeedSequence`` whose children give each seed's training seed and unlearning batches.
    level : float, default 0.95
    **cell
        Any of :data:`rmtcheck.studies.cnn.pretrained.CELL_DEFAULTS`.

    Returns
    -------
    dict
        ``runs`` (one :func:`membership_run` dict per seed, with its ``train_seed``), ``summary``
        (``{key: (mean, low, high)}`` for the AUCs and gaps), ``verdict`` (``"closer"``, ``"further"``,
        ``"no difference"`` or ``"inconclusive at this size (S seeds < 5)"``), ``difference`` (paired
        ``gap_after - gap_before``: ``(mean, low, high)``), ``n_seeds`` and the settings.

    Examples
    --------
    >>> a = membership_audit(n_seeds=2, n=16, d=40, width=4, n_test=40, n_forget=6, steps=20)  # doctest: +SKIP
    >>> a["verdict"]                                                                         # doctest: +SKIP
    'inconclusive at this size (2 seeds < 5)'
    """
    n_seeds = check_int(n_seeds, "n_seeds", 1)
    params = {"snr": snr, "batch": batch, "alpha": alpha, **cell}
    _check_params(params)
    runs = []
    with single_blas_thread():  # small GEMMs: a multithreaded BLAS only oversubscribes (rmtcheck._lib.threads)
        for child in np.random.SeedSequence(check_int(seed, "seed", 0)).spawn(n_seeds):
            s_train, s_unlearn = child.spawn(2)
            train_seed = int(s_train.generate_state(1)[0])
            rec = membership_run(params, train_seed, int(s_unlearn.generate_state(1)[0]))
            runs.append({"train_seed": train_seed, **rec})
    keys = [f"auc_{s}" for s in STAGES] + ["gap_before", "gap_after"]
    summary = {k: t_interval([r[k] for r in runs], level) for k in keys}
    d = np.array([r["gap_after"] - r["gap_before"] for r in runs])
    diff = t_interval(d, level)
    if n_seeds < MIN_SEEDS:
        verdict = f"inconclusive at this size ({n_seeds} seeds < {MIN_SEEDS})"
    elif np.all(d == d[0]):  # no spread: the sign decides
        verdict = "closer" if d[0] < 0 else ("further" if d[0] > 0 else "no difference")
    elif diff[2] < 0:
        verdict = "closer"
    elif diff[1] > 0:
        verdict = "further"
    else:
        verdict = "no difference"
    return {"runs": runs, "summary": summary, "difference": diff, "verdict": verdict, "n_seeds": n_seeds,
            "level": level, "params": params}
