"""The submission linter: what Meta's review would reject, known before you submit.

Theory of operation
-------------------
`lint_template(template, rules=...)` walks one `Template` once and returns a tuple of
`LintFinding` values: a stable `LintCode`, a `Severity`, the JSON path of the offending part
(`components[3].buttons[0].text`, the same path `template_to_graph` writes) and a sentence a
marketer understands. A template Meta would reject is not an exception; an empty tuple means
nothing known stands in the way of approval.

Every number comes from the `Rules` passed in (`rules.template_body_max_length.value`, ...),
so linting against `rules_at(when)` answers for the platform of that day, and a host can
tighten or relax a number with `attrs.evolve`. `LINT_RULES` describes every code: its
severity, the rule fields it reads and the platform document behind it. The severity is
ERROR where Meta's or Twilio's own documentation states the rule, and WARNING where the rule
is only reported, or is a judgement (promotional wording in a UTILITY template).

Sources (checked 2026-11-25): Meta, "Template fundamentals" (updated 2026-05-05), "Template
components" (updated 2026-05-06), "Template review", "Template categorization",
"Authentication templates"; Twilio, "Using variables with Content Templates".
"""

from __future__ import annotations

import enum
import functools
import itertools
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import expect, is_a, is_tuple_of, items_of
from wa_outbound._rules import Rules
from wa_outbound._shown import Shown
from wa_outbound._templates import (
    Body,
    Button,
    Buttons,
    ButtonType,
    Footer,
    Header,
    HeaderFormat,
    OtherComponent,
    ParameterFormat,
    Placeholder,
    Template,
    placeholders,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from typing_extensions import Self

    from wa_outbound._render import Report

__all__ = [
    "LINT_RULES",
    "LintCode",
    "LintFinding",
    "LintReport",
    "LintRule",
    "Severity",
    "lint_template",
]


class Severity(enum.Enum):
    """How sure the linter is that Meta's review would refuse the template."""

    ERROR = "error"
    """A documented rule is broken: review rejects the template (or the API refuses it)."""
    WARNING = "warning"
    """A reported rule or a judgement: review may reject or re-categorise the template."""


class LintCode(enum.Enum):
    """What a finding is about; the values are stable and safe to match in code."""

    NAME_FORMAT = "name-format"
    """The name has characters other than lowercase letters, digits and underscores."""
    NAME_TOO_LONG = "name-too-long"
    """The name is longer than the rules allow."""
    LANGUAGE_CODE = "language-code"
    """The language is not a language code (`english` instead of `en` or `en_US`)."""
    CATEGORY_NOT_ACCEPTED = "category-not-accepted"
    """New templates cannot be submitted in this category under the rules in force."""
    CATEGORY_LOOKS_PROMOTIONAL = "category-looks-promotional"
    """A UTILITY template whose wording reads as marketing."""
    ALLOW_CATEGORY_CHANGE_IGNORED = "allow-category-change-ignored"
    """`allow_category_change` is set, but Meta no longer reads it."""
    BODY_MISSING = "body-missing"
    """The template has no BODY component."""
    COMPONENT_DUPLICATE = "component-duplicate"
    """More than one HEADER, BODY, FOOTER or BUTTONS component."""
    TEXT_MISSING = "text-missing"
    """A text header, a body or a footer without text."""
    BODY_TOO_LONG = "body-too-long"
    """The body text is longer than the rules allow."""
    BODY_NEWLINES = "body-newlines"
    """The body has more line breaks in a row than review accepts."""
    BODY_EMOJIS = "body-emojis"
    """The body has more emojis than review accepts."""
    HEADER_TOO_LONG = "header-too-long"
    """The text header is longer than the rules allow."""
    HEADER_VARIABLES = "header-variables"
    """The text header has more variables than the rules allow."""
    HEADER_EXAMPLE_MISSING = "header-example-missing"
    """A media header without a sample file handle."""
    HEADER_CATEGORY = "header-category"
    """A header kind the template's category cannot use."""
    FOOTER_TOO_LONG = "footer-too-long"
    """The footer is longer than the rules allow."""
    FOOTER_VARIABLES = "footer-variables"
    """The footer has a variable; footers take none."""
    VARIABLE_MALFORMED = "variable-malformed"
    """Braces that do not pair up, or a variable whose name is not a number or a name."""
    VARIABLE_FORMAT_MISMATCH = "variable-format-mismatch"
    """A named variable in a positional template, or a numbered one in a named template."""
    VARIABLE_SEQUENCE = "variable-sequence"
    """Numbered variables that do not run 1, 2, 3, ... in order without gaps."""
    VARIABLE_NAME = "variable-name"
    """A named variable with characters Meta does not document (digits)."""
    VARIABLE_AT_EDGE = "variable-at-edge"
    """The body starts or ends with a variable."""
    VARIABLES_ADJACENT = "variables-adjacent"
    """Two variables with nothing but spaces between them."""
    VARIABLE_DENSITY = "variable-density"
    """Too many variables for the length of the text."""
    EXAMPLE_MISSING = "example-missing"
    """Variables without example values."""
    EXAMPLE_MISMATCH = "example-mismatch"
    """Example values that do not match the variables (count or names)."""
    BUTTONS_TOO_MANY = "buttons-too-many"
    """More buttons than the rules allow."""
    BUTTON_TYPE_LIMIT = "button-type-limit"
    """More buttons of one kind (quick reply, URL, phone number, copy code) than allowed."""
    BUTTONS_NOT_GROUPED = "buttons-not-grouped"
    """Quick replies mixed in between other buttons instead of forming one group."""
    BUTTON_TEXT_MISSING = "button-text-missing"
    """A button without a label."""
    BUTTON_TEXT_TOO_LONG = "button-text-too-long"
    """A button label longer than the rules allow."""
    URL_INVALID = "url-invalid"
    """A URL button without an http(s) address, too long, or with a variable not at its end."""
    URL_EXAMPLE_MISSING = "url-example-missing"
    """A URL button ending in a variable, without an example address."""
    PHONE_NUMBER_INVALID = "phone-number-invalid"
    """A phone-number button without a number, or with one too long."""
    COPY_CODE_EXAMPLE = "copy-code-example"
    """A copy-code button without an example code, or with one too long."""
    OTP_BUTTON_CATEGORY = "otp-button-category"
    """An OTP button in a template that is not an authentication template."""
    AUTH_STRUCTURE = "auth-structure"
    """An authentication template with a header, custom text, or buttons other than one OTP."""
    AUTH_CODE_EXPIRATION = "auth-code-expiration"
    """An authentication footer whose code expiry is outside what the rules allow."""
    MARKETING_OPT_OUT = "marketing-opt-out"
    """A marketing template that offers no way to stop marketing messages."""
    COMPONENT_CATEGORY = "component-category"
    """A carousel or a limited-time offer in a template that is not a marketing template."""
    CAROUSEL_CARDS = "carousel-cards"
    """A carousel with fewer or more cards than the rules allow."""
    OFFER_TEXT_TOO_LONG = "offer-text-too-long"
    """A limited-time offer whose text is longer than the rules allow, or missing."""
    OFFER_FOOTER = "offer-footer"
    """A limited-time offer template with a footer."""


@attrs.frozen(kw_only=True)
class LintFinding:
    """One problem the linter found in a template."""

    code: LintCode = attrs.field(validator=is_a(LintCode))
    """What the problem is about; stable across releases."""
    severity: Severity = attrs.field(validator=is_a(Severity))
    """Whether review surely refuses it (ERROR) or may (WARNING)."""
    path: str = attrs.field(validator=is_a(str))
    """JSON path of the offending part, as in Graph API JSON (`components[1].text`)."""
    message: str = attrs.field(validator=is_a(str))
    """A sentence a marketer understands, with the value and the limit."""

    @property
    def is_error(self) -> bool:
        """Whether this finding is an error."""
        return self.severity is Severity.ERROR


class LintReport(Shown, tuple[LintFinding, ...]):
    """What `lint_template` found: a tuple of findings that shows itself as a table.

    Empty when nothing known stands in the way of approval; compares equal to the plain tuple
    of the same findings.
    """

    __slots__ = ()

    def __new__(cls, findings: Iterable[LintFinding] = ()) -> Self:
        """Build the report from a collection of `LintFinding`s (none: an empty report).

        Raises:
            InvalidValueError: `findings` is not a collection (a number, text, a mapping), or
                holds something other than a `LintFinding` (named by its position).
        """
        return super().__new__(cls, items_of("findings", findings, LintFinding))

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        """The findings review surely refuses."""
        return tuple(finding for finding in self if finding.is_error)

    @property
    def warnings(self) -> tuple[LintFinding, ...]:
        """The findings review may refuse."""
        return tuple(finding for finding in self if not finding.is_error)

    def _report(self) -> Report:
        """What every rendering shows: the counts, then each finding."""
        from wa_outbound._render import Report, Table  # noqa: PLC0415 - on use

        errors, warnings = len(self.errors), len(self.warnings)
        summary = "nothing found: no known rule stands in the way of approval"
        if self:
            summary = f"{errors} error(s), {warnings} warning(s)"
        rows = tuple(
            (
                "⛔ error" if finding.is_error else "⚠ warning",
                finding.code.value,
                finding.path,
                finding.message,
            )
            for finding in self
        )
        tables = (
            (Table(title="Findings", header=("severity", "code", "where", "what"), rows=rows),)
            if rows
            else ()
        )
        return Report(title="Template lint", summary=(summary,), tables=tables)


@attrs.frozen(kw_only=True)
class LintRule:
    """What one lint code checks, with its severity and where the rule comes from."""

    code: LintCode = attrs.field(validator=is_a(LintCode))
    """The code its findings carry."""
    severity: Severity = attrs.field(validator=is_a(Severity))
    """The severity of its findings (MARKETING_OPT_OUT: ERROR when the rules require one)."""
    rules: tuple[str, ...] = attrs.field(validator=is_tuple_of(str))
    """The `Rules` fields it reads (their sources name the documents)."""
    source: str = attrs.field(validator=is_a(str))
    """The document that states the rule, when no `Rules` field does."""


_E: Final = Severity.ERROR
_W: Final = Severity.WARNING
_FUNDAMENTALS: Final = "Meta, Template fundamentals"
_COMPONENTS: Final = "Meta, Template components"
_REVIEW: Final = "Meta, Template review"
_AUTH: Final = "Meta, Authentication templates"
_TWILIO: Final = "Twilio, Using variables with Content Templates"
_OFFER: Final = "Meta, Limited-time offer templates"
_CAROUSEL: Final = "Meta, Media card carousel templates; Product card carousel templates"


def _rule(code: LintCode, severity: Severity, *rules: str, source: str = "") -> LintRule:
    return LintRule(code=code, severity=severity, rules=rules, source=source)


LINT_RULES: Final[Mapping[LintCode, LintRule]] = MappingProxyType(
    {
        r.code: r
        for r in (
            _rule(LintCode.NAME_FORMAT, _E, source=_FUNDAMENTALS),
            _rule(LintCode.NAME_TOO_LONG, _E, "template_name_max_length"),
            _rule(LintCode.LANGUAGE_CODE, _E, source="Meta, Supported languages"),
            _rule(LintCode.CATEGORY_NOT_ACCEPTED, _E, "template_categories"),
            _rule(
                LintCode.CATEGORY_LOOKS_PROMOTIONAL,
                _W,
                "template_recategorised_in_review",
                source="Meta, Template categorization",
            ),
            _rule(LintCode.ALLOW_CATEGORY_CHANGE_IGNORED, _W, "template_recategorised_in_review"),
            _rule(LintCode.BODY_MISSING, _E, source=_COMPONENTS),
            _rule(LintCode.COMPONENT_DUPLICATE, _E, source=_COMPONENTS),
            _rule(LintCode.TEXT_MISSING, _E, source=_COMPONENTS),
            _rule(
                LintCode.BODY_TOO_LONG,
                _E,
                "template_body_max_length",
                "template_marketing_body_max_length",
            ),
            _rule(LintCode.BODY_NEWLINES, _W, "template_body_max_newlines"),
            _rule(LintCode.BODY_EMOJIS, _W, "template_body_max_emojis"),
            _rule(LintCode.HEADER_TOO_LONG, _E, "template_header_text_max_length"),
            _rule(LintCode.HEADER_VARIABLES, _E, "template_header_max_parameters"),
            _rule(LintCode.HEADER_EXAMPLE_MISSING, _E, source=_FUNDAMENTALS),
            _rule(LintCode.HEADER_CATEGORY, _E, source=_COMPONENTS),
            _rule(LintCode.FOOTER_TOO_LONG, _E, "template_footer_max_length"),
            _rule(LintCode.FOOTER_VARIABLES, _E, source=_COMPONENTS),
            _rule(LintCode.VARIABLE_MALFORMED, _E, source=_REVIEW),
            _rule(LintCode.VARIABLE_FORMAT_MISMATCH, _E, source=_FUNDAMENTALS),
            _rule(LintCode.VARIABLE_SEQUENCE, _E, source=_REVIEW),
            _rule(LintCode.VARIABLE_NAME, _W, source=_FUNDAMENTALS),
            _rule(LintCode.VARIABLE_AT_EDGE, _E, source=_REVIEW),
            _rule(LintCode.VARIABLES_ADJACENT, _E, source=_TWILIO),
            _rule(LintCode.VARIABLE_DENSITY, _W, "template_words_per_parameter"),
            _rule(LintCode.EXAMPLE_MISSING, _E, source=_FUNDAMENTALS),
            _rule(LintCode.EXAMPLE_MISMATCH, _E, source=_FUNDAMENTALS),
            _rule(LintCode.BUTTONS_TOO_MANY, _E, "template_buttons_max"),
            _rule(
                LintCode.BUTTON_TYPE_LIMIT,
                _E,
                "template_quick_reply_buttons_max",
                "template_url_buttons_max",
                "template_phone_buttons_max",
                "template_copy_code_buttons_max",
            ),
            _rule(LintCode.BUTTONS_NOT_GROUPED, _E, source=_COMPONENTS),
            _rule(LintCode.BUTTON_TEXT_MISSING, _E, source=_COMPONENTS),
            _rule(LintCode.BUTTON_TEXT_TOO_LONG, _E, "template_button_text_max_length"),
            _rule(LintCode.URL_INVALID, _E, "template_url_max_length"),
            _rule(LintCode.URL_EXAMPLE_MISSING, _E, source=_COMPONENTS),
            _rule(LintCode.PHONE_NUMBER_INVALID, _E, "template_phone_number_max_length"),
            _rule(LintCode.COPY_CODE_EXAMPLE, _E, "template_copy_code_max_length"),
            _rule(LintCode.OTP_BUTTON_CATEGORY, _E, source=_AUTH),
            _rule(LintCode.AUTH_STRUCTURE, _E, source=_AUTH),
            _rule(LintCode.AUTH_CODE_EXPIRATION, _E, "template_code_expiration_max_minutes"),
            _rule(LintCode.MARKETING_OPT_OUT, _W, "template_marketing_opt_out_required"),
            _rule(LintCode.COMPONENT_CATEGORY, _E, source=f"{_OFFER}; {_CAROUSEL}"),
            _rule(
                LintCode.CAROUSEL_CARDS,
                _E,
                "template_carousel_cards_min",
                "template_carousel_cards_max",
            ),
            _rule(LintCode.OFFER_TEXT_TOO_LONG, _E, "template_offer_text_max_length"),
            _rule(LintCode.OFFER_FOOTER, _E, source=_OFFER),
        )
    }
)
"""Every lint code with its severity, the rule fields it reads and its source."""

_NAME: Final = re.compile(r"[a-z0-9_]+")
_LANGUAGE: Final = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
"""A language code as Meta's supported languages list them: `en`, `en_US`, `pt_BR`, `fil`."""
_POSITIONAL: Final = re.compile(r"[1-9][0-9]*")
_NAMED: Final = re.compile(r"[a-z_][a-z0-9_]*")
_NAMED_DOCUMENTED: Final = re.compile(r"[a-z_]+")
_EDGE_PUNCTUATION: Final = " \t\n.,;:!?…)(\"'*_~-"
# Promotional wording: single words, matched against the text's lowercase words, and phrases,
# matched as lowercase substrings (both much faster than one large case-insensitive regex).
_PROMOTIONAL_WORDS: Final = frozenset(
    {
        "offer", "offers", "sale", "sales", "discount", "discounts", "free", "deal", "deals",
        "promo", "promos", "promotion", "promotions", "coupon", "coupons", "exclusive", "hurry",
        "cashback", "bargain", "clearance",
    }
)  # fmt: skip
_PROMOTIONAL_PHRASES: Final = (
    "% off", "buy now", "shop now", "order now", "limited time", "limited-time",
    "special price", "best price", "new arrival", "don't miss", "last chance",
)  # fmt: skip
_LOWER_WORD: Final = re.compile(r"[a-z]+")
_OPT_OUT: Final = re.compile(
    r"\b(?:stop|unsubscribe|opt[- ]?out|no more|abmelden|cancelar|parar|sair|baja|"
    r"descadastrar|d[ée]sinscri\w*|berhenti)\b",
    re.IGNORECASE,
)
_QUICK: Final = ButtonType.QUICK_REPLY
_MARKETING_ONLY: Final = {
    "CAROUSEL": "Carousels",
    "LIMITED_TIME_OFFER": "Limited-time offers",
}
"""Components Meta offers to marketing templates only, and their name in a sentence."""


class _Linter:
    """Collects findings for one template; one instance per `lint_template` call."""

    __slots__ = ("current", "findings", "rules", "template")

    def __init__(self, template: Template, rules: Rules) -> None:
        self.template = template
        self.rules = rules
        self.current = template.category.current  # today's category it counts as
        self.findings: list[LintFinding] = []

    def add(
        self, code: LintCode, path: str, message: str, severity: Severity | None = None
    ) -> None:
        self.findings.append(
            LintFinding(
                code=code,
                severity=severity or LINT_RULES[code].severity,
                path=path,
                message=message,
            )
        )

    # --- name and category ---------------------------------------------------------------------
    def name(self) -> None:
        name = self.template.name
        if not _NAME.fullmatch(name):
            self.add(
                LintCode.NAME_FORMAT,
                "name",
                f"The name {name!r} may only use lowercase letters, digits and underscores.",
            )
        limit = self.rules.template_name_max_length.value
        if len(name) > limit:
            self.add(
                LintCode.NAME_TOO_LONG,
                "name",
                f"The name has {len(name)} characters; WhatsApp allows at most {limit}.",
            )
        language = self.template.language
        if not _LANGUAGE.fullmatch(language):
            self.add(
                LintCode.LANGUAGE_CODE,
                "language",
                f"The language {language!r} is not a language code; use a code from Meta's"
                " supported languages, such as en, en_US or pt_BR.",
            )

    def category(self, texts: list[tuple[str, str]]) -> None:
        category = self.template.category
        accepted = self.rules.template_categories.value
        if category not in accepted:
            names = ", ".join(c.value for c in accepted)
            self.add(
                LintCode.CATEGORY_NOT_ACCEPTED,
                "category",
                f"New templates cannot use the category {category.value} any more; choose one of"
                f" {names} (it maps to {category.current.value}).",
            )
        recategorised = self.rules.template_recategorised_in_review.value
        if self.template.allow_category_change is not None and recategorised:
            self.add(
                LintCode.ALLOW_CATEGORY_CHANGE_IGNORED,
                "allow_category_change",
                "Meta no longer reads allow_category_change: review gives every template the"
                " category it judges right.",
            )
        if self.current is TemplateCategory.UTILITY:
            for path, text in texts:
                match = _promotional(text)
                if match:
                    outcome = (
                        "Meta will approve it as MARKETING, and every message of it is then"
                        " charged at the marketing rate"
                        if recategorised
                        else "review may reject it as INCORRECT_CATEGORY (or, with"
                        " allow_category_change, approve it as MARKETING at the marketing rate)"
                    )
                    self.add(
                        LintCode.CATEGORY_LOOKS_PROMOTIONAL,
                        path,
                        f"{match!r} reads as promotional in a utility template: {outcome}.",
                    )
                    return

    # --- components ----------------------------------------------------------------------------
    def components(self) -> list[tuple[str, str]]:
        """Check every component; return the (path, text) pairs for the wording checks."""
        texts: list[tuple[str, str]] = []
        seen: dict[type, int] = {}
        body_seen = False
        for index, component in enumerate(self.template.components):
            path = f"components[{index}]"
            kind = type(component)
            if kind in seen and kind in _SINGLE:
                self.add(
                    LintCode.COMPONENT_DUPLICATE,
                    path,
                    f"The template has a second {_SINGLE[kind]} component; it may have only one.",
                )
                continue
            seen[kind] = index
            if isinstance(component, Header):
                self.header(component, path, texts)
            elif isinstance(component, Body):
                body_seen = True
                self.body(component, path, texts)
            elif isinstance(component, Footer):
                self.footer(component, path, texts)
            elif isinstance(component, Buttons):
                self.buttons(component, path)
            else:
                self.other(component, path)
        if not body_seen:
            self.add(LintCode.BODY_MISSING, "components", "Every template needs a body text.")
        return texts

    def other(self, component: OtherComponent, path: str) -> None:
        """Check what Meta states of a carousel and a limited-time offer."""
        kind = component.type.upper()
        if kind not in _MARKETING_ONLY:
            return
        if self.current is not TemplateCategory.MARKETING:
            self.add(
                LintCode.COMPONENT_CATEGORY,
                f"{path}.type",
                f"{_MARKETING_ONLY[kind]} are only available to marketing templates.",
            )
        extra = dict(component.extra)
        if kind == "CAROUSEL":
            cards = extra.get("cards")
            count = len(cards) if isinstance(cards, list) else 0
            low = self.rules.template_carousel_cards_min.value
            high = self.rules.template_carousel_cards_max.value
            if not low <= count <= high:
                self.add(
                    LintCode.CAROUSEL_CARDS,
                    f"{path}.cards",
                    f"The carousel has {count} cards; a template defines {low} to {high}.",
                )
            return
        offer = extra.get("limited_time_offer")
        text = offer.get("text") if isinstance(offer, dict) else None
        limit = self.rules.template_offer_text_max_length.value
        if not isinstance(text, str) or not text or len(text) > limit:
            found = f"{len(text)} characters" if isinstance(text, str) else "no text"
            self.add(
                LintCode.OFFER_TEXT_TOO_LONG,
                f"{path}.limited_time_offer.text",
                f"The offer's text has {found}; it needs one of at most {limit}.",
            )
        if any(isinstance(c, Footer) for c in self.template.components):
            self.add(
                LintCode.OFFER_FOOTER,
                path,
                "Limited-time offer templates cannot have a footer.",
            )

    def header(self, header: Header, path: str, texts: list[tuple[str, str]]) -> None:
        authentication = self.current is TemplateCategory.AUTHENTICATION
        if authentication:
            self.add(
                LintCode.AUTH_STRUCTURE,
                path,
                "Authentication templates have no header: Meta's preset text is all they show.",
            )
            return
        if header.format is HeaderFormat.TEXT:
            self.text_header(header, path, texts)
        elif header.format.is_media:
            handles = header.example.header_handle if header.example else None
            if not handles:
                self.add(
                    LintCode.HEADER_EXAMPLE_MISSING,
                    f"{path}.example.header_handle",
                    f"The {header.format.value.lower()} header needs a sample file for review"
                    " (upload it and give its handle).",
                )
        if header.format is HeaderFormat.GIF and (self.current is not TemplateCategory.MARKETING):
            self.add(
                LintCode.HEADER_CATEGORY,
                f"{path}.format",
                "GIF headers are only available to marketing templates.",
            )

    def text_header(self, header: Header, path: str, texts: list[tuple[str, str]]) -> None:
        if not header.text:
            self.add(LintCode.TEXT_MISSING, f"{path}.text", "The text header has no text.")
            return
        limit = self.rules.template_header_text_max_length.value
        if len(header.text) > limit:
            self.add(
                LintCode.HEADER_TOO_LONG,
                f"{path}.text",
                f"The header has {len(header.text)} characters; WhatsApp allows at most {limit}.",
            )
        found = self.variables(header.text, f"{path}.text", body=False)
        most = self.rules.template_header_max_parameters.value
        if len(found) > most:
            self.add(
                LintCode.HEADER_VARIABLES,
                f"{path}.text",
                f"The header has {len(found)} variables; WhatsApp allows at most {most}.",
            )
        example = header.example
        values: tuple[str, ...] | None = None
        names: tuple[str, ...] | None = None
        if example is not None:
            values = example.header_text
            if example.header_text_named_params is not None:
                names = tuple(p.param_name for p in example.header_text_named_params)
        self.examples(found, values, names, f"{path}.example")
        texts.append((f"{path}.text", header.text))

    def body(self, body: Body, path: str, texts: list[tuple[str, str]]) -> None:
        if self.current is TemplateCategory.AUTHENTICATION:
            if body.text is not None:
                self.add(
                    LintCode.AUTH_STRUCTURE,
                    f"{path}.text",
                    "Authentication templates use Meta's preset text; leave the body text out.",
                )
            return
        text = body.text
        if not text:
            self.add(LintCode.TEXT_MISSING, f"{path}.text", "The body has no text.")
            return
        limit = _body_limit(self.rules, marketing=self.current is TemplateCategory.MARKETING)
        if len(text) > limit:
            self.add(
                LintCode.BODY_TOO_LONG,
                f"{path}.text",
                f"The body has {len(text):,} characters; WhatsApp allows at most {limit:,}.",
            )
        most = self.rules.template_body_max_newlines.value
        if "\n" * (most + 1) in text.replace("\r\n", "\n"):
            self.add(
                LintCode.BODY_NEWLINES,
                f"{path}.text",
                f"The body has more than {most} line breaks in a row; review rejects that.",
            )
        emojis = count_emojis(text)
        most_emojis = self.rules.template_body_max_emojis.value
        if emojis > most_emojis:
            self.add(
                LintCode.BODY_EMOJIS,
                f"{path}.text",
                f"The body has {emojis} emojis; review rejects more than {most_emojis}.",
            )
        found = self.variables(text, f"{path}.text", body=True)
        example = body.example
        values: tuple[str, ...] | None = None
        names: tuple[str, ...] | None = None
        if example is not None:
            if example.body_text:
                values = example.body_text[0]
            if example.body_text_named_params is not None:
                names = tuple(p.param_name for p in example.body_text_named_params)
        self.examples(found, values, names, f"{path}.example")
        texts.append((f"{path}.text", text))

    def footer(self, footer: Footer, path: str, texts: list[tuple[str, str]]) -> None:
        if self.current is TemplateCategory.AUTHENTICATION:
            minutes = footer.code_expiration_minutes
            most = self.rules.template_code_expiration_max_minutes.value
            if minutes is not None and not 1 <= minutes <= most:
                self.add(
                    LintCode.AUTH_CODE_EXPIRATION,
                    f"{path}.code_expiration_minutes",
                    f"The code expiry is {minutes} minutes; it must be between 1 and {most}.",
                )
            if footer.text is not None:
                self.add(
                    LintCode.AUTH_STRUCTURE,
                    f"{path}.text",
                    "Authentication templates use Meta's preset footer; leave the text out.",
                )
            return
        text = footer.text
        if not text:
            self.add(LintCode.TEXT_MISSING, f"{path}.text", "The footer has no text.")
            return
        limit = self.rules.template_footer_max_length.value
        if len(text) > limit:
            self.add(
                LintCode.FOOTER_TOO_LONG,
                f"{path}.text",
                f"The footer has {len(text)} characters; WhatsApp allows at most {limit}.",
            )
        if "{{" in text:
            self.add(
                LintCode.FOOTER_VARIABLES,
                f"{path}.text",
                "The footer has a variable; footers must be fixed text.",
            )
        texts.append((f"{path}.text", text))

    # --- variables -----------------------------------------------------------------------------
    def variables(self, text: str, path: str, *, body: bool) -> tuple[str, ...]:
        """Check the variables of a text; return their distinct keys in order of appearance."""
        found = placeholders(text)
        count = len(found)
        if text.count("{{") != count or text.count("}}") != count:
            self.add(
                LintCode.VARIABLE_MALFORMED,
                path,
                "The braces of a variable do not pair up; write variables as {{1}} or {{name}}.",
            )
        if not count:
            return ()
        keys = tuple(dict.fromkeys([p.name for p in found]))
        named = self.template.parameter_format is ParameterFormat.NAMED
        kinds = [_kind(key) for key in keys]
        for key, kind in zip(keys, kinds, strict=True):
            if kind is not (_NAMED_KIND if named else _POSITIONAL_KIND):
                self.variable(key, kind, path, named=named)
        if (
            not named
            and all(kind is _POSITIONAL_KIND for kind in kinds)
            and list(keys) != [str(number) for number in range(1, len(keys) + 1)]
        ):
            written = ", ".join(f"{{{{{k}}}}}" for k in keys)
            self.add(
                LintCode.VARIABLE_SEQUENCE,
                path,
                f"Numbered variables must run {{{{1}}}}, {{{{2}}}}, ... in order without"
                f" gaps; this text has {written}.",
            )
        if body:
            self.layout(text, found, path)
        return keys

    def variable(self, name: str, kind: str, path: str, *, named: bool) -> None:
        """Report a variable whose kind does not fit the template's parameter format."""
        shown = f"{{{{{name}}}}}"
        if kind is _MALFORMED_KIND:
            self.add(
                LintCode.VARIABLE_MALFORMED,
                path,
                f"{shown} is not a valid variable: write {{{{1}}}}, {{{{2}}}}, ... or a name of"
                " lowercase letters and underscores, like {{first_name}}.",
            )
        elif kind is _DIGITS_KIND:
            if named:
                self.add(
                    LintCode.VARIABLE_NAME,
                    path,
                    f"{shown} has digits; Meta documents only lowercase letters and underscores.",
                )
            else:
                self.variable(name, _NAMED_KIND, path, named=named)
        elif named:
            self.add(
                LintCode.VARIABLE_FORMAT_MISMATCH,
                path,
                f"{shown} is numbered, but the template uses named variables.",
            )
        else:
            self.add(
                LintCode.VARIABLE_FORMAT_MISMATCH,
                path,
                f"{shown} is a named variable, but the template uses numbered variables"
                ' (set "parameter_format": "NAMED" to use names).',
            )

    def layout(self, text: str, found: tuple[Placeholder, ...], path: str) -> None:
        if not text[: found[0].start].strip(_EDGE_PUNCTUATION):
            self.add(
                LintCode.VARIABLE_AT_EDGE,
                path,
                "The body starts with a variable; start it with fixed words before the variable"
                " (punctuation alone is not enough).",
            )
        if not text[found[-1].end :].strip(_EDGE_PUNCTUATION):
            self.add(
                LintCode.VARIABLE_AT_EDGE,
                path,
                "The body ends with a variable; end it with fixed words after the variable"
                " (punctuation alone is not enough: review reads '{{1}}.' as ending with the"
                " variable).",
            )
        fixed = len(text[: found[0].start].split())
        adjacent = False
        for left, right in itertools.pairwise(found):
            between = text[left.end : right.start].split()
            fixed += len(between)
            if not between and not adjacent:
                adjacent = True
                self.add(
                    LintCode.VARIABLES_ADJACENT,
                    path,
                    f"{{{{{left.name}}}}} and {{{{{right.name}}}}} stand next to each other; put"
                    " words between them.",
                )
        fixed += len(text[found[-1].end :].split())
        needed = self.rules.template_words_per_parameter.value * len(found) + 1
        if fixed < needed:
            self.add(
                LintCode.VARIABLE_DENSITY,
                path,
                f"The body has {len(found)} variables and {fixed} other words; it needs at least"
                f" {needed} other words, or fewer variables.",
            )

    def examples(
        self,
        keys: tuple[str, ...],
        values: tuple[str, ...] | None,
        names: tuple[str, ...] | None,
        path: str,
    ) -> None:
        if not keys:
            return
        if values is None and names is None:
            self.add(
                LintCode.EXAMPLE_MISSING,
                path,
                f"Give an example value for each variable ({len(keys)} in all); review needs them.",
            )
            return
        if self.template.parameter_format is ParameterFormat.NAMED:
            if names is None or sorted(set(names)) != sorted(keys):
                self.add(
                    LintCode.EXAMPLE_MISMATCH,
                    path,
                    f"The examples name {', '.join(names or ()) or 'no variable'}; the text uses"
                    f" {', '.join(keys)}.",
                )
        elif values is None or len(values) != len(keys):
            count = 0 if values is None else len(values)
            self.add(
                LintCode.EXAMPLE_MISMATCH,
                path,
                f"There are {count} example values for {len(keys)} variables.",
            )

    # --- buttons -------------------------------------------------------------------------------
    def buttons(self, component: Buttons, path: str) -> None:
        buttons = component.buttons
        rules = self.rules
        authentication = self.current is TemplateCategory.AUTHENTICATION
        if authentication:
            self.auth_buttons(buttons, path)
            return
        most = rules.template_buttons_max.value
        if len(buttons) > most:
            self.add(
                LintCode.BUTTONS_TOO_MANY,
                f"{path}.buttons",
                f"The template has {len(buttons)} buttons; WhatsApp allows at most {most}.",
            )
        types = [b.type for b in buttons]
        for kind, field, label in _TYPE_LIMITS:
            count = types.count(kind)
            if count and count > getattr(rules, field).value:
                limit: int = getattr(rules, field).value
                self.add(
                    LintCode.BUTTON_TYPE_LIMIT,
                    f"{path}.buttons",
                    f"The template has {count} {label} buttons; WhatsApp allows at most {limit}.",
                )
        kinds = [b.type is _QUICK for b in buttons]
        if sum(1 for a, b in itertools.pairwise(kinds) if a != b) > 1:
            self.add(
                LintCode.BUTTONS_NOT_GROUPED,
                f"{path}.buttons",
                "Quick-reply buttons must stand together, all before or all after the other"
                " buttons.",
            )
        for index, button in enumerate(buttons):
            self.button(button, f"{path}.buttons[{index}]")

    def button(self, button: Button, path: str) -> None:
        kind = button.type
        if kind is ButtonType.OTP:
            self.add(
                LintCode.OTP_BUTTON_CATEGORY,
                f"{path}.type",
                "One-time-password buttons belong in authentication templates only.",
            )
        if kind is ButtonType.COPY_CODE:
            self.copy_code(button, path)
            return
        self.label(button, path)
        if kind is ButtonType.URL:
            self.url(button, path)
        elif kind is ButtonType.PHONE_NUMBER:
            number = button.phone_number
            limit = self.rules.template_phone_number_max_length.value
            if not number or len(number) > limit:
                self.add(
                    LintCode.PHONE_NUMBER_INVALID,
                    f"{path}.phone_number",
                    f"The phone-number button needs a number of at most {limit} characters.",
                )

    def label(self, button: Button, path: str) -> None:
        text = button.text
        if not text or not text.strip():
            self.add(LintCode.BUTTON_TEXT_MISSING, f"{path}.text", "The button has no label.")
            return
        limit = self.rules.template_button_text_max_length.value
        if len(text) > limit:
            self.add(
                LintCode.BUTTON_TEXT_TOO_LONG,
                f"{path}.text",
                f"The label {text!r} has {len(text)} characters; WhatsApp allows at most {limit}.",
            )

    def url(self, button: Button, path: str) -> None:
        url = button.url or ""
        limit = self.rules.template_url_max_length.value
        found = placeholders(url)
        if not url.startswith(("https://", "http://")) or len(url) > limit:
            self.add(
                LintCode.URL_INVALID,
                f"{path}.url",
                f"The button needs a web address starting with https:// of at most {limit}"
                " characters.",
            )
        elif len(found) > 1 or (found and found[-1].end != len(url)):
            self.add(
                LintCode.URL_INVALID,
                f"{path}.url",
                "A URL button may have one variable, and only at the very end of the address.",
            )
        if found and not button.example:
            self.add(
                LintCode.URL_EXAMPLE_MISSING,
                f"{path}.example",
                "Give an example of the full address for review.",
            )

    def copy_code(self, button: Button, path: str) -> None:
        code = button.example
        limit = self.rules.template_copy_code_max_length.value
        if not isinstance(code, str) or not code or len(code) > limit:
            self.add(
                LintCode.COPY_CODE_EXAMPLE,
                f"{path}.example",
                f"The copy-code button needs an example code of at most {limit} characters.",
            )

    def auth_buttons(self, buttons: tuple[Button, ...], path: str) -> None:
        otp = [b for b in buttons if b.type is ButtonType.OTP]
        if len(otp) != 1 or len(buttons) != 1:
            self.add(
                LintCode.AUTH_STRUCTURE,
                f"{path}.buttons",
                "An authentication template has exactly one button: the one-time-password"
                " button (copy code, one-tap or zero-tap).",
            )
        for index, button in enumerate(buttons):
            if button.text is not None:
                self.label(button, f"{path}.buttons[{index}]")

    def marketing(self) -> None:
        if self.current is not TemplateCategory.MARKETING:
            return
        template = self.template
        offers = any(
            b.type is _QUICK and b.text and _OPT_OUT.search(b.text) for b in template.buttons
        )
        footer = template.footer
        if offers or (footer is not None and footer.text and _OPT_OUT.search(footer.text)):
            return
        required = self.rules.template_marketing_opt_out_required.value
        self.add(
            LintCode.MARKETING_OPT_OUT,
            "components",
            "Offer a way to stop marketing messages, such as a quick-reply button"
            " 'Stop promotions'"
            + ("; the rules in force require one." if required else "; Meta recommends one."),
            severity=Severity.ERROR if required else Severity.WARNING,
        )


_SINGLE: Final[Mapping[type, str]] = {
    Header: "HEADER",
    Body: "BODY",
    Footer: "FOOTER",
    Buttons: "BUTTONS",
}
_TYPE_LIMITS: Final = (
    (ButtonType.QUICK_REPLY, "template_quick_reply_buttons_max", "quick-reply"),
    (ButtonType.URL, "template_url_buttons_max", "URL"),
    (ButtonType.PHONE_NUMBER, "template_phone_buttons_max", "phone-number"),
    (ButtonType.COPY_CODE, "template_copy_code_buttons_max", "copy-code"),
)
_POSITIONAL_KIND: Final = "positional"
_NAMED_KIND: Final = "named"
_DIGITS_KIND: Final = "named with digits"
_MALFORMED_KIND: Final = "malformed"


@functools.lru_cache(maxsize=4096)
def _kind(name: str) -> str:
    """What a variable's name is: a number, a documented name, a name with digits, or neither."""
    if _POSITIONAL.fullmatch(name):
        return _POSITIONAL_KIND
    if _NAMED_DOCUMENTED.fullmatch(name):
        return _NAMED_KIND
    if _NAMED.fullmatch(name):
        return _DIGITS_KIND
    return _MALFORMED_KIND


# Emoji: the pictographic blocks of Unicode (emoticons, symbols and pictographs, transport,
# supplemental symbols, flags' regional indicators) plus the older symbol blocks most emojis
# come from. Skin-tone modifiers, variation selectors and joiners do not count, and two
# regional indicators are one flag, so a sequence counts as the emoji a reader sees.
_EMOJI: Final = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    "|[\U0001f000-\U0001f1e5\U0001f200-\U0001f3fa\U0001f400-\U0001faff"
    "\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3030\u303d\u3297\u3299]"
    "(?:[\U0001f3fb-\U0001f3ff\ufe0f]*(?:\u200d[^\\s][\U0001f3fb-\U0001f3ff\ufe0f]*)*)"
)


