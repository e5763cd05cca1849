"""Realistic Meta webhook bodies, written from Meta's webhook reference shapes (our own values)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # noqa: S105 - a test fixture
WABA = "102290129340398"
PHONE_ID = "106540352242922"
USER = "4915123456789"
T = 1764070000  # 2025-11-25T11:26:40Z


def envelope(*entries: dict[str, Any]) -> dict[str, Any]:
    """Wrap entries in the webhook envelope."""
    return {"object": "whatsapp_business_account", "entry": list(entries)}


def entry(*changes: dict[str, Any], time: int | None = None) -> dict[str, Any]:
    """One entry for our WhatsApp Business Account."""
    item: dict[str, Any] = {"id": WABA, "changes": list(changes)}
    if time is not None:
        item["time"] = time
    return item


def messages_change(**value: Any) -> dict[str, Any]:
    """A `messages` change for our phone number."""
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_ID},
            **value,
        },
    }


def text_message(message_id: str, at: int, body: str, sender: str = USER) -> dict[str, Any]:
    """An inbound text message."""
    return {
        "from": sender,
        "id": message_id,
        "timestamp": str(at),
        "type": "text",
        "text": {"body": body},
    }


def status(message_id: str, kind: str, at: int, **extra: Any) -> dict[str, Any]:
    """A status of one of our messages."""
    return {
        "id": message_id,
        "status": kind,
        "timestamp": str(at),
        "recipient_id": USER,
        **extra,
    }


PMP_DELIVERED = status(
    "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ1",
    "delivered",
    T + 5,
    biz_opaque_callback_data="job=42;attempt=1",
    pricing={"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"},
)

CBP_SENT = status(
    "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ2",
    "sent",
    T + 1,
    conversation={
        "id": "4f1c2d3e4b5a69788796a5b4c3d2e1f0",
        "expiration_timestamp": str(T + 86400),
        "origin": {"type": "marketing"},
    },
    pricing={"billable": True, "pricing_model": "CBP", "category": "marketing"},
)

FAILED_131047 = status(
    "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ3",
    "failed",
    T + 9,
    errors=[
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {
                "details": "Message failed to send because more than 24 hours have passed"
                " since the customer last replied to this number."
            },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
    ],
)

AD_MESSAGE = {
    "from": USER,
    "id": "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABIYIDA1",
    "timestamp": str(T),
    "type": "text",
    "text": {"body": "Hi! Is the offer still on?"},
    "referral": {
        "source_url": "https://fb.me/3cr4Wqqkk",
        "source_id": "120208392380220390",
        "source_type": "ad",
        "headline": "Winter sale",
        "body": "Up to 50% off",
        "media_type": "image",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ",
    },
}

BUTTON_MESSAGE = {
    "context": {"from": "15550001111", "id": "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ2"},
    "from": USER,
    "id": "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABIYIDA2",
    "timestamp": str(T + 60),
    "type": "button",
    "button": {"payload": "STOP_PROMOTIONS", "text": "Stop promotions"},
}

CALL_PERMISSION_ACCEPT = {
    "context": {"from": "15550001111", "id": "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABEYEjQ4"},
    "from": USER,
    "id": "wamid.HBgLNDkxNTEyMzQ1Njc4ORUCABIYIDA3",
    "timestamp": str(T + 120),
    "type": "interactive",
    "interactive": {
        "type": "call_permission_reply",
        "call_permission_reply": {
            "response": "accept",
            "is_permanent": False,
            "expiration_timestamp": T + 120 + 7 * 86400,
            "response_source": "user_action",
        },
    },
}

TEMPLATE_PAUSED = {
    "field": "message_template_status_update",
    "value": {
        "event": "PAUSED",
        "message_template_id": 998877,
        "message_template_name": "order_update",
        "message_template_language": "en_US",
        "reason": "NONE",
        "message_template_category": "UTILITY",
    },
}

TEMPLATE_DISABLED = {
    "field": "message_template_status_update",
    "value": {
        "event": "DISABLED",
        "message_template_id": 998878,
        "message_template_name": "winter_sale",
        "message_template_language": "de_DE",
        "reason": "NONE",
        "disable_info": {"disable_date": "1764156400"},
    },
}

QUALITY_UPDATE = {
    "field": "message_template_quality_update",
    "value": {
        "previous_quality_score": "GREEN",
        "new_quality_score": "YELLOW",
        "message_template_id": 998877,
        "message_template_name": "order_update",
        "message_template_language": "en_US",
    },
}

CATEGORY_IMPENDING = {
    "field": "template_category_update",
    "value": {
        "message_template_id": 998879,
        "message_template_name": "welcome_back",
        "message_template_language": "en_US",
        "correct_category": "MARKETING",
        "new_category": "MARKETING",
        "category_update_timestamp": T + 86400,
    },
}

PHONE_QUALITY = {
    "field": "phone_number_quality_update",
    "value": {
        "display_phone_number": "15550001111",
        "event": "UPGRADE",
        "current_limit": "TIER_10K",
        "old_limit": "TIER_2K",
        "max_daily_conversations_per_business": 10000,
    },
}

CAPABILITY = {
    "field": "business_capability_update",
    "value": {"max_daily_conversations_per_business": -1, "max_phone_numbers_per_business": 20},
}

ACCOUNT_RESTRICTED = {
    "field": "account_update",
    "value": {
        "event": "ACCOUNT_RESTRICTION",
        "restriction_info": [
            {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": T + 86400}
        ],
    },
}

USER_PREFERENCES = {
    "field": "user_preferences",
    "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": USER}],
        "user_preferences": [
            {
                "wa_id": USER,
                "detail": "User requested to stop marketing messages",
                "category": "marketing_messages",
                "value": "stop",
                "timestamp": T + 300,
            }
        ],
    },
}

USER_CALL = messages_change(
    calls=[
        {
            "id": "wacid.HBgLMTIxMTU1NTE0NDYVAgARGCAyODM",
            "to": "15550001111",
            "from": USER,
            "event": "connect",
            "timestamp": str(T + 400),
            "direction": "USER_INITIATED",
        }
    ]
)


def body_of(document: dict[str, Any]) -> bytes:
    """Serialise a document the way Meta does (compact, non-ASCII escaped)."""
    return json.dumps(document, separators=(",", ":")).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """Return the `X-Hub-Signature-256` value Meta would send."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- smb_message_echoes and message_template_components_update: Meta's reference examples ----

