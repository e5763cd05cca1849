"""The state façade: webhooks routed to their state once, decisions from the store."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wa_outbound import (
    Conversation,
    InvalidValueError,
    MessagingLimit,
    OptInRecorded,
    PhoneNumberId,
    Reason,
    SendKind,
    StoredDataError,
    WaId,
    rules_at,
    webhooks,
)
from wa_outbound.limits import LimitScopeKey
from wa_outbound.state import (
    AsyncSenderState,
    BusinessNumber,
    SenderState,
    conversation_key,
    event_id,
)
from wa_outbound.stores import (
    MemoryStore,
    SqliteStore,
    StateKey,
    StateKind,
    Store,
    Write,
    WriteConflict,
)
from wa_outbound.templates import TemplateStatus

from . import meta_payloads as p
from .conftest import STORE_KINDS, make_store

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime.fromtimestamp(p.T, tz=timezone.utc)
SHOP = BusinessNumber(
    phone_number_id=PhoneNumberId(p.PHONE_ID),
    waba_id=p.WABA,
    portfolio_id="184512934729183",
    display_phone_number="+1 555-000-1111",
)
ANNA = WaId(p.USER)
BUSINESS = SHOP.phone_number_id


def events_of(*changes: dict[str, Any]) -> tuple[webhooks.Event, ...]:
    """Parse one webhook carrying `changes`."""
    return webhooks.parse_meta_events(p.envelope(p.entry(*changes, time=p.T)))


def inbound(message_id: str, at: int, text: str = "Hi", sender: str = p.USER) -> dict[str, Any]:
    """A messages change with one text message."""
    return p.messages_change(messages=[p.text_message(message_id, at, text, sender)])


@pytest.fixture
def state(store: Store) -> SenderState:
    """A façade for the shop's number, with STOP / START keywords."""
    return SenderState(store, numbers=[SHOP], stop_keywords={"STOP"}, start_keywords={"START"})


def test_a_message_opens_the_window_once(state: SenderState) -> None:
    """An inbound message opens the window; the same webhook again changes nothing."""
    batch = events_of(inbound("wamid.1", p.T))
    received = state.receive(batch, now=NOW)
    assert ["window open for 4915123456789 until 2025-11-26 11:26 UTC"] == [
        str(change) for change in received.changes
    ]
    assert (1, 0) == (received.processed, received.skipped)
    again = state.receive(batch, now=NOW + timedelta(minutes=1))
    assert ((), 0, 1) == (again.changes, again.processed, again.skipped)
    chat = state.conversation(BUSINESS, ANNA)
    assert NOW == chat.last_inbound_message_at


def test_keywords_and_preferences_change_consent(state: SenderState) -> None:
    """STOP opts out, START opts back in, a marketing stop is kept apart."""
    state.receive(events_of(inbound("wamid.1", p.T, "STOP")), now=NOW)
    assert (
        Reason.OPTED_OUT
        in state.decide(
            BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=NOW + timedelta(hours=1)
        ).codes
    )
    received = state.receive(
        events_of(inbound("wamid.2", p.T + 60, "START"), p.USER_PREFERENCES), now=NOW
    )
    said = [str(change) for change in received.changes]
    assert "4915123456789 opted in" in said
    assert "4915123456789 stopped marketing messages" in said
    later = NOW + timedelta(days=3)
    assert (
        Reason.MARKETING_OPTED_OUT
        in state.decide(BUSINESS, ANNA, SendKind.MARKETING_TEMPLATE, now=later).codes
    )
    assert state.decide(BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=later).allowed


def test_template_events_reach_the_decision(state: SenderState) -> None:
    """A paused template blocks its sends until the pause ends."""
    received = state.receive(events_of(p.TEMPLATE_PAUSED), now=NOW)
    assert ["template order_update (en_US) paused until 2025-11-25 14:26 UTC"] == [
        str(change) for change in received.changes
    ]
    template = state.template(BUSINESS, "order_update", "en_US")
    assert template is not None
    assert TemplateStatus.PAUSED is template.status
    state.receive(events_of(inbound("wamid.1", p.T)), now=NOW)
    decision = state.decide(
        BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=NOW, template=("order_update", "en_US")
    )
    assert Reason.TEMPLATE_PAUSED in decision.codes
    unknown = state.decide(
        BUSINESS, ANNA, SendKind.UTILITY_TEMPLATE, now=NOW, template=("never_seen", "en_US")
    )
    assert Reason.TEMPLATE_PAUSED not in unknown.codes


