"""The BLAS thread policy of the hot paths (issue 17): it only lowers the thread count, restores it on exit (also
after an error), decides once per outermost block, and leaves the numbers unchanged."""

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

from rmtcheck._lib import threads  # noqa: E402
from rmtcheck.stability import HessianFamily, ms_growth  # noqa: E402


def _blas_threads():
    return sorted({i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"})


def test_policy_is_at_least_one_and_at_most_the_cores():
    assert 1 <= threads.policy_threads() <= threads._cores()
    assert threads.busy_elsewhere() >= 0


def test_forced_threads_apply_inside_and_are_restored_after_an_error():
    before = _blas_threads()
    with pytest.raises(RuntimeError), threads.force_blas_threads(1), threads.blas_policy():
        assert _blas_threads() == [1]
        with threads.blas_policy():  # nested: no second decision
            assert _blas_threads() == [1]
        raise RuntimeError
    assert _blas_threads() == before
    assert threads._FORCED is None


def test_policy_never_raises_a_limit_the_caller_set():
    with threadpoolctl.threadpool_limits(1, user_api="blas"), threads.blas_policy():
        assert _blas_threads() == [1]


def test_numbers_do_not_depend_on_the_thread_count():
    G = np.random.default_rng(0).standard_normal((300, 40)) / np.sqrt(40)
    fam = HessianFamily.from_factors(G)
    lr = 1.0 / fam.lambda_max
    with threads.force_blas_threads(1):
        one = ms_growth(fam, lr, 8)
    with threads.force_blas_threads(2):
        two = ms_growth(fam, lr, 8)
    assert one == pytest.approx(two, rel=1e-12)


def test_low_rank_dense_family_matches_its_factors():
    G = np.random.default_rng(1).standard_normal((30, 40)) / np.sqrt(40)
    dense, fac = HessianFamily.from_stack(G[:, :, None] * G[:, None, :]), HessianFamily.from_factors(G)
    lr = 1.0 / fac.lambda_max
    assert ms_growth(dense, lr, 4) == pytest.approx(ms_growth(fac, lr, 4), rel=1e-10)


def test_worker_limit_covers_a_blas_loaded_afterwards():
    """A pool worker limits its threads once; SciPy's own OpenBLAS, loaded by the first ``scipy.linalg`` import
    after that, must also run on one thread (it reads the environment when it loads)."""
    import os
    import subprocess
    import sys

    code = ("import os, sys, numpy; from rmtcheck._lib.threads import limit_threads_globally; "
            "assert 'scipy.linalg' not in sys.modules; limit_threads_globally(); import scipy.linalg; "
            "from threadpoolctl import threadpool_info; "
            "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[1]", out.stdout


def test_single_blas_thread_covers_a_blas_loaded_after_its_first_use():
    """``single_blas_thread`` reuses a cached thread-pool controller: a BLAS loaded after its first use (SciPy's
    own, on the first ``scipy.linalg`` import) must be limited too."""
    import os
    import subprocess
    import sys

    code = ("import sys, numpy; from rmtcheck._lib.threads import single_blas_thread; "
            "assert 'scipy.linalg' not in sys.modules\n"
            "with single_blas_thread(): pass\n"
            "import scipy.linalg; from threadpoolctl import threadpool_info\n"
            "with single_blas_thread(): print(sorted({i['num_threads'] for i in threadpool_info() "
            "if i['user_api'] == 'blas'}))")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[1]", out.stdout