ECHO = {
    "field": "smb_message_echoes",
    "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "message_echoes": [
            {
                "from": "15550783881",
                "to": USER,
                "id": "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBIyNDlBOEI5QUQ4NDc0N0FCNjMA",
                "timestamp": str(T + 500),
                "type": "text",
                "text": {"body": "Here's the info you requested! https://www.meta.com/quest/"},
            }
        ],
    },
}
"""An `smb_message_echoes` change, as Meta's webhook reference shows it (our user and time)."""

COMPONENTS_UPDATE = {
    "field": "message_template_components_update",
    "value": {
        "message_template_id": 1315502779341834,
        "message_template_name": "order_confirmation",
        "message_template_language": "en_US",
        "message_template_title": "Your order is confirmed!",
        "message_template_element": "Thank you for your order, {{1}}! Your order number is"
        " {{2}}. If you have any questions, contact support using the buttons below. Thanks"
        " again!",
        "message_template_footer": "Lucky Shrub: the Succulent Specialists!",
        "message_template_buttons": [
            {
                "message_template_button_type": "PHONE_NUMBER",
                "message_template_button_text": "Phone support",
                "message_template_button_phone_number": "+15550783881",
            },
            {
                "message_template_button_type": "URL",
                "message_template_button_text": "Email support",
                "message_template_button_url": "https://www.luckyshrub.com/support",
            },
        ],
    },
}
"""A `message_template_components_update` change, Meta's reference example."""


# --- calls: Meta's Calling API reference shapes ("Call connect", "Call status", "Call
# terminate" webhooks; business-scoped user ids as in "Business-scoped user IDs") -----------

CALL_ID = "wacid.HBgLMTIxMTU1NTE0NDYVAgARGCAyODM"
BUSINESS_CALL_ID = "wacid.HBgLMTIxMTU1NTE0NDYVAgARGCAyOTQ"


def calls_change(**value: Any) -> dict[str, Any]:
    """A `calls` change for our phone number."""
    return {
        "field": "calls",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_ID},
            **value,
        },
    }


def user_call_connect(at: int = T + 400) -> dict[str, Any]:
    """A user calls the business."""
    return calls_change(
        contacts=[{"profile": {"name": "Ana"}, "wa_id": USER}],
        calls=[
            {
                "session": {"sdp_type": "offer", "sdp": "v=0"},
                "from": USER,
                "id": CALL_ID,
                "to": "15550001111",
                "event": "connect",
                "timestamp": str(at),
                "direction": "USER_INITIATED",
            }
        ],
    )


def user_call_terminate(at: int = T + 700, duration: int = 300) -> dict[str, Any]:
    """The user's call ends after `duration` seconds (0: never answered)."""
    call: dict[str, Any] = {
        "from": USER,
        "id": CALL_ID,
        "to": "15550001111",
        "event": "terminate",
        "timestamp": str(at),
        "direction": "USER_INITIATED",
        "status": "COMPLETED" if duration else "FAILED",
    }
    if duration:
        call |= {"duration": duration, "start_time": str(at - duration), "end_time": str(at)}
    return calls_change(calls=[call])


def business_call_status(status: str, at: int, call_id: str = BUSINESS_CALL_ID) -> dict[str, Any]:
    """A business-initiated call's status: RINGING, ACCEPTED or REJECTED."""
    return calls_change(
        statuses=[
            {
                "id": call_id,
                "type": "call",
                "status": status,
                "timestamp": str(at),
                "recipient_id": USER,
                "biz_opaque_callback_data": "campaign=7",
            }
        ]
    )


def business_call_terminate(
    status: str, at: int, call_id: str = BUSINESS_CALL_ID
) -> dict[str, Any]:
    """A business-initiated call ends: COMPLETED (it connected) or FAILED."""
    return calls_change(
        calls=[
            {
                "biz_opaque_callback_data": "campaign=7",
                "from": "15550001111",
                "id": call_id,
                "to": USER,
                "event": "terminate",
                "timestamp": str(at),
                "direction": "BUSINESS_INITIATED",
                "status": status,
            }
        ]
    )
