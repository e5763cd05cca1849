"""The question asked before every send: may this business send this kind of message now?

`can_send` reads a `Conversation` under the `Rules` in force and answers with a
`SendDecision`: allowed or not, every reason that blocks it, what to do instead, whether the
message falls in a free period, and when the answer will change if nothing else happens. It
never raises for a valid conversation; only a naive `now` (or a wrong argument type) raises,
and a `now` earlier than the conversation's latest fact by more than the rules' clock skew
tolerance (`ClockSkewError`): such an answer would come from the future. Within the tolerance
the answer is the one at the latest fact.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._conversation import (
    CallPermissionStatus,
    ConsentStatus,
    Conversation,
    MarketingStatus,
    seen_after,
)
from wa_outbound._errors import InvalidValueError, expect, member
from wa_outbound._ids import BusinessScopedUserId
from wa_outbound._kinds import SendKind
from wa_outbound._rules import Rules, answer_instant, rules_at
from wa_outbound._shown import Shown
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from wa_outbound._account import MessagingLimit
    from wa_outbound._cost import CostEstimate  # noqa: TC004 - attrs never resolves it
    from wa_outbound._ledger import LimitLedger
    from wa_outbound._pacing import Pacer
    from wa_outbound._render import Report

__all__ = [
    "Alternative",
    "BlockReason",
    "Endpoint",
    "Reason",
    "Risk",
    "SendDecision",
    "can_send",
    "decision_at",
]


class Reason(enum.Enum):
    """Why a send is blocked."""

    WINDOW_CLOSED = "window_closed"
    """Free-form needs an open customer service window, and the user's last message is too old."""
    WINDOW_NEVER_OPENED = "window_never_opened"
    """Free-form needs an open customer service window, and the user never wrote."""
    WINDOW_CLOSED_BY_PLATFORM = "window_closed_by_platform"
    """The platform rejected a send as outside the window (131047 / 63016) after the user's
    last message."""
    NO_OPT_IN = "no_opt_in"
    """A template needs the user's recorded opt-in."""
    OPTED_OUT = "opted_out"
    """The user stopped all messages from the business."""
    MARKETING_OPTED_OUT = "marketing_opted_out"
    """The user stopped marketing messages."""
    CALLING_UNAVAILABLE = "calling_unavailable"
    """The rules in force offer no business-initiated calls."""
    NO_CALL_PERMISSION = "no_call_permission"
    """The user never granted call permission."""
    CALL_PERMISSION_EXPIRED = "call_permission_expired"
    """The user's temporary call permission has run out."""
    CALL_PERMISSION_DECLINED = "call_permission_declined"
    """The user declined or revoked call permission."""
    CALLS_UNANSWERED = "calls_unanswered"
    """The platform revoked the call permission after the business's calls went unanswered
    that many times in a row; `at` is the last of them."""
    CALL_LIMIT_REACHED = "call_limit_reached"
    """The business already connected as many calls to this user in the moving 24 hours as the
    rules allow; `at` is when the next one may connect."""
    CALL_PERMISSION_REQUEST_LIMIT = "call_permission_request_limit"
    """The business already sent this user as many call permission requests as the rules allow
    in 24 hours or 7 days (since their last connected call); `at` is when another may go."""
    CALLING_NOT_ELIGIBLE = "calling_not_eligible"
    """The business's messaging limit is below what the Calling API needs (`decide` only)."""
    GROUPS_UNAVAILABLE = "groups_unavailable"
    """The rules in force offer no Groups API: a business cannot send to a group
    (`decide_group` only)."""
    GROUP_TOO_LARGE = "group_too_large"
    """The group has more participants than the rules allow (`decide_group` only)."""
    GROUP_KIND_UNSUPPORTED = "group_kind_unsupported"
    """Groups take text, media and marketing or utility templates only: no calls,
    authentication templates or interactive messages (`decide_group` only)."""
    CALLING_UNAVAILABLE_IN_REGION = "calling_unavailable_in_region"
    """Business numbers of this region may not place business-initiated calls (`decide`
    only)."""
    MESSAGING_LIMIT_REACHED = "messaging_limit_reached"
    """The send would reach a new user, and the messaging limit of the moving 24 hours is used
    up; `at` is when the next slot frees."""
    PACED = "paced"
    """Sending now would exceed the number's throughput or the user's pair rate; `at` is the
    earliest instant."""
    TEMPLATE_PAUSED = "template_paused"
    """The template is paused for low quality; `at` is when the pause ends (`decide` only)."""
    TEMPLATE_NOT_SENDABLE = "template_not_sendable"
    """The template is not approved (in review, rejected, disabled, ...); `detail` says which
    (`decide` only)."""
    MARKETING_BLOCKED_IN_REGION = "marketing_blocked_in_region"
    """Marketing templates are not delivered to the recipient's region under the rules in
    force (United States numbers from 2025-04-01) (`decide` only)."""
    ACCOUNT_RESTRICTED = "account_restricted"
    """Meta restricted this kind of message for the account; `at` is when the restriction
    ends, if Meta gave an end (`decide` only)."""
    NUMBER_UNAVAILABLE = "number_unavailable"
    """The business phone number cannot send (banned, pending registration, deleted, ...)
    (`decide` only)."""
    DIRECT_SEND_UNAVAILABLE = "direct_send_unavailable"
    """The rules in force offer no Direct Send (before 2026-07-31)."""
    DIRECT_SEND_NOT_ENABLED = "direct_send_not_enabled"
    """Meta has not enabled Direct Send for the account, or blocked it (error 100 "Direct Send
    isn't enabled for this account", 139200) (`decide` with an account only)."""
    RECIPIENT_NEEDS_PHONE_NUMBER = "recipient_needs_phone_number"
    """The recipient is a business-scoped user ID and this message goes to phone numbers only
    (authentication messages: error 131062; any message before the rules accept BSUIDs)."""


