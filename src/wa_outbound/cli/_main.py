"""The command line: `python -m wa_outbound` (or `wa-outbound`).

Commands:

* `demo [--json]`: a short story of one customer, with each send decision explained.
* `rules [--at DATE] [--json]`: the platform rules in force at DATE (default: now), with sources.
* `rules --diff DATE DATE [--json]`: what changed between two instants (value, date, source).
* `limits [--at DATE] [--limit L] [--verified] [--used N] [--quality Q] [--status S]
  [--target N] [--json]`: the messaging limit in force, what blocks the next tier, and a
  ramp-up plan.
* `plan RECIPIENTS.csv --template-kind KIND [--start DATE] [--limit L] [--verified]
  [--rates CARD.csv] [--assume-opted-in] [--strict] [--json]`: plan a campaign: waves within
  the messaging limit, blocked recipients by reason, tier upgrades, finish time and cost.
* `lint FILE [FILE ...] [--at DATE] [--json]`: lint Graph API JSON templates (one template, a
  list, or a list-templates response per file; `-` reads standard input) against the rules in
  force at DATE; exits 1 if any template has an error or cannot be read.

This module and the transports are the only places that read the clock, through the
injectable `clock` argument of `main`. Text output uses `rich` (the `cli` extra); `--json`
output needs nothing beyond the core.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from wa_outbound._conversation import Conversation
from wa_outbound._decision import SendDecision, can_send
from wa_outbound._errors import RuleDataError, TemplateFormatError, WaOutboundError
from wa_outbound._facts import (
    CallPermissionGranted,
    Fact,
    InboundMessageReceived,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
)
from wa_outbound._ids import PhoneNumberId, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._rules import Rule, Rules, diff_rules, rules_at
from wa_outbound._template_json import templates_from_graph
from wa_outbound._template_lifecycle import (
    TemplateDecision,
    TemplateFact,
    TemplateState,
    TemplateStatusChanged,
    TemplateSubmitted,
    template_sendable,
)
from wa_outbound._template_lint import lint_template
from wa_outbound._time import UTC

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from wa_outbound._templates import Template

__all__ = ["DEMO_STORY", "DemoStep", "main"]


def _system_clock() -> datetime:
    return datetime.now(UTC)


def main(  # noqa: PLR0911 - one return per command
    argv: Sequence[str] | None = None,
    *,
    clock: Callable[[], datetime] = _system_clock,
    out: TextIO | None = None,
) -> int:
    """Run the command line and return the exit status.

    Args:
        argv: Arguments without the program name; `sys.argv[1:]` by default.
        clock: Where "now" comes from (tests pass a fixed instant).
        out: Where to write; standard output by default.
    """
    stream = out if out is not None else sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(stream, as_json=args.json)
        if args.command == "limits":
            return _limits(stream, args, args.at if args.at is not None else clock())
        if args.command == "lint":
            return _lint(stream, args.files, args.at if args.at is not None else clock(), args)
        if args.command == "rules":
            return _rules_command(stream, args, clock)
        if args.command == "plan":
            return _plan(stream, args, args.start if args.start is not None else clock())
    except WaOutboundError as error:
        print(f"wa-outbound: error: {error}", file=sys.stderr)
        return 1
    parser.print_help(stream)
    return 2


def _rules_command(stream: TextIO, args: argparse.Namespace, clock: Callable[[], datetime]) -> int:
    if args.diff:
        return _rules_diff(stream, args.diff[0], args.diff[1], as_json=args.json)
    return _rules(stream, args.at if args.at is not None else clock(), as_json=args.json)


def _instant(text: str) -> datetime:
    """Read a command-line date (`2025-07-01`) or instant (`2025-07-01T09:00+02:00`), UTC."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"invalid date {text!r}: use YYYY-MM-DD or an ISO 8601 instant"
        raise argparse.ArgumentTypeError(msg) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wa-outbound",
        description="Know before you send: WhatsApp Business Platform rules, decided offline.",
    )
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="tell a short story, one send decision at a time")
    demo.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    rules = commands.add_parser("rules", help="print the platform rules in force, with sources")
    rules.add_argument(
        "--at", type=_instant, metavar="DATE", help="instant to look at (UTC; default: now)"
    )
    rules.add_argument(
        "--diff",
        nargs=2,
        type=_instant,
        metavar="DATE",
        help="show what changed between two instants",
    )
    rules.add_argument("--json", action="store_true", help="print JSON instead of text")
    limits = commands.add_parser(
        "limits", help="explain the messaging limit in force, its next tier and a ramp-up plan"
    )
    limits.add_argument(
        "--at", type=_instant, metavar="DATE", help="instant to look at (UTC; default: now)"
    )
    limits.add_argument(
        "--limit",
        metavar="LIMIT",
        help="the current limit: 2000, TIER_10K or -1 for unlimited (default: the first tier,"
        " or the verified start with --verified)",
    )
    limits.add_argument("--verified", action="store_true", help="the business is verified")
    limits.add_argument(
        "--used", type=int, default=0, metavar="N", help="unique users reached in the last 7 days"
    )
    limits.add_argument(
        "--quality", default="GREEN", metavar="RATING", help="GREEN, YELLOW, RED or UNKNOWN"
    )
    limits.add_argument(
        "--status", default="CONNECTED", metavar="STATUS", help="the phone number's status"
    )
    limits.add_argument(
        "--target", type=int, metavar="N", help="users per day to reach: print a ramp-up plan"
    )
    limits.add_argument("--json", action="store_true", help="print JSON instead of text")
    lint = commands.add_parser(
        "lint", help="lint message templates (Graph API JSON) before you submit them"
    )
    lint.add_argument(
        "files", nargs="+", metavar="FILE", help="JSON file: a template, a list, or '-' for stdin"
    )
    lint.add_argument(
        "--at", type=_instant, metavar="DATE", help="lint against the rules of DATE (default: now)"
    )
    lint.add_argument("--json", action="store_true", help="print JSON instead of text")
    plan = commands.add_parser(
        "plan", help="plan a template campaign: waves, tier upgrades, blocked recipients, cost"
    )
    plan.add_argument(
        "recipients", metavar="RECIPIENTS.csv", help="CSV: phone[, last_inbound_at][, consent]"
    )
    plan.add_argument(
        "--template-kind",
        required=True,
        choices=("marketing", "utility", "authentication"),
        help="the template's category",
    )
    plan.add_argument(
        "--start", type=_instant, metavar="DATE", help="when the campaign starts (default: now)"
    )
    plan.add_argument(
        "--limit",
        metavar="LIMIT",
        help="the current limit: 2000, TIER_10K or -1 for unlimited (default: the first tier,"
        " or the verified start with --verified)",
    )
    plan.add_argument("--verified", action="store_true", help="the business is verified")
    plan.add_argument("--rates", metavar="CARD.csv", help="a rate card CSV to price the sends")
    plan.add_argument(
        "--assume-opted-in",
        action="store_true",
        help="rows without a consent column or value count as opted in",
    )
    plan.add_argument("--strict", action="store_true", help="stop at the first bad row")
    plan.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


