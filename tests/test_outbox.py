"""The outbox over time: settled entries forgotten, unsettled ones kept, sends never listing it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import httpx
import pytest

from wa_outbound import InvalidValueError, Provider, SendKind
from wa_outbound.meta import Text
from wa_outbound.sending import ApiError, Outbox, OutboxEntry, OutboxStatus, SendStatus
from wa_outbound.stores import (
    Delete,
    StateKey,
    StateKind,
    Store,
    StoreUnavailable,
    Write,
    WriteConflict,
)
from wa_outbound.webhooks import MessageStatus, StatusKind

from .client_fakes import ANNA, NOW, SHOP, Harness, Platform, accepted, fresh_state, graph_error

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

CUTOFF = NOW - timedelta(days=7)
OLD = NOW - timedelta(days=30)
CYCLE = [
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
    OutboxStatus.ABANDONED,
    OutboxStatus.PENDING,
    OutboxStatus.AMBIGUOUS,
]


def entry(key: str, status: OutboxStatus, updated_at: Any = OLD) -> OutboxEntry:
    """An entry reserved a month ago, in `status` since `updated_at`."""
    return OutboxEntry(
        key=key,
        provider=Provider.META,
        business=SHOP.phone_number_id,
        recipient=ANNA,
        kind=SendKind.FREE_FORM,
        status=status,
        created_at=OLD,
        updated_at=updated_at,
        request={"path": "1/messages", "body": {"type": "text"}},
    )


class Meddling:
    """A store that lets another writer act at chosen moments (and refuses to list outboxes).

    `before_delete` runs once, just before the first commit that removes something;
    `after_keys` runs once, just after a listing; `no_listing` fails any listing of outboxes.
    """

    def __init__(self, inner: Store) -> None:
        """Wrap `inner`."""
        self.inner = inner
        self.before_delete: Callable[[], object] | None = None
        self.after_keys: Callable[[], object] | None = None
        self.no_listing = False

    def __getattr__(self, name: str) -> Any:
        """Everything else is the inner store's."""
        return getattr(self.inner, name)

    def keys(self, kind: StateKind, *, prefix: str = "") -> list[StateKey]:
        """List, then let the other writer act."""
        assert not (self.no_listing and kind is StateKind.OUTBOX), "a send listed the outbox"
        found = self.inner.keys(kind, prefix=prefix)
        hook, self.after_keys = self.after_keys, None
        if hook is not None:
            hook()
        return found

    def commit(self, writes: Sequence[Any], **options: Any) -> None:
        """Let the other writer act before the first removal, then commit."""
        if any(isinstance(write, Delete) for write in writes):
            hook, self.before_delete = self.before_delete, None
            if hook is not None:
                hook()
        self.inner.commit(writes, **options)


def outbox_over(store: Store) -> tuple[Outbox, Meddling]:
    """An outbox over `store`, through a `Meddling` wrapper."""
    meddling = Meddling(store)
    return Outbox(fresh_state(store=meddling)), meddling


def test_forgetting_removes_only_old_settled_entries(store: Store) -> None:
    """Of 1,100 entries, exactly the settled ones last updated before the cutoff go."""
    outbox, _ = outbox_over(store)
    kept = set()
    for number in range(1100):
        status = CYCLE[number % len(CYCLE)]
        updated = OLD if number % 10 else CUTOFF  # at the cutoff: not before it, kept
        outbox.reserve(entry(f"wao-{number:04d}", status, updated))
        if status in {OutboxStatus.PENDING, OutboxStatus.AMBIGUOUS} or updated == CUTOFF:
            kept.add(f"wao-{number:04d}")
    assert (550, 550) == (outbox.forget_settled(before=CUTOFF), len(kept))
    assert sorted(kept) == [key.subject for key in store.keys(StateKind.OUTBOX)]
    assert sorted(kept) == [found.key for found in outbox.entries()]
    assert 0 == outbox.forget_settled(before=CUTOFF)
    assert 440 == len(outbox.overdue(now=NOW, older_than=timedelta(days=1)))


def test_a_late_status_during_forgetting_is_not_lost(store: Store) -> None:
    """An entry a late status settles while it is being forgotten stays; the rest go."""
    outbox, meddling = outbox_over(store)
    outbox.reserve(entry("wao-late", OutboxStatus.ABANDONED))
    outbox.reserve(entry("wao-done", OutboxStatus.SENT))
    late = MessageStatus(
        provider=Provider.META,
        phone_number_id=SHOP.phone_number_id.value,
        message_id="wamid.late",
        status=StatusKind.DELIVERED,
        at=NOW,
        recipient_id=ANNA.value,
        biz_opaque_callback_data="wao-late",
    )
    meddling.before_delete = lambda: outbox.reconcile([late], now=NOW)
    assert 1 == outbox.forget_settled(before=CUTOFF)
    [found] = outbox.entries()
    assert ("wao-late", OutboxStatus.SENT, "wamid.late") == (
        found.key,
        found.status,
        found.message_id,
    )


