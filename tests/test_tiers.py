"""Messaging limit tiers: the dated ladders, upgrade blockers and ramp-up plans."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import T0, T2023
from wa_outbound import (
    InvalidValueError,
    MessagingLimit,
    NaiveDatetimeError,
    RuleDataError,
    rules_at,
)
from wa_outbound._tiers import (
    RampStep,
    TierBlocker,
    TierBlockerCode,
    TierProjection,
    project_tier,
    ramp_up,
)
from wa_outbound.account import PhoneNumberStatus, QualityRating
from wa_outbound.limits import climb

OK = {"quality": QualityRating.GREEN, "phone_status": PhoneNumberStatus.CONNECTED}


def _limit(users: int | None) -> MessagingLimit:
    return MessagingLimit(users=users)


def _next(users: int | None, now: datetime) -> int | None:
    projection = project_tier(_limit(users), used_last_7_days=10**9, now=now, **OK)  # type: ignore[arg-type]
    assert projection.next is not None
    return projection.next.users


def test_2023_ladder_is_250_1k_10k_100k_unlimited() -> None:
    """Under the 2023 rules each limit's next step follows the per-number ladder."""
    expected = [250, 1_000, 10_000, 100_000, None]
    assert expected == [_next(u, T2023) for u in (50, 250, 1_000, 10_000, 100_000)]


def test_todays_ladder_is_250_2k_10k_100k_unlimited() -> None:
    """Under today's rules each limit's next step follows the portfolio ladder."""
    expected = [250, 2_000, 10_000, 100_000, None]
    assert expected == [_next(u, T0) for u in (50, 250, 2_000, 10_000, 100_000)]


def test_a_legacy_1k_limit_steps_to_2k_today() -> None:
    """A limit between two rungs (1K under today's rules) projects to the next rung above it."""
    assert 2_000 == _next(1_000, T0)


def test_explicit_rules_override_the_rules_at_now() -> None:
    """Passing the 2023 rules today projects on the 2023 ladder with its 24-hour delay."""
    actual = project_tier(
        _limit(1_000),
        used_last_7_days=500,
        now=T0,
        rules=rules_at(T2023),
        **OK,  # type: ignore[arg-type]
    )
    assert _limit(10_000) == actual.next
    assert T0 + timedelta(hours=24) == actual.earliest_upgrade_at


def test_rules_hold_the_dated_tier_numbers() -> None:
    """The 2025-10-07 change raises the verified start to 2,000 and cuts the delay to 6 hours."""
    old, new = rules_at(T2023), rules_at(T0)
    assert (250, 1_000, 10_000, 100_000) == old.messaging_limit_tiers.value
    assert (250, 2_000, 10_000, 100_000) == new.messaging_limit_tiers.value
    assert (1_000, 2_000) == (old.verified_starting_limit.value, new.verified_starting_limit.value)
    assert (timedelta(hours=24), timedelta(hours=6)) == (
        old.limit_upgrade_delay.value,
        new.limit_upgrade_delay.value,
    )
    for rules in (old, new):
        assert 0.5 == rules.limit_upgrade_usage_share.value
        assert timedelta(days=7) == rules.limit_upgrade_lookback.value
        assert timedelta(days=7) == rules.limit_downgrade_after_low_quality.value


def test_eligible_upgrade_lands_within_the_delay() -> None:
    """A connected, green portfolio that used half its 2,000 limit is upgraded within 6 hours."""
    expected = TierProjection(
        current=_limit(2_000),
        next=_limit(10_000),
        eligible=True,
        blockers=(),
        earliest_upgrade_at=T0 + timedelta(hours=6),
    )
    assert expected == project_tier(_limit(2_000), used_last_7_days=1_000, now=T0, **OK)  # type: ignore[arg-type]


def test_2023_upgrade_lands_within_24_hours() -> None:
    """Under the 2023 rules the same upgrade is due within 24 hours."""
    actual = project_tier(_limit(1_000), used_last_7_days=500, now=T2023, **OK)  # type: ignore[arg-type]
    assert T2023 + timedelta(hours=24) == actual.earliest_upgrade_at


def test_not_enough_usage_names_the_users_still_needed() -> None:
    """Using 4,000 of a 10,000 limit leaves 1,000 users to reach before an upgrade."""
    actual = project_tier(_limit(10_000), used_last_7_days=4_000, now=T0, **OK)  # type: ignore[arg-type]
    expected = (TierBlocker(code=TierBlockerCode.NOT_ENOUGH_USAGE, needed=1_000),)
    assert expected == actual.blockers
    assert actual.eligible is False
    assert actual.earliest_upgrade_at is None
    assert "Reach 1,000 more unique users" in actual.blockers[0].sentence


