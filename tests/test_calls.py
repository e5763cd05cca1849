"""Calls from the webhooks to the decision: the `calls` field, its facts, the call log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from wa_outbound import (
    BusinessCallUnanswered,
    CallConnected,
    CallPermissionGranted,
    CallPermissionRequested,
    Conversation,
    InboundCallReceived,
    OptInRecorded,
    PhoneNumberId,
    Reason,
    SendKind,
    StoredDataError,
    WaId,
    can_send,
    dump_conversation,
    load_conversation,
    rules_at,
)
from wa_outbound.limits import CallLog, CallMark
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import MemoryStore
from wa_outbound.webhooks import (
    CallEvent,
    CallStatus,
    ConversationFactFor,
    UnknownEvent,
    facts_from_events,
    parse_meta_events,
)

from . import meta_payloads as p

UTC = timezone.utc
AT = datetime.fromtimestamp(p.T, UTC)  # 2025-11-25: calls open the window
BUSINESS = PhoneNumberId(p.PHONE_ID)
USER = WaId(p.USER)
H = timedelta(hours=1)


def events_of(*changes: dict[str, Any]) -> tuple[Any, ...]:
    """Read one entry carrying `changes`."""
    return parse_meta_events(p.envelope(p.entry(*changes)))


def facts_of(*changes: dict[str, Any]) -> list[Any]:
    """The conversation facts of one entry carrying `changes`."""
    found = facts_from_events(events_of(*changes))
    assert all(isinstance(f, ConversationFactFor) for f in found)
    assert all((f.business, f.recipient) == (BUSINESS, USER) for f in found)
    return [f.fact for f in found]


def fresh() -> Conversation:
    """The shop and Ana, nothing known yet."""
    return Conversation(business=BUSINESS, recipient=USER)


def test_a_users_call_in_a_calls_change_opens_the_window() -> None:
    """Meta sends calls as `"field": "calls"`: a user's call is read, and opens the window."""
    (event,) = events_of(p.user_call_connect())
    assert isinstance(event, CallEvent)
    assert ("connect", "USER_INITIATED", p.USER) == (event.event, event.direction, event.wa_id)
    facts = facts_of(p.user_call_connect())
    assert [InboundCallReceived(at=AT + 400 * timedelta(seconds=1), call_id=p.CALL_ID)] == facts
    c = fresh().apply_all(facts)
    assert AT + timedelta(seconds=400) + 24 * H == c.service_window_expires_at(rules_at(AT))
    assert can_send(c, SendKind.FREE_FORM, now=AT + H).allowed


def test_before_calling_a_call_opened_no_window() -> None:
    """Under the rules before 2025-07-15 the same call leaves the window shut."""
    c = fresh().apply_all(facts_of(p.user_call_connect()))
    assert c.service_window_expires_at(rules_at(datetime(2025, 7, 14, tzinfo=UTC))) is None


def test_a_users_call_by_business_scoped_id() -> None:
    """A username user's call carries `from_user_id` and an empty `from`; the fact is theirs."""
    change = p.user_call_connect()
    call = change["value"]["calls"][0]
    call |= {"from": "", "from_user_id": "US.13491208655302741918"}
    (event,) = events_of(change)
    assert ("", "US.13491208655302741918") == (event.wa_id, event.user_id)
    (item,) = facts_from_events([event])
    assert "US.13491208655302741918" == item.recipient.value


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (p.business_call_status("RINGING", p.T), []),
        (
            p.business_call_status("ACCEPTED", p.T),
            [CallConnected(at=AT, call_id=p.BUSINESS_CALL_ID)],
        ),
        (
            p.business_call_status("REJECTED", p.T),
            [BusinessCallUnanswered(at=AT, call_id=p.BUSINESS_CALL_ID)],
        ),
        (
            p.business_call_terminate("COMPLETED", p.T),
            [CallConnected(at=AT, call_id=p.BUSINESS_CALL_ID)],
        ),
        (
            p.business_call_terminate("FAILED", p.T),
            [BusinessCallUnanswered(at=AT, call_id=p.BUSINESS_CALL_ID)],
        ),
        (
            p.user_call_terminate(p.T, duration=60),
            [CallConnected(at=AT, call_id=p.CALL_ID, business_initiated=False)],
        ),
        (p.user_call_terminate(p.T, duration=0), []),
    ],
    ids=["ringing", "accepted", "rejected", "completed", "failed", "user-talked", "user-missed"],
)
def test_call_outcomes_become_facts(change: dict[str, Any], expected: list[Any]) -> None:
    """Each documented call outcome becomes the fact the calling limits count."""
    assert expected == facts_of(change)


def test_call_statuses_are_typed() -> None:
    """A business call's status keeps the user, the tracker and the instant."""
    (status,) = events_of(p.business_call_status("RINGING", p.T))
    assert isinstance(status, CallStatus)
    assert ("RINGING", p.USER, "campaign=7", AT) == (
        status.status,
        status.wa_id,
        status.biz_opaque_callback_data,
        status.at,
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [({"metadata": {}}, "calls"), ({"calls": {}}, "calls"), ({"statuses": [7]}, "statuses")],
)
def test_odd_calls_changes_are_unknown(value: dict[str, Any], field: str) -> None:
    """A `calls` change with nothing readable is kept as an `UnknownEvent`."""
    (event,) = events_of({"field": "calls", "value": value})
    assert isinstance(event, UnknownEvent)
    assert field == event.field


