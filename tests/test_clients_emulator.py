"""The clients against the emulator, sync and async, Meta and Twilio: rules, faults, webhooks.

`test_emulator_clients.py` runs the 10,000-send fault run through the sync Cloud API client;
these tests run every client mode against the emulator's rules and a smaller fault run for
both providers, webhooks fed back through `SenderState.receive` and `Outbox.reconcile`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from wa_outbound import PhoneNumberId, WaId
from wa_outbound.meta import AsyncCloudApiClient, CloudApiClient, TemplateMessage, Text
from wa_outbound.sending import ApiError, OutboxStatus, SendStatus
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import MemoryStore
from wa_outbound.templates import TemplateParameters, template_from_graph
from wa_outbound.testing import Emulator, Faults, WebhookDelivery
from wa_outbound.twilio import AsyncTwilioClient, ContentTemplate, TwilioClient
from wa_outbound.twilio import Text as TwilioText
from wa_outbound.webhooks import read_meta_webhook, read_twilio_webhook

ORDER = template_from_graph(
    {
        "name": "order_shipped",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} has shipped.",
                "example": {"body_text": [["Ana", "A-1042"]]},
            }
        ],
    }
)


class World:
    """An emulator, a state fed by its webhooks, and a client of one mode over it."""

    def __init__(self, mode: str, **options: Any) -> None:
        """Build the emulator (with `options`) and the state."""
        import asyncio

        self.mode = mode
        self.loop = asyncio.new_event_loop() if mode == "async" else None
        self.webhooks: list[WebhookDelivery] = []
        self.emulator = Emulator(on_webhook=self.webhooks.append, **options)
        self.emulator.add_template(ORDER)
        self.shop = BusinessNumber(
            phone_number_id=PhoneNumberId(self.emulator.phone_number_id),
            waba_id=self.emulator.waba_id,
            portfolio_id=self.emulator.portfolio_id,
        )
        self.sender = BusinessNumber(
            phone_number_id=PhoneNumberId(self.emulator.display_phone_number),
            waba_id=self.emulator.waba_id,
            portfolio_id=self.emulator.portfolio_id,
        )
        self.state = SenderState(MemoryStore(), numbers=[self.shop, self.sender])
        self.client: Any = None

    def _common(self) -> dict[str, Any]:
        transport = self.emulator.mock_transport()
        if self.mode == "async":

            async def sleep(seconds: float) -> None:
                self.emulator.sleep(seconds)

            http: Any = httpx.AsyncClient(transport=transport)
        else:
            sleep = self.emulator.sleep  # type: ignore[assignment]
            http = httpx.Client(transport=transport)
        return {
            "state": self.state,
            "http": http,
            "clock": lambda: self.emulator.now,
            "sleep": sleep,
        }

    def meta(self, **options: Any) -> Any:
        """A Cloud API client over the emulator."""
        cls = AsyncCloudApiClient if self.mode == "async" else CloudApiClient
        self.client = cls(
            **self._common(),
            access_token=self.emulator.access_token,
            phone_number_id=self.shop.phone_number_id,
            **options,
        )
        return self.client

    def twilio(self, **options: Any) -> Any:
        """A Twilio client over the emulator."""
        cls = AsyncTwilioClient if self.mode == "async" else TwilioClient
        sid, token = self.emulator.twilio_auth
        self.client = cls(
            **self._common(),
            sender=self.sender.phone_number_id,
            account_sid=sid,
            auth_token=token,
            status_callback="https://shop.example/twilio/status",
            **options,
        )
        return self.client

    def user_writes(self, user: str) -> None:
        """The user writes: the emulator opens the window, and the state learns it.

        Meta's webhook tells the Cloud API number; the Twilio sender is told the fact itself
        (the emulator reports inbound messages on Meta's webhook only).
        """
        from wa_outbound import InboundMessageReceived

        self.emulator.user_message(user)
        self.state.apply(
            self.sender.phone_number_id, WaId(user), [InboundMessageReceived(at=self.emulator.now)]
        )

    def run(self, value: Any) -> Any:
        """Return `value`, or what it awaits to."""
        return self.loop.run_until_complete(value) if self.loop is not None else value

    def outcome(self, user: WaId, message: Any) -> str:
        """Send `message` to `user`; return the status, or the error code, by name."""
        try:
            return str(self.run(self.client.send(user, message)).status.value)
        except ApiError as error:
            return f"error {error.code}"

    def pump(self) -> None:
        """Deliver every due webhook to the state and the outbox, as a host's handler would."""
        self.emulator.flush()
        batch, self.webhooks[:] = list(self.webhooks), []
        now = self.emulator.now
        for delivery in batch:
            if delivery.url.startswith("https://shop.example/twilio"):
                events = read_twilio_webhook(
                    delivery.url,
                    delivery.body,
                    delivery.headers,
                    auth_tokens=[self.emulator.twilio_auth_token],
                    received_at=now,
                )
            else:
                events = read_meta_webhook(
                    delivery.body,
                    delivery.headers,
                    app_secrets=[self.emulator.app_secret],
                    received_at=now,
                )
            self.state.receive(events, now=now)
            self.client.outbox.reconcile(events, now=now)

    def close(self) -> None:
        """Close the loop."""
        if self.loop is not None:
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Each test runs with the sync and the async client."""
    return str(request.param)


@pytest.fixture
def world(mode: str) -> Iterator[World]:
    """A world without faults."""
    built = World(mode)
    yield built
    built.close()


USER = "4915123456789"


def test_a_reply_inside_the_window_is_delivered(world: World) -> None:
    """The user wrote: a text goes, and the status webhooks mark it delivered."""
    client = world.meta()
    world.user_writes(USER)
    world.pump()
    result = world.run(client.send(WaId(USER), Text("Thanks!")))
    assert SendStatus.SENT == result.status
    world.emulator.settle()
    world.pump()
    assert world.emulator.message(result.message_id).delivered
    assert world.state.delivery(result.message_id) is not None


def test_free_form_outside_the_window_is_stopped_by_the_state_or_the_platform(world: World) -> None:
    """Blocked locally; sent anyway (`check=False`), the platform answers 131047, fed back."""
    client = world.meta()
    blocked = world.run(client.send(WaId(USER), Text("Hello")))
    assert SendStatus.BLOCKED == blocked.status
    with pytest.raises(ApiError) as caught:
        world.run(client.send(WaId(USER), Text("Hello"), check=False))
    assert 131047 == caught.value.code


def test_a_template_outside_the_window_is_delivered(world: World) -> None:
    """A template with fitting values goes outside the window."""
    from wa_outbound import OptInRecorded

    client = world.meta()
    world.state.apply(
        world.shop.phone_number_id,
        WaId(USER),
        [OptInRecorded(at=world.emulator.now, method="form")],
    )
    message = TemplateMessage(ORDER, TemplateParameters(body=("Ana", "A-1")))
    assert world.run(client.send(WaId(USER), message)).sent


def test_a_paused_template_is_refused_with_132015(world: World) -> None:
    """The emulator pauses the template: sending without asking gives 132015."""
    client = world.meta()
    world.emulator.pause_template("order_shipped", "en_US")
    message = TemplateMessage(ORDER, TemplateParameters(body=("Ana", "A-1")))
    with pytest.raises(ApiError) as caught:
        world.run(client.send(WaId(USER), message, check=False))
    assert 132015 == caught.value.code


def test_twilio_sends_are_settled_from_its_status_callbacks(world: World) -> None:
    """Through Twilio: a text in the window is delivered; its callbacks carry the key back."""
    client = world.twilio()
    world.user_writes(USER)
    world.pump()
    result = world.run(client.send(WaId(USER), TwilioText("Thanks!")))
    assert SendStatus.SENT == result.status
    world.emulator.settle()
    world.pump()
    assert world.emulator.message(result.message_id).delivered


def test_twilio_content_templates_are_sent_by_sid(world: World) -> None:
    """A Content template goes by its SID outside the window."""
    from wa_outbound import OptInRecorded, SendKind

    client = world.twilio()
    world.state.apply(
        world.sender.phone_number_id,
        WaId(USER),
        [OptInRecorded(at=world.emulator.now, method="form")],
    )
    template = ContentTemplate(
        content_sid=world.emulator.content_sid("order_shipped", "en_US"),
        kind=SendKind.UTILITY_TEMPLATE,
        variables={"1": "Ana", "2": "A-1"},
    )
    assert world.run(client.send(WaId(USER), template)).sent


PROMO = template_from_graph(
    {
        "name": "winter_sale",
        "language": "en_US",
        "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Everything 20 % off this week!"}],
    }
)


def opted_in(world: World) -> None:
    """The user opted in to the shop's messages."""
    from wa_outbound import OptInRecorded

    world.state.apply(
        world.shop.phone_number_id,
        WaId(USER),
        [OptInRecorded(at=world.emulator.now, method="form")],
    )


def sent_path(world: World, key: str) -> str:
    """The path the outbox entry `key` was posted to."""
    entry = world.client.outbox.get(key)
    assert entry is not None
    return str(entry.request["path"])


def test_a_marketing_template_goes_where_the_decision_says(world: World) -> None:
    """The decision names /marketing_messages; the emulator accepts the template there."""
    from wa_outbound.campaigns import Endpoint

    client = world.meta()
    world.emulator.add_template(PROMO)
    opted_in(world)
    result = world.run(client.send(WaId(USER), TemplateMessage(PROMO)))
    assert result.sent
    assert result.decision is not None
    assert Endpoint.MARKETING_MESSAGES == result.decision.endpoint
    assert f"{world.shop.phone_number_id.value}/marketing_messages" == sent_path(world, result.key)
    utility = world.run(
        client.send(WaId(USER), TemplateMessage(ORDER, TemplateParameters(body=("Ana", "A-1"))))
    )
    assert f"{world.shop.phone_number_id.value}/messages" == sent_path(world, utility.key)


def test_without_the_decision_the_known_category_routes(world: World) -> None:
    """`check=False`: /messages until the state knows the template is marketing."""
    from wa_outbound.webhooks import TemplateCategoryUpdate

    client = world.meta()
    world.emulator.add_template(PROMO)
    world.user_writes(USER)
    first = world.run(client.send(WaId(USER), TemplateMessage(PROMO), check=False))
    assert f"{world.shop.phone_number_id.value}/messages" == sent_path(world, first.key)
    update = TemplateCategoryUpdate(
        waba_id=world.shop.waba_id,
        at=world.emulator.now,
        template_id="1",
        new_category="MARKETING",
        template_name="winter_sale",
        language="en_US",
    )
    world.state.receive([update], now=world.emulator.now)
    second = world.run(client.send(WaId(USER), TemplateMessage(PROMO), check=False))
    assert f"{world.shop.phone_number_id.value}/marketing_messages" == sent_path(world, second.key)


def test_number_health_records_what_it_read(world: World) -> None:
    """`record=True` stores the read; a banned number then blocks before any request."""
    from wa_outbound import Reason
    from wa_outbound.account import PhoneNumberStatus, QualityRating

    client = world.meta()
    opted_in(world)
    shop, sender = world.shop.phone_number_id, world.sender.phone_number_id
    world.emulator.set_quality("YELLOW")
    world.emulator.set_messaging_limit(2000)
    read_only = world.run(client.number_health())
    assert (None, None) == (read_only.recorded, world.state.account(shop))
    report = world.run(client.number_health(record=True))
    stored = world.state.account(shop)
    assert report.recorded == stored
    assert (QualityRating.YELLOW, PhoneNumberStatus.CONNECTED, 2000) == (
        stored.quality_rating,
        stored.phone_status,
        stored.messaging_limit.users,
    )
    twin = world.state.account(sender)  # the same portfolio: its limit, not its status
    assert (2000, None) == (twin.messaging_limit.users, twin.phone_status_at)
    world.emulator.set_phone_status("BANNED")
    world.run(client.number_health(record=True))
    requests = world.emulator.requests
    order = TemplateMessage(ORDER, TemplateParameters(body=("Ana", "A-1")))
    blocked = world.run(client.send(WaId(USER), order))
    assert (SendStatus.BLOCKED, (Reason.NUMBER_UNAVAILABLE,)) == (
        blocked.status,
        blocked.decision.codes,
    )
    assert requests == world.emulator.requests


def test_direct_send_goes_outside_the_window_for_an_eligible_number(world: World) -> None:
    """Blocked, and refused (100) unchecked, until the number is eligible; then sent; 139200."""
    from wa_outbound import Reason, SendKind
    from wa_outbound.account import DirectSendAccessChanged

    client = world.meta()
    opted_in(world)
    note = Text("Your parcel is late")
    unknown = world.run(client.send(WaId(USER), note, direct_send=True))
    assert (SendStatus.BLOCKED, (Reason.DIRECT_SEND_NOT_ENABLED,)) == (
        unknown.status,
        unknown.decision.codes,
    )
    with pytest.raises(ApiError) as refused:
        world.run(client.send(WaId(USER), note, check=False, direct_send=True))
    assert 100 == refused.value.code
    world.emulator.set_direct_send(True)
    enabled = DirectSendAccessChanged(at=world.emulator.now, enabled=True)
    world.state.apply_account(world.shop.phone_number_id, [enabled])
    ttl = timedelta(minutes=10)
    result = world.run(client.send(WaId(USER), note, direct_send=True, ttl=ttl))
    assert result.sent
    assert SendKind.DIRECT_SEND == result.decision.kind
    assert SendKind.DIRECT_SEND == world.emulator.message(result.message_id).kind
    body = world.client.outbox.get(result.key).request["body"]
    assert ("utility", 600) == (body["category"], body["ttl_seconds"])
    world.emulator.set_direct_send(False)
    with pytest.raises(ApiError) as blocked:
        world.run(client.send(WaId(USER), note, check=False, direct_send=True))
    assert 139200 == blocked.value.code


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"direct_send": True, "ttl": timedelta(seconds=29)}, "ttl"),
        ({"direct_send": True, "ttl": timedelta(hours=12, seconds=1)}, "ttl"),
        ({"direct_send": True, "ttl": timedelta(seconds=30.5)}, "ttl"),
        ({"direct_send": True, "ttl": 600}, "ttl"),
        ({"ttl": timedelta(minutes=1)}, "ttl"),
        ({"direct_send": "yes"}, "direct_send"),
    ],
)
def test_bad_direct_send_options_fail_before_any_request(
    world: World, options: dict[str, Any], field: str
) -> None:
    """A TTL out of 30 s - 12 h, not whole seconds, or without Direct Send names its field."""
    from wa_outbound import InvalidValueError

    client = world.meta()
    with pytest.raises(InvalidValueError) as caught:
        world.run(client.send(WaId(USER), Text("Late"), check=False, **options))
    assert field == caught.value.field
    assert 0 == world.emulator.requests


