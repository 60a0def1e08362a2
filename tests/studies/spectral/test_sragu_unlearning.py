"""AGU / SRAGU properties, metrics, and the evaluation on real data."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.studies.spectral import evaluation as E
from rmtcheck.studies.spectral import mlp as M
from rmtcheck.studies.spectral import sragu as U


def _setup(seed, n=20):
    g = np.random.default_rng(seed)
    model = M.MLP((4, 6, 5, 3))
    params = M.init_params(model, g)
    return model, params, g.standard_normal((n, 4)), g.integers(0, 3, n), g


@given(seed=st.integers(0, 2**31), c=st.floats(1e-3, 1e3))
@settings(max_examples=10)
def test_sensitivity_range_and_scale_invariance(seed, c):
    model, params, X, y, _ = _setup(seed)
    R = U.sensitivities(model, params, X, y, batch=6)
    Rc = U.sensitivities(model, params, X, y, batch=6, loss_scale=c)
    flat = np.concatenate([r.ravel() for r in R])
    assert flat.min() >= 0 and flat.max() == 1.0
    for a, b in zip(R, Rc):
        assert np.allclose(a, b, rtol=1e-10, atol=1e-15)


def test_zero_sensitivity_never_moves():
    model, params, X, y, g = _setup(1)
    X[:, 2] = 0.0
    res = U.agu(model, params, X, y, lr=0.5, max_passes=4, delta=0.0, batch=5, rng=0)
    z = res.weights[0] == 0
    assert z[2].all() and np.array_equal(res.params[0][z], params[0][z])
    assert not np.array_equal(res.params[0][~z], params[0][~z])


def test_stopping_rule():
    model, params, X, y, _ = _setup(2)
    ref = U.agu(model, params, X, y, lr=0.1, max_passes=5, delta=0.0, rng=4)
    assert ref.passes == 5 and ref.stopped == "max_passes" and len(ref.drifts) == 5
    delta = sorted(ref.drifts)[2]
    first = int(np.flatnonzero(np.asarray(ref.drifts) <= delta)[0]) + 1
    run = U.agu(model, params, X, y, lr=0.1, max_passes=5, delta=delta, rng=4)
    assert run.passes == first and run.stopped == "drift"


@given(seed=st.integers(0, 2**31), a1=st.floats(0.5, 9), a2=st.floats(0.5, 9), a3=st.floats(0.5, 9))
@example(seed=0, a1=4.0, a2=4.0, a3=4.0)  # equal gates: SRAGU == nu * AGU everywhere
@settings(max_examples=10)
def test_sragu_direction_equals_agu(seed, a1, a2, a3):
    model, params, X, y, _ = _setup(seed)
    alphas = np.array([a1, a2, a3])
    a = U.agu(model, params, X, y, lr=0.2, max_passes=1, batch=y.size, rng=0)
    s = U.sragu(model, params, X, y, lr=0.2, max_passes=1, batch=y.size, rng=0, alphas=alphas)
    nu = U.gate(alphas)
    for l in range(3):
        da = np.concatenate([(a.params[k] - params[k]).ravel() for k in (2 * l, 2 * l + 1)])
        ds = np.concatenate([(s.params[k] - params[k]).ravel() for k in (2 * l, 2 * l + 1)])
        assert np.allclose(ds, nu[l] * da, rtol=1e-12, atol=1e-15)
        assert ds @ da / (np.linalg.norm(ds) * np.linalg.norm(da)) == pytest.approx(1.0, abs=1e-12)


def test_gate_properties():
    p = U.GateParams()
    x = np.linspace(-10, 20, 30001)
    v = U.gate(x)
    assert v.min() >= p.nu_min and v.max() <= p.nu_max + 1e-15
    assert U.gate(4.0) == pytest.approx(1.0, abs=1e-15)
    assert 2 <= x[np.argmax(v)] <= 6
    assert np.max(np.abs(np.diff(v))) < 1e-2  # continuous on a fine grid
    assert U.gate(0.5) < 0.2 and U.gate(7.5) < 0.2 and U.gate(np.nan) == p.nu_min
    assert U.gate(1.5) == pytest.approx(U.gate(6.5))  # symmetric about the band centre
    with pytest.raises(ValueError, match="band"):
        U.GateParams(low=3, high=2)


def test_metrics_zero_for_gold_and_kl_asymmetric():
    model, params, X, y, g = _setup(3)
    other = M.init_params(model, g)
    m0 = E.compare(model, params, params, X, y, X, y, X, y)
    assert m0["disagreement"] == m0["tv"] == m0["kl_gold_unlearned"] == m0["kl_unlearned_gold"] == 0
    m = E.compare(model, other, params, X, y, X, y, X, y)
    assert m["kl_gold_unlearned"] > 0 and m["kl_unlearned_gold"] > 0
    assert m["kl_gold_unlearned"] != pytest.approx(m["kl_unlearned_gold"], rel=1e-6)


def test_mia_auc():
    assert E.mia_auc([0.1, 0.2], [0.5, 0.6]) == 1.0
    assert E.mia_auc([0.5, 0.6], [0.1, 0.2]) == 0.0
    assert E.mia_auc([0.3, 0.3], [0.3]) == 0.5


def test_ascent_guards():
    model, params, X, y, _ = _setup(5)
    cap = U.gradient_ascent(model, params, X, y, lr=5.0, max_passes=50, loss_cap=3.0, rng=0)
    assert cap.stopped in ("loss_cap", "diverged") and cap.passes < 50
    assert all(np.all(np.isfinite(p)) for p in cap.params)
    with pytest.raises(ValueError, match="retain"):
        U.agu(model, params, X, y, retain_weight=1.0)


def test_evaluation_on_digits():
    pytest.importorskip("sklearn")
    res = E.run_evaluation(hidden=(32,), epochs=8, max_passes=5, seed=1)
    assert {r["regime"] for r in res["records"]} == set(E.REGIMES)
    assert {r["method"] for r in res["records"]} == set(E.METHODS)
    for r in res["records"]:
        assert r["kl_gold_unlearned"] >= 0 and r["kl_unlearned_gold"] >= 0 and 0 <= r["mia_auc"] <= 1
    for g in res["gold"].values():
        assert g["disagreement"] == 0 and g["kl_gold_unlearned"] == 0
    none_class = [r for r in res["records"] if r["regime"] == "class" and r["method"] == "none"][0]
    assert none_class["forget_acc"] > 0.8 and res["gold"]["class"]["forget_acc"] == 0
    assert len(res["summary"]) == 3 and "SRAGU" in E.evaluation_table(res)


def test_sragu_cli_quick(capsys):
    pytest.importorskip("sklearn")
    from rmtcheck.cli import main

    assert main(["sragu", "--quick", "--seed", "2", "--seeds", "1"]) == 0  # one run: its full table
    out = capsys.readouterr().out
    assert "gold (retrain)" in out and "SRAGU vs AGU" in out
