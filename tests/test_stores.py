"""State stores: versioned documents, compare-and-set, processed events and ledgers, alike."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from wa_outbound import InvalidValueError, LimitScope, WaId, rules_at
from wa_outbound.limits import LimitLedger, LimitScopeKey
from wa_outbound.stores import (
    Delete,
    MemoryStore,
    SqliteStore,
    StateKey,
    StateKind,
    Store,
    Stored,
    StoreUnavailable,
    Write,
    WriteConflict,
)
from wa_outbound.stores._base import plain_write

from . import redis_server
from .conftest import make_store

if TYPE_CHECKING:
    from pathlib import Path

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
SCOPE = LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="184512934729183")
ANNA = StateKey(StateKind.CONVERSATION, "106540352242922/wa_id:4915123456789")
BEN = StateKey(StateKind.CONVERSATION, "106540352242922/wa_id:4915123456790")


def test_absent_keys_are_left_out(store: Store) -> None:
    """Reading keys never written gives nothing, not an empty document."""
    assert {} == store.read([ANNA, BEN])


def test_commit_creates_then_versions_grow(store: Store) -> None:
    """The first write makes version 1; each write with the read version adds one."""
    store.commit([Write(key=ANNA, document={"n": 1}, expected_version=0)])
    first = store.read([ANNA])[ANNA]
    assert (1, {"n": 1}) == (first.version, first.document)
    store.commit([Write(key=ANNA, document={"n": 2}, expected_version=1)])
    assert 2 == store.read([ANNA])[ANNA].version


def test_read_documents_are_copies(store: Store) -> None:
    """Changing a document that was read changes nothing stored."""
    store.commit([Write(key=ANNA, document={"list": [1]}, expected_version=0)])
    store.read([ANNA])[ANNA].document["list"].append(2)
    assert {"list": [1]} == store.read([ANNA])[ANNA].document


def test_a_lost_compare_and_set_writes_nothing(store: Store) -> None:
    """One stale write in a batch refuses the whole batch, naming the stale key."""
    store.commit([Write(key=ANNA, document={"n": 1}, expected_version=0)])
    batch = [
        Write(key=BEN, document={"n": 1}, expected_version=0),
        Write(key=ANNA, document={"n": 9}, expected_version=0),
    ]
    with pytest.raises(WriteConflict, match="conversation/106540352242922") as caught:
        store.commit(batch, events=["wamid.1"], at=T0)
    assert (str(ANNA),) == caught.value.keys
    assert {ANNA} == set(store.read([ANNA, BEN]))
    assert frozenset() == store.seen(["wamid.1"])


def test_a_delete_removes_the_version_it_read(store: Store) -> None:
    """A delete with the read version removes the key, with the other writes of its commit."""
    store.commit([Write(key=k, document={"n": 1}, expected_version=0) for k in (ANNA, BEN)])
    store.commit(
        [
            Delete(key=ANNA, expected_version=1),
            Write(key=BEN, document={"n": 2}, expected_version=1),
        ]
    )
    assert {BEN: (2, {"n": 2})} == {k: (s.version, s.document) for k, s in store.read(KEYS).items()}
    assert [BEN] == store.keys(StateKind.CONVERSATION)
    store.commit([Write(key=ANNA, document={"n": 3}, expected_version=0)])
    assert 1 == store.read([ANNA])[ANNA].version  # absent again: written anew from version 1
    assert [ANNA, BEN] == store.keys(StateKind.CONVERSATION)


def test_a_stale_delete_refuses_the_whole_commit(store: Store) -> None:
    """A delete whose version differs refuses every write and event of its commit, by key."""
    store.commit([Write(key=k, document={"n": 1}, expected_version=0) for k in (ANNA, BEN)])
    store.commit([Write(key=ANNA, document={"n": 2}, expected_version=1)])
    for stale in (1, 0):
        batch: list[Write | Delete] = [
            Write(key=BEN, document={"n": 9}, expected_version=1),
            Delete(key=ANNA, expected_version=stale),
        ]
        with pytest.raises(WriteConflict) as caught:
            store.commit(batch, events=["wamid.1"], at=T0)
        assert (str(ANNA),) == caught.value.keys
    assert {ANNA: 2, BEN: 1} == {k: s.version for k, s in store.read(KEYS).items()}
    assert [ANNA, BEN] == store.keys(StateKind.CONVERSATION)
    assert frozenset() == store.seen(["wamid.1"])


def test_deleting_an_absent_key_expecting_it_absent_changes_nothing(store: Store) -> None:
    """Version 0 says "absent": on an absent key the delete is accepted and removes nothing."""
    store.commit([Delete(key=ANNA, expected_version=0)], events=["wamid.1"], at=T0)
    assert ({}, []) == (store.read([ANNA]), store.keys(StateKind.CONVERSATION))
    assert frozenset({"wamid.1"}) == store.seen(["wamid.1"])
    with pytest.raises(WriteConflict):
        store.commit([Delete(key=ANNA, expected_version=1)])


def test_events_are_recorded_with_the_commit(store: Store) -> None:
    """Event ids committed are seen afterwards; forgetting old ones leaves the newer."""
    store.commit([], events=["wamid.1", "wamid.2"], at=T0)
    store.commit([], events=["wamid.3"], at=T0 + timedelta(days=8))
    assert frozenset({"wamid.1", "wamid.3"}) == store.seen(["wamid.1", "wamid.3", "wamid.9"])
    assert 2 == store.forget_events(T0 + timedelta(days=1))
    assert frozenset({"wamid.3"}) == store.seen(["wamid.1", "wamid.2", "wamid.3"])


def test_events_need_an_instant(store: Store) -> None:
    """Recording events without `at` is refused before anything is written."""
    with pytest.raises(InvalidValueError, match="at"):
        store.commit([Write(key=ANNA, document={}, expected_version=0)], events=["wamid.1"])
    assert {} == store.read([ANNA])


@pytest.mark.parametrize("event", ["", "x" * 513, 5])
def test_bad_event_ids_are_refused(store: Store, event: object) -> None:
    """An empty, overlong or non-text event id is refused by name."""
    with pytest.raises(InvalidValueError, match="events"):
        store.commit([], events=[event], at=T0)  # type: ignore[list-item]


def test_a_commit_takes_only_writes_and_deletes(store: Store) -> None:
    """Anything else in a commit is refused by name before anything is written."""
    with pytest.raises(InvalidValueError, match="expected Write or Delete"):
        store.commit([Write(key=ANNA, document={}, expected_version=0), ANNA])  # type: ignore[list-item]
    assert {} == store.read([ANNA])


@pytest.mark.parametrize("document", [{"s": {1, 2}}, {"t": T0}, {"nan": float("nan")}])
def test_documents_must_be_json(store: Store, document: dict[str, Any]) -> None:
    """A document JSON cannot hold exactly is refused, naming the key; nothing is written."""
    with pytest.raises(InvalidValueError, match="conversation/"):
        store.commit(
            [
                Write(key=BEN, document={}, expected_version=0),
                Write(key=ANNA, document=document, expected_version=0),
            ]
        )
    assert {} == store.read([ANNA, BEN])


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: StateKey("conversation", "x"), "key.kind"),  # type: ignore[arg-type]
        (lambda: StateKey(StateKind.PACER, ""), "key.subject"),
        (lambda: StateKey(StateKind.PACER, "a\nb"), "key.subject"),
        (lambda: Write(key="k", document={}, expected_version=0), "write.key"),  # type: ignore[arg-type]
        (lambda: Write(key=ANNA, document=[], expected_version=0), "write.document"),  # type: ignore[arg-type]
        (lambda: Write(key=ANNA, document={}, expected_version=-1), "write.expected_version"),
        (lambda: Write(key=ANNA, document={}, expected_version=True), "write.expected_version"),
        (lambda: Delete(key="k", expected_version=0), "delete.key"),  # type: ignore[arg-type]
        (lambda: Delete(key=ANNA, expected_version=-1), "delete.expected_version"),
        (lambda: Delete(key=ANNA, expected_version=1.0), "delete.expected_version"),  # type: ignore[arg-type]
    ],
)
def test_bad_keys_and_writes_are_refused(build: Any, field: str) -> None:
    """Keys and writes check their fields when built."""
    with pytest.raises(InvalidValueError, match=field):
        build()


def test_ledger_counts_through_the_store(store: Store) -> None:
    """A `LimitLedger` over a store's ledger counts unique recipients across sections."""
    rules = rules_at(T0)
    for offset, number in enumerate(["4915123456789", "4915123456790", "4915123456789"]):
        with store.ledger(SCOPE) as kept:
            ledger = LimitLedger(scope=SCOPE, rules=rules, store=kept)
            ledger.record(WaId(number), T0 + timedelta(minutes=offset))
    with store.ledger(SCOPE) as kept:
        ledger = LimitLedger(scope=SCOPE, rules=rules, store=kept)
        assert 2 == ledger.opened(T0 + timedelta(hours=1))
        assert T0 + timedelta(minutes=1) == kept.oldest()
        assert T0 + timedelta(minutes=2) == kept.last_counted(WaId("4915123456789"))
        assert 0 == ledger.opened(T0 + timedelta(days=2))
        assert [] == list(kept.items())


