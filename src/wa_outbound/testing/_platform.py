"""The emulator's shared state and values: accepted messages, tallies, templates, the clock.

`_Platform` is the base of the emulator's parts (see `_emulator`): it declares the state they
share and draws the platform's ids (`wamid....`, Twilio `SM...`, `fbtrace_id`).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._conversation import Conversation
from wa_outbound._errors import InvalidValueError
from wa_outbound._facts import Provider
from wa_outbound._ids import PhoneNumberId, WaId
from wa_outbound._kinds import SendKind
from wa_outbound.templates import Template, TemplateState

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from wa_outbound._account import AccountHealth
    from wa_outbound._ledger import LimitLedger
    from wa_outbound._pacing import ThroughputClass, TokenBucket
    from wa_outbound._rules import Rules
    from wa_outbound.testing._exchange import EmulatorReply
    from wa_outbound.testing._faults import FaultKind, Faults
    from wa_outbound.testing._hooks import WebhookDelivery


__all__ = ["EmulatedMessage", "Tally"]


_META: Final = Provider.META
_TWILIO: Final = Provider.TWILIO
_TWILIO_API: Final = "2010-04-01"


@attrs.define
class EmulatedMessage:
    """One message the emulator accepted, and what became of it (read it, do not change it)."""

    id: str
    """The platform's id (`wamid....` or Twilio `SM...`)."""
    provider: Provider
    """Which API it came through."""
    recipient: str
    """The user's WhatsApp ID (digits)."""
    kind: SendKind
    """What was sent."""
    key: str
    """The client's idempotency key: `biz_opaque_callback_data`, or the Twilio `StatusCallback`
    URL's key parameter ("" when none)."""
    content: str
    """The message content, canonical JSON (two sends of the same content are equal)."""
    accepted_at: datetime
    """When the emulator accepted it."""
    error_code: int | None = None
    """The code of the failure the platform reports later, if it fails."""
    error_detail: str = ""
    """Why it fails."""
    status_callback: str = ""
    """Twilio's `StatusCallback` URL ("" for Meta or none)."""
    template: tuple[str, str] | None = None
    """The template's (name, language), for a template message."""
    statuses: list[str] = attrs.field(factory=list)
    """The statuses reported so far, in the order first reported."""
    billable: bool = True
    """Whether the message is charged (in the pricing block of its webhooks)."""
    pricing_type: str = "regular"
    """The pricing block's `type` (`regular`, `free_customer_service`, `free_entry_point`)."""

    @property
    def delivered(self) -> bool:
        """Whether the platform reported it delivered."""
        return "delivered" in self.statuses

    @property
    def failed(self) -> bool:
        """Whether the platform fails (or failed) it."""
        return self.error_code is not None


@attrs.frozen(kw_only=True)
class Tally:
    """How many messages with one key (or one recipient and content) the emulator saw."""

    accepted: int = 0
    """Messages accepted."""
    delivered: int = 0
    """Messages reported delivered."""
    failed: int = 0
    """Messages that fail (a failure reported now or due later)."""

    @property
    def exactly_once(self) -> bool:
        """Whether exactly one message was accepted and it was delivered."""
        return self.accepted == 1 and self.delivered == 1


@attrs.define
class _Template:
    template: Template
    state: TemplateState
    content_sid: str


class _Refused(Exception):  # noqa: N818 - control flow inside the emulator, never raised out
    def __init__(self, reply: EmulatorReply) -> None:
        self.reply = reply


class _Clock:
    """Virtual time, optionally following the real clock."""

    def __init__(self, start: datetime, *, realtime: bool) -> None:
        self._start = start
        self._offset = timedelta(0)
        self._realtime = realtime
        self._origin = time.monotonic()

    def now(self) -> datetime:
        now = self._start + self._offset
        if self._realtime:
            now += timedelta(seconds=time.monotonic() - self._origin)
        return now

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


class _Platform:
    """What every part of the emulator reads and changes: set up by `Emulator.__init__`.

    The parts (`_Enforcement`, `_CloudApi`, `_TemplateApi`, `_TwilioApi`, `_Emission`) are
    mixins of `Emulator`; this base declares the state they share, and the ids they draw.
    """

    _business: PhoneNumberId
    _conversations: dict[str, Conversation]
    _undeliverable: dict[str, str]
    _templates: dict[tuple[str, str], _Template]
    _by_content_sid: dict[str, tuple[str, str]]
    _account: AccountHealth
    _ledger: LimitLedger
    _pacing: bool
    _throughput: TokenBucket
    _pairs: dict[str, TokenBucket]
    _messages: dict[str, EmulatedMessage]
    _order: list[str]
    _due: list[tuple[datetime, int, str, str]]
    _sequence: int
    _pending: list[WebhookDelivery]
    _delays: tuple[timedelta, timedelta, timedelta]
    _read: bool
    _batch_size: int
    _duplicates: float
    _reorder: bool
    _fault_draws: random.Random
    _hook_draws: random.Random
    _id_draws: random.Random
    webhook_url: str

    if TYPE_CHECKING:  # `Final` attributes and public members of `Emulator`

        @property
        def phone_number_id(self) -> str: ...
        @property
        def waba_id(self) -> str: ...
        @property
        def display_phone_number(self) -> str: ...
        @property
        def access_token(self) -> str: ...
        @property
        def app_secret(self) -> str: ...
        @property
        def twilio_account_sid(self) -> str: ...
        @property
        def twilio_auth_token(self) -> str: ...
        @property
        def twilio_key_parameter(self) -> str: ...
        @property
        def twilio_from(self) -> str: ...
        @property
        def rules(self) -> Rules: ...
        @property
        def faults(self) -> Faults: ...
        @property
        def fault_counts(self) -> dict[FaultKind, int]: ...
        @property
        def throughput_class(self) -> ThroughputClass: ...
        @property
        def now(self) -> datetime: ...
        @property
        def graph_url(self) -> str: ...
        def add_template(self, template: Template) -> str: ...

    def _conversation(self, wa_id: str) -> Conversation:
        found = self._conversations.get(wa_id)
        if found is None:
            found = Conversation(business=self._business, recipient=WaId(wa_id))
        return found

    def _template(self, name: str, language: str) -> _Template:
        found = self._templates.get((name, language))
        if found is None:
            raise InvalidValueError("template", (name, language), "no such template")
        return found

    def _fbtrace_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "A" + "".join(self._id_draws.choice(alphabet) for _ in range(22))

    def _new_wamid(self) -> str:
        self._sequence += 1
        tail = f"{self._id_draws.getrandbits(64):016X}"
        return f"wamid.HBgL{self.display_phone_number}FQIAERgS{self._sequence:010d}{tail}"

    def _new_sid(self) -> str:
        self._sequence += 1
        return f"SM{self._sequence:016x}{self._id_draws.getrandbits(64):016x}"


def _unix(at: datetime) -> str:
    return str(int(at.timestamp()))


def _dumps(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _canonical(document: object) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _canonical_text(text: str) -> str:
    try:
        return _canonical(json.loads(text)) if text else ""
    except ValueError:
        return text


def _tally(
    messages: tuple[EmulatedMessage, ...], key: Callable[[EmulatedMessage], Any]
) -> dict[Any, Tally]:
    counts: dict[Any, list[int]] = {}
    for message in messages:
        row = counts.setdefault(key(message), [0, 0, 0])
        row[0] += 1
        row[1] += message.delivered
        row[2] += message.failed
    return {k: Tally(accepted=a, delivered=d, failed=f) for k, (a, d, f) in counts.items()}
