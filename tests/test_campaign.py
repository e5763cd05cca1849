"""The campaign planner: waves within the messaging limit, pacing, tiers, blocks, cost, CSV."""

from __future__ import annotations

import io
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import T0, T2023
from wa_outbound import (
    BusinessScopedUserId,
    Conversation,
    InboundMessageReceived,
    InvalidValueError,
    MessagingLimit,
    NaiveDatetimeError,
    OptInRecorded,
    OptOutReceived,
    PhoneNumberId,
    RecipientFileError,
    WaId,
    rules_at,
)
from wa_outbound._campaign import (
    DUPLICATE,
    CampaignPlan,
    CampaignRecipient,
    ScheduledSend,
    _listed_recipients,
    iter_schedule,
    plan_campaign,
    read_recipients,
)
from wa_outbound._conversation import ConsentStatus
from wa_outbound._decision import Endpoint, Reason, Risk
from wa_outbound._kinds import SendKind
from wa_outbound._ledger import LimitLedger, LimitScopeKey
from wa_outbound._pacing import ThroughputClass
from wa_outbound._rates import PriceCategory, Rate, RateCard
from wa_outbound.account import QualityRating

BUSINESS = PhoneNumberId("106540352242922")
UTILITY = SendKind.UTILITY_TEMPLATE
MARKETING = SendKind.MARKETING_TEMPLATE
DAY = timedelta(days=1)


def numbers(count: int, prefix: str = "49151") -> list[WaId]:
    """`count` distinct German mobile numbers."""
    return [WaId(f"{prefix}{i:08d}") for i in range(count)]


def opted(count: int, prefix: str = "49151") -> list[CampaignRecipient]:
    """`count` distinct opted-in recipients without a conversation."""
    return [CampaignRecipient(recipient=r, opted_in=True) for r in numbers(count, prefix)]


def limit_at(plan: CampaignPlan, initial: MessagingLimit, at: datetime) -> int | None:
    """The limit in force at `at`, from the plan's tier changes."""
    current = initial
    for change in plan.tier_changes:
        if change.at <= at:
            current = change.after
    return current.users


def assert_within_limit(
    sends: list[ScheduledSend], plan: CampaignPlan, initial: MessagingLimit, window: timedelta
) -> None:
    """Reference sweep: no moving window holds more new users than the limit in force."""
    held: deque[datetime] = deque()
    for send in sends:
        if not send.new_user:
            continue
        while held and held[0] <= send.at - window:
            held.popleft()
        held.append(send.at)
        users = limit_at(plan, initial, send.at)
        assert users is None or len(held) <= users


# --- the model --------------------------------------------------------------------------


def test_a_fresh_opted_in_list_goes_out_at_the_throughput() -> None:
    """Sends are spaced by the number's throughput: 12.5 ms at 80 per second."""
    schedule = iter_schedule(opted(5), business=BUSINESS, kind=UTILITY, start=T0, verified=True)
    sends = list(schedule)
    expected = [T0 + i * timedelta(microseconds=12_500) for i in range(5)]
    assert expected == [s.at for s in sends]
    assert all(s.new_user for s in sends)
    assert 5 == schedule.plan.scheduled


def test_an_upgraded_number_sends_faster() -> None:
    """An upgraded number is paced at its own throughput (1,000 per second)."""
    schedule = iter_schedule(
        opted(3),
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        verified=True,
        throughput_class=ThroughputClass.UPGRADED,
    )
    assert [T0, T0 + timedelta(milliseconds=1), T0 + timedelta(milliseconds=2)] == [
        s.at for s in schedule
    ]


def test_2023_unverified_number_sends_250_a_day_in_waves_without_upgrades() -> None:
    """Under the 2023 rules an unverified number reaches 250 users a day and never climbs."""
    rules = rules_at(T2023)
    assert 250 == rules.messaging_limit_tiers.value[0]
    plan = plan_campaign(opted(1_000), business=BUSINESS, kind=UTILITY, start=T2023)
    assert [250, 250, 250, 250] == [day.sends for day in plan.days]
    assert () == plan.tier_changes
    assert MessagingLimit(users=250) == plan.limit
    assert ["scaling_path_required"] == [b.code.value for b in plan.tier_blockers]
    assert plan.finishes_at is not None
    assert T2023 + 3 * DAY <= plan.finishes_at < T2023 + 3 * DAY + timedelta(seconds=5)


def test_2023_verified_number_climbs_from_1k() -> None:
    """Under the 2023 rules a verified number starts at 1K and is upgraded to 10K a day later."""
    plan = plan_campaign(opted(3_000), business=BUSINESS, kind=UTILITY, start=T2023, verified=True)
    assert [(MessagingLimit(users=1_000), MessagingLimit(users=10_000))] == [
        (c.before, c.after) for c in plan.tier_changes
    ]
    change = plan.tier_changes[0]
    assert rules_at(T2023).limit_upgrade_delay.value == change.at - change.qualified_at
    assert 3_000 == plan.scheduled


