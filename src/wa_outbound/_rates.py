"""Rate cards: what one delivered message costs, by category and recipient market, on a date.

Theory of operation
-------------------
Meta publishes a price per delivered message (per-message pricing, from 2025-07-01) or per
conversation (conversation-based pricing, until 2025-06-30) for each *category* (marketing,
utility, authentication, authentication-international, service) and each *market* of the
recipient's number. A business gets its card from Meta or from its provider, who may add a fee.

A `RateCard` is a set of `Rate` rows: one amount, in one currency, for one category and one
market, in force from `effective_from`, with the source it was read from and its provenance
(``official``: Meta's or Twilio's own page; ``reported``: a third party). `RateCard.price`
returns the row in force at an instant, or `None`: a missing price is an answer ("price
unknown"), never a zero and never a guess. Nothing is interpolated, converted or derived from
another row. Where Meta announced a change without the amount reaching the data, a `PriceEnd`
row ends the earlier price: from that date the answer is `None`, not the stale amount.

Markets
-------
A price's market is an ISO 3166 region code (``"DE"``, read from the recipient's number with
`phonenumbers` by `recipient_region`) or one of Meta's markets: 24 countries priced on their
own (``"Germany"``), ``"North America"``, six regional groups (``"Rest of Western Europe"``)
and ``"Other"``. `MarketMap` is Meta's dated map from a country (its region code, for its
calling code and, where Meta splits a code, its network prefixes) to its market: Zimbabwe was
in Other and is in Rest of Africa from 2025-10-01. `RateCard.price` asked for a region finds
the region's own row and its market's row and takes the one that took effect later, so a
market card of 2026 supersedes a per-country row of 2025. A region the map does not name has
no market (`None`), whatever Meta's page says of "Other": Meta's full CSV places countries the
page does not list in regional markets, so the rule cannot be trusted country by country.

Volume tiers (utility and authentication, from 2025-07-01) are `Rate` rows with a
`volume_from` above 1: the price of the month's messages, per business portfolio, market and
category, from that message on. `price(..., volume=n)` answers for the message after ``n``
already charged this month, using only tiers of the list price in force (same date).

`authentication_international` tells whether an authentication template is charged the
authentication-international rate: the recipient's country has one at that date
(`authentication_international_countries`), the business is eligible from a start time, and
its primary location is another country.

Rate-card files
---------------
`load_rate_card` reads a CSV file (stdlib `csv`, UTF-8, an optional byte-order mark) in one of
two formats, told apart by the header row:

* **wide** -- one row per country: ``iso2, country, <category>_<currency>..., source`` and
  optionally ``effective_from`` and ``provenance``. Each price column is named by a
  `PriceCategory` value and a lowercase ISO 4217 code (``marketing_usd``,
  ``authentication_international_usd``, ``service_eur``). ``iso2`` is the ISO 3166 region code
  that becomes the market. An empty price cell means *no price known* for that category, never
  zero. Without an ``effective_from`` column, the caller passes `effective_from`.
* **long** -- one row per price: ``market, category, amount, currency, effective_from,
  source`` and optionally ``provenance`` and ``volume_from``. ``market`` is a region code or a
  market name, ``category`` a `PriceCategory` value, ``effective_from`` an ISO 8601 date
  (midnight UTC) or instant (UTC if it has no zone). An empty ``amount`` is a `PriceEnd`.

Reading is strict and all or nothing: an unknown or missing column, a price that is negative or
not a plain decimal, a bad currency code, region code or date, two prices for the same market,
category and date, or an empty file raise `RateCardError` naming the row (the header is row 1)
and the column, and no card is returned. Currency codes are checked for their form (three
uppercase letters) only: no maintained ISO 4217 list is among the dependencies.

`builtin_rate_card(at=None, currency="USD")` is the shipped copy of the project's rate data
(``wa_outbound/data``, one file per card and currency, listed with its sources and gaps in the
data's README) with `builtin_market_map()`: every revision, or only the one in force at `at`.

Region of a recipient
---------------------
`recipient_region` asks `phonenumbers` (the ``pricing`` extra) for the region of a number, and
caches the answer by the shortest prefix that is proven to decide it, so that planning a
campaign over millions of recipients does not parse every number:

* a country calling code used by one region (``49`` -> DE) decides the region alone;
* a code shared by several regions (``1`` NANP, ``7``, ``39``, ``44``, ``61``, ``262``, ``590``,
  ...) is decided by `phonenumbers` from leading-digit patterns and number-type patterns. For
  each code and the next three digits, the module reads those patterns (with the standard
  library's regular-expression parser) and computes how many more digits can still change the
  answer; the answer is then cached under that prefix and the number's length. Where the
  analysis cannot bound it (a pattern it does not understand, a national prefix such as
  ``+44 0...``), that number is parsed in full every time.

The cached answer is therefore the answer `phonenumbers.region_code_for_number` gives for the
same number, valid or not; a property test checks this. Region codes ``001`` (non-geographic
numbers) and unknown calling codes give `None`.

Sources: Meta, "Pricing on the WhatsApp Business Platform",
https://developers.facebook.com/docs/whatsapp/pricing (per-message pricing from 2025-07-01);
the shipped rates as cited per row; Google's libphonenumber metadata via `phonenumbers`.
"""

from __future__ import annotations

import bisect
import csv
import enum
import functools
import importlib
import io
import os
import re
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

import attrs

from wa_outbound._errors import (
    InvalidValueError,
    RateCardError,
    check_source,
    decimal_digits,
    expect,
    items_of,
    member,
)
from wa_outbound._ids import BusinessScopedUserId, WaId
from wa_outbound._shown import Shown
from wa_outbound._time import utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from wa_outbound._render import Report

__all__ = [
    "InternationalRate",
    "MarketEntry",
    "MarketMap",
    "PriceCategory",
    "PriceEnd",
    "Rate",
    "RateCard",
    "RateChange",
    "authentication_international",
    "authentication_international_countries",
    "builtin_market_map",
    "builtin_rate_card",
    "load_market_map",
    "load_rate_card",
    "recipient_market",
    "recipient_region",
]


