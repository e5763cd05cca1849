"""From events to facts, event by event, and the delivery status that never goes back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    BusinessScopedUserId,
    CallPermissionGranted,
    CallPermissionRejected,
    InboundCallReceived,
    InboundMessageReceived,
    InvalidValueError,
    MarketingResumed,
    NaiveDatetimeError,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    PhoneNumberId,
    Provider,
    SendRejected,
    WaId,
)
from wa_outbound.webhooks import (
    DELIVERY_RANK,
    AccountUpdate,
    CallEvent,
    CallPermissionReply,
    InboundMessage,
    MessageDelivery,
    MessageStatus,
    StatusKind,
    UnknownEvent,
    UserPreferenceUpdate,
    WebhookError,
    facts_from_events,
    track_delivery,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
PHONE = "106540352242922"
USER = "4915123456789"


def status(
    kind: StatusKind, at: datetime | None = AT, *errors: int, provider: Provider = Provider.META
) -> MessageStatus:
    """A status of message `wamid.A`."""
    return MessageStatus(
        provider=provider,
        phone_number_id=PHONE,
        message_id="wamid.A",
        status=kind,
        at=at,
        recipient_id=USER,
        errors=tuple(WebhookError(code=code) for code in errors),
    )


def only_fact(event: object, **options: object) -> object:
    """The single fact an event yields."""
    (item,) = facts_from_events([event], **options)  # type: ignore[list-item,arg-type]
    assert PhoneNumberId(PHONE) == item.business
    return item.fact


def test_sent_status_records_our_message() -> None:
    """A `sent` status means the business sent a message then."""
    assert OutboundMessageSent(at=AT, message_id="wamid.A") == only_fact(status(StatusKind.SENT))


def test_only_authoritative_codes_become_rejections() -> None:
    """131047 and 131050 become `SendRejected`; 131026 says nothing about the conversation."""
    facts = facts_from_events([status(StatusKind.FAILED, AT, 131047, 131026, 131050)])
    assert [131047, 131050] == [f.fact.code for f in facts]  # type: ignore[union-attr]
    assert () == facts_from_events([status(StatusKind.DELIVERED), status(StatusKind.READ)])


def test_twilio_status_without_time_uses_the_arrival_time() -> None:
    """Twilio callbacks carry no time: the host's `received_at` stands in, or nothing is said."""
    failed = status(StatusKind.UNDELIVERED, None, 63016, provider=Provider.TWILIO)
    assert () == facts_from_events([failed])
    fact = only_fact(failed, received_at=AT)
    assert SendRejected(at=AT, provider=Provider.TWILIO, code=63016, message_id="wamid.A") == fact
    with pytest.raises(NaiveDatetimeError):
        facts_from_events([failed], received_at=datetime(2026, 1, 1))


def test_whatsapp_prefixed_twilio_numbers_are_understood() -> None:
    """`whatsapp:+4915...` addresses name the same business number."""
    event = MessageStatus(
        provider=Provider.TWILIO,
        phone_number_id="whatsapp:+14155550100",
        message_id="SM1",
        status=StatusKind.SENT,
        at=AT,
        recipient_id="whatsapp:+4915123456789",
    )
    (item,) = facts_from_events([event])
    assert PhoneNumberId("14155550100") == item.business
    assert WaId(USER) == item.recipient


def message(**fields: object) -> InboundMessage:
    """An inbound text message."""
    base: dict[str, object] = {
        "provider": Provider.META,
        "phone_number_id": PHONE,
        "message_id": "wamid.M",
        "at": AT,
        "type": "text",
        "wa_id": USER,
    }
    return InboundMessage(**{**base, **fields})  # type: ignore[arg-type]


def test_messages_from_business_scoped_users() -> None:
    """A message with only a business-scoped user id names that user."""
    (item,) = facts_from_events([message(wa_id="", user_id="US.1349")])
    assert BusinessScopedUserId("US.1349") == item.recipient
    assert InboundMessageReceived(at=AT, message_id="wamid.M") == item.fact