def test_account_events_go_to_their_numbers(state: SenderState) -> None:
    """A number's quality update reaches it by display number; another account's is ignored."""
    received = state.receive(events_of(p.PHONE_QUALITY), now=NOW)
    assert "number 106540352242922 messaging limit 10,000 users" in [
        str(change) for change in received.changes
    ]
    health = state.account(BUSINESS)
    assert health is not None
    assert MessagingLimit(users=10000) == health.messaging_limit
    other = webhooks.parse_meta_events(
        p.envelope({"id": "999", "time": p.T, "changes": [p.CAPABILITY]})
    )
    ignored = state.receive(other, now=NOW)
    assert ["account event for account 999 of no configured number: ignored"] == [
        str(change) for change in ignored.changes
    ]


def test_delivery_statuses_are_tracked(state: SenderState) -> None:
    """Statuses of a message fold into its delivery, whatever their order."""
    later = p.status("wamid.out", "read", p.T + 90)
    earlier = p.status("wamid.out", "delivered", p.T + 30)
    state.receive(events_of(p.messages_change(statuses=[later])), now=NOW)
    state.receive(events_of(p.messages_change(statuses=[earlier])), now=NOW)
    delivery = state.delivery("wamid.out")
    assert delivery is not None
    assert webhooks.StatusKind.READ is delivery.status
    assert state.delivery("wamid.none") is None


def test_the_messaging_limit_counts_recorded_sends(state: SenderState) -> None:
    """With a limit of 2, a third new user must wait; a user already reached may be sent again."""
    limit = {**p.CAPABILITY, "value": {"max_daily_conversations_per_business": 2}}
    state.receive(events_of(limit), now=NOW)
    users = [WaId(f"49151234567{n:02d}") for n in range(3)]
    kind = SendKind.UTILITY_TEMPLATE
    for user in users[:2]:
        assert state.record_sent(BUSINESS, user, kind, now=NOW, message_id="wamid.x")
    assert not state.record_sent(BUSINESS, users[0], kind, now=NOW + timedelta(seconds=10))
    later = NOW + timedelta(seconds=20)
    assert Reason.MESSAGING_LIMIT_REACHED in state.decide(BUSINESS, users[2], kind, now=later).codes
    assert (
        Reason.MESSAGING_LIMIT_REACHED
        not in state.decide(BUSINESS, users[0], kind, now=later).codes
    )
    assert NOW + timedelta(seconds=10) == state.conversation(BUSINESS, users[0]).last_outbound_at


def test_admit_gives_the_last_slot_to_one_worker_only(store: Store) -> None:
    """Eight workers race for three slots: admit hands out exactly three, decide would not."""
    import threading

    workers = [SenderState(store, numbers=[SHOP]) for _ in range(8)]
    limit = {**p.CAPABILITY, "value": {"max_daily_conversations_per_business": 3}}
    workers[0].receive(events_of(limit), now=NOW)
    kind = SendKind.UTILITY_TEMPLATE
    users = [WaId(f"49151234567{n:02d}") for n in range(8)]
    for user in users:
        workers[0].apply(BUSINESS, user, [OptInRecorded(at=NOW, method="form")])
    assert all(workers[0].decide(BUSINESS, user, kind, now=NOW).allowed for user in users)
    start = threading.Barrier(len(workers))
    answers: dict[int, bool] = {}

    def work(index: int) -> None:
        start.wait()
        decision = workers[index].admit(BUSINESS, users[index], kind, now=NOW)
        answers[index] = decision.allowed

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admitted = sorted(i for i, allowed in answers.items() if allowed)
    assert 3 == len(admitted)
    later = NOW + timedelta(seconds=1)
    for index, user in enumerate(users):  # the admitted hold their slot; the others wait
        codes = workers[0].decide(BUSINESS, user, kind, now=later).codes
        assert (index in admitted) is (Reason.MESSAGING_LIMIT_REACHED not in codes)
    for index in admitted:  # recording the admitted sends takes no second slot
        assert not workers[index].record_sent(BUSINESS, users[index], kind, now=later)


