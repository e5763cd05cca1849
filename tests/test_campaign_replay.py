"""The planner against the components it re-implements: every scheduled send is allowed.

The planner's walk keeps its own fast model of the messaging-limit window and of pacing. These
tests replay `iter_schedule`'s output through the real `LimitLedger`, `Pacer` and `can_send`,
recording every send as a sender would, and check that each one is allowed at the instant it is
scheduled for, under the limit in force then. A drawn list repeats recipients, but each
recipient has one row (a bare id, or one `CampaignRecipient`), so that every send maps to the
conversation it was decided on.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import T0, T2023
from wa_outbound import (
    BusinessScopedUserId,
    Conversation,
    InboundMessageReceived,
    MessagingLimit,
    OptInRecorded,
    PhoneNumberId,
    RecipientFileError,
    WaId,
    rules_at,
)
from wa_outbound._campaign import CampaignPlan, CampaignRecipient, ScheduledSend, iter_schedule
from wa_outbound._conversation import ConsentStatus
from wa_outbound._decision import can_send
from wa_outbound._ids import Recipient
from wa_outbound._kinds import SendKind
from wa_outbound._ledger import LimitLedger, LimitScopeKey
from wa_outbound._pacing import Pacer, ThroughputClass
from wa_outbound._rates import known_region
from wa_outbound._rules import Rules, builtin_rule_sets
from wa_outbound.testing import facts, instants

BUSINESS = PhoneNumberId("106540352242922")
PORTFOLIO = "4455667788"
HOUR = timedelta(hours=1)
STARTS = (
    T0,
    T2023,
    datetime(2024, 10, 31, 22, tzinfo=timezone.utc),  # the general opt-in policy begins
    datetime(2025, 3, 31, 22, tzinfo=timezone.utc),  # marketing to US numbers stops
    datetime(2025, 10, 6, 22, tzinfo=timezone.utc),  # portfolio limits, a 6-hour upgrade delay
)
NUMBERS = (
    *(WaId(f"49151{i:08d}") for i in range(8)),
    *(WaId(f"1415555{i:04d}") for i in range(3)),
    WaId("919876543210"),
    BusinessScopedUserId("US.abc123"),
)
Item = CampaignRecipient | Recipient | RecipientFileError


@attrs.frozen
class Case:
    """One drawn campaign: its rows, its arguments, and the ledger's slots in use at the start."""

    rows: list[Item]
    start: datetime
    kind: SendKind
    rules: Rules | None
    limit: MessagingLimit | None
    verified: bool
    throughput_class: ThroughputClass
    dedupe: bool
    assume_opted_in: bool
    prefill: list[tuple[Recipient, datetime]]


@st.composite
def profiles(draw: st.DrawFn, recipient: Recipient, start: datetime) -> Item:
    """What the list says about one recipient: a bare id, or a row with consent and history."""
    if draw(st.booleans()):
        return recipient
    conversation = None
    if draw(st.booleans()):
        history = draw(st.lists(facts(instants(start - 3 * 24 * HOUR, 3 * 24 * HOUR)), max_size=4))
        conversation = Conversation(business=BUSINESS, recipient=recipient).apply_all(history)
    inbound = draw(st.none() | st.integers(0, 48 * 60).map(lambda m: timedelta(minutes=m)))
    return CampaignRecipient(
        recipient=recipient,
        conversation=conversation,
        opted_in=draw(st.sampled_from([True, True, False, None])),
        last_inbound_at=None if inbound is None else start - inbound,
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A campaign: repeated recipients (each with one profile), bad rows, limits, a ledger."""
    start = draw(st.sampled_from(STARTS)) + timedelta(seconds=draw(st.integers(0, 3_599)))
    pool = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=8, unique=True))
    items = {recipient: draw(profiles(recipient, start)) for recipient in pool}
    bad = RecipientFileError("row 2, phone", "12", "too short")
    rows: list[Item] = draw(
        st.lists(st.sampled_from(pool).map(items.__getitem__) | st.just(bad), max_size=40)
    )
    held = draw(
        st.lists(
            st.tuples(
                st.sampled_from(pool) | st.sampled_from(NUMBERS),
                st.integers(0, 30 * 60).map(lambda m: start - timedelta(minutes=m)),
            ),
            max_size=8,
        )
    )
    return Case(
        rows=rows,
        start=start,
        kind=draw(st.sampled_from([k for k in SendKind if k.is_template])),
        rules=draw(st.sampled_from([None, rules_at(start)])),
        limit=draw(
            st.none()
            | st.just(MessagingLimit.unlimited())
            | st.integers(1, 3).map(lambda n: MessagingLimit(users=n))
            | st.integers(4, 12).map(lambda n: MessagingLimit(users=n))
        ),
        verified=draw(st.booleans()),
        throughput_class=draw(st.sampled_from(ThroughputClass)),
        dedupe=draw(st.booleans()),
        assume_opted_in=draw(st.booleans()),
        prefill=sorted(held, key=lambda entry: entry[1]),
    )


def listed_conversation(item: Item, case: Case) -> Conversation:
    """The conversation a row describes, built from the documented meaning of its fields."""
    if isinstance(item, CampaignRecipient):
        recipient, conversation = item.recipient, item.conversation
        opted = item.opted_in
        if opted is None and conversation is None:
            opted = case.assume_opted_in
    else:
        assert not isinstance(item, RecipientFileError)
        recipient, conversation, opted = item, None, case.assume_opted_in
    if conversation is None:
        conversation = Conversation(business=BUSINESS, recipient=recipient)
    if opted and conversation.consent.status is ConsentStatus.UNKNOWN:
        conversation = conversation.apply(OptInRecorded(at=case.start, method="campaign list"))
    if isinstance(item, CampaignRecipient) and item.last_inbound_at is not None:
        conversation = conversation.apply(InboundMessageReceived(at=item.last_inbound_at))
    return conversation


def limit_in_force(plan: CampaignPlan, initial: MessagingLimit, at: datetime) -> MessagingLimit:
    """The messaging limit at `at`: the initial one, raised by every tier change due by then."""
    current = initial
    for change in plan.tier_changes:
        if change.at <= at:
            current = change.after
    return current


def initial_limit(case: Case) -> MessagingLimit:
    """The limit the planner starts from: the given one, or the rules' default."""
    if case.limit is not None:
        return case.limit
    rules = case.rules or rules_at(case.start)
    tiers = rules.messaging_limit_tiers.value
    return MessagingLimit(users=rules.verified_starting_limit.value if case.verified else tiers[0])


def prefilled_ledger(case: Case) -> LimitLedger:
    """A ledger holding the case's slots in use at the start, recorded in time order."""
    rules = rules_at(case.start)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio=PORTFOLIO)
    ledger = LimitLedger(scope=scope, rules=rules)
    for recipient, at in case.prefill:
        ledger.record(recipient, at)
    return ledger


