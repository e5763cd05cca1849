"""Send-time template parameters: the payload reader and writer, and every problem code."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import InvalidValueError, TemplateFormatError
from wa_outbound._rules import rules_at
from wa_outbound._template_params import (
    ButtonParameter,
    ButtonSubType,
    HeaderMedia,
    MediaKind,
    ParameterCheck,
    ParameterProblemCode,
    TemplateParameters,
    check_parameters,
)
from wa_outbound._templates import (
    Body,
    Button,
    Buttons,
    ButtonType,
    Component,
    Header,
    HeaderFormat,
    OtpType,
    ParameterFormat,
    Template,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
RULES = rules_at(T0)
P = ParameterProblemCode
SPACES = RULES.template_parameter_max_spaces.value
IMAGE = HeaderMedia(kind=MediaKind.IMAGE, link="https://example.com/a.png")


def template(
    *components: Component,
    named: bool = False,
    category: TemplateCategory = TemplateCategory.UTILITY,
) -> Template:
    """Build a template with the given components."""
    return Template(
        name="order_update",
        language="en_US",
        category=category,
        components=components,
        parameter_format=ParameterFormat.NAMED if named else None,
    )


def buttons(*items: Button) -> Buttons:
    """Build a BUTTONS component."""
    return Buttons(buttons=items)


BODY2 = template(Body(text="Your order {{1}} ships on {{2}}."))
NAMED = template(Body(text="Hi {{first_name}}, order {{order_id}} is ready."), named=True)
TRACK = Button(type=ButtonType.URL, text="Track", url="https://example.com/t/{{1}}")
STATIC = Button(type=ButtonType.URL, text="Shop", url="https://example.com/shop")
COUPON = Button(type=ButtonType.COPY_CODE, example="SAVE10")
REPLY = Button(type=ButtonType.QUICK_REPLY, text="Stop")
PHONE = Button(type=ButtonType.PHONE_NUMBER, text="Call", phone_number="+15550100")
OTP = Button(type=ButtonType.OTP, otp_type=OtpType.COPY_CODE, text="Copy code")
AUTH = template(Body(add_security_recommendation=True), buttons(OTP), category=TemplateCategory.OTP)


def check(t: Template, parameters: Any, **overrides: object) -> ParameterCheck:
    """Check parameters under today's rules, with overrides."""
    return check_parameters(t, parameters, rules=attrs.evolve(RULES, **overrides))


def only(result: ParameterCheck) -> tuple[ParameterProblemCode, int, str]:
    """The single problem of a check, as (code, error code, path)."""
    assert 1 == len(result.problems), result.problems
    problem = result.problems[0]
    return problem.code, problem.error_code, problem.path


# --- passing examples -----------------------------------------------------------------------


def test_clean_positional_parameters_pass_and_render() -> None:
    """Two values for two variables pass, and the body is rendered with them."""
    result = check(BODY2, TemplateParameters(body=("A-1042", "Monday")))
    assert result.ok
    assert bool(result)
    assert () == result.codes
    assert "Your order A-1042 ships on Monday." == result.rendered_body


def test_clean_named_parameters_pass_and_render() -> None:
    """Named values for every name pass, whatever their order."""
    result = check(NAMED, TemplateParameters(body={"order_id": "A-1", "first_name": "Anna"}))
    assert () == result.codes
    assert "Hi Anna, order A-1 is ready." == result.rendered_body


def test_a_variable_used_twice_takes_one_value() -> None:
    """`{{1}}` twice is one variable: one value fills both places."""
    t = template(Body(text="Code {{1}}. Again: {{1}}. Then {{2}}."))
    result = check(t, TemplateParameters(body=("X", "Y")))
    assert "Code X. Again: X. Then Y." == result.rendered_body


def test_positional_values_follow_numeric_order() -> None:
    """Values go to `{{1}}`, `{{2}}`, ... in numeric order, whatever order the text uses."""
    t = template(Body(text="Then {{2}}, first {{1}}, and {{10}}."))
    result = check(t, TemplateParameters(body=[str(i) for i in range(1, 4)]))
    assert "Then 2, first 1, and 3." == result.rendered_body


def test_a_static_text_header_is_rendered() -> None:
    """A text header without a variable takes no value and is shown as written."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hello"), Body(text="Hi"))
    result = check(t, TemplateParameters())
    assert ("Hello", "Hi") == (result.rendered_header, result.rendered_body)


def test_a_text_header_variable_is_rendered() -> None:
    """A header variable takes the header value."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{1}}!"), Body(text="Hello."))
    result = check(t, TemplateParameters(header="Anna"))
    assert () == result.codes
    assert "Hi Anna!" == result.rendered_header
    assert "Hello." == result.rendered_body


