"""Twilio WhatsApp callbacks: `X-Twilio-Signature`, form bodies, and params -> typed events.

Theory of operation
-------------------
Twilio POSTs `application/x-www-form-urlencoded` bodies to two kinds of URL: the incoming
message webhook (a user wrote to the business) and the `StatusCallback` of an outbound message
(it was sent, delivered, read, failed, ...). Each request carries exactly one message, signed in
`X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + sorted params))`. So:

1. The body is size-checked, then decoded as a form (UTF-8, `+` as space). Decoding comes first
   because the signature is computed over the decoded parameters, not the raw bytes; nothing is
   interpreted before the signature holds.
2. The signature is checked against every auth token given (the primary, and the previous one
   while a rotation is deployed: Twilio signs with the primary token only), over the URL exactly
   as given and with the default port added or removed (Twilio's own back ends disagree on the
   port, so twilio-python accepts both), in constant time. A parameter sent several times is
   signed once per distinct value, values sorted (a value repeated under one name is signed
   once, as twilio-python's `sorted(set(values))` does). JSON-bodied webhooks (a
   `bodySHA256` query parameter) are signed over the URL alone and bound to the body by the
   SHA-256 hash. (Twilio's scheme does not delimit names from values: `a=bc` and `ab=c` sign
   alike. It is Twilio's to fix; the events below read only known names.)
3. The parameters become exactly one event. What has a `StatusKind` equivalent becomes a
   `MessageStatus`; a message from a user becomes an `InboundMessage`; everything else (interim
   statuses such as `queued` or `sending`, other channels than WhatsApp, Conversations
   webhooks, ...) becomes an `UnknownEvent` with the parameters and the reason. Only a body that
   is not a form at all raises `WebhookParseError`.

Twilio callbacks carry no timestamp: a status gets `at=None`, and an inbound message gets the
host's `received_at`, passed in (this module reads no clock). So no event is ever stamped after
its receive time; the receive time itself is refused before 2009 or after 2100
(`receive_time`), so that a clock far off cannot stamp a fact that holds a window open.
Addresses (`whatsapp:+4915...`) become bare digits: the business's number is `From` of a status
and `To` of an inbound message.

Sources (checked 2026-11-25):

- Twilio "Secure webhooks" https://www.twilio.com/docs/usage/webhooks/webhooks-security and
  error 57012 "Signature invalid" https://www.twilio.com/docs/api/errors/57012 (`bodySHA256`,
  secondary auth token not used for signing);
- twilio-python `twilio/request_validator.py` (`compute_signature`: sorted names, each name's
  distinct values sorted; `validate`: URL with and without port; `compute_hash`: hex SHA-256
  of the body);
- Twilio "Twilio's request to your incoming message Webhook URL"
  https://www.twilio.com/docs/messaging/guides/webhook-request (`MessageSid`, `SmsSid`,
  `Body`, `NumMedia`, `MediaContentType{N}`, `From`, `To`; "Twilio will occasionally add new
  parameters without advance notice", hence signing every parameter received). The WhatsApp
  names (`ProfileName`, `WaId`, `MessageType`, `ButtonText`, `ButtonPayload`,
  `OriginalRepliedMessageSid`, `Referral*`, `ChannelPrefix`) are as captured in real Twilio
  payloads quoted by public integrations, and Twilio's changelog of 2023-01-12 on
  `ReferralNumMedia` (only on WhatsApp click-to-WhatsApp messages);
- Twilio "Outbound message status in status callbacks"
  https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks and
  the Message resource status enum (`queued`, `sending`, `sent`, `failed`, `delivered`,
  `undelivered`, `receiving`, `received`, `accepted`, `scheduled`, `read`,
  `partially_delivered`, `canceled`), as summarised in the project's TRANSPORT.md section 4.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, TypeAlias
from urllib.parse import SplitResult, parse_qs, parse_qsl, urlsplit

import attrs

from wa_outbound._errors import (
    InvalidValueError,
    SignatureMismatch,
    WebhookParseError,
    decimal_digits,
    shown,
)
from wa_outbound._facts import Provider
from wa_outbound.webhooks._events import (
    Event,
    InboundMessage,
    MessageStatus,
    Referral,
    StatusKind,
    UnknownEvent,
    WebhookError,
    check_request,
    find_header,
    receive_time,
)

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "TWILIO_CALLBACK_KEY",
    "TWILIO_MAX_BODY_BYTES",
    "TWILIO_SIGNATURE_HEADER",
    "TwilioForm",
    "parse_twilio_events",
    "parse_twilio_form",
    "read_twilio_webhook",
    "verify_twilio_body_signature",
    "verify_twilio_signature",
]

TWILIO_SIGNATURE_HEADER: Final = "X-Twilio-Signature"
"""The header Twilio signs webhooks with."""
TWILIO_CALLBACK_KEY: Final = "wa_outbound_key"
"""The query parameter of a `StatusCallback` URL that carries a send's idempotency key.

