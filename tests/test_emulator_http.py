"""The emulator's other endpoints, its HTTP controls, its lazy imports and the `emulate` command."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.test_emulator import ANNA, ORDER, TRANSPORTS, call, make_emulator, send, text
from wa_outbound import InvalidValueError
from wa_outbound.account import MessagingLimit, QualityRating
from wa_outbound.templates import template_from_graph, template_to_graph
from wa_outbound.testing import Emulator

SRC = str(Path(__file__).resolve().parents[1] / "src")


def templates_path(emulator: Emulator) -> str:
    """The account's template endpoint."""
    return f"/v26.0/{emulator.waba_id}/message_templates"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_templates_are_created_listed_in_pages_and_deleted(transport: str) -> None:
    """POST creates, GET pages with cursors and a next link, DELETE removes by name."""
    emulator = make_emulator()
    path, auth = templates_path(emulator), emulator.meta_auth
    graph = template_to_graph(ORDER)
    graph["name"] = "order_shipped"
    created = call(transport, emulator, "POST", path, json=graph, headers=auth).json()
    first = call(transport, emulator, "GET", path, params={"limit": 2}, headers=auth).json()
    second = call(
        transport,
        emulator,
        "GET",
        path,
        params={"limit": 2, "after": first["paging"]["cursors"]["after"]},
        headers=auth,
    ).json()
    names = [t["name"] for t in first["data"] + second["data"]]
    assert "APPROVED" == created["status"]
    assert ["order_update", "spring_sale", "order_shipped"] == names
    assert "next" in first["paging"]
    assert "next" not in second["paging"]
    assert template_from_graph(second["data"][0]).name == "order_shipped"
    deleted = call(
        transport, emulator, "DELETE", path, params={"name": "order_shipped"}, headers=auth
    )
    assert {"success": True} == deleted.json()
    again = call(
        transport, emulator, "DELETE", path, params={"name": "order_shipped"}, headers=auth
    )
    assert 100 == again.json()["error"]["code"]


def test_template_endpoint_refusals() -> None:
    """A duplicate, a body that is not a template, bad paging, a foreign account are refused."""
    emulator = make_emulator()
    path, auth = templates_path(emulator), emulator.meta_auth
    duplicate = call("mock", emulator, "POST", path, json=template_to_graph(ORDER), headers=auth)
    garbage = call("mock", emulator, "POST", path, content=b"{", headers=auth)
    paging = call("mock", emulator, "GET", path, params={"limit": "x"}, headers=auth)
    foreign = call("mock", emulator, "GET", "/v26.0/999/message_templates", headers=auth)
    put = call("mock", emulator, "PUT", path, headers=auth)
    named = call("mock", emulator, "GET", path, params={"name": "spring_sale"}, headers=auth)
    codes = [r.json()["error"]["code"] for r in (duplicate, garbage, paging, foreign, put)]
    assert [100, 100, 100, 100, 2500] == codes
    assert ["spring_sale"] == [t["name"] for t in named.json()["data"]]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_phone_number_fields_tell_quality_status_and_limit(transport: str) -> None:
    """GET /{phone_number_id}?fields=... reports what the controls set, as Meta spells it."""
    emulator = make_emulator()
    emulator.set_quality("YELLOW")
    emulator.set_messaging_limit(2000)
    fields = "quality_rating,status,throughput,whatsapp_business_manager_messaging_limit"
    body = call(
        transport,
        emulator,
        "GET",
        f"/v26.0/{emulator.phone_number_id}",
        params={"fields": fields},
        headers=emulator.meta_auth,
    ).json()
    expected = {
        "id": emulator.phone_number_id,
        "quality_rating": "YELLOW",
        "status": "CONNECTED",
        "throughput": {"level": "STANDARD"},
        "whatsapp_business_manager_messaging_limit": "TIER_2K",
    }
    assert expected == body
    tier = body["whatsapp_business_manager_messaging_limit"]
    assert MessagingLimit(users=2000) == MessagingLimit.parse(tier)


def test_a_banned_number_cannot_send() -> None:
    """A banned number's sends are refused with 133010."""
    emulator = make_emulator()
    emulator.set_phone_status("BANNED")
    emulator.user_message(ANNA)
    assert 133010 == send("mock", emulator, text(ANNA)).json()["error"]["code"]


