"""``rmtcheck.cli.COMMANDS`` (the light table that keeps ``rmtcheck --help`` from importing every command) matches
the command modules: every module is listed, and each one-line help is the one its ``add_parser`` sets."""

import argparse
import pkgutil
import subprocess
import sys

import rmtcheck.cli as cli


def _choices(parser):
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a.help for a in sub._choices_actions}, sub.choices


def test_every_command_module_is_in_the_table():
    modules = {m.name for m in pkgutil.iter_modules(cli.__path__) if not m.name.startswith("_")}
    assert modules == {module for _, module, _ in cli.COMMANDS}


def test_table_help_is_the_modules_help():
    helps, choices = _choices(cli.build_parser(full=True))
    assert list(helps) == [name for name, _, _ in cli.COMMANDS]
    assert helps == {name: help_ for name, _, help_ in cli.COMMANDS}
    for name, module, _ in cli.COMMANDS:
        assert choices[name].get_default("func").__module__ == f"rmtcheck.cli.{module}"


def test_help_lists_commands_without_importing_them():
    code = ("import sys, contextlib, io, rmtcheck.cli as c\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: c.main(['--help'])\n"
            "    except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('rmtcheck.cli.') or m == 'numpy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
