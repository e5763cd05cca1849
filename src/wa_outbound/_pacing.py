"""Pacing: when may the next message go out without hitting throughput or pair rate limits?

Theory of operation
-------------------
Meta limits a business phone number twice (Rules `throughput_*`, `pair_rate_*`): all its
messages together (80 per second by default, error 130429) and its messages to any one user
(about one every 6 seconds with bursts, error 131056). Both are token buckets. This module keeps
them with the generic cell rate algorithm (GCRA): instead of a token count and a timestamp, a
bucket holds one instant, its *theoretical arrival time* (TAT): when the bucket would be full
again had nothing else been sent. With an emission interval `T` (1 / rate) and a burst of `b`
messages, the tolerance is `tau = (b - 1) * T`, and a message at `now` conforms when
`TAT <= now + tau`; sending it moves `TAT` to `max(TAT, now) + T`. A refused message may go out
at `TAT - tau`, the earliest conforming instant. A bucket whose `TAT <= now` is full: it is
indistinguishable from a new one, so it can be forgotten.

Instants stay `datetime`s and durations `timedelta`s, so every figure is exact to the
microsecond and no float ever rounds a returned instant below the one that conforms. An
interval that is not a whole number of microseconds (a rate of 3 per second) is rounded *up*,
so the pace never exceeds the rate.

Buckets are small mutable objects, not frozen values: a pacer answers about a million times a
second, and allocating a new value per answer would cost more than the answer. Nothing here
reads a clock or sleeps: `now` is always an argument, and the answer is an instant to wait for.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from wa_outbound._errors import InvalidValueError, expect, member
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._rules import Rules
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from wa_outbound._ids import Recipient

__all__ = ["Pacer", "ThroughputClass", "TokenBucket"]

_MICROSECONDS_PER_SECOND: Final = 1_000_000
_NEVER: Final = datetime.min.replace(tzinfo=UTC)
_PAST_THE_CALENDAR: Final = (
    "the next free instant would be past the end of the calendar (the interval is too long)"
)
"""The TAT of a bucket that never admitted anything: full at any instant."""
_MIN_SWEEP: Final = 1024
"""Below this many pair-rate buckets a pacer never sweeps: small pacers pay nothing."""


def _positive_int(field: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError(field, value, "expected a whole number of at least 1")
    return value


def _interval_of(rate: int) -> timedelta:
    """Return 1 / `rate` seconds, rounded up to the microsecond so the pace never exceeds it."""
    return timedelta(microseconds=-(-_MICROSECONDS_PER_SECOND // rate))


class ThroughputClass(enum.Enum):
    """Which throughput a business phone number has (Meta "Throughput")."""

    DEFAULT = "default"
    """A Cloud API number before any upgrade (`Rules.throughput_default`)."""
    UPGRADED = "upgraded"
    """A number Meta upgraded automatically (`Rules.throughput_upgraded`)."""
    COEXISTENCE = "coexistence"
    """A number used with both the WhatsApp Business app and the Cloud API, whose throughput is
    fixed (`Rules.throughput_coexistence`)."""

    def rate(self, rules: Rules) -> int:
        """Return the messages per second this class may handle under `rules`."""
        if self is ThroughputClass.UPGRADED:
            return rules.throughput_upgraded.value
        if self is ThroughputClass.COEXISTENCE:
            return rules.throughput_coexistence.value
        return rules.throughput_default.value


def _tolerance(field: str, interval: timedelta, burst: int) -> timedelta:
    """How far ahead a burst may go: `interval * (burst - 1)`, refused past a century."""
    try:
        tolerance = interval * (burst - 1)
    except OverflowError:
        tolerance = _CENTURY
    if tolerance >= _CENTURY:
        raise InvalidValueError(field, burst, "a burst that long (over a century) is no pacing")
    return tolerance


_CENTURY: Final = timedelta(days=36525)


class TokenBucket:
    """One token bucket (GCRA), driven by `now`: `burst` messages at once, then one per interval.

    Mutable: `admit` records the message in place. Instants may come in any order; whatever the
    order, over any span of time `d` the recorded messages number at most
    `d / interval + burst`.
    """

    __slots__ = ("_interval", "_tat", "_tolerance", "burst")

    def __init__(self, *, interval: timedelta, burst: int = 1) -> None:
        """Build an empty (full) bucket.

        Args:
            interval: Average time between two messages (1 / rate).
            burst: How many messages may go out at the same instant.

        Raises:
            InvalidValueError: `interval` is not a positive `timedelta`, or `burst` is not a
                whole number of at least 1.
        """
        if not isinstance(interval, timedelta) or interval <= timedelta(0):
            raise InvalidValueError("interval", interval, "expected a timedelta greater than 0")
        self.burst: Final = _positive_int("burst", burst)
        """How many messages may go out at the same instant."""
        self._interval: Final = interval
        self._tolerance: Final = _tolerance("burst", interval, self.burst)
        self._tat = _NEVER

    @classmethod
    def per_second(cls, rate: int, *, burst: int = 1) -> TokenBucket:
        """Build a bucket for `rate` messages per second (the interval rounded up to 1 µs).

        Raises:
            InvalidValueError: `rate` or `burst` is not a whole number of at least 1.
        """
        return cls(interval=_interval_of(_positive_int("rate", rate)), burst=burst)

    @property
    def interval(self) -> timedelta:
        """Average time between two messages."""
        return self._interval

    def admit(self, now: datetime) -> datetime:
        """Record one message and return when it may go out: `now`, or the earliest later instant.

        A refused message is recorded as sent at the returned instant, so a caller that waits
        until then and sends stays within the limit; one that gives up should not call again
        with the same message.

        Raises:
            NaiveDatetimeError: `now` has no time zone.
            InvalidValueError: `now` is outside the supported range of instants, or the next
                free instant would be past the end of the calendar. Nothing is recorded.
        """
        if now.__class__ is not datetime or now.tzinfo is not UTC:
            now = utc("now", now)
        tat = self._tat
        try:
            at = now if tat <= now + self._tolerance else tat - self._tolerance
            next_tat = (tat if tat > at else at) + self._interval  # noqa: FURB136
        except OverflowError:
            raise InvalidValueError("now", now, _PAST_THE_CALENDAR) from None
        self._tat = next_tat  # only once every check passed: a refused call records nothing
        return at

    def peek(self, now: datetime) -> datetime:
        """Return what `admit(now)` would return, without recording anything.

        Raises:
            NaiveDatetimeError: `now` has no time zone.
        """
        now = utc("now", now)
        tat = self._tat
        return now if tat <= now + self._tolerance else tat - self._tolerance

    def is_full(self, now: datetime) -> bool:
        """Whether the whole burst is available again at `now` (nothing recorded still counts).

        Raises:
            NaiveDatetimeError: `now` has no time zone.
        """
        return self._tat <= utc("now", now)

    def __repr__(self) -> str:
        """Show the interval, the burst and the theoretical arrival time."""
        tat = None if self._tat is _NEVER else self._tat
        return f"TokenBucket(interval={self._interval!r}, burst={self.burst}, tat={tat!r})"


class Pacer:
    """Paces one business phone number: its throughput, and its pair rate to each recipient.

    `admit(recipient, now)` answers when a message may go out and records it; `peek` answers
    without recording. Mutable and not thread-safe: keep one per business number in one
    worker, or guard it with a lock.

    Instants: a `now` earlier than the latest one this pacer has seen is taken as that latest
    instant (clamped), never refused: concurrent workers' clocks jitter, and counting a message
    a little later than it was sent is the safe direction (it only ever delays the next one).
    It also keeps forgetting full buckets sound: a bucket forgotten at `t` may not be needed
    again for an instant before `t`.

    Memory: a recipient's pair-rate bucket is forgotten once it is full again (its last message
    is more than `pair_rate_burst x pair_rate_interval` old, or less after fewer messages).
    Forgetting is amortised: when the number of buckets kept passes a threshold (at least
    1,024, then twice what the previous sweep kept), one sweep drops every full bucket. So
    memory stays below about twice the number of recipients messaged in the last few minutes.
    """

    __slots__ = (
        "_interval",
        "_latest",
        "_pair_interval",
        "_pair_tolerance",
        "_pairs",
        "_sweep_at",
        "_tat",
        "_tolerance",
        "business",
        "rules",
        "throughput_class",
    )

    def __init__(
        self,
        *,
        business: PhoneNumberId,
        rules: Rules,
        throughput_class: ThroughputClass | str = ThroughputClass.DEFAULT,
        throughput_burst: int = 1,
    ) -> None:
        """Build a pacer with nothing recorded yet.

        Args:
            business: The business phone number being paced.
            rules: The rules whose throughput and pair rate apply (`rules_at(now)` or an
                `attrs.evolve`d set).
            throughput_class: Which throughput the number has.
            throughput_burst: How many messages of the number may go out at the same instant.
                Meta documents none, so the default (1) spaces every message evenly
                (12.5 ms at 80 per second).

        Raises:
            InvalidValueError: `throughput_class` is not a `ThroughputClass`, or
                `throughput_burst` is not a whole number of at least 1.
        """
        throughput_class = member("throughput_class", ThroughputClass, throughput_class)
        expect("business", business, PhoneNumberId)
        expect("rules", rules, Rules)
        self.business: Final = business
        """The business phone number being paced."""
        self.rules: Final = rules
        """The rules in force for this pacer."""
        self.throughput_class: Final = throughput_class
        """Which throughput the number has."""
        burst = _positive_int("throughput_burst", throughput_burst)
        self._interval: Final = _interval_of(throughput_class.rate(rules))
        self._tolerance: Final = _tolerance("throughput_burst", self._interval, burst)
        self._pair_interval: Final = rules.pair_rate_interval.value
        self._pair_tolerance: Final = self._pair_interval * (rules.pair_rate_burst.value - 1)
        self._tat = _NEVER
        self._latest = _NEVER
        self._pairs: dict[Recipient, datetime] = {}
        self._sweep_at = _MIN_SWEEP

    @property
    def throughput_interval(self) -> timedelta:
        """Average time between two messages of the number (1 / its rate, rounded up)."""
        return self._interval

    @property
    def throughput_burst(self) -> int:
        """How many messages of the number may go out at the same instant."""
        return self._tolerance // self._interval + 1

    @property
    def tracked_recipients(self) -> int:
        """How many pair-rate buckets the pacer holds now (full ones may linger until a sweep)."""
        return len(self._pairs)

    def admit(self, recipient: Recipient, now: datetime) -> datetime:
        """Record one message to `recipient` and return when it may go out.

        The answer is `now` when both the number's throughput and the pair rate to `recipient`
        allow it; otherwise it is the earliest later instant at which both do. Either way the
        message is recorded: against the pair rate at the returned instant, so a caller that
        waits until then and sends stays within it; against the throughput at the earliest
        instant the throughput alone allows, so a recipient held back by its pair rate does not
        hold back messages to everyone else. The price: messages held back by the pair rate
        are not re-spaced at their later instant, so many of them falling due at the same
        instant could exceed the throughput (an open question; the platform answers 130429).

        Raises:
            NaiveDatetimeError: `now` has no time zone.
            InvalidValueError: `recipient` is not a `WaId` or `BusinessScopedUserId`, `now` is
                outside the supported range of instants, or the next free instant would be
                past the end of the calendar. Nothing is recorded then.
        """
        if now.__class__ is not datetime or now.tzinfo is not UTC:
            now = utc("now", now)
        if recipient.__class__ is not WaId and recipient.__class__ is not BusinessScopedUserId:
            raise InvalidValueError(
                "recipient", recipient, "expected a WaId or BusinessScopedUserId"
            )
        latest = self._latest
        now = latest if now < latest else now  # noqa: FURB136 - max() costs a call
        pairs = self._pairs
        tat = self._tat
        try:
            at = now if tat <= now + self._tolerance else tat - self._tolerance
            # Throughput is charged at its own earliest instant, not at a later one the pair
            # rate imposes: one recipient held for minutes must not hold the whole queue.
            next_tat = (tat if tat > at else at) + self._interval  # noqa: FURB136
            pair_tat = pairs.get(recipient, _NEVER)
            if pair_tat > at + self._pair_tolerance:
                at = pair_tat - self._pair_tolerance
            next_pair = (pair_tat if pair_tat > at else at) + self._pair_interval  # noqa: FURB136
        except OverflowError:
            raise InvalidValueError("now", now, _PAST_THE_CALENDAR) from None
        # Recorded only once every check passed: a refused call changes nothing.
        self._latest = now
        self._tat = next_tat
        pairs[recipient] = next_pair
        if len(pairs) > self._sweep_at:
            self._sweep(now)
        return at

    def peek(self, recipient: Recipient, now: datetime) -> datetime:
        """Return what `admit(recipient, now)` would return, without recording anything.

        Raises:
            NaiveDatetimeError: `now` has no time zone.
        """
        now = max(utc("now", now), self._latest)
        if recipient.__class__ is not WaId and recipient.__class__ is not BusinessScopedUserId:
            raise InvalidValueError(
                "recipient", recipient, "expected a WaId or BusinessScopedUserId"
            )
        tat = self._tat
        at = now if tat <= now + self._tolerance else tat - self._tolerance
        pair_tat = self._pairs.get(recipient, _NEVER)
        if pair_tat > at + self._pair_tolerance:
            at = pair_tat - self._pair_tolerance
        return at

    def _sweep(self, now: datetime) -> None:
        """Forget every pair-rate bucket that is full at `now`; set the next sweep's threshold."""
        self._pairs = {r: tat for r, tat in self._pairs.items() if tat > now}
        self._sweep_at = max(_MIN_SWEEP, 2 * len(self._pairs))

    def __repr__(self) -> str:
        """Show the number, its throughput class and how many recipients are tracked."""
        return (
            f"Pacer(business={self.business!r}, throughput_class={self.throughput_class},"
            f" tracked_recipients={len(self._pairs)})"
        )
