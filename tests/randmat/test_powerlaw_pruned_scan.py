"""The pruned x_min scan of fit_powerlaw (scan="pruned") chooses exactly what the full O(n^2) scan chooses: the same
candidate index, x_min, alpha, KS distance and tail size, bitwise; every KS distance it computes is bitwise the full
scan's, and the entries it leaves NaN are exactly the candidates it proved non-minimal (all strictly above the
minimum). Hypothesis draws the structure of the spectrum (Pareto tails, Student-t and Gaussian ESDs, ties, a
constant top, bulk-plus-tail mixtures, tiny and larger n) and the options (conventions, ECDFs, min_tail,
estimators)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.randmat import _ks_scan as K
from rmtcheck.randmat.powerlaw import PRUNE_FROM, fit_powerlaw
from rmtcheck.randmat.spectral import esd

KINDS = ("pareto", "student-t", "gaussian", "ties", "integers", "constant-top", "mixture", "lognormal")


def _spectrum(kind, n, seed, shape):
    g = np.random.default_rng(seed)
    if kind == "pareto":
        return (1 - g.random(n)) ** (-1 / (shape - 1))  # density exponent `shape`
    if kind in ("student-t", "gaussian"):
        M = min(max(10, n), 600)  # an eigendecomposition per example: keep it small
        W = g.standard_t(shape, (2 * M, M)) if kind == "student-t" else g.standard_normal((M + M // 2, M))
        return esd(W)
    if kind == "ties":  # a rounded Pareto tail: runs of repeated values
        return np.round((1 - g.random(n)) ** (-1 / (shape - 1)), 1)
    if kind == "integers":
        return g.integers(1, max(2, int(5 * shape)), n).astype(float)
    if kind == "constant-top":  # the largest values equal: candidates of infinite alpha there
        x = (1 - g.random(n)) ** (-1 / (shape - 1))
        x[np.argsort(x)[-max(2, n // 10):]] = x.max()
        return x
    if kind == "mixture":  # a bulk and a separate power-law tail
        h = n // 2
        return np.concatenate([1 + g.random(h), 3 * (1 - g.random(n - h)) ** (-1 / (shape - 1))])
    return np.exp(shape * g.standard_normal(n) / 3)


spectra = st.builds(_spectrum, st.sampled_from(KINDS), st.one_of(st.integers(10, 60), st.integers(61, 2500)),
                    st.integers(0, 2**31), st.floats(1.3, 6.0))
options = st.one_of(
    st.fixed_dictionaries({"estimator": st.sampled_from(["ww", "strict"])}),
    st.fixed_dictionaries({"convention": st.sampled_from(["ww", "hill"]), "ecdf": st.sampled_from(["left", "two-sided"]),
                           "min_tail": st.sampled_from([2, 3, 10, 50])}),
)


def _fit_or_none(x, **kw):
    try:
        return fit_powerlaw(x, **kw)
    except ValueError:  # too few eigenvalues, or every tail degenerate: the same for both scans (checked below)
        return None


def assert_same_choice(x, **kw):
    full = _fit_or_none(x, scan="full", **kw)
    pruned = _fit_or_none(x, scan="pruned", **kw)
    assert (full is None) == (pruned is None)
    if full is None:
        return None, None
    assert pruned.index == full.index
    assert pruned.xmin == full.xmin
    assert pruned.alpha == full.alpha
    assert pruned.ks_distance == full.ks_distance  # bitwise (the brief asks 1e-15)
    assert pruned.n_tail == full.n_tail
    assert pruned.alpha_stderr == full.alpha_stderr
    assert np.array_equal(pruned.xmins, full.xmins) and np.array_equal(pruned.alphas, full.alphas)
    assert np.array_equal(pruned.n_tails, full.n_tails)
    done = ~np.isnan(pruned.ks_curve)
    assert np.array_equal(pruned.ks_curve[done], full.ks_curve[done])
    # NaN only where proved non-minimal: strictly above the minimum of the full curve
    assert np.all(full.ks_curve[~done] > full.ks_distance)
    assert not np.isnan(full.ks_curve).any()
    return full, pruned


@given(x=spectra, kw=options)
@settings(max_examples=60)
def test_pruned_scan_chooses_what_the_full_scan_chooses(x, kw):
    assert_same_choice(x, **kw)


@given(seed=st.integers(0, 2**31), alpha=st.floats(1.5, 5.0), conv=st.sampled_from(["ww", "hill"]),
       ecdf=st.sampled_from(["left", "two-sided"]))
@settings(max_examples=4)
def test_pruned_scan_large_pareto(seed, alpha, conv, ecdf):
    x = (1 - np.random.default_rng(seed).random(6000)) ** (-1 / (alpha - 1))
    full, pruned = assert_same_choice(x, convention=conv, ecdf=ecdf, min_tail=2)
    assert np.count_nonzero(~np.isnan(pruned.ks_curve)) < 0.1 * x.size  # it did prune


@pytest.mark.parametrize("knobs", [{"_ROUNDS": 0}, {"_ROUNDS": 1, "_SEEDS": 1}, {"_K0": 2}, {"_K0": 64, "_SEEDS": 16},
                                   {"_GRID_ROWS": 7, "_ROWS": 3, "_EXACT_ELEMS": 0}])
@given(x=spectra, kw=options)
@settings(max_examples=8)
def test_pruned_scan_exact_for_any_tuning(knobs, x, kw):
    # the tuning constants change the work, never the result
    with pytest.MonkeyPatch.context() as mp:
        for k, v in knobs.items():
            mp.setattr(K, k, v)
        assert_same_choice(x, **kw)


@given(x=spectra, conv=st.sampled_from([0, 1]), ecdf=st.sampled_from(["left", "two-sided"]), K0=st.integers(2, 40))
@settings(max_examples=40)
def test_bounds_bracket_the_distance(x, conv, ecdf, K0):
    """The [derived] bounds: grid LB <= D <= UB = LB + G/m (+ slack), and the hot-column LB <= D, per candidate."""
    L = np.log(np.sort(x[x > 0]))
    if L.size - conv < 2:
        return
    idx, alphas, D, m = K.scan(L, conv, 2, ecdf)
    ok = np.isfinite(alphas) & (m > 2 * K0)
    rows = np.flatnonzero(ok)
    if not rows.size:
        return
    ab, inv_m, extra = alphas - 1.0, 1.0 / m, 1.0 if ecdf == "two-sided" else 0.0
    LB, UB = K._grid_bounds(L, rows, ab, inv_m, m.astype(np.intp), conv, extra, K0)
    assert np.all(LB <= D[rows]) and np.all(D[rows] <= UB)
    cols = np.unique(np.random.default_rng(0).integers(0, L.size, 7))
    H = K._hot_bound(L, rows, ab, inv_m, cols, conv, extra)
    assert np.all(H <= D[rows])


def test_ks_rows_is_independent_of_the_blocks():
    # the claim the pruning rests on: a candidate's exact D is bitwise the same whatever rows share its block
    L = np.log(np.sort((1 - np.random.default_rng(4).random(3000)) ** -0.6))
    idx, alphas, D, m = K.scan(L, 0, 2, "two-sided")
    ab, inv_m = alphas - 1.0, 1.0 / m
    for rows in (idx[::7], idx[5:9], idx[[0, 1500, 2990]], idx[-3:], np.array([1234])):
        assert np.array_equal(K.ks_rows(L, rows, ab, inv_m, 0, 1.0), D[rows])
    out, jmax, jmin = K.ks_rows(L, idx[100:400:3], ab, inv_m, 0, 1.0, where=True)
    assert np.array_equal(out, D[100:400:3])
    assert np.all(jmax >= idx[100:400:3]) and np.all(jmin >= idx[100:400:3])


@pytest.mark.parametrize("kind", ["pareto", "student-t", "ties", "mixture"])
@pytest.mark.parametrize("ecdf", ["left", "two-sided"])
def test_nan_entries_are_exactly_the_pruned_candidates(kind, ecdf):
    # the rows the pruned scan computes exactly (recorded at ks_rows) are its non-NaN entries; the others are NaN and
    # strictly above the minimum of the full scan
    x = _spectrum(kind, 1500, 11, 2.5)
    L = np.log(np.sort(x))
    computed = []
    real = K.ks_rows

    def recording(L_, rows, *a, **kw):
        computed.extend(int(r) for r in rows)
        return real(L_, rows, *a, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(K, "ks_rows", recording)
        idx, alphas, D, m = K.scan(L, 0, 2, ecdf, pruned=True)
    _, _, Dfull, _ = K.scan(L, 0, 2, ecdf)
    nan = np.isnan(D)
    assert nan.any()  # it pruned
    assert len(computed) == len(set(computed))  # each candidate computed at most once
    assert sorted(computed) == sorted(np.flatnonzero(~nan & np.isfinite(alphas)).tolist())
    assert np.array_equal(D[~nan], Dfull[~nan])
    assert np.all(Dfull[nan] > Dfull.min())
    assert np.nanargmin(D) == np.argmin(Dfull)


def test_auto_prunes_from_prune_from():
    g = np.random.default_rng(1)
    small = (1 - g.random(PRUNE_FROM - 1)) ** -0.5
    big = (1 - g.random(PRUNE_FROM + 500)) ** -0.5
    assert not np.isnan(fit_powerlaw(small, min_tail=2).ks_curve).any()
    assert np.isnan(fit_powerlaw(big, min_tail=2).ks_curve).any()
    with pytest.raises(ValueError, match="scan"):
        fit_powerlaw(big, scan="fast")


def test_fixed_xmin_and_full_bootstrap_agree():
    x = (1 - np.random.default_rng(2).random(1500)) ** (-1 / 1.8)
    for xm in (np.sort(x)[700], np.sort(x)[5]):
        a, b = fit_powerlaw(x, xmin=xm, scan="full"), fit_powerlaw(x, xmin=xm, scan="pruned")
        assert (a.index, a.xmin, a.alpha, a.ks_distance, a.n_tail) == (b.index, b.xmin, b.alpha, b.ks_distance,
                                                                         b.n_tail)
    a = fit_powerlaw(x, min_tail=10, bootstrap=6, bootstrap_mode="full", rng=3, scan="full")
    b = fit_powerlaw(x, min_tail=10, bootstrap=6, bootstrap_mode="full", rng=3, scan="pruned")
    assert a.ci == b.ci and a.alpha == b.alpha
