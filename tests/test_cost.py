"""`estimate_cost`: Meta's worked pricing examples under every pricing regime, and properties.

The worked examples are Meta's "Conversation-based pricing (DEPRECATED)" page (mirrored as
ArielAmzalak/WBAPI_Doc doc/conversation-based-pricing.md: the hour-by-hour examples and the
free entry point example) and Meta's "Groups API Pricing" page (doc/pricing.md: per-message
pricing charges each delivered billable message; utility templates and free-form messages
inside a customer service window are free). The rate card here is made up for the tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    Conversation,
    EntryPoint,
    InboundMessageReceived,
    InvalidValueError,
    NaiveDatetimeError,
    OutboundMessageSent,
    PhoneNumberId,
    ReferralReceived,
    SendKind,
    WaId,
    rules_at,
)
from wa_outbound._cost import (
    ConversationCharges,
    CostEstimate,
    CostReason,
    estimate_cost,
    price_category,
)
from wa_outbound._rates import PriceCategory, Rate, RateCard
from wa_outbound._rules import PricingModel, Rules

H = timedelta(hours=1)
UTC = timezone.utc
P = PriceCategory


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    """Return an instant in UTC."""
    return datetime(year, month, day, hour, tzinfo=UTC)


D2023_03 = at(2023, 3, 6)
D2023_07 = at(2023, 7, 1)
D2024_12 = at(2024, 12, 1)
D2025_08 = at(2025, 8, 1)
D2026_11 = at(2026, 11, 25)
DATES = [D2023_03, D2023_07, D2024_12, D2025_08, D2026_11]
CBP_DATES = [D2023_03, D2023_07, D2024_12]
PMP_DATES = [D2025_08, D2026_11]

SINCE = at(2022, 2, 1, 0)
PRICES = {
    P.MARKETING: Decimal("0.10"),
    P.UTILITY: Decimal("0.04"),
    P.AUTHENTICATION: Decimal("0.03"),
    P.AUTHENTICATION_INTERNATIONAL: Decimal("0.05"),
    P.SERVICE: Decimal("0.02"),
}
CARD = RateCard(
    [
        *(
            Rate(
                market="DE", category=c, amount=a, currency="USD", effective_from=SINCE, source="t"
            )
            for c, a in PRICES.items()
        ),
        # India has no service row and no authentication-international row.
        *(
            Rate(market="IN", category=c, amount=PRICES[c], currency="USD", effective_from=SINCE)
            for c in (P.MARKETING, P.UTILITY, P.AUTHENTICATION)
        ),
        Rate(
            market="US",
            category=P.MARKETING,
            amount="0.025",
            currency="USD",
            effective_from=SINCE,
        ),
    ],
    name="test card",
)

CUSTOMER = Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))


def estimate(
    c: Conversation,
    kind: SendKind,
    now: datetime,
    *,
    rules: Rules | None = None,
    market: str | None = "DE",
    **options: object,
) -> CostEstimate:
    """Estimate with the test card, the built-in rules at `now` and a German recipient."""
    return estimate_cost(
        c,
        kind,
        now=now,
        rules=rules or rules_at(now),
        rate_card=CARD,
        market=market,
        **options,  # type: ignore[arg-type]
    )


def in_window(now: datetime, ago: timedelta = H) -> Conversation:
    """Return a conversation whose user wrote `ago` before `now`."""
    return CUSTOMER.apply(InboundMessageReceived(at=now - ago))


class Thread:
    """Estimates a sequence of sends to one recipient, threading `ConversationCharges`."""

    def __init__(self, conversation: Conversation = CUSTOMER, **options: Any) -> None:
        """Start with no open conversation."""
        self.conversation = conversation
        self.charges = ConversationCharges()
        self.options = options
        self.estimates: list[CostEstimate] = []

    def send(self, kind: SendKind, now: datetime) -> CostEstimate:
        """Estimate `kind` at `now`, then record it as delivered."""
        rules = rules_at(now)
        result = estimate(self.conversation, kind, now, charges=self.charges, **self.options)
        self.charges = self.charges.record(result, now, rules)
        self.conversation = self.conversation.apply(OutboundMessageSent(at=now))
        self.estimates.append(result)
        return result

    def user_writes(self, now: datetime) -> None:
        """The user messages the business."""
        self.conversation = self.conversation.apply(InboundMessageReceived(at=now))

    @property
    def total(self) -> Decimal:
        """The sum of known amounts."""
        return sum((e.amount or Decimal(0) for e in self.estimates), Decimal(0))


# --- price categories -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "international", "when", "expected"),
    [
        (SendKind.FREE_FORM, False, D2023_03, P.SERVICE),
        (SendKind.FREE_FORM, False, D2026_11, P.SERVICE),
        (SendKind.MARKETING_TEMPLATE, False, D2023_03, None),
        (SendKind.UTILITY_TEMPLATE, False, D2023_03, None),
        (SendKind.MARKETING_TEMPLATE, False, D2023_07, P.MARKETING),
        (SendKind.UTILITY_TEMPLATE, False, D2025_08, P.UTILITY),
        (SendKind.AUTHENTICATION_TEMPLATE, False, D2025_08, P.AUTHENTICATION),
        (SendKind.AUTHENTICATION_TEMPLATE, True, D2025_08, P.AUTHENTICATION_INTERNATIONAL),
        (SendKind.UTILITY_TEMPLATE, True, D2025_08, P.UTILITY),
        (SendKind.CALL, False, D2026_11, None),
    ],
)
def test_price_category(
    kind: SendKind, *, international: bool, when: datetime, expected: PriceCategory | None
) -> None:
    """Each kind maps to its price category; calls and pre-2023-06 templates have none."""
    actual = price_category(kind, rules=rules_at(when), authentication_international=international)
    assert expected == actual


# --- conversation-based pricing: Meta's worked examples -------------------------------------


@pytest.mark.parametrize("start", [D2023_07, D2024_12])
def test_marketing_then_two_utility_templates(start: datetime) -> None:
    """Meta's example: marketing at hour 0, utility at hours 4 and 10 open two conversations."""
    thread = Thread()
    first = thread.send(SendKind.MARKETING_TEMPLATE, start)
    second = thread.send(SendKind.UTILITY_TEMPLATE, start + 4 * H)
    third = thread.send(SendKind.UTILITY_TEMPLATE, start + 10 * H)
    assert (CostReason.NEW_CONVERSATION, True, start + 24 * H) == (
        first.reason,
        first.opens_conversation,
        first.conversation_expires_at,
    )
    assert (CostReason.NEW_CONVERSATION, start + 28 * H) == (
        second.reason,
        second.conversation_expires_at,
    )
    assert (CostReason.OPEN_CONVERSATION, False, start + 28 * H) == (
        third.reason,
        third.opens_conversation,
        third.conversation_expires_at,
    )
    assert [True, True, False] == [e.charged for e in thread.estimates]
    assert PRICES[P.MARKETING] + PRICES[P.UTILITY] == thread.total
    assert PricingModel.CONVERSATION_BASED == first.pricing_model
    assert "pricing_model" == first.rule
    assert "conversation_length" == third.rule
    assert first.rate is not None
    assert "t" == first.price_source


