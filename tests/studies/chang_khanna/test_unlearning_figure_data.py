"""The data behind the unlearning figures, checked against references built here from the model definitions.

* ``unlearning-alignment`` panel (d) must show a strict decrease of the mean-square growth factor along the
  rotation (the counterexample the paper cites the figure for): its curve is recomputed by exact enumeration
  of the batch counts of the tightness construction (independent bernoulli batches, d = 2, a 4 x 4 dense
  Kronecker second moment), not by the package's operator, and the instance is the first violation of the
  verify row ``chang_khanna.rotation_monotone``.
* ``unlearning-batch-alpha``: the critical alpha per batch size is a root of rho(T) = 1, with rho(T) from the
  closed form for diagonal families (max over coordinates of E[J_aa^2]).
* the Wilson interval of the figures against SciPy's.
"""

import numpy as np
import pytest
from scipy import stats

from rmtcheck._lib import statistics as F_intervals
from rmtcheck.studies.chang_khanna import figures as F
from rmtcheck.studies.chang_khanna.experiments import (
    ROTATION_COUNTEREXAMPLE,
    _batch_alpha_families,
    batch_alpha_boundaries,
)


def _enumerated_rho(theta, n_r, sigma_r, lam_r, n_f, sigma_f, lam_f, alpha, B, lr):
    """rho(T) of the tightness construction by enumerating the batch counts (independent bernoulli).

    Retain: sigma_r members (n_r lam_r / sigma_r) e1 e1^T, the others 0; forget: sigma_f members
    (n_f lam_f / sigma_f) u u^T with u = (cos theta, sin theta); each member is in the batch with
    probability B / n independently, and the batch Hessian is (1/B) sum of the members in it. Only the
    counts K_r ~ Bin(sigma_r, B/n_r), K_f ~ Bin(sigma_f, B/n_f) of nonzero members matter.
    """
    e1, u = np.array([1.0, 0.0]), np.array([np.cos(theta), np.sin(theta)])
    Hr, Hf = np.outer(e1, e1) * n_r * lam_r / sigma_r, np.outer(u, u) * n_f * lam_f / sigma_f
    kr, kf = np.arange(sigma_r + 1), np.arange(sigma_f + 1)
    pr, pf = stats.binom.pmf(kr, sigma_r, B / n_r), stats.binom.pmf(kf, sigma_f, B / n_f)
    T = np.zeros((4, 4))
    for a, p in zip(kr, pr):
        for b, q in zip(kf, pf):
            J = np.eye(2) - lr * (1 - alpha) * a / B * Hr + lr * alpha * b / B * Hf
            T += p * q * np.kron(J, J)
    K = np.zeros((4, 4))  # commutation matrix: K vec(M) = vec(M^T)
    for i in range(2):
        for j in range(2):
            K[i * 2 + j, j * 2 + i] = 1.0
    P = (np.eye(4) + K) / 2  # projector on vectorised symmetric matrices
    return float(np.linalg.eigvalsh(P @ T @ P)[-1])


@pytest.fixture(scope="module")
def alignment():
    return F.alignment_data(quick=True, seed=0)


def test_alignment_counterexample_is_the_verify_rows_first_violation():
    from rmtcheck.studies.chang_khanna import statements  # noqa: F401  (registers the rows)
    from rmtcheck.verify.runner import run_statement
    from rmtcheck.verify.statement import _REGISTRY

    res = run_statement(_REGISTRY["chang_khanna.rotation_monotone"], seed=0)
    assert res.first_violation is not None
    assert res.first_violation["instance"] == ROTATION_COUNTEREXAMPLE


def test_alignment_figure_data_has_a_strict_decrease_of_rho(alignment):
    th, g = alignment["cx_theta"], alignment["cx_rho_independent_bernoulli"]
    ref = np.array([_enumerated_rho(t, **ROTATION_COUNTEREXAMPLE) for t in th])
    np.testing.assert_allclose(g, ref, rtol=1e-9)
    # a strict decrease, in the figure's data and in the independent reference, far above rounding
    for curve in (g, ref):
        drops = curve[:-1] - curve[1:]
        assert drops.max() > 1e-3 * curve.max()
        assert curve.min() < 0.9 * curve[0]  # it falls by more than 10 % from the aligned value
        assert curve.min() > 1  # and stays above 1: the escape verdict does not change
    # the 9 angles of the verify row, drawn as markers, are on the curve and already show the decrease
    v = alignment["cx_verify_rho_independent_bernoulli"]
    np.testing.assert_allclose(alignment["cx_verify_theta"], np.linspace(0, np.pi / 2, 9))
    np.testing.assert_allclose(v, [_enumerated_rho(t, **ROTATION_COUNTEREXAMPLE) for t in alignment["cx_verify_theta"]],
                               rtol=1e-9)
    assert np.any(np.diff(v) < -1e-3 * v.max())


