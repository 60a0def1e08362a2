"""Coherence of descent–ascent unlearning along three axes ([1]_), and the pair coherence :math:`\\sigma_{mix}`.

Retain Hessians :math:`A_i = H^r_i` (:math:`n_r`), forget Hessians :math:`B_j = H^f_j` (:math:`n_f`),
mixing weight :math:`\\alpha`, pairs :math:`D_{ij} = (1-\\alpha)A_i - \\alpha B_j` (:math:`N = n_r n_f`).

Three-axis identity [derived; ``proofs/chang_khanna_three_axis.py``, item 1]:

.. math::

    \\operatorname{Tr}(D_{ij}D_{kl}) = (1-\\alpha)^2\\underbrace{\\operatorname{Tr}(A_iA_k)}_{R_{ik}}
      + \\alpha^2\\underbrace{\\operatorname{Tr}(B_jB_l)}_{F_{jl}}
      - \\alpha(1-\\alpha)\\big[\\underbrace{\\operatorname{Tr}(A_iB_l)}_{C_{il}} + C_{kj}\\big].

The blocks :math:`S_{rr} = \\sqrt R`, :math:`S_{ff} = \\sqrt F`, :math:`S_{rf} = \\sqrt C` (entrywise; all
traces of PSD pairs are :math:`\\ge 0`) are reported with scalar summaries: :math:`\\sigma_r`,
:math:`\\sigma_f` (coherence of each set, [2]_, Definition 1), the cross coherence
:math:`\\sigma_{rf} = \\|S_{rf}\\|_2/\\sqrt{\\max_i\\lambda_{\\max}(A_i)\\max_j\\lambda_{\\max}(B_j)}` and the
alignment :math:`\\cos\\angle(H_r, H_f) = \\operatorname{Tr}(H_rH_f)/(\\|H_r\\|_F\\|H_f\\|_F) \\in [0, 1]`
(1 when the mean forget curvature is proportional to the retain one, 0 when their ranges are
orthogonal).

Pair coherence and the sign convention [paper for the definition ([1]_, the analogue for the pairs of
the coherence of [2]_, Definition 1); the convention is ours]:

.. math:: S_{(ij),(kl)} = \\sqrt{|\\operatorname{Tr}(D_{ij}D_{kl})|},\\qquad
          \\sigma_{mix} = \\lambda_{\\max}(S)/\\max_{ij}\\|D_{ij}\\|_2 .

:math:`\\operatorname{Tr}(D_{ij}D_{kl})` is negative whenever the cross term dominates; the authors'
code takes the square root without the absolute value and produces NaN there. **We take the absolute
value** (the magnitude of the curvature overlap, sign discarded), which keeps :math:`S` entrywise
non-negative and symmetric, so :math:`\\lambda_{\\max}(S)` is its Perron root; ``negative_fraction``
reports how many entries the convention touched.

Cost of :func:`pair_coherence`: the three Gram blocks cost :math:`O((n_r+n_f)^2 d)` (rank one) or
:math:`O((n_r+n_f)^2 d^2)` (dense) instead of the naive :math:`O(N^2 d^2)` pair Gram matrix; exact
duplicates among members are merged first (an exact reduction by multiplicities); then either the
:math:`N_u \\times N_u` matrix of unique pairs is built (:math:`N_u \\le` ``dense_max``) or :math:`S` is
applied matrix-free (:mod:`rmtcheck._lib.pair_kernels`: a fused numba loop when numba is installed, cache-sized
NumPy blocks otherwise) in :math:`O(N_u^2)` square roots and :math:`O(N_u)` memory per product, inside a
restarted Lanczos iteration whose Rayleigh/Collatz–Wielandt bracket certifies :math:`\\lambda_{\\max}(S)`
to ``rtol`` (5–8 products at ``rtol = 1e-6`` on Gaussian families). The square root is entrywise, so
no Kronecker factorisation of :math:`S` exists: every exact method must evaluate all
:math:`N_u(N_u+1)/2` distinct entries, :math:`O(N^2)` per product is the floor without duplicates.

References
----------
.. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
.. [2] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Definition 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rmtcheck._lib.pair_kernels import NUMBA_MIN_PAIRS, choose_backend, negative_mass, pair_product
from rmtcheck._lib.validation import check_unit_interval
from rmtcheck.stability.coherence import coherence, coherence_matrix
from rmtcheck.stability.families import HessianFamily, as_family_pair
from rmtcheck.stability.pairs import PairFamily

__all__ = [
    "coherence_blocks",
    "cross_traces",
    "alignment",
    "cross_coherence",
    "mixed_spectrum",
    "pair_coherence",
    "pair_coherence_naive",
    "PairCoherence",
    "MixedCoherence",
    "mixed_coherence",
]


def cross_traces(retain, forget) -> np.ndarray:
    """Cross traces :math:`C_{ij} = \\operatorname{Tr}(A_iB_j)` between retain and forget members.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.

    Returns
    -------
    ndarray of shape (n_r, n_f)
        Non-negative for PSD members; :math:`(a_i^\\top b_j)^2` for rank-one members.

    Raises
    ------
    ValueError
        If the dimensions differ or an input is not a valid family.

    Examples
    --------
    >>> import numpy as np
    >>> cross_traces(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 2.0]])).tolist()
    [[0.0], [4.0]]
    """
    r, f = as_family_pair(retain, forget)
    if r.d != f.d:
        raise ValueError(f"retain and forget must have the same dimension d; got {r.d} and {f.d}")
    if r.is_rank_one and f.is_rank_one:
        return (r.factors @ f.factors.T) ** 2
    if r.k is not None and f.k is not None:  # Tr(F_i F_i^T F_j F_j^T) = |F_i^T F_j|_F^2
        Rr = r.factors if r.is_rank_one else r.rows
        Rf = f.factors if f.is_rank_one else f.rows
        C = (Rr @ Rf.T).reshape(r.n, r.k, f.n, f.k)
        return np.einsum("iajb,iajb->ij", C, C)
    if r.is_blocks or f.is_blocks:
        r, f = (HessianFamily(stack=x.dense()) if x.is_blocks else x for x in (r, f))
    if r.is_rank_one:
        return np.einsum("ia,jab,ib->ij", r.factors, f.stack, r.factors, optimize=True)
    if f.is_rank_one:
        return np.einsum("ja,iab,jb->ij", f.factors, r.stack, f.factors, optimize=True)
    return r.stack.reshape(r.n, -1) @ f.stack.reshape(f.n, -1).T


def coherence_blocks(retain, forget) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three coherence blocks :math:`(S_{rr}, S_{ff}, S_{rf})`: entrywise square roots of the trace blocks.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.

    Returns
    -------
    S_rr : ndarray of shape (n_r, n_r)
        :math:`\\sqrt{\\operatorname{Tr}(A_iA_k)}` (:func:`~rmtcheck.stability.coherence.coherence_matrix`).
    S_ff : ndarray of shape (n_f, n_f)
        :math:`\\sqrt{\\operatorname{Tr}(B_jB_l)}`.
    S_rf : ndarray of shape (n_r, n_f)
        :math:`\\sqrt{\\operatorname{Tr}(A_iB_l)}`.

    Raises
    ------
    ValueError
        If the dimensions differ or an input is not a valid family.

    See Also
    --------
    cross_traces, mixed_coherence
    """
    r, f = as_family_pair(retain, forget)
    return coherence_matrix(r), coherence_matrix(f), np.sqrt(np.maximum(cross_traces(r, f), 0.0))