def test_marketing_then_utility_is_one_business_initiated_conversation_before_june_2023() -> None:
    """Before 2023-06-01 the template categories share one business-initiated conversation."""
    thread = Thread()
    first = thread.send(SendKind.MARKETING_TEMPLATE, D2023_03)
    second = thread.send(SendKind.UTILITY_TEMPLATE, D2023_03 + 4 * H)
    third = thread.send(SendKind.AUTHENTICATION_TEMPLATE, D2023_03 + 10 * H)
    assert CostReason.PRICE_UNKNOWN == first.reason
    assert first.charged
    assert first.opens_conversation
    assert first.amount is None
    assert first.category is None
    assert "business-initiated" in first.message
    assert "priced_by_template_category" == first.rule
    assert [CostReason.OPEN_CONVERSATION] * 2 == [second.reason, third.reason]
    assert "business-initiated" in second.message
    assert D2023_03 + 24 * H == second.conversation_expires_at


@pytest.mark.parametrize("start", CBP_DATES)
def test_two_marketing_templates_within_24_hours_are_one_conversation(start: datetime) -> None:
    """A second marketing template inside the open marketing conversation costs nothing."""
    thread = Thread()
    thread.send(SendKind.MARKETING_TEMPLATE, start)
    second = thread.send(SendKind.MARKETING_TEMPLATE, start + 23 * H)
    third = thread.send(SendKind.MARKETING_TEMPLATE, start + 24 * H)
    assert CostReason.OPEN_CONVERSATION == second.reason
    assert second.free
    assert Decimal(0) == second.amount
    assert third.charged
    assert third.opens_conversation
    assert start + 48 * H == third.conversation_expires_at


def test_service_conversation_example_under_the_free_tier_regime() -> None:
    """Meta's service example (2023-07): free-form inside marketing is free; later it opens one."""
    start = D2023_07
    thread = Thread()
    thread.send(SendKind.MARKETING_TEMPLATE, start)
    thread.user_writes(start + 4 * H)
    hour5 = thread.send(SendKind.FREE_FORM, start + 5 * H)
    hour25 = thread.send(SendKind.FREE_FORM, start + 25 * H)
    hour26 = thread.send(SendKind.FREE_FORM, start + 26 * H)
    assert (CostReason.OPEN_CONVERSATION, start + 24 * H) == (
        hour5.reason,
        hour5.conversation_expires_at,
    )
    assert "any category" in hour5.message
    assert (CostReason.NEW_CONVERSATION, True, P.SERVICE, PRICES[P.SERVICE]) == (
        hour25.reason,
        hour25.opens_conversation,
        hour25.category,
        hour25.amount,
    )
    assert (CostReason.OPEN_CONVERSATION, start + 49 * H) == (
        hour26.reason,
        hour26.conversation_expires_at,
    )
    assert PRICES[P.MARKETING] + PRICES[P.SERVICE] == thread.total


