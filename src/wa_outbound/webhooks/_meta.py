"""Meta Cloud API webhooks: signature, subscription handshake, and raw body -> typed events.

Theory of operation
-------------------
Meta POSTs JSON to the business's callback URL, signed with the app secret in
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. One POST may carry several
`entry[]`, each with several `changes[]`, each with several `messages[]` / `statuses[]`
(Meta batches; peers that read only `entry[0].changes[0].statuses[0]` lose events). So:

1. The signature is checked over the **raw bytes**, before anything is parsed, against every
   secret given (to allow rotation), in constant time. Re-encoded JSON would not match.
2. The body is decoded once. A body that is not a JSON object with an `entry` list raises
   `WebhookParseError`; nothing else ever raises.
3. Every entry, every change and every item becomes an event, in order. An item that cannot be
   read becomes an `UnknownEvent` carrying the raw value and the reason, so one odd event
   never costs the others. Unknown fields become `UnknownEvent`s too.
4. An event whose instant cannot be true becomes an `UnknownEvent` with the reason
   (`TimestampBounds`): before 2009, or after the webhook was received by more than the rules'
   clock skew tolerance (after 2100-01-01 when the receive time is not given). Meta stamps
   events with its own servers' clock when they happen and delivers them later, retrying for up
   to 36 hours ("Create a webhook endpoint"), so a true timestamp is never far ahead of the
   receive time.

Sources: Meta "Webhooks" and webhook reference pages (messages, statuses,
message_template_status_update, message_template_quality_update, template_category_update,
phone_number_quality_update, account_update, business_capability_update, user_preferences,
calls), as summarised with their URLs in the project's TRANSPORT.md and DOMAIN.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from wa_outbound._errors import SignatureMismatch, WebhookParseError, decimal_digits, expect
from wa_outbound._facts import Provider
from wa_outbound._time import UTC
from wa_outbound.webhooks._events import (
    EARLIEST_EVENT_AT,
    LATEST_EVENT_AT,
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
    TimestampBounds,
    UnknownEvent,
    UserPreferenceUpdate,
    WebhookError,
    check_request,
    find_header,
)

if TYPE_CHECKING:
    from wa_outbound._rules import Rules

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_UNKNOWN_EVENTS",
    "SIGNATURE_HEADER",
    "answer_subscription",
    "parse_meta_events",
    "read_meta_webhook",
    "verify_meta_signature",
]

SIGNATURE_HEADER: Final = "X-Hub-Signature-256"
"""The header Meta signs webhooks with."""
MAX_UNKNOWN_EVENTS: Final = 1000
"""At most this many `UnknownEvent`s are kept from one body, each with what was received.

