"""Twilio Content API resources read as templates, and the `ContentVariables` field written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import InvalidValueError, TemplateFormatError, rules_at
from wa_outbound._categories import TemplateCategory
from wa_outbound._templates import (
    Body,
    BodyExample,
    Button,
    Buttons,
    ButtonType,
    Footer,
    Header,
    HeaderExample,
    HeaderFormat,
    NamedExample,
    OtpType,
    ParameterFormat,
    Template,
)
from wa_outbound._twilio_content import template_from_twilio_content, twilio_content_variables

from .conftest import T0
from .json_mutations import DELETE, json_values, mutated, with_value

SID = "HX2b1b3c7d4e5f60718293a4b5c6d7e8f9"

TODAY = rules_at(T0)
"""The rules of the tests' Monday."""


def resource(types: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A Content API resource as `GET /v1/Content/{sid}` returns it, with the given types."""
    return {
        "sid": SID,
        "account_sid": "AC5e1f0c8f4b2a4d3c9e7f6a5b4c3d2e1f",
        "friendly_name": "owl_air_update",
        "language": "en",
        "variables": {"1": "Maria", "2": "OA1234"},
        "types": types,
        "url": f"https://content.twilio.com/v1/Content/{SID}",
        "date_created": "2026-11-20T09:15:00Z",
        "date_updated": "2026-11-20T09:15:00Z",
        "links": {
            "approval_fetch": f"https://content.twilio.com/v1/Content/{SID}/ApprovalRequests",
            "approval_create": (
                f"https://content.twilio.com/v1/Content/{SID}/ApprovalRequests/whatsapp"
            ),
        },
        **fields,
    }


TEXT = resource(
    {
        "twilio/text": {
            "body": "Hi {{1}}, thanks for contacting Owl Air Support. Your flight {{2}} is"
            " confirmed and we will see you soon."
        }
    }
)
"""A twilio/text resource with two numbered variables and their defaults."""

CALL_TO_ACTION = resource(
    {
        "twilio/call-to-action": {
            "body": "Owl Air: we will see you soon, {{1}}! Flight {{2}} departs on time.",
            "actions": [
                {"type": "URL", "title": "Check flight status", "url": "https://owlair.com/{{3}}"},
                {"type": "PHONE_NUMBER", "title": "Call support", "phone": "+15555551234"},
                {"type": "COPY_CODE", "title": "Copy booking code", "code": "OWL2026"},
                {"type": "VOICE_CALL", "title": "Call us on WhatsApp"},
            ],
        }
    },
    variables={"1": "Maria", "2": "OA1234", "3": "status/OA1234"},
)
"""A call-to-action resource with every kind of action WhatsApp templates take."""

QUICK_REPLY = resource(
    {
        "twilio/quick-reply": {
            "body": "Hi {{1}}, thanks for contacting Owl Air Support. How can we help today?",
            "actions": [
                {"title": "Check flight status", "id": "flightid1"},
                {"title": "Check gate number", "id": "gateid1"},
                {"title": "Speak with an agent", "id": "agentid1"},
            ],
        }
    }
)
"""A quick-reply resource: actions without a `type`."""

MEDIA = resource(
    {
        "twilio/media": {
            "body": "Thank you for your order, {{1}}. Your receipt is attached below.",
            "media": ["https://twilio-cms-prod.s3.amazonaws.com/{{2}}"],
        }
    },
    variables={"1": "Maria", "2": "receipts/4721.pdf"},
)
"""A media resource whose media URL ends in a variable with a sample path."""

TWILIO_CARD = resource(
    {
        "twilio/card": {
            "title": "Congratulations {{1}}, you have reached Elite status with Owl Air.",
            "subtitle": "To unsubscribe, reply Stop",
            "media": ["https://twilio-cms-prod.s3.amazonaws.com/images/elite-card.png"],
            "actions": [
                {"type": "URL", "title": "See your benefits", "url": "https://owlair.com/elite"},
                {"type": "QUICK_REPLY", "title": "Stop promotions", "id": "stop"},
            ],
        }
    },
    variables={"1": "Maria"},
)
"""A twilio/card resource: title as body, subtitle as footer, a static image."""

WHATSAPP_CARD = resource(
    {
        "whatsapp/card": {
            "header_text": "Your {{1}} card is ready",
            "body": "Congratulations, you have reached Elite status! Show code {{2}} at the gate.",
            "footer": "Owl Air Support",
            "actions": [
                {"type": "URL", "title": "Order online", "url": "https://owlair.com/"},
                {"type": "PHONE_NUMBER", "title": "Call us", "phone": "+15551234567"},
            ],
        }
    },
    variables={"1": "Elite", "2": "ELITE10"},
)
"""A whatsapp/card resource with a text header and a footer."""

AUTHENTICATION = resource(
    {
        "whatsapp/authentication": {
            "add_security_recommendation": True,
            "code_expiration_minutes": 5,
            "actions": [{"type": "COPY_CODE", "copy_code_text": "Copy verification code"}],
        }
    },
    friendly_name="owl_air_verification",
    variables={"1": "123456"},
)
"""A whatsapp/authentication resource: Meta's preset text, an expiry and a copy-code button."""


def _template(*components: Any, **fields: Any) -> Template:
    """The template the default `resource` maps to, with these components."""
    base: dict[str, Any] = {
        "name": "owl_air_update",
        "language": "en",
        "category": TemplateCategory.UTILITY,
        "id": SID,
    }
    return Template(components=components, **{**base, **fields})


# --- realistic resources -------------------------------------------------------------------


def test_text_resource() -> None:
    """A twilio/text body keeps its variables and gets examples from the defaults."""
    expected = _template(
        Body(
            text=TEXT["types"]["twilio/text"]["body"],
            example=BodyExample(body_text=(("Maria", "OA1234"),)),
        )
    )
    assert expected == template_from_twilio_content(TEXT)


def test_call_to_action_resource() -> None:
    """Call-to-action actions become URL, phone, copy-code and voice-call buttons."""
    expected = _template(
        Body(
            text="Owl Air: we will see you soon, {{1}}! Flight {{2}} departs on time.",
            example=BodyExample(body_text=(("Maria", "OA1234"),)),
        ),
        Buttons(
            buttons=(
                Button(
                    type=ButtonType.URL,
                    text="Check flight status",
                    url="https://owlair.com/{{3}}",
                    example=("https://owlair.com/status/OA1234",),
                ),
                Button(
                    type=ButtonType.PHONE_NUMBER, text="Call support", phone_number="+15555551234"
                ),
                Button(type=ButtonType.COPY_CODE, example="OWL2026"),
                Button(type=ButtonType.VOICE_CALL, text="Call us on WhatsApp"),
            )
        ),
    )
    assert expected == template_from_twilio_content(CALL_TO_ACTION)


def test_quick_reply_resource() -> None:
    """Quick-reply actions (no `type`) become QUICK_REPLY buttons labelled by their title."""
    template = template_from_twilio_content(QUICK_REPLY)
    expected = tuple(
        Button(type=ButtonType.QUICK_REPLY, text=title)
        for title in ("Check flight status", "Check gate number", "Speak with an agent")
    )
    assert expected == template.buttons
    assert BodyExample(body_text=(("Maria",),)) == (template.body or Body()).example


def test_media_resource() -> None:
    """A media URL ending in a variable gives a header whose sample is the filled-in URL."""
    template = template_from_twilio_content(MEDIA)
    expected = Header(
        format=HeaderFormat.DOCUMENT,
        example=HeaderExample(
            header_handle=("https://twilio-cms-prod.s3.amazonaws.com/receipts/4721.pdf",)
        ),
    )
    assert expected == template.header
    assert BodyExample(body_text=(("Maria",),)) == (template.body or Body()).example


def test_twilio_card_resource() -> None:
    """A twilio/card maps title to body, subtitle to footer and media to an image header."""
    expected = _template(
        Header(
            format=HeaderFormat.IMAGE,
            example=HeaderExample(
                header_handle=("https://twilio-cms-prod.s3.amazonaws.com/images/elite-card.png",)
            ),
        ),
        Body(
            text="Congratulations {{1}}, you have reached Elite status with Owl Air.",
            example=BodyExample(body_text=(("Maria",),)),
        ),
        Footer(text="To unsubscribe, reply Stop"),
        Buttons(
            buttons=(
                Button(
                    type=ButtonType.URL, text="See your benefits", url="https://owlair.com/elite"
                ),
                Button(type=ButtonType.QUICK_REPLY, text="Stop promotions"),
            )
        ),
        category=TemplateCategory.MARKETING,
    )
    actual = template_from_twilio_content(TWILIO_CARD, category=TemplateCategory.MARKETING)
    assert expected == actual


def test_twilio_card_with_title_and_body() -> None:
    """A twilio/card with both a title and a body shows them one line after the other."""
    card = {"twilio/card": {"title": "Elite status", "body": "Welcome to Elite, {{1}}."}}
    template = template_from_twilio_content(resource(card))
    assert "Elite status\nWelcome to Elite, {{1}}." == (template.body or Body()).text


def test_whatsapp_card_resource() -> None:
    """A whatsapp/card maps header_text, body, footer and actions, each with its examples."""
    expected = _template(
        Header(
            format=HeaderFormat.TEXT,
            text="Your {{1}} card is ready",
            example=HeaderExample(header_text=("Elite",)),
        ),
        Body(
            text="Congratulations, you have reached Elite status! Show code {{2}} at the gate.",
            example=BodyExample(body_text=(("ELITE10",),)),
        ),
        Footer(text="Owl Air Support"),
        Buttons(
            buttons=(
                Button(type=ButtonType.URL, text="Order online", url="https://owlair.com/"),
                Button(type=ButtonType.PHONE_NUMBER, text="Call us", phone_number="+15551234567"),
            )
        ),
    )
    assert expected == template_from_twilio_content(WHATSAPP_CARD)


def test_whatsapp_card_with_media_and_no_actions() -> None:
    """A whatsapp/card without header_text takes its media header; no actions, no buttons."""
    card = {
        "whatsapp/card": {
            "body": "Your boarding pass for flight {{1}} is attached to this message.",
            "media": ["https://owlair.com/passes/{{2}}"],
        }
    }
    template = template_from_twilio_content(resource(card, variables={"1": "OA1", "2": "p.pdf"}))
    assert (HeaderFormat.DOCUMENT, ()) == (
        (template.header or Header(format=HeaderFormat.TEXT)).format,
        template.buttons,
    )


def test_authentication_resource() -> None:
    """whatsapp/authentication becomes Meta's preset body, expiry footer and OTP button."""
    expected = Template(
        name="owl_air_verification",
        language="en",
        category=TemplateCategory.AUTHENTICATION,
        components=(
            Body(add_security_recommendation=True),
            Footer(code_expiration_minutes=5),
            Buttons(
                buttons=(
                    Button(
                        type=ButtonType.OTP,
                        otp_type=OtpType.COPY_CODE,
                        text="Copy verification code",
                    ),
                )
            ),
        ),
        id=SID,
    )
    assert expected == template_from_twilio_content(AUTHENTICATION)


def test_authentication_defaults() -> None:
    """Twilio's security recommendation defaults to on; no expiry means no footer."""
    content = {"whatsapp/authentication": {"actions": [{"type": "COPY_CODE"}]}}
    template = template_from_twilio_content(resource(content))
    expected = (
        Body(add_security_recommendation=True),
        Buttons(buttons=(Button(type=ButtonType.OTP, otp_type=OtpType.COPY_CODE),)),
    )
    assert expected == template.components


def test_authentication_without_recommendation_or_buttons() -> None:
    """An explicit false is kept, and an empty action list gives no BUTTONS component."""
    content = {"whatsapp/authentication": {"add_security_recommendation": False, "actions": []}}
    template = template_from_twilio_content(resource(content))
    assert (Body(add_security_recommendation=False),) == template.components


# --- choices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        (["twilio/text", "whatsapp/authentication"], "whatsapp/authentication"),
        (["twilio/text", "twilio/card", "whatsapp/card"], "whatsapp/card"),
        (["twilio/quick-reply", "twilio/card"], "twilio/card"),
        (["twilio/text", "twilio/quick-reply", "twilio/call-to-action"], "twilio/call-to-action"),
        (["twilio/media", "twilio/quick-reply"], "twilio/quick-reply"),
        (["twilio/text", "twilio/media", "twilio/location"], "twilio/media"),
        (["twilio/list-picker", "twilio/text"], "twilio/text"),
    ],
)
def test_the_whatsapp_type_is_preferred(present: list[str], chosen: str) -> None:
    """Of several content types, the one WhatsApp templates are made of is read."""
    contents = {
        "whatsapp/authentication": AUTHENTICATION["types"]["whatsapp/authentication"],
        "whatsapp/card": WHATSAPP_CARD["types"]["whatsapp/card"],
        "twilio/card": TWILIO_CARD["types"]["twilio/card"],
        "twilio/call-to-action": CALL_TO_ACTION["types"]["twilio/call-to-action"],
        "twilio/quick-reply": QUICK_REPLY["types"]["twilio/quick-reply"],
        "twilio/media": MEDIA["types"]["twilio/media"],
        "twilio/text": TEXT["types"]["twilio/text"],
        "twilio/location": {"latitude": 37.7, "longitude": -122.4, "label": "Owl Air HQ"},
        "twilio/list-picker": {"body": "Pick one", "button": "Options", "items": []},
    }
    both = template_from_twilio_content(resource({k: contents[k] for k in present}))
    alone = template_from_twilio_content(resource({chosen: contents[chosen]}))
    assert alone == both


