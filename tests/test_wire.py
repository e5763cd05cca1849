"""The wire module: strict leaf readers and hooks, the version header, the error-path helper."""

from __future__ import annotations

import enum
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from wa_outbound import (
    BusinessScopedUserId,
    InvalidValueError,
    PhoneNumberId,
    Recipient,
    StoredDataError,
    TemplateFormatError,
    WaId,
)
from wa_outbound import _wire as wire

from .json_mutations import json_values

JSON = json_values(["name", "count", "flag", "when", "color", "tags", "pair", "note"])
UTC = timezone.utc


class Color(enum.Enum):
    """A small enum, stored by value."""

    RED = "red"
    DARK_GREEN = "dark_green"


@attrs.frozen(kw_only=True)
class Leaf:
    """One value of every leaf type the hooks read."""

    name: str
    count: int
    flag: bool
    when: datetime
    color: Color
    tags: tuple[str, ...]
    pair: tuple[int, str]
    note: str | None = None


@attrs.frozen(kw_only=True)
class Tree:
    """Leaves nested in a list and an object, with identities and a raw JSON value."""

    root: Leaf
    leaves: tuple[Leaf, ...] = ()
    business: PhoneNumberId
    recipient: Recipient
    raw: Any = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class Loose:
    """A Graph-JSON-like class: optional fields and unknown keys kept in `extra`."""

    name: str
    color: Color | None = None
    extra: tuple[tuple[str, Any], ...] = ()


def _positive(_instance: object, _attribute: object, value: int) -> None:
    if value < 0:
        raise InvalidValueError("size", value, "expected zero or more")


def _odd(_instance: object, _attribute: object, value: int) -> None:
    if value % 2 == 0:
        msg = "expected an odd number"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Checked:
    """A class whose own validators refuse values (a model's refusal, any other error)."""

    size: int = attrs.field(validator=_positive)
    odd: int = attrs.field(default=1, validator=_odd)


PLAIN = Leaf(
    name="a",
    count=1,
    flag=True,
    when=datetime(2026, 1, 1, tzinfo=UTC),
    color=Color.RED,
    tags=(),
    pair=(1, "x"),
)
STRICT = wire.make_converter()
GRAPH = wire.make_converter(
    defaults=True, keep_extra=True, any_case=True, omit_defaults=True, tags={Loose: ("type", "L")}
)

instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
)
leaves = st.builds(
    Leaf,
    name=st.text(),
    count=st.integers(),
    flag=st.booleans(),
    when=instants,
    color=st.sampled_from(Color),
    tags=st.lists(st.text(max_size=5), max_size=3).map(tuple),
    pair=st.tuples(st.integers(), st.text(max_size=5)),
    note=st.none() | st.text(max_size=5),
)
recipients = st.sampled_from([WaId("4915123456789"), BusinessScopedUserId("US.1349")])
trees = st.builds(
    Tree,
    root=leaves,
    leaves=st.lists(leaves, max_size=3).map(tuple),
    business=st.just(PhoneNumberId("106540352242922")),
    recipient=recipients,
    raw=JSON,
)


def _refusal(converter: cattrs.Converter, data: object, cls: type) -> tuple[str, object, str]:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - any failure is explained
        converter.structure(data, cls)
    return wire.explain(caught.value, data)


# --- the hooks: round trips ---------------------------------------------------------------


@given(trees)
def test_round_trip_through_json(tree: Tree) -> None:
    """Any value written by the strict converter reads back equal, through JSON text."""
    data = json.loads(json.dumps(STRICT.unstructure(tree)))
    assert tree == STRICT.structure(data, Tree)
    assert tree.raw == STRICT.structure(data, Tree).raw


@given(leaves)
def test_written_leaves_are_plain_json(leaf: Leaf) -> None:
    """Instants are written as UTC ISO text with `Z`, enums by value, tuples as lists."""
    data = STRICT.unstructure(leaf)
    assert leaf.when.isoformat().replace("+00:00", "Z") == data["when"]
    assert leaf.color.value == data["color"]
    assert list(leaf.tags) == data["tags"]
    assert [leaf.pair[0], leaf.pair[1]] == data["pair"]


def test_identities_are_written_as_strings_and_tagged_objects() -> None:
    """A phone number id is its digits; a recipient an object naming its kind."""
    tree = Tree(
        root=PLAIN,
        business=PhoneNumberId("1065"),
        recipient=BusinessScopedUserId("US.1349"),
    )
    data = STRICT.unstructure(tree)
    assert ("1065", {"bsuid": "US.1349"}) == (data["business"], data["recipient"])
    assert {"wa_id": "4915123456789"} == STRICT.unstructure(WaId("4915123456789"))
    assert WaId("4915123456789") == STRICT.structure({"wa_id": "4915123456789"}, WaId)


