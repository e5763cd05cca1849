"""`decide()` speed: decisions per second with each part given, against an empty call.

Run: `python benchmarks/bench_decide.py` (add `--quick` for a smoke run). Figures are printed
absolute and as ratios to an empty function call and to `can_send` measured in the same
process, so runs on different (or busy) machines compare. Target (issues #6, #18):
`decide()` >= 200,000 decisions per second on one core, with the parts a host typically passes
(template state, account health, rate card). The same template state, rules and rate card are
asked again and again, as a service asks them: `decide` keeps the template's verdict and the
estimate between calls (issue #18), so these figures are the steady state.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from datetime import datetime, timedelta, timezone
from typing import Any

from wa_outbound import (
    AccountHealth,
    Conversation,
    InboundMessageReceived,
    OptInRecorded,
    PhoneNumberId,
    SendKind,
    TemplateState,
    WaId,
    can_send,
    decide,
    rules_at,
)
from wa_outbound.templates import TemplateStatusChanged, TemplateSubmitted

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def _rate(stmt: object, number: int, repeat: int) -> float:
    """Best calls per second over `repeat` runs of `number` calls."""
    times = timeit.repeat(stmt, number=number, repeat=repeat)  # type: ignore[arg-type]
    return number / min(times)


def _baseline() -> None:
    """An empty function call: what a call costs at all on this interpreter."""


def bench(number: int, repeat: int) -> dict[str, float]:
    """`decide` with more and more parts, next to `can_send` on the same conversation."""
    rules = rules_at(T0)
    c = Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))
    c = c.apply_all(
        [OptInRecorded(at=T0 - 48 * H, method="checkout"), InboundMessageReceived(at=T0 - 30 * H)]
    )
    template = TemplateState(template_id="1304694804498707").apply_all(
        [TemplateSubmitted(at=T0 - 72 * H), TemplateStatusChanged(at=T0 - 70 * H, event="APPROVED")]
    )
    account = AccountHealth()
    kind = SendKind.UTILITY_TEMPLATE
    parts: dict[str, dict[str, Any]] = {
        "decide: conversation and market": {"market": "DE"},
        "decide: + template state": {"market": "DE", "template": template},
        "decide: + template state + account": {
            "market": "DE",
            "template": template,
            "account": account,
        },
    }
    try:
        from wa_outbound import builtin_rate_card  # noqa: PLC0415 - present with pricing
    except ImportError:  # pragma: no cover - before rate cards existed
        card = None
    else:
        card = builtin_rate_card()
        parts["decide: + template + account + rate card (cost)"] = {
            "market": "AF",
            "template": template,
            "account": account,
            "rate_card": card,
        }
        parts["decide: marketing, market from the number, cost"] = {
            "template": template,
            "account": account,
            "rate_card": card,
        }
    figures = {
        "can_send (reference)": _rate(
            lambda: can_send(c, kind, now=T0, rules=rules), number, repeat
        )
    }
    for name, kwargs in parts.items():
        chosen = SendKind.MARKETING_TEMPLATE if "marketing" in name else kind
        figures[name] = _rate(
            lambda k=kwargs, s=chosen: decide(c, s, now=T0, rules=rules, **k), number, repeat
        )
    return figures


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    number, repeat = (2_000, 2) if args.quick else (20_000, 25)
    baseline = _rate(_baseline, number, repeat)
    print(f"python {sys.version.split()[0]}; empty call baseline {baseline:,.0f}/s")
    print("\ndecisions per second (target: decide >= 200,000/s)")
    figures = bench(number, repeat)
    reference = figures["can_send (reference)"]
    for name, rate in figures.items():
        print(
            f"  {name:52} {rate:>10,.0f}/s   {baseline / rate:6.1f} x an empty call"
            f"   {reference / rate:4.2f} x can_send"
        )


if __name__ == "__main__":
    main()