class Alternative(enum.Enum):
    """What the caller can do instead of a blocked send."""

    SEND_TEMPLATE = "send_template"
    """Send an approved template instead of free-form."""
    REPLY_FREE_FORM = "reply_free_form"
    """Answer the user's recent message with a free-form message instead."""
    RECORD_OPT_IN = "record_opt_in"
    """Obtain the user's opt-in, record it with `OptInRecorded`, then send."""
    SEND_NON_MARKETING = "send_non_marketing"
    """Send a utility or authentication template, or wait for the user to resume promotions."""
    REQUEST_CALL_PERMISSION = "request_call_permission"
    """Send a call permission request (free-form inside the window, template outside)."""
    SEND_MESSAGE = "send_message"
    """Reach the user with a message instead of a call."""
    WAIT_FOR_USER = "wait_for_user"
    """Nothing can be sent until the user contacts the business or opts in again."""
    SEND_LATER = "send_later"
    """Ask again at `next_change_at`, when a slot frees or a rate allows the message."""
    USE_ANOTHER_TEMPLATE = "use_another_template"
    """Send another approved template (this one is not approved, or is disabled)."""
    FIX_ACCOUNT = "fix_account"
    """Resolve the account's or number's status with Meta before sending."""
    USE_DIRECT_SEND = "use_direct_send"
    """Send the message as a utility message with Direct Send (`"category": "utility"`), which
    the account may use outside the window without an approved template (`decide` only)."""
    USE_PHONE_NUMBER = "use_phone_number"
    """Address the message to the user's phone number (`wa_id`) instead of their
    business-scoped user ID."""


class Endpoint(enum.Enum):
    """Where a message is to be sent on Meta's Cloud API."""

    MESSAGES = "messages"
    """`POST /<PHONE_NUMBER_ID>/messages`: every message but marketing templates, under today's
    rules."""
    MARKETING_MESSAGES = "marketing_messages"
    """`POST /<PHONE_NUMBER_ID>/marketing_messages` (Marketing Messages API): marketing
    templates, routed by the template's latest category, since the rules say so
    (`marketing_messages_endpoint`)."""


class Risk(enum.Enum):
    """What may still stop an allowed send after the platform accepts it."""

    PER_USER_MARKETING_LIMIT = "per_user_marketing_limit"
    """WhatsApp may hold back this marketing template from the user (131049): the per-user
    marketing limit counts it, since it is not inside a window the user opened."""
    TEMPLATE_PACING = "template_pacing"
    """The template may be paced: its messages held after an unpublished threshold, and dropped
    if early feedback is bad (new, unpaused or not GREEN marketing and utility templates)
    (`decide` with a template only)."""


@attrs.frozen
class BlockReason:
    """One reason a send is blocked: a code to branch on and the facts behind it.

    `message` turns it into a sentence for a log line or an operator; it is built on demand,
    so that deciding stays cheap when nobody reads it.
    """

    code: Reason
    """Stable code to branch on."""
    at: datetime | None = None
    """The instant behind the reason (window closed, opted out, permission expired, ...)."""
    detail: str = ""
    """A short extra the sentence needs (the window length, the rule set's name, ...)."""

    @property
    def message(self) -> str:
        """The reason as one sentence."""
        when = "further notice" if self.at is None else self.at.strftime("%Y-%m-%d %H:%M UTC")
        return _MESSAGES[self.code].format(at=when, detail=self.detail)

    def __str__(self) -> str:
        """Return `message`."""
        return self.message


