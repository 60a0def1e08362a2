"""One folder per paper (a verify group): its statements, experiments, figures and whatever is its own.

=================  =========================================================================================
``dexter``         Dexter et al. (2024), SGD stability and coherence [dexter2024]: Theorem 1/2 statements,
                   the Hessian-test grid (Fig. 1) and its figure.
``chang_khanna``   Chang & Khanna (2026), descent–ascent unlearning [changkhanna2026]: constructions,
                   statements, the unlearning grids and figures.
``ascent``         "Ascent Fails to Forget" [mavrothalassitis2025]: logistic-regression descent–ascent,
                   closed forms, statements and figures.
``cnn``            A two-layer ReLU CNN trained on signal-plus-noise patches: model, training, unlearning
                   grid, statements and figures.
``rmt``            Random-matrix facts behind coherence and SNR: statements, experiments and figures.
``spectral``       Heavy-tailed layer spectra and SRAGU: the MLP, the AGU/SRAGU algorithm, its
                   evaluation harness, statements and figures.
=================  =========================================================================================

Each study may contain ``statements.py`` (registered with :func:`rmtcheck.verify.register`; discovered
by :func:`rmtcheck.verify.registry`), ``figures.py`` (registered with :func:`rmtcheck.plotting.figure`;
discovered by :func:`rmtcheck.plotting.figures`) and ``experiments.py`` (data behind the figures, the sweep
cells and the one quick preset of each grid). A study's ``__init__`` may declare ``SWEEPS``, a tuple of
``(name, "module:cells", "module:cell", description)`` records that :func:`rmtcheck.sweep.sweeps`
registers without importing the experiment. Imports point down only: a study imports
:mod:`rmtcheck.stability`, :mod:`rmtcheck.randmat`, :mod:`rmtcheck._lib`, the record modules
:mod:`rmtcheck.verify.statement`, :mod:`rmtcheck.plotting.registry` and the sweep engine, and (Chang &
Khanna build on Dexter) an earlier study.
"""

import importlib
import importlib.util
import pkgutil

__all__ = ["STUDIES", "load"]

_ORDER = ("dexter", "chang_khanna", "ascent", "spectral", "cnn", "rmt", "real_models")
#: The study folders, in the order their verify groups, figures and sweeps are listed: the built-in ones
#: first, then any other folder here (a new study needs no registration), alphabetically.
STUDIES = tuple(sorted((m.name for m in pkgutil.iter_modules(__path__) if m.ispkg),
                       key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name)))


def load(part: str) -> list:
    """Import ``rmtcheck.studies.<study>.<part>`` for every study that has one (in :data:`STUDIES` order).

    Parameters
    ----------
    part : str
        ``"statements"`` or ``"figures"`` (importing them registers their records), or ``""`` for the
        study packages themselves (whose ``SWEEPS`` the sweep registry reads).

    Returns
    -------
    list of module
        The imported modules, in :data:`STUDIES` order (studies without ``part`` are skipped).

    See Also
    --------
    rmtcheck.verify.catalog.registry : loads the ``statements``.
    rmtcheck.plotting.figures : loads the ``figures``.

    Examples
    --------
    >>> [m.__name__ for m in load("statements")][:2]
    ['rmtcheck.studies.dexter.statements', 'rmtcheck.studies.chang_khanna.statements']
    """
    out = []
    for study in STUDIES:
        name = f"{__name__}.{study}" + (f".{part}" if part else "")
        if importlib.util.find_spec(name) is not None:
            out.append(importlib.import_module(name))
    return out
