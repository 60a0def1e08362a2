"""Boundary cells of the Hessian test decided exactly: the rational growth factor of Dexter et al.'s Fig. 1
family against an enumeration of every batch, and the grid's side layers at known ties."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtcheck.randmat.families import dexter_construction
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.studies.dexter.experiments import HessianTestGrid, exact_growth, exact_side


def _enumerated_growth(n, sigma, B, eta, lam, sampling):
    """max_j E[J_jj^2] by enumerating every batch (the members are diagonal: H_i = m e_c(i) e_c(i)^T)."""
    m = Fraction(lam) * n / sigma
    coord = [0] * sigma + list(range(1, n - sigma + 1))
    d = n - sigma + 1
    if sampling == "without_replacement":
        batches = [(Fraction(1, len(list(itertools.combinations(range(n), B)))), S)
                   for S in itertools.combinations(range(n), B)]
    elif sampling == "with_replacement":
        batches = [(Fraction(1, n**B), S) for S in itertools.product(range(n), repeat=B)]
    else:  # bernoulli: each sample in with probability B/n, the sum divided by B
        p = Fraction(B, n)
        batches = [(p ** len(S) * (1 - p) ** (n - len(S)), S)
                   for k in range(n + 1) for S in itertools.combinations(range(n), k)]
    second = [Fraction(0)] * d
    for w, S in batches:
        diag = [Fraction(0)] * d
        for i in S:
            diag[coord[i]] += m / B
        for j in range(d):
            second[j] += w * (1 - eta * diag[j]) ** 2
    return max(second)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 7), data=st.data(), eta=st.sampled_from([Fraction(1, 4), Fraction(1, 2), Fraction(4, 5)]),
       lam=st.sampled_from([1, 2]),
       sampling=st.sampled_from(["bernoulli", "without_replacement", "with_replacement"]))
def test_exact_growth_equals_the_enumeration_of_batches(n, data, eta, lam, sampling):
    sigma = data.draw(st.integers(1, n))
    B = data.draw(st.integers(1, min(n, 4) if sampling == "with_replacement" else n))
    assert exact_growth(n, sigma, B, eta, lam, sampling) == _enumerated_growth(n, sigma, B, eta, lam, sampling)


@pytest.mark.parametrize("sampling, B, sigma, lr", [("bernoulli", 2, 49, 0.5), ("bernoulli", 4, 24, 0.5),
                                                    ("bernoulli", 10, 36, 0.8), ("without_replacement", 1, 50, 0.5)])
def test_known_ties_are_boundary_cells_and_floating_point_cannot_tell(sampling, B, sigma, lr):
    assert exact_growth(100, sigma, B, lr, 2.0, sampling) == 1 and exact_side(100, sigma, B, lr, 2.0, sampling) == 0
    rho = sgd_recursion(dexter_construction(100, sigma, 2.0), B, sampling=sampling).growth(lr)
    assert abs(rho - 1.0) <= 1e-14  # rounding puts it on either side; the exact side is 0
    assert exact_side(100, sigma + 1, B, lr, 2.0, sampling) == -1  # more coherence: stable
    assert exact_side(100, sigma - 1, B, lr, 2.0, sampling) == 1


def test_the_grid_carries_the_exact_sides():
    z = np.zeros((1, 1, 3))
    grid = HessianTestGrid(np.array([2]), np.array([48, 49, 50]), (0.5,), z, z, z, z, z, z, n=100, lam=2.0,
                           seed_entropy=0)
    assert grid.side_bernoulli.tolist() == [[[1, 0, -1]]]
    assert set(grid.as_dict()) >= {"side_wor", "side_bernoulli"}
