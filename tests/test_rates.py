"""Rate cards from CSV, the shipped card, and the region of a recipient's number."""

from __future__ import annotations

import io
import random
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import _rates
from wa_outbound._errors import InvalidValueError, NaiveDatetimeError, RateCardError
from wa_outbound._ids import BusinessScopedUserId, WaId
from wa_outbound._rates import (
    _PARSE_ALWAYS,
    PriceCategory,
    Rate,
    RateCard,
    _deciding_length,
    _depth,
    _may_start,
    _parsed_region,
    _pattern,
    _residuals,
    _step,
    _UnboundedError,
    _width,
    builtin_rate_card,
    load_rate_card,
    recipient_region,
)

UTC = timezone.utc
JULY_2025 = datetime(2025, 7, 1, tzinfo=UTC)
SENT_DM = "https://docs.sent.dm/docs/guides/whatsapp-pricing"
WIDE_HEADER = "iso2,country,marketing_usd,utility_usd,authentication_usd,source\n"
LONG_HEADER = "market,category,amount,currency,effective_from,source\n"


def _card(text: str, *, effective_from: datetime | None = None) -> RateCard:
    return load_rate_card(io.StringIO(text, newline=""), effective_from=effective_from)


# The shipped card ---------------------------------------------------------------------------


def test_builtin_card_keeps_the_sixteen_countries_of_2025() -> None:
    """The per-country rows of 2025-07-01 are the 16 countries Afghanistan to Bahamas."""
    expected = {"AF", "AL", "DZ", "AS", "AD", "AO", "AI", "AQ", "AG", "AR", "AM", "AW", "AU"}
    expected |= {"AT", "AZ", "BS"}
    card = builtin_rate_card()
    assert expected == {rate.market for rate in card.rates if rate.effective_from == JULY_2025}


def test_builtin_card_prices_afghanistan_marketing_as_published() -> None:
    """Afghanistan marketing is 0.0732 USD from 2025-07-01, with its source and provenance."""
    expected = Rate(
        market="AF",
        category=PriceCategory.MARKETING,
        amount=Decimal("0.0732"),
        currency="USD",
        effective_from=JULY_2025,
        source=SENT_DM,
        provenance="reported",
    )
    assert expected == builtin_rate_card().price(PriceCategory.MARKETING, "AF", JULY_2025)


def test_builtin_card_knows_no_international_authentication_or_service_price_in_2025() -> None:
    """In 2025 no country has an authentication-international price, and no market a service one."""
    card = builtin_rate_card()
    later = JULY_2025 + timedelta(days=30)
    for market in card.markets:
        assert card.price(PriceCategory.AUTHENTICATION_INTERNATIONAL, market, later) is None
        assert card.price(PriceCategory.SERVICE, market, later) is None


def test_builtin_card_has_no_price_before_per_message_pricing_or_before_a_market_is_known() -> None:
    """Before 2025-07-01 nothing is priced; Germany is unknown until the 2026 card."""
    card = builtin_rate_card()
    assert card.price(PriceCategory.UTILITY, "AR", JULY_2025 - timedelta(seconds=1)) is None
    assert card.price(PriceCategory.UTILITY, "DE", JULY_2025) is None


def test_builtin_card_is_named_cached_and_in_usd() -> None:
    """The card is read once, says what it is, and every row keeps its source and provenance."""
    card = builtin_rate_card()
    assert card is builtin_rate_card()
    assert _rates.BUILTIN_NAME == card.name
    assert {"USD"} == card.currencies
    assert all(rate.source for rate in card.rates)
    assert {"reported"} == {rate.provenance for rate in card.rates}
    assert {"official"} == {end.provenance for end in card.ends}
    assert 48 + 105 == len(card.rates)


# Rows and cards ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", True),
        ("amount", 0.07),
        ("amount", "seven cents"),
        ("amount", "NaN"),
        ("amount", "-0.01"),
        ("currency", "usd"),
        ("currency", "US"),
        ("market", " "),
    ],
)
def test_a_rate_refuses_values_outside_its_domain(field: str, value: object) -> None:
    """Amounts, currencies and markets are checked when a Rate is built."""
    fields: dict[str, object] = {
        "market": "DE",
        "category": PriceCategory.UTILITY,
        "amount": "0.0456",
        "currency": "EUR",
        "effective_from": JULY_2025,
    }
    with pytest.raises(InvalidValueError) as raised:
        Rate(**{**fields, field: value})  # type: ignore[arg-type]
    assert field == raised.value.field


