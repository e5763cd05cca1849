"""`limits`: the messaging limit in force, what blocks the next tier, and a ramp-up plan.

The projection is the one `plan` applies (`wa_outbound._tiers.climb`), and the output says
what it assumes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._rules import rules_at
from wa_outbound.cli._common import (
    add_limit_arguments,
    console,
    count,
    future_note,
    instant,
    iso,
    limit_text,
    print_json,
    read_limit,
    tier_assumptions,
    upper_word,
    users,
    words,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from wa_outbound._account import MessagingLimit
    from wa_outbound._rules import Rules

HELP = "explain the messaging limit in force, its next tier and a ramp-up plan"

_QUALITIES = ("GREEN", "YELLOW", "RED", "UNKNOWN")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the account's state (`--limit`, `--used`, `--quality`, ...) and `--target`."""
    parser.add_argument(
        "--at", type=instant, metavar="DATE", help="instant to look at (UTC; default: now)"
    )
    add_limit_arguments(parser)
    parser.add_argument(
        "--used", type=int, default=0, metavar="N", help="unique users reached in the last 7 days"
    )
    parser.add_argument(
        "--quality",
        type=upper_word,
        choices=_QUALITIES,
        default="GREEN",
        metavar="RATING",
        help="green, yellow, red or unknown (any case)",
    )
    parser.add_argument(
        "--status",
        type=upper_word,
        default="CONNECTED",
        metavar="STATUS",
        help="the phone number's status: connected, flagged, ... (any case)",
    )
    parser.add_argument(
        "--target", type=int, metavar="N", help="users per day to reach: print a ramp-up plan"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Project the next tier from the account's state at `--at` (default: now)."""
    from wa_outbound._account import (  # noqa: PLC0415 - loaded for this command only
        MessagingLimit,
        PhoneNumberStatus,
        QualityRating,
    )
    from wa_outbound._tiers import project_tier, ramp_up  # noqa: PLC0415

    now = clock()
    when = args.at if args.at is not None else now
    future_note(when, now)
    rules = rules_at(when)
    tiers = rules.messaging_limit_tiers.value
    start = rules.verified_starting_limit.value
    if args.limit is not None:
        limit = read_limit(args.limit)
    else:
        limit = MessagingLimit(users=start if args.verified else tiers[0])
    projection = project_tier(
        limit,
        used_last_7_days=args.used,
        quality=QualityRating.parse(args.quality, field="--quality"),
        phone_status=PhoneNumberStatus.parse(args.status, field="--status"),
        now=when,
        rules=rules,
    )
    # Below the verified starting limit only a scaling path helps: plan from where it leads.
    ramp_from = (
        limit if limit.users is None or limit.users >= start else MessagingLimit(users=start)
    )
    plan = (
        () if args.target is None else ramp_up(args.target, limit=ramp_from, now=when, rules=rules)
    )
    if not args.json:
        _print(
            out,
            when=when,
            rules=rules,
            projection=projection,
            plan=plan,
            target=args.target,
            ramp_from=ramp_from,
        )
        return 0
    document = {
        "at": when.isoformat(),
        "rule_set": rules.name,
        "scope": rules.messaging_limit_scope.value.value,
        "tiers": [*tiers, "unlimited"],
        "limit": users(projection.current),
        "next": users(projection.next),
        "eligible": projection.eligible,
        "blockers": [{"code": b.code.value, "message": b.sentence} for b in projection.blockers],
        "earliest_upgrade_at": iso(projection.earliest_upgrade_at),
        "assumes": tier_assumptions(rules),
        "ramp_up_from": users(ramp_from) if plan else None,
        "ramp_up": [
            {
                "day": step.day,
                "starts_at": step.starts_at.isoformat(),
                "limit": users(step.limit),
                "users": step.users,
                "cumulative": step.cumulative,
                "upgrades": [at.isoformat() for at in step.upgrades],
            }
            for step in plan
        ],
    }
    print_json(document, out)
    return 0


def _print(
    out: TextIO,
    *,
    when: datetime,
    rules: Rules,
    projection: Any,  # noqa: ANN401 - a TierProjection, imported lazily
    plan: Sequence[Any],
    target: int | None,
    ramp_from: MessagingLimit,
) -> None:
    tiers = rules.messaging_limit_tiers.value
    shown = console(out)
    scope = words(rules.messaging_limit_scope.value)
    ladder = " -> ".join(f"{t:,}" for t in tiers) + " -> unlimited"
    shown.print(f"[bold]Messaging limits at {when:%Y-%m-%d} UTC[/] ({rules.name}): per {scope}")
    shown.print(
        f"  ladder: {ladder}; verified businesses start at {rules.verified_starting_limit.value:,}"
    )
    shown.print(
        f"  current limit: {limit_text(projection.current)};"
        f" next tier: {limit_text(projection.next)}"
    )
    if projection.eligible:
        shown.print(
            f"  [green]upgrade to {limit_text(projection.next)} expected by"
            f" {projection.earliest_upgrade_at:%Y-%m-%d %H:%M} UTC[/]"
        )
    elif projection.blockers:
        shown.print("  what blocks the next tier:")
    for blocker in projection.blockers:
        shown.print(f"    [red]{words(blocker.code)}[/]: {blocker.sentence}")
    if not plan:
        return
    from rich.table import Table  # noqa: PLC0415 - optional dependency

    if ramp_from != projection.current:
        shown.print(
            f"  the ramp-up starts at {limit_text(ramp_from)}, where a scaling path (business"
            " verification) leads; with --verified or --limit it starts there at once"
        )
    days = count(len(plan), "day")
    table = Table(
        title=f"Ramp-up to {target:,} users a day: {days}",
        title_justify="left",
        caption_justify="left",
    )
    table.caption = tier_assumptions(rules)
    for column in ("day", "starts", "limit", "users", "cumulative", "upgrades"):
        table.add_column(column, justify="left" if column in {"starts", "upgrades"} else "right")
    for step in plan:
        table.add_row(
            str(step.day),
            f"{step.starts_at:%Y-%m-%d %H:%M}",
            limit_text(step.limit),
            f"{step.users:,}",
            f"{step.cumulative:,}",
            ", ".join(f"{at:%H:%M}" for at in step.upgrades),
        )
    shown.print(table)
    shown.print(f"[dim]The projection {tier_assumptions(rules)}.[/]")
