"""Claimed rows can fail: perturb the quantity a row checks by a relative 1e-6 and the row reads VIOLATED (so a
loosened tolerance or a check wired to "holds" would be caught here). One row per group of exact checks."""

import pytest

from rmtcheck.verify import exit_status, registry, run_statement

_EPS = 1e-6


def _scaled(fn, factor=1.0 + _EPS):
    return lambda *a, **k: fn(*a, **k) * factor


def _check(sid, instances):
    r = run_statement(registry()[sid], seed=0, instances=instances)
    return r, exit_status([r])


def test_dexter_theorem2_sees_a_wrong_closed_form(monkeypatch):
    from rmtcheck.studies.dexter import statements as ds

    assert _check("dexter.theorem2", 5)[0].violations == 0
    monkeypatch.setattr(ds.th, "theorem2_factor", _scaled(ds.th.theorem2_factor))
    r, status = _check("dexter.theorem2", 5)
    assert r.violations == 5 and r.verdict == "VIOLATED" and status == 1


def test_chang_khanna_tightness_sees_a_wrong_closed_form(monkeypatch):
    from rmtcheck.studies.chang_khanna import statements as cs

    assert _check("chang_khanna.tightness", 5)[0].violations == 0
    monkeypatch.setattr(cs, "tightness_factor", _scaled(cs.tightness_factor))
    r, status = _check("chang_khanna.tightness", 5)
    assert r.violations == 5 and status == 1


def test_chang_khanna_operator_sees_a_perturbed_dense_reference(monkeypatch):
    """A loosened tolerance (1e-1 instead of 1e-9) would let a 1e-6 disagreement through: this test would fail."""
    from rmtcheck.studies.chang_khanna import statements as cs

    assert _check("chang_khanna.mixed_operator", 3)[0].violations == 0
    monkeypatch.setattr(cs, "dense_growth", _scaled(cs.dense_growth))
    r, status = _check("chang_khanna.mixed_operator", 3)
    assert r.violations == 3 and status == 1


@pytest.mark.parametrize("sid", ["dexter.theorem2", "chang_khanna.tightness", "chang_khanna.mixed_operator"])
def test_the_perturbed_rows_are_claimed_exact_rows(sid):
    s = registry()[sid]
    assert s.claimed and s.method == "exact"
