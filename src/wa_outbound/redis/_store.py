"""`RedisStore`: the `Store` protocol on Redis, for the workers of many machines.

Theory of operation
-------------------
Documents are strings `"<version> <json>"`; `commit` is one Lua script that compares every
expected version and then writes every document and indexes its subject (or removes the
document and its subject from the index), and records the event ids, or writes nothing and
names the stale keys (`WriteConflict`). Reads are one `MGET`.
Documents never expire: a conversation's opt-out must outlive any idle spell. Processed event
ids expire `events_ttl` after the last commit that recorded one (and `forget_events` drops old
ones earlier); a ledger's slots expire with its window.

A ledger's write section (`ledger(scope)`) holds a lease (`SET NX PX`) on the scope, so the
sections of every worker on every machine follow one another, as SQLite's write lock makes
them do on one machine; each write inside it is a script that first checks the lease is still
this section's (a fenced write), so a worker that stalled past its lease writes nothing and
gets `StoreUnavailable`. A worker killed inside a section leaves what it recorded before (each
write is whole) and its lease lapses after `lease` seconds. The hot path needs no section:
`RedisLimitLedger.admit` checks and records in one script.

Every failure of the connection (refused, reset, timed out, a cluster without a master)
becomes `StoreUnavailable`: the caller cannot know what Redis holds, so nothing is decided
from it. Configure the client's `socket_timeout` (or use `RedisStore.from_url`, whose default
is one second) so a stalled server fails fast rather than hanging a worker.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import redis

from wa_outbound._errors import InvalidValueError, StoredDataError, StoreUnavailable, WriteConflict
from wa_outbound._ledger import LimitScopeKey
from wa_outbound._pacing import ThroughputClass
from wa_outbound.redis._keys import (
    COMMIT,
    FENCED_EXPIRE,
    FENCED_SET,
    RELEASE,
    SCHEMA_VERSION,
    checked_name,
    instant,
    micros,
    span,
    text,
    unavailable,
)
from wa_outbound.redis._limits import RedisLimitLedger, RedisPacer
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
    from datetime import datetime

    from wa_outbound._ids import PhoneNumberId, Recipient
    from wa_outbound._rules import Rules

__all__ = ["RedisLedgerStore", "RedisStore"]

_CHUNK: Final = 1000
_MARGIN: Final = timedelta(hours=1)
"""Kept past the window: workers' clocks differ, and a slot must never expire early."""