_MESSAGES: Final[dict[Reason, str]] = {
    Reason.WINDOW_CLOSED: "the customer service window closed at {at}, {detail} after the"
    " user's last message; only templates may be sent",
    Reason.WINDOW_NEVER_OPENED: "the user has never written to this number; only templates"
    " may be sent",
    Reason.WINDOW_CLOSED_BY_PLATFORM: "the platform rejected a free-form message as outside"
    " the window at {at}; only templates may be sent until the user writes again",
    Reason.NO_OPT_IN: "no opt-in is recorded; a template may only go to users who agreed to"
    " hear from the business",
    Reason.OPTED_OUT: "the user opted out of all messages on {at}; only a new opt-in lifts it",
    Reason.MARKETING_OPTED_OUT: "the user stopped marketing messages on {at}; only the user"
    " can resume them",
    Reason.CALLING_UNAVAILABLE: "the rules in force ({detail}) offer no business-initiated calls",
    Reason.NO_CALL_PERMISSION: "the user has not granted call permission",
    Reason.CALL_PERMISSION_EXPIRED: "the user's call permission expired at {at}",
    Reason.CALL_PERMISSION_DECLINED: "the user {detail} call permission on {at}",
    Reason.CALLS_UNANSWERED: "the platform revoked the call permission after {detail}"
    " unanswered calls in a row, the last at {at}; ask the user for permission again",
    Reason.CALL_LIMIT_REACHED: "{detail} business-initiated calls to this user connected in"
    " the moving 24 hours; the next may connect at {at}",
    Reason.CALL_PERMISSION_REQUEST_LIMIT: "the call permission requests this user may receive"
    " ({detail}) are used up since the last connected call; the next may go at {at}",
    Reason.CALLING_NOT_ELIGIBLE: "the Calling API needs a messaging limit of at least {detail}",
    Reason.GROUPS_UNAVAILABLE: "the rules in force ({detail}) offer no Groups API; send to each"
    " user instead",
    Reason.GROUP_TOO_LARGE: "the group has more participants than the {detail} allowed",
    Reason.GROUP_KIND_UNSUPPORTED: "groups do not take {detail}",
    Reason.CALLING_UNAVAILABLE_IN_REGION: "business numbers of {detail} may not place"
    " business-initiated calls",
    Reason.MESSAGING_LIMIT_REACHED: "the messaging limit of {detail} new users in the moving"
    " window is used up; the next slot frees at {at}",
    Reason.PACED: "sending now would exceed the number's throughput or this user's pair rate;"
    " the earliest instant is {at}",
    Reason.TEMPLATE_PAUSED: "the template is paused for low quality ({detail}) until {at}",
    Reason.TEMPLATE_NOT_SENDABLE: "the template cannot be sent: {detail}",
    Reason.MARKETING_BLOCKED_IN_REGION: "marketing templates are not delivered to numbers in"
    " {detail} under the rules in force",
    Reason.ACCOUNT_RESTRICTED: "Meta restricted {detail} for this account until {at}",
    Reason.NUMBER_UNAVAILABLE: "the business phone number's status is {detail}; it cannot send",
    Reason.DIRECT_SEND_UNAVAILABLE: "the rules in force ({detail}) offer no Direct Send; send an"
    " approved template",
    Reason.DIRECT_SEND_NOT_ENABLED: "Direct Send is {detail} for this account; send an approved"
    " template",
    Reason.RECIPIENT_NEEDS_PHONE_NUMBER: "{detail} go to phone numbers only, not to"
    " business-scoped user IDs",
}


_TIME_BOUND: Final = frozenset(
    {
        Reason.MESSAGING_LIMIT_REACHED,
        Reason.PACED,
        Reason.TEMPLATE_PAUSED,
        Reason.ACCOUNT_RESTRICTED,
        Reason.CALL_LIMIT_REACHED,
        Reason.CALL_PERMISSION_REQUEST_LIMIT,
    }
)
"""Reasons that end by the passage of time alone (when they carry an instant)."""

# Reasons that carry no instant are the same value every time: build them once.
_NO_OPT_IN: Final = BlockReason(Reason.NO_OPT_IN)
_NO_CALL_PERMISSION: Final = BlockReason(Reason.NO_CALL_PERMISSION)
_WINDOW_NEVER_OPENED: Final = BlockReason(Reason.WINDOW_NEVER_OPENED)


