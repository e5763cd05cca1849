"""Account health: one business phone number's standing with the platform, as a value.

Theory of operation
-------------------
Before a business sends, it needs to know more than the recipient's window and consent: is the
number's quality rating low, is the number flagged or banned, what is the portfolio's messaging
limit, is the business verified, and is the account under a policy restriction? Meta reports
each of these by webhook, late, sometimes twice and in any order. `AccountHealth` keeps the
latest report of each and changes only by applying past-tense facts:

* **One part per kind of report.** The quality rating, the phone number's status, the
  messaging limit, the business verification, the account restrictions and the latest policy
  violation are independent parts. Each keeps its value and the instant of the report it came
  from (`quality_rating_at`, ...). A fact changes only its own part, so facts about different
  parts commute.

* **Latest wins, ties are broken by severity.** Within a part, a fact replaces the value only
  if it is newer (`at`); an older fact never overrides a newer one, and the same fact twice
  changes nothing. At equal instants the more severe value wins (a lower quality rating, a
  worse phone status, a lower messaging limit, a weaker verification), so the result never
  depends on delivery order. The severity orders are given as `Final` tables below.

* **Restrictions are snapshots.** Meta's `account_update` webhook with event
  `ACCOUNT_RESTRICTION` "lists all restrictions imposed on your account and when those
  restrictions expire"; `AccountRestricted` carries that list and replaces the previous one,
  and `AccountRestrictionLifted` replaces it with nothing. Snapshots reported at the same
  instant are merged (a restriction present in either is kept, with the later expiry), so a
  restriction wins a tie with a lift. Whether a restriction is in force is a question of
  `now` (`restriction_active`), because restrictions expire on their own.

* **Owner and time.** A fact may come with the account it names (`OwnedAccountFact`, such as
  the webhooks' `AccountFactFor`). The value keeps only its phone number id, and Meta's
  account webhooks name the WhatsApp Business Account and the number *as displayed*, which is
  not that id, so the owner is compared only where both sides give a phone number id (a
  wrapper with a `phone_number_id`); routing by account is the host's. `latest_at` is the
  latest report applied; questions about restrictions refuse a `now` earlier than it by more
  than the rules' clock skew tolerance.

Every instant is the time the platform reported (`entry.time` of the webhook), not the time the
host received it. The parts are per number, but two of Meta's reports are broader: the messaging
limit belongs to the business portfolio (since 2025-10-07) and restrictions, violations and
verification to the WhatsApp Business Account or its business. A host that tracks several
numbers applies such facts to the health of each number concerned.

Sources, checked on 2026-11-25 against Meta's developer documentation (mirrored in
`ArielAmzalak/WBAPI_Doc`):

* `phone_number_quality_update` webhook reference
  (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_quality_update):
  `event`, `current_limit` / `old_limit` (tier strings `TIER_50` ... `TIER_UNLIMITED` and
  `TIER_NOT_SET`, removed in February 2026), `max_daily_conversations_per_business`.
* `business_capability_update` webhook reference
  (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/business_capability_update):
  `max_daily_conversations_per_business` is 250, 2000, 10000, 100000 or -1 for unlimited (the
  same page also lists tier strings for it; both spellings are read).
* `account_update` webhook reference
  (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update)
  and "Use webhooks to track WABA policy violations"
  (https://developers.facebook.com/docs/whatsapp/overview/track-waba-policy-violations):
  `ACCOUNT_RESTRICTION` with `restriction_info[]{restriction_type, expiration}`,
  `ACCOUNT_VIOLATION` with `violation_info.violation_type`.
* "Messaging limits"
  (https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits):
  limits count unique users reached outside a customer service window in a moving 24 hours.
* Graph API "WhatsApp Business Account To Number Current Status"
  (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/):
  the phone number's `status`, `quality_rating` and `messaging_limit_tier`; and the
  `business_verification_status` of a WhatsApp Business Account
  (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/).

Nothing here reads a clock; nothing here raises for a valid fact.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs

from wa_outbound._errors import (
    InvalidTransition,
    InvalidValueError,
    flag,
    member,
    optional_member,
)
from wa_outbound._facts import at_field, non_empty_field
from wa_outbound._ids import PhoneNumberId
from wa_outbound._rules import answer_instant
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "MESSAGING_TIERS",
    "QUALITY_SEVERITY",
    "STATUS_SEVERITY",
    "VERIFICATION_SEVERITY",
    "AccountFact",
    "AccountHealth",
    "AccountRestricted",
    "AccountRestrictionLifted",
    "AccountViolationReported",
    "BusinessVerificationChanged",
    "DirectSendAccessChanged",
    "MessagingLimit",
    "MessagingLimitChanged",
    "OwnedAccountFact",
    "PhoneNumberStatus",
    "PhoneNumberStatusChanged",
    "QualityRating",
    "QualityRatingChanged",
    "Restriction",
    "RestrictionType",
    "VerificationStatus",
    "seen_after",
]

_EnumT = TypeVar("_EnumT", bound=enum.Enum)


def _parse(cls: type[_EnumT], text: object, field: str, aliases: Mapping[str, _EnumT]) -> _EnumT:
    """Return the member of `cls` spelled `text` (or an alias), or raise naming `field`."""
    if not isinstance(text, str):
        raise InvalidValueError(field, text, f"expected a {cls.__name__} as text")
    member = aliases.get(text)
    if member is not None:
        return member
    try:
        return cls(text)
    except ValueError:
        known = ", ".join(str(m.value) for m in cls)
        raise InvalidValueError(field, text, f"not a {cls.__name__}; known: {known}") from None


# --- values ---------------------------------------------------------------------------------


class QualityRating(enum.Enum):
    """A business phone number's quality rating (`quality_rating`), as Meta spells it.

    Meta's WhatsApp Manager shows the same ratings as High, Medium and Low.
    """

    GREEN = "GREEN"
    """High quality."""
    YELLOW = "YELLOW"
    """Medium quality."""
    RED = "RED"
    """Low quality: users block or report the number's messages; the number may be flagged."""
    UNKNOWN = "UNKNOWN"
    """Not rated yet (Meta's Graph API also spells it `NA`)."""

    @classmethod
    def parse(cls, text: str, *, field: str = "quality_rating") -> QualityRating:
        """Read Meta's spelling (`GREEN`, `YELLOW`, `RED`, `UNKNOWN` or `NA`).

        Raises:
            InvalidValueError: `text` is none of them; the error names `field`.
        """
        return _parse(cls, text, field, {"NA": cls.UNKNOWN})


