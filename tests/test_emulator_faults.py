"""Fault injection: reproducible by seed, raised as httpx errors, ambiguous sends still flow."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_emulator import ANNA, BASE, make_emulator, order, send
from wa_outbound import InvalidValueError
from wa_outbound.testing import Emulator, FaultKind, Faults, emulator_app


def outcome(emulator: Emulator, message: dict[str, Any]) -> str:
    """What one send came to: a status code or the httpx error's name."""
    try:
        return str(send("mock", emulator, message).status_code)
    except httpx.TransportError as error:
        return type(error).__name__


def run(seed: int, faults: Faults, sends: int = 60) -> list[str]:
    """The outcomes of `sends` sends to different users."""
    emulator = make_emulator(seed=seed, faults=faults, pacing=False)
    return [outcome(emulator, order(f"+49151{i:08d}", "A", "1", key=f"k{i}")) for i in range(sends)]


def test_the_same_seed_gives_the_same_faults() -> None:
    """Two emulators with one seed fail the same requests the same way; another seed differs."""
    faults = Faults.uniform(0.5)
    assert run(11, faults) == run(11, faults)
    assert run(11, faults) != run(12, faults)


def test_each_fault_is_what_httpx_raises_on_a_real_network() -> None:
    """429, 503, ConnectError, RemoteProtocolError and ReadTimeout: one per kind."""
    expected = {
        FaultKind.RATE_LIMITED: "429",
        FaultKind.SERVER_ERROR: "503",
        FaultKind.CONNECT_ERROR: "ConnectError",
        FaultKind.CONNECTION_RESET: "RemoteProtocolError",
        FaultKind.READ_TIMEOUT: "ReadTimeout",
    }
    for kind, shown in expected.items():
        assert {shown} == set(run(1, Faults(**{kind.value: 1.0}), sends=3))


def test_a_read_timeout_leaves_an_accepted_message_whose_webhooks_flow() -> None:
    """After a read timeout the message exists, is delivered once, and echoes its key."""
    emulator = make_emulator(faults=Faults(read_timeout=1.0))
    with pytest.raises(httpx.ReadTimeout):
        send("mock", emulator, order(ANNA, "Anna", "A-1", key="ambiguous-1"))
    emulator.settle()
    tally = emulator.tally_by_key()["ambiguous-1"]
    assert tally.exactly_once
    assert {"ambiguous-1"} == {
        status.biz_opaque_callback_data
        for delivery in emulator.received  # type: ignore[attr-defined]
        for status in _statuses(emulator, delivery)
    }


def _statuses(emulator: Emulator, delivery: Any) -> list[Any]:
    from wa_outbound.webhooks import read_meta_webhook

    return list(
        read_meta_webhook(delivery.body, delivery.headers, app_secrets=[emulator.app_secret])
    )


def test_faults_before_acceptance_leave_no_message() -> None:
    """429s, 5xx, refused connections and resets create no message."""
    faults = Faults(rate_limited=0.25, server_error=0.25, connect_error=0.25, connection_reset=0.25)
    emulator = make_emulator(faults=faults, pacing=False)
    for index in range(40):
        outcome(emulator, order(f"+49151{index:08d}", "A", "1"))
    assert () == emulator.messages
    assert 40 == sum(emulator.fault_counts.values())


@given(seed=st.integers(0, 2**32), total=st.floats(0.0, 1.0))
def test_every_request_comes_to_one_end_and_accepted_messages_are_counted(
    seed: int, total: float
) -> None:
    """Accepted messages are exactly the 200s plus the read timeouts, whatever the seed."""
    emulator = make_emulator(seed=seed, faults=Faults.uniform(total), pacing=False)
    ends = [outcome(emulator, order(f"+49151{i:08d}", "A", "1", key=f"k{i}")) for i in range(20)]
    accepted = ends.count("200") + ends.count("ReadTimeout")
    assert accepted == len(emulator.messages)
    assert 20 - ends.count("200") == sum(emulator.fault_counts.values())
    emulator.settle()
    assert all(tally.exactly_once for tally in emulator.tally_by_key().values())


@given(
    st.builds(
        Faults,
        rate_limited=st.sampled_from([0.0, 0.05, 0.1]),
        server_error=st.sampled_from([0.0, 0.05, 0.2]),
        connect_error=st.sampled_from([0.0, 0.1]),
        connection_reset=st.sampled_from([0.0, 0.15]),
        read_timeout=st.sampled_from([0.0, 0.05, 0.4]),
    )
)
def test_faults_read_back_from_their_text(faults: Faults) -> None:
    """`Faults.parse(str(faults))` is the same fractions."""
    assert faults == Faults.parse(str(faults))


@pytest.mark.parametrize(
    "text",
    [
        "rate_limited=2",
        "teleport=0.1",
        "0.6,0.1",
        "read_timeout=x",
        "1.5",
        "rate_limited=0.7,read_timeout=0.7",
    ],
)
def test_bad_fault_specs_are_refused(text: str) -> None:
    """A kind that does not exist, a fraction out of range, or a total above 1 is refused."""
    with pytest.raises(InvalidValueError):
        Faults.parse(text)


def test_fault_specs_read_a_bare_fraction_and_nothing() -> None:
    """A bare number spreads over every kind; an empty text is no fault."""
    assert 0.2 == pytest.approx(Faults.parse("0.2").total)
    assert Faults() == Faults.parse("  ")
    assert Faults(read_timeout=0.1) == Faults.parse("read-timeout=0.1")


def test_over_asgi_a_429_fault_is_a_reply_and_a_reset_breaks_the_response() -> None:
    """Over ASGI a 429 is answered; a reset starts a reply it never finishes."""
    emulator = make_emulator(faults=Faults(rate_limited=1.0))
    response = send("asgi", emulator, order(ANNA, "A", "1"))
    assert (429, 130429) == (response.status_code, response.json()["error"]["code"])
    broken = make_emulator(faults=Faults(connection_reset=1.0))

    async def reset() -> None:
        transport = httpx.ASGITransport(app=emulator_app(broken))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            await client.post(
                f"/v26.0/{broken.phone_number_id}/messages",
                json={"messaging_product": "whatsapp", **order(ANNA, "A", "1")},
                headers=broken.meta_auth,
            )

    with pytest.raises(ConnectionResetError):
        asyncio.run(reset())
