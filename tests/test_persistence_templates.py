"""Persistence of template states and catalogues: round trips, strict loads, invariants."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import InvalidValueError, StoredDataError, rules_at
from wa_outbound.templates import (
    QualityScore,
    TemplateCatalogue,
    TemplateCategoryChanged,
    TemplateEvent,
    TemplateFact,
    TemplateInput,
    TemplateQualityChanged,
    TemplateState,
    TemplateStatusChanged,
    TemplateSubmitted,
    dump_catalogue,
    dump_template_state,
    load_catalogue,
    load_template_state,
    template_sendable,
)
from wa_outbound.testing import template_states

from .conftest import T0
from .json_mutations import DELETE, json_values, mutated, with_value

H = timedelta(hours=1)
# Few instants, so that ties between facts are common.
coarse = st.integers(min_value=0, max_value=6).map(lambda k: T0 + k * H)


def _json(data: object) -> Any:
    return json.loads(json.dumps(data))


# --- template state: round trip -------------------------------------------------------------


@given(template_states(coarse) | template_states())
def test_template_state_round_trips_through_json(state: TemplateState) -> None:
    """`load(json(dump(s)))` equals `s`, and its derived status and answers are the same."""
    loaded = load_template_state(_json(dump_template_state(state)))
    assert state == loaded
    assert (state.status, state.status_since) == (loaded.status, loaded.status_since)
    now = max(T0 + 5 * H, state.latest_at or T0)
    assert template_sendable(state, now=now) == template_sendable(loaded, now=now)


def stored_state() -> dict[str, Any]:
    """A realistic stored template state: submitted, approved, flagged, paused, reclassified."""
    state = TemplateState(template_id="1203948571", name="winter_sale", language="en_US")
    state = state.apply_all(
        [
            TemplateSubmitted(at=T0),
            TemplateStatusChanged(at=T0 + H, event="APPROVED"),
            TemplateStatusChanged(at=T0 + 2 * H, event="FLAGGED", disable_at=T0 + 48 * H),
            TemplateStatusChanged(at=T0 + 3 * H, event="PAUSED"),
            TemplateQualityChanged(at=T0 + 3 * H, new=QualityScore.RED),
            TemplateCategoryChanged(
                at=T0 + 4 * H,
                new_category="UTILITY",
                correct_category="MARKETING",
                takes_effect_at=T0 + 72 * H,
            ),
            TemplateStatusChanged(at=T0 + 5 * H, event="NEW_EVENT"),
        ]
    )
    return dump_template_state(state)


def test_template_state_format_is_plain_and_readable() -> None:
    """Events are kind and instant; the derived status is not stored."""
    data = stored_state()
    assert ("wa_outbound.template_state", 1) == (data["format"], data["version"])
    assert {"kind": "PAUSED", "at": "2026-11-23T12:00:00Z", "reason": "", "disable_at": None} == (
        data["events"][-1]
    )
    assert ["2026-11-23T12:00:00Z"] == data["pauses"]
    assert "status" not in data
    assert "2026-11-23T14:00:00Z" == data["updated_at"]


# --- template state: strict loads -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("format",), "wa_outbound.conversation", "format", "expected"),
        (("version",), 2, "version", "newer release"),
        (("version",), True, "version", "expected an integer"),
        (("template_id",), DELETE, "template_id", "missing"),
        (("template_id",), " ", "template_id", "must not be empty"),
        (("template_id",), 1203948571, "template_id", "expected a string"),
        (("surprise",), 1, "surprise", "unknown field"),
        (("events",), "PAUSED", "events", "JSON array"),
        (("events", 0, "kind"), "OPENED", "events[0].kind", "TemplateInput"),
        (("events", 0, "at"), "2026-11-23T09:00:00", "events[0].at", "time zone"),
        (("events", 0, "reason"), DELETE, "events[0].reason", "missing"),
        (("events", 0, "extra"), 1, "events[0].extra", "unknown field"),
        (("pauses", 0), None, "pauses[0]", "ISO 8601"),
        (("quality",), "BLUE", "quality", "QualityScore"),
        (("updated_at",), DELETE, "updated_at", "missing"),
    ],
)
def test_template_state_damage_names_the_field(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    """Every kind of damage raises `StoredDataError` naming the field path; nothing defaults."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_template_state(with_value(stored_state(), path, value))
    assert field == info.value.field


