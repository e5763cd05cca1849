"""Volume tiers: the month's charged volume prices the next send, in decide and the planner."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wa_outbound._campaign import CampaignRecipient, iter_schedule, plan_campaign
from wa_outbound._conversation import Conversation
from wa_outbound._decide import decide
from wa_outbound._errors import InvalidValueError
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._rates import PriceCategory, Rate, RateCard, builtin_market_map, load_rate_card
from wa_outbound._rules import rules_at
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import MemoryStore

UTC = timezone.utc
BUSINESS = PhoneNumberId("106540352242922")
UTILITY = SendKind.UTILITY_TEMPLATE
AUGUST = datetime(2025, 8, 4, 9, tzinfo=UTC)
LONG = "market,category,amount,currency,effective_from,source,provenance,volume_from\n"
TIERED = (
    LONG
    + "India,utility,0.0014,USD,2025-07-01,s,reported,\n"
    + "India,utility,0.0013,USD,2025-07-01,s,reported,1000\n"
    + "India,utility,0.0012,USD,2025-07-01,s,reported,5000\n"
    + "Brazil,utility,0.0068,USD,2025-07-01,s,reported,\n"
)


def _card(text: str = TIERED) -> RateCard:
    return load_rate_card(io.StringIO(text, newline=""), market_map=builtin_market_map())


def _indians(count: int, first: int = 0) -> list[CampaignRecipient]:
    return [
        CampaignRecipient(recipient=WaId(f"9198{i:08d}"), opted_in=True)
        for i in range(first, first + count)
    ]


def _amounts(sends: list[object]) -> list[Decimal | None]:
    return [send.cost.amount for send in sends]  # type: ignore[attr-defined]


def test_volume_tiers_of_a_list_price_are_its_rows_above_message_one() -> None:
    """`volume_tiers` gives a list price's tiers, lowest first, and none for a flat price."""
    card = _card()
    india = card.price(PriceCategory.UTILITY, "IN", AUGUST)
    brazil = card.price(PriceCategory.UTILITY, "BR", AUGUST)
    assert india is not None
    assert brazil is not None
    assert [1000, 5000] == [tier.volume_from for tier in card.volume_tiers(india)]
    assert () == card.volume_tiers(brazil)


def test_decide_prices_the_send_at_the_tier_of_the_months_volume() -> None:
    """A decision's cost is at the tier of the month's volume; without one, the list price."""
    conversation = Conversation(business=BUSINESS, recipient=WaId("919876543210"))
    listed = decide(conversation, UTILITY, now=AUGUST, rate_card=_card(), market="IN")
    tiered = decide(
        conversation, UTILITY, now=AUGUST, rate_card=_card(), market="IN", month_volume=999
    )
    assert listed.cost is not None
    assert tiered.cost is not None
    assert (Decimal("0.0014"), Decimal("0.0013")) == (listed.cost.amount, tiered.cost.amount)


def test_the_state_facade_passes_the_months_volume_to_decide() -> None:
    """SenderState.decide prices at the tier of the month's volume it is given."""
    number = BusinessNumber(
        phone_number_id=BUSINESS, waba_id="102290129340398", portfolio_id="184512934729183"
    )
    state = SenderState(MemoryStore(), numbers=[number], rate_card=_card())
    indian = WaId("919876543210")
    listed = state.decide(BUSINESS, indian, UTILITY, now=AUGUST).cost
    tiered = state.decide(BUSINESS, indian, UTILITY, now=AUGUST, month_volume=4_999).cost
    assert listed is not None
    assert tiered is not None
    assert (Decimal("0.0014"), Decimal("0.0012")) == (listed.amount, tiered.amount)


def test_the_plan_counts_its_own_sends_on_top_of_the_months_volume() -> None:
    """From 998 charged, the 999th message is at the list price and the 1000th at tier one."""
    sends = list(
        iter_schedule(
            _indians(4),
            business=BUSINESS,
            kind=UTILITY,
            start=AUGUST,
            rate_card=_card(),
            month_volume={"India": 998},
        )
    )
    expected = [Decimal("0.0014")] + [Decimal("0.0013")] * 3
    assert expected == _amounts(sends)
    rate = sends[-1].cost.rate  # type: ignore[union-attr]
    assert rate is not None
    assert 1000 == rate.volume_from


def test_the_plans_cost_sums_each_tier() -> None:
    """The plan's total adds each tier's sends at their own price, under one cost key."""
    plan = plan_campaign(
        _indians(10),
        business=BUSINESS,
        kind=UTILITY,
        start=AUGUST,
        rate_card=_card(),
        month_volume={"India": 4995},
    )
    assert plan.cost is not None
    expected = 4 * Decimal("0.0013") + 6 * Decimal("0.0012")
    assert {(PriceCategory.UTILITY, "IN", "USD"): expected} == plan.cost


def test_without_month_volume_or_tiers_every_send_is_at_the_list_price() -> None:
    """No volume means list price; a card without tiers ignores the volume."""
    flat = _card(LONG + "India,utility,0.0014,USD,2025-07-01,s,reported,\n")
    for card, volume in ((_card(), None), (flat, {"India": 10**6})):
        plan = plan_campaign(
            _indians(5),
            business=BUSINESS,
            kind=UTILITY,
            start=AUGUST,
            rate_card=card,
            month_volume=volume,
        )
        assert plan.cost is not None
        assert {(PriceCategory.UTILITY, "IN", "USD"): 5 * Decimal("0.0014")} == plan.cost


