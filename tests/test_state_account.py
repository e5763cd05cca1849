"""Account facts the host learns itself (`SenderState.apply_account`): the health, `decide`."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wa_outbound import (
    InboundMessageReceived,
    InvalidValueError,
    OptInRecorded,
    PhoneNumberId,
    Reason,
    SendKind,
    WaId,
)
from wa_outbound.account import (
    AccountFact,
    AccountHealth,
    AccountRestricted,
    DirectSendAccessChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
    Restriction,
    RestrictionType,
    dump_account_health,
)
from wa_outbound.state import AsyncSenderState, BusinessNumber, SenderState, account_key
from wa_outbound.stores import MemoryStore, Store, Write, WriteConflict
from wa_outbound.testing import account_facts, instants
from wa_outbound.webhooks import AccountFactFor

from . import meta_payloads as p

NOW = datetime(2026, 11, 25, 11, 26, 40, tzinfo=timezone.utc)  # Direct Send is offered
PORTFOLIO = "184512934729183"
SHOP = BusinessNumber(
    phone_number_id=PhoneNumberId(p.PHONE_ID),
    waba_id=p.WABA,
    portfolio_id=PORTFOLIO,
    display_phone_number="+1 555-000-1111",
)
TWIN = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242923"),
    waba_id=p.WABA,
    portfolio_id=PORTFOLIO,
    display_phone_number="+1 555-000-2222",
)
SISTER = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242924"),
    waba_id="102290129340399",
    portfolio_id=PORTFOLIO,
)
STRANGER = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242925"),
    waba_id="102290129340400",
    portfolio_id="184512934729999",
)
BUSINESS = SHOP.phone_number_id
ANNA = WaId(p.USER)
ENABLED = DirectSendAccessChanged(at=NOW - timedelta(hours=2), enabled=True)


@pytest.fixture
def state(store: Store) -> SenderState:
    """A façade for four numbers: two of the shop's account, one of its portfolio, a stranger."""
    return SenderState(store, numbers=[SHOP, TWIN, SISTER, STRANGER])


def opted_in(state: SenderState) -> None:
    """Anna opted in to the shop's messages a day before `NOW`."""
    state.apply(BUSINESS, ANNA, [OptInRecorded(at=NOW - timedelta(days=1), method="web form")])


def test_direct_send_follows_the_recorded_eligibility(state: SenderState) -> None:
    """Nothing stored or enabled=False blocks Direct Send; enabled=True allows it."""
    opted_in(state)
    unknown = state.decide(BUSINESS, ANNA, SendKind.DIRECT_SEND, now=NOW)
    assert (Reason.DIRECT_SEND_NOT_ENABLED,) == unknown.codes
    assert "Direct Send is not enabled for this account" in unknown.reasons[0].message
    health = state.apply_account(BUSINESS, [ENABLED])
    assert (True, ENABLED.at) == (health.direct_send, health.direct_send_at)
    assert state.decide(BUSINESS, ANNA, SendKind.DIRECT_SEND, now=NOW).allowed
    blocked = DirectSendAccessChanged(at=NOW - timedelta(hours=1), enabled=False)
    state.apply_account(BUSINESS, [blocked])
    later = state.decide(BUSINESS, ANNA, SendKind.DIRECT_SEND, now=NOW)
    assert (Reason.DIRECT_SEND_NOT_ENABLED,) == later.codes
    assert "Direct Send is blocked for this account" in later.reasons[0].message


def test_a_late_free_form_message_is_offered_direct_send_once_eligible(
    state: SenderState,
) -> None:
    """After the window closed, free-form suggests a template, then Direct Send once enabled."""
    opted_in(state)
    wrote = InboundMessageReceived(at=NOW - timedelta(days=2), message_id="wamid.in1")
    state.apply(BUSINESS, ANNA, [wrote])
    before = state.decide(BUSINESS, ANNA, SendKind.FREE_FORM, now=NOW)
    state.apply_account(BUSINESS, [ENABLED])
    after = state.decide(BUSINESS, ANNA, SendKind.FREE_FORM, now=NOW)
    assert ("send_template", "use_direct_send") == (before.instead.value, after.instead.value)