def _event(kind: str, at: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "at": at.isoformat().replace("+00:00", "Z"),
        "reason": "",
        "disable_at": None,
    }


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        # histories out of order, repeated, or without their pause
        (
            {"events": [_event("APPROVED", T0 + H), _event("PENDING", T0)]},
            "events[1]",
            "time order",
        ),
        (
            {"events": [_event("PAUSED", T0), _event("PAUSED", T0 + H)]},
            "events[1]",
            "second PAUSED",
        ),
        ({"events": [_event("DISABLED", T0), _event("APPROVED", T0)]}, "events[1]", "time order"),
        ({"pauses": [_iso(T0 + 3 * H), _iso(T0)]}, "pauses[1]", "time order"),
        ({"unknown_event": "", "unknown_event_at": None}, "updated_at", "2026-11-23T13:00:00Z"),
        ({"events": [_event("APPROVED", T0)]}, "pauses", "without a PAUSED event"),
        ({"pauses": [_iso(T0 + 3 * H), _iso(T0 + 3 * H)]}, "pauses[1]", "each instant once"),
        ({"pauses": []}, "pauses", "PAUSED event's instant"),
        ({"pauses": [_iso(T0), _iso(T0 + H)]}, "pauses", "PAUSED event's instant"),
        # parts that disagree with the history or with each other
        ({"submitted_at": _iso(T0 + H)}, "submitted_at", "later than any PENDING event"),
        ({"quality_at": None}, "quality", "quality_at"),
        ({"category_at": None}, "category", "no category was reported"),
        ({"category": " "}, "category", "never empty"),
        ({"upcoming_category": ""}, "category_changes_at", "without an upcoming_category"),
        ({"unknown_event_at": None}, "unknown_event", "without unknown_event_at"),
        ({"unknown_event": ""}, "unknown_event", "an event reported at"),
        ({"unknown_event": "approved"}, "unknown_event", "a known event"),
        ({"updated_at": _iso(T0 + 9 * H)}, "updated_at", "2026-11-23T14:00:00Z"),
        ({"updated_at": None}, "updated_at", "latest instant"),
    ],
)
def test_impossible_template_states_are_refused(
    change: dict[str, Any], field: str, message: str
) -> None:
    """A state that no sequence of facts builds is refused, naming the field and its value."""
    data = stored_state()
    data.update(change)
    with pytest.raises(StoredDataError, match=message) as info:
        load_template_state(data)
    assert field == info.value.field


def test_a_fresh_state_has_nothing_to_agree_with() -> None:
    """A state without facts has no instants, so `updated_at` is null."""
    state = TemplateState(template_id="1")
    assert dump_template_state(state)["updated_at"] is None
    assert state == load_template_state(dump_template_state(state))


def test_the_constructor_refuses_impossible_histories() -> None:
    """Building a state by hand checks the history as loading does."""
    approved = TemplateEvent(kind=TemplateInput.APPROVED, at=T0)
    paused = TemplateEvent(kind=TemplateInput.PAUSED, at=T0 + H)
    with pytest.raises(InvalidValueError, match="time order") as info:
        TemplateState(template_id="1", events=(paused, approved), pauses=(T0 + H,))
    assert "events[1]" == info.value.field
    with pytest.raises(InvalidValueError, match="PAUSED event's instant"):
        TemplateState(template_id="1", events=(approved, paused))
    with pytest.raises(InvalidValueError, match="expected a TemplateEvent"):
        TemplateState(template_id="1", events=("APPROVED",))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="without a PAUSED event"):
        TemplateState(template_id="1", pauses=(T0,))


def test_a_pause_number_needs_its_pauses() -> None:
    """A loaded paused state counts its pauses as the original does (3 h, then 6 h)."""
    state = TemplateState(template_id="1").apply_all(
        [
            TemplateStatusChanged(at=T0, event="PAUSED"),
            TemplateStatusChanged(at=T0 + H, event="PAUSED"),
        ]
    )
    loaded = load_template_state(_json(dump_template_state(state)))
    rules = rules_at(T0)
    assert (2, T0 + 7 * H) == (loaded.pause_number, loaded.pause_ends_at(rules))


# --- catalogue ------------------------------------------------------------------------------