def test_ledgers_are_per_scope(store: Store) -> None:
    """Two scopes never see each other's recipients."""
    other = LimitScopeKey(kind=LimitScope.PHONE_NUMBER, graph_id="106540352242922")
    with store.ledger(SCOPE) as kept:
        kept.set_counted(WaId("4915123456789"), T0)
    with store.ledger(other) as kept:
        assert 0 == len(kept)
    with pytest.raises(InvalidValueError, match="scope"):
        store.ledger("portfolio").__enter__()  # type: ignore[arg-type]


def test_sqlite_ledger_section_is_undone_by_an_exception(tmp_path: Path) -> None:
    """An exception inside a SQLite ledger section leaves the ledger as it was."""
    store = SqliteStore(tmp_path / "s.db")

    def record_then_fail() -> None:
        with store.ledger(SCOPE) as kept:
            kept.set_counted(WaId("4915123456789"), T0)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        record_then_fail()
    with store.ledger(SCOPE) as kept:
        assert 0 == len(kept)
    store.close()


# --- the same answers from every store -------------------------------------------------------

KEYS = [ANNA, BEN, StateKey(StateKind.TEMPLATE, "1/winter_sale/en")]


class SameAnswers(RuleBasedStateMachine):
    """Memory, SQLite and Redis stores give the same answer to every commit and read.

    Redis takes part when a server is there (the `redis` tests say why when it is not).
    """

    def __init__(self) -> None:
        """Start every store empty."""
        super().__init__()
        kinds = ["memory", "sqlite"] + (["redis"] if redis_server.available() else [])
        self.stores = [make_store(kind) for kind in kinds]
        self.events: set[str] = set()

    @rule(
        key=st.sampled_from(KEYS),
        value=st.integers(),
        version=st.integers(0, 4),
        event=st.sampled_from(["a", "b", "c"]),
    )
    def commit(self, key: StateKey, value: int, version: int, event: str) -> None:
        """All accept or all refuse the same write."""
        write = [Write(key=key, document={"v": value}, expected_version=version)]
        outcomes = []
        for store in self.stores:
            try:
                store.commit(write, events=[event], at=T0)
                outcomes.append("ok")
            except WriteConflict as error:  # noqa: PERF203 - the outcome is the point
                outcomes.append(str(error))
        assert [outcomes[0]] * len(outcomes) == outcomes

    @rule(key=st.sampled_from(KEYS), version=st.integers(0, 4), write=st.booleans())
    def delete(self, key: StateKey, version: int, write: bool) -> None:  # noqa: FBT001
        """All accept or all refuse the same delete, alone or next to a write of another key."""
        other = next(k for k in KEYS if k != key)
        batch: list[Write | Delete] = [Delete(key=key, expected_version=version)]
        if write:
            found = self.stores[0].read([other]).get(other)
            batch.append(
                Write(key=other, document={"d": 1}, expected_version=found.version if found else 0)
            )
        outcomes = []
        for store in self.stores:
            try:
                store.commit(batch)
                outcomes.append("ok")
            except WriteConflict as error:  # noqa: PERF203 - the outcome is the point
                outcomes.append(str(error))
        assert [outcomes[0]] * len(outcomes) == outcomes

    @rule(number=st.sampled_from(["4915123456789", "4915123456790"]), minutes=st.integers(0, 3000))
    def count(self, number: str, minutes: int) -> None:
        """All ledgers take the same slots."""
        taken = []
        for store in self.stores:
            with store.ledger(SCOPE) as kept:
                ledger = LimitLedger(scope=SCOPE, rules=rules_at(T0), store=kept)
                taken.append(ledger.record(WaId(number), T0 + timedelta(minutes=minutes)))
        assert [taken[0]] * len(taken) == taken

    @invariant()
    def same_documents(self) -> None:
        """All hold the same documents at the same versions, and have seen the same events."""
        first, *others = self.stores
        for other in others:
            assert first.read(KEYS) == other.read(KEYS)
            assert first.seen(["a", "b", "c"]) == other.seen(["a", "b", "c"])
            for kind in (StateKind.CONVERSATION, StateKind.TEMPLATE):
                assert first.keys(kind) == other.keys(kind)
            with first.ledger(SCOPE) as one, other.ledger(SCOPE) as two:
                assert sorted(one.items(), key=str) == sorted(two.items(), key=str)

    def teardown(self) -> None:
        """Close the stores."""
        for store in self.stores:
            store.close()


