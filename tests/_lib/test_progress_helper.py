"""``rmtcheck._lib.progress``: stage lines off a terminal, a bar on one, nothing when quiet; held lines; memory."""

from __future__ import annotations

import io
import time

import pytest

from rmtcheck._lib import progress as pg


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_lines_off_a_terminal():
    buf = io.StringIO()
    with pg.Progress("cmd", total=2, stream=buf) as p:
        p.stage("one")
        p.stage("two")
        assert buf.getvalue() == ""  # held for the first second
    lines = buf.getvalue().splitlines()
    assert [ln.split("] ")[1] for ln in lines] == ["1/2 one", "2/2 two", "done"]
    assert all(ln.startswith("cmd [") and " s]" in ln for ln in lines)


def test_quiet_writes_nothing():
    for stream in (io.StringIO(), _Tty()):
        with pg.Progress("cmd", total=1, quiet=True, stream=stream) as p:
            p.stage("one")
            p.note("estimate", now=True)
        assert stream.getvalue() == ""


def test_a_quick_value_error_drops_the_held_lines_other_errors_keep_them():
    buf = io.StringIO()
    with pytest.raises(ValueError):
        with pg.Progress("cmd", stream=buf) as p:
            p.stage("one")
            raise ValueError("bad input")
    assert buf.getvalue() == ""
    with pytest.raises(RuntimeError):
        with pg.Progress("cmd", stream=buf) as p:
            p.stage("one")
            raise RuntimeError("bug")
    assert "one" in buf.getvalue()


def test_held_lines_are_flushed_by_the_timer_and_by_note_now():
    buf = io.StringIO()
    with pg.Progress("cmd", stream=buf, hold=0.05) as p:
        p.stage("long stage")
        deadline = time.monotonic() + 5
        while "long stage" not in buf.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "long stage" in buf.getvalue()  # announced while it runs
    buf = io.StringIO()
    with pg.Progress("cmd", stream=buf) as p:
        p.stage("a")
        p.note("estimate ~1 GB", now=True)
        assert buf.getvalue().splitlines()[1] == "cmd: estimate ~1 GB"


def test_bar_on_a_terminal():
    tty = _Tty()
    with pg.Progress("cmd", total=4, stream=tty) as p:
        p.stage("one")
        assert tty.getvalue().startswith("\r\033[Kcmd: [------------------------] 0/4 one ...")
        p.stage("two " + "x" * 500)
        assert len(tty.getvalue().split("\r\033[K")[-1]) < 300  # cut to the terminal's width
    assert tty.getvalue().endswith("[########################] 4/4 done  0.0 s\n")
    tty = _Tty()
    with pytest.raises(ValueError):
        with pg.Progress("cmd", total=4, stream=tty) as p:
            p.stage("one")
            raise ValueError("x")
    assert tty.getvalue().endswith("\r\033[K")  # the bar is cleared for the error line


def test_memory_guard(monkeypatch):
    assert pg.available_memory() is None or pg.available_memory() > 0
    monkeypatch.setattr(pg, "available_memory", lambda: 2 ** 30)
    pg.memory_guard(2 ** 29, "x", force=False)
    with pytest.raises(ValueError, match=r"2\.0 GB \(dim 9\) exceeds the 1\.0 GB .* pass --force"):
        pg.memory_guard(2 ** 31, "dim 9", force=False)
    pg.memory_guard(2 ** 31, "dim 9", force=True)
    assert pg.format_seconds(150) == "2.5 min" and pg.format_bytes(1536) == "1.5 KB"
