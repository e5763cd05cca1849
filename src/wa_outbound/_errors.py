"""The exceptions `wa_outbound` raises, all rooted at `WaOutboundError`.

Questions (`can_send`, and later `decide`, `lint_template`, `classify_error`) never raise
for valid inputs: they answer with a decision value. Exceptions are for nonsense: a value the
caller should never have passed, or data from outside that cannot be read. The two branches are
kept apart so a host can tell "my code is wrong" from "what came in is wrong":

```text
WaOutboundError
├── UsageError                 the calling code asked for something impossible
│   ├── InvalidValueError      a field holds a value outside its domain   (also ValueError)
│   │   ├── NaiveDatetimeError a datetime without a time zone              (also ValueError)
│   │   └── ClockSkewError     a `now` before the facts a value holds      (also ValueError)
│   ├── InvalidTransition      a fact the state cannot take, or one for another owner
│   └── RuleDataError          rule data that is missing, malformed or not in force
└── InputError                 data from outside that cannot be used
    ├── StoredDataError        persisted state that cannot be loaded back  (also ValueError)
    ├── WebhookParseError      a webhook body that is not a webhook at all (also ValueError)
    ├── TemplateFormatError    template JSON that is not a template        (also ValueError)
    ├── RateCardError          a rate card (CSV) that cannot be used       (also ValueError)
    ├── RecipientFileError     a recipients file (CSV) with a bad row      (also ValueError)
    └── SignatureMismatch      a webhook whose signature is missing or wrong
└── StoreError                 a state store failed or refused a write
    ├── WriteConflict          another writer changed a value first (compare-and-set lost)
    └── StoreUnavailable       the store cannot be read or written (locked, read-only, full)
```

Remote errors (what Meta or Twilio answer) are a further branch added by the transports.
Every message names the offending field and value.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

if TYPE_CHECKING:
    from datetime import datetime, timedelta

_E = TypeVar("_E", bound=enum.Enum)

__all__ = [
    "ClockSkewError",
    "InputError",
    "InvalidTransition",
    "InvalidValueError",
    "NaiveDatetimeError",
    "RateCardError",
    "RecipientFileError",
    "RuleDataError",
    "SignatureMismatch",
    "StoreError",
    "StoreUnavailable",
    "StoredDataError",
    "TemplateFormatError",
    "UsageError",
    "WaOutboundError",
    "WebhookParseError",
    "WriteConflict",
]
# The door converters at the end of this module (`member`, `flag`, `whole`, `texts`,
# `decimal_digits`, ...) are private helpers shared by every public constructor and function;
# the field validators after them (`is_a`, `is_whole`, `is_instant`, `is_tuple_of`,
# `is_mapping_of`) check the answer types' fields the same way.

_MAX_SHOWN: Final = 80
_MAX_WRITTEN_BITS: Final = 1000  # about 300 digits: longer numbers are named by their length
_DIGITS_PER_BIT: Final = math.log10(2)


def shown(value: object, limit: int = _MAX_SHOWN) -> str:
    """Return `value` in words for a message, shortened to `limit` characters.

    Instants read as ISO 8601 (`2020-01-01T00:00:00Z`, with the offset they were given in),
    durations as `1 day, 2:00:00`, enum members as their value, whole numbers as digits (or
    their count of digits when too long to write); text and anything else as its `repr`. It
    never raises, whatever the value: a message about a refused value must not fail in turn.
    """
    try:
        text = _words(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails is named by its type
        text = f"<a {type(value).__name__}>"
    if len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def _words(value: object) -> str:  # noqa: PLR0911 - one return per kind of value
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > _MAX_WRITTEN_BITS:
            digits = int(value.bit_length() * _DIGITS_PER_BIT) + 1
            sign = "negative " if value < 0 else ""
            return f"a {sign}whole number of about {digits:,} digits"
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return f"{value.isoformat()} (no time zone)"
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, enum.Enum):
        return _words(value.value)
    return repr(value)


class WaOutboundError(Exception):
    """Root of every exception raised by `wa_outbound`."""


class _FieldError(WaOutboundError):
    """An error about one field's value: keeps the field, the value and the reason."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        """Build the error from the field, the refused value and the reason."""
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={shown(value)}: {reason}")


