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


# --- every documented template format: Meta's own create examples, verbatim ---------------

SPM_TEMPLATE: dict[str, Any] = {
    "name": "spm_template_named_params",
    "language": "en_US",
    "category": "marketing",
    "parameter_format": "named",
    "components": [
        {"type": "header", "format": "product"},
        {
            "type": "body",
            "text": "Use code {{code}} to get {{percent}} off our newest succulent!",
            "example": {
                "body_text_named_params": [
                    {"param_name": "code", "example": "15OFF"},
                    {"param_name": "percent", "example": "15%"},
                ]
            },
        },
        {"type": "footer", "text": "Offer ends September 22, 2024"},
        {"type": "buttons", "buttons": [{"type": "spm", "text": "View"}]},
    ],
}
"""Meta's example create body ("Single-product message templates" page)."""

MPM_TEMPLATE: dict[str, Any] = {
    "name": "abandoned_cart",
    "language": "en_US",
    "category": "MARKETING",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Forget something, {{1}}?",
            "example": {"header_text": ["Pablo"]},
        },
        {
            "type": "BODY",
            "text": "Looks like you left these items in your cart, still interested? Use code {{1}} to get 10% off!",  # noqa: E501 - Meta's text, verbatim
            "example": {"body_text": [["10OFF"]]},
        },
        {"type": "BUTTONS", "buttons": [{"type": "MPM", "text": "View items"}]},
    ],
}
"""Meta's example create body ("Multi-product message templates" page)."""

CATALOG_TEMPLATE: dict[str, Any] = {
    "name": "intro_catalog_offer",
    "language": "en_US",
    "category": "MARKETING",
    "components": [
        {
            "type": "BODY",
            "text": "Now shop for your favorite products right here on WhatsApp! Get Rs {{1}} off on all orders above {{2}}Rs! Valid for your first {{3}} orders placed on WhatsApp!",  # noqa: E501 - Meta's text, verbatim
            "example": {"body_text": [["100", "400", "3"]]},
        },
        {"type": "FOOTER", "text": "Best grocery deals on WhatsApp!"},
        {"type": "BUTTONS", "buttons": [{"type": "CATALOG", "text": "View catalog"}]},
    ],
}
"""Meta's example create body ("Catalog templates" page)."""

LIMITED_TIME_OFFER_TEMPLATE: dict[str, Any] = {
    "name": "limited_time_offer_caribbean_pkg_2023",
    "language": "en_US",
    "category": "marketing",
    "components": [
        {"type": "header", "format": "image", "example": {"header_handle": ["4::aW..."]}},
        {
            "type": "limited_time_offer",
            "limited_time_offer": {"text": "Expiring offer!", "has_expiration": True},
        },
        {
            "type": "body",
            "text": "Good news, {{1}}! Use code {{2}} to get 25% off all Caribbean Destination packages!",  # noqa: E501 - Meta's text, verbatim
            "example": {"body_text": [["Pablo", "CARIBE25"]]},
        },
        {
            "type": "buttons",
            "buttons": [
                {"type": "copy_code", "example": "CARIBE25"},
                {
                    "type": "url",
                    "text": "Book now!",
                    "url": "https://awesomedestinations.com/offers?code={{1}}",
                    "example": ["https://awesomedestinations.com/offers?ref=n3mtql"],
                },
            ],
        },
    ],
}
"""Meta's example create body ("Limited-time offer templates" page)."""

