"""Three-axis coherence, the |Tr| convention of sigma_mix, and the unlearning CLI / verify / figures."""

import json

import numpy as np
import pytest
from _families import random_pair
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rmtcheck.randmat.families import dexter_construction
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.families import HessianFamily
from rmtcheck.stability.pairs import PairFamily
from rmtcheck.stability.three_axis import (
    alignment,
    coherence_blocks,
    cross_coherence,
    cross_traces,
    mixed_coherence,
    pair_coherence,
    pair_coherence_naive,
)
from rmtcheck.studies.chang_khanna.constructions import hessian_test_unlearning, rotated_forget, tightness_construction


def _fams(seed, n_r=6, n_f=5, d=3, dense=False):
    return random_pair(seed, n_r, n_f, d, dense)


@given(seed=st.integers(0, 10**6), alpha=st.floats(0, 1), dense=st.booleans())
@example(seed=0, alpha=0.5, dense=False)
@settings(max_examples=20)
def test_three_axis_identity_and_sigma_mix(seed, alpha, dense):
    R, F = _fams(seed, dense=dense)
    P = PairFamily(R, F, alpha=alpha)
    K = P.gram_traces()
    Srr, Sff, Srf = coherence_blocks(R, F)
    a = alpha
    dec = ((1 - a) ** 2 * (Srr**2)[:, None, :, None] + a * a * (Sff**2)[None, :, None, :]
           - a * (1 - a) * ((Srf**2)[:, None, None, :] + (Srf**2).T[None, :, :, None])).reshape(P.n, P.n)
    assert np.allclose(K, dec, rtol=1e-10, atol=1e-10 * np.abs(K).max())
    naive = pair_coherence_naive(R, F, alpha=alpha)
    fast = pair_coherence(R, F, alpha=alpha)
    mf = pair_coherence(R, F, alpha=alpha, method="matrix-free", block_elems=97)
    assert np.isfinite(naive) and abs(fast.sigma_mix - naive) <= 1e-9 * naive
    assert mf.lambda_lower <= fast.lambda_max * (1 + 1e-9) and fast.lambda_max <= mf.lambda_upper * (1 + 1e-9)
    assert abs(mf.sigma_mix - naive) <= 1e-6 * naive
    assert 0 <= fast.negative_fraction <= 1
    assert fast.negative_fraction == pytest.approx(mf.negative_fraction)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@given(seed=st.integers(0, 10**6), alpha=st.floats(0.01, 0.99), n_r=st.integers(2, 14), n_f=st.integers(1, 12))
@example(seed=0, alpha=0.5, n_r=2, n_f=1)
@settings(max_examples=10, deadline=None)
def test_matrix_free_backends_bracket_the_dense_perron_root(backend, seed, alpha, n_r, n_f):
    """Both kernels (fused numba with the symmetric half, NumPy blocks) give a certified bracket."""
    from rmtcheck._lib.pair_kernels import have_numba

    if backend == "numba" and not have_numba():
        pytest.skip("numba not installed")
    R, F = _fams(seed, n_r=n_r, n_f=n_f, d=4)
    dense = pair_coherence(R, F, alpha=alpha, method="dense")
    mf = pair_coherence(R, F, alpha=alpha, method="matrix-free", backend=backend, rtol=1e-9, block_elems=53)
    lam = dense.lambda_max
    assert mf.lambda_lower <= lam * (1 + 1e-12) and lam <= mf.lambda_upper * (1 + 1e-12)
    assert mf.lambda_upper - mf.lambda_lower <= 1e-9 * mf.lambda_upper * (1 + 1e-6)
    assert mf.negative_fraction == pytest.approx(dense.negative_fraction, abs=1e-12)


def test_pair_product_kernels_agree_with_explicit_matrix():
    from rmtcheck._lib.pair_kernels import have_numba, pair_product

    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((9, 4)), rng.standard_normal((7, 4))
    R, F, C = 0.49 * (A @ A.T) ** 2, 0.09 * (B @ B.T) ** 2, 0.21 * (A @ B.T) ** 2
    Z = rng.random((9, 7))
    T = (R[:, None, :, None] + F[None, :, None, :] - C[:, None, None, :] - C.T[None, :, :, None]).reshape(63, 63)
    ref = (np.sqrt(np.abs(T)) @ Z.ravel()).reshape(9, 7)
    backends = ["numpy"] + (["numba"] if have_numba() else [])
    for be in backends:
        assert np.allclose(pair_product(R, F, C, Z, backend=be), ref, rtol=1e-13)
    with pytest.raises(ValueError, match="backend"):
        pair_product(R, F, C, Z, backend="cuda")


