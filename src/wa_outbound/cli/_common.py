"""What several commands share: the command contract, consoles, JSON, dates and limits."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from wa_outbound._errors import RuleDataError
from wa_outbound._ids import PhoneNumberId
from wa_outbound._time import UTC

if TYPE_CHECKING:
    from collections.abc import Callable

    from wa_outbound._account import MessagingLimit

BUSINESS = PhoneNumberId("106540352242922")
"""The demo shop's number; `plan` names it as the sender too (nothing is sent)."""


class Command(Protocol):
    """What a command module provides (`wa_outbound.cli._demo` and its siblings)."""

    HELP: str
    """One line for `wa-outbound --help`."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's options on its own subparser."""

    def run(self, args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
        """Carry the command out, print to `out`, and return the exit status.

        Args:
            args: The parsed command line.
            out: Where to print.
            clock: Where "now" comes from; call it only when the user gave no date.

        Raises:
            WaOutboundError: The input is wrong; the command line prints it as one line.
        """


def instant(text: str) -> datetime:
    """Read a command-line date (`2025-07-01`) or instant (`2025-07-01T09:00+02:00`), UTC."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"invalid date {text!r}: use YYYY-MM-DD or an ISO 8601 instant"
        raise argparse.ArgumentTypeError(msg) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `--limit` and `--verified` (the messaging limit to start from)."""
    parser.add_argument(
        "--limit",
        metavar="LIMIT",
        help="the current limit: 2000, TIER_10K or -1 for unlimited (default: the first tier,"
        " or the verified start with --verified)",
    )
    parser.add_argument("--verified", action="store_true", help="the business is verified")


def read_limit(text: str) -> MessagingLimit:
    """Read `--limit`: a number of users, a tier name, or -1 for unlimited.

    Raises:
        WaOutboundError: The text names no limit, or a tier that carries none.
    """
    from wa_outbound._account import MessagingLimit  # noqa: PLC0415 - loaded on use

    limit = MessagingLimit.parse(int(text) if text.lstrip("-").isdigit() else text, field="--limit")
    if limit is None:
        raise RuleDataError("--limit", text, "this tier carries no limit")
    return limit


def users(value: Any) -> int | str | None:  # noqa: ANN401 - a MessagingLimit or None
    """A messaging limit as JSON and text show it: users, `"unlimited"`, or `None`."""
    if value is None:
        return None
    return "unlimited" if value.users is None else int(value.users)


def iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 text, `None` as `None`."""
    return None if value is None else value.isoformat()


def blocked_json(blocked: Any) -> dict[str, int]:  # noqa: ANN401 - a plan's blocked counts
    """A campaign plan's blocked recipients by reason (an enum member or a text)."""
    return {
        (reason if isinstance(reason, str) else reason.value): count
        for reason, count in blocked.items()
    }


def money_json(amounts: Any) -> dict[str, str]:  # noqa: ANN401 - amounts by currency
    """Amounts by currency as JSON shows them: exact decimal text."""
    return {currency: str(amount) for currency, amount in amounts.items()}


def print_json(document: object, out: TextIO, *, indent: int | None = 2) -> None:
    """Print one JSON document (indented) or, with `indent=None`, one JSON line."""
    print(json.dumps(document, indent=indent), file=out)


def console(out: TextIO) -> Any:  # noqa: ANN401 - rich is optional
    """A `rich` console printing to `out`, or exit saying how to get `rich`."""
    try:
        from rich.console import Console  # noqa: PLC0415 - optional dependency
    except ImportError:  # pragma: no cover - depends on the installed extras
        msg = "text output needs rich: pip install 'wa_outbound[cli]' (or use --json)"
        raise SystemExit(msg) from None
    return Console(file=out, width=120, highlight=False, soft_wrap=False)
