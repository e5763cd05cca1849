"""Exhaustive checks of the transition tables, and of the state that implements them."""

from __future__ import annotations

import enum
import typing
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    CALL_PERMISSION_TRANSITIONS,
    CONSENT_TRANSITIONS,
    MARKETING_TRANSITIONS,
    CallPermissionGranted,
    CallPermissionInput,
    CallPermissionRejected,
    CallPermissionRevoked,
    CallPermissionStatus,
    ConsentInput,
    ConsentStatus,
    Conversation,
    Fact,
    InvalidTransition,
    MarketingInput,
    MarketingResumed,
    MarketingStatus,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    PhoneNumberId,
    Provider,
    SendRejected,
    WaId,
)
from wa_outbound._conversation import _APPLY

from .conftest import T0


def consent_fact(kind: ConsentInput | MarketingInput, at: datetime) -> Fact:
    """Return the fact that feeds `kind` into the consent or marketing machine."""
    if kind is ConsentInput.OPT_IN:
        return OptInRecorded(at=at, method="web form")
    if kind is ConsentInput.OPT_OUT:
        return OptOutReceived(at=at, scope=OptOutScope.ALL)
    if kind is MarketingInput.RESUME:
        return MarketingResumed(at=at)
    return OptOutReceived(at=at, scope=OptOutScope.MARKETING)


# A shortest input sequence from the start state that reaches each state.
REACH_CONSENT: dict[ConsentStatus, tuple[ConsentInput, ...]] = {
    ConsentStatus.UNKNOWN: (),
    ConsentStatus.OPTED_IN: (ConsentInput.OPT_IN,),
    ConsentStatus.OPTED_OUT: (ConsentInput.OPT_OUT,),
}
REACH_MARKETING: dict[MarketingStatus, tuple[MarketingInput, ...]] = {
    MarketingStatus.RECEIVING: (),
    MarketingStatus.STOPPED: (MarketingInput.STOP,),
}


def test_consent_table_is_total() -> None:
    """The consent table has exactly one entry for every (status, input) pair."""
    assert {(s, i) for s in ConsentStatus for i in ConsentInput} == set(CONSENT_TRANSITIONS)


def test_marketing_table_is_total() -> None:
    """The marketing table has exactly one entry for every (status, input) pair."""
    assert {(s, i) for s in MarketingStatus for i in MarketingInput} == set(MARKETING_TRANSITIONS)


def test_call_permission_table_is_total() -> None:
    """The call permission table has exactly one entry for every (status, input) pair."""
    pairs = {(s, i) for s in CallPermissionStatus for i in CallPermissionInput}
    assert pairs == set(CALL_PERMISSION_TRANSITIONS)


@pytest.mark.parametrize(("status", "kind"), sorted(CONSENT_TRANSITIONS, key=str))
def test_consent_state_follows_the_table(
    conversation: Conversation, status: ConsentStatus, kind: ConsentInput
) -> None:
    """For every pair, the conversation lands where the table says, and records when."""
    for step, earlier in enumerate(REACH_CONSENT[status]):
        conversation = conversation.apply(consent_fact(earlier, T0 + timedelta(minutes=step)))
    assert status == conversation.consent.status
    at = T0 + timedelta(hours=1)
    after = conversation.apply(consent_fact(kind, at))
    expected = CONSENT_TRANSITIONS[status, kind]
    assert expected == after.consent.status
    if expected is not status:
        assert at == after.consent.since
    assert conversation.consent.marketing == after.consent.marketing


@pytest.mark.parametrize(("status", "kind"), sorted(MARKETING_TRANSITIONS, key=str))
def test_marketing_state_follows_the_table(
    conversation: Conversation, status: MarketingStatus, kind: MarketingInput
) -> None:
    """For every pair, the marketing preference lands where the table says; consent is untouched."""
    for step, earlier in enumerate(REACH_MARKETING[status]):
        conversation = conversation.apply(consent_fact(earlier, T0 + timedelta(minutes=step)))
    assert status == conversation.consent.marketing
    at = T0 + timedelta(hours=1)
    after = conversation.apply(consent_fact(kind, at))
    expected = MARKETING_TRANSITIONS[status, kind]
    assert expected == after.consent.marketing
    if expected is not status:
        assert at == after.consent.marketing_since
    assert conversation.consent.status == after.consent.status


def test_a_stop_is_not_undone_by_a_late_older_opt_in(conversation: Conversation) -> None:
    """An opt-in that happened before a stop, delivered after it, does not lift the stop."""
    stopped = conversation.apply(OptOutReceived(at=T0 + timedelta(hours=2)))
    late = stopped.apply(OptInRecorded(at=T0, method="old CRM import"))
    assert ConsentStatus.OPTED_OUT == late.consent.status


def test_a_stop_wins_a_tie(conversation: Conversation) -> None:
    """An opt-in and a stop at the same instant leave the user opted out, in either order."""
    a = conversation.apply(OptInRecorded(at=T0, method="form")).apply(OptOutReceived(at=T0))
    b = conversation.apply(OptOutReceived(at=T0)).apply(OptInRecorded(at=T0, method="form"))
    assert ConsentStatus.OPTED_OUT == a.consent.status
    assert a == b


