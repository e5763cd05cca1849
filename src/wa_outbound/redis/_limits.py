"""The messaging limit and the pacer shared by every worker: one Lua script per admission.

Theory of operation
-------------------
`LimitLedger.remaining` then `LimitLedger.record` is a read, a decision and a write: two workers
that read the same count both see a free slot and both take it. `RedisLimitLedger.admit` does
all three inside one script (`ADMIT`), which Redis runs alone: forget the slots at or before
`now - window`, admit the recipient if it already holds a slot (moving its instant forward), or
if fewer recipients than the limit hold one (taking a new slot), else refuse and say when the
oldest slot frees. So however many workers admit at once, the recipients holding a slot in any
moving window never outnumber the limit, and a recipient is counted once.

A worker killed before the script ran recorded nothing; killed after it, the slot is taken
whether or not the message went out (the ledger counts sends, and counting one too many is the
safe direction). Nothing else is ever written, so no slot is freed early.

`RedisPacer.admit` is `Pacer.admit` (GCRA, the throughput and the pair rate) as one script
(`PACE`) over the number's shared state, so the messages of every worker together keep to the
throughput plus its burst.

Each class has an asyncio twin (`AsyncRedisLimitLedger`, `AsyncRedisPacer`) over a
`redis.asyncio` client, computing the same arguments and reading the same replies.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._account import MessagingLimit
from wa_outbound._errors import InvalidValueError, StoreUnavailable
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._ledger import FUTURE_TOLERANCE, LimitLedger, LimitScopeKey
from wa_outbound._pacing import Pacer, ThroughputClass
from wa_outbound._time import iso_instant, utc
from wa_outbound.redis._keys import (
    ADMIT,
    PACE,
    SCHEMA_VERSION,
    checked_name,
    instant,
    micros,
    span,
    unavailable,
)
from wa_outbound.stores._base import recipient_text, scope_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wa_outbound._ids import Recipient
    from wa_outbound._rules import Rules

__all__ = [
    "Admission",
    "AsyncRedisLimitLedger",
    "AsyncRedisPacer",
    "RedisLimitLedger",
    "RedisPacer",
]

_LOG: Final = logging.getLogger("wa_outbound.redis")
_RECIPIENTS: Final = (WaId, BusinessScopedUserId)
_MARGIN: Final = timedelta(hours=1)
"""Kept past the window: workers' clocks differ, and a slot must never expire early."""
_PACER_MARGIN_MS: Final = 1000


@attrs.frozen
class Admission:
    """What `RedisLimitLedger.admit` answered: may the send go out, and did it take a slot."""

    admitted: bool
    """Whether the send may go out (it was recorded if it needed a slot)."""
    new_slot: bool
    """Whether it took a new slot of the messaging limit."""
    counted: int | None
    """How many recipients hold a slot after the answer; `None` when unverified."""
    release_at: datetime | None
    """Refused: when the oldest slot frees (try again then); otherwise `None`."""
    verified: bool = True
    """`False` when Redis could not be reached and `fail_open` let the send through."""


_UNVERIFIED: Final = Admission(
    admitted=True, new_slot=False, counted=None, release_at=None, verified=False
)


def _recipient(recipient: Recipient) -> Recipient:
    if recipient.__class__ not in _RECIPIENTS:
        raise InvalidValueError("recipient", recipient, "expected a WaId or BusinessScopedUserId")
    return recipient


def _flag(field: str, value: object) -> bool:
    if value is not True and value is not False:
        raise InvalidValueError(field, value, "expected a bool")
    return value


