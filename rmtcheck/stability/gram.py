"""Gram-space curvature: every exact stability quantity from the Gram matrix :math:`K = F^\\top F`.

Per-sample Gauss–Newton curvature :math:`H_i = F_i F_i^\\top`, :math:`F_i \\in \\mathbb R^{d \\times k}`
(:math:`k = 1` rank one; :math:`F_i = J_i^\\top \\Lambda_i^{1/2}` for a loss with ``k`` outputs), enters the
linearised SGD and descent–ascent dynamics only through :math:`\\operatorname{span}(F)`: an iterate that starts
there stays there, and the second-moment operator restricted to it is exact. With the eigendecomposition
:math:`K = V S V^\\top` (``r`` positive eigenvalues), :math:`Q = F V S^{-1/2}` is an orthonormal basis of
:math:`\\operatorname{range}(F)` and

.. math::

    G_i := Q^\\top F_i = S^{1/2} V_i^\\top \\in \\mathbb R^{r \\times k},\\qquad G_i^\\top G_j = K_{ij},

so the family :math:`\\{G_i G_i^\\top\\}` in :math:`\\mathbb R^r` has the same coherence, three-axis coherence,
:math:`\\sigma_{mix}`, mean-square operator (each batch model), :math:`\\rho(T)`, :math:`\\eta^*`, critical
:math:`\\alpha`, Lyapunov exponent and finite-horizon second moment as :math:`\\{H_i\\}` in
:math:`\\mathbb R^d`, and it is computed from :math:`K` alone: the cost depends on :math:`nk`, not on ``d``.
[derived; ``proofs/gram_space.py``, which also shows why iterating on :math:`C` in :math:`M = F C F^\\top`
is wrong when :math:`K` is singular: a null vector of :math:`K` gives a spurious fixed point.] In these
coordinates the mean :math:`\\bar H = S/n` is diagonal, which the operator engine uses.

Public names: :class:`SampleCurvature` (what a model adapter returns), :func:`gram_coordinates`,
:func:`gram_family`, :func:`gram_pair`, :func:`curvature_family` (parameter or Gram space, whichever is
cheaper) and :func:`load_curvature` (the ``.npz`` forms the command line reads).

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Sec. 2 (per-sample Hessians, coherence).
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026] (the mixed update).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rmtcheck._lib.validation import as_finite_array, check_int, check_magnitude
from rmtcheck.stability.families import _RESCALE_STACK, _STACK_RANGE, HessianFamily

__all__ = ["SampleCurvature", "gram_coordinates", "gram_family", "gram_pair", "curvature_family", "load_curvature",
           "save_curvature"]

_RTOL = 1e-10


def _check_gram(K, k: int, name: str) -> tuple[np.ndarray, int]:
    K = as_finite_array(K, name, ndim=2)
    if K.shape[0] != K.shape[1] or K.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square (n*k, n*k) matrix; got shape {K.shape}")
    k = check_int(k, "k", 1)
    if K.shape[0] % k:
        raise ValueError(f"k={k} does not divide the size {K.shape[0]} of {name}; pass the number of columns "
                         "per sample (1 for rank one, the number of outputs for a k-output loss)")
    scale = max(float(np.abs(K).max()), np.finfo(float).tiny)
    asym = float(np.abs(K - K.T).max())
    if asym > _RTOL * scale:
        raise ValueError(f"{name} is not symmetric (max |K - K^T| = {asym:.3g}); pass a Gram matrix F^T F, "
                         "e.g. (K + K.T) / 2 if the asymmetry is round-off")
    return 0.5 * (K + K.T), k


def gram_coordinates(K, k: int = 1, *, name: str = "gram", rtol: float = _RTOL) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample factors in the coordinates of :math:`\\operatorname{range}(F)`, from :math:`K = F^\\top F` alone.

    Parameters
    ----------
    K : array_like of shape (n*k, n*k)
        The Gram matrix, sample-major (rows ``i*k`` to ``i*k + k - 1`` belong to sample ``i``).
    k : int, default 1
        Columns per sample.
    name : str, default "gram"
        Name of the argument in error messages.
    rtol : float, default 1e-10
        Eigenvalues of ``K`` at or below ``rtol`` times the largest count as zero (the numerical rank). A
        larger value drops directions of negligible mean curvature (an approximation: say so when you use it).

    Returns
    -------
    G : ndarray of shape (n, r, k)
        :math:`G_i = S^{1/2} V_i^\\top` with ``r`` the numerical rank of ``K`` (eigenvalues above ``1e-10`` of
        the largest); :math:`G_i^\\top G_j = K_{ij}` up to the discarded eigenvalues.
    s : ndarray of shape (r,)
        The kept eigenvalues of ``K``, descending: :math:`\\frac1n \\sum_i G_i G_i^\\top = \\operatorname{diag}(s)/n`.

    Raises
    ------
    ValueError
        If ``K`` is not a finite non-empty square matrix, ``k`` does not divide its size, ``K`` is not symmetric
        or not positive semi-definite (an eigenvalue below ``-1e-10`` of the largest), or ``K`` is zero.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.random.default_rng(0).standard_normal((1000, 6))   # d = 1000 parameters, n = 6 samples
    >>> G, s = gram_coordinates(F.T @ F)
    >>> G.shape, bool(np.allclose(G[:, :, 0] @ G[:, :, 0].T, F.T @ F))
    ((6, 6, 1), True)
    """
    K, k = _check_gram(K, k, name)
    check_magnitude(K, name, *_STACK_RANGE, fix=_RESCALE_STACK.replace("Hessians", "Gram matrix"))
    w, V = np.linalg.eigh(K)
    w, V = w[::-1], V[:, ::-1]
    top = max(float(w[0]), 0.0)
    if w[-1] < -_RTOL * max(top, np.finfo(float).tiny):
        raise ValueError(f"{name} is not positive semi-definite (smallest eigenvalue {w[-1]:.3g}, largest {top:.3g}); "
                         "a Gram matrix F^T F has no negative eigenvalues — check how it was assembled")
    if top <= 0.0:
        raise ValueError(f"{name} is zero: every sample has zero curvature, so nothing moves; check the model "
                         "and the loss (a saturated output gives zero Gauss–Newton curvature)")
    if not 0 <= rtol < 1:
        raise ValueError(f"rtol must be in [0, 1); got {rtol!r}")
    keep = w > rtol * top
    s = w[keep]
    n = K.shape[0] // k
    G = (V[:, keep] * np.sqrt(s)).reshape(n, k, -1).transpose(0, 2, 1)
    return np.ascontiguousarray(G), s