def test_an_opt_in_does_not_lift_a_marketing_stop(conversation: Conversation) -> None:
    """Only the user's "Resume promotions" lifts the platform's marketing stop."""
    c = conversation.apply_all(
        [
            OptOutReceived(at=T0, scope=OptOutScope.MARKETING),
            OptInRecorded(at=T0 + timedelta(hours=1), method="web form"),
        ]
    )
    assert ConsentStatus.OPTED_IN == c.consent.status
    assert MarketingStatus.STOPPED == c.consent.marketing


consent_histories = st.lists(
    st.tuples(st.integers(0, 50), st.sampled_from([*ConsentInput, *MarketingInput])),
    max_size=12,
)


@given(consent_histories, st.randoms(use_true_random=False))
def test_consent_is_the_fold_of_the_full_history_in_any_delivery_order(
    history: list[tuple[int, ConsentInput | MarketingInput]], random: typing.Any
) -> None:
    """Keeping the latest input of each kind equals folding the tables over everything."""
    restrictive = {ConsentInput.OPT_OUT, MarketingInput.STOP}

    def ordered(kinds: type[enum.Enum]) -> list[tuple[int, typing.Any]]:
        items = [item for item in history if isinstance(item[1], kinds)]
        return sorted(items, key=lambda item: (item[0], item[1] in restrictive))

    status = ConsentStatus.UNKNOWN
    for _, kind in ordered(ConsentInput):
        status = CONSENT_TRANSITIONS[status, kind]
    marketing = MarketingStatus.RECEIVING
    for _, kind in ordered(MarketingInput):
        marketing = MARKETING_TRANSITIONS[marketing, kind]
    delivered = list(history)
    random.shuffle(delivered)
    conversation = Conversation(business=PhoneNumberId("1"), recipient=WaId("4915123456789"))
    for minutes, kind in delivered:
        conversation = conversation.apply(consent_fact(kind, T0 + timedelta(minutes=minutes)))
    assert status == conversation.consent.status
    assert marketing == conversation.consent.marketing


def call_fact(kind: CallPermissionInput, at: datetime) -> Fact:
    """Return the fact that feeds `kind` into the call permission machine."""
    if kind is CallPermissionInput.GRANT:
        return CallPermissionGranted(at=at, expires_at=at + timedelta(days=7))
    if kind is CallPermissionInput.REJECT:
        return CallPermissionRejected(at=at)
    return CallPermissionRevoked(at=at)


REACH_CALL: dict[CallPermissionStatus, tuple[CallPermissionInput, ...]] = {
    CallPermissionStatus.NONE: (),
    CallPermissionStatus.GRANTED: (CallPermissionInput.GRANT,),
    CallPermissionStatus.REJECTED: (CallPermissionInput.REJECT,),
    CallPermissionStatus.REVOKED: (CallPermissionInput.GRANT, CallPermissionInput.REVOKE),
}


@pytest.mark.parametrize(("status", "kind"), sorted(CALL_PERMISSION_TRANSITIONS, key=str))
def test_call_permission_follows_the_table(
    conversation: Conversation, status: CallPermissionStatus, kind: CallPermissionInput
) -> None:
    """For every pair, the permission lands where the table says."""
    for step, earlier in enumerate(REACH_CALL[status]):
        conversation = conversation.apply(call_fact(earlier, T0 + timedelta(minutes=step)))
    assert status == conversation.call_permission.status
    at = T0 + timedelta(hours=1)
    after = conversation.apply(call_fact(kind, at))
    assert CALL_PERMISSION_TRANSITIONS[status, kind] == after.call_permission.status
    assert at == after.call_permission.since


@given(
    st.lists(st.tuples(st.integers(0, 50), st.sampled_from(CallPermissionInput)), max_size=10),
    st.randoms(use_true_random=False),
)
def test_call_permission_is_order_insensitive(
    history: list[tuple[int, CallPermissionInput]], random: typing.Any
) -> None:
    """The latest answer counts, whatever order the answers arrive in; a withdrawal wins a tie."""
    precedence = list(CallPermissionInput)
    status = CallPermissionStatus.NONE
    for _, kind in sorted(history, key=lambda item: (item[0], precedence.index(item[1]))):
        status = CALL_PERMISSION_TRANSITIONS[status, kind]
    delivered = list(history)
    random.shuffle(delivered)
    conversation = Conversation(business=PhoneNumberId("1"), recipient=WaId("4915123456789"))
    for minutes, kind in delivered:
        conversation = conversation.apply(call_fact(kind, T0 + timedelta(minutes=minutes)))
    assert status == conversation.call_permission.status


def test_every_fact_type_has_a_step() -> None:
    """`Conversation.apply` knows every member of the `Fact` union, and nothing else."""
    assert set(typing.get_args(Fact)) == set(_APPLY)


def test_unknown_input_is_an_invalid_transition(conversation: Conversation) -> None:
    """Applying something that is not a fact raises `InvalidTransition` naming both."""
    with pytest.raises(InvalidTransition, match="not a conversation fact") as info:
        conversation.apply("hello")  # type: ignore[arg-type]
    assert conversation == info.value.state
    assert "hello" == info.value.fact


def test_unrelated_error_codes_change_nothing(conversation: Conversation) -> None:
    """A rejection code that says nothing about the conversation leaves it as it was."""
    assert conversation is conversation.apply(
        SendRejected(at=T0, provider=Provider.META, code=131026)
    )
