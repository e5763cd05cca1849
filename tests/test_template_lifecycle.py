"""The template lifecycle: the status table, pauses, flags, review time, and order-insensitivity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from wa_outbound import InvalidTransition, InvalidValueError, NaiveDatetimeError, RuleDataError
from wa_outbound._rules import builtin_rule_sets, rules_at
from wa_outbound._template_lifecycle import (
    TEMPLATE_TRANSITIONS,
    QualityScore,
    TemplateCategoryChanged,
    TemplateFact,
    TemplateInput,
    TemplateQualityChanged,
    TemplateReason,
    TemplateState,
    TemplateStatus,
    TemplateStatusChanged,
    TemplateSubmitted,
    template_sendable,
)

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
TODAY = rules_at(T0)
RULES_2023 = builtin_rule_sets()[0]
S, In = TemplateStatus, TemplateInput
_SETS = {
    In.APPROVED: S.APPROVED,
    In.REINSTATED: S.APPROVED,
    In.PENDING: S.PENDING,
    In.IN_APPEAL: S.IN_APPEAL,
    In.LIMIT_EXCEEDED: S.LIMIT_EXCEEDED,
    In.REJECTED: S.REJECTED,
    In.PAUSED: S.PAUSED,
    In.LOCKED: S.LOCKED,
    In.ARCHIVED: S.ARCHIVED,
    In.DISABLED: S.DISABLED,
    In.PENDING_DELETION: S.PENDING_DELETION,
    In.DELETED: S.DELETED,
}


def _expected(status: TemplateStatus, kind: TemplateInput) -> TemplateStatus:
    """What the platform's documentation says each event does."""
    if status is S.DELETED:
        return S.DELETED
    if kind in _SETS:
        return _SETS[kind]
    if kind is In.UNARCHIVED:
        return S.APPROVED if status is S.ARCHIVED else status
    if kind is In.UNLOCKED:
        return S.APPROVED if status is S.LOCKED else status
    return status  # FLAGGED


def event(at: datetime, name: str, **kwargs: object) -> TemplateStatusChanged:
    """Build a status event."""
    return TemplateStatusChanged(at=at, event=name, **kwargs)  # type: ignore[arg-type]


def state(*facts: TemplateFact) -> TemplateState:
    """Build a template state from facts."""
    return TemplateState(template_id="1", name="order_update", language="en_US").apply_all(facts)


# --- the table ------------------------------------------------------------------------------


def test_table_covers_every_pair() -> None:
    """The table has exactly one entry for every (status, input) pair."""
    assert {(s, i) for s in S for i in In} == set(TEMPLATE_TRANSITIONS)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("kind", list(In))
def test_every_pair(status: TemplateStatus, kind: TemplateInput) -> None:
    """Each (status, input) goes where the platform's event says; DELETED is final."""
    assert _expected(status, kind) == TEMPLATE_TRANSITIONS[status, kind]


@pytest.mark.parametrize("kind", [k for k in In if k in _SETS])
def test_each_setting_event_sets_its_status_from_approved(kind: TemplateInput) -> None:
    """Applying a status event to an approved template gives the table's status."""
    approved = state(event(T0, "APPROVED"))
    assert _SETS[kind] == approved.apply(event(T0 + H, kind.value)).status


def test_non_facts_are_refused() -> None:
    """Applying something that is not a template fact raises `InvalidTransition`."""
    with pytest.raises(InvalidTransition, match="not a template fact"):
        state().apply("APPROVED")  # type: ignore[arg-type]


def test_bad_facts_and_states_are_refused() -> None:
    """Empty ids, empty events, wrong scores and naive instants name the field."""
    with pytest.raises(InvalidValueError, match="template_id"):
        TemplateState(template_id=" ")
    with pytest.raises(InvalidValueError, match="event"):
        TemplateStatusChanged(at=T0, event="")
    with pytest.raises(InvalidValueError, match="reason"):
        TemplateStatusChanged(at=T0, event="REJECTED", reason=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="new"):
        TemplateQualityChanged(at=T0, new="RED")  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError, match="disable_at"):
        event(T0, "FLAGGED", disable_at=datetime(2026, 3, 9))
    with pytest.raises(InvalidValueError, match="state"):
        template_sendable("x", now=T0)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError, match="now"):
        template_sendable(state(), now=datetime(2026, 3, 2))


# --- the question ---------------------------------------------------------------------------


