"""Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry" [dexter2024].

* :mod:`.constructions` — Theorem 2's family (the construction that attains the bound);
* :mod:`.experiments` — the Hessian-test grid of Fig. 1 (exact rows, Monte Carlo cells, sweep cells);
* :mod:`.statements` — the ``dexter.*`` rows of ``rmtcheck verify``;
* :mod:`.figures` — ``dexter-hessian-test``.

The thresholds come from the SymPy derivations ``proofs/dexter_*.py`` through
:mod:`rmtcheck.stability.thresholds`; the Hessian-test family itself is
:func:`rmtcheck.randmat.families.dexter_construction` (Chang & Khanna reuse it).
"""

#: Sweeps of this study: (name, "module:cells", "module:cell", description), modules relative to it.
SWEEPS = (
    ('dexter-hessian-test', 'experiments:sweep_cells', 'experiments:hessian_test_row',
     'Dexter et al. (2024) Fig. 1 heatmap: one cell per batch size B (all sigma, both lrs)'),
)
