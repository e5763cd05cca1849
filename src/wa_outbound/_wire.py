"""The wire module: how the core reads and writes JSON, strictly, in one place.

Theory of operation
-------------------
Every JSON document the core reads or writes goes through this module: stored documents
(`dump_conversation`, `dump_ledger`, `dump_event`) and input from the platforms (Graph API
templates, Twilio Content resources, send components). Three pieces serve them all:

* **Leaf readers** (`json_object`, `json_array`, `string`, `integer`, `boolean`, `instant`,
  `member`, `required`, `optional`, `check_keys`, `recipient`): one function per JSON check,
  each refusing a wrong value with a `WireError(path, value, reason)`. A string is never
  taken for a list, a number never for a string, `true` never for an integer. Hand-written
  readers (a tiny shape, or one read much faster by hand) call them directly; the cattrs
  hooks are built from them, so both kinds of reader refuse the same values with the same
  words.
* **A converter factory** (`make_converter`): a cattrs converter with those strict hooks for
  `str`, `int`, `bool`, tuples (from JSON arrays only), enums (by value; optionally whatever
  the case, as Graph JSON writes them), aware ISO 8601 instants, identities, `Any`
  (passed through) and attrs classes. The modules parameterise it: whether a field with a
  default may be left out (Graph JSON: yes; stored documents: no, nothing is defaulted
  silently), whether keys the model does not name are kept in an `extra` field or refused,
  which tag each class writes (`"type": "HEADER"`), and whether defaults are written.
* **One error-path helper** (`explain`, and `refuse` on top of it): whatever failed, a
  hand-written reader's `WireError` or a cattrs `ClassValidationError` /
  `IterableValidationError` tree, it gives `(JSON path, value there, reason)`, which the
  caller raises as its own error class: `StoredDataError` for stored documents,
  `TemplateFormatError` for Graph and Twilio input.

Stored documents carry a header, `{"format": ..., "version": N, ...}`, described by a
`StoredFormat`, written by `header` and read by `check_header`, the one function that
decides what a version gets: the current one is read; an older one is migrated step by step
through the format's migration table (empty today); a newer, unknown, missing or non-integer
one (`true`, `"1"`) is refused with a `StoredDataError` naming `version`, its value and the
versions this release reads.

Paths read like the code that would reach the value: `components[2].buttons[0].type`; the
document itself is `$`. cattrs is imported on first use of a converter, which keeps
`import wa_outbound` cheap.
"""

from __future__ import annotations

import enum
import functools
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NoReturn, Protocol, TypeVar

import attrs

from wa_outbound._errors import InvalidValueError, StoredDataError, WaOutboundError, ascii_upper
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._time import iso_instant, parse_iso_instant

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "NO_MIGRATIONS",
    "Migration",
    "StoredFormat",
    "WireError",
    "at",
    "boolean",
    "check_header",
    "check_keys",
    "explain",
    "header",
    "instant",
    "integer",
    "invalid",
    "join",
    "json_array",
    "json_object",
    "make_converter",
    "member",
    "optional",
    "recipient",
    "recipient_key",
    "refuse",
    "required",
    "string",
    "structure",
]

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)
_E = TypeVar("_E", bound=WaOutboundError)

_EXPECTED_OBJECT: Final = "expected a JSON object"
_EXPECTED_ARRAY: Final = "expected a JSON array"
_MISSING: Final = "required field is missing"
_UNKNOWN: Final = "unknown field"

Migration = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a stored document's body (header removed) of version N into one of version N + 1."""
NO_MIGRATIONS: Final[Mapping[int, Migration]] = MappingProxyType({})
"""The migration table of a format that has only ever had one version."""


# --- paths and the error ----------------------------------------------------------------