def test_an_entry_forgotten_by_another_worker_meanwhile_is_skipped(store: Store) -> None:
    """Two workers forgetting at once remove each entry once; the second counts only its own."""
    outbox, meddling = outbox_over(store)
    for key in ("wao-a", "wao-b"):
        outbox.reserve(entry(key, OutboxStatus.SENT))
    other = Outbox(fresh_state(store=store))
    meddling.after_keys = lambda: other.forget_settled(before=CUTOFF)
    assert 0 == outbox.forget_settled(before=CUTOFF)
    assert [] == outbox.entries()


def test_an_update_after_forgetting_finds_nothing(store: Store) -> None:
    """A writer that read an entry before it was forgotten does not bring it back."""
    outbox, meddling = outbox_over(store)
    outbox.reserve(entry("wao-1", OutboxStatus.FAILED))

    def change(found: OutboxEntry) -> OutboxEntry:
        if meddling.before_delete is None:  # first try: forget it under the writer's feet
            meddling.before_delete = lambda: None
            Outbox(fresh_state(store=meddling)).forget_settled(before=CUTOFF)
        return attrs.evolve(found, attempts=found.attempts + 1)

    with pytest.raises(InvalidValueError, match="not in the outbox"):
        outbox.update("wao-1", change)
    assert [] == store.keys(StateKind.OUTBOX)


def test_a_store_naming_keys_it_was_not_given_removes_nothing(store: Store) -> None:
    """A conflict that names none of the batch's keys leaves the batch alone, without looping."""
    outbox, meddling = outbox_over(store)
    outbox.reserve(entry("wao-1", OutboxStatus.SENT))

    def refuse() -> None:
        raise WriteConflict(("outbox/someone-else",))

    meddling.before_delete = refuse
    assert 0 == outbox.forget_settled(before=CUTOFF)
    assert ["wao-1"] == [found.key for found in outbox.entries()]


