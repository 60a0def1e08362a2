"""Gram-space reduction of the exact second-moment operators of linearised SGD and descent–ascent. [derived]

Setup: per-sample curvatures :math:`H_i = F_iF_i^\\top`, :math:`F_i \\in \\mathbb R^{d\\times k}`,
:math:`F = [F_1 \\dots F_n] \\in \\mathbb R^{d\\times nk}`, Gram matrix :math:`K = F^\\top F` with blocks
:math:`K_{ij} = F_i^\\top F_j`. Linearised SGD is :math:`\\delta_{t+1} = J\\delta_t`,
:math:`J = I - \\eta\\sum_i c_iH_i` with the batch weights :math:`c_i = N_i/B` of the three batch models, and
its mean-square operator is :math:`T(M) = E[JMJ] = (I-\\eta\\bar H)M(I-\\eta\\bar H)
+ \\eta^2[\\kappa\\bar HM\\bar H + \\nu\\sum_iH_iMH_i]`, :math:`\\bar H = \\frac1n\\sum_iH_i`, with
:math:`(\\kappa, \\nu)` of ``sgd_operator`` (bernoulli :math:`(0, (1-B/n)/(nB))`, without_replacement
:math:`(-p, p/n)`, :math:`p = (n-B)/(B(n-1))`, with_replacement :math:`(-1/B, 1/(nB))`). Descent–ascent uses
:math:`J = I - \\eta[(1-\\alpha)\\sum_ic^r_iH^r_i - \\alpha\\sum_jc^f_jH^f_j]` with independent retain and
forget batches, and :math:`F = [F^r, F^f]`.

Claims (each asserted by :func:`check`):

1. **Invariance.** :math:`\\sum_ic_iH_i = FP(c)F^\\top` with :math:`P(c) = \\mathrm{blockdiag}(c_iI_k)`, hence
   :math:`JF = FA(c)`, :math:`A(c) = I - \\eta P(c)K` (descent–ascent: :math:`P` carries the signed weights
   :math:`(1-\\alpha)c^r_i` and :math:`-\\alpha c^f_j`). So :math:`\\delta_0 = Fa_0 \\in \\mathrm{span}(F)` gives
   :math:`\\delta_t = Fa_t`, :math:`a_{t+1} = A(c_t)a_t`; every :math:`J` fixes :math:`\\mathrm{range}(F)^\\perp`
   pointwise; and with :math:`Q` an orthonormal basis of :math:`\\mathrm{range}(F)`, :math:`JQ = QJ_G` with
   :math:`J_G = Q^\\top JQ`, so :math:`M_0 = QXQ^\\top` gives :math:`M_t = QX_tQ^\\top`: the operator restricted
   to :math:`\\mathrm{range}(F)` is exact, and the null space of :math:`K` plays no role.
2. **Range coordinates from K alone.** With :math:`K = VSV^\\top` (:math:`S` the :math:`r` positive
   eigenvalues, :math:`V^\\top V = I_r`) put :math:`G = S^{1/2}V^\\top` and :math:`Q = FVS^{-1/2}`. Then
   :math:`Q^\\top Q = I_r`, :math:`F = QG = QQ^\\top F`, :math:`G_i := Q^\\top F_i = S^{1/2}V_i^\\top`,
   :math:`G_i^\\top G_j = K_{ij}`, :math:`Q^\\top H_iQ = G_iG_i^\\top`, :math:`H_iQ = QG_iG_i^\\top`,
   :math:`\\bar G = S/n`, and :math:`T(QXQ^\\top) = QT_G(X)Q^\\top` where :math:`T_G` is :math:`T` with
   :math:`H_i \\to G_iG_i^\\top`. For symbolic :math:`\\eta, \\kappa, \\nu` (all three batch models at once):
   :math:`T = \\mathrm{id} - \\eta L_1 + \\eta^2[(1+\\kappa)L_2 + \\nu L_3]` with parameter-free maps
   :math:`L_1(M) = \\bar HM + M\\bar H`, :math:`L_2(M) = \\bar HM\\bar H`, :math:`L_3(M) = \\sum_iH_iMH_i`
   (asserted on noncommutative symbols, i.e. in any associative algebra), and each :math:`L` lifts
   exactly on the basis :math:`E_{ab}` of symmetric :math:`X`; :math:`T` itself is also compared literally
   for each model at :math:`B = 2`, :math:`\\eta = 1/3`. The same for the descent–ascent operator, whose
   expansion has the extra maps :math:`L^{r,f}_{1,2,3}` and :math:`L_\\times(M) = \\bar H_rM\\bar H_f +
   \\bar H_fM\\bar H_r` (symbolic :math:`\\alpha` and per-family :math:`(\\kappa, \\nu)`). Exact instances:
   :math:`d = 4, n = 3`, :math:`k = 1` (full rank; two identical samples, rank 2) and :math:`k = 2`
   (:math:`nk = 6 > d`, rank 4 and rank 3). :math:`V, S` come from SymPy's exact ``eigenvects`` of
   :math:`K` only (Gram–Schmidt inside each eigenspace); the instances are built so that :math:`K` has
   rational eigenvalues (``F = U diag(s) W^T`` with Cayley-transform orthogonal :math:`U, W`), and the
   identical-samples one has irrational eigenvectors (:math:`\\sqrt 6, \\sqrt 3`).
3. **Every reported scalar depends on F only through K.** :math:`\\operatorname{Tr}(H_iH_j) =
   \\|K_{ij}\\|_F^2` (so the coherence entry :math:`\\|F_i^\\top F_j\\|_F` is a block norm of :math:`K`); the
   characteristic polynomials obey :math:`\\lambda^k\\det(\\lambda - H_i) = \\lambda^d\\det(\\lambda - K_{ii})`
   and :math:`\\lambda^{nk}\\det(\\lambda - \\bar H) = \\lambda^d\\det(\\lambda - K/n)` (same nonzero spectra,
   hence :math:`\\lambda_{\\max}(H_i) = \\lambda_{\\max}(K_{ii})`); for a pair member
   :math:`D_{ij} = (1-\\alpha)H^r_i - \\alpha H^f_j = W\\Sigma W^\\top`, :math:`W = [F^r_i, F^f_j]`,
   :math:`\\Sigma = \\mathrm{diag}((1-\\alpha)I_k, -\\alpha I_k)`: :math:`\\lambda^{2k}\\det(\\lambda - D_{ij}) =
   \\lambda^d\\det(\\lambda - \\Sigma K_{[ij],[ij]})`, so :math:`\\|D_{ij}\\|_2` comes from the :math:`2k\\times 2k`
   Gram of :math:`W`, and :math:`\\operatorname{Tr}(D_{ij}D_{kl}) = \\operatorname{Tr}(\\Sigma C\\Sigma C^\\top)`,
   :math:`C = W_{ij}^\\top W_{kl}` a block of the joint Gram, so :math:`\\sigma_{mix}` comes from :math:`K` too.
   Proved on symbolic entries (:math:`d = 3`, :math:`k = 2`; :math:`(d, nk) = (3, 2), (2, 3)`; pairs with
   :math:`k = 1`) and re-checked exactly on every instance of claim 2 and on the descent–ascent instance.
4. **The trap.** Writing :math:`M = FCF^\\top` gives the exact lift :math:`T(FCF^\\top) = FT_C(C)F^\\top`,
   :math:`T_C(C) = E[A(c)CA(c)^\\top] = C - \\frac\\eta n(KC + CK) + \\eta^2[\\frac{1+\\kappa}{n^2}KCK
   + \\nu\\sum_i\\Pi_iKCK\\Pi_i]` (:math:`\\Pi_i` the block selectors), but :math:`T_C` acts on
   :math:`nk(nk+1)/2` dimensions, not :math:`r(r+1)/2`. From :math:`GA(c) = J_GG` the map
   :math:`C \\mapsto GCG^\\top` intertwines :math:`T_C` and :math:`T_G`, and on its kernel (:math:`C = uw^\\top +
   wu^\\top`, :math:`Ku = 0`, invisible in :math:`M`) :math:`T_C` acts as :math:`w \\mapsto (I - \\eta K/n)w`.
   Hence, with :math:`m = \\dim\\ker K`, :math:`\\chi_{T_C}(\\lambda) = \\chi_{T_G}(\\lambda)\\,(\\lambda-1)^{m(m+1)/2}
   \\prod_{\\mu > 0}(\\lambda - 1 + \\eta\\mu/n)^m` over the positive eigenvalues :math:`\\mu` of :math:`K`: the
   C-iteration has the spurious eigenvalue exactly 1 (from :math:`uu^\\top`, for every :math:`\\eta`) and the
   spurious :math:`1 - \\eta\\mu/n`. Asserted exactly on singular instances (two identical samples; :math:`d <
   nk`) for the three batch models, together with :math:`\\chi_{T_G} = \\chi_{T|\\mathrm{range}(F)}` (the true
   operator restricted to range(F), computed in a rational basis of columns of :math:`F`), a true spectrum
   inside :math:`(-1, 1)` and :math:`\\chi_{T_C}(1) = 0`: a contracting iteration looks marginal in C.
5. **Batch-model identities in Gram form.** :math:`Q^\\top E[\\hat HM\\hat H]Q = (1+\\kappa)\\bar GX\\bar G +
   \\nu\\sum_iG_iG_i^\\top XG_iG_i^\\top` for :math:`M = QXQ^\\top`, :math:`\\hat H = \\sum_ic_iH_i`, with the
   parameter-space :math:`(\\kappa, \\nu)` (the mean part :math:`\\bar GX\\bar G` carries :math:`1 + \\kappa`), by exact
   enumeration of all batches (``itertools``, SymPy rationals) for :math:`n \\le 4` on K-derived instances,
   including singular :math:`K` (per batch, also :math:`\\hat HQ = Q\\hat G`); and :math:`E[J_GXJ_G]`, enumerated
   over independent retain and forget batches (:math:`n_r = n_f = 2`, :math:`(B_r, B_f) = (1, 1), (2, 1)`),
   equals the Gram descent–ascent operator. Both sides have degree at most 2 in :math:`\\eta` and in
   :math:`\\alpha`, so equality on the exact :math:`3\\times 3` grid :math:`\\eta \\in \\{1/2, 1, 2\\}`,
   :math:`\\alpha \\in \\{0, 1/3, 1\\}` proves it for all :math:`\\eta, \\alpha`.

Derivation (this package's own, from first principles): the weighted sum of outer products is
:math:`FP(c)F^\\top`; pushing :math:`F` through :math:`J` gives :math:`JF = FA(c)`, i.e. range(F) is invariant
and its orthogonal complement is fixed. For any factor :math:`G` (:math:`r\\times nk`, rank :math:`r`) with
:math:`G^\\top G = K`, :math:`Q = FG^\\top(GG^\\top)^{-1}` has :math:`Q^\\top Q = (GG^\\top)^{-1}GKG^\\top
(GG^\\top)^{-1} = I` and :math:`QG = F\\Pi = F`, :math:`\\Pi = G^\\top(GG^\\top)^{-1}G` being the orthogonal
projector onto :math:`\\mathrm{range}(K) = (\\ker F)^\\perp` (:math:`\\ker G = \\ker K = \\ker F`); the eigen factor :math:`G = S^{1/2}V^\\top` gives :math:`GG^\\top = S` and
:math:`Q = FVS^{-1/2}`. Then :math:`Q^\\top F_i = G_i` and every sandwich :math:`H_iQXQ^\\top H_j =
Q(G_iG_i^\\top)X(G_jG_j^\\top)Q^\\top`, which carries :math:`T` over to :math:`T_G` term by term. Scalars: the
trace identity is cyclicity; the spectra are Sylvester's determinant identity
:math:`\\lambda^p\\det(\\lambda I_q - XY) = \\lambda^q\\det(\\lambda I_p - YX)` for :math:`X` of size
:math:`q\\times p`. The trap: :math:`C \\mapsto FCF^\\top` maps symmetric :math:`C` onto :math:`\\{QXQ^\\top\\}` but is not
injective when :math:`\\ker K \\ne 0`; its kernel (the symmetric :math:`C` with zero range–range block) is
:math:`T_C`-invariant, so :math:`\\chi_{T_C}` is :math:`\\chi_{T_G}` times the characteristic polynomial of
:math:`T_C` on that kernel — eigenvalues that no :math:`M` ever sees.
"""