@pytest.mark.parametrize("category", list(TemplateCategory))
def test_category_argument(category: TemplateCategory) -> None:
    """The category given is the template's category, whatever the content type."""
    assert category == template_from_twilio_content(TEXT, category=category).category


def test_created_resource_without_sid() -> None:
    """A resource as created (no `sid` yet) reads with no `id`."""
    data = {k: v for k, v in TEXT.items() if k != "sid"}
    assert template_from_twilio_content(data).id is None


def test_resource_without_variables() -> None:
    """A resource without `variables` reads; its variables get no examples."""
    data = {k: v for k, v in TEXT.items() if k != "variables"}
    template = template_from_twilio_content(data)
    assert Body(text=TEXT["types"]["twilio/text"]["body"]) == template.body


def test_named_variables() -> None:
    """Variables with names make the template NAMED, examples in order of appearance."""
    content = {"twilio/text": {"body": "Hi {{first_name}}, your flight {{flight}} is confirmed."}}
    data = resource(content, variables={"flight": "OA1234", "first_name": "Maria"})
    template = template_from_twilio_content(data)
    expected = BodyExample(
        body_text_named_params=(
            NamedExample(param_name="first_name", example="Maria"),
            NamedExample(param_name="flight", example="OA1234"),
        )
    )
    assert (ParameterFormat.NAMED, expected) == (
        template.parameter_format,
        (template.body or Body()).example,
    )


