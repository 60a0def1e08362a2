"""SRAGU and its baselines over several seeds: means with t-intervals, and a paired verdict SRAGU vs AGU.

:func:`run_seeds` repeats :func:`rmtcheck.studies.spectral.evaluation.run_evaluation` on independent seeds (children
of one ``SeedSequence``: training draw, forget sets, batch orders); :func:`seed_table` gives, per forget regime and
method, the mean of each metric with its two-sided Student-t interval over the seeds; :func:`paired_verdict`
decides, per regime, whether SRAGU helps: with :math:`d_s` the per-seed difference SRAGU − AGU of a metric where
lower is better (default :math:`\\mathrm{KL}(\\text{gold}\\,\\|\\,\\text{unlearned})`), the paired t-interval
:math:`\\bar d \\pm t_{0.975, S-1}\\, s_d/\\sqrt S` [stated test] reads **helps** when it lies below 0, **hurts**
when above 0, **no difference** when it contains 0, and **inconclusive at this size** with fewer than 5 seeds.
The same rule decides a quick and a full run; they differ in model size, so their verdicts may differ, each stated
with its configuration.
"""

from __future__ import annotations

import json

import numpy as np

from rmtcheck._lib.jsonable import jsonable
from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.statistics import t_interval
from rmtcheck._lib.validation import check_int
from rmtcheck.studies.spectral.evaluation import run_evaluation
from rmtcheck.sweep import sweep_map, sweep_option

_stats = lazy_module("scipy.stats")

__all__ = ["MIN_SEEDS", "TABLE_METRICS", "run_seeds", "seed_table", "paired_verdict"]

#: Fewer seeds than this give the verdict "inconclusive at this size".
MIN_SEEDS = 5
#: Metrics summarised by :func:`seed_table` (keys of the evaluation records).
TABLE_METRICS = ("kl_gold_unlearned", "disagreement", "forget_acc", "test_acc", "mia_gap")


def run_seeds(n_seeds: int = MIN_SEEDS, seed: int = 0, jobs: int | None = None, **kw) -> list[dict]:
    """:func:`run_evaluation` on ``n_seeds`` independent seeds (``SeedSequence(seed).spawn``).

    Parameters
    ----------
    n_seeds : int, default 5
    seed : int, default 0
    jobs : int, optional
        Worker processes for the seeds (the sweep engine, :func:`rmtcheck.sweep.sweep_map`); default: the
        ``jobs`` of an enclosing :func:`rmtcheck.sweep.sweep_options` (``rmtcheck figures --jobs N``), else 1
        (inline). The results do not depend on it: each seed's run is deterministic (BLAS on one thread).
    **kw
        Passed to :func:`run_evaluation`.

    Returns
    -------
    list of dict
        One :func:`run_evaluation` result per seed (with ``jobs > 1``: after a JSON round trip, so arrays are
        lists and tuples are lists; every number is unchanged).
    """
    n_seeds = check_int(n_seeds, "n_seeds", 1)
    children = np.random.SeedSequence(check_int(seed, "seed", 0)).spawn(n_seeds)
    seeds = [int(c.generate_state(1)[0]) for c in children]
    jobs = sweep_option("jobs", 1) if jobs is None else check_int(jobs, "jobs", 1)
    cell = {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}
    try:
        json.dumps(cell)
    except TypeError:  # e.g. a GateParams object: not a sweep cell, run inline
        jobs = 1
    if jobs == 1 or n_seeds == 1:
        return [run_evaluation(seed=s, **kw) for s in seeds]
    cells = [{"run_seed": s, **cell} for s in seeds]
    return sweep_map("sragu-seeds", jobs=min(jobs, n_seeds))(_seed_cell, cells, seeds)


def _seed_cell(params: dict, seed: int) -> dict:
    """One seed as a sweep cell (module-level, picklable): :func:`run_evaluation` with JSON-able output."""
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items() if k != "run_seed"}
    res = run_evaluation(seed=int(params["run_seed"]), **kw)
    return jsonable(res, max_array=None, nonfinite="keep")  # NaN and inf survive the JSON round trip


def _by(results, regime, method, metric) -> np.ndarray:
    return np.array([r[metric] for res in results for r in res["records"]
                     if r["regime"] == regime and r["method"] == method], dtype=float)


def seed_table(results, metrics=TABLE_METRICS, level: float = 0.95) -> list[dict]:
    """Mean and Student-t interval of each metric over the seeds, per (regime, method).

    Parameters
    ----------
    results : list of dict
        Output of :func:`run_seeds`.
    metrics : tuple of str
    level : float, default 0.95

    Returns
    -------
    list of dict
        ``{"regime", "method", "n", metric: (mean, low, high), ...}`` in the records' order.
    """
    rows = []
    first = results[0]["records"]
    for regime, method in dict.fromkeys((r["regime"], r["method"]) for r in first):
        row = {"regime": regime, "method": method, "n": len(results)}
        for k in metrics:
            row[k] = t_interval(_by(results, regime, method, k), level)
        rows.append(row)
    return rows


def paired_verdict(results, metric: str = "kl_gold_unlearned", level: float = 0.95,
                   min_seeds: int = MIN_SEEDS) -> dict:
    """SRAGU against AGU per regime by the paired t-interval of the per-seed differences (module notes).

    Parameters
    ----------
    results : list of dict
        Output of :func:`run_seeds` (every run has both ``"sragu"`` and ``"agu"``).
    metric : str, default "kl_gold_unlearned"
        A metric where lower is better.
    level : float, default 0.95
    min_seeds : int, default 5

    Returns
    -------
    dict
        ``{regime: {"verdict", "mean_difference", "interval", "p_value", "n"}}`` (difference SRAGU − AGU).

    Examples
    --------
    >>> recs = lambda s, a: {"records": [{"regime": "r", "method": "sragu", "k": s},
    ...                                  {"regime": "r", "method": "agu", "k": a}]}
    >>> paired_verdict([recs(1.0 + 0.01 * i, 2.0) for i in range(5)], metric="k")["r"]["verdict"]
    'helps'
    >>> paired_verdict([recs(1.0, 2.0)] * 3, metric="k")["r"]["verdict"]
    'inconclusive at this size (3 seeds < 5)'
    """
    out = {}
    for regime in dict.fromkeys(r["regime"] for r in results[0]["records"]):
        d = _by(results, regime, "sragu", metric) - _by(results, regime, "agu", metric)
        m, lo, hi = t_interval(d, level)
        sd = float(np.std(d, ddof=1)) if d.size > 1 else float("nan")
        if d.size < 2:
            p = float("nan")
        elif sd == 0:
            p = 1.0 if m == 0 else 0.0
        else:
            p = float(2 * _stats.t.sf(abs(m) / (sd / np.sqrt(d.size)), d.size - 1))
        if d.size < min_seeds:
            verdict = f"inconclusive at this size ({d.size} seeds < {min_seeds})"
        elif hi < 0 or (sd == 0 and m < 0):
            verdict = "helps"
        elif lo > 0 or (sd == 0 and m > 0):
            verdict = "hurts"
        else:
            verdict = "no difference"
        out[regime] = {"verdict": verdict, "mean_difference": m, "interval": (lo, hi), "p_value": p, "n": int(d.size)}
    return out
