"""The exact second-moment operator of linearised SGD for the three batch models. [derived]

Statement: with :math:`\\hat H = \\sum_i c_i H_i`, :math:`a = E[c_i c_j]\\,(i \\ne j)` and :math:`b = E[c_i^2]`,

.. math:: E[\\hat H M \\hat H] = a\\,(\\textstyle\\sum_i H_i) M (\\sum_j H_j) + (b - a) \\sum_i H_i M H_i,

so :math:`T(M) = (I-\\eta H)M(I-\\eta H) + \\eta^2[\\kappa HMH + \\nu \\sum_i H_iMH_i]` with
:math:`\\kappa = a n^2 - 1`, :math:`\\nu = b - a`: the exact second-moment (mean-square) operator of
linearised SGD, as in [mulayoff2024]; the bernoulli model is the one of [dexter2024], Theorems 1 and 2.
The expansion and the coefficients of each batch model are this package's own derivation:

* ``bernoulli``: sample :math:`i` is in the batch independently with probability :math:`B/n`, weight
  :math:`1/B` (random batch size): :math:`\\kappa = 0`, :math:`\\nu = (1 - B/n)/(nB)`;
* ``without_replacement``: a uniform subset of exactly :math:`B` distinct samples, weight :math:`1/B`:
  :math:`\\kappa = -p`, :math:`\\nu = p/n`, :math:`p = (n-B)/(B(n-1))`;
* ``with_replacement``: :math:`B` iid uniform indices, weight (count)/:math:`B`:
  :math:`\\kappa = -1/B`, :math:`\\nu = 1/(nB)`.

Derivation (first principles, no package code): write :math:`c_i = N_i/B` with :math:`N_i` the number of
times sample :math:`i` is drawn, and take the joint probability generating function
:math:`G(t_i, t_j) = E[t_i^{N_i} t_j^{N_j}]` of two distinct samples straight from the model's definition —
a product of two Bernoulli(B/n) PGFs; a count of the :math:`B`-subsets by whether they contain :math:`i`
and :math:`j` (binomial coefficients, i.e. the hypergeometric inclusion probabilities :math:`B/n` and
:math:`B(B-1)/(n(n-1))`); the multinomial PGF :math:`((t_i + t_j + n - 2)/n)^B`. Then
:math:`E N_i = G_i`, :math:`E[N_iN_j] = G_{ij}` and :math:`E N_i^2 = G_{ii} + G_i` at :math:`t = 1`.
:func:`check` confirms every coefficient and the operator identity itself by exact enumeration of
all batches (``itertools``, SymPy rationals) for small :math:`n, B`.
"""

import itertools

import sympy as sp

from rmtcheck.proofs._common import B, assert_equal, n

MODELS = ("bernoulli", "without_replacement", "with_replacement")

_ti, _tj = sp.symbols("t_i t_j")


def _pgf(name):
    """Joint PGF ``E[t_i^N_i t_j^N_j]`` of the draw counts of two distinct samples ``i != j``."""
    if name == "bernoulli":
        p = B / n  # independent inclusions, each a Bernoulli(p) with PGF 1 - p + p t
        return (1 - p + p * _ti) * (1 - p + p * _tj)
    if name == "without_replacement":
        # uniform over the C(n, B) subsets; C(n-2, B-k) of them contain exactly k of {i, j} in a given way
        total = sp.binomial(n, B)
        return (sp.binomial(n - 2, B) + (_ti + _tj) * sp.binomial(n - 2, B - 1)
                + _ti * _tj * sp.binomial(n - 2, B - 2)) / total
    if name == "with_replacement":
        # B iid uniform indices: (N_i, N_j, rest) ~ Multinomial(B; 1/n, 1/n, (n-2)/n)
        return ((_ti + _tj + (n - 2)) / n) ** B
    raise ValueError(name)


def _at_one(expr):
    return sp.simplify(sp.combsimp(expr.subs({_ti: 1, _tj: 1})))


def moments():
    """(a, b) = (E[c_i c_j], E[c_i^2]) for each model, derived from the model's PGF (``c = N / B``)."""
    out = {}
    for name in MODELS:
        G = _pgf(name)
        assert_equal(_at_one(G), 1, f"{name}: PGF normalisation")
        EN = _at_one(sp.diff(G, _ti))
        assert_equal(EN, B / n, f"{name}: E[N_i] = B/n (so E[c_i] = 1/n, E[H_hat] = H)")
        ENN = _at_one(sp.diff(G, _ti, _tj))  # E[N_i N_j]
        EN2 = _at_one(sp.diff(G, _ti, 2)) + EN  # E[N_i^2] = E[N_i(N_i - 1)] + E[N_i]
        out[name] = (sp.simplify(ENN / B**2), sp.simplify(EN2 / B**2))
    # the textbook moments they reproduce
    p = B / n
    assert_equal(out["bernoulli"][0], p**2 / B**2, "bernoulli E[x_i x_j] = p^2")
    assert_equal(out["bernoulli"][1], p / B**2, "bernoulli E[x_i^2] = p")
    assert_equal(out["without_replacement"][0] * B**2, B * (B - 1) / (n * (n - 1)), "P(i, j in batch)")
    assert_equal(out["without_replacement"][1] * B**2, B / n, "P(i in batch)")
    assert_equal(out["with_replacement"][0] * B**2, B * (B - 1) / n**2, "multinomial E[N_i N_j]")
    assert_equal(out["with_replacement"][1] * B**2, B / n * (1 - 1 / n) + B**2 / n**2, "multinomial E[N_i^2]")
    return out