# --- the hooks: every wrong JSON type is refused at its path --------------------------------

ACCEPTS: dict[str, Any] = {
    "name": lambda v: v.__class__ is str,
    "count": lambda v: v.__class__ is int,
    "flag": lambda v: v.__class__ is bool,
    "when": lambda v: isinstance(v, str),  # text may still fail to parse: checked below
    "color": lambda v: v in ("red", "dark_green"),
    "tags": lambda v: isinstance(v, list) and all(i.__class__ is str for i in v),
    "pair": lambda v: (
        isinstance(v, list) and len(v) == 2 and v[0].__class__ is int and v[1].__class__ is str
    ),
    "note": lambda v: v is None or v.__class__ is str,
}


@given(tree=trees, field=st.sampled_from(sorted(ACCEPTS)), value=JSON, where=st.data())
def test_every_wrong_json_type_is_refused_with_its_path(
    tree: Tree, field: str, value: object, where: st.DataObject
) -> None:
    """A leaf holding a JSON value of another type is refused, naming its path and value."""
    assume(not ACCEPTS[field](value))
    data = STRICT.unstructure(tree)
    if tree.leaves and where.draw(st.booleans()):
        index = where.draw(st.integers(0, len(tree.leaves) - 1))
        data["leaves"][index][field] = value
        expected = f"leaves[{index}].{field}"
    else:
        data["root"][field] = value
        expected = f"root.{field}"
    path, found, reason = _refusal(STRICT, data, Tree)
    assert expected == path[: len(expected)]
    assert reason
    if path == expected:
        assert value == found


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "expected an integer"),
        ("1", "expected an integer"),
        (1.0, "expected an integer"),
    ],
)
def test_an_integer_is_never_read_from_a_bool_a_string_or_a_float(
    value: object, reason: str
) -> None:
    """`true`, `"1"` and `1.0` are not integers."""
    assert ("$", value, reason) == wire.explain(_error(wire.integer, value), value)


def _error(read: Any, value: object) -> wire.WireError:
    with pytest.raises(wire.WireError) as caught:
        read(value)
    return caught.value


@given(JSON)
def test_leaf_readers_accept_exactly_their_json_type(value: object) -> None:
    """Each leaf reader returns its JSON type unchanged and refuses every other one."""
    readers = {
        wire.string: lambda v: v.__class__ is str,
        wire.integer: lambda v: v.__class__ is int,
        wire.boolean: lambda v: v.__class__ is bool,
        wire.json_object: lambda v: isinstance(v, dict),
        wire.json_array: lambda v: isinstance(v, list),
    }
    for read, accepts in readers.items():
        if accepts(value):
            assert value is read(value)
        else:
            error = _error(lambda v, read=read: read(v, "a.b[2]"), value)
            assert ("a.b[2]", value) == (error.path, error.value)


@pytest.mark.parametrize("text", ["", "abc", b"ab", bytearray(b"ab")])
def test_a_string_is_never_a_json_array(text: object) -> None:
    """Text and bytes are refused where an array is expected, also by the tuple hook."""
    assert "expected a JSON array" == _error(wire.json_array, text).reason
    data = STRICT.unstructure(PLAIN)
    data["tags"] = "ab"
    assert ("tags", "ab", "expected a JSON array") == _refusal(STRICT, data, Leaf)


def test_a_fixed_tuple_needs_its_length_and_names_a_bad_item() -> None:
    """A fixed-length tuple refuses another length and names the index of a bad item."""
    good = STRICT.unstructure(PLAIN)
    assert ("pair", [1], "expected a JSON array of 2 items") == _refusal(
        STRICT, {**good, "pair": [1]}, Leaf
    )
    assert ("pair[1]", 2, "expected a string") == _refusal(STRICT, {**good, "pair": [1, 2]}, Leaf)


@given(instants)
def test_instants_round_trip_and_must_be_aware(when: datetime) -> None:
    """An instant reads back equal; without a time zone, or not text, it is refused."""
    text = STRICT.unstructure(when)
    assert when == wire.instant(text)
    naive = when.replace(tzinfo=None).isoformat()
    assert "instant has no time zone" == _error(wire.instant, naive).reason
    assert "expected an ISO 8601 instant as text" == _error(wire.instant, when.timestamp()).reason
    other = when.astimezone(timezone(timedelta(hours=5)))
    assert when == wire.instant(other.isoformat())


