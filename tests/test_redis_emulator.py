"""The emulator's fault run with four worker processes sharing Redis: none lost, none twice."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timezone
from typing import Any

import pytest

from wa_outbound import OptInRecorded, PhoneNumberId, WaId

from . import redis_server

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
redis = pytest.importorskip("redis")

from tests.test_emulator import ORDER  # noqa: E402 - after the skips
from wa_outbound.meta import CloudApiClient, TemplateMessage  # noqa: E402
from wa_outbound.redis import RedisStore  # noqa: E402
from wa_outbound.sending import ApiError, OutboxStatus, set_testing  # noqa: E402
from wa_outbound.state import BusinessNumber, SenderState  # noqa: E402
from wa_outbound.templates import TemplateParameters  # noqa: E402
from wa_outbound.testing import Emulator, Faults, WebhookDelivery, emulator_app  # noqa: E402
from wa_outbound.webhooks import read_meta_webhook  # noqa: E402

pytestmark = pytest.mark.redis

SHOP = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242922"),
    waba_id="102290129340398",
    portfolio_id="184512934729183",
)
TOKEN = "EMULATOR_ACCESS_TOKEN"  # noqa: S105 - the emulator's made-up token
SECRET = "EMULATOR_APP_SECRET"  # noqa: S105 - the emulator's made-up secret
WORKERS, SENDS = 4, 15
_CONTEXT = redis_server.worker_context()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client(url: str, prefix: str, base: str) -> tuple[CloudApiClient, Any]:
    """A Cloud API client over the emulator, its state in the shared Redis; and its HTTP client."""
    state = SenderState(RedisStore.from_url(url, prefix=prefix, timeout=10), numbers=[SHOP])
    web = httpx.Client(timeout=httpx.Timeout(10.0, read=0.5))  # below the emulator's hold
    client = CloudApiClient(
        state=state,
        access_token=TOKEN,
        phone_number_id=SHOP.phone_number_id,
        base_url=base,
        http=web,
    )
    return client, web


def _send(url: str, prefix: str, base: str, worker: int, results: Any) -> None:
    """Send `SENDS` order updates to users of this worker's own; report keys and refusals."""
    set_testing(True)  # retries without waiting
    client, web = _client(url, prefix, base)
    state = client._engine.state
    keys, refused = [], 0
    for index in range(SENDS):
        user = WaId(f"4915{worker:02d}{index:07d}")
        state.apply(SHOP.phone_number_id, user, [OptInRecorded(at=state_now(), method="form")])
        message = TemplateMessage(
            template=ORDER, parameters=TemplateParameters(body=("Anna", f"A-{worker}-{index}"))
        )
        try:
            keys.append(client.send(user, message).key)
        except ApiError:  # a retryable error past its attempts: refused, nothing accepted
            refused += 1
    results.put((keys, refused))
    web.close()
    state.store.close()


def state_now() -> datetime:
    """The real clock: the served emulator follows real time too."""
    return datetime.now(timezone.utc)


def _serve(emulator: Emulator) -> tuple[Any, threading.Thread, str]:
    """Serve `emulator` over HTTP on a free loopback port, from a thread of this process."""
    import uvicorn

    port = _free_port()
    app = emulator_app(emulator, hold_seconds=1.5, post_webhooks=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the emulator did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def _run_workers(url: str, prefix: str, base: str) -> tuple[list[str], int]:
    """Run the workers; return the keys they got back and how many sends were refused."""
    results = _CONTEXT.Queue()
    workers = [
        _CONTEXT.Process(target=_send, args=(url, prefix, base, worker, results))
        for worker in range(WORKERS)
    ]
    for process in workers:
        process.start()
    reported = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(60)
    assert [0] * WORKERS == [process.exitcode for process in workers]
    return [key for keys, _ in reported for key in keys], sum(count for _, count in reported)


def _reconcile(emulator: Emulator, host: CloudApiClient, hooks: list[WebhookDelivery]) -> int:
    """The host's policy: settle what the webhooks tell, resend the rest; return refusals."""
    state = host._engine.state
    refused = 0
    for _ in range(10):
        emulator.settle()
        while hooks:
            delivery = hooks.pop(0)
            events = read_meta_webhook(delivery.body, delivery.headers, app_secrets=[SECRET])
            state.receive(events, now=emulator.now)
            host.outbox.reconcile(events, now=emulator.now)
        unsettled = host.outbox.entries(OutboxStatus.AMBIGUOUS, OutboxStatus.PENDING)
        if not unsettled:
            break
        for entry in unsettled:
            try:
                host.resend(entry.key)
            except ApiError:  # noqa: PERF203 - refused again past its retries: failed
                refused += 1
    return refused


def test_four_workers_through_twenty_percent_faults_send_each_key_once() -> None:
    """4 processes send through the emulator at 20 % faults: every send settles, none twice."""
    url, prefix = redis_server.url(), redis_server.prefix()
    hooks: list[WebhookDelivery] = []
    emulator = Emulator(seed=20, faults=Faults.uniform(0.2), realtime=True, on_webhook=hooks.append)
    emulator.add_template(ORDER)
    server, thread, base = _serve(emulator)
    set_testing(True)
    host, web = _client(url, prefix, base)
    try:
        keys, refused = _run_workers(url, prefix, base)
        refused += _reconcile(emulator, host, hooks)
        entries = {entry.key: entry for entry in host.outbox.entries()}
    finally:
        set_testing(False)
        web.close()
        host._engine.state.store.close()
        server.should_exit = True
        thread.join(30)

    tally = emulator.tally_by_key()
    assert [] == [key for key, count in tally.items() if count.accepted > 1]  # none twice
    assert WORKERS * SENDS == len(entries)  # none lost: every send has its entry
    assert set(keys) <= set(entries)
    assert {OutboxStatus.SENT, OutboxStatus.FAILED} >= {e.status for e in entries.values()}
    for key, entry in entries.items():  # sent: accepted once; failed: never accepted
        assert (entry.status is OutboxStatus.SENT) == (key in tally and tally[key].exactly_once)
    assert sum(emulator.fault_counts.values()) > 0
    assert refused >= sum(1 for key in entries if key not in tally)
