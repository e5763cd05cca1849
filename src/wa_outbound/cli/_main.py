"""The parser and the dispatch: one subparser per registered command, errors as one line.

This is the only place of the command line that reads the clock, through the injectable
`clock` argument of `main`, and hands it to the command (which calls it only when the user
gave no date). It is also the one place that turns a failure into an exit status: whatever a
command raises ends as one line on standard error, never a traceback.

Exit statuses (`wa-outbound --help` prints them too):

* 0: success
* 1: findings: `lint` found an error in a template
* 2: a usage error: the command line cannot be read (argparse's status)
* 3: an input error: a file or a value cannot be read or used
* 70: an internal error (a bug: please report the line printed)
* 130: interrupted (Ctrl-C)
* 141: standard output was closed early (`wa-outbound rules | head`); nothing is printed
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Final, TextIO

from wa_outbound._errors import WaOutboundError
from wa_outbound._time import UTC
from wa_outbound.cli import _demo, _emulate, _limits, _lint, _plan, _rates, _rules, _state
from wa_outbound.cli._common import EXIT_INPUT

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from wa_outbound.cli._common import Command

__all__ = ["COMMANDS", "EXIT_STATUSES", "main"]

COMMANDS: Final[Mapping[str, Command]] = {
    "demo": _demo,
    "rules": _rules,
    "limits": _limits,
    "lint": _lint,
    "plan": _plan,
    "rates": _rates,
    "state": _state,
    "emulate": _emulate,
}
"""Every command by name, in the order `--help` lists them."""

_INTERNAL: Final = 70
"""The exit status of a bug (BSD's EX_SOFTWARE): an exception the command did not expect."""
_INTERRUPTED: Final = 130
"""The exit status of a command stopped with Ctrl-C (128 + SIGINT), as shells report it."""
_CLOSED_PIPE: Final = 141
"""The exit status when the reader of standard output went away (128 + SIGPIPE)."""

EXIT_STATUSES: Final[Mapping[int, str]] = {
    0: "success",
    1: "findings (lint found an error in a template)",
    2: "usage error (the command line cannot be read)",
    EXIT_INPUT: "input error (a file or a value cannot be read or used)",
    _INTERNAL: "internal error (a bug; please report it)",
    _INTERRUPTED: "interrupted (Ctrl-C)",
    _CLOSED_PIPE: "standard output closed early (| head); nothing more is printed",
}
"""Every exit status of the command line and what it means (printed by `--help`)."""


def _system_clock() -> datetime:
    return datetime.now(UTC)


class _Version(argparse.Action):
    """`--version`: print the installed version and exit (the metadata is read only then)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        import importlib.metadata  # noqa: PLC0415 - slow, and only for --version

        try:
            version = importlib.metadata.version("wa_outbound")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source tree
            version = "unknown (not installed)"
        print(f"wa-outbound {version}")
        parser.exit()


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Callable[[], datetime] = _system_clock,
    out: TextIO | None = None,
) -> int:
    """Run the command line and return the exit status (`EXIT_STATUSES` lists them).

    A usage error (a command line argparse cannot read) exits through `SystemExit(2)`, as
    argparse does; every other failure is printed as one line on standard error and returned.

    Args:
        argv: Arguments without the program name; `sys.argv[1:]` by default.
        clock: Where "now" comes from (tests pass a fixed instant).
        out: Where to write; standard output by default.
    """
    stream = out if out is not None else sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stream)
        return 2
    try:
        status = COMMANDS[args.command].run(args, stream, clock)
        stream.flush()  # a closed pipe shows here, not in Python's flush at exit
    except BrokenPipeError:
        return _closed(stream)
    except KeyboardInterrupt:
        return _INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the one place a failure becomes a status
        return _error(error)
    return status


def _closed(stream: TextIO) -> int:
    """The reader went away: end quietly, with nothing left for Python to flush at exit."""
    if stream is sys.stdout:  # pragma: no branch - tests pass their own stream
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # no file descriptor (a captured stream)
            pass
    return _CLOSED_PIPE


def _error(error: Exception) -> int:
    """Print one line for `error` on standard error and return its exit status."""
    status = EXIT_INPUT
    if isinstance(error, WaOutboundError):
        message = str(error)
    elif isinstance(error, UnicodeError):
        message = f"the input is not UTF-8 text ({error})"
    elif isinstance(error, OSError):
        message = (
            str(error)
            if error.filename is None
            else f"cannot read {error.filename}: {error.strerror}"
        )
    elif isinstance(error, RecursionError):
        message = "the input is nested too deeply to read"
    elif isinstance(error, csv.Error):
        message = f"the CSV file cannot be read: {error}"
    else:
        status = _INTERNAL
        message = f"internal error, please report it: {type(error).__name__}: {error}"
    first_line = " ".join(message.split())
    print(f"wa-outbound: error: {first_line}", file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    statuses = "\n".join(f"  {status:>3}  {meaning}" for status, meaning in EXIT_STATUSES.items())
    parser = argparse.ArgumentParser(
        prog="wa-outbound",
        description="Know before you send: WhatsApp Business Platform rules, decided offline.",
        epilog=f"exit statuses:\n{statuses}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command")
    for name, command in COMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.HELP))
    return parser
