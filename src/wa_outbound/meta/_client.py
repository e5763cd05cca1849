"""The Cloud API client: messages as values, the Graph wire, and the sync and async clients.

The messages (`Text`, `Media`, `Interactive`, `TemplateMessage`, `CallPermissionRequest`)
are checked when built and written as Graph JSON when sent; `_CloudApi` holds everything the
two clients share (the wire, the flows), and `CloudApiClient` / `AsyncCloudApiClient` only
drive those flows (`wa_outbound.sending`). Sources: the project's transport notes (Meta's
text-message page, updated 2026-07-02; its error codes page, updated 2026-05-15).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import httpx

from wa_outbound._account import (
    AccountFact,
    AccountHealth,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
)
from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import InvalidValueError, flag, member, whole
from wa_outbound._facts import Provider
from wa_outbound._ids import PhoneNumberId, Recipient, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._pacing import ThroughputClass
from wa_outbound._rules import rules_at
from wa_outbound._template_json import template_to_graph, templates_from_graph
from wa_outbound._template_params import TemplateParameters, check_parameters
from wa_outbound._templates import Template
from wa_outbound.sending._api_error import read_answer
from wa_outbound.sending._flow import (
    AsyncShell,
    Blocking,
    ClientBase,
    Engine,
    Outgoing,
    SyncShell,
    base_url_of,
    non_empty_text,
    recipient_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from datetime import datetime

    from wa_outbound._rules import Rules
    from wa_outbound.sending._flow import RetryHook, SendResult
    from wa_outbound.state import SenderState

__all__ = [
    "DEFAULT_GRAPH_VERSION",
    "GRAPH_URL",
    "AsyncCloudApiClient",
    "CallPermissionRequest",
    "CloudApiClient",
    "Interactive",
    "Media",
    "MediaType",
    "Message",
    "NumberHealth",
    "TemplateMessage",
    "Text",
]

_T = TypeVar("_T")

DEFAULT_GRAPH_VERSION: Final = "v26.0"
"""The Graph API version requests name unless told otherwise: the latest on 2026-07-29."""
GRAPH_URL: Final = "https://graph.facebook.com"
"""Where the Graph API lives."""


def _preview_url(value: object) -> bool:
    return flag("text.preview_url", value)


def _media_type(value: object) -> MediaType:
    return member("media.type", MediaType, value)


@attrs.frozen
class Text:
    """A text message (free-form: only inside the customer service window)."""

    body: str = attrs.field(validator=non_empty_text("text.body"))
    """The text; links are made clickable."""
    preview_url: bool = attrs.field(default=False, kw_only=True, converter=_preview_url)
    """Whether WhatsApp shows a preview of the first link."""

    def to_graph(self) -> dict[str, Any]:
        """Return the message's part of a Graph send body (`type` and its object)."""
        return {"type": "text", "text": {"body": self.body, "preview_url": self.preview_url}}


class MediaType(enum.Enum):
    """Which kind of media a `Media` message carries."""

    IMAGE = "image"
    """A picture."""
    VIDEO = "video"
    """A video."""
    AUDIO = "audio"
    """A sound or voice recording."""
    DOCUMENT = "document"
    """A file (PDF, ...)."""
    STICKER = "sticker"
    """A sticker."""


@attrs.frozen(kw_only=True)
class Media:
    """A media message (free-form): a public `link`, or the `media_id` of an upload."""

    type: MediaType = attrs.field(converter=_media_type)
    """Which kind of media (a `MediaType`, or its value: `"image"`, ...)."""
    link: str = ""
    """A public HTTPS URL of the media."""
    media_id: str = ""
    """The id Meta gave an uploaded media."""
    caption: str = ""
    """A caption (images, videos, documents)."""
    filename: str = ""
    """The file name shown (documents)."""

    def __attrs_post_init__(self) -> None:
        """Refuse both or neither of `link` and `media_id`."""
        if bool(self.link) == bool(self.media_id):
            raise InvalidValueError("media", self, "give exactly one of link and media_id")

    def to_graph(self) -> dict[str, Any]:
        """Return the message's part of a Graph send body (`type` and its object)."""
        media = {"link": self.link} if self.link else {"id": self.media_id}
        if self.caption:
            media["caption"] = self.caption
        if self.filename:
            media["filename"] = self.filename
        return {"type": self.type.value, self.type.value: media}


