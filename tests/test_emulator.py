"""The emulator: each rule provokes exactly the documented error, over MockTransport and ASGI."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from wa_outbound import TemplateCategory
from wa_outbound.templates import Body, ParameterFormat, Template
from wa_outbound.testing import Emulator, WebhookDelivery, emulator_app
from wa_outbound.webhooks import MessageStatus, StatusKind, read_meta_webhook

ANNA = "+4915123456789"
BEN = "+4915123456780"
ORDER = Template(
    name="order_update",
    language="en_US",
    category=TemplateCategory.UTILITY,
    components=(Body(text="Hi {{1}}, your order {{2}} has shipped."),),
)
SALE = Template(
    name="spring_sale",
    language="de",
    category=TemplateCategory.MARKETING,
    components=(Body(text="Hallo {{first_name}}, alles 20 % billiger!"),),
    parameter_format=ParameterFormat.NAMED,
)
TRANSPORTS = ["mock", "asgi"]


def make_emulator(**options: Any) -> Emulator:
    """An emulator with the two templates and a list collecting its webhooks."""
    received: list[WebhookDelivery] = []
    emulator = Emulator(on_webhook=received.append, **options)
    emulator.add_template(ORDER)
    emulator.add_template(SALE)
    emulator.received = received  # type: ignore[attr-defined]
    return emulator


def call(
    transport: str,
    emulator: Emulator,
    method: str,
    path: str,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request through the MockTransport or the ASGI app."""
    if transport == "mock":
        with httpx.Client(transport=emulator.mock_transport(), base_url=BASE) as client:
            return client.request(method, path, **kwargs)

    async def over_asgi() -> httpx.Response:
        asgi = httpx.ASGITransport(app=emulator_app(emulator))
        async with httpx.AsyncClient(transport=asgi, base_url=BASE) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(over_asgi())


BASE = "https://graph.facebook.com"


def send(transport: str, emulator: Emulator, message: dict[str, Any]) -> httpx.Response:
    """POST one Cloud API message."""
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
    return call(
        transport,
        emulator,
        "POST",
        f"/v26.0/{emulator.phone_number_id}/messages",
        json=body,
        headers=emulator.meta_auth,
    )


def text(to: str, body: str = "Hello", key: str = "") -> dict[str, Any]:
    """A text message."""
    message: dict[str, Any] = {"to": to, "type": "text", "text": {"body": body}}
    if key:
        message["biz_opaque_callback_data"] = key
    return message


def order(to: str, *values: str, key: str = "") -> dict[str, Any]:
    """The utility template with positional values."""
    parameters = [{"type": "text", "text": value} for value in values]
    message: dict[str, Any] = {
        "to": to,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US", "policy": "deterministic"},
            "components": [{"type": "body", "parameters": parameters}],
        },
    }
    if key:
        message["biz_opaque_callback_data"] = key
    return message


def sale(to: str, name: str = "Anna") -> dict[str, Any]:
    """The marketing template with its named value."""
    return {
        "to": to,
        "type": "template",
        "template": {
            "name": "spring_sale",
            "language": {"code": "de"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": name, "parameter_name": "first_name"}],
                }
            ],
        },
    }


def error_code(response: httpx.Response) -> int:
    """The Graph error code of a refused request."""
    code: int = response.json()["error"]["code"]
    return code


def statuses(emulator: Emulator) -> list[MessageStatus]:
    """Every status the emulator sent, verified and parsed by the library's own reader."""
    found: list[MessageStatus] = []
    for delivery in emulator.received:  # type: ignore[attr-defined]
        events = read_meta_webhook(
            delivery.body, delivery.headers, app_secrets=["EMULATOR_APP_SECRET"]
        )
        found += [event for event in events if isinstance(event, MessageStatus)]
    return found


# --- each rule, each documented error -----------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_free_form_to_a_user_who_never_wrote_is_131047(transport: str) -> None:
    """A text to a user who never wrote is refused with 131047, HTTP 400."""
    emulator = make_emulator()
    response = send(transport, emulator, text(ANNA))
    assert (400, 131047) == (response.status_code, error_code(response))


def marketing_send(transport: str, emulator: Emulator, message: dict[str, Any]) -> httpx.Response:
    """POST one message to the Marketing Messages endpoint."""
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
    path = f"/v26.0/{emulator.phone_number_id}/marketing_messages"
    return call(transport, emulator, "POST", path, json=body, headers=emulator.meta_auth)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_marketing_messages_takes_marketing_templates_only(transport: str) -> None:
    """/marketing_messages accepts the marketing template; anything else is 100."""
    emulator = make_emulator()
    emulator.user_message(ANNA)
    assert 200 == marketing_send(transport, emulator, sale(ANNA)).status_code
    assert 100 == error_code(marketing_send(transport, emulator, text(ANNA)))
    assert 100 == error_code(marketing_send(transport, emulator, order(ANNA, "Anna", "A-1")))


