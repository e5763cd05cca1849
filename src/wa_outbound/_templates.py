"""Message templates as values: the shape Meta's Graph API gives them.

Theory of operation
-------------------
A `Template` mirrors one object of Meta's template endpoints: the body of "create template"
(`POST /<WABA_ID>/message_templates`) and an item of "list templates" (`GET` on the same
edge, which adds `id`, `status`, `quality_score`, ...). Attribute names are the JSON keys and
`None` means "absent", so that `template_from_graph` and `template_to_graph` (in
`_template_json`) convert both ways without renaming anything, and reading then writing a
template gives back the same JSON. Keys the model does not name are kept in `extra` at the
template, component and button level; Meta adds fields without notice and a host must not lose
them by reading and writing a template.

Components are one class per Graph `type`: `Header`, `Body`, `Footer`, `Buttons`; other
types (carousels, limited-time offers) are kept whole as `OtherComponent`. Buttons are one
class, `Button`, whose `type` says which optional fields apply, as in the JSON.

Variables are written `{{1}}`, `{{2}}`, ... (positional, the default) or `{{first_name}}`
(named, with `parameter_format: "NAMED"`). `placeholders` finds them in a text; the linter
and the send-time check build on it.

Everything here is a frozen value; nothing reads a clock.
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias, TypeVar

import attrs

from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import InvalidValueError, expect, items_of, member, optional_member
from wa_outbound._shown import Shown

if TYPE_CHECKING:
    from wa_outbound._render import Report

__all__ = [
    "Body",
    "BodyExample",
    "Button",
    "ButtonType",
    "Buttons",
    "Component",
    "Footer",
    "Header",
    "HeaderExample",
    "HeaderFormat",
    "NamedExample",
    "OtherComponent",
    "OtpType",
    "ParameterFormat",
    "Placeholder",
    "Template",
    "placeholders",
]


class ParameterFormat(enum.Enum):
    """How a template's variables are written."""

    POSITIONAL = "POSITIONAL"
    """`{{1}}`, `{{2}}`, ...: numbered from 1 without gaps (the default)."""
    NAMED = "NAMED"
    """`{{first_name}}`: lowercase letters, digits and underscores."""


class HeaderFormat(enum.Enum):
    """What a template's header shows."""

    TEXT = "TEXT"
    """A short text, with at most one variable."""
    IMAGE = "IMAGE"
    """An image, given at send time."""
    VIDEO = "VIDEO"
    """A video, given at send time."""
    GIF = "GIF"
    """An animated GIF (sent as a video), given at send time."""
    DOCUMENT = "DOCUMENT"
    """A document (PDF), given at send time."""
    LOCATION = "LOCATION"
    """A map location, given at send time."""
    PRODUCT = "PRODUCT"
    """A product from the business's catalogue, given at send time (single-product templates
    and product card carousels; Meta, "Single-product message templates")."""

    @property
    def is_media(self) -> bool:
        """Whether the header needs a media file (image, video, GIF or document) at send time."""
        return self in _MEDIA_FORMATS


_MEDIA_FORMATS: Final = frozenset(
    {HeaderFormat.IMAGE, HeaderFormat.VIDEO, HeaderFormat.GIF, HeaderFormat.DOCUMENT}
)


class ButtonType(enum.Enum):
    """A template button's kind, as the Graph API spells it."""

    QUICK_REPLY = "QUICK_REPLY"
    """Sends a fixed reply back to the business (also the marketing opt-out button)."""
    URL = "URL"
    """Opens a web address; its end may be a variable (`https://example.com/{{1}}`)."""
    PHONE_NUMBER = "PHONE_NUMBER"
    """Calls a phone number."""
    VOICE_CALL = "VOICE_CALL"
    """Starts a WhatsApp call to the business."""
    COPY_CODE = "COPY_CODE"
    """Copies a coupon code (marketing) given at send time."""
    OTP = "OTP"
    """An authentication template's one-time-password button (copy code, one-tap, zero-tap)."""
    FLOW = "FLOW"
    """Opens a WhatsApp Flow."""
    CATALOG = "CATALOG"
    """Opens the business's product catalogue."""
    MPM = "MPM"
    """Opens a multi-product message."""
    SPM = "SPM"
    """Opens a single product."""
    ORDER_DETAILS = "ORDER_DETAILS"
    """Opens an order's details and payment (order details templates)."""
    SEND_LOCATION = "SEND_LOCATION"
    """Asks the user to share a location."""
    POSTBACK = "POSTBACK"
    """Sends a payload back to the business (listed by `message_template_components_update`)."""
    REMINDER = "REMINDER"
    """Sets a reminder (listed by `message_template_components_update`)."""
    EXTENSION = "EXTENSION"
    """Opens a Flows extension (listed by `message_template_components_update`)."""