TestSameAnswers = SameAnswers.TestCase
TestSameAnswers.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)


@given(
    st.dictionaries(
        st.text(),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda c: st.lists(c) | st.dictionaries(st.text(), c),
            max_leaves=8,
        ),
    )
)
@settings(max_examples=50)
def test_documents_round_trip(document: dict[str, Any]) -> None:
    """Any JSON object comes back equal from SQLite."""
    store = SqliteStore(":memory:")
    store.commit([Write(key=ANNA, document=document, expected_version=0)])
    assert document == store.read([ANNA])[ANNA].document
    store.close()


# --- SQLite: files, faults and processes -----------------------------------------------------


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file written by a newer release is refused, naming the version."""
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    db.close()
    with pytest.raises(StoreUnavailable, match="schema version '2'"):
        SqliteStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """Opening a file that is not SQLite fails with the store's error, not sqlite3's."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"not a database at all, " * 100)
    with pytest.raises(StoreUnavailable, match=r"notes\.txt"):
        SqliteStore(path)


def test_a_corrupt_row_names_its_key_and_others_still_load(tmp_path: Path) -> None:
    """A row whose body is not a JSON object fails by key when used; the others read fine."""
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.commit([Write(key=ANNA, document={"n": 1}, expected_version=0)])
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO documents VALUES ('conversation', ?, 1, '[1, 2')", (BEN.subject,))
    db.close()
    from wa_outbound import StoredDataError

    with pytest.raises(StoredDataError, match="conversation/106540352242922/wa_id:4915123456790"):
        _ = store.read([BEN])[BEN].document
    assert {"n": 1} == store.read([ANNA])[ANNA].document
    store.close()


