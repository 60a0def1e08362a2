"""The PyTorch adapter against the NumPy MLP (same weights, analytic Jacobians) and against a per-sample
``torch.autograd`` loop; chunking, memory panels, parameter subsets, side effects and errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the PyTorch adapter needs torch: pip install 'rmtcheck[torch]'")

from rmtcheck.curvature import gauss_newton_factors, torch_curvature
from rmtcheck.curvature._torch import _plan
from rmtcheck.studies.spectral import mlp

ACT = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}


def exact_twin(model, params):
    """``nn.Sequential`` of Linear layers and the MLP's activation with the MLP's weights, exactly (float64)."""
    layers = []
    for l in range(model.n_layers):
        W, b = params[2 * l], params[2 * l + 1]
        lin = torch.nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if l < model.n_layers - 1:
            layers.append(ACT[model.activation]())
    return torch.nn.Sequential(*layers)


def torch_order(model):
    """Column permutation: NumPy parameter order (W row-major, b) -> torch order (weight = W^T row-major, bias)."""
    perm, at = [], 0
    for din, dout in zip(model.sizes[:-1], model.sizes[1:]):
        q, p = np.divmod(np.arange(din * dout), din)     # torch weight[q, p] = W[p, q]
        perm += list(at + p * dout + q)
        perm += list(at + din * dout + np.arange(dout))
        at += din * dout + dout
    return np.array(perm)


CASES = {
    "mse": (mlp.MLP((3, 5, 4, 2), "tanh"), lambda g, n: g.standard_normal((n, 2))),
    "bce": (mlp.MLP((4, 6, 1), "relu"), lambda g, n: g.integers(0, 2, n)),
    "ce": (mlp.MLP((4, 7, 5, 3), "tanh"), lambda g, n: g.integers(0, 3, n)),
}


def setup(loss, n=11):
    model, draw_y = CASES[loss]
    params = mlp.init_params(model, rng=5)
    g = np.random.default_rng(6)
    X = g.standard_normal((n, model.sizes[0]))
    return model, params, X, draw_y(g, n)


@pytest.mark.parametrize("loss", ["mse", "bce", "ce"])
def test_torch_matches_numpy_mlp_on_identical_weights(loss):
    model, params, X, y = setup(loss)
    ref = gauss_newton_factors(mlp.output_jacobian(model, params, X), mlp.forward(model, params, X), y, loss)
    net = exact_twin(model, params)
    fac = torch_curvature(net, X, y, loss=loss, form="factors")
    assert fac.k == ref.k and fac.n_params == ref.n_params and fac.loss == loss
    np.testing.assert_allclose(fac.factors, ref.factors[:, torch_order(model), :], atol=1e-10)
    np.testing.assert_allclose(fac.coef, ref.coef, atol=1e-10)
    np.testing.assert_allclose(fac.losses, ref.losses, atol=1e-12)
    gram = torch_curvature(net, X, y, loss=loss, form="gram")
    assert gram.factors is None
    np.testing.assert_allclose(gram.gram, ref.gram_matrix(), atol=1e-10)
    # the linearised model: J J^T (the parameter order does not matter), outputs and targets
    for cur in (fac, gram):
        np.testing.assert_allclose(cur.jacobian_gram, ref.jacobian_gram, atol=1e-10)
        np.testing.assert_allclose(cur.outputs, mlp.forward(model, params, X), atol=1e-12)
        np.testing.assert_array_equal(cur.targets, ref.targets)
    plain = torch_curvature(net, X, y, loss=loss, form="gram", tangent=False)
    assert plain.jacobian_gram is None and plain.outputs is None
    np.testing.assert_allclose(plain.gram, gram.gram, atol=1e-12)


@pytest.mark.parametrize("loss", ["mse", "bce", "ce"])
def test_named_subset_is_the_last_layer_of_the_numpy_jacobian(loss):
    model, params, X, y = setup(loss)
    J = mlp.output_jacobian(model, params, X)
    last = params[-2].size + params[-1].size
    ref = gauss_newton_factors(J[:, :, -last:], mlp.forward(model, params, X), y, loss)
    net = exact_twin(model, params)
    name = str(len(net) - 1)                       # the last Linear of the Sequential
    sub = torch_curvature(net, X, y, loss=loss, params=[name], form="gram")
    assert sub.n_params == last
    np.testing.assert_allclose(sub.gram, ref.gram_matrix(), atol=1e-10)
    only_w = torch_curvature(net, X, y, loss=loss, params=f"{name}.weight", form="factors")
    ref_w = gauss_newton_factors(J[:, :, -last:-params[-1].size], mlp.forward(model, params, X), y, loss)
    perm = torch_order(mlp.MLP(model.sizes[-2:]))[:params[-2].size]
    np.testing.assert_allclose(only_w.factors, ref_w.factors[:, perm, :], atol=1e-10)


@pytest.mark.parametrize("loss", ["bce", "ce"])
def test_chunked_and_paneled_gram_equals_unchunked(loss):
    model, params, X, y = setup(loss, n=23)
    net = exact_twin(model, params)
    full = torch_curvature(net, X, y, loss=loss, form="gram")
    d, k = full.n_params, full.k
    budget = 5 * k * d * 8                         # rows of 5 samples: a panel of 2, chunks of 2 -> recomputation
    plan = _plan(23, k, d, 8, "gram", 2, budget)
    assert plan.panel < 23 and plan.passes > 1     # the recomputing path is the one exercised
    small = torch_curvature(net, X, y, loss=loss, form="gram", chunk=2, max_memory=budget)
    np.testing.assert_allclose(small.gram, full.gram, atol=1e-12)
    np.testing.assert_array_equal(small.gram, small.gram.T)
    np.testing.assert_allclose(small.jacobian_gram, full.jacobian_gram, atol=1e-12)
    odd = torch_curvature(net, X, y, loss=loss, form="gram", chunk=7)
    np.testing.assert_allclose(odd.gram, full.gram, atol=1e-12)


def test_auto_form_and_plan():
    assert _plan(100, 1, 50, 8, "auto", None, 10 ** 9).form == "factors"       # n k >= d
    assert _plan(100, 1, 10 ** 6, 8, "auto", None, 10 ** 9).form == "factors"  # 800 MB fits
    p = _plan(100, 1, 10 ** 6, 8, "auto", None, 10 ** 8)
    assert p.form == "gram" and p.panel == 6 and p.passes == 17 and p.chunk == 1
    assert _plan(100, 1, 10 ** 6, 8, "gram", 3, 10 ** 9) == (("gram", 3, 100, 1))
    model, params, X, y = setup("bce", n=4)
    assert torch_curvature(exact_twin(model, params), X, y, loss="bce").form == "factors"
    assert torch_curvature(exact_twin(model, params), X, y, loss="bce", max_memory=1000).form == "gram"


class Branchy(torch.nn.Module):
    """Data-dependent control flow (vmap cannot batch it: the adapter falls back to one sample at a time),
    batch norm and dropout (eval mode must be used), an integer buffer."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 6)
        self.bn = torch.nn.BatchNorm1d(6)
        self.drop = torch.nn.Dropout(0.5)
        self.b = torch.nn.Linear(6, 3)

    def forward(self, x):
        h = self.drop(torch.tanh(self.bn(self.a(x))))
        out = self.b(h)
        if float(x.abs().max()) > 1e6:   # data-dependent (never taken here): vmap raises, the loop does not
            out = out * 0.0
        return out


