"""Send-time template parameters: read them, write them, and check them before Meta does.

Theory of operation
-------------------
A template message names an approved template and carries the values of its variables: the
`template.components` list of a Cloud API `POST /<PHONE_NUMBER_ID>/messages` body. Meta checks
those values against the template and refuses the whole message when they do not fit, with an
error code per kind of mistake (132000 count, 132012 format, 132005 length, 132018 value,
131008 missing). `check_parameters` runs the same checks locally, so that a host finds the
mistake in a test instead of in a failed campaign.

`TemplateParameters` is the value a host builds (or reads from the payload it is about to send,
with `TemplateParameters.from_send_components`): the header value (a text, or a media file or a
location), the body values (positional, in order, or named, by name) and the button values by
button index. `to_send_components` writes Meta's JSON back. One principle settles what is
checked: what the parameters *state* is checked against the template (a button's `sub_type`, a
header's `parameter_name`); what they leave unstated is taken from the template when writing
(`to_send_components(template=...)`) and not reported.

The checks, each a `ParameterProblemCode` with the Meta error it prevents:

* **Counts** (132000). Positional values must match the template's distinct variables one to
  one; named values must cover every name and name nothing else. A text header with one
  variable needs one value; a header without a variable takes none.
* **Format** (132012). Positional values for a named template, or named values for a positional
  one; a text for a media header, a media object for a text header, or a media of the wrong
  kind (an image for a DOCUMENT header). A GIF header takes a video.
* **Missing values** (131008). A media or location header without its media; a URL button
  whose address ends in a variable, a copy-code button or an OTP button without its value; an
  empty value (reported answer: "Parameter of type text is missing text value"; some clients
  report 132018 instead, and 131008 is used here).
* **Values** (132018). A text value with a line break, a tab, or more spaces in a row than
  `rules.template_parameter_max_spaces` (observed API behaviour: "Param text cannot have
  new-line/tab characters or more than 4 consecutive spaces"); a stated button `sub_type` that
  is not the template button's.
* **Lengths**. The body after substitution longer than `rules.template_body_max_length`, a text
  header longer than `rules.template_header_text_max_length` (132005, "Template Hydrated Text
  Too Long"; Meta does not publish a separate hydrated limit, so the submission limits are
  used); a coupon code longer than `rules.template_copy_code_max_length`, or an authentication
  template's code longer than `rules.template_auth_parameter_max_length` (131009, "Parameter
  value is not valid": no Meta page names the code Meta answers, so this is a best guess).

Variables are found with `placeholders`. Positional values are matched to the distinct
variables in numeric order (`{{1}}` takes the first value); a variable used twice takes one
value. An authentication template whose body has no text (Meta's preset "{{1}} is your
verification code.") has one body variable, the code.

Sources: Meta, "Send message templates" and "Template components" (parameter shapes); Meta's
error-code table as copied in the project's research notes (132000, 132005, 132012, 131008,
131009); the 132018 detail is observed API behaviour reported by several open-source clients.

Everything here is a frozen value or a pure function; nothing reads a clock.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs

from wa_outbound import _wire
from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import (
    InvalidValueError,
    TemplateFormatError,
    decimal_digits,
    is_a,
    is_tuple_of,
    is_whole,
    items_of,
    shown,
)
from wa_outbound._rules import Rules
from wa_outbound._templates import (
    Button,
    ButtonType,
    Header,
    HeaderFormat,
    Placeholder,
    Template,
    placeholders,
)

__all__ = [
    "ButtonParameter",
    "ButtonSubType",
    "HeaderMedia",
    "MediaKind",
    "ParameterCheck",
    "ParameterProblem",
    "ParameterProblemCode",
    "TemplateParameters",
    "check_parameters",
]


# --- values ---------------------------------------------------------------------------------


class MediaKind(enum.Enum):
    """What a header parameter carries when it is not a text, as Meta's `type` spells it."""

    IMAGE = "image"
    """An image, for an IMAGE header."""
    VIDEO = "video"
    """A video, for a VIDEO or GIF header."""
    DOCUMENT = "document"
    """A document, for a DOCUMENT header."""
    LOCATION = "location"
    """A map location, for a LOCATION header."""
    PRODUCT = "product"
    """A catalogue product, for a PRODUCT header (single-product templates)."""


class ButtonSubType(enum.Enum):
    """Which kind of button a send-time button value is for (Meta's `sub_type`)."""

    URL = "url"
    """The variable end of a URL button's address; also an authentication template's code."""
    COPY_CODE = "copy_code"
    """The coupon code of a copy-code button."""
    QUICK_REPLY = "quick_reply"
    """The payload returned when the user taps a quick-reply button."""


