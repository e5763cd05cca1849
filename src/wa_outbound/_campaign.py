"""Campaign planning: who can be sent a template when, who is blocked and why, and what it costs.

Theory of operation
-------------------
`plan_campaign` walks a recipient list once, in order, as one sender working through it would,
and answers with a `CampaignPlan`: counts, a summary per day, the tier upgrades it projects and
the cost. `iter_schedule` runs the same walk and yields every send (`ScheduledSend`) as it is
planned, so a host can store or execute the schedule without holding it. Nothing reads a clock:
the campaign starts at `start`, and every instant after it is computed.

For each recipient, in input order:

1. **Decide.** The send is decided with `can_send` at the instant it would go out, under the
   rules in force then (`rules_at` of that instant unless `rules` is given: a campaign may cross
   a dated rule change). A recipient without a `Conversation` is a fresh one, opted in when the
   list says so. A marketing template to a region the rules in force block (the United States
   from 2025-04-01) is blocked too. A blocked recipient is only counted, under the first reason
   (`Reason`, or `DUPLICATE`); no detail is kept per recipient.
2. **Wait for a slot.** A send that reaches the user outside their customer service window takes
   a slot of the messaging limit: at most `limit` unique users in any moving
   `messaging_limit_window` (24 hours). When the slots are used up the send waits until the
   oldest one frees, which is one window after it was taken; so a campaign larger than the
   limit goes out in daily waves. Sends go out in input order: a send waiting for a slot holds
   back the ones behind it, as a single queue would. A recipient the `ledger` counts at the
   start takes no new slot, and a send to it moves its slot to that send, as `LimitLedger`
   counts it.
3. **Pace.** Sends are spaced at the number's throughput (`ThroughputClass.rate`, 80 messages a
   second by default). The pair rate matters only for a recipient listed twice, and then only
   with `dedupe=False`: the second send waits at least `pair_rate_interval` after the first.
4. **Climb the ladder.** Whenever the unique users reached within `limit_upgrade_lookback`
   reach the share of the limit the rules ask for, `project_tier` is asked whether Meta would
   upgrade, and the next tier is applied `limit_upgrade_delay` later (the documented bound).
   Below the verified starting limit no automatic upgrade happens (a scaling path is needed),
   which is how the 2023 unverified 250-a-day regime and today's 250 -> 2,000 path both fall
   out of the rules data. Usage is kept in one-minute buckets, and a bucket is dropped as soon
   as its first minute leaves the lookback: usage is understated by at most a minute's sends,
   so upgrades are never projected early.
5. **Price.** With a rate card, each send is priced by `estimate_cost` (category, market from
   the number via `recipient_region`, unknown without the `pricing` extra; rate in force), and
   costs are summed by (category, market, currency). A send whose price is unknown is counted
   apart, never added as zero. With `month_volume` (the messages the business portfolio was
   already charged this month, by market) and a card with volume tiers, every charged send is
   counted in its market's month volume and priced at the tier of that volume
   (`RateCard.volume_tiers`); free sends and sends of unknown price are not counted.

Speed: most recipients of a campaign are alike (a fresh conversation, opted in), and their
decision and price depend only on the rules, the rate card's rows in force and the recipient's
market. So the planner decides and prices such a recipient once per (rule set, rate period,
consent, market) and reuses the answer; the market is read with `phonenumbers` once per
country code (or per six-digit national prefix where a code is shared by several regions).
Costs are kept as counts per price and multiplied at the end, which is exact.

The walk keeps its own fast model of the messaging limit and of pacing; `LimitLedger`, `Pacer`
and `can_send` are the reference, and a property test replays schedules through them: every
planned send is one they allow at its instant.

Memory does not grow with the number of recipients (the default, `dedupe=False`): a repeated
recipient is sent again after the pair rate interval and counted as a new user (the safe side
for the messaging limit). A host whose list may repeat numbers passes `dedupe=True`: every
recipient's number is then kept in a set, about 60 bytes each, so that no one is sent the
campaign twice (the `plan` command does this for CSV files). Everything else the planner keeps is
bounded by the messaging limit (one instant per slot in use), the recipients sent within the
pair rate interval (at most twice as many), a week of one-minute buckets, the caches above and
one summary per campaign day.
"""

from __future__ import annotations

import bisect
import csv
import os
from collections import Counter, deque
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO, overload

import attrs

from wa_outbound._account import MessagingLimit, PhoneNumberStatus, QualityRating
from wa_outbound._conversation import ConsentStatus, Conversation
from wa_outbound._decision import Endpoint, Reason, Risk, can_send
from wa_outbound._errors import (
    InvalidValueError,
    RecipientFileError,
    check_source,
    expect,
    flag,
    is_a,
    is_instant,
    is_mapping_of,
    is_tuple_of,
    is_whole,
    member,
)
from wa_outbound._facts import InboundMessageReceived, OptInRecorded, OptOutReceived
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._pacing import ThroughputClass
from wa_outbound._rules import Rules, builtin_rule_sets, rules_at
from wa_outbound._shown import Shown
from wa_outbound._tiers import TierBlocker, TierBlockerCode, project_tier
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    from wa_outbound._cost import CostEstimate  # noqa: TC004 - attrs never resolves it
    from wa_outbound._ledger import LimitLedger
    from wa_outbound._rates import PriceCategory, Rate, RateCard
    from wa_outbound._render import Report

__all__ = [
    "DUPLICATE",
    "CampaignPlan",
    "CampaignRecipient",
    "CampaignSchedule",
    "PlanDay",
    "ScheduledSend",
    "TierChange",
    "iter_schedule",
    "plan_campaign",
    "read_recipients",
]

DUPLICATE: Final = "duplicate"
"""The `blocked` key of recipients listed more than once (with `dedupe=True`)."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_SECOND_US: Final = 1_000_000
_MINUTE_US: Final = 60 * _SECOND_US
_DAY_US: Final = 86_400 * _SECOND_US
_NEVER_US: Final = 2**62
"""An instant after every campaign: "no boundary"."""
_PLACEHOLDER: Final = WaId("10000000")
_SCOPED_PLACEHOLDER: Final = BusinessScopedUserId("US.10000000")
_WA_ID: Final = WaId
"""The recipient of the conversation a fresh recipient's class is decided on (never sent)."""
_LIST_OPT_IN: Final = "campaign list"
"""The method recorded for an opt-in the recipient list states."""


def _us(value: datetime) -> int:
    """An aware instant as whole microseconds since the Unix epoch."""
    return (value - _EPOCH) // _MICROSECOND


def _at(value: int) -> datetime:
    """Whole microseconds since the Unix epoch as an aware UTC instant."""
    return _EPOCH + timedelta(microseconds=value)


# --- values ---------------------------------------------------------------------------------


def _recipient(_instance: object, _attribute: object, value: Recipient) -> None:
    if not isinstance(value, (WaId, BusinessScopedUserId)):
        raise InvalidValueError("recipient", value, "expected a WaId or BusinessScopedUserId")