# Decisions are built for every send of a campaign and only read by users, so they take their
# fields positionally (a keyword call costs about half as much again) and derive what they can.
@attrs.frozen
class SendDecision(Shown):
    """The answer to "may I send this, to this person, now?".

    `allowed` is `True` exactly when `reasons` is empty; `bool(decision)` is `allowed`.
    """

    kind: SendKind
    """What was asked about."""
    reasons: tuple[BlockReason, ...] = ()
    """Every reason it is blocked; empty when allowed."""
    instead: Alternative | None = None
    """What to do instead when blocked."""
    service_window_expires_at: datetime | None = None
    """When the customer service window closes, if it is open at `now`."""
    free_entry_point: bool = False
    """Whether `now` lies in a free entry point window (no charge under either pricing model)."""
    next_change_at: datetime | None = None
    """When this answer changes by the passage of time alone; `None` if only a new fact can."""
    cost: CostEstimate | None = None
    """What the send would cost (`decide` with a rate card); `None` when not estimated."""
    endpoint: Endpoint | None = Endpoint.MESSAGES
    """Where to send it on the Cloud API (`MARKETING_MESSAGES` for a marketing template under
    today's rules, by the template's latest category with `decide`); `None` for a call."""
    risks: tuple[Risk, ...] = ()
    """What may still stop the send once accepted (the per-user marketing limit, template
    pacing); never blocking."""

    @property
    def allowed(self) -> bool:
        """Whether the send may go ahead (no blocking reason)."""
        return not self.reasons

    @property
    def wait_until(self) -> datetime | None:
        """When the send becomes allowed by time alone, if every reason clears by itself.

        The latest instant of the reasons that end on their own (messaging limit, pacing, a
        template pause, a restriction with an end). `None` when the send is allowed now, or
        when some reason needs a new fact (a user message, an opt-in, another template).
        """
        if not self.reasons:
            return None
        latest: datetime | None = None
        for reason in self.reasons:
            if reason.code not in _TIME_BOUND or reason.at is None:
                return None
            if latest is None or reason.at > latest:
                latest = reason.at
        return latest

    @property
    def service_window_open(self) -> bool:
        """Whether the customer service window is open at `now`."""
        return self.service_window_expires_at is not None

    @property
    def codes(self) -> tuple[Reason, ...]:
        """The reason codes, in order."""
        return tuple(r.code for r in self.reasons)

    def __bool__(self) -> bool:
        """Return `allowed`, so that `if can_send(...):` reads naturally."""
        return not self.reasons

    def __str__(self) -> str:
        """The decision as one sentence: allowed or not, why, and what to do instead."""
        from wa_outbound._render import plain  # noqa: PLC0415 - on use

        what = _A_KIND[self.kind]
        if not self.reasons:
            sentence = f"Allowed: {what} may be sent now"
            closes = self.service_window_expires_at
            if closes is not None:
                sentence += f"; the service window closes at {plain(closes)}"
            return sentence + "."
        why = "; ".join(reason.message for reason in self.reasons)
        sentence = f"Blocked: {what} may not be sent now, because {why}."
        if self.instead is not None:
            sentence += f" Instead, {_INSTEAD[self.instead]}"
            wait = self.wait_until
            sentence += f" (from {plain(wait)})." if wait is not None else "."
        return sentence

    def _report(self) -> Report:
        """What every rendering shows: allowed or blocked at a glance, then the facts."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        rows = [("send", plain(self.kind)), ("allowed", "✅ yes" if self.allowed else "⛔ no")]
        rows += [("reason", reason.message) for reason in self.reasons]
        if self.instead is not None:
            rows.append(("instead", _INSTEAD[self.instead]))
        if self.wait_until is not None:
            rows.append(("allowed from", plain(self.wait_until)))
        if self.service_window_expires_at is not None:
            rows.append(("window open until", plain(self.service_window_expires_at)))
        if self.free_entry_point:
            rows.append(("free entry point", "yes"))
        if self.next_change_at is not None:
            rows.append(("answer changes at", plain(self.next_change_at)))
        if self.cost is not None:
            rows.append(("cost", self.cost.message))
        if self.endpoint is Endpoint.MARKETING_MESSAGES:
            rows.append(("endpoint", "/marketing_messages"))
        rows += [("risk", risk.value.replace("_", " ")) for risk in self.risks]
        icon = "✅ allowed" if self.allowed else "⛔ blocked"
        return Report(
            title="Send decision",
            summary=(f"{icon}: {plain(self.kind)}",),
            tables=(Table(title="Send decision", rows=tuple(rows)),),
        )


_A_KIND: Final[dict[SendKind, str]] = {
    SendKind.FREE_FORM: "a free-form message",
    SendKind.MARKETING_TEMPLATE: "a marketing template",
    SendKind.UTILITY_TEMPLATE: "a utility template",
    SendKind.AUTHENTICATION_TEMPLATE: "an authentication template",
    SendKind.CALL: "a business-initiated call",
    SendKind.DIRECT_SEND: "a Direct Send utility message",
}
_INSTEAD: Final[dict[Alternative, str]] = {
    Alternative.SEND_TEMPLATE: "send an approved template instead of a free-form message",
    Alternative.REPLY_FREE_FORM: "answer the user's recent message with a free-form message",
    Alternative.RECORD_OPT_IN: "obtain the user's opt-in and record it, then send",
    Alternative.SEND_NON_MARKETING: "send a utility or authentication template, or wait for"
    " the user to resume promotions",
    Alternative.REQUEST_CALL_PERMISSION: "ask the user for call permission first",
    Alternative.SEND_MESSAGE: "reach the user with a message instead of a call",
    Alternative.WAIT_FOR_USER: "wait for the user to write or opt in again: nothing can be sent",
    Alternative.SEND_LATER: "ask again later, when the answer changes",
    Alternative.USE_ANOTHER_TEMPLATE: "send another approved template",
    Alternative.FIX_ACCOUNT: "resolve the number's or account's status with Meta first",
    Alternative.USE_DIRECT_SEND: "send it as a Direct Send utility message (category utility),"
    " without an approved template",
    Alternative.USE_PHONE_NUMBER: "address it to the user's phone number, not their"
    " business-scoped user ID",
}
"""Each alternative in words, for people reading a decision."""


def can_send(
    conversation: Conversation,
    kind: SendKind | str,
    *,
    now: datetime,
    rules: Rules | None = None,
    ledger: LimitLedger | None = None,
    limit: MessagingLimit | None = None,
    pacer: Pacer | None = None,
) -> SendDecision:
    """Decide whether `kind` may be sent in `conversation` at `now`.

    Args:
        conversation: The state of the (business number, recipient) pair.
        kind: What the business wants to send.
        now: The instant of the send (aware).
        rules: The rules to apply; by default the built-in rules in force at `now`.
        ledger: The messaging limit ledger of the sender's scope; with `limit`, a message that
            would reach a new user once the limit is used up is blocked
            (`MESSAGING_LIMIT_REACHED`, until the next slot frees). Only read, never recorded.
        limit: The messaging limit in force (for example `AccountHealth.messaging_limit`).
        pacer: The sender's pacer; a message the throughput or pair rate does not allow now
            is blocked (`PACED`, until the earliest instant). Only peeked, never recorded.

    Returns:
        A `SendDecision` with every blocking reason and the next instant it changes. A `now`
        before the conversation's `latest_at` by at most the rules' `clock_skew_tolerance`
        is answered as at `latest_at`.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        ClockSkewError: `now` is before the conversation's `latest_at` by more than the
            tolerance.
        InvalidValueError: `conversation` or `kind` is not of the expected type, or a
            `ledger` is given without a `limit`.
        RuleDataError: `rules` is omitted and `now` is before the oldest rule set.
    """
    if not isinstance(conversation, Conversation):
        raise InvalidValueError("conversation", conversation, "expected a Conversation")
    if kind.__class__ is not SendKind:  # its value string is accepted too, converted here
        kind = member("kind", SendKind, kind)
    if now.__class__ is not datetime or now.tzinfo is not UTC:  # the fast path skips a call
        now = utc("now", now)
    if rules is not None and rules.__class__ is not Rules:
        expect("rules", rules, Rules)
    if seen_after(conversation, now):
        now = answer_instant(now, conversation.latest_at, rules)
    if rules is None:
        rules = rules_at(now)
    decision = _conversation_answer(conversation, kind, now, rules)
    if (ledger is None and pacer is None) or kind is _SENDKIND_CALL:
        return decision  # calls use neither messaging limits nor message pacing
    return _with_limits(decision, c=conversation, now=now, ledger=ledger, limit=limit, pacer=pacer)


def decision_at(  # noqa: PLR0917 - `can_send`'s arguments, checked
    conversation: Conversation,
    kind: SendKind,
    now: datetime,
    rules: Rules,
    ledger: LimitLedger | None,
    limit: MessagingLimit | None,
    pacer: Pacer | None,
    cost: CostEstimate | None = None,
) -> SendDecision:
    """`can_send` once its arguments are checked and `now` is the instant to answer at.

    `decide` calls it after checking every part itself, so the check runs once per send (and
    `can_send` repeats these lines rather than pay a call for them); it passes the `cost`
    it estimated, so that the decision is built once.

    Raises:
        InvalidValueError: A `ledger` is given without a `limit`.
    """
    decision = _conversation_answer(conversation, kind, now, rules, cost)
    if (ledger is None and pacer is None) or kind is _SENDKIND_CALL:
        return decision
    return _with_limits(decision, c=conversation, now=now, ledger=ledger, limit=limit, pacer=pacer)


def _check_limits(ledger: object, limit: object, pacer: object) -> None:
    """Refuse a ledger, limit or pacer of the wrong type (imported here: rarely needed)."""
    from wa_outbound._account import MessagingLimit  # noqa: PLC0415
    from wa_outbound._ledger import LimitLedger  # noqa: PLC0415
    from wa_outbound._pacing import Pacer  # noqa: PLC0415

    if ledger is not None:
        expect("ledger", ledger, LimitLedger)
    if limit is not None:
        expect("limit", limit, MessagingLimit)
    if pacer is not None:
        expect("pacer", pacer, Pacer)


def _with_limits(
    decision: SendDecision,
    *,
    c: Conversation,
    now: datetime,
    ledger: LimitLedger | None,
    limit: MessagingLimit | None,
    pacer: Pacer | None,
) -> SendDecision:
    """Add the messaging limit and pacing reasons to a decision.

    Raises:
        InvalidValueError: A `ledger` is given without a `limit`.
    """
    _check_limits(ledger, limit, pacer)
    if ledger is not None and limit is None:
        raise InvalidValueError("limit", limit, "a ledger needs the messaging limit in force")
    added: list[BlockReason] = []
    changes = [] if decision.next_change_at is None else [decision.next_change_at]
    window_open = decision.service_window_open
    if (
        ledger is not None
        and limit is not None
        and ledger.would_count(c.recipient, now, window_open=window_open)
        and ledger.remaining(limit, now) == 0
    ):
        frees = ledger.next_release_at(now)
        added.append(BlockReason(Reason.MESSAGING_LIMIT_REACHED, frees, str(limit.users)))
        if frees is not None:
            changes.append(frees)
    if pacer is not None:
        earliest = pacer.peek(c.recipient, now)
        if earliest > now:
            added.append(BlockReason(Reason.PACED, earliest))
            changes.append(earliest)
    if not added:
        return decision
    return attrs.evolve(
        decision,
        reasons=(*decision.reasons, *added),
        instead=decision.instead or Alternative.SEND_LATER,
        next_change_at=min(changes),
    )


# Enum members as plain module names: reading one through its class costs about 100 ns on
# CPython 3.11, and deciding reads several per call.
_ALTERNATIVE_RECORD_OPT_IN: Final = Alternative.RECORD_OPT_IN
_ALTERNATIVE_REPLY_FREE_FORM: Final = Alternative.REPLY_FREE_FORM
_ALTERNATIVE_SEND_NON_MARKETING: Final = Alternative.SEND_NON_MARKETING
_ALTERNATIVE_SEND_TEMPLATE: Final = Alternative.SEND_TEMPLATE
_ALTERNATIVE_WAIT_FOR_USER: Final = Alternative.WAIT_FOR_USER
_CONSENTSTATUS_OPTED_OUT: Final = ConsentStatus.OPTED_OUT
_CONSENTSTATUS_UNKNOWN: Final = ConsentStatus.UNKNOWN
_MARKETINGSTATUS_STOPPED: Final = MarketingStatus.STOPPED
_REASON_MARKETING_OPTED_OUT: Final = Reason.MARKETING_OPTED_OUT
_REASON_OPTED_OUT: Final = Reason.OPTED_OUT
_SENDKIND_CALL: Final = SendKind.CALL
_SENDKIND_CALL_PERMISSION_REQUEST: Final = SendKind.CALL_PERMISSION_REQUEST
_SENDKIND_FREE_FORM: Final = SendKind.FREE_FORM
_SENDKIND_MARKETING_TEMPLATE: Final = SendKind.MARKETING_TEMPLATE
_SENDKIND_DIRECT_SEND: Final = SendKind.DIRECT_SEND
_REASON_NEEDS_PHONE_NUMBER: Final = Reason.RECIPIENT_NEEDS_PHONE_NUMBER
_ALTERNATIVE_USE_PHONE_NUMBER: Final = Alternative.USE_PHONE_NUMBER
_ENDPOINT_MESSAGES: Final = Endpoint.MESSAGES
_ENDPOINT_MARKETING_MESSAGES: Final = Endpoint.MARKETING_MESSAGES
_PER_USER_RISK: Final = (Risk.PER_USER_MARKETING_LIMIT,)


def _conversation_answer(  # noqa: C901, PLR0912
    c: Conversation,
    kind: SendKind,
    now: datetime,
    rules: Rules,
    cost: CostEstimate | None = None,
) -> SendDecision:
    """Compute the decision; inputs are already checked.

    Written for speed (it runs before every send of a campaign): no intermediate lists on
    the common paths, sentences built only when read.
    """
    reasons: tuple[BlockReason, ...] = ()
    instead: Alternative | None = None
    next_change: datetime | None = None

    last_inbound, window_end = c.window(rules)
    window_open = window_end is not None and now < window_end
    if window_open:
        next_change = window_end

    free = False
    if c.entry_points:
        entry_point = c.free_entry_point_at(rules, now)
        if entry_point is not None:
            free, changes = entry_point
            if next_change is None or changes < next_change:
                next_change = changes

    consent = c.consent
    status = consent.status

    if kind is _SENDKIND_FREE_FORM:
        if not window_open:
            reasons = (_window_reason(c, rules, window_end, last_inbound),)
            instead = _ALTERNATIVE_SEND_TEMPLATE
        elif status is _CONSENTSTATUS_OPTED_OUT and not _after_stop(last_inbound, consent.since):
            reasons = (BlockReason(_REASON_OPTED_OUT, consent.since),)
            instead = _ALTERNATIVE_WAIT_FOR_USER
    elif kind is _SENDKIND_CALL:
        blocked, instead, expires = _call_reasons(c, rules, now)
        if expires is not None and (next_change is None or expires < next_change):
            next_change = expires
        if status is _CONSENTSTATUS_OPTED_OUT and not _granted_after_stop(c):
            blocked.append(BlockReason(_REASON_OPTED_OUT, consent.since))
            instead = instead or _ALTERNATIVE_WAIT_FOR_USER
        reasons = tuple(blocked)
    elif kind is _SENDKIND_CALL_PERMISSION_REQUEST:
        reasons, instead, clears = _request_reasons(c, rules, now, window_open, last_inbound)
        if clears is not None and (next_change is None or clears < next_change):
            next_change = clears
    elif status is _CONSENTSTATUS_OPTED_OUT:
        reasons = (BlockReason(_REASON_OPTED_OUT, consent.since),)
        replying = window_open and _after_stop(last_inbound, consent.since)
        instead = _ALTERNATIVE_REPLY_FREE_FORM if replying else _ALTERNATIVE_WAIT_FOR_USER
    else:
        if kind is _SENDKIND_MARKETING_TEMPLATE and consent.marketing is _MARKETINGSTATUS_STOPPED:
            reasons = (BlockReason(_REASON_MARKETING_OPTED_OUT, consent.marketing_since),)
            instead = _ALTERNATIVE_SEND_NON_MARKETING
        if status is _CONSENTSTATUS_UNKNOWN and (
            not window_open or rules.opt_in_required_inside_window.value
        ):
            reasons = (*reasons, _NO_OPT_IN)
            # Without an opt-in no template goes at all: that comes before any other advice.
            instead = _ALTERNATIVE_REPLY_FREE_FORM if window_open else _ALTERNATIVE_RECORD_OPT_IN

    if kind is _SENDKIND_DIRECT_SEND or c.recipient.__class__ is BusinessScopedUserId:
        reasons, instead = _recipient_and_direct_send(c, kind, rules, reasons, instead)
    endpoint, risks = _endpoint_and_risks(kind, rules, window_open=window_open)
    return SendDecision(
        kind,
        reasons,
        instead,
        window_end if window_open else None,
        free,
        next_change,
        cost,
        endpoint,
        risks,
    )


def _recipient_and_direct_send(
    c: Conversation,
    kind: SendKind,
    rules: Rules,
    reasons: tuple[BlockReason, ...],
    instead: Alternative | None,
) -> tuple[tuple[BlockReason, ...], Alternative | None]:
    """Add the reasons of Direct Send's availability and of a business-scoped recipient."""
    if kind is _SENDKIND_DIRECT_SEND and not rules.direct_send.value:
        reasons = (*reasons, BlockReason(Reason.DIRECT_SEND_UNAVAILABLE, None, rules.name))
        instead = instead or _ALTERNATIVE_SEND_TEMPLATE
    if c.recipient.__class__ is BusinessScopedUserId and kind is not _SENDKIND_CALL:
        phone_only = _phone_only(kind, rules)
        if phone_only:
            reasons = (*reasons, BlockReason(_REASON_NEEDS_PHONE_NUMBER, None, phone_only))
            instead = instead or _ALTERNATIVE_USE_PHONE_NUMBER
    return reasons, instead


