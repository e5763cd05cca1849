"""`plan RECIPIENTS.csv --template-kind KIND`: plan a campaign from a recipients file.

Waves within the messaging limit, blocked recipients by reason, tier upgrades, finish time and
cost; each number is sent once, and a large file shows a progress bar on a terminal.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._kinds import SendKind
from wa_outbound.cli._common import (
    BUSINESS,
    add_limit_arguments,
    blocked_json,
    console,
    instant,
    iso,
    money_json,
    print_json,
    read_limit,
    users,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from datetime import datetime

HELP = "plan a template campaign: waves, tier upgrades, blocked recipients, cost"

_PROGRESS_BYTES = 1 << 20
"""Files at least this large get a progress bar (on a terminal, never with --json)."""
_PROGRESS_EVERY = 65_536
"""Rows between two progress bar updates."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the recipients file, the template's kind, the account and the rate card."""
    parser.add_argument(
        "recipients", metavar="RECIPIENTS.csv", help="CSV: phone[, last_inbound_at][, consent]"
    )
    parser.add_argument(
        "--template-kind",
        required=True,
        choices=("marketing", "utility", "authentication"),
        help="the template's category",
    )
    parser.add_argument(
        "--start", type=instant, metavar="DATE", help="when the campaign starts (default: now)"
    )
    add_limit_arguments(parser)
    parser.add_argument("--rates", metavar="CARD.csv", help="a rate card CSV to price the sends")
    parser.add_argument(
        "--assume-opted-in",
        action="store_true",
        help="rows without a consent column or value count as opted in",
    )
    parser.add_argument("--strict", action="store_true", help="stop at the first bad row")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Plan the campaign from `--start` (default: now) and print the plan."""
    from wa_outbound._campaign import plan_campaign, read_recipients  # noqa: PLC0415

    start = args.start if args.start is not None else clock()
    kind = SendKind(f"{args.template_kind}_template")
    limit = None if args.limit is None else read_limit(args.limit)
    card = None
    if args.rates is not None:
        from wa_outbound._rates import load_rate_card  # noqa: PLC0415 - pricing loads on use

        card = load_rate_card(args.rates)
    path = Path(args.recipients)
    size = path.stat().st_size
    show = not args.json and out.isatty() and size >= _PROGRESS_BYTES
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as source:
        rows = read_recipients(source)
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
        if show:
            from rich.progress import Progress  # noqa: PLC0415 - optional dependency

            with Progress(console=console(out), transient=True) as progress:
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
        print_json(_plan_json(plan, start), out)
        return 0
    console(out).print(plan)
    return 0


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