def _interactive(_instance: object, _attribute: object, value: Any) -> None:  # noqa: ANN401
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise InvalidValueError("interactive", value, "expected a Graph interactive object")


@attrs.frozen
class Interactive:
    """An interactive message (buttons, lists, flows, ...), as Graph's `interactive` object."""

    interactive: Mapping[str, Any] = attrs.field(validator=_interactive)
    """The object, e.g. `{"type": "button", "body": {...}, "action": {"buttons": [...]}}`."""

    def to_graph(self) -> dict[str, Any]:
        """Return the message's part of a Graph send body (`type` and its object)."""
        return {"type": "interactive", "interactive": dict(self.interactive)}


@attrs.frozen
class CallPermissionRequest:
    """Ask the user for permission to call them (free-form; a template outside the window)."""

    body: str = attrs.field(validator=non_empty_text("call_permission_request.body"))
    """Why the business wants to call."""

    def to_graph(self) -> dict[str, Any]:
        """Return the message's part of a Graph send body (`type` and its object)."""
        return Interactive(
            {
                "type": "call_permission_request",
                "action": {"name": "call_permission_request"},
                "body": {"text": self.body},
            }
        ).to_graph()


def _template(_instance: object, _attribute: object, value: Any) -> None:  # noqa: ANN401
    if not isinstance(value, Template):
        raise InvalidValueError("template", value, "expected a Template")


def _parameters(_instance: object, _attribute: object, value: Any) -> None:  # noqa: ANN401
    if not isinstance(value, TemplateParameters):
        raise InvalidValueError("parameters", value, "expected TemplateParameters")


@attrs.frozen
class TemplateMessage:
    """A template message: the template (as Meta lists it) and the values of its variables.

    The values are checked against the template (`check_parameters`) before any request
    leaves; positional and named templates both work.
    """

    template: Template = attrs.field(validator=_template)
    """The template, with its category (which decides the send kind)."""
    parameters: TemplateParameters = attrs.field(factory=TemplateParameters, validator=_parameters)
    """The values of its variables."""

    @property
    def kind(self) -> SendKind:
        """The send kind of the template's category (a legacy category maps to today's)."""
        return _KIND_OF_CATEGORY[self.template.category.current]

    def to_graph(self) -> dict[str, Any]:
        """Return the message's part of a Graph send body (`type` and its object)."""
        template = self.template
        body: dict[str, Any] = {
            "name": template.name,
            "language": {"code": template.language, "policy": "deterministic"},
        }
        components = self.parameters.to_send_components(template=template)
        if components:
            body["components"] = components
        return {"type": "template", "template": body}


_KIND_OF_CATEGORY: Final = {
    TemplateCategory.MARKETING: SendKind.MARKETING_TEMPLATE,
    TemplateCategory.UTILITY: SendKind.UTILITY_TEMPLATE,
    TemplateCategory.AUTHENTICATION: SendKind.AUTHENTICATION_TEMPLATE,
}

Message = Text | Media | Interactive | TemplateMessage | CallPermissionRequest
"""Anything the Cloud API client sends."""


@attrs.frozen(kw_only=True)
class NumberHealth:
    """What the Graph API says about the business phone number, as account facts.

    A value Meta added after this release (a quality rating, status, messaging limit tier or
    throughput level it does not know) never fails the read: it is kept as Meta's text in
    `unrecognised`; an unknown quality rating or status becomes the fact `UNKNOWN` (which
    `decide` treats as unavailable, for a status), an unknown tier no fact at all.
    """

    facts: tuple[AccountFact, ...]
    """Its quality rating, status and messaging limit, each as the fact the core applies."""
    throughput_class: ThroughputClass | None
    """Its throughput (`throughput.level`), when Meta gives one that maps to a class."""
    unrecognised: tuple[tuple[str, str], ...] = ()
    """The fields whose value this release does not know, as `(field, Meta's text)` pairs."""
    recorded: AccountHealth | None = None
    """The number's health as stored after `number_health(record=True)`; `None` otherwise."""

    def health(self, phone_number_id: PhoneNumberId | None = None) -> AccountHealth:
        """Return an `AccountHealth` with every fact applied."""
        health = AccountHealth(phone_number_id=phone_number_id)
        for fact in self.facts:
            health = health.apply(fact)
        return health


