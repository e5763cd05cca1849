"""Sustained sends to the emulator: the library's Cloud API client against a bare httpx loop.

Run: `python benchmarks/bench_send.py` (add `--quick` for fewer sends). Two transports, each
timed in the same run for both senders:

* in process: `httpx.MockTransport` over an `Emulator` (virtual clock; the client's pacing
  sleeps on it, so it costs no real time);
* loopback: `python -m wa_outbound emulate --no-pacing` served by uvicorn on 127.0.0.1.

"bare" is a plain `httpx.Client.post` loop with the same JSON body (no decision, no outbox, no
pacing, no retries); "client" is `CloudApiClient.send` with every step on (`SenderState` over a
`MemoryStore` that knows the portfolio's messaging limit, so each send takes its slot; the
number's throughput class `UPGRADED`). The ratio client / bare is the
client's overhead per send (issue #13's target: <= 1.2). Over loopback the same pair runs
again with asyncio, `--concurrency` tasks each (both `httpx.AsyncClient`; the client is
`AsyncCloudApiClient`), so the client's work overlaps the server's, as in a service. The
loopback clients keep a virtual clock, as the in-process ones do, so that their pacing (1,000
messages/s for `UPGRADED`) waits no real time: the figures are what the client can do, not the
throughput it would pace a real number to. Each comparison runs `--rounds` turns of a bare loop
and a client loop, in alternating order, so that a machine whose speed drifts (a shared VM)
slows both alike; it prints the median rates and the median ratio, with the lowest and highest
ratio of the rounds.
Then a fault run: `--fault-sends`
sends at 20 % faults through the client, the ambiguous ones settled from the webhooks and the
rest resent by the host's policy, with the lost and duplicate counts the emulator reports
(both must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx

from wa_outbound import (
    MessagingLimit,
    OptInRecorded,
    PhoneNumberId,
    TemplateCategory,
    WaId,
)
from wa_outbound.account import MessagingLimitChanged
from wa_outbound.limits import ThroughputClass
from wa_outbound.meta import AsyncCloudApiClient, CloudApiClient, TemplateMessage
from wa_outbound.sending import ApiError, OutboxStatus, set_testing
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import MemoryStore
from wa_outbound.templates import Body, Template, TemplateParameters, template_to_graph
from wa_outbound.testing import Emulator, Faults, WebhookDelivery
from wa_outbound.webhooks import read_meta_webhook

if TYPE_CHECKING:
    from collections.abc import Callable

ORDER = Template(
    name="order_update",
    language="en_US",
    category=TemplateCategory.UTILITY,
    components=(Body(text="Hi {{1}}, your order {{2}} has shipped."),),
)
PHONE_NUMBER_ID = "106540352242922"


def user(index: int) -> WaId:
    """The index-th synthetic German mobile number."""
    return WaId(f"49151{index:08d}")


def body(index: int) -> dict[str, Any]:
    """The Graph send body the bare loop posts (what the client sends too)."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": user(index).value,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US", "policy": "deterministic"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Anna"},
                        {"type": "text", "text": f"A-{index}"},
                    ],
                }
            ],
        },
    }


class Rate(NamedTuple):
    """What one timed loop did."""

    rate: float
    """Messages per second (wall clock)."""
    cpu: float
    """This process's CPU time per message, in µs (the loopback server's is not in it)."""


class Timer:
    """Wall-clock and CPU time from its creation."""

    def __init__(self) -> None:
        """Start both clocks."""
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def rate(self, sends: int) -> Rate:
        """The rate of `sends` messages since the start, and the CPU time per message."""
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return Rate(sends / wall, cpu / sends * 1e6)


def bare(http: httpx.Client, sends: int, start: int, token: str) -> Rate:
    """Messages per second of a plain POST loop."""
    path = f"/v26.0/{PHONE_NUMBER_ID}/messages"
    headers = {"Authorization": f"Bearer {token}"}
    timer = Timer()
    for index in range(start, start + sends):
        response = http.post(path, json=body(index), headers=headers)
        assert response.status_code == 200, response.text
    return timer.rate(sends)


