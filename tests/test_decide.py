"""`decide()`: every part's reasons in one decision, the alternative, the wait, the cost."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    AccountHealth,
    Alternative,
    BusinessScopedUserId,
    CallPermissionGranted,
    Conversation,
    EntryPoint,
    GroupAdvisory,
    InboundMessageReceived,
    InvalidValueError,
    LimitLedger,
    LimitScope,
    MarketingResumed,
    MessagingLimit,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    PhoneNumberId,
    Reason,
    ReferralReceived,
    SendKind,
    TemplateState,
    WaId,
    builtin_rate_card,
    can_send,
    decide,
    decide_group,
    rules_at,
)
from wa_outbound._decide import _BY_TIME_ALONE, _NEEDS_A_FACT
from wa_outbound.account import (
    AccountRestricted,
    DirectSendAccessChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    Restriction,
    RestrictionType,
)
from wa_outbound.campaigns import Endpoint, Risk
from wa_outbound.limits import LimitScopeKey
from wa_outbound.pricing import CostReason
from wa_outbound.templates import (
    QualityScore,
    TemplateCategoryChanged,
    TemplateQualityChanged,
    TemplateStatusChanged,
    TemplateSubmitted,
    template_sendable,
)
from wa_outbound.testing import conversations, instants

from .conftest import T0

H = timedelta(hours=1)
TODAY = rules_at(T0)
RULES_2024 = rules_at(datetime(2024, 12, 1, tzinfo=T0.tzinfo))
BIZ = RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING
CUSTOMER = RestrictionType.RESTRICTED_CUSTOMER_INITIATED_MESSAGING


def opted_in(conversation: Conversation) -> Conversation:
    """The conversation after the user opted in a day before T0."""
    return conversation.apply(OptInRecorded(at=T0 - 24 * H, method="checkout checkbox"))


def approved(at: datetime = T0 - 48 * H) -> TemplateState:
    """A template submitted and approved before `at` ends."""
    return TemplateState(template_id="1304694804498707", name="order_update").apply_all(
        [TemplateSubmitted(at=at - H), TemplateStatusChanged(at=at, event="APPROVED")]
    )


def paused(at: datetime = T0 - H) -> TemplateState:
    """An approved template paused (first pause: 3 h) at `at`."""
    return approved().apply(TemplateStatusChanged(at=at, event="PAUSED"))


def ledger_full_of(users: int, at: datetime) -> LimitLedger:
    """A portfolio ledger that counted `users` other recipients at `at`."""
    ledger = LimitLedger(
        scope=LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="4455667788"),
        rules=rules_at(at),
    )
    for n in range(users):
        ledger.record(WaId(f"49151000{n:05d}"), at)
    return ledger


def test_without_parts_it_is_can_send(conversation: Conversation) -> None:
    """With nothing but the conversation (and a market), `decide` answers as `can_send`."""
    c = opted_in(conversation)
    for kind in SendKind:
        assert can_send(c, kind, now=T0) == decide(c, kind, now=T0, market="DE")


@given(conversations(), st.sampled_from(list(SendKind)), instants(start=T0 - 30 * 24 * H))
def test_without_parts_it_is_can_send_for_any_conversation(
    conversation: Conversation, kind: SendKind, now: datetime
) -> None:
    """The equality holds for generated conversations, kinds and instants."""
    assert can_send(conversation, kind, now=now) == decide(conversation, kind, now=now, market="DE")


def test_a_paused_template_waits_until_the_pause_ends(conversation: Conversation) -> None:
    """A paused template blocks until the pause ends; the decision says when."""
    decision = decide(opted_in(conversation), SendKind.UTILITY_TEMPLATE, now=T0, template=paused())
    assert (Reason.TEMPLATE_PAUSED,) == decision.codes
    assert Alternative.SEND_LATER == decision.instead
    assert T0 + 2 * H == decision.reasons[0].at
    assert T0 + 2 * H == decision.wait_until
    assert T0 + 2 * H == decision.next_change_at
    assert "pause 1, 3 h" in decision.reasons[0].message
    later = decide(
        opted_in(conversation), SendKind.UTILITY_TEMPLATE, now=T0 + 2 * H, template=paused()
    )
    assert later.allowed


def test_a_rejected_template_needs_another_template(conversation: Conversation) -> None:
    """A template that is not approved blocks; only another template helps."""
    rejected = TemplateState(template_id="1").apply_all(
        [
            TemplateSubmitted(at=T0 - 5 * H),
            TemplateStatusChanged(at=T0 - 2 * H, event="REJECTED", reason="INVALID_FORMAT"),
        ]
    )
    decision = decide(
        opted_in(conversation), SendKind.MARKETING_TEMPLATE, now=T0, template=rejected
    )
    assert (Reason.TEMPLATE_NOT_SENDABLE,) == decision.codes
    assert Alternative.USE_ANOTHER_TEMPLATE == decision.instead
    assert decision.wait_until is None
    assert "INVALID_FORMAT" in decision.reasons[0].message


def test_templates_do_not_matter_for_free_form(conversation: Conversation) -> None:
    """A paused template given with a free-form send changes nothing."""
    c = opted_in(conversation)
    assert can_send(c, SendKind.FREE_FORM, now=T0) == decide(
        c, SendKind.FREE_FORM, now=T0, template=paused()
    )


def test_metas_category_decides_the_send(conversation: Conversation) -> None:
    """A template Meta re-categorised as MARKETING is blocked by a marketing stop."""
    stopped = opted_in(conversation).apply(
        OptOutReceived(at=T0 - 2 * H, scope=OptOutScope.MARKETING)
    )
    template = approved().apply(
        TemplateCategoryChanged(
            at=T0 - 10 * H, new_category="MARKETING", previous_category="UTILITY"
        )
    )
    decision = decide(stopped, SendKind.UTILITY_TEMPLATE, now=T0, template=template, market="DE")
    assert SendKind.MARKETING_TEMPLATE == decision.kind
    assert (Reason.MARKETING_OPTED_OUT,) == decision.codes
    resumed = stopped.apply(MarketingResumed(at=T0 - H))
    assert decide(resumed, SendKind.UTILITY_TEMPLATE, now=T0, template=template, market="DE")


def test_marketing_to_us_numbers_is_blocked_from_april_2025(conversation: Conversation) -> None:
    """Marketing to a US market is blocked under today's rules, not under 2024's."""
    c = opted_in(conversation)
    today = decide(c, SendKind.MARKETING_TEMPLATE, now=T0, market="US")
    assert (Reason.MARKETING_BLOCKED_IN_REGION,) == today.codes
    assert Alternative.SEND_NON_MARKETING == today.instead
    assert "US" in today.reasons[0].message
    assert decide(c, SendKind.UTILITY_TEMPLATE, now=T0, market="US").allowed
    december_2024 = datetime(2024, 12, 1, 9, tzinfo=T0.tzinfo)
    c2024 = conversation.apply(OptInRecorded(at=december_2024 - H, method="web form"))
    assert decide(c2024, SendKind.MARKETING_TEMPLATE, now=december_2024, market="US").allowed


def test_a_banned_number_cannot_send(conversation: Conversation) -> None:
    """A banned number blocks every kind, with the account to fix."""
    banned = AccountHealth().apply(
        PhoneNumberStatusChanged(at=T0 - H, status=PhoneNumberStatus.BANNED)
    )
    for kind in SendKind:
        decision = decide(opted_in(conversation), kind, now=T0, account=banned)
        assert Reason.NUMBER_UNAVAILABLE in decision.codes
    decision = decide(opted_in(conversation), SendKind.UTILITY_TEMPLATE, now=T0, account=banned)
    assert Alternative.FIX_ACCOUNT == decision.instead
    assert "BANNED" in decision.reasons[0].message


def test_a_restriction_blocks_business_initiated_messages_until_it_ends(
    conversation: Conversation,
) -> None:
    """Restricted business-initiated messaging blocks templates until the expiry."""
    restricted = AccountHealth().apply(
        AccountRestricted(
            at=T0 - H,
            restrictions=(Restriction(restriction_type=BIZ, until=T0 + 5 * H),),
        )
    )
    c = opted_in(conversation)
    decision = decide(c, SendKind.UTILITY_TEMPLATE, now=T0, account=restricted)
    assert (Reason.ACCOUNT_RESTRICTED,) == decision.codes
    assert T0 + 5 * H == decision.wait_until
    assert Alternative.SEND_LATER == decision.instead
    assert "business-initiated messages" in decision.reasons[0].message
    from wa_outbound import InboundMessageReceived

    replying = c.apply(InboundMessageReceived(at=T0 - H))
    assert decide(replying, SendKind.FREE_FORM, now=T0, account=restricted).allowed
    assert decide(c, SendKind.UTILITY_TEMPLATE, now=T0 + 5 * H, account=restricted).allowed


def test_a_restriction_without_an_end_needs_the_account_fixed(conversation: Conversation) -> None:
    """Restricted replies with no expiry block free-form replies until further notice."""
    from wa_outbound import InboundMessageReceived

    restricted = AccountHealth().apply(
        AccountRestricted(
            at=T0 - H,
            restrictions=(Restriction(restriction_type=CUSTOMER),),
        )
    )
    c = conversation.apply(InboundMessageReceived(at=T0 - H))
    decision = decide(c, SendKind.FREE_FORM, now=T0, account=restricted)
    assert (Reason.ACCOUNT_RESTRICTED,) == decision.codes
    assert Alternative.FIX_ACCOUNT == decision.instead
    assert decision.wait_until is None
    assert "until further notice" in decision.reasons[0].message
    assert decide(c, SendKind.CALL, now=T0, account=restricted) == can_send(
        c, SendKind.CALL, now=T0
    )


def test_every_reason_is_reported_at_once(conversation: Conversation) -> None:
    """Limit, template pause and restriction together: all three, and the latest wait."""
    restricted = AccountHealth().apply(
        AccountRestricted(
            at=T0 - H,
            restrictions=(Restriction(restriction_type=BIZ, until=T0 + 9 * H),),
        )
    )
    decision = decide(
        opted_in(conversation),
        SendKind.UTILITY_TEMPLATE,
        now=T0,
        template=paused(),
        account=restricted,
        ledger=ledger_full_of(3, T0 - 2 * H),
        limit=MessagingLimit(users=3),
    )
    assert {
        Reason.MESSAGING_LIMIT_REACHED,
        Reason.TEMPLATE_PAUSED,
        Reason.ACCOUNT_RESTRICTED,
    } == set(decision.codes)
    assert T0 + 22 * H == decision.wait_until
    assert T0 + 2 * H == decision.next_change_at
    assert Alternative.SEND_LATER == decision.instead


def test_a_reason_needing_a_fact_outranks_waiting(conversation: Conversation) -> None:
    """No opt-in plus a pause: waiting is not enough, so the advice is the opt-in."""
    decision = decide(conversation, SendKind.UTILITY_TEMPLATE, now=T0, template=paused())
    assert {Reason.NO_OPT_IN, Reason.TEMPLATE_PAUSED} == set(decision.codes)
    assert Alternative.RECORD_OPT_IN == decision.instead
    assert decision.wait_until is None
    limited = decide(
        opted_in(conversation),
        SendKind.UTILITY_TEMPLATE,
        now=T0,
        template=TemplateState(template_id="9").apply(TemplateSubmitted(at=T0 - H)),
        ledger=ledger_full_of(3, T0 - 2 * H),
        limit=MessagingLimit(users=3),
    )
    assert Alternative.USE_ANOTHER_TEMPLATE == limited.instead


def test_every_alternative_either_waits_or_needs_a_fact() -> None:
    """Each `Alternative` is in exactly one class; only sending later waits for time alone."""
    for alternative in Alternative:
        assert (alternative in _BY_TIME_ALONE) != (alternative in _NEEDS_A_FACT)
    assert {Alternative.SEND_LATER} == _BY_TIME_ALONE


def test_the_first_parts_alternative_counts_unless_it_only_waits(
    conversation: Conversation,
) -> None:
    """A pending template and a restriction with an end: another template, not waiting."""
    pending = TemplateState(template_id="9").apply(TemplateSubmitted(at=T0 - H))
    restricted = AccountHealth().apply(
        AccountRestricted(
            at=T0 - H,
            restrictions=(
                Restriction(
                    restriction_type=BIZ,
                    until=T0 + H,
                ),
            ),
        )
    )
    banned = restricted.apply(PhoneNumberStatusChanged(at=T0 - H, status=PhoneNumberStatus.BANNED))
    c = opted_in(conversation)
    both = decide(c, SendKind.UTILITY_TEMPLATE, now=T0, template=pending, account=restricted)
    assert (Reason.TEMPLATE_NOT_SENDABLE, Reason.ACCOUNT_RESTRICTED) == both.codes
    assert Alternative.USE_ANOTHER_TEMPLATE == both.instead
    paused_and_banned = decide(
        c, SendKind.UTILITY_TEMPLATE, now=T0, template=paused(), account=banned
    )
    assert Alternative.FIX_ACCOUNT == paused_and_banned.instead
    us = decide(c, SendKind.MARKETING_TEMPLATE, now=T0, template=pending, market="US")
    assert Alternative.USE_ANOTHER_TEMPLATE == us.instead


def test_a_template_change_ahead_is_the_next_change(conversation: Conversation) -> None:
    """An allowed send under a template whose category changes later says when it changes."""
    changing = approved().apply(
        TemplateCategoryChanged(
            at=T0 - H,
            new_category="UTILITY",
            correct_category="MARKETING",
            takes_effect_at=T0 + 5 * H,
        )
    )
    c = opted_in(conversation)
    decision = decide(c, SendKind.UTILITY_TEMPLATE, now=T0, template=changing, market="DE")
    assert decision.allowed
    assert SendKind.UTILITY_TEMPLATE == decision.kind
    assert T0 + 5 * H == decision.next_change_at


def test_unknown_restriction_types_block_nothing(conversation: Conversation) -> None:
    """A restriction type Meta adds later is kept, and matches no kind of send."""
    restricted = AccountHealth().apply(
        AccountRestricted(
            at=T0 - H,
            restrictions=(
                Restriction(restriction_type="RESTRICTED_SOMETHING_NEW"),
                Restriction(restriction_type="RESTRICTED_ADD_PHONE_NUMBER_ACTION"),
            ),
        )
    )
    restricted = restricted.apply(DirectSendAccessChanged(at=T0 - H, enabled=True))
    c = opted_in(conversation).apply(InboundMessageReceived(at=T0 - H))
    for kind in SendKind:
        assert can_send(c, kind, now=T0) == decide(c, kind, now=T0, account=restricted, market="DE")
    assert restricted.restriction_active(T0, "RESTRICTED_SOMETHING_NEW")


def test_the_accounts_limit_is_used_when_none_is_given(conversation: Conversation) -> None:
    """`account.messaging_limit` stands in for `limit`."""
    from wa_outbound.account import MessagingLimitChanged

    account = AccountHealth().apply(
        MessagingLimitChanged(at=T0 - 3 * H, limit=MessagingLimit(users=3))
    )
    decision = decide(
        opted_in(conversation),
        SendKind.UTILITY_TEMPLATE,
        now=T0,
        account=account,
        ledger=ledger_full_of(3, T0 - 2 * H),
    )
    assert (Reason.MESSAGING_LIMIT_REACHED,) == decision.codes


def test_wrong_parts_are_refused(conversation: Conversation) -> None:
    """A part of the wrong type is a usage error naming it."""
    with pytest.raises(InvalidValueError) as caught:
        decide(conversation, SendKind.FREE_FORM, now=T0, account="ok")  # type: ignore[arg-type]
    assert "account" == caught.value.field
    with pytest.raises(InvalidValueError) as caught:
        decide(conversation, SendKind.FREE_FORM, now=T0, template="t")  # type: ignore[arg-type]
    assert "template" == caught.value.field
    with pytest.raises(InvalidValueError) as caught:
        decide("c", SendKind.FREE_FORM, now=T0)  # type: ignore[arg-type]
    assert "conversation" == caught.value.field
    with pytest.raises(InvalidValueError) as caught:
        decide(conversation, "frée_form", now=T0)
    assert "kind" == caught.value.field
    with pytest.raises(InvalidValueError) as caught:
        decide(conversation, SendKind.FREE_FORM, now=T0, authentication_international="no")  # type: ignore[arg-type]
    assert "authentication_international" == caught.value.field


TEMPLATES = {
    "approved": approved(),
    "paused": paused(),
    "pending": TemplateState(template_id="2").apply(TemplateSubmitted(at=T0 - H)),
}
ACCOUNTS = {
    "healthy": AccountHealth(),
    "banned": AccountHealth().apply(
        PhoneNumberStatusChanged(at=T0 - H, status=PhoneNumberStatus.BANNED)
    ),
    "restricted": AccountHealth().apply(
        AccountRestricted(
            at=T0 - H,
            restrictions=(Restriction(restriction_type=BIZ, until=T0 + H),),
        )
    ),
}


@given(
    conversations(),
    st.sampled_from([k for k in SendKind if k.is_template]),
    st.sampled_from(sorted(TEMPLATES)),
    st.sampled_from(sorted(ACCOUNTS)),
    st.sampled_from(["DE", "US", "IN"]),
)
def test_allowed_iff_every_part_allows(
    conversation: Conversation, kind: SendKind, template: str, account: str, market: str
) -> None:
    """`decide` allows a template send exactly when each part on its own allows it."""
    state, health = TEMPLATES[template], ACCOUNTS[account]
    decision = decide(conversation, kind, now=T0, template=state, account=health, market=market)
    parts = [
        can_send(conversation, kind, now=T0).allowed,
        template_sendable(state, now=T0).allowed,
        account == "healthy",
        not (kind is SendKind.MARKETING_TEMPLATE and market == "US"),
    ]
    assert all(parts) == decision.allowed
    assert decision.allowed == (not decision.reasons)
    if decision.wait_until is not None:
        later = decide(
            conversation,
            kind,
            now=decision.wait_until,
            template=state,
            account=health,
            market=market,
        )
        assert later.allowed  # every time-bound reason has cleared, and no other remained


def test_business_defaults_are_not_needed() -> None:
    """A recipient with a business-scoped user ID has no region: no region reason."""
    from wa_outbound import BusinessScopedUserId

    c = Conversation(
        business=PhoneNumberId("106540352242922"),
        recipient=BusinessScopedUserId("US.13491208655302741918"),
    ).apply(OptInRecorded(at=T0 - H, method="web form"))
    assert decide(c, SendKind.MARKETING_TEMPLATE, now=T0).allowed


# --- cost and rendering -------------------------------------------------------------------------

AFGHAN = WaId("93701234567")
"""A number in Afghanistan, one of the markets the shipped rate card prices."""


def test_the_cost_comes_with_the_decision() -> None:
    """With a rate card, the decision carries the estimate; the market comes from the number."""
    c = Conversation(business=PhoneNumberId("106540352242922"), recipient=AFGHAN).apply(
        OptInRecorded(at=T0 - 24 * H, method="web form")
    )
    decision = decide(c, SendKind.MARKETING_TEMPLATE, now=T0, rate_card=builtin_rate_card())
    assert decision.allowed
    assert decision.cost is not None
    assert CostReason.CHARGED == decision.cost.reason
    assert Decimal("0.0732") == decision.cost.amount
    assert "AF" == decision.cost.market


def test_a_blocked_send_still_says_what_it_would_cost(conversation: Conversation) -> None:
    """A paused template's decision carries the cost, so alternatives can be compared."""
    decision = decide(
        opted_in(conversation),
        SendKind.UTILITY_TEMPLATE,
        now=T0,
        template=paused(),
        rate_card=builtin_rate_card(),
        market="KZ",
    )
    assert not decision.allowed
    assert decision.cost is not None
    assert CostReason.PRICE_UNKNOWN == decision.cost.reason  # the card has no Kazakh prices
    assert decision.cost.amount is None