@pytest.mark.parametrize(
    "extra",
    [
        {"ttl_seconds": 600},
        {"category": "marketing"},
        {"category": "utility", "ttl_seconds": 29},
        {"category": "utility", "ttl_seconds": 43201},
        {"category": "utility", "ttl_seconds": "600"},
    ],
)
def test_a_bad_direct_send_body_is_100(extra: dict[str, Any]) -> None:
    """A TTL without a category, another category, or a TTL outside 30-43200 s is 100."""
    emulator = make_emulator()
    emulator.set_direct_send(True)
    assert 100 == error_code(send("mock", emulator, {**text(ANNA), **extra}))


def test_a_template_with_a_category_is_100() -> None:
    """Direct Send adds its category to a normal message, not to a template."""
    emulator = make_emulator()
    emulator.set_direct_send(True)
    message = {**order(ANNA, "Anna", "A-1"), "category": "utility"}
    assert 100 == error_code(send("mock", emulator, message))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_direct_send_outside_the_window_needs_an_eligible_number(transport: str) -> None:
    """Not marked: 100; eligible: accepted and billed; blocked: 139200."""
    emulator = make_emulator()
    message = {**text(ANNA), "category": "utility", "ttl_seconds": 30}
    assert 100 == error_code(send(transport, emulator, message))
    emulator.set_direct_send(True)
    accepted = send(transport, emulator, message)
    assert 200 == accepted.status_code
    assert emulator.messages[-1].billable
    emulator.set_direct_send(False)
    assert 139200 == error_code(send(transport, emulator, message))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_window_closes_a_day_after_the_user_wrote(transport: str) -> None:
    """Inside the window a text goes; 24 hours later it is 131047 again."""
    emulator = make_emulator()
    emulator.user_message(ANNA)
    assert 200 == send(transport, emulator, text(ANNA)).status_code
    emulator.advance(timedelta(hours=24, minutes=1))
    assert 131047 == error_code(send(transport, emulator, text(ANNA)))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_burst_to_one_user_beyond_the_pair_rate_is_131056(transport: str) -> None:
    """The pair rate's burst goes through; the next message to the same user is 131056."""
    emulator = make_emulator()
    emulator.user_message(ANNA)
    burst = emulator.rules.pair_rate_burst.value
    codes = [send(transport, emulator, text(ANNA, f"#{i}")).status_code for i in range(burst)]
    refused = send(transport, emulator, text(ANNA, "one more"))
    assert [200] * burst == codes
    assert (400, 131056) == (refused.status_code, error_code(refused))
    emulator.advance(emulator.rules.pair_rate_interval.value)
    assert 200 == send(transport, emulator, text(ANNA, "later")).status_code


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_more_than_the_throughput_in_one_instant_is_130429(transport: str) -> None:
    """A second's worth of messages goes; the next one is 130429 with HTTP 429."""
    emulator = make_emulator()
    rate = emulator.rules.throughput_default.value
    users = [f"+49151{index:08d}" for index in range(rate + 1)]
    codes = [send(transport, emulator, order(user, "Anna", "A-1")).status_code for user in users]
    refused = send(transport, emulator, order("+4915199999999", "Anna", "A-1"))
    assert [200] * rate + [429] == codes
    assert 130429 == error_code(refused)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_messaging_limit_fails_the_message_later(transport: str) -> None:
    """Past the limit a template is accepted, then fails in a status webhook with pricing."""
    emulator = make_emulator(messaging_limit=2)
    replies = [send(transport, emulator, order(u, "A", "1")) for u in (ANNA, BEN, "+4917612345678")]
    emulator.settle()
    failed = [s for s in statuses(emulator) if s.status is StatusKind.FAILED]
    assert [200, 200, 200] == [reply.status_code for reply in replies]
    assert ["4917612345678"] == [status.recipient_id for status in failed]
    assert [131048] == [error.code for error in failed[0].errors]
    assert failed[0].pricing is not None
    assert failed[0].pricing.billable is False


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("values", "code"),
    [(("Anna",), 132000), (("Anna", "A-1", "extra"), 132000)],
)
def test_wrong_parameter_counts_are_132000(
    transport: str, values: tuple[str, ...], code: int
) -> None:
    """Too few or too many values for the template's variables: 132000."""
    emulator = make_emulator()
    assert code == error_code(send(transport, emulator, order(ANNA, *values)))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_positional_values_for_a_named_template_are_132012(transport: str) -> None:
    """Values without parameter names for a named template: 132012."""
    emulator = make_emulator()
    message = sale(ANNA)
    del message["template"]["components"][0]["parameters"][0]["parameter_name"]
    assert 132012 == error_code(send(transport, emulator, message))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_unknown_template_is_132001(transport: str) -> None:
    """A template name the account does not have: 132001."""
    emulator = make_emulator()
    message = order(ANNA, "Anna", "A-1")
    message["template"]["name"] = "no_such_template"
    assert 132001 == error_code(send(transport, emulator, message))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_paused_and_disabled_templates_are_132015_and_132016(transport: str) -> None:
    """A paused template is 132015; after the pause it goes; disabled it is 132016."""
    emulator = make_emulator()
    emulator.pause_template("order_update", "en_US")
    paused = error_code(send(transport, emulator, order(ANNA, "Anna", "A-1")))
    emulator.advance(emulator.rules.template_pause_durations.value[0])
    emulator.approve_template("order_update", "en_US")
    approved = send(transport, emulator, order(ANNA, "Anna", "A-1")).status_code
    emulator.disable_template("order_update", "en_US")
    disabled = error_code(send(transport, emulator, order(BEN, "Ben", "A-2")))
    assert (132015, 200, 132016) == (paused, approved, disabled)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_stop_promotions_makes_marketing_131050_but_utility_still_goes(transport: str) -> None:
    """After "Stop promotions" a marketing template is 131050; a utility template still goes."""
    emulator = make_emulator()
    assert 200 == send(transport, emulator, sale(ANNA)).status_code
    emulator.stop_promotions(ANNA)
    assert 131050 == error_code(send(transport, emulator, sale(ANNA)))
    assert 200 == send(transport, emulator, order(ANNA, "Anna", "A-1")).status_code
    emulator.advance(timedelta(minutes=1))  # at the same instant, the stop wins
    emulator.resume_promotions(ANNA)
    assert 200 == send(transport, emulator, sale(ANNA)).status_code


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_number_not_on_whatsapp_fails_with_131026(transport: str) -> None:
    """A declared non-WhatsApp number: accepted, then a failed status with 131026."""
    emulator = make_emulator()
    emulator.declare_not_on_whatsapp(BEN)
    reply = send(transport, emulator, order(BEN, "Ben", "A-2", key="job-1"))
    emulator.settle()
    (failed,) = statuses(emulator)
    assert 200 == reply.status_code
    assert (StatusKind.FAILED, "job-1") == (failed.status, failed.biz_opaque_callback_data)
    assert [131026] == [error.code for error in failed.errors]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_wrong_token_is_190_with_http_401(transport: str) -> None:
    """A wrong bearer token: 190, HTTP 401, in Graph's error shape."""
    emulator = make_emulator()
    response = call(
        transport,
        emulator,
        "POST",
        f"/v26.0/{emulator.phone_number_id}/messages",
        json=text(ANNA),
        headers={"Authorization": "Bearer wrong"},
    )
    error = response.json()["error"]
    assert (401, 190) == (response.status_code, error["code"])
    assert {"message", "type", "code", "error_data", "fbtrace_id"} == set(error)
    assert "OAuthException" == error["type"]
    assert "whatsapp" == error["error_data"]["messaging_product"]


