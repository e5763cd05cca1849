"""Meta webhooks: signatures, the handshake, every event of a batch, and bodies that are junk."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    CallPermissionStatus,
    ConsentStatus,
    Conversation,
    InvalidValueError,
    MarketingStatus,
    NaiveDatetimeError,
    PhoneNumberId,
    SendKind,
    WaId,
    can_send,
    rules_at,
)
from wa_outbound.webhooks import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    CallEvent,
    CallPermissionReply,
    ConversationFactFor,
    InboundMessage,
    MessageStatus,
    OutOfBandError,
    PhoneNumberQualityUpdate,
    SignatureMismatch,
    StatusKind,
    TemplateCategoryUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownEvent,
    UserPreferenceUpdate,
    WebhookParseError,
    answer_subscription,
    dump_event,
    facts_from_events,
    load_event,
    parse_meta_events,
    read_meta_webhook,
    verify_meta_signature,
)
from wa_outbound.webhooks._events import TimestampBounds

from . import meta_payloads as p

UTC = timezone.utc
AT = datetime.fromtimestamp(p.T, UTC)


def batch() -> dict[str, Any]:
    """Two entries, several changes, messages and statuses mixed: what Meta really sends."""
    return p.envelope(
        p.entry(
            p.messages_change(
                contacts=[{"profile": {"name": "Ana"}, "wa_id": p.USER}],
                messages=[p.AD_MESSAGE, p.text_message("wamid.B", p.T + 30, "and delivery?")],
            ),
            p.messages_change(statuses=[p.CBP_SENT, p.PMP_DELIVERED, p.FAILED_131047]),
        ),
        p.entry(p.TEMPLATE_PAUSED, p.QUALITY_UPDATE, time=p.T + 100),
    )


def read(document: dict[str, Any]) -> tuple[Any, ...]:
    """Sign and read a document as a real request."""
    body = p.body_of(document)
    return read_meta_webhook(
        body, {"x-hub-signature-256": p.sign(body)}, app_secrets=[p.APP_SECRET]
    )


def test_every_event_of_a_batch_in_order() -> None:
    """Every entry, change, message and status becomes an event, in order; none is lost."""
    events = read(batch())
    kinds = [type(e).__name__ for e in events]
    assert [
        "InboundMessage",
        "InboundMessage",
        "MessageStatus",
        "MessageStatus",
        "MessageStatus",
        "TemplateStatusUpdate",
        "TemplateQualityUpdate",
    ] == kinds
    first = events[0]
    assert isinstance(first, InboundMessage)
    assert "Ana" == first.profile_name
    assert p.PHONE_ID == first.phone_number_id
    assert p.WABA == first.waba_id
    assert AT == first.at
    assert first.referral is not None
    assert "ad" == first.referral.source_type
    assert "120208392380220390" == first.referral.source_id
    assert "ARAkLkA8rmlFeiCktEJQ" == first.referral.ctwa_clid


def test_statuses_carry_pricing_conversation_errors_and_tracker() -> None:
    """Both pricing models, the conversation object, errors and biz_opaque_callback_data."""
    sent, delivered, failed = read(batch())[2:5]
    assert isinstance(sent, MessageStatus)
    assert StatusKind.SENT == sent.status
    assert sent.conversation is not None
    assert "marketing" == sent.conversation.origin_type
    assert AT + timedelta(days=1) == sent.conversation.expires_at
    assert sent.pricing is not None
    assert "CBP" == sent.pricing.pricing_model
    assert isinstance(delivered, MessageStatus)
    assert delivered.pricing is not None
    assert ("PMP", "regular", True) == (
        delivered.pricing.pricing_model,
        delivered.pricing.type,
        delivered.pricing.billable,
    )
    assert "job=42;attempt=1" == delivered.biz_opaque_callback_data
    assert isinstance(failed, MessageStatus)
    assert [131047] == [e.code for e in failed.errors]
    assert "more than 24 hours" in failed.errors[0].details


def test_template_and_account_events() -> None:
    """Template status, quality, category, phone quality, capability and account updates."""
    events = read(
        p.envelope(
            p.entry(
                p.TEMPLATE_DISABLED,
                p.CATEGORY_IMPENDING,
                p.PHONE_QUALITY,
                p.CAPABILITY,
                p.ACCOUNT_RESTRICTED,
                time=p.T,
            )
        )
    )
    disabled, category, phone, capability, account = events
    assert isinstance(disabled, TemplateStatusUpdate)
    assert ("DISABLED", "998878", "1764156400") == (
        disabled.event,
        disabled.template_id,
        disabled.disable_date,
    )
    assert AT == disabled.at
    assert isinstance(category, TemplateCategoryUpdate)
    assert ("MARKETING", "MARKETING") == (category.new_category, category.correct_category)
    assert AT + timedelta(days=1) == category.category_update_at
    assert isinstance(phone, PhoneNumberQualityUpdate)
    assert ("UPGRADE", "TIER_10K", 10000) == (
        phone.event,
        phone.current_limit,
        phone.max_daily_conversations_per_business,
    )
    assert isinstance(capability, BusinessCapabilityUpdate)
    assert -1 == capability.max_daily_conversations_per_business
    assert isinstance(account, AccountUpdate)
    assert "ACCOUNT_RESTRICTION" == account.event
    assert account.raw["restriction_info"]


def test_quality_update_fields() -> None:
    """A quality update names the old and new scores."""
    (quality,) = read(p.envelope(p.entry(p.QUALITY_UPDATE)))
    assert isinstance(quality, TemplateQualityUpdate)
    assert ("GREEN", "YELLOW", "order_update") == (
        quality.previous_quality,
        quality.new_quality,
        quality.template_name,
    )
    assert quality.at is None


def test_user_preferences_calls_and_call_permission_replies() -> None:
    """Marketing stop, a user's call and a call permission reply are typed events."""
    events = read(
        p.envelope(
            p.entry(
                p.USER_PREFERENCES,
                p.USER_CALL,
                p.messages_change(messages=[p.CALL_PERMISSION_ACCEPT, p.BUTTON_MESSAGE]),
            )
        )
    )
    preference, call, reply, button = events
    assert isinstance(preference, UserPreferenceUpdate)
    assert ("stop", p.USER, p.PHONE_ID) == (
        preference.value,
        preference.wa_id,
        preference.phone_number_id,
    )
    assert isinstance(call, CallEvent)
    assert ("connect", "USER_INITIATED", p.USER) == (call.event, call.direction, call.wa_id)
    assert isinstance(reply, CallPermissionReply)
    assert reply.accepted
    assert not reply.permanent
    assert AT + timedelta(seconds=120, days=7) == reply.expires_at
    assert isinstance(button, InboundMessage)
    assert ("STOP_PROMOTIONS", "Stop promotions") == (button.button_payload, button.text)
    assert "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ2" == button.context_id


