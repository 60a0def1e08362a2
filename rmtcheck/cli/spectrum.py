"""``rmtcheck spectrum FILE [--json]``: heavy-tailed layer-spectrum diagnostic.

FILE is a ``.npy`` (one 2-D weight matrix or a 3-D stack of them), a ``.npz`` (named arrays), a
``.safetensors`` file (read without torch) or a PyTorch state dict ``.pt``/``.pth`` (loaded with
``weights_only=True``; needs torch). 1-D arrays such as biases are skipped; conv kernels are read as
WeightWatcher reads them, one matrix per receptive-field position (``--conv flatten`` reshapes them to
``(shape[0], -1)``); layers with fewer than ``--min-evals`` eigenvalues are listed as skipped, with the
reason. Prints a table and the model summary, or with ``--json`` one record per layer (this package's keys and
WeightWatcher's column names: ``alpha``, ``xmin``, ``D``, ``sigma``, ``num_pl_spikes``, ``num_evals``,
``warning``, ``log_norm``, ``spectral_norm``, ``stable_rank``, ``mp_softrank``, ``matrix_rank``,
``entropy``, ...; see :meth:`rmtcheck.randmat.spectral.LayerSpectrum.record`); ``--json --summary`` prints
``{"layers": [...], "summary": {...}}``.

WeightWatcher's fit options, off by default as in WeightWatcher: ``--xmax K`` leaves the top ``|K|`` eigenvalues of
each layer out of the fit (a layer with fewer than ``2|K|`` is skipped, with the reason); ``--fix-fingers xmin_peak``
restricts x_min to WeightWatcher's window below 1.5 times the peak of the log-ESD histogram (``--xmin-max`` moves its
upper end); ``--fix-fingers clip_xmax`` removes up to ``--max-fingers`` - 1 top outliers ("fingers") when that lowers
alpha by more than 1 (columns ``num_fingers``, ``raw_alpha``); ``--randomize`` adds WeightWatcher's randomised-ESD
columns (``rand_distance``, ``ww_softrank``, ``ww_maxdist``, ``max_rand_eval``, ``rand_num_spikes``,
``rand_mp_softrank``, ...; entries permuted with ``--seed``). :mod:`rmtcheck.randmat._fingers` and
:mod:`rmtcheck.randmat._ww_randomize` state WeightWatcher's rules and where this package departs from them.
"""

from __future__ import annotations

import json
import sys

from rmtcheck.cli._inputs import _int, load_arrays, seed_int


