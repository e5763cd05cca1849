"""Account health: quality, phone status, messaging limit, verification and restrictions."""

from __future__ import annotations

import enum
import typing
from datetime import datetime, timedelta, timezone
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    InboundMessageReceived,
    InvalidTransition,
    InvalidValueError,
    NaiveDatetimeError,
    PhoneNumberId,
)
from wa_outbound._account import (
    _APPLY,
    MESSAGING_TIERS,
    QUALITY_SEVERITY,
    STATUS_SEVERITY,
    VERIFICATION_SEVERITY,
    AccountFact,
    AccountHealth,
    AccountRestricted,
    AccountRestrictionLifted,
    AccountViolationReported,
    BusinessVerificationChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
    Restriction,
    RestrictionType,
    VerificationStatus,
)
from wa_outbound._persistence_account import dump_account_health, load_account_health

from .conftest import T0

H = timedelta(hours=1)
BIZ = RestrictionType.RESTRICTED_BIZ_INITIATED_MESSAGING
CUSTOMER = RestrictionType.RESTRICTED_CUSTOMER_INITIATED_MESSAGING
ADD_NUMBER = RestrictionType.RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION
NEW_TYPE = "RESTRICTED_SOMETHING_NEW"
"""A restriction type Meta might add: kept as text."""


def restricted(
    at: datetime, *restrictions: tuple[RestrictionType | str, datetime | None]
) -> AccountRestricted:
    """Return an `AccountRestricted` fact from (type, until) pairs."""
    return AccountRestricted(
        at=at,
        restrictions=tuple(Restriction(restriction_type=t, until=u) for t, u in restrictions),
    )


# --- messaging limits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "users"),
    [
        ("TIER_50", 50),
        ("TIER_250", 250),
        ("TIER_1K", 1_000),
        ("TIER_2K", 2_000),
        ("TIER_10K", 10_000),
        ("TIER_100K", 100_000),
        ("TIER_UNLIMITED", None),
    ],
)
def test_tier_strings_decode_to_users(tier: str, users: int | None) -> None:
    """Each of Meta's tier strings means a number of unique users, or no limit."""
    assert MessagingLimit(users=users) == MessagingLimit.from_tier(tier)


def test_every_known_tier_is_tested() -> None:
    """The tier table holds exactly the seven tiers Meta has documented."""
    expected = {"TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K"}
    assert expected | {"TIER_UNLIMITED"} == set(MESSAGING_TIERS)


@pytest.mark.parametrize("tier", ["TIER_NOT_SET", "UNTIERED"])
def test_tiers_without_a_limit_read_as_none(tier: str) -> None:
    """A number that never sent has no tier yet: no limit is reported, not an unlimited one."""
    assert MessagingLimit.from_tier(tier) is None


def test_an_unknown_tier_names_the_field_and_value() -> None:
    """An unknown tier string is refused with the field it came from and the value."""
    with pytest.raises(InvalidValueError) as caught:
        MessagingLimit.from_tier("TIER_5K", field="old_limit")
    assert ("old_limit", "TIER_5K") == (caught.value.field, caught.value.value)
    assert "TIER_2K" in str(caught.value)


def test_a_tier_that_is_not_text_is_refused() -> None:
    """A number where a tier string belongs is refused."""
    with pytest.raises(InvalidValueError, match="current_limit=250"):
        MessagingLimit.from_tier(250)  # type: ignore[arg-type]


def test_tier_strings_are_case_sensitive() -> None:
    """Meta spells tiers in upper case; anything else is not guessed at."""
    with pytest.raises(InvalidValueError):
        MessagingLimit.from_tier("tier_2k")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1, MessagingLimit.unlimited()),
        (250, MessagingLimit(users=250)),
        (2000, MessagingLimit(users=2000)),
        (100_000, MessagingLimit(users=100_000)),
    ],
)
def test_max_daily_conversations_per_business(value: int, expected: MessagingLimit) -> None:
    """`max_daily_conversations_per_business` is a user count, and -1 means unlimited."""
    assert expected == MessagingLimit.from_max_daily(value)


