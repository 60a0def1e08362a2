"""Gram-space curvature (``rmtcheck.stability.gram``): every exact quantity from K = F^T F alone.

Three independent references for each quantity:

* the parameter-space family ``HessianFamily.from_blocks(F)`` (or ``from_factors``), which never sees
  ``K`` (the package's other route, through ``range_coordinates``);
* a dense Kronecker matrix of the second-moment operator built here with ``np.kron`` from the (kappa, nu)
  of each batch model written out below, on an orthonormal basis of span(F) from an SVD of the stacked
  factors (on the null space the growth is exactly 1; the package reports rho on the range);
* for the trap, the naive iteration on C in M = F C F^T, assembled from K here.

Hypothesis draws the structure, not only seeds: the number of samples and of columns per sample, the
regime (d >> nk, d < nk), the latent rank (rank-deficient K), duplicated samples (also scaled or, for
k >= 2, from a rotated factor), zero samples, a spread of sample scales and, for descent–ascent, the
angle between the retain and forget spans and forget samples that are retain samples.
"""

import pickle

import numpy as np
import pytest
from _kronecker import kappa_nu, kron_critical, kron_growth, members, range_basis, sym_basis
from hypothesis import given
from hypothesis import strategies as st

from rmtcheck._lib.pair_kernels import have_numba
from rmtcheck.stability import (
    HessianFamily,
    NoisyMixedDynamics,
    critical_alpha,
    critical_lr,
    escape_verdicts,
    mixed_coherence,
    mixed_critical_lr,
    mixed_growth,
    ms_growth,
    pair_coherence,
    resist_interval,
    second_moment_mc,
    sgd_recursion,
)

# coherence is also the name of a submodule: import the functions from it, not through the package
from rmtcheck.stability.coherence import coherence, coherence_matrix
from rmtcheck.stability.gram import (
    SampleCurvature,
    curvature_family,
    gram_coordinates,
    gram_family,
    gram_pair,
    load_curvature,
)
from rmtcheck.stability.three_axis import coherence_blocks

SAMPLINGS = ("bernoulli", "without_replacement", "with_replacement")
MIXED = ("independent_bernoulli", "pair_bernoulli", "without_replacement")
RTOL = 1e-10  # the requirement: Gram space equals parameter space to 1e-10 relative


# --------------------------------------------------------------------------- structure
def _orthonormal(rng, d, s):
    Q, _ = np.linalg.qr(rng.standard_normal((d, max(s, 1))))
    return Q[:, :s]


