"""Messaging-limit ledger: how many unique recipients a scope has reached in the moving window.

Theory of operation
-------------------
Meta's messaging limit is "the maximum number of unique WhatsApp user phone numbers your
business can deliver messages to, outside of a customer service window, within a moving
24-hour period" (Meta "Messaging limits"; the length is `Rules.messaging_limit_window`). It is
counted per business phone number under the 2023 rules and per business portfolio since
2025-10-07 (`Rules.messaging_limit_scope`); sends through Twilio count against the same limit.
Replies inside an open customer service window do not count.

So a recipient is *counted* at `t` when it was last sent a business-initiated message outside a
service window at `t`, and it keeps its slot while `now - window < t`: at `t + window` the slot
is free again. A second send within the window moves `t` forward but uses no second slot, so
the number of counted recipients at `now` is exactly the number of unique recipients reached in
`(now - window, now]`. That number is all the limit needs: a send may go out when it uses no
new slot, or when a slot remains.

`LimitLedger` holds that counting logic and nothing else: no clock (every question takes
`now`), no I/O. The state lives behind the small `LedgerStore` protocol, the only stateful,
high-volume object of the core. Its operations are those of a sorted set keyed by recipient
with the counted instant as score (add-if-later, score of, drop up to a score, lowest score,
size), so a Redis store (`ZADD GT`, `ZSCORE`, `ZREMRANGEBYSCORE`, `ZRANGE 0 0`, `ZCARD`) can
follow. `InMemoryLedgerStore` keeps a dict plus an append-ordered deque with lazy deletion,
which makes recording, counting and the next release O(1) amortised when sends are recorded in
time order (the common case); see its docstring for the out-of-order case and the memory bound.

Trade-offs, chosen on purpose:

* The ledger counts *sends*, Meta counts *deliveries*: an undelivered message still holds its
  slot here. Counting more than the platform does is the safe direction.
* A `now` earlier than the latest one the ledger has seen is taken as that latest instant, as
  in `Pacer`: workers' clocks jitter, and once a recipient has expired it cannot be counted again
  for an earlier instant.
* A send may be recorded late (`at` before `now`, e.g. from a Twilio status callback); a send
  more than `FUTURE_TOLERANCE` after `now` is refused, because it would hold a slot for a
  message that has not been sent yet.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from wa_outbound import _wire
from wa_outbound._account import MessagingLimit
from wa_outbound._errors import InvalidValueError, StoredDataError, expect
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._rules import LimitScope, Rules
from wa_outbound._time import UTC, iso_instant, utc

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "FUTURE_TOLERANCE",
    "LEDGER_FORMAT",
    "LEDGER_VERSION",
    "InMemoryLedgerStore",
    "LedgerStore",
    "LimitLedger",
    "LimitScopeKey",
    "dump_ledger",
    "load_ledger",
]

FUTURE_TOLERANCE: Final = timedelta(seconds=10)
"""How far after `now` a recorded send may be: clock skew between workers, not a platform rule."""
LEDGER_FORMAT: Final = "wa_outbound.limit_ledger"
"""The `format` header of a stored ledger."""
LEDGER_VERSION: Final = 1
"""The `version` header of a stored ledger."""
_STORED: Final = _wire.StoredFormat(name=LEDGER_FORMAT, version=LEDGER_VERSION)  # 1 is the first

_SCOPE_ID: Final = re.compile(r"[0-9]{1,32}")
_RECIPIENT_TYPES: Final = (WaId, BusinessScopedUserId)


@attrs.frozen(kw_only=True)
class LimitScopeKey:
    """What one ledger counts for: a business phone number (2023 rules) or a business portfolio.

    Build it with `LimitScopeKey.under(rules, ...)`, which picks the scope the rules say.
    """

    kind: LimitScope = attrs.field()
    """Whether the limit is a phone number's or a business portfolio's."""
    graph_id: str = attrs.field()
    """The Graph API id of the phone number or of the business portfolio (digits)."""

    @kind.validator
    def _check_kind(self, _attribute: object, value: object) -> None:
        if not isinstance(value, LimitScope):
            raise InvalidValueError("scope.kind", value, "expected a LimitScope")

    @graph_id.validator
    def _check_id(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or _SCOPE_ID.fullmatch(value) is None:
            raise InvalidValueError("scope.graph_id", value, "expected a numeric Graph API id")

    @classmethod
    def under(cls, rules: Rules, *, phone_number: PhoneNumberId, portfolio: str) -> LimitScopeKey:
        """Return the scope whose limit a send from `phone_number` uses under `rules`.

        Args:
            rules: The rules in force; their `messaging_limit_scope` decides.
            phone_number: The business phone number that sends.
            portfolio: The Graph API id of the business portfolio that owns the number.

        Raises:
            InvalidValueError: An id is malformed.
        """
        if rules.messaging_limit_scope.value is LimitScope.PHONE_NUMBER:
            return cls(kind=LimitScope.PHONE_NUMBER, graph_id=str(phone_number))
        return cls(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id=portfolio)


class LedgerStore(Protocol):
    """Where a ledger keeps, per recipient, the instant it was last counted.

    A sorted set keyed by recipient, the instant as its score. Stores never judge: the ledger
    validates every input and computes every cutoff before calling them.
    """

    def last_counted(self, recipient: Recipient) -> datetime | None:
        """Return the instant `recipient` was last counted, or `None` if it is not kept."""
        ...

    def set_counted(self, recipient: Recipient, at: datetime) -> bool:
        """Keep `recipient` counted at `at`, unless it is kept at a later instant already.

        Returns:
            Whether `recipient` was not kept before (it now takes a new slot).
        """
        ...

    def expire(self, cutoff: datetime) -> None:
        """Forget every recipient counted at or before `cutoff`."""
        ...

    def oldest(self) -> datetime | None:
        """Return the earliest instant among the recipients kept, or `None` if none is."""
        ...

    def items(self) -> Iterator[tuple[Recipient, datetime]]:
        """Yield every kept `(recipient, instant)`, in no particular order."""
        ...

    def __len__(self) -> int:
        """Return how many recipients are kept."""
        ...


class InMemoryLedgerStore:
    """A `LedgerStore` in one process's memory: a dict plus an ordered queue with lazy deletion.

    The dict maps each kept recipient to its instant. Every kept recipient also has exactly one
    entry `(instant, recipient)` in either the queue (a deque, appended in time order) or a
    small heap (entries that arrived out of order), and that entry's instant is never later
    than the dict's. A later send to a kept recipient only updates the dict; when its stale
    entry reaches the front, it moves to the heap at its current instant. So:

    * recording in time order is O(1); a recipient recorded earlier than the newest entry, or
      re-sent before its entry reached the front, costs one O(log n) heap push;
    * `expire` and `oldest` are O(1) amortised (plus those heap operations);
    * memory holds one dict item and one entry per kept recipient: about 110 bytes each
      (see `benchmarks/bench_ledger.py`), bounded by the recipients inside the window once
      `expire` has run.

    Not thread-safe: keep one per worker, or guard it with a lock.
    """

    __slots__ = ("_heap", "_queue", "_seq", "_times")

    def __init__(self) -> None:
        """Build an empty store."""
        self._times: dict[Recipient, datetime] = {}
        self._queue: deque[tuple[datetime, Recipient]] = deque()
        self._heap: list[tuple[datetime, int, Recipient]] = []
        self._seq = itertools.count()

    def last_counted(self, recipient: Recipient) -> datetime | None:
        """Return the instant `recipient` was last counted, or `None` if it is not kept."""
        return self._times.get(recipient)

    def set_counted(self, recipient: Recipient, at: datetime) -> bool:
        """Keep `recipient` counted at `at`, unless it is kept at a later instant already.

        Returns:
            Whether `recipient` was not kept before.

        Raises:
            InvalidValueError: `recipient` or `at` has the wrong type; nothing is kept then.
        """
        if recipient.__class__ not in _RECIPIENT_TYPES:
            raise InvalidValueError(
                "recipient", recipient, "expected a WaId or BusinessScopedUserId"
            )
        if at.__class__ is not datetime or at.tzinfo is not UTC:
            at = utc("at", at)
        times = self._times
        size = len(times)
        last = times.setdefault(recipient, at)  # one hash: attrs' __hash__ is Python code
        if len(times) == size:
            if at > last:
                times[recipient] = at  # its queue entry goes stale; fixed when it surfaces
            return False
        queue = self._queue
        if not queue or queue[-1][0] <= at:
            queue.append((at, recipient))
        else:
            heapq.heappush(self._heap, (at, next(self._seq), recipient))
        return True

    def expire(self, cutoff: datetime) -> None:
        """Forget every recipient counted at or before `cutoff`.

        Raises:
            InvalidValueError: `cutoff` is not an aware datetime; nothing is forgotten then.
        """
        if cutoff.__class__ is not datetime or cutoff.tzinfo is not UTC:
            cutoff = utc("cutoff", cutoff)
        queue = self._queue
        times = self._times
        heap = self._heap
        while queue and queue[0][0] <= cutoff:
            _, recipient = queue.popleft()
            current = times[recipient]
            if current <= cutoff:
                del times[recipient]
            else:  # re-sent since: keep it, at its current instant
                heapq.heappush(heap, (current, next(self._seq), recipient))
        while heap and heap[0][0] <= cutoff:
            _, _, recipient = heapq.heappop(heap)
            current = times[recipient]
            if current <= cutoff:
                del times[recipient]
            else:
                heapq.heappush(heap, (current, next(self._seq), recipient))

    def oldest(self) -> datetime | None:
        """Return the earliest instant among the recipients kept, or `None` if none is."""
        queue = self._queue
        times = self._times
        heap = self._heap
        while queue and times[queue[0][1]] != queue[0][0]:
            _, recipient = queue.popleft()
            heapq.heappush(heap, (times[recipient], next(self._seq), recipient))
        while heap and times[heap[0][2]] != heap[0][0]:
            recipient = heap[0][2]
            heapq.heapreplace(heap, (times[recipient], next(self._seq), recipient))
        if queue and (not heap or queue[0][0] <= heap[0][0]):
            return queue[0][0]
        return heap[0][0] if heap else None

    def items(self) -> Iterator[tuple[Recipient, datetime]]:
        """Yield every kept `(recipient, instant)`, oldest recorded first."""
        return iter(list(self._times.items()))

    def __len__(self) -> int:
        """Return how many recipients are kept."""
        return len(self._times)

    def __repr__(self) -> str:
        """Show how many recipients are kept."""
        return f"InMemoryLedgerStore(recipients={len(self._times)})"


_NEVER: Final = datetime.min.replace(tzinfo=UTC)
_PAST_THE_CALENDAR: Final = "the rules' window reaches past the ends of the calendar"


class LimitLedger:
    """Counts the unique recipients one scope has reached outside service windows.

    Record every business-initiated send outside a customer service window with `record`; ask
    `would_count` and `remaining` before sending, `next_release_at` for when to try again.
    A typical gate::

        remaining = ledger.remaining(limit, now)
        if remaining is None or remaining > 0 or not ledger.would_count(recipient, now):
            ledger.record(recipient, now)  # then send

    Mutable (through its store) and not thread-safe. Questions may forget expired recipients
    from the store, which changes no answer.
    """

    __slots__ = ("_latest", "_store", "_tolerance", "_window", "rules", "scope")

    def __init__(
        self, *, scope: LimitScopeKey, rules: Rules, store: LedgerStore | None = None
    ) -> None:
        """Build a ledger.

        Args:
            scope: What the ledger counts for; its kind must be the rules'
                `messaging_limit_scope`.
            rules: The rules whose `messaging_limit_window` applies.
            store: Where the counts live; a new `InMemoryLedgerStore` by default. A store
                shared by several ledgers must belong to one scope.

        Raises:
            InvalidValueError: `scope` is not a `LimitScopeKey`, `rules` not `Rules`, or the
                scope's kind is not the one the rules count by.
        """
        if not isinstance(scope, LimitScopeKey):
            raise InvalidValueError("scope", scope, "expected a LimitScopeKey")
        if not isinstance(rules, Rules):
            raise InvalidValueError("rules", rules, "expected Rules")
        if scope.kind is not rules.messaging_limit_scope.value:
            raise InvalidValueError(
                "scope.kind",
                scope.kind,
                f"the rules {rules.name!r} count limits per"
                f" {rules.messaging_limit_scope.value.value}",
            )
        self.scope: Final = scope
        """What the ledger counts for."""
        self.rules: Final = rules
        """The rules in force for this ledger."""
        self._window: Final[timedelta] = rules.messaging_limit_window.value
        self._tolerance: Final = FUTURE_TOLERANCE
        self._store: Final[LedgerStore] = InMemoryLedgerStore() if store is None else store
        self._latest = _NEVER

    @property
    def window(self) -> timedelta:
        """How long a counted recipient keeps its slot (`Rules.messaging_limit_window`)."""
        return self._window

    @property
    def store(self) -> LedgerStore:
        """Where the counts live."""
        return self._store

    @property
    def latest(self) -> datetime | None:
        """The latest `now` the ledger has seen; earlier ones are taken as this one."""
        return None if self._latest is _NEVER else self._latest

    def _now(self, now: datetime) -> datetime:
        """Check `now` and clamp it to the latest instant seen, without recording it."""
        if now.__class__ is not datetime or now.tzinfo is not UTC:
            now = utc("now", now)
        latest = self._latest
        return latest if now < latest else now  # noqa: FURB136 - max() costs a call

    def record(
        self,
        recipient: Recipient,
        now: datetime,
        *,
        at: datetime | None = None,
        window_open: bool = False,
    ) -> bool:
        """Record a business-initiated send to `recipient`; return whether it took a new slot.

        Args:
            recipient: Who the message went to.
            now: The present instant, as the caller's clock reads it; it moves the window.
            at: When the send happened, if not `now`: a send learnt late (from a status
                callback, from another worker or through Twilio) carries its own instant. One
                at or before `now - window` no longer counts and changes nothing.
            window_open: Whether the recipient's customer service window was open at the
                send; such a send never counts, so nothing is recorded.

        Raises:
            InvalidValueError: `recipient` is not a `WaId` or `BusinessScopedUserId`,
                `window_open` is not a bool, `at` is more than `FUTURE_TOLERANCE` after
                `now`, or an instant is not an aware datetime. The ledger is unchanged.
        """
        if recipient.__class__ not in _RECIPIENT_TYPES:
            raise InvalidValueError(
                "recipient", recipient, "expected a WaId or BusinessScopedUserId"
            )
        now = self._now(now)
        if at is None:
            at = now
        elif at.__class__ is not datetime or at.tzinfo is not UTC:
            at = utc("at", at)
        if window_open is not False and window_open is not True:
            raise InvalidValueError("window_open", window_open, "expected a bool")
        try:
            ahead = at > now + self._tolerance
            cutoff = now - self._window
        except OverflowError:  # rules with a window or tolerance of millennia
            raise InvalidValueError("now", now, _PAST_THE_CALENDAR) from None
        if ahead:
            raise InvalidValueError(
                "at", at, f"more than {self._tolerance} after now={iso_instant(now)}"
            )
        self._latest = now  # only once every check passed: a refused call records nothing
        store = self._store
        store.expire(cutoff)
        if window_open or at <= cutoff:
            return False
        return store.set_counted(recipient, at)

    def opened(self, now: datetime) -> int:
        """Return how many unique recipients hold a slot at `now`.

        Raises:
            InvalidValueError: `now` is not an aware datetime.
        """
        now = self._now(now)
        self._latest = now  # expiring below is only sound if no earlier `now` is taken later
        self._store.expire(now - self._window)
        return len(self._store)

    def remaining(self, limit: MessagingLimit, now: datetime) -> int | None:
        """Return how many new recipients may still be reached at `now`; `None` when unlimited.

        Never negative: after a limit was lowered, more may be counted than it allows; the
        answer is then 0.

        Raises:
            InvalidValueError: `limit` is not a `MessagingLimit`, or `now` not an aware datetime.
        """
        if not isinstance(limit, MessagingLimit):
            raise InvalidValueError("limit", limit, "expected a MessagingLimit")
        opened = self.opened(now)
        if limit.users is None:
            return None
        return max(0, limit.users - opened)

    def would_count(
        self, recipient: Recipient, now: datetime, *, window_open: bool = False
    ) -> bool:
        """Whether a send to `recipient` at `now` would take a new slot.

        It would not when the recipient's service window is open (`window_open`; see
        `Conversation.window`), or when the recipient already holds a slot.

        Raises:
            InvalidValueError: `recipient`, `now` or `window_open` has the wrong type.
        """
        if recipient.__class__ not in _RECIPIENT_TYPES:
            raise InvalidValueError(
                "recipient", recipient, "expected a WaId or BusinessScopedUserId"
            )
        if window_open is not False and window_open is not True:
            raise InvalidValueError("window_open", window_open, "expected a bool")
        now = self._now(now)
        if window_open:
            return False
        last = self._store.last_counted(recipient)
        return last is None or last <= now - self._window

    def next_release_at(self, now: datetime) -> datetime | None:
        """Return when the next slot frees (the oldest counted recipient leaves the window).

        `None` when no recipient is counted at `now`.

        Raises:
            InvalidValueError: `now` is not an aware datetime.
        """
        now = self._now(now)
        self._latest = now
        store = self._store
        store.expire(now - self._window)
        oldest = store.oldest()
        return None if oldest is None else oldest + self._window

    def __repr__(self) -> str:
        """Show the scope and how many recipients the store keeps."""
        return f"LimitLedger(scope={self.scope!r}, kept={len(self._store)})"


def dump_ledger(ledger: LimitLedger) -> dict[str, Any]:
    """Return `ledger` as JSON-ready data: scope, latest instant and every counted recipient.

    Recipients are listed oldest first. The rules are not stored: pass them to `load_ledger`.
    """
    expect("ledger", ledger, LimitLedger)
    counted = sorted(ledger.store.items(), key=lambda item: item[1])
    latest = ledger.latest
    data = _wire.header(_STORED)
    data["scope"] = {"kind": ledger.scope.kind.value, "graph_id": ledger.scope.graph_id}
    data["latest"] = None if latest is None else iso_instant(latest)
    data["counted"] = [
        {_wire.recipient_key(recipient): recipient.value, "at": iso_instant(at)}
        for recipient, at in counted
    ]
    return data


def load_ledger(data: object, *, rules: Rules, store: LedgerStore | None = None) -> LimitLedger:
    """Read a ledger written by `dump_ledger`.

    Args:
        data: The stored document.
        rules: The rules the ledger counts under (they are not stored).
        store: An empty store to load into; a new `InMemoryLedgerStore` by default.

    Raises:
        StoredDataError: The document is not a stored ledger of a version this release
            reads, or a field is missing, unknown or malformed; the error names it.
        InvalidValueError: The stored scope is not the one `rules` count by.
    """
    body = _wire.check_header(data, _STORED)
    try:
        scope, latest, entries = _read_body(body)
    except _wire.WireError as error:
        raise _wire.refuse(StoredDataError, error, body) from None
    ledger = LimitLedger(scope=scope, rules=rules, store=store)
    if len(ledger.store):
        raise InvalidValueError("store", ledger.store, "expected an empty store")
    for at, recipient in entries:
        ledger.store.set_counted(recipient, at)
    if latest is not None:
        ledger._latest = latest  # noqa: SLF001 - restoring the ledger's own state
    return ledger


_BODY_KEYS: Final = frozenset({"scope", "latest", "counted"})
_SCOPE_KEYS: Final = frozenset({"kind", "graph_id"})
_ENTRY_KEYS: Final = {key: frozenset({key, "at"}) for key in ("wa_id", "bsuid")}


def _read_body(
    body: dict[str, Any],
) -> tuple[LimitScopeKey, datetime | None, list[tuple[datetime, Recipient]]]:
    """Read a stored ledger's body (header removed): scope, latest instant, sorted entries."""
    _wire.check_keys(body, _BODY_KEYS, _BODY_KEYS)
    scope = _wire.required(body, "scope", read=_scope)
    latest = _wire.optional(body, "latest", "", _wire.instant)
    counted = _wire.required(body, "counted", read=_wire.json_array)
    entries: list[tuple[datetime, Recipient]] = []
    seen: set[Recipient] = set()
    for index, item in enumerate(counted):
        try:
            recipient, at = _entry(item)
        except _wire.WireError as error:
            raise error.under(_wire.at("counted", index)) from None
        if recipient in seen:
            raise _wire.WireError(_wire.at("counted", index), item, "recipient listed twice")
        seen.add(recipient)
        entries.append((at, recipient))
    entries.sort(key=lambda entry: entry[0])
    return scope, latest, entries


def _scope(value: object) -> LimitScopeKey:
    data = _wire.json_object(value)
    _wire.check_keys(data, _SCOPE_KEYS, _SCOPE_KEYS)
    kind = _wire.member(LimitScope, data["kind"], "kind")
    try:
        return LimitScopeKey(kind=kind, graph_id=data["graph_id"])
    except InvalidValueError as error:
        raise _wire.invalid("graph_id", error) from None


def _entry(item: object) -> tuple[Recipient, datetime]:
    """Read one `{"wa_id" or "bsuid": ..., "at": ...}` entry of `counted`."""
    data = _wire.json_object(item)
    has_wa_id = "wa_id" in data
    if has_wa_id is ("bsuid" in data):
        raise _wire.WireError("", item, "expected exactly one of 'wa_id' or 'bsuid'")
    key = "wa_id" if has_wa_id else "bsuid"
    _wire.check_keys(data, _ENTRY_KEYS[key], _ENTRY_KEYS[key])
    return _wire.recipient(key, data[key]), _wire.instant(data["at"], "at")
