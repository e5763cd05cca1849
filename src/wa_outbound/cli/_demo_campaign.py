"""The demo's second part: a campaign sent for real, to the in-process emulator.

Three hundred customers, some of whom wrote in the last hours (a free-form coupon, free inside
the window), some who asked the shop to stop, some who tapped "Stop promotions" on WhatsApp,
one whose number has no WhatsApp; the spring-sale template is paused half-way; a tenth of the
requests fail (429s, 5xx, resets, timeouts after acceptance). The shop sends with the library's
Cloud API client, keeps its state in a `SenderState`, and reads the emulator's signed webhooks
as its webhook handler would. The demo then tells what was sent, skipped and why, retried,
reconciled from the webhooks, and what it cost. No network: the emulator answers in process on
its virtual clock, so it takes seconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._facts import OptInRecorded, OptOutReceived, OptOutScope
from wa_outbound._ids import PhoneNumberId, WaId
from wa_outbound.cli._common import console, money, print_json, words

if TYPE_CHECKING:
    from wa_outbound.state import SenderState
    from wa_outbound.testing import Emulator, WebhookDelivery

__all__ = ["CampaignRun", "run_campaign", "show_campaign"]

RECIPIENTS = 300
"""How many customers the campaign reaches out to."""
_SEED = 13


@dataclass
class CampaignRun:
    """What became of the demo campaign, counted on both sides."""

    recipients: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    """Accepted sends by what was sent (`template`, `coupon`)."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Sends the decision blocked, by its first reason."""
    refused: Counter[int] = field(default_factory=Counter)
    """Sends the platform refused (after the safe retries), by error code."""
    retried: int = 0
    """Requests that were attempts after the first, retried safely."""
    ambiguous: int = 0
    """Sends that got no answer (never resent blindly)."""
    reconciled: int = 0
    """Ambiguous sends settled by a status webhook carrying their key."""
    resent: int = 0
    """Ambiguous sends the platform never got, resent under their key by the shop's policy."""
    delivered: int = 0
    """Messages the platform reported delivered (the emulator's count)."""
    failed: Counter[int] = field(default_factory=Counter)
    """Messages the platform failed later, by error code."""
    duplicates: int = 0
    """Keys the platform accepted more than once (must be 0)."""
    faults: Counter[str] = field(default_factory=Counter)
    """Injected faults, by kind."""
    webhooks: int = 0
    """Signed webhook bodies the shop read."""
    cost: dict[str, Decimal] = field(default_factory=dict)
    """What the accepted sends cost, by currency (the decisions' estimates)."""