def test_named_header_variable() -> None:
    """A named variable in a card's header text gets a named header example."""
    card = {"whatsapp/card": {"header_text": "Hi {{name}} there", "body": "Your card is ready."}}
    template = template_from_twilio_content(resource(card, variables={"name": "Maria"}))
    expected = HeaderExample(
        header_text_named_params=(NamedExample(param_name="name", example="Maria"),)
    )
    assert expected == (template.header or Header(format=HeaderFormat.TEXT)).example


def test_positional_examples_follow_the_numbers() -> None:
    """Positional examples are listed by number, whatever order the text uses them in."""
    content = {"twilio/text": {"body": "Flight {{2}} for {{1}} and again {{2}} is ready."}}
    template = template_from_twilio_content(resource(content))
    assert BodyExample(body_text=(("Maria", "OA1234"),)) == (template.body or Body()).example
    assert template.parameter_format is None


def test_missing_defaults_leave_examples_out() -> None:
    """A text, URL, code or media URL with a variable lacking a default gets no example."""
    card = {
        "whatsapp/card": {
            "header_text": "Gate {{7}} update",
            "body": "Flight {{9}} now boards at gate {{1}} for everyone.",
            "actions": [
                {"type": "URL", "title": "Details", "url": "https://owlair.com/{{8}}"},
                {"type": "COPY_CODE", "title": "Copy", "code": "{{6}}"},
            ],
        }
    }
    template = template_from_twilio_content(resource(card))
    examples = (
        (template.header or Header(format=HeaderFormat.TEXT)).example,
        (template.body or Body()).example,
        tuple(b.example for b in template.buttons),
    )
    assert (None, None, (None, None)) == examples
    media = {"twilio/media": {"media": ["https://owlair.com/{{9}}"]}}
    assert Header(format=HeaderFormat.IMAGE) == template_from_twilio_content(resource(media)).header


