"""Layer-spectrum diagnostics: ESD, Marchenko–Pastur bulk fit, spikes, CSN power-law exponent.

Theory brief 3 (``../shared/theory/spectral_unlearning.md``), Secs. 1–2; Clauset, Shalizi & Newman,
"Power-law distributions in empirical data" (arXiv 0706.1062, CSN); Martin & Mahoney, JMLR 2021;
WeightWatcher (CalculatedContent).

Conventions (all explicit, all parameters)
-----------------------------------------
* **ESD.** For a layer weight ``W`` of shape ``(N, M)`` (oriented so that :math:`N \\ge M`; arrays with
  ``ndim > 2`` such as conv kernels are reshaped to ``(shape[0], -1)``), the ESD is the set of the
  :math:`M` eigenvalues of :math:`W^\\top W` — the squared singular values (WeightWatcher's default,
  ``normalize=False``), or of :math:`W^\\top W / N` with ``normalize=True``. Transposing ``W`` changes
  nothing. [paper] They are computed by default from the Gram matrix (``method="gram"``: one GEMM and a
  symmetric eigensolver, several times faster than an SVD); ``method="svd"`` uses LAPACK's SVD.
  The Gram route loses relative accuracy only for eigenvalues below about
  :math:`10^{-13}\\lambda_{\\max}`, far below the :math:`10^{-5}\\lambda_{\\max}` cut of the fit.
* **MP bulk fit.** The entry variance :math:`s^2` is fitted by minimising the KS distance between the
  eigenvalues of :math:`W^\\top W/N` and :func:`rmtcheck.laws.marchenko_pastur` ``(M/N, s^2)``
  (``mp_method="ks"``) or by matching medians (``"median"``). The edge is reported in the units of the
  ESD, so with ``normalize=False`` it is the Bai–Yin value :math:`s^2(\\sqrt N + \\sqrt M)^2`. [paper]
  **Spikes** are eigenvalues above ``edge + spike_sigmas * sigma_TW`` (Johnstone's Tracy–Widom scale,
  :func:`rmtcheck.laws.tracy_widom_edge`; default 4), so that a pure-noise matrix has none. [derived]
* **Power law (CSN).** Eigenvalues :math:`\\le 10^{-5}\\lambda_{\\max}` are dropped. For every candidate
  :math:`x_{\\min} = \\lambda_{(i)}` (ascending order) with at least ``min_tail`` tail points the
  continuous MLE and the KS distance are computed, and the :math:`x_{\\min}` of smallest KS distance
  is chosen [paper: CSN Sec. 3.3]:

  .. math::

      \\hat\\alpha = 1 + \\frac{n}{\\sum_{\\text{tail}} \\ln(\\lambda_i / x_{\\min})}, \\qquad
      D = \\sup_x |S_n(x) - P(x)|, \\quad P(x) = 1 - (x/x_{\\min})^{1-\\hat\\alpha},
      \\qquad \\sigma_\\alpha = \\frac{\\hat\\alpha - 1}{\\sqrt n} .

  *Counting conventions* [paper, made explicit here]: ``convention="ww"`` (WeightWatcher / ``powerlaw``
  package / CSN) counts the :math:`x_{\\min}` point itself in the tail, :math:`n = \\#\\{\\lambda \\ge x_{\\min}\\}`;
  ``convention="hill"`` is Hill's top-:math:`k` form: the :math:`k` points strictly above the threshold
  :math:`\\lambda_{(k+1)}`. The log-sums are equal (the threshold contributes :math:`\\ln 1 = 0`), so at the
  same threshold :math:`(\\hat\\alpha_{ww} - 1) / (\\hat\\alpha_{hill} - 1) = (k+1)/k` **exactly**.
  *ECDF convention*: ``ecdf="two-sided"`` (default) is the exact KS supremum, checking both sides of every
  jump, :math:`\\max_r \\max(P_r - r/n, (r+1)/n - P_r)`; ``ecdf="left"`` uses :math:`|P_r - r/n|` only, which is
  what the ``powerlaw`` package (and so WeightWatcher) computes. They differ by at most :math:`1/n`.

  The scan is vectorised: with :math:`L = \\ln\\lambda` sorted, suffix sums give all :math:`\\hat\\alpha`
  in :math:`O(n)`, and each candidate's KS distance costs :math:`O(n)` array work (blocks of candidates
  at once), with no refit loop.
* **Bootstrap CI.** ``bootstrap_mode="fixed-xmin"`` (default) resamples the eigenvalues with
  replacement, keeps :math:`x_{\\min}` and refits :math:`\\hat\\alpha` (vectorised over replicates;
  ignores the uncertainty of :math:`x_{\\min}`); ``"full"`` redoes the :math:`x_{\\min}` scan on every
  replicate (slower). Percentile interval. [derived]
* **Derived metrics** (WeightWatcher) [paper]: stable rank :math:`\\sum\\lambda/\\lambda_{\\max}`, log
  spectral norm :math:`\\log_{10}\\lambda_{\\max}`, α-weighted :math:`\\hat\\alpha \\log_{10}\\lambda_{\\max}`,
  log α-norm :math:`\\log_{10}\\sum_i \\lambda_i^{\\hat\\alpha}` (computed with log-sum-exp), all on the ESD in
  the chosen normalisation. **Flag** from heuristic bands (``bands=(2, 6)``): :math:`\\hat\\alpha < 2`
  ``"over-trained"``, :math:`\\hat\\alpha > 6` ``"under-trained"``, otherwise ``"well-trained"``. These bands
  are heuristics (WeightWatcher), not theorems.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg as sla
from scipy.special import logsumexp

from rmtcheck._lib.validation import as_finite_array, as_generator, check_int
from rmtcheck.randmat.marchenko_pastur import mp, mp_edges, tracy_widom_edge
from rmtcheck.randmat.powerlaw import PowerLawFit, fit_powerlaw

__all__ = [
    "FLAGS", "MPFit", "LayerSpectrum", "as_matrix", "esd", "fit_mp", "stable_rank", "log_spectral_norm",
    "alpha_weighted", "log_alpha_norm", "flag", "diagnose", "diagnose_layers", "as_layers",
    "layers_from_torch", "spectrum_table",
]

FLAGS = ("over-trained", "well-trained", "under-trained")


# ----------------------------------------------------------------------------- matrices and ESD
def as_matrix(W, name: str = "W") -> np.ndarray:
    """``W`` as a float64 2-D array oriented with ``N >= M`` (``ndim > 2``: reshaped to ``(shape[0], -1)``)."""
    W = as_finite_array(W, name)
    if W.ndim < 2:
        raise ValueError(f"{name} must have ndim >= 2 (a weight matrix); got shape {W.shape}")
    if W.ndim > 2:
        W = W.reshape(W.shape[0], -1)
    if min(W.shape) < 1:
        raise ValueError(f"{name} must have both dimensions >= 1; got shape {W.shape}")
    return W if W.shape[0] >= W.shape[1] else W.T


def esd(W, normalize: bool = False, method: str = "gram", name: str = "W") -> np.ndarray:
    """Ascending eigenvalues of :math:`W^\\top W` (or :math:`W^\\top W/N` with ``normalize``), ``N >= M``.

    Returns ``M = min(W.shape)`` values (no structural zeros), clipped at 0. See the module docstring.
    """
    if method not in ("gram", "svd"):
        raise ValueError(f"method must be 'gram' or 'svd'; got {method!r}")
    X = as_matrix(W, name)
    N = X.shape[0]
    if method == "svd":
        sv = sla.svdvals(X, check_finite=False)
        ev = np.sort(sv * sv)
    else:
        ev = sla.eigvalsh(X.T @ X, check_finite=False)
    ev = np.clip(ev, 0.0, None)
    return ev / N if normalize else ev


# ----------------------------------------------------------------------------- MP bulk
@dataclass
class MPFit:
    """Marchenko–Pastur bulk fit of one ESD (edge and spikes in the units of the ESD)."""

    ratio: float
    scale: float  # fitted entry variance s^2
    edge: float  # upper bulk edge lambda_+
    edge_low: float
    edge_sigma: float  # Tracy–Widom fluctuation scale of lambda_max
    spike_threshold: float
    n_spikes: int
    spikes: np.ndarray
    ks_distance: float  # KS distance of the ESD (all eigenvalues) to the fitted MP law


def fit_mp(evals, n_rows, n_cols, normalized: bool = False, method: str = "ks", spike_sigmas: float = 4.0) -> MPFit:
    """Fit the MP scale :math:`s^2` to an ESD of an ``n_rows x n_cols`` matrix; edge and spikes.

    Parameters
    ----------
    evals : array
        The ``min(n_rows, n_cols)`` eigenvalues of :math:`W^\\top W` (or of :math:`W^\\top W/N` when
        ``normalized``), as returned by :func:`esd`.
    method : {"ks", "median"}
        ``"ks"``: minimise the KS distance over :math:`s^2` (grid on :math:`[s_0^2/4, 4 s_0^2]` then a
        bounded refinement), starting from the median match :math:`s_0^2`. ``"median"``: median match.
    spike_sigmas : float
        Spikes are eigenvalues above ``edge + spike_sigmas * sigma_TW``.
    """
    from scipy.optimize import minimize_scalar

    N = check_int(n_rows, "n_rows", 2)
    M = check_int(n_cols, "n_cols", 1)
    N, M = max(N, M), min(N, M)
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size != M:
        raise ValueError(f"evals must have min(n_rows, n_cols) = {M} entries; got {ev.size}")
    if method not in ("ks", "median"):
        raise ValueError(f"method must be 'ks' or 'median'; got {method!r}")
    spike_sigmas = float(spike_sigmas)
    if not np.isfinite(spike_sigmas) or spike_sigmas < 0:
        raise ValueError(f"spike_sigmas must be finite and >= 0; got {spike_sigmas!r}")
    unit = 1.0 if normalized else float(N)
    x = np.sort(ev) / unit
    q = M / N
    med = float(np.median(x))
    if med <= 0:
        raise ValueError("evals has median 0: the matrix is (numerically) of rank < M/2; no MP bulk to fit")
    s0 = med / float(mp.median(q))
    k = np.arange(M)

    def ks(s2):
        F = mp.cdf(x, q, scale=s2)
        return float(np.max(np.maximum(F - k / M, (k + 1) / M - F)))

    if method == "median":
        s2 = s0
    else:
        grid = s0 * np.exp(np.linspace(np.log(0.25), np.log(4.0), 81))
        vals = np.array([ks(g) for g in grid])
        j = int(np.argmin(vals))
        lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
        res = minimize_scalar(lambda t: ks(np.exp(t)), bounds=(np.log(lo), np.log(hi)), method="bounded",
                              options={"xatol": 1e-6})
        s2 = float(np.exp(res.x)) if res.fun <= vals[j] else float(grid[j])
    lo_e, hi_e = mp_edges(q, s2)
    if N >= 2:
        _, sig = tracy_widom_edge(N, M, s2)
    else:  # pragma: no cover - N >= 2 enforced above
        sig = 0.0
    sig = sig / N  # in units of W^T W / N
    thr = hi_e + spike_sigmas * sig
    spikes = ev[ev / unit > thr]
    return MPFit(ratio=q, scale=s2, edge=hi_e * unit, edge_low=lo_e * unit, edge_sigma=sig * unit,
                 spike_threshold=thr * unit, n_spikes=int(spikes.size), spikes=np.sort(spikes),
                 ks_distance=ks(s2))


# ----------------------------------------------------------------------------- power law



# ----------------------------------------------------------------------------- derived metrics
def stable_rank(evals) -> float:
    """:math:`\\sum_i \\lambda_i / \\lambda_{\\max}` [paper: WeightWatcher]."""
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size == 0 or np.max(ev) <= 0:
        raise ValueError("evals must contain a positive eigenvalue")
    return float(np.sum(np.clip(ev, 0, None)) / np.max(ev))


def log_spectral_norm(evals) -> float:
    """:math:`\\log_{10}\\lambda_{\\max}` [paper: WeightWatcher]."""
    ev = as_finite_array(evals, "evals", ndim=1)
    if ev.size == 0 or np.max(ev) <= 0:
        raise ValueError("evals must contain a positive eigenvalue")
    return float(np.log10(np.max(ev)))


def alpha_weighted(alpha, evals) -> float:
    """:math:`\\hat\\alpha\\,\\log_{10}\\lambda_{\\max}` [paper: Martin & Mahoney 2021]."""
    return float(alpha) * log_spectral_norm(evals)


def log_alpha_norm(alpha, evals) -> float:
    """:math:`\\log_{10}\\sum_i\\lambda_i^{\\hat\\alpha}` via log-sum-exp (overflow-safe) [paper: WeightWatcher]."""
    ev = as_finite_array(evals, "evals", ndim=1)
    ev = ev[ev > 0]
    if ev.size == 0:
        raise ValueError("evals must contain a positive eigenvalue")
    return float(logsumexp(float(alpha) * np.log(ev)) / np.log(10.0))


def flag(alpha, bands=(2.0, 6.0)) -> str:
    """Heuristic training flag from WeightWatcher's bands [paper, heuristic]:
    ``alpha < bands[0]`` → ``"over-trained"``, ``alpha > bands[1]`` → ``"under-trained"``, else
    ``"well-trained"``."""
    lo, hi = float(bands[0]), float(bands[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"bands must be two finite numbers lo < hi; got {bands!r}")
    a = float(alpha)
    if np.isnan(a):
        raise ValueError("alpha is NaN")
    if a < lo:
        return "over-trained"
    if a > hi:
        return "under-trained"
    return "well-trained"


# ----------------------------------------------------------------------------- full diagnostic
@dataclass
class LayerSpectrum:
    """Everything the diagnostic reports for one layer (see :meth:`record` for the JSON keys)."""

    name: str
    shape: tuple
    eigenvalues: np.ndarray
    normalized: bool
    mp: MPFit
    powerlaw: PowerLawFit
    stable_rank: float
    log_spectral_norm: float
    alpha_weighted: float
    log_alpha_norm: float
    flag: str
    extra: dict = field(default_factory=dict)

    @property
    def alpha(self) -> float:
        return self.powerlaw.alpha

    def record(self) -> dict:
        """Flat JSON-able record: ``alpha``, ``xmin``, ``ks_distance``, ``n_tail``, ``alpha_stderr``,
        ``flag``, ``stable_rank``, ``mp_edge``, ``n_spikes`` (the issue's keys) and more."""
        pl = self.powerlaw
        return {
            "name": self.name,
            "shape": list(self.shape),
            "alpha": pl.alpha,
            "xmin": pl.xmin,
            "ks_distance": pl.ks_distance,
            "n_tail": pl.n_tail,
            "alpha_stderr": pl.alpha_stderr,
            "alpha_ci": list(pl.ci),
            "flag": self.flag,
            "stable_rank": self.stable_rank,
            "log_spectral_norm": self.log_spectral_norm,
            "alpha_weighted": self.alpha_weighted,
            "log_alpha_norm": self.log_alpha_norm,
            "mp_scale": self.mp.scale,
            "mp_edge": self.mp.edge,
            "n_spikes": self.mp.n_spikes,
            "lambda_max": float(self.eigenvalues[-1]),
            "n_eigenvalues": int(self.eigenvalues.size),
            "convention": pl.convention,
            "ecdf": pl.ecdf,
            "normalized": self.normalized,
        }


def diagnose(W, name: str = "W", min_tail: int = 50, convention: str = "ww", ecdf: str = "two-sided",
             bootstrap: int = 200, ci_level: float = 0.95, bootstrap_mode: str = "fixed-xmin", rng=None,
             normalize: bool = False, method: str = "gram", mp_method: str = "ks", spike_sigmas: float = 4.0,
             bands=(2.0, 6.0)) -> LayerSpectrum:
    """Full spectral diagnostic of one weight matrix (module docstring for every convention).

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((400, 200))
    >>> d = diagnose(W, bootstrap=0)
    >>> d.flag, d.mp.n_spikes
    ('under-trained', 0)
    """
    X = as_matrix(W, name)
    if X.shape[0] < 2:
        raise ValueError(f"{name} must have max(shape) >= 2; got shape {X.shape}")
    ev = esd(X, normalize=normalize, method=method, name=name)
    mpf = fit_mp(ev, X.shape[0], X.shape[1], normalized=normalize, method=mp_method, spike_sigmas=spike_sigmas)
    pl = fit_powerlaw(ev, min_tail=min_tail, convention=convention, ecdf=ecdf, bootstrap=bootstrap,
                      ci_level=ci_level, bootstrap_mode=bootstrap_mode, rng=rng)
    a = pl.alpha
    return LayerSpectrum(
        name=str(name), shape=tuple(np.shape(W)), eigenvalues=ev, normalized=bool(normalize), mp=mpf,
        powerlaw=pl, stable_rank=stable_rank(ev), log_spectral_norm=log_spectral_norm(ev),
        alpha_weighted=alpha_weighted(a, ev), log_alpha_norm=log_alpha_norm(a, ev), flag=flag(a, bands),
    )


def layers_from_torch(module) -> dict:
    """Weight arrays (``ndim >= 2``) of a PyTorch module as float64 NumPy arrays, keyed by parameter name.

    Torch is imported lazily, only here; without torch installed this raises ``ValueError``.
    """
    try:
        import torch  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ValueError("layers_from_torch needs PyTorch installed (pip install torch)") from exc
    out = {}
    for pname, p in module.named_parameters():
        if p.ndim >= 2:
            out[pname] = p.detach().cpu().double().numpy()
    if not out:
        raise ValueError("module has no parameter with ndim >= 2 (no weight matrix to diagnose)")
    return out


def _is_torch_module(obj) -> bool:
    """True for instances of ``torch.nn.Module`` subclasses, detected without importing torch."""
    if not hasattr(obj, "named_parameters"):
        return False
    return any(c.__module__.split(".")[0] == "torch" for c in type(obj).__mro__)


def as_layers(obj) -> dict:
    """Named 2-D-able weights from: a mapping (e.g. ``np.load`` of an ``.npz``), a list/tuple of
    arrays, a 2-D array (one layer ``"W"``), a 3-D array (a stack: layers ``"W[0]"``, ...), or a torch
    module (lazy import). Entries with ``ndim < 2`` (biases) are skipped; ``ndim > 2`` entries of a
    mapping are kept (conv kernels; :func:`as_matrix` reshapes them)."""
    if _is_torch_module(obj):
        return layers_from_torch(obj)
    if hasattr(obj, "keys") and hasattr(obj, "__getitem__"):
        items = [(str(k), np.asarray(obj[k])) for k in obj.keys()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"layer{i}", np.asarray(a)) for i, a in enumerate(obj)]
    else:
        arr = np.asarray(obj)
        if arr.ndim == 2:
            items = [("W", arr)]
        elif arr.ndim == 3:
            items = [(f"W[{i}]", arr[i]) for i in range(arr.shape[0])]
        else:
            raise ValueError(f"weights must be a 2-D matrix or a 3-D stack of matrices; got shape {arr.shape}")
    out = {k: a for k, a in items if a.ndim >= 2}
    if not out:
        raise ValueError("no array with ndim >= 2 found (biases and scalars are skipped)")
    return out