def at(path: str, key: str | int) -> str:
    """Return the path of `key` inside the value at `path` (`""` is the document itself)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def join(prefix: str, path: str) -> str:
    """Return `path` (relative to the value at `prefix`) as a path from the document."""
    if not path:
        return prefix
    if not prefix or path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


class WireError(Exception):
    """A JSON value that a reader refuses; never leaves a public function.

    `path` is relative to what the reader was given (`""`: that value itself); callers
    turn it into their own error class with `refuse`.
    """

    def __init__(self, path: str, value: object, reason: str) -> None:
        """Build the error from the path, the refused value and the reason."""
        super().__init__(path, value, reason)
        self.path = path
        self.value = value
        self.reason = reason

    def under(self, prefix: str) -> WireError:
        """Return the same error with its path seen from `prefix`'s parent."""
        return WireError(join(prefix, self.path), self.value, self.reason)


def invalid(path: str, error: InvalidValueError) -> WireError:
    """Return a model's refusal of a value (from its constructor) as a `WireError` at `path`."""
    return WireError(path, error.value, error.reason)


def _refused(value: object, reason: str, path: str = "") -> NoReturn:
    raise WireError(path, value, reason)


# --- leaf readers -------------------------------------------------------------------------


def json_object(value: object, path: str = "") -> Mapping[str, Any]:
    """Return `value` if it is a JSON object (any mapping), or refuse it."""
    if value.__class__ is dict or isinstance(value, Mapping):
        return value
    _refused(value, _EXPECTED_OBJECT, path)


def json_array(value: object, path: str = "") -> Sequence[Any]:
    """Return `value` if it is a JSON array (any sequence but text), or refuse it."""
    if value.__class__ is list or (
        isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))
    ):
        return value
    _refused(value, _EXPECTED_ARRAY, path)


class _LeafReader(Protocol[_T_co]):
    def __call__(self, value: object, path: str = "") -> _T_co: ...


def _exact_reader(kind: type[_T], reason: str) -> _LeafReader[_T]:
    def read(value: object, path: str = "") -> _T:
        if value.__class__ is kind:  # bool is not an int, an int is not a str
            return value
        _refused(value, reason, path)

    read.__doc__ = f"Return `value` if it is {reason.removeprefix('expected ')}, or refuse it."
    return read


string: Final = _exact_reader(str, "expected a string")
integer: Final = _exact_reader(int, "expected an integer")  # never `true`, never `"1"`
boolean: Final = _exact_reader(bool, "expected true or false")


def instant(value: object, path: str = "") -> datetime:
    """Return the aware UTC instant an ISO 8601 string (`iso_instant`'s form) names."""
    try:
        return parse_iso_instant(value)
    except (TypeError, ValueError) as error:
        raise WireError(path, value, str(error)) from None


@functools.cache
def _enum_reader(kind: type[enum.Enum], *, any_case: bool) -> Callable[..., Any]:
    """Return the reader (also a cattrs hook) of `kind`'s members by value."""
    values = {item.value: item for item in kind}
    value_types = frozenset(value.__class__ for value in values)
    expected = f"expected one of {', '.join(sorted(map(str, values)))} ({kind.__name__})"

    def read(value: object, _type: object = None) -> enum.Enum:
        found = values.get(value) if value.__class__ in value_types else None
        if found is None and any_case and isinstance(value, str):
            # Meta's own create examples write some values in lowercase ("authentication",
            # "otp", "copy_code") and its API accepts them; Meta answers in uppercase.
            found = values.get(ascii_upper(value))
        if found is None:
            _refused(value, expected)
        return found

    return read


def member(kind: type[_T], value: object, path: str = "", *, any_case: bool = False) -> _T:
    """Return the member of the enum `kind` whose value is `value`, or refuse it.

    With `any_case`, a string is also looked up in capitals (Graph JSON's own examples write
    `"authentication"` where Meta answers `"AUTHENTICATION"`).
    """
    read = _enum_reader(kind, any_case=any_case)  # type: ignore[arg-type]
    try:
        return read(value)  # type: ignore[no-any-return]
    except WireError as error:
        raise error.under(path) from None


