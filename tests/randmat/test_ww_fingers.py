"""WeightWatcher's ``xmax`` and "fix fingers" options of the power-law fit, against a small independent port of
WeightWatcher's rules (``WeightWatcher.fit_powerlaw`` in weightwatcher/weightwatcher.py, ``fit_clipped_powerlaw`` in
weightwatcher/RMT_Util.py, ``WWFit`` in weightwatcher/WW_powerlaw.py, and ``powerlaw.Fit``'s x_min range as the
``powerlaw`` package 1.x scans it), and on constructed spectra whose fingers the clipping must remove exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.randmat.powerlaw import TooFewEigenvalues, fit_powerlaw

THRESH = 1e-5  # WeightWatcher's EVALS_THRESH


# ----------------------------------------------------------------------------- the port
def _wwfit(data, candidates=None):
    """WWFit on sorted data (xmax=None): every point but the last a candidate, left-ECDF KS, first minimum.

    ``candidates``: the x_min values allowed (powerlaw's range scan); the tail is every point >= x_min.
    """
    data = np.sort(np.asarray(data, dtype=float))
    N = data.size
    logd = np.log(data)
    best = None
    for i in range(N - 1):
        if candidates is not None and data[i] not in candidates:
            continue
        if i > 0 and data[i] == data[i - 1] and candidates is not None:
            continue  # powerlaw takes each distinct value once, with all points >= it
        n = float(N - i)
        alpha = 1 + n / (np.sum(logd[i:]) - n * logd[i])
        D = np.max(np.abs(1 - (data[i:] / data[i]) ** (1 - alpha) - np.arange(n) / n)) if alpha > 1 else 1.0
        if best is None or D < best["D"]:
            best = {"alpha": alpha, "xmin": data[i], "D": D, "n_tail": int(n), "sigma": (alpha - 1) / np.sqrt(n)}
    if best is None:  # powerlaw: "Less than 2 unique data values left", a failed fit in WeightWatcher
        return None
    best["xmax"] = data[-1]
    return best


def _ww_fit_powerlaw(evals, xmax=None, fix_fingers=None, max_fingers=10, xmin_max=None):
    """WeightWatcher's fit_powerlaw with pl_package='ww' (and powerlaw's range scan for xmin_peak)."""
    evals = np.sort(np.asarray(evals, dtype=float))
    if isinstance(xmax, int):
        evals = evals[:-abs(xmax)]
    nz = evals[evals > THRESH]
    raw_alpha = num_fingers = None
    if fix_fingers == "xmin_peak":
        h = np.histogram(np.log10(nz), bins=100)
        peak = 10 ** h[1][np.argmax(h[0])]
        xmin_max = 1.5 * peak if xmin_max is None else xmin_max
        lo, hi = sorted((np.log10(0.95 * peak), xmin_max))
        inside = np.unique(nz[(nz >= lo) & (nz <= hi)])[:-1]  # powerlaw 1.x: the last distinct value is dropped
        fit = _wwfit(nz, candidates=set(inside.tolist()))
    elif fix_fingers == "clip_xmax":  # RMT_Util.fit_clipped_powerlaw
        first = fit = _wwfit(nz)
        num_fingers = 0
        for idx in range(2, max_fingers):
            f = _wwfit(nz[:-idx])
            if f["alpha"] + 1.0 < first["alpha"]:
                fit, num_fingers = f, idx - 1
                break
            if f["alpha"] <= 2.0:
                break
        raw_alpha = first["alpha"]
    else:
        fit = _wwfit(nz)
    if fit is None:
        return None
    fit["num_pl_spikes"] = int(np.sum(evals >= fit["xmin"]))
    fit.update(raw_alpha=raw_alpha, num_fingers=num_fingers)
    return fit


def _spectrum(kind, N, M, seed):
    g = np.random.default_rng(seed)
    W = g.standard_normal((N, M)) if kind == "gaussian" else g.standard_t(kind, (N, M))
    ev = np.linalg.eigvalsh(W.T @ W / N)
    if seed % 2:  # a few planted outliers on top, as fingers
        ev = np.concatenate([ev, ev[-1] * (1.5 + 0.01 * np.arange(seed % 5 + 2))])
    return ev


def _same(fit, ref):
    assert abs(fit.alpha - ref["alpha"]) <= 1e-11 * ref["alpha"]
    assert fit.xmin == ref["xmin"] and fit.xmax == ref["xmax"]
    assert abs(fit.ks_distance - ref["D"]) <= 1e-12
    assert abs(fit.alpha_stderr - ref["sigma"]) <= 1e-11 * ref["sigma"]
    assert fit.num_pl_spikes == ref["num_pl_spikes"]


# ----------------------------------------------------------------------------- against the port
@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["gaussian", 2.5, 4.0]), N=st.integers(60, 300), ratio=st.floats(0.15, 1.0),
       seed=st.integers(0, 2**16), option=st.sampled_from(["xmax", "xmin_peak", "clip_xmax"]),
       scan=st.sampled_from(["full", "pruned"]))
def test_the_options_equal_a_port_of_weightwatcher(kind, N, ratio, seed, option, scan):
    ev = _spectrum(kind, N, max(12, int(ratio * N)), seed)
    if option == "xmax":
        k = -(seed % 7 + 1)
        fit, ref = fit_powerlaw(ev, xmax=k, scan=scan), _ww_fit_powerlaw(ev, xmax=k)
        assert fit.n_clipped == -k and fit.xmax == np.sort(ev)[k - 1]
    else:
        ref = _ww_fit_powerlaw(ev, fix_fingers=option)
        if ref is None:  # no candidate in the xmin_peak window: WeightWatcher's fit fails, the layer is skipped here
            with pytest.raises(TooFewEigenvalues, match="window"):
                fit_powerlaw(ev, fix_fingers=option, scan=scan)
            return
        fit = fit_powerlaw(ev, fix_fingers=option, scan=scan)
    _same(fit, ref)
    if option == "clip_xmax":
        assert fit.raw_alpha == pytest.approx(ref["raw_alpha"], rel=1e-11) and fit.num_fingers == ref["num_fingers"]
        assert fit.n_clipped == (ref["num_fingers"] + 1 if ref["num_fingers"] else 0)
    else:
        assert fit.raw_alpha is None and fit.num_fingers is None


def test_defaults_are_weightwatchers_and_leave_the_fit_unchanged():
    ev = _spectrum(3.0, 400, 200, 3)
    a, b = fit_powerlaw(ev), fit_powerlaw(ev, xmax=None, fix_fingers=None, max_fingers=10)
    assert (a.alpha, a.xmin, a.n_tail, a.n_clipped, a.fix_fingers) == (b.alpha, b.xmin, b.n_tail, 0, None)
    _same(a, _ww_fit_powerlaw(ev))
    assert a.xmax == np.max(ev) and a.num_pl_spikes == a.n_tail


def test_xmin_peak_window_is_weightwatchers():
    """The window is (log10(0.95 p), 1.5 p), p the left edge of the fullest of 100 log10 bins: here the spectrum is
    built so that p is known in closed form."""
    ev = np.concatenate([np.full(50, 10.0) * (1 + 1e-9 * np.arange(50)), np.geomspace(1.0, 1e4, 200)])
    fit = fit_powerlaw(ev, fix_fingers="xmin_peak")
    edges = np.linspace(0.0, 4.0, 101)
    p = 10 ** edges[np.searchsorted(edges, 1.0, side="right") - 1]  # the bin holding the 50 values near 10
    assert fit.xmin_window == pytest.approx((np.log10(0.95 * p), 1.5 * p), rel=1e-12)
    assert fit.xmin <= 1.5 * p
    moved = fit_powerlaw(ev, fix_fingers="xmin_peak", xmin_max=100.0)
    assert moved.xmin_window[1] == 100.0 and moved.xmin <= 100.0


# ----------------------------------------------------------------------------- constructed fingers
@pytest.mark.parametrize("n", [12, 20, 30])
@pytest.mark.parametrize("k", list(range(2, 10)))
@pytest.mark.parametrize("gap", [1e8, 1e30])
def test_clipping_removes_exactly_the_planted_fingers(n, k, gap):
    """A bulk of n log-spaced values, a pair of large eigenvalues at ``gap`` and k fingers just above them (ratio
    1 + eps each): the raw fit is the tight top cluster of k + 2 points, alpha = 1 + 2 / ((k + 1) ln(1 + eps)) in
    closed form; clipping fewer than k keeps a cluster of at least 3 points (alpha only grows), clipping k leaves the
    spectrum without its fingers. So WeightWatcher's rule removes exactly the k planted fingers (num_fingers k - 1,
    WeightWatcher's count) and the fit is that of the spectrum without them."""
    eps = 1e-3
    bulk = 10 ** (np.arange(n) / n)
    top = gap * (1 + eps) ** np.arange(k + 2)
    ev = np.concatenate([bulk, top])
    fit = fit_powerlaw(ev, fix_fingers="clip_xmax")
    clean = fit_powerlaw(np.concatenate([bulk, top[:2]]))
    assert fit.raw_alpha == pytest.approx(1 + 2 / ((k + 1) * np.log1p(eps)), rel=1e-9)
    assert fit.n_clipped == k and fit.num_fingers == k - 1
    assert (fit.alpha, fit.xmin, fit.n_tail) == (clean.alpha, clean.xmin, clean.n_tail)
    assert fit.xmax == top[1] and fit.num_pl_spikes == clean.n_tail + k  # WeightWatcher counts the fingers
    assert fit.alpha + 1 < fit.raw_alpha


