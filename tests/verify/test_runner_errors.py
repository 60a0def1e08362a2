"""One row's internal error does not hide the others: the row reads "error", the run exits 3 (not 1, not 2)."""

import pytest

from rmtcheck.cli import main
from rmtcheck.verify import Outcome, Statement, exit_status, registry, run_statement, runner


def _statement(sid, check, claimed=True, method="exact"):
    return Statement(id=sid, source="s", text="t", notion="mean-square", sampling="none", regime="r",
                     method=method, sample=lambda rng: {"x": float(rng.random())}, check=check, claimed=claimed,
                     default_instances=3)


def _raises_on_second(inst, rng, calls=[]):  # noqa: B006 - counts calls across instances
    calls.append(1)
    if len(calls) % 3 == 2:
        raise ZeroDivisionError("first line\nthe last line says what broke")
    return Outcome(False)


def test_an_error_is_a_row_verdict_with_the_last_line():
    r = run_statement(_statement("zz.err", _raises_on_second), seed=0)
    assert r.verdict == "error" and r.error == "instance 1: ZeroDivisionError: the last line says what broke"
    assert r.instances == 1 and not r.fails_run
    ok = run_statement(_statement("zz.ok", lambda inst, rng: Outcome(False)), seed=0)
    bad = run_statement(_statement("zz.bad", lambda inst, rng: Outcome(True)), seed=0)
    assert exit_status([ok]) == 0 and exit_status([ok, r]) == 3 and exit_status([bad, r]) == 1
    assert r.to_dict()["error"].startswith("instance 1")


def test_cli_runs_every_row_and_exits_3(monkeypatch, capsys):
    real = registry()
    rows = {"zz.first": _statement("zz.first", lambda inst, rng: Outcome(False)),
            "zz.err": _statement("zz.err", lambda inst, rng: 1 / 0),
            "zz.last": _statement("zz.last", lambda inst, rng: Outcome(False))}
    monkeypatch.setattr(runner, "registry", lambda: rows)
    assert main(["verify", "--only", "zz"]) == 3
    out = capsys.readouterr().out
    assert "zz.last" in out and "ERROR [zz.err] instance 0: ZeroDivisionError: division by zero" in out
    assert "INTERNAL ERROR in 1 row(s): zz.err" in out
    assert "zz.err" not in real  # the real registry is untouched


@pytest.mark.parametrize("argv", [["verify", "--instances", "0"], ["verify", "--only", "no.such.row"]])
def test_bad_arguments_still_exit_2(argv):
    assert main(argv) == 2


def test_json_records_carry_no_timings_unless_asked(capsys):
    from rmtcheck.cli import main

    assert main(["verify", "--only", "dexter.theorem2", "--instances", "2", "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["verify", "--only", "dexter.theorem2", "--instances", "2", "--json"]) == 0
    assert capsys.readouterr().out == first and '"seconds"' not in first  # identical runs, identical records
    assert main(["verify", "--only", "dexter.theorem2", "--instances", "2", "--json", "--timings"]) == 0
    assert '"seconds"' in capsys.readouterr().out
