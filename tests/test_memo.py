"""What `decide` keeps between calls (template verdicts, estimates) never changes an answer."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    AccountHealth,
    Conversation,
    InboundMessageReceived,
    Rules,
    SendKind,
    TemplateState,
    builtin_rate_card,
    decide,
    rules_at,
)
from wa_outbound._account import seen_after as account_seen_after
from wa_outbound._cost import _ESTIMATES, _priced_kind, estimate_at, estimate_cost
from wa_outbound._rates import PriceCategory, PriceEnd, Rate, RateCard, known_region
from wa_outbound._template_lifecycle import seen_after as template_seen_after
from wa_outbound._template_lifecycle import sendable_at, verdict_at
from wa_outbound.testing import account_healths, conversations, instants, template_states

CHANGES = [datetime(2025, 6, 1 + 5 * i, tzinfo=timezone.utc) for i in range(5)]
CARD = RateCard(
    [
        Rate(
            market=market,
            category=category,
            amount=Decimal(f"0.0{index + 1}{day.day}"),
            currency="USD",
            effective_from=day,
            volume_from=volume,
        )
        for index, market in enumerate(["DE", "IN", "Germany"])
        for category in PriceCategory
        for day in CHANGES[index:]
        for volume in (1, 100_000)
        if volume == 1 or category is PriceCategory.UTILITY
    ],
    ends=[
        PriceEnd(
            market="IN",
            category=PriceCategory.MARKETING,
            currency="USD",
            effective_from=CHANGES[3] + timedelta(days=2),
        )
    ],
    market_map=builtin_rate_card().market_map,
)
"""Prices of Germany and two regions changing every five days in June 2025, with tiers."""
START = datetime(2025, 5, 25, tzinfo=timezone.utc)
SPAN = timedelta(days=40)
H = timedelta(hours=1)
PER_MESSAGE = (
    rules_at(datetime(2025, 7, 1, tzinfo=timezone.utc)),
    rules_at(datetime(2026, 10, 2, tzinfo=timezone.utc)),
)
"""Rule sets a host may pass for every instant: free service and utility in the window, then a
monthly allowance of free service messages."""
MARKETS = ("DE", "IN", "Germany", None, "AT", "XX")
NOWS = st.sampled_from(
    [change + offset for change in CHANGES for offset in (-timedelta(seconds=1), timedelta(0), H)]
) | instants(START, SPAN)
"""Instants on both sides of every price change, and any instant around them."""
PRICED = tuple(kind for kind in SendKind if kind is not SendKind.CALL)
"""What is priced by message category (a call is priced by the Calling API: nothing kept)."""
TEMPLATE_TIMES = instants(START, timedelta(days=20))


@given(template_states(TEMPLATE_TIMES), st.lists(instants(START, timedelta(days=40)), max_size=8))
def test_a_kept_verdict_is_the_verdict_worked_out_afresh(
    state: object, nows: list[datetime]
) -> None:
    """Asking one state at instants in any order gives the verdict worked out each time."""
    for now in nows:
        rules = rules_at(now)
        expected = verdict_at(state, now, rules)  # type: ignore[arg-type]
        assert expected == sendable_at(state, now, rules)  # type: ignore[arg-type]


@given(
    conversations(instants(START, SPAN)),
    st.booleans(),
    NOWS,
    st.lists(NOWS, min_size=2, max_size=4),
    st.sampled_from([None, *PER_MESSAGE]),
)
def test_a_kept_estimate_is_the_estimate_worked_out_afresh(
    conversation: Conversation,
    international: bool,  # noqa: FBT001
    inbound: datetime,
    nows: list[datetime],
    passed: Rules | None,
) -> None:
    """Estimates of any kind, market, allowance and volume, asked again, equal fresh ones.

    The asks cross price changes, and the service window opens at one of the instants, so
    that they find it open and closed.
    """
    _ESTIMATES.clear()
    conversation = conversation.apply(InboundMessageReceived(at=inbound))
    asks = itertools.product(PRICED, MARKETS, (None, 0, 1), (None, 99_999, 100_000), nows)
    for kind, market, free, volume, now in asks:
        rules = rules_at(now) if passed is None else passed
        actual = estimate_cost(
            conversation,
            kind,
            now=now,
            rules=rules,
            rate_card=CARD,
            market=market,
            free_tier_remaining=free,
            authentication_international=international,
            month_volume=volume,
        )
        region = market if market is not None else known_region(conversation.recipient)
        priced = _priced_kind(conversation, kind, now, rules)  # as estimate_cost prices it
        fresh = (conversation, priced, now, rules, CARD, region, None, free, international)
        assert estimate_at(*fresh, volume) == actual


@given(
    conversations(TEMPLATE_TIMES),
    template_states(TEMPLATE_TIMES),
    st.sampled_from(SendKind),
    st.sampled_from(MARKETS),
    st.lists(instants(START + timedelta(days=21), SPAN), min_size=1, max_size=6),
)
def test_decide_answers_as_without_anything_kept(
    conversation: object, state: object, kind: SendKind, market: str | None, nows: list[datetime]
) -> None:
    """`decide` with every part equals `decide` on fresh copies with no estimate kept."""
    account = AccountHealth()
    for now in nows:
        parts = {"market": market, "account": account, "rate_card": CARD}
        actual = decide(conversation, kind, now=now, template=state, **parts)  # type: ignore[arg-type]
        _ESTIMATES.clear()
        fresh = attrs.evolve(state)  # type: ignore[misc]
        expected = decide(conversation, kind, now=now, template=fresh, **parts)  # type: ignore[arg-type]
        assert expected == actual


@given(
    template_states(TEMPLATE_TIMES),
    account_healths(TEMPLATE_TIMES),
    st.lists(instants(START, timedelta(days=40)), min_size=2, max_size=4),
)
def test_a_kept_latest_instant_answers_as_the_instants_do(
    state: TemplateState, health: AccountHealth, nows: list[datetime]
) -> None:
    """Whether a state or a health holds an instant after `now`, asked again, never changes."""
    for now in nows:
        for value, seen in ((state, template_seen_after), (health, account_seen_after)):
            latest = value.latest_at
            assert (latest is not None and latest > now) == seen(value, now)  # type: ignore[arg-type]