def test_low_quality_and_disconnection_block_together() -> None:
    """A red, flagged number lists both blockers, each with its own sentence."""
    actual = project_tier(
        _limit(2_000),
        used_last_7_days=2_000,
        quality=QualityRating.RED,
        phone_status=PhoneNumberStatus.FLAGGED,
        now=T0,
    )
    codes = [b.code for b in actual.blockers]
    assert [TierBlockerCode.NOT_CONNECTED, TierBlockerCode.QUALITY_LOW] == codes
    assert "The phone number is not CONNECTED." == actual.blockers[0].sentence
    assert "quality rating is low" in actual.blockers[1].sentence


def test_unknown_quality_does_not_block() -> None:
    """A number not rated yet is not low quality, so it may be upgraded."""
    actual = project_tier(
        _limit(2_000),
        used_last_7_days=1_000,
        quality=QualityRating.UNKNOWN,
        phone_status=PhoneNumberStatus.CONNECTED,
        now=T0,
    )
    assert actual.eligible is True


def test_below_the_verified_start_needs_a_scaling_path() -> None:
    """A 250 portfolio is never upgraded automatically: a scaling path to 2,000 is required."""
    actual = project_tier(_limit(250), used_last_7_days=250, now=T0, **OK)  # type: ignore[arg-type]
    expected = (TierBlocker(code=TierBlockerCode.SCALING_PATH_REQUIRED, needed=2_000),)
    assert expected == actual.blockers
    assert "verified starting limit of 2,000 users" in actual.blockers[0].sentence


def test_unlimited_has_no_next_step() -> None:
    """An unlimited limit has no next step and says so as its only blocker."""
    actual = project_tier(MessagingLimit.unlimited(), used_last_7_days=0, now=T0, **OK)  # type: ignore[arg-type]
    assert actual.next is None
    assert (TierBlocker(code=TierBlockerCode.ALREADY_UNLIMITED),) == actual.blockers
    assert "The messaging limit is already unlimited." == actual.blockers[0].sentence


def test_project_tier_refuses_naive_now() -> None:
    """A naive `now` raises `NaiveDatetimeError` naming `now`."""
    with pytest.raises(NaiveDatetimeError) as info:
        project_tier(_limit(2_000), used_last_7_days=0, now=datetime(2026, 1, 1), **OK)  # type: ignore[arg-type]
    assert "now" == info.value.field


@pytest.mark.parametrize("used", [-1, True, 1.5])
def test_project_tier_refuses_bad_usage(used: object) -> None:
    """A negative or non-integer usage raises `InvalidValueError` naming the field."""
    with pytest.raises(ValueError, match="used_last_7_days=") as info:
        project_tier(_limit(2_000), used_last_7_days=used, now=T0, **OK)  # type: ignore[arg-type]
    assert "used_last_7_days" == info.value.field  # type: ignore[attr-defined]


def _table(steps: tuple[RampStep, ...]) -> list[tuple[int, int | None, int, int]]:
    return [(s.day, s.limit.users, s.users, s.cumulative) for s in steps]


def test_ramp_2023_business_from_1k_to_100k() -> None:
    """In 2023 half the limit qualifies at once and the step lands 24 h later: a tier a day."""
    steps = ramp_up(100_000, limit=_limit(1_000), now=T2023)
    expected = [
        (0, 1_000, 1_000, 1_000),
        (1, 10_000, 10_000, 11_000),
        (2, 100_000, 100_000, 111_000),
    ]
    assert expected == _table(steps)
    assert T2023 + timedelta(days=2) == steps[-1].starts_at
    assert (T2023 + timedelta(days=1),) == steps[1].upgrades


def test_ramp_2026_portfolio_climbs_within_the_first_day() -> None:
    """Today each step lands 6 h after half the limit is reached: 100,000 by 12:00 on day 0."""
    now = datetime(2026, 1, 5, 0, tzinfo=T0.tzinfo)
    (day,) = ramp_up(100_000, limit=_limit(2_000), now=now)
    assert (0, 100_000, 100_000) == (day.day, day.limit.users, day.users)
    assert (now + timedelta(hours=6), now + timedelta(hours=12)) == day.upgrades