def sender(
    emulator: Emulator | None,
    http: httpx.Client | httpx.AsyncClient,
    base_url: str,
    **options: Any,  # noqa: ANN401 - the client's clock and sleep
) -> tuple[Any, SenderState]:
    """The library's client with its own state, as a service would build it.

    On the emulator's clock when given one, else on `options`' `clock` and `sleep`; an
    `httpx.AsyncClient` makes an `AsyncCloudApiClient`.
    """
    shop = BusinessNumber(
        phone_number_id=PhoneNumberId(PHONE_NUMBER_ID),
        waba_id="102290129340398",
        portfolio_id="184512934729183",
        throughput_class=ThroughputClass.UPGRADED,
    )
    state = SenderState(MemoryStore(), numbers=[shop])
    known = datetime(2026, 1, 5, tzinfo=timezone.utc)  # the account's limit, as a service knows it
    limit = MessagingLimitChanged(at=known, limit=MessagingLimit(users=100_000))
    state.apply_account(shop.phone_number_id, [limit])
    if emulator is not None:
        options = {"clock": lambda: emulator.now, "sleep": emulator.sleep}
    kind = AsyncCloudApiClient if isinstance(http, httpx.AsyncClient) else CloudApiClient
    client = kind(
        state=state,
        access_token="EMULATOR_ACCESS_TOKEN",  # noqa: S106 - the emulator's token
        phone_number_id=shop.phone_number_id,
        http=http,
        base_url=base_url,
        **options,
    )
    return client, state


async def bare_async(
    http: httpx.AsyncClient, sends: int, start: int, token: str, tasks: int
) -> Rate:
    """Messages per second of `tasks` concurrent plain POST loops."""
    path = f"/v26.0/{PHONE_NUMBER_ID}/messages"
    headers = {"Authorization": f"Bearer {token}"}
    indexes = iter(range(start, start + sends))

    async def worker() -> None:
        for index in indexes:
            response = await http.post(path, json=body(index), headers=headers)
            assert response.status_code == 200, response.text

    timer = Timer()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return timer.rate(sends)


class VirtualClock:
    """A clock that moves only when a client sleeps on it (its pacing then waits no time)."""

    def __init__(self) -> None:
        """Start at the real now."""
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        """The virtual now."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Move the clock `seconds` ahead (never back)."""
        self.now += timedelta(seconds=max(seconds, 0.0))

    async def asleep(self, seconds: float) -> None:
        """`sleep`, for asyncio clients."""
        self.sleep(seconds)


def with_client(
    built: tuple[CloudApiClient, SenderState], sends: int, start: int, at: datetime
) -> Rate:
    """Messages per second of `CloudApiClient.send`, every step on (opt-ins recorded at `at`)."""
    client, state = built
    for index in range(start, start + sends):  # opt-ins are the host's data, not the send
        state.apply(client.phone_number_id, user(index), [OptInRecorded(at=at, method="form")])
    timer = Timer()
    for index in range(start, start + sends):
        values = TemplateParameters(body=("Anna", f"A-{index}"))
        result = client.send(user(index), TemplateMessage(template=ORDER, parameters=values))
        assert result.sent, result
    return timer.rate(sends)


async def with_client_async(
    built: tuple[AsyncCloudApiClient, SenderState], sends: int, start: int, tasks: int
) -> Rate:
    """Messages per second of `tasks` concurrent `AsyncCloudApiClient.send` loops."""
    client, state = built
    at = datetime.now(timezone.utc) - timedelta(hours=1)
    for index in range(start, start + sends):
        state.apply(client.phone_number_id, user(index), [OptInRecorded(at=at, method="form")])
    indexes = iter(range(start, start + sends))

    async def worker() -> None:
        for index in indexes:
            values = TemplateParameters(body=("Anna", f"A-{index}"))
            message = TemplateMessage(template=ORDER, parameters=values)
            result = await client.send(user(index), message)
            assert result.sent, result

    timer = Timer()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return timer.rate(sends)


