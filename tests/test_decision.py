"""`can_send`: every reason, every alternative, and when the answer changes."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from wa_outbound import (
    Alternative,
    BusinessCallUnanswered,
    CallConnected,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRequested,
    CallPermissionRevoked,
    ClockSkewError,
    Conversation,
    EntryPoint,
    InboundCallReceived,
    InboundMessageReceived,
    InvalidValueError,
    MarketingResumed,
    NaiveDatetimeError,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    Provider,
    Reason,
    ReferralReceived,
    RuleDataError,
    SendKind,
    SendRejected,
    can_send,
    rules_at,
)

from .conftest import T0, T2023

H = timedelta(hours=1)
TEMPLATES = [
    SendKind.MARKETING_TEMPLATE,
    SendKind.UTILITY_TEMPLATE,
    SendKind.AUTHENTICATION_TEMPLATE,
]


def opted_in(c: Conversation, at: datetime = T0 - 48 * H) -> Conversation:
    """Return `c` with an opt-in recorded at `at`."""
    return c.apply(OptInRecorded(at=at, method="checkout checkbox"))


def test_free_form_inside_the_window(conversation: Conversation) -> None:
    """A reply within 24 h is allowed and says when the window closes."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    decision = can_send(c, SendKind.FREE_FORM, now=T0 + 23 * H)
    assert decision.allowed
    assert bool(decision)
    assert () == decision.reasons
    assert decision.instead is None
    assert decision.service_window_open
    assert T0 + 24 * H == decision.service_window_expires_at
    assert T0 + 24 * H == decision.next_change_at


def test_free_form_at_the_exact_end_of_the_window(conversation: Conversation) -> None:
    """At 24 h sharp the window is closed; the reason names when it closed."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    decision = can_send(c, SendKind.FREE_FORM, now=T0 + 24 * H)
    assert not decision.allowed
    assert (Reason.WINDOW_CLOSED,) == decision.codes
    assert Alternative.SEND_TEMPLATE == decision.instead
    assert "2026-11-24 09:00 UTC" in decision.reasons[0].message
    assert decision.next_change_at is None


def test_free_form_to_someone_who_never_wrote(conversation: Conversation) -> None:
    """Without any user message only templates can reach the user."""
    decision = can_send(conversation, SendKind.FREE_FORM, now=T0)
    assert (Reason.WINDOW_NEVER_OPENED,) == decision.codes
    assert Alternative.SEND_TEMPLATE == decision.instead
    assert not decision.service_window_open


def test_free_form_after_a_platform_rejection(conversation: Conversation) -> None:
    """After 131047 the window is shut even though the clock says 2 h have passed."""
    c = conversation.apply_all(
        [
            InboundMessageReceived(at=T0),
            SendRejected(at=T0 + 2 * H, provider=Provider.META, code=131047),
        ]
    )
    decision = can_send(c, SendKind.FREE_FORM, now=T0 + 3 * H)
    assert (Reason.WINDOW_CLOSED_BY_PLATFORM,) == decision.codes
    assert Alternative.SEND_TEMPLATE == decision.instead


@pytest.mark.parametrize("kind", TEMPLATES)
def test_templates_outside_the_window_need_an_opt_in(
    conversation: Conversation, kind: SendKind
) -> None:
    """Any template outside the window is blocked until an opt-in is recorded."""
    decision = can_send(conversation, kind, now=T0)
    assert (Reason.NO_OPT_IN,) == decision.codes
    assert Alternative.RECORD_OPT_IN == decision.instead
    assert can_send(opted_in(conversation), kind, now=T0).allowed


def test_templates_in_the_window_without_opt_in_depend_on_the_regime(
    conversation: Conversation,
) -> None:
    """In 2023 a user's message sufficed for a template reply; since November 2024 it does not."""
    c = conversation.apply(InboundMessageReceived(at=T2023))
    assert can_send(c, SendKind.UTILITY_TEMPLATE, now=T2023 + H).allowed
    c = conversation.apply(InboundMessageReceived(at=T0))
    decision = can_send(c, SendKind.UTILITY_TEMPLATE, now=T0 + H)
    assert (Reason.NO_OPT_IN,) == decision.codes
    assert Alternative.REPLY_FREE_FORM == decision.instead


