"""The Cloud API and Twilio clients, sync and async alike, against scripted platform answers."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from wa_outbound import InvalidValueError, PhoneNumberId, Provider, Reason, RetryAction, SendKind
from wa_outbound._taxonomy import Reach, TransportFailure
from wa_outbound.account import PhoneNumberStatus, QualityRating
from wa_outbound.limits import ThroughputClass
from wa_outbound.meta import (
    CallPermissionRequest,
    Interactive,
    Media,
    MediaType,
    TemplateMessage,
    Text,
)
from wa_outbound.sending import (
    ApiError,
    AttemptReport,
    OutboxStatus,
    SendStatus,
    set_testing,
)
from wa_outbound.templates import TemplateParameters, template_from_graph
from wa_outbound.twilio import ContentTemplate
from wa_outbound.twilio import Media as TwilioMedia
from wa_outbound.twilio import Text as TwilioText
from wa_outbound.webhooks import MessageStatus, StatusKind, WebhookError

from .client_fakes import (
    ACCOUNT_SID,
    ANNA,
    AUTH_TOKEN,
    NOW,
    SENDER,
    SHOP,
    TOKEN,
    Harness,
    Platform,
    accepted,
    fresh_state,
    graph_error,
    twilio_created,
    twilio_error,
)

ORDER = template_from_graph(
    {
        "name": "order_shipped",
        "language": "en_US",
        "category": "UTILITY",
        "status": "APPROVED",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} has shipped.",
                "example": {"body_text": [["Ana", "A-1042"]]},
            }
        ],
    }
)
NAMED = template_from_graph(
    {
        "name": "order_named",
        "language": "en_US",
        "category": "MARKETING",
        "parameter_format": "NAMED",
        "status": "APPROVED",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{first_name}}!",
                "example": {
                    "body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]
                },
            }
        ],
    }
)
CONTENT_SID = "HX" + "0123456789abcdef" * 2


@pytest.fixture(params=["sync", "async"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """A sync or an async harness: every test runs against both clients."""
    built = Harness(request.param)
    yield built
    built.close()


def body_of(request: httpx.Request) -> dict[str, Any]:
    """A Graph request's JSON body."""
    return json.loads(request.content)  # type: ignore[no-any-return]


def form_of(request: httpx.Request) -> dict[str, list[str]]:
    """A Twilio request's form."""
    return parse_qs(request.content.decode())


# --- Cloud API: sending -----------------------------------------------------------------------


def test_text_is_sent_with_the_key_the_token_and_the_version(harness: Harness) -> None:
    """A text goes to /v26.0/<number>/messages with the bearer token and the outbox key."""
    platform = Platform(accepted("wamid.1"))
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("Your order shipped")))
    assert SendStatus.SENT == result.status
    assert "wamid.1" == result.message_id
    request = platform.requests[0]
    assert "https://graph.facebook.com/v26.0/106540352242922/messages" == str(request.url)
    assert f"Bearer {TOKEN}" == request.headers["authorization"]
    assert {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": ANNA.value,
        "type": "text",
        "text": {"body": "Your order shipped", "preview_url": False},
        "biz_opaque_callback_data": result.key,
    } == body_of(request)
    entry = client.outbox.get(result.key)
    assert (OutboxStatus.SENT, "wamid.1", 1) == (entry.status, entry.message_id, entry.attempts)


def test_the_graph_version_and_base_url_are_configurable(harness: Harness) -> None:
    """`graph_version` and `base_url` name where requests go."""
    platform = Platform()
    client = harness.meta(platform, graph_version="v25.0", base_url="http://emulator.test/")
    harness.run(client.send("+49 151 2345 6789", Text("hi")))
    assert "http://emulator.test/v25.0/106540352242922/messages" == str(platform.requests[0].url)


def test_a_send_is_recorded_in_the_state(harness: Harness) -> None:
    """After a send the conversation knows it (the decision sees the outbound message)."""
    client = harness.meta(Platform(accepted("wamid.7")))
    harness.run(client.send(ANNA, Text("hi")))
    conversation = client.state.conversation(SHOP.phone_number_id, ANNA)
    assert conversation.latest_at is not None


def test_free_form_outside_the_window_is_blocked_before_any_request(harness: Harness) -> None:
    """The decision blocks free-form without a window: no request leaves, the result says why."""
    platform = Platform()
    client = harness.meta(platform, fresh_state(window=False))
    result = harness.run(client.send(ANNA, Text("hi")))
    assert SendStatus.BLOCKED == result.status
    assert Reason.WINDOW_NEVER_OPENED in result.decision.codes
    assert [] == platform.requests
    assert [] == client.outbox.entries()


def test_check_false_opts_out_of_the_decision(harness: Harness) -> None:
    """`check=False` sends without asking; the result carries no decision."""
    platform = Platform()
    client = harness.meta(platform, fresh_state(window=False))
    result = harness.run(client.send(ANNA, Text("hi"), check=False))
    assert (SendStatus.SENT, None) == (result.status, result.decision)
    assert 1 == len(platform.requests)


