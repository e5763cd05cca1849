"""Graph API template JSON: exact round trips, realistic Meta payloads, error paths, fuzzing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import TemplateFormatError
from wa_outbound._categories import TemplateCategory
from wa_outbound._rules import Rules, builtin_rule_sets
from wa_outbound._template_json import (
    template_from_graph,
    template_to_graph,
    templates_from_graph,
)
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
    OtherComponent,
    OtpType,
    ParameterFormat,
    Template,
)
from wa_outbound.testing import graph_templates, templates

from .json_mutations import DELETE, json_values, mutated, with_value
from .template_payloads import (
    AUTHENTICATION_COPY_CODE,
    CAROUSEL,
    DOCUMENTED_FORMATS,
    LIST_ITEM,
    LIST_RESPONSE,
    NAMED_PARAMETERS,
    PRODUCT_CAROUSEL_TEMPLATE,
    SEASONAL_PROMOTION,
    SPM_TEMPLATE,
)

RULE_SETS = builtin_rule_sets()
RULE_SET_IDS = [f"{rules.effective_from:%Y-%m-%d}" for rules in RULE_SETS]

EXAMPLES = {
    "seasonal_promotion": SEASONAL_PROMOTION,
    "list_item": LIST_ITEM,
    "authentication": AUTHENTICATION_COPY_CODE,
    "named": NAMED_PARAMETERS,
    "carousel": CAROUSEL,
}


# --- properties ------------------------------------------------------------------------


@given(template=templates(categories=[TemplateCategory.UTILITY]))
def test_categories_narrow_the_draw(template: Template) -> None:
    """`categories` restricts which categories the strategy draws."""
    assert TemplateCategory.UTILITY == template.category


def test_templates_refuses_an_empty_category_list() -> None:
    """Asking for templates of no category is a usage error."""
    from wa_outbound import InvalidValueError

    with pytest.raises(InvalidValueError) as caught:
        templates(categories=[])
    assert "categories" == caught.value.field


@pytest.mark.parametrize("rules", RULE_SETS, ids=RULE_SET_IDS)
@given(data=st.data())
def test_template_round_trip(rules: Rules, data: st.DataObject) -> None:
    """Writing a template as Graph JSON and reading it back gives the same template."""
    template = data.draw(templates(rules))
    assert template == template_from_graph(template_to_graph(template))


@given(graph=graph_templates())
def test_graph_json_round_trip(graph: dict[str, Any]) -> None:
    """Reading Graph JSON (through real JSON text) and writing it back gives the same JSON."""
    parsed = json.loads(json.dumps(graph))
    assert parsed == template_to_graph(template_from_graph(parsed))


# --- Meta's examples ------------------------------------------------------------------------


@pytest.mark.parametrize("graph", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_meta_examples_round_trip_exactly(graph: dict[str, Any]) -> None:
    """Each of Meta's documented templates reads and writes back to the very same JSON."""
    original = copy.deepcopy(graph)
    assert original == template_to_graph(template_from_graph(graph))
    assert original == graph  # reading does not change the input


def test_seasonal_promotion_reads_into_the_model() -> None:
    """Meta's seasonal promotion becomes header, body, footer and two quick replies."""
    expected = Template(
        name="seasonal_promotion",
        language="en_US",
        category=TemplateCategory.MARKETING,
        components=(
            Header(
                format=HeaderFormat.TEXT,
                text="Our {{1}} is on!",
                example=HeaderExample(header_text=("Summer Sale",)),
            ),
            Body(
                text="Shop now through {{1}} and use code {{2}} to get {{3}} off of all"
                " merchandise.",
                example=BodyExample(body_text=(("the end of August", "25OFF", "25%"),)),
            ),
            Footer(text="Use the buttons below to manage your marketing subscriptions"),
            Buttons(
                buttons=(
                    Button(type=ButtonType.QUICK_REPLY, text="Unsubscribe from Promos"),
                    Button(type=ButtonType.QUICK_REPLY, text="Unsubscribe from All"),
                )
            ),
        ),
    )
    assert expected == template_from_graph(SEASONAL_PROMOTION)


