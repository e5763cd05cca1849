"""What passes between the emulator and its adapters: a request and a reply, as plain values.

The adapters (`_transport`, `_asgi`) know only these and the `Served` protocol, not the
emulator itself, so the emulator can hand itself to them without an import cycle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from wa_outbound.testing._faults import FaultKind

if TYPE_CHECKING:
    from wa_outbound.testing._hooks import WebhookDelivery

__all__ = ["EmulatorReply", "EmulatorRequest", "Served"]


@attrs.frozen(kw_only=True)
class EmulatorRequest:
    """One HTTP request, as plain values."""

    method: str
    """`GET`, `POST`, `DELETE`."""
    path: str
    """The URL path (`/v26.0/106540352242922/messages`)."""
    query: tuple[tuple[str, str], ...] = ()
    """The query parameters, in order."""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    """The headers (any capitalisation)."""
    body: bytes = b""
    """The raw body."""

    def header(self, name: str) -> str | None:
        """Return a header's value, whatever its capitalisation."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@attrs.frozen(kw_only=True)
class EmulatorReply:
    """One HTTP reply, as plain values, or a fault the adapter must turn into a network error."""

    status: int
    """The HTTP status (0 for a fault with no reply)."""
    body: bytes = b""
    """The body (JSON)."""
    headers: Mapping[str, str] = attrs.field(factory=lambda: {"Content-Type": "application/json"})
    """The headers."""
    fault: FaultKind | None = None
    """The injected fault, if any. `CONNECT_ERROR`, `CONNECTION_RESET` and `READ_TIMEOUT` have
    no reply: the adapter raises the matching network error instead."""

    def json(self) -> Any:  # noqa: ANN401 - a JSON document
        """The body as JSON."""
        return json.loads(self.body)


class Served(Protocol):
    """What an adapter needs of the emulator it serves."""

    @property
    def outbox(self) -> list[WebhookDelivery]:
        """Webhooks waiting for an adapter to post them."""

    def handle(self, request: EmulatorRequest) -> EmulatorReply:
        """Answer one request."""

    def flush(self) -> list[WebhookDelivery]:
        """Send the webhooks that are due."""
