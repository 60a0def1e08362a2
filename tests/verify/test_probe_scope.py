"""Every probe says what its counterexamples refute (the source as stated, or another reading), and the
verdict output carries it."""

import pytest

from rmtcheck.cli import main
from rmtcheck.verify import registry, run_statement
from rmtcheck.verify.statement import scope


def test_every_probe_states_what_it_refutes_and_no_claimed_row_does():
    for s in registry().values():
        assert bool(s.refutes) == (not s.claimed), s.id
        if s.refutes:
            assert len(s.refutes) > 60, s.id  # a sentence, not a tag


def test_scope_refuses_claimed_or_unknown_ids():
    with pytest.raises(ValueError, match="not a registered probe"):
        scope({"dexter.theorem1": "x"})
    with pytest.raises(ValueError, match="not a registered probe"):
        scope({"no.such.row": "x"})


def test_results_and_the_cli_carry_it(capsys):
    r = run_statement(registry()["dexter.theorem1.equality"], instances=1)
    assert r.violations == 1 and "as its source states it" in r.to_dict()["refutes"]
    assert main(["verify", "--only", "dexter.theorem1.equality", "--instances", "1"]) == 0
    out = capsys.readouterr().out
    assert "refutes: Refutes Theorem 1 as its source states it" in out
