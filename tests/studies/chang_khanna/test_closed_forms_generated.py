"""The printed tightness factors are what ``proofs/chang_khanna_tightness.py`` derives today (a proof changed
without regenerating them fails here), they equal SymPy's own lambdified expressions bit for bit, and using them
imports no SymPy."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import sympy as sp

from rmtcheck.proofs import chang_khanna_tightness as P
from rmtcheck.proofs._common import B, eta
from rmtcheck.studies.chang_khanna import _closed_forms_generated as gen
from rmtcheck.studies.chang_khanna import constructions as C


def test_the_printed_module_is_regenerated_byte_for_byte():
    path = Path(gen.__file__)
    assert path.read_text(encoding="utf-8") == C.closed_forms_source() + "\n", \
        "run `python -m rmtcheck.studies.chang_khanna.constructions` to regenerate _closed_forms_generated.py"


def test_printed_factors_equal_the_lambdified_derivation():
    d = P.derive()
    args = [eta, P.a, P.lr_, P.lf, P.nr, P.nf, P.sr, P.sf, B]
    rng = np.random.default_rng(0)
    x = [rng.uniform(0.01, 3.0, 500) for _ in range(4)] + [rng.integers(5, 200, 500).astype(float) for _ in range(2)] \
        + [rng.uniform(1.0, 50.0, 500) for _ in range(2)] + [rng.integers(1, 5, 500).astype(float)]
    for orthogonal, key in ((False, "aligned_factor"), (True, "orthogonal_factor")):
        want = sp.lambdify(args, d[key], "numpy")(*x)
        np.testing.assert_array_equal(C.tightness_factor(*x, orthogonal=orthogonal), want)


def test_the_factors_do_not_import_sympy():
    code = ("import sys; from rmtcheck.studies.chang_khanna.constructions import tightness_factor; "
            "tightness_factor(0.1, 0.5, 1.0, 2.0, 50, 10, 3.0, 2.0, 4); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
