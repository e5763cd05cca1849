"""Messaging limit tiers: where a business stands on the ladder and how fast it can climb.

Theory of operation
-------------------
Meta raises a messaging limit one step at a time. Below the verified starting limit (1K per
phone number in 2023, 2,000 per business portfolio since 2025-10-07) the step needs a scaling
path (business verification, or enough high-quality template traffic over 30 days) that this
module cannot observe, so it only reports it as a blocker. From the verified starting limit up,
Meta upgrades automatically when the number is CONNECTED, the quality rating is not low, and at
least `limit_upgrade_usage_share` of the current limit was used within `limit_upgrade_lookback`;
the upgrade lands within `limit_upgrade_delay`. Under the per-number regime a rating that stayed
low lowered the limit one step (`downgrade_risk`); since 2025-10-07 a low rating only blocks the
upgrade (`limit_downgraded_for_low_quality`). Every one of those numbers is rule data
(`Rules`), so the same code answers for 2023 and for today.

`project_tier` answers "may this limit be raised, and if not, why not"; `climb` walks the
ladder day by day under the model `plan_campaign` applies (every upgrade the full delay after
the usage qualifies, the day going on under the new limit), and `ramp_up` takes its days up
to a target volume, so that a ramp-up and a campaign plan agree. All are pure: `now` is an
argument, nothing is read from a clock or sent anywhere.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import math
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._account import MessagingLimit, PhoneNumberStatus, QualityRating
from wa_outbound._errors import (
    InvalidValueError,
    expect,
    is_a,
    is_instant,
    is_tuple_of,
    is_whole,
    items_of,
    member,
    whole,
)
from wa_outbound._rules import Rules, rules_at
from wa_outbound._shown import Shown
from wa_outbound._time import utc

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from typing_extensions import Self

    from wa_outbound._render import Report

__all__ = [
    "RampStep",
    "RampUpPlan",
    "TierBlocker",
    "TierBlockerCode",
    "TierProjection",
    "climb",
    "project_tier",
    "ramp_up",
]

_DAY: Final = timedelta(days=1)


class TierBlockerCode(enum.Enum):
    """Why a messaging limit cannot be raised automatically now."""

    ALREADY_UNLIMITED = "already_unlimited"
    """The limit is unlimited: there is no higher step."""
    SCALING_PATH_REQUIRED = "scaling_path_required"
    """The limit is below the verified starting limit: only a scaling path raises it."""
    NOT_CONNECTED = "not_connected"
    """The phone number's status is not CONNECTED."""
    QUALITY_LOW = "quality_low"
    """The quality rating is low (red)."""
    NOT_ENOUGH_USAGE = "not_enough_usage"
    """Too few unique users were reached within the lookback period."""


_SENTENCES: Final[dict[TierBlockerCode, str]] = {
    TierBlockerCode.ALREADY_UNLIMITED: "The messaging limit is already unlimited.",
    TierBlockerCode.SCALING_PATH_REQUIRED: (
        "The limit is below the verified starting limit of {needed:,} users: complete a scaling"
        " path (business verification, partner-led verification, or enough high-quality"
        " template traffic in 30 days) first."
    ),
    TierBlockerCode.NOT_CONNECTED: "The phone number is not CONNECTED.",
    TierBlockerCode.QUALITY_LOW: "The quality rating is low; no upgrade until it recovers.",
    TierBlockerCode.NOT_ENOUGH_USAGE: (
        "Reach {needed:,} more unique users within the lookback period to use enough of the"
        " current limit."
    ),
}


@attrs.frozen(kw_only=True)
class TierBlocker:
    """One reason why the limit is not raised, with the number that goes with it."""

    code: TierBlockerCode = attrs.field(validator=is_a(TierBlockerCode))
    """What blocks the upgrade."""
    needed: int = attrs.field(default=0, validator=is_whole())
    """Users still missing (`NOT_ENOUGH_USAGE`) or the limit to reach (`SCALING_PATH_REQUIRED`);
    0 for the other codes."""

    @property
    def sentence(self) -> str:
        """The reason as one English sentence, built on demand."""
        return _SENTENCES[self.code].format(needed=self.needed)


