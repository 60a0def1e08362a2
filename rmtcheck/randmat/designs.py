"""Random designs: Gaussian designs and the signal-plus-noise patch model.

Everything here takes ``rng`` (``None``, an int seed, a ``SeedSequence`` or a ``Generator``, as in
Scientific Python SPEC 7; see :func:`rmtcheck._lib.validation.as_generator`) and is vectorised (no
Python loop over samples or instances).

.. rubric:: Gaussian designs

* :func:`isotropic_gaussian` — rows :math:`x_i \\sim N(0, s^2 I_d)`, an ``(n, d)`` array.
* :func:`anisotropic_gaussian` — rows :math:`x_i \\sim N(0, \\Sigma)` with :math:`\\Sigma` given as a PSD
  matrix or as eigenvalues in the standard, a Haar-random or a given orthonormal basis; ``(n, d)``.
* :func:`haar_orthogonal` — a Haar-random orthogonal matrix (the random basis above).
* :func:`gaussian_batch` — ``instances`` independent isotropic designs at once, ``(instances, n, d)``.

.. rubric:: Signal-plus-noise patches

* :func:`signal_noise_patches` (returns a :class:`PatchData`) — the two-patch data of the
  benign-overfitting analyses of two-layer convolutional networks [1]_, [2]_, the setting of the
  SNR–coherence claim of [3]_ [reconstructed]: :math:`x = [x^{(1)}, x^{(2)}]`, :math:`x^{(1)} = y\\mu`,
  :math:`x^{(2)} = \\xi`, with

  .. math::

      \\mathrm{SNR} = \\frac{\\|\\mu\\|}{\\sigma_p\\sqrt d},\\qquad
      \\xi \\sim N\\big(0, \\sigma_p^2 (I - \\mu\\mu^\\top/\\|\\mu\\|^2)\\big)\\ (\\text{"projected"})
      \\ \\text{or}\\ N(0, \\sigma_p^2 I)\\ (\\text{"isotropic"}).

  The SNR is set either through :math:`\\|\\mu\\|` at fixed :math:`\\sigma_p` (``vary="mu"``) or through
  :math:`\\sigma_p` at fixed :math:`\\|\\mu\\|` (``vary="sigma"``); :func:`patch_scales` gives the pair
  :math:`(\\|\\mu\\|, \\sigma_p)`. With the same seed the two conventions give data that differ by one
  common scalar factor [derived]: with :math:`u = \\mu/\\|\\mu\\|` and the labels and standard normal
  draws :math:`z` fixed by the seed, both produce
  :math:`\\sigma_p\\,[\\,y\\,\\mathrm{SNR}\\sqrt d\\,u,\\ (I - uu^\\top)z\\,]` (isotropic noise: :math:`z`), which
  depends on the convention only through the factor :math:`\\sigma_p`. So every
  scale-invariant quantity (the coherence :math:`\\sigma` in particular) is *identical* under both
  (checked by ``test_snr_conventions_give_proportional_data`` in ``tests/randmat/test_rmt_designs.py``
  and by the verified statement ``rmt.snr_convention_invariance``).
* :func:`signal_noise_batch` — the rank-one factors of the same model for many instances at once
  (shared :math:`\\mu`).

.. rubric:: Return types

The samplers return plain ``float64`` arrays (rows = samples). To use a design as a family of rank-one
Hessians :math:`H_i = x_i x_i^\\top` wrap it: ``HessianFamily.from_factors(X)``; the per-sample factors
of the linear model on patch data are :func:`rmtcheck.randmat.families.linear_factors`.

.. rubric:: Random streams (reproducibility)

One generator per call, drawn in a fixed order documented in each function. :func:`gaussian_batch`
draws the whole stack from **one** generator in C order, so instance ``k`` is the ``k``-th ``(n, d)``
block of that stream; drawing the stack in consecutive chunks from the same generator gives the same
numbers (used by :func:`rmtcheck.randmat.coherence_distribution.coherence_distribution`).

References
----------
.. [1] Y. Cao, Z. Chen, M. Belkin and Q. Gu (2022), "Benign overfitting in two-layer convolutional
   neural networks", Advances in Neural Information Processing Systems (NeurIPS) (not in
   ``paper/references.bib``).
.. [2] Y. Kou, Z. Chen, Y. Chen and Q. Gu (2023), "Benign overfitting in two-layer ReLU convolutional
   neural networks", International Conference on Machine Learning (ICML) (not in
   ``paper/references.bib``).
.. [3] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026], headline claim (b) (lower SNR, lower coherence).
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
    rng : None, int, SeedSequence or Generator, optional
        Source of randomness.
    scale : float, default 1.0
        Standard deviation :math:`s > 0` of every entry.

    Returns
    -------
    ndarray of shape (n, d)
        One ``standard_normal((n, d))`` draw times ``scale``.

    Raises
    ------
    ValueError
        If ``n`` or ``d`` is not an integer ``>= 1``, ``scale`` is not finite and ``> 0``, or ``rng`` is
        not a valid seed or generator.

    See Also
    --------
    anisotropic_gaussian : General covariance.
    gaussian_batch : Many independent designs in one draw.

    Examples
    --------
    >>> X = isotropic_gaussian(1000, 2, rng=0, scale=3.0)
    >>> X.shape, [round(float(s), 2) for s in X.std(axis=0)]
    ((1000, 2), [3.06, 2.94])
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    s = check_positive(scale, "scale")
    return as_generator(rng).standard_normal((n, d)) * s


def haar_orthogonal(d: int, rng=None) -> np.ndarray:
    """A Haar-distributed random orthogonal ``d x d`` matrix.

    QR decomposition of a ``d x d`` standard Gaussian matrix with the sign fix
    :math:`Q \\leftarrow Q\\,\\operatorname{diag}(\\operatorname{sign} R_{ii})`, which makes the law of
    :math:`Q` exactly Haar [1]_ (without it, LAPACK's sign convention biases the distribution).

    Parameters
    ----------
    d : int
        Dimension, ``>= 1``.
    rng : None, int, SeedSequence or Generator, optional
        Source of randomness (one ``standard_normal((d, d))`` draw).

    Returns
    -------
    ndarray of shape (d, d)
        Orthogonal matrix :math:`Q` (:math:`Q^\\top Q = I` to round-off).

    Raises
    ------
    ValueError
        If ``d`` is not an integer ``>= 1`` or ``rng`` is invalid.

    References
    ----------
    .. [1] F. Mezzadri (2007), "How to generate random matrices from the classical compact groups",
       Notices of the American Mathematical Society 54(5), 592–604 (not in ``paper/references.bib``).

    Examples
    --------
    >>> import numpy as np
    >>> Q = haar_orthogonal(4, rng=0)
    >>> bool(np.allclose(Q.T @ Q, np.eye(4)))
    True
    """
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
    covariance : array_like, shape (d, d), optional
        A symmetric PSD :math:`\\Sigma` (checked: symmetric to ``1e-10`` relative, smallest eigenvalue
        ``>= -1e-10 * max|eig|``; round-off negatives are clipped to 0). Factored by ``eigh`` so singular
        covariances are fine.
    spectrum : array_like, shape (d,), optional
        Eigenvalues :math:`\\Lambda` (finite, ``>= 0``) instead of ``covariance``; exactly one of the two.
    basis : None, "random" or array_like of shape (d, d), optional
        Only with ``spectrum``: ``None`` for the standard basis (:math:`\\Sigma` diagonal), ``"random"`` for a
        Haar-random orthogonal :math:`U` (:func:`haar_orthogonal`, drawn from ``rng`` *before* the design),
        or an orthogonal matrix (:math:`\\|U^\\top U - I\\|_\\max \\le 10^{-8}`).
    rng : None, int, SeedSequence or Generator, optional
        Source of randomness; the design is one ``standard_normal((n, d))`` draw.

    Returns
    -------
    ndarray of shape (n, d)
        Plain rows; wrap with ``HessianFamily.from_factors`` for rank-one Hessians :math:`x_ix_i^\\top`.

    Raises
    ------
    ValueError
        If not exactly one of ``covariance`` and ``spectrum`` is given; if ``covariance`` is not a finite
        square ``(d, d)`` matrix, not symmetric or not positive semi-definite; if ``basis`` is combined with
        ``covariance``; if ``spectrum`` does not have ``d`` finite entries ``>= 0``; if ``basis`` is neither
        ``None``, ``"random"`` nor an orthogonal ``(d, d)`` matrix; or if ``n``, ``d`` or ``rng`` is
        invalid.

    See Also
    --------
    isotropic_gaussian : :math:`\\Sigma = s^2 I`.
    rmtcheck.randmat.coherence_predictions.effective_dimension : Sets the coherence floor of such rows.

    Examples
    --------
    >>> import numpy as np
    >>> X = anisotropic_gaussian(2000, 3, spectrum=[4.0, 1.0, 0.25], rng=0)
    >>> print(np.round(X.var(axis=0), 2))
    [4.07 0.96 0.25]

    In a Haar-random basis the sample covariance has the same eigenvalues (up to sampling error):

    >>> X = anisotropic_gaussian(2000, 3, spectrum=[4.0, 1.0, 0.25], basis="random", rng=0)
    >>> print(np.round(np.linalg.eigvalsh(np.cov(X.T, bias=True)), 2))
    [0.25 0.96 4.07]
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

    Parameters
    ----------
    instances : int
        Number of designs, ``>= 1``.
    n, d : int
        Rows and dimension of each design, ``>= 1``.
    rng : None, int, SeedSequence or Generator, optional
        Source of randomness.
    scale : float, default 1.0
        Standard deviation of every entry, ``> 0``.

    Returns
    -------
    ndarray of shape (instances, n, d)

    Raises
    ------
    ValueError
        If ``instances``, ``n`` or ``d`` is not an integer ``>= 1``, ``scale`` is not finite and ``> 0``,
        or ``rng`` is invalid.

    See Also
    --------
    isotropic_gaussian : One design.

    Examples
    --------
    >>> import numpy as np
    >>> B = gaussian_batch(3, 4, 2, rng=0)
    >>> B.shape, bool(np.array_equal(B[0], isotropic_gaussian(4, 2, rng=0)))
    ((3, 4, 2), True)
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
    """Signal-plus-noise patch data set, as returned by :func:`signal_noise_patches` [reconstructed].

    Frozen (immutable) dataclass; the model and its sources are in the module docstring.

    Attributes
    ----------
    X : ndarray of shape (n, 2, d)
        ``X[:, 0] = y_clean * mu`` (signal patch), ``X[:, 1] = xi`` (noise patch).
    y : ndarray of shape (n,)
        Observed labels in {-1, +1} (after flips).
    y_clean : ndarray of shape (n,)
        Labels before flips (the signal patch carries these).
    flipped : ndarray of shape (n,), bool
        Which labels were flipped.
    mu : ndarray of shape (d,)
        The signal vector :math:`\\mu`.
    sigma_p : float
        Noise scale :math:`\\sigma_p`.
    snr : float
        :math:`\\|\\mu\\|/(\\sigma_p\\sqrt d)`, recomputed from ``mu`` and ``sigma_p``.
    noise : str
        ``"projected"`` or ``"isotropic"``.
    n, d : int
        Number of samples and patch dimension (properties).
    xi : ndarray of shape (n, d)
        The noise patches ``X[:, 1]`` (property).

    See Also
    --------
    rmtcheck.randmat.families.linear_factors : Rank-one Hessian factors of the linear model on this data.
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
        """Number of samples."""

        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Patch dimension."""

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
    """``(||mu||, sigma_p)`` realising ``snr`` under the chosen convention [reconstructed].

    .. math::

        \\text{vary="mu"}:\\ \\|\\mu\\| = \\mathrm{SNR}\\,\\sigma_p\\sqrt d;\\qquad
        \\text{vary="sigma"}:\\ \\sigma_p = \\frac{\\|\\mu\\|}{\\mathrm{SNR}\\sqrt d},

    the SNR being :math:`\\|\\mu\\|/(\\sigma_p\\sqrt d)` of [1]_.

    Parameters
    ----------
    d : int
        Patch dimension, ``>= 1``.
    snr : float
        Target SNR, ``> 0``.
    vary : {"mu", "sigma"}, default "mu"
        Which quantity realises the SNR; the other one is held fixed.
    mu_norm : float, default 1.0
        :math:`\\|\\mu\\|` held fixed when ``vary="sigma"`` (ignored otherwise).
    sigma_p : float, default 1.0
        :math:`\\sigma_p` held fixed when ``vary="mu"`` (ignored otherwise).

    Returns
    -------
    mu_norm, sigma_p : float
        The pair :math:`(\\|\\mu\\|, \\sigma_p)`.

    Raises
    ------
    ValueError
        If ``d`` is not an integer ``>= 1``, ``snr`` or the fixed quantity is not finite and ``> 0``, or
        ``vary`` is not in :data:`SNR_CONVENTIONS`.

    References
    ----------
    .. [1] Y. Cao, Z. Chen, M. Belkin and Q. Gu (2022), "Benign overfitting in two-layer convolutional
       neural networks", Advances in Neural Information Processing Systems (NeurIPS) (not in
       ``paper/references.bib``).

    Examples
    --------
    >>> print("{:.2f} {:.2f}".format(*patch_scales(100, 0.5)))
    5.00 1.00
    >>> print("{:.2f} {:.2f}".format(*patch_scales(100, 0.5, vary="sigma", mu_norm=2.0)))
    2.00 0.40
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
    """Sample ``n`` signal-plus-noise examples [reconstructed].

    .. math::

        x_i = [\\,y_i\\mu,\\ \\xi_i\\,],\\qquad y_i \\sim \\mathrm{Unif}\\{\\pm1\\},\\qquad
        \\mathrm{SNR} = \\frac{\\|\\mu\\|}{\\sigma_p\\sqrt d},

    :math:`\\xi_i \\sim N(0, \\sigma_p^2(I - \\mu\\mu^\\top/\\|\\mu\\|^2))` (``noise="projected"``) or
    :math:`N(0, \\sigma_p^2 I)` (``"isotropic"``). Observed labels are flipped independently with
    probability ``flip``; the signal patch carries the *clean* label. The model follows [1]_, [2]_; it is
    the setting of the SNR–coherence claim of [3]_.

    Parameters
    ----------
    n, d : int
        Samples (``>= 1``) and patch dimension (``>= 2`` for projected noise, else ``>= 1``).
    snr : float
        Target SNR ``> 0``.
    vary : {"mu", "sigma"}, default "mu"
        ``"mu"``: :math:`\\|\\mu\\| = \\mathrm{SNR}\\,\\sigma_p\\sqrt d` at the given ``sigma_p``
        (``mu_norm`` ignored); ``"sigma"``: :math:`\\sigma_p = \\|\\mu\\|/(\\mathrm{SNR}\\sqrt d)` at the given
        ``mu_norm`` (``sigma_p`` ignored). Same seed, same data up to one common factor (module
        docstring).
    mu_norm, sigma_p : float, default 1.0
        The quantity held fixed (``> 0``).
    flip : float, default 0.0
        Label-flip probability in ``[0, 1/2)``.
    noise : {"projected", "isotropic"}, default "projected"
        Noise model (:data:`NOISE_MODELS`).
    mu : array_like of shape (d,), optional
        Direction of :math:`\\mu` (rescaled to the required norm), e.g. a training set's ``mu`` so that a
        test set shares it. Default :math:`e_1`.
    rng : None, int, SeedSequence or Generator, optional
        Draw order: ``y_clean`` (``integers``, n), flip uniforms (``random``, n; drawn even when
        ``flip = 0``, so the same seed gives the same ``y_clean`` and :math:`\\xi` for every ``flip``),
        then the noise (``standard_normal((n, d))``).

    Returns
    -------
    PatchData

    Raises
    ------
    ValueError
        If ``n``, ``d`` or ``snr`` is out of range, ``vary`` is not in :data:`SNR_CONVENTIONS`, ``noise``
        is not in :data:`NOISE_MODELS`, ``flip`` is not in ``[0, 1/2)``, the fixed ``mu_norm`` or
        ``sigma_p`` is not finite and ``> 0``, ``mu`` is not a nonzero finite vector of length ``d``, or
        ``rng`` is invalid.

    See Also
    --------
    signal_noise_batch : Many instances at once (factors only).
    rmtcheck.randmat.families.linear_factors : Per-sample Hessian factors :math:`y_i\\mu + \\xi_i`.

    References
    ----------
    .. [1] Y. Cao, Z. Chen, M. Belkin and Q. Gu (2022), "Benign overfitting in two-layer convolutional
       neural networks", Advances in Neural Information Processing Systems (NeurIPS) (not in
       ``paper/references.bib``).
    .. [2] Y. Kou, Z. Chen, Y. Chen and Q. Gu (2023), "Benign overfitting in two-layer ReLU convolutional
       neural networks", International Conference on Machine Learning (ICML) (not in
       ``paper/references.bib``).
    .. [3] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
       arXiv:2602.02986 [changkhanna2026], headline claim (b).

    Examples
    --------
    >>> import numpy as np
    >>> p = signal_noise_patches(8, 50, 0.1, rng=0)
    >>> p.X.shape, round(p.snr, 4), round(float(np.linalg.norm(p.mu)), 4)
    ((8, 2, 50), 0.1, 0.7071)
    >>> p.y.astype(int).tolist()
    [1, 1, 1, -1, -1, -1, -1, -1]
    >>> bool(np.all(p.xi @ p.mu == 0))  # projected noise is orthogonal to mu
    True

    Varying :math:`\\sigma_p` instead of :math:`\\|\\mu\\|` gives the same data up to one factor:

    >>> q = signal_noise_patches(8, 50, 0.1, vary="sigma", mu_norm=1.0, rng=0)
    >>> round(q.sigma_p, 4), bool(np.allclose(q.X, p.X / p.sigma_p * q.sigma_p))
    (1.4142, True)
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
    """Rank-one linear-model factors for ``instances`` independent patch data sets at once.

    Same model as :func:`signal_noise_patches` with one shared :math:`\\mu`; returns the factors of
    :func:`rmtcheck.randmat.families.linear_factors` (``combine="sum"``: :math:`y_i\\mu + \\xi_i`, shape
    ``(instances, n, d)``; ``"concat"``: :math:`[y_i\\mu, \\xi_i]`, shape ``(instances, n, 2d)``). Draw
    order: labels ``(instances, n)``, flip uniforms ``(instances, n)``, noise ``(instances, n, d)`` (one
    generator). Flips do not enter the factors (the signal patch carries the clean label) but are drawn
    to keep streams aligned.

    Parameters
    ----------
    instances : int
        Number of independent data sets, ``>= 1``.
    n, d, snr, vary, mu_norm, sigma_p, flip, noise, mu, rng : see signal_noise_patches
        As in :func:`signal_noise_patches` (same defaults).
    combine : {"sum", "concat"}, default "sum"
        How the two patches form the factor.

    Returns
    -------
    ndarray of shape (instances, n, d) or (instances, n, 2d)

    Raises
    ------
    ValueError
        As :func:`signal_noise_patches`, and if ``instances`` is not an integer ``>= 1`` or ``combine`` is
        not ``"sum"`` or ``"concat"``.

    See Also
    --------
    rmtcheck.randmat.coherence_distribution.coherence_distribution : Uses this for ``design="patch"``.

    Examples
    --------
    >>> signal_noise_batch(100, 8, 50, 0.1, rng=0).shape
    (100, 8, 50)
    >>> signal_noise_batch(100, 8, 50, 0.1, rng=0, combine="concat").shape
    (100, 8, 100)
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


