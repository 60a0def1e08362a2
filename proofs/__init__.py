"""SymPy derivations, one module per statement (installed as :mod:`rmtcheck.proofs`).

Every module defines ``derive()`` (returns the derived expressions, asserting each step) and
``check()`` (runs ``derive`` and every assertion; collected by ``tests/test_proofs.py``), and runs
``check()`` when executed as a script: ``python -m rmtcheck.proofs.theorem2``.
"""
