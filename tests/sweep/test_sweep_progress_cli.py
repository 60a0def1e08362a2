"""``rmtcheck sweep run`` reports progress on stderr: one line per cell (per percent on big grids) when
stderr is not a terminal, a bar on a terminal, nothing with ``--quiet``; ``--jobs`` beyond the cores
is capped with a notice."""

import io
import json
import re

import _sweep_proc_helpers as P
import pytest

from rmtcheck.cli import main
from rmtcheck.sweep import default_jobs

LINE = re.compile(rf"^{P.NAME}: (\d+)/(\d+) cells \(\s*[\d.]+%\), [\d.]+ s$")


@pytest.fixture
def proc_sweep(monkeypatch):
    monkeypatch.setenv(P.SLEEP_ENV, "0")
    P.register()
    yield
    P.unregister()


def _argv(tmp_path, *extra):
    return ["sweep", "run", P.NAME, "--jobs", "1", "--store", str(tmp_path / "p.sqlite"), *extra]


def test_one_progress_line_per_cell_when_not_a_terminal(tmp_path, capsys, monkeypatch, proc_sweep):
    monkeypatch.setenv(P.N_ENV, "7")
    assert main(_argv(tmp_path, "--json")) == 0
    out, err = capsys.readouterr()
    lines = [m.groups() for m in map(LINE.match, err.splitlines()) if m]
    assert lines == [(str(k), "7") for k in range(1, 8)], err
    assert json.loads(out)["computed"] == 7  # stdout stays machine-readable
    assert main(_argv(tmp_path)) == 0  # resumed: everything from the store, one line
    out, err = capsys.readouterr()
    assert [m.groups() for m in map(LINE.match, err.splitlines()) if m] == [("7", "7")]
    assert "7 from the store, 0 computed on 1 local process(es)" in out


def test_big_grids_report_per_percent(tmp_path, capsys, monkeypatch, proc_sweep):
    monkeypatch.setenv(P.N_ENV, "250")
    assert main(_argv(tmp_path, "--quiet", "--json")) == 0
    assert capsys.readouterr().err == ""  # --quiet: no progress at all
    assert main(["sweep", "run", P.NAME, "--jobs", "1", "--store", str(tmp_path / "q.sqlite")]) == 0
    done = [int(m.group(1)) for m in map(LINE.match, capsys.readouterr().err.splitlines()) if m]
    assert 90 <= len(done) <= 101 and done[-1] == 250 and done == sorted(done)


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_on_a_terminal(tmp_path, capsys, monkeypatch, proc_sweep):
    monkeypatch.setenv(P.N_ENV, "5")
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    assert main(_argv(tmp_path)) == 0
    err = tty.getvalue()
    assert "\r" + P.NAME + " [" in err and "5/5 (100.0%)" in err and err.endswith("\n")
    assert not LINE.search(err)


def test_jobs_notice_and_json_workers(tmp_path, capsys, monkeypatch, proc_sweep):
    monkeypatch.setenv(P.N_ENV, "3")
    cpus = default_jobs()
    assert main(["sweep", "run", P.NAME, "--jobs", str(cpus + 62), "--store", str(tmp_path / "j.sqlite"),
                 "--json", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and f"--jobs {cpus + 62} capped at {cpus}, the CPUs available" in err
    assert 1 <= json.loads(out)["workers"] <= cpus
