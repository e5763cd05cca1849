"""The question asked before every send: may this business send this kind of message now?

`can_send` reads a `Conversation` under the `Rules` in force and answers with a
`SendDecision`: allowed or not, every reason that blocks it, what to do instead, whether the
message falls in a free period, and when the answer will change if nothing else happens. It
never raises for a valid conversation; only a naive `now` (or a wrong argument type) raises.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Final

import attrs

from wa_outbound._conversation import (
    CallPermissionStatus,
    ConsentStatus,
    Conversation,
    MarketingStatus,
)
from wa_outbound._errors import InvalidValueError
from wa_outbound._rules import Rules, rules_at
from wa_outbound._time import utc

__all__ = ["Alternative", "BlockReason", "Reason", "SendDecision", "SendKind", "can_send"]


class SendKind(enum.Enum):
    """What the business wants to send."""

    FREE_FORM = "free_form"
    """Any non-template message: text, media, interactive, location, reaction, ..."""
    MARKETING_TEMPLATE = "marketing_template"
    """An approved template of category MARKETING."""
    UTILITY_TEMPLATE = "utility_template"
    """An approved template of category UTILITY."""
    AUTHENTICATION_TEMPLATE = "authentication_template"
    """An approved template of category AUTHENTICATION."""
    CALL = "call"
    """A business-initiated voice call (Calling API)."""

    @property
    def is_template(self) -> bool:
        """Whether this kind is a template message."""
        return self in _TEMPLATES


_TEMPLATES: Final = frozenset(
    {SendKind.MARKETING_TEMPLATE, SendKind.UTILITY_TEMPLATE, SendKind.AUTHENTICATION_TEMPLATE}
)


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


@attrs.frozen(kw_only=True)
class BlockReason:
    """One reason a send is blocked, as a code and as a sentence."""

    code: Reason
    """Stable code to branch on."""
    message: str
    """What happened, for a log line or an operator."""


@attrs.frozen(kw_only=True)
class SendDecision:
    """The answer to "may I send this, to this person, now?"."""

    allowed: bool
    """Whether the send may go ahead."""
    kind: SendKind
    """What was asked about."""
    reasons: tuple[BlockReason, ...] = ()
    """Every reason it is blocked; empty when allowed."""
    instead: Alternative | None = None
    """What to do instead when blocked."""
    service_window_open: bool = False
    """Whether the customer service window is open at `now`."""
    service_window_expires_at: datetime | None = None
    """When the open window closes."""
    free_entry_point: bool = False
    """Whether `now` lies in a free entry point window (no charge under either pricing model)."""
    next_change_at: datetime | None = None
    """When this answer changes by the passage of time alone; `None` if only a new fact can."""

    @property
    def codes(self) -> tuple[Reason, ...]:
        """The reason codes, in order."""
        return tuple(r.code for r in self.reasons)

    def __bool__(self) -> bool:
        """Return `allowed`, so that `if can_send(...):` reads naturally."""
        return self.allowed


def _fmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def can_send(
    conversation: Conversation,
    kind: SendKind,
    *,
    now: datetime,
    rules: Rules | None = None,
) -> SendDecision:
    """Decide whether `kind` may be sent in `conversation` at `now`.

    Args:
        conversation: The state of the (business number, recipient) pair.
        kind: What the business wants to send.
        now: The instant of the send (aware).
        rules: The rules to apply; by default the built-in rules in force at `now`.

    Returns:
        A `SendDecision` with every blocking reason and the next instant it changes.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        InvalidValueError: `conversation` or `kind` is not of the expected type.
        RuleDataError: `rules` is omitted and `now` is before the oldest rule set.
    """
    if not isinstance(conversation, Conversation):
        raise InvalidValueError("conversation", conversation, "expected a Conversation")
    if not isinstance(kind, SendKind):
        raise InvalidValueError("kind", kind, "expected a SendKind")
    now = utc("now", now)
    if rules is None:
        rules = rules_at(now)
    return _decide(conversation, kind, now, rules)


def _decide(c: Conversation, kind: SendKind, now: datetime, rules: Rules) -> SendDecision:  # noqa: C901, PLR0912
    """Compute the decision; inputs are already checked."""
    reasons: list[BlockReason] = []
    instead: Alternative | None = None
    deadlines: list[datetime] = []

    window_end = c.service_window_expires_at(rules)
    window_open = window_end is not None and now < window_end
    if window_open:
        deadlines.append(window_end)  # type: ignore[arg-type]

    fep = c.free_entry_point_window(rules)
    free = False
    if fep is not None:
        start, end = fep
        if start <= now < end:
            free = True
            deadlines.append(end)
        elif now < start:
            deadlines.append(start)

    consent = c.consent
    status = consent.status
    last_inbound = c.last_inbound_at(rules)
    # After a full stop, only answer what the user writes after it.
    replying_after_stop = (
        window_open
        and last_inbound is not None
        and consent.since is not None
        and last_inbound >= consent.since
    )

    if kind is SendKind.FREE_FORM:
        if not window_open:
            reasons.append(_window_reason(c, rules, window_end))
            instead = Alternative.SEND_TEMPLATE
        elif status is ConsentStatus.OPTED_OUT and not replying_after_stop:
            reasons.append(_opted_out(consent.since))
            instead = Alternative.WAIT_FOR_USER
    elif kind is SendKind.CALL:
        instead = _call_reasons(c, rules, now, reasons, deadlines)
        if status is ConsentStatus.OPTED_OUT and not _granted_after_stop(c):
            reasons.append(_opted_out(consent.since))
            instead = instead or Alternative.WAIT_FOR_USER
    elif status is ConsentStatus.OPTED_OUT:
        reasons.append(_opted_out(consent.since))
        instead = Alternative.REPLY_FREE_FORM if replying_after_stop else Alternative.WAIT_FOR_USER
    else:
        if kind is SendKind.MARKETING_TEMPLATE and consent.marketing is MarketingStatus.STOPPED:
            reasons.append(
                BlockReason(
                    code=Reason.MARKETING_OPTED_OUT,
                    message="the user stopped marketing messages on"
                    f" {_fmt(consent.marketing_since)}; only the user can resume them",  # type: ignore[arg-type]
                )
            )
            instead = Alternative.SEND_NON_MARKETING
        if status is ConsentStatus.UNKNOWN and (
            not window_open or rules.opt_in_required_inside_window.value
        ):
            reasons.append(
                BlockReason(
                    code=Reason.NO_OPT_IN,
                    message="no opt-in is recorded; a template may only go to users who agreed"
                    " to hear from the business",
                )
            )
            instead = instead or (
                Alternative.REPLY_FREE_FORM if window_open else Alternative.RECORD_OPT_IN
            )

    future = [d for d in deadlines if d > now]
    return SendDecision(
        allowed=not reasons,
        kind=kind,
        reasons=tuple(reasons),
        instead=instead if reasons else None,
        service_window_open=window_open,
        service_window_expires_at=window_end if window_open else None,
        free_entry_point=free,
        next_change_at=min(future) if future else None,
    )


def _window_reason(c: Conversation, rules: Rules, window_end: datetime | None) -> BlockReason:
    if window_end is not None:
        return BlockReason(
            code=Reason.WINDOW_CLOSED,
            message=f"the customer service window closed at {_fmt(window_end)},"
            f" {_hours(rules)} after the user's last message; only templates may be sent",
        )
    if c.last_inbound_at(rules) is not None:
        return BlockReason(
            code=Reason.WINDOW_CLOSED_BY_PLATFORM,
            message="the platform rejected a free-form message as outside the window"
            f" at {_fmt(c.window_closed_at)}; only templates may be sent until the user"  # type: ignore[arg-type]
            " writes again",
        )
    return BlockReason(
        code=Reason.WINDOW_NEVER_OPENED,
        message="the user has never written to this number; only templates may be sent",
    )


def _hours(rules: Rules) -> str:
    return f"{rules.service_window.value.total_seconds() / 3600:g} h"


def _opted_out(since: datetime | None) -> BlockReason:
    when = f" on {_fmt(since)}" if since is not None else ""
    return BlockReason(
        code=Reason.OPTED_OUT,
        message=f"the user opted out of all messages{when}; only a new opt-in lifts it",
    )


def _granted_after_stop(c: Conversation) -> bool:
    permission, stop = c.call_permission, c.consent.since
    return (
        permission.status is CallPermissionStatus.GRANTED
        and permission.since is not None
        and stop is not None
        and permission.since > stop
    )


def _call_reasons(
    c: Conversation,
    rules: Rules,
    now: datetime,
    reasons: list[BlockReason],
    deadlines: list[datetime],
) -> Alternative | None:
    instead: Alternative | None = None
    if not rules.business_initiated_calls.value:
        reasons.append(
            BlockReason(
                code=Reason.CALLING_UNAVAILABLE,
                message=f"the rules in force ({rules.name}) offer no business-initiated calls",
            )
        )
        instead = Alternative.SEND_MESSAGE
    permission = c.call_permission
    status = permission.status
    if status is CallPermissionStatus.GRANTED:
        expires = c.call_permission_expires_at(rules)
        if expires is not None and now >= expires:
            reasons.append(
                BlockReason(
                    code=Reason.CALL_PERMISSION_EXPIRED,
                    message=f"the user's call permission expired at {_fmt(expires)}",
                )
            )
            instead = instead or Alternative.REQUEST_CALL_PERMISSION
        elif expires is not None:
            deadlines.append(expires)
    elif status is CallPermissionStatus.NONE:
        reasons.append(
            BlockReason(
                code=Reason.NO_CALL_PERMISSION,
                message="the user has not granted call permission",
            )
        )
        instead = instead or Alternative.REQUEST_CALL_PERMISSION
    else:
        verb = "declined" if status is CallPermissionStatus.REJECTED else "revoked"
        reasons.append(
            BlockReason(
                code=Reason.CALL_PERMISSION_DECLINED,
                message=f"the user {verb} call permission on {_fmt(permission.since)}",  # type: ignore[arg-type]
            )
        )
        instead = instead or Alternative.REQUEST_CALL_PERMISSION
    return instead