def test_a_named_header_value_with_its_name_passes() -> None:
    """A named template's header value may state its `parameter_name`."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{name}}"), Body(text="Ok"), named=True)
    assert () == check(t, TemplateParameters(header="Anna", header_name="name")).codes


def test_a_gif_header_takes_a_video() -> None:
    """GIFs are sent as videos."""
    t = template(Header(format=HeaderFormat.GIF), Body(text="Look"))
    video = HeaderMedia(kind=MediaKind.VIDEO, id="12345")
    assert () == check(t, TemplateParameters(header=video)).codes


def test_buttons_that_need_no_value_pass_without_one() -> None:
    """Static URL, quick-reply and phone buttons need no value."""
    t = template(Body(text="Hi"), buttons(STATIC, REPLY, PHONE))
    assert () == check(t, TemplateParameters()).codes


def test_button_values_with_the_right_sub_type_pass() -> None:
    """A URL suffix, a coupon code and a quick-reply payload of the right kinds pass."""
    t = template(Body(text="Hi"), buttons(TRACK, COUPON, REPLY))
    parameters = TemplateParameters(
        buttons={
            0: ButtonParameter(value="A-1", sub_type=ButtonSubType.URL),
            1: "SAVE10",
            2: ButtonParameter(value="stop", sub_type=ButtonSubType.QUICK_REPLY),
        }
    )
    assert () == check(t, parameters).codes


def test_an_authentication_code_of_the_maximum_length_passes() -> None:
    """A code of exactly the rules' length fits in the body and the OTP button."""
    code = "7" * RULES.template_auth_parameter_max_length.value
    result = check(AUTH, TemplateParameters(body=(code,), buttons={0: code}))
    assert () == result.codes
    assert None is result.rendered_body


# --- one failing example per problem code ----------------------------------------------------


def test_count_mismatch_in_the_body() -> None:
    """One value for two variables is Meta's 132000, at the body's parameters."""
    result = check(BODY2, TemplateParameters(body=("A-1042",)))
    assert (P.COUNT_MISMATCH, 132000, "body.parameters") == only(result)
    assert "the body has 2 variables but 1 value was given" == result.problems[0].message
    assert None is result.rendered_body


def test_count_mismatch_in_the_header() -> None:
    """A header variable without a value, or a value for a header without one, is 132000."""
    with_variable = template(Header(format=HeaderFormat.TEXT, text="Hi {{1}}"), Body(text="x"))
    without = template(Header(format=HeaderFormat.TEXT, text="Hi"), Body(text="x"))
    assert (P.COUNT_MISMATCH, 132000, "header") == only(check(with_variable, TemplateParameters()))
    result = check(without, TemplateParameters(header="Anna"))
    assert (P.COUNT_MISMATCH, 132000, "header") == only(result)
    assert "'Anna'" in result.problems[0].message


def test_missing_name() -> None:
    """A named variable without a value is 132000, at its name."""
    result = check(NAMED, TemplateParameters(body={"first_name": "Anna"}))
    assert (P.MISSING_NAME, 132000, "body.parameters[order_id]") == only(result)
    assert "{{order_id}}" in result.problems[0].message


def test_no_values_for_a_named_template_miss_every_name() -> None:
    """No values at all for a named template: each name is missing."""
    result = check(NAMED, TemplateParameters())
    assert (P.MISSING_NAME, P.MISSING_NAME) == result.codes


def test_unexpected_name() -> None:
    """A value for a name the body lacks is 132000, at that name."""
    body = {"first_name": "Anna", "order_id": "A-1", "coupon": "X"}
    result = check(NAMED, TemplateParameters(body=body))
    assert (P.UNEXPECTED_NAME, 132000, "body.parameters[coupon]") == only(result)
    assert "Hi Anna, order A-1 is ready." == result.rendered_body


def test_format_mismatch_positional_for_named() -> None:
    """Positional values for a named template are 132012."""
    result = check(NAMED, TemplateParameters(body=("Anna", "A-1")))
    assert (P.FORMAT_MISMATCH, 132012, "body.parameters") == only(result)


def test_format_mismatch_named_for_positional() -> None:
    """Named values for a positional template are 132012."""
    result = check(BODY2, TemplateParameters(body={"1": "A-1", "2": "Monday"}))
    assert (P.FORMAT_MISMATCH, 132012, "body.parameters") == only(result)
    assert "'1'" in result.problems[0].message


