"""Validation of the pre-flight check on real data: does its forecast predict real GA/GDA unlearning?

Small MLPs trained to (near) zero loss on three real data sets — scikit-learn's digits and breast cancer
[sklearn2011] and MNIST-1D generated locally [greydanus2024] — are unlearned by gradient ascent (GA) and
descent–ascent (GDA) from their trained weights, over a grid of step sizes, forget weights and batch
sizes, for three kinds of forget set (random samples, one whole class, the highest-loss samples). Each
run's observed verdict (stay / leave / collapse, from the forget and retain loss rises) is compared with
the verdict of :func:`rmtcheck.stability.preflight.preflight` [changkhanna2026], [dexter2024].

* :mod:`.data` — the data sets (nothing downloaded) and the forget sets;
* :mod:`.models` — training, curvature, the real unlearning runs and the verdict rule;
* :mod:`.torch_model` — the same MLP in PyTorch (optional ``torch`` extra), curvature from the torch adapter;
* :mod:`.experiments` — one group cell (observed vs predicted over the step sizes) and the grid;
* :mod:`.statements` — the ``real_models.*`` rows; :mod:`.figures` — ``real-models-<dataset>``.
"""

#: Sweeps of this study: (name, "module:cells", "module:cell", description), modules relative to it.
SWEEPS = (
    ('real-models', 'experiments:real_models_cells', 'experiments:real_models_cell',
     'Pre-flight vs real GA/GDA unlearning of MLPs on digits, breast cancer, MNIST-1D: one (data set, forget kind, '
     'alpha, B) group over the step sizes each'),
)