def test_error_bodies_have_the_documented_shape() -> None:
    """An error body has message "(#code) title", type, code, error_data.details, fbtrace_id."""
    emulator = make_emulator()
    error = send("mock", emulator, text(ANNA)).json()["error"]
    assert error["message"].startswith("(#131047) ")
    assert isinstance(error["error_data"]["details"], str)
    assert error["fbtrace_id"].startswith("A")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_success_has_the_documented_body(transport: str) -> None:
    """A send is answered with messaging_product, contacts and messages[id, message_status]."""
    emulator = make_emulator()
    body = send(transport, emulator, order(ANNA, "Anna", "A-1")).json()
    message_id = body["messages"][0]["id"]
    expected = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": ANNA, "wa_id": ANNA[1:]}],
        "messages": [{"id": message_id, "message_status": "accepted"}],
    }
    assert expected == body
    assert message_id.startswith("wamid.")


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"to": ANNA, "type": "text", "text": {}}, 131008),
        ({"to": "not a number", "type": "text", "text": {"body": "x"}}, 131009),
        ({"to": ANNA, "type": "hologram", "hologram": {}}, 131051),
        ({"type": "text", "text": {"body": "x"}}, 100),
        ({"to": ANNA, "type": "image", "image": {}}, 131008),
        ({"to": ANNA, "type": "interactive", "interactive": {}}, 131008),
        ({"to": ANNA, "type": "template", "template": {"name": "x"}}, 131008),
        ({"to": ANNA, "type": "text", "text": {"body": "x"}, "biz_opaque_callback_data": 1}, 100),
    ],
)
def test_malformed_sends_are_refused_before_the_rules(message: dict[str, Any], code: int) -> None:
    """A request that is not a valid send is refused with its validation code."""
    emulator = make_emulator()
    emulator.user_message(ANNA)
    assert code == error_code(send("mock", emulator, message))