def test_four_rejected_calls_from_webhooks_block_the_next_call() -> None:
    """The webhooks' outcomes feed the counters: four REJECTED calls revoke the permission."""
    c = fresh().apply(CallPermissionGranted(at=AT - H))
    for n in range(4):
        change = p.business_call_status("REJECTED", p.T + n * 60, call_id=f"wacid.{n}")
        c = c.apply_all(facts_of(change))
    assert (Reason.CALLS_UNANSWERED,) == can_send(c, SendKind.CALL, now=AT + H).codes
    talked = c.apply_all(facts_of(p.user_call_terminate(p.T + 3600, duration=30)))
    assert can_send(talked, SendKind.CALL, now=AT + 2 * H).allowed


def test_the_call_log_is_stored_and_read_back() -> None:
    """A conversation with calls counted loads back equal; version 1 documents load empty."""
    c = fresh().apply_all(
        [
            CallPermissionRequested(at=AT, message_id="wamid.1"),
            CallConnected(at=AT + H, call_id="wacid.1"),
            BusinessCallUnanswered(at=AT + 2 * H, call_id="wacid.2"),
        ]
    )
    data = json.loads(json.dumps(dump_conversation(c)))
    assert c == load_conversation(data)
    old = {**dump_conversation(fresh()), "version": 1}
    del old["calls"]
    assert fresh() == load_conversation(old)


def test_a_call_log_out_of_order_is_refused() -> None:
    """Marks kept out of order are no log any sequence of facts builds."""
    c = fresh().apply(CallPermissionRequested(at=AT))
    data = dump_conversation(c)
    data["calls"]["permission_requests"] *= 2
    with pytest.raises(StoredDataError, match=r"calls\.permission_requests"):
        load_conversation(data)


def test_the_log_keeps_a_bounded_history() -> None:
    """Only the latest marks are kept, and `latest_at` sees every kind of them."""
    c = fresh()
    for n in range(40):
        c = c.apply(CallPermissionRequested(at=AT + n * H))
    assert 16 == len(c.calls.permission_requests)
    assert AT + 39 * H == c.calls.latest_at == c.latest_at
    assert CallLog().latest_at is None
    assert CallMark(at=AT) < CallMark(at=AT + H)


def test_recording_a_call_permission_request_counts_it() -> None:
    """`SenderState.record_sent` of a request records it for the request limits."""
    shop = BusinessNumber(
        phone_number_id=BUSINESS,
        waba_id=p.WABA,
        portfolio_id="184512934729183",
        display_phone_number="+1 555-000-1111",
    )
    state = SenderState(MemoryStore(), numbers=[shop])
    state.apply(BUSINESS, USER, [OptInRecorded(at=AT - H, method="web form")])
    kind = SendKind.CALL_PERMISSION_REQUEST
    assert state.decide(BUSINESS, USER, kind, now=AT).allowed
    state.record_sent(BUSINESS, USER, kind, now=AT, message_id="wamid.cpr")
    assert (CallMark(at=AT, id="wamid.cpr"),) == state.conversation(
        BUSINESS, USER
    ).calls.permission_requests
    decision = state.decide(BUSINESS, USER, kind, now=AT + H)
    assert (Reason.CALL_PERMISSION_REQUEST_LIMIT,) == decision.codes


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"last_connected_at": None}, "calls.last_connected_at"),
        (
            {"unanswered_calls": [{"at": "2025-11-25T13:00:00Z", "id": "wacid.1"}]},
            "calls.unanswered_calls",
        ),
        (
            {
                "connected_calls": [
                    {"at": "2025-11-25T11:00:00Z", "id": "wacid.1"},
                    {"at": "2025-11-25T12:00:00Z", "id": "wacid.1"},
                ],
                "last_connected_at": "2025-11-25T12:00:00Z",
            },
            "calls.connected_calls",
        ),
        (
            {
                "permission_requests": [
                    {"at": f"2025-11-25T{h:02}:00:00Z", "id": ""} for h in range(17)
                ]
            },
            "calls.permission_requests",
        ),
    ],
    ids=["no-last-connected", "answered-unanswered", "call-twice", "too-many"],
)
def test_a_call_log_no_facts_build_is_refused(change: dict[str, Any], field: str) -> None:
    """A log that no sequence of facts builds does not load; the error names the field."""
    c = fresh().apply(CallConnected(at=AT, call_id="wacid.1"))
    data = json.loads(json.dumps(dump_conversation(c)))
    data["calls"] |= change
    with pytest.raises(StoredDataError) as info:
        load_conversation(data)
    assert field == info.value.field


def test_an_unanswered_call_reported_twice_keeps_its_earliest_report() -> None:
    """The same unanswered call reported at two instants is one mark, the earlier, in any order."""
    early, late = (BusinessCallUnanswered(at=AT + n * H, call_id="wacid.9") for n in (1, 2))
    one = fresh().apply(late).apply(early)
    assert one == fresh().apply(early).apply(late)
    assert (CallMark(at=AT + H, id="wacid.9"),) == one.calls.unanswered_calls