def test_a_read_only_connection_refuses_writes(tmp_path: Path) -> None:
    """A store opened on a read-only URI refuses writes with its own error; nothing is written."""
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    store = SqliteStore(f"file:{path}?mode=ro")
    with pytest.raises(StoreUnavailable, match=r"readonly|read-only"):
        store.commit([Write(key=ANNA, document={}, expected_version=0)])
    store.close()
    assert {} == SqliteStore(path).read([ANNA])


def _bump(path: str, rounds: int) -> None:
    """Add one to a shared counter `rounds` times, retrying each lost compare-and-set."""
    store = SqliteStore(path, timeout=30)
    key = StateKey(StateKind.PACER, "counter")
    for _ in range(rounds):
        while True:
            current = store.read([key]).get(key)
            version, value = (0, 0) if current is None else (current.version, current.document["n"])
            try:
                store.commit([Write(key=key, document={"n": value + 1}, expected_version=version)])
                break
            except WriteConflict:
                continue
    store.close()


def _take_slots(path: str, numbers: list[str]) -> None:
    """Record sends to `numbers` in the shared ledger, one section each."""
    store = SqliteStore(path, timeout=30)
    for number in numbers:
        with store.ledger(SCOPE) as kept:
            LimitLedger(scope=SCOPE, rules=rules_at(T0), store=kept).record(WaId(number), T0)
    store.close()


