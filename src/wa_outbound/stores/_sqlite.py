"""`SqliteStore`: the embedded default, one file shared by the processes of one machine.

Theory of operation
-------------------
One SQLite database file in WAL mode (readers never block the writer, and a reader sees the
last committed state). Every write is one transaction opened with `BEGIN IMMEDIATE`, which
takes the database's write lock at once: two processes that commit at the same time are
serialised (the second waits up to `timeout` seconds), and a compare-and-set inside the
transaction sees every earlier commit. A process killed in the middle of a transaction leaves
nothing of it: SQLite rolls the journal back when the file is next opened.

`synchronous=NORMAL` in WAL mode keeps every commit across a crash of the process; after a
power loss, the last commits before it may be lost (never a corrupt file). Pass
`durable=True` for `synchronous=FULL` when that matters more than write speed.

Tables: `documents(kind, id, version, body)`, `events(id, at)` for the webhook events already
processed, and `ledger(scope, recipient, at)` for the messaging-limit ledgers (instants as
integer microseconds since 1970-01-01 UTC). `meta` holds the schema version; a file written by
a newer release is refused, never half-read.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from wa_outbound._errors import InvalidValueError, StoreUnavailable, WriteConflict
from wa_outbound._ledger import LimitScopeKey
from wa_outbound._time import UTC, utc
from wa_outbound.stores._base import (
    Delete,
    StateKey,
    StateKind,
    Stored,
    Write,
    check_events,
    encode_writes,
    recipient_from_text,
    recipient_text,
    scope_text,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    from wa_outbound._ids import Recipient

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

SCHEMA_VERSION: Final = 1
"""The layout of the tables this release writes and reads."""

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    (
        "CREATE TABLE IF NOT EXISTS documents (kind TEXT NOT NULL, id TEXT NOT NULL,"
        " version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))"
    ),
    "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS events_at ON events (at)",
    (
        "CREATE TABLE IF NOT EXISTS ledger (scope TEXT NOT NULL, recipient TEXT NOT NULL,"
        " at INTEGER NOT NULL, PRIMARY KEY (scope, recipient)) WITHOUT ROWID"
    ),
    "CREATE INDEX IF NOT EXISTS ledger_at ON ledger (scope, at)",
)
_CACHE_KIB: Final = 64 * 1024
_CHUNK: Final = 500
"""How many keys one query names (SQLite allows at least 999 placeholders)."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class SqliteStore:
    """A `Store` in one SQLite file, safe for several threads and processes of one machine.

    Example:
        >>> store = SqliteStore(":memory:")
        >>> store.read([])
        {}
        >>> store.close()
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 5.0, durable: bool = False
    ) -> None:
        """Open (or create) the database file at `path`.

        Args:
            path: The file; `":memory:"` for a database private to this object; a
                `file:` URI for SQLite's options (`file:state.db?mode=ro` reads only).
            timeout: How long a write waits for another process's transaction, in seconds.
            durable: Sync every commit to disk (`synchronous=FULL`), surviving a power loss.

        Raises:
            StoreUnavailable: The file cannot be opened or is not this store's database.
        """
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
            raise InvalidValueError("timeout", timeout, "expected a number of seconds >= 0")
        self._name = os.fspath(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self._name,
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=self._name.startswith("file:"),
            )
        except sqlite3.Error as error:
            raise StoreUnavailable(self._name, str(error)) from None
        try:
            self._setup(durable=durable)
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        """Name the file."""
        return f"SqliteStore({self._name!r})"

    @property
    def path(self) -> str:
        """The database file."""
        return self._name

    def _setup(self, *, durable: bool) -> None:
        with self._failing_as_unavailable():
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            # A larger page cache keeps lookups in a file of millions of conversations off
            # the disk (per connection; SQLite's default is 2 MB).
            self._db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        with self._transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            elif row[0] != str(SCHEMA_VERSION):
                raise StoreUnavailable(
                    self._name,
                    f"schema version {row[0]!r}; this release reads version {SCHEMA_VERSION}",
                )

    @contextlib.contextmanager
    def _failing_as_unavailable(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreUnavailable(self._name, str(error)) from None

    @contextlib.contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """One transaction under the thread lock: committed on exit, rolled back on error."""
        with self._lock, self._failing_as_unavailable():
            self._db.execute(f"BEGIN {mode}")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read(self, keys: Collection[StateKey]) -> dict[StateKey, Stored]:
        """Return the stored documents of `keys`, as of one instant; absent keys are left out."""
        for key in keys:
            if not isinstance(key, StateKey):
                raise InvalidValueError("keys", key, "expected StateKey values")
        with self._transaction("DEFERRED") as db:
            found = self._versions(db, keys, with_body=True)
        return {key: Stored.of_text(key, version, body) for key, (version, body) in found.items()}

    @staticmethod
    def _versions(
        db: sqlite3.Connection, keys: Collection[StateKey], *, with_body: bool
    ) -> dict[StateKey, tuple[int, str]]:
        """The stored version (and body) of each key present, a few queries per batch."""
        by_kind: dict[StateKind, dict[str, StateKey]] = {}
        for key in keys:
            by_kind.setdefault(key.kind, {})[key.subject] = key
        columns = "id, version, body" if with_body else "id, version, ''"
        found: dict[StateKey, tuple[int, str]] = {}
        for kind, subjects in by_kind.items():
            listed = list(subjects)
            for start in range(0, len(listed), _CHUNK):
                chunk = listed[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT {columns} FROM documents WHERE kind = ? AND id IN ({marks})",  # noqa: S608 - only placeholders
                    (kind.value, *chunk),
                )
                for subject, version, body in rows:
                    found[subjects[subject]] = (version, body)
        return found

    def commit(
        self,
        writes: Sequence[Write | Delete],
        *,
        events: Collection[str] = (),
        at: datetime | None = None,
    ) -> None:
        """Write (or remove) every document and record every event id in one transaction."""
        ids, when = check_events(events, at)
        encoded = encode_writes(writes)
        micros = _micros(when)
        with self._transaction() as db:
            stored = self._versions(db, [write.key for write, _ in encoded], with_body=False)
            stale = [
                str(write.key)
                for write, _ in encoded
                if stored.get(write.key, (0, ""))[0] != write.expected_version
            ]
            if stale:
                raise WriteConflict(tuple(stale))
            db.executemany(
                "INSERT INTO documents (kind, id, version, body) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version,"
                " body = excluded.body",
                [
                    (write.key.kind.value, write.key.subject, write.expected_version + 1, body)
                    for write, body in encoded
                    if body is not None
                ],
            )
            db.executemany(
                "DELETE FROM documents WHERE kind = ? AND id = ?",
                [
                    (write.key.kind.value, write.key.subject)
                    for write, body in encoded
                    if body is None
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO events (id, at) VALUES (?, ?)",
                [(event, micros) for event in ids],
            )

    def seen(self, events: Collection[str]) -> frozenset[str]:
        """Return which of the event ids were recorded by an earlier commit."""
        listed = list(events)
        found: set[str] = set()
        with self._transaction("DEFERRED") as db:
            for start in range(0, len(listed), _CHUNK):
                chunk = listed[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk)  # noqa: S608 - only placeholders
                found.update(event for (event,) in rows)
        return frozenset(found)

    def keys(self, kind: StateKind, *, prefix: str = "") -> list[StateKey]:
        """Return the keys of `kind` whose subject starts with `prefix`, sorted."""
        if not isinstance(kind, StateKind):
            raise InvalidValueError("kind", kind, "expected a StateKind")
        if not isinstance(prefix, str):
            raise InvalidValueError("prefix", prefix, "expected text")
        with self._transaction("DEFERRED") as db:
            rows = db.execute(
                "SELECT id FROM documents WHERE kind = ? AND substr(id, 1, ?) = ? ORDER BY id",
                (kind.value, len(prefix), prefix),
            ).fetchall()
        return [StateKey(kind, subject) for (subject,) in rows]

    def forget_events(self, before: datetime) -> int:
        """Forget event ids recorded before `before`; return how many."""
        cutoff = _micros(utc("before", before))
        with self._transaction() as db:
            return db.execute("DELETE FROM events WHERE at < ?", (cutoff,)).rowcount

    @contextlib.contextmanager
    def ledger(self, scope: LimitScopeKey, *, write: bool = True) -> Iterator[SqliteLedgerStore]:
        """Hold the ledger of `scope` in one transaction; writing, an exception undoes it all.

        Reading (`write=False`) takes no write lock: other processes keep writing, and this
        view keeps answering as of its start; expiring slots only hides them.
        """
        if not isinstance(scope, LimitScopeKey):
            raise InvalidValueError("scope", scope, "expected a LimitScopeKey")
        if write is not True and write is not False:
            raise InvalidValueError("write", write, "expected a bool")
        with self._transaction("IMMEDIATE" if write else "DEFERRED") as db:
            yield SqliteLedgerStore(db, scope_text(scope), write=write)

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()


class SqliteLedgerStore:
    """The `LedgerStore` of one scope inside an open `SqliteStore` transaction.

    Only `SqliteStore.ledger` makes one; it is valid inside that `with` block. A read-only
    one never writes: `expire` raises the cutoff below which its answers ignore rows.
    """

    def __init__(self, db: sqlite3.Connection, scope: str, *, write: bool = True) -> None:
        """Bind to the transaction's connection and the scope's rows."""
        self._db = db
        self._scope = scope
        self._write = write
        self._cutoff = -(2**63)  # rows at or before it are expired (read-only views)

    def last_counted(self, recipient: Recipient) -> datetime | None:
        """Return the instant `recipient` was last counted, or `None` if it is not kept."""
        row = self._db.execute(
            "SELECT at FROM ledger WHERE scope = ? AND recipient = ? AND at > ?",
            (self._scope, recipient_text(recipient), self._cutoff),
        ).fetchone()
        return None if row is None else _instant(row[0])

    def set_counted(self, recipient: Recipient, at: datetime) -> bool:
        """Keep `recipient` counted at `at`, unless it is kept at a later instant already."""
        if not self._write:
            raise InvalidValueError("ledger", self._scope, "opened to read (write=False)")
        text = recipient_text(recipient)
        micros = _micros(at)
        row = self._db.execute(
            "SELECT at FROM ledger WHERE scope = ? AND recipient = ?", (self._scope, text)
        ).fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO ledger (scope, recipient, at) VALUES (?, ?, ?)",
                (self._scope, text, micros),
            )
            return True
        if micros > row[0]:
            self._db.execute(
                "UPDATE ledger SET at = ? WHERE scope = ? AND recipient = ?",
                (micros, self._scope, text),
            )
        return False

    def expire(self, cutoff: datetime) -> None:
        """Forget every recipient counted at or before `cutoff`."""
        micros = _micros(cutoff)
        if not self._write:
            self._cutoff = max(self._cutoff, micros)
            return
        self._db.execute("DELETE FROM ledger WHERE scope = ? AND at <= ?", (self._scope, micros))

    def oldest(self) -> datetime | None:
        """Return the earliest instant among the recipients kept, or `None` if none is."""
        row = self._db.execute(
            "SELECT MIN(at) FROM ledger WHERE scope = ? AND at > ?", (self._scope, self._cutoff)
        ).fetchone()
        return None if row[0] is None else _instant(row[0])

    def items(self) -> Iterator[tuple[Recipient, datetime]]:
        """Yield every kept `(recipient, instant)`, oldest first."""
        rows = self._db.execute(
            "SELECT recipient, at FROM ledger WHERE scope = ? AND at > ? ORDER BY at",
            (self._scope, self._cutoff),
        ).fetchall()
        return iter(
            [
                (recipient_from_text(text, "ledger.recipient"), _instant(micros))
                for text, micros in rows
            ]
        )

    def __len__(self) -> int:
        """Return how many recipients are kept."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM ledger WHERE scope = ? AND at > ?", (self._scope, self._cutoff)
        )
        return int(row.fetchone()[0])
