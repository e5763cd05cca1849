"""`rules [--at DATE] [--json]` and `rules --diff DATE DATE [--json]`: the rules, with sources."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._rules import Rule, Rules, diff_rules, rules_at
from wa_outbound.cli._common import console, instant, iso, print_json

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

HELP = "print the platform rules in force, with sources"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `--at`, `--diff` and `--json`."""
    parser.add_argument(
        "--at", type=instant, metavar="DATE", help="instant to look at (UTC; default: now)"
    )
    parser.add_argument(
        "--diff",
        nargs=2,
        type=instant,
        metavar="DATE",
        help="show what changed between two instants",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Print the rules in force at `--at` (default: now), or what changed between two instants."""
    if args.diff:
        return _diff(out, args.diff[0], args.diff[1], as_json=args.json)
    return _rules(out, args.at if args.at is not None else clock(), as_json=args.json)


def _json_value(value: object) -> object:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"PT{seconds // 3600}H" if seconds % 3600 == 0 else f"PT{seconds}S"
    if hasattr(value, "value") and not isinstance(value, (bool, int, float, str)):
        return value.value  # an enum member
    return value


def _text_value(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_text_value(item) for item in value)
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        hours = seconds / 3600
        if hours < 1:
            return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"  # noqa: PLR2004
        return f"{hours / 24:g} days" if hours % 24 == 0 and hours >= 48 else f"{hours:g} h"  # noqa: PLR2004
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(_json_value(value))


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


def _rules(out: TextIO, when: datetime, *, as_json: bool) -> int:
    rules = rules_at(when)
    if as_json:
        document = {
            "at": when.isoformat(),
            "rule_set": rules.name,
            "effective_from": rules.effective_from.isoformat(),
            "rules": [_rule_json(name, rule) for name, rule in rules.items()],
        }
        print_json(document, out)
        return 0
    shown, table = _table(
        f"Rules in force at {when:%Y-%m-%d %H:%M} UTC: {rules.name}"
        f" (since {rules.effective_from:%Y-%m-%d})",
        out,
    )
    for name, rule in rules.items():
        table.add_row(
            f"[bold]{name}[/]\n{Rules.describe(name)}",
            _text_value(rule.value),
            "-" if rule.effective_from is None else f"{rule.effective_from:%Y-%m-%d}",
            _source_cell(rule),
        )
    shown.print(table)
    return 0


def _diff(out: TextIO, first: datetime, second: datetime, *, as_json: bool) -> int:
    before, after = rules_at(first), rules_at(second)
    changes = diff_rules(before, after)
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
    table = Table(title=title, show_lines=True, title_justify="left")
    table.add_column("rule", ratio=3)
    table.add_column("value", no_wrap=True)
    table.add_column("since", no_wrap=True)
    table.add_column("source", ratio=4, overflow="fold")
    return shown, table