def autograd_reference(net, X, loss, y):
    """Jacobians by a plain loop of ``torch.autograd.grad`` over samples and outputs (eval mode, float64)."""
    net = net.double().eval()
    ps = [p for p in net.parameters()]
    Xt = torch.as_tensor(X, dtype=torch.float64)
    J, F = [], []
    for i in range(Xt.shape[0]):
        out = net(Xt[i:i + 1]).reshape(-1)
        rows = [torch.cat([g.reshape(-1) for g in torch.autograd.grad(out[j], ps, retain_graph=True)])
                for j in range(out.numel())]
        J.append(torch.stack(rows).numpy()); F.append(out.detach().numpy())
    return gauss_newton_factors(np.array(J), np.array(F), y, loss)


def test_general_module_against_autograd_loop_and_no_side_effects():
    torch.manual_seed(0)
    net = Branchy()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5); net.bn.running_var.uniform_(0.5, 2.0)
    net.train()
    net.drop.eval()                                  # mixed modes must come back as they were
    before = {k: v.clone() for k, v in net.state_dict().items()}
    X = np.random.default_rng(1).standard_normal((9, 3)); y = np.arange(9) % 3
    import rmtcheck.curvature._torch as adapter
    seen = []
    monkey = pytest.MonkeyPatch()
    original = adapter._Rows._jacobians
    monkey.setattr(adapter._Rows, "_jacobians", lambda self, xb: (seen.append(self.use_vmap), original(self, xb))[1])
    try:
        cur = torch_curvature(net, X, y, loss="ce", form="factors", chunk=4)
    finally:
        monkey.undo()
    assert seen == [True, False, False]              # vmap failed on the first chunk, the loop took over
    assert net.training and net.a.training and net.bn.training and not net.drop.training
    assert all(p.dtype == torch.float32 and p.grad is None for p in net.parameters())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    import copy
    ref = autograd_reference(copy.deepcopy(net), X, "ce", y)
    np.testing.assert_allclose(cur.factors, ref.factors, atol=1e-10)
    np.testing.assert_allclose(cur.coef, ref.coef, atol=1e-9)