def test_the_cutoff_must_be_aware() -> None:
    """A naive cutoff is refused by name."""
    outbox, _ = outbox_over(fresh_state().store)
    with pytest.raises(InvalidValueError, match="before"):
        outbox.forget_settled(before=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sends_never_list_the_outbox(store: Store, mode: str) -> None:
    """Sending, failing, timing out, resending and reconciling touch only their own entry."""
    harness = Harness(mode)
    platform = Platform(
        accepted("wamid.1"), graph_error(131026), httpx.ReadTimeout("slow"), accepted("wamid.2")
    )
    meddling = Meddling(store)
    state = fresh_state(store=meddling)
    meddling.no_listing = True
    client = harness.meta(platform, state)
    sent = harness.run(client.send(ANNA, Text("one")))
    with pytest.raises(ApiError):
        harness.run(client.send(ANNA, Text("two")))
    unsure = harness.run(client.send(ANNA, Text("three")))
    again = harness.run(client.resend(unsure.key))
    harness.close()
    assert [SendStatus.SENT, SendStatus.AMBIGUOUS, SendStatus.SENT] == [
        sent.status,
        unsure.status,
        again.status,
    ]
    meddling.no_listing = False
    assert 3 == client.outbox.forget_settled(before=NOW + timedelta(days=1))
    assert [] == client.outbox.entries()


class Counting(Meddling):
    """A `Meddling` store that counts commits and can fail the one that settles an entry."""

    def __init__(self, inner: Store) -> None:
        """Wrap `inner`."""
        super().__init__(inner)
        self.commits = 0
        self.fail_settling = False

    def commit(self, writes: Sequence[Any], **options: Any) -> None:
        """Count, fail if asked to (a settling commit), else commit."""
        self.commits += 1
        settling = any(
            write.key.kind is StateKind.OUTBOX and write.expected_version > 0 for write in writes
        )
        if self.fail_settling and settling:
            raise StoreUnavailable("counting store", "disk full")
        super().commit(writes, **options)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_send_is_recorded_and_settled_in_one_commit(store: Store, mode: str) -> None:
    """Reserving is one commit; recording the send and settling its entry is one more."""
    harness = Harness(mode)
    counting = Counting(store)
    state = fresh_state(store=counting)
    client = harness.meta(Platform(accepted("wamid.1")), state)
    counting.commits = 0
    sent = harness.run(client.send(ANNA, Text("one")))
    harness.close()
    assert (2, OutboxStatus.SENT, "wamid.1") == (
        counting.commits,
        client.outbox.get(sent.key).status,
        client.outbox.get(sent.key).message_id,
    )
    assert NOW == state.conversation(SHOP.phone_number_id, ANNA).last_outbound_at


def test_a_failed_settling_commit_records_nothing(store: Store) -> None:
    """If the settling commit fails, the entry stays open and the state counts no send."""
    counting = Counting(store)
    state = fresh_state(store=counting)
    harness = Harness("sync")
    client = harness.meta(Platform(accepted("wamid.1")), state)
    counting.fail_settling = True
    with pytest.raises(StoreUnavailable, match="disk full"):
        client.send(ANNA, Text("one"))
    [pending] = client.outbox.entries()
    assert OutboxStatus.PENDING == pending.status
    assert state.conversation(SHOP.phone_number_id, ANNA).last_outbound_at is None


def test_an_entry_changed_by_another_writer_is_settled_after_a_read(store: Store) -> None:
    """Settling an entry another outbox changed meanwhile reads it, records, then settles."""
    state = fresh_state(store=store)
    mine, theirs = Outbox(state), Outbox(state)
    reserved = entry("wao-1", OutboxStatus.PENDING, NOW)
    mine.reserve(reserved)
    theirs.update("wao-1", lambda found: attrs.evolve(found, attempts=3))
    done = mine.settle_sent(reserved, message_id="wamid.9", at=NOW, now=NOW + timedelta(1))
    assert (OutboxStatus.SENT, "wamid.9", 3) == (done.status, done.message_id, done.attempts)
    assert done == mine.get("wao-1")
    assert NOW == state.conversation(SHOP.phone_number_id, ANNA).last_outbound_at


def test_settling_an_entry_not_in_the_outbox_is_refused(store: Store) -> None:
    """An entry nobody reserved cannot be settled (the send is still recorded first)."""
    outbox = Outbox(fresh_state(store=store))
    with pytest.raises(InvalidValueError, match="not in the outbox"):
        outbox.settle_sent(entry("wao-2", OutboxStatus.PENDING), message_id="m", at=NOW, now=NOW)


def test_a_stale_write_given_to_record_sent_conflicts_at_once(store: Store) -> None:
    """`record_sent(also=...)` with a write whose version moved: one try, nothing written."""
    counting = Counting(store)
    state = fresh_state(store=counting)
    other = StateKey(StateKind.OUTBOX, "wao-3")
    counting.commits = 0
    with pytest.raises(WriteConflict, match="outbox/wao-3"):
        state.record_sent(
            SHOP.phone_number_id,
            ANNA,
            SendKind.FREE_FORM,
            now=NOW,
            also=[Write(key=other, document={"n": 1}, expected_version=4)],
        )
    assert 1 == counting.commits
    assert state.conversation(SHOP.phone_number_id, ANNA).last_outbound_at is None
    assert {} == store.read([other])


@pytest.mark.parametrize(
    ("also", "field"),
    [
        ("not writes", "also"),
        ({"key": "value"}, "also"),
        ([object()], "also[0]"),
        (
            [
                Write(
                    key=StateKey(StateKind.PACER, "106540352242922"),
                    document={},
                    expected_version=0,
                )
            ],
            "also[0]",
        ),
    ],
)
def test_record_sent_refuses_what_is_not_another_write(also: Any, field: str) -> None:
    """`also` takes only writes of other keys; anything else is refused before any write."""
    state = fresh_state()
    with pytest.raises(InvalidValueError) as raised:
        state.record_sent(SHOP.phone_number_id, ANNA, SendKind.FREE_FORM, now=NOW, also=also)
    assert field == raised.value.field
    assert state.conversation(SHOP.phone_number_id, ANNA).last_outbound_at is None


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "infinity"])
def test_a_request_that_is_not_json_is_refused_before_it_is_reserved(
    store: Store, value: object
) -> None:
    """A body holding NaN or infinity (not JSON) is refused, naming the entry; nothing is kept."""
    outbox = Outbox(fresh_state(store=store))
    bad = attrs.evolve(
        entry("wao-5", OutboxStatus.PENDING), request={"path": "1/messages", "body": {"x": value}}
    )
    with pytest.raises(InvalidValueError, match="outbox/wao-5"):
        outbox.reserve(bad)
    assert outbox.get("wao-5") is None
