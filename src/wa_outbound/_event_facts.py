"""From webhook events to the core's facts, and an outbound message's delivery status.

A host writes one loop: verify and parse the webhook (`read_meta_webhook`,
`read_twilio_webhook`), turn the events into facts (`facts_from_events`), and apply each fact
to the conversation it names. Facts are idempotent and order-insensitive (see
`wa_outbound._conversation`), so webhooks delivered twice or late are safe to apply as they
come.

Meta does not act on keywords such as "STOP" (the business must: WhatsApp Business Messaging
Policy); `facts_from_events` turns the keywords and button payloads the host names into
opt-out and opt-in facts.

Template, quality and capability events feed the template and messaging-limit machines, which
consume the events directly; they yield no conversation facts.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._errors import InvalidValueError
from wa_outbound._events import (
    CallEvent,
    CallPermissionReply,
    Event,
    InboundMessage,
    MessageStatus,
    StatusKind,
    UserPreferenceUpdate,
    WebhookError,
)
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    CallPermissionGranted,
    CallPermissionRejected,
    EntryPoint,
    Fact,
    InboundCallReceived,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    ReferralReceived,
    SendRejected,
)
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._rules import rules_at
from wa_outbound._time import utc

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

__all__ = [
    "DELIVERY_RANK",
    "ConversationFact",
    "MessageDelivery",
    "facts_from_events",
    "track_delivery",
]


@attrs.frozen(kw_only=True)
class ConversationFact:
    """A fact and the conversation it belongs to."""

    business: PhoneNumberId
    """The business phone number."""
    recipient: Recipient
    """The user."""
    fact: Fact
    """What happened."""


def _recipient(wa_id: str, user_id: str = "") -> Recipient | None:
    try:
        if wa_id:
            return WaId.parse(wa_id)
        if user_id:
            return BusinessScopedUserId(user_id)
    except InvalidValueError:
        return None
    return None


def _business(phone_number_id: str) -> PhoneNumberId | None:
    digits = phone_number_id.removeprefix("whatsapp:").removeprefix("+")
    try:
        return PhoneNumberId(digits)
    except InvalidValueError:
        return None


def _keywords(values: Collection[str]) -> frozenset[str]:
    return frozenset(value.strip().casefold() for value in values)


def facts_from_events(
    events: Iterable[Event],
    *,
    stop_keywords: Collection[str] = (),
    start_keywords: Collection[str] = (),
    marketing_stop_payloads: Collection[str] = (),
    received_at: datetime | None = None,
) -> tuple[ConversationFact, ...]:
    """Return the conversation facts the events imply, in the events' order.

    Args:
        events: Parsed webhook events.
        stop_keywords: Message texts that mean "stop everything" (e.g. `"STOP"`); compared
            case-insensitively after stripping spaces.
        start_keywords: Message texts that mean a new opt-in (e.g. `"START"`).
        marketing_stop_payloads: Button payloads (or texts) that mean "stop marketing".
        received_at: When the webhook arrived, for events that carry no time (Twilio status
            callbacks); such events yield no facts when it is not given.

    Events with no usable business number or user identity, and events about templates,
    quality or limits, yield no conversation facts.

    Raises:
        NaiveDatetimeError: `received_at` has no time zone.
    """
    fallback = None if received_at is None else utc("received_at", received_at)
    stops, starts = _keywords(stop_keywords), _keywords(start_keywords)
    marketing_stops = _keywords(marketing_stop_payloads)
    found: list[ConversationFact] = []
    for event in events:
        for business, recipient, fact in _facts(event, stops, starts, marketing_stops, fallback):
            found.append(ConversationFact(business=business, recipient=recipient, fact=fact))
    return tuple(found)


_Found = tuple[PhoneNumberId, Recipient, Fact]


def _facts(
    event: Event,
    stops: frozenset[str],
    starts: frozenset[str],
    marketing_stops: frozenset[str],
    fallback: datetime | None,
) -> list[_Found]:
    if isinstance(event, InboundMessage):
        return _inbound(event, stops, starts, marketing_stops)
    if isinstance(event, CallPermissionReply):
        return _call_permission(event)
    if isinstance(event, MessageStatus):
        return _status(event, fallback)
    if isinstance(event, UserPreferenceUpdate):
        return _preference(event)
    if isinstance(event, CallEvent):
        return _call(event)
    return []


def _inbound(
    event: InboundMessage,
    stops: frozenset[str],
    starts: frozenset[str],
    marketing_stops: frozenset[str],
) -> list[_Found]:
    business, recipient = _business(event.phone_number_id), _recipient(event.wa_id, event.user_id)
    if business is None or recipient is None:
        return []
    at = event.at
    facts: list[Fact] = []
    referral = event.referral
    if referral is not None:
        entry = (
            EntryPoint.CLICK_TO_WHATSAPP_AD
            if referral.source_type == "ad"
            else EntryPoint.FACEBOOK_PAGE_BUTTON
        )
        facts.append(
            ReferralReceived(
                at=at, entry_point=entry, source_id=referral.source_id, message_id=event.message_id
            )
        )
    else:
        facts.append(InboundMessageReceived(at=at, message_id=event.message_id))
    stop = _matching(event, stops)
    start = _matching(event, starts) if stop is None else None
    marketing = _matching(event, marketing_stops) if stop is None and start is None else None
    if stop is not None:
        facts.append(OptOutReceived(at=at, scope=OptOutScope.ALL, method=f"keyword {stop}"))
    elif start is not None:
        facts.append(OptInRecorded(at=at, method=f"keyword {start}"))
    elif marketing is not None:
        facts.append(
            OptOutReceived(at=at, scope=OptOutScope.MARKETING, method=f"button {marketing}")
        )
    return [(business, recipient, fact) for fact in facts]


def _matching(event: InboundMessage, words: frozenset[str]) -> str | None:
    """Return the message text or button payload that is one of `words`, as the user sent it."""
    for said in (event.text.strip(), event.button_payload.strip()):
        if said and said.casefold() in words:
            return said
    return None


def _call_permission(event: CallPermissionReply) -> list[_Found]:
    business, recipient = _business(event.phone_number_id), _recipient(event.wa_id)
    if business is None or recipient is None:
        return []
    at = event.at
    answer: Fact
    if not event.accepted:
        answer = CallPermissionRejected(at=at)
    elif event.permanent:
        answer = CallPermissionGranted(at=at)
    else:
        expires = event.expires_at
        if expires is None or expires <= at:
            # A temporary grant always has an end; if the platform left it out, use the rules'.
            expires = at + rules_at(at).call_permission_temporary_validity.value
        answer = CallPermissionGranted(at=at, expires_at=expires)
    return [
        (business, recipient, InboundMessageReceived(at=at, message_id=event.message_id)),
        (business, recipient, answer),
    ]


def _status(event: MessageStatus, fallback: datetime | None) -> list[_Found]:
    business, recipient = _business(event.phone_number_id), _recipient(event.recipient_id)
    at = event.at if event.at is not None else fallback
    if business is None or recipient is None or at is None:
        return []
    if event.status is StatusKind.SENT:
        return [(business, recipient, OutboundMessageSent(at=at, message_id=event.message_id))]
    return [
        (
            business,
            recipient,
            SendRejected(
                at=at, provider=event.provider, code=error.code, message_id=event.message_id
            ),
        )
        for error in event.errors
        if (event.provider, error.code) in AUTHORITATIVE_CODES
    ]


def _preference(event: UserPreferenceUpdate) -> list[_Found]:
    business, recipient = _business(event.phone_number_id), _recipient(event.wa_id)
    if business is None or recipient is None:
        return []
    if event.value == "stop":
        fact: Fact = OptOutReceived(
            at=event.at, scope=OptOutScope.MARKETING, method="stop promotions (user_preferences)"
        )
    elif event.value == "resume":
        fact = MarketingResumed(at=event.at)
    else:
        return []
    return [(business, recipient, fact)]


def _call(event: CallEvent) -> list[_Found]:
    business, recipient = _business(event.phone_number_id), _recipient(event.wa_id)
    if business is None or recipient is None or event.at is None:
        return []
    if event.direction == "BUSINESS_INITIATED" or event.event != "connect":
        return []
    return [(business, recipient, InboundCallReceived(at=event.at, call_id=event.call_id))]


# --- delivery status ------------------------------------------------------------------------


class _Rank(enum.IntEnum):
    SENT = 1
    FAILED = 2
    DELIVERED = 3
    READ = 4
    PLAYED = 5
    DELETED = 6


DELIVERY_RANK: Final[dict[StatusKind, int]] = {
    StatusKind.SENT: _Rank.SENT,
    StatusKind.FAILED: _Rank.FAILED,
    StatusKind.UNDELIVERED: _Rank.FAILED,
    StatusKind.DELIVERED: _Rank.DELIVERED,
    StatusKind.READ: _Rank.READ,
    StatusKind.PLAYED: _Rank.PLAYED,
    StatusKind.DELETED: _Rank.DELETED,
}
"""How far along each status is. A status never moves back: a late `delivered` after `read`
is ignored, and a `failed` never overrides a `delivered`."""


@attrs.frozen(kw_only=True)
class MessageDelivery:
    """The furthest status an outbound message has reached."""

    message_id: str
    """The message id (`wamid...` or `SM...`)."""
    status: StatusKind
    """The furthest status reported."""
    at: datetime | None = None
    """When that status happened, if the platform said."""
    errors: tuple[WebhookError, ...] = ()
    """The errors reported with a failure."""
    biz_opaque_callback_data: str = ""
    """The tracking string the business attached when sending."""


def track_delivery(current: MessageDelivery | None, event: MessageStatus) -> MessageDelivery:
    """Return the delivery after `event`: never backwards, and the same event twice is once.

    Raises:
        InvalidValueError: `event` is about another message than `current`.
    """
    if current is not None and current.message_id != event.message_id:
        raise InvalidValueError(
            "event.message_id", event.message_id, f"this delivery tracks {current.message_id!r}"
        )
    new_rank = DELIVERY_RANK[event.status]
    if current is not None:
        old_rank = DELIVERY_RANK[current.status]
        if new_rank < old_rank:
            return current
        if new_rank == old_rank and _earlier_or_same(current.at, event.at):
            return current
    return MessageDelivery(
        message_id=event.message_id,
        status=event.status,
        at=event.at,
        errors=event.errors,
        biz_opaque_callback_data=event.biz_opaque_callback_data
        or (current.biz_opaque_callback_data if current is not None else ""),
    )


def _earlier_or_same(kept: datetime | None, new: datetime | None) -> bool:
    """Whether the kept instant should stay: it is known and not later than the new one."""
    if new is None:
        return True
    return kept is not None and kept <= new
