"""The submission linter: one failing and one passing example per code, and its properties."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import Rules, Template, TemplateCategory, builtin_rule_sets, rules_at
from wa_outbound.templates import (
    LINT_RULES,
    Buttons,
    Footer,
    LintCode,
    Severity,
    lint_template,
    template_from_graph,
)
from wa_outbound.testing import templates

from .conftest import T0, T2023
from .template_payloads import (
    AUTHENTICATION_COPY_CODE,
    DOCUMENTED_FORMATS,
    LIMITED_TIME_OFFER_TEMPLATE,
    MEDIA_CAROUSEL_TEMPLATE,
    ORDER_SHIPPED,
    SEASONAL_PROMOTION,
)

TODAY = rules_at(T0)
RULES_2023 = rules_at(T2023)
RULES_2024 = builtin_rule_sets()[1]  # three categories, a wrong category is rejected

Json = dict[str, Any]


def marketing() -> Json:
    """Meta's own example marketing template (Template components page)."""
    return copy.deepcopy(SEASONAL_PROMOTION)


def utility() -> Json:
    """An order update with a media header, named variables and call-to-action buttons."""
    return copy.deepcopy(ORDER_SHIPPED)


def authentication() -> Json:
    """Meta's copy-code authentication template."""
    return copy.deepcopy(AUTHENTICATION_COPY_CODE)


def codes(data: Json, rules: Rules = TODAY) -> list[str]:
    """Lint Graph JSON and return the finding codes, in order."""
    return [f.code.value for f in lint_template(template_from_graph(data), rules=rules)]


@pytest.mark.parametrize("make", [marketing, utility, authentication])
@pytest.mark.parametrize("rules", builtin_rule_sets()[1:], ids=lambda r: r.name)
def test_realistic_templates_lint_clean(make: Callable[[], Json], rules: Rules) -> None:
    """Meta's own examples pass under every rule set with today's three categories."""
    assert [] == codes(make(), rules)


def _set(path: str, value: object) -> Callable[[Json], None]:
    """Return a mutation setting the JSON value at a dotted path (`components.1.text`)."""
    *parents, last = path.split(".")

    def mutate(data: Json) -> None:
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def offer() -> Json:
    """Meta's limited-time offer example, with the opt-out button Meta recommends."""
    data = copy.deepcopy(LIMITED_TIME_OFFER_TEMPLATE)
    data["components"][3]["buttons"].append({"type": "QUICK_REPLY", "text": "Stop promotions"})
    return data


def carousel() -> Json:
    """Meta's media card carousel example, with a footer telling how to stop promotions."""
    data = copy.deepcopy(MEDIA_CAROUSEL_TEMPLATE)
    data["components"].insert(1, {"type": "FOOTER", "text": "Reply STOP to opt out"})
    return data


def _as_utility(data: Json) -> None:
    """Make a carousel template a utility one, its texts left without promotional words."""
    data["category"] = "UTILITY"
    data["components"][0] = {"type": "BODY", "text": "Your plants are ready for pickup."}
    for card in data["components"][2]["cards"]:
        for component in card["components"]:
            if component["type"] == "body":
                component["text"] = "Ready at the counter."
                component.pop("example", None)


def _buttons(*buttons: Json) -> Callable[[Json], None]:
    return _set("components.3.buttons", list(buttons))


