"""Meta's markets and revisions: the dated market map, the shipped cards, tiers, ends, diffs."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import _rates
from wa_outbound._campaign import CampaignRecipient, iter_schedule
from wa_outbound._conversation import Conversation
from wa_outbound._cost import estimate_cost
from wa_outbound._errors import InvalidValueError, RateCardError
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._rates import (
    MarketEntry,
    MarketMap,
    PriceCategory,
    PriceEnd,
    Rate,
    RateCard,
    RateChange,
    authentication_international,
    authentication_international_countries,
    builtin_market_map,
    builtin_rate_card,
    load_market_map,
    load_rate_card,
    recipient_market,
    recipient_region,
)
from wa_outbound._rules import rules_at

UTC = timezone.utc
SECOND = timedelta(seconds=1)
JULY_2025 = datetime(2025, 7, 1, tzinfo=UTC)
OCTOBER_2025 = datetime(2025, 10, 1, tzinfo=UTC)
JANUARY_2026 = datetime(2026, 1, 1, tzinfo=UTC)
APRIL_2026 = datetime(2026, 4, 1, tzinfo=UTC)
OCTOBER_2026 = datetime(2026, 10, 1, tzinfo=UTC)
MARKETING = PriceCategory.MARKETING
UTILITY = PriceCategory.UTILITY
AUTHENTICATION = PriceCategory.AUTHENTICATION
INTERNATIONAL = PriceCategory.AUTHENTICATION_INTERNATIONAL
LONG = "market,category,amount,currency,effective_from,source,provenance,volume_from\n"
MAP_HEADER = "iso2,country,calling_code,prefixes,market,effective_from,provenance,source\n"


def _data(file: str) -> list[dict[str, str]]:
    text = (resources.files("wa_outbound") / "data" / file).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _card(text: str) -> RateCard:
    return load_rate_card(io.StringIO(text, newline=""))


def _amount(card: RateCard, category: PriceCategory, market: str, at: datetime) -> Decimal | None:
    rate = card.price(category, market, at)
    return None if rate is None else rate.amount


def _example(region: str) -> str:
    """A valid number of `region`, in E.164, from phonenumbers' own examples."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:  # pragma: no cover - every mapped region has an example today
        number = phonenumbers.example_number(region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The market map -----------------------------------------------------------------------------


def test_every_mapped_country_is_where_phonenumbers_puts_its_calling_code() -> None:
    """Each row's region uses the row's calling code; each named prefix reads as that region."""
    for entry in builtin_market_map().entries:
        code = int(entry.calling_code)
        assert entry.region in phonenumbers.region_codes_for_country_code(code), entry
        assert code == phonenumbers.country_code_for_region(entry.region), entry
        for prefix in entry.prefixes:
            assert entry.region == recipient_region(f"+{code}{prefix}2345678"), entry


def test_an_example_number_of_every_mapped_country_finds_its_market() -> None:
    """A valid number of each mapped country finds the market the map gives it."""
    market_map = builtin_market_map()
    for region in {entry.region for entry in market_map.entries}:
        for at in (JANUARY_2026, OCTOBER_2026):
            expected = market_map.market(region, at)
            assert expected == recipient_market(_example(region), at), region


@pytest.mark.parametrize(
    ("number", "at", "market"),
    [
        ("+263771234567", OCTOBER_2025 - SECOND, "Other"),
        ("+263771234567", OCTOBER_2025, "Rest of Africa"),
        ("+4915123456789", JANUARY_2026, "Germany"),
        ("+14155550123", JANUARY_2026, "North America"),
        ("+18092345678", JANUARY_2026, "Rest of Latin America"),
        ("+18762345678", JANUARY_2026, "Rest of Latin America"),
        ("+12423570000", JANUARY_2026, None),  # the Bahamas: not named on Meta's page
        ("+79123456789", JANUARY_2026, "Russia"),
        ("+77012345678", OCTOBER_2026 - SECOND, None),  # Kazakhstan shares +7 with Russia
        ("+77012345678", OCTOBER_2026, "Kazakhstan"),
        ("+8801712345678", OCTOBER_2026 - SECOND, "Rest of Asia Pacific"),
        ("+8801712345678", OCTOBER_2026, "Bangladesh"),
        ("+441481256789", JANUARY_2026, None),  # Guernsey shares +44 with the UK
        ("+80012345678", JANUARY_2026, None),  # non-geographic
    ],
)
def test_recipient_market_on_both_sides_of_each_move(
    number: str, at: datetime, market: str | None
) -> None:
    """Zimbabwe moves on 2025-10-01, nine countries on 2026-10-01; unclear numbers stay None."""
    assert market == recipient_market(number, at)


def test_a_business_scoped_user_has_no_market() -> None:
    """Without a number there is no market."""
    assert recipient_market(BusinessScopedUserId("CC.12345"), JANUARY_2026) is None


def test_a_map_answers_by_date_and_lists_its_markets() -> None:
    """Before its first row a region has no market; `regions` lists a market's countries."""
    market_map = builtin_market_map()
    assert market_map.market("DE", datetime(2023, 5, 31, tzinfo=UTC)) is None
    assert market_map.market(None, JANUARY_2026) is None
    western = {"AT", "BE", "DK", "FI", "IE", "NO", "PT", "SE", "CH"}
    assert western == market_map.regions("Rest of Western Europe", JANUARY_2026)
    assert "ZW" not in market_map.regions("Rest of Africa", OCTOBER_2025 - SECOND)
    assert 32 + 9 == len(market_map.markets)


def test_every_mapped_row_has_provenance_and_source() -> None:
    """Meta's page is official; the 2026-10-01 moves are reported."""
    for entry in builtin_market_map().entries:
        assert entry.source
        expected = "reported" if entry.effective_from == OCTOBER_2026 else "official"
        assert expected == entry.provenance


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("iso2,country\n", "header"),
        (MAP_HEADER + "de,Germany,49,,Germany,2025-07-01,official,s\n", "row 2, iso2"),
        (MAP_HEADER + "DE,Germany,049,,Germany,2025-07-01,official,s\n", "row 2, calling_code"),
        (MAP_HEADER + "DO,Dominica,1,8x9,Other,2025-07-01,official,s\n", "row 2, prefixes"),
        (MAP_HEADER + "DE,Germany,49,,,2025-07-01,official,s\n", "row 2, market"),
        (MAP_HEADER + "DE,Germany,49,,Germany,2025-07-01,certain,s\n", "row 2, provenance"),
        (MAP_HEADER + "DE,Germany,49,,Germany,2025-07-01,official,\n", "row 2, source"),
        (MAP_HEADER + "DE,Germany,49,,Germany,soon,official,s\n", "row 2, effective_from"),
        (
            MAP_HEADER
            + "DE,Germany,49,,Germany,2025-07-01,official,s\n"
            + "DE,Germany,49,,Other,2025-07-01,official,s\n",
            "rows",
        ),
    ],
)
def test_a_bad_map_file_names_the_row_and_column(text: str, field: str) -> None:
    """Reading a map is strict, like reading a card."""
    with pytest.raises(RateCardError) as raised:
        load_market_map(io.StringIO(text, newline=""))
    assert field == raised.value.field


