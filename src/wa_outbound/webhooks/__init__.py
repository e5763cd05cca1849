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
`dump_event` / `load_event` (a tagged JSON format; the event's `raw` payload is kept).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from wa_outbound._errors import SignatureMismatch, StoredDataError, WebhookParseError
from wa_outbound._time import iso_instant, parse_iso_instant
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
    Event,
    InboundMessage,
    MessageStatus,
    OutOfBandError,
    PhoneNumberQualityUpdate,
    Pricing,
    Referral,
    StatusConversation,
    StatusKind,
    TemplateCategoryUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownEvent,
    UserPreferenceUpdate,
    WebhookError,
)
from wa_outbound.webhooks._meta import (
    DEFAULT_MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    answer_subscription,
    parse_meta_events,
    read_meta_webhook,
    verify_meta_signature,
)
from wa_outbound.webhooks._twilio import (
    TWILIO_MAX_BODY_BYTES,
    TWILIO_SIGNATURE_HEADER,
    parse_twilio_events,
    parse_twilio_form,
    read_twilio_webhook,
    verify_twilio_body_signature,
    verify_twilio_signature,
)

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DELIVERY_RANK",
    "SIGNATURE_HEADER",
    "TWILIO_MAX_BODY_BYTES",
    "TWILIO_SIGNATURE_HEADER",
    "AccountFactFor",
    "AccountUpdate",
    "BusinessCapabilityUpdate",
    "CallEvent",
    "CallPermissionReply",
    "ConversationFactFor",
    "Event",
    "EventFact",
    "InboundMessage",
    "MessageDelivery",
    "MessageStatus",
    "OutOfBandError",
    "PhoneNumberQualityUpdate",
    "Pricing",
    "Referral",
    "SignatureMismatch",
    "StatusConversation",
    "StatusKind",
    "TemplateCategoryUpdate",
    "TemplateFactFor",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
    "UnknownEvent",
    "UserPreferenceUpdate",
    "WebhookError",
    "WebhookParseError",
    "answer_subscription",
    "dump_event",
    "facts_from_events",
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
    UnknownEvent,
)


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs  # noqa: PLC0415 - deferred: only storing events needs it
    from cattrs.strategies import configure_tagged_union  # noqa: PLC0415

    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_structure_hook(datetime, parse_iso_instant)
    # A predicate, not `register_structure_hook(Any, ...)`: Python 3.10's singledispatch
    # refuses `typing.Any` as a class.
    converter.register_structure_hook_func(lambda kind: kind is Any, lambda value, _type: value)
    configure_tagged_union(
        Event,
        converter,
        tag_name=_TAG,
        tag_generator=lambda cls: cls.__name__,
    )
    return converter


def dump_event(event: Event) -> dict[str, Any]:
    """Return `event` as JSON-ready data tagged with its type (`"event_type": "MessageStatus"`)."""
    return _converter().unstructure(event, Event)  # type: ignore[no-any-return]


def load_event(data: object) -> Event:
    """Return the event stored by `dump_event`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored event (unknown tag, missing or bad field).
    """
    if not isinstance(data, dict) or data.get(_TAG) not in {t.__name__ for t in _EVENT_TYPES}:
        tag = data.get(_TAG) if isinstance(data, dict) else data
        raise StoredDataError(_TAG, tag, "not a stored webhook event")
    try:
        event: Event = _converter().structure(data, Event)  # type: ignore[arg-type]
    except Exception as error:  # every failure becomes one clear error
        raise StoredDataError(_TAG, data.get(_TAG), f"cannot load: {error}") from error
    return event
