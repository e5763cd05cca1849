"""The outbox: every send reserved in the store before its request leaves, and settled after.

Theory of operation
-------------------
Neither Meta's Cloud API nor Twilio's Messages API takes an idempotency key, so a request that
got no answer (a read timeout, a connection dropped after the body was sent, a bare 5xx) may
or may not have delivered its message, and resending it blindly can deliver it twice. So a
client writes an `OutboxEntry` (`PENDING`) under a fresh key before the request leaves, puts
the key in the request where the platform echoes it on status webhooks (Meta's
`biz_opaque_callback_data`; a query parameter of Twilio's `StatusCallback` URL), and settles
the entry when the answer comes:

```text
PENDING ──accepted──────────────▶ SENT
   │  ────refused with a code──▶ FAILED
   └────no answer───────────────▶ AMBIGUOUS ──status webhook with the key──▶ SENT / FAILED
                                      └────────host's policy after a deadline──▶ ABANDONED
                                                                   (or resent: PENDING again)
```

A process that dies between the request and the record leaves the entry `PENDING`: it is
treated as ambiguous (`Outbox.overdue` lists both). Nothing is lost silently.

A send touches only its own entry (`reserve`, `get`, `update`: one key each), so the size of
the outbox never slows a send. Settled entries are kept until the host forgets them
(`Outbox.forget_settled`, a daily job); the maintenance calls that list the outbox (`entries`,
`overdue`, `forget_settled`) read every entry it holds.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import functools
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound import _wire
from wa_outbound._errors import InvalidValueError, StoredDataError, WriteConflict
from wa_outbound._facts import Provider
from wa_outbound._ids import PhoneNumberId, Recipient
from wa_outbound._kinds import SendKind
from wa_outbound._persistence import dump_recipient
from wa_outbound._time import iso_instant, utc
from wa_outbound.stores._base import (
    Delete,
    StateKey,
    StateKind,
    Write,
    documents_of,
    plain_write,
    remove_unchanged,
)
from wa_outbound.webhooks import MessageStatus, StatusKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import timedelta

    from wa_outbound.state import SenderState
    from wa_outbound.stores import Store, Stored

__all__ = ["Outbox", "OutboxEntry", "OutboxStatus", "settle"]

_REMEMBERED: Final = 4096
"""How many unsettled entries an `Outbox` remembers writing (the oldest is forgotten first)."""


class OutboxStatus(enum.Enum):
    """Where a reserved send stands."""

    PENDING = "pending"
    """Reserved; the request is on its way (or the process died before the answer)."""
    SENT = "sent"
    """The platform accepted the message (`message_id` is its id)."""
    AMBIGUOUS = "ambiguous"
    """No answer came back: the message may or may not have gone out. Wait for a status
    webhook carrying the key, or settle it by policy after a deadline."""
    FAILED = "failed"
    """The platform refused it with an error code (`error_code`), or it certainly never left."""
    ABANDONED = "abandoned"
    """The host gave up on an ambiguous send after its deadline (`Outbox.give_up`)."""


_UNSETTLED: Final = frozenset({OutboxStatus.PENDING, OutboxStatus.AMBIGUOUS})
_RESOLVABLE: Final = _UNSETTLED | {OutboxStatus.ABANDONED}
_WENT_OUT: Final = frozenset({StatusKind.SENT, StatusKind.DELIVERED, StatusKind.READ})
_FAILED: Final = frozenset({StatusKind.FAILED, StatusKind.UNDELIVERED})


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """One send, reserved before its request left."""

    key: str
    """The client-generated idempotency key, echoed by the platform on status webhooks."""
    provider: Provider
    """Who the request went to."""
    business: PhoneNumberId
    """The business phone number that sends."""
    recipient: Recipient
    """Who receives."""
    kind: SendKind
    """What is sent (recorded against the conversation once it went out)."""
    status: OutboxStatus
    """Where it stands."""
    created_at: datetime
    """When it was reserved."""
    updated_at: datetime
    """When its status last changed."""
    request: dict[str, Any]
    """What to send again (`path` and `body`) if the host's policy resends it."""
    message_id: str = ""
    """The platform's id of the message, once known."""
    error_code: int | None = None
    """The platform's error code, for `FAILED`."""
    attempts: int = 0
    """How many requests were made for it."""

    @property
    def settled(self) -> bool:
        """Whether its outcome is known (or given up on)."""
        return self.status not in _UNSETTLED