# --- lint ----------------------------------------------------------------------------------


def _read_templates(name: str) -> tuple[tuple[Template, ...], dict[str, Any] | None]:
    """Read the templates of one file; on failure return no templates and the problem."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        return (), {"path": "$", "reason": f"cannot read the file: {error.strerror}"}
    try:
        data = json.loads(text)
    except ValueError as error:
        return (), {"path": "$", "reason": f"not JSON: {error}"}
    try:
        return templates_from_graph(data), None
    except TemplateFormatError as error:
        return (), {"path": error.field, "reason": error.reason, "value": repr(error.value)}


def _lint(stream: TextIO, files: Sequence[str], when: datetime, args: argparse.Namespace) -> int:
    rules = rules_at(when)
    report: list[dict[str, Any]] = []
    errors = warnings = 0
    for name in files:
        templates, problem = _read_templates(name)
        errors += problem is not None
        linted = []
        for template in templates:
            findings = lint_template(template, rules=rules)
            errors += sum(f.is_error for f in findings)
            warnings += sum(not f.is_error for f in findings)
            linted.append(
                {
                    "name": template.name,
                    "language": template.language,
                    "category": template.category.value,
                    "findings": [
                        {
                            "code": f.code.value,
                            "severity": f.severity.value,
                            "path": f.path,
                            "message": f.message,
                        }
                        for f in findings
                    ],
                }
            )
        report.append({"file": name, "error": problem, "templates": linted})
    if args.json:
        document = {
            "at": when.isoformat(),
            "rule_set": rules.name,
            "errors": errors,
            "warnings": warnings,
            "files": report,
        }
        print(json.dumps(document, indent=2), file=stream)
    else:
        _lint_text(stream, report, rules, errors, warnings)
    return 1 if errors else 0


def _lint_text(
    stream: TextIO, report: list[dict[str, Any]], rules: Rules, errors: int, warnings: int
) -> None:
    console = _console(stream)
    from rich.table import Table  # noqa: PLC0415 - optional dependency

    console.print(
        f"Linting against the rules of {rules.name} (since {rules.effective_from:%Y-%m-%d})"
    )
    for entry in report:
        if entry["error"] is not None:
            problem = entry["error"]
            console.print(
                f"[bold red]✗ {entry['file']}[/]: cannot read a template at {problem['path']}:"
                f" {problem['reason']}"
            )
            continue
        for template in entry["templates"]:
            findings = template["findings"]
            title = (
                f"{entry['file']}: {template['name']}"
                f" ({template['language']}, {template['category']})"
            )
            if not findings:
                console.print(f"[bold green]✓ {title}[/]: no findings")
                continue
            console.print(f"[bold]{title}[/]")
            table = Table(show_header=True, header_style="bold", expand=False)
            for column in ("severity", "code", "where", "what to do"):
                table.add_column(column)
            for f in findings:
                colour = "red" if f["severity"] == "error" else "yellow"
                table.add_row(f"[{colour}]{f['severity']}[/]", f["code"], f["path"], f["message"])
            console.print(table)
    console.print(f"{errors} error(s), {warnings} warning(s)")


# --- rules ---------------------------------------------------------------------------------


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
        hours = value.total_seconds() / 3600
        return f"{hours / 24:g} days" if hours % 24 == 0 and hours >= 48 else f"{hours:g} h"  # noqa: PLR2004
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(_json_value(value))


def _rule_json(name: str, rule: Rule[Any]) -> dict[str, Any]:
    return {
        "name": name,
        "meaning": Rules.describe(name),
        "value": _json_value(rule.value),
        "effective_from": None if rule.effective_from is None else rule.effective_from.isoformat(),
        "source": {
            "title": rule.source.title,
            "url": rule.source.url,
            "provenance": rule.source.provenance.value,
            "checked": None if rule.source.checked is None else rule.source.checked.isoformat(),
        },
        "note": rule.note,
    }


def _rules(stream: TextIO, when: datetime, *, as_json: bool) -> int:
    rules = rules_at(when)
    if as_json:
        document = {
            "at": when.isoformat(),
            "rule_set": rules.name,
            "effective_from": rules.effective_from.isoformat(),
            "rules": [_rule_json(name, rule) for name, rule in rules.items()],
        }
        print(json.dumps(document, indent=2), file=stream)
        return 0
    console, table = _table(
        f"Rules in force at {when:%Y-%m-%d %H:%M} UTC: {rules.name}"
        f" (since {rules.effective_from:%Y-%m-%d})",
        stream,
    )
    for name, rule in rules.items():
        table.add_row(
            f"[bold]{name}[/]\n{Rules.describe(name)}",
            _text_value(rule.value),
            "-" if rule.effective_from is None else f"{rule.effective_from:%Y-%m-%d}",
            _source_cell(rule),
        )
    console.print(table)
    return 0


def _rules_diff(stream: TextIO, first: datetime, second: datetime, *, as_json: bool) -> int:
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
        print(json.dumps(document, indent=2), file=stream)
        return 0
    console, table = _table(
        f"Changes from {first:%Y-%m-%d} ({before.name}) to {second:%Y-%m-%d} ({after.name})",
        stream,
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
        console.print("No rule changed between these two instants.")
    else:
        console.print(table)
    return 0


def _change_cell(before: object, after: object) -> str:
    if before == after:
        return f"{_text_value(after)} (value unchanged)"
    return f"{_text_value(before)} -> {_text_value(after)}"


def _source_cell(rule: Rule[Any]) -> str:
    flag = "" if rule.source.provenance.value == "official" else " [yellow](reported)[/]"
    note = f"\n[dim]{rule.note}[/]" if rule.note else ""
    return f"{rule.source.title}{flag}\n[link={rule.source.url}]{rule.source.url}[/link]{note}"


def _console(stream: TextIO) -> Any:  # noqa: ANN401 - rich is optional
    try:
        from rich.console import Console  # noqa: PLC0415 - optional dependency
    except ImportError:  # pragma: no cover - depends on the installed extras
        msg = "text output needs rich: pip install 'wa_outbound[cli]' (or use --json)"
        raise SystemExit(msg) from None
    return Console(file=stream, width=120, highlight=False, soft_wrap=False)


def _table(title: str, stream: TextIO) -> tuple[Any, Any]:
    from rich.table import Table  # noqa: PLC0415 - optional dependency

    console = _console(stream)
    table = Table(title=title, show_lines=True, title_justify="left")
    table.add_column("rule", ratio=3)
    table.add_column("value", no_wrap=True)
    table.add_column("since", no_wrap=True)
    table.add_column("source", ratio=4, overflow="fold")
    return console, table


# --- limits --------------------------------------------------------------------------------


def _limits(stream: TextIO, args: argparse.Namespace, when: datetime) -> int:
    from wa_outbound._account import (  # noqa: PLC0415 - loaded for this command only
        MessagingLimit,
        PhoneNumberStatus,
        QualityRating,
    )
    from wa_outbound._tiers import project_tier, ramp_up  # noqa: PLC0415

    rules = rules_at(when)
    tiers = rules.messaging_limit_tiers.value
    if args.limit is not None:
        text = str(args.limit)
        limit = MessagingLimit.parse(
            int(text) if text.lstrip("-").isdigit() else text, field="--limit"
        )
    else:
        limit = MessagingLimit(
            users=rules.verified_starting_limit.value if args.verified else tiers[0]
        )
    if limit is None:
        raise RuleDataError("--limit", args.limit, "this tier carries no limit")
    projection = project_tier(
        limit,
        used_last_7_days=args.used,
        quality=QualityRating.parse(args.quality, field="--quality"),
        phone_status=PhoneNumberStatus.parse(args.status, field="--status"),
        now=when,
        rules=rules,
    )
    plan = () if args.target is None else ramp_up(args.target, limit=limit, now=when, rules=rules)

    users = _users
    if args.json:
        document = {
            "at": when.isoformat(),
            "rule_set": rules.name,
            "scope": rules.messaging_limit_scope.value.value,
            "tiers": [*tiers, "unlimited"],
            "limit": users(projection.current),
            "next": users(projection.next),
            "eligible": projection.eligible,
            "blockers": [
                {"code": b.code.value, "message": b.sentence} for b in projection.blockers
            ],
            "earliest_upgrade_at": None
            if projection.earliest_upgrade_at is None
            else projection.earliest_upgrade_at.isoformat(),
            "ramp_up": [
                {
                    "day": step.day,
                    "starts_at": step.starts_at.isoformat(),
                    "limit": users(step.limit),
                    "users": step.users,
                    "cumulative": step.cumulative,
                }
                for step in plan
            ],
        }
        print(json.dumps(document, indent=2), file=stream)
        return 0
    _print_limits(
        stream, when=when, rules=rules, projection=projection, plan=plan, target=args.target
    )
    return 0


def _users(value: Any) -> int | str | None:  # noqa: ANN401 - a MessagingLimit or None
    if value is None:
        return None
    return "unlimited" if value.users is None else int(value.users)


def _print_limits(
    stream: TextIO,
    *,
    when: datetime,
    rules: Rules,
    projection: Any,  # noqa: ANN401 - a TierProjection, imported lazily
    plan: Sequence[Any],
    target: int | None,
) -> None:
    users = _users
    tiers = rules.messaging_limit_tiers.value
    console = _console(stream)
    scope = rules.messaging_limit_scope.value.value.replace("_", " ")
    ladder = " -> ".join(f"{t:,}" for t in tiers) + " -> unlimited"
    console.print(f"[bold]Messaging limits at {when:%Y-%m-%d} UTC[/] ({rules.name}): per {scope}")
    console.print(
        f"  ladder: {ladder}; verified businesses start at {rules.verified_starting_limit.value:,}"
    )
    console.print(f"  current limit: {users(projection.current)}; next: {users(projection.next)}")
    if projection.eligible:
        console.print(
            f"  [green]upgrade expected by {projection.earliest_upgrade_at:%Y-%m-%d %H:%M} UTC[/]"
        )
    for blocker in projection.blockers:
        console.print(f"  [red]blocked[/] {blocker.code.value}: {blocker.sentence}")
    if plan:
        from rich.table import Table  # noqa: PLC0415 - optional dependency

        table = Table(title=f"Ramp-up to {target:,} users a day", title_justify="left")
        for column in ("day", "starts", "limit", "users", "cumulative"):
            table.add_column(column, justify="right")
        for step in plan:
            table.add_row(
                str(step.day),
                f"{step.starts_at:%Y-%m-%d}",
                str(users(step.limit)),
                f"{step.users:,}",
                f"{step.cumulative:,}",
            )
        console.print(table)


# --- plan ----------------------------------------------------------------------------------

_PROGRESS_BYTES = 1 << 20
"""Files at least this large get a progress bar (on a terminal, never with --json)."""
_PROGRESS_EVERY = 65_536
"""Rows between two progress bar updates."""


def _plan(stream: TextIO, args: argparse.Namespace, start: datetime) -> int:
    import io  # noqa: PLC0415 - this command only

    from wa_outbound._account import MessagingLimit  # noqa: PLC0415
    from wa_outbound._campaign import plan_campaign, read_recipients  # noqa: PLC0415

    kind = SendKind(f"{args.template_kind}_template")
    limit = None
    if args.limit is not None:
        text = str(args.limit)
        limit = MessagingLimit.parse(
            int(text) if text.lstrip("-").isdigit() else text, field="--limit"
        )
        if limit is None:
            raise RuleDataError("--limit", args.limit, "this tier carries no limit")
    card = None
    if args.rates is not None:
        from wa_outbound._rates import load_rate_card  # noqa: PLC0415 - pricing loads on use

        card = load_rate_card(args.rates)
    path = Path(args.recipients)
    size = path.stat().st_size
    show = not args.json and stream.isatty() and size >= _PROGRESS_BYTES
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as source:
        rows = read_recipients(source)
        options = {
            "business": _BUSINESS,
            "kind": kind,
            "start": start,
            "limit": limit,
            "verified": args.verified,
            "rate_card": card,
            "strict": args.strict,
            "assume_opted_in": args.assume_opted_in,
            "dedupe": True,  # a file's rows often repeat a number: send the campaign once
        }
        if show:
            from rich.progress import Progress  # noqa: PLC0415 - optional dependency

            with Progress(console=_console(stream), transient=True) as progress:
                task = progress.add_task("planning", total=size)

                def tracked() -> Any:  # noqa: ANN401 - rows of read_recipients
                    for count, row in enumerate(rows, start=1):
                        if count % _PROGRESS_EVERY == 0:
                            progress.update(task, completed=raw.tell())
                        yield row

                plan = plan_campaign(tracked(), **options)
        else:
            plan = plan_campaign(rows, **options)
    if args.json:
        print(json.dumps(_plan_json(plan, start), indent=2), file=stream)
        return 0
    _console(stream).print(plan)
    return 0


def _plan_json(plan: Any, start: datetime) -> dict[str, Any]:  # noqa: ANN401 - a CampaignPlan
    def instant(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "kind": plan.kind.value,
        "start": start.isoformat(),
        "starts_at": instant(plan.starts_at),
        "finishes_at": instant(plan.finishes_at),
        "recipients": plan.recipients,
        "scheduled": plan.scheduled,
        "new_users": plan.new_users,
        "blocked": {
            (reason if isinstance(reason, str) else reason.value): count
            for reason, count in plan.blocked.items()
        },
        "bad_rows": plan.bad_rows,
        "bad_row_examples": [
            {"field": e.field, "value": e.value, "reason": e.reason} for e in plan.bad_row_examples
        ],
        "limit": _users(plan.limit),
        "tier_changes": [
            {
                "at": c.at.isoformat(),
                "qualified_at": c.qualified_at.isoformat(),
                "before": _users(c.before),
                "after": _users(c.after),
            }
            for c in plan.tier_changes
        ],
        "tier_blockers": [
            {"code": b.code.value, "message": b.sentence} for b in plan.tier_blockers
        ],
        "days": [
            {
                "date": day.date.isoformat(),
                "sends": day.sends,
                "new_users": day.new_users,
                "limit": _users(day.limit),
                "tier_change": _users(day.tier_change),
                "cost": {currency: str(amount) for currency, amount in day.cost.items()},
                "unknown_price_sends": day.unknown_price_sends,
            }
            for day in plan.days
        ],
        "cost": None
        if plan.cost is None
        else [
            {
                "category": category.value,
                "market": market,
                "currency": currency,
                "amount": str(amount),
            }
            for (category, market, currency), amount in sorted(
                plan.cost.items(), key=lambda item: (item[0][0].value, item[0][1], item[0][2])
            )
        ],
        "total_cost": {currency: str(amount) for currency, amount in plan.total_cost.items()},
        "unknown_price_sends": plan.unknown_price_sends,
    }


# --- demo ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DemoStep:
    """One beat of the demo story: what happens, then which sends are asked about."""

    at: datetime
    """When it happens."""
    story: str
    """What happens, in one sentence."""
    facts: tuple[Fact, ...] = ()
    """Facts applied to the conversation at this step."""
    asks: tuple[SendKind, ...] = ()
    """Send kinds to decide after the facts."""
    template_facts: tuple[TemplateFact, ...] = ()
    """Facts about the shop's campaign template, applied at this step."""
    ask_template: bool = False
    """Whether to ask if the campaign template may be sent now."""
    campaign_to: tuple[WaId, ...] = ()
    """Opted-in customers the campaign template goes to at this step, within the limit."""
    plan_for: int = 0
    """How many opted-in customers (in Austria) the next campaign is planned for, with Ana
    listed too; 0 plans nothing."""


