"""`rules [NAME ...] [--grep TEXT] [--at DATE | --diff DATE DATE] [--json]`: rules, with sources.

Without a name every rule prints (about 70); a name picks that rule, or every rule it starts
(`rules limit_upgrade` prints the three upgrade rules); `--grep` keeps the rules whose name or
meaning contains the text. The table takes the terminal's width and wraps.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._errors import InvalidValueError
from wa_outbound._rules import RULE_FIELDS, Rule, Rules, diff_rules, rules_at
from wa_outbound.cli._common import console, future_note, instant, iso, print_json, words

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

HELP = "print the platform rules in force, with sources"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the names, `--grep`, `--at` or `--diff`, and `--json`."""
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="a rule (service_window), or the start of several names (limit_upgrade)",
    )
    parser.add_argument(
        "--grep", metavar="TEXT", help="only rules whose name or meaning contains TEXT"
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--at", type=instant, metavar="DATE", help="instant to look at (UTC; default: now)"
    )
    when.add_argument(
        "--diff",
        nargs=2,
        type=instant,
        metavar="DATE",
        help="show what changed between two instants",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Print the rules in force at `--at` (default: now), or what changed between two instants."""
    now = clock()
    wanted = _wanted(args.names, args.grep)
    if args.diff:
        for when in args.diff:
            future_note(when, now)
        return _diff(out, args.diff[0], args.diff[1], wanted, as_json=args.json)
    when = args.at if args.at is not None else now
    future_note(when, now)
    return _rules(out, when, wanted, as_json=args.json)


def _wanted(names: list[str], grep: str | None) -> frozenset[str]:
    """The rules asked for: by name or the start of names, and by `--grep`; all by default.

    Raises:
        InvalidValueError: A name starts no rule's name (the error suggests the closest).
    """
    import difflib  # noqa: PLC0415 - only for a misspelt name

    every = RULE_FIELDS
    chosen = set(every) if not names else set()
    for name in names:
        key = name.lower()
        found = {key} if key in every else {rule for rule in every if rule.startswith(key)}
        if not found:
            close = difflib.get_close_matches(name.lower(), every, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see `wa-outbound rules`"
            raise InvalidValueError("NAME", name, f"no rule is named so; {hint}")
        chosen |= found
    if grep is not None:
        needle = grep.lower()
        chosen = {
            rule for rule in chosen if needle in rule or needle in Rules.describe(rule).lower()
        }
    return frozenset(chosen)


def _json_value(value: object) -> object:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"PT{seconds // 3600}H" if seconds % 3600 == 0 else f"PT{seconds}S"
    if hasattr(value, "value") and not isinstance(value, (bool, int, float, str)):
        return value.value  # an enum member
    return value


def _duration_text(value: timedelta) -> str:
    seconds = value.total_seconds()
    hours = seconds / 3600
    if hours < 1:
        return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"  # noqa: PLR2004
    return f"{hours / 24:g} days" if hours % 24 == 0 and hours >= 48 else f"{hours:g} h"  # noqa: PLR2004


def _text_value(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_text_value(item) for item in value)
    if isinstance(value, timedelta):
        return _duration_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return words(value) if isinstance(value, enum.Enum) else str(_json_value(value))


def _rule_json(name: str, rule: Rule[Any]) -> dict[str, Any]:
    return {
        "name": name,
        "meaning": Rules.describe(name),
        "value": _json_value(rule.value),
        "effective_from": iso(rule.effective_from),
        "source": {
            "title": rule.source.title,
            "url": rule.source.url,
            "provenance": rule.source.provenance.value,
            "checked": None if rule.source.checked is None else rule.source.checked.isoformat(),
        },
        "note": rule.note,
    }


def _rules(out: TextIO, when: datetime, wanted: frozenset[str], *, as_json: bool) -> int:
    rules = rules_at(when)
    chosen = [(name, rule) for name, rule in rules.items() if name in wanted]
    if as_json:
        document = {
            "at": when.isoformat(),
            "rule_set": rules.name,
            "effective_from": rules.effective_from.isoformat(),
            "rules": [_rule_json(name, rule) for name, rule in chosen],
        }
        print_json(document, out)
        return 0
    shown, table = _table(
        f"Rules in force at {when:%Y-%m-%d %H:%M} UTC: {rules.name}"
        f" (since {rules.effective_from:%Y-%m-%d})",
        out,
    )
    if not chosen:
        shown.print("No rule matches.")
        return 0
    for name, rule in chosen:
        table.add_row(
            f"[bold]{name}[/]\n{Rules.describe(name)}",
            _text_value(rule.value),
            "-" if rule.effective_from is None else f"{rule.effective_from:%Y-%m-%d}",
            _source_cell(rule),
        )
    shown.print(table)
    return 0


def _diff(
    out: TextIO,
    first: datetime,
    second: datetime,
    wanted: frozenset[str],
    *,
    as_json: bool,
) -> int:
    before, after = rules_at(first), rules_at(second)
    changes = [change for change in diff_rules(before, after) if change.name in wanted]
    if as_json:
        document = {
            "from": {"at": first.isoformat(), "rule_set": before.name},
            "to": {"at": second.isoformat(), "rule_set": after.name},
            "changes": [
                {
                    "name": c.name,
                    "before": _rule_json(c.name, c.before),
                    "after": _rule_json(c.name, c.after),
                }
                for c in changes
            ],
        }
        print_json(document, out)
        return 0
    shown, table = _table(
        f"Changes from {first:%Y-%m-%d} ({before.name}) to {second:%Y-%m-%d} ({after.name})",
        out,
    )
    for change in changes:
        table.add_row(
            f"[bold]{change.name}[/]\n{Rules.describe(change.name)}",
            _change_cell(change.before.value, change.after.value),
            "-"
            if change.after.effective_from is None
            else f"{change.after.effective_from:%Y-%m-%d}",
            _source_cell(change.after),
        )
    if not changes:
        shown.print("No rule changed between these two instants.")
    else:
        shown.print(table)
    return 0


def _change_cell(before: object, after: object) -> str:
    if before == after:
        return f"{_text_value(after)} (value unchanged)"
    return f"{_text_value(before)} -> {_text_value(after)}"


def _source_cell(rule: Rule[Any]) -> str:
    flag = "" if rule.source.provenance.value == "official" else " [yellow](reported)[/]"
    note = f"\n[dim]{rule.note}[/]" if rule.note else ""
    return f"{rule.source.title}{flag}\n[link={rule.source.url}]{rule.source.url}[/link]{note}"


def _table(title: str, out: TextIO) -> tuple[Any, Any]:
    from rich.table import Table  # noqa: PLC0415 - optional dependency

    shown = console(out)
    table = Table(title=title, show_lines=True, title_justify="left", expand=True)
    table.add_column("rule", ratio=3, min_width=20)
    table.add_column("value", ratio=2, min_width=10)
    table.add_column("since", no_wrap=True, min_width=10)
    table.add_column("source", ratio=3, overflow="fold")
    return shown, table