def add_parser(subparsers):
    p = subparsers.add_parser(
        "spectrum",
        help="ESD, Marchenko-Pastur fit and power-law exponent of the weight matrices of a .npy, .npz, .safetensors "
             "or .pt file",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument("file", help="a .npy (matrix or stack), .npz (named arrays), .safetensors or .pt/.pth state dict")
    p.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    p.add_argument("--summary", action="store_true",
                   help="with --json: print {layers, summary} (the table always ends with the model summary)")
    p.add_argument("--conv", choices=("slices", "flatten"), default="slices",
                   help="conv kernels: one matrix per receptive-field position (WeightWatcher, default) or reshaped")
    p.add_argument("--plot", metavar="DIR", help="write a figure per fitted layer to DIR (log-log ESD with the fit and "
                   "the MP edge, alpha against x_min; PNG, PDF and the data as NPZ/CSV)")
    p.add_argument("--best-fit", action="store_true",
                   help="also compare the tail with the truncated power law, lognormal and exponential (Vuong's "
                        "likelihood-ratio test) and report best_fit with its p-value (0.1-1 s a layer)")
    p.add_argument("--min-evals", type=_min_evals, default=10,
                   help="skip (and list) layers with fewer eigenvalues (default 10)")
    p.add_argument("--max-evals", type=_min_evals, default=None, help="skip (and list) layers with more eigenvalues")
    p.add_argument("--estimator", choices=("ww", "strict"), default="ww",
                   help="power-law fit: WeightWatcher's WWFit (default) or the stricter fit (tail >= 50, two-sided KS, "
                        "relative cut)")
    p.add_argument("--min-tail", type=_min_tail, default=None,
                   help="minimum power-law tail size (default: the estimator's, 2 for ww, 50 for strict)")
    p.add_argument("--convention", choices=("ww", "hill"), default=None, help="tail counting convention (default ww)")
    p.add_argument("--ecdf", choices=("two-sided", "left"), default=None,
                   help="KS convention (default: the estimator's; 'left' is WeightWatcher's and the powerlaw package's)")
    p.add_argument("--xmax", type=_xmax, default=None, metavar="K",
                   help="leave the top |K| eigenvalues of each layer out of the fit (WeightWatcher's xmax=-K; default: "
                        "none left out)")
    p.add_argument("--fix-fingers", choices=("xmin_peak", "clip_xmax"), default=None,
                   help="WeightWatcher's finger fixes (default off): xmin_peak scans x_min only up to 1.5 times the "
                        "log-ESD histogram peak; clip_xmax drops up to --max-fingers - 1 top eigenvalues when that "
                        "lowers alpha by more than 1")
    p.add_argument("--max-fingers", type=_max_fingers, default=None,
                   help="with --fix-fingers clip_xmax: fits without the top 2 .. N-1 eigenvalues are tried (default 10, "
                        "WeightWatcher's)")
    p.add_argument("--xmin-max", type=_xmin_max, default=None, metavar="X",
                   help="with --fix-fingers xmin_peak: upper end of the x_min window (default 1.5 times the peak)")
    p.add_argument("--randomize", action="store_true",
                   help="also WeightWatcher's randomised-ESD columns (entries permuted, seeded by --seed): "
                        "rand_distance, ww_softrank, ww_maxdist, max_rand_eval, rand_num_spikes, rand_mp_softrank, ...")
    p.add_argument("--bootstrap", type=_nonneg, default=200, help="bootstrap replicates for the alpha CI (0: none)")
    p.add_argument("--normalize", action="store_true", help="ESD of W^T W / N instead of W^T W")
    p.add_argument("--method", choices=("gram", "svd"), default="gram", help="how eigenvalues are computed")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the bootstrap")
    p.set_defaults(func=run)
    return p


def _min_tail(text: str) -> int:
    return _int(text, 2, ">= 2")


def _nonneg(text: str) -> int:
    return _int(text, 0, ">= 0")


def _min_evals(text: str) -> int:
    return _int(text, 10, ">= 10")


def _max_fingers(text: str) -> int:
    return _int(text, 3, ">= 3")


def _xmax(text: str) -> int:
    import argparse

    try:
        v = int(text)
    except ValueError:
        v = 0
    if v == 0:
        raise argparse.ArgumentTypeError(f"must be a nonzero integer K (the top |K| eigenvalues are left out of the "
                                         f"fit); got {text!r}")
    return v


def _xmin_max(text: str) -> float:
    import argparse
    import math

    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return v


def _layers(path: str):
    from pathlib import Path

    if Path(path).suffix.lower() in (".safetensors", ".pt", ".pth"):
        from rmtcheck.curvature import load_state_dict

        try:
            return load_state_dict(path)
        except (ImportError, FileNotFoundError) as exc:
            raise ValueError(f"FILE {path!r}: {exc}") from None
    return load_arrays(path, "FILE")


def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck.randmat.spectral import diagnose_layers, spectrum_summary, spectrum_table

    if args.xmax is not None and args.fix_fingers:
        raise ValueError("--xmax cannot be combined with --fix-fingers (WeightWatcher refuses the pair too): drop one")
    if args.max_fingers is not None and args.fix_fingers != "clip_xmax":
        raise ValueError("--max-fingers applies only with --fix-fingers clip_xmax: add that or drop --max-fingers")
    if args.xmin_max is not None and args.fix_fingers != "xmin_peak":
        raise ValueError("--xmin-max applies only with --fix-fingers xmin_peak: add that or drop --xmin-max")
    layers = _layers(args.file)
    try:
        results = diagnose_layers(layers, rng=args.seed, min_tail=args.min_tail, convention=args.convention,
                                  ecdf=args.ecdf, bootstrap=args.bootstrap, normalize=args.normalize,
                                  method=args.method, conv=args.conv, min_evals=args.min_evals,
                                  max_evals=args.max_evals, estimator=args.estimator, best_fit=args.best_fit,
                                  xmax=args.xmax, fix_fingers=args.fix_fingers, xmin_max=args.xmin_max,
                                  max_fingers=10 if args.max_fingers is None else args.max_fingers,
                                  randomize=args.randomize)
    except ValueError as exc:  # name the file: the library names only the layer
        raise ValueError(f"FILE {args.file!r}: {exc}") from None
    records = [r.record() for r in results]
    if args.plot:
        from rmtcheck.plotting.layer_spectra import plot_layers

        written = plot_layers(results, args.plot)
        print(f"wrote {len(written) // 3} layer figures to {args.plot}", file=sys.stderr)
    if args.json:
        out = {"layers": records, "summary": spectrum_summary(results)} if args.summary else records
        print(json.dumps(jsonable(out), indent=2))
    else:
        print(spectrum_table(results))
        s = spectrum_summary(results)
        fmt = lambda v: "n/a" if v != v else f"{v:.3f}"  # noqa: E731  (NaN when no layer was fitted)
        print(f"\nsummary: {s['n_fitted']} of {s['n_layers']} layers fitted ({s['n_skipped']} skipped); mean alpha "
              f"{fmt(s['alpha'])}, alpha_weighted {fmt(s['alpha_weighted'])}, log_norm {fmt(s['log_norm'])}, "
              f"log_spectral_norm {fmt(s['log_spectral_norm'])}, stable_rank {fmt(s['stable_rank'])}")
        if "rand_distance" in s:
            print(f"randomized ESD (means): rand_distance {fmt(s['rand_distance'])}, ww_softrank "
                  f"{fmt(s['ww_softrank'])}, ww_maxdist {fmt(s['ww_maxdist'])}, rand_mp_softrank "
                  f"{fmt(s['rand_mp_softrank'])}, rand_num_spikes {fmt(s['rand_num_spikes'])}")
        print("flags are WeightWatcher's heuristic bands (alpha<2 over-trained, >6 under-trained), not theorems")
    return 0
