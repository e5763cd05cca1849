"""Persistence of pacers: a loaded pacer answers exactly as the one stored, at any `now`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import BusinessScopedUserId, PhoneNumberId, StoredDataError, WaId, rules_at
from wa_outbound.limits import Pacer, ThroughputClass, dump_pacer, load_pacer

from .conftest import T0
from .json_mutations import DELETE, json_values, mutated, with_value

RULES = rules_at(T0)
BUSINESS = PhoneNumberId("106540352242922")
PEOPLE = (WaId("4915123456789"), WaId("4915123456780"), BusinessScopedUserId("US.1349"))
# Instants a few seconds apart, and sometimes going back: pair-rate buckets fill and drain.
moments = st.integers(min_value=-2_000, max_value=60_000).map(
    lambda ms: T0 + timedelta(milliseconds=ms)
)
sends = st.lists(st.tuples(st.sampled_from(PEOPLE), moments), max_size=30)


def _pacer(
    kind: ThroughputClass, burst: int, log: list[tuple[WaId | BusinessScopedUserId, datetime]]
) -> Pacer:
    pacer = Pacer(business=BUSINESS, rules=RULES, throughput_class=kind, throughput_burst=burst)
    for recipient, at in log:
        pacer.admit(recipient, at)
    return pacer


pacers = st.builds(
    _pacer, st.sampled_from(ThroughputClass), st.integers(min_value=1, max_value=5), sends
)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _round_trip(pacer: Pacer) -> Pacer:
    return load_pacer(json.loads(json.dumps(dump_pacer(pacer))), rules=RULES)


@given(pacers, sends)
def test_a_loaded_pacer_answers_as_the_original(pacer: Pacer, later: list[Any]) -> None:
    """After a round trip, every later `peek` and `admit` answers as the original's would."""
    loaded = _round_trip(pacer)
    assert (pacer.business, pacer.throughput_class, pacer.throughput_burst) == (
        loaded.business,
        loaded.throughput_class,
        loaded.throughput_burst,
    )
    for recipient, at in later:
        assert pacer.peek(recipient, at) == loaded.peek(recipient, at)
        assert pacer.admit(recipient, at) == loaded.admit(recipient, at)
    assert dump_pacer(pacer) == dump_pacer(loaded)


@given(pacers)
def test_only_buckets_that_are_not_full_are_stored(pacer: Pacer) -> None:
    """A stored pacer holds no more recipients than the original, each one still draining."""
    data = dump_pacer(pacer)
    assert len(data["pair_tats"]) <= pacer.tracked_recipients
    tats = [_instant(entry["tat"]) for entry in data["pair_tats"]]
    assert data["latest"] is not None or not tats
    assert all(tat > _instant(data["latest"]) for tat in tats)
    assert dump_pacer(_round_trip(pacer)) == data


def test_a_new_pacer_stores_nothing_but_its_settings() -> None:
    """A pacer that admitted nothing has no latest instant and no bucket."""
    data = dump_pacer(Pacer(business=BUSINESS, rules=RULES, throughput_burst=4))
    assert {
        "format": "wa_outbound.pacer",
        "version": 1,
        "business": "106540352242922",
        "throughput_class": "default",
        "throughput_burst": 4,
        "latest": None,
        "throughput_tat": None,
        "pair_tats": [],
    } == data


def stored() -> dict[str, Any]:
    """A pacer that sent two messages to one recipient and one to another, just now."""
    pacer = Pacer(business=BUSINESS, rules=RULES)
    for recipient in (PEOPLE[0], PEOPLE[0], PEOPLE[2]):
        pacer.admit(recipient, T0)
    return dump_pacer(pacer)


def test_the_format_lists_each_draining_bucket() -> None:
    """The throughput TAT and one TAT per recipient, by the recipient's kind of id."""
    data = stored()
    assert "2026-11-23T09:00:00Z" == data["latest"]
    assert "2026-11-23T09:00:00.037500Z" == data["throughput_tat"]
    assert [{"bsuid": "US.1349"}, {"wa_id": "4915123456789"}] == [
        {k: v for k, v in entry.items() if k != "tat"} for entry in data["pair_tats"]
    ]


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("format",), "wa_outbound.limit_ledger", "format", "expected"),
        (("version",), 2, "version", "newer release"),
        (("business",), 106540352242922, "business", "expected a string"),
        (("business",), "+1555", "business", "numeric"),
        (("throughput_class",), "fast", "throughput_class", "ThroughputClass"),
        (("throughput_burst",), 0, "throughput_burst", "at least 1"),
        (("throughput_burst",), 1.0, "throughput_burst", "expected an integer"),
        (("throughput_burst",), DELETE, "throughput_burst", "missing"),
        (("latest",), "2026-11-23T09:00:00", "latest", "time zone"),
        (("latest",), None, "throughput_tat", "a full bucket is not stored"),
        (("throughput_tat",), "2026-11-23T09:00:00Z", "throughput_tat", "full bucket"),
        (("pair_tats",), {}, "pair_tats", "JSON array"),
        (("pair_tats", 0), "US.1349", "pair_tats[0]", "JSON object"),
        (("pair_tats", 0, "tat"), "2026-11-23T08:00:00Z", "pair_tats[0]", "full bucket"),
        (("pair_tats", 0, "tat"), DELETE, "pair_tats[0].tat", "missing"),
        (("pair_tats", 0, "wa_id"), "4915123456789", "pair_tats[0]", "exactly one of"),
        (("pair_tats", 1, "wa_id"), "+49", "pair_tats[1].wa_id", "digits"),
        (("pair_tats", 1, "count"), 2, "pair_tats[1].count", "unknown field"),
        (
            ("pair_tats", 1),
            {"bsuid": "US.1349", "tat": "2026-11-23T10:00:00Z"},
            "pair_tats[1]",
            "listed twice",
        ),
        (("rules",), "today", "rules", "unknown field"),
    ],
)
def test_damage_names_the_field(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    """Every kind of damage raises `StoredDataError` naming the field path; nothing defaults."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_pacer(with_value(stored(), path, value), rules=RULES)
    assert field == info.value.field


@given(mutated(pacers.map(dump_pacer), json_values([*stored(), "wa_id", "bsuid", "tat"])))
def test_a_damaged_pacer_loads_exactly_or_is_refused(data: Any) -> None:
    """Any one change to a stored pacer loads into one that stores the same, or is refused."""
    try:
        pacer = load_pacer(data, rules=RULES)
    except StoredDataError:
        return
    assert dump_pacer(pacer) == dump_pacer(load_pacer(dump_pacer(pacer), rules=RULES))
