"""The conversation machine: one business phone number and one recipient, as a value.

Theory of operation
-------------------
A `Conversation` remembers only what the platform's rules need, and changes only by applying
past-tense facts (`wa_outbound._facts`). Webhooks arrive late, twice and out of order, so every
part of the state is built to make `apply` idempotent, and insensitive to delivery order
except where noted (the free entry point, below):

* **Customer service window.** The state keeps the latest inbound message and the latest
  inbound call (maxima: an older message never shrinks the window) and the latest instant at
  which the platform said the window was closed (Meta 131047, Twilio 63016). The platform is
  authoritative: such a rejection closes the window whatever the local clock says, until the
  user writes again. How long the window lasts, and whether calls open it, are rules, so they
  are read at question time (`can_send`), not here.

* **Free entry point.** The state keeps the latest two ad / Page-button referrals and, for
  each, the business's first reply after it. Whether a reply came soon enough, and how long the
  free period lasts, are again rules read at question time. A referral applied after replies
  that followed it cannot know which reply came first; it then records none, so the library
  may miss a free period but never claims one that was not.

* **Consent**, the **marketing preference** and **call permission** are small state machines
  given as tables (`CONSENT_TRANSITIONS`, `MARKETING_TRANSITIONS`,
  `CALL_PERMISSION_TRANSITIONS`). Consent (what the business recorded) and the marketing
  preference (the user's "Stop promotions" on WhatsApp) are separate on purpose: an opt-in
  recorded by the business does not lift the platform's marketing stop, and a marketing stop
  does not withdraw consent to utility messages. To stay order-insensitive the state keeps the
  latest instant of each kind of input and folds the table over those few inputs in time
  order; for these tables that equals the fold over the full history, which the tests check.
  At equal instants the more restrictive input is applied last, so a "stop" wins a tie.

* **Call limits.** The call log (`CallLog`) keeps the latest call permission requests, the
  latest connected business-initiated calls, the latest connected call in either direction
  and the business's unanswered calls since then, each a set of `(instant, id)` marks, so
  that a fact applied twice or late counts once. How many of them the platform allows in
  which period are rules, read at question time (`can_send`).

* **Owner and time.** A conversation belongs to one business number and one recipient. Facts
  carry no owner, so routing them is the host's; a fact that comes wrapped with the
  conversation it names (`OwnedFact`, such as the webhooks' `ConversationFactFor`) is checked
  against this one, and one that names another is refused rather than applied: a 131047 for
  recipient A closes no window of recipient B. The latest instant of every fact applied is
  `latest_at`; questions (`can_send`) refuse a `now` earlier than it by more than the rules'
  clock skew tolerance, so that no answer comes from the future.

Nothing here reads a clock; nothing here raises for a valid fact.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs

from wa_outbound._errors import InvalidTransition, InvalidValueError, RuleDataError, member
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    BusinessCallUnanswered,
    CallConnected,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRequested,
    CallPermissionRevoked,
    CodeMeaning,
    EntryPoint,
    InboundCallReceived,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    ReferralReceived,
    SendRejected,
)
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._shown import Shown
from wa_outbound._time import UTC, optional_instant

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from wa_outbound._facts import Fact
    from wa_outbound._render import Report
    from wa_outbound._rules import Rule, Rules

__all__ = [
    "CALL_PERMISSION_TRANSITIONS",
    "CONSENT_TRANSITIONS",
    "KEPT_CALL_MARKS",
    "MARKETING_TRANSITIONS",
    "CallLog",
    "CallMark",
    "CallPermission",
    "CallPermissionInput",
    "CallPermissionStatus",
    "Consent",
    "ConsentInput",
    "ConsentStatus",
    "Conversation",
    "EntryPointVisit",
    "MarketingInput",
    "MarketingStatus",
    "OwnedFact",
    "seen_after",
]


# --- consent --------------------------------------------------------------------------------


class ConsentStatus(enum.Enum):
    """Whether the user agreed to hear from the business, as far as the business knows."""

    UNKNOWN = "unknown"
    """No opt-in or opt-out recorded."""
    OPTED_IN = "opted_in"
    """The user agreed to receive messages from the business."""
    OPTED_OUT = "opted_out"
    """The user stopped everything the business would start; only a later opt-in lifts it."""


class ConsentInput(enum.Enum):
    """The inputs of the consent machine."""

    OPT_IN = "opt_in"
    """`OptInRecorded`."""
    OPT_OUT = "opt_out"
    """`OptOutReceived(scope=ALL)`."""


class MarketingStatus(enum.Enum):
    """Whether the user receives marketing messages from the business number."""

    RECEIVING = "receiving"
    """No marketing stop in effect."""
    STOPPED = "stopped"
    """The user stopped marketing messages ("Stop promotions", Meta 131050, or a host keyword);
    utility, authentication and replies still go."""


class MarketingInput(enum.Enum):
    """The inputs of the marketing preference machine."""

    STOP = "stop"
    """`OptOutReceived(scope=MARKETING)`, or Meta error 131050."""
    RESUME = "resume"
    """`MarketingResumed`."""


CONSENT_TRANSITIONS: Final[dict[tuple[ConsentStatus, ConsentInput], ConsentStatus]] = {
    # An explicit opt-in lifts anything before it; a stop sticks until a later opt-in.
    (ConsentStatus.UNKNOWN, ConsentInput.OPT_IN): ConsentStatus.OPTED_IN,
    (ConsentStatus.OPTED_IN, ConsentInput.OPT_IN): ConsentStatus.OPTED_IN,
    (ConsentStatus.OPTED_OUT, ConsentInput.OPT_IN): ConsentStatus.OPTED_IN,
    (ConsentStatus.UNKNOWN, ConsentInput.OPT_OUT): ConsentStatus.OPTED_OUT,
    (ConsentStatus.OPTED_IN, ConsentInput.OPT_OUT): ConsentStatus.OPTED_OUT,
    (ConsentStatus.OPTED_OUT, ConsentInput.OPT_OUT): ConsentStatus.OPTED_OUT,
}
"""`(status, input) -> status`: the consent machine, for inputs applied in time order."""

MARKETING_TRANSITIONS: Final[dict[tuple[MarketingStatus, MarketingInput], MarketingStatus]] = {
    # The platform's marketing preference is the user's alone: a business opt-in does not
    # lift it, only "Resume promotions" does (Meta "Marketing templates", user preferences).
    (MarketingStatus.RECEIVING, MarketingInput.STOP): MarketingStatus.STOPPED,
    (MarketingStatus.STOPPED, MarketingInput.STOP): MarketingStatus.STOPPED,
    (MarketingStatus.RECEIVING, MarketingInput.RESUME): MarketingStatus.RECEIVING,
    (MarketingStatus.STOPPED, MarketingInput.RESUME): MarketingStatus.RECEIVING,
}
"""`(status, input) -> status`: the marketing preference machine, for inputs in time order."""


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


_StateT = TypeVar("_StateT", bound=enum.Enum)
_InputT = TypeVar("_InputT", bound=enum.Enum)


def _fold(
    table: Mapping[tuple[_StateT, _InputT], _StateT],
    start: _StateT,
    first: tuple[datetime | None, _InputT],
    second: tuple[datetime | None, _InputT],
) -> tuple[_StateT, datetime | None]:
    """Fold `table` over the latest input of each of two kinds, in time order.

    At equal instants `second` is applied last (callers pass the restrictive kind second, so
    that a stop wins a tie). Returns the final state and the instant of the input that last
    changed it.
    """
    (a, kind_a), (b, kind_b) = first, second
    steps: tuple[tuple[datetime, _InputT], ...]
    if a is None:
        steps = () if b is None else ((b, kind_b),)
    elif b is None:
        steps = ((a, kind_a),)
    elif a > b:
        steps = ((b, kind_b), (a, kind_a))
    else:
        steps = ((a, kind_a), (b, kind_b))
    state, since = start, None
    for at, kind in steps:
        new = table[state, kind]
        if new is not state:
            state, since = new, at
    return state, since


def _opted_in_at(value: object) -> datetime | None:
    return optional_instant("opted_in_at", value)


def _opted_out_at(value: object) -> datetime | None:
    return optional_instant("opted_out_at", value)


def _marketing_opted_out_at(value: object) -> datetime | None:
    return optional_instant("marketing_opted_out_at", value)


def _marketing_resumed_at(value: object) -> datetime | None:
    return optional_instant("marketing_resumed_at", value)


@attrs.frozen(kw_only=True)
class Consent:
    """The user's consent, kept as the latest instant of each kind of consent input.

    Two machines read these instants: `CONSENT_TRANSITIONS` (opted in / opted out) and
    `MARKETING_TRANSITIONS` (receiving / stopped marketing). Each folds its table over the
    latest input of each kind in time order; at equal instants the stop wins.
    """

    opted_in_at: datetime | None = attrs.field(default=None, converter=_opted_in_at)
    """Latest explicit opt-in."""
    opt_in_method: str = ""
    """How that opt-in was given (evidence for an audit)."""
    opted_out_at: datetime | None = attrs.field(default=None, converter=_opted_out_at)
    """Latest full opt-out ("STOP")."""
    opt_out_method: str = ""
    """How that opt-out was given."""
    marketing_opted_out_at: datetime | None = attrs.field(
        default=None, converter=_marketing_opted_out_at
    )
    """Latest marketing stop (platform "Stop promotions", 131050, or a host keyword)."""
    marketing_resumed_at: datetime | None = attrs.field(
        default=None, converter=_marketing_resumed_at
    )
    """Latest "Resume promotions"."""
    status: ConsentStatus = attrs.field(init=False, eq=False, repr=False)
    """Opted in, opted out, or unknown."""
    since: datetime | None = attrs.field(init=False, eq=False, repr=False)
    """Instant of the input that decided `status` (`None` while `UNKNOWN`)."""
    marketing: MarketingStatus = attrs.field(init=False, eq=False, repr=False)
    """Whether marketing messages are stopped."""
    marketing_since: datetime | None = attrs.field(init=False, eq=False, repr=False)
    """Instant of the input that decided `marketing` (`None` if never stopped)."""

    def __attrs_post_init__(self) -> None:
        """Derive the two statuses by folding the tables over the latest inputs."""
        status, since = _fold(
            CONSENT_TRANSITIONS,
            ConsentStatus.UNKNOWN,
            (self.opted_in_at, ConsentInput.OPT_IN),
            (self.opted_out_at, ConsentInput.OPT_OUT),
        )
        marketing, marketing_since = _fold(
            MARKETING_TRANSITIONS,
            MarketingStatus.RECEIVING,
            (self.marketing_resumed_at, MarketingInput.RESUME),
            (self.marketing_opted_out_at, MarketingInput.STOP),
        )
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "marketing", marketing)
        object.__setattr__(self, "marketing_since", marketing_since)


# --- call permission ------------------------------------------------------------------------


class CallPermissionStatus(enum.Enum):
    """Whether the business may call the user."""

    NONE = "none"
    """The user never answered a call permission request."""
    GRANTED = "granted"
    """The user allowed calls (temporarily or for good; see `CallPermission.expires_at`)."""
    REJECTED = "rejected"
    """The user declined the latest request."""
    REVOKED = "revoked"
    """The user withdrew a permission granted earlier."""


class CallPermissionInput(enum.Enum):
    """The inputs of the call permission machine."""

    GRANT = "grant"
    """`CallPermissionGranted`."""
    REJECT = "reject"
    """`CallPermissionRejected`."""
    REVOKE = "revoke"
    """`CallPermissionRevoked`."""


_CS = CallPermissionStatus
_CI = CallPermissionInput

CALL_PERMISSION_TRANSITIONS: Final[
    dict[tuple[CallPermissionStatus, CallPermissionInput], CallPermissionStatus]
] = {
    # Only the user grants or withdraws a permission, and the latest answer is the one that
    # counts (Meta "Obtain user call permissions").
    **{(status, _CI.GRANT): _CS.GRANTED for status in _CS},
    **{(status, _CI.REJECT): _CS.REJECTED for status in _CS},
    **{(status, _CI.REVOKE): _CS.REVOKED for status in _CS},
}
"""`(status, input) -> status`: the call permission machine, for inputs in time order."""

_CALL_PRECEDENCE: Final = {_CI.GRANT: 0, _CI.REJECT: 1, _CI.REVOKE: 2}


def _status_member(value: object) -> CallPermissionStatus:
    return member("status", CallPermissionStatus, value)


@attrs.frozen(kw_only=True)
class CallPermission:
    """The user's latest answer about business-initiated calls."""

    status: CallPermissionStatus = attrs.field(
        default=CallPermissionStatus.NONE,
        converter=_status_member,
    )
    """Result of the latest answer."""
    since: datetime | None = None
    """When the user gave that answer."""
    expires_at: datetime | None = None
    """End of a temporary grant; `None` for a permanent one or when not granted."""

    def after(
        self, kind: CallPermissionInput, at: datetime, expires_at: datetime | None
    ) -> CallPermission:
        """Return the permission after the user's answer `kind` given at `at`.

        The latest answer counts. At equal instants the more restrictive one wins (a
        withdrawal over a rejection over a grant; the sooner-expiring of two grants), so
        that the result does not depend on the order answers are applied in.
        """
        current = _CALL_BY_STATUS.get(self.status)
        if self.since is not None and current is not None:
            new_key = (at, _CALL_PRECEDENCE[kind], _expiry_rank(expires_at))
            old_key = (self.since, _CALL_PRECEDENCE[current], _expiry_rank(self.expires_at))
            if new_key <= old_key:
                return self
        status = CALL_PERMISSION_TRANSITIONS[self.status, kind]
        return CallPermission(
            status=status,
            since=at,
            expires_at=expires_at if status is CallPermissionStatus.GRANTED else None,
        )