@pytest.mark.parametrize("value", [0, -2, True, 2.5, None])
def test_bad_max_daily_values_name_the_field(value: object) -> None:
    """Zero, other negatives, booleans and non-integers are refused, naming the field."""
    with pytest.raises(InvalidValueError) as caught:
        MessagingLimit.from_max_daily(value)  # type: ignore[arg-type]
    assert "max_daily_conversations_per_business" == caught.value.field
    assert value is caught.value.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1, MessagingLimit.unlimited()),
        ("-1", MessagingLimit.unlimited()),
        (2000, MessagingLimit(users=2000)),
        ("2000", MessagingLimit(users=2000)),
        ("TIER_2K", MessagingLimit(users=2000)),
        ("TIER_UNLIMITED", MessagingLimit.unlimited()),
        ("TIER_NOT_SET", None),
    ],
)
def test_parse_reads_every_spelling(value: int | str, expected: MessagingLimit | None) -> None:
    """Meta documents the portfolio limit as an integer and as a tier string; both are read."""
    assert expected == MessagingLimit.parse(value)


@pytest.mark.parametrize("value", ["", "0", "lots", "TIER_3K", 0, False])
def test_parse_refuses_anything_else(value: object) -> None:
    """Text that is neither a tier nor an integer, and bad integers, are refused."""
    with pytest.raises(InvalidValueError) as caught:
        MessagingLimit.parse(value, field="current_limit")  # type: ignore[arg-type]
    assert "current_limit" == caught.value.field


@pytest.mark.parametrize("users", [0, -1, True, "250"])
def test_a_limit_holds_a_positive_count(users: object) -> None:
    """A limit is a positive number of users or None; -1 is only the wire spelling."""
    with pytest.raises(InvalidValueError, match="users="):
        MessagingLimit(users=users)  # type: ignore[arg-type]


def test_unlimited_is_flagged() -> None:
    """`is_unlimited` tells the unlimited limit from a finite one."""
    assert (True, False) == (
        MessagingLimit.unlimited().is_unlimited,
        MessagingLimit(users=250).is_unlimited,
    )


# --- enums ----------------------------------------------------------------------------------


def test_quality_ratings_read_meta_spelling() -> None:
    """Quality ratings are read as Meta spells them, `NA` included."""
    actual = [QualityRating.parse(t) for t in ("GREEN", "YELLOW", "RED", "UNKNOWN", "NA")]
    expected = [*QualityRating, QualityRating.UNKNOWN]
    assert expected == actual


@pytest.mark.parametrize("text", ["BLUE", "green", 3])
def test_unknown_quality_ratings_are_refused(text: object) -> None:
    """Anything else is refused with the field and the value."""
    with pytest.raises(InvalidValueError) as caught:
        QualityRating.parse(text)  # type: ignore[arg-type]
    assert ("quality_rating", text) == (caught.value.field, caught.value.value)


def test_phone_statuses_read_meta_spelling() -> None:
    """Every documented phone status reads back as itself; an unknown one is refused."""
    assert list(PhoneNumberStatus) == [PhoneNumberStatus.parse(s.value) for s in PhoneNumberStatus]
    with pytest.raises(InvalidValueError, match="status='OFFLINE'"):
        PhoneNumberStatus.parse("OFFLINE")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("verified", VerificationStatus.VERIFIED),
        ("NOT_VERIFIED", VerificationStatus.NOT_VERIFIED),
        ("pending_need_more_info", VerificationStatus.PENDING_NEED_MORE_INFO),
    ],
)
def test_verification_statuses_read_either_case(text: str, expected: VerificationStatus) -> None:
    """The Graph API spells verification statuses in lower case, some SDKs in upper case."""
    assert expected is VerificationStatus.parse(text)


@pytest.mark.parametrize("text", ["APPROVED", 7])
def test_unknown_verification_statuses_keep_the_original_value(text: object) -> None:
    """The error shows the value as given, not as lower-cased."""
    with pytest.raises(InvalidValueError) as caught:
        VerificationStatus.parse(text)  # type: ignore[arg-type]
    assert ("business_verification_status", text) == (caught.value.field, caught.value.value)