_T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_BUSINESS = PhoneNumberId("106540352242922")
_CUSTOMER = WaId("4915123456789")

DEMO_STORY: tuple[DemoStep, ...] = (
    DemoStep(
        at=_T0,
        story="Ana writes to the shop's WhatsApp number: 'Is my order on its way?'",
        facts=(InboundMessageReceived(at=_T0),),
        asks=(SendKind.FREE_FORM, SendKind.MARKETING_TEMPLATE),
    ),
    DemoStep(
        at=_T0 + timedelta(minutes=5),
        story="The shop answers freely, and Ana ticks 'keep me posted on WhatsApp' at checkout.",
        facts=(
            OutboundMessageSent(at=_T0 + timedelta(minutes=5)),
            OptInRecorded(at=_T0 + timedelta(minutes=5), method="checkout checkbox"),
        ),
        asks=(SendKind.FREE_FORM,),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=26),
        story="A day passes. The window is closed: only templates may go out now.",
        asks=(SendKind.FREE_FORM, SendKind.UTILITY_TEMPLATE, SendKind.MARKETING_TEMPLATE),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=30),
        story="Ana taps 'Stop promotions' on a marketing message.",
        facts=(
            OptOutReceived(
                at=_T0 + timedelta(hours=30),
                scope=OptOutScope.MARKETING,
                method="stop promotions button",
            ),
        ),
        asks=(SendKind.MARKETING_TEMPLATE, SendKind.UTILITY_TEMPLATE),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=30, minutes=30),
        story="Too many customers block the winter-sale template: Meta pauses it mid-campaign.",
        template_facts=(
            TemplateStatusChanged(at=_T0 + timedelta(hours=30, minutes=30), event="PAUSED"),
        ),
        ask_template=True,
    ),
    DemoStep(
        at=_T0 + timedelta(hours=30, minutes=45),
        story="Meanwhile the campaign goes on to other customers. The shop's portfolio is"
        " unverified (250 new customers a day) and has already reached 249 today.",
        campaign_to=(WaId("4915122220001"), WaId("4915122220002")),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=31),
        story="Support wants to call Ana about a damaged parcel.",
        asks=(SendKind.CALL,),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=32),
        story="Ana accepts the call permission request (temporary, 7 days).",
        facts=(
            InboundMessageReceived(at=_T0 + timedelta(hours=32)),
            CallPermissionGranted(
                at=_T0 + timedelta(hours=32),
                expires_at=_T0 + timedelta(hours=32, days=7),
            ),
        ),
        asks=(SendKind.CALL, SendKind.FREE_FORM),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=34),
        story="The pause is over and Meta approves the template again: the campaign resumes.",
        template_facts=(
            TemplateStatusChanged(at=_T0 + timedelta(hours=33, minutes=31), event="APPROVED"),
        ),
        ask_template=True,
    ),
    DemoStep(
        at=_T0 + timedelta(hours=35),
        story="The shop's business verification goes through (2,000 new customers a day). It"
        " plans the spring sale for 3,000 opted-in customers in Austria, and Ana.",
        plan_for=3_000,
    ),
)
"""The demo story; later features add steps (templates, limits, cost) here."""