def test_marketing_stop_by_text_or_payload() -> None:
    """A configured marketing-stop payload or text records a marketing opt-out."""
    for event in (
        message(button_payload="PROMO_STOP", type="button"),
        message(text="no more offers"),
    ):
        facts = facts_from_events([event], marketing_stop_payloads={"promo_stop", "No more offers"})
        assert OptOutScope.MARKETING == facts[1].fact.scope  # type: ignore[union-attr]


def test_stop_payload_is_a_full_stop() -> None:
    """A button payload listed as a stop keyword stops everything."""
    facts = facts_from_events(
        [message(button_payload="STOP", type="button")], stop_keywords={"stop"}
    )
    assert OptOutReceived(at=AT, scope=OptOutScope.ALL, method="keyword STOP") == facts[1].fact


def test_page_referrals_are_page_entry_points() -> None:
    """A referral from a post is a Facebook Page entry point."""
    from wa_outbound import EntryPoint
    from wa_outbound.webhooks import Referral

    (item,) = facts_from_events([message(referral=Referral(source_type="post", source_id="9"))])
    assert EntryPoint.FACEBOOK_PAGE_BUTTON == item.fact.entry_point  # type: ignore[union-attr]


def reply(**fields: object) -> CallPermissionReply:
    """A call permission reply."""
    base: dict[str, object] = {
        "provider": Provider.META,
        "phone_number_id": PHONE,
        "message_id": "wamid.R",
        "at": AT,
        "wa_id": USER,
        "accepted": True,
    }
    return CallPermissionReply(**{**base, **fields})  # type: ignore[arg-type]


def test_call_permission_replies() -> None:
    """Accept (temporary or permanent) grants, reject rejects; each is also a user message."""
    temporary = facts_from_events([reply(expires_at=AT + timedelta(days=7))])
    assert InboundMessageReceived(at=AT, message_id="wamid.R") == temporary[0].fact
    assert CallPermissionGranted(at=AT, expires_at=AT + timedelta(days=7)) == temporary[1].fact
    assert CallPermissionGranted(at=AT) == facts_from_events([reply(permanent=True)])[1].fact
    assert CallPermissionRejected(at=AT) == facts_from_events([reply(accepted=False)])[1].fact


def test_temporary_grant_without_an_end_gets_the_rules_one() -> None:
    """A temporary grant the platform sent without expiry lasts the rules' 7 days."""
    granted = facts_from_events([reply(expires_at=None)])[1].fact
    assert CallPermissionGranted(at=AT, expires_at=AT + timedelta(days=7)) == granted


def preference(value: str) -> UserPreferenceUpdate:
    """A user_preferences event."""
    return UserPreferenceUpdate(waba_id="1", phone_number_id=PHONE, wa_id=USER, at=AT, value=value)


def test_user_preferences() -> None:
    """Stop and resume become marketing facts; other values say nothing."""
    assert OptOutScope.MARKETING == only_fact(preference("stop")).scope  # type: ignore[attr-defined]
    assert MarketingResumed(at=AT) == only_fact(preference("resume"))
    assert () == facts_from_events([preference("maybe")])


def call(**fields: object) -> CallEvent:
    """A call event from the user."""
    base: dict[str, object] = {
        "waba_id": "1",
        "phone_number_id": PHONE,
        "call_id": "wacid.1",
        "event": "connect",
        "at": AT,
        "wa_id": USER,
        "direction": "USER_INITIATED",
    }
    return CallEvent(**{**base, **fields})  # type: ignore[arg-type]


def test_only_users_connecting_calls_open_the_window() -> None:
    """A user's connected call is an inbound call; our calls and terminations are not."""
    assert InboundCallReceived(at=AT, call_id="wacid.1") == only_fact(call())
    assert () == facts_from_events(
        [call(direction="BUSINESS_INITIATED"), call(event="terminate"), call(at=None)]
    )


def test_events_without_usable_identities_or_meaning() -> None:
    """Bad ids, template/account events and unknown events yield no facts."""
    events = [
        message(phone_number_id="not a number"),
        message(wa_id="", user_id=""),
        message(wa_id="", user_id="has spaces"),
        reply(wa_id="x"),
        preference("stop").__class__(
            waba_id="1", phone_number_id="", wa_id=USER, at=AT, value="stop"
        ),
        status(StatusKind.SENT).__class__(
            provider=Provider.META,
            phone_number_id=PHONE,
            message_id="m",
            status=StatusKind.SENT,
            at=AT,
        ),
        call(wa_id=""),
        AccountUpdate(waba_id="1", at=AT, event="ACCOUNT_RESTRICTION"),
        UnknownEvent(provider=Provider.META, field="flows", reason="unsupported field"),
    ]
    assert () == facts_from_events(events)


