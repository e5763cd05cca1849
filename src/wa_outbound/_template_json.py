"""Graph API JSON to `Template` and back, with one cattrs converter.

Reading is strict about what the model names and lenient about what it does not: a key the
model knows must hold the JSON type Meta documents (a string is never silently taken for a
list, a number never for a string), an enum must hold a known value, and every failure becomes
one `TemplateFormatError` naming the JSON path and the value found there. Enum values are
read whatever their case (Meta's own create examples write `"category": "authentication"`) and
written as Meta answers them, in capitals. Keys the model does not name are kept in `extra`
and written back unchanged, so reading a template Meta returned and writing it again gives
back the same JSON.

The converter is the wire module's (`_wire.make_converter`), parameterised for Graph JSON:
fields with a default may be left out, unknown keys are kept in `extra`, enums are read
whatever their case, defaults are not written, and each component writes its `type` tag.
cattrs is imported on first use, which keeps `import wa_outbound` cheap.
"""

from __future__ import annotations

import functools
import typing
from typing import TYPE_CHECKING, Any, Final

from wa_outbound import _wire
from wa_outbound._errors import TemplateFormatError, ascii_upper, expect
from wa_outbound._templates import (
    Body,
    BodyExample,
    Button,
    Buttons,
    Component,
    Footer,
    Header,
    OtherComponent,
    Template,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import cattrs

__all__ = ["template_from_graph", "template_to_graph", "templates_from_graph"]

_COMPONENT_TYPES: Final[Mapping[str, type[Any]]] = {
    "HEADER": Header,
    "BODY": Body,
    "FOOTER": Footer,
    "BUTTONS": Buttons,
}
_TAGS: Final = {cls: ("type", name) for name, cls in _COMPONENT_TYPES.items()}
_BUTTON_EXAMPLE: Final = typing.get_type_hints(Button)["example"]
_BODY_TEXT: Final = typing.get_type_hints(BodyExample)["body_text"]


def _structure_body_text(value: object, _type: object) -> object:
    """A body's positional examples: arrays of strings, or one string for a single variable.

    Meta, "Product card carousel templates": "If message body text uses a single variable,
    `body_text` value can be a string".
    """
    if isinstance(value, str):
        return ((value,),)
    rows = _wire.json_array(value)
    found = []
    for index, row in enumerate(rows):
        items = _wire.json_array(row, f"[{index}]")
        found.append(
            tuple(_wire.string(item, f"[{index}][{place}]") for place, item in enumerate(items))
        )
    return tuple(found)


def _structure_example(value: object, _type: object) -> object:
    """A button's `example`: a list of strings (URL buttons) or a string (copy-code buttons)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    msg = "expected a string or a JSON array of strings"
    raise _wire.WireError("", value, msg)


def _structure_component(value: object, _type: object) -> Component:
    data = value if value.__class__ is dict else _wire.json_object(value)
    kind = data.get("type")
    if kind.__class__ is not str:
        kind = _wire.required(data, "type", read=_wire.string)  # refuses it
    if not kind:
        raise _wire.WireError("type", kind, "expected a component type")
    cls = _COMPONENT_TYPES.get(ascii_upper(kind))
    if cls is None:
        return OtherComponent(
            type=kind, extra=tuple((k, v) for k, v in data.items() if k != "type")
        )
    return _converter().structure(data, cls)  # type: ignore[no-any-return]


def _unstructure_other(value: OtherComponent) -> dict[str, Any]:
    return {"type": value.type, **dict(value.extra)}


@functools.cache
def _converter() -> cattrs.Converter:
    converter = _wire.make_converter(
        defaults=True, keep_extra=True, any_case=True, omit_defaults=True, tags=_TAGS
    )
    converter.register_structure_hook(_BUTTON_EXAMPLE, _structure_example)
    converter.register_structure_hook(_BODY_TEXT, _structure_body_text)
    converter.register_structure_hook(Component, _structure_component)
    converter.register_unstructure_hook(OtherComponent, _unstructure_other)
    converter.register_unstructure_hook(
        Component, lambda value: converter.unstructure(value, value.__class__)
    )
    return converter


def template_from_graph(data: object) -> Template:
    """Read one template from Graph API JSON (parsed): a create body or a list item.

    Raises:
        TemplateFormatError: The data is not a template: a required key is missing, a key
            holds the wrong JSON type or an unknown enum value. The error names the JSON path
            (`components[2].buttons[0].type`) and the value found there.
    """
    return _wire.structure(_converter(), data, Template, TemplateFormatError)


def templates_from_graph(data: object) -> tuple[Template, ...]:
    """Read templates from Graph API JSON: one template, a list, or a list-templates response.

    A list-templates response is an object with a `data` list (and `paging`, ignored).

    Raises:
        TemplateFormatError: One of them is not a template; the path starts with its index.
    """
    if isinstance(data, dict) and "data" in data and "name" not in data:
        data = data["data"]
        prefix = "data"
    else:
        prefix = ""
    if not isinstance(data, list):
        return (template_from_graph(data),)
    templates = []
    for index, item in enumerate(data):
        try:
            templates.append(template_from_graph(item))
        except TemplateFormatError as error:  # noqa: PERF203 - only the failing item pays
            path = "" if error.field == "$" else error.field
            where = _wire.join(_wire.at(prefix, index), path)
            raise TemplateFormatError(where, error.value, error.reason) from error
    return tuple(templates)


def template_to_graph(template: Template) -> dict[str, Any]:
    """Write `template` as Graph API JSON (a dict ready for `json.dumps`).

    Absent fields (`None`) are left out, so a template built for submission gives the body
    of "create template"; one read from Meta gives back the JSON it was read from.

    Raises:
        InvalidValueError: `template` is not a `Template`.
    """
    expect("template", template, Template)
    return _converter().unstructure(template, Template)  # type: ignore[no-any-return]