def alignment(retain, forget) -> float:
    """Alignment :math:`\\operatorname{Tr}(H_rH_f)/(\\|H_r\\|_F\\|H_f\\|_F) \\in [0, 1]` (cosine of the mean Hessians).

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.

    Returns
    -------
    float
        1 when the mean forget curvature is proportional to the retain one, 0 when their ranges are
        orthogonal (clipped to :math:`[0, 1]` against round-off).

    Raises
    ------
    ValueError
        If the retain or forget Hessians are all zero, or an input is not a valid family.

    Examples
    --------
    >>> import numpy as np
    >>> alignment(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    0.0
    >>> alignment(np.array([[1.0, 0.0]]), np.array([[3.0, 0.0]]))
    1.0
    """
    r, f = as_family_pair(retain, forget)
    nr, nf = np.linalg.norm(r.mean), np.linalg.norm(f.mean)
    if nr == 0 or nf == 0:
        raise ValueError("alignment is undefined when the retain or forget Hessians are all zero")
    return float(np.clip(np.vdot(r.mean, f.mean) / (nr * nf), 0.0, 1.0))


def cross_coherence(retain, forget) -> float:
    """Cross coherence :math:`\\sigma_{rf}` between the retain and forget families.

    .. math:: \\sigma_{rf} = \\|S_{rf}\\|_2 / \\sqrt{\\max_i\\lambda_{\\max}(A_i)\\max_j\\lambda_{\\max}(B_j)}

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.

    Returns
    -------
    float
        0 when every retain member is orthogonal to every forget member.

    Raises
    ------
    ValueError
        If the retain or forget Hessians are all zero, or an input is not a valid family.

    Examples
    --------
    >>> import numpy as np
    >>> cross_coherence(np.eye(2)[:1], np.eye(2)[1:])
    0.0
    """
    r, f = as_family_pair(retain, forget)
    top = float(np.sqrt(r.top_eigenvalues.max() * f.top_eigenvalues.max()))
    if top <= 0:
        raise ValueError("cross coherence is undefined when the retain or forget Hessians are all zero")
    C = np.sqrt(np.maximum(cross_traces(r, f), 0.0))
    return float(np.linalg.norm(C, 2)) / top


