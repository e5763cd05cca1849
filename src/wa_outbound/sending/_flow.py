"""The send flow, once for both clients: decide, reserve, pace, send with retries, record.

Theory of operation
-------------------
The flow is sans-IO, as h11's and httpcore's cores are: a generator that yields *steps* and
is resumed with their results. `HttpCall(request)` asks the driver to send a request (it is
resumed with the response, or an `httpx.TransportError` is thrown into it); `Wait(seconds)`
asks it to wait; `Blocking(call)` asks it to run a store call (the async driver runs it in a
worker thread, so the event loop never blocks on the store). `run_sync` and `run_async` are
the two thin drivers: everything else (the decision, the outbox, pacing, retries, recording
and feeding failures back) is written once, here.

Retries are tenacity's, driven step by step (`Retrying.iter`), so that its waits become
`Wait` steps. What is retried is what the error taxonomy says is safe: `RetryAction.RETRY_AFTER`
with the platform's code (the platform answered, so it did not send the message) or a failure
before the request left (connect, DNS, TLS). A failure after the request may have left (read
timeout, connection dropped after the body was sent, a 5xx without the platform's body) is
never resent: the outbox entry becomes `AMBIGUOUS` until a status webhook carrying its key
settles it.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx
import tenacity

from wa_outbound._decision import Endpoint, Reason, SendDecision
from wa_outbound._errors import InvalidValueError, ascii_upper, flag, text, whole
from wa_outbound._facts import Provider, SendRejected
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._pacing import Pacer
from wa_outbound._rules import Rules, rules_at
from wa_outbound._taxonomy import Backoff, Reach, RetryAction, TransportFailure
from wa_outbound._template_lifecycle import sendable_at
from wa_outbound._time import UTC
from wa_outbound.sending._api_error import ApiError
from wa_outbound.sending._outbox import Outbox, OutboxEntry, OutboxStatus, settle
from wa_outbound.stores._base import blocks

if TYPE_CHECKING:
    from collections.abc import Awaitable, Generator, Iterable

    from wa_outbound.state import SenderState

__all__ = [
    "AttemptReport",
    "Blocking",
    "Engine",
    "HttpCall",
    "Outgoing",
    "RetryHook",
    "SendResult",
    "SendStatus",
    "Wait",
    "Wire",
    "is_testing",
    "run_async",
    "run_sync",
    "set_testing",
]

_T = TypeVar("_T")


# --- the steps a flow yields ------------------------------------------------------------------


@attrs.frozen
class HttpCall:
    """Send this request; resume with the response (or throw the transport error in)."""

    request: httpx.Request


@attrs.frozen
class Wait:
    """Wait this many seconds (the testing switch makes the drivers skip it)."""

    seconds: float


@attrs.frozen
class Blocking:
    """Run this store call (in a worker thread under asyncio); resume with its result."""

    call: Callable[[], Any]


# --- the testing switch ---------------------------------------------------------------------

_TESTING = threading.Event()


def set_testing(testing: bool) -> None:  # noqa: FBT001 - stamina's spelling
    """Turn waiting off (`True`) or on again (`False`) for every client, as stamina does.

    Retries still happen, and the retry hooks still see the waits they would have taken; only
    the sleeping is skipped, so tests of retries run at once.
    """
    if testing:
        _TESTING.set()
    else:
        _TESTING.clear()


def is_testing() -> bool:
    """Whether the testing switch is on (waits skipped)."""
    return _TESTING.is_set()


# --- what a flow answers, and what it reports --------------------------------------------------


class SendStatus(enum.Enum):
    """Where a send ended."""

    SENT = "sent"
    """The platform accepted the message; `message_id` is its id."""
    AMBIGUOUS = "ambiguous"
    """No answer came back and the message may have gone out; it was not resent. The outbox
    entry under `key` settles when a status webhook carrying the key arrives
    (`Outbox.reconcile`), or by the host's policy after a deadline."""
    BLOCKED = "blocked"
    """The decision blocked it (`decision` says why and what instead); no request left."""


@attrs.frozen(kw_only=True)
class SendResult:
    """What became of one send."""

    status: SendStatus
    """Where it ended."""
    key: str = ""
    """The idempotency key of its outbox entry (`""` when blocked before one was made)."""
    message_id: str = ""
    """The platform's id of the message (`wamid....`, Twilio's `SM...`), when sent."""
    decision: SendDecision | None = None
    """The decision asked before sending; `None` when the caller opted out (`check=False`)."""
    attempts: int = 0
    """How many requests were made."""
    error: ApiError | None = None
    """The failure that made it ambiguous."""
    response: dict[str, Any] = attrs.field(factory=dict, repr=False)
    """The platform's answer to the accepted send, as JSON."""

    @property
    def sent(self) -> bool:
        """Whether the platform accepted the message."""
        return self.status is SendStatus.SENT