def test_10000_opted_in_at_2000_portfolio_limit_projects_waves_and_upgrade() -> None:
    """10,000 opted-in users at today's verified 2,000 limit: an upgrade lands within 6 h."""
    rules = rules_at(T0)
    assert 2_000 == rules.verified_starting_limit.value
    schedule = iter_schedule(
        opted(10_000), business=BUSINESS, kind=UTILITY, start=T0, verified=True
    )
    sends = list(schedule)
    plan = schedule.plan
    assert 10_000 == plan.scheduled == plan.new_users
    assert [(2_000, 10_000)] == [(c.before.users, c.after.users) for c in plan.tier_changes]
    change = plan.tier_changes[0]
    assert timedelta(hours=6) == change.at - change.qualified_at
    # 2,000 go out, the wave waits for the upgrade, then the other 8,000 follow.
    assert sends[1_999].at < change.at <= sends[2_000].at
    assert_within_limit(
        sends, plan, MessagingLimit(users=2_000), rules.messaging_limit_window.value
    )
    assert 1 == sum(day.tier_change is not None for day in plan.days)


def test_unverified_portfolio_waits_a_day_per_wave_of_250() -> None:
    """Today an unverified portfolio reaches 250 users per moving 24 h: 600 take three waves."""
    schedule = iter_schedule(opted(600), business=BUSINESS, kind=UTILITY, start=T0)
    sends = list(schedule)
    assert T0 + DAY == sends[250].at
    assert T0 + 2 * DAY == sends[500].at
    assert [250, 250, 100] == [day.sends for day in schedule.plan.days]


def test_ledger_slots_in_use_shrink_the_first_wave() -> None:
    """Slots the ledger already holds at the start are not available to the campaign."""
    rules = rules_at(T0)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    earlier = T0 - timedelta(hours=2)
    for recipient in numbers(200, prefix="49160"):
        ledger.record(recipient, earlier)
    sends = list(
        iter_schedule(opted(100), business=BUSINESS, kind=UTILITY, start=T0, ledger=ledger)
    )
    assert 50 == sum(s.at < T0 + timedelta(hours=1) for s in sends)
    assert earlier + DAY == sends[50].at


def test_an_open_service_window_takes_no_slot() -> None:
    """A recipient who wrote recently is sent without using a messaging-limit slot."""
    recent = [
        CampaignRecipient(recipient=r, opted_in=True, last_inbound_at=T0 - timedelta(hours=1))
        for r in numbers(300)
    ]
    schedule = iter_schedule(recent, business=BUSINESS, kind=UTILITY, start=T0)
    sends = list(schedule)
    assert 300 == len(sends)
    assert not any(s.new_user for s in sends)
    assert 0 == schedule.plan.new_users


def test_blocked_recipients_are_counted_by_first_reason() -> None:
    """Each blocked recipient is counted once, under its first reason; totals add up."""
    stopped = Conversation(business=BUSINESS, recipient=WaId("4915199990001")).apply(
        OptOutReceived(at=T0 - DAY)
    )
    rows: list[object] = [
        *opted(3),
        CampaignRecipient(recipient=WaId("4915199990002")),  # no opt-in known
        CampaignRecipient(recipient=stopped.recipient, conversation=stopped),
        CampaignRecipient(recipient=WaId("4915100000000"), opted_in=True),  # a duplicate
        RecipientFileError("row 9, phone", "abc", "not a phone number"),
    ]
    plan = plan_campaign(rows, business=BUSINESS, kind=UTILITY, start=T0, dedupe=True)  # type: ignore[arg-type]
    assert {Reason.NO_OPT_IN: 1, Reason.OPTED_OUT: 1, DUPLICATE: 1} == plan.blocked
    assert 1 == plan.bad_rows
    assert plan.recipients == plan.scheduled + sum(plan.blocked.values()) + plan.bad_rows


def test_bare_ids_follow_assume_opted_in() -> None:
    """A bare `WaId` is opted in only if the list says everyone is."""
    assert {Reason.NO_OPT_IN: 3} == plan_campaign(
        numbers(3), business=BUSINESS, kind=UTILITY, start=T0
    ).blocked
    assert (
        3
        == plan_campaign(
            numbers(3), business=BUSINESS, kind=UTILITY, start=T0, assume_opted_in=True
        ).scheduled
    )


def test_a_recorded_opt_out_beats_the_lists_opt_in() -> None:
    """The list's opt-in flag never overrides an opt-out the conversation recorded."""
    stopped = Conversation(business=BUSINESS, recipient=WaId("4915199990001")).apply_all(
        [OptInRecorded(at=T0 - 2 * DAY, method="web"), OptOutReceived(at=T0 - DAY)]
    )
    row = CampaignRecipient(recipient=stopped.recipient, conversation=stopped, opted_in=True)
    assert {Reason.OPTED_OUT: 1} == plan_campaign(
        [row], business=BUSINESS, kind=UTILITY, start=T0
    ).blocked


