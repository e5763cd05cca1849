"""Routing a webhook batch to the state it changes: pure, no store, no clock.

Theory of operation
-------------------
A batch of webhook events becomes facts (`facts_from_events`) and delivery updates (each
`MessageStatus`). Each names whose state it changes, which gives a `StateKey`:

* a conversation fact: its business number and recipient;
* a template fact: the WhatsApp Business Account, the template's name and language;
* an account fact: every configured `BusinessNumber` it concerns (the one whose display
  number it names, or every number of the account for an account-wide event);
* a delivery update: its message id.

`plan` lists the keys (the shell loads them, with their versions), `route` folds the facts
into the loaded values and says what changed, in words a log line can carry. Facts and
delivery updates are idempotent and order-insensitive, so routing the same batch twice, or
its events in any order, gives the same values; the shell also skips events it has already
processed, by id (`event_id`), so a batch delivered twice is not even folded twice.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._account import AccountHealth, MessagingLimitChanged
from wa_outbound._conversation import (
    ConsentStatus,
    Conversation,
    MarketingStatus,
)
from wa_outbound._errors import InvalidValueError
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._ledger import LimitScopeKey
from wa_outbound._pacing import ThroughputClass
from wa_outbound._rules import rules_at
from wa_outbound._template_lifecycle import TemplateState, TemplateStatus
from wa_outbound.stores._base import StateKey, StateKind, recipient_text
from wa_outbound.webhooks import (
    AccountFactFor,
    ConversationFactFor,
    EventFact,
    MessageDelivery,
    MessageStatus,
    TemplateFactFor,
    track_delivery,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from wa_outbound._rules import Rules
    from wa_outbound.webhooks import Event

__all__ = [
    "BusinessNumber",
    "Change",
    "Routed",
    "account_key",
    "conversation_key",
    "delivery_key",
    "event_id",
    "pacer_key",
    "pair_rate_key",
    "plan",
    "route",
    "sharing_limit",
    "template_key",
]

_GRAPH_ID: Final = re.compile(r"[0-9]{1,32}")
_DIGITS: Final = re.compile(r"[0-9]{0,20}")


def _graph_id(field: str) -> Any:  # noqa: ANN401 - an attrs validator
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or _GRAPH_ID.fullmatch(value) is None:
            raise InvalidValueError(field, value, "expected a numeric Graph API id")

    return check


def _display_digits(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValueError("display_phone_number", value, "expected text")
    digits = re.sub(r"[\s+().-]", "", value)
    if _DIGITS.fullmatch(digits) is None:
        raise InvalidValueError("display_phone_number", value, "expected a phone number")
    return digits


@attrs.frozen(kw_only=True)
class BusinessNumber:
    """One of the business's phone numbers, with the accounts it belongs to.

    Meta's account webhooks name a number by its display form and its WhatsApp Business Account
    (WABA); the messaging limit belongs to the business portfolio. Configure each number once.
    """

    phone_number_id: PhoneNumberId = attrs.field()
    """The number's Graph API id (what sends name)."""
    waba_id: str = attrs.field(validator=_graph_id("waba_id"))
    """The WhatsApp Business Account that owns the number (templates, quota, account events)."""
    portfolio_id: str = attrs.field(validator=_graph_id("portfolio_id"))
    """The business portfolio that owns the account (the messaging limit since 2025-10-07)."""
    display_phone_number: str = attrs.field(default="", converter=_display_digits)
    """The number as people dial it; only digits are kept (`"+1 555-0100"` -> `"15550100"`)."""
    throughput_class: ThroughputClass = attrs.field(default=ThroughputClass.DEFAULT)
    """The number's throughput (Meta raises it to HIGH for eligible numbers)."""

    @throughput_class.validator
    def _check_class(self, _attribute: object, value: object) -> None:
        if not isinstance(value, ThroughputClass):
            raise InvalidValueError("throughput_class", value, "expected a ThroughputClass")

    @phone_number_id.validator
    def _check_number(self, _attribute: object, value: object) -> None:
        if not isinstance(value, PhoneNumberId):
            raise InvalidValueError("phone_number_id", value, "expected a PhoneNumberId")


