"""What one send costs: the charge, the rate, the rule behind it, and the conversation it opens.

Theory of operation
-------------------
Meta has charged in two ways, and `Rules.pricing_model` says which one is in force:

* **Conversation-based pricing** (until 2025-06-30). A charge per 24-hour *conversation*
  (`Rules.conversation_length`), opened when a business message is delivered. A template
  opens a conversation of its category unless one of that category is already open; a
  free-form message opens a *service* conversation only if no conversation of any category
  is open. Before 2023-06-01 (`Rules.priced_by_template_category` false) the three template
  categories were one "business-initiated" category, with one price the rate cards here do
  not carry: such a conversation is a charge of unknown price. Service conversations were
  free up to a monthly tier (`free_tier_conversations`, service only from 2023-06-01), then
  free without limit from 2024-11-01 (`service_free`).
* **Per-message pricing** (from 2025-07-01). A charge per delivered *template*, at its
  category's price for the recipient's market; free-form messages are free while
  `service_free` holds, and a utility template inside an open customer service window is free
  while `utility_free_in_service_window` holds. From 2026-10-01 (reported) free-form
  messages are charged at the market's utility rate after a monthly allowance
  (`free_service_messages`), and in-window utility templates are charged again.

Under both, everything inside the 72-hour free entry point window (an ad or Page-button
arrival answered in time) is free, and the reply that starts the window is the first message
in it. A message that is not delivered costs nothing: a marketing template to a region in
`marketing_blocked_regions`, a free-form message outside the customer service window.

`estimate_cost` answers for one send with a `CostEstimate`: whether it is charged, why
(`CostReason`, the `Rules` field behind the answer and that rule's `Source`), at which `Rate`
row of the host's `RateCard`, and, under conversation-based pricing, whether it opens a
conversation and when that ends. Which conversations are open is the caller's bookkeeping,
`ConversationCharges`: a tiny value per recipient, updated with `record` after each delivered
send. Monthly free allowances are counted by the caller too and passed as
`free_tier_remaining`. A price the card lacks, or a market that is not known, is reported as
`PRICE_UNKNOWN` with no amount: never a zero, never a guess. Calls are not messages and are
priced by the Calling API's own rates, so they get an estimate that says so.

Sources: Meta, "Conversation-based pricing (DEPRECATED)"
(https://developers.facebook.com/docs/whatsapp/conversation-based-pricing, mirrored as
`ArielAmzalak/WBAPI_Doc` `doc/conversation-based-pricing.md`: the hour-by-hour examples of
opening marketing, utility and service conversations, and the free entry point example);
Meta, "Groups API Pricing" (https://developers.facebook.com/docs/whatsapp/pricing, mirrored as
`doc/pricing.md`: per-message pricing charges each delivered billable message; utility
templates and free-form messages inside a customer service window are free). The dated rules
and their own sources live in `wa_outbound._rules`.
"""

from __future__ import annotations

import bisect
import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._conversation import Conversation
from wa_outbound._errors import InvalidValueError, expect, flag, is_a, is_instant, member
from wa_outbound._kinds import SendKind
from wa_outbound._rates import PriceCategory, Rate, RateCard, known_region
from wa_outbound._rules import PricingModel, Rules, Source
from wa_outbound._shown import Shown
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from wa_outbound._render import Report

__all__ = [
    "ConversationCharges",
    "CostEstimate",
    "CostReason",
    "estimate_cost",
    "price_category",
]

_ZERO: Final = Decimal(0)


