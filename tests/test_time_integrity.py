"""Time integrity: no question is answered from before the facts it reads (beyond the tolerance)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    AccountHealth,
    ClockSkewError,
    Conversation,
    EntryPoint,
    EntryPointVisit,
    InboundMessageReceived,
    InvalidValueError,
    OptInRecorded,
    OptOutReceived,
    OutboundMessageSent,
    PhoneNumberId,
    Provider,
    Reason,
    SendKind,
    SendRejected,
    WaId,
    can_send,
    decide,
    rules_at,
)
from wa_outbound._account import seen_after as account_seen_after
from wa_outbound._conversation import seen_after
from wa_outbound._facts import AUTHORITATIVE_CODES, BusinessCallUnanswered, CallConnected
from wa_outbound._rules import answer_instant
from wa_outbound._template_lifecycle import seen_after as template_seen_after
from wa_outbound.account import (
    AccountRestricted,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    Restriction,
    RestrictionType,
)
from wa_outbound.templates import (
    TemplateCategoryChanged,
    TemplateState,
    TemplateStatusChanged,
    TemplateSubmitted,
    template_sendable,
)
from wa_outbound.testing import (
    account_facts,
    account_healths,
    conversations,
    facts,
    instants,
    template_facts,
    template_states,
)

from .conftest import T0

UTC = timezone.utc
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
TODAY = rules_at(T0)
TOLERANCE = TODAY.clock_skew_tolerance.value
DECEMBER_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DECEMBER_3 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
BIZ = RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING
PHONE = PhoneNumberId("106540352242922")
ANA = WaId("4915123456789")

_times = instants(T0 - 72 * H, timedelta(days=6))
_offsets = st.integers(0, int(TOLERANCE.total_seconds())).map(lambda s: timedelta(seconds=s))


def test_the_tolerance_is_a_dated_reported_rule() -> None:
    """Five minutes, from the baseline, marked as a third party's figure with a note."""
    rule = TODAY.clock_skew_tolerance
    assert timedelta(minutes=5) == rule.value
    assert rule.effective_from is not None
    assert "reported" == rule.source.provenance.value
    assert "UNCONFIRMED" in rule.note


# --- the examples -------------------------------------------------------------------


def test_an_opt_out_of_3_december_is_not_read_on_1_december(conversation: Conversation) -> None:
    """Asked on 1 December, `can_send` refuses instead of answering "opted out on 3 December"."""
    c = conversation.apply_all(
        [OptInRecorded(at=T0, method="web form"), OptOutReceived(at=DECEMBER_3)]
    )
    with pytest.raises(ClockSkewError) as caught:
        can_send(c, SendKind.UTILITY_TEMPLATE, now=DECEMBER_1)
    error = caught.value
    assert (DECEMBER_1, DECEMBER_3, TOLERANCE) == (error.now, error.latest, error.tolerance)
    assert "now" == error.field
    assert "2026-12-03T09:00:00+00:00" in str(error)
    assert "0:05:00" in str(error)
    assert isinstance(error, InvalidValueError)
    assert isinstance(error, ValueError)


def test_an_inbound_message_stamped_tomorrow_opens_nothing_today(
    conversation: Conversation,
) -> None:
    """A message stamped tomorrow makes free-form refused today, not "allowed"."""
    c = conversation.apply(InboundMessageReceived(at=T0 + 24 * H))
    with pytest.raises(ClockSkewError):
        can_send(c, SendKind.FREE_FORM, now=T0)


def test_a_message_a_little_ahead_is_answered_as_at_its_instant(
    conversation: Conversation,
) -> None:
    """Two minutes of skew: the answer is the one at the message, with the window open."""
    c = conversation.apply(InboundMessageReceived(at=T0 + 2 * MINUTE))
    decision = can_send(c, SendKind.FREE_FORM, now=T0)
    assert decision.allowed
    assert can_send(c, SendKind.FREE_FORM, now=T0 + 2 * MINUTE) == decision
    assert T0 + 2 * MINUTE + 24 * H == decision.service_window_expires_at


def test_the_hosts_rules_set_the_tolerance(conversation: Conversation) -> None:
    """A wider tolerance in the host's rules accepts what the built-in one refuses."""
    c = conversation.apply(InboundMessageReceived(at=T0 + H))
    wide = attrs.evolve(TODAY, clock_skew_tolerance=2 * H)
    assert can_send(c, SendKind.FREE_FORM, now=T0, rules=wide).allowed
    with pytest.raises(ClockSkewError, match="1:00:00"):
        can_send(c, SendKind.FREE_FORM, now=T0, rules=TODAY)


# --- latest_at ------------------------------------------------------------------------------


def test_a_new_value_has_seen_no_instant(conversation: Conversation) -> None:
    """Before any fact, `latest_at` is `None` and any `now` is answered."""
    assert conversation.latest_at is None
    assert AccountHealth().latest_at is None
    assert TemplateState(template_id="1234567890").latest_at is None
    assert can_send(conversation, SendKind.FREE_FORM, now=T0).codes == (Reason.WINDOW_NEVER_OPENED,)