MEDIA_CAROUSEL_TEMPLATE: dict[str, Any] = {
    "name": "carousel_template_media_cards_v1",
    "language": "en_US",
    "category": "marketing",
    "components": [
        {
            "type": "body",
            "text": "Rare succulents for sale! {{1}}, add these unique plants to your collection. Each of these rare succulents are {{2}} if you checkout using code {{3}}. Shop now and add some unique and beautiful plants to your collection!",  # noqa: E501 - Meta's text, verbatim
            "example": {"body_text": [["Pablo", "30%", "30OFF"]]},
        },
        {
            "type": "carousel",
            "cards": [
                {
                    "components": [
                        {
                            "type": "header",
                            "format": "image",
                            "example": {"header_handle": ["4::an..."]},
                        },
                        {
                            "type": "buttons",
                            "buttons": [
                                {"type": "quick_reply", "text": "Send me more like this!"},
                                {
                                    "type": "url",
                                    "text": "Shop",
                                    "url": "https://www.luckyshrub.com/rare-succulents/{{1}}",
                                    "example": ["BLUE_ELF"],
                                },
                            ],
                        },
                    ]
                },
                {
                    "components": [
                        {
                            "type": "header",
                            "format": "image",
                            "example": {"header_handle": ["4::an..."]},
                        },
                        {
                            "type": "buttons",
                            "buttons": [
                                {"type": "quick_reply", "text": "Send me more like this!"},
                                {
                                    "type": "url",
                                    "text": "Shop",
                                    "url": "https://www.luckyshrub.com/rare-succulents{{1}}",
                                    "example": ["BUDDHA"],
                                },
                            ],
                        },
                    ]
                },
                {
                    "components": [
                        {
                            "type": "header",
                            "format": "image",
                            "example": {"header_handle": ["4::an..."]},
                        },
                        {
                            "type": "buttons",
                            "buttons": [
                                {"type": "quick_reply", "text": "Send me more like this!"},
                                {
                                    "type": "url",
                                    "text": "Shop",
                                    "url": "https://www.luckyshrub.com/rare-succulents{{1}}",
                                    "example": ["BLACK_PRINCE"],
                                },
                            ],
                        },
                    ]
                },
            ],
        },
    ],
}
"""Meta's example create body ("Media card carousel templates" page)."""

PRODUCT_CAROUSEL_TEMPLATE: dict[str, Any] = {
    "name": "carousel_template_product_cards_v1",
    "language": "en_US",
    "category": "marketing",
    "components": [
        {
            "type": "body",
            "text": "Rare succulents for sale! {{1}}, add these unique plants to your collection. All three of these rare succulents are available for purchase on our website, and they come with a 100% satisfaction guarantee. Whether you're a seasoned succulent enthusiast or just starting your plant collection, these rare succulents are sure to impress. Shop now and add some unique and beautiful plants to your collection!",  # noqa: E501 - Meta's text, verbatim
            "example": {"body_text": "Pablo"},
        },
        {
            "type": "carousel",
            "cards": [
                {
                    "components": [
                        {"type": "header", "format": "product"},
                        {"type": "buttons", "buttons": [{"type": "spm", "text": "View"}]},
                    ]
                },
                {
                    "components": [
                        {"type": "header", "format": "product"},
                        {"type": "buttons", "buttons": [{"type": "spm", "text": "View"}]},
                    ]
                },
            ],
        },
    ],
}
"""Meta's example create body ("Product card carousel templates" page)."""

COUPON_TEMPLATE: dict[str, Any] = {
    "name": "coupon_code_fall2023_25off",
    "language": "en_US",
    "category": "MARKETING",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Our Fall Sale is on!"},
        {
            "type": "BODY",
            "text": "Shop now through November and use code {{1}} to get {{2}} off of all merchandise!",  # noqa: E501 - Meta's text, verbatim
            "example": {"body_text": [["25OFF", "25%"]]},
        },
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Unsubscribe"},
                {"type": "COPY_CODE", "example": "250FF"},
            ],
        },
    ],
}
"""Meta's example create body ("Coupon templates" page)."""

DOCUMENTED_FORMATS: dict[str, dict[str, Any]] = {
    "spm-templates": SPM_TEMPLATE,
    "mpm-templates": MPM_TEMPLATE,
    "catalog-templates": CATALOG_TEMPLATE,
    "limited-time-offer-templates": LIMITED_TIME_OFFER_TEMPLATE,
    "media-card-carousel-templates": MEDIA_CAROUSEL_TEMPLATE,
    "product-card-carousel-templates": PRODUCT_CAROUSEL_TEMPLATE,
    "coupon-templates": COUPON_TEMPLATE,
}
"""Each documented template format's example, by Meta's page."""
