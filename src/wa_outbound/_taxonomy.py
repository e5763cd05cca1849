"""The error taxonomy: what an error code from Meta or Twilio tells the sender to do next.

Theory of operation
-------------------
A send can fail in two ways. Either the platform answers with an error code (synchronously in
the HTTP response, or later on a status webhook), or no answer comes back at all (DNS, connect,
TLS, timeouts, a gateway's bare 5xx). The two are classified by two functions:

* `classify_error(provider, code, ...)` looks the code up in `ERROR_CODES` (and, for Meta's
  permission block 200-299, in `ERROR_CODE_RANGES`). An error code means the platform got the
  request and did not send the message, so resending cannot duplicate it
  (`Reach.REACHED`). Meta asks integrators to branch on `code`, not on titles or HTTP statuses;
  so does this module: the HTTP status only refines codes the table does not know.
* `classify_transport_failure(failure)` looks the failure up in `TRANSPORT_FAILURES`. A failure
  before the request left (DNS, connect, TLS) is safe to retry (`Reach.NOT_REACHED`); a failure
  after it may have left (timeouts after sending, a reset, a 5xx with no platform body) is not:
  neither Meta's Cloud API nor Twilio's Messages API takes an idempotency key, so a blind resend
  can deliver the message twice (`Reach.UNKNOWN`, `RetryAction.RECONCILE`).

Both answer with a `RetryDecision`: an action, the wait before a retry (from the row's
`Backoff` and the caller's `attempt`, never shorter than a `Retry-After` the platform sent, at
most `MAX_RETRY_DELAY`), and the row's title, reason and source. There is no jitter: the core is
deterministic; a transport adds jitter when it sleeps.

Sources were checked on 2026-11-25: Meta's "Error codes" page (updated 2026-05-15), its
"Throughput" page and its Groups API error codes page; Twilio's per-code error pages and its
WhatsApp error-code mapping; pywa's `errors.py` for Meta codes newer than the pages seen. Where
only a third party states a fact, its `Source` says `Provenance.REPORTED`. The retry classes
(which codes to retry, how soon) are this project's synthesis from those sources, recorded in the
project's transport notes; the backoff schedules other than the pair rate's 4^X seconds are
choices of ours, not platform numbers.
"""

from __future__ import annotations

import enum
import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._errors import InvalidValueError, decimal_digits, is_a, is_whole, member
from wa_outbound._facts import Provider
from wa_outbound._rules import Provenance, Source
from wa_outbound._shown import Shown

if TYPE_CHECKING:
    from wa_outbound._render import Report

__all__ = [
    "ERROR_CODES",
    "ERROR_CODE_RANGES",
    "MAX_RETRY_DELAY",
    "TRANSPORT_FAILURES",
    "Backoff",
    "ErrorInfo",
    "Reach",
    "RetryAction",
    "RetryDecision",
    "TransportFailure",
    "classify_error",
    "classify_transport_failure",
]


class RetryAction(enum.Enum):
    """What the sender should do after a failed send."""

    RETRY_AFTER = "retry_after"
    """Send the same request again after `delay`: the platform refused it for now (a rate
    limit or a passing fault), and did not send the message."""
    RETRY_TOMORROW = "retry_tomorrow"
    """Retry once, no sooner than `delay` (a day), and never in a loop: the platform holds back
    this recipient (or sender) for about a day. If the retry fails the same way, give up."""
    USE_TEMPLATE = "use_template"
    """The customer service window is closed: send an approved template instead."""
    STOP_OPTED_OUT = "stop_opted_out"
    """The user stopped marketing messages: send them no more marketing. Utility and
    authentication templates, and replies inside the window, still go."""
    FIX_TEMPLATE = "fix_template"
    """The template (or Flow) is wrong, missing, paused or disabled: fix or replace it first."""
    FIX_REQUEST = "fix_request"
    """The request is invalid (parameters, media, recipient format): fix it; the same request
    fails again."""
    ACCOUNT_ACTION = "account_action"
    """An operator must act on the token, permissions, number, payment or policy standing;
    stop sending from this account until then."""
    RECIPIENT_UNREACHABLE = "recipient_unreachable"
    """This recipient cannot get this message (not on WhatsApp, unknown group, ...): do not
    retry; record it against the contact."""
    RECONCILE = "reconcile"
    """No answer came back and the message may have gone out: do not resend blindly. Find out
    first (status webhooks carrying your `biz_opaque_callback_data`, or Twilio's message list),
    then resend only if it was not sent."""
    UNKNOWN = "unknown"
    """The code is not in the table: do not retry automatically; log the code with the
    platform's message and look it up."""

    @property
    def retryable(self) -> bool:
        """Whether the same request may be sent again automatically (after `delay`)."""
        return self in _RETRYABLE


_RETRYABLE: Final = frozenset({RetryAction.RETRY_AFTER, RetryAction.RETRY_TOMORROW})


class Reach(enum.Enum):
    """Whether a failed request reached the platform: decides if a resend can duplicate."""

    NOT_REACHED = "not_reached"
    """The request certainly never reached the platform: resending cannot duplicate it."""
    REACHED = "reached"
    """The platform answered with an error code: it got the request and did not send it."""
    UNKNOWN = "unknown"
    """The request may have reached the platform and the message may have been sent."""


