"""Chang & Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective" [changkhanna2026].

* :mod:`.constructions` — tightness construction, rotated forget families, Hessian-test unlearning;
* :mod:`.experiments` — the unlearning grids over (B, sigma), (B, alpha) and the rotation angle;
* :mod:`.statements` — the ``chang_khanna.*`` rows of ``rmtcheck verify``;
* :mod:`.figures` — ``unlearning-hessian-test``, ``unlearning-batch-alpha``, ``unlearning-alignment``.

The operators themselves (mixed recursion, three-axis coherence, critical alpha) are shared maths and
live in :mod:`rmtcheck.stability`.
"""

#: Sweeps of this study: (name, "module:cells", "module:cell", description), modules relative to it.
SWEEPS = (
    ('unlearning-hessian-test', 'experiments:hessian_test_cells', 'experiments:unlearning_cell',
     'Chang & Khanna: unlearning Hessian test over (B, sigma); MC points, then exact rows per sigma'),
    ('unlearning-batch-alpha', 'experiments:batch_alpha_cells', 'experiments:unlearning_cell',
     'Chang & Khanna: (B, alpha) grid; MC points, then exact rows per alpha'),
    ('unlearning-alignment', 'experiments:alignment_cells', 'experiments:unlearning_cell',
     'Chang & Khanna: forget-family rotation theta; one cell per theta'),
)