def _endpoint_and_risks(
    kind: SendKind, rules: Rules, *, window_open: bool
) -> tuple[Endpoint | None, tuple[Risk, ...]]:
    """Return where `kind` is sent and what may still stop it (the per-user marketing limit)."""
    if kind is _SENDKIND_MARKETING_TEMPLATE:
        endpoint = (
            _ENDPOINT_MARKETING_MESSAGES
            if rules.marketing_messages_endpoint.value
            else _ENDPOINT_MESSAGES
        )
        counted = rules.marketing_per_user_limit.value and not (
            window_open and rules.marketing_per_user_limit_exempts_window.value
        )
        return endpoint, _PER_USER_RISK if counted else ()
    return (None if kind is _SENDKIND_CALL else _ENDPOINT_MESSAGES), ()


def _phone_only(kind: SendKind, rules: Rules) -> str:
    """Return what of `kind` goes to phone numbers only under `rules` ("" if none of it)."""
    if not rules.business_scoped_user_ids.value:
        return f"messages under the rules in force ({rules.name})"
    if kind is SendKind.AUTHENTICATION_TEMPLATE:
        return "authentication messages (one-tap, zero-tap and copy code)"
    return ""


def _after_stop(last_inbound: datetime | None, stop: datetime | None) -> bool:
    """Whether the user wrote at or after a full stop (so a reply answers them)."""
    return last_inbound is not None and stop is not None and last_inbound >= stop


