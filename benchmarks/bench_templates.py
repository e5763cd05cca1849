"""Template speed: `lint_template` and the Graph JSON converter, templates per second.

Run: `python benchmarks/bench_templates.py` (add `--quick` for a smoke run). Figures are
printed absolute and as a ratio to an empty function call measured in the same process, so
runs on different machines compare. Target (issue #4): `lint_template` >= 20,000 realistic
templates per second on one core.

The templates are realistic: Meta's own examples (a marketing template with a text header,
three variables and opt-out buttons; a utility template with a media header, named variables
and call-to-action buttons; a copy-code authentication template), a broken one with a dozen
findings, and 500 templates drawn from `wa_outbound.testing.templates()` (needs Hypothesis).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import timeit
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wa_outbound import rules_at
from wa_outbound.templates import lint_template, template_from_graph, template_to_graph

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root
from tests.template_payloads import (  # noqa: E402 - after the path is set
    AUTHENTICATION_COPY_CODE as AUTHENTICATION,
)
from tests.template_payloads import ORDER_SHIPPED as UTILITY  # noqa: E402
from tests.template_payloads import SEASONAL_PROMOTION as MARKETING  # noqa: E402

BROKEN: dict[str, Any] = {
    "name": "Order Update!",
    "language": "en_US",
    "category": "UTILITY",
    "allow_category_change": True,
    "components": [
        {"type": "HEADER", "format": "IMAGE"},
        {
            "type": "BODY",
            "text": "{{1}}{{3}} your order is ready, get 20% off {{name}}\n\n\nbye {{2}}",
        },
        {"type": "FOOTER", "text": "x {{1}}"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "A"},
                {"type": "URL", "text": "Go", "url": "https://a.example/{{1}}/x"},
                {"type": "QUICK_REPLY", "text": "B" * 30},
                {"type": "COPY_CODE", "example": "X" * 20},
            ],
        },
    ],
}


def _rate(stmt: object, number: int, repeat: int) -> float:
    """Best calls per second over `repeat` runs of `number` calls."""
    times = timeit.repeat(stmt, number=number, repeat=repeat)  # type: ignore[arg-type]
    return number / min(times)


def _baseline() -> None:
    """An empty function call: what a call costs at all on this interpreter."""


def _generated(count: int) -> list[Any]:
    """`count` valid templates drawn from the library's own strategy (empty without Hypothesis)."""
    try:
        from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

        from wa_outbound.testing import templates  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the testing extra is missing
        return []
    drawn: list[Any] = []

    @settings(max_examples=count, database=None, suppress_health_check=list(HealthCheck))
    @given(templates())
    def collect(template: Any) -> None:  # noqa: ANN401 - a Template
        drawn.append(template)

    collect()
    return drawn


def bench(number: int, repeat: int, generated: int) -> dict[str, float]:
    """Lint and convert each realistic template, and a mix of generated ones."""
    rules = rules_at(T0)
    parsed = {
        name: template_from_graph(data)
        for name, data in (
            ("marketing (Meta's example)", MARKETING),
            ("utility, named, media header", UTILITY),
            ("authentication, copy code", AUTHENTICATION),
            ("broken: 14 findings", BROKEN),
        )
    }
    figures: dict[str, float] = {}
    for name, template in parsed.items():
        figures[f"lint_template: {name}"] = _rate(
            lambda t=template: lint_template(t, rules=rules), number, repeat
        )
    mix = _generated(generated)
    if mix:
        cycle = itertools.cycle(mix)
        figures[f"lint_template: {len(mix)} generated templates, round robin"] = _rate(
            lambda: lint_template(next(cycle), rules=rules), number, repeat
        )
    figures["template_from_graph: marketing"] = _rate(
        lambda: template_from_graph(MARKETING), number // 4, repeat
    )
    marketing = parsed["marketing (Meta's example)"]
    figures["template_to_graph: marketing"] = _rate(
        lambda: template_to_graph(marketing), number // 4, repeat
    )
    return figures


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    number, repeat, generated = (500, 2, 20) if args.quick else (20_000, 5, 500)
    baseline = _rate(_baseline, number, repeat)
    print(f"python {sys.version.split()[0]}; empty call baseline {baseline:,.0f}/s")
    print("\ntemplates per second (target: lint_template >= 20,000/s)")
    for name, rate in bench(number, repeat, generated).items():
        print(f"  {name:62} {rate:>10,.0f}/s   {baseline / rate:7.1f} x an empty call")


if __name__ == "__main__":
    main()
