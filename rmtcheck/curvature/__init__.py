"""Per-sample Gauss–Newton curvature of a trained model on its data, for the stability checks.

For sample ``i`` with output Jacobian :math:`J_i` (``m x d``) and loss Hessian :math:`\\Lambda_i` with
respect to the output, :math:`H_i = F_i F_i^\\top` with :math:`F_i = J_i^\\top \\Lambda_i^{1/2}`
(``d x k``) and :math:`\\nabla \\ell_i = F_i c_i`. This unit turns a model into a
:class:`~rmtcheck.stability.gram.SampleCurvature`: the factors ``(n, d, k)`` or, when ``d`` is large, the
Gram matrix :math:`K = F^\\top F` (``(n k, n k)``) contracted block by block, never a ``d x d`` matrix.

Losses
    :data:`LOSSES` (``"mse"``, ``"bce"``, ``"ce"``: conventions, and the two square roots ``root="symmetric"``
    or ``"factored"`` of the cross-entropy Hessian, in ``_losses``), :func:`per_sample_losses`,
    :func:`output_gradient`, :func:`output_hessian`, :func:`hessian_sqrt`, :func:`gradient_coefficients`,
    :data:`CURVATURE_FLOOR`, and :func:`gauss_newton_factors` (from Jacobian arrays ``(n, m, d)``, e.g.
    :func:`rmtcheck.studies.spectral.mlp.output_jacobian`) (``_losses``).
PyTorch models
    :func:`torch_curvature` (any ``torch.nn.Module`` through ``torch.func``, all parameters or named
    layers, chunked over samples under a memory budget), :data:`DEFAULT_MAX_MEMORY` (``_torch``; needs the
    ``torch`` extra: ``pip install 'rmtcheck[torch]'``).
Checkpoints
    :func:`load_state_dict` (``.pt``/``.pth`` with ``weights_only=True``, ``.safetensors``, ``.npz``, to NumPy
    arrays), :func:`load_into` (into a ``torch.nn.Module``, with the mismatches listed; returns a
    :class:`LoadResult`),
    :func:`read_safetensors` and :func:`write_safetensors` (a NumPy reader and writer of the format, no torch
    needed) (``_checkpoints``).

Every name is imported lazily from the private module in parentheses; ``torch`` only inside the functions
that need it. Layering: this unit imports ``stability`` (the container), never ``studies``; the NumPy MLP's
Jacobian lives with the MLP.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Sec. 2 (per-sample Gauss–Newton Hessians).
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026] (retain and forget curvature of trained models).
.. [3] Schraudolph (2002), "Fast Curvature Matrix-Vector Products for Second-Order Gradient Descent",
   Neural Computation 14(7) (the Gauss–Newton matrix).
"""

from rmtcheck._lib.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_losses": ["LOSSES", "CURVATURE_FLOOR", "per_sample_losses", "output_gradient", "output_hessian",
                "hessian_sqrt", "gradient_coefficients", "gauss_newton_factors"],
    "_torch": ["torch_curvature", "DEFAULT_MAX_MEMORY"],
    "_checkpoints": ["load_state_dict", "load_into", "LoadResult", "read_safetensors", "write_safetensors"],
})