def test_format_mismatch_named_header_value_for_positional_template() -> None:
    """A `parameter_name` on a positional template's header value is 132012."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{1}}"), Body(text="x"))
    result = check(t, TemplateParameters(header="Anna", header_name="name"))
    assert (P.FORMAT_MISMATCH, 132012, "header") == only(result)


def test_unexpected_name_in_the_header() -> None:
    """A header value stating another variable's name is 132000."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{name}}"), Body(text="x"), named=True)
    result = check(t, TemplateParameters(header="Anna", header_name="nick"))
    assert (P.UNEXPECTED_NAME, 132000, "header") == only(result)


@pytest.mark.parametrize(
    ("header_format", "value"),
    [
        (HeaderFormat.DOCUMENT, IMAGE),
        (HeaderFormat.IMAGE, "a text"),
        (HeaderFormat.TEXT, IMAGE),
        (HeaderFormat.LOCATION, IMAGE),
    ],
)
def test_header_mismatch(header_format: HeaderFormat, value: str | HeaderMedia) -> None:
    """A header value of the wrong kind is 132012."""
    text = "Hi {{1}}" if header_format is HeaderFormat.TEXT else None
    t = template(Header(format=header_format, text=text), Body(text="x"))
    assert (P.HEADER_MISMATCH, 132012, "header") == only(check(t, TemplateParameters(header=value)))


def test_unexpected_header() -> None:
    """A header value for a template without a header is 132018."""
    result = check(BODY2, TemplateParameters(header="Anna", body=("1", "2")))
    assert (P.UNEXPECTED_HEADER, 132018, "header") == only(result)


@pytest.mark.parametrize("header_format", [HeaderFormat.IMAGE, HeaderFormat.LOCATION])
def test_missing_header(header_format: HeaderFormat) -> None:
    """A media or location header without its value is 131008."""
    t = template(Header(format=header_format), Body(text="x"))
    assert (P.MISSING_HEADER, 131008, "header") == only(check(t, TemplateParameters()))
    place = HeaderMedia(kind=MediaKind.LOCATION, latitude=52.5, longitude=13.4)
    value = IMAGE if header_format is HeaderFormat.IMAGE else place
    assert () == check(t, TemplateParameters(header=value)).codes


def test_text_too_long_body() -> None:
    """A body longer than the rules' limit once filled in is 132005; one at the limit passes."""
    limit = RULES.template_body_max_length.value
    t = template(Body(text="x" * (limit - 10) + " {{1}}"))
    fits = check(t, TemplateParameters(body=("y" * 9,)))
    assert () == fits.codes
    assert limit == len(fits.rendered_body or "")
    result = check(t, TemplateParameters(body=("y" * 10,)))
    assert (P.TEXT_TOO_LONG, 132005, "body") == only(result)


def test_text_too_long_header() -> None:
    """A text header longer than the rules' limit once filled in is 132005."""
    limit = RULES.template_header_text_max_length.value
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{1}}"), Body(text="x"))
    assert () == check(t, TemplateParameters(header="y" * (limit - 3))).codes
    result = check(t, TemplateParameters(header="y" * (limit - 2)))
    assert (P.TEXT_TOO_LONG, 132005, "header") == only(result)


@pytest.mark.parametrize("button", [TRACK, COUPON, OTP])
def test_missing_button_value(button: Button) -> None:
    """A URL button with a variable, a copy-code or an OTP button without a value is 131008."""
    t = template(Body(text="Hi"), buttons(REPLY, button))
    assert (P.MISSING_BUTTON_VALUE, 131008, "buttons[1]") == only(check(t, TemplateParameters()))


@pytest.mark.parametrize("button", [STATIC, PHONE])
def test_unexpected_button_value(button: Button) -> None:
    """A value for a button without a variable is 132000."""
    t = template(Body(text="Hi"), buttons(button))
    result = check(t, TemplateParameters(buttons={0: "x"}))
    assert (P.UNEXPECTED_BUTTON_VALUE, 132000, "buttons[0]") == only(result)


def test_unexpected_button_value_beyond_the_buttons() -> None:
    """A value for a button index the template does not have is 132000."""
    t = template(Body(text="Hi"), buttons(REPLY))
    result = check(t, TemplateParameters(buttons={3: "x"}))
    assert (P.UNEXPECTED_BUTTON_VALUE, 132000, "buttons[3]") == only(result)
    assert "the template has 1 button" in result.problems[0].message