_VERSION: Final = re.compile(r"v([0-9]{1,3})\.[0-9]{1,3}")
# Throughput levels: Meta's "Throughput" page (doc/throughput.md in ArielAmzalak/WBAPI_Doc)
# names standard and higher throughput; the Graph SDKs' enum adds NOT_APPLICABLE (no class).
_THROUGHPUT: Final = {
    "STANDARD": ThroughputClass.DEFAULT,
    "HIGH": ThroughputClass.UPGRADED,
    "NOT_APPLICABLE": None,
}
# Meta "Messaging Limits" (doc/messaging-limits.md in ArielAmzalak/WBAPI_Doc): the phone
# number's `whatsapp_business_manager_messaging_limit` for v24.0 and newer replaces the
# deprecated `messaging_limit_tier` (v23.0 and older). Its tiers are `MESSAGING_TIERS`.
_NEW_LIMIT_FIELD: Final = "whatsapp_business_manager_messaging_limit"
_OLD_LIMIT_FIELD: Final = "messaging_limit_tier"
_NEW_LIMIT_SINCE: Final = 24


class _GraphWire:
    """How Graph requests look and how its answers read."""

    provider: Final = Provider.META

    def __init__(self, token: str, base_url: str) -> None:
        self._authorization = f"Bearer {token}"
        self.base_url: Final = base_url

    def __repr__(self) -> str:
        return f"_GraphWire({self.base_url!r})"

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        key: str = "",
        params: dict[str, str] | None = None,
    ) -> httpx.Request:
        if key and body is not None:
            body = {**body, "biz_opaque_callback_data": key}
        return httpx.Request(
            method,
            f"{self.base_url}/{path}",
            json=body,
            params=params,
            headers={"Authorization": self._authorization},
        )

    def read(self, response: httpx.Response, attempt: int) -> dict[str, Any]:
        return read_answer(Provider.META, response, attempt, _graph_error)

    def message_id(self, data: dict[str, Any]) -> str:
        messages = data.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id", ""))
        return ""


def _graph_error(data: dict[str, Any]) -> dict[str, Any] | None:
    """Graph's `{"error": {"code", "error_subcode", "fbtrace_id", "message", ...}}`."""
    error = data.get("error")
    if not isinstance(error, dict):
        return None
    return {
        "code": error.get("code"),
        "subcode": error.get("error_subcode"),
        "fbtrace_id": error.get("fbtrace_id"),
        "message": error.get("message"),
    }


def _token(access_token: object) -> str:
    if not isinstance(access_token, str) or not access_token.strip():
        raise InvalidValueError("access_token", "<hidden>", "missing: pass the access token")
    return access_token


def _direct_send_fields(
    message: Message, *, direct_send: bool, ttl: object, rules: Rules
) -> dict[str, Any]:
    """The fields a Direct Send adds (`category`, `ttl_seconds`); `{}` for a normal send.

    Raises:
        InvalidValueError: A TTL without Direct Send, outside the rules' bounds or not whole
            seconds, or Direct Send of a template message.
    """
    if not direct_send:
        if ttl is not None:
            raise InvalidValueError("ttl", ttl, "a time-to-live needs direct_send=True")
        return {}
    if isinstance(message, TemplateMessage):
        raise InvalidValueError("direct_send", message, "Direct Send sends a normal message")
    fields: dict[str, Any] = {"category": "utility"}
    if ttl is None:
        return fields
    low, high = rules.direct_send_ttl_min.value, rules.direct_send_ttl_max.value
    if not isinstance(ttl, timedelta) or not low <= ttl <= high or ttl % timedelta(seconds=1):
        raise InvalidValueError("ttl", ttl, f"expected whole seconds from {low} to {high}")
    fields["ttl_seconds"] = int(ttl.total_seconds())
    return fields