@attrs.frozen(kw_only=True)
class AttemptReport:
    """One request of a send (or of an API call), as a retry hook sees it."""

    key: str
    """The send's idempotency key (`""` for API calls that send no message)."""
    attempt: int
    """Which attempt this was, from 1."""
    error: ApiError | None
    """What went wrong; `None` when the attempt succeeded."""
    wait: float | None
    """How many seconds the engine waits before the next attempt; `None` when there is none."""


class RetryHook(Protocol):
    """Called after every attempt, successful or not (as stamina's hooks are)."""

    def __call__(self, report: AttemptReport) -> None:
        """Look at one attempt (log it, count it); exceptions are not caught."""


@attrs.frozen(kw_only=True)
class Outgoing:
    """A message ready to go: who sends it, to whom, what kind, and the request body."""

    business: PhoneNumberId
    """The business phone number that sends."""
    recipient: Recipient
    """Who receives."""
    kind: SendKind
    """What is sent, as the decision asks it."""
    path: str
    """The API path the body is posted to (relative to the client's base URL)."""
    body: dict[str, Any]
    """The request body (JSON for Meta, the form for Twilio), without the idempotency key."""
    template: tuple[str, str] | None = None
    """The template's `(name, language)`, for the decision."""
    marketing_path: str = ""
    """Where the body goes instead of `path` when the send is routed to the Marketing Messages
    endpoint (by the decision's `endpoint`; with `check=False`, by the template's category the
    state knows); `""`: always `path`."""


class Wire(Protocol):
    """What a provider's client tells the flow: how requests look and how answers read."""

    @property
    def provider(self) -> Provider:
        """Who answers."""
        ...

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        key: str = "",
        params: dict[str, str] | None = None,
    ) -> httpx.Request:
        """Build a request; put a non-empty `key` where the platform echoes it on statuses."""
        ...

    def read(self, response: httpx.Response, attempt: int) -> dict[str, Any]:
        """Return a 2xx answer's JSON object, or raise the `ApiError` it means."""
        ...

    def message_id(self, data: dict[str, Any]) -> str:
        """Return the message id of an accepted send's answer."""
        ...


# --- the engine -------------------------------------------------------------------------------


class _Pacers:
    """One `Pacer` per business number, shared by every task of a client under one lock."""

    def __init__(self, state: SenderState, rules: Rules | None) -> None:
        self._classes = {n.phone_number_id: n.throughput_class for n in state.numbers}
        self._rules = rules
        self._pacers: dict[PhoneNumberId, Pacer] = {}
        self._lock = threading.Lock()

    def admit(self, business: PhoneNumberId, recipient: Recipient, now: datetime) -> datetime:
        with self._lock:
            pacer = self._pacers.get(business)
            if pacer is None:
                pacer = Pacer(
                    business=business,
                    rules=self._rules or rules_at(now),
                    throughput_class=self._classes[business],
                )
                self._pacers[business] = pacer
            return pacer.admit(recipient, now)


def recipient_of(to: Recipient | str) -> Recipient:
    """Return `to` as a recipient: a `WaId`, a BSUID, or a phone number written as text.

    Raises:
        InvalidValueError: `to` is not a recipient or a phone number in international form.
    """
    if isinstance(to, WaId | BusinessScopedUserId):
        return to
    return WaId.parse(to)


_MAX_WAIT: Final = timedelta(minutes=15)
"""The longest backoff a client waits for by default (131056's fourth retry waits 64 s)."""