def test_a_map_is_read_from_a_path_and_refuses_other_rows(tmp_path: pytest.TempPathFactory) -> None:
    """A map file is read from its path; a MarketMap holds MarketEntry rows only."""
    path = tmp_path / "map.csv"  # type: ignore[operator]
    path.write_text(MAP_HEADER + "DE,Germany,49,,Germany,2025-07-01,official,s\n")
    assert "Germany" == load_market_map(path).market("DE", JULY_2025)
    with pytest.raises(InvalidValueError):
        MarketMap(["DE"])  # type: ignore[list-item]


# The shipped cards: worked examples on both sides of each revision ---------------------------


def test_every_market_of_the_2026_card_prices_a_number_as_the_file_says() -> None:
    """For each market row of the 2026-01-01 file, a number in that market costs the row."""
    card = builtin_rate_card()
    market_map = builtin_market_map()
    for row in _data("rates-usd-2026-01-01.csv"):
        category = PriceCategory(row["category"])
        regions = market_map.regions(row["market"], JANUARY_2026)
        if not regions:  # Other: since Zimbabwe left it, the map names none of its countries
            assert "Other" == row["market"]
            continue
        region = min(regions)
        number = _example(region)
        assert row["market"] == recipient_market(number, JANUARY_2026)
        rate = card.price(category, recipient_region(number) or "", JANUARY_2026)
        assert rate is not None
        assert Decimal(row["amount"]) == rate.amount
        assert (row["market"], "reported") == (rate.market, rate.provenance)
        before = card.price(category, region, JANUARY_2026 - SECOND)
        assert before is None or before.effective_from < JANUARY_2026