def mixed_spectrum(retain, forget, *, alpha: float) -> np.ndarray:
    """Ascending eigenvalues of :math:`\\bar D = (1-\\alpha)H_r - \\alpha H_f` (indefinite in general).

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.

    Returns
    -------
    ndarray of shape (d,)
        A negative eigenvalue means unlearning escapes for every step size (mean part of
        ``proofs/chang_khanna_dexter_conditions.py``).

    Raises
    ------
    ValueError
        If ``alpha`` is not in :math:`[0, 1]` or an input is not a valid family.

    See Also
    --------
    rmtcheck.stability.unlearning.mixed_hessian
    """
    r, f = as_family_pair(retain, forget)
    a = check_unit_interval(alpha, "alpha")
    return np.linalg.eigvalsh((1 - a) * r.mean - a * f.mean)


# --------------------------------------------------------------------------- pair coherence
@dataclass
class PairCoherence:
    """Result of :func:`pair_coherence`.

    Attributes
    ----------
    sigma_mix : float
        :math:`\\lambda_{\\max}(S)/\\max_{ij}\\|D_{ij}\\|_2`.
    lambda_max : float
        :math:`\\lambda_{\\max}(S)` (midpoint of the bracket for the matrix-free method).
    lambda_lower, lambda_upper : float
        Certified bracket of :math:`\\lambda_{\\max}(S)` (equal for the dense method).
    max_pair_norm : float
        :math:`\\max_{ij}\\|D_{ij}\\|_2`.
    negative_fraction : float
        Fraction of the :math:`N^2` pair entries with :math:`\\operatorname{Tr}(D_{ij}D_{kl}) < 0` (where
        the absolute-value convention acted); NaN when not counted. A trace within round-off of zero
        (:math:`|\\operatorname{Tr}| \\le 10^{-12}` times the largest block trace; e.g. a pair that
        vanishes, a forget member that is also a retain member at :math:`\\alpha = 1/2`) counts as zero, so
        its computed sign never decides the count.
    pairs : int
        :math:`N = n_r n_f`.
    unique_pairs : int
        Nonzero pairs after merging duplicate members.
    method : {"dense", "matrix-free"}
        How :math:`\\lambda_{\\max}(S)` was computed.
    matvecs : int
        Matrix-free products used (0 for dense).
    convention : str
        ``"abs"``: :math:`S = \\sqrt{|\\operatorname{Tr}(D_{ij}D_{kl})|}`.
    """

    sigma_mix: float
    lambda_max: float
    lambda_lower: float
    lambda_upper: float
    max_pair_norm: float
    negative_fraction: float
    pairs: int
    unique_pairs: int
    method: str
    matvecs: int = 0
    convention: str = "abs"

    def to_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)