def _recorded(fact: object) -> bool:
    """Whether applying `fact` records its instant (a code that says nothing records nothing)."""
    return not isinstance(fact, SendRejected) or (fact.provider, fact.code) in AUTHORITATIVE_CODES


@given(st.lists(facts(_times), max_size=12))
def test_latest_at_is_the_latest_fact_applied(fs: list[object]) -> None:
    """`latest_at` is the latest instant of the facts applied, whatever their order."""
    connected = {
        f.call_id for f in fs if isinstance(f, CallConnected) and f.call_id and f.business_initiated
    }
    earliest: dict[str, datetime] = {}
    for f in fs:
        if isinstance(f, BusinessCallUnanswered) and f.call_id:
            earliest[f.call_id] = min(f.at, earliest.get(f.call_id, f.at))
    c = Conversation(business=PHONE, recipient=ANA)
    recorded = []
    for f in fs:
        before, c = c, c.apply(f)  # type: ignore[arg-type]
        # One unanswered call is kept at its earliest report; a call that connected was
        # answered, and its reports of no answer are forgotten, whatever their order.
        cancelled = isinstance(f, BusinessCallUnanswered) and (
            f.call_id in connected or (f.call_id and f.at > earliest[f.call_id])
        )
        if _recorded(f) and before != c and not cancelled:
            recorded.append(f.at)  # type: ignore[attr-defined]
    assert max(recorded, default=None) == c.latest_at


@given(conversations(_times), _times)
def test_the_fast_check_agrees_with_latest_at(c: Conversation, now: datetime) -> None:
    """`seen_after` (the check before every send) is `latest_at > now`, computed faster."""
    assert (c.latest_at is not None and c.latest_at > now) == seen_after(c, now)


@given(st.lists(template_facts(_times), max_size=12), _times)
def test_a_templates_latest_at_is_its_latest_fact(fs: list[object], now: datetime) -> None:
    """A template state's `latest_at` is the latest fact that changed it; the fast check agrees."""
    state = TemplateState(template_id="1234567890")
    changed = []
    for fact in fs:
        new = state.apply(fact)  # type: ignore[arg-type]
        if new != state:
            changed.append(fact.at)  # type: ignore[attr-defined]
        state = new
    assert max(changed, default=None) == state.latest_at
    assert (state.latest_at is not None and state.latest_at > now) == template_seen_after(
        state, now
    )


@given(account_healths(_times), st.lists(account_facts(_times), max_size=4), _times)
def test_an_accounts_latest_at_is_its_latest_report(
    health: AccountHealth, fs: list[object], now: datetime
) -> None:
    """Reports only move `latest_at` forward; the fast check agrees with it."""
    after = health.apply_all(fs)  # type: ignore[arg-type]
    if health.latest_at is not None:
        assert after.latest_at is not None
        assert after.latest_at >= health.latest_at
    assert (after.latest_at is not None and after.latest_at > now) == account_seen_after(after, now)


@given(template_states(_times, max_facts=8), _times)
def test_template_sendable_answers_as_at_its_latest_fact(
    state: TemplateState, now: datetime
) -> None:
    """Refused beyond the tolerance; else the answer at `max(now, latest_at)`."""
    latest = state.latest_at
    if latest is not None and latest - now > TOLERANCE:
        with pytest.raises(ClockSkewError):
            template_sendable(state, now=now)
        return
    at = now if latest is None else max(now, latest)
    assert template_sendable(state, now=at) == template_sendable(state, now=now)