def _family(G: np.ndarray) -> HessianFamily:
    return HessianFamily(factors=np.ascontiguousarray(G[:, :, 0])) if G.shape[2] == 1 else HessianFamily(blocks=G)


def gram_family(K, k: int = 1, *, name: str = "gram") -> HessianFamily:
    """The family :math:`\\{G_i G_i^\\top\\}` in range coordinates, from the Gram matrix (see the module notes).

    Parameters
    ----------
    K : array_like of shape (n*k, n*k)
        The Gram matrix :math:`F^\\top F`, sample-major.
    k : int, default 1
        Columns per sample.
    name : str, default "gram"
        Name of the argument in error messages.

    Returns
    -------
    HessianFamily
        Rank-one (``k = 1``) or block family of dimension ``r = rank(K)``, with the mean known exactly
        diagonal, :math:`\\operatorname{diag}(s)/n`.

    See Also
    --------
    gram_coordinates, gram_pair, curvature_family

    Examples
    --------
    >>> import numpy as np
    >>> from rmtcheck.stability import critical_lr
    >>> F = np.random.default_rng(0).standard_normal((20, 500))   # n = 20 samples, d = 500
    >>> fam = gram_family(F @ F.T)
    >>> fam.d
    20
    >>> bool(np.isclose(critical_lr(fam, 4), critical_lr(F, 4), rtol=1e-10))
    True
    """
    G, s = gram_coordinates(K, k, name=name)
    fam = _family(G)
    fam.__dict__["mean"] = np.diag(s / fam.n)  # exact in these coordinates (cached_property slot)
    return fam