_FORMAT: Final = _wire.StoredFormat(name="wa_outbound.outbox_entry", version=1)
_JSON_LEAVES: Final = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _converter() -> Any:  # noqa: ANN401 - a cattrs converter, imported late
    return _wire.make_converter()


def dump_outbox_entry(entry: OutboxEntry) -> dict[str, Any]:
    """Write an entry as a stored document (with its versioned header)."""
    return _dumped(entry)[0]


def _dumped(entry: OutboxEntry) -> tuple[dict[str, Any], bool]:
    """The entry's document, and whether it is plain JSON (its request was)."""
    try:
        request = _json_object_copy(entry.request)
    except TypeError:  # not plain JSON: the converter writes what it makes of it
        return _generic_dump_outbox_entry(entry), False
    return {
        "format": _FORMAT.name,
        "version": _FORMAT.version,
        "key": entry.key,
        "provider": entry.provider.value,
        "business": entry.business.value,
        "recipient": dump_recipient(entry.recipient),
        "kind": entry.kind.value,
        "status": entry.status.value,
        "created_at": iso_instant(entry.created_at),
        "updated_at": iso_instant(entry.updated_at),
        "request": request,
        "message_id": entry.message_id,
        "error_code": entry.error_code,
        "attempts": entry.attempts,
    }, True


def _entry_write(entry: OutboxEntry, expected_version: int) -> Write:
    """The write of `entry`'s document (orjson-encoded when plain, `plain_write`)."""
    document, plain = _dumped(entry)
    if plain:
        return plain_write(_key(entry.key), document, expected_version)
    return Write(key=_key(entry.key), document=document, expected_version=expected_version)


def _json_copy(value: object) -> object:
    """Return a JSON value copied as the converter copies it (tuples as lists); refuse others.

    The document never shares a list or an object with the entry, so changing one never
    changes the other.

    Raises:
        TypeError: `value` holds something that is not JSON.
    """
    kind = value.__class__
    if kind in _JSON_LEAVES:
        if kind is float and not math.isfinite(value):  # type: ignore[arg-type]
            raise TypeError(value)  # JSON has no NaN: the converter's path refuses it
        return value
    if kind is list or kind is tuple:
        return [_json_copy(item) for item in value]  # type: ignore[attr-defined]
    return _json_object_copy(value)


def _json_object_copy(value: object) -> dict[str, Any]:
    if value.__class__ is not dict:
        raise TypeError(value.__class__)
    return {_json_key(key): _json_copy(item) for key, item in value.items()}


def _json_key(key: object) -> str:
    if key.__class__ is str:
        return key
    raise TypeError(key.__class__)


def _generic_dump_outbox_entry(entry: OutboxEntry) -> dict[str, Any]:
    """`dump_outbox_entry` through the converter (the tests prove both write the same)."""
    data = _wire.header(_FORMAT)
    data.update(_converter().unstructure(entry, OutboxEntry))
    return data


def load_outbox_entry(data: object) -> OutboxEntry:
    """Read back what `dump_outbox_entry` wrote.

    Raises:
        StoredDataError: The document is not an outbox entry this release reads.
    """
    body = _wire.check_header(data, _FORMAT)
    entry: OutboxEntry = _wire.structure(_converter(), body, OutboxEntry, StoredDataError)
    return entry


def _key(key: str) -> StateKey:
    return StateKey(StateKind.OUTBOX, key)