class PhoneNumberStatus(enum.Enum):
    """A business phone number's operating status (Graph API `status`), as Meta spells it.

    The members are the values the Graph API reference lists for the phone number's `status`
    (via SDKs generated from it). Only CONNECTED, FLAGGED, RESTRICTED, BANNED and PENDING are
    explained in Meta's (and resellers') prose; the meaning of the others is UNCONFIRMED and
    paraphrased from their names. WhatsApp Manager's "Offline" is probably `DISCONNECTED`
    (UNCONFIRMED).
    """

    CONNECTED = "CONNECTED"
    """Online; sends within its messaging limit."""
    FLAGGED = "FLAGGED"
    """Quality rating fell to Low; the number is warned (`phone_number_quality_update`
    event `FLAGGED`). It returns to CONNECTED, possibly at a lower limit."""
    RESTRICTED = "RESTRICTED"
    """Reached its messaging limit: no business-initiated messages until the rolling 24 hours
    allow more; replies to users still go."""
    RATE_LIMITED = "RATE_LIMITED"
    """Rate limited (UNCONFIRMED meaning)."""
    PENDING = "PENDING"
    """Not registered yet; cannot send."""
    UNVERIFIED = "UNVERIFIED"
    """Not verified (UNCONFIRMED meaning)."""
    MIGRATED = "MIGRATED"
    """Moved to another WhatsApp Business Account (UNCONFIRMED meaning)."""
    DISCONNECTED = "DISCONNECTED"
    """Not connected to WhatsApp's servers (UNCONFIRMED meaning)."""
    BANNED = "BANNED"
    """Banned from sending and receiving messages."""
    DELETED = "DELETED"
    """Deleted from the account (UNCONFIRMED meaning)."""
    UNKNOWN = "UNKNOWN"
    """Status not known."""

    @classmethod
    def parse(cls, text: str, *, field: str = "status") -> PhoneNumberStatus:
        """Read Meta's spelling (`CONNECTED`, `FLAGGED`, ...).

        Raises:
            InvalidValueError: `text` is not a known status; the error names `field`.
        """
        return _parse(cls, text, field, {})