def _expiry_rank(expires_at: datetime | None) -> tuple[int, float]:
    """Rank grants by restrictiveness: permanent lowest, then later expiries below earlier."""
    return (0, 0.0) if expires_at is None else (1, -expires_at.timestamp())


_UNKNOWN: Final = object()
"""`Conversation._latest` before a question computed it."""
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
"""An instant before every instant a fact can carry."""

_CALL_BY_STATUS: Final = {_CS.GRANTED: _CI.GRANT, _CS.REJECTED: _CI.REJECT, _CS.REVOKED: _CI.REVOKE}


# --- free entry point -----------------------------------------------------------------------


def _entry_point_member(value: object) -> EntryPoint:
    return member("entry_point", EntryPoint, value)


def _replied_at(value: object) -> datetime | None:
    return optional_instant("replied_at", value)


@attrs.frozen(kw_only=True)
class EntryPointVisit:
    """A user arriving from an ad or a Page button, and the business's first reply after it."""

    referred_at: datetime
    """When the user's message with referral data was sent."""
    entry_point: EntryPoint = attrs.field(converter=_entry_point_member)
    """Where the user came from."""
    replied_at: datetime | None = attrs.field(default=None, converter=_replied_at)
    """The business's first message after `referred_at`, if any."""


# --- call limits ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True, order=True)
class CallMark:
    """One call, or one call permission request: when, and the platform's id."""

    at: datetime
    """When it happened."""
    id: str = ""
    """The platform's call or message id; empty when not known."""