def _unique_members(fam: HessianFamily):
    """Unique members (as a family), multiplicities; rank-one signs are canonicalised (g ~ -g)."""
    if fam.is_rank_one:
        G = fam.factors.copy()
        nz = G != 0
        first = np.where(nz.any(axis=1), nz.argmax(axis=1), 0)
        sgn = np.sign(G[np.arange(fam.n), first])
        sgn[sgn == 0] = 1.0
        G *= sgn[:, None]
        U, counts = np.unique(G, axis=0, return_counts=True)
        return HessianFamily(factors=np.ascontiguousarray(U)), counts.astype(float)
    if fam.is_blocks:  # equal members can have rotated blocks; no de-duplication (an optimisation only)
        return fam, np.ones(fam.n)
    U, counts = np.unique(fam.stack.reshape(fam.n, -1), axis=0, return_counts=True)
    return HessianFamily(stack=np.ascontiguousarray(U.reshape(-1, fam.d, fam.d)), psd=fam.psd), counts.astype(float)


def _blocks(r, f, alpha):
    a = alpha
    R = (1 - a) ** 2 * r.gram_traces
    F = a * a * f.gram_traces
    C = a * (1 - a) * cross_traces(r, f)
    return R, F, C


def _pair_norms(r, f, alpha):

    return PairFamily(r, f, alpha=alpha).top_eigenvalues.reshape(r.n, f.n)