def test_a_card_refuses_other_rows_and_two_prices_for_one_date() -> None:
    """A card holds Rate rows only, one per category, market and date."""
    rate = builtin_rate_card().rates[0]
    with pytest.raises(InvalidValueError):
        RateCard([rate, "0.07"])  # type: ignore[list-item]
    with pytest.raises(InvalidValueError):
        RateCard([rate, rate])


def test_merged_adds_later_prices() -> None:
    """A merged row from a later date takes over from that date."""
    card = builtin_rate_card()
    later = datetime(2025, 10, 1, tzinfo=UTC)
    rise = Rate(
        market="AF",
        category=PriceCategory.MARKETING,
        amount=Decimal("0.08"),
        currency="USD",
        effective_from=later,
        source="test",
    )
    merged = card.merged([rise])
    assert rise == merged.price(PriceCategory.MARKETING, "AF", later)
    assert Decimal("0.0732") == merged.price(PriceCategory.MARKETING, "AF", JULY_2025).amount  # type: ignore[union-attr]


# Reading the two formats --------------------------------------------------------------------


def test_wide_rows_become_prices_and_empty_cells_stay_unknown() -> None:
    """A wide file with its own dates gives one price per filled cell; empty is not zero."""
    card = _card(
        "iso2,country,marketing_eur,service_eur,effective_from,source\n"
        "DE,Germany,0.1131,,2025-07-01,https://example.org/de\n"
        "FR,France,0.0859,0.0000,2025-07-01T00:00:00+02:00,https://example.org/fr\n"
    )
    assert Decimal("0.1131") == card.price(PriceCategory.MARKETING, "DE", JULY_2025).amount  # type: ignore[union-attr]
    assert card.price(PriceCategory.SERVICE, "DE", JULY_2025) is None
    service_fr = card.price(PriceCategory.SERVICE, "FR", JULY_2025)
    assert service_fr is not None
    assert Decimal(0) == service_fr.amount
    assert datetime(2025, 6, 30, 22, tzinfo=UTC) == service_fr.effective_from
    assert {"EUR"} == card.currencies


def test_wide_file_without_dates_takes_the_given_date() -> None:
    """`effective_from` dates a wide file without the column."""
    card = _card(
        WIDE_HEADER + f"AR,Argentina,0.0618,0.0289,0.0289,{SENT_DM}\n", effective_from=JULY_2025
    )
    rate = card.price(PriceCategory.AUTHENTICATION, "AR", JULY_2025)
    assert rate is not None
    assert (Decimal("0.0289"), JULY_2025) == (rate.amount, rate.effective_from)


def test_long_rows_supersede_by_date() -> None:
    """In a long file, a later row takes over from its date; before the first there is none."""
    card = _card(
        LONG_HEADER
        + "IN,marketing,0.78,INR,2025-07-01,https://example.org/a\n"
        + "IN,marketing,0.8631,INR,2026-01-01T00:00:00Z,https://example.org/b\n"
        + "Rest of Africa,utility,0.0040,USD,2025-07-01T05:30:00,https://example.org/c\n"
    )
    january = datetime(2026, 1, 1, tzinfo=UTC)
    assert card.price(PriceCategory.MARKETING, "IN", JULY_2025 - timedelta(days=1)) is None
    assert Decimal("0.78") == card.price(PriceCategory.MARKETING, "IN", JULY_2025).amount  # type: ignore[union-attr]
    before = card.price(PriceCategory.MARKETING, "IN", january - timedelta(microseconds=1))
    assert Decimal("0.78") == before.amount  # type: ignore[union-attr]
    assert Decimal("0.8631") == card.price(PriceCategory.MARKETING, "IN", january).amount  # type: ignore[union-attr]
    africa = card.price(PriceCategory.UTILITY, "Rest of Africa", january)
    assert datetime(2025, 7, 1, 5, 30, tzinfo=UTC) == africa.effective_from  # type: ignore[union-attr]


