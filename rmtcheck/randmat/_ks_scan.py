"""The :math:`x_{\\min}` scan of :func:`rmtcheck.randmat.powerlaw.fit_powerlaw`: the full :math:`O(n^2)` scan and
the exact pruned scan (private; see the module docstring of :mod:`rmtcheck.randmat.powerlaw`).

Candidate ``i`` (sorted eigenvalue ``i``, logs ``L``) has the tail ``j >= i + offset`` of ``m_i = n - i - offset``
points and the MLE :math:`\\hat\\alpha_i` (suffix sums). With :math:`E_{ij} = e^{-(\\hat\\alpha_i - 1)(L_j - L_i)}`
and :math:`t_{ij} = (j - n)/m_i` the KS distance is :math:`D_i = \\max(-\\min_j V_{ij}, \\max_j V_{ij} + e/m_i)`,
:math:`V = E + t`, :math:`e = 1` (two-sided ECDF) or 0 (left ECDF). :func:`ks_rows` evaluates it for any set of
candidates with one floating-point formula per element (so :math:`D_i` is bitwise the same whatever the blocks).

*Pruning* [derived]: the extremes over a subset of columns, with the same formula per element, give a lower
bound :math:`LB_i \\le D_i`. :math:`E` decreases and :math:`t` increases with ``j``, so between evaluated columns
``c < c'`` every :math:`V_{ij} \\le E_{ic} + t_{ic'} = V_{ic} + (t_{ic'} - t_{ic})` and
:math:`V_{ij} \\ge V_{ic'} - (t_{ic'} - t_{ic})`: :math:`D_i \\le UB_i = LB_i + G_i/m_i`, ``G_i`` the widest gap,
plus :data:`_SLACK` (rounding; numpy's exp need not be monotone). A candidate with :math:`LB_i > T`, ``T`` the
smallest upper bound or exact distance found, has :math:`D_i > \\min_k D_k`: never the first minimum, nor tied
with it. :func:`_pruned`: short tails exactly; a grid of :data:`_K0` columns per candidate (:func:`_grid_bounds`);
then rounds of :data:`_SEEDS` unresolved candidates of smallest ``LB`` computed exactly, whose peak columns
(:math:`\\arg\\max V`, :math:`\\arg\\min V`) become "hot" columns evaluated for every survivor
(:func:`_hot_bound`; neighbouring candidates mostly peak at the same few data points); the survivors are computed
exactly. Only the work depends on the tuning constants, never the result.
"""

from __future__ import annotations

import numpy as np

_BLOCK_ELEMS = 1 << 20  # about 8 MB of float64 per working array
_ROWS = 64  # candidates per block of the exact evaluation
#: absolute slack of the bounds (the V values lie in [-1, 1]; exp is faithful to a few ulp)
_SLACK = 1e-12
#: columns per candidate of the grid bound
_K0 = 8
_GRID_ROWS = 1 << 16  # most candidates per block of the grid bound
#: candidates computed exactly per round (their extreme columns become hot columns), and the rounds
_SEEDS = 4
_ROUNDS = 32
#: unresolved work (tail points summed) below which the survivors are computed exactly without another round
_EXACT_ELEMS = 1 << 17


def mle(L: np.ndarray, offset: int, min_tail: int):
    """Candidate positions, MLE exponents (``inf`` for a zero log-sum) and tail sizes (float)."""
    n = L.size
    last = n - offset - min_tail
    idx = np.arange(last + 1)
    m = (n - idx - offset).astype(float)
    suffix = np.cumsum(L[::-1])[::-1]  # suffix[i] = sum_{j >= i} L_j
    logsum = suffix[idx] - (n - idx) * L[idx]  # sum_{j >= i} ln(l_j / l_i); the j = i term is 0
    with np.errstate(divide="ignore"):
        alphas = np.where(logsum > 0, 1.0 + m / np.where(logsum > 0, logsum, 1.0), np.inf)
    return idx, alphas, m