def test_integer_inputs_and_float32():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(), torch.nn.Linear(12, 1))
    X = torch.randint(0, 10, (8, 3)); y = torch.tensor([0, 1] * 4)
    cur = torch_curvature(net, X, y, loss="bce", form="gram")
    assert cur.gram.shape == (8, 8) and cur.n_params == 40 + 13
    lo = torch_curvature(net, X, y, loss="bce", form="gram", dtype=torch.float32)
    assert lo.gram.dtype == np.float64
    np.testing.assert_allclose(lo.gram, cur.gram, rtol=1e-4, atol=1e-5)


def test_factored_root_passes_through():
    model, params, X, y = setup("ce")
    net = exact_twin(model, params)
    sym = torch_curvature(net, X, y, loss="ce", form="factors")
    fac = torch_curvature(net, X, y, loss="ce", form="factors", root="factored")
    np.testing.assert_allclose(np.einsum("idk,ik->id", sym.factors, sym.coef),
                               np.einsum("idk,ik->id", fac.factors, fac.coef), atol=1e-10)
    assert not np.allclose(sym.factors, fac.factors)


def _net(m=1):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, m))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: torch_curvature(_net(3), np.zeros((4, 3)), np.zeros(4), loss="bce"),
     r"loss='bce' needs exactly 1 output per sample.*the model returns 3 output"),
    (lambda: torch_curvature(_net(1), np.zeros((4, 3)), np.zeros(4, int), loss="ce"), r"loss='ce' needs >= 2"),
    (lambda: torch_curvature(_net(2), np.zeros((4, 3)), np.zeros((4, 3)), loss="mse"),
     r"y must have shape \(n, m\) = \(4, 2\)"),
    (lambda: torch_curvature(_net(), np.zeros((4, 5)), np.zeros(4), loss="bce"),
     r"X does not fit the model: the forward pass on X of shape \(4, 5\) failed \(RuntimeError"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(5), loss="bce"),
     r"y must have one entry per row of X \(n = 4\); got shape \(5,\)"),
    (lambda: torch_curvature(_net(), np.full((4, 3), np.nan), np.zeros(4), loss="bce"), r"X contains 12 NaN or inf"),
    (lambda: torch_curvature(_net(), np.zeros((0, 3)), np.zeros(0), loss="bce"), r"X must hold at least one sample"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="bce", params=["9"]),
     r"params: '9' matches no parameter of the model; available names: 0.weight, 0.bias, 2.weight, 2.bias"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="bce", params=[]), r"params must name"),
    (lambda: torch_curvature(lambda x: x, np.zeros((4, 3)), np.zeros(4), loss="bce"), r"model must be a torch.nn.Module"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="bce", form="dense"), r"form must be one of"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="bce", dtype="float16"), r"dtype must be"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="bce", chunk=0), r"chunk must lie in"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="bce", max_memory=0), r"max_memory must lie"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.zeros(4), loss="hinge"), r"loss must be one of"),
    (lambda: torch_curvature(_net(), np.zeros((4, 3)), np.full(4, 0.5), loss="bce"), r"y must be 0 or 1"),
])
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_nonfinite_outputs_and_frozen_models():
    net = _net()
    with torch.no_grad():
        net[2].bias.fill_(float("inf"))
    with pytest.raises(ValueError, match=r"the model's outputs on X contain 4 NaN or inf entries"):
        torch_curvature(net, np.zeros((4, 3)), np.zeros(4), loss="bce")
    frozen = _net().requires_grad_(False)
    with pytest.raises(ValueError, match=r"no parameters that require grad; pass params="):
        torch_curvature(frozen, np.zeros((4, 3)), np.zeros(4), loss="bce")
    assert torch_curvature(frozen, np.ones((4, 3)), np.zeros(4), loss="bce", params=["2"]).n_params == 5