def test_marketing_to_the_us_is_blocked_once_the_rules_say_so() -> None:
    """A campaign crossing 2025-04-01 sends marketing to US numbers only before that day."""
    start = datetime(2025, 3, 31, 9, tzinfo=timezone.utc)
    us = [CampaignRecipient(recipient=WaId(f"1415555{i:04d}"), opted_in=True) for i in range(400)]
    plan = plan_campaign(us, business=BUSINESS, kind=MARKETING, start=start)
    assert 250 == plan.scheduled
    assert {Reason.MARKETING_BLOCKED_IN_REGION: 150} == plan.blocked


def test_no_dedupe_paces_a_repeated_recipient_by_the_pair_rate() -> None:
    """Without dedupe a repeated recipient is sent again, one pair-rate interval later."""
    one = WaId("4915100000001")
    rows = [CampaignRecipient(recipient=one, opted_in=True)] * 3
    sends = list(
        iter_schedule(rows, business=BUSINESS, kind=UTILITY, start=T0, verified=True, dedupe=False)
    )
    pair = rules_at(T0).pair_rate_interval.value
    assert [T0, T0 + pair, T0 + 2 * pair] == [s.at for s in sends]


def test_the_schedule_is_lazy_and_its_plan_waits_for_the_end() -> None:
    """`plan` is only available once the schedule is exhausted; then it equals the summary."""
    read: list[int] = []

    def rows() -> object:
        for i, row in enumerate(opted(4)):
            read.append(i)
            yield row

    schedule = plan_campaign(
        rows(),  # type: ignore[arg-type]
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        schedule=True,
    )
    assert [] == read
    next(schedule)
    assert [0] == read
    with pytest.raises(InvalidValueError):
        _ = schedule.plan
    list(schedule)
    assert plan_campaign(opted(4), business=BUSINESS, kind=UTILITY, start=T0) == schedule.plan


def test_bad_rows_are_counted_with_examples_or_raised_when_strict() -> None:
    """Bad rows are counted with the first examples kept; strict mode raises the first."""
    errors = [RecipientFileError(f"row {n}, phone", "x", "bad") for n in range(2, 10)]
    plan = plan_campaign(
        [*errors, *opted(2)],  # type: ignore[list-item]
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        bad_row_examples=3,
    )
    assert 8 == plan.bad_rows
    assert {"phone: bad": 8} == plan.bad_row_causes
    assert tuple(errors[:3]) == plan.bad_row_examples
    assert 2 == plan.scheduled
    with pytest.raises(RecipientFileError, match="row 2, phone"):
        plan_campaign(errors, business=BUSINESS, kind=UTILITY, start=T0, strict=True)  # type: ignore[arg-type]


def test_misuse_raises() -> None:
    """A non-template kind, a naive start or a stray item is refused."""
    with pytest.raises(InvalidValueError, match="kind"):
        plan_campaign([], business=BUSINESS, kind=SendKind.FREE_FORM, start=T0)
    with pytest.raises(NaiveDatetimeError):
        plan_campaign([], business=BUSINESS, kind=UTILITY, start=datetime(2026, 1, 1))
    with pytest.raises(InvalidValueError, match="recipients"):
        plan_campaign(["4915100000001"], business=BUSINESS, kind=UTILITY, start=T0)  # type: ignore[list-item]
    with pytest.raises(InvalidValueError, match="business"):
        plan_campaign([], business="1", kind=UTILITY, start=T0)  # type: ignore[arg-type]


def test_an_empty_list_plans_nothing() -> None:
    """No recipients: nothing scheduled, no start or finish, no days."""
    plan = plan_campaign([], business=BUSINESS, kind=UTILITY, start=T0)
    assert (None, None, (), 0) == (plan.starts_at, plan.finishes_at, plan.days, plan.scheduled)
    assert plan.duration is None


def test_business_scoped_ids_are_planned_without_a_market() -> None:
    """A BSUID has no number: it is planned, and its price is unknown."""
    card = _card()
    plan = plan_campaign(
        [CampaignRecipient(recipient=BusinessScopedUserId("US.abc123"), opted_in=True)],
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        rate_card=card,
    )
    assert (1, 1) == (plan.scheduled, plan.unknown_price_sends)


def test_low_quality_stops_the_climb() -> None:
    """A red quality rating is a tier blocker: no upgrade is projected."""
    plan = plan_campaign(
        opted(1_500),
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        verified=True,
        quality=QualityRating.RED,
    )
    assert () == plan.tier_changes
    assert ["quality_low"] == [b.code.value for b in plan.tier_blockers]


