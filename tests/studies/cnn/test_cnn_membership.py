"""Membership audit of the CNN's unlearning: the AUC against scikit-learn and a pair enumeration, the per-seed AUCs
recomputed from the networks' losses, the t-intervals against scipy, the verdict rule and bad inputs."""

import numpy as np
import pytest
from scipy import stats

from rmtcheck._lib.statistics import mia_auc
from rmtcheck.studies.cnn import membership as mb
from rmtcheck.studies.cnn.pretrained import trained_point

TINY = dict(snr=0.3, batch=1, alpha=0.2, n=16, d=40, width=4, n_test=40, n_forget=6, steps=30)


def _pairs(a, b):
    """P(member loss < non-member loss) + P(equal)/2 by enumerating every pair."""
    a, b = np.asarray(a)[:, None], np.asarray(b)[None, :]
    return float(np.mean((a < b) + 0.5 * (a == b)))


def test_mia_auc_matches_sklearn_and_pair_enumeration_with_ties():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(4)
    for _ in range(20):
        m, n = rng.integers(1, 30, 2)
        a = np.round(rng.exponential(1.0, m), 1)  # rounding makes ties
        b = np.round(rng.exponential(1.5, n), 1)
        auc = mia_auc(a, b)
        assert auc == pytest.approx(_pairs(a, b), abs=1e-12)
        labels = np.r_[np.ones(m), np.zeros(n)]
        if 0 < labels.sum() < labels.size:
            assert auc == pytest.approx(sk.roc_auc_score(labels, -np.r_[a, b]), abs=1e-12)
    assert mia_auc([0.0, 1.0], [np.inf]) == 1.0
    with pytest.raises(ValueError, match="at least one member"):
        mia_auc([], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        mia_auc([np.nan], [1.0])


def test_one_run_recomputes_from_the_networks_losses():
    run = mb.membership_run(TINY, train_seed=3, seed=5)
    tp = trained_point({k: v for k, v in TINY.items() if k not in ("batch", "alpha")}, 3)
    f = tp.forget

    def loss(W, X, y):  # logistic loss of the margin, written out: f = (sum relu<w_+, x_p> - sum relu<w_-, x_p>) / m
        z = (np.maximum(np.einsum("md,npd->nmp", W[0], X), 0).sum((1, 2)) - np.maximum(
            np.einsum("md,npd->nmp", W[1], X), 0).sum((1, 2))) / W.shape[1]
        return np.log1p(np.exp(-y * z))

    for stage, W in (("before", tp.W), ("retrained", tp.W_retrained)):
        lf, lt = loss(W, tp.X[f], tp.y[f]), loss(W, tp.X_test, tp.y_test)
        assert run[f"auc_{stage}"] == pytest.approx(_pairs(lf, lt), abs=1e-12)
        assert run[f"forget_loss_{stage}"] == pytest.approx(lf.mean(), rel=1e-9)
    assert run["gap_before"] == pytest.approx(abs(run["auc_before"] - run["auc_retrained"]))
    assert run["n_forget"] == 6 and run["n_heldout"] == 40 and not run["blew_up"]
    # trained to near interpolation: its own training points have lower loss than held-out points
    assert run["auc_before"] > 0.5 and run["forget_loss_before"] < run["heldout_loss_before"]


def test_audit_intervals_and_verdict():
    a = mb.membership_audit(n_seeds=5, seed=1, **TINY)
    assert len(a["runs"]) == 5 and len({r["train_seed"] for r in a["runs"]}) == 5
    x = np.array([r["auc_after"] for r in a["runs"]])
    m, lo, hi = a["summary"]["auc_after"]
    assert m == pytest.approx(x.mean()) and (lo, hi) == pytest.approx(
        stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x)), rel=1e-12)
    d = np.array([r["gap_after"] - r["gap_before"] for r in a["runs"]])
    lo, hi = stats.t.interval(0.95, 4, loc=d.mean(), scale=stats.sem(d))
    expect = "closer" if hi < 0 else ("further" if lo > 0 else "no difference")
    assert a["verdict"] == expect
    few = mb.membership_audit(n_seeds=2, seed=1, **TINY)
    assert few["verdict"] == "inconclusive at this size (2 seeds < 5)"


def test_t_interval_and_bad_inputs():
    x = [0.2, 0.5, 0.4, 0.9]
    m, lo, hi = mb.t_interval(x, 0.9)
    assert (lo, hi) == pytest.approx(stats.t.interval(0.9, 3, loc=np.mean(x), scale=stats.sem(x)), rel=1e-12)
    assert np.isnan(mb.t_interval([1.0])[1])
    with pytest.raises(ValueError, match="n_seeds"):
        mb.membership_audit(n_seeds=0)
    with pytest.raises(ValueError, match="unknown cell parameter"):
        mb.membership_audit(n_seeds=1, colour=1)
    with pytest.raises(ValueError, match=r"^t_interval needs .* \(x\); got 3 values, 1 of them not finite$"):
        mb.t_interval([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="level"):
        mb.t_interval(x, 1.5)
    with pytest.raises(ValueError, match="batch"):
        mb.membership_run({"snr": 0.3, "alpha": 0.1}, 0, 0)
