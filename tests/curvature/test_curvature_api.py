"""The curated lazy API of ``rmtcheck.curvature``: every name resolves, and importing it loads no torch."""

import subprocess
import sys

import rmtcheck.curvature


def test_every_public_name_resolves():
    assert rmtcheck.curvature.__all__
    for name in rmtcheck.curvature.__all__:
        assert getattr(rmtcheck.curvature, name) is not None, name
    assert set(rmtcheck.curvature.__all__) <= set(dir(rmtcheck.curvature))


def test_importing_the_unit_and_its_numpy_parts_loads_no_torch():
    code = ("import sys, rmtcheck.curvature as c; c.gauss_newton_factors; c.load_state_dict; c.torch_curvature; "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith(('torch.', 'safetensors'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
