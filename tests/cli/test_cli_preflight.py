"""``rmtcheck preflight``: model sources give the same report, the plot is written, bad inputs get one line."""

import json

import numpy as np
import pytest

from rmtcheck.cli import main
from rmtcheck.curvature import gauss_newton_factors
from rmtcheck.stability.gram import save_curvature
from rmtcheck.studies.spectral import mlp

RECIPE = ["--lr", "0.5", "--batch", "4", "--steps", "20", "--no-almost-sure"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = (X[:, 0] + 0.3 * rng.standard_normal(60) > 0).astype(int)
    model = mlp.MLP((5, 6, 2), "tanh")
    params = mlp.train(model, X, y, epochs=60, lr=0.2, batch=16, rng=0)
    params = params[0] if isinstance(params, tuple) else params
    d = tmp_path_factory.mktemp("pf")
    w = d / "w.npz"
    np.savez(w, sizes=np.array(model.sizes), activation=np.array(model.activation),
             **{f"{a}{i}": params[2 * i + (a == "b")] for i in range(2) for a in "Wb"})
    data = d / "data.npz"
    np.savez(data, X_retain=X[10:], y_retain=y[10:], X_forget=X[:10], y_forget=y[:10])
    order = np.r_[10:60, 0:10]
    J = mlp.output_jacobian(model, params, X[order])
    cur = gauss_newton_factors(J, mlp.forward(model, params, X[order]), y[order], "ce", form="gram", root="factored")
    c = d / "cur.npz"
    save_curvature(c, cur, n_retain=50)
    return d, w, data, c


def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_mlp_and_saved_curvature_give_the_same_report(trained, capsys, tmp_path):
    d, w, data, c = trained
    a = _json(capsys, ["preflight", "--mlp", str(w), "--data", str(data)] + RECIPE)
    b = _json(capsys, ["preflight", "--curvature", str(c)] + RECIPE)
    assert a["verdict"] == b["verdict"] and a["n_retain"] == 50 and a["n_forget"] == 10
    for key in ("sigma_retain", "sigma_forget", "ms_growth"):
        assert a[key] == pytest.approx(b[key], rel=1e-9)
    np.testing.assert_allclose(a["forecast"]["forget_loss_mean"], b["forecast"]["forget_loss_mean"], rtol=1e-9)
    assert a["forecast"]["model"] == b["forecast"]["model"] == "tangent"  # the saved file keeps J J^T
    q = _json(capsys, ["preflight", "--curvature", str(c), "--forecast", "quadratic"] + RECIPE)
    assert q["forecast"]["model"] == "quadratic" and q["sentence"].startswith("quadratic-model forecast")
    assert main(["preflight", "--curvature", str(c), "--forecast-runs", "8"] + RECIPE) == 0
    assert "tangent model, median" in capsys.readouterr().out
    png = tmp_path / "f.png"
    assert main(["preflight", "--curvature", str(c), "--plot", str(png)] + RECIPE) == 0
    out = capsys.readouterr().out
    assert "verdict" in out and png.stat().st_size > 0


@pytest.mark.parametrize("argv, match", [
    ([], "exactly one of"),
    (["--mlp", "W", "--curvature", "C"], "exactly one of"),
    (["--torch-model", "nocolon"], "MODULE:FACTORY"),
    (["--curvature", "/nonexistent.npz"], "no such file"),
])
def test_bad_sources_exit_2_with_one_line(argv, match, capsys):
    assert main(["preflight"] + argv + RECIPE) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert match in err[-1] and err[-1].startswith("rmtcheck preflight: error:")


def test_incomplete_files_are_named(trained, capsys, tmp_path):
    d, w, data, c = trained
    bad = tmp_path / "d.npz"
    np.savez(bad, X_retain=np.zeros((2, 5)))
    assert main(["preflight", "--mlp", str(w), "--data", str(bad)] + RECIPE) == 2
    assert "y_retain" in capsys.readouterr().err
    noc = tmp_path / "c.npz"
    np.savez(noc, gram=np.eye(4), k=1)
    assert main(["preflight", "--curvature", str(noc)] + RECIPE) == 2
    assert "coef" in capsys.readouterr().err
    obj = tmp_path / "obj.npz"
    np.savez(obj, gram=np.array([object()], dtype=object), k=1)
    assert main(["preflight", "--curvature", str(obj)] + RECIPE) == 2
    assert "pickled object array" in capsys.readouterr().err
    now = tmp_path / "w.npz"
    np.savez(now, sizes=np.array([5, 6, 2]), W0=np.zeros((5, 6)))
    assert main(["preflight", "--mlp", str(now), "--data", str(data)] + RECIPE) == 2
    assert "b0" in capsys.readouterr().err