def test_admit_takes_no_slot_when_the_send_would_take_none(state: SenderState) -> None:
    """Blocked, inside the window, a call, or no limit known: admit answers as decide."""
    kind = SendKind.UTILITY_TEMPLATE
    users = [WaId(f"49151234567{n:02d}") for n in range(4)]
    for user in users:
        state.apply(BUSINESS, user, [OptInRecorded(at=NOW, method="form")])
    assert state.admit(BUSINESS, users[0], kind, now=NOW) == state.decide(
        BUSINESS, users[0], kind, now=NOW
    )  # no limit known yet: nothing to take
    limit = {**p.CAPABILITY, "value": {"max_daily_conversations_per_business": 1}}
    state.receive(events_of(limit), now=NOW)
    state.receive(events_of(inbound("wamid.in", p.T, sender=users[1].value)), now=NOW)
    assert state.admit(BUSINESS, users[1], SendKind.FREE_FORM, now=NOW).allowed  # window open
    assert state.admit(BUSINESS, users[2], SendKind.CALL, now=NOW).codes  # never allowed here
    assert state.admit(BUSINESS, users[3], kind, now=NOW).allowed  # takes the only slot
    assert Reason.MESSAGING_LIMIT_REACHED in state.admit(BUSINESS, users[0], kind, now=NOW).codes


@pytest.mark.parametrize(
    ("rules", "shared"),
    [(None, True), (rules_at(datetime(2025, 9, 1, tzinfo=timezone.utc)), False)],
)
def test_a_limit_webhook_reaches_every_number_that_shares_the_limit(
    rules: Any,
    shared: bool,  # noqa: FBT001
) -> None:
    """Since 2025-10-07 the portfolio's limit reaches its numbers in another account too."""
    other = BusinessNumber(
        phone_number_id=PhoneNumberId("106540352242999"),
        waba_id="102290129340999",
        portfolio_id=SHOP.portfolio_id,
    )
    elsewhere = BusinessNumber(
        phone_number_id=PhoneNumberId("106540352242777"),
        waba_id="102290129340777",
        portfolio_id="999999999999999",
    )
    state = SenderState(MemoryStore(), numbers=[SHOP, other, elsewhere], rules=rules)
    limit = {**p.CAPABILITY, "value": {"max_daily_conversations_per_business": 2000}}
    state.receive(events_of(limit), now=NOW)
    health = {n.phone_number_id: state.account(n.phone_number_id) for n in state.numbers}
    assert MessagingLimit(users=2000) == health[SHOP.phone_number_id].messaging_limit  # type: ignore[union-attr]
    assert (health[other.phone_number_id] is not None) is shared
    assert health[elsewhere.phone_number_id] is None


def test_bad_calls_are_refused_by_name(state: SenderState) -> None:
    """An unknown number, a bad template pair or kind is refused before anything is read."""
    with pytest.raises(InvalidValueError, match="business"):
        state.decide(PhoneNumberId("1"), ANNA, SendKind.FREE_FORM, now=NOW)
    with pytest.raises(InvalidValueError, match="template"):
        state.decide(BUSINESS, ANNA, SendKind.FREE_FORM, now=NOW, template=("x",))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="kind"):
        state.record_sent(BUSINESS, ANNA, "template", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="numbers"):
        SenderState(MemoryStore(), numbers=[SHOP, SHOP])
    with pytest.raises(InvalidValueError, match="max_attempts"):
        SenderState(MemoryStore(), numbers=[SHOP], max_attempts=0)