class UsageError(WaOutboundError):
    """The calling code asked for something impossible (local misuse)."""


class InvalidValueError(_FieldError, UsageError, ValueError):
    """A field holds a value outside its domain.

    Attributes:
        field: Name of the offending field (dotted for nested values).
        value: The value that was refused.
        reason: Why it was refused.
    """


class NaiveDatetimeError(InvalidValueError):
    """A datetime without a time zone was given where an aware UTC instant is required."""

    def __init__(self, field: str, value: object) -> None:
        """Build the error from the field and the naive datetime."""
        super().__init__(
            field,
            value,
            "a naive datetime is ambiguous; pass an aware one, e.g. with tzinfo=timezone.utc",
        )


class ClockSkewError(InvalidValueError):
    """A question was asked at a `now` earlier than the facts it would read, beyond the tolerance.

    A value knows the latest instant of the facts applied to it (`latest_at`). Asked at a `now`
    before that instant by more than `Rules.clock_skew_tolerance`, a question would answer from
    the future (an opt-out recorded on 3 December read on 1 December), so it raises this
    instead; within the tolerance it answers as at the latest instant. The usual cause is a
    host clock that is behind, or a fact stamped with a wrong instant.

    Attributes:
        now: The instant the question was asked at.
        latest: The latest instant the value has seen.
        tolerance: The clock skew tolerance in force.
    """

    def __init__(self, now: datetime, latest: datetime, tolerance: timedelta) -> None:
        """Build the error from the `now` asked at, the latest instant seen and the tolerance."""
        self.now = now
        self.latest = latest
        self.tolerance = tolerance
        super().__init__(
            "now",
            now,
            f"{latest - now} before the latest instant this value has seen"
            f" ({latest.isoformat()}), more than the clock skew tolerance of {tolerance};"
            " check the host's clock, or the instant of the latest fact",
        )


class InvalidTransition(UsageError):  # noqa: N818 - the name users know from h11
    """A fact was applied to a state that cannot take it.

    Attributes:
        state: The state the fact was applied to.
        fact: The fact that was refused.
    """

    def __init__(self, state: object, fact: object, reason: str) -> None:
        """Build the error from the state, the refused fact and the reason."""
        self.state = state
        self.fact = fact
        self.reason = reason
        super().__init__(f"cannot apply {shown(fact)} to {shown(state)}: {reason}")


class RuleDataError(_FieldError, UsageError):
    """Rule data is missing, malformed, or asked for at an instant no rule set covers.

    Attributes:
        field: The rule (or argument) concerned.
        value: The offending value.
        reason: Why it was refused.
    """


class InputError(WaOutboundError):
    """Data that came from outside the calling code cannot be used."""


class StoredDataError(_FieldError, InputError, ValueError):
    """Persisted state cannot be loaded back exactly.

    Attributes:
        field: Path of the offending field in the stored document (e.g. ``consent.opted_in_at``).
        value: What was stored there.
        reason: Why it cannot be loaded.
    """


class TemplateFormatError(_FieldError, InputError, ValueError):
    """Template JSON (Graph API or Twilio Content) that cannot be read as a template.

    `field` is the JSON path of the offending part (`components[2].buttons[0].type`), `value`
    what was found there. A template Meta would *reject* is not this error: it reads fine and
    `lint_template` reports its findings.
    """


class RateCardError(_FieldError, InputError, ValueError):
    """A rate card that cannot be used: a bad row, column, currency or price.

    `field` names the row and column (`row 7, utility_usd`), `value` what was found there.
    Nothing of a card with an error is used: loading is all or nothing.
    """