def test_positional_template_parameters_are_written(harness: Harness) -> None:
    """A positional template goes with its language policy and body parameters."""
    platform = Platform()
    client = harness.meta(platform, fresh_state(window=False))
    message = TemplateMessage(ORDER, TemplateParameters(body=("Ana", "A-1042")))
    result = harness.run(client.send(ANNA, message))
    assert SendStatus.SENT == result.status
    assert {
        "name": "order_shipped",
        "language": {"code": "en_US", "policy": "deterministic"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "A-1042"}],
            }
        ],
    } == body_of(platform.requests[0])["template"]
    assert SendKind.UTILITY_TEMPLATE == client.outbox.get(result.key).kind


def test_named_template_parameters_carry_their_names(harness: Harness) -> None:
    """A named template's values go with `parameter_name`."""
    platform = Platform()
    client = harness.meta(platform, fresh_state(window=False))
    message = TemplateMessage(NAMED, TemplateParameters(body={"first_name": "Ana"}))
    harness.run(client.send(ANNA, message))
    parameters = body_of(platform.requests[0])["template"]["components"][0]["parameters"]
    assert [{"type": "text", "text": "Ana", "parameter_name": "first_name"}] == parameters


def test_parameters_that_do_not_fit_fail_before_any_request(harness: Harness) -> None:
    """Too few values: a clear error naming the Meta error it prevents; nothing is sent."""
    platform = Platform()
    client = harness.meta(platform)
    with pytest.raises(InvalidValueError, match="132000"):
        harness.run(client.send(ANNA, TemplateMessage(ORDER, TemplateParameters(body=("Ana",)))))
    assert [] == platform.requests


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            Media(type=MediaType.IMAGE, link="https://shop.example/a.png", caption="Look"),
            {"type": "image", "image": {"link": "https://shop.example/a.png", "caption": "Look"}},
        ),
        (
            Media(type=MediaType.DOCUMENT, media_id="123", filename="invoice.pdf"),
            {"type": "document", "document": {"id": "123", "filename": "invoice.pdf"}},
        ),
        (
            Interactive({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": []}}),
            {
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "Pick"},
                    "action": {"buttons": []},
                },
            },
        ),
        (
            CallPermissionRequest("May we call you about your order?"),
            {
                "type": "interactive",
                "interactive": {
                    "type": "call_permission_request",
                    "action": {"name": "call_permission_request"},
                    "body": {"text": "May we call you about your order?"},
                },
            },
        ),
    ],
)
def test_free_form_messages_are_written_as_graph_json(
    harness: Harness,
    message: Any,
    expected: dict[str, Any],
) -> None:
    """Media, interactive and call permission requests go as Graph's objects, with a reply."""
    platform = Platform()
    client = harness.meta(platform)
    harness.run(client.send(ANNA, message, reply_to="wamid.in"))
    body = body_of(platform.requests[0])
    assert {"message_id": "wamid.in"} == body.pop("context")
    assert expected == {k: v for k, v in body.items() if k in {"type", *expected}}


# --- Cloud API: retries and ambiguity ----------------------------------------------------------


def test_a_connect_error_before_sending_is_retried(harness: Harness) -> None:
    """No connection: nothing left, so the same request goes again after a backoff."""
    platform = Platform(httpx.ConnectError("refused"), accepted("wamid.2"))
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("hi")))
    assert (SendStatus.SENT, 2) == (result.status, result.attempts)
    assert 2 == len(platform.requests)
    assert 2.0 in harness.clock.sleeps
    keys = {body_of(r)["biz_opaque_callback_data"] for r in platform.requests}
    assert {result.key} == keys


def test_a_read_timeout_is_ambiguous_and_never_resent(harness: Harness) -> None:
    """The request may have reached Meta: one request only, the outbox entry ambiguous."""
    platform = Platform(httpx.ReadTimeout("slow"))
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("hi")))
    assert SendStatus.AMBIGUOUS == result.status
    assert TransportFailure.READ_TIMEOUT == result.error.decision.failure
    assert 1 == len(platform.requests)
    assert OutboxStatus.AMBIGUOUS == client.outbox.get(result.key).status


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("dropped"),
        httpx.WriteTimeout("slow"),
        httpx.ReadError("reset"),
    ],
)
def test_failures_after_the_body_left_are_ambiguous(harness: Harness, failure: Exception) -> None:
    """A dropped connection or a write timeout after sending: ambiguous, not resent."""
    platform = Platform(failure)
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("hi")))
    assert (SendStatus.AMBIGUOUS, 1) == (result.status, len(platform.requests))
    assert Reach.UNKNOWN == result.error.decision.reach


def test_a_bare_5xx_is_ambiguous(harness: Harness) -> None:
    """A 5xx without Meta's error body came from a gateway: the message may have gone out."""
    platform = Platform(httpx.Response(502, text="Bad Gateway"))
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("hi")))
    assert SendStatus.AMBIGUOUS == result.status
    assert TransportFailure.HTTP_5XX_WITHOUT_BODY == result.error.decision.failure