def test_sends_of_unknown_price_are_not_counted_in_the_volume() -> None:
    """A business-scoped user has no market: its send is unknown and moves no tier."""
    rows: list[CampaignRecipient] = []
    for index, row in enumerate(_indians(3)):
        rows.append(row)
        rows.append(
            CampaignRecipient(recipient=BusinessScopedUserId(f"US.{index:020d}"), opted_in=True)
        )
    sends = list(
        iter_schedule(
            rows,
            business=BUSINESS,
            kind=UTILITY,
            start=AUGUST,
            # BSUIDs are addressable from 2026 (issue #15); their August 2025 rules say so here.
            rules=attrs.evolve(rules_at(AUGUST), business_scoped_user_ids=True),
            rate_card=_card(),
            month_volume={"India": 997},
        )
    )
    priced = [amount for amount in _amounts(sends) if amount is not None]
    assert [Decimal("0.0014"), Decimal("0.0014"), Decimal("0.0013")] == priced
    assert 3 == sum(amount is None for amount in _amounts(sends))


def test_a_new_month_starts_its_volume_from_zero() -> None:
    """Sends in the next calendar month count from zero, not from the host's volume."""
    start = datetime(2025, 8, 31, 23, 59, 59, tzinfo=UTC)
    sends = list(
        iter_schedule(
            _indians(200),
            business=BUSINESS,
            kind=UTILITY,
            start=start,
            rate_card=_card(),
            month_volume={"India": 5000},
        )
    )
    august = [s.cost.amount for s in sends if s.at.month == 8]  # type: ignore[union-attr]
    september = [s.cost.amount for s in sends if s.at.month == 9]  # type: ignore[union-attr]
    assert august
    assert september
    assert {Decimal("0.0012")} == set(august)
    assert {Decimal("0.0014")} == set(september)


def test_rows_with_a_history_are_tiered_too() -> None:
    """A recipient the list knows (a conversation of its own) moves the volume like a fresh one."""
    old = AUGUST - timedelta(days=3)  # no open window: the utility template is charged
    rows = [
        CampaignRecipient(recipient=row.recipient, opted_in=True, last_inbound_at=old)
        for row in _indians(3)
    ]
    sends = list(
        iter_schedule(
            rows,
            business=BUSINESS,
            kind=UTILITY,
            start=AUGUST,
            rate_card=_card(),
            month_volume={"India": 998},
        )
    )
    assert [Decimal("0.0014"), Decimal("0.0013"), Decimal("0.0013")] == _amounts(sends)


@pytest.mark.parametrize(
    ("volume", "field"),
    [
        ([("India", 3)], "month_volume"),
        ({"": 3}, "month_volume"),
        ({"India": -1}, "month_volume['India']"),
        ({"India": True}, "month_volume['India']"),
        ({"India": 1.5}, "month_volume['India']"),
    ],
)
def test_a_bad_month_volume_is_refused(volume: object, field: str) -> None:
    """The month's volume is a mapping of market names to whole counts of 0 or more."""
    with pytest.raises(InvalidValueError) as raised:
        plan_campaign(
            _indians(1),
            business=BUSINESS,
            kind=UTILITY,
            start=AUGUST,
            rate_card=_card(),
            month_volume=volume,  # type: ignore[arg-type]
        )
    assert field == raised.value.field


def _reference(
    sends: list[tuple[datetime, Recipient]], card: RateCard, initial: int, start: datetime
) -> list[Decimal | None]:
    """Each send priced by `RateCard.price` at the volume counted so far in its UTC month."""
    counted: Counter[tuple[int, int]] = Counter()
    amounts: list[Decimal | None] = []
    for at, _recipient in sends:
        month = (at.year, at.month)
        before = counted[month] + (initial if month == (start.year, start.month) else 0)
        rate = card.price(PriceCategory.UTILITY, "IN", at, volume=before)
        counted[month] += 1
        amounts.append(None if rate is None else rate.amount)
    return amounts


@settings(max_examples=40, deadline=None)
@given(
    initial=st.integers(0, 40),
    steps=st.lists(
        st.tuples(st.integers(2, 30), st.integers(1, 9999)), min_size=1, max_size=4, unique_by=str
    ),
    count=st.integers(1, 60),
    offset=st.integers(0, 2000),
)
def test_tiered_prices_match_the_cards_price_at_each_sends_volume(
    initial: int, steps: list[tuple[int, int]], count: int, offset: int
) -> None:
    """Each send costs the card's price at its month's volume before it; the total adds up."""
    common = {
        "market": "India",
        "category": PriceCategory.UTILITY,
        "currency": "USD",
        "effective_from": datetime(2025, 7, 1, tzinfo=UTC),
    }
    froms = sorted({volume_from for volume_from, _ in steps})
    amounts = sorted({Decimal(amount) / 10**6 for _, amount in steps}, reverse=True)
    rows = [Rate(amount=Decimal("0.02"), **common)]  # type: ignore[arg-type]
    rows += [
        Rate(amount=amount, volume_from=volume_from, **common)  # type: ignore[arg-type]
        for volume_from, amount in zip(froms, amounts, strict=False)
    ]
    card = RateCard(rows, market_map=builtin_market_map())
    start = datetime(2025, 8, 31, 23, 59, 59, tzinfo=UTC) + timedelta(milliseconds=offset - 500)
    schedule = iter_schedule(
        _indians(count),
        business=BUSINESS,
        kind=UTILITY,
        start=start,
        rate_card=card,
        month_volume={"India": initial},
    )
    sends = list(schedule)
    reference = _reference([(s.at, s.recipient) for s in sends], card, initial, start)
    assert reference == _amounts(sends)
    plan = schedule.plan
    assert plan.cost is not None
    total = sum((amount for amount in reference if amount is not None), Decimal(0))
    assert total == sum(plan.cost.values(), Decimal(0))
    assert all(amount is not None and amount >= 0 for amount in reference)