@attrs.frozen(kw_only=True)
class TierProjection(Shown):
    """Where a messaging limit stands and whether Meta would raise it now."""

    current: MessagingLimit = attrs.field(validator=is_a(MessagingLimit))
    """The limit in force."""
    next: MessagingLimit | None = attrs.field(validator=is_a(MessagingLimit, optional=True))
    """The next step up the ladder; `None` when the limit is unlimited."""
    eligible: bool = attrs.field(validator=is_a(bool))
    """Whether every automatic-upgrade criterion is met now."""
    blockers: tuple[TierBlocker, ...] = attrs.field(validator=is_tuple_of(TierBlocker))
    """Why the limit is not raised; empty exactly when `eligible`."""
    earliest_upgrade_at: datetime | None = attrs.field(validator=is_instant(optional=True))
    """When the upgrade is due at the latest (`now` plus the upgrade delay); `None` unless
    eligible."""
    downgrade_risk: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether the low quality rating may lower the limit one step if it stays low for the rules'
    `limit_downgrade_after_low_quality` (the per-number regime); always `False` since
    2025-10-07, when Meta stopped downgrading limits for quality."""

    def _report(self) -> Report:
        """What every rendering shows: the limit, the next one, and what stands in the way."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        current, upcoming = _limit_words(self.current), self.next
        if upcoming is None:
            summary = f"limit {current}: the top of the ladder"
        elif self.eligible:
            summary = (
                f"limit {current}: {_limit_words(upcoming)} expected by"
                f" {plain(self.earliest_upgrade_at)}"
            )
        else:
            summary = f"limit {current}: not yet eligible for {_limit_words(upcoming)}"
        rows = [("limit", current), ("next", "—" if upcoming is None else _limit_words(upcoming))]
        rows += [("blocked by", blocker.sentence) for blocker in self.blockers]
        if self.earliest_upgrade_at is not None:
            rows.append(("upgrade due by", plain(self.earliest_upgrade_at)))
        return Report(
            title="Messaging limit tier",
            summary=(summary,),
            tables=(Table(title="Messaging limit tier", rows=tuple(rows)),),
        )


def _limit_words(limit: MessagingLimit) -> str:
    return "unlimited" if limit.users is None else f"{limit.users:,} users a day"


class RampUpPlan(Shown, tuple["RampStep", ...]):
    """`ramp_up`'s days: a tuple of `RampStep` that shows itself as a table and a chart."""

    __slots__ = ()

    def __new__(cls, steps: Iterable[RampStep] = ()) -> Self:
        """Build the plan from a collection of `RampStep`s (none: an empty plan).

        Raises:
            InvalidValueError: `steps` is not a collection (a number, text, a mapping), or
                holds something other than a `RampStep` (named by its position).
        """
        return super().__new__(cls, items_of("steps", steps, RampStep))

    def _report(self) -> Report:
        """What every rendering shows: the days to the target, each with its limit."""
        from wa_outbound._render import Chart, Report, Table, plain  # noqa: PLC0415 - on use

        rows = tuple(
            (
                str(step.day),
                plain(step.starts_at),
                _limit_words(step.limit),
                f"{step.users:,}",
                f"{step.cumulative:,}",
                ", ".join(f"{at:%H:%M}" for at in step.upgrades),
            )
            for step in self
        )
        last = self[-1] if self else None
        summary = (
            "no days"
            if last is None
            else (
                f"{len(self)} day{'s' if len(self) != 1 else ''} to {last.users:,} users a day"
                f" (limit {_limit_words(last.limit)} on day {last.day});"
                f" {last.cumulative:,} users reached on the way"
            )
        )
        return Report(
            title="Ramp-up plan",
            summary=(summary,),
            chart=Chart(
                title="Users a day against the messaging limit",
                labels=tuple(f"day {step.day}" for step in self),
                bars=tuple(step.users for step in self),
                limits=tuple(step.limit.users for step in self),
                bar_name="users",
                limit_name="messaging limit at the end of the day",
            ),
            tables=(
                Table(
                    title="Ramp-up plan, per day",
                    header=("day", "starts (UTC)", "limit", "users", "cumulative", "upgrades"),
                    rows=rows,
                    right=frozenset({0, 3, 4}),
                ),
            ),
        )


@attrs.frozen(kw_only=True)
class RampStep:
    """One day of a ramp-up plan."""

    day: int = attrs.field(validator=is_whole())
    """Days since the start of the plan (0 is the day starting at `now`)."""
    starts_at: datetime = attrs.field(validator=is_instant())
    """When the day's 24 hours start."""
    limit: MessagingLimit = attrs.field(validator=is_a(MessagingLimit))
    """The messaging limit in force at the end of the day (after the day's upgrades)."""
    users: int = attrs.field(validator=is_whole())
    """Unique users to reach outside customer service windows that day."""
    cumulative: int = attrs.field(validator=is_whole())
    """Unique-user sends planned from day 0 up to and including this day."""
    upgrades: tuple[datetime, ...] = attrs.field(default=(), validator=is_tuple_of(datetime))
    """When a higher limit took effect during the day (the day's users include what it
    allowed)."""


def _next_limit(limit: MessagingLimit, tiers: tuple[int, ...]) -> MessagingLimit | None:
    """Return the next step above `limit`: the lowest tier above it, else unlimited."""
    if limit.users is None:
        return None
    index = bisect.bisect_right(tiers, limit.users)
    if index == len(tiers):
        return MessagingLimit.unlimited()
    return MessagingLimit(users=tiers[index])