_PARAMETER_TYPE: Final[Mapping[ButtonSubType, str]] = MappingProxyType(
    {
        ButtonSubType.URL: "text",
        ButtonSubType.COPY_CODE: "coupon_code",
        ButtonSubType.QUICK_REPLY: "payload",
    }
)
_SUB_TYPES: Final[Mapping[str, ButtonSubType]] = MappingProxyType(
    {kind.value: kind for kind in ButtonSubType}
)
_MEDIA_KINDS: Final[Mapping[str, MediaKind]] = MappingProxyType(
    {kind.value: kind for kind in MediaKind}
)
_HEADER_MEDIA: Final[Mapping[HeaderFormat, MediaKind]] = MappingProxyType(
    {
        HeaderFormat.IMAGE: MediaKind.IMAGE,
        HeaderFormat.VIDEO: MediaKind.VIDEO,
        HeaderFormat.GIF: MediaKind.VIDEO,
        HeaderFormat.DOCUMENT: MediaKind.DOCUMENT,
        HeaderFormat.LOCATION: MediaKind.LOCATION,
        HeaderFormat.PRODUCT: MediaKind.PRODUCT,
    }
)
_TEXT_LIKE: Final = frozenset({"text", "currency", "date_time"})
_MAX_SHOWN: Final = 60
"""Values in problem sentences are shortened to this many characters."""


def _shown(value: object) -> str:
    return shown(value, _MAX_SHOWN)


def _optional_text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidValueError(attribute.name, value, "expected text or None")


def _coordinate(limit: float) -> Any:  # noqa: ANN401 - attrs validator
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not math.isfinite(value))  # an int is finite,
            or abs(value) > limit  # and math.isfinite overflows on a huge one
        ):
            raise InvalidValueError(
                attribute.name, value, f"expected a number from -{limit:g} to {limit:g}"
            )

    return check


def _media_kind(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, MediaKind):
        raise InvalidValueError(attribute.name, value, "expected a MediaKind")


@attrs.frozen(kw_only=True)
class HeaderMedia:
    """The value of a media or location header: what Meta's header parameter object holds.

    An image, video or document is given by `link` (an HTTPS address) or `id` (an uploaded
    media ID); a location by `latitude` and `longitude`, with an optional `name` and `address`;
    a product by `product_retailer_id` and `catalog_id`.
    """

    kind: MediaKind = attrs.field(validator=_media_kind)
    """What the header shows."""
    link: str | None = attrs.field(default=None, validator=_optional_text)
    """Image, video, document: the file's HTTPS address."""
    id: str | None = attrs.field(default=None, validator=_optional_text)
    """Image, video, document: the uploaded media's ID (instead of `link`)."""
    filename: str | None = attrs.field(default=None, validator=_optional_text)
    """Document: the file name the user sees."""
    latitude: float | None = attrs.field(default=None, validator=_coordinate(90.0))
    """Location: degrees north."""
    longitude: float | None = attrs.field(default=None, validator=_coordinate(180.0))
    """Location: degrees east."""
    name: str | None = attrs.field(default=None, validator=_optional_text)
    """Location: the place's name."""
    address: str | None = attrs.field(default=None, validator=_optional_text)
    """Location: the place's address."""
    product_retailer_id: str | None = attrs.field(default=None, validator=_optional_text)
    """Product: the product's id in the catalogue (its retailer id)."""
    catalog_id: str | None = attrs.field(default=None, validator=_optional_text)
    """Product: the catalogue's id."""

    def __attrs_post_init__(self) -> None:
        """Check that the object says where the media, the place or the product is."""
        if self.kind is MediaKind.PRODUCT:
            for name in ("product_retailer_id", "catalog_id"):
                if not getattr(self, name):
                    raise InvalidValueError(name, getattr(self, name), "a product needs it")
        elif self.kind is MediaKind.LOCATION:
            if self.latitude is None:
                raise InvalidValueError("latitude", None, "a location needs a latitude")
            if self.longitude is None:
                raise InvalidValueError("longitude", None, "a location needs a longitude")
        elif not self.link and not self.id:
            raise InvalidValueError(
                "link", self.link, f"{self.kind.value} media needs a link or an id"
            )

    def to_json(self) -> dict[str, Any]:
        """Return the object under the parameter's `type` key, as Meta reads it."""
        if self.kind is MediaKind.LOCATION:
            # Meta's examples write coordinates as strings.
            fields: dict[str, Any] = {
                "latitude": str(self.latitude),
                "longitude": str(self.longitude),
            }
            keys: tuple[str, ...] = ("name", "address")
        elif self.kind is MediaKind.PRODUCT:
            fields = {}
            keys = ("product_retailer_id", "catalog_id")
        else:
            fields = {}
            keys = ("link", "id", "filename")
        for key in keys:
            value = getattr(self, key)
            if value is not None:
                fields[key] = value
        return fields


def _button_sub_type(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, ButtonSubType):
        raise InvalidValueError(attribute.name, value, "expected a ButtonSubType or None")


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValueError(attribute.name, value, "expected text")


@attrs.frozen(kw_only=True)
class ButtonParameter:
    """The send-time value of one button."""

    value: str = attrs.field(validator=_text)
    """The URL suffix, coupon code, one-time code or quick-reply payload."""
    sub_type: ButtonSubType | None = attrs.field(default=None, validator=_button_sub_type)
    """Which kind of button it is for; `None` means "whatever the template's button is"."""


