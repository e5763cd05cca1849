"""A Hypothesis state machine drives a `Conversation` against a tiny reference model.

The reference keeps every fact as a plain list of timestamps and recomputes the answers from
scratch; the conversation keeps only what it needs. Time advances as a rule, and facts may be
delivered late (back-dated), twice, or out of order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from wa_outbound import (
    Conversation,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    PhoneNumberId,
    Provider,
    Reason,
    SendKind,
    SendRejected,
    WaId,
    can_send,
    dump_conversation,
    load_conversation,
    rules_at,
)
from wa_outbound._facts import Fact

from .conftest import T0, T2023

WINDOW = timedelta(hours=24)


class ConversationMachine(RuleBasedStateMachine):
    """Random facts and advancing time, checked against lists of timestamps."""

    def __init__(self) -> None:
        """Start with an empty conversation at a random regime."""
        super().__init__()
        self.start: datetime = T0
        self.now: datetime = T0
        self.conversation = Conversation(
            business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789")
        )
        self.delivered: list[Fact] = []
        self.inbound: list[datetime] = []
        self.closed_by_platform: list[datetime] = []
        self.opt_ins: list[datetime] = []
        self.opt_outs: list[datetime] = []
        self.marketing_stops: list[datetime] = []
        self.marketing_resumes: list[datetime] = []

    def _apply(self, fact: Fact) -> None:
        self.conversation = self.conversation.apply(fact)
        self.delivered.append(fact)

    @rule(regime=st.sampled_from([T0, T2023]))
    def switch_regime(self, regime: datetime) -> None:
        """Sometimes play the story under the 2023 rules (only before anything happened)."""
        if not self.delivered:
            self.start = self.now = regime

    @rule(minutes=st.integers(1, 60 * 30))
    def advance(self, minutes: int) -> None:
        """Time passes."""
        self.now += timedelta(minutes=minutes)

    @rule(late=st.integers(0, 60 * 48))
    def user_writes(self, late: int) -> None:
        """The user wrote, possibly reported `late` minutes after the fact."""
        at = max(self.start, self.now - timedelta(minutes=late))
        self.inbound.append(at)
        self._apply(InboundMessageReceived(at=at))

    @rule(late=st.integers(0, 60 * 48))
    def platform_rejects(self, late: int) -> None:
        """Meta answered 131047 for a free-form message."""
        at = max(self.start, self.now - timedelta(minutes=late))
        self.closed_by_platform.append(at)
        self._apply(SendRejected(at=at, provider=Provider.META, code=131047))

    @rule(late=st.integers(0, 600), scope=st.sampled_from(["in", "out", "stop", "resume"]))
    def consent_changes(self, late: int, scope: str) -> None:
        """The user opts in, opts out, stops or resumes marketing."""
        at = max(self.start, self.now - timedelta(minutes=late))
        if scope == "in":
            self.opt_ins.append(at)
            self._apply(OptInRecorded(at=at, method="web form"))
        elif scope == "out":
            self.opt_outs.append(at)
            self._apply(OptOutReceived(at=at))
        elif scope == "stop":
            self.marketing_stops.append(at)
            self._apply(OptOutReceived(at=at, scope=OptOutScope.MARKETING))
        else:
            self.marketing_resumes.append(at)
            self._apply(MarketingResumed(at=at))

    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        """A webhook arrives twice: nothing changes."""
        if self.delivered:
            fact = data.draw(st.sampled_from(self.delivered))
            before = self.conversation
            self.conversation = self.conversation.apply(fact)
            assert before == self.conversation

    # --- the reference model -----------------------------------------------------------

    def _window_open(self) -> bool:
        past = [t for t in self.inbound if t <= self.now]
        if not past:
            return False
        last = max(self.inbound)
        if any(closed >= last for closed in self.closed_by_platform):
            return False
        return self.now < last + WINDOW

    def _opted_out(self) -> bool:
        if not self.opt_outs:
            return False
        return not self.opt_ins or max(self.opt_ins) <= max(self.opt_outs)

    def _opted_in(self) -> bool:
        return bool(self.opt_ins) and not self._opted_out()

    def _marketing_stopped(self) -> bool:
        if not self.marketing_stops:
            return False
        return not self.marketing_resumes or max(self.marketing_resumes) <= max(
            self.marketing_stops
        )

    @invariant()
    def free_form_matches_the_reference(self) -> None:
        """Free-form is allowed exactly when the reference window is open (and no stop blocks it).

        In particular never when the last inbound message is more than 24 h old.
        """
        decision = can_send(self.conversation, SendKind.FREE_FORM, now=self.now)
        assert self._window_open() == decision.service_window_open
        if self.inbound and self.now >= max(self.inbound) + WINDOW:
            assert not decision.allowed
        if not self._opted_out():
            assert self._window_open() == decision.allowed
        if not decision.allowed and not self._window_open():
            assert decision.codes[0] in {
                Reason.WINDOW_CLOSED,
                Reason.WINDOW_NEVER_OPENED,
                Reason.WINDOW_CLOSED_BY_PLATFORM,
            }

    @invariant()
    def marketing_matches_the_reference(self) -> None:
        """A marketing template is never allowed after a stop without a later opt-in / resume."""
        decision = can_send(self.conversation, SendKind.MARKETING_TEMPLATE, now=self.now)
        rules = rules_at(self.now)
        in_window_ok = self._window_open() and not rules.opt_in_required_inside_window.value
        expected = (
            not self._opted_out()
            and not self._marketing_stopped()
            and (self._opted_in() or in_window_ok)
        )
        assert expected == decision.allowed
        if self._opted_out():
            assert Reason.OPTED_OUT in decision.codes
        if self._marketing_stopped() and not self._opted_out():
            assert Reason.MARKETING_OPTED_OUT in decision.codes

    @invariant()
    def utility_ignores_the_marketing_stop(self) -> None:
        """A utility template's answer never depends on the marketing preference."""
        decision = can_send(self.conversation, SendKind.UTILITY_TEMPLATE, now=self.now)
        assert Reason.MARKETING_OPTED_OUT not in decision.codes

    @invariant()
    def persistence_round_trips(self) -> None:
        """Every state reached can be stored and loaded back equal."""
        assert self.conversation == load_conversation(dump_conversation(self.conversation))

    @invariant()
    def next_change_is_in_the_future(self) -> None:
        """`next_change_at`, when given, lies after `now`."""
        for kind in SendKind:
            decision = can_send(self.conversation, kind, now=self.now)
            assert decision.next_change_at is None or decision.next_change_at > self.now


TestConversationMachine = ConversationMachine.TestCase