def pair_coherence(retain, forget, *, alpha: float, method: str = "auto", rtol: float = 1e-7,
                   dense_max: int = 3000, block_elems: int = 1 << 18, maxiter: int = 1000,
                   workers: int | None = None, backend: str = "auto",
                   count_negative: bool = True) -> PairCoherence:
    """Pair coherence :math:`\\sigma_{mix}` with the absolute-value convention (see the module notes).

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    method : {"auto", "dense", "matrix-free"}, default "auto"
        ``auto`` builds the unique-pair matrix when it has at most ``dense_max`` rows.
    rtol : float, default 1e-7
        Relative width of the certified Collatz–Wielandt bracket (matrix-free).
    dense_max : int, default 3000
        Largest number of unique pairs for which ``auto`` uses the dense method.
    block_elems : int, default 262144
        Entries of :math:`S` generated per block by the NumPy back end (8 bytes each; blocks of 90,000 to 270,000 entries measured equally fast at N = 90,000).
    maxiter : int, default 1000
        Most matrix-free products.
    workers : int, optional
        Threads of the NumPy back end (default ``min(4, cpu_count)``).
    backend : {"auto", "numba", "numpy"}, default "auto"
        Matrix-free kernel; ``auto`` uses numba when installed (``pip install "rmtcheck[fast]"``), its JIT is
        not disabled (``NUMBA_DISABLE_JIT``) and the problem is large enough to repay loading the compiled
        kernel (:func:`rmtcheck._lib.pair_kernels.choose_backend`); both give the same numbers to round-off,
        except that from :data:`WARM_MIN_PAIRS` unique pairs on numba first iterates on single-precision square
        roots and certifies with exact products, so there the two agree within the certified bracket.
    count_negative : bool, default True
        Compute ``negative_fraction`` (one extra pass without square roots; NaN when off).

    Returns
    -------
    PairCoherence
        ``sigma_mix = lambda_max / max_pair_norm``. Pairs with :math:`D_{ij} = 0` (e.g. identical
        retain and forget members at :math:`\\alpha = 1/2`) have zero rows in :math:`S` and are dropped.

    Raises
    ------
    ValueError
        If every pair vanishes, the dimensions differ, ``alpha`` is not in :math:`[0, 1]` or ``method``
        is unknown; on the matrix-free path also if ``backend`` is unknown, or ``"numba"`` without numba
        installed.

    See Also
    --------
    mixed_coherence : All three axes and :math:`\\sigma_{mix}`.
    pair_coherence_naive : The :math:`O(N^2 d^2)` baseline.

    Notes
    -----
    Cost: :math:`O((n_r+n_f)^2 d)` for the blocks (rank one), then :math:`O(N_u^3)` (dense) or
    :math:`O(N_u^2)` per matrix-free product with :math:`O(N_u)` memory, :math:`N_u` = number of unique
    pairs; the naive route (:func:`pair_coherence_naive`) needs :math:`O(N^2 d^2)` time and
    :math:`O(N^2)` memory.

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026] (definition of :math:`\\sigma_{mix}`; the
       absolute value is this package's convention).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> pc = pair_coherence(R, F, alpha=0.2)
    >>> pc.method, pc.pairs, round(pc.sigma_mix, 4), round(pc.negative_fraction, 4)
    ('dense', 200, 37.9702, 0.3236)
    >>> mf = pair_coherence(R, F, alpha=0.2, method="matrix-free", backend="numpy", rtol=1e-9)
    >>> bool(abs(mf.sigma_mix - pc.sigma_mix) <= 1e-8 * pc.sigma_mix)
    True
    """
    r0, f0 = as_family_pair(retain, forget)
    a = check_unit_interval(alpha, "alpha")
    if r0.d != f0.d:
        raise ValueError(f"retain and forget must have the same dimension d; got {r0.d} and {f0.d}")
    if method not in ("auto", "dense", "matrix-free"):
        raise ValueError(f"method must be 'auto', 'dense' or 'matrix-free'; got {method!r}")
    r, wr = _unique_members(r0)
    f, wf = _unique_members(f0)
    norms = _pair_norms(r, f, a)
    top = float(norms.max())
    # pairs that vanish up to round-off of the members' scale count as zero (their ratio would be round-off)
    scale = max((1 - a) * float(r.top_eigenvalues.max()), a * float(f.top_eigenvalues.max()))
    if top <= 1e-12 * scale or top <= 0:
        raise ValueError("every pair D_ij = (1-alpha)H^r_i - alpha H^f_j is zero (up to round-off): sigma_mix is "
                         "undefined")
    R, F, C = _blocks(r, f, a)
    keep = (norms > max(1e-14 * top, 1e-12 * scale)).ravel()
    w = (wr[:, None] * wf[None, :]).ravel()
    sw = np.sqrt(w) * keep
    nu = int(keep.sum())
    N = r0.n * f0.n
    if method == "dense" or (method == "auto" and r.n * f.n <= dense_max):
        T = (R[:, None, :, None] + F[None, :, None, :] - C[:, None, None, :] - C.T[None, :, :, None])
        T = T.reshape(r.n * f.n, r.n * f.n)
        neg = float(np.sum((T < -_trace_tol(R, F, C)) * np.outer(w, w)) / (N * N))
        S = np.sqrt(np.abs(T)) * np.outer(sw, sw)
        lam = float(np.linalg.eigvalsh(S)[-1])
        return PairCoherence(lam / top, lam, lam, lam, top, neg, N, nu, "dense")
    backend = choose_backend(backend, nu)
    lam, lo, hi, neg, k = _perron_matrix_free(R, F, C, sw, w, rtol, block_elems, maxiter, workers, backend,
                                              count_negative)
    return PairCoherence(lam / top, lam, lo, hi, top, neg / (N * N), N, nu, "matrix-free", matvecs=k)