class _CloudApi(ClientBase):
    """What both Cloud API clients share: the configuration, the wire and the flows."""

    def __init__(
        self,
        *,
        state: SenderState,
        access_token: str,
        phone_number_id: PhoneNumberId,
        http: httpx.Client | httpx.AsyncClient | None = None,
        graph_version: str = DEFAULT_GRAPH_VERSION,
        base_url: str = GRAPH_URL,
        rules: Rules | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Any] | None = None,
        max_attempts: int = 5,
        max_wait: timedelta | None = None,
        hooks: Iterable[RetryHook] = (),
    ) -> None:
        """Configure the client.

        Args:
            state: What the sender knows (decisions, records, the outbox live in its store).
            access_token: A system-user access token; it never appears in a repr, a log line
                or an error.
            phone_number_id: The number to send from; one of `state`'s numbers.
            http: The HTTP client to use: an `httpx.Client` for `CloudApiClient`, an
                `httpx.AsyncClient` for `AsyncCloudApiClient`. By default one is created, with
                timeouts and connection limits set, and closed by `close` / `aclose`.
            graph_version: The Graph API version to name (default `v26.0`).
            base_url: Where the Graph API lives (an emulator's URL in tests).
            rules: The rules to check parameters and pace with; by default those in force.
            clock: Returns the current instant (aware UTC); `datetime.now(UTC)` by default.
            sleep: Waits (pacing, backoff): a function taking seconds, a coroutine function
                for the async client; injectable for tests.
            max_attempts: Requests per send at most, retries included.
            max_wait: The longest backoff the client waits for (15 min by default); a longer
                one is not waited for: the error is raised.
            hooks: Called after every attempt (`RetryHook`).

        Raises:
            InvalidValueError: The token is missing, the number is not one of `state`'s, or
                `http` is not the kind of client this client drives.
        """
        if not isinstance(graph_version, str) or _VERSION.fullmatch(graph_version) is None:
            raise InvalidValueError("graph_version", graph_version, "expected vNN.N, e.g. v26.0")
        wire = _GraphWire(_token(access_token), f"{base_url_of(base_url)}/{graph_version}")
        self._engine = Engine(
            state=state,
            wire=wire,
            clock=clock,
            rules=rules,
            max_attempts=max_attempts,
            max_wait=max_wait,
            hooks=hooks,
        )
        self._shell(http, sleep)
        self.phone_number_id: Final = self._engine.check_business(phone_number_id)
        """The business phone number this client sends from."""
        self.graph_version: Final = graph_version
        """The Graph API version requests name."""
        self._rules = rules
        number = next(n for n in state.numbers if n.phone_number_id == phone_number_id)
        self.waba_id: Final = number.waba_id
        """The WhatsApp Business Account whose templates the client manages."""

    def __repr__(self) -> str:
        """Name the number and the version; never the token."""
        return (
            f"{type(self).__name__}(phone_number_id={self.phone_number_id.value!r},"
            f" graph_version={self.graph_version!r})"
        )

    def _send_flow(
        self,
        to: Recipient | str,
        message: Message,
        *,
        check: bool,
        reply_to: str,
        direct_send: bool = False,
        ttl: timedelta | None = None,
    ) -> Generator[Any, Any, SendResult]:
        recipient = recipient_of(to)
        if not isinstance(
            message, Text | Media | Interactive | TemplateMessage | CallPermissionRequest
        ):
            raise InvalidValueError("message", message, "expected a wa_outbound.meta message")
        rules = self._rules or rules_at(self._engine.clock())
        extra = _direct_send_fields(
            message, direct_send=flag("direct_send", direct_send), ttl=ttl, rules=rules
        )
        template = None
        kind = SendKind.DIRECT_SEND if extra else SendKind.FREE_FORM
        if isinstance(message, TemplateMessage):
            found = check_parameters(message.template, message.parameters, rules=rules)
            if found.problems:
                first = found.problems[0]
                more = "".join(f"; {problem}" for problem in found.problems[1:])
                raise InvalidValueError(
                    f"parameters.{first.path}",
                    message.parameters,
                    f"{first.message} (Meta would answer {first.error_code}){more}",
                )
            template = (message.template.name, message.template.language)
            kind = message.kind
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if isinstance(recipient, WaId):
            body["to"] = recipient.value
        else:
            body["recipient"] = recipient.value
        if reply_to:
            body["context"] = {"message_id": reply_to}
        body.update(message.to_graph())
        body.update(extra)
        outgoing = Outgoing(
            business=self.phone_number_id,
            recipient=recipient,
            kind=kind,
            path=f"{self.phone_number_id.value}/messages",
            body=body,
            template=template,
            marketing_path=(
                f"{self.phone_number_id.value}/marketing_messages" if template is not None else ""
            ),
        )
        return (yield from self._engine.send(outgoing, check=check))

    def _create_flow(self, template: Template) -> Generator[Any, Any, dict[str, Any]]:
        if not isinstance(template, Template):
            raise InvalidValueError("template", template, "expected a Template")
        return (
            yield from self._engine.call(
                "POST", f"{self.waba_id}/message_templates", body=template_to_graph(template)
            )
        )

    def _list_flow(self, page_size: int) -> Generator[Any, Any, list[Template]]:
        page_size = whole("page_size", page_size, 1)
        params = {"limit": str(page_size)}
        found: list[Template] = []
        while True:
            data = yield from self._engine.call(
                "GET", f"{self.waba_id}/message_templates", params=params
            )
            found.extend(templates_from_graph(data))
            paging = data.get("paging")
            after = ""
            if isinstance(paging, dict) and paging.get("next"):
                cursors = paging.get("cursors")
                after = cursors.get("after", "") if isinstance(cursors, dict) else ""
            if not after:
                return found
            params = {**params, "after": str(after)}

    def _delete_flow(self, name: str, template_id: str) -> Generator[Any, Any, None]:
        if not isinstance(name, str) or not name:
            raise InvalidValueError("name", name, "expected a template name")
        params = {"name": name}
        if template_id:
            params["hsm_id"] = template_id
        yield from self._engine.call("DELETE", f"{self.waba_id}/message_templates", params=params)

    def _health_flow(self, record: object) -> Generator[Any, Any, NumberHealth]:
        record = flag("record", record)
        limit_field = _limit_field(self.graph_version)
        fields = f"quality_rating,status,throughput,{limit_field}"
        data = yield from self._engine.call(
            "GET", self.phone_number_id.value, params={"fields": fields}
        )
        report = _number_health(data, self._engine.clock(), limit_field)
        if not record:
            return report
        recorded: AccountHealth = yield Blocking(
            functools.partial(self._engine.state.apply_account, self.phone_number_id, report.facts)
        )
        return attrs.evolve(report, recorded=recorded)