class CostReason(enum.Enum):
    """Why a send costs what it costs."""

    CHARGED = "charged"
    """Per-message pricing: a delivered message charged at its category's price."""
    NEW_CONVERSATION = "new_conversation"
    """Conversation-based pricing: the send opens a conversation of its category, charged once
    for the conversation's length."""
    OPEN_CONVERSATION = "open_conversation"
    """Conversation-based pricing: the send falls in an open conversation (of its category, or of
    any category for a free-form message), so it costs nothing more."""
    FREE_ENTRY_POINT = "free_entry_point"
    """The send falls in (or starts) the free entry point window: free under either model."""
    FREE_SERVICE = "free_service"
    """A free-form message (or the service conversation it opens) is free under the rules in
    force."""
    FREE_UTILITY_IN_WINDOW = "free_utility_in_window"
    """Per-message pricing: a utility template inside an open customer service window, free while
    the rules say so."""
    FREE_TIER = "free_tier"
    """Free as part of a monthly allowance: the free conversations of conversation-based pricing,
    or the free service messages from 2026-10-01 (`free_tier_remaining` > 0)."""
    PRICE_UNKNOWN = "price_unknown"
    """Charged, but the amount is unknown: the market is unknown, or the card has no price for
    the category in that market at that date (or none exists in `PriceCategory`, as for the
    business-initiated conversations before 2023-06-01)."""
    BLOCKED_REGION = "blocked_region"
    """Not charged because not delivered: a marketing template to a region the platform does not
    deliver marketing to (`decide` blocks it too)."""
    WINDOW_CLOSED = "window_closed"
    """Not charged because not delivered: a free-form message outside the customer service window
    (`can_send` blocks it too)."""
    CALL = "call"
    """A call is not a message: the Calling API prices calls by its own rates, not by this rate
    card, so no amount is given."""