class Backoff(enum.Enum):
    """How long to wait before retry number `attempt + 1` (see `Backoff.delay`)."""

    NONE = "none"
    """No automatic retry."""
    PAIR_RATE = "pair_rate"
    """4^attempt seconds (1 s, 4 s, 16 s, ...), at most 15 min: Meta's advice for 131056."""
    THROUGHPUT = "throughput"
    """1 s doubling per attempt, at most 1 min: the number's messages-per-second cap clears
    within seconds (and an automatic throughput upgrade takes up to a minute)."""
    TRANSIENT = "transient"
    """2 s doubling per attempt, at most 5 min: a passing server fault."""
    APP_RATE = "app_rate"
    """1 min doubling per attempt, at most 1 h: app- or account-level API call limits."""
    SLOW = "slow"
    """1 h doubling per attempt, at most 6 h: maintenance, hourly Flow caps."""
    NEXT_DAY = "next_day"
    """24 h, whatever the attempt: limits that hold for a day."""

    def delay(self, attempt: int) -> timedelta | None:
        """Return the wait before retry number `attempt + 1`, or `None` for `NONE`.

        The delay grows geometrically from the schedule's first wait and stops at its cap, so
        any `attempt`, however large, gives a bounded delay.

        Raises:
            InvalidValueError: `attempt` is negative or not a whole number.
        """
        _attempt(attempt)
        schedule = _SCHEDULES.get(self)
        if schedule is None:
            return None
        first, factor, cap = schedule
        seconds = first.total_seconds() * float(factor) ** min(attempt, _MAX_EXPONENT)
        return timedelta(seconds=min(seconds, cap.total_seconds()))

    @property
    def summary(self) -> str:
        """The schedule in words, for tables: `1 s x 4^attempt, at most 15 min`."""
        schedule = _SCHEDULES.get(self)
        if schedule is None:
            return "no automatic retry"
        first, factor, cap = schedule
        if factor == 1:
            return _words(first)
        return f"{_words(first)} x {factor}^attempt, at most {_words(cap)}"


# (first wait, growth factor per attempt, cap). Only 131056's 4^X comes from the platform
# (reported: TRANSPORT.md §6); the others are conservative choices of ours.
_SCHEDULES: Final[dict[Backoff, tuple[timedelta, int, timedelta]]] = {
    Backoff.PAIR_RATE: (timedelta(seconds=1), 4, timedelta(minutes=15)),
    Backoff.THROUGHPUT: (timedelta(seconds=1), 2, timedelta(minutes=1)),
    Backoff.TRANSIENT: (timedelta(seconds=2), 2, timedelta(minutes=5)),
    Backoff.APP_RATE: (timedelta(minutes=1), 2, timedelta(hours=1)),
    Backoff.SLOW: (timedelta(hours=1), 2, timedelta(hours=6)),
    Backoff.NEXT_DAY: (timedelta(hours=24), 1, timedelta(hours=24)),
}
_MAX_EXPONENT: Final = 64  # 4.0**64 is far above every cap and far below float overflow

MAX_RETRY_DELAY: Final = timedelta(hours=24)
"""The longest delay a decision ever carries, even when a `Retry-After` asks for more: a
longer wait belongs to a scheduler, not to a retry loop."""