def test_the_free_reply_is_free(conversation: Conversation) -> None:
    """A free-form reply inside the window costs nothing under 2025's rules."""
    august_2025 = datetime(2025, 8, 4, 9, tzinfo=T0.tzinfo)
    c = conversation.apply(InboundMessageReceived(at=august_2025 - H))
    decision = decide(c, SendKind.FREE_FORM, now=august_2025, rate_card=builtin_rate_card())
    assert decision.allowed
    assert decision.cost is not None
    assert decision.cost.free


def test_decisions_render_in_notebooks_and_terminals(conversation: Conversation) -> None:
    """Markdown, HTML and rich renderings list the same facts."""
    from rich.console import Console

    c = opted_in(conversation).apply(InboundMessageReceived(at=T0 - H))
    decision = decide(
        c,
        SendKind.UTILITY_TEMPLATE,
        now=T0,
        template=paused(),
        rate_card=builtin_rate_card(),
        market="AF",
    )
    markdown = decision._repr_markdown_()
    html = decision._repr_html_()
    console = Console(record=True, width=200)
    console.print(decision)
    terminal = console.export_text()
    for text in (markdown, html, terminal):
        assert "template_paused" not in text  # sentences, not codes
        assert "paused for low quality" in text
        assert "ask again later" in text  # the alternative in words
        assert "⛔" in text  # blocked at a glance
        assert "window open until" in text
        assert "cost" in text
    assert markdown.startswith("**Send decision** — ⛔ blocked: utility template")
    assert html.startswith("<p><b>Send decision</b>")
    assert str(decision).startswith(
        "Blocked: a utility template may not be sent now, because the template is paused"
    )
    assert str(decision).endswith(
        "Instead, ask again later, when the answer changes (from 2026-11-23 11:00 UTC)."
    )
    reference = can_send(
        Conversation(business=PhoneNumberId("106540352242922"), recipient=AFGHAN).apply_all(
            [
                ReferralReceived(at=T0 - H, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
                InboundMessageReceived(at=T0 - H),
                OutboundMessageSent(at=T0 - H / 2),
            ]
        ),
        SendKind.FREE_FORM,
        now=T0,
    )
    assert "free entry point" in reference._repr_markdown_()
    assert "answer changes at" in reference._repr_markdown_()


def test_instants_in_other_zones_are_read_in_utc(conversation: Conversation) -> None:
    """`now` in another zone decides as the same instant in UTC."""
    plus_two = timezone(timedelta(hours=2))
    c = opted_in(conversation)
    assert decide(c, SendKind.UTILITY_TEMPLATE, now=T0.astimezone(plus_two), market="DE") == decide(
        c, SendKind.UTILITY_TEMPLATE, now=T0, market="DE"
    )


# --- calling (issue 16) ---------------------------------------------------------------------


def test_calling_needs_the_messaging_limit_and_a_region_that_may_call(
    conversation: Conversation,
) -> None:
    """A business below a 2,000 limit, or with a US number, may not call; both are told."""
    c = conversation.apply(CallPermissionGranted(at=T0 - H))
    assert decide(c, SendKind.CALL, now=T0, limit=MessagingLimit(users=2000)).allowed
    small = decide(c, SendKind.CALL, now=T0, limit=MessagingLimit(users=250))
    assert (Reason.CALLING_NOT_ELIGIBLE,) == small.codes
    assert "2,000" in small.reasons[0].message
    assert Alternative.SEND_MESSAGE == small.instead
    american = decide(c, SendKind.CALL, now=T0, business_market="US")
    assert (Reason.CALLING_UNAVAILABLE_IN_REGION,) == american.codes
    assert decide(c, SendKind.CALL, now=T0, business_market="DE").allowed
    assert decide(c, SendKind.CALL, now=T0, limit=MessagingLimit(users=None)).allowed


def test_a_call_permission_request_is_priced_by_the_window(conversation: Conversation) -> None:
    """A request is priced as a service message inside the window, a utility template outside."""
    card = builtin_rate_card()
    spring = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    c = conversation.apply(OptInRecorded(at=spring - H, method="web form"))
    kind = SendKind.CALL_PERMISSION_REQUEST
    outside = decide(c, kind, now=spring, rate_card=card, market="DE")
    utility = decide(c, SendKind.UTILITY_TEMPLATE, now=spring, rate_card=card, market="DE")
    assert outside.cost is not None
    assert utility.cost is not None
    assert utility.cost.amount == outside.cost.amount
    inside = c.apply(InboundMessageReceived(at=spring))
    free = decide(inside, kind, now=spring + H, rate_card=card, market="DE")
    assert free.cost is not None
    assert not free.cost.charged


# --- groups (issue 16) ----------------------------------------------------------------------

GROUPS_OPEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_a_group_send_carries_the_privacy_advisories_even_when_allowed() -> None:
    """A member's message opens the group's window; the advisories come with the yes."""
    answer = decide_group(
        SendKind.FREE_FORM, now=GROUPS_OPEN, participants=5, last_member_message_at=GROUPS_OPEN - H
    )
    assert answer.allowed
    assert bool(answer)
    assert GROUPS_OPEN + 23 * H == answer.decision.service_window_expires_at
    assert (
        GroupAdvisory.PARTICIPANTS_SEE_EACH_OTHER,
        GroupAdvisory.INVITE_LINK_JOINS,
    ) == answer.advisories
    assert 8 == answer.participant_limit


def test_a_group_free_form_needs_the_groups_window() -> None:
    """Without a member's message, or after 24 h, only templates go to the group."""
    never = decide_group(SendKind.FREE_FORM, now=GROUPS_OPEN, participants=3)
    assert (Reason.WINDOW_NEVER_OPENED,) == never.decision.codes
    assert Alternative.SEND_TEMPLATE == never.decision.instead
    late = decide_group(
        "free_form", now=GROUPS_OPEN, participants=3, last_member_message_at=GROUPS_OPEN - 25 * H
    )
    assert (Reason.WINDOW_CLOSED,) == late.decision.codes
    assert decide_group(SendKind.UTILITY_TEMPLATE, now=GROUPS_OPEN, participants=3)


def test_groups_are_limited_in_size_and_kinds() -> None:
    """Nine participants, a call or an authentication template are refused for a group."""
    big = decide_group(SendKind.MARKETING_TEMPLATE, now=GROUPS_OPEN, participants=9)
    assert (Reason.GROUP_TOO_LARGE,) == big.decision.codes
    assert "8" in big.decision.reasons[0].message
    for kind in (SendKind.CALL, SendKind.AUTHENTICATION_TEMPLATE, SendKind.CALL_PERMISSION_REQUEST):
        refused = decide_group(kind, now=GROUPS_OPEN, participants=2)
        assert (Reason.GROUP_KIND_UNSUPPORTED,) == refused.decision.codes
        assert Alternative.SEND_MESSAGE == refused.decision.instead


def test_in_2023_no_business_could_send_to_a_group() -> None:
    """Before the Groups API a group send is refused, and consumer groups held 1,024."""
    early = datetime(2023, 2, 15, tzinfo=timezone.utc)
    answer = decide_group(SendKind.MARKETING_TEMPLATE, now=early, participants=300)
    assert (Reason.GROUPS_UNAVAILABLE,) == answer.decision.codes
    assert 1024 == answer.participant_limit
    assert answer.advisories
    assert answer.cost is None


def test_a_group_send_is_charged_per_delivered_copy() -> None:
    """Billable copies are charged each at its member's rate; free-form in the window is free."""
    card = builtin_rate_card()
    marketing = decide_group(
        SendKind.MARKETING_TEMPLATE,
        now=GROUPS_OPEN,
        participants=3,
        rate_card=card,
        markets=["DE", "DE", "BR"],
    )
    assert marketing.cost is not None
    assert 3 == marketing.cost.copies
    germany = card.price("marketing", "DE", GROUPS_OPEN)
    brazil = card.price("marketing", "BR", GROUPS_OPEN)
    assert germany is not None
    assert brazil is not None
    if germany.currency == brazil.currency:
        assert 2 * germany.amount + brazil.amount == marketing.cost.total
    unknown = decide_group(
        SendKind.UTILITY_TEMPLATE, now=GROUPS_OPEN, participants=2, rate_card=card, markets=["DE"]
    )
    assert unknown.cost is not None
    assert unknown.cost.total is None
    free = decide_group(
        SendKind.UTILITY_TEMPLATE,
        now=GROUPS_OPEN,
        participants=4,
        last_member_message_at=GROUPS_OPEN - H,
        rate_card=card,
    )
    assert free.cost is not None
    assert (0, Decimal(0)) == (free.cost.copies, free.cost.total)


def test_a_group_needs_a_participant_count() -> None:
    """Zero, a negative number or a flag is no participant count."""
    for bad in (0, -1, True, "3"):
        with pytest.raises(InvalidValueError, match="participants"):
            decide_group(SendKind.FREE_FORM, now=GROUPS_OPEN, participants=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("part", "value"),
    [("rules", True), ("rate_card", True), ("markets", "DE"), ("markets", [1])],
)
def test_a_group_part_of_the_wrong_type_is_refused(part: str, value: object) -> None:
    """Rules, a rate card or markets of the wrong type are refused, naming the part."""
    with pytest.raises(InvalidValueError) as caught:
        decide_group(SendKind.FREE_FORM, now=GROUPS_OPEN, participants=2, **{part: value})  # type: ignore[arg-type]
    assert part == caught.value.field.partition("[")[0]  # markets[0] names the item


def test_a_rate_card_of_the_wrong_type_is_refused(conversation: Conversation) -> None:
    """`decide(rate_card=...)` takes a `RateCard` only."""
    with pytest.raises(InvalidValueError, match="rate_card"):
        decide(conversation, SendKind.FREE_FORM, now=T0, rate_card=True)  # type: ignore[arg-type]


# --- the platform as of December 2026 (issue #15) ---------------------------------------------

ELIGIBLE = AccountHealth().apply(DirectSendAccessChanged(at=T0 - 48 * H, enabled=True))
JULY_2026 = rules_at(datetime(2026, 7, 30, 9, tzinfo=timezone.utc))


def test_direct_send_goes_outside_the_window_and_costs_the_utility_rate(
    conversation: Conversation,
) -> None:
    """Meta's example: a text message with "category": "utility", no template, window closed."""
    card = builtin_rate_card()
    c = opted_in(conversation)
    direct = decide(c, SendKind.DIRECT_SEND, now=T0, account=ELIGIBLE, rate_card=card)
    utility = decide(c, SendKind.UTILITY_TEMPLATE, now=T0, rate_card=card)
    assert (True, Endpoint.MESSAGES) == (direct.allowed, direct.endpoint)
    assert direct.cost is not None
    assert utility.cost is not None
    assert (utility.cost.amount, utility.cost.category) == (
        direct.cost.amount,
        direct.cost.category,
    )


def test_direct_send_needs_the_rules_and_the_account(conversation: Conversation) -> None:
    """Before 2026-07-31 no one may; since, only an account Meta enabled (error 100, 139200)."""
    c = opted_in(conversation)
    early = decide(c, SendKind.DIRECT_SEND, now=T0, rules=JULY_2026, account=ELIGIBLE)
    assert ((Reason.DIRECT_SEND_UNAVAILABLE,), Alternative.SEND_TEMPLATE) == (
        early.codes,
        early.instead,
    )
    unknown = decide(c, SendKind.DIRECT_SEND, now=T0, account=AccountHealth())
    blocked_account = ELIGIBLE.apply(DirectSendAccessChanged(at=T0 - H, enabled=False))
    blocked = decide(c, SendKind.DIRECT_SEND, now=T0, account=blocked_account)
    for decision, word in ((unknown, "not enabled"), (blocked, "blocked")):
        assert ((Reason.DIRECT_SEND_NOT_ENABLED,), Alternative.SEND_TEMPLATE) == (
            decision.codes,
            decision.instead,
        )
        assert word in decision.reasons[0].message
    assert can_send(c, SendKind.DIRECT_SEND, now=T0).allowed  # eligibility is the account's


def test_direct_send_is_offered_instead_of_a_template_where_eligible(
    conversation: Conversation,
) -> None:
    """A free-form message after the window: an eligible account is told to use Direct Send."""
    c = opted_in(conversation).apply(InboundMessageReceived(at=T0 - 30 * H))
    eligible = decide(c, SendKind.FREE_FORM, now=T0, account=ELIGIBLE)
    other = decide(c, SendKind.FREE_FORM, now=T0, account=AccountHealth())
    assert (Reason.WINDOW_CLOSED,) == eligible.codes == other.codes
    assert (Alternative.USE_DIRECT_SEND, Alternative.SEND_TEMPLATE) == (
        eligible.instead,
        other.instead,
    )
    early = decide(c, SendKind.FREE_FORM, now=T0, rules=JULY_2026, account=ELIGIBLE)
    assert Alternative.SEND_TEMPLATE == early.instead


def test_marketing_goes_to_the_marketing_messages_endpoint_by_latest_category(
    conversation: Conversation,
) -> None:
    """Meta's routing table: MARKETING to /marketing_messages, every other category to /messages."""
    c = opted_in(conversation)
    assert Endpoint.MARKETING_MESSAGES == decide(c, SendKind.MARKETING_TEMPLATE, now=T0).endpoint
    assert Endpoint.MESSAGES == decide(c, SendKind.UTILITY_TEMPLATE, now=T0).endpoint
    assert None is decide(c, SendKind.CALL, now=T0).endpoint
    recategorised = approved().apply(
        TemplateCategoryChanged(at=T0 - H, new_category="MARKETING", previous_category="UTILITY")
    )
    decision = decide(c, SendKind.UTILITY_TEMPLATE, now=T0, template=recategorised, market="DE")
    assert (SendKind.MARKETING_TEMPLATE, Endpoint.MARKETING_MESSAGES) == (
        decision.kind,
        decision.endpoint,
    )
    assert (
        Endpoint.MESSAGES
        == decide(c, SendKind.MARKETING_TEMPLATE, now=T0, rules=RULES_2024, market="DE").endpoint
    )


def test_the_per_user_marketing_limit_is_reported_as_a_risk(conversation: Conversation) -> None:
    """Marketing outside a window the user opened counts against the per-user limit (131049)."""
    c = opted_in(conversation)
    replied = c.apply(InboundMessageReceived(at=T0 - H))
    assert (Risk.PER_USER_MARKETING_LIMIT,) == decide(
        c, SendKind.MARKETING_TEMPLATE, now=T0, market="DE"
    ).risks
    assert () == decide(replied, SendKind.MARKETING_TEMPLATE, now=T0, market="DE").risks
    assert () == decide(c, SendKind.UTILITY_TEMPLATE, now=T0).risks
    assert (Risk.PER_USER_MARKETING_LIMIT,) == decide(
        replied, SendKind.MARKETING_TEMPLATE, now=T0, rules=RULES_2024, market="DE"
    ).risks  # before late Q2 2025 a window did not exempt it


def test_authentication_templates_need_a_phone_number() -> None:
    """Meta: BSUIDs take any message except authentication templates (131062)."""
    c = Conversation(
        business=PhoneNumberId("106540352242922"),
        recipient=BusinessScopedUserId("US.13491208655302741918"),
    ).apply(OptInRecorded(at=T0 - 24 * H, method="web form"))
    auth = decide(c, SendKind.AUTHENTICATION_TEMPLATE, now=T0)
    assert ((Reason.RECIPIENT_NEEDS_PHONE_NUMBER,), Alternative.USE_PHONE_NUMBER) == (
        auth.codes,
        auth.instead,
    )
    assert decide(c, SendKind.UTILITY_TEMPLATE, now=T0).allowed
    assert (Reason.RECIPIENT_NEEDS_PHONE_NUMBER,) == (
        decide(c, SendKind.UTILITY_TEMPLATE, now=T0, rules=RULES_2024).codes
    )


def test_a_new_marketing_template_may_be_paced(conversation: Conversation) -> None:
    """Meta, Template pacing: new or not GREEN marketing and utility templates may be held."""
    c = opted_in(conversation)
    marketing = approved().apply(TemplateCategoryChanged(at=T0 - 40 * H, new_category="MARKETING"))
    green = marketing.apply(TemplateQualityChanged(at=T0 - H, new=QualityScore.GREEN))
    paced = decide(c, SendKind.MARKETING_TEMPLATE, now=T0, template=marketing, market="DE")
    assert paced.allowed
    assert (Risk.PER_USER_MARKETING_LIMIT, Risk.TEMPLATE_PACING) == paced.risks
    settled = decide(c, SendKind.MARKETING_TEMPLATE, now=T0, template=green, market="DE")
    assert (Risk.PER_USER_MARKETING_LIMIT,) == settled.risks
