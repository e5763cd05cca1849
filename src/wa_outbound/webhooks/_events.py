"""Typed webhook events: what Meta's and Twilio's webhooks say, one frozen value per event.

Parsers (`wa_outbound.webhooks`) turn raw request bodies into these values; `to_facts` turns
them into the core's facts. Every event keeps the raw JSON object it came from (`raw`), so
nothing the platform sent is lost even where this library does not model it yet, and anything
not understood becomes an `UnknownEvent` instead of an error.

An event whose instant cannot be true becomes an `UnknownEvent` too (`TimestampBounds`): one
from before 2009, when WhatsApp did not exist, and one stamped after the webhook arrived by
more than the rules' clock skew tolerance (or, when the reader is not told when it arrived,
after 2100-01-01). Read as a fact, a Meta `timestamp` of `"99999999999"` (the year 5138) would
hold a customer service window open for three thousand years.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from wa_outbound._errors import (
    InvalidValueError,
    RuleDataError,
    expect,
    flag,
    items_of,
    member,
    whole,
)
from wa_outbound._facts import Provider
from wa_outbound._rules import Rules, builtin_rule_sets, rules_at
from wa_outbound._time import UTC, iso_instant, utc

__all__ = [
    "EARLIEST_EVENT_AT",
    "LATEST_EVENT_AT",
    "AccountUpdate",
    "BusinessCapabilityUpdate",
    "CallEvent",
    "CallPermissionReply",
    "CallStatus",
    "Event",
    "InboundMessage",
    "MessageEcho",
    "MessageStatus",
    "OutOfBandError",
    "PhoneNumberQualityUpdate",
    "Pricing",
    "Referral",
    "StatusConversation",
    "StatusKind",
    "TemplateButtonUpdate",
    "TemplateCategoryUpdate",
    "TemplateComponentsUpdate",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
    "TimestampBounds",
    "UnknownEvent",
    "UserPreferenceUpdate",
    "WebhookError",
    "find_header",
    "receive_time",
]


EARLIEST_EVENT_AT: Final = datetime(2009, 1, 1, tzinfo=UTC)
"""No webhook event happened before this: WhatsApp was founded in 2009 (not a platform rule)."""
LATEST_EVENT_AT: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""The latest instant read when the reader is not told when the webhook arrived: a sanity
bound, not a platform rule; with a receive time, the rules' clock skew tolerance bounds it."""


@attrs.frozen
class TimestampBounds:
    """The instants a webhook's events may carry, and why others are refused.

    Build it with `TimestampBounds.received(received_at, rules)`; a reader turns an event whose
    instant lies outside `[earliest, latest]` into an `UnknownEvent` giving `refusal(at)`.
    """

    earliest: datetime
    """The earliest instant read (`EARLIEST_EVENT_AT`)."""
    latest: datetime
    """The latest instant read: the receive time plus the clock skew tolerance, or
    `LATEST_EVENT_AT` without a receive time."""
    received_at: datetime | None = None
    """When the webhook arrived, if the reader was told."""
    tolerance: timedelta | None = None
    """The clock skew tolerance applied after `received_at`."""

    @classmethod
    def received(cls, received_at: datetime | None, rules: Rules | None = None) -> TimestampBounds:
        """Return the bounds of a webhook received at `received_at` (`None`: not known).

        Args:
            received_at: When the host received the webhook (aware), or `None`.
            rules: The rules whose `clock_skew_tolerance` applies; by default the built-in
                rules in force at `received_at` (the oldest set before it).

        Raises:
            NaiveDatetimeError: `received_at` has no time zone.
            InvalidValueError: `received_at` is before 2009 or after 2100 (a host clock that
                is far off), or `rules` is not `Rules`.
        """
        if received_at is None:
            return _ABSOLUTE
        received_at = receive_time(received_at)
        if rules is None:
            try:
                rules = rules_at(received_at)
            except RuleDataError:
                rules = builtin_rule_sets()[0]
        elif not isinstance(rules, Rules):
            raise InvalidValueError("rules", rules, "expected Rules")
        tolerance = rules.clock_skew_tolerance.value
        return cls(
            earliest=EARLIEST_EVENT_AT,
            latest=received_at + tolerance,
            received_at=received_at,
            tolerance=tolerance,
        )

    def refusal(self, at: datetime) -> str | None:
        """Return why an event stamped `at` is not read, or `None` if it is."""
        if at < self.earliest:
            return (
                f"timestamp {iso_instant(at)} is before {self.earliest.date()}, when WhatsApp"
                " did not exist: not read as a fact"
            )
        if at <= self.latest:
            return None
        if self.received_at is None:
            return (
                f"timestamp {iso_instant(at)} is after {self.latest.date()}: not read as a fact"
                " (pass received_at to check it against the receive time)"
            )
        return (
            f"timestamp {iso_instant(at)} is more than the clock skew tolerance of"
            f" {self.tolerance} after the webhook was received at"
            f" {iso_instant(self.received_at)}: not read as a fact"
        )


