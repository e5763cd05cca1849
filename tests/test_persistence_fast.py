"""The hand-written fast paths of the hot stored documents agree with the converter's paths.

Dumps write the very document the converter writes (same keys, same order, same JSON text).
The conversation's fast reader reads exactly the documents the converter reads to an equal
value, and gives up on anything else: `load_conversation` then refuses every damaged document
as the converter does.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    CallConnected,
    CallPermissionGranted,
    Conversation,
    InboundMessageReceived,
    OutboundMessageSent,
    PhoneNumberId,
    Provider,
    ReferralReceived,
    SendKind,
    StoredDataError,
    WaId,
    _wire,
    dump_conversation,
    load_conversation,
)
from wa_outbound._facts import EntryPoint
from wa_outbound._persistence import (
    _CONVERSATION,
    _fast_or_none,
    _generic_dump_conversation,
    _load_conversation,
    _read_exact_conversation,
)
from wa_outbound._persistence_account import _generic_dump_account_health
from wa_outbound._persistence_pacer import copy_pacer, dump_pacer
from wa_outbound.account import AccountHealth, dump_account_health
from wa_outbound.limits import Pacer
from wa_outbound.sending import OutboxEntry, OutboxStatus, dump_outbox_entry
from wa_outbound.sending._outbox import _generic_dump_outbox_entry
from wa_outbound.testing import (
    account_healths,
    conversations,
    instants,
    phone_number_ids,
    recipients,
)

from .conftest import T0
from .json_mutations import json_values, mutated, paths, with_value
from .test_persistence_pacer import PEOPLE, RULES, pacers

if TYPE_CHECKING:
    from collections.abc import Callable

# Few instants, so that ties between facts (and refusals of the domain checks) are common.
coarse = st.integers(min_value=0, max_value=6).map(lambda k: T0 + k * timedelta(minutes=1))

_INSTANTS = [
    "2026-11-23T10:00:00",  # naive
    "1969-12-31T23:59:59Z",  # before the supported range
    "3000-01-01T00:00:00Z",  # after it
    "2026-11-23T11:00:00+02:00",  # read as 09:00Z by both paths
    "2026-11-23T09:00:00.250000Z",
    "yesterday",
]
"""Instants a damaged document may hold: refused, or read the same by both paths."""


def _keys(document: dict[str, Any]) -> list[str]:
    return sorted({str(path[-1]) for path in paths(document)[1:]})


def _outcome(load: Callable[[Any], object], data: object) -> object:
    """What loading `data` gives: the value, or the refusal's class, field, value and reason."""
    try:
        return load(copy.deepcopy(data))
    except StoredDataError as error:
        return (type(error), error.field, error.value, error.reason)


@st.composite
def _with_extra_key(draw: st.DrawFn, bases: st.SearchStrategy[Any], keys: list[str]) -> Any:
    """A valid document with one more key in one of its objects (the document itself too)."""
    base = draw(bases)
    objects = [path for path in paths(base) if isinstance(_at(base, path), dict)]
    path = draw(st.sampled_from(objects))
    key = draw(st.sampled_from(keys) | st.text(max_size=6))
    return with_value(base, (*path, key), draw(json_values(keys, max_leaves=3)))


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _damaged(documents: st.SearchStrategy[dict[str, Any]], keys: list[str]) -> Any:
    values = json_values(keys) | st.sampled_from(_INSTANTS)
    return mutated(documents, values) | _with_extra_key(documents, keys)


# --- conversations --------------------------------------------------------------------------

SHOP = PhoneNumberId("106540352242922")
ANNA = WaId("4915123456789")
_CONVERSATION_KEYS = [
    *_keys(dump_conversation(Conversation(business=SHOP, recipient=ANNA))),
    *("at", "id", "referred_at", "entry_point", "replied_at"),
]


@given(conversations(coarse) | conversations())
def test_a_conversation_is_dumped_as_the_converter_dumps_it(conversation: Conversation) -> None:
    """The hand-written dump is the converter's document, key for key, in the same order."""
    fast, generic = dump_conversation(conversation), _generic_dump_conversation(conversation)
    assert json.dumps(generic) == json.dumps(fast)


@given(conversations(coarse) | conversations())
def test_the_fast_reader_reads_every_stored_conversation(conversation: Conversation) -> None:
    """Every document `dump_conversation` writes is read by hand, to the converter's value."""
    data = json.loads(json.dumps(dump_conversation(conversation)))
    body = _wire.check_header(data, _CONVERSATION)
    fast = _fast_or_none(_read_exact_conversation, body)
    assert fast is not None
    assert _load_conversation(data, fast=False) == fast
    assert conversation.consent.status == fast.consent.status
    assert conversation.consent.marketing == fast.consent.marketing


@given(_damaged(conversations(coarse).map(dump_conversation), _CONVERSATION_KEYS))
def test_a_damaged_conversation_loads_as_the_converter_loads_it(data: Any) -> None:
    """Any one change (a field dropped, retyped, added, a bad instant): the same value or error."""
    assert _outcome(lambda d: _load_conversation(d, fast=False), data) == _outcome(
        load_conversation, data
    )