# --- cost -----------------------------------------------------------------------------------


def _card() -> RateCard:
    start = datetime(2025, 7, 1, tzinfo=timezone.utc)
    return RateCard(
        [
            Rate(
                market=market,
                category=category,
                amount=Decimal(amount),
                currency="USD",
                effective_from=start,
                source="test card",
            )
            for market, category, amount in [
                ("DE", PriceCategory.MARKETING, "0.1365"),
                ("DE", PriceCategory.UTILITY, "0.0550"),
                ("IN", PriceCategory.MARKETING, "0.0107"),
                ("IN", PriceCategory.UTILITY, "0.0014"),
            ]
        ]
    )


def test_cost_is_summed_by_category_market_and_currency() -> None:
    """Known prices are summed per (category, market, currency); unknown ones are counted."""
    rows = [*opted(3, "49151"), *opted(2, "91987"), *opted(4, "55119")]
    plan = plan_campaign(rows, business=BUSINESS, kind=UTILITY, start=T0, rate_card=_card())
    assert {
        (PriceCategory.UTILITY, "DE", "USD"): Decimal("0.1650"),
        (PriceCategory.UTILITY, "IN", "USD"): Decimal("0.0028"),
    } == plan.cost
    assert 4 == plan.unknown_price_sends
    assert {"USD": Decimal("0.1678")} == plan.total_cost
    assert {"USD": Decimal("0.1678")} == plan.days[0].cost
    assert 4 == plan.days[0].unknown_price_sends


def test_without_a_rate_card_there_is_no_cost() -> None:
    """No rate card: `cost` is None and nothing is unknown."""
    plan = plan_campaign(opted(2), business=BUSINESS, kind=UTILITY, start=T0)
    assert (None, 0, {}) == (plan.cost, plan.unknown_price_sends, plan.total_cost)


def test_a_utility_template_inside_the_window_is_free_in_2025() -> None:
    """Per-message pricing in 2025: a utility template inside an open window costs nothing."""
    start = datetime(2025, 8, 4, 9, tzinfo=timezone.utc)
    row = CampaignRecipient(
        recipient=WaId("4915100000001"), opted_in=True, last_inbound_at=start - timedelta(hours=1)
    )
    schedule = iter_schedule([row], business=BUSINESS, kind=UTILITY, start=start, rate_card=_card())
    (send,) = list(schedule)
    assert send.cost is not None
    assert Decimal(0) == send.cost.amount
    assert ({}, 0) == (schedule.plan.cost, schedule.plan.unknown_price_sends)


# --- properties -----------------------------------------------------------------------------

PREFIXES = ("49151", "91987", "55119", "4478", "1415")


@st.composite
def campaign_rows(draw: st.DrawFn, start: datetime | None = None) -> list[CampaignRecipient]:
    """Recipient rows: repeats, consent flags, recent messages (not after `start`), markets."""
    size = draw(st.integers(0, 60))
    rows = []
    for _ in range(size):
        prefix = draw(st.sampled_from(PREFIXES))
        number = WaId(f"{prefix}{draw(st.integers(0, 30)):06d}")
        inbound = draw(st.none() | st.integers(-48, 0).map(lambda h: timedelta(hours=h)))
        rows.append(
            CampaignRecipient(
                recipient=number,
                opted_in=draw(st.sampled_from([True, True, True, False, None])),
                last_inbound_at=None
                if inbound is None
                else (start or draw(st.sampled_from([T0, T2023]))) + inbound,
            )
        )
    return rows


@given(
    data=st.data(),
    users=st.integers(1, 12),
    start=st.sampled_from([T0, T2023]),
    dedupe=st.booleans(),
)
def test_never_more_new_users_in_a_moving_window_than_the_limit(
    data: st.DataObject,
    users: int,
    start: datetime,
    dedupe: bool,  # noqa: FBT001 - drawn by Hypothesis
) -> None:
    """A reference sweep over the schedule never finds more new users than the limit allows."""
    rows = data.draw(campaign_rows(start), label="rows")
    limit = MessagingLimit(users=users)
    schedule = iter_schedule(
        rows, business=BUSINESS, kind=UTILITY, start=start, limit=limit, dedupe=dedupe
    )
    sends = list(schedule)
    plan = schedule.plan
    assert sends == sorted(sends, key=lambda s: s.at)
    assert_within_limit(sends, plan, limit, rules_at(start).messaging_limit_window.value)
    assert plan.recipients == plan.scheduled + sum(plan.blocked.values()) + plan.bad_rows
    assert len(sends) == plan.scheduled == sum(day.sends for day in plan.days)
    assert sum(s.new_user for s in sends) == plan.new_users