Twilio's Messages API has no field it echoes on status callbacks (Meta's
`biz_opaque_callback_data`), so the Twilio client adds the key to the callback URL, and
`read_twilio_webhook` puts it in the status's `biz_opaque_callback_data`."""
TWILIO_MAX_BODY_BYTES: Final = 1024 * 1024
"""Bodies larger than this are refused unread (a Twilio message callback is a few kilobytes)."""

TwilioForm: TypeAlias = dict[str, "str | tuple[str, ...]"]
"""Decoded form parameters: a name sent once maps to its value, a repeated name to all values."""

_TWILIO: Final = Provider.TWILIO
_MAX_FIELDS: Final = 1000
"""More parameters than this is not a Twilio callback (they carry a few dozen)."""
_BODY_HASH_PARAMETER: Final = "bodySHA256"
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}

_STATUS_KINDS: Final[Mapping[str, StatusKind]] = {
    "sent": StatusKind.SENT,
    "delivered": StatusKind.DELIVERED,
    "read": StatusKind.READ,
    "failed": StatusKind.FAILED,
    "undelivered": StatusKind.UNDELIVERED,
}
"""Twilio statuses that mean what a `StatusKind` means."""
_INTERIM_STATUSES: Final = frozenset(
    {"queued", "accepted", "scheduled", "sending", "receiving", "canceled", "partially_delivered"}
)
"""Documented Twilio statuses with no `StatusKind` equivalent: kept as `UnknownEvent`s."""
_REFERRAL_PARAMETERS: Final = (
    "ReferralSourceId",
    "ReferralSourceType",
    "ReferralSourceUrl",
    "ReferralHeadline",
    "ReferralCtwaClid",
)
"""Any of these set means the user came from a click-to-WhatsApp ad (or a post)."""
_MEDIA_KINDS: Final = frozenset({"image", "audio", "video"})


# --- signature ------------------------------------------------------------------------------


def verify_twilio_signature(
    url: str,
    params: Mapping[str, str | Sequence[str]],
    signature: str | None,
    auth_tokens: Sequence[str],
) -> None:
    """Check `X-Twilio-Signature` over the URL and the POST parameters, against each auth token.

    The signed text is the URL followed by every parameter name, sorted, each immediately
    followed by its value (a repeated name: once per distinct value, values sorted), as
    twilio-python's `RequestValidator.compute_signature` builds it. The URL is tried as given
    and with its default port added or removed.

    Args:
        url: The URL Twilio requested, exactly as configured there (scheme, host, path, query).
        params: The decoded POST parameters, all of them (see `parse_twilio_form`); a Django
            `QueryDict` or Werkzeug `MultiDict` is read with all its values.
        signature: The header's value, or `None` if it was absent.
        auth_tokens: The account's auth token, or several during a rotation.

    Raises:
        SignatureMismatch: The header is absent, or matches no token.
        WebhookParseError: `params` holds something other than strings.
        InvalidValueError: An argument is of the wrong type (`auth_tokens` one string).
    """
    check_request(secrets=("auth_tokens", auth_tokens), texts={"url": url, "signature": signature})
    given: object = params  # typed loosely: the calling code may pass anything
    if isinstance(given, (str, bytes, bytearray)) or not (
        hasattr(given, "__getitem__") and hasattr(given, "__iter__")
    ):
        raise InvalidValueError("params", given, "expected the decoded POST parameters")
    form = _normalised(params)
    text = "".join(
        name + value for name in sorted(form) for value in sorted(set(_all_values(form[name])))
    )
    _check(url, text, signature, auth_tokens)


