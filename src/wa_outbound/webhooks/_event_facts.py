"""From webhook events to the core's facts, and an outbound message's delivery status.

A host writes one loop: verify and parse the webhook (`read_meta_webhook`,
`read_twilio_webhook`), turn the events into facts (`facts_from_events`), and apply each fact
to the conversation it names. Facts are idempotent and order-insensitive (see
`wa_outbound._conversation`), so webhooks delivered twice or late are safe to apply as they
come.

Meta does not act on keywords such as "STOP" (the business must: WhatsApp Business Messaging
Policy); `facts_from_events` turns the keywords and button payloads the host names into
opt-out and opt-in facts.

Template events become `TemplateFactFor` items (facts for a `TemplateState`), and phone number
quality, capability and account events become `AccountFactFor` items (facts for an
`AccountHealth`), so one loop feeds every machine:

```python
for item in facts_from_events(events):
    if isinstance(item, ConversationFactFor): ...   # conversations[item.business, item.recipient]
    elif isinstance(item, TemplateFactFor): ...  # templates[item.template_id]
    else: ...                                    # accounts[item.waba_id]
```
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._account import (
    AccountFact,
    AccountRestricted,
    AccountRestrictionLifted,
    AccountViolationReported,
    BusinessVerificationChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    Restriction,
    VerificationStatus,
)
from wa_outbound._errors import InvalidValueError, decimal_digits, expect, member, texts
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    BusinessCallUnanswered,
    CallConnected,
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
from wa_outbound._template_lifecycle import (
    QualityScore,
    TemplateCategoryChanged,
    TemplateFact,
    TemplateQualityChanged,
    TemplateStatusChanged,
)
from wa_outbound._time import UTC, utc
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
    PhoneNumberQualityUpdate,
    StatusKind,
    TemplateCategoryUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UserPreferenceUpdate,
    WebhookError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

__all__ = [
    "DELIVERY_RANK",
    "AccountFactFor",
    "ConversationFactFor",
    "EventFact",
    "MessageDelivery",
    "TemplateFactFor",
    "facts_from_events",
    "track_delivery",
]

_EVENT_TYPES: Final[tuple[type, ...]] = typing.get_args(Event)
"""Every kind of webhook event `facts_from_events` reads."""


@attrs.frozen(kw_only=True)
class ConversationFactFor:
    """A fact and the conversation it belongs to."""

    business: PhoneNumberId
    """The business phone number."""
    recipient: Recipient
    """The user."""
    fact: Fact
    """What happened."""


@attrs.frozen(kw_only=True)
class TemplateFactFor:
    """A fact and the message template it belongs to."""

    waba_id: str
    """The WhatsApp Business Account that owns the template."""
    template_id: str
    """The template's id (one name in one language)."""
    template_name: str
    """The template's name, when the webhook gave it."""
    language: str
    """The template's language, when the webhook gave it."""
    fact: TemplateFact
    """What happened."""


@attrs.frozen(kw_only=True)
class AccountFactFor:
    """A fact and the account (and phone number, where known) it belongs to."""

    waba_id: str
    """The WhatsApp Business Account."""
    display_phone_number: str
    """The phone number concerned, for number-level events; empty for account-wide ones."""
    fact: AccountFact
    """What happened."""


EventFact = ConversationFactFor | TemplateFactFor | AccountFactFor
"""What `facts_from_events` returns: a fact and the state it belongs to."""


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


def _keywords(field: str, values: Collection[str]) -> frozenset[str]:
    return frozenset(value.strip().casefold() for value in texts(field, values))


