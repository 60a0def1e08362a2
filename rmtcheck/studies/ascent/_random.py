"""Random forget sets: Lemma 1 (Hoeffding) and the block-orthogonal random-forget phenomenon.

Source: Mavrothalassitis et al., "Ascent Fails to Forget" (NeurIPS 2025) [mavrothalassitis2025],
Lemma 1 and Sec. 4.1 [paper]; the Gaussian-mixture test bed (:math:`x \\mid y \\sim N(y\\mu, I)`, whose
population accuracy is :math:`\\Phi(\\langle w,\\mu\\rangle/\\|w\\|)`) and the structured forget sets
are this package's own [derived] test beds.
"""

from __future__ import annotations

import numpy as np

from rmtcheck._lib.lazy import lazy_module
from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive
from rmtcheck.studies.ascent._block import block_solution_counts

_special = lazy_module("scipy.special")

__all__ = ["hoeffding_bound", "hoeffding_experiment", "random_forget_counts", "random_forget_block"]


def hoeffding_bound(n_forget, eps, n_test=None):
    """Lemma 1 [paper]: :math:`P(|\\mathrm{acc}_F - \\mathrm{acc}| > \\varepsilon) \\le 2e^{-2|F|\\varepsilon^2}`.

    With an empirical test accuracy on ``n_test`` points (two-set version, union bound at
    :math:`\\varepsilon/2` each) [derived]: :math:`2e^{-|F|\\varepsilon^2/2} + 2e^{-n_{test}\\varepsilon^2/2}`.

    Parameters
    ----------
    n_forget : array_like
        :math:`|F|`.
    eps : array_like
        Deviation :math:`\\varepsilon`.
    n_test : int, optional
        Size of an empirical test set (default: the exact population accuracy).

    Returns
    -------
    ndarray
        The bound, capped at 1.

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Lemma 1.

    Examples
    --------
    >>> round(float(hoeffding_bound(50, 0.2)), 12)  # 2 exp(-4)
    0.036631277777
    """
    nf = as_finite_array(n_forget, "n_forget")
    e = as_finite_array(eps, "eps")
    if n_test is None:
        return np.minimum(1.0, 2 * np.exp(-2 * nf * e**2))
    return np.minimum(1.0, 2 * np.exp(-nf * e**2 / 2) + 2 * np.exp(-np.asarray(n_test, float) * e**2 / 2))


def _fit_logistic(X, Wt, ridge, iters=25):
    """Batched Newton for weighted ridge logistic regression (labels folded into X)."""
    S, n, d = X.shape
    w = np.zeros((S, d))
    cnt = Wt.sum(1, keepdims=True)
    for _ in range(iters):
        m = np.einsum("snd,sd->sn", X, w)
        sm = _special.expit(-m)
        g = -np.einsum("sn,snd->sd", Wt * sm / cnt, X) + ridge * w
        h = np.einsum("sn,snd,sne->sde", Wt * sm * (1 - sm) / cnt, X, X) + ridge * np.eye(d)
        w = w - np.linalg.solve(h, g[..., None])[..., 0]
    return w


def hoeffding_experiment(n: int = 200, n_forget: int = 50, dim: int = 5, n_splits: int = 400,
                         signal: float = 1.0, ridge: float = 0.01, n_test: int = 2000, rng=None) -> dict:
    """Lemma 1 empirically: oracle accuracy on a uniformly random forget set vs its test accuracy.

    Each replicate draws a fresh data set of ``n`` points from the Gaussian mixture
    :math:`x \\mid y \\sim N(y\\mu, I)`, :math:`\\|\\mu\\| =` ``signal``, splits off a uniformly random
    forget set of size ``n_forget``, fits the ridge-logistic oracle on the rest, and records its
    accuracy on :math:`F`, its exact population accuracy :math:`\\Phi(\\langle w,\\mu\\rangle/\\|w\\|)`
    and its accuracy on ``n_test`` fresh points.

    Parameters
    ----------
    n, n_forget, dim, n_splits : int, optional
        Data size, forget-set size, dimension, replicates.
    signal, ridge : float, optional
        :math:`\\|\\mu\\|` and the oracle's ridge.
    n_test : int, optional
        Fresh test points per replicate.
    rng : int, Generator or None, optional

    Returns
    -------
    dict
        ``acc_forget``, ``acc_population``, ``acc_test`` (one per replicate) and the sizes.

    See Also
    --------
    hoeffding_bound

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Lemma 1.
    """
    g = as_generator(rng)
    check_int(n, "n", 4)
    check_int(n_forget, "n_forget", 1, n - 2)
    check_int(dim, "dim", 1)
    check_int(n_splits, "n_splits", 1)
    check_positive(signal, "signal")
    mu = np.zeros(dim)
    mu[0] = signal
    y = g.choice([-1.0, 1.0], size=(n_splits, n))
    X = y[..., None] * mu + g.standard_normal((n_splits, n, dim))
    Xl = X * y[..., None]  # labels folded in: margin = <w, y x>
    perm = np.argsort(g.random((n_splits, n)), axis=1)
    forget = np.zeros((n_splits, n), bool)
    np.put_along_axis(forget, perm[:, :n_forget], True, axis=1)
    w = _fit_logistic(Xl, (~forget).astype(float), ridge)
    m = np.einsum("snd,sd->sn", Xl, w)
    acc_forget = (np.where(forget, m > 0, False).sum(1)) / n_forget
    acc_pop = _special.ndtr(w @ mu / np.linalg.norm(w, axis=1))
    yt = g.choice([-1.0, 1.0], size=(n_splits, n_test))
    Xt = (yt[..., None] * mu + g.standard_normal((n_splits, n_test, dim))) * yt[..., None]
    acc_test = np.mean(np.einsum("snd,sd->sn", Xt, w) > 0, axis=1)
    return {"acc_forget": acc_forget, "acc_population": acc_pop, "acc_test": acc_test,
            "n_forget": n_forget, "n_test": n_test, "n": n}


