"""The emulator: Meta's Cloud API and Twilio's Messages endpoint, rules included, sans I/O.

Theory of operation
-------------------
`Emulator` is one object holding what the platform knows about one business phone number:
a `Conversation` per user, a `TemplateState` per template, the number's `AccountHealth`, a
`LimitLedger` of the messaging limit, and token buckets for throughput and pair rate (the
core's own `TokenBucket`). `handle(request)` takes one HTTP request as plain values and returns
one reply as plain values; the adapters (`mock_transport`, `asgi_app`) only translate. So the
rules the emulator enforces are the library's own answers (`decide`, `check_parameters`,
`TokenBucket`), asked from the platform's side: what the library predicts, the emulator does.

A send passes the checks in this order, and the first that fails answers:

1. the access token (Meta 190) or the account's basic auth (Twilio 20003);
2. the request itself (Meta 100, Twilio 21211 / 21602);
3. an injected fault, drawn from the seeded `Faults` (see `_faults`);
4. the number's throughput (Meta 130429, HTTP 429; Twilio queues instead);
5. the template: unknown (132001), paused (132015), disabled (132016), its parameters
   (`check_parameters`: 132000, 132012, ...);
6. `decide` over the user's conversation, the account and the messaging limit: outside the
   customer service window (131047 / 63016), marketing stopped (131050), then the pair rate
   (131056).

A message that passes is accepted (Meta 200, Twilio 201) and gets status webhooks at virtual
instants after it: sent, delivered, read; or failed, for what the platform only finds out later
(the messaging limit, a user not on WhatsApp or who blocked the number, 131026 / 63024). Twilio
reports every channel error this way (TRANSPORT.md 4.1); Meta reports those two.

Time is virtual: `now` moves only by `advance` (or `sleep`, the same thing for a client's
injectable sleeper), unless the emulator runs on real time (`realtime=True`, what the `emulate`
command does). Webhooks due by `now` go out on `flush()`; `settle()` moves time to the last one
and sends them all.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import re
import threading
import time
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import attrs

from wa_outbound._account import (
    AccountHealth,
    DirectSendAccessChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
)
from wa_outbound._conversation import Conversation
from wa_outbound._decide import decide
from wa_outbound._decision import Reason
from wa_outbound._errors import InvalidValueError, TemplateFormatError
from wa_outbound._facts import (
    InboundMessageReceived,
    MarketingResumed,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    Provider,
)
from wa_outbound._ids import PhoneNumberId, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._ledger import LimitLedger, LimitScopeKey
from wa_outbound._pacing import ThroughputClass, TokenBucket
from wa_outbound._rules import Rules, rules_at
from wa_outbound._taxonomy import ERROR_CODES
from wa_outbound._time import UTC, utc
from wa_outbound.templates import (
    Template,
    TemplateCategory,
    TemplateParameters,
    TemplateState,
    TemplateStatus,
    TemplateStatusChanged,
    check_parameters,
    template_from_graph,
    template_to_graph,
)
from wa_outbound.testing._exchange import EmulatorReply, EmulatorRequest
from wa_outbound.testing._faults import FaultKind, Faults
from wa_outbound.testing._hooks import WebhookDelivery, meta_delivery, twilio_delivery
from wa_outbound.webhooks import TWILIO_CALLBACK_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "DEFAULT_GRAPH_VERSION",
    "EmulatedMessage",
    "Emulator",
    "Tally",
]

DEFAULT_GRAPH_VERSION: Final = "v26.0"
"""The Graph API version the emulator names in URLs it builds (any `vNN.N` is served)."""

_META: Final = Provider.META
_TWILIO: Final = Provider.TWILIO
_START: Final = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
_TWILIO_API: Final = "2010-04-01"
_ERROR_DOCS: Final = (
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes"
)
_FREE_FORM_TYPES: Final = frozenset(
    {
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "interactive",
        "location",
        "contacts",
        "reaction",
    }
)
_MEDIA_TYPES: Final = frozenset({"image", "audio", "video", "document", "sticker"})
_KIND_OF_CATEGORY: Final = {
    TemplateCategory.MARKETING: SendKind.MARKETING_TEMPLATE,
    TemplateCategory.UTILITY: SendKind.UTILITY_TEMPLATE,
    TemplateCategory.AUTHENTICATION: SendKind.AUTHENTICATION_TEMPLATE,
}
_PRICING_CATEGORY: Final = {
    SendKind.FREE_FORM: "service",
    SendKind.MARKETING_TEMPLATE: "marketing",
    SendKind.UTILITY_TEMPLATE: "utility",
    SendKind.AUTHENTICATION_TEMPLATE: "authentication",
}
_TITLES: Final = {
    2: "Service temporarily unavailable",
    190: "Invalid OAuth access token - Cannot parse access token",
    2500: "Unknown path components",
}
"""Titles of the Graph codes the emulator answers that the taxonomy does not list."""
_HTTP_STATUS: Final = {2: 503, 190: 401, 130429: 429, 131000: 500}
"""Meta's HTTP status by code where it is not 400 (TRANSPORT.md 2.2)."""
_TWILIO_MESSAGES: Final = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21656: "The ContentVariables Parameter is invalid.",
    63007: "Twilio could not find a Channel with the specified From address",
}
_TWILIO_STATUS: Final = {20003: 401, 20404: 404, 20429: 429, 20500: 500}


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


# (code, answered in the HTTP reply?) per rule. Meta answers most at once and fails the
# messaging limit, undeliverable users and the per-user marketing limit in a status webhook;
# Twilio fails every channel error in a status callback (TRANSPORT.md 4.1). Meta documents no
# code of its own for the messaging limit: 131048 is the Cloud counterpart of the On-Premises
# code 471 that Twilio maps to 63018 (UNCONFIRMED). Twilio's codes for template states and
# marketing stops are the mapping page's nearest (UNCONFIRMED).
_META_CODES: Final[dict[str, tuple[int, bool]]] = {
    _Rule.THROUGHPUT: (130429, True),
    _Rule.PAIR_RATE: (131056, True),
    _Rule.WINDOW: (131047, True),
    _Rule.MARKETING_STOPPED: (131050, True),
    _Rule.REGION: (131049, False),
    _Rule.TEMPLATE_UNKNOWN: (132001, True),
    _Rule.TEMPLATE_PAUSED: (132015, True),
    _Rule.TEMPLATE_DISABLED: (132016, True),
    _Rule.PARAMETERS: (132000, True),
    _Rule.UNDELIVERABLE: (131026, False),
    _Rule.LIMIT: (131048, False),
    _Rule.ACCOUNT: (131031, True),
    _Rule.NUMBER: (133010, True),
    _Rule.DIRECT_SEND: (100, True),  # "Direct Send isn't enabled for this account"
}
_TWILIO_CODES: Final[dict[str, tuple[int, bool]]] = {
    _Rule.THROUGHPUT: (20429, True),
    _Rule.PAIR_RATE: (63018, False),
    _Rule.WINDOW: (63016, False),
    _Rule.MARKETING_STOPPED: (63049, False),
    _Rule.REGION: (63049, False),
    _Rule.TEMPLATE_UNKNOWN: (20404, True),
    _Rule.TEMPLATE_PAUSED: (63005, False),
    _Rule.TEMPLATE_DISABLED: (63005, False),
    _Rule.PARAMETERS: (21656, True),
    _Rule.UNDELIVERABLE: (63024, False),
    _Rule.LIMIT: (63018, False),
    _Rule.ACCOUNT: (63051, False),
    _Rule.NUMBER: (63051, False),
    _Rule.DIRECT_SEND: (63051, False),  # the emulated Twilio sends no Direct Send
}

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

