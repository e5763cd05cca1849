"""Webhook fields read as typed events (echoes, template edits), and numbers sent as text."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    Conversation,
    OutboundMessageSent,
    PhoneNumberId,
    ReferralReceived,
    WaId,
    rules_at,
)
from wa_outbound._errors import decimal_digits
from wa_outbound._facts import EntryPoint
from wa_outbound.webhooks import (
    CallEvent,
    CallStatus,
    ConversationFactFor,
    MessageEcho,
    OutOfBandError,
    TemplateButtonUpdate,
    TemplateComponentsUpdate,
    UnknownEvent,
    WebhookParseError,
    dump_event,
    facts_from_events,
    load_event,
    parse_meta_events,
    read_meta_webhook,
)

from . import meta_payloads as p
from .json_mutations import json_values, mutated

UTC = timezone.utc
AT = datetime.fromtimestamp(p.T, UTC)
BUSINESS = PhoneNumberId(p.PHONE_ID)
USER = WaId(p.USER)


def events_of(*changes: dict[str, Any], time: int | None = p.T + 600) -> tuple[Any, ...]:
    """Sign and read one entry with `changes`, as a real request."""
    body = p.body_of(p.envelope(p.entry(*changes, time=time)))
    return read_meta_webhook(
        body, {"X-Hub-Signature-256": p.sign(body)}, app_secrets=[p.APP_SECRET]
    )


def test_an_echo_is_a_typed_event() -> None:
    """A message sent from the WhatsApp Business app arrives as a `MessageEcho`."""
    (echo,) = events_of(p.ECHO)
    assert isinstance(echo, MessageEcho)
    assert (p.PHONE_ID, p.USER, "text", AT + timedelta(seconds=500)) == (
        echo.phone_number_id,
        echo.to,
        echo.type,
        echo.at,
    )
    assert echo.text.startswith("Here's the info")


def test_an_echo_is_an_outbound_message_of_the_conversation() -> None:
    """An echo is an outbound message: it answers an ad's visit, and opens no window."""
    facts = facts_from_events(events_of(p.ECHO))
    sent = OutboundMessageSent(
        at=AT + timedelta(seconds=500), message_id=p.ECHO["value"]["message_echoes"][0]["id"]
    )
    assert [ConversationFactFor(business=BUSINESS, recipient=USER, fact=sent)] == list(facts)
    rules = rules_at(AT)
    visited = Conversation(business=BUSINESS, recipient=USER).apply(
        ReferralReceived(at=AT, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD)
    )
    answered = visited.apply_all(facts)
    assert visited.free_entry_point_window(rules) is None
    start = AT + timedelta(seconds=500)
    assert (start, start + timedelta(hours=72)) == answered.free_entry_point_window(rules)
    assert visited.window(rules) == answered.window(rules)


def test_an_echo_with_a_plus_sign_and_a_caption() -> None:
    """The user's number may carry a `+`; an image echo's caption is its text."""
    change = json.loads(json.dumps(p.ECHO))
    echo = change["value"]["message_echoes"][0]
    echo |= {"to": "+" + p.USER, "type": "image", "image": {"caption": "Your receipt"}}
    del echo["text"]
    (event,) = events_of(change)
    assert (p.USER, "Your receipt") == (event.to, event.text)


def test_template_components_update_is_typed() -> None:
    """An edited template's new texts and buttons are read from Meta's reference example."""
    (event,) = events_of(p.COMPONENTS_UPDATE)
    assert isinstance(event, TemplateComponentsUpdate)
    assert ("1315502779341834", "order_confirmation", "en_US") == (
        event.template_id,
        event.template_name,
        event.language,
    )
    assert event.header == "Your order is confirmed!"
    assert event.footer.startswith("Lucky Shrub")
    assert (
        TemplateButtonUpdate(
            type="PHONE_NUMBER", text="Phone support", phone_number="+15550783881"
        ),
        TemplateButtonUpdate(
            type="URL", text="Email support", url="https://www.luckyshrub.com/support"
        ),
    ) == event.buttons
    assert AT + timedelta(seconds=600) == event.at
    assert () == facts_from_events([event])


def test_a_template_edit_without_an_id_is_unknown() -> None:
    """An edit that names no template is kept as an `UnknownEvent` with the reason."""
    change = json.loads(json.dumps(p.COMPONENTS_UPDATE))
    del change["value"]["message_template_id"]
    (event,) = events_of(change)
    assert isinstance(event, UnknownEvent)
    assert "message_template_id" in event.reason


@pytest.mark.parametrize(
    "change",
    [
        p.ECHO,
        p.COMPONENTS_UPDATE,
        p.user_call_connect(),
        p.user_call_terminate(),
        p.business_call_status("ACCEPTED", p.T + 10),
        p.business_call_terminate("FAILED", p.T + 20),
    ],
    ids=["echo", "components", "connect", "terminate", "status", "business-terminate"],
)
def test_new_events_are_stored_and_loaded_back_equal(change: dict[str, Any]) -> None:
    """Every new kind of event goes through `dump_event` / `load_event` unchanged."""
    for event in events_of(change):
        assert not isinstance(event, UnknownEvent)
        assert event == load_event(json.loads(json.dumps(dump_event(event))))


