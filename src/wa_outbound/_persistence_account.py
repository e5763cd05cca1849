"""Store an `AccountHealth` as JSON-compatible data, and load it back.

Each part of the health is stored with the instant of the report it came from. A restriction's
type is stored as Meta spells it, known or not, and read back as `Restriction` reads it.
`load_account_health` refuses a health that no sequence of account facts builds (see there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from wa_outbound import _wire
from wa_outbound._account import AccountHealth, PhoneNumberStatus, QualityRating
from wa_outbound._errors import expect
from wa_outbound._persistence import (
    dump,
    dump_restriction,
    read,
    refused,
    stored_instant,
    type_text,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["dump_account_health", "load_account_health"]

_ACCOUNT_HEALTH: Final = _wire.StoredFormat(name="wa_outbound.account_health", version=1)
_REPORTS: Final = (
    # (part, its instant, the value it holds before any report)
    ("quality_rating", "quality_rating_at", QualityRating.UNKNOWN),
    ("phone_status", "phone_status_at", PhoneNumberStatus.UNKNOWN),
    ("messaging_limit", "messaging_limit_at", None),
    ("verification", "verification_at", None),
    ("last_violation_type", "last_violation_at", ""),
    ("direct_send", "direct_send_at", None),
)


def dump_account_health(health: AccountHealth) -> dict[str, Any]:
    """Return `health` as JSON-compatible data: each part and the instant it was reported."""
    expect("health", health, AccountHealth)
    h = health
    number, limit, verification = h.phone_number_id, h.messaging_limit, h.verification
    return {
        "format": _ACCOUNT_HEALTH.name,
        "version": _ACCOUNT_HEALTH.version,
        "phone_number_id": None if number is None else number.value,
        "quality_rating": h.quality_rating.value,
        "quality_rating_at": stored_instant(h.quality_rating_at),
        "phone_status": h.phone_status.value,
        "phone_status_at": stored_instant(h.phone_status_at),
        "messaging_limit": None if limit is None else {"users": limit.users},
        "messaging_limit_at": stored_instant(h.messaging_limit_at),
        "verification": None if verification is None else verification.value,
        "verification_at": stored_instant(h.verification_at),
        "restrictions": [dump_restriction(r) for r in h.restrictions],
        "restrictions_at": stored_instant(h.restrictions_at),
        "last_violation_type": h.last_violation_type,
        "last_violation_at": stored_instant(h.last_violation_at),
        "direct_send": h.direct_send,
        "direct_send_at": stored_instant(h.direct_send_at),
    }


def _generic_dump_account_health(health: AccountHealth) -> dict[str, Any]:
    """`dump_account_health` through the converter (the tests prove both write the same)."""
    return dump(_ACCOUNT_HEALTH, health, AccountHealth, "health")


def load_account_health(data: object) -> AccountHealth:
    """Return the `AccountHealth` stored by `dump_account_health`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored account health of a version this release
            reads; a field is missing, unknown or invalid; or no sequence of facts builds the
            health: a part reported without its instant (or an instant without its part), an
            empty violation type, restrictions without `restrictions_at`, or a restriction
            list not in the form a report leaves it (one per type, sorted by type). The
            error names the path and the value.
    """
    body = _wire.check_header(data, _ACCOUNT_HEALTH)
    health = read(body, AccountHealth)
    for part, instant, unreported in _REPORTS:
        _check_report(health, body, part, instant, unreported)
    if health.last_violation_at is not None and not health.last_violation_type.strip():
        refused("last_violation_type", health.last_violation_type, "a violation has its type")
    _check_restrictions(health, body)
    return health


def _check_report(
    health: AccountHealth, body: Mapping[str, Any], part: str, instant: str, unreported: object
) -> None:
    value, at = getattr(health, part), getattr(health, instant)
    if at is None and value != unreported:
        refused(part, body[part], f"reported without {instant}")
    if at is not None and value is None:  # these parts hold a value once reported
        refused(instant, body[instant], f"{part} is null")


def _check_restrictions(health: AccountHealth, body: Mapping[str, Any]) -> None:
    restrictions = health.restrictions
    if health.restrictions_at is None and restrictions:
        refused("restrictions", body["restrictions"], "reported without restrictions_at")
    previous = ""
    for index, restriction in enumerate(restrictions):
        text = type_text(restriction)
        if index and text <= previous:
            refused(
                f"restrictions[{index}].restriction_type",
                text,
                "a report keeps one restriction per type, sorted by type",
            )
        previous = text