def _header(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, (str, HeaderMedia)):
        raise InvalidValueError(attribute.name, value, "expected text, a HeaderMedia or None")


def _body(value: Sequence[str] | Mapping[str, str]) -> tuple[str, ...] | Mapping[str, str]:
    """Convert body values to a tuple (positional) or a read-only mapping (named)."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str) or not isinstance(item, str):
                raise InvalidValueError(f"body[{name!r}]", item, "expected text keyed by text")
        # No values at all are the same whatever their format: always `()`.
        return MappingProxyType(dict(value)) if value else ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidValueError("body", value, "expected a sequence or a mapping of texts")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidValueError(f"body[{index}]", item, "expected text")
    return tuple(value)


def _buttons(value: Mapping[int, str | ButtonParameter]) -> Mapping[int, ButtonParameter]:
    """Convert button values to a read-only mapping of `ButtonParameter`s."""
    if not isinstance(value, Mapping):
        raise InvalidValueError("buttons", value, "expected a mapping of button index to value")
    converted: dict[int, ButtonParameter] = {}
    for index, item in value.items():
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidValueError("buttons", index, "a button index is an int from 0")
        if isinstance(item, str):
            converted[index] = ButtonParameter(value=item)
        elif isinstance(item, ButtonParameter):
            converted[index] = item
        else:
            raise InvalidValueError(f"buttons[{index}]", item, "expected text or a ButtonParameter")
    return MappingProxyType(converted)


def _other(value: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    items_of("other_components", value, object)
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InvalidValueError(f"other_components[{index}]", item, "expected a JSON object")
    return tuple(value)


@attrs.frozen(kw_only=True)
class TemplateParameters:
    """The values a template message gives its template's variables.

    Build one by hand (`TemplateParameters(body=("Anna", "A-1042"))`), or read the payload you
    are about to send with `from_send_components`; write Meta's JSON with `to_send_components`.
    Body values are a sequence (positional) or a mapping by name (named); no values are `()`.
    """

    header: str | HeaderMedia | None = attrs.field(default=None, validator=_header)
    """The text header's variable value, or the media or location of a media header."""
    header_name: str | None = attrs.field(default=None, validator=_optional_text)
    """The text header value's `parameter_name` (named templates), if stated."""
    body: tuple[str, ...] | Mapping[str, str] = attrs.field(default=(), converter=_body, hash=False)
    """The body's values: in variable order (positional) or by variable name (named)."""
    buttons: Mapping[int, ButtonParameter] = attrs.field(
        factory=dict, converter=_buttons, hash=False
    )
    """Button values by the button's index among all the template's buttons (from 0)."""
    other_components: tuple[Mapping[str, Any], ...] = attrs.field(
        default=(), converter=_other, hash=False, repr=False
    )
    """Send components the model does not name (carousels, flow or catalogue buttons, ...),
    kept as read, written back unchanged and not checked."""

    def __attrs_post_init__(self) -> None:
        """Check that a `header_name` goes with a text header value."""
        if self.header_name is not None and not isinstance(self.header, str):
            raise InvalidValueError(
                "header_name", self.header_name, "only a text header value has a parameter_name"
            )

    @classmethod
    def from_send_components(cls, components: Sequence[Mapping[str, Any]]) -> TemplateParameters:
        """Read the `template.components` list of a Cloud API send request.

        Currency and date-time values are read as their `fallback_value` text (and written
        back as text). Media objects keep the keys the model names.

        Raises:
            TemplateFormatError: The list is not a list of send components; `field` is the
                JSON path of the offending part (`components[1].parameters[0].text`).
        """
        try:
            return _Reader().read(components)
        except _wire.WireError as error:
            raise _wire.refuse(TemplateFormatError, error, components) from None

    def to_send_components(self, *, template: Template | None = None) -> list[dict[str, Any]]:
        """Write the values as the `template.components` list of a Cloud API send request.

        Args:
            template: The template the message names. Needed for what the values leave
                unstated: the `sub_type` of a button given as plain text, and the
                `parameter_name` of a named template's header.

        Raises:
            InvalidValueError: A button value states no `sub_type` and `template` has no
                button at its index that takes a value.
        """
        components: list[dict[str, Any]] = []
        if self.header is not None:
            components.append({"type": "header", "parameters": [self._header_json(template)]})
        if self.body:
            components.append({"type": "body", "parameters": _body_json(self.body)})
        buttons = () if template is None else template.buttons
        components.extend(
            _button_json(index, self.buttons[index], buttons) for index in sorted(self.buttons)
        )
        components.extend(dict(other) for other in self.other_components)
        return components

    def _header_json(self, template: Template | None) -> dict[str, Any]:
        header = self.header
        if isinstance(header, HeaderMedia):
            return {"type": header.kind.value, header.kind.value: header.to_json()}
        parameter: dict[str, Any] = {"type": "text", "text": header}
        name = self.header_name
        if name is None and template is not None and template.named:
            keys = _header_keys(template.header)
            name = keys[0] if keys else None
        if name is not None:
            parameter["parameter_name"] = name
        return parameter


