"""The one JSON converter (its three policies) and the lazy imports behind a cheap `import rmtcheck`."""

import json
import subprocess
import sys

import numpy as np
import pytest

from rmtcheck._lib.jsonable import jsonable
from rmtcheck._lib.lazy import attach, lazy_module


def test_nonfinite_policies():
    x = {"a": np.array([1.0, np.nan, -np.inf]), "b": np.float32(0.5), 3: np.int64(7), "c": (True, np.bool_(False))}
    assert jsonable(x) == {"a": [1.0, None, "-inf"], "b": 0.5, "3": 7, "c": [True, False]}
    kept = jsonable(x, nonfinite="keep")
    assert np.isnan(kept["a"][1]) and kept["a"][2] == -np.inf
    with pytest.raises(ValueError):  # what canonical sweep keys rely on: non-finite values are refused
        json.dumps(kept, allow_nan=False)
    with pytest.raises(ValueError, match="nonfinite"):
        jsonable(1.0, nonfinite="drop")


def test_array_policy_and_fallback():
    big = np.zeros((9, 9))
    assert jsonable(big) == {"array_shape": [9, 9], "dtype": "float64"}
    assert jsonable(big, max_array=None) == big.tolist()
    assert jsonable(big, max_array=81) == big.tolist()
    assert jsonable(range(2, 9, 3)) == [2, 9, 3]
    obj = object()
    assert jsonable([obj]) == [obj]
    assert jsonable([obj], fallback=str) == [str(obj)]


def test_lazy_module_and_attach():
    special = lazy_module("math")
    assert special.sqrt(4.0) == 2.0
    getattr_, dir_, names = attach("rmtcheck.stability", {"sampling": ["SamplingModel"]})
    assert names == ["SamplingModel"]
    from rmtcheck.stability.sampling import SamplingModel
    assert getattr_("SamplingModel") is SamplingModel
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getattr_("nope")


HEAVY = ("scipy.stats", "scipy.integrate", "sympy", "matplotlib")


@pytest.mark.parametrize("code", [
    "import rmtcheck",
    "import rmtcheck.cli as c; c.build_parser()",
    "from rmtcheck.verify import registry; assert len(registry()) > 90",
])
def test_start_up_loads_no_heavy_module(code):
    probe = f"{code}; import sys; print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_curated_api_resolves_every_name():
    import rmtcheck
    import rmtcheck.randmat
    import rmtcheck.stability

    for mod in (rmtcheck, rmtcheck.stability, rmtcheck.randmat):
        for name in mod.__all__:
            assert getattr(mod, name) is not None, (mod.__name__, name)
