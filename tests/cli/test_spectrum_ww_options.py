"""``rmtcheck spectrum --xmax/--fix-fingers/--max-fingers/--xmin-max/--randomize``: WeightWatcher's options reach
the fit (checked against eigenvalues computed here with NumPy), the columns appear, bad values are refused in one
line naming the option."""

import json

import numpy as np
import pytest

from rmtcheck.cli import main
from rmtcheck.randmat.powerlaw import fit_powerlaw


def _matrix_with_esd(ev, N, seed=0):
    """An N x M matrix whose W^T W has exactly the eigenvalues ``ev`` (random orthogonal factors)."""
    g = np.random.default_rng(seed)
    M = ev.size
    U, _ = np.linalg.qr(g.standard_normal((N, M)))
    V, _ = np.linalg.qr(g.standard_normal((M, M)))
    return U @ np.diag(np.sqrt(ev)) @ V.T


def _run(capsys, path, *opts):
    assert main(["spectrum", str(path), "--json", "--bootstrap", "0", *opts]) == 0
    return json.loads(capsys.readouterr().out)


def test_xmax_leaves_the_top_eigenvalues_out(tmp_path, capsys):
    W = np.random.default_rng(1).standard_t(3.0, (300, 120))
    f = tmp_path / "w.npy"
    np.save(f, W)
    (rec,) = _run(capsys, f, "--xmax", "-3")
    ev = np.sort(np.linalg.eigvalsh(W.T @ W))
    assert rec["xmax"] == pytest.approx(ev[-4], rel=1e-10) and rec["n_clipped"] == 3
    assert rec["alpha"] == pytest.approx(fit_powerlaw(ev[:-3]).alpha, rel=1e-9)
    assert rec["num_pl_spikes"] == rec["n_tail"]
    (plain,) = _run(capsys, f)
    assert plain["xmax"] == pytest.approx(ev[-1], rel=1e-10) and plain["n_clipped"] == 0


def test_fix_fingers_clip_xmax_removes_the_planted_fingers(tmp_path, capsys):
    k = 4
    ev = np.concatenate([10 ** (np.arange(20) / 20), 1e8 * (1 + 1e-3) ** np.arange(k + 2)])
    f = tmp_path / "w.npz"
    np.savez(f, fc=_matrix_with_esd(ev, 60))
    (rec,) = _run(capsys, f, "--fix-fingers", "clip_xmax")
    assert rec["n_clipped"] == k and rec["num_fingers"] == k - 1 and rec["fix_fingers"] == "clip_xmax"
    assert rec["raw_alpha"] == pytest.approx(1 + 2 / ((k + 1) * np.log1p(1e-3)), rel=1e-5)
    assert rec["num_pl_spikes"] == rec["n_tail"] + k
    assert main(["spectrum", str(f), "--bootstrap", "0", "--fix-fingers", "clip_xmax", "--max-fingers", "4"]) == 0
    assert "fingers: 0 clipped" in capsys.readouterr().out  # 2 or 3 removed: the 4 fingers are out of reach


def test_fix_fingers_xmin_peak_and_randomize_columns_and_summary(tmp_path, capsys):
    g = np.random.default_rng(2)
    f = tmp_path / "w.npz"
    np.savez(f, a=g.standard_t(3.0, (300, 120)), b=g.standard_normal((200, 50)))
    out = _run(capsys, f, "--fix-fingers", "xmin_peak", "--randomize", "--summary", "--seed", "3")
    for rec in out["layers"]:
        assert rec["fix_fingers"] == "xmin_peak" and rec["num_fingers"] is None
        assert all(rec[k] is not None for k in ("rand_distance", "ww_softrank", "ww_maxdist", "max_rand_eval",
                                                 "rand_num_spikes", "rand_mp_softrank", "rand_W_scale"))
    assert out["summary"]["rand_distance"] == pytest.approx(np.mean([r["rand_distance"] for r in out["layers"]]))
    again = _run(capsys, f, "--fix-fingers", "xmin_peak", "--randomize", "--summary", "--seed", "3")
    assert again == out
    assert main(["spectrum", str(f), "--bootstrap", "0", "--randomize"]) == 0
    text = capsys.readouterr().out
    assert "randomized ESD (means): rand_distance" in text and "random: distance" in text


@pytest.mark.parametrize("opts, word", [
    (["--xmax", "0"], "--xmax"), (["--xmax", "abc"], "--xmax"), (["--fix-fingers", "peak"], "--fix-fingers"),
    (["--max-fingers", "2", "--fix-fingers", "clip_xmax"], "--max-fingers"), (["--max-fingers", "5"], "--max-fingers"),
    (["--xmin-max", "-1", "--fix-fingers", "xmin_peak"], "--xmin-max"), (["--xmin-max", "3"], "--xmin-max"),
    (["--xmax", "-2", "--fix-fingers", "clip_xmax"], "--xmax"),
])
def test_bad_values_are_one_line_errors(tmp_path, capsys, opts, word):
    f = tmp_path / "w.npy"
    np.save(f, np.random.default_rng(0).standard_normal((60, 30)))
    assert main(["spectrum", str(f), *opts]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error" in last and word in last


def test_xmax_too_large_for_a_layer_skips_it_with_the_reason(tmp_path, capsys):
    g = np.random.default_rng(0)
    f = tmp_path / "w.npz"
    np.savez(f, big=g.standard_normal((200, 100)), small=g.standard_normal((40, 20)))
    recs = _run(capsys, f, "--xmax", "-15")
    assert recs[0]["alpha"] is not None and recs[0]["n_clipped"] == 15
    assert recs[1]["flag"] == "skipped" and "more than half" in recs[1]["skipped"]


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["spectrum", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for word in ("--xmax K", "--fix-fingers", "xmin_peak", "clip_xmax", "--max-fingers", "--randomize", "--xmin-max"):
        assert word in text
