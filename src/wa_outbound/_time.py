"""Instants and durations: every instant in `wa_outbound` is an aware UTC `datetime`.

The core never reads a clock. Callers pass `now`; this module only checks and normalises it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Final

from wa_outbound._errors import InvalidValueError, NaiveDatetimeError

__all__ = ["UTC", "utc"]

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