def facts_from_events(
    events: Iterable[Event],
    *,
    stop_keywords: Collection[str] = (),
    start_keywords: Collection[str] = (),
    marketing_stop_payloads: Collection[str] = (),
    received_at: datetime | None = None,
) -> tuple[EventFact, ...]:
    """Return the facts the events imply, each with the state it belongs to, in order.

    Args:
        events: Parsed webhook events.
        stop_keywords: Message texts that mean "stop everything" (e.g. `"STOP"`); compared
            case-insensitively after stripping spaces.
        start_keywords: Message texts that mean a new opt-in (e.g. `"START"`).
        marketing_stop_payloads: Button payloads (or texts) that mean "stop marketing".
        received_at: When the webhook arrived, for events that carry no time (Twilio status
            callbacks); such events yield no facts when it is not given.

    Conversation facts come as `ConversationFactFor`, template facts as `TemplateFactFor`,
    account health facts as `AccountFactFor`. Events with no usable identity or no time, and
    events with no fact to give (unknown events, a number's onboarding), yield nothing.

    Raises:
        NaiveDatetimeError: `received_at` has no time zone.
        InvalidValueError: a keyword list is one string (it would be read letter by letter)
            or holds something other than text.
    """
    fallback = None if received_at is None else utc("received_at", received_at)
    stops = _keywords("stop_keywords", stop_keywords)
    starts = _keywords("start_keywords", start_keywords)
    marketing_stops = _keywords("marketing_stop_payloads", marketing_stop_payloads)
    found: list[EventFact] = []
    if isinstance(events, (str, bytes, bytearray, Mapping)) or not isinstance(events, Iterable):
        raise InvalidValueError("events", events, "expected a collection of webhook events")
    for index, event in enumerate(events):
        if event.__class__ not in _EVENT_TYPES:
            expect(f"events[{index}]", event, _EVENT_TYPES)
        if isinstance(event, (TemplateStatusUpdate, TemplateQualityUpdate, TemplateCategoryUpdate)):
            found.extend(_template_facts(event))
        elif isinstance(event, (PhoneNumberQualityUpdate, BusinessCapabilityUpdate, AccountUpdate)):
            found.extend(_account_facts(event))
        else:
            found.extend(
                ConversationFactFor(business=business, recipient=recipient, fact=fact)
                for business, recipient, fact in _facts(
                    event, stops, starts, marketing_stops, fallback
                )
            )
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
    if isinstance(event, MessageStatus):
        return _status(event, fallback)
    read = _READERS.get(type(event))
    return [] if read is None else read(event)


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


def _echo(event: MessageEcho) -> list[_Found]:
    """A message sent from the WhatsApp Business app is an outbound message all the same."""
    business, recipient = _business(event.phone_number_id), _recipient(event.to)
    if business is None or recipient is None:
        return []
    return [(business, recipient, OutboundMessageSent(at=event.at, message_id=event.message_id))]


def _call(event: CallEvent) -> list[_Found]:
    """A user's call opens the window; a call's end says whether it connected.

    A `terminate` with a duration, or a business call's `COMPLETED` one, connected; a business
    call that ended otherwise went unanswered (a call that also connected never counts so).
    """
    business = _business(event.phone_number_id)
    recipient = _recipient(event.wa_id, event.user_id)
    at = event.at
    if business is None or recipient is None or at is None:
        return []
    business_initiated = event.direction == "BUSINESS_INITIATED"
    if event.event == "connect":
        if business_initiated:
            return []
        return [(business, recipient, InboundCallReceived(at=at, call_id=event.call_id))]
    if event.event != "terminate":
        return []
    connected = bool(event.duration) or (business_initiated and event.status == "COMPLETED")
    fact: Fact
    if connected:
        fact = CallConnected(at=at, call_id=event.call_id, business_initiated=business_initiated)
    elif business_initiated:
        fact = BusinessCallUnanswered(at=at, call_id=event.call_id)
    else:
        return []
    return [(business, recipient, fact)]


def _call_status(event: CallStatus) -> list[_Found]:
    """A business call the user picked up connected; one the user declined went unanswered."""
    business = _business(event.phone_number_id)
    recipient = _recipient(event.wa_id, event.user_id)
    if business is None or recipient is None:
        return []
    fact: Fact
    if event.status == "ACCEPTED":
        fact = CallConnected(at=event.at, call_id=event.call_id)
    elif event.status == "REJECTED":
        fact = BusinessCallUnanswered(at=event.at, call_id=event.call_id)
    else:
        return []
    return [(business, recipient, fact)]


_READERS: Final[dict[type, Callable[[Any], list[_Found]]]] = {
    CallPermissionReply: _call_permission,
    UserPreferenceUpdate: _preference,
    CallEvent: _call,
    CallStatus: _call_status,
    MessageEcho: _echo,
}
"""The facts of the events that need nothing but themselves."""


# --- templates ------------------------------------------------------------------------------


def _template_facts(
    event: TemplateStatusUpdate | TemplateQualityUpdate | TemplateCategoryUpdate,
) -> list[TemplateFactFor]:
    at = event.at
    if at is None:
        return []
    fact: TemplateFact
    try:
        if isinstance(event, TemplateStatusUpdate):
            fact = TemplateStatusChanged(
                at=at,
                event=event.event,
                reason=event.reason,
                disable_at=_unix_or_none(event.disable_date),
            )
        elif isinstance(event, TemplateQualityUpdate):
            fact = TemplateQualityChanged(
                at=at,
                new=QualityScore(event.new_quality),
                previous=QualityScore(event.previous_quality) if event.previous_quality else None,
            )
        else:
            fact = TemplateCategoryChanged(
                at=at,
                new_category=event.new_category,
                previous_category=event.previous_category,
                correct_category=event.correct_category,
                takes_effect_at=event.category_update_at,
            )
    except (ValueError, InvalidValueError):  # a value the machine does not know: no fact
        return []
    return [
        TemplateFactFor(
            waba_id=event.waba_id,
            template_id=event.template_id,
            template_name=event.template_name,
            language=event.language,
            fact=fact,
        )
    ]