def test_out_of_band_errors() -> None:
    """Errors outside any message become an `OutOfBandError`."""
    (event,) = read(
        p.envelope(
            p.entry(p.messages_change(errors=[{"code": 131000, "title": "Something went wrong"}]))
        )
    )
    assert isinstance(event, OutOfBandError)
    assert [131000] == [e.code for e in event.errors]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            p.envelope(p.entry({"field": "flows", "value": {"event": "FLOW_STATUS_CHANGE"}})),
            "unsupported field",
        ),
        (p.envelope(p.entry({"field": "messages"})), "change without field or value"),
        (p.envelope(p.entry(p.messages_change())), "nothing recognised"),
        (p.envelope(p.entry(p.messages_change(messages={"id": 1}))), "not a list"),
        (
            p.envelope(p.entry(p.messages_change(messages=[{"id": "x", "timestamp": "1"}]))),
            "KeyError",
        ),
        (
            p.envelope(p.entry(p.messages_change(statuses=[{"id": "x", "status": "exploded"}]))),
            "KeyError",
        ),
        (
            p.envelope(p.entry(p.messages_change(messages=[p.text_message("x", "soon", "hi")]))),
            "ValueError",
        ),  # type: ignore[arg-type]
        (p.envelope(p.entry(p.messages_change(messages=["hello"]))), "TypeError"),
        (p.envelope({"id": p.WABA}), "no 'changes' list"),
        (p.envelope("entry"), "not an object"),
        (p.envelope(p.entry("change")), "not an object"),
        ({"object": "page", "entry": []}, "not a WhatsApp webhook"),
        (
            p.envelope(p.entry({"field": "user_preferences", "value": {}})),
            "no 'user_preferences' list",
        ),
        (p.envelope(p.entry({"field": "account_update", "value": {}})), "KeyError"),
        (p.envelope(p.entry(p.messages_change(calls=["x"]))), "TypeError"),
        (p.envelope(p.entry(p.messages_change(calls={"id": 1}))), "not a list"),
    ],
)
def test_odd_items_become_unknown_events(document: dict[str, Any], reason: str) -> None:
    """Whatever is odd becomes an `UnknownEvent` with the reason and the raw value."""
    events = read(document)
    assert 1 == len(events)
    (event,) = events
    assert isinstance(event, UnknownEvent)
    assert reason in event.reason