def test_list_item_keeps_returned_fields_and_unknown_keys() -> None:
    """A listed template keeps id, status and sub-category, and unknown keys in `extra`."""
    template = template_from_graph(LIST_ITEM)
    assert ("1304694804498707", "APPROVED", "CUSTOM", "NONE") == (
        template.id,
        template.status,
        template.sub_category,
        template.rejected_reason,
    )
    assert ParameterFormat.POSITIONAL == template.parameter_format
    assert (
        ("quality_score", {"score": "GREEN", "date": 1716252000}),
        ("cta_url_link_tracking_opted_out", False),
    ) == template.extra


def test_authentication_template_reads_its_preset_parts() -> None:
    """The copy-code authentication template has a text-less body, an expiry and an OTP button."""
    template = template_from_graph(AUTHENTICATION_COPY_CODE)
    expected = (
        Body(add_security_recommendation=True),
        Footer(code_expiration_minutes=5),
        Buttons(
            buttons=(Button(type=ButtonType.OTP, otp_type=OtpType.COPY_CODE, text="Copy Code"),)
        ),
    )
    assert expected == template.components
    assert 60 == template.message_send_ttl_seconds


def test_named_parameters_read_as_named_examples() -> None:
    """Named examples become `NamedExample` values, in the order given."""
    template = template_from_graph(NAMED_PARAMETERS)
    assert template.named
    assert template.header is not None
    assert template.body is not None
    assert (
        HeaderExample(
            header_text_named_params=(
                NamedExample(param_name="order_number", example="860198-230332"),
            )
        )
        == template.header.example
    )
    assert ("first_name", "order_number", "ship_date") == tuple(
        e.param_name for e in (template.body.example or BodyExample()).body_text_named_params or ()
    )


def test_carousel_is_kept_whole() -> None:
    """A CAROUSEL component becomes an `OtherComponent` holding its cards as read."""
    component = template_from_graph(CAROUSEL).components[1]
    assert OtherComponent(
        type="CAROUSEL", extra=(("cards", CAROUSEL["components"][1]["cards"]),)
    ) == (component)


def test_list_response_envelope() -> None:
    """A list-templates response gives its `data` items in order; `paging` is ignored."""
    names = tuple(t.name for t in templates_from_graph(LIST_RESPONSE))
    assert ("coupon_expiration_reminder_number_vars", "authentication_code_copy_code_button") == (
        names
    )


def test_templates_from_graph_takes_one_template_or_a_list() -> None:
    """One template gives a one-item tuple; a bare list gives one template per item."""
    assert (template_from_graph(CAROUSEL),) == templates_from_graph(CAROUSEL)
    assert 2 == len(templates_from_graph([CAROUSEL, SEASONAL_PROMOTION]))


# --- errors -------------------------------------------------------------------------------


def _with(path: tuple[str | int, ...], value: object, base: dict[str, Any] = LIST_ITEM) -> object:
    """A deep copy of `base` (the list item) with `value` at `path`, or the key removed."""
    return with_value(base, path, value)