def conversation_key(business: PhoneNumberId, recipient: Recipient) -> StateKey:
    """The key of the conversation between `business` and `recipient`."""
    if not isinstance(business, PhoneNumberId):
        raise InvalidValueError("business", business, "expected a PhoneNumberId")
    if not isinstance(recipient, (WaId, BusinessScopedUserId)):
        raise InvalidValueError("recipient", recipient, "expected a WaId or BusinessScopedUserId")
    return StateKey(StateKind.CONVERSATION, f"{business.value}/{recipient_text(recipient)}")


def template_key(waba_id: str, name: str, language: str) -> StateKey:
    """The key of a template's state: its account, name and language."""
    return StateKey(StateKind.TEMPLATE, f"{waba_id}/{name}/{language}")


def account_key(business: PhoneNumberId) -> StateKey:
    """The key of the account health of a business phone number."""
    return StateKey(StateKind.ACCOUNT, business.value)


def delivery_key(message_id: str) -> StateKey:
    """The key of a message's delivery tracking."""
    return StateKey(StateKind.DELIVERY, message_id)


def pacer_key(business: PhoneNumberId) -> StateKey:
    """The key of a business phone number's pacer (its throughput bucket)."""
    return StateKey(StateKind.PACER, business.value)


def pair_rate_key(business: PhoneNumberId, recipient: Recipient) -> StateKey:
    """The key of the pair-rate bucket of `business`'s messages to `recipient`."""
    return StateKey(StateKind.PAIR_RATE, conversation_key(business, recipient).subject)


def event_id(event: Event) -> str:
    """A stable id of a webhook event: the same event parsed again gives the same id.

    It digests the event's typed fields (not the raw payload's layout), so a provider's retry
    of the same webhook is recognised.
    """
    return hashlib.sha256(repr(event).encode("utf-8")).hexdigest()[:40]


@attrs.frozen
class Change:
    """What a batch changed in one value, in words a log line can carry."""

    key: StateKey
    """Whose state changed."""
    summary: str
    """What changed (`window open for 4915123456789 until 2026-11-23 10:00 UTC`)."""

    def __str__(self) -> str:
        """Return the summary."""
        return self.summary


@attrs.frozen
class Routed:
    """A batch's items, each with the key of the state it changes."""

    conversations: tuple[tuple[StateKey, ConversationFactFor], ...] = ()
    templates: tuple[tuple[StateKey, TemplateFactFor], ...] = ()
    accounts: tuple[tuple[StateKey, PhoneNumberId, AccountFactFor], ...] = ()
    deliveries: tuple[tuple[StateKey, MessageStatus], ...] = ()
    unrouted: tuple[str, ...] = ()
    """Why some items could not be routed (an account event for a number not configured)."""

    @property
    def keys(self) -> frozenset[StateKey]:
        """Every key the batch changes: what to load before `route`."""
        return frozenset(
            [key for key, _ in self.conversations]
            + [key for key, _ in self.templates]
            + [key for key, _, _ in self.accounts]
            + [key for key, _ in self.deliveries]
        )