def plan_case(case: Case, ledger: LimitLedger) -> tuple[list[ScheduledSend], CampaignPlan]:
    """Run `iter_schedule` on the case; return every send and the plan."""
    schedule = iter_schedule(
        case.rows,
        business=BUSINESS,
        kind=case.kind,
        start=case.start,
        rules=case.rules,
        limit=case.limit,
        verified=case.verified,
        ledger=ledger,
        throughput_class=case.throughput_class,
        dedupe=case.dedupe,
        assume_opted_in=case.assume_opted_in,
    )
    sends = list(schedule)
    return sends, schedule.plan


def test_the_built_in_rules_pace_and_count_alike() -> None:
    """The replay keeps one pacer and one ledger: no built-in rule set changes their numbers."""
    first = builtin_rule_sets()[0]
    for rules in builtin_rule_sets():
        for name in (
            "throughput_default",
            "throughput_upgraded",
            "throughput_coexistence",
            "pair_rate_interval",
            "pair_rate_burst",
            "messaging_limit_window",
        ):
            assert getattr(first, name).value == getattr(rules, name).value


def replay(case: Case) -> CampaignPlan:
    """Plan `case`, replay its sends through a ledger, a pacer and `can_send`; return them."""
    ledger = prefilled_ledger(case)
    before = sorted(ledger.store.items(), key=repr)
    sends, plan = plan_case(case, ledger)
    assert before == sorted(ledger.store.items(), key=repr)  # the planner only reads it
    conversations = {
        (item.recipient if isinstance(item, CampaignRecipient) else item): listed_conversation(
            item, case
        )
        for item in case.rows
        if not isinstance(item, RecipientFileError)
    }
    pacer = Pacer(
        business=BUSINESS, rules=rules_at(case.start), throughput_class=case.throughput_class
    )
    initial = initial_limit(case)
    for send in sends:
        at, recipient = send.at, send.recipient
        rules = case.rules or rules_at(at)
        limit = limit_in_force(plan, initial, at)
        conversation = conversations[recipient]
        decision = can_send(conversation, case.kind, now=at, rules=rules)
        assert () == decision.codes
        window_open = decision.service_window_open
        counts = ledger.would_count(recipient, at, window_open=window_open)
        remaining = ledger.remaining(limit, at)
        assert not counts or remaining is None or remaining > 0, (send, limit, remaining)
        assert not counts or send.new_user  # the planner never hides a slot it takes
        assert not (window_open and send.new_user)
        assert at == pacer.peek(recipient, at)
        limited = can_send(
            conversation, case.kind, now=at, rules=rules, ledger=ledger, limit=limit, pacer=pacer
        )
        assert () == limited.codes
        if case.kind is SendKind.MARKETING_TEMPLATE:
            assert known_region(recipient) not in rules.marketing_blocked_regions.value
        assert at == pacer.admit(recipient, at)
        ledger.record(recipient, at, window_open=window_open)
    if case.dedupe:
        assert len({send.recipient for send in sends}) == len(sends)
    assert len(sends) == plan.scheduled
    return plan


@given(case=cases())
def test_every_scheduled_send_is_allowed_by_the_ledger_the_pacer_and_can_send(case: Case) -> None:
    """Replayed in order, each send is within the limit, paced, and allowed by `can_send`."""
    replay(case)


@pytest.mark.parametrize(
    ("start", "size", "verified", "upgrades"),
    [
        (T0, 2_500, True, 1),  # 2,000, then 10,000 six hours after half of it is used
        (T2023, 2_000, True, 1),  # 1,000, then 10,000 a day after 500 are reached
        (datetime(2025, 10, 6, 12, tzinfo=timezone.utc), 2_000, True, 1),  # across 2025-10-07
        (T0, 600, False, 0),  # 250 a day, no upgrade
    ],
)
def test_waves_and_upgrades_are_allowed_at_every_send(
    start: datetime,
    size: int,
    verified: bool,  # noqa: FBT001 - parametrized
    upgrades: int,
) -> None:
    """Long campaigns: every send of every wave, before and after an upgrade, is allowed."""
    rows: list[Item] = [WaId(f"4917{i:09d}") for i in range(size)]
    case = Case(
        rows=rows,
        start=start,
        kind=SendKind.UTILITY_TEMPLATE,
        rules=None,
        limit=None,
        verified=verified,
        throughput_class=ThroughputClass.DEFAULT,
        dedupe=False,
        assume_opted_in=True,
        prefill=[(WaId("4916000000001"), start - HOUR)],
    )
    plan = replay(case)
    assert (size, upgrades) == (plan.scheduled, len(plan.tier_changes))
