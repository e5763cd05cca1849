"""Persistence of account health: round trips, strict loads, and only healths facts build."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import PhoneNumberId, StoredDataError
from wa_outbound.account import (
    AccountFact,
    AccountHealth,
    AccountRestricted,
    AccountRestrictionLifted,
    AccountViolationReported,
    BusinessVerificationChanged,
    DirectSendAccessChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
    Restriction,
    VerificationStatus,
    dump_account_health,
    load_account_health,
)
from wa_outbound.testing import account_healths

from .conftest import T0
from .json_mutations import DELETE, json_values, mutated, with_value

H = timedelta(hours=1)
coarse = st.integers(min_value=0, max_value=4).map(lambda k: T0 + k * H)
BIZ = "RESTRICTED_BIZ_INITIATED_MESSAGING"


@given(account_healths(coarse) | account_healths())
def test_account_health_round_trips_through_json(health: AccountHealth) -> None:
    """`load(json(dump(h)))` equals `h`, and answers the same questions."""
    loaded = load_account_health(json.loads(json.dumps(dump_account_health(health))))
    assert health == loaded
    now = max(T0 + 2 * H, health.latest_at or T0)
    assert health.active_restrictions(now) == loaded.active_restrictions(now)


def stored() -> dict[str, Any]:
    """A stored health with every part reported."""
    health = AccountHealth(phone_number_id=PhoneNumberId("106540352242922")).apply_all(
        [
            QualityRatingChanged(at=T0, rating=QualityRating.YELLOW),
            PhoneNumberStatusChanged(at=T0, status=PhoneNumberStatus.FLAGGED),
            MessagingLimitChanged(at=T0 + H, limit=MessagingLimit(users=2_000)),
            BusinessVerificationChanged(at=T0, status=VerificationStatus.VERIFIED),
            AccountViolationReported(at=T0, violation_type="SCAM"),
            AccountRestricted(
                at=T0 + H,
                restrictions=(
                    Restriction(restriction_type=BIZ, until=T0 + 24 * H),
                    Restriction(restriction_type="RESTRICTED_SOMETHING_NEW"),
                ),
            ),
        ]
    )
    return dump_account_health(health)


def test_account_health_format_is_plain_and_readable() -> None:
    """Parts by value, limits by users, restriction types as Meta spells them."""
    data = stored()
    assert ("wa_outbound.account_health", 1) == (data["format"], data["version"])
    assert ("106540352242922", "YELLOW", "verified") == (
        data["phone_number_id"],
        data["quality_rating"],
        data["verification"],
    )
    assert {"users": 2000} == data["messaging_limit"]
    assert [
        {"restriction_type": BIZ, "until": "2026-11-24T09:00:00Z"},
        {"restriction_type": "RESTRICTED_SOMETHING_NEW", "until": None},
    ] == data["restrictions"]


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("format",), "wa_outbound.conversation", "format", "expected"),
        (("version",), 0, "version", "unknown version"),
        (("phone_number_id",), "abc", "phone_number_id", "numeric"),
        (("phone_number_id",), DELETE, "phone_number_id", "missing"),
        (("quality_rating",), "NA", "quality_rating", "QualityRating"),
        (("phone_status",), None, "phone_status", "PhoneNumberStatus"),
        (("messaging_limit",), 2000, "messaging_limit", "JSON object"),
        (("messaging_limit", "users"), 0, "messaging_limit", "positive number"),
        (("messaging_limit", "users"), "2000", "messaging_limit.users", "expected an integer"),
        (("verification",), "VERIFIED", "verification", "VerificationStatus"),
        (("restrictions",), {}, "restrictions", "JSON array"),
        (("restrictions", 0), BIZ, "restrictions[0]", "JSON object"),
        (("restrictions", 0, "restriction_type"), " ", "restrictions[0].restriction_type", "empty"),
        (("restrictions", 0, "restriction_type"), 7, "restrictions[0].restriction_type", "string"),
        (("restrictions", 0, "until"), DELETE, "restrictions[0].until", "missing"),
        (("restrictions", 0, "until"), "soon", "restrictions[0].until", "isoformat"),
        (("restrictions", 0, "why"), "spam", "restrictions[0].why", "unknown field"),
        (("last_violation_at",), "2026-11-23", "last_violation_at", "time zone"),
        (("health",), "good", "health", "unknown field"),
    ],
)
def test_account_health_damage_names_the_field(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    """Every kind of damage raises `StoredDataError` naming the field path; nothing defaults."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_account_health(with_value(stored(), path, value))
    assert field == info.value.field


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"quality_rating_at": None}, "quality_rating", "without quality_rating_at"),
        ({"phone_status_at": None}, "phone_status", "without phone_status_at"),
        ({"messaging_limit_at": None}, "messaging_limit", "without messaging_limit_at"),
        ({"messaging_limit": None}, "messaging_limit_at", "messaging_limit is null"),
        ({"verification": None}, "verification_at", "verification is null"),
        ({"last_violation_at": None}, "last_violation_type", "without last_violation_at"),
        ({"last_violation_type": ""}, "last_violation_type", "a violation has its type"),
        ({"last_violation_type": " "}, "last_violation_type", "a violation has its type"),
        ({"restrictions_at": None}, "restrictions", "without restrictions_at"),
        (
            {
                "restrictions": [
                    {"restriction_type": "Z", "until": None},
                    {"restriction_type": BIZ, "until": None},
                ]
            },
            "restrictions[1].restriction_type",
            "one restriction per type, sorted",
        ),
        (
            {"restrictions": [{"restriction_type": BIZ, "until": None}] * 2},
            "restrictions[1].restriction_type",
            "one restriction per type",
        ),
    ],
)
def test_impossible_healths_are_refused(change: dict[str, Any], field: str, message: str) -> None:
    """A health that no sequence of facts builds is refused, naming the field."""
    data = stored()
    data.update(change)
    with pytest.raises(StoredDataError, match=message) as info:
        load_account_health(data)
    assert field == info.value.field