class RecipientFileError(_FieldError, InputError, ValueError):
    """A row of a recipients file that cannot be read (a bad phone number, instant or flag).

    `field` names the row and column (`row 12, phone`), `value` what was found there. The
    campaign planner reports such rows in its plan instead of raising, unless asked to be
    strict.
    """


class WebhookParseError(InputError, ValueError):
    """A webhook body is not a webhook: not JSON, not an object, too large, wrong shape.

    Odd events inside a well-formed body never raise this: they become `UnknownEvent`s.

    Attributes:
        reason: What is wrong with the body.
    """

    def __init__(self, reason: str) -> None:
        """Build the error from the reason."""
        self.reason = reason
        super().__init__(f"webhook body refused: {reason}")


class SignatureMismatch(InputError):  # noqa: N818 - named after what happened, like the header
    """A webhook's signature header is missing, malformed, or matches none of the secrets.

    Raised before the body is parsed: nothing from an unsigned body is ever read.

    Attributes:
        header: The signature header concerned.
        reason: What is wrong with it.
    """

    def __init__(self, header: str, reason: str) -> None:
        """Build the error from the header name and the reason."""
        self.header = header
        self.reason = reason
        super().__init__(f"{header}: {reason}")


class StoreError(WaOutboundError):
    """A state store failed, or refused a write; nothing of the refused write was applied."""