def test_account_wide_facts_reach_every_number_of_the_account(state: SenderState) -> None:
    """Direct Send and restrictions reach both numbers of the account, not the others."""
    restricted = AccountRestricted(
        at=NOW - timedelta(hours=1),
        restrictions=(
            Restriction(restriction_type=RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING),
        ),
    )
    state.apply_account(BUSINESS, [ENABLED, restricted])
    for number in (SHOP, TWIN):
        health = state.account(number.phone_number_id)
        assert health is not None
        assert (True, restricted.restrictions) == (health.direct_send, health.restrictions)
        assert number.phone_number_id == health.phone_number_id
    assert None is state.account(SISTER.phone_number_id)
    assert None is state.account(STRANGER.phone_number_id)


def test_a_number_fact_reaches_only_its_number(state: SenderState) -> None:
    """A quality rating and a phone status change the number they were read for, alone."""
    facts = [
        QualityRatingChanged(at=NOW, rating=QualityRating.YELLOW),
        PhoneNumberStatusChanged(at=NOW, status=PhoneNumberStatus.FLAGGED),
    ]
    health = state.apply_account(BUSINESS, facts)
    assert (QualityRating.YELLOW, PhoneNumberStatus.FLAGGED) == (
        health.quality_rating,
        health.phone_status,
    )
    assert [None, None, None] == [
        state.account(n.phone_number_id) for n in (TWIN, SISTER, STRANGER)
    ]


def test_a_messaging_limit_reaches_the_numbers_that_share_it(state: SenderState) -> None:
    """Today the portfolio's numbers share the limit; before 2025-10-07 each number had its own."""
    today = MessagingLimitChanged(at=NOW, limit=MessagingLimit(users=2000))
    state.apply_account(BUSINESS, [today])
    limits = [state.account(n.phone_number_id) for n in (SHOP, TWIN, SISTER, STRANGER)]
    assert [2000, 2000, 2000, None] == [h.messaging_limit.users if h else None for h in limits]
    old = MessagingLimitChanged(
        at=datetime(2025, 9, 1, tzinfo=timezone.utc), limit=MessagingLimit(users=1000)
    )
    fresh = SenderState(MemoryStore(), numbers=[SHOP, TWIN])
    fresh.apply_account(BUSINESS, [old])
    assert None is fresh.account(TWIN.phone_number_id)
    assert MessagingLimit(users=1000) == fresh.account(BUSINESS).messaging_limit  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        (
            [ENABLED, OptInRecorded(at=NOW, method="web form")],
            "facts[1]",
            "conversation fact: apply it with SenderState.apply",
        ),
        (
            [AccountFactFor(waba_id=p.WABA, display_phone_number="", fact=ENABLED)],
            "facts[0]",
            "pass its .fact",
        ),
        ([ENABLED, "DIRECT_SEND"], "facts[1]", "expected an account fact"),
        ("DIRECT_SEND", "facts", "expected a collection"),
        (ENABLED, "facts", "expected a collection"),
    ],
)
def test_anything_but_account_facts_is_refused_and_nothing_written(
    state: SenderState, facts: Any, field: str, words: str
) -> None:
    """A conversation fact, a wrapper or text is refused by position; no health is written."""
    with pytest.raises(InvalidValueError) as refused:
        state.apply_account(BUSINESS, facts)
    assert field == refused.value.field
    assert words in refused.value.reason
    assert None is state.account(BUSINESS)


def test_an_unknown_number_is_refused(state: SenderState) -> None:
    """A number the state does not hold is named in the error."""
    with pytest.raises(InvalidValueError) as refused:
        state.apply_account(PhoneNumberId("999"), [ENABLED])
    assert "business" == refused.value.field