def test_ramp_to_unlimited_ends_at_unlimited() -> None:
    """A target above 100,000 is reached on the day the limit becomes unlimited."""
    steps = ramp_up(250_000, limit=_limit(100_000), now=T0)
    assert [(0, None, 250_000)] == [(s.day, s.limit.users, s.users) for s in steps]


def test_ramp_waits_for_slots_to_free_within_the_day() -> None:
    """Users reached after an upgrade hold their slots 24 h; the next day fills as they free."""
    steps = ramp_up(30_000, limit=_limit(10_000), now=T2023)
    assert [10_000, 100_000] == [s.limit.users for s in steps]
    assert [10_000, 30_000] == [s.users for s in steps]


def test_ramp_already_at_target_is_one_day() -> None:
    """A limit that already covers the target gives a single day at the target."""
    expected = [(0, 10_000, 3_000, 3_000)]
    assert expected == _table(ramp_up(3_000, limit=_limit(10_000), now=T0))
    assert [(0, None, 5, 5)] == _table(ramp_up(5, limit=MessagingLimit.unlimited(), now=T0))


def test_ramp_with_a_short_delay_climbs_several_rungs_a_day() -> None:
    """With a 1-hour delay (overrides), three upgrades land within day 0."""
    rules = attrs.evolve(rules_at(T0), limit_upgrade_delay=timedelta(hours=1))
    (day,) = ramp_up(500_000, limit=_limit(2_000), now=T0, rules=rules)
    assert (None, 500_000, 3) == (day.limit.users, day.users, len(day.upgrades))


@pytest.mark.parametrize("target", [0, -5, True, 2.5])
def test_ramp_refuses_a_bad_target(target: object) -> None:
    """A target that is not a positive int raises `InvalidValueError` naming the field."""
    with pytest.raises(ValueError, match="target_per_day=") as info:
        ramp_up(target, limit=_limit(2_000), now=T0)  # type: ignore[arg-type]
    assert "target_per_day" == info.value.field  # type: ignore[attr-defined]


def test_ramp_refuses_a_limit_below_the_verified_start() -> None:
    """From 250 no plan exists: the scaling path cannot be scheduled, so `limit` is refused."""
    with pytest.raises(ValueError, match="scaling path") as info:
        ramp_up(10_000, limit=_limit(250), now=T0)
    assert "limit" == info.value.field  # type: ignore[attr-defined]


def test_ramp_refuses_naive_now() -> None:
    """A naive `now` raises `NaiveDatetimeError` naming `now`."""
    with pytest.raises(NaiveDatetimeError):
        ramp_up(10_000, limit=_limit(2_000), now=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("messaging_limit_tiers", (250, 250), "strictly ascending"),
        ("messaging_limit_tiers", (), "non-empty tuple"),
        ("messaging_limit_tiers", [250], "non-empty tuple"),
        ("messaging_limit_tiers", (250, 0), "greater than zero"),
        ("messaging_limit_tiers", (250, True), "greater than zero"),
        ("limit_upgrade_usage_share", 0.0, "at most 1"),
        ("limit_upgrade_usage_share", 1.5, "at most 1"),
        ("limit_upgrade_usage_share", 1, "expected a float"),
        ("verified_starting_limit", 0, "greater than zero"),
        ("limit_upgrade_delay", timedelta(0), "greater than zero"),
    ],
)
def test_tier_rules_refuse_bad_values(field: str, value: object, message: str) -> None:
    """Malformed tier rule data raises `RuleDataError` naming the rule."""
    with pytest.raises(RuleDataError, match=message) as info:
        attrs.evolve(rules_at(T0), **{field: value})
    assert field == info.value.field


@given(
    target=st.integers(min_value=1, max_value=500_000),
    start=st.sampled_from([2_000, 10_000, 100_000, None]),
    when=st.sampled_from([T2023, T0]),
)
def test_ramp_is_monotonic_and_reaches_the_target(
    target: int, start: int | None, when: datetime
) -> None:
    """Limits and totals never fall, no day exceeds its limit, and the last day's limit suffices."""
    steps = ramp_up(target, limit=_limit(start), now=when)
    sizes = [float("inf") if s.limit.users is None else s.limit.users for s in steps]
    assert sorted(sizes) == sizes
    assert list(range(len(steps))) == [s.day for s in steps]
    assert sorted(s.cumulative for s in steps) == [s.cumulative for s in steps]
    assert all(s.users <= size for s, size in zip(steps, sizes, strict=True))
    assert sizes[-1] >= target
    assert target == steps[-1].users