def test_one_odd_item_costs_nothing_else() -> None:
    """An unreadable status between two good ones leaves both good ones intact."""
    document = p.envelope(
        p.entry(p.messages_change(statuses=[p.CBP_SENT, {"id": 5}, p.PMP_DELIVERED]))
    )
    kinds = [type(e).__name__ for e in read(document)]
    assert ["MessageStatus", "UnknownEvent", "MessageStatus"] == kinds


def test_call_permission_rejection_and_bad_response() -> None:
    """A rejection is typed; an unknown response is an unknown event, not an error."""
    reject = json.loads(json.dumps(p.CALL_PERMISSION_ACCEPT))
    reject["interactive"]["call_permission_reply"] = {"response": "reject"}
    odd = json.loads(json.dumps(p.CALL_PERMISSION_ACCEPT))
    odd["interactive"]["call_permission_reply"]["response"] = "maybe"
    permanent = json.loads(json.dumps(p.CALL_PERMISSION_ACCEPT))
    permanent["interactive"]["call_permission_reply"]["is_permanent"] = True
    rejected, unknown, forever = read(
        p.envelope(p.entry(p.messages_change(messages=[reject, odd, permanent])))
    )
    assert isinstance(rejected, CallPermissionReply)
    assert not rejected.accepted
    assert isinstance(unknown, UnknownEvent)
    assert isinstance(forever, CallPermissionReply)
    assert forever.permanent
    assert forever.expires_at is None


def test_other_message_types_keep_their_text() -> None:
    """Interactive replies, captions and bare types are read; the raw message is kept."""
    reply = {
        "from": p.USER,
        "id": "wamid.I",
        "timestamp": str(p.T),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}},
    }
    image = {
        "from": p.USER,
        "id": "wamid.J",
        "timestamp": str(p.T),
        "type": "image",
        "image": {"caption": "my receipt", "id": "1479537139650973"},
    }
    bare = {"from": p.USER, "id": "wamid.K", "timestamp": p.T, "type": "unsupported"}
    bsuid = {"from_user_id": "US.1349", "id": "wamid.L", "timestamp": str(p.T), "type": "text"}
    events = read(p.envelope(p.entry(p.messages_change(messages=[reply, image, bare, bsuid]))))
    assert [("Yes", "yes-1"), ("my receipt", ""), ("", ""), ("", "")] == [
        (e.text, e.button_payload) for e in events
    ]
    assert "US.1349" == events[3].user_id
    assert image == events[1].raw


def test_signature_is_checked_before_parsing() -> None:
    """A wrong, missing or malformed signature raises before the body is even decoded."""
    body = b"not json at all"
    with pytest.raises(SignatureMismatch, match="header missing"):
        read_meta_webhook(body, {}, app_secrets=[p.APP_SECRET])
    with pytest.raises(SignatureMismatch, match="does not match"):
        read_meta_webhook(
            body, {"X-Hub-Signature-256": p.sign(body, "other")}, app_secrets=[p.APP_SECRET]
        )
    with pytest.raises(SignatureMismatch, match="expected 'sha256="):
        read_meta_webhook(body, {"X-Hub-Signature-256": "md5=abc"}, app_secrets=[p.APP_SECRET])
    with pytest.raises(SignatureMismatch, match="no app secret"):
        read_meta_webhook(body, {"X-Hub-Signature-256": p.sign(body)}, app_secrets=[])


def test_signature_over_re_encoded_json_fails() -> None:
    """Re-encoding the JSON (here: non-ASCII unescaped, spaces) breaks the signature."""
    document = p.envelope(
        p.entry(p.messages_change(messages=[p.text_message("wamid.Z", p.T, "Grüße")]))
    )
    original = p.body_of(document)
    re_encoded = json.dumps(json.loads(original), ensure_ascii=False).encode()
    assert original != re_encoded
    with pytest.raises(SignatureMismatch):
        verify_meta_signature(re_encoded, p.sign(original), [p.APP_SECRET])
    verify_meta_signature(original, p.sign(original), [p.APP_SECRET])