def _body_json(body: tuple[str, ...] | Mapping[str, str]) -> list[dict[str, Any]]:
    if isinstance(body, tuple):
        return [{"type": "text", "text": value} for value in body]
    return [{"type": "text", "parameter_name": name, "text": value} for name, value in body.items()]


def _button_json(
    index: int, parameter: ButtonParameter, buttons: tuple[Button, ...]
) -> dict[str, Any]:
    sub_type = parameter.sub_type
    if sub_type is None and index < len(buttons):
        sub_type = _button_need(buttons[index])[0]
    if sub_type is None:
        raise InvalidValueError(
            f"buttons[{index}]",
            parameter.value,
            "the button's sub_type is unknown; pass template= or a ButtonParameter with sub_type",
        )
    kind = _PARAMETER_TYPE[sub_type]
    return {
        "type": "button",
        "sub_type": sub_type.value,
        "index": str(index),
        "parameters": [{"type": kind, kind: parameter.value}],
    }


# --- reading the send payload ---------------------------------------------------------------


def _string(container: Mapping[str, Any], key: str, path: str) -> str:
    value = container.get(key)
    if value.__class__ is str:  # the common case, without the readers' calls
        return value
    return _wire.required(container, key, path, _wire.string)  # refuses it


def _optional_string(container: Mapping[str, Any], key: str, path: str) -> str | None:
    return _wire.optional(container, key, path, _wire.string)


def _kind(container: Mapping[str, Any], key: str, path: str) -> str:
    kind = _string(container, key, path)
    return kind.lower() if kind.isascii() else kind


def _number(value: object) -> float:
    """A coordinate: a JSON number or a string holding one (Meta's examples write strings)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    elif not isinstance(value, bool) and isinstance(value, (int, float)):
        return float(value)
    raise _wire.WireError("", value, "expected a number")


def _text_like(parameter: Mapping[str, Any], kind: str, path: str) -> str:
    """Read a text, currency or date-time parameter as its text."""
    if kind == "text":
        return _string(parameter, "text", path)
    if kind in _TEXT_LIKE:
        inner = _wire.required(parameter, kind, path, _wire.json_object)
        return _string(inner, "fallback_value", f"{path}.{kind}")
    raise _wire.WireError(f"{path}.type", kind, "expected text, currency or date_time")


def _media(parameter: Mapping[str, Any], kind: MediaKind, path: str) -> HeaderMedia:
    inner = _wire.required(parameter, kind.value, path, _wire.json_object)
    where = f"{path}.{kind.value}"
    try:
        if kind is MediaKind.PRODUCT:
            return HeaderMedia(
                kind=kind,
                product_retailer_id=_optional_string(inner, "product_retailer_id", where),
                catalog_id=_optional_string(inner, "catalog_id", where),
            )
        if kind is MediaKind.LOCATION:
            return HeaderMedia(
                kind=kind,
                latitude=_wire.optional(inner, "latitude", where, _number),
                longitude=_wire.optional(inner, "longitude", where, _number),
                name=_optional_string(inner, "name", where),
                address=_optional_string(inner, "address", where),
            )
        return HeaderMedia(
            kind=kind,
            link=_optional_string(inner, "link", where),
            id=_optional_string(inner, "id", where),
            filename=_optional_string(inner, "filename", where),
        )
    except InvalidValueError as error:
        raise _wire.invalid(f"{where}.{error.field}", error) from None


def _index(value: object, path: str) -> int:
    number = decimal_digits(value) if isinstance(value, str) else None
    if number is not None:
        return number
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    reason = "expected a button index (0, 1, ... or '0', '1', ...)"
    raise _wire.WireError(path, value, reason)


@attrs.define
class _Reader:
    """Reads a send payload's components one by one into the parts of `TemplateParameters`."""

    header: str | HeaderMedia | None = None
    header_name: str | None = None
    header_seen: bool = False
    body: tuple[str, ...] | dict[str, str] = ()
    body_seen: bool = False
    buttons: dict[int, ButtonParameter] = attrs.Factory(dict)
    other: list[Mapping[str, Any]] = attrs.Factory(list)

    def read(self, components: object) -> TemplateParameters:
        for position, item in enumerate(_wire.json_array(components, "components")):
            path = f"components[{position}]"
            component = _wire.json_object(item, path)
            kind = _kind(component, "type", path)
            if kind == "header":
                self._header(component, path)
            elif kind == "body":
                self._body(component, path)
            elif kind == "button":
                self._button(component, path)
            else:
                self.other.append(component)
        return TemplateParameters(
            header=self.header,
            header_name=self.header_name,
            body=self.body,
            buttons=self.buttons,
            other_components=tuple(self.other),
        )

    def _header(self, component: Mapping[str, Any], path: str) -> None:
        if self.header_seen:
            raise _wire.WireError(f"{path}.type", "header", "a second header component")
        self.header_seen = True
        parameters = _wire.json_array(component.get("parameters", ()), f"{path}.parameters")
        if not parameters:
            return
        if len(parameters) > 1:
            reason = "a header takes a single parameter"
            raise _wire.WireError(f"{path}.parameters", parameters, reason)
        where = f"{path}.parameters[0]"
        parameter = _wire.json_object(parameters[0], where)
        kind = _kind(parameter, "type", where)
        media = _MEDIA_KINDS.get(kind)
        if media is not None:
            self.header = _media(parameter, media, where)
            return
        self.header = _text_like(parameter, kind, where)
        self.header_name = _optional_string(parameter, "parameter_name", where)

    def _body(self, component: Mapping[str, Any], path: str) -> None:
        if self.body_seen:
            raise _wire.WireError(f"{path}.type", "body", "a second body component")
        self.body_seen = True
        entries: list[tuple[str | None, str, str]] = []
        parameters = _wire.json_array(component.get("parameters", ()), f"{path}.parameters")
        for position, item in enumerate(parameters):
            where = f"{path}.parameters[{position}]"
            parameter = _wire.json_object(item, where)
            value = _text_like(parameter, _kind(parameter, "type", where), where)
            entries.append((_optional_string(parameter, "parameter_name", where), value, where))
        values: list[str] = []
        named: dict[str, str] = {}
        first_named = bool(entries) and entries[0][0] is not None
        for name, value, where in entries:
            if (name is not None) is not first_named:
                raise _wire.WireError(where, name, "mixes named and positional parameters")
            if name is None:
                values.append(value)
            elif name in named:
                raise _wire.WireError(f"{where}.parameter_name", name, "a second value")
            else:
                named[name] = value
        self.body = named or tuple(values)

    def _button(self, component: Mapping[str, Any], path: str) -> None:
        """Read a url, copy-code or quick-reply button; keep other sub-types as read."""
        sub_type = _SUB_TYPES.get(_kind(component, "sub_type", path))
        if sub_type is None:
            self.other.append(component)
            return
        index = _index(component.get("index"), f"{path}.index")
        if index in self.buttons:
            raise _wire.WireError(f"{path}.index", index, "a second value for this button")
        parameters = _wire.required(component, "parameters", path, _wire.json_array)
        if len(parameters) != 1:
            reason = "a button takes a single parameter"
            raise _wire.WireError(f"{path}.parameters", parameters, reason)
        where = f"{path}.parameters[0]"
        parameter = _wire.json_object(parameters[0], where)
        kind = _kind(parameter, "type", where)
        if kind not in {"text", "coupon_code", "payload"}:
            reason = "expected text, coupon_code or payload"
            raise _wire.WireError(f"{where}.type", kind, reason)
        self.buttons[index] = ButtonParameter(
            value=_string(parameter, kind, where), sub_type=sub_type
        )


