"""Sending to a WhatsApp group: its window, the privacy advisories, its size, and its cost.

Theory of operation
-------------------
The February 2023 product brief rules groups out for business messaging: a consumer group
(up to 1,024 participants since 2022-11-03) shows every member's phone number to every other,
and anyone with its invite link can join, so a business cannot use one as a distribution list
within privacy requirements; there was no API either (`groups_api` false).

Meta's Groups API (open to Official Business Accounts since 2025-11-14, per Meta's page)
changed what a business can do, not what members see:

* **Window.** When any member messages the group, one customer service window opens (or is
  refreshed) between the business and the whole group. The host passes the latest member
  message; free-form needs the window, as one to one.
* **Size.** At most `group_participants_max` participants (8 in API groups).
* **Kinds.** Text, media, and marketing or utility templates: no calls, no authentication
  templates, no interactive or commerce messages.
* **Cost.** Per-message pricing, but per delivered copy: a billable message delivered to 5
  members is 5 charges, each at the rate of that member's country calling code. Free-form is
  free (`group_service`), a utility template inside the window too (`group_utility`), a
  marketing template never is (`group_marketing`). (Meta's page also says marketing templates
  are free inside the window; its own pricing table says they are billable: the table is
  followed.)
* **Privacy.** Admins cannot hide the participant list: members still see one another. So
  every decision carries that advisory, even an allowed one, and the invite-link advisory.

`decide_group` answers with the same `SendDecision` as one-to-one sends (reasons, instead,
window, next change), plus the advisories, the size check and the cost per copy.

Sources: Meta "Groups API" (updated 2025-11-14) and "Groups API Pricing"; the February 2023
brief; dates and provenance in the rules (`groups_api`, `group_participants_max`).
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._decision import Alternative, BlockReason, Reason, SendDecision
from wa_outbound._errors import (
    InvalidValueError,
    expect,
    is_a,
    is_tuple_of,
    is_whole,
    member,
    texts,
)
from wa_outbound._kinds import SendKind
from wa_outbound._rates import PriceCategory, Rate, RateCard
from wa_outbound._rules import Rules, rules_at
from wa_outbound._time import utc

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = ["GroupAdvisory", "GroupCost", "GroupSendDecision", "decide_group"]


class GroupAdvisory(enum.Enum):
    """What a host should know before sending to a group, even when the send is allowed."""

    PARTICIPANTS_SEE_EACH_OTHER = "participants_see_each_other"
    """Every participant sees every other participant's phone number (Meta: hiding the
    participant list is not supported), so a group is no distribution list for customers."""
    INVITE_LINK_JOINS = "invite_link_joins"
    """Whoever has the invite link may join (unless an API group requires approval,
    `join_approval_mode`): who receives the message is not the business's list."""


_GROUP_KINDS: Final = frozenset(
    {SendKind.FREE_FORM, SendKind.MARKETING_TEMPLATE, SendKind.UTILITY_TEMPLATE}
)
"""What groups take (Meta, Groups API: text, media, text- and media-based templates; no
calling, authentication, commerce or interactive messages)."""
_ADVISORIES: Final = (GroupAdvisory.PARTICIPANTS_SEE_EACH_OTHER, GroupAdvisory.INVITE_LINK_JOINS)


@attrs.frozen(kw_only=True)
class GroupCost:
    """What a group send costs if every copy is delivered: one charge per delivered copy."""

    category: PriceCategory | None = attrs.field(validator=is_a(PriceCategory, optional=True))
    """What each copy is charged as; `None` when the send is free."""
    copies: int = attrs.field(validator=is_whole())
    """How many copies are charged (0 when free)."""
    rates: tuple[tuple[str, Rate | None], ...] = attrs.field(
        default=(), validator=is_tuple_of(tuple)
    )
    """Each charged copy's market and its rate (`None`: not on the card)."""

    @property
    def total(self) -> Decimal | None:
        """The sum of the copies' rates; `None` if a rate is unknown or currencies differ."""
        if not self.rates:
            return Decimal(0)
        found = [rate for _, rate in self.rates]
        if any(rate is None for rate in found):
            return None
        currencies = {rate.currency for rate in found if rate is not None}
        if len(currencies) > 1:
            return None
        return sum((rate.amount for rate in found if rate is not None), Decimal(0))


@attrs.frozen(kw_only=True)
class GroupSendDecision:
    """The answer to "may I send this to this group now?", with what sending to a group means.

    `bool(decision)` is `decision.allowed`; the advisories hold whether it is allowed or not.
    """

    decision: SendDecision = attrs.field(validator=is_a(SendDecision))
    """Allowed or not, every reason, the alternative and the group's window."""
    advisories: tuple[GroupAdvisory, ...] = attrs.field(validator=is_tuple_of(GroupAdvisory))
    """What to know even when the send is allowed (privacy)."""
    participants: int = attrs.field(validator=is_whole())
    """The group's participants, as the host counted them."""
    participant_limit: int = attrs.field(validator=is_whole())
    """The most the rules in force allow."""
    cost: GroupCost | None = attrs.field(default=None, validator=is_a(GroupCost, optional=True))
    """What the send costs per delivered copy, with a rate card; `None` otherwise."""

    @property
    def allowed(self) -> bool:
        """Whether the send may go ahead."""
        return self.decision.allowed

    def __bool__(self) -> bool:
        """Return `allowed`."""
        return self.decision.allowed


