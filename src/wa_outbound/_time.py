"""Instants and durations: every instant in `wa_outbound` is an aware UTC `datetime`.

The core never reads a clock. Callers pass `now`; this module only checks and normalises it.

Every instant the library takes lies in the supported range, from `EARLIEST_INSTANT` (the Unix
epoch) to `LATEST_INSTANT` (the start of the year 3000), and is refused at the door otherwise
(`InvalidValueError`). The range is far wider than any message's life, and leaves thousands of
years between its ends and the ends of Python's calendar: no window, lookback or plan the
library adds to an instant it took can overflow.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Final

from wa_outbound._errors import InvalidValueError, NaiveDatetimeError

__all__ = [
    "EARLIEST_INSTANT",
    "LATEST_INSTANT",
    "UTC",
    "in_range",
    "iso_instant",
    "optional_instant",
    "parse_iso_instant",
    "utc",
]

UTC: Final = timezone.utc

EARLIEST_INSTANT: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest instant the library takes: the Unix epoch, 1970-01-01T00:00:00Z."""
LATEST_INSTANT: Final = datetime(3000, 1, 1, tzinfo=UTC)
"""The end of the supported range, 3000-01-01T00:00:00Z (excluded): later instants are refused."""

_OUT_OF_RANGE: Final = (
    "outside the supported range of instants, 1970-01-01T00:00Z to 3000-01-01T00:00Z"
)


def in_range(field: str, value: datetime) -> datetime:
    """Return the aware UTC `value` if it lies in the supported range, or raise naming `field`.

    Raises:
        InvalidValueError: `value` is before `EARLIEST_INSTANT` or not before `LATEST_INSTANT`.
    """
    if EARLIEST_INSTANT <= value < LATEST_INSTANT:
        return value
    raise InvalidValueError(field, value, _OUT_OF_RANGE)


def utc(field: str, value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime, or raise `NaiveDatetimeError` naming `field`.

    Args:
        field: Name of the argument or attribute, used in the error message.
        value: The instant to check.

    Raises:
        NaiveDatetimeError: `value` has no time zone.
        InvalidValueError: `value` is not a datetime at all, its time zone gives no valid
            offset, or it lies outside the supported range (`EARLIEST_INSTANT` to
            `LATEST_INSTANT`).
    """
    if value.__class__ is datetime and value.tzinfo is UTC:
        # the common case, checked first because every question does it
        if EARLIEST_INSTANT <= value < LATEST_INSTANT:
            return value
        raise InvalidValueError(field, value, _OUT_OF_RANGE)
    if not isinstance(value, datetime):
        raise InvalidValueError(field, value, "expected an aware datetime")
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError, ArithmeticError):  # a tzinfo with an impossible offset
        raise InvalidValueError(field, value, "its time zone gives no valid UTC offset") from None
    if offset is None:
        raise NaiveDatetimeError(field, value)
    # compared before converting: near the calendar's ends the conversion itself overflows
    if not EARLIEST_INSTANT <= value < LATEST_INSTANT:
        raise InvalidValueError(field, value, _OUT_OF_RANGE)
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def optional_instant(field: str, value: object) -> datetime | None:
    """Return `None`, or `value` read by `utc` (a converter of optional instants)."""
    return None if value is None else utc(field, value)  # type: ignore[arg-type]


def iso_instant(value: datetime) -> str:
    """Write an instant as ISO 8601 text in UTC, with a `Z`: `2026-11-23T09:00:00Z`."""
    if value.tzinfo is not UTC:  # other zones: equal datetimes may differ in `fold`
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return _utc_text(value)


@functools.lru_cache(maxsize=256)  # a send writes the same instant several times
def _utc_text(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def parse_iso_instant(value: object, _type: object = None) -> datetime:
    """Read an instant written by `iso_instant` (a cattrs structure hook, too).

    Raises:
        TypeError: `value` is not text.
        ValueError: `value` is not an ISO 8601 instant with a time zone, or lies outside the
            supported range of instants.
    """
    if not isinstance(value, str):
        msg = "expected an ISO 8601 instant as text"
        raise TypeError(msg)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.utcoffset() is None:
        msg = "instant has no time zone"
        raise ValueError(msg)
    if not EARLIEST_INSTANT <= parsed < LATEST_INSTANT:
        raise ValueError(_OUT_OF_RANGE)
    return parsed.astimezone(UTC)