def _estimate(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Validator: a `CostEstimate` or `None` (pricing is imported only once an estimate exists)."""
    if value is not None:
        from wa_outbound._cost import CostEstimate  # noqa: PLC0415 - pricing loads on use

        if not isinstance(value, CostEstimate):
            raise InvalidValueError(attribute.name, value, "expected a CostEstimate or None")


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else utc("last_inbound_at", value)


def _stop(instance: CampaignRecipient, _attribute: object, value: bool) -> None:  # noqa: FBT001
    if value is False:  # the common case, first: one comparison per row
        return
    if value is not True:
        raise InvalidValueError("opted_out", value, "expected True or False")
    if instance.opted_in is True:
        raise InvalidValueError("opted_out", value, "the row says opted_in=True as well")


def _conversation(_instance: object, _attribute: object, value: Conversation | None) -> None:
    if value is not None:
        expect("conversation", value, Conversation)


def _opted_in(value: object) -> bool | None:
    return None if value is None else flag("opted_in", value)


@attrs.frozen(kw_only=True)
class CampaignRecipient:
    """One row of a campaign's recipient list."""

    recipient: Recipient = attrs.field(validator=_recipient)
    """Who the template goes to."""
    conversation: Conversation | None = attrs.field(
        default=None,
        validator=_conversation,
    )
    """What the host knows about this recipient; `None` for a fresh conversation."""
    opted_in: bool | None = attrs.field(default=None, converter=_opted_in)
    """Whether the recipient opted in; `None` leaves it to the conversation, or to the planner's
    `assume_opted_in` for a fresh one. `True` records an opt-in only where none is recorded
    (a recorded opt-out stands)."""
    last_inbound_at: datetime | None = attrs.field(default=None, converter=_optional_instant)
    """The recipient's latest message, if the list knows it (it may open a service window)."""
    opted_out: bool = attrs.field(default=False, validator=_stop)
    """Whether the list says the recipient asked to stop every message (a stop applied at the
    campaign's start, so the recipient is blocked as `opted_out`); refused with
    `opted_in=True`."""


@attrs.frozen(kw_only=True)
class ScheduledSend:
    """One planned send: to whom, when, whether it takes a messaging-limit slot, at what cost."""

    recipient: Recipient = attrs.field(validator=_recipient)
    """Who the template goes to."""
    at: datetime = attrs.field(validator=is_instant())
    """When it goes out."""
    new_user: bool = attrs.field(validator=is_a(bool))
    """Whether it counts against the messaging limit (reaches the user outside their window)."""
    cost: CostEstimate | None = attrs.field(default=None, validator=_estimate)
    """The estimate of what it costs; `None` without a rate card."""


@attrs.frozen(kw_only=True)
class TierChange:
    """A messaging limit upgrade the plan projects."""

    at: datetime = attrs.field(validator=is_instant())
    """When the new limit applies (the criteria met, plus the rules' upgrade delay)."""
    before: MessagingLimit = attrs.field(validator=is_a(MessagingLimit))
    """The limit until then."""
    after: MessagingLimit = attrs.field(validator=is_a(MessagingLimit))
    """The limit from then on."""
    qualified_at: datetime = attrs.field(validator=is_instant())
    """When the usage in the lookback reached the share of the limit the rules ask for."""


@attrs.frozen(kw_only=True)
class PlanDay:
    """What one UTC calendar day of the campaign does."""

    date: date = attrs.field(validator=is_a(date))
    """The day (UTC)."""
    sends: int = attrs.field(validator=is_whole())
    """Sends planned that day."""
    new_users: int = attrs.field(validator=is_whole())
    """Of those, sends that take a messaging-limit slot."""
    limit: MessagingLimit = attrs.field(validator=is_a(MessagingLimit))
    """The messaging limit in force when the day's first send (or tier change) happens."""
    tier_change: MessagingLimit | None = attrs.field(
        default=None, validator=is_a(MessagingLimit, optional=True)
    )
    """The new limit, if an upgrade lands that day."""
    cost: Mapping[str, Decimal] = attrs.field(factory=dict, validator=is_mapping_of(str, Decimal))
    """The day's known cost by currency."""
    unknown_price_sends: int = attrs.field(default=0, validator=is_whole())
    """Sends of the day whose price is unknown (not in `cost`)."""


CostKey = tuple["PriceCategory", str, str]
"""(price category, market, currency): how a plan's cost is broken down."""


@attrs.frozen(kw_only=True)
class CampaignPlan(Shown):
    """The answer of `plan_campaign`: counts, days, projected tiers, finish and cost.

    Every row read is in exactly one of `scheduled`, `blocked` (under its first reason) and
    `bad_rows`: `recipients == scheduled + sum(blocked.values()) + bad_rows`.
    """

    kind: SendKind = attrs.field(validator=is_a(SendKind))
    """The template kind planned."""
    starts_at: datetime | None = attrs.field(validator=is_instant(optional=True))
    """The first send; `None` if nothing can be sent."""
    finishes_at: datetime | None = attrs.field(validator=is_instant(optional=True))
    """The last send; `None` if nothing can be sent."""
    recipients: int = attrs.field(validator=is_whole())
    """Rows read, bad ones included."""
    scheduled: int = attrs.field(validator=is_whole())
    """Sends planned."""
    new_users: int = attrs.field(validator=is_whole())
    """Of those, sends that take a messaging-limit slot."""
    blocked: Mapping[Reason | str, int] = attrs.field(validator=is_mapping_of((Reason, str), int))
    """Recipients not sent, by their first reason (`Reason`, or `DUPLICATE`)."""
    bad_rows: int = attrs.field(validator=is_whole())
    """Rows that could not be read."""
    bad_row_examples: tuple[RecipientFileError, ...] = attrs.field(
        validator=is_tuple_of(RecipientFileError)
    )
    """The first few of them."""
    bad_row_causes: Mapping[str, int] = attrs.field(factory=dict, validator=is_mapping_of(str, int))
    """Bad rows by cause: the column and the reason (`"phone: expected 7 to 15 digits"`), each
    with its count, most frequent first; the counts add up to `bad_rows`. Every rendering of
    the plan shows them as the table "Bad rows by cause"."""
    days: tuple[PlanDay, ...] = attrs.field(validator=is_tuple_of(PlanDay))
    """One summary per UTC day with a send or a tier change, in order."""
    tier_changes: tuple[TierChange, ...] = attrs.field(validator=is_tuple_of(TierChange))
    """Projected upgrades, in order."""
    limit: MessagingLimit = attrs.field(validator=is_a(MessagingLimit))
    """The messaging limit in force at the end of the plan."""
    tier_blockers: tuple[TierBlocker, ...] = attrs.field(validator=is_tuple_of(TierBlocker))
    """Why the limit is not projected to rise further (besides usage), at the end."""
    cost: Mapping[CostKey, Decimal] | None = attrs.field(
        validator=is_mapping_of(tuple, Decimal, optional=True)
    )
    """Known cost by (category, market, currency); `None` without a rate card."""
    unknown_price_sends: int = attrs.field(validator=is_whole())
    """Sends whose price is unknown (not in `cost`)."""
    at_risk: Mapping[Risk, int] = attrs.field(factory=dict, validator=is_mapping_of(Risk, int))
    """Planned sends that may still not be delivered, by risk: marketing sends the per-user
    marketing limit counts (every one that goes outside a customer service window, or every
    one before the window exemption of mid-2025); WhatsApp may hold them back (131049), so
    expect fewer deliveries than sends."""
    endpoint: Endpoint | None = attrs.field(
        default=Endpoint.MESSAGES, validator=is_a(Endpoint, optional=True)
    )
    """Where the sends go on the Cloud API under the rules at the end of the plan
    (`MARKETING_MESSAGES` for marketing templates since the rules route them there)."""

    @property
    def total_cost(self) -> Mapping[str, Decimal]:
        """Known cost by currency (empty without a rate card)."""
        totals: dict[str, Decimal] = {}
        for (_, _, currency), amount in (self.cost or {}).items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
        return totals

    @property
    def duration(self) -> timedelta | None:
        """From the first send to the last; `None` if nothing can be sent."""
        if self.starts_at is None or self.finishes_at is None:
            return None
        return self.finishes_at - self.starts_at

    def _summary_lines(self) -> list[str]:
        lines = [
            (
                f"{self.kind.value.replace('_', ' ')}: {self.recipients:,} rows,"
                f" {self.scheduled:,} sends ({self.new_users:,} new users),"
                f" {sum(self.blocked.values()):,} blocked, {self.bad_rows:,} bad"
                f" row{'' if self.bad_rows == 1 else 's'}"
            ),
        ]
        if self.starts_at is not None and self.finishes_at is not None:
            lines.append(
                f"from {self.starts_at:%Y-%m-%d %H:%M} to {self.finishes_at:%Y-%m-%d %H:%M} UTC"
                f" ({len(self.days):,} day{'' if len(self.days) == 1 else 's'});"
                f" limit at the end: {_limit_text(self.limit)}"
            )
        if self.cost is not None:
            totals = ", ".join(
                _money(amount, cur) for cur, amount in sorted(self.total_cost.items())
            )
            lines.append(
                f"cost: {totals or 'nothing known'};"
                f" {self.unknown_price_sends:,} sends at an unknown price"
            )
        lines += [
            f"at risk ({risk.value.replace('_', ' ')}): {count:,} sends"
            for risk, count in self.at_risk.items()
            if count
        ]
        if self.endpoint is Endpoint.MARKETING_MESSAGES:
            lines.append("endpoint: /marketing_messages (Marketing Messages API)")
        return lines

    def _report(self) -> Report:
        """What every rendering shows: the summary, a table per day, blocked reasons, bad rows.

        Bad rows show twice: counted by cause (a table), then the first few as examples.
        """
        from wa_outbound._render import Chart, Report, Table  # noqa: PLC0415 - on use

        days = Table(
            title="Campaign plan, per day (UTC)",
            header=("day", "sends", "new users", "limit", "new tier", "cost"),
            rows=tuple(
                (
                    day.date.isoformat(),
                    f"{day.sends:,}",
                    f"{day.new_users:,}",
                    _limit_text(day.limit),
                    "" if day.tier_change is None else _limit_text(day.tier_change),
                    ", ".join(_money(amount, cur) for cur, amount in sorted(day.cost.items())),
                )
                for day in self.days
            ),
            right=frozenset({1, 2, 3, 4}),
        )
        reasons = Table(
            title="Blocked recipients",
            header=("reason", "recipients"),
            rows=tuple(
                (_reason_text(reason), f"{count:,}")
                for reason, count in sorted(self.blocked.items(), key=lambda item: -item[1])
            ),
            right=frozenset({1}),
        )
        tables = [days]
        if self.tier_changes:
            tables.append(
                Table(
                    title="Projected messaging limit upgrades",
                    header=("at (UTC)", "from", "to", "qualified at (UTC)"),
                    rows=tuple(
                        (
                            f"{change.at:%Y-%m-%d %H:%M}",
                            _limit_text(change.before),
                            _limit_text(change.after),
                            f"{change.qualified_at:%Y-%m-%d %H:%M}",
                        )
                        for change in self.tier_changes
                    ),
                    right=frozenset({1, 2}),
                )
            )
        if self.cost:
            tables.append(
                Table(
                    title="Cost per market",
                    header=("market", "category", "cost"),
                    rows=tuple(
                        (market, category.value, _money(amount, currency))
                        for (category, market, currency), amount in sorted(
                            self.cost.items(), key=lambda item: (item[0][1], item[0][0].value)
                        )
                    ),
                    right=frozenset({2}),
                )
            )
        if self.blocked:
            tables.append(reasons)
        if self.bad_row_causes:
            tables.append(
                Table(
                    title="Bad rows by cause",
                    header=("cause", "rows"),
                    rows=tuple(
                        (cause, f"{count:,}")
                        for cause, count in sorted(
                            self.bad_row_causes.items(), key=lambda item: -item[1]
                        )
                    ),
                    right=frozenset({1}),
                )
            )
        chart = None
        if self.days:
            chart = Chart(
                title="Sends per day (UTC) against the messaging limit",
                labels=tuple(day.date.isoformat() for day in self.days),
                bars=tuple(day.sends for day in self.days),
                limits=tuple((day.tier_change or day.limit).users for day in self.days),
                limit_name="messaging limit at the end of the day",
            )
        return Report(
            title="Campaign plan",
            summary=tuple(self._summary_lines()),
            chart=chart,
            tables=tuple(tables),
            notes_title="Bad rows (first examples)",
            notes=tuple(str(error) for error in self.bad_row_examples),
        )


def _limit_text(limit: MessagingLimit) -> str:
    return "unlimited" if limit.users is None else f"{limit.users:,}"


def _reason_text(reason: Reason | str) -> str:
    """A blocking reason in words (`no opt in`), as people read it."""
    return (reason if isinstance(reason, str) else reason.value).replace("_", " ")


def _money(amount: Decimal, currency: str) -> str:
    """An amount as people read it: `2,152.05 USD`."""
    return f"{amount:,.2f} {currency}"


# --- the list -------------------------------------------------------------------------------

_Listed = tuple[Recipient, "Conversation | None", bool]
"""One recipient as the walk takes it: who, their conversation (`None`: fresh), opted in."""


def _listed_recipients(
    items: Iterable[object],
    *,
    business: PhoneNumberId,
    start: datetime,
    assume_opted_in: bool,
    dedupe: bool,
    on_bad: Callable[[RecipientFileError], object],
    on_duplicate: Callable[[], object],
) -> Iterator[_Listed]:
    """Read a recipient list into what the walk needs: `(recipient, conversation, opted_in)`.

    * A bare `WaId` or `BusinessScopedUserId`, and a `CampaignRecipient` with neither a
      conversation nor a last message, is *fresh*: `conversation` is `None` and `opted_in`
      says whether it opted in (the row's `opted_in`, else `assume_opted_in`). The walk
      decides and prices fresh recipients from a cache (see the module docstring).
    * Any other row comes with its conversation (or a new one) and the list's facts applied:
      an opt-in at `start` where the row's `opted_in` (or, without a conversation,
      `assume_opted_in`) says so and none is recorded (a recorded opt-out stands), then the
      row's last message. `opted_in` is then `False` and means nothing.
    * A `RecipientFileError` goes to `on_bad`; with `dedupe`, a recipient listed before goes to
      `on_duplicate` (its number is kept as an `int`, a BSUID as text). Neither is yielded.

    Raises:
        InvalidValueError: An item is none of those types, or a row's conversation is another
            recipient's.
    """
    wa_id, campaign_recipient = WaId, CampaignRecipient
    seen: set[int | str] = set()
    for item in items:
        cls = item.__class__
        row: CampaignRecipient | None = None
        if cls is wa_id:
            recipient: Recipient = item  # type: ignore[assignment]
            opted = assume_opted_in
        elif cls is campaign_recipient:
            row = item  # type: ignore[assignment]
            recipient, listed = row.recipient, row.opted_in  # type: ignore[union-attr]
            opted = assume_opted_in if listed is None else listed
        elif isinstance(item, RecipientFileError):
            on_bad(item)
            continue
        elif isinstance(item, (WaId, BusinessScopedUserId)):
            recipient, opted = item, assume_opted_in
        else:
            raise InvalidValueError(
                "recipients", item, "expected WaId, CampaignRecipient or RecipientFileError"
            )
        if dedupe:
            key = int(recipient.value) if recipient.__class__ is wa_id else recipient.value
            if key in seen:
                on_duplicate()
                continue
            seen.add(key)
        if row is None or (
            row.conversation is None and row.last_inbound_at is None and not row.opted_out
        ):
            yield recipient, None, opted
        else:  # a row's own conversation takes only the row's opt-in, not the assumed one
            conversation = _listed_conversation(
                business,
                recipient,
                row.conversation,
                opted=opted if row.conversation is None else row.opted_in,
                start=start,
                last_inbound_at=row.last_inbound_at,
                opted_out=row.opted_out,
            )
            yield recipient, conversation, False


def _listed_conversation(
    business: PhoneNumberId,
    recipient: Recipient,
    base: Conversation | None,
    *,
    opted: bool | None,
    start: datetime,
    last_inbound_at: datetime | None = None,
    opted_out: bool = False,
) -> Conversation:
    """`base`, or a new conversation, with the list's opt-in (if none is recorded) or stop."""
    conversation = (
        base if base is not None else Conversation(business=business, recipient=recipient)
    )
    if conversation.recipient != recipient:
        raise InvalidValueError(
            "conversation.recipient", conversation.recipient, f"expected {recipient}"
        )
    if opted and conversation.consent.status is ConsentStatus.UNKNOWN:
        conversation = conversation.apply(OptInRecorded(at=start, method=_LIST_OPT_IN))
    if opted_out:
        conversation = conversation.apply(OptOutReceived(at=start, method=_LIST_OPT_IN))
    if last_inbound_at is not None:
        conversation = conversation.apply(InboundMessageReceived(at=last_inbound_at))
    return conversation


# --- the walk -------------------------------------------------------------------------------


class CampaignSchedule:
    """The planned sends, one at a time, in time order; then the plan.

    Iterate it to get every `ScheduledSend`; once it is exhausted, `plan` holds the
    `CampaignPlan`. The recipients are read as the schedule is iterated, once.
    """

    __slots__ = ("_plan", "_steps")

    def __init__(self, steps: Generator[ScheduledSend, None, CampaignPlan]) -> None:
        """Wrap the planner's walk.

        Raises:
            InvalidValueError: `steps` is not a generator.
        """
        expect("steps", steps, GeneratorType)
        self._steps = steps
        self._plan: CampaignPlan | None = None

    def __iter__(self) -> CampaignSchedule:
        """Return the schedule itself (it is its own iterator)."""
        return self

    def __next__(self) -> ScheduledSend:
        """Return the next planned send."""
        try:
            return next(self._steps)
        except StopIteration as done:
            self._plan = done.value
            raise

    @property
    def plan(self) -> CampaignPlan:
        """The plan, once every send has been iterated.

        Raises:
            InvalidValueError: The schedule has not been iterated to its end yet.
        """
        if self._plan is None:
            raise InvalidValueError("plan", None, "iterate the schedule to its end first")
        return self._plan


def _rule_starts() -> list[int]:
    return [_us(rules.effective_from) for rules in builtin_rule_sets()]


_UNKNOWN_SLOT: Final = 0
"""Where sends of unknown price are counted."""
_FREE_SLOT: Final = 1
"""Where free sends are counted."""
_ROWS_FROM: Final = 2
"""The slot of the first (key, amount) row: priced sends are counted from there on."""
_MIN_SWEEP: Final = 1024
"""Below this many recipients paced, the walk never forgets any (as `Pacer`)."""
_NO_SEND: Final = -_NEVER_US
"""The last send to a recipient never sent: before every campaign."""
_UNREAD: Final = "unread"
"""A recipient's region before it is read (no region code is a word)."""


@attrs.frozen
class _Price:
    """One send's estimate and where it is counted: unknown, free, or a (key, amount) row."""

    estimate: CostEstimate
    slot: int


_PerEpoch = tuple[
    int,
    int,
    "dict[bool, Reason | None]",
    "dict[bool, Reason | None]",
    "Callable[[Recipient], str | None] | None",
    "frozenset[str]",
]
"""What the walk keeps in local variables from one epoch to the next (`_Planner._per_epoch`)."""


class _Planner:
    """The state of one walk over a recipient list (see the module docstring).

    Instants are whole microseconds since the Unix epoch (`int`), which the walk compares and
    adds much faster than `datetime`s; they become `datetime`s again in what it returns.
    """

    def __init__(  # noqa: PLR0915 - one place sets up the whole walk's state
        self,
        *,
        business: PhoneNumberId,
        kind: SendKind,
        start: datetime,
        rules: Rules | None,
        limit: MessagingLimit,
        quality: QualityRating,
        phone_status: PhoneNumberStatus,
        ledger: LimitLedger | None,
        throughput_class: ThroughputClass,
        rate_card: RateCard | None,
        strict: bool,
        bad_row_examples: int,
        dedupe: bool,
        assume_opted_in: bool,
        month_volume: Mapping[str, int] | None = None,
    ) -> None:
        self.business = business
        self.kind = kind
        self.start = _us(start)
        self.fixed_rules = rules
        self.limit = limit
        self.quality = quality
        self.phone_status = phone_status
        self.throughput_class = throughput_class
        self.rate_card = rate_card
        self.strict = strict
        self.max_examples = bad_row_examples
        self.dedupe = dedupe
        self.assume_opted_in = assume_opted_in
        self.rule_starts = [] if rules is not None else _rule_starts()
        self.rate_starts = (
            []
            if rate_card is None
            else sorted({_us(rate.effective_from) for rate in rate_card.rates})
        )
        self.regions: Callable[[Recipient], str | None] | None = None

        # Counts.
        self.sent = 0
        self.new_users = 0
        self.blocked: Counter[Reason | str] = Counter()
        self.bad = 0
        self.causes: Counter[str] = Counter()
        self.examples: list[RecipientFileError] = []
        self.first: int | None = None
        self.last: int | None = None

        # Messaging limit: the instant of every slot taken, oldest first (those that left the
        # window are dropped when the slots look full). `held`: recipients holding a slot
        # since before the campaign (from the ledger), and its instant. A held recipient sent again
        # moves its slot to the new send (as `LimitLedger` counts it): the new instant is
        # appended and the old one, left in place, is `moved`: it frees nothing when it
        # reaches the front. `room`: how many instants `slots` may hold before it is full.
        self.slots: deque[int] = deque()
        self.held: dict[Recipient, int] = {}
        self.moved: dict[int, int] = {}
        self.moved_count = 0
        self.room = _NEVER_US
        self._set_room()
        # Usage within the lookback: `used` counts every unique user reached, and `usage`
        # holds one (first instant of a minute, `used` before it) per minute with users.
        # `base`: `used` at the start of the lookback when it was last read.
        self.usage: deque[tuple[int, int]] = deque()
        self.used = 0
        self.base = 0
        self.threshold: int | None = None
        self.pending: tuple[int, MessagingLimit, int] | None = None
        self.tier_changes: list[TierChange] = []
        self.tier_blockers: tuple[TierBlocker, ...] = ()

        # Pair rate (only without dedupe): the last send to each recipient recently sent,
        # keyed by its text (hashing a str is cheaper than hashing an attrs value); those
        # older than the pair rate interval are forgotten now and then, as `Pacer` does.
        self.recent: dict[str, int] = {}

        # Cost: sends counted per slot (unknown, free, then one per (key, amount) row), summed
        # exactly at the end; counting is cheaper than adding decimals for every send.
        self.counts: list[int] = [0, 0]
        self.rows: list[tuple[CostKey, Decimal]] = []
        self.row_slots: dict[tuple[CostKey, Decimal], int] = {}

        # Volume tiers (only with `month_volume` and a card that has tiers): the charged sends
        # of the month so far by the market of their list price, the month's end, each list
        # price's schedule (by the row's id: the card keeps its rows), and the tier prices of
        # the cached fresh-recipient prices (by their id; cleared with them every epoch).
        self.tiered = (
            month_volume is not None
            and rate_card is not None
            and any(rate.volume_from > 1 for rate in rate_card.rates)
        )
        self.month_volume: dict[str, int] = dict(month_volume or {})
        self.volumes: dict[str, int] = {}
        self.month_end = -1
        self.schedules: dict[int, tuple[list[int], tuple[Rate, ...]]] = {}
        self.tier_prices: dict[tuple[int, int], _Price] = {}

        # Days: the counts when the current day opened, to take differences at its close.
        self.days: list[PlanDay] = []
        self.day_start = (self.start // _DAY_US) * _DAY_US
        self.day_end = self.day_start + _DAY_US
        self.day_base = (0, 0)
        self.day_counts: list[int] = [0, 0]
        self.day_limit = limit
        self.day_tier: MessagingLimit | None = None

        # Per-epoch state (rules, rate period): set by `_epoch`.
        self.epoch_end = -1
        self.rules: Rules = rules if rules is not None else rules_at(start)
        self.window = 0
        self.interval = 0
        self.pair = 0
        self.lookback = 0
        self.blocked_regions: frozenset[str] = frozenset()
        self.classes: dict[bool, Reason | None] = {}
        self.scoped_classes: dict[bool, Reason | None] = {}
        """The same verdicts for a business-scoped user ID (some messages need a phone number)."""
        self.costs: dict[tuple[bool, str | None], _Price] = {}
        self.ready = False
        self._epoch(self.start)
        if ledger is not None:
            self._load(ledger)
        self.ready = True
        self._retier(self.start)

    # -- epochs: rules and rate periods ----------------------------------------------------

    def _epoch(self, t: int) -> None:
        """Switch to the rules and prices in force at `t`; forget what depended on the old."""
        now = _at(t)
        rules = self.fixed_rules if self.fixed_rules is not None else rules_at(now)
        ends = [_NEVER_US]
        index = bisect.bisect_right(self.rule_starts, t)
        if index < len(self.rule_starts):
            ends.append(self.rule_starts[index])
        index = bisect.bisect_right(self.rate_starts, t)
        if index < len(self.rate_starts):
            ends.append(self.rate_starts[index])
        self.epoch_end = min(ends)
        changed = rules is not self.rules or self.window == 0
        self.rules = rules
        self.window = rules.messaging_limit_window.value // _MICROSECOND
        self.interval = -(-_SECOND_US // self.throughput_class.rate(rules))
        self.pair = rules.pair_rate_interval.value // _MICROSECOND
        self.lookback = rules.limit_upgrade_lookback.value // _MICROSECOND
        blocked = rules.marketing_blocked_regions.value
        self.blocked_regions = (
            frozenset(blocked) if self.kind is SendKind.MARKETING_TEMPLATE else frozenset()
        )
        self.regions = None
        if self.rate_card is not None or self.blocked_regions:
            from wa_outbound._rates import known_region  # noqa: PLC0415 - pricing loads on use

            self.regions = known_region  # without phonenumbers: market unknown, never an error
        self.classes = {True: self._class(opted=True), False: self._class(opted=False)}
        self.scoped_classes = {
            True: self._class(opted=True, scoped=True),
            False: self._class(opted=False, scoped=True),
        }
        self.costs = {}
        self.tier_prices = {}
        if changed and self.ready:
            self._retier(t)

    def _load(self, ledger: LimitLedger) -> None:
        """Take the ledger's slots in use at the start (and their usage) as the plan's own."""
        cutoff = self.start - self.window
        entries = sorted(
            (
                (min(_us(at), self.start), recipient)
                for recipient, at in ledger.store.items()
                if _us(at) > cutoff
            ),
            key=lambda entry: entry[0],  # recipients of two types do not compare
        )
        for at, recipient in entries:
            self.slots.append(at)
            self.held[recipient] = at
            self._use(at)
        self._set_room()

    def _due(self) -> tuple[int, int]:
        """When the walk must take a slow step, and how much usage calls for an upgrade check.

        The slow step is the next epoch or the pending upgrade, whichever comes first; the
        usage is in `used` units (users ever reached), never while an upgrade is pending.
        """
        if self.pending is not None:
            return min(self.epoch_end, self.pending[0]), _NEVER_US
        if self.threshold is None:
            return self.epoch_end, _NEVER_US
        return self.epoch_end, self.base + self.threshold

    def _per_epoch(self) -> _PerEpoch:
        """What the walk keeps in local variables from one epoch to the next.

        The throughput and pair rate intervals, the verdicts of fresh recipients, how to read
        a recipient's region (`None`: no need to) and the regions a marketing template may not
        reach.
        """
        return (
            self.interval,
            self.pair,
            self.classes,
            self.scoped_classes,
            self.regions,
            self.blocked_regions,
        )

    def _slow_step(self, t: int) -> None:
        """Enter the epoch that starts at or before `t`, or apply the upgrade due by then."""
        if t >= self.epoch_end:
            self._epoch(t)
        else:
            self._upgrade()

    # -- messaging limit ---------------------------------------------------------------------

    def _set_room(self) -> None:
        users = self.limit.users
        self.room = _NEVER_US if users is None else users + self.moved_count

    def _free_slot(self, t: int) -> int:
        """When a new user may be reached, at or after `t`, once the slots look full.

        Drops the slots that left the window by `t`, and moved ones that reach the front. If
        the limit is still used up: when the oldest slot frees, or the instant of a pending
        upgrade if that comes first (it may raise the limit).
        """
        slots, moved, cutoff = self.slots, self.moved, t - self.window
        while slots and (slots[0] <= cutoff or (moved and slots[0] in moved)):
            gone = slots.popleft()
            if moved and gone in moved:
                self.moved_count -= 1
                if moved[gone] == 1:
                    del moved[gone]
                else:
                    moved[gone] -= 1
        self._set_room()
        if len(slots) < self.room:
            return t
        frees = slots[0] + self.window
        pending = _NEVER_US if self.pending is None else self.pending[0]
        return max(t, pending) if pending < frees else frees

    def _holds_slot(self, recipient: Recipient, t: int) -> int:
        """The instant of the slot `recipient` holds since before the campaign at `t`, or -1."""
        was = self.held.get(recipient, -1)
        return was if was > t - self.window else -1

    def _move_slot(self, recipient: Recipient, was: int, t: int) -> None:
        """A held recipient is sent again at `t`: its slot moves from `was` to `t`."""
        self.held[recipient] = t
        if self.room < _NEVER_US:
            self.slots.append(t)
            self.moved[was] = self.moved.get(was, 0) + 1
            self.moved_count += 1
            self._set_room()

    # -- pacing ------------------------------------------------------------------------------

    def _forget_paced(self, t: int) -> int:
        """Forget the recipients the pair rate no longer holds back at `t`; the next threshold."""
        recent, cutoff = self.recent, t - self.pair
        for gone in [key for key, at in recent.items() if at <= cutoff]:
            del recent[gone]
        return max(_MIN_SWEEP, 2 * len(recent))

    # -- tiers -------------------------------------------------------------------------------

    def _use(self, t: int) -> None:
        """Count one unique user reached at `t` in the lookback usage."""
        if not self.usage or self.usage[-1][0] + _MINUTE_US <= t:
            self._new_minute(t, self.used)
        self.used += 1

    def _new_minute(self, t: int, used: int) -> int:
        """Open the usage bucket of the minute of `t`, `used` users before it; return its end."""
        minute = t - t % _MINUTE_US
        self.usage.append((minute, used))
        return minute + _MINUTE_US

    def _used_at(self, t: int) -> int:
        """Users reached within the lookback at `t` (buckets leave with their first minute)."""
        usage = self.usage
        cutoff = t - self.lookback
        while usage and usage[0][0] <= cutoff:
            usage.popleft()
        self.base = usage[0][1] if usage else self.used
        return self.used - self.base

    def _retier(self, t: int) -> None:
        """Recompute the usage the current limit needs for an upgrade, and check it at `t`."""
        projection = project_tier(
            self.limit,
            used_last_7_days=0,
            quality=self.quality,
            phone_status=self.phone_status,
            now=_at(t),
            rules=self.rules,
        )
        usage = [b for b in projection.blockers if b.code is TierBlockerCode.NOT_ENOUGH_USAGE]
        others = tuple(
            b for b in projection.blockers if b.code is not TierBlockerCode.NOT_ENOUGH_USAGE
        )
        self.tier_blockers = others
        if others or projection.next is None:
            self.threshold = None
            return
        self.threshold = usage[0].needed if usage else 0
        self._qualify(t)

    def _qualify(self, t: int) -> None:
        """If usage at `t` meets the threshold, ask `project_tier` and plan the upgrade."""
        threshold = self.threshold
        if threshold is None or self.pending is not None or self._used_at(t) < threshold:
            return
        used = self.used - self.base  # what `_used_at` just read
        projection = project_tier(
            self.limit,
            used_last_7_days=used,
            quality=self.quality,
            phone_status=self.phone_status,
            now=_at(t),
            rules=self.rules,
        )
        if projection.eligible and projection.next is not None:
            due = projection.earliest_upgrade_at
            assert due is not None  # noqa: S101 - eligible projections carry it
            self.pending = (_us(due), projection.next, t)

    def _upgrade(self) -> None:
        """Apply the pending upgrade at its instant."""
        assert self.pending is not None  # noqa: S101 - only called with one pending
        at, after, qualified = self.pending
        self.pending = None
        self._roll(at)
        before = self.limit
        self.tier_changes.append(
            TierChange(at=_at(at), before=before, after=after, qualified_at=_at(qualified))
        )
        self.limit = after
        self._set_room()
        self.day_tier = after
        if at >= self.epoch_end:
            self._epoch(at)
        self._retier(at)

    # -- days --------------------------------------------------------------------------------

    def _open_day(self, t: int) -> int:
        """A send at `t` falls after the day the walk knew: roll to its day; the day's end."""
        if self.first is None:
            self.first = t
        self._roll(t)
        return self.day_end

    def _roll(self, t: int) -> None:
        """Close the current day if `t` falls after it, and open the day of `t`."""
        if t < self.day_end:
            return
        self._close_day()
        self.day_start = (t // _DAY_US) * _DAY_US
        self.day_end = self.day_start + _DAY_US
        self.day_limit = self.limit

    def _close_day(self) -> None:
        """Append the current day's summary, from the counts since the day opened."""
        sends = self.sent - self.day_base[0]
        counts, base = self.counts, self.day_counts
        if sends or self.day_tier is not None:
            cost: dict[str, Decimal] = {}
            for slot, ((_, _, currency), amount) in enumerate(self.rows, start=_ROWS_FROM):
                during = counts[slot] - (base[slot] if slot < len(base) else 0)
                if during:
                    cost[currency] = cost.get(currency, Decimal(0)) + amount * during
            self.days.append(
                PlanDay(
                    date=_at(self.day_start).date(),
                    sends=sends,
                    new_users=self.new_users - self.day_base[1],
                    limit=self.day_limit,
                    tier_change=self.day_tier,
                    cost=cost,
                    unknown_price_sends=counts[_UNKNOWN_SLOT] - base[_UNKNOWN_SLOT],
                )
            )
        self.day_base = (self.sent, self.new_users)
        self.day_counts = list(counts)
        self.day_tier = None

    # -- one recipient ----------------------------------------------------------------------

    def _bad_row(self, error: RecipientFileError) -> None:
        """Count a bad row and keep it as an example (or raise it, `strict`)."""
        if self.strict:
            raise error
        self.bad += 1
        _, _, column = error.field.rpartition(", ")
        self.causes[f"{column}: {error.reason}"] += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(error)

    def _duplicate(self) -> None:
        """Count a recipient listed before (with `dedupe`)."""
        self.blocked[DUPLICATE] += 1

    def _fresh(self, recipient: Recipient, *, opted: bool) -> Conversation:
        """A new conversation with `recipient`, opted in at the start if `opted`."""
        return _listed_conversation(
            self.business, recipient, None, opted=opted, start=_at(self.start)
        )

    def _class(self, *, opted: bool, scoped: bool = False) -> Reason | None:
        """The first blocking reason of a fresh conversation (`None`: allowed), this epoch.

        A fresh conversation has no window, no entry point and no history, so under one rule
        set its answer for a template does not depend on the instant or the recipient, only on
        whether the recipient is a phone number or a business-scoped user ID (`scoped`).
        """
        conversation = self._fresh(_SCOPED_PLACEHOLDER if scoped else _PLACEHOLDER, opted=opted)
        decision = can_send(conversation, self.kind, now=_at(self.start), rules=self.rules)
        return decision.reasons[0].code if decision.reasons else None

    def _decide(self, conversation: Conversation, t: int) -> tuple[Reason | None, bool]:
        """`can_send` at `t`: the first blocking reason (`None`: allowed), and whether it counts.

        A send counts against the messaging limit when it reaches the user outside their
        customer service window.
        """
        decision = can_send(conversation, self.kind, now=_at(t), rules=self.rules)
        verdict = decision.reasons[0].code if decision.reasons else None
        return verdict, decision.service_window_expires_at is None

    def _price(
        self,
        recipient: Recipient,
        conversation: Conversation | None,
        opted: bool,  # noqa: FBT001 - positional on the hot path
        region: str | None,
        t: int,
    ) -> CostEstimate:
        """Price a send at `t` and count it; a fresh recipient's price comes from the cache."""
        if conversation is None:
            price = self.costs.get((opted, region))
            if price is None:
                fresh = self._fresh(recipient, opted=opted)
                price = self.costs[opted, region] = self._estimate(fresh, t, region)
        else:
            price = self._estimate(conversation, t, region)
        if self.tiered and price.estimate.rate is not None:
            price = self._tier(price, t, cached=conversation is None)
        self.counts[price.slot] += 1
        return price.estimate

    def _tier(self, price: _Price, t: int, *, cached: bool) -> _Price:
        """Count a charged send in its market's month volume; its price at the volume tier.

        The send is the month's next message of its list price's market: the volume before it
        is the host's `month_volume` for that market (in the campaign's first month only) plus
        the campaign's charged sends there this month. `cached`: `price` is a fresh
        recipient's cached price, so its tier price may be kept too.
        """
        rate = price.estimate.rate
        assert rate is not None  # noqa: S101 - only called for a priced send
        if t >= self.month_end:
            self._new_month(t)
        volume = self.volumes.get(rate.market, 0)
        self.volumes[rate.market] = volume + 1
        schedule = self.schedules.get(id(rate))
        if schedule is None:
            assert self.rate_card is not None  # noqa: S101 - only priced with a card
            tiers = (rate, *self.rate_card.volume_tiers(rate))
            schedule = self.schedules[id(rate)] = ([tier.volume_from for tier in tiers], tiers)
        froms, tiers = schedule
        index = bisect.bisect_right(froms, volume + 1) - 1
        if index == 0:
            return price
        if not cached:
            return self._at_tier(price, tiers[index])
        key = (id(price), index)
        tiered = self.tier_prices.get(key)
        if tiered is None:
            tiered = self.tier_prices[key] = self._at_tier(price, tiers[index])
        return tiered

    def _new_month(self, t: int) -> None:
        """Enter the calendar month (UTC) of `t`: its volumes start from the host's, or zero.

        The host's `month_volume` is the volume of the month the campaign starts in; a later
        month starts from zero.
        """
        first = _at(t).date().replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        month_start = _us(datetime(first.year, first.month, 1, tzinfo=UTC))
        self.month_end = _us(datetime(following.year, following.month, 1, tzinfo=UTC))
        starts_here = month_start <= self.start < self.month_end
        self.volumes = dict(self.month_volume) if starts_here else {}

    def _at_tier(self, price: _Price, tier: Rate) -> _Price:
        """`price` at the volume tier `tier`, counted in a row of its own."""
        key = self.rows[price.slot - _ROWS_FROM][0]
        estimate = attrs.evolve(price.estimate, rate=tier, amount=tier.amount)
        return _Price(estimate, self._slot((key, tier.amount)))

    def _slot(self, row: tuple[CostKey, Decimal]) -> int:
        """The counting slot of a (key, amount) row, opened on first use."""
        slot = self.row_slots.get(row)
        if slot is None:
            slot = self.row_slots[row] = len(self.counts)
            self.rows.append(row)
            self.counts.append(0)
        return slot

    def _estimate(self, conversation: Conversation, t: int, region: str | None) -> _Price:
        from wa_outbound._cost import estimate_cost  # noqa: PLC0415 - pricing loads on use

        assert self.rate_card is not None  # noqa: S101 - only priced with a card
        estimate = estimate_cost(
            conversation,
            self.kind,
            now=_at(t),
            rules=self.rules,
            rate_card=self.rate_card,
            market=region,
        )
        amount = estimate.amount
        if amount is None:
            return _Price(estimate, _UNKNOWN_SLOT)
        currency, category = estimate.currency, estimate.category
        if currency is None or category is None:  # free: nothing to add
            return _Price(estimate, _FREE_SLOT)
        return _Price(
            estimate, self._slot(((category, estimate.market or region or "", currency), amount))
        )

    # -- the walk ----------------------------------------------------------------------------

    def walk(  # noqa: C901, PLR0912, PLR0915 - the hot path in one frame: see the docstring
        self, recipients: Iterable[object], *, emit: bool
    ) -> Generator[ScheduledSend, None, CampaignPlan]:
        """Plan every recipient in order; yield each send if `emit`; return the plan.

        The steps of the module docstring, for each recipient `_listed_recipients` yields:
        decide (a fresh recipient's verdict from `classes`, any other by `_decide`; then its
        region), wait for a slot (`_free_slot`, once the slots look full; `_holds_slot` for a
        recipient the ledger counts), pace (the pair rate), then record the send (`_open_day`,
        its slot, `_new_minute` and `_qualify` for the usage that may earn an upgrade) and
        `_price` it. What changes on every send lives in local variables; what changes rarely
        (an epoch, a tier, a day) is a method, around which the locals are written back and
        read again (`_due`, `_per_epoch`). Recording and waiting as method calls of their own
        would cost a fifth more per recipient or worse (two calls more per send measured
        +15 to 25 % with `benchmarks/bench_campaign.py`'s lists), so the common path stays in
        this one frame.
        """
        rows = _listed_recipients(
            recipients,
            business=self.business,
            start=_at(self.start),
            assume_opted_in=self.assume_opted_in,
            dedupe=self.dedupe,
            on_bad=self._bad_row,
            on_duplicate=self._duplicate,
        )
        dedupe, blocked, slots, held, recent = (
            self.dedupe,
            self.blocked,
            self.slots,
            self.held,
            self.recent,
        )
        priced, region_blocked = self.rate_card is not None, Reason.MARKETING_BLOCKED_IN_REGION
        sent = new_users = 0
        used, last, cursor = self.used, -1, self.start
        day_end = -1  # the first send opens its day
        minute_end = self.usage[-1][0] + _MINUTE_US if self.usage else -1
        forget_at = _MIN_SWEEP
        boundary, trigger = self._due()
        interval, pair, classes, scoped, regions, blocked_regions = self._per_epoch()
        room = self.room

        for recipient, conversation, opted in rows:
            t = cursor
            region: str | None = _UNREAD
            while True:
                if t >= boundary:
                    self.sent, self.new_users, self.used = sent, new_users, used
                    self._slow_step(t)
                    boundary, trigger = self._due()
                    interval, pair, classes, scoped, regions, blocked_regions = self._per_epoch()
                    room = self.room
                    continue
                # Decide.
                if conversation is None:
                    fresh = classes if recipient.__class__ is _WA_ID else scoped
                    verdict, counts = fresh[opted], True
                else:
                    verdict, counts = self._decide(conversation, t)
                if verdict is None and regions is not None:
                    if region is _UNREAD:
                        region = regions(recipient)
                    if region in blocked_regions:
                        verdict = region_blocked
                if verdict is not None:
                    break
                # Wait for a slot, and pace.
                moved = self._holds_slot(recipient, t) if counts and held else -1
                wait = t
                if counts and moved < 0 and len(slots) >= room:
                    wait = self._free_slot(t)
                    room = self.room
                if not dedupe:
                    previous = recent.get(recipient.value, _NO_SEND) + pair
                    if previous > wait:  # noqa: PLR1730 - max() costs a call
                        wait = previous
                if wait == t:
                    break
                t = wait
            if verdict is not None:
                blocked[verdict] += 1
                continue

            # The send goes out at t: record it, and price it.
            cursor = t + interval
            if t >= day_end:
                self.sent, self.new_users = sent, new_users
                day_end = self._open_day(t)
            sent += 1
            last = t
            if moved >= 0:  # no new slot: the one it holds moves here
                counts = False
                self._move_slot(recipient, moved, t)
                room = self.room
            elif counts:
                new_users += 1
                if room < _NEVER_US:
                    slots.append(t)
                if t >= minute_end:
                    minute_end = self._new_minute(t, used)
                used += 1
                if used >= trigger:
                    self.used = used
                    self._qualify(t)
                    boundary, trigger = self._due()
            if not dedupe:
                recent[recipient.value] = t
                if len(recent) > forget_at:
                    forget_at = self._forget_paced(t)
            cost = self._price(recipient, conversation, opted, region, t) if priced else None
            if emit:
                yield ScheduledSend(recipient=recipient, at=_at(t), new_user=counts, cost=cost)
        self.sent, self.new_users, self.used = sent, new_users, used
        self.last = None if last < 0 else last
        return self._plan()

    def _plan(self) -> CampaignPlan:
        self._close_day()
        cost: dict[CostKey, Decimal] | None = None
        if self.rate_card is not None:
            cost = {}
            for slot, (key, amount) in enumerate(self.rows, start=_ROWS_FROM):
                cost[key] = cost.get(key, Decimal(0)) + amount * self.counts[slot]
        return CampaignPlan(
            kind=self.kind,
            starts_at=None if self.first is None else _at(self.first),
            finishes_at=None if self.last is None else _at(self.last),
            recipients=self.sent + sum(self.blocked.values()) + self.bad,
            scheduled=self.sent,
            new_users=self.new_users,
            blocked=dict(self.blocked),
            bad_rows=self.bad,
            bad_row_examples=tuple(self.examples),
            bad_row_causes=dict(self.causes.most_common()),
            days=tuple(self.days),
            tier_changes=tuple(self.tier_changes),
            limit=self.limit,
            tier_blockers=self.tier_blockers,
            cost=cost,
            unknown_price_sends=self.counts[_UNKNOWN_SLOT],
            at_risk=self._at_risk(),
            endpoint=self._endpoint(),
        )

    def _at_risk(self) -> dict[Risk, int]:
        """The sends the per-user marketing limit counts, under the rules at the end."""
        rules = self.rules
        if self.kind is not SendKind.MARKETING_TEMPLATE or not rules.marketing_per_user_limit.value:
            return {}
        exempt = rules.marketing_per_user_limit_exempts_window.value
        # A send that takes a messaging-limit slot goes outside any window: the safe count.
        return {Risk.PER_USER_MARKETING_LIMIT: self.new_users if exempt else self.sent}

    def _endpoint(self) -> Endpoint:
        """Where the plan's sends go, under the rules at the end."""
        marketing = self.kind is SendKind.MARKETING_TEMPLATE
        if marketing and self.rules.marketing_messages_endpoint.value:
            return Endpoint.MARKETING_MESSAGES
        return Endpoint.MESSAGES


def _planner(
    *,
    business: PhoneNumberId,
    kind: SendKind | str,
    start: datetime,
    rules: Rules | None,
    limit: MessagingLimit | None,
    verified: bool,
    quality: QualityRating | str,
    phone_status: PhoneNumberStatus | str,
    ledger: LimitLedger | None,
    throughput_class: ThroughputClass | str,
    rate_card: RateCard | None,
    strict: bool,
    bad_row_examples: int,
    dedupe: bool,
    assume_opted_in: bool,
    month_volume: Mapping[str, int] | None,
) -> _Planner:
    """Check the arguments and build the walk's state."""
    if not isinstance(business, PhoneNumberId):
        raise InvalidValueError("business", business, "expected a PhoneNumberId")
    kind = member("kind", SendKind, kind)
    if not kind.is_template:
        raise InvalidValueError("kind", kind, "expected a template SendKind")
    verified, dedupe, assume_opted_in = (
        flag("verified", verified),
        flag("dedupe", dedupe),
        flag("assume_opted_in", assume_opted_in),
    )
    start = utc("start", start)
    if rules is not None and not isinstance(rules, Rules):
        raise InvalidValueError("rules", rules, "expected Rules")
    first = rules if rules is not None else rules_at(start)
    if limit is None:
        tiers = first.messaging_limit_tiers.value
        limit = MessagingLimit(users=first.verified_starting_limit.value if verified else tiers[0])
    if not isinstance(limit, MessagingLimit):
        raise InvalidValueError("limit", limit, "expected a MessagingLimit")
    throughput_class = member("throughput_class", ThroughputClass, throughput_class)
    quality = member("quality", QualityRating, quality)
    phone_status = member("phone_status", PhoneNumberStatus, phone_status)
    if (
        isinstance(bad_row_examples, bool)
        or not isinstance(bad_row_examples, int)
        or (bad_row_examples < 0)
    ):
        raise InvalidValueError("bad_row_examples", bad_row_examples, "expected 0 or more")
    _check_month_volume(month_volume)
    return _Planner(
        business=business,
        kind=kind,
        start=start,
        rules=rules,
        limit=limit,
        quality=quality,
        phone_status=phone_status,
        ledger=ledger,
        throughput_class=throughput_class,
        rate_card=rate_card,
        strict=strict,
        bad_row_examples=bad_row_examples,
        dedupe=dedupe,
        assume_opted_in=assume_opted_in,
        month_volume=month_volume,
    )


def _check_month_volume(month_volume: object) -> None:
    """Refuse a month volume that is not a mapping of market names to counts of 0 or more."""
    if month_volume is None:
        return
    if not isinstance(month_volume, Mapping):
        raise InvalidValueError(
            "month_volume", month_volume, "expected a mapping of market to messages charged"
        )
    for market, count in month_volume.items():
        if not isinstance(market, str) or not market:
            raise InvalidValueError("month_volume", market, "expected a market name or code")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidValueError(f"month_volume[{market!r}]", count, "expected an int >= 0")


def iter_schedule(
    recipients: Iterable[CampaignRecipient | Recipient | RecipientFileError],
    *,
    business: PhoneNumberId,
    kind: SendKind | str,
    start: datetime,
    rules: Rules | None = None,
    limit: MessagingLimit | None = None,
    verified: bool = False,
    quality: QualityRating | str = QualityRating.GREEN,
    phone_status: PhoneNumberStatus | str = PhoneNumberStatus.CONNECTED,
    ledger: LimitLedger | None = None,
    throughput_class: ThroughputClass | str = ThroughputClass.DEFAULT,
    rate_card: RateCard | None = None,
    strict: bool = False,
    bad_row_examples: int = 5,
    dedupe: bool = False,
    assume_opted_in: bool = False,
    month_volume: Mapping[str, int] | None = None,
) -> CampaignSchedule:
    """Plan a campaign lazily: yield every send in time order, then hold the plan.

    Takes the arguments of `plan_campaign`. The recipients are read as the schedule is
    iterated; `CampaignSchedule.plan` is the `CampaignPlan` once it is exhausted.

    Raises:
        NaiveDatetimeError: `start` has no time zone.
        InvalidValueError: An argument is of the wrong type or `kind` is not a template.
    """
    planner = _planner(
        business=business,
        kind=kind,
        start=start,
        rules=rules,
        limit=limit,
        verified=verified,
        quality=quality,
        phone_status=phone_status,
        ledger=ledger,
        throughput_class=throughput_class,
        rate_card=rate_card,
        strict=strict,
        bad_row_examples=bad_row_examples,
        dedupe=dedupe,
        assume_opted_in=assume_opted_in,
        month_volume=month_volume,
    )
    return CampaignSchedule(planner.walk(recipients, emit=True))


@overload
def plan_campaign(
    recipients: Iterable[CampaignRecipient | Recipient | RecipientFileError],
    *,
    business: PhoneNumberId,
    kind: SendKind | str,
    start: datetime,
    rules: Rules | None = ...,
    limit: MessagingLimit | None = ...,
    verified: bool = ...,
    quality: QualityRating | str = ...,
    phone_status: PhoneNumberStatus | str = ...,
    ledger: LimitLedger | None = ...,
    throughput_class: ThroughputClass | str = ...,
    rate_card: RateCard | None = ...,
    schedule: Literal[False] = ...,
    strict: bool = ...,
    bad_row_examples: int = ...,
    dedupe: bool = ...,
    assume_opted_in: bool = ...,
    month_volume: Mapping[str, int] | None = ...,
) -> CampaignPlan: ...


@overload
def plan_campaign(
    recipients: Iterable[CampaignRecipient | Recipient | RecipientFileError],
    *,
    business: PhoneNumberId,
    kind: SendKind | str,
    start: datetime,
    rules: Rules | None = ...,
    limit: MessagingLimit | None = ...,
    verified: bool = ...,
    quality: QualityRating | str = ...,
    phone_status: PhoneNumberStatus | str = ...,
    ledger: LimitLedger | None = ...,
    throughput_class: ThroughputClass | str = ...,
    rate_card: RateCard | None = ...,
    schedule: Literal[True],
    strict: bool = ...,
    bad_row_examples: int = ...,
    dedupe: bool = ...,
    assume_opted_in: bool = ...,
    month_volume: Mapping[str, int] | None = ...,
) -> CampaignSchedule: ...


def plan_campaign(
    recipients: Iterable[CampaignRecipient | Recipient | RecipientFileError],
    *,
    business: PhoneNumberId,
    kind: SendKind | str,
    start: datetime,
    rules: Rules | None = None,
    limit: MessagingLimit | None = None,
    verified: bool = False,
    quality: QualityRating | str = QualityRating.GREEN,
    phone_status: PhoneNumberStatus | str = PhoneNumberStatus.CONNECTED,
    ledger: LimitLedger | None = None,
    throughput_class: ThroughputClass | str = ThroughputClass.DEFAULT,
    rate_card: RateCard | None = None,
    schedule: bool = False,
    strict: bool = False,
    bad_row_examples: int = 5,
    dedupe: bool = False,
    assume_opted_in: bool = False,
    month_volume: Mapping[str, int] | None = None,
) -> CampaignPlan | CampaignSchedule:
    """Plan a template campaign: who gets it when, who is blocked and why, what it costs.

    The recipients are read once, in order (a generator of ten million is fine); see the
    module docstring for the model.

    Args:
        recipients: `WaId`s, `CampaignRecipient`s, and the `RecipientFileError`s of a
            `read_recipients` file (counted as bad rows).
        business: The business phone number that sends.
        kind: The template kind (marketing, utility or authentication).
        start: When the campaign starts (aware).
        rules: The rules to apply throughout; by default the built-in rules in force at each
            send (a long campaign may cross a dated change).
        limit: The messaging limit in force at `start`; by default the first tier, or the
            verified starting limit with `verified`.
        verified: Whether the business is verified (only picks the default `limit`).
        quality: The quality rating, assumed to hold throughout (tier projection).
        phone_status: The phone number's status, assumed to hold throughout.
        ledger: The messaging limit ledger at `start`: the slots already in use.
        throughput_class: The number's throughput.
        rate_card: Prices; without one the plan has no cost (`cost` is `None`).
        schedule: Return a `CampaignSchedule` (every send, lazily; then the plan) instead.
        strict: Raise the first bad row instead of counting it.
        bad_row_examples: How many bad rows the plan keeps as examples.
        dedupe: Send a recipient listed twice only once (memory grows by about 60 bytes per
            recipient); `False` keeps memory flat and paces repeats by the pair rate.
        assume_opted_in: Whether a recipient without a conversation or an `opted_in` flag has
            opted in (the list is an opt-in list).
        month_volume: For the rate card's volume tiers (utility and authentication, from
            2025-07-01): how many messages of the template's category the business portfolio
            was already charged this month, by the market of the list price (`Rate.market`:
            ``"India"``, ``"Rest of Africa"``, or the region code of a per-country row). The
            plan then counts its own charged sends on top, market by market, and prices each
            at its tier; a send in a later calendar month (UTC) counts from zero. `None` (the
            default) prices every send at the list price, as does a card without tiers.

    Returns:
        The `CampaignPlan`, or with `schedule=True` a `CampaignSchedule`.

    Raises:
        NaiveDatetimeError: `start` has no time zone.
        InvalidValueError: An argument is of the wrong type, `kind` is not a template, or an
            item of `recipients` is not a recipient.
        RecipientFileError: `strict` is set and a row is bad.
        RuleDataError: `rules` is omitted and `start` is before the oldest rule set.
    """
    planner = _planner(
        business=business,
        kind=kind,
        start=start,
        rules=rules,
        limit=limit,
        verified=verified,
        quality=quality,
        phone_status=phone_status,
        ledger=ledger,
        throughput_class=throughput_class,
        rate_card=rate_card,
        strict=strict,
        bad_row_examples=bad_row_examples,
        dedupe=dedupe,
        assume_opted_in=assume_opted_in,
        month_volume=month_volume,
    )
    steps = planner.walk(recipients, emit=schedule)
    if schedule:
        return CampaignSchedule(steps)
    try:
        next(steps)
    except StopIteration as done:
        plan: CampaignPlan = done.value
        return plan
    raise AssertionError("unreachable: a walk without emit yields nothing")  # pragma: no cover


# --- the recipients file --------------------------------------------------------------------

_YES: Final = frozenset({"opted_in", "yes", "true", "1", "y"})
_NO: Final = frozenset({"no", "false", "0", "n"})
_STOP: Final = frozenset({"opted_out", "stop", "stopped", "unsubscribed"})


def read_recipients(
    source: str | os.PathLike[str] | TextIO,
) -> Iterator[CampaignRecipient | RecipientFileError]:
    """Read a recipients CSV file row by row: a `CampaignRecipient`, or the row's error.

    Columns (a header row names them; others are ignored):

    * `phone` (required): the number in international form, with or without `+`
      (`+49 151 2345 6789`, `4915123456789`).
    * `last_inbound_at` (optional): the recipient's latest message, an ISO 8601 instant with
      a time zone (`2026-11-23T09:00:00Z`); empty if unknown.
    * `consent` (optional): `opted_in`, `yes`, `true`, `1` for an opt-in; `no`, `false`, `0`
      for none; `opted_out`, `stop`, `stopped`, `unsubscribed` for a recipient who asked to
      stop (blocked as `opted_out`). An empty cell, like a missing column, says nothing: the
      planner's `assume_opted_in` decides.

    Rows are numbered as a spreadsheet shows them (the header is row 1). A bad row yields a
    `RecipientFileError` naming the row and column (`row 7, phone`) instead of a recipient, so
    that the planner can count it and go on.

    Raises:
        RecipientFileError: The file has no header row or no `phone` column.
        OSError: The file cannot be opened.
    """
    check_source(source)
    if isinstance(source, (str, os.PathLike)):
        return _read_path(Path(source))
    return _read_rows(source)


def _read_path(path: Path) -> Iterator[CampaignRecipient | RecipientFileError]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        yield from _read_rows(stream)


def _read_rows(stream: TextIO) -> Iterator[CampaignRecipient | RecipientFileError]:
    reader = csv.reader(stream)
    header = _next_row(reader)
    if isinstance(header, RecipientFileError):
        raise header
    if header is None:
        raise RecipientFileError("row 1", None, "the file is empty: expected a header row")
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    if "phone" not in names:
        raise RecipientFileError("row 1", header, "expected a 'phone' column")
    phone_at = names.index("phone")
    inbound_at = names.index("last_inbound_at") if "last_inbound_at" in names else None
    consent_at = names.index("consent") if "consent" in names else None
    while (row := _next_row(reader)) is not None:
        if isinstance(row, RecipientFileError):
            yield row
            continue
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        yield _row(row, line, phone_at, inbound_at, consent_at)


def _next_row(reader: Any) -> list[str] | RecipientFileError | None:  # noqa: ANN401 - csv's reader
    """The next row, `None` at the end, or the error of a row the csv module cannot read.

    Raises:
        RecipientFileError: the file is not UTF-8 text (nothing after that point can be read).
    """
    try:
        return next(reader, None)
    except csv.Error as error:  # a cell over the csv module's field limit, a stray quote
        return RecipientFileError(f"row {reader.line_num}", None, f"not a CSV row: {error}")
    except UnicodeDecodeError as error:
        raise RecipientFileError(
            f"row {reader.line_num + 1}",
            error.object[error.start : error.start + 8],
            "the file is not UTF-8 text: save it as CSV UTF-8",
        ) from None


def _cell(row: list[str], index: int | None) -> str | None:
    if index is None:
        return None
    return row[index].strip() if index < len(row) else ""


def _row(
    row: list[str], line: int, phone_at: int, inbound_at: int | None, consent_at: int | None
) -> CampaignRecipient | RecipientFileError:
    phone = _cell(row, phone_at) or ""
    try:
        recipient = WaId.parse(phone)
    except InvalidValueError as error:
        return RecipientFileError(f"row {line}, phone", phone, error.reason)
    inbound = _cell(row, inbound_at)
    last: datetime | None = None
    if inbound:
        try:
            last = datetime.fromisoformat(inbound.replace("Z", "+00:00"))
        except ValueError:
            return RecipientFileError(
                f"row {line}, last_inbound_at", inbound, "expected an ISO 8601 instant"
            )
        if last.utcoffset() is None:
            return RecipientFileError(
                f"row {line}, last_inbound_at", inbound, "the instant has no time zone"
            )
        try:
            last = utc("last_inbound_at", last)
        except InvalidValueError as error:
            return RecipientFileError(f"row {line}, last_inbound_at", inbound, error.reason)
    consent = _cell(row, consent_at)
    opted: bool | None = None
    stopped = False
    if consent:
        word = consent.lower()
        if word in _YES:
            opted = True
        elif word in _NO:
            opted = False
        elif word in _STOP:
            stopped = True
        else:
            return RecipientFileError(
                f"row {line}, consent",
                consent,
                "expected opted_in/yes/true/1, no/false/0, opted_out/stop or empty",
            )
    return CampaignRecipient(
        recipient=recipient, opted_in=opted, last_inbound_at=last, opted_out=stopped
    )