@pytest.mark.parametrize(
    ("table", "members"),
    [
        (QUALITY_SEVERITY, QualityRating),
        (STATUS_SEVERITY, PhoneNumberStatus),
        (VERIFICATION_SEVERITY, VerificationStatus),
    ],
)
def test_severity_tables_rank_every_member_once(
    table: dict[enum.Enum, int], members: type[enum.Enum]
) -> None:
    """Every member has a distinct tie-breaking rank, so ties never depend on order."""
    assert set(members) == set(table)
    assert len(table) == len(set(table.values()))


# --- facts ----------------------------------------------------------------------------------


def test_facts_refuse_naive_instants() -> None:
    """A fact's `at` must be aware."""
    with pytest.raises(NaiveDatetimeError, match="at="):
        QualityRatingChanged(at=datetime(2026, 11, 23, 9), rating=QualityRating.RED)


def test_facts_normalise_instants_to_utc() -> None:
    """An aware instant in another zone is stored as UTC."""
    cet = timezone(timedelta(hours=1))
    fact = AccountRestrictionLifted(at=datetime(2026, 11, 23, 10, tzinfo=cet))
    assert (T0, timezone.utc) == (fact.at, fact.at.tzinfo)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: QualityRatingChanged(at=T0, rating="RED"), "rating"),
        (
            lambda: QualityRatingChanged(at=T0, rating=QualityRating.RED, previous="GREEN"),
            "previous",
        ),
        (lambda: PhoneNumberStatusChanged(at=T0, status="FLAGGED"), "status"),
        (lambda: MessagingLimitChanged(at=T0, limit=2000), "limit"),
        (
            lambda: MessagingLimitChanged(at=T0, limit=MessagingLimit(users=2000), previous=250),
            "previous",
        ),
        (lambda: BusinessVerificationChanged(at=T0, status="verified"), "status"),
        (lambda: AccountViolationReported(at=T0, violation_type=" "), "violation_type"),
        (lambda: AccountRestricted(at=T0, restrictions=()), "restrictions"),
        (lambda: AccountRestricted(at=T0, restrictions=BIZ), "restrictions"),
        (lambda: AccountRestricted(at=T0, restrictions=(BIZ,)), "restrictions"),
        (lambda: Restriction(restriction_type=""), "restriction_type"),
        (lambda: Restriction(restriction_type=7), "restriction_type"),
        (lambda: AccountHealth().restriction_active(T0, " "), "restriction_type"),
        (lambda: AccountHealth(phone_number_id="106540352242922"), "phone_number_id"),
    ],
)
def test_bad_fields_are_refused_by_name(build: typing.Callable[[], object], field: str) -> None:
    """Every fact field refuses a value of the wrong kind, naming the field."""
    with pytest.raises(InvalidValueError) as caught:
        build()
    assert field == caught.value.field


def test_facts_keep_the_previous_value_they_report() -> None:
    """The previous rating or limit is kept on the fact, for the host's records."""
    rating = QualityRatingChanged(at=T0, rating=QualityRating.RED, previous=QualityRating.YELLOW)
    limit = MessagingLimitChanged(
        at=T0, limit=MessagingLimit(users=250), previous=MessagingLimit(users=2000)
    )
    assert (QualityRating.YELLOW, 2000) == (
        rating.previous,
        limit.previous and limit.previous.users,
    )


def test_a_restriction_refuses_a_naive_expiry() -> None:
    """`until` must be aware, like every instant."""
    with pytest.raises(NaiveDatetimeError, match="until="):
        Restriction(restriction_type=BIZ, until=datetime(2026, 11, 24))