@pytest.mark.parametrize(
    ("start", "reason", "rule"),
    [
        (D2023_03, CostReason.FREE_TIER, "free_tier_conversations"),
        (D2023_07, CostReason.FREE_TIER, "free_tier_conversations"),
        (D2024_12, CostReason.FREE_SERVICE, "service_free"),
    ],
)
def test_service_conversation_is_free_under_the_tier_or_free_service(
    start: datetime, reason: CostReason, rule: str
) -> None:
    """A service conversation opens free from the monthly tier, or free outright from 2024-11."""
    actual = estimate(in_window(start), SendKind.FREE_FORM, start, free_tier_remaining=10)
    assert (reason, False, True, Decimal(0), rule) == (
        actual.reason,
        actual.charged,
        actual.opens_conversation,
        actual.amount,
        actual.rule,
    )
    assert start + 24 * H == actual.conversation_expires_at
    assert actual.source == getattr(rules_at(start), rule).source


@pytest.mark.parametrize(
    ("start", "remaining", "reason"),
    [
        (D2023_03, 10, CostReason.FREE_TIER),  # any conversation counts before 2023-06
        (D2023_07, 10, CostReason.NEW_CONVERSATION),  # the tier is service only
        (D2023_07, 0, CostReason.NEW_CONVERSATION),
        (D2024_12, 10, CostReason.NEW_CONVERSATION),  # no tier any more
    ],
)
def test_the_free_tier_and_templates(start: datetime, remaining: int, reason: CostReason) -> None:
    """Template conversations use the free tier only while it covers every kind."""
    assert (
        reason
        == estimate(
            CUSTOMER, SendKind.UTILITY_TEMPLATE, start, free_tier_remaining=remaining
        ).reason
    )


def test_free_tier_message_names_the_allowance() -> None:
    """The free-tier sentence says how large the allowance is."""
    actual = estimate(in_window(D2023_07), SendKind.FREE_FORM, D2023_07, free_tier_remaining=1)
    assert "1000 free service conversations per account" in actual.message


def test_service_conversation_without_tier_is_charged() -> None:
    """With no tier counted, a service conversation in 2023 is charged at the service price."""
    actual = estimate(in_window(D2023_03), SendKind.FREE_FORM, D2023_03)
    assert (CostReason.NEW_CONVERSATION, PRICES[P.SERVICE], "USD") == (
        actual.reason,
        actual.amount,
        actual.currency,
    )
    assert "opens a service conversation with DE" in actual.message


def test_a_template_during_a_service_conversation_opens_its_own() -> None:
    """Meta: a template sent while a service conversation is open opens another conversation."""
    charges = ConversationCharges().record(P.SERVICE, D2023_07, rules_at(D2023_07))
    actual = estimate(CUSTOMER, SendKind.UTILITY_TEMPLATE, D2023_07 + H, charges=charges)
    assert CostReason.NEW_CONVERSATION == actual.reason


def test_cbp_service_price_missing_is_unknown() -> None:
    """Under conversation-based pricing a missing service price is unknown, not the utility one."""
    actual = estimate(in_window(D2023_07), SendKind.FREE_FORM, D2023_07, market="IN")
    assert (CostReason.PRICE_UNKNOWN, None, True) == (actual.reason, actual.amount, actual.charged)
    assert "no service price for IN" in actual.message


# --- free entry point ------------------------------------------------------------------------


def ad_click(when: datetime) -> Conversation:
    """Return a conversation whose user arrived from a click-to-WhatsApp ad at `when`."""
    return CUSTOMER.apply(ReferralReceived(at=when, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD))


@pytest.mark.parametrize("day", DATES)
def test_free_entry_point_example(day: datetime) -> None:
    """Meta's example: ad at 10am, template reply at 10pm; 72 h of free templates follow."""
    ten_am = day.replace(hour=10)
    ten_pm = day.replace(hour=22)
    thread = Thread(ad_click(ten_am))
    reply = thread.send(SendKind.MARKETING_TEMPLATE, ten_pm)
    later = thread.send(SendKind.MARKETING_TEMPLATE, ten_pm + 48 * H)
    cbp = rules_at(day).pricing_model.value is PricingModel.CONVERSATION_BASED
    assert (CostReason.FREE_ENTRY_POINT, cbp, ten_pm + 72 * H) == (
        reply.reason,
        reply.opens_conversation,
        reply.conversation_expires_at,
    )
    assert (CostReason.FREE_ENTRY_POINT, False, ten_pm + 72 * H) == (
        later.reason,
        later.opens_conversation,
        later.conversation_expires_at,
    )
    # Free-form still needs the 24 h window, which closed at 10am the next day.
    closed = estimate(thread.conversation, SendKind.FREE_FORM, ten_am + 25 * H)
    assert (CostReason.WINDOW_CLOSED, False, Decimal(0)) == (
        closed.reason,
        closed.charged,
        closed.amount,
    )
    after = thread.send(SendKind.MARKETING_TEMPLATE, ten_pm + 72 * H)
    assert after.charged
    assert Decimal(0) == sum(e.amount or 0 for e in thread.estimates[:2])