@attrs.frozen(kw_only=True)
class CostEstimate(Shown):
    """What one send costs, at which rate, and why.

    `charged` with an `amount` is a known charge; `charged` with `amount is None` is a charge
    of unknown price (`PRICE_UNKNOWN`); not `charged` with `amount == 0` is free (or not
    delivered); a call has neither.
    """

    kind: SendKind = attrs.field(validator=is_a(SendKind))
    """What the estimate is for."""
    charged: bool = attrs.field(validator=is_a(bool))
    """Whether the platform charges for the send."""
    reason: CostReason = attrs.field(validator=is_a(CostReason))
    """Why."""
    category: PriceCategory | None = attrs.field(validator=is_a(PriceCategory, optional=True))
    """The price category the send is charged as (or would be, were it not free); `None` for a
    call, or when the rules price it in a category `PriceCategory` does not have."""
    market: str | None = attrs.field(validator=is_a(str, optional=True))
    """The recipient's market; `None` if unknown."""
    rate: Rate | None = attrs.field(validator=is_a(Rate, optional=True))
    """The rate card row used for `amount`; `None` when nothing was looked up or none exists."""
    amount: Decimal | None = attrs.field(validator=is_a(Decimal, optional=True))
    """What the send costs: `Decimal(0)` when free, `None` when the price is unknown."""
    currency: str | None = attrs.field(validator=is_a(str, optional=True))
    """The currency of `amount`; `None` unless a rate was used."""
    pricing_model: PricingModel = attrs.field(validator=is_a(PricingModel))
    """The pricing model in force."""
    opens_conversation: bool = attrs.field(default=False, validator=is_a(bool))
    """Conversation-based pricing: whether the send opens a conversation (billable or free)."""
    conversation_expires_at: datetime | None = attrs.field(
        default=None, validator=is_instant(optional=True)
    )
    """When the conversation the send opens or falls in ends (conversation-based pricing), or the
    free entry point window it falls in (either model)."""
    rule: str = attrs.field(validator=is_a(str))
    """The `Rules` field behind the answer (`"pricing_model"`, `"service_free"`, ...)."""
    source: Source = attrs.field(validator=is_a(Source))
    """That rule's source; the price's own source is `rate.source` (see `price_source`)."""
    detail: str = attrs.field(default="", validator=is_a(str))
    """A short extra the sentence needs (what the card lacks, which rate stood in)."""

    @property
    def known(self) -> bool:
        """Whether the amount is known (free sends included)."""
        return self.amount is not None

    @property
    def free(self) -> bool:
        """Whether the send costs nothing (free, or not delivered)."""
        return not self.charged and self.amount is not None

    @property
    def price_source(self) -> str:
        """Where the price was read from (the rate row's source); empty without a rate."""
        return "" if self.rate is None else self.rate.source

    @property
    def message(self) -> str:
        """The estimate as one sentence."""
        category = "" if self.category is None else self.category.value.replace("_", "-")
        until = (
            ""
            if self.conversation_expires_at is None
            else self.conversation_expires_at.strftime("%Y-%m-%d %H:%M UTC")
        )
        return _MESSAGES[self.reason].format(
            amount=self.amount,
            currency=self.currency,
            category=category,
            market=self.market or "an unknown market",
            until=until,
            detail=self.detail,
            rule=self.rule,
        )

    def _report(self) -> Report:
        """What every rendering shows: the amount, why, and the price behind it."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        amount = (
            "unknown" if self.amount is None else f"{self.amount:,} {self.currency or ''}".strip()
        )
        rows = [
            ("send", plain(self.kind)),
            ("charged", plain(self.charged)),
            ("amount", amount),
            ("why", plain(self.reason) + (f": {self.detail}" if self.detail else "")),
            ("category", plain(self.category)),
            ("market", plain(self.market)),
            ("pricing model", plain(self.pricing_model)),
        ]
        if self.rate is not None:
            rows.append(("price from", f"{plain(self.rate.effective_from)} ({self.price_source})"))
        if self.opens_conversation or self.conversation_expires_at is not None:
            rows.append(("conversation until", plain(self.conversation_expires_at)))
        rows.append(("rule", f"{self.rule} ({self.source.title})"))
        return Report(
            title="Cost estimate",
            summary=(self.message,),
            tables=(Table(title="Cost estimate", rows=tuple(rows)),),
        )

    def __str__(self) -> str:
        """Return `message`."""
        return self.message


_MESSAGES: Final[dict[CostReason, str]] = {
    CostReason.CHARGED: "charged {amount} {currency} as a {category} message to {market}{detail}"
    " ({rule})",
    CostReason.NEW_CONVERSATION: "opens a {category} conversation with {market} until {until},"
    " charged {amount} {currency} ({rule})",
    CostReason.OPEN_CONVERSATION: "free: falls in an open conversation ({detail}), which lasts"
    " until {until} ({rule})",
    CostReason.FREE_ENTRY_POINT: "free: inside the free entry point window, which lasts until"
    " {until} ({rule})",
    CostReason.FREE_SERVICE: "free: free-form messages and service conversations are free under"
    " the rules in force ({rule})",
    CostReason.FREE_UTILITY_IN_WINDOW: "free: a utility template inside an open customer service"
    " window is free ({rule})",
    CostReason.FREE_TIER: "free: counted against the monthly allowance of {detail} ({rule})",
    CostReason.PRICE_UNKNOWN: "charged, but the price is unknown: {detail} ({rule})",
    CostReason.BLOCKED_REGION: "not charged: marketing templates to {market} are not delivered"
    " ({rule})",
    CostReason.WINDOW_CLOSED: "not charged: a free-form message outside the customer service"
    " window is not delivered ({rule})",
    CostReason.CALL: "not estimated: a call is priced by the Calling API's own rates, not by"
    " this rate card ({rule})",
}


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else utc("conversation end", value)


@attrs.frozen(kw_only=True)
class ConversationCharges:
    """The conversations open with one recipient (conversation-based pricing), by category.

    Each field is the end of the latest conversation of that category, or `None`. Start with
    `ConversationCharges()`, pass it to `estimate_cost`, and `record` each delivered send's
    estimate. Under per-message pricing nothing opens, so `record` changes nothing.
    """

    marketing_until: datetime | None = attrs.field(default=None, converter=_optional_instant)
    """End of the latest marketing conversation."""
    utility_until: datetime | None = attrs.field(default=None, converter=_optional_instant)
    """End of the latest utility conversation."""
    authentication_until: datetime | None = attrs.field(default=None, converter=_optional_instant)
    """End of the latest authentication conversation (authentication-international included)."""
    service_until: datetime | None = attrs.field(default=None, converter=_optional_instant)
    """End of the latest service conversation."""

    def open_until(self, category: PriceCategory, now: datetime) -> datetime | None:
        """Return when the open conversation of `category` ends, or `None` if none is open."""
        until = getattr(self, _FIELDS[category])
        return until if until is not None and now < until else None

    def any_open_until(self, now: datetime) -> datetime | None:
        """Return the latest end of any conversation open at `now`, or `None` if none is."""
        ends = [until for until in self._ends() if until is not None and now < until]
        return max(ends) if ends else None

    def _ends(self) -> tuple[datetime | None, ...]:
        return (
            self.marketing_until,
            self.utility_until,
            self.authentication_until,
            self.service_until,
        )

    def record(
        self, estimate_or_category: CostEstimate | PriceCategory, at: datetime, rules: Rules
    ) -> ConversationCharges:
        """Return the charges after a delivered send.

        Args:
            estimate_or_category: The send's estimate (only one that opens a conversation
                changes anything), or the category of a conversation opened at `at`.
            at: When the send was delivered.
            rules: The rules in force at `at`: how long a conversation lasts, and whether the
                template categories are one business-initiated category (then a template
                conversation covers all three).
        """
        at = utc("at", at)
        if isinstance(estimate_or_category, CostEstimate):
            estimate = estimate_or_category
            if not estimate.opens_conversation:
                return self
            if estimate.reason is CostReason.FREE_ENTRY_POINT:
                # "it automatically closes all other open conversations" (Meta, CBP).
                return ConversationCharges()
            category = _conversation_category(estimate.kind)
        else:
            category = estimate_or_category
        until = at + rules.conversation_length.value
        if category is PriceCategory.SERVICE or rules.priced_by_template_category.value:
            return attrs.evolve(self, **{_FIELDS[category]: until})
        return attrs.evolve(
            self, marketing_until=until, utility_until=until, authentication_until=until
        )


_FIELDS: Final[dict[PriceCategory, str]] = {
    PriceCategory.MARKETING: "marketing_until",
    PriceCategory.UTILITY: "utility_until",
    PriceCategory.AUTHENTICATION: "authentication_until",
    PriceCategory.AUTHENTICATION_INTERNATIONAL: "authentication_until",
    PriceCategory.SERVICE: "service_until",
}
"""Which field keeps the conversations of each category."""

_BY_KIND: Final[dict[SendKind, PriceCategory]] = {
    SendKind.FREE_FORM: PriceCategory.SERVICE,
    SendKind.MARKETING_TEMPLATE: PriceCategory.MARKETING,
    SendKind.UTILITY_TEMPLATE: PriceCategory.UTILITY,
    SendKind.AUTHENTICATION_TEMPLATE: PriceCategory.AUTHENTICATION,
    SendKind.DIRECT_SEND: PriceCategory.UTILITY,  # "Charged at utility rates" (Meta)
}


# Enum members looked up once: an estimate runs before every send of a campaign, and a module
# global is cheaper to read than an enum class attribute.
_CALL: Final = SendKind.CALL
_CALL_PERMISSION_REQUEST: Final = SendKind.CALL_PERMISSION_REQUEST
_FREE_FORM: Final = SendKind.FREE_FORM
_MARKETING_TEMPLATE: Final = SendKind.MARKETING_TEMPLATE
_UTILITY_TEMPLATE: Final = SendKind.UTILITY_TEMPLATE
_AUTHENTICATION_TEMPLATE: Final = SendKind.AUTHENTICATION_TEMPLATE
_DIRECT_SEND: Final = SendKind.DIRECT_SEND
_SERVICE: Final = PriceCategory.SERVICE
_CBP: Final = PricingModel.CONVERSATION_BASED
_PMP: Final = PricingModel.PER_MESSAGE
_UNKNOWN_PRICE: Final = CostReason.PRICE_UNKNOWN


def _conversation_category(kind: SendKind) -> PriceCategory:
    """Return the conversation category a message of `kind` opens (never called for calls)."""
    return _BY_KIND[kind]


def _check_parts(
    conversation: object, rules: object, rate_card: object, market: object, charges: object
) -> None:
    """Refuse a part of the wrong type, naming it."""
    expect("conversation", conversation, Conversation)
    expect("rules", rules, Rules)
    expect("rate_card", rate_card, RateCard)
    if market is not None:
        expect("market", market, str)
    if charges is not None:
        expect("charges", charges, ConversationCharges)


def _kind_and_flag(kind: object, authentication_international: object) -> tuple[SendKind, bool]:
    """Convert the kind (or its value string) and the flag at the door, or refuse them."""
    if kind.__class__ is not SendKind:
        kind = member("kind", SendKind, kind)
    if authentication_international is not False:
        authentication_international = flag(
            "authentication_international", authentication_international
        )
    return kind, authentication_international


def price_category(
    kind: SendKind | str, *, rules: Rules, authentication_international: bool = False
) -> PriceCategory | None:
    """Return the price category a send of `kind` is charged as under `rules`.

    Args:
        kind: What is sent.
        rules: The rules in force.
        authentication_international: Whether an authentication template goes to a market
            where the business pays the authentication-international rate.

    Returns:
        `SERVICE` for free-form messages, the template's category for templates
        (`AUTHENTICATION_INTERNATIONAL` when asked). `None` for a call (calls are priced by
        the Calling API, not by message categories) and for a template under rules without
        per-category prices (before 2023-06-01: one business-initiated price, which
        `PriceCategory` does not have).
    """
    kind, authentication_international = _kind_and_flag(kind, authentication_international)
    if kind is _CALL:
        return None
    if kind is _FREE_FORM:
        return _SERVICE
    if kind is _CALL_PERMISSION_REQUEST:
        kind = _UTILITY_TEMPLATE  # outside the window; inside, `estimate_cost` says service
    if not rules.priced_by_template_category.value:
        return None
    if kind is _AUTHENTICATION_TEMPLATE and authentication_international:
        return PriceCategory.AUTHENTICATION_INTERNATIONAL
    return _BY_KIND[kind]


def estimate_cost(
    conversation: Conversation,
    kind: SendKind | str,
    *,
    now: datetime,
    rules: Rules,
    rate_card: RateCard,
    market: str | None = None,
    charges: ConversationCharges | None = None,
    free_tier_remaining: int | None = None,
    authentication_international: bool = False,
    month_volume: int | None = None,
    ai_provider: bool = False,
) -> CostEstimate:
    """Estimate what sending `kind` in `conversation` at `now` costs, if it is delivered.

    Args:
        conversation: The state of the (business number, recipient) pair.
        kind: What is sent.
        now: The instant of the send (aware).
        rules: The rules in force at `now`.
        rate_card: The prices to use.
        market: The recipient's market; by default read from the recipient's number
            (`recipient_region`, needs the `pricing` extra; unknown for a business-scoped user
            id). Unknown means `PRICE_UNKNOWN` for anything charged.
        charges: The conversations open with the recipient (conversation-based pricing);
            `None` means none.
        free_tier_remaining: How much of the monthly allowance is left (free conversations
            under conversation-based pricing, free service messages from 2026-10-01), as the
            caller counts it; `None` means not counted, and the estimate charges.
        authentication_international: Whether an authentication template is charged at the
            authentication-international rate. Never falls back to the authentication rate.
        month_volume: How many messages of this market and price category the business
            portfolio was already charged this month, for the card's volume tiers (utility
            and authentication, from 2025-07-01); `None` means the list price.
        ai_provider: Whether the business is an "AI Provider" in Meta's terms: its free-form
            messages to a region in `ai_provider_charged_regions` are charged (since
            2026-02-16), at a rate the card does not carry (`PRICE_UNKNOWN`).

    Returns:
        A `CostEstimate`; it never raises for valid inputs, whatever the card lacks.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        InvalidValueError: `kind` is not a `SendKind`, or `free_tier_remaining` or
            `month_volume` is negative.
    """
    kind, authentication_international = _kind_and_flag(kind, authentication_international)
    if free_tier_remaining is not None:
        check_count("free_tier_remaining", free_tier_remaining)
    if month_volume is not None:
        check_count("month_volume", month_volume)
    _check_parts(conversation, rules, rate_card, market, charges)
    return estimate_checked(
        conversation,
        kind,
        utc("now", now),
        rules,
        rate_card,
        market,
        charges,
        free_tier_remaining,
        authentication_international,
        month_volume,
        ai_provider=flag("ai_provider", ai_provider),
    )


def estimate_checked(  # noqa: PLR0917 - estimate_cost's arguments, once checked
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
    *,
    ai_provider: bool = False,
) -> CostEstimate:
    """`estimate_cost` once its arguments are checked (`decide` checks its own)."""
    if kind is _CALL:
        return _not_a_message(kind, rules.pricing_model.value, rules)
    kind = _priced_kind(conversation, kind, now, rules)
    if market is None:
        market = known_region(conversation.recipient)
    if conversation.entry_points or rules.pricing_model.value is not _PMP:
        return estimate_at(
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
            ai_provider=ai_provider,
        )
    # Per-message pricing without a free entry point: the estimate depends on `now` only
    # through whether the window is open and the card's price then, so it is kept per card,
    # rules and question for the span in which the card's prices of the market do not change.
    window_end = conversation.window(rules)[1]
    window_open = window_end is not None and now < window_end
    key = (
        id(rate_card),
        id(rules),
        kind,
        market,
        authentication_international,
        not free_tier_remaining,
        month_volume,
        window_open,
        ai_provider,
    )
    kept = _ESTIMATES.get(key)
    if kept is not None and kept[0] is rate_card and kept[1] is rules and kept[2] <= now < kept[3]:
        return kept[4]
    estimate = estimate_at(
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
        ai_provider=ai_provider,
    )
    if estimate.reason is _UNKNOWN_PRICE and estimate.category is not None and market is not None:
        return estimate  # its detail names the day
    since, until = _EARLIEST, _LATEST
    if market is not None:
        changes = rate_card.price_changes(market)
        position = bisect.bisect_right(changes, now)
        if position:
            since = changes[position - 1]
        if position < len(changes):
            until = changes[position]
    if len(_ESTIMATES) >= _ESTIMATES_KEPT:
        _ESTIMATES.clear()
    _ESTIMATES[key] = (rate_card, rules, since, until, estimate)
    return estimate


_ESTIMATES: Final[
    dict[tuple[object, ...], tuple[RateCard, Rules, datetime, datetime, CostEstimate]]
] = {}
"""Estimates kept by (card, rules, question), with the span they hold for. The entry keeps the
card and the rules alive, so their `id` in the key cannot name another object while it is kept."""
_ESTIMATES_KEPT: Final = 4096
"""How many estimates are kept before the cache starts afresh."""
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
_LATEST: Final = datetime.max.replace(tzinfo=UTC)


def estimate_at(  # noqa: PLR0917 - estimate_cost's arguments, once checked
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
    *,
    ai_provider: bool = False,
) -> CostEstimate:
    """Work out the estimate of `estimate_cost` once its arguments are checked, kept nowhere."""
    kind = _priced_kind(conversation, kind, now, rules)
    model = rules.pricing_model.value
    category = price_category(
        kind, rules=rules, authentication_international=authentication_international
    )
    send = _Send(kind, category, market, now, rules, rate_card, model, month_volume)

    window_end = conversation.window(rules)[1]
    window_open = window_end is not None and now < window_end
    early = _not_priced_by_model(send, window_open=window_open, ai_provider=ai_provider)
    if early is not None:
        return early
    entry_point = _entry_point(conversation, rules, now)
    if entry_point is not None:
        end, opens = entry_point
        return send.free(
            CostReason.FREE_ENTRY_POINT,
            "free_entry_point_window",
            opens=opens and model is _CBP,
            until=end,
        )
    if model is _PMP:
        return _per_message(send, window_open=window_open, free_tier_remaining=free_tier_remaining)
    return _per_conversation(send, charges or _NO_CHARGES, free_tier_remaining=free_tier_remaining)


def _priced_kind(
    conversation: Conversation, kind: SendKind, now: datetime, rules: Rules
) -> SendKind:
    """The kind a send is priced as: itself, except a call permission request.

    That is free-form inside the window and a template outside it (marketing or utility, as
    Meta allows; the estimate assumes utility).
    """
    if kind is not _CALL_PERMISSION_REQUEST:
        return kind
    window_end = conversation.window(rules)[1]
    return _FREE_FORM if window_end is not None and now < window_end else _UTILITY_TEMPLATE


_NO_CHARGES: Final = ConversationCharges()


def _not_priced_by_model(
    send: _Send, *, window_open: bool, ai_provider: bool
) -> CostEstimate | None:
    """Return the estimate of a send the pricing model does not price, else `None`.

    Such a send is not delivered, or is an AI Provider's charged free-form message.
    """
    kind, market, rules = send.kind, send.market, send.rules
    if kind is _MARKETING_TEMPLATE and market in rules.marketing_blocked_regions.value:
        return send.free(CostReason.BLOCKED_REGION, "marketing_blocked_regions")
    if kind is not _FREE_FORM:
        return None
    if not window_open:
        return send.free(CostReason.WINDOW_CLOSED, "service_window")
    if ai_provider and market in rules.ai_provider_charged_regions.value:
        return send.unknown(
            "ai_provider_charged_regions",
            f"an AI Provider's non-template messages to {market} are charged at Meta's AI"
            " Provider rate, which the rate card does not carry",
        )
    return None


def check_count(name: str, count: object) -> None:
    """Refuse a count that is not an `int` of at least 0."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidValueError(name, count, "expected an int of at least 0")