def _die_inside(path: str) -> None:
    """Start a ledger section, record, then get killed before it ends."""
    store = SqliteStore(path, timeout=30)
    with store.ledger(SCOPE) as kept:
        kept.set_counted(WaId("4915123456789"), T0)
        os.kill(os.getpid(), signal.SIGKILL)


_SPAWN = multiprocessing.get_context("spawn")


def test_four_processes_lose_no_update(tmp_path: Path) -> None:
    """Four processes bumping one counter with compare-and-set end at the exact total."""
    path = str(tmp_path / "s.db")
    SqliteStore(path).close()
    processes = [_SPAWN.Process(target=_bump, args=(path, 25)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [0, 0, 0, 0] == [process.exitcode for process in processes]
    key = StateKey(StateKind.PACER, "counter")
    assert {"n": 100} == SqliteStore(path).read([key])[key].document


def test_four_processes_never_double_count_a_recipient(tmp_path: Path) -> None:
    """Overlapping recipients recorded from four processes hold one slot each."""
    path = str(tmp_path / "s.db")
    SqliteStore(path).close()
    numbers = [f"49151234{n:05d}" for n in range(40)]
    shares = [numbers[i * 8 : i * 8 + 16] for i in range(4)]  # each overlaps the next
    processes = [_SPAWN.Process(target=_take_slots, args=(path, share)) for share in shares]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [0, 0, 0, 0] == [process.exitcode for process in processes]
    with SqliteStore(path).ledger(SCOPE) as kept:
        assert 40 == len(kept)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_process_leaves_nothing_half_done(tmp_path: Path) -> None:
    """A process killed inside a ledger section leaves the ledger as it was."""
    path = str(tmp_path / "s.db")
    SqliteStore(path).close()
    process = _SPAWN.Process(target=_die_inside, args=(path,))
    process.start()
    process.join(60)
    assert -signal.SIGKILL == process.exitcode
    with SqliteStore(path).ledger(SCOPE) as kept:
        assert 0 == len(kept)


def test_keys_list_a_kind_by_prefix(store: Store) -> None:
    """`keys` lists a kind's keys in order, filtered by the start of their subject."""
    pacer = StateKey(StateKind.PACER, "106540352242922")
    store.commit([Write(key=k, document={}, expected_version=0) for k in (BEN, pacer, ANNA)])
    assert [ANNA, BEN] == store.keys(StateKind.CONVERSATION)
    assert [BEN] == store.keys(StateKind.CONVERSATION, prefix=BEN.subject)
    assert [] == store.keys(StateKind.TEMPLATE)
    with pytest.raises(InvalidValueError, match="kind"):
        store.keys("conversation")  # type: ignore[arg-type]


def test_a_read_view_of_a_ledger_never_writes(store: Store) -> None:
    """A ledger opened to read answers as if expired slots were gone, and refuses to record."""
    with store.ledger(SCOPE) as kept:
        kept.set_counted(WaId("4915123456789"), T0)
        kept.set_counted(WaId("4915123456790"), T0 + timedelta(hours=2))
    with store.ledger(SCOPE, write=False) as view:
        ledger = LimitLedger(scope=SCOPE, rules=rules_at(T0), store=view)
        assert 1 == ledger.opened(T0 + timedelta(hours=25))
        assert T0 + timedelta(hours=2) == view.oldest()
        assert view.last_counted(WaId("4915123456789")) is None
        assert [WaId("4915123456790")] == [recipient for recipient, _ in view.items()]
    if not isinstance(store, MemoryStore):
        with store.ledger(SCOPE) as kept:
            assert 2 == len(kept)  # nothing was deleted by the read (memory may tidy up)
    with pytest.raises(InvalidValueError, match="write"):
        store.ledger(SCOPE, write="no").__enter__()  # type: ignore[arg-type]


def test_a_read_view_refuses_to_record(tmp_path: Path) -> None:
    """Recording through a SQLite view opened to read is a usage error."""
    store = SqliteStore(tmp_path / "s.db")
    with store.ledger(SCOPE, write=False) as view, pytest.raises(InvalidValueError, match="read"):
        view.set_counted(WaId("4915123456789"), T0)
    assert "s.db" in repr(store)
    assert store.path.endswith("s.db")
    store.close()


def test_bad_timeouts_are_refused(tmp_path: Path) -> None:
    """A negative or non-numeric timeout is refused before the file is opened."""
    for timeout in (-1, "5", True):
        with pytest.raises(InvalidValueError, match="timeout"):
            SqliteStore(tmp_path / "s.db", timeout=timeout)  # type: ignore[arg-type]
    assert not (tmp_path / "s.db").exists()


def test_memory_store_says_what_it_holds() -> None:
    """The memory store's repr counts documents, events and ledgers."""
    store = MemoryStore()
    store.commit([Write(key=ANNA, document={}, expected_version=0)], events=["e"], at=T0)
    assert "MemoryStore(1 documents, 1 events, 0 ledgers)" == repr(store)


def test_a_durable_store_syncs_every_commit(tmp_path: Path) -> None:
    """`durable=True` opens the file with full sync and still reads and writes."""
    store = SqliteStore(tmp_path / "s.db", durable=True)
    store.commit([Write(key=ANNA, document={"n": 1}, expected_version=0)])
    assert {"n": 1} == store.read([ANNA])[ANNA].document
    store.close()


def test_a_full_database_writes_nothing(tmp_path: Path) -> None:
    """When the file cannot grow, a commit fails with the store's error and writes nothing."""
    store = SqliteStore(tmp_path / "s.db")
    store.commit([Write(key=ANNA, document={"n": 1}, expected_version=0)])
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    big = {"text": "x" * 200_000}
    with pytest.raises(StoreUnavailable, match="full"):
        store.commit(
            [
                Write(key=BEN, document=big, expected_version=0),
                Write(key=ANNA, document={"n": 2}, expected_version=1),
            ],
            events=["wamid.1"],
            at=T0,
        )
    assert {ANNA: {"n": 1}} == {key: s.document for key, s in store.read([ANNA, BEN]).items()}
    assert frozenset() == store.seen(["wamid.1"])
    store.close()


PLAIN_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), PLAIN_JSON, max_size=6))
def test_a_plain_write_holds_what_a_write_holds(document: dict[str, Any]) -> None:
    """A plain document's text (orjson's, when installed) decodes to what `Write.text` does."""
    import json

    plain = plain_write(ANNA, document, 3)
    usual = Write(key=ANNA, document=document, expected_version=3)
    assert (plain.key, plain.document, plain.expected_version) == (ANNA, document, 3)
    assert json.loads(usual.text) == json.loads(plain.text)


def test_a_plain_write_beyond_orjson_is_encoded_as_usual() -> None:
    """An integer beyond 64 bits, which orjson refuses, is written as `Write.text` writes it."""
    document = {"n": 2**70, "text": "ü"}
    assert Write(key=ANNA, document=document, expected_version=0).text == (
        plain_write(ANNA, document, 0).text
    )


def test_a_stored_document_shows_its_text_until_it_is_used() -> None:
    """`repr` of a stored row shows its text, even when it is not JSON; then the document."""
    corrupt = Stored.of_text(ANNA, 2, "[1, 2")
    good = Stored.of_text(ANNA, 1, '{"n":1}')
    assert "Stored(version=2, text='[1, 2')" == repr(corrupt)
    assert {"n": 1} == good.document
    assert "Stored(version=1, document={'n': 1})" == repr(good)
    assert Stored(version=1, document={"n": 1}) == good
    assert good != "not stored"
