"""Rate cards: what one delivered message costs, by category and recipient market, on a date.

Theory of operation
-------------------
Meta publishes a price per delivered message (per-message pricing, from 2025-07-01) or per
conversation (conversation-based pricing, until 2025-06-30) for each *category* (marketing,
utility, authentication, authentication-international, service) and each *market* of the
recipient's number. A business gets its card from Meta or from its provider, who may add a fee.

A `RateCard` is a set of `Rate` rows: one amount, in one currency, for one category and one
market, in force from `effective_from`, with the source it was read from. `RateCard.price`
returns the row in force at an instant, or `None`: a missing price is an answer ("price
unknown"), never a zero and never a guess. Nothing is interpolated, converted or derived from
another row.

Markets are ISO 3166 region codes (`"DE"`, `"IN"`) read from the recipient's number with
`phonenumbers` (`recipient_region`); a card may also name a market that covers several regions
(Meta's "Rest of Western Europe"), in which case the card lists its regions.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._errors import InvalidValueError
from wa_outbound._time import utc

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["PriceCategory", "Rate", "RateCard"]


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


def _rows(value: Iterable[Rate]) -> tuple[Rate, ...]:
    return tuple(value)


def _market(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(attribute.name, value, "expected a market: a region code or name")


@attrs.frozen(kw_only=True)
class Rate:
    """One price: an amount per delivered message of one category to one market."""

    market: str = attrs.field(validator=_market)
    """The recipient market: an ISO 3166 region code (`"DE"`) or a named group of regions."""
    category: PriceCategory = attrs.field(validator=attrs.validators.instance_of(PriceCategory))
    """What the price is for."""
    amount: Decimal = attrs.field(converter=_amount)
    """The price of one delivered message (or conversation, under conversation-based pricing)."""
    currency: str = attrs.field(validator=_currency)
    """ISO 4217 currency code."""
    effective_from: datetime = attrs.field(converter=_effective_from)
    """Instant (aware, UTC) from which the price applies."""
    source: str = ""
    """Where the price was read from (a URL, or the file of the host's rate card)."""


@attrs.frozen
class RateCard:
    """Prices by category and market, each with the date it took effect and its source.

    Build one from `Rate` rows; `price(category, market, at)` gives the row in force.
    `regions` maps a named market (a group of regions) to its ISO region codes, so that a
    recipient's region finds the group's price.
    """

    rates: tuple[Rate, ...] = attrs.field(converter=_rows)
    """Every row, in any order."""
    regions: Mapping[str, str] = attrs.field(factory=dict, kw_only=True)
    """Region code to named market, for cards priced by groups of regions."""
    name: str = attrs.field(default="", kw_only=True)
    """A name for the card (the file or the provider)."""
    _index: dict[tuple[PriceCategory, str], tuple[list[datetime], list[Rate]]] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        """Index the rows by (category, market) and date; refuse two rows for the same key."""
        index: dict[tuple[PriceCategory, str], tuple[list[datetime], list[Rate]]] = {}
        for rate in sorted(self.rates, key=lambda r: r.effective_from):
            if not isinstance(rate, Rate):
                raise InvalidValueError("rates", rate, "expected Rate values")
            starts, rows = index.setdefault((rate.category, rate.market), ([], []))
            if starts and starts[-1] == rate.effective_from:
                raise InvalidValueError(
                    "rates",
                    rate,
                    f"two prices for {rate.category.value} in {rate.market} from"
                    f" {rate.effective_from.date().isoformat()}",
                )
            starts.append(rate.effective_from)
            rows.append(rate)
        object.__setattr__(self, "_index", index)

    def price(self, category: PriceCategory, market: str, at: datetime) -> Rate | None:
        """Return the price in force at `at` for `category` in `market`, or `None` if unknown.

        `market` is a region code or a market name; a region code that the card prices as
        part of a named group finds the group's row.
        """
        found = self._index.get((category, market))
        if found is None:
            group = self.regions.get(market)
            if group is None:
                return None
            found = self._index.get((category, group))
            if found is None:
                return None
        starts, rows = found
        position = bisect.bisect_right(starts, utc("at", at)) - 1
        return rows[position] if position >= 0 else None

    @property
    def markets(self) -> frozenset[str]:
        """Every market the card prices."""
        return frozenset(market for _, market in self._index)

    @property
    def currencies(self) -> frozenset[str]:
        """Every currency the card uses."""
        return frozenset(rate.currency for rate in self.rates)

    def merged(self, rows: Iterable[Rate]) -> RateCard:
        """Return a card with `rows` added (later prices, or markets this card lacks)."""
        return attrs.evolve(self, rates=self.rates + tuple(rows))


ZERO: Final = Decimal(0)
"""Zero, in the `Decimal` arithmetic the rates use."""
