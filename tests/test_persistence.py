"""Persistence: any conversation round-trips through JSON; corrupt data is refused clearly."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    BusinessCallUnanswered,
    BusinessScopedUserId,
    CallConnected,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRequested,
    CallPermissionRevoked,
    CallPermissionStatus,
    Conversation,
    EntryPoint,
    Fact,
    InboundCallReceived,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    PhoneNumberId,
    Provider,
    ReferralReceived,
    SendRejected,
    StoredDataError,
    dump_conversation,
    load_conversation,
)
from wa_outbound.pricing import ConversationCharges, dump_charges, load_charges
from wa_outbound.testing import conversations, instants

from .conftest import T0
from .json_mutations import DELETE, json_values, mutated, with_value

# Few instants, so that ties between facts are common.
coarse = st.integers(min_value=0, max_value=6).map(lambda k: T0 + k * timedelta(minutes=1))


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
    assert 2 == data["version"]
    assert {"bsuid": "US.1349"} == data["recipient"]
    assert "2026-11-23T10:00:00Z" == data["last_inbound_message_at"]
    assert "ad" == data["entry_points"][0]["entry_point"]
    assert "granted" == data["call_permission"]["status"]
    assert "status" not in data["consent"]


_CONVERSATION_KEYS = [*stored(), *stored()["consent"], *stored()["call_permission"], "referred_at"]


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
        (["version"], 3, "version", "newer release; this release reads versions 1 to 2"),
        (["version"], KeyError, "version", "missing; this release reads versions 1 to 2"),
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


# --- conversations no sequence of facts builds ----------------------------------------------


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _visit(referred: datetime, replied: datetime | None) -> dict[str, Any]:
    return {
        "referred_at": _iso(referred),
        "entry_point": "ad",
        "replied_at": None if replied is None else _iso(replied),
    }


M, H = timedelta(minutes=1), timedelta(hours=1)


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        # a granted permission without its instant is never read as a permanent grant
        (["call_permission", "since"], None, "call_permission.since", "granted permission has"),
        (["call_permission", "expires_at"], _iso(T0), "call_permission.expires_at", "after since"),
        (
            ["call_permission"],
            {"status": "none", "since": _iso(T0), "expires_at": None},
            "call_permission.since",
            "no answer",
        ),
        (
            ["call_permission"],
            {"status": "revoked", "since": _iso(T0), "expires_at": _iso(T0 + M)},
            "call_permission.expires_at",
            "only a granted permission expires",
        ),
        (["consent", "opt_in_method"], "", "consent.opt_in_method", "an opt-in has its method"),
        (["consent", "opt_out_method"], "keyword", "consent.opt_out_method", "no opt-out"),
        (["consent", "opted_in_at"], None, "consent.opt_in_method", "no opt-in"),
        (["entry_points"], [_visit(T0, None)] * 3, "entry_points", "latest two"),
        (
            ["entry_points"],
            [_visit(T0, None), _visit(T0, None)],
            "entry_points[1].referred_at",
            "oldest first",
        ),
        (
            ["entry_points"],
            [_visit(T0 + 2 * H, None)],
            "entry_points[0].referred_at",
            "later than last_inbound_message_at",
        ),
        (["entry_points"], [_visit(T0, T0 - M)], "entry_points[0].replied_at", "after the visit"),
        (
            ["entry_points"],
            [_visit(T0, T0 + H)],
            "entry_points[0].replied_at",
            "later than last_outbound_at",
        ),
        (
            ["entry_points"],
            [_visit(T0, T0 + 3 * M), _visit(T0 + M, None)],
            "entry_points[1].replied_at",
            "replied at 2026-11-23T09:03:00Z",
        ),
        (
            ["entry_points"],
            [_visit(T0, T0 + 2 * M), _visit(T0 + M, T0 + 3 * M)],
            "entry_points[1].replied_at",
            "after this visit",
        ),
    ],
)
def test_impossible_conversations_are_refused(
    path: list[str | int], value: object, field: str, message: str
) -> None:
    """A conversation that no sequence of facts builds is refused, naming the field."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_conversation(_mutate(path, value))
    assert field == info.value.field