_KEPT_REQUESTS: Final = 16
"""Call permission requests kept: far more than the 2 a week any rule set allows."""
_KEPT_CALLS: Final = 128
"""Connected business-initiated calls kept: more than the 100 a day Meta allows since 2026."""
_KEPT_UNANSWERED: Final = 16
"""Unanswered calls kept: far more than the 4 in a row that revoke a permission."""
KEPT_CALL_MARKS: Final = {
    "permission_requests": _KEPT_REQUESTS,
    "connected_calls": _KEPT_CALLS,
    "unanswered_calls": _KEPT_UNANSWERED,
}
"""How many marks of each kind a `CallLog` keeps (the latest ones)."""


@attrs.frozen(kw_only=True)
class CallLog:
    """What the calling limits count between one business number and one user.

    Each tuple is a set of marks, oldest first, of bounded length (the latest ones are kept);
    a rule set the host overrides to allow more than is kept counts only what is kept.
    """

    permission_requests: tuple[CallMark, ...] = ()
    """The latest call permission requests sent (at most 16)."""
    connected_calls: tuple[CallMark, ...] = ()
    """The latest connected business-initiated calls (at most 128)."""
    last_connected_at: datetime | None = None
    """The latest connected call in either direction: requests and unanswered calls before it
    no longer count."""
    unanswered_calls: tuple[CallMark, ...] = ()
    """The latest business-initiated calls that were not answered (at most 16)."""

    @property
    def latest_at(self) -> datetime | None:
        """The latest instant the log holds."""
        found = [
            marks[-1].at
            for marks in (self.permission_requests, self.connected_calls, self.unanswered_calls)
            if marks
        ]
        if self.last_connected_at is not None:
            found.append(self.last_connected_at)
        return max(found) if found else None

    def request_limit_clears_at(self, rules: Rules, now: datetime) -> datetime | None:
        """Return when a new call permission request becomes allowed, if the limits forbid it now.

        Requests at or before the latest connected call do not count (the limits reset).
        """
        reset = self.last_connected_at
        counted = [m.at for m in self.permission_requests if reset is None or m.at > reset]
        day = _clears_at(counted, now, _DAY, rules.call_permission_requests_per_day.value)
        week = _clears_at(counted, now, _WEEK, rules.call_permission_requests_per_week.value)
        if day is None:
            return week
        return day if week is None or day > week else week

    def call_limit_clears_at(self, rules: Rules, now: datetime) -> datetime | None:
        """Return when another business-initiated call may connect, if the cap forbids it now."""
        calls = [m.at for m in self.connected_calls]
        return _clears_at(calls, now, _DAY, rules.business_calls_connected_per_day.value)

    def unanswered_since(self, since: datetime | None) -> tuple[CallMark, ...]:
        """The unanswered calls after `since` and after the latest connected call."""
        reset = self.last_connected_at
        if since is not None and (reset is None or since > reset):
            reset = since
        return tuple(m for m in self.unanswered_calls if reset is None or m.at > reset)


