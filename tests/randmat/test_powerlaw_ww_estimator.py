"""estimator="ww" reproduces WeightWatcher's WWFit: a line-by-line port of its algorithm (every eigenvalue but the
largest a candidate x_min, the MLE on the tail, the KS distance against the left empirical CDF, the first
minimum; eigenvalues at or below an absolute 1e-5 dropped first) agrees to 1e-12 on alpha, x_min, D, the tail
size and sigma."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.randmat.powerlaw import fit_powerlaw


def _wwfit(evals):
    data = np.sort(np.asarray(evals, dtype=np.float64))
    data = data[data > 1e-5]
    N = len(data)
    log_data = np.log(data)
    alphas = np.zeros(N - 1)
    Ds = np.ones(N - 1)
    for i, xmin in enumerate(data[:-1]):
        n = float(N - i)
        alpha = 1 + n / (np.sum(log_data[i:]) - n * log_data[i])
        alphas[i] = alpha
        if alpha > 1:
            Ds[i] = np.max(np.abs(1 - (data[i:] / xmin) ** (-alpha + 1) - np.arange(n) / n))
    sigmas = (alphas - 1) / np.sqrt(N - np.arange(N - 1))
    i = int(np.argmin(Ds))
    return {"alpha": alphas[i], "xmin": data[i], "D": Ds[i], "n_tail": N - i, "sigma": sigmas[i]}


def _spectrum(kind, N, M, seed, scale):
    g = np.random.default_rng(seed)
    if kind == "gaussian":
        W = g.standard_normal((N, M))
    elif kind == "student":
        W = g.standard_t(3.0, (N, M))
    else:  # pareto eigenvalues directly
        return scale * (1 - g.random(M)) ** (-1 / 1.5)
    return scale * np.linalg.eigvalsh(W.T @ W / N)


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["gaussian", "student", "pareto"]), N=st.integers(40, 300), ratio=st.floats(0.1, 1.0),
       seed=st.integers(0, 2**16), scale=st.sampled_from([1.0, 1e-3, 1e3]))
def test_ww_estimator_equals_a_port_of_wwfit(kind, N, ratio, seed, scale):
    M = max(12, int(ratio * N))
    ev = _spectrum(kind, N, M, seed, scale)
    if np.sum(ev > 1e-5) < 12:
        return
    ref = _wwfit(ev)
    fit = fit_powerlaw(ev, estimator="ww")
    assert abs(fit.alpha - ref["alpha"]) <= 1e-12 * ref["alpha"]
    assert fit.xmin == ref["xmin"] and fit.n_tail == ref["n_tail"]
    assert abs(fit.ks_distance - ref["D"]) <= 1e-12
    assert abs(fit.alpha_stderr - ref["sigma"]) <= 1e-12 * ref["sigma"]


def test_the_absolute_cut_is_absolute():
    """A rescaled spectrum loses the eigenvalues that fall to 1e-5 or below (WeightWatcher's rule), the strict
    estimator's relative cut does not depend on the scale."""
    ev = np.concatenate([np.full(5, 1e-3), np.linspace(1.0, 50.0, 60)])
    assert fit_powerlaw(ev, estimator="ww").n_used == 65
    assert fit_powerlaw(ev * 1e-3, estimator="ww").n_used == 60  # the 1e-6 ones are dropped
    assert fit_powerlaw(ev, estimator="strict").n_used == fit_powerlaw(ev * 1e-3, estimator="strict").n_used