def run_campaign(*, progress: Any = None) -> CampaignRun:  # noqa: ANN401, C901, PLR0912, PLR0915
    """Send the campaign to a fresh emulator and count what happened.

    Args:
        progress: Called with the number of customers done so far (a progress bar).
    """
    import httpx  # noqa: PLC0415 - the demo's campaign only

    from wa_outbound._categories import TemplateCategory  # noqa: PLC0415
    from wa_outbound._rates import builtin_rate_card  # noqa: PLC0415
    from wa_outbound._templates import Body, Template  # noqa: PLC0415
    from wa_outbound.meta import CloudApiClient, TemplateMessage, Text  # noqa: PLC0415
    from wa_outbound.sending import ApiError, OutboxStatus, SendStatus, set_testing  # noqa: PLC0415
    from wa_outbound.state import BusinessNumber, SenderState  # noqa: PLC0415
    from wa_outbound.stores import MemoryStore  # noqa: PLC0415
    from wa_outbound.templates import TemplateParameters  # noqa: PLC0415
    from wa_outbound.testing import Emulator, Faults  # noqa: PLC0415
    from wa_outbound.webhooks import read_meta_webhook  # noqa: PLC0415

    run = CampaignRun(recipients=RECIPIENTS)
    hooks: list[WebhookDelivery] = []
    faults = Faults(
        rate_limited=0.03,
        server_error=0.03,
        connect_error=0.01,
        connection_reset=0.01,
        read_timeout=0.02,
    )
    emulator = Emulator(
        seed=_SEED,
        faults=faults,
        on_webhook=hooks.append,
        batch_size=5,
        duplicates=0.05,
        reorder=True,
    )
    sale = Template(
        name="spring_sale",
        language="en_US",
        category=TemplateCategory.MARKETING,
        components=(Body(text="Hi {{1}}, everything is 20% off until Sunday."),),
    )
    emulator.add_template(sale)
    shop = BusinessNumber(
        phone_number_id=PhoneNumberId(emulator.phone_number_id),
        waba_id=emulator.waba_id,
        portfolio_id=emulator.portfolio_id,
    )
    state = SenderState(MemoryStore(), numbers=[shop], rate_card=builtin_rate_card())
    client = CloudApiClient(
        state=state,
        access_token=emulator.access_token,
        phone_number_id=shop.phone_number_id,
        http=httpx.Client(transport=emulator.mock_transport()),
        clock=lambda: emulator.now,
        sleep=emulator.sleep,
        hooks=[lambda report: _count_retry(run, report)],
    )

    def webhook_handler() -> None:  # what the shop's endpoint does with each POST
        while hooks:
            delivery = hooks.pop(0)
            events = read_meta_webhook(
                delivery.body, delivery.headers, app_secrets=[emulator.app_secret]
            )
            state.receive(events, now=emulator.now)
            settled = client.outbox.reconcile(events, now=emulator.now)
            run.reconciled += sum(1 for entry in settled if entry.key in ambiguous)
            ambiguous.difference_update(entry.key for entry in settled)
            run.webhooks += 1

    ambiguous: set[str] = set()
    customers = [WaId(f"4917{index:09d}") for index in range(RECIPIENTS)]
    for index, customer in enumerate(customers):
        _prepare(index, customer, emulator, state, shop.phone_number_id)
    webhook_handler()
    set_testing(True)  # retry at once: the emulator's clock does not need real waiting
    try:
        for index, customer in enumerate(customers):
            if index == RECIPIENTS // 2:
                emulator.pause_template("spring_sale", "en_US")  # low quality, half-way
            webhook_handler()
            window = state.conversation(shop.phone_number_id, customer).service_window_expires_at(
                emulator.rules
            )
            coupon = window is not None and window > emulator.now
            message: Any = (
                Text("Your coupon: SPRING20")
                if coupon
                else TemplateMessage(
                    template=sale, parameters=TemplateParameters(body=(f"customer {index}",))
                )
            )
            try:
                result = client.send(customer, message)
            except ApiError as error:
                run.refused[error.code or 0] += 1
            else:
                if result.status is SendStatus.BLOCKED and result.decision is not None:
                    run.skipped[words(_why(result.decision))] += 1
                else:
                    run.sent["coupon" if coupon else "template"] += 1
                    _add_cost(run, result.decision)
                    if result.status is SendStatus.AMBIGUOUS:
                        run.ambiguous += 1
                        ambiguous.add(result.key)
            emulator.sleep(0.5)
            if progress is not None:
                progress(index + 1)
        for _ in range(5):  # the shop's policy: settle from webhooks, resend what never went
            emulator.settle()
            webhook_handler()
            unsettled = client.outbox.entries(OutboxStatus.AMBIGUOUS, OutboxStatus.PENDING)
            if not unsettled:
                break
            for entry in unsettled:
                run.resent += 1
                try:
                    client.resend(entry.key, check=False)
                except ApiError as error:
                    run.refused[error.code or 0] += 1
                emulator.sleep(0.5)
    finally:
        set_testing(False)
    emulator.settle()
    webhook_handler()
    _count_platform(run, emulator)
    return run


def _prepare(
    index: int,
    customer: WaId,
    emulator: Emulator,
    state: SenderState,
    business: PhoneNumberId,
) -> None:
    """Who the customer is: wrote lately, stopped the shop, stopped promotions, or opted in."""
    number = f"+{customer.value}"
    if index % 7 == 3:  # noqa: PLR2004 - told the shop to stop
        state.apply(business, customer, [OptOutReceived(at=emulator.now, scope=OptOutScope.ALL)])
        return
    state.apply(business, customer, [OptInRecorded(at=emulator.now, method="checkout form")])
    if index % 5 == 0:
        emulator.user_message(number, "Do you have the blue one?")
    elif index % 11 == 4:  # noqa: PLR2004
        emulator.stop_promotions(number)
    elif index == 42:  # noqa: PLR2004
        emulator.declare_not_on_whatsapp(number)


