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


def _wrong_nu(model):
    """The without/with-replacement nu with its 1/n dropped (a one-line bug the Monte Carlo rows also catch)."""
    from rmtcheck.stability.sampling import SamplingModel

    true = SamplingModel.nu

    def nu(self):
        v = true.fget(self)
        return v * self.n if self.name == model else v
    return property(nu)


@pytest.mark.parametrize("model", ["without_replacement", "with_replacement"])
def test_enumerated_rows_see_a_wrong_sampling_coefficient(monkeypatch, model):
    from rmtcheck.stability.sampling import SamplingModel

    sid = f"dexter.enumerated.{model}"
    assert _check(sid, 12)[0].violations == 0
    monkeypatch.setattr(SamplingModel, "nu", _wrong_nu(model))
    r, status = _check(sid, 12)
    assert r.violations > 0 and status == 1


def test_secular_route_row_sees_a_perturbed_solver(monkeypatch):
    from rmtcheck.stability import _secular

    assert _check("chang_khanna.secular_route", 6)[0].violations == 0
    true = _secular.perron
    monkeypatch.setattr(_secular, "perron", lambda rec, lr, state: (lambda r, v: (r * (1 + _EPS), v))(
        *true(rec, lr, state)))
    r, status = _check("chang_khanna.secular_route", 6)
    assert r.violations > 0 and status == 1


def test_resist_interval_row_sees_a_wrong_end(monkeypatch):
    from rmtcheck.studies.chang_khanna import statements as cs

    assert _check("chang_khanna.resist_interval", 10)[0].violations == 0
    true = cs.resist_interval
    monkeypatch.setattr(cs, "resist_interval", lambda *a, **k: (lambda iv: None if iv is None else
                                                                 (iv[0], iv[1] * (1 + 1e-4)))(true(*a, **k)))
    r, status = _check("chang_khanna.resist_interval", 10)
    assert r.violations > 0 and status == 1


def test_closed_form_constants_row_sees_a_wrong_centring(monkeypatch):
    import importlib

    mpm = importlib.import_module("rmtcheck.randmat.marchenko_pastur")  # the module (a function shares its name)

    assert _check("rmt.closed_form_constants", 20)[0].violations == 0
    true = mpm.tracy_widom_edge
    monkeypatch.setattr(mpm, "tracy_widom_edge", lambda N, M, s=1.0: (lambda mu, sd: (mu * (1 + 1e-9), sd))(
        *true(N, M, s)))
    r, status = _check("rmt.closed_form_constants", 20)
    assert r.violations == 20 and status == 1


def test_gram_space_row_sees_a_wrong_gram_mean(monkeypatch):
    from rmtcheck.stability import gram

    assert _check("dexter.gram_space", 6)[0].violations == 0
    true = gram.gram_family

    def shifted(K, *a, **k):
        fam = true(K, *a, **k)
        fam.__dict__["mean"] = fam.mean * (1 + 1e-6)
        return fam
    monkeypatch.setattr(gram, "gram_family", shifted)
    r, status = _check("dexter.gram_space", 6)
    assert r.violations > 0 and status == 1
