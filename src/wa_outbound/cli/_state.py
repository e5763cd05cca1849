"""`state`: what a state store knows, and what may be sent now."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._errors import InvalidValueError
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._kinds import SendKind
from wa_outbound.cli._common import (
    answer_change_text,
    console,
    escape,
    future_note,
    instant,
    iso,
    member_text,
    print_json,
    words,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from datetime import datetime

    from wa_outbound.state import SenderState

HELP = "show what a state store (SQLite) knows and what may be sent now"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The store's file, and what to look up in it."""
    parser.add_argument("database", metavar="DB", help="the SQLite file a SenderState keeps")
    parser.add_argument(
        "--recipient", metavar="ID", help="a WhatsApp id (4915123456789) or business-scoped id"
    )
    parser.add_argument(
        "--template", metavar="NAME:LANGUAGE", help="a template, e.g. spring_sale:en_US"
    )
    parser.add_argument("--account", action="store_true", help="the account health of every number")
    parser.add_argument("--business", metavar="ID", help="only this business phone number id")
    parser.add_argument(
        "--at", type=instant, metavar="DATE", help="instant to decide at (UTC; default: now)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _recipient(text: str) -> WaId | BusinessScopedUserId:
    digits = text.removeprefix("+").replace(" ", "")
    if digits.isascii() and digits.isdigit():
        return WaId(digits)
    return BusinessScopedUserId(text)


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Open the store read-mostly and report on what was asked (everything known by default)."""
    from wa_outbound.state import SenderState  # noqa: PLC0415 - loaded for this command only
    from wa_outbound.stores import SqliteStore  # noqa: PLC0415

    if not os.path.exists(args.database):  # noqa: PTH110 - a path from the command line
        raise InvalidValueError("DB", args.database, "no such file")
    clock_now = clock()
    now = args.at if args.at is not None else clock_now
    future_note(now, clock_now)
    store = SqliteStore(args.database)
    try:
        state = SenderState.from_store(store)
        report = _report(state, args, now)
    finally:
        store.close()
    if args.json:
        print_json(report, out)
    else:
        print_report(report, out)
    return 0


def _report(state: SenderState, args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    numbers = [
        number
        for number in state.numbers
        if args.business is None or number.phone_number_id.value == args.business
    ]
    if args.business is not None and not numbers:
        raise InvalidValueError("--business", args.business, "not a number this store knows")
    report: dict[str, Any] = {
        "at": iso(now),
        "numbers": [
            {
                "phone_number_id": n.phone_number_id.value,
                "waba_id": n.waba_id,
                "portfolio_id": n.portfolio_id,
                "display_phone_number": n.display_phone_number,
            }
            for n in numbers
        ],
    }
    if args.recipient is not None:
        recipient = _recipient(args.recipient)
        report["conversations"] = [
            conversation_report(state, n.phone_number_id, recipient, now) for n in numbers
        ]
    if args.template is not None:
        name, _, language = args.template.partition(":")
        if not name or not language:
            raise InvalidValueError("--template", args.template, "expected NAME:LANGUAGE")
        report["templates"] = [_template(state, n.phone_number_id, name, language) for n in numbers]
    if args.account or (args.recipient is None and args.template is None):
        report["accounts"] = [_account(state, n.phone_number_id) for n in numbers]
    return report


def conversation_report(
    state: SenderState,
    business: PhoneNumberId,
    recipient: WaId | BusinessScopedUserId,
    now: datetime,
) -> dict[str, Any]:
    from wa_outbound._rules import rules_at  # noqa: PLC0415

    chat = state.conversation(business, recipient)
    rules = rules_at(now)
    decisions = {kind.value: state.decide(business, recipient, kind, now=now) for kind in SendKind}
    return {
        "business": business.value,
        "recipient": recipient.value,
        "last_inbound_message_at": iso(chat.last_inbound_message_at),
        "last_outbound_at": iso(chat.last_outbound_at),
        "window_closes_at": iso(chat.service_window_expires_at(rules)),
        "consent": chat.consent.status.value,
        "marketing": chat.consent.marketing.value,
        "call_permission": chat.call_permission.status.value,
        "may_send": {
            kind: {
                "allowed": decision.allowed,
                "reasons": [reason.message for reason in decision.reasons],
                "instead": None if decision.instead is None else decision.instead.value,
                "instead_text": None if decision.instead is None else member_text(decision.instead),
                "wait_until": iso(decision.wait_until),
                "next_change_at": iso(decision.next_change_at),
                "clocks": answer_change_text(decision, chat, now),
            }
            for kind, decision in decisions.items()
        },
    }


def _template(
    state: SenderState, business: PhoneNumberId, name: str, language: str
) -> dict[str, Any]:
    found = state.template(business, name, language)
    return {
        "business": business.value,
        "name": name,
        "language": language,
        "known": found is not None,
        "status": None if found is None else found.status.value,
        "quality": None if found is None else found.quality.value,
        "category": None if found is None else found.category,
    }


def _account(state: SenderState, business: PhoneNumberId) -> dict[str, Any]:
    health = state.account(business)
    if health is None:
        return {"business": business.value, "known": False}
    limit = health.messaging_limit
    return {
        "business": business.value,
        "known": True,
        "quality_rating": health.quality_rating.value,
        "phone_status": health.phone_status.value,
        "messaging_limit": None if limit is None else (limit.users or "unlimited"),
        "restrictions": len(health.restrictions),
    }


def print_report(report: dict[str, Any], out: TextIO) -> None:
    """Print a `state` report as text; what the store holds is shown as text, never markup."""
    show = console(out)
    report = _escaped(report)
    numbers = ", ".join(n["phone_number_id"] for n in report["numbers"]) or "none"
    show.print(f"State at {report['at']}; numbers: {numbers}")
    for chat in report.get("conversations", []):
        show.print(f"\nConversation {chat['business']} → {chat['recipient']}")
        for field in (
            "last_inbound_message_at",
            "last_outbound_at",
            "window_closes_at",
            "consent",
            "marketing",
            "call_permission",
        ):
            value = chat[field] or "-"
            show.print(f"  {words(field)}: {value if field.endswith('_at') else words(value)}")
        show.print("  may send now:")
        for kind, answer in chat["may_send"].items():
            clocks = f" ({answer['clocks']})" if answer["clocks"] else ""
            if answer["allowed"]:
                show.print(f"    {words(kind)}: yes{clocks}")
                continue
            show.print(f"    {words(kind)}: no: {'; '.join(answer['reasons'])}{clocks}")
            if answer["instead_text"]:
                show.print(f"      instead: {answer['instead_text']}")
    for template in report.get("templates", []):
        if template["known"]:
            show.print(
                f"\nTemplate {template['name']} ({template['language']}) of {template['business']}:"
                f" {words(template['status'])}, quality {words(template['quality'])}"
            )
        else:
            show.print(f"\nTemplate {template['name']} ({template['language']}): no event yet")
    for account in report.get("accounts", []):
        if account["known"]:
            show.print(
                f"\nNumber {account['business']}: quality {words(account['quality_rating'])},"
                f" status {words(account['phone_status'])}, messaging limit"
                f" {_limit_words(account['messaging_limit'])},"
                f" restrictions {account['restrictions']}"
            )
        else:
            show.print(f"\nNumber {account['business']}: no account event yet")


def _limit_words(limit: int | str | None) -> str:
    if limit is None:
        return "unknown"
    return limit if isinstance(limit, str) else f"{limit:,}"


def _escaped(value: Any) -> Any:  # noqa: ANN401 - a report, a part of it, or a leaf
    """The report with every text escaped for `rich` (ids and names come from the store)."""
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return escape(value) if isinstance(value, str) else value
