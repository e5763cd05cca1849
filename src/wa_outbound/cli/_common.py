"""What several commands share: the command contract, consoles, JSON, dates and limits.

Text for people goes through a handful of helpers here, so that every command prints numbers,
money, durations and enum values the same way: `count`, `money`, `days`, `words`; and what a
user typed or a file held is shown with `escape`, never read as console markup.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import re
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO

from wa_outbound._errors import RuleDataError
from wa_outbound._ids import PhoneNumberId
from wa_outbound._time import UTC

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import timedelta
    from decimal import Decimal

    from wa_outbound._account import MessagingLimit
    from wa_outbound._rules import Rules

EXIT_FINDINGS: Final = 1
"""The exit status of a command that ran and found an error in its input (`lint`)."""
EXIT_INPUT: Final = 3
"""The exit status of an input error: a file or a value cannot be read or used."""

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
            clock: Where "now" comes from: the instant asked about when the user gave no date,
                and what tells a date in the future (`future_note`).

        Raises:
            WaOutboundError: The input is wrong; the command line prints it as one line.
        """


_FIRST_YEAR: Final = 1970
_LAST_YEAR: Final = 9000
"""The years a command-line date may name: a plan or a window computed from the date stays
far from the calendar's end (year 9999), where adding a day would overflow."""


def instant(text: str) -> datetime:
    """Read a command-line date (`2025-07-01`) or instant (`2025-07-01T09:00+02:00`), UTC.

    Raises:
        argparse.ArgumentTypeError: The text is no such date, or its year is outside 1970 to
            9000 (a usage error).
    """
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        msg = f"invalid date {text!r}: use YYYY-MM-DD or an ISO 8601 instant"
        raise argparse.ArgumentTypeError(msg) from None
    if not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
        msg = f"invalid date {text!r}: the year must be from {_FIRST_YEAR} to {_LAST_YEAR}"
        raise argparse.ArgumentTypeError(msg)
    return parsed


def future_note(when: datetime, now: datetime) -> None:
    """Say on standard error when `when` lies past the last known rule change and the clock.

    Rules are dated data: a date after today is answered with the rules known today, which
    the user should know is an assumption.
    """
    from wa_outbound._rules import builtin_rule_sets  # noqa: PLC0415 - loaded on use

    last = builtin_rule_sets()[-1].effective_from
    if when > now and when > last:
        print(
            f"wa-outbound: note: {when:%Y-%m-%d} is in the future; the rules known today (last"
            f" change {last:%Y-%m-%d}) are assumed to hold then",
            file=sys.stderr,
        )


def upper_word(text: str) -> str:
    """An argparse `type` for enum names in any case (`green`, `Green`): ASCII letters only.

    Only ASCII is upper-cased, so that a look-alike letter (a dotless i) is refused, not read
    as `I`.
    """
    return text.upper() if text.isascii() else text


def lower_word(text: str) -> str:
    """An argparse `type` for choices in any case (`MARKETING`): ASCII letters only."""
    return text.lower() if text.isascii() else text


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `--limit` and `--verified` (the messaging limit to start from)."""
    parser.add_argument(
        "--limit",
        metavar="LIMIT",
        help="the current limit: 2000 (or 2,000), TIER_10K, unlimited or -1 (default: the"
        " first tier, or the verified start with --verified)",
    )
    parser.add_argument("--verified", action="store_true", help="the business is verified")


_NUMBER: Final = re.compile(r"-?[0-9]{1,3}(?:[, _]?[0-9]{3})*|-?[0-9]+")
"""A number of users as people write it: `2000`, `2,000`, `2 000`, `2_000`, or `-1`."""
_MAX_DIGITS: Final = 15
"""More digits than any messaging limit has (and few enough for `int` to read at once)."""


def read_limit(text: str) -> MessagingLimit:
    """Read `--limit`: a number of users (`2,000`), a tier name, `unlimited` or -1.

    Raises:
        WaOutboundError: The text names no limit, or a tier that carries none.
    """
    from wa_outbound._account import MessagingLimit  # noqa: PLC0415 - loaded on use

    number = _NUMBER.fullmatch(text.strip())
    if number is not None:
        digits = re.sub(r"[,_ ]", "", number.group(0))
        if len(digits) > _MAX_DIGITS:
            raise RuleDataError("--limit", text, "expected a number of users, at most 15 digits")
        limit = MessagingLimit.parse(int(digits), field="--limit")
    elif text.strip().lower() == "unlimited":
        limit = MessagingLimit.unlimited()
    else:
        limit = MessagingLimit.parse(upper_word(text.strip()), field="--limit")
    if limit is None:
        raise RuleDataError("--limit", text, "this tier carries no limit")
    return limit


def users(value: Any) -> int | str | None:  # noqa: ANN401 - a MessagingLimit or None
    """A messaging limit as JSON shows it: users, `"unlimited"`, or `None`."""
    if value is None:
        return None
    return "unlimited" if value.users is None else int(value.users)


def limit_text(value: Any) -> str:  # noqa: ANN401 - a MessagingLimit or None
    """A messaging limit as text shows it: `2,000`, `unlimited`, or `none` (no next tier)."""
    if value is None:
        return "none"
    return "unlimited" if value.users is None else f"{value.users:,}"


def count(number: int, noun: str) -> str:
    """`1 day`, `2 days`, `10,000 users`: a number with separators and its noun."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def money(amount: Decimal, currency: str, *, places: int = 2) -> str:
    """An amount as people read it: `2,152.05 USD` (rounded to `places` decimals)."""
    return f"{amount:,.{places}f} {currency}"