def test_a_card_prices_regions_through_their_named_market() -> None:
    """A region mapped to a named market finds the market's price; an unmapped one finds none."""
    card = _card(LONG_HEADER + "Rest of Western Europe,marketing,0.0592,USD,2025-07-01,src\n")
    grouped = RateCard(card.rates, regions={"AD": "Rest of Western Europe", "AT": "Nowhere"})
    assert Decimal("0.0592") == grouped.price(PriceCategory.MARKETING, "AD", JULY_2025).amount  # type: ignore[union-attr]
    assert grouped.price(PriceCategory.MARKETING, "AT", JULY_2025) is None
    assert grouped.price(PriceCategory.UTILITY, "AD", JULY_2025) is None
    assert grouped.price(PriceCategory.MARKETING, "ES", JULY_2025) is None


def test_a_path_names_the_card_after_its_file(tmp_path: pytest.TempPathFactory) -> None:
    """Read from a path (with a byte-order mark), the card is named after the file."""
    path = tmp_path / "rates.csv"  # type: ignore[operator]
    path.write_text("\ufeff" + LONG_HEADER + "DE,utility,0.0456,EUR,2025-07-01,src\n\n", "utf-8")
    card = load_rate_card(path)
    assert "rates.csv" == card.name
    assert "renamed" == load_rate_card(str(path), name="renamed").name
    assert {"DE"} == card.markets


BAD_FILES = [
    ("", "header"),
    ("phone,price\n+49,1\n", "header"),
    ("iso2,iso2,marketing_usd,source\n", "header"),
    ("iso2,country,marketing_usd\nAF,Afghanistan,0.07\n", "header"),
    ("iso2,country,fax_usd,source\n", "header"),
    ("iso2,country,marketing_dollars,source\n", "header"),
    ("iso2,country,source,effective_from\n", "header"),
    (WIDE_HEADER + "AF,Afghanistan,0.0732,0.0113,0.0113,src\n", "effective_from"),
    (
        WIDE_HEADER.replace("source", "effective_from,source") + "AF,A,1,1,1,soon,s\n",
        "row 2, effective_from",
    ),
    (
        WIDE_HEADER.replace("source", "effective_from,source") + "AF,A,1,1,1,2025-13-01,s\n",
        "row 2, effective_from",
    ),
    (WIDE_HEADER + "AF,Afghanistan,-0.0732,0.0113,0.0113,src\n", "row 2, marketing_usd"),
    (WIDE_HEADER + "AF,A,0.07,0.01,0.01,s\nAL,Albania,0.0860,0,02,0.02,s\n", "row 3"),
    (
        WIDE_HEADER + 'AF,A,0.07,0.01,0.01,s\nAL,Albania,0.0860,"0,02",0.02,s\n',
        "row 3, utility_usd",
    ),
    (WIDE_HEADER + "AF,Afghanistan,1e-2,0.0113,0.0113,src\n", "row 2, marketing_usd"),
    (WIDE_HEADER + "AF,Afghanistan,$0.07,0.0113,0.0113,src\n", "row 2, marketing_usd"),
    (WIDE_HEADER + "af,Afghanistan,0.07,0.0113,0.0113,src\n", "row 2, iso2"),
    (WIDE_HEADER + "AFG,Afghanistan,0.07,0.0113,0.0113,src\n", "row 2, iso2"),
    (WIDE_HEADER + "AF,Afghanistan,0.07,0.0113,0.0113,\n", "row 2, source"),
    (WIDE_HEADER + "AF,A,0.07,0.01,0.01,s\nAF,A,0.08,,,s\n", "row 3, marketing_usd"),
    (WIDE_HEADER, "rows"),
    (WIDE_HEADER + "AF,Afghanistan,,,,src\n", "rows"),
    (WIDE_HEADER + 'AF,"Afgh"anistan,0.07,0.01,0.01,src\n', "row 2"),
    ("market,category,amount,currency,effective_from,source,note\n", "header"),
    ("market,category,amount,currency,source\n", "header"),
    (LONG_HEADER + "DE,promotional,0.1,EUR,2025-07-01,s\n", "row 2, category"),
    (LONG_HEADER + "DE,marketing,0.1,usd,2025-07-01,s\n", "row 2, currency"),
    (LONG_HEADER + "DE,marketing,0.1,US$,2025-07-01,s\n", "row 2, currency"),
    (LONG_HEADER + "DE,marketing,-1,EUR,2025-07-01,s\n", "row 2, amount"),
    (LONG_HEADER + ",marketing,0.1,EUR,2025-07-01,s\n", "row 2, market"),
    (LONG_HEADER + "DE,marketing,0.1,EUR,01/07/2025,s\n", "row 2, effective_from"),
    (LONG_HEADER + "DE,marketing,0.1,EUR,2025-07-01,\n", "row 2, source"),
    (
        LONG_HEADER
        + "DE,marketing,0.1,EUR,2025-07-01,s\nDE,marketing,0.2,EUR,2025-07-01T00:00Z,s\n",
        "row 3, amount",
    ),
]