# --- delivery -------------------------------------------------------------------------------


def test_status_never_goes_back() -> None:
    """Read stays read when a late delivered arrives; a failure never undoes a delivery."""
    delivery = track_delivery(None, status(StatusKind.SENT))
    delivery = track_delivery(delivery, status(StatusKind.READ, AT + timedelta(seconds=9)))
    late = track_delivery(delivery, status(StatusKind.DELIVERED, AT + timedelta(seconds=5)))
    assert delivery is late
    assert StatusKind.READ == late.status
    delivered = track_delivery(None, status(StatusKind.DELIVERED))
    assert delivered is track_delivery(delivered, status(StatusKind.FAILED, AT, 131026))


def test_failure_after_sent_is_recorded_with_its_errors() -> None:
    """`sent` then `failed` ends failed, with the error codes."""
    delivery = track_delivery(
        track_delivery(None, status(StatusKind.SENT)), status(StatusKind.FAILED, AT, 131049)
    )
    assert StatusKind.FAILED == delivery.status
    assert [131049] == [e.code for e in delivery.errors]


def test_same_status_keeps_the_earliest_time_and_the_tracker() -> None:
    """A repeated status keeps its first instant; the tracking string survives later statuses."""
    first = MessageStatus(
        provider=Provider.META,
        phone_number_id=PHONE,
        message_id="wamid.A",
        status=StatusKind.SENT,
        at=AT,
        biz_opaque_callback_data="job=1",
    )
    delivery = track_delivery(None, first)
    assert delivery is track_delivery(delivery, status(StatusKind.SENT, AT + timedelta(seconds=1)))
    assert delivery is track_delivery(delivery, status(StatusKind.SENT, None))
    earlier = track_delivery(delivery, status(StatusKind.SENT, AT - timedelta(seconds=1)))
    assert AT - timedelta(seconds=1) == earlier.at
    assert "job=1" == earlier.biz_opaque_callback_data
    untimed = track_delivery(None, status(StatusKind.SENT, None))
    assert AT == track_delivery(untimed, status(StatusKind.SENT)).at


def test_a_delivery_tracks_one_message() -> None:
    """Feeding another message's status is refused, naming the field."""
    other = MessageStatus(
        provider=Provider.META,
        phone_number_id=PHONE,
        message_id="wamid.B",
        status=StatusKind.READ,
        at=AT,
    )
    with pytest.raises(InvalidValueError, match=r"event\.message_id"):
        track_delivery(MessageDelivery(message_id="wamid.A", status=StatusKind.SENT), other)


