"""The conversation machine: windows, entry points, consent and calls, fact by fact."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    BusinessScopedUserId,
    CallPermission,
    CallPermissionGranted,
    CallPermissionRevoked,
    CallPermissionStatus,
    Consent,
    ConsentStatus,
    Conversation,
    EntryPoint,
    EntryPointVisit,
    Fact,
    InboundCallReceived,
    InboundMessageReceived,
    InvalidValueError,
    MarketingResumed,
    MarketingStatus,
    NaiveDatetimeError,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    PhoneNumberId,
    Provider,
    ReferralReceived,
    Rule,
    Rules,
    SendRejected,
    Source,
    WaId,
    rules_at,
)
from wa_outbound._conversation import CallLog, _replace
from wa_outbound.testing import conversations, facts, instants

from .conftest import T0, T2023

H = timedelta(hours=1)
TODAY = rules_at(T0)
RULES_2023 = rules_at(T2023)


def test_inbound_message_opens_a_24_hour_window(conversation: Conversation) -> None:
    """The window closes 24 h after the user's message."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    assert T0 + 24 * H == c.service_window_expires_at(TODAY)


def test_a_later_message_extends_the_window(conversation: Conversation) -> None:
    """Each new user message resets the timer to 24 h."""
    c = conversation.apply_all(
        [InboundMessageReceived(at=T0), InboundMessageReceived(at=T0 + 5 * H)]
    )
    assert T0 + 29 * H == c.service_window_expires_at(TODAY)


def test_an_older_message_never_shrinks_the_window(conversation: Conversation) -> None:
    """A late webhook for an earlier message leaves the conversation unchanged."""
    c = conversation.apply(InboundMessageReceived(at=T0 + 5 * H))
    assert c is c.apply(InboundMessageReceived(at=T0))


def test_business_messages_do_not_extend_the_window(conversation: Conversation) -> None:
    """Our own messages never renew the customer service window."""
    c = conversation.apply_all([InboundMessageReceived(at=T0), OutboundMessageSent(at=T0 + 20 * H)])
    assert T0 + 24 * H == c.service_window_expires_at(TODAY)


def test_calls_open_the_window_only_where_the_rules_say(conversation: Conversation) -> None:
    """A user's call opens the window today, but not under the 2023 rules."""
    c = conversation.apply(InboundCallReceived(at=T0))
    assert T0 + 24 * H == c.service_window_expires_at(TODAY)
    assert c.service_window_expires_at(RULES_2023) is None


def test_the_later_of_message_and_call_counts(conversation: Conversation) -> None:
    """With both, the latest contact sets the window (message or call)."""
    c = conversation.apply_all([InboundCallReceived(at=T0), InboundMessageReceived(at=T0 + H)])
    assert T0 + 25 * H == c.service_window_expires_at(TODAY)
    c = conversation.apply_all([InboundMessageReceived(at=T0), InboundCallReceived(at=T0 + H)])
    assert T0 + 25 * H == c.service_window_expires_at(TODAY)
    assert T0 + 24 * H == c.service_window_expires_at(RULES_2023)


@pytest.mark.parametrize(("provider", "code"), [(Provider.META, 131047), (Provider.TWILIO, 63016)])
def test_platform_rejection_closes_the_window(
    conversation: Conversation, provider: Provider, code: int
) -> None:
    """131047 / 63016 close the window whatever the clock says, until the user writes again."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    closed = c.apply(SendRejected(at=T0 + 2 * H, provider=provider, code=code))
    assert closed.service_window_expires_at(TODAY) is None
    reopened = closed.apply(InboundMessageReceived(at=T0 + 3 * H))
    assert T0 + 27 * H == reopened.service_window_expires_at(TODAY)


def test_a_late_old_rejection_does_not_close_a_newer_window(conversation: Conversation) -> None:
    """A rejection older than the user's latest message is history, not news."""
    c = conversation.apply(InboundMessageReceived(at=T0 + 3 * H))
    c = c.apply(SendRejected(at=T0, provider=Provider.META, code=131047))
    assert T0 + 27 * H == c.service_window_expires_at(TODAY)


@pytest.mark.parametrize(("provider", "code"), [(Provider.META, 131050), (Provider.TWILIO, 63033)])
def test_a_marketing_stop_code_records_a_marketing_opt_out(
    conversation: Conversation, provider: Provider, code: int
) -> None:
    """Meta's 131050 and Twilio's 63033 mean the user stopped marketing messages."""
    c = conversation.apply(OptInRecorded(at=T0, method="web form"))
    c = c.apply(SendRejected(at=T0 + H, provider=provider, code=code))
    assert ConsentStatus.OPTED_IN == c.consent.status
    assert MarketingStatus.STOPPED == c.consent.marketing
    assert T0 + H == c.consent.marketing_since