@pytest.mark.parametrize(
    ("category", "market", "at", "amount"),
    [
        # Argentina: 2025-07-01 per country, lowered on 2025-10-01 (amount unknown), 2026 card
        (UTILITY, "AR", OCTOBER_2025 - SECOND, Decimal("0.0289")),
        (UTILITY, "AR", OCTOBER_2025, None),
        (UTILITY, "AR", JANUARY_2026, Decimal("0.0260")),
        (MARKETING, "AR", OCTOBER_2025, Decimal("0.0618")),  # marketing did not change
        # Saudi Arabia: marketing raised on 2026-04-01 (amount unknown); utility unchanged
        (MARKETING, "SA", APRIL_2026 - SECOND, Decimal("0.0455")),
        (MARKETING, "SA", APRIL_2026, None),
        (UTILITY, "SA", APRIL_2026, Decimal("0.0107")),
        # India: authentication-international raised on 2026-04-01; authentication unchanged
        (INTERNATIONAL, "IN", APRIL_2026 - SECOND, Decimal("0.0280")),
        (INTERNATIONAL, "IN", APRIL_2026, None),
        (AUTHENTICATION, "IN", APRIL_2026, Decimal("0.0014")),
        # Pakistan: utility and authentication raised on 2026-04-01, international unchanged
        (UTILITY, "PK", APRIL_2026, None),
        (INTERNATIONAL, "PK", APRIL_2026, Decimal("0.0750")),
        # Turkey: utility lowered on 2026-04-01
        (UTILITY, "TR", APRIL_2026 - SECOND, Decimal("0.0053")),
        (UTILITY, "TR", APRIL_2026, None),
        # Zimbabwe: Other until 2025-09-30 (no 2025 Other row), Rest of Africa in 2026
        (MARKETING, "ZW", JANUARY_2026, Decimal("0.0225")),
        # Bangladesh: Rest of Asia Pacific until its own market on 2026-10-01 (amount unknown)
        (UTILITY, "BD", OCTOBER_2026 - SECOND, Decimal("0.0113")),
        (UTILITY, "BD", OCTOBER_2026, None),
        # Afghanistan: its own 2025 row, then Rest of Asia Pacific's 2026 row (same amount)
        (MARKETING, "AF", JANUARY_2026 - SECOND, Decimal("0.0732")),
        (MARKETING, "AF", JANUARY_2026, Decimal("0.0732")),
        # Germany and the United States: nothing before the 2026 card
        (UTILITY, "DE", JANUARY_2026 - SECOND, None),
        (UTILITY, "DE", JANUARY_2026, Decimal("0.0550")),
        (UTILITY, "US", JANUARY_2026, Decimal("0.0034")),
        (MARKETING, "GB", JANUARY_2026, Decimal("0.0529")),
    ],
)
def test_prices_on_both_sides_of_each_revision(
    category: PriceCategory, market: str, at: datetime, amount: Decimal | None
) -> None:
    """The shipped USD card answers each revision date as the sources say, unknown as None."""
    assert amount == _amount(builtin_rate_card(), category, market, at)


def test_the_row_that_took_effect_later_wins() -> None:
    """From 2026-01-01 Afghanistan is priced by its market's row, before by its own."""
    card = builtin_rate_card()
    assert "AF" == card.price(MARKETING, "AF", JANUARY_2026 - SECOND).market  # type: ignore[union-attr]
    assert "Rest of Asia Pacific" == card.price(MARKETING, "AF", JANUARY_2026).market  # type: ignore[union-attr]


