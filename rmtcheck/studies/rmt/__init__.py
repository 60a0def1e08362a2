"""Random-matrix facts behind coherence and SNR: noise floors, concentration, Marchenko–Pastur, SNR monotonicity.

* :mod:`.experiments` — the data behind the figures (noise histograms, floor regimes, sigma versus SNR,
  MP fits);
* :mod:`.statements` — the ``rmt.*`` rows; :mod:`.figures` — ``rmt-*``.

The predictions themselves are in :mod:`rmtcheck.randmat.coherence_predictions`.
"""
