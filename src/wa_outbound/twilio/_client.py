"""The Twilio client: WhatsApp through Twilio's Messages API, sync and async.

Twilio takes a form (`application/x-www-form-urlencoded`, PascalCase keys) at
`/2010-04-01/Accounts/{AccountSid}/Messages.json`, with HTTP basic auth (the account SID and
auth token, or an API key SID and secret), and answers 201 with the message's `sid`; a refusal
carries Twilio's `code` (63016, 21211, ...), classified by the same taxonomy as Meta's.
Templates are Content API templates: a `ContentSid` and `ContentVariables` (a JSON string).
Sources: the project's transport notes (Twilio's Message resource page and twilio-python).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import httpx

from wa_outbound._errors import InvalidValueError, member
from wa_outbound._facts import Provider
from wa_outbound._ids import WaId
from wa_outbound._kinds import SendKind
from wa_outbound._rules import rules_at
from wa_outbound._twilio_content import twilio_content_variables
from wa_outbound.sending._api_error import read_answer
from wa_outbound.sending._flow import (
    AsyncShell,
    ClientBase,
    Engine,
    Outgoing,
    SyncShell,
    base_url_of,
    non_empty_text,
    recipient_of,
)
from wa_outbound.webhooks import TWILIO_CALLBACK_KEY

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable
    from datetime import datetime, timedelta

    from wa_outbound._ids import PhoneNumberId, Recipient
    from wa_outbound._rules import Rules
    from wa_outbound.sending._flow import RetryHook, SendResult
    from wa_outbound.state import SenderState

__all__ = [
    "TWILIO_API_URL",
    "AsyncTwilioClient",
    "ContentTemplate",
    "Media",
    "Message",
    "Text",
    "TwilioClient",
]

TWILIO_API_URL: Final = "https://api.twilio.com/2010-04-01"
"""Where Twilio's REST API (version 2010-04-01) lives."""


@attrs.frozen
class Text:
    """A free-form text (`Body`): only inside the customer service window (else 63016)."""

    body: str = attrs.field(validator=non_empty_text("body"))
    """The text."""

    def to_form(self, rules: Rules) -> dict[str, str | list[str]]:  # noqa: ARG002 - one signature for all
        """Return the message's form fields."""
        return {"Body": self.body}


def _urls(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list) or not value:
        raise InvalidValueError("media_urls", value, "expected a non-empty list of URLs")
    for url in value:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise InvalidValueError("media_urls", url, "expected an http(s) URL")
    return tuple(value)


@attrs.frozen(kw_only=True)
class Media:
    """Free-form media (`MediaUrl`, repeatable) with an optional caption (`Body`)."""

    media_urls: tuple[str, ...] = attrs.field(converter=_urls)
    """Public URLs of the media."""
    body: str = ""
    """An optional caption."""

    def to_form(self, rules: Rules) -> dict[str, str | list[str]]:  # noqa: ARG002 - one signature for all
        """Return the message's form fields."""
        form: dict[str, str | list[str]] = {"MediaUrl": list(self.media_urls)}
        if self.body:
            form["Body"] = self.body
        return form


def _content_sid(_instance: object, _attribute: object, value: Any) -> None:  # noqa: ANN401
    if not isinstance(value, str) or not value.startswith("HX") or len(value) != 34:  # noqa: PLR2004 - HX + 32 hex digits
        raise InvalidValueError("content_sid", value, "expected a Content SID (HX + 32 hex digits)")


def _template_kind(value: object) -> SendKind:
    kind = member("kind", SendKind, value)
    if not kind.is_template:
        raise InvalidValueError("kind", value, "expected a template SendKind (its category)")
    return kind


@attrs.frozen(kw_only=True)
class ContentTemplate:
    """A Content API template (`ContentSid` + `ContentVariables`): works outside the window.

    Twilio's send does not tell the template's category, so `kind` states it (marketing,
    utility or authentication), for the decision and the messaging limit.
    """

    content_sid: str = attrs.field(validator=_content_sid)
    """The template's `HX...` SID."""
    kind: SendKind = attrs.field(converter=_template_kind)
    """The template's category, as a send kind."""
    variables: Mapping[str, str] = attrs.field(factory=dict)
    """The value of each variable by its key (`{"1": "Maria"}`)."""

    def to_form(self, rules: Rules) -> dict[str, str | list[str]]:
        """Return the message's form fields (the variables checked against Twilio's limits)."""
        form: dict[str, str | list[str]] = {"ContentSid": self.content_sid}
        if self.variables:
            form["ContentVariables"] = twilio_content_variables(self.variables, rules=rules)
        return form