def receive_time(received_at: datetime) -> datetime:
    """Return when a webhook was received, in UTC, after checking that it can be true.

    Raises:
        NaiveDatetimeError: `received_at` has no time zone.
        InvalidValueError: `received_at` is before 2009 or after 2100 (a host clock that is far
            off would stamp facts with it).
    """
    received_at = utc("received_at", received_at)
    if not EARLIEST_EVENT_AT <= received_at <= LATEST_EVENT_AT:
        raise InvalidValueError(
            "received_at",
            received_at,
            f"expected an instant between {EARLIEST_EVENT_AT.date()} and"
            f" {LATEST_EVENT_AT.date()}; is the host's clock right?",
        )
    return received_at


_ABSOLUTE: Final = TimestampBounds(earliest=EARLIEST_EVENT_AT, latest=LATEST_EVENT_AT)
"""The bounds of a webhook whose receive time is not known."""


def check_request(
    *,
    body: object = b"",
    body_kinds: tuple[type, ...] = (bytes, bytearray),
    headers: object = None,
    secrets: tuple[str, object] | None = None,
    texts: Mapping[str, object] | None = None,
    max_body_bytes: object = 0,
) -> None:
    """Refuse a webhook function's arguments of the wrong type, naming them (a usage error).

    What came from the network (the body's content, a header's value) is judged by the readers
    and answered with `WebhookParseError` or `SignatureMismatch`; this only checks that the
    calling code passed bytes where bytes go, a mapping of headers, a list of secrets (never one
    string, read letter by letter), text or `None` for a URL or a signature, and a whole
    number of bytes for the size cap.

    Raises:
        InvalidValueError: One of them is of the wrong type.
    """
    expect("body", body, body_kinds)
    if headers is not None:
        expect("headers", headers, Mapping)
    if secrets is not None:
        field, values = secrets
        if isinstance(values, (str, bytes, bytearray)):
            raise InvalidValueError(field, values, "expected a list of secrets, not one string")
        items_of(field, values, (str, bytes))
    for field, value in (texts or {}).items():
        if value is not None:
            expect(field, value, str)
    whole("max_body_bytes", max_body_bytes, minimum=0)


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """Return the header `name` from `headers`, whatever the capitalisation, or `None`."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None


class StatusKind(enum.Enum):
    """Where an outbound message is, as the platform reports it."""

    SENT = "sent"
    """The platform accepted and sent it."""
    DELIVERED = "delivered"
    """It reached the user's device."""
    READ = "read"
    """The user opened it."""
    PLAYED = "played"
    """The user played a voice message."""
    FAILED = "failed"
    """It could not be delivered (see the status's errors)."""
    DELETED = "deleted"
    """The user deleted it (reported by some providers)."""
    UNDELIVERED = "undelivered"
    """Twilio: the carrier could not deliver it."""


def _code(value: object) -> int:
    return whole("code", value)


@attrs.frozen(kw_only=True)
class WebhookError:
    """An error object inside a webhook (`errors[]`)."""

    code: int = attrs.field(converter=_code)
    """The provider's error code (for example 131047, or Twilio's 63016)."""
    title: str = ""
    """Short title."""
    message: str = ""
    """Message text."""
    details: str = ""
    """`error_data.details`: the human-readable detail."""


@attrs.frozen(kw_only=True)
class Referral:
    """Where the user came from: a click-to-WhatsApp ad or a Facebook Page post."""

    source_type: str
    """`ad` or `post`."""
    source_id: str = ""
    """The ad or post id."""
    source_url: str = ""
    """The ad or post URL."""
    headline: str = ""
    """The ad's headline."""
    ctwa_clid: str = ""
    """Click id of a click-to-WhatsApp ad."""