def _now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """The provider-neutral sending logic both clients drive: one per client."""

    def __init__(
        self,
        *,
        state: SenderState,
        wire: Wire,
        clock: Callable[[], datetime] | None = None,
        rules: Rules | None = None,
        max_attempts: int = 5,
        max_wait: timedelta | None = None,
        hooks: Iterable[RetryHook] = (),
    ) -> None:
        """Send through `wire`, keeping state and the outbox in `state`'s store."""
        max_wait = _MAX_WAIT if max_wait is None else max_wait
        max_attempts = whole("max_attempts", max_attempts, 1)
        if not isinstance(max_wait, timedelta) or max_wait < timedelta(0):
            raise InvalidValueError("max_wait", max_wait, "expected a timedelta >= 0")
        self.state: Final = state
        self.outbox: Final = Outbox(state)
        self.wire: Final = wire
        self.clock: Final = clock or _now
        self.max_attempts: Final = max_attempts
        self.max_wait: Final = max_wait
        self.hooks: Final = tuple(hooks)
        self.rules: Final = rules
        self._pacers = _Pacers(state, rules)
        self._businesses = frozenset(n.phone_number_id for n in state.numbers)
        self._strikes: dict[tuple[PhoneNumberId, Recipient], int] = {}
        self._strikes_lock = threading.Lock()

    def check_business(self, business: object) -> PhoneNumberId:
        """Return `business` if the state knows it; refuse it before any request leaves."""
        if not isinstance(business, PhoneNumberId) or business not in self._businesses:
            raise InvalidValueError("business", business, "not one of the state's numbers")
        return business

    # --- sending a message ---------------------------------------------------------------

    def send(self, outgoing: Outgoing, *, check: bool = True) -> Generator[Any, Any, SendResult]:
        """Decide (unless `check=False`), reserve, pace, send with retries, and record."""
        check = flag("check", check)
        self.check_business(outgoing.business)
        now = self.clock()
        asked = yield from self._decide(
            outgoing.business,
            outgoing.recipient,
            outgoing.kind,
            outgoing.template,
            now,
            check=check,
        )
        if isinstance(asked, SendResult):
            return asked
        path = outgoing.path
        if outgoing.marketing_path:
            endpoint = yield from self._endpoint(outgoing, asked[0], now)
            if endpoint is Endpoint.MARKETING_MESSAGES:
                path = outgoing.marketing_path
        entry = OutboxEntry(
            key=f"wao-{secrets.token_hex(16)}",
            provider=self.wire.provider,
            business=outgoing.business,
            recipient=outgoing.recipient,
            kind=outgoing.kind,
            status=OutboxStatus.PENDING,
            created_at=now,
            updated_at=now,
            request={"path": path, "body": outgoing.body},
        )
        yield Blocking(functools.partial(self.outbox.reserve, entry))
        return (yield from self._deliver(entry, *asked))

    def _endpoint(
        self, outgoing: Outgoing, decision: SendDecision | None, now: datetime
    ) -> Generator[Any, Any, Endpoint | None]:
        """The endpoint the decision names; without one, the template's known category's."""
        if decision is not None:
            return decision.endpoint
        if outgoing.template is None:
            return Endpoint.MESSAGES
        found = yield Blocking(
            functools.partial(self.state.template, outgoing.business, *outgoing.template)
        )
        rules = self.rules or rules_at(now)
        category = "" if found is None else sendable_at(found, now, rules).category
        if ascii_upper(category) == "MARKETING" and rules.marketing_messages_endpoint.value:
            return Endpoint.MARKETING_MESSAGES
        return Endpoint.MESSAGES

    def resend(self, key: str, *, check: bool = True) -> Generator[Any, Any, SendResult]:
        """Send an unsettled (or abandoned) outbox entry again, under the same key."""
        check = flag("check", check)
        key = text("key", key)
        entry: OutboxEntry | None = yield Blocking(functools.partial(self.outbox.get, key))
        if entry is None or entry.status in {OutboxStatus.SENT, OutboxStatus.FAILED}:
            found = "not in the outbox" if entry is None else f"settled ({entry.status.value})"
            raise InvalidValueError("key", key, f"{found}: nothing to resend")
        now = self.clock()
        asked = yield from self._decide(
            entry.business, entry.recipient, entry.kind, None, now, check=check
        )
        if isinstance(asked, SendResult):
            return attrs.evolve(asked, key=key)
        entry = yield self._mark(entry.key, OutboxStatus.PENDING, now)
        return (yield from self._deliver(entry, *asked))

    def _decide(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        template: tuple[str, str] | None,
        now: datetime,
        *,
        check: bool,
    ) -> Generator[Any, Any, SendResult | tuple[SendDecision | None, datetime]]:
        """Ask the state; return the blocked result, or the decision and the paced instant.

        A `PACED` reason does not block: the client waits until its instant (the stored pacer
        knows other workers' sends), as it waits for its own pacer. `SenderState.admit` takes
        the recipient's messaging-limit slot in the same step, so another worker cannot be
        given the same last slot before this send goes out.
        """
        if not check:
            return None, now
        decision: SendDecision = yield Blocking(  # takes the messaging-limit slot, if any
            functools.partial(
                self.state.admit, business, recipient, kind, now=now, template=template
            )
        )
        if any(r.code is not Reason.PACED for r in decision.reasons):
            return SendResult(status=SendStatus.BLOCKED, decision=decision)
        return decision, max((r.at for r in decision.reasons if r.at is not None), default=now)

    def _mark(self, key: str, status: OutboxStatus, now: datetime, **changes: Any) -> Blocking:  # noqa: ANN401
        """The step that settles the outbox entry `key` as `status` (with `changes`)."""
        return Blocking(functools.partial(self.outbox.update, key, settle(status, now, **changes)))

    def _deliver(
        self, entry: OutboxEntry, decision: SendDecision | None, paced: datetime
    ) -> Generator[Any, Any, SendResult]:
        now = self.clock()
        at = max(self._pacers.admit(entry.business, entry.recipient, now), paced)
        if at > now:
            yield Wait((at - now).total_seconds())
        tries = [entry.attempts]

        pair = (entry.business, entry.recipient)

        def attempt(number: int) -> Generator[Any, Any, dict[str, Any]]:
            tries[0] += 1
            request = self.wire.request(
                "POST", entry.request["path"], entry.request["body"], key=entry.key
            )
            try:
                data = yield from self.exchange(request, number - 1)
            except ApiError as error:
                counted = self._pair_strike(pair, error)
                if counted is error:
                    raise
                raise counted from error
            with self._strikes_lock:
                self._strikes.pop(pair, None)
            return data

        try:
            data = yield from self.retrying(attempt, entry.key)
        except ApiError as error:
            done = self.clock()
            if error.decision.reach is Reach.UNKNOWN:
                yield self._mark(entry.key, OutboxStatus.AMBIGUOUS, done, attempts=tries[0])
                return SendResult(
                    status=SendStatus.AMBIGUOUS,
                    key=entry.key,
                    decision=decision,
                    attempts=tries[0],
                    error=error,
                )
            yield self._mark(
                entry.key, OutboxStatus.FAILED, done, error_code=error.code, attempts=tries[0]
            )
            if error.code is not None and error.provider is not None:
                fact = SendRejected(at=done, provider=error.provider, code=error.code)
                yield Blocking(
                    functools.partial(self.state.apply, entry.business, entry.recipient, [fact])
                )
            raise
        message_id = self.wire.message_id(data)
        done = self.clock()
        yield Blocking(  # the send recorded and its entry settled, in one commit
            functools.partial(
                self.outbox.settle_sent,
                entry,
                message_id=message_id,
                at=done,
                now=done,
                attempts=tries[0],
            )
        )
        return SendResult(
            status=SendStatus.SENT,
            key=entry.key,
            message_id=message_id,
            decision=decision,
            attempts=tries[0],
            response=data,
        )

    def _pair_strike(self, pair: tuple[PhoneNumberId, Recipient], error: ApiError) -> ApiError:
        """Count a pair rate refusal against the recipient; wait 4^(its strikes) seconds.

        Meta's advice for 131056 counts the consecutive failures to one user, not the attempts
        of one request: a second send to a user who was just refused waits longer at once.
        """
        decision = error.decision
        if decision.backoff is not Backoff.PAIR_RATE:
            return error
        with self._strikes_lock:
            strikes = self._strikes.get(pair, 0)
            self._strikes[pair] = strikes + 1
        delay = Backoff.PAIR_RATE.delay(strikes)
        if decision.delay is not None and delay is not None and decision.delay >= delay:
            return error
        return ApiError(
            decision=attrs.evolve(decision, delay=delay),
            provider=error.provider,
            code=error.code,
            subcode=error.subcode,
            http_status=error.http_status,
            fbtrace_id=error.fbtrace_id,
            platform_message=error.platform_message,
        )

    # --- one request, and the retries around it ---------------------------------------------

    def exchange(self, request: httpx.Request, attempt: int) -> Generator[Any, Any, dict[str, Any]]:
        """Send `request` once; return the answer's JSON or raise the `ApiError` it means."""
        try:
            response = yield HttpCall(request)
        except httpx.RequestError as error:
            raise ApiError.no_answer(failure_of(error), attempt=attempt) from error
        return self.wire.read(response, attempt)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Generator[Any, Any, dict[str, Any]]:
        """An API call that sends no message (templates, the number's fields), with retries."""

        def attempt(number: int) -> Generator[Any, Any, dict[str, Any]]:
            request = self.wire.request(method, path, body, params=params)
            return (yield from self.exchange(request, number - 1))

        return (yield from self.retrying(attempt, ""))

    def retryable(self, error: BaseException) -> bool:
        """Whether the same request may be sent again, by the taxonomy, within `max_wait`."""
        if not isinstance(error, ApiError):
            return False
        decision = error.decision
        return (
            decision.action is RetryAction.RETRY_AFTER
            and decision.reach is not Reach.UNKNOWN
            and decision.delay is not None
            and decision.delay <= self.max_wait
        )

    def retrying(
        self, attempt: Callable[[int], Generator[Any, Any, _T]], key: str
    ) -> Generator[Any, Any, _T]:
        """Run `attempt(1)`, `attempt(2)`, ... under tenacity, its waits yielded as steps.

        The first attempt runs before tenacity is set up: most sends succeed at once, and then
        no retry machinery is built. A failed first attempt is handed to tenacity as its own
        first outcome, so what follows is exactly tenacity's loop.
        """
        try:
            result = yield from attempt(1)
        except ApiError as error:
            first = error
        else:
            self._report(key, 1, None)
            return result
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=_wait_of_error,
            retry=tenacity.retry_if_exception(self.retryable),
            reraise=True,
        )
        state = tenacity.RetryCallState(retrying, fn=None, args=(), kwargs={})
        retrying.begin()
        retrying.iter(state)  # the first attempt, which was made above
        state.set_exception((type(first), first, first.__traceback__))
        self._report(key, 1, first)
        while True:
            action = retrying.iter(state)
            if isinstance(action, tenacity.DoAttempt):
                try:
                    result = yield from attempt(state.attempt_number)
                except ApiError as error:
                    state.set_exception((type(error), error, error.__traceback__))
                    self._report(key, state.attempt_number, error)
                else:
                    state.set_result(result)
                    self._report(key, state.attempt_number, None)
            elif isinstance(action, tenacity.DoSleep):
                state.prepare_for_next_attempt()
                yield Wait(float(action))
            else:
                return action  # type: ignore[no-any-return]

    def _report(self, key: str, attempt: int, error: ApiError | None) -> None:
        if not self.hooks:
            return
        wait = None
        if error is not None and attempt < self.max_attempts and self.retryable(error):
            wait = _seconds(error)
        report = AttemptReport(key=key, attempt=attempt, error=error, wait=wait)
        for hook in self.hooks:
            hook(report)


