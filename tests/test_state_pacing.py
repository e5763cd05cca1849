"""The state façade's pacing: answers as one in-memory `Pacer`, stored in small documents.

The number's throughput bucket has one document, each recipient's pair rate another; pacers
stored whole by older releases still read.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wa_outbound import (
    OptInRecorded,
    PhoneNumberId,
    SendKind,
    StoredDataError,
    WaId,
    decide,
    rules_at,
)
from wa_outbound.limits import Pacer, ThroughputClass, dump_pacer
from wa_outbound.state import (
    AsyncSenderState,
    BusinessNumber,
    SenderState,
    pacer_key,
    pair_rate_key,
)
from wa_outbound.stores import MemoryStore, StateKey, StateKind, Store, Stored, Write

from .conftest import STORE_KINDS, T0, make_store

SHOP = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242922"),
    waba_id="102290129340398",
    portfolio_id="184512934729183",
)
BUSINESS = SHOP.phone_number_id
USERS = tuple(WaId(f"4915123456{index:03d}") for index in range(4))
RULES = rules_at(T0)


def _stored(store: Store, key: StateKey) -> dict[str, object] | None:
    found = store.read([key]).get(key)
    return None if found is None else found.document


def _same_as_reference(state: SenderState, reference: Pacer, user: WaId, now: datetime) -> None:
    """The state's decision for `user` at `now` is the core's with the reference pacer."""
    kind = SendKind.UTILITY_TEMPLATE
    expected = decide(
        state.conversation(BUSINESS, user), kind, now=now, rules=RULES, pacer=reference
    )
    assert expected.reasons == state.decide(BUSINESS, user, kind, now=now).reasons


@settings(max_examples=60)
@given(
    sends=st.lists(
        st.tuples(st.sampled_from(USERS), st.integers(min_value=0, max_value=400)),
        min_size=1,
        max_size=120,
    ),
    asked=st.sampled_from(USERS),
)
def test_the_stored_pacing_answers_as_one_pacer(sends: list[tuple[WaId, int]], asked: WaId) -> None:
    """Bursts to a few users (the pair rate) and to all (the throughput): the same answers."""
    state = SenderState(MemoryStore(), numbers=[SHOP], rules=RULES)
    reference = Pacer(business=BUSINESS, rules=RULES)
    now = T0
    for user, gap in sends:
        now += timedelta(milliseconds=gap)
        state.record_sent(BUSINESS, user, SendKind.UTILITY_TEMPLATE, now=now)
        reference.admit(user, now)
        _same_as_reference(state, reference, user, now)
    _same_as_reference(state, reference, asked, now + timedelta(milliseconds=1))
    _same_as_reference(state, reference, asked, now + timedelta(seconds=7))


@pytest.mark.parametrize("store", STORE_KINDS, indirect=True)
def test_a_send_writes_its_pair_rate_apart_from_the_throughput(store: Store) -> None:
    """The pacer's document holds no recipient; each recipient's bucket has its own."""
    state = SenderState(store, numbers=[SHOP], rules=RULES)
    for offset, user in enumerate(USERS):
        state.record_sent(BUSINESS, user, SendKind.UTILITY_TEMPLATE, now=T0 + timedelta(offset))
    pacer = _stored(store, pacer_key(BUSINESS))
    assert pacer is not None
    assert [] == pacer["pair_tats"]
    for offset, user in enumerate(USERS):
        pair = _stored(store, pair_rate_key(BUSINESS, user))
        assert pair is not None
        assert (T0 + timedelta(offset) + RULES.pair_rate_interval.value).isoformat().replace(
            "+00:00", "Z"
        ) == pair["tat"]
    assert len(USERS) == len(store.keys(StateKind.PAIR_RATE))


@pytest.mark.parametrize("store", STORE_KINDS, indirect=True)
def test_a_pacer_stored_whole_by_an_older_release_still_paces(store: Store) -> None:
    """Pair-rate buckets kept in the pacer's document count, and move out one send at a time."""
    legacy = Pacer(business=BUSINESS, rules=RULES)
    anna, ben, cleo = USERS[:3]
    for index in range(45):  # Anna's burst is spent; Ben and Cleo got one message each
        legacy.admit(anna, T0 + timedelta(milliseconds=index))
    legacy.admit(ben, T0 + timedelta(milliseconds=50))
    legacy.admit(cleo, T0 + timedelta(milliseconds=60))
    store.commit([Write(key=pacer_key(BUSINESS), document=dump_pacer(legacy), expected_version=0)])
    state = SenderState(store, numbers=[SHOP], rules=RULES)
    reference = Pacer(business=BUSINESS, rules=RULES)
    for index in range(45):
        reference.admit(anna, T0 + timedelta(milliseconds=index))
    reference.admit(ben, T0 + timedelta(milliseconds=50))
    reference.admit(cleo, T0 + timedelta(milliseconds=60))

    later = T0 + timedelta(seconds=1)
    _same_as_reference(state, reference, anna, later)
    assert state.decide(BUSINESS, anna, SendKind.UTILITY_TEMPLATE, now=later).codes

    state.record_sent(BUSINESS, ben, SendKind.UTILITY_TEMPLATE, now=later)
    reference.admit(ben, later)
    pacer = _stored(store, pacer_key(BUSINESS))
    assert pacer is not None
    assert [anna.value, cleo.value] == sorted(str(pair["wa_id"]) for pair in pacer["pair_tats"])  # type: ignore[attr-defined]
    for user in (anna, ben, cleo):
        _same_as_reference(state, reference, user, later)

    much_later = T0 + timedelta(minutes=10)  # every old bucket is full again: none is kept
    state.record_sent(BUSINESS, cleo, SendKind.UTILITY_TEMPLATE, now=much_later)
    pacer = _stored(store, pacer_key(BUSINESS))
    assert pacer is not None
    assert [] == pacer["pair_tats"]