@given(st.sampled_from(Color), JSON)
def test_enums_are_read_by_value(color: Color, junk: object) -> None:
    """A member reads from its value; anything else is refused naming the enum's values."""
    assert color is wire.member(Color, color.value)
    assert color is STRICT.structure(color.value, Color)
    assume(junk not in ("red", "dark_green"))
    error = _error(lambda v: wire.member(Color, v, "color"), junk)
    assert ("color", junk, "expected one of dark_green, red (Color)") == (
        error.path,
        error.value,
        error.reason,
    )


def test_enums_in_any_case_only_when_asked() -> None:
    """Graph JSON reads `"RED"` as `"red"`'s member; a stored document does not."""
    assert Color.DARK_GREEN is wire.member(Color, "Dark_Green".upper().lower(), any_case=True)
    assert Color.DARK_GREEN is GRAPH.structure("dark_green", Color)
    upper = wire.make_converter(any_case=True)

    class Upper(enum.Enum):
        """Values in capitals, as Meta writes them."""

        A = "AUTH"

    assert Upper.A is upper.structure("auth", Upper)
    assert ("$", "auth", "expected one of AUTH (Upper)") == _refusal(STRICT, "auth", Upper)


def test_identities_are_refused_naming_the_reason() -> None:
    """A bad phone number id or recipient is refused with the identity's own reason."""
    assert ("$", "abc", "expected a numeric Graph API id") == _refusal(STRICT, "abc", PhoneNumberId)
    assert ("$", 5, "expected a string") == _refusal(STRICT, 5, PhoneNumberId)
    field, value, reason = _refusal(STRICT, {"wa_id": "+49"}, Recipient)
    assert ("wa_id", "+49") == (field, value)
    assert reason.startswith("expected 7 to 15 digits without '+' or spaces; WaId.parse reads")
    assert ("$", "email", "unknown recipient kind 'email'") == _refusal(
        STRICT, {"email": "x"}, Recipient
    )
    assert ("$", {}, "expected {'wa_id': ...} or {'bsuid': ...}") == _refusal(STRICT, {}, Recipient)
    assert ("$", {"bsuid": "x"}, "expected {'wa_id': ...}") == _refusal(
        STRICT, {"bsuid": "x"}, WaId
    )


# --- objects: missing, unknown and extra keys -----------------------------------------------


@given(leaves, st.sampled_from([a.name for a in attrs.fields(Leaf)]))
def test_a_stored_object_needs_every_field(leaf: Leaf, field: str) -> None:
    """Without defaults, any missing field is refused by name; nothing is filled in."""
    data = STRICT.unstructure(leaf)
    del data[field]
    assert (field, None, "required field is missing") == _refusal(STRICT, data, Leaf)


@pytest.mark.parametrize("value", [[], "x", 1, None])
def test_a_stored_object_must_be_a_json_object(value: object) -> None:
    """An attrs class is read from a JSON object only."""
    assert ("$", value, "expected a JSON object") == _refusal(STRICT, value, Leaf)


@given(leaves, st.text(min_size=1).filter(lambda k: k not in attrs.fields_dict(Leaf)), JSON)
def test_a_stored_object_refuses_unknown_keys(leaf: Leaf, key: str, value: object) -> None:
    """An unknown key is refused, named with its path."""
    data = {**STRICT.unstructure(leaf), key: value}
    assert (key, key, "unknown field") == _refusal(STRICT, data, Leaf)


@example({"extra": None})  # a JSON key named like the model's own `extra` field
@given(
    st.dictionaries(
        st.text(min_size=1).filter(lambda k: k not in {"name", "color", "type"}), JSON, max_size=3
    )
)
def test_graph_objects_keep_unknown_keys_and_write_them_back(unknown: dict[str, Any]) -> None:
    """With `keep_extra`, unknown keys are kept in `extra`; the tag is written first."""
    data = {"type": "L", "name": "n", **unknown}
    loose = GRAPH.structure(data, Loose)
    assert tuple(unknown.items()) == loose.extra
    assert data == GRAPH.unstructure(loose)
    assert ["type", "name"] == list(GRAPH.unstructure(Loose(name="n")))[:2]


def test_graph_objects_may_leave_out_defaults_but_not_required_fields() -> None:
    """With `defaults`, a field with a default may be missing; one without may not."""
    assert Loose(name="n") == GRAPH.structure({"name": "n"}, Loose)
    assert ("name", None, "required field is missing") == _refusal(GRAPH, {"color": "RED"}, Loose)
    assert ("$", ["x"], "expected a JSON object") == _refusal(GRAPH, ["x"], Loose)