def gram_pair(K, n_retain: int, k: int = 1, *, name: str = "gram") -> tuple[HessianFamily, HessianFamily]:
    """Retain and forget families in the joint range coordinates of one Gram matrix.

    Parameters
    ----------
    K : array_like of shape ((n_r + n_f) k, (n_r + n_f) k)
        The Gram matrix of the retain samples followed by the forget samples (the cross block carries their
        alignment).
    n_retain : int
        Number of retain samples :math:`n_r` (``1 <= n_r < n``).
    k : int, default 1
    name : str, default "gram"

    Returns
    -------
    retain, forget : HessianFamily

    Raises
    ------
    ValueError
        As :func:`gram_coordinates`, or when ``n_retain`` leaves either set empty.
    """
    G, _ = gram_coordinates(K, k, name=name)
    n_r = check_int(n_retain, "n_retain", 1, G.shape[0] - 1)
    return _family(G[:n_r]), _family(G[n_r:])


def curvature_family(F, *, space: str = "auto", name: str = "factors") -> HessianFamily:
    """A family from factors ``(n, d)`` or ``(n, d, k)``, in parameter space or Gram space by cost.

    Parameter space costs :math:`O(nkd^2)` per operator application, Gram space :math:`O(n^2k^2 d)` once and then
    :math:`O(nk\\,r^2)` with :math:`r \\le \\min(nk, d)`; ``"auto"`` takes Gram space when :math:`nk < d`.

    Parameters
    ----------
    F : array_like of shape (n, d) or (n, d, k)
    space : {"auto", "parameter", "gram"}, default "auto"
    name : str, default "factors"

    Returns
    -------
    HessianFamily
        In parameter coordinates (``d``) or range coordinates (``r``); every scalar the package computes is
        the same in both.
    """
    if space not in ("auto", "parameter", "gram"):
        raise ValueError(f"space must be 'auto', 'parameter' or 'gram'; got {space!r}")
    F = as_finite_array(F, name, ndim=(2, 3))
    F3 = F[:, :, None] if F.ndim == 2 else F
    n, d, k = F3.shape
    if space == "parameter" or (space == "auto" and n * k >= d):
        return HessianFamily.from_blocks(F3, name)
    R = _rows(F3)
    return gram_family(R @ R.T, k, name=f"Gram matrix of {name}")


def _rows(F3: np.ndarray) -> np.ndarray:
    """Block columns as rows, ``(n k, d)`` sample-major: :math:`F^\\top` with :math:`F = [F_1 \\cdots F_n]`."""
    return F3.transpose(0, 2, 1).reshape(-1, F3.shape[1])