_GRAPH_PATH: Final = re.compile(r"^/(?:(v\d+\.\d+)/)?([A-Za-z0-9_.-]+)(?:/([a-z_]+))?/?$")
_TWILIO_PATH: Final = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages(?:/(\w+))?\.json$"
)


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


class Emulator:
    """WhatsApp's Cloud API and Twilio's Messages endpoint for one business number, in memory.

    ```python
    emulator = Emulator(seed=7, on_webhook=received.append)
    emulator.add_template(order_update)
    client = httpx.Client(transport=emulator.mock_transport(), base_url=emulator.graph_url)
    client.post(f"/{emulator.phone_number_id}/messages", json=..., headers=emulator.meta_auth)
    emulator.settle()                       # every status webhook, signed, to `received`
    ```

    Serve it over HTTP with `asgi_app()` (Starlette) or `python -m wa_outbound emulate`.
    Thread-safe: one lock guards every request and control.
    """

    def __init__(  # noqa: PLR0915 - one line per documented option
        self,
        *,
        phone_number_id: str = "106540352242922",
        waba_id: str = "102290129340398",
        portfolio_id: str = "184512934729183",
        display_phone_number: str = "15550100100",
        access_token: str = "EMULATOR_ACCESS_TOKEN",  # noqa: S107 - a test double's token
        app_secret: str = "EMULATOR_APP_SECRET",  # noqa: S107 - a test double's secret
        twilio_account_sid: str = "AC" + "0" * 31 + "1",
        twilio_auth_token: str = "EMULATOR_TWILIO_AUTH_TOKEN",  # noqa: S107 - a test double's
        twilio_key_parameter: str = TWILIO_CALLBACK_KEY,
        start: datetime = _START,
        realtime: bool = False,
        rules: Rules | None = None,
        seed: int = 0,
        faults: Faults | None = None,
        pacing: bool = True,
        throughput_class: ThroughputClass = ThroughputClass.DEFAULT,
        messaging_limit: int | None = None,
        on_webhook: Callable[[WebhookDelivery], object] | None = None,
        webhook_url: str = "",
        batch_size: int = 1,
        duplicates: float = 0.0,
        reorder: bool = False,
        read: bool = True,
        status_delays: tuple[timedelta, timedelta, timedelta] = (
            timedelta(seconds=1),
            timedelta(seconds=2),
            timedelta(seconds=5),
        ),
    ) -> None:
        """Build an emulator for one business number with nothing sent yet.

        Args:
            phone_number_id: The business phone number's ID (in Cloud API URLs).
            waba_id: The WhatsApp Business Account's ID (template URLs, webhooks).
            portfolio_id: The business portfolio's ID (the messaging limit's scope).
            display_phone_number: The number as digits (webhook metadata; Twilio's `From`).
            access_token: The Cloud API bearer token it accepts.
            app_secret: The app secret it signs Meta webhooks with.
            twilio_account_sid: The Twilio account SID it serves.
            twilio_auth_token: The auth token it accepts and signs Twilio callbacks with.
            twilio_key_parameter: The `StatusCallback` query parameter that carries a client's
                idempotency key (`webhooks.TWILIO_CALLBACK_KEY`, as `wa_outbound.twilio` sets it).
            start: The virtual clock's first instant (aware).
            realtime: Whether the clock also follows real time (a server for other processes).
            rules: The rules it enforces; by default the built-in rules in force at `start`.
            seed: Seeds faults, ids and webhook shuffling: the same seed and requests give the
                same answers.
            faults: Which fractions of sends fail (none by default).
            pacing: Whether throughput (130429) and pair rate (131056) are enforced.
            throughput_class: The number's throughput (80 or 1,000 messages per second).
            messaging_limit: Unique users per moving 24 hours outside a window (`None`:
                unlimited).
            on_webhook: Called with every webhook (signed) on `flush`; without it, webhooks
                wait in `outbox` for an adapter to post them.
            webhook_url: Where Meta webhooks go (the app's callback URL).
            batch_size: At most this many statuses per Meta webhook body.
            duplicates: The fraction of statuses sent twice.
            reorder: Whether statuses due together are sent in a shuffled order.
            read: Whether accepted messages are also reported read.
            status_delays: How long after acceptance a message is reported sent, delivered
                and read (and failed, at the first).

        Raises:
            InvalidValueError: An argument is out of its domain.
        """
        self.phone_number_id: Final = PhoneNumberId(phone_number_id).value
        self.waba_id: Final = waba_id
        self.portfolio_id: Final = portfolio_id
        self.display_phone_number: Final = WaId.parse(display_phone_number).value
        self.access_token: Final = access_token
        self.app_secret: Final = app_secret
        if re.fullmatch(r"AC[0-9a-fA-F]{32}", twilio_account_sid) is None:
            raise InvalidValueError(
                "twilio_account_sid", twilio_account_sid, "expected AC + 32 hex"
            )
        self.twilio_account_sid: Final = twilio_account_sid
        self.twilio_auth_token: Final = twilio_auth_token
        self.twilio_key_parameter: Final = twilio_key_parameter
        self.twilio_from: Final = f"whatsapp:+{self.display_phone_number}"
        self._clock = _Clock(utc("start", start), realtime=realtime)
        if rules is not None and not isinstance(rules, Rules):
            raise InvalidValueError("rules", rules, "expected Rules")
        self.rules: Final = rules if rules is not None else rules_at(start)
        self.faults: Final = faults if faults is not None else Faults()
        if not isinstance(self.faults, Faults):
            raise InvalidValueError("faults", faults, "expected Faults")
        if type(batch_size) is not int or batch_size < 1:
            raise InvalidValueError("batch_size", batch_size, "expected a whole number >= 1")
        if isinstance(duplicates, bool) or not 0.0 <= duplicates <= 1.0:
            raise InvalidValueError("duplicates", duplicates, "expected a fraction from 0 to 1")
        self.seed: Final = seed
        self.on_webhook = on_webhook
        self.webhook_url = webhook_url
        self._batch_size = batch_size
        self._duplicates = float(duplicates)
        self._reorder = reorder
        self._read = read
        self._delays = status_delays
        self._pacing = pacing
        self._fault_draws = random.Random(f"{seed}:faults")  # noqa: S311 - not cryptography
        self._hook_draws = random.Random(f"{seed}:webhooks")  # noqa: S311
        self._id_draws = random.Random(f"{seed}:ids")  # noqa: S311
        self._lock = threading.RLock()
        self._business = PhoneNumberId(self.phone_number_id)
        self._conversations: dict[str, Conversation] = {}
        self._undeliverable: dict[str, str] = {}
        self._templates: dict[tuple[str, str], _Template] = {}
        self._by_content_sid: dict[str, tuple[str, str]] = {}
        self._template_ids = 0
        self._account = AccountHealth(phone_number_id=self._business)
        now = self.now
        self._account = self._account.apply_all(
            [
                PhoneNumberStatusChanged(at=now, status=PhoneNumberStatus.CONNECTED),
                QualityRatingChanged(at=now, rating=QualityRating.GREEN),
                MessagingLimitChanged(at=now, limit=MessagingLimit(users=messaging_limit)),
            ]
        )
        scope = LimitScopeKey.under(self.rules, phone_number=self._business, portfolio=portfolio_id)
        self._ledger = LimitLedger(scope=scope, rules=self.rules)
        if not isinstance(throughput_class, ThroughputClass):
            raise InvalidValueError("throughput_class", throughput_class, "a ThroughputClass")
        self.throughput_class: Final = throughput_class
        rate = throughput_class.rate(self.rules)
        # A second's worth at once: Meta documents a rate per second, not an even spacing.
        self._throughput = TokenBucket.per_second(rate, burst=rate)
        self._pairs: dict[str, TokenBucket] = {}
        self._messages: dict[str, EmulatedMessage] = {}
        self._order: list[str] = []
        self._due: list[tuple[datetime, int, str, str]] = []
        self._sequence = 0
        self._pending: list[WebhookDelivery] = []
        self.outbox: Final[list[WebhookDelivery]] = []
        """Webhooks sent with no `on_webhook` to take them, for an adapter to post."""
        self.fault_counts: Final[dict[FaultKind, int]] = dict.fromkeys(FaultKind, 0)
        """How many requests each fault hit."""
        self.requests = 0
        """How many requests the emulator handled."""

    def __repr__(self) -> str:
        """Name the number, the clock and the counts."""
        return (
            f"Emulator(phone_number_id={self.phone_number_id!r}, now={self.now.isoformat()},"
            f" messages={len(self._messages)}, faults={str(self.faults)!r})"
        )

    # --- identities a client needs ------------------------------------------------------

    @property
    def graph_url(self) -> str:
        """The base URL a Cloud API client uses against the in-process transport."""
        return f"https://graph.facebook.com/{DEFAULT_GRAPH_VERSION}"

    @property
    def meta_auth(self) -> dict[str, str]:
        """The `Authorization` header the emulator accepts for the Cloud API."""
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def twilio_auth(self) -> tuple[str, str]:
        """The basic-auth pair the emulator accepts for Twilio."""
        return (self.twilio_account_sid, self.twilio_auth_token)

    @property
    def twilio_messages_path(self) -> str:
        """The path of Twilio's Messages endpoint for the emulated account."""
        return f"/{_TWILIO_API}/Accounts/{self.twilio_account_sid}/Messages.json"

    # --- the clock ----------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The platform's current instant."""
        return self._clock.now()

    def advance(self, delta: timedelta) -> None:
        """Move the clock ahead by `delta` and send the webhooks that fell due.

        Raises:
            InvalidValueError: `delta` is not a `timedelta` of zero or more.
        """
        if not isinstance(delta, timedelta) or delta < timedelta(0):
            raise InvalidValueError("delta", delta, "expected a timedelta of zero or more")
        with self._lock:
            self._clock.advance(delta)
        self.flush()

    def sleep(self, seconds: float) -> None:
        """Move the clock ahead by `seconds`: hand it to a client as its sleeper."""
        self.advance(timedelta(seconds=seconds))

    # --- controls: what users, Meta and operators do ----------------------------------

    def _conversation(self, wa_id: str) -> Conversation:
        found = self._conversations.get(wa_id)
        if found is None:
            found = Conversation(business=self._business, recipient=WaId(wa_id))
        return found

    def user_message(self, user: str, text: str = "Hi", *, name: str = "User") -> str:
        """A user writes to the business: the customer service window opens (or restarts).

        The inbound message goes out as a Meta webhook too. Returns its message id.

        Raises:
            InvalidValueError: `user` is not a phone number.
        """
        wa_id = WaId.parse(user).value
        with self._lock:
            now = self.now
            message_id = self._new_wamid()
            chat = self._conversation(wa_id)
            self._conversations[wa_id] = chat.apply(
                InboundMessageReceived(at=now, message_id=message_id)
            )
            value = {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [
                    {
                        "from": wa_id,
                        "id": message_id,
                        "timestamp": _unix(now),
                        "type": "text",
                        "text": {"body": text},
                    }
                ],
            }
            self._meta_hook("messages", value)
        self.flush()
        return message_id

    def stop_promotions(self, user: str) -> None:
        """A user taps "Stop promotions": marketing templates fail with 131050 from now on."""
        self._preference(user, "stop")

    def resume_promotions(self, user: str) -> None:
        """A user taps "Resume promotions": marketing templates go again."""
        self._preference(user, "resume")

    def _preference(self, user: str, value: str) -> None:
        wa_id = WaId.parse(user).value
        with self._lock:
            now = self.now
            fact = (
                OptOutReceived(at=now, scope=OptOutScope.MARKETING, method="stop promotions")
                if value == "stop"
                else MarketingResumed(at=now)
            )
            self._conversations[wa_id] = self._conversation(wa_id).apply(fact)
            item = {
                "wa_id": wa_id,
                "detail": f"User requested to {value} marketing messages",
                "category": "marketing_messages",
                "value": value,
                "timestamp": _unix(now),
            }
            value_doc = {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "user_preferences": [item],
            }
            self._meta_hook("user_preferences", value_doc)
        self.flush()

    def declare_not_on_whatsapp(self, user: str) -> None:
        """Declare a number that has no WhatsApp: messages to it fail (131026 / 63024)."""
        self._undeliverable[WaId.parse(user).value] = "the number is not a WhatsApp user"

    def block(self, user: str) -> None:
        """A user blocks the business: messages to them fail as undeliverable (131026)."""
        self._undeliverable[WaId.parse(user).value] = "the user blocked the business"

    def add_template(
        self,
        template: Template,
        *,
        status: TemplateStatus = TemplateStatus.APPROVED,
        content_sid: str | None = None,
    ) -> str:
        """Add a template to the account, as Meta lists it; returns its template id.

        Args:
            template: The template (name, language, category, components).
            status: Its status (approved by default).
            content_sid: The Twilio Content SID that sends it (`HX...`); derived from the name
                and language by default.

        Raises:
            InvalidValueError: `template` is not a `Template`.
        """
        if not isinstance(template, Template):
            raise InvalidValueError("template", template, "expected a Template")
        with self._lock:
            self._template_ids += 1
            template_id = template.id or str(990000000000000 + self._template_ids)
            sid = content_sid or _content_sid(template.name, template.language)
            state = TemplateState(
                template_id=template_id, name=template.name, language=template.language
            ).apply(TemplateStatusChanged(at=self.now, event=status.value))
            listed = attrs.evolve(template, id=template_id, status=status.value)
            self._templates[template.name, template.language] = _Template(listed, state, sid)
            self._by_content_sid[sid] = (template.name, template.language)
            return template_id

    def content_sid(self, name: str, language: str) -> str:
        """The Twilio Content SID of a template.

        Raises:
            InvalidValueError: No such template.
        """
        return self._template(name, language).content_sid

    def _template(self, name: str, language: str) -> _Template:
        found = self._templates.get((name, language))
        if found is None:
            raise InvalidValueError("template", (name, language), "no such template")
        return found

    def set_template_status(self, name: str, language: str, event: str) -> None:
        """Meta changes a template's status (`PAUSED`, `DISABLED`, `APPROVED`, ...).

        The `message_template_status_update` webhook goes out too.

        Raises:
            InvalidValueError: No such template.
        """
        with self._lock:
            entry = self._template(name, language)
            now = self.now
            entry.state = entry.state.apply(TemplateStatusChanged(at=now, event=event))
            entry.template = attrs.evolve(entry.template, status=event)
            value = {
                "event": event,
                "message_template_id": int(entry.state.template_id),
                "message_template_name": name,
                "message_template_language": language,
                "reason": "NONE",
                "message_template_category": entry.template.category.value,
            }
            self._meta_hook("message_template_status_update", value, at=now)
        self.flush()

    def pause_template(self, name: str, language: str) -> None:
        """Meta pauses a template for low quality: sends fail with 132015 during the pause."""
        self.set_template_status(name, language, "PAUSED")

    def disable_template(self, name: str, language: str) -> None:
        """Meta disables a template: sends fail with 132016."""
        self.set_template_status(name, language, "DISABLED")

    def approve_template(self, name: str, language: str) -> None:
        """Meta approves (or reinstates) a template."""
        self.set_template_status(name, language, "APPROVED")

    def set_quality(self, rating: QualityRating | str) -> None:
        """Set the number's quality rating (as the phone number fields report it)."""
        value = rating if isinstance(rating, QualityRating) else QualityRating.parse(rating)
        with self._lock:
            self._account = self._account.apply(QualityRatingChanged(at=self.now, rating=value))

    def set_phone_status(self, status: PhoneNumberStatus | str) -> None:
        """Set the number's status; a banned or disconnected number cannot send (133010)."""
        value = status if isinstance(status, PhoneNumberStatus) else PhoneNumberStatus.parse(status)
        with self._lock:
            self._account = self._account.apply(PhoneNumberStatusChanged(at=self.now, status=value))

    def set_messaging_limit(self, users: int | None) -> None:
        """Set the messaging limit: unique users per moving 24 hours (`None`: unlimited)."""
        with self._lock:
            self._account = self._account.apply(
                MessagingLimitChanged(at=self.now, limit=MessagingLimit(users=users))
            )

    def set_direct_send(self, enabled: bool) -> None:  # noqa: FBT001 - one switch
        """Mark the account eligible for Direct Send (`True`) or blocked (`False`, 139200).

        Until marked, a `"category": "utility"` message is refused with 100 "Direct Send isn't
        enabled for this account" (Meta, Direct Send API reference, updated 2026-07-31).
        """
        with self._lock:
            self._account = self._account.apply(
                DirectSendAccessChanged(at=self.now, enabled=enabled)
            )

    @property
    def account(self) -> AccountHealth:
        """What the platform says about the number (quality, status, messaging limit)."""
        return self._account

    def conversation(self, user: str) -> Conversation:
        """The platform's view of the conversation with a user."""
        return self._conversation(WaId.parse(user).value)

    def template_state(self, name: str, language: str) -> TemplateState:
        """The platform's view of a template.

        Raises:
            InvalidValueError: No such template.
        """
        return self._template(name, language).state

    # --- what happened ------------------------------------------------------------------

    @property
    def messages(self) -> tuple[EmulatedMessage, ...]:
        """Every message accepted, in order."""
        return tuple(self._messages[message_id] for message_id in self._order)

    def message(self, message_id: str) -> EmulatedMessage | None:
        """The message with this id, if the emulator accepted it."""
        return self._messages.get(message_id)

    def tally_by_key(self) -> dict[str, Tally]:
        """How many messages each idempotency key got accepted, delivered and failed."""
        return _tally(self.messages, lambda message: message.key)

    def tally_by_content(self) -> dict[tuple[str, str], Tally]:
        """The same, per (recipient, content): for clients that carry no key."""
        return _tally(self.messages, lambda message: (message.recipient, message.content))

    # --- requests -----------------------------------------------------------------------

    def handle(self, request: EmulatorRequest) -> EmulatorReply:
        """Answer one HTTP request as the platform would."""
        with self._lock:
            self.requests += 1
            try:
                reply = self._route(request)
            except _Refused as refused:
                reply = refused.reply
        self.flush()
        return reply

    def _route(self, request: EmulatorRequest) -> EmulatorReply:
        method = request.method.upper()
        if request.path.startswith(_CONTROL_PREFIX):
            return self._control(method, request)
        twilio = _TWILIO_PATH.match(request.path)
        if twilio is not None:
            self._twilio_auth(request, twilio.group(1))
            if method == "POST" and twilio.group(2) is None:
                return self._twilio_send(request)
            if method == "GET" and twilio.group(2) is not None:
                return self._twilio_fetch(twilio.group(2))
            raise _Refused(_twilio_error(20404, f"{method} {request.path}"))
        graph = _GRAPH_PATH.match(request.path)
        if graph is None:
            raise _Refused(self._meta_error(2500, f"Unknown path components: {request.path}"))
        self._meta_auth(request)
        node, edge = graph.group(2), graph.group(3)
        if edge in {"messages", "marketing_messages"} and method == "POST":
            self._node(node, self.phone_number_id)
            return self._meta_send(request, marketing=edge == "marketing_messages")
        if edge == "message_templates":
            self._node(node, self.waba_id)
            return self._templates_endpoint(method, request)
        if edge is None and method == "GET":
            self._node(node, self.phone_number_id)
            return self._phone_number(request)
        raise _Refused(self._meta_error(2500, f"Unknown path components: {request.path}"))

    def _node(self, node: str, expected: str) -> None:
        if node != expected:
            raise _Refused(
                self._meta_error(
                    100,
                    f"Unsupported request. Object with ID '{node}' does not exist, cannot be"
                    " loaded due to missing permissions, or does not support this operation",
                    subcode=33,
                )
            )

    # --- controls over HTTP (for a served emulator) --------------------------------------

    def _control(self, method: str, request: EmulatorRequest) -> EmulatorReply:
        """`/_emulator/...`: the test controls, for tests in another process.

        `POST /_emulator/advance {"seconds": 86400}`, `POST /_emulator/settle`,
        `POST /_emulator/users/{number}/{message|stop_promotions|resume_promotions|block|
        not_on_whatsapp}` (`{"text": ...}` for a message), `POST /_emulator/templates/{name}/
        {language}/status {"event": "PAUSED"}`, `POST /_emulator/account {"messaging_limit":
        250, "quality": "RED", "status": "CONNECTED"}`, `GET /_emulator/messages`.
        """
        parts = request.path.removeprefix(_CONTROL_PREFIX).strip("/").split("/")
        try:
            document = json.loads(request.body) if request.body else {}
        except ValueError:
            document = None
        if not isinstance(document, dict):
            return _control_reply(400, {"error": "expected a JSON object"})
        # Controls call methods that take the lock and flush; the lock is re-entrant.
        try:
            answer = self._run_control(method, parts, document)
        except (InvalidValueError, KeyError, TypeError) as error:
            return _control_reply(400, {"error": str(error)})
        if answer is None:
            return _control_reply(404, {"error": f"no control {method} {request.path}"})
        return _control_reply(200, answer)

    def _run_control(  # noqa: C901, PLR0911
        self, method: str, parts: list[str], document: dict[str, Any]
    ) -> dict[str, Any] | None:
        if method == "GET" and parts == ["messages"]:
            return {"messages": [_message_json(message) for message in self.messages]}
        if method != "POST":
            return None
        if parts == ["advance"]:
            self._clock.advance(timedelta(seconds=float(document["seconds"])))
            return {"now": self.now.isoformat()}
        if parts == ["settle"]:
            self.settle()
            return {"now": self.now.isoformat()}
        if len(parts) == 3 and parts[0] == "users":  # noqa: PLR2004 - users/{number}/{action}
            user, action = parts[1], parts[2]
            actions: dict[str, Callable[[], object]] = {
                "message": lambda: self.user_message(user, str(document.get("text", "Hi"))),
                "stop_promotions": lambda: self.stop_promotions(user),
                "resume_promotions": lambda: self.resume_promotions(user),
                "block": lambda: self.block(user),
                "not_on_whatsapp": lambda: self.declare_not_on_whatsapp(user),
            }
            run = actions.get(action)
            return None if run is None else {"result": run()}
        if len(parts) == 4 and parts[0] == "templates" and parts[3] == "status":  # noqa: PLR2004
            self.set_template_status(parts[1], parts[2], str(document["event"]))
            return {"status": document["event"]}
        if parts == ["account"]:
            if "messaging_limit" in document:
                self.set_messaging_limit(document["messaging_limit"])
            if "quality" in document:
                self.set_quality(str(document["quality"]))
            if "status" in document:
                self.set_phone_status(str(document["status"]))
            return {"quality_rating": self._account.quality_rating.value}
        return None

    # --- Meta ---------------------------------------------------------------------------

    def _meta_auth(self, request: EmulatorRequest) -> None:
        given = request.header("authorization") or ""
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.access_token:
            raise _Refused(self._meta_error(190, "Invalid OAuth 2.0 Access Token", kind="OAuth"))

    def _meta_error(
        self, code: int, details: str, *, subcode: int | None = None, kind: str = "OAuth"
    ) -> EmulatorReply:
        title = _title(code)
        error: dict[str, Any] = {
            "message": f"(#{code}) {title}",
            "type": f"{kind}Exception",
            "code": code,
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        error["fbtrace_id"] = self._fbtrace_id()
        return EmulatorReply(status=_HTTP_STATUS.get(code, 400), body=_dumps({"error": error}))

    def _fbtrace_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "A" + "".join(self._id_draws.choice(alphabet) for _ in range(22))

    def _new_wamid(self) -> str:
        self._sequence += 1
        tail = f"{self._id_draws.getrandbits(64):016X}"
        return f"wamid.HBgL{self.display_phone_number}FQIAERgS{self._sequence:010d}{tail}"

    def _meta_send(  # noqa: C901, PLR0912, PLR0915
        self, request: EmulatorRequest, *, marketing: bool = False
    ) -> EmulatorReply:
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            raise _Refused(self._meta_error(100, "The request body is not JSON")) from None
        if not isinstance(document, dict):
            raise _Refused(self._meta_error(100, "The request body is not a JSON object"))
        if document.get("messaging_product") != "whatsapp":
            raise _Refused(
                self._meta_error(100, "The parameter messaging_product is required", kind="OAuth")
            )
        to = document.get("to")
        if not isinstance(to, str):
            raise _Refused(self._meta_error(100, "The parameter to is required"))
        try:
            wa_id = WaId.parse(to).value
        except InvalidValueError:
            raise _Refused(
                self._meta_error(131009, f"'{to}' is not a valid phone number")
            ) from None
        kind_name = document.get("type", "text")
        if kind_name not in {*_FREE_FORM_TYPES, "template"}:
            raise _Refused(self._meta_error(131051, f"Unsupported message type '{kind_name}'"))
        payload = document.get(kind_name)
        if not isinstance(payload, dict):
            raise _Refused(self._meta_error(131008, f"The parameter {kind_name} is required"))
        key = document.get("biz_opaque_callback_data", "")
        if not isinstance(key, str) or len(key) > 512:  # noqa: PLR2004 - Meta's documented cap
            raise _Refused(
                self._meta_error(100, "biz_opaque_callback_data must be text of at most 512")
            )
        entry: _Template | None = None
        parameters: list[Any] = []
        if kind_name == "text" and not isinstance(payload.get("body"), str):
            raise _Refused(self._meta_error(131008, "The parameter text.body is required"))
        if kind_name in _MEDIA_TYPES and not ({"id", "link"} & payload.keys()):
            raise _Refused(self._meta_error(131008, f"{kind_name} needs an id or a link"))
        if kind_name == "interactive" and not isinstance(payload.get("type"), str):
            raise _Refused(self._meta_error(131008, "The parameter interactive.type is required"))
        if kind_name == "template":
            name = payload.get("name")
            language = payload.get("language")
            code = language.get("code") if isinstance(language, dict) else None
            if not isinstance(name, str) or not isinstance(code, str):
                raise _Refused(
                    self._meta_error(131008, "template.name and template.language.code required")
                )
            components = payload.get("components", [])
            entry = self._templates.get((name, code))
            if entry is None:
                reply = self._meta_error(132001, f"template name ({name}) does not exist in {code}")
                raise _Refused(reply)
            if not isinstance(components, list):
                raise _Refused(self._meta_error(100, "template.components must be a list"))
            parameters = components
        if marketing and (
            entry is None or entry.template.category.current is not TemplateCategory.MARKETING
        ):
            raise _Refused(self._meta_error(100, "/marketing_messages sends marketing templates"))
        direct_send = self._direct_send(document, kind_name)
        content = _canonical({"type": kind_name, kind_name: payload})
        fault = self._fault()
        if fault is not None and not fault.accepted:
            return self._meta_fault(fault)
        verdict = self._admit(wa_id, entry, parameters, _META, direct_send=direct_send)
        if isinstance(verdict, tuple):
            rule, detail, own_code = verdict
            if rule == _Rule.DIRECT_SEND and self._account.direct_send is False:
                own_code = 139200
            raise _Refused(self._meta_error(own_code or _META_CODES[rule][0], detail))
        message = self._accept(
            verdict, wa_id=wa_id, key=key, content=content, provider=_META, entry=entry
        )
        if fault is not None:  # READ_TIMEOUT: accepted, the answer is lost
            return EmulatorReply(status=0, fault=fault)
        body = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [{"id": message.id, "message_status": "accepted"}],
        }
        return EmulatorReply(status=200, body=_dumps(body))

    def _direct_send(self, document: dict[str, Any], kind_name: str) -> bool:
        """Whether the body is a Direct Send (`category`, `ttl_seconds`); refuse a bad one."""
        category = document.get("category")
        ttl = document.get("ttl_seconds")
        if category is None:
            if ttl is not None:
                detail = "The request included one or more unsupported or misspelled parameters"
                raise _Refused(self._meta_error(100, detail))
            return False
        if category != "utility" or kind_name == "template":
            raise _Refused(self._meta_error(100, f"Unsupported category {category!r}"))
        low = int(self.rules.direct_send_ttl_min.value.total_seconds())
        high = int(self.rules.direct_send_ttl_max.value.total_seconds())
        if ttl is not None and (type(ttl) is not int or not low <= ttl <= high):
            detail = f"The time-to-live value must be from {low} to {high}"
            raise _Refused(self._meta_error(100, detail))
        return True

    def _meta_fault(self, fault: FaultKind) -> EmulatorReply:
        if fault is FaultKind.RATE_LIMITED:
            reply = self._meta_error(130429, "Cloud API message throughput has been reached")
            return attrs.evolve(reply, fault=fault)
        if fault is FaultKind.SERVER_ERROR:
            reply = self._meta_error(2, "Service temporarily unavailable", kind="OAuth")
            return attrs.evolve(reply, fault=fault)
        return EmulatorReply(status=0, fault=fault)

    def _fault(self) -> FaultKind | None:
        if not self.faults.total:
            return None
        fault = self.faults.pick(self._fault_draws.random())
        if fault is not None:
            self.fault_counts[fault] += 1
        return fault

    # --- the rules ----------------------------------------------------------------------

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
            code, at_once = (_META_CODES if provider is _META else _TWILIO_CODES)[rule]
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
                if _META_CODES[_Rule.PAIR_RATE][1] and provider is _META:
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
        codes = _META_CODES if provider is _META else _TWILIO_CODES
        error_code: int | None = None
        error_detail = ""
        if verdict.later is not None:
            rule, error_detail = verdict.later
            error_code = codes[rule][0]
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

    # --- Twilio -------------------------------------------------------------------------

    def _twilio_auth(self, request: EmulatorRequest, account_sid: str) -> None:
        import base64  # noqa: PLC0415 - only Twilio requests need it

        given = request.header("authorization") or ""
        scheme, _, encoded = given.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        if (
            scheme.lower() != "basic"
            or user != self.twilio_account_sid
            or password != self.twilio_auth_token
            or account_sid != self.twilio_account_sid
        ):
            raise _Refused(_twilio_error(20003, "Authentication Error - invalid username"))

    def _new_sid(self) -> str:
        self._sequence += 1
        return f"SM{self._sequence:016x}{self._id_draws.getrandbits(64):016x}"

    def _twilio_send(self, request: EmulatorRequest) -> EmulatorReply:  # noqa: C901
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        to = form.get("To", "")
        if not to.startswith("whatsapp:"):
            raise _Refused(
                _twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")
            )
        try:
            wa_id = WaId.parse(to).value
        except InvalidValueError:
            raise _Refused(
                _twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")
            ) from None
        sender = form.get("From", "")
        if sender != self.twilio_from and not form.get("MessagingServiceSid"):
            raise _Refused(_twilio_error(63007, f"From {sender}"))
        entry: _Template | None = None
        parameters = TemplateParameters()
        sid = form.get("ContentSid", "")
        if sid:
            found = self._by_content_sid.get(sid)
            if found is None:
                raise _Refused(_twilio_error(20404, f"Content {sid} was not found"))
            entry = self._templates[found]
            try:
                variables = json.loads(form.get("ContentVariables") or "{}")
            except ValueError:
                variables = None
            if not isinstance(variables, dict) or not all(
                isinstance(value, str) for value in variables.values()
            ):
                raise _Refused(_twilio_error(21656, "ContentVariables is not a JSON object"))
            parameters = _twilio_parameters(entry.template, variables)
        elif not form.get("Body") and not form.get("MediaUrl"):
            raise _Refused(_twilio_error(21602, "Body, MediaUrl or ContentSid is required"))
        callback = form.get("StatusCallback", "")
        key = ""
        if callback:
            values = parse_qs(urlsplit(callback).query).get(self.twilio_key_parameter)
            key = values[0] if values else ""
        content = _canonical(
            {name: form.get(name, "") for name in ("Body", "MediaUrl", "ContentSid")}
            | {"ContentVariables": _canonical_text(form.get("ContentVariables", ""))}
        )
        fault = self._fault()
        if fault is not None and not fault.accepted:
            return _twilio_fault(fault)
        verdict = self._admit(wa_id, entry, parameters, _TWILIO)
        if isinstance(verdict, tuple):
            rule, detail, _code = verdict
            raise _Refused(_twilio_error(_TWILIO_CODES[rule][0], detail))
        message = self._accept(
            verdict,
            wa_id=wa_id,
            key=key,
            content=content,
            provider=_TWILIO,
            entry=entry,
            status_callback=callback,
        )
        if fault is not None:
            return EmulatorReply(status=0, fault=fault)
        return EmulatorReply(status=201, body=_dumps(self._twilio_resource(message, form)))

    def _twilio_resource(
        self, message: EmulatedMessage, form: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        form = form or {}
        status = message.statuses[-1] if message.statuses else "queued"
        if message.error_code is not None and "failed" in message.statuses:
            status = "failed"
        stamp = format_datetime(message.accepted_at, usegmt=True)
        return {
            "sid": message.id,
            "account_sid": self.twilio_account_sid,
            "to": f"whatsapp:+{message.recipient}",
            "from": self.twilio_from,
            "body": form.get("Body", ""),
            "status": status,
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": _TWILIO_API,
            "price": None,
            "price_unit": "USD",
            "error_code": message.error_code if status == "failed" else None,
            "error_message": message.error_detail if status == "failed" else None,
            "messaging_service_sid": form.get("MessagingServiceSid") or None,
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": None,
            "uri": f"/{_TWILIO_API}/Accounts/{self.twilio_account_sid}/Messages/{message.id}.json",
        }

    def _twilio_fetch(self, sid: str) -> EmulatorReply:
        message = self._messages.get(sid)
        if message is None or message.provider is not _TWILIO:
            raise _Refused(_twilio_error(20404, f"Message {sid} was not found"))
        return EmulatorReply(status=200, body=_dumps(self._twilio_resource(message)))

    # --- templates and the phone number -----------------------------------------------

    def _templates_endpoint(self, method: str, request: EmulatorRequest) -> EmulatorReply:
        query = dict(request.query)
        if method == "GET":
            return self._list_templates(query)
        if method == "DELETE":
            name = query.get("name", "")
            doomed = [key for key in self._templates if key[0] == name]
            if not doomed:
                raise _Refused(self._meta_error(100, f"Template {name!r} not found"))
            for key in doomed:
                entry = self._templates.pop(key)
                self._by_content_sid.pop(entry.content_sid, None)
            return EmulatorReply(status=200, body=_dumps({"success": True}))
        if method == "POST":
            try:
                template = template_from_graph(json.loads(request.body or b"null"))
            except (ValueError, TemplateFormatError) as error:
                raise _Refused(self._meta_error(100, str(error))) from None
            if (template.name, template.language) in self._templates:
                raise _Refused(
                    self._meta_error(
                        100,
                        f"Content in this language already exists for {template.name}",
                        subcode=2388024,
                    )
                )
            template_id = self.add_template(template)
            body = {"id": template_id, "status": "APPROVED", "category": template.category.value}
            return EmulatorReply(status=200, body=_dumps(body))
        raise _Refused(self._meta_error(2500, f"Unsupported method {method}"))

    def _list_templates(self, query: Mapping[str, str]) -> EmulatorReply:
        entries = sorted(self._templates.values(), key=lambda e: int(e.state.template_id))
        if "name" in query:
            entries = [e for e in entries if e.template.name == query["name"]]
        try:
            limit = max(1, min(int(query.get("limit", "25")), 1000))
            start = int(query.get("after", "0") or "0")
        except ValueError:
            raise _Refused(self._meta_error(100, "limit and after must be numbers")) from None
        page = entries[start : start + limit]
        data = [template_to_graph(entry.template) for entry in page]
        body: dict[str, Any] = {"data": data, "paging": {"cursors": {"before": str(start)}}}
        end = start + len(page)
        body["paging"]["cursors"]["after"] = str(end)
        if end < len(entries):
            query_text = urlencode({**query, "limit": str(limit), "after": str(end)})
            body["paging"]["next"] = (
                f"{self.graph_url}/{self.waba_id}/message_templates?{query_text}"
            )
        return EmulatorReply(status=200, body=_dumps(body))

    def _phone_number(self, request: EmulatorRequest) -> EmulatorReply:
        query = dict(request.query)
        account = self._account
        limit = account.messaging_limit
        tier = "TIER_UNLIMITED" if limit is None or limit.users is None else _tier(limit.users)
        fields: dict[str, Any] = {
            "verified_name": "Emulated Business",
            "display_phone_number": f"+{self.display_phone_number}",
            "quality_rating": account.quality_rating.value,
            "status": account.phone_status.value,
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "throughput": {
                "level": "HIGH" if self.throughput_class is ThroughputClass.UPGRADED else "STANDARD"
            },
            "whatsapp_business_manager_messaging_limit": tier,
            "messaging_limit_tier": tier,
            "platform_type": "CLOUD_API",
        }
        wanted = [name.strip() for name in query.get("fields", "").split(",") if name.strip()]
        if wanted:
            fields = {name: fields[name] for name in wanted if name in fields}
        return EmulatorReply(status=200, body=_dumps({**fields, "id": self.phone_number_id}))

    # --- webhooks -----------------------------------------------------------------------

    def _metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }

    def _meta_hook(
        self, field: str, value: Mapping[str, Any], *, at: datetime | None = None
    ) -> None:
        delivery = meta_delivery(
            self.webhook_url,
            self.app_secret,
            waba_id=self.waba_id,
            field=field,
            value=value,
            time=None if at is None else int(at.timestamp()),
        )
        self._pending.append(delivery)

    def take_due(self) -> list[WebhookDelivery]:
        """Return the webhooks due by `now` (signed, batched), marking their statuses reported.

        `flush` calls it and hands them on; call it directly to send them yourself.
        """
        with self._lock:
            now = self.now
            due: list[tuple[str, str]] = []
            while self._due and self._due[0][0] <= now:
                _, _, message_id, status = heapq.heappop(self._due)
                due.append((message_id, status))
            for message_id, status in due:
                statuses = self._messages[message_id].statuses
                if status not in statuses:
                    statuses.append(status)
            if self._duplicates:
                due += [item for item in due if self._hook_draws.random() < self._duplicates]
            if self._reorder:
                self._hook_draws.shuffle(due)
            deliveries = self._pending.copy()
            self._pending.clear()
            deliveries += self._status_deliveries(due)
            return deliveries

    def _status_deliveries(self, due: list[tuple[str, str]]) -> list[WebhookDelivery]:
        deliveries: list[WebhookDelivery] = []
        meta: list[dict[str, Any]] = []
        for message_id, status in due:
            message = self._messages[message_id]
            if message.provider is _TWILIO:
                if message.status_callback:
                    deliveries.append(self._twilio_callback(message, status))
                continue
            meta.append(self._meta_status(message, status))
        for start in range(0, len(meta), self._batch_size):
            batch = meta[start : start + self._batch_size]
            value = {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "statuses": batch,
            }
            deliveries.append(
                meta_delivery(
                    self.webhook_url,
                    self.app_secret,
                    waba_id=self.waba_id,
                    field="messages",
                    value=value,
                    statuses=len(batch),
                )
            )
        return deliveries

    def _meta_status(self, message: EmulatedMessage, status: str) -> dict[str, Any]:
        when = self._status_instant(message, status)
        item: dict[str, Any] = {
            "id": message.id,
            "status": status,
            "timestamp": _unix(when),
            "recipient_id": message.recipient,
        }
        if message.key:
            item["biz_opaque_callback_data"] = message.key
        item["pricing"] = {
            "billable": message.billable,
            "pricing_model": "PMP",
            "category": _PRICING_CATEGORY[message.kind],
            "type": message.pricing_type,
        }
        if status == "failed" and message.error_code is not None:
            title = _title(message.error_code)
            item["errors"] = [
                {
                    "code": message.error_code,
                    "title": title,
                    "message": title,
                    "error_data": {"details": message.error_detail},
                    "href": _ERROR_DOCS,
                }
            ]
        return item

    def _status_instant(self, message: EmulatedMessage, status: str) -> datetime:
        sent, delivered, read = self._delays
        offset = {"sent": sent, "failed": sent, "delivered": delivered, "read": read}[status]
        return message.accepted_at + offset

    def _twilio_callback(self, message: EmulatedMessage, status: str) -> WebhookDelivery:
        params = {
            "AccountSid": self.twilio_account_sid,
            "ApiVersion": _TWILIO_API,
            "ChannelPrefix": "whatsapp",
            "ChannelToAddress": f"+{message.recipient}",
            "From": self.twilio_from,
            "MessageSid": message.id,
            "MessageStatus": status,
            "SmsSid": message.id,
            "SmsStatus": status,
            "To": f"whatsapp:+{message.recipient}",
        }
        if status == "failed" and message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
            params["ErrorMessage"] = message.error_detail
        return twilio_delivery(message.status_callback, self.twilio_auth_token, params)

    def flush(self) -> list[WebhookDelivery]:
        """Send the webhooks due by `now`: to `on_webhook`, or into `outbox`; returns them."""
        deliveries = self.take_due()
        for delivery in deliveries:
            if self.on_webhook is not None:
                self.on_webhook(delivery)
            else:
                self.outbox.append(delivery)
        return deliveries

    def settle(self) -> list[WebhookDelivery]:
        """Move the clock to the last scheduled status and send every webhook; returns them."""
        with self._lock:
            if self._due:
                last = max(item[0] for item in self._due)
                if last > self.now:
                    self._clock.advance(last - self.now)
        return self.flush()

    # --- adapters -----------------------------------------------------------------------

    def mock_transport(self) -> Any:  # noqa: ANN401 - httpx.MockTransport, imported late
        """An `httpx.MockTransport` over this emulator, for `httpx.Client` and `AsyncClient`.

        Faults without a reply raise the matching httpx errors (`ConnectError`, `ReadError`,
        `ReadTimeout`). Needs `httpx` (the `http` extra).
        """
        from wa_outbound.testing._transport import mock_transport  # noqa: PLC0415 - httpx

        return mock_transport(self)

    def asgi_app(self, **options: Any) -> Any:  # noqa: ANN401 - a Starlette app, imported late
        """A Starlette ASGI app over this emulator (needs the `emulator` extra).

        Args:
            **options: Passed to `wa_outbound.testing.emulator_app`.
        """
        from wa_outbound.testing._asgi import emulator_app  # noqa: PLC0415 - starlette

        return emulator_app(self, **options)