class OtpType(enum.Enum):
    """How an authentication template's OTP button delivers the code."""

    COPY_CODE = "COPY_CODE"
    """The user taps to copy the code."""
    ONE_TAP = "ONE_TAP"
    """The user taps to fill the code into the business's Android app."""
    ZERO_TAP = "ZERO_TAP"
    """The code reaches the business's Android app without a tap."""


JsonMapping: TypeAlias = tuple[tuple[str, Any], ...]
"""Keys the model does not name, as `(key, JSON value)` pairs in the order read."""


def _extra_field() -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(default=(), converter=_extra, eq=True, hash=False, repr=False)


def _extra(value: object) -> JsonMapping:
    """The `(key, JSON value)` pairs, as a tuple; anything else is refused."""
    pairs = items_of("extra", value, tuple)
    for index, pair in enumerate(pairs):
        if len(pair) != 2 or not isinstance(pair[0], str):  # noqa: PLR2004 - a pair
            raise InvalidValueError(f"extra[{index}]", pair, "expected a (key, JSON value) pair")
    return pairs


@attrs.frozen(kw_only=True)
class NamedExample:
    """An example value for one named variable (`{{order_id}}`)."""

    param_name: str
    """The variable's name, without braces."""
    example: str
    """The example value reviewers see."""


@attrs.frozen(kw_only=True)
class HeaderExample:
    """Example values of a header, as the `example` object of a HEADER component."""

    header_text: tuple[str, ...] | None = None
    """The value of the positional variable of a text header."""
    header_text_named_params: tuple[NamedExample, ...] | None = None
    """The value of the named variable of a text header."""
    header_handle: tuple[str, ...] | None = None
    """Uploaded sample media (a handle from the Resumable Upload API) of a media header."""


@attrs.frozen(kw_only=True)
class BodyExample:
    """Example values of a body, as the `example` object of a BODY component."""

    body_text: tuple[tuple[str, ...], ...] | None = None
    """Values of the positional variables, one tuple per example (Meta uses the first). A
    single string, which Meta accepts for a body with one variable (product card carousels),
    is read as one example of one value."""
    body_text_named_params: tuple[NamedExample, ...] | None = None
    """Values of the named variables."""


def _format_member(value: object) -> HeaderFormat:
    return member("format", HeaderFormat, value)


@attrs.frozen(kw_only=True)
class Header:
    """A HEADER component: a text, a media file or a location shown above the body."""

    format: HeaderFormat = attrs.field(converter=_format_member)
    """What the header shows."""
    text: str | None = None
    """The header text (TEXT headers only)."""
    example: HeaderExample | None = None
    """Example values for review."""
    extra: JsonMapping = _extra_field()
    """JSON keys the model does not name, kept as read."""


@attrs.frozen(kw_only=True)
class Body:
    """A BODY component: the main text, required in every template."""

    text: str | None = None
    """The body text with its variables; absent in authentication templates (preset text)."""
    example: BodyExample | None = None
    """Example values for review."""
    add_security_recommendation: bool | None = None
    """Authentication templates: append "For your security, do not share this code."."""
    extra: JsonMapping = _extra_field()
    """JSON keys the model does not name, kept as read."""


@attrs.frozen(kw_only=True)
class Footer:
    """A FOOTER component: a short line of text under the body."""

    text: str | None = None
    """The footer text (no variables)."""
    code_expiration_minutes: int | None = None
    """Authentication templates: the preset footer "This code expires in N minutes."."""
    extra: JsonMapping = _extra_field()
    """JSON keys the model does not name, kept as read."""


def _type_member(value: object) -> ButtonType:
    return member("type", ButtonType, value)


def _otp_type_member(value: object) -> OtpType | None:
    return optional_member("otp_type", OtpType, value)


