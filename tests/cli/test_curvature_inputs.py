"""``rmtcheck stability`` / ``unlearn-stability`` on every input form (.npy, .npz factors, .npz Gram matrix) and space.

The same instance given as factors or as its Gram matrix, analysed in parameter or Gram space, prints the same
numbers (to 1e-9 relative); every bad input is one line on stderr with exit status 2.
"""

import json
import math

import numpy as np
import pytest

from rmtcheck.cli import main

MC = ["--runs", "12", "--steps", "40"]
SKIP = {"input", "d", "null_space_note", "computed_on", "notions"}  # descriptions of the input, not results


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys, argv):
    code, out, err = _run(capsys, argv + ["--json"])
    assert code == 0, err
    return json.loads(out)


def _same(a, b, path="", rtol=1e-9):
    """Every number in ``a`` equals the one in ``b`` to ``rtol`` (outside the input descriptions)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            if key not in SKIP:
                _same(a[key], b[key], f"{path}.{key}", rtol)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]", rtol)
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=rtol, abs_tol=1e-300) or a == b, (path, a, b)
    else:
        assert a == b, (path, a, b)


@pytest.fixture(scope="module")
def sgd_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sgd")
    rng = np.random.default_rng(0)
    G = rng.standard_normal((12, 30))                     # n < d: auto takes Gram space
    B = rng.standard_normal((6, 30, 2))                   # k = 2 blocks
    rows = B.transpose(0, 2, 1).reshape(12, 30)
    np.save(d / "g.npy", G)
    np.savez(d / "g_fac.npz", factors=G)
    np.savez(d / "g_gram.npz", gram=G @ G.T, k=1)
    np.savez(d / "b_fac.npz", factors=B, k=2)
    np.savez(d / "b_gram.npz", gram=rows @ rows.T, k=2)
    np.save(d / "tall.npy", rng.standard_normal((40, 5)))  # n >= d: parameter space
    return d


def test_stability_same_numbers_in_every_form_and_space(sgd_files, capsys):
    base = ["--lr", "0.05", "--batch", "3"] + MC
    ref = _json(capsys, ["stability", str(sgd_files / "g.npy"), "--space", "parameter"] + base)
    assert ref["input"]["space"] == "parameter" and ref["range_dim"] == 12 and ref["d"] == 30
    for argv in (["g.npy"], ["g.npy", "--space", "gram"], ["g_fac.npz"], ["g_gram.npz"], ["g_gram.npz", "--space", "gram"]):
        rec = _json(capsys, ["stability", str(sgd_files / argv[0])] + argv[1:] + base)
        assert rec["input"]["space"] == "gram"
        _same(ref, rec)
    blocks = [_json(capsys, ["stability", str(sgd_files / f)] + s + base)
              for f, s in (("b_fac.npz", ["--space", "parameter"]), ("b_fac.npz", []), ("b_gram.npz", []))]
    assert [b["input"]["space"] for b in blocks] == ["parameter", "gram", "gram"] and blocks[0]["k"] == 2
    for b in blocks[1:]:
        _same(blocks[0], b)


def test_stability_tall_factors_in_gram_space_too(sgd_files, capsys):
    base = ["stability", str(sgd_files / "tall.npy"), "--lr", "0.05", "--batch", "8"] + MC
    par, gram = _json(capsys, base), _json(capsys, base + ["--space", "gram"])
    assert (par["input"]["space"], gram["input"]["space"], gram["range_dim"]) == ("parameter", "gram", 5)
    _same(par, gram)


def test_many_pairs_use_the_certified_matrix_free_root_in_both_spaces(tmp_path, capsys):
    rng = np.random.default_rng(5)
    np.save(tmp_path / "r.npy", rng.standard_normal((21, 60))); np.save(tmp_path / "f.npy", rng.standard_normal((21, 60)))
    base = ["unlearn-stability", str(tmp_path / "r.npy"), str(tmp_path / "f.npy"), "--lr", "0.01", "--batch", "4",
            "--alpha", "0.2"] + MC
    a, b = _json(capsys, base + ["--space", "parameter"]), _json(capsys, base)
    assert a["sigma_mix_method"] == "matrix-free" and b["input"]["space"] == "gram"
    _same(a, b)


def test_stability_says_which_form_it_used(sgd_files, capsys):
    base = ["--lr", "0.05", "--batch", "12"] + MC
    _, out, _ = _run(capsys, ["stability", str(sgd_files / "g_gram.npz")] + base)
    assert "input: Gram matrix, n=12, k=1, rank r=12 (Gram space)" in out and "d = unknown" in out
    _, out, _ = _run(capsys, ["stability", str(sgd_files / "g.npy")] + base)
    assert "input: factors (n, d) = (12, 30), computed in Gram space (auto: n*k = 12 < d = 30), rank r=12" in out
    assert "range(H) (dim 12 of d = 30)" in out and "note: H is singular" in out
    _, out, _ = _run(capsys, ["stability", str(sgd_files / "b_fac.npz"), "--lr", "0.05", "--batch", "6"] + MC)
    assert "factors (n, d, k) = (6, 30, 2), computed in Gram space (auto: n*k = 12 < d = 30)" in out
    _, out, _ = _run(capsys, ["stability", str(sgd_files / "tall.npy"), "--lr", "0.05", "--batch", "40"] + MC)
    assert "computed in parameter space (auto: n*k = 40 >= d = 5), rank r=5" in out and "note:" not in out


@pytest.fixture(scope="module")
def unlearn_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("unlearn")
    rng = np.random.default_rng(3)
    R = rng.standard_normal((10, 40)) / np.sqrt(40)
    F = rng.standard_normal((6, 10)) / np.sqrt(10) @ R     # forget inside the retain span: a resisting interval
    X = np.vstack([R, F])
    np.save(d / "r.npy", R); np.save(d / "f.npy", F)
    np.savez(d / "joint.npz", gram=X @ X.T, k=1, n_retain=10)
    np.savez(d / "joint_fac.npz", factors=X, n_retain=10)
    Rb, Fb = rng.standard_normal((4, 30, 2)), rng.standard_normal((3, 30, 2))
    rows = np.concatenate([a.transpose(0, 2, 1).reshape(-1, 30) for a in (Rb, Fb)])
    np.savez(d / "rb.npz", factors=Rb); np.savez(d / "fb.npz", factors=Fb)
    np.savez(d / "joint_b.npz", gram=rows @ rows.T, k=2, n_retain=4)
    # pairwise parallel or orthogonal members, rotated: the exact Lyapunov exponent in every space
    Q = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    E = np.eye(20)
    Rd, Fd = np.array([E[0], E[0], E[1], -E[1]]) @ Q.T, np.array([2 * E[0], 2 * E[1], 2 * E[2]]) @ Q.T
    np.save(d / "rd.npy", Rd); np.save(d / "fd.npy", Fd)
    np.savez(d / "joint_d.npz", gram=np.vstack([Rd, Fd]) @ np.vstack([Rd, Fd]).T, n_retain=4)
    return d


def test_unlearn_same_numbers_two_files_or_one_joint_gram(unlearn_files, capsys):
    u = unlearn_files
    base = ["--lr", "2.0", "--batch", "3", "--alpha", "0.1"] + MC
    ref = _json(capsys, ["unlearn-stability", str(u / "r.npy"), str(u / "f.npy"), "--space", "parameter"] + base)
    assert ref["input"]["space"] == "parameter" and ref["resist_interval"] is not None and ref["range_dim"] == 10
    assert ref["lyapunov_method"] == "monte-carlo" and ref["sigma_mix"] is not None
    for argv in ([str(u / "r.npy"), str(u / "f.npy")], [str(u / "joint.npz")], [str(u / "joint_fac.npz")],
                 [str(u / "joint_fac.npz"), "--space", "parameter"]):
        rec = _json(capsys, ["unlearn-stability"] + argv + base)
        _same(ref, rec)
    for sampling in ("pair_bernoulli", "without_replacement"):
        a, b = (_json(capsys, ["unlearn-stability"] + f + base + ["--sampling", sampling])
                for f in ([str(u / "r.npy"), str(u / "f.npy"), "--space", "parameter"], [str(u / "joint.npz")]))
        _same(a, b)
    a, b = (_json(capsys, ["unlearn-stability"] + f + base)
            for f in ([str(u / "rb.npz"), str(u / "fb.npz"), "--space", "parameter"], [str(u / "joint_b.npz")]))
    assert a["input"]["k"] == b["input"]["k"] == 2
    _same(a, b)


def test_unlearn_exact_lyapunov_in_every_space(unlearn_files, capsys):
    u = unlearn_files
    base = ["--lr", "0.5", "--batch", "2", "--alpha", "0.3"] + MC
    recs = [_json(capsys, ["unlearn-stability"] + f + base)
            for f in ([str(u / "rd.npy"), str(u / "fd.npy"), "--space", "parameter"], [str(u / "rd.npy"), str(u / "fd.npy")],
                      [str(u / "joint_d.npz")])]
    assert {r["lyapunov_method"] for r in recs} == {"exact"}
    for r in recs[1:]:
        _same(recs[0], r)


def test_unlearn_says_which_form_it_used(unlearn_files, capsys):
    u = unlearn_files
    base = ["--lr", "2.0", "--batch", "3", "--alpha", "0.1"] + MC
    _, out, _ = _run(capsys, ["unlearn-stability", str(u / "joint.npz")] + base)
    assert out.startswith("input: joint Gram matrix, n_retain=10, n_forget=6, k=1, rank r=10 (Gram space)\n")
    _, out, _ = _run(capsys, ["unlearn-stability", str(u / "r.npy"), str(u / "f.npy")] + base)
    assert out.startswith("input: retain factors (n, d) = (10, 40), forget factors (n, d) = (6, 40), computed in "
                          "Gram space (auto: n*k = 16 < d = 40), rank r=10\n")


def _bad(capsys, argv, *needles):
    code, out, err = _run(capsys, argv)
    assert code == 2 and out == "", (code, out, err)
    line = err.strip()
    assert "\n" not in line and "Traceback" not in line and line.startswith("rmtcheck "), err
    for needle in needles:
        assert needle in line, (needle, line)
    assert "allow_pickle" not in line
    return line


def test_bad_inputs_are_one_line_with_the_file_and_the_fix(tmp_path, capsys):
    t = tmp_path
    rng = np.random.default_rng(1)
    G = rng.standard_normal((6, 10)); K = G @ G.T
    st = ["stability", "--lr", "0.1", "--batch", "2"]
    cases = {
        "arr0.npz": (dict(arr_0=G), ["exactly one of", "arr_0", "numpy.savez"]),
        "both.npz": (dict(factors=G, gram=K), ["exactly one of"]),
        "k5.npz": (dict(gram=K, k=5), ["k=5 does not divide"]),
        "asym.npz": (dict(gram=K + np.triu(np.ones_like(K))), ["not symmetric"]),
        "neg.npz": (dict(gram=-K), ["not positive semi-definite"]),
        "nan.npz": (dict(gram=np.where(np.eye(6) > 0, np.nan, K)), ["NaN"]),
        "kvec.npz": (dict(gram=K, k=np.array([1, 2])), ["'k' must be a single integer"]),
        "k0.npz": (dict(gram=K, k=0), ["'k' must be >= 1"]),
    }
    for fname, (arrays, needles) in cases.items():
        np.savez(t / fname, **arrays)
        _bad(capsys, st[:1] + [str(t / fname)] + st[1:], f"FILE '{t / fname}'", *needles)
    (t / "empty.npy").write_bytes(b""); (t / "empty.npz").write_bytes(b"")
    for f in ("empty.npy", "empty.npz"):
        _bad(capsys, st[:1] + [str(t / f)] + st[1:], f"FILE '{t / f}'", "empty (0 bytes)", "numpy.save")
    np.save(t / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.savez(t / "obj.npz", factors=np.array([[1.0, "x"]], dtype=object))
    for f in ("obj.npy", "obj.npz"):
        _bad(capsys, st[:1] + [str(t / f)] + st[1:], f"FILE '{t / f}'", "pickled object array", "never unpickles")
    np.save(t / "g.npy", G)
    (t / "trunc.npy").write_bytes((t / "g.npy").read_bytes()[:150])
    (t / "text.npy").write_text("1 2 3\n")
    _bad(capsys, st[:1] + [str(t / "trunc.npy")] + st[1:], "not a readable .npy file")
    _bad(capsys, st[:1] + [str(t / "text.npy")] + st[1:], "neither a NumPy .npy nor a .npz file")
    _bad(capsys, st[:1] + [str(t / "missing.npy")] + st[1:], "no such file")
    np.save(t / "stack.npy", np.stack([np.eye(3)] * 4))
    _bad(capsys, st[:1] + [str(t / "stack.npy")] + st[1:] + ["--space", "gram"], "needs factors or a Gram matrix")
    np.savez(t / "gram.npz", gram=K)
    _bad(capsys, st[:1] + [str(t / "gram.npz")] + st[1:] + ["--space", "parameter"], "no parameter coordinates")


def test_bad_unlearning_inputs(tmp_path, capsys):
    t = tmp_path
    rng = np.random.default_rng(2)
    R, F = rng.standard_normal((6, 12)), rng.standard_normal((4, 12))
    X = np.vstack([R, F])
    ul = ["--lr", "0.1", "--batch", "2", "--alpha", "0.2"]
    np.savez(t / "nonr.npz", gram=X @ X.T)
    _bad(capsys, ["unlearn-stability", str(t / "nonr.npz")] + ul, f"RETAIN '{t / 'nonr.npz'}'", "holds no n_retain")
    for n_r, needle in ((10, "n_retain=10 is out of range"), (0, "'n_retain' must be >= 1")):
        np.savez(t / f"nr{n_r}.npz", gram=X @ X.T, n_retain=n_r)
        _bad(capsys, ["unlearn-stability", str(t / f"nr{n_r}.npz")] + ul, needle)
    np.save(t / "r.npy", R); np.save(t / "f_other_d.npy", rng.standard_normal((4, 9)))
    _bad(capsys, ["unlearn-stability", str(t / "r.npy"), str(t / "f_other_d.npy")] + ul,
         "RETAIN", "FORGET", "d=12", "d=9", "same model")
    np.savez(t / "r2.npz", factors=rng.standard_normal((3, 12, 2))); np.savez(t / "f3.npz", factors=rng.standard_normal((3, 12, 3)))
    _bad(capsys, ["unlearn-stability", str(t / "r2.npz"), str(t / "f3.npz")] + ul, "k=2", "k=3")
    np.savez(t / "joint.npz", gram=X @ X.T, n_retain=6)
    _bad(capsys, ["unlearn-stability", str(t / "joint.npz"), str(t / "r.npy")] + ul, "lack the retain-forget cross block")
    (t / "empty.npy").write_bytes(b"")
    _bad(capsys, ["unlearn-stability", str(t / "r.npy"), str(t / "empty.npy")] + ul, "FORGET", "empty (0 bytes)")