@dataclass(frozen=True, kw_only=True)
class SampleCurvature:
    """Per-sample Gauss–Newton curvature of a model on data: factors or their Gram matrix, and gradients.

    What the model adapters of :mod:`rmtcheck.curvature` return and what the pre-flight check takes. Samples
    are in order; :math:`\\nabla \\ell_i = F_i c_i` (``coef``), so the gradients live in the same span.

    Attributes
    ----------
    k : int
        Columns per sample.
    factors : ndarray of shape (n, d, k) or None
        :math:`F_i`, when held in parameter space.
    gram : ndarray of shape (n*k, n*k) or None
        :math:`K = F^\\top F`, sample-major, when only the Gram matrix is known.
    coef : ndarray of shape (n, k) or None
        Gradient coefficients :math:`c_i`.
    losses : ndarray of shape (n,) or None
        Per-sample losses at the trained point.
    n_params : int or None
        ``d``.
    loss : str or None
        The loss (``"mse"``, ``"bce"`` or ``"ce"``).
    outputs : ndarray of shape (n, m) or None
        Model outputs :math:`f_i` at the trained point (logits for ``"bce"`` and ``"ce"``).
    targets : ndarray or None
        The loss's targets: ``(n, m)`` reals (``"mse"``), ``(n,)`` zeros and ones (``"bce"``) or integer labels
        (``"ce"``).
    jacobian_gram : ndarray of shape (n*m, n*m) or None
        :math:`J J^\\top`, the Gram matrix of the output Jacobians (the empirical tangent kernel), sample-major.
        With ``outputs``, ``targets`` and ``loss`` it defines the linearised model
        :math:`f_i(\\theta_0 + \\delta) = f_i + J_i \\delta` on which the pre-flight's tangent forecast runs the
        recipe with the exact loss (:func:`rmtcheck.stability.preflight.tangent_forecast`).
    """

    k: int
    factors: np.ndarray | None = None
    gram: np.ndarray | None = None
    coef: np.ndarray | None = None
    losses: np.ndarray | None = None
    n_params: int | None = None
    loss: str | None = None
    outputs: np.ndarray | None = None
    targets: np.ndarray | None = None
    jacobian_gram: np.ndarray | None = None

    def __post_init__(self):
        if (self.factors is None) == (self.gram is None):
            raise ValueError("SampleCurvature needs exactly one of factors (n, d, k) or gram (n*k, n*k)")
        n = self.n
        if self.coef is not None and np.shape(self.coef) != (n, self.k):
            raise ValueError(f"coef must have shape (n, k) = {(n, self.k)}; got {np.shape(self.coef)}")
        if self.losses is not None and np.shape(self.losses) != (n,):
            raise ValueError(f"losses must have shape (n,) = {(n,)}; got {np.shape(self.losses)}")
        if self.jacobian_gram is not None:
            if self.outputs is None or self.targets is None or self.loss is None:
                raise ValueError("jacobian_gram needs outputs, targets and loss (the linearised model); "
                                 "build the curvature with rmtcheck.curvature, which sets all four")
            m = np.shape(self.outputs)[1] if np.ndim(self.outputs) == 2 else -1
            if np.shape(self.outputs) != (n, m) or np.shape(self.jacobian_gram) != (n * m, n * m):
                raise ValueError(f"outputs must have shape (n, m) with n = {n} and jacobian_gram (n*m, n*m); got "
                                 f"{np.shape(self.outputs)} and {np.shape(self.jacobian_gram)}")
            if np.shape(self.targets)[:1] != (n,):
                raise ValueError(f"targets must have one row per sample (n = {n}); got shape {np.shape(self.targets)}")

    @property
    def n(self) -> int:
        """Number of samples."""
        return self.factors.shape[0] if self.factors is not None else self.gram.shape[0] // self.k

    @property
    def form(self) -> str:
        """``"factors"`` or ``"gram"``."""
        return "factors" if self.factors is not None else "gram"

    def gram_matrix(self) -> np.ndarray:
        """:math:`K = F^\\top F` (computed from the factors when needed)."""
        if self.gram is not None:
            return self.gram
        R = _rows(self.factors)
        return R @ R.T

    def coordinates(self, rtol: float = _RTOL) -> tuple[np.ndarray, np.ndarray | None]:
        """Factors and gradients in range coordinates: ``G`` of shape (n, r, k) and rows :math:`G_i c_i` (n, r);
        ``rtol`` as in :func:`gram_coordinates`. Computed once per ``rtol`` and kept (do not modify the arrays)."""
        cache = self.__dict__.setdefault("_coordinates", {})  # one eigendecomposition per rtol (frozen instance)
        if rtol not in cache:
            G, _ = gram_coordinates(self.gram_matrix(), self.k, name=f"Gram matrix ({self.form})", rtol=rtol)
            g = None if self.coef is None else np.einsum("irk,ik->ir", G, self.coef)
            cache[rtol] = (G, g)
        return cache[rtol]

    def reordered(self, order) -> "SampleCurvature":
        """The same curvature with its samples in ``order`` (e.g. retain first, forget after), every array
        permuted; a tangent factor already computed is permuted too (the permuted rows of a factor factor the
        permuted Gram matrix), so it is not recomputed.

        Parameters
        ----------
        order : array_like of int
            A permutation of ``range(n)`` (or a selection of samples).

        Returns
        -------
        SampleCurvature
        """
        order = np.asarray(order, dtype=np.intp)

        def block(M, w):  # rows and columns of samples ``order`` in a sample-major (n w, n w) matrix
            rows = (order[:, None] * w + np.arange(w)).ravel()
            return M[np.ix_(rows, rows)]

        pick = lambda a: None if a is None else np.asarray(a)[order]  # noqa: E731
        kw = {"factors": self.factors[order]} if self.factors is not None else {"gram": block(self.gram, self.k)}
        if self.jacobian_gram is not None:
            kw["jacobian_gram"] = block(self.jacobian_gram, np.shape(self.outputs)[1])
        out = SampleCurvature(k=self.k, coef=pick(self.coef), losses=pick(self.losses), n_params=self.n_params,
                              loss=self.loss, outputs=pick(self.outputs), targets=pick(self.targets), **kw)
        if "_tangent" in self.__dict__:
            out.__dict__["_tangent"] = self.__dict__["_tangent"][order]
        return out

    def tangent_features(self) -> np.ndarray:
        """A factor :math:`\\Phi` ``(n, m, p)`` of the Jacobian Gram, :math:`\\Phi_i \\Phi_j^\\top = J_i J_j^\\top`, with
        ``p`` its numerical rank (pivoted Cholesky, LAPACK ``dpstrf`` at its default tolerance). The rows are
        the output Jacobians in an orthonormal basis of their span, so :math:`\\|\\delta\\|` in these coordinates
        is the parameter distance. Computed once and kept; ``None`` without ``jacobian_gram``."""
        if self.jacobian_gram is None:
            return None
        if "_tangent" not in self.__dict__:
            Phi = _psd_factor(self.jacobian_gram, "jacobian_gram")
            self.__dict__["_tangent"] = Phi.reshape(self.n, -1, Phi.shape[1])
        return self.__dict__["_tangent"]


