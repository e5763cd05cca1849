"""Facts: what happened, in the past tense, as the platform or the host reports it.

A `Conversation` changes only by applying facts. Each fact carries the instant it happened
(`at`, aware UTC), so facts may be applied late, twice or out of order; `Conversation.apply`
is idempotent and never lets an older fact undo a newer one.

`wa_outbound.webhooks.facts_from_events` produces these facts from Meta's and Twilio's
webhooks; a host may also build them by hand, for example `OptInRecorded` from its own sign-up
form.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Final

import attrs

from wa_outbound._errors import InvalidValueError, decimal_digits, member, shown, whole
from wa_outbound._time import utc

__all__ = [
    "BusinessCallUnanswered",
    "CallConnected",
    "CallPermissionGranted",
    "CallPermissionRejected",
    "CallPermissionRequested",
    "CallPermissionRevoked",
    "EntryPoint",
    "Fact",
    "InboundCallReceived",
    "InboundMessageReceived",
    "MarketingResumed",
    "OptInRecorded",
    "OptOutReceived",
    "OptOutScope",
    "OutboundMessageSent",
    "Provider",
    "ReferralReceived",
    "SendRejected",
]


def at_field(value: datetime) -> datetime:
    """Converter for a fact's `at`: an aware instant, normalised to UTC."""
    return utc("at", value)


def _expires_at(value: datetime | None) -> datetime | None:
    return None if value is None else utc("expires_at", value)


def _code(value: object) -> int:
    """Converter for `SendRejected.code`: a whole number, or its ASCII decimal text."""
    number = decimal_digits(value) if isinstance(value, str) else None
    return whole("code", value if number is None else number, minimum=0)


