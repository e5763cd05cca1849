"""`emulate --port N [--host 127.0.0.1] [--seed S] [--faults SPEC] ...`: serve the emulator.

WhatsApp's Cloud API and Twilio's Messages endpoint, rules included, over HTTP on loopback
with uvicorn (the `emulator` extra), for a service's own integration tests. The clock follows
real time from the moment it starts; `POST /_emulator/advance {"seconds": 86400}` moves it.
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import TYPE_CHECKING, TextIO

from wa_outbound._errors import InvalidValueError, TemplateFormatError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

HELP = "serve the WhatsApp Cloud API and Twilio emulator (rules included) on loopback"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the server's and the emulator's options."""
    parser.add_argument(
        "--port", type=_port, required=True, help="the TCP port to listen on (1 to 65535)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="a loopback address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of faults, ids and shuffling")
    parser.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help='fault fractions: "rate_limited=0.05,read_timeout=0.02" or "0.2" spread evenly'
        " (kinds: rate_limited, server_error, connect_error, connection_reset, read_timeout)",
    )
    parser.add_argument("--token", default="EMULATOR_ACCESS_TOKEN", help="Cloud API token")
    parser.add_argument("--app-secret", default="EMULATOR_APP_SECRET", help="webhook secret")
    parser.add_argument("--webhook-url", default="", help="where Meta webhooks are posted")
    parser.add_argument(
        "--template",
        action="append",
        default=[],
        metavar="FILE",
        help="Graph API JSON template(s) to start with (repeatable)",
    )
    parser.add_argument(
        "--messaging-limit", type=int, default=None, help="unique users per 24 h (default none)"
    )
    parser.add_argument("--no-pacing", action="store_true", help="no 130429 / 131056")
    parser.add_argument("--batch-size", type=int, default=1, help="statuses per Meta webhook")
    parser.add_argument("--duplicates", type=float, default=0.0, help="fraction sent twice")
    parser.add_argument("--reorder", action="store_true", help="shuffle statuses due together")
    parser.add_argument(
        "--hold", type=float, default=30.0, help="seconds a read-timeout fault holds its reply"
    )


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):  # noqa: PLR2004
        msg = f"invalid port {text!r}: expected a whole number from 1 to 65535"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _loopback(host: str) -> str:
    if host == "localhost":
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise InvalidValueError("--host", host, "the emulator serves loopback addresses only")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Serve the emulator until interrupted."""
    import json  # noqa: PLC0415 - this command only
    from pathlib import Path  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415 - the `emulator` extra, for this command only

    from wa_outbound.templates import templates_from_graph  # noqa: PLC0415
    from wa_outbound.testing import Emulator, Faults, emulator_app  # noqa: PLC0415

    host = _loopback(args.host)
    emulator = Emulator(
        start=clock(),
        realtime=True,
        seed=args.seed,
        faults=Faults.parse(args.faults),
        access_token=args.token,
        app_secret=args.app_secret,
        webhook_url=args.webhook_url,
        messaging_limit=args.messaging_limit,
        pacing=not args.no_pacing,
        batch_size=args.batch_size,
        duplicates=args.duplicates,
        reorder=args.reorder,
    )
    for name in args.template:
        try:
            document = json.loads(Path(name).read_text(encoding="utf-8"))
        except ValueError as error:  # not UTF-8, or not JSON
            raise TemplateFormatError("--template", name, f"not a JSON file: {error}") from None
        for template in templates_from_graph(document):
            emulator.add_template(template)
    base = f"http://{host}:{args.port}"
    print(
        f"WhatsApp emulator on {base} (seed {args.seed}, faults: {args.faults or 'none'})", file=out
    )
    print(f"  Cloud API: POST {base}/v26.0/{emulator.phone_number_id}/messages", file=out)
    print(f"             Authorization: Bearer {emulator.access_token}", file=out)
    print(f"  Twilio:    POST {base}{emulator.twilio_messages_path}", file=out)
    print(f"  controls:  {base}/_emulator/... (advance, settle, users, templates)", file=out)
    out.flush()
    app = emulator_app(emulator, hold_seconds=args.hold)
    uvicorn.run(app, host=host, port=args.port, log_level="warning")
    return 0
