"""`decide()`: the one call a host makes before every send.

Theory of operation
-------------------
`can_send` answers for one conversation: the customer service window, consent, the marketing
stop, call permission, and (given them) the messaging limit and pacing. A send depends on more:
whether the template is approved and not paused, whether the account or number may send at all,
whether the recipient's region receives marketing templates, and what the message will cost.
`decide` asks each of those parts the host passes in and folds the answers into one
`SendDecision`:

* **every** blocking reason of every part, in a fixed order (the conversation's, with the
  messaging limit and pacing, then the template's, the region's and the account's), so that a
  host sees all it has to fix, not only the first;
* one alternative (the first part's, except that a reason needing a new fact outranks "send
  later");
* `next_change_at`, the earliest instant a part's answer changes by time alone, and
  `wait_until`, the instant every reason has cleared when all of them clear by time alone;
* `cost`, the `CostEstimate` of the send when a rate card is given (what it would cost even
  when blocked, so that a host can compare alternatives).

A template's category is Meta's, not the host's: when the template's state says Meta
categorised it otherwise (MARKETING for a template sent as UTILITY), the send is decided and
priced as that category, and the decision's `kind` says so.

Parts the host does not pass are not asked, with one exception: a marketing template under
rules that block some regions needs the recipient's region, read from the number with
`phonenumbers` (the `pricing` extra) unless the host passes `market`; without either the
region cannot be checked and is not. So `decide(conversation, kind, now=now, market=m)` equals
`can_send(conversation, kind, now=now)` for any market `m` that is not blocked. The function
is deterministic and never raises for valid inputs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from wa_outbound._account import AccountHealth, PhoneNumberStatus
from wa_outbound._categories import TemplateCategory
from wa_outbound._cost import estimate_cost
from wa_outbound._decision import Alternative, BlockReason, Reason, SendDecision, can_send
from wa_outbound._errors import InvalidValueError
from wa_outbound._kinds import SendKind
from wa_outbound._rates import known_region
from wa_outbound._rules import Rules, rules_at
from wa_outbound._template_lifecycle import TemplateReason, TemplateState, template_sendable
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from wa_outbound._account import MessagingLimit
    from wa_outbound._conversation import Conversation
    from wa_outbound._cost import ConversationCharges, CostEstimate
    from wa_outbound._ledger import LimitLedger
    from wa_outbound._pacing import Pacer
    from wa_outbound._rates import RateCard

__all__ = ["decide"]

_KIND_OF_CATEGORY: Final = {
    TemplateCategory.MARKETING: SendKind.MARKETING_TEMPLATE,
    TemplateCategory.UTILITY: SendKind.UTILITY_TEMPLATE,
    TemplateCategory.AUTHENTICATION: SendKind.AUTHENTICATION_TEMPLATE,
}
_KIND_BY_CATEGORY_NAME: Final = {
    category.value: _KIND_OF_CATEGORY[category.current] for category in TemplateCategory
}
_UNAVAILABLE: Final = frozenset(
    {
        PhoneNumberStatus.BANNED,
        PhoneNumberStatus.PENDING,
        PhoneNumberStatus.DELETED,
        PhoneNumberStatus.DISCONNECTED,
    }
)
"""Statuses in which a number cannot send at all (RESTRICTED is the messaging limit)."""
_CONNECTED: Final = PhoneNumberStatus.CONNECTED
_UNKNOWN: Final = PhoneNumberStatus.UNKNOWN
_BUSINESS_INITIATED: Final = "RESTRICTED_BIZ_INITIATED_MESSAGING"
_CUSTOMER_INITIATED: Final = "RESTRICTED_CUSTOMER_INITIATED_MESSAGING"
_NEEDS_A_FACT: Final = frozenset(
    {
        Alternative.SEND_TEMPLATE,
        Alternative.RECORD_OPT_IN,
        Alternative.WAIT_FOR_USER,
        Alternative.REPLY_FREE_FORM,
        Alternative.REQUEST_CALL_PERMISSION,
        Alternative.SEND_MESSAGE,
        Alternative.SEND_NON_MARKETING,
        Alternative.USE_ANOTHER_TEMPLATE,
        Alternative.FIX_ACCOUNT,
    }
)


def decide(
    conversation: Conversation,
    kind: SendKind,
    *,
    now: datetime,
    rules: Rules | None = None,
    template: TemplateState | None = None,
    account: AccountHealth | None = None,
    ledger: LimitLedger | None = None,
    limit: MessagingLimit | None = None,
    pacer: Pacer | None = None,
    rate_card: RateCard | None = None,
    market: str | None = None,
    charges: ConversationCharges | None = None,
    free_tier_remaining: int | None = None,
    authentication_international: bool = False,
) -> SendDecision:
    """Decide a send with every part the host knows, and price it.

    Args:
        conversation: The state of the (business number, recipient) pair.
        kind: What the business wants to send; for a template, the category it is sent as.
        now: The instant of the send (aware).
        rules: The rules to apply; by default the built-in rules in force at `now`.
        template: The template's lifecycle state: a template that is not approved, or is
            paused, blocks the send; the category Meta gave it decides how the send is treated.
        account: The number's and account's health: a banned or unregistered number, or a
            restriction of this kind of message, blocks the send. Its messaging limit is used
            when `limit` is not given.
        ledger: The messaging limit ledger of the sender's scope (read, never recorded).
        limit: The messaging limit in force; defaults to `account.messaging_limit`.
        pacer: The sender's pacer (peeked, never recorded).
        rate_card: Prices to estimate the send's cost with; without it `cost` is `None`.
        market: The recipient's market (region code); by default read from the recipient's
            number with `phonenumbers` (the `pricing` extra) when needed.
        charges: Conversation-based pricing only: the recipient's open conversations.
        free_tier_remaining: Free conversations (or service messages) left this month.
        authentication_international: The authentication-international rate applies.

    Returns:
        A `SendDecision` with every blocking reason, the alternative, `next_change_at`,
        `wait_until` and, with a rate card, `cost`.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        InvalidValueError: An argument is of the wrong type.
        RuleDataError: `rules` is omitted and `now` is before the oldest rule set.
    """
    if now.__class__ is not datetime or now.tzinfo is not UTC:  # the fast path skips a call
        now = utc("now", now)
    if rules is None:
        rules = rules_at(now)
    _check_parts(template, account)

    extra: list[BlockReason] = []
    changes: list[datetime] = []
    instead: Alternative | None = None

    if template is not None and kind.is_template:
        kind, instead = _template_reasons(
            template, kind, now=now, rules=rules, extra=extra, changes=changes
        )

    if limit is None and account is not None:
        limit = account.messaging_limit
    base = can_send(
        conversation,
        kind,
        now=now,
        rules=rules,
        ledger=ledger if limit is not None else None,
        limit=limit,
        pacer=pacer,
    )

    if kind is SendKind.MARKETING_TEMPLATE and _marketing_blocked(
        conversation, rules, market, extra
    ):
        instead = Alternative.SEND_NON_MARKETING

    if account is not None:
        instead = (
            _account_reasons(account, base, kind, now=now, extra=extra, changes=changes) or instead
        )

    cost = None
    if rate_card is not None:
        cost = estimate_cost(
            conversation,
            kind,
            now=now,
            rules=rules,
            rate_card=rate_card,
            market=market,
            charges=charges,
            free_tier_remaining=free_tier_remaining,
            authentication_international=authentication_international,
        )

    if not extra and cost is None:
        return base
    return _merged(base, kind, extra=extra, changes=changes, instead=instead, cost=cost)


def _check_parts(template: object, account: object) -> None:
    """Refuse parts of the wrong type."""
    if account is not None and not isinstance(account, AccountHealth):
        raise InvalidValueError("account", account, "expected an AccountHealth")
    if template is not None and not isinstance(template, TemplateState):
        raise InvalidValueError("template", template, "expected a TemplateState")


def _template_reasons(
    template: TemplateState,
    kind: SendKind,
    *,
    now: datetime,
    rules: Rules,
    extra: list[BlockReason],
    changes: list[datetime],
) -> tuple[SendKind, Alternative | None]:
    """Add the template's reasons; return the kind of its category and the alternative."""
    verdict = template_sendable(template, now=now, rules=rules)
    instead: Alternative | None = None
    for note in verdict.reasons:
        if note.code is TemplateReason.PAUSED:
            extra.append(BlockReason(Reason.TEMPLATE_PAUSED, note.at, note.detail))
            instead = instead or Alternative.SEND_LATER
        else:
            extra.append(BlockReason(Reason.TEMPLATE_NOT_SENDABLE, note.at, note.message))
            instead = Alternative.USE_ANOTHER_TEMPLATE
    if verdict.next_change_at is not None:
        changes.append(verdict.next_change_at)
    return _kind_of(verdict.category, kind), instead