@attrs.frozen(kw_only=True)
class Button:
    """One button of a BUTTONS component; `type` says which of the other fields apply."""

    type: ButtonType = attrs.field(converter=_type_member)
    """The button's kind."""
    text: str | None = None
    """The label shown on the button."""
    url: str | None = None
    """URL buttons: the address, optionally ending in one variable."""
    phone_number: str | None = None
    """PHONE_NUMBER buttons: the number to call."""
    example: tuple[str, ...] | str | None = None
    """URL buttons: a list with a full example address; COPY_CODE buttons: an example code."""
    otp_type: OtpType | None = attrs.field(default=None, converter=_otp_type_member)
    """OTP buttons: how the code is delivered."""
    autofill_text: str | None = None
    """OTP one-tap buttons: the label of the autofill button."""
    package_name: str | None = None
    """OTP one-tap and zero-tap buttons: the Android app's package name."""
    signature_hash: str | None = None
    """OTP one-tap and zero-tap buttons: the Android app's signing-key hash."""
    zero_tap_terms_accepted: bool | None = None
    """OTP zero-tap buttons: the business accepted Meta's zero-tap terms."""
    flow_id: str | None = None
    """FLOW buttons: the published Flow's ID."""
    flow_name: str | None = None
    """FLOW buttons: the Flow's name (instead of its ID)."""
    flow_action: str | None = None
    """FLOW buttons: `navigate` or `data_exchange`."""
    navigate_screen: str | None = None
    """FLOW buttons: the first screen when `flow_action` is `navigate`."""
    extra: JsonMapping = _extra_field()
    """JSON keys the model does not name, kept as read."""


def _buttons(value: object) -> tuple[Button, ...]:
    return items_of("buttons", value, Button)


@attrs.frozen(kw_only=True)
class Buttons:
    """A BUTTONS component: the template's buttons, in display order."""

    buttons: tuple[Button, ...] = attrs.field(converter=_buttons)
    """The buttons."""
    extra: JsonMapping = _extra_field()
    """JSON keys the model does not name, kept as read."""


@attrs.frozen(kw_only=True)
class OtherComponent:
    """A component of a type the model does not name (a carousel, a limited-time offer).

    Kept whole so that reading and writing a template loses nothing. The linter checks what
    Meta states of the documented ones (`CAROUSEL`: 2 to 10 cards, marketing only;
    `LIMITED_TIME_OFFER`: a text of at most 16 characters, marketing only, no footer).
    """

    type: str
    """The component's `type`."""
    extra: JsonMapping = _extra_field()
    """The component's other JSON keys, kept as read."""


Component: TypeAlias = Header | Body | Footer | Buttons | OtherComponent
"""Any template component."""


def _category_member(value: object) -> TemplateCategory:
    return member("category", TemplateCategory, value)


def _parameter_format_member(value: object) -> ParameterFormat | None:
    return optional_member("parameter_format", ParameterFormat, value)


