"""`python -m wa_outbound rates`: the prices in force and what changed, from the shipped data."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from wa_outbound.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def run(*argv: str) -> tuple[int, str]:
    """Run the CLI in-process with a fixed clock; return (status, output)."""
    out = io.StringIO()
    status = main(list(argv), clock=lambda: datetime(2026, 2, 2, tzinfo=timezone.utc), out=out)
    return status, out.getvalue()


def test_rates_for_a_region_give_its_markets_prices_as_json() -> None:
    """`--market DE --at 2026-01-15`: Germany's three prices, the others unknown."""
    status, output = run("rates", "--market", "DE", "--at", "2026-01-15", "--json")
    document = json.loads(output)
    assert 0 == status
    assert "Germany" == document["market_of_region"]
    prices = {row["category"]: row["price"] for row in document["prices"]}
    assert "0.1365" == prices["marketing"]["amount"]
    assert ("Germany", "reported") == (prices["utility"]["market"], prices["utility"]["provenance"])
    assert prices["service"] is None


def test_rates_text_names_the_market_and_flags_reported_prices() -> None:
    """The text table says which market the region is in and which prices are reported."""
    status, output = run("rates", "--market", "DE")
    assert 0 == status
    assert "DE (Germany)" in " ".join(output.split())
    assert "0.1365 USD" in output
    assert "(reported)" in output


def test_rates_of_every_market_list_own_prices_and_ended_ones() -> None:
    """Without `--market`: each market's own rows, and the prices that ended as unknown."""
    status, output = run("rates", "--at", "2025-11-01", "--json")
    rows = json.loads(output)["prices"]
    assert 0 == status
    ended = {(row["market"], row["category"]) for row in rows if row["price"] is None}
    assert ("Argentina", "utility") in ended
    assert all(row["price"]["market"] == row["market"] for row in rows if row["price"])


def test_rates_diff_shows_what_changed() -> None:
    """`--diff` lists the changes between two dates, for one market or all."""
    status, output = run("rates", "--diff", "2026-01-01", "2026-04-01", "--market", "TR", "--json")
    changes = json.loads(output)["changes"]
    assert 0 == status
    assert {("Turkey", "utility"), ("Turkey", "authentication")} == {
        (change["market"], change["category"]) for change in changes
    }
    assert {"unknown"} == {change["direction"] for change in changes}
    status, output = run("rates", "--diff", "2026-01-01", "2026-04-01")
    assert 0 == status
    assert "Saudi Arabia" in output
    status, output = run("rates", "--diff", "2026-02-01", "2026-03-01")
    assert "No price changed" in output


def test_rates_in_rupees_and_from_a_file(tmp_path: Path) -> None:
    """`--currency INR` reads the shipped INR card; `--rates` a file, dated on the command line."""
    status, output = run("rates", "--market", "IN", "--currency", "INR", "--json")
    prices = {row["category"]: row["price"] for row in json.loads(output)["prices"]}
    assert (0, "0.8631") == (status, prices["marketing"]["amount"])
    card = tmp_path / "card.csv"
    card.write_text("iso2,country,marketing_eur,source\nDE,Germany,0.1131,my invoice\n")
    status, output = run(
        "rates", "--rates", str(card), "--effective-from", "2025-07-01", "--market", "DE"
    )
    assert 0 == status
    assert "0.1131 EUR" in output
    status, output = run(
        "rates", "--rates", str(card), "--effective-from", "2025-07-01", "--at", "2025-06-01"
    )
    assert "No price known for any market" in output


def test_rates_in_an_unknown_currency_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    """No shipped card in EUR: one line on standard error, status 1."""
    status, _ = run("rates", "--currency", "EUR")
    assert 3 == status
    assert "currency" in capsys.readouterr().err
