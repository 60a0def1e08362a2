"""Descent–ascent pairs: the three-axis trace identity and the pair/independent operators. [derived]

Statement: the decomposition of coherence along three axes (within retain, within forget, between them) of
[changkhanna2026]; the identities below are derived here.

[changkhanna2026] build the pairs
:math:`D_{ij} = (1-\\alpha)A_i - \\alpha B_j` (retain :math:`A_i`,
forget :math:`B_j`). Derived and asserted here:

1. :math:`\\operatorname{Tr}(D_{ij}D_{kl}) = (1-\\alpha)^2\\operatorname{Tr}(A_iA_k) + \\alpha^2\\operatorname{Tr}(B_jB_l)
   - \\alpha(1-\\alpha)[\\operatorname{Tr}(A_iB_l) + \\operatorname{Tr}(B_jA_k)]` on generic symmetric matrices;
2. :math:`\\sum_{ij} D_{ij}MD_{ij} = n_f(1-\\alpha)^2\\sum_i A_iMA_i + n_r\\alpha^2\\sum_j B_jMB_j
   - \\alpha(1-\\alpha)[(\\sum A)M(\\sum B) + (\\sum B)M(\\sum A)]` (non-commutative, :math:`n_r = 2, n_f = 3`),
   and :math:`\\frac1N\\sum_{ij}D_{ij} = \\bar D`;
3. independent bernoulli batches: :math:`\\mathbb E[\\hat D M\\hat D] = \\bar DM\\bar D + (1-\\alpha)^2\\nu_r\\sum A_iMA_i
   + \\alpha^2\\nu_f\\sum B_jMB_j` with :math:`\\nu = (1-B/n)/(nB)` — cross alignment enters only through
   :math:`\\bar D` (from the indicator moments, :math:`n_r = n_f = 2`);
4. pair bernoulli over :math:`N` pairs: :math:`\\mathbb E[\\hat D M\\hat D] = \\bar DM\\bar D + \\frac{1-B/N}{NB}\\sum_{ij} D_{ij}MD_{ij}`.
"""

import sympy as sp

from rmtcheck.proofs._common import B, assert_equal

a = sp.Symbol("alpha", nonnegative=True)


def _sym(name, d=3):
    s = sp.symbols(f"{name}_0:{d * (d + 1) // 2}")
    M = sp.zeros(d, d)
    k = 0
    for i in range(d):
        for j in range(i, d):
            M[i, j] = M[j, i] = s[k]
            k += 1
    return M


def derive():
    out = {}
    Ai, Ak, Bj, Bl = (_sym(n) for n in ("Ai", "Ak", "Bj", "Bl"))
    Dij, Dkl = (1 - a) * Ai - a * Bj, (1 - a) * Ak - a * Bl
    lhs = (Dij * Dkl).trace()
    rhs = ((1 - a) ** 2 * (Ai * Ak).trace() + a**2 * (Bj * Bl).trace()
           - a * (1 - a) * ((Ai * Bl).trace() + (Bj * Ak).trace()))
    assert_equal(sp.expand(lhs), sp.expand(rhs), "three-axis identity for Tr(D_ij D_kl)")
    out["three_axis"] = rhs

    A = sp.symbols("A1:3", commutative=False)
    Bs = sp.symbols("B1:4", commutative=False)
    M = sp.Symbol("M", commutative=False)
    nr, nf = len(A), len(Bs)
    D = [(1 - a) * Ai_ - a * Bj_ for Ai_ in A for Bj_ in Bs]
    lhs = sum(d_ * M * d_ for d_ in D)
    SA, SB = sum(A), sum(Bs)
    rhs = (nf * (1 - a) ** 2 * sum(x * M * x for x in A) + nr * a**2 * sum(x * M * x for x in Bs)
           - a * (1 - a) * (SA * M * SB + SB * M * SA))
    assert sp.expand(lhs - rhs) == 0, "pair sandwich decomposition"
    assert sp.expand(sum(D) / (nr * nf) - ((1 - a) * SA / nr - a * SB / nf)) == 0, "mean of the pairs"
    out["pair_sandwich"] = rhs

    # 3. independent bernoulli batches, n_r = n_f = 2, from indicator moments
    nn = 2
    p = B / nn
    Er = lambda i, k: (p / B**2) if i == k else (p * p / B**2)  # noqa: E731  E[c_i c_k]
    A2, B2 = A[:2], Bs[:2]
    terms = [((1 - a), A2, "r"), (-a, B2, "f")]
    lhs = 0
    for w1, F1, t1 in terms:
        for w2, F2, t2 in terms:
            for i in range(nn):
                for k in range(nn):
                    mom = Er(i, k) if t1 == t2 else sp.Rational(1, nn * nn)
                    lhs += w1 * w2 * mom * F1[i] * M * F2[k]
    Dbar = (1 - a) * sum(A2) / nn - a * sum(B2) / nn
    nu = (1 - B / nn) / (nn * B)
    rhs = Dbar * M * Dbar + (1 - a) ** 2 * nu * sum(x * M * x for x in A2) + a**2 * nu * sum(x * M * x for x in B2)
    assert sp.expand(sp.simplify(sp.expand(lhs - rhs))) == 0, "independent bernoulli second moment"
    out["independent_nu"] = nu

    # 4. pair bernoulli over N = 4 pairs (2 x 2)
    Dp = [(1 - a) * x - a * y for x in A2 for y in B2]
    N = len(Dp)
    q = B / N
    lhs = sum(((q / B**2) if s == t else (q * q / B**2)) * Dp[s] * M * Dp[t] for s in range(N) for t in range(N))
    Dbar = sum(Dp) / N
    rhs = Dbar * M * Dbar + (1 - B / N) / (N * B) * sum(x * M * x for x in Dp)
    assert sp.expand(sp.simplify(sp.expand(lhs - rhs))) == 0, "pair bernoulli second moment"
    out["pair_nu"] = (1 - B / N) / (N * B)
    return out


def check():
    return derive()


if __name__ == "__main__":
    check()
    print("ok")