class VerificationStatus(enum.Enum):
    """Meta business verification of the business behind the number, as the Graph API spells it.

    These are the values of a WhatsApp Business Account's `business_verification_status` (and
    of a business portfolio's `verification_status`). Partner-led verification reports
    `APPROVED`, `FAILED`, `PENDING`, `REVOKED` or `DISCARDED` in `account_update`
    (`PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE`); map those onto these members.
    """

    VERIFIED = "verified"
    """The business is verified."""
    PENDING = "pending"
    """A verification is under review."""
    PENDING_SUBMISSION = "pending_submission"
    """Verification was started but not submitted."""
    PENDING_NEED_MORE_INFO = "pending_need_more_info"
    """Meta asked for more information."""
    NOT_VERIFIED = "not_verified"
    """The business never completed verification."""
    INELIGIBLE = "ineligible"
    """The business cannot be verified."""
    EXPIRED = "expired"
    """A verification expired."""
    FAILED = "failed"
    """A verification attempt failed."""
    REJECTED = "rejected"
    """Meta rejected the verification."""
    REVOKED = "revoked"
    """Meta withdrew an earlier verification."""

    @classmethod
    def parse(cls, text: str, *, field: str = "business_verification_status") -> VerificationStatus:
        """Read the Graph API's spelling, in lower or upper case (`verified`, `NOT_VERIFIED`).

        Raises:
            InvalidValueError: `text` is not a known status; the error names `field`.
        """
        lowered = text.lower() if isinstance(text, str) and text.isascii() else text
        try:
            return _parse(cls, lowered, field, {})
        except InvalidValueError as error:
            raise InvalidValueError(field, text, error.reason) from None


MESSAGING_TIERS: Final[dict[str, int | None]] = {
    # The tier names decode to user counts by definition ("TIER_2K: a messaging limit of
    # 2,000"), so they are wire format, not rules: which tiers exist at a date is rule data.
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}
"""Meta's messaging tier strings and the unique users per 24 h each allows (`None`: no limit).

`TIER_1K` is the per-number ladder before 2025-10-07 (Graph `messaging_limit_tier`); `TIER_2K`
the portfolio ladder since. `TIER_NOT_SET` (no message sent yet) and `UNTIERED` (in Meta's
SDK for `whatsapp_business_manager_messaging_limit`; meaning UNCONFIRMED) carry no limit:
`MessagingLimit.from_tier` returns `None` for them.
"""

_NO_TIER: Final = frozenset({"TIER_NOT_SET", "UNTIERED"})
_INTEGER: Final = re.compile(r"-?[0-9]{1,12}")
_UNLIMITED_CODE: Final = -1