def required(
    data: Mapping[str, Any],
    key: str,
    path: str = "",
    read: Callable[[object], _T] | None = None,
) -> _T:
    """Return `data[key]`, read by `read` if given; refuse a missing key or a bad value."""
    if key not in data:
        _refused(None, _MISSING, at(path, key))
    if read is None:
        return data[key]  # type: ignore[no-any-return]
    return _read_key(data[key], read, path, key)


def optional(
    data: Mapping[str, Any], key: str, path: str, read: Callable[[object], _T]
) -> _T | None:
    """Return `data[key]` read by `read`, or `None` when the key is missing or `null`."""
    value = data.get(key)
    return None if value is None else _read_key(value, read, path, key)


def _read_key(value: object, read: Callable[[object], _T], path: str, key: str) -> _T:
    try:
        return read(value)
    except WireError as error:
        raise error.under(at(path, key)) from None


def check_keys(
    data: Mapping[str, Any],
    needed: frozenset[str],
    allowed: frozenset[str] | None = None,
    path: str = "",
) -> None:
    """Refuse `data` if a key of `needed` is missing, or (given `allowed`) one is unknown.

    The first missing key, then the first unknown key, in sorted order, is named.
    """
    keys = data.keys()
    if needed <= keys and (allowed is None or keys <= allowed):
        return
    missing = sorted(needed - keys)
    if missing:
        _refused(None, _MISSING, at(path, missing[0]))
    unknown = min(keys - allowed, key=str)  # type: ignore[operator]
    _refused(unknown, _UNKNOWN, at(path, str(unknown)))


_RECIPIENTS: Final[Mapping[str, type[WaId | BusinessScopedUserId]]] = MappingProxyType(
    {"wa_id": WaId, "bsuid": BusinessScopedUserId}
)


_RECIPIENT_KEYS: Final[Mapping[type, str]] = MappingProxyType(
    {kind: key for key, kind in _RECIPIENTS.items()}
)


def recipient_key(value: Recipient) -> str:
    """Return the key a recipient is stored under: `wa_id` or `bsuid`."""
    return _RECIPIENT_KEYS[value.__class__]


def recipient(key: str, value: object, path: str = "") -> Recipient:
    """Return the recipient stored as `{key: value}` (`wa_id` or `bsuid`), or refuse it."""
    kind = _RECIPIENTS.get(key)
    if kind is None:
        _refused(key, f"unknown recipient kind {key!r}", path)
    try:
        return kind(value)  # type: ignore[arg-type]
    except InvalidValueError as error:
        raise invalid(at(path, key), error) from None


# --- stored documents ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StoredFormat:
    """A kind of stored document: its `format`, the version this release writes, migrations."""

    name: str
    """The `format` header (`wa_outbound.conversation`)."""
    version: int
    """The `version` header this release writes, and the only one it reads as it is."""
    migrations: Mapping[int, Migration] = NO_MIGRATIONS
    """Version N -> a function turning a body of version N into one of version N + 1."""

    @property
    def oldest(self) -> int:
        """The oldest version this release reads (through the chain of migrations)."""
        oldest = self.version
        while oldest - 1 in self.migrations:
            oldest -= 1
        return oldest


def header(stored: StoredFormat) -> dict[str, Any]:
    """Return the header a stored document starts with: `{"format": ..., "version": ...}`."""
    return {"format": stored.name, "version": stored.version}


def check_header(data: object, stored: StoredFormat) -> dict[str, Any]:
    """Return a stored document's body (header removed), migrated to `stored.version`.

    This function alone decides what a version gets: `stored.version` is read as it is; an
    older version with a chain of `stored.migrations` up to it (each from version N to
    N + 1) is migrated; anything else is refused.

    Raises:
        StoredDataError: `data` is not a JSON object; its `format` is not `stored.name`; its
            `version` is missing, not an integer (`true` and `"1"` are not), newer than
            `stored.version`, or older without a migration. The error names `version` and
            its value, and says which versions this release reads.
    """
    if not isinstance(data, dict):
        raise StoredDataError("$", data, _EXPECTED_OBJECT)
    found = data.get("format")
    if found != stored.name:
        raise StoredDataError("format", found, f"expected {stored.name!r}")
    version = data.get("version")
    if version.__class__ is not int or not stored.oldest <= version <= stored.version:
        raise StoredDataError("version", version, _version_problem(data, stored))
    body = dict(data)
    del body["format"], body["version"]
    for step in range(version, stored.version):
        body = stored.migrations[step](body)
    return body


