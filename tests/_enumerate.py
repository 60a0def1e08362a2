"""Enumerated-batch references for the second-moment operator (shared by the enumeration tests; not collected).

Nothing here uses rmtcheck: every batch of a batch model is listed with its probability (``itertools``), the
one-step matrix :math:`J_S = I - \\eta\\hat H_S` is formed for each, and the second-moment operator is the
probability-weighted sum :math:`T = \\sum_S p_S\\, J_S \\otimes J_S`, a :math:`d^2\\times d^2` matrix acting on
row-major :math:`\\operatorname{vec}(M)` (:math:`T[(i,l),(j,m)] = \\sum_S p_S J_S[i,j] J_S[l,m]`, which is
:math:`\\operatorname{vec}(\\mathbb E[J M J])` because every :math:`J_S` is symmetric).

Batch conventions, as stated in the docstrings of ``rmtcheck/stability/sampling.py`` (``BATCH_MODELS``,
``SamplingModel.draw``) and ``rmtcheck/stability/unlearning.py``:

* ``bernoulli``: every subset :math:`S` of the ``n`` samples, probability
  :math:`(B/n)^{|S|}(1-B/n)^{n-|S|}`, :math:`\\hat H = \\frac1B\\sum_{i\\in S}H_i` (divided by ``B``, not by
  :math:`|S|`; the empty batch gives :math:`\\hat H = 0`);
* ``without_replacement``: the :math:`\\binom nB` subsets of size ``B``, uniformly, :math:`\\hat H = \\frac1B\\sum_S H_i`;
* ``with_replacement``: the :math:`n^B` index sequences, uniformly, :math:`\\hat H = \\frac1B\\sum_k H_{i_k}`;
* descent–ascent :math:`J = I - \\eta(1-\\alpha)\\hat H^r + \\eta\\alpha\\hat H^f`: ``independent_bernoulli`` and
  ``without_replacement`` batch the retain and the forget set independently, each with its own model above and
  the same ``B``; ``pair_bernoulli`` is ``bernoulli`` with mean size ``B`` over the :math:`n_rn_f` pairs
  :math:`D_{ij} = (1-\\alpha)H^r_i - \\alpha H^f_j`, :math:`\\hat D = \\frac1B\\sum_{(i,j)\\in S}D_{ij}`.

Each enumeration returns ``(p, c)`` (or ``(p, c_r, c_f)``): the probabilities of the batches and the weights
with which each member enters :math:`\\hat H` (so :math:`\\hat H_S = \\sum_i c_{S,i}H_i`).

:func:`families` is a hypothesis strategy that draws a PSD family by its structure (kinds, ranks, spectra,
eigenbases, repeats, input form), so failures shrink to a minimal family.
"""

import itertools
from math import comb

import numpy as np
from hypothesis import strategies as st

#: member eigenvalues: a few round values (shrink targets) or anything in [0.1, 4] -- never tiny but nonzero, so
#: that the range of a family is unambiguous
SPECTRUM = st.sampled_from([0.25, 1.0, 2.0, 3.5]) | st.floats(0.1, 4.0)


# ----------------------------------------------------------------------------- batches
def sgd_batches(sampling, n, B):
    """Every batch of an SGD model: probabilities ``p`` (K,) and member weights ``c`` (K, n)."""
    if sampling == "bernoulli":
        q = B / n
        masks = np.array(list(itertools.product((0, 1), repeat=n)), dtype=float)
        size = masks.sum(axis=1)
        p = q**size * (1.0 - q) ** (n - size)
        return p, masks / B
    if sampling == "without_replacement":
        subsets = list(itertools.combinations(range(n), B))
        c = np.zeros((len(subsets), n))
        for k, s in enumerate(subsets):
            c[k, list(s)] = 1.0 / B
        return np.full(len(subsets), 1.0 / comb(n, B)), c
    if sampling == "with_replacement":
        seqs = list(itertools.product(range(n), repeat=B))
        c = np.zeros((len(seqs), n))
        for k, s in enumerate(seqs):
            for i in s:
                c[k, i] += 1.0 / B
        return np.full(len(seqs), float(n) ** -B), c
    raise ValueError(sampling)


def mixed_batches(sampling, n_r, n_f, B):
    """Every batch of a descent–ascent model: ``p`` (K,), retain weights (K, n_r), forget weights (K, n_f).

    For ``pair_bernoulli`` the weight of retain member ``i`` is (number of chosen pairs ``(i, j)``)/B, and
    likewise for forget member ``j``, so that :math:`\\hat D = (1-\\alpha)\\sum_i c_{r,i}H^r_i - \\alpha\\sum_j c_{f,j}H^f_j`.
    """
    if sampling == "pair_bernoulli":
        N = n_r * n_f
        p, c = sgd_batches("bernoulli", N, B)
        pairs = c.reshape(-1, n_r, n_f)  # pair (i, j) is index i * n_f + j
        return p, pairs.sum(axis=2), pairs.sum(axis=1)
    model = {"independent_bernoulli": "bernoulli", "without_replacement": "without_replacement"}[sampling]
    pr, cr = sgd_batches(model, n_r, B)
    pf, cf = sgd_batches(model, n_f, B)
    p = (pr[:, None] * pf[None, :]).ravel()
    return p, np.repeat(cr, len(pf), axis=0), np.tile(cf, (len(pr), 1))


def batch_hessians(c, H):
    """:math:`\\hat H_S = \\sum_i c_{S,i}H_i` for every batch: shape (K, d, d)."""
    return np.einsum("ki,iab->kab", c, H)