def _decision_json(step: int, at: datetime, decision: SendDecision) -> dict[str, Any]:
    def instant(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "step": step,
        "at": at.isoformat(),
        "kind": decision.kind.value,
        "allowed": decision.allowed,
        "reasons": [{"code": r.code.value, "message": r.message} for r in decision.reasons],
        "instead": None if decision.instead is None else decision.instead.value,
        "service_window_open": decision.service_window_open,
        "service_window_expires_at": instant(decision.service_window_expires_at),
        "free_entry_point": decision.free_entry_point,
        "next_change_at": instant(decision.next_change_at),
    }


def _demo(stream: TextIO, *, as_json: bool) -> int:
    conversation = Conversation(business=_BUSINESS, recipient=_CUSTOMER)
    template = _CAMPAIGN_TEMPLATE
    ledger, limit = _campaign_ledger()
    console = None if as_json else _console(stream)
    if console is not None:
        console.rule("[bold]wa_outbound demo[/]: one customer, one shop, the rules in force")
    for number, step in enumerate(DEMO_STORY, start=1):
        conversation = conversation.apply_all(step.facts)
        for fact in step.template_facts:
            template = template.apply(fact)
        decisions = [can_send(conversation, kind, now=step.at) for kind in step.asks]
        checked = template_sendable(template, now=step.at) if step.ask_template else None
        sends = [_campaign_send(ledger, limit, to, step.at) for to in step.campaign_to]
        planned = _demo_plan(conversation, step) if step.plan_for else None
        if console is None:
            _emit_json(stream, number, step, [*decisions, *sends], checked)
            if step.plan_for:
                print(json.dumps(_demo_plan_json(number, step.at, planned)), file=stream)
            continue
        console.print(f"\n[bold]{number}. {step.at:%a %d %b %H:%M} UTC[/]  {step.story}")
        for decision in decisions:
            _print_decision(console, decision)
        if checked is not None:
            _print_template(console, checked)
        for to, sent in zip(step.campaign_to, sends, strict=True):
            console.print(f"   to +{to.value}:")
            _print_decision(console, sent)
        if step.plan_for:
            _print_plan(console, planned)
    return 0