def verify_twilio_body_signature(
    url: str, body: bytes | str, signature: str | None, auth_tokens: Sequence[str]
) -> None:
    """Check a JSON-bodied Twilio webhook: the signature covers the URL, the URL the body hash.

    Args:
        url: The URL Twilio requested, with its `bodySHA256` query parameter.
        body: The raw request body (text is encoded as UTF-8).
        signature: The `X-Twilio-Signature` value, or `None` if it was absent.
        auth_tokens: The account's auth token, or several during a rotation.

    Raises:
        SignatureMismatch: The header is absent or matches no token, the URL has no
            `bodySHA256`, or the body's hash is not the one signed.
        InvalidValueError: An argument is of the wrong type (`auth_tokens` one string).
    """
    check_request(
        body=body,
        body_kinds=(bytes, bytearray, str),
        secrets=("auth_tokens", auth_tokens),
        texts={"url": url, "signature": signature},
    )
    expected = _body_hash(url)
    if expected is None:
        raise SignatureMismatch(
            TWILIO_SIGNATURE_HEADER, f"URL has no {_BODY_HASH_PARAMETER} query parameter"
        )
    _check(url, "", signature, auth_tokens)
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    actual = hashlib.sha256(raw).hexdigest().encode()
    if not hmac.compare_digest(actual, expected.strip().lower().encode("ascii", "replace")):
        raise SignatureMismatch(
            TWILIO_SIGNATURE_HEADER, f"{_BODY_HASH_PARAMETER} does not match the body"
        )


def _check(url: str, params_text: str, signature: str | None, auth_tokens: Sequence[str]) -> None:
    if not auth_tokens:
        raise SignatureMismatch(TWILIO_SIGNATURE_HEADER, "no auth token configured to check it")
    if signature is None:
        raise SignatureMismatch(TWILIO_SIGNATURE_HEADER, "header missing")
    given = signature.strip().encode("ascii", "replace")
    matched = False
    for token in auth_tokens:
        key = token.encode("utf-8", "surrogatepass")
        for candidate in _url_variants(url):
            message = (candidate + params_text).encode("utf-8", "surrogatepass")
            expected = base64.b64encode(hmac.new(key, message, hashlib.sha1).digest())
            # Check every token and URL, so the time taken does not tell which one matched.
            matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise SignatureMismatch(
            TWILIO_SIGNATURE_HEADER, "does not match the URL and parameters for any auth token"
        )


def _url_variants(url: str) -> tuple[str, ...]:
    """The URL as given, without its port, and with its scheme's default port."""
    parts = _split(url)
    if parts is None:
        return (url,)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: only the URL as given can match
        return (url,)
    if port is None:
        default = _DEFAULT_PORTS.get(parts.scheme.lower(), 80)
        other = parts._replace(netloc=f"{parts.netloc}:{default}")
    else:
        other = parts._replace(netloc=parts.netloc[: parts.netloc.rfind(":")])
    # geturl() may tidy the URL (an empty "?" goes), so the given text is tried as well.
    return tuple(dict.fromkeys((url, parts.geturl(), other.geturl())))


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host
        return None


def _body_hash(url: str) -> str | None:
    parts = _split(url)
    if parts is None:
        return None
    values = parse_qs(parts.query, keep_blank_values=True).get(_BODY_HASH_PARAMETER)
    return values[0] if values else None


# --- reading the body -----------------------------------------------------------------------


def read_twilio_webhook(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    auth_tokens: Sequence[str],
    received_at: datetime,
    max_body_bytes: int = TWILIO_MAX_BODY_BYTES,
) -> tuple[Event, ...]:
    """Verify a Twilio webhook POST and return its event.

    Args:
        url: The URL Twilio requested, exactly as configured there (behind a proxy, rebuild the
            public URL; the one the application server sees often differs in scheme or port).
        body: The raw request body.
        headers: The request headers (any capitalisation).
        auth_tokens: The auth token(s) to verify the signature with.
        received_at: When the host received the request (aware); the `at` of an inbound message.
        max_body_bytes: Larger bodies are refused before anything else.

    Returns:
        One event. A verified JSON-bodied webhook (`bodySHA256`) is not a Messaging callback and
        comes back as an `UnknownEvent` holding the body as text.

    Raises:
        WebhookParseError: The body is too large or is not a form.
        SignatureMismatch: The signature is missing or wrong (checked before interpretation).
        NaiveDatetimeError: `received_at` has no time zone.
        InvalidValueError: `received_at` is before 2009 or after 2100.
    """
    at = receive_time(received_at)
    check_request(
        body=body,
        headers=headers,
        secrets=("auth_tokens", auth_tokens),
        texts={"url": url},
        max_body_bytes=max_body_bytes,
    )
    if len(body) > max_body_bytes:
        raise WebhookParseError(f"body of {len(body)} bytes exceeds {max_body_bytes}")
    signature = find_header(headers, TWILIO_SIGNATURE_HEADER)
    if _body_hash(url) is not None:
        verify_twilio_body_signature(url, body, signature, auth_tokens)
        return (
            UnknownEvent(
                provider=_TWILIO,
                field="body",
                reason=f"JSON-bodied webhook ({_BODY_HASH_PARAMETER}), not a Messaging callback",
                raw=body.decode("utf-8", "replace"),
            ),
        )
    form = parse_twilio_form(body, max_body_bytes=max_body_bytes)
    verify_twilio_signature(url, form, signature, auth_tokens)
    event = _event(form, at)
    key = _callback_key(url)
    if key and isinstance(event, MessageStatus):
        event = attrs.evolve(event, biz_opaque_callback_data=key)
    return (event,)