class Outbox:
    """The outbox of a `SenderState`'s store: reserve, settle, reconcile, list what is overdue.

    The clients use it on every send (one entry each, never a listing); a host uses it to
    reconcile status webhooks (`reconcile`), to settle what stays ambiguous past a deadline
    (`overdue`, then `give_up` or the client's `resend`), and to forget settled entries
    (`forget_settled`, a daily job).
    """

    def __init__(self, state: SenderState, *, max_attempts: int = 32) -> None:
        """Keep the outbox in `state`'s store; record sends that turn out sent through it."""
        self.state: Final = state
        """The state whose store holds the outbox."""
        self._attempts = max_attempts
        self._written: collections.OrderedDict[str, tuple[int, OutboxEntry]] = (
            collections.OrderedDict()
        )
        """The unsettled entries this outbox wrote last, with their versions: an update tries
        them first instead of reading (another writer's change makes that commit fail, and the
        update then reads as usual)."""

    @property
    def store(self) -> Store:
        """The store that holds the entries."""
        return self.state.store

    def __repr__(self) -> str:
        """Name the store."""
        return f"Outbox({self.store!r})"

    def reserve(self, entry: OutboxEntry) -> None:
        """Write a new entry; refuse a key already used.

        Raises:
            InvalidValueError: The key is in the outbox already.
        """
        try:
            self.store.commit([_entry_write(entry, 0)])
        except WriteConflict:
            raise InvalidValueError("key", entry.key, "already in the outbox") from None
        self._remember(entry, 1)

    def _remember(self, entry: OutboxEntry, version: int) -> None:
        written = self._written
        if entry.settled:
            written.pop(entry.key, None)
            return
        if len(written) >= _REMEMBERED and entry.key not in written:
            with contextlib.suppress(KeyError):  # another thread emptied it meanwhile
                written.popitem(last=False)  # the oldest: O(1), unlike a dict's
        written[entry.key] = (version, entry)

    def get(self, key: str) -> OutboxEntry | None:
        """Return the entry under `key`, or `None`."""
        stored = self.store.read([_key(key)]).get(_key(key))
        return None if stored is None else _load(key, stored)

    def update(self, key: str, change: Callable[[OutboxEntry], OutboxEntry]) -> OutboxEntry:
        """Apply `change` to the stored entry with compare-and-set, and return the result.

        Raises:
            InvalidValueError: No entry under `key`.
            WriteConflict: Other writers kept winning.
        """
        state_key = _key(key)
        known = self._written.pop(key, None)
        for tries in range(self._attempts):  # pragma: no branch - returns or raises
            if known is not None:
                (version, before), known = known, None
                try:
                    after = change(before)
                except InvalidValueError:
                    continue  # refused the remembered entry: the stored one decides
            else:
                stored = self.store.read([state_key]).get(state_key)
                if stored is None:
                    raise InvalidValueError("key", key, "not in the outbox")
                version = stored.version
                after = change(_load(key, stored))
            try:
                self.store.commit([_entry_write(after, version)])
            except WriteConflict:
                if tries + 1 == self._attempts:
                    raise
            else:
                self._remember(after, version + 1)
                return after
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def entries(self, *statuses: OutboxStatus) -> list[OutboxEntry]:
        """Return the entries in any of `statuses` (every entry when none is given), by key.

        A maintenance call, never made by a send: it lists every key of the outbox and reads
        every entry, settled ones included, so its cost grows with what the outbox holds.
        Keep that small with `forget_settled`.
        """
        found = (entry for _, _, entry in self._listed())
        return [entry for entry in found if not statuses or entry.status in statuses]

    def _listed(self) -> Iterator[tuple[StateKey, int, OutboxEntry]]:
        """Every entry with its key and stored version, by key, read a batch at a time."""
        for key, stored in documents_of(self.store, StateKind.OUTBOX):
            yield key, stored.version, _load(key.subject, stored)

    def overdue(self, *, now: datetime, older_than: timedelta) -> list[OutboxEntry]:
        """Return the unsettled entries (pending or ambiguous) not updated for `older_than`.

        No status webhook came for them: by then the message most likely never went out
        (statuses arrive only for messages the platform accepted). Settle each by policy:
        `give_up`, or the client's `resend`. A maintenance call, like `entries`: it reads
        every entry the outbox holds.
        """
        limit = utc("now", now) - older_than
        return [e for e in self.entries(*_UNSETTLED) if e.updated_at <= limit]

    def forget_settled(self, *, before: datetime) -> int:
        """Remove the settled entries (sent, failed, abandoned) last updated before `before`.

        Pending and ambiguous entries are always kept. Each removal is a compare-and-set on
        the version read: an entry another writer changed meanwhile (a late status webhook,
        a `resend`) is kept, and the next run looks at it again. Run it now and then (a daily
        job, next to `SenderState.forget_old_events`) with a cutoff past the webhook
        redelivery period: a status arriving for a forgotten entry settles nothing, and a
        forgotten abandoned entry can no longer be resent.

        Returns:
            How many entries were removed.
        """
        cutoff = utc("before", before)
        return remove_unchanged(
            self.store,
            (
                Delete(key=key, expected_version=version)
                for key, version, entry in self._listed()
                if entry.settled and entry.updated_at < cutoff
            ),
        )

    def give_up(self, key: str, *, now: datetime) -> OutboxEntry:
        """Mark an unsettled entry `ABANDONED` (a status webhook arriving later still wins).

        Raises:
            InvalidValueError: No entry under `key`, or it is settled already.
        """
        now = utc("now", now)

        def change(entry: OutboxEntry) -> OutboxEntry:
            if entry.settled:
                raise InvalidValueError("key", key, f"already settled ({entry.status.value})")
            return attrs.evolve(entry, status=OutboxStatus.ABANDONED, updated_at=now)

        return self.update(key, change)

    def reconcile(self, events: Iterable[object], *, now: datetime) -> list[OutboxEntry]:
        """Settle unsettled (or abandoned) entries from the status webhooks that carry their key.

        A status `sent`, `delivered` or `read` settles the entry `SENT` and records the send
        in the state (conversation, pacing, messaging limit), as a normal send would have
        been; `failed` or `undelivered` settles it `FAILED` with the first error code. Call it
        with every webhook batch, next to `SenderState.receive`.

        Returns:
            The entries this batch settled.
        """
        now = utc("now", now)
        settled: list[OutboxEntry] = []
        for event in events:
            if not isinstance(event, MessageStatus) or not event.biz_opaque_callback_data:
                continue
            entry = self.get(event.biz_opaque_callback_data)
            if entry is None or entry.status not in _RESOLVABLE:
                continue
            if event.status in _WENT_OUT:
                done = self._settle_sent(entry, event, now)
            elif event.status in _FAILED:
                code = event.errors[0].code if event.errors else None
                done = self.update(entry.key, settle(OutboxStatus.FAILED, now, error_code=code))
            else:
                continue
            settled.append(done)
        return settled

    def _settle_sent(self, entry: OutboxEntry, event: MessageStatus, now: datetime) -> OutboxEntry:
        return self.settle_sent(entry, message_id=event.message_id, at=event.at or now, now=now)

    def settle_sent(
        self,
        entry: OutboxEntry,
        *,
        message_id: str,
        at: datetime,
        now: datetime,
        **changes: Any,  # noqa: ANN401 - fields of an entry
    ) -> OutboxEntry:
        """Record `entry`'s message as sent at `at` in the state, and settle the entry `SENT`.

        Both go in one commit when this outbox wrote the entry last (a send's own entry), so
        the state never counts a send whose entry is still open, nor the reverse. Otherwise
        (another writer changed the entry, or another outbox wrote it) the send is recorded,
        then the entry is read and settled as `update` does.

        Args:
            entry: The entry whose message the platform accepted.
            message_id: The platform's id of the message.
            at: When it was sent (the state's `record_sent` instant).
            now: When the entry is settled (its `updated_at`).
            **changes: Other fields of the settled entry (`attempts`).

        Returns:
            The settled entry.

        Raises:
            InvalidValueError: No entry under its key.
            WriteConflict: Other writers kept winning.
        """
        change = settle(OutboxStatus.SENT, now, message_id=message_id, **changes)
        record = functools.partial(
            self.state.record_sent,
            entry.business,
            entry.recipient,
            entry.kind,
            now=at,
            message_id=message_id,
        )
        known = self._written.get(entry.key)
        after = None
        if known is not None:
            with contextlib.suppress(InvalidValueError):  # the stored entry decides, below
                after = change(known[1])
        if known is not None and after is not None:
            write = _entry_write(after, known[0])
            try:
                record(also=(write,))
            except WriteConflict as conflict:
                if str(write.key) not in conflict.keys:
                    raise
            else:
                self._remember(after, known[0] + 1)
                return after
        record()
        return self.update(entry.key, change)


def settle(
    status: OutboxStatus,
    now: datetime,
    **changes: Any,  # noqa: ANN401 - fields of an entry
) -> Callable[[OutboxEntry], OutboxEntry]:
    """Return the change that gives an entry `status` (and `changes`) at `now`."""

    def change(entry: OutboxEntry) -> OutboxEntry:
        return attrs.evolve(entry, status=status, updated_at=now, **changes)

    return change


def _load(key: str, stored: Stored) -> OutboxEntry:
    try:
        return load_outbox_entry(stored.document)
    except StoredDataError as error:
        raise StoredDataError(f"outbox/{key}: {error.field}", error.value, error.reason) from None