def test_free_entry_point_closes_open_conversations() -> None:
    """Recording the reply that opens a free entry point conversation closes the others."""
    charges = ConversationCharges(marketing_until=D2024_12 + H)
    c = ad_click(D2024_12 - H)
    reply = estimate(c, SendKind.UTILITY_TEMPLATE, D2024_12, charges=charges)
    assert ConversationCharges() == charges.record(reply, D2024_12, rules_at(D2024_12))


def test_late_reply_to_an_ad_opens_no_free_window() -> None:
    """A reply more than 24 h after the ad click is charged like any template."""
    actual = estimate(ad_click(D2025_08 - 25 * H), SendKind.MARKETING_TEMPLATE, D2025_08)
    assert CostReason.CHARGED == actual.reason


def test_ad_click_after_a_business_message_of_unknown_order_claims_nothing() -> None:
    """A referral applied after a later reply cannot tell which reply came first: no free window."""
    c = CUSTOMER.apply(OutboundMessageSent(at=D2025_08)).apply(
        ReferralReceived(at=D2025_08 - H, entry_point=EntryPoint.FACEBOOK_PAGE_BUTTON)
    )
    actual = estimate(c, SendKind.MARKETING_TEMPLATE, D2025_08 + H)
    assert CostReason.CHARGED == actual.reason


def test_a_send_before_the_recorded_reply_is_not_in_the_window() -> None:
    """An estimate for an instant before the recorded reply does not claim the later window."""
    c = ad_click(D2025_08 - 2 * H).apply(OutboundMessageSent(at=D2025_08))
    assert CostReason.CHARGED == estimate(c, SendKind.MARKETING_TEMPLATE, D2025_08 - H).reason


def test_a_new_ad_click_after_the_window_opens_another() -> None:
    """Once the first window ended, the reply to a newer ad click opens a new one."""
    c = ad_click(D2025_08).apply(OutboundMessageSent(at=D2025_08 + H))
    c = c.apply(ReferralReceived(at=D2025_08 + 80 * H, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD))
    actual = estimate(c, SendKind.MARKETING_TEMPLATE, D2025_08 + 81 * H)
    assert (CostReason.FREE_ENTRY_POINT, D2025_08 + 153 * H) == (
        actual.reason,
        actual.conversation_expires_at,
    )
    assert "free entry point window" in actual.message


# --- per-message pricing -------------------------------------------------------------------


@pytest.mark.parametrize("day", PMP_DATES)
def test_one_marketing_and_one_utility_outside_the_window_are_two_charges(day: datetime) -> None:
    """Per-message pricing charges every delivered template outside the window."""
    thread = Thread()
    marketing = thread.send(SendKind.MARKETING_TEMPLATE, day)
    utility = thread.send(SendKind.UTILITY_TEMPLATE, day + H)
    assert [CostReason.CHARGED] * 2 == [marketing.reason, utility.reason]
    assert PRICES[P.MARKETING] + PRICES[P.UTILITY] == thread.total
    assert not marketing.opens_conversation
    assert marketing.conversation_expires_at is None
    assert PricingModel.PER_MESSAGE == marketing.pricing_model
    assert ConversationCharges() == thread.charges
    assert "charged 0.10 USD as a marketing message to DE" in marketing.message
    assert marketing.message == str(marketing)


@pytest.mark.parametrize(
    ("day", "kind", "reason", "amount"),
    [
        (D2025_08, SendKind.UTILITY_TEMPLATE, CostReason.FREE_UTILITY_IN_WINDOW, 0),
        (D2025_08, SendKind.FREE_FORM, CostReason.FREE_SERVICE, 0),
        (D2025_08, SendKind.MARKETING_TEMPLATE, CostReason.CHARGED, PRICES[P.MARKETING]),
        (D2025_08, SendKind.AUTHENTICATION_TEMPLATE, CostReason.CHARGED, PRICES[P.AUTHENTICATION]),
        (D2026_11, SendKind.UTILITY_TEMPLATE, CostReason.CHARGED, PRICES[P.UTILITY]),
        (D2026_11, SendKind.FREE_FORM, CostReason.CHARGED, PRICES[P.SERVICE]),
        (D2026_11, SendKind.MARKETING_TEMPLATE, CostReason.CHARGED, PRICES[P.MARKETING]),
    ],
)
def test_inside_the_window(
    day: datetime, kind: SendKind, reason: CostReason, amount: Decimal
) -> None:
    """Inside the window: utility and free-form free until 2026-10-01, charged after."""
    actual = estimate(in_window(day), kind, day)
    assert (reason, amount) == (actual.reason, actual.amount)
    assert (amount != 0) == actual.charged