def derive():
    """κ and ν for each sampling model, and the noncommutative expansion behind them."""
    res = {}
    for name, (a, b) in moments().items():
        res[name] = (sp.simplify(a * n**2 - 1), sp.simplify(b - a))
    # Expansion identity on 3 noncommutative matrices: sum_ij E[c_i c_j] H_i M H_j
    H = sp.symbols("H1:4", commutative=False)
    M = sp.Symbol("M", commutative=False)
    a, b = sp.symbols("a b")
    lhs = sum((b if i == j else a) * H[i] * M * H[j] for i in range(3) for j in range(3))
    S = H[0] + H[1] + H[2]
    rhs = a * S * M * S + (b - a) * sum(h * M * h for h in H)
    assert sp.expand(lhs - rhs) == 0, "expansion of E[ĤMĤ]"
    # the closed forms
    assert_equal(res["bernoulli"][0], 0, "bernoulli kappa")
    assert_equal(res["bernoulli"][1], (1 - B / n) / (n * B), "bernoulli nu")
    pw = (n - B) / (B * (n - 1))
    assert_equal(res["without_replacement"][0], -pw, "without_replacement kappa")
    assert_equal(res["without_replacement"][1], pw / n, "without_replacement nu")
    assert_equal(res["with_replacement"][0], -1 / B, "with_replacement kappa")
    assert_equal(res["with_replacement"][1], 1 / (n * B), "with_replacement nu")
    return res


# --------------------------------------------------------------------------- exact enumeration
def _batches(name, nn, bb):
    """Every batch of the model as ``(probability, weights c)`` with exact rationals."""
    R = sp.Rational
    if name == "bernoulli":
        p = R(bb, nn)
        for x in itertools.product((0, 1), repeat=nn):
            k = sum(x)
            yield p**k * (1 - p) ** (nn - k), [R(xi, bb) for xi in x]
    elif name == "without_replacement":
        subsets = list(itertools.combinations(range(nn), bb))
        for s in subsets:
            yield R(1, len(subsets)), [R(int(i in s), bb) for i in range(nn)]
    elif name == "with_replacement":
        for idx in itertools.product(range(nn), repeat=bb):
            yield R(1, nn**bb), [R(idx.count(i), bb) for i in range(nn)]
    else:
        raise ValueError(name)


def _enumerated_moments(name, nn, bb):
    """(E[c], E[c c^T]) by summing over all batches."""
    mean = [sp.Integer(0)] * nn
    second = sp.zeros(nn, nn)
    total = sp.Integer(0)
    for prob, c in _batches(name, nn, bb):
        total += prob
        for i in range(nn):
            mean[i] += prob * c[i]
            for j in range(nn):
                second[i, j] += prob * c[i] * c[j]
    assert total == 1, (name, nn, bb, total)
    return mean, second


def _operator_identity(name, nn, bb, kappa, nu):
    """E[Ĥ M Ĥ] = (1+κ) H M H + ν Σ H_i M H_i on fixed rational symmetric 2x2 H_i and M, by enumeration."""
    R = sp.Rational
    Hs = [sp.Matrix([[R(i + 1), R(2 * i - 1, 3)], [R(2 * i - 1, 3), R(i * i - 2, 5)]]) for i in range(nn)]
    M = sp.Matrix([[R(2), R(-1, 7)], [R(-1, 7), R(3, 4)]])
    lhs = sp.zeros(2, 2)
    for prob, c in _batches(name, nn, bb):
        Hh = sum((ci * Hi for ci, Hi in zip(c, Hs)), sp.zeros(2, 2))
        lhs += prob * Hh * M * Hh
    Hbar = sum(Hs, sp.zeros(2, 2)) / nn
    rhs = (1 + kappa) * Hbar * M * Hbar + nu * sum((Hi * M * Hi for Hi in Hs), sp.zeros(2, 2))
    assert lhs == rhs, (name, nn, bb, "operator identity")


def check():
    res = derive()
    for name, (kappa, nu) in res.items():
        for nn in (2, 3, 4, 5):
            for bb in range(1, (nn if name != "with_replacement" else min(nn, 4)) + 1):
                mean, second = _enumerated_moments(name, nn, bb)
                assert all(m == sp.Rational(1, nn) for m in mean), (name, nn, bb, "unbiased")
                a_ex, b_ex = second[0, 1], second[0, 0]
                # exchangeability: one off-diagonal and one diagonal value
                assert all(second[i, j] == (b_ex if i == j else a_ex) for i in range(nn) for j in range(nn))
                k_exact = kappa.subs({n: nn, B: bb})
                v_exact = nu.subs({n: nn, B: bb})
                assert a_ex * nn**2 - 1 == k_exact, (name, nn, bb, "kappa")
                assert b_ex - a_ex == v_exact, (name, nn, bb, "nu")
                if nn in (3, 4):
                    _operator_identity(name, nn, bb, k_exact, v_exact)
    return res


if __name__ == "__main__":
    check()
    print("ok")
