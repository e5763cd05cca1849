"""`decide()`: the one call a host makes before every send.

Theory of operation
-------------------
`can_send` answers for one conversation: the customer service window, consent, the marketing
stop, call permission, and (given them) the messaging limit and pacing. A send depends on more:
whether the template is approved and not paused, whether the account or number may send at all,
whether the recipient's region receives marketing templates, and what the message will cost.
`decide` asks each of those parts the host passes in for its answer (its blocking reasons, the
alternative it calls for, and the earliest instant it changes by time alone) and folds the
answers once into one `SendDecision`:

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

Every part is asked at the same instant. A `now` earlier than the latest fact of a part that is
asked (the conversation, the account, and the template for a template send) by at most the
rules' clock skew tolerance becomes that fact's instant; further back, `decide` raises
`ClockSkewError` rather than answer from the future.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeAlias

from wa_outbound._account import AccountHealth, PhoneNumberStatus, RestrictionType
from wa_outbound._account import seen_after as account_seen_after
from wa_outbound._categories import TemplateCategory
from wa_outbound._conversation import Conversation, seen_after
from wa_outbound._cost import ConversationCharges, check_count, estimate_checked
from wa_outbound._decision import (
    Alternative,
    BlockReason,
    Reason,
    Risk,
    SendDecision,
    decision_at,
)
from wa_outbound._errors import InvalidValueError, ascii_upper, expect, flag, member
from wa_outbound._kinds import SendKind
from wa_outbound._rates import RateCard, known_region
from wa_outbound._rules import Rules, answer_instant, rules_at
from wa_outbound._template_lifecycle import TemplateReason, TemplateState, sendable_at
from wa_outbound._template_lifecycle import seen_after as template_seen_after
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from wa_outbound._account import MessagingLimit
    from wa_outbound._cost import CostEstimate
    from wa_outbound._ledger import LimitLedger
    from wa_outbound._pacing import Pacer
    from wa_outbound._template_lifecycle import TemplateDecision

__all__ = ["decide"]

_Answer: TypeAlias = "tuple[tuple[BlockReason, ...], Alternative | None, datetime | None]"
"""A part's answer: its blocking reasons, the alternative it calls for, and the earliest
instant it changes by time alone."""

_NOTHING: Final[_Answer] = ((), None, None)
"""The answer of a part that does not block and does not change by time."""

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
_CALL: Final = SendKind.CALL
_DIRECT_SEND: Final = SendKind.DIRECT_SEND
_FREE_FORM: Final = SendKind.FREE_FORM
_MARKETING_TEMPLATE: Final = SendKind.MARKETING_TEMPLATE
_BUSINESS_INITIATED: Final = RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING
_CUSTOMER_INITIATED: Final = RestrictionType.RESTRICTED_CUSTOMER_INITIATED_MESSAGING

_BY_TIME_ALONE: Final = frozenset({Alternative.SEND_LATER})
"""The alternatives that need nothing but time: asking again later is all they say."""
_NEEDS_A_FACT: Final = frozenset(Alternative) - _BY_TIME_ALONE
"""The alternatives that need a new fact (a message, an opt-in, another template, ...); any of
them outranks waiting, since waiting alone will not make the send go."""


def decide(
    conversation: Conversation,
    kind: SendKind | str,
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
    month_volume: int | None = None,
    business_market: str | None = None,
    ai_provider: bool = False,
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
        month_volume: How many messages of the send's market and price category the business
            portfolio was already charged this month, for the rate card's volume tiers
            (utility and authentication, from 2025-07-01); `None` prices at the list price.
        business_market: The region of the business phone number (ISO 3166 code), for a
            call or a call permission request: business numbers of some regions may not
            place business-initiated calls. Not checked when not given.
        ai_provider: The business is an "AI Provider" in Meta's terms (its free-form messages
            are charged in `ai_provider_charged_regions`).

    Returns:
        A `SendDecision` with every blocking reason, the alternative, `next_change_at`,
        `wait_until` and, with a rate card, `cost`.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        ClockSkewError: `now` is before the latest fact of a part asked (`latest_at`) by more
            than the rules' `clock_skew_tolerance`.
        InvalidValueError: An argument is of the wrong type.
        RuleDataError: `rules` is omitted and `now` is before the oldest rule set.
    """
    if now.__class__ is not datetime or now.tzinfo is not UTC:  # the fast path skips a call
        now = utc("now", now)
    kind = _check_parts(conversation, kind, template, account, authentication_international, rules)
    _check_markets(market, business_market)
    asked = template if template is not None and kind.is_template else None
    if (
        seen_after(conversation, now)
        or (asked is not None and template_seen_after(asked, now))
        or (account is not None and account_seen_after(account, now))
    ):
        now = answer_instant(now, _latest_at(conversation, asked, account), rules)
    if rules is None:
        rules = rules_at(now)

    template_answer: _Answer = _NOTHING
    risks: tuple[Risk, ...] = ()
    if asked is not None:
        kind, template_answer, risks = _template_part(asked, now, rules, kind)

    if limit is None and account is not None:
        limit = account.messaging_limit
    if market is None and (rate_card is not None or kind is _MARKETING_TEMPLATE):
        market = known_region(conversation.recipient)  # once, for the region and the price
    cost = None
    if rate_card is not None:
        cost = _estimate(
            conversation,
            kind,
            now,
            rules,
            rate_card,
            market,
            charges,
            free_tier_remaining,
            authentication_international,
            month_volume,
            ai_provider,
        )
    base = decision_at(
        conversation, kind, now, rules, ledger if limit is not None else None, limit, pacer, cost
    )
    region_answer = _where_answer(conversation, kind, rules, market, limit, business_market)
    account_answer = (
        _NOTHING if account is None else _account_answer(account, base, kind, now, rules)
    )
    if not risks and template_answer is region_answer is account_answer is _NOTHING:
        return base  # nothing else to fold in
    return _folded(base, (template_answer, region_answer, account_answer), cost, risks)