def test_button_mismatch() -> None:
    """A coupon code for a URL button is 132018 (Meta: "Button at index 0 must be of type Url")."""
    t = template(Body(text="Hi"), buttons(TRACK))
    value = ButtonParameter(value="SAVE10", sub_type=ButtonSubType.COPY_CODE)
    result = check(t, TemplateParameters(buttons={0: value}))
    assert (P.BUTTON_MISMATCH, 132018, "buttons[0]") == only(result)


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\tb", "a" + " " * (SPACES + 1) + "b"])
def test_invalid_characters(value: str) -> None:
    """A line break, a tab or too many spaces in a row is 132018."""
    result = check(BODY2, TemplateParameters(body=("ok", value)))
    assert (P.INVALID_CHARACTERS, 132018, "body.parameters[1]") == only(result)


def test_invalid_characters_in_headers_and_url_buttons() -> None:
    """The rule applies to text header values and URL suffixes, not to coupon codes."""
    t = template(
        Header(format=HeaderFormat.TEXT, text="Hi {{1}}"), Body(text="x"), buttons(TRACK, COUPON)
    )
    result = check(t, TemplateParameters(header="a\tb", buttons={0: "a\nb", 1: "A B"}))
    assert ("header", "buttons[0]") == tuple(p.path for p in result.problems)


def test_spaces_up_to_the_rule_pass() -> None:
    """As many spaces in a row as the rules allow pass."""
    assert () == check(BODY2, TemplateParameters(body=("a" + " " * SPACES + "b", "c"))).codes


def test_the_space_rule_follows_the_rules() -> None:
    """Overriding the rule changes what passes."""
    result = check(BODY2, TemplateParameters(body=("a  b", "c")), template_parameter_max_spaces=1)
    assert (P.INVALID_CHARACTERS,) == result.codes
    assert "more than 1 spaces" in result.problems[0].message


@pytest.mark.parametrize(
    ("parameters", "path"),
    [
        (TemplateParameters(body=("", "x")), "body.parameters[0]"),
        (TemplateParameters(body=("x", "y"), buttons={0: ""}), "buttons[0]"),
    ],
)
def test_empty_value(parameters: TemplateParameters, path: str) -> None:
    """An empty value is 131008 ("Parameter of type text is missing text value")."""
    t = template(Body(text="Order {{1}} on {{2}}"), buttons(COUPON))
    if not parameters.buttons:
        parameters = attrs.evolve(parameters, buttons={0: "SAVE10"})
    assert (P.EMPTY_VALUE, 131008, path) == only(check(t, parameters))


def test_empty_named_value_and_header() -> None:
    """Empty named and header values are reported at their own paths."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{n}}"), NAMED.components[0], named=True)
    result = check(t, TemplateParameters(header="", body={"first_name": "", "order_id": "1"}))
    assert ("header", "body.parameters[first_name]") == tuple(p.path for p in result.problems)
    assert {P.EMPTY_VALUE} == set(result.codes)


def test_code_too_long_copy_code() -> None:
    """A coupon code longer than the rules allow is reported (131009)."""
    limit = RULES.template_copy_code_max_length.value
    t = template(Body(text="Hi"), buttons(COUPON))
    assert () == check(t, TemplateParameters(buttons={0: "C" * limit})).codes
    result = check(t, TemplateParameters(buttons={0: "C" * (limit + 1)}))
    assert (P.CODE_TOO_LONG, 131009, "buttons[0]") == only(result)


def test_code_too_long_authentication() -> None:
    """An authentication code longer than the rules allow is reported in body and button."""
    code = "7" * (RULES.template_auth_parameter_max_length.value + 1)
    result = check(AUTH, TemplateParameters(body=(code,), buttons={0: code}))
    assert (P.CODE_TOO_LONG, P.CODE_TOO_LONG) == result.codes
    assert ("body.parameters[0]", "buttons[0]") == tuple(p.path for p in result.problems)
    assert {131009} == {p.error_code for p in result.problems}


def test_authentication_code_limit_applies_to_named_values_and_url_buttons() -> None:
    """Meta's listed form (a URL button, a body with text) is checked the same way."""
    url = Button(type=ButtonType.URL, text="Copy", url="https://www.whatsapp.com/otp/?c=otp{{1}}")
    listed = template(
        Body(text="*{{1}}* is your verification code."),
        buttons(url),
        category=TemplateCategory.AUTHENTICATION,
    )
    code = "1" * 20
    result = check(listed, TemplateParameters(body=(code,), buttons={0: code}))
    assert (P.CODE_TOO_LONG, P.CODE_TOO_LONG) == result.codes
    named = template(
        Body(text="{{code}} is your code."), named=True, category=TemplateCategory.AUTHENTICATION
    )
    assert (P.CODE_TOO_LONG,) == check(named, TemplateParameters(body={"code": code})).codes