def _version_problem(data: dict[str, Any], stored: StoredFormat) -> str:
    version = data.get("version")
    if "version" not in data:
        problem = _MISSING
    elif version.__class__ is not int:
        problem = "expected an integer"
    elif version > stored.version:
        problem = "written by a newer release"
    else:
        problem = "unknown version"
    return f"{problem}; this release reads {_versions(stored.oldest, stored.version)}"


def _versions(oldest: int, newest: int) -> str:
    if oldest == newest:
        return f"version {newest}"
    return f"versions {oldest} to {newest}"


# --- the error-path helper ----------------------------------------------------------------


def explain(error: BaseException, body: object) -> tuple[str, object, str]:
    """Return `(JSON path, value there, reason)` for why reading `body` failed.

    `error` is a reader's `WireError` (its path is taken as it is) or a cattrs validation
    error tree: the first failure is followed down through the exception groups, noting the
    attribute name or list index on the way, and the leaf (a `WireError` from a strict hook,
    a missing key, a model's own refusal, anything else) gives the rest of the path and the
    reason. The path of the document itself is `$`.
    """
    parts: list[str | int] = []
    leaf: BaseException = error
    if not isinstance(leaf, WireError):
        import cattrs  # noqa: PLC0415 - only a converter's errors come here

        while isinstance(leaf, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
            with_notes, _ = leaf.group_exceptions()
            if not with_notes:
                leaf = leaf.exceptions[0]
                continue
            leaf, note = with_notes[0]
            parts.append(
                note.index if isinstance(note, cattrs.IterableValidationNote) else note.name
            )
    path = functools.reduce(at, parts, "")
    if isinstance(leaf, WireError):
        return join(path, leaf.path) or "$", leaf.value, leaf.reason
    if isinstance(leaf, KeyError):  # cattrs's own: the path already ends at the field
        return path or "$", None, _MISSING
    value = _lookup(body, parts)
    if isinstance(leaf, WaOutboundError):
        return path or "$", value, str(leaf)
    return path or "$", value, f"{type(leaf).__name__}: {leaf}"


def refuse(error_class: Callable[[str, object, str], _E], error: BaseException, body: object) -> _E:
    """Return `error_class(path, value, reason)` for why reading `body` failed (`explain`)."""
    return error_class(*explain(error, body))


def structure(
    converter: cattrs.Converter,
    data: object,
    cls: type[_T],
    error_class: Callable[[str, object, str], WaOutboundError],
) -> _T:
    """Return `data` read as `cls` by `converter`; any failure raises as `error_class`."""
    try:
        return converter.structure(data, cls)
    except Exception as error:  # every failure becomes one clear error
        raise refuse(error_class, error, data) from error


def _lookup(body: object, parts: list[str | int]) -> object:
    """Return the value at the path `parts` in `body`, or `None` if there is none."""
    value = body
    for part in parts:
        try:
            value = value[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):  # noqa: PERF203 - a path of a few steps
            return None
    return value


# --- the converter factory ----------------------------------------------------------------


def _exact_hook(kind: type, read: Callable[[object], object]) -> Callable[[object, Any], Any]:
    def structure(value: object, _type: object) -> object:
        if value.__class__ is kind:  # the reader's own check, without its call
            return value
        return read(value)  # refuses it

    return structure


def _is_tuple(kind: object) -> bool:
    return typing.get_origin(kind) is tuple


def _tuple_factory(kind: Any, converter: cattrs.Converter) -> Any:  # noqa: ANN401 - cattrs hook
    import cattrs  # noqa: PLC0415

    args = typing.get_args(kind)
    if len(args) == 2 and args[1] is Ellipsis:  # noqa: PLR2004 - tuple[X, ...]
        inner = cattrs.cols.homogenous_tuple_structure_factory(kind, converter)

        def structure(value: object, _type: object) -> object:
            if value.__class__ is not list:
                json_array(value)  # refuses what is not an array, a string above all
            return inner(value, kind)

        return structure

    hooks = [converter.get_structure_hook(arg) for arg in args]

    def structure_fixed(value: object, _type: object) -> object:
        items = json_array(value)
        if len(items) != len(args):
            _refused(value, f"expected a JSON array of {len(args)} items")
        errors: list[Exception] = []
        result = []
        for index, (hook, arg, item) in enumerate(zip(hooks, args, items, strict=True)):
            try:
                result.append(hook(item, arg))
            except Exception as error:  # noqa: BLE001, PERF203 - collected as cattrs does
                note = cattrs.IterableValidationNote(f"@ index {index}", index, arg)
                error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]
                errors.append(error)
        if errors:
            msg = f"While structuring {kind!r}"
            raise cattrs.IterableValidationError(msg, errors, kind)
        return tuple(result)

    return structure_fixed