def _degenerate(draw, rng, F, protect=0):
    """Duplicated samples (equal, scaled, or a rotated factor), zero samples and a spread of sample scales."""
    n, _, k = F.shape
    spread = draw(st.sampled_from([0.0, 0.5, 1.0]))
    F *= 10.0 ** rng.uniform(-spread, spread, n)[:, None, None]
    for _ in range(draw(st.integers(0, n // 2))):
        i, j = (int(x) for x in rng.integers(0, n, 2))
        how = draw(st.sampled_from(["equal", "scaled", "rotated"]))
        F[j] = F[i] * (-2.0 if how == "scaled" else 1.0)
        if how == "rotated":
            F[j] = F[i] @ _orthonormal(rng, k, k)
    zeros = draw(st.lists(st.integers(protect, n - 1), max_size=max(0, n - 1 - protect), unique=True))
    F[zeros] = 0.0
    return F


def _unit(*Fs, scale=1.0):
    """Largest sample norm ``scale`` (drawn: every quantity must be scale covariant, down to lambda ~ 1e-6)."""
    top = max(float(np.linalg.norm(F, axis=(1, 2)).max()) for F in Fs)
    return tuple(F * (scale / top) for F in Fs)


SCALES = st.sampled_from([1e-3, 1.0, 1.0, 30.0])


def _stack(F):
    """Sample-major rows of F (n, d, k): row i*k + a is column a of F_i."""
    n, d, k = F.shape
    return F.transpose(0, 2, 1).reshape(n * k, d)


def _gram(F):
    R = _stack(F)
    return R @ R.T


def _param(F):
    return HessianFamily.from_factors(F[:, :, 0]) if F.shape[2] == 1 else HessianFamily.from_blocks(F)


@st.composite
def factors(draw, n_min=2, n_max=6, k_max=2):
    """F of shape (n, d, k) in the regime d >> nk or d < nk, with a drawn latent rank and degenerate samples."""
    n = draw(st.integers(n_min, n_max))
    k = draw(st.integers(1, k_max))
    m = n * k
    regime = draw(st.sampled_from(["tall", "wide"]))
    d = draw(st.integers(3 * m, 3 * m + 12)) if regime == "tall" else draw(st.integers(1, m - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s = draw(st.integers(1, min(d, m)))  # latent rank: rank(K) <= s
    F = np.einsum("ds,isk->idk", _orthonormal(rng, d, s), rng.standard_normal((n, s, k)))
    return _unit(_degenerate(draw, rng, F), scale=draw(SCALES))[0]


@st.composite
def pair_factors(draw, n_max=4, k_max=2):
    """Retain (n_r, d, k) and forget (n_f, d, k) factors: forget inside the retain span, or at an angle to it."""
    n_r, n_f = draw(st.integers(2, n_max)), draw(st.integers(2, n_max))
    k = draw(st.integers(1, k_max))
    m = (n_r + n_f) * k
    regime = draw(st.sampled_from(["tall", "wide"]))
    d = draw(st.integers(2 * m, 2 * m + 6)) if regime == "tall" else draw(st.integers(2, m - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s = draw(st.integers(1, max(1, d // 2)))
    layout = draw(st.sampled_from(["inside", "inside", 0.05, np.pi / 4, np.pi / 2]))
    U = _orthonormal(rng, d, d)
    Ur = U[:, :s]
    Fr = np.einsum("ds,isk->idk", Ur, rng.standard_normal((n_r, s, k)))
    Fr = _degenerate(draw, rng, Fr, protect=1)
    if layout == "inside":  # forget curvature inside the range of the retain curvature: a resisting window exists
        Q = range_basis(Fr)
        Ff = np.einsum("dr,isk->idk", Q, rng.standard_normal((n_f, Q.shape[1], k)))
    else:  # forget span at an angle to the retain span (pi/2: orthogonal, when there is room)
        perp = U[:, s:2 * s] if 2 * s <= d else np.zeros((d, s))
        Uf = np.cos(layout) * Ur + np.sin(layout) * perp
        Ff = np.einsum("ds,isk->idk", Uf, rng.standard_normal((n_f, s, k)))
    if draw(st.booleans()):  # a forget sample that is a (nonzero) retain sample
        Ff[0] = Fr[int(rng.choice(np.flatnonzero(np.abs(Fr).sum(axis=(1, 2)) > 0)))]
    Ff = _degenerate(draw, rng, Ff, protect=1)
    return _unit(Fr, Ff, scale=draw(SCALES))


# --------------------------------------------------------------------------- independent references
def _sgd_terms(F, sampling, B):
    H = members(F, range_basis(F))
    return [(1.0, *kappa_nu(sampling, F.shape[0], B), H)]


def _mixed_terms(Fr, Ff, alpha, sampling, B):
    U = range_basis(Fr, Ff)
    Hr, Hf = members(Fr, U), members(Ff, U)
    if sampling == "pair_bernoulli":
        D = ((1 - alpha) * Hr[:, None] - alpha * Hf[None, :]).reshape(-1, U.shape[1], U.shape[1])
        return [(1.0, *kappa_nu("bernoulli", D.shape[0], B), D)]
    model = "bernoulli" if sampling == "independent_bernoulli" else "without_replacement"
    return [(1 - alpha, *kappa_nu(model, len(Hr), B), Hr), (-alpha, *kappa_nu(model, len(Hf), B), Hf)]


def _rel(a, b):
    """Relative difference, with a floor of 1e-4 under the scale: growth factors are dimensionless and near 1,
    and an exact 0 (e.g. T = (1 - eta h)^2 at eta h = 1) is reached as 1e-32."""
    return abs(a - b) / max(abs(a), abs(b), 1e-4)


# --------------------------------------------------------------------------- coordinates
@given(F=factors(k_max=3))
def test_gram_coordinates_reproduce_K_and_the_rank(F):
    n, d, k = F.shape
    K = _gram(F)
    G, s = gram_coordinates(K, k)
    r = range_basis(F).shape[1]
    assert G.shape == (n, r, k) and s.shape == (r,)
    assert np.all(s > 0) and np.all(np.diff(s) <= 0)
    top = np.abs(K).max()
    R = G.transpose(0, 2, 1).reshape(n * k, r)
    np.testing.assert_allclose(R @ R.T, K, rtol=0, atol=1e-9 * top)
    np.testing.assert_allclose(np.einsum("irk,isk->rs", G, G) / n, np.diag(s) / n, rtol=0, atol=1e-12 * top)
    fam = gram_family(K, k)
    assert fam.d == r and fam.n == n
    # the mean gram_family claims exactly diagonal is the mean of its members
    np.testing.assert_allclose(fam.mean, np.einsum("iab->ab", fam.dense()) / n, rtol=0, atol=1e-12 * top)
    assert np.count_nonzero(fam.mean - np.diag(np.diag(fam.mean))) == 0


# --------------------------------------------------------------------------- SGD
@given(F=factors(), b=st.floats(0, 1))
def test_gram_family_equals_parameter_space_and_the_kronecker_reference(F, b):
    n, d, k = F.shape
    B = 1 + int(b * (n - 1))
    K = _gram(F)
    gram, param = gram_family(K, k), _param(F)
    assert coherence(gram) == pytest.approx(coherence(param), rel=RTOL)
    np.testing.assert_allclose(coherence_matrix(gram), coherence_matrix(param), rtol=0, atol=RTOL * np.abs(K).max())
    for sampling in SAMPLINGS:
        terms = _sgd_terms(F, sampling, B)
        eta_g, eta_p = critical_lr(gram, B, sampling=sampling), critical_lr(param, B, sampling=sampling)
        assert _rel(eta_g, eta_p) <= RTOL, (sampling, eta_g, eta_p)
        assert eta_g == pytest.approx(kron_critical(terms), rel=1e-8)
        for u in (0.5, 1.0, 2.0):
            rho_g = ms_growth(gram, u * eta_p, B, sampling=sampling)
            rho_p = ms_growth(param, u * eta_p, B, sampling=sampling)
            assert _rel(rho_g, rho_p) <= RTOL, (sampling, u, rho_g, rho_p)
            assert rho_g == pytest.approx(kron_growth(terms, u * eta_p), rel=RTOL)


def test_gram_and_parameter_space_agree_at_small_curvature():
    g = np.random.default_rng(0).standard_normal(9) * 3e-3
    F = np.stack([g, np.zeros(9)])[:, :, None]
    exact = 2.0 / (g @ g)  # n = 2, B = 1, bernoulli: T = (1 - eta h/2)^2 + eta^2 h^2/4 on the range, h = |g|^2
    assert critical_lr(gram_family(_gram(F)), 1) == pytest.approx(exact, rel=RTOL)  # holds
    assert critical_lr(_param(F), 1) == pytest.approx(exact, rel=RTOL)  # fails: 56049.92751 vs 56049.92428


@given(F=factors(n_max=5), sampling=st.sampled_from(SAMPLINGS), seed=st.integers(0, 2**16))
def test_second_moment_monte_carlo_is_the_same_path_in_gram_space(F, sampling, seed):
    """The batches drawn depend on (n, B, samples) only and M_0 = I/r is rotation invariant: the population
    estimate is the same number in both coordinates, step by step."""
    n, d, k = F.shape
    gram, param = gram_family(_gram(F), k), _param(F)
    lr = 0.9 * critical_lr(param, 2, sampling=sampling)
    a = second_moment_mc(sgd_recursion(param, 2, sampling=sampling), lr, steps=12, samples=16, rng=seed)
    b = second_moment_mc(sgd_recursion(gram, 2, sampling=sampling), lr, steps=12, samples=16, rng=seed)
    assert _rel(a.ms_growth, b.ms_growth) <= 1e-9


def test_curvature_family_chooses_the_cheaper_space():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((5, 40, 2)); F[4] = F[0]  # nk = 10 < d = 40, rank 8
    assert curvature_family(F).d == 8  # auto: Gram space
    assert curvature_family(F, space="parameter").d == 40
    assert curvature_family(F, space="gram").d == 8
    W = rng.standard_normal((8, 3))  # nk = 8 >= d = 3
    assert curvature_family(W).d == 3 and curvature_family(W).is_rank_one
    assert curvature_family(W, space="gram").d == 3
    etas = [critical_lr(curvature_family(F, space=s), 2) for s in ("auto", "parameter", "gram")]
    assert max(etas) - min(etas) <= RTOL * max(etas)
    with pytest.raises(ValueError, match="space"):
        curvature_family(F, space="range")
    with pytest.raises(ValueError, match="myF"):
        curvature_family(np.full((2, 3), np.nan), name="myF")


# --------------------------------------------------------------------------- the trap
def _naive_C_operator(K, n, k, lr, kappa, nu):
    """T_C(C) = E[A C A^T], A = I - lr P(c) K, on vec(C) (row-major), from K alone."""
    m = n * k
    W = (1 + kappa) / n**2 * np.ones((m, m)) + nu * np.kron(np.eye(n), np.ones((k, k)))  # E[c_i c_j] blocks
    I = np.eye(m)
    return np.eye(m * m) - lr / n * (np.kron(K, I) + np.kron(I, K)) + lr * lr * np.diag(W.ravel()) @ np.kron(K, K)


@pytest.mark.parametrize("sampling", SAMPLINGS)
@pytest.mark.parametrize("case", ["duplicate samples, d >> nk", "d < nk", "zero sample, k = 2"])
def test_the_trap_naive_C_iteration_has_a_spurious_eigenvalue(case, sampling):
    rng = np.random.default_rng(11)
    if case == "duplicate samples, d >> nk":
        F = rng.standard_normal((4, 30, 1)); F[3] = F[1]
    elif case == "d < nk":
        F = rng.standard_normal((5, 3, 1))
    else:
        F = rng.standard_normal((3, 12, 2)); F[2] = 0.0
    n, d, k = F.shape
    m, B = n * k, 2
    K = _gram(F)
    mu = np.linalg.eigvalsh(K)
    r = int(np.sum(mu > 1e-10 * mu[-1]))
    m0 = m - r
    assert m0 >= 1  # K is singular
    kappa, nu = kappa_nu(sampling, n, B)
    terms = _sgd_terms(F, sampling, B)
    lr = 0.5 * kron_critical(terms)
    rho_true = kron_growth(terms, lr)
    assert rho_true < 1  # the dynamics contract in mean square

    P = sym_basis(m)
    TC = P.T @ _naive_C_operator(K, n, k, lr, kappa, nu) @ P  # T_C maps symmetric C to symmetric C
    ev = np.linalg.eigvals(TC)
    assert np.abs(ev.imag).max() <= 1e-9
    ev = np.sort(ev.real)
    assert ev[-1] == pytest.approx(1.0, abs=1e-12)  # the C-iteration looks marginal: a spurious fixed point
    u = np.linalg.eigh(K)[1][:, 0]  # K u = 0: C = u u^T is fixed, and F C F^T = 0
    C = np.outer(u, u)
    TCu = (_naive_C_operator(K, n, k, lr, kappa, nu) @ C.ravel()).reshape(m, m)
    np.testing.assert_allclose(TCu, C, atol=1e-12)
    np.testing.assert_allclose(_stack(F).T @ C @ _stack(F), 0, atol=1e-12 * np.abs(K).max())
    # the spectrum of T_C is that of the true operator on range(F) plus the spurious 1 and 1 - lr mu / n
    U = range_basis(F)
    Hs = members(F, U)
    Hb = Hs.mean(axis=0)
    A = np.eye(r) - lr * Hb
    T = np.kron(A, A) + lr * lr * (kappa * np.kron(Hb, Hb) + nu * np.einsum("iab,icd->acbd", Hs, Hs).reshape(r * r, r * r))
    Pr = sym_basis(r)
    true = np.linalg.eigvalsh(Pr.T @ T @ Pr)
    spurious = np.concatenate([np.ones(m0 * (m0 + 1) // 2), np.repeat(1 - lr * mu[m0:] / n, m0)])
    np.testing.assert_allclose(ev, np.sort(np.concatenate([true, spurious])), atol=1e-9)
    # gram_family does not fall in: its growth is the true one, as is the parameter-space family's
    rho_g = ms_growth(gram_family(K, k), lr, B, sampling=sampling)
    assert rho_g == pytest.approx(rho_true, rel=RTOL)
    assert rho_g == pytest.approx(ms_growth(_param(F), lr, B, sampling=sampling), rel=RTOL)
    assert critical_lr(gram_family(K, k), B, sampling=sampling) == pytest.approx(2 * lr, rel=1e-8)


# --------------------------------------------------------------------------- descent–ascent
def _joint(Fr, Ff):
    return _gram(np.concatenate([Fr, Ff]))


@given(FF=pair_factors(), alpha=st.sampled_from([0.1, 0.35, 0.5, 0.8]), u=st.sampled_from([0.5, 1.0, 2.0]),
       b=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_gram_pair_equals_parameter_space(FF, alpha, u, b, seed):
    Fr, Ff = FF
    n_r, n_f, k = Fr.shape[0], Ff.shape[0], Fr.shape[2]
    B = 1 + int(b * (min(n_r, n_f) - 1))
    gr, gf = gram_pair(_joint(Fr, Ff), n_r, k)
    pr, pf = _param(Fr), _param(Ff)
    assert (gr.n, gf.n) == (n_r, n_f) and gr.d == gf.d == range_basis(Fr, Ff).shape[1]
    lam = np.linalg.eigvalsh((1 - alpha) * pr.mean + alpha * pf.mean)[-1]
    lr = u / lam
    for sampling in MIXED:
        eta_g = mixed_critical_lr(gr, gf, B, alpha=alpha, sampling=sampling)
        eta_p = mixed_critical_lr(pr, pf, B, alpha=alpha, sampling=sampling)
        assert eta_g == eta_p or _rel(eta_g, eta_p) <= RTOL, (sampling, eta_g, eta_p)
        rho_g = mixed_growth(gr, gf, lr, B, alpha=alpha, sampling=sampling)
        rho_p = mixed_growth(pr, pf, lr, B, alpha=alpha, sampling=sampling)
        assert _rel(rho_g, rho_p) <= RTOL, (sampling, rho_g, rho_p)
    sampling = MIXED[seed % 3]
    iv_g = resist_interval(gr, gf, lr, B, sampling=sampling, xtol=1e-14)
    iv_p = resist_interval(pr, pf, lr, B, sampling=sampling, xtol=1e-14)
    assert (iv_g is None) == (iv_p is None), (iv_g, iv_p)
    if iv_g is not None:
        np.testing.assert_allclose(iv_g, iv_p, rtol=RTOL, atol=1e-13)
    a_g = critical_alpha(gr, gf, lr, B, sampling=sampling, xtol=1e-14)
    a_p = critical_alpha(pr, pf, lr, B, sampling=sampling, xtol=1e-14)
    assert a_g == pytest.approx(a_p, rel=RTOL, abs=1e-13)
    # verdicts: the mean-square one is exact; the Monte Carlo ones (different coordinates, so different
    # paths) may be undecided but never contradict each other
    v_g = escape_verdicts(gr, gf, lr, B, alpha=alpha, sampling=sampling, rng=seed, steps=60, runs=24, lyapunov="mc")
    v_p = escape_verdicts(pr, pf, lr, B, alpha=alpha, sampling=sampling, rng=seed, steps=60, runs=24, lyapunov="mc")
    ms_g, ms_p = v_g["mean-square"], v_p["mean-square"]
    assert _rel(ms_g.value, ms_p.value) <= RTOL
    if abs(ms_p.margin) > 1e-8:
        assert ms_g.escapes == ms_p.escapes
    as_g, as_p = v_g["almost-sure"].escapes, v_p["almost-sure"].escapes
    assert None in (as_g, as_p) or as_g == as_p, (v_g["almost-sure"], v_p["almost-sure"])


@given(FF=pair_factors(n_max=3), alpha=st.sampled_from([0.0, 0.2, 0.5, 0.9]))
def test_three_axis_coherence_and_sigma_mix_from_K(FF, alpha):
    Fr, Ff = FF
    n_r, k = Fr.shape[0], Fr.shape[2]
    gr, gf = gram_pair(_joint(Fr, Ff), n_r, k)
    pr, pf = _param(Fr), _param(Ff)
    Hr, Hf = pr.dense(), pf.dense()
    scale = max(np.abs(Hr).max(), np.abs(Hf).max())
    if np.abs((1 - alpha) * Hr[:, None] - alpha * Hf[None]).max() <= 1e-12 * scale:
        return  # every pair vanishes (up to round-off): sigma_mix is undefined (test below)
    mg = mixed_coherence(gr, gf, alpha=alpha)
    mp = mixed_coherence(pr, pf, alpha=alpha)
    for name in ("sigma_retain", "sigma_forget", "sigma_cross", "alignment"):
        # dimensionless; sigma_cross and the alignment are ~1e-16 (round-off) for orthogonal spans
        assert getattr(mg, name) == pytest.approx(getattr(mp, name), rel=RTOL, abs=1e-13), name
    # sigma_mix = lambda_max(S) / max |D_ij|, S = sqrt|Tr(D_p D_q)|: the square root turns a round-off of
    # 1e-16 |T| in a trace near 0 into 1e-8 |T|^(1/2) in S, whichever route computes T; allow exactly that
    D = ((1 - alpha) * Hr[:, None] - alpha * Hf[None]).reshape(-1, *Hr.shape[1:])
    T = np.abs(np.einsum("pab,qba->pq", D, D))
    dS = np.sqrt(T + 1e-14 * T.max()) - np.sqrt(T)
    slack = np.linalg.norm(dS, 2) / np.abs(np.linalg.eigvalsh(D)).max()
    for sigma in (mg.sigma_mix, pair_coherence(gr, gf, alpha=alpha).sigma_mix):
        assert abs(sigma - mp.sigma_mix) <= RTOL * mp.sigma_mix + slack, (sigma, mp.sigma_mix, slack)
    for bg, bp in zip(coherence_blocks(gr, gf), coherence_blocks(pr, pf)):  # S_rr, S_ff, S_rf
        np.testing.assert_allclose(bg, bp, rtol=1e-9, atol=1e-7 * scale)  # sqrt of traces: round-off 1e-16 -> 1e-8
    assert mg.pair.pairs == mp.pair.pairs
    # the spectrum of the mixed mean: the same nonzero eigenvalues, parameter space pads with zeros
    top = scale
    nz_g = mg.mixed_spectrum[np.abs(mg.mixed_spectrum) > 1e-9 * top]
    nz_p = mp.mixed_spectrum[np.abs(mp.mixed_spectrum) > 1e-9 * top]
    np.testing.assert_allclose(nz_g, nz_p, rtol=1e-9, atol=1e-12 * top)
    padded = Fr.shape[1] > gr.d  # parameter space has d - r extra zero eigenvalues
    assert mp.mixed_lambda_max == pytest.approx(max(mg.mixed_lambda_max, 0.0) if padded else mg.mixed_lambda_max,
                                                rel=1e-9, abs=1e-12 * top)
    assert mp.mixed_lambda_min == pytest.approx(min(mg.mixed_lambda_min, 0.0) if padded else mg.mixed_lambda_min,
                                                rel=1e-9, abs=1e-12 * top)


def test_pairs_vanishing_up_to_round_off_are_refused():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 2))
    O = _orthonormal(rng, 2, 2)
    Fr, Ff = np.stack([A, A]), np.stack([A, A @ O])  # one Hessian A A^T four times, from two factors
    with pytest.raises(ValueError, match="every pair"):
        pair_coherence(_param(Fr), _param(Ff), alpha=0.5)
    gr, gf = gram_pair(_joint(Fr, Ff), 2, 2)
    with pytest.raises(ValueError, match="every pair"):
        pair_coherence(gr, gf, alpha=0.5)


def test_negative_fraction_is_the_same_in_gram_space():
    # pairs that vanish (each forget member is a retain member, alpha = 1/2) have traces that are exact zeros
    # in parameter space and +-1e-16 in Gram space: they count as zero in both (0.4198 vs 0.5185 when the
    # computed sign decided)
    F = np.random.default_rng(0).standard_normal((3, 10, 1))
    gr, gf = gram_pair(_joint(F, F), 3, 1)
    pg = pair_coherence(gr, gf, alpha=0.5)
    pp = pair_coherence(_param(F), _param(F), alpha=0.5)
    assert pg.sigma_mix == pytest.approx(pp.sigma_mix, rel=RTOL)  # holds
    assert pg.negative_fraction == pytest.approx(pp.negative_fraction, abs=1e-12)
    for backend in ("numpy", "numba") if have_numba() else ("numpy",):
        mf = pair_coherence(gr, gf, alpha=0.5, method="matrix-free", backend=backend)
        assert mf.negative_fraction == pytest.approx(pp.negative_fraction, abs=1e-12)


@given(FF=pair_factors(n_max=3), alpha=st.sampled_from([0.2, 0.5, 0.7]), sampling=st.sampled_from(MIXED),
       u=st.sampled_from([0.4, 1.0, 1.8]))
def test_gram_pair_equals_the_dense_mixed_kronecker_reference(FF, alpha, sampling, u):
    Fr, Ff = FF
    n_r, k = Fr.shape[0], Fr.shape[2]
    B = 2
    gr, gf = gram_pair(_joint(Fr, Ff), n_r, k)
    terms = _mixed_terms(Fr, Ff, alpha, sampling, B)
    lam = np.linalg.eigvalsh(sum(w * H.mean(axis=0) for w, _, _, H in terms))
    scale = np.linalg.eigvalsh((1 - alpha) * _param(Fr).mean + alpha * _param(Ff).mean)[-1]
    lr = u / scale  # (the mixed mean Dbar itself may vanish)
    assert mixed_growth(gr, gf, lr, B, alpha=alpha, sampling=sampling) == pytest.approx(kron_growth(terms, lr),
                                                                                      rel=RTOL)
    eta = mixed_critical_lr(gr, gf, B, alpha=alpha, sampling=sampling)
    if lam[0] < -1e-9 * scale:
        assert eta == 0.0  # a negative curvature direction of the mixed mean: escapes at every eta
    elif lam[0] > 1e-9 * scale and np.isfinite(eta):  # the exact root: the reference contracts below, grows above
        assert eta > 0
        assert kron_growth(terms, eta * (1 - 1e-6)) < 1 < kron_growth(terms, eta * (1 + 1e-6))


@given(FF=pair_factors(n_max=3), alpha=st.sampled_from([0.1, 0.3]), sampling=st.sampled_from(MIXED[::2]),
       data=st.data())
def test_noisy_dynamics_second_moments_equal_in_gram_space(FF, alpha, sampling, data):
    Fr, Ff = FF
    n_r, n_f, k = Fr.shape[0], Ff.shape[0], Fr.shape[2]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    cr, cf = rng.standard_normal((n_r, k)), rng.standard_normal((n_f, k))
    K = _joint(Fr, Ff)
    sc = SampleCurvature(k=k, gram=K, coef=np.concatenate([cr, cf]))
    G, g = sc.coordinates()
    gr, gf = gram_pair(K, n_r, k)
    np.testing.assert_array_equal(np.concatenate([gr.dense(), gf.dense()]), G @ G.transpose(0, 2, 1))
    pr, pf = _param(Fr), _param(Ff)
    Fc = np.concatenate([Fr, Ff])
    c = np.concatenate([cr, cf])
    grad = np.einsum("idk,ik->id", Fc, c)  # gradients F_i c_i in parameter space
    np.testing.assert_allclose(g @ g.T, grad @ grad.T, rtol=0, atol=1e-10 * max(np.abs(grad @ grad.T).max(), 1e-300))
    B = 2
    eta = mixed_critical_lr(pr, pf, B, alpha=alpha, sampling=sampling)
    if not (np.isfinite(eta) and eta > 0):
        return
    lr = 0.6 * eta
    dp = NoisyMixedDynamics(pr, pf, grad[:n_r], grad[n_r:], B, alpha=alpha, sampling=sampling)
    dg = NoisyMixedDynamics(gr, gf, g[:n_r], g[n_r:], B, alpha=alpha, sampling=sampling)
    assert dp.d == dg.d
    tp, tg = dp.iterate(lr, 25), dg.iterate(lr, 25)  # E|delta_k|^2 from delta_0 ~ N(0, I) on the range
    np.testing.assert_allclose(tg, tp, rtol=1e-9)
    Mp, mp_ = dp.stationary(lr)
    Mg, mg_ = dg.stationary(lr)
    # (I - T) M = R is solved with cond(I - T) ~ 1 / (1 - rho): agreement to eps / (1 - rho)
    tol = 1e-8 + 1e-14 / (1 - dp.rec.growth(lr))
    assert np.trace(Mg) == pytest.approx(np.trace(Mp), rel=tol)
    assert np.linalg.norm(mg_) == pytest.approx(np.linalg.norm(mp_), rel=tol)
    a = second_moment_mc(dp.rec, lr, steps=8, samples=8, rng=1)
    b = second_moment_mc(dg.rec, lr, steps=8, samples=8, rng=1)
    assert _rel(a.ms_growth, b.ms_growth) <= 1e-9


def test_stationary_second_moment_near_the_threshold():
    G = np.array([[[-0.022918, -0.150454], [0.364603, -0.686696], [-0.092518, -0.123101]],
                  [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
                  [[-0.581911, -0.505886], [-0.238588, 0.155079], [0.034665, -0.434924]],
                  [[0.696247, 0.691498], [-0.078681, -0.078145], [-0.111677, -0.110916]],
                  [[-0.400816, 0.501058], [0.045295, -0.056623], [0.064291, -0.080369]]])
    g = np.array([[-0.131536, -0.438201, -0.133115], [0.0, 0.0, 0.0], [-0.752651, -0.146784, -0.162755],
                  [0.02799, -0.003163, -0.00449], [0.001251, -0.000141, -0.000201]])
    dyn = NoisyMixedDynamics(HessianFamily.from_blocks(G[:3]), HessianFamily.from_blocks(G[3:]), g[:3], g[3:], 2,
                             alpha=0.1)
    eta = dyn.rec.critical_lr()
    for u in np.linspace(0.5, 0.7, 21):
        M, m = dyn.stationary(u * eta)
        M2, m2 = dyn.step(M, m, u * eta)  # a fixed point of the exact moment map
        np.testing.assert_allclose(M2, M, rtol=1e-6, atol=1e-9 * np.abs(M).max())


# --------------------------------------------------------------------------- bad input
def _pair(K, **kw):
    return gram_pair(K, 1, **kw)


GRAM_FUNCTIONS = [gram_coordinates, gram_family, _pair]


@pytest.mark.parametrize("fn", GRAM_FUNCTIONS, ids=["coordinates", "family", "pair"])
@pytest.mark.parametrize("K, k, match", [
    (np.array([[1.0, 0.5], [0.0, 1.0]]), 1, "not symmetric"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), 1, "not positive semi-definite"),
    (np.array([[np.nan, 0.0], [0.0, 1.0]]), 1, "NaN or inf"),
    (np.array([[np.inf, 0.0], [0.0, 1.0]]), 1, "NaN or inf"),
    (np.eye(4), 3, "k=3 does not divide"),
    (np.eye(4), 0, "k must"),
    (np.zeros((2, 2)), 1, "is zero"),
    (np.ones((2, 3)), 1, "square"),
    (np.zeros((0, 0)), 1, "non-empty"),
    (np.ones(4), 1, "myK"),
])
def test_bad_gram_matrices_are_refused_by_name(fn, K, k, match):
    with pytest.raises(ValueError, match=match) as exc:
        fn(K, k=k, name="myK")
    assert "myK" in str(exc.value) or match.startswith("k")


@pytest.mark.parametrize("n_retain", [0, 2, 5, -1, 1.5])
def test_gram_pair_refuses_n_retain_out_of_range(n_retain):
    with pytest.raises(ValueError, match="n_retain"):
        gram_pair(np.eye(2), n_retain)
    with pytest.raises(ValueError, match="n_retain"):
        gram_pair(np.eye(4), n_retain if n_retain != 2 else 2 * 2, k=2)


def test_sample_curvature_validates_and_maps_gradients():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((4, 9, 2))
    c = rng.standard_normal((4, 2))
    sf = SampleCurvature(k=2, factors=F, coef=c, losses=np.ones(4))
    sg = SampleCurvature(k=2, gram=_gram(F), coef=c)
    assert (sf.n, sf.form, sg.n, sg.form) == (4, "factors", 4, "gram")
    np.testing.assert_allclose(sf.gram_matrix(), sg.gram_matrix())
    (Gf, gf), (Gg, gg) = sf.coordinates(), sg.coordinates()
    np.testing.assert_allclose(Gf, Gg, atol=1e-12)
    np.testing.assert_allclose(gf, gg, atol=1e-12)
    grad = np.einsum("idk,ik->id", F, c)
    np.testing.assert_allclose(gf @ gf.T, grad @ grad.T, atol=1e-10)  # same geometry as F_i c_i
    assert SampleCurvature(k=2, factors=F).coordinates()[1] is None
    with pytest.raises(ValueError, match="exactly one"):
        SampleCurvature(k=2)
    with pytest.raises(ValueError, match="exactly one"):
        SampleCurvature(k=2, factors=F, gram=_gram(F))
    with pytest.raises(ValueError, match="coef"):
        SampleCurvature(k=2, factors=F, coef=np.ones((4, 3)))
    with pytest.raises(ValueError, match="losses"):
        SampleCurvature(k=2, factors=F, losses=np.ones(3))


# --------------------------------------------------------------------------- load_curvature
def test_load_curvature_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    F3, F2 = rng.standard_normal((4, 7, 2)), rng.standard_normal((5, 7))
    np.savez(tmp_path / "f3.npz", factors=F3, k=2, n_retain=3, coef=np.ones((4, 2)), losses=np.ones(4))
    out = load_curvature(tmp_path / "f3.npz")
    assert (out["form"], out["k"], out["n_retain"]) == ("factors", 2, 3)
    np.testing.assert_array_equal(out["factors"], F3)
    assert out["coef"].shape == (4, 2) and out["losses"].shape == (4,)
    np.savez(tmp_path / "f2.npz", factors=F2)
    out = load_curvature(str(tmp_path / "f2.npz"))
    assert (out["form"], out["k"], out["n_retain"]) == ("factors", 1, None)
    np.savez(tmp_path / "g.npz", gram=_gram(F3), k=2)
    out = load_curvature(tmp_path / "g.npz")
    assert (out["form"], out["k"]) == ("gram", 2)
    assert critical_lr(gram_family(out["gram"], out["k"]), 2) == pytest.approx(critical_lr(F3, 2), rel=RTOL)


_UNPICKLED = []


def _mark(tag):
    _UNPICKLED.append(tag)
    return tag


class _Tripwire:
    """Unpickling this calls _mark: the test sees whether a pickle was ever loaded."""

    def __reduce__(self):
        return (_mark, ("loaded",))


@pytest.mark.parametrize("key", ["gram", "factors"])
def test_load_curvature_refuses_pickled_object_arrays_without_loading_them(tmp_path, key):
    path = tmp_path / "obj.npz"
    np.savez(path, **{key: np.array([_Tripwire(), 1.0], dtype=object)})
    with np.load(path, allow_pickle=True) as z:  # the tripwire works: loading with pickles runs it
        z[key]
    assert _UNPICKLED == ["loaded"]
    _UNPICKLED.clear()
    with pytest.raises(ValueError, match="mycurv"):
        load_curvature(path, name="mycurv")
    assert _UNPICKLED == []


def test_load_curvature_bad_files(tmp_path):
    F = np.ones((3, 4, 2))
    with pytest.raises(ValueError, match="no such file"):
        load_curvature(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="cannot read"):
        load_curvature(tmp_path / "text.npz")
    with pytest.raises(ValueError, match="cannot read"):
        load_curvature(tmp_path)  # a directory
    np.savez(tmp_path / "both.npz", factors=F, gram=np.eye(6))
    with pytest.raises(ValueError, match="exactly one"):
        load_curvature(tmp_path / "both.npz")
    np.savez(tmp_path / "neither.npz", coef=np.ones((3, 2)))
    with pytest.raises(ValueError, match="exactly one"):
        load_curvature(tmp_path / "neither.npz")
    np.savez(tmp_path / "k3.npz", factors=F, k=3)
    with pytest.raises(ValueError, match="disagrees"):
        load_curvature(tmp_path / "k3.npz")
    np.savez(tmp_path / "k2.npz", factors=F[:, :, 0], k=2)
    with pytest.raises(ValueError, match="disagrees"):
        load_curvature(tmp_path / "k2.npz")
    # a pickle file that is not an npz at all is not unpickled either
    (tmp_path / "p.npz").write_bytes(pickle.dumps(_Tripwire()))
    with pytest.raises(ValueError, match="cannot read"):
        load_curvature(tmp_path / "p.npz")
    assert _UNPICKLED == []


def test_load_curvature_refuses_a_plain_npy_file(tmp_path):
    np.save(tmp_path / "K.npy", np.eye(3))
    with pytest.raises(ValueError, match="npz"):
        load_curvature(tmp_path / "K.npy")


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4, 5)])
def test_load_curvature_refuses_factors_of_the_wrong_ndim(tmp_path, shape):
    np.savez(tmp_path / "f.npz", factors=np.ones(shape))
    with pytest.raises(ValueError, match="factors"):
        load_curvature(tmp_path / "f.npz")
