"""SRAGU over seeds: t-intervals against scipy, the paired verdict's four outcomes, and the CLI output."""

import numpy as np
import pytest
from scipy import stats

from rmtcheck.studies.spectral.seeds import paired_verdict, seed_table


def _results(sragu, agu, regime="r"):
    return [{"records": [{"regime": regime, "method": "sragu", "kl_gold_unlearned": s, "disagreement": 0.0,
                          "forget_acc": 1.0, "test_acc": 1.0, "mia_gap": 0.0},
                         {"regime": regime, "method": "agu", "kl_gold_unlearned": a, "disagreement": 0.0,
                          "forget_acc": 1.0, "test_acc": 1.0, "mia_gap": 0.0}]} for s, a in zip(sragu, agu)]


def test_intervals_are_student_t_and_the_verdict_reads_the_paired_interval():
    rng = np.random.default_rng(0)
    a = rng.uniform(1, 2, 6)
    lower = _results(a - 0.5 + rng.normal(0, 0.01, 6), a)
    v = paired_verdict(lower)["r"]
    d = np.array([r["records"][0]["kl_gold_unlearned"] - r["records"][1]["kl_gold_unlearned"] for r in lower])
    ref = stats.ttest_rel(d + a, a)
    assert v["verdict"] == "helps" and v["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    lo, hi = stats.t.interval(0.95, d.size - 1, loc=d.mean(), scale=stats.sem(d))
    assert v["interval"] == pytest.approx((lo, hi), rel=1e-12)
    assert paired_verdict(_results(a + 0.5 + rng.normal(0, 0.01, 6), a))["r"]["verdict"] == "hurts"
    assert paired_verdict(_results(a + rng.normal(0, 0.3, 6), a))["r"]["verdict"] in ("no difference", "helps", "hurts")
    noisy = paired_verdict(_results(a + np.array([0.2, -0.2, 0.1, -0.1, 0.05, -0.05]), a))["r"]
    assert noisy["verdict"] == "no difference" and noisy["interval"][0] < 0 < noisy["interval"][1]
    few = paired_verdict(_results(a[:3] - 1, a[:3]))["r"]
    assert few["verdict"].startswith("inconclusive at this size")
    table = seed_table(lower)
    m, lo2, hi2 = table[0]["kl_gold_unlearned"]
    x = np.array([r["records"][0]["kl_gold_unlearned"] for r in lower])
    assert m == pytest.approx(x.mean()) and (lo2, hi2) == pytest.approx(
        stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x)), rel=1e-12)


def test_sragu_cli_reports_intervals_and_verdicts(capsys):
    pytest.importorskip("sklearn", reason="the digits data need the 'data' extra (installed in CI)")
    from rmtcheck.cli import main

    assert main(["sragu", "--quick", "--seeds", "5"]) == 0
    out = capsys.readouterr().out
    assert "5 seeds" in out and "±" in out
    lines = [ln for ln in out.splitlines() if "SRAGU vs AGU" in ln]
    assert len(lines) == 3 and all(any(v in ln for v in ("helps", "hurts", "no difference")) for ln in lines)
    assert main(["sragu", "--quick", "--seeds", "2"]) == 0
    assert "inconclusive at this size (2 seeds < 5)" in capsys.readouterr().out
    assert main(["sragu", "--quick", "--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_sragu_runs_on_the_users_own_data_and_refuses_bad_files(tmp_path, capsys):
    from rmtcheck.cli import main

    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 40)
    X = rng.standard_normal((120, 6)) + y[:, None]
    good = tmp_path / "mine.npz"
    np.savez(good, X=X, y=y)
    assert main(["sragu", "--quick", "--seeds", "2", "--data", str(good)]) == 0
    out = capsys.readouterr().out
    assert "mine.npz" in out and "inconclusive at this size (2 seeds < 5)" in out
    bad = {"keys.npz": dict(X=X, labels=y), "float_labels.npz": dict(X=X, y=y + 0.5),
           "gap.npz": dict(X=X, y=np.where(y == 1, 2, y)), "shape.npz": dict(X=X[:, 0], y=y),
           "nan.npz": dict(X=np.where(X > 2, np.nan, X), y=y)}
    for name, arrays in bad.items():
        np.savez(tmp_path / name, **arrays)
        assert main(["sragu", "--quick", "--data", str(tmp_path / name)]) == 2, name
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and name in err[0], (name, err)
    assert main(["sragu", "--quick", "--data", str(tmp_path / "w.txt")]) == 2
    assert "--data" in capsys.readouterr().err
