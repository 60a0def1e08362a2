"""SymPy derivations, one module per statement (installed as :mod:`rmtcheck.proofs`).

Modules are named by the paper group they belong to (BibTeX keys of ``paper/references.bib``):

* shared by every study: ``sgd_operator`` — the exact second-moment operator of linearised SGD and its
  coefficients :math:`(\\kappa, \\nu)` for the three batch models;
* [dexter2024]: ``dexter_theorem1``, ``dexter_theorem2``, ``dexter_sandwich``, ``dexter_certificate``,
  ``dexter_gd_criterion``;
* [changkhanna2026]: ``chang_khanna_dexter_conditions``, ``chang_khanna_noise``,
  ``chang_khanna_three_axis``, ``chang_khanna_tightness``;
* [mavrothalassitis2025]: ``ascent_alternating``, ``ascent_block``, ``ascent_correlated``;
* ``_common``: the shared SymPy symbols and the assertion helper.

A proof never imports the code it checks: these modules import SymPy (NumPy/SciPy in a few numeric
cross-checks) and each other (``rmtcheck.proofs.X``), nothing else of :mod:`rmtcheck`.

Every module defines ``derive()`` (returns the derived expressions, asserting each step) and
``check()`` (runs ``derive`` and every assertion; collected by ``tests/test_proofs.py``), and runs
``check()`` when executed as a script: ``python -m rmtcheck.proofs.dexter_theorem2``.
"""
