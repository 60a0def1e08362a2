import json
import subprocess
import sys

import numpy as np
import pytest

from rmtcheck.cli import main
from rmtcheck.verify import Outcome, Statement, exit_status, registry, run_all
from rmtcheck.verify import statement as _registry


def test_verify_json_records_have_the_promised_fields(capsys):
    assert main(["verify", "--only", "dexter.theorem2", "--only", "dexter.sandwich", "--instances", "3", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in recs} == {"dexter.theorem2", "dexter.sandwich"}
    for r in recs:
        for k in ("source", "notion", "sampling", "instances", "violations", "first_violation", "tightness_median",
                  "verdict", "regime", "claimed", "method"):
            assert k in r
        assert r["notion"] == "mean-square" and r["sampling"] == "bernoulli"


def test_every_row_names_notion_and_sampling():
    for s in registry().values():
        assert s.notion and s.sampling and s.method and s.source


def test_exit_status_is_one_only_for_claimed_violations_exact_or_beyond_a_margin():
    bad = Statement(id="zz_test.false_claim", source="test", text="1 < 0", notion="mean-square",
                    sampling="bernoulli", regime="always", method="exact", sample=lambda rng: {"x": 1},
                    check=lambda inst, rng: Outcome(violated=True))
    probe = Statement(id="zz_test.probe", source="test", text="1 < 0", notion="mean-square",
                      sampling="bernoulli", regime="always", method="exact", sample=lambda rng: {"x": 1},
                      check=lambda inst, rng: Outcome(violated=True), claimed=False)
    _registry.register(bad); _registry.register(probe)
    try:
        res = run_all(["zz_test"], instances=2)
        assert [r.verdict for r in res] == ["VIOLATED", "fails (as expected)"]
        assert res[0].first_violation["instance"] == {"x": 1}
        assert exit_status(res) == 1 and exit_status(res[1:]) == 0
        assert main(["verify", "--only", "zz_test.false_claim", "--instances", "1"]) == 1
    finally:
        _registry._REGISTRY.pop("zz_test.false_claim"); _registry._REGISTRY.pop("zz_test.probe")


def test_verify_is_reproducible_from_seed():
    a = run_all(["dexter.theorem1"], seed=3, instances=4)[0]
    b = run_all(["dexter.theorem1"], seed=3, instances=4)[0]
    assert a.tightness_median == b.tightness_median


def test_stability_command_json(tmp_path, capsys):
    G = np.random.default_rng(0).standard_normal((40, 6))
    f = tmp_path / "G.npy"; np.save(f, G)
    assert main(["stability", str(f), "--lr", "0.05", "--batch", "4", "--json", "--runs", "8", "--steps", "50"]) == 0
    rec = json.loads(capsys.readouterr().out)
    for k in ("coherence", "lambda_max", "ms_growth", "critical_lr", "theorem1_diverges", "lyapunov", "sampling"):
        assert k in rec
    assert rec["ms_growth"] < 1 and rec["critical_lr"] > 0.05


def test_stability_bad_input_is_one_clear_line(tmp_path, capsys):
    f = tmp_path / "bad.npy"; np.save(f, np.full((3, 2), np.nan))
    assert main(["stability", str(f), "--lr", "0.1", "--batch", "1"]) == 2
    err = capsys.readouterr().err
    assert "NaN" in err and "Traceback" not in err


def test_python_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "rmtcheck", "verify", "--list"], capture_output=True, text=True)
    assert out.returncode == 0 and "dexter.theorem1" in out.stdout


def test_saved_figures_are_byte_identical(tmp_path):
    from rmtcheck.plotting import save_figure, style

    def draw(d):
        with style() as plt:
            fig, ax = plt.subplots()
            ax.plot([0, 1], [1, 0])
            return save_figure(fig, d, "t", {"x": np.arange(3)})

    a = draw(tmp_path / "a"); b = draw(tmp_path / "b")
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()


@pytest.mark.slow
def test_hessian_test_figure_quick(tmp_path):
    assert main(["figures", "--only", "dexter-hessian-test", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "dexter-hessian-test.png").stat().st_size > 1000