def test_the_inr_card_prices_india() -> None:
    """India in INR: marketing 0.7846 from 2025-07-01, 0.8631 from 2026-01-01."""
    card = builtin_rate_card(currency="INR")
    assert {"INR"} == card.currencies
    assert Decimal("0.7846") == _amount(card, MARKETING, "IN", JANUARY_2026 - SECOND)
    assert Decimal("0.8631") == _amount(card, MARKETING, "IN", JANUARY_2026)
    assert Decimal("0.1150") == _amount(card, UTILITY, "IN", JANUARY_2026)
    assert _amount(card, MARKETING, "DE", JANUARY_2026) is None


def test_a_card_in_another_currency_is_refused() -> None:
    """Only the shipped currencies have a card."""
    with pytest.raises(InvalidValueError) as raised:
        builtin_rate_card(currency="EUR")
    assert "currency" == raised.value.field


def test_the_card_in_force_has_one_row_per_price() -> None:
    """`builtin_rate_card(at=...)` keeps the rows in force then, and answers alike."""
    at = datetime(2026, 1, 15, tzinfo=UTC)
    whole = builtin_rate_card()
    in_force = builtin_rate_card(at)
    keys = [(rate.category, rate.market) for rate in in_force.rates]
    keys += [(end.category, end.market) for end in in_force.ends]
    assert len(keys) == len(set(keys))
    for category in PriceCategory:
        for market in ("DE", "AF", "AD", "AR", "ZW", "IN", "KZ"):
            assert whole.price(category, market, at) == in_force.price(category, market, at)
    november = builtin_rate_card(datetime(2025, 11, 1, tzinfo=UTC))
    assert november.price(UTILITY, "AR", datetime(2025, 11, 1, tzinfo=UTC)) is None


def test_diff_lists_what_got_dearer_cheaper_or_unknown() -> None:
    """Between two dates, changed and unknown prices are listed, equal ones are not."""
    changes = builtin_rate_card().diff(JANUARY_2026 - SECOND, JANUARY_2026)
    found = {(c.category, c.market): c.direction for c in changes}
    assert "unknown" == found[UTILITY, "Germany"]  # unknown before, known after
    assert (MARKETING, "AF") not in found  # the same amount on both dates
    changes = builtin_rate_card().diff(JANUARY_2026, APRIL_2026)
    found = {(c.category, c.market): c.direction for c in changes}
    assert {
        (MARKETING, "Saudi Arabia"): "unknown",
        (INTERNATIONAL, "India"): "unknown",
        (UTILITY, "Pakistan"): "unknown",
        (AUTHENTICATION, "Pakistan"): "unknown",
        (UTILITY, "Turkey"): "unknown",
        (AUTHENTICATION, "Turkey"): "unknown",
    } == found
    card = _card(
        LONG
        + "DE,marketing,0.10,EUR,2025-07-01,s,,\n"
        + "DE,marketing,0.12,EUR,2026-01-01,s,,\n"
        + "FR,marketing,0.10,EUR,2025-07-01,s,,\n"
        + "FR,marketing,0.08,EUR,2026-01-01,s,,\n"
        + "IT,marketing,0.10,EUR,2025-07-01,s,,\n"
        + "IT,marketing,0.10,EUR,2026-01-01,s,,\n"
    )
    found = {c.market: c.direction for c in card.diff(JULY_2025, JANUARY_2026)}
    assert {"DE": "dearer", "FR": "cheaper"} == found
    assert () == card.diff(JULY_2025, JULY_2025)


def test_a_change_reports_same_for_equal_amounts() -> None:
    """A change built by hand with equal amounts says so."""
    rate = builtin_rate_card().rates[0]
    assert (
        "same"
        == RateChange(category=rate.category, market=rate.market, before=rate, after=rate).direction
    )


# Ends and volume tiers ----------------------------------------------------------------------


def test_an_empty_amount_ends_the_earlier_price() -> None:
    """A long row without an amount is a PriceEnd: the earlier price stops, nothing is zero."""
    card = _card(
        LONG + "DE,marketing,0.10,EUR,2025-07-01,s,official,\nDE,marketing,,EUR,2026-01-01,s,,\n"
    )
    assert Decimal("0.10") == _amount(card, MARKETING, "DE", JANUARY_2026 - SECOND)
    assert _amount(card, MARKETING, "DE", JANUARY_2026) is None
    (end,) = card.ends
    assert (
        PriceEnd(
            market="DE", category=MARKETING, currency="EUR", effective_from=JANUARY_2026, source="s"
        )
        == end
    )