class _LedgerCalls:
    """What the sync and asyncio ledgers share: checked arguments and read replies."""

    def __init__(
        self,
        client: Any,  # noqa: ANN401 - a sync or an asyncio redis-py client
        *,
        scope: LimitScopeKey,
        rules: Rules,
        prefix: str = "wa_outbound",
        fail_open: bool = False,
    ) -> None:
        """Share the ledger of `scope` through `client`.

        Args:
            client: A redis-py client (`redis.Redis`, or `redis.asyncio.Redis` for the asyncio
                class).
            scope: What the ledger counts for (`LimitScopeKey.under(rules, ...)`).
            rules: The rules whose messaging-limit window applies.
            prefix: The first part of every key (the same as the store's).
            fail_open: Admit, marked unverified, when Redis cannot be reached; by default
                `admit` raises `StoreUnavailable` and the send is not made.

        Raises:
            InvalidValueError: The scope is not the one the rules count by, or an argument
                has the wrong type.
        """
        checked = LimitLedger(scope=scope, rules=rules)  # checks scope and rules alike
        self.scope: Final = scope
        """What the ledger counts for."""
        self.rules: Final = rules
        """The rules in force."""
        self.fail_open: Final = _flag("fail_open", fail_open)
        """Whether admissions go through, unverified, when Redis cannot be reached."""
        self.window: Final = checked.window
        """How long a counted recipient keeps its slot."""
        self.key: Final = (
            f"{checked_name('prefix', prefix)}:v{SCHEMA_VERSION}:{{{scope_text(scope)}}}:ledger"
        )
        """The sorted set that holds the ledger (the same as `RedisStore.ledger_key`)."""
        self._name = f"redis ledger {self.key}"
        self._ttl = span(self.window + _MARGIN) // 1000
        self._client = client
        self._script = client.register_script(ADMIT)

    def __repr__(self) -> str:
        """Name the key."""
        return f"{type(self).__name__}({self.key!r})"

    def _admit_args(
        self,
        recipients: Iterable[Recipient],
        limit: MessagingLimit | None,
        now: datetime,
        at: datetime | None,
        window_open: bool,  # noqa: FBT001 - private
    ) -> list[str | int]:
        members = [recipient_text(_recipient(recipient)) for recipient in recipients]
        if limit is not None and not isinstance(limit, MessagingLimit):
            raise InvalidValueError("limit", limit, "expected a MessagingLimit")
        now = utc("now", now)
        at = now if at is None else utc("at", at)
        if at > now + FUTURE_TOLERANCE:
            raise InvalidValueError(
                "at", at, f"more than {FUTURE_TOLERANCE} after now={iso_instant(now)}"
            )
        users = -1 if limit is None or limit.users is None else limit.users
        return [
            micros(at),
            micros(now - self.window),
            users,
            self._ttl,
            int(_flag("window_open", window_open)),
            *members,
        ]

    def _admissions(self, reply: list[Any]) -> list[Admission]:
        values = [int(value) for value in reply]
        return [
            Admission(
                admitted=bool(values[index]),
                new_slot=bool(values[index + 1]),
                counted=values[index + 2],
                release_at=(
                    None if values[index + 3] < 0 else instant(values[index + 3]) + self.window
                ),
            )
            for index in range(0, len(values), 4)
        ]

    def _unverified(self, error: StoreUnavailable, count: int) -> list[Admission]:
        if not self.fail_open:
            raise error
        _LOG.warning("admitting unverified (fail_open): %s", error)
        return [_UNVERIFIED] * count

    def _low(self, now: datetime) -> str:
        return f"({micros(utc('now', now) - self.window)}"

    @staticmethod
    def _remaining(limit: MessagingLimit, opened: int) -> int | None:
        if not isinstance(limit, MessagingLimit):
            raise InvalidValueError("limit", limit, "expected a MessagingLimit")
        return None if limit.users is None else max(0, limit.users - opened)

    def _release(self, found: list[tuple[Any, float]]) -> datetime | None:
        return instant(found[0][1]) + self.window if found else None