def test_a_5xx_with_a_transient_code_is_retried(harness: Harness) -> None:
    """Meta answered 131000 with a 500: it refused the message, so resending is safe."""
    platform = Platform(graph_error(131000, 500), graph_error(2, 503), accepted())
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("hi")))
    assert (SendStatus.SENT, 3) == (result.status, len(platform.requests))
    assert [2.0, 4.0] == harness.clock.sleeps


def test_pair_rate_errors_back_off_four_to_the_attempt(harness: Harness) -> None:
    """131056 three times: the client waits 1 s, 4 s, 16 s (4^attempt) on the fake sleeper."""
    platform = Platform(graph_error(131056), graph_error(131056), graph_error(131056), accepted())
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, Text("hi")))
    assert (SendStatus.SENT, 4) == (result.status, result.attempts)
    assert [1.0, 4.0, 16.0] == harness.clock.sleeps


def test_pair_rate_strikes_count_per_recipient_across_sends(harness: Harness) -> None:
    """131056 counts consecutive refusals to one user: the next send waits 4^strikes at once.

    The first send is refused twice (1 s between) and gives up; the second send's first
    refusal is the third strike (16 s); its success clears them, so a later refusal waits 1 s.
    """
    refused = graph_error(131056)
    platform = Platform(refused, refused, refused, accepted(), refused, accepted())
    client = harness.meta(platform, max_attempts=2)
    with pytest.raises(ApiError):
        harness.run(client.send(ANNA, Text("one")))
    assert harness.run(client.send(ANNA, Text("two"))).sent
    assert harness.run(client.send(ANNA, Text("three"))).sent
    backoffs = [seconds for seconds in harness.clock.sleeps if seconds >= 1]  # not the pacing
    assert [1.0, 16.0, 1.0] == backoffs


def test_throughput_errors_back_off_briefly(harness: Harness) -> None:
    """130429 (HTTP 429): a short backoff, then the send goes."""
    platform = Platform(graph_error(130429, 429), accepted())
    client = harness.meta(platform)
    assert SendStatus.SENT == harness.run(client.send(ANNA, Text("hi"))).status
    assert [1.0] == harness.clock.sleeps


def test_a_retry_after_header_lengthens_the_wait(harness: Harness) -> None:
    """A `Retry-After` longer than the backoff is honoured."""
    limited = graph_error(130429, 429)
    limited.headers["Retry-After"] = "7"
    client = harness.meta(Platform(limited, accepted()))
    harness.run(client.send(ANNA, Text("hi")))
    assert [7.0] == harness.clock.sleeps


def test_a_window_error_is_not_retried_and_is_fed_back(harness: Harness) -> None:
    """131047: one request, a typed error, and the conversation learns the window is closed."""
    platform = Platform(graph_error(131047))
    client = harness.meta(platform)
    with pytest.raises(ApiError) as caught:
        harness.run(client.send(ANNA, Text("hi")))
    error = caught.value
    assert (Provider.META, 131047, 400) == (error.provider, error.code, error.http_status)
    assert "A4O5a8RAgePwbcGSu" == error.fbtrace_id
    assert RetryAction.USE_TEMPLATE == error.decision.action
    assert 1 == len(platform.requests)
    [entry] = client.outbox.entries()
    assert (OutboxStatus.FAILED, 131047) == (entry.status, entry.error_code)
    decision = client.state.decide(SHOP.phone_number_id, ANNA, SendKind.FREE_FORM, now=NOW)
    assert Reason.WINDOW_CLOSED_BY_PLATFORM in decision.codes


def test_an_unreachable_endpoint_gives_up_with_a_typed_error(harness: Harness) -> None:
    """Connection refused every time: `max_attempts` requests, then an ApiError; never sent."""
    platform = Platform(httpx.ConnectError("refused"))
    client = harness.meta(platform, max_attempts=3)
    with pytest.raises(ApiError) as caught:
        harness.run(client.send(ANNA, Text("hi")))
    assert TransportFailure.CONNECT_ERROR == caught.value.decision.failure
    assert None is caught.value.code
    assert 3 == len(platform.requests)
    assert OutboxStatus.FAILED == client.outbox.entries()[0].status


def test_a_backoff_beyond_max_wait_is_not_waited_for(harness: Harness) -> None:
    """131049 asks for a day: the client raises instead of sleeping that long."""
    platform = Platform(graph_error(131049))
    client = harness.meta(platform)
    with pytest.raises(ApiError):
        harness.run(client.send(ANNA, Text("hi")))
    assert ([], 1) == (harness.clock.sleeps, len(platform.requests))


def test_hooks_see_every_attempt_and_testing_removes_the_waits(harness: Harness) -> None:
    """A hook sees each attempt with its wait; with the testing switch on nothing sleeps."""
    reports: list[AttemptReport] = []
    platform = Platform(graph_error(131056), accepted())
    client = harness.meta(platform, hooks=[reports.append])
    set_testing(True)
    try:
        result = harness.run(client.send(ANNA, Text("hi")))
    finally:
        set_testing(False)
    assert [(1, 131056, 1.0), (2, None, None)] == [
        (r.attempt, r.error.code if r.error else None, r.wait) for r in reports
    ]
    assert {result.key} == {r.key for r in reports}
    assert [] == harness.clock.sleeps