def plan(
    facts: Iterable[EventFact],
    events: Iterable[Event],
    numbers: Sequence[BusinessNumber],
    rules: Rules | None = None,
) -> Routed:
    """Say which state each fact and delivery update changes.

    A messaging limit goes to every number that shares it (`sharing_limit`): the portfolio's
    numbers since 2025-10-07, in whichever account; `rules` (default: the rules at the fact's
    instant) tell which.
    """
    conversations: list[tuple[StateKey, ConversationFactFor]] = []
    templates: list[tuple[StateKey, TemplateFactFor]] = []
    accounts: list[tuple[StateKey, PhoneNumberId, AccountFactFor]] = []
    unrouted: list[str] = []
    for item in facts:
        if isinstance(item, ConversationFactFor):
            conversations.append((conversation_key(item.business, item.recipient), item))
        elif isinstance(item, TemplateFactFor):
            key = template_key(item.waba_id, item.template_name, item.language)
            templates.append((key, item))
        else:
            concerned = _numbers_of(item, numbers)
            if concerned and isinstance(item.fact, MessagingLimitChanged):
                at = rules if rules is not None else rules_at(item.fact.at)
                concerned = sharing_limit(concerned, numbers, at)
            if not concerned:
                unrouted.append(
                    f"account event for {item.display_phone_number or 'account ' + item.waba_id}"
                    " of no configured number: ignored"
                )
            accounts.extend(
                (account_key(number.phone_number_id), number.phone_number_id, item)
                for number in concerned
            )
    deliveries = tuple(
        (delivery_key(event.message_id), event)
        for event in events
        if isinstance(event, MessageStatus) and event.message_id
    )
    return Routed(
        conversations=tuple(conversations),
        templates=tuple(templates),
        accounts=tuple(accounts),
        deliveries=deliveries,
        unrouted=tuple(unrouted),
    )


def sharing_limit(
    concerned: Sequence[BusinessNumber], numbers: Sequence[BusinessNumber], rules: Rules
) -> list[BusinessNumber]:
    """The numbers whose messaging limit is one of `concerned`'s, under `rules` (in order)."""

    def scope(number: BusinessNumber) -> LimitScopeKey:
        return LimitScopeKey.under(
            rules, phone_number=number.phone_number_id, portfolio=number.portfolio_id
        )

    scopes = {scope(number) for number in concerned}
    return [number for number in numbers if scope(number) in scopes]


def _numbers_of(item: AccountFactFor, numbers: Sequence[BusinessNumber]) -> list[BusinessNumber]:
    display = re.sub(r"\D", "", item.display_phone_number)
    return [
        number
        for number in numbers
        if number.waba_id == item.waba_id
        and (not display or number.display_phone_number == display)
    ]


def route(
    routed: Routed, loaded: Mapping[StateKey, object], *, now: datetime, rules: Rules
) -> tuple[dict[StateKey, object], tuple[Change, ...]]:
    """Fold the routed items into the loaded values.

    Args:
        routed: What `plan` made of the batch.
        loaded: The current value of each key (a key absent from it starts from scratch).
        now: When the batch is received: what the summaries compare instants with.
        rules: The rules the summaries read (window lengths, pause lengths).

    Returns:
        The values that changed, by key, and what changed in words.
    """
    values: dict[StateKey, Any] = dict(loaded)
    for key, conversation_item in routed.conversations:
        current = values.get(key) or Conversation(
            business=conversation_item.business, recipient=conversation_item.recipient
        )
        values[key] = current.apply(conversation_item.fact)
    for key, template_item in routed.templates:
        current = values.get(key) or TemplateState(
            template_id=template_item.template_id,
            name=template_item.template_name,
            language=template_item.language,
        )
        values[key] = current.apply(template_item.fact)
    for key, business, account_item in routed.accounts:
        current = values.get(key) or AccountHealth(phone_number_id=business)
        values[key] = current.apply(account_item.fact)
    for key, status in routed.deliveries:
        values[key] = track_delivery(values.get(key), status)
    changed = {key: value for key, value in values.items() if loaded.get(key) != value}
    changes = [
        Change(key, summary)
        for key, value in sorted(changed.items(), key=lambda item: str(item[0]))
        for summary in _describe(loaded.get(key), value, now, rules)
    ]
    changes.extend(Change(StateKey(StateKind.ACCOUNT, "-"), text) for text in routed.unrouted)
    return changed, tuple(changes)


def _when(at: datetime | None) -> str:
    return "further notice" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