def test_problem_str_names_path_and_value() -> None:
    """A problem prints as `path: message`."""
    problem = check(BODY2, TemplateParameters(body=("", "x"))).problems[0]
    assert "body.parameters[0]: the value is empty; Meta refuses empty parameters" == str(problem)


def test_long_values_are_shortened_in_messages() -> None:
    """A long value is shown shortened."""
    result = check(BODY2, TemplateParameters(body=("x" * 200 + "\n", "y")))
    assert "xxx... holds a line break" in result.problems[0].message


def test_every_code_has_an_error_code() -> None:
    """Every problem code names the Meta error it prevents."""
    assert all(code.error_code in {131008, 131009, 132000, 132005, 132012, 132018} for code in P)


# --- counts: a property ----------------------------------------------------------------------


@given(n=st.integers(0, 12), k=st.integers(1, 5), more=st.booleans())
def test_count_property(n: int, k: int, *, more: bool) -> None:
    """Exactly n clean values give no 132000; n ± k give exactly one."""
    words = " ".join(f"word {{{{{i}}}}}" for i in range(1, n + 1))
    t = template(Body(text=f"Start {words} end."))
    exact = check(t, TemplateParameters(body=tuple(f"v{i}" for i in range(n))))
    assert () == exact.codes
    count = n + k if more else n - k
    if count < 0:
        return
    wrong = check(t, TemplateParameters(body=tuple(f"v{i}" for i in range(count))))
    assert [132000] == [p.error_code for p in wrong.problems]


# --- reading and writing the send payload ----------------------------------------------------

PAYLOAD: list[dict[str, Any]] = [
    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/a.png"}}]},
    {
        "type": "body",
        "parameters": [
            {"type": "text", "text": "Anna"},
            {"type": "currency", "currency": {"fallback_value": "$10", "code": "USD"}},
            {"type": "date_time", "date_time": {"fallback_value": "May 1"}},
        ],
    },
    {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "A-1"}],
    },
    {
        "type": "button",
        "sub_type": "COPY_CODE",
        "index": 1,
        "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}],
    },
    {
        "type": "button",
        "sub_type": "flow",
        "index": "2",
        "parameters": [{"type": "action", "action": {"flow_token": "t"}}],
    },
    {"type": "carousel", "cards": []},
]


def test_reading_a_send_payload() -> None:
    """Meta's send components read into values; unknown components are kept as read."""
    expected = TemplateParameters(
        header=HeaderMedia(kind=MediaKind.IMAGE, link="https://x/a.png"),
        body=("Anna", "$10", "May 1"),
        buttons={
            0: ButtonParameter(value="A-1", sub_type=ButtonSubType.URL),
            1: ButtonParameter(value="SAVE10", sub_type=ButtonSubType.COPY_CODE),
        },
        other_components=(PAYLOAD[4], PAYLOAD[5]),
    )
    assert expected == TemplateParameters.from_send_components(PAYLOAD)


def test_reading_named_and_location_payloads() -> None:
    """Named body values read into a mapping; location coordinates may be strings."""
    payload = [
        {
            "type": "HEADER",
            "parameters": [
                {
                    "type": "location",
                    "location": {"latitude": "52.52", "longitude": 13.4, "name": "Shop"},
                }
            ],
        },
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "first_name", "text": "Anna"},
                {"type": "text", "parameter_name": "order_id", "text": "A-1"},
            ],
        },
        {"type": "body_placeholder_unused", "parameters": []},
    ]
    read = TemplateParameters.from_send_components(payload)
    place = HeaderMedia(kind=MediaKind.LOCATION, latitude=52.52, longitude=13.4, name="Shop")
    assert place == read.header
    assert {"first_name": "Anna", "order_id": "A-1"} == dict(read.body)  # type: ignore[arg-type]


def test_reading_empty_components() -> None:
    """Components without parameters read as no values."""
    payload = [{"type": "header", "parameters": []}, {"type": "body"}]
    assert TemplateParameters() == TemplateParameters.from_send_components(payload)


def test_reading_a_named_text_header() -> None:
    """A header text parameter keeps its `parameter_name`."""
    payload = [
        {"type": "header", "parameters": [{"type": "text", "text": "A", "parameter_name": "n"}]}
    ]
    read = TemplateParameters.from_send_components(payload)
    assert ("A", "n") == (read.header, read.header_name)