def _referral(at: datetime) -> ReferralReceived:
    return ReferralReceived(at=at, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD, source_id="120")


def test_a_reply_to_an_ad_message_opens_72_free_hours(conversation: Conversation) -> None:
    """Replying within 24 h opens a free entry point window of 72 h from the reply."""
    c = conversation.apply_all([_referral(T0), OutboundMessageSent(at=T0 + 2 * H)])
    assert (T0 + 2 * H, T0 + 74 * H) == c.free_entry_point_window(TODAY)
    assert T0 + 24 * H == c.service_window_expires_at(TODAY)


def test_a_late_reply_opens_no_free_window(conversation: Conversation) -> None:
    """A reply more than 24 h after the ad message earns nothing."""
    c = conversation.apply_all([_referral(T0), OutboundMessageSent(at=T0 + 25 * H)])
    assert c.free_entry_point_window(TODAY) is None


def test_only_the_first_reply_counts(conversation: Conversation) -> None:
    """Later messages do not move the start of the free window; an earlier late one does."""
    c = conversation.apply_all(
        [_referral(T0), OutboundMessageSent(at=T0 + 3 * H), OutboundMessageSent(at=T0 + 5 * H)]
    )
    assert (T0 + 3 * H, T0 + 75 * H) == c.free_entry_point_window(TODAY)
    c = c.apply(OutboundMessageSent(at=T0 + H))
    assert (T0 + H, T0 + 73 * H) == c.free_entry_point_window(TODAY)


def test_messages_before_the_referral_are_not_replies(conversation: Conversation) -> None:
    """A message sent before the user came from the ad does not open the free window."""
    c = conversation.apply_all([OutboundMessageSent(at=T0 - H), _referral(T0)])
    assert c.free_entry_point_window(TODAY) is None
    assert T0 == c.last_inbound_message_at


def test_a_new_ad_click_does_not_restart_an_open_free_window(conversation: Conversation) -> None:
    """While a free window is open, another referral and reply do not start a new one."""
    c = conversation.apply_all(
        [
            _referral(T0),
            OutboundMessageSent(at=T0 + H),
            _referral(T0 + 10 * H),
            OutboundMessageSent(at=T0 + 11 * H),
        ]
    )
    assert (T0 + H, T0 + 73 * H) == c.free_entry_point_window(TODAY)


def test_a_new_ad_click_after_the_free_window_starts_another(conversation: Conversation) -> None:
    """Once the first free window is over, a new referral and reply open a new one."""
    c = conversation.apply_all(
        [
            _referral(T0),
            OutboundMessageSent(at=T0 + H),
            _referral(T0 + 80 * H),
            OutboundMessageSent(at=T0 + 81 * H),
        ]
    )
    assert (T0 + 81 * H, T0 + 153 * H) == c.free_entry_point_window(TODAY)


def test_free_entry_point_at_says_inside_before_and_after(conversation: Conversation) -> None:
    """Before the reply it is not free until the start; inside, free until the end; then over."""
    c = conversation.apply_all([_referral(T0), OutboundMessageSent(at=T0 + 2 * H)])
    assert (False, T0 + 2 * H) == c.free_entry_point_at(TODAY, T0 + H)
    assert (True, T0 + 74 * H) == c.free_entry_point_at(TODAY, T0 + 2 * H)
    assert (True, T0 + 74 * H) == c.free_entry_point_at(TODAY, T0 + 73 * H)
    assert c.free_entry_point_at(TODAY, T0 + 74 * H) is None
    assert conversation.free_entry_point_at(TODAY, T0) is None


def reference_free_window(c: Conversation, rules: Rules) -> tuple[datetime, datetime] | None:
    """The latest free entry point window, spelled out: a timely reply opens one if none is open."""
    within = rules.free_entry_point_reply_within.value
    length = rules.free_entry_point_window.value
    window = None
    for visit in c.entry_points:
        replied = visit.replied_at
        if replied is None or replied - visit.referred_at > within:
            continue
        if window is None or replied >= window[1]:
            window = (replied, replied + length)
    return window


@given(conversations(times=instants(T0, 10 * 24 * H)), instants(T0, 10 * 24 * H))
def test_free_entry_point_queries_agree_with_the_reference(c: Conversation, now: datetime) -> None:
    """The window and the answer at `now` are the reference window and where `now` lies in it."""
    window = reference_free_window(c, TODAY)
    assert window == c.free_entry_point_window(TODAY)
    expected = None
    if window is not None and now < window[0]:
        expected = (False, window[0])
    elif window is not None and now < window[1]:
        expected = (True, window[1])
    assert expected == c.free_entry_point_at(TODAY, now)