def _witnesses(c: Conversation) -> list[list[Fact]]:
    """Fact sequences that may build `c` from a new conversation, read off its parts.

    The parts without visits take one fact each; the visits and the business's messages are
    tried in every order, since a late referral learns of replies differently.
    """
    consent, permission = c.consent, c.call_permission
    parts: list[Fact] = []
    for at, build in (
        (c.last_inbound_message_at, lambda at: InboundMessageReceived(at=at)),
        (c.last_inbound_call_at, lambda at: InboundCallReceived(at=at)),
        (c.window_closed_at, lambda at: SendRejected(at=at, provider=Provider.META, code=131047)),
        (consent.opted_in_at, lambda at: OptInRecorded(at=at, method=consent.opt_in_method)),
        (consent.opted_out_at, lambda at: OptOutReceived(at=at, method=consent.opt_out_method)),
        (
            consent.marketing_opted_out_at,
            lambda at: OptOutReceived(at=at, scope=OptOutScope.MARKETING),
        ),
        (consent.marketing_resumed_at, lambda at: MarketingResumed(at=at)),
    ):
        if at is not None:
            parts.append(build(at))
    since = permission.since
    if since is not None:
        answer = {
            CallPermissionStatus.GRANTED: CallPermissionGranted(
                at=since, expires_at=permission.expires_at
            ),
            CallPermissionStatus.REJECTED: CallPermissionRejected(at=since),
            CallPermissionStatus.REVOKED: CallPermissionRevoked(at=since),
        }
        parts.append(answer[permission.status])
    log = c.calls
    parts += [CallPermissionRequested(at=m.at, message_id=m.id) for m in log.permission_requests]
    parts += [CallConnected(at=m.at, call_id=m.id) for m in log.connected_calls]
    parts += [BusinessCallUnanswered(at=m.at, call_id=m.id) for m in log.unanswered_calls]
    if log.last_connected_at is not None:
        parts.append(CallConnected(at=log.last_connected_at, business_initiated=False))
    moves: list[Fact] = [
        ReferralReceived(at=v.referred_at, entry_point=v.entry_point) for v in c.entry_points
    ]
    sent = {v.replied_at for v in c.entry_points} | {c.last_outbound_at}
    moves += [OutboundMessageSent(at=at) for at in sorted(s for s in sent if s is not None)]
    return [[*parts, *order] for order in itertools.permutations(moves)]


@given(mutated(conversations(coarse).map(dump_conversation), json_values(_CONVERSATION_KEYS)))
def test_every_conversation_that_loads_is_built_by_facts(data: Any) -> None:
    """A stored conversation loads only if facts build it: some order of its facts rebuilds it."""
    try:
        conversation = load_conversation(data)
    except StoredDataError:
        return
    new = Conversation(business=conversation.business, recipient=conversation.recipient)
    assert any(new.apply_all(facts) == conversation for facts in _witnesses(conversation))


# --- conversation charges -------------------------------------------------------------------

charges = st.builds(
    ConversationCharges,
    marketing_until=st.none() | instants(),
    utility_until=st.none() | instants(),
    authentication_until=st.none() | instants(),
    service_until=st.none() | instants(),
)


@given(charges)
def test_charges_round_trip_through_json(value: ConversationCharges) -> None:
    """`load(json(dump(c)))` equals `c`."""
    assert value == load_charges(json.loads(json.dumps(dump_charges(value))))


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("format", "wa_outbound.conversation", "format", "expected"),
        ("version", None, "version", "expected an integer"),
        ("marketing_until", DELETE, "marketing_until", "missing"),
        ("utility_until", "2026-11-24T09:00:00", "utility_until", "time zone"),
        ("service_until", 86_400, "service_until", "ISO 8601"),
        ("calls_until", None, "calls_until", "unknown field"),
    ],
)
def test_charges_damage_names_the_field(path: str, value: object, field: str, message: str) -> None:
    """Every kind of damage raises `StoredDataError` naming the field."""
    data = dump_charges(ConversationCharges(marketing_until=T0, utility_until=T0 + H))
    with pytest.raises(StoredDataError, match=message) as info:
        load_charges(with_value(data, (path,), value))
    assert field == info.value.field