# --- the check ------------------------------------------------------------------------------


class ParameterProblemCode(enum.Enum):
    """What is wrong with a template message's parameters; values are stable strings."""

    COUNT_MISMATCH = "count_mismatch"
    """132000: the number of values differs from the number of variables (body or header)."""
    MISSING_NAME = "missing_name"
    """132000: a named template's variable has no value."""
    UNEXPECTED_NAME = "unexpected_name"
    """132000: a value names a variable the template does not have."""
    UNEXPECTED_BUTTON_VALUE = "unexpected_button_value"
    """132000: a value for a button that takes none (no variable, or no such button)."""
    FORMAT_MISMATCH = "format_mismatch"
    """132012: positional values for a named template, or named values for a positional one."""
    HEADER_MISMATCH = "header_mismatch"
    """132012: a text for a media header, media for a text header, or the wrong media kind."""
    UNEXPECTED_HEADER = "unexpected_header"
    """132018: a header value for a template without a header."""
    BUTTON_MISMATCH = "button_mismatch"
    """132018: a button value whose stated `sub_type` is not the template button's."""
    INVALID_CHARACTERS = "invalid_characters"
    """132018: a text value with a line break, a tab, or too many spaces in a row."""
    TEXT_TOO_LONG = "text_too_long"
    """132005: the body or the text header is too long once the values are substituted."""
    MISSING_HEADER = "missing_header"
    """131008: a media or location header without its media or location."""
    MISSING_BUTTON_VALUE = "missing_button_value"
    """131008: a URL button with a variable, a copy-code or an OTP button without its value."""
    EMPTY_VALUE = "empty_value"
    """131008: an empty value (reported: "Parameter of type text is missing text value")."""
    CODE_TOO_LONG = "code_too_long"
    """131009 (best guess): a coupon code or an authentication code longer than the rules allow."""

    @property
    def error_code(self) -> int:
        """The Cloud API error code Meta answers for this mistake."""
        return _ERROR_CODES[self]


