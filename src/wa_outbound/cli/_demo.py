"""`demo [--json]`: a short story of one customer, with each send decision explained.

One shop, one customer (Ana) and the rules in force, step by step: the service window, consent,
a paused template, the messaging limit, a call permission, and the plan of the next campaign.
Then that campaign is sent, for real, to the in-process emulator (`_demo_campaign`; with the
`http` and `testing` extras).
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from wa_outbound._conversation import Conversation
from wa_outbound._decision import SendDecision, can_send
from wa_outbound._facts import (
    CallPermissionGranted,
    Fact,
    InboundMessageReceived,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
)
from wa_outbound._ids import WaId
from wa_outbound._kinds import SendKind
from wa_outbound._rules import rules_at
from wa_outbound._template_lifecycle import (
    TemplateDecision,
    TemplateFact,
    TemplateState,
    TemplateStatusChanged,
    TemplateSubmitted,
    template_sendable,
)
from wa_outbound._time import UTC
from wa_outbound.cli._common import (
    BUSINESS,
    answer_change_text,
    blocked_json,
    console,
    iso,
    member_text,
    money,
    money_json,
    print_json,
    users,
    when_text,
    words,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

HELP = "tell a short story, one send decision at a time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `--json`."""
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of text")


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:  # noqa: ARG001 - the story has its own dates
    """Tell the story, as text or one JSON line per decision."""
    return _demo(out, as_json=args.json)


@attrs.frozen(kw_only=True)
class DemoStep:
    """One beat of the demo story: what happens, then which sends are asked about."""

    at: datetime
    """When it happens."""
    story: str
    """What happens, in one sentence."""
    facts: tuple[Fact, ...] = ()
    """Facts applied to the conversation at this step."""
    asks: tuple[SendKind, ...] = ()
    """Send kinds to decide after the facts."""
    template_facts: tuple[TemplateFact, ...] = ()
    """Facts about the shop's campaign template, applied at this step."""
    ask_template: bool = False
    """Whether to ask if the campaign template may be sent now."""
    campaign_to: tuple[WaId, ...] = ()
    """Opted-in customers the campaign template goes to at this step, within the limit."""
    plan_for: int = 0
    """How many opted-in customers (in Austria) the next campaign is planned for, with Ana
    listed too; 0 plans nothing."""


_T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_CUSTOMER = WaId("4915123456789")

DEMO_STORY: tuple[DemoStep, ...] = (
    DemoStep(
        at=_T0,
        story="Ana writes to the shop's WhatsApp number: 'Is my order on its way?'",
        facts=(InboundMessageReceived(at=_T0),),
        asks=(SendKind.FREE_FORM, SendKind.MARKETING_TEMPLATE),
    ),
    DemoStep(
        at=_T0 + timedelta(minutes=5),
        story="The shop answers freely, and Ana ticks 'keep me posted on WhatsApp' at checkout.",
        facts=(
            OutboundMessageSent(at=_T0 + timedelta(minutes=5)),
            OptInRecorded(at=_T0 + timedelta(minutes=5), method="checkout checkbox"),
        ),
        asks=(SendKind.FREE_FORM,),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=26),
        story="A day passes. The window is closed: only templates may go out now.",
        asks=(SendKind.FREE_FORM, SendKind.UTILITY_TEMPLATE, SendKind.MARKETING_TEMPLATE),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=30),
        story="Ana taps 'Stop promotions' on a marketing message.",
        facts=(
            OptOutReceived(
                at=_T0 + timedelta(hours=30),
                scope=OptOutScope.MARKETING,
                method="stop promotions button",
            ),
        ),
        asks=(SendKind.MARKETING_TEMPLATE, SendKind.UTILITY_TEMPLATE),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=30, minutes=30),
        story="Too many customers block the winter-sale template: Meta pauses it mid-campaign.",
        template_facts=(
            TemplateStatusChanged(at=_T0 + timedelta(hours=30, minutes=30), event="PAUSED"),
        ),
        ask_template=True,
    ),
    DemoStep(
        at=_T0 + timedelta(hours=30, minutes=45),
        story="Meanwhile the campaign goes on to other customers. The shop's portfolio is"
        " unverified (250 new customers a day) and has already reached 249 today.",
        campaign_to=(WaId("4915122220001"), WaId("4915122220002")),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=31),
        story="Support wants to call Ana about a damaged parcel.",
        asks=(SendKind.CALL,),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=32),
        story="Ana accepts the call permission request (temporary, 7 days).",
        facts=(
            InboundMessageReceived(at=_T0 + timedelta(hours=32)),
            CallPermissionGranted(
                at=_T0 + timedelta(hours=32),
                expires_at=_T0 + timedelta(hours=32, days=7),
            ),
        ),
        asks=(SendKind.CALL, SendKind.FREE_FORM),
    ),
    DemoStep(
        at=_T0 + timedelta(hours=34),
        story="The pause is over and Meta approves the template again: the campaign resumes.",
        template_facts=(
            TemplateStatusChanged(at=_T0 + timedelta(hours=33, minutes=31), event="APPROVED"),
        ),
        ask_template=True,
    ),
    DemoStep(
        at=_T0 + timedelta(hours=35),
        story="The shop's business verification goes through (2,000 new customers a day). It"
        " plans the spring sale for 3,000 opted-in customers in Austria, and Ana.",
        plan_for=3_000,
    ),
)
"""The demo story; later features add steps (templates, limits, cost) here."""


