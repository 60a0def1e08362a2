"""Shared test configuration: hypothesis profiles, the ``slow`` marker, state-resetting fixtures.

Profiles: ``dev`` (fast), ``ci`` (derandomised, selected automatically when ``CI=true``) and
``thorough`` (many examples); choose with ``HYPOTHESIS_PROFILE=thorough``.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=15, deadline=None)
settings.register_profile(
    "ci", max_examples=15, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=300, deadline=None)
_default = "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", _default)
settings.load_profile(_PROFILE)


def _pair_kernel_line() -> str:
    """The back end ``backend="auto"`` resolves to (``rmtcheck._lib.pair_kernels``: numba when importable)."""
    try:
        from rmtcheck._lib.pair_kernels import have_numba
    except Exception as exc:  # the header must never break the run
        return f"pair kernels: unknown ({type(exc).__name__}: {exc})"
    if have_numba():
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("numba")
        except PackageNotFoundError:
            v = "?"
        from rmtcheck._lib.pair_kernels import NUMBA_MIN_PAIRS, _jit_disabled

        if _jit_disabled():
            return f"pair kernels: numba {v} with NUMBA_DISABLE_JIT set (backend='auto' -> numpy)"
        return f"pair kernels: numba {v} (backend='auto' -> numba from {NUMBA_MIN_PAIRS} pairs, numpy below)"
    return "pair kernels: NumPy (numba not installed; backend='auto' -> numpy)"


def _blas_lines() -> list[str]:
    """numpy's BLAS as threadpoolctl sees it (the libraries loaded by numpy, else every BLAS loaded)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["numpy BLAS: unknown (threadpoolctl not installed)"]
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    own = [i for i in blas if "numpy" in str(i.get("filepath", "")).lower()]
    return [f"numpy BLAS: {i.get('internal_api')} {i.get('version')}, num_threads={i.get('num_threads')}"
            + (f", threading_layer={i['threading_layer']}" if i.get("threading_layer") else "")
            + f" ({i.get('filepath')})" for i in (own or blas)] or ["numpy BLAS: none found by threadpoolctl"]


def pytest_report_header(config):
    import scipy

    # the profile actually loaded: ours, unless hypothesis' own ``--hypothesis-profile`` replaced it
    name = getattr(settings, "_current_profile", None) or _PROFILE
    prof = settings.default
    return [
        _pair_kernel_line(),
        *_blas_lines(),
        f"numpy {np.__version__}, scipy {scipy.__version__}",
        f"hypothesis profile: {name} (max_examples={prof.max_examples}, derandomize={prof.derandomize}; "
        "choose with HYPOTHESIS_PROFILE=dev|ci|thorough)",
    ]


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _reset_global_state():
    """No test may leak numpy error settings or matplotlib figures into the next."""
    old = np.geterr()
    yield
    np.seterr(**old)
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
