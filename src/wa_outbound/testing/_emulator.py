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

Layout: `Emulator` (here: its options, the controls, routing, the clock) is built of private
parts, one module each: `_platform` (the state they share, the values, the ids), `_enforcement`
(the rules and their codes), `_cloud_api` (Meta's send and phone-number endpoints),
`_template_api` (Meta's template endpoint), `_twilio_api` (Twilio's Messages endpoint) and
`_emission` (the webhooks and status callbacks).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import re
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

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
from wa_outbound._errors import InvalidValueError
from wa_outbound._facts import InboundMessageReceived, MarketingResumed, OptOutReceived, OptOutScope
from wa_outbound._ids import PhoneNumberId, WaId
from wa_outbound._ledger import LimitLedger, LimitScopeKey
from wa_outbound._pacing import ThroughputClass, TokenBucket
from wa_outbound._rules import Rules, rules_at
from wa_outbound._time import UTC, utc
from wa_outbound.templates import Template, TemplateState, TemplateStatus, TemplateStatusChanged
from wa_outbound.testing._emission import _Emission
from wa_outbound.testing._exchange import EmulatorReply, EmulatorRequest
from wa_outbound.testing._faults import FaultKind, Faults
from wa_outbound.testing._platform import (
    _TWILIO_API,
    EmulatedMessage,
    Tally,
    _Clock,
    _dumps,
    _Refused,
    _tally,
    _Template,
    _unix,
)
from wa_outbound.testing._template_api import _TemplateApi
from wa_outbound.testing._twilio_api import _twilio_error, _TwilioApi
from wa_outbound.webhooks import TWILIO_CALLBACK_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

    from wa_outbound._conversation import Conversation
    from wa_outbound.testing._hooks import WebhookDelivery


__all__ = [
    "DEFAULT_GRAPH_VERSION",
    "EmulatedMessage",
    "Emulator",
    "Tally",
]

DEFAULT_GRAPH_VERSION: Final = "v26.0"
"""The Graph API version the emulator names in URLs it builds (any `vNN.N` is served)."""

_START: Final = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

_GRAPH_PATH: Final = re.compile(r"^/(?:(v\d+\.\d+)/)?([A-Za-z0-9_.-]+)(?:/([a-z_]+))?/?$")
_TWILIO_PATH: Final = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages(?:/(\w+))?\.json$"
)


class Emulator(_Emission, _TemplateApi, _TwilioApi):
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


def _content_sid(name: str, language: str) -> str:
    return "HX" + hashlib.sha256(f"{name}:{language}".encode()).hexdigest()[:32]