def test_free_messages_name_their_rule() -> None:
    """Free answers carry the rule that makes them free, and say so."""
    utility = estimate(in_window(D2025_08), SendKind.UTILITY_TEMPLATE, D2025_08)
    service = estimate(in_window(D2025_08), SendKind.FREE_FORM, D2025_08)
    assert "utility_free_in_service_window" == utility.rule
    assert "utility template inside an open customer service window" in utility.message
    assert "service_free" == service.rule
    assert "free-form messages" in service.message
    assert service.free
    assert service.known


def test_service_at_the_utility_rate_when_the_card_has_no_service_price() -> None:
    """From 2026-10-01 a card without a service row charges service at the utility rate."""
    actual = estimate(in_window(D2026_11), SendKind.FREE_FORM, D2026_11, market="IN")
    assert (CostReason.CHARGED, P.SERVICE, PRICES[P.UTILITY]) == (
        actual.reason,
        actual.category,
        actual.amount,
    )
    assert actual.rate is not None
    assert P.UTILITY == actual.rate.category
    assert "at its utility rate" in actual.message
    assert "service_free" == actual.rule


def test_service_free_allowance_from_2026() -> None:
    """The first free service messages of the month are free while the caller counts some left."""
    c = in_window(D2026_11)
    free = estimate(c, SendKind.FREE_FORM, D2026_11, free_tier_remaining=3)
    used_up = estimate(c, SendKind.FREE_FORM, D2026_11, free_tier_remaining=0)
    assert (CostReason.FREE_TIER, "free_service_messages") == (free.reason, free.rule)
    assert "1000 free service messages per number" in free.message
    assert CostReason.CHARGED == used_up.reason


def test_service_allowance_needs_the_rule() -> None:
    """A caller's count means nothing where the rules give no free service messages."""
    rules = attrs.evolve(rules_at(D2026_11), free_service_messages=0)
    actual = estimate(
        in_window(D2026_11), SendKind.FREE_FORM, D2026_11, rules=rules, free_tier_remaining=3
    )
    assert CostReason.CHARGED == actual.reason


def test_authentication_international() -> None:
    """The international rate is used when asked for, and never replaced by the domestic one."""
    known = estimate(
        CUSTOMER, SendKind.AUTHENTICATION_TEMPLATE, D2025_08, authentication_international=True
    )
    unknown = estimate(
        CUSTOMER,
        SendKind.AUTHENTICATION_TEMPLATE,
        D2025_08,
        market="IN",
        authentication_international=True,
    )
    assert (P.AUTHENTICATION_INTERNATIONAL, PRICES[P.AUTHENTICATION_INTERNATIONAL]) == (
        known.category,
        known.amount,
    )
    assert (CostReason.PRICE_UNKNOWN, None, None) == (
        unknown.reason,
        unknown.amount,
        unknown.rate,
    )
    assert "no authentication-international price for IN on 2025-08-01" in unknown.message


def test_authentication_international_shares_the_authentication_conversation() -> None:
    """Under conversation-based pricing both authentication rates open one kind of conversation."""
    charges = ConversationCharges().record(
        P.AUTHENTICATION_INTERNATIONAL, D2024_12, rules_at(D2024_12)
    )
    assert D2024_12 + 24 * H == charges.open_until(P.AUTHENTICATION, D2024_12 + H)


# --- not delivered, calls, unknown prices ---------------------------------------------------


@pytest.mark.parametrize("day", [D2025_08, D2026_11])
def test_marketing_to_a_blocked_region_is_not_charged(day: datetime) -> None:
    """Marketing templates to US numbers are not delivered, so not charged."""
    actual = estimate(CUSTOMER, SendKind.MARKETING_TEMPLATE, day, market="US")
    assert (CostReason.BLOCKED_REGION, False, Decimal(0), "marketing_blocked_regions") == (
        actual.reason,
        actual.charged,
        actual.amount,
        actual.rule,
    )
    assert "marketing templates to US are not delivered" in actual.message


def test_marketing_to_the_us_before_the_block_is_charged() -> None:
    """Before 2025-04-01 marketing to the US opened a conversation like anywhere else."""
    actual = estimate(CUSTOMER, SendKind.MARKETING_TEMPLATE, D2024_12, market="US")
    assert (CostReason.NEW_CONVERSATION, Decimal("0.025")) == (actual.reason, actual.amount)


