"""``rmtcheck sweep run|status|list``."""

import json

from rmtcheck.cli import main


def test_list(capsys):
    assert main(["sweep", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("dexter-hessian-test", "unlearning-hessian-test", "unlearning-batch-alpha", "unlearning-alignment"):
        assert name in out
    assert main(["sweep", "list", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} >= {"dexter-hessian-test"}


def test_run_then_status_then_resume(tmp_path, capsys, monkeypatch):
    store = tmp_path / "cli.sqlite"
    assert main(["sweep", "status", "--store", str(store)]) == 0
    assert "no sweeps yet" in capsys.readouterr().out and not store.exists()
    argv = ["sweep", "run", "unlearning-alignment", "--quick", "--jobs", "1", "--store", str(store), "--json"]
    assert main(argv) == 0
    rec = json.loads(capsys.readouterr().out)
    assert (rec["total"], rec["computed"], rec["cached"]) == (11, 11, 0)
    assert main(argv) == 0
    rec = json.loads(capsys.readouterr().out)
    assert (rec["computed"], rec["cached"]) == (0, 11)
    monkeypatch.setenv("RMTCHECK_STORE", str(store))  # the default store comes from the environment
    assert main(["sweep", "status"]) == 0
    out = capsys.readouterr().out
    assert "unlearning-alignment" in out and "11/11" in out and "100.0%" in out
    assert main(["sweep", "status", "--json"]) == 0
    (st,) = json.loads(capsys.readouterr().out)
    assert (st["finished"], st["total"]) == (11, 11)


def test_bad_input_exits_2(capsys):
    assert main(["sweep", "run", "no-such-sweep"]) == 2
    assert "unknown sweep experiment 'no-such-sweep'" in capsys.readouterr().err
    assert main(["sweep", "run", "unlearning-alignment", "--jobs", "0"]) == 2
    assert "--jobs must be >= 1" in capsys.readouterr().err
    assert main(["sweep"]) == 2