def _groups(rows: np.ndarray, n: int):
    """Split sorted candidate rows into blocks of at most ``_ROWS`` whose first columns lie close together."""
    s = 0
    while s < rows.size:
        r0 = int(rows[s])
        span = max(_ROWS, (n - r0) // 8)
        e = min(s + _ROWS, int(np.searchsorted(rows, r0 + span, side="right")))
        yield rows[s:e]
        s = e


def ks_rows(L, rows, ab, inv_m, offset: int, extra: float, where: bool = False):
    """Exact KS distances of the candidates ``rows`` (sorted); ``ab`` = finite :math:`\\hat\\alpha - 1`.

    ``where``: also the columns of each row's largest and smallest :math:`V` (absolute indices).
    """
    n = L.size
    jn = np.arange(n, dtype=float) - n
    out = np.empty(rows.size)
    jmax = np.empty(rows.size, dtype=np.intp)
    jmin = np.empty(rows.size, dtype=np.intp)
    s = 0
    for I in _groups(rows, n):
        B = I.size
        j0 = int(I[0])
        a = ab[I]
        V = np.multiply.outer(-a, L[j0:])
        V += (a * L[I])[:, None]
        with np.errstate(over="ignore"):  # only left-of-tail entries (overwritten below) can overflow
            np.exp(V, out=V)
        V += np.multiply.outer(inv_m[I], jn[j0:])
        # Entries left of the tail (columns j0 .. I + offset - 1) are overwritten by the row's first tail
        # entry, which changes neither extreme.
        c0 = I - j0 + offset
        w = min(int(c0[-1]) + 1, V.shape[1])
        rel = np.arange(w)[None, :] < c0[:, None]
        first = V[np.arange(B), np.minimum(c0, V.shape[1] - 1)]
        V[:, :w] = np.where(rel, first[:, None], V[:, :w])
        if where:
            jmax[s:s + B] = j0 + np.maximum(V.argmax(axis=1), c0)
            jmin[s:s + B] = j0 + np.maximum(V.argmin(axis=1), c0)
            out[s:s + B] = np.maximum(-V[np.arange(B), jmin[s:s + B] - j0],
                                      V[np.arange(B), jmax[s:s + B] - j0] + extra * inv_m[I])
        else:
            out[s:s + B] = np.maximum(-V.min(axis=1), V.max(axis=1) + extra * inv_m[I])
        s += B
    return (out, jmax, jmin) if where else out


def _grid_bounds(L, rows, ab, inv_m, mi, offset: int, extra: float, K: int):
    """``(LB, UB)`` of the candidates ``rows`` from ``K`` index-uniform columns of each tail (first and last included).

    Between sampled columns ``c < c'`` every :math:`V_j \\le E_c + t_{c'} = V_c + (t_{c'} - t_c)` and
    :math:`V_j \\ge V_{c'} - (t_{c'} - t_c)`, so :math:`D \\le LB + G/m` plus rounding, ``G`` the widest gap.
    """
    n = L.size
    LB = np.empty(rows.size)
    q = np.arange(K) / (K - 1)  # q[-1] == 1.0 exactly: the last column is n - 1
    step = max(1, min(_GRID_ROWS, _BLOCK_ELEMS // K))
    for s in range(0, rows.size, step):
        I = rows[s:s + step]
        a = ab[I]
        im = inv_m[I]
        J = np.multiply.outer(q, mi[I] - 1).astype(np.intp)  # (columns, candidates)
        J += I + offset
        V = L[J]
        V *= -a  # the same floating-point formula per element as ks_rows
        V += a * L[I]
        np.exp(V, out=V)
        J -= n
        V += J * im
        LB[s:s + I.size] = np.maximum(-V.min(axis=0), V.max(axis=0) + extra * im)
    gap = (mi[rows] - 1) // (K - 1) + 2  # the widest gap, with one to spare for the rounding of q
    return LB, LB + gap * inv_m[rows] + _SLACK


def _hot_bound(L, rows, ab, inv_m, cols, offset: int, extra: float):
    """Lower bound of the candidates ``rows`` from the shared columns ``cols`` (those in each tail)."""
    n = L.size
    out = np.empty(rows.size)
    step = max(1, _BLOCK_ELEMS // max(1, cols.size))
    Lc, jc = L[cols], cols - float(n)
    for s in range(0, rows.size, step):
        I = rows[s:s + step]
        a = ab[I]
        im = inv_m[I]
        V = np.multiply.outer(Lc, -a)  # (columns, rows); the same formula per element as ks_rows
        V += a * L[I]
        with np.errstate(over="ignore"):  # left-of-tail columns, masked below
            np.exp(V, out=V)
        V += np.multiply.outer(jc, im)
        tail = cols[:, None] >= (I + offset)
        hi = np.where(tail, V, -np.inf).max(axis=0)
        lo = np.where(tail, V, np.inf).min(axis=0)
        out[s:s + I.size] = np.maximum(-lo, hi + extra * im)
    return out


def scan(L: np.ndarray, offset: int, min_tail: int, ecdf: str, pruned: bool = False, allowed=None):
    """All candidates' ``(idx, alpha, D, m)``; ``pruned``: D is NaN where proved larger than the minimum.

    ``allowed`` (a function of the candidate positions ``idx``, returning a boolean mask): only those candidates
    compete; the pruned scan leaves the others NaN (the full scan computes them all).
    """
    idx, alphas, m = mle(L, offset, min_tail)
    inv_m = 1.0 / m
    extra = 1.0 if ecdf == "two-sided" else 0.0
    finite = np.isfinite(alphas)
    ab = np.where(finite, alphas - 1.0, 0.0)
    if not pruned:
        D = ks_rows(L, idx, ab, inv_m, offset, extra)
    else:
        alive = finite if allowed is None else finite & allowed(idx)
        D = _pruned(L, idx, ab, inv_m, m.astype(np.intp), alive, offset, extra)
    # infinite alpha (all tail points equal): no fit there
    D = np.where(finite, D, np.inf)
    return idx, alphas, D, m.astype(int)


def _pruned(L, idx, ab, inv_m, mi, finite, offset, extra):
    D = np.full(idx.size, np.nan)
    alive = np.flatnonzero(finite)
    small = alive[mi[alive] <= 2 * _K0]  # short tails: exact (cheaper than bounding them)
    alive = alive[mi[alive] > 2 * _K0]
    T = np.inf  # an upper bound of min_k D_k
    if small.size:
        D[small] = ks_rows(L, small, ab, inv_m, offset, extra)
        T = float(np.min(D[small]))
    if not alive.size:
        return D
    LB, UB = _grid_bounds(L, alive, ab, inv_m, mi, offset, extra, _K0)
    T = float(np.min(np.append(UB, T)))
    hot = np.zeros(L.size, dtype=bool)  # columns already used as hot columns
    for _ in range(_ROUNDS):
        if not np.isfinite(T):  # NaN or inf bounds: prune nothing
            break
        keep = ~(LB > T + _SLACK)  # (a NaN bound prunes nothing)
        alive, LB = alive[keep], LB[keep]
        todo = np.isnan(D[alive])
        if np.count_nonzero(todo) <= _SEEDS or np.sum(mi[alive[todo]]) <= _EXACT_ELEMS:
            break  # cheaper to compute them exactly than to run another round
        # seeds: the unresolved candidates of smallest lower bound, computed exactly; their extreme columns
        # become shared "hot" columns of every survivor's lower bound
        cand = np.flatnonzero(todo)
        pick = cand[np.argpartition(LB[cand], _SEEDS)[:_SEEDS]]
        seeds = alive[pick]
        order = np.argsort(seeds)
        Ds, jmax, jmin = ks_rows(L, seeds[order], ab, inv_m, offset, extra, where=True)
        D[seeds[order]] = Ds
        LB[pick[order]] = Ds
        T = min(T, float(np.min(Ds)))
        new = np.unique(np.concatenate([jmax, jmin]))
        new = new[~hot[new]]
        hot[new] = True
        if new.size:
            LB = np.maximum(LB, _hot_bound(L, alive, ab, inv_m, new, offset, extra))
    rest = alive[np.isnan(D[alive])]
    if rest.size:
        D[rest] = ks_rows(L, rest, ab, inv_m, offset, extra)
    return D