Rounds = list[tuple[Rate, Rate]]
"""The bare and client loops of each round."""


def in_process(sends: int, rounds: int) -> Rounds:
    """Bare and client rates over the MockTransport, `rounds` rounds taking turns."""
    emulator = Emulator(pacing=False, on_webhook=lambda _: None)  # the bare loop never waits
    emulator.add_template(ORDER)
    http = httpx.Client(transport=emulator.mock_transport(), base_url="https://graph.facebook.com")
    client = sender(emulator, http, "https://graph.facebook.com")
    per = sends // rounds
    return taking_turns(
        rounds,
        lambda turn: bare(http, per, 2 * turn * per, emulator.access_token),
        lambda turn: with_client(
            client, per, (2 * turn + 1) * per, emulator.now - timedelta(hours=1)
        ),
    )


def taking_turns(
    rounds: int, run_bare: Callable[[int], Rate], run_client: Callable[[int], Rate]
) -> Rounds:
    """`rounds` pairs of rates, the bare loop first in even rounds and last in odd ones.

    Alternating the order cancels a drift of the machine's (or the emulator's) speed.
    """
    measured = []
    for turn in range(rounds):
        if turn % 2:
            rate_client = run_client(turn)
            measured.append((run_bare(turn), rate_client))
        else:
            rate_bare = run_bare(turn)
            measured.append((rate_bare, run_client(turn)))
    return measured


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def loopback(sends: int, template_file: str, tasks: int, rounds: int) -> tuple[Rounds, Rounds]:
    """Bare and client rates over uvicorn on 127.0.0.1: sequential, then `tasks` concurrent."""
    port = _free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "wa_outbound", "emulate", "--port", str(port)),
            *("--no-pacing", "--template", template_file),
        ],
        stdout=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    per = sends // rounds
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_emulator/messages", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with httpx.Client(base_url=base) as http:
            clock = VirtualClock()
            built = sender(None, http, base, clock=clock, sleep=clock.sleep)
            sequential = taking_turns(
                rounds,
                lambda turn: bare(http, per, 2 * turn * per, "EMULATOR_ACCESS_TOKEN"),
                lambda turn: with_client(
                    built,
                    per,
                    (2 * turn + 1) * per,
                    datetime.now(timezone.utc) - timedelta(hours=1),
                ),
            )
        concurrent = asyncio.run(_loopback_async(base, per, tasks, rounds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return sequential, concurrent


async def _loopback_async(base: str, per: int, tasks: int, rounds: int) -> Rounds:
    limits = httpx.Limits(max_connections=tasks, max_keepalive_connections=tasks)
    measured = []
    async with httpx.AsyncClient(base_url=base, limits=limits) as http:
        clock = VirtualClock()
        built = sender(None, http, base, clock=clock, sleep=clock.asleep)
        offset = 2 * rounds * per  # after the sequential runs' recipients
        for turn in range(rounds):  # as `taking_turns`, awaited
            start = offset + 2 * turn * per
            if turn % 2:
                rate_client = await with_client_async(built, per, start + per, tasks)
                rate_bare = await bare_async(http, per, start, "EMULATOR_ACCESS_TOKEN", tasks)
            else:
                rate_bare = await bare_async(http, per, start, "EMULATOR_ACCESS_TOKEN", tasks)
                rate_client = await with_client_async(built, per, start + per, tasks)
            measured.append((rate_bare, rate_client))
    return measured


def summary(measured: Rounds) -> str:
    """The median rates and ratio (with the rounds' lowest and highest), and CPU per message."""
    ratios = sorted(bare_loop.rate / client_loop.rate for bare_loop, client_loop in measured)
    bare_cpu = statistics.median(bare_loop.cpu for bare_loop, _ in measured)
    client_cpu = statistics.median(client_loop.cpu for _, client_loop in measured)
    return (
        f"bare {statistics.median(b.rate for b, _ in measured):6.0f} msg/s   client"
        f" {statistics.median(c.rate for _, c in measured):6.0f} msg/s   overhead"
        f" x{statistics.median(ratios):.2f} (rounds x{ratios[0]:.2f} to x{ratios[-1]:.2f})\n"
        f"{'':28} CPU per message in this process: bare {bare_cpu:5.0f} µs, client"
        f" {client_cpu:5.0f} µs (+{client_cpu - bare_cpu:.0f} µs)"
    )


def fault_run(sends: int) -> dict[str, int]:
    """`sends` sends at 20 % faults; the emulator's lost and duplicate counts."""
    hooks: list[WebhookDelivery] = []
    emulator = Emulator(
        seed=13,
        faults=Faults.uniform(0.2),
        on_webhook=hooks.append,
        throughput_class=ThroughputClass.UPGRADED,  # as the client's number says
    )
    emulator.add_template(ORDER)
    client, state = sender(emulator, httpx.Client(transport=emulator.mock_transport()), "https://x")
    keys: list[str] = []
    refused = 0

    def reconcile() -> None:
        emulator.settle()
        while hooks:
            delivery = hooks.pop(0)
            events = read_meta_webhook(
                delivery.body, delivery.headers, app_secrets=["EMULATOR_APP_SECRET"]
            )
            state.receive(events, now=emulator.now)
            client.outbox.reconcile(events, now=emulator.now)

    for index in range(sends):
        state.apply(
            client.phone_number_id, user(index), [OptInRecorded(at=emulator.now, method="form")]
        )
        values = TemplateParameters(body=("Anna", f"A-{index}"))
        try:
            keys.append(
                client.send(user(index), TemplateMessage(template=ORDER, parameters=values)).key
            )
        except ApiError:
            refused += 1
        emulator.sleep(1.0)
    for _ in range(10):
        reconcile()
        unsettled = client.outbox.entries(OutboxStatus.AMBIGUOUS, OutboxStatus.PENDING)
        if not unsettled:
            break
        for entry in unsettled:
            try:
                client.resend(entry.key)
            except ApiError:  # refused again past its retries: failed, with its reason
                refused += 1
            emulator.sleep(1.0)
    reconcile()
    tally = emulator.tally_by_key()
    statuses = Counter(client.outbox.get(key).status.value for key in keys)
    return {
        "sends": sends,
        "faults": sum(emulator.fault_counts.values()),
        "refused after retries": refused,
        "lost": sum(1 for key in keys if key not in tally),
        "duplicates": sum(1 for count in tally.values() if count.accepted > 1),
        "delivered exactly once": sum(1 for count in tally.values() if count.exactly_once),
        **{f"outbox {status}": count for status, count in statuses.items()},
    }


def main() -> None:
    """Print the rates, the ratios and the fault run's counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sends")
    parser.add_argument("--sends", type=int, default=None, help="sends per timed loop")
    parser.add_argument("--fault-sends", type=int, default=None, help="sends of the fault run")
    parser.add_argument("--concurrency", type=int, default=16, help="asyncio tasks (loopback)")
    parser.add_argument("--rounds", type=int, default=5, help="turns of bare and client loops")
    args = parser.parse_args()
    sends = args.sends or (1_000 if args.quick else 5_000)
    fault_sends = args.fault_sends or (2_000 if args.quick else 100_000)
    set_testing(True)  # no waiting on backoffs (pacing still sleeps on the virtual clock)
    with tempfile.TemporaryDirectory() as folder:
        template_file = Path(folder) / "templates.json"
        template_file.write_text(json.dumps([template_to_graph(ORDER)]), encoding="utf-8")
        sequential, concurrent = loopback(sends, str(template_file), args.concurrency, args.rounds)
        for name, measured in (
            ("in process (MockTransport)", in_process(sends, args.rounds)),
            ("loopback (uvicorn)", sequential),
            (f"loopback, asyncio x{args.concurrency}", concurrent),
        ):
            print(f"{name:28} {summary(measured)}")
    began = time.perf_counter()
    counts = fault_run(fault_sends)
    print(f"fault run ({time.perf_counter() - began:.0f} s):")
    for name, value in counts.items():
        print(f"  {name:28} {value}")


if __name__ == "__main__":
    main()