def test_the_same_facts_twice_write_nothing_more() -> None:
    """A second application leaves every stored version as it was."""
    store = MemoryStore()
    state = SenderState(store, numbers=[SHOP, TWIN])
    keys = [account_key(n.phone_number_id) for n in (SHOP, TWIN)]
    first = state.apply_account(BUSINESS, [ENABLED])
    versions = {key: found.version for key, found in store.read(keys).items()}
    assert first == state.apply_account(BUSINESS, [ENABLED])
    assert versions == {key: found.version for key, found in store.read(keys).items()}
    assert first == state.apply_account(BUSINESS, [])


def test_a_lost_compare_and_set_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that loses to another writer is retried from a fresh read, applied once."""
    store = MemoryStore()
    state = SenderState(store, numbers=[SHOP])
    real = store.commit
    calls = []

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            other = AccountHealth(phone_number_id=BUSINESS).apply(
                QualityRatingChanged(at=NOW, rating=QualityRating.RED)
            )
            real([_write(store, other)])
            raise WriteConflict((str(account_key(BUSINESS)),))
        real(*args, **kwargs)

    monkeypatch.setattr(store, "commit", flaky)
    health = state.apply_account(BUSINESS, [ENABLED])
    assert (True, QualityRating.RED) == (health.direct_send, health.quality_rating)
    assert health == state.account(BUSINESS)


def _write(store: MemoryStore, health: AccountHealth) -> Write:
    """The write another worker makes: the health, over whatever is stored."""
    key = account_key(BUSINESS)
    found = store.read([key]).get(key)
    return Write(
        key=key,
        document=dump_account_health(health),
        expected_version=0 if found is None else found.version,
    )


def test_the_async_shell_applies_the_same() -> None:
    """`AsyncSenderState.apply_account` gives what `SenderState.apply_account` gives."""
    sync = SenderState(MemoryStore(), numbers=[SHOP])
    state = AsyncSenderState(sync)
    health = asyncio.run(state.apply_account(BUSINESS, iter([ENABLED])))
    assert health == sync.account(BUSINESS)
    assert health.direct_send is True
    with pytest.raises(InvalidValueError, match=r"facts\[0\]"):
        asyncio.run(state.apply_account(BUSINESS, [OptInRecorded(at=NOW, method="form")]))


@given(st.lists(account_facts(instants(NOW - timedelta(days=30))), max_size=8), st.randoms())
@settings(max_examples=40, deadline=None)
def test_the_stored_health_is_the_folded_health_in_any_batching(
    facts: list[AccountFact], shuffle: Any
) -> None:
    """Applied in any order and batching, the stored health is the facts folded in memory."""
    state = SenderState(MemoryStore(), numbers=[SHOP])
    order = list(facts)
    shuffle.shuffle(order)
    middle = len(order) // 2
    state.apply_account(BUSINESS, order[:middle])
    stored = state.apply_account(BUSINESS, order[middle:])
    assert AccountHealth(phone_number_id=BUSINESS).apply_all(facts) == stored


def test_a_reported_unknown_status_blocks_until_a_known_one(state: SenderState) -> None:
    """Never reported, a status takes no part; reported UNKNOWN blocks; CONNECTED clears it."""
    opted_in(state)
    assert state.decide(BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=NOW).allowed
    unknown = PhoneNumberStatusChanged(
        at=NOW - timedelta(hours=1), status=PhoneNumberStatus.UNKNOWN
    )
    state.apply_account(BUSINESS, [unknown])
    blocked = state.decide(BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=NOW)
    assert ((Reason.NUMBER_UNAVAILABLE,), "fix_account") == (blocked.codes, blocked.instead.value)
    assert "UNKNOWN as reported" in blocked.reasons[0].message
    connected = PhoneNumberStatusChanged(at=NOW, status=PhoneNumberStatus.CONNECTED)
    state.apply_account(BUSINESS, [connected])
    assert state.decide(BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=NOW).allowed