def text_field(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """Validator: the field holds text (possibly empty)."""
    if not isinstance(value, str):
        raise InvalidValueError(attribute.name, value, "expected text")


def non_empty_field(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """Validator: the field holds text that is not blank."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(attribute.name, value, "must not be empty")


class Provider(enum.Enum):
    """Who carried a message: Meta's Cloud API directly, or Twilio reselling it."""

    META = "meta"
    """WhatsApp Cloud API (graph.facebook.com)."""
    TWILIO = "twilio"
    """Twilio's Programmable Messaging for WhatsApp."""


class EntryPoint(enum.Enum):
    """Where a user came from when a message carries referral data."""

    CLICK_TO_WHATSAPP_AD = "ad"
    """A click-to-WhatsApp ad on Facebook or Instagram."""
    FACEBOOK_PAGE_BUTTON = "page"
    """The call-to-action button of a Facebook Page."""


class OptOutScope(enum.Enum):
    """What a user stopped."""

    MARKETING = "marketing"
    """Marketing messages only (the platform's "Stop promotions", or a host keyword)."""
    ALL = "all"
    """Every business-initiated message and call (e.g. the user wrote "STOP")."""


@attrs.frozen(kw_only=True)
class InboundMessageReceived:
    """The user sent the business a message; opens or refreshes the customer service window."""

    at: datetime = attrs.field(converter=at_field)
    """When the user sent it (the webhook's `timestamp`)."""
    message_id: str = attrs.field(default="", validator=text_field)
    """The platform's message id (`wamid...` or Twilio `SM...`), if known."""


@attrs.frozen(kw_only=True)
class InboundCallReceived:
    """The user called the business; opens the window where the rules say calls do."""

    at: datetime = attrs.field(converter=at_field)
    """When the call started."""
    call_id: str = attrs.field(default="", validator=text_field)
    """The platform's call id, if known."""


def _entry_point_member(value: object) -> EntryPoint:
    return member("entry_point", EntryPoint, value)


@attrs.frozen(kw_only=True)
class ReferralReceived:
    """The user messaged from an ad or a Facebook Page button (a message with `referral`).

    It counts as an inbound message too: there is no need to apply both.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the user sent the message."""
    entry_point: EntryPoint = attrs.field(converter=_entry_point_member)
    """Where the user came from."""
    source_id: str = attrs.field(default="", validator=text_field)
    """The ad or post id from the referral (`referral.source_id`)."""
    message_id: str = attrs.field(default="", validator=text_field)
    """The platform's message id, if known."""


@attrs.frozen(kw_only=True)
class OutboundMessageSent:
    """The business sent the user a message (any kind) and the platform accepted it."""

    at: datetime = attrs.field(converter=at_field)
    """When it was sent."""
    message_id: str = attrs.field(default="", validator=text_field)
    """The platform's message id, if known."""


@attrs.frozen(kw_only=True)
class OptInRecorded:
    """The user explicitly agreed to receive messages from the business."""

    at: datetime = attrs.field(converter=at_field)
    """When the user agreed."""
    method: str = attrs.field(validator=non_empty_field)
    """How: "checkout checkbox", "web form", "keyword START", ... (kept as evidence)."""


def _scope_member(value: object) -> OptOutScope:
    return member("scope", OptOutScope, value)


@attrs.frozen(kw_only=True)
class OptOutReceived:
    """The user asked to stop receiving messages (all, or marketing only)."""

    at: datetime = attrs.field(converter=at_field)
    """When the user asked."""
    scope: OptOutScope = attrs.field(default=OptOutScope.ALL, converter=_scope_member)
    """What the user stopped."""
    method: str = attrs.field(default="", validator=text_field)
    """How: "keyword STOP", "stop promotions button", "support ticket", ..."""


@attrs.frozen(kw_only=True)
class MarketingResumed:
    """The user resumed marketing messages (the platform's "Resume promotions")."""

    at: datetime = attrs.field(converter=at_field)
    """When the user resumed them."""


def _after_at(instance: CallPermissionGranted, _attribute: object, value: datetime | None) -> None:
    if value is not None and value <= instance.at:
        raise InvalidValueError("expires_at", value, f"must be after at={shown(instance.at)}")


@attrs.frozen(kw_only=True)
class CallPermissionGranted:
    """The user allowed the business to call them, until `expires_at` or for good."""

    at: datetime = attrs.field(converter=at_field)
    """When the user granted it."""
    expires_at: datetime | None = attrs.field(
        default=None, converter=_expires_at, validator=_after_at
    )
    """End of a temporary permission; `None` for a permanent one."""


@attrs.frozen(kw_only=True)
class CallPermissionRejected:
    """The user declined the business's call permission request."""

    at: datetime = attrs.field(converter=at_field)
    """When the user declined."""


@attrs.frozen(kw_only=True)
class CallPermissionRevoked:
    """The user withdrew a call permission granted earlier."""

    at: datetime = attrs.field(converter=at_field)
    """When the user withdrew it."""


def _provider_member(value: object) -> Provider:
    return member("provider", Provider, value)


@attrs.frozen(kw_only=True)
class CallPermissionRequested:
    """The business sent the user a call permission request (free-form or template).

    Requests are limited per user (`call_permission_requests_per_day` and `_per_week`); a
    connected call resets the count.
    """

    at: datetime = attrs.field(converter=at_field)
    """When it was sent."""
    message_id: str = attrs.field(default="", validator=text_field)
    """The request message's id, if known (two requests at one instant count once without)."""


@attrs.frozen(kw_only=True)
class CallConnected:
    """A call between the business and the user connected (the user, or the business, picked up).

    It resets the call permission request limits and the count of unanswered calls; a
    business-initiated one counts against `business_calls_connected_per_day`.
    """

    at: datetime = attrs.field(converter=at_field)
    """When it connected (or, from a `terminate` webhook, ended)."""
    call_id: str = attrs.field(default="", validator=text_field)
    """The platform's call id, if known (the same call reported twice counts once)."""
    business_initiated: bool = True
    """Whether the business placed the call."""


@attrs.frozen(kw_only=True)
class BusinessCallUnanswered:
    """A business-initiated call was not answered: rejected, missed or failed.

    After `call_permission_revoked_after_unanswered` of them in a row the platform revokes the
    user's call permission.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the call ended unanswered."""
    call_id: str = attrs.field(default="", validator=text_field)
    """The platform's call id, if known (a call that also connected never counts here)."""


@attrs.frozen(kw_only=True)
class SendRejected:
    """The platform refused or failed a business message with an error code.

    Some codes are authoritative about the conversation (see `AUTHORITATIVE_CODES`): 131047
    (Meta) and 63016 (Twilio) mean the customer service window is closed, whatever the local
    clock says; 131050 (Meta) and 63033 (Twilio) mean the user stopped marketing messages.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported the failure."""
    provider: Provider = attrs.field(converter=_provider_member)
    """Who reported it."""
    code: int = attrs.field(converter=_code)
    """The provider's error code."""
    message_id: str = attrs.field(default="", validator=text_field)
    """The failed message's id, if known."""


class CodeMeaning(enum.Enum):
    """What an authoritative error code says about the conversation."""

    WINDOW_CLOSED = "window_closed"
    """The customer service window is closed."""
    MARKETING_OPTED_OUT = "marketing_opted_out"
    """The user stopped marketing messages from this business number."""


AUTHORITATIVE_CODES: Final[dict[tuple[Provider, int], CodeMeaning]] = {
    # Meta "Cloud API error codes": 131047 Re-engagement message, "more than 24 hours have
    # passed since the recipient last replied to the sender number".
    (Provider.META, 131047): CodeMeaning.WINDOW_CLOSED,
    # Twilio error 63016: "Failed to send freeform message because you are outside the
    # allowed window" (https://www.twilio.com/docs/api/errors/63016).
    (Provider.TWILIO, 63016): CodeMeaning.WINDOW_CLOSED,
    # Meta "Cloud API error codes": 131050, the user stopped marketing messages.
    (Provider.META, 131050): CodeMeaning.MARKETING_OPTED_OUT,
    # Twilio error 63033: "you send a WhatsApp template that is categorized as Marketing to a
    # recipient who has opted out of receiving your marketing messages" (Twilio's page, read on
    # its docs host live.docs.dev.twilio.com; see the taxonomy's source for 63033).
    (Provider.TWILIO, 63033): CodeMeaning.MARKETING_OPTED_OUT,
}
"""Error codes that say something certain about the conversation, by (provider, code).

`Conversation.apply(SendRejected(...))` uses them; any other code leaves the conversation as
it was (the error taxonomy decides what to do about it).
"""

Fact = (
    InboundMessageReceived
    | InboundCallReceived
    | ReferralReceived
    | OutboundMessageSent
    | OptInRecorded
    | OptOutReceived
    | MarketingResumed
    | CallPermissionGranted
    | CallPermissionRejected
    | CallPermissionRevoked
    | CallPermissionRequested
    | CallConnected
    | BusinessCallUnanswered
    | SendRejected
)
"""Any fact a `Conversation` can apply."""