def _marketing_blocked(
    conversation: Conversation, rules: Rules, market: str | None, extra: list[BlockReason]
) -> bool:
    """Add the region's reason if marketing templates do not reach the recipient's region."""
    blocked = rules.marketing_blocked_regions.value
    if not blocked:
        return False
    region = market if market is not None else known_region(conversation.recipient)
    if region not in blocked:
        return False
    extra.append(BlockReason(Reason.MARKETING_BLOCKED_IN_REGION, None, region))
    return True


def _kind_of(category: str, kind: SendKind) -> SendKind:
    """The send kind of the template's category in force, or `kind` if none is reported."""
    return _KIND_BY_CATEGORY_NAME.get(category.upper(), kind) if category else kind


def _account_reasons(
    account: AccountHealth,
    base: SendDecision,
    kind: SendKind,
    *,
    now: datetime,
    extra: list[BlockReason],
    changes: list[datetime],
) -> Alternative | None:
    """Add the number's and account's reasons; return the alternative they call for."""
    instead: Alternative | None = None
    status = account.phone_status
    # Identity first: hashing an enum member runs Python code, and most numbers are fine.
    if status is not _CONNECTED and status is not _UNKNOWN and status in _UNAVAILABLE:
        extra.append(BlockReason(Reason.NUMBER_UNAVAILABLE, None, status.value))
        instead = Alternative.FIX_ACCOUNT
    if kind is SendKind.CALL or not account.restrictions:
        return instead
    business_initiated = kind.is_template or not base.service_window_open
    restriction = _BUSINESS_INITIATED if business_initiated else _CUSTOMER_INITIATED
    for active in account.active_restrictions(now):
        if active.restriction_type == restriction:
            what = "business-initiated" if business_initiated else "customer-initiated"
            extra.append(BlockReason(Reason.ACCOUNT_RESTRICTED, active.until, f"{what} messages"))
            if active.until is not None:
                changes.append(active.until)
            instead = instead or (
                Alternative.SEND_LATER if active.until is not None else Alternative.FIX_ACCOUNT
            )
    return instead


def _merged(
    base: SendDecision,
    kind: SendKind,
    *,
    extra: list[BlockReason],
    changes: list[datetime],
    instead: Alternative | None,
    cost: CostEstimate | None,
) -> SendDecision:
    """Fold the other parts' reasons, instants and cost into the conversation's decision."""
    reasons = (*base.reasons, *extra)
    if base.next_change_at is not None:
        changes.append(base.next_change_at)
    chosen = base.instead
    if chosen is None or (chosen is Alternative.SEND_LATER and instead in _NEEDS_A_FACT):
        chosen = instead
    return SendDecision(  # positional: much cheaper than attrs.evolve on this hot path
        kind,
        reasons,
        chosen if reasons else None,
        base.service_window_expires_at,
        base.free_entry_point,
        min(changes, default=None),
        cost,
    )