Message = Text | Media | ContentTemplate
"""Anything the Twilio client sends."""


def _with_key(url: str, key: str) -> str:
    """Return `url` with the idempotency key as its `TWILIO_CALLBACK_KEY` query parameter."""
    parts = urlsplit(url)
    query = [(n, v) for n, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(n, v) for n, v in query if n != TWILIO_CALLBACK_KEY]
    query.append((TWILIO_CALLBACK_KEY, key))
    return urlunsplit(parts._replace(query=urlencode(query)))


class _TwilioWire:
    """How Twilio requests look and how its answers read."""

    provider: Final = Provider.TWILIO

    def __init__(self, user: str, secret: str, base_url: str, status_callback: str) -> None:
        token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        self._authorization = f"Basic {token}"
        self.base_url: Final = base_url
        self._callback = status_callback

    def __repr__(self) -> str:
        return f"_TwilioWire({self.base_url!r})"

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        key: str = "",
        params: dict[str, str] | None = None,
    ) -> httpx.Request:
        form = None if body is None else dict(body)
        if form is not None and self._callback:
            form["StatusCallback"] = _with_key(self._callback, key) if key else self._callback
        return httpx.Request(
            method,
            f"{self.base_url}/{path}",
            data=form,
            params=params,
            headers={"Authorization": self._authorization},
        )

    def read(self, response: httpx.Response, attempt: int) -> dict[str, Any]:
        return read_answer(Provider.TWILIO, response, attempt, _twilio_error)

    def message_id(self, data: dict[str, Any]) -> str:
        return str(data.get("sid", ""))


def _twilio_error(data: dict[str, Any]) -> dict[str, Any] | None:
    """Twilio's `{"code": 21211, "message": ..., "more_info": ..., "status": 400}`."""
    return data if "code" in data else None


def _credentials(
    account_sid: object, auth_token: object, api_key_sid: object, api_key_secret: object
) -> tuple[str, str]:
    if not isinstance(account_sid, str) or not account_sid.startswith("AC"):
        raise InvalidValueError("account_sid", account_sid, "expected the account's AC... SID")
    if api_key_sid or api_key_secret:
        if not isinstance(api_key_sid, str) or not api_key_sid.startswith("SK"):
            raise InvalidValueError("api_key_sid", api_key_sid, "expected an SK... API key SID")
        if not isinstance(api_key_secret, str) or not api_key_secret:
            raise InvalidValueError("api_key_secret", "<hidden>", "missing: pass the key's secret")
        return api_key_sid, api_key_secret
    if not isinstance(auth_token, str) or not auth_token:
        raise InvalidValueError(
            "auth_token", "<hidden>", "missing: pass the auth token or an API key and secret"
        )
    return account_sid, auth_token


