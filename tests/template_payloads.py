"""Realistic template JSON, written from Meta's documentation, shared by tests and benchmarks."""

from __future__ import annotations

from typing import Any

SEASONAL_PROMOTION: dict[str, Any] = {
    "name": "seasonal_promotion",
    "language": "en_US",
    "category": "MARKETING",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Our {{1}} is on!",
            "example": {"header_text": ["Summer Sale"]},
        },
        {
            "type": "BODY",
            "text": "Shop now through {{1}} and use code {{2}} to get {{3}} off of all"
            " merchandise.",
            "example": {"body_text": [["the end of August", "25OFF", "25%"]]},
        },
        {"type": "FOOTER", "text": "Use the buttons below to manage your marketing subscriptions"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Unsubscribe from Promos"},
                {"type": "QUICK_REPLY", "text": "Unsubscribe from All"},
            ],
        },
    ],
}
"""The create body of Meta's "seasonal_promotion" example (Template components page)."""

LIST_ITEM: dict[str, Any] = {
    "name": "coupon_expiration_reminder_number_vars",
    "parameter_format": "POSITIONAL",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Act fast, {{1}}!",
            "example": {"header_text": ["Pablo"]},
        },
        {
            "type": "BODY",
            "text": "Your coupon code, {{1}}, *expires in only {{2}} days!* Use it at checkout.",
            "example": {"body_text": [["SUMMER20", "10"]]},
        },
        {"type": "FOOTER", "text": "Lucky Shrub Succulents"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "URL", "text": "See deals", "url": "https://www.luckyshrub.com/deals"},
                {"type": "QUICK_REPLY", "text": "Unsubscribe"},
            ],
        },
    ],
    "language": "en",
    "status": "APPROVED",
    "category": "MARKETING",
    "sub_category": "CUSTOM",
    "rejected_reason": "NONE",
    "quality_score": {"score": "GREEN", "date": 1716252000},
    "cta_url_link_tracking_opted_out": False,
    "id": "1304694804498707",
}
"""An item of "list templates", with fields asked for and one the model does not name."""

AUTHENTICATION_COPY_CODE: dict[str, Any] = {
    "name": "authentication_code_copy_code_button",
    "language": "en_US",
    "category": "AUTHENTICATION",
    "message_send_ttl_seconds": 60,
    "components": [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 5},
        {
            "type": "BUTTONS",
            "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy Code"}],
        },
    ],
}
"""Meta's copy-code authentication example, in the uppercase the API returns."""

NAMED_PARAMETERS: dict[str, Any] = {
    "name": "order_confirmation",
    "language": "en_US",
    "category": "UTILITY",
    "parameter_format": "NAMED",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Order {{order_number}} is confirmed",
            "example": {
                "header_text_named_params": [
                    {"param_name": "order_number", "example": "860198-230332"}
                ]
            },
        },
        {
            "type": "BODY",
            "text": "Thank you, {{first_name}}! Your order {{order_number}} will ship by"
            " {{ship_date}}. We will send tracking details then.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Pablo"},
                    {"param_name": "order_number", "example": "860198-230332"},
                    {"param_name": "ship_date", "example": "December 2"},
                ]
            },
        },
    ],
}
"""A named-parameter template: header and body examples by parameter name."""

CAROUSEL: dict[str, Any] = {
    "name": "summer_carousel_promo_2023",
    "language": "en_US",
    "category": "MARKETING",
    "components": [
        {
            "type": "BODY",
            "text": "Summer is here, and we have the freshest produce around! Use code {{1}}"
            " to get {{2}} off your next order.",
            "example": {"body_text": [["15OFF", "15%"]]},
        },
        {
            "type": "CAROUSEL",
            "cards": [
                {
                    "components": [
                        {
                            "type": "HEADER",
                            "format": "IMAGE",
                            "example": {"header_handle": ["4::an..."]},
                        },
                        {
                            "type": "BODY",
                            "text": "Rare lemons for unique cocktails. Use code {{1}} to get {{2}}"
                            " off all produce.",
                            "example": {"body_text": [["15OFF", "15%"]]},
                        },
                        {
                            "type": "BUTTONS",
                            "buttons": [
                                {"type": "QUICK_REPLY", "text": "Send more like this"},
                                {
                                    "type": "URL",
                                    "text": "Buy now",
                                    "url": "https://www.luckyshrub.com/shop?promo={{1}}",
                                    "example": [
                                        "https://www.luckyshrub.com/shop?promo=exotic_produce_2023"
                                    ],
                                },
                            ],
                        },
                    ]
                }
            ],
        },
    ],
}
"""A media-card carousel: the model keeps the CAROUSEL component whole."""

LIST_RESPONSE: dict[str, Any] = {
    "data": [LIST_ITEM, AUTHENTICATION_COPY_CODE],
    "paging": {
        "cursors": {"before": "MAZDZD", "after": "MjQZD"},
        "next": "https://graph.facebook.com/v23.0/102290129340398/message_templates?after=MjQZD",
    },
}
"""A "list templates" response: a `data` list and `paging`."""

ORDER_SHIPPED: dict[str, Any] = {
    "name": "order_shipped_v2",
    "language": "en_US",
    "category": "UTILITY",
    "parameter_format": "NAMED",
    "components": [
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U="]}},
        {
            "type": "BODY",
            "text": "Hello {{first_name}}, your order {{order_id}} has shipped and should"
            " arrive on {{delivery_date}}. Thank you for your patience.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Pablo"},
                    {"param_name": "order_id", "example": "860198-230332"},
                    {"param_name": "delivery_date", "example": "May 3"},
                ]
            },
        },
        {"type": "FOOTER", "text": "Lucky Shrub"},
        {
            "type": "BUTTONS",
            "buttons": [
                {
                    "type": "URL",
                    "text": "Track your order",
                    "url": "https://www.luckyshrub.com/track/{{1}}",
                    "example": ["https://www.luckyshrub.com/track/860198"],
                },
                {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550051310"},
                {"type": "QUICK_REPLY", "text": "Talk to an agent"},
            ],
        },
    ],
}
"""An order update: media header, named variables, URL, phone and quick-reply buttons."""
