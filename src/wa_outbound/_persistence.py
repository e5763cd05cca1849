"""Store the values with state as JSON-compatible data and load back equal values.

Theory of operation
-------------------
Every value that changes as facts arrive has a stored document: `Conversation` here, and
`ConversationCharges`; `TemplateState` and `TemplateCatalogue` in `_persistence_templates`;
`AccountHealth` in `_persistence_account`; the mutable `Pacer` in `_persistence_pacer`; the
limit ledger in `_ledger`; a webhook event and a message's delivery in `wa_outbound.webhooks`.
Each document is plain JSON types (instants as ISO 8601 strings in UTC, enums by value,
identities as strings) behind a `format` / `version` header (`_wire.StoredFormat`), so that a
later release can migrate it (`_wire.check_header` decides what a version gets).

Loading is as strict as constructing, and stricter where the constructor trusts `apply`: a
missing or unknown field, a naive instant, an unknown enum value, an invalid identity, and a
value that no sequence of facts could have built (a granted call permission without the
instant it was granted, histories out of order) raise `StoredDataError` naming the path and the
value. Nothing is defaulted; nothing is repaired.

This module holds the parts the others share: the converter (the wire module's, with every
field required and unknown keys refused, plus hooks for the few classes whose fields cattrs
cannot read alone), `read` (structure a body, naming the field a constructor refused) and
`refused` (an invariant's refusal). cattrs is imported on first use, which keeps
`import wa_outbound` cheap.

Fast paths: the documents every send writes (a conversation here, an account health, an
outbox entry; a pacer's always was) are dumped by hand, into the very dict the converter
builds (same keys, same order). A stored conversation, which every send reads, is also read
by hand when it is exactly well-formed: the current version, every field present with its
JSON type, nothing extra. Anything else makes that reader give up, and the converter reads the
document as before: every refusal keeps its words, every migration still runs, and the checks
of what facts can build run after either reader. The converter's own paths stay reachable
(`_generic_...`, `_load_conversation(..., fast=False)`) so that the tests prove both agree.
"""

from __future__ import annotations

import enum
import functools
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import attrs

from wa_outbound import _wire
from wa_outbound._account import Restriction
from wa_outbound._conversation import (
    KEPT_CALL_MARKS,
    CallLog,
    CallMark,
    CallPermission,
    CallPermissionStatus,
    Consent,
    Conversation,
    EntryPointVisit,
)
from wa_outbound._cost import ConversationCharges
from wa_outbound._errors import InvalidValueError, StoredDataError, expect
from wa_outbound._facts import EntryPoint
from wa_outbound._ids import PhoneNumberId
from wa_outbound._time import iso_instant

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    import cattrs

    from wa_outbound._ids import Recipient

__all__ = [
    "FORMAT",
    "VERSION",
    "converter",
    "dump",
    "dump_charges",
    "dump_conversation",
    "dump_recipient",
    "dump_restriction",
    "load_charges",
    "load_conversation",
    "read",
    "refused",
    "stored_instant",
    "type_text",
]

_T = TypeVar("_T")

FORMAT: Final = "wa_outbound.conversation"
"""The `format` header of a stored conversation."""
VERSION: Final = 2
"""The `version` header this release writes (2 adds the call log)."""


