"""``rmtcheck spectrum`` command and the verify rows of group ``spectral``."""

import json

import numpy as np
import pytest

from rmtcheck.cli import main

KEYS = ("alpha", "xmin", "ks_distance", "n_tail", "alpha_stderr", "flag", "stable_rank", "mp_edge", "n_spikes")


def test_spectrum_npz_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    f = tmp_path / "w.npz"
    np.savez(f, a=rng.standard_normal((200, 100)), bias=np.ones(4), t=rng.standard_t(1.2, (300, 120)))
    assert main(["spectrum", str(f), "--json", "--bootstrap", "20"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in recs] == ["a", "t"]
    for r in recs:
        assert all(k in r for k in KEYS)
    assert recs[1]["flag"] == "over-trained" and recs[1]["alpha"] < recs[0]["alpha"]


def test_spectrum_npy_table(tmp_path, capsys):
    f = tmp_path / "w.npy"
    np.save(f, np.random.default_rng(1).standard_normal((2, 120, 60)))
    assert main(["spectrum", str(f), "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "W[0]" in out and "W[1]" in out and "alpha" in out


@pytest.mark.parametrize("content", ["missing", "txt", "vector"])
def test_spectrum_errors(tmp_path, capsys, content):
    if content == "missing":
        f = tmp_path / "nope.npy"
    elif content == "txt":
        f = tmp_path / "w.txt"
        f.write_text("1 2 3")
    else:
        f = tmp_path / "v.npy"
        np.save(f, np.ones(5))
    assert main(["spectrum", str(f)]) == 2
    assert "error" in capsys.readouterr().err


def test_verify_rows_registered_and_claimed_hold():
    from rmtcheck.paper import saved_results
    from rmtcheck.verify import registry

    ids = [k for k in registry() if k.startswith("spectral.")]
    assert len(ids) >= 15
    res = saved_results(["spectral"])  # the CI run's verify results when $RMTCHECK_VERIFY_JSON names them
    for r in res:
        if r.claimed and r.method in ("exact", "symbolic"):
            assert r.verdict == "holds", (r.id, r.first_violation)


def _checkpoint(rng):
    return {"conv.weight": rng.standard_normal((64, 32, 3, 3)).astype(np.float32),
            "fc.weight": rng.standard_normal((120, 60)).astype(np.float32), "fc.bias": np.zeros(120, np.float32),
            "tiny.weight": rng.standard_normal((5, 4)).astype(np.float32)}


@pytest.mark.parametrize("fmt", ["safetensors", "pt", "npz"])
def test_spectrum_reads_checkpoints_with_weightwatcher_layers_and_columns(tmp_path, capsys, fmt):
    sd = _checkpoint(np.random.default_rng(7))
    f = tmp_path / f"model.{fmt}"
    if fmt == "safetensors":
        from rmtcheck.curvature import write_safetensors

        write_safetensors(f, sd)
    elif fmt == "pt":
        torch = pytest.importorskip("torch", reason="the .pt path needs torch (the 'torch' extra; CI installs it)")
        torch.save({k: torch.from_numpy(v) for k, v in sd.items()}, f)
    else:
        np.savez(f, **sd)
    assert main(["spectrum", str(f), "--json", "--summary", "--bootstrap", "0"]) == 0
    out = json.loads(capsys.readouterr().out)
    recs = {r["name"]: r for r in out["layers"]}
    assert set(recs) == {"conv.weight", "fc.weight", "tiny.weight"}
    conv = recs["conv.weight"]
    assert (conv["num_evals"], conv["rf"], conv["layer_type"]) == (32 * 9, 9, "conv2d")
    assert recs["tiny.weight"]["warning"] == "skipped" and "min_evals=10" in recs["tiny.weight"]["skipped"]
    for r in (conv, recs["fc.weight"]):
        assert r["D"] == r["ks_distance"] and r["sigma"] == r["alpha_stderr"] and r["num_pl_spikes"] == r["n_tail"]
    assert out["summary"]["n_layers"] == 3 and out["summary"]["n_skipped"] == 1
    # --conv flatten: one (64, 288) matrix, 64 eigenvalues
    assert main(["spectrum", str(f), "--json", "--bootstrap", "0", "--conv", "flatten"]) == 0
    flat = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert flat["conv.weight"]["num_evals"] == 64 and flat["conv.weight"]["rf"] == 1
    # the table lists the skipped layer and ends with the summary
    assert main(["spectrum", str(f), "--bootstrap", "0"]) == 0
    text = capsys.readouterr().out
    assert "skipped: only 4 eigenvalues" in text and "summary: 2 of 3 layers fitted" in text


def test_spectrum_refuses_a_bad_checkpoint_in_one_line(tmp_path, capsys):
    f = tmp_path / "broken.safetensors"
    f.write_bytes(b"\x00" * 3)
    assert main(["spectrum", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.safetensors" in err[0]
    assert main(["spectrum", str(tmp_path / "absent.pt")]) == 2
    assert "absent.pt" in capsys.readouterr().err


def test_spectrum_plot_writes_a_figure_per_fitted_layer_with_identical_bytes(tmp_path, capsys):
    sd = _checkpoint(np.random.default_rng(8))
    f = tmp_path / "model.npz"
    np.savez(f, **sd)
    for out in ("a", "b"):
        assert main(["spectrum", str(f), "--bootstrap", "0", "--plot", str(tmp_path / out)]) == 0
    err = capsys.readouterr().err
    assert "wrote 2 layer figures" in err
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(f"{stem}.{ext}" for stem in ("00-conv.weight", "01-fc.weight")
                           for ext in ("png", "pdf", "npz", "csv"))  # the skipped layer has no figure
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    data = np.load(tmp_path / "a" / "00-conv.weight.npz")
    assert data["eigenvalues"].size == 288 and float(data["alpha"]) > 1


def test_plot_layer_refuses_a_skipped_layer(tmp_path):
    from rmtcheck.plotting.layer_spectra import plot_layer
    from rmtcheck.randmat.spectral import diagnose

    skipped = diagnose(np.random.default_rng(0).standard_normal((6, 4)), bootstrap=0)
    with pytest.raises(ValueError, match="skipped"):
        plot_layer(skipped, tmp_path)