def _seconds(error: ApiError) -> float:
    delay = error.decision.delay
    return 0.0 if delay is None else delay.total_seconds()


def _wait_of_error(state: tenacity.RetryCallState) -> float:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    return _seconds(error) if isinstance(error, ApiError) else 0.0


def failure_of(error: httpx.RequestError) -> TransportFailure:
    """Map an httpx request error to the taxonomy: did the request (possibly) leave?

    Only errors raised before a byte was sent (connect, pool and protocol errors) say it did
    not; anything else (timeouts after sending, dropped connections, an answer that cannot be
    decoded) may follow a request the platform took.
    """
    if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
        return TransportFailure.CONNECT_TIMEOUT
    if isinstance(error, httpx.ConnectError | httpx.UnsupportedProtocol):
        return TransportFailure.CONNECT_ERROR
    if isinstance(error, httpx.WriteTimeout):
        return TransportFailure.WRITE_TIMEOUT
    if isinstance(error, httpx.ReadTimeout):
        return TransportFailure.READ_TIMEOUT
    return TransportFailure.CONNECTION_RESET_AFTER_SEND


# --- the two drivers ------------------------------------------------------------------------


def _advance(
    flow: Generator[Any, Any, _T], value: object, error: Exception | None
) -> tuple[bool, Any]:
    """Resume `flow`; return `(True, result)` when it finished, else `(False, next step)`."""
    try:
        step = flow.send(value) if error is None else flow.throw(error)
    except StopIteration as stop:
        return True, stop.value
    return False, step