def test_a_body_that_is_not_a_send_is_100() -> None:
    """A body that is not JSON, or not an object, or not WhatsApp's, is 100."""
    emulator = make_emulator()
    path = f"/v26.0/{emulator.phone_number_id}/messages"
    bodies = [b"{", b"[]", json.dumps({"to": ANNA}).encode()]
    codes = [
        error_code(call("mock", emulator, "POST", path, content=b, headers=emulator.meta_auth))
        for b in bodies
    ]
    assert [100, 100, 100] == codes


# --- webhooks ---------------------------------------------------------------------------


def test_statuses_are_signed_parseable_and_echo_the_key() -> None:
    """Sent, delivered, read: each a signed body the library verifies, each with the key."""
    emulator = make_emulator()
    send("mock", emulator, order(ANNA, "Anna", "A-1", key="job-42"))
    emulator.settle()
    found = statuses(emulator)
    assert [StatusKind.SENT, StatusKind.DELIVERED, StatusKind.READ] == [s.status for s in found]
    assert {"job-42"} == {s.biz_opaque_callback_data for s in found}
    assert all(s.pricing is not None and s.pricing.category == "utility" for s in found)


def test_batches_carry_several_statuses_per_body() -> None:
    """With batch_size=4, twelve statuses come in three bodies of four."""
    emulator = make_emulator(batch_size=4)
    for user in (ANNA, BEN, "+4917612345678", "+4917612345679"):
        send("mock", emulator, order(user, "A", "1"))
    emulator.settle()
    assert [4, 4, 4] == [d.statuses for d in emulator.received]  # type: ignore[attr-defined]
    assert 12 == len(statuses(emulator))


def test_duplicates_and_reordering_follow_the_seed() -> None:
    """The same seed duplicates and shuffles the same way; every status still arrives."""

    def run(seed: int) -> list[tuple[str, StatusKind]]:
        emulator = make_emulator(seed=seed, duplicates=0.5, reorder=True, batch_size=3)
        for user in (ANNA, BEN):
            send("mock", emulator, order(user, "A", "1"))
        emulator.settle()
        return [(s.message_id, s.status) for s in statuses(emulator)]

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first != other
    assert len(first) > 6
    assert 6 == len(set(first))


def test_webhooks_wait_in_the_outbox_without_a_callable() -> None:
    """Without on_webhook, due webhooks are kept in the outbox for an adapter."""
    emulator = Emulator(webhook_url="http://127.0.0.1:9/hook")
    emulator.add_template(ORDER)
    send("mock", emulator, order(ANNA, "A", "1"))
    emulator.settle()
    assert 3 == len(emulator.outbox)
    assert {"http://127.0.0.1:9/hook"} == {d.url for d in emulator.outbox}


def test_inbound_messages_and_template_changes_go_out_as_webhooks() -> None:
    """A user's message, a stop, and a pause each go out as the webhook Meta sends."""
    from wa_outbound.webhooks import InboundMessage, TemplateStatusUpdate, UserPreferenceUpdate

    emulator = make_emulator()
    emulator.user_message(ANNA, "Hallo")
    emulator.stop_promotions(ANNA)
    emulator.pause_template("spring_sale", "de")
    events = [
        event
        for delivery in emulator.received  # type: ignore[attr-defined]
        for event in read_meta_webhook(
            delivery.body, delivery.headers, app_secrets=[emulator.app_secret]
        )
    ]
    kinds = [type(event) for event in events]
    assert [InboundMessage, UserPreferenceUpdate, TemplateStatusUpdate] == kinds


def test_the_mock_transport_serves_an_async_client_too() -> None:
    """`httpx.AsyncClient` over the same MockTransport gets the same answers."""
    emulator = make_emulator()

    async def both() -> tuple[int, int]:
        async with httpx.AsyncClient(
            transport=emulator.mock_transport(), base_url=BASE, headers=emulator.meta_auth
        ) as client:
            path = f"/v26.0/{emulator.phone_number_id}/messages"
            refused = await client.post(path, json={"messaging_product": "whatsapp", **text(ANNA)})
            accepted = await client.post(
                path, json={"messaging_product": "whatsapp", **order(ANNA, "Anna", "A-1")}
            )
            return refused.json()["error"]["code"], accepted.status_code

    assert (131047, 200) == asyncio.run(both())