def random_forget_counts(retain_plus_forget, n_forget: int, rng=None, structured: bool = False,
                         fraction: float = 0.5, trials: int = 1) -> np.ndarray:
    """Forget counts per coordinate, shape ``(trials, K)``.

    Uniform (``structured=False``): a uniformly random subset of size ``n_forget`` of all samples
    (multivariate hypergeometric). Structured: coordinates are visited in random order and a
    ``fraction`` of each visited coordinate's samples is forgotten until ``n_forget`` is reached (the
    forget set is concentrated on few groups, like forgetting a class).

    Parameters
    ----------
    retain_plus_forget : array_like of int, shape (K,)
        Samples per coordinate.
    n_forget : int
    rng : int, Generator or None, optional
    structured : bool, optional
    fraction : float, optional
        Share of a visited coordinate that is forgotten (structured sets).
    trials : int, optional

    Returns
    -------
    ndarray of int, shape (trials, K)

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 4.1.
    """
    g = as_generator(rng)
    n = np.asarray(retain_plus_forget)
    if n.ndim != 1 or not np.issubdtype(n.dtype, np.integer) or np.any(n < 1):
        raise ValueError("retain_plus_forget must be a 1-d array of positive integer counts")
    check_int(n_forget, "n_forget", 1, int(n.sum()) - 1)
    check_int(trials, "trials", 1)
    if not structured:
        return g.multivariate_hypergeometric(n, n_forget, size=trials)
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1); got {fraction}")
    out = np.zeros((trials, n.size), int)
    take = np.maximum(1, np.floor(fraction * n)).astype(int)
    for t in range(trials):
        order = g.permutation(n.size)
        cum = np.cumsum(take[order])
        k = int(np.searchsorted(cum, n_forget))  # visit coordinates order[:k+1]
        if k >= n.size:
            raise ValueError(f"n_forget={n_forget} exceeds what fraction={fraction} of the data can supply")
        out[t, order[:k]] = take[order[:k]]
        out[t, order[k]] = n_forget - (cum[k - 1] if k > 0 else 0)
    return out


def random_forget_block(counts, n_forget: int, ridge: float, rng=None, structured: bool = False,
                        fraction: float = 0.5, trials: int = 50) -> dict:
    """Random forget sets in the block-orthogonal model (closed forms, vectorised over trials).

    Parameters
    ----------
    counts : array_like of int, shape (K,)
        Samples per coordinate.
    n_forget : int
    ridge : float
    rng, structured, fraction, trials : optional
        As in :func:`random_forget_counts`.

    Returns
    -------
    dict
        Per trial: the fraction of coordinates where DA has no global minimiser (:math:`c_{DA,j} < 0`) and
        with no stationary point at all (:math:`c_{DA,j} < -\\lambda/e`), :math:`\\|w_D - w_R\\|`, and the
        ratio :math:`\\|w_{DA} - w_R\\| / \\|w_D - w_R\\|` over the coordinates where a DA local minimum exists
        (``inf`` in ``ratio_all`` when some coordinate has none).

    See Also
    --------
    rmtcheck.studies.ascent._block.block_solution_counts

    References
    ----------
    .. [1] Mavrothalassitis, Puigdemont, Levi & Cevher (2025), "Ascent Fails to Forget", NeurIPS
       [mavrothalassitis2025], Sec. 4.1.
    """
    check_positive(ridge, "ridge")
    n = np.asarray(counts)
    fc = random_forget_counts(n, n_forget, rng, structured, fraction, trials)
    rc = n - fc
    sols = [block_solution_counts(rc[t], fc[t], ridge) for t in range(trials)]
    no_min = np.array([np.mean(s.da_case != 0) for s in sols])
    no_stat = np.array([np.mean(s.da_case == 2) for s in sols])
    dD = np.array([np.linalg.norm(s.w_pretrain - s.w_retrain) for s in sols])
    dDA_local = np.array([np.linalg.norm(np.where(s.da_case == 2, 0.0, s.w_da - s.w_retrain)) for s in sols])
    dD_local = np.array([np.linalg.norm(np.where(s.da_case == 2, 0.0, s.w_pretrain - s.w_retrain)) for s in sols])
    ratio_local = np.divide(dDA_local, dD_local, out=np.full(trials, np.inf), where=dD_local > 0)
    ratio_all = np.where(no_stat > 0, np.inf, ratio_local)
    alpha = np.divide(fc, np.maximum(rc, 1))
    return {"frac_no_global_min": no_min, "frac_no_stationary": no_stat, "dist_pretrain": dD,
            "ratio_local": ratio_local, "ratio_all": ratio_all, "alpha_j": alpha,
            "global_ratio": n_forget / (n.sum() - n_forget), "structured": structured}