def _psd_factor(K, name: str) -> np.ndarray:
    """``Phi`` of shape (N, p), :math:`\\Phi\\Phi^\\top = K` to rounding, ``p`` the numerical rank (pivoted Cholesky)."""
    from scipy.linalg import lapack

    K, _ = _check_gram(K, 1, name)
    if float(np.abs(K).max()) == 0.0:
        raise ValueError(f"{name} is zero: the model's outputs do not depend on its parameters")
    c, piv, rank, info = lapack.dpstrf(K, lower=1)
    if info < 0:
        raise ValueError(f"{name}: LAPACK dpstrf failed (info={info})")
    L = np.tril(c)[:, :rank]
    Phi = np.empty_like(L)
    Phi[piv - 1] = L
    # O(N p) checks (the full residual would cost O(N^2 p)): the trace and four fixed probes
    V = np.random.default_rng(0).standard_normal((K.shape[0], 4))
    err = max(abs(float(np.trace(K)) - float(np.vdot(Phi, Phi))),
              float(np.abs(np.einsum("ij,ij->j", V, K @ V) - ((Phi.T @ V) ** 2).sum(axis=0)).max()))
    if err > 1e-6 * float(np.trace(K)) * (1 + np.sqrt(K.shape[0])):
        raise ValueError(f"{name} is not positive semi-definite (pivoted Cholesky residual {err:.3g}); "
                         "a Gram matrix J J^T has no negative eigenvalues — check how it was assembled")
    return Phi