def test_restriction_lists_are_canonical() -> None:
    """Duplicates merge into one entry with the later expiry, sorted, so equal lists are equal."""
    fact = restricted(T0, (CUSTOMER, T0 + H), (BIZ, T0 + 2 * H), (BIZ, T0 + 5 * H), (BIZ, None))
    expected = (
        Restriction(restriction_type=BIZ, until=None),
        Restriction(restriction_type=CUSTOMER, until=T0 + H),
    )
    assert expected == fact.restrictions
    assert fact == restricted(T0, (BIZ, None), (CUSTOMER, T0 + H))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RESTRICTED_BIZ_INITIATED_MESSAGING", BIZ),
        ("RESTRICTED_CUSTOMER_INITIATED_MESSAGING", CUSTOMER),
        ("RESTRICTED_ADD_PHONE_NUMBER_ACTION", ADD_NUMBER),
        ("RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION", ADD_NUMBER),
        (NEW_TYPE, NEW_TYPE),
        ("restricted_biz_initiated_messaging", "restricted_biz_initiated_messaging"),
        (BIZ, BIZ),
    ],
)
def test_restriction_types_read_known_spellings_and_keep_others(
    text: RestrictionType | str, expected: RestrictionType | str
) -> None:
    """Meta's spellings of known types read as members; any other text is kept as it is."""
    assert expected == RestrictionType.parse(text)
    assert expected == Restriction(restriction_type=text).restriction_type


def test_every_restriction_type_reads_back_from_its_value() -> None:
    """Each member is what its own value reads as."""
    assert list(RestrictionType) == [RestrictionType.parse(m.value) for m in RestrictionType]


def test_unknown_restriction_types_are_kept_and_match_no_known_type() -> None:
    """A new type is kept, sorted among the known ones, and asked about by its text."""
    fact = restricted(T0, (NEW_TYPE, None), (BIZ, T0 + H), ("RESTRICTED_A", None))
    assert ["RESTRICTED_A", BIZ, NEW_TYPE] == [r.restriction_type for r in fact.restrictions]
    health = AccountHealth().apply(restricted(T0, (NEW_TYPE, None)))
    assert (True, False, False) == (
        health.restriction_active(T0, NEW_TYPE),
        health.restriction_active(T0, BIZ),
        health.restriction_active(T0, CUSTOMER),
    )


def test_a_restriction_list_ends_with_its_last_expiry() -> None:
    """`until` of the fact is the last expiry, or None when one restriction has no end."""
    assert T0 + 3 * H == restricted(T0, (BIZ, T0 + H), (ADD_NUMBER, T0 + 3 * H)).until
    assert restricted(T0, (BIZ, T0 + H), (ADD_NUMBER, None)).until is None


# --- applying facts -------------------------------------------------------------------------


def test_a_fresh_health_knows_nothing() -> None:
    """Before any report the rating and status are unknown and nothing is restricted."""
    health = AccountHealth(phone_number_id=PhoneNumberId("106540352242922"))
    assert (QualityRating.UNKNOWN, PhoneNumberStatus.UNKNOWN, None, None, False) == (
        health.quality_rating,
        health.phone_status,
        health.messaging_limit,
        health.verification,
        health.restriction_active(T0),
    )


@pytest.mark.parametrize(
    ("fact", "part", "value"),
    [
        (
            QualityRatingChanged(at=T0, rating=QualityRating.RED),
            "quality_rating",
            QualityRating.RED,
        ),
        (
            PhoneNumberStatusChanged(at=T0, status=PhoneNumberStatus.FLAGGED),
            "phone_status",
            PhoneNumberStatus.FLAGGED,
        ),
        (
            MessagingLimitChanged(at=T0, limit=MessagingLimit(users=2000)),
            "messaging_limit",
            MessagingLimit(users=2000),
        ),
        (
            BusinessVerificationChanged(at=T0, status=VerificationStatus.VERIFIED),
            "verification",
            VerificationStatus.VERIFIED,
        ),
        (AccountViolationReported(at=T0, violation_type="SCAM"), "last_violation", "SCAM"),
        (restricted(T0, (BIZ, None)), "restrictions", (Restriction(restriction_type=BIZ),)),
    ],
)
def test_each_fact_sets_its_part_and_instant(fact: AccountFact, part: str, value: object) -> None:
    """A fact sets its own part and the instant of the report, and nothing else."""
    fresh = AccountHealth()
    health = fresh.apply(fact)
    field = "last_violation_type" if part == "last_violation" else part
    assert (value, T0) == (getattr(health, field), getattr(health, f"{part}_at"))
    changed = {
        a.name
        for a in AccountHealth.__attrs_attrs__
        if getattr(health, a.name) != getattr(fresh, a.name)
    }
    assert {field, f"{part}_at"} == changed


