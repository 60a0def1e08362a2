"""``rmtcheck spectrum FILE.npy|.npz [--json]``: heavy-tailed layer-spectrum diagnostic.

A ``.npy`` file holds one 2-D weight matrix or a 3-D stack of them; a ``.npz`` file holds named
arrays (1-D arrays such as biases are skipped, arrays with ``ndim > 2`` are reshaped to
``(shape[0], -1)``). Prints a table, or with ``--json`` one record per layer with the keys ``alpha``,
``xmin``, ``ks_distance``, ``n_tail``, ``alpha_stderr``, ``flag``, ``stable_rank``, ``mp_edge``,
``n_spikes`` (and more; see :meth:`rmtcheck.spectral.LayerSpectrum.record`).
"""

from __future__ import annotations

import json

from rmtcheck.cli._inputs import _int, load_arrays, seed_int


def add_parser(subparsers):
    p = subparsers.add_parser(
        "spectrum",
        help="ESD, Marchenko-Pastur fit and power-law exponent of weight matrices in a .npy/.npz file",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument("file", help="a .npy (matrix or stack of matrices) or .npz (named arrays) file")
    p.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    p.add_argument("--min-tail", type=_min_tail, default=50, help="minimum power-law tail size (default 50)")
    p.add_argument("--convention", choices=("ww", "hill"), default="ww", help="tail counting convention")
    p.add_argument("--ecdf", choices=("two-sided", "left"), default="two-sided",
                   help="KS convention ('left' reproduces the powerlaw package)")
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


def run(args) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck.randmat.spectral import diagnose_layers, spectrum_table

    layers = load_arrays(args.file, "FILE")
    try:
        results = diagnose_layers(layers, rng=args.seed, min_tail=args.min_tail, convention=args.convention,
                                  ecdf=args.ecdf, bootstrap=args.bootstrap, normalize=args.normalize,
                                  method=args.method)
    except ValueError as exc:  # name the file: the library names only the layer
        raise ValueError(f"FILE {args.file!r}: {exc}") from None
    if args.json:
        print(json.dumps(jsonable([r.record() for r in results]), indent=2))
    else:
        print(spectrum_table(results))
        print("\nflags are WeightWatcher's heuristic bands (alpha<2 over-trained, >6 under-trained), not theorems")
    return 0