import functools
import itertools

import sympy as sp

from rmtcheck.proofs._common import B, alpha, assert_equal, eta, n
from rmtcheck.proofs.sgd_operator import _batches  # every batch of each model, exact rationals

MODELS = ("bernoulli", "without_replacement", "with_replacement")

kappa, nu = sp.symbols("kappa nu", real=True)
x = sp.Symbol("x")  # spectral variable of the characteristic polynomials
R = sp.Rational


def coefficients():
    """``(kappa, nu)`` of each batch model as functions of ``n`` and ``B`` (as in ``sgd_operator``)."""
    p = (n - B) / (B * (n - 1))
    return {"bernoulli": (sp.Integer(0), (1 - B / n) / (n * B)),
            "without_replacement": (-p, p / n),
            "with_replacement": (-1 / B, 1 / (n * B))}


def _coeffs(name, nn, bb):
    k, v = coefficients()[name]
    return k.subs({n: nn, B: bb}), v.subs({n: nn, B: bb})


# --------------------------------------------------------------------------- matrix helpers
def _same(a, b, what: str) -> None:
    """Assert ``a == b`` entrywise (``expand``, then ``simplify``: radicals from the eigenvectors)."""
    if not all(sp.expand(e) == 0 or sp.simplify(e) == 0 for e in sp.Matrix(a) - sp.Matrix(b)):
        raise AssertionError(what)