_DAY: Final = timedelta(hours=24)
_WEEK: Final = timedelta(days=7)


def _clears_at(
    instants: list[datetime], now: datetime, period: timedelta, allowed: int
) -> datetime | None:
    """When fewer than `allowed` of `instants` lie in the moving `period` before `now` again.

    `None` when fewer already do.
    """
    recent = sorted(t for t in instants if now - period < t <= now)
    if len(recent) < allowed:
        return None
    return recent[len(recent) - allowed] + period


def _marks(marks: tuple[CallMark, ...], new: CallMark, kept: int) -> tuple[CallMark, ...]:
    """`marks` with `new` added (once), the latest `kept` of them, oldest first."""
    if new in marks:
        return marks
    return tuple(sorted((*marks, new))[-kept:])


# --- the conversation -----------------------------------------------------------------------


class OwnedFact(Protocol):
    """A fact with the conversation it belongs to, as `wa_outbound.webhooks` routes it.

    Any object with these three attributes is one (the webhooks' `ConversationFactFor`, or a
    host's own wrapper); `Conversation.apply` applies the fact when the owner is its own.
    """

    @property
    def business(self) -> PhoneNumberId:
        """The business phone number the fact is about."""

    @property
    def recipient(self) -> Recipient:
        """The user the fact is about."""

    @property
    def fact(self) -> Fact:
        """What happened."""


def _recipient(_instance: object, _attribute: object, value: Recipient) -> None:
    if not isinstance(value, (WaId, BusinessScopedUserId)):
        raise InvalidValueError("recipient", value, "expected a WaId or BusinessScopedUserId")


def _business(_instance: object, _attribute: object, value: PhoneNumberId) -> None:
    if not isinstance(value, PhoneNumberId):
        raise InvalidValueError("business", value, "expected a PhoneNumberId")


