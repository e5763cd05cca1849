"""`plan RECIPIENTS.csv --template-kind KIND`: plan a campaign from a recipients file.

Waves within the messaging limit, blocked recipients by reason, tier upgrades, finish time and
cost; each number is sent once, and a large file shows a progress bar on a terminal. The text
says what blocks the next tier and, for a business that is not verified, how long the campaign
would take verified; bad rows are counted by cause, and `--bad-rows` writes every one out.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._errors import RecipientFileError
from wa_outbound._kinds import SendKind
from wa_outbound._tiers import TierBlockerCode
from wa_outbound.cli._common import (
    BUSINESS,
    add_limit_arguments,
    blocked_json,
    console,
    count,
    escape,
    future_note,
    instant,
    iso,
    limit_text,
    lower_word,
    money_json,
    print_json,
    read_limit,
    tier_assumptions,
    users,
    words,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from wa_outbound._account import MessagingLimit
    from wa_outbound._campaign import CampaignPlan

HELP = "plan a template campaign: waves, tier upgrades, blocked recipients, cost"

_PROGRESS_BYTES = 1 << 20
"""Files at least this large get a progress bar (on a terminal, never with --json)."""
_PROGRESS_EVERY = 1_024
"""Rows between two progress bar updates (a 50,000-row file moves the bar 48 times)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the recipients file, the template's kind, the account and the rate card."""
    parser.add_argument(
        "recipients", metavar="RECIPIENTS.csv", help="CSV: phone[, last_inbound_at][, consent]"
    )
    parser.add_argument(
        "--template-kind",
        required=True,
        type=lower_word,
        choices=("marketing", "utility", "authentication"),
        help="the template's category (any case)",
    )
    parser.add_argument(
        "--start", type=instant, metavar="DATE", help="when the campaign starts (default: now)"
    )
    add_limit_arguments(parser)
    parser.add_argument("--rates", metavar="CARD.csv", help="a rate card CSV to price the sends")
    parser.add_argument(
        "--effective-from",
        type=instant,
        metavar="DATE",
        help="when the prices of a --rates file without an effective_from column took effect",
    )
    parser.add_argument(
        "--assume-opted-in",
        action="store_true",
        help="rows without a consent column or value count as opted in",
    )
    parser.add_argument("--strict", action="store_true", help="stop at the first bad row")
    parser.add_argument(
        "--bad-rows",
        metavar="FILE.csv",
        help="write every bad row to FILE.csv (row, column, value, reason)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Plan the campaign from `--start` (default: now) and print the plan."""
    from wa_outbound._campaign import plan_campaign, read_recipients  # noqa: PLC0415

    now = clock()
    start = args.start if args.start is not None else now
    future_note(start, now)
    kind = SendKind(f"{args.template_kind}_template")
    limit = None if args.limit is None else read_limit(args.limit)
    card = None
    if args.rates is not None:
        from wa_outbound._rates import (  # noqa: PLC0415 - pricing loads on use
            builtin_market_map,
            load_rate_card,
        )

        card = load_rate_card(
            args.rates, effective_from=args.effective_from, market_map=builtin_market_map()
        )
    path = Path(args.recipients)
    size = path.stat().st_size
    show = not args.json and out.isatty() and size >= _PROGRESS_BYTES
    options = {
        "business": BUSINESS,
        "kind": kind,
        "start": start,
        "limit": limit,
        "verified": args.verified,
        "rate_card": card,
        "strict": args.strict,
        "assume_opted_in": args.assume_opted_in,
        "dedupe": True,  # a file's rows often repeat a number: send the campaign once
    }
    with (
        path.open("rb") as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as source,
        _bad_rows_file(args.bad_rows) as bad_rows,
    ):
        rows = read_recipients(source)
        if bad_rows is not None:
            rows = _writing_bad_rows(rows, csv.writer(bad_rows))
        if show:
            from rich.progress import Progress  # noqa: PLC0415 - optional dependency

            with Progress(console=console(out), transient=True) as progress:
                task = progress.add_task("planning", total=size)
                rows = _tracked(rows, lambda: progress.update(task, completed=raw.tell()))
                plan = plan_campaign(rows, **options)
        else:
            plan = plan_campaign(rows, **options)
    verified_days = _verified_days(plan, start, limit=limit, verified=args.verified)
    if args.json:
        document = _plan_json(plan, start)
        document["assumes"] = tier_assumptions(_rules_at(start))
        document["if_verified_days"] = verified_days
        print_json(document, out)
        return 0
    shown = console(out)
    shown.print(plan)
    _print_more(shown, plan, start, verified_days, bad_rows=args.bad_rows)
    return 0


def _rules_at(start: datetime) -> Any:  # noqa: ANN401 - Rules, imported on use
    from wa_outbound._rules import rules_at  # noqa: PLC0415

    return rules_at(start)


class _NoFile:
    """A context that holds no file (no `--bad-rows`)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _bad_rows_file(name: str | None) -> Any:  # noqa: ANN401 - an open file's context, or none
    """The `--bad-rows` file opened for writing (its header written), or a context of none."""
    if name is None:
        return _NoFile()
    stream = Path(name).open("w", encoding="utf-8", newline="")  # noqa: SIM115 - returned open
    csv.writer(stream).writerow(("row", "column", "value", "reason"))
    return stream


def _writing_bad_rows(rows: Iterable[Any], writer: Any) -> Iterator[Any]:  # noqa: ANN401
    """Pass `rows` on, writing each bad one as (row, column, value, reason)."""
    for row in rows:
        if isinstance(row, RecipientFileError):
            where, _, column = row.field.rpartition(", ")
            writer.writerow((where.removeprefix("row "), column, row.value, row.reason))
        yield row


def _tracked(rows: Iterable[Any], update: Callable[[], object]) -> Iterator[Any]:
    """Pass `rows` on, moving the progress bar every `_PROGRESS_EVERY` rows."""
    for number, row in enumerate(rows, start=1):
        if number % _PROGRESS_EVERY == 0:
            update()
        yield row


def _verified_days(
    plan: CampaignPlan, start: datetime, *, limit: MessagingLimit | None, verified: bool
) -> int | None:
    """How many days the plan's new users take from the verified starting limit.

    By the same tier model; `None` unless the plan is held below the verified starting limit
    by a missing scaling path.
    """
    held = any(b.code is TierBlockerCode.SCALING_PATH_REQUIRED for b in plan.tier_blockers)
    if verified or limit is not None or plan.new_users == 0 or not held:
        return None
    from wa_outbound._account import MessagingLimit  # noqa: PLC0415
    from wa_outbound._tiers import climb  # noqa: PLC0415

    rules = _rules_at(start)
    first = MessagingLimit(users=rules.verified_starting_limit.value)
    for step in climb(first, now=start, rules=rules, per_day=plan.new_users):
        if step.cumulative >= plan.new_users:
            return step.day + 1
    raise AssertionError("unreachable: climb never ends")  # pragma: no cover


def _print_more(
    shown: Any,  # noqa: ANN401 - a rich console
    plan: CampaignPlan,
    start: datetime,
    verified_days: int | None,
    *,
    bad_rows: str | None,
) -> None:
    """What the plan's own rendering leaves out: where bad rows go, tier blockers, assumptions."""
    if plan.bad_row_causes:  # counted by cause in the plan's own table
        if bad_rows is not None:
            shown.print(f"  every bad row is written to {escape(bad_rows)}")
        else:
            shown.print("  --bad-rows FILE.csv writes every one out")
    blockers = [b for b in plan.tier_blockers if b.code is not TierBlockerCode.ALREADY_UNLIMITED]
    if blockers:
        shown.print(f"What keeps the limit at {limit_text(plan.limit)}:")
        for blocker in blockers:
            shown.print(f"  [red]{words(blocker.code)}[/]: {blocker.sentence}")
    if verified_days is not None:
        rules = _rules_at(start)
        shown.print(
            f"  [bold]verified[/] (starting at {rules.verified_starting_limit.value:,}): the"
            f" {plan.new_users:,} new users take {count(verified_days, 'day')} instead of"
            f" {count(len(plan.days), 'day')}; plan again with --verified"
        )
    shown.print(f"[dim]The tier projection {tier_assumptions(_rules_at(start))}.[/]")


def _plan_json(plan: Any, start: datetime) -> dict[str, Any]:  # noqa: ANN401 - a CampaignPlan
    return {
        "kind": plan.kind.value,
        "start": start.isoformat(),
        "starts_at": iso(plan.starts_at),
        "finishes_at": iso(plan.finishes_at),
        "recipients": plan.recipients,
        "scheduled": plan.scheduled,
        "new_users": plan.new_users,
        "blocked": blocked_json(plan.blocked),
        "bad_rows": plan.bad_rows,
        "bad_row_causes": dict(plan.bad_row_causes),
        "bad_row_examples": [
            {"field": e.field, "value": e.value, "reason": e.reason} for e in plan.bad_row_examples
        ],
        "limit": users(plan.limit),
        "tier_changes": [
            {
                "at": c.at.isoformat(),
                "qualified_at": c.qualified_at.isoformat(),
                "before": users(c.before),
                "after": users(c.after),
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
                "limit": users(day.limit),
                "tier_change": users(day.tier_change),
                "cost": money_json(day.cost),
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
        "total_cost": money_json(plan.total_cost),
        "unknown_price_sends": plan.unknown_price_sends,
    }
