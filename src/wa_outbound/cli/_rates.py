"""`rates [--market M] [--at DATE]` and `rates --diff DATE DATE`: prices in force, and changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound.cli._common import console, escape, future_note, instant, print_json, words

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from wa_outbound._rates import Rate, RateCard, RateChange

HELP = "print the prices in force for a market (or all), or what changed between two dates"

_UNKNOWN = "unknown"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `--market`, `--at`, `--diff`, `--currency`, `--rates`, `--effective-from`."""
    parser.add_argument(
        "--market",
        metavar="MARKET",
        help='a region code ("DE") or a Meta market ("Rest of Africa"); default: every market',
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--at", type=instant, metavar="DATE", help="instant to look at (UTC; default: now)"
    )
    when.add_argument(
        "--diff", nargs=2, type=instant, metavar="DATE", help="what changed between two instants"
    )
    parser.add_argument(
        "--currency", default="USD", metavar="CODE", help="the shipped card's currency: USD, INR"
    )
    parser.add_argument(
        "--rates", metavar="CARD.csv", help="read this rate card instead of the shipped one"
    )
    parser.add_argument(
        "--effective-from",
        type=instant,
        metavar="DATE",
        help="when the prices of a --rates file without an effective_from column took effect",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Print the prices in force at `--at` (default: now), or what changed between two dates."""
    from wa_outbound._rates import (  # noqa: PLC0415 - pricing loads for this command only
        builtin_market_map,
        builtin_rate_card,
        load_rate_card,
    )

    if args.rates is None:
        card = builtin_rate_card(currency=args.currency)
    else:
        card = load_rate_card(
            args.rates, effective_from=args.effective_from, market_map=builtin_market_map()
        )
    now = clock()
    if args.diff:
        for when in args.diff:
            future_note(when, now)
        return _diff(card, args, out)
    when = args.at if args.at is not None else now
    future_note(when, now)
    return _in_force(card, when, args, out)


def _markets(card: RateCard, market: str | None, *instants: datetime) -> list[str]:
    """The card's markets to show: all, or the one asked for and its Meta market then."""
    if market is None:
        return sorted(card.markets)
    shown = [market]
    if card.market_map is not None:
        for at in instants:
            group = card.market_map.market(market, at)
            if group is not None and group not in shown:
                shown.append(group)
    return shown


def _in_force(card: RateCard, when: datetime, args: argparse.Namespace, out: TextIO) -> int:
    from wa_outbound._rates import PriceCategory  # noqa: PLC0415

    rows: list[tuple[str, PriceCategory, Rate | None]]
    if args.market is not None:  # every category, "unknown" where no price is known
        rows = [(args.market, c, card.price(c, args.market, when)) for c in PriceCategory]
    else:  # every market's own prices and the prices that ended
        rows = [
            (market, category, rate)
            for market in sorted(card.markets)
            for category in PriceCategory
            for rate in [card.price(category, market, when)]
            if (rate is not None and rate.market == market)
            or (rate is None and _ended(card, category, market, when))
        ]
    if args.json:
        document = {
            "at": when.isoformat(),
            "card": card.name,
            "market": args.market,
            "market_of_region": _market_of(card, args.market, when),
            "prices": [_price_json(market, category, rate) for market, category, rate in rows],
        }
        print_json(document, out)
        return 0
    shown = console(out)
    title = f"Prices in force at {when:%Y-%m-%d %H:%M} UTC ({escape(card.name)})"
    mapped = _market_of(card, args.market, when)
    if args.market is not None:
        title += f": {escape(args.market)}" + (
            f" ({escape(mapped)})" if mapped not in {None, args.market} else ""
        )
    table = _table(title, ["market", "category", "price", "since", "source"])
    for market, category, rate in rows:
        table.add_row(
            escape(market if rate is None else rate.market),
            words(category).replace(" ", "-"),
            _amount(rate),
            "-" if rate is None else f"{rate.effective_from:%Y-%m-%d}",
            _source(rate),
        )
    if not rows:
        shown.print(f"No price known for {escape(args.market or 'any market')} at {when:%Y-%m-%d}.")
    else:
        shown.print(table)
    return 0


def _ended(card: RateCard, category: Any, market: str, when: datetime) -> bool:  # noqa: ANN401
    """Whether `market`'s price for `category` ended (changed to an unknown amount) by `when`."""
    return any(
        end.category is category and end.market == market and end.effective_from <= when
        for end in card.ends
    )


def _market_of(card: RateCard, market: str | None, when: datetime) -> str | None:
    if market is None or card.market_map is None:
        return None
    return card.market_map.market(market, when)


def _diff(card: RateCard, args: argparse.Namespace, out: TextIO) -> int:
    first, second = args.diff
    wanted = set(_markets(card, args.market, first, second)) if args.market else None
    changes = [c for c in card.diff(first, second) if wanted is None or c.market in wanted]
    if args.json:
        document = {
            "from": first.isoformat(),
            "to": second.isoformat(),
            "card": card.name,
            "changes": [_change_json(change) for change in changes],
        }
        print_json(document, out)
        return 0
    shown = console(out)
    table = _table(
        f"Price changes from {first:%Y-%m-%d} to {second:%Y-%m-%d} ({escape(card.name)})",
        ["market", "category", "before", "after", "change", "source"],
    )
    for change in changes:
        table.add_row(
            escape(change.market),
            words(change.category).replace(" ", "-"),
            _amount(change.before),
            _amount(change.after),
            change.direction,
            _source(change.after or change.before),
        )
    if not changes:
        shown.print("No price changed between these two instants.")
    else:
        shown.print(table)
    return 0


def _amount(rate: Rate | None) -> str:
    return _UNKNOWN if rate is None else escape(f"{rate.amount:,} {rate.currency}")


def _source(rate: Rate | None) -> str:
    if rate is None:
        return "-"
    flag = " [yellow](reported)[/]" if rate.provenance == "reported" else ""
    return f"{escape(rate.source)}{flag}"


def _rate_json(rate: Rate | None) -> dict[str, Any] | None:
    if rate is None:
        return None
    return {
        "market": rate.market,
        "amount": str(rate.amount),
        "currency": rate.currency,
        "effective_from": rate.effective_from.isoformat(),
        "provenance": rate.provenance or None,
        "source": rate.source,
    }


def _price_json(market: str, category: Any, rate: Rate | None) -> dict[str, Any]:  # noqa: ANN401
    return {"market": market, "category": category.value, "price": _rate_json(rate)}


def _change_json(change: RateChange) -> dict[str, Any]:
    return {
        "market": change.market,
        "category": change.category.value,
        "direction": change.direction,
        "before": _rate_json(change.before),
        "after": _rate_json(change.after),
    }


def _table(title: str, columns: Iterable[str]) -> Any:  # noqa: ANN401 - rich is optional
    from rich.table import Table  # noqa: PLC0415 - optional dependency

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table