class _Send:
    """One send being estimated, with what every branch needs to build its answer."""

    __slots__ = ("category", "kind", "market", "model", "now", "rate_card", "rules", "volume")

    def __init__(  # noqa: PLR0917 - private, called once per estimate, positionally for speed
        self,
        kind: SendKind,
        category: PriceCategory | None,
        market: str | None,
        now: datetime,
        rules: Rules,
        rate_card: RateCard,
        model: PricingModel,
        volume: int | None,
    ) -> None:
        """Keep what the branches read."""
        self.kind = kind
        self.category = category
        self.market = market
        self.now = now
        self.rules = rules
        self.rate_card = rate_card
        self.model = model
        self.volume = volume

    def free(
        self,
        reason: CostReason,
        rule: str,
        *,
        opens: bool = False,
        until: datetime | None = None,
        detail: str = "",
    ) -> CostEstimate:
        """Return a free estimate (amount zero) for `reason`, behind `rule`."""
        return CostEstimate(
            kind=self.kind,
            charged=False,
            reason=reason,
            category=self.category,
            market=self.market,
            rate=None,
            amount=_ZERO,
            currency=None,
            pricing_model=self.model,
            opens_conversation=opens,
            conversation_expires_at=until,
            rule=rule,
            source=_source(self.rules, rule),
            detail=detail,
        )

    def unknown(
        self, rule: str, detail: str, *, opens: bool = False, until: datetime | None = None
    ) -> CostEstimate:
        """Return a charged estimate of unknown amount, behind `rule`."""
        return CostEstimate(
            kind=self.kind,
            charged=True,
            reason=CostReason.PRICE_UNKNOWN,
            category=self.category,
            market=self.market,
            rate=None,
            amount=None,
            currency=None,
            pricing_model=self.model,
            opens_conversation=opens,
            conversation_expires_at=until,
            rule=rule,
            source=_source(self.rules, rule),
            detail=detail,
        )

    def charge(
        self,
        reason: CostReason,
        rule: str,
        *,
        price_as: PriceCategory | None = None,
        opens: bool = False,
        until: datetime | None = None,
    ) -> CostEstimate:
        """Return a charged estimate at the card's price of `price_as` (default: `category`).

        Without a market, a category or a row in the card, the estimate is `PRICE_UNKNOWN`.
        """
        category = self.category
        rate: Rate | None = None
        detail = ""
        if category is None:
            detail = (
                "the rules price templates as one business-initiated category, which the"
                " rate card does not carry"
            )
        elif self.market is None:
            detail = "the recipient's market is not known"
        else:
            looked_up = price_as or category
            rate = self.rate_card.price(looked_up, self.market, self.now, volume=self.volume)
            if rate is None:
                shown = looked_up.value.replace("_", "-")
                detail = (
                    f"the rate card has no {shown} price for {self.market} on"
                    f" {self.now.date().isoformat()}"
                )
        if rate is None:
            return self.unknown(rule, detail, opens=opens, until=until)
        if rate.category is not category:
            detail = f" at its {rate.category.value} rate (the card has no service price)"
        return CostEstimate(
            kind=self.kind,
            charged=True,
            reason=reason,
            category=category,
            market=self.market,
            rate=rate,
            amount=rate.amount,
            currency=rate.currency,
            pricing_model=self.model,
            opens_conversation=opens,
            conversation_expires_at=until,
            rule=rule,
            source=_source(self.rules, rule),
            detail=detail,
        )