@pytest.mark.parametrize(
    ("new", "old"),
    [
        (
            QualityRatingChanged(at=T0 + H, rating=QualityRating.GREEN),
            QualityRatingChanged(at=T0, rating=QualityRating.RED),
        ),
        (
            PhoneNumberStatusChanged(at=T0 + H, status=PhoneNumberStatus.CONNECTED),
            PhoneNumberStatusChanged(at=T0, status=PhoneNumberStatus.BANNED),
        ),
        (
            MessagingLimitChanged(at=T0 + H, limit=MessagingLimit.unlimited()),
            MessagingLimitChanged(at=T0, limit=MessagingLimit(users=250)),
        ),
        (
            BusinessVerificationChanged(at=T0 + H, status=VerificationStatus.VERIFIED),
            BusinessVerificationChanged(at=T0, status=VerificationStatus.REVOKED),
        ),
        (
            AccountViolationReported(at=T0 + H, violation_type="ADULT"),
            AccountViolationReported(at=T0, violation_type="SCAM"),
        ),
        (AccountRestrictionLifted(at=T0 + H), restricted(T0, (BIZ, None))),
        (restricted(T0 + H, (BIZ, None)), AccountRestrictionLifted(at=T0)),
    ],
)
def test_an_older_fact_never_overrides_a_newer_one(new: AccountFact, old: AccountFact) -> None:
    """A late webhook for an earlier report leaves the health unchanged, whatever its value."""
    health = AccountHealth().apply(new)
    assert health is health.apply(old)


@pytest.mark.parametrize(
    ("milder", "severer", "part", "expected"),
    [
        (
            QualityRatingChanged(at=T0, rating=QualityRating.GREEN),
            QualityRatingChanged(at=T0, rating=QualityRating.RED),
            "quality_rating",
            QualityRating.RED,
        ),
        (
            PhoneNumberStatusChanged(at=T0, status=PhoneNumberStatus.CONNECTED),
            PhoneNumberStatusChanged(at=T0, status=PhoneNumberStatus.FLAGGED),
            "phone_status",
            PhoneNumberStatus.FLAGGED,
        ),
        (
            MessagingLimitChanged(at=T0, limit=MessagingLimit.unlimited()),
            MessagingLimitChanged(at=T0, limit=MessagingLimit(users=250)),
            "messaging_limit",
            MessagingLimit(users=250),
        ),
        (
            MessagingLimitChanged(at=T0, limit=MessagingLimit(users=10_000)),
            MessagingLimitChanged(at=T0, limit=MessagingLimit(users=2_000)),
            "messaging_limit",
            MessagingLimit(users=2_000),
        ),
        (
            BusinessVerificationChanged(at=T0, status=VerificationStatus.VERIFIED),
            BusinessVerificationChanged(at=T0, status=VerificationStatus.PENDING),
            "verification",
            VerificationStatus.PENDING,
        ),
    ],
)
def test_the_more_severe_report_wins_a_tie(
    milder: AccountFact, severer: AccountFact, part: str, expected: object
) -> None:
    """Two reports at the same instant resolve to the more severe, in either order."""
    one = AccountHealth().apply_all([milder, severer])
    other = AccountHealth().apply_all([severer, milder])
    assert (expected, expected) == (getattr(one, part), getattr(other, part))


def test_the_same_fact_twice_equals_once() -> None:
    """Re-delivered webhooks change nothing."""
    health = AccountHealth().apply(restricted(T0, (BIZ, T0 + H)))
    assert health is health.apply(restricted(T0, (BIZ, T0 + H)))


def test_a_non_fact_is_refused() -> None:
    """A conversation fact is not an account fact: the error names state and fact."""
    health = AccountHealth()
    fact = InboundMessageReceived(at=T0)
    with pytest.raises(InvalidTransition) as caught:
        health.apply(fact)  # type: ignore[arg-type]
    assert (health, fact) == (caught.value.state, caught.value.fact)