def _trace_tol(R, F, C) -> float:
    """Round-off scale of a pair trace ``R_ik + F_jl - C_il - C_kj``: below it in magnitude, a trace is zero."""
    return 1e-12 * (float(np.abs(R).max()) + float(np.abs(F).max()) + 2.0 * float(np.abs(C).max()))


def _lanczos_perron(matvec, x, active, rtol, maxiter, basis: int = 12, vector: bool = False):
    r"""Certified Perron root of a symmetric entrywise non-negative operator.

    Lanczos (full reorthogonalisation, restarted every ``basis`` products from the Ritz vector) drives
    the Ritz vector :math:`y` to the Perron vector; every step the bracket

    .. math:: \max\Big(\tfrac{y^\top Sy}{y^\top y}, \min_p \tfrac{(Sy)_p}{y_p}\Big) \le \lambda_{\max}(S)
              \le \max_p \tfrac{(Sy)_p}{y_p}

    (Rayleigh quotient; Collatz–Wielandt, valid for :math:`y > 0`) is evaluated from the stored
    products :math:`SV` at no extra cost. Stops when the relative width is at most ``rtol``.
    Returns ``(lower, upper, products)``, and the last Ritz vector with ``vector=True``.
    """
    out = (lambda lo, hi, k, y: (lo, hi, k, y)) if vector else (lambda lo, hi, k, y: (lo, hi, k))
    lo, hi = 0.0, np.inf
    k = 0
    y = x / np.linalg.norm(x)
    while k < maxiter:
        V, W = [y], []
        for _ in range(basis):
            W.append(matvec(V[-1]))
            k += 1
            Vm, Wm = np.array(V), np.array(W)
            H = Vm @ Wm.T
            theta, U = np.linalg.eigh(0.5 * (H + H.T))
            c = U[:, -1] * np.sign(U[:, -1].sum() or 1.0)
            y, Sy = c @ Vm, c @ Wm
            lo = max(lo, float(theta[-1]))
            if np.all(y[active] > 0):
                ratio = Sy[active] / y[active]
                lo, hi = max(lo, float(ratio.min())), min(hi, float(ratio.max()))
            if hi - lo <= rtol * hi or k >= maxiter:
                return out(lo, hi, k, y)
            v = W[-1] - (Vm.T @ (Vm @ W[-1]))
            v -= Vm.T @ (Vm @ v)
            nv = np.linalg.norm(v)
            if nv <= 1e-14 * np.linalg.norm(W[-1]):
                # Invariant Krylov subspace: it contains the Perron vector (the start is positive on
                # the support, so it overlaps every non-negative eigenvector), so the top Ritz value
                # is lambda_max itself.
                return out(lo, lo, k, y)
            V.append(v / nv)
        y = np.where(active, np.abs(y), 0.0)
        y /= np.linalg.norm(y)
    return out(lo, hi, k, y)


#: unique pairs from which the numba back end's Perron solve warms up on single-precision square roots (below it
#: the extra products cost more than they save). The threshold is the one above which ``backend="auto"`` takes
#: numba, so an auto solve warms up exactly when it is large; the two back ends then agree within the certified
#: bracket (``rtol``) rather than to round-off
WARM_MIN_PAIRS = NUMBA_MIN_PAIRS
_WARM_STEPS = 12  # most warm-up products (one Lanczos basis)