@pytest.mark.parametrize(("when", "start"), [(T0, 2_000), (T2023, 1_000)])
def test_ramp_and_campaign_plan_agree_on_the_tiers(when: datetime, start: int) -> None:
    """`ramp_up` and `plan_campaign` use one model: the same upgrades, within the sends' time."""
    from wa_outbound import PhoneNumberId, SendKind, WaId
    from wa_outbound._campaign import plan_campaign

    people = (WaId(str(4915100000000 + n)) for n in range(60_000))
    plan = plan_campaign(
        people,
        business=PhoneNumberId("106540352242922"),
        kind=SendKind.UTILITY_TEMPLATE,
        start=when,
        limit=_limit(start),
        assume_opted_in=True,
    )
    ramp = ramp_up(200_000, limit=_limit(start), now=when)
    upgrades = [at for step in ramp for at in step.upgrades]
    planned = [change.at for change in plan.tier_changes]
    assert len(planned) >= 2
    # The planner sends at 80 a second, so usage qualifies a little later than the model's;
    # its 60,000 recipients run out before the ramp's 200,000 a day.
    slack = timedelta(seconds=60_000 / 80)
    pairs = list(zip(planned, upgrades[: len(planned)], strict=True))
    assert all(timedelta(0) <= p - u <= slack for p, u in pairs), pairs


def test_climb_below_the_share_never_upgrades() -> None:
    """Fewer than half the limit in any 7 days earns no upgrade, however long it goes on."""
    days = list(islice(climb(_limit(2_000), now=T0, rules=rules_at(T0), per_day=100), 10))
    assert {2_000} == {day.limit.users for day in days}
    assert 1_000 == days[-1].cumulative


@given(target=st.integers(min_value=1, max_value=300_000))
def test_climb_agrees_with_ramp_up(target: int) -> None:
    """`ramp_up`'s days are `climb`'s first days, up to the first that reaches the target."""
    plan = ramp_up(target, limit=_limit(2_000), now=T0)
    days = list(islice(climb(_limit(2_000), now=T0, per_day=target), len(plan)))
    assert list(plan) == days


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"per_day": 0}, "per_day"),
        ({"per_day": True}, "per_day"),
        ({"per_day": "100"}, "per_day"),
        ({"limit": 2_000}, "limit"),
        ({"rules": "2026"}, "rules"),
        ({"now": "2026-11-23"}, "now"),
    ],
)
def test_climb_refuses_bad_arguments_when_called(arguments: dict[str, object], field: str) -> None:
    """A bad argument is refused by name when `climb` is called, before any day is drawn."""
    given_arguments = {"limit": _limit(2_000), "now": T0, **arguments}
    with pytest.raises(InvalidValueError) as raised:
        climb(**given_arguments)  # type: ignore[arg-type]
    assert field == raised.value.field


def test_climb_refuses_a_naive_now() -> None:
    """A naive `now` is a `NaiveDatetimeError`, as everywhere."""
    with pytest.raises(NaiveDatetimeError):
        climb(_limit(2_000), now=T0.replace(tzinfo=None))


# --- no downgrade for quality since 2025-10-07 (issue #15) --------------------------------------


def _red(limit: int, now: datetime) -> TierProjection:
    return project_tier(
        _limit(limit),
        used_last_7_days=limit,
        quality=QualityRating.RED,
        phone_status=PhoneNumberStatus.CONNECTED,
        now=now,
    )


def test_a_red_number_risked_a_downgrade_under_the_per_number_regime() -> None:
    """In 2023 a RED rating held for 7 days moved a 10K number down a step ('Flagged')."""
    actual = _red(10_000, T2023)
    assert (True, (TierBlockerCode.QUALITY_LOW,)) == (
        actual.downgrade_risk,
        tuple(b.code for b in actual.blockers),
    )


def test_a_red_portfolio_is_not_downgraded_since_2025_10_07() -> None:
    """Meta's table of changes: 'No Flagged state, no downgrade'; RED only blocks upgrades."""
    actual = _red(10_000, T0)
    assert (False, (TierBlockerCode.QUALITY_LOW,)) == (
        actual.downgrade_risk,
        tuple(b.code for b in actual.blockers),
    )
    assert (True, False) == (
        rules_at(T2023).limit_downgraded_for_low_quality.value,
        rules_at(T0).limit_downgraded_for_low_quality.value,
    )


def test_a_green_number_never_risks_a_downgrade() -> None:
    """Only a low rating puts a limit at risk, in any regime."""
    assert not project_tier(_limit(1_000), used_last_7_days=0, now=T2023, **OK).downgrade_risk  # type: ignore[arg-type]
