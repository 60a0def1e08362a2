"""`rmtcheck figures`: registry pick-up, deterministic bytes, CSV data, manifest, progress bar, errors."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from rmtcheck.cli import main
from rmtcheck.plotting import registry as R
from rmtcheck.plotting.catalog import figures
from rmtcheck.plotting.manifest import Progress, generate, load_manifest, package_versions

CHEAP_REAL = "unlearning-alignment"  # about 1 s with --quick


@pytest.fixture
def tiny_figure():
    """A registered test figure (removed afterwards): the pipeline must pick up any @figure."""

    @R.figure("zz-test-tiny", params={"points": 5})
    def tiny(out_dir, quick=False, seed=0, scale=2.0):
        """A tiny test figure: a seeded random walk."""
        g = np.random.default_rng(seed)
        y = np.cumsum(g.standard_normal(5 if quick else 9)) * scale
        R.record_params(length=int(y.size))
        with R.style() as plt:
            fig, ax = plt.subplots(figsize=(3.25, 2.0))
            ax.plot(y, "o-", label="walk")
            ax.set_title(r"$\sigma$ test α")
            ax.legend()
            return R.save_figure(fig, out_dir, "zz-test-tiny", {"y": y, "n": np.int64(y.size), "ok": np.array([True, False])})

    @R.figure("zz-test-broken")
    def broken(out_dir, quick=False, seed=0):
        raise RuntimeError("deliberately broken")

    figures()  # make sure the package's own modules are imported before the test registers
    yield "zz-test-tiny"
    R.FIGURES.pop("zz-test-tiny", None)
    R.FIGURES.pop("zz-test-broken", None)


def _bytes(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_list_includes_every_registered_figure(tiny_figure, capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert tiny_figure in names and "dexter-hessian-test" in names
    assert set(names) == set(figures())
    assert "A tiny test figure" in out


def test_determinism_same_seed_identical_bytes(tiny_figure, tmp_path, monkeypatch):
    """Same figure twice (relative --out, so the recorded command is identical): identical PNG, PDF, NPZ,
    CSV and manifest bytes; a different seed changes the data."""
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        monkeypatch.chdir(tmp_path / sub)
        assert main(["figures", "--only", tiny_figure, "--only", CHEAP_REAL, "--quick", "--out", "figs",
                     "--no-progress"]) == 0
    a, b = _bytes(tmp_path / "a" / "figs"), _bytes(tmp_path / "b" / "figs")
    expected = {f"{n}.{e}" for n in (tiny_figure, CHEAP_REAL) for e in ("png", "pdf", "npz", "csv")} | {"manifest.json"}
    assert set(a) == expected
    for name in sorted(a):
        assert a[name] == b[name], f"{name} differs between two identical runs"
    assert b"CreationDate" not in a[f"{CHEAP_REAL}.pdf"] and b"ModDate" not in a[f"{CHEAP_REAL}.pdf"]
    monkeypatch.chdir(tmp_path / "a")
    assert main(["figures", "--only", tiny_figure, "--quick", "--out", "seed1", "--seed", "1", "--no-progress"]) == 0
    assert (tmp_path / "a" / "seed1" / f"{tiny_figure}.npz").read_bytes() != a[f"{tiny_figure}.npz"]


def test_manifest_records_command_params_versions_and_hashes(tiny_figure, tmp_path):
    out = tmp_path / "figs"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"format": 1, "figures": {"kept": {"command": "x"}}}))
    runs = generate([tiny_figure], out, quick=True, seed=3, progress=False)
    assert runs[0].error is None
    text = (out / "manifest.json").read_text()
    m = json.loads(text)
    assert text == json.dumps(m, indent=1, sort_keys=True) + "\n"  # sorted keys, stable layout
    assert "kept" in m["figures"]  # --only updates its entries and keeps the others
    e = m["figures"][tiny_figure]
    assert e["command"] == f"rmtcheck figures --only {tiny_figure} --seed 3 --quick --out {out.as_posix()}"
    assert e["seed"] == 3 and e["quick"] is True
    # defaults from the signature, static params from @figure, recorded params from the run
    assert e["parameters"] == {"quick": True, "seed": 3, "scale": 2.0, "points": 5, "length": 5}
    assert set(e["versions"]) == {"rmtcheck", "numpy", "scipy", "matplotlib", "sympy"}
    assert e["versions"] == package_versions()
    assert e["description"] == "A tiny test figure: a seeded random walk."
    assert e["data"] == [f"{tiny_figure}.csv", f"{tiny_figure}.npz"]
    assert sorted(e["files"]) == sorted(f"{tiny_figure}.{x}" for x in ("csv", "npz", "pdf", "png"))
    for name, digest in e["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    for word in ("time", "date", "seconds", "host"):
        assert word not in json.dumps(e).lower().replace("timestamp", "")


def test_csv_round_trips_the_npz_data(tmp_path):
    data = {"grid": np.arange(6.0).reshape(2, 3) / 7, "flag": np.array([True, False]), "n": np.int64(4),
            "edge": np.array([np.nan, np.inf, -1e-300]), "label": np.array("a,b")}
    p = R.write_csv(tmp_path / "d.csv", data)
    rows = list(csv.reader(io.StringIO(p.read_text())))
    assert rows[0] == ["array", "i0", "i1", "value"]
    got: dict[str, dict] = {}
    for name, i0, i1, v in rows[1:]:
        got.setdefault(name, {})[tuple(int(i) for i in (i0, i1) if i)] = v
    assert [k for k in got] == sorted(data)
    g = np.zeros((2, 3))
    for idx, v in got["grid"].items():
        g[idx] = float(v)
    assert np.array_equal(g, data["grid"])  # shortest round-trip repr: exact
    assert got["flag"] == {(0,): "1", (1,): "0"}
    assert got["n"] == {(): "4"} and got["label"] == {(): "a,b"}
    e = [float(got["edge"][(k,)]) for k in range(3)]
    assert np.isnan(e[0]) and e[1] == np.inf and e[2] == -1e-300
    assert R.write_csv(tmp_path / "e.csv", data).read_bytes() == p.read_bytes()


def test_failing_figure_reported_others_still_written(tiny_figure, tmp_path, capsys):
    status = main(["figures", "--only", "zz-test-broken", "--only", tiny_figure, "--out", str(tmp_path),
                   "--quick", "--no-progress"])
    assert status == 1
    out = capsys.readouterr().out
    assert "zz-test-broken: FAILED (RuntimeError: deliberately broken)" in out
    assert (tmp_path / f"{tiny_figure}.png").is_file()
    assert list(load_manifest(tmp_path)["figures"]) == [tiny_figure]


def test_unknown_figure_is_a_clean_error(capsys, tmp_path):
    assert main(["figures", "--only", "no-such-figure", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no-such-figure" in err and "rmtcheck figures --list" in err and "Traceback" not in err


def test_progress_bar_tty_aware():
    class Stream(io.StringIO):
        def __init__(self, tty):
            super().__init__()
            self._tty = tty

        def isatty(self):
            return self._tty

    log = Stream(False)
    p = Progress(2, stream=log)
    for name in ("a", "b"):
        p.start(name)
        p.step(name)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("[" + "#" * 12 + "-" * 12 + "] 1/2 a") and "\r" not in log.getvalue()
    tty = Stream(True)
    p = Progress(2, stream=tty)
    p.start("a")
    p.step("a")
    assert tty.getvalue().count("\r") == 2 and not tty.getvalue().endswith("\n")
    p.step("b")
    assert tty.getvalue().endswith("\n") and "2/2 b" in tty.getvalue()
    quiet = Stream(False)
    Progress(1, stream=quiet, enabled=False).step("x")
    assert quiet.getvalue() == ""


def test_style_sheet_is_packaged_and_applied():
    assert R.style_path().is_file() and R.style_path().suffix == ".mplstyle"
    with R.style() as plt:
        rc = plt.rcParams
        assert [c.lower() for c in rc["axes.prop_cycle"].by_key()["color"][:3]] == ["#0072b2", "#d55e00", "#009e73"]
        assert rc["savefig.dpi"] == 200 and rc["pdf.fonttype"] == 42 and rc["svg.hashsalt"] == "rmtcheck"
        assert tuple(rc["figure.figsize"]) == (6.5, 2.6)


def test_large_data_npz_only_and_stale_csv_removed(tiny_figure, tmp_path, monkeypatch):
    generate([tiny_figure], tmp_path, quick=True, progress=False)
    assert (tmp_path / f"{tiny_figure}.csv").is_file()
    (tmp_path / "unrelated.csv").write_text("keep me")
    monkeypatch.setattr(R, "CSV_MAX_ELEMENTS", 3)  # the data (5 + 1 + 2 values) now exceed the CSV limit
    generate([tiny_figure], tmp_path, quick=True, progress=False)
    assert not (tmp_path / f"{tiny_figure}.csv").exists() and (tmp_path / f"{tiny_figure}.npz").is_file()
    assert load_manifest(tmp_path)["figures"][tiny_figure]["data"] == [f"{tiny_figure}.npz"]
    assert (tmp_path / "unrelated.csv").read_text() == "keep me"


def test_large_flag_reaches_only_figures_that_have_a_larger_grid(tmp_path):
    seen = {}

    @R.figure("zz-test-sized")
    def sized(out_dir, quick=False, seed=0, large=False):
        """A test figure with a larger grid."""
        seen["large"] = large
        with R.style() as plt:
            fig, ax = plt.subplots(figsize=(3.25, 2))
            ax.plot([0, 1 + large])
            return R.save_figure(fig, out_dir, "zz-test-sized", {"large": np.array(large)})

    try:
        runs = generate(["zz-test-sized", CHEAP_REAL], tmp_path, quick=True, progress=False, large=True)
        assert all(r.error is None for r in runs), [r.error for r in runs]  # the other figure ignores it
        assert seen["large"] is True
        m = load_manifest(tmp_path)["figures"]
        assert " --large" in m["zz-test-sized"]["command"] and m["zz-test-sized"]["parameters"]["large"]
        assert "--large" not in m[CHEAP_REAL]["command"]
    finally:
        R.FIGURES.pop("zz-test-sized", None)


def test_figures_jobs_and_store_give_the_same_bytes_and_resume(tmp_path):
    """`rmtcheck figures --jobs 2 --store S` runs the heatmap cells on the sweep engine: same data, cells kept."""
    from rmtcheck.sweep import ResultStore

    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["figures", "--only", CHEAP_REAL, "--quick", "--out", str(a), "--no-progress"]) == 0
    store = tmp_path / "cells.sqlite"
    assert main(["figures", "--only", CHEAP_REAL, "--quick", "--out", str(b), "--no-progress",
                     "--jobs", "2", "--store", str(store)]) == 0
    assert (a / f"{CHEAP_REAL}.npz").read_bytes() == (b / f"{CHEAP_REAL}.npz").read_bytes()
    with ResultStore(store) as st:
        assert st.count("unlearning-alignment") > 0