def _limit_field(graph_version: str) -> str:
    """The phone number field that holds the messaging limit in `graph_version`."""
    found = _VERSION.fullmatch(graph_version)
    major = int(found.group(1)) if found is not None else _NEW_LIMIT_SINCE
    return _NEW_LIMIT_FIELD if major >= _NEW_LIMIT_SINCE else _OLD_LIMIT_FIELD


def _number_health(data: Mapping[str, Any], now: datetime, limit_field: str) -> NumberHealth:
    """Read the phone number's fields; a value this release does not know is kept as text."""
    facts: list[AccountFact] = []
    unrecognised: list[tuple[str, str]] = []

    def known(field: str, parse: Callable[[Any], _T], otherwise: _T) -> _T:
        try:
            return parse(data[field])
        except InvalidValueError:
            unrecognised.append((field, str(data[field])))
            return otherwise

    if "quality_rating" in data:
        rating = known("quality_rating", QualityRating.parse, QualityRating.UNKNOWN)
        facts.append(QualityRatingChanged(at=now, rating=rating))
    if "status" in data:
        status = known("status", PhoneNumberStatus.parse, PhoneNumberStatus.UNKNOWN)
        facts.append(PhoneNumberStatusChanged(at=now, status=status))
    field = limit_field if limit_field in data else _OLD_LIMIT_FIELD
    if data.get(field) is not None:

        def tier(value: Any) -> MessagingLimit | None:  # noqa: ANN401 - Meta's JSON
            return MessagingLimit.from_tier(value, field=field)

        limit = known(field, tier, None)
        if limit is not None:
            facts.append(MessagingLimitChanged(at=now, limit=limit))
    throughput = data.get("throughput")
    level = throughput.get("level") if isinstance(throughput, dict) else None
    if level is not None and str(level) not in _THROUGHPUT:
        unrecognised.append(("throughput.level", str(level)))
    return NumberHealth(
        facts=tuple(facts),
        throughput_class=_THROUGHPUT.get(str(level)),
        unrecognised=tuple(unrecognised),
    )