def test_a_card_refuses_other_ends_and_a_price_and_an_end_on_one_date() -> None:
    """Ends are PriceEnd values, and one date has one answer."""
    rate = builtin_rate_card().rates[0]
    with pytest.raises(InvalidValueError):
        RateCard([rate], ends=["soon"])  # type: ignore[list-item]
    end = PriceEnd(
        market=rate.market,
        category=rate.category,
        currency=rate.currency,
        effective_from=rate.effective_from,
    )
    with pytest.raises(InvalidValueError):
        RateCard([rate], ends=[end])


TIERED = (
    LONG
    + "India,utility,0.0014,USD,2025-07-01,s,reported,\n"
    + "India,utility,0.0013,USD,2025-07-01,s,reported,1000\n"
    + "India,utility,0.0012,USD,2025-07-01,s,reported,5000\n"
    + "India,utility,0.0015,USD,2026-01-01,s,reported,\n"
)


@pytest.mark.parametrize(
    ("volume", "at", "amount"),
    [
        (None, JULY_2025, "0.0014"),
        (0, JULY_2025, "0.0014"),
        (998, JULY_2025, "0.0014"),
        (999, JULY_2025, "0.0013"),
        (4998, JULY_2025, "0.0013"),
        (4999, JULY_2025, "0.0012"),
        (10**9, JULY_2025, "0.0012"),
        (-1, JULY_2025, "0.0014"),
        (10**9, JANUARY_2026, "0.0015"),  # the tiers belong to the 2025 list price only
    ],
)
def test_volume_tiers_price_the_next_message_of_the_month(
    volume: int | None, at: datetime, amount: str
) -> None:
    """With the month's charged volume, the next message gets its tier's price."""
    card = load_rate_card(io.StringIO(TIERED, newline=""), market_map=builtin_market_map())
    assert Decimal(amount) == _amount_at(card, volume, at)


def _amount_at(card: RateCard, volume: int | None, at: datetime) -> Decimal | None:
    rate = card.price(UTILITY, "IN", at, volume=volume)
    return None if rate is None else rate.amount


def test_tiers_lists_the_list_price_and_its_tiers() -> None:
    """`tiers` gives the schedule in force, lowest volume first; none for an unknown price."""
    card = load_rate_card(io.StringIO(TIERED, newline=""), market_map=builtin_market_map())
    assert [1, 1000, 5000] == [rate.volume_from for rate in card.tiers(UTILITY, "IN", JULY_2025)]
    assert () == card.tiers(MARKETING, "IN", JULY_2025)
    in_force = card.in_force(JULY_2025)
    assert 3 == len(in_force.rates)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (LONG + "IN,utility,0.0013,USD,2025-07-01,s,,1000\n", "rows"),
        (LONG + "IN,utility,,USD,2025-07-01,s,,1000\n", "row 2, amount"),
        (LONG + "IN,utility,0.0013,USD,2025-07-01,s,,0\n", "row 2, volume_from"),
        (LONG + "IN,utility,0.0013,USD,2025-07-01,s,,lots\n", "row 2, volume_from"),
        (LONG + "IN,utility,0.0013,USD,2025-07-01,s,sure,\n", "row 2, provenance"),
        (
            LONG
            + "IN,utility,0.0014,USD,2025-07-01,s,,\n"
            + "IN,utility,0.0013,USD,2025-07-01,s,,1000\n"
            + "IN,utility,0.0012,USD,2025-07-01,s,,1000\n",
            "row 4, amount",
        ),
        (
            "iso2,country,marketing_usd,provenance,effective_from,source\nDE,Germany,0.1,maybe,2025-07-01,s\n",
            "row 2",
        ),
    ],
)
def test_bad_tiers_and_provenance_are_refused(text: str, field: str) -> None:
    """A tier needs its list price and an amount; provenance has four values."""
    with pytest.raises(RateCardError) as raised:
        load_rate_card(io.StringIO(text, newline=""), effective_from=None)
    assert raised.value.field.startswith(field)