def _describe(before: object, after: object, now: datetime, rules: Rules) -> list[str]:
    """Say what changed from `before` (`None`: nothing was known) to `after`."""
    if isinstance(after, Conversation):
        blank = Conversation(business=after.business, recipient=after.recipient)
        was = before if isinstance(before, Conversation) else blank
        return _describe_conversation(was, after, now, rules)
    if isinstance(after, TemplateState):
        empty = TemplateState(
            template_id=after.template_id, name=after.name, language=after.language
        )
        return _describe_template(
            before if isinstance(before, TemplateState) else empty, after, rules
        )
    if isinstance(after, AccountHealth):
        fresh = AccountHealth(phone_number_id=after.phone_number_id)
        return _describe_account(before if isinstance(before, AccountHealth) else fresh, after)
    if isinstance(after, MessageDelivery):
        return [f"message {after.message_id} {after.status.value}"]
    return []  # pragma: no cover - route only makes the four kinds above


def _describe_conversation(
    before: Conversation, after: Conversation, now: datetime, rules: Rules
) -> list[str]:
    who = after.recipient.value
    said = []
    end = after.service_window_expires_at(rules)
    if end != before.service_window_expires_at(rules):
        open_now = end is not None and end > now
        said.append(
            f"window open for {who} until {_when(end)}" if open_now else f"window closed for {who}"
        )
    entry = after.free_entry_point_window(rules)
    if entry is not None and entry != before.free_entry_point_window(rules):
        said.append(f"free entry point window for {who} until {_when(entry[1])}")
    said.extend(_describe_consent(before, after, who))
    permission = after.call_permission.status
    if permission is not before.call_permission.status:
        said.append(f"call permission of {who}: {permission.value}")
    return said or [f"conversation with {who} updated"]


_CONSENT_WORDS: Final = {
    ConsentStatus.OPTED_IN: "opted in",
    ConsentStatus.OPTED_OUT: "opted out of all messages",
}
_MARKETING_WORDS: Final = {
    MarketingStatus.STOPPED: "stopped marketing messages",
    MarketingStatus.RECEIVING: "resumed marketing messages",
}


def _describe_consent(before: Conversation, after: Conversation, who: str) -> list[str]:
    consent = after.consent
    was_status = before.consent.status
    was_marketing = before.consent.marketing
    said = []
    if consent.status is not was_status and consent.status in _CONSENT_WORDS:
        said.append(f"{who} {_CONSENT_WORDS[consent.status]}")
    if consent.marketing is not was_marketing:
        said.append(f"{who} {_MARKETING_WORDS[consent.marketing]}")
    return said


def _describe_template(before: TemplateState, after: TemplateState, rules: Rules) -> list[str]:
    name = f"template {after.name} ({after.language})"
    said = []
    if after.status is not before.status:
        if after.status is TemplateStatus.PAUSED:
            said.append(f"{name} paused until {_when(after.pause_ends_at(rules))}")
        else:
            said.append(f"{name} {after.status.value.lower()}")
    if after.quality is not before.quality:
        said.append(f"{name} quality {after.quality.value.lower()}")
    if after.upcoming_category and after.upcoming_category != before.upcoming_category:
        said.append(
            f"{name} becomes {after.upcoming_category} on {_when(after.category_changes_at)}"
        )
    return said or [f"{name} updated"]


def _describe_account(before: AccountHealth, after: AccountHealth) -> list[str]:
    number = after.phone_number_id.value if after.phone_number_id is not None else "account"
    said = []
    if after.quality_rating is not before.quality_rating:
        said.append(f"number {number} quality {after.quality_rating.value.lower()}")
    if after.phone_status is not before.phone_status:
        said.append(f"number {number} status {after.phone_status.value.lower()}")
    limit = after.messaging_limit
    if limit is not None and limit != before.messaging_limit:
        users = "unlimited" if limit.users is None else f"{limit.users:,} users"
        said.append(f"number {number} messaging limit {users}")
    if after.restrictions != before.restrictions:
        said.append(f"number {number} restrictions: {len(after.restrictions)}")
    return said or [f"number {number} account health updated"]