def _users(_instance: object, _attribute: object, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValueError("users", value, "expected a positive number of users or None")


@attrs.frozen(kw_only=True)
class MessagingLimit:
    """How many unique users the business may reach outside a customer service window.

    Counted over a moving 24 hours (Meta "Messaging limits"). `users=None` means unlimited;
    build that with `MessagingLimit.unlimited()`. Read Meta's fields with `parse`.
    """

    users: int | None = attrs.field(validator=_users)
    """Unique users per moving 24 hours; `None` for no limit."""

    @classmethod
    def unlimited(cls) -> MessagingLimit:
        """Return the limit that allows any number of users."""
        return cls(users=None)

    @property
    def is_unlimited(self) -> bool:
        """Whether there is no limit."""
        return self.users is None

    @classmethod
    def from_max_daily(
        cls, value: int, *, field: str = "max_daily_conversations_per_business"
    ) -> MessagingLimit:
        """Read `max_daily_conversations_per_business` (or the older `..._per_phone`).

        Args:
            value: A positive number of users, or -1 for unlimited.
            field: The webhook field, named in the error.

        Raises:
            InvalidValueError: `value` is not a positive integer or -1.
        """
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValueError(field, value, "expected an integer (-1 = unlimited)")
        if value == _UNLIMITED_CODE:
            return cls.unlimited()
        if value < 1:
            raise InvalidValueError(field, value, "expected a positive limit or -1 (unlimited)")
        return cls(users=value)

    @classmethod
    def from_tier(cls, tier: str, *, field: str = "current_limit") -> MessagingLimit | None:
        """Read a tier string (`TIER_250`, `TIER_1K`, `TIER_UNLIMITED`, ...; see `MESSAGING_TIERS`).

        Args:
            tier: The tier as Meta spells it.
            field: The webhook or Graph field, named in the error.

        Returns:
            The limit, or `None` for `TIER_NOT_SET` and `UNTIERED`, which carry none.

        Raises:
            InvalidValueError: `tier` is not a known tier string.
        """
        if not isinstance(tier, str):
            raise InvalidValueError(field, tier, "expected a tier string such as 'TIER_2K'")
        if tier in _NO_TIER:
            return None
        try:
            users = MESSAGING_TIERS[tier]
        except KeyError:
            known = ", ".join((*MESSAGING_TIERS, *sorted(_NO_TIER)))
            raise InvalidValueError(
                field, tier, f"unknown messaging tier; known: {known}"
            ) from None
        return cls(users=users)

    @classmethod
    def parse(
        cls, value: int | str, *, field: str = "max_daily_conversations_per_business"
    ) -> MessagingLimit | None:
        """Read a limit in any spelling Meta uses: -1, 2000, "2000" or "TIER_2K".

        Meta documents `max_daily_conversations_per_business` both as an integer and as a tier
        string, so both are accepted wherever a limit is read.

        Returns:
            The limit, or `None` for a tier string that carries none (`TIER_NOT_SET`).

        Raises:
            InvalidValueError: `value` is none of these; the error names `field`.
        """
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            return cls.from_max_daily(int(value), field=field)
        if isinstance(value, str):
            return cls.from_tier(value, field=field)
        return cls.from_max_daily(value, field=field)


class RestrictionType(enum.Enum):
    """What a restriction forbids (`restriction_type` in `account_update`), as Meta spells it.

    Meta's guide "Use webhooks to track WABA policy violations" shows these three. A type
    Meta adds later is kept as the raw string wherever a restriction type is read
    (`Restriction.restriction_type`), so that it never raises and never matches one of these.
    """

    RESTRICTED_BIZ_INITIATED_MESSAGING = "RESTRICTED_BIZ_INITIATED_MESSAGING"
    """No business-initiated messages: no templates, and no free-form message outside a
    customer service window."""
    RESTRICTED_CUSTOMER_INITIATED_MESSAGING = "RESTRICTED_CUSTOMER_INITIATED_MESSAGING"
    """No replies to users: no free-form message inside a customer service window."""
    RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION = "RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION"
    """No new phone numbers on the account. Spelled as in Meta's guide; SDKs and resellers
    spell it `RESTRICTED_ADD_PHONE_NUMBER_ACTION` (UNCONFIRMED by Meta), which reads as this
    member too."""

    @classmethod
    def parse(
        cls, text: RestrictionType | str, *, field: str = "restriction_type"
    ) -> RestrictionType | str:
        """Read Meta's spelling: the member it names, or `text` itself if it names none.

        Raises:
            InvalidValueError: `text` is not a string, or is empty; the error names `field`.
        """
        if isinstance(text, RestrictionType):
            return text
        if not isinstance(text, str) or not text.strip():
            raise InvalidValueError(field, text, "expected a restriction type as non-empty text")
        return _RESTRICTION_TYPES.get(text, text)


_RESTRICTION_TYPES: Final[dict[str, RestrictionType]] = {
    **{member.value: member for member in RestrictionType},
    "RESTRICTED_ADD_PHONE_NUMBER_ACTION": RestrictionType.RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION,
}
"""Every known spelling of a restriction type, and the member it names."""


def _restriction_type(value: RestrictionType | str) -> RestrictionType | str:
    return RestrictionType.parse(value)


def _type_text(restriction_type: RestrictionType | str) -> str:
    """The restriction type as Meta spells it (the order restrictions are kept in)."""
    if isinstance(restriction_type, RestrictionType):
        return restriction_type.value
    return restriction_type


def _until(value: datetime | None) -> datetime | None:
    return None if value is None else utc("until", value)


@attrs.frozen(kw_only=True)
class Restriction:
    """One restriction Meta imposed on the account (`restriction_info[]` of `account_update`)."""

    restriction_type: RestrictionType | str = attrs.field(converter=_restriction_type)
    """What it forbids: a `RestrictionType`, or Meta's text for a type this library does not
    know (kept as given; it matches no `RestrictionType`). Text naming a known type is read as
    its member, so `Restriction(restriction_type="RESTRICTED_BIZ_INITIATED_MESSAGING")` holds
    `RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING`."""
    until: datetime | None = attrs.field(default=None, converter=_until)
    """`expiration`: when it ends (exclusive); `None` if Meta gave no end."""

    def active(self, now: datetime) -> bool:
        """Whether the restriction is in force at `now`."""
        return self.until is None or utc("now", now) < self.until


def _merge(restrictions: Iterable[Restriction]) -> tuple[Restriction, ...]:
    """Return one restriction per type, the later expiry kept (no end beats any end), sorted."""
    merged: dict[RestrictionType | str, Restriction] = {}
    for r in restrictions:
        old = merged.get(r.restriction_type)
        if old is None or (old.until is not None and (r.until is None or r.until > old.until)):
            merged[r.restriction_type] = r
    return tuple(merged[kind] for kind in sorted(merged, key=_type_text))


# --- facts ----------------------------------------------------------------------------------


def _member(cls: type[enum.Enum]) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise InvalidValueError(attribute.name, value, f"expected a {cls.__name__}")

    return check


def _optional_member(
    cls: type[enum.Enum],
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    check = _member(cls)

    def optional(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check(instance, attribute, value)

    return optional


def _limit(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, MessagingLimit):
        raise InvalidValueError(attribute.name, value, "expected a MessagingLimit")


def _optional_limit(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _limit(instance, attribute, value)


def _restrictions(value: Iterable[Restriction]) -> tuple[Restriction, ...]:
    if not isinstance(value, (tuple, list, frozenset, set)):
        raise InvalidValueError("restrictions", value, "expected a tuple of Restriction")
    if not value or not all(isinstance(r, Restriction) for r in value):
        raise InvalidValueError("restrictions", value, "expected one Restriction or more")
    return _merge(value)


@attrs.frozen(kw_only=True)
class QualityRatingChanged:
    """The platform reported the number's quality rating.

    Source: the Graph API field `quality_rating` of the phone number (a host polls it), or a
    reseller's quality webhook; Meta's `phone_number_quality_update` reports only the
    consequences (`FLAGGED`, `UNFLAGGED`, tier changes).
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported it."""
    rating: QualityRating = attrs.field(validator=_member(QualityRating))
    """The rating reported."""
    previous: QualityRating | None = attrs.field(
        default=None, validator=_optional_member(QualityRating)
    )
    """The rating before, if the report gave it (informational)."""


@attrs.frozen(kw_only=True)
class PhoneNumberStatusChanged:
    """The platform reported the number's operating status.

    Source: `phone_number_quality_update` with `event` `FLAGGED` (status FLAGGED) or
    `UNFLAGGED` (status CONNECTED), or the Graph API field `status` of the phone number.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported it (`entry.time`)."""
    status: PhoneNumberStatus = attrs.field(validator=_member(PhoneNumberStatus))
    """The status reported."""


@attrs.frozen(kw_only=True)
class MessagingLimitChanged:
    """The platform reported the messaging limit (of the portfolio since 2025-10-07).

    Source: `business_capability_update` (`max_daily_conversations_per_business`, or
    `max_daily_conversation_per_phone` until February 2026), or `phone_number_quality_update`
    with `event` `UPGRADE` / `DOWNGRADE` (`current_limit`, `old_limit`, or
    `max_daily_conversations_per_business`). Read values with `MessagingLimit.parse`.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported it (`entry.time`)."""
    limit: MessagingLimit = attrs.field(validator=_limit)
    """The limit now in force."""
    previous: MessagingLimit | None = attrs.field(default=None, validator=_optional_limit)
    """The limit before (`old_limit`), if the report gave it (informational)."""


@attrs.frozen(kw_only=True)
class AccountRestricted:
    """Meta restricted the account for policy violations: the full list now in force.

    Source: `account_update` with `event` `ACCOUNT_RESTRICTION`; `restrictions` from
    `restriction_info[]` (`restriction_type`, `expiration`). The list replaces any earlier one.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported it (`entry.time`)."""
    restrictions: tuple[Restriction, ...] = attrs.field(converter=_restrictions)
    """What is restricted and until when: one entry per type (duplicates merged, later expiry
    kept), sorted by type."""

    @property
    def until(self) -> datetime | None:
        """When the last of these restrictions ends; `None` if one of them has no end."""
        ends = [r.until for r in self.restrictions]
        return None if None in ends else max(e for e in ends if e is not None)


@attrs.frozen(kw_only=True)
class AccountRestrictionLifted:
    """Every restriction on the account was lifted before its expiry.

    Meta documents no webhook for this (UNCONFIRMED); a host records it when it learns it,
    for example from WhatsApp Manager or an `ACCOUNT_RESTRICTION` webhook whose
    `restriction_info` is empty. Restrictions with an `expiration` end on their own.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the restrictions were lifted."""


@attrs.frozen(kw_only=True)
class BusinessVerificationChanged:
    """The business's Meta business verification changed.

    Source: `account_update` with `event` `PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE`
    (`partner_client_certification_info.status`), or the Graph API field
    `business_verification_status` of the WhatsApp Business Account.
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported it."""
    status: VerificationStatus = attrs.field(validator=_member(VerificationStatus))
    """The verification status reported."""


@attrs.frozen(kw_only=True)
class AccountViolationReported:
    """Meta reported a policy violation by the account (a warning that may precede restrictions).

    Source: `account_update` with `event` `ACCOUNT_VIOLATION` (`violation_info.violation_type`).
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform reported it (`entry.time`)."""
    violation_type: str = attrs.field(validator=non_empty_field)
    """As Meta spells it, for example `ALCOHOL`, `ADULT` or `SCAM`."""


def _enabled(_instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    flag(attribute.name, value)


@attrs.frozen(kw_only=True)
class DirectSendAccessChanged:
    """Meta enabled or blocked Direct Send (utility messages without a template) for the account.

    Meta documents no webhook for it; a host records it from WhatsApp Manager's eligibility
    banner or its partner (enabled), or from error 139200 "Direct Send utility or
    authentication access is blocked" or error 100 "Direct Send isn't enabled for this
    account" (not enabled). Source: Meta, Direct Send API reference (updated 2026-07-31).
    """

    at: datetime = attrs.field(converter=at_field)
    """When the platform said so."""
    enabled: bool = attrs.field(validator=_enabled)
    """Whether the account may use Direct Send."""


AccountFact = (
    QualityRatingChanged
    | PhoneNumberStatusChanged
    | MessagingLimitChanged
    | AccountRestricted
    | AccountRestrictionLifted
    | BusinessVerificationChanged
    | AccountViolationReported
    | DirectSendAccessChanged
)
"""Any fact an `AccountHealth` can apply."""


class OwnedAccountFact(Protocol):
    """An account fact with the account it belongs to, as `wa_outbound.webhooks` routes it.

    Any object with a `fact` is one (the webhooks' `AccountFactFor`, or a host's own wrapper).
    One that also has a `phone_number_id` is applied only to the health of that number (when
    the health knows its number); Meta's account webhooks give none, so the webhooks' wrapper
    is applied as it comes.
    """

    @property
    def fact(self) -> AccountFact:
        """What happened."""


# --- the account health ---------------------------------------------------------------------

QUALITY_SEVERITY: Final[dict[QualityRating, int]] = {
    QualityRating.GREEN: 0,
    QualityRating.UNKNOWN: 1,
    QualityRating.YELLOW: 2,
    QualityRating.RED: 3,
}
"""Which rating wins a tie between reports at the same instant: the higher number."""

STATUS_SEVERITY: Final[dict[PhoneNumberStatus, int]] = {
    PhoneNumberStatus.CONNECTED: 0,
    PhoneNumberStatus.UNKNOWN: 1,
    PhoneNumberStatus.PENDING: 2,
    PhoneNumberStatus.UNVERIFIED: 3,
    PhoneNumberStatus.MIGRATED: 4,
    PhoneNumberStatus.FLAGGED: 5,
    PhoneNumberStatus.RATE_LIMITED: 6,
    PhoneNumberStatus.RESTRICTED: 7,
    PhoneNumberStatus.DISCONNECTED: 8,
    PhoneNumberStatus.DELETED: 9,
    PhoneNumberStatus.BANNED: 10,
}
"""Which phone status wins a tie between reports at the same instant: the higher number."""

VERIFICATION_SEVERITY: Final[dict[VerificationStatus, int]] = {
    VerificationStatus.VERIFIED: 0,
    VerificationStatus.PENDING: 1,
    VerificationStatus.PENDING_SUBMISSION: 2,
    VerificationStatus.PENDING_NEED_MORE_INFO: 3,
    VerificationStatus.NOT_VERIFIED: 4,
    VerificationStatus.INELIGIBLE: 5,
    VerificationStatus.EXPIRED: 6,
    VerificationStatus.FAILED: 7,
    VerificationStatus.REJECTED: 8,
    VerificationStatus.REVOKED: 9,
}
"""Which verification status wins a tie between reports at the same instant: the higher one."""


def _limit_severity(limit: MessagingLimit) -> tuple[int, int]:
    """Rank limits for ties: unlimited lowest, then the fewer users, the higher."""
    return (0, 0) if limit.users is None else (1, -limit.users)


def _phone_number_id(_instance: object, _attribute: object, value: PhoneNumberId | None) -> None:
    if value is not None and not isinstance(value, PhoneNumberId):
        raise InvalidValueError("phone_number_id", value, "expected a PhoneNumberId or None")


def _quality_rating_member(value: object) -> QualityRating:
    return member("quality_rating", QualityRating, value)


def _phone_status_member(value: object) -> PhoneNumberStatus:
    return member("phone_status", PhoneNumberStatus, value)


def _verification_member(value: object) -> VerificationStatus | None:
    return optional_member("verification", VerificationStatus, value)


_NOT_COMPUTED: Final = object()
"""A kept `latest_at` before a question computed it."""


@attrs.frozen(kw_only=True)
class AccountHealth:
    """What the platform last said about one business phone number and its account.

    Start with `AccountHealth()` (or with `phone_number_id=...`), then `apply` facts as they
    arrive, in any order. Each part keeps the instant of the report it came from (`..._at`,
    `None` until a report arrives); that is the latest report, not the first one that set the
    current value.
    """

    phone_number_id: PhoneNumberId | None = attrs.field(default=None, validator=_phone_number_id)
    """The business phone number, if the host wants to keep it with the value."""
    quality_rating: QualityRating = attrs.field(
        default=QualityRating.UNKNOWN,
        converter=_quality_rating_member,
    )
    """The latest quality rating."""
    quality_rating_at: datetime | None = None
    """When it was reported."""
    phone_status: PhoneNumberStatus = attrs.field(
        default=PhoneNumberStatus.UNKNOWN,
        converter=_phone_status_member,
    )
    """The latest operating status."""
    phone_status_at: datetime | None = None
    """When it was reported."""
    messaging_limit: MessagingLimit | None = None
    """The latest messaging limit; `None` until one is reported."""
    messaging_limit_at: datetime | None = None
    """When it was reported."""
    verification: VerificationStatus | None = attrs.field(
        default=None,
        converter=_verification_member,
    )
    """The latest business verification status; `None` until one is reported."""
    verification_at: datetime | None = None
    """When it was reported."""
    restrictions: tuple[Restriction, ...] = ()
    """The latest list of restrictions (some may have expired since: ask `restriction_active`)."""
    restrictions_at: datetime | None = None
    """When that list was reported (or lifted)."""
    last_violation_type: str = ""
    """The latest policy violation reported, if any."""
    last_violation_at: datetime | None = None
    """When it was reported."""
    direct_send: bool | None = None
    """Whether Meta lets the account use Direct Send; `None` until reported (not eligible)."""
    direct_send_at: datetime | None = None
    """When it was reported."""
    _latest: datetime | object | None = attrs.field(
        init=False, default=_NOT_COMPUTED, eq=False, repr=False, alias="_latest"
    )
    """`latest_at`, once a question has computed it (a value is frozen: it cannot change)."""

    def apply(self, fact: AccountFact | OwnedAccountFact) -> AccountHealth:
        """Return the health after `fact`; applying the same fact twice changes nothing.

        `fact` may come with the account it belongs to (`OwnedAccountFact`, such as the
        webhooks' `AccountFactFor`); a wrapper that names a `phone_number_id` is applied only
        if it is this health's (when it has one).

        Raises:
            InvalidTransition: `fact` is not a fact this value knows, or it names another
                phone number (the error names both).
        """
        try:
            step = _APPLY[type(fact)]
        except KeyError:
            return _apply_owned(self, fact)
        return step(self, fact)

    def apply_all(self, facts: Iterable[AccountFact | OwnedAccountFact]) -> AccountHealth:
        """Return the health after every fact of `facts`, in the order given."""
        health = self
        for fact in facts:
            health = health.apply(fact)
        return health

    @property
    def latest_at(self) -> datetime | None:
        """The latest instant of any report applied (`None` before the first).

        Derived from the instants the value keeps (a restriction's end is not one: it was
        announced, not seen). The restriction questions refuse a `now` earlier than it by more
        than the rules' `clock_skew_tolerance`.
        """
        latest = max(
            self.quality_rating_at or _EARLIEST,
            self.phone_status_at or _EARLIEST,
            self.messaging_limit_at or _EARLIEST,
            self.verification_at or _EARLIEST,
            self.restrictions_at or _EARLIEST,
            self.last_violation_at or _EARLIEST,
            self.direct_send_at or _EARLIEST,
        )
        return None if latest is _EARLIEST else latest

    def active_restrictions(self, now: datetime) -> tuple[Restriction, ...]:
        """Return the restrictions in force at `now`.

        A `now` before `latest_at` by at most the built-in rules' `clock_skew_tolerance` is
        answered as at `latest_at`.

        Raises:
            NaiveDatetimeError: `now` has no time zone.
            ClockSkewError: `now` is before `latest_at` by more than the tolerance.
        """
        now = answer_instant(utc("now", now), self.latest_at)
        return tuple(r for r in self.restrictions if r.active(now))

    def restriction_active(
        self, now: datetime, restriction_type: RestrictionType | str | None = None
    ) -> bool:
        """Whether any restriction (or the one of `restriction_type`) is in force at `now`.

        Args:
            now: The instant asked about (aware).
            restriction_type: For example `RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING`
                (or Meta's text for it, or for a type this library does not know); `None` for
                any.

        Raises:
            InvalidValueError: `restriction_type` is neither `None`, a `RestrictionType` nor
                non-empty text.
            ClockSkewError: `now` is before `latest_at` by more than the clock skew tolerance.
        """
        wanted = None if restriction_type is None else RestrictionType.parse(restriction_type)
        return any(
            wanted is None or r.restriction_type == wanted for r in self.active_restrictions(now)
        )

    def next_restriction_expiry(self, now: datetime) -> datetime | None:
        """Return when the next restriction in force at `now` ends on its own, if any does.

        Raises:
            ClockSkewError: `now` is before `latest_at` by more than the clock skew tolerance.
        """
        ends = [r.until for r in self.active_restrictions(now) if r.until is not None]
        return min(ends) if ends else None


# --- applying facts -------------------------------------------------------------------------

_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
"""An instant before every instant a fact can carry."""


def seen_after(h: AccountHealth, now: datetime) -> bool:
    """Whether `h` holds an instant after `now` (`latest_at > now`).

    `decide` asks this before every send: the first question computes `latest_at` and keeps
    it on the (frozen) value, so asking again about the same health costs one look-up.
    """
    latest = h._latest  # noqa: SLF001 - this module's own cache
    if latest is _NOT_COMPUTED:
        latest = h.latest_at
        object.__setattr__(h, "_latest", latest)
    return latest is not None and latest > now  # type: ignore[operator]


def _apply_owned(h: AccountHealth, item: object) -> AccountHealth:
    """Apply the fact of an `OwnedAccountFact` that may name `h`; refuse anything else."""
    fact = getattr(item, "fact", None)
    step = _APPLY.get(type(fact))
    if step is None:
        raise InvalidTransition(h, item, "not an account health fact") from None
    number = getattr(item, "phone_number_id", None)
    if number is not None and h.phone_number_id is not None and number != h.phone_number_id:
        raise InvalidTransition(
            h,
            item,
            f"the fact is for phone_number_id={number!r}; this health is for"
            f" phone_number_id={h.phone_number_id!r}",
        ) from None
    return step(h, fact)


def _newer(old: tuple[datetime | None, Any], new: tuple[datetime, Any]) -> bool:
    """Whether the report keyed `new` replaces the one keyed `old` (instant, then severity)."""
    at, rank = old
    return at is None or new > (at, rank)


def _quality(h: AccountHealth, fact: QualityRatingChanged) -> AccountHealth:
    old = (h.quality_rating_at, QUALITY_SEVERITY[h.quality_rating])
    if not _newer(old, (fact.at, QUALITY_SEVERITY[fact.rating])):
        return h
    return attrs.evolve(h, quality_rating=fact.rating, quality_rating_at=fact.at)


def _phone_status(h: AccountHealth, fact: PhoneNumberStatusChanged) -> AccountHealth:
    old = (h.phone_status_at, STATUS_SEVERITY[h.phone_status])
    if not _newer(old, (fact.at, STATUS_SEVERITY[fact.status])):
        return h
    return attrs.evolve(h, phone_status=fact.status, phone_status_at=fact.at)


def _messaging_limit(h: AccountHealth, fact: MessagingLimitChanged) -> AccountHealth:
    if h.messaging_limit is not None:
        old = (h.messaging_limit_at, _limit_severity(h.messaging_limit))
        if not _newer(old, (fact.at, _limit_severity(fact.limit))):
            return h
    return attrs.evolve(h, messaging_limit=fact.limit, messaging_limit_at=fact.at)


def _verification(h: AccountHealth, fact: BusinessVerificationChanged) -> AccountHealth:
    if h.verification is not None:
        old = (h.verification_at, VERIFICATION_SEVERITY[h.verification])
        if not _newer(old, (fact.at, VERIFICATION_SEVERITY[fact.status])):
            return h
    return attrs.evolve(h, verification=fact.status, verification_at=fact.at)


def _restriction_snapshot(
    h: AccountHealth, at: datetime, restrictions: tuple[Restriction, ...]
) -> AccountHealth:
    current = h.restrictions_at
    if current is not None and at < current:
        return h
    if current is not None and at == current:
        # Same instant: merge, so that the result does not depend on which came first.
        restrictions = _merge((*h.restrictions, *restrictions))
    if (at, restrictions) == (current, h.restrictions):
        return h
    return attrs.evolve(h, restrictions=restrictions, restrictions_at=at)


def _restricted(h: AccountHealth, fact: AccountRestricted) -> AccountHealth:
    return _restriction_snapshot(h, fact.at, fact.restrictions)


def _lifted(h: AccountHealth, fact: AccountRestrictionLifted) -> AccountHealth:
    return _restriction_snapshot(h, fact.at, ())


def _violation(h: AccountHealth, fact: AccountViolationReported) -> AccountHealth:
    # At equal instants the type decides (alphabetically last), so order never does.
    if not _newer((h.last_violation_at, h.last_violation_type), (fact.at, fact.violation_type)):
        return h
    return attrs.evolve(h, last_violation_type=fact.violation_type, last_violation_at=fact.at)


def _direct_send(h: AccountHealth, fact: DirectSendAccessChanged) -> AccountHealth:
    # At equal instants "blocked" wins (False ranks above True), so order never does.
    if not _newer((h.direct_send_at, h.direct_send is False), (fact.at, not fact.enabled)):
        return h
    return attrs.evolve(h, direct_send=fact.enabled, direct_send_at=fact.at)


_APPLY: Final[dict[type, Callable[[AccountHealth, Any], AccountHealth]]] = {
    QualityRatingChanged: _quality,
    PhoneNumberStatusChanged: _phone_status,
    MessagingLimitChanged: _messaging_limit,
    AccountRestricted: _restricted,
    AccountRestrictionLifted: _lifted,
    BusinessVerificationChanged: _verification,
    AccountViolationReported: _violation,
    DirectSendAccessChanged: _direct_send,
}
"""Which step each kind of fact takes."""