def _words(duration: timedelta) -> str:
    """Return `duration` as the docs write it: `2 s`, `15 min`, `24 h`."""
    seconds = int(duration.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


class TransportFailure(enum.Enum):
    """A send that failed with no answer from the platform."""

    DNS_ERROR = "dns_error"
    """The platform's host name did not resolve."""
    CONNECT_ERROR = "connect_error"
    """The TCP connection was refused or could not be made."""
    CONNECT_TIMEOUT = "connect_timeout"
    """The TCP connection was not established in time."""
    TLS_ERROR = "tls_error"
    """The TLS handshake failed, before any byte of the request was sent."""
    WRITE_TIMEOUT = "write_timeout"
    """Sending the request timed out part-way; the platform may have read all of it."""
    READ_TIMEOUT = "read_timeout"
    """The request was sent and no response came in time."""
    CONNECTION_RESET_AFTER_SEND = "connection_reset_after_send"
    """The connection dropped after the request was sent, before the response."""
    HTTP_5XX_WITHOUT_BODY = "http_5xx_without_body"
    """A 5xx response without the platform's error body (a gateway or proxy answered)."""


@attrs.frozen(kw_only=True)
class ErrorInfo:
    """One row of the taxonomy: what a code (or a transport failure) means and what to do."""

    title: str = attrs.field(validator=is_a(str))
    """Short title, close to the platform's own."""
    action: RetryAction = attrs.field(validator=is_a(RetryAction))
    """What to do next."""
    backoff: Backoff = attrs.field(validator=is_a(Backoff))
    """How long to wait before a retry; `Backoff.NONE` unless `action` is retryable."""
    reason: str = attrs.field(validator=is_a(str))
    """What happened and what to do, as a sentence for an operator."""
    source: Source = attrs.field(validator=is_a(Source))
    """The document that states the code's meaning."""
    reach: Reach = attrs.field(default=Reach.REACHED, validator=is_a(Reach))
    """Whether the failed request reached the platform (every error code did)."""


@attrs.frozen(kw_only=True)
class RetryDecision(Shown):
    """What to do after a failed send, and why.

    `retryable` and `delay` say whether and when to send the same request again; `reach` says
    whether a resend could deliver the message twice; `reason` and `source` explain it.
    """

    action: RetryAction = attrs.field(validator=is_a(RetryAction))
    """What to do next."""
    delay: timedelta | None = attrs.field(validator=is_a(timedelta, optional=True))
    """How long to wait before the retry; `None` unless `action` is retryable."""
    reach: Reach = attrs.field(validator=is_a(Reach))
    """Whether the failed request reached the platform."""
    provider: Provider | None = attrs.field(validator=is_a(Provider, optional=True))
    """Who answered with `code`; `None` for a transport failure."""
    code: int | None = attrs.field(validator=is_whole(optional=True))
    """The platform's error code; `None` for a transport failure."""
    failure: TransportFailure | None = attrs.field(
        default=None, validator=is_a(TransportFailure, optional=True)
    )
    """The transport failure; `None` when the platform answered with a code."""
    known: bool = attrs.field(validator=is_a(bool))
    """Whether the code (or failure) is in the table; `False` means a default was applied."""
    backoff: Backoff = attrs.field(validator=is_a(Backoff))
    """The schedule `delay` was computed from."""
    title: str = attrs.field(validator=is_a(str))
    """Short title of the error."""
    reason: str = attrs.field(validator=is_a(str))
    """What happened and what to do, as a sentence for an operator."""
    source: Source = attrs.field(validator=is_a(Source))
    """The document that states the code's meaning."""

    @property
    def retryable(self) -> bool:
        """Whether the same request may be sent again automatically, after `delay`."""
        return self.action.retryable

    def _report(self) -> Report:
        """What every rendering shows: what to do, when, and why."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        what = plain(self.action)
        if self.delay is not None:
            what += f" after {plain(self.delay)}"
        answered = (
            "a transport failure" if self.code is None else f"{plain(self.provider)} {self.code}"
        )
        rows = (
            ("error", f"{answered}: {self.title}"),
            ("do", what),
            ("reached the platform", plain(self.reach)),
            ("why", self.reason),
            ("backoff", plain(self.backoff)),
            ("in the table", plain(self.known)),
            (
                "source",
                f"{self.source.title} ({self.source.url})"
                if self.source.url
                else self.source.title,
            ),
        )
        return Report(
            title="Retry decision",
            summary=(f"{answered}: {what}",),
            tables=(Table(title="Retry decision", rows=rows),),
        )


_CHECKED: Final = date(2026, 11, 25)

_META_ERRORS: Final = Source(
    title="Meta, Error codes (WhatsApp Cloud API), updated 2026-05-15",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes",
    checked=_CHECKED,
)
_META_THROUGHPUT: Final = Source(
    title="Meta, Throughput (80 messages per second per number; error 130429), updated 2026-05-21",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput",
    checked=_CHECKED,
)
_META_GROUPS: Final = Source(
    title="Meta, Groups API error codes, updated 2025-10-31",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/groups/error-codes/",
    checked=_CHECKED,
)
_PAIR_RATE: Final = Source(
    title="Meta, About the WhatsApp Business Platform, 'Pair rate limits' (131056: one message"
    " every 6 seconds to the same user; 'retry after 4^X seconds'), updated 2025-12-05",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/about-the-platform",
    checked=date(2026, 12, 7),
)
_ISSUE_15_CHECKED: Final = date(2026, 12, 7)
_PER_USER_LIMITS: Final = Source(
    title="Meta, Per-user marketing template message limits (131049: 'wait at least 24 hours"
    " before resending'; from 2025-04-01 no marketing templates to US numbers)",
    url="https://developers.facebook.com/docs/whatsapp/per-user-limits",
    checked=_ISSUE_15_CHECKED,
)
_META_BSUID: Final = Source(
    title="Meta, Business-scoped user IDs (error 131062: 'You can only send authentication"
    " messages to recipients' phone numbers, not their business-scoped user IDs')",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids",
    checked=_ISSUE_15_CHECKED,
)
_META_ROUTING: Final = Source(
    title="Meta, Route template messages by category (marketing templates to"
    " /marketing_messages), updated 2026-09-21; the 131063 wording is pywa's",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/route-template-messages/",
    provenance=Provenance.REPORTED,
    checked=_ISSUE_15_CHECKED,
)
_META_DIRECT_SEND: Final = Source(
    title="Meta, Direct Send API reference (error codes), updated 2026-07-31",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/api-reference/",
    checked=_ISSUE_15_CHECKED,
)
_US_MARKETING_PAUSE: Final = Source(
    title="Meta, Per-user marketing template message limits ('Starting April 1, 2025 ... will"
    " not deliver any marketing template messages to individuals with United States phone"
    " numbers'; the failure links to the 131049 section)",
    url="https://developers.facebook.com/docs/whatsapp/per-user-limits",
    checked=_ISSUE_15_CHECKED,
)


_TWILIO_63033: Final = Source(
    title="Twilio, error 63033: Recipient opted out to receive message ('when you send a"
    " WhatsApp template that is categorized as Marketing to a recipient who has opted out of"
    " receiving your marketing messages'); read on Twilio's docs host"
    " live.docs.dev.twilio.com, while the error code mapping page still lists 63033 as"
    " deprecated",
    url="https://live.docs.dev.twilio.com/docs/api/errors/63033.md",
    provenance=Provenance.REPORTED,
    checked=_ISSUE_15_CHECKED,
)


_PYWA: Final = Source(
    title="pywa errors.py (2026-08-11): exception classes paraphrasing Meta's error codes;"
    " the code is not on the Meta page seen",
    url="https://github.com/david-lev/pywa/blob/main/pywa/errors.py",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_TWILIO_MAPPING: Final = Source(
    title="Twilio, WhatsApp error code mapping (Twilio codes for WhatsApp's own codes)",
    url="https://www.twilio.com/docs/whatsapp/api/error-code-mapping",
    checked=_CHECKED,
)
_TWILIO_ERRORS: Final = Source(
    title="Twilio, Error and warning dictionary",
    url="https://www.twilio.com/docs/api/errors",
    checked=_CHECKED,
)
_NO_RETRY_ON_TIMEOUT: Final = Source(
    title="camel-ai/camel PR #4327, avoid duplicate WhatsApp messages on network timeouts"
    " (retry connection errors only; the Cloud API has no idempotency key)",
    url="https://github.com/camel-ai/camel/pull/4327",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CONNECT_TIMEOUT_SAFE: Final = Source(
    title="NousResearch/hermes-agent PR #5153, retry sends only when the request was never"
    " sent (connect timeouts included)",
    url="https://github.com/NousResearch/hermes-agent/pull/5153",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)


def _twilio(code: int, title: str, *, reported: bool = False) -> Source:
    """Return the source for Twilio's own page about `code`."""
    if reported:
        return Source(
            title=f"Twilio error {code}: {title} (Twilio's page not checked; widely reported)",
            url=f"https://www.twilio.com/docs/api/errors/{code}",
            provenance=Provenance.REPORTED,
            checked=_CHECKED,
        )
    return Source(
        title=f"Twilio, error {code}: {title}",
        url=f"https://www.twilio.com/docs/api/errors/{code}",
        checked=_CHECKED,
    )


def _row(
    title: str,
    action: RetryAction,
    reason: str,
    *,
    backoff: Backoff = Backoff.NONE,
    source: Source = _META_ERRORS,
) -> ErrorInfo:
    return ErrorInfo(title=title, action=action, backoff=backoff, reason=reason, source=source)


_META: Final = Provider.META
_TWILIO: Final = Provider.TWILIO

ERROR_CODES: Final[dict[tuple[Provider, int], ErrorInfo]] = {
    # --- Meta: authorization and Graph API generic codes --------------------------------
    (_META, 0): _row(
        "AuthException",
        RetryAction.ACCOUNT_ACTION,
        "Meta could not authenticate the app user; get a new access token.",
    ),
    (_META, 1): _row(
        "API Unknown",
        RetryAction.RETRY_AFTER,
        "Invalid request or a possible server error at Meta; retry after a short wait, and"
        " check the request if it keeps failing.",
        backoff=Backoff.TRANSIENT,
    ),
    (_META, 2): _row(
        "API Service",
        RetryAction.RETRY_AFTER,
        "Meta's API is temporarily down or overloaded; retry after a short wait.",
        backoff=Backoff.TRANSIENT,
    ),
    (_META, 3): _row(
        "API Method",
        RetryAction.ACCOUNT_ACTION,
        "The app lacks the capability or permission for this call; check its permissions.",
    ),
    (_META, 4): _row(
        "Too many API calls",
        RetryAction.RETRY_AFTER,
        "The app hit its API call rate limit; back off for minutes before retrying.",
        backoff=Backoff.APP_RATE,
    ),
    (_META, 10): _row(
        "Permission denied",
        RetryAction.ACCOUNT_ACTION,
        "The permission was never granted or has been removed; re-grant it to the app.",
    ),
    (_META, 100): _row(
        "Invalid parameter",
        RetryAction.FIX_REQUEST,
        "The request has an unsupported or misspelled parameter; fix the request.",
    ),
    (_META, 190): _row(
        "Access token has expired",
        RetryAction.ACCOUNT_ACTION,
        "The access token expired or was invalidated; refresh it, then the same message may"
        " be sent again.",
    ),
    (_META, 368): _row(
        "Temporarily blocked for policies violations",
        RetryAction.ACCOUNT_ACTION,
        "The WhatsApp Business Account was restricted for a policy violation; resolve it in"
        " WhatsApp Manager before sending.",
    ),
    (_META, 80007): _row(
        "Rate limit issues",
        RetryAction.RETRY_AFTER,
        "The WhatsApp Business Account hit its API rate limit; back off for minutes before"
        " retrying.",
        backoff=Backoff.APP_RATE,
    ),
    # --- Meta: throughput and sending -----------------------------------------------------
    (_META, 130429): _row(
        "Rate limit hit",
        RetryAction.RETRY_AFTER,
        "The number's message throughput (80 messages per second by default) was reached;"
        " retry after a short backoff and pace sends per number.",
        backoff=Backoff.THROUGHPUT,
        source=_META_THROUGHPUT,
    ),
    (_META, 130472): _row(
        "User's number is part of an experiment",
        RetryAction.RECIPIENT_UNREACHABLE,
        "Meta held this marketing message back because the user is in a marketing message"
        " experiment; do not retry it.",
    ),
    (_META, 130497): _row(
        "Business account is restricted from messaging users in this country",
        RetryAction.ACCOUNT_ACTION,
        "The business may not message users in this country; check the Business Messaging"
        " Policy for its category.",
    ),
    (_META, 131000): _row(
        "Something went wrong",
        RetryAction.RETRY_AFTER,
        "The message failed for an unknown reason at Meta; retry a few times with backoff,"
        " then contact Meta support if it persists.",
        backoff=Backoff.TRANSIENT,
    ),
    (_META, 131005): _row(
        "Access denied",
        RetryAction.ACCOUNT_ACTION,
        "The permission for this call is missing or was removed; re-grant it to the app.",
    ),
    (_META, 131008): _row(
        "Required parameter is missing",
        RetryAction.FIX_REQUEST,
        "The request lacks a required parameter; fix the request.",
    ),
    (_META, 131009): _row(
        "Parameter value is not valid",
        RetryAction.FIX_REQUEST,
        "A parameter has an invalid value (for example a phone number ID); fix the request.",
    ),
    (_META, 131016): _row(
        "Service unavailable",
        RetryAction.RETRY_AFTER,
        "A Meta service is temporarily unavailable; retry after a short wait.",
        backoff=Backoff.TRANSIENT,
    ),
    (_META, 131021): _row(
        "Recipient cannot be sender",
        RetryAction.FIX_REQUEST,
        "The message was addressed to the sending number itself; fix the recipient.",
    ),
    (_META, 131026): _row(
        "Message undeliverable",
        RetryAction.RECIPIENT_UNREACHABLE,
        "The recipient cannot get messages: not a WhatsApp number, terms not accepted, or an"
        " outdated app; do not retry, reach them another way.",
    ),
    (_META, 131030): _row(
        "Recipient phone number not in allowed list",
        RetryAction.ACCOUNT_ACTION,
        "A test number may only message numbers on its allowed list; add the recipient there"
        " or use a production number.",
    ),
    (_META, 131031): _row(
        "Account has been locked",
        RetryAction.ACCOUNT_ACTION,
        "The account is locked (policy violation, or request data such as the two-step PIN"
        " did not match); resolve it in WhatsApp Manager.",
    ),
    (_META, 131037): _row(
        "Display name approval needed",
        RetryAction.ACCOUNT_ACTION,
        "The number's display name is not approved yet; get it approved before sending.",
    ),
    (_META, 131042): _row(
        "Business eligibility payment issue",
        RetryAction.ACCOUNT_ACTION,
        "Payment for the account is not set up or failed; fix the payment method.",
    ),
    (_META, 131045): _row(
        "Incorrect certificate",
        RetryAction.ACCOUNT_ACTION,
        "The phone number is not registered correctly; register it again.",
    ),
    (_META, 131047): _row(
        "Re-engagement message",
        RetryAction.USE_TEMPLATE,
        "More than 24 hours have passed since the user last wrote; send an approved template"
        " instead of a free-form message.",
    ),
    (_META, 131048): _row(
        "Spam rate limit hit",
        RetryAction.ACCOUNT_ACTION,
        "Sends from this number are restricted because earlier messages were blocked or"
        " flagged as spam; pause the number and check its quality in WhatsApp Manager.",
    ),
    (_META, 131049): _row(
        "Not delivered to maintain healthy ecosystem engagement",
        RetryAction.RETRY_TOMORROW,
        "Meta held this marketing message back (per-user marketing limit); retry once, no"
        " sooner than 24 hours later, or send a utility template. To a US number (+1 and a US"
        " area code) it is the US marketing pause since 2025-04-01 instead: do not retry"
        " (classify_error with region='US').",
        backoff=Backoff.NEXT_DAY,
        source=_PER_USER_LIMITS,
    ),
    (_META, 131050): _row(
        "User stopped marketing messages",
        RetryAction.STOP_OPTED_OUT,
        "The user stopped marketing messages from this business; send no more marketing."
        " Utility and authentication templates still go.",
    ),
    (_META, 131051): _row(
        "Unsupported message type",
        RetryAction.FIX_REQUEST,
        "The message type is not supported; send a supported type.",
    ),
    (_META, 131052): _row(
        "Media download error",
        RetryAction.FIX_REQUEST,
        "The media the user sent could not be downloaded; ask for it again.",
    ),
    (_META, 131053): _row(
        "Media upload error",
        RetryAction.FIX_REQUEST,
        "The media could not be uploaded (unsupported type, size or link); fix the media.",
    ),
    (_META, 131056): _row(
        "(Business Account, Consumer Account) pair rate limit hit",
        RetryAction.RETRY_AFTER,
        "Too many messages went from this number to the same user in a short time (about one"
        " every 6 seconds is sustained); retry after 4^attempt seconds.",
        backoff=Backoff.PAIR_RATE,
        source=_PAIR_RATE,
    ),
    (_META, 131057): _row(
        "Account in maintenance mode",
        RetryAction.RETRY_AFTER,
        "The business account is in maintenance mode (for example a throughput upgrade);"
        " retry later.",
        backoff=Backoff.SLOW,
    ),
    (_META, 131062): _row(
        "BSUID recipient not supported",
        RetryAction.FIX_REQUEST,
        "Authentication messages (one-tap, zero-tap, copy code) go to phone numbers only, not"
        " to business-scoped user IDs; address it to the phone number (wa_id).",
        source=_META_BSUID,
    ),
    (_META, 131063): _row(
        "Marketing templates disabled for Cloud API",
        RetryAction.ACCOUNT_ACTION,
        "Marketing templates cannot be sent through the Cloud API's /messages for this"
        " account; send them to /<PHONE_NUMBER_ID>/marketing_messages (Marketing Messages"
        " API), routing by each template's latest category.",
        source=_META_ROUTING,
    ),
    (_META, 131064): _row(
        "Messaging limit reached after template classification violations",
        RetryAction.RETRY_TOMORROW,
        "The messaging limit was lowered after template category violations; retry once, a"
        " day later, and review template categories.",
        backoff=Backoff.NEXT_DAY,
        source=_PYWA,
    ),
    # --- Meta: Direct Send (issue #15) --------------------------------------------------------
    (_META, 139200): _row(
        "Direct Send access blocked",
        RetryAction.ACCOUNT_ACTION,
        "Direct Send utility or authentication access is blocked for this account (its"
        " messages performed badly after sending); send an approved template instead.",
        source=_META_DIRECT_SEND,
    ),
    (_META, 2388318): _row(
        "Can't update a Direct Send template",
        RetryAction.FIX_REQUEST,
        "Templates generated by Direct Send (source AUTO_GENERATED) cannot be edited.",
        source=_META_DIRECT_SEND,
    ),
    (_META, 2388330): _row(
        "Can't delete a Direct Send template",
        RetryAction.FIX_REQUEST,
        "Templates generated by Direct Send (source AUTO_GENERATED) cannot be deleted.",
        source=_META_DIRECT_SEND,
    ),
    # --- Meta: templates and Flows ----------------------------------------------------------
    (_META, 132000): _row(
        "Template parameter count mismatch",
        RetryAction.FIX_TEMPLATE,
        "The number of parameters differs from the template's variables; send the right"
        " parameters.",
    ),
    (_META, 132001): _row(
        "Template does not exist",
        RetryAction.FIX_TEMPLATE,
        "No approved template has this name in this language; check name, language and approval.",
    ),
    (_META, 132005): _row(
        "Template hydrated text too long",
        RetryAction.FIX_TEMPLATE,
        "The text with parameters filled in is too long; shorten the parameters.",
    ),
    (_META, 132007): _row(
        "Template format character policy violated",
        RetryAction.FIX_TEMPLATE,
        "The template content violates WhatsApp policy; change the template.",
    ),
    (_META, 132008): _row(
        "Template parameter value invalid",
        RetryAction.FIX_TEMPLATE,
        "A parameter value is formatted incorrectly; fix the parameter values.",
    ),
    (_META, 132012): _row(
        "Template parameter format mismatch",
        RetryAction.FIX_TEMPLATE,
        "A parameter does not match the format the template expects; fix the parameters.",
    ),
    (_META, 132015): _row(
        "Template is paused",
        RetryAction.FIX_TEMPLATE,
        "The template is paused for low quality; wait until it is unpaused or use another"
        " template.",
    ),
    (_META, 132016): _row(
        "Template is disabled",
        RetryAction.FIX_TEMPLATE,
        "The template was disabled after repeated pauses; create a new template.",
    ),
    (_META, 132068): _row(
        "Flow is blocked",
        RetryAction.FIX_TEMPLATE,
        "The Flow is blocked; fix the Flow before sending it again.",
    ),
    (_META, 132069): _row(
        "Flow is throttled",
        RetryAction.RETRY_AFTER,
        "The Flow is throttled (10 messages an hour were already sent with it); retry later.",
        backoff=Backoff.SLOW,
    ),
    # --- Meta: registration and other -----------------------------------------------------
    (_META, 133004): _row(
        "Server temporarily unavailable",
        RetryAction.RETRY_AFTER,
        "A Meta server is temporarily unavailable; retry after a short wait.",
        backoff=Backoff.TRANSIENT,
    ),
    (_META, 133010): _row(
        "Phone number not registered",
        RetryAction.ACCOUNT_ACTION,
        "The phone number is not registered with the Cloud API; register it.",
    ),
    (_META, 133016): _row(
        "Account register or deregister rate limit exceeded",
        RetryAction.RETRY_AFTER,
        "Too many register or deregister attempts for this number; retry hours later.",
        backoff=Backoff.SLOW,
    ),
    (_META, 135000): _row(
        "Generic user error",
        RetryAction.FIX_REQUEST,
        "The request failed for an unknown reason on the request's side; check it and"
        " contact Meta support if it persists.",
    ),
    (_META, 137000): _row(
        "Recipient identity key hash mismatch",
        RetryAction.FIX_REQUEST,
        "The user's identity key changed since the hash was taken; confirm the user's"
        " identity, then send with the new hash.",
        source=_PYWA,
    ),
    # --- Meta: Groups API -------------------------------------------------------------------
    (_META, 131020): _row(
        "Bad group",
        RetryAction.FIX_REQUEST,
        "Messages cannot be sent to a group with a single member.",
        source=_META_GROUPS,
    ),
    (_META, 131041): _row(
        "Group unknown",
        RetryAction.RECIPIENT_UNREACHABLE,
        "The group does not exist or the business is not a member of it.",
        source=_META_GROUPS,
    ),
    (_META, 131204): _row(
        "Participant overlimit",
        RetryAction.FIX_REQUEST,
        "The group would exceed its participant limit.",
        source=_META_GROUPS,
    ),
    (_META, 131207): _row(
        "Group suspended",
        RetryAction.RECIPIENT_UNREACHABLE,
        "The group was suspended for violating platform policies.",
        source=_META_GROUPS,
    ),
    (_META, 131208): _row(
        "Group rate limit hit",
        RetryAction.RETRY_AFTER,
        "Too many group operations from this number in a short time; retry after a backoff.",
        backoff=Backoff.THROUGHPUT,
        source=_META_GROUPS,
    ),
    (_META, 131211): _row(
        "Group create limit reached",
        RetryAction.ACCOUNT_ACTION,
        "The number already has the most groups it may create; remove groups first.",
        source=_META_GROUPS,
    ),
    # --- Twilio -----------------------------------------------------------------------------
    (_TWILIO, 20429): _row(
        "Too many requests",
        RetryAction.RETRY_AFTER,
        "The account sent too many concurrent REST requests; Twilio did not process this one,"
        " so retry after a backoff.",
        backoff=Backoff.THROUGHPUT,
        source=_twilio(20429, "Too many requests"),
    ),
    (_TWILIO, 21211): _row(
        "Invalid 'To' phone number",
        RetryAction.FIX_REQUEST,
        "The To number is not a valid phone number; fix it (whatsapp:+E.164).",
        source=_twilio(21211, "Invalid 'To' phone number", reported=True),
    ),
    (_TWILIO, 63003): _row(
        "Channel could not find To address",
        RetryAction.RECIPIENT_UNREACHABLE,
        "WhatsApp could not find the recipient; do not retry, reach them another way.",
        source=_TWILIO_MAPPING,
    ),
    (_TWILIO, 63005): _row(
        "Channel did not accept given content",
        RetryAction.FIX_REQUEST,
        "WhatsApp rejected the content (or the recipient is not a valid WhatsApp user); check"
        " the content and the recipient.",
        source=_twilio(63005, "Channel did not accept given content"),
    ),
    (_TWILIO, 63012): _row(
        "Channel generic error",
        RetryAction.RETRY_AFTER,
        "WhatsApp reported an internal error; retry a few times with backoff.",
        backoff=Backoff.TRANSIENT,
        source=_TWILIO_MAPPING,
    ),
    (_TWILIO, 63013): _row(
        "Channel policy violation",
        RetryAction.FIX_REQUEST,
        "The message violates WhatsApp's policy; change the content.",
        source=_twilio(63013, "Channel policy violation"),
    ),
    (_TWILIO, 63016): _row(
        "Outside the allowed window",
        RetryAction.USE_TEMPLATE,
        "The customer service window is closed; send a template with ContentSid and"
        " ContentVariables instead of Body.",
        source=_twilio(63016, "Failed to send freeform message outside the allowed window"),
    ),
    (_TWILIO, 63018): _row(
        "Rate limit exceeded for channel",
        RetryAction.RETRY_TOMORROW,
        "The sender's WhatsApp messaging limit (or the account's rate) was exceeded; retry"
        " once, no sooner than 24 hours later.",
        backoff=Backoff.NEXT_DAY,
        source=_twilio(63018, "Rate limit exceeded for channel"),
    ),
    (_TWILIO, 63021): _row(
        "Channel invalid content",
        RetryAction.FIX_REQUEST,
        "WhatsApp rejected the content (unsupported media, or template text over 1024"
        " characters); fix the content.",
        source=_twilio(63021, "Channel invalid content error"),
    ),
    (_TWILIO, 63024): _row(
        "Invalid message recipient",
        RetryAction.RECIPIENT_UNREACHABLE,
        "The recipient is not a valid WhatsApp user; do not retry, reach them another way.",
        source=_TWILIO_MAPPING,
    ),
    (_TWILIO, 63032): _row(
        "User's number is part of an experiment",
        RetryAction.RECIPIENT_UNREACHABLE,
        "Meta held this marketing message back because the user is in an experiment; do not"
        " retry it.",
        source=_TWILIO_MAPPING,
    ),
    (_TWILIO, 63033): _row(
        "Recipient opted out of marketing messages",
        RetryAction.STOP_OPTED_OUT,
        "The user stopped marketing messages from this business; send no more marketing"
        " templates to them. Utility and authentication templates still go.",
        source=_TWILIO_63033,
    ),
    (_TWILIO, 63049): _row(
        "Meta chose not to deliver this WhatsApp marketing message",
        RetryAction.RETRY_TOMORROW,
        "Meta held this marketing message back (per-user marketing limit; US numbers get no"
        " marketing templates since 2025-04-01); retry once, no sooner than 24 hours later,"
        " never for US numbers.",
        backoff=Backoff.NEXT_DAY,
        source=_twilio(63049, "Meta chose not to deliver this WhatsApp marketing message"),
    ),
    (_TWILIO, 63051): _row(
        "WhatsApp Business Account locked",
        RetryAction.ACCOUNT_ACTION,
        "The WhatsApp Business Account is locked or restricted; resolve it with Meta.",
        source=_twilio(63051, "WhatsApp Business Account locked", reported=True),
    ),
    (_TWILIO, 63112): _row(
        "Meta business account disabled",
        RetryAction.ACCOUNT_ACTION,
        "Meta disabled the business account; resolve it with Meta.",
        source=_twilio(63112, "Meta business account disabled", reported=True),
    ),
    (_TWILIO, 63119): _row(
        "Meta rate limit exceeded",
        RetryAction.RETRY_AFTER,
        "Meta rate-limited the account; wait a bit and try again.",
        backoff=Backoff.APP_RATE,
        source=_twilio(63119, "Meta rate limit exceeded"),
    ),
}
"""Every known error code by `(provider, code)`, with its meaning and what to do.

Codes in `ERROR_CODE_RANGES` are not repeated here.
"""

ERROR_CODE_RANGES: Final[tuple[tuple[Provider, range, ErrorInfo], ...]] = (
    (
        _META,
        range(200, 300),
        _row(
            "API Permission",
            RetryAction.ACCOUNT_ACTION,
            "The permission was never granted or has been removed; re-grant it to the app.",
        ),
    ),
)
"""Blocks of codes that share one meaning, as `(provider, codes, row)`."""


def _not_sent(title: str, reason: str, *, source: Source = _NO_RETRY_ON_TIMEOUT) -> ErrorInfo:
    """A transport failure before the request left: nothing was sent, retry after a backoff."""
    return ErrorInfo(
        title=title,
        action=RetryAction.RETRY_AFTER,
        backoff=Backoff.TRANSIENT,
        reach=Reach.NOT_REACHED,
        reason=reason,
        source=source,
    )


def _maybe_sent(title: str, reason: str) -> ErrorInfo:
    """A transport failure after the request may have reached the platform: reconcile first."""
    return ErrorInfo(
        title=title,
        action=RetryAction.RECONCILE,
        backoff=Backoff.NONE,
        reach=Reach.UNKNOWN,
        reason=reason,
        source=_NO_RETRY_ON_TIMEOUT,
    )


TRANSPORT_FAILURES: Final[dict[TransportFailure, ErrorInfo]] = {
    TransportFailure.DNS_ERROR: _not_sent(
        "DNS error",
        "The host name did not resolve, so nothing was sent; retry after a backoff.",
    ),
    TransportFailure.CONNECT_ERROR: _not_sent(
        "Connection error",
        "No connection could be made, so nothing was sent; retry after a backoff.",
    ),
    TransportFailure.CONNECT_TIMEOUT: _not_sent(
        "Connect timeout",
        "The connection was not established in time, so nothing was sent; retry after a backoff.",
        source=_CONNECT_TIMEOUT_SAFE,
    ),
    TransportFailure.TLS_ERROR: _not_sent(
        "TLS error",
        "The TLS handshake failed before the request was sent; retry after a backoff"
        " (and check certificates if it persists).",
    ),
    TransportFailure.WRITE_TIMEOUT: _maybe_sent(
        "Write timeout",
        "Sending timed out part-way and the platform may have the whole request;"
        " find out whether the message went out before resending.",
    ),
    TransportFailure.READ_TIMEOUT: _maybe_sent(
        "Read timeout",
        "The request was sent and no answer came in time; the message may have gone"
        " out, so find out before resending.",
    ),
    TransportFailure.CONNECTION_RESET_AFTER_SEND: _maybe_sent(
        "Connection reset after send",
        "The connection dropped after the request was sent; the message may have gone"
        " out, so find out before resending.",
    ),
    TransportFailure.HTTP_5XX_WITHOUT_BODY: _maybe_sent(
        "HTTP 5xx without an error body",
        "A gateway answered 5xx without the platform's error body; the platform may"
        " have sent the message, so find out before resending.",
    ),
}
"""Every transport failure with what it implies and what to do."""

_UNKNOWN_SOURCE: Final[dict[Provider, Source]] = {
    Provider.META: _META_ERRORS,
    Provider.TWILIO: _TWILIO_ERRORS,
}
_US_MARKETING_131049: Final = ErrorInfo(
    title="Marketing templates not delivered to US numbers",
    action=RetryAction.RECIPIENT_UNREACHABLE,
    backoff=Backoff.NONE,
    reason="Since 2025-04-01 WhatsApp delivers no marketing template to a United States number"
    " (+1 and a US area code); do not retry it. Utility and authentication templates still go.",
    source=_US_MARKETING_PAUSE,
)
"""131049 for a recipient in the United States: Meta's US marketing pause, not the per-user
limit (`classify_error(..., region="US")`)."""
_US_131049: Final = (Provider.META, 131049, "US")

_TOO_MANY_REQUESTS: Final = 429
_SERVER_ERRORS: Final = range(500, 600)
_HTTP_STATUSES: Final = range(100, 600)


def classify_error(
    provider: Provider | str,
    code: int | str,
    *,
    http_status: int | None = None,
    retry_after: float | timedelta | None = None,
    attempt: int = 0,
    region: str | None = None,
) -> RetryDecision:
    """Return what to do after the platform answered a send with an error code.

    A known code is classified by its row in `ERROR_CODES` (or `ERROR_CODE_RANGES`), whatever
    the HTTP status: Meta asks integrators to branch on the code, and the same status carries
    many codes. An unknown code gets a conservative default, `RetryAction.UNKNOWN` (no automatic
    retry), which `http_status` alone may refine: 429 means a rate limit (retry after a short
    backoff), a 5xx a server fault (retry with a bounded backoff).

    For a retryable action, `delay` is the row's `Backoff` at `attempt`, but never shorter than
    `retry_after` (the platform's `Retry-After`) and never longer than `MAX_RETRY_DELAY`.

    Args:
        provider: Who answered.
        code: The error code; decimal text is accepted, since relays send it as a string.
        http_status: The HTTP status of the answer, if it came synchronously.
        retry_after: The `Retry-After` the answer carried, in seconds or as a duration.
        attempt: How many earlier tries of this same request failed (0 the first time).
        region: The recipient's region (ISO 3166 code), if known. Meta answers a marketing
            template to a United States number with 131049, the per-user limit's code: with
            `region="US"` that code is classified as the US marketing pause (do not retry),
            otherwise as the per-user limit (retry once after 24 hours).

    Raises:
        InvalidValueError: `code` is negative or not a whole number, `attempt` is negative,
            `retry_after` is negative or not finite, `http_status` is not an HTTP status,
            `region` is not text, or `provider` is not a `Provider`.
    """
    provider = member("provider", Provider, provider)
    number = _code(code)
    _attempt(attempt)
    wait = _retry_after(retry_after)
    if http_status is not None and (
        not isinstance(http_status, int)
        or isinstance(http_status, bool)
        or http_status not in _HTTP_STATUSES
    ):
        raise InvalidValueError("http_status", http_status, "expected an HTTP status, 100-599")
    if region is not None and not isinstance(region, str):
        raise InvalidValueError("region", region, "expected an ISO 3166 region code")
    info = _lookup(provider, number)
    if (provider, number, region) == _US_131049:
        info = _US_MARKETING_131049
    known = info is not None
    if info is None:
        info = _unknown(provider, number, http_status)
    return RetryDecision(
        action=info.action,
        delay=_delay(info, attempt, wait),
        reach=info.reach,
        provider=provider,
        code=number,
        known=known,
        backoff=info.backoff,
        title=info.title,
        reason=info.reason,
        source=info.source,
    )


def classify_transport_failure(
    failure: TransportFailure | str, *, attempt: int = 0
) -> RetryDecision:
    """Return what to do after a send failed with no answer from the platform.

    Failures before the request left (DNS, connect, TLS) are retried with a bounded backoff;
    failures after it may have left are `RetryAction.RECONCILE`: neither Meta nor Twilio takes
    an idempotency key, so a blind resend can deliver the message twice.

    Args:
        failure: What went wrong.
        attempt: How many earlier tries of this same request failed (0 the first time).

    Raises:
        InvalidValueError: `failure` is not a `TransportFailure` or `attempt` is negative.
    """
    failure = member("failure", TransportFailure, failure)
    _attempt(attempt)
    info = TRANSPORT_FAILURES[failure]
    return RetryDecision(
        action=info.action,
        delay=_delay(info, attempt, None),
        reach=info.reach,
        provider=None,
        code=None,
        failure=failure,
        known=True,
        backoff=info.backoff,
        title=info.title,
        reason=info.reason,
        source=info.source,
    )


def _code(code: object) -> int:
    """Return `code` as a non-negative int, accepting decimal text."""
    if isinstance(code, str):
        number = decimal_digits(code.strip())
        if number is None:
            raise InvalidValueError(
                "code", code, "expected a non-negative whole number of at most 100 digits"
            )
        return number
    if not isinstance(code, int) or isinstance(code, bool):
        raise InvalidValueError("code", code, "expected a whole number or its decimal text")
    if code < 0 or code >= _TOO_MANY_DIGITS:
        raise InvalidValueError(
            "code", code, "expected a non-negative whole number of at most 100 digits"
        )
    return code


_TOO_MANY_DIGITS: Final = 10**100


def _attempt(attempt: object) -> None:
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 0:
        raise InvalidValueError("attempt", attempt, "expected a whole number, 0 or more")


def _retry_after(value: object) -> timedelta | None:
    """Return a `Retry-After` as a duration, or raise naming the field."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise InvalidValueError("retry_after", value, "must not be negative")
        return value
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise InvalidValueError("retry_after", value, "expected seconds or a timedelta")
    if not math.isfinite(value) or value < 0:
        raise InvalidValueError("retry_after", value, "expected a finite number of seconds, >= 0")
    # Beyond the cap the exact number no longer matters; clamping first avoids OverflowError.
    return timedelta(seconds=min(value, MAX_RETRY_DELAY.total_seconds()))


def _lookup(provider: Provider, code: int) -> ErrorInfo | None:
    info = ERROR_CODES.get((provider, code))
    if info is not None:
        return info
    for owner, codes, row in ERROR_CODE_RANGES:
        if owner is provider and code in codes:
            return row
    return None


def _unknown(provider: Provider, code: int, http_status: int | None) -> ErrorInfo:
    """Return the default row for a code the table does not know, refined by the status."""
    source = _UNKNOWN_SOURCE[provider]
    if http_status == _TOO_MANY_REQUESTS:
        return _row(
            "Unknown code, HTTP 429",
            RetryAction.RETRY_AFTER,
            f"Code {code} is not in the table, but HTTP 429 means a rate limit: retry after a"
            " short backoff, and look the code up.",
            backoff=Backoff.THROUGHPUT,
            source=source,
        )
    if http_status in _SERVER_ERRORS:
        return _row(
            f"Unknown code, HTTP {http_status}",
            RetryAction.RETRY_AFTER,
            f"Code {code} is not in the table, but HTTP {http_status} means a server fault:"
            " retry a few times with backoff, and look the code up.",
            backoff=Backoff.TRANSIENT,
            source=source,
        )
    return _row(
        "Unknown code",
        RetryAction.UNKNOWN,
        f"Code {code} is not in the table: do not retry automatically; log it with the"
        " platform's message and look it up.",
        source=source,
    )


def _delay(info: ErrorInfo, attempt: int, retry_after: timedelta | None) -> timedelta | None:
    """Return the wait before a retry: the backoff, at least `retry_after`, at most the cap."""
    backoff = info.backoff.delay(attempt)
    if backoff is None:
        return None
    if retry_after is not None:
        backoff = max(backoff, retry_after)
    return min(backoff, MAX_RETRY_DELAY)