@given(data=st.data(), start=st.sampled_from([T0, T2023]), dedupe=st.booleans())
def test_no_recipient_twice_inside_the_pair_rate_interval(
    data: st.DataObject,
    start: datetime,
    dedupe: bool,  # noqa: FBT001 - drawn by Hypothesis
) -> None:
    """Two sends to one recipient are at least the pair-rate interval apart (or never, deduped)."""
    rows = data.draw(campaign_rows(start), label="rows")
    sends = list(iter_schedule(rows, business=BUSINESS, kind=UTILITY, start=start, dedupe=dedupe))
    pair = rules_at(start).pair_rate_interval.value
    last: dict[object, datetime] = {}
    for send in sends:
        previous = last.get(send.recipient)
        assert previous is None or (not dedupe and send.at - previous >= pair)
        last[send.recipient] = send.at


@given(rows=campaign_rows(), kind=st.sampled_from([UTILITY, MARKETING]))
def test_total_cost_is_the_sum_of_the_estimates(
    rows: list[CampaignRecipient], kind: SendKind
) -> None:
    """The plan's cost equals the sum of its sends' estimates; unknowns are counted apart."""
    schedule = iter_schedule(
        rows,
        business=BUSINESS,
        kind=kind,
        start=T0,
        limit=MessagingLimit(users=10),
        rate_card=_card(),
    )
    sends = list(schedule)
    plan = schedule.plan
    expected: Counter[tuple[object, ...]] = Counter()
    for send in sends:
        assert send.cost is not None
        if send.cost.amount is not None and send.cost.currency is not None:
            key = (send.cost.category, send.cost.market, send.cost.currency)
            expected[key] += send.cost.amount  # type: ignore[assignment]
    assert {k: v for k, v in expected.items() if v} == {
        k: v for k, v in (plan.cost or {}).items() if v
    }
    assert sum(s.cost is not None and s.cost.amount is None for s in sends) == (
        plan.unknown_price_sends
    )


# --- rendering ------------------------------------------------------------------------------


def test_plans_render_for_notebooks_and_terminals() -> None:
    """Markdown, HTML and rich renderings show the days and the blocked reasons."""
    from rich.console import Console

    rows = [*opted(3), CampaignRecipient(recipient=WaId("4915199990002"))]
    plan = plan_campaign(rows, business=BUSINESS, kind=UTILITY, start=T0, rate_card=_card())
    markdown = plan._repr_markdown_()
    assert "| 2026-11-23 | 3 |" in markdown
    assert "| no opt in | 1 |" in markdown
    html = plan._repr_html_()
    assert "<td>2026-11-23</td>" in html
    assert "no opt in" in html
    out = io.StringIO()
    Console(file=out, width=120).print(plan)
    assert "2026-11-23" in out.getvalue()
    assert "no opt in" in out.getvalue()


def test_every_rendering_shows_every_cell_and_bad_row() -> None:
    """Markdown, HTML and rich come from one report: each shows every cell and bad row."""
    from rich.console import Console

    errors = [RecipientFileError("row 7, phone", "[/x]", "not a phone number")]
    rows = [*opted(3), CampaignRecipient(recipient=WaId("4915199990002")), *errors]
    plan = plan_campaign(rows, business=BUSINESS, kind=UTILITY, start=T0, rate_card=_card())  # type: ignore[arg-type]
    console = Console(record=True, width=200)
    console.print(plan)  # a value that looks like console markup is shown as text
    renderings = (plan._repr_markdown_(), plan._repr_html_(), console.export_text())
    report = plan._report()
    cells = {cell for table in report.tables for row in table.rows for cell in row if cell}
    titles = {table.title for table in report.tables}
    for text in renderings:
        assert {cell for cell in cells if cell not in text} == set()
        assert {title for title in titles if title not in text} == set()
        assert "row 7, phone" in text
        assert "[/x]" in text


# --- the list -------------------------------------------------------------------------------


def listed(
    items: list[object], *, assume: bool = False, dedupe: bool = False
) -> tuple[list[tuple[object, Conversation | None, bool]], list[RecipientFileError], int]:
    """Read `items` as the walk does: the rows yielded, the bad rows, the duplicates."""
    bad: list[RecipientFileError] = []
    duplicates: list[None] = []
    rows = list(
        _listed_recipients(
            items,
            business=BUSINESS,
            start=T0,
            assume_opted_in=assume,
            dedupe=dedupe,
            on_bad=bad.append,
            on_duplicate=lambda: duplicates.append(None),
        )
    )
    return rows, bad, len(duplicates)


@pytest.mark.parametrize("assume", [True, False])
def test_bare_ids_are_fresh_and_opted_in_as_the_list_assumes(assume: bool) -> None:  # noqa: FBT001
    """A bare `WaId` or BSUID is fresh (no conversation), opted in as `assume_opted_in` says."""
    bsuid = BusinessScopedUserId("US.abc123")
    rows, _, _ = listed([WaId("4915100000001"), bsuid], assume=assume)
    assert [(WaId("4915100000001"), None, assume), (bsuid, None, assume)] == rows