def _unix_or_none(text: str) -> datetime | None:
    seconds = decimal_digits(text)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- account health -------------------------------------------------------------------------


def _account_facts(
    event: PhoneNumberQualityUpdate | BusinessCapabilityUpdate | AccountUpdate,
) -> list[AccountFactFor]:
    at = event.at
    if at is None:
        return []
    try:
        facts = _account_event_facts(event, at)
    except InvalidValueError:  # a value the machine does not know: no fact
        return []
    number = event.display_phone_number if isinstance(event, PhoneNumberQualityUpdate) else ""
    return [
        AccountFactFor(waba_id=event.waba_id, display_phone_number=number, fact=f) for f in facts
    ]


def _limit(raw: Mapping[str, object], primary: str, fallback: str) -> MessagingLimit | None:
    """The limit in `raw[primary]` (or `raw[fallback]`), in any of Meta's spellings."""
    for field in (primary, fallback):
        value = raw.get(field)
        if isinstance(value, (int, str)):
            return MessagingLimit.parse(value, field=field)
        if value is not None:
            raise InvalidValueError(field, value, "expected a limit or a tier string")
    return None


def _account_event_facts(  # noqa: C901, PLR0911 - one branch per documented event
    event: PhoneNumberQualityUpdate | BusinessCapabilityUpdate | AccountUpdate, at: datetime
) -> list[AccountFact]:
    raw = event.raw if isinstance(event.raw, dict) else {}
    if isinstance(event, BusinessCapabilityUpdate):
        limit = _limit(
            raw, "max_daily_conversations_per_business", "max_daily_conversation_per_phone"
        )
        return [] if limit is None else [MessagingLimitChanged(at=at, limit=limit)]
    if isinstance(event, PhoneNumberQualityUpdate):
        if event.event == "FLAGGED":
            return [PhoneNumberStatusChanged(at=at, status=PhoneNumberStatus.FLAGGED)]
        if event.event == "UNFLAGGED":
            return [PhoneNumberStatusChanged(at=at, status=PhoneNumberStatus.CONNECTED)]
        if event.event in {"UPGRADE", "DOWNGRADE"}:
            # THROUGHPUT_UPGRADE also says TIER_UNLIMITED, about throughput: not a limit.
            limit = _limit(raw, "max_daily_conversations_per_business", "current_limit")
            previous = _limit(raw, "old_limit", "old_limit")
            if limit is None:
                return []
            return [MessagingLimitChanged(at=at, limit=limit, previous=previous)]
        return []
    if event.event == "ACCOUNT_RESTRICTION":
        infos = raw.get("restriction_info")
        if not isinstance(infos, list):
            return []
        restrictions = tuple(
            Restriction(
                restriction_type=str(info.get("restriction_type", "")),
                until=_unix_or_none(str(info.get("expiration", ""))),
            )
            for info in infos
            if isinstance(info, dict)
        )
        if not restrictions:
            return [AccountRestrictionLifted(at=at)]
        return [AccountRestricted(at=at, restrictions=restrictions)]
    if event.event == "ACCOUNT_VIOLATION":
        info = raw.get("violation_info")
        kind = info.get("violation_type") if isinstance(info, dict) else None
        return [AccountViolationReported(at=at, violation_type=kind)] if kind else []
    if event.event == "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE":
        info = raw.get("partner_client_certification_info")
        status = info.get("status") if isinstance(info, dict) else None
        verification = _CERTIFICATION.get(str(status))
        if verification is None:
            return []
        return [BusinessVerificationChanged(at=at, status=verification)]
    return []


_CERTIFICATION: Final[dict[str, VerificationStatus]] = {
    "APPROVED": VerificationStatus.VERIFIED,
    "PENDING": VerificationStatus.PENDING,
    "FAILED": VerificationStatus.FAILED,
    "REVOKED": VerificationStatus.REVOKED,
}
"""`partner_client_certification_info.status` -> business verification (DISCARDED: no fact)."""


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


def _status_member(value: object) -> StatusKind:
    return member("status", StatusKind, value)


@attrs.frozen(kw_only=True)
class MessageDelivery:
    """The furthest status an outbound message has reached."""

    message_id: str
    """The message id (`wamid...` or `SM...`)."""
    status: StatusKind = attrs.field(converter=_status_member)
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
    if current is not None:
        expect("current", current, MessageDelivery)
    expect("event", event, MessageStatus)
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
