"""Webhook speed: verify + parse a realistic single-status Meta webhook, and pywa's parser.

Run: `python benchmarks/bench_webhooks.py [--quick]`. Target (issue #7): >= 50,000 verified and
parsed webhooks per second on one core, and >= 3x faster than pywa 4.5 on the same payload.
pywa is not a dependency of this project: install it only in the benchmark environment
(`pip install pywa==4.5.0`); without it the comparison is skipped.

pywa's path is the one its `webhook_update_handler` takes for a status: check the signature
(`webhook_updates_validator`), decode (`RawUpdate`), build the `MessageStatus`
(`from_update`). Its de-duplication hash and handler dispatch are left out, which favours pywa.
Note that pywa builds one status per webhook (the first), while wa_outbound returns every event.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import timeit

from wa_outbound.webhooks import read_meta_webhook

SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # noqa: S105 - a benchmark fixture
BODY = json.dumps(
    {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": "106540352242922",
                            },
                            "contacts": [{"profile": {"name": "Ana"}, "wa_id": "4915123456789"}],
                            "statuses": [
                                {
                                    "id": "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ1",
                                    "status": "delivered",
                                    "timestamp": "1764070005",
                                    "recipient_id": "4915123456789",
                                    "biz_opaque_callback_data": "job=42;attempt=1",
                                    "pricing": {
                                        "billable": True,
                                        "pricing_model": "PMP",
                                        "category": "utility",
                                        "type": "regular",
                                    },
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    },
    separators=(",", ":"),
).encode()
SIGNATURE = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
HEADERS = {"Content-Type": "application/json", "X-Hub-Signature-256": SIGNATURE}


def ours() -> object:
    """Verify and parse with wa_outbound."""
    return read_meta_webhook(BODY, HEADERS, app_secrets=[SECRET])


def _pywa() -> object | None:
    try:
        from pywa import WhatsApp, utils  # noqa: PLC0415
        from pywa.types import MessageStatus, RawUpdate  # noqa: PLC0415
    except ImportError:
        return None
    client = WhatsApp(phone_id="106540352242922", token="x", validate_updates=False)  # noqa: S106

    def theirs() -> object:
        if not utils.webhook_updates_validator(SECRET, BODY, SIGNATURE):
            raise AssertionError
        raw = RawUpdate(BODY, hmac_header=SIGNATURE, update_hash="")
        return MessageStatus.from_update(client=client, update=raw)

    return theirs


def main() -> None:
    """Print webhooks per second, ours and pywa's, and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    number, repeat = (500, 2) if parser.parse_args().quick else (20_000, 7)
    (event,) = ours()  # type: ignore[misc]
    assert event.biz_opaque_callback_data == "job=42;attempt=1"  # type: ignore[attr-defined]
    rate = number / min(timeit.repeat(ours, number=number, repeat=repeat))
    print(f"python {sys.version.split()[0]}; body {len(BODY)} bytes")
    print(f"wa_outbound verify + parse   {rate:>10,.0f} webhooks/s (target >= 50,000)")
    theirs = _pywa()
    if theirs is None:
        print("pywa not installed: comparison skipped (pip install pywa==4.5.0)")
        return
    import pywa  # noqa: PLC0415

    their_rate = number / min(timeit.repeat(theirs, number=number, repeat=repeat))  # type: ignore[arg-type]
    print(f"pywa {pywa.__version__} verify + parse  {their_rate:>10,.0f} webhooks/s")
    print(f"ratio                        {rate / their_rate:10.2f} x (target >= 3)")


if __name__ == "__main__":
    main()