ERRORS = {
    "not an object": ([SEASONAL_PROMOTION], "$", [SEASONAL_PROMOTION]),
    "a string": ("seasonal_promotion", "$", "seasonal_promotion"),
    "missing name": (_with(("name",), DELETE), "name", None),
    "int for str": (_with(("name",), 42), "name", 42),
    "str for list": (_with(("components",), "HEADER"), "components", "HEADER"),
    "bool for int": (
        _with(("message_send_ttl_seconds",), value=True, base=AUTHENTICATION_COPY_CODE),
        "message_send_ttl_seconds",
        True,
    ),
    "int for bool": (
        _with(("components", 0, "add_security_recommendation"), 1, AUTHENTICATION_COPY_CODE),
        "components[0].add_security_recommendation",
        1,
    ),
    "unknown category": (_with(("category",), "PROMOTIONAL"), "category", "PROMOTIONAL"),
    "unknown button type": (
        _with(("components", 3, "buttons", 0, "type"), "LINK"),
        "components[3].buttons[0].type",
        "LINK",
    ),
    "unknown header format": (
        _with(("components", 0, "format"), "AUDIO"),
        "components[0].format",
        "AUDIO",
    ),
    "unknown otp type": (
        _with(("components", 2, "buttons", 0, "otp_type"), "TWO_TAP", AUTHENTICATION_COPY_CODE),
        "components[2].buttons[0].otp_type",
        "TWO_TAP",
    ),
    "unknown parameter format": (
        _with(("parameter_format",), "NUMBERED"),
        "parameter_format",
        "NUMBERED",
    ),
    "unknown key in example": (
        _with(("components", 1, "example", "body_text_examples"), [["x"]]),
        "components[1].example.body_text_examples",
        "body_text_examples",
    ),
    "component without type": (
        _with(("components", 2, "type"), DELETE),
        "components[2].type",
        None,
    ),
    "component with an empty type": (
        _with(("components", 2, "type"), ""),
        "components[2].type",
        "",
    ),
    "component with a numeric type": (
        _with(("components", 2, "type"), 3),
        "components[2].type",
        3,
    ),
    "component not an object": (
        _with(("components", 2), "FOOTER"),
        "components[2]",
        "FOOTER",
    ),
    "flat body example": (
        _with(("components", 1, "example", "body_text"), ["SUMMER20", "10"]),
        "components[1].example.body_text[0]",
        "SUMMER20",
    ),
    "string header example": (
        _with(("components", 0, "example", "header_text"), "Pablo"),
        "components[0].example.header_text",
        "Pablo",
    ),
    "number as button example": (
        _with(("components", 3, "buttons", 0, "example"), 2023),
        "components[3].buttons[0].example",
        2023,
    ),
    "button without type": (
        _with(("components", 3, "buttons", 1, "type"), DELETE),
        "components[3].buttons[1].type",
        None,
    ),
    "named example without name": (
        _with(
            ("components", 1, "example", "body_text_named_params", 0, "param_name"),
            DELETE,
            NAMED_PARAMETERS,
        ),
        "components[1].example.body_text_named_params[0].param_name",
        None,
    ),
}


@pytest.mark.parametrize(("data", "field", "value"), ERRORS.values(), ids=ERRORS.keys())
def test_malformed_json_names_path_and_value(data: object, field: str, value: object) -> None:
    """Malformed template JSON raises `TemplateFormatError` naming the path and the value."""
    with pytest.raises(TemplateFormatError) as caught:
        template_from_graph(data)
    assert (field, value) == (caught.value.field, caught.value.value)
    assert caught.value.reason


def test_list_item_error_path_starts_with_its_index() -> None:
    """An error in the second item of a list response names `data[1]`."""
    broken = {"data": [LIST_ITEM, _with(("language",), DELETE, NAMED_PARAMETERS)], "paging": {}}
    with pytest.raises(TemplateFormatError) as caught:
        templates_from_graph(broken)
    assert ("data[1].language", None) == (caught.value.field, caught.value.value)


def test_bare_list_error_path_starts_with_its_index() -> None:
    """An error in an item of a bare list names the index; a non-object item names it alone."""
    with pytest.raises(TemplateFormatError) as caught:
        templates_from_graph([SEASONAL_PROMOTION, 7])
    assert ("[1]", 7) == (caught.value.field, caught.value.value)


# --- fuzzing ------------------------------------------------------------------------------

JSON_VALUES = json_values(
    ["name", "language", "category", "components", "type", "text", "buttons", "data"]
)


