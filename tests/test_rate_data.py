"""The shipped rate data, spot-checked against its sources: the AED card of 2026-10-01."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources

import pytest

from wa_outbound._rates import PriceCategory, builtin_rate_card

UTC = timezone.utc
OCTOBER_2026 = datetime(2026, 10, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
AED_PER_USD = Decimal("3.6725")
"""The dirham's peg to the US dollar, for a plausibility check only: no amount is converted."""

# The rows of https://huggingface.co/datasets/tobachat/whatsapp-api-rates (effective_date
# 2026-10-01, currency AED) as its viewer shows them, checked 2026-12-07.
SOURCE_ROWS = [
    ("Argentina", "marketing", "0.2269"),
    ("Argentina", "utility", "0.0955"),
    ("Argentina", "authentication", "0.0955"),
    ("Argentina", "service", "0.0955"),
    ("Bangladesh", "marketing", "0.2688"),
    ("Bangladesh", "utility", "0.0136"),
    ("Bangladesh", "authentication", "0.0136"),
    ("Bangladesh", "authentication_international", "0.3526"),
    ("Bangladesh", "service", "0.0136"),
    ("Brazil", "marketing", "0.2295"),
    ("Brazil", "utility", "0.025"),
    ("Brazil", "authentication", "0.025"),
    ("Brazil", "service", "0.025"),
    ("Chile", "marketing", "0.3264"),
    ("Chile", "utility", "0.0734"),
    ("Chile", "authentication", "0.0734"),
    ("Chile", "service", "0.0734"),
    ("Colombia", "marketing", "0.0459"),
    ("Colombia", "utility", "0.0029"),
    ("Colombia", "authentication", "0.0029"),
    ("Colombia", "service", "0.0029"),
    ("Egypt", "marketing", "0.2364"),
    ("Egypt", "utility", "0.0132"),
    ("Egypt", "authentication", "0.0132"),
]


def _file(name: str) -> list[dict[str, str]]:
    text = (resources.files("wa_outbound") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_aed_file_holds_the_sources_rows_and_nothing_else() -> None:
    """Every row is one the source lists, dated 2026-10-01, reported, with the source named."""
    rows = _file("rates-aed-2026-10-01.csv")
    assert SOURCE_ROWS == [(row["market"], row["category"], row["amount"]) for row in rows]
    assert {("AED", "2026-10-01", "reported")} == {
        (row["currency"], row["effective_from"], row["provenance"]) for row in rows
    }
    assert all("tobachat/whatsapp-api-rates" in row["source"] for row in rows)


@pytest.mark.parametrize(("market", "category", "amount"), SOURCE_ROWS)
def test_a_number_in_each_market_is_priced_as_the_source_says(
    market: str, category: str, amount: str
) -> None:
    """From 2026-10-01 the AED card prices a region of each market at the source's amount."""
    card = builtin_rate_card(currency="AED")
    region = {
        "Argentina": "AR",
        "Bangladesh": "BD",
        "Brazil": "BR",
        "Chile": "CL",
        "Colombia": "CO",
        "Egypt": "EG",
    }[market]
    rate = card.price(PriceCategory(category), region, OCTOBER_2026)
    assert rate is not None
    assert (Decimal(amount), "AED", market) == (rate.amount, rate.currency, rate.market)
    assert card.price(PriceCategory(category), region, OCTOBER_2026 - SECOND) is None


def test_bangladesh_gets_prices_of_its_own_only_from_2026_10_01() -> None:
    """Before its move Bangladesh has no AED price; in USD it is priced as Rest of Asia Pacific."""
    aed = builtin_rate_card(currency="AED")
    usd = builtin_rate_card()
    before = OCTOBER_2026 - SECOND
    assert aed.price(PriceCategory.UTILITY, "BD", before) is None
    assert "Rest of Asia Pacific" == usd.price(PriceCategory.UTILITY, "BD", before).market  # type: ignore[union-attr]
    assert "Bangladesh" == aed.price(PriceCategory.UTILITY, "BD", OCTOBER_2026).market  # type: ignore[union-attr]


def test_the_aed_amounts_are_metas_usd_list_prices_at_the_peg() -> None:
    """Where the USD card has the same market, AED / USD is the peg within rounding: no margin.

    A plausibility check of the source (a reseller's margin would show here), never a
    conversion: the shipped AED amounts are the source's own.
    """
    usd = builtin_rate_card()
    checked = 0
    for market, category, amount in SOURCE_ROWS:
        if category == "service" or market == "Bangladesh":
            continue  # no USD service price; Bangladesh has no USD row of its own
        dollars = usd.price(PriceCategory(category), market, OCTOBER_2026 - SECOND)
        assert dollars is not None
        ratio = Decimal(amount) / dollars.amount
        assert abs(ratio - AED_PER_USD) / AED_PER_USD < Decimal("0.03"), (market, category)
        checked += 1
    assert 15 == checked