def decide_group(
    kind: SendKind | str,
    *,
    now: datetime,
    participants: int,
    last_member_message_at: datetime | None = None,
    rules: Rules | None = None,
    rate_card: RateCard | None = None,
    markets: Sequence[str] = (),
) -> GroupSendDecision:
    """Decide a send to a WhatsApp group, with the privacy advisories, its size and its cost.

    Args:
        kind: What the business wants to send (or its value string).
        now: The instant of the send (aware).
        participants: How many participants (users) the group has.
        last_member_message_at: The latest message any member sent to the group; it opens
            the group's customer service window. `None`: none yet.
        rules: The rules to apply; by default the built-in rules in force at `now`.
        rate_card: Prices for the cost per delivered copy; without it `cost` is `None`.
        markets: Each participant's market (region code), for the cost; missing ones are
            priced as unknown.

    Returns:
        A `GroupSendDecision`. Sending to a group is never advised for customers who must not
        see one another: the advisories say so whatever the rules allow.

    Raises:
        NaiveDatetimeError: `now` or `last_member_message_at` has no time zone.
        InvalidValueError: `kind` is not a send kind, `participants` is not a count, or
            `rules`, `rate_card` or `markets` is of the wrong type.
        RuleDataError: `rules` is omitted and `now` is before the oldest rule set.
    """
    if kind.__class__ is not SendKind:
        kind = member("kind", SendKind, kind)
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise InvalidValueError("participants", participants, "expected a count of at least 1")
    now = utc("now", now)
    # issue #17: arguments of the wrong type are refused at the door, naming them
    if rules is not None:
        expect("rules", rules, Rules)
    if rate_card is not None:
        expect("rate_card", rate_card, RateCard)
    markets = texts("markets", markets)
    if rules is None:
        rules = rules_at(now)
    window_end = None
    if last_member_message_at is not None:
        last = utc("last_member_message_at", last_member_message_at)
        if now < last + rules.service_window.value:
            window_end = last + rules.service_window.value
    reasons, instead = _reasons(kind, rules, participants, last_member_message_at, window_end)
    decision = SendDecision(
        kind,
        reasons,
        instead if reasons else None,
        window_end,
        free_entry_point=False,
        next_change_at=window_end,
    )
    cost = None
    if rate_card is not None and rules.groups_api.value and kind in _GROUP_KINDS:
        cost = _cost(
            kind, now, participants, rate_card, markets, window_open=window_end is not None
        )
    return GroupSendDecision(
        decision=decision,
        advisories=_ADVISORIES,
        participants=participants,
        participant_limit=rules.group_participants_max.value,
        cost=cost,
    )


def _reasons(
    kind: SendKind,
    rules: Rules,
    participants: int,
    last_member_message_at: datetime | None,
    window_end: datetime | None,
) -> tuple[tuple[BlockReason, ...], Alternative | None]:
    reasons: list[BlockReason] = []
    instead: Alternative | None = None
    if not rules.groups_api.value:
        reasons.append(BlockReason(Reason.GROUPS_UNAVAILABLE, None, rules.name))
        instead = Alternative.SEND_MESSAGE
    if kind not in _GROUP_KINDS:
        what = kind.value.replace("_", " ") + "s"
        reasons.append(BlockReason(Reason.GROUP_KIND_UNSUPPORTED, None, what))
        instead = instead or Alternative.SEND_MESSAGE
    limit = rules.group_participants_max.value
    if participants > limit:
        reasons.append(BlockReason(Reason.GROUP_TOO_LARGE, None, f"{limit:,}"))
        instead = instead or Alternative.SEND_MESSAGE
    if kind is SendKind.FREE_FORM and window_end is None:
        if last_member_message_at is None:
            reasons.append(BlockReason(Reason.WINDOW_NEVER_OPENED))
        else:
            hours = f"{rules.service_window.value.total_seconds() / 3600:g} h"
            closed = last_member_message_at + rules.service_window.value
            reasons.append(BlockReason(Reason.WINDOW_CLOSED, closed, hours))
        instead = instead or Alternative.SEND_TEMPLATE
    return tuple(reasons), instead


def _cost(
    kind: SendKind,
    now: datetime,
    participants: int,
    rate_card: RateCard,
    markets: Sequence[str],
    *,
    window_open: bool,
) -> GroupCost:
    """Each delivered copy at its member's rate: free-form and in-window utility are free."""
    if kind is SendKind.FREE_FORM or (kind is SendKind.UTILITY_TEMPLATE and window_open):
        return GroupCost(category=None, copies=0)
    category = (
        PriceCategory.MARKETING if kind is SendKind.MARKETING_TEMPLATE else PriceCategory.UTILITY
    )
    known = list(markets)[:participants]
    rates = [(market, rate_card.price(category, market, now)) for market in known]
    rates += [("", None)] * (participants - len(known))
    return GroupCost(category=category, copies=participants, rates=tuple(rates))