def test_two_tiers_from_one_message_are_refused_in_a_card() -> None:
    """Built by hand, a card still refuses two tiers from the same message."""
    common = {
        "market": "IN",
        "category": UTILITY,
        "currency": "USD",
        "effective_from": JULY_2025,
    }
    rows = [
        Rate(amount="0.0014", **common),  # type: ignore[arg-type]
        Rate(amount="0.0013", volume_from=10, **common),  # type: ignore[arg-type]
        Rate(amount="0.0012", volume_from=10, **common),  # type: ignore[arg-type]
    ]
    with pytest.raises(InvalidValueError):
        RateCard(rows)


@pytest.mark.parametrize(("field", "value"), [("provenance", "sure"), ("volume_from", 0)])
def test_a_rate_refuses_bad_provenance_and_volume(field: str, value: object) -> None:
    """Provenance is one of four values; a tier starts at message 1 or later."""
    with pytest.raises(InvalidValueError) as raised:
        Rate(
            market="DE",
            category=MARKETING,
            amount="0.1",
            currency="EUR",
            effective_from=JULY_2025,
            **{field: value},  # type: ignore[arg-type]
        )
    assert field == raised.value.field


# Authentication-international ----------------------------------------------------------------

START = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("region", "location", "eligible_from", "at", "expected"),
    [
        ("ID", "ID", START, JANUARY_2026, False),  # same country: the domestic rate (Meta)
        ("ID", "IN", START, JANUARY_2026, True),  # based in India, user in Indonesia (Meta)
        ("ID", "IN", None, JANUARY_2026, False),  # not eligible
        ("ID", "IN", APRIL_2026, JANUARY_2026, False),  # before its start time
        ("DE", "IN", START, JANUARY_2026, False),  # Germany has no such rate
        ("EG", "IN", START, datetime(2025, 1, 31, tzinfo=UTC), False),  # Egypt from 2025-02-01
        ("EG", "IN", START, datetime(2025, 2, 1, tzinfo=UTC), True),
        ("BD", "IN", START, OCTOBER_2026 - SECOND, False),  # Bangladesh from 2026-10-01
        ("BD", "IN", START, OCTOBER_2026, True),
        (None, "IN", START, JANUARY_2026, False),
        ("ID", None, START, JANUARY_2026, False),
    ],
)
def test_authentication_international_follows_metas_rule(
    region: str | None,
    location: str | None,
    eligible_from: datetime | None,
    at: datetime,
    expected: bool,  # noqa: FBT001 - a parameter
) -> None:
    """Eligible, past the start time, based elsewhere, and the country has the rate then."""
    assert expected == authentication_international(
        region, at=at, business_location=location, eligible_from=eligible_from
    )


def test_the_countries_with_an_international_rate_are_dated_and_sourced() -> None:
    """Nine countries by 2025-02-01, eighteen from 2026-10-01, each with its source."""
    rows = authentication_international_countries()
    assert 9 == sum(row.effective_from <= datetime(2025, 2, 1, tzinfo=UTC) for row in rows)
    assert 18 == len(rows)
    assert all(row.source and row.provenance in {"official", "reported"} for row in rows)
    card = builtin_rate_card()
    for row in rows:
        if row.effective_from <= JANUARY_2026:
            assert card.price(INTERNATIONAL, row.region, JANUARY_2026) is not None, row


# Properties ----------------------------------------------------------------------------------

REGIONS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
INSTANTS = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
)


@given(region=REGIONS, category=st.sampled_from(PriceCategory), at=INSTANTS)
def test_a_shipped_price_is_never_negative_and_an_unknown_market_stays_none(
    region: str, category: PriceCategory, at: datetime
) -> None:
    """Any region, category and date: no price below zero; no market and no row, no price."""
    card = builtin_rate_card()
    rate = card.price(category, region, at)
    assert rate is None or rate.amount >= 0
    if builtin_market_map().market(region, at) is None and region not in card.markets:
        assert rate is None


@given(
    amounts=st.lists(
        st.decimals(min_value=0, max_value=1, places=4, allow_nan=False), min_size=1, max_size=5
    ),
    volume=st.none() | st.integers(-5, 10**6),
    at=INSTANTS,
)
def test_a_tiered_price_is_a_row_of_the_card(
    amounts: list[Decimal], volume: int | None, at: datetime
) -> None:
    """Whatever the volume, the answer is one of the card's rows (never made up), or None."""
    rows = [
        Rate(
            market="IN",
            category=UTILITY,
            amount=amount,
            currency="USD",
            effective_from=JULY_2025,
            volume_from=1 + 1000 * index,
        )
        for index, amount in enumerate(amounts)
    ]
    rate = RateCard(rows).price(UTILITY, "IN", at, volume=volume)
    assert (rate is None) == (at < JULY_2025)
    assert rate is None or (rate in rows and rate.amount >= 0)