def test_media_without_body_has_no_body() -> None:
    """A twilio/media resource without a body gives no BODY component (the linter tells)."""
    media = {"twilio/media": {"media": ["https://owlair.com/a.jpg"]}}
    template = template_from_twilio_content(resource(media))
    assert template.body is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://owlair.com/a.JPG", HeaderFormat.IMAGE),
        ("https://owlair.com/a.jpeg?size=large", HeaderFormat.IMAGE),
        ("https://owlair.com/a.png#top", HeaderFormat.IMAGE),
        ("https://owlair.com/clip.mp4", HeaderFormat.VIDEO),
        ("https://owlair.com/ticket.pdf", HeaderFormat.DOCUMENT),
        ("https://owlair.com/sheet.xlsx", HeaderFormat.DOCUMENT),
        ("https://owlair.com/media/12345", HeaderFormat.IMAGE),
        ("https://owlair.com/v1.2/media", HeaderFormat.IMAGE),
        ("https://owlair.com/anim.gif", HeaderFormat.IMAGE),
    ],
)
def test_media_format_from_extension(url: str, expected: HeaderFormat) -> None:
    """The media header's format follows the sample's file extension; IMAGE when unknown."""
    media = {"twilio/media": {"body": "Your file is here.", "media": [url]}}
    header = template_from_twilio_content(resource(media)).header
    assert expected == (header or Header(format=HeaderFormat.TEXT)).format