@attrs.frozen(kw_only=True)
class StatusConversation:
    """The `conversation` object of a status (conversation-based pricing era)."""

    id: str
    """Conversation id."""
    origin_type: str = ""
    """Category that opened it: `marketing`, `utility`, `service`, `referral_conversion`, ..."""
    expires_at: datetime | None = None
    """When it expires (only on the first `sent` status)."""


@attrs.frozen(kw_only=True)
class Pricing:
    """The `pricing` object of a status."""

    billable: bool | None = None
    """Whether the message is charged (deprecated by Meta; may be absent)."""
    pricing_model: str = ""
    """`CBP` (conversation-based, until 2025-06-30) or `PMP` (per-message)."""
    category: str = ""
    """`marketing`, `utility`, `authentication`, `authentication_international`, `service`, ..."""
    type: str = ""
    """`regular`, `free_customer_service` or `free_entry_point` (per-message pricing)."""


def _provider(value: object) -> Provider:
    return member("provider", Provider, value)


@attrs.frozen(kw_only=True)
class InboundMessage:
    """A message a user sent to the business (`messages[]`)."""

    provider: Provider = attrs.field(converter=_provider)
    """Who delivered the webhook."""
    phone_number_id: str
    """The business phone number that received it (Twilio: the `To` address)."""
    message_id: str
    """The message id (`wamid...` or Twilio `SM...`)."""
    at: datetime
    """When the user sent it."""
    type: str
    """`text`, `image`, `button`, `interactive`, `location`, ..."""
    wa_id: str = ""
    """The user's WhatsApp id (phone number digits), when given."""
    user_id: str = ""
    """The user's business-scoped user id, when given."""
    profile_name: str = ""
    """The user's profile name, when given."""
    text: str = ""
    """Text body, button text or reply title, when the message has one."""
    button_payload: str = ""
    """Payload of a quick-reply button (for example a marketing opt-out button)."""
    context_id: str = ""
    """The message this one replies to."""
    referral: Referral | None = None
    """Set when the user came from an ad or a Facebook Page button."""
    waba_id: str = ""
    """The WhatsApp Business Account (`entry.id`)."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The message object as received."""


def _accepted(value: object) -> bool:
    return flag("accepted", value)


def _permanent(value: object) -> bool:
    return flag("permanent", value)


@attrs.frozen(kw_only=True)
class CallPermissionReply:
    """A user's answer to a call permission request (`interactive.call_permission_reply`)."""

    provider: Provider = attrs.field(converter=_provider)
    """Who delivered the webhook."""
    phone_number_id: str
    """The business phone number."""
    message_id: str
    """The reply's message id."""
    at: datetime
    """When the user answered."""
    wa_id: str
    """The user."""
    accepted: bool = attrs.field(converter=_accepted)
    """Whether the user accepted."""
    permanent: bool = attrs.field(default=False, converter=_permanent)
    """Whether the permission is permanent."""
    expires_at: datetime | None = None
    """End of a temporary permission."""
    response_source: str = ""
    """`user_action` or `automatic` (the user called with callback permission on)."""
    waba_id: str = ""
    """The WhatsApp Business Account."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The message object as received."""


def _status(value: object) -> StatusKind:
    return member("status", StatusKind, value)


@attrs.frozen(kw_only=True)
class MessageStatus:
    """A status of an outbound message (`statuses[]`, or a Twilio status callback)."""

    provider: Provider = attrs.field(converter=_provider)
    """Who delivered the webhook."""
    phone_number_id: str
    """The business phone number that sent the message."""
    message_id: str
    """The message id (`wamid...` or `SM...`)."""
    status: StatusKind = attrs.field(converter=_status)
    """Where the message is."""
    at: datetime | None
    """When the status happened (Twilio callbacks carry no time)."""
    recipient_id: str = ""
    """The user (wa_id), when given."""
    biz_opaque_callback_data: str = ""
    """The tracking string the business attached when sending."""
    conversation: StatusConversation | None = None
    """Conversation object, if present."""
    pricing: Pricing | None = None
    """Pricing object, if present."""
    errors: tuple[WebhookError, ...] = ()
    """Why it failed, for `failed` / `undelivered`."""
    waba_id: str = ""
    """The WhatsApp Business Account."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The status object as received."""