def _callback_key(url: str) -> str:
    """Return the idempotency key the Twilio client put in the status callback URL, or `""`."""
    parts = _split(url)
    values = parse_qs(parts.query).get(TWILIO_CALLBACK_KEY) if parts is not None else None
    return values[0] if values else ""


def parse_twilio_form(
    body: bytes | str | Mapping[str, str | Sequence[str]],
    *,
    max_body_bytes: int = TWILIO_MAX_BODY_BYTES,
) -> TwilioForm:
    """Decode a form-encoded body (or check an already decoded mapping) into `TwilioForm`.

    Blank values are kept (they are signed too); a name sent several times keeps every value,
    in order, as a tuple.

    Raises:
        WebhookParseError: The body is too large, is not UTF-8, has too many parameters, or a
            mapping holds something other than strings.
    """
    check_request(
        body=body, body_kinds=(bytes, bytearray, str, Mapping), max_body_bytes=max_body_bytes
    )
    if isinstance(body, Mapping):
        return _normalised(body)
    if len(body) > max_body_bytes:
        raise WebhookParseError(f"body of {len(body)} bytes exceeds {max_body_bytes}")
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FIELDS,
        )
    except ValueError as error:  # UTF-8 errors (raw or percent-encoded) and too many fields
        raise WebhookParseError(f"not a UTF-8 form: {error}") from None
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return {name: _collapsed(values) for name, values in grouped.items()}


def parse_twilio_events(
    body: bytes | str | Mapping[str, str | Sequence[str]],
    *,
    received_at: datetime,
    max_body_bytes: int = TWILIO_MAX_BODY_BYTES,
) -> tuple[Event, ...]:
    """Return the event of a Twilio callback, without checking any signature.

    Use `read_twilio_webhook` for requests from the network; this is for parameters already
    verified (a queue, a replay, a test).

    Args:
        body: The form body, or its decoded parameters.
        received_at: When the host received it (aware); the `at` of an inbound message.
        max_body_bytes: Larger bodies are refused.

    Raises:
        WebhookParseError: The body is not a form (see `parse_twilio_form`).
        NaiveDatetimeError: `received_at` has no time zone.
        InvalidValueError: `received_at` is before 2009 or after 2100.
    """
    at = receive_time(received_at)
    return (_event(parse_twilio_form(body, max_body_bytes=max_body_bytes), at),)


def _normalised(mapping: Mapping[str, str | Sequence[str]]) -> TwilioForm:
    """Check a decoded mapping's types; read every value of multi-value dicts (Django, Flask)."""
    get_all = getattr(mapping, "getlist", None) or getattr(mapping, "getall", None)
    form: TwilioForm = {}
    for name in mapping:
        if not isinstance(name, str):
            raise WebhookParseError(f"parameter name {name!r} is not a string")
        value: object = get_all(name) if callable(get_all) else mapping[name]
        if isinstance(value, str):
            form[name] = value
            continue
        if not isinstance(value, Sequence) or isinstance(value, (bytes, bytearray)):
            raise WebhookParseError(f"parameter {shown(name)} is not a string: {shown(value)}")
        values = list(value)
        if not all(isinstance(item, str) for item in values):
            raise WebhookParseError(f"parameter {name!r} holds a value that is not a string")
        form[name] = _collapsed(values)
    return form


def _collapsed(values: Sequence[str]) -> str | tuple[str, ...]:
    return values[0] if len(values) == 1 else tuple(values)


