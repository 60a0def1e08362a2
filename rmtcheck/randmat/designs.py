"""Random-matrix designs: Gaussian designs and the signal-plus-noise patch model.

Everything here takes ``rng`` (``None``, an int seed, a ``SeedSequence`` or a ``Generator``; see
:func:`rmtcheck._validate.as_generator`) and is vectorised (no Python loop over samples or instances).

Designs
-------
* :func:`isotropic_gaussian` — rows :math:`x_i \\sim N(0, s^2 I_d)`, an ``(n, d)`` array.
* :func:`anisotropic_gaussian` — rows :math:`x_i \\sim N(0, \\Sigma)` with :math:`\\Sigma` given as a PSD
  matrix or as eigenvalues in the standard, a Haar-random or a given orthonormal basis; ``(n, d)``.
* :func:`gaussian_batch` — ``instances`` independent isotropic designs at once, ``(instances, n, d)``.
* :func:`signal_noise_patches` — the two-patch data of the ReLU-CNN literature (stability brief Sec. 7,
  [reconstructed]): :math:`x = [x^{(1)}, x^{(2)}]`, :math:`x^{(1)} = y\\mu`, :math:`x^{(2)} = \\xi`, with

  .. math::

      \\mathrm{SNR} = \\frac{\\|\\mu\\|}{\\sigma_p\\sqrt d},\\qquad
      \\xi \\sim N\\big(0, \\sigma_p^2 (I - \\mu\\mu^\\top/\\|\\mu\\|^2)\\big)\\ (\\text{"projected"})
      \\ \\text{or}\\ N(0, \\sigma_p^2 I)\\ (\\text{"isotropic"}).

  The SNR is set either through :math:`\\|\\mu\\|` at fixed :math:`\\sigma_p` (``vary="mu"``) or through
  :math:`\\sigma_p` at fixed :math:`\\|\\mu\\|` (``vary="sigma"``). With the same seed the two conventions
  give data that differ by one common scalar factor [derived], so every scale-invariant quantity
  (the coherence :math:`\\sigma` in particular) is *identical* under both.
* :func:`signal_noise_batch` — the same model for many instances at once (shared :math:`\\mu`).
* :func:`linear_factors` — rank-one Hessian factors of the linear model on patch data.

Return types
------------
The samplers return plain ``float64`` arrays (rows = samples). To use a design as a family of rank-one
Hessians :math:`H_i = x_i x_i^\\top` wrap it: ``HessianFamily.from_factors(X)``; :func:`linear_factors`
does this when ``family=True``.

Random streams (reproducibility)
--------------------------------
One generator per call, drawn in a fixed order documented in each function. :func:`gaussian_batch`
draws the whole stack from **one** generator in C order, so instance ``k`` is the ``k``-th ``(n, d)``
block of that stream; drawing the stack in consecutive chunks from the same generator gives the same
numbers (used by :func:`rmtcheck.coherence_laws.coherence_distribution`).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from rmtcheck._lib.validation import as_finite_array, as_generator, check_int, check_positive

__all__ = [
    "PatchData", "NOISE_MODELS", "SNR_CONVENTIONS", "isotropic_gaussian", "anisotropic_gaussian",
    "haar_orthogonal", "gaussian_batch", "signal_noise_patches", "signal_noise_batch", "patch_scales",
]

#: Noise conventions of the patch model.
NOISE_MODELS = ("projected", "isotropic")
#: How the SNR is set: through ||mu|| at fixed sigma_p, or through sigma_p at fixed ||mu||.
SNR_CONVENTIONS = ("mu", "sigma")

_SYM_RTOL = 1e-10
_PSD_RTOL = 1e-10
_ORTH_TOL = 1e-8


# ----------------------------------------------------------------------------- Gaussian designs
def isotropic_gaussian(n: int, d: int, rng=None, scale: float = 1.0) -> np.ndarray:
    """Isotropic Gaussian design, rows :math:`x_i \\sim N(0, s^2 I_d)` i.i.d.

    Parameters
    ----------
    n, d : int
        Number of rows (samples) and dimension, both ``>= 1``.
    rng : seed or Generator
    scale : float
        Standard deviation :math:`s > 0` of every entry.

    Returns
    -------
    ndarray of shape (n, d)
        One ``standard_normal((n, d))`` draw times ``scale``.
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    s = check_positive(scale, "scale")
    return as_generator(rng).standard_normal((n, d)) * s