def _window_reason(
    c: Conversation, rules: Rules, window_end: datetime | None, last_inbound: datetime | None
) -> BlockReason:
    if window_end is not None:
        hours = f"{rules.service_window.value.total_seconds() / 3600:g} h"
        return BlockReason(Reason.WINDOW_CLOSED, window_end, hours)
    if last_inbound is not None:
        return BlockReason(Reason.WINDOW_CLOSED_BY_PLATFORM, c.window_closed_at)
    return _WINDOW_NEVER_OPENED


def _granted_after_stop(c: Conversation) -> bool:
    permission, stop = c.call_permission, c.consent.since
    return (
        permission.status is CallPermissionStatus.GRANTED
        and permission.since is not None
        and stop is not None
        and permission.since > stop
    )


def _call_reasons(
    c: Conversation, rules: Rules, now: datetime
) -> tuple[list[BlockReason], Alternative | None, datetime | None]:
    """Return the call's blocking reasons, the alternative, and when a permission expires."""
    reasons: list[BlockReason] = []
    instead: Alternative | None = None
    expires_later: datetime | None = None
    if not rules.business_initiated_calls.value:
        reasons.append(BlockReason(Reason.CALLING_UNAVAILABLE, None, rules.name))
        instead = Alternative.SEND_MESSAGE
    permission = c.call_permission
    status = permission.status
    if status is CallPermissionStatus.GRANTED:
        expires = c.call_permission_expires_at(rules)
        if expires is not None and now >= expires:
            reasons.append(BlockReason(Reason.CALL_PERMISSION_EXPIRED, expires))
            instead = instead or Alternative.REQUEST_CALL_PERMISSION
        else:
            expires_later = expires
    elif status is CallPermissionStatus.NONE:
        reasons.append(_NO_CALL_PERMISSION)
        instead = instead or Alternative.REQUEST_CALL_PERMISSION
    else:
        verb = "declined" if status is CallPermissionStatus.REJECTED else "revoked"
        reasons.append(BlockReason(Reason.CALL_PERMISSION_DECLINED, permission.since, verb))
        instead = instead or Alternative.REQUEST_CALL_PERMISSION
    if status is CallPermissionStatus.GRANTED and not reasons:
        revoke_after = rules.call_permission_revoked_after_unanswered.value
        unanswered = c.calls.unanswered_since(permission.since)
        if len(unanswered) >= revoke_after:
            last = unanswered[-1].at
            reasons.append(BlockReason(Reason.CALLS_UNANSWERED, last, str(revoke_after)))
            instead = Alternative.REQUEST_CALL_PERMISSION
            expires_later = None
    clears = c.calls.call_limit_clears_at(rules, now)
    if clears is not None:
        cap = str(rules.business_calls_connected_per_day.value)
        reasons.append(BlockReason(Reason.CALL_LIMIT_REACHED, clears, cap))
        instead = instead or Alternative.SEND_LATER
        expires_later = clears if expires_later is None or clears < expires_later else expires_later
    return reasons, instead, expires_later


