"""The public `wa_outbound.webhooks` module: its names, and Twilio end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from wa_outbound import (
    Conversation,
    PhoneNumberId,
    Provider,
    Reason,
    SendKind,
    WaId,
    can_send,
    webhooks,
)

from .test_twilio_webhooks import (
    BUSINESS,
    INBOUND_URL,
    STATUS_URL,
    inbound_message,
    signed,
    status_callback,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

EXPECTED = [
    "DEFAULT_MAX_BODY_BYTES",
    "DELIVERY_RANK",
    "MAX_UNKNOWN_EVENTS",
    "SIGNATURE_HEADER",
    "TWILIO_CALLBACK_KEY",
    "TWILIO_MAX_BODY_BYTES",
    "TWILIO_SIGNATURE_HEADER",
    "AccountFactFor",
    "AccountUpdate",
    "BusinessCapabilityUpdate",
    "CallEvent",
    "CallPermissionReply",
    "CallStatus",
    "ConversationFactFor",
    "Event",
    "EventFact",
    "InboundMessage",
    "MessageDelivery",
    "MessageEcho",
    "MessageStatus",
    "OutOfBandError",
    "PhoneNumberQualityUpdate",
    "Pricing",
    "Referral",
    "SignatureMismatch",
    "StatusConversation",
    "StatusKind",
    "TemplateButtonUpdate",
    "TemplateCategoryUpdate",
    "TemplateComponentsUpdate",
    "TemplateFactFor",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
    "UnknownEvent",
    "UserPreferenceUpdate",
    "WebhookError",
    "WebhookParseError",
    "answer_subscription",
    "dump_delivery",
    "dump_event",
    "facts_from_events",
    "load_delivery",
    "load_event",
    "parse_meta_events",
    "parse_twilio_events",
    "parse_twilio_form",
    "read_meta_webhook",
    "read_twilio_webhook",
    "track_delivery",
    "verify_meta_signature",
    "verify_twilio_body_signature",
    "verify_twilio_signature",
]


def test_webhooks_all_is_pinned() -> None:
    """`wa_outbound.webhooks.__all__` lists exactly its public names, each defined."""
    assert EXPECTED == webhooks.__all__
    for name in EXPECTED:
        assert hasattr(webhooks, name), name


def test_importing_webhooks_pulls_in_no_http_stack() -> None:
    """`wa_outbound.webhooks` needs no HTTP library (and no cattrs until events are stored)."""
    code = (
        "import sys, wa_outbound.webhooks\n"
        "print(','.join(m for m in ('httpx', 'tenacity', 'redis', 'cattrs') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "" == out.stdout.strip()


def test_twilio_end_to_end() -> None:
    """A Twilio inbound message opens the window; a 63016 callback closes it; both are stored."""
    chat = Conversation(
        business=PhoneNumberId(BUSINESS.removeprefix("whatsapp:+")), recipient=WaId("4915123456789")
    )
    body, headers = signed(INBOUND_URL, inbound_message())
    events = webhooks.read_twilio_webhook(
        INBOUND_URL, body, headers, auth_tokens=["12345"], received_at=AT
    )
    failed_body, failed_headers = signed(
        STATUS_URL, status_callback("undelivered", ErrorCode="63016")
    )
    failed = webhooks.read_twilio_webhook(
        STATUS_URL,
        failed_body,
        failed_headers,
        auth_tokens=["12345"],
        received_at=AT + timedelta(hours=1),
    )
    for event in (*events, *failed):
        assert event == webhooks.load_event(json.loads(json.dumps(webhooks.dump_event(event))))
    assert Provider.TWILIO == failed[0].provider
    facts = webhooks.facts_from_events(events) + webhooks.facts_from_events(
        failed, received_at=AT + timedelta(hours=1)
    )
    for item in facts:
        assert chat.business == item.business
        chat = chat.apply(item.fact)
    decision = can_send(chat, SendKind.FREE_FORM, now=AT + timedelta(hours=2))
    assert (Reason.WINDOW_CLOSED_BY_PLATFORM,) == decision.codes