@attrs.frozen(kw_only=True)
class Template(Shown):
    """A message template in one language, as Meta's Graph API describes it.

    Build one by hand, or read one with `template_from_graph`; write it back with
    `template_to_graph`. The fields after `components` appear only in what Meta returns
    (list or get a template) and stay `None` in a template you are about to submit.
    """

    name: str
    """The template's name, shared by all its languages."""
    language: str
    """The language and locale code (`en_US`, `pt_BR`, `de`)."""
    category: TemplateCategory = attrs.field(converter=_category_member)
    """The category it is submitted in (or that Meta gave it)."""
    components: tuple[Component, ...]
    """Header, body, footer, buttons, in the order given."""
    parameter_format: ParameterFormat | None = attrs.field(
        default=None, converter=_parameter_format_member
    )
    """How variables are written; absent means positional."""
    message_send_ttl_seconds: int | None = None
    """How long Meta keeps trying to deliver a message of this template."""
    allow_category_change: bool | None = None
    """Let Meta assign the category it judges right instead of rejecting the template."""
    id: str | None = None
    """Meta's template ID (returned by Meta)."""
    status: str | None = None
    """Review status (returned by Meta; `TemplateStatus` values)."""
    rejected_reason: str | None = None
    """Why review rejected it (returned by Meta; `NONE` when not rejected)."""
    previous_category: str | None = None
    """The category before Meta changed it (returned by Meta)."""
    sub_category: str | None = None
    """Meta's sub-category, such as `ORDER_DETAILS` (returned by Meta)."""
    source: str | None = None
    """Who made it (returned by Meta): `AUTO_GENERATED` for a template Direct Send generated,
    which cannot be edited or deleted (errors 2388318, 2388330)."""
    extra: JsonMapping = _extra_field()
    """JSON keys the model does not name (such as `quality_score`), kept as read."""

    @property
    def auto_generated(self) -> bool:
        """Whether Direct Send generated it (`source` is `AUTO_GENERATED`): read-only."""
        return self.source == "AUTO_GENERATED"

    @property
    def named(self) -> bool:
        """Whether variables are named (`{{first_name}}`) rather than positional."""
        return self.parameter_format is ParameterFormat.NAMED

    @property
    def header(self) -> Header | None:
        """The first HEADER component, if any."""
        return _first(self.components, Header)

    @property
    def body(self) -> Body | None:
        """The first BODY component, if any."""
        return _first(self.components, Body)

    @property
    def footer(self) -> Footer | None:
        """The first FOOTER component, if any."""
        return _first(self.components, Footer)

    @property
    def buttons(self) -> tuple[Button, ...]:
        """Every button of every BUTTONS component, in order."""
        return tuple(b for c in self.components if isinstance(c, Buttons) for b in c.buttons)

    def _report(self) -> Report:
        """What every rendering shows: the message as the recipient sees it, examples filled in.

        A variable shows its example value in brackets (`[Maria]`), or its placeholder when
        the template gives no example.
        """
        from wa_outbound._render import Report, Table  # noqa: PLC0415 - on use

        rows: list[tuple[str, str]] = []
        header, body, footer = self.header, self.body, self.footer
        if header is not None:
            shown = f"[{header.format.value.lower()}]"
            if header.text is not None:
                shown = _filled(header.text, _header_examples(header))
            rows.append(("header", shown))
        if body is not None and body.text is not None:
            rows.append(("body", _filled(body.text, _body_examples(body))))
        if footer is not None:
            shown = footer.text or ""
            if footer.code_expiration_minutes is not None:
                shown = f"This code expires in {footer.code_expiration_minutes} minutes."
            rows.append(("footer", shown))
        for number, button in enumerate(self.buttons, 1):
            target = button.url or button.phone_number or ""
            label = button.text or button.type.value.replace("_", " ").lower()
            rows.append((f"button {number}", f"[ {label} ]" + (f" → {target}" if target else "")))
        status = f"; {self.status.lower()}" if self.status else ""
        return Report(
            title=f"Template {self.name} ({self.language})",
            summary=(f"{self.category.value.lower()} template{status}",),
            tables=(Table(title="Preview", rows=tuple(rows)),),
        )


_C = TypeVar("_C", Header, Body, Footer)


def _header_examples(header: Header) -> dict[str, str]:
    example = header.example
    if example is None:
        return {}
    if example.header_text_named_params:
        return {named.param_name: named.example for named in example.header_text_named_params}
    return {str(index): text for index, text in enumerate(example.header_text or (), 1)}


def _body_examples(body: Body) -> dict[str, str]:
    example = body.example
    if example is None:
        return {}
    if example.body_text_named_params:
        return {named.param_name: named.example for named in example.body_text_named_params}
    first = example.body_text[0] if example.body_text else ()
    return {str(index): text for index, text in enumerate(first, 1)}


def _filled(text: str, examples: dict[str, str]) -> str:
    """`text` with each variable replaced by its example in brackets (or kept as written)."""
    parts: list[str] = []
    done = 0
    for mark in placeholders(text):
        example = examples.get(mark.key)
        parts += [
            text[done : mark.start],
            text[mark.start : mark.end] if example is None else f"[{example}]",
        ]
        done = mark.end
    parts.append(text[done:])
    return "".join(parts)


def _first(components: tuple[Component, ...], kind: type[_C]) -> _C | None:
    for component in components:
        if isinstance(component, kind):
            return component
    return None


class Placeholder(NamedTuple):
    """One `{{...}}` in a text: what is between the braces and where it stands."""

    name: str
    """The text between the braces, as written (`1`, `first_name`, ` name `)."""
    start: int
    """Index of the first `{`."""
    end: int
    """Index just after the last `}`."""

    @property
    def key(self) -> str:
        """The variable's name without surrounding spaces."""
        return self.name.strip()


_PLACEHOLDER: Final = re.compile(r"\{\{([^{}]*)\}\}")


def placeholders(text: str) -> tuple[Placeholder, ...]:
    """Return every `{{...}}` in `text`, in order.

    Raises:
        InvalidValueError: `text` is not text.
    """
    if text.__class__ is not str:
        expect("text", text, str)
    if "{{" not in text:  # most texts of a template have none; skip the regex
        return ()
    return tuple([Placeholder(m[1], m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)])
