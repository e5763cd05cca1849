"""The emulator's Twilio Messages endpoint: form in, 201 JSON out, signed status callbacks."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from tests.test_emulator import ANNA, BEN, TRANSPORTS, call, make_emulator
from wa_outbound.testing import Emulator
from wa_outbound.webhooks import MessageStatus, StatusKind, read_twilio_webhook

CALLBACK = "https://shop.example/twilio/status?wa_outbound_key="


def post(transport: str, emulator: Emulator, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    """POST one Twilio message."""
    auth = kwargs.pop("auth", emulator.twilio_auth)
    return call(transport, emulator, "POST", emulator.twilio_messages_path, data=form, auth=auth)


def template_form(emulator: Emulator, to: str, key: str, **variables: str) -> dict[str, str]:
    """A ContentSid send of the utility template."""
    return {
        "To": f"whatsapp:{to}",
        "From": emulator.twilio_from,
        "ContentSid": emulator.content_sid("order_update", "en_US"),
        "ContentVariables": json.dumps(variables or {"1": "Anna", "2": "A-1"}),
        "StatusCallback": CALLBACK + key,
    }


def callbacks(emulator: Emulator) -> list[MessageStatus]:
    """Every status callback, verified and parsed by the library's Twilio reader."""
    found: list[MessageStatus] = []
    for delivery in emulator.received:  # type: ignore[attr-defined]
        (event,) = read_twilio_webhook(
            delivery.url,
            delivery.body,
            delivery.headers,
            auth_tokens=[emulator.twilio_auth_token],
            received_at=datetime(2026, 11, 25, 10, tzinfo=timezone.utc),
        )
        assert isinstance(event, MessageStatus)
        found.append(event)
    return found


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_template_send_is_201_with_the_message_resource(transport: str) -> None:
    """A ContentSid send is answered 201 with the Message resource, status queued."""
    emulator = make_emulator()
    response = post(transport, emulator, template_form(emulator, ANNA, "k1"))
    body = response.json()
    assert 201 == response.status_code
    assert body["sid"].startswith("SM")
    assert ("queued", f"whatsapp:{ANNA}", "outbound-api") == (
        body["status"],
        body["to"],
        body["direction"],
    )
    assert body["error_code"] is None


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_status_callbacks_are_signed_and_carry_the_key(transport: str) -> None:
    """Sent, delivered, read callbacks verify with the auth token; the key counts once."""
    emulator = make_emulator()
    post(transport, emulator, template_form(emulator, ANNA, "k1"))
    emulator.settle()
    found = callbacks(emulator)
    assert [StatusKind.SENT, StatusKind.DELIVERED, StatusKind.READ] == [s.status for s in found]
    assert {"k1"} == {status.biz_opaque_callback_data for status in found}
    assert emulator.tally_by_key()["k1"].exactly_once


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_body_outside_the_window_fails_later_with_63016(transport: str) -> None:
    """Free-form Body outside the window: 201, then a failed callback with ErrorCode 63016."""
    emulator = make_emulator()
    form = {
        "To": f"whatsapp:{BEN}",
        "From": emulator.twilio_from,
        "Body": "Hello",
        "StatusCallback": CALLBACK + "k2",
    }
    assert 201 == post(transport, emulator, form).status_code
    emulator.settle()
    (failed,) = callbacks(emulator)
    assert StatusKind.FAILED == failed.status
    assert [63016] == [error.code for error in failed.errors]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_marketing_template_after_stop_promotions_fails_with_63033(transport: str) -> None:
    """After "Stop promotions": 201, then a failed callback with 63033, which records the stop."""
    from wa_outbound import Conversation, PhoneNumberId, WaId
    from wa_outbound.webhooks import facts_from_events

    emulator = make_emulator()
    emulator.stop_promotions(ANNA)
    emulator.received.clear()  # type: ignore[attr-defined]  # Meta's user_preferences webhook
    form = {
        **template_form(emulator, ANNA, "k3"),
        "ContentSid": emulator.content_sid("spring_sale", "de"),
        "ContentVariables": json.dumps({"first_name": "Anna"}),
    }
    assert 201 == post(transport, emulator, form).status_code
    emulator.settle()
    (failed,) = callbacks(emulator)
    assert StatusKind.FAILED == failed.status
    assert [63033] == [error.code for error in failed.errors]
    chat = Conversation(
        business=PhoneNumberId(failed.phone_number_id), recipient=WaId(ANNA.lstrip("+"))
    )  # a Twilio callback names the sender's number and carries no instant: it is received now
    for owned in facts_from_events([failed], received_at=emulator.now):
        chat = chat.apply(owned)
    assert chat.consent.marketing_opted_out_at is not None