def _estimate(  # noqa: PLR0917 - private, positional for speed
    conversation: Conversation,
    kind: SendKind,
    now: datetime,
    rules: Rules,
    rate_card: RateCard,
    market: str | None,
    charges: ConversationCharges | None,
    free_tier_remaining: int | None,
    authentication_international: bool,  # noqa: FBT001
    month_volume: int | None,
    ai_provider: bool,  # noqa: FBT001
) -> CostEstimate:
    """The send's cost, once `decide` has checked its arguments (and the two counts)."""
    if rate_card.__class__ is not RateCard:
        expect("rate_card", rate_card, RateCard)
    if charges is not None and charges.__class__ is not ConversationCharges:
        expect("charges", charges, ConversationCharges)
    if free_tier_remaining is not None:
        check_count("free_tier_remaining", free_tier_remaining)
    if month_volume is not None:
        check_count("month_volume", month_volume)
    return estimate_checked(
        conversation,
        kind,
        now,
        rules,
        rate_card,
        market,
        charges,
        free_tier_remaining,
        authentication_international,
        month_volume,
        ai_provider=flag("ai_provider", ai_provider),
    )


def _check_parts(  # noqa: PLR0917 - private, positional for speed
    conversation: object,
    kind: object,
    template: object,
    account: object,
    authentication_international: object,
    rules: object,
) -> SendKind:
    """Refuse parts of the wrong type; return the kind (its value string converted)."""
    if rules is not None and not isinstance(rules, Rules):
        raise InvalidValueError("rules", rules, "expected a Rules (or None for the rules at now)")
    if authentication_international is not False:
        flag("authentication_international", authentication_international)
    if not isinstance(conversation, Conversation):
        raise InvalidValueError("conversation", conversation, "expected a Conversation")
    if kind.__class__ is not SendKind:
        kind = member("kind", SendKind, kind)
    if account is not None and not isinstance(account, AccountHealth):
        raise InvalidValueError("account", account, "expected an AccountHealth")
    if template is not None and not isinstance(template, TemplateState):
        raise InvalidValueError("template", template, "expected a TemplateState")
    return kind