def test_every_account_fact_has_a_step() -> None:
    """The dispatch table covers exactly the facts of `AccountFact`."""
    assert set(typing.get_args(AccountFact)) == set(_APPLY)


# --- restrictions ---------------------------------------------------------------------------


def test_a_restriction_with_an_expiry_ends_on_its_own() -> None:
    """A restriction is in force until `until` (exclusive), then not, with no further fact."""
    health = AccountHealth().apply(restricted(T0, (BIZ, T0 + 24 * H)))
    actual = [health.restriction_active(T0 + k * H) for k in (0, 23, 24, 25)]
    assert [True, True, False, False] == actual
    assert T0 + 24 * H == health.next_restriction_expiry(T0)
    assert health.next_restriction_expiry(T0 + 24 * H) is None


def test_a_restriction_without_an_expiry_lasts_until_lifted() -> None:
    """Without `until` the restriction stays in force until a later lift."""
    health = AccountHealth().apply(restricted(T0, (BIZ, None)))
    assert health.restriction_active(T0 + 10_000 * H)
    assert health.next_restriction_expiry(T0) is None
    assert not health.apply(AccountRestrictionLifted(at=T0 + H)).restriction_active(T0 + 2 * H)


def test_restrictions_are_asked_by_type() -> None:
    """A restriction on adding numbers does not stop business-initiated messages."""
    health = AccountHealth().apply(restricted(T0, (ADD_NUMBER, None), (BIZ, T0 + H)))
    assert (True, True, False) == (
        health.restriction_active(T0, ADD_NUMBER),
        health.restriction_active(T0, BIZ.value),
        health.restriction_active(T0 + H, BIZ),
    )
    assert (Restriction(restriction_type=ADD_NUMBER),) == health.active_restrictions(T0 + H)


def test_the_next_expiry_is_the_soonest() -> None:
    """With several timed restrictions in force, the soonest end is the next change."""
    health = AccountHealth().apply(restricted(T0, (BIZ, T0 + 5 * H), (CUSTOMER, T0 + 2 * H)))
    assert (T0 + 2 * H, T0 + 5 * H) == (
        health.next_restriction_expiry(T0),
        health.next_restriction_expiry(T0 + 2 * H),
    )


def test_a_newer_list_replaces_the_older_one() -> None:
    """Meta's list is complete: a type missing from a newer list is no longer restricted."""
    health = AccountHealth().apply_all(
        [restricted(T0, (BIZ, None), (CUSTOMER, None)), restricted(T0 + H, (CUSTOMER, None))]
    )
    assert (False, True) == (
        health.restriction_active(T0 + H, BIZ),
        health.restriction_active(T0 + H, CUSTOMER),
    )


def test_lists_at_the_same_instant_merge() -> None:
    """Two lists reported at one instant are merged, the later expiry kept, in either order."""
    a = restricted(T0, (BIZ, T0 + H))
    b = restricted(T0, (BIZ, T0 + 3 * H), (CUSTOMER, None))
    expected = (
        Restriction(restriction_type=BIZ, until=T0 + 3 * H),
        Restriction(restriction_type=CUSTOMER),
    )
    assert [expected, expected] == [
        AccountHealth().apply_all([a, b]).restrictions,
        AccountHealth().apply_all([b, a]).restrictions,
    ]


def test_a_restriction_wins_a_tie_with_a_lift() -> None:
    """At the same instant a restriction and a lift resolve to the restriction, in either order."""
    r, lift = restricted(T0, (BIZ, None)), AccountRestrictionLifted(at=T0)
    assert [True, True] == [
        AccountHealth().apply_all([r, lift]).restriction_active(T0),
        AccountHealth().apply_all([lift, r]).restriction_active(T0),
    ]


def test_a_lift_with_nothing_restricted_records_its_instant() -> None:
    """A lift on a clean account changes only the instant of the restriction part."""
    health = AccountHealth().apply(AccountRestrictionLifted(at=T0))
    assert ((), T0) == (health.restrictions, health.restrictions_at)
    assert health is health.apply(AccountRestrictionLifted(at=T0))