@given(conversations(coarse))
def test_an_older_version_is_migrated_on_both_paths(conversation: Conversation) -> None:
    """A version 1 document (before the call log) is never read by hand: it is migrated."""
    data = dump_conversation(conversation)
    del data["calls"]
    data["version"] = 1
    assert _outcome(lambda d: _load_conversation(d, fast=False), data) == _outcome(
        load_conversation, data
    )


def test_the_domain_checks_run_after_the_fast_reader() -> None:
    """A well-formed conversation no facts build is read by hand, then refused as before."""
    c = Conversation(business=SHOP, recipient=ANNA).apply_all(
        [
            InboundMessageReceived(at=T0 + timedelta(minutes=5)),
            ReferralReceived(at=T0, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
            OutboundMessageSent(at=T0 + timedelta(minutes=1)),
            CallPermissionGranted(at=T0),
            CallConnected(at=T0, call_id="wacid.1"),
        ]
    )
    data = dump_conversation(c)
    data["entry_points"][0]["referred_at"] = "2026-11-23T09:10:00Z"  # after the last message
    assert _fast_or_none(_read_exact_conversation, _wire.check_header(data, _CONVERSATION))
    with pytest.raises(StoredDataError, match="later than last_inbound_message_at") as info:
        load_conversation(data)
    assert "entry_points[0].referred_at" == info.value.field
    assert _outcome(lambda d: _load_conversation(d, fast=False), data) == _outcome(
        load_conversation, data
    )


# --- outbox entries -------------------------------------------------------------------------

_json_bodies = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)
entries = st.builds(
    OutboxEntry,
    key=st.text(min_size=1, max_size=12),
    provider=st.sampled_from(Provider),
    business=phone_number_ids(),
    recipient=recipients(),
    kind=st.sampled_from(SendKind),
    status=st.sampled_from(OutboxStatus),
    created_at=instants(),
    updated_at=instants(),
    request=st.dictionaries(st.text(max_size=6), _json_bodies, max_size=4),
    message_id=st.text(max_size=8),
    error_code=st.none() | st.integers(),
    attempts=st.integers(min_value=0, max_value=40),
)
ENTRY = OutboxEntry(
    key="wao-1",
    provider=Provider.META,
    business=SHOP,
    recipient=ANNA,
    kind=SendKind.FREE_FORM,
    status=OutboxStatus.PENDING,
    created_at=T0,
    updated_at=T0,
    request={"path": "1/messages", "body": {"type": "text"}},
)


@given(entries)
def test_an_outbox_entry_is_dumped_as_the_converter_dumps_it(entry: OutboxEntry) -> None:
    """The hand-written dump is the converter's document, key for key, in the same order."""
    assert json.dumps(_generic_dump_outbox_entry(entry)) == json.dumps(dump_outbox_entry(entry))


def _scribble(value: object) -> None:
    """Change every list and object inside `value`."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")


@given(entries)
def test_a_dumped_entry_shares_nothing_with_the_entry(entry: OutboxEntry) -> None:
    """Changing the document's request, at any depth, leaves the entry's request as it was."""
    before = copy.deepcopy(entry.request)
    _scribble(dump_outbox_entry(entry)["request"])
    assert before == entry.request


@pytest.mark.parametrize(
    "request_",
    [
        {"body": {"at": T0}},
        {"body": [SendKind.FREE_FORM]},
        {"body": {1: "one"}},
        {2: "two"},
        {"body": frozenset({"x"})},
    ],
)
def test_a_request_that_is_not_plain_json_is_dumped_by_the_converter(request_: Any) -> None:
    """A request holding what is not JSON (an instant, an enum, a number key) is the converter's."""
    entry = attrs.evolve(ENTRY, request=request_)
    assert _generic_dump_outbox_entry(entry) == dump_outbox_entry(entry)


# --- account health and pacers --------------------------------------------------------------


@given(account_healths(coarse) | account_healths())
def test_an_account_health_is_dumped_as_the_converter_dumps_it(health: AccountHealth) -> None:
    """The hand-written dump is the converter's document, key for key, in the same order."""
    generic = _generic_dump_account_health(health)
    assert json.dumps(generic) == json.dumps(dump_account_health(health))


@given(pacers, st.lists(st.tuples(st.sampled_from(PEOPLE), coarse), max_size=5))
def test_a_copied_pacer_answers_as_the_original_and_records_apart(
    pacer: Pacer, later: list[Any]
) -> None:
    """A copy answers as the original does; what the copy records leaves the original as it was."""
    before = dump_pacer(pacer)
    clone = copy_pacer(pacer)
    assert before == dump_pacer(clone)
    for recipient, at in later:
        assert pacer.peek(recipient, at) == clone.peek(recipient, at)
    for recipient, at in later:
        clone.admit(recipient, at)
    assert before == dump_pacer(pacer)


def test_a_pacer_of_a_subclass_is_copied_as_itself() -> None:
    """A host's own subclass of `Pacer` keeps its class and its own state in a copy."""

    class Tagged(Pacer):
        __slots__ = ("tag",)

    pacer = Tagged(business=SHOP, rules=RULES)
    pacer.tag = "mine"
    clone = copy_pacer(pacer)
    assert (Tagged, "mine") == (type(clone), clone.tag)
    assert dump_pacer(pacer) == dump_pacer(clone)