# --- numbers sent as text -----------------------------------------------------------------


@pytest.mark.parametrize("code", ["²", "١٣١٠٤٧", "1_000", " 131047", "+131047", "9" * 5000])
def test_an_error_code_that_is_not_plain_digits_is_not_read(code: str) -> None:
    """A change-level error code `int()` refuses or reads loosely is skipped, never raised."""
    change = p.messages_change(errors=[{"code": code, "title": "odd"}, {"code": 131000}])
    (event,) = events_of(change)
    assert isinstance(event, OutOfBandError)
    assert [131000] == [error.code for error in event.errors]


@pytest.mark.parametrize("timestamp", ["١٧٦٤٠٧٠٠٠٠", "1_764_070_000", "²", " 1764070000"])
def test_a_timestamp_that_is_not_plain_digits_is_unknown(timestamp: str) -> None:
    """A status stamped with digits of another script is not read as an instant."""
    status = {**p.PMP_DELIVERED, "timestamp": timestamp}
    (event,) = events_of(p.messages_change(statuses=[status]))
    assert isinstance(event, UnknownEvent)


@pytest.mark.parametrize(
    ("text", "signed", "expected"),
    [
        ("42", False, 42),
        ("-1", True, -1),
        ("-1", False, None),
        ("²", False, None),
        ("٤٢", False, None),
        ("4_2", False, None),
        (" 42", False, None),
        ("", False, None),
        ("1" * 101, False, None),
    ],
)
def test_decimal_reads_plain_ascii_digits_only(
    text: str,
    signed: bool,  # noqa: FBT001 - a parameter of the table
    expected: int | None,
) -> None:
    """`decimal_digits` is the one reader of numbers sent as text."""
    assert expected == decimal_digits(text, signed=signed)


# --- any mutation of a valid webhook ------------------------------------------------------

VALID = [
    p.envelope(p.entry(p.ECHO, p.COMPONENTS_UPDATE, time=p.T + 600)),
    p.envelope(p.entry(p.user_call_connect(), p.user_call_terminate())),
    p.envelope(
        p.entry(
            p.business_call_status("RINGING", p.T + 5),
            p.business_call_status("REJECTED", p.T + 9),
            p.business_call_terminate("FAILED", p.T + 10),
        )
    ),
    p.envelope(
        p.entry(
            p.messages_change(
                contacts=[{"profile": {"name": "Ana"}, "wa_id": p.USER}],
                messages=[p.AD_MESSAGE, p.CALL_PERMISSION_ACCEPT],
                statuses=[p.PMP_DELIVERED, p.FAILED_131047],
                errors=[{"code": 131000, "title": "x"}],
            ),
            p.USER_PREFERENCES,
            p.TEMPLATE_PAUSED,
            p.QUALITY_UPDATE,
            p.CATEGORY_IMPENDING,
            p.PHONE_QUALITY,
            p.CAPABILITY,
            p.ACCOUNT_RESTRICTED,
            time=p.T + 100,
        )
    ),
]
"""Valid webhooks of every field the reader types, from Meta's documented payloads."""

_keys = [
    "id", "timestamp", "status", "event", "direction", "duration", "to", "from", "type",
    "code", "errors", "calls", "statuses", "message_echoes", "message_template_id",
    "message_template_buttons", "metadata", "phone_number_id", "field", "value", "entry",
]  # fmt: skip
_replacements = json_values(_keys) | st.sampled_from(["²", "١٢", "9" * 5000, "-1", "", {}, []])


@pytest.mark.fuzz
@given(mutated(st.sampled_from(VALID), _replacements))
def test_any_mutation_of_a_valid_webhook_raises_only_parse_errors(document: Any) -> None:
    """A valid webhook with one value changed raises only `WebhookParseError`; events store."""
    body = json.dumps(document).encode()
    with contextlib.suppress(WebhookParseError):
        events = read_meta_webhook(
            body, {"X-Hub-Signature-256": p.sign(body)}, app_secrets=[p.APP_SECRET]
        )
        for event in events:
            assert event == load_event(json.loads(json.dumps(dump_event(event))))
        facts_from_events(events, received_at=AT)


def test_every_valid_webhook_reads_without_unknown_events() -> None:
    """The unmutated webhooks above are read whole: nothing in them is unknown."""
    for document in VALID:
        events = parse_meta_events(document)
        assert [] == [e for e in events if isinstance(e, UnknownEvent)]
        assert any(isinstance(e, (CallEvent, CallStatus, MessageEcho)) for e in events) or (
            document is VALID[-1]
        )