def _decision_json(step: int, at: datetime, decision: SendDecision) -> dict[str, Any]:
    return {
        "step": step,
        "at": at.isoformat(),
        "kind": decision.kind.value,
        "allowed": decision.allowed,
        "reasons": [{"code": r.code.value, "message": r.message} for r in decision.reasons],
        "instead": None if decision.instead is None else decision.instead.value,
        "service_window_open": decision.service_window_open,
        "service_window_expires_at": iso(decision.service_window_expires_at),
        "free_entry_point": decision.free_entry_point,
        "next_change_at": iso(decision.next_change_at),
    }


def _demo(stream: TextIO, *, as_json: bool) -> int:
    """Tell the story with Ana's conversation kept in a SQLite file, shown once at the end."""
    from wa_outbound.state import BusinessNumber, SenderState  # noqa: PLC0415 - demo only
    from wa_outbound.stores import SqliteStore  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="wa_outbound-demo-") as folder:
        path = Path(folder) / "state.sqlite"
        store = SqliteStore(path)
        try:
            shop = BusinessNumber(phone_number_id=BUSINESS, waba_id=_WABA, portfolio_id=_PORTFOLIO)
            state = SenderState(store, numbers=[shop])
            _story(stream, state, as_json=as_json)
            _show_state(stream, state, path, as_json=as_json)
        finally:
            store.close()
    if _emulator_installed():
        from wa_outbound.cli._demo_campaign import show_campaign  # noqa: PLC0415 - demo only

        show_campaign(stream, as_json=as_json)
    return 0


def _emulator_installed() -> bool:
    """Whether the campaign part can run: it sends with httpx and tests with Hypothesis."""
    import importlib.util  # noqa: PLC0415

    return all(importlib.util.find_spec(name) for name in ("httpx", "tenacity", "hypothesis"))


_WABA = "102290129340398"
_PORTFOLIO = "4455667788"


def _show_state(stream: TextIO, state: Any, path: Path, *, as_json: bool) -> None:  # noqa: ANN401
    """What the state file holds about Ana after the story, as the `state` command shows it."""
    from wa_outbound.cli._state import conversation_report, print_report  # noqa: PLC0415

    at = DEMO_STORY[-1].at
    report = {
        "at": iso(at),
        "numbers": [{"phone_number_id": BUSINESS.value}],
        "conversations": [conversation_report(state, BUSINESS, _CUSTOMER, at)],
    }
    if as_json:
        print_json(
            {"step": "state", "kind": "state", "file": path.name, **report}, stream, indent=None
        )
        return
    shown = console(stream)
    shown.print(
        f"\n[bold]The shop kept Ana's conversation in a SQLite file[/] ({path.name}, a"
        " temporary folder); `python -m wa_outbound state FILE --recipient"
        f" {_CUSTOMER.value}` shows it:"
    )
    print_report(report, stream)


def _story(stream: TextIO, state: Any, *, as_json: bool) -> None:  # noqa: ANN401 - a SenderState
    template = _CAMPAIGN_TEMPLATE
    ledger, limit = _campaign_ledger()
    shown = None if as_json else console(stream)
    if shown is not None:
        shown.rule("[bold]wa_outbound demo[/]: one customer, one shop, the rules in force")
    for number, step in enumerate(DEMO_STORY, start=1):
        conversation = state.apply(BUSINESS, _CUSTOMER, step.facts)
        for fact in step.template_facts:
            template = template.apply(fact)
        decisions = [can_send(conversation, kind, now=step.at) for kind in step.asks]
        checked = template_sendable(template, now=step.at) if step.ask_template else None
        sends = [_campaign_send(ledger, limit, to, step.at) for to in step.campaign_to]
        planned = _demo_plan(conversation, step) if step.plan_for else None
        if shown is None:
            _emit_json(stream, number, step, [*decisions, *sends], checked)
            if step.plan_for:
                print_json(_demo_plan_json(number, step.at, planned), stream, indent=None)
            continue
        shown.print(f"\n[bold]{number}. {step.at:%a %d %b %H:%M} UTC[/]  {step.story}")
        for decision in decisions:
            _print_decision(shown, decision, conversation, step.at)
        if checked is not None:
            _print_template(shown, checked)
        for to, sent in zip(step.campaign_to, sends, strict=True):
            shown.print(f"   to +{to.value}:")
            _print_decision(shown, sent, None, step.at)
        if step.plan_for:
            _print_plan(shown, planned)