def test_referrals_are_idempotent_and_bounded(conversation: Conversation) -> None:
    """The same referral twice is one; only the latest two are kept."""
    c = conversation.apply(_referral(T0))
    assert c is c.apply(_referral(T0))
    for hours in (10, 20, 30):
        c = c.apply(_referral(T0 + hours * H))
    assert [T0 + 20 * H, T0 + 30 * H] == [v.referred_at for v in c.entry_points]


def test_a_late_referral_uses_a_known_first_reply(conversation: Conversation) -> None:
    """A referral delivered late finds its first reply when an earlier visit's reply proves it."""
    c = conversation.apply_all([_referral(T0), OutboundMessageSent(at=T0 + 5 * H)])
    c = c.apply(_referral(T0 + 2 * H))
    assert [T0 + 5 * H, T0 + 5 * H] == [v.replied_at for v in c.entry_points]


def test_outbound_messages_are_idempotent(conversation: Conversation) -> None:
    """Recording the same send twice changes nothing the second time."""
    c = conversation.apply_all([_referral(T0), OutboundMessageSent(at=T0 + H)])
    assert c is c.apply(OutboundMessageSent(at=T0 + H))


def test_consent_round_trip_of_a_marketing_stop(conversation: Conversation) -> None:
    """Opt in, stop promotions, resume: the user is opted in again."""
    c = conversation.apply_all(
        [
            OptInRecorded(at=T0, method="checkout"),
            OptOutReceived(at=T0 + H, scope=OptOutScope.MARKETING, method="stop promotions"),
        ]
    )
    assert MarketingStatus.STOPPED == c.consent.marketing
    assert ConsentStatus.OPTED_IN == c.consent.status
    c = c.apply(MarketingResumed(at=T0 + 2 * H))
    assert MarketingStatus.RECEIVING == c.consent.marketing
    assert T0 + 2 * H == c.consent.marketing_since
    assert T0 == c.consent.since


def test_consent_facts_are_idempotent(conversation: Conversation) -> None:
    """Each consent fact applied twice leaves the conversation as after once."""
    for fact in [
        OptInRecorded(at=T0, method="form"),
        OptOutReceived(at=T0),
        OptOutReceived(at=T0, scope=OptOutScope.MARKETING),
        MarketingResumed(at=T0),
    ]:
        once = conversation.apply(fact)
        assert once is once.apply(fact)


def test_permanent_grants_are_temporary_before_november_2025(conversation: Conversation) -> None:
    """A grant without expiry lasts forever today, but 7 days under older rules."""
    old = conversation.apply(CallPermissionGranted(at=T2023))
    assert T2023 + timedelta(days=7) == old.call_permission_expires_at(RULES_2023)
    assert T2023 + timedelta(days=7) == old.call_permission_expires_at(TODAY)
    october = datetime(2025, 10, 30, tzinfo=timezone.utc)
    before = conversation.apply(CallPermissionGranted(at=october))
    assert october + timedelta(days=7) == before.call_permission_expires_at(TODAY)
    new = conversation.apply(CallPermissionGranted(at=T0))
    assert new.call_permission_expires_at(TODAY) is None
    revoked = new.apply(CallPermissionRevoked(at=T0 + H))
    assert revoked.call_permission_expires_at(TODAY) is None


def test_host_rules_decide_permanence_when_in_force_at_the_grant(
    conversation: Conversation,
) -> None:
    """Rules in force at the grant are the caller's own; an override there is honoured."""
    c = conversation.apply(CallPermissionGranted(at=T0))
    no_permanent = attrs.evolve(TODAY, permanent_call_permission=False)
    assert T0 + timedelta(days=7) == c.call_permission_expires_at(no_permanent)


DECEMBER_2025 = datetime(2025, 12, 1, tzinfo=timezone.utc)
"""After permanent call permissions began (2025-11-03), before today's rule set (2026-10-01)."""


def test_a_host_override_decides_permanence_for_any_grant(conversation: Conversation) -> None:
    """An override applies to grants before the host's rule set took effect, too."""
    c = conversation.apply(CallPermissionGranted(at=DECEMBER_2025))
    assert c.call_permission_expires_at(TODAY) is None
    no_permanent = attrs.evolve(TODAY, permanent_call_permission=False)
    assert DECEMBER_2025 + timedelta(days=7) == c.call_permission_expires_at(no_permanent)
    old = conversation.apply(CallPermissionGranted(at=T2023))
    always_permanent = attrs.evolve(TODAY, permanent_call_permission=True)
    assert old.call_permission_expires_at(always_permanent) is None