class PriceCategory(enum.Enum):
    """What a delivered message is charged as."""

    MARKETING = "marketing"
    """A marketing template."""
    UTILITY = "utility"
    """A utility template."""
    AUTHENTICATION = "authentication"
    """An authentication template."""
    AUTHENTICATION_INTERNATIONAL = "authentication_international"
    """An authentication template from a business of another country, in markets with that rate."""
    SERVICE = "service"
    """A free-form (non-template) message, or a service conversation."""


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise InvalidValueError("amount", value, "expected a Decimal, an int or a decimal string")
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise InvalidValueError("amount", value, "not a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidValueError("amount", value, "must be a finite amount of at least 0")
    return amount


def _currency(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():  # noqa: PLR2004
        raise InvalidValueError(attribute.name, value, "expected an ISO 4217 code like 'USD'")


def _effective_from(value: datetime) -> datetime:
    return utc("effective_from", value)


def _category(value: object) -> PriceCategory:
    return member("category", PriceCategory, value)


def _regions(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and isinstance(group, str) for key, group in value.items()
    ):
        raise InvalidValueError("regions", value, "expected a mapping of region code to market")


def _market_map(_instance: object, _attribute: object, value: MarketMap | None) -> None:
    if value is not None:
        expect("market_map", value, MarketMap)


def _rows(value: Iterable[Rate]) -> tuple[Rate, ...]:
    return items_of("rates", value, Rate)


def _market(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(attribute.name, value, "expected a market: a region code or name")


PROVENANCES: Final = frozenset({"", "official", "reported", "override"})
"""How far a row's source can be trusted: the values of `wa_outbound.Provenance`, or unstated."""


def _provenance(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value.__class__ is not str or value not in PROVENANCES:  # a list is not hashable
        raise InvalidValueError(
            attribute.name, value, "expected 'official', 'reported', 'override' or ''"
        )


def _volume_from(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValueError(attribute.name, value, "expected an int of at least 1")


@attrs.frozen(kw_only=True)
class Rate:
    """One price: an amount per delivered message of one category to one market."""

    market: str = attrs.field(validator=_market)
    """The recipient market: an ISO 3166 region code (`"DE"`) or a Meta market (`"Germany"`,
    `"Rest of Western Europe"`)."""
    category: PriceCategory = attrs.field(converter=_category)
    """What the price is for."""
    amount: Decimal = attrs.field(converter=_amount)
    """The price of one delivered message (or conversation, under conversation-based pricing)."""
    currency: str = attrs.field(validator=_currency)
    """ISO 4217 currency code."""
    effective_from: datetime = attrs.field(converter=_effective_from)
    """Instant (aware, UTC) from which the price applies."""
    source: str = ""
    """Where the price was read from (a URL, or the file of the host's rate card)."""
    provenance: str = attrs.field(default="", validator=_provenance)
    """``"official"`` (Meta's or Twilio's own page), ``"reported"`` (a third party), or ``""``."""
    volume_from: int = attrs.field(default=1, validator=_volume_from)
    """The first message of the month, per market and category, this price applies to: 1 for
    the list price, more for a volume tier (utility and authentication, from 2025-07-01)."""


@attrs.frozen(kw_only=True)
class PriceEnd:
    """The end of a price: from `effective_from` the price changed to an amount not known here.

    Meta announced the change (what got dearer or cheaper) without the amount reaching this
    data; the earlier price must not be used after it, so the answer becomes "unknown".
    """

    market: str = attrs.field(validator=_market)
    """The market, as in `Rate.market`."""
    category: PriceCategory = attrs.field(converter=_category)
    """The category whose price changed."""
    currency: str = attrs.field(validator=_currency)
    """The currency of the card whose price ends."""
    effective_from: datetime = attrs.field(converter=_effective_from)
    """Instant (aware, UTC) from which the earlier price no longer applies."""
    source: str = ""
    """Where the change was announced."""
    provenance: str = attrs.field(default="", validator=_provenance)
    """As in `Rate.provenance`."""


def _ends(value: Iterable[PriceEnd]) -> tuple[PriceEnd, ...]:
    return items_of("ends", value, PriceEnd)


@attrs.frozen(kw_only=True)
class MarketEntry:
    """One row of Meta's market map: a country (by its calling code) in a market, from a date."""

    region: str
    """The country's ISO 3166 region code, as `recipient_region` reads it from a number."""
    country: str
    """The country's name, as Meta writes it."""
    calling_code: str
    """Its country calling code (``"49"``)."""
    prefixes: tuple[str, ...]
    """The network prefixes (area codes) Meta names when it splits a calling code (``1``)."""
    market: str
    """The market whose prices apply (``"Germany"``, ``"Rest of Africa"``, ``"Other"``)."""
    effective_from: datetime = attrs.field(converter=_effective_from)
    """Instant (aware, UTC) from which the country is in that market."""
    provenance: str = attrs.field(default="", validator=_provenance)
    """As in `Rate.provenance`."""
    source: str = ""
    """Where the mapping was read."""


def _entries(value: Iterable[MarketEntry]) -> tuple[MarketEntry, ...]:
    return items_of("entries", value, MarketEntry)


@attrs.frozen
class MarketMap:
    """Which Meta market a country belongs to, on a date (Zimbabwe moved on 2025-10-01).

    Meta prices a number by its country calling code and, where it splits a code, its network
    prefix. The map is keyed by the ISO region `phonenumbers` reads from the number; a region
    the map does not name has no market here (`None`): Meta's own rule ("not listed: Other")
    is not applied, because Meta's CSV places countries its page does not list in regional
    markets (Andorra, Aruba, the Bahamas), so the rule cannot be trusted country by country.
    """

    entries: tuple[MarketEntry, ...] = attrs.field(converter=_entries)
    """Every row, in any order."""
    _by_region: dict[str, tuple[list[datetime], list[str]]] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        """Index the rows by region and date; refuse two markets for one region and date."""
        for entry in self.entries:
            if not isinstance(entry, MarketEntry):
                raise InvalidValueError("entries", entry, "expected MarketEntry values")
        index: dict[str, tuple[list[datetime], list[str]]] = {}
        for entry in sorted(self.entries, key=lambda e: e.effective_from):
            starts, markets = index.setdefault(entry.region, ([], []))
            if starts and starts[-1] == entry.effective_from:
                raise InvalidValueError(
                    "entries",
                    entry,
                    f"two markets for {entry.region} from {entry.effective_from.date()}",
                )
            starts.append(entry.effective_from)
            markets.append(entry.market)
        object.__setattr__(self, "_by_region", index)

    def market(self, region: str | None, at: datetime) -> str | None:
        """Return the market of `region` at `at`, or `None` when the map cannot tell."""
        found = self._by_region.get(region) if region is not None else None
        if found is None:
            return None
        starts, markets = found
        position = bisect.bisect_right(starts, utc("at", at)) - 1
        return markets[position] if position >= 0 else None

    def regions(self, market: str, at: datetime) -> frozenset[str]:
        """Return the regions in `market` at `at`."""
        return frozenset(region for region in self._by_region if self.market(region, at) == market)

    @property
    def markets(self) -> frozenset[str]:
        """Every market the map names, at any date."""
        return frozenset(entry.market for entry in self.entries)


@attrs.frozen(kw_only=True)
class RateChange:
    """What happened to one price between two instants (`RateCard.diff`)."""

    category: PriceCategory
    """The price's category."""
    market: str
    """The price's market."""
    before: Rate | None
    """The price in force at the first instant, or `None` if unknown."""
    after: Rate | None
    """The price in force at the second instant, or `None` if unknown."""

    @property
    def direction(self) -> str:
        """``"dearer"``, ``"cheaper"``, ``"same"``, or ``"unknown"`` when a side has no price."""
        if self.before is None or self.after is None:
            return "unknown"
        if self.after.amount > self.before.amount:
            return "dearer"
        if self.after.amount < self.before.amount:
            return "cheaper"
        return "same"


_Entry = tuple[list[datetime], list["Rate | None"]]
_EPOCH: Final = datetime.min.replace(tzinfo=timezone.utc)


@attrs.frozen
class RateCard(Shown):
    """Prices by category and market, each with the date it took effect and its source.

    Build one from `Rate` rows (and `PriceEnd` rows for changes of unknown amount);
    `price(category, market, at)` gives the row in force. A region code finds its own row, or
    its market's: through `market_map` (Meta's dated map) or `regions` (an undated map of the
    host's own groups); when both exist, the later-effective row wins, so a newer market card
    supersedes an older per-country row.
    """

    rates: tuple[Rate, ...] = attrs.field(converter=_rows)
    """Every row, in any order (list prices and volume tiers)."""
    regions: Mapping[str, str] = attrs.field(factory=dict, kw_only=True, validator=_regions)
    """Region code to named market, for cards priced by groups of regions."""
    name: str = attrs.field(default="", kw_only=True)
    """A name for the card (the file or the provider)."""
    ends: tuple[PriceEnd, ...] = attrs.field(factory=tuple, converter=_ends, kw_only=True)
    """Changes of unknown amount: from each, the earlier price is unknown."""
    market_map: MarketMap | None = attrs.field(default=None, kw_only=True, validator=_market_map)
    """Meta's dated map of countries to markets, or `None`."""
    _index: dict[tuple[PriceCategory, str], _Entry] = attrs.field(init=False, eq=False, repr=False)
    _tiers: dict[tuple[PriceCategory, str, datetime], tuple[list[int], list[Rate]]] = attrs.field(
        init=False, eq=False, repr=False
    )
    _ended: dict[tuple[PriceCategory, str, datetime], PriceEnd] = attrs.field(
        init=False, eq=False, repr=False
    )
    _resolved: dict[tuple[PriceCategory, str], _Entry] = attrs.field(
        init=False, eq=False, repr=False
    )
    _changes: dict[str, tuple[datetime, ...]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        """Index rows and ends by (category, market) and date; refuse two for the same key."""
        for rate in self.rates:
            if not isinstance(rate, Rate):
                raise InvalidValueError("rates", rate, "expected Rate values")
        for end in self.ends:
            if not isinstance(end, PriceEnd):
                raise InvalidValueError("ends", end, "expected PriceEnd values")
        dated: list[tuple[datetime, Rate | PriceEnd]] = [
            (row.effective_from, row) for row in self.rates if row.volume_from == 1
        ]
        dated += [(end.effective_from, end) for end in self.ends]
        index: dict[tuple[PriceCategory, str], _Entry] = {}
        for start, row in sorted(dated, key=lambda item: item[0]):
            starts, rows = index.setdefault((row.category, row.market), ([], []))
            if starts and starts[-1] == start:
                raise InvalidValueError(
                    "rates",
                    row,
                    f"two prices for {row.category.value} in {row.market} from"
                    f" {start.date().isoformat()}",
                )
            starts.append(start)
            rows.append(row if isinstance(row, Rate) else None)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_tiers", self._tier_index(index))
        ended = {(end.category, end.market, end.effective_from): end for end in self.ends}
        object.__setattr__(self, "_ended", ended)
        object.__setattr__(self, "_resolved", self._resolved_index(index))

    def _resolved_index(
        self, index: dict[tuple[PriceCategory, str], _Entry]
    ) -> dict[tuple[PriceCategory, str], _Entry]:
        """Every key's answers over time, a region's merged with its markets' (computed once).

        A region's answer at an instant is its own row or its market's row then, whichever
        took effect later; it can change only where one of those rows starts or the region
        changes market, so the answer is computed at each such instant and kept as one
        timeline, and `price` costs one look-up and one bisection.
        """
        resolved = dict(index)
        memberships: dict[str, tuple[list[datetime], list[str]]] = {
            region: ([_EPOCH], [group]) for region, group in self.regions.items()
        }
        if self.market_map is not None:
            for region, spans in self.market_map._by_region.items():  # noqa: SLF001 - same module
                memberships.setdefault(region, spans)
        for region, (joined, groups) in memberships.items():
            for category in PriceCategory:
                own = index.get((category, region))
                entries = [index.get((category, group)) for group in set(groups) - {region}]
                if own is None and not any(entries):
                    continue
                instants = set(joined).union(*(entry[0] for entry in (own, *entries) if entry))
                starts: list[datetime] = []
                rows: list[Rate | None] = []
                for instant in sorted(instants):
                    position = bisect.bisect_right(joined, instant) - 1
                    group = groups[position] if position >= 0 else None
                    found = _found(index, category, region, instant)
                    if group is not None and group != region:
                        grouped = _found(index, category, group, instant)
                        if grouped is not None and (found is None or grouped[0] > found[0]):
                            found = grouped
                    answer = None if found is None else found[1]
                    if not rows or answer is not rows[-1]:
                        starts.append(instant)
                        rows.append(answer)
                resolved[category, region] = (starts, rows)
        return resolved

    def _tier_index(
        self, index: dict[tuple[PriceCategory, str], _Entry]
    ) -> dict[tuple[PriceCategory, str, datetime], tuple[list[int], list[Rate]]]:
        tiers: dict[tuple[PriceCategory, str, datetime], tuple[list[int], list[Rate]]] = {}
        for tier in sorted(self.rates, key=lambda r: r.volume_from):
            if tier.volume_from == 1:
                continue
            key = (tier.category, tier.market, tier.effective_from)
            list_price = index.get(key[:2])
            if list_price is None or tier.effective_from not in list_price[0]:
                raise InvalidValueError(
                    "rates",
                    tier,
                    "a volume tier needs the list price of its market, category and date",
                )
            froms, rows = tiers.setdefault(key, ([], []))
            if froms and froms[-1] == tier.volume_from:
                raise InvalidValueError("rates", tier, f"two tiers from message {tier.volume_from}")
            froms.append(tier.volume_from)
            rows.append(tier)
        return tiers

    def price(
        self,
        category: PriceCategory | str,
        market: str,
        at: datetime,
        *,
        volume: int | None = None,
    ) -> Rate | None:
        """Return the price in force at `at` for `category` in `market`, or `None` if unknown.

        Args:
            category: What the message is charged as.
            market: A region code (``"DE"``) or a market name (``"Germany"``). A region code
                finds its own row or its market's row (through `market_map` or `regions`),
                whichever took effect later.
            at: The instant of the send (aware).
            volume: How many messages of this market and category the business portfolio
                was already charged this month; with it, the volume tier of the next message
                (when the card has tiers for the list price in force). `None`: list price.

        Returns:
            The row in force, or `None`: no row, or a price that changed to an unknown amount.
        """
        found = self._resolved.get((category, market))  # type: ignore[arg-type]
        if found is None:
            if category.__class__ is not PriceCategory:  # its value string, converted here
                return self.price(
                    member("category", PriceCategory, category), market, at, volume=volume
                )
            return None
        starts, rows = found
        position = bisect.bisect_right(starts, utc("at", at)) - 1
        if position < 0:
            return None
        rate = rows[position]
        if rate is None or volume is None or volume < 0:
            return rate
        tiers = self._tiers.get((category, rate.market, rate.effective_from))  # type: ignore[arg-type]
        if tiers is None:
            return rate
        froms, tiered = tiers
        position = bisect.bisect_right(froms, volume + 1) - 1
        return tiered[position] if position >= 0 else rate

    def _report(self) -> Report:
        """What every rendering shows: the list prices in force at the card's latest date."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        starts = [rate.effective_from for rate in self.rates]
        latest = max([*starts, *(end.effective_from for end in self.ends)], default=None)
        categories = tuple(PriceCategory)
        table: dict[str, dict[PriceCategory, Rate]] = {}
        if latest is not None:
            for rate in self.in_force(latest).rates:
                if rate.volume_from == 1:
                    table.setdefault(rate.market, {})[rate.category] = rate
        rows = tuple(
            (
                market,
                *(
                    "—"
                    if category not in prices
                    else f"{prices[category].amount} {prices[category].currency}"
                    for category in categories
                ),
            )
            for market, prices in sorted(table.items())
        )
        currencies = ", ".join(sorted(self.currencies)) or "none"
        summary = (
            f"{self.name or 'rate card'}: {len(self.rates):,} rows,"
            f" {len(self.markets):,} markets, in {currencies}"
        )
        shown = "—" if latest is None else plain(latest.date())
        return Report(
            title="Rate card",
            summary=(summary,),
            tables=(
                Table(
                    title=f"List prices in force on {shown}",
                    header=(
                        "market",
                        *(category.value.replace("_", " ") for category in categories),
                    ),
                    rows=rows,
                    right=frozenset(range(1, len(categories) + 1)),
                ),
            ),
        )

    def price_changes(self, market: str) -> tuple[datetime, ...]:
        """Return every instant at which a price of `market` (any category) may change, in order.

        Between two of them, `price(category, market, at)` gives the same answer for every
        `category` and `volume`; estimates keep their price for that span.

        Args:
            market: A region code or a market name, as `price` takes it.
        """
        try:
            return self._changes[market]
        except KeyError:
            instants: set[datetime] = set()
            for category in PriceCategory:
                found = self._resolved.get((category, market))
                if found is not None:
                    instants.update(found[0])
            changes = self._changes[market] = tuple(sorted(instants))
            return changes

    def _in_force(
        self, category: PriceCategory, market: str, at: datetime
    ) -> tuple[datetime, Rate | None] | None:
        return _found(self._index, category, market, at)

    def tiers(self, category: PriceCategory, market: str, at: datetime) -> tuple[Rate, ...]:
        """Return the list price in force and its volume tiers, lowest volume first."""
        rate = self.price(category, market, at)
        if rate is None:
            return ()
        return (rate, *self.volume_tiers(rate))

    def volume_tiers(self, rate: Rate) -> tuple[Rate, ...]:
        """Return the volume tiers of the list price `rate`, lowest volume first (none: flat).

        `rate` is a row of this card (as `price` returns it); a tier is a row of the same
        market, category and date with a `volume_from` above 1.
        """
        key = (rate.category, rate.market, rate.effective_from)
        return tuple(self._tiers.get(key, ((), ()))[1])

    @property
    def markets(self) -> frozenset[str]:
        """Every market the card prices (or ends a price for)."""
        return frozenset(market for _, market in self._index)

    @property
    def currencies(self) -> frozenset[str]:
        """Every currency the card uses."""
        return frozenset(rate.currency for rate in self.rates)

    def merged(self, rows: Iterable[Rate]) -> RateCard:
        """Return a card with `rows` added (later prices, or markets this card lacks)."""
        return attrs.evolve(self, rates=self.rates + tuple(rows))

    def in_force(self, at: datetime) -> RateCard:
        """Return the card of the prices in force at `at`: one row per category and market.

        A price that ended (changed to an unknown amount) is kept as its `PriceEnd`, so that it
        still hides an older row of a region in that market; volume tiers of the list prices
        kept are kept.
        """
        at = utc("at", at)
        kept: list[Rate] = []
        ended: list[PriceEnd] = []
        for category, market in self._index:
            found = self._in_force(category, market, at)
            if found is None:
                continue
            start, rate = found
            if rate is None:
                ended.append(self._ended[category, market, start])
                continue
            kept.append(rate)
            kept += self._tiers.get((category, market, start), ([], []))[1]
        return attrs.evolve(self, rates=kept, ends=ended)

    def diff(self, before: datetime, after: datetime) -> tuple[RateChange, ...]:
        """Return every price that differs between `before` and `after`, market by market.

        A price that rose or fell, appeared, or became unknown is listed (`RateChange`); the
        same amount on both dates is not. Sorted by market, then category.
        """
        changes: list[RateChange] = []
        for category, market in sorted(self._index, key=lambda key: (key[1], key[0].value)):
            old = self.price(category, market, before)
            new = self.price(category, market, after)
            same = (old is None and new is None) or (
                old is not None and new is not None and old.amount == new.amount
            )
            if not same:
                changes.append(RateChange(category=category, market=market, before=old, after=new))
        return tuple(changes)


def _found(
    index: dict[tuple[PriceCategory, str], _Entry],
    category: PriceCategory,
    market: str,
    at: datetime,
) -> tuple[datetime, Rate | None] | None:
    """The (start, row) of `market`'s own timeline in force at `at` (row `None`: ended)."""
    found = index.get((category, market))
    if found is None:
        return None
    starts, rows = found
    position = bisect.bisect_right(starts, at) - 1
    return (starts[position], rows[position]) if position >= 0 else None


ZERO: Final = Decimal(0)
"""Zero, in the `Decimal` arithmetic the rates use."""


# Rate-card files ---------------------------------------------------------------------------

BUILTIN_EFFECTIVE_FROM: Final = datetime(2025, 7, 1, tzinfo=timezone.utc)
"""When the first shipped rates took effect (Meta: midnight in each WABA's time zone; here UTC)."""
BUILTIN_NAME: Final = "Meta per-message rates in USD, as shipped (wa_outbound/data/README.md)"
"""The name of `builtin_rate_card()`, the shipped card in USD."""
_BUILTIN_FILES: Final = (
    ("rates-per-message-2025-07-01.csv", "USD"),
    ("rates-usd-2025-10-01.csv", "USD"),
    ("rates-usd-2026-01-01.csv", "USD"),
    ("rates-usd-2026-04-01.csv", "USD"),
    ("rates-inr-2025-07-01.csv", "INR"),
    ("rates-inr-2026-01-01.csv", "INR"),
    ("rates-aed-2026-10-01.csv", "AED"),
)
"""The shipped rate-card files and their currency, oldest first within a currency."""
_MARKETS_FILE: Final = "markets.csv"
_AUTH_INTERNATIONAL_FILE: Final = "authentication-international.csv"

_WIDE_REQUIRED: Final = ("iso2", "country", "source")
_WIDE_OPTIONAL: Final = ("effective_from", "provenance")
_LONG_COLUMNS: Final = ("market", "category", "amount", "currency", "effective_from", "source")
_LONG_OPTIONAL: Final = ("provenance", "volume_from")
_DATES: Final = "effective_from"
_CATEGORIES: Final = {category.value: category for category in PriceCategory}
_PRICE_COLUMN: Final = re.compile(r"(?P<category>[a-z_]+)_(?P<currency>[a-z]{3})")
_DECIMAL: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_REGION: Final = re.compile(r"[A-Z]{2}")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNT: Final = re.compile(r"[1-9][0-9]*")
_CODE: Final = re.compile(r"[1-9][0-9]{0,2}")
_PREFIX: Final = re.compile(r"[0-9]{1,4}")


def load_rate_card(
    source: str | os.PathLike[str] | TextIO,
    *,
    name: str | None = None,
    effective_from: datetime | None = None,
    market_map: MarketMap | None = None,
) -> RateCard:
    """Read a rate card from a CSV file, strictly: one bad row and no card is returned.

    Two formats are read, told apart by the header row (the header is row 1; a row number is
    the line number in the file):

    * wide, one row per country: ``iso2, country, <category>_<currency>..., source`` and the
      optional ``effective_from`` and ``provenance``. A price column is a `PriceCategory` value
      and a lowercase currency code (``marketing_usd``, ``utility_usd``,
      ``authentication_usd``, ``authentication_international_usd``, ``service_usd``).
      ``iso2`` (two uppercase letters) is the market. An empty price cell is *no price known*,
      never zero.
    * long, one row per price: ``market, category, amount, currency, effective_from, source``
      and the optional ``provenance`` and ``volume_from``. ``market`` is a region code or a
      Meta market name. An empty ``amount`` ends the earlier price (`PriceEnd`: Meta changed
      it, the new amount is not known). ``volume_from`` (a whole number above 1) makes the row
      a volume tier: the price of the month's messages from that one on.

    Dates are ISO 8601: a date is midnight UTC, an instant without a zone is UTC. Prices are
    plain decimals (``0.0732``); currencies three uppercase letters; every row names a source;
    ``provenance`` is ``official``, ``reported``, ``override`` or empty. Cells are stripped of
    surrounding spaces; blank lines are skipped.

    Args:
        source: A path to the file, or an open text stream (opened with ``newline=""``).
        name: The card's name; defaults to the file's name (empty for a stream).
        effective_from: When the prices took effect, for a wide file without an
            ``effective_from`` column (required then, refused otherwise).
        market_map: The map that finds a region's market (`builtin_market_map()` for Meta's);
            `None` prices region codes by their own rows only.

    Returns:
        The card, with every row's source.

    Raises:
        RateCardError: The file cannot be used; `field` names the row and the column
            (``"row 7, utility_usd"``) or ``"header"``.
        InvalidValueError: `effective_from` is given for a file with its own dates.
        NaiveDatetimeError: `effective_from` has no time zone.
        OSError: The file cannot be opened.
    """
    check_source(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with path.open(encoding="utf-8-sig", newline="") as stream:
            card = _read_card(stream, path.name if name is None else name, effective_from)
    else:
        card = _read_card(source, "" if name is None else name, effective_from)
    return card if market_map is None else attrs.evolve(card, market_map=market_map)


def _read_card(stream: TextIO, name: str, effective_from: datetime | None) -> RateCard:
    fixed_start = None if effective_from is None else utc("effective_from", effective_from)
    header, records = _header(stream)
    read_row = _row_reader(header, fixed_start)
    rates: list[Rate] = []
    ends: list[PriceEnd] = []
    seen: dict[tuple[str, PriceCategory, datetime, int], int] = {}
    for line, row in _dict_rows(header, records):
        for column, rate in read_row(line, row):
            volume = rate.volume_from if isinstance(rate, Rate) else 1
            key = (rate.market, rate.category, rate.effective_from, volume)
            if key in seen:
                raise RateCardError(
                    f"row {line}, {column}",
                    row[column],
                    f"a second price for {rate.category.value} in {rate.market} from"
                    f" {rate.effective_from.isoformat()}; the first is on row {seen[key]}",
                )
            seen[key] = line
            (rates if isinstance(rate, Rate) else ends).append(rate)  # type: ignore[arg-type]
    if not rates and not ends:
        raise RateCardError("rows", 0, "the file has no prices")
    try:
        return RateCard(rates, name=name, ends=ends)
    except InvalidValueError as error:
        raise RateCardError("rows", error.value, error.reason) from None


def _header(stream: TextIO) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return the stripped header cells and the records after it."""
    records = _records(csv.reader(stream, strict=True))
    first = next(records, None)
    if first is None:
        raise RateCardError("header", "", "the file is empty: expected a header row")
    header = [column.strip() for column in first[1]]
    seen: set[str] = set()
    for column in header:  # a set, not the slice before each column: linear in the header
        if column in seen:
            raise RateCardError("header", column, "the column appears twice")
        seen.add(column)
    return header, records


def _dict_rows(
    header: list[str], records: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) with stripped cells; a row of another length is an error."""
    for line, cells in records:
        if len(cells) != len(header):
            raise RateCardError(
                f"row {line}", cells, f"expected {len(header)} cells, found {len(cells)}"
            )
        yield line, dict(zip(header, (cell.strip() for cell in cells), strict=True))


def _row_reader(
    header: list[str], fixed_start: datetime | None
) -> Callable[[int, dict[str, str]], Iterator[tuple[str, Rate | PriceEnd]]]:
    """Tell the format from the header; return the function that reads its rows."""
    if "iso2" in header:
        return _wide_reader(header, fixed_start)
    if "market" in header:
        return _long_reader(header, fixed_start)
    raise RateCardError(
        "header",
        ",".join(header),
        "expected the wide format (iso2, country, <category>_<currency>..., source) or the"
        " long format (market, category, amount, currency, effective_from, source)",
    )


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:  # noqa: ANN401 - csv's reader type is private
    """Yield (line number, cells) for each non-blank record; a CSV syntax error is a card error."""
    while True:
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RateCardError(f"row {reader.line_num}", None, f"not CSV: {error}") from None
        except UnicodeDecodeError as error:
            raise RateCardError(
                f"row {reader.line_num + 1}",
                error.object[error.start : error.start + 8],
                "the file is not UTF-8 text: save it as CSV UTF-8",
            ) from None
        if cells:
            yield reader.line_num, cells


def _start(has_dates: bool, fixed_start: datetime | None) -> datetime | None:  # noqa: FBT001
    """Check that dates come from exactly one place; return the fixed one, if any."""
    if has_dates and fixed_start is not None:
        raise InvalidValueError(
            "effective_from", fixed_start, "the file has an effective_from column of its own"
        )
    if not has_dates and fixed_start is None:
        raise RateCardError(
            _DATES,
            None,
            "the file has no effective_from column: pass effective_from= (when its prices took"
            " effect)",
        )
    return fixed_start


def _wide_reader(
    header: list[str], fixed_start: datetime | None
) -> Callable[[int, dict[str, str]], Iterator[tuple[str, Rate | PriceEnd]]]:
    prices = _price_columns(header)
    start = _start(_DATES in header, fixed_start)

    def read_row(line: int, row: dict[str, str]) -> Iterator[tuple[str, Rate | PriceEnd]]:
        market = row["iso2"]
        if _REGION.fullmatch(market) is None:
            raise RateCardError(
                f"row {line}, iso2", market, "expected an ISO 3166 region code: two capitals"
            )
        source = _source(line, row)
        provenance = _provenance_cell(line, row)
        when = _instant(line, row[_DATES]) if start is None else start
        for column, category, currency in prices:
            text = row[column]
            if not text:
                continue  # no price known for this category: not a zero
            amount = _price(f"row {line}, {column}", text)
            yield (
                column,
                Rate(
                    market=market,
                    category=category,
                    amount=amount,
                    currency=currency,
                    effective_from=when,
                    source=source,
                    provenance=provenance,
                ),
            )

    return read_row


def _price_columns(header: list[str]) -> list[tuple[str, PriceCategory, str]]:
    """Return (column, category, currency) for each price column of a wide header."""
    for column in _WIDE_REQUIRED:
        if column not in header:
            raise RateCardError("header", column, "missing column of the wide format")
    prices: list[tuple[str, PriceCategory, str]] = []
    for column in header:
        if column in _WIDE_REQUIRED or column in _WIDE_OPTIONAL:
            continue
        match = _PRICE_COLUMN.fullmatch(column)
        category = None if match is None else _CATEGORIES.get(match["category"])
        if match is None or category is None:
            raise RateCardError(
                "header",
                column,
                "not a column of the wide format: expected iso2, country, source,"
                " effective_from, provenance or <category>_<currency> with a category of "
                + ", ".join(_CATEGORIES),
            )
        prices.append((column, category, match["currency"].upper()))
    if not prices:
        raise RateCardError("header", ",".join(header), "no price column (<category>_<currency>)")
    return prices


def _long_reader(
    header: list[str], fixed_start: datetime | None
) -> Callable[[int, dict[str, str]], Iterator[tuple[str, Rate | PriceEnd]]]:
    for column in header:
        if column not in _LONG_COLUMNS and column not in _LONG_OPTIONAL:
            raise RateCardError(
                "header",
                column,
                "not a column of the long format: expected "
                + ", ".join(_LONG_COLUMNS + _LONG_OPTIONAL),
            )
    for column in _LONG_COLUMNS:
        if column not in header:
            raise RateCardError("header", column, "missing column of the long format")
    _start(has_dates=True, fixed_start=fixed_start)

    return _long_row


def _long_row(line: int, row: dict[str, str]) -> Iterator[tuple[str, Rate | PriceEnd]]:
    """Read one row of the long format: a price, a volume tier, or the end of a price."""
    market = row["market"]
    if not market:
        raise RateCardError(f"row {line}, market", market, "expected a region code or name")
    category = _CATEGORIES.get(row["category"])
    if category is None:
        raise RateCardError(
            f"row {line}, category", row["category"], "expected one of " + ", ".join(_CATEGORIES)
        )
    currency = row["currency"]
    if _CURRENCY.fullmatch(currency) is None:
        raise RateCardError(f"row {line}, currency", currency, "expected an ISO 4217 code like USD")
    volume_from = _volume_cell(line, row)
    common: dict[str, Any] = {
        "market": market,
        "category": category,
        "currency": currency,
        "effective_from": _instant(line, row[_DATES]),
        "source": _source(line, row),
        "provenance": _provenance_cell(line, row),
    }
    if row["amount"]:
        amount = _price(f"row {line}, amount", row["amount"])
        yield "amount", Rate(amount=amount, volume_from=volume_from, **common)
    elif volume_from == 1:
        yield "amount", PriceEnd(**common)
    else:
        raise RateCardError(f"row {line}, amount", "", "a volume tier needs an amount")


def _source(line: int, row: dict[str, str]) -> str:
    source = row["source"]
    if not source:
        raise RateCardError(f"row {line}, source", source, "every price names where it is from")
    return source


def _provenance_cell(line: int, row: dict[str, str]) -> str:
    provenance = row.get("provenance", "")
    if provenance not in PROVENANCES:
        raise RateCardError(
            f"row {line}, provenance", provenance, "expected official, reported, override or ''"
        )
    return provenance


def _volume_cell(line: int, row: dict[str, str]) -> int:
    text = row.get("volume_from", "")
    if not text:
        return 1
    count = decimal_digits(text) if _COUNT.fullmatch(text) else None
    if count is None:
        raise RateCardError(
            f"row {line}, volume_from", text, "expected the number of the tier's first message"
        )
    return count


def _price(field: str, text: str) -> Decimal:
    if _DECIMAL.fullmatch(text) is None:
        raise RateCardError(
            field, text, "not a price: write a plain decimal like 0.0732 (no symbol, no exponent)"
        )
    if text.startswith("-"):
        raise RateCardError(field, text, "a price cannot be negative")
    return Decimal(text)


def _instant(line: int, text: str) -> datetime:
    field = f"row {line}, {_DATES}"
    if _ISO_DATE.match(text) is None:
        raise RateCardError(field, text, "expected an ISO 8601 date or instant")
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise RateCardError(field, text, "expected an ISO 8601 date or instant") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return utc(field, value)
    except InvalidValueError as error:  # outside the supported range of instants
        raise RateCardError(field, text, error.reason) from None


# The market map and authentication-international rates --------------------------------------

_MAP_COLUMNS: Final = (
    "iso2",
    "country",
    "calling_code",
    "prefixes",
    "market",
    "effective_from",
    "provenance",
    "source",
)


def load_market_map(source: str | os.PathLike[str] | TextIO) -> MarketMap:
    """Read a market map from CSV: one row per country, market and date, strictly.

    Columns: ``iso2, country, calling_code, prefixes, market, effective_from, provenance,
    source``. ``prefixes`` lists the network prefixes (space-separated) where Meta splits a
    calling code (``809 829 849`` for the Dominican Republic within ``1``); empty otherwise.

    Raises:
        RateCardError: A bad header or row, naming the row and the column.
        OSError: The file cannot be opened.
    """
    check_source(source)
    if isinstance(source, (str, os.PathLike)):
        with Path(source).open(encoding="utf-8-sig", newline="") as stream:
            return _read_map(stream)
    return _read_map(source)


def _read_map(stream: TextIO) -> MarketMap:
    header, records = _header(stream)
    _exact_header(header, _MAP_COLUMNS)
    entries: list[MarketEntry] = []
    for line, row in _dict_rows(header, records):
        region = _region_cell(line, row)
        code = row["calling_code"]
        if _CODE.fullmatch(code) is None:
            raise RateCardError(f"row {line}, calling_code", code, "expected 1 to 3 digits")
        prefixes = tuple(row["prefixes"].split())
        for prefix in prefixes:
            if _PREFIX.fullmatch(prefix) is None:
                raise RateCardError(f"row {line}, prefixes", prefix, "expected digits")
        if not row["market"] or not row["country"]:
            raise RateCardError(f"row {line}, market", row["market"], "a country and a market")
        entries.append(
            MarketEntry(
                region=region,
                country=row["country"],
                calling_code=code,
                prefixes=prefixes,
                market=row["market"],
                effective_from=_instant(line, row[_DATES]),
                provenance=_provenance_cell(line, row),
                source=_source(line, row),
            )
        )
    try:
        return MarketMap(entries)
    except InvalidValueError as error:
        raise RateCardError("rows", error.value, error.reason) from None


def _exact_header(header: list[str], expected: tuple[str, ...]) -> None:
    if tuple(header) != expected:
        raise RateCardError("header", ",".join(header), "expected " + ",".join(expected))


def _region_cell(line: int, row: dict[str, str]) -> str:
    region = row["iso2"]
    if _REGION.fullmatch(region) is None:
        raise RateCardError(
            f"row {line}, iso2", region, "expected an ISO 3166 region code: two capitals"
        )
    return region


@attrs.frozen(kw_only=True)
class InternationalRate:
    """A country whose authentication templates have an authentication-international rate."""

    region: str
    """The recipient country's ISO 3166 region code."""
    market: str
    """Its market on the rate card."""
    effective_from: datetime = attrs.field(converter=_effective_from)
    """From when the country has the rate."""
    provenance: str = attrs.field(default="", validator=_provenance)
    """As in `Rate.provenance`."""
    source: str = ""
    """Where it was read."""


_INTERNATIONAL_COLUMNS: Final = ("iso2", "market", "effective_from", "provenance", "source")


def _read_international(stream: TextIO) -> tuple[InternationalRate, ...]:
    header, records = _header(stream)
    _exact_header(header, _INTERNATIONAL_COLUMNS)
    return tuple(
        InternationalRate(
            region=_region_cell(line, row),
            market=row["market"],
            effective_from=_instant(line, row[_DATES]),
            provenance=_provenance_cell(line, row),
            source=_source(line, row),
        )
        for line, row in _dict_rows(header, records)
    )


@functools.cache
def authentication_international_countries() -> tuple[InternationalRate, ...]:
    """Return the shipped list of countries with an authentication-international rate, dated."""
    return _read_international(_data_stream(_AUTH_INTERNATIONAL_FILE))


def authentication_international(
    region: str | None,
    *,
    at: datetime,
    business_location: str | None,
    eligible_from: datetime | None,
) -> bool:
    """Return whether an authentication template is charged the authentication-international rate.

    Meta's rule: the recipient's country has such a rate at `at`, the business was deemed
    eligible (more than 750,000 authentication messages outside customer service windows to
    such countries in a moving 30 days; Meta then sets start times 30 days out) and `at` is on
    or after its start time, and the business's primary location is another country. Pass
    the answer to `estimate_cost(..., authentication_international=...)`.

    Args:
        region: The recipient's ISO 3166 region (`recipient_region`), or `None`.
        at: The instant of the send (aware).
        business_location: The business's primary business location (ISO 3166), or `None`
            when not known (then never international).
        eligible_from: The business's start time for the recipient's country (Meta's
            `auth_international_rate_eligibility`), or `None` when not eligible.

    Returns:
        `True` only when every condition holds.
    """
    at = utc("at", at)
    if region is None or business_location is None or eligible_from is None:
        return False
    if business_location == region or at < utc("eligible_from", eligible_from):
        return False
    return any(
        row.region == region and row.effective_from <= at
        for row in authentication_international_countries()
    )


# The shipped data --------------------------------------------------------------------------


def _data_stream(file: str) -> TextIO:
    text = (resources.files("wa_outbound") / "data" / file).read_text(encoding="utf-8-sig")
    return io.StringIO(text, newline="")


@functools.cache
def builtin_market_map() -> MarketMap:
    """Return Meta's market map as shipped (``wa_outbound/data/markets.csv``), dated.

    Meta's own page, back to 2023-06-01, for 24 country markets, North America and the named
    countries of six regional markets; Zimbabwe in Other, then in Rest of Africa from
    2025-10-01; nine countries leave their regions for markets of their own on 2026-10-01
    (reported). A country the map does not name has no market here (`None`).
    """
    return _read_map(_data_stream(_MARKETS_FILE))


@functools.cache
def _builtin_card(currency: str) -> RateCard:
    rates: list[Rate] = []
    ends: list[PriceEnd] = []
    for file, file_currency in _BUILTIN_FILES:
        if file_currency == currency:
            card = load_rate_card(_data_stream(file), name=file)
            rates += card.rates
            ends += card.ends
    name = BUILTIN_NAME.replace("USD", currency)
    return RateCard(rates, ends=ends, name=name, market_map=builtin_market_map())


BUILTIN_CURRENCIES: Final = tuple(sorted({currency for _, currency in _BUILTIN_FILES}))
"""The currencies of the shipped rate cards."""


def builtin_rate_card(at: datetime | None = None, *, currency: str = "USD") -> RateCard:
    """Return the shipped rate card in `currency`: every revision, or the one in force at `at`.

    The card holds Meta's per-message rates as the project found them (every row with its
    date, source and provenance; ``wa_outbound/data/README.md`` lists the files and their
    gaps) and Meta's dated market map, so a recipient's region finds its market's price:
    16 countries (Afghanistan to Bahamas) from 2025-07-01, the changes of 2025-10-01 and
    2026-04-01 whose amounts are not known here (their prices are `None` from then), and all
    32 markets from 2026-01-01 (reported). Read once per currency and cached.

    Args:
        at: `None` for every revision (`price(..., at)` picks the row in force); an instant
            for only the prices in force then (`RateCard.in_force`).
        currency: ``"USD"``, ``"INR"`` (India only) or ``"AED"`` (six markets from
            2026-10-01, reported).

    Raises:
        InvalidValueError: No shipped card is in `currency`.
        NaiveDatetimeError: `at` has no time zone.
    """
    if currency not in BUILTIN_CURRENCIES:
        raise InvalidValueError(
            "currency", currency, "no shipped card: expected " + ", ".join(BUILTIN_CURRENCIES)
        )
    card = _builtin_card(currency)
    return card if at is None else card.in_force(at)


def recipient_market(
    recipient: WaId | BusinessScopedUserId | str,
    at: datetime,
    *,
    market_map: MarketMap | None = None,
) -> str | None:
    """Return the Meta market of a recipient's number at `at`, or `None` if it cannot be told.

    The region comes from `recipient_region`, the market from `market_map` (default: the
    shipped `builtin_market_map()`). A business-scoped user ID, a non-geographic number, or a
    country the map does not name (including one sharing a calling code with a named one,
    such as Kazakhstan's +7 before 2026-10-01) gives `None`.

    Raises:
        ImportError: `phonenumbers` is not installed.
        InvalidValueError: A text that is not a phone number in international form.
    """
    if market_map is not None:
        expect("market_map", market_map, MarketMap)
    chosen = builtin_market_map() if market_map is None else market_map
    return chosen.market(recipient_region(recipient), at)


# Region of a recipient ---------------------------------------------------------------------

_E164: Final = re.compile(r"[1-9][0-9]{6,14}")
_NO_REGION: Final = frozenset({"001", "ZZ"})
"""`phonenumbers`' answers that name no region: non-geographic numbers, unknown codes."""
_NODE_DIGITS: Final = 3
"""National digits read before deciding how many more a shared calling code needs."""
_CACHE_LIMIT: Final = 1 << 16
"""Most prefixes of shared calling codes kept, so memory does not grow with the recipients."""
_PARSE_ALWAYS: Final = -1

_by_head: dict[str, str | int | None] = {}
"""First three digits -> region (or None), or the length of a shared calling code."""
_by_node: dict[str, int] = {}
"""Shared code + three digits -> how many leading digits decide the region (or -1)."""
_by_prefix: dict[tuple[int, str], str | None] = {}
"""(Length of the number, its deciding prefix) -> region, for shared calling codes."""


def recipient_region(recipient: WaId | BusinessScopedUserId | str) -> str | None:
    """Return the ISO 3166 region of a recipient's number, or `None` if it has none.

    The answer is `phonenumbers.region_code_for_number` for the number (the ``pricing`` extra),
    cached by the prefix that decides it (see the module's theory of operation), so a call
    costs a few dictionary look-ups once the prefix has been seen.

    Args:
        recipient: A `WaId`, or a phone number as text (digits, or with "+", spaces, dashes).
            A `BusinessScopedUserId` has no number, hence no region.

    Returns:
        A region code such as ``"DE"``, or `None` for business-scoped user IDs, unknown
        calling codes and non-geographic numbers (``+800``, ``+882``, ...).

    Raises:
        ImportError: `phonenumbers` is not installed.
        InvalidValueError: A text that is not a phone number in international form.
    """
    digits = recipient.value if type(recipient) is WaId else _digits(recipient)
    if digits is None:
        return None
    head = digits[:3]
    try:
        found = _by_head[head]
    except KeyError:
        found = _by_head[head] = _head_entry(head)
    if found is None or isinstance(found, str):
        return found
    node = digits[: found + _NODE_DIGITS]
    try:
        size = _by_node[node]
    except KeyError:
        size = _by_node[node] = _deciding_length(digits[:found], node[found:])
    if size == _PARSE_ALWAYS:
        return _parsed_region(digits)
    key = (len(digits), digits[:size])
    try:
        return _by_prefix[key]
    except KeyError:
        region = _parsed_region(digits)
        if len(_by_prefix) < _CACHE_LIMIT:
            _by_prefix[key] = region
        return region


def _digits(recipient: object) -> str | None:
    """Return the digits of a recipient that is not exactly a `WaId`; `None` for a BSUID."""
    if isinstance(recipient, str):
        return recipient if _E164.fullmatch(recipient) else WaId.parse(recipient).value
    if isinstance(recipient, WaId):
        return recipient.value
    if isinstance(recipient, BusinessScopedUserId):
        return None
    raise InvalidValueError("recipient", recipient, "expected a WaId or a phone number")


def _head_entry(head: str) -> str | int | None:
    """Return the region of a single-region calling code, or a shared code's length."""
    try:
        import phonenumbers  # noqa: PLC0415 - an optional dependency, imported when first used
    except ImportError as error:
        raise ImportError(
            "recipient_region needs phonenumbers: install wa_outbound[pricing]"
        ) from error
    for size in (1, 2, 3):
        regions = phonenumbers.region_codes_for_country_code(int(head[:size]))
        if len(regions) > 1:
            return size
        if regions and regions[0] != phonenumbers.UNKNOWN_REGION:
            return None if regions[0] in _NO_REGION else regions[0]
    return None


def _parsed_region(digits: str) -> str | None:
    import phonenumbers  # noqa: PLC0415 - optional, and loaded by _head_entry already

    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    return None if region is None or region in _NO_REGION else region


def _deciding_length(code: str, national: str) -> int:
    r"""Return how many leading digits decide the region of numbers starting `code + national`.

    `phonenumbers` picks the region of a shared calling code by trying each region in turn: a
    region with leading-digit patterns takes the number if one matches its start; one without
    takes it if any of its number-type patterns matches the whole national number. Each pattern
    is read as a regular expression; after `national`, the digits that can still change a
    match are bounded (a pattern ending in ``\d{n}`` only counts the length after its last
    digit that matters), so a longer prefix and the length of the number decide the answer.
    Returns `_PARSE_ALWAYS` when no bound is found.
    """
    from phonenumbers import PhoneMetadata, region_codes_for_country_code  # noqa: PLC0415

    found = [
        PhoneMetadata.metadata_for_region(region)
        for region in region_codes_for_country_code(int(code))
    ]
    regions = [metadata for metadata in found if metadata is not None]
    if len(regions) != len(found):
        return _PARSE_ALWAYS  # a region without metadata: let phonenumbers decide each time
    try:
        npfp = regions[0].national_prefix_for_parsing
        if npfp and _may_start(_pattern(npfp), national):
            return _PARSE_ALWAYS  # parse may strip a national prefix and shift the digits
        more = 0
        for metadata in regions:
            if metadata.leading_digits is not None:
                leading = _pattern(metadata.leading_digits)
                if _starts(leading, national):
                    break  # this region takes every such number; later ones are not asked
                rests = _residuals(leading, national)
                more = max([more, *(_width(rest) for rest in rests)])
                continue
            for description in _descriptions(metadata):
                rests = _residuals(_pattern(description), national)
                more = max([more, *(_depth(rest) for rest in rests)])
    except _UnboundedError:
        return _PARSE_ALWAYS
    return len(code) + len(national) + more


def _descriptions(metadata: Any) -> Iterator[str]:  # noqa: ANN401 - phonenumbers' metadata
    for description in (
        metadata.general_desc,
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
        metadata.fixed_line,
        metadata.mobile,
    ):
        if description is not None and description.national_number_pattern is not None:
            yield description.national_number_pattern


# A tiny regular-expression algebra over digits, enough for libphonenumber's patterns: the
# standard library's parser reads a pattern; the analysis below fails closed (raises
# _UnboundedError, and the number is parsed in full) on anything else.

_DIGITS: Final = frozenset("0123456789")


class _UnboundedError(Exception):
    """A pattern the analysis cannot bound: parse such numbers in full."""


@attrs.frozen(cache_hash=True)
class _Set:
    chars: frozenset[str]


@attrs.frozen(cache_hash=True)
class _Alt:
    options: tuple[tuple[_Node, ...], ...]


@attrs.frozen(cache_hash=True)
class _Repeat:
    low: int
    high: int | None
    body: tuple[_Node, ...]


@attrs.frozen(cache_hash=True)
class _End:
    pass


_Node = _Set | _Alt | _Repeat | _End
_Seq = tuple[_Node, ...]


@functools.cache
def _pattern(text: str) -> _Seq:
    new = sys.version_info >= (3, 11)
    parser = importlib.import_module("re._parser" if new else "sre_parse")
    constants = importlib.import_module("re._constants" if new else "sre_constants")
    try:
        return _convert(parser.parse(text), constants)
    except re.error:
        raise _UnboundedError(text) from None


def _convert(items: Any, k: Any) -> _Seq:  # noqa: ANN401 - the stdlib parser is untyped
    out: list[_Node] = []
    for op, value in items:
        if op is k.LITERAL:
            out.append(_Set(frozenset(chr(value)) & _DIGITS))
        elif op is k.IN:
            out.append(_Set(_charset(value, k)))
        elif op is k.BRANCH:
            out.append(_Alt(tuple(_convert(option, k) for option in value[1])))
        elif op is k.MAX_REPEAT or op is k.MIN_REPEAT:
            low, high, body = value
            out.append(_Repeat(low, None if high == k.MAXREPEAT else high, _convert(body, k)))
        elif op is k.SUBPATTERN:
            out.extend(_convert(value[-1], k))
        elif op is k.AT and value is k.AT_END:
            out.append(_End())
        else:
            raise _UnboundedError(op)
    return tuple(out)


def _charset(items: Any, k: Any) -> frozenset[str]:  # noqa: ANN401 - the stdlib parser
    chars: set[str] = set()
    for op, value in items:
        if op is k.LITERAL:
            chars.add(chr(value))
        elif op is k.RANGE:
            chars.update(chr(code) for code in range(value[0], value[1] + 1))
        elif op is k.CATEGORY and value is k.CATEGORY_DIGIT:
            chars.update(_DIGITS)
        else:
            raise _UnboundedError(op)
    return frozenset(chars) & _DIGITS


def _nullable(seq: _Seq) -> bool:
    """Whether `seq` matches the empty string (an end anchor counts: it may be the end)."""
    return all(_nullable_node(node) for node in seq)


def _nullable_node(node: _Node) -> bool:
    if isinstance(node, _Set):
        return False
    if isinstance(node, _Alt):
        return any(_nullable(option) for option in node.options)
    if isinstance(node, _Repeat):
        return node.low == 0 or _nullable(node.body)
    return True


def _step(seq: _Seq, digit: str) -> list[_Seq]:
    """Return what is left of `seq` to match after it reads `digit` (none: no match)."""
    if not seq:
        return []
    node, rest = seq[0], seq[1:]
    if isinstance(node, _Set):
        return [rest] if digit in node.chars else []
    if isinstance(node, _Alt):
        return [left for option in node.options for left in _step(option + rest, digit)]
    if isinstance(node, _Repeat):
        if _nullable(node.body):
            raise _UnboundedError(node)
        left: list[_Seq] = []
        if node.high is None or node.high > 0:
            again = _Repeat(
                max(node.low - 1, 0), None if node.high is None else node.high - 1, node.body
            )
            left.extend(_step((*node.body, again, *rest), digit))
        if node.low == 0:
            left.extend(_step(rest, digit))
        return left
    return []  # an end anchor: nothing follows it


@functools.cache
def _residuals(seq: _Seq, digits: str) -> frozenset[_Seq]:
    """What is left of `seq` after it reads `digits`; cached, as prefixes share their start."""
    if not digits:
        return frozenset({seq})
    before = _residuals(seq, digits[:-1])
    return frozenset(left for state in before for left in _step(state, digits[-1]))


def _starts(seq: _Seq, digits: str) -> bool:
    """Whether a prefix of `digits` is matched by `seq` (what `re.match` finds)."""
    states = {seq}
    for digit in digits:
        if any(_nullable(state) for state in states):
            return True
        states = {left for state in states for left in _step(state, digit)}
    return any(_nullable(state) for state in states)


def _may_start(seq: _Seq, digits: str) -> bool:
    """Whether `seq` may match at the start of some number that starts with `digits`."""
    return _starts(seq, digits) or bool(_residuals(seq, digits))


@functools.cache
def _width(seq: _Seq) -> int:
    """The longest string `seq` can match."""
    total = 0
    for node in seq:
        if isinstance(node, _Set):
            total += 1
        elif isinstance(node, _Alt):
            total += max(_width(option) for option in node.options)
        elif isinstance(node, _Repeat):
            if node.high is None:
                raise _UnboundedError(node)
            total += node.high * _width(node.body)
    return total


def _any_digits(node: _Node) -> bool:
    r"""Whether `node` accepts any digits at all (``\d``, ``\d{2,4}``, ``(?:\d{2})?``)."""
    if isinstance(node, _Set):
        return node.chars == _DIGITS
    if isinstance(node, _Alt):
        return all(all(_any_digits(item) for item in option) for option in node.options)
    if isinstance(node, _Repeat):
        return all(_any_digits(item) for item in node.body)
    return False


@functools.cache
def _depth(seq: _Seq) -> int:
    """How many leading digits, with the length, decide whether a number matches `seq`.

    A trailing run of any-digit items accepts every digit string of its lengths, so only what
    comes before it is read; for a final alternation, the deepest option counts.
    """
    items = list(seq)
    while items and _any_digits(items[-1]):
        items.pop()
    if not items:
        return 0
    *head, last = items
    tail = (
        max(_depth(option) for option in last.options)
        if isinstance(last, _Alt)
        else _width((last,))
    )
    return _width(tuple(head)) + tail


def known_region(recipient: WaId | BusinessScopedUserId) -> str | None:
    """Return the recipient's region, or `None` when it has no number or `phonenumbers` is missing.

    What pricing and `decide` use: without the ``pricing`` extra a market is simply unknown
    (a price is then reported unknown), never an error.
    """
    try:
        return recipient_region(recipient)
    except ImportError:  # the pricing extra is not installed: the market stays unknown
        return None