# ----------------------------------------------------------------------------- the operator
def operator(p, Hhat, lr):
    """:math:`T = \\sum_S p_S J_S\\otimes J_S` with :math:`J_S = I - \\eta\\hat H_S`; shape (d^2, d^2)."""
    d = Hhat.shape[1]
    J = np.eye(d)[None] - lr * Hhat
    return np.einsum("k,kij,klm->iljm", p, J, J).reshape(d * d, d * d)


def apply(p, Hhat, lr, M):
    """:math:`\\mathbb E[J M J]` summed batch by batch (no Kronecker product)."""
    J = np.eye(Hhat.shape[1])[None] - lr * Hhat
    return np.einsum("k,kij,jm,kml->il", p, J, M, J)


def spectral_radius(T):
    """:math:`\\max|\\lambda(T)|` (``T`` is symmetric: every :math:`J_S` is)."""
    if T.size == 0:
        return 1.0
    return float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (T + T.T)))))


def growth(p, Hhat, lr):
    """Spectral radius of the enumerated operator at step size ``lr``."""
    return spectral_radius(operator(p, Hhat, lr))


def range_basis(S, rtol=1e-10):
    """Orthonormal basis (d, r) of the range of the PSD matrix ``S`` (eigenvalues above ``rtol`` of the largest)."""
    w, U = np.linalg.eigh(0.5 * (S + S.T))
    top = max(float(np.abs(w).max()), np.finfo(float).tiny)
    return U[:, w > rtol * top]


def restrict(Hhat, U):
    """:math:`U^\\top \\hat H_S U` for every batch."""
    return np.einsum("ar,kab,bs->krs", U, Hhat, U)


class Moments:
    """:math:`\\mathbb E\\hat H` and :math:`\\mathbb E[\\hat H\\otimes\\hat H]` of an enumeration, so that
    :math:`T(\\eta) = I - \\eta(\\mathbb E\\hat H\\otimes I + I\\otimes\\mathbb E\\hat H) + \\eta^2\\mathbb E[\\hat H\\otimes\\hat H]`
    (the expansion of :func:`operator`, cheap to evaluate at many step sizes)."""

    def __init__(self, p, Hhat):
        d = Hhat.shape[1]
        self.d = d
        self.mean = np.einsum("k,kab->ab", p, Hhat)
        self.K2 = np.einsum("k,kij,klm->iljm", p, Hhat, Hhat).reshape(d * d, d * d)
        I = np.eye(d)
        self.A1 = np.kron(self.mean, I) + np.kron(I, self.mean)

    def growth(self, lr):
        if self.d == 0:
            return 1.0
        return spectral_radius(np.eye(self.d * self.d) - lr * self.A1 + lr * lr * self.K2)

    def critical_lr(self, iters=200):
        """Bisection for :math:`\\eta^*`: the largest :math:`\\eta` with :math:`\\rho(T(\\eta)) < 1` on ``(0, 2/\\lambda_{\\max}]``.

        Needs a positive definite mean (then :math:`\\rho < 1` for small :math:`\\eta`, and
        :math:`(\\rho - 1)/\\eta` is non-decreasing, so the stable set is an interval). Returns
        :math:`2/\\lambda_{\\max}` when the growth stays below 1 + 1e-13 there (no batch noise).
        """
        w = np.linalg.eigvalsh(self.mean)
        assert w[0] > 0, "critical_lr needs a positive definite mean"
        hi = 2.0 / w[-1]
        if self.growth(hi) <= 1.0 + 1e-13:
            return hi
        lo = 0.0
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if self.growth(mid) < 1.0:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------- families by structure
def _rotation(seed, d):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


@st.composite
def families(draw, d, n_min=1, n_max=7):
    """``(package_input, stack)``: the family as the package receives it and as a dense ``(n, d, d)`` stack.

    Structure drawn: the number of members, each member's kind (zero, rank one, full rank, or a repeat of an
    earlier member) and spectrum, whether the members share one eigenbasis, whether that basis is the identity
    (a diagonal family), and whether a family of rank <= 1 members is passed as factors ``(n, d)``.
    """
    n = draw(st.integers(n_min, n_max))
    basis = draw(st.sampled_from(["axis", "shared", "own"]))
    seed = draw(st.integers(0, 2**16))
    kinds = draw(st.lists(st.sampled_from(["rank1", "full", "zero", "repeat"]), min_size=n, max_size=n))
    H, factors = [], []
    for i, kind in enumerate(kinds):
        if kind == "repeat" and i:
            j = draw(st.integers(0, i - 1))
            H.append(H[j].copy()); factors.append(factors[j])
            continue
        Q = np.eye(d) if basis == "axis" else _rotation(seed + (i if basis == "own" else 0), d)
        if basis == "axis" and d > 1:
            Q = Q[:, np.roll(np.arange(d), draw(st.integers(0, d - 1)))]  # which axis a rank-one member uses
        spec = np.array(draw(st.lists(SPECTRUM, min_size=d, max_size=d)))
        if kind in ("rank1", "repeat"):
            spec[1:] = 0.0
        elif kind == "zero":
            spec[:] = 0.0
        g = np.sqrt(spec[0]) * Q[:, 0] if kind != "full" or d == 1 else None
        H.append((Q * spec) @ Q.T)
        factors.append(g)
    stack = np.array(H)
    if all(g is not None for g in factors) and draw(st.booleans()):
        G = np.array(factors)
        return G, np.einsum("ia,ib->iab", G, G)
    return stack, stack