def _last_inbound_message_at(value: object) -> datetime | None:
    return optional_instant("last_inbound_message_at", value)


def _last_inbound_call_at(value: object) -> datetime | None:
    return optional_instant("last_inbound_call_at", value)


def _window_closed_at(value: object) -> datetime | None:
    return optional_instant("window_closed_at", value)


def _last_outbound_at(value: object) -> datetime | None:
    return optional_instant("last_outbound_at", value)


@attrs.frozen(kw_only=True)
class Conversation(Shown):
    """Everything the rules need to know about one (business number, recipient) pair.

    Start with `Conversation(business=..., recipient=...)`, then `apply` facts as they happen.
    Ask `can_send(conversation, kind, now=...)` before every send.
    """

    business: PhoneNumberId = attrs.field(validator=_business)
    """The business phone number that sends."""
    recipient: Recipient = attrs.field(validator=_recipient)
    """The WhatsApp user who receives."""
    last_inbound_message_at: datetime | None = attrs.field(
        default=None, converter=_last_inbound_message_at
    )
    """The user's latest message."""
    last_inbound_call_at: datetime | None = attrs.field(
        default=None, converter=_last_inbound_call_at
    )
    """The user's latest call."""
    window_closed_at: datetime | None = attrs.field(default=None, converter=_window_closed_at)
    """Latest instant at which the platform rejected a send as outside the window."""
    last_outbound_at: datetime | None = attrs.field(default=None, converter=_last_outbound_at)
    """The business's latest message."""
    entry_points: tuple[EntryPointVisit, ...] = ()
    """The latest (at most two) ad or Page-button arrivals, oldest first."""
    consent: Consent = Consent()
    """What the user agreed to."""
    call_permission: CallPermission = CallPermission()
    """Whether the business may call the user."""
    calls: CallLog = CallLog()
    """What the calling limits count: permission requests, connected and unanswered calls."""
    _latest: datetime | object | None = attrs.field(
        init=False, default=_UNKNOWN, eq=False, repr=False, alias="_latest"
    )
    """`latest_at`, once a question has computed it (a value is frozen: it cannot change)."""

    def apply(self, fact: Fact | OwnedFact) -> Conversation:
        """Return the conversation after `fact`; applying the same fact twice changes nothing.

        `fact` may come with the conversation it belongs to (`OwnedFact`, such as the webhooks'
        `ConversationFactFor`): it is applied when it names this conversation's business
        number and recipient.

        Raises:
            InvalidTransition: `fact` is not a fact this machine knows, or it names another
                business number or recipient (the error names both owners).
        """
        try:
            step = _APPLY[type(fact)]
        except KeyError:
            return _apply_owned(self, fact)
        return step(self, fact)

    def apply_all(self, facts: Iterable[Fact | OwnedFact]) -> Conversation:
        """Return the conversation after every fact of `facts`, in the order given."""
        conversation = self
        for fact in facts:
            conversation = conversation.apply(fact)
        return conversation

    @property
    def latest_at(self) -> datetime | None:
        """The latest instant of any fact applied (`None` before the first).

        Derived from the instants the conversation keeps (a permission's expiry is not one: it
        was announced, not seen). Questions refuse a `now` earlier than it by more than the
        rules' `clock_skew_tolerance`, and answer as at it within that tolerance.
        """
        consent = self.consent
        latest = max(
            self.last_inbound_message_at or _EARLIEST,
            self.last_inbound_call_at or _EARLIEST,
            self.window_closed_at or _EARLIEST,
            self.last_outbound_at or _EARLIEST,
            consent.opted_in_at or _EARLIEST,
            consent.opted_out_at or _EARLIEST,
            consent.marketing_opted_out_at or _EARLIEST,
            consent.marketing_resumed_at or _EARLIEST,
            self.call_permission.since or _EARLIEST,
            self.calls.latest_at or _EARLIEST,
            *(v.referred_at for v in self.entry_points),
            *(v.replied_at or _EARLIEST for v in self.entry_points),
        )
        return None if latest is _EARLIEST else latest

    def _report(self) -> Report:
        """What every rendering shows: the window, the free period, consent, calls.

        The window's end is read under the built-in rules in force at the latest fact.
        """
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use
        from wa_outbound._rules import rules_at  # noqa: PLC0415 - _rules does not import us back

        latest, consent, call = self.latest_at, self.consent, self.call_permission
        rows = [("business number", str(self.business)), ("recipient", str(self.recipient))]
        if latest is not None:
            try:
                rules = rules_at(latest)
            except RuleDataError:  # before the oldest rule set: no window to read
                rules = None
            if rules is not None:
                contact, end = self.window(rules)
                rows.append(("last contact", plain(contact)))
                rows.append(("window open until", plain(end)))
                free = self.free_entry_point_at(rules, latest)
                if free is not None:
                    rows.append(
                        ("free entry point", ("until " if free[0] else "from ") + plain(free[1]))
                    )
        rows.append(("consent", _since(plain(consent.status), consent.since)))
        if consent.opt_in_method:
            rows.append(("opt-in method", consent.opt_in_method))
        rows.append(("marketing", _since(plain(consent.marketing), consent.marketing_since)))
        permission = _since(plain(call.status), call.since)
        if call.expires_at is not None:
            permission += f", until {plain(call.expires_at)}"
        rows.append(("call permission", permission))
        rows.append(("last business message", plain(self.last_outbound_at)))
        return Report(
            title="Conversation",
            summary=(f"{self.business} → {self.recipient}; latest fact {plain(latest)}",),
            tables=(Table(title="Conversation", rows=tuple(rows)),),
        )

    def window(self, rules: Rules) -> tuple[datetime | None, datetime | None]:
        """Return the user's latest contact and the end of the window it opened, under `rules`.

        The contact is the latest message, or the latest call where the rules say calls
        open the window. The end is `None` if there was no contact, or if the platform
        rejected a send as outside the window at or after it.
        """
        last = self.last_inbound_message_at
        call = self.last_inbound_call_at
        if (
            call is not None
            and rules.service_window_opened_by_calls.value
            and (last is None or call > last)
        ):
            last = call
        if last is None:
            return None, None
        closed = self.window_closed_at
        if closed is not None and closed >= last:
            return last, None
        return last, last + rules.service_window.value

    def last_inbound_at(self, rules: Rules) -> datetime | None:
        """Return the latest user contact that opens the window under `rules`."""
        return self.window(rules)[0]

    def service_window_expires_at(self, rules: Rules) -> datetime | None:
        """Return when the customer service window closes (or closed); `None` if it is shut.

        `None` means the user never wrote (or called, where calls count), or the platform
        rejected a send as outside the window after the user's latest contact.
        """
        return self.window(rules)[1]

    def free_entry_point_window(self, rules: Rules) -> tuple[datetime, datetime] | None:
        """Return `(start, end)` of the latest free entry point window under `rules`, if any.

        A new ad click while a window is open does not start another one (Meta's
        conversation-based pricing: "no new conversations will be opened until the free entry
        point conversation expires"; not restated for per-message pricing).
        """
        # Seen from before any instant, the latest window is not open yet and says its start.
        ahead = self.free_entry_point_at(rules, _EARLIEST)
        if ahead is None:
            return None
        start = ahead[1]
        return start, start + rules.free_entry_point_window.value

    def free_entry_point_at(self, rules: Rules, now: datetime) -> tuple[bool, datetime] | None:
        """Return whether `now` lies in the latest free entry point window, and when that changes.

        `(True, end)` inside the window (`free_entry_point_window`), `(False, start)` before it
        opens (at a reply recorded after `now`), `None` if there is none or it is over. `can_send`
        and the cost estimate read it for every send, so it is written for speed.
        """
        start = end = None
        within = rules.free_entry_point_reply_within.value
        for visit in self.entry_points:
            replied = visit.replied_at
            if (
                replied is not None
                and (end is None or replied >= end)
                and replied - visit.referred_at <= within
            ):
                start, end = replied, replied + rules.free_entry_point_window.value
        if start is None or end is None:
            return None
        if now < start:
            return False, start
        if now < end:
            return True, end
        return None

    def call_permission_expires_at(self, rules: Rules) -> datetime | None:
        """Return when a granted call permission ends; `None` if permanent or not granted.

        A grant without an expiry is permanent if the rules in force when it was given allowed
        permanent permissions, else it lasts `call_permission_temporary_validity`. The host's
        `rules` win wherever they reach back to the grant: a rule the host set itself
        (`attrs.evolve(rules, permanent_call_permission=False)`: no `effective_from`) always
        applies, and so does a dated rule when it, or the host's rule set (`rules.effective_from`),
        took effect at or before the grant. Only where neither did is the built-in rule in force
        at the grant read instead; before the oldest built-in rule set, a grant without an expiry
        is temporary.
        """
        permission = self.call_permission
        if permission.status is not CallPermissionStatus.GRANTED:
            return None
        if permission.expires_at is not None:
            return permission.expires_at
        since = permission.since
        if since is None:  # pragma: no cover - a granted permission always has its instant
            return None
        permanent = _rule_at_grant(rules, "permanent_call_permission", since)
        if permanent is not None and permanent.value:
            return None
        validity = _rule_at_grant(rules, "call_permission_temporary_validity", since)
        if validity is None:
            validity = rules.call_permission_temporary_validity
        return since + validity.value