def test_unknown_paths_and_nodes_are_refused() -> None:
    """An unknown path is 2500; another number's messages are 100 (no such object)."""
    emulator = make_emulator()
    unknown = call("mock", emulator, "GET", "/v26.0/a/b/c/d", headers=emulator.meta_auth)
    other = call("mock", emulator, "POST", "/v26.0/999/messages", headers=emulator.meta_auth)
    edge = call("mock", emulator, "POST", "/v26.0/999/subscribed_apps", headers=emulator.meta_auth)
    codes = [r.json()["error"]["code"] for r in (unknown, other, edge)]
    assert [2500, 100, 2500] == codes


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_controls_over_http_open_windows_and_move_time(transport: str) -> None:
    """`/_emulator/` controls: a user's message opens the window, advancing a day closes it."""
    emulator = make_emulator()
    opened = call(transport, emulator, "POST", "/_emulator/users/4915123456789/message", json={})
    sent = send(transport, emulator, text(ANNA)).status_code
    call(transport, emulator, "POST", "/_emulator/advance", json={"seconds": 90000})
    closed = send(transport, emulator, text(ANNA)).json()["error"]["code"]
    listed = call(transport, emulator, "GET", "/_emulator/messages").json()["messages"]
    assert (200, 200, 131047) == (opened.status_code, sent, closed)
    assert [ANNA[1:]] == [message["recipient"] for message in listed]


def test_every_control_over_http() -> None:
    """Each control answers 200 and does what its method does; unknown ones are 404 or 400."""
    emulator = make_emulator()
    answers = [
        call("mock", emulator, "POST", f"/_emulator/users/{ANNA}/{action}", json={}).status_code
        for action in ("stop_promotions", "resume_promotions", "block", "not_on_whatsapp")
    ]
    answers.append(
        call(
            "mock",
            emulator,
            "POST",
            "/_emulator/templates/order_update/en_US/status",
            json={"event": "PAUSED"},
        ).status_code
    )
    answers.append(
        call(
            "mock",
            emulator,
            "POST",
            "/_emulator/account",
            json={"messaging_limit": 250, "quality": "RED", "status": "FLAGGED"},
        ).status_code
    )
    answers.append(call("mock", emulator, "POST", "/_emulator/settle").status_code)
    assert [200] * 7 == answers
    assert QualityRating.RED == emulator.account.quality_rating
    assert "PAUSED" == emulator.template_state("order_update", "en_US").status.value
    refusals = [
        call("mock", emulator, "POST", "/_emulator/nothing", json={}).status_code,
        call("mock", emulator, "GET", "/_emulator/advance").status_code,
        call("mock", emulator, "POST", "/_emulator/users/x/dance", json={}).status_code,
        call("mock", emulator, "POST", "/_emulator/advance", content=b"[").status_code,
        call("mock", emulator, "POST", "/_emulator/advance", json={}).status_code,
    ]
    assert [404, 404, 404, 400, 400] == refusals


def test_controls_refuse_what_does_not_exist() -> None:
    """Unknown templates, bad arguments and bad numbers raise InvalidValueError."""
    emulator = make_emulator()
    with pytest.raises(InvalidValueError):
        emulator.pause_template("nope", "en_US")
    with pytest.raises(InvalidValueError):
        emulator.advance(timedelta(seconds=-1))
    with pytest.raises(InvalidValueError):
        emulator.block("not a number")
    with pytest.raises(InvalidValueError):
        emulator.add_template("order_update")  # type: ignore[arg-type]
    for options in ({"batch_size": 0}, {"duplicates": 2.0}, {"twilio_account_sid": "AC1"}):
        with pytest.raises(InvalidValueError):
            Emulator(**options)  # type: ignore[arg-type]


def test_the_clock_moves_with_sleep_and_a_repr_names_the_number() -> None:
    """`sleep` is `advance` in seconds, for a client's injectable sleeper."""
    emulator = make_emulator()
    start = emulator.now
    emulator.sleep(1.5)
    assert timedelta(seconds=1.5) == emulator.now - start
    assert emulator.phone_number_id in repr(emulator)
    assert emulator.conversation(ANNA).recipient.value == ANNA[1:]


def test_importing_the_testing_package_loads_no_server_framework() -> None:
    """`import wa_outbound.testing` loads neither Starlette nor uvicorn (nor httpx)."""
    code = (
        "import sys, wa_outbound.testing as t; e = t.Emulator();"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'httpx') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    ).stdout
    assert "[]" == shown.strip()


