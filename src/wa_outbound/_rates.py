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

Rate-card files
---------------
`load_rate_card` reads a CSV file (stdlib `csv`, UTF-8, an optional byte-order mark) in one of
two formats, told apart by the header row:

* **wide** -- one row per country: ``iso2, country, <category>_<currency>..., source`` and
  optionally ``effective_from``. Each price column is named by a `PriceCategory` value and a
  lowercase ISO 4217 code (``marketing_usd``, ``authentication_international_usd``,
  ``service_eur``). ``iso2`` is the ISO 3166 region code that becomes the market. An empty price
  cell means *no price known* for that category, never zero. Without an ``effective_from``
  column, the caller passes `effective_from`. This is the format of the shipped data.
* **long** -- one row per price: ``market, category, amount, currency, effective_from,
  source``. ``market`` is a region code or a market name, ``category`` a `PriceCategory` value,
  ``effective_from`` an ISO 8601 date (midnight UTC) or instant (UTC if it has no zone).

Reading is strict and all or nothing: an unknown or missing column, a price that is negative or
not a plain decimal, a bad currency code, region code or date, two prices for the same market,
category and date, or an empty file raise `RateCardError` naming the row (the header is row 1)
and the column, and no card is returned. Currency codes are checked for their form (three
uppercase letters) only: no maintained ISO 4217 list is among the dependencies.

`builtin_rate_card` is the shipped copy of the project's rate data (``wa_outbound/data``): Meta's
per-message rates from 2025-07-01 for 16 countries only (Afghanistan to Bahamas), with the
source of every row. Its README lists the gaps.

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

from wa_outbound._errors import InvalidValueError, RateCardError
from wa_outbound._ids import BusinessScopedUserId, WaId
from wa_outbound._time import utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "PriceCategory",
    "Rate",
    "RateCard",
    "builtin_rate_card",
    "load_rate_card",
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
        for rate in self.rates:
            if not isinstance(rate, Rate):
                raise InvalidValueError("rates", rate, "expected Rate values")
        for rate in sorted(self.rates, key=lambda r: r.effective_from):
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


# Rate-card files ---------------------------------------------------------------------------

BUILTIN_EFFECTIVE_FROM: Final = datetime(2025, 7, 1, tzinfo=timezone.utc)
"""When the shipped rates took effect (Meta: midnight in each WABA's time zone; here UTC)."""
BUILTIN_NAME: Final = "Meta per-message rates 2025-07-01 (16 of ~245 countries, via docs.sent.dm)"
"""The name of `builtin_rate_card()`, saying what it covers."""
_BUILTIN_FILE: Final = "rates-per-message-2025-07-01.csv"