def test_secret_rotation_and_bytes_secrets() -> None:
    """Any of several secrets, as text or bytes, verifies; case of the hex does not matter."""
    body = p.body_of(batch())
    signature = p.sign(body, "new-secret").upper().replace("SHA256=", "sha256=")
    verify_meta_signature(body, signature, [b"old-secret", "new-secret"])


def test_body_size_limit() -> None:
    """A body over the limit is refused before the signature is computed."""
    body = p.body_of(batch())
    with pytest.raises(WebhookParseError, match="exceeds"):
        read_meta_webhook(body, {}, app_secrets=[p.APP_SECRET], max_body_bytes=100)
    with pytest.raises(WebhookParseError, match="exceeds"):
        parse_meta_events(body, max_body_bytes=100)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "not JSON"),
        (b"\xff\xfe\x00junk", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"object": "whatsapp_business_account"}', "no 'entry' list"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_junk_bodies_raise_one_clear_error(body: bytes, message: str) -> None:
    """Junk of every kind raises `WebhookParseError`, also a `ValueError`."""
    with pytest.raises(WebhookParseError, match=message) as info:
        parse_meta_events(body)
    assert isinstance(info.value, ValueError)


def test_parse_accepts_text_and_mappings() -> None:
    """Already-decoded bodies (text or dict, e.g. from a queue) parse the same."""
    document = batch()
    assert parse_meta_events(document) == parse_meta_events(json.dumps(document))


def test_subscription_handshake() -> None:
    """The challenge comes back only for `subscribe` with the right token."""
    query = {"hub.mode": "subscribe", "hub.verify_token": "s3cret", "hub.challenge": "1158201444"}
    assert (200, "1158201444") == answer_subscription(query, "s3cret")
    assert (403, "Forbidden") == answer_subscription(query, "other")
    assert (403, "Forbidden") == answer_subscription({**query, "hub.mode": "unsubscribe"}, "s3cret")
    assert (403, "Forbidden") == answer_subscription({"hub.mode": "subscribe"}, "s3cret")
    assert (403, "Forbidden") == answer_subscription(query, "")


# --- fuzzing --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "object",
        "entry",
        "id",
        "time",
        "changes",
        "field",
        "value",
        "messages",
        "statuses",
        "metadata",
        "phone_number_id",
        "timestamp",
        "status",
        "errors",
        "code",
        "from",
        "type",
        "interactive",
        "call_permission_reply",
        "referral",
        "pricing",
        "conversation",
        "calls",
        "user_preferences",
        "event",
        "message_template_id",
        "text",
        "body",
    ]
)
shaped = st.recursive(
    json_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=40,
)


@pytest.mark.fuzz
@given(st.binary(max_size=512))
def test_fuzz_arbitrary_bytes(body: bytes) -> None:
    """Arbitrary bytes either parse or raise `WebhookParseError`; nothing else escapes."""
    with contextlib.suppress(WebhookParseError):
        parse_meta_events(body)


@pytest.mark.fuzz
@given(
    st.lists(st.dictionaries(keys, shaped, max_size=5), max_size=3),
    st.sampled_from(
        [
            "messages",
            "message_template_status_update",
            "user_preferences",
            "account_update",
            "phone_number_quality_update",
            "business_capability_update",
            "template_category_update",
            "message_template_quality_update",
        ]
    ),
)
def test_fuzz_webhook_shaped_junk(values: list[dict[str, Any]], field: str) -> None:
    """Webhook-shaped junk never raises; a single-event field yields exactly one event each."""
    document = p.envelope(p.entry(*({"field": field, "value": v} for v in values)))
    events = parse_meta_events(p.body_of(document))
    if field not in {"messages", "user_preferences"}:  # these carry lists, possibly empty
        assert len(values) == len(events)
    for event in events:  # whatever was read can be stored and loaded back equal
        assert event == load_event(json.loads(json.dumps(dump_event(event))))


@pytest.mark.fuzz
@given(shaped)
def test_fuzz_mutated_envelopes(junk: Any) -> None:
    """Junk anywhere in an otherwise valid batch never raises anything but the defined error."""
    document = batch()
    document["entry"][0]["changes"][1]["value"]["statuses"].append(junk)
    document["entry"].append(junk)
    events = parse_meta_events(p.body_of(document))
    assert 7 <= len(events)