def test_check_parameters_reads_a_payload() -> None:
    """`check_parameters` takes the send components directly."""
    t = template(
        Header(format=HeaderFormat.IMAGE),
        Body(text="Hi {{1}}, pay {{2}} by {{3}}."),
        buttons(TRACK, COUPON, Button(type=ButtonType.FLOW, text="Go", flow_id="1")),
    )
    result = check(t, PAYLOAD)
    assert () == result.codes
    assert "Hi Anna, pay $10 by May 1." == result.rendered_body


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"type": "body"}, "components"),
        ("body", "components"),
        (["body"], "components[0]"),
        ([{"parameters": []}], "components[0].type"),
        ([{"type": "header", "parameters": {}}], "components[0].parameters"),
        (
            [{"type": "header", "parameters": [{"type": "text", "text": "a"}] * 2}],
            "components[0].parameters",
        ),
        ([{"type": "header"}, {"type": "header"}], "components[1].type"),
        ([{"type": "body"}, {"type": "body"}], "components[1].type"),
        ([{"type": "body", "parameters": [1]}], "components[0].parameters[0]"),
        ([{"type": "body", "parameters": [{"type": 1}]}], "components[0].parameters[0].type"),
        (
            [{"type": "body", "parameters": [{"type": "text", "text": 5}]}],
            "components[0].parameters[0].text",
        ),
        (
            [{"type": "body", "parameters": [{"type": "image", "image": {}}]}],
            "components[0].parameters[0].type",
        ),
        (
            [{"type": "body", "parameters": [{"type": "currency", "currency": "$1"}]}],
            "components[0].parameters[0].currency",
        ),
        (
            [{"type": "body", "parameters": [{"type": "date_time", "date_time": {}}]}],
            "components[0].parameters[0].date_time.fallback_value",
        ),
        (
            [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "a"},
                        {"type": "text", "text": "b", "parameter_name": "x"},
                    ],
                }
            ],
            "components[0].parameters[1]",
        ),
        (
            [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "a", "parameter_name": "x"},
                        {"type": "text", "text": "b", "parameter_name": "x"},
                    ],
                }
            ],
            "components[0].parameters[1].parameter_name",
        ),
        (
            [{"type": "body", "parameters": [{"type": "text", "text": "a", "parameter_name": 3}]}],
            "components[0].parameters[0].parameter_name",
        ),
        (
            [{"type": "header", "parameters": [{"type": "image", "image": {}}]}],
            "components[0].parameters[0].image.link",
        ),
        (
            [{"type": "header", "parameters": [{"type": "video", "video": []}]}],
            "components[0].parameters[0].video",
        ),
        (
            [{"type": "header", "parameters": [{"type": "image", "image": {"link": 1}}]}],
            "components[0].parameters[0].image.link",
        ),
        (
            [{"type": "header", "parameters": [{"type": "location", "location": {}}]}],
            "components[0].parameters[0].location.latitude",
        ),
        (
            [
                {
                    "type": "header",
                    "parameters": [{"type": "location", "location": {"latitude": 1}}],
                }
            ],
            "components[0].parameters[0].location.longitude",
        ),
        (
            [
                {
                    "type": "header",
                    "parameters": [
                        {"type": "location", "location": {"latitude": "north", "longitude": 1}}
                    ],
                }
            ],
            "components[0].parameters[0].location.latitude",
        ),
        (
            [
                {
                    "type": "header",
                    "parameters": [
                        {"type": "location", "location": {"latitude": True, "longitude": 1}}
                    ],
                }
            ],
            "components[0].parameters[0].location.latitude",
        ),
        (
            [
                {
                    "type": "header",
                    "parameters": [
                        {"type": "location", "location": {"latitude": 91, "longitude": 1}}
                    ],
                }
            ],
            "components[0].parameters[0].location.latitude",
        ),
        ([{"type": "button", "index": "0"}], "components[0].sub_type"),
        ([{"type": "button", "sub_type": "url", "index": "x"}], "components[0].index"),
        ([{"type": "button", "sub_type": "url", "index": -1}], "components[0].index"),
        ([{"type": "button", "sub_type": "url", "index": True}], "components[0].index"),
        ([{"type": "button", "sub_type": "url", "index": 0}], "components[0].parameters"),
        (
            [{"type": "button", "sub_type": "url", "index": 0, "parameters": []}],
            "components[0].parameters",
        ),
        (
            [
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": 0,
                    "parameters": [{"type": "action", "action": {}}],
                }
            ],
            "components[0].parameters[0].type",
        ),
        (
            [
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": 0,
                    "parameters": [{"type": "payload"}],
                }
            ],
            "components[0].parameters[0].payload",
        ),
        (
            [
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": 0,
                    "parameters": [{"type": "text", "text": "a"}],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "b"}],
                },
            ],
            "components[1].index",
        ),
    ],
)
def test_malformed_payloads_name_the_json_path(payload: Any, path: str) -> None:
    """A payload that is not send components raises `TemplateFormatError` at the right path."""
    with pytest.raises(TemplateFormatError) as raised:
        TemplateParameters.from_send_components(payload)
    assert path == raised.value.field