class _Twilio(ClientBase):
    """What both Twilio clients share: the configuration, the wire and the send flow."""

    def __init__(
        self,
        *,
        state: SenderState,
        sender: PhoneNumberId,
        account_sid: str,
        auth_token: str = "",
        api_key_sid: str = "",
        api_key_secret: str = "",
        status_callback: str = "",
        messaging_service_sid: str = "",
        http: httpx.Client | httpx.AsyncClient | None = None,
        base_url: str = TWILIO_API_URL,
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
            sender: The WhatsApp sender's number as the state knows it (E.164 digits as a
                `PhoneNumberId`, as the Twilio webhooks report it).
            account_sid: The Twilio account (`AC...`).
            auth_token: The account's auth token; or give `api_key_sid` and `api_key_secret`.
            api_key_sid: An API key (`SK...`), used with `api_key_secret` instead of the token.
            api_key_secret: The API key's secret.
            status_callback: Where Twilio posts statuses; the send's key is added to it.
            messaging_service_sid: Send through a Messaging Service instead of `From`.
            http: An `httpx.Client` (`TwilioClient`) or `httpx.AsyncClient`
                (`AsyncTwilioClient`); by default one is created (and closed by `close`).
            base_url: Where the REST API lives (an emulator's URL in tests).
            rules: The rules to pace with and check variables against; those in force by
                default.
            clock: Returns the current instant (aware UTC).
            sleep: Waits (pacing, backoff): a function, or a coroutine function for the async
                client; injectable for tests.
            max_attempts: Requests per send at most, retries included.
            max_wait: The longest backoff the client waits for; a longer one is not retried.
            hooks: Called after every attempt (`RetryHook`).

        Raises:
            InvalidValueError: Credentials are missing, or `sender` is not one of `state`'s
                numbers.
        """
        user, secret = _credentials(account_sid, auth_token, api_key_sid, api_key_secret)
        if status_callback:
            base_url_of(status_callback, field="status_callback")
        wire = _TwilioWire(user, secret, base_url_of(base_url), status_callback)
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
        self.sender: Final = self._engine.check_business(sender)
        """The WhatsApp sender, as the state knows it (its E.164 digits)."""
        self.account_sid: Final = account_sid
        """The Twilio account messages are sent from."""
        self._service = messaging_service_sid
        self._rules = rules

    def __repr__(self) -> str:
        """Name the account and the sender; never the secret."""
        return (
            f"{type(self).__name__}(account_sid={self.account_sid!r}, sender={self.sender.value!r})"
        )

    def _send_flow(
        self, to: Recipient | str, message: Message, *, check: bool
    ) -> Generator[Any, Any, SendResult]:
        recipient = recipient_of(to)
        if not isinstance(recipient, WaId):
            raise InvalidValueError("to", to, "Twilio addresses users by phone number")
        if not isinstance(message, Text | Media | ContentTemplate):
            raise InvalidValueError("message", message, "expected a wa_outbound.twilio message")
        rules = self._rules or rules_at(self._engine.clock())
        form: dict[str, Any] = {"To": f"whatsapp:+{recipient.value}"}
        if self._service:
            form["MessagingServiceSid"] = self._service
        else:
            form["From"] = f"whatsapp:+{self.sender.value}"
        form.update(message.to_form(rules))
        kind = message.kind if isinstance(message, ContentTemplate) else SendKind.FREE_FORM
        outgoing = Outgoing(
            business=self.sender,
            recipient=recipient,
            kind=kind,
            path=f"Accounts/{self.account_sid}/Messages.json",
            body=form,
        )
        return (yield from self._engine.send(outgoing, check=check))


class TwilioClient(SyncShell, _Twilio):
    """Send WhatsApp messages through Twilio, blocking: decide, pace, send safely, record.

    ```python
    client = TwilioClient(state=state, sender=PhoneNumberId("14155550100"),
                          account_sid=SID, auth_token=TOKEN,
                          status_callback="https://example.com/twilio/status")
    client.send("+49 151 2345 6789", ContentTemplate(content_sid=HX, kind=UTILITY, ...))
    ```
    """

    def send(self, to: Recipient | str, message: Message, *, check: bool = True) -> SendResult:
        """Send `message` to `to`, after asking the state (unless `check=False`).

        Raises:
            InvalidValueError: Bad input, before any request leaves.
            ApiError: Twilio refused the message (after the safe retries).
        """
        return self._run(self._send_flow(to, message, check=check))

    def resend(self, key: str, *, check: bool = True) -> SendResult:
        """Send an unsettled outbox entry again under its key (the host's policy decided)."""
        return self._run(self._engine.resend(key, check=check))


class AsyncTwilioClient(AsyncShell, _Twilio):
    """`TwilioClient` for asyncio: the same flow, awaited; tasks share its pacing."""

    async def send(
        self, to: Recipient | str, message: Message, *, check: bool = True
    ) -> SendResult:
        """`TwilioClient.send`, awaited."""
        return await self._run(self._send_flow(to, message, check=check))

    async def resend(self, key: str, *, check: bool = True) -> SendResult:
        """`TwilioClient.resend`, awaited."""
        return await self._run(self._engine.resend(key, check=check))