def run_sync(
    flow: Generator[Any, Any, _T], http: httpx.Client, sleep: Callable[[float], object]
) -> _T:
    """Drive a flow with a blocking `httpx.Client`, sleeping through `sleep`."""
    value: Any = None
    error: Exception | None = None
    while True:
        done, step = _advance(flow, value, error)
        if done:
            return step  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if isinstance(step, HttpCall):
                value = http.send(step.request)
            elif isinstance(step, Wait):
                if not _TESTING.is_set():
                    sleep(step.seconds)
            else:
                value = step.call()
        except Exception as failure:  # noqa: BLE001 - thrown into the flow, which decides
            error = failure


async def run_async(
    flow: Generator[Any, Any, _T],
    http: httpx.AsyncClient,
    sleep: Callable[[float], Awaitable[object]],
    *,
    inline: bool = False,
) -> _T:
    """Drive a flow with an `httpx.AsyncClient`, awaiting `sleep`; store calls in a thread.

    With `inline`, store calls run on the event loop (a store that never waits on I/O).
    """
    value: Any = None
    error: Exception | None = None
    while True:
        done, step = _advance(flow, value, error)
        if done:
            return step  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if isinstance(step, HttpCall):
                value = await http.send(step.request)
            elif isinstance(step, Wait):
                if not _TESTING.is_set():
                    await sleep(step.seconds)
            elif inline:
                value = step.call()
            else:
                value = await asyncio.to_thread(step.call)
        except Exception as failure:  # noqa: BLE001 - thrown into the flow, which decides
            error = failure