def test_a_corrupt_row_names_its_key(tmp_path: Path) -> None:
    """A conversation row that cannot be read names its key; other recipients still answer."""
    path = tmp_path / "s.db"
    state = SenderState(SqliteStore(path), numbers=[SHOP])
    state.receive(events_of(inbound("wamid.1", p.T)), now=NOW)
    other = WaId("4915123450000")
    state.receive(events_of(inbound("wamid.2", p.T, sender=other.value)), now=NOW)
    with sqlite3.connect(path) as db:
        db.execute(
            'UPDATE documents SET body = \'{"format": "wa_outbound.conversation"}\' WHERE id = ?',
            (conversation_key(BUSINESS, ANNA).subject,),
        )
    db.close()
    with pytest.raises(StoredDataError, match="conversation/106540352242922/wa_id:4915123456789"):
        state.conversation(BUSINESS, ANNA)
    assert NOW == state.conversation(BUSINESS, other).last_inbound_message_at


def test_the_async_shell_answers_the_same(tmp_path: Path) -> None:
    """`AsyncSenderState` gives what `SenderState` gives."""
    sync = SenderState(SqliteStore(tmp_path / "s.db"), numbers=[SHOP])
    state = AsyncSenderState(sync)

    async def story() -> tuple[bool, bool]:
        await state.receive(events_of(inbound("wamid.1", p.T)), now=NOW)
        decision = await state.decide(BUSINESS, ANNA, SendKind.FREE_FORM, now=NOW)
        took = await state.record_sent(BUSINESS, ANNA, SendKind.FREE_FORM, now=NOW)
        chat = await state.conversation(BUSINESS, ANNA)
        return decision.allowed, took or chat.last_outbound_at != NOW

    assert (True, False) == asyncio.run(story())


def test_the_async_shell_writes_what_it_is_given_with_the_send(tmp_path: Path) -> None:
    """`AsyncSenderState.record_sent(also=...)` commits the other writes with the send."""
    sync = SenderState(SqliteStore(tmp_path / "s.db"), numbers=[SHOP])
    state = AsyncSenderState(sync)
    note = StateKey(StateKind.OUTBOX, "wao-async")
    write = Write(key=note, document={"n": 1}, expected_version=0)
    asyncio.run(state.record_sent(BUSINESS, ANNA, SendKind.FREE_FORM, now=NOW, also=[write]))
    assert {"n": 1} == sync.store.read([note])[note].document
    assert NOW == sync.conversation(BUSINESS, ANNA).last_outbound_at


# --- the same answers as folding the events in memory ---------------------------------------

MESSAGES = [
    inbound("wamid.a", p.T),
    inbound("wamid.b", p.T + 3600, "STOP"),
    inbound("wamid.c", p.T + 7200, "START"),
    p.USER_PREFERENCES,
    p.messages_change(messages=[p.CALL_PERMISSION_ACCEPT]),
    p.messages_change(messages=[p.AD_MESSAGE]),
    p.USER_CALL,
]


@pytest.mark.parametrize("kind", STORE_KINDS)
@given(order=st.lists(st.integers(0, len(MESSAGES) - 1), min_size=1, max_size=14))
@settings(max_examples=25, deadline=None)
def test_any_order_with_duplicates_gives_the_folded_state(kind: str, order: list[int]) -> None:
    """Delivered in any order, with repeats, the stored conversation is the one folded at once."""
    state = SenderState(
        make_store(kind), numbers=[SHOP], stop_keywords={"STOP"}, start_keywords={"START"}
    )
    for index in order:
        state.receive(events_of(MESSAGES[index]), now=NOW)
    events = [event for index in sorted(set(order)) for event in events_of(MESSAGES[index])]
    facts = webhooks.facts_from_events(events, stop_keywords={"STOP"}, start_keywords={"START"})
    expected = Conversation(business=BUSINESS, recipient=ANNA).apply_all(
        item.fact
        for item in facts
        if isinstance(item, webhooks.ConversationFactFor) and item.recipient == ANNA
    )
    assert expected == state.conversation(BUSINESS, ANNA)
    state.store.close()


def test_event_ids_are_stable() -> None:
    """The same webhook parsed twice gives the same event ids; another gives others."""
    first = [event_id(e) for e in events_of(inbound("wamid.1", p.T))]
    assert first == [event_id(e) for e in events_of(inbound("wamid.1", p.T))]
    assert first != [event_id(e) for e in events_of(inbound("wamid.2", p.T))]