def _emit_json(
    stream: TextIO,
    number: int,
    step: DemoStep,
    decisions: list[SendDecision],
    checked: TemplateDecision | None,
) -> None:
    """Print one JSON line per decision of a step (campaign sends name their recipient)."""
    asked = len(step.asks)
    for decision in decisions[:asked]:
        print(json.dumps(_decision_json(number, step.at, decision)), file=stream)
    if checked is not None:
        print(json.dumps(_template_json(number, step.at, checked)), file=stream)
    for to, sent in zip(step.campaign_to, decisions[asked:], strict=True):
        line = {**_decision_json(number, step.at, sent), "recipient": to.value}
        print(json.dumps(line), file=stream)


def _campaign_ledger() -> tuple[Any, Any]:
    """The shop's messaging limit ledger: 249 of 250 new customers reached this morning."""
    from wa_outbound._account import MessagingLimit  # noqa: PLC0415 - demo only
    from wa_outbound._ledger import LimitLedger, LimitScopeKey  # noqa: PLC0415

    rules = rules_at(_T0)
    scope = LimitScopeKey.under(rules, phone_number=_BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    morning = _T0 + timedelta(hours=24, minutes=30)
    for n in range(249):
        ledger.record(WaId(f"4915100{n:06d}"), morning)
    return ledger, MessagingLimit(users=rules.messaging_limit_tiers.value[0])


def _campaign_send(ledger: Any, limit: Any, to: WaId, at: datetime) -> SendDecision:  # noqa: ANN401
    """Ask before sending the campaign template to `to`; record it in the ledger if it goes."""
    customer = Conversation(business=_BUSINESS, recipient=to).apply(
        OptInRecorded(at=_T0 - timedelta(days=30), method="newsletter sign-up")
    )
    decision = can_send(customer, SendKind.MARKETING_TEMPLATE, now=at, ledger=ledger, limit=limit)
    if decision.allowed:
        ledger.record(to, at)
    return decision


_NO_PRICING = "skipped: reading markets from numbers needs pip install 'wa_outbound[pricing]'"
"""Why the demo plans no campaign without `phonenumbers` (marketing needs the market)."""


def _pricing_installed() -> bool:
    """Whether `phonenumbers` (the `pricing` extra) can be imported."""
    from importlib.util import find_spec  # noqa: PLC0415 - demo only

    return find_spec("phonenumbers") is not None


def _demo_plan(conversation: Conversation, step: DemoStep) -> tuple[Any, int] | None:
    """Plan the step's campaign: Ana (as the shop knows her) and `plan_for` Austrians.

    Returns the `CampaignPlan` and its number of waves (runs of sends no more than a minute
    apart: a wave ends when the messaging limit is used up); `None` without `phonenumbers`,
    which a marketing campaign needs to find the recipients in blocked regions.
    """
    if not _pricing_installed():
        return None
    from wa_outbound._campaign import CampaignRecipient, iter_schedule  # noqa: PLC0415 - demo only
    from wa_outbound._rates import builtin_rate_card  # noqa: PLC0415

    customers = [CampaignRecipient(recipient=_CUSTOMER, conversation=conversation)]
    customers += [
        CampaignRecipient(recipient=WaId(f"43664{n:07d}"), opted_in=True)
        for n in range(step.plan_for)
    ]
    schedule = iter_schedule(
        customers,
        business=_BUSINESS,
        kind=SendKind.MARKETING_TEMPLATE,
        start=step.at,
        verified=True,
        rate_card=builtin_rate_card(),
    )
    waves, previous = 0, None
    for send in schedule:
        if previous is None or send.at - previous > timedelta(minutes=1):
            waves += 1
        previous = send.at
    return schedule.plan, waves


def _demo_plan_json(step: int, at: datetime, planned: tuple[Any, int] | None) -> dict[str, Any]:
    """The plan's key figures as one JSON line (or why there is none)."""
    head = {"step": step, "at": at.isoformat(), "kind": "campaign_plan"}
    if planned is None:
        return {**head, "skipped": _NO_PRICING}
    plan, waves = planned
    return {
        **head,
        "template_kind": plan.kind.value,
        "recipients": plan.recipients,
        "scheduled": plan.scheduled,
        "new_users": plan.new_users,
        "blocked": {
            (reason if isinstance(reason, str) else reason.value): count
            for reason, count in plan.blocked.items()
        },
        "waves": waves,
        "days": [{"date": day.date.isoformat(), "sends": day.sends} for day in plan.days],
        "starts_at": plan.starts_at.isoformat(),
        "finishes_at": plan.finishes_at.isoformat(),
        "tier_changes": [
            {"at": c.at.isoformat(), "before": _users(c.before), "after": _users(c.after)}
            for c in plan.tier_changes
        ],
        "total_cost": {currency: str(amount) for currency, amount in plan.total_cost.items()},
        "unknown_price_sends": plan.unknown_price_sends,
    }


def _print_plan(console: Any, planned: tuple[Any, int] | None) -> None:  # noqa: ANN401 - rich
    if planned is None:
        console.print(f"   campaign plan {_NO_PRICING}", markup=False)
        return
    plan, waves = planned
    blocked = ", ".join(
        f"{count:,} {reason if isinstance(reason, str) else reason.value}"
        for reason, count in plan.blocked.items()
    )
    console.print(
        f"   [bold]campaign plan[/]: {plan.scheduled:,} sends in {waves} waves over"
        f" {len(plan.days)} days, {plan.starts_at:%a %H:%M} to {plan.finishes_at:%a %H:%M} UTC"
        + (f"; blocked: {blocked}" if blocked else "")
    )
    for day in plan.days:
        console.print(f"      {day.date:%a %d %b}: {day.sends:,} sends")
    for change in plan.tier_changes:
        delay = (change.at - change.qualified_at).total_seconds() / 3600
        console.print(
            f"      [green]limit {_users(change.before):,} -> {_users(change.after):,}[/]"
            f" at {change.at:%a %H:%M} (earned {change.qualified_at:%a %H:%M},"
            f" applied {delay:g} h later)"
        )
    totals = ", ".join(f"{amount} {currency}" for currency, amount in plan.total_cost.items())
    console.print(
        f"      cost: {totals or 'unknown'}; {plan.unknown_price_sends:,} sends at an unknown price"
    )


# The shop's campaign template, approved before the story starts.
_CAMPAIGN_TEMPLATE = TemplateState(
    template_id="1203948571",
    name="winter_sale",
    language="en_US",
).apply_all(
    (
        TemplateSubmitted(at=_T0 - timedelta(days=3)),
        TemplateStatusChanged(at=_T0 - timedelta(days=2), event="APPROVED"),
    )
)


def _template_json(step: int, at: datetime, decision: TemplateDecision) -> dict[str, Any]:
    return {
        "step": step,
        "at": at.isoformat(),
        "kind": "campaign_template",
        "template": _CAMPAIGN_TEMPLATE.name,
        "allowed": decision.allowed,
        "status": decision.status.value,
        "reasons": [{"code": r.code.value, "message": r.message} for r in decision.reasons],
        "next_change_at": None
        if decision.next_change_at is None
        else decision.next_change_at.isoformat(),
    }


def _print_template(console: Any, decision: TemplateDecision) -> None:  # noqa: ANN401
    name = _CAMPAIGN_TEMPLATE.name
    if decision.allowed:
        console.print(f"   [green]✔ template {name}: sendable[/]")
        return
    until = "" if decision.next_change_at is None else f" until {decision.next_change_at:%a %H:%M}"
    console.print(f"   [red]✘ template {name}: blocked{until}[/]")
    for reason in decision.reasons:
        console.print(f"      [dim]{reason.code.value}[/]: {reason.message}")


def _print_decision(console: Any, decision: SendDecision) -> None:  # noqa: ANN401
    label = decision.kind.value.replace("_", " ")
    if decision.allowed:
        extra = []
        if decision.free_entry_point:
            extra.append("free entry point")
        if decision.next_change_at is not None:
            extra.append(f"until {decision.next_change_at:%a %H:%M}")
        suffix = f" [dim]({', '.join(extra)})[/]" if extra else ""
        console.print(f"   [green]✔ {label}: allowed[/]{suffix}")
        return
    console.print(f"   [red]✘ {label}: blocked[/]")
    for reason in decision.reasons:
        console.print(f"      [dim]{reason.code.value}[/]: {reason.message}")
    if decision.instead is not None:
        console.print(f"      [cyan]instead[/]: {decision.instead.value.replace('_', ' ')}")
