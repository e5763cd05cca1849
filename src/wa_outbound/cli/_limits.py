"""`limits`: the messaging limit in force, what blocks the next tier, and a ramp-up plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._rules import rules_at
from wa_outbound.cli._common import (
    add_limit_arguments,
    console,
    instant,
    iso,
    print_json,
    read_limit,
    users,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from wa_outbound._rules import Rules

HELP = "explain the messaging limit in force, its next tier and a ramp-up plan"


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
        "--quality", default="GREEN", metavar="RATING", help="GREEN, YELLOW, RED or UNKNOWN"
    )
    parser.add_argument(
        "--status", default="CONNECTED", metavar="STATUS", help="the phone number's status"
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

    when = args.at if args.at is not None else clock()
    rules = rules_at(when)
    tiers = rules.messaging_limit_tiers.value
    if args.limit is not None:
        limit = read_limit(args.limit)
    else:
        limit = MessagingLimit(
            users=rules.verified_starting_limit.value if args.verified else tiers[0]
        )
    projection = project_tier(
        limit,
        used_last_7_days=args.used,
        quality=QualityRating.parse(args.quality, field="--quality"),
        phone_status=PhoneNumberStatus.parse(args.status, field="--status"),
        now=when,
        rules=rules,
    )
    plan = () if args.target is None else ramp_up(args.target, limit=limit, now=when, rules=rules)
    if not args.json:
        _print(out, when=when, rules=rules, projection=projection, plan=plan, target=args.target)
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
) -> None:
    tiers = rules.messaging_limit_tiers.value
    shown = console(out)
    scope = rules.messaging_limit_scope.value.value.replace("_", " ")
    ladder = " -> ".join(f"{t:,}" for t in tiers) + " -> unlimited"
    shown.print(f"[bold]Messaging limits at {when:%Y-%m-%d} UTC[/] ({rules.name}): per {scope}")
    shown.print(
        f"  ladder: {ladder}; verified businesses start at {rules.verified_starting_limit.value:,}"
    )
    shown.print(f"  current limit: {users(projection.current)}; next: {users(projection.next)}")
    if projection.eligible:
        shown.print(
            f"  [green]upgrade expected by {projection.earliest_upgrade_at:%Y-%m-%d %H:%M} UTC[/]"
        )
    for blocker in projection.blockers:
        shown.print(f"  [red]blocked[/] {blocker.code.value}: {blocker.sentence}")
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
        shown.print(table)