@pytest.mark.parametrize("n_r, n_f, block", [(9, 7, 1 << 16), (9, 7, 5), (1, 4, 3), (5, 1, 2)])
def test_negative_mass_and_product_count_the_symmetric_half_right(n_r, n_f, block):
    from rmtcheck._lib.pair_kernels import have_numba, negative_mass, pair_product

    rng = np.random.default_rng(n_r * 10 + n_f)
    A, B = rng.standard_normal((n_r, 3)), rng.standard_normal((n_f, 3))
    R, F, C = 0.49 * (A @ A.T) ** 2, 0.09 * (B @ B.T) ** 2, 0.21 * (A @ B.T) ** 2
    W = rng.integers(1, 4, (n_r, n_f)).astype(float)
    N = n_r * n_f
    T = (R[:, None, :, None] + F[None, :, None, :] - C[:, None, None, :] - C.T[None, :, :, None]).reshape(N, N)
    ref_neg = float(np.sum((T < 0) * np.outer(W.ravel(), W.ravel())))
    ref = (np.sqrt(np.abs(T)) @ W.ravel()).reshape(n_r, n_f)
    for be in ["numpy"] + (["numba"] if have_numba() else []):
        assert negative_mass(R, F, C, W, backend=be) == ref_neg
        assert np.allclose(pair_product(R, F, C, W, backend=be, block_elems=block), ref, rtol=1e-13)
        Y, mass = pair_product(R, F, C, W, backend=be, block_elems=block, count_weights=W)  # the fused count
        assert mass == ref_neg and np.allclose(Y, ref, rtol=1e-13)


def test_backend_choice_honours_numba_disable_jit_and_small_problems(monkeypatch):
    from rmtcheck._lib import pair_kernels as pk

    if not pk.have_numba():
        assert pk.choose_backend("auto", 10**6) == "numpy"
        return
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    assert pk.choose_backend("auto", 10**6) == "numpy"
    with pytest.raises(ValueError, match="NUMBA_DISABLE_JIT"):
        pk.choose_backend("numba", 10**6)
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "0")
    assert pk.choose_backend("auto", 10**6) == "numba"
    assert pk.choose_backend("numpy", 10**6) == "numpy"
    assert pk.choose_backend("numba", 10) == "numba"  # asked for by name
    pk._numba_kernels.cache_clear()  # as in a fresh process: small problems take NumPy ...
    assert pk.choose_backend("auto", pk.NUMBA_MIN_PAIRS - 1) == "numpy"
    assert pk.choose_backend("auto", pk.NUMBA_MIN_PAIRS) == "numba"
    pk._numba_kernels()  # ... until the compiled kernels are loaded anyway
    assert pk.choose_backend("auto", pk.NUMBA_MIN_PAIRS - 1) == "numba"


def test_convention_matters_where_authors_get_nan():
    """Negative Tr(D_ij D_kl) exists (authors' sqrt gives NaN); our S is finite and non-negative."""
    R, F = tightness_construction(4, 2, 1.0, 4, 2, 3.0)
    P = PairFamily(R, F, alpha=0.5)
    K = P.gram_traces()
    assert (K < 0).any()
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.sqrt(K)).any()
    pc = pair_coherence(R, F, alpha=0.5)
    assert np.isfinite(pc.sigma_mix) and pc.negative_fraction > 0


def test_duplicate_merging_is_exact():
    H = dexter_construction(24, 9)
    naive = pair_coherence_naive(H, H, alpha=0.1)
    pc = pair_coherence(H, H, alpha=0.1)
    assert pc.unique_pairs < pc.pairs and abs(pc.sigma_mix - naive) <= 1e-9 * naive
    # alpha = 1/2 with identical members: zero pairs are dropped, value unchanged
    assert abs(pair_coherence(H, H, alpha=0.5).sigma_mix - pair_coherence_naive(H, H, alpha=0.5)) <= 1e-9 * pair_coherence_naive(H, H, alpha=0.5)


@given(theta=st.floats(0, np.pi / 2))
@settings(max_examples=15)
def test_alignment_and_cross_coherence_under_rotation(theta):
    R, F = tightness_construction(10, 3, 1.0, 6, 2, 1.0)
    Fr = rotated_forget(F, theta)
    assert alignment(R, Fr) == pytest.approx(np.cos(theta) ** 2, abs=1e-12)
    assert coherence(Fr) == pytest.approx(coherence(F))  # the rotation is rigid
    assert cross_coherence(R, Fr) <= cross_coherence(R, F) + 1e-12


def test_identical_families_summary():
    R, F = hessian_test_unlearning(30, 6)
    mc = mixed_coherence(R, F, alpha=0.1)
    assert mc.sigma_retain == pytest.approx(mc.sigma_forget) == pytest.approx(mc.sigma_cross)
    assert mc.alignment == pytest.approx(1.0)
    assert mc.mixed_lambda_max == pytest.approx(0.8 * 2.0)  # Dbar = 0.8 H, lambda_max(H) = 2
    assert np.allclose(cross_traces(R, F), R.gram_traces)