class RedisLimitLedger(_LedgerCalls):
    """The messaging-limit ledger of one scope, shared by every worker through Redis.

    ```python
    ledger = RedisLimitLedger(redis.Redis(), scope=scope, rules=rules)
    if ledger.admit(anna, MessagingLimit(users=250), now).admitted:
        ...  # send it
    ```

    Thread-safe; every call is one round trip.
    """

    def admit(
        self,
        recipient: Recipient,
        limit: MessagingLimit,
        now: datetime,
        *,
        window_open: bool = False,
    ) -> Admission:
        """Admit a business-initiated send to `recipient` within `limit`, atomically.

        It is admitted when its service window is open (`window_open`, nothing counted), when
        the recipient already holds a slot (its instant moves to `now`), or when a slot
        remains (it takes one). Otherwise it is refused, and nothing is recorded.

        Raises:
            StoreUnavailable: Redis cannot be reached (unless `fail_open`).
            InvalidValueError: An argument has the wrong type.
        """
        return self.admit_many([recipient], limit, now, window_open=window_open)[0]

    def admit_many(
        self,
        recipients: Iterable[Recipient],
        limit: MessagingLimit,
        now: datetime,
        *,
        window_open: bool = False,
    ) -> list[Admission]:
        """Admit a batch, in order, as `admit` would one by one: one script, one round trip.

        The whole batch is one atomic step: no other worker's admission comes between two of
        its recipients. A campaign that sends in batches admits each batch this way.

        Raises:
            StoreUnavailable: Redis cannot be reached (unless `fail_open`).
            InvalidValueError: An argument has the wrong type.
        """
        args = self._admit_args(recipients, limit, now, None, window_open)
        count = len(args) - 5
        if not count:
            return []
        try:
            with unavailable(self._name):
                reply = self._script(keys=[self.key], args=args)
        except StoreUnavailable as error:
            return self._unverified(error, count)
        return self._admissions(reply)

    def record(
        self,
        recipient: Recipient,
        now: datetime,
        *,
        at: datetime | None = None,
        window_open: bool = False,
    ) -> bool:
        """Record a send made without asking (`LimitLedger.record`); return if it took a slot.

        Raises:
            StoreUnavailable: Redis cannot be reached (always: a send to record happened).
            InvalidValueError: As `LimitLedger.record`.
        """
        args = self._admit_args([recipient], None, now, at, window_open)
        with unavailable(self._name):
            reply = self._script(keys=[self.key], args=args)
        return self._admissions(reply)[0].new_slot

    def opened(self, now: datetime) -> int:
        """Return how many unique recipients hold a slot at `now`."""
        low = self._low(now)
        with unavailable(self._name):
            return int(self._client.zcount(self.key, low, "+inf"))

    def remaining(self, limit: MessagingLimit, now: datetime) -> int | None:
        """Return how many new recipients may still be reached at `now`; `None` if unlimited."""
        return self._remaining(limit, self.opened(now))

    def next_release_at(self, now: datetime) -> datetime | None:
        """Return when the next slot frees; `None` when no recipient holds one."""
        low = self._low(now)
        with unavailable(self._name):
            found = self._client.zrangebyscore(
                self.key, low, "+inf", start=0, num=1, withscores=True
            )
        return self._release(found)


class AsyncRedisLimitLedger(_LedgerCalls):
    """`RedisLimitLedger` for asyncio, over a `redis.asyncio.Redis` client."""

    async def admit(
        self,
        recipient: Recipient,
        limit: MessagingLimit,
        now: datetime,
        *,
        window_open: bool = False,
    ) -> Admission:
        """`RedisLimitLedger.admit`, awaited."""
        return (await self.admit_many([recipient], limit, now, window_open=window_open))[0]

    async def admit_many(
        self,
        recipients: Iterable[Recipient],
        limit: MessagingLimit,
        now: datetime,
        *,
        window_open: bool = False,
    ) -> list[Admission]:
        """`RedisLimitLedger.admit_many`, awaited."""
        args = self._admit_args(recipients, limit, now, None, window_open)
        count = len(args) - 5
        if not count:
            return []
        try:
            with unavailable(self._name):
                reply = await self._script(keys=[self.key], args=args)
        except StoreUnavailable as error:
            return self._unverified(error, count)
        return self._admissions(reply)

    async def record(
        self,
        recipient: Recipient,
        now: datetime,
        *,
        at: datetime | None = None,
        window_open: bool = False,
    ) -> bool:
        """`RedisLimitLedger.record`, awaited."""
        args = self._admit_args([recipient], None, now, at, window_open)
        with unavailable(self._name):
            reply = await self._script(keys=[self.key], args=args)
        return self._admissions(reply)[0].new_slot

    async def opened(self, now: datetime) -> int:
        """`RedisLimitLedger.opened`, awaited."""
        low = self._low(now)
        with unavailable(self._name):
            return int(await self._client.zcount(self.key, low, "+inf"))

    async def remaining(self, limit: MessagingLimit, now: datetime) -> int | None:
        """`RedisLimitLedger.remaining`, awaited."""
        return self._remaining(limit, await self.opened(now))

    async def next_release_at(self, now: datetime) -> datetime | None:
        """`RedisLimitLedger.next_release_at`, awaited."""
        low = self._low(now)
        with unavailable(self._name):
            found = await self._client.zrangebyscore(
                self.key, low, "+inf", start=0, num=1, withscores=True
            )
        return self._release(found)