# --- four processes on one file --------------------------------------------------------------


SENT = NOW + timedelta(days=2)  # after every window the workers' messages open has closed


def _worker(path: str, offset: int) -> None:
    """Record a template to 20 overlapping users, then receive a message from each."""
    state = SenderState(SqliteStore(path, timeout=60), numbers=[SHOP], max_attempts=500)
    for n in range(offset, offset + 20):
        user = f"49151230{n:05d}"
        state.record_sent(BUSINESS, WaId(user), SendKind.MARKETING_TEMPLATE, now=SENT)
        state.receive(events_of(inbound(f"wamid.{n}.{offset}", p.T + offset, sender=user)), now=NOW)


def test_four_processes_lose_nothing_and_count_once(tmp_path: Path) -> None:
    """Four processes with overlapping users: no update lost, each user counted once."""
    path = str(tmp_path / "s.db")
    SenderState(SqliteStore(path), numbers=[SHOP]).store.close()
    spawn = multiprocessing.get_context("spawn")
    offsets = (0, 10, 20, 30)
    processes = [spawn.Process(target=_worker, args=(path, offset)) for offset in offsets]
    for process in processes:
        process.start()
    for process in processes:
        process.join(180)
    assert [0, 0, 0, 0] == [process.exitcode for process in processes]
    state = SenderState(SqliteStore(path), numbers=[SHOP])
    for n in range(50):
        chat = state.conversation(BUSINESS, WaId(f"49151230{n:05d}"))
        latest = max(offset for offset in offsets if offset <= n < offset + 20)
        assert (SENT, NOW + timedelta(seconds=latest)) == (
            chat.last_outbound_at,
            chat.last_inbound_message_at,
        )
    scope = LimitScopeKey.under(rules_at(NOW), phone_number=BUSINESS, portfolio=SHOP.portfolio_id)
    with state.store.ledger(scope, write=False) as kept:
        assert 50 == len(kept)