def _rule_at_grant(rules: Rules, name: str, granted: datetime) -> Rule[Any] | None:
    """Return the rule `name` in force at `granted`: the host's if it was, else the built-in one.

    `None` if the host's was not and no built-in rule set is that old.
    """
    rule: Rule[Any] = getattr(rules, name)
    since = rule.effective_from
    if since is None or since <= granted or rules.effective_from <= granted:
        return rule
    from wa_outbound._rules import rules_at  # noqa: PLC0415 - _rules does not import us back

    try:
        earlier = rules_at(granted)
    except RuleDataError:
        return None
    return getattr(earlier, name)  # type: ignore[no-any-return]


def _since(text: str, since: datetime | None) -> str:
    from wa_outbound._render import plain  # noqa: PLC0415 - on use

    return text if since is None else f"{text} (since {plain(since)})"


def seen_after(c: Conversation, now: datetime) -> bool:
    """Whether `c` holds an instant after `now` (`latest_at > now`).

    `can_send` asks this before every send. The first question computes `latest_at` and keeps
    it on the (frozen) value, so asking again about the same conversation costs one look-up.
    """
    latest = c._latest  # noqa: SLF001 - this module's own cache
    if latest is _UNKNOWN:
        latest = c.latest_at
        object.__setattr__(c, "_latest", latest)
    return latest is not None and latest > now  # type: ignore[operator]


