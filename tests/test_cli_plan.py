"""`wa-outbound plan`: a recipients CSV in, a campaign plan out (text or JSON)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from wa_outbound.cli import main

NOW = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)


def run(*argv: str, out: io.StringIO | None = None) -> tuple[int, str]:
    """Run the CLI in-process with a fixed clock; return (status, output)."""
    stream = out if out is not None else io.StringIO()
    status = main(list(argv), clock=lambda: NOW, out=stream)
    return status, stream.getvalue()


@pytest.fixture
def recipients(tmp_path: Path) -> Path:
    """600 opted-in recipients, one without consent, one duplicate and two bad rows."""
    lines = ["phone,last_inbound_at,consent"]
    lines += [f"+49151{i:08d},,yes" for i in range(600)]
    lines += ["4915199990001,,no", "4915100000000,,yes", "12,,yes", "4915199990002,soon,yes"]
    path = tmp_path / "recipients.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A rate card pricing German marketing messages."""
    path = tmp_path / "card.csv"
    path.write_text(
        "market,category,amount,currency,effective_from,source\n"
        "DE,marketing,0.1365,USD,2025-07-01,test card\n",
        encoding="utf-8",
    )
    return path


def test_plan_json_reports_waves_blocks_and_bad_rows(recipients: Path) -> None:
    """`plan --json` gives days, blocked reasons and bad rows of an unverified portfolio."""
    status, output = run(
        "plan", str(recipients), "--template-kind", "utility", "--json", "--start", "2026-11-23"
    )
    assert 0 == status
    document = json.loads(output)
    assert [250, 250, 100] == [day["sends"] for day in document["days"]]
    assert {"no_opt_in": 1, "duplicate": 1} == document["blocked"]
    assert 2 == document["bad_rows"]
    assert ["row 604, phone", "row 605, last_inbound_at"] == [
        e["field"] for e in document["bad_row_examples"]
    ]
    assert document["cost"] is None
    assert "2026-11-23T00:00:00+00:00" == document["starts_at"]


def test_plan_json_prices_with_a_rate_card_and_projects_tiers(recipients: Path, card: Path) -> None:
    """With --rates and --verified the plan is priced and the next tier projected."""
    status, output = run(
        "plan",
        str(recipients),
        "--template-kind",
        "marketing",
        "--verified",
        "--limit",
        "1000",
        "--rates",
        str(card),
        "--json",
    )
    assert 0 == status
    document = json.loads(output)
    assert 600 == document["scheduled"]
    assert [{"category": "marketing", "market": "DE", "currency": "USD", "amount": "81.9000"}] == (
        document["cost"]
    )
    assert {"USD": "81.9000"} == document["total_cost"]
    assert "2026-11-25T09:00:00+00:00" == document["starts_at"]


def test_plan_text_shows_tables(recipients: Path) -> None:
    """The text plan shows a table per day and the blocked reasons."""
    status, output = run("plan", str(recipients), "--template-kind", "utility", "--verified")
    assert 0 == status
    assert "Campaign plan, per day" in output
    assert "2026-11-25" in output
    assert "no opt in" in output
    assert "row 604, phone" in output
    assert "Bad rows by cause" in output
    assert "--bad-rows FILE.csv writes every one out" in output
    assert "phone: not a phone number in international form" in output


def test_plan_says_what_verification_would_change(recipients: Path) -> None:
    """Unverified at 250 a day, the text names the scaling path and the verified duration."""
    status, output = run("plan", str(recipients), "--template-kind", "utility")
    text = " ".join(output.split())
    assert 0 == status
    assert "What keeps the limit at 250:" in text
    assert "scaling path required" in text
    assert "verified (starting at 2,000): the 600 new users take 1 day instead of 3 days" in text
    assert "The tier projection assumes" in text
    document = json.loads(run("plan", str(recipients), "--template-kind", "utility", "--json")[1])
    assert 1 == document["if_verified_days"]
    assert "6 hours" in document["assumes"]


