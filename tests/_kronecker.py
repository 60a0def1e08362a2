"""Independent dense references for the second-moment operator (shared by the Gram-space and block tests; not
collected): the batch models' (kappa, nu) written out by hand, the range of stacked factors by SVD, and T built
with np.kron and restricted to symmetric matrices."""

import numpy as np
from scipy.optimize import brentq


def kappa_nu(sampling, n, B):
    """The batch models' (kappa, nu), written out independently of rmtcheck.stability.sampling."""
    if sampling == "bernoulli":
        return 0.0, (1 - B / n) / (n * B)
    if sampling == "without_replacement":
        p = 0.0 if n == 1 else (n - B) / (B * (n - 1))
        return -p, p / n
    return -1.0 / B, 1.0 / (n * B)


def stack_rows(F):
    """The factor columns of ``F`` (n, d, k) as rows (n k, d), sample-major."""
    n, d, k = F.shape
    return F.transpose(0, 2, 1).reshape(n * k, d)


def range_basis(*Fs):
    """Orthonormal basis of the span of all factors (SVD of the stacked factors; rank as the package defines it)."""
    R = np.concatenate([stack_rows(F) for F in Fs])
    _, sv, Vt = np.linalg.svd(R, full_matrices=False)
    r = int(np.sum(sv > 1e-5 * sv.max())) if sv.size and sv.max() > 0 else 0
    return Vt[:r].T


def members(F, U):
    """The members U^T F_i F_i^T U on the basis U."""
    G = np.einsum("dr,idk->irk", U, F)
    return G @ G.transpose(0, 2, 1)


def sym_basis(r):
    """Orthonormal basis of Sym(r) as columns of length r*r."""
    cols = []
    for a in range(r):
        for b in range(a, r):
            E = np.zeros((r, r))
            E[a, b] = E[b, a] = 1.0 if a == b else np.sqrt(0.5)
            cols.append(E.ravel())
    return np.array(cols).T


def kron_growth(terms, lr):
    """rho of T = (I - lr Dbar)^{(x)2} + lr^2 sum_t w_t^2 [kappa_t Hb_t (x) Hb_t + nu_t sum_i H_ti (x) H_ti] on Sym(r).

    ``terms``: (weight, kappa, nu, members (n_t, r, r)). Largest eigenvalue of the symmetric part of T
    restricted to symmetric matrices (1 for r = 0: nothing moves).
    """
    r = terms[0][3].shape[1]
    if r == 0:
        return 1.0
    Dbar = sum(w * H.mean(axis=0) for w, _, _, H in terms)
    A = np.eye(r) - lr * Dbar
    T = np.kron(A, A)
    for w, kappa, nu, H in terms:
        Hb = H.mean(axis=0)
        T += lr * lr * w * w * (kappa * np.kron(Hb, Hb) + nu * np.einsum("iab,icd->acbd", H, H).reshape(r * r, r * r))
    P = sym_basis(r)
    S = P.T @ T @ P
    return float(np.linalg.eigvalsh(0.5 * (S + S.T))[-1])


def kron_critical(terms):
    """The step size where ``kron_growth`` reaches 1 (Brent on (rho - 1)/eta, non-decreasing with one sign change)."""
    lam = np.linalg.eigvalsh(sum(w * H.mean(axis=0) for w, _, _, H in terms))[-1]
    hi = 2.0 / lam
    if kron_growth(terms, hi) - 1.0 <= 1e-12:
        return hi
    g = lambda eta: (kron_growth(terms, eta) - 1.0) / eta  # noqa: E731
    lo = 1e-3 * hi  # not lower: there rho - 1 ~ -eta lambda_min drowns in round-off for lambda_min << lambda_max
    assert g(lo) < 0
    return brentq(g, lo, hi, xtol=1e-15 * hi, rtol=1e-14)