def diagnose_layers(layers, rng=None, **kwargs) -> list[LayerSpectrum]:
    """:func:`diagnose` for every layer of :func:`as_layers` ``(layers)``; one child seed per layer."""
    named = as_layers(layers)
    gen = as_generator(rng)
    seeds = np.random.SeedSequence(int(gen.integers(2**63))).spawn(len(named))
    return [diagnose(W, name=k, rng=np.random.default_rng(s), **kwargs) for (k, W), s in zip(named.items(), seeds)]


def spectrum_table(results) -> str:
    """Plain-text table of :func:`diagnose_layers` results."""
    head = f"{'layer':<20} {'shape':>11} {'alpha':>7} {'±se':>6} {'95% CI':>15} {'xmin':>10} {'D':>6} " \
           f"{'n_tail':>6} {'srank':>7} {'mp_edge':>10} {'spikes':>6}  flag"
    lines = [head, "-" * len(head)]
    for r in results:
        pl = r.powerlaw
        ci = "" if not np.isfinite(pl.ci[0]) else f"[{pl.ci[0]:.2f},{pl.ci[1]:.2f}]"
        shp = "x".join(str(s) for s in r.shape)
        lines.append(f"{r.name[:20]:<20} {shp:>11} {pl.alpha:7.3f} {pl.alpha_stderr:6.3f} {ci:>15} "
                     f"{pl.xmin:10.4g} {pl.ks_distance:6.3f} {pl.n_tail:6d} {r.stable_rank:7.2f} "
                     f"{r.mp.edge:10.4g} {r.mp.n_spikes:6d}  {r.flag}")
    return "\n".join(lines)