class CloudApiClient(SyncShell, _CloudApi):
    """Send through Meta's Cloud API, blocking: decide, pace, send, retry safely, record.

    ```python
    with CloudApiClient(state=state, access_token=TOKEN, phone_number_id=shop) as client:
        result = client.send("+49 151 2345 6789", TemplateMessage(order_shipped, values))
    ```
    """

    def send(
        self,
        to: Recipient | str,
        message: Message,
        *,
        check: bool = True,
        reply_to: str = "",
        direct_send: bool = False,
        ttl: timedelta | None = None,
    ) -> SendResult:
        """Send `message` to `to`, after asking the state (unless `check=False`).

        A marketing template goes to the endpoint the decision names (`/marketing_messages`
        under today's rules; with `check=False`, by the template's category the state knows).
        `direct_send=True` sends a normal message as a Direct Send utility message
        (`"category": "utility"`, decided as `SendKind.DIRECT_SEND`), with an optional `ttl`
        (whole seconds, 30 s to 12 h, sent as `ttl_seconds`).

        Returns:
            `SENT` with the message id; `BLOCKED` with the decision (nothing left); or
            `AMBIGUOUS` (no answer; not resent; the outbox settles it).

        Raises:
            InvalidValueError: Bad input (a number, parameters that do not fit the template),
                before any request leaves.
            ApiError: The platform refused the message (after the safe retries); the failure
                was fed back to the state.
        """
        return self._run(
            self._send_flow(
                to, message, check=check, reply_to=reply_to, direct_send=direct_send, ttl=ttl
            )
        )

    def resend(self, key: str, *, check: bool = True) -> SendResult:
        """Send an unsettled outbox entry again under its key (the host's policy decided)."""
        return self._run(self._engine.resend(key, check=check))

    def create_template(self, template: Template) -> dict[str, Any]:
        """Submit a template for review; return Meta's answer (`id`, `status`, `category`)."""
        return self._run(self._create_flow(template))

    def list_templates(self, *, page_size: int = 100) -> list[Template]:
        """Return every template of the account, following the pages."""
        return self._run(self._list_flow(page_size))

    def delete_template(self, name: str, *, template_id: str = "") -> None:
        """Delete a template (every language of `name`, or only the one with `template_id`)."""
        self._run(self._delete_flow(name, template_id))

    def number_health(self, *, record: bool = False) -> NumberHealth:
        """Read the number's quality rating, status, throughput and messaging limit.

        Args:
            record: Also apply what was read to the state (`SenderState.apply_account`), so
                that `decide` answers by it; the stored health is returned as `recorded`.
                The throughput class is not recorded: it is the `BusinessNumber`'s setting.

        Raises:
            ApiError: The Graph API refused the read (after the safe retries); nothing is
                recorded.
        """
        return self._run(self._health_flow(record))


class AsyncCloudApiClient(AsyncShell, _CloudApi):
    """`CloudApiClient` for asyncio: the same flows, awaited; tasks share its pacing."""

    async def send(
        self,
        to: Recipient | str,
        message: Message,
        *,
        check: bool = True,
        reply_to: str = "",
        direct_send: bool = False,
        ttl: timedelta | None = None,
    ) -> SendResult:
        """`CloudApiClient.send`, awaited."""
        return await self._run(
            self._send_flow(
                to, message, check=check, reply_to=reply_to, direct_send=direct_send, ttl=ttl
            )
        )

    async def resend(self, key: str, *, check: bool = True) -> SendResult:
        """`CloudApiClient.resend`, awaited."""
        return await self._run(self._engine.resend(key, check=check))

    async def create_template(self, template: Template) -> dict[str, Any]:
        """`CloudApiClient.create_template`, awaited."""
        return await self._run(self._create_flow(template))

    async def list_templates(self, *, page_size: int = 100) -> list[Template]:
        """`CloudApiClient.list_templates`, awaited."""
        return await self._run(self._list_flow(page_size))

    async def delete_template(self, name: str, *, template_id: str = "") -> None:
        """`CloudApiClient.delete_template`, awaited."""
        await self._run(self._delete_flow(name, template_id))

    async def number_health(self, *, record: bool = False) -> NumberHealth:
        """`CloudApiClient.number_health`, awaited (the state's write runs in a thread)."""
        return await self._run(self._health_flow(record))
