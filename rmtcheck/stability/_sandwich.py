"""The sandwich sum of a factored family, :math:`\\sum_i F_i F_i^\\top M F_i F_i^\\top`, using the symmetry of ``M``.

With the factor rows :math:`R = [F_1 \\cdots F_n]^\\top` (``(n k, d)``, sample-major) the sum is
:math:`R^\\top \\operatorname{blockdiag}(W_i) R` with :math:`W_i = F_i^\\top M F_i` (``k x k``). The plain route
is two GEMMs of :math:`2 n k d^2` flops each. Both halves are symmetric, so each costs half of that:

* :math:`M = U + U^\\top` with :math:`U` the upper triangle of :math:`M` and half its diagonal, so
  :math:`W_i = A_i + A_i^\\top` with :math:`A_i = F_i^\\top U F_i`, and :math:`R U` is a triangular
  product (TRMM, :math:`n k d^2` flops);
* :math:`W_i = L_i L_i^\\top` (Cholesky, when every :math:`W_i` is positive definite, as when ``M`` is a
  second moment and the factors have full column rank), else :math:`W_i = V_i \\Lambda_i V_i^\\top` split by the
  sign of the eigenvalues, so the sum is :math:`Y_+^\\top Y_+ - Y_-^\\top Y_-` with
  :math:`Y = \\operatorname{blockdiag}(L_i^\\top) R` (resp. :math:`|\\Lambda_i|^{1/2} V_i^\\top F_i^\\top`): a
  symmetric rank-k update (SYRK, :math:`n k d^2` flops).

Only the symmetric part of ``M`` enters (the sum is linear in ``M`` and maps symmetric to symmetric; the
callers pass symmetric matrices), and the result is exactly symmetric.
"""

from __future__ import annotations

import threading

import numpy as np

#: per-thread work arrays of shape (n k, d), reused from call to call (a few shapes, up to 4 Mi entries each): a
#: fresh array of a few MB each time can cost more in page faults (the allocator gives it back to the system and
#: faults it in again) than the products themselves
_WORK = threading.local()
_WORK_MAX, _WORK_SHAPES = 1 << 22, 8


def _work(name: str, shape: tuple) -> np.ndarray:
    if shape[0] * shape[1] * (shape[2] if len(shape) > 2 else 1) > _WORK_MAX:
        return np.empty(shape)
    bufs = getattr(_WORK, "bufs", None)
    if bufs is None or len(bufs) >= _WORK_SHAPES and (name, shape) not in bufs:
        bufs = _WORK.bufs = {}
    if (name, shape) not in bufs:
        bufs[(name, shape)] = np.empty(shape)
    return bufs[(name, shape)]


__all__ = ["sandwich_rows"]


def sandwich_rows(R: np.ndarray, n: int, M: np.ndarray) -> np.ndarray:
    """:math:`\\sum_i F_i F_i^\\top \\operatorname{sym}(M) F_i F_i^\\top` from the factor rows ``R``.

    Parameters
    ----------
    R : ndarray of shape (n * k, d)
        Factor rows, sample-major (rows ``i k .. i k + k - 1`` are :math:`F_i^\\top`).
    n : int
        Number of members.
    M : ndarray of shape (d, d)
        A symmetric matrix (only :math:`(M + M^\\top)/2` enters).

    Returns
    -------
    ndarray of shape (d, d)
        Exactly symmetric.
    """
    from scipy.linalg.blas import dsyrk, dtrmm  # SciPy loads on first use

    R = np.asarray(R, dtype=float)
    d = R.shape[1]
    M = np.asarray(M, dtype=float)
    if R.size == 0 or n == 0:
        return np.zeros((d, d))
    k = R.shape[0] // n
    R3 = R.reshape(n, k, d)
    Ms = M + M.T
    Ms.flat[:: d + 1] *= 0.5  # U = triu(Ms) / 2 (the TRMM reads that triangle only) has sym(M) = U + U^T
    # (R U)^T = U^T R^T: as a C array transposed, Ms is the Fortran array Ms^T, whose lower triangle is 2 U^T;
    # R^T likewise is R in Fortran order (no copies)
    RU = _work("ru", (n * k, d))
    np.copyto(RU, R)
    RU = dtrmm(0.5, Ms.T, RU.T, side=0, lower=1, trans_a=0, overwrite_b=1).T.reshape(n, k, d)
    W = RU @ R3.transpose(0, 2, 1)
    W += W.transpose(0, 2, 1).copy()  # F_i^T sym(M) F_i
    try:
        L = np.linalg.cholesky(W)
    except np.linalg.LinAlgError:
        L = None
    out = np.zeros((d, d), order="F")
    if L is not None:
        Y = np.matmul(np.ascontiguousarray(L.transpose(0, 2, 1)), R3, out=_work("y", (n, k, d))).reshape(n * k, d)
        out = dsyrk(1.0, Y.T, beta=0.0, c=out, trans=0, lower=1, overwrite_c=1)
    else:
        lam, V = np.linalg.eigh(W)
        Y = np.matmul(np.ascontiguousarray(V.transpose(0, 2, 1)), R3, out=_work("y", (n, k, d)))
        Y *= np.sqrt(np.abs(lam))[:, :, None]
        Y, neg = Y.reshape(n * k, d), (lam < 0).ravel()
        if 4 * neg.sum() <= neg.size:  # few negative eigenvalues (round-off, for a PSD M): all - 2 negative
            parts = ((1.0, Y), (-2.0, Y[neg]))
        else:
            parts = ((1.0, Y[~neg]), (-1.0, Y[neg]))
        for sign, rows in parts:
            if rows.shape[0]:
                out = dsyrk(sign, rows.T, beta=1.0, c=out, trans=0, lower=1, overwrite_c=1)
    full = out + out.T  # the upper triangle of `out` is still 0
    full.flat[:: d + 1] = np.diagonal(out)
    return full