def test_a_template_is_not_a_direct_send(world: World) -> None:
    """Direct Send adds a category to a normal message, never to a template."""
    from wa_outbound import InvalidValueError

    client = world.meta()
    message = TemplateMessage(ORDER, TemplateParameters(body=("Ana", "A-1")))
    with pytest.raises(InvalidValueError) as caught:
        world.run(client.send(WaId(USER), message, direct_send=True))
    assert "direct_send" == caught.value.field


@pytest.mark.parametrize("provider", ["meta", "twilio"])
def test_under_faults_every_message_is_delivered_once_or_reported(mode: str, provider: str) -> None:
    """A few hundred sends at 20 % faults: retried or reconciled, then resent by policy.

    At the end every user got the message exactly once (counted on the emulator's side), and
    no outbox entry is left unsettled.
    """
    faults = Faults(
        rate_limited=0.05,
        server_error=0.05,
        connect_error=0.04,
        connection_reset=0.03,
        read_timeout=0.03,
    )
    world = World(mode, seed=11, faults=faults)
    client = world.meta() if provider == "meta" else world.twilio()
    text = Text if provider == "meta" else TwilioText
    users = [f"49151{i:08d}" for i in range(200)]
    for user in users:
        world.user_writes(user)
    world.pump()
    outcomes: Counter[str] = Counter()
    for user in users:
        outcomes[world.outcome(WaId(user), text("Your order shipped"))] += 1
    world.emulator.settle()
    world.pump()
    for entry in client.outbox.overdue(now=world.emulator.now, older_than=timedelta(0)):
        world.run(client.resend(entry.key))
    world.emulator.settle()
    world.pump()
    world.close()
    entries = client.outbox.entries()
    assert Counter({OutboxStatus.SENT: len(users)}) == Counter(e.status for e in entries)
    tallies = world.emulator.tally_by_key()
    assert {e.key for e in entries} == set(tallies)
    assert all(t.exactly_once for t in tallies.values())
    assert outcomes["ambiguous"] > 0, "the faults left some sends ambiguous"
    assert sum(e.attempts for e in entries) > len(users), "the faults made the client retry"
