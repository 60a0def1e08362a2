"""Command-line interface: ``rmtcheck COMMAND ...`` (also ``python -m rmtcheck``).

Each sub-command lives in a module of this package exposing ``add_parser(subparsers)``;
the parser's ``func(args) -> int`` is the command. Modules are discovered automatically.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

__all__ = ["main", "build_parser"]

_ORDER = ("verify", "stability", "unlearn_stability", "figures")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rmtcheck",
        description="Verify stability and unlearning theorems exactly, symbolically and by simulation.",
    )
    from rmtcheck import __version__

    parser.add_argument("--version", action="version", version=f"rmtcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    for name in names:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
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