@attrs.frozen(kw_only=True)
class OutOfBandError:
    """Errors reported outside any message (`value.errors[]`)."""

    phone_number_id: str
    """The business phone number concerned, if any."""
    errors: tuple[WebhookError, ...]
    """The errors."""
    waba_id: str = ""
    """The WhatsApp Business Account."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class TemplateStatusUpdate:
    """`message_template_status_update`: a template was approved, paused, disabled, ..."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    event: str
    """`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `FLAGGED`, `PENDING_DELETION`, ..."""
    template_id: str
    """The template's id."""
    template_name: str = ""
    """Its name."""
    language: str = ""
    """Its language code."""
    reason: str = ""
    """Rejection reason, when given."""
    category: str = ""
    """Its category, when given."""
    disable_date: str = ""
    """For flagged templates: when it will be disabled."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class TemplateQualityUpdate:
    """`message_template_quality_update`: a template's quality score changed."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    template_id: str
    """The template's id."""
    previous_quality: str
    """`GREEN`, `YELLOW`, `RED` or `UNKNOWN`."""
    new_quality: str
    """`GREEN`, `YELLOW`, `RED` or `UNKNOWN`."""
    template_name: str = ""
    """Its name."""
    language: str = ""
    """Its language code."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class TemplateCategoryUpdate:
    """`template_category_update`: Meta will change, or changed, a template's category."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    template_id: str
    """The template's id."""
    new_category: str
    """The category it gets."""
    previous_category: str = ""
    """The category it had (completed changes)."""
    correct_category: str = ""
    """The category Meta considers correct (impending changes)."""
    category_update_at: datetime | None = None
    """When an impending change takes effect."""
    template_name: str = ""
    """Its name."""
    language: str = ""
    """Its language code."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class PhoneNumberQualityUpdate:
    """`phone_number_quality_update`: a number's quality or messaging limit changed."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    display_phone_number: str
    """The number, as displayed."""
    event: str
    """`FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, ..."""
    current_limit: str = ""
    """Messaging tier (`TIER_250`, ...; removed by Meta in February 2026)."""
    old_limit: str = ""
    """Previous tier, when given."""
    max_daily_conversations_per_business: int | None = None
    """The portfolio's messaging limit (-1 = unlimited), when given."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class AccountUpdate:
    """`account_update`: something happened to the WhatsApp Business Account."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    event: str
    """`ACCOUNT_RESTRICTION`, `ACCOUNT_VIOLATION`, `DISABLED_UPDATE`, ..."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received (event-specific details live here)."""


@attrs.frozen(kw_only=True)
class BusinessCapabilityUpdate:
    """`business_capability_update`: the portfolio's limits changed."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    max_daily_conversations_per_business: int | None = None
    """Messaging limit of the business portfolio (-1 = unlimited)."""
    max_daily_conversation_per_phone: int | None = None
    """Per-number limit (removed by Meta in February 2026)."""
    max_phone_numbers_per_business: int | None = None
    """How many numbers the portfolio may have."""
    max_phone_numbers_per_waba: int | None = None
    """How many numbers one account may have."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class UserPreferenceUpdate:
    """`user_preferences`: a user stopped or resumed marketing messages."""

    waba_id: str
    """The WhatsApp Business Account."""
    phone_number_id: str
    """The business phone number the preference applies to."""
    wa_id: str
    """The user."""
    at: datetime
    """When the user changed it."""
    value: str
    """`stop` or `resume`."""
    category: str = ""
    """`marketing_messages`."""
    detail: str = ""
    """Meta's sentence."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The preference object as received."""


@attrs.frozen(kw_only=True)
class CallEvent:
    """A call webhook (`calls[]` of a `calls` change): a call connected or terminated.

    Meta, Calling API reference ("Call connect webhook", "Call terminate webhook"): a user's
    call arrives as `connect` with `direction: USER_INITIATED`; every call ends with a
    `terminate` whose `status` is `COMPLETED` or `FAILED`, with `duration` (seconds) when it
    connected.
    """

    waba_id: str
    """The WhatsApp Business Account."""
    phone_number_id: str
    """The business phone number."""
    call_id: str
    """The call's id."""
    event: str
    """`connect`, `terminate`, ..."""
    at: datetime | None
    """When."""
    wa_id: str = ""
    """The user (`from` for user-initiated calls, `to` for business-initiated ones)."""
    direction: str = ""
    """`USER_INITIATED` or `BUSINESS_INITIATED`."""
    user_id: str = ""
    """The user's business-scoped user id (`from_user_id` / `to_user_id`), when given."""
    status: str = ""
    """A `terminate`'s outcome: `COMPLETED` or `FAILED`."""
    duration: int | None = None
    """A `terminate`'s length in seconds, when the call connected."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The call object as received."""