names = st.sampled_from(["order_update", "winter_sale", "otp", "receipt"])
languages = st.sampled_from(["en_US", "de", "pt_BR"])
catalogues = st.builds(
    TemplateCatalogue,
    templates=st.frozensets(st.tuples(names, languages), max_size=8),
    verified=st.booleans(),
)


@given(catalogues)
def test_catalogue_round_trips_through_json(catalogue: TemplateCatalogue) -> None:
    """`load(json(dump(c)))` equals `c`; the templates are written sorted."""
    data = _json(dump_catalogue(catalogue))
    assert catalogue == load_catalogue(data)
    pairs = [(t["name"], t["language"]) for t in data["templates"]]
    assert sorted(pairs) == pairs


def stored_catalogue() -> dict[str, Any]:
    """A stored catalogue of two templates."""
    return dump_catalogue(
        TemplateCatalogue(templates={("order_update", "en_US"), ("order_update", "de")})
    )


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("format",), "wa_outbound.template_state", "format", "expected"),
        (("version",), "1", "version", "expected an integer"),
        (("verified",), DELETE, "verified", "missing"),
        (("verified",), 1, "verified", "true or false"),
        (("templates",), {"name": "x"}, "templates", "JSON array"),
        (("templates", 0), ["order_update", "de"], "templates[0]", "JSON object"),
        (("templates", 0, "name"), "", "templates[0].name", "non-empty"),
        (("templates", 0, "language"), 7, "templates[0].language", "expected a string"),
        (("templates", 0, "language"), DELETE, "templates[0].language", "missing"),
        (("templates", 0, "status"), "APPROVED", "templates[0].status", "unknown field"),
        (("templates", 1, "language"), "de", "templates[1]", "listed twice"),
        (("owner",), "me", "owner", "unknown field"),
    ],
)
def test_catalogue_damage_names_the_field(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    """Every kind of damage raises `StoredDataError` naming the field path."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_catalogue(with_value(stored_catalogue(), path, value))
    assert field == info.value.field


# --- fuzz -----------------------------------------------------------------------------------

_STATE_KEYS = [*stored_state(), "kind", "at", "reason", "disable_at"]


@given(mutated(template_states(coarse).map(dump_template_state), json_values(_STATE_KEYS)))
def test_a_damaged_template_state_loads_exactly_or_is_refused(data: Any) -> None:
    """Any one change to a stored state loads into a state that stores the same, or is refused."""
    try:
        state = load_template_state(data)
    except StoredDataError:
        return
    assert state == load_template_state(dump_template_state(state))


@given(mutated(catalogues.map(dump_catalogue), json_values(["name", "language", "templates"])))
def test_a_damaged_catalogue_loads_exactly_or_is_refused(data: Any) -> None:
    """Any one change to a stored catalogue loads, or is refused with `StoredDataError`."""
    try:
        catalogue = load_catalogue(data)
    except StoredDataError:
        return
    assert catalogue == load_catalogue(dump_catalogue(catalogue))


def _witness(state: TemplateState) -> list[TemplateFact]:
    """Facts that build `state` from a new one, read off its parts."""
    found: list[TemplateFact] = [
        TemplateStatusChanged(at=e.at, event=e.kind.value, reason=e.reason, disable_at=e.disable_at)
        for e in state.events
    ]
    found += [TemplateStatusChanged(at=at, event="PAUSED") for at in state.pauses]
    if state.submitted_at is not None:
        found.append(TemplateSubmitted(at=state.submitted_at))
    if state.quality_at is not None:
        found.append(TemplateQualityChanged(at=state.quality_at, new=state.quality))
    if state.category_at is not None:
        found.append(
            TemplateCategoryChanged(
                at=state.category_at,
                new_category=state.category,
                correct_category=state.upcoming_category,
                takes_effect_at=state.category_changes_at,
            )
        )
    if state.unknown_event_at is not None:
        found.append(TemplateStatusChanged(at=state.unknown_event_at, event=state.unknown_event))
    return found


@given(mutated(template_states(coarse).map(dump_template_state), json_values(_STATE_KEYS)))
def test_every_template_state_that_loads_is_built_by_facts(data: Any) -> None:
    """A stored state loads only if facts build it: the facts read off its parts rebuild it."""
    try:
        state = load_template_state(data)
    except StoredDataError:
        return
    new = TemplateState(template_id=state.template_id, name=state.name, language=state.language)
    assert state == new.apply_all(_witness(state))