@pytest.mark.parametrize("day", DATES)
def test_calls_are_priced_separately(day: datetime) -> None:
    """A call gets an estimate with no amount that says calls are priced by the Calling API."""
    actual = estimate(CUSTOMER, SendKind.CALL, day)
    assert (CostReason.CALL, False, None, None) == (
        actual.reason,
        actual.charged,
        actual.amount,
        actual.category,
    )
    assert not actual.known
    assert not actual.free
    assert "Calling API" in actual.message
    assert "business_initiated_calls" == actual.rule


@pytest.mark.parametrize("market", [None, "ZZ"])
@pytest.mark.parametrize("day", DATES[1:])
def test_unknown_market_is_price_unknown(market: str | None, day: datetime) -> None:
    """A market that is unknown, or that the card lacks, gives no amount, never zero."""
    if market is None:
        actual = _with_region(None, day)
    else:
        actual = estimate(CUSTOMER, SendKind.MARKETING_TEMPLATE, day, market=market)
    assert (CostReason.PRICE_UNKNOWN, True, None, None) == (
        actual.reason,
        actual.charged,
        actual.amount,
        actual.currency,
    )
    assert not actual.known
    assert not actual.free


def _with_region(region: str | None, day: datetime) -> CostEstimate:
    """Estimate a marketing template with `recipient_region` answering `region`."""
    with pytest.MonkeyPatch.context() as patch:
        import wa_outbound._rates as rates

        patch.setattr(rates, "recipient_region", lambda _recipient: region, raising=False)
        return estimate_cost(
            CUSTOMER, SendKind.MARKETING_TEMPLATE, now=day, rules=rules_at(day), rate_card=CARD
        )


def test_market_defaults_to_the_recipients_region() -> None:
    """Without `market`, the recipient's number decides it."""
    actual = _with_region("DE", D2025_08)
    assert ("DE", PRICES[P.MARKETING]) == (actual.market, actual.amount)


@pytest.mark.parametrize(
    ("number", "reason", "market"),
    [
        ("4915123456789", CostReason.CHARGED, "DE"),
        ("14155550100", CostReason.BLOCKED_REGION, "US"),
        ("80012345678", CostReason.PRICE_UNKNOWN, None),
    ],
)
def test_market_from_the_number(number: str, reason: CostReason, market: str | None) -> None:
    """The default market is the region `phonenumbers` reads from the recipient's number."""
    pytest.importorskip("phonenumbers")
    c = attrs.evolve(CUSTOMER, recipient=WaId(number))
    actual = estimate_cost(
        c, SendKind.MARKETING_TEMPLATE, now=D2025_08, rules=rules_at(D2025_08), rate_card=CARD
    )
    assert (reason, market) == (actual.reason, actual.market)


def test_no_market_without_a_number_or_phonenumbers() -> None:
    """A business-scoped user id, or a missing `phonenumbers`, leaves the market unknown."""
    from wa_outbound import BusinessScopedUserId

    def missing(_recipient: object) -> str:
        raise ImportError

    anonymous = attrs.evolve(CUSTOMER, recipient=BusinessScopedUserId("US.13491208655302741918"))
    with pytest.MonkeyPatch.context() as patch:
        import wa_outbound._rates as rates

        patch.setattr(rates, "recipient_region", missing, raising=False)
        for c in (anonymous, CUSTOMER):
            actual = estimate_cost(
                c,
                SendKind.MARKETING_TEMPLATE,
                now=D2025_08,
                rules=rules_at(D2025_08),
                rate_card=CARD,
            )
            assert (None, CostReason.PRICE_UNKNOWN) == (actual.market, actual.reason)


def test_unknown_market_message() -> None:
    """The sentence for an unknown market says the market is not known."""
    actual = _with_region(None, D2025_08)
    assert "the recipient's market is not known" in actual.message
    assert "charged, but the price is unknown" in actual.message


def test_price_not_yet_in_force_is_unknown() -> None:
    """A card whose rows start later than the send has no price for it."""
    late = RateCard(
        [Rate(market="DE", category=P.MARKETING, amount=1, currency="EUR", effective_from=D2026_11)]
    )
    actual = estimate_cost(
        CUSTOMER,
        SendKind.MARKETING_TEMPLATE,
        now=D2025_08,
        rules=rules_at(D2025_08),
        rate_card=late,
        market="DE",
    )
    assert CostReason.PRICE_UNKNOWN == actual.reason


# --- ConversationCharges --------------------------------------------------------------------