def _source(rules: Rules, rule: str) -> Source:
    source: Source = getattr(rules, rule).source
    return source


def _not_a_message(kind: SendKind, model: PricingModel, rules: Rules) -> CostEstimate:
    rule = "business_initiated_calls"
    return CostEstimate(
        kind=kind,
        charged=False,
        reason=CostReason.CALL,
        category=None,
        market=None,
        rate=None,
        amount=None,
        currency=None,
        pricing_model=model,
        rule=rule,
        source=_source(rules, rule),
    )


def _entry_point(c: Conversation, rules: Rules, now: datetime) -> tuple[datetime, bool] | None:
    """Return the end of the free entry point window at `now`, and whether this send opens it.

    A send is the reply that opens a window when the user arrived from an ad or a Page button
    no longer ago than the rules allow, the business has not written since, and no window is
    open: Meta's conversation-based pricing opens the free entry point conversation "as soon as
    your message is delivered", so the reply is the window's first free message.
    """
    if not c.entry_points:
        return None
    window = c.free_entry_point_at(rules, now)
    if window is not None:
        free, changes = window
        # Before a recorded reply, that reply, not this send, opens the window.
        return (changes, False) if free else None
    last_out = c.last_outbound_at
    within = rules.free_entry_point_reply_within.value
    for visit in c.entry_points:
        if (
            visit.replied_at is None
            and visit.referred_at <= now <= visit.referred_at + within
            and (last_out is None or last_out < visit.referred_at)
        ):
            return now + rules.free_entry_point_window.value, True
    return None