# --- stored events --------------------------------------------------------------------------


def test_events_round_trip_through_json() -> None:
    """Every parsed event (raw payload included) dumps to JSON and loads back equal."""
    document = p.envelope(
        *batch()["entry"],
        p.entry(
            p.TEMPLATE_DISABLED,
            p.CATEGORY_IMPENDING,
            p.PHONE_QUALITY,
            p.CAPABILITY,
            p.ACCOUNT_RESTRICTED,
            p.USER_PREFERENCES,
            p.USER_CALL,
            p.messages_change(
                messages=[p.CALL_PERMISSION_ACCEPT, p.BUTTON_MESSAGE], errors=[{"code": 131000}]
            ),
            {"field": "flows", "value": {}},
            time=p.T,
        ),
    )
    for event in parse_meta_events(document):
        stored = json.loads(json.dumps(dump_event(event)))
        loaded = load_event(stored)
        assert event == loaded
        assert event.raw == loaded.raw


_EVENT_HEADER = {"format": "wa_outbound.webhook_event", "version": 1}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**_EVENT_HEADER, "event": "Nope"}, "event_type"),
        ({**_EVENT_HEADER, "event_type": "Nope"}, "event_type"),
        ({**_EVENT_HEADER, "event_type": ["MessageStatus"]}, "event_type"),
        ([], "$"),
        ({**_EVENT_HEADER, "event_type": "MessageStatus"}, "at"),
        ({**_EVENT_HEADER, "event_type": "InboundMessage", "at": "x"}, "button_payload"),
        ({"event_type": "InboundMessage"}, "format"),
        ({**_EVENT_HEADER, "version": 2, "event_type": "InboundMessage"}, "version"),
    ],
)
def test_corrupt_stored_events(data: object, field: str) -> None:
    """Stored events that are not events raise `StoredDataError` naming the bad field."""
    from wa_outbound import StoredDataError

    with pytest.raises(StoredDataError) as info:
        load_event(data)
    assert field == info.value.field


# --- from events to facts -------------------------------------------------------------------


def test_one_loop_verify_parse_apply() -> None:
    """A host's loop: messages open the window, 131047 is recorded, a later message reopens it."""
    events = read(batch())
    conversation = Conversation(business=PhoneNumberId(p.PHONE_ID), recipient=WaId(p.USER))
    items = facts_from_events(events)
    assert ["TemplateFactFor", "TemplateFactFor"] == [
        type(i).__name__ for i in items if not isinstance(i, ConversationFactFor)
    ]
    for item in items:
        if not isinstance(item, ConversationFactFor):
            continue
        assert PhoneNumberId(p.PHONE_ID) == item.business
        assert WaId(p.USER) == item.recipient
        conversation = conversation.apply(item.fact)
    assert AT + timedelta(seconds=30) == conversation.last_inbound_message_at
    assert conversation.entry_points
    assert AT + timedelta(seconds=9) == conversation.window_closed_at
    # The user wrote again (T+30 s) after the platform's 131047 (T+9 s): the window is open.
    decision = can_send(conversation, SendKind.FREE_FORM, now=AT + timedelta(seconds=40))
    assert decision.allowed
    assert decision.free_entry_point


def test_keywords_and_preferences_become_consent_facts() -> None:
    """STOP / START keywords, the opt-out button and user_preferences become consent facts."""
    stop = p.text_message("wamid.S", p.T + 10, "  stop ")
    start = p.text_message("wamid.T", p.T + 20, "START")
    document = p.envelope(
        p.entry(p.messages_change(messages=[stop, start, p.BUTTON_MESSAGE]), p.USER_PREFERENCES)
    )
    facts = facts_from_events(
        read(document),
        stop_keywords={"STOP"},
        start_keywords={"start"},
        marketing_stop_payloads={"stop_promotions"},
    )
    conversation = Conversation(business=PhoneNumberId(p.PHONE_ID), recipient=WaId(p.USER))
    conversation = conversation.apply_all(f.fact for f in facts)
    assert ConsentStatus.OPTED_IN == conversation.consent.status
    assert MarketingStatus.STOPPED == conversation.consent.marketing
    assert "keyword START" == conversation.consent.opt_in_method
    assert "keyword stop" == conversation.consent.opt_out_method


