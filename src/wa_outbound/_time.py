"""Instants and durations: every instant in `wa_outbound` is an aware UTC `datetime`.

The core never reads a clock. Callers pass `now`; this module only checks and normalises it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Final

from wa_outbound._errors import InvalidValueError, NaiveDatetimeError

__all__ = ["UTC", "iso_instant", "parse_iso_instant", "utc"]

UTC: Final = timezone.utc


def utc(field: str, value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime, or raise `NaiveDatetimeError` naming `field`.

    Args:
        field: Name of the argument or attribute, used in the error message.
        value: The instant to check.

    Raises:
        NaiveDatetimeError: `value` has no time zone.
        InvalidValueError: `value` is not a datetime at all.
    """
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # the common case, checked first because every question does it
    if not isinstance(value, datetime):
        raise InvalidValueError(field, value, "expected an aware datetime")
    offset = value.utcoffset()
    if offset is None:
        raise NaiveDatetimeError(field, value)
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def iso_instant(value: datetime) -> str:
    """Write an instant as ISO 8601 text in UTC, with a `Z`: `2026-11-23T09:00:00Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso_instant(value: object, _type: object = None) -> datetime:
    """Read an instant written by `iso_instant` (a cattrs structure hook, too).

    Raises:
        TypeError: `value` is not text.
        ValueError: `value` is not an ISO 8601 instant with a time zone.
    """
    if not isinstance(value, str):
        msg = "expected an ISO 8601 instant as text"
        raise TypeError(msg)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.utcoffset() is None:
        msg = "instant has no time zone"
        raise ValueError(msg)
    return parsed.astimezone(UTC)
