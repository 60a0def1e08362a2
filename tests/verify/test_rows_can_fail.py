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


# ------------------------------------------------------------------ rows against independent references (issue: verify
# catches >= 90 % of the mutants): each sees a 1e-6 perturbation of what it checks
def _perturbed_expression(monkeypatch, which):
    from rmtcheck.stability import thresholds as th

    true = th.expression
    monkeypatch.setattr(th, "expression", lambda name: true(name) * (1 + _EPS) if name == which else true(name))


@pytest.mark.parametrize("sid, name", [("dexter.enumerated.theorem2_derivation", "theorem2_lr"),
                                       ("dexter.enumerated.theorem2_derivation", "theorem2_factor"),
                                       ("dexter.enumerated.sandwich", "sandwich_ratio"),
                                       ("dexter.gd_criterion_iterated", "gd_lr")])
def test_derivation_rows_see_a_perturbed_proof(monkeypatch, sid, name):
    assert _check(sid, 4)[0].violations == 0
    _perturbed_expression(monkeypatch, name)
    r, status = _check(sid, 4)
    assert r.violations == 4 and status == 1


def _perturb(monkeypatch, module, attr, factor=1.0 + _EPS):
    monkeypatch.setattr(module, attr, _scaled(getattr(module, attr), factor))


def _definition_targets():
    import importlib

    # the modules (the packages re-export functions that share a module's name)
    coherence, three_axis, unlearning = (importlib.import_module(f"rmtcheck.stability.{m}")
                                         for m in ("coherence", "three_axis", "unlearning"))
    from rmtcheck.studies import ascent
    from rmtcheck.studies.dexter import statements as ds
    from rmtcheck.studies.rmt import statements as rs

    return [("dexter.coherence_definition", coherence, "coherence_matrix"),
            ("dexter.coherence_definition", ds, "coherence"),
            ("chang_khanna.cross_coherence_definition", three_axis, "cross_coherence"),
            ("chang_khanna.enumerated.mean_step", unlearning, "mixed_hessian"),
            ("chang_khanna.enumerated.lyapunov", unlearning, "diagonal_lyapunov"),
            ("rmt.floor_perron_root", rs, "noise_floor"),
            ("rmt.snr_prediction_formula", rs, "snr_prediction"),
            ("ascent.klom_histogram", ascent, "klom_per_point")]


@pytest.mark.parametrize("case", range(8))
def test_definition_rows_see_a_perturbed_quantity(monkeypatch, case):
    sid, module, attr = _definition_targets()[case]
    assert _check(sid, 4)[0].violations == 0
    _perturb(monkeypatch, module, attr)
    r, status = _check(sid, 4)
    assert r.violations == 4 and status == 1


def test_lemma6_row_sees_a_perturbed_margin(monkeypatch):
    from rmtcheck.studies import ascent

    assert _check("ascent.lemma6", 2)[0].violations == 0
    true = ascent.oracle_margins
    monkeypatch.setattr(ascent, "oracle_margins", lambda *a: (lambda x, y, w: (x, y * (1 + _EPS), w))(*true(*a)))
    r, status = _check("ascent.lemma6", 2)
    assert r.violations == 2 and status == 1


def test_least_squares_row_sees_residuals_off_the_optimum(monkeypatch):
    from rmtcheck.studies.chang_khanna import statements as cs

    assert _check("chang_khanna.least_squares_optimum", 5)[0].violations == 0
    true = cs.least_squares_instance
    monkeypatch.setattr(cs, "least_squares_instance",
                        lambda *a: (lambda R, F, gr, gf: (R, F, gr * (1 + _EPS), gf))(*true(*a)))
    r, status = _check("chang_khanna.least_squares_optimum", 5)
    assert r.violations == 5 and status == 1


def test_enumerated_secular_row_runs_the_secular_route(monkeypatch):
    """The row's instances take the secular route: a 1e-6 error in its solver is seen."""
    from rmtcheck.stability import _secular

    assert _check("dexter.enumerated.secular", 3)[0].violations == 0
    true = _secular.perron
    monkeypatch.setattr(_secular, "perron", lambda rec, lr, state: (lambda r, v: (r * (1 + _EPS), v))(
        *true(rec, lr, state)))
    r, status = _check("dexter.enumerated.secular", 3)
    assert r.violations == 3 and status == 1


_NEW_EXACT = ["dexter.enumerated.secular", "dexter.enumerated.theorem2_derivation", "dexter.enumerated.sandwich", "dexter.gd_criterion_iterated",
              "dexter.coherence_definition", "chang_khanna.enumerated.mean_step", "chang_khanna.enumerated.lyapunov",
              "chang_khanna.cross_coherence_definition", "chang_khanna.least_squares_optimum", "rmt.floor_perron_root",
              "rmt.snr_prediction_formula", "ascent.klom_histogram", "ascent.lemma6"]


@pytest.mark.parametrize("sid", _NEW_EXACT)
def test_the_new_rows_are_claimed_exact_rows(sid):
    s = registry()[sid]
    assert s.claimed and s.method == "exact" and s.false_alarm is None