def test_a_change_made_by_another_worker_is_read_again() -> None:
    """Two façades over one store: what one writes, the other's next decision sees."""
    store = MemoryStore()
    first = SenderState(store, numbers=[SHOP], rules=RULES)
    second = SenderState(store, numbers=[SHOP], rules=RULES)
    anna = USERS[0]
    kind = SendKind.MARKETING_TEMPLATE
    assert first.decide(BUSINESS, anna, kind, now=T0).codes  # no opt-in yet
    second.apply(BUSINESS, anna, [OptInRecorded(at=T0, method="form")])
    assert () == first.decide(BUSINESS, anna, kind, now=T0 + timedelta(seconds=1)).codes
    for index in range(45):
        second.record_sent(BUSINESS, anna, kind, now=T0 + timedelta(seconds=2, milliseconds=index))
    assert first.decide(BUSINESS, anna, kind, now=T0 + timedelta(seconds=3)).codes  # paced


def test_the_memo_of_loaded_values_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its bound the oldest loaded value is dropped; answers stay those of the store."""
    from wa_outbound.state import _sender

    monkeypatch.setattr(_sender, "_MEMO_SIZE", 3)
    state = SenderState(MemoryStore(), numbers=[SHOP], rules=RULES)
    reference = Pacer(business=BUSINESS, rules=RULES)
    for index, user in enumerate(USERS * 2):
        now = T0 + timedelta(seconds=index)
        state.record_sent(BUSINESS, user, SendKind.UTILITY_TEMPLATE, now=now)
        reference.admit(user, now)
        _same_as_reference(state, reference, user, now)
    assert 3 == len(state._memo._values)  # the bound itself


@pytest.mark.parametrize("store", STORE_KINDS, indirect=True)
def test_idle_pair_rate_buckets_are_forgotten_without_changing_an_answer(store: Store) -> None:
    """Buckets full before the cutoff go; recent ones stay; every answer stays the same."""
    state = SenderState(store, numbers=[SHOP], rules=RULES)
    anna, ben, cleo, _ = USERS  # the fourth is never messaged
    for index in range(3):
        state.record_sent(
            BUSINESS, anna, SendKind.UTILITY_TEMPLATE, now=T0 + timedelta(seconds=index)
        )
    state.record_sent(BUSINESS, ben, SendKind.UTILITY_TEMPLATE, now=T0 + timedelta(hours=2))
    late = T0 + timedelta(hours=3)
    for index in range(45):  # Cleo's burst is spent at `late`: her bucket is far from full
        state.record_sent(
            BUSINESS, cleo, SendKind.UTILITY_TEMPLATE, now=late + timedelta(milliseconds=index)
        )
    asked = late + timedelta(seconds=1)
    before = {u: state.decide(BUSINESS, u, SendKind.UTILITY_TEMPLATE, now=asked) for u in USERS}
    assert 2 == state.forget_idle_pair_rates(before=late)  # Anna's and Ben's
    assert [pair_rate_key(BUSINESS, cleo)] == store.keys(StateKind.PAIR_RATE)
    after = {u: state.decide(BUSINESS, u, SendKind.UTILITY_TEMPLATE, now=asked) for u in USERS}
    assert before == after
    assert after[cleo].codes  # still paced
    assert 0 == state.forget_idle_pair_rates(before=late)


def test_a_damaged_bucket_stops_the_forgetting_before_anything_goes() -> None:
    """A bucket that cannot be read is named, and no bucket is removed."""
    store = MemoryStore()
    state = SenderState(store, numbers=[SHOP], rules=RULES)
    for user in USERS[:2]:
        state.record_sent(BUSINESS, user, SendKind.UTILITY_TEMPLATE, now=T0)
    key = pair_rate_key(BUSINESS, USERS[1])
    stored = store.read([key])[key]
    document = {**stored.document, "tat": 7}
    store.commit([Write(key=key, document=document, expected_version=stored.version)])
    with pytest.raises(StoredDataError, match="pair_rate/"):
        state.forget_idle_pair_rates(before=T0 + timedelta(days=1))
    assert 2 == len(store.keys(StateKind.PAIR_RATE))


def test_a_stored_pair_rate_bucket_that_is_not_one_is_named() -> None:
    """A damaged pair-rate document names its key and field."""
    store = MemoryStore()
    state = SenderState(store, numbers=[SHOP], rules=RULES)
    state.record_sent(BUSINESS, USERS[0], SendKind.UTILITY_TEMPLATE, now=T0)
    key = pair_rate_key(BUSINESS, USERS[0])
    stored = store.read([key])[key]
    document = {**stored.document, "tat": "soon"}
    store.commit([Write(key=key, document=document, expected_version=stored.version)])
    with pytest.raises(
        StoredDataError, match=r"pair_rate/106540352242922/wa_id:4915123456000: tat='soon'"
    ):
        state.decide(BUSINESS, USERS[0], SendKind.UTILITY_TEMPLATE, now=T0)


class _ThreadedMemory(MemoryStore):
    """A memory store that says it may wait, and notes which thread reads it."""

    def __init__(self, *, blocking: bool) -> None:
        super().__init__()
        self.blocking = blocking  # type: ignore[misc]  # MemoryStore's is a Final class attribute
        self.readers: set[int] = set()

    def read(self, keys: object) -> dict[StateKey, Stored]:
        self.readers.add(threading.get_ident())
        return super().read(keys)  # type: ignore[arg-type]


@pytest.mark.parametrize("blocking", [True, False])
def test_the_async_shell_calls_a_store_that_never_waits_on_the_loop(blocking: bool) -> None:  # noqa: FBT001
    """A store with `blocking = False` is called on the event loop; others in a thread."""
    import asyncio

    store = _ThreadedMemory(blocking=blocking)
    state = AsyncSenderState(SenderState(store, numbers=[SHOP], rules=RULES))
    store.readers.clear()  # the façade read its numbers on this thread while being built

    async def ask() -> int:
        decided = await state.decide(BUSINESS, USERS[0], SendKind.UTILITY_TEMPLATE, now=T0)
        admitted = await state.admit(BUSINESS, USERS[0], SendKind.UTILITY_TEMPLATE, now=T0)
        assert decided == admitted
        return threading.get_ident()

    loop_thread = asyncio.run(ask())
    assert (loop_thread in store.readers) is not blocking


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_store_on_disk_says_it_may_wait(kind: str) -> None:
    """Only the memory store is called directly by the asyncio shells."""
    from wa_outbound.stores._base import blocks

    store = make_store(kind)
    assert blocks(store)
    assert not blocks(MemoryStore())
    store.close()


def test_the_throughput_class_of_the_number_paces_the_stored_sends() -> None:
    """An upgraded number's stored pacer spaces messages by its own throughput."""
    upgraded = BusinessNumber(
        phone_number_id=BUSINESS,
        waba_id=SHOP.waba_id,
        portfolio_id=SHOP.portfolio_id,
        throughput_class=ThroughputClass.UPGRADED,
    )
    state = SenderState(MemoryStore(), numbers=[upgraded], rules=RULES)
    reference = Pacer(business=BUSINESS, rules=RULES, throughput_class=ThroughputClass.UPGRADED)
    for index, user in enumerate(USERS * 3):
        now = T0 + timedelta(microseconds=200 * index)
        state.record_sent(BUSINESS, user, SendKind.UTILITY_TEMPLATE, now=now)
        reference.admit(user, now)
        _same_as_reference(state, reference, USERS[(index + 1) % len(USERS)], now)