@pytest.mark.parametrize(
    ("opted_in", "assume", "expected"),
    [(True, False, True), (False, True, False), (None, True, True), (None, False, False)],
)
def test_a_plain_row_is_fresh_and_its_flag_beats_the_assumption(
    opted_in: bool | None,  # noqa: FBT001 - parametrized
    assume: bool,  # noqa: FBT001
    expected: bool,  # noqa: FBT001
) -> None:
    """A row without conversation or last message is fresh; its `opted_in`, else the default."""
    one = WaId("4915100000001")
    rows, _, _ = listed([CampaignRecipient(recipient=one, opted_in=opted_in)], assume=assume)
    assert [(one, None, expected)] == rows


def test_a_row_with_a_last_message_gets_a_conversation_with_the_lists_facts() -> None:
    """A last message makes a conversation: the assumed opt-in at the start, then the message."""
    one, last = WaId("4915100000001"), T0 - timedelta(hours=1)
    rows, _, _ = listed([CampaignRecipient(recipient=one, last_inbound_at=last)], assume=True)
    expected = Conversation(business=BUSINESS, recipient=one).apply_all(
        [OptInRecorded(at=T0, method="campaign list"), InboundMessageReceived(at=last)]
    )
    assert [(one, expected, False)] == rows


@pytest.mark.parametrize(
    ("history", "opted_in", "expected"),
    [
        ([], None, ConsentStatus.UNKNOWN),  # the assumed opt-in is not the row's
        ([], True, ConsentStatus.OPTED_IN),
        ([OptOutReceived(at=T0 - DAY)], True, ConsentStatus.OPTED_OUT),  # an opt-out stands
    ],
)
def test_a_rows_conversation_takes_only_the_rows_own_opt_in(
    history: list[OptOutReceived],
    opted_in: bool | None,  # noqa: FBT001 - parametrized
    expected: ConsentStatus,
) -> None:
    """A row's conversation gets the row's opt-in where none is recorded; never the assumed one."""
    one = WaId("4915100000001")
    conversation = Conversation(business=BUSINESS, recipient=one).apply_all(history)
    row = CampaignRecipient(recipient=one, conversation=conversation, opted_in=opted_in)
    ((recipient, got, _),), _, _ = listed([row], assume=True)
    assert (one, expected) == (recipient, got.consent.status if got is not None else None)


def test_bad_rows_and_repeats_are_handed_back_not_yielded() -> None:
    """A bad row goes to `on_bad`; with dedupe a repeat goes to `on_duplicate`."""
    one, bsuid = WaId("4915100000001"), BusinessScopedUserId("US.abc123")
    error = RecipientFileError("row 3, phone", "12", "too short")
    items: list[object] = [one, error, CampaignRecipient(recipient=one), bsuid, bsuid]
    rows, bad, duplicates = listed(items, dedupe=True)
    assert ([one, bsuid], [error], 2) == ([row[0] for row in rows], bad, duplicates)
    rows, bad, duplicates = listed(items)
    assert ([one, one, bsuid, bsuid], [error], 0) == ([row[0] for row in rows], bad, duplicates)


def test_the_list_refuses_strays_and_anothers_conversation() -> None:
    """An item of no recipient type, or a row holding another recipient's conversation, raises."""
    with pytest.raises(InvalidValueError, match="recipients"):
        listed(["4915100000001"])
    other = Conversation(business=BUSINESS, recipient=WaId("4915100000002"))
    row = CampaignRecipient(recipient=WaId("4915100000001"), conversation=other)
    with pytest.raises(InvalidValueError, match=r"conversation\.recipient"):
        listed([row])


@given(
    items=st.lists(
        st.sampled_from(
            [
                WaId("4915100000001"),
                WaId("4915100000002"),
                BusinessScopedUserId("US.abc123"),
                CampaignRecipient(recipient=WaId("4915100000001"), opted_in=False),
                CampaignRecipient(
                    recipient=WaId("4915100000002"), last_inbound_at=T0 - timedelta(hours=3)
                ),
                RecipientFileError("row 2, phone", "x", "bad"),
            ]
        ),
        max_size=12,
    ),
    dedupe=st.booleans(),
)
def test_every_item_is_yielded_bad_or_a_duplicate(items: list[object], dedupe: bool) -> None:  # noqa: FBT001
    """Each item ends in exactly one place; with dedupe no recipient is yielded twice."""
    rows, bad, duplicates = listed(items, dedupe=dedupe)
    assert len(items) == len(rows) + len(bad) + duplicates
    recipients = [row[0] for row in rows]
    assert not dedupe or len(set(recipients)) == len(recipients)
    assert all(
        (conversation is None) or (conversation.recipient == r) for r, conversation, _ in rows
    )


