"""Every SymPy derivation in ``proofs/`` (installed as ``rmtcheck.proofs``) runs and asserts its steps."""

import importlib
import pkgutil

import pytest

import rmtcheck.proofs as proofs

MODULES = sorted(m.name for m in pkgutil.iter_modules(proofs.__path__) if not m.name.startswith("_"))


def test_all_core_proofs_present():
    assert {"sgd_operator", "dexter_theorem1", "dexter_theorem2", "dexter_sandwich", "dexter_gd_criterion", "dexter_certificate", "gram_space"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_proof(name):
    importlib.import_module(f"rmtcheck.proofs.{name}").check()


def test_thresholds_are_lambdified_from_the_proofs():
    import sympy as sp

    from rmtcheck.proofs import dexter_theorem2 as theorem2
    from rmtcheck.stability import thresholds as th

    assert sp.simplify(th.expression("theorem2_lr") - theorem2.derive()["critical_lr"]) == 0
    assert th.theorem1_ratio_mp(0.5, 2, 3, 100, 10) == 1  # exact at 50 digits
