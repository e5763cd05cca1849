"""Fakes for the client tests: a scripted platform, a virtual clock, and a sync/async harness.

The platform fake answers with the wire shapes Meta and Twilio document (TRANSPORT.md 1.5, 2.1,
4.1): a queue of answers, each a response or an `httpx` exception, the last one repeated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from wa_outbound import InboundMessageReceived, OptInRecorded, PhoneNumberId, WaId
from wa_outbound.meta import AsyncCloudApiClient, CloudApiClient
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import MemoryStore, Store
from wa_outbound.twilio import AsyncTwilioClient, TwilioClient

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
TOKEN = "EAAG-not-a-real-token-5f3c1b2e9a7d"  # noqa: S105 - made-up fixture
SHOP = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242922"),
    waba_id="102290129340398",
    portfolio_id="184512934729183",
)
SENDER = BusinessNumber(
    phone_number_id=PhoneNumberId("14155238886"),
    waba_id="102290129340399",
    portfolio_id="184512934729184",
)
ANNA = WaId("4915123456789")
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "0f6b2c9e8d7a41c3b5e29f0a7d6c4b18"  # noqa: S105 - made-up fixture


def accepted(message_id: str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI") -> httpx.Response:
    """Meta's 200 for an accepted send."""
    return httpx.Response(
        200,
        json={
            "messaging_product": "whatsapp",
            "contacts": [{"input": ANNA.value, "wa_id": ANNA.value}],
            "messages": [{"id": message_id, "message_status": "accepted"}],
        },
    )


def graph_error(code: int | str, status: int = 400, **extra: Any) -> httpx.Response:
    """Meta's error body (TRANSPORT.md 2.1)."""
    error = {
        "message": f"(#{code}) something",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": "details"},
        "fbtrace_id": "A4O5a8RAgePwbcGSu",
        **extra,
    }
    return httpx.Response(status, json={"error": error})


def twilio_created(sid: str = "SM5f3c1b2e9a7d4c6b8e0f1a2b3c4d5e6f") -> httpx.Response:
    """Twilio's 201 for a created message."""
    return httpx.Response(
        201, json={"sid": sid, "status": "queued", "error_code": None, "direction": "outbound-api"}
    )


def twilio_error(code: int, status: int = 400) -> httpx.Response:
    """Twilio's error body."""
    return httpx.Response(
        status,
        json={"code": code, "message": f"error {code}", "more_info": "", "status": status},
    )


class Platform:
    """A scripted platform: answers in order (the last one repeats), records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        """Queue the answers."""
        self.answers = list(answers) or [accepted()]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    """A virtual clock the fake sleepers move forward."""

    def __init__(self) -> None:
        """Start at `NOW`."""
        self.now = NOW
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        """The current virtual instant."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record and pass `seconds`."""
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    async def asleep(self, seconds: float) -> None:
        """`sleep`, awaited."""
        self.sleep(seconds)


def fresh_state(
    *, window: bool = True, opted_in: bool = True, store: Store | None = None
) -> SenderState:
    """A state with the shop and the Twilio sender; Anna wrote (window) and opted in."""
    state = SenderState(MemoryStore() if store is None else store, numbers=[SHOP, SENDER])
    facts: list[Any] = []
    if window:
        facts.append(InboundMessageReceived(at=NOW - timedelta(hours=1)))
    if opted_in:
        facts.append(OptInRecorded(at=NOW - timedelta(days=1), method="sign-up form"))
    for number in (SHOP, SENDER):
        state.apply(number.phone_number_id, ANNA, facts)
    return state


class Harness:
    """Builds sync or async clients over a scripted platform; runs their calls to completion."""

    def __init__(self, mode: str) -> None:
        """Build for `mode` (`"sync"` or `"async"`)."""
        self.mode = mode
        self.clock = Clock()
        self._loop = asyncio.new_event_loop() if mode == "async" else None

    def close(self) -> None:
        """Close the event loop, if any."""
        if self._loop is not None:
            self._loop.close()

    def _http(self, platform: Platform) -> httpx.Client | httpx.AsyncClient:
        transport = httpx.MockTransport(platform)
        if self.mode == "async":
            return httpx.AsyncClient(transport=transport)
        return httpx.Client(transport=transport)

    def _common(self, platform: Platform, state: SenderState | None) -> dict[str, Any]:
        sleep: Callable[[float], Any] = (
            self.clock.asleep if self.mode == "async" else self.clock.sleep
        )
        return {
            "state": state if state is not None else fresh_state(),
            "http": self._http(platform),
            "clock": self.clock,
            "sleep": sleep,
        }

    def meta(
        self,
        platform: Platform,
        state: SenderState | None = None,
        **options: Any,
    ) -> Any:
        """A Cloud API client of this mode."""
        cls = AsyncCloudApiClient if self.mode == "async" else CloudApiClient
        arguments = {"access_token": TOKEN, "phone_number_id": SHOP.phone_number_id}
        return cls(**{**self._common(platform, state), **arguments, **options})

    def twilio(
        self,
        platform: Platform,
        state: SenderState | None = None,
        **options: Any,
    ) -> Any:
        """A Twilio client of this mode."""
        cls = AsyncTwilioClient if self.mode == "async" else TwilioClient
        arguments: dict[str, Any] = {
            "sender": SENDER.phone_number_id,
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            **options,
        }
        return cls(**{**self._common(platform, state), **arguments})

    def run(self, value: Any) -> Any:
        """Return `value`, or what it awaits to (async mode)."""
        if self._loop is not None:
            return self._loop.run_until_complete(value)
        return value


def modes() -> Iterator[str]:
    """The two client modes."""
    yield from ("sync", "async")