def _check_markets(market: object, business_market: object) -> None:
    """Refuse a market given as anything but text (a list would not even hash)."""
    if market is not None and market.__class__ is not str:
        expect("market", market, str)
    if business_market is not None and business_market.__class__ is not str:
        expect("business_market", business_market, str)


def _latest_at(
    conversation: Conversation, template: TemplateState | None, account: AccountHealth | None
) -> datetime | None:
    """The latest instant any part asked has seen."""
    latest = conversation.latest_at
    for part in (template, account):
        if part is not None:
            at = part.latest_at
            if at is not None and (latest is None or at > latest):
                latest = at
    return latest


_PACING_RISK: Final = (Risk.TEMPLATE_PACING,)


def _template_part(
    template: TemplateState, now: datetime, rules: Rules, kind: SendKind
) -> tuple[SendKind, _Answer, tuple[Risk, ...]]:
    """The send kind of the template's category in force, the template's answer, its risks."""
    verdict = sendable_at(template, now, rules)
    if verdict.category:
        kind = _kind_of(verdict.category, kind)
    risks: tuple[Risk, ...] = ()
    if verdict.warnings and any(n.code is TemplateReason.PACING for n in verdict.warnings):
        risks = _PACING_RISK
    if not verdict.reasons and verdict.next_change_at is None:
        return kind, _NOTHING, risks  # approved, and nothing ahead: most sends
    return kind, _template_answer(verdict), risks


def _kind_of(category: str, kind: SendKind) -> SendKind:
    """The send kind of the template's category in force, or `kind` if none is reported."""
    return _KIND_BY_CATEGORY_NAME.get(ascii_upper(category), kind) if category else kind


def _preferred(chosen: Alternative | None, other: Alternative) -> Alternative:
    """The alternative to give of `chosen` (an earlier reason's) and `other` (a later one's).

    The earlier one, unless it only waits and the later one needs a fact.
    """
    if chosen is None or (chosen in _BY_TIME_ALONE and other in _NEEDS_A_FACT):
        return other
    return chosen


def _template_answer(verdict: TemplateDecision) -> _Answer:
    """The template's answer: a pause waits, any other reason needs another template."""
    reasons: list[BlockReason] = []
    instead: Alternative | None = None
    for note in verdict.reasons:
        if note.code is TemplateReason.PAUSED:
            reasons.append(BlockReason(Reason.TEMPLATE_PAUSED, note.at, note.detail))
            instead = _preferred(instead, Alternative.SEND_LATER)
        else:
            reasons.append(BlockReason(Reason.TEMPLATE_NOT_SENDABLE, note.at, note.message))
            instead = _preferred(instead, Alternative.USE_ANOTHER_TEMPLATE)
    return tuple(reasons), instead, verdict.next_change_at


def _region_answer(conversation: Conversation, rules: Rules, market: str | None) -> _Answer:
    """The region's answer: blocked if marketing templates do not reach the recipient's region."""
    blocked = rules.marketing_blocked_regions.value
    if not blocked:
        return _NOTHING
    region = market if market is not None else known_region(conversation.recipient)
    if region not in blocked:
        return _NOTHING
    reason = BlockReason(Reason.MARKETING_BLOCKED_IN_REGION, None, region)
    return (reason,), Alternative.SEND_NON_MARKETING, None


def _where_answer(  # noqa: PLR0917 - decide's arguments, private
    conversation: Conversation,
    kind: SendKind,
    rules: Rules,
    market: str | None,
    limit: MessagingLimit | None,
    business_market: str | None,
) -> _Answer:
    """The region's answer for a marketing template, calling's own for a call or a request."""
    if kind is _MARKETING_TEMPLATE:
        return _region_answer(conversation, rules, market)
    if kind.is_calling and rules.business_initiated_calls.value:
        return _calling_answer(rules, limit, business_market)
    return _NOTHING