def test_an_unknown_testing_name_is_an_attribute_error() -> None:
    """A name the testing package does not have raises AttributeError."""
    from wa_outbound import testing

    with pytest.raises(AttributeError):
        _ = testing.no_such_name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_emulate_command_serves_on_loopback(tmp_path: Path) -> None:
    """`emulate --port N` answers a Cloud API send over real HTTP, templates from a file."""
    port = _free_port()
    template_file = tmp_path / "templates.json"
    template_file.write_text(json.dumps([template_to_graph(ORDER)]))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wa_outbound",
            "emulate",
            "--port",
            str(port),
            "--seed",
            "3",
            "--template",
            str(template_file),
        ],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_emulator/messages", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        reply = httpx.post(
            f"{base}/v26.0/106540352242922/messages",
            json={
                "messaging_product": "whatsapp",
                "to": ANNA,
                "type": "template",
                "template": {
                    "name": "order_update",
                    "language": {"code": "en_US"},
                    "components": [
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": "Anna"},
                                {"type": "text", "text": "A-1"},
                            ],
                        }
                    ],
                },
            },
            headers={"Authorization": "Bearer EMULATOR_ACCESS_TOKEN"},
            timeout=5,
        )
        assert 200 == reply.status_code
        assert reply.json()["messages"][0]["id"].startswith("wamid.")
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in out


def test_the_emulate_command_refuses_other_hosts() -> None:
    """A host that is not loopback is refused in one line, with the input error's status."""
    from wa_outbound.cli import main
    from wa_outbound.cli._common import EXIT_INPUT

    assert EXIT_INPUT == main(["emulate", "--port", "9", "--host", "0.0.0.0"])  # noqa: S104
    assert EXIT_INPUT == main(["emulate", "--port", "9", "--host", "example.org"])


def test_a_served_app_posts_signed_webhooks_to_their_urls() -> None:
    """While the app runs, its pump posts due webhooks to the Meta URL, signed."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from wa_outbound.webhooks import read_meta_webhook

    bodies: list[tuple[bytes, dict[str, str]]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            bodies.append((self.rfile.read(length), dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            """Stay quiet."""

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        emulator = Emulator(webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
        emulator.add_template(ORDER)
        app = emulator.asgi_app(pump_seconds=0.01)

        async def serve() -> None:
            async with app.router.lifespan_context(app):
                emulator.user_message(ANNA)
                deadline = time.monotonic() + 10
                while not bodies and time.monotonic() < deadline:  # noqa: ASYNC110 - another thread
                    await asyncio.sleep(0.02)

        asyncio.run(serve())
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    body, headers = bodies[0]
    (event,) = read_meta_webhook(body, headers, app_secrets=[emulator.app_secret])
    assert ANNA[1:] == event.wa_id  # type: ignore[union-attr]


def test_the_emulate_command_builds_its_emulator_from_the_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`emulate` hands uvicorn the app with the emulator its options describe."""
    import io

    import uvicorn

    from wa_outbound.cli import main

    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    template_file = tmp_path / "t.json"
    template_file.write_text(json.dumps(template_to_graph(ORDER)))
    out = io.StringIO()
    argv = ["emulate", "--port", "8765", "--host", "::1", "--faults", "read_timeout=0.1"]
    argv += ["--template", str(template_file), "--messaging-limit", "250", "--reorder"]
    assert 0 == main(argv, out=out)
    emulator = served["app"].state.emulator  # type: ignore[attr-defined]
    assert ("::1", 8765) == (served["host"], served["port"])
    assert 0.1 == emulator.faults.read_timeout
    assert "order_update" == emulator.template_state("order_update", "en_US").name
    assert "http://::1:8765" in out.getvalue()
    assert 0 == main(["emulate", "--port", "8765", "--host", "localhost"], out=io.StringIO())


@pytest.mark.parametrize("port", ["0", "-1", "65536", "\uff12\uff10\uff10\uff10", "http"])
def test_the_emulate_command_refuses_ports_it_cannot_serve(port: str) -> None:
    """A port outside 1..65535, or not written in ASCII digits, is a usage error."""
    from wa_outbound.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["emulate", "--port", port])
    assert 2 == stopped.value.code


def test_the_emulate_command_refuses_a_template_file_that_is_not_json(tmp_path: Path) -> None:
    """A --template file that is not JSON is an input error, before anything is served."""
    from wa_outbound.cli import main
    from wa_outbound.cli._common import EXIT_INPUT

    broken = tmp_path / "broken.json"
    broken.write_bytes(b"\xff{")
    assert EXIT_INPUT == main(["emulate", "--port", "8765", "--template", str(broken)])