def test_a_lost_compare_and_set_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that loses to another writer is read again and succeeds on the next try."""
    store = MemoryStore()
    state = SenderState(store, numbers=[SHOP])
    real = store.commit
    calls = []

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise WriteConflict(("conversation/x",))
        real(*args, **kwargs)

    monkeypatch.setattr(store, "commit", flaky)
    state.receive(events_of(inbound("wamid.1", p.T)), now=NOW)
    assert 2 == len(calls)
    assert NOW == state.conversation(BUSINESS, ANNA).last_inbound_message_at
    stubborn = SenderState(store, numbers=[SHOP], max_attempts=2)

    def always_late(*_args: Any, **_kwargs: Any) -> None:
        raise WriteConflict(("x",))

    monkeypatch.setattr(store, "commit", always_late)
    with pytest.raises(WriteConflict):
        stubborn.receive(events_of(inbound("wamid.9", p.T)), now=NOW)


# --- what the summaries say ------------------------------------------------------------------


def test_every_kind_of_change_is_said(state: SenderState) -> None:
    """Ads, calls, permissions, quality, categories and restrictions each get their line."""
    first = state.receive(
        events_of(
            p.messages_change(messages=[p.AD_MESSAGE, p.CALL_PERMISSION_ACCEPT]),
            p.TEMPLATE_PAUSED,
            p.CATEGORY_IMPENDING,
            p.PHONE_QUALITY,
        ),
        now=NOW,
    )
    later = state.receive(
        events_of(p.QUALITY_UPDATE, p.ACCOUNT_RESTRICTED, inbound("wamid.z", p.T + 500, "STOP")),
        now=NOW,
    )
    said = [str(change) for change in first.changes + later.changes]
    expected = [
        "window open for 4915123456789 until",
        "call permission of 4915123456789: granted",
        "template order_update (en_US) paused until",
        "template welcome_back (en_US) becomes MARKETING on",
        "number 106540352242922 messaging limit 10,000 users",
        "template order_update (en_US) quality yellow",
        "number 106540352242922 restrictions: 1",
        "4915123456789 opted out of all messages",
    ]
    for text in expected:
        assert any(line.startswith(text) for line in said), (text, said)
    assert not any("unknown" in line or "pending" in line for line in said), said


def test_state_reopens_from_its_store(tmp_path: Path) -> None:
    """`SenderState.from_store` finds the numbers an earlier state recorded."""
    path = tmp_path / "s.db"
    SenderState(SqliteStore(path), numbers=[SHOP]).store.close()
    reopened = SenderState.from_store(SqliteStore(path))
    assert (SHOP,) == reopened.numbers
    assert "106540352242922" in repr(reopened)
    with pytest.raises(InvalidValueError, match="business"):
        reopened.account(PhoneNumberId("1"))


def test_a_corrupt_number_names_its_key(tmp_path: Path) -> None:
    """A recorded number that cannot be read fails by key when the state is reopened."""
    path = tmp_path / "s.db"
    SenderState(SqliteStore(path), numbers=[SHOP]).store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE documents SET body = '{\"waba_id\": 5}' WHERE kind = 'number'")
    db.close()
    with pytest.raises(StoredDataError, match="number/106540352242922"):
        SenderState.from_store(SqliteStore(path))


def test_old_event_ids_are_forgotten(state: SenderState) -> None:
    """Event ids older than the retention are dropped; a webhook that old is folded again."""
    batch = events_of(inbound("wamid.1", p.T))
    state.receive(batch, now=NOW)
    assert 0 == state.forget_old_events(NOW + timedelta(days=6))
    assert 1 == state.forget_old_events(NOW + timedelta(days=8))
    assert 1 == state.receive(batch, now=NOW + timedelta(days=8)).processed


def _die_mid_batch(path: str) -> None:
    """Receive a batch, and get killed after its documents are written, before the commit."""
    import os
    import signal

    store = SqliteStore(path, timeout=30)
    real = store._db

    class KillBeforeCommit:
        """The store's connection, except that recording the events kills the process."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def executemany(self, sql: str, rows: Any) -> Any:
            if "INTO events" in sql:
                os.kill(os.getpid(), signal.SIGKILL)
            return real.executemany(sql, rows)

    store._db = KillBeforeCommit()  # type: ignore[assignment]
    state = SenderState(store, numbers=[SHOP])
    state.receive(events_of(inbound("wamid.1", p.T), p.TEMPLATE_PAUSED), now=NOW)


def test_a_process_killed_mid_batch_leaves_nothing_of_it(tmp_path: Path) -> None:
    """SIGKILL between a batch's writes and its commit: after restart, none of it is there."""
    path = str(tmp_path / "s.db")
    SenderState(SqliteStore(path), numbers=[SHOP]).store.close()
    process = multiprocessing.get_context("spawn").Process(target=_die_mid_batch, args=(path,))
    process.start()
    process.join(60)
    assert -9 == process.exitcode
    state = SenderState(SqliteStore(path), numbers=[SHOP])
    assert state.conversation(BUSINESS, ANNA).last_inbound_message_at is None
    assert state.template(BUSINESS, "order_update", "en_US") is None
    assert 1 == state.receive(events_of(inbound("wamid.1", p.T)), now=NOW).processed


def test_an_echo_from_the_business_app_takes_a_slot_of_the_messaging_limit(
    state: SenderState,
) -> None:
    """A Business app message outside the window takes a ledger slot; inside, it does not."""
    scope = LimitScopeKey.under(rules_at(NOW), phone_number=BUSINESS, portfolio=SHOP.portfolio_id)
    wrote = p.messages_change(messages=[p.text_message("wamid.in", p.T, "hi", "4915100000001")])
    state.receive(events_of(wrote), now=NOW)
    inside = json.loads(json.dumps(p.ECHO))
    inside["value"]["message_echoes"][0] |= {"to": "4915100000001", "id": "wamid.e1"}
    state.receive(events_of(p.ECHO, inside), now=NOW + timedelta(seconds=600))
    with state.store.ledger(scope, write=False) as kept:
        assert 1 == len(kept)
    assert NOW + timedelta(seconds=500) == state.conversation(BUSINESS, ANNA).last_outbound_at