def _not_negative(field: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValueError(field, value, "expected a number of users, zero or more")


def _usage_needed(users: int, rules: Rules) -> int:
    """Return the unique users a limit of `users` needs within the lookback to be upgraded."""
    return math.ceil(users * rules.limit_upgrade_usage_share.value)


def project_tier(
    limit: MessagingLimit,
    *,
    used_last_7_days: int,
    quality: QualityRating | str,
    phone_status: PhoneNumberStatus | str,
    now: datetime,
    rules: Rules | None = None,
) -> TierProjection:
    """Tell whether Meta would raise `limit` now, and if not, every reason why not.

    Quality UNKNOWN (not rated yet) does not block: Meta's criterion is "not low".

    Args:
        limit: The messaging limit in force.
        used_last_7_days: Unique users reached outside customer service windows within the
            rules' lookback period (7 days in every known rule set).
        quality: The phone number's (or, for portfolios, the worst number's) quality rating.
        phone_status: The phone number's status.
        now: The current instant (aware).
        rules: The rules to apply; `rules_at(now)` by default.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        InvalidValueError: `used_last_7_days` is negative.
    """
    now = utc("now", now)
    _not_negative("used_last_7_days", used_last_7_days)
    expect("limit", limit, MessagingLimit)
    if rules is not None:
        expect("rules", rules, Rules)
    quality = member("quality", QualityRating, quality)
    phone_status = member("phone_status", PhoneNumberStatus, phone_status)
    if rules is None:
        rules = rules_at(now)
    following = _next_limit(limit, rules.messaging_limit_tiers.value)
    blockers: list[TierBlocker] = []
    if limit.users is None:
        blockers.append(TierBlocker(code=TierBlockerCode.ALREADY_UNLIMITED))
    else:
        start = rules.verified_starting_limit.value
        if limit.users < start:
            blockers.append(TierBlocker(code=TierBlockerCode.SCALING_PATH_REQUIRED, needed=start))
        if phone_status is not PhoneNumberStatus.CONNECTED:
            blockers.append(TierBlocker(code=TierBlockerCode.NOT_CONNECTED))
        if quality is QualityRating.RED:
            blockers.append(TierBlocker(code=TierBlockerCode.QUALITY_LOW))
        missing = _usage_needed(limit.users, rules) - used_last_7_days
        if missing > 0:
            blockers.append(TierBlocker(code=TierBlockerCode.NOT_ENOUGH_USAGE, needed=missing))
    eligible = not blockers
    return TierProjection(
        current=limit,
        next=following,
        eligible=eligible,
        blockers=tuple(blockers),
        earliest_upgrade_at=now + rules.limit_upgrade_delay.value if eligible else None,
        downgrade_risk=(
            quality is QualityRating.RED
            and limit.users is not None
            and rules.limit_downgraded_for_low_quality.value
        ),
    )


def _reach(limit: MessagingLimit, wanted: int | None, in_window: int) -> int:
    """Users reachable now: `wanted` (`None`: any number), within the room the limit leaves."""
    if limit.users is None:
        return 0 if wanted is None else wanted
    room = max(0, limit.users - in_window)
    return room if wanted is None else min(wanted, room)


def _upgrade(
    limit: MessagingLimit, used: int, now: datetime, rules: Rules
) -> tuple[datetime, MessagingLimit] | None:
    """When the next tier applies if `used` users qualify `limit` at `now`, and that tier."""
    projection = project_tier(
        limit,
        used_last_7_days=used,
        quality=QualityRating.GREEN,
        phone_status=PhoneNumberStatus.CONNECTED,
        now=now,
        rules=rules,
    )
    if projection.earliest_upgrade_at is None or projection.next is None:
        return None
    return projection.earliest_upgrade_at, projection.next


def climb(
    limit: MessagingLimit,
    *,
    now: datetime,
    rules: Rules | None = None,
    per_day: int | None = None,
) -> Iterator[RampStep]:
    """Yield the days of a climb up the ladder from `limit`, one `RampStep` a day, for ever.

    The model `plan_campaign` and `ramp_up` apply, with sends taking no time: the business
    reaches `per_day` unique users a day (`None`: as many as the limit allows), each as soon as
    the messaging limit has room (at most `limit` users in any moving `messaging_limit_window`);
    whenever the users reached within `limit_upgrade_lookback` meet `project_tier`'s
    criteria, the next tier applies `limit_upgrade_delay` later (the bound Meta states,
    "within 6 hours"), and the day goes on under it. Quality is
    assumed to stay not low and the number CONNECTED; the rules are `rules` throughout. Below
    the verified starting limit nothing is upgraded (only a scaling path raises it).

    The days never end: take as many as needed (`itertools.islice`, or stop at a condition, as
    `ramp_up` stops at the first day that reaches its target).

    Args:
        limit: The messaging limit in force at `now`.
        now: The start of day 0 (aware).
        rules: The rules to apply throughout; `rules_at(now)` by default.
        per_day: Unique users the business wants to reach a day (at least 1); `None` for as
            many as the limit allows.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        InvalidValueError: `limit` is not a `MessagingLimit`, `rules` not a `Rules`, or
            `per_day` not a whole number of at least 1 (all checked when `climb` is called,
            not when the first day is drawn).
    """
    now = utc("now", now)
    expect("limit", limit, MessagingLimit)
    if per_day is not None:
        per_day = whole("per_day", per_day, minimum=1)
    if rules is None:
        rules = rules_at(now)
    expect("rules", rules, Rules)
    return _climb(limit, now=now, rules=rules, per_day=per_day)


def _climb(
    limit: MessagingLimit, *, now: datetime, rules: Rules, per_day: int | None
) -> Iterator[RampStep]:
    """`climb`'s days, once its arguments are checked."""
    window = rules.messaging_limit_window.value
    lookback = rules.limit_upgrade_lookback.value
    keep = max(window, lookback)
    sends: deque[tuple[datetime, int]] = deque()
    pending: tuple[datetime, MessagingLimit] | None = None
    cumulative = 0
    for day in itertools.count():
        starts_at = now + day * _DAY
        ends_at = starts_at + _DAY
        users, upgrades, t = 0, [], starts_at
        while True:
            if pending is not None and pending[0] <= t:
                upgrades.append(pending[0])
                limit, pending = pending[1], None
            while sends and sends[0][0] <= t - keep:
                sends.popleft()
            wanted = None if per_day is None else per_day - users
            reach = _reach(limit, wanted, sum(n for at, n in sends if at > t - window))
            if reach > 0:
                sends.append((t, reach))
                users += reach
            if pending is None and limit.users is not None:
                used = sum(n for at, n in sends if at > t - lookback)
                pending = _upgrade(limit, used, t, rules)
            if wanted is not None and reach >= wanted:
                break
            wakes = [at + window for at, _ in sends if t < at + window < ends_at]
            if pending is not None and pending[0] < ends_at:
                wakes.append(pending[0])
            if not wakes or limit.users is None:
                break
            t = min(wakes)
        cumulative += users
        yield RampStep(
            day=day,
            starts_at=starts_at,
            limit=limit,
            users=users,
            cumulative=cumulative,
            upgrades=tuple(upgrades),
        )


def ramp_up(
    target_per_day: int,
    *,
    limit: MessagingLimit,
    now: datetime,
    rules: Rules | None = None,
) -> RampUpPlan:
    """Plan, day by day, how to climb from `limit` to reaching `target_per_day` users a day.

    The model is the one `plan_campaign` applies (see `climb`), so a ramp-up and a campaign
    plan under the same rules agree on when each tier arrives:

    - quality stays not low and the number stays CONNECTED throughout;
    - every day the business reaches as many unique users as the limit allows, up to the
      target, each as soon as the moving 24-hour window has room;
    - as soon as the users reached within the lookback (7 days) reach the share of the limit
      the rules ask for (half), the next tier applies after the rules' upgrade delay (24 h in
      2023, 6 h since 2025-10-07: Meta says "within", so the plan takes the bound), and the
      day goes on under the new limit;
    - the rules in force at `now` apply for the whole plan.

    The plan ends with the first day that reaches `target_per_day` users.

    Args:
        target_per_day: Unique users a day the business wants to reach (at least 1).
        limit: The messaging limit in force now; at least the verified starting limit.
        now: The start of day 0 (aware).
        rules: The rules to apply; `rules_at(now)` by default.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        InvalidValueError: `target_per_day` is not positive, or `limit` is below the verified
            starting limit (only a scaling path raises it, which no plan can schedule).
    """
    now = utc("now", now)
    if isinstance(target_per_day, bool) or not isinstance(target_per_day, int):
        raise InvalidValueError("target_per_day", target_per_day, "expected a number of users")
    if target_per_day < 1:
        raise InvalidValueError("target_per_day", target_per_day, "must be at least 1")
    expect("limit", limit, MessagingLimit)
    if rules is not None:
        expect("rules", rules, Rules)
    if rules is None:
        rules = rules_at(now)
    start = rules.verified_starting_limit.value
    if limit.users is not None and limit.users < start:
        raise InvalidValueError(
            "limit",
            limit,
            f"below the verified starting limit of {start:,}: complete a scaling path first",
        )
    steps: list[RampStep] = []
    for step in _climb(limit, now=now, rules=rules, per_day=target_per_day):
        steps.append(step)
        if step.users >= target_per_day:
            return RampUpPlan(steps)
    raise AssertionError("unreachable: climb never ends")  # pragma: no cover