@pytest.mark.parametrize(("text", "field"), BAD_FILES)
def test_a_bad_file_gives_no_card_and_names_the_row_and_column(text: str, field: str) -> None:
    """Every kind of bad file raises RateCardError naming where the problem is."""
    given = "effective_from" in text or field == "effective_from"
    with pytest.raises(RateCardError) as raised:
        _card(text, effective_from=None if given else JULY_2025)
    assert field == raised.value.field


def test_a_date_given_for_a_file_with_dates_is_refused() -> None:
    """A file with its own effective_from column refuses a second source of dates."""
    with pytest.raises(InvalidValueError) as raised:
        _card(LONG_HEADER + "DE,utility,0.0456,EUR,2025-07-01,src\n", effective_from=JULY_2025)
    assert "effective_from" == raised.value.field


def test_a_naive_date_is_refused() -> None:
    """`effective_from` must be an aware instant."""
    with pytest.raises(NaiveDatetimeError):
        _card(WIDE_HEADER + "AF,A,1,1,1,s\n", effective_from=datetime(2025, 7, 1))


@given(
    amounts=st.lists(
        st.decimals(min_value=0, max_value=10, places=4, allow_nan=False), min_size=1, max_size=5
    )
)
def test_long_files_round_trip_their_amounts(amounts: list[Decimal]) -> None:
    """Any plain non-negative decimals, one per day, read back as the same prices."""
    rows = "".join(
        f"BR,utility,{amount},USD,{(JULY_2025 + timedelta(days=day)).date().isoformat()},s\n"
        for day, amount in enumerate(amounts)
    )
    card = _card(LONG_HEADER + rows)
    read = [
        card.price(PriceCategory.UTILITY, "BR", JULY_2025 + timedelta(days=day))
        for day in range(len(amounts))
    ]
    assert amounts == [rate.amount for rate in read if rate is not None]


# Region of a recipient ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("4915123456789", "DE"),
        ("919876543210", "IN"),
        ("12125550123", "US"),
        ("14165550123", "CA"),
        ("12684641234", "AG"),
        ("18001234567", "DO"),
        ("442079460958", "GB"),
        ("447797900123", "JE"),
        ("447781123456", "GG"),
        ("447624123456", "IM"),
        ("390669812345", "VA"),
        ("390612345678", "IT"),
        ("77012345678", "KZ"),
        ("79123456789", "RU"),
        ("61412345678", "AU"),
        ("61891621234", "CC"),
        ("4402079460958", "GB"),
        ("79991234567", "RU"),
        ("80012345678", None),
        ("88213123456", None),
        ("9991234567", None),
        ("2801234567", None),
    ],
)
def test_recipient_region_of_real_numbers(number: str, region: str | None) -> None:
    """Numbers of single and shared calling codes find their region; others find none."""
    assert region == recipient_region(WaId(number))
    assert region == recipient_region(WaId(number))  # now from the cache


def test_recipient_region_reads_text_and_refuses_non_numbers() -> None:
    """Text is read as a phone number; a BSUID has no region; other things are refused."""
    assert "DE" == recipient_region("+49 151 2345 6789")
    assert "DE" == recipient_region("4915123456789")
    assert recipient_region(BusinessScopedUserId("US.13491208655302741918")) is None
    with pytest.raises(InvalidValueError):
        recipient_region("not a number")
    with pytest.raises(InvalidValueError):
        recipient_region(4915123456789)  # type: ignore[arg-type]


def test_recipient_region_accepts_a_waid_subclass() -> None:
    """A subclass of WaId is read like a WaId."""

    class Tagged(WaId):
        pass

    assert "IN" == recipient_region(Tagged("919876543210"))