def test_options_combine_strict_fields_with_extra_keys_and_tags() -> None:
    """Keeping extra keys does not make fields optional; a tag is written on any class."""
    keeping = wire.make_converter(keep_extra=True, tags={Checked: ("kind", "C")})
    assert ("color", None, "required field is missing") == _refusal(keeping, {"name": "n"}, Loose)
    kept = keeping.structure({"name": "n", "color": "red", "x": 1}, Loose)
    assert (("x", 1),) == kept.extra
    assert {"kind": "C", "size": 1, "odd": 1} == keeping.unstructure(Checked(size=1))
    assert Checked(size=1) == keeping.structure({"kind": "C", "size": 1, "odd": 1}, Checked)


@given(JSON)
def test_check_keys_names_the_first_missing_then_the_first_unknown(data: object) -> None:
    """`check_keys` passes exactly the objects with every needed key and no other."""
    assume(isinstance(data, dict))
    assert isinstance(data, dict)
    needed = frozenset({"name", "count"})
    allowed = needed | {"flag"}
    missing = sorted(needed - data.keys())
    unknown = sorted(data.keys() - allowed)
    if not missing and not unknown:
        wire.check_keys(data, needed, allowed, "x")
        return
    error = _error(lambda d: wire.check_keys(d, needed, allowed, "x"), data)
    if missing:
        assert (f"x.{missing[0]}", None, "required field is missing") == (
            error.path,
            error.value,
            error.reason,
        )
    else:
        assert (f"x.{unknown[0]}", unknown[0], "unknown field") == (
            error.path,
            error.value,
            error.reason,
        )


def test_required_and_optional_name_the_key() -> None:
    """`required` refuses a missing key; both name the key's path for a bad value."""
    data = {"a": 1, "b": None}
    assert 1 == wire.required(data, "a")
    assert None is wire.optional(data, "b", "x", wire.string)
    assert None is wire.optional(data, "c", "x", wire.string)
    missing = _error(lambda d: wire.required(d, "c", "x[0]"), data)
    assert ("x[0].c", None, "required field is missing") == (
        missing.path,
        missing.value,
        missing.reason,
    )
    bad = _error(lambda d: wire.optional(d, "a", "x", wire.string), data)
    assert ("x.a", 1, "expected a string") == (bad.path, bad.value, bad.reason)


# --- the version header ---------------------------------------------------------------------


def _step(version: int) -> wire.Migration:
    def migrate(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "steps": [*body.get("steps", []), version]}

    return migrate


MIGRATIONS = {1: _step(1), 2: _step(2)}


MIGRATED = wire.StoredFormat(name="f", version=3, migrations=MIGRATIONS)
FIRST = wire.StoredFormat(name="f", version=3)


def _header_error(data: object, stored: wire.StoredFormat = MIGRATED) -> StoredDataError:
    with pytest.raises(StoredDataError) as caught:
        wire.check_header(data, stored)
    return caught.value


@given(st.integers(), JSON)
@example(1, None)
@example(2, None)
@example(0, None)
@example(4, None)
def test_every_integer_version_gets_one_answer(version: int, value: object) -> None:
    """The current version is read, older ones migrated in order, others refused naming them."""
    data = {**wire.header(wire.StoredFormat(name="f", version=version)), "value": value}
    if version == 3:
        assert {"value": value} == wire.check_header(data, MIGRATED)
        assert {"value": value} == wire.check_header(data, FIRST)
    elif 1 <= version < 3:
        body = wire.check_header(data, MIGRATED)
        assert {"value": value, "steps": list(range(version, 3))} == body
        assert "unknown version; this release reads version 3" == _header_error(data, FIRST).reason
    else:
        error = _header_error(data)
        assert ("version", version) == (error.field, error.value)
        assert error.reason.endswith("this release reads versions 1 to 3")
        assert ("newer" in error.reason) is (version > 3)


@given(JSON)
def test_a_version_that_is_not_an_integer_is_refused(version: object) -> None:
    """`true`, `"1"`, `1.0`, `null`, lists and objects are not versions."""
    assume(version.__class__ is not int)
    error = _header_error({"format": "f", "version": version}, FIRST)
    assert ("version", version, "expected an integer; this release reads version 3") == (
        error.field,
        error.value,
        error.reason,
    )


@pytest.mark.parametrize("version", [True, "1", "3", 3.0])
def test_version_lookalikes_are_refused(version: object) -> None:
    """`true` equals 1 and `3.0` equals 3 in Python, yet neither is a version."""
    error = _header_error({"format": "f", "version": version})
    assert ("version", version) == (error.field, error.value)