_P = ParameterProblemCode
_ERROR_CODES: Final[Mapping[ParameterProblemCode, int]] = MappingProxyType(
    {
        _P.COUNT_MISMATCH: 132000,
        _P.MISSING_NAME: 132000,
        _P.UNEXPECTED_NAME: 132000,
        _P.UNEXPECTED_BUTTON_VALUE: 132000,
        _P.FORMAT_MISMATCH: 132012,
        _P.HEADER_MISMATCH: 132012,
        _P.UNEXPECTED_HEADER: 132018,
        _P.BUTTON_MISMATCH: 132018,
        _P.INVALID_CHARACTERS: 132018,
        _P.TEXT_TOO_LONG: 132005,
        _P.MISSING_HEADER: 131008,
        _P.MISSING_BUTTON_VALUE: 131008,
        _P.EMPTY_VALUE: 131008,
        _P.CODE_TOO_LONG: 131009,
    }
)


@attrs.frozen(kw_only=True)
class ParameterProblem:
    """One mistake in a template message's parameters."""

    code: ParameterProblemCode = attrs.field(validator=is_a(ParameterProblemCode))
    """Stable code to branch on."""
    error_code: int = attrs.field(validator=is_whole())
    """The Cloud API error it prevents (132000, 132012, ...)."""
    path: str = attrs.field(validator=is_a(str))
    """Where: `header`, `body.parameters`, `body.parameters[2]`, `body.parameters[name]`,
    `buttons[1]`."""
    message: str = attrs.field(validator=is_a(str))
    """The mistake as one sentence naming the value."""

    def __str__(self) -> str:
        """Return `path: message`."""
        return f"{self.path}: {self.message}"


@attrs.frozen(kw_only=True)
class ParameterCheck:
    """The answer to "will Meta take these parameters for this template?".

    `ok` is `True` exactly when `problems` is empty; `bool(check)` is `ok`.
    """

    problems: tuple[ParameterProblem, ...] = attrs.field(
        default=(), validator=is_tuple_of(ParameterProblem)
    )
    """Every mistake found, header first, then body, then buttons."""
    rendered_header: str | None = attrs.field(default=None, validator=is_a(str, optional=True))
    """The text header with its value substituted; `None` for media headers, no header, or
    when the values do not fit."""
    rendered_body: str | None = attrs.field(default=None, validator=is_a(str, optional=True))
    """The body with its values substituted; `None` when the values do not fit or the body has
    no text (authentication templates' preset text)."""

    @property
    def ok(self) -> bool:
        """Whether Meta should take the parameters (no problem found)."""
        return not self.problems

    @property
    def codes(self) -> tuple[ParameterProblemCode, ...]:
        """The problem codes, in order."""
        return tuple(p.code for p in self.problems)

    def __bool__(self) -> bool:
        """Return `ok`."""
        return not self.problems


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _problem(code: ParameterProblemCode, path: str, message: str) -> ParameterProblem:
    return ParameterProblem(code=code, error_code=code.error_code, path=path, message=message)


def _keys(marks: tuple[Placeholder, ...], *, named: bool) -> tuple[str, ...]:
    """The distinct variables of a text: by first use (named) or in numeric order (positional)."""
    keys = tuple(dict.fromkeys(mark.key for mark in marks))
    if named:
        return keys
    return tuple(sorted(keys, key=_number_order))


def _number_order(key: str) -> tuple[int, int, str]:
    """Numbered keys by value (compared as digit strings: no `int()` of any length), then others."""
    if key.isascii() and key.isdigit():
        digits = key.lstrip("0")
        return (0, len(digits), digits)
    return (1, 0, key)


def _header_keys(header: Header | None) -> tuple[str, ...]:
    if header is None or header.format is not HeaderFormat.TEXT or not header.text:
        return ()
    return _keys(placeholders(header.text), named=True)


def _render(text: str, marks: tuple[Placeholder, ...], values: Mapping[str, str]) -> str:
    parts: list[str] = []
    position = 0
    for mark in marks:
        parts.append(text[position : mark.start])
        parts.append(values[mark.key])
        position = mark.end
    parts.append(text[position:])
    return "".join(parts)


def _is_authentication(template: Template) -> bool:
    return template.category.current is TemplateCategory.AUTHENTICATION