@attrs.frozen(kw_only=True)
class CallStatus:
    """A business-initiated call's progress (`statuses[]` of a `calls` change, `type: call`).

    Meta, Calling API reference ("Call status webhook"): `RINGING` when the user's phone rings,
    `ACCEPTED` when the user picks up, `REJECTED` when the user declines.
    """

    waba_id: str
    """The WhatsApp Business Account."""
    phone_number_id: str
    """The business phone number that called."""
    call_id: str
    """The call's id."""
    status: str
    """`RINGING`, `ACCEPTED`, `REJECTED`, ..."""
    at: datetime
    """When."""
    wa_id: str = ""
    """The user called (`recipient_id`), when given."""
    user_id: str = ""
    """The user's business-scoped user id (`recipient_user_id`), when given."""
    biz_opaque_callback_data: str = ""
    """The tracking string the business attached to the call."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The status object as received."""


@attrs.frozen(kw_only=True)
class MessageEcho:
    """`smb_message_echoes`: the business sent a message from the WhatsApp Business app.

    Sent on a number used with both the WhatsApp Business app (or a companion device) and the
    Cloud API ("coexistence"): the Cloud API did not send it, but it reached the user all the
    same, so it is an outbound message of the conversation.
    """

    waba_id: str
    """The WhatsApp Business Account."""
    phone_number_id: str
    """The business phone number that sent it."""
    message_id: str
    """The message id (`wamid...`)."""
    at: datetime
    """When it was sent (the webhook's `timestamp`)."""
    to: str
    """The user it went to (phone number digits, as Meta writes them)."""
    type: str
    """`text`, `image`, ..."""
    text: str = ""
    """Text body or caption, when it has one."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The echo object as received."""


@attrs.frozen(kw_only=True)
class TemplateButtonUpdate:
    """A button of an edited template (`message_template_buttons[]`)."""

    type: str
    """`URL`, `PHONE_NUMBER`, `QUICK_REPLY`, `COPY_CODE`, ..."""
    text: str = ""
    """The button's label."""
    url: str = ""
    """A URL button's address."""
    phone_number: str = ""
    """A phone-number button's number."""


@attrs.frozen(kw_only=True)
class TemplateComponentsUpdate:
    """`message_template_components_update`: a template was edited; its new texts and buttons."""

    waba_id: str
    """The WhatsApp Business Account."""
    at: datetime | None
    """When (`entry.time`)."""
    template_id: str
    """The template's id."""
    template_name: str = ""
    """Its name."""
    language: str = ""
    """Its language code."""
    body: str = ""
    """The body text (`message_template_element`)."""
    header: str = ""
    """The text header (`message_template_title`), when it has one."""
    footer: str = ""
    """The footer (`message_template_footer`), when it has one."""
    buttons: tuple[TemplateButtonUpdate, ...] = ()
    """Its URL and phone-number buttons (`message_template_buttons`)."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """The value object as received."""


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """Anything the parser did not recognise or could not read: kept, never dropped."""

    provider: Provider = attrs.field(converter=_provider)
    """Who delivered the webhook."""
    field: str
    """The webhook field (`messages`, `flows`, ...) or the part that was not understood."""
    reason: str
    """Why it is unknown: "unsupported field", "missing id", ..."""
    waba_id: str = ""
    """The WhatsApp Business Account, when known."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    """What was received."""


Event = (
    InboundMessage
    | CallPermissionReply
    | MessageStatus
    | OutOfBandError
    | TemplateStatusUpdate
    | TemplateQualityUpdate
    | TemplateCategoryUpdate
    | PhoneNumberQualityUpdate
    | AccountUpdate
    | BusinessCapabilityUpdate
    | UserPreferenceUpdate
    | CallEvent
    | CallStatus
    | MessageEcho
    | TemplateComponentsUpdate
    | UnknownEvent
)
"""Any webhook event."""