def _all_values(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


# --- parameters -> event --------------------------------------------------------------------


def _event(form: TwilioForm, at: datetime) -> Event:
    fields = {name: _first(value) for name, value in form.items()}
    message_id = _any(fields, "MessageSid", "SmsSid", "SmsMessageSid")
    if not message_id:
        return _unknown("MessageSid", "no MessageSid: not a Messaging callback", form)
    if not _is_whatsapp(fields):
        shown = f"From={fields.get('From', '')!r}, To={fields.get('To', '')!r}"
        return _unknown("From", f"not a WhatsApp message ({shown})", form)
    status = _any(fields, "MessageStatus", "SmsStatus").strip().lower()
    if status == "received" or (not status and ("Body" in fields or "NumMedia" in fields)):
        return _inbound(fields, form, message_id, at)
    kind = _STATUS_KINDS.get(status)
    if kind is None:
        if not status:
            reason = "neither a status callback nor an inbound message"
        elif status in _INTERIM_STATUSES:
            reason = f"Twilio status {status!r} has no StatusKind equivalent"
        else:
            reason = f"unknown Twilio status {status!r}"
        return _unknown("MessageStatus", reason, form)
    return MessageStatus(
        provider=_TWILIO,
        phone_number_id=_address(fields.get("From", "")),
        message_id=message_id,
        status=kind,
        at=None,
        recipient_id=_address(fields.get("To", "")),
        errors=_errors(fields),
        raw=form,
    )


def _inbound(
    fields: Mapping[str, str], form: TwilioForm, message_id: str, at: datetime
) -> InboundMessage | UnknownEvent:
    wa_id = fields.get("WaId", "") or _address(fields.get("From", ""))
    if not wa_id:
        return _unknown("From", "inbound message without a sender", form)
    return InboundMessage(
        provider=_TWILIO,
        phone_number_id=_address(fields.get("To", "")),
        message_id=message_id,
        at=at,
        type=_message_type(fields),
        wa_id=wa_id,
        profile_name=fields.get("ProfileName", ""),
        text=fields.get("Body", "") or fields.get("ButtonText", ""),
        button_payload=fields.get("ButtonPayload", ""),
        context_id=fields.get("OriginalRepliedMessageSid", ""),
        referral=_referral(fields),
        raw=form,
    )


def _message_type(fields: Mapping[str, str]) -> str:
    """Twilio's `MessageType` when sent; otherwise what the parameters show."""
    declared = fields.get("MessageType", "").strip().lower()
    if declared:
        return declared
    if fields.get("ButtonPayload") or fields.get("ButtonText"):
        return "button"
    if _count(fields.get("NumMedia", "")) > 0:
        major = fields.get("MediaContentType0", "").partition("/")[0].strip().lower()
        return major if major in _MEDIA_KINDS else "document"
    if fields.get("Latitude") and fields.get("Longitude"):
        return "location"
    return "text"


def _referral(fields: Mapping[str, str]) -> Referral | None:
    if not any(fields.get(name) for name in _REFERRAL_PARAMETERS):
        return None
    return Referral(
        source_type=fields.get("ReferralSourceType", ""),
        source_id=fields.get("ReferralSourceId", ""),
        source_url=fields.get("ReferralSourceUrl", ""),
        headline=fields.get("ReferralHeadline", ""),
        ctwa_clid=fields.get("ReferralCtwaClid", ""),
    )


def _errors(fields: Mapping[str, str]) -> tuple[WebhookError, ...]:
    code = decimal_digits(fields.get("ErrorCode", "").strip())
    if code is None:
        return ()
    return (
        WebhookError(
            code=code,
            message=fields.get("ErrorMessage", ""),
            details=fields.get("ChannelStatusMessage", ""),
        ),
    )


def _unknown(field: str, reason: str, form: TwilioForm) -> UnknownEvent:
    return UnknownEvent(provider=_TWILIO, field=field, reason=reason, raw=form)


# --- small readers --------------------------------------------------------------------------


def _first(value: str | tuple[str, ...]) -> str:
    if isinstance(value, str):
        return value
    return value[0] if value else ""


def _any(fields: Mapping[str, str], *names: str) -> str:
    """The first of `names` that is set (Twilio repeats some under legacy names)."""
    return next((fields[name] for name in names if fields.get(name)), "")


def _is_whatsapp(fields: Mapping[str, str]) -> bool:
    addresses = (fields.get("From", ""), fields.get("To", ""))
    return fields.get("ChannelPrefix", "").lower() == "whatsapp" or any(
        address.lower().startswith("whatsapp:") for address in addresses
    )


def _address(value: str) -> str:
    """`whatsapp:+4915123456789` -> `4915123456789`; anything else is kept as sent."""
    if value[:9].lower() == "whatsapp:":
        value = value[9:]
    value = value.strip()
    digits = value.removeprefix("+")
    return digits if digits.isdecimal() and digits.isascii() else value


def _count(value: str) -> int:
    return decimal_digits(value.strip()) or 0