def test_friendly_name_is_kept_as_given() -> None:
    """A friendly name WhatsApp would refuse is kept, for the linter to report."""
    data = resource(TEXT["types"], friendly_name="Owl Air Update!")
    assert "Owl Air Update!" == template_from_twilio_content(data).name


# --- errors -------------------------------------------------------------------------------


def _with(base: dict[str, Any], path: tuple[str | int, ...], value: object) -> object:
    """A deep copy of `base` with `value` at `path`, or the key removed for `DELETE`."""
    return with_value(base, path, value)


CTA = ("types", "twilio/call-to-action")
AUTH = ("types", "whatsapp/authentication")
ERRORS = {
    "not an object": (["HX"], "$", ["HX"]),
    "bad sid": (_with(TEXT, ("sid",), "HX123"), "sid", "HX123"),
    "sid not a string": (_with(TEXT, ("sid",), 7), "sid", 7),
    "no friendly name": (_with(TEXT, ("friendly_name",), DELETE), "friendly_name", None),
    "null language": (_with(TEXT, ("language",), None), "language", None),
    "language not a string": (_with(TEXT, ("language",), 1), "language", 1),
    "variables a list": (_with(TEXT, ("variables",), ["Maria"]), "variables", ["Maria"]),
    "variable not a string": (_with(TEXT, ("variables", "2"), 1234), "variables.2", 1234),
    "no types": (_with(TEXT, ("types",), DELETE), "types", None),
    "types a list": (_with(TEXT, ("types",), ["twilio/text"]), "types", ["twilio/text"]),
    "no WhatsApp type": (
        _with(TEXT, ("types",), {"twilio/location": {}}),
        "types",
        ["twilio/location"],
    ),
    "content not an object": (
        _with(TEXT, ("types", "twilio/text"), "Hi"),
        "types.twilio/text",
        "Hi",
    ),
    "no body": (
        _with(TEXT, ("types", "twilio/text", "body"), DELETE),
        "types.twilio/text.body",
        None,
    ),
    "body not a string": (
        _with(TEXT, ("types", "twilio/text", "body"), ["Hi"]),
        "types.twilio/text.body",
        ["Hi"],
    ),
    "no actions": (
        _with(CALL_TO_ACTION, (*CTA, "actions"), DELETE),
        "types.twilio/call-to-action.actions",
        None,
    ),
    "actions an object": (
        _with(CALL_TO_ACTION, (*CTA, "actions"), {}),
        "types.twilio/call-to-action.actions",
        {},
    ),
    "action not an object": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 1), "PHONE_NUMBER"),
        "types.twilio/call-to-action.actions[1]",
        "PHONE_NUMBER",
    ),
    "unknown action type": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 3, "type"), "VOICE_CALL_REQUEST"),
        "types.twilio/call-to-action.actions[3].type",
        "VOICE_CALL_REQUEST",
    ),
    "quick reply in a call to action": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 3, "type"), "QUICK_REPLY"),
        "types.twilio/call-to-action.actions[3].type",
        "QUICK_REPLY",
    ),
    "action without type": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 0, "type"), DELETE),
        "types.twilio/call-to-action.actions[0].type",
        None,
    ),
    "action type a list": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 0, "type"), ["URL"]),
        "types.twilio/call-to-action.actions[0].type",
        ["URL"],
    ),
    "action without title": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 0, "title"), DELETE),
        "types.twilio/call-to-action.actions[0].title",
        None,
    ),
    "URL without url": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 0, "url"), DELETE),
        "types.twilio/call-to-action.actions[0].url",
        None,
    ),
    "phone not a string": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 1, "phone"), 15555551234),
        "types.twilio/call-to-action.actions[1].phone",
        15555551234,
    ),
    "copy code without code": (
        _with(CALL_TO_ACTION, (*CTA, "actions", 2, "code"), DELETE),
        "types.twilio/call-to-action.actions[2].code",
        None,
    ),
    "quick reply typed otherwise": (
        _with(QUICK_REPLY, ("types", "twilio/quick-reply", "actions", 0, "type"), "URL"),
        "types.twilio/quick-reply.actions[0].type",
        "URL",
    ),
    "media empty": (
        _with(MEDIA, ("types", "twilio/media", "media"), []),
        "types.twilio/media.media",
        [],
    ),
    "media a string": (
        _with(MEDIA, ("types", "twilio/media", "media"), "https://owlair.com/a.png"),
        "types.twilio/media.media",
        "https://owlair.com/a.png",
    ),
    "media item not a string": (
        _with(MEDIA, ("types", "twilio/media", "media"), ["https://owlair.com/a.png", {}]),
        "types.twilio/media.media[1]",
        {},
    ),
    "header text not a string": (
        _with(WHATSAPP_CARD, ("types", "whatsapp/card", "header_text"), 1),
        "types.whatsapp/card.header_text",
        1,
    ),
    "card without body": (
        _with(WHATSAPP_CARD, ("types", "whatsapp/card", "body"), DELETE),
        "types.whatsapp/card.body",
        None,
    ),
    "footer not a string": (
        _with(WHATSAPP_CARD, ("types", "whatsapp/card", "footer"), value=False),
        "types.whatsapp/card.footer",
        False,
    ),
    "subtitle not a string": (
        _with(TWILIO_CARD, ("types", "twilio/card", "subtitle"), ["x"]),
        "types.twilio/card.subtitle",
        ["x"],
    ),
    "card actions not a list": (
        _with(TWILIO_CARD, ("types", "twilio/card", "actions"), "URL"),
        "types.twilio/card.actions",
        "URL",
    ),
    "recommendation not a bool": (
        _with(AUTHENTICATION, (*AUTH, "add_security_recommendation"), "yes"),
        "types.whatsapp/authentication.add_security_recommendation",
        "yes",
    ),
    "expiry a bool": (
        _with(AUTHENTICATION, (*AUTH, "code_expiration_minutes"), value=True),
        "types.whatsapp/authentication.code_expiration_minutes",
        True,
    ),
    "expiry a string": (
        _with(AUTHENTICATION, (*AUTH, "code_expiration_minutes"), "5"),
        "types.whatsapp/authentication.code_expiration_minutes",
        "5",
    ),
    "auth without actions": (
        _with(AUTHENTICATION, (*AUTH, "actions"), DELETE),
        "types.whatsapp/authentication.actions",
        None,
    ),
    "auth action not an object": (
        _with(AUTHENTICATION, (*AUTH, "actions", 0), "COPY_CODE"),
        "types.whatsapp/authentication.actions[0]",
        "COPY_CODE",
    ),
    "auth action of another type": (
        _with(AUTHENTICATION, (*AUTH, "actions", 0, "type"), "ONE_TAP"),
        "types.whatsapp/authentication.actions[0].type",
        "ONE_TAP",
    ),
    "auth action without type": (
        _with(AUTHENTICATION, (*AUTH, "actions", 0, "type"), DELETE),
        "types.whatsapp/authentication.actions[0].type",
        None,
    ),
    "auth button text not a string": (
        _with(AUTHENTICATION, (*AUTH, "actions", 0, "copy_code_text"), 5),
        "types.whatsapp/authentication.actions[0].copy_code_text",
        5,
    ),
}


