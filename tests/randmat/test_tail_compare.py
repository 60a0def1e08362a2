"""Power law against its alternatives on a tail (``rmtcheck.randmat.compare_tail``), checked against the
``powerlaw`` package's ``distribution_compare`` (an independent implementation of the same tests)."""

import warnings

import numpy as np
import pytest

from rmtcheck.randmat import best_fit, compare_tail, fit_powerlaw, tail_loglikelihoods
from rmtcheck.randmat.spectral import diagnose, esd

powerlaw = pytest.importorskip("powerlaw", reason="the reference needs the 'powerlaw' extra (installed in CI)")


def _samples():
    rng = np.random.default_rng(0)
    return {"pareto": (1 - rng.random(1500)) ** (-1 / 1.5), "lognormal": np.exp(rng.normal(0, 1.0, 1500)),
            "exponential": 1 + rng.exponential(1.0, 1500), "student_t_esd": esd(rng.standard_t(2.0, (500, 250)))}


@pytest.mark.parametrize("name", list(_samples()))
def test_ratios_and_p_values_match_the_powerlaw_package(name):
    x = _samples()[name]
    xmin = fit_powerlaw(x).xmin
    ours = compare_tail(x, xmin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = powerlaw.Fit(x, xmin=xmin, verbose=False, parameter_ranges={"alpha": [1.0, 20.0]})
        ref = {a: F.distribution_compare("power_law", a) for a in ("exponential", "lognormal", "truncated_power_law")}
        ll_ref = {a: float(np.sum(getattr(F, a).loglikelihoods(F.data))) for a in ref}
    # exponential and power law: closed-form MLEs here (powerlaw optimises the exponential numerically)
    assert ours["exponential"]["R"] == pytest.approx(ref["exponential"][0], rel=1e-5, abs=1e-6)  # theirs: numerical
    assert ours["exponential"]["p"] == pytest.approx(ref["exponential"][1], rel=1e-2, abs=1e-12)
    # numerical MLEs: ours reaches at least powerlaw's likelihood, and the ratios agree where both converge
    for a in ("lognormal", "truncated_power_law"):
        assert ours[a]["loglikelihood"] >= ll_ref[a] - 1e-6 * abs(ll_ref[a])
        if ours[a]["loglikelihood"] - ll_ref[a] < 1e-3:
            assert ours[a]["R"] == pytest.approx(ref[a][0], abs=2e-3)
            assert ours[a]["p"] == pytest.approx(ref[a][1], abs=2e-3)  # chi^2_1 for the nested law


def test_best_fit_reads_the_sign_and_its_significance():
    s = _samples()
    assert best_fit(compare_tail(s["pareto"], fit_powerlaw(s["pareto"]).xmin))[0] == "power_law"
    # the whole exponential sample (xmin = 1): the power law is significantly worse
    assert best_fit(compare_tail(s["exponential"], 1.0))[0] != "power_law"
    x = s["exponential"]
    c = compare_tail(x, 1.0, alternatives=("exponential",))
    assert c["exponential"]["R"] < 0 and c["exponential"]["p"] < 1e-6
    assert best_fit(c) == ("exponential", c["exponential"]["p"])
    # nothing significant either way: the power law, p = 1
    assert best_fit({"power_law": {"loglikelihood": 0.0}, "lognormal": {"R": -0.1, "p": 0.8, "loglikelihood": 0.1}}) \
        == ("power_law", 1.0)


def test_loglikelihoods_are_normalised_densities():
    """Each fitted law integrates to 1 on [xmin, inf) (numerical quadrature of exp(loglikelihood))."""
    from scipy.integrate import quad

    x = _samples()["student_t_esd"]
    xmin = fit_powerlaw(x).xmin
    fits = tail_loglikelihoods(x, xmin)
    y = np.sort(x[x >= xmin])
    for law, (ll, params) in fits.items():
        assert ll.shape == y.shape and np.all(np.isfinite(ll))
    # rebuild the truncated power law density from its parameters (in units of xmin) and integrate it
    a, u = fits["truncated_power_law"][1]["alpha"], fits["truncated_power_law"][1]["lambda"]
    dens = lambda t: np.exp(-a * np.log(t) - u * t)  # noqa: E731
    total, _ = quad(dens, 1.0, np.inf, limit=200)
    ll_first = -a * np.log(y[0] / xmin) - u * y[0] / xmin - np.log(total) - np.log(xmin)
    assert fits["truncated_power_law"][0][0] == pytest.approx(ll_first, rel=1e-7)


def test_diagnose_reports_best_fit_on_request_and_refuses_bad_input():
    W = np.random.default_rng(3).standard_t(2.0, (300, 150))
    d = diagnose(W, bootstrap=0)
    assert d.record()["best_fit"] is None
    rec = diagnose(W, bootstrap=0, best_fit=True).record()
    assert rec["best_fit"] in ("power_law", "truncated_power_law", "lognormal", "exponential")
    assert set(rec["tail_comparison"]) == {"truncated_power_law", "lognormal", "exponential"}
    with pytest.raises(ValueError, match="laws"):
        tail_loglikelihoods([1.0, 2.0, 3.0], 1.0, laws=("gamma",))
    with pytest.raises(ValueError, match="xmin"):
        compare_tail([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match="distinct"):
        compare_tail([1.0, 2.0, 3.0], 5.0)