def _calling_answer(
    rules: Rules, limit: MessagingLimit | None, business_market: str | None
) -> _Answer:
    """Calling's own conditions: the business's messaging limit and its number's region."""
    reasons: list[BlockReason] = []
    needed = rules.calling_minimum_messaging_limit.value
    if limit is not None and limit.users is not None and limit.users < needed:
        reasons.append(BlockReason(Reason.CALLING_NOT_ELIGIBLE, None, f"{needed:,}"))
    if (
        business_market is not None
        and business_market in rules.business_calls_blocked_regions.value
    ):
        reasons.append(BlockReason(Reason.CALLING_UNAVAILABLE_IN_REGION, None, business_market))
    if not reasons:
        return _NOTHING
    return tuple(reasons), Alternative.SEND_MESSAGE, None


def _account_answer(
    account: AccountHealth, base: SendDecision, kind: SendKind, now: datetime, rules: Rules
) -> _Answer:
    """The number's and account's answer: its status, restrictions, and Direct Send.

    Direct Send: whether the account may use it, and as the alternative to a template.
    """
    reasons: tuple[BlockReason, ...] = ()
    instead: Alternative | None = None
    ends: datetime | None = None
    if kind is _DIRECT_SEND and rules.direct_send.value and account.direct_send is not True:
        state = "not enabled" if account.direct_send is None else "blocked"
        reasons = (BlockReason(Reason.DIRECT_SEND_NOT_ENABLED, account.direct_send_at, state),)
        instead = Alternative.SEND_TEMPLATE
    elif (
        base.instead is Alternative.SEND_TEMPLATE
        and kind is _FREE_FORM
        and account.direct_send is True
        and rules.direct_send.value
    ):
        instead = Alternative.USE_DIRECT_SEND  # the window is closed: no template needed
    status = account.phone_status
    # Identity first: hashing an enum member runs Python code, and most numbers are fine.
    if status is not _CONNECTED and status is not _UNKNOWN and status in _UNAVAILABLE:
        reasons = (BlockReason(Reason.NUMBER_UNAVAILABLE, None, status.value),)
        instead = Alternative.FIX_ACCOUNT
    elif status is _UNKNOWN and account.phone_status_at is not None:
        # Reported, but not a status this release can read (or Meta's own UNKNOWN): the
        # number may be unable to send, so it is treated as unavailable until a known one.
        detail = "UNKNOWN as reported (treated as unavailable)"
        reasons = (BlockReason(Reason.NUMBER_UNAVAILABLE, None, detail),)
        instead = Alternative.FIX_ACCOUNT
    if kind is not _CALL and account.restrictions:
        business_initiated = kind.business_initiated or not base.service_window_open
        restriction = _BUSINESS_INITIATED if business_initiated else _CUSTOMER_INITIATED
        what = "business-initiated" if business_initiated else "customer-initiated"
        for active in account.restrictions:  # `now` is checked against the account already
            if active.restriction_type is not restriction or not active.active(now):
                continue
            until = active.until
            reasons = (*reasons, BlockReason(Reason.ACCOUNT_RESTRICTED, until, f"{what} messages"))
            if until is None:
                instead = _preferred(instead, Alternative.FIX_ACCOUNT)
            else:
                instead = _preferred(instead, Alternative.SEND_LATER)
                ends = until if ends is None or until < ends else ends
    return (reasons, instead, ends) if reasons or instead is not None else _NOTHING


def _folded(
    base: SendDecision,
    answers: tuple[_Answer, ...],
    cost: CostEstimate | None,
    risks: tuple[Risk, ...] = (),
) -> SendDecision:
    """Fold the parts' answers, the cost and the risks into the conversation's decision."""
    reasons, chosen, change = base.reasons, base.instead, base.next_change_at
    for more, instead, at in answers:
        if more:
            reasons = (*reasons, *more)
        if instead is Alternative.USE_DIRECT_SEND and not more:
            chosen = instead  # replaces "send a template" for the window's own reason
        elif instead is not None:
            chosen = _preferred(chosen, instead)
        if at is not None and (change is None or at < change):
            change = at
    return SendDecision(  # positional: much cheaper than attrs.evolve on this hot path
        base.kind,
        reasons,
        chosen if reasons else None,
        base.service_window_expires_at,
        base.free_entry_point,
        change,
        cost,
        base.endpoint,
        (*base.risks, *risks),
    )