def test_marketing_opt_out_blocks_marketing_only(conversation: Conversation) -> None:
    """After "Stop promotions" marketing is blocked; utility and authentication still go."""
    c = opted_in(conversation).apply(
        OptOutReceived(at=T0 - H, scope=OptOutScope.MARKETING, method="stop promotions")
    )
    decision = can_send(c, SendKind.MARKETING_TEMPLATE, now=T0)
    assert (Reason.MARKETING_OPTED_OUT,) == decision.codes
    assert Alternative.SEND_NON_MARKETING == decision.instead
    assert can_send(c, SendKind.UTILITY_TEMPLATE, now=T0).allowed
    assert can_send(c, SendKind.AUTHENTICATION_TEMPLATE, now=T0).allowed
    resumed = c.apply(MarketingResumed(at=T0))
    assert can_send(resumed, SendKind.MARKETING_TEMPLATE, now=T0).allowed


def test_marketing_opt_out_without_opt_in_gives_both_reasons(conversation: Conversation) -> None:
    """A marketing stop from someone who never opted in blocks for both reasons."""
    c = conversation.apply(OptOutReceived(at=T0 - H, scope=OptOutScope.MARKETING))
    decision = can_send(c, SendKind.MARKETING_TEMPLATE, now=T0)
    assert (Reason.MARKETING_OPTED_OUT, Reason.NO_OPT_IN) == decision.codes
    assert Alternative.RECORD_OPT_IN == decision.instead
    utility = can_send(c, SendKind.UTILITY_TEMPLATE, now=T0)
    assert (Reason.NO_OPT_IN,) == utility.codes


def test_an_opt_in_after_a_marketing_stop_allows_utility_only(conversation: Conversation) -> None:
    """A business opt-in does not lift the user's marketing stop."""
    c = conversation.apply_all(
        [
            OptOutReceived(at=T0 - 2 * H, scope=OptOutScope.MARKETING),
            OptInRecorded(at=T0 - H, method="web form"),
        ]
    )
    assert can_send(c, SendKind.UTILITY_TEMPLATE, now=T0).allowed
    assert (Reason.MARKETING_OPTED_OUT,) == can_send(c, SendKind.MARKETING_TEMPLATE, now=T0).codes


@pytest.mark.parametrize("kind", TEMPLATES)
def test_a_full_stop_blocks_every_template_until_a_new_opt_in(
    conversation: Conversation, kind: SendKind
) -> None:
    """A full stop sticks: no template goes out until a later explicit opt-in."""
    c = opted_in(conversation).apply(OptOutReceived(at=T0 - H, method="keyword STOP"))
    decision = can_send(c, kind, now=T0 + 100 * H)
    assert (Reason.OPTED_OUT,) == decision.codes
    assert Alternative.WAIT_FOR_USER == decision.instead
    again = c.apply(OptInRecorded(at=T0, method="web form"))
    assert can_send(again, kind, now=T0 + H).allowed


def test_after_a_stop_only_answer_what_the_user_writes_after_it(conversation: Conversation) -> None:
    """The STOP message itself may be acknowledged; earlier chats may not be continued."""
    stop = T0
    before = conversation.apply_all([InboundMessageReceived(at=stop - H), OptOutReceived(at=stop)])
    decision = can_send(before, SendKind.FREE_FORM, now=stop + H)
    assert (Reason.OPTED_OUT,) == decision.codes
    assert Alternative.WAIT_FOR_USER == decision.instead
    same = conversation.apply_all([InboundMessageReceived(at=stop), OptOutReceived(at=stop)])
    assert can_send(same, SendKind.FREE_FORM, now=stop + H).allowed
    template = can_send(same, SendKind.UTILITY_TEMPLATE, now=stop + H)
    assert (Reason.OPTED_OUT,) == template.codes
    assert Alternative.REPLY_FREE_FORM == template.instead