QR = {"type": "QUICK_REPLY", "text": "Stop promotions"}
URL = {"type": "URL", "text": "Shop", "url": "https://shop.example/sale"}
PHONE = {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550051310"}
COPY = {"type": "COPY_CODE", "example": "25OFF"}

# (code, template, mutation, expected path); each mutation breaks exactly one rule.
CASES: list[tuple[LintCode, Callable[[], Json], Callable[[Json], None], str]] = [
    (LintCode.NAME_FORMAT, marketing, _set("name", "Seasonal Promotion"), "name"),
    (LintCode.NAME_TOO_LONG, marketing, _set("name", "a" * 513), "name"),
    (LintCode.LANGUAGE_CODE, marketing, _set("language", "english"), "language"),
    (
        LintCode.CATEGORY_LOOKS_PROMOTIONAL,
        utility,
        _set(
            "components.1.text",
            "Hello {{first_name}}, your order {{order_id}} has shipped and should arrive on"
            " {{delivery_date}}. Enjoy 20% off your next purchase with us.",
        ),
        "components[1].text",
    ),
    (
        LintCode.ALLOW_CATEGORY_CHANGE_IGNORED,
        utility,
        _set("allow_category_change", True),  # noqa: FBT003 - a JSON value
        "allow_category_change",
    ),
    (LintCode.BODY_MISSING, authentication, lambda d: d["components"].pop(0), "components"),
    (
        LintCode.COMPONENT_DUPLICATE,
        marketing,
        lambda d: d["components"].insert(3, {"type": "FOOTER", "text": "Lucky Shrub"}),
        "components[3]",
    ),
    (LintCode.TEXT_MISSING, marketing, _set("components.2.text", ""), "components[2].text"),
    (
        LintCode.BODY_TOO_LONG,
        marketing,
        lambda d: d["components"][1].update(text=d["components"][1]["text"] + " more" * 200),
        "components[1].text",
    ),
    (
        LintCode.BODY_NEWLINES,
        marketing,
        lambda d: d["components"][1].update(text=d["components"][1]["text"] + "\n\n\nSee you."),
        "components[1].text",
    ),
    (
        LintCode.BODY_EMOJIS,
        marketing,
        lambda d: d["components"][1].update(text=d["components"][1]["text"] + " 🎉" * 11),
        "components[1].text",
    ),
    (
        LintCode.HEADER_TOO_LONG,
        marketing,
        _set("components.0.text", "Our {{1}} is on!" + "!" * 50),
        "components[0].text",
    ),
    (
        LintCode.HEADER_VARIABLES,
        marketing,
        lambda d: d["components"][0].update(
            text="Our {{1}} is on for {{2}}!", example={"header_text": ["Summer Sale", "you"]}
        ),
        "components[0].text",
    ),
    (
        LintCode.HEADER_EXAMPLE_MISSING,
        utility,
        _set("components.0", {"type": "HEADER", "format": "DOCUMENT"}),
        "components[0].example.header_handle",
    ),
    (
        LintCode.HEADER_CATEGORY,
        utility,
        _set(
            "components.0",
            {"type": "HEADER", "format": "GIF", "example": {"header_handle": ["4::x"]}},
        ),
        "components[0].format",
    ),
    (LintCode.FOOTER_TOO_LONG, utility, _set("components.2.text", "x" * 61), "components[2].text"),
    (
        LintCode.FOOTER_VARIABLES,
        utility,
        _set("components.2.text", "Lucky Shrub {{shop}}"),
        "components[2].text",
    ),
    (
        LintCode.VARIABLE_MALFORMED,
        marketing,
        lambda d: d["components"][1].update(text=d["components"][1]["text"] + " Hurry {{ now"),
        "components[1].text",
    ),
    (
        LintCode.VARIABLE_FORMAT_MISMATCH,
        marketing,
        _set(
            "components.1.text",
            "Shop now through {{date}} and use code {{2}} to get {{3}} off of all merchandise.",
        ),
        "components[1].text",
    ),
    (
        LintCode.VARIABLE_SEQUENCE,
        marketing,
        _set(
            "components.1.text",
            "Shop now through {{1}} and use code {{2}} to get {{4}} off of all merchandise.",
        ),
        "components[1].text",
    ),
    (
        LintCode.VARIABLE_NAME,
        utility,
        lambda d: (
            d["components"][1].update(
                text=d["components"][1]["text"].replace("order_id", "order_2")
            ),
            d["components"][1]["example"]["body_text_named_params"][1].update(param_name="order_2"),
        ),
        "components[1].text",
    ),
    (
        LintCode.VARIABLE_AT_EDGE,
        marketing,
        _set(
            "components.1.text",
            "{{1}} is when you can shop and use code {{2}} to get {{3}} off of all merchandise.",
        ),
        "components[1].text",
    ),
    (
        LintCode.VARIABLES_ADJACENT,
        marketing,
        _set(
            "components.1.text",
            "Shop now through {{1}} and use code {{2}} {{3}} off of all merchandise today.",
        ),
        "components[1].text",
    ),
    (
        LintCode.VARIABLE_DENSITY,
        marketing,
        _set("components.1.text", "Shop until {{1}} with code {{2}} for {{3}} off."),
        "components[1].text",
    ),
    (
        LintCode.EXAMPLE_MISSING,
        marketing,
        lambda d: d["components"][1].pop("example"),
        "components[1].example",
    ),
    (
        LintCode.EXAMPLE_MISMATCH,
        marketing,
        _set("components.1.example", {"body_text": [["the end of August", "25OFF"]]}),
        "components[1].example",
    ),
    (
        LintCode.BUTTONS_TOO_MANY,
        marketing,
        _buttons(QR, *[{"type": "QUICK_REPLY", "text": f"Option {i}"} for i in range(9)], URL),
        "components[3].buttons",
    ),
    (LintCode.BUTTON_TYPE_LIMIT, marketing, _buttons(QR, URL, URL, URL), "components[3].buttons"),
    (
        LintCode.BUTTONS_NOT_GROUPED,
        marketing,
        _buttons(QR, URL, {**QR, "text": "Unsubscribe"}),
        "components[3].buttons",
    ),
    (
        LintCode.BUTTON_TEXT_MISSING,
        marketing,
        _buttons(QR, {**URL, "text": " "}),
        "components[3].buttons[1].text",
    ),
    (
        LintCode.BUTTON_TEXT_TOO_LONG,
        marketing,
        _buttons(QR, {**URL, "text": "Shop " * 6}),
        "components[3].buttons[1].text",
    ),
    (
        LintCode.URL_INVALID,
        marketing,
        _buttons(QR, {**URL, "url": "shop.example/sale"}),
        "components[3].buttons[1].url",
    ),
    (
        LintCode.URL_EXAMPLE_MISSING,
        marketing,
        _buttons(QR, {**URL, "url": "https://shop.example/{{1}}"}),
        "components[3].buttons[1].example",
    ),
    (
        LintCode.PHONE_NUMBER_INVALID,
        marketing,
        _buttons(QR, {**PHONE, "phone_number": "1" * 21}),
        "components[3].buttons[1].phone_number",
    ),
    (
        LintCode.COPY_CODE_EXAMPLE,
        marketing,
        _buttons(QR, {**COPY, "example": "SUMMER-SALE-2026-XMAS"}),
        "components[3].buttons[1].example",
    ),
    (
        LintCode.OTP_BUTTON_CATEGORY,
        marketing,
        _buttons(QR, {"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}),
        "components[3].buttons[1].type",
    ),
    (
        LintCode.AUTH_STRUCTURE,
        authentication,
        _set("components.2.buttons", [{"type": "QUICK_REPLY", "text": "Not me"}]),
        "components[2].buttons",
    ),
    (
        LintCode.AUTH_CODE_EXPIRATION,
        authentication,
        _set("components.1.code_expiration_minutes", 91),
        "components[1].code_expiration_minutes",
    ),
    (LintCode.MARKETING_OPT_OUT, marketing, _buttons(URL), "components"),
    (LintCode.COMPONENT_CATEGORY, carousel, _as_utility, "components[2].type"),
    (LintCode.CAROUSEL_CARDS, carousel, _set("components.2.cards", []), "components[2].cards"),
    (
        LintCode.OFFER_TEXT_TOO_LONG,
        offer,
        _set("components.1.limited_time_offer.text", "Seventeen chars!!"),
        "components[1].limited_time_offer.text",
    ),
    (
        LintCode.OFFER_FOOTER,
        offer,
        lambda data: data["components"].insert(3, {"type": "FOOTER", "text": "Ends soon"}),
        "components[1]",
    ),
]


@pytest.mark.parametrize(("code", "make", "mutate", "path"), CASES, ids=[c[0].value for c in CASES])
def test_each_rule_has_a_failing_example(
    code: LintCode, make: Callable[[], Json], mutate: Callable[[Json], None], path: str
) -> None:
    """Breaking one rule of a clean template gives exactly that finding, at that path."""
    data = make()
    assert [] == codes(data)
    mutate(data)
    findings = lint_template(template_from_graph(data), rules=TODAY)
    assert [code.value] == [f.code.value for f in findings]
    assert path == findings[0].path
    assert LINT_RULES[code].severity == findings[0].severity
    assert findings[0].message.endswith(".")


def test_every_code_has_a_case_and_a_rule() -> None:
    """The table above covers every lint code but the one that needs older rules."""
    covered = {c[0] for c in CASES} | {LintCode.CATEGORY_NOT_ACCEPTED}
    assert set(LintCode) == covered
    assert set(LintCode) == set(LINT_RULES)


def test_every_rule_field_a_lint_rule_names_exists() -> None:
    """Each `Rules` field named by `LINT_RULES` exists, so every number comes from the rules."""
    fields = {a.name for a in attrs.fields(Rules)}
    for rule in LINT_RULES.values():
        assert set(rule.rules) <= fields
        assert rule.rules or rule.source


def test_legacy_category_is_refused_after_april_2023() -> None:
    """A legacy category lints clean in early 2023 and is refused from 2023-04-01."""
    data = utility()
    data["category"] = "SHIPPING_UPDATE"
    assert [] == codes(data, RULES_2023)
    findings = lint_template(template_from_graph(data), rules=TODAY)
    assert ["category-not-accepted"] == [f.code.value for f in findings]
    assert "maps to UTILITY" in findings[0].message


def test_today_categories_are_refused_in_early_2023() -> None:
    """UTILITY did not exist before 2023-04-01: the interim name was TRANSACTIONAL."""
    assert ["category-not-accepted"] == codes(utility(), RULES_2023)


def test_promotional_wording_outcome_follows_the_rules() -> None:
    """Before 2025-04-09 a promotional utility template risks rejection; later it is re-labelled."""
    data = utility()
    data["components"][2]["text"] = "Free shipping on your next order"
    before = lint_template(template_from_graph(data), rules=RULES_2024)
    after = lint_template(template_from_graph(data), rules=TODAY)
    assert "INCORRECT_CATEGORY" in before[0].message
    assert "approve it as MARKETING" in after[0].message
    assert "components[2].text" == after[0].path


def test_opt_out_in_the_footer_counts() -> None:
    """A footer telling how to stop is an opt-out, as is a quick reply."""
    data = marketing()
    data["components"][3]["buttons"] = [URL]
    data["components"][2]["text"] = "Reply STOP to opt out"
    assert [] == codes(data)


def test_opt_out_is_an_error_when_the_rules_require_it() -> None:
    """A host that enforces the 2023 brief's opt-out rule gets an error, not a warning."""
    data = marketing()
    data["components"][3]["buttons"] = [URL]
    strict = attrs.evolve(TODAY, template_marketing_opt_out_required=True)
    (finding,) = lint_template(template_from_graph(data), rules=strict)
    assert Severity.ERROR == finding.severity
    assert finding.is_error


def test_limits_come_from_the_rules() -> None:
    """Tightening a number in the rules tightens the linter."""
    data = marketing()
    tight = attrs.evolve(TODAY, template_button_text_max_length=10)
    assert ["button-text-too-long", "button-text-too-long"] == codes(data, tight)


def test_named_examples_must_name_the_variables() -> None:
    """Named examples that name other variables are a mismatch."""
    data = utility()
    data["components"][1]["example"]["body_text_named_params"][0]["param_name"] = "name"
    assert ["example-mismatch"] == codes(data)


def test_named_variable_names_must_be_lowercase() -> None:
    """`{{First-Name}}` is not a variable name."""
    data = utility()
    data["components"][1]["text"] = data["components"][1]["text"].replace(
        "{{first_name}}", "{{First-Name}}"
    )
    assert ["variable-malformed", "example-mismatch"] == codes(data)


def test_numbered_variable_in_a_named_template_is_a_mismatch() -> None:
    """A positional variable in a NAMED template is flagged once."""
    data = utility()
    data["components"][1]["text"] = data["components"][1]["text"].replace("{{order_id}}", "{{2}}")
    assert ["variable-format-mismatch", "example-mismatch"] == codes(data)


def test_odd_positional_variable_is_malformed() -> None:
    """`{{1a}}` is neither a number nor a name."""
    data = marketing()
    data["components"][1]["text"] = data["components"][1]["text"].replace("{{3}}", "{{1a}}")
    assert "variable-malformed" in codes(data)


def test_authentication_rejects_headers_and_custom_text() -> None:
    """Authentication templates use Meta's preset text: no header, body text or footer text."""
    data = authentication()
    data["components"].insert(0, {"type": "HEADER", "format": "TEXT", "text": "Your code"})
    data["components"][1]["text"] = "Your code is {{1}}."
    data["components"][2]["text"] = "Expires soon"
    assert ["auth-structure"] * 3 == codes(data)


def test_url_button_with_a_fixed_address_needs_no_example() -> None:
    """A URL without a variable needs no example; a missing URL is invalid."""
    data = marketing()
    data["components"][3]["buttons"] = [QR, URL, {"type": "URL", "text": "Menu"}]
    assert ["url-invalid"] == codes(data)


def test_footer_and_header_texts_are_required() -> None:
    """A text header without text and a body without text are reported."""
    data = marketing()
    data["components"][0] = {"type": "HEADER", "format": "TEXT"}
    data["components"][1] = {"type": "BODY"}
    assert ["text-missing", "text-missing"] == codes(data)


def test_location_header_needs_no_example() -> None:
    """A location header is given at send time and needs no sample."""
    data = utility()
    data["components"][0] = {"type": "HEADER", "format": "LOCATION"}
    assert [] == codes(data)


def test_undocumented_components_are_not_checked() -> None:
    """A component Meta does not document is kept as it is and disturbs no other check."""
    data = marketing()
    data["components"].append({"type": "SOMETHING_NEW", "cards": []})
    assert [] == codes(data)


@pytest.mark.parametrize("page", sorted(DOCUMENTED_FORMATS))
def test_every_documented_format_lints_without_errors(page: str) -> None:
    """Meta's own example of each template format passes every error check."""
    template = template_from_graph(DOCUMENTED_FORMATS[page])
    assert [] == [f.code for f in lint_template(template, rules=TODAY) if f.is_error]


def test_a_carousel_in_a_utility_template_and_too_many_cards() -> None:
    """A carousel of eleven cards in a utility template breaks two of Meta's rules."""
    data = carousel()
    data["category"] = "UTILITY"
    data["components"][2]["cards"] = data["components"][2]["cards"] * 4
    found = [f.code for f in lint_template(template_from_graph(data), rules=TODAY)]
    assert LintCode.COMPONENT_CATEGORY in found
    assert LintCode.CAROUSEL_CARDS in found


def test_an_offer_without_text() -> None:
    """A limited-time offer with no text is reported like one too long."""
    data = offer()
    data["components"][1]["limited_time_offer"] = {"has_expiration": True}
    assert ["offer-text-too-long"] == codes(data)


def test_authentication_rules_apply_to_the_interim_otp_category() -> None:
    """OTP (the interim name) is checked as AUTHENTICATION under the 2023 regime."""
    data = authentication()
    data["category"] = "OTP"
    assert TemplateCategory.AUTHENTICATION == TemplateCategory.OTP.current
    assert [] == codes(data, RULES_2023)


def test_named_header_example_is_checked() -> None:
    """A named text header takes its example from `header_text_named_params`."""
    data = utility()
    data["components"][0] = {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Order {{order_id}} shipped",
        "example": {"header_text_named_params": [{"param_name": "order_id", "example": "8601"}]},
    }
    assert [] == codes(data)
    data["components"][0]["example"]["header_text_named_params"][0]["param_name"] = "order"
    assert ["example-mismatch"] == codes(data)


def test_a_variable_may_repeat() -> None:
    """Using `{{1}}` twice is one variable: one example value, no sequence problem."""
    data = marketing()
    data["components"][1]["text"] += " Code {{2}} works online and in our stores."
    assert [] == codes(data)


def test_unpaired_braces_without_any_variable_are_malformed() -> None:
    """A lone `{{` is reported even when the text has no variable at all."""
    data = marketing()
    data["components"][0] = {"type": "HEADER", "format": "TEXT", "text": "Our {{ sale is on"}
    assert ["variable-malformed"] == codes(data)


def test_body_ending_in_a_variable_and_punctuation_ends_with_a_variable() -> None:
    """Meta treats `{{3}}.` at the end as a variable at the end."""
    data = marketing()
    data["components"][1]["text"] = (
        "Shop now through the end of the month and use code {{1}} to get {{2}} off {{3}}."
    )
    data["components"][1]["example"] = {"body_text": [["A", "B", "C"]]}
    assert ["variable-at-edge"] == codes(data)


def test_url_longer_than_the_rules_allow_is_invalid() -> None:
    """A URL of more characters than the rules allow is reported."""
    data = marketing()
    data["components"][3]["buttons"] = [QR, {**URL, "url": "https://shop.example/" + "a" * 2000}]
    assert ["url-invalid"] == codes(data)


def test_authentication_button_labels_are_checked() -> None:
    """An OTP button's label is held to the button-label limit."""
    data = authentication()
    data["components"][2]["buttons"][0]["text"] = "Copy the code to your clipboard now"
    assert ["button-text-too-long"] == codes(data)
    del data["components"][2]["buttons"][0]["text"]
    assert [] == codes(data)


# --- properties over generated templates -------------------------------------------------------


def _replace(template: Template, old: object, new: object) -> Template:
    """Return `template` with the component `old` replaced by `new`."""
    components = tuple(new if c is old else c for c in template.components)
    return attrs.evolve(template, components=components)


def _found(template: Template, rules: Rules = TODAY) -> list[str]:
    return [f.code.value for f in lint_template(template, rules=rules)]


@given(st.sampled_from(builtin_rule_sets()).flatmap(lambda r: st.tuples(st.just(r), templates(r))))
def test_generated_templates_lint_clean(case: tuple[Rules, Template]) -> None:
    """Templates drawn to follow every documented rule have no finding, under any rule set."""
    rules, template = case
    assert [] == _found(template, rules)


TIGHT_RULES = {
    "strict ratio": attrs.evolve(
        TODAY,
        template_words_per_parameter=5,
        template_body_max_length=400,
        template_body_max_newlines=1,
        template_header_text_max_length=20,
        template_footer_max_length=25,
        template_buttons_max=3,
        template_url_buttons_max=1,
        template_button_text_max_length=12,
        template_copy_code_max_length=8,
    ),
    "tiny texts": attrs.evolve(
        TODAY,
        template_name_max_length=6,
        template_body_max_length=40,
        template_header_text_max_length=5,
        template_footer_max_length=5,
        template_url_max_length=10,
        template_phone_number_max_length=5,
        template_quick_reply_buttons_max=1,
        template_button_text_max_length=2,
    ),
}


@pytest.mark.parametrize("rules", TIGHT_RULES.values(), ids=TIGHT_RULES.keys())
@given(data=st.data())
def test_generated_templates_keep_tighter_limits(rules: Rules, data: st.DataObject) -> None:
    """Rules stricter than Meta's still give clean templates: the strategy sizes to them."""
    template = data.draw(templates(rules))
    found = _found(template, rules)
    if rules.template_button_text_max_length.value < len("Unsubscribe"):
        found = [code for code in found if code != "marketing-opt-out"]  # no opt-out label fits
    assert [] == found


@given(templates())
def test_a_long_name_gives_exactly_name_too_long(template: Template) -> None:
    """Lengthening the name past the limit breaks exactly that rule."""
    limit = TODAY.template_name_max_length.value
    longer = attrs.evolve(template, name=(template.name + "_x" * limit)[: limit + 1])
    assert ["name-too-long"] == _found(longer)


@given(templates(), st.sampled_from(["-", " ", "A", "é", "!"]))
def test_a_bad_character_gives_exactly_name_format(template: Template, char: str) -> None:
    """One character outside lowercase letters, digits and `_` breaks exactly the name format."""
    assert ["name-format"] == _found(attrs.evolve(template, name=template.name + char))


@given(templates(categories=[TemplateCategory.MARKETING, TemplateCategory.UTILITY]))
def test_a_long_body_gives_exactly_body_too_long(template: Template) -> None:
    """Padding the body with plain words past the limit breaks exactly that rule."""
    body = template.body
    assert body is not None
    assert body.text is not None
    limit = TODAY.template_body_max_length.value
    words = " thanks" * ((limit - len(body.text)) // 7 + 1)
    text = body.text.rstrip(".!?") + words + "."
    assert ["body-too-long"] == _found(_replace(template, body, attrs.evolve(body, text=text)))


@given(templates(categories=[TemplateCategory.MARKETING, TemplateCategory.UTILITY]))
def test_dropping_examples_gives_exactly_example_missing(template: Template) -> None:
    """Removing the body's examples breaks exactly that rule when it has variables."""
    body = template.body
    assert body is not None
    expected = ["example-missing"] if body.example is not None else []
    assert expected == _found(_replace(template, body, attrs.evolve(body, example=None)))


@given(templates(categories=[TemplateCategory.MARKETING, TemplateCategory.UTILITY]))
def test_a_long_footer_gives_exactly_footer_too_long(template: Template) -> None:
    """Adding or lengthening a footer past the limit breaks exactly that rule."""
    limit = TODAY.template_footer_max_length.value
    footer = template.footer
    long_footer = Footer(text="Thanks " * (limit // 7 + 1) + "(Stop: reply STOP)")
    if footer is None:
        changed = attrs.evolve(
            template,
            components=(
                *[c for c in template.components if not isinstance(c, Buttons)],
                long_footer,
                *[c for c in template.components if isinstance(c, Buttons)],
            ),
        )
    else:
        changed = _replace(template, footer, long_footer)
    assert ["footer-too-long"] == _found(changed)


@given(templates(categories=[TemplateCategory.MARKETING]))
def test_a_long_button_label_gives_exactly_button_text_too_long(template: Template) -> None:
    """Lengthening the first labelled button's text breaks exactly that rule."""
    limit = TODAY.template_button_text_max_length.value
    for component in template.components:
        if isinstance(component, Buttons):
            first = next(b for b in component.buttons if b.text)
            longer = attrs.evolve(first, text=(first.text or "") + " now" * limit)
            buttons = tuple(longer if b is first else b for b in component.buttons)
            changed = _replace(template, component, attrs.evolve(component, buttons=buttons))
            assert ["button-text-too-long"] == _found(changed)


@given(templates(categories=[TemplateCategory.UTILITY]))
def test_promotional_wording_gives_exactly_the_category_hint(template: Template) -> None:
    """A sale announcement in a utility template gets exactly the category hint."""
    body = template.body
    assert body is not None
    assert body.text is not None
    changed = attrs.evolve(body, text=body.text + " Big summer sale on everything this week.")
    assert ["category-looks-promotional"] == _found(_replace(template, body, changed))


@given(templates(), st.sampled_from(builtin_rule_sets()))
def test_linting_never_raises(template: Template, rules: Rules) -> None:
    """Any valid template lints under any rule set, and every finding names a known path."""
    for finding in lint_template(template, rules=rules):
        assert finding.path.split(".")[0].split("[")[0] in {
            "name",
            "category",
            "components",
            "allow_category_change",
        }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your order has shipped.", 0),
        ("Hi 👋, your order has shipped 📦.", 2),
        ("Thumbs up 👍🏽 (one emoji with its skin tone).", 1),
        ("A family 👨‍👩‍👧 is one emoji.", 1),
        ("Flags 🇩🇪🇫🇷 are one each.", 2),
        ("Red heart ❤️ with its variation selector, a star ⭐.", 2),
        ("Umlauts ü, arrows → and the euro sign € are not emojis.", 0),
    ],
)
def test_emojis_count_as_a_reader_sees_them(text: str, expected: int) -> None:
    """Sequences, skin tones and flags count once; letters and symbols do not count."""
    from wa_outbound._template_lint import count_emojis

    assert expected == count_emojis(text)


def test_ten_emojis_pass_eleven_do_not() -> None:
    """The limit is the rules' number: ten emojis pass, eleven are reported."""
    data = marketing()
    data["components"][1]["text"] += " 🎉" * 10
    assert [] == codes(data)
    data["components"][1]["text"] += " 🎉"
    assert ["body-emojis"] == codes(data)


# --- the platform as of December 2026 (issue #15) ---------------------------------------------


def test_copy_codes_of_16_to_20_characters_pass_since_2025_12_03() -> None:
    """A 16-character coupon code failed under the 15 limit and passes under the reported 20."""
    sixteen = _buttons(QR, {**COPY, "example": "SUMMER-SALE-2026"})
    data = marketing()
    sixteen(data)
    before, after = builtin_rule_sets_around(2025, 12, 3)
    assert (["copy-code-example"], []) == (codes(data, before), codes(data, after))
    assert (15, 20) == (
        before.template_copy_code_max_length.value,
        after.template_copy_code_max_length.value,
    )


def builtin_rule_sets_around(year: int, month: int, day: int) -> tuple[Rules, Rules]:
    """Return the rule sets in force just before and at the start of a day."""
    start = datetime(year, month, day, tzinfo=timezone.utc)
    return rules_at(start - timedelta(seconds=1)), rules_at(start)


def test_a_marketing_body_limit_set_by_the_host_applies_to_marketing_only() -> None:
    """Since 2025-03-27 Meta sets a marketing body's limit by format; an override binds only it."""
    body = "Our summer sale starts now and runs all month. " * 12 + "Shop today."
    data_marketing, data_utility = marketing(), utility()
    _set("components.1.text", body)(data_marketing)
    _set("components.1.text", body)(data_utility)
    known = attrs.evolve(TODAY, template_marketing_body_max_length=550)
    assert ["body-too-long"] == codes(data_marketing, known)
    assert "body-too-long" not in codes(data_utility, known)
    assert [] == codes(data_marketing)  # the built-in bound stays the published 1,024
    before, after = builtin_rule_sets_around(2025, 3, 27)
    assert "marketing-messages/changelog" in after.template_marketing_body_max_length.source.url
    assert before.template_marketing_body_max_length.source != (
        after.template_marketing_body_max_length.source
    )
