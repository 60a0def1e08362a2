"""The same MLP in PyTorch (optional ``torch`` extra): trained in torch, curvature from the torch adapter.

:func:`train_torch` builds ``Sequential(Linear(d_in, h), Tanh(), Linear(h, c))`` in float64, initialises
it from ``rng`` exactly as :func:`rmtcheck.studies.spectral.mlp.init_params` (so no global torch seed is
used), and trains it with ``torch.optim.SGD`` (momentum 0.9) on mini-batches whose order ``rng`` draws,
until the mean training loss is at most ``loss_tol`` (on one intra-op thread: the tensors are tiny). :func:`torch_mlp_curvature` is
:func:`rmtcheck.curvature.torch_curvature` (``torch.func`` Jacobians, ``"factored"`` root) on the trained
network. :func:`to_numpy_params` converts the weights to the NumPy MLP's list, the same function, so the
real unlearning runs of :mod:`.models` apply unchanged.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.validation import as_generator, check_int, check_positive
from rmtcheck.studies.real_models.models import TrainResult
from rmtcheck.studies.spectral import mlp as _mlp

__all__ = ["train_torch", "torch_mlp_curvature", "to_numpy_params"]


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - the torch extra is in dev and CI
        raise ImportError("the torch backend needs PyTorch: pip install 'rmtcheck[torch]'") from exc
    return torch


def to_numpy_params(net) -> list:
    """``[W_1, b_1, W_2, b_2]`` of a ``Sequential(Linear, Tanh, Linear)`` (``W = weight.T``), float64 copies."""
    lin = [m for m in net if hasattr(m, "weight")]
    out = []
    for m in lin:
        out += [m.weight.detach().double().numpy().T.copy(), m.bias.detach().double().numpy().copy()]
    return out


def train_torch(X, y, n_classes: int, hidden: int, rng=None, *, loss_tol: float = 0.01, lr: float = 0.05,
                batch: int = 32, chunk: int = 50, max_epochs: int = 5000):
    """Train the torch MLP to mean training loss ``<= loss_tol`` (module notes).

    Parameters
    ----------
    X, y, n_classes, hidden, rng, loss_tol, lr, batch, chunk, max_epochs
        As :func:`rmtcheck.studies.real_models.models.train_to_zero`.

    Returns
    -------
    net : torch.nn.Sequential
    result : TrainResult
        With the NumPy MLP and the converted weights.
    """
    torch = _torch()
    hidden = check_int(hidden, "hidden", 1)
    loss_tol = check_positive(loss_tol, "loss_tol")
    g = as_generator(rng)
    model = _mlp.MLP((X.shape[1], hidden, check_int(n_classes, "n_classes", 2)), "tanh")
    init = _mlp.init_params(model, g)
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, n_classes)).double()
    with torch.no_grad():
        for m, (W, b) in zip((net[0], net[2]), (init[0:2], init[2:4])):
            m.weight.copy_(torch.from_numpy(W.T.copy()))
            m.bias.copy_(torch.from_numpy(b))
    Xt, yt = torch.from_numpy(np.asarray(X, dtype=float)), torch.from_numpy(np.asarray(y, dtype=np.int64))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    lossf = torch.nn.CrossEntropyLoss()

    def full_loss():
        with torch.no_grad():
            return float(lossf(net(Xt), yt))

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: intra-op threads only contend (restored below)
    try:
        epochs, loss = 0, full_loss()
        while loss > loss_tol and epochs < max_epochs:
            for _ in range(chunk):
                perm = g.permutation(yt.numel())
                for s in range(0, perm.size, batch):
                    b = torch.from_numpy(perm[s:s + batch])
                    opt.zero_grad()
                    lossf(net(Xt[b]), yt[b]).backward()
                    opt.step()
            epochs += chunk
            loss = full_loss()
    finally:
        torch.set_num_threads(threads)
    params = to_numpy_params(net)
    return net, TrainResult(model, params, epochs, float(loss), _mlp.accuracy(model, params, X, y))


def torch_mlp_curvature(net, X, y):
    """:func:`rmtcheck.curvature.torch_curvature` of the trained network (``loss="ce"``, ``root="factored"``).

    Returns
    -------
    SampleCurvature
    """
    from rmtcheck.curvature import torch_curvature

    return torch_curvature(net, np.asarray(X, dtype=float), np.asarray(y, dtype=np.int64), loss="ce",
                           root="factored")
