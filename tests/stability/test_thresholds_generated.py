"""The printed threshold module is what the SymPy derivations print today (a proof changed without
regenerating it fails here), and its functions agree with SymPy's own evaluation of each expression."""

from pathlib import Path

import mpmath
import numpy as np
import sympy as sp

from rmtcheck.stability import _thresholds_generated as gen
from rmtcheck.stability import thresholds as th


def test_the_printed_module_is_regenerated_byte_for_byte():
    path = Path(gen.__file__)
    assert path.read_text(encoding="utf-8") == th.generated_source() + "\n", \
        "run `python -m rmtcheck.stability.thresholds` to regenerate rmtcheck/stability/_thresholds_generated.py"


def test_printed_functions_equal_sympy_evaluation():
    rng = np.random.default_rng(0)
    for name in gen.ARGS:
        expr = th.expression(name)
        for _ in range(20):
            vals = {"eta": rng.uniform(0.01, 2), "lambda": rng.uniform(0.1, 5), "sigma": rng.uniform(1, 50),
                    "n": float(rng.integers(60, 200)), "B": float(rng.integers(1, 50))}
            want = float(expr.subs({s: sp.Float(vals[str(s)], 30) for s in expr.free_symbols}).evalf(30))
            kw = {("lam" if k == "lambda" else k): v for k, v in vals.items()}
            got = gen.NUMPY[name](*[kw[a] for a in gen.ARGS[name]])
            with mpmath.workdps(40):
                got_mp = gen.MPMATH[name](*[mpmath.mpf(kw[a]) for a in gen.ARGS[name]])
            assert abs(got - want) <= 1e-13 * abs(want), name
            assert abs(float(got_mp) - want) <= 1e-15 * abs(want), name


def test_the_printed_text_is_the_str_of_each_expression():
    assert set(gen.TEXT) == set(gen.ARGS)
    for name in gen.ARGS:
        assert th.expression_text(name) == str(th.expression(name)), name


def test_evaluating_a_threshold_does_not_import_sympy():
    import subprocess
    import sys

    code = ("import sys; from rmtcheck.stability import thresholds as th; th.theorem2_lr(2.0, 3, 10, 2); "
            "th.theorem1_ratio_mp(0.5, 2, 3, 10, 2); th.expression_text('gd_lr'); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