def test_writing_a_send_payload() -> None:
    """Values write as Meta's send components; plain button values take the template's kind."""
    t = template(
        Header(format=HeaderFormat.TEXT, text="Hi {{name}}"),
        Body(text="Order {{order_id}}"),
        buttons(REPLY, TRACK, COUPON),
        named=True,
    )
    parameters = TemplateParameters(
        header="Anna", body={"order_id": "A-1"}, buttons={1: "A-1", 2: "SAVE10", 0: "stop"}
    )
    expected = [
        {
            "type": "header",
            "parameters": [{"type": "text", "text": "Anna", "parameter_name": "name"}],
        },
        {
            "type": "body",
            "parameters": [{"type": "text", "parameter_name": "order_id", "text": "A-1"}],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "stop"}],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "A-1"}],
        },
        {
            "type": "button",
            "sub_type": "copy_code",
            "index": "2",
            "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}],
        },
    ]
    assert expected == parameters.to_send_components(template=t)
    assert () == check(t, expected).codes


def test_writing_media_and_locations() -> None:
    """Media objects write the keys they hold; coordinates are written as strings."""
    document = HeaderMedia(kind=MediaKind.DOCUMENT, id="77", filename="bill.pdf")
    place = HeaderMedia(kind=MediaKind.LOCATION, latitude=52.5, longitude=-13, address="Main St")
    assert [
        {
            "type": "header",
            "parameters": [{"type": "document", "document": {"id": "77", "filename": "bill.pdf"}}],
        }
    ] == TemplateParameters(header=document).to_send_components()
    assert {"latitude": "52.5", "longitude": "-13", "address": "Main St"} == place.to_json()


def test_writing_a_header_without_a_name_for_a_positional_template() -> None:
    """A positional template's header value is written without a name."""
    t = template(Header(format=HeaderFormat.TEXT, text="Hi {{1}}"), Body(text="x"))
    written = TemplateParameters(header="Anna").to_send_components(template=t)
    assert [{"type": "header", "parameters": [{"type": "text", "text": "Anna"}]}] == written
    named_static = template(Header(format=HeaderFormat.IMAGE), Body(text="x"), named=True)
    written = TemplateParameters(header="A").to_send_components(template=named_static)
    assert [{"type": "text", "text": "A"}] == written[0]["parameters"]


def test_writing_a_plain_button_value_needs_the_template() -> None:
    """A button value without `sub_type` and no template to say it raises."""
    with pytest.raises(InvalidValueError, match=r"buttons\[0\]"):
        TemplateParameters(buttons={0: "x"}).to_send_components()
    t = template(Body(text="x"), buttons(PHONE))
    with pytest.raises(InvalidValueError, match=r"buttons\[0\]"):
        TemplateParameters(buttons={0: "x"}).to_send_components(template=t)


_TEXT = st.text(max_size=8)
_MEDIA = st.one_of(
    st.builds(
        HeaderMedia,
        kind=st.sampled_from([MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.DOCUMENT]),
        link=st.text(min_size=1, max_size=8),
        id=st.none() | _TEXT,
        filename=st.none() | _TEXT,
    ),
    st.builds(
        HeaderMedia,
        kind=st.just(MediaKind.LOCATION),
        latitude=st.floats(-90, 90),
        longitude=st.integers(-180, 180) | st.floats(-180, 180),
        name=st.none() | _TEXT,
        address=st.none() | _TEXT,
    ),
)


@st.composite
def _parameters(draw: st.DrawFn) -> TemplateParameters:
    """Arbitrary parameters whose buttons state their sub-type."""
    header = draw(st.none() | _TEXT | _MEDIA)
    header_name = draw(st.none() | _TEXT) if isinstance(header, str) else None
    body = draw(st.lists(_TEXT, max_size=4) | st.dictionaries(_TEXT, _TEXT, max_size=4))
    buttons = draw(
        st.dictionaries(
            st.integers(0, 9),
            st.builds(ButtonParameter, value=_TEXT, sub_type=st.sampled_from(ButtonSubType)),
            max_size=3,
        )
    )
    return TemplateParameters(header=header, header_name=header_name, body=body, buttons=buttons)