@pytest.mark.parametrize(
    "visit",
    [
        EntryPointVisit(referred_at=T0 + H, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
        EntryPointVisit(
            referred_at=T0 - H, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD, replied_at=T0 + H
        ),
    ],
)
def test_an_entry_point_counts_even_in_a_hand_built_value(
    conversation: Conversation, visit: EntryPointVisit
) -> None:
    """Instants kept only in an entry point still count as seen."""
    c = attrs.evolve(conversation, entry_points=(visit,))
    assert T0 + H == c.latest_at
    assert seen_after(c, T0)
    assert not seen_after(c, T0 + H)


# --- the properties -------------------------------------------------------------------------


@given(conversations(_times, max_facts=8), st.sampled_from(SendKind), _offsets)
def test_within_the_tolerance_the_answer_is_the_one_at_the_latest_fact(
    c: Conversation, kind: SendKind, offset: timedelta
) -> None:
    """Asked up to the tolerance before `latest_at`, `can_send` answers as at `latest_at`."""
    latest = c.latest_at
    if latest is None:
        return
    assert can_send(c, kind, now=latest) == can_send(c, kind, now=latest - offset)


@given(conversations(_times, max_facts=8), st.sampled_from(SendKind), _times)
def test_no_answer_comes_from_before_the_latest_fact(
    c: Conversation, kind: SendKind, now: datetime
) -> None:
    """Any `now`: refused beyond the tolerance, else the answer at `max(now, latest_at)`."""
    latest = c.latest_at
    if latest is not None and latest - now > TOLERANCE:
        with pytest.raises(ClockSkewError):
            can_send(c, kind, now=now)
        with pytest.raises(ClockSkewError):
            decide(c, kind, now=now)
        return
    at = now if latest is None else max(now, latest)
    assert can_send(c, kind, now=at) == can_send(c, kind, now=now)
    assert decide(c, kind, now=at) == decide(c, kind, now=now)


@given(_times, _times)
def test_answer_instant_is_now_the_latest_instant_or_an_error(
    now: datetime, latest: datetime
) -> None:
    """The one rule every question follows, stated once."""
    if latest - now > TOLERANCE:
        with pytest.raises(ClockSkewError):
            answer_instant(now, latest, TODAY)
    else:
        assert max(now, latest) == answer_instant(now, latest, TODAY)
    assert now == answer_instant(now, None)


def test_answer_instant_before_the_oldest_rule_set_uses_it() -> None:
    """Instants before 2023 take the oldest built-in set's tolerance."""
    old = datetime(2020, 1, 1, tzinfo=UTC)
    assert old == answer_instant(old - MINUTE, old)
    with pytest.raises(ClockSkewError):
        answer_instant(old - H, old)


# --- templates, accounts and decide ---------------------------------------------------------


def _approved_template(at: datetime) -> TemplateState:
    """A template submitted two days before `at` and approved at `at`."""
    return TemplateState(template_id="1234567890").apply_all(
        [TemplateSubmitted(at=at - 48 * H), TemplateStatusChanged(at=at, event="APPROVED")]
    )


def test_template_sendable_refuses_a_now_before_its_facts() -> None:
    """An approval stamped an hour ahead is not read by a question asked now."""
    state = _approved_template(T0 + H)
    with pytest.raises(ClockSkewError):
        template_sendable(state, now=T0)
    assert template_sendable(state, now=T0 + H - MINUTE).allowed


def test_an_announced_change_is_not_a_fact_seen() -> None:
    """A category change announced for tomorrow does not move `latest_at` to tomorrow."""
    state = _approved_template(T0).apply(
        TemplateCategoryChanged(
            at=T0,
            new_category="UTILITY",
            correct_category="MARKETING",
            takes_effect_at=T0 + 24 * H,
        )
    )
    assert T0 == state.latest_at
    assert template_sendable(state, now=T0).allowed


def test_account_questions_refuse_a_now_before_the_latest_report() -> None:
    """A restriction reported an hour ahead is not read now; within the tolerance it is."""
    health = AccountHealth().apply(
        AccountRestricted(at=T0 + H, restrictions=(Restriction(restriction_type=BIZ, until=None),))
    )
    assert T0 + H == health.latest_at
    with pytest.raises(ClockSkewError):
        health.restriction_active(T0)
    with pytest.raises(ClockSkewError):
        health.next_restriction_expiry(T0)
    assert health.restriction_active(T0 + H - MINUTE)


@given(_offsets)
def test_decide_asks_every_part_at_the_latest_fact_within_the_tolerance(
    offset: timedelta,
) -> None:
    """The account's or template's latest fact moves `now` for every part, or refuses it."""
    c = Conversation(business=PHONE, recipient=ANA).apply(OptInRecorded(at=T0, method="form"))
    health = AccountHealth().apply(
        PhoneNumberStatusChanged(at=T0 + H, status=PhoneNumberStatus.CONNECTED)
    )
    template = _approved_template(T0 + H)
    kind = SendKind.UTILITY_TEMPLATE
    at_latest = decide(c, kind, now=T0 + H, account=health, template=template)
    asked = decide(c, kind, now=T0 + H - offset, account=health, template=template)
    assert at_latest == asked
    with pytest.raises(ClockSkewError):
        decide(c, kind, now=T0, account=health)
    with pytest.raises(ClockSkewError):
        decide(c, kind, now=T0, template=template)


def test_decide_does_not_read_a_template_it_does_not_ask(conversation: Conversation) -> None:
    """For a free-form send the template is not asked, so its facts do not move `now`."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    template = _approved_template(T0 + 24 * H)
    assert decide(c, SendKind.FREE_FORM, now=T0, template=template).allowed


def test_a_rejection_ahead_of_now_is_a_fact_seen(conversation: Conversation) -> None:
    """A 131047 reported ahead of the host's clock counts as seen like any fact."""
    c = conversation.apply_all(
        [
            InboundMessageReceived(at=T0),
            SendRejected(at=T0 + H, provider=Provider.META, code=131047),
            OutboundMessageSent(at=T0),
        ]
    )
    assert T0 + H == c.latest_at
    with pytest.raises(ClockSkewError):
        can_send(c, SendKind.FREE_FORM, now=T0)


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_an_instant_is_written_the_same_every_time(value: datetime) -> None:
    """`iso_instant` writes an instant in UTC with a Z, the same on every call (it remembers)."""
    from wa_outbound._time import iso_instant

    expected = value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    assert [expected, expected] == [iso_instant(value), iso_instant(value)]
