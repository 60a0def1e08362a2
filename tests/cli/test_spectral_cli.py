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
    from rmtcheck.verify import registry, run_all

    ids = [k for k in registry() if k.startswith("spectral.")]
    assert len(ids) >= 15
    res = run_all(["spectral"])
    for r in res:
        if r.claimed and r.method in ("exact", "symbolic"):
            assert r.verdict == "holds", (r.id, r.first_violation)
