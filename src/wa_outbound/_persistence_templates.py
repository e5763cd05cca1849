"""Store a `TemplateState` and a `TemplateCatalogue` as JSON-compatible data, and load them.

`dump_template_state` writes every field of the state (its derived status is read again on
load); `load_template_state` refuses a state that no sequence of template facts builds: the
constructor checks the history (events in `apply`'s order, one per kind; pauses in order; the
latest pause is the latest PAUSED event), and the loader checks that the other parts agree with
it and with each other (see `load_template_state`).

A catalogue is a set: `dump_catalogue` writes its `(name, language)` pairs sorted, and
`load_catalogue` reads them in any order but refuses a pair listed twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from wa_outbound import _wire
from wa_outbound._errors import StoredDataError, ascii_upper, expect
from wa_outbound._persistence import dump, read, refused, stored_instant
from wa_outbound._template_lifecycle import QualityScore, TemplateInput, TemplateState
from wa_outbound._template_quota import TemplateCatalogue

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = ["dump_catalogue", "dump_template_state", "load_catalogue", "load_template_state"]

_TEMPLATE_STATE: Final = _wire.StoredFormat(name="wa_outbound.template_state", version=1)
_CATALOGUE: Final = _wire.StoredFormat(name="wa_outbound.template_catalogue", version=1)
_CATALOGUE_KEYS: Final = frozenset({"templates", "verified"})
_PAIR_KEYS: Final = frozenset({"name", "language"})
_KNOWN_EVENTS: Final = frozenset(kind.value for kind in TemplateInput)


# --- template state -------------------------------------------------------------------------


def dump_template_state(state: TemplateState) -> dict[str, Any]:
    """Return `state` as JSON-compatible data: its id, name, language and every fact it keeps.

    The status is not stored: it is derived from the events again when the state is loaded.
    """
    return dump(_TEMPLATE_STATE, state, TemplateState, "state")


def load_template_state(data: object) -> TemplateState:
    """Return the `TemplateState` stored by `dump_template_state`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored template state of a version this release
            reads; a field is missing, unknown or invalid; or no sequence of facts builds the
            state: events out of `apply`'s order or two of one kind, pauses out of order or
            repeated or not ending at the latest PAUSED event, a submission later than the
            latest PENDING event, a quality score, category or unknown event without the
            instant it was reported (or an instant without it), a change date without an
            upcoming category, an "unknown" event the library knows, or an `updated_at` that
            is not the latest instant the state holds. The error names the path and value.
    """
    body = _wire.check_header(data, _TEMPLATE_STATE)
    state = read(body, TemplateState)
    _check_parts(state)
    _check_updated_at(state)
    return state


def _check_parts(s: TemplateState) -> None:
    if s.submitted_at is not None:
        # A submission is also a PENDING event: the latest one is at least as late.
        pending = s.latest(TemplateInput.PENDING)
        if pending is None or pending.at < s.submitted_at:
            refused("submitted_at", stored_instant(s.submitted_at), "later than any PENDING event")
    if s.quality_at is None and s.quality is not QualityScore.UNKNOWN:
        refused("quality", s.quality.value, "a quality score is reported with quality_at")
    if s.category_at is None:
        for field in ("category", "upcoming_category", "category_changes_at"):
            value = getattr(s, field)
            if value:
                refused(
                    field,
                    stored_instant(value) if field.endswith("_at") else value,
                    "no category was reported (category_at is null)",
                )
    elif not s.category.strip():
        refused("category", s.category, "a reported category is never empty")
    if not s.upcoming_category and s.category_changes_at is not None:
        refused(
            "category_changes_at",
            stored_instant(s.category_changes_at),
            "a change date without an upcoming_category",
        )
    _check_unknown_event(s)


def _check_unknown_event(s: TemplateState) -> None:
    if s.unknown_event_at is None:
        if s.unknown_event:
            refused("unknown_event", s.unknown_event, "reported without unknown_event_at")
        return
    if not s.unknown_event.strip():
        refused("unknown_event", s.unknown_event, "an event reported at unknown_event_at")
    if ascii_upper(s.unknown_event.strip()) in _KNOWN_EVENTS:
        refused("unknown_event", s.unknown_event, "a known event is kept in events")


def _check_updated_at(s: TemplateState) -> None:
    reported = (s.submitted_at, s.quality_at, s.category_at, s.unknown_event_at)
    instants: list[datetime] = [event.at for event in s.events]
    instants.extend(at for at in reported if at is not None)
    latest = max(instants, default=None)
    if s.updated_at != latest:
        refused(
            "updated_at",
            stored_instant(s.updated_at),
            f"expected the latest instant the state holds, {stored_instant(latest)}",
        )


# --- template catalogue ---------------------------------------------------------------------


def dump_catalogue(catalogue: TemplateCatalogue) -> dict[str, Any]:
    """Return `catalogue` as JSON-compatible data: its templates sorted, and `verified`."""
    expect("catalogue", catalogue, TemplateCatalogue)
    data = _wire.header(_CATALOGUE)
    data["templates"] = [
        {"name": name, "language": language} for name, language in sorted(catalogue.templates)
    ]
    data["verified"] = catalogue.verified
    return data


def load_catalogue(data: object) -> TemplateCatalogue:
    """Return the `TemplateCatalogue` stored by `dump_catalogue`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored catalogue of a version this release reads,
            a field is missing, unknown or invalid (an empty name or language), or a template
            is listed twice; the error names the path and the value.
    """
    body = _wire.check_header(data, _CATALOGUE)
    try:
        pairs = _read_catalogue(body)
    except _wire.WireError as error:
        raise _wire.refuse(StoredDataError, error, body) from None
    return TemplateCatalogue(templates=pairs, verified=body["verified"])


def _read_catalogue(body: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    _wire.check_keys(body, _CATALOGUE_KEYS, _CATALOGUE_KEYS)
    _wire.required(body, "verified", read=_wire.boolean)
    templates = _wire.required(body, "templates", read=_wire.json_array)
    pairs: set[tuple[str, str]] = set()
    for index, item in enumerate(templates):
        path = _wire.at("templates", index)
        pair = _pair(item, path)
        if pair in pairs:
            raise _wire.WireError(path, item, "template listed twice")
        pairs.add(pair)
    return frozenset(pairs)


def _pair(item: object, path: str) -> tuple[str, str]:
    data = _wire.json_object(item, path)
    _wire.check_keys(data, _PAIR_KEYS, _PAIR_KEYS, path)
    name = _wire.required(data, "name", path, _non_empty)
    language = _wire.required(data, "language", path, _non_empty)
    return name, language


def _non_empty(value: object) -> str:
    text = _wire.string(value)
    if not text.strip():
        raise _wire.WireError("", value, "expected a non-empty string")
    return text
