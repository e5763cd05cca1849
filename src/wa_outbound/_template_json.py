"""Graph API JSON to `Template` and back, with one cattrs converter.

Reading is strict about what the model names and lenient about what it does not: a key the
model knows must hold the JSON type Meta documents (a string is never silently taken for a
list, a number never for a string), an enum must hold a known value, and every failure becomes
one `TemplateFormatError` naming the JSON path and the value found there. Enum values are
read whatever their case (Meta's own create examples write `"category": "authentication"`) and
written as Meta answers them, in capitals. Keys the model does not name are kept in `extra`
and written back unchanged, so reading a template Meta returned and writing it again gives
back the same JSON.

cattrs is imported on first use, which keeps `import wa_outbound` cheap.
"""

from __future__ import annotations

import enum
import functools
import typing
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._errors import TemplateFormatError
from wa_outbound._persistence import JsonShapeError, explain_structure_error
from wa_outbound._templates import (
    Body,
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
_TYPE_OF: Final = {cls: name for name, cls in _COMPONENT_TYPES.items()}
_BUTTON_EXAMPLE: Final = typing.get_type_hints(Button)["example"]


def _strict(kind: type, label: str) -> Any:  # noqa: ANN401 - a cattrs hook
    def structure(value: object, _type: object) -> object:
        if value.__class__ is not kind:  # bool is not an int, an int is not a str
            msg = f"expected {label}"
            raise JsonShapeError(msg)
        return value

    return structure


def _is_tuple(kind: object) -> bool:
    return typing.get_origin(kind) is tuple


def _tuple_factory(kind: Any, converter: cattrs.Converter) -> Any:  # noqa: ANN401 - cattrs hook
    import cattrs.cols  # noqa: PLC0415

    inner = cattrs.cols.homogenous_tuple_structure_factory(kind, converter)

    def structure(value: object, _type: object) -> object:
        if not isinstance(value, list):
            msg = "expected a JSON array"
            raise JsonShapeError(msg)
        return inner(value, kind)

    return structure


def _is_enum(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _enum_factory(kind: type[enum.Enum], _converter: cattrs.Converter) -> Any:  # noqa: ANN401
    values = {member.value: member for member in kind}
    expected = "expected one of " + ", ".join(sorted(values))

    def structure(value: object, _type: object) -> object:
        # Meta's own create examples write some values in lowercase ("authentication",
        # "otp", "copy_code") and its API accepts them; Meta answers in uppercase.
        member = values.get(value) or values.get(value.upper()) if isinstance(value, str) else None
        if member is None:
            raise JsonShapeError(expected)
        return member

    return structure


def _structure_example(value: object, _type: object) -> object:
    """A button's `example`: a list of strings (URL buttons) or a string (copy-code buttons)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    msg = "expected a string or a JSON array of strings"
    raise JsonShapeError(msg)


def _object_factory(cls: type[Any], converter: cattrs.Converter) -> Any:  # noqa: ANN401
    """Structure an attrs class from a JSON object; unknown keys go to `extra` if it has one."""
    import cattrs  # noqa: PLC0415

    fields = attrs.fields(cls)
    keeps_extra = any(a.name == "extra" for a in fields)
    known = frozenset(a.name for a in fields) | ({"type"} if cls in _TYPE_OF else frozenset())
    inner: Any = cattrs.gen.make_dict_structure_fn(
        cls,
        converter,
        _cattrs_forbid_extra_keys=not keeps_extra,
        extra=cattrs.override(omit=True),
    )

    def structure(value: object, _type: object) -> object:
        if not isinstance(value, dict):
            msg = "expected a JSON object"
            raise JsonShapeError(msg)
        result = inner(value, cls)
        if keeps_extra:
            extra = tuple((k, v) for k, v in value.items() if k not in known)
            if extra:
                result = attrs.evolve(result, extra=extra)
        return result

    return structure


def _structure_component(value: object, _type: object) -> Component:
    if not isinstance(value, dict):
        msg = "expected a JSON object"
        raise JsonShapeError(msg)
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise _MissingTypeError
    cls = _COMPONENT_TYPES.get(kind.upper())
    if cls is None:
        return OtherComponent(
            type=kind, extra=tuple((k, v) for k, v in value.items() if k != "type")
        )
    return _converter().structure(value, cls)  # type: ignore[no-any-return]


class _MissingTypeError(KeyError):
    """A component without a `type`."""

    name = "type"


def _unstructure_object(cls: type[Any], converter: cattrs.Converter) -> Any:  # noqa: ANN401
    import cattrs  # noqa: PLC0415

    inner: Any = cattrs.gen.make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=True, extra=cattrs.override(omit=True)
    )
    tag = _TYPE_OF.get(cls)
    keeps_extra = any(a.name == "extra" for a in attrs.fields(cls))

    def unstructure(value: Any) -> dict[str, Any]:  # noqa: ANN401 - any attrs instance
        data: dict[str, Any] = {"type": tag} if tag else {}
        data.update(inner(value))
        if keeps_extra:
            data.update(value.extra)
        return data

    return unstructure


def _unstructure_other(value: OtherComponent) -> dict[str, Any]:
    return {"type": value.type, **dict(value.extra)}


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs  # noqa: PLC0415 - deferred so that importing wa_outbound stays cheap

    converter = cattrs.Converter(
        detailed_validation=True, unstruct_collection_overrides={tuple: list}
    )
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook_factory(_is_tuple, _tuple_factory)
    converter.register_structure_hook_factory(_is_enum, _enum_factory)
    converter.register_structure_hook(_BUTTON_EXAMPLE, _structure_example)
    converter.register_structure_hook(Component, _structure_component)
    converter.register_structure_hook_factory(attrs.has, _object_factory)
    converter.register_unstructure_hook(OtherComponent, _unstructure_other)
    converter.register_unstructure_hook_factory(attrs.has, _unstructure_object)
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
    if not isinstance(data, dict):
        raise TemplateFormatError("$", data, "expected a JSON object")
    try:
        return _converter().structure(data, Template)
    except Exception as error:  # every failure becomes one clear error
        path, value, reason = explain_structure_error(error, data)
        raise TemplateFormatError(path, value, reason) from error


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
            path = error.field if error.field != "$" else ""
            where = f"{prefix}[{index}]" + (f".{path}" if path else "")
            raise TemplateFormatError(where, error.value, error.reason) from error
    return tuple(templates)


def template_to_graph(template: Template) -> dict[str, Any]:
    """Write `template` as Graph API JSON (a dict ready for `json.dumps`).

    Absent fields (`None`) are left out, so a template built for submission gives the body
    of "create template"; one read from Meta gives back the JSON it was read from.
    """
    return _converter().unstructure(template, Template)  # type: ignore[no-any-return]