def test_open_until() -> None:
    """A conversation is open from its start until (not at) its end."""
    rules = rules_at(D2024_12)
    charges = ConversationCharges().record(P.MARKETING, D2024_12, rules)
    assert D2024_12 + 24 * H == charges.open_until(P.MARKETING, D2024_12 + 23 * H)
    assert charges.open_until(P.MARKETING, D2024_12 + 24 * H) is None
    assert charges.open_until(P.UTILITY, D2024_12) is None
    assert D2024_12 + 24 * H == charges.any_open_until(D2024_12)
    assert charges.any_open_until(D2024_12 + 24 * H) is None


def test_record_covers_every_template_category_before_june_2023() -> None:
    """Under one business-initiated category a template conversation covers all three."""
    charges = ConversationCharges().record(P.UTILITY, D2023_03, rules_at(D2023_03))
    end = D2023_03 + 24 * H
    assert (
        ConversationCharges(marketing_until=end, utility_until=end, authentication_until=end)
        == charges
    )


def test_record_ignores_estimates_that_open_nothing() -> None:
    """A send that falls in an open conversation, or any per-message send, changes nothing."""
    charges = ConversationCharges(service_until=D2024_12 + H)
    free = estimate(in_window(D2024_12), SendKind.FREE_FORM, D2024_12, charges=charges)
    assert charges is charges.record(free, D2024_12, rules_at(D2024_12))


def test_charges_are_normalised_to_utc() -> None:
    """Ends given in another zone are stored in UTC; naive ones are refused."""
    plus2 = timezone(timedelta(hours=2))
    charges = ConversationCharges(service_until=datetime(2024, 12, 1, 11, tzinfo=plus2))
    assert D2024_12 == charges.service_until
    assert charges.service_until is not None
    assert UTC == charges.service_until.tzinfo
    with pytest.raises(NaiveDatetimeError):
        ConversationCharges(service_until=datetime(2024, 12, 1, 9))


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("remaining", [-1, True, 1.5])
def test_bad_free_tier_remaining(remaining: object) -> None:
    """A negative or non-int allowance is local misuse."""
    with pytest.raises(InvalidValueError, match="free_tier_remaining"):
        estimate(CUSTOMER, SendKind.FREE_FORM, D2025_08, free_tier_remaining=remaining)


def test_bad_kind() -> None:
    """Only a SendKind, or exactly its value string, can be estimated."""
    assert estimate(CUSTOMER, "free_form", D2025_08) == estimate(  # type: ignore[arg-type]
        CUSTOMER, SendKind.FREE_FORM, D2025_08
    )
    with pytest.raises(InvalidValueError, match="kind"):
        estimate(CUSTOMER, "FREE_FORM", D2025_08)  # type: ignore[arg-type]


def test_naive_now() -> None:
    """`now` must be aware."""
    with pytest.raises(NaiveDatetimeError):
        estimate_cost(
            CUSTOMER,
            SendKind.FREE_FORM,
            now=datetime(2025, 8, 1),
            rules=rules_at(D2025_08),
            rate_card=CARD,
            market="DE",
        )


def test_every_reason_has_a_sentence() -> None:
    """Every reason renders a sentence."""
    from wa_outbound._cost import _MESSAGES

    assert set(CostReason) == set(_MESSAGES)


# --- properties -----------------------------------------------------------------------------

KINDS = st.sampled_from([k for k in SendKind if k is not SendKind.CALL_PERMISSION_REQUEST])
"""What the reference models price: every kind but a call permission request (priced as
free-form or a utility template, tested on its own)."""
MARKETS = st.sampled_from(["DE", "IN", "US", "ZZ"])
DAYS = st.sampled_from(DATES)
OFFSETS = st.integers(min_value=0, max_value=96).map(lambda h: h * H)


@st.composite
def situations(draw: st.DrawFn) -> tuple[Conversation, datetime, ConversationCharges]:
    """A conversation, an instant and open conversations, in any combination."""
    now = draw(DAYS) + draw(st.integers(0, 23)) * H
    c = CUSTOMER
    if draw(st.booleans()):
        c = c.apply(InboundMessageReceived(at=now - draw(OFFSETS)))
    if draw(st.booleans()):
        c = c.apply(
            ReferralReceived(at=now - draw(OFFSETS), entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD)
        )
        if draw(st.booleans()):
            c = c.apply(OutboundMessageSent(at=now - draw(OFFSETS)))
    ends = [draw(st.none() | OFFSETS.map(lambda d: now - 24 * H + d)) for _ in range(4)]
    charges = ConversationCharges(
        marketing_until=ends[0],
        utility_until=ends[1],
        authentication_until=ends[2],
        service_until=ends[3],
    )
    return c, now, charges