def _basis(r):
    """The basis ``E_ab`` (a <= b) of symmetric r x r matrices: a linear identity in X holds iff it holds on it."""
    return (sp.Matrix(r, r, lambda p, q: int({p, q} == {a, b})) for a in range(r) for b in range(a, r))


def _sym(r, name):
    return sp.Matrix(r, r, lambda a, b: sp.Symbol(f"{name}_{min(a, b)}{max(a, b)}"))


def _blocks(F, k):
    return [F[:, i * k:(i + 1) * k] for i in range(F.cols // k)]


def _curv(F, k):
    """The curvatures ``H_i = F_i F_i^T`` of the k-column blocks of ``F``."""
    return [Fi * Fi.T for Fi in _blocks(F, k)]


def _wsum(c, Ms):
    return sum((ci * Mi for ci, Mi in zip(c, Ms)), sp.zeros(*Ms[0].shape))


def _sel(c, k):
    """``P(c) = blockdiag(c_i I_k)``."""
    return sp.diag(*[ci for ci in c for _ in range(k)])


def _mean(Hs):
    return sum(Hs, sp.zeros(*Hs[0].shape)) / len(Hs)


def _noise(Hs, M, k, v):
    """``kappa Hbar M Hbar + nu sum_i H_i M H_i``."""
    Hb = _mean(Hs)
    return k * Hb * M * Hb + v * sum((Hi * M * Hi for Hi in Hs), sp.zeros(*M.shape))


def sgd_operator(Hs, M, h=eta, k=kappa, v=nu):
    """``T(M) = (I - h Hbar) M (I - h Hbar) + h^2 [k Hbar M Hbar + v sum H_i M H_i]``."""
    A = sp.eye(M.rows) - h * _mean(Hs)
    return A * M * A + h**2 * _noise(Hs, M, k, v)


def coefficient_maps(Hs):
    """``(L1, L2, L3)`` with ``T = id - eta L1 + eta^2 [(1 + kappa) L2 + nu L3]`` (no parameters inside)."""
    Hb = _mean(Hs)
    return (lambda M: Hb * M + M * Hb, lambda M: Hb * M * Hb,
            lambda M: sum((Hi * M * Hi for Hi in Hs), sp.zeros(*M.shape)))


def da_operator(Hr, Hf, M, h, a, cr, cf):
    """Descent–ascent with independent batches: ``Dbar = (1-a) Hbar_r - a Hbar_f`` and per-family noise."""
    A = sp.eye(M.rows) - h * ((1 - a) * _mean(Hr) - a * _mean(Hf))
    return A * M * A + h**2 * ((1 - a) ** 2 * _noise(Hr, M, *cr) + a**2 * _noise(Hf, M, *cf))


def da_coefficient_maps(Hr, Hf):
    """Maps of ``T_DA = id - eta[(1-a) L1r - a L1f] + eta^2[(1-a)^2 ((1+k_r) L2r + v_r L3r)
    + a^2 ((1+k_f) L2f + v_f L3f) - a(1-a) Lx]`` with ``Lx(M) = Hbar_r M Hbar_f + Hbar_f M Hbar_r``."""
    Hbr, Hbf = _mean(Hr), _mean(Hf)
    return (*coefficient_maps(Hr), *coefficient_maps(Hf), lambda M: Hbr * M * Hbf + Hbf * M * Hbr)


def c_operator(K, k, C, h, kp, v):
    """The lift ``T_C(C) = C - h/n (KC + CK) + h^2 [(1+kp)/n^2 KCK + v sum_i Pi_i KCK Pi_i]``."""
    nn = K.rows // k
    KCK = K * C * K
    Pis = [sp.diag(*[int(j // k == i) for j in range(K.rows)]) for i in range(nn)]
    return (C - h / nn * (K * C + C * K)
            + h**2 * ((1 + kp) / nn**2 * KCK + v * sum((P * KCK * P for P in Pis), sp.zeros(*C.shape))))


def _op_matrix(op, r):
    """Matrix of a linear map on symmetric r x r matrices (coordinates: the upper triangle)."""
    idx = [(a, b) for a in range(r) for b in range(a, r)]
    return sp.Matrix([[Y[p, q] for p, q in idx] for Y in map(op, _basis(r))]).T


def _charpoly(Mat, p=0):
    """``x^p det(x I - Mat)`` as a polynomial."""
    return sp.Poly(sp.expand(x**p * Mat.charpoly(x).as_expr()), x)


# --------------------------------------------------------------------------- range coordinates
def range_coordinates(K):
    """From ``K`` alone: ``(V, S, G)`` with ``K = V S V^T`` (positive part), ``G = S^{1/2} V^T``."""
    eig = [(mu, v) for mu, _, vecs in K.eigenvects() if mu != 0 for v in sp.GramSchmidt(vecs, orthonormal=True)]
    assert all(mu.is_positive for mu, _ in eig)  # K is positive semidefinite
    V, mus = sp.Matrix.hstack(*[v for _, v in eig]), [mu for mu, _ in eig]
    return V, sp.diag(*mus), sp.diag(*[sp.sqrt(m) for m in mus]) * V.T


def _cayley(m, vals):
    """A rational orthogonal ``m x m`` matrix ``(I - A)(I + A)^{-1}`` with ``A`` skew."""
    A = sp.Matrix(m, m, lambda a, b: sp.sign(b - a) * vals[(min(a, b) * m + max(a, b)) % len(vals)])
    return (sp.eye(m) - A) * (sp.eye(m) + A).inv()


def _factored(d, nk, svals):
    """``F = U diag(s) W^T`` (rational orthonormal U, W): ``K`` has the rational eigenvalues ``s^2``."""
    r = len(svals)
    U = _cayley(d, (1, R(1, 2), -2, R(1, 3)))[:, :r]
    W = _cayley(nk, (R(1, 2), -1, R(2, 3), 1, R(-1, 3)))[:, :r]
    return U * sp.diag(*svals) * W.T


def instances():
    """Named ``(F, k)`` with ``d = 4, n = 3``: full rank, identical samples, and ``nk = 6 > d``."""
    return {"full rank (k=1)": (_factored(4, 3, (1, 2, 3)), 1),
            "identical samples (k=1)": (sp.Matrix([[1, 1, 1], [0, 0, 1], [0, 0, 1], [0, 0, 0]]), 1),
            "nk > d, rank 4 (k=2)": (_factored(4, 6, (1, 2, 3, 4)), 2), "rank 3 (k=2)": (_factored(4, 6, (1, 2, 3)), 2)}


def scalars_from_gram(F, k):
    """Claim 3 on a concrete instance: Tr(H_i H_j), spec(H_i), spec(Hbar) recomputed from K alone."""
    K, d, nn = F.T * F, F.rows, F.cols // k
    Hs = _curv(F, k)
    for i in range(nn):
        Kii = K[i * k:(i + 1) * k, i * k:(i + 1) * k]
        assert _charpoly(Hs[i], k) == _charpoly(Kii, d), "spec(H_i) \\ 0 = spec(K_ii) \\ 0"
        for j in range(nn):
            Kij = K[i * k:(i + 1) * k, j * k:(j + 1) * k]
            assert (Hs[i] * Hs[j]).trace() == sum(e**2 for e in Kij), "Tr(H_i H_j) = ||K_ij||_F^2"
    assert _charpoly(_mean(Hs), nn * k) == _charpoly(K / nn, d), "spec(Hbar) \\ 0 = spec(K/n) \\ 0"


def reduce_to_range(F, k, full_operator=True):
    """Claims 1–2 on one instance; returns ``(Q, G, S)``."""
    K = F.T * F
    V, S, G = range_coordinates(K)
    r = S.rows
    assert r == F.rank()
    _same(V.T * V, sp.eye(r), "V^T V = I")
    _same(V * S * V.T, K, "K = V S V^T")
    _same(G * G.T, S, "G G^T = S")
    Q = F * V * sp.diag(*[1 / sp.sqrt(S[i, i]) for i in range(r)])
    _same(Q.T * Q, sp.eye(r), "Q^T Q = I")
    _same(Q * Q.T * F, F, "F = Q Q^T F")
    _same(Q * G, F, "F = Q G")
    Fs, Gs, Hs, GGs = _blocks(F, k), _blocks(G, k), _curv(F, k), _curv(G, k)
    for i, Fi in enumerate(Fs):
        _same(Q.T * Fi, Gs[i], "G_i = Q^T F_i")
        _same(Hs[i] * Q, Q * GGs[i], "H_i Q = Q G_i G_i^T (range(F) invariant)")
        _same(Q.T * Hs[i] * Q, GGs[i], "Q^T H_i Q = G_i G_i^T")
        for j, Gj in enumerate(Gs):
            _same(Gs[i].T * Gj, K[i * k:(i + 1) * k, j * k:(j + 1) * k], "G_i^T G_j = K_ij")
    _same(_mean(GGs), S / len(Gs), "Gbar = S / n")
    for p in F.T.nullspace():  # range(F)^perp is fixed by every J
        assert all((Hi * p).is_zero_matrix for Hi in Hs)
    if full_operator:  # T(Q X Q^T) = Q T_G(X) Q^T for symbolic eta, kappa, nu: each coefficient map lifts
        scalars_from_gram(F, k)
        for LF, LG in zip(coefficient_maps(Hs), coefficient_maps(GGs)):
            for X in _basis(r):
                _same(LF(Q * X * Q.T), Q * LG(X) * Q.T, "L(Q X Q^T) = Q L_G(X) Q^T")
        for name in MODELS:  # and literally, per batch model, at B = 2, eta = 1/3
            kp, v = _coeffs(name, len(Fs), 2)
            for X in _basis(r):
                _same(sgd_operator(Hs, Q * X * Q.T, R(1, 3), kp, v), Q * sgd_operator(GGs, X, R(1, 3), kp, v) * Q.T,
                      f"{name}: T(Q X Q^T) = Q T_G(X) Q^T")
    return Q, G, S


# --------------------------------------------------------------------------- claim 1 (symbolic)
def invariance():
    """``sum c_i H_i = F P(c) F^T`` and ``J F = F (I - eta P(c) K)`` for SGD and descent–ascent."""
    d, nn, k = 3, 2, 2
    F = sp.Matrix(d, nn * k, sp.symbols(f"f0:{d * nn * k}"))
    c = sp.symbols(f"c0:{nn}")
    P = _sel(c, k)
    Hhat = _wsum(c, _curv(F, k))
    _same(Hhat, F * P * F.T, "sum c_i H_i = F P(c) F^T")
    J = sp.eye(d) - eta * Hhat
    A = sp.eye(nn * k) - eta * P * F.T * F
    assert J.T == J
    _same(J * F, F * A, "J F = F A(c): range(F) is invariant")
    # descent–ascent: two retain samples, one forget sample (k = 1)
    Fr, Ff = sp.Matrix(d, 2, sp.symbols("r0:6")), sp.Matrix(d, 1, sp.symbols("q0:3"))
    cr, cf = sp.symbols("cr0:2"), sp.symbols("cf0")
    Hda = (1 - alpha) * _wsum(cr, _curv(Fr, 1)) - alpha * cf * Ff * Ff.T
    Fj = Fr.row_join(Ff)
    Pda = sp.diag((1 - alpha) * cr[0], (1 - alpha) * cr[1], -alpha * cf)
    _same(Hda, Fj * Pda * Fj.T, "signed DA sum = F P F^T")
    Ada = sp.eye(3) - eta * Pda * Fj.T * Fj
    _same((sp.eye(d) - eta * Hda) * Fj, Fj * Ada, "J_DA F = F A_DA(c)")
    return {"P": P, "A": A, "A_da": Ada}


# --------------------------------------------------------------------------- claim 3 (symbolic)
def _sylvester(X, Y, what):
    """``x^p det(x I_q - X Y) = x^q det(x I_p - Y X)`` for X of size q x p."""
    (q, p), det = X.shape, lambda A: A.det(method="berkowitz")
    assert_equal(x**p * det(x * sp.eye(q) - X * Y), x**q * det(x * sp.eye(p) - Y * X), what)


def gram_scalars():
    """Trace, spectral and pair-member scalars as functions of K (symbolic entries)."""
    d = 3
    Fi, Fj = sp.Matrix(d, 2, sp.symbols("a0:6")), sp.Matrix(d, 2, sp.symbols("b0:6"))
    Kij = Fi.T * Fj
    assert_equal((Fi * Fi.T * Fj * Fj.T).trace(), sum(e**2 for e in Kij), "Tr(H_i H_j) = ||K_ij||_F^2")
    _sylvester(Fi, Fi.T, "spec(H_i) \\ 0 = spec(K_ii) \\ 0 (k = 2)")
    for q, p in ((3, 2), (2, 3)):  # Hbar = F F^T / n and K / n, for d > nk and d < nk
        F = sp.Matrix(q, p, sp.symbols(f"f0:{q * p}"))
        _sylvester(F / n, F.T, f"spec(Hbar) \\ 0 = spec(K/n) \\ 0 (d={q}, nk={p})")
    u, w, y, z = (sp.Matrix(sp.symbols(f"{s}0:{d}")) for s in "uwyz")  # retain u, y; forget w, z
    Sig = sp.diag(1 - alpha, -alpha)
    W, W2 = u.row_join(w), y.row_join(z)
    D, D2 = (1 - alpha) * u * u.T - alpha * w * w.T, (1 - alpha) * y * y.T - alpha * z * z.T
    _same(D, W * Sig * W.T, "D_ij = W Sigma W^T")
    _sylvester(W, Sig * W.T, "spec(D_ij) \\ 0 = spec(Sigma K_[ij],[ij]) \\ 0")
    C = W.T * W2
    assert_equal((D * D2).trace(), (Sig * C * Sig * C.T).trace(), "Tr(D_ij D_kl) = Tr(Sigma C Sigma C^T)")
    return {"pair_gram_operator": Sig * W.T * W, "pair_trace": (Sig * C * Sig * C.T).trace()}


# --------------------------------------------------------------------------- claim 4 (the trap)
def _true_on_range(F, k, h, kp, v):
    """Matrix of T restricted to range(F), in the rational basis of F's pivot columns."""
    Bf = F[:, list(F.rref()[1])]
    Bp = (Bf.T * Bf).inv() * Bf.T
    Hs = _curv(F, k)

    def op(Y):
        TM = sgd_operator(Hs, Bf * Y * Bf.T, h, kp, v)
        Y2 = Bp * TM * Bp.T
        assert (Bf * Y2 * Bf.T - TM).is_zero_matrix, "T maps Sym(range F) into itself"
        return Y2
    return _op_matrix(op, Bf.cols)


def trap(F, k, bb, h):
    """Claim 4 on one singular instance, for the three batch models at ``(n, B) = (F.cols/k, bb)``."""
    K = F.T * F
    nn, nk = F.cols // k, F.cols
    _, S, G = range_coordinates(K)
    r, ker = S.rows, K.nullspace()
    m = len(ker)
    assert m == nk - r > 0, "K is singular"
    Gs = _curv(G, k)
    # exactness of the lift, and G A(c) = J_G G (the intertwining), symbolic
    Cs = _sym(nk, "C")
    _same(sgd_operator(_curv(F, k), F * Cs * F.T), F * c_operator(K, k, Cs, eta, kappa, nu) * F.T,
          "T(F C F^T) = F T_C(C) F^T")
    c = sp.symbols(f"c0:{nn}")
    _same(G * (sp.eye(nk) - eta * _sel(c, k) * K), (sp.eye(r) - eta * _wsum(c, Gs)) * G, "G A(c) = J_G G")
    for u in ker:  # the spurious eigenvalue 1, for every eta and batch model; F u u^T F^T = 0
        assert (F * u).is_zero_matrix
        _same(c_operator(K, k, u * u.T, eta, kappa, nu), u * u.T, "T_C(u u^T) = u u^T")
    q = _charpoly(sp.eye(nk) - h * K / nn)  # (x-1)^m prod_{mu>0} (x - 1 + h mu/n)
    q_range, rem = sp.div(q, sp.Poly((x - 1) ** m, x))
    assert rem.is_zero
    out = {}
    for name in MODELS:
        kp, v = _coeffs(name, nn, bb)
        As = [(p, sp.eye(nk) - h * _sel(c, k) * K) for p, c in _batches(name, nn, bb)]
        for C in _basis(nk):  # the closed form of T_C is E[A(c) C A(c)^T], by enumeration of the batches
            assert sum((p * A * C * A.T for p, A in As), sp.zeros(nk, nk)) == c_operator(K, k, C, h, kp, v), name
        chi_C = _charpoly(_op_matrix(lambda C: c_operator(K, k, C, h, kp, v), nk))
        chi_G = _charpoly(_op_matrix(lambda X: sgd_operator(Gs, X, h, kp, v), r))
        chi_T = _charpoly(_true_on_range(F, k, h, kp, v))
        assert (chi_G - chi_T).is_zero, (name, "spec T_G = spec of T on range(F)")
        spurious = sp.Poly((x - 1) ** (m * (m + 1) // 2), x) * q_range**m
        assert (chi_C - chi_G * spurious).is_zero, (name, "chi_C = chi_G (x-1)^{m(m+1)/2} prod(x-1+h mu/n)^m")
        assert chi_C.eval(1) == 0 and chi_T.eval(1) != 0, (name, "1 is spurious")
        # real spectrum (T is self-adjoint in the trace inner product), all of it inside (-1, 1)
        assert chi_T.count_roots() == chi_T.count_roots(-1, 1) == chi_T.degree() and chi_T.eval(-1) != 0, name
        out[name] = (chi_T.as_expr(), chi_C.as_expr())
    return out


def trap_instances():
    """Singular ``(F, k, B, eta)``: two identical samples in d = 4 (m = 1); d = 2 < nk = 4 (m = 2)."""
    return {"identical samples": (instances()["identical samples (k=1)"][0], 1, 2, R(1, 2)),
            "d < nk": (_factored(2, 4, (1, 2)), 2, 1, R(1, 4))}


# --------------------------------------------------------------------------- claim 5 (enumeration)
def batch_identities(nn, k, d=3):
    """Claim 5 for SGD on a K-derived instance with n = nn: every model, every batch size (enumerated)."""
    F = _factored(d, nn * k, (1, 2, 3)[:min(d, nn * k)])
    Q, G, _ = reduce_to_range(F, k, full_operator=False)
    r = G.rows
    Hs, Gs = _curv(F, k), _curv(G, k)
    Gb = _mean(Gs)
    for name in MODELS:
        for bb in range(1, (nn if name != "with_replacement" else min(nn, 3)) + 1):
            kp, v = _coeffs(name, nn, bb)
            batches = []
            for prob, c in _batches(name, nn, bb):
                Gh, Hh = _wsum(c, Gs), _wsum(c, Hs)
                assert Hh * Q == Q * Gh, (name, "H_B Q = Q G_B")
                batches.append((prob, Gh, Hh))
            for X in _basis(r):
                rhs = (1 + kp) * Gb * X * Gb + v * sum((Gi * X * Gi for Gi in Gs), sp.zeros(r, r))
                lhs = sum((p * Gh * X * Gh for p, Gh, _ in batches), sp.zeros(r, r))
                assert lhs == rhs, f"{name} n={nn} B={bb}: E[G_B X G_B] = (1+kappa) Gbar X Gbar + nu sum"
                M = Q * X * Q.T
                lift = sum((p * Hh * M * Hh for p, _, Hh in batches), sp.zeros(d, d))
                assert Q.T * lift * Q == rhs, f"{name} n={nn} B={bb}: Q^T E[H_B M H_B] Q in Gram form"


def da_identities():
    """Descent–ascent (n_r = n_f = 2, k = 1, joint nk = 4 > d = 3): lift and enumerated E[J_G X J_G]."""
    F = _factored(3, 4, (1, 2, 3))
    Q, G, _ = reduce_to_range(F, 1, full_operator=False)
    r = G.rows
    Hr, Hf = _curv(F[:, :2], 1), _curv(F[:, 2:], 1)
    Gr, Gf = _curv(G[:, :2], 1), _curv(G[:, 2:], 1)
    K, a = F.T * F, R(1, 3)  # pair members D_ij from the 2 x 2 blocks of the joint Gram (claim 3)
    Sig = sp.diag(1 - a, -a)
    pairs = [(i, j) for i in range(2) for j in range(2)]
    for i, j in pairs:
        Dij = (1 - a) * Hr[i] - a * Hf[j]
        assert _charpoly(Dij, 2) == _charpoly(Sig * K.extract([i, 2 + j], [i, 2 + j]), 3), "spec(D_ij) from K"
        for kk, ll in pairs:
            C = K.extract([i, 2 + j], [kk, 2 + ll])
            assert (Dij * ((1 - a) * Hr[kk] - a * Hf[ll])).trace() == (Sig * C * Sig * C.T).trace(), "Tr(D D) from K"
    for LF, LG in zip(da_coefficient_maps(Hr, Hf), da_coefficient_maps(Gr, Gf)):  # symbolic eta, alpha, kappa, nu
        for X in _basis(r):
            assert LF(Q * X * Q.T) == Q * LG(X) * Q.T, "L(Q X Q^T) = Q L_G(X) Q^T (descent–ascent maps)"
    # E[J_G X J_G] and T_DA,G(X) have degree <= 2 in eta and in alpha: equality on a 3 x 3 grid is identity
    grid = list(itertools.product((R(1, 2), 1, 2), (0, R(1, 3), 1)))
    for name in MODELS:
        for br, bf in ((1, 1), (2, 1)):
            cr_, cf_ = _coeffs(name, 2, br), _coeffs(name, 2, bf)
            pairs = list(itertools.product(_batches(name, 2, br), _batches(name, 2, bf)))
            for h, a in grid:
                Js = [(pr * pf, sp.eye(r) - h * ((1 - a) * _wsum(cr, Gr) - a * _wsum(cf, Gf)))
                      for (pr, cr), (pf, cf) in pairs]
                for X in _basis(r):
                    lhs = sum((p * JG * X * JG for p, JG in Js), sp.zeros(r, r))
                    assert lhs == da_operator(Gr, Gf, X, h, a, cr_, cf_), (name, br, bf, "E[J_G X J_G] = T_DA,G(X)")


# --------------------------------------------------------------------------- entry points
@functools.cache
def derive():
    """The symbolic claims (1, 3) and the key expressions of the reduction."""
    out = invariance()
    out.update(gram_scalars())
    out["coefficients"] = coefficients()
    # the expansions hold in any associative algebra: 1 x 1 matrices of noncommutative symbols
    H1, H2, H3, M = (sp.Matrix([[h]]) for h in sp.symbols("H1 H2 H3 M", commutative=False))
    L1, L2, L3 = coefficient_maps([H1, H2])
    _same(sgd_operator([H1, H2], M), M - eta * L1(M) + eta**2 * ((1 + kappa) * L2(M) + nu * L3(M)),
          "T = id - eta L1 + eta^2 [(1 + kappa) L2 + nu L3]")
    kr, vr, kf, vf = sp.symbols("kappa_r nu_r kappa_f nu_f")
    L1r, L2r, L3r, L1f, L2f, L3f, Lx = da_coefficient_maps([H1, H2], [H3])
    a = alpha
    _same(da_operator([H1, H2], [H3], M, eta, a, (kr, vr), (kf, vf)),
          M - eta * ((1 - a) * L1r(M) - a * L1f(M))
          + eta**2 * ((1 - a) ** 2 * ((1 + kr) * L2r(M) + vr * L3r(M))
                      + a**2 * ((1 + kf) * L2f(M) + vf * L3f(M)) - a * (1 - a) * Lx(M)),
          "T_DA = id - eta L1_D + eta^2 [...]: expansion into parameter-free maps")
    out["c_operator"] = c_operator(_sym(2, "K"), 1, _sym(2, "C"), eta, kappa, nu)
    out["spurious_factor"] = "(x - 1)^(m(m+1)/2) * prod_{mu > 0} (x - 1 + eta mu / n)^m"
    return out


def check():
    out = dict(derive())
    for F, k in instances().values():
        reduce_to_range(F, k)
    out["trap"] = {name: trap(*args) for name, args in trap_instances().items()}
    for nn, k in ((2, 1), (3, 1), (4, 1), (2, 2)):
        batch_identities(nn, k)
    da_identities()
    return out


if __name__ == "__main__":
    check()
    print("ok")