@given(_parameters())
def test_send_components_round_trip(parameters: TemplateParameters) -> None:
    """Writing parameters and reading them back gives the same parameters."""
    assert parameters == TemplateParameters.from_send_components(parameters.to_send_components())


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: TemplateParameters(body="abc"), "body"),
        (lambda: TemplateParameters(body=5), "body"),
        (lambda: TemplateParameters(body=["a", 1]), "body[1]"),
        (lambda: TemplateParameters(body={"a": 1}), "body['a']"),
        (lambda: TemplateParameters(buttons=["a"]), "buttons"),
        (lambda: TemplateParameters(buttons={-1: "a"}), "buttons"),
        (lambda: TemplateParameters(buttons={True: "a"}), "buttons"),
        (lambda: TemplateParameters(buttons={0: 1}), "buttons[0]"),
        (lambda: TemplateParameters(header=1), "header"),
        (lambda: TemplateParameters(header="a", header_name=1), "header_name"),
        (lambda: TemplateParameters(header=IMAGE, header_name="n"), "header_name"),
        (lambda: TemplateParameters(header_name="n"), "header_name"),
        (lambda: TemplateParameters(other_components=["x"]), "other_components[0]"),
        (lambda: HeaderMedia(kind="image", link="x"), "kind"),
        (lambda: HeaderMedia(kind=MediaKind.IMAGE), "link"),
        (lambda: HeaderMedia(kind=MediaKind.IMAGE, link=""), "link"),
        (lambda: HeaderMedia(kind=MediaKind.LOCATION, longitude=1), "latitude"),
        (lambda: HeaderMedia(kind=MediaKind.LOCATION, latitude=1), "longitude"),
        (lambda: HeaderMedia(kind=MediaKind.LOCATION, latitude=1, longitude=181), "longitude"),
        (
            lambda: HeaderMedia(kind=MediaKind.LOCATION, latitude=float("nan"), longitude=1),
            "latitude",
        ),
        (lambda: ButtonParameter(value=1), "value"),
        (lambda: ButtonParameter(value="a", sub_type="url"), "sub_type"),
        (lambda: check_parameters("t", TemplateParameters(), rules=RULES), "template"),
        (lambda: check_parameters(BODY2, {"type": "body"}, rules=RULES), "parameters"),
        (lambda: check_parameters(BODY2, "body", rules=RULES), "parameters"),
        (lambda: check_parameters(BODY2, 5, rules=RULES), "parameters"),
    ],
)
def test_bad_values_are_refused(build: Any, field: str) -> None:
    """Values outside their domain raise `InvalidValueError` naming the field."""
    with pytest.raises(InvalidValueError) as raised:
        build()
    assert field == raised.value.field


def test_values_are_frozen_and_hashable() -> None:
    """Parameters are frozen; equal parameters hash alike."""
    a = TemplateParameters(header="x", body={"n": "v"}, buttons={0: "c"})
    b = TemplateParameters(header="x", body={"n": "v"}, buttons={0: "c"})
    assert hash(a) == hash(b)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.header = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        a.body["n"] = "w"  # type: ignore[index]


def test_a_product_header_takes_a_catalogue_product() -> None:
    """A single-product template's header is read, checked and written as Meta's example."""
    payload = [
        {
            "type": "header",
            "parameters": [
                {
                    "type": "product",
                    "product": {
                        "product_retailer_id": "nqryix03ez",
                        "catalog_id": "194836987003835",
                    },
                }
            ],
        }
    ]
    read = TemplateParameters.from_send_components(payload)
    product = HeaderMedia(
        kind=MediaKind.PRODUCT, product_retailer_id="nqryix03ez", catalog_id="194836987003835"
    )
    assert product == read.header
    t = template(Header(format=HeaderFormat.PRODUCT), Body(text="x"))
    assert () == check(t, read).codes
    assert payload == read.to_send_components(template=t)
    assert check(t, TemplateParameters(header=IMAGE)).codes


def test_a_product_needs_its_ids() -> None:
    """A product without its retailer id or catalogue id is refused, naming the field."""
    with pytest.raises(InvalidValueError, match="catalog_id"):
        HeaderMedia(kind=MediaKind.PRODUCT, product_retailer_id="a")
    with pytest.raises(InvalidValueError, match="product_retailer_id"):
        HeaderMedia(kind=MediaKind.PRODUCT, catalog_id="1")


def test_a_button_index_of_too_many_digits_is_a_format_error() -> None:
    """A button index of 5,000 digits is a `TemplateFormatError`, never a bare `ValueError`."""
    payload = [{"type": "button", "sub_type": "url", "index": "9" * 5000, "parameters": []}]
    with pytest.raises(TemplateFormatError, match="index"):
        TemplateParameters.from_send_components(payload)