class _PacerCalls:
    """What the sync and asyncio pacers share: the number's figures and the script's input."""

    def __init__(
        self,
        client: Any,  # noqa: ANN401 - a sync or an asyncio redis-py client
        *,
        business: PhoneNumberId,
        rules: Rules,
        throughput_class: ThroughputClass = ThroughputClass.DEFAULT,
        throughput_burst: int = 1,
        prefix: str = "wa_outbound",
        fail_open: bool = False,
    ) -> None:
        """Pace `business` through `client`, with `Pacer`'s arguments.

        Args:
            client: A redis-py client (`redis.asyncio.Redis` for the asyncio class).
            business: The business phone number being paced.
            rules: The rules whose throughput and pair rate apply.
            throughput_class: Which throughput the number has.
            throughput_burst: How many messages of the number may go out at the same instant.
            prefix: The first part of every key.
            fail_open: Answer `now`, unverified, when Redis cannot be reached; by default
                `admit` raises `StoreUnavailable`.

        Raises:
            InvalidValueError: As `Pacer`.
        """
        if not isinstance(business, PhoneNumberId):
            raise InvalidValueError("business", business, "expected a PhoneNumberId")
        local = Pacer(
            business=business,
            rules=rules,
            throughput_class=throughput_class,
            throughput_burst=throughput_burst,
        )
        self.business: Final = business
        """The business phone number being paced."""
        self.fail_open: Final = _flag("fail_open", fail_open)
        """Whether `admit` answers `now`, unverified, when Redis cannot be reached."""
        self.throughput_interval: Final = local.throughput_interval
        """Average time between two messages of the number."""
        self.throughput_burst: Final = local.throughput_burst
        """How many messages of the number may go out at the same instant."""
        pair = rules.pair_rate_interval.value
        self._figures = (
            span(local.throughput_interval),
            span(local.throughput_interval * (local.throughput_burst - 1)),
            span(pair),
            span(pair * (rules.pair_rate_burst.value - 1)),
        )
        base = f"{checked_name('prefix', prefix)}:v{SCHEMA_VERSION}:{{pacer:{business.value}}}"
        self.keys: Final = (f"{base}:tat", f"{base}:pairs")
        """The hash of the number's bucket and the sorted set of its pair-rate buckets."""
        self._name = f"redis pacer {base}"
        self._client = client
        self._script = client.register_script(PACE)

    def __repr__(self) -> str:
        """Name the number."""
        return f"{type(self).__name__}({self.business!r})"

    def _args(self, recipient: Recipient, now: datetime, *, record: bool) -> list[str | int]:
        _recipient(recipient)
        return [
            recipient_text(recipient),
            micros(utc("now", now)),
            *self._figures,
            int(record),
            _PACER_MARGIN_MS,
        ]

    def _unverified(self, error: StoreUnavailable, now: datetime) -> datetime:
        if not self.fail_open:
            raise error
        _LOG.warning("pacing unverified (fail_open): %s", error)
        return utc("now", now)


class RedisPacer(_PacerCalls):
    """`Pacer` shared by every worker: the number's throughput and pair rates in Redis.

    ```python
    pacer = RedisPacer(redis.Redis(), business=number, rules=rules)
    at = pacer.admit(anna, now)  # send at `at` (now, or later)
    ```
    """

    def admit(self, recipient: Recipient, now: datetime) -> datetime:
        """Record one message to `recipient` and return when it may go out (`Pacer.admit`).

        Raises:
            StoreUnavailable: Redis cannot be reached (unless `fail_open`).
        """
        args = self._args(recipient, now, record=True)
        try:
            with unavailable(self._name):
                reply = self._script(keys=list(self.keys), args=args)
        except StoreUnavailable as error:
            return self._unverified(error, now)
        return instant(reply)

    def peek(self, recipient: Recipient, now: datetime) -> datetime:
        """Return what `admit` would return, without recording anything."""
        args = self._args(recipient, now, record=False)
        with unavailable(self._name):
            return instant(self._script(keys=list(self.keys), args=args))


class AsyncRedisPacer(_PacerCalls):
    """`RedisPacer` for asyncio, over a `redis.asyncio.Redis` client."""

    async def admit(self, recipient: Recipient, now: datetime) -> datetime:
        """`RedisPacer.admit`, awaited."""
        args = self._args(recipient, now, record=True)
        try:
            with unavailable(self._name):
                reply = await self._script(keys=list(self.keys), args=args)
        except StoreUnavailable as error:
            return self._unverified(error, now)
        return instant(reply)

    async def peek(self, recipient: Recipient, now: datetime) -> datetime:
        """`RedisPacer.peek`, awaited."""
        args = self._args(recipient, now, record=False)
        with unavailable(self._name):
            return instant(await self._script(keys=list(self.keys), args=args))