def _per_message(
    send: _Send, *, window_open: bool, free_tier_remaining: int | None
) -> CostEstimate:
    rules = send.rules
    if send.kind is _FREE_FORM:
        if rules.service_free.value:
            return send.free(CostReason.FREE_SERVICE, "service_free")
        allowance = rules.free_service_messages.value
        if allowance > 0 and free_tier_remaining:
            return send.free(
                CostReason.FREE_TIER,
                "free_service_messages",
                detail=f"{allowance} free service messages per number",
            )
        card, market = send.rate_card, send.market
        service_priced = market is None or (card.price(_SERVICE, market, send.now) is not None)
        # The rule prices service "at the market's utility rate": a card without a service
        # row uses its utility row, and the estimate says so.
        return send.charge(
            CostReason.CHARGED,
            "service_free",
            price_as=None if service_priced else PriceCategory.UTILITY,
        )
    if (
        (send.kind is _UTILITY_TEMPLATE or send.kind is _DIRECT_SEND)
        and window_open
        and rules.utility_free_in_service_window.value
    ):
        return send.free(CostReason.FREE_UTILITY_IN_WINDOW, "utility_free_in_service_window")
    return send.charge(CostReason.CHARGED, "pricing_model")


def _per_conversation(
    send: _Send, charges: ConversationCharges, *, free_tier_remaining: int | None
) -> CostEstimate:
    rules, now = send.rules, send.now
    bucket = _conversation_category(send.kind)
    if bucket is _SERVICE:
        open_until = charges.any_open_until(now)
        what = "a free-form message opens none while one of any category is open"
    else:
        open_until = charges.open_until(bucket, now)
        what = (
            f"of the template's category, {bucket.value}"
            if rules.priced_by_template_category.value
            else "business-initiated, which covers every template category"
        )
    if open_until is not None:
        return send.free(
            CostReason.OPEN_CONVERSATION, "conversation_length", until=open_until, detail=what
        )
    until = now + rules.conversation_length.value
    if bucket is _SERVICE and rules.service_free.value:
        return send.free(CostReason.FREE_SERVICE, "service_free", opens=True, until=until)
    tier = rules.free_tier_conversations.value
    if (
        tier > 0
        and free_tier_remaining
        and (bucket is _SERVICE or not rules.free_tier_service_only.value)
    ):
        kinds = "service conversations" if rules.free_tier_service_only.value else "conversations"
        return send.free(
            CostReason.FREE_TIER,
            "free_tier_conversations",
            opens=True,
            until=until,
            detail=f"{tier} free {kinds} per account",
        )
    rule = "pricing_model" if send.category is not None else "priced_by_template_category"
    return send.charge(CostReason.NEW_CONVERSATION, rule, opens=True, until=until)