_WIDE_REQUIRED: Final = ("iso2", "country", "source")
_LONG_COLUMNS: Final = ("market", "category", "amount", "currency", "effective_from", "source")
_DATES: Final = "effective_from"
_CATEGORIES: Final = {category.value: category for category in PriceCategory}
_PRICE_COLUMN: Final = re.compile(r"(?P<category>[a-z_]+)_(?P<currency>[a-z]{3})")
_DECIMAL: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_REGION: Final = re.compile(r"[A-Z]{2}")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def load_rate_card(
    source: str | os.PathLike[str] | TextIO,
    *,
    name: str | None = None,
    effective_from: datetime | None = None,
) -> RateCard:
    """Read a rate card from a CSV file, strictly: one bad row and no card is returned.

    Two formats are read, told apart by the header row (the header is row 1; a row number is
    the line number in the file):

    * wide, one row per country: ``iso2, country, <category>_<currency>..., source`` and an
      optional ``effective_from``. A price column is a `PriceCategory` value and a lowercase
      currency code (``marketing_usd``, ``utility_usd``, ``authentication_usd``,
      ``authentication_international_usd``, ``service_usd``). ``iso2`` (two uppercase letters)
      is the market. An empty price cell is *no price known*, never zero.
    * long, one row per price: ``market, category, amount, currency, effective_from, source``.

    Dates are ISO 8601: a date is midnight UTC, an instant without a zone is UTC. Prices are
    plain decimals (``0.0732``); currencies three uppercase letters; every row names a source.
    Cells are stripped of surrounding spaces; blank lines are skipped.

    Args:
        source: A path to the file, or an open text stream (opened with ``newline=""``).
        name: The card's name; defaults to the file's name (empty for a stream).
        effective_from: When the prices took effect, for a wide file without an
            ``effective_from`` column (required then, refused otherwise).

    Returns:
        The card, with every row's source.

    Raises:
        RateCardError: The file cannot be used; `field` names the row and the column
            (``"row 7, utility_usd"``) or ``"header"``.
        InvalidValueError: `effective_from` is given for a file with its own dates.
        NaiveDatetimeError: `effective_from` has no time zone.
        OSError: The file cannot be opened.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return _read_card(stream, path.name if name is None else name, effective_from)
    return _read_card(source, "" if name is None else name, effective_from)


def _read_card(stream: TextIO, name: str, effective_from: datetime | None) -> RateCard:
    fixed_start = None if effective_from is None else utc("effective_from", effective_from)
    reader = csv.reader(stream, strict=True)
    records = _records(reader)
    first = next(records, None)
    if first is None:
        raise RateCardError("header", "", "the file is empty: expected a header row")
    header = [column.strip() for column in first[1]]
    read_row = _row_reader(header, fixed_start)
    rates: list[Rate] = []
    seen: dict[tuple[str, PriceCategory, datetime], int] = {}
    for line, cells in records:
        if len(cells) != len(header):
            raise RateCardError(
                f"row {line}", cells, f"expected {len(header)} cells, found {len(cells)}"
            )
        row = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        for column, rate in read_row(line, row):
            key = (rate.market, rate.category, rate.effective_from)
            if key in seen:
                raise RateCardError(
                    f"row {line}, {column}",
                    row[column],
                    f"a second price for {rate.category.value} in {rate.market} from"
                    f" {rate.effective_from.isoformat()}; the first is on row {seen[key]}",
                )
            seen[key] = line
            rates.append(rate)
    if not rates:
        raise RateCardError("rows", 0, "the file has no prices")
    return RateCard(rates, name=name)


def _row_reader(
    header: list[str], fixed_start: datetime | None
) -> Callable[[int, dict[str, str]], Iterator[tuple[str, Rate]]]:
    """Tell the format from the header; return the function that reads its rows."""
    for position, column in enumerate(header):
        if column in header[:position]:
            raise RateCardError("header", column, "the column appears twice")
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
) -> Callable[[int, dict[str, str]], Iterator[tuple[str, Rate]]]:
    prices = _price_columns(header)
    start = _start(_DATES in header, fixed_start)

    def read_row(line: int, row: dict[str, str]) -> Iterator[tuple[str, Rate]]:
        market = row["iso2"]
        if _REGION.fullmatch(market) is None:
            raise RateCardError(
                f"row {line}, iso2", market, "expected an ISO 3166 region code: two capitals"
            )
        source = _source(line, row)
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
        if column in _WIDE_REQUIRED or column == _DATES:
            continue
        match = _PRICE_COLUMN.fullmatch(column)
        category = None if match is None else _CATEGORIES.get(match["category"])
        if match is None or category is None:
            raise RateCardError(
                "header",
                column,
                "not a column of the wide format: expected iso2, country, source,"
                " effective_from or <category>_<currency> with a category of "
                + ", ".join(_CATEGORIES),
            )
        prices.append((column, category, match["currency"].upper()))
    if not prices:
        raise RateCardError("header", ",".join(header), "no price column (<category>_<currency>)")
    return prices


def _long_reader(
    header: list[str], fixed_start: datetime | None
) -> Callable[[int, dict[str, str]], Iterator[tuple[str, Rate]]]:
    for column in header:
        if column not in _LONG_COLUMNS:
            raise RateCardError(
                "header",
                column,
                "not a column of the long format: expected " + ", ".join(_LONG_COLUMNS),
            )
    for column in _LONG_COLUMNS:
        if column not in header:
            raise RateCardError("header", column, "missing column of the long format")
    _start(has_dates=True, fixed_start=fixed_start)

    def read_row(line: int, row: dict[str, str]) -> Iterator[tuple[str, Rate]]:
        market = row["market"]
        if not market:
            raise RateCardError(f"row {line}, market", market, "expected a region code or name")
        category = _CATEGORIES.get(row["category"])
        if category is None:
            raise RateCardError(
                f"row {line}, category",
                row["category"],
                "expected one of " + ", ".join(_CATEGORIES),
            )
        currency = row["currency"]
        if _CURRENCY.fullmatch(currency) is None:
            raise RateCardError(
                f"row {line}, currency", currency, "expected an ISO 4217 code like USD"
            )
        if not row["amount"]:
            raise RateCardError(
                f"row {line}, amount", "", "no amount: leave out the row of an unknown price"
            )
        amount = _price(f"row {line}, amount", row["amount"])
        rate = Rate(
            market=market,
            category=category,
            amount=amount,
            currency=currency,
            effective_from=_instant(line, row[_DATES]),
            source=_source(line, row),
        )
        yield "amount", rate

    return read_row


def _source(line: int, row: dict[str, str]) -> str:
    source = row["source"]
    if not source:
        raise RateCardError(f"row {line}, source", source, "every price names where it is from")
    return source


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
    return utc(field, value)


@functools.cache
def builtin_rate_card() -> RateCard:
    """Return the shipped rate card: Meta's per-message rates from 2025-07-01, 16 countries.

    Read once from ``wa_outbound/data/rates-per-message-2025-07-01.csv`` and cached. It covers
    only Afghanistan to Bahamas (alphabetically), has no authentication-international or service
    prices and no later changes: every other price is `None` ("price unknown"). The prices take
    effect at 2025-07-01 00:00 UTC; Meta applies them from midnight in each business account's
    time zone. Every row keeps its source; the package data's README lists the gaps.
    """
    data = resources.files("wa_outbound") / "data" / _BUILTIN_FILE
    text = data.read_text(encoding="utf-8-sig")
    return load_rate_card(
        io.StringIO(text, newline=""), name=BUILTIN_NAME, effective_from=BUILTIN_EFFECTIVE_FROM
    )


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