@given(
    situation=situations(),
    kind=KINDS,
    market=MARKETS,
    remaining=st.none() | st.integers(0, 3),
    international=st.booleans(),
)
def test_estimates_are_consistent(
    *,
    situation: tuple[Conversation, datetime, ConversationCharges],
    kind: SendKind,
    market: str,
    remaining: int | None,
    international: bool,
) -> None:
    """Never negative; charged means a known amount or PRICE_UNKNOWN; free means zero."""
    c, now, charges = situation
    actual = estimate(
        c,
        kind,
        now,
        market=market,
        charges=charges,
        free_tier_remaining=remaining,
        authentication_international=international,
    )
    assert actual.amount is None or actual.amount >= 0
    if actual.charged:
        assert actual.known or CostReason.PRICE_UNKNOWN == actual.reason
        assert (actual.amount is None) == (actual.rate is None)
    if actual.free:
        assert Decimal(0) == actual.amount
    if actual.reason is CostReason.PRICE_UNKNOWN:
        assert actual.amount is None
        assert actual.charged
    if market == "ZZ":
        assert actual.free or actual.reason in {CostReason.PRICE_UNKNOWN, CostReason.CALL}
    if actual.opens_conversation:
        assert PricingModel.CONVERSATION_BASED == actual.pricing_model
        assert actual.conversation_expires_at is not None
    assert actual.message
    assert actual.source == getattr(rules_at(now), actual.rule).source


def reference_cbp(sends: list[tuple[SendKind, datetime]], window_opened: datetime) -> Decimal:
    """Conversation-based pricing by hand: one open conversation per category, 24 h each."""
    ends: dict[SendKind, datetime] = {}
    total = Decimal(0)
    price = {
        SendKind.MARKETING_TEMPLATE: PRICES[P.MARKETING],
        SendKind.UTILITY_TEMPLATE: PRICES[P.UTILITY],
        SendKind.AUTHENTICATION_TEMPLATE: PRICES[P.AUTHENTICATION],
        SendKind.FREE_FORM: PRICES[P.SERVICE],
    }
    for sent, now in sends:
        if sent is SendKind.CALL:
            continue
        # Direct Send is priced as a utility template and shares its conversation.
        kind = SendKind.UTILITY_TEMPLATE if sent is SendKind.DIRECT_SEND else sent
        if kind is SendKind.FREE_FORM:
            if not window_opened <= now < window_opened + 24 * H:
                continue  # not delivered
            if any(now < end for end in ends.values()):
                continue
        elif kind in ends and now < ends[kind]:
            continue
        total += price[kind]
        ends[kind] = now + 24 * H
    return total


def reference_pmp(sends: list[tuple[SendKind, datetime]], window_opened: datetime) -> Decimal:
    """Per-message pricing by hand (2025-08 rules): templates charged, utility free in window."""
    total = Decimal(0)
    for kind, now in sends:
        inside = window_opened <= now < window_opened + 24 * H
        if kind is SendKind.MARKETING_TEMPLATE:
            total += PRICES[P.MARKETING]
        elif kind is SendKind.AUTHENTICATION_TEMPLATE:
            total += PRICES[P.AUTHENTICATION]
        elif kind in {SendKind.UTILITY_TEMPLATE, SendKind.DIRECT_SEND} and not inside:
            total += PRICES[P.UTILITY]
    return total


SENDS = st.lists(st.tuples(KINDS, st.integers(0, 72)), max_size=12).map(
    lambda items: sorted(items, key=lambda item: item[1])
)


@pytest.mark.parametrize(
    ("start", "reference"), [(D2023_07, reference_cbp), (D2025_08, reference_pmp)]
)
@given(sends=SENDS, window_at=st.integers(0, 48))
def test_total_cost_equals_a_reference_model(
    start: datetime,
    reference: object,
    sends: list[tuple[SendKind, int]],
    window_at: int,
) -> None:
    """The sum of estimates with charges threaded equals a hand-written model of the rules."""
    opened = start + window_at * H
    thread = Thread()
    timeline = [(kind, start + hours * H) for kind, hours in sends]
    for kind, now in timeline:
        if thread.conversation.last_inbound_message_at is None and opened <= now:
            thread.user_writes(opened)
        thread.send(kind, now)
    assert reference(timeline, opened) == thread.total  # type: ignore[operator]


def test_an_ai_providers_free_form_reply_in_italy_is_charged_since_2026_02_16() -> None:
    """Meta's AI Provider policy: each non-template message to a user in Italy is charged."""
    replied = CUSTOMER.apply(InboundMessageReceived(at=D2026_11 - H))
    ai = estimate(replied, SendKind.FREE_FORM, D2026_11, market="IT", ai_provider=True)
    germany = estimate(replied, SendKind.FREE_FORM, D2026_11, market="DE", ai_provider=True)
    business = estimate(replied, SendKind.FREE_FORM, D2026_11, market="IT")
    assert (True, CostReason.PRICE_UNKNOWN, "ai_provider_charged_regions") == (
        ai.charged,
        ai.reason,
        ai.rule,
    )
    assert "ai_provider_charged_regions" not in {germany.rule, business.rule}
    assert ("IT",) == rules_at(D2026_11).ai_provider_charged_regions.value
