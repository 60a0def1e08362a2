"""run_seeds on worker processes returns the numbers of the inline run (the seeds' runs are deterministic)."""

import numpy as np
import pytest

from rmtcheck.studies.spectral.evaluation import run_evaluation
from rmtcheck.studies.spectral.seeds import paired_verdict, run_seeds, seed_table

pytest.importorskip("sklearn", reason="the digits data need the 'data' extra (installed in CI)")

KW = dict(hidden=(8,), epochs=1, max_passes=1, ft_epochs=1, regimes=("random", "class"), methods=("none", "agu", "sragu"))


def test_jobs_do_not_change_the_results():
    inline, pooled = run_seeds(2, 7, jobs=1, **KW), run_seeds(2, 7, jobs=2, **KW)
    keys = ("kl_gold_unlearned", "disagreement", "test_acc", "mia_auc", "mia_gap", "forget_acc")
    for a, b in zip(inline, pooled):
        assert [r["method"] for r in a["records"]] == [r["method"] for r in b["records"]]
        assert all(ra[k] == rb[k] for ra, rb in zip(a["records"], b["records"]) for k in keys)
        assert all(a["gold"][g]["test_acc"] == b["gold"][g]["test_acc"] for g in a["gold"])
        assert all(isinstance(v, float) for v in b["alphas"])  # NaN (a failed tail fit) stays NaN, not None
        assert np.array_equal(a["alphas"], np.asarray(b["alphas"]), equal_nan=True)
    assert seed_table(inline) == seed_table(pooled) and paired_verdict(inline) == paired_verdict(pooled)
    # and each seed is run_evaluation at the spawned seed, run independently here
    first = int(np.random.SeedSequence(7).spawn(2)[0].generate_state(1)[0])
    ref = run_evaluation(seed=first, **KW)
    assert [r["kl_gold_unlearned"] for r in ref["records"]] == [r["kl_gold_unlearned"] for r in pooled[0]["records"]]
    with pytest.raises(ValueError, match="jobs"):
        run_seeds(2, 7, jobs=0, **KW)
