"""Store a `Conversation` as JSON-compatible data and load back an equal value.

The format is plain JSON types: instants as ISO 8601 strings in UTC, enums by their value,
identities as strings, and a `format` / `version` header so that stored documents can be
migrated later. Loading is strict: a missing or unknown field, a naive instant, an unknown
enum value or an invalid identity raises `StoredDataError` naming the field path; nothing is
silently defaulted.

cattrs is imported on first use, which keeps `import wa_outbound` cheap.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._conversation import Conversation
from wa_outbound._errors import StoredDataError, WaOutboundError
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._time import iso_instant, parse_iso_instant

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "FORMAT",
    "VERSION",
    "JsonShapeError",
    "dump_conversation",
    "explain_structure_error",
    "load_conversation",
]

FORMAT: Final = "wa_outbound.conversation"
VERSION: Final = 1


def _dump_recipient(value: WaId | BusinessScopedUserId) -> dict[str, str]:
    if isinstance(value, WaId):
        return {"wa_id": value.value}
    return {"bsuid": value.value}


def _load_recipient(value: object, _type: object) -> WaId | BusinessScopedUserId:
    if not isinstance(value, dict) or len(value) != 1:
        msg = "expected {'wa_id': ...} or {'bsuid': ...}"
        raise TypeError(msg)
    ((key, text),) = value.items()
    if key == "wa_id":
        return WaId(text)
    if key == "bsuid":
        return BusinessScopedUserId(text)
    msg = f"unknown recipient kind {key!r}"
    raise ValueError(msg)


def _load_id(value: str, _type: object) -> PhoneNumberId:
    return PhoneNumberId(value)


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs  # noqa: PLC0415 - deferred so that importing wa_outbound stays cheap

    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_structure_hook(datetime, parse_iso_instant)
    converter.register_unstructure_hook(PhoneNumberId, lambda v: v.value)
    converter.register_structure_hook(PhoneNumberId, _load_id)
    for cls in (WaId, BusinessScopedUserId):
        converter.register_unstructure_hook(cls, _dump_recipient)
    union = WaId | BusinessScopedUserId
    converter.register_unstructure_hook(union, _dump_recipient)
    converter.register_structure_hook(union, _load_recipient)
    converter.register_structure_hook_factory(attrs.has, functools.partial(_strict, converter))
    return converter


class JsonShapeError(TypeError):
    """A JSON value of the wrong type for its key (raised by strict structure hooks)."""


class _MissingFieldError(KeyError):
    """A stored object lacks a field; defaults are never filled in silently."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _strict(converter: cattrs.Converter, cls: type) -> Any:  # noqa: ANN401 - a cattrs hook
    """Build a structure hook for `cls` that also refuses missing fields."""
    import cattrs  # noqa: PLC0415

    inner: Any = cattrs.gen.make_dict_structure_fn(cls, converter)
    names = tuple(a.name for a in attrs.fields(cls) if a.init)

    def structure(value: object, _type: object) -> object:
        if not isinstance(value, dict):
            msg = f"expected an object for {cls.__name__}"
            raise TypeError(msg)
        for name in names:
            if name not in value:
                raise _MissingFieldError(name)
        return inner(value, cls)

    return structure


def dump_conversation(conversation: Conversation) -> dict[str, Any]:
    """Return `conversation` as JSON-compatible data (dicts, lists, strings, `None`).

    `json.dumps(dump_conversation(c))` is the usual way to store it.
    """
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    data.update(_converter().unstructure(conversation, Conversation))
    return data


def load_conversation(data: object) -> Conversation:
    """Return the `Conversation` stored by `dump_conversation`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored conversation of a known version, or a field
            is missing, unknown or invalid; the error names the field path and its value.
    """
    if not isinstance(data, dict):
        raise StoredDataError("$", data, "expected a JSON object")
    body = dict(data)
    if body.pop("format", None) != FORMAT:
        raise StoredDataError("format", data.get("format"), f"expected {FORMAT!r}")
    version = body.pop("version", None)
    if version != VERSION:
        raise StoredDataError("version", version, f"expected {VERSION}")
    try:
        return _converter().structure(body, Conversation)
    except Exception as error:  # every failure becomes one clear error
        raise _explain(error, body) from error


def _explain(error: BaseException, body: dict[str, Any]) -> StoredDataError:
    """Turn a cattrs validation error into a `StoredDataError` naming the first bad field."""
    return StoredDataError(*explain_structure_error(error, body))


def explain_structure_error(error: BaseException, body: object) -> tuple[str, object, str]:
    """Return `(JSON path, value there, reason)` for the first failure of a cattrs structure.

    Follows the first failure down through cattrs's exception groups, noting the attribute
    name or list index on the way.
    """
    import cattrs  # noqa: PLC0415

    path: list[str | int] = []
    leaf: BaseException = error
    while True:
        if isinstance(leaf, cattrs.ForbiddenExtraKeysError):
            extra = sorted(leaf.extra_fields)
            return _path([*path, extra[0]]), extra[0], "unknown field"
        if not isinstance(leaf, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
            break
        with_notes, _ = leaf.group_exceptions()
        if not with_notes:
            leaf = leaf.exceptions[0]
            continue
        leaf, note = with_notes[0]
        if isinstance(note, cattrs.IterableValidationNote):
            path.append(note.index)
        else:
            path.append(note.name)
    if isinstance(leaf, KeyError) and isinstance(getattr(leaf, "name", None), str):
        return _path([*path, leaf.name]), None, "required field is missing"  # type: ignore[attr-defined]
    value = _lookup(body, path)
    if isinstance(leaf, WaOutboundError):
        return _path(path), value, str(leaf)
    if isinstance(leaf, KeyError):  # cattrs's own: the path already ends at the field
        return _path(path), None, "required field is missing"
    if isinstance(leaf, JsonShapeError):
        return _path(path), value, str(leaf)
    return _path(path), value, f"{type(leaf).__name__}: {leaf}"


def _path(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.removeprefix(".") or "$"


def _lookup(body: object, path: list[str | int]) -> object:
    value = body
    for part in path:
        try:
            value = value[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):  # noqa: PERF203 - a path of a few steps
            return None
    return value