def load_curvature(path, *, name: str = "curvature") -> dict:
    """Read a curvature ``.npz``: ``factors`` (n, d[, k]) or ``gram`` (n*k, n*k) with ``k``, optional ``n_retain``.

    Parameters
    ----------
    path : str or Path
    name : str, default "curvature"
        Name of the argument in error messages.

    Returns
    -------
    dict
        ``form`` (``"factors"`` or ``"gram"``), ``k``, ``n_retain`` (or None) and the array under its name;
        ``coef``, ``losses``, ``loss``, ``outputs``, ``targets`` and ``jacobian_gram`` when present.

    Raises
    ------
    ValueError
        Missing file, not an ``.npz``, a pickled array, neither or both of ``factors``/``gram``, bad ``k``.
    """
    path = Path(path)
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ValueError(f"{name}: {str(path)!r} is a single array (.npy), not an .npz archive; save it with "
                             "numpy.savez(path, gram=K, k=k) or numpy.savez(path, factors=F)")
        with z:
            data = {key: z[key] for key in z.files}
    except FileNotFoundError:
        raise ValueError(f"{name}: no such file {str(path)!r}") from None
    except ValueError as exc:
        if str(exc).startswith(f"{name}:"):
            raise
        raise ValueError(f"{name}: cannot read {str(path)!r} as a NumPy .npz archive of plain arrays "
                         f"({type(exc).__name__}); save it with numpy.savez") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{name}: cannot read {str(path)!r} as a NumPy .npz archive ({type(exc).__name__}); "
                         "save it with numpy.savez(path, gram=K, k=k) or numpy.savez(path, factors=F)") from None
    if not isinstance(data, dict) or ("factors" in data) == ("gram" in data):
        raise ValueError(f"{name}: {str(path)!r} must hold exactly one of the arrays 'factors' or 'gram'; "
                         f"found {sorted(data)}")
    out = {"form": "factors" if "factors" in data else "gram", "n_retain": None}
    if "factors" in data:
        F = data["factors"]
        if F.ndim not in (2, 3):
            raise ValueError(f"{name}: 'factors' must have shape (n, d) or (n, d, k); got {F.shape}")
        out["factors"] = F
        out["k"] = 1 if F.ndim == 2 else int(F.shape[-1]) if F.ndim == 3 else None
        if "k" in data and out["k"] != int(data["k"]):
            raise ValueError(f"{name}: 'k'={int(data['k'])} disagrees with factors of shape {F.shape}")
    else:
        out["gram"] = data["gram"]
        out["k"] = int(data["k"]) if "k" in data else 1
    if "n_retain" in data:
        out["n_retain"] = int(data["n_retain"])
    for key in ("coef", "losses", "outputs", "targets", "jacobian_gram"):
        if key in data:
            out[key] = data[key]
    if "loss" in data:
        out["loss"] = str(data["loss"])
    return out


def save_curvature(path, curvature: SampleCurvature, n_retain: int | None = None) -> None:
    """Write a :class:`SampleCurvature` (and the retain/forget split) as the ``.npz`` that :func:`load_curvature`
    and ``rmtcheck preflight --curvature`` read.

    Parameters
    ----------
    path : str or Path
    curvature : SampleCurvature
    n_retain : int, optional
        Number of retain samples (the first ``n_retain``), for unlearning.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> cur = SampleCurvature(k=1, gram=np.eye(3), coef=np.ones((3, 1)), losses=np.zeros(3))
    >>> path = os.path.join(tempfile.mkdtemp(), "cur.npz")
    >>> save_curvature(path, cur, n_retain=2)
    >>> z = load_curvature(path); z["form"], z["k"], z["n_retain"]
    ('gram', 1, 2)
    """
    if not isinstance(curvature, SampleCurvature):
        raise ValueError(f"curvature must be a SampleCurvature; got {type(curvature).__name__}")
    out = {"k": np.asarray(curvature.k)}
    out[curvature.form] = curvature.factors if curvature.factors is not None else curvature.gram
    for key in ("coef", "losses", "outputs", "targets", "jacobian_gram"):
        if getattr(curvature, key) is not None:
            out[key] = getattr(curvature, key)
    if curvature.loss is not None:
        out["loss"] = np.asarray(curvature.loss)
    if n_retain is not None:
        out["n_retain"] = np.asarray(check_int(n_retain, "n_retain", 1, curvature.n - 1))
    np.savez(path, **out)