def test_plan_counts_opted_out_as_blocked_and_assumes_empty_cells(tmp_path: Path) -> None:
    """`opted_out` is a blocked recipient; an empty consent cell follows --assume-opted-in."""
    path = tmp_path / "r.csv"
    path.write_text(
        "phone,consent\n4915100000001,\n4915100000002,opted_out\n4915100000003,YES\n",
        encoding="utf-8",
    )
    argv = ("plan", str(path), "--template-kind", "Marketing", "--json")
    plain = json.loads(run(*argv)[1])
    assert (1, {"no_opt_in": 1, "opted_out": 1}, 0) == (
        plain["scheduled"],
        plain["blocked"],
        plain["bad_rows"],
    )
    assumed = json.loads(run(*argv, "--assume-opted-in")[1])
    assert (2, {"opted_out": 1}) == (assumed["scheduled"], assumed["blocked"])


def test_plan_writes_every_bad_row(recipients: Path, tmp_path: Path) -> None:
    """`--bad-rows FILE.csv` gets every bad row: row, column, value and reason."""
    target = tmp_path / "bad.csv"
    status, output = run(
        "plan", str(recipients), "--template-kind", "utility", "--bad-rows", str(target)
    )
    assert 0 == status
    assert "every bad row is written to" in output
    rows = target.read_text(encoding="utf-8").splitlines()
    assert "row,column,value,reason" == rows[0]
    assert rows[1].startswith("604,phone,12,")
    assert rows[2].startswith("605,last_inbound_at,soon,")
    document = json.loads(run("plan", str(recipients), "--template-kind", "utility", "--json")[1])
    assert {
        "phone: not a phone number in international form ('+' or '00' and the country code;"
        " WaId.parse(text, region=...) reads a national number)": 1,
        "last_inbound_at: expected an ISO 8601 instant": 1,
    } == document["bad_row_causes"]


def test_plan_reads_a_wide_rate_card_with_its_date(tmp_path: Path, recipients: Path) -> None:
    """`--rates` of a wide card without dates takes `--effective-from` (no Python keyword)."""
    card = tmp_path / "wide.csv"
    card.write_text(
        "iso2,country,marketing_usd,source\nDE,Germany,0.1365,test card\n", encoding="utf-8"
    )
    argv = ("plan", str(recipients), "--template-kind", "marketing", "--rates", str(card))
    assert 3 == run(*argv)[0]
    status, output = run(*argv, "--effective-from", "2026-01-01", "--json", "--verified")
    assert 0 == status
    assert {"USD": "81.9000"} == json.loads(output)["total_cost"]


def test_progress_moves_every_thousand_rows() -> None:
    """The progress bar is moved every 1,024 rows, so a 50,000-row file moves it 48 times."""
    from wa_outbound.cli._plan import _tracked

    moves: list[int] = []
    assert 50_000 == sum(1 for _ in _tracked(range(50_000), lambda: moves.append(1)))
    assert 48 == len(moves)


def test_plan_strict_stops_at_the_first_bad_row(
    recipients: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--strict turns the first bad row into an error exit naming it."""
    status, _ = run("plan", str(recipients), "--template-kind", "utility", "--strict")
    assert 3 == status
    assert "row 604, phone" in capsys.readouterr().err


def test_plan_refuses_a_tier_without_a_limit(recipients: Path) -> None:
    """A tier string that carries no limit is an error."""
    status, _ = run(
        "plan", str(recipients), "--template-kind", "utility", "--limit", "TIER_NOT_SET"
    )
    assert 3 == status


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Claim to be a terminal."""
        return True


def test_plan_shows_progress_on_a_terminal_for_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal a large file gets a progress bar, and the plan is still printed."""
    from wa_outbound.cli import _plan

    monkeypatch.setattr(_plan, "_PROGRESS_BYTES", 1)
    monkeypatch.setattr(_plan, "_PROGRESS_EVERY", 1)
    path = tmp_path / "few.csv"
    path.write_text("phone,consent\n4915100000001,yes\n4915100000002,yes\n", encoding="utf-8")
    status, output = run("plan", str(path), "--template-kind", "utility", out=_Terminal())
    assert 0 == status
    assert "Campaign plan" in output
