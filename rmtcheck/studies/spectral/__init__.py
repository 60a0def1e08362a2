"""Heavy-tailed layer spectra and statistical-roughness unlearning (SRAGU), judged against retraining.

* :mod:`.mlp` — a small NumPy MLP with analytic gradients (the models SRAGU unlearns);
* :mod:`.sragu` — the algorithm: sensitivities, the alpha gate, AGU and SRAGU updates, baselines;
* :mod:`.evaluation` — the harness: data sets, forget sets, the gold retrained model, membership
  inference, the table;
* :mod:`.statements` — the ``spectral.*`` rows; :mod:`.figures` — ``spectral-*``, ``sragu-evaluation``.

The spectral diagnostics (ESD, MP fit, power-law alpha) are shared maths in :mod:`rmtcheck.randmat`.
SRAGU's formulas are this package's reconstruction [reconstructed] of [partohaghighi2026], after
[agu2025] and [martin2021].
"""
