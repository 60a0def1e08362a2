"""One quick preset per grid: `rmtcheck figures --quick` and `rmtcheck sweep run NAME --quick` compute the
same cells (they used to be typed twice and could drift apart)."""

import pytest

from rmtcheck.studies.chang_khanna import experiments as ck
from rmtcheck.studies.dexter import experiments as dx
from rmtcheck.sweep import get_sweep


class _Stop(Exception):
    pass


def _cells_sent(monkeypatch, module, call):
    seen = {}

    def fake_run_sweep(name, fn, cells, **kw):
        seen["cells"] = cells
        raise _Stop

    monkeypatch.setattr(module, "run_sweep", fake_run_sweep)
    with pytest.raises(_Stop):
        call()
    return seen["cells"]


@pytest.mark.parametrize(("sweep", "grid"), [
    ("unlearning-hessian-test", lambda: ck.hessian_test_grid(quick=True)),
    ("unlearning-batch-alpha", lambda: ck.batch_alpha_grid(quick=True)),
    ("unlearning-alignment", lambda: ck.alignment_curve(quick=True)),
])
def test_chang_khanna_figure_and_sweep_quick_grids_agree(monkeypatch, sweep, grid):
    sent = _cells_sent(monkeypatch, ck, grid)
    assert sent == get_sweep(sweep).cells(quick=True)
    assert len(sent) < len(get_sweep(sweep).cells())  # and it is a smaller grid


def test_dexter_figure_and_sweep_quick_grids_agree(monkeypatch):
    sent = _cells_sent(monkeypatch, dx, lambda: dx.hessian_test_grid(quick=True))
    assert sent == get_sweep("dexter-hessian-test").cells(quick=True)
    assert [c["B"] for c in sent] == list(range(1, 50, 4))