def test_calls_need_the_calling_api(conversation: Conversation) -> None:
    """Under the 2023 rules a business cannot call, with or without permission."""
    c = conversation.apply(CallPermissionGranted(at=T2023, expires_at=T2023 + 24 * H))
    decision = can_send(c, SendKind.CALL, now=T2023 + H)
    assert (Reason.CALLING_UNAVAILABLE,) == decision.codes
    assert Alternative.SEND_MESSAGE == decision.instead
    none = can_send(conversation, SendKind.CALL, now=T2023)
    assert (Reason.CALLING_UNAVAILABLE, Reason.NO_CALL_PERMISSION) == none.codes


def test_calls_need_permission(conversation: Conversation) -> None:
    """Without permission a call is blocked; the alternative is to ask for it."""
    decision = can_send(conversation, SendKind.CALL, now=T0)
    assert (Reason.NO_CALL_PERMISSION,) == decision.codes
    assert Alternative.REQUEST_CALL_PERMISSION == decision.instead


def test_temporary_call_permission_expires(conversation: Conversation) -> None:
    """A 7-day permission allows calls until it expires, and says so."""
    c = conversation.apply(CallPermissionGranted(at=T0, expires_at=T0 + 168 * H))
    allowed = can_send(c, SendKind.CALL, now=T0 + H)
    assert allowed.allowed
    assert T0 + 168 * H == allowed.next_change_at
    expired = can_send(c, SendKind.CALL, now=T0 + 168 * H)
    assert (Reason.CALL_PERMISSION_EXPIRED,) == expired.codes
    assert Alternative.REQUEST_CALL_PERMISSION == expired.instead


def test_permanent_call_permission(conversation: Conversation) -> None:
    """A permanent permission never expires today."""
    c = conversation.apply(CallPermissionGranted(at=T0))
    decision = can_send(c, SendKind.CALL, now=T0 + 1000 * H)
    assert decision.allowed
    assert decision.next_change_at is None


def test_a_host_override_of_permanence_expires_an_older_grant(
    conversation: Conversation,
) -> None:
    """With permanent permissions overridden off, a grant from before the rule set expires."""
    granted = T0 - 100 * 24 * H  # after 2025-11-03, before the rule set of 2026-10-01
    c = conversation.apply(CallPermissionGranted(at=granted))
    assert can_send(c, SendKind.CALL, now=T0).allowed
    no_permanent = attrs.evolve(rules_at(T0), permanent_call_permission=False)
    decision = can_send(c, SendKind.CALL, now=T0, rules=no_permanent)
    assert (Reason.CALL_PERMISSION_EXPIRED,) == decision.codes
    assert granted + 7 * 24 * H == decision.reasons[0].at


@pytest.mark.parametrize(
    ("fact", "word"),
    [(CallPermissionRejected(at=T0), "declined"), (CallPermissionRevoked(at=T0), "revoked")],
)
def test_declined_call_permission(conversation: Conversation, fact: object, word: str) -> None:
    """A declined or revoked permission blocks calls and says which."""
    c = conversation.apply(CallPermissionGranted(at=T0 - H)).apply(fact)  # type: ignore[arg-type]
    decision = can_send(c, SendKind.CALL, now=T0 + H)
    assert (Reason.CALL_PERMISSION_DECLINED,) == decision.codes
    assert word in decision.reasons[0].message


def test_a_stop_blocks_calls_unless_permission_came_after_it(conversation: Conversation) -> None:
    """A full opt-out blocks calls; a permission granted after the stop is a fresh yes."""
    c = conversation.apply_all([CallPermissionGranted(at=T0 - 2 * H), OptOutReceived(at=T0 - H)])
    assert (Reason.OPTED_OUT,) == can_send(c, SendKind.CALL, now=T0).codes
    c = c.apply(CallPermissionGranted(at=T0))
    assert can_send(c, SendKind.CALL, now=T0 + H).allowed
    plain = conversation.apply(OptOutReceived(at=T0 - H))
    decision = can_send(plain, SendKind.CALL, now=T0)
    assert (Reason.NO_CALL_PERMISSION, Reason.OPTED_OUT) == decision.codes
    assert Alternative.REQUEST_CALL_PERMISSION == decision.instead