def test_sends_are_paced_by_the_numbers_throughput(harness: Harness) -> None:
    """Two sends at the same instant: the second waits one throughput interval (1/80 s)."""
    client = harness.meta(Platform())
    harness.run(client.send(ANNA, Text("one")))
    harness.run(client.send(ANNA, Text("two")))
    assert [0.0125] == harness.clock.sleeps


# --- the outbox: reconcile, resend, give up -------------------------------------------------------


def status_event(key: str, status: StatusKind, *errors: int) -> MessageStatus:
    """A status webhook echoing `key`."""
    return MessageStatus(
        provider=Provider.META,
        phone_number_id=SHOP.phone_number_id.value,
        message_id="wamid.late",
        status=status,
        at=NOW + timedelta(seconds=5),
        recipient_id=ANNA.value,
        biz_opaque_callback_data=key,
        errors=tuple(WebhookError(code=code) for code in errors),
    )


def test_a_status_webhook_with_the_key_settles_an_ambiguous_send(harness: Harness) -> None:
    """`delivered` carrying the key: the entry is sent, with the message id from the status."""
    client = harness.meta(Platform(httpx.ReadTimeout("slow")))
    result = harness.run(client.send(ANNA, Text("hi")))
    settled = client.outbox.reconcile([status_event(result.key, StatusKind.DELIVERED)], now=NOW)
    assert [(OutboxStatus.SENT, "wamid.late")] == [(e.status, e.message_id) for e in settled]
    again = client.outbox.reconcile([status_event(result.key, StatusKind.READ)], now=NOW)
    assert [] == again


def test_a_failed_status_settles_an_ambiguous_send_as_failed(harness: Harness) -> None:
    """`failed` with an error: the entry is failed with that code."""
    client = harness.meta(Platform(httpx.ReadTimeout("slow")))
    result = harness.run(client.send(ANNA, Text("hi")))
    events = [status_event(result.key, StatusKind.FAILED, 131026), object()]
    [entry] = client.outbox.reconcile(events, now=NOW)
    assert (OutboxStatus.FAILED, 131026) == (entry.status, entry.error_code)