@given(
    st.lists(st.tuples(st.sampled_from(StatusKind), st.integers(0, 100)), min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)
def test_any_delivery_order_ends_at_the_furthest_status(
    history: list[tuple[StatusKind, int]], random: object
) -> None:
    """Whatever the order and duplicates, the result is the furthest status, earliest time."""
    events = [status(kind, AT + timedelta(seconds=s)) for kind, s in history]
    shuffled = list(events)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    delivery = None
    for event in shuffled + shuffled:
        delivery = track_delivery(delivery, event)
    assert delivery is not None
    furthest = max(DELIVERY_RANK[kind] for kind, _ in history)
    assert furthest == DELIVERY_RANK[delivery.status]
    assert min(e.at for e in events if DELIVERY_RANK[e.status] == furthest) == delivery.at  # type: ignore[type-var]


# --- templates and account health -----------------------------------------------------------

from wa_outbound import MessagingLimit, TemplateState  # noqa: E402
from wa_outbound.account import (  # noqa: E402
    AccountRestricted,
    AccountRestrictionLifted,
    AccountViolationReported,
    BusinessVerificationChanged,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    VerificationStatus,
)
from wa_outbound.templates import (  # noqa: E402
    QualityScore,
    TemplateCategoryChanged,
    TemplateQualityChanged,
    TemplateStatus,
    TemplateStatusChanged,
    template_sendable,
)
from wa_outbound.webhooks import (  # noqa: E402
    AccountFactFor,
    BusinessCapabilityUpdate,
    PhoneNumberQualityUpdate,
    TemplateCategoryUpdate,
    TemplateFactFor,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)


def test_template_events_become_template_facts() -> None:
    """Status, quality and category updates become facts for the template they name."""
    events = [
        TemplateStatusUpdate(
            waba_id="1",
            at=AT,
            event="FLAGGED",
            template_id="99",
            template_name="promo",
            language="en_US",
            disable_date=str(int((AT + timedelta(days=7)).timestamp())),
        ),
        TemplateQualityUpdate(
            waba_id="1", at=AT, template_id="99", previous_quality="GREEN", new_quality="RED"
        ),
        TemplateCategoryUpdate(
            waba_id="1",
            at=AT,
            template_id="99",
            new_category="UTILITY",
            correct_category="MARKETING",
            category_update_at=AT + timedelta(days=1),
        ),
    ]
    items = facts_from_events(events)
    assert all(isinstance(i, TemplateFactFor) for i in items)
    flagged, quality, category = (i.fact for i in items)  # type: ignore[union-attr]
    assert (
        TemplateStatusChanged(at=AT, event="FLAGGED", disable_at=AT + timedelta(days=7)) == flagged
    )
    assert (
        TemplateQualityChanged(at=AT, new=QualityScore.RED, previous=QualityScore.GREEN) == quality
    )
    assert (
        TemplateCategoryChanged(
            at=AT,
            new_category="UTILITY",
            correct_category="MARKETING",
            takes_effect_at=AT + timedelta(days=1),
        )
        == category
    )
    assert ("1", "99", "promo", "en_US") == (
        items[0].waba_id,
        items[0].template_id,
        items[0].template_name,
        items[0].language,  # type: ignore[union-attr]
    )


def test_a_paused_template_from_webhooks_is_not_sendable() -> None:
    """A PAUSED webhook, applied through its fact, blocks the template for 3 hours."""
    paused = TemplateStatusUpdate(waba_id="1", at=AT, event="PAUSED", template_id="99")
    state = TemplateState(template_id="99")
    for item in facts_from_events(
        [
            TemplateStatusUpdate(
                waba_id="1", at=AT - timedelta(days=1), event="APPROVED", template_id="99"
            ),
            paused,
        ]
    ):
        state = state.apply(item.fact)  # type: ignore[arg-type]
    assert TemplateStatus.PAUSED == state.status
    decision = template_sendable(state, now=AT + timedelta(hours=1))
    assert not decision.allowed
    assert AT + timedelta(hours=3) == decision.next_change_at


def test_unreadable_template_values_give_no_fact() -> None:
    """An unknown quality score, or a missing time, yields no template fact."""
    events = [
        TemplateQualityUpdate(
            waba_id="1", at=AT, template_id="9", previous_quality="", new_quality="BLUE"
        ),
        TemplateStatusUpdate(waba_id="1", at=None, event="PAUSED", template_id="9"),
    ]
    assert () == facts_from_events(events)
    (item,) = facts_from_events(
        [
            TemplateStatusUpdate(
                waba_id="1", at=AT, event="FLAGGED", template_id="9", disable_date="soon"
            )
        ]
    )
    assert item.fact.disable_at is None  # type: ignore[union-attr]
    (item,) = facts_from_events(
        [
            TemplateQualityUpdate(
                waba_id="1", at=AT, template_id="9", previous_quality="", new_quality="GREEN"
            )
        ]
    )
    assert item.fact.previous is None  # type: ignore[union-attr]
    (item,) = facts_from_events(
        [
            TemplateStatusUpdate(
                waba_id="1", at=AT, event="FLAGGED", template_id="9", disable_date="9" * 30
            )
        ]
    )
    assert item.fact.disable_at is None  # type: ignore[union-attr]


def phone(event: str, **raw: object) -> PhoneNumberQualityUpdate:
    """A phone_number_quality_update event with its raw value."""
    return PhoneNumberQualityUpdate(
        waba_id="1",
        at=AT,
        display_phone_number="15550001111",
        event=event,
        raw={"event": event, **raw},
    )


def account_fact(event: object) -> object:
    """The single account fact an event yields."""
    (item,) = facts_from_events([event])  # type: ignore[list-item]
    assert isinstance(item, AccountFactFor)
    return item.fact


def test_phone_number_quality_updates() -> None:
    """Flagged / unflagged change the status; upgrades change the limit; others say nothing."""
    assert PhoneNumberStatusChanged(at=AT, status=PhoneNumberStatus.FLAGGED) == account_fact(
        phone("FLAGGED")
    )
    assert PhoneNumberStatusChanged(at=AT, status=PhoneNumberStatus.CONNECTED) == account_fact(
        phone("UNFLAGGED")
    )
    upgrade = account_fact(
        phone("UPGRADE", max_daily_conversations_per_business=10000, old_limit="TIER_2K")
    )
    assert (
        MessagingLimitChanged(
            at=AT, limit=MessagingLimit(users=10000), previous=MessagingLimit(users=2000)
        )
        == upgrade
    )
    downgrade = account_fact(phone("DOWNGRADE", current_limit="TIER_1K"))
    assert MessagingLimit(users=1000) == downgrade.limit  # type: ignore[attr-defined]
    assert () == facts_from_events(
        [
            phone("THROUGHPUT_UPGRADE", current_limit="TIER_UNLIMITED"),
            phone("ONBOARDING"),
            phone("UPGRADE"),
            phone("UPGRADE", current_limit="TIER_NOT_SET"),
            phone("UPGRADE", current_limit="TIER_WEIRD"),
        ]
    )


def test_capability_updates_set_the_limit() -> None:
    """The portfolio (or per-phone) limit field sets the limit; -1 means unlimited."""

    def capability(**raw: object) -> BusinessCapabilityUpdate:
        return BusinessCapabilityUpdate(waba_id="1", at=AT, raw=raw)

    assert (
        MessagingLimit.unlimited()
        == account_fact(capability(max_daily_conversations_per_business=-1)).limit
    )  # type: ignore[attr-defined]
    assert (
        MessagingLimit(users=250)
        == account_fact(capability(max_daily_conversation_per_phone=250)).limit
    )  # type: ignore[attr-defined]
    assert () == facts_from_events([capability(max_phone_numbers_per_business=20)])
    assert () == facts_from_events([capability(max_daily_conversations_per_business=[1])])
    assert () == facts_from_events([BusinessCapabilityUpdate(waba_id="1", at=AT, raw="junk")])
    assert () == facts_from_events([BusinessCapabilityUpdate(waba_id="1", at=None)])


def test_account_updates() -> None:
    """Restrictions, their lifting, violations and verification become account facts."""

    def update(event: str, **raw: object) -> AccountUpdate:
        return AccountUpdate(waba_id="1", at=AT, event=event, raw={"event": event, **raw})

    until = int((AT + timedelta(days=1)).timestamp())
    restricted = account_fact(
        update(
            "ACCOUNT_RESTRICTION",
            restriction_info=[
                {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": until},
                {"restriction_type": "RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION"},
                "junk",
            ],
        )
    )
    assert isinstance(restricted, AccountRestricted)
    assert [AT + timedelta(days=1), None] == [r.until for r in restricted.restrictions]
    assert AccountRestrictionLifted(at=AT) == account_fact(
        update("ACCOUNT_RESTRICTION", restriction_info=[])
    )
    assert AccountViolationReported(at=AT, violation_type="SCAM") == account_fact(
        update("ACCOUNT_VIOLATION", violation_info={"violation_type": "SCAM"})
    )
    assert BusinessVerificationChanged(at=AT, status=VerificationStatus.VERIFIED) == account_fact(
        update(
            "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
            partner_client_certification_info={"status": "APPROVED"},
        )
    )
    assert () == facts_from_events(
        [
            update("ACCOUNT_RESTRICTION"),
            update("ACCOUNT_VIOLATION"),
            update(
                "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
                partner_client_certification_info={"status": "DISCARDED"},
            ),
            update("PARTNER_ADDED"),
            update("ACCOUNT_RESTRICTION", restriction_info=[{"restriction_type": ""}]),
        ]
    )