class WriteConflict(StoreError):  # noqa: N818 - named after what happened
    """Another writer changed a value since it was read: the compare-and-set was lost.

    The whole write was refused; read again and retry (the state façade does so itself).

    Attributes:
        keys: The keys whose stored version differed from the expected one, as text.
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        """Build the error from the conflicting keys."""
        self.keys = keys
        super().__init__(f"another writer changed {', '.join(keys)} first; read again and retry")


class StoreUnavailable(StoreError):  # noqa: N818 - named after the state, like httpx's
    """The store cannot be read or written: locked too long, read-only, full, or corrupt.

    Attributes:
        store: What store it is (e.g. the SQLite file's path).
        reason: What went wrong, in the store's own words.
    """

    def __init__(self, store: str, reason: str) -> None:
        """Build the error from the store's description and the reason."""
        self.store = store
        self.reason = reason
        super().__init__(f"state store {store}: {reason}; nothing was written")


# --- door converters ----------------------------------------------------------------------
# Every public constructor and function converts its inputs exactly or refuses them: an enum
# member or its own value string (never a look-alike written with a dotless i), a bool and
# never a truthy value, an int and never a bool, text and never a number, a collection of text
# and never a string read letter by letter. Refusals name the field, the value and what would
# be accepted. They live here, the lowest module, so that every module may use them.

_MAX_DECIMAL_DIGITS: Final = 100


@functools.cache
def _members(kind: type[enum.Enum]) -> tuple[dict[object, enum.Enum], str]:
    by_value = {item.value: item for item in kind}
    accepted = ", ".join(str(item.value) for item in kind)
    return by_value, f"expected a {kind.__name__} or one of its values: {accepted}"


def member(field: str, kind: type[_E], value: object) -> _E:
    """Return `value` as a member of the enum `kind`: a member, or exactly a member's value.

    Raises:
        InvalidValueError: anything else; the message lists the accepted values.
    """
    if value.__class__ is kind:
        return value
    by_value, accepted = _members(kind)
    if value.__class__ is str or value.__class__ is int:
        found = by_value.get(value)
        if found is not None:
            return found  # type: ignore[return-value]
    raise InvalidValueError(field, value, accepted)


def optional_member(field: str, kind: type[_E], value: object) -> _E | None:
    """Return `None` for `None`, else `value` read by `member`."""
    return None if value is None else member(field, kind, value)


def expect(field: str, value: object, kind: type | tuple[type, ...]) -> None:
    """Refuse `value` unless it is an instance of `kind`, naming the expected class.

    Raises:
        InvalidValueError: `value` is of another type (`None`, text, a number, ...).
    """
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join(k.__name__ for k in kinds)
        article = "an" if names[:1] in "AEIOU" else "a"
        raise InvalidValueError(field, value, f"expected {article} {names}")


def flag(field: str, value: object) -> bool:
    """Return `value` if it is `True` or `False`; refuse `"no"`, `0`, `None` and the like."""
    if value is True or value is False:
        return value
    raise InvalidValueError(field, value, "expected True or False")


def whole(field: str, value: object, minimum: int | None = None) -> int:
    """Return `value` if it is an int (not a bool) of at least `minimum`; refuse text digits.

    Raises:
        InvalidValueError: a bool, a float, text, or a number below `minimum`.
    """
    if value.__class__ is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            expected = "a whole number" if minimum is None else f"a whole number >= {minimum}"
            raise InvalidValueError(field, value, f"expected {expected}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise InvalidValueError(field, value, f"expected a whole number >= {minimum}")
    return value


def text(field: str, value: object) -> str:
    """Return `value` if it is text; refuse numbers, bytes, `None`."""
    if isinstance(value, str):
        return value
    raise InvalidValueError(field, value, "expected text")


def texts(field: str, values: object) -> tuple[str, ...]:
    """Return a collection of text as a tuple; refuse a lone string (never read letter by letter).

    Raises:
        InvalidValueError: `values` is text or bytes, not iterable, or holds something else.
    """
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise InvalidValueError(
            field, values, "expected a collection of text (a tuple, list or set), not one string"
        )
    found = tuple(values)
    for index, item in enumerate(found):
        if not isinstance(item, str):
            raise InvalidValueError(f"{field}[{index}]", item, "expected text")
    return found


def items_of(field: str, values: object, kind: type | tuple[type, ...]) -> tuple[Any, ...]:
    """Return a collection of `kind` instances as a tuple; refuse anything else, naming it.

    Raises:
        InvalidValueError: `values` is text, bytes, a mapping or not iterable, or one of its
            items is not a `kind` (the field names its position: `rates[3]`).
    """
    if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise InvalidValueError(field, values, "expected a collection (a tuple or a list)")
    found = tuple(values)
    for index, item in enumerate(found):
        expect(f"{field}[{index}]", item, kind)
    return found


def check_source(source: object) -> None:
    """Refuse a source that is neither a path nor an open text stream (`None`, a number).

    Raises:
        InvalidValueError: `source` is of another type, or a path holding a NUL character.
    """
    if isinstance(source, (str, os.PathLike)):
        if "\x00" in str(os.fspath(source)):
            raise InvalidValueError("source", source, "a path cannot hold a NUL character")
    elif not callable(getattr(source, "read", None)) or not callable(
        getattr(source, "__iter__", None)
    ):
        raise InvalidValueError("source", source, "expected a path or an open text stream")


def decimal_digits(value: str, *, signed: bool = False) -> int | None:
    """Return the whole number ASCII decimal text writes (`"42"`, `"-5"` if `signed`), or `None`.

    Only ASCII digits count (not `"٤٢"`, `"4_2"`, `" 42"`, `"--5"`), and at most 100 of them:
    longer numbers name no code, count or timestamp, and `int()` refuses them past 4,300.
    """
    digits = value[1:] if signed and value[:1] == "-" else value
    if (
        not digits
        or len(digits) > _MAX_DECIMAL_DIGITS
        or not digits.isascii()
        or not digits.isdigit()
    ):
        return None
    return int(value)


def ascii_upper(value: str) -> str:
    """Return `value` in capitals if it is ASCII, else the empty string (which names nothing).

    `str.upper` maps look-alike letters onto ASCII ones (a dotless i becomes `I`): text that is
    not ASCII never names an ASCII enum value.
    """
    return value.upper() if value.isascii() else ""


# --- field validators -----------------------------------------------------------------------
# attrs validators for the fields of the answer types (`CostEstimate`, `RetryDecision`, ...),
# which the library builds and a host may build too (in tests, or loading what it kept). They
# check the type only, with the same words as the door converters, and convert nothing: one
# `isinstance` a field, so building an answer stays cheap.

FieldValidator = Callable[[Any, Any, Any], None]
"""An attrs validator: `(instance, attribute, value)`, raising `InvalidValueError`."""


def _kind_words(kind: type | tuple[type, ...], *, optional: bool) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = " or ".join(k.__name__ for k in kinds) + (" or None" if optional else "")
    return f"expected {'an' if names[:1] in 'AEIOU' else 'a'} {names}"


def is_a(kind: type | tuple[type, ...], *, optional: bool = False) -> FieldValidator:
    """Return a validator refusing a value that is not a `kind` (nor `None`, if `optional`).

    For a bool field, `is_a(bool)` refuses `0` and `"yes"`; for a whole number use `is_whole`
    (a bool is an int to `isinstance`).
    """
    reason = _kind_words(kind, optional=optional)

    def check(_instance: object, attribute: Any, value: object) -> None:  # noqa: ANN401
        if not isinstance(value, kind) and not (optional and value is None):
            raise InvalidValueError(attribute.name, value, reason)

    return check


def is_whole(*, optional: bool = False) -> FieldValidator:
    """Return a validator refusing a value that is not an int (a bool is refused too)."""
    reason = "expected a whole number" + (" or None" if optional else "")

    def check(_instance: object, attribute: Any, value: object) -> None:  # noqa: ANN401
        if value.__class__ is int or (optional and value is None):
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValueError(attribute.name, value, reason)

    return check


def _aware(field: str, value: object, *, optional: bool) -> None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(field, value)
    elif not (optional and value is None):
        reason = "expected an aware datetime" + (" or None" if optional else "")
        raise InvalidValueError(field, value, reason)


def is_instant(*, optional: bool = False) -> FieldValidator:
    """Return a validator refusing a value that is not an aware datetime (nor `None`)."""

    def check(_instance: object, attribute: Any, value: object) -> None:  # noqa: ANN401
        _aware(attribute.name, value, optional=optional)

    return check


def is_tuple_of(kind: type | tuple[type, ...]) -> FieldValidator:
    """Return a validator refusing a value that is not a tuple of `kind` (a list is refused).

    An item of another type is named by its position (`blockers[2]`). A `datetime` item must
    be aware.
    """
    reason = _kind_words(kind, optional=False)

    def check(_instance: object, attribute: Any, value: object) -> None:  # noqa: ANN401
        if not isinstance(value, tuple):
            raise InvalidValueError(attribute.name, value, f"expected a tuple ({reason})")
        for index, item in enumerate(value):
            if not isinstance(item, kind):
                raise InvalidValueError(f"{attribute.name}[{index}]", item, reason)
            if isinstance(item, dt.datetime):
                _aware(f"{attribute.name}[{index}]", item, optional=False)

    return check


def is_mapping_of(
    keys: type | tuple[type, ...], values: type | tuple[type, ...], *, optional: bool = False
) -> FieldValidator:
    """Return a validator refusing a value that is not a mapping of `keys` to `values`.

    A value of another type is named by its key (`cost[marketing]`); a count (`values` is
    `int`) refuses a bool.
    """
    key_reason = _kind_words(keys, optional=False)
    value_reason = _kind_words(values, optional=False)
    counts = values is int

    def check(_instance: object, attribute: Any, value: object) -> None:  # noqa: ANN401
        if optional and value is None:
            return
        if not isinstance(value, Mapping):
            raise InvalidValueError(attribute.name, value, "expected a mapping")
        for key, item in value.items():
            if not isinstance(key, keys):
                raise InvalidValueError(attribute.name, key, f"a key: {key_reason}")
            if not isinstance(item, values) or (counts and isinstance(item, bool)):
                raise InvalidValueError(f"{attribute.name}[{shown(key)}]", item, value_reason)

    return check