def _seconds(field: str, value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise InvalidValueError(field, value, "expected a number of seconds > 0")
    return float(value)


class RedisStore:
    """A `Store` on Redis, shared by the workers of every machine that reaches the server.

    ```python
    store = RedisStore.from_url("redis://localhost:6379/0", namespace="184512934729183")
    ```

    Thread-safe (redis-py clients keep a connection pool); each process makes its own.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = "default",
        prefix: str = "wa_outbound",
        fail_open: bool = False,
        lease: float = 10.0,
        wait: float = 10.0,
        events_ttl: timedelta = timedelta(days=8),
        ledger_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        """Keep state through `client` under `prefix` and `namespace`.

        Args:
            client: A redis-py client (`redis.Redis(...)`; a cluster client works when every
                key of a script shares the hash tag, as this store's keys do).
            namespace: Whose documents: one per business portfolio is the natural choice
                (all its documents then share one hash slot). Ledgers and pacers are keyed by
                their own scope, never by namespace, so every namespace shares them.
            prefix: The first part of every key.
            fail_open: Let `limit_ledger(...).admit` and `pacer(...).admit` through, marked
                unverified, when Redis cannot be reached (the default refuses, raising
                `StoreUnavailable`). Reads and commits always raise.
            lease: How long a ledger write section may hold its scope, in seconds.
            wait: How long to wait for another worker's section, in seconds.
            events_ttl: How long processed event ids are kept after the last commit that
                recorded one (at least the provider's redelivery period).
            ledger_ttl: How long an idle ledger is kept (at least the limit's window; an hour
                is added for clock differences).

        Raises:
            InvalidValueError: An argument is out of its domain.
        """
        self.client: Final = client
        """The redis-py client."""
        self.namespace: Final = checked_name("namespace", namespace)
        """Whose documents this store holds."""
        self.prefix: Final = checked_name("prefix", prefix)
        """The first part of every key."""
        if fail_open is not True and fail_open is not False:
            raise InvalidValueError("fail_open", fail_open, "expected a bool")
        self.fail_open: Final = fail_open
        """Whether admissions go through, unverified, when Redis cannot be reached."""
        self._lease = _seconds("lease", lease)
        self._wait = _seconds("wait", wait)
        for field, value in (("events_ttl", events_ttl), ("ledger_ttl", ledger_ttl)):
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise InvalidValueError(field, value, "expected a timedelta > 0")
        self._events_ttl = span(events_ttl) // 1000
        self._ledger_ttl = span(ledger_ttl + _MARGIN) // 1000
        self._base = f"{self.prefix}:v{SCHEMA_VERSION}:{{{self.namespace}}}"
        self._commit = client.register_script(COMMIT)
        self._set = client.register_script(FENCED_SET)
        self._expire = client.register_script(FENCED_EXPIRE)
        self._release = client.register_script(RELEASE)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 1.0, **options: Any) -> RedisStore:  # noqa: ANN401
        """Connect to the Redis at `url`, failing after `timeout` seconds without an answer.

        Args:
            url: `redis://host:port/db`, `rediss://` for TLS, `unix:///path`.
            timeout: Seconds to connect and to wait for each reply.
            **options: The other arguments of `RedisStore`.
        """
        seconds = _seconds("timeout", timeout)
        client = redis.Redis.from_url(url, socket_timeout=seconds, socket_connect_timeout=seconds)
        return cls(client, **options)

    def __repr__(self) -> str:
        """Name the key prefix."""
        return f"RedisStore({self._base!r})"

    def _unavailable(self) -> contextlib.AbstractContextManager[None]:
        return unavailable(repr(self))

    def _document_key(self, key: StateKey) -> str:
        return f"{self._base}:doc:{key.kind.value}:{key.subject}"

    def _index_key(self, kind: StateKind) -> str:
        return f"{self._base}:index:{kind.value}"

    @property
    def _events_key(self) -> str:
        return f"{self._base}:events"

    def read(self, keys: Collection[StateKey]) -> dict[StateKey, Stored]:
        """Return the stored documents of `keys`; a key never written is absent."""
        listed = list(keys)
        for key in listed:
            if not isinstance(key, StateKey):
                raise InvalidValueError("keys", key, "expected StateKey values")
        if not listed:
            return {}
        with self._unavailable():
            values = self.client.mget([self._document_key(key) for key in listed])
        found: dict[StateKey, Stored] = {}
        for key, value in zip(listed, values, strict=True):
            if value is None:
                continue
            version, _, body = text(value).partition(" ")
            if not version.isdigit():
                raise StoredDataError(str(key), text(value)[:80], "expected '<version> <json>'")
            found[key] = Stored.of_text(key, int(version), body)
        return found

    def commit(
        self,
        writes: Sequence[Write | Delete],
        *,
        events: Collection[str] = (),
        at: datetime | None = None,
    ) -> None:
        """Write (or remove) every document and record every event id in one script."""
        ids, when = check_events(events, at)
        encoded = encode_writes(writes)
        if not encoded and not ids:
            return
        kinds = list(dict.fromkeys(write.key.kind for write, _ in encoded))
        keys = [self._document_key(write.key) for write, _ in encoded]
        position = {kind: len(keys) + index + 1 for index, kind in enumerate(kinds)}
        keys += [self._index_key(kind) for kind in kinds]
        keys.append(self._events_key)
        args: list[str | int] = [len(encoded), self._events_ttl, micros(when), len(ids)]
        for write, body in encoded:
            args += [
                write.expected_version,
                "" if body is None else body,
                write.key.subject,
                position[write.key.kind],
            ]
        args += ids
        with self._unavailable():
            stale = self._commit(keys=keys, args=args)
        if stale:
            raise WriteConflict(tuple(str(encoded[int(index) - 1][0].key) for index in stale))

    def seen(self, events: Collection[str]) -> frozenset[str]:
        """Return which of the event ids were recorded by an earlier commit."""
        listed = list(events)
        found: set[str] = set()
        with self._unavailable():
            for start in range(0, len(listed), _CHUNK):
                chunk = listed[start : start + _CHUNK]
                scores = self.client.zmscore(self._events_key, chunk)
                found.update(
                    event for event, score in zip(chunk, scores, strict=True) if score is not None
                )
        return frozenset(found)

    def keys(self, kind: StateKind, *, prefix: str = "") -> list[StateKey]:
        """Return the keys of `kind` whose subject starts with `prefix`, sorted."""
        if not isinstance(kind, StateKind):
            raise InvalidValueError("kind", kind, "expected a StateKind")
        if not isinstance(prefix, str):
            raise InvalidValueError("prefix", prefix, "expected text")
        low: str | bytes = f"[{prefix}" if prefix else "-"
        high: str | bytes = b"[" + prefix.encode() + b"\xff" if prefix else "+"
        with self._unavailable():
            subjects = self.client.zrangebylex(self._index_key(kind), low, high)
        return [StateKey(kind, text(subject)) for subject in subjects]

    def forget_events(self, before: datetime) -> int:
        """Forget event ids recorded before `before`; return how many."""
        _, cutoff = check_events((), before)
        with self._unavailable():
            return int(self.client.zremrangebyscore(self._events_key, "-inf", f"({micros(cutoff)}"))

    def ledger_key(self, scope: LimitScopeKey) -> str:
        """Return the key of the sorted set that holds the ledger of `scope`."""
        return f"{self.prefix}:v{SCHEMA_VERSION}:{{{scope_text(scope)}}}:ledger"

    @contextlib.contextmanager
    def ledger(self, scope: LimitScopeKey, *, write: bool = True) -> Iterator[RedisLedgerStore]:
        """Hold the ledger of `scope`: to write under a lease every worker respects, or to read.

        Writing, the section waits up to `wait` seconds for another worker's, then holds the
        scope for at most `lease` seconds; a write after the lease lapsed raises
        `StoreUnavailable`. As with `MemoryStore`, an exception inside the block does not undo
        what was recorded in it. Reading takes no lease and sees each answer as of its own
        command (not one snapshot); expiring slots only hides them.

        Raises:
            StoreUnavailable: Redis cannot be reached, or the scope stayed held too long.
        """
        if not isinstance(scope, LimitScopeKey):
            raise InvalidValueError("scope", scope, "expected a LimitScopeKey")
        if write is not True and write is not False:
            raise InvalidValueError("write", write, "expected a bool")
        key = self.ledger_key(scope)
        if not write:
            yield RedisLedgerStore(self, key, token=None)
            return
        lock = f"{key}:lock"
        token = secrets.token_hex(16)
        self._acquire(lock, token)
        try:
            yield RedisLedgerStore(self, key, token=token)
        finally:
            with self._unavailable():
                self._release(keys=[lock], args=[token])

    def _acquire(self, lock: str, token: str) -> None:
        deadline = time.monotonic() + self._wait
        pause = 0.0005
        with self._unavailable():
            while not self.client.set(lock, token, nx=True, px=int(self._lease * 1000)):
                if time.monotonic() > deadline:
                    raise StoreUnavailable(
                        repr(self), f"{lock} stayed held for more than {self._wait} s"
                    )
                time.sleep(pause)
                pause = min(pause * 2, 0.02)

    def limit_ledger(self, scope: LimitScopeKey, *, rules: Rules) -> RedisLimitLedger:
        """Return the shared ledger of `scope`, whose `admit` checks and records in one script."""
        return RedisLimitLedger(
            self.client, scope=scope, rules=rules, prefix=self.prefix, fail_open=self.fail_open
        )

    def pacer(
        self,
        business: PhoneNumberId,
        *,
        rules: Rules,
        throughput_class: ThroughputClass = ThroughputClass.DEFAULT,
        throughput_burst: int = 1,
    ) -> RedisPacer:
        """Return the shared pacer of `business` (see `RedisPacer`)."""
        return RedisPacer(
            self.client,
            business=business,
            rules=rules,
            throughput_class=throughput_class,
            throughput_burst=throughput_burst,
            prefix=self.prefix,
            fail_open=self.fail_open,
        )

    def close(self) -> None:
        """Close the client's connections."""
        with self._unavailable():
            self.client.close()


class RedisLedgerStore:
    """The `LedgerStore` of one scope in Redis: a sorted set, recipient -> instant counted.

    Only `RedisStore.ledger` makes one; it is valid inside that `with` block. Each call is one
    command or script. A read-only one never writes: `expire` raises the cutoff below which
    its answers ignore members.
    """

    def __init__(self, store: RedisStore, key: str, *, token: str | None) -> None:
        """Bind to the store, the ledger's key and the section's lease (`None`: read only)."""
        self._store = store
        self._client = store.client
        self._key = key
        self._token = token
        self._floor: int | None = None  # read only: members at or before it are expired

    def __repr__(self) -> str:
        """Name the key."""
        return f"RedisLedgerStore({self._key!r}, write={self._token is not None})"

    def _unavailable(self) -> contextlib.AbstractContextManager[None]:
        return unavailable(repr(self._store))

    def _fenced(self, script: Any, *args: str | int) -> Any:  # noqa: ANN401 - a script's reply
        if self._token is None:
            raise InvalidValueError("ledger", self._key, "opened to read (write=False)")
        with self._unavailable():
            return script(keys=[self._key, f"{self._key}:lock"], args=[self._token, *args])

    def last_counted(self, recipient: Recipient) -> datetime | None:
        """Return the instant `recipient` was last counted, or `None` if it is not kept."""
        with self._unavailable():
            score = self._client.zscore(self._key, recipient_text(recipient))
        if score is None or (self._floor is not None and score <= self._floor):
            return None
        return instant(score)

    def set_counted(self, recipient: Recipient, at: datetime) -> bool:
        """Keep `recipient` counted at `at`, unless it is kept at a later instant already."""
        added = self._fenced(
            self._store._set,  # noqa: SLF001 - the store's own script
            recipient_text(recipient),
            micros(at),
            self._store._ledger_ttl,  # noqa: SLF001
        )
        return bool(added)

    def expire(self, cutoff: datetime) -> None:
        """Forget every recipient counted at or before `cutoff`."""
        if self._token is None:
            floor = micros(cutoff)
            self._floor = floor if self._floor is None else max(self._floor, floor)
            return
        self._fenced(self._store._expire, micros(cutoff))  # noqa: SLF001

    @property
    def _low(self) -> str:
        """The lowest score the answers include (exclusive of the read view's cutoff)."""
        return "-inf" if self._floor is None else f"({self._floor}"

    def oldest(self) -> datetime | None:
        """Return the earliest instant among the recipients kept, or `None` if none is."""
        with self._unavailable():
            found = self._client.zrangebyscore(
                self._key, self._low, "+inf", start=0, num=1, withscores=True
            )
        return instant(found[0][1]) if found else None

    def items(self) -> Iterator[tuple[Recipient, datetime]]:
        """Yield every kept `(recipient, instant)`, oldest first."""
        with self._unavailable():
            found: list[Any] = self._client.zrangebyscore(
                self._key, self._low, "+inf", withscores=True
            )
        return iter(
            [
                (recipient_from_text(text(member), "ledger.recipient"), instant(score))
                for member, score in found
            ]
        )

    def __len__(self) -> int:
        """Return how many recipients are kept."""
        with self._unavailable():
            return int(self._client.zcount(self._key, self._low, "+inf"))
