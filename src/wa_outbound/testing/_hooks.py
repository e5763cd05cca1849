"""The webhooks the emulator sends: real Meta and Twilio bodies, signed as the platforms sign.

Meta: one JSON body (`object: whatsapp_business_account`), signed with `X-Hub-Signature-256`
(HMAC-SHA256 of the raw body with the app secret), non-ASCII escaped in the JSON as Meta
does (TRANSPORT.md 3.1, 3.4). Twilio: one form-encoded callback per status, signed with
`X-Twilio-Signature` (base64 HMAC-SHA1 of the URL followed by every parameter name and value,
sorted by name, with the auth token; TRANSPORT.md 4.3, 4.4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import attrs

from wa_outbound._facts import Provider

__all__ = [
    "WebhookDelivery",
    "meta_delivery",
    "meta_signature",
    "twilio_delivery",
    "twilio_signature",
]


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One webhook request the emulator sends (or hands to a callable)."""

    provider: Provider
    """Whose webhook it is."""
    url: str
    """Where it goes: the Meta webhook URL, or the message's Twilio `StatusCallback` ("" when
    only a callable receives it)."""
    headers: Mapping[str, str]
    """Its headers, signature included."""
    body: bytes
    """Its raw body, exactly as signed."""
    statuses: int = 0
    """How many message statuses it carries (0 for other webhooks)."""


def _dumps(document: object) -> bytes:
    # Meta escapes non-ASCII as \uXXXX in the body it signs; compact separators like Meta's.
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def meta_signature(body: bytes, app_secret: str) -> str:
    """Return the `X-Hub-Signature-256` value of `body` under `app_secret`."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def meta_delivery(
    url: str,
    app_secret: str,
    *,
    waba_id: str,
    field: str,
    value: Mapping[str, Any],
    time: int | None = None,
    statuses: int = 0,
) -> WebhookDelivery:
    """Build one signed Meta webhook with one entry and one change."""
    entry: dict[str, Any] = {"id": waba_id}
    if time is not None:
        entry["time"] = time
    entry["changes"] = [{"field": field, "value": dict(value)}]
    body = _dumps({"object": "whatsapp_business_account", "entry": [entry]})
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": meta_signature(body, app_secret),
        "User-Agent": "facebookexternalua",
    }
    return WebhookDelivery(
        provider=Provider.META, url=url, headers=headers, body=body, statuses=statuses
    )


def twilio_signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """Return the `X-Twilio-Signature` value of a form POST to `url` under `auth_token`."""
    text = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def twilio_delivery(url: str, auth_token: str, params: Mapping[str, str]) -> WebhookDelivery:
    """Build one signed Twilio status callback."""
    body = urlencode(dict(params)).encode("ascii")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(url, params, auth_token),
        "User-Agent": "TwilioProxy/1.1",
    }
    return WebhookDelivery(
        provider=Provider.TWILIO, url=url, headers=headers, body=body, statuses=1
    )