def _witness(health: AccountHealth) -> list[AccountFact]:
    """Facts that build `health` from a new one, read off its parts."""
    found: list[AccountFact] = []
    if health.quality_rating_at is not None:
        found.append(
            QualityRatingChanged(at=health.quality_rating_at, rating=health.quality_rating)
        )
    if health.phone_status_at is not None:
        found.append(
            PhoneNumberStatusChanged(at=health.phone_status_at, status=health.phone_status)
        )
    if health.messaging_limit is not None and health.messaging_limit_at is not None:
        found.append(
            MessagingLimitChanged(at=health.messaging_limit_at, limit=health.messaging_limit)
        )
    if health.verification is not None and health.verification_at is not None:
        found.append(
            BusinessVerificationChanged(at=health.verification_at, status=health.verification)
        )
    if health.last_violation_at is not None:
        found.append(
            AccountViolationReported(
                at=health.last_violation_at, violation_type=health.last_violation_type
            )
        )
    if health.direct_send is not None and health.direct_send_at is not None:
        found.append(DirectSendAccessChanged(at=health.direct_send_at, enabled=health.direct_send))
    if health.restrictions_at is not None:
        at = health.restrictions_at
        found.append(
            AccountRestricted(at=at, restrictions=health.restrictions)
            if health.restrictions
            else AccountRestrictionLifted(at=at)
        )
    return found


_KEYS = [*stored(), "users", "restriction_type", "until"]


@given(mutated(account_healths(coarse).map(dump_account_health), json_values(_KEYS)))
def test_every_health_that_loads_is_built_by_facts(data: Any) -> None:
    """A stored health loads only if facts build it: the facts read off its parts rebuild it."""
    try:
        health = load_account_health(data)
    except StoredDataError:
        return
    new = AccountHealth(phone_number_id=health.phone_number_id)
    assert health == new.apply_all(_witness(health))