@attrs.frozen
class _Checker:
    """One run of `check_parameters`; collects problems in `found`."""

    template: Template
    parameters: TemplateParameters
    rules: Rules
    found: list[ParameterProblem] = attrs.field(factory=list)

    def add(self, code: ParameterProblemCode, path: str, message: str) -> None:
        self.found.append(_problem(code, path, message))

    def value(self, path: str, value: str, *, text: bool = True) -> bool:
        """Check one value; return whether it is clean."""
        if value == "":
            self.add(_P.EMPTY_VALUE, path, "the value is empty; Meta refuses empty parameters")
            return False
        spaces = self.rules.template_parameter_max_spaces.value
        if text and (
            "\n" in value or "\r" in value or "\t" in value or " " * (spaces + 1) in value
        ):
            self.add(
                _P.INVALID_CHARACTERS,
                path,
                f"the value {_shown(value)} holds a line break, a tab or more than {spaces}"
                " spaces in a row, which Meta refuses in parameters",
            )
            return False
        return True

    def auth_code(self, path: str, value: str) -> None:
        limit = self.rules.template_auth_parameter_max_length.value
        if _is_authentication(self.template) and len(value) > limit:
            self.add(
                _P.CODE_TOO_LONG,
                path,
                f"the code {_shown(value)} has {len(value)} characters; an authentication"
                f" template's code may have at most {limit}",
            )

    # --- header -----------------------------------------------------------------------------

    def header(self) -> str | None:
        header, given = self.template.header, self.parameters.header
        if header is None:
            if given is not None:
                self.add(
                    _P.UNEXPECTED_HEADER,
                    "header",
                    f"the template has no header, but the header value {_shown(given)} was given",
                )
            return None
        if header.format is HeaderFormat.TEXT:
            return self.text_header(header.text or "")
        expected = _HEADER_MEDIA[header.format]
        if given is None:
            self.add(
                _P.MISSING_HEADER,
                "header",
                f"the template's {header.format.value} header needs a {expected.value}"
                " parameter, and none was given",
            )
        elif isinstance(given, str) or given.kind is not expected:
            what = "a text" if isinstance(given, str) else f"a {given.kind.value}"
            self.add(
                _P.HEADER_MISMATCH,
                "header",
                f"the template's {header.format.value} header needs a {expected.value}, but"
                f" {what} was given ({_shown(given)})",
            )
        return None

    def text_header(self, text: str) -> str | None:
        given, stated = self.parameters.header, self.parameters.header_name
        marks = placeholders(text)
        keys = _keys(marks, named=True)
        if isinstance(given, HeaderMedia):
            self.add(
                _P.HEADER_MISMATCH,
                "header",
                f"the template's header is a text, but a {given.kind.value} was given",
            )
            return None
        if len(keys) != (given is not None):
            wanted = ", ".join(f"{{{{{k}}}}}" for k in keys) or "no variable"
            shown = "no value" if given is None else f"the value {_shown(given)}"
            self.add(
                _P.COUNT_MISMATCH,
                "header",
                f"the header has {wanted} but {shown} was given",
            )
            return None
        if given is None:
            return text or None
        if stated is not None and not self.template.named:
            self.add(
                _P.FORMAT_MISMATCH,
                "header",
                f"the header value names its variable ({stated!r}), but the template's"
                " variables are positional",
            )
        elif stated is not None and stated != keys[0]:
            self.add(
                _P.UNEXPECTED_NAME,
                "header",
                f"the header value is for {{{{{stated}}}}}, but the header's variable is"
                f" {{{{{keys[0]}}}}}",
            )
        self.value("header", given)
        rendered = _render(text, marks, {keys[0]: given})
        limit = self.rules.template_header_text_max_length.value
        if len(rendered) > limit:
            self.add(
                _P.TEXT_TOO_LONG,
                "header",
                f"the header has {len(rendered)} characters with its value {_shown(given)};"
                f" at most {limit} are allowed",
            )
        return rendered

    # --- body -------------------------------------------------------------------------------

    def body(self) -> str | None:
        body = self.template.body
        text = None if body is None else body.text
        named = self.template.named
        if text is not None:
            marks = placeholders(text)
            keys = _keys(marks, named=named)
        else:
            marks = ()
            keys = ("1",) if body is not None and _is_authentication(self.template) else ()
        given = self.parameters.body
        if named:
            if isinstance(given, tuple):
                if given:
                    self.add(
                        _P.FORMAT_MISMATCH,
                        "body.parameters",
                        f"{_count(len(given), 'positional value')} given, but the"
                        " template's variables are named",
                    )
                    return None
                given = {}
            values = self.named(keys, given)
        elif isinstance(given, tuple):
            values = self.positional(keys, given)
        else:
            self.add(
                _P.FORMAT_MISMATCH,
                "body.parameters",
                f"named values were given ({', '.join(map(repr, given))}), but the template's"
                " variables are positional",
            )
            return None
        if values is None or text is None:
            return None
        rendered = _render(text, marks, values)
        limit = self.rules.template_body_max_length.value
        if len(rendered) > limit:
            self.add(
                _P.TEXT_TOO_LONG,
                "body",
                f"the body has {len(rendered)} characters once its values are substituted; at"
                f" most {limit} are allowed",
            )
        return rendered

    def positional(self, keys: tuple[str, ...], given: tuple[str, ...]) -> dict[str, str] | None:
        for index, value in enumerate(given):
            path = f"body.parameters[{index}]"
            if self.value(path, value):
                self.auth_code(path, value)
        if len(given) != len(keys):
            self.add(
                _P.COUNT_MISMATCH,
                "body.parameters",
                f"the body has {_count(len(keys), 'variable')} but"
                f" {_count(len(given), 'value')} {'was' if len(given) == 1 else 'were'} given",
            )
            return None
        return dict(zip(keys, given, strict=True))

    def named(self, keys: tuple[str, ...], given: Mapping[str, str]) -> dict[str, str] | None:
        for name, value in given.items():
            path = f"body.parameters[{name}]"
            if name not in keys:
                self.add(
                    _P.UNEXPECTED_NAME,
                    path,
                    f"a value ({_shown(value)}) was given for {{{{{name}}}}}, which the body"
                    " does not have",
                )
            elif self.value(path, value):
                self.auth_code(path, value)
        missing = [key for key in keys if key not in given]
        for key in missing:
            self.add(
                _P.MISSING_NAME,
                f"body.parameters[{key}]",
                f"the body's variable {{{{{key}}}}} has no value",
            )
        return None if missing else {key: given[key] for key in keys}

    # --- buttons ----------------------------------------------------------------------------

    def buttons(self) -> None:
        buttons = self.template.buttons
        given = self.parameters.buttons
        for index in sorted(given):
            if index >= len(buttons):
                self.add(
                    _P.UNEXPECTED_BUTTON_VALUE,
                    f"buttons[{index}]",
                    f"a value ({_shown(given[index].value)}) was given for button {index}, but"
                    f" the template has {_count(len(buttons), 'button')}",
                )
        for index, button in enumerate(buttons):
            self.button(index, button, given.get(index))

    def button(self, index: int, button: Button, given: ButtonParameter | None) -> None:
        path = f"buttons[{index}]"
        expected, required = _button_need(button)
        label = f"button {index} ({button.type.value})"
        if expected is None:
            if given is not None:
                self.add(
                    _P.UNEXPECTED_BUTTON_VALUE,
                    path,
                    f"a value ({_shown(given.value)}) was given for {label}, which has no variable",
                )
            return
        if given is None:
            if required:
                self.add(_P.MISSING_BUTTON_VALUE, path, f"{label} needs a value; none was given")
            return
        if given.sub_type is not None and given.sub_type is not expected:
            self.add(
                _P.BUTTON_MISMATCH,
                path,
                f"the value {_shown(given.value)} is for a {given.sub_type.value} button, but"
                f" {label} takes a {expected.value} value",
            )
            return
        if not self.value(path, given.value, text=expected is ButtonSubType.URL):
            return
        if expected is ButtonSubType.URL:
            self.auth_code(path, given.value)
        limit = self.rules.template_copy_code_max_length.value
        if expected is ButtonSubType.COPY_CODE and len(given.value) > limit:
            self.add(
                _P.CODE_TOO_LONG,
                path,
                f"the coupon code {_shown(given.value)} has {len(given.value)} characters; at"
                f" most {limit} are allowed",
            )


