"""Every bad input to the command line gets a clear answer (issue "Every bad input gets a clear answer").

A table of cases, each ``(id, argv, outcome, needle)``: ``argv`` is the command line with ``{d}`` standing for
the directory of the fixture files; ``outcome`` is ``"error"`` (exit 2 and a last stderr line
``rmtcheck CMD: error: ...`` that contains ``needle``, usually the argument's name) or ``"ok"`` (exit 0 and
``needle`` in stdout). No case may raise, print a traceback, warn or mention unsafe loading. The CLI runs
in-process (``rmtcheck.cli.main``); a few cases also run as subprocesses to check stderr end to end.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rmtcheck.cli import main

MC = ["--runs", "8", "--steps", "30"]


def _write_files(d):
    rng = np.random.default_rng(0)
    G = rng.standard_normal((12, 5))
    Fg = rng.standard_normal((6, 5))
    np.save(d / "good.npy", G)
    np.save(d / "forget.npy", Fg)
    np.save(d / "forget3.npy", rng.standard_normal((6, 3)))
    np.save(d / "forget_d6.npy", rng.standard_normal((6, 6)))
    np.save(d / "blocks.npy", rng.standard_normal((8, 5, 2)))
    np.save(d / "forget_blocks3.npy", rng.standard_normal((6, 5, 3)))
    A = rng.standard_normal((6, 3, 3))
    np.save(d / "stack.npy", A @ A.transpose(0, 2, 1))
    np.save(d / "sing.npy", rng.standard_normal((4, 7)))
    np.save(d / "int.npy", rng.integers(-3, 4, (12, 5)))
    np.save(d / "f32.npy", G.astype(np.float32))
    np.save(d / "fortran.npy", np.asfortranarray(G))
    np.savez(d / "good.npz", factors=G)
    np.savez(d / "gram.npz", gram=G @ G.T, k=1)
    X = np.vstack([G, Fg])
    np.savez(d / "joint.npz", gram=X @ X.T, k=1, n_retain=12)
    np.savez(d / "joint_factors.npz", factors=X, n_retain=12)
    Xz = np.vstack([G, np.zeros((6, 5))])
    np.savez(d / "joint_zero_forget.npz", gram=Xz @ Xz.T, k=1, n_retain=12)
    # bad files
    (d / "empty.npy").write_bytes(b"")
    (d / "empty.npz").write_bytes(b"")
    (d / "text.npy").write_text("1 2 3\n4 5 6\n")
    (d / "text.npz").write_text("hello")
    (d / "G.csv").write_text("1,2\n3,4\n")
    full = (d / "good.npy").read_bytes()
    (d / "trunc.npy").write_bytes(full[: len(full) // 2])
    (d / "header_only.npy").write_bytes(full[:40])
    (d / "magic_only.npy").write_bytes(full[:6])
    zfull = (d / "good.npz").read_bytes()
    (d / "trunc.npz").write_bytes(zfull[: len(zfull) // 2])
    np.save(d / "object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.savez(d / "object.npz", factors=np.array([1, "x"], dtype=object))
    np.savez(d / "arr0.npz", G)
    np.savez(d / "none.npz", other=G)
    np.savez(d / "both.npz", factors=G, gram=G @ G.T)
    np.save(d / "complex.npy", G + 1j * G)
    np.save(d / "complex_realvalued.npy", G.astype(complex))
    np.savez(d / "complex.npz", factors=G + 1j)
    np.save(d / "bool.npy", G > 0)
    np.save(d / "str.npy", np.array([["1", "2"], ["3", "4"]]))
    np.save(d / "datetime.npy", np.array(["2020-01-01"] * 4, dtype="datetime64[D]").reshape(2, 2))
    np.save(d / "nan.npy", np.where(np.eye(12, 5) > 0, np.nan, G))
    np.save(d / "inf.npy", np.where(np.eye(12, 5) > 0, np.inf, G))
    np.save(d / "zeros.npy", np.zeros((12, 5)))
    np.save(d / "zeros_forget.npy", np.zeros((6, 5)))
    np.save(d / "zeros_stack.npy", np.zeros((4, 3, 3)))
    np.save(d / "tiny.npy", G * 1e-200)
    np.save(d / "huge.npy", G * 1e200)
    np.save(d / "tiny_stack.npy", (A @ A.transpose(0, 2, 1)) * 1e-200)
    np.save(d / "huge_stack.npy", (A @ A.transpose(0, 2, 1)) * 1e200)
    np.save(d / "vec.npy", G[0])
    np.save(d / "scalar.npy", np.float64(3.0))
    np.save(d / "four_d.npy", np.zeros((2, 2, 2, 2)) + 1)
    np.save(d / "no_rows.npy", np.zeros((0, 5)))
    np.save(d / "no_cols.npy", np.zeros((5, 0)))
    np.save(d / "nonsym.npy", rng.standard_normal((4, 3, 3)))
    np.save(d / "nonpsd.npy", np.stack([np.diag([1.0, -1.0, 0.5])] * 3))
    np.savez(d / "gram_nonsquare.npz", gram=np.ones((4, 3)), k=1)
    np.savez(d / "gram_k_neg.npz", gram=G @ G.T, k=-1)
    np.savez(d / "gram_k_frac.npz", gram=G @ G.T, k=1.5)
    np.savez(d / "gram_k_vec.npz", gram=G @ G.T, k=np.array([1, 2]))
    np.savez(d / "gram_k_str.npz", gram=G @ G.T, k="one")
    np.savez(d / "gram_k_mismatch.npz", gram=G @ G.T, k=5)
    np.savez(d / "gram_huge.npz", gram=G @ G.T * 1e200, k=1)
    np.savez(d / "gram_complex.npz", gram=(G @ G.T) + 0j + 1j, k=1)
    np.savez(d / "joint_nr_big.npz", gram=X @ X.T, k=1, n_retain=18)
    np.savez(d / "joint_nr_zero.npz", gram=X @ X.T, k=1, n_retain=0)
    np.savez(d / "joint_nr_frac.npz", gram=X @ X.T, k=1, n_retain=2.5)
    np.savez(d / "weights.npz", fc1=rng.standard_normal((60, 40)), bias=np.zeros(40),
             conv=rng.standard_normal((16, 3, 3, 3)))
    np.savez(d / "biases_only.npz", b1=np.zeros(3), b2=np.zeros(4))
    np.savez(d / "small_layer.npz", fc=rng.standard_normal((5, 3)), big=rng.standard_normal((60, 40)))
    np.save(d / "wide.npy", rng.standard_normal((40, 60)))
    np.save(d / "layers3d.npy", rng.standard_normal((2, 40, 30)))
    np.save(d / "w_complex.npy", rng.standard_normal((40, 30)) + 1j)
    np.save(d / "w_nan.npy", np.full((40, 30), np.nan))
    np.save(d / "w_huge.npy", rng.standard_normal((40, 30)) * 1e200)
    np.save(d / "w_tiny.npy", rng.standard_normal((40, 30)) * 1e-200)
    np.save(d / "w_zero.npy", np.zeros((40, 30)))
    np.save(d / "w_one.npy", np.ones((1, 1)))
    (d / "adir.npy").mkdir()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("battery")
    _write_files(d)
    return d


S = ["stability"]
U = ["unlearn-stability"]
P = ["spectrum"]
OKS = ["--lr", "0.1", "--batch", "2", *MC]
OKU = ["--lr", "0.1", "--batch", "2", "--alpha", "0.3", *MC]

_FILE_CASES = [  # (file, needle) refused by every file-reading command
    ("empty.npy", "empty (0 bytes)"), ("empty.npz", "empty (0 bytes)"), ("text.npy", "neither a NumPy"),
    ("text.npz", "neither a NumPy"), ("G.csv", "neither a NumPy"), ("trunc.npy", "truncated"),
    ("header_only.npy", "not a readable .npy"), ("magic_only.npy", "not a readable .npy"),
    ("trunc.npz", "not a readable .npz"), ("object.npy", "never unpickles"), ("object.npz", "never unpickles"),
    ("missing.npy", "no such file"), ("adir.npy", "is a directory"),
]
_ARRAY_CASES = [  # (file, needle) refused as curvature by stability and unlearn-stability
    ("complex.npy", "complex"), ("complex_realvalued.npy", "complex"), ("complex.npz", "complex"),
    ("bool.npy", "boolean"), ("str.npy", "numeric"), ("datetime.npy", "numeric"), ("nan.npy", "NaN or inf"),
    ("inf.npy", "NaN or inf"), ("zeros.npy", "all zero"), ("zeros_stack.npy", "all zero"),
    ("tiny.npy", "e-200"), ("huge.npy", "e+200"), ("tiny_stack.npy", "absolute value"), ("huge_stack.npy", "absolute value"),
    ("vec.npy", "shape (5,)"), ("scalar.npy", "shape ()"), ("four_d.npy", "shape (2, 2, 2, 2)"),
    ("no_rows.npy", ">= 1"), ("no_cols.npy", ">= 1"), ("nonsym.npy", "not symmetric"),
    ("nonpsd.npy", "not positive semi-definite"), ("arr0.npz", "arr_0"), ("none.npz", "'factors'"),
    ("both.npz", "exactly one"), ("gram_nonsquare.npz", "gram"), ("gram_k_neg.npz", "'k' must be >= 1"),
    ("gram_k_frac.npz", "'k' must be a single integer"), ("gram_k_vec.npz", "'k' must be a single integer"),
    ("gram_k_str.npz", "'k' must be a single integer"), ("gram_k_mismatch.npz", "k"),
    ("gram_complex.npz", "complex"), ("gram_huge.npz", "absolute value"),
]

CASES = []
for f, needle in _FILE_CASES:
    CASES += [(f"stability-{f}", [*S, "{d}/" + f, *OKS], "error", needle),
              (f"unlearn-retain-{f}", [*U, "{d}/" + f, "{d}/forget.npy", *OKU], "error", needle),
              (f"unlearn-forget-{f}", [*U, "{d}/good.npy", "{d}/" + f, *OKU], "error", needle),
              (f"spectrum-{f}", [*P, "{d}/" + f], "error", needle)]
for f, needle in _ARRAY_CASES:
    fg = "{d}/forget3.npy" if "stack" in f or f.startswith("non") else "{d}/forget.npy"  # same d = 3
    CASES += [(f"stability-{f}", [*S, "{d}/" + f, *OKS], "error", needle),
              (f"unlearn-retain-{f}", [*U, "{d}/" + f, fg, *OKU], "error", needle)]
for f, needle in _ARRAY_CASES[:21]:
    rt = "{d}/stack.npy" if "stack" in f or f.startswith("non") else "{d}/good.npy"  # same d
    CASES.append((f"unlearn-forget-{f}", [*U, rt, "{d}/" + f, *OKU], "error", needle))
CASES += [
    # the file must be named in a file error, and the argument too
    ("stability-names-FILE", [*S, "{d}/zeros.npy", *OKS], "error", "FILE"),
    ("unlearn-names-FORGET", [*U, "{d}/good.npy", "{d}/zeros_forget.npy", *OKU], "error", "FORGET"),
    ("unlearn-names-RETAIN", [*U, "{d}/zeros.npy", "{d}/forget.npy", *OKU], "error", "RETAIN"),
    ("spectrum-names-FILE", [*P, "{d}/w_complex.npy"], "error", "FILE"),
    ("nonpsd-no-python-arg", [*S, "{d}/nonpsd.npy", *OKS], "error", "clip negative eigenvalues"),
    # numeric options: argparse names the option, exit 2
    ("stability-lr-0", [*S, "{d}/good.npy", "--lr", "0", "--batch", "2"], "error", "--lr"),
    ("stability-lr-neg", [*S, "{d}/good.npy", "--lr", "-1", "--batch", "2"], "error", "--lr"),
    ("stability-lr-nan", [*S, "{d}/good.npy", "--lr", "nan", "--batch", "2"], "error", "--lr"),
    ("stability-lr-inf", [*S, "{d}/good.npy", "--lr", "inf", "--batch", "2"], "error", "--lr"),
    ("stability-lr-text", [*S, "{d}/good.npy", "--lr", "fast", "--batch", "2"], "error", "--lr"),
    ("stability-lr-missing", [*S, "{d}/good.npy", "--batch", "2"], "error", "--lr"),
    ("stability-batch-0", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "0"], "error", "--batch"),
    ("stability-batch-neg", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "-2"], "error", "--batch"),
    ("stability-batch-frac", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "1.5"], "error", "--batch"),
    ("stability-batch-big", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "13"], "error", "--batch"),
    ("stability-batch-text", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "all"], "error", "--batch"),
    ("stability-seed-neg", [*S, "{d}/good.npy", *OKS, "--seed", "-1"], "error", "--seed"),
    ("stability-seed-text", [*S, "{d}/good.npy", *OKS, "--seed", "x"], "error", "--seed"),
    ("stability-runs-0", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "2", "--runs", "0"], "error", "--runs"),
    ("stability-steps-0", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "2", "--steps", "0"], "error", "--steps"),
    ("stability-steps-neg", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "2", "--steps", "-5"], "error",
     "--steps"),
    ("stability-sampling", [*S, "{d}/good.npy", *OKS, "--sampling", "poisson"], "error", "--sampling"),
    ("stability-space", [*S, "{d}/good.npy", *OKS, "--space", "dual"], "error", "--space"),
    ("stability-space-gram-stack", [*S, "{d}/stack.npy", *OKS, "--space", "gram"], "error", "gram"),
    ("stability-space-param-gram", [*S, "{d}/gram.npz", *OKS, "--space", "parameter"], "error", "Gram"),
    ("stability-no-file", [*S, "--lr", "0.1", "--batch", "2"], "error", "file"),
    ("stability-extra-arg", [*S, "{d}/good.npy", "{d}/good.npy", *OKS], "error", "unrecognized"),
    ("unlearn-alpha-big", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "1.5"],
     "error", "--alpha"),
    ("unlearn-alpha-neg", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "-0.1"],
     "error", "--alpha"),
    ("unlearn-alpha-nan", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "nan"],
     "error", "--alpha"),
    ("unlearn-alpha-missing", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2"], "error",
     "--alpha"),
    ("unlearn-lr-0", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0", "--batch", "2", "--alpha", "0.3"],
     "error", "--lr"),
    ("unlearn-lr-inf", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "inf", "--batch", "2", "--alpha", "0.3"],
     "error", "--lr"),
    ("unlearn-batch-0", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "0", "--alpha", "0.3"],
     "error", "--batch"),
    ("unlearn-batch-big", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "7", "--alpha", "0.3"],
     "error", "--batch"),
    ("unlearn-seed-neg", [*U, "{d}/good.npy", "{d}/forget.npy", *OKU, "--seed", "-1"], "error", "--seed"),
    ("unlearn-runs-0", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "0.3",
                        "--runs", "0"], "error", "--runs"),
    ("unlearn-sampling", [*U, "{d}/good.npy", "{d}/forget.npy", *OKU, "--sampling", "bernoulli"], "error",
     "--sampling"),
    ("unlearn-d-mismatch", [*U, "{d}/good.npy", "{d}/forget_d6.npy", *OKU], "error", "FORGET"),
    ("unlearn-k-mismatch", [*U, "{d}/blocks.npy", "{d}/forget_blocks3.npy", *OKU], "error", "k="),
    ("unlearn-no-forget", [*U, "{d}/good.npy", *OKU], "error", "n_retain"),
    ("unlearn-separate-grams", [*U, "{d}/gram.npz", "{d}/gram.npz", *OKU], "error", "cross block"),
    ("unlearn-joint-plus-forget", [*U, "{d}/joint.npz", "{d}/forget.npy", *OKU], "error", "joint gram"),
    ("unlearn-joint-nr-big", [*U, "{d}/joint_nr_big.npz", *OKU], "error", "n_retain"),
    ("unlearn-joint-nr-zero", [*U, "{d}/joint_nr_zero.npz", *OKU], "error", "n_retain"),
    ("unlearn-joint-nr-frac", [*U, "{d}/joint_nr_frac.npz", *OKU], "error", "n_retain"),
    ("unlearn-joint-zero-forget", [*U, "{d}/joint_zero_forget.npz", *OKU], "error", "forget samples are all zero"),
    ("unlearn-names-forget-zero", [*U, "{d}/good.npy", "{d}/zeros_forget.npy", *OKU], "error", "zeros_forget.npy"),
    ("spectrum-seed-neg", [*P, "{d}/wide.npy", "--seed", "-1"], "error", "--seed"),
    ("spectrum-bootstrap-neg", [*P, "{d}/wide.npy", "--bootstrap", "-1"], "error", "--bootstrap"),
    ("spectrum-min-tail-1", [*P, "{d}/wide.npy", "--min-tail", "1"], "error", "--min-tail"),
    ("spectrum-min-tail-text", [*P, "{d}/wide.npy", "--min-tail", "many"], "error", "--min-tail"),
    ("spectrum-method", [*P, "{d}/wide.npy", "--method", "qr"], "error", "--method"),
    ("spectrum-complex", [*P, "{d}/w_complex.npy"], "error", "complex"),
    ("spectrum-bool", [*P, "{d}/bool.npy"], "error", "boolean"),
    ("spectrum-str", [*P, "{d}/str.npy"], "error", "numeric"),
    ("spectrum-nan", [*P, "{d}/w_nan.npy"], "error", "NaN or inf"),
    ("spectrum-huge", [*P, "{d}/w_huge.npy"], "error", "e+200"),
    ("spectrum-tiny", [*P, "{d}/w_tiny.npy"], "error", "e-200"),
    ("spectrum-vector", [*P, "{d}/vec.npy"], "error", "shape (5,)"),
    ("spectrum-4d", [*P, "{d}/four_d.npy"], "error", "shape (2, 2, 2, 2)"),
    ("spectrum-biases-only", [*P, "{d}/biases_only.npz"], "error", "ndim >= 2"),
    ("spectrum-one-by-one", [*P, "{d}/w_one.npy"], "error", "shape"),
    ("preflight-missing", ["preflight", "--curvature", "{d}/missing.npz", "--lr", "0.1", "--batch", "2",
                           "--steps", "10"], "error", "--curvature"),
    ("preflight-empty", ["preflight", "--curvature", "{d}/empty.npz", "--lr", "0.1", "--batch", "2",
                         "--steps", "10"], "error", "--curvature"),
    ("preflight-text", ["preflight", "--curvature", "{d}/text.npz", "--lr", "0.1", "--batch", "2",
                        "--steps", "10"], "error", "--curvature"),
    ("preflight-object", ["preflight", "--curvature", "{d}/object.npz", "--lr", "0.1", "--batch", "2",
                          "--steps", "10"], "error", "never unpickles"),
    ("preflight-lacks-coef", ["preflight", "--curvature", "{d}/gram.npz", "--lr", "0.1", "--batch", "2",
                              "--steps", "10"], "error", "coef"),
    ("preflight-lr-0", ["preflight", "--curvature", "{d}/gram.npz", "--lr", "0", "--batch", "2", "--steps", "10"],
     "error", "--lr"),
    ("preflight-batch-0", ["preflight", "--curvature", "{d}/gram.npz", "--lr", "0.1", "--batch", "0",
                           "--steps", "10"], "error", "--batch"),
    ("preflight-steps-0", ["preflight", "--curvature", "{d}/gram.npz", "--lr", "0.1", "--batch", "2",
                           "--steps", "0"], "error", "--steps"),
    ("preflight-seed-neg", ["preflight", "--curvature", "{d}/gram.npz", "--lr", "0.1", "--batch", "2",
                            "--steps", "10", "--seed", "-1"], "error", "--seed"),
    ("preflight-data-missing", ["preflight", "--mlp", "{d}/missing.npz", "--lr", "0.1", "--batch", "2",
                                "--steps", "10"], "error", "--mlp"),
    ("no-command", [], "error", "COMMAND"),
    ("unknown-command", ["stabilty"], "error", "invalid choice"),
    # unusual but valid inputs: a correct answer, exit 0
    ("ok-stability-factors", [*S, "{d}/good.npy", *OKS], "ok", "mean-square growth"),
    ("ok-stability-npz", [*S, "{d}/good.npz", *OKS], "ok", "mean-square growth"),
    ("ok-stability-gram", [*S, "{d}/gram.npz", *OKS], "ok", "Gram"),
    ("ok-stability-blocks", [*S, "{d}/blocks.npy", *OKS], "ok", "k = 2"),
    ("ok-stability-stack", [*S, "{d}/stack.npy", *OKS], "ok", "mean-square growth"),
    ("ok-stability-int", [*S, "{d}/int.npy", *OKS], "ok", "mean-square growth"),
    ("ok-stability-float32", [*S, "{d}/f32.npy", *OKS], "ok", "mean-square growth"),
    ("ok-stability-fortran", [*S, "{d}/fortran.npy", *OKS], "ok", "mean-square growth"),
    ("ok-stability-batch-n", [*S, "{d}/good.npy", "--lr", "0.1", "--batch", "12", *MC], "ok", "outside"),
    ("ok-stability-singular-labels", [*S, "{d}/sing.npy", *OKS], "ok", "the Lyapunov exponent are computed on range(H)"),
    ("ok-stability-json", [*S, "{d}/good.npy", *OKS, "--json"], "ok", '"ms_growth"'),
    ("ok-unlearn", [*U, "{d}/good.npy", "{d}/forget.npy", *OKU], "ok", "rho(T)"),
    ("ok-unlearn-joint", [*U, "{d}/joint.npz", *OKU], "ok", "joint Gram"),
    ("ok-unlearn-joint-factors", [*U, "{d}/joint_factors.npz", *OKU], "ok", "rho(T)"),
    ("ok-unlearn-alpha-0", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "0",
                            *MC], "ok", "rho(T)"),
    ("ok-unlearn-alpha-1", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "1",
                            *MC], "ok", "every eta > 0 escapes"),
    ("ok-unlearn-eta0-explained", [*U, "{d}/good.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2",
                                   "--alpha", "0.9", *MC], "ok", "critical eta=0  (every eta > 0 escapes"),
    ("ok-spectrum", [*P, "{d}/wide.npy", "--bootstrap", "0"], "ok", "flag"),
    ("ok-spectrum-npz", [*P, "{d}/weights.npz", "--bootstrap", "0"], "ok", "conv"),
    ("ok-spectrum-3d", [*P, "{d}/layers3d.npy", "--bootstrap", "0"], "ok", "W[1]"),
    ("ok-spectrum-zero", [*P, "{d}/w_zero.npy", "--bootstrap", "0"], "ok", "skipped: no positive eigenvalue"),
    ("ok-spectrum-small-skipped", [*P, "{d}/good.npy", "--bootstrap", "0"], "ok", "skipped: only 5 eigenvalues"),
    ("ok-spectrum-small-5x3", [*P, "{d}/small_layer.npz", "--bootstrap", "0"], "ok", "skipped"),
    ("ok-spectrum-json-skipped", [*P, "{d}/small_layer.npz", "--bootstrap", "0", "--json"], "ok",
     '"flag": "skipped"'),
]


def _fill(argv, d):
    return [a.replace("{d}", str(d)) for a in argv]


def test_battery_size():
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_cli_bad_input(case, files, capsys):
    _, argv, outcome, needle = case
    try:
        rc = main(_fill(argv, files))
    except SystemExit as exc:  # argparse: usage error
        rc = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "allow_pickle" not in err + out and "psd=False" not in err
    if outcome == "error":
        assert rc == 2, (rc, out, err)
        last = err.strip().splitlines()[-1] if err.strip() else ""
        assert "error:" in last or needle == "COMMAND", err
        assert needle in (last if needle != "COMMAND" else out + err), err
    else:
        assert rc == 0, err
        assert needle in out, out
        if "skipped" in needle:
            assert "well-trained" not in out.split("skipped")[0].splitlines()[-1]


def test_small_layer_never_flagged(files, capsys):
    assert main(["spectrum", str(files / "small_layer.npz"), "--bootstrap", "0", "--json"]) == 0
    import json

    recs = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert recs["fc"]["flag"] == "skipped" and recs["fc"]["alpha"] is None and "10" in recs["fc"]["skipped"]
    assert recs["big"]["flag"] != "skipped" and recs["big"]["alpha"] > 1


def test_singular_h_lyapunov_on_range(files, capsys):
    """Singular H: rho(T), eta* and the Lyapunov exponent are all computed on range(H), and said so."""
    assert main(["stability", str(files / "sing.npy"), *OKS, "--json"]) == 0
    import json

    rep = json.loads(capsys.readouterr().out)
    assert rep["range_dim"] == 4 and rep["d"] == 7
    assert "range(H)" in rep["notions"]["lyapunov"] and "range(H)" in rep["computed_on"]
    assert "Lyapunov" in rep["null_space_note"]


@pytest.mark.parametrize("argv", [
    ["stability", "{d}/empty.npy", "--lr", "0.1", "--batch", "2"],
    ["unlearn-stability", "{d}/empty.npy", "{d}/forget.npy", "--lr", "0.1", "--batch", "2", "--alpha", "0.3"],
    ["stability", "{d}/complex.npy", "--lr", "0.1", "--batch", "2"],
    ["spectrum", "{d}/object.npy"],
    ["stability", "{d}/huge.npy", "--lr", "0.1", "--batch", "2"],
])
def test_subprocess_no_traceback(argv, files):
    r = subprocess.run([sys.executable, "-m", "rmtcheck", *_fill(argv, files)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr and "allow_pickle" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "error:" in r.stderr
