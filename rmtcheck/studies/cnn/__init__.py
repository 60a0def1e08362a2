"""A two-layer ReLU CNN on signal-plus-noise patches: does the linear-stability verdict predict real unlearning?

* :mod:`.model` — the network, analytic per-sample gradients and Gauss–Newton factors;
* :mod:`.training` — full-batch / mini-batch training and descent–ascent runs;
* :mod:`.pretrained` — trained points and retain/forget splits (cached);
* :mod:`.experiments` — one unlearning cell (observed escape vs exact prediction) and the grid;
* :mod:`.membership` — the loss-threshold membership-inference audit of the unlearned CNN against the model
  retrained without the forget set;
* :mod:`.statements` — the ``cnn.*`` rows (:mod:`.statements_membership`: ``cnn.membership_audit``);
  :mod:`.figures` — ``cnn-escape-heatmaps``, ``cnn-snr-escape``.

The data model is the signal-plus-noise patch design of :mod:`rmtcheck.randmat.designs`, as in
[changkhanna2026], Sec. 5.
"""

#: Sweeps of this study: (name, "module:cells", "module:cell", description), modules relative to it.
SWEEPS = (
    ('cnn-unlearning', 'experiments:cnn_grid_cells', 'experiments:cnn_unlearning_cell',
     'Two-layer ReLU CNN: descent-ascent unlearning over (SNR, B, alpha, replicate); one cell each'),
)