def test_alignment_jump_at_zero_is_exact(alignment):
    """Panel (b): the claim-(a) instance resists at theta = 0 and escapes at every theta > 0 (rho - 1 ~ theta^2)."""
    inst = dict(n_r=50, sigma_r=10, lam_r=2.0, n_f=10, sigma_f=2, lam_f=1.0, alpha=0.1, B=2, lr=0.3)
    # at theta = 0 every member lies on e1: e2 carries no curvature (factor exactly 1, no verdict) and the
    # package's rho(T) is that of the range, E[J_11^2] < 1 (resists)
    assert _enumerated_rho(0.0, **inst) == pytest.approx(1.0, abs=1e-12)
    kr, kf = np.arange(11), np.arange(3)
    pr, pf = stats.binom.pmf(kr, 10, 2 / 50), stats.binom.pmf(kf, 2, 2 / 10)
    J11 = 1 - 0.3 * 0.9 * kr[:, None] / 2 * (50 * 2.0 / 10) + 0.3 * 0.1 * kf[None, :] / 2 * (10 * 1.0 / 2)
    on_range = float(np.sum(pr[:, None] * pf[None, :] * J11**2))
    assert on_range < 0.95
    assert alignment["dense_rho_independent_bernoulli"][0] == pytest.approx(on_range, rel=1e-9)
    th, g = alignment["log_theta"], alignment["log_rho_independent_bernoulli"]
    for t, gi in zip(th[::10], g[::10]):
        ref = _enumerated_rho(t, **inst)
        assert ref > 1
        assert gi - 1 == pytest.approx(ref - 1, rel=1e-4, abs=1e-13)
    slope = np.polyfit(np.log(th[:20]), np.log(g[:20] - 1), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.05)


def _diagonal_rho(R, F_, lr, B, alpha):
    """rho(T) for families of rank-one members on coordinate axes: max over coordinates of E[J_aa^2]."""
    out = 0.0
    for a in range(R.d):
        cols = []
        for fam, w, sign in ((R, 1 - alpha, -1.0), (F_, alpha, 1.0)):
            vals = fam.factors[:, a] ** 2
            s, m = int(np.count_nonzero(vals)), (vals.max() if vals.any() else 0.0)
            p = B / fam.n
            c = lr * w * m / B
            cols.append((sign * c * s * p, c * c * s * p * (1 - p)))
        mean = 1 + sum(c[0] for c in cols)
        out = max(out, mean**2 + sum(c[1] for c in cols))
    return out


def test_batch_alpha_critical_alpha_is_a_root_of_rho_equal_one():
    R, Fm = _batch_alpha_families()
    assert R.is_diagonal and Fm.is_diagonal
    Bs = np.array([1, 3, 4, 5, 12, 20])
    bd = batch_alpha_boundaries(0.5, Bs, np.linspace(0, 1, 5))
    for B, lo, hi in zip(Bs, bd["alpha_lo"], bd["alpha_hi"]):
        grid = np.linspace(0, 1, 401)
        rho = np.array([_diagonal_rho(R, Fm, 0.5, int(B), a) for a in grid])
        if np.isnan(hi):  # no alpha resists
            assert np.all(rho >= 1 - 1e-12)
            continue
        assert _diagonal_rho(R, Fm, 0.5, int(B), hi) == pytest.approx(1.0, abs=1e-7)
        assert _diagonal_rho(R, Fm, 0.5, int(B), hi + 1e-3) > 1
        assert _diagonal_rho(R, Fm, 0.5, int(B), hi - 1e-3) < 1
        inside = (grid > lo + 1e-3) & (grid < hi - 1e-3)
        assert np.all(rho[inside] < 1) and np.all(rho[grid > hi + 1e-3] > 1)
        if lo > 0:
            assert _diagonal_rho(R, Fm, 0.5, int(B), lo) == pytest.approx(1.0, abs=1e-7)
    assert np.isnan(bd["alpha_hi"][0]) and not np.isnan(bd["alpha_hi"][-1])


@pytest.mark.parametrize("runs", [6, 10, 16, 128])
def test_wilson_interval_matches_scipy(runs):
    k = np.arange(runs + 1)
    lo, hi = F_intervals.wilson_interval(k, runs)
    for ki, l_, h in zip(k, lo, hi):
        ci = stats.binomtest(int(ki), runs).proportion_ci(confidence_level=0.95, method="wilson")
        assert l_ == pytest.approx(ci.low, abs=1e-12)
        assert h == pytest.approx(ci.high, abs=1e-12)
