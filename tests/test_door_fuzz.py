"""Every public function and constructor, called with hostile arguments, raises only our errors.

Issue #17's door test. The callables are enumerated from the public modules' `__all__` (the
rim packages that do I/O, `stores` and `state`, and the Hypothesis strategies of `testing` are
left to their own tests). Each call starts from arguments that make sense (by the parameter's
annotation, or its default) and replaces some of them with hostile values: wrong types, huge
ints, Unicode digits, instants at both ends of the calendar and with odd offsets, huge strings.
Whatever happens, the only exceptions are `WaOutboundError` subclasses.

A second test drives the mutable values (`Pacer`, `TokenBucket`, `LimitLedger`, its in-memory
store) with a mix of good and hostile calls: a refused call leaves them equal to before.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import inspect
import io
import itertools
import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wa_outbound import (
    AccountHealth,
    Conversation,
    InboundMessageReceived,
    MessagingLimit,
    PhoneNumberId,
    WaId,
    WaOutboundError,
    builtin_rate_card,
    rules_at,
)
from wa_outbound.limits import (
    InMemoryLedgerStore,
    LimitLedger,
    LimitScopeKey,
    Pacer,
    TokenBucket,
    dump_ledger,
    dump_pacer,
)
from wa_outbound.pricing import builtin_market_map
from wa_outbound.templates import TemplateState, template_from_graph

UTC = timezone.utc
T0: Final = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULES: Final = rules_at(T0)
BUSINESS: Final = PhoneNumberId("106540352242922")
USER: Final = WaId("4915123456789")
SCOPE: Final = LimitScopeKey.under(RULES, phone_number=BUSINESS, portfolio="102290129340398")
PUBLIC_MODULES: Final = (
    "wa_outbound",
    "wa_outbound.templates",
    "wa_outbound.account",
    "wa_outbound.limits",
    "wa_outbound.pricing",
    "wa_outbound.campaigns",
    "wa_outbound.error_codes",
    "wa_outbound.webhooks",
)
GRAPH_TEMPLATE: Final = {
    "name": "order_update",
    "language": "en_US",
    "category": "UTILITY",
    "components": [{"type": "BODY", "text": "Your order {{1}} has shipped."}],
}

# --- hostile values -----------------------------------------------------------------------

ODD_OFFSETS: Final = [
    timezone(timedelta(hours=23, minutes=59)),
    timezone(-timedelta(hours=23, minutes=59)),
    timezone(timedelta(seconds=1)),
]
EXTREME_INSTANTS: Final = [
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    *(datetime.min.replace(tzinfo=offset) for offset in ODD_OFFSETS),
    *(datetime.max.replace(tzinfo=offset) for offset in ODD_OFFSETS),
    datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 1, 1),  # naive
]
FIXED_HOSTILE: Final[list[object]] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63),
    10**5000,
    -(10**5000),
    math.nan,
    math.inf,
    -0.0,
    Decimal("NaN"),
    Decimal("1E+999999"),
    "",
    " ",
    "--5",
    "\u0664\u0662",  # Arabic-Indic 42
    "1_000",
    "1" * 5000,
    "x" * 100_000,
    "ut\u0131l\u0131ty",
    "UTILITY",
    "marketing",
    "meta",
    "free_form",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59Z",
    b"\xff\xfe",
    [],
    [None],
    {},
    {"": None},
    (),
    object(),
    timedelta.max,
    timedelta.min,
    timedelta(0),
    date.min,
    *EXTREME_INSTANTS,
]
hostile: Final = st.one_of(
    st.sampled_from(FIXED_HOSTILE),
    st.integers(),
    st.text(max_size=20),
    st.datetimes(timezones=st.sampled_from([UTC, *ODD_OFFSETS])),
    st.timedeltas(),
    st.floats(),
)

# --- sensible values, by annotation --------------------------------------------------------


def _enums() -> dict[str, type[enum.Enum]]:
    found: dict[str, type[enum.Enum]] = {}
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            value = getattr(module, attribute, None)
            if isinstance(value, type) and issubclass(value, enum.Enum):
                found[attribute] = value
    return found


ENUMS: Final = _enums()
SENSIBLE: Final[dict[str, Callable[[], object]]] = {
    "datetime": lambda: T0,
    "date": T0.date,
    "timedelta": lambda: timedelta(hours=1),
    "int": lambda: 1,
    "float": lambda: 1.0,
    "Decimal": lambda: Decimal("0.01"),
    "bool": lambda: False,
    "str": lambda: "DE",
    "bytes": lambda: b"{}",
    "object": lambda: "x",
    "Any": lambda: "x",
    "Conversation": lambda: Conversation(business=BUSINESS, recipient=USER),
    "Rules": lambda: RULES,
    "PhoneNumberId": lambda: BUSINESS,
    "Recipient": lambda: USER,
    "WaId": lambda: USER,
    "MessagingLimit": lambda: MessagingLimit(users=250),
    "RateCard": builtin_rate_card,
    "MarketMap": builtin_market_map,
    "AccountHealth": AccountHealth,
    "Template": lambda: template_from_graph(GRAPH_TEMPLATE),
    "TemplateState": lambda: TemplateState(template_id="1", name="order_update"),
    "Fact": lambda: InboundMessageReceived(at=T0),
    "LimitLedger": lambda: LimitLedger(scope=SCOPE, rules=RULES),
    "Pacer": lambda: Pacer(business=BUSINESS, rules=RULES),
}
STREAM_TEXT: Final = "phone,last_inbound_at\n4915123456789,2026-11-20T09:00:00Z\n"


def _sensible(parameter: inspect.Parameter) -> Callable[[], object] | None:  # noqa: PLR0911
    """A maker of a sensible value for the parameter, or `None` if none is known."""
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if "TextIO" in text:
        return lambda: io.StringIO(STREAM_TEXT)
    first = text.split(" | ")[0].strip()
    base = first.split("[")[0]
    if base in SENSIBLE:
        return SENSIBLE[base]
    if base in ENUMS:
        return lambda: next(iter(ENUMS[base]))
    if base in {"Iterable", "Sequence", "Collection", "tuple"}:
        return tuple
    if base in {"Mapping", "dict"}:
        return dict
    if parameter.default is not inspect.Parameter.empty:
        return lambda: parameter.default
    return None


def _callables() -> dict[str, Callable[..., object]]:
    found: dict[str, Callable[..., object]] = {}
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            value = getattr(module, attribute, None)
            if not callable(value) or any(value is seen for seen in found.values()):
                continue
            if isinstance(value, type) and issubclass(value, (BaseException, enum.Enum)):
                continue
            if getattr(value, "_is_protocol", False):
                continue
            found[f"{name}.{attribute}"] = value
    return found


CALLABLES: Final = _callables()
EXAMPLES: Final = settings.default.max_examples
"""Many examples in the fuzz profile (CI's fuzz pass); a few per door in the others."""
DOOR_EXAMPLES: Final = 300 if EXAMPLES >= 1000 else 10
"""300 per door in the fuzz profile: about 190 doors, so 57,000 hostile calls in one CI pass
(2,000 per door made the pass alone about ten minutes on two cores)."""


def _signature(function: Callable[..., object]) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without one
        return None


def _consume(result: object) -> None:
    """Run a lazy answer (a generator of rows or sends) far enough to meet its checks."""
    if isinstance(result, Iterator):
        for _ in itertools.islice(result, 1000):
            pass


@st.composite
def _arguments(
    draw: st.DrawFn, signature: inspect.Signature
) -> tuple[list[object], dict[str, object]]:
    positional: list[object] = []
    keywords: dict[str, object] = {}
    parameters = [
        p
        for p in signature.parameters.values()
        if p.kind not in {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    ]
    names = [p.name for p in parameters]
    spoiled = draw(st.sets(st.sampled_from(names), max_size=2)) if names else set()
    for parameter in parameters:
        maker = _sensible(parameter)
        if parameter.name in spoiled or maker is None:
            value = draw(hostile)
        elif parameter.default is not inspect.Parameter.empty and draw(st.booleans()):
            continue  # left to its default
        else:
            value = maker()
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(value)
        else:
            keywords[parameter.name] = value
    return positional, keywords


@pytest.mark.fuzz
@pytest.mark.parametrize("name", sorted(CALLABLES))
@settings(
    max_examples=DOOR_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_public_door_raises_only_our_errors(name: str, data: st.DataObject) -> None:
    """Sensible arguments with one or two hostile ones: an answer, or a `WaOutboundError`."""
    function = CALLABLES[name]
    signature = _signature(function)
    if signature is None:
        return
    positional, keywords = data.draw(_arguments(signature))
    # A file that cannot be opened is the file system's answer (documented as `OSError`).
    allowed = (WaOutboundError, OSError) if "source" in signature.parameters else WaOutboundError
    with contextlib.suppress(allowed):
        _consume(function(*positional, **keywords))


# --- class 3: a refused call changes nothing ---------------------------------------------------


def _ledger() -> LimitLedger:
    ledger = LimitLedger(scope=SCOPE, rules=RULES)
    ledger.record(USER, T0)
    return ledger


def _pacer() -> Pacer:
    pacer = Pacer(business=BUSINESS, rules=RULES)
    pacer.admit(USER, T0)
    return pacer


def _bucket_state(bucket: TokenBucket) -> tuple[object, ...]:
    return (bucket.peek(T0), bucket.is_full(T0), repr(bucket))


def _store_state(store: InMemoryLedgerStore) -> tuple[object, ...]:
    return (sorted(store.items(), key=repr), store.oldest(), len(store))


MUTABLES: Final[dict[str, tuple[Callable[[], Any], Callable[[Any], object], list[str]]]] = {
    "Pacer": (_pacer, dump_pacer, ["admit", "peek"]),
    "TokenBucket": (lambda: TokenBucket(interval=timedelta(seconds=1)), _bucket_state, ["admit"]),
    "LimitLedger": (
        _ledger,
        dump_ledger,
        ["record", "opened", "remaining", "would_count", "next_release_at"],
    ),
    "InMemoryLedgerStore": (InMemoryLedgerStore, _store_state, ["set_counted", "expire"]),
}


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", sorted(MUTABLES))
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_refused_call_leaves_the_value_as_it_was(kind: str, data: st.DataObject) -> None:
    """A mutator that refuses its arguments leaves the pacer, ledger or store equal to before."""
    build, state, methods = MUTABLES[kind]
    value = build()
    for _ in range(data.draw(st.integers(1, 5))):
        method = getattr(value, data.draw(st.sampled_from(methods)))
        signature = _signature(method)
        assert signature is not None
        positional, keywords = data.draw(_arguments(signature))
        before = state(value)
        try:
            method(*positional, **keywords)
        except WaOutboundError:
            assert before == state(value)