def test_a_missing_version_or_format_is_refused() -> None:
    """Without a version, with another format, or not an object: refused, named."""
    missing = _header_error({"format": "f"})
    assert ("version", None, "required field is missing; this release reads versions 1 to 3") == (
        missing.field,
        missing.value,
        missing.reason,
    )
    other = _header_error({"format": "g", "version": 3})
    assert ("format", "g", "expected 'f'") == (other.field, other.value, other.reason)
    assert "format" == _header_error({"version": 3}).field
    assert ("$", [1]) == (_header_error([1]).field, _header_error([1]).value)


def test_the_header_comes_first_and_is_not_in_the_body() -> None:
    """`header` writes the format and version first; `check_header` returns the rest."""
    stored = wire.StoredFormat(name="f", version=1)
    data = {**wire.header(stored), "a": 1}
    assert ["format", "version", "a"] == list(data)
    assert {"a": 1} == wire.check_header(data, stored)
    assert (1, 1) == (stored.oldest, MIGRATED.oldest)


# --- the error-path helper ------------------------------------------------------------------


@given(
    trees.filter(lambda t: bool(t.leaves)),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from([5, None, True, [], {}]),
)
def test_nested_errors_name_the_full_path(tree: Tree, index: int, item: int, junk: object) -> None:
    """A bad item deep inside lists and objects is named by its full path and its value."""
    index %= len(tree.leaves)
    data = STRICT.unstructure(tree)
    tags = data["leaves"][index]["tags"]
    tags[:] = [*tags, "x", "y", "z"]
    tags[item] = junk
    assert (f"leaves[{index}].tags[{item}]", junk, "expected a string") == _refusal(
        STRICT, data, Tree
    )


def test_a_models_own_refusal_and_other_errors_are_explained() -> None:
    """A model's `InvalidValueError` keeps its message; another error shows its type."""
    field, value, reason = _refusal(STRICT, {"size": -1, "odd": 1}, Checked)
    assert ("$", {"size": -1, "odd": 1}) == (field, value)
    assert "size=-1: expected zero or more" == reason
    nested = _refusal(STRICT, [{"size": 1, "odd": 2}], tuple[Checked, ...])
    assert ("[0]", {"size": 1, "odd": 2}, "ValueError: expected an odd number") == nested


def test_errors_without_notes_and_hand_written_ones_are_explained() -> None:
    """A cattrs group without notes is followed to its first error; a `WireError` is kept."""
    group = cattrs.ClassValidationError("While structuring", [ValueError("bad")], Leaf)
    assert ("$", {"a": 1}, "ValueError: bad") == wire.explain(group, {"a": 1})
    error = wire.WireError("a[1].b", 7, "expected a string")
    assert ("a[1].b", 7, "expected a string") == wire.explain(error, None)
    assert ("$", 7, "r") == wire.explain(wire.WireError("", 7, "r"), 7)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - any failure is explained
        STRICT.structure([{"size": 1, "odd": 2}], tuple[Checked, ...])
    assert ("[0]", None) == wire.explain(caught.value, {})[:2]  # a body without that path


@given(st.lists(st.text(min_size=1, alphabet="abc") | st.integers(0, 9), max_size=4))
def test_paths_join_like_they_are_built(parts: list[str | int]) -> None:
    """Joining a prefix and a relative path gives the path built key by key."""
    for cut in range(len(parts) + 1):
        prefix = ""
        for part in parts[:cut]:
            prefix = wire.at(prefix, part)
        rest = ""
        for part in parts[cut:]:
            rest = wire.at(rest, part)
        whole = ""
        for part in parts:
            whole = wire.at(whole, part)
        assert whole == wire.join(prefix, rest)


@pytest.mark.parametrize("error_class", [StoredDataError, TemplateFormatError])
def test_refuse_builds_the_callers_error(error_class: type[StoredDataError]) -> None:
    """`refuse` raises as the caller's error class with path, value and reason."""
    error = wire.refuse(error_class, wire.WireError("a.b", 1, "expected a string"), {})
    assert isinstance(error, error_class)
    assert ("a.b", 1, "expected a string") == (error.field, error.value, error.reason)
    assert "a.b=1: expected a string" == str(error)


def test_invalid_turns_a_model_refusal_into_a_wire_error() -> None:
    """A constructor's `InvalidValueError` becomes a `WireError` at the reader's path."""
    with pytest.raises(InvalidValueError) as caught:
        WaId("+49")
    error = wire.invalid("to.wa_id", caught.value)
    assert ("to.wa_id", "+49") == (error.path, error.value)
    refused = _error(lambda v: wire.recipient("wa_id", v, "to"), "+49")
    assert ("to.wa_id", "+49") == (refused.path, refused.value)
    assert BusinessScopedUserId("US.1") == wire.recipient("bsuid", "US.1")