def words(value: Any) -> str:  # noqa: ANN401 - an enum member or its value
    """An enum value in words: `wait_for_user` -> `wait for user`."""
    text = value if isinstance(value, str) else value.value
    return str(text).replace("_", " ").lower()


def duration(value: timedelta) -> str:
    """A duration in words: `6 hours`, `7 days`, `90 minutes`."""
    seconds = int(value.total_seconds())
    if seconds % 86_400 == 0 and seconds >= 2 * 86_400:
        return count(seconds // 86_400, "day")
    if seconds % 3_600 == 0:
        return count(seconds // 3_600, "hour")
    return count(seconds // 60, "minute")


def tier_assumptions(rules: Rules) -> str:
    """What every tier projection of the command line assumes (`limits` and `plan` alike)."""
    share = rules.limit_upgrade_usage_share.value
    return (
        f"assumes the quality stays not low and the number CONNECTED; each upgrade lands"
        f" {duration(rules.limit_upgrade_delay.value)} (Meta: 'within') after the users reached"
        f" in {duration(rules.limit_upgrade_lookback.value)} make {share:.0%} of the limit, and"
        f" sending goes on under the new limit; the rules of {rules.name} hold throughout"
    )


def escape(text: object) -> str:
    """Text a user typed or a file held, made safe to print with `rich` (no markup read)."""
    from rich.markup import escape as rich_escape  # noqa: PLC0415 - optional dependency

    return rich_escape(str(text))


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
    return Console(file=out, width=_width(out), highlight=False, soft_wrap=False)


_PIPED_WIDTH: Final = 120
"""Columns of text written to a file or a pipe, unless `COLUMNS` says otherwise."""


def _width(out: TextIO) -> int | None:
    """The terminal's own width (`None`: rich asks it), else `COLUMNS`, else 120."""
    if out.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return (
        int(columns)
        if columns.isascii() and columns.isdigit() and columns != "0"
        else (_PIPED_WIDTH)
    )


def member_text(member: Any) -> str:  # noqa: ANN401 - an enum member
    """An enum member as a sentence: its attribute docstring, else its value in words.

    `Alternative.WAIT_FOR_USER` reads "Nothing can be sent until the user contacts ...".
    """
    kind = type(member)
    return _member_docs(kind.__module__, kind.__qualname__).get(member.name) or words(member)


@functools.cache
def _member_docs(module: str, name: str) -> dict[str, str]:
    """The attribute docstring of every member of enum `module.name`, read from its source."""
    import ast  # noqa: PLC0415 - only when a member is printed in words
    import inspect  # noqa: PLC0415
    import textwrap  # noqa: PLC0415

    try:
        kind = getattr(sys.modules[module], name)
        body = ast.parse(textwrap.dedent(inspect.getsource(kind))).body[0]
    except (OSError, TypeError):  # pragma: no cover - no source (a frozen build)
        return {}
    assert isinstance(body, ast.ClassDef)  # noqa: S101 - getsource of a class
    return {
        node.targets[0].id: " ".join(after.value.value.split())
        for node, after in itertools.pairwise(body.body)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    }


def when_text(at: datetime, now: datetime) -> str:
    """An instant as a person reads it next to `now`: `Wed 17:00` within a week.

    Further away: `1 Dec 17:00`, with the year when it is not `now`'s.
    """
    if timedelta_days(at, now) < _WEEK_DAYS:
        return f"{at:%a %H:%M}"
    return f"{at:%-d %b %H:%M}" if at.year == now.year else f"{at:%-d %b %Y %H:%M}"


_WEEK_DAYS: Final = 6
"""Instants fewer days ahead than this are named by their weekday."""


def timedelta_days(later: datetime, earlier: datetime) -> float:
    """Days from `earlier` to `later`."""
    return (later - earlier).total_seconds() / 86_400


def answer_change_text(
    decision: Any,  # noqa: ANN401 - a SendDecision
    conversation: Any,  # noqa: ANN401 - a Conversation, or None if unknown
    now: datetime,
) -> str:
    """What runs out for an allowed send, and when; for a blocked one, when it is allowed.

    `next_change_at` is the first instant the answer may change by time alone, which is often
    not when an allowed send stops being allowed: after a 7-day call permission, the window
    closing is the next change, yet the call stays allowed. So this names each clock that runs
    for the send: `the customer service window closes Wed 17:00; the call permission lasts
    until 1 Dec 17:00`. Empty when no clock runs.
    """
    from wa_outbound._kinds import SendKind  # noqa: PLC0415
    from wa_outbound._rules import rules_at  # noqa: PLC0415

    if not decision.allowed:
        wait = decision.wait_until
        return "" if wait is None else f"allowed from {when_text(wait, now)}"
    rules = rules_at(now)
    clocks: list[tuple[datetime, str]] = []
    closes = decision.service_window_expires_at
    if closes is not None:
        clocks.append((closes, f"the customer service window closes {when_text(closes, now)}"))
    known = conversation is not None
    free = conversation.free_entry_point_at(rules, now) if known else None
    if free is not None and free[0]:
        clocks.append((free[1], f"the free entry point ends {when_text(free[1], now)}"))
    if known and decision.kind is SendKind.CALL:
        expires = conversation.call_permission_expires_at(rules)
        clocks.append(
            (
                expires or datetime.max.replace(tzinfo=now.tzinfo),
                "the call permission is permanent"
                if expires is None
                else f"the call permission lasts until {when_text(expires, now)}",
            )
        )
    return "; ".join(text for _, text in sorted(clocks, key=lambda clock: clock[0]))