def test_a_host_validity_applies_to_grants_before_its_rule_set(
    conversation: Conversation,
) -> None:
    """A temporary grant from 2023 lasts the host's validity, not the built-in 7 days."""
    c = conversation.apply(CallPermissionGranted(at=T2023))
    three_days = attrs.evolve(TODAY, call_permission_temporary_validity=timedelta(days=3))
    assert T2023 + timedelta(days=3) == c.call_permission_expires_at(three_days)
    later_set = attrs.evolve(three_days, effective_from=T0)
    assert T2023 + timedelta(days=3) == c.call_permission_expires_at(later_set)


def test_a_host_rule_set_dated_before_the_grant_reaches_back(
    conversation: Conversation,
) -> None:
    """A rule set the host dates before a 2024 grant is the one in force at it."""
    grant = datetime(2024, 6, 1, tzinfo=timezone.utc)
    c = conversation.apply(CallPermissionGranted(at=grant))
    assert grant + timedelta(days=7) == c.call_permission_expires_at(TODAY)
    since_2023 = attrs.evolve(TODAY, effective_from=T2023)
    assert c.call_permission_expires_at(since_2023) is None


def test_a_host_rule_dated_before_the_grant_applies(conversation: Conversation) -> None:
    """A dated rule of the host's that took effect before the grant is the one in force."""
    grant = datetime(2024, 6, 1, tzinfo=timezone.utc)
    c = conversation.apply(CallPermissionGranted(at=grant))
    since_2024 = Rule(
        value=True,
        effective_from=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source=Source(title="the host's contract with Meta", url="https://example.com"),
    )
    dated = attrs.evolve(TODAY, permanent_call_permission=since_2024)
    assert c.call_permission_expires_at(dated) is None
    earlier = conversation.apply(CallPermissionGranted(at=T2023))
    assert T2023 + timedelta(days=7) == earlier.call_permission_expires_at(dated)


def test_grants_before_any_rule_set_are_temporary(conversation: Conversation) -> None:
    """A grant dated before 2023 (no rules known) is treated as temporary."""
    early = datetime(2022, 6, 1, tzinfo=timezone.utc)
    c = conversation.apply(CallPermissionGranted(at=early))
    assert early + timedelta(days=7) == c.call_permission_expires_at(TODAY)


def test_call_permission_answers_are_idempotent(conversation: Conversation) -> None:
    """The same answer twice, or an older one late, changes nothing."""
    c = conversation.apply(CallPermissionGranted(at=T0, expires_at=T0 + 48 * H))
    assert c is c.apply(CallPermissionGranted(at=T0, expires_at=T0 + 48 * H))
    assert c is c.apply(CallPermissionRevoked(at=T0 - H))


def test_facts_refuse_naive_instants() -> None:
    """Every fact names the naive field it refuses."""
    with pytest.raises(NaiveDatetimeError, match="at="):
        InboundMessageReceived(at=datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError, match="expires_at="):
        CallPermissionGranted(at=T0, expires_at=datetime(2026, 1, 1))


def test_facts_normalise_to_utc() -> None:
    """An instant given in another zone is stored in UTC and compares equal."""
    plus_two = timezone(timedelta(hours=2))
    fact = InboundMessageReceived(at=T0.astimezone(plus_two))
    assert T0 == fact.at
    assert timezone.utc is fact.at.tzinfo


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: CallPermissionGranted(at=T0, expires_at=T0), "expires_at"),
        (lambda: OptInRecorded(at=T0, method="  "), "method"),
        (lambda: InboundMessageReceived(at=T0, message_id=5), "message_id"),
        (lambda: InboundMessageReceived(at="2026-01-01"), "at"),
        (lambda: Conversation(business="1", recipient=WaId("4915123456789")), "business"),
        (lambda: Conversation(business=PhoneNumberId("1"), recipient="4915123456789"), "recipient"),
        (lambda: WaId("+4915123456789"), "wa_id"),
        (lambda: WaId("0151234567"), "wa_id"),
        (lambda: WaId("1234567890123456"), "wa_id"),
        (lambda: PhoneNumberId("abc"), "phone_number_id"),
        (lambda: BusinessScopedUserId(""), "bsuid"),
        (lambda: WaId.parse("call me"), "wa_id"),
        (lambda: WaId.parse(4915123456789), "wa_id"),
    ],
)
def test_bad_values_name_their_field(build: object, field: str) -> None:
    """Invalid inputs raise `InvalidValueError` naming the field and the value."""
    with pytest.raises(InvalidValueError) as info:
        build()  # type: ignore[operator]
    assert field == info.value.field
    assert field in str(info.value)


