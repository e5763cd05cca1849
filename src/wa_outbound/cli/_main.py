"""The parser and the dispatch: one subparser per registered command, errors as one line.

This is the only place of the command line that reads the clock, through the injectable
`clock` argument of `main`, and hands it to the command (which calls it only when the user
gave no date).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Final, TextIO

from wa_outbound._errors import WaOutboundError
from wa_outbound._time import UTC
from wa_outbound.cli import _demo, _limits, _lint, _plan, _rates, _rules, _state

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from wa_outbound.cli._common import Command

__all__ = ["COMMANDS", "main"]

COMMANDS: Final[Mapping[str, Command]] = {
    "demo": _demo,
    "rules": _rules,
    "limits": _limits,
    "lint": _lint,
    "plan": _plan,
    "rates": _rates,
    "state": _state,
}
"""Every command by name, in the order `--help` lists them."""

_INTERRUPTED: Final = 130
"""The exit status of a command stopped with Ctrl-C (128 + SIGINT), as shells report it."""


def _system_clock() -> datetime:
    return datetime.now(UTC)


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Callable[[], datetime] = _system_clock,
    out: TextIO | None = None,
) -> int:
    """Run the command line and return the exit status.

    Status 0 is success, 1 a problem with the input (printed as one line on standard error,
    never a traceback), 2 a command line argparse cannot read or no command at all.

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
        return COMMANDS[args.command].run(args, stream, clock)
    except WaOutboundError as error:
        return _error(str(error))
    except OSError as error:
        if error.filename is None:
            return _error(str(error))
        return _error(f"cannot read {error.filename}: {error.strerror}")
    except KeyboardInterrupt:
        return _INTERRUPTED


def _error(message: str) -> int:
    print(f"wa-outbound: error: {message}", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wa-outbound",
        description="Know before you send: WhatsApp Business Platform rules, decided offline.",
    )
    commands = parser.add_subparsers(dest="command")
    for name, command in COMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.HELP))
    return parser