Any more are counted, not kept: one last `UnknownEvent` (field `body`) says how many. A body
of 4 MB of empty statuses would otherwise give 1.4 million events and about 220 MB; Meta's
own batches are far smaller (the known events of a body are kept whatever their number:
each costs the body tens of bytes).
"""


class _Collected(list[Event]):
    """The events of one body: unknown ones kept up to `MAX_UNKNOWN_EVENTS`, then counted."""

    __slots__ = ("dropped", "unknown")

    def __init__(self) -> None:
        super().__init__()
        self.unknown = 0
        self.dropped = 0

    def append(self, event: Event) -> None:
        if event.__class__ is UnknownEvent:
            if self.unknown >= MAX_UNKNOWN_EVENTS:
                self.dropped += 1
                return
            self.unknown += 1
        super().append(event)

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.append(event)

    def done(self) -> tuple[Event, ...]:
        if self.dropped:
            super().append(
                UnknownEvent(
                    provider=Provider.META,
                    field="body",
                    reason=f"{self.dropped:,} more unknown events, counted but not kept"
                    f" (at most {MAX_UNKNOWN_EVENTS:,} are kept from one body)",
                )
            )
        return tuple(self)


DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
"""Bodies larger than this are refused unread (Meta batches stay far below it)."""

_META: Final = Provider.META

_orjson_loads: Callable[[bytes | str], object] | None
try:  # an optional speed-up (the `fast` extra)
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - depends on the environment
    _orjson_loads = None


# --- signature and handshake ----------------------------------------------------------------


def verify_meta_signature(
    body: bytes, signature: str | None, app_secrets: Sequence[str | bytes]
) -> None:
    """Check `X-Hub-Signature-256` over the raw body against each app secret.

    Args:
        body: The request body exactly as received (not re-encoded JSON).
        signature: The header's value, `sha256=<hex>`, or `None` if it was absent.
        app_secrets: The app secret, or several during a rotation.

    Raises:
        SignatureMismatch: The header is absent, malformed, or matches no secret.
        InvalidValueError: An argument is of the wrong type (`app_secrets` one string).
    """
    check_request(body=body, secrets=("app_secrets", app_secrets), texts={"signature": signature})
    if not app_secrets:
        raise SignatureMismatch(SIGNATURE_HEADER, "no app secret configured to check it")
    if signature is None:
        raise SignatureMismatch(SIGNATURE_HEADER, "header missing")
    scheme, _, digest = signature.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        raise SignatureMismatch(SIGNATURE_HEADER, "expected 'sha256=<hex digest>'")
    try:
        given = bytes.fromhex(digest)
    except ValueError:
        raise SignatureMismatch(SIGNATURE_HEADER, "digest is not hexadecimal") from None
    matched = False
    for secret in app_secrets:
        key = secret.encode() if isinstance(secret, str) else secret
        # Check every secret, so the time taken does not tell which one matched.
        matched |= hmac.compare_digest(hmac.digest(key, body, hashlib.sha256), given)
    if not matched:
        raise SignatureMismatch(SIGNATURE_HEADER, "does not match the body for any app secret")


def answer_subscription(query: Mapping[str, str], verify_token: str) -> tuple[int, str]:
    """Answer Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=...`).

    Returns:
        `(200, challenge)` when the mode is `subscribe` and the token matches, else
        `(403, "Forbidden")`: the HTTP status and body to send back.
    """
    expect("query", query, Mapping)
    check_request(texts={"verify_token": verify_token})
    mode = query.get("hub.mode")
    token = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge")
    if (
        mode == "subscribe"
        and isinstance(challenge, str)
        and isinstance(token, str)
        and verify_token
        and hmac.compare_digest(token.encode(), verify_token.encode())
    ):
        return 200, challenge
    return 403, "Forbidden"


# --- reading the body -----------------------------------------------------------------------


def read_meta_webhook(
    body: bytes,
    headers: Mapping[str, str],
    *,
    app_secrets: Sequence[str | bytes],
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    received_at: datetime | None = None,
    rules: Rules | None = None,
) -> tuple[Event, ...]:
    """Verify a Meta webhook POST and return every event in it, in order.

    Args:
        body: The raw request body.
        headers: The request headers (any capitalisation).
        app_secrets: The app secret(s) to verify the signature with.
        max_body_bytes: Larger bodies are refused before anything else.
        received_at: When the host received the request (aware). An event stamped later than
            this by more than the rules' `clock_skew_tolerance` becomes an `UnknownEvent`;
            without it, only events stamped after 2100-01-01 do. Events stamped before 2009
            become `UnknownEvent`s either way.
        rules: The rules whose tolerance applies; by default those in force at `received_at`.

    Raises:
        WebhookParseError: The body is too large or is not a webhook at all.
        SignatureMismatch: The signature is missing or wrong (checked before parsing).
        NaiveDatetimeError: `received_at` has no time zone.
        InvalidValueError: `received_at` is before 2009 or after 2100, or `rules` is not
            `Rules`.
    """
    check_request(body=body, headers=headers, max_body_bytes=max_body_bytes)
    if len(body) > max_body_bytes:
        raise WebhookParseError(f"body of {len(body)} bytes exceeds {max_body_bytes}")
    bounds = TimestampBounds.received(received_at, rules)
    verify_meta_signature(body, find_header(headers, SIGNATURE_HEADER), app_secrets)
    return _events(body, max_body_bytes, bounds)


def parse_meta_events(
    body: bytes | str | Mapping[str, Any],
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    received_at: datetime | None = None,
    rules: Rules | None = None,
) -> tuple[Event, ...]:
    """Return every event of a Meta webhook body, without checking any signature.

    Use `read_meta_webhook` for requests from the network; this is for bodies already verified
    (a queue, a replay, a test). `received_at` and `rules` bound the events' instants as there.

    Raises:
        WebhookParseError: The body is not a JSON object with an `entry` list.
        NaiveDatetimeError: `received_at` has no time zone.
        InvalidValueError: `received_at` is before 2009 or after 2100, or `rules` is not
            `Rules`.
    """
    return _events(body, max_body_bytes, TimestampBounds.received(received_at, rules))


def _events(
    body: bytes | str | Mapping[str, Any], max_body_bytes: int, bounds: TimestampBounds
) -> tuple[Event, ...]:
    document = _decode(body, max_body_bytes)
    entries = document.get("entry")
    if not isinstance(entries, list):
        raise WebhookParseError("no 'entry' list")
    if document.get("object") not in (None, "whatsapp_business_account"):
        return (
            UnknownEvent(
                provider=_META, field="object", reason="not a WhatsApp webhook", raw=document
            ),
        )
    events = _Collected()
    for entry in entries:
        if not isinstance(entry, dict):
            events.append(
                UnknownEvent(provider=_META, field="entry", reason="not an object", raw=entry)
            )
            continue
        waba_id = _text(entry.get("id"))
        at = _instant_or_none(entry.get("time"))
        changes = entry.get("changes")
        if not isinstance(changes, list):
            events.append(
                UnknownEvent(
                    provider=_META,
                    field="entry",
                    reason="no 'changes' list",
                    waba_id=waba_id,
                    raw=entry,
                )
            )
            continue
        for change in changes:
            _read_change(change, waba_id, at, events, bounds)
    return events.done()


def _decode(body: bytes | str | Mapping[str, Any], limit: int) -> Mapping[str, Any]:
    check_request(body=body, body_kinds=(bytes, bytearray, str, Mapping), max_body_bytes=limit)
    if isinstance(body, Mapping):
        document: object = body
    else:
        if len(body) > limit:
            raise WebhookParseError(f"body of {len(body)} bytes exceeds {limit}")
        document = _loads(body)
    if not isinstance(document, dict):
        raise WebhookParseError(f"expected a JSON object, got {type(document).__name__}")
    return document


def _loads(body: bytes | str) -> object:
    """Decode JSON with orjson when it is installed (about 3x faster), else the stdlib.

    A document orjson refuses is tried again with the stdlib, so orjson never refuses a body the
    stdlib accepts. (orjson reads integers beyond 64 bits as floats; Meta sends ids as text.)
    """
    if _orjson_loads is not None:
        try:
            return _orjson_loads(body)
        except ValueError:
            pass
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:  # JSON, UTF-8 and nesting errors
        raise WebhookParseError(f"not JSON: {error}") from None


def _read_change(
    change: object,
    waba_id: str,
    at: datetime | None,
    events: list[Event],
    bounds: TimestampBounds,
) -> None:
    if not isinstance(change, dict):
        events.append(
            UnknownEvent(
                provider=_META, field="change", reason="not an object", waba_id=waba_id, raw=change
            )
        )
        return
    field = change.get("field")
    value = change.get("value")
    if not isinstance(field, str) or not isinstance(value, dict):
        events.append(
            UnknownEvent(
                provider=_META,
                field=str(field),
                reason="change without field or value",
                waba_id=waba_id,
                raw=change,
            )
        )
        return
    expand = _LIST_FIELDS.get(field)
    if expand is not None:
        expand(value, waba_id, events, bounds)
        return
    reader = _FIELD_READERS.get(field)
    if reader is None:
        events.append(
            UnknownEvent(
                provider=_META, field=field, reason="unsupported field", waba_id=waba_id, raw=value
            )
        )
        return
    events.append(_guarded(field, waba_id, reader, value, waba_id, at, bounds=bounds))


def _guarded(
    field: str,
    waba_id: str,
    read: Callable[..., Event],
    raw: object,
    *args: object,
    bounds: TimestampBounds,
) -> Event:
    """Return `read(raw, *args)`; whatever goes wrong makes it an `UnknownEvent`, not an error.

    So does an instant outside `bounds`: such an event is never read as a fact.
    """
    try:
        event = read(raw, *args)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        return UnknownEvent(
            provider=_META,
            field=field,
            reason=f"unreadable: {type(error).__name__}: {error}",
            waba_id=waba_id,
            raw=raw,
        )
    at = getattr(event, "at", None)
    if at is not None and not bounds.earliest <= at <= bounds.latest:
        return UnknownEvent(
            provider=_META, field=field, reason=bounds.refusal(at) or "", waba_id=waba_id, raw=raw
        )
    return event


# --- small readers --------------------------------------------------------------------------


def _text(value: object) -> str:
    """A string field; numbers (ids sometimes arrive as ints) become their decimal text."""
    if value.__class__ is str:  # the common case first: this runs a dozen times per event
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _required(mapping: Mapping[str, Any], key: str) -> str:
    text = _text(mapping.get(key))
    if not text:
        raise KeyError(key)
    return text


def _instant(value: object) -> datetime:
    """A unix timestamp (int, or ASCII digits as text) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError("timestamp")
    seconds = value if isinstance(value, int) else decimal_digits(value, signed=True)
    if seconds is None:
        raise ValueError("timestamp")
    return datetime.fromtimestamp(seconds, UTC)


def _announced(value: object) -> datetime | None:
    """An instant a webhook announces (an expiry, a change to come), or `None`.

    `None` too when it lies outside the instants any event may carry (2009 to 2100): such an
    instant says nothing true, and could not be stored.
    """
    at = _instant_or_none(value)
    if at is None or not EARLIEST_EVENT_AT <= at <= LATEST_EVENT_AT:
        return None
    return at


def _instant_or_none(value: object) -> datetime | None:
    try:
        return None if value is None else _instant(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return decimal_digits(value, signed=True)
    return None


def _errors(value: object) -> tuple[WebhookError, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if not isinstance(item, dict):
            continue
        code = _int_or_none(item.get("code"))
        if code is None:
            continue
        data = item.get("error_data")
        details = data.get("details") if isinstance(data, dict) else data
        found.append(
            WebhookError(
                code=code,
                title=_text(item.get("title")),
                message=_text(item.get("message")),
                details=_text(details),
            )
        )
    return tuple(found)


# --- field "messages": inbound messages, statuses, errors -----------------------------------


def _read_lists(
    field: str, readers: tuple[tuple[str, Callable[..., Event]], ...]
) -> Callable[[dict[str, Any], str, list[Event], TimestampBounds], None]:
    """A reader of a field whose value holds several lists, each item read by its list's reader.

    A `messages` value may carry out-of-band `errors` instead; a value with none of them is an
    `UnknownEvent`.
    """

    def expand(
        value: dict[str, Any], waba_id: str, events: list[Event], bounds: TimestampBounds
    ) -> None:
        phone_number_id = _phone_number_id(value)
        recognised = False
        for kind, read in readers:
            items = value.get(kind)
            if items is None:
                continue
            args: tuple[object, ...] = (phone_number_id, waba_id)
            if read is _message:  # only messages need the senders' profile names
                args = (*args, _profile_names(value.get("contacts")))
            recognised = True
            if not isinstance(items, list):
                events.append(
                    UnknownEvent(
                        provider=_META, field=kind, reason="not a list", waba_id=waba_id, raw=items
                    )
                )
                continue
            events.extend(
                _guarded(kind, waba_id, read, item, *args, bounds=bounds) for item in items
            )
        if field == "messages" and "errors" in value:
            recognised = True
            errors = _errors(value.get("errors"))
            events.append(
                OutOfBandError(
                    phone_number_id=phone_number_id, errors=errors, waba_id=waba_id, raw=value
                )
            )
        if not recognised:
            events.append(
                UnknownEvent(
                    provider=_META,
                    field=field,
                    reason="nothing recognised in value",
                    waba_id=waba_id,
                    raw=value,
                )
            )

    return expand


def _phone_number_id(value: dict[str, Any]) -> str:
    """The business number's ID in a change's `metadata` ("" when none)."""
    metadata = value.get("metadata")
    return _text(metadata.get("phone_number_id")) if isinstance(metadata, dict) else ""


def _profile_names(contacts: object) -> dict[str, str]:
    """Map each contact's wa_id and user id to its profile name."""
    names: dict[str, str] = {}
    if not isinstance(contacts, list):
        return names
    for contact in contacts:
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile")
        name = _text(profile.get("name")) if isinstance(profile, dict) else ""
        for key in ("wa_id", "user_id"):
            identity = _text(contact.get(key))
            if identity:
                names[identity] = name
    return names


def _message(item: object, phone_number_id: str, waba_id: str, names: Mapping[str, str]) -> Event:
    if not isinstance(item, dict):
        raise TypeError("message is not an object")
    message_id = _required(item, "id")
    at = _instant(item.get("timestamp"))
    wa_id = _text(item.get("from"))
    user_id = _text(item.get("from_user_id")) or _text(item.get("user_id"))
    if not wa_id and not user_id:
        raise KeyError("from")
    kind = _text(item.get("type")) or "unknown"
    interactive = item.get("interactive")
    if kind == "interactive" and isinstance(interactive, dict):
        reply = interactive.get("call_permission_reply")
        if interactive.get("type") == "call_permission_reply" and isinstance(reply, dict):
            return _call_permission_reply(
                item,
                reply,
                message_id=message_id,
                at=at,
                wa_id=wa_id,
                phone_number_id=phone_number_id,
                waba_id=waba_id,
            )
    text, payload = _message_text(item, kind)
    context = item.get("context")
    referral = item.get("referral")
    return InboundMessage(
        provider=_META,
        phone_number_id=phone_number_id,
        message_id=message_id,
        at=at,
        type=kind,
        wa_id=wa_id,
        user_id=user_id,
        profile_name=names.get(wa_id) or names.get(user_id, ""),
        text=text,
        button_payload=payload,
        context_id=_text(context.get("id")) if isinstance(context, dict) else "",
        referral=_referral(referral) if isinstance(referral, dict) else None,
        waba_id=waba_id,
        raw=item,
    )


def _message_text(item: dict[str, Any], kind: str) -> tuple[str, str]:
    """Return (text, button payload) of a message, where it has them."""
    body = item.get(kind)
    if not isinstance(body, dict):
        return "", ""
    if kind == "text":
        return _text(body.get("body")), ""
    if kind == "button":
        return _text(body.get("text")), _text(body.get("payload"))
    if kind == "interactive":
        for key in ("button_reply", "list_reply"):
            reply = body.get(key)
            if isinstance(reply, dict):
                return _text(reply.get("title")), _text(reply.get("id"))
    return _text(body.get("caption")), ""


def _referral(value: dict[str, Any]) -> Referral:
    return Referral(
        source_type=_text(value.get("source_type")),
        source_id=_text(value.get("source_id")),
        source_url=_text(value.get("source_url")),
        headline=_text(value.get("headline")),
        ctwa_clid=_text(value.get("ctwa_clid")),
    )


def _call_permission_reply(
    item: dict[str, Any],
    reply: dict[str, Any],
    *,
    message_id: str,
    at: datetime,
    wa_id: str,
    phone_number_id: str,
    waba_id: str,
) -> CallPermissionReply:
    response = _text(reply.get("response"))
    if response not in ("accept", "reject"):
        raise ValueError(f"call_permission_reply.response={response!r}")
    permanent = reply.get("is_permanent") is True
    expires = _announced(reply.get("expiration_timestamp"))
    return CallPermissionReply(
        provider=_META,
        phone_number_id=phone_number_id,
        message_id=message_id,
        at=at,
        wa_id=wa_id,
        accepted=response == "accept",
        permanent=permanent,
        expires_at=None if permanent else expires,
        response_source=_text(reply.get("response_source")),
        waba_id=waba_id,
        raw=item,
    )


_STATUSES: Final = {kind.value: kind for kind in StatusKind}


def _status(item: object, phone_number_id: str, waba_id: str) -> MessageStatus:
    if not isinstance(item, dict):
        raise TypeError("status is not an object")
    status = _STATUSES[_required(item, "status")]
    conversation = item.get("conversation")
    pricing = item.get("pricing")
    return MessageStatus(
        provider=_META,
        phone_number_id=phone_number_id,
        message_id=_required(item, "id"),
        status=status,
        at=_instant(item.get("timestamp")),
        recipient_id=_text(item.get("recipient_id")) or _text(item.get("recipient_user_id")),
        biz_opaque_callback_data=_text(item.get("biz_opaque_callback_data")),
        conversation=_conversation(conversation) if isinstance(conversation, dict) else None,
        pricing=_pricing(pricing) if isinstance(pricing, dict) else None,
        errors=_errors(item.get("errors")),
        waba_id=waba_id,
        raw=item,
    )


def _conversation(value: dict[str, Any]) -> StatusConversation:
    origin = value.get("origin")
    return StatusConversation(
        id=_text(value.get("id")),
        origin_type=_text(origin.get("type")) if isinstance(origin, dict) else "",
        expires_at=_announced(value.get("expiration_timestamp")),
    )


def _pricing(value: dict[str, Any]) -> Pricing:
    billable = value.get("billable")
    return Pricing(
        billable=billable if isinstance(billable, bool) else None,
        pricing_model=_text(value.get("pricing_model")),
        category=_text(value.get("category")),
        type=_text(value.get("type")),
    )


def _call(item: object, phone_number_id: str, waba_id: str) -> CallEvent:
    if not isinstance(item, dict):
        raise TypeError("call is not an object")
    direction = _text(item.get("direction"))
    business_initiated = direction == "BUSINESS_INITIATED"
    user = item.get("to") if business_initiated else item.get("from")
    user_id = item.get("to_user_id") if business_initiated else item.get("from_user_id")
    duration = _int_or_none(item.get("duration"))
    return CallEvent(
        waba_id=waba_id,
        phone_number_id=phone_number_id,
        call_id=_required(item, "id"),
        event=_required(item, "event"),
        at=_instant_or_none(item.get("timestamp")),
        wa_id=_text(user).removeprefix("+"),
        direction=direction,
        user_id=_text(user_id),
        status=_text(item.get("status")),
        duration=duration if duration is not None and duration >= 0 else None,
        raw=item,
    )


def _call_status(item: object, phone_number_id: str, waba_id: str) -> CallStatus:
    if not isinstance(item, dict):
        raise TypeError("call status is not an object")
    return CallStatus(
        waba_id=waba_id,
        phone_number_id=phone_number_id,
        call_id=_required(item, "id"),
        status=_required(item, "status"),
        at=_instant(item.get("timestamp")),
        wa_id=_text(item.get("recipient_id")).removeprefix("+"),
        user_id=_text(item.get("recipient_user_id")),
        biz_opaque_callback_data=_text(item.get("biz_opaque_callback_data")),
        raw=item,
    )


_ITEM_READERS: Final[tuple[tuple[str, Callable[..., Event]], ...]] = (
    ("messages", _message),
    ("statuses", _status),
    ("calls", _call),
)
"""The lists a `messages` change may carry, and how to read one item of each (older payloads
carried calls there; Meta sends them as `calls` changes)."""

_CALL_READERS: Final[tuple[tuple[str, Callable[..., Event]], ...]] = (
    ("calls", _call),
    ("statuses", _call_status),
)
"""The lists a `calls` change carries: calls connecting or ending, and business calls' status."""


# --- other fields ---------------------------------------------------------------------------


def _template_status(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    disable = value.get("disable_info")
    return TemplateStatusUpdate(
        waba_id=waba_id,
        at=at,
        event=_required(value, "event"),
        template_id=_required(value, "message_template_id"),
        template_name=_text(value.get("message_template_name")),
        language=_text(value.get("message_template_language")),
        reason=_text(value.get("reason")),
        category=_text(value.get("message_template_category")),
        disable_date=_text(disable.get("disable_date")) if isinstance(disable, dict) else "",
        raw=value,
    )


def _template_quality(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    return TemplateQualityUpdate(
        waba_id=waba_id,
        at=at,
        template_id=_required(value, "message_template_id"),
        previous_quality=_text(value.get("previous_quality_score")),
        new_quality=_required(value, "new_quality_score"),
        template_name=_text(value.get("message_template_name")),
        language=_text(value.get("message_template_language")),
        raw=value,
    )


def _template_category(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    return TemplateCategoryUpdate(
        waba_id=waba_id,
        at=at,
        template_id=_required(value, "message_template_id"),
        new_category=_required(value, "new_category"),
        previous_category=_text(value.get("previous_category")),
        correct_category=_text(value.get("correct_category")),
        category_update_at=_announced(value.get("category_update_timestamp")),
        template_name=_text(value.get("message_template_name")),
        language=_text(value.get("message_template_language")),
        raw=value,
    )


def _phone_quality(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    return PhoneNumberQualityUpdate(
        waba_id=waba_id,
        at=at,
        display_phone_number=_text(value.get("display_phone_number")),
        event=_required(value, "event"),
        current_limit=_text(value.get("current_limit")),
        old_limit=_text(value.get("old_limit")),
        max_daily_conversations_per_business=_int_or_none(
            value.get("max_daily_conversations_per_business")
        ),
        raw=value,
    )


def _account(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    return AccountUpdate(waba_id=waba_id, at=at, event=_required(value, "event"), raw=value)


def _capability(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    return BusinessCapabilityUpdate(
        waba_id=waba_id,
        at=at,
        max_daily_conversations_per_business=_int_or_none(
            value.get("max_daily_conversations_per_business")
        ),
        max_daily_conversation_per_phone=_int_or_none(
            value.get("max_daily_conversation_per_phone")
        ),
        max_phone_numbers_per_business=_int_or_none(value.get("max_phone_numbers_per_business")),
        max_phone_numbers_per_waba=_int_or_none(value.get("max_phone_numbers_per_waba")),
        raw=value,
    )


def _user_preference(item: object, phone_number_id: str, waba_id: str) -> Event:
    if not isinstance(item, dict):
        raise TypeError("preference is not an object")
    return UserPreferenceUpdate(
        waba_id=waba_id,
        phone_number_id=phone_number_id,
        wa_id=_required(item, "wa_id"),
        at=_instant(item.get("timestamp")),
        value=_required(item, "value"),
        category=_text(item.get("category")),
        detail=_text(item.get("detail")),
        raw=item,
    )


def _template_components(value: dict[str, Any], waba_id: str, at: datetime | None) -> Event:
    buttons = value.get("message_template_buttons")
    return TemplateComponentsUpdate(
        waba_id=waba_id,
        at=at,
        template_id=_required(value, "message_template_id"),
        template_name=_text(value.get("message_template_name")),
        language=_text(value.get("message_template_language")),
        body=_text(value.get("message_template_element")),
        header=_text(value.get("message_template_title")),
        footer=_text(value.get("message_template_footer")),
        buttons=tuple(
            TemplateButtonUpdate(
                type=_text(button.get("message_template_button_type")),
                text=_text(button.get("message_template_button_text")),
                url=_text(button.get("message_template_button_url")),
                phone_number=_text(button.get("message_template_button_phone_number")),
            )
            for button in (buttons if isinstance(buttons, list) else ())
            if isinstance(button, dict)
        ),
        raw=value,
    )


def _read_list(
    field: str, key: str, read: Callable[..., Event]
) -> Callable[[dict[str, Any], str, list[Event], TimestampBounds], None]:
    """A reader of a field whose value holds one list of items (`key`), each read by `read`."""

    def expand(
        value: dict[str, Any], waba_id: str, events: list[Event], bounds: TimestampBounds
    ) -> None:
        phone_number_id = _phone_number_id(value)
        items = value.get(key)
        if not isinstance(items, list):
            events.append(
                UnknownEvent(
                    provider=_META,
                    field=field,
                    reason=f"no {key!r} list",
                    waba_id=waba_id,
                    raw=value,
                )
            )
            return
        events.extend(
            _guarded(field, waba_id, read, item, phone_number_id, waba_id, bounds=bounds)
            for item in items
        )

    return expand


def _echo(item: object, phone_number_id: str, waba_id: str) -> Event:
    if not isinstance(item, dict):
        raise TypeError("echo is not an object")
    kind = _text(item.get("type")) or "unknown"
    return MessageEcho(
        waba_id=waba_id,
        phone_number_id=phone_number_id,
        message_id=_required(item, "id"),
        at=_instant(item.get("timestamp")),
        to=_required(item, "to").removeprefix("+"),
        type=kind,
        text=_message_text(item, kind)[0],
        raw=item,
    )


_LIST_FIELDS: Final[
    dict[str, Callable[[dict[str, Any], str, list[Event], TimestampBounds], None]]
] = {
    "messages": _read_lists("messages", _ITEM_READERS),
    "user_preferences": _read_list("user_preferences", "user_preferences", _user_preference),
    "smb_message_echoes": _read_list("smb_message_echoes", "message_echoes", _echo),
    "calls": _read_lists("calls", _CALL_READERS),
}

_FIELD_READERS: Final[dict[str, Callable[[dict[str, Any], str, datetime | None], Event]]] = {
    "message_template_status_update": _template_status,
    "message_template_quality_update": _template_quality,
    "template_category_update": _template_category,
    "phone_number_quality_update": _phone_quality,
    "account_update": _account,
    "business_capability_update": _capability,
    "message_template_components_update": _template_components,
}