@pytest.mark.parametrize(
    "text", ["+49 151 2345-6789", "whatsapp:+4915123456789", "(49) 151.2345.6789", "4915123456789"]
)
def test_wa_id_parse_accepts_common_spellings(text: str) -> None:
    """`WaId.parse` strips '+', spaces, dashes, dots, parentheses and Twilio's prefix."""
    assert "4915123456789" == str(WaId.parse(text))


def test_identities_print_as_their_value() -> None:
    """`str()` of an identity is what the APIs expect on the wire."""
    assert "106540352242922" == str(PhoneNumberId("106540352242922"))
    assert "US.13491208655302741918" == str(BusinessScopedUserId("US.13491208655302741918"))


def test_conversation_is_frozen(conversation: Conversation) -> None:
    """A conversation cannot be changed in place."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        conversation.last_inbound_message_at = T0  # type: ignore[misc]


@given(conversations(), facts())
def test_applying_a_fact_twice_equals_applying_it_once(
    conversation: Conversation, fact: Fact
) -> None:
    """Duplicate webhooks are harmless: `apply` is idempotent for every fact."""
    once = conversation.apply(fact)
    assert once == once.apply(fact)


@given(conversations(), instants(), instants())
def test_an_older_message_never_shrinks_the_window_property(
    conversation: Conversation, first: datetime, second: datetime
) -> None:
    """Whatever the state, a second inbound message never moves the window's end earlier."""
    after_first = conversation.apply(InboundMessageReceived(at=first))
    after_both = after_first.apply(InboundMessageReceived(at=second))
    before = after_first.service_window_expires_at(TODAY)
    after = after_both.service_window_expires_at(TODAY)
    if before is not None and after is not None:
        assert after >= before


order_free_facts = facts().filter(
    lambda f: not isinstance(f, (ReferralReceived, OutboundMessageSent))
)


@given(st.lists(order_free_facts, max_size=10), st.randoms(use_true_random=False))
def test_delivery_order_does_not_matter(fact_list: list[Fact], random: Random) -> None:
    """Except for entry-point replies, any delivery order of the same facts gives one state."""
    start = Conversation(business=PhoneNumberId("1"), recipient=WaId("4915123456789"))
    shuffled = list(fact_list)
    random.shuffle(shuffled)
    assert start.apply_all(fact_list) == start.apply_all(shuffled)


def test_window_queries_agree(conversation: Conversation) -> None:
    """`last_inbound_at` and `service_window_expires_at` read the same window."""
    c = conversation.apply(InboundMessageReceived(at=T0))
    assert (T0, T0 + 24 * H) == c.window(TODAY)
    assert T0 == c.last_inbound_at(TODAY)
    assert conversation.free_entry_point_window(TODAY) is None


IDENTITY = ("business", "recipient")
"""The fields that name the conversation: `_replace` never changes them."""


def test_replace_carries_every_field() -> None:
    """`_replace` keeps each field it is not told to change, and changes each one it is told to."""
    full = Conversation(
        business=PhoneNumberId("106540352242922"),
        recipient=WaId("4915123456789"),
        last_inbound_message_at=T0,
        last_inbound_call_at=T0 + H,
        window_closed_at=T0 + 2 * H,
        last_outbound_at=T0 + 3 * H,
        entry_points=(
            EntryPointVisit(referred_at=T0, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
        ),
        consent=Consent(opted_in_at=T0, opt_in_method="web form"),
        call_permission=CallPermission(status=CallPermissionStatus.GRANTED, since=T0),
        calls=CallLog(last_connected_at=T0),
    )
    blank = Conversation(business=PhoneNumberId("1"), recipient=WaId("4915100000000"))
    names = [field.name for field in attrs.fields(Conversation) if field.init]
    assert [] == [name for name in names if getattr(full, name) == getattr(blank, name)]
    assert full == _replace(full)
    for name in names:
        if name not in IDENTITY:
            value = getattr(blank, name)
            assert attrs.evolve(full, **{name: value}) == _replace(full, **{name: value})


def test_datetime_subclasses_in_utc_are_accepted() -> None:
    """An aware UTC instant of a `datetime` subclass is accepted as it is."""

    class Instant(datetime):
        pass

    at = Instant(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert T0 == InboundMessageReceived(at=at).at