def _button_need(button: Button) -> tuple[ButtonSubType | None, bool]:
    """The value a template button takes at send time, and whether it is required."""
    if button.type is ButtonType.URL:
        has_variable = bool(placeholders(button.url or ""))
        return (ButtonSubType.URL, True) if has_variable else (None, False)
    if button.type is ButtonType.OTP:
        return ButtonSubType.URL, True
    if button.type is ButtonType.COPY_CODE:
        return ButtonSubType.COPY_CODE, True
    if button.type is ButtonType.QUICK_REPLY:
        return ButtonSubType.QUICK_REPLY, False
    return None, False


def check_parameters(
    template: Template,
    parameters: TemplateParameters | Sequence[Mapping[str, Any]],
    *,
    rules: Rules,
) -> ParameterCheck:
    """Check a template message's parameters the way Meta does when it is sent.

    Args:
        template: The template the message names (as Meta lists it, or as submitted).
        parameters: The values, as `TemplateParameters` or as the `template.components` list
            of the send request.
        rules: The rules to apply (lengths, spaces, code lengths).

    Returns:
        A `ParameterCheck` with every problem found (each with the Meta error it prevents)
        and the header and body as the user will read them.

    Raises:
        InvalidValueError: `template` is not a `Template`, or `parameters` is neither
            `TemplateParameters` nor a list of send components.
        TemplateFormatError: `parameters` is a list that cannot be read as send components.
    """
    if not isinstance(template, Template):
        raise InvalidValueError("template", template, "expected a Template")
    if not isinstance(parameters, TemplateParameters):
        if isinstance(parameters, (str, bytes, Mapping)) or not isinstance(parameters, Sequence):
            raise InvalidValueError(
                "parameters",
                parameters,
                "expected TemplateParameters or a list of send components",
            )
        parameters = TemplateParameters.from_send_components(parameters)
    checker = _Checker(template, parameters, rules)
    rendered_header = checker.header()
    rendered_body = checker.body()
    checker.buttons()
    return ParameterCheck(
        problems=tuple(checker.found),
        rendered_header=rendered_header,
        rendered_body=rendered_body,
    )