def haar_orthogonal(d: int, rng=None) -> np.ndarray:
    """A Haar-distributed orthogonal ``d x d`` matrix (QR of a Gaussian matrix with the sign fix
    :math:`Q \\leftarrow Q\\,\\operatorname{diag}(\\operatorname{sign} R_{ii})`; Mezzadri 2007)."""
    d = check_int(d, "d", 1)
    Z = as_generator(rng).standard_normal((d, d))
    Q, R = np.linalg.qr(Z)
    sgn = np.sign(np.diag(R))
    sgn[sgn == 0] = 1.0
    return Q * sgn


def _check_covariance(C, d: int | None) -> np.ndarray:
    C = as_finite_array(C, "covariance", ndim=2)
    if C.shape[0] != C.shape[1] or C.shape[0] < 1:
        raise ValueError(f"covariance must be a square (d, d) matrix with d >= 1; got shape {C.shape}")
    if d is not None and C.shape[0] != d:
        raise ValueError(f"covariance must have shape ({d}, {d}) to match d={d}; got {C.shape}")
    scale = max(float(np.max(np.abs(C))), np.finfo(float).tiny)
    asym = float(np.max(np.abs(C - C.T)))
    if asym > _SYM_RTOL * scale:
        raise ValueError(f"covariance must be symmetric; max |C - C^T| = {asym:.3g} (pass (C + C.T)/2)")
    return 0.5 * (C + C.T)