@attrs.frozen(kw_only=True)
class _Verdict:
    kind: SendKind
    window_open: bool
    free_entry_point: bool
    later: tuple[str, str] | None


_CONTROL_PREFIX: Final = "/_emulator/"


def _control_reply(status: int, document: object) -> EmulatorReply:
    return EmulatorReply(status=status, body=_dumps(document))


def _message_json(message: EmulatedMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "provider": message.provider.value,
        "recipient": message.recipient,
        "kind": message.kind.value,
        "key": message.key,
        "accepted_at": message.accepted_at.isoformat(),
        "error_code": message.error_code,
        "statuses": list(message.statuses),
    }


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


def _twilio_parameters(template: Template, variables: Mapping[str, str]) -> TemplateParameters:
    if template.named:
        return TemplateParameters(body=dict(variables))
    keys = sorted(variables, key=lambda key: (not key.isdigit(), int(key) if key.isdigit() else 0))
    return TemplateParameters(body=tuple(variables[key] for key in keys))


def _twilio_error(code: int, detail: str) -> EmulatorReply:
    status = _TWILIO_STATUS.get(code, 400)
    body = {
        "code": code,
        "message": f"{_TWILIO_MESSAGES.get(code, _title(code, Provider.TWILIO))} ({detail})",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return EmulatorReply(status=status, body=_dumps(body))


def _twilio_fault(fault: FaultKind) -> EmulatorReply:
    if fault is FaultKind.RATE_LIMITED:
        return attrs.evolve(_twilio_error(20429, "Too many requests"), fault=fault)
    if fault is FaultKind.SERVER_ERROR:
        return attrs.evolve(_twilio_error(20500, "Internal Server Error"), fault=fault)
    return EmulatorReply(status=0, fault=fault)


def _title(code: int, provider: Provider = _META) -> str:
    row = ERROR_CODES.get((provider, code))
    if row is not None:
        return row.title
    return _TITLES.get(code, "Unknown error")


def _tier(users: int) -> str:
    names = {250: "TIER_250", 1000: "TIER_1K", 2000: "TIER_2K", 10000: "TIER_10K"}
    return names.get(users, "TIER_100K" if users == 100_000 else f"TIER_{users}")  # noqa: PLR2004


def _content_sid(name: str, language: str) -> str:
    return "HX" + hashlib.sha256(f"{name}:{language}".encode()).hexdigest()[:32]


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