def _emit_json(
    stream: TextIO,
    number: int,
    step: DemoStep,
    decisions: list[SendDecision],
    checked: TemplateDecision | None,
) -> None:
    """Print one JSON line per decision of a step (campaign sends name their recipient)."""
    asked = len(step.asks)
    for decision in decisions[:asked]:
        print_json(_decision_json(number, step.at, decision), stream, indent=None)
    if checked is not None:
        print_json(_template_json(number, step.at, checked), stream, indent=None)
    for to, sent in zip(step.campaign_to, decisions[asked:], strict=True):
        line = {**_decision_json(number, step.at, sent), "recipient": to.value}
        print_json(line, stream, indent=None)


def _campaign_ledger() -> tuple[Any, Any]:
    """The shop's messaging limit ledger: 249 of 250 new customers reached this morning."""
    from wa_outbound._account import MessagingLimit  # noqa: PLC0415 - demo only
    from wa_outbound._ledger import LimitLedger, LimitScopeKey  # noqa: PLC0415

    rules = rules_at(_T0)
    scope = LimitScopeKey.under(rules, phone_number=BUSINESS, portfolio="4455667788")
    ledger = LimitLedger(scope=scope, rules=rules)
    morning = _T0 + timedelta(hours=24, minutes=30)
    for n in range(249):
        ledger.record(WaId(f"4915100{n:06d}"), morning)
    return ledger, MessagingLimit(users=rules.messaging_limit_tiers.value[0])


def _campaign_send(ledger: Any, limit: Any, to: WaId, at: datetime) -> SendDecision:  # noqa: ANN401
    """Ask before sending the campaign template to `to`; record it in the ledger if it goes."""
    customer = Conversation(business=BUSINESS, recipient=to).apply(
        OptInRecorded(at=_T0 - timedelta(days=30), method="newsletter sign-up")
    )
    decision = can_send(customer, SendKind.MARKETING_TEMPLATE, now=at, ledger=ledger, limit=limit)
    if decision.allowed:
        ledger.record(to, at)
    return decision


_NO_PRICING = "skipped: reading markets from numbers needs pip install 'wa_outbound[pricing]'"
"""Why the demo plans no campaign without `phonenumbers` (marketing needs the market)."""


def _pricing_installed() -> bool:
    """Whether `phonenumbers` (the `pricing` extra) can be imported."""
    from importlib.util import find_spec  # noqa: PLC0415 - demo only

    return find_spec("phonenumbers") is not None


def _demo_plan(conversation: Conversation, step: DemoStep) -> tuple[Any, int] | None:
    """Plan the step's campaign: Ana (as the shop knows her) and `plan_for` Austrians.

    Returns the `CampaignPlan` and its number of waves (runs of sends no more than a minute
    apart: a wave ends when the messaging limit is used up); `None` without `phonenumbers`,
    which a marketing campaign needs to find the recipients in blocked regions.
    """
    if not _pricing_installed():
        return None
    from wa_outbound._campaign import CampaignRecipient, iter_schedule  # noqa: PLC0415 - demo only
    from wa_outbound._rates import builtin_rate_card  # noqa: PLC0415

    customers = [CampaignRecipient(recipient=_CUSTOMER, conversation=conversation)]
    customers += [
        CampaignRecipient(recipient=WaId(f"43664{n:07d}"), opted_in=True)
        for n in range(step.plan_for)
    ]
    schedule = iter_schedule(
        customers,
        business=BUSINESS,
        kind=SendKind.MARKETING_TEMPLATE,
        start=step.at,
        verified=True,
        rate_card=builtin_rate_card(),
    )
    waves, previous = 0, None
    for send in schedule:
        if previous is None or send.at - previous > timedelta(minutes=1):
            waves += 1
        previous = send.at
    return schedule.plan, waves


