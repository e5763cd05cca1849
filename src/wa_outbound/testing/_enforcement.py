"""The platform's rules: which send is refused at once, which fails later, with which code.

`_Enforcement._admit` asks the library's own `decide` and `check_parameters` from the
platform's side; `_accept` records an accepted message and schedules its statuses.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._account import MessagingLimit
from wa_outbound._decide import decide
from wa_outbound._decision import Reason
from wa_outbound._errors import InvalidValueError, TemplateFormatError
from wa_outbound._facts import OutboundMessageSent, Provider
from wa_outbound._ids import WaId
from wa_outbound._kinds import SendKind
from wa_outbound._pacing import TokenBucket
from wa_outbound._taxonomy import ERROR_CODES
from wa_outbound.templates import (
    TemplateCategory,
    TemplateParameters,
    TemplateState,
    TemplateStatus,
    check_parameters,
)
from wa_outbound.testing._platform import _META, EmulatedMessage, _Platform, _Template

if TYPE_CHECKING:
    from datetime import datetime

    from wa_outbound.testing._faults import FaultKind

_KIND_OF_CATEGORY: Final = {
    TemplateCategory.MARKETING: SendKind.MARKETING_TEMPLATE,
    TemplateCategory.UTILITY: SendKind.UTILITY_TEMPLATE,
    TemplateCategory.AUTHENTICATION: SendKind.AUTHENTICATION_TEMPLATE,
}


_TITLES: Final = {
    2: "Service temporarily unavailable",
    190: "Invalid OAuth access token - Cannot parse access token",
    2500: "Unknown path components",
}
"""Titles of the Graph codes the emulator answers that the taxonomy does not list."""


class _Rule:
    """What the platform refuses or fails a message for; each provider answers with its code."""

    THROUGHPUT: Final = "throughput"
    PAIR_RATE: Final = "pair_rate"
    WINDOW: Final = "window"
    MARKETING_STOPPED: Final = "marketing_stopped"
    REGION: Final = "region"
    TEMPLATE_UNKNOWN: Final = "template_unknown"
    TEMPLATE_PAUSED: Final = "template_paused"
    TEMPLATE_DISABLED: Final = "template_disabled"
    PARAMETERS: Final = "parameters"
    UNDELIVERABLE: Final = "undeliverable"
    LIMIT: Final = "limit"
    ACCOUNT: Final = "account"
    NUMBER: Final = "number"
    DIRECT_SEND: Final = "direct_send"


# Per rule, Meta's (code, answered in the HTTP reply?), then Twilio's. Meta answers most at once
# and fails the messaging limit, undeliverable users and the per-user marketing limit in a status
# webhook; Twilio fails every channel error in a status callback (TRANSPORT.md 4.1). Meta
# documents no code of its own for the messaging limit: 131048 is the Cloud counterpart of the
# On-Premises code 471 that Twilio maps to 63018 (UNCONFIRMED). A marketing stop is Twilio's
# 63033 ("a WhatsApp template that is categorized as Marketing to a recipient who has opted out
# of receiving your marketing messages", twilio.com/docs/api/errors/63033; REPORTED: Twilio's
# mapping page still lists it as deprecated); 63049 is Meta holding a marketing message back
# (per-user limit, US block). Twilio documents no code for a paused or disabled template:
# 63005 is the mapping page's nearest (UNCONFIRMED).
_CODES: Final[dict[str, tuple[tuple[int, bool], tuple[int, bool]]]] = {
    _Rule.THROUGHPUT: ((130429, True), (20429, True)),
    _Rule.PAIR_RATE: ((131056, True), (63018, False)),
    _Rule.WINDOW: ((131047, True), (63016, False)),
    _Rule.MARKETING_STOPPED: ((131050, True), (63033, False)),
    _Rule.REGION: ((131049, False), (63049, False)),
    _Rule.TEMPLATE_UNKNOWN: ((132001, True), (20404, True)),
    _Rule.TEMPLATE_PAUSED: ((132015, True), (63005, False)),
    _Rule.TEMPLATE_DISABLED: ((132016, True), (63005, False)),
    _Rule.PARAMETERS: ((132000, True), (21656, True)),
    _Rule.UNDELIVERABLE: ((131026, False), (63024, False)),
    _Rule.LIMIT: ((131048, False), (63018, False)),
    _Rule.ACCOUNT: ((131031, True), (63051, False)),
    _Rule.NUMBER: ((133010, True), (63051, False)),
    # Meta: "Direct Send isn't enabled for this account"; the emulated Twilio sends no Direct Send
    _Rule.DIRECT_SEND: ((100, True), (63051, False)),
}


def _code_for(rule: str, provider: Provider) -> tuple[int, bool]:
    """The code `provider` answers `rule` with, and whether it answers in the HTTP reply."""
    meta, twilio = _CODES[rule]
    return meta if provider is _META else twilio


_DECISION_RULES: Final = (
    (Reason.NUMBER_UNAVAILABLE, _Rule.NUMBER),
    (Reason.DIRECT_SEND_UNAVAILABLE, _Rule.DIRECT_SEND),
    (Reason.DIRECT_SEND_NOT_ENABLED, _Rule.DIRECT_SEND),
    (Reason.ACCOUNT_RESTRICTED, _Rule.ACCOUNT),
    (Reason.TEMPLATE_PAUSED, _Rule.TEMPLATE_PAUSED),
    (Reason.TEMPLATE_NOT_SENDABLE, _Rule.TEMPLATE_UNKNOWN),
    (Reason.WINDOW_CLOSED, _Rule.WINDOW),
    (Reason.WINDOW_NEVER_OPENED, _Rule.WINDOW),
    (Reason.WINDOW_CLOSED_BY_PLATFORM, _Rule.WINDOW),
    (Reason.MARKETING_OPTED_OUT, _Rule.MARKETING_STOPPED),
    (Reason.MARKETING_BLOCKED_IN_REGION, _Rule.REGION),
    (Reason.MESSAGING_LIMIT_REACHED, _Rule.LIMIT),
)
"""Which decision reasons the platform enforces, in the order it checks them. The business's
own opt-in record (`NO_OPT_IN`) is not the platform's business, and a full "STOP" is a keyword
the business honours, not one the platform sees."""


@attrs.frozen(kw_only=True)
class _Verdict:
    kind: SendKind
    window_open: bool
    free_entry_point: bool
    later: tuple[str, str] | None


class _Enforcement(_Platform):
    """The checks a send passes, and what an accepted send becomes."""

    def _fault(self) -> FaultKind | None:
        if not self.faults.total:
            return None
        fault = self.faults.pick(self._fault_draws.random())
        if fault is not None:
            self.fault_counts[fault] += 1
        return fault

    def _admit(  # noqa: C901, PLR0912 - one branch per rule, in the platform's order
        self,
        wa_id: str,
        entry: _Template | None,
        parameters: list[Any] | TemplateParameters,
        provider: Provider,
        *,
        direct_send: bool = False,
    ) -> tuple[str, str, int | None] | _Verdict:
        """Check a send against the platform's rules.

        Returns:
            `(rule, detail, code)` for a send refused at once (`code` overrides the rule's
            code: a parameter problem's own), or the verdict of an accepted send (which may
            still fail later).
        """
        now = self.now
        if self._pacing and provider is _META and self._throughput.peek(now) > now:
            return (_Rule.THROUGHPUT, "Cloud API message throughput has been reached", None)
        kind = SendKind.DIRECT_SEND if direct_send else SendKind.FREE_FORM
        problem: tuple[str, str, int | None] | None = None
        if entry is not None:
            kind = _KIND_OF_CATEGORY[entry.template.category.current]
            try:
                check = check_parameters(entry.template, parameters, rules=self.rules)
            except (TemplateFormatError, InvalidValueError) as error:
                problem = (_Rule.PARAMETERS, str(error), 131008 if provider is _META else None)
            else:
                if not check.ok:
                    first = check.problems[0]
                    code = first.error_code if provider is _META else None
                    problem = (_Rule.PARAMETERS, str(first), code)
        conversation = self._conversation(wa_id)
        decision = decide(
            conversation,
            kind,
            now=now,
            rules=self.rules,
            template=entry.state if entry is not None else None,
            account=self._account,
            ledger=self._ledger,
            limit=self._account.messaging_limit or MessagingLimit.unlimited(),
        )
        codes = set(decision.codes)
        later: tuple[str, str] | None = None
        for reason, rule in _DECISION_RULES:
            if reason not in codes:
                continue
            if rule == _Rule.TEMPLATE_UNKNOWN and entry is not None:
                rule = _template_rule(entry.state)  # noqa: PLW2901 - refined
            detail = next(r.message for r in decision.reasons if r.code is reason)
            code, at_once = _code_for(rule, provider)
            if rule in {_Rule.WINDOW, _Rule.MARKETING_STOPPED} and problem is not None:
                return problem
            if at_once:
                return (rule, detail, None)
            if later is None:
                later = (rule, detail)
        if problem is not None:
            return problem
        if self._pacing:
            bucket = self._pairs.get(wa_id)
            if bucket is not None and bucket.peek(now) > now:
                detail = "Message failed to send because there were too many messages sent from"
                detail += " this phone number to the same phone number in a short period of time"
                if _code_for(_Rule.PAIR_RATE, provider)[1]:
                    return (_Rule.PAIR_RATE, detail, None)
                later = later or (_Rule.PAIR_RATE, detail)
        if later is None and wa_id in self._undeliverable:
            later = (_Rule.UNDELIVERABLE, self._undeliverable[wa_id])
        return _Verdict(
            kind=kind,
            window_open=decision.service_window_open,
            free_entry_point=decision.free_entry_point,
            later=later,
        )

    def _accept(
        self,
        verdict: _Verdict,
        *,
        wa_id: str,
        key: str,
        content: str,
        provider: Provider,
        entry: _Template | None,
        status_callback: str = "",
    ) -> EmulatedMessage:
        now = self.now
        message_id = self._new_wamid() if provider is _META else self._new_sid()
        error_code: int | None = None
        error_detail = ""
        if verdict.later is not None:
            rule, error_detail = verdict.later
            error_code = _code_for(rule, provider)[0]
        billable, pricing_type = _pricing(verdict)
        message = EmulatedMessage(
            id=message_id,
            provider=provider,
            recipient=wa_id,
            kind=verdict.kind,
            key=key,
            content=content,
            accepted_at=now,
            error_code=error_code,
            error_detail=error_detail,
            status_callback=status_callback,
            template=None if entry is None else (entry.template.name, entry.template.language),
            billable=billable and error_code is None,
            pricing_type=pricing_type,
        )
        self._messages[message_id] = message
        self._order.append(message_id)
        if self._pacing:
            self._throughput.admit(now)
            self._pairs.setdefault(
                wa_id,
                TokenBucket(
                    interval=self.rules.pair_rate_interval.value,
                    burst=self.rules.pair_rate_burst.value,
                ),
            ).admit(now)
        sent, delivered, read = self._delays
        if error_code is not None:
            self._schedule(now + sent, message_id, "failed")
            return message
        self._conversations[wa_id] = self._conversation(wa_id).apply(
            OutboundMessageSent(at=now, message_id=message_id)
        )
        if verdict.kind is not SendKind.FREE_FORM:
            self._ledger.record(WaId(wa_id), now, window_open=verdict.window_open)
        self._schedule(now + sent, message_id, "sent")
        self._schedule(now + delivered, message_id, "delivered")
        if self._read:
            self._schedule(now + read, message_id, "read")
        return message

    def _schedule(self, due: datetime, message_id: str, status: str) -> None:
        self._sequence += 1
        heapq.heappush(self._due, (due, self._sequence, message_id, status))


_FREE_IN_WINDOW: Final = {SendKind.FREE_FORM, SendKind.UTILITY_TEMPLATE, SendKind.DIRECT_SEND}


def _pricing(verdict: _Verdict) -> tuple[bool, str]:
    if verdict.free_entry_point:
        return False, "free_entry_point"
    if verdict.window_open and verdict.kind in _FREE_IN_WINDOW:
        return False, "free_customer_service"
    return True, "regular"


def _template_rule(state: TemplateState) -> str:
    if state.status is TemplateStatus.DISABLED:
        return _Rule.TEMPLATE_DISABLED
    if state.status is TemplateStatus.PAUSED:
        return _Rule.TEMPLATE_PAUSED
    return _Rule.TEMPLATE_UNKNOWN


def _title(code: int, provider: Provider = _META) -> str:
    row = ERROR_CODES.get((provider, code))
    if row is not None:
        return row.title
    return _TITLES.get(code, "Unknown error")
