"""The emulator as a Starlette ASGI app: serve it with uvicorn, or test with `httpx.ASGITransport`.

Every request goes to `Emulator.handle`. Faults over a real connection are what an ASGI app
can do: a 429 or a 5xx is a reply like any other; a connection reset is a reply that starts
and never finishes (uvicorn drops the connection, the client sees `RemoteProtocolError`; under
`httpx.ASGITransport` the app's `ConnectionResetError` propagates); a connection error before
the request left cannot be produced by a server (it counts as a reset here); a read timeout is
a reply held back for `hold_seconds` after the message was accepted (set the client's read
timeout below it). Webhooks with a URL are posted by a background task every `pump_seconds`
(Meta's to the emulator's `webhook_url`, Twilio's to each message's `StatusCallback`).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from wa_outbound.testing._exchange import EmulatorRequest
from wa_outbound.testing._faults import FaultKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from wa_outbound.testing._exchange import Served
    from wa_outbound.testing._hooks import WebhookDelivery

__all__ = ["emulator_app"]

_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


class _ResetResponse(Response):
    """Starts a reply, then drops the connection before its body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        raise ConnectionResetError("connection reset by the emulator (fault injected)")


def emulator_app(
    emulator: Served,
    *,
    hold_seconds: float = 30.0,
    pump_seconds: float = 0.05,
    post_webhooks: bool = True,
) -> Starlette:
    """Return a Starlette app that serves `emulator`.

    Args:
        emulator: The emulator to serve.
        hold_seconds: How long a read-timeout fault holds its reply back.
        pump_seconds: How often due webhooks are sent (while the app runs its lifespan).
        post_webhooks: Whether webhooks with a URL are posted (with httpx) from the background
            task; without it they stay in `emulator.outbox`.
    """

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        reply = emulator.handle(
            EmulatorRequest(
                method=request.method,
                path=request.url.path,
                query=tuple(request.query_params.multi_items()),
                headers=dict(request.headers),
                body=body,
            )
        )
        if reply.fault is FaultKind.READ_TIMEOUT:
            await anyio.sleep(hold_seconds)
            return Response(b'{"error":"read timeout emulated"}', status_code=504)
        if reply.status == 0:
            return _ResetResponse()
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_pump, emulator, pump_seconds, post_webhooks)
            yield
            tasks.cancel_scope.cancel()

    routes = [Route("/{path:path}", endpoint, methods=_METHODS)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    return app


async def _pump(emulator: Served, every: float, post: bool) -> None:  # noqa: FBT001
    """Send due webhooks for as long as the app runs."""
    import httpx  # noqa: PLC0415 - only a served emulator posts webhooks

    async with httpx.AsyncClient(timeout=5.0) as client:
        while True:
            emulator.flush()
            if post:
                waiting = [d for d in emulator.outbox if d.url]
                emulator.outbox[:] = [d for d in emulator.outbox if not d.url]
                for delivery in waiting:
                    await _post(client, delivery)
            await anyio.sleep(every)


async def _post(client: Any, delivery: WebhookDelivery) -> None:  # noqa: ANN401
    # A host that is down loses the webhook here (Meta would retry for days): the emulator's
    # counts stay the truth, and `GET /_emulator/messages` tells what happened.
    with contextlib.suppress(Exception):
        await client.post(delivery.url, content=delivery.body, headers=dict(delivery.headers))
