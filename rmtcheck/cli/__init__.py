"""Command-line interface: ``rmtcheck COMMAND ...`` (also ``python -m rmtcheck``).

Each sub-command lives in a module of this package exposing ``add_parser(subparsers)``; the parser's
``func(args) -> int`` is the command. :data:`COMMANDS` lists them with their one-line help, so that
``rmtcheck --help`` imports no command module (nor NumPy): only the module of the command being run is
imported and builds its full parser; the others stand in as stubs carrying the same one-line help
(``tests/cli/test_command_table.py`` checks the table against the modules).
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "build_parser", "COMMANDS"]

#: ``(command, module in this package, one-line help)``, in the order ``rmtcheck --help`` lists them
COMMANDS = (
    ("verify", "verify", "check every registered theorem on seeded instances and print the verdict table"),
    ("stability", "stability", "stability of linearised SGD for per-sample Hessians (.npy) or their factors / Gram "
     "matrix (.npz)"),
    ("unlearn-stability", "unlearn_stability", "escape vs resistance of descent-ascent unlearning (Chang & Khanna "
     "2026)"),
    ("figures", "figures", "regenerate the figures (PNG + PDF + data as NPZ/CSV + manifest)"),
    ("ascent", "ascent", "descent–ascent unlearning in logistic regression (Ascent Fails to Forget)"),
    ("paper", "paper", "regenerate paper/generated/*.tex from verify + figures + sweeps and build paper/main.pdf"),
    ("preflight", "preflight", "will a gradient-ascent unlearning run forget, stay or collapse?"),
    ("spectrum", "spectrum", "ESD, Marchenko-Pastur fit and power-law exponent of the weight matrices of a .npy, "
     ".npz, .safetensors or .pt file"),
    ("sragu", "sragu", "AGU/SRAGU unlearning vs baselines against a retrained gold model (digits, breast cancer, MNIST-1D or your X, y)"),
    ("sweep", "sweep", "run experiment grids on a process pool or a Dask cluster, resumably"),
)


def _command_in(argv) -> str | None:
    """The command named on the command line (the first argument that is not an option), if any."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(command: str | None = None, *, full: bool = False) -> argparse.ArgumentParser:
    """The ``rmtcheck`` parser: ``command``'s sub-parser built by its module, the others as stubs.

    Parameters
    ----------
    command : str, optional
        The command whose module is imported and builds its full sub-parser (none by default: ``--help``).
    full : bool, default False
        Build every command's full sub-parser (imports every command module).
    """
    parser = argparse.ArgumentParser(
        prog="rmtcheck",
        description="Verify stability and unlearning theorems exactly, symbolically and by simulation.",
    )
    from rmtcheck import __version__

    parser.add_argument("--version", action="version", version=f"rmtcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_ in COMMANDS:
        if full or name == command:
            importlib.import_module(f"{__name__}.{module}").add_parser(sub)
        else:
            sub.add_parser(name, help=help_)
    return parser


def main(argv=None) -> int:
    parser = build_parser(_command_in(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (already printed, naming the option): exit status 2, returned
        if exc.code in (0, None):  # --help, --version
            raise
        return int(exc.code) if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # bad user input: one clear line, no traceback
        print(f"rmtcheck {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
