"""Long commands talk on stderr (one line per stage off a terminal, nothing with ``--quiet``), stdout and ``--json``
do not change, and an input whose estimated memory exceeds the machine is refused (exit 2, naming ``--force``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from rmtcheck._lib import progress as pg
from rmtcheck.cli import main

MC = ["--runs", "8", "--steps", "40"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("progress")
    rng = np.random.default_rng(0)
    np.save(d / "G.npy", rng.standard_normal((30, 8)))
    np.save(d / "R.npy", rng.standard_normal((20, 8)))
    np.save(d / "F.npy", rng.standard_normal((10, 8)))
    return d


def _run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def _stages(err: str, prefix: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(prefix + " [")]


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_stability_reports_each_stage(files, capsys, extra):
    argv = ["stability", str(files / "G.npy"), "--lr", "0.05", "--batch", "4", *MC, *extra]
    rc, out, err = _run(capsys, argv)
    assert rc == 0
    lines = _stages(err, "rmtcheck stability")
    assert lines == err.splitlines()  # nothing else on stderr
    text = "\n".join(lines)
    for stage in ("1/9 loading FILE", "building the family", "coherence", "rho(T)", "eta*", "Theorem 1",
                  "Lyapunov exponent (Monte Carlo)", "] done"):
        assert stage in text, (stage, err)
    assert all(re.match(r"rmtcheck stability \[ *\d+\.\d s\]", line) for line in lines)  # elapsed seconds
    rq, outq, errq = _run(capsys, argv + ["--quiet"])
    assert rq == 0 and errq == "" and outq == out  # stdout (and --json) byte-identical


def test_unlearn_stability_reports_each_stage(files, capsys):
    argv = ["unlearn-stability", str(files / "R.npy"), str(files / "F.npy"), "--lr", "0.05", "--batch", "4",
            "--alpha", "0.2", *MC]
    rc, out, err = _run(capsys, argv)
    assert rc == 0
    text = "\n".join(_stages(err, "rmtcheck unlearn-stability"))
    for stage in ("1/8 loading RETAIN and FORGET", "building the families", "sigma_mix of 200 pairs", "rho(T)",
                  "Lyapunov", "critical alpha", "critical eta", "] done"):
        assert stage in text, (stage, err)
    rq, outq, errq = _run(capsys, argv + ["-q", "--json"])
    assert rq == 0 and errq == ""
    rj, outj, _ = _run(capsys, argv + ["--json"])
    assert outj == outq and json.loads(outj)["sampling"] == "independent_bernoulli"


@pytest.mark.parametrize("cmd", ["stability", "unlearn-stability"])
def test_too_much_memory_is_refused_unless_forced(files, capsys, monkeypatch, cmd):
    monkeypatch.setattr(pg, "available_memory", lambda: 4096)  # a machine with 4 KB free
    args = ([str(files / "G.npy")] if cmd == "stability" else
            [str(files / "R.npy"), str(files / "F.npy"), "--alpha", "0.2"])
    argv = [cmd, *args, "--lr", "0.05", "--batch", "4", *MC]
    rc, out, err = _run(capsys, argv)
    assert rc == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"rmtcheck {cmd}: error: refusing to start") and "--force" in last
    assert "exceeds the 4.0 KB" in last
    assert f"rmtcheck {cmd}: estimate ~" in err  # the estimate is printed first
    rq, outq, errq = _run(capsys, argv + ["--quiet"])
    assert rq == 2 and errq.strip().splitlines() == [last]  # --quiet: only the error
    rf, outf, errf = _run(capsys, argv + ["--force", "--quiet"])
    assert rf == 0 and errf == "" and "rho(T)" in outf


def test_bad_input_stays_one_line(files, capsys):
    rc, out, err = _run(capsys, ["stability", str(files / "G.npy"), "--lr", "0.05", "--batch", "99", *MC])
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--batch" in err


def test_estimate_follows_the_route():
    from rmtcheck.cli._cost import estimate, pair_plan, single_plan

    gram = estimate("factors", 200, 100_000, 1, "gram", runs=64, steps=400)
    par = estimate("factors", 200_000, 20_000, 1, "parameter", runs=64, steps=400)
    assert gram["dim"] == 200 and gram["bytes"] < 2 ** 30 and gram["seconds"] < 10
    assert par["dim"] == 20_000 and par["bytes"] > 64 * 2 ** 30 and par["seconds"] > 3600
    pairs = estimate("factors", 1000, 4000, 1, "gram", runs=128, steps=400, n_forget=1000, pairs=True)
    nopairs = estimate("factors", 1000, 4000, 1, "gram", runs=128, steps=400, n_forget=1000)
    assert pairs["seconds"] > nopairs["seconds"] + 60
    many = estimate("factors", 30000, 3, 1, "parameter", runs=128, steps=400, n_forget=30000, pairs=True)
    assert "mostly sigma_mix over 900000000 pairs; --no-pairs skips it" in many["where"]
    # the route of --space auto: Gram space when n k < d
    wide = {"factors": np.zeros((50, 1000))}
    assert single_plan(wide, "auto", runs=8, steps=40)["where"].startswith("Gram space, dim 50;")
    assert single_plan(wide, "parameter", runs=8, steps=40)["where"].startswith("parameter space, dim 50;")
    assert single_plan({"stack": np.zeros((5, 30, 30))}, "auto", runs=8, steps=40)["dim"] == 30
    joint = {"gram": np.zeros((60, 60)), "k": 2, "n_retain": 20}
    assert pair_plan(joint, None, "auto", pairs=True, runs=8, steps=40)["where"].startswith("Gram space, dim 60;")
    two = pair_plan({"factors": np.zeros((20, 500))}, {"factors": np.zeros((10, 500))}, "auto", pairs=False,
                    runs=8, steps=40)
    assert two["where"].startswith("Gram space, dim 30;")
    assert single_plan({"nonsense": 1}, "auto", runs=8, steps=40) is None


# ----------------------------------------------------------------------------------------------- preflight
@pytest.fixture(scope="module")
def curvature(tmp_path_factory):
    from rmtcheck.curvature import gauss_newton_factors
    from rmtcheck.stability.gram import save_curvature
    from rmtcheck.studies.spectral import mlp

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    y = (X[:, 0] > 0).astype(int)
    model = mlp.MLP((4, 5, 2), "tanh")
    params = mlp.train(model, X, y, epochs=30, lr=0.2, batch=8, rng=0)
    params = params[0] if isinstance(params, tuple) else params
    J = mlp.output_jacobian(model, params, X)
    cur = gauss_newton_factors(J, mlp.forward(model, params, X), y, "ce", form="gram", root="factored")
    c = tmp_path_factory.mktemp("pf") / "cur.npz"
    save_curvature(c, cur, n_retain=30)
    return c


def test_preflight_reports_each_stage(curvature, capsys):
    argv = ["preflight", "--curvature", str(curvature), "--lr", "0.5", "--batch", "4", "--steps", "10",
            "--no-almost-sure", "--forecast-runs", "4"]
    rc, out, err = _run(capsys, argv)
    assert rc == 0
    lines = _stages(err, "rmtcheck preflight")
    assert lines == err.splitlines()
    text = "\n".join(lines)
    for stage in ("per-sample curvature", "coherences", "mean-square growth", "finite-horizon forecast",
                  "forecast curve (13 step sizes)", "] done"):
        assert stage in text, (stage, err)
    rq, outq, errq = _run(capsys, argv + ["--quiet"])
    assert rq == 0 and errq == "" and outq == out


def test_preflight_refuses_what_the_machine_cannot_hold(curvature, tmp_path, capsys, monkeypatch):
    from rmtcheck.cli._cost import preflight_plan

    monkeypatch.setattr(pg, "available_memory", lambda: 4096)
    argv = ["preflight", "--curvature", str(curvature), "--lr", "0.5", "--batch", "4", "--steps", "10",
            "--no-almost-sure", "--forecast-runs", "4"]
    rc, out, err = _run(capsys, argv)
    last = err.strip().splitlines()[-1]
    assert rc == 2 and out == "" and last.startswith("rmtcheck preflight: error: refusing to start")
    assert "--force" in last and "rmtcheck preflight: estimate ~" in err
    rf, outf, errf = _run(capsys, argv + ["--force", "--quiet"])
    assert rf == 0 and errf == "" and "verdict" in outf
    # the --mlp route is refused before it builds the n k x p Jacobian (here 0.8 GB)
    w = {"sizes": np.array([2_000, 500, 10]), "W0": np.zeros((2_000, 500)), "b0": np.zeros(500),
         "W1": np.zeros((500, 10)), "b1": np.zeros(10)}
    np.savez(tmp_path / "w.npz", **w)
    data = {"X_retain": np.zeros((3, 2_000)), "y_retain": np.zeros(3, int), "X_forget": np.zeros((2, 2_000)),
            "y_forget": np.zeros(2, int)}
    np.savez(tmp_path / "d.npz", **data)
    monkeypatch.setattr(pg, "available_memory", lambda: 2 ** 28)
    rc, out, err = _run(capsys, ["preflight", "--mlp", str(tmp_path / "w.npz"), "--data", str(tmp_path / "d.npz"),
                                 "--lr", "0.5", "--batch", "2", "--steps", "5", "-q"])
    assert rc == 2 and "output Jacobian" in err and "--force" in err
    # the estimate grows with what preflight holds: the Jacobian only on the --mlp route
    small = preflight_plan(300, 100, 10, params=10**6, steps=50)
    jac = preflight_plan(300, 100, 10, params=10**6, jacobian=True, steps=50)
    assert jac["bytes"] > small["bytes"] + 2 * 8 * 4000 * 10**6 * 0.99


# ----------------------------------------------------------------------------------------------- paper
def test_paper_reports_each_stage(tmp_path, capsys):
    from rmtcheck import paper as P

    paper = tmp_path / "paper"
    paper.mkdir()
    for name in ("main.tex", "references.bib"):
        shutil.copy(REPO / "paper" / name, paper / name)
    (tmp_path / "figures").mkdir()
    saved = tmp_path / "verify.json"
    saved.write_text(json.dumps(P.verify_records(["chang_khanna.three_axis"], seed=0)))
    argv = ["paper", "--from-json", str(saved), "--paper-dir", str(paper), "--figures-dir", str(tmp_path / "figures"),
            "--sweeps", str(tmp_path / "none.sqlite"), "--fragments-only"]
    rc, out, err = _run(capsys, argv)
    assert rc == 0
    text = "\n".join(_stages(err, "rmtcheck paper"))
    for stage in ("verify records from", "fragment macros.tex", "fragment verify-summary.tex",
                  "fragment sweeps.tex", "checking the paper's references", "] done"):
        assert stage in text, (stage, err)
    rq, outq, errq = _run(capsys, argv + ["--quiet"])
    seconds = re.compile(r"\(\d+\.\d s\)")
    assert rq == 0 and errq == "" and seconds.sub("", outq) == seconds.sub("", out)


# ----------------------------------------------------------------------------------------------- figures
def test_figures_progress_is_one_line_per_figure_off_a_terminal():
    import io

    from rmtcheck.plotting.manifest import Progress as FigureProgress

    buf = io.StringIO()
    bar = FigureProgress(2, stream=buf)
    for name in ("a", "b"):
        bar.start(name)
        bar.step(name)
    assert [line.split("] ")[1].split()[:2] for line in buf.getvalue().splitlines()] == [["1/2", "a"], ["2/2", "b"]]


def test_verify_reports_each_row_on_stderr_and_quiet_silences_it(capsys):
    from rmtcheck.cli import main

    assert main(["verify", "--only", "dexter.theorem2", "--only", "dexter.sandwich", "--instances", "2",
                 "--json", "--jobs", "1"]) == 0  # one process: rows reported as they start, in registry order
    assert "1/2 dexter.theorem2" in capsys.readouterr().err
    assert main(["verify", "--only", "dexter.theorem2", "--only", "dexter.sandwich", "--instances", "2",
                 "--json"]) == 0  # workers: each row reported as it finishes, in whatever order they finish
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if " dexter." in ln]
    assert sorted(ln.split("] ")[1].split()[0] for ln in lines) == ["1/2", "2/2"]
    assert {ln.split()[-1] for ln in lines} == {"dexter.theorem2", "dexter.sandwich"}
    assert main(["verify", "--only", "dexter.theorem2", "--only", "dexter.sandwich", "--instances", "2",
                 "--json", "--quiet"]) == 0
    quiet_out, quiet_err = capsys.readouterr()
    assert quiet_err == "" and quiet_out == out
