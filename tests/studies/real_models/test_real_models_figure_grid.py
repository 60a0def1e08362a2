"""The real-models figures draw the verify rows' cells: the grid arrays against hand-built records, and the
figure's agreement against the verify row's own computation on the same instance."""

from __future__ import annotations

import numpy as np
import pytest

from rmtcheck.studies.real_models.figures import grid_arrays


def _rec(kind, alpha, obs, pred, quad, seeds, pb=None, qb=None, ob=None):
    return dict(kind=kind, alpha=alpha, lrs=[0.1, 0.2, 0.4], obs=obs, pred=pred, pred_quadratic=quad,
                obs_verdicts=seeds, pred_boundary=pb, pred_boundary_quadratic=qb, obs_boundary=ob)


def test_grid_arrays_code_verdicts_splits_and_agreement_by_hand():
    S, L, C = "stay", "leave", "collapse"
    recs = [_rec("random", 1.0, [S, L, C], [S, L, L], [S, S, S], [[S, S, S], [L, S, L], [C, C, C]], 0.15, 0.5, 0.2),
            _rec("random", 0.5, [S, S, L], [S, S, L], [S, L, L], [[S, S, S], [S, S, S], [L, L, C]]),
            _rec("class", 1.0, [S, S, S], [S, S, S], [S, S, S], [[S, S, S]] * 3),
            _rec("class", 0.5, [S, C, C], [S, S, C], [S, C, C], [[S, S, S], [C, S, C], [C, C, C]], 0.3, 0.2, 0.2)]
    d = grid_arrays(recs)
    assert d["kinds"].tolist() == ["random", "class"] and d["alphas"].tolist() == [1.0, 0.5]
    assert d["obs_code"][0, 0].tolist() == [0, 1, 2] and d["obs_code"][1, 1].tolist() == [0, 2, 2]
    assert d["seeds_split"][0, 0].tolist() == [0, 1, 0] and d["seeds_split"][0, 1].tolist() == [0, 0, 1]
    assert d["seeds_split"][1, 1].tolist() == [0, 1, 0] and d["seeds_split"][1, 0].sum() == 0
    # random: 5 of 6 cells agree; class: 5 of 6; all: 10 of 12; quadratic: 1+2 + 3 + 3 = 9 of 12
    np.testing.assert_allclose(d["agreement"], [5 / 6, 5 / 6])
    assert float(d["agreement_all"]) == pytest.approx(10 / 12)
    assert float(d["agreement_all_quadratic"]) == pytest.approx(9 / 12)
    assert d["pred_boundary"][0, 0] == 0.15 and np.isnan(d["pred_boundary"][0, 1])
    assert d["pred_boundary_quadratic"][1, 1] == 0.2 and d["obs_boundary"][0, 0] == 0.2


def test_figure_shows_the_cells_of_the_verify_rows(tmp_path):
    pytest.importorskip("sklearn")
    from rmtcheck.plotting import figures
    from rmtcheck.plotting.printed import check_printed
    from rmtcheck.studies.real_models import statements as S
    from rmtcheck.studies.real_models.figures import verification_cells
    from rmtcheck.verify.catalog import get

    row = get("real_models.agreement.breast_cancer")
    outcome = row.check(row.sample(np.random.default_rng(0)), np.random.default_rng(0))
    recs = verification_cells("breast_cancer")
    assert len(recs) == 3 * len(S._ALPHAS) and {r["n"] for r in recs} == {100} and {r["batch"] for r in recs} == {4}
    assert float(grid_arrays(recs)["agreement_all"]) == pytest.approx(outcome.tightness, abs=1e-12)
    paths = figures()["real-models-breast-cancer"](tmp_path)
    assert check_printed(next(p for p in paths if p.suffix == ".pdf")) == []
    saved = np.load(next(p for p in paths if p.suffix == ".npz"))
    assert float(saved["agreement_all"]) == pytest.approx(outcome.tightness, abs=1e-12)


def test_worker_processes_give_the_same_cells():
    pytest.importorskip("sklearn")
    from rmtcheck.studies.real_models.figures import verification_cells

    keys = ("kind", "alpha", "obs_verdicts", "obs", "pred", "pred_quadratic", "pred_boundary", "curve_forget_rise")
    from rmtcheck.studies.real_models import experiments as X
    from rmtcheck.studies.real_models import statements as S

    one = [{k: r[k] for k in keys} for r in verification_cells("breast_cancer", jobs=1)]
    S._group.cache_clear()  # forked workers would otherwise inherit the cached records
    X.trained_model.cache_clear()
    two = [{k: r[k] for k in keys} for r in verification_cells("breast_cancer", jobs=2)]
    assert S._group.cache_info().currsize == 0  # computed in the workers, not here
    assert one == two


def test_a_sweep_store_keeps_the_groups_and_reads_them_back(tmp_path):
    pytest.importorskip("sklearn")
    from rmtcheck.studies.real_models import experiments as X
    from rmtcheck.studies.real_models import statements as S
    from rmtcheck.studies.real_models.figures import verification_cells

    store = tmp_path / "cells.sqlite"
    first = verification_cells("breast_cancer", store=store)
    S._group.cache_clear()
    X.trained_model.cache_clear()
    again = verification_cells("breast_cancer", store=store)
    assert S._group.cache_info().misses == 0  # nothing recomputed: every group came from the store
    keys = ("kind", "alpha", "obs_verdicts", "pred", "pred_boundary", "curve_forget_rise")
    assert [{k: r[k] for k in keys} for r in first] == [{k: r[k] for k in keys} for r in again]