def _add_call_log(body: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: a conversation stored before the call log had counted nothing."""
    return {
        **body,
        "calls": {
            "permission_requests": [],
            "connected_calls": [],
            "last_connected_at": None,
            "unanswered_calls": [],
        },
    }


_CONVERSATION: Final = _wire.StoredFormat(
    name=FORMAT, version=VERSION, migrations={1: _add_call_log}
)
_CHARGES: Final = _wire.StoredFormat(name="wa_outbound.conversation_charges", version=1)
_RESTRICTION_KEYS: Final = frozenset({"restriction_type", "until"})
_INEXACT: Final = "not the exact stored shape"
_LATER_THAN_INBOUND: Final = "later than last_inbound_message_at"


# --- the shared parts -----------------------------------------------------------------------


def _stored_keys(cls: type) -> frozenset[str]:
    """Return the keys the converter writes for the attrs class `cls`: its `__init__` fields."""
    return frozenset(field.name for field in attrs.fields(cls) if field.init)


_CONVERSATION_KEYS: Final = _stored_keys(Conversation)
_VISIT_KEYS: Final = _stored_keys(EntryPointVisit)
_CONSENT_KEYS: Final = _stored_keys(Consent)
_PERMISSION_KEYS: Final = _stored_keys(CallPermission)
_CALL_LOG_KEYS: Final = _stored_keys(CallLog)
_MARK_KEYS: Final = _stored_keys(CallMark)
_NO_PERMISSION: Final = CallPermission()
_NO_CALLS: Final = CallLog()


@functools.cache
def converter() -> cattrs.Converter:
    """Return the persistence converter: strict wire hooks, every field required."""
    result = _wire.make_converter()
    result.register_unstructure_hook(Restriction, dump_restriction)
    result.register_structure_hook(Restriction, _read_restriction)
    return result


def type_text(restriction: Restriction) -> str:
    """Return a restriction's type as Meta spells it (a member's value, or Meta's own text)."""
    kind: object = restriction.restriction_type
    return kind.value if isinstance(kind, enum.Enum) else str(kind)


def dump_restriction(restriction: Restriction) -> dict[str, Any]:
    """Return a restriction as it is stored: its type as text, and its end (or `None`)."""
    until = restriction.until
    return {
        "restriction_type": type_text(restriction),
        "until": None if until is None else iso_instant(until),
    }


def _read_restriction(value: object, _type: object) -> Restriction:
    """Read `{"restriction_type": ..., "until": ...}`: the type as text, known or not."""
    data = _wire.json_object(value)
    _wire.check_keys(data, _RESTRICTION_KEYS, _RESTRICTION_KEYS)
    kind = _wire.required(data, "restriction_type", read=_wire.string)
    until = _wire.optional(data, "until", "", _wire.instant)
    try:
        return Restriction(restriction_type=kind, until=until)
    except InvalidValueError as error:
        raise _wire.invalid("restriction_type", error) from None


def dump(stored: _wire.StoredFormat, value: object, cls: type, field: str) -> dict[str, Any]:
    """Return `value` (a `cls`, the argument `field`) unstructured behind `stored`'s header.

    Raises:
        InvalidValueError: `value` is not a `cls`.
    """
    expect(field, value, cls)
    data = _wire.header(stored)
    data.update(converter().unstructure(value, cls))
    return data


def read(body: Mapping[str, Any], cls: type[_T]) -> _T:
    """Return a stored body (header removed) read as `cls`.

    Raises:
        StoredDataError: A field is missing, unknown or invalid; the error names its path. A
            field that `cls`'s own constructor refuses is named by the constructor's field.
    """
    try:
        return converter().structure(body, cls)
    except Exception as error:  # every failure becomes one clear error
        refusal = _own_refusal(error)
        if refusal is not None:
            raise StoredDataError(refusal.field, refusal.value, refusal.reason) from error
        raise _wire.refuse(StoredDataError, error, body) from error


def _own_refusal(error: BaseException) -> InvalidValueError | None:
    """Return the refusal of `cls`'s own constructor, if that is what `error` is.

    cattrs reports it as a group without notes (no field was being read): its field is the
    constructor's, a top-level one. Anything deeper is left to `_wire.explain`.
    """
    import cattrs  # noqa: PLC0415 - only a converter's errors come here

    if isinstance(error, cattrs.ClassValidationError):
        with_notes, without = error.group_exceptions()
        if not with_notes and len(without) == 1:
            error = without[0]
    return error if isinstance(error, InvalidValueError) else None


def refused(path: str, value: object, reason: str) -> NoReturn:
    """Raise the `StoredDataError` of a stored value that no sequence of facts builds."""
    raise StoredDataError(path, value, reason)


def stored_instant(value: datetime | None) -> str | None:
    """Return an instant as it is stored (`None` as `None`), for an error's value too."""
    return None if value is None else iso_instant(value)


def dump_recipient(recipient: Recipient) -> dict[str, str]:
    """Return a recipient as it is stored: `{"wa_id": ...}` or `{"bsuid": ...}`."""
    return {_wire.recipient_key(recipient): recipient.value}


# --- the fast readers' parts ----------------------------------------------------------------


def _fast_or_none(
    read_exact: Callable[[Mapping[str, Any]], _T], body: Mapping[str, Any]
) -> _T | None:
    """Return `read_exact(body)`, or `None` if it refused the body (the converter then reads it).

    A fast reader only ever reads a body the converter reads to an equal value; whatever else
    it meets, the converter decides, and names the refusal in its own words.
    """
    try:
        return read_exact(body)
    except Exception:  # noqa: BLE001 - any doubt at all: the converter reads it
        return None


def _exact(value: object, keys: frozenset[str]) -> dict[str, Any]:
    """Return `value` if it is a dict with exactly `keys` (a fast reader gives up otherwise)."""
    if value.__class__ is dict and value.keys() == keys:
        return value
    raise _wire.WireError("", value, _INEXACT)


def _exact_list(value: object) -> list[Any]:
    """Return `value` if it is a list (a fast reader gives up otherwise)."""
    if value.__class__ is list:
        return value
    raise _wire.WireError("", value, _INEXACT)


def _instant_or_none(value: object) -> datetime | None:
    """Return `None` for `null`, or the instant a string names (`_wire.instant`)."""
    return None if value is None else _wire.instant(value)


def _read_recipient(value: object) -> Recipient:
    """Return the recipient `dump_recipient` wrote (a fast reader gives up otherwise)."""
    if value.__class__ is dict and len(value) == 1:
        ((key, text),) = value.items()
        return _wire.recipient(key, text)
    raise _wire.WireError("", value, _INEXACT)


# --- conversations --------------------------------------------------------------------------


def dump_conversation(conversation: Conversation) -> dict[str, Any]:
    """Return `conversation` as JSON-compatible data (dicts, lists, strings, `None`).

    `json.dumps(dump_conversation(c))` is the usual way to store it.
    """
    expect("conversation", conversation, Conversation)
    c = conversation
    consent, permission, log = c.consent, c.call_permission, c.calls
    return {
        "format": FORMAT,
        "version": VERSION,
        "business": c.business.value,
        "recipient": dump_recipient(c.recipient),
        "last_inbound_message_at": stored_instant(c.last_inbound_message_at),
        "last_inbound_call_at": stored_instant(c.last_inbound_call_at),
        "window_closed_at": stored_instant(c.window_closed_at),
        "last_outbound_at": stored_instant(c.last_outbound_at),
        "entry_points": [
            {
                "referred_at": iso_instant(visit.referred_at),
                "entry_point": visit.entry_point.value,
                "replied_at": stored_instant(visit.replied_at),
            }
            for visit in c.entry_points
        ],
        "consent": {
            "opted_in_at": stored_instant(consent.opted_in_at),
            "opt_in_method": consent.opt_in_method,
            "opted_out_at": stored_instant(consent.opted_out_at),
            "opt_out_method": consent.opt_out_method,
            "marketing_opted_out_at": stored_instant(consent.marketing_opted_out_at),
            "marketing_resumed_at": stored_instant(consent.marketing_resumed_at),
        },
        "call_permission": {
            "status": permission.status.value,
            "since": stored_instant(permission.since),
            "expires_at": stored_instant(permission.expires_at),
        },
        "calls": {
            "permission_requests": _dump_marks(log.permission_requests),
            "connected_calls": _dump_marks(log.connected_calls),
            "last_connected_at": stored_instant(log.last_connected_at),
            "unanswered_calls": _dump_marks(log.unanswered_calls),
        },
    }


def _dump_marks(marks: tuple[CallMark, ...]) -> list[dict[str, Any]]:
    return [{"at": iso_instant(mark.at), "id": mark.id} for mark in marks]


def _generic_dump_conversation(conversation: Conversation) -> dict[str, Any]:
    """`dump_conversation` through the converter (the tests prove both write the same)."""
    return dump(_CONVERSATION, conversation, Conversation, "conversation")


def load_conversation(data: object) -> Conversation:
    """Return the `Conversation` stored by `dump_conversation`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored conversation of a version this release
            reads; a field is missing, unknown or invalid; or the conversation is one no
            sequence of facts builds (a call permission answered without its instant, calls or
            visits out of order or later than the messages they are part of, a method without its
            opt-in). The error names the field path and its value.
    """
    return _load_conversation(data, fast=True)


def _load_conversation(data: object, *, fast: bool) -> Conversation:
    """`load_conversation`, with the fast reader tried first or not (the tests compare both)."""
    body = _wire.check_header(data, _CONVERSATION)
    conversation = _fast_or_none(_read_exact_conversation, body) if fast else None
    if conversation is None:
        conversation = read(body, Conversation)
    _check_call_permission(conversation)
    _check_call_log(conversation)
    _check_consent(conversation)
    _check_entry_points(conversation, body)
    return conversation


def _read_exact_conversation(body: Mapping[str, Any]) -> Conversation:
    """Read a body of exactly the current shape by hand; raise at anything else."""
    _exact(body, _CONVERSATION_KEYS)
    consent = _exact(body["consent"], _CONSENT_KEYS)
    return Conversation(
        business=PhoneNumberId(_wire.string(body["business"])),
        recipient=_read_recipient(body["recipient"]),
        last_inbound_message_at=_instant_or_none(body["last_inbound_message_at"]),
        last_inbound_call_at=_instant_or_none(body["last_inbound_call_at"]),
        window_closed_at=_instant_or_none(body["window_closed_at"]),
        last_outbound_at=_instant_or_none(body["last_outbound_at"]),
        entry_points=tuple(map(_read_exact_visit, _exact_list(body["entry_points"]))),
        consent=Consent(
            opted_in_at=_instant_or_none(consent["opted_in_at"]),
            opt_in_method=_wire.string(consent["opt_in_method"]),
            opted_out_at=_instant_or_none(consent["opted_out_at"]),
            opt_out_method=_wire.string(consent["opt_out_method"]),
            marketing_opted_out_at=_instant_or_none(consent["marketing_opted_out_at"]),
            marketing_resumed_at=_instant_or_none(consent["marketing_resumed_at"]),
        ),
        call_permission=_read_exact_permission(body["call_permission"]),
        calls=_read_exact_log(body["calls"]),
    )


def _read_exact_visit(value: object) -> EntryPointVisit:
    visit = _exact(value, _VISIT_KEYS)
    return EntryPointVisit(
        referred_at=_wire.instant(visit["referred_at"]),
        entry_point=_wire.member(EntryPoint, visit["entry_point"]),
        replied_at=_instant_or_none(visit["replied_at"]),
    )


def _read_exact_permission(value: object) -> CallPermission:
    permission = _exact(value, _PERMISSION_KEYS)
    status = _wire.member(CallPermissionStatus, permission["status"])
    since = _instant_or_none(permission["since"])
    expires_at = _instant_or_none(permission["expires_at"])
    if status is CallPermissionStatus.NONE and since is None and expires_at is None:
        return _NO_PERMISSION  # the usual answer (none yet): one value shared (frozen)
    return CallPermission(status=status, since=since, expires_at=expires_at)


def _read_exact_log(value: object) -> CallLog:
    log = _exact(value, _CALL_LOG_KEYS)
    requests, connected, unanswered = (
        _read_exact_marks(log[name])
        for name in ("permission_requests", "connected_calls", "unanswered_calls")
    )
    last = _instant_or_none(log["last_connected_at"])
    if last is None and not (requests or connected or unanswered):
        return _NO_CALLS  # the usual log (no calls yet): one value shared (frozen)
    return CallLog(
        permission_requests=requests,
        connected_calls=connected,
        last_connected_at=last,
        unanswered_calls=unanswered,
    )


def _read_exact_marks(value: object) -> tuple[CallMark, ...]:
    marks = _exact_list(value)
    if not marks:
        return ()
    return tuple(map(_read_exact_mark, marks))


def _read_exact_mark(value: object) -> CallMark:
    mark = _exact(value, _MARK_KEYS)
    return CallMark(at=_wire.instant(mark["at"]), id=_wire.string(mark["id"]))


def _check_call_permission(c: Conversation) -> None:
    permission = c.call_permission
    status, since, expires_at = permission.status, permission.since, permission.expires_at
    if status is CallPermissionStatus.NONE:
        if since is not None:
            refused("call_permission.since", stored_instant(since), "no answer was recorded")
    elif since is None:
        # Never read as a permanent grant: a grant's length depends on when it was given.
        refused("call_permission.since", None, f"a {status.value} permission has its instant")
    if expires_at is None:
        return
    value = stored_instant(expires_at)
    if status is not CallPermissionStatus.GRANTED:
        refused("call_permission.expires_at", value, "only a granted permission expires")
    if since is not None and expires_at <= since:
        refused("call_permission.expires_at", value, f"must be after since={stored_instant(since)}")


def _check_call_log(c: Conversation) -> None:
    log = c.calls
    if not (log.permission_requests or log.connected_calls or log.unanswered_calls):
        return  # nothing to refuse: the checks below look at marks only
    for name, kept in KEPT_CALL_MARKS.items():
        marks = getattr(log, name)
        if len(marks) > kept:
            refused(f"calls.{name}", len(marks), f"only the latest {kept} are kept")
        if list(marks) != sorted(set(marks)):
            refused(f"calls.{name}", [stored_instant(m.at) for m in marks], "kept oldest first")
    connected, last = log.connected_calls, log.last_connected_at
    if connected and (last is None or last < connected[-1].at):
        refused(
            "calls.last_connected_at",
            None if last is None else stored_instant(last),
            f"a call connected at {stored_instant(connected[-1].at)}",
        )
    ids = [m.id for m in connected if m.id]
    for name in ("connected_calls", "unanswered_calls"):
        marks = getattr(log, name)
        named = [m.id for m in marks if m.id]
        if len(named) != len(set(named)):
            refused(f"calls.{name}", named, "one mark per call")
    answered = [m.id for m in log.unanswered_calls if m.id in ids]
    if answered:
        refused("calls.unanswered_calls", answered, "these calls connected")


def _check_consent(c: Conversation) -> None:
    consent = c.consent
    if consent.opted_in_at is None and consent.opt_in_method:
        refused("consent.opt_in_method", consent.opt_in_method, "no opt-in was recorded")
    if consent.opted_in_at is not None and not consent.opt_in_method.strip():
        refused("consent.opt_in_method", consent.opt_in_method, "an opt-in has its method")
    if consent.opted_out_at is None and consent.opt_out_method:
        refused("consent.opt_out_method", consent.opt_out_method, "no opt-out was recorded")


def _check_entry_points(c: Conversation, body: Mapping[str, Any]) -> None:
    visits = c.entry_points
    if len(visits) > 2:  # noqa: PLR2004 - the machine keeps the latest two
        refused("entry_points", body["entry_points"], "only the latest two visits are kept")
    inbound, outbound = c.last_inbound_message_at, c.last_outbound_at
    for index, visit in enumerate(visits):
        path = f"entry_points[{index}]"
        referred, replied = visit.referred_at, visit.replied_at
        if index and visits[index - 1].referred_at >= referred:
            refused(f"{path}.referred_at", stored_instant(referred), "visits are kept oldest first")
        if inbound is None or referred > inbound:
            # A referral is an inbound message: it moves last_inbound_message_at too.
            refused(f"{path}.referred_at", stored_instant(referred), _LATER_THAN_INBOUND)
        if replied is None:
            continue
        if replied < referred:
            refused(f"{path}.replied_at", stored_instant(replied), "a reply comes after the visit")
        if outbound is None or replied > outbound:
            refused(f"{path}.replied_at", stored_instant(replied), "later than last_outbound_at")
    if len(visits) == 2:  # noqa: PLR2004
        _check_replies(*visits)


def _check_replies(first: EntryPointVisit, second: EntryPointVisit) -> None:
    """Refuse replies that contradict: one sent after both visits began answers both."""
    reply = first.replied_at
    if reply is None or reply < second.referred_at:
        return
    later = second.replied_at
    if later is None or later > reply:
        refused(
            "entry_points[1].replied_at",
            stored_instant(later),
            f"the business replied at {stored_instant(reply)}, after this visit",
        )


# --- conversation charges -------------------------------------------------------------------


def dump_charges(charges: ConversationCharges) -> dict[str, Any]:
    """Return `charges` as JSON-compatible data: the end of each category's conversation."""
    return dump(_CHARGES, charges, ConversationCharges, "charges")


def load_charges(data: object) -> ConversationCharges:
    """Return the `ConversationCharges` stored by `dump_charges`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not stored charges of a version this release reads, or
            a field is missing, unknown or not an aware instant; the error names it.
    """
    return read(_wire.check_header(data, _CHARGES), ConversationCharges)