def test_restriction_questions_refuse_naive_now() -> None:
    """`now` must be aware."""
    with pytest.raises(NaiveDatetimeError, match="now="):
        AccountHealth().restriction_active(datetime(2026, 11, 23, 9))


# --- properties -----------------------------------------------------------------------------

# Few instants, so that ties are common.
account_instants = st.integers(min_value=0, max_value=3).map(lambda k: T0 + k * H)
optional_until = st.none() | st.integers(min_value=1, max_value=6).map(lambda k: T0 + k * H)
restriction_values = st.builds(
    Restriction,
    restriction_type=st.sampled_from([BIZ, CUSTOMER, ADD_NUMBER, NEW_TYPE, BIZ.value]),
    until=optional_until,
)
limits = st.sampled_from([-1, 250, 2000, 10_000]).map(MessagingLimit.from_max_daily)

account_facts: st.SearchStrategy[AccountFact] = st.one_of(
    st.builds(QualityRatingChanged, at=account_instants, rating=st.sampled_from(QualityRating)),
    st.builds(
        PhoneNumberStatusChanged, at=account_instants, status=st.sampled_from(PhoneNumberStatus)
    ),
    st.builds(MessagingLimitChanged, at=account_instants, limit=limits),
    st.builds(
        BusinessVerificationChanged,
        at=account_instants,
        status=st.sampled_from(VerificationStatus),
    ),
    st.builds(
        AccountViolationReported,
        at=account_instants,
        violation_type=st.sampled_from(["ADULT", "SCAM", "ALCOHOL"]),
    ),
    st.builds(
        AccountRestricted,
        at=account_instants,
        restrictions=st.lists(restriction_values, min_size=1, max_size=3).map(tuple),
    ),
    st.builds(AccountRestrictionLifted, at=account_instants),
)


@given(st.lists(account_facts, max_size=12), st.randoms(use_true_random=False))
def test_delivery_order_does_not_matter(facts: list[AccountFact], random: Random) -> None:
    """Any shuffle of the same facts gives the same health."""
    shuffled = list(facts)
    random.shuffle(shuffled)
    assert AccountHealth().apply_all(facts) == AccountHealth().apply_all(shuffled)


@given(st.lists(account_facts, max_size=12), st.randoms(use_true_random=False))
def test_redelivery_changes_nothing(facts: list[AccountFact], random: Random) -> None:
    """Delivering some facts again, anywhere in the stream, gives the same health."""
    repeated = facts + [f for f in facts if random.random() < 0.5]
    random.shuffle(repeated)
    assert AccountHealth().apply_all(facts) == AccountHealth().apply_all(repeated)


@given(st.lists(account_facts, max_size=12))
def test_latest_report_wins_against_a_reference(facts: list[AccountFact]) -> None:
    """The rating is the latest report's, the worst on a tie; restrictions are the latest lists'."""
    health = AccountHealth().apply_all(facts)
    ratings = [f for f in facts if isinstance(f, QualityRatingChanged)]
    expected_rating = max(
        ratings,
        key=lambda f: (f.at, QUALITY_SEVERITY[f.rating]),
        default=None,
    )
    assert (expected_rating.rating if expected_rating else QualityRating.UNKNOWN) == (
        health.quality_rating
    )
    snapshots = [f for f in facts if isinstance(f, (AccountRestricted, AccountRestrictionLifted))]
    latest = max((f.at for f in snapshots), default=None)
    kinds = {
        r.restriction_type
        for f in snapshots
        if f.at == latest and isinstance(f, AccountRestricted)
        for r in f.restrictions
    }
    assert (latest, kinds) == (
        health.restrictions_at,
        {r.restriction_type for r in health.restrictions},
    )


@given(st.lists(account_facts, max_size=12))
def test_health_survives_the_persistence_converter(facts: list[AccountFact]) -> None:
    """A host can store the health with the persistence converter and load an equal value."""
    health = AccountHealth(phone_number_id=PhoneNumberId("106540352242922")).apply_all(facts)
    assert health == load_account_health(dump_account_health(health))