def test_overdue_sends_are_resent_or_given_up_by_policy(harness: Harness) -> None:
    """After the deadline the host resends one (same key) and gives up on the other."""
    platform = Platform(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"), accepted("wamid.9"))
    client = harness.meta(platform)
    first = harness.run(client.send(ANNA, Text("one")))
    second = harness.run(client.send(ANNA, Text("two")))
    later = harness.clock.now + timedelta(minutes=30)
    overdue = client.outbox.overdue(now=later, older_than=timedelta(minutes=10))
    assert {first.key, second.key} == {e.key for e in overdue}
    resent = harness.run(client.resend(first.key))
    assert (SendStatus.SENT, "wamid.9", first.key) == (resent.status, resent.message_id, resent.key)
    assert first.key == body_of(platform.requests[-1])["biz_opaque_callback_data"]
    abandoned = client.outbox.give_up(second.key, now=later)
    assert OutboxStatus.ABANDONED == abandoned.status
    with pytest.raises(InvalidValueError, match="settled"):
        client.outbox.give_up(second.key, now=later)
    with pytest.raises(InvalidValueError, match="nothing to resend"):
        harness.run(client.resend(first.key))


# --- Cloud API: templates and the number -----------------------------------------------------


def test_templates_are_created_listed_over_pages_and_deleted(harness: Harness) -> None:
    """Create posts the Graph JSON; list follows `paging.next`; delete names the template."""
    listed = {"name": "order_shipped", "language": "en_US", "category": "UTILITY", "components": []}
    platform = Platform(
        httpx.Response(200, json={"id": "5", "status": "PENDING", "category": "UTILITY"}),
        httpx.Response(
            200,
            json={"data": [listed], "paging": {"cursors": {"after": "QVFI"}, "next": "https://x"}},
        ),
        httpx.Response(200, json={"data": [listed], "paging": {"cursors": {"after": "QVFJ"}}}),
        httpx.Response(200, json={"success": True}),
    )
    client = harness.meta(platform)
    assert "PENDING" == harness.run(client.create_template(ORDER))["status"]
    assert ["order_shipped"] * 2 == [
        t.name for t in harness.run(client.list_templates(page_size=1))
    ]
    harness.run(client.delete_template("order_shipped", template_id="5"))
    create, page1, page2, delete = platform.requests
    assert "/v26.0/102290129340398/message_templates" == create.url.path
    assert "order_shipped" == body_of(create)["name"]
    assert ({"limit": "1"}, {"limit": "1", "after": "QVFI"}) == (
        dict(page1.url.params),
        dict(page2.url.params),
    )
    assert ("DELETE", {"name": "order_shipped", "hsm_id": "5"}) == (
        delete.method,
        dict(delete.url.params),
    )


def test_the_numbers_fields_become_account_facts(harness: Harness) -> None:
    """quality_rating, status, throughput and the tier become facts and a throughput class."""
    platform = Platform(
        httpx.Response(
            200,
            json={
                "quality_rating": "GREEN",
                "status": "CONNECTED",
                "throughput": {"level": "HIGH"},
                "whatsapp_business_manager_messaging_limit": "TIER_2K",
                "id": SHOP.phone_number_id.value,
            },
        )
    )
    client = harness.meta(platform)
    report = harness.run(client.number_health())
    health = report.health(SHOP.phone_number_id)
    assert (QualityRating.GREEN, PhoneNumberStatus.CONNECTED, 2000) == (
        health.quality_rating,
        health.phone_status,
        health.messaging_limit.users,
    )
    assert (ThroughputClass.UPGRADED, (), None) == (
        report.throughput_class,
        report.unrecognised,
        report.recorded,
    )
    assert (
        "quality_rating,status,throughput,whatsapp_business_manager_messaging_limit"
        == (platform.requests[0].url.params["fields"])
    )


def test_graph_v23_asks_the_older_messaging_limit_field(harness: Harness) -> None:
    """Before v24.0 the limit is `messaging_limit_tier` (Meta "Messaging Limits")."""
    answer = {"messaging_limit_tier": "TIER_1K", "id": SHOP.phone_number_id.value}
    platform = Platform(httpx.Response(200, json=answer))
    client = harness.meta(platform, graph_version="v23.0")
    report = harness.run(client.number_health())
    assert 1000 == report.health().messaging_limit.users
    assert (
        "quality_rating,status,throughput,messaging_limit_tier"
        == (platform.requests[0].url.params["fields"])
    )


def test_values_meta_adds_later_are_kept_not_refused(harness: Harness) -> None:
    """Unknown values never fail the read: kept as text, read as UNKNOWN, no limit made up."""
    answer = {
        "quality_rating": "ORANGE",
        "status": "SUSPENDED_FOR_REVIEW",
        "throughput": {"level": "TURBO"},
        "whatsapp_business_manager_messaging_limit": "TIER_5K",
        "id": SHOP.phone_number_id.value,
    }
    client = harness.meta(Platform(httpx.Response(200, json=answer)))
    report = harness.run(client.number_health())
    health = report.health()
    assert (QualityRating.UNKNOWN, PhoneNumberStatus.UNKNOWN, None, None) == (
        health.quality_rating,
        health.phone_status,
        health.messaging_limit,
        report.throughput_class,
    )
    assert (
        ("quality_rating", "ORANGE"),
        ("status", "SUSPENDED_FOR_REVIEW"),
        ("whatsapp_business_manager_messaging_limit", "TIER_5K"),
        ("throughput.level", "TURBO"),
    ) == report.unrecognised


def test_known_values_without_a_limit_or_class_are_not_unrecognised(harness: Harness) -> None:
    """`NA`, `TIER_NOT_SET`, `UNTIERED` and `NOT_APPLICABLE` are Meta's own: nothing unknown."""
    answer = {
        "quality_rating": "NA",
        "throughput": {"level": "NOT_APPLICABLE"},
        "whatsapp_business_manager_messaging_limit": "TIER_NOT_SET",
        "id": SHOP.phone_number_id.value,
    }
    client = harness.meta(Platform(httpx.Response(200, json=answer)))
    report = harness.run(client.number_health())
    assert (1, None, ()) == (len(report.facts), report.throughput_class, report.unrecognised)
    assert QualityRating.UNKNOWN == report.health().quality_rating


def test_record_must_be_a_flag(harness: Harness) -> None:
    """`record="yes"` is refused by name before any request."""
    platform = Platform()
    client = harness.meta(platform)
    with pytest.raises(InvalidValueError) as refused:
        harness.run(client.number_health(record="yes"))
    assert ("record", []) == (refused.value.field, platform.requests)


def test_a_number_without_fields_gives_no_facts(harness: Harness) -> None:
    """An answer without the fields gives no facts and no throughput class."""
    client = harness.meta(Platform(httpx.Response(200, json={"id": "1"})))
    report = harness.run(client.number_health())
    assert ((), None) == (report.facts, report.throughput_class)


# --- bad input and secrets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "field"), [("+0 123", "wa_id"), ("not a number", "wa_id"), (12345, "wa_id")]
)
def test_an_invalid_number_fails_before_any_request(harness: Harness, to: Any, field: str) -> None:
    """A number that is not E.164 is refused by name; nothing is sent."""
    platform = Platform()
    client = harness.meta(platform)
    with pytest.raises(InvalidValueError) as caught:
        harness.run(client.send(to, Text("hi")))
    assert field == caught.value.field
    assert [] == platform.requests


def test_bad_messages_and_numbers_are_refused(harness: Harness) -> None:
    """A message of the wrong type, or a number the state does not know, is refused."""
    platform = Platform()
    client = harness.meta(platform)
    with pytest.raises(InvalidValueError, match="message"):
        harness.run(client.send(ANNA, "hi"))
    with pytest.raises(InvalidValueError, match="business"):
        harness.meta(platform, phone_number_id=PhoneNumberId("999"))
    assert [] == platform.requests


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"graph_version": "26"}, "graph_version"),
        ({"graph_version": None}, "graph_version"),
        ({"base_url": "graph.facebook.com"}, "base_url"),
        ({"base_url": "http://[bad"}, "base_url"),
    ],
)
def test_bad_configuration_is_refused(
    harness: Harness, options: dict[str, Any], field: str
) -> None:
    """A version or URL that cannot be right is refused by name when the client is built."""
    with pytest.raises(InvalidValueError) as caught:
        harness.meta(Platform(), **options)
    assert field == caught.value.field


