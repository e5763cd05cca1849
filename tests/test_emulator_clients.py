"""The library's clients against the emulator: 10,000 sends at 20 % faults, none lost or twice."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.test_emulator import ORDER
from wa_outbound import OptInRecorded, PhoneNumberId, WaId
from wa_outbound.meta import CloudApiClient, TemplateMessage
from wa_outbound.sending import ApiError, OutboxStatus, SendStatus, set_testing
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import MemoryStore
from wa_outbound.templates import TemplateParameters
from wa_outbound.testing import Emulator, Faults, WebhookDelivery
from wa_outbound.webhooks import read_meta_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

SENDS = 10_000


@pytest.fixture
def testing_mode() -> Iterator[None]:
    """The clients' testing switch: retries without waiting."""
    set_testing(True)
    try:
        yield
    finally:
        set_testing(False)


def _client(emulator: Emulator) -> tuple[CloudApiClient, SenderState]:
    shop = BusinessNumber(
        phone_number_id=PhoneNumberId(emulator.phone_number_id),
        waba_id=emulator.waba_id,
        portfolio_id=emulator.portfolio_id,
    )
    state = SenderState(MemoryStore(), numbers=[shop])
    client = CloudApiClient(
        state=state,
        access_token=emulator.access_token,
        phone_number_id=shop.phone_number_id,
        http=httpx.Client(transport=emulator.mock_transport()),
        clock=lambda: emulator.now,
        sleep=emulator.sleep,
    )
    return client, state


@pytest.mark.usefixtures("testing_mode")
def test_ten_thousand_sends_at_twenty_percent_faults_end_exactly_once() -> None:
    """Every key ends delivered exactly once or failed with its reason; every ambiguity settles."""
    hooks: list[WebhookDelivery] = []
    emulator = Emulator(seed=20, faults=Faults.uniform(0.2), on_webhook=hooks.append)
    emulator.add_template(ORDER)
    emulator.declare_not_on_whatsapp("+4915100000007")  # one send must fail, with its reason
    client, state = _client(emulator)
    keys: list[str] = []
    refused: Counter[int] = Counter()

    def reconcile() -> None:
        emulator.settle()
        while hooks:
            delivery = hooks.pop(0)
            events = read_meta_webhook(
                delivery.body, delivery.headers, app_secrets=[emulator.app_secret]
            )
            state.receive(events, now=emulator.now)
            client.outbox.reconcile(events, now=emulator.now)

    for index in range(SENDS):
        user = WaId(f"49151{index:08d}")
        state.apply(client.phone_number_id, user, [OptInRecorded(at=emulator.now, method="form")])
        message = TemplateMessage(
            template=ORDER, parameters=TemplateParameters(body=("Anna", f"A-{index}"))
        )
        try:
            result = client.send(user, message)
        except ApiError as error:  # a retryable error past its attempts: nothing was accepted
            refused[error.code] += 1
            continue
        assert result.status is not SendStatus.BLOCKED
        keys.append(result.key)
        emulator.sleep(1.0)
    for _ in range(10):  # the host's policy: settle what the webhooks tell, resend the rest
        reconcile()
        unsettled = client.outbox.entries(OutboxStatus.AMBIGUOUS, OutboxStatus.PENDING)
        if not unsettled:
            break
        for entry in unsettled:
            try:
                client.resend(entry.key)
            except ApiError as error:  # refused again past its retries: failed, with its reason
                refused[error.code] += 1
            emulator.sleep(1.0)
    reconcile()

    tally = emulator.tally_by_key()
    entries = {key: client.outbox.get(key) for key in keys}
    assert [] == [key for key, count in tally.items() if count.accepted > 1]  # never twice
    never_accepted = [key for key in keys if key not in tally]
    assert [] == [key for key in never_accepted if entries[key].status is not OutboxStatus.FAILED]
    assert all(tally[key].exactly_once or tally[key].failed for key in tally)
    assert {OutboxStatus.SENT, OutboxStatus.FAILED} >= {e.status for e in entries.values() if e}
    failed = [message for message in emulator.messages if message.failed]
    assert [131026] == [message.error_code for message in failed]
    assert sum(emulator.fault_counts.values()) > SENDS * 0.2
    assert SENDS == len(set(keys)) + sum(refused.values()) - len(never_accepted)


def test_the_demo_campaign_runs_end_to_end_against_the_emulator() -> None:
    """The demo's campaign: sent, skipped for each reason, reconciled, delivered once, priced."""
    from wa_outbound.cli._demo_campaign import RECIPIENTS, campaign_json, run_campaign

    done: list[int] = []
    run = run_campaign(progress=done.append)
    shown = campaign_json(run)
    assert RECIPIENTS == done[-1]
    assert 0 == run.duplicates
    assert {"opted out", "marketing opted out", "template paused"} <= set(run.skipped)
    assert sum(run.sent.values()) - sum(run.failed.values()) == run.delivered
    assert run.ambiguous == run.reconciled + run.resent
    assert run.retried > 0
    assert {131026: 1} == dict(run.failed)
    assert "campaign" == shown["kind"]
    assert shown["cost"]


def test_the_demo_without_the_emulators_libraries_tells_only_the_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without httpx, tenacity or Hypothesis the demo skips the campaign run."""
    import io

    from wa_outbound.cli import _demo, main

    monkeypatch.setattr(_demo, "_emulator_installed", lambda: False)
    out = io.StringIO()
    assert 0 == main(["demo", "--json"], out=out)
    assert "campaign" != json.loads(out.getvalue().splitlines()[-1])["kind"]