def _apply_owned(c: Conversation, item: object) -> Conversation:
    """Apply the fact of an `OwnedFact` that names `c`; refuse anything else."""
    business = getattr(item, "business", None)
    recipient = getattr(item, "recipient", None)
    fact = getattr(item, "fact", None)
    step = _APPLY.get(type(fact))
    if step is None or business is None or recipient is None:
        raise InvalidTransition(c, item, "not a conversation fact") from None
    if business != c.business or recipient != c.recipient:
        raise InvalidTransition(
            c,
            item,
            f"the fact is for business={business!r}, recipient={recipient!r}; this"
            f" conversation is business={c.business!r}, recipient={c.recipient!r}",
        ) from None
    return step(c, fact)


# --- applying facts -------------------------------------------------------------------------


def _replace(c: Conversation, **changes: Any) -> Conversation:  # noqa: ANN401
    """Return `c` with `changes`: `attrs.evolve` without its per-call introspection.

    `apply` runs for every webhook, and `evolve` costs about twice a plain constructor call.
    """
    get = changes.get
    return Conversation(
        business=c.business,
        recipient=c.recipient,
        last_inbound_message_at=get("last_inbound_message_at", c.last_inbound_message_at),
        last_inbound_call_at=get("last_inbound_call_at", c.last_inbound_call_at),
        window_closed_at=get("window_closed_at", c.window_closed_at),
        last_outbound_at=get("last_outbound_at", c.last_outbound_at),
        entry_points=get("entry_points", c.entry_points),
        consent=get("consent", c.consent),
        call_permission=get("call_permission", c.call_permission),
        calls=get("calls", c.calls),
    )


def _inbound_message(c: Conversation, fact: InboundMessageReceived) -> Conversation:
    last = c.last_inbound_message_at
    if last is not None and last >= fact.at:
        return c
    return _replace(c, last_inbound_message_at=fact.at)


def _inbound_call(c: Conversation, fact: InboundCallReceived) -> Conversation:
    last = c.last_inbound_call_at
    if last is not None and last >= fact.at:
        return c
    return _replace(c, last_inbound_call_at=fact.at)


def _referral(c: Conversation, fact: ReferralReceived) -> Conversation:
    c = _inbound_message(c, InboundMessageReceived(at=fact.at))
    visits = c.entry_points
    if any(v.referred_at == fact.at for v in visits):
        return c
    # The business's first message after this referral is known exactly only when an
    # earlier visit's first reply falls after it; otherwise say "no reply yet" rather than
    # guess, so that a late, out-of-order referral never claims a free period.
    replies = [
        v.replied_at
        for v in visits
        if v.referred_at <= fact.at and v.replied_at is not None and v.replied_at >= fact.at
    ]
    reply = min(replies) if replies else None
    new = EntryPointVisit(referred_at=fact.at, entry_point=fact.entry_point, replied_at=reply)
    kept = sorted((*visits, new), key=lambda v: v.referred_at)[-2:]
    return _replace(c, entry_points=tuple(kept))


def _outbound(c: Conversation, fact: OutboundMessageSent) -> Conversation:
    at = fact.at
    visits = tuple(
        attrs.evolve(v, replied_at=at)
        if v.referred_at <= at and (v.replied_at is None or at < v.replied_at)
        else v
        for v in c.entry_points
    )
    last = _later(c.last_outbound_at, at)
    if last == c.last_outbound_at and visits == c.entry_points:
        return c
    return _replace(c, last_outbound_at=last, entry_points=visits)


def _consent(c: Conversation, **changes: Any) -> Conversation:  # noqa: ANN401
    old, get = c.consent, changes.get
    consent = Consent(
        opted_in_at=get("opted_in_at", old.opted_in_at),
        opt_in_method=get("opt_in_method", old.opt_in_method),
        opted_out_at=get("opted_out_at", old.opted_out_at),
        opt_out_method=get("opt_out_method", old.opt_out_method),
        marketing_opted_out_at=get("marketing_opted_out_at", old.marketing_opted_out_at),
        marketing_resumed_at=get("marketing_resumed_at", old.marketing_resumed_at),
    )
    if consent == old:
        return c
    return _replace(c, consent=consent)


