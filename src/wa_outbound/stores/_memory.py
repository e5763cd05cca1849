"""`MemoryStore`: the store of one process, for tests, notebooks and single-process services."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Final

from wa_outbound._errors import InvalidValueError, WriteConflict
from wa_outbound._ledger import InMemoryLedgerStore, LedgerStore, LimitScopeKey
from wa_outbound.stores._base import (
    Delete,
    StateKey,
    StateKind,
    Stored,
    Write,
    check_events,
    encode_writes,
    scope_text,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence
    from datetime import datetime

__all__ = ["MemoryStore"]


class MemoryStore:
    """A `Store` in this process's memory, safe to share between threads.

    Documents are kept as JSON text, exactly as `SqliteStore` keeps them, so a value that the
    memory store accepts is one every store accepts, and a document read back is a fresh copy.
    """

    blocking: Final = False
    """Its calls never wait on I/O: the asyncio shells call it directly, not in a thread."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.RLock()
        self._documents: dict[StateKey, tuple[int, str]] = {}
        self._events: dict[str, datetime] = {}
        self._ledgers: dict[str, InMemoryLedgerStore] = {}

    def __repr__(self) -> str:
        """Say how much it holds."""
        return (
            f"MemoryStore({len(self._documents)} documents, {len(self._events)} events,"
            f" {len(self._ledgers)} ledgers)"
        )

    def read(self, keys: Collection[StateKey]) -> dict[StateKey, Stored]:
        """Return the stored documents of `keys`; a key never written is absent."""
        with self._lock:
            found = {key: self._documents[key] for key in keys if key in self._documents}
        return {key: Stored.of_text(key, version, text) for key, (version, text) in found.items()}

    def commit(
        self,
        writes: Sequence[Write | Delete],
        *,
        events: Collection[str] = (),
        at: datetime | None = None,
    ) -> None:
        """Write (or remove) every document and record every event id, or nothing at all."""
        ids, when = check_events(events, at)
        encoded = encode_writes(writes)
        with self._lock:
            stale = tuple(
                str(write.key)
                for write, _ in encoded
                if self._documents.get(write.key, (0, ""))[0] != write.expected_version
            )
            if stale:
                raise WriteConflict(stale)
            for write, text in encoded:
                if text is None:
                    self._documents.pop(write.key, None)
                else:
                    self._documents[write.key] = (write.expected_version + 1, text)
            for event in ids:
                self._events.setdefault(event, when)

    def seen(self, events: Collection[str]) -> frozenset[str]:
        """Return which of the event ids were recorded by an earlier commit."""
        with self._lock:
            return frozenset(event for event in events if event in self._events)

    def keys(self, kind: StateKind, *, prefix: str = "") -> list[StateKey]:
        """Return the keys of `kind` whose subject starts with `prefix`, sorted."""
        if not isinstance(kind, StateKind):
            raise InvalidValueError("kind", kind, "expected a StateKind")
        with self._lock:
            found = [
                key
                for key in self._documents
                if key.kind is kind and key.subject.startswith(prefix)
            ]
        return sorted(found, key=str)

    def forget_events(self, before: datetime) -> int:
        """Forget event ids recorded before `before`; return how many."""
        _, cutoff = check_events((), before)
        with self._lock:
            old = [event for event, at in self._events.items() if at < cutoff]
            for event in old:
                del self._events[event]
        return len(old)

    @contextlib.contextmanager
    def ledger(self, scope: LimitScopeKey, *, write: bool = True) -> Iterator[LedgerStore]:
        """Hold the ledger of `scope` exclusively (other threads wait), to read or to write.

        Reading (`write=False`) may forget slots that have expired, which changes no answer.
        Unlike `SqliteStore`, an exception inside the block does not undo what was recorded
        in it: `LimitLedger` checks every input before it records anything, so only code of
        your own inside the block could fail half-way.
        """
        if not isinstance(scope, LimitScopeKey):
            raise InvalidValueError("scope", scope, "expected a LimitScopeKey")
        if write is not True and write is not False:
            raise InvalidValueError("write", write, "expected a bool")
        name = scope_text(scope)
        with self._lock:
            inner = self._ledgers.get(name)
            if inner is None:
                inner = self._ledgers[name] = InMemoryLedgerStore()
            yield inner

    def close(self) -> None:
        """Nothing to release."""