# --- the recipients file --------------------------------------------------------------------

CSV = """phone,last_inbound_at,consent,name
+49 151 2345 6789,,opted_in,Ana
4915123456790,2026-11-23T08:00:00Z,yes,Ben
12,,yes,Bad phone
4915123456791,yesterday,yes,Bad instant
4915123456792,2026-11-23T08:00:00,yes,No zone
4915123456793,,maybe,Bad consent
4915123456794,,,Empty consent
4915123456795,,opted_out,Stopped

"""


def test_read_recipients_streams_rows_and_bad_rows() -> None:
    """Good rows become recipients; each bad row becomes an error naming row and column."""
    rows = list(read_recipients(io.StringIO(CSV)))
    assert CampaignRecipient(recipient=WaId("4915123456789"), opted_in=True) == rows[0]
    assert (
        CampaignRecipient(
            recipient=WaId("4915123456790"),
            opted_in=True,
            last_inbound_at=datetime(2026, 11, 23, 8, tzinfo=timezone.utc),
        )
        == rows[1]
    )
    errors = [row for row in rows if isinstance(row, RecipientFileError)]
    assert [
        "row 4, phone",
        "row 5, last_inbound_at",
        "row 6, last_inbound_at",
        "row 7, consent",
    ] == [e.field for e in errors]
    assert CampaignRecipient(recipient=WaId("4915123456794"), opted_in=None) == rows[-2]
    assert CampaignRecipient(recipient=WaId("4915123456795"), opted_out=True) == rows[-1]


def test_read_recipients_from_a_path_into_the_planner(tmp_path: Path) -> None:
    """A file on disk feeds the planner; bad rows are reported in the plan."""
    path = tmp_path / "recipients.csv"
    path.write_text(CSV, encoding="utf-8")
    plan = plan_campaign(read_recipients(path), business=BUSINESS, kind=UTILITY, start=T0)
    assert (8, 2, 4) == (plan.recipients, plan.scheduled, plan.bad_rows)
    assert {Reason.NO_OPT_IN: 1, Reason.OPTED_OUT: 1} == plan.blocked
    assumed = plan_campaign(
        read_recipients(path), business=BUSINESS, kind=UTILITY, start=T0, assume_opted_in=True
    )
    assert (3, {Reason.OPTED_OUT: 1}) == (assumed.scheduled, assumed.blocked)
    assert {
        "phone: not a phone number in international form ('+' or '00' and the country code;"
        " WaId.parse(text, region=...) reads a national number)": 1,
        "last_inbound_at: expected an ISO 8601 instant": 1,
        "last_inbound_at: the instant has no time zone": 1,
        "consent: expected opted_in/yes/true/1, no/false/0, opted_out/stop or empty": 1,
    } == plan.bad_row_causes


COLUMNS = ("phone", "last_inbound_at", "consent")


@given(
    causes=st.lists(
        st.tuples(st.sampled_from(COLUMNS), st.sampled_from(["bad", "worse", "[/bold]"])),
        max_size=12,
    ),
    good=st.integers(min_value=0, max_value=3),
)
def test_bad_rows_are_counted_by_cause_in_data_and_rendering(
    causes: list[tuple[str, str]], good: int
) -> None:
    """Bad rows are counted per cause (column: reason), adding up; every rendering shows them."""
    errors = [
        RecipientFileError(f"row {n}, {column}", "x", reason)
        for n, (column, reason) in enumerate(causes, start=2)
    ]
    plan = plan_campaign(
        [*errors, *opted(good)],  # type: ignore[list-item]
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
    )
    expected = Counter(f"{column}: {reason}" for column, reason in causes)
    assert (expected, len(causes)) == (plan.bad_row_causes, sum(plan.bad_row_causes.values()))
    assert list(plan.bad_row_causes.values()) == sorted(plan.bad_row_causes.values(), reverse=True)
    markdown = plan._repr_markdown_()
    assert ("**Bad rows by cause**" in markdown) == bool(causes)
    for cause, count in expected.items():
        assert f"| {cause} | {count:,} |" in markdown
        assert cause in plan._repr_html_()


def test_a_row_cannot_be_opted_in_and_out() -> None:
    """`opted_in=True` with `opted_out=True` is refused, naming `opted_out`."""
    with pytest.raises(InvalidValueError, match="opted_out="):
        CampaignRecipient(recipient=WaId("4915123456789"), opted_in=True, opted_out=True)
    with pytest.raises(InvalidValueError, match="expected True or False"):
        CampaignRecipient(recipient=WaId("4915123456789"), opted_out="yes")  # type: ignore[arg-type]


def test_read_recipients_without_consent_column_leaves_it_open() -> None:
    """Without a consent column, `opted_in` is None (the planner's default decides)."""
    (row,) = read_recipients(io.StringIO("phone\n4915123456789\n"))
    assert CampaignRecipient(recipient=WaId("4915123456789")) == row