def _opt_in(c: Conversation, fact: OptInRecorded) -> Conversation:
    # The latest opt-in counts; at equal instants the method decides, so order never does.
    current = c.consent.opted_in_at
    if current is not None and (current, c.consent.opt_in_method) >= (fact.at, fact.method):
        return c
    return _consent(c, opted_in_at=fact.at, opt_in_method=fact.method)


def _opt_out(c: Conversation, fact: OptOutReceived) -> Conversation:
    if fact.scope is OptOutScope.MARKETING:
        return _marketing_opt_out(c, fact.at)
    current = c.consent.opted_out_at
    if current is not None and (current, c.consent.opt_out_method) >= (fact.at, fact.method):
        return c
    return _consent(c, opted_out_at=fact.at, opt_out_method=fact.method)


def _marketing_opt_out(c: Conversation, at: datetime) -> Conversation:
    return _consent(c, marketing_opted_out_at=_later(c.consent.marketing_opted_out_at, at))


def _marketing_resumed(c: Conversation, fact: MarketingResumed) -> Conversation:
    return _consent(c, marketing_resumed_at=_later(c.consent.marketing_resumed_at, fact.at))


def _call_permission(
    kind: CallPermissionInput,
) -> Callable[
    [Conversation, CallPermissionGranted | CallPermissionRejected | CallPermissionRevoked],
    Conversation,
]:
    def step(
        c: Conversation,
        fact: CallPermissionGranted | CallPermissionRejected | CallPermissionRevoked,
    ) -> Conversation:
        expires_at = fact.expires_at if isinstance(fact, CallPermissionGranted) else None
        permission = c.call_permission.after(kind, fact.at, expires_at)
        if permission == c.call_permission:
            return c
        return _replace(c, call_permission=permission)

    return step


def _call_log(c: Conversation, **changes: Any) -> Conversation:  # noqa: ANN401
    log = attrs.evolve(c.calls, **changes)
    return c if log == c.calls else _replace(c, calls=log)


def _permission_requested(c: Conversation, fact: CallPermissionRequested) -> Conversation:
    mark = CallMark(at=fact.at, id=fact.message_id)
    return _call_log(
        c, permission_requests=_marks(c.calls.permission_requests, mark, _KEPT_REQUESTS)
    )


def _call_connected(c: Conversation, fact: CallConnected) -> Conversation:
    log = c.calls
    changes: dict[str, Any] = {"last_connected_at": _later(log.last_connected_at, fact.at)}
    if fact.business_initiated:
        known = [m for m in log.connected_calls if fact.call_id and m.id == fact.call_id]
        if not known or fact.at < known[0].at:  # the same call twice: its earliest instant
            others = tuple(m for m in log.connected_calls if m not in known)
            mark = CallMark(at=fact.at, id=fact.call_id)
            changes["connected_calls"] = _marks(others, mark, _KEPT_CALLS)
    if fact.call_id and fact.business_initiated:
        # A business call that connected was answered, whatever else was reported (a user's
        # call is not a business call: its id never marks one unanswered, in either order).
        changes["unanswered_calls"] = tuple(m for m in log.unanswered_calls if m.id != fact.call_id)
    return _call_log(c, **changes)


def _call_unanswered(c: Conversation, fact: BusinessCallUnanswered) -> Conversation:
    log = c.calls
    if fact.call_id and any(m.id == fact.call_id for m in log.connected_calls):
        return c
    # REJECTED, then a terminate of the same call: one unanswered call, at its earliest report.
    same = [m for m in log.unanswered_calls if fact.call_id and m.id == fact.call_id]
    if same and same[0].at <= fact.at:
        return c
    others = tuple(m for m in log.unanswered_calls if m not in same)
    mark = CallMark(at=fact.at, id=fact.call_id)
    return _call_log(c, unanswered_calls=_marks(others, mark, _KEPT_UNANSWERED))


def _send_rejected(c: Conversation, fact: SendRejected) -> Conversation:
    meaning = AUTHORITATIVE_CODES.get((fact.provider, fact.code))
    if meaning is CodeMeaning.WINDOW_CLOSED:
        closed = _later(c.window_closed_at, fact.at)
        return c if closed == c.window_closed_at else _replace(c, window_closed_at=closed)
    if meaning is CodeMeaning.MARKETING_OPTED_OUT:
        return _marketing_opt_out(c, fact.at)
    return c


_APPLY: Final[dict[type, Callable[[Conversation, Any], Conversation]]] = {
    InboundMessageReceived: _inbound_message,
    InboundCallReceived: _inbound_call,
    ReferralReceived: _referral,
    OutboundMessageSent: _outbound,
    OptInRecorded: _opt_in,
    OptOutReceived: _opt_out,
    MarketingResumed: _marketing_resumed,
    CallPermissionGranted: _call_permission(CallPermissionInput.GRANT),
    CallPermissionRejected: _call_permission(CallPermissionInput.REJECT),
    CallPermissionRevoked: _call_permission(CallPermissionInput.REVOKE),
    SendRejected: _send_rejected,
    CallPermissionRequested: _permission_requested,
    CallConnected: _call_connected,
    BusinessCallUnanswered: _call_unanswered,
}
"""Which step each kind of fact takes."""