def count_emojis(text: str) -> int:
    """Return how many emojis a reader sees in `text` (sequences and flags count once)."""
    if text.isascii():  # the common case: no emoji can be there
        return 0
    return len(_EMOJI.findall(text))


def _promotional(text: str) -> str | None:
    """Return the first promotional word or phrase of `text` (lowercase), if any."""
    low = text.lower()
    for phrase in _PROMOTIONAL_PHRASES:
        if phrase in low:
            return phrase
    for word in _LOWER_WORD.findall(low):
        if word in _PROMOTIONAL_WORDS:
            return str(word)
    return None


def _body_limit(rules: Rules, *, marketing: bool) -> int:
    """Return the longest body text the rules allow for the template.

    A marketing body has its own limit (Meta sets it by format and tag since 2025-03-27 without
    publishing the numbers, so a host overrides the rule); it is never above the general one.
    """
    limit: int = rules.template_body_max_length.value
    if marketing:
        limit = min(limit, rules.template_marketing_body_max_length.value)
    return limit


def lint_template(template: Template, *, rules: Rules) -> LintReport:
    """Return what Meta's review would find wrong with `template` under `rules`.

    Args:
        template: The template to check, as built or read with `template_from_graph`.
        rules: The rules to check against, usually `rules_at(now)`; every limit comes from
            them.

    Returns:
        The findings, a `LintReport` (a tuple that renders in notebooks): the name's,
        each component's in order, then the category's and the marketing opt-out's; empty if
        nothing known stands in the way of approval. Never raises for a valid `Template`.
    """
    expect("template", template, Template)
    expect("rules", rules, Rules)
    linter = _Linter(template, rules)
    linter.name()
    texts = linter.components()
    linter.category(texts)
    linter.marketing()
    return LintReport(linter.findings)
