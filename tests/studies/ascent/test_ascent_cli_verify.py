"""The ``ascent`` verify rows, the ``rmtcheck ascent`` command and the ascent figures."""

import json

import numpy as np
import pytest

from rmtcheck.cli import main
from rmtcheck.studies import ascent as A
from rmtcheck.verify import get, registry, run_statement


def test_ascent_rows_registered_and_pass():
    ids = [k for k in registry() if k.startswith("ascent.")]
    assert len(ids) >= 20
    fast = ["ascent.lemma3", "ascent.first_step", "ascent.lemma4", "ascent.corollary1", "ascent.lemma2",
            "ascent.block_reduction", "ascent.oracle_scipy", "ascent.klom", "ascent.da_unbounded"]
    for sid in fast:
        r = run_statement(get(sid), seed=1)
        assert r.verdict == "holds", (sid, r.first_violation)
    probe = run_statement(get("ascent.lemma3_range_necessary"), seed=1)
    assert not probe.claimed and probe.verdict == "fails (as expected)"


def test_rows_can_fail(monkeypatch):
    """A wrong closed form (DA minimiser shifted up by 1e-3) must make Lemma 3's row report VIOLATED,
    and a wrong Lemma 3 range (upper end doubled) must too."""
    import rmtcheck.studies.ascent as pkg

    orig = pkg.block_solution

    def shifted(*a, **k):
        s = orig(*a, **k)
        s.w_da = s.w_da + 1e-3
        return s

    monkeypatch.setattr(pkg, "block_solution", shifted)
    assert run_statement(get("ascent.lemma3"), seed=0, instances=2).verdict == "VIOLATED"
    monkeypatch.setattr(pkg, "block_solution", orig)
    orig_range = pkg.lemma3_range
    monkeypatch.setattr(pkg, "lemma3_range", lambda R, F: (orig_range(R, F)[0], 2 * orig_range(R, F)[1]))
    assert run_statement(get("ascent.lemma3"), seed=0, instances=2).verdict == "VIOLATED"
    assert run_statement(get("ascent.first_step"), seed=0, instances=2).verdict == "VIOLATED"


def test_cli_block_json_keys(capsys):
    rc = main(["ascent", "block", "--retain", "900", "--forget", "100", "--retain-j", "90", "--alpha", "0.05",
               "--ridge", "0.01", "--json"])
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)
    for k in ("w_pretrain", "w_retrain", "w_da", "da_case", "da_harmful", "lemma3_range"):
        assert k in rec
    assert rec["da_harmful"] is True and rec["da_case"] == "global-min"
    lo, hi = rec["lemma3_range"]
    assert lo == pytest.approx(100**2 / (900 * 1100)) and hi == pytest.approx(1 / 9)
    assert rec["w_da"] < rec["w_pretrain"] < rec["w_retrain"]


def test_cli_block_no_minimiser_gives_null(capsys):
    assert main(["ascent", "block", "--alpha", "0.5", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["w_da"] is None and rec["da_case"] == "no-stationary-point" and rec["gd_diverged"]


def test_cli_other_models_and_errors(capsys):
    assert main(["ascent", "correlated", "--eps", "0.9", "--alpha", "0.002", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["da_status"] in A.CORRELATED_STATUS
    assert main(["ascent", "toy", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["pattern_claim"] is True
    assert main(["ascent", "block", "--ridge", "0"]) == 2
    assert "ridge" in capsys.readouterr().err
    assert main(["ascent", "block", "--retain-j", "5000"]) == 2


def test_figure_quick(tmp_path):
    from rmtcheck.plotting import figures

    figs = figures()
    for name in ("ascent-trajectories", "ascent-alpha-epsilon-window", "ascent-toy-basins", "ascent-random-forget"):
        assert name in figs
    paths = figs["ascent-alpha-epsilon-window"](tmp_path, quick=True)
    assert {p.suffix for p in paths} == {".png", ".pdf", ".npz"}
    data = np.load(paths[-1])
    assert data["status"].shape == (25, 30)