def _perron_matrix_free(R, F, C, sw, w, rtol, block_elems, maxiter, workers, backend="auto",
                        count_negative=True):
    r"""Perron root of :math:`W^{1/2} S W^{1/2}` by restarted Lanczos (from a separable row-sum proxy), certified by
    the Collatz–Wielandt bracket :math:`\min_p (Sx)_p/x_p \le \lambda_{\max} \le \max_p (Sx)_p/x_p`
    (valid for any positive :math:`x` because :math:`S \ge 0` entrywise)."""
    n_r, n_f = C.shape

    tol = _trace_tol(R, F, C)
    first = {"neg": None}

    def matvec(x, single=False):
        Z = (sw * x).reshape(n_r, n_f)
        kw = dict(backend=backend, block_elems=block_elems, workers=workers, single=single)
        if count_negative and first["neg"] is None:  # the negative count rides on the first product
            Y, first["neg"] = pair_product(R, F, C, Z, count_weights=w.reshape(n_r, n_f), count_tol=tol, **kw)
        else:
            Y = pair_product(R, F, C, Z, **kw)
        return sw * Y.ravel()

    active = sw > 0
    # start: a separable proxy of the row sums of S (retain-retain plus forget-forget parts), O(n_r^2 + n_f^2);
    # it saves about one product over the weight vector on Gaussian families
    W = w.reshape(n_r, n_f)
    wr, wf = W.sum(1), W.sum(0)
    a = np.sqrt(np.abs(R)) @ (wr / max(wr.sum(), 1e-300))
    b = np.sqrt(np.abs(F)) @ (wf / max(wf.sum(), 1e-300))
    x0 = sw * (a[:, None] + b[None, :]).ravel()
    if not np.all(x0[active] > 0):
        x0 = sw.copy()
    warm = 0
    if backend == "numba" and int(active.sum()) >= WARM_MIN_PAIRS and maxiter > 1:
        # warm-up: Lanczos on products with single-precision square roots (each entry within 2^-24 relative, so
        # their Perron root and vector are the exact ones to about that; 2.3x cheaper per product in the numba
        # kernel, which the square roots bound; NumPy's float32 root is no faster, so its kernel goes without)
        # carries the start vector to the Perron vector; the exact products then certify the bracket, in one
        # step on Gaussian families at N = 90,000 (7.5 s instead of 13.5 s)
        _, _, warm, y = _lanczos_perron(lambda v: matvec(v, single=True), x0, active, rtol,
                                        min(_WARM_STEPS, maxiter - 1), vector=True)
        y = np.where(active, np.abs(y), 0.0)
        if np.all(y[active] > 0):
            x0 = y
    lo, hi, k = _lanczos_perron(matvec, x0, active, rtol, maxiter - warm)
    k += warm
    if not count_negative:
        neg = float("nan")
    elif first["neg"] is not None:
        neg = first["neg"]
    else:  # (no product ran)
        neg = negative_mass(R, F, C, w.reshape(n_r, n_f), backend=backend, tol=tol)
    return 0.5 * (lo + hi), lo, hi, neg, k


def pair_coherence_naive(retain, forget, *, alpha: float) -> float:
    """The naive baseline: form all :math:`N` pairs and the :math:`N\\times N` Gram of traces.

    :math:`O(N^2 d^2)` time and :math:`O(N^2)` memory; the authors' route ([1]_, their code, with the
    absolute value added). For tests and the benchmark ratio only.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.

    Returns
    -------
    float
        :math:`\\sigma_{mix}`, equal to ``pair_coherence(...).sigma_mix`` up to round-off.

    Raises
    ------
    ValueError
        If ``alpha`` is not in :math:`[0, 1]`, the dimensions differ, or the pair stack would exceed
        2 000 000 entries (:meth:`~rmtcheck.stability.pairs.PairFamily.dense`).

    See Also
    --------
    pair_coherence

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].
    """

    r, f = as_family_pair(retain, forget)
    P = PairFamily(r, f, alpha=check_unit_interval(alpha, "alpha"))
    S = np.sqrt(np.abs(P.gram_traces()))
    return float(np.linalg.eigvalsh(S)[-1] / P.top_eigenvalues.max())