def test_errors():
    R, F = _fams(0)
    with pytest.raises(ValueError, match="alpha"):
        pair_coherence(R, F, alpha=-0.1)
    with pytest.raises(ValueError, match="method"):
        pair_coherence(R, F, alpha=0.1, method="fast")
    Z = HessianFamily.from_factors(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        alignment(R, Z)


def test_cli_json_keys(tmp_path, capsys):
    from rmtcheck.cli import main

    R, F = _fams(2, n_r=12, n_f=6, d=3)
    np.save(tmp_path / "r.npy", R.factors)
    np.save(tmp_path / "f.npy", F.factors)
    rc = main(["unlearn-stability", str(tmp_path / "r.npy"), str(tmp_path / "f.npy"), "--lr", "0.05", "--batch", "2",
               "--alpha", "0.1", "--sampling", "pair_bernoulli", "--json", "--steps", "100", "--runs", "16"])
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)
    for k in ("sigma_retain", "sigma_forget", "alignment", "sigma_mix", "mixed_lambda_min", "mixed_lambda_max",
              "ms_growth", "escapes", "critical_alpha", "lyapunov", "sampling"):
        assert k in rec
    assert rec["sampling"] == "pair_bernoulli" and rec["escapes"] == (rec["ms_growth"] > 1)
    rc = main(["unlearn-stability", str(tmp_path / "r.npy"), str(tmp_path / "f.npy"), "--lr", "-1", "--batch", "2",
               "--alpha", "0.1"])
    assert rc == 2 and "lr" in capsys.readouterr().err


def test_verify_group_runs_without_claimed_violations():
    from rmtcheck.paper import saved_results
    from rmtcheck.verify import exit_status

    rows = saved_results(["chang_khanna"])  # the CI run's verify results when $RMTCHECK_VERIFY_JSON names them
    assert len(rows) >= 15 and exit_status(rows) == 0
    by = {r.id: r for r in rows}
    # the honest result: the derived prediction (rho(T) monotone in the angle) fails on the tightness construction
    # (counterexample recorded), while the paper's claim (a) at the level of the escape verdict shows none
    assert by["chang_khanna.rotation_monotone"].violations > 0
    assert by["chang_khanna.rotation_monotone"].first_violation is not None
    assert "derived prediction" in by["chang_khanna.rotation_monotone"].source
    assert by["chang_khanna.rotation_escape_verdict"].violations == 0
    assert all(r.notion in ("mean-square", "almost-sure", "in-probability", "deterministic") for r in rows)


def test_escape_verdict_row_sees_a_reversed_rotation(monkeypatch):
    """The verdict-level row can fail: rotating from orthogonal back to aligned turns escape into resistance
    on the instances where the verdict changes along the path."""
    from rmtcheck.studies.chang_khanna import statements as cs
    from rmtcheck.verify import registry
    from rmtcheck.verify.runner import run_statement

    s = registry()["chang_khanna.rotation_escape_verdict"]
    forward = run_statement(s, seed=0, instances=40)
    assert forward.violations == 0
    rotate = cs.rotated_forget
    monkeypatch.setattr(cs, "rotated_forget", lambda F, t, *a: rotate(F, np.pi / 2 - t, *a))
    backward = run_statement(s, seed=0, instances=40)
    assert backward.violations > 0


@pytest.mark.parametrize("name", ["unlearning-hessian-test", "unlearning-batch-alpha", "unlearning-alignment"])
def test_quick_figures_are_deterministic(tmp_path, name):
    from rmtcheck.plotting import figures

    fn = figures()[name]
    p1 = fn(tmp_path / "a", quick=True)
    p2 = fn(tmp_path / "b", quick=True)
    assert [p.name for p in p1] == [p.name for p in p2]
    for a, b in zip(p1, p2):
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_warm_up_on_single_precision_roots_keeps_the_certified_bracket(backend, monkeypatch):
    """Above WARM_MIN_PAIRS the numba solve first iterates on single-precision square roots; the exact products
    that follow must still certify a bracket of width <= rtol around the dense Perron root (NumPy: no warm-up)."""
    from rmtcheck._lib.pair_kernels import have_numba
    from rmtcheck.stability import three_axis as ta

    if backend == "numba" and not have_numba():
        pytest.skip("numba not installed")
    calls = []
    real = ta.pair_product

    def spy(*args, single=False, **kw):
        calls.append(single)
        return real(*args, single=single, **kw)

    monkeypatch.setattr(ta, "pair_product", spy)
    monkeypatch.setattr(ta, "WARM_MIN_PAIRS", 1)
    for seed, alpha in ((3, 0.3), (8, 0.5)):
        R, F = _fams(seed, n_r=9, n_f=8, d=4)
        dense = pair_coherence(R, F, alpha=alpha, method="dense")
        calls.clear()
        mf = pair_coherence(R, F, alpha=alpha, method="matrix-free", backend=backend, rtol=1e-9)
        if backend == "numba":  # warmed up in single precision, certified by exact products
            assert any(calls) and not calls[-1]
        else:  # NumPy's float32 root is no faster: no warm-up
            assert not any(calls)
        assert mf.matvecs == len(calls)
        assert mf.lambda_lower <= dense.lambda_max * (1 + 1e-12) and dense.lambda_max <= mf.lambda_upper * (1 + 1e-12)
        assert mf.lambda_upper - mf.lambda_lower <= 1e-9 * mf.lambda_upper