@pytest.mark.parametrize(("data", "field", "value"), ERRORS.values(), ids=ERRORS.keys())
def test_malformed_resource_names_path_and_value(data: object, field: str, value: object) -> None:
    """A malformed resource raises `TemplateFormatError` naming the JSON path and the value."""
    with pytest.raises(TemplateFormatError) as caught:
        template_from_twilio_content(data)
    assert (field, value) == (caught.value.field, caught.value.value)
    assert caught.value.reason


JSON_VALUES = json_values(
    ["types", "body", "actions", "type", "media", "title", "twilio/text"], max_leaves=10
)
RESOURCES = st.sampled_from(
    [TEXT, CALL_TO_ACTION, QUICK_REPLY, MEDIA, TWILIO_CARD, WHATSAPP_CARD, AUTHENTICATION]
)


@pytest.mark.fuzz
@given(data=JSON_VALUES | mutated(RESOURCES, JSON_VALUES))
def test_reading_never_fails_otherwise(data: object) -> None:
    """Any JSON value either reads as a template or raises `TemplateFormatError`."""
    outcome: Template | TemplateFormatError
    try:
        outcome = template_from_twilio_content(data)
    except TemplateFormatError as error:
        outcome = error
    assert isinstance(outcome, (Template, TemplateFormatError))


