"""Webhooks in: verified, typed events, and the facts they imply.

```python
from wa_outbound import webhooks

events = webhooks.read_meta_webhook(body, headers, app_secrets=[APP_SECRET])
for item in webhooks.facts_from_events(events, stop_keywords={"STOP"}):
    conversation = store.load(item.business, item.recipient).apply(item.fact)
    store.save(conversation)
```

Twilio's callbacks go through `read_twilio_webhook(url, body, headers, auth_tokens=...,
received_at=...)` into the same event types. No HTTP framework is needed: pass the raw body
bytes and the headers. The how-to guide shows
Starlette / FastAPI, Flask and Django handlers. Events can be stored and replayed with
`dump_event` / `load_event` (a tagged JSON format with a `format` / `version` header; the
event's `raw` payload is kept), and a message's delivery with `dump_delivery` /
`load_delivery`.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from wa_outbound import _wire
from wa_outbound._errors import SignatureMismatch, StoredDataError, WebhookParseError, expect
from wa_outbound.webhooks._event_facts import (
    DELIVERY_RANK,
    AccountFactFor,
    ConversationFactFor,
    EventFact,
    MessageDelivery,
    TemplateFactFor,
    facts_from_events,
    track_delivery,
)
from wa_outbound.webhooks._events import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    CallEvent,
    CallPermissionReply,
    CallStatus,
    Event,
    InboundMessage,
    MessageEcho,
    MessageStatus,
    OutOfBandError,
    PhoneNumberQualityUpdate,
    Pricing,
    Referral,
    StatusConversation,
    StatusKind,
    TemplateButtonUpdate,
    TemplateCategoryUpdate,
    TemplateComponentsUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownEvent,
    UserPreferenceUpdate,
    WebhookError,
)
from wa_outbound.webhooks._meta import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_UNKNOWN_EVENTS,
    SIGNATURE_HEADER,
    answer_subscription,
    parse_meta_events,
    read_meta_webhook,
    verify_meta_signature,
)
from wa_outbound.webhooks._twilio import (
    TWILIO_CALLBACK_KEY,
    TWILIO_MAX_BODY_BYTES,
    TWILIO_SIGNATURE_HEADER,
    parse_twilio_events,
    parse_twilio_form,
    read_twilio_webhook,
    verify_twilio_body_signature,
    verify_twilio_signature,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import cattrs

__all__ = [
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

_TAG: Final = "event_type"
_EVENT_TYPES: Final = (
    InboundMessage,
    CallPermissionReply,
    MessageStatus,
    OutOfBandError,
    TemplateStatusUpdate,
    TemplateQualityUpdate,
    TemplateCategoryUpdate,
    PhoneNumberQualityUpdate,
    AccountUpdate,
    BusinessCapabilityUpdate,
    UserPreferenceUpdate,
    CallEvent,
    CallStatus,
    MessageEcho,
    TemplateComponentsUpdate,
    UnknownEvent,
)


_EVENT_CLASSES: Final[Mapping[str, type[Event]]] = MappingProxyType(
    {cls.__name__: cls for cls in _EVENT_TYPES}
)
_STORED: Final = _wire.StoredFormat(name="wa_outbound.webhook_event", version=1)
"""A stored event's header; no migration yet, version 1 is the first."""
_DELIVERY: Final = _wire.StoredFormat(name="wa_outbound.message_delivery", version=1)
"""A stored delivery's header; version 1 is the first."""


@functools.cache
def _converter() -> cattrs.Converter:
    # Cattrs on first use only: storing events needs it, reading webhooks does not.
    return _wire.make_converter()


def dump_event(event: Event) -> dict[str, Any]:
    """Return `event` as JSON-ready data tagged with its type (`"event_type": "MessageStatus"`).

    The document starts with a `format` / `version` header, as every stored document does.

    Raises:
        InvalidValueError: `event` is not a webhook event.
    """
    expect("event", event, tuple(_EVENT_CLASSES.values()))
    data = _wire.header(_STORED)
    data[_TAG] = event.__class__.__name__
    data.update(_converter().unstructure(event, event.__class__))
    return data


def load_event(data: object) -> Event:
    """Return the event stored by `dump_event`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored event of a version this release reads:
            an unknown tag, or a missing, unknown or bad field; the error names its path.
    """
    body = _wire.check_header(data, _STORED)  # a new dict: the tag may be taken out
    tag = body.pop(_TAG, None)
    cls = _EVENT_CLASSES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise StoredDataError(_TAG, tag, "not a stored webhook event")
    return _wire.structure(_converter(), body, cls, StoredDataError)


def dump_delivery(delivery: MessageDelivery) -> dict[str, Any]:
    """Return `delivery` as JSON-ready data, behind a `format` / `version` header.

    Raises:
        InvalidValueError: `delivery` is not a `MessageDelivery`.
    """
    expect("delivery", delivery, MessageDelivery)
    data = _wire.header(_DELIVERY)
    data.update(_converter().unstructure(delivery, MessageDelivery))
    return data


def load_delivery(data: object) -> MessageDelivery:
    """Return the delivery stored by `dump_delivery`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored delivery of a version this release reads,
            a field is missing, unknown or invalid, or the message id is empty; the error
            names its path and value.
    """
    body = _wire.check_header(data, _DELIVERY)
    delivery = _wire.structure(_converter(), body, MessageDelivery, StoredDataError)
    if not delivery.message_id:  # every status names its message
        raise StoredDataError("message_id", delivery.message_id, "expected a message id")
    return delivery