# --------------------------------------------------------------------------- summary
@dataclass
class MixedCoherence:
    """Three-axis summary of a retain/forget pair of families (see :func:`mixed_coherence`).

    Attributes
    ----------
    sigma_retain, sigma_forget : float
        Coherence :math:`\\sigma_r`, :math:`\\sigma_f` of each family
        (:func:`~rmtcheck.stability.coherence.coherence`).
    sigma_cross : float
        Cross coherence :math:`\\sigma_{rf}` (:func:`cross_coherence`).
    alignment : float
        Cosine of the mean Hessians (:func:`alignment`).
    mixed_lambda_min, mixed_lambda_max : float
        Extreme eigenvalues of :math:`\\bar D = (1-\\alpha)H_r - \\alpha H_f`.
    mixed_spectrum : ndarray of shape (d,)
        All eigenvalues of :math:`\\bar D`, ascending.
    sigma_mix : float or None
        Pair coherence (``None`` when computed ``with_pairs=False``).
    pair : PairCoherence or None
        The full pair-coherence result.
    """

    sigma_retain: float
    sigma_forget: float
    sigma_cross: float
    alignment: float
    mixed_lambda_min: float
    mixed_lambda_max: float
    mixed_spectrum: np.ndarray
    sigma_mix: float | None
    pair: PairCoherence | None

    def to_dict(self) -> dict:
        """The fields as a plain dict (``pair`` as a dict too)."""
        d = asdict(self)
        d["pair"] = None if self.pair is None else self.pair.to_dict()
        return d


def mixed_coherence(retain, forget, *, alpha: float, with_pairs: bool = True, **pair_kw) -> MixedCoherence:
    """Coherence of descent–ascent unlearning along the three axes, with the mixed spectrum and :math:`\\sigma_{mix}`.

    Computes :math:`\\sigma_r`, :math:`\\sigma_f`, :math:`\\sigma_{rf}`, the alignment, the spectrum of
    :math:`\\bar D` and (optionally) the pair coherence :math:`\\sigma_{mix}`.

    Parameters
    ----------
    retain, forget : HessianFamily or array_like
        ``(n, d)`` rank-one factors or ``(n, d, d)`` PSD stacks of the same dimension ``d``.
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    with_pairs : bool, default True
        Compute :math:`\\sigma_{mix}` (:func:`pair_coherence`, :math:`O(N^2)` per product for :math:`N`
        distinct pairs).
    **pair_kw
        Passed to :func:`pair_coherence` (``method``, ``rtol``, ``backend``, ...).

    Returns
    -------
    MixedCoherence

    Raises
    ------
    ValueError
        If ``alpha`` is not in :math:`[0, 1]`, the dimensions differ, or a family (or every pair) is
        all zero.

    See Also
    --------
    pair_coherence, coherence_blocks, rmtcheck.stability.report.analyse

    References
    ----------
    .. [1] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability
       Perspective", arXiv:2602.02986 [changkhanna2026].
    .. [2] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface
       Geometry", ICLR 2024 [dexter2024], Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> mc = mixed_coherence(R, F, alpha=0.2)
    >>> [round(x, 4) for x in (mc.sigma_retain, mc.sigma_forget, mc.sigma_cross, mc.alignment)]
    [3.8847, 1.972, 2.1123, 0.6105]
    >>> round(mc.mixed_lambda_min, 4), round(mc.mixed_lambda_max, 4), round(mc.sigma_mix, 4)
    (0.0214, 1.3898, 37.9702)
    """
    r, f = as_family_pair(retain, forget)
    for fam, who in ((r, "retain"), (f, "forget")):
        if not np.any(fam._held):
            raise ValueError(f"{who} is all zero (every member H_i = 0): sigma_{who[0]} and the alignment are "
                             f"undefined; pass nonzero {who} curvature (or use mixed_growth, defined for it)")
    a = check_unit_interval(alpha, "alpha")
    spec = mixed_spectrum(r, f, alpha=a)
    pc = pair_coherence(r, f, alpha=a, **pair_kw) if with_pairs else None
    return MixedCoherence(
        sigma_retain=coherence(r), sigma_forget=coherence(f), sigma_cross=cross_coherence(r, f),
        alignment=alignment(r, f), mixed_lambda_min=float(spec[0]), mixed_lambda_max=float(spec[-1]),
        mixed_spectrum=spec, sigma_mix=None if pc is None else pc.sigma_mix, pair=pc)