PREFIXES = ("49151", "91987", "55119", "4478", "1415", "263771", "7701", "9370")


@given(
    numbers=st.lists(
        st.tuples(st.sampled_from(PREFIXES), st.integers(0, 99_999)), min_size=0, max_size=40
    ),
    kind=st.sampled_from([SendKind.UTILITY_TEMPLATE, SendKind.MARKETING_TEMPLATE]),
)
def test_a_plan_priced_by_the_shipped_card_sums_its_sends(
    numbers: list[tuple[str, int]], kind: SendKind
) -> None:
    """The plan's cost is the sum of its sends' estimates, unknown prices counted apart."""
    rows = [
        CampaignRecipient(recipient=WaId(f"{prefix}{rest:06d}"), opted_in=True)
        for prefix, rest in numbers
    ]
    schedule = iter_schedule(
        rows,
        business=PhoneNumberId("106540352242922"),
        kind=kind,
        start=datetime(2026, 2, 2, 9, tzinfo=UTC),
        rate_card=builtin_rate_card(),
    )
    sends = list(schedule)
    expected: Counter[tuple[object, ...]] = Counter()
    for send in sends:
        assert send.cost is not None
        if send.cost.amount is not None:
            assert send.cost.amount >= 0
            key = (send.cost.category, send.cost.market, send.cost.currency)
            expected[key] += send.cost.amount  # type: ignore[assignment]
    assert {k: v for k, v in expected.items() if v} == {
        k: v for k, v in (schedule.plan.cost or {}).items() if v
    }
    unknown = sum(s.cost is not None and s.cost.amount is None for s in sends)
    assert unknown == schedule.plan.unknown_price_sends


def test_a_market_entry_is_a_plain_value() -> None:
    """Map rows compare by value."""
    entry = builtin_market_map().entries[0]
    assert entry == MarketEntry(
        region=entry.region,
        country=entry.country,
        calling_code=entry.calling_code,
        prefixes=entry.prefixes,
        market=entry.market,
        effective_from=entry.effective_from,
        provenance=entry.provenance,
        source=entry.source,
    )


def test_the_data_readme_lists_every_shipped_file() -> None:
    """Each CSV of the package data is read by the library and named in the data's README."""
    data = resources.files("wa_outbound") / "data"
    readme = (data / "README.md").read_text(encoding="utf-8")
    files = {entry.name for entry in data.iterdir() if entry.name.endswith(".csv")}
    read = {file for file, _ in _rates._BUILTIN_FILES}
    read |= {_rates._MARKETS_FILE, _rates._AUTH_INTERNATIONAL_FILE}
    assert files == read
    for file in files:
        assert f"`{file}`" in readme


def test_estimate_cost_prices_the_months_next_message_at_its_tier() -> None:
    """Given the month's volume so far, a utility template costs its tier's price."""
    card = load_rate_card(io.StringIO(TIERED, newline=""), market_map=builtin_market_map())
    now = datetime(2025, 8, 4, 9, tzinfo=UTC)
    conversation = Conversation(
        business=PhoneNumberId("106540352242922"), recipient=WaId("919876543210")
    )
    kwargs = {"now": now, "rules": rules_at(now), "rate_card": card, "market": "IN"}
    listed = estimate_cost(conversation, SendKind.UTILITY_TEMPLATE, **kwargs)  # type: ignore[arg-type]
    tiered = estimate_cost(conversation, SendKind.UTILITY_TEMPLATE, month_volume=5_000, **kwargs)  # type: ignore[arg-type]
    assert (Decimal("0.0014"), Decimal("0.0012")) == (listed.amount, tiered.amount)
    with pytest.raises(InvalidValueError) as raised:
        estimate_cost(conversation, SendKind.UTILITY_TEMPLATE, month_volume=-1, **kwargs)  # type: ignore[arg-type]
    assert "month_volume" == raised.value.field
