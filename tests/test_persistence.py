"""Persistence: any conversation round-trips through JSON; corrupt data is refused clearly."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given

from wa_outbound import (
    BusinessScopedUserId,
    CallPermissionGranted,
    Conversation,
    EntryPoint,
    InboundMessageReceived,
    OptInRecorded,
    OutboundMessageSent,
    PhoneNumberId,
    ReferralReceived,
    StoredDataError,
    dump_conversation,
    load_conversation,
)
from wa_outbound.testing import conversations

from .conftest import T0


@given(conversations())
def test_round_trip_through_json(conversation: Conversation) -> None:
    """`load(json(dump(c)))` equals `c`, derived consent included."""
    text = json.dumps(dump_conversation(conversation))
    loaded = load_conversation(json.loads(text))
    assert conversation == loaded
    assert conversation.consent.status == loaded.consent.status
    assert conversation.consent.marketing == loaded.consent.marketing


def stored() -> dict[str, Any]:
    """A realistic stored conversation."""
    c = Conversation(
        business=PhoneNumberId("106540352242922"), recipient=BusinessScopedUserId("US.1349")
    )
    c = c.apply_all(
        [
            ReferralReceived(at=T0, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
            OutboundMessageSent(at=T0 + timedelta(minutes=3)),
            OptInRecorded(at=T0, method="ad form"),
            CallPermissionGranted(at=T0, expires_at=T0 + timedelta(days=7)),
            InboundMessageReceived(at=T0 + timedelta(hours=1)),
        ]
    )
    return dump_conversation(c)


def test_format_is_plain_and_readable() -> None:
    """Instants are UTC ISO strings, enums their values, identities strings."""
    data = stored()
    assert "wa_outbound.conversation" == data["format"]
    assert 1 == data["version"]
    assert {"bsuid": "US.1349"} == data["recipient"]
    assert "2026-11-23T10:00:00Z" == data["last_inbound_message_at"]
    assert "ad" == data["entry_points"][0]["entry_point"]
    assert "granted" == data["call_permission"]["status"]
    assert "status" not in data["consent"]


def _mutate(path: list[str | int], value: object) -> dict[str, Any]:
    data = stored()
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (["format"], "something.else", "format", "expected"),
        (["version"], 2, "version", "newer release; this release reads version 1"),
        (["version"], KeyError, "version", "missing; this release reads version 1"),
        (["business"], KeyError, "business", "missing"),
        (["business"], "abc", "business", "numeric"),
        (["recipient"], {"email": "x"}, "recipient", "unknown recipient kind"),
        (["recipient"], "4915123456789", "recipient", "expected"),
        (["recipient"], {"wa_id": "+49"}, "recipient.wa_id", "7 to 15 digits"),
        (
            ["last_inbound_message_at"],
            "2026-11-23T10:00:00",
            "last_inbound_message_at",
            "time zone",
        ),
        (["last_inbound_message_at"], "yesterday", "last_inbound_message_at", "isoformat"),
        (["last_inbound_message_at"], 1700000000, "last_inbound_message_at", "ISO 8601"),
        (["entry_points", 0, "entry_point"], "tv", "entry_points[0].entry_point", "EntryPoint"),
        (["entry_points", 0, "replied_at"], KeyError, "entry_points[0].replied_at", "missing"),
        (["entry_points"], 5, "entry_points", "JSON array"),
        (["entry_points"], "ad", "entry_points", "JSON array"),
        (["consent", "opt_in_method"], KeyError, "consent.opt_in_method", "missing"),
        (["consent", "status"], "opted_in", "consent.status", "unknown field"),
        (["call_permission", "status"], "maybe", "call_permission.status", "CallPermissionStatus"),
        (["call_permission"], [], "call_permission", "expected a JSON object"),
        (["surprise"], 1, "surprise", "unknown field"),
    ],
)
def test_corrupt_data_names_the_field(
    path: list[str | int], value: object, field: str, message: str
) -> None:
    """Every kind of damage raises `StoredDataError` naming the field path; nothing defaults."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_conversation(_mutate(path, value))
    assert field == info.value.field
    assert isinstance(info.value, ValueError)


def test_not_an_object() -> None:
    """A list or a string is not a stored conversation."""
    with pytest.raises(StoredDataError, match="JSON object"):
        load_conversation([1, 2])