def anisotropic_gaussian(n: int, d: int, *, covariance=None, spectrum=None, basis=None, rng=None) -> np.ndarray:
    """Anisotropic Gaussian design, rows :math:`x_i \\sim N(0, \\Sigma)` i.i.d.

    .. math:: x_i = U \\Lambda^{1/2} z_i,\\qquad z_i \\sim N(0, I_d),\\qquad \\Sigma = U\\Lambda U^\\top .

    Parameters
    ----------
    n, d : int
        Rows and dimension (``>= 1``).
    covariance : array (d, d), optional
        A symmetric PSD :math:`\\Sigma` (checked: symmetric to ``1e-10`` relative, smallest eigenvalue
        ``>= -1e-10 * max|eig|``; round-off negatives are clipped to 0). Factored by ``eigh`` so singular
        covariances are fine.
    spectrum : array (d,), optional
        Eigenvalues :math:`\\Lambda` (finite, ``>= 0``) instead of ``covariance``; exactly one of the two.
    basis : None, "random" or array (d, d)
        Only with ``spectrum``: ``None`` for the standard basis (:math:`\\Sigma` diagonal), ``"random"`` for a
        Haar-random orthogonal :math:`U` (drawn from ``rng`` *before* the design), or an orthogonal matrix
        (:math:`\\|U^\\top U - I\\|_\\max \\le 10^{-8}`).
    rng : seed or Generator

    Returns
    -------
    ndarray of shape (n, d)
        Plain rows; wrap with ``HessianFamily.from_factors`` for rank-one Hessians :math:`x_ix_i^\\top`.
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    if (covariance is None) == (spectrum is None):
        raise ValueError("pass exactly one of covariance= (a (d, d) PSD matrix) or spectrum= (d eigenvalues)")
    rng = as_generator(rng)
    if covariance is not None:
        if basis is not None:
            raise ValueError("basis= is only used with spectrum=; a covariance already fixes its eigenbasis")
        C = _check_covariance(covariance, d)
        ev, U = np.linalg.eigh(C)
        top = max(float(np.max(np.abs(ev))), np.finfo(float).tiny)
        if ev[0] < -_PSD_RTOL * top:
            raise ValueError(
                f"covariance must be positive semi-definite; smallest eigenvalue {ev[0]:.3g} < 0")
        lam = np.clip(ev, 0.0, None)
    else:
        lam = as_finite_array(spectrum, "spectrum", ndim=1)
        if lam.shape != (d,):
            raise ValueError(f"spectrum must have {d} entries (one eigenvalue per dimension); got {lam.shape}")
        if np.any(lam < 0):
            raise ValueError(f"spectrum must be >= 0 (variances); smallest entry {lam.min():.3g}")
        if basis is None:
            U = None
        elif isinstance(basis, str):
            if basis != "random":
                raise ValueError(f"basis must be None, 'random' or an orthogonal (d, d) matrix; got {basis!r}")
            U = haar_orthogonal(d, rng)
        else:
            U = as_finite_array(basis, "basis", ndim=2)
            if U.shape != (d, d):
                raise ValueError(f"basis must have shape ({d}, {d}); got {U.shape}")
            err = float(np.max(np.abs(U.T @ U - np.eye(d))))
            if err > _ORTH_TOL:
                raise ValueError(f"basis must be orthogonal (max |U^T U - I| <= 1e-8); got {err:.3g}")
    Z = rng.standard_normal((n, d)) * np.sqrt(lam)
    return Z if U is None else Z @ U.T


def gaussian_batch(instances: int, n: int, d: int, rng=None, scale: float = 1.0) -> np.ndarray:
    """``instances`` independent isotropic designs, shape ``(instances, n, d)``.

    Drawn as **one** ``standard_normal((instances, n, d))`` call on one generator (C order), so the
    result is reproducible from the seed and instance ``k`` is the ``k``-th block of the stream; drawing
    the same total in consecutive chunks from the same generator yields identical numbers. (One
    generator rather than ``SeedSequence.spawn`` children: spawning 1000 generators costs more than the
    draw itself at small ``n d``.)
    """
    m = check_int(instances, "instances", 1)
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    s = check_positive(scale, "scale")
    out = as_generator(rng).standard_normal((m, n, d))
    if s != 1.0:
        out *= s
    return out


# ----------------------------------------------------------------------------- signal + noise patches
@dataclass(frozen=True)
class PatchData:
    """Signal-plus-noise patch data (stability brief Sec. 7, [reconstructed]).

    Attributes
    ----------
    X : ndarray (n, 2, d)
        ``X[:, 0] = y_clean * mu`` (signal patch), ``X[:, 1] = xi`` (noise patch).
    y : ndarray (n,)
        Observed labels in {-1, +1} (after flips).
    y_clean : ndarray (n,)
        Labels before flips (the signal patch carries these).
    flipped : ndarray (n,) of bool
    mu : ndarray (d,)
    sigma_p : float
    snr : float
        :math:`\\|\\mu\\|/(\\sigma_p\\sqrt d)`.
    noise : str
        ``"projected"`` or ``"isotropic"``.
    """

    X: np.ndarray
    y: np.ndarray
    y_clean: np.ndarray
    flipped: np.ndarray
    mu: np.ndarray
    sigma_p: float
    snr: float
    noise: str

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[2]

    @property
    def xi(self) -> np.ndarray:
        """The noise patches, ``(n, d)``."""
        return self.X[:, 1]


def _check_snr_args(n, d, snr, vary, mu_norm, sigma_p, flip, noise):
    n = check_int(n, "n", 1)
    d = check_int(d, "d", 2 if noise == "projected" else 1)
    snr = check_positive(snr, "snr")
    if vary not in SNR_CONVENTIONS:
        raise ValueError(f"vary must be one of {SNR_CONVENTIONS} ('mu': ||mu|| = snr sigma_p sqrt(d) at fixed "
                         f"sigma_p; 'sigma': sigma_p = ||mu||/(snr sqrt(d)) at fixed mu_norm); got {vary!r}")
    if noise not in NOISE_MODELS:
        raise ValueError(f"noise must be one of {NOISE_MODELS}; got {noise!r}")
    if isinstance(flip, bool) or not isinstance(flip, numbers.Real) or not np.isfinite(float(flip)) \
            or not 0.0 <= float(flip) < 0.5:
        raise ValueError(f"flip must be a label-flip probability in [0, 1/2); got {flip!r}")
    return n, d, snr, float(flip)


def patch_scales(d: int, snr: float, *, vary: str = "mu", mu_norm: float = 1.0, sigma_p: float = 1.0) -> tuple[float, float]:
    """``(||mu||, sigma_p)`` realising ``snr`` under the chosen convention [reconstructed, brief Sec. 7].

    .. math::

        \\text{vary="mu"}:\\ \\|\\mu\\| = \\mathrm{SNR}\\,\\sigma_p\\sqrt d;\\qquad
        \\text{vary="sigma"}:\\ \\sigma_p = \\frac{\\|\\mu\\|}{\\mathrm{SNR}\\sqrt d}.
    """
    d = check_int(d, "d", 1)
    snr = check_positive(snr, "snr")
    if vary == "mu":
        sp = check_positive(sigma_p, "sigma_p")
        return snr * sp * np.sqrt(d), sp
    if vary == "sigma":
        mn = check_positive(mu_norm, "mu_norm")
        return mn, mn / (snr * np.sqrt(d))
    raise ValueError(f"vary must be one of {SNR_CONVENTIONS}; got {vary!r}")


def _mu_vector(d: int, norm: float, mu) -> np.ndarray:
    if mu is None:
        u = np.zeros(d)
        u[0] = 1.0
    else:
        u = as_finite_array(mu, "mu", ndim=1)
        if u.shape != (d,):
            raise ValueError(f"mu (a direction) must have shape ({d},); got {u.shape}")
        nrm = float(np.linalg.norm(u))
        if nrm == 0.0:
            raise ValueError("mu must be a nonzero direction (it is rescaled to the norm the SNR requires)")
        u = u / nrm
    return norm * u


def _noise(z: np.ndarray, u: np.ndarray, sigma_p: float, noise: str) -> np.ndarray:
    """sigma_p * z (isotropic) or sigma_p * (z - (z.u) u) (projected), in place on ``z``."""
    if noise == "projected":
        z -= (z @ u)[..., None] * u
    z *= sigma_p
    return z


def signal_noise_patches(n, d, snr, *, vary="mu", mu_norm=1.0, sigma_p=1.0, flip=0.0,
                         noise="projected", mu=None, rng=None) -> PatchData:
    """Sample ``n`` signal-plus-noise examples (stability brief Sec. 7, [reconstructed]).

    .. math::

        x_i = [\\,y_i\\mu,\\ \\xi_i\\,],\\qquad y_i \\sim \\mathrm{Unif}\\{\\pm1\\},\\qquad
        \\mathrm{SNR} = \\frac{\\|\\mu\\|}{\\sigma_p\\sqrt d},

    :math:`\\xi_i \\sim N(0, \\sigma_p^2(I - \\mu\\mu^\\top/\\|\\mu\\|^2))` (``noise="projected"``) or
    :math:`N(0, \\sigma_p^2 I)` (``"isotropic"``). Observed labels are flipped independently with
    probability ``flip``; the signal patch carries the *clean* label.

    Parameters
    ----------
    n, d : int
        Samples (``>= 1``) and patch dimension (``>= 2`` for projected noise, else ``>= 1``).
    snr : float
        Target SNR ``> 0``.
    vary : {"mu", "sigma"}
        ``"mu"``: :math:`\\|\\mu\\| = \\mathrm{SNR}\\,\\sigma_p\\sqrt d` at the given ``sigma_p``
        (``mu_norm`` ignored); ``"sigma"``: :math:`\\sigma_p = \\|\\mu\\|/(\\mathrm{SNR}\\sqrt d)` at the given
        ``mu_norm`` (``sigma_p`` ignored).
    mu_norm, sigma_p : float
        The quantity held fixed (``> 0``).
    flip : float
        Label-flip probability in ``[0, 1/2)``.
    noise : {"projected", "isotropic"}
    mu : array (d,), optional
        Direction of :math:`\\mu` (rescaled to the required norm), e.g. a training set's ``mu`` so that a
        test set shares it. Default :math:`e_1`.
    rng : seed or Generator
        Draw order: ``y_clean`` (``integers``, n), flip uniforms (``random``, n; drawn even when
        ``flip = 0``, so the same seed gives the same ``y_clean`` and :math:`\\xi` for every ``flip``),
        then the noise (``standard_normal((n, d))``).

    Returns
    -------
    PatchData
    """
    n, d, snr, flip = _check_snr_args(n, d, snr, vary, mu_norm, sigma_p, flip, noise)
    norm, sp = patch_scales(d, snr, vary=vary, mu_norm=mu_norm, sigma_p=sigma_p)
    muv = _mu_vector(d, norm, mu)
    rng = as_generator(rng)
    y_clean = (2 * rng.integers(0, 2, n) - 1).astype(np.float64)
    flipped = rng.random(n) < flip
    y = np.where(flipped, -y_clean, y_clean)
    xi = _noise(rng.standard_normal((n, d)), muv / norm, sp, noise)
    X = np.empty((n, 2, d))
    X[:, 0] = y_clean[:, None] * muv
    X[:, 1] = xi
    return PatchData(X=X, y=y, y_clean=y_clean, flipped=flipped, mu=muv, sigma_p=float(sp),
                     snr=float(norm / (sp * np.sqrt(d))), noise=noise)


def signal_noise_batch(instances, n, d, snr, *, vary="mu", mu_norm=1.0, sigma_p=1.0, flip=0.0,
                       noise="projected", mu=None, rng=None, combine="sum") -> np.ndarray:
    """Rank-one factors of :func:`linear_factors` for ``instances`` independent patch data sets at once.

    Same model as :func:`signal_noise_patches` with one shared :math:`\\mu`; returns the factors
    (``combine="sum"``: :math:`y_i\\mu + \\xi_i`, shape ``(instances, n, d)``; ``"concat"``:
    :math:`[y_i\\mu, \\xi_i]`, shape ``(instances, n, 2d)``). Draw order: labels ``(instances, n)``, flip
    uniforms ``(instances, n)``, noise ``(instances, n, d)`` (one generator). Flips do not enter the
    factors (the signal patch carries the clean label) but are drawn to keep streams aligned.
    """
    m = check_int(instances, "instances", 1)
    n, d, snr, flip = _check_snr_args(n, d, snr, vary, mu_norm, sigma_p, flip, noise)
    if combine not in ("sum", "concat"):
        raise ValueError(f"combine must be 'sum' or 'concat'; got {combine!r}")
    norm, sp = patch_scales(d, snr, vary=vary, mu_norm=mu_norm, sigma_p=sigma_p)
    muv = _mu_vector(d, norm, mu)
    rng = as_generator(rng)
    y = (2 * rng.integers(0, 2, (m, n)) - 1).astype(np.float64)
    rng.random((m, n))
    xi = _noise(rng.standard_normal((m, n, d)), muv / norm, sp, noise)
    if combine == "sum":
        xi += y[..., None] * muv
        return xi
    return np.concatenate([y[..., None] * muv, xi], axis=-1)