def test_a_single_finger_takes_two_eigenvalues_with_it():
    """WeightWatcher's loop starts by removing two: a single planted finger goes with the eigenvalue below it
    (n_clipped 2, WeightWatcher's num_fingers 1), and the fit is that of the spectrum without both."""
    bulk = 10 ** (np.arange(20) / 20)
    top = 1e8 * (1 + 1e-3) ** np.arange(3)
    fit = fit_powerlaw(np.concatenate([bulk, top]), fix_fingers="clip_xmax")
    assert fit.n_clipped == 2 and fit.num_fingers == 1
    assert fit.alpha == fit_powerlaw(np.concatenate([bulk, top[:1]])).alpha


def test_clipping_stops_at_max_fingers():
    """With 9 planted fingers and max_fingers=9 the loop (2 .. 8 removed) cannot reach them: the raw fit stays."""
    bulk = 10 ** (np.arange(20) / 20)
    ev = np.concatenate([bulk, 1e8 * (1 + 1e-3) ** np.arange(11)])
    assert fit_powerlaw(ev, fix_fingers="clip_xmax").n_clipped == 9
    short = fit_powerlaw(ev, fix_fingers="clip_xmax", max_fingers=9)
    assert short.n_clipped == 0 and short.num_fingers == 0 and short.alpha == short.raw_alpha


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, word", [
    ({"xmax": 0}, "xmax"), ({"xmax": 2.0}, "xmax"), ({"xmax": True}, "xmax"), ({"xmax": "force"}, "xmax"),
    ({"fix_fingers": "peak"}, "fix_fingers"), ({"max_fingers": 2}, "max_fingers"),
    ({"xmin_max": 3.0}, "xmin_max"), ({"fix_fingers": "xmin_peak", "xmin_max": -1.0}, "xmin_max"),
    ({"fix_fingers": "xmin_peak", "xmin_max": 1e-9}, "xmin_max"), ({"fix_fingers": "clip_xmax", "xmax": -2}, "xmax"),
    ({"fix_fingers": "clip_xmax", "xmin": 1.0}, "xmin"),
])
def test_bad_options_are_refused_in_one_line(kwargs, word):
    ev = _spectrum(3.0, 200, 100, 0)
    with pytest.raises(ValueError) as exc:
        fit_powerlaw(ev, **kwargs)
    msg = str(exc.value)
    assert word in msg and "\n" not in msg


def test_xmax_above_half_the_spectrum_is_too_few_eigenvalues():
    with pytest.raises(TooFewEigenvalues, match="more than half"):
        fit_powerlaw(np.arange(1.0, 21.0), xmax=-11)
    assert fit_powerlaw(np.arange(1.0, 21.0), xmax=10).n_used == 10