def test_free_entry_point_is_reported_and_timed(conversation: Conversation) -> None:
    """Inside the 72 h free window the decision says so; free-form still needs the 24 h window."""
    c = opted_in(conversation).apply_all(
        [
            ReferralReceived(at=T0, entry_point=EntryPoint.FACEBOOK_PAGE_BUTTON),
            OutboundMessageSent(at=T0 + H),
        ]
    )
    inside = can_send(c, SendKind.FREE_FORM, now=T0 + 2 * H)
    assert inside.free_entry_point
    assert T0 + 24 * H == inside.next_change_at
    later = can_send(c, SendKind.FREE_FORM, now=T0 + 30 * H)
    assert (Reason.WINDOW_CLOSED,) == later.codes
    assert later.free_entry_point
    template = can_send(c, SendKind.MARKETING_TEMPLATE, now=T0 + 30 * H)
    assert template.allowed
    assert template.free_entry_point
    assert T0 + 73 * H == template.next_change_at
    after = can_send(c, SendKind.MARKETING_TEMPLATE, now=T0 + 73 * H)
    assert not after.free_entry_point


def test_next_change_before_a_free_window_starts(conversation: Conversation) -> None:
    """Seen from before the reply, the free window is not open and starts at the reply."""
    c = opted_in(conversation).apply_all(
        [
            ReferralReceived(at=T0, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
            OutboundMessageSent(at=T0 + 2 * H),
        ]
    )
    assert (False, T0 + 2 * H) == c.free_entry_point_at(rules_at(T0), T0 + H)
    with pytest.raises(ClockSkewError):  # the reply is a fact from can_send's future
        can_send(c, SendKind.UTILITY_TEMPLATE, now=T0 + H)


def test_calls_from_the_user_open_the_window_today(conversation: Conversation) -> None:
    """After a user's call, free-form is allowed today and not under the 2023 rules."""
    c = conversation.apply(InboundCallReceived(at=T0))
    assert can_send(c, SendKind.FREE_FORM, now=T0 + H).allowed
    old = conversation.apply(InboundCallReceived(at=T2023))
    assert (Reason.WINDOW_NEVER_OPENED,) == can_send(old, SendKind.FREE_FORM, now=T2023).codes


def test_explicit_rules_are_used(conversation: Conversation) -> None:
    """Overriding the window length changes the answer."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    short = attrs.evolve(rules_at(T0), service_window=timedelta(hours=1))
    decision = can_send(c, SendKind.FREE_FORM, now=T0 + 2 * H, rules=short)
    assert (Reason.WINDOW_CLOSED,) == decision.codes
    assert "1 h after" in decision.reasons[0].message


def test_kinds_know_whether_they_are_templates() -> None:
    """Only the three template kinds are templates."""
    assert {k for k in SendKind if k.is_template} == set(TEMPLATES)


def test_naive_now_is_refused(conversation: Conversation) -> None:
    """A naive `now` raises `NaiveDatetimeError` naming `now`."""
    with pytest.raises(NaiveDatetimeError, match="now="):
        can_send(conversation, SendKind.FREE_FORM, now=datetime(2026, 1, 1))


def test_wrong_argument_types_are_refused(conversation: Conversation) -> None:
    """A kind not named exactly, or a non-conversation, raises an error naming the argument."""
    with pytest.raises(InvalidValueError, match=r"kind=.*free_form"):
        can_send(conversation, "Free_Form", now=T0)
    with pytest.raises(InvalidValueError, match="conversation="):
        can_send("c", SendKind.FREE_FORM, now=T0)  # type: ignore[arg-type]


def test_instants_before_any_rules_are_refused(conversation: Conversation) -> None:
    """Without explicit rules, 2022 has none to apply."""
    with pytest.raises(RuleDataError):
        can_send(conversation, SendKind.FREE_FORM, now=datetime(2022, 6, 1, tzinfo=T0.tzinfo))


def test_every_reason_and_alternative_is_reachable() -> None:
    """The tests above and `decide`'s tests reach every reason code and every alternative."""
    import inspect
    import sys

    from tests import test_decide

    source = inspect.getsource(sys.modules[__name__]) + inspect.getsource(test_decide)
    for member in Reason:
        assert f"Reason.{member.name}" in source, member
    for alternative in Alternative:
        assert f"Alternative.{alternative.name}" in source, alternative


def test_reasons_print_as_sentences(conversation: Conversation) -> None:
    """`str(reason)` is its sentence."""
    decision = can_send(conversation, SendKind.FREE_FORM, now=T0)
    assert decision.reasons[0].message == str(decision.reasons[0])


def test_no_change_announced_after_the_free_window(conversation: Conversation) -> None:
    """Once the free entry point window is over, it no longer sets `next_change_at`."""
    c = opted_in(conversation).apply_all(
        [
            ReferralReceived(at=T0, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
            OutboundMessageSent(at=T0 + H),
        ]
    )
    decision = can_send(c, SendKind.UTILITY_TEMPLATE, now=T0 + 100 * H)
    assert not decision.free_entry_point
    assert decision.next_change_at is None


# --- messaging limits and pacing ------------------------------------------------------------

from wa_outbound import LimitLedger, LimitScope, MessagingLimit, Pacer, PhoneNumberId, WaId  # noqa: E402
from wa_outbound.limits import LimitScopeKey  # noqa: E402


def ledger_full_of(users: int, at: datetime) -> LimitLedger:
    """A portfolio ledger that counted `users` other recipients at `at`."""
    ledger = LimitLedger(
        scope=LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="4455667788"),
        rules=rules_at(at),
    )
    for n in range(users):
        ledger.record(WaId(f"49151000{n:05d}"), at)
    return ledger


def test_a_new_user_beyond_the_limit_waits_for_a_slot(conversation: Conversation) -> None:
    """With the limit used up, a template to a new user waits until the oldest slot frees."""
    c = opted_in(conversation)
    ledger = ledger_full_of(3, T0 - 2 * H)
    decision = can_send(
        c, SendKind.UTILITY_TEMPLATE, now=T0, ledger=ledger, limit=MessagingLimit(users=3)
    )
    assert (Reason.MESSAGING_LIMIT_REACHED,) == decision.codes
    assert Alternative.SEND_LATER == decision.instead
    assert T0 + 22 * H == decision.next_change_at
    assert "3 new users" in decision.reasons[0].message
    roomy = can_send(
        c, SendKind.UTILITY_TEMPLATE, now=T0, ledger=ledger, limit=MessagingLimit(users=4)
    )
    assert roomy.allowed
    unlimited = can_send(
        c, SendKind.UTILITY_TEMPLATE, now=T0, ledger=ledger, limit=MessagingLimit.unlimited()
    )
    assert unlimited.allowed


def test_replies_and_counted_users_use_no_new_slot(conversation: Conversation) -> None:
    """Inside the window, or to a user already counted, the limit does not block."""
    ledger = ledger_full_of(3, T0 - 2 * H)
    limit = MessagingLimit(users=3)
    in_window = conversation.apply(InboundMessageReceived(at=T0 - H))
    assert can_send(in_window, SendKind.FREE_FORM, now=T0, ledger=ledger, limit=limit).allowed
    counted = opted_in(conversation)
    ledger.record(counted.recipient, T0 - H)
    assert can_send(
        counted, SendKind.MARKETING_TEMPLATE, now=T0, ledger=ledger, limit=limit
    ).allowed


def test_paced_sends_say_when(conversation: Conversation) -> None:
    """A second message to the same user within the pair rate is paced until it is allowed."""
    c = opted_in(conversation)
    pacer = Pacer(business=PhoneNumberId("106540352242922"), rules=rules_at(T0))
    for _ in range(45):
        pacer.admit(c.recipient, T0)
    decision = can_send(c, SendKind.UTILITY_TEMPLATE, now=T0, pacer=pacer)
    assert (Reason.PACED,) == decision.codes
    assert decision.next_change_at is not None
    assert decision.next_change_at > T0
    assert decision.next_change_at == pacer.peek(c.recipient, T0)
    assert Alternative.SEND_LATER == decision.instead
    later = can_send(c, SendKind.UTILITY_TEMPLATE, now=decision.next_change_at, pacer=pacer)
    assert later.allowed


def test_limits_add_to_other_reasons(conversation: Conversation) -> None:
    """Limit and pacing reasons come after the conversation's own, which keep the advice."""
    ledger = ledger_full_of(1, T0 - 2 * H)
    decision = can_send(
        conversation,
        SendKind.MARKETING_TEMPLATE,
        now=T0,
        ledger=ledger,
        limit=MessagingLimit(users=1),
    )
    assert (Reason.NO_OPT_IN, Reason.MESSAGING_LIMIT_REACHED) == decision.codes
    assert Alternative.RECORD_OPT_IN == decision.instead


def test_calls_ignore_messaging_limits(conversation: Conversation) -> None:
    """A call is not a message: the ledger and pacer say nothing about it."""
    c = conversation.apply(CallPermissionGranted(at=T0 - H))
    ledger = ledger_full_of(1, T0 - 2 * H)
    decision = can_send(c, SendKind.CALL, now=T0, ledger=ledger, limit=MessagingLimit(users=1))
    assert decision.allowed


def test_a_ledger_needs_a_limit(conversation: Conversation) -> None:
    """Passing a ledger without the limit in force is a usage error naming `limit`."""
    with pytest.raises(InvalidValueError, match="limit="):
        can_send(conversation, SendKind.UTILITY_TEMPLATE, now=T0, ledger=ledger_full_of(0, T0))


# --- calling limits (issue 16) --------------------------------------------------------------

DAY = 24 * H


def granted(c: Conversation, at: datetime = T0 - DAY) -> Conversation:
    """Return `c` with a permanent call permission granted at `at`."""
    return c.apply(CallPermissionGranted(at=at))


def test_four_unanswered_calls_in_a_row_revoke_the_permission(conversation: Conversation) -> None:
    """Four unanswered calls in a row revoke the permission (three do not); ask again."""
    c = granted(conversation)
    for n in range(3):
        c = c.apply(BusinessCallUnanswered(at=T0 + n * H, call_id=f"wacid.{n}"))
    assert can_send(c, SendKind.CALL, now=T0 + 4 * H).allowed
    c = c.apply(BusinessCallUnanswered(at=T0 + 3 * H, call_id="wacid.3"))
    decision = can_send(c, SendKind.CALL, now=T0 + 4 * H)
    assert (Reason.CALLS_UNANSWERED,) == decision.codes
    assert T0 + 3 * H == decision.reasons[0].at
    assert Alternative.REQUEST_CALL_PERMISSION == decision.instead
    assert decision.wait_until is None
    assert "4 unanswered calls" in decision.reasons[0].message


def test_a_connected_call_or_a_new_grant_resets_the_unanswered_count(
    conversation: Conversation,
) -> None:
    """Only unanswered calls after the latest connected call and the latest grant count."""
    c = granted(conversation)
    for n in range(4):
        c = c.apply(BusinessCallUnanswered(at=T0 + n * H, call_id=f"wacid.{n}"))
    connected = c.apply(CallConnected(at=T0 + 5 * H, business_initiated=False))
    assert can_send(connected, SendKind.CALL, now=T0 + 6 * H).allowed
    regranted = granted(c, at=T0 + 5 * H)
    assert can_send(regranted, SendKind.CALL, now=T0 + 6 * H).allowed


def test_a_rejected_call_reported_twice_counts_once(conversation: Conversation) -> None:
    """A call reported twice is one unanswered call, and one that connected is never one."""
    c = granted(conversation)
    for n in range(3):
        c = c.apply(BusinessCallUnanswered(at=T0 + n * H, call_id="wacid.same"))
    assert 1 == len(c.calls.unanswered_calls)
    late = c.apply(CallConnected(at=T0 + 3 * H, call_id="wacid.late"))
    late = late.apply(BusinessCallUnanswered(at=T0 + 4 * H, call_id="wacid.late"))
    early = c.apply(BusinessCallUnanswered(at=T0 + 4 * H, call_id="wacid.late"))
    early = early.apply(CallConnected(at=T0 + 3 * H, call_id="wacid.late"))
    assert late == early
    assert ("wacid.same",) == tuple(m.id for m in late.calls.unanswered_calls)


def test_connected_calls_are_capped_per_day(conversation: Conversation) -> None:
    """The day's cap of connected calls (10 in late 2025) blocks until the oldest is 24 h old."""
    autumn = datetime(2025, 12, 1, 9, 0, tzinfo=T0.tzinfo)
    c = granted(conversation, at=autumn - DAY)
    for n in range(10):
        c = c.apply(CallConnected(at=autumn + n * H, call_id=f"wacid.{n}"))
    decision = can_send(c, SendKind.CALL, now=autumn + 10 * H)
    assert (Reason.CALL_LIMIT_REACHED,) == decision.codes
    assert autumn + DAY == decision.wait_until == decision.next_change_at
    assert Alternative.SEND_LATER == decision.instead
    assert "10 business-initiated calls" in decision.reasons[0].message
    assert can_send(c, SendKind.CALL, now=autumn + DAY).allowed
    assert can_send(c, SendKind.CALL, now=autumn + 10 * H, rules=rules_at(T0)).allowed


def test_a_call_permission_request_waits_a_day_then_the_week(conversation: Conversation) -> None:
    """One request a day and two a week: each blocks until the oldest one counted runs out."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    first = c.apply(CallPermissionRequested(at=T0, message_id="wamid.1"))
    decision = can_send(first, SendKind.CALL_PERMISSION_REQUEST, now=T0 + H)
    assert (Reason.CALL_PERMISSION_REQUEST_LIMIT,) == decision.codes
    assert T0 + DAY == decision.wait_until
    assert Alternative.SEND_LATER == decision.instead
    assert "1 in 24 h, 2 in 7 days" in decision.reasons[0].message
    second = first.apply(CallPermissionRequested(at=T0 + DAY, message_id="wamid.2"))
    week = can_send(opted_in(second), SendKind.CALL_PERMISSION_REQUEST, now=T0 + 2 * DAY)
    assert (Reason.CALL_PERMISSION_REQUEST_LIMIT,) == week.codes
    assert T0 + 7 * DAY == week.wait_until


def test_a_connected_call_resets_the_request_limits(conversation: Conversation) -> None:
    """Requests sent before a connected call (either direction) no longer count."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    c = c.apply(CallPermissionRequested(at=T0))
    c = c.apply(CallConnected(at=T0 + H, business_initiated=False))
    assert can_send(c, SendKind.CALL_PERMISSION_REQUEST, now=T0 + 2 * H).allowed


def test_a_call_permission_request_outside_the_window_is_a_template(
    conversation: Conversation,
) -> None:
    """Outside the window a request is a template and needs the opt-in; inside, it does not."""
    closed = can_send(conversation, SendKind.CALL_PERMISSION_REQUEST, now=T0)
    assert (Reason.NO_OPT_IN,) == closed.codes
    assert Alternative.RECORD_OPT_IN == closed.instead
    assert can_send(opted_in(conversation), SendKind.CALL_PERMISSION_REQUEST, now=T0).allowed
    open_window = conversation.apply(InboundMessageReceived(at=T0))
    assert can_send(open_window, SendKind.CALL_PERMISSION_REQUEST, now=T0 + H).allowed


def test_a_call_permission_request_after_a_stop(conversation: Conversation) -> None:
    """After a full stop no request goes, unless it answers what the user wrote since."""
    c = opted_in(conversation).apply(OptOutReceived(at=T0))
    decision = can_send(c, SendKind.CALL_PERMISSION_REQUEST, now=T0 + H)
    assert (Reason.OPTED_OUT,) == decision.codes
    assert Alternative.WAIT_FOR_USER == decision.instead
    wrote = c.apply(InboundMessageReceived(at=T0 + H))
    assert can_send(wrote, SendKind.CALL_PERMISSION_REQUEST, now=T0 + 2 * H).allowed


def test_no_call_permission_request_before_the_calling_api(conversation: Conversation) -> None:
    """Under the 2023 rules there is nothing to ask permission for."""
    c = opted_in(conversation, at=T2023)
    decision = can_send(c, SendKind.CALL_PERMISSION_REQUEST, now=T2023 + H)
    assert (Reason.CALLING_UNAVAILABLE,) == decision.codes
    assert Alternative.SEND_MESSAGE == decision.instead


def test_calling_kinds() -> None:
    """Calls and call permission requests are the calling kinds; neither is a template."""
    assert {SendKind.CALL, SendKind.CALL_PERMISSION_REQUEST} == {
        k for k in SendKind if k.is_calling
    }
    assert not SendKind.CALL_PERMISSION_REQUEST.is_template