def _why(decision: Any) -> Any:  # noqa: ANN401 - a SendDecision, its reason code
    """The reason that blocked a send: pacing only delays, so any other reason comes first."""
    codes = [reason.code for reason in decision.reasons]
    return next((code for code in codes if code.value != "paced"), codes[0])


def _count_retry(run: CampaignRun, report: Any) -> None:  # noqa: ANN401 - an AttemptReport
    if report.attempt > 1:
        run.retried += 1


def _add_cost(run: CampaignRun, decision: Any) -> None:  # noqa: ANN401 - a SendDecision
    cost = None if decision is None else decision.cost
    if cost is not None and cost.amount is not None and cost.currency is not None:
        run.cost[cost.currency] = run.cost.get(cost.currency, Decimal(0)) + cost.amount


def _count_platform(run: CampaignRun, emulator: Emulator) -> None:
    tally = emulator.tally_by_key()
    run.duplicates = sum(1 for count in tally.values() if count.accepted > 1)
    run.delivered = sum(1 for message in emulator.messages if message.delivered)
    for message in emulator.messages:
        if message.error_code is not None:
            run.failed[message.error_code] += 1
    run.faults = Counter(
        {kind.value: count for kind, count in emulator.fault_counts.items() if count}
    )


def campaign_json(run: CampaignRun) -> dict[str, Any]:
    """The campaign's counts as one JSON object."""
    return {
        "step": "campaign",
        "kind": "campaign",
        "recipients": run.recipients,
        "sent": dict(run.sent),
        "skipped": dict(run.skipped),
        "refused": {str(code): count for code, count in run.refused.items()},
        "retried": run.retried,
        "ambiguous": run.ambiguous,
        "reconciled": run.reconciled,
        "resent": run.resent,
        "delivered": run.delivered,
        "failed": {str(code): count for code, count in run.failed.items()},
        "duplicates": run.duplicates,
        "faults": dict(run.faults),
        "webhooks": run.webhooks,
        "cost": {currency: str(amount) for currency, amount in run.cost.items()},
    }


def show_campaign(stream: TextIO, *, as_json: bool) -> None:
    """Run the campaign and tell what happened, as text (with a progress bar) or one JSON line."""
    if as_json:
        print_json(campaign_json(run_campaign()), stream, indent=None)
        return
    from rich.progress import Progress  # noqa: PLC0415 - text output only

    shown = console(stream)
    shown.print(
        f"\n[bold]Then the shop sends its spring campaign to {RECIPIENTS} customers[/], for real,"
        " to the in-process emulator of WhatsApp's Cloud API (rules enforced, faults injected,"
        " the template paused half-way):"
    )
    with Progress(console=shown, transient=False) as bar:
        task = bar.add_task("sending", total=RECIPIENTS)
        run = run_campaign(progress=lambda done: bar.update(task, completed=done))
    sent = ", ".join(f"{count} {what}" for what, count in sorted(run.sent.items()))
    rows = [
        ("sent", f"{sum(run.sent.values())} ({sent})"),
        ("skipped", _counted(run.skipped) or "none"),
        ("refused by the platform", _counted(run.refused) or "none"),
        ("retried safely", f"{run.retried} requests (429, 5xx, no connection)"),
        (
            "no answer (never resent blindly)",
            (
                f"{run.ambiguous}: {run.reconciled} settled by a webhook with their key,"
                f" {run.resent} resent under their key after the deadline"
            ),
        ),
        ("delivered", f"{run.delivered} (duplicates: {run.duplicates})"),
        ("failed later", _counted(run.failed) or "none"),
        ("webhooks read", f"{run.webhooks} signed bodies (batched, some twice, out of order)"),
        ("faults injected", _counted(run.faults) or "none"),
        ("cost", ", ".join(money(a, c) for c, a in run.cost.items()) or "not estimated"),
    ]
    for name, value in rows:
        shown.print(f"  [bold]{name}[/]: {value}")


def _counted(counts: Counter[Any]) -> str:
    return ", ".join(f"{count} {_label(what)}" for what, count in counts.most_common())


def _label(what: object) -> str:
    return f"({what})" if isinstance(what, int) else str(what)