def test_recipient_region_asks_for_the_pricing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without phonenumbers the first look-up says which extra to install."""
    monkeypatch.setitem(sys.modules, "phonenumbers", None)
    monkeypatch.setattr(_rates, "_by_head", {})
    with pytest.raises(ImportError, match=r"wa_outbound\[pricing\]"):
        recipient_region(WaId("4915123456789"))


def test_full_cache_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the prefix cache is full, numbers are parsed instead of cached."""
    monkeypatch.setattr(_rates, "_by_prefix", {})
    monkeypatch.setattr(_rates, "_CACHE_LIMIT", 0)
    assert "US" == recipient_region(WaId("12125550123"))
    assert {} == _rates._by_prefix


def test_a_region_without_metadata_is_parsed_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """If phonenumbers lacks a region's metadata, no prefix is trusted for its calling code."""
    monkeypatch.setattr(phonenumbers.PhoneMetadata, "metadata_for_region", lambda *_: None)
    assert _PARSE_ALWAYS == _deciding_length("44", "779")


def test_a_pattern_the_analysis_cannot_read_is_parsed_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pattern outside the analysis' algebra means numbers are parsed in full."""

    def unreadable(text: str) -> object:
        raise _UnboundedError(text)

    monkeypatch.setattr(_rates, "_pattern", unreadable)
    assert _PARSE_ALWAYS == _deciding_length("1", "212")


def test_unparseable_digits_have_no_region() -> None:
    """A number phonenumbers cannot parse has no region."""
    assert _parsed_region("9") is None


@pytest.mark.parametrize(
    "pattern",
    [r"(?=1)\d", r"[^0]", r"\w", r"1*", r"(?:1?){2}", "(", r"(a)\1"],
)
def test_the_pattern_analysis_fails_closed(pattern: str) -> None:
    """Look-arounds, negations, unbounded or empty repeats and bad patterns are not bounded."""

    def analyse() -> None:
        seq = _pattern(pattern)
        _width(seq)
        _step(seq, "1")

    with pytest.raises(_UnboundedError):
        analyse()


def test_the_pattern_analysis_reads_anchors_and_digit_runs() -> None:
    """An end anchor matches nothing after it; digit runs need no digits read."""
    anchored = _pattern(r"([2-9]\d{6})$|1")
    assert _may_start(anchored, "2345678")
    assert not _residuals(anchored, "23456789")
    assert 1 == _width(_pattern("1$"))
    assert 0 == _depth(_pattern(r"(?:\d{2}|\d{4})(?:\d)?"))
    assert 3 == _depth(_pattern(r"1(?:23|4)\d{4}"))
    assert 4 == _depth(_pattern(r"1[2-5](?:12)?\d"))
    assert 2 == _depth(_pattern(r"(?:1|23)$\d"))
    assert [] == _step((), "1")


SHARED_CODES = sorted(
    str(code)
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    if len(phonenumbers.region_codes_for_country_code(code)) > 1
)
EXAMPLES = sorted(
    phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
    for region in phonenumbers.SUPPORTED_REGIONS
    for kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.VOIP,
    )
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
)


def _reference(digits: str) -> str | None:
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    return None if region in {None, "001", "ZZ"} else region


@given(
    code=st.sampled_from(SHARED_CODES),
    rest=st.text(alphabet="0123456789", min_size=6, max_size=12),
)
def test_cached_region_agrees_with_phonenumbers_for_any_digits(code: str, rest: str) -> None:
    """For any digits after a shared calling code, the cached answer is phonenumbers' answer."""
    digits = (code + rest)[:15]
    assert _reference(digits) == recipient_region(WaId(digits))


@given(example=st.sampled_from(EXAMPLES), seed=st.integers(0, 2**32), changed=st.integers(1, 7))
def test_cached_region_agrees_with_phonenumbers_near_valid_numbers(
    example: str, seed: int, changed: int
) -> None:
    """Valid example numbers of every region, with their last digits varied, agree too."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    digits = example[:-changed] + "".join(rng.choice("0123456789") for _ in range(changed))
    if digits[0] == "0" or len(digits) < 7:  # pragma: no cover - examples are longer
        return
    assert _reference(digits) == recipient_region(WaId(digits))
