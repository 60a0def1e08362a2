"""The three losses of the model adapters: per-sample losses, output Hessians, their square roots, and the
gradient coefficients that put every per-sample gradient in the span of its Gauss–Newton factor.

For a model output :math:`f_i \\in \\mathbb R^m` with output Jacobian :math:`J_i \\in \\mathbb R^{m \\times d}` and a
loss :math:`\\ell(f_i, y_i)` with output Hessian :math:`\\Lambda_i = \\partial^2 \\ell / \\partial f^2`, the
Gauss–Newton curvature of sample ``i`` is :math:`H_i = J_i^\\top \\Lambda_i J_i = F_i F_i^\\top` with
:math:`F_i = J_i^\\top \\Lambda_i^{1/2} \\in \\mathbb R^{d \\times k}`, and the gradient is
:math:`\\nabla \\ell_i = J_i^\\top \\partial \\ell / \\partial f = F_i c_i` [derived]. The conventions
[paper: standard]:

``"mse"``
    :math:`\\ell = \\frac12 \\|f - y\\|^2`, targets ``(n, m)`` (or ``(n,)`` when ``m = 1``);
    :math:`\\Lambda = I_m`, ``k = m``, :math:`\\Lambda^{1/2} = I_m`, :math:`c = f - y`.
``"bce"``
    binary cross-entropy on one logit ``z`` (``m = 1``), targets in :math:`\\{0, 1\\}`:
    :math:`\\ell = \\log(1 + e^z) - y z`, :math:`p = \\sigma(z)`, :math:`\\Lambda = p(1-p)`, ``k = 1``,
    :math:`\\Lambda^{1/2} = \\sqrt{p(1-p)}`, :math:`c = (p - y)/\\sqrt{p(1-p)}`. :math:`p(1-p)` is computed as
    :math:`e^{-|z|}/(1 + e^{-|z|})^2` (no cancellation) and clipped below at :data:`CURVATURE_FLOOR`
    (reached for :math:`|z| \\gtrsim 230`): there the curvature is raised to the floor (an absolute change
    of at most ``1e-100``) and ``c`` uses the same floor, so :math:`F_i c_i = \\nabla \\ell_i` still holds.
``"ce"``
    multi-class cross-entropy on :math:`m \\ge 2` logits, integer labels in ``[0, m-1]``:
    :math:`\\ell = \\operatorname{logsumexp}(z) - z_y`, :math:`p = \\operatorname{softmax}(z)`,
    :math:`\\Lambda = \\operatorname{diag}(p) - p p^\\top` (rank :math:`m - 1`, null vector :math:`\\mathbf 1`),
    ``k = m``. With :math:`r = \\sqrt p` and :math:`A = \\operatorname{diag}(r)(I - r r^\\top)`,
    :math:`A A^\\top = \\Lambda` and :math:`A c_A = p - e_y` for :math:`c_A = r - e_y / r_y` [derived]. Two
    square roots (``root``):

    * ``"symmetric"`` (default): :math:`\\Lambda^{1/2}` the symmetric positive semi-definite square root and
      :math:`c = (\\Lambda^{1/2})^+ (p - e_y)`, exact because :math:`p - e_y \\perp \\mathbf 1` lies in the
      range of :math:`\\Lambda` when :math:`p > 0`. Computed as :math:`\\Lambda^{1/2} = A U^\\top` and
      :math:`c = U c_A` with ``U`` the orthogonal polar factor of ``A`` (SVD) rather than by ``eigh`` of
      :math:`\\Lambda`: :math:`\\Lambda^{1/2}(\\Lambda^{1/2})^\\top = \\Lambda` to rounding relative to
      :math:`\\|\\Lambda\\|` (not to 1) even for a confident sample, and ``c`` is the minimum-norm solution to rounding. Its limit: along the
      gradient of a confidently *wrong* sample the curvature is :math:`\\approx p_y`, so
      :math:`|c| \\approx 1/\\sqrt{p_y}` and the explicit product :math:`F_i c_i` carries a relative rounding
      error :math:`\\approx 10^{-16}/\\sqrt{p_y}` (``1e-8`` at :math:`p_y = 10^{-16}`, a logit gap of 37).
    * ``"factored"``: :math:`\\Lambda^{1/2} := A` (not symmetric; the same :math:`H_i` and the same Gram
      spectrum, each :math:`F_i` turned by an orthogonal :math:`U_i`) and :math:`c = c_A`: the huge coefficient
      sits on the axis :math:`e_y`, where ``A`` is exact, so :math:`F_i c_i = \\nabla \\ell_i` holds to rounding
      at any confidence.

    The diagonal of :math:`\\Lambda` and ``A`` uses :math:`\\sum_{l \\ne j} p_l` (no cancellation at
    :math:`p_j \\approx 1`) and ``p`` is clipped below at :data:`CURVATURE_FLOOR` (an absolute change of at
    most ``1e-100``), so nothing is infinite when the probability of the true class underflows.

Public names: :data:`LOSSES`, :data:`CURVATURE_FLOOR`, :func:`per_sample_losses`, :func:`output_gradient`, :func:`output_hessian`,
:func:`hessian_sqrt`, :func:`gradient_coefficients`, :func:`gauss_newton_factors`.

References
----------
.. [1] Schraudolph (2002), "Fast Curvature Matrix-Vector Products for Second-Order Gradient Descent",
   Neural Computation 14(7) (the Gauss–Newton matrix :math:`J^\\top \\Lambda J`).
.. [2] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Sec. 2 (per-sample Gauss–Newton Hessians).
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_finite_array
from rmtcheck.stability._loss_terms import (
    CURVATURE_FLOOR,
    LOSSES,
    _check_loss,
    _check_outputs,
    _check_root,
    _terms,
    _validate,
)
from rmtcheck.stability.gram import SampleCurvature

__all__ = ["LOSSES", "CURVATURE_FLOOR", "per_sample_losses", "output_gradient", "output_hessian",
           "hessian_sqrt", "gradient_coefficients", "gauss_newton_factors"]

_FORMS = ("factors", "gram")


def per_sample_losses(outputs, targets, loss: str) -> np.ndarray:
    """The loss of every sample (conventions in the module notes; overflow-safe).

    Parameters
    ----------
    outputs : array_like of shape (n, m) or (n,)
        Model outputs (logits for ``"bce"`` and ``"ce"``); a vector is one output per sample.
    targets : array_like
        ``(n, m)`` real targets (``"mse"``), ``(n,)`` zeros and ones (``"bce"``) or integer labels (``"ce"``).
    loss : {"mse", "bce", "ce"}

    Returns
    -------
    ndarray of shape (n,)

    Raises
    ------
    ValueError
        Unknown ``loss``, non-finite or empty ``outputs``, an output width the loss does not take, or
        targets of the wrong shape, type or range.

    Examples
    --------
    >>> per_sample_losses([[0.0], [2.0]], [0, 1], "bce").round(4)
    array([0.6931, 0.1269])
    >>> per_sample_losses([[1.0, 2.0]], [[0.0, 0.0]], "mse")
    array([2.5])
    """
    f, y, loss = _validate(outputs, targets, loss)
    return _terms(f, y, loss).losses


def output_gradient(outputs, targets, loss: str) -> np.ndarray:
    """:math:`\\partial \\ell_i / \\partial f_i` for every sample: :math:`f - y` (``"mse"``) or :math:`p - y`.

    Parameters
    ----------
    outputs, targets, loss
        As :func:`per_sample_losses`.

    Returns
    -------
    ndarray of shape (n, m)

    Examples
    --------
    >>> output_gradient([[0.0, 0.0]], [1], "ce")
    array([[ 0.5, -0.5]])
    """
    f, y, loss = _validate(outputs, targets, loss)
    return _terms(f, y, loss).grad


def output_hessian(outputs, loss: str) -> np.ndarray:
    """:math:`\\Lambda_i = \\partial^2 \\ell_i / \\partial f_i^2` (it does not depend on the targets).

    Parameters
    ----------
    outputs : array_like of shape (n, m) or (n,)
    loss : {"mse", "bce", "ce"}

    Returns
    -------
    ndarray of shape (n, m, m)
        :math:`I_m`, :math:`\\max(p(1-p), \\text{floor})` or :math:`\\operatorname{diag}(p) - pp^\\top`.

    Examples
    --------
    >>> output_hessian([[0.0]], "bce")
    array([[[0.25]]])
    """
    S = hessian_sqrt(outputs, loss, root="factored")
    return S @ S.transpose(0, 2, 1)


def hessian_sqrt(outputs, loss: str, *, root: str = "symmetric") -> np.ndarray:
    """:math:`\\Lambda_i^{1/2}`, the ``m x k`` factor with :math:`\\Lambda_i = \\Lambda_i^{1/2} (\\Lambda_i^{1/2})^\\top`.

    Parameters
    ----------
    outputs : array_like of shape (n, m) or (n,)
    loss : {"mse", "bce", "ce"}
    root : {"symmetric", "factored"}, default "symmetric"
        For ``"ce"``: the symmetric PSD square root, or :math:`\\operatorname{diag}(\\sqrt p)(I - \\sqrt p \\sqrt p^\\top)`
        (module notes); the other losses have one.

    Returns
    -------
    ndarray of shape (n, m, k)
        ``(n, m, m)`` for ``"mse"`` and ``"ce"`` (symmetric unless ``root="factored"``); ``(n, 1, 1)`` for ``"bce"``.

    Examples
    --------
    >>> import numpy as np
    >>> S = hessian_sqrt([[0.3, -1.0, 2.0]], "ce")
    >>> p = np.exp([0.3, -1.0, 2.0]); p /= p.sum()
    >>> bool(np.allclose(S[0] @ S[0], np.diag(p) - np.outer(p, p)))
    True
    """
    loss, root = _check_loss(loss), _check_root(root)
    f = _check_outputs(outputs, loss)
    dummy = np.zeros(f.shape) if loss == "mse" else np.zeros(f.shape[0], dtype=np.intp)
    return _terms(f, dummy, loss, root).sqrt


def gradient_coefficients(outputs, targets, loss: str, *, root: str = "symmetric") -> np.ndarray:
    """:math:`c_i` with :math:`\\nabla \\ell_i = F_i c_i`, i.e. :math:`\\Lambda_i^{1/2} c_i = \\partial \\ell_i / \\partial f_i`.

    Parameters
    ----------
    outputs, targets, loss
        As :func:`per_sample_losses`.
    root : {"symmetric", "factored"}, default "symmetric"
        The square root ``c`` refers to (:func:`hessian_sqrt`).

    Returns
    -------
    ndarray of shape (n, k)

    Examples
    --------
    >>> gradient_coefficients([[0.0]], [1], "bce")
    array([[-1.]])
    """
    f, y, loss = _validate(outputs, targets, loss)
    return _terms(f, y, loss, _check_root(root)).coef


def _gram_rows(J: np.ndarray, S: np.ndarray, loss: str) -> np.ndarray:
    """``R`` of shape (n*k, d), row ``i*k + j`` the column ``j`` of :math:`F_i = J_i^\\top \\Lambda_i^{1/2}`."""
    n, m, d = J.shape
    R = J if loss == "mse" else np.einsum("imk,imd->ikd", S, J)
    return R.reshape(n * S.shape[2], d)


def gauss_newton_factors(jacobians, outputs, targets, loss: str, *, form: str = "factors",
                         root: str = "symmetric", tangent: bool = True) -> SampleCurvature:
    """Per-sample Gauss–Newton factors :math:`F_i = J_i^\\top \\Lambda_i^{1/2}` (or their Gram matrix) from Jacobians.

    Parameters
    ----------
    jacobians : array_like of shape (n, m, d)
        Output Jacobians :math:`J_i = \\partial f_i / \\partial \\theta` (e.g.
        :func:`rmtcheck.studies.spectral.mlp.output_jacobian`, or the PyTorch adapter's).
    outputs : array_like of shape (n, m)
        Model outputs at the same parameters.
    targets : array_like
        As :func:`per_sample_losses`.
    loss : {"mse", "bce", "ce"}
    form : {"factors", "gram"}, default "factors"
        Return the stack ``(n, d, k)`` or only :math:`K = F^\\top F` (``(n k, n k)``, sample-major). No
        ``d x d`` matrix is formed either way.
    root : {"symmetric", "factored"}, default "symmetric"
        The square root of :math:`\\Lambda_i` for ``"ce"`` (:func:`hessian_sqrt`; module notes).
    tangent : bool, default True
        Also keep the outputs, the targets and the Jacobian Gram :math:`J J^\\top` (``(n m, n m)``): the
        linearised model the pre-flight's tangent forecast runs on. ``False`` saves that memory.

    Returns
    -------
    SampleCurvature
        ``k`` (``m``, or 1 for ``"bce"``), the factors or the Gram matrix, ``coef`` (:math:`\\nabla \\ell_i = F_i c_i`),
        the per-sample ``losses``, ``n_params = d`` and ``loss``; with ``tangent``, ``outputs``, ``targets``
        and ``jacobian_gram``.

    Raises
    ------
    ValueError
        As :func:`per_sample_losses`; Jacobians that are not finite, not 3-D, or whose first two axes differ
        from the outputs' shape; an unknown ``form`` or ``root``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.random.default_rng(0).standard_normal((4, 1, 10))   # 4 samples, 1 logit, 10 parameters
    >>> z = np.array([[0.5], [-1.0], [2.0], [0.0]]); y = np.array([1, 0, 1, 1])
    >>> cur = gauss_newton_factors(J, z, y, "bce")
    >>> cur.factors.shape, cur.k
    ((4, 10, 1), 1)
    >>> grad = J[:, 0, :] * output_gradient(z, y, "bce")             # J^T dl/dz
    >>> bool(np.allclose(np.einsum("idk,ik->id", cur.factors, cur.coef), grad))
    True
    """
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}; got {form!r}")
    root = _check_root(root)
    f, y, loss = _validate(outputs, targets, loss)
    J = as_finite_array(jacobians, "jacobians", ndim=3)
    if J.shape[:2] != f.shape:
        raise ValueError(f"jacobians must have shape (n, m, d) with (n, m) = {f.shape} from the outputs; "
                         f"got {J.shape}")
    t = _terms(f, y, loss, root)
    n, m, d = J.shape
    k = t.sqrt.shape[2]
    R = _gram_rows(J, t.sqrt, loss)
    kw = {"factors": np.ascontiguousarray(R.reshape(n, k, d).transpose(0, 2, 1))} if form == "factors" else \
        {"gram": R @ R.T}
    if tangent:
        Jr = J.reshape(n * m, d)
        kw.update(outputs=f, targets=y, jacobian_gram=Jr @ Jr.T)
    return SampleCurvature(k=k, coef=t.coef, losses=t.losses, n_params=d, loss=loss, **kw)