def test_call_events_become_call_facts() -> None:
    """A call permission reply grants permission; a user's call opens the window."""
    events = read(
        p.envelope(p.entry(p.USER_CALL, p.messages_change(messages=[p.CALL_PERMISSION_ACCEPT])))
    )
    conversation = Conversation(business=PhoneNumberId(p.PHONE_ID), recipient=WaId(p.USER))
    conversation = conversation.apply_all(f.fact for f in facts_from_events(events))
    assert CallPermissionStatus.GRANTED == conversation.call_permission.status
    assert AT + timedelta(seconds=120, days=7) == conversation.call_permission.expires_at
    assert AT + timedelta(seconds=400) == conversation.last_inbound_call_at


def test_applying_a_batch_twice_equals_once() -> None:
    """Duplicated webhooks: the facts of a batch applied twice give the same conversation."""
    facts = [f.fact for f in facts_from_events(read(batch())) if isinstance(f, ConversationFactFor)]
    start = Conversation(business=PhoneNumberId(p.PHONE_ID), recipient=WaId(p.USER))
    once = start.apply_all(facts)
    assert once == once.apply_all(facts)
    assert once == start.apply_all(reversed(facts)).apply_all(facts)


def test_events_without_identities_or_conversation_meaning_yield_no_facts() -> None:
    """Template updates, unknown events and events without usable ids yield nothing."""
    odd_user = p.text_message("wamid.O", p.T, "hi", sender="not-a-number")
    events = read(p.envelope(p.entry(p.TEMPLATE_PAUSED, p.messages_change(messages=[odd_user]))))
    assert () == facts_from_events(events)


def test_edge_values_are_read_leniently() -> None:
    """Odd values inside good events are skipped or read as empty, never raised."""
    errors = [{"code": True}, "x", {"code": "131026"}, {"title": "no code"}]
    odd_reply = {
        "from": p.USER,
        "id": "wamid.Q",
        "timestamp": str(p.T),
        "type": "interactive",
        "interactive": {"type": "nfm_reply", "nfm_reply": {}},
    }
    no_body = {"from": p.USER, "id": "wamid.R", "timestamp": str(p.T), "type": "text", "text": "hi"}
    document = p.envelope(
        p.entry(
            p.messages_change(statuses=[p.status("wamid.S", "failed", p.T, errors=errors)]),
            p.messages_change(messages=[odd_reply, no_body], contacts=["junk", {"wa_id": p.USER}]),
            {
                "field": "phone_number_quality_update",
                "value": {"event": "FLAGGED", "max_daily_conversations_per_business": True},
            },
            {"field": "user_preferences", "value": {"user_preferences": ["junk"]}},
            time=None,
        )
    )
    body = p.body_of(document)
    headers = {"Content-Type": "application/json", "X-HUB-SIGNATURE-256": p.sign(body)}
    failed, reply, text, phone, junk = read_meta_webhook(body, headers, app_secrets=[p.APP_SECRET])
    assert [131026] == [e.code for e in failed.errors]
    assert ("", "") == (reply.text, reply.button_payload)
    assert "" == text.text
    assert phone.max_daily_conversations_per_business is None
    assert isinstance(junk, UnknownEvent)


@pytest.mark.parametrize(
    ("time", "expected"),
    [(True, None), ("soon", None), (10**20, None), ("1764070000", AT), (1764070000, AT)],
)
def test_entry_times_are_read_leniently(time: object, expected: datetime | None) -> None:
    """An entry time that is not a plausible unix timestamp is treated as absent."""
    document = p.envelope({**p.entry(p.TEMPLATE_PAUSED), "time": time})
    (event,) = parse_meta_events(document)
    assert expected == event.at


def test_statuses_need_a_readable_timestamp() -> None:
    """A status whose timestamp is a boolean is unreadable, hence unknown."""
    (event,) = parse_meta_events(
        p.envelope(p.entry(p.messages_change(statuses=[{**p.CBP_SENT, "timestamp": True}])))
    )
    assert isinstance(event, UnknownEvent)


@pytest.mark.parametrize("at", [5, "2026-11-23T09:00:00"])
def test_stored_events_with_bad_instants(at: object) -> None:
    """A stored event whose instant is not an aware ISO string is refused."""
    from wa_outbound import StoredDataError

    (event,) = parse_meta_events(p.envelope(p.entry(p.messages_change(messages=[p.AD_MESSAGE]))))
    data = dump_event(event)
    data["at"] = at
    with pytest.raises(StoredDataError, match=r"ISO 8601|time zone") as info:
        load_event(data)
    assert ("at", at) == (info.value.field, info.value.value)


