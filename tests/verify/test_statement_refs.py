"""Statements cite papers by BibTeX keys that exist in paper/references.bib (checked on registration)."""

import re
from pathlib import Path

import pytest

from rmtcheck.verify import Outcome, Statement, registry, run_statement

BIB = Path(__file__).resolve().parents[2] / "paper" / "references.bib"


def _statement(**kw):
    base = dict(id="zz.refs", source="s", text="t", notion="mean-square", sampling="none", regime="r",
                method="exact", sample=lambda rng: {}, check=lambda inst, rng: Outcome(False))
    return Statement(**{**base, **kw})


def test_every_builtin_statement_cites_a_key_of_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,\s]+),", BIB.read_text()))  # an independent parse of the bib file
    reg = registry()
    assert len(reg) >= 90
    for sid, st in reg.items():
        assert st.refs, f"{sid} cites no paper"
        assert set(st.refs) <= keys, (sid, st.refs)


def test_unknown_key_and_bad_types_are_refused():
    with pytest.raises(ValueError, match="unknown BibTeX key 'nokey2099'"):
        _statement(refs=("dexter2024", "nokey2099"))
    with pytest.raises(TypeError, match="refs must be a tuple"):
        _statement(refs="dexter2024")  # a string would otherwise be read letter by letter
    assert _statement(refs=["dexter2024"]).refs == ("dexter2024",)


def test_refs_reach_the_result_record():
    st = _statement(refs=("changkhanna2026",))
    assert run_statement(st, instances=1).to_dict()["refs"] == ["changkhanna2026"]