def _is_enum(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _structure_recipient(value: object, kind: object) -> Recipient:
    """Read `{"wa_id": ...}` or `{"bsuid": ...}`, for a `Recipient` or the one class `kind`."""
    data = json_object(value)
    if len(data) != 1:
        _refused(value, "expected {'wa_id': ...} or {'bsuid': ...}")
    ((key, text),) = data.items()
    found = recipient(key, text)
    only = _RECIPIENT_KEYS.get(kind)  # type: ignore[call-overload]
    if only is not None and found.__class__ is not kind:
        _refused(value, f"expected {{{only!r}: ...}}")
    return found


def _dump_recipient(value: Recipient) -> dict[str, str]:
    return {recipient_key(value): value.value}


def _structure_phone_number_id(value: object, _type: object) -> PhoneNumberId:
    try:
        return PhoneNumberId(string(value))
    except InvalidValueError as error:
        raise invalid("", error) from None


def make_converter(
    *,
    defaults: bool = False,
    keep_extra: bool = False,
    any_case: bool = False,
    omit_defaults: bool = False,
    tags: Mapping[type, tuple[str, str]] = MappingProxyType({}),
) -> cattrs.Converter:
    """Return a cattrs converter with the strict wire hooks, parameterised by its format.

    Args:
        defaults: Whether a field with a default may be missing (Graph JSON). Without it,
            every field must be present: stored documents are never silently defaulted.
        keep_extra: Whether a class with an `extra` field keeps the keys it does not name
            there (and writes them back). Classes without one, and every class without
            this, refuse unknown keys.
        any_case: Whether enum values are also read in capitals.
        omit_defaults: Whether fields equal to their default are left out when writing.
        tags: A `(key, value)` pair per class: written first (`"type": "HEADER"`), and
            allowed when read (the caller dispatches on it).
    """
    import cattrs  # noqa: PLC0415 - deferred so that importing wa_outbound stays cheap

    converter = cattrs.Converter(
        detailed_validation=True, unstruct_collection_overrides={tuple: list}
    )
    converter.register_structure_hook(str, _exact_hook(str, string))
    converter.register_structure_hook(int, _exact_hook(int, integer))
    converter.register_structure_hook(bool, _exact_hook(bool, boolean))
    converter.register_structure_hook_factory(_is_tuple, _tuple_factory)
    converter.register_structure_hook_factory(
        _is_enum, functools.partial(_enum_reader, any_case=any_case)
    )
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_structure_hook(datetime, lambda value, _type: instant(value))
    # A predicate, not `register_structure_hook(Any, ...)`: Python 3.10's singledispatch
    # refuses `typing.Any` as a class.
    converter.register_structure_hook_func(lambda kind: kind is Any, lambda value, _type: value)
    converter.register_unstructure_hook(PhoneNumberId, lambda value: value.value)
    converter.register_structure_hook(PhoneNumberId, _structure_phone_number_id)
    for kind in (*_RECIPIENTS.values(), Recipient):
        converter.register_unstructure_hook(kind, _dump_recipient)
        converter.register_structure_hook(kind, _structure_recipient)
    options: dict[str, Any] = {"converter": converter, "keep_extra": keep_extra, "tags": tags}
    converter.register_structure_hook_factory(
        attrs.has, functools.partial(_object_structure_hook, defaults=defaults, **options)
    )
    converter.register_unstructure_hook_factory(
        attrs.has,
        functools.partial(_object_unstructure_hook, omit_defaults=omit_defaults, **options),
    )
    return converter


def _keeps_extra(cls: type, *, keep_extra: bool) -> bool:
    return keep_extra and any(a.name == "extra" for a in attrs.fields(cls))


def _object_structure_hook(
    cls: type[Any],
    *,
    converter: cattrs.Converter,
    defaults: bool,
    keep_extra: bool,
    tags: Mapping[type, tuple[str, str]],
) -> Callable[[Any, Any], Any]:
    """Build the structure hook of an attrs class (see `make_converter` for the options)."""
    import cattrs  # noqa: PLC0415

    keeps_extra = _keeps_extra(cls, keep_extra=keep_extra)
    # A key named "extra" in the JSON is one the model does not name: it is kept too.
    fields = [a for a in attrs.fields(cls) if a.init and not (keeps_extra and a.name == "extra")]
    tag = tags.get(cls)
    known = frozenset(a.name for a in fields) | ({tag[0]} if tag else frozenset())
    # cattrs itself refuses a missing field without a default (a KeyError `explain` reads);
    # a stored document also needs those with one: nothing is defaulted silently.
    needed = frozenset() if defaults else frozenset(a.name for a in fields)
    overrides: dict[str, Any] = {"extra": cattrs.override(omit=True)} if keeps_extra else {}
    inner: Any = cattrs.gen.make_dict_structure_fn(cls, converter, **overrides)

    if keeps_extra:

        def structure_keeping(value: Any, _type: object) -> object:  # noqa: ANN401
            if value.__class__ is not dict:
                value = json_object(value)
            if needed and not needed <= value.keys():
                check_keys(value, needed)  # refuses it
            result = inner(value, cls)
            extra = tuple((k, v) for k, v in value.items() if k not in known)
            return attrs.evolve(result, extra=extra) if extra else result

        return structure_keeping

    def structure(value: Any, _type: object) -> object:  # noqa: ANN401
        if value.__class__ is not dict:
            value = json_object(value)
        if not needed <= value.keys() <= known:
            check_keys(value, needed, known)  # refuses it
        return inner(value, cls)

    return structure


def _object_unstructure_hook(
    cls: type[Any],
    *,
    converter: cattrs.Converter,
    omit_defaults: bool,
    keep_extra: bool,
    tags: Mapping[type, tuple[str, str]],
) -> Callable[[Any], Any]:
    """Build the unstructure hook of an attrs class (see `make_converter` for the options)."""
    import cattrs  # noqa: PLC0415

    keeps_extra = _keeps_extra(cls, keep_extra=keep_extra)
    overrides: dict[str, Any] = {"extra": cattrs.override(omit=True)} if keeps_extra else {}
    inner: Any = cattrs.gen.make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=omit_defaults, **overrides
    )
    tag = tags.get(cls)
    if tag is None and not keeps_extra:
        return inner  # type: ignore[no-any-return]
    first = dict([tag]) if tag else {}

    def unstructure(value: Any) -> dict[str, Any]:  # noqa: ANN401 - any attrs instance
        data = first.copy()
        data.update(inner(value))
        if keeps_extra:
            data.update(value.extra)
        return data

    return unstructure