@pytest.mark.fuzz
@given(data=JSON_VALUES | mutated(graph_templates(), JSON_VALUES))
def test_reading_never_fails_otherwise(data: object) -> None:
    """Any JSON value either reads as templates or raises `TemplateFormatError`."""
    outcome: tuple[Template, ...] | TemplateFormatError
    try:
        outcome = templates_from_graph(data)
    except TemplateFormatError as error:
        outcome = error
    assert isinstance(outcome, TemplateFormatError) or all(isinstance(t, Template) for t in outcome)


def test_lowercase_values_from_metas_create_examples_are_read() -> None:
    """Meta's create examples write `authentication`, `otp`, `copy_code`; Meta answers in caps."""
    data = {
        "name": "authentication_code_copy_code_button",
        "language": "en_US",
        "category": "authentication",
        "parameter_format": "positional",
        "components": [
            {"type": "body", "add_security_recommendation": True},
            {"type": "footer", "code_expiration_minutes": 5},
            {
                "type": "buttons",
                "buttons": [{"type": "otp", "otp_type": "copy_code", "text": "Copy Code"}],
            },
        ],
    }
    template = template_from_graph(data)
    written = template_to_graph(template)
    assert "AUTHENTICATION" == written["category"]
    assert {"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy Code"} == written["components"][
        2
    ]["buttons"][0]
    assert template == template_from_graph(written)


@pytest.mark.parametrize("page", sorted(DOCUMENTED_FORMATS))
def test_every_documented_format_is_read_and_written_back(page: str) -> None:
    """Meta's example of each template format reads, and what is written reads back equal."""
    template = template_from_graph(DOCUMENTED_FORMATS[page])
    assert template == template_from_graph(json.loads(json.dumps(template_to_graph(template))))


def test_a_product_header_is_read() -> None:
    """A single-product template's header has the PRODUCT format Meta documents."""
    template = template_from_graph(SPM_TEMPLATE)
    assert Header(format=HeaderFormat.PRODUCT) == template.components[0]


def test_a_single_body_example_may_be_a_string() -> None:
    """Meta's product card carousel writes `body_text` as one string for its one variable."""
    template = template_from_graph(PRODUCT_CAROUSEL_TEMPLATE)
    body = template.components[0]
    assert isinstance(body, Body)
    assert BodyExample(body_text=(("Pablo",),)) == body.example


@pytest.mark.parametrize("body_text", [7, [7], [["a", 7]], [[["a"]]]])
def test_body_examples_of_other_shapes_are_refused(body_text: object) -> None:
    """Anything but a string or arrays of strings is refused at its path."""
    data = copy.deepcopy(PRODUCT_CAROUSEL_TEMPLATE)
    data["components"][0]["example"]["body_text"] = body_text
    with pytest.raises(TemplateFormatError, match="body_text"):
        template_from_graph(data)


# Meta's example response of GET /<WABA_ID>/message_templates?source=AUTO_GENERATED (Direct
# Send, "View templates generated by Direct Send", updated 2026-07-31), trimmed to one template.
AUTO_GENERATED = {
    "name": "auto_generated_text_e22a3ec4_7c4a_4097_ae40_56ed1e89941c",
    "parameter_format": "POSITIONAL",
    "components": [
        {
            "type": "BODY",
            "text": "Hi {{1}}, Your order is delivered.",
            "example": {"body_text": [["1"]]},
        }
    ],
    "language": "en_US",
    "status": "APPROVED",
    "category": "UTILITY",
    "source": "AUTO_GENERATED",
    "id": "1234567890",
}


def test_a_direct_send_template_reads_as_auto_generated() -> None:
    """A generated template keeps its source, says it is read-only, and writes back unchanged."""
    template = template_from_graph(AUTO_GENERATED)
    assert ("AUTO_GENERATED", True, ()) == (
        template.source,
        template.auto_generated,
        tuple(template.extra),
    )
    assert AUTO_GENERATED == template_to_graph(template)
    assert not template_from_graph(SEASONAL_PROMOTION).auto_generated
