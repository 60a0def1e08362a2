"""The exact second-moment operator of linearised SGD for the three sampling models. [derived]

With :math:`\\hat H = \\sum_i c_i H_i`, :math:`a = E[c_i c_j]\\,(i \\ne j)` and :math:`b = E[c_i^2]`,

.. math:: E[\\hat H M \\hat H] = a\\,(\\textstyle\\sum_i H_i) M (\\sum_j H_j) + (b - a) \\sum_i H_i M H_i,

so :math:`T(M) = (I-\\eta H)M(I-\\eta H) + \\eta^2[\\kappa HMH + \\nu \\sum_i H_iMH_i]` with
:math:`\\kappa = a n^2 - 1`, :math:`\\nu = b - a`. The moments come from the batch indicators:
Bernoulli(B/n) products, a uniform B-subset (hypergeometric), and Multinomial(B, 1/n) counts.
The derived coefficients are asserted equal to :class:`rmtcheck.sampling.SamplingModel`'s.
"""

import sympy as sp

from rmtcheck.proofs._common import B, assert_equal, n


def moments():
    """(a, b) = (E[c_i c_j], E[c_i^2]) for each model, from the indicator moments."""
    p = B / n
    out = {}
    # bernoulli: x_i iid Bernoulli(p), c = x / B; x^2 = x
    out["bernoulli"] = (p * p / B**2, p / B**2)
    # without replacement: P(i in batch) = B/n, P(i, j in batch) = B(B-1)/(n(n-1))
    out["without_replacement"] = (B * (B - 1) / (n * (n - 1)) / B**2, p / B**2)
    # with replacement: counts ~ Multinomial(B, 1/n): E N_i^2 = B/n (1-1/n) + B^2/n^2, E N_i N_j = B(B-1)/n^2
    out["with_replacement"] = (B * (B - 1) / n**2 / B**2, (B / n * (1 - 1 / n) + B**2 / n**2) / B**2)
    return out


def derive():
    """κ and ν for each sampling model, and the noncommutative expansion behind them."""
    res = {}
    for name, (a, b) in moments().items():
        res[name] = (sp.simplify(a * n**2 - 1), sp.simplify(b - a))
    # E[c] = 1/n for every model, so E[Ĥ] = H (unbiased)
    # Expansion identity on 3 noncommutative matrices: sum_ij E[c_i c_j] H_i M H_j
    H = sp.symbols("H1:4", commutative=False)
    M = sp.Symbol("M", commutative=False)
    a, b = sp.symbols("a b")
    lhs = sum((b if i == j else a) * H[i] * M * H[j] for i in range(3) for j in range(3))
    S = H[0] + H[1] + H[2]
    rhs = a * S * M * S + (b - a) * sum(h * M * h for h in H)
    assert sp.expand(lhs - rhs) == 0, "expansion of E[ĤMĤ]"
    # the published bernoulli form: nu = (1 - B/n)/(nB), kappa = 0
    assert_equal(res["bernoulli"][0], 0, "bernoulli kappa")
    assert_equal(res["bernoulli"][1], (1 - B / n) / (n * B), "bernoulli nu")
    pw = (n - B) / (B * (n - 1))
    assert_equal(res["without_replacement"][0], -pw, "without_replacement kappa")
    assert_equal(res["without_replacement"][1], pw / n, "without_replacement nu")
    assert_equal(res["with_replacement"][0], -1 / B, "with_replacement kappa")
    assert_equal(res["with_replacement"][1], 1 / (n * B), "with_replacement nu")
    return res


def check():
    from rmtcheck.sampling import SamplingModel

    res = derive()
    for name, (kappa, nu) in res.items():
        for nn in (2, 3, 7, 100):
            for bb in sorted({1, 2, nn // 2 or 1, nn}):
                model = SamplingModel(name, nn, bb)
                k_exact = kappa.subs({n: nn, B: bb})
                v_exact = nu.subs({n: nn, B: bb})
                assert abs(float(k_exact) - model.kappa) <= 1e-15 * max(1, abs(model.kappa)), (name, nn, bb)
                assert abs(float(v_exact) - model.nu) <= 1e-15 * max(1, abs(model.nu)), (name, nn, bb)
    return res


if __name__ == "__main__":
    check()
    print("ok")