def _demo_plan_json(step: int, at: datetime, planned: tuple[Any, int] | None) -> dict[str, Any]:
    """The plan's key figures as one JSON line (or why there is none)."""
    head = {"step": step, "at": at.isoformat(), "kind": "campaign_plan"}
    if planned is None:
        return {**head, "skipped": _NO_PRICING}
    plan, waves = planned
    return {
        **head,
        "template_kind": plan.kind.value,
        "recipients": plan.recipients,
        "scheduled": plan.scheduled,
        "new_users": plan.new_users,
        "blocked": blocked_json(plan.blocked),
        "waves": waves,
        "days": [{"date": day.date.isoformat(), "sends": day.sends} for day in plan.days],
        "starts_at": plan.starts_at.isoformat(),
        "finishes_at": plan.finishes_at.isoformat(),
        "tier_changes": [
            {"at": c.at.isoformat(), "before": users(c.before), "after": users(c.after)}
            for c in plan.tier_changes
        ],
        "total_cost": money_json(plan.total_cost),
        "unknown_price_sends": plan.unknown_price_sends,
    }


def _print_plan(console: Any, planned: tuple[Any, int] | None) -> None:  # noqa: ANN401 - rich
    if planned is None:
        console.print(f"   campaign plan {_NO_PRICING}", markup=False)
        return
    plan, waves = planned
    blocked = ", ".join(f"{number:,} {words(reason)}" for reason, number in plan.blocked.items())
    console.print(
        f"   [bold]campaign plan[/]: {plan.scheduled:,} sends in {waves} waves over"
        f" {len(plan.days)} days, {plan.starts_at:%a %H:%M} to {plan.finishes_at:%a %H:%M} UTC"
        + (f"; blocked: {blocked}" if blocked else "")
    )
    for day in plan.days:
        console.print(f"      {day.date:%a %d %b}: {day.sends:,} sends")
    for change in plan.tier_changes:
        delay = (change.at - change.qualified_at).total_seconds() / 3600
        console.print(
            f"      [green]limit {users(change.before):,} -> {users(change.after):,}[/]"
            f" at {change.at:%a %H:%M} (earned {change.qualified_at:%a %H:%M},"
            f" applied {delay:g} h later)"
        )
    totals = ", ".join(money(amount, currency) for currency, amount in plan.total_cost.items())
    console.print(
        f"      cost: {totals or 'unknown'}; {plan.unknown_price_sends:,} sends at an unknown price"
    )


# The shop's campaign template, approved before the story starts.
_CAMPAIGN_TEMPLATE = TemplateState(
    template_id="1203948571",
    name="winter_sale",
    language="en_US",
).apply_all(
    (
        TemplateSubmitted(at=_T0 - timedelta(days=3)),
        TemplateStatusChanged(at=_T0 - timedelta(days=2), event="APPROVED"),
    )
)


def _template_json(step: int, at: datetime, decision: TemplateDecision) -> dict[str, Any]:
    return {
        "step": step,
        "at": at.isoformat(),
        "kind": "campaign_template",
        "template": _CAMPAIGN_TEMPLATE.name,
        "allowed": decision.allowed,
        "status": decision.status.value,
        "reasons": [{"code": r.code.value, "message": r.message} for r in decision.reasons],
        "next_change_at": iso(decision.next_change_at),
    }


def _print_template(console: Any, decision: TemplateDecision) -> None:  # noqa: ANN401
    name = _CAMPAIGN_TEMPLATE.name
    if decision.allowed:
        console.print(f"   [green]✔ template {name}: sendable[/]")
        return
    until = "" if decision.next_change_at is None else f" until {decision.next_change_at:%a %H:%M}"
    console.print(f"   [red]✘ template {name}: blocked{until}[/]")
    for reason in decision.reasons:
        console.print(f"      [dim]{reason.code.value}[/]: {reason.message}")


def _print_decision(
    console: Any,  # noqa: ANN401 - a rich console
    decision: SendDecision,
    conversation: Conversation | None,
    at: datetime,
) -> None:
    label = words(decision.kind)
    if decision.allowed:
        # Name what runs out and when, not "until" the next change: a call permission of
        # seven days outlasts the window whose closing is the next change.
        clocks = answer_change_text(decision, conversation, at)
        suffix = f" [dim]({clocks})[/]" if clocks else ""
        console.print(f"   [green]✔ {label}: allowed[/]{suffix}")
        return
    console.print(f"   [red]✘ {label}: blocked[/]")
    for reason in decision.reasons:
        console.print(f"      [dim]{reason.code.value}[/]: {reason.message}")
    if decision.wait_until is not None:
        console.print(f"      [cyan]instead[/]: ask again {when_text(decision.wait_until, at)}")
    elif decision.instead is not None:
        console.print(f"      [cyan]instead[/]: {member_text(decision.instead)}")