def test_new_template_is_pending_and_blocked() -> None:
    """A submitted template is in review: blocked, with the review deadline as next change."""
    decision = template_sendable(state(TemplateSubmitted(at=T0)), now=T0 + H)
    assert (TemplateReason.PENDING_REVIEW,) == decision.codes
    assert not decision
    assert T0 + TODAY.template_review_time.value == decision.next_change_at
    assert "in review since 2026-03-02 09:00 UTC" in decision.reasons[0].message


def test_review_overdue_under_2023_and_today() -> None:
    """Thirty hours in review is overdue today (24 h) but not under the 2023 regime (48 h)."""
    pending = state(TemplateSubmitted(at=T0))
    later = T0 + 30 * H
    assert template_sendable(pending, now=later).review_overdue is True
    old = template_sendable(pending, now=later, rules=RULES_2023)
    assert old.review_overdue is False
    assert T0 + 48 * H == old.next_change_at
    assert template_sendable(state(), now=later).review_overdue is False


def test_approved_is_sendable_at_any_quality() -> None:
    """Every quality score can be sent; RED only warns."""
    for score in QualityScore:
        s = state(event(T0, "APPROVED"), TemplateQualityChanged(at=T0 + H, new=score))
        decision = template_sendable(s, now=T0 + 2 * H)
        assert decision.allowed
        assert score == decision.quality
        low = TemplateReason.LOW_QUALITY in [w.code for w in decision.warnings]
        assert (score is QualityScore.RED) == low


def test_pausing_three_then_six_hours_then_disabled() -> None:
    """Pause 1 lasts 3 h, pause 2 lasts 6 h, the third pause disables the template."""
    s = state(event(T0, "APPROVED"), event(T0 + H, "PAUSED"))
    first = template_sendable(s, now=T0 + 2 * H)
    assert (TemplateReason.PAUSED,) == first.codes
    assert T0 + 4 * H == first.next_change_at
    assert "pause 1, 3 h" in first.reasons[0].message
    assert template_sendable(s, now=T0 + 4 * H).allowed  # ran its length, not yet confirmed
    assert (
        TemplateReason.PAUSE_END_UNCONFIRMED
        == template_sendable(s, now=T0 + 4 * H).warnings[0].code
    )

    s = s.apply(event(T0 + 4 * H, "APPROVED")).apply(event(T0 + 10 * H, "PAUSED"))
    assert 2 == s.pause_number
    second = template_sendable(s, now=T0 + 15 * H)
    assert T0 + 16 * H == second.next_change_at
    assert not second
    assert template_sendable(s, now=T0 + 16 * H)

    s = s.apply(event(T0 + 16 * H, "APPROVED")).apply(event(T0 + 20 * H, "PAUSED"))
    third = template_sendable(s, now=T0 + 40 * H)
    assert (TemplateReason.DISABLED_AFTER_PAUSES,) == third.codes
    assert S.DISABLED == third.status
    assert third.next_change_at is None
    assert "third" in third.reasons[0].message
    assert s.pause_ends_at(TODAY) is None
    assert 3 == s.pause_count


def test_platform_disabled_event_is_authoritative() -> None:
    """Meta's DISABLED event disables the template after a single pause."""
    s = state(event(T0, "PAUSED"), event(T0 + H, "DISABLED"))
    assert (TemplateReason.DISABLED,) == template_sendable(s, now=T0 + 2 * H).codes


def test_flagged_template_is_disabled_at_its_date() -> None:
    """A flag warns until its disable date, which is the next change, then blocks."""
    disable = T0 + 7 * 24 * H
    s = state(event(T0, "APPROVED"), event(T0 + H, "FLAGGED", disable_at=disable))
    assert S.APPROVED == s.status
    before = template_sendable(s, now=T0 + 2 * H)
    assert before.allowed
    assert disable == before.next_change_at
    assert "disabled on 2026-03-09" in before.warnings[0].message
    after = template_sendable(s, now=disable)
    assert (TemplateReason.DISABLE_DATE_PASSED,) == after.codes
    reinstated = s.apply(event(T0 + 2 * H, "REINSTATED"))
    assert reinstated.flagged is None
    assert template_sendable(reinstated, now=disable).allowed


def test_flag_without_date_warns_soon() -> None:
    """A flag without a disable date warns without a next change."""
    decision = template_sendable(state(event(T0, "FLAGGED")), now=T0)
    assert (TemplateReason.PENDING_REVIEW,) == decision.codes
    approved = template_sendable(state(event(T0, "APPROVED"), event(T0, "FLAGGED")), now=T0)
    assert "disabled soon" in approved.warnings[0].message
    assert approved.next_change_at is None
    assert approved.allowed