def test_the_messaging_limit_fails_with_63018() -> None:
    """Past the messaging limit a Twilio send fails with 63018 in its callback."""
    emulator = make_emulator(messaging_limit=1)
    post("mock", emulator, template_form(emulator, ANNA, "a"))
    post("mock", emulator, template_form(emulator, BEN, "b"))
    emulator.settle()
    failed = [s for s in callbacks(emulator) if s.status is StatusKind.FAILED]
    assert [[63018]] == [[error.code for error in s.errors] for s in failed]


def test_a_failed_message_reads_back_with_its_error() -> None:
    """GET Messages/{sid}.json shows the failure once it is reported."""
    emulator = make_emulator()
    emulator.declare_not_on_whatsapp(BEN)
    sid = post("mock", emulator, template_form(emulator, BEN, "c")).json()["sid"]
    emulator.settle()
    path = emulator.twilio_messages_path.replace(".json", f"/{sid}.json")
    body = call("mock", emulator, "GET", path, auth=emulator.twilio_auth).json()
    assert ("failed", 63024) == (body["status"], body["error_code"])


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"To": "+4915123456789"}, 21211, 400),
        ({"To": "whatsapp:12"}, 21211, 400),
        ({"From": "whatsapp:+15550000000"}, 63007, 400),
        ({"ContentSid": "HX" + "0" * 32}, 20404, 404),
        ({"ContentVariables": "[1]"}, 21656, 400),
        ({"ContentVariables": json.dumps({"1": "only one"})}, 21656, 400),
        ({"ContentSid": "", "ContentVariables": ""}, 21602, 400),
    ],
)
def test_bad_sends_get_twilio_errors(change: dict[str, str], code: int, status: int) -> None:
    """A bad form is answered with Twilio's JSON error: code, message, more_info, status."""
    emulator = make_emulator()
    response = post("mock", emulator, {**template_form(emulator, ANNA, "x"), **change})
    body = response.json()
    assert (status, code, status) == (response.status_code, body["code"], body["status"])
    assert body["more_info"].endswith(str(code))


def test_wrong_credentials_are_20003() -> None:
    """A wrong auth token is 20003 with HTTP 401."""
    emulator = make_emulator()
    form = template_form(emulator, ANNA, "x")
    response = post("mock", emulator, form, auth=(emulator.twilio_account_sid, "wrong"))
    assert (401, 20003) == (response.status_code, response.json()["code"])
    response = call(
        "mock",
        emulator,
        "POST",
        emulator.twilio_messages_path,
        data=form,
        headers={"Authorization": "Basic !!"},
    )
    assert 20003 == response.json()["code"]


def test_an_unknown_twilio_resource_is_20404() -> None:
    """A GET of an unknown message, or a method the endpoint lacks, is 20404."""
    emulator = make_emulator()
    path = emulator.twilio_messages_path.replace(".json", "/SMnope.json")
    assert 20404 == call("mock", emulator, "GET", path, auth=emulator.twilio_auth).json()["code"]
    put = call("mock", emulator, "PUT", emulator.twilio_messages_path, auth=emulator.twilio_auth)
    assert 404 == put.status_code
