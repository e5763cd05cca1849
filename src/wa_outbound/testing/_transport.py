"""The emulator as an `httpx.MockTransport`: in process, no socket, sync and async clients.

A reply passes through as an `httpx.Response`. A fault with no reply raises what httpx raises
for it on a real network: `ConnectError` (the request never left), `RemoteProtocolError`
(the server dropped the connection after the request was sent, before answering), and
`ReadTimeout` (the platform accepted the message; the answer never came).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import httpx

from wa_outbound.testing._exchange import EmulatorRequest
from wa_outbound.testing._faults import FaultKind

if TYPE_CHECKING:
    from wa_outbound.testing._exchange import EmulatorReply, Served

__all__ = ["mock_transport", "to_emulator_request"]

_ERRORS: Final[dict[FaultKind, tuple[type[httpx.TransportError], str]]] = {
    FaultKind.CONNECT_ERROR: (httpx.ConnectError, "[Errno 111] Connection refused (emulated)"),
    FaultKind.CONNECTION_RESET: (
        httpx.RemoteProtocolError,
        "Server disconnected without sending a response. (emulated)",
    ),
    FaultKind.READ_TIMEOUT: (httpx.ReadTimeout, "The read operation timed out (emulated)"),
}


def to_emulator_request(request: httpx.Request) -> EmulatorRequest:
    """Turn an `httpx.Request` (its body already read) into an `EmulatorRequest`."""
    return EmulatorRequest(
        method=request.method,
        path=request.url.path,
        query=tuple(request.url.params.multi_items()),
        headers=dict(request.headers),
        body=request.content,
    )


def _response(reply: EmulatorReply, request: httpx.Request) -> httpx.Response:
    if reply.status == 0:
        fault = reply.fault if reply.fault is not None else FaultKind.CONNECTION_RESET
        error, message = _ERRORS[fault]
        raise error(message, request=request)
    return httpx.Response(
        reply.status, headers=dict(reply.headers), content=reply.body, request=request
    )


def mock_transport(emulator: Served) -> httpx.MockTransport:
    """Return an `httpx.MockTransport` answering every request with `emulator`.

    Works for `httpx.Client` and `httpx.AsyncClient` alike: the emulator never waits.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        return _response(emulator.handle(to_emulator_request(request)), request)

    return httpx.MockTransport(handler)
