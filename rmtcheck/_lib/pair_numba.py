"""Fused numba kernels of :mod:`rmtcheck._lib.pair_kernels` (imported only when the numba back end is used).

Private: call them through :func:`rmtcheck._lib.pair_kernels.pair_product` and
:func:`rmtcheck._lib.pair_kernels.negative_mass`, which validate the back end and the arrays.
"""

import numba
import numpy as np


@numba.njit(inline="always", fastmath=True, cache=True)
def _root(x, single):  # pragma: no cover - compiled
    # sqrt|x|; ``single``: the square root of x rounded to float32 (relative error <= 2**-24), widened again
    return np.float64(np.sqrt(np.float32(np.abs(x)))) if single else np.sqrt(np.abs(x))


@numba.njit(parallel=True, fastmath=True, cache=True)
def _nb_product_sym(R, F, C, Z, slots, single):  # pragma: no cover - compiled
    # Square product: each distinct entry (P <= Q, row-major pair order) is evaluated once and
    # used for both y_P and y_Q; rows i are dealt round-robin to ``slots`` accumulators (a fixed
    # number, not the thread count, so the summation order and the result do not depend on threads).
    # ``single`` (loop-invariant): square roots in float32, the rest in float64 (the warm-up products).
    nr, nf = C.shape
    Yp = np.zeros((slots, nr, nf))
    for t in numba.prange(slots):
        Y = Yp[t]
        v = np.empty(nf)
        for i in range(t, nr, slots):
            for j in range(nf):
                for l in range(nf):
                    v[l] = F[j, l] - C[i, l]
                zij = Z[i, j]
                base = R[i, i] - C[i, j]
                acc = _root(base + v[j], single) * zij
                for l in range(j + 1, nf):
                    s = _root(base + v[l], single)
                    acc += s * Z[i, l]
                    Y[i, l] += s * zij
                for k in range(i + 1, nr):
                    base = R[i, k] - C[k, j]
                    for l in range(nf):
                        s = _root(base + v[l], single)
                        acc += s * Z[k, l]
                        Y[k, l] += s * zij
                Y[i, j] += acc
    return Yp.sum(axis=0)


@numba.njit(parallel=True, fastmath=True, cache=True)
def _nb_negative_sym(R, F, C, W, tol, slots):  # pragma: no cover - compiled
    # The weighted count of traces below -tol over distinct entries (P <= Q, as in _nb_product_sym; the
    # diagonal T_PP = ||D_P||_F^2 >= 0 never counts), doubled off the diagonal; the same association
    # (R_ik - C_kj) + (F_jl - C_il) as the product. Sums of integer multiplicities are exact in any order.
    nr, nf = C.shape
    out = np.zeros(slots)
    for t in numba.prange(slots):
        v = np.empty(nf)
        tot = 0.0
        for i in range(t, nr, slots):
            for j in range(nf):
                for l in range(nf):
                    v[l] = F[j, l] - C[i, l]
                acc = 0.0
                base = R[i, i] - C[i, j]
                for l in range(j + 1, nf):
                    acc += W[i, l] * (base + v[l] < -tol)
                for k in range(i + 1, nr):
                    base = R[i, k] - C[k, j]
                    for l in range(nf):
                        acc += W[k, l] * (base + v[l] < -tol)
                tot += 2.0 * acc * W[i, j]
        out[t] = tot
    return out.sum()