@pytest.mark.parametrize("text", ["", "number,consent\n4915123456789,yes\n"])
def test_read_recipients_needs_a_phone_column(text: str) -> None:
    """A file without a header or a phone column cannot be read at all."""
    with pytest.raises(RecipientFileError, match="row 1"):
        list(read_recipients(io.StringIO(text)))


def test_a_recipient_the_ledger_holds_takes_no_new_slot() -> None:
    """A recipient already counted in the moving window is not a new user again."""
    rules = rules_at(T0)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    known = WaId("4915100000000")
    ledger.record(known, T0 - timedelta(hours=2))
    schedule = iter_schedule(opted(2), business=BUSINESS, kind=UTILITY, start=T0, ledger=ledger)
    assert [(known, False), (WaId("4915100000001"), True)] == [
        (s.recipient, s.new_user) for s in schedule
    ]


def test_a_held_recipient_sent_again_keeps_its_slot_a_window_after_the_resend() -> None:
    """A recipient the ledger holds takes no new slot, but a resend moves its slot forward."""
    rules = rules_at(T0)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    held, other = WaId("4915100000000"), WaId("4915100000001")
    ledger.record(held, T0 - timedelta(minutes=1))
    schedule = iter_schedule(
        [held, other],
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        limit=MessagingLimit(users=1),
        ledger=ledger,
        assume_opted_in=True,
    )
    assert [(held, T0, False), (other, T0 + DAY, True)] == [
        (s.recipient, s.at, s.new_user) for s in schedule
    ]


def test_held_slots_that_moved_free_nothing_when_they_expire() -> None:
    """Two held recipients sent again move both slots; the third user waits for the first."""
    rules = rules_at(T0)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    first, second, third = numbers(3)
    for recipient in (first, second):
        ledger.record(recipient, T0 - timedelta(hours=1))
    rows = [first, second, third]
    options = {"business": BUSINESS, "kind": UTILITY, "start": T0, "ledger": ledger}
    sends = list(
        iter_schedule(rows, limit=MessagingLimit(users=2), assume_opted_in=True, **options)  # type: ignore[arg-type]
    )
    assert [False, False, True] == [s.new_user for s in sends]
    assert T0 + DAY == sends[2].at
    unlimited = list(
        iter_schedule(rows, limit=MessagingLimit.unlimited(), assume_opted_in=True, **options)  # type: ignore[arg-type]
    )
    assert ([False, False, True], T0 + timedelta(milliseconds=25)) == (
        [s.new_user for s in unlimited],
        unlimited[2].at,
    )


def test_a_ledger_with_ids_of_both_kinds_at_one_instant_is_read() -> None:
    """Slots a `WaId` and a `BusinessScopedUserId` took at the same instant both count."""
    rules = rules_at(T0)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    earlier = T0 - timedelta(hours=1)
    ledger.record(WaId("4915100000000"), earlier)
    ledger.record(BusinessScopedUserId("US.abc123"), earlier)
    (send,) = iter_schedule(
        opted(1, prefix="49160"),
        business=BUSINESS,
        kind=UTILITY,
        start=T0,
        limit=MessagingLimit(users=2),
        ledger=ledger,
    )
    assert earlier + DAY == send.at


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rules", "today"),
        ("limit", 250),
        ("throughput_class", "Default"),
        ("bad_row_examples", -1),
    ],
)
def test_wrong_argument_types_are_refused(name: str, value: object) -> None:
    """Each argument of the wrong type raises an error naming it."""
    with pytest.raises(InvalidValueError, match=name):
        plan_campaign([], business=BUSINESS, kind=UTILITY, start=T0, **{name: value})  # type: ignore[arg-type]


# --- issue #15: per-user marketing limit risk and the marketing endpoint ----------------------


def test_a_marketing_plan_reports_its_per_user_limit_risk_and_endpoint() -> None:
    """Each fresh marketing send counts for the per-user limit and goes to /marketing_messages."""
    marketing = plan_campaign(opted(40), business=BUSINESS, kind=MARKETING, start=T0)
    utility = plan_campaign(opted(40), business=BUSINESS, kind=UTILITY, start=T0)
    assert ({Risk.PER_USER_MARKETING_LIMIT: 40}, Endpoint.MARKETING_MESSAGES) == (
        dict(marketing.at_risk),
        marketing.endpoint,
    )
    assert ({}, Endpoint.MESSAGES) == (dict(utility.at_risk), utility.endpoint)
    assert "at risk (per user marketing limit): 40 sends" in "\n".join(marketing._summary_lines())
    earlier = plan_campaign(opted(40), business=BUSINESS, kind=MARKETING, start=T2023)
    assert Endpoint.MESSAGES == earlier.endpoint
