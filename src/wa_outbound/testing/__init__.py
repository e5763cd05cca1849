"""Test tools for code that uses `wa_outbound`: Hypothesis strategies, and the emulator.

Needs the `testing` extra (`pip install 'wa_outbound[testing]'`); importing `wa_outbound`
itself never imports Hypothesis.

Example:
    >>> from hypothesis import given
    >>> from wa_outbound.testing import conversations
    >>> @given(conversations())
    ... def test_round_trip(conversation): ...

The emulator (`Emulator`) plays WhatsApp's Cloud API and Twilio's Messages endpoint, rules
included: `emulator.mock_transport()` (or `mock_transport(emulator)`) serves it to an
`httpx.Client` in process (the `http` extra), `emulator_app(emulator)` as a Starlette app (the
`emulator` extra; loaded only when asked for), and `python -m wa_outbound emulate` over HTTP.
"""

from typing import TYPE_CHECKING, Any

from wa_outbound.testing._emulator import EmulatedMessage, Emulator, Tally
from wa_outbound.testing._exchange import EmulatorReply, EmulatorRequest
from wa_outbound.testing._faults import FaultKind, Faults
from wa_outbound.testing._hooks import WebhookDelivery
from wa_outbound.testing._strategies import (
    account_facts,
    account_healths,
    conversations,
    facts,
    graph_templates,
    instants,
    phone_number_ids,
    recipients,
    template_facts,
    template_states,
    templates,
    wa_ids,
)

if TYPE_CHECKING:
    from wa_outbound.testing._asgi import emulator_app
    from wa_outbound.testing._transport import mock_transport

__all__ = [
    "EmulatedMessage",
    "Emulator",
    "EmulatorReply",
    "EmulatorRequest",
    "FaultKind",
    "Faults",
    "Tally",
    "WebhookDelivery",
    "account_facts",
    "account_healths",
    "conversations",
    "emulator_app",
    "facts",
    "graph_templates",
    "instants",
    "mock_transport",
    "phone_number_ids",
    "recipients",
    "template_facts",
    "template_states",
    "templates",
    "wa_ids",
]

_LAZY = {
    "emulator_app": "wa_outbound.testing._asgi",  # Starlette: the `emulator` extra
    "mock_transport": "wa_outbound.testing._transport",  # httpx: the `http` extra
}


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whatever the lazy module holds
    """Load the adapters that need an optional library on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wa_outbound.testing' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - deferred on purpose

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