def test_rejection_reason_and_other_statuses() -> None:
    """A rejection names Meta's reason; every other status blocks with its own code."""
    s = state(event(T0, "REJECTED", reason="INVALID_FORMAT"))
    assert "INVALID_FORMAT" == s.rejection_reason
    assert "(INVALID_FORMAT)" in template_sendable(s, now=T0).reasons[0].message
    assert "" == state(event(T0, "APPROVED")).rejection_reason
    flagged = state(event(T0, "FLAGGED", disable_at=T0 + H))
    assert T0 + H == flagged.flagged_disable_at
    assert state().flagged_disable_at is None
    for name in [
        "IN_APPEAL",
        "PENDING_DELETION",
        "DELETED",
        "ARCHIVED",
        "LIMIT_EXCEEDED",
        "LOCKED",
    ]:
        decision = template_sendable(state(event(T0, name)), now=T0)
        assert name.lower() == decision.codes[0].value
        assert str(decision.reasons[0])


def test_unarchive_and_unlock_lead_back() -> None:
    """UNARCHIVED and UNLOCKED bring the template back to APPROVED."""
    assert S.APPROVED == state(event(T0, "ARCHIVED"), event(T0 + H, "UNARCHIVED")).status
    assert S.APPROVED == state(event(T0, "LOCKED"), event(T0 + H, "unlocked")).status


def test_unknown_events_are_recorded_not_raised() -> None:
    """An unknown event keeps the status, is recorded, and warns while it is the latest."""
    s = state(event(T0, "APPROVED"), event(T0 + H, "SOMETHING_NEW"))
    assert S.APPROVED == s.status
    assert "SOMETHING_NEW" == s.unknown_event
    assert s == s.apply(event(T0, "OLDER_UNKNOWN"))
    decision = template_sendable(s, now=T0 + 2 * H)
    assert decision.allowed
    assert TemplateReason.UNKNOWN_EVENT == decision.warnings[0].code
    later = s.apply(event(T0 + 2 * H, "PAUSED"))
    assert not template_sendable(later, now=T0 + 2 * H).warnings


def test_category_change_takes_effect_at_its_instant() -> None:
    """An announced category change warns, is the next change, and applies from its instant."""
    at = T0 + 24 * H
    s = state(
        event(T0, "APPROVED"),
        TemplateCategoryChanged(
            at=T0, new_category="UTILITY", correct_category="MARKETING", takes_effect_at=at
        ),
    )
    before = template_sendable(s, now=T0 + H)
    assert "UTILITY" == before.category
    assert at == before.next_change_at
    assert "MARKETING" in before.warnings[0].message
    assert "MARKETING" == template_sendable(s, now=at).category
    done = s.apply(
        TemplateCategoryChanged(at=at, new_category="MARKETING", previous_category="UTILITY")
    )
    assert "" == done.upcoming_category
    assert done == done.apply(
        TemplateCategoryChanged(at=T0, new_category="UTILITY", correct_category="MARKETING")
    )


def test_default_rules_before_2023_are_refused() -> None:
    """Without rules, an instant before the oldest rule set raises `RuleDataError`."""
    with pytest.raises(RuleDataError):
        template_sendable(state(), now=datetime(2020, 1, 1, tzinfo=UTC))


def test_pause_duration_rules_are_checked() -> None:
    """Overrides of the pause ladder must be a non-empty tuple of positive timedeltas."""
    for bad in [(), [timedelta(hours=3)], (timedelta(0),), (3,)]:
        with pytest.raises(RuleDataError) as info:
            attrs.evolve(TODAY, template_pause_durations=bad)
        assert "template_pause_durations" == info.value.field
    one = attrs.evolve(TODAY, template_pause_durations=(timedelta(hours=1),))
    second = state(event(T0, "PAUSED"), event(T0 + 2 * H, "APPROVED"), event(T0 + 3 * H, "PAUSED"))
    assert S.DISABLED == template_sendable(second, now=T0 + 3 * H, rules=one).status


# --- order and repetition -------------------------------------------------------------------

_names = st.sampled_from([k.value for k in In] + ["MYSTERY"])
_instants = st.integers(min_value=0, max_value=20).map(lambda n: T0 + n * H)
_facts = st.one_of(
    st.builds(
        TemplateStatusChanged,
        at=_instants,
        event=_names,
        reason=st.sampled_from(["", "SCAM"]),
        disable_at=st.none() | _instants,
    ),
    st.builds(TemplateSubmitted, at=_instants),
    st.builds(TemplateQualityChanged, at=_instants, new=st.sampled_from(QualityScore)),
    st.builds(
        TemplateCategoryChanged,
        at=_instants,
        new_category=st.sampled_from(["UTILITY", "MARKETING"]),
        correct_category=st.sampled_from(["", "MARKETING"]),
        takes_effect_at=st.none() | _instants,
    ),
)


