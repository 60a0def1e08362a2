"""PyTorch adapter: per-sample Gauss–Newton curvature of any ``torch.nn.Module`` on its data.

The output Jacobian of each sample, :math:`J_i = \\partial f(x_i)/\\partial \\theta` (``m x d``), comes from
``torch.func`` (``functional_call``, ``vmap`` over samples of ``jacrev``), a chunk of samples at a time;
the loss conventions are those of :mod:`rmtcheck.curvature._losses` (``"mse"``, ``"bce"``, ``"ce"``), and
:math:`F_i = J_i^\\top \\Lambda_i^{1/2}`. The Gram matrix :math:`K = F^\\top F` is contracted block by block,
:math:`K_{ab} = F_a^\\top F_b`, so no ``d x d`` matrix is formed and, when the ``n k`` rows of ``d``
numbers do not fit in ``max_memory``, the rows are recomputed rather than stored: a panel of samples is
held while the later chunks stream past it (about :math:`n / \\text{panel}` passes over the data).

The model is left as it was: the adapter differentiates detached copies of the weights (cast to
``dtype``, float64 by default) through ``functional_call``, so neither the module's parameters, their
dtype nor their ``.grad`` change, and it runs every submodule in eval mode (dropout off, batch-norm
running statistics) and restores each submodule's own mode afterwards. ``torch`` is imported inside the
functions: ``import rmtcheck.curvature`` does not need it.

Public names: :func:`torch_curvature`, :data:`DEFAULT_MAX_MEMORY`.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Sec. 2 (per-sample Gauss–Newton Hessians).
.. [2] Novak, Sohl-Dickstein and Schoenholz (2022), "Fast Finite Width Neural Tangent Kernel", ICML 2022
   (the Jacobian contraction :math:`J J^\\top` and its cost trade-offs).
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import numpy as np

from rmtcheck._lib.validation import check_int
from rmtcheck.stability._loss_terms import _check_loss, _check_root, _check_targets, _check_width, _terms
from rmtcheck.stability.gram import SampleCurvature

__all__ = ["torch_curvature", "DEFAULT_MAX_MEMORY"]

#: Default memory budget for the stored Jacobian rows (bytes): 1 GiB.
DEFAULT_MAX_MEMORY = 2 ** 30
_FORMS = ("factors", "gram", "auto")
_INSTALL = "install the 'torch' extra: pip install 'rmtcheck[torch]'"


def _require_torch():
    try:
        import torch
        import torch.func  # noqa: F401  (torch >= 2.0)
    except ImportError as exc:
        raise ImportError(f"the PyTorch adapter needs torch >= 2.1; {_INSTALL}") from exc
    return torch


class _Plan(NamedTuple):
    form: str      # "factors" or "gram"
    chunk: int     # samples per vmap call
    panel: int     # samples whose rows are held at once (n: all stored)
    passes: int    # passes over the data for the Jacobians (1 when stored)


def _plan(n: int, k: int, d: int, itemsize: int, form: str, chunk, max_memory: int) -> _Plan:
    """How ``torch_curvature`` splits the work: chunk, panel and number of Jacobian passes."""
    per_sample = k * d * itemsize  # k = m for every loss
    if chunk is None:
        chunk = max(1, min(n, max_memory // (8 * per_sample)))
    else:
        chunk = min(check_int(chunk, "chunk", 1), n)
    if form == "auto":
        form = "factors" if n * k >= d or n * per_sample <= max_memory else "gram"
    if form == "factors" or n * per_sample <= max_memory:
        return _Plan(form, chunk, n, 1)
    panel = min(n, max(chunk, (max_memory // 2) // per_sample))
    return _Plan(form, chunk, panel, -(-n // panel))


def _dtype(torch, dtype):
    table = {None: torch.float64, "float64": torch.float64, "float32": torch.float32,
             torch.float64: torch.float64, torch.float32: torch.float32}
    try:
        return table[dtype]
    except (KeyError, TypeError):
        raise ValueError(f"dtype must be torch.float64 (default) or torch.float32; got {dtype!r}") from None


def _first_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _as_input(torch, X, dtype, device):
    if not isinstance(X, torch.Tensor):
        try:
            X = torch.as_tensor(np.asarray(X))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(f"X must be a tensor or a numeric array, one sample per row; got {type(X).__name__}"
                             f" ({_first_line(exc)})") from None
    if X.ndim == 0 or X.shape[0] == 0:
        raise ValueError(f"X must hold at least one sample (one per row); got shape {tuple(X.shape)}")
    if X.is_floating_point():
        bad = int((~torch.isfinite(X)).sum())
        if bad:
            raise ValueError(f"X contains {bad} NaN or inf entries; pass finite inputs only")
        X = X.to(dtype)
    return X.detach().to(device)


def _as_targets(torch, y, n: int) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n:
        raise ValueError(f"y must have one entry per row of X (n = {n}); got shape {y.shape}")
    return y


def _select(model, params) -> list[str]:
    named = dict(model.named_parameters())
    if params is None:
        names = [nm for nm, p in named.items() if p.requires_grad]
        if not names:
            raise ValueError("the model has no parameters that require grad; pass params=[names or prefixes] "
                             "to choose which parameters the curvature is taken over")
        return names
    wanted = [params] if isinstance(params, str) else list(params)
    if not wanted:
        raise ValueError("params must name at least one parameter or prefix; pass None for all parameters")
    chosen = set()
    for q in wanted:
        q = str(q).rstrip(".")
        hit = [nm for nm in named if nm == q or nm.startswith(q + ".")]
        if not hit:
            avail = list(named)
            shown = ", ".join(avail[:20]) + (f", ... ({len(avail)} in all)" if len(avail) > 20 else "")
            raise ValueError(f"params: {q!r} matches no parameter of the model; available names: {shown}")
        chosen.update(hit)
    return [nm for nm in named if nm in chosen]


@contextlib.contextmanager
def _eval_mode(model):
    modes = [(mod, mod.training) for mod in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for mod, was in modes:
            mod.training = was


def _forward_outputs(torch, model, state, X, chunk: int) -> np.ndarray:
    from torch.func import functional_call

    outs = []
    with torch.no_grad():
        for s in range(0, X.shape[0], chunk):
            xb = X[s:s + chunk]
            try:
                out = functional_call(model, state, (xb,))
            except (RuntimeError, ValueError, IndexError, TypeError) as exc:
                raise ValueError(f"X does not fit the model: the forward pass on X of shape {tuple(X.shape)} failed "
                                 f"({_first_line(exc)}); pass X with the input shape the model expects, one sample "
                                 "per row") from None
            if not isinstance(out, torch.Tensor) or out.ndim == 0 or out.shape[0] != xb.shape[0]:
                got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                raise ValueError(f"the model must map a batch X of shape (b, ...) to one tensor of shape (b, m); "
                                 f"it returned {got} for b = {xb.shape[0]}")
            outs.append(out.reshape(xb.shape[0], -1).to(torch.float64).cpu().numpy())
    f = np.concatenate(outs)
    bad = int(np.size(f) - np.count_nonzero(np.isfinite(f)))
    if bad:
        raise ValueError(f"the model's outputs on X contain {bad} NaN or inf entries; check X and the weights "
                         "(e.g. load_into with the right checkpoint)")
    return f


class _Rows:
    """Computes the rows of :math:`F^\\top` (``k`` per sample, ``d`` columns) for a range of samples."""

    def __init__(self, torch, model, state, buffers, names, X, S, loss, dtype):
        """``S`` the output-Hessian roots ``(n, m, k)``, or None for the rows of :math:`J` itself (``m`` per sample)."""
        from torch.func import functional_call, jacrev, vmap

        self.torch, self.X, self.loss, self.chunk, self.names = torch, X, loss, 1, names
        self.S = None if S is None else torch.as_tensor(S, dtype=dtype, device=X.device)
        self.dtype, self.device = dtype, X.device
        self.sizes = [state[nm].numel() for nm in names]
        self.d, self.k = sum(self.sizes), (None if S is None else S.shape[2])
        fixed = {nm: t for nm, t in state.items() if nm not in set(names)}

        def f(sel, x):
            return functional_call(model, ({**fixed, **sel}, buffers), (x.unsqueeze(0),)).reshape(-1)

        self.sel = {nm: state[nm] for nm in names}
        self.one = jacrev(f)
        self.batched = vmap(self.one, in_dims=(None, 0))
        self.use_vmap = True

    def _jacobians(self, xb):
        if self.use_vmap:
            try:
                return self.batched(self.sel, xb)
            except RuntimeError:  # data-dependent control flow, .item(), ...: fall back to one sample at a time
                self.use_vmap = False
        try:
            per = [self.one(self.sel, x) for x in xb]
        except RuntimeError as exc:
            raise ValueError(f"cannot differentiate the model's outputs with torch.func ({_first_line(exc)}); "
                             "the model must be a pure function of its parameters and input") from None
        return {nm: self.torch.stack([p[nm] for p in per]) for nm in self.names}

    def __call__(self, a: int, b: int):
        torch, d = self.torch, self.d
        out = view = None  # allocated at the first chunk
        for s in range(a, b, self.chunk):
            e = min(b, s + self.chunk)
            jac = self._jacobians(self.X[s:e])
            off = 0
            for nm, size in zip(self.names, self.sizes):
                Jp = jac[nm].reshape(e - s, -1, size)
                if out is None:
                    out = torch.empty(((b - a) * self.k, d), dtype=self.dtype, device=self.device)
                    view = out.view(b - a, self.k, d)
                view[s - a:e - a, :, off:off + size] = Jp if self.S is None or self.loss == "mse" else \
                    torch.einsum("cmk,cmp->ckp", self.S[s:e], Jp)
                off += size
            del jac
        return out


def _self_gram(R, block: int = 256) -> np.ndarray:
    """:math:`R R^\\top` from the blocks on and above the diagonal only (about half the flops of one GEMM)."""
    N = R.shape[0]
    K = np.empty((N, N))
    for i in range(0, N, block):
        Kb = (R[i:i + block] @ R[i:].T).cpu().double().numpy()
        b = Kb.shape[0]
        Kb[:, :b] = 0.5 * (Kb[:, :b] + Kb[:, :b].T)  # the diagonal block exactly symmetric
        K[i:i + block, i:] = Kb
        K[i:, i:i + block] = Kb.T
    return K


def _gram(rows: _Rows, n: int, plan: _Plan) -> np.ndarray:
    k = rows.k
    K = np.empty((n * k, n * k))
    for a0 in range(0, n, plan.panel):
        a1 = min(n, a0 + plan.panel)
        RA = rows(a0, a1)
        K[a0 * k:a1 * k, a0 * k:a1 * k] = _self_gram(RA)
        for b0 in range(a1, n, plan.chunk):
            b1 = min(n, b0 + plan.chunk)
            KAB = (RA @ rows(b0, b1).T).cpu().double().numpy()
            K[a0 * k:a1 * k, b0 * k:b1 * k] = KAB
            K[b0 * k:b1 * k, a0 * k:a1 * k] = KAB.T
        del RA
    return K


def _gn_from_jacobian_gram(KJ: np.ndarray, S: np.ndarray) -> np.ndarray:
    """:math:`K_{ab} = S_a^\\top (J_a J_b^\\top) S_b` for every pair of samples, from the Jacobian Gram ``(n m, n m)``."""
    n, m, k = S.shape
    X = KJ.reshape(n * m, n, m).transpose(1, 0, 2) @ S          # (n, n m, k): columns of sample b times S_b
    X = X.transpose(1, 0, 2).reshape(n, m, n * k)                # rows of sample a
    K = (S.transpose(0, 2, 1) @ X).reshape(n * k, n * k)
    return 0.5 * (K + K.T)


def torch_curvature(model, X, y, *, loss: str, params=None, chunk: int | None = None, form: str = "auto",
                    dtype=None, max_memory: int = DEFAULT_MAX_MEMORY, root: str = "symmetric",
                    tangent: bool = True) -> SampleCurvature:
    """Per-sample Gauss–Newton curvature of a PyTorch model: factors :math:`F_i` or the Gram matrix :math:`F^\\top F`.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch ``X[a:b]`` to outputs of shape ``(b - a, m)`` (or ``(b - a,)`` for one output): logits for
        ``"bce"``/``"ce"``. Left unchanged (see the module notes).
    X : torch.Tensor or array_like
        Inputs, one sample per row (any trailing shape the model takes); floating inputs are cast to ``dtype``.
    y : torch.Tensor or array_like
        Targets: ``(n, m)`` reals (``"mse"``), ``(n,)`` zeros and ones (``"bce"``), ``(n,)`` integer labels (``"ce"``).
    loss : {"mse", "bce", "ce"}
        :math:`\\frac12\\|f - y\\|^2`, binary cross-entropy on one logit, or cross-entropy on ``m >= 2`` logits
        (:mod:`rmtcheck.curvature._losses`).
    params : None, str or list of str, optional
        The parameters the curvature is taken over: all those with ``requires_grad`` (``None``), or the
        parameters whose names equal, or start with ``<prefix>.``, one of the given names (e.g. ``["4"]`` for
        the ``weight`` and ``bias`` of layer 4 of a ``Sequential``), in the model's order.
    chunk : int, optional
        Samples per ``vmap`` call (default: what fits in an eighth of ``max_memory``).
    form : {"auto", "factors", "gram"}, default "auto"
        ``"factors"`` returns the stack ``(n, d, k)`` (whatever ``max_memory``); ``"gram"`` only
        :math:`K` ``(n k, n k)``; ``"auto"`` takes the factors when ``n k >= d`` or they fit in
        ``max_memory``, else the Gram matrix.
    dtype : torch.float64 (default) or torch.float32
        Precision of the weights, inputs, Jacobians and contractions; the results are float64 arrays.
    max_memory : int, default 1 GiB
        Budget in bytes for the stored Jacobian rows. When all ``n k d`` numbers fit, the Jacobians are
        computed once; otherwise a panel of rows (half the budget) is held and the later chunks are recomputed
        for each panel. Peak memory is about 1.5 times the budget plus the model's own activations.
    root : {"symmetric", "factored"}, default "symmetric"
        The square root of the output Hessian for ``"ce"`` (:func:`rmtcheck.curvature.hessian_sqrt`).
    tangent : bool, default True
        Also return the outputs, the targets and the Jacobian Gram :math:`J J^\\top` (``(n m, n m)``), the
        linearised model of the pre-flight's tangent forecast. In the ``"gram"`` form it costs nothing extra:
        :math:`J J^\\top` is contracted instead of :math:`F^\\top F`, and :math:`K_{ab} = S_a^\\top (J J^\\top)_{ab} S_b`
        follows from it (``S`` the output-Hessian roots).

    Returns
    -------
    SampleCurvature
        ``k`` (``m``; 1 for ``"bce"``), ``factors`` or ``gram``, ``coef`` (:math:`\\nabla_\\theta \\ell_i = F_i c_i`
        over the chosen parameters), the per-sample ``losses``, ``n_params = d`` (chosen parameters) and ``loss``;
        with ``tangent``, ``outputs``, ``targets`` and ``jacobian_gram``.

    Raises
    ------
    ImportError
        If torch is not installed (install the ``torch`` extra).
    ValueError
        A model that is not a ``torch.nn.Module``; outputs whose width the loss does not take (``"bce"`` 1,
        ``"ce"`` >= 2, ``"mse"`` the width of ``y``); ``X`` the model cannot take; ``y`` of another length
        than ``X``; NaN or inf in ``X`` or in the outputs; no samples; a ``params`` entry that matches no
        parameter (the message lists the names); bad ``form``, ``chunk``, ``dtype``, ``max_memory`` or ``root``.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")        # needs the 'torch' extra
    >>> import numpy as np
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    >>> X, y = torch.randn(20, 3), (torch.rand(20) < 0.5).long()
    >>> cur = torch_curvature(net, X, y, loss="bce", form="gram")
    >>> cur.gram.shape, cur.n_params, cur.k
    ((20, 20), 41, 1)
    >>> last = torch_curvature(net, X, y, loss="bce", params=["2"])  # the last layer only: 8 + 1 parameters
    >>> last.factors.shape
    (20, 9, 1)
    >>> extra = cur.gram - last.gram_matrix()            # the other layers add curvature: PSD
    >>> bool(np.linalg.eigvalsh(extra).min() > -1e-10)
    True
    """
    torch = _require_torch()
    loss = _check_loss(loss)
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}; got {form!r}")
    max_memory = check_int(max_memory, "max_memory", 1)
    root = _check_root(root)
    dtype = _dtype(torch, dtype)
    names = _select(model, params)
    first = next(iter(model.parameters()))
    device = first.device
    X = _as_input(torch, X, dtype, device)
    n = X.shape[0]
    y = _as_targets(torch, y, n)
    state = {nm: (p.detach().to(dtype) if p.is_floating_point() else p.detach())
             for nm, p in model.named_parameters()}
    buffers = {nm: (b.detach().to(dtype) if b.is_floating_point() else b.detach())
               for nm, b in model.named_buffers()}
    with _eval_mode(model):
        probe = chunk if chunk is not None else 256
        f = _forward_outputs(torch, model, {**state, **buffers}, X, check_int(probe, "chunk", 1))
        _check_width(f.shape[1], loss, "the model")
        yv = _check_targets(y, n, f.shape[1], loss, "y")
        t = _terms(f, yv, loss, root)
        rows = _Rows(torch, model, state, buffers, names, X, None if tangent else t.sqrt, loss, dtype)
        m, k = f.shape[1], t.sqrt.shape[2]
        rows.k = rows.k or m
        plan = _plan(n, max(m, k), rows.d, torch.finfo(dtype).bits // 8, form, chunk, max_memory)
        rows.chunk = plan.chunk
        kw = {}
        if plan.form == "factors":
            R = rows(0, n)
            if tangent:
                kw["jacobian_gram"] = _self_gram(R)
                R = R.view(n, m, rows.d) if loss == "mse" else \
                    torch.einsum("cmk,cmp->ckp", torch.as_tensor(t.sqrt, dtype=dtype, device=R.device), R.view(n, m, rows.d))
            R = R.cpu().double().numpy()
            kw["factors"] = np.ascontiguousarray(R.reshape(n, k, rows.d).transpose(0, 2, 1))
        elif tangent:
            kw["jacobian_gram"] = _gram(rows, n, plan)
            kw["gram"] = kw["jacobian_gram"] if loss == "mse" else _gn_from_jacobian_gram(kw["jacobian_gram"], t.sqrt)
        else:
            kw["gram"] = _gram(rows, n, plan)
        if tangent:
            kw.update(outputs=f, targets=yv)
    arr = kw["factors"] if "factors" in kw else kw["gram"]
    if not np.all(np.isfinite(arr)) or ("jacobian_gram" in kw and not np.all(np.isfinite(kw["jacobian_gram"]))):
        raise ValueError("the model's Jacobians on X contain NaN or inf (a non-differentiable point such as "
                         "sqrt(0) or an overflow); check the model and X")
    return SampleCurvature(k=k, coef=t.coef, losses=t.losses, n_params=rows.d, loss=loss, **kw)
