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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


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