@pytest.mark.parametrize("token", ["", "   ", None])
def test_a_missing_token_is_refused_without_showing_it(harness: Harness, token: Any) -> None:
    """No token: a clear error that names the field, not the value."""
    with pytest.raises(InvalidValueError, match="access_token") as caught:
        harness.meta(Platform(), access_token=token)
    assert "<hidden>" == caught.value.value


def test_the_token_never_shows_in_reprs_logs_or_errors(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever happens, the access token is in no repr, log line or error text."""
    caplog.set_level(logging.DEBUG)
    platform = Platform(graph_error(190, 401), httpx.ReadTimeout("slow"))
    client = harness.meta(platform)
    with pytest.raises(ApiError) as caught:
        harness.run(client.send(ANNA, Text("hi")))
    ambiguous = harness.run(client.send(ANNA, Text("hi")))
    texts = [
        repr(client),
        str(client),
        repr(client._engine),
        repr(client._engine.wire),
        str(caught.value),
        repr(caught.value),
        repr(ambiguous),
        repr(platform.requests[0]),
        caplog.text,
    ]
    assert [] == [text for text in texts if TOKEN in text]


def test_a_client_it_creates_has_timeouts_and_is_closed() -> None:
    """Without an injected client, one is created with timeouts and closed with the client."""
    from wa_outbound.meta import CloudApiClient

    with CloudApiClient(
        state=fresh_state(), access_token=TOKEN, phone_number_id=SHOP.phone_number_id
    ) as client:
        assert 5.0 == client.http.timeout.connect
    assert client.http.is_closed


def test_an_async_client_it_creates_is_closed() -> None:
    """The async client creates and closes its own `httpx.AsyncClient` too."""
    import asyncio

    from wa_outbound.meta import AsyncCloudApiClient

    async def scenario() -> bool:
        async with AsyncCloudApiClient(
            state=fresh_state(), access_token=TOKEN, phone_number_id=SHOP.phone_number_id
        ) as client:
            pass
        return client.http.is_closed

    assert asyncio.run(scenario())


# --- Twilio ---------------------------------------------------------------------------------


def test_twilio_sends_a_form_with_basic_auth_and_the_keyed_callback(harness: Harness) -> None:
    """Messages.json gets a form; the key rides on the StatusCallback URL."""
    platform = Platform(twilio_created("SM1"))
    client = harness.twilio(platform, status_callback="https://shop.example/status?tenant=7")
    result = harness.run(client.send(ANNA, TwilioText("Your order shipped")))
    assert ("SM1", SendStatus.SENT) == (result.message_id, result.status)
    request = platform.requests[0]
    assert f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json" == request.url.path
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert f"Basic {expected}" == request.headers["authorization"]
    form = form_of(request)
    assert ["whatsapp:+4915123456789"] == form["To"]
    assert ["whatsapp:+14155238886"] == form["From"]
    assert ["Your order shipped"] == form["Body"]
    callback = urlsplit(form["StatusCallback"][0])
    assert {"tenant": ["7"], "wa_outbound_key": [result.key]} == parse_qs(callback.query)


def test_twilio_content_templates_and_api_keys(harness: Harness) -> None:
    """ContentSid + ContentVariables, through a Messaging Service, with an API key."""
    platform = Platform(twilio_created())
    client = harness.twilio(
        platform,
        fresh_state(window=False),
        auth_token="",
        api_key_sid="SK" + "0" * 32,
        api_key_secret="secret",  # noqa: S106 - made-up fixture
        messaging_service_sid="MG" + "1" * 32,
    )
    template = ContentTemplate(
        content_sid=CONTENT_SID, kind=SendKind.UTILITY_TEMPLATE, variables={"1": "Ana"}
    )
    result = harness.run(client.send(ANNA, template))
    assert SendStatus.SENT == result.status
    form = form_of(platform.requests[0])
    assert ([CONTENT_SID], ['{"1":"Ana"}']) == (form["ContentSid"], form["ContentVariables"])
    assert ["MG" + "1" * 32] == form["MessagingServiceSid"]
    assert set() == {"From", "StatusCallback"} & set(form)
    expected = base64.b64encode(("SK" + "0" * 32 + ":secret").encode()).decode()
    assert f"Basic {expected}" == platform.requests[0].headers["authorization"]


def test_twilio_media_is_sent_as_repeated_media_urls(harness: Harness) -> None:
    """Media goes as repeated MediaUrl fields with its caption."""
    platform = Platform(twilio_created())
    client = harness.twilio(platform)
    urls = ["https://shop.example/a.png", "https://shop.example/b.png"]
    harness.run(client.send(ANNA, TwilioMedia(media_urls=urls, body="Look")))
    form = form_of(platform.requests[0])
    assert (urls, ["Look"]) == (form["MediaUrl"], form["Body"])


def test_twilio_errors_map_through_the_same_taxonomy(harness: Harness) -> None:
    """63016 is not retried, is typed, and closes the window in the state."""
    platform = Platform(twilio_error(63016))
    client = harness.twilio(platform)
    with pytest.raises(ApiError) as caught:
        harness.run(client.send(ANNA, TwilioText("hi")))
    assert (Provider.TWILIO, 63016, RetryAction.USE_TEMPLATE) == (
        caught.value.provider,
        caught.value.code,
        caught.value.decision.action,
    )
    decision = client.state.decide(SENDER.phone_number_id, ANNA, SendKind.FREE_FORM, now=NOW)
    assert Reason.WINDOW_CLOSED_BY_PLATFORM in decision.codes


def test_twilio_rate_limits_are_retried(harness: Harness) -> None:
    """20429 (HTTP 429) is retried after a backoff."""
    platform = Platform(twilio_error(20429, 429), twilio_created())
    client = harness.twilio(platform)
    assert SendStatus.SENT == harness.run(client.send(ANNA, TwilioText("hi"))).status
    assert 2 == len(platform.requests)


def test_twilio_bad_input_is_refused_before_any_request(harness: Harness) -> None:
    """Missing credentials, a bad SID, a BSUID or a wrong message: refused, nothing sent."""
    platform = Platform()
    with pytest.raises(InvalidValueError, match="auth_token"):
        harness.twilio(platform, auth_token="")
    with pytest.raises(InvalidValueError, match="account_sid"):
        harness.twilio(platform, account_sid="nope")
    with pytest.raises(InvalidValueError, match="status_callback"):
        harness.twilio(platform, status_callback="/status")
    with pytest.raises(InvalidValueError, match="api_key_sid"):
        harness.twilio(platform, api_key_sid="nope", api_key_secret="x")  # noqa: S106
    with pytest.raises(InvalidValueError, match="api_key_secret"):
        harness.twilio(platform, api_key_sid="SK" + "0" * 32)
    client = harness.twilio(platform)
    from wa_outbound import BusinessScopedUserId

    with pytest.raises(InvalidValueError, match="phone number"):
        harness.run(client.send(BusinessScopedUserId("US.1"), TwilioText("hi")))
    with pytest.raises(InvalidValueError, match="message"):
        harness.run(client.send(ANNA, Text("a Meta message")))
    assert AUTH_TOKEN not in repr(client)
    assert [] == platform.requests


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ContentTemplate(content_sid="HX1", kind=SendKind.UTILITY_TEMPLATE), "content_sid"),
        (lambda: ContentTemplate(content_sid=CONTENT_SID, kind=SendKind.FREE_FORM), "kind"),
        (lambda: TwilioMedia(media_urls="https://a"), "media_urls"),
        (lambda: TwilioMedia(media_urls=["ftp://a"]), "media_urls"),
        (lambda: TwilioText(""), "body"),
        (lambda: Text(" "), "text.body"),
        (lambda: Media(type=MediaType.IMAGE), "media"),
        (lambda: Media(type=MediaType.IMAGE, link="https://a", media_id="1"), "media"),
        (lambda: Interactive({"body": {}}), "interactive"),
        (lambda: TemplateMessage("order_shipped"), "template"),
        (lambda: TemplateMessage(ORDER, ("Ana",)), "parameters"),
        (lambda: Text("hi", preview_url="yes"), "text.preview_url"),
        (lambda: Media(type="picture", link="https://a"), "media.type"),
    ],
)
def test_messages_refuse_bad_values_when_built(build: Any, field: str) -> None:
    """Each message checks its values when it is built, naming the field."""
    with pytest.raises(InvalidValueError) as caught:
        build()
    assert field == caught.value.field


# --- edges ----------------------------------------------------------------------------------------

PLAIN = template_from_graph(
    {
        "name": "hello",
        "language": "en_US",
        "category": "AUTHENTICATION",
        "status": "APPROVED",
        "components": [{"type": "BODY", "text": "Hello there."}],
    }
)


def test_a_template_without_variables_sends_no_components(harness: Harness) -> None:
    """A template with no variables is sent by name and language only."""
    platform = Platform()
    client = harness.meta(platform)
    result = harness.run(client.send(ANNA, TemplateMessage(PLAIN)))
    assert result.sent
    assert "components" not in body_of(platform.requests[0])["template"]


def test_a_bsuid_is_sent_as_recipient(harness: Harness) -> None:
    """A business-scoped user id goes in `recipient`, not `to`; an answer without id is kept."""
    from wa_outbound import BusinessScopedUserId

    platform = Platform(httpx.Response(200, json={"messaging_product": "whatsapp"}))
    client = harness.meta(platform)
    result = harness.run(
        client.send(BusinessScopedUserId("US.13491208655302741918"), Text("hi"), check=False)
    )
    body = body_of(platform.requests[0])
    assert ("US.13491208655302741918", "to" in body) == (body["recipient"], False)
    assert ("", {"messaging_product": "whatsapp"}) == (result.message_id, result.response)


def test_an_error_body_of_another_shape_is_read_by_its_status(harness: Harness) -> None:
    """`{"error": "text"}` is not Graph's shape: the status decides (400: not retried)."""
    platform = Platform(httpx.Response(400, json={"error": "bad"}))
    client = harness.meta(platform)
    with pytest.raises(ApiError) as caught:
        harness.run(client.send(ANNA, Text("hi")))
    assert (None, RetryAction.UNKNOWN) == (caught.value.code, caught.value.decision.action)


def test_template_management_refuses_bad_arguments(harness: Harness) -> None:
    """A non-template, a bad page size or a missing name is refused before any request."""
    platform = Platform()
    client = harness.meta(platform)
    with pytest.raises(InvalidValueError, match="template"):
        harness.run(client.create_template({"name": "x"}))
    with pytest.raises(InvalidValueError, match="page_size"):
        harness.run(client.list_templates(page_size=0))
    with pytest.raises(InvalidValueError, match="name"):
        harness.run(client.delete_template(""))
    harness.run(client.delete_template("hello"))
    assert {"name": "hello"} == dict(platform.requests[0].url.params)


def test_a_blocked_resend_keeps_its_key(harness: Harness) -> None:
    """Resending when the rules now say no: blocked, the entry untouched, the key reported."""
    state = fresh_state()
    client = harness.meta(Platform(httpx.ReadTimeout("slow")), state)
    result = harness.run(client.send(ANNA, Text("hi")))
    from wa_outbound import OptOutReceived

    state.apply(SHOP.phone_number_id, ANNA, [OptOutReceived(at=NOW)])
    again = harness.run(client.resend(result.key))
    assert (SendStatus.BLOCKED, result.key) == (again.status, again.key)
    assert OutboxStatus.AMBIGUOUS == client.outbox.get(result.key).status


def test_an_injected_http_client_is_left_open(harness: Harness) -> None:
    """`close` closes only a client the client created itself."""
    client = harness.meta(Platform())
    if harness.mode == "async":
        harness.run(client.aclose())
    else:
        client.close()
    assert not client.http.is_closed


def test_defaults_read_the_real_clock_and_sleep() -> None:
    """Without `clock` and `sleep`, the client reads UTC now and sleeps for real."""
    from wa_outbound.meta import CloudApiClient
    from wa_outbound.sending._flow import ClientBase, _time_sleep

    client = CloudApiClient(
        state=fresh_state(), access_token=TOKEN, phone_number_id=SHOP.phone_number_id
    )
    assert client._engine.clock().tzinfo is not None
    _time_sleep(0)
    client.close()
    assert not client._engine.retryable(ValueError("not an ApiError"))
    with pytest.raises(NotImplementedError):
        ClientBase()._shell(None, None)


def test_statuses_that_settle_nothing_are_skipped(harness: Harness) -> None:
    """A `deleted` status, or one with an unknown key, settles nothing."""
    client = harness.meta(Platform(httpx.ReadTimeout("slow")))
    result = harness.run(client.send(ANNA, Text("hi")))
    events = [status_event(result.key, StatusKind.DELETED), status_event("wao-x", StatusKind.SENT)]
    assert [] == client.outbox.reconcile(events, now=NOW)


def test_twilio_plain_media_templates_and_resend(harness: Harness) -> None:
    """Media without caption, a template without variables, and a resend under the same key."""
    platform = Platform(httpx.ReadTimeout("slow"), twilio_created("SM2"))
    client = harness.twilio(platform, fresh_state(window=True))
    template = ContentTemplate(content_sid=CONTENT_SID, kind=SendKind.MARKETING_TEMPLATE)
    result = harness.run(client.send(ANNA, template))
    assert SendStatus.AMBIGUOUS == result.status
    again = harness.run(client.resend(result.key))
    assert ("SM2", SendStatus.SENT) == (again.message_id, again.status)
    assert "ContentVariables" not in form_of(platform.requests[0])
    harness.run(client.send(ANNA, TwilioMedia(media_urls=("https://shop.example/a.png",))))
    assert "Body" not in form_of(platform.requests[-1])
    assert "_TwilioWire('https://api.twilio.com/2010-04-01')" == repr(client._engine.wire)


def test_enum_fields_take_their_values_and_flags_only_booleans(harness: Harness) -> None:
    """`"image"` reads as `MediaType.IMAGE`, a kind as its value; `check` must be a boolean."""
    assert MediaType.IMAGE == Media(type="image", link="https://a").type
    template = ContentTemplate(content_sid=CONTENT_SID, kind="utility_template")
    assert SendKind.UTILITY_TEMPLATE == template.kind
    platform = Platform()
    client = harness.meta(platform)
    with pytest.raises(InvalidValueError, match="check"):
        harness.run(client.send(ANNA, Text("hi"), check="no"))
    with pytest.raises(InvalidValueError, match="key"):
        harness.run(client.resend(None))
    assert [] == platform.requests