def test_stored_events_carry_a_header_and_refuse_loose_types() -> None:
    """A stored event starts with its format and version; its fields keep their JSON types."""
    from wa_outbound import StoredDataError

    (event,) = parse_meta_events(p.envelope(p.entry(p.messages_change(messages=[p.AD_MESSAGE]))))
    data = dump_event(event)
    assert ("wa_outbound.webhook_event", 1, "InboundMessage") == (
        data["format"],
        data["version"],
        data["event_type"],
    )
    data["text"] = 5
    with pytest.raises(StoredDataError) as info:
        load_event(data)
    assert ("text", 5) == (info.value.field, info.value.value)


def test_same_events_with_or_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stdlib decoder gives the same events; bodies orjson refuses still parse."""
    from wa_outbound.webhooks import _meta as _meta_webhooks

    body = p.body_of(batch())
    with_orjson = parse_meta_events(body)
    assert 7 == len(parse_meta_events(body.replace(b"}]}]}", b"}]}]}", 1) + b" "))
    assert () == parse_meta_events(b'{"entry": [], "big": 1' + b"0" * 40 + b"}")
    monkeypatch.setattr(_meta_webhooks, "_orjson_loads", None)
    assert with_orjson == parse_meta_events(body)
    with pytest.raises(WebhookParseError, match="not JSON"):
        parse_meta_events(b"{")


def test_signature_digest_must_be_hex() -> None:
    """A digest that is not hexadecimal is refused as malformed."""
    with pytest.raises(SignatureMismatch, match="not hexadecimal"):
        verify_meta_signature(b"{}", "sha256=zz", [p.APP_SECRET])


def test_already_decoded_bodies_may_hold_string_subclasses() -> None:
    """A mapping body (from a framework or a queue) may use `str` subclasses; they are text."""

    class Text(str):
        __slots__ = ()

    document = p.envelope(
        p.entry(p.messages_change(messages=[p.text_message(Text("wamid.X"), p.T, "hi")]))
    )
    (event,) = parse_meta_events(document)
    assert "wamid.X" == event.message_id


# --- timestamps that cannot be true ---------------------------------------------------------

YEAR_5138 = "99999999999"


def _message_at(timestamp: str | int) -> dict[str, Any]:
    """A body with one text message stamped `timestamp`."""
    message = p.text_message("wamid.T", p.T, "hi")
    message["timestamp"] = timestamp
    return p.envelope(p.entry(p.messages_change(messages=[message])))


@pytest.mark.parametrize("received_at", [None, AT])
def test_a_timestamp_in_the_year_5138_is_no_fact(received_at: datetime | None) -> None:
    """The issue's example: Meta's `"99999999999"` becomes an `UnknownEvent` with a reason."""
    (event,) = parse_meta_events(_message_at(YEAR_5138), received_at=received_at)
    assert isinstance(event, UnknownEvent)
    assert "messages" == event.field
    assert "5138-11-16T09:46:39Z" in event.reason
    assert "not read as a fact" in event.reason
    assert p.WABA == event.waba_id
    assert YEAR_5138 == event.raw["timestamp"]
    assert () == facts_from_events((event,))


def test_a_timestamp_beyond_the_tolerance_after_receipt_is_no_fact() -> None:
    """Ten minutes after the receive time is more than the five minutes of skew tolerated."""
    (event,) = parse_meta_events(_message_at(p.T + 600), received_at=AT)
    assert isinstance(event, UnknownEvent)
    assert "clock skew tolerance of 0:05:00" in event.reason
    assert "2025-11-25T11:26:40Z" in event.reason


def test_a_timestamp_within_the_tolerance_after_receipt_is_read() -> None:
    """Two minutes ahead is clock skew: the message is read, and so is a late one."""
    (ahead,) = parse_meta_events(_message_at(p.T + 120), received_at=AT)
    assert isinstance(ahead, InboundMessage)
    assert AT + timedelta(minutes=2) == ahead.at
    (late,) = parse_meta_events(_message_at(p.T - 36 * 3600), received_at=AT)
    assert isinstance(late, InboundMessage)


def test_without_a_receive_time_only_2100_bounds_the_future() -> None:
    """Unbounded by a receive time, a message stamped next year is read; one after 2100 is not."""
    (next_year,) = parse_meta_events(_message_at(p.T + 365 * 86400))
    assert isinstance(next_year, InboundMessage)
    (after_2100,) = parse_meta_events(_message_at(4_102_444_801))
    assert isinstance(after_2100, UnknownEvent)
    assert "pass received_at" in after_2100.reason


@pytest.mark.parametrize("timestamp", ["0", "1230767999"])
def test_a_timestamp_before_whatsapp_existed_is_no_fact(timestamp: str) -> None:
    """An instant before 2009 cannot be a WhatsApp event."""
    (event,) = parse_meta_events(_message_at(timestamp), received_at=AT)
    assert isinstance(event, UnknownEvent)
    assert "WhatsApp did not exist" in event.reason


def test_every_kind_of_event_is_bounded() -> None:
    """Statuses, preferences, calls and entry-level events stamped in 5138 become unknown too."""
    future = int(YEAR_5138)
    document = p.envelope(
        p.entry(p.messages_change(statuses=[p.status("wamid.S", "sent", future)])),
        p.entry(p.TEMPLATE_PAUSED, time=future),
        p.entry(
            {
                "field": "user_preferences",
                "value": {
                    "metadata": {"phone_number_id": p.PHONE_ID},
                    "user_preferences": [
                        {"wa_id": p.USER, "timestamp": future, "value": "stop"},
                    ],
                },
            }
        ),
    )
    events = parse_meta_events(document, received_at=AT)
    assert ["statuses", "message_template_status_update", "user_preferences"] == [
        e.field for e in events if isinstance(e, UnknownEvent)
    ]
    assert () == facts_from_events(events)


def test_the_hosts_rules_set_the_horizon() -> None:
    """A host that tolerates an hour of skew reads a message stamped ten minutes ahead."""
    wide = attrs.evolve(rules_at(AT), clock_skew_tolerance=timedelta(hours=1))
    (event,) = parse_meta_events(_message_at(p.T + 600), received_at=AT, rules=wide)
    assert isinstance(event, InboundMessage)
    with pytest.raises(InvalidValueError, match="rules"):
        parse_meta_events(_message_at(p.T), received_at=AT, rules="today")  # type: ignore[arg-type]


def test_a_receive_time_before_the_oldest_rule_set_uses_it() -> None:
    """Replaying a 2022 webhook with its receive time bounds it by the oldest rules."""
    received = datetime(2022, 6, 1, tzinfo=UTC)
    stamp = int(received.timestamp())
    (event,) = parse_meta_events(_message_at(stamp + 60), received_at=received)
    assert isinstance(event, InboundMessage)


@pytest.mark.parametrize(
    ("received_at", "error"),
    [
        (datetime(2026, 11, 23, 9), NaiveDatetimeError),
        (datetime(2008, 1, 1, tzinfo=UTC), InvalidValueError),
        (datetime(2101, 1, 1, tzinfo=UTC), InvalidValueError),
    ],
)
def test_a_receive_time_that_cannot_be_true_is_refused(
    received_at: datetime, error: type[Exception]
) -> None:
    """A naive receive time, or one before 2009 or after 2100, is the host's mistake: it raises."""
    body = p.body_of(_message_at(p.T))
    headers = {"X-Hub-Signature-256": p.sign(body)}
    with pytest.raises(error):
        read_meta_webhook(body, headers, app_secrets=[p.APP_SECRET], received_at=received_at)


def test_read_meta_webhook_bounds_by_the_receive_time() -> None:
    """The verified path applies the same bounds as `parse_meta_events`."""
    body = p.body_of(_message_at(p.T + 600))
    headers = {"X-Hub-Signature-256": p.sign(body)}
    (event,) = read_meta_webhook(body, headers, app_secrets=[p.APP_SECRET], received_at=AT)
    assert isinstance(event, UnknownEvent)
    (event,) = read_meta_webhook(body, headers, app_secrets=[p.APP_SECRET])
    assert isinstance(event, InboundMessage)


def test_bounds_say_nothing_against_an_instant_they_read() -> None:
    """`refusal` is `None` for every instant within the bounds, the edges included."""
    bounds = TimestampBounds.received(AT)
    assert bounds.latest == AT + rules_at(AT).clock_skew_tolerance.value
    for at in (bounds.earliest, AT, bounds.latest):
        assert bounds.refusal(at) is None
    assert bounds.refusal(bounds.latest + timedelta(microseconds=1)) is not None