# --- ContentVariables ---------------------------------------------------------------------


def test_content_variables_are_compact_json() -> None:
    """The values become compact JSON, non-ASCII characters kept as they are."""
    expected = '{"1":"12/1","2":"3pm","first_name":"Zoë"}'
    actual = twilio_content_variables({"1": "12/1", "2": "3pm", "first_name": "Zoë"}, rules=TODAY)
    assert expected == actual
    assert {"1": "12/1", "2": "3pm", "first_name": "Zoë"} == json.loads(actual)


def test_content_variables_take_the_limits() -> None:
    """A hundred pairs, 16-character keys and 1,600-character values are accepted."""
    values = {f"key_{n:012d}": "x" * 1600 for n in range(100)}
    assert values == json.loads(twilio_content_variables(values, rules=TODAY))


VARIABLE_ERRORS = {
    "not a mapping": ([("1", "a")], "values", [("1", "a")]),
    "too many": ({str(n): "a" for n in range(101)}, "values", 101),
    "long key": ({"customer_first_name": "a"}, "values", "customer_first_name"),
    "key with a space": ({"first name": "a"}, "values", "first name"),
    "empty key": ({"": "a"}, "values", ""),
    "key not a string": ({1: "a"}, "values", 1),
    "value not a string": ({"1": 12}, "values.1", 12),
    "long value": ({"1": "x" * 1601}, "values.1", "x" * 1601),
}


@pytest.mark.parametrize(
    ("values", "field", "value"), VARIABLE_ERRORS.values(), ids=VARIABLE_ERRORS.keys()
)
def test_content_variables_refuse_what_twilio_refuses(
    values: Any, field: str, value: object
) -> None:
    """Values outside Twilio's documented limits raise `InvalidValueError` naming them."""
    with pytest.raises(InvalidValueError) as caught:
        twilio_content_variables(values, rules=TODAY)
    assert (field, value) == (caught.value.field, caught.value.value)


def test_content_variable_limits_come_from_the_rules() -> None:
    """Tightening the rules' limits tightens the writer."""
    import attrs

    tight = attrs.evolve(TODAY, twilio_content_variable_key_max_length=4)
    assert '{"name":"Zoë"}' == twilio_content_variables({"name": "Zoë"}, rules=tight)
    with pytest.raises(InvalidValueError):
        twilio_content_variables({"first": "Zoë"}, rules=tight)