def _request_reasons(
    c: Conversation,
    rules: Rules,
    now: datetime,
    window_open: bool,  # noqa: FBT001 - private, positional for speed
    last_inbound: datetime | None,
) -> tuple[tuple[BlockReason, ...], Alternative | None, datetime | None]:
    """A call permission request's reasons, alternative, and when its request limit clears.

    Inside the window it is a free-form message; outside it, a template, which needs the
    recorded opt-in a template needs.
    """
    reasons: list[BlockReason] = []
    instead: Alternative | None = None
    if not rules.business_initiated_calls.value:
        reasons.append(BlockReason(Reason.CALLING_UNAVAILABLE, None, rules.name))
        instead = Alternative.SEND_MESSAGE
    clears = c.calls.request_limit_clears_at(rules, now)
    if clears is not None:
        per_day = rules.call_permission_requests_per_day.value
        per_week = rules.call_permission_requests_per_week.value
        detail = f"{per_day} in 24 h, {per_week} in 7 days"
        reasons.append(BlockReason(Reason.CALL_PERMISSION_REQUEST_LIMIT, clears, detail))
        instead = instead or Alternative.SEND_LATER
    consent = c.consent
    if consent.status is ConsentStatus.OPTED_OUT and not (
        window_open and _after_stop(last_inbound, consent.since)
    ):
        reasons.append(BlockReason(Reason.OPTED_OUT, consent.since))
        instead = Alternative.WAIT_FOR_USER
    elif consent.status is ConsentStatus.UNKNOWN and not window_open:
        reasons.append(_NO_OPT_IN)
        instead = Alternative.RECORD_OPT_IN
    return tuple(reasons), instead, clears
