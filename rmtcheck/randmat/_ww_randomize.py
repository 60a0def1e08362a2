"""WeightWatcher's randomised-ESD columns (``analyze(randomize=True)``; private, used by
:func:`rmtcheck.randmat.spectral.diagnose`).

WeightWatcher's rules, as its source states them (CalculatedContent/WeightWatcher, ``weightwatcher/weightwatcher.py``
read at commit ``002fa5ed``: ``apply_random_esd``, ``random_eigenvalues``, ``apply_mp_fit(random=True)``, ``mp_fit``;
``weightwatcher/RMT_Util.py`` at ``4754964``: ``jensen_shannon_distance``; no code is copied):

* Each matrix of the layer (each receptive-field slice of a conv kernel) has its entries permuted at random
  (``np.random.shuffle`` of the flattened matrix in WeightWatcher; here a permutation drawn from the seeded ``rng``),
  and the squared singular values of the permuted matrices, pooled and sorted, are the randomised ESD.
* ``max_rand_eval``: the largest eigenvalue of a randomised ESD pooled over ``replicas`` independent permutations
  (5 when the layer has fewer than 100 eigenvalues, WeightWatcher's ``n_comp < 100``; otherwise 1).
* A *second*, independent randomised ESD (one permutation) gives ``rand_distance``, the Jensen–Shannon distance of
  WeightWatcher's ``jensen_shannon_distance(evals, rand_evals)``: the two sorted eigenvalue vectors are taken as
  (unnormalised) probability vectors paired entry by entry, :math:`m = (p + q)/2`, and
  :math:`\\sqrt{(\\mathrm{KL}(p\\|m) + \\mathrm{KL}(q\\|m))/2}` with ``scipy.stats.entropy`` (each argument normalised
  to sum 1, natural logarithm); ``ww_softrank`` :math:`= \\max(\\text{rand}) / \\max(\\text{evals})` (the source read
  here; an older WeightWatcher version had the reciprocal); ``ww_maxdist`` :math:`= \\max(\\text{evals}) -
  \\max(\\text{rand})`.
* The MP-fit columns of the replicated randomised ESD: ``rand_num_spikes``, ``rand_mp_softrank``, ``rand_bulk_max``,
  ``rand_bulk_min``, ``rand_sigma_mp``, ``rand_W_scale``. ``rand_W_scale`` is WeightWatcher's rescaling
  :math:`\\sqrt{n / \\sum_i\\lambda_i}` of that ESD (:math:`n` its size) exactly. *Not reproduced*: WeightWatcher fits
  the MP law by a brute-force kernel-density fit (``fit_density_with_range``) and counts spikes above
  :math:`\\lambda_+ + \\sqrt{Q^{-1/2}\\lambda_+^{2/3}M^{-2/3}}`; this package fits the same randomised ESD with its own
  :func:`rmtcheck.randmat.spectral.fit_mp` (KS fit of the entry variance, spikes beyond four Tracy–Widom widths), as it
  does for the unrandomised ``mp_softrank``. So ``rand_bulk_max``/``rand_bulk_min`` are that fit's edges (ESD units,
  as WeightWatcher reports them), ``rand_mp_softrank`` :math:`= \\lambda_+/\\max(\\text{rand})`, ``rand_num_spikes``
  its spike count, and ``rand_sigma_mp`` the same fitted law's :math:`\\sigma` in WeightWatcher's rescaled units,
  :math:`\\texttt{rand\\_W\\_scale}\\,\\sqrt{\\lambda_+}/(1 + \\sqrt{M/N})`. These five follow this package's MP fit;
  they were not compared with WeightWatcher's numbers (WeightWatcher was not run here).
* WeightWatcher's ``get_summary`` averages none of these; :func:`rmtcheck.randmat.spectrum_summary` adds their means.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module

_stats = lazy_module("scipy.stats")

#: The columns :func:`random_columns` returns (WeightWatcher's names).
RAND_COLUMNS = ("max_rand_eval", "rand_distance", "ww_softrank", "ww_maxdist", "rand_num_spikes", "rand_mp_softrank",
                "rand_bulk_max", "rand_bulk_min", "rand_sigma_mp", "rand_W_scale")
#: Below this many eigenvalues the replicated randomised ESD pools 5 permutations (WeightWatcher's rule).
FEW_EVALS = 100


def jensen_shannon_distance(p, q) -> float:
    """WeightWatcher's Jensen–Shannon distance of two equally long non-negative vectors (module docstring)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = (p + q) / 2
    return float(np.sqrt((_stats.entropy(p, m) + _stats.entropy(q, m)) / 2))


def permuted(mats, rng) -> list:
    """Each matrix with its entries permuted by ``rng`` (same shape)."""
    return [rng.permutation(X.ravel()).reshape(X.shape) for X in mats]


def random_columns(mats, evals: np.ndarray, esd_of, mp_of, rng) -> dict:
    """WeightWatcher's randomised-ESD columns of a layer (module docstring).

    Parameters
    ----------
    mats : list of ndarray
        The layer's matrices (:func:`rmtcheck.randmat.spectral.weight_matrices`).
    evals : ndarray
        The layer's ESD (ascending).
    esd_of : callable
        ``esd_of(list_of_matrices)``: their pooled ascending ESD, in the layer's normalisation and method.
    mp_of : callable
        ``mp_of(esd)``: the :class:`~rmtcheck.randmat.spectral.MPFit` of a pooled ESD of the layer's shape.
    rng : numpy.random.Generator
        The permutations: first the replicated ESD, then the single one.

    Returns
    -------
    dict
        :data:`RAND_COLUMNS`, plus ``rand_replicas`` (permutations pooled for ``max_rand_eval`` and the MP fit).
    """
    reps = 5 if evals.size < FEW_EVALS else 1
    rand = esd_of([X for _ in range(reps) for X in permuted(mats, rng)])
    one = esd_of(permuted(mats, rng))
    top, rtop = float(evals[-1]), float(one[-1])
    mp = mp_of(rand)
    scale = float(np.sqrt(rand.size / np.sum(rand)))
    return {"max_rand_eval": float(rand[-1]), "rand_distance": jensen_shannon_distance(evals, one),
            "ww_softrank": rtop / top, "ww_maxdist": top - rtop, "rand_num_spikes": int(mp.n_spikes),
            "rand_mp_softrank": float(mp.edge / rand[-1]), "rand_bulk_max": float(mp.edge),
            "rand_bulk_min": float(mp.edge_low),
            "rand_sigma_mp": scale * float(np.sqrt(mp.edge)) / (1.0 + float(np.sqrt(mp.ratio))),
            "rand_W_scale": scale, "rand_replicas": reps}