def _reference_status(facts: list[TemplateFact]) -> TemplateStatus:
    """Fold the table over the full history, in time order, restrictive last at ties."""
    rank = {k: n for n, k in enumerate(In)}
    steps = []
    for f in facts:
        if isinstance(f, TemplateSubmitted):
            steps.append((f.at, rank[In.PENDING], In.PENDING))
        elif isinstance(f, TemplateStatusChanged) and f.kind is not None:
            steps.append((f.at, rank[f.kind], f.kind))
    status = S.PENDING
    for _, _, kind in sorted(set(steps), key=lambda s: (s[0], s[1])):
        status = TEMPLATE_TRANSITIONS[status, kind]
    return status


@given(st.lists(_facts, max_size=12), st.randoms(use_true_random=False))
def test_order_and_repetition_do_not_matter(facts: list[TemplateFact], rnd: object) -> None:
    """Any order of the same facts, each applied once or twice, gives the same state."""
    shuffled = facts + facts[: len(facts) // 2]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert state(*facts) == state(*shuffled)
    assert state(*facts).status == state(*shuffled).status
    assert _reference_status(facts) == state(*facts).status


@given(st.lists(_facts, max_size=12), _instants)
def test_questions_never_raise(facts: list[TemplateFact], now: datetime) -> None:
    """Any valid state gets an answer from its latest fact on; allowed when nothing blocks."""
    s = state(*facts)
    now = max(now, s.latest_at or now)
    decision = template_sendable(s, now=now)
    assert decision.allowed == (not decision.reasons)
    assert decision.next_change_at is None or decision.next_change_at > now


# --- a stateful check against a tiny model --------------------------------------------------


class Lifecycle(RuleBasedStateMachine):
    """Platform events in time order, with time advancing, against a list of (time, event)."""

    def __init__(self) -> None:
        """Start at T0 with no events."""
        super().__init__()
        self.now = T0
        self.history: list[tuple[datetime, str]] = []
        self.state = state()

    @rule(hours=st.integers(min_value=0, max_value=8))
    def advance(self, hours: int) -> None:
        """Let time pass."""
        self.now += hours * H

    @rule(name=st.sampled_from(["APPROVED", "PAUSED", "DISABLED", "FLAGGED", "REJECTED"]))
    def platform_event(self, name: str) -> None:
        """Meta reports a status event, delivered twice."""
        self.now += timedelta(minutes=1)  # the platform's events are in time order
        fact = event(self.now, name, disable_at=self.now + 48 * H)
        self.history.append((self.now, name))
        self.state = self.state.apply(fact).apply(fact)

    def _current_pause(self) -> tuple[datetime, int] | None:
        """The model's current pause: its start and number."""
        latest: tuple[datetime, int] | None = None
        pauses = 0
        for at, name in self.history:
            if name == "PAUSED":
                pauses += 1
                latest = (at, pauses)
            elif name in {"APPROVED", "DISABLED", "REJECTED"}:
                latest = None
        return latest

    @invariant()
    def never_sendable_while_paused(self) -> None:
        """Never sendable while paused and before the pause ends; disabled past the ladder."""
        pause = self._current_pause()
        if pause is None:
            return
        start, number = pause
        durations = TODAY.template_pause_durations.value
        decision = template_sendable(self.state, now=self.now)
        if number > len(durations):
            assert S.DISABLED == decision.status
            assert not decision
        elif self.now < start + durations[number - 1]:
            assert not decision
            assert start + durations[number - 1] == decision.next_change_at

    @invariant()
    def disabled_after_third_pause(self) -> None:
        """Not sendable once a third pause (or a DISABLED event) is the latest event."""
        if sum(1 for _, name in self.history if name == "PAUSED") >= 3 and self.history[-1][1] in {
            "PAUSED",
            "DISABLED",
        }:
            assert not template_sendable(self.state, now=self.now)

    @invariant()
    def replay_in_reverse_agrees(self) -> None:
        """Replaying the history backwards gives the same state."""
        reverse = state(
            *(event(at, name, disable_at=at + 48 * H) for at, name in reversed(self.history))
        )
        assert reverse == self.state


TestLifecycle = Lifecycle.TestCase