# --- what every client shares -----------------------------------------------------------------


def non_empty_text(field: str) -> Callable[[Any, Any, Any], None]:
    """Return an attrs validator refusing anything but non-empty text, naming `field`."""

    def check(_instance: object, _attribute: object, value: Any) -> None:  # noqa: ANN401
        if not isinstance(value, str) or not value.strip():
            raise InvalidValueError(field, value, "expected non-empty text")

    return check


def base_url_of(url: object, *, field: str = "base_url") -> str:
    """Return an http(s) URL without its trailing slash; refuse anything else, naming `field`."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:  # a malformed IPv6 host, ...
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidValueError(field, url, "expected an http(s) URL with a host")
    return str(url).rstrip("/")


class ClientBase:
    """What both providers' clients share: the engine, the state and the outbox."""

    _engine: Engine

    @property
    def state(self) -> SenderState:
        """The state every send asks and records to."""
        return self._engine.state

    @property
    def outbox(self) -> Outbox:
        """The outbox in the state's store: reconcile status webhooks, settle what is overdue."""
        return self._engine.outbox

    def _shell(self, http: Any, sleep: Any) -> None:  # noqa: ANN401 - the shells type them
        raise NotImplementedError


# --- the client shells ------------------------------------------------------------------------

DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
"""Timeouts of a client the clients create: 5 s to connect, 10 s for the rest."""
DEFAULT_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""Connection limits of a client the clients create."""


class SyncShell:
    """The blocking shell of a client: an `httpx.Client`, a sleeper, `run_sync`."""

    http: httpx.Client
    """The HTTP client requests go through."""

    def _shell(self, http: object, sleep: Callable[[float], object] | None) -> None:
        """Use `http` (or create one with timeouts and limits set) and `sleep`."""
        if http is not None and not isinstance(http, httpx.Client):
            raise InvalidValueError("http", http, "expected an httpx.Client")
        self._owns = http is None
        self.http = http or httpx.Client(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
        self._sleep = sleep or _time_sleep

    def _run(self, flow: Generator[Any, Any, _T]) -> _T:
        return run_sync(flow, self.http, self._sleep)

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns:
            self.http.close()

    def __enter__(self) -> Any:  # noqa: ANN401 - Self needs Python 3.11
        """Return the client itself."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Close (see `close`)."""
        self.close()


class AsyncShell:
    """The asyncio shell of a client: an `httpx.AsyncClient`, an async sleeper, `run_async`."""

    http: httpx.AsyncClient
    """The HTTP client requests go through."""
    _engine: Engine

    def _shell(self, http: object, sleep: Callable[[float], Awaitable[object]] | None) -> None:
        """Use `http` (or create one with timeouts and limits set) and `sleep`."""
        if http is not None and not isinstance(http, httpx.AsyncClient):
            raise InvalidValueError("http", http, "expected an httpx.AsyncClient")
        self._owns = http is None
        self.http = http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
        self._sleep = sleep or asyncio.sleep

    async def _run(self, flow: Generator[Any, Any, _T]) -> _T:
        inline = not blocks(self._engine.state.store)
        return await run_async(flow, self.http, self._sleep, inline=inline)

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns:
            await self.http.aclose()

    async def __aenter__(self) -> Any:  # noqa: ANN401 - Self needs Python 3.11
        """Return the client itself."""
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Close (see `aclose`)."""
        await self.aclose()


def _time_sleep(seconds: float) -> None:
    import time  # noqa: PLC0415 - only the blocking shell sleeps

    time.sleep(seconds)
