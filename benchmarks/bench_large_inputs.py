"""Large inputs take time in proportion to their size (issue #17): each at n and at 2n.

Run: `python benchmarks/bench_large_inputs.py [--quick]`. For each reader it times one input
and one twice its size, and prints the ratio, which should be about 2 (a quadratic reader gives
about 4): a rate card whose 1 MB header repeats its last column (the duplicate-column check), a
recipients file with a 1 MB header, a Twilio Content resource whose 1 MB URL is all placeholders
(filling them), a template body of 1 MB with variables (the linter), and a 4 MB Meta webhook
body of empty statuses (unknown events counted past the cap).
"""

from __future__ import annotations

import argparse
import io
import json
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from wa_outbound import RateCardError, load_rate_card, rules_at
from wa_outbound.campaigns import read_recipients
from wa_outbound.templates import lint_template, template_from_graph, template_from_twilio_content
from wa_outbound.webhooks import parse_meta_events

if TYPE_CHECKING:
    from collections.abc import Callable

MB = 1024 * 1024
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
RULES = rules_at(NOW)


def rate_card_header(size: int) -> Callable[[], object]:
    """A long-format header of `size` bytes of distinct columns, the last one repeated."""
    columns = [f"c{n}" for n in range(size // 8)]
    text = ",".join(["market", *columns, columns[-1]]) + "\n"

    def run() -> object:
        try:
            load_rate_card(io.StringIO(text))
        except RateCardError as error:
            return error
        return None

    return run


def recipients_header(size: int) -> Callable[[], object]:
    """A recipients file whose header is `size` bytes of columns, then one row."""
    columns = ",".join(f"c{n}" for n in range(size // 8))
    text = f"{columns},phone\n" + "," * (size // 8) + "4915123456789\n"
    return lambda: list(read_recipients(io.StringIO(text)))


def twilio_placeholders(size: int) -> Callable[[], object]:
    """A card whose URL button is `size` bytes of `{{1}}` placeholders, filled from a sample."""
    url = "https://example.com/" + "{{1}}" * (size // 5)
    content = {
        "friendly_name": "big",
        "language": "en",
        "variables": {"1": "x"},
        "types": {
            "whatsapp/card": {
                "body": "Hello",
                "actions": [{"type": "URL", "title": "Open", "url": url}],
            }
        },
    }
    return lambda: template_from_twilio_content(content, category="UTILITY")


def lint_body(size: int) -> Callable[[], object]:
    """A template body of `size` bytes with a variable every 50 characters, linted."""
    chunk = "Your order is on its way, we will let you know {{1}}. "
    body = chunk * (size // len(chunk))
    template = template_from_graph(
        {
            "name": "order_update",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": body}],
        }
    )
    return lambda: lint_template(template, rules=RULES)


def webhook_body(size: int) -> Callable[[], object]:
    """A Meta webhook body of `size` bytes of empty statuses (all unknown events)."""
    count = size // 3
    document = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {"messaging_product": "whatsapp", "statuses": [{}] * count},
                    }
                ],
            }
        ],
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    return lambda: parse_meta_events(body, max_body_bytes=len(body), received_at=NOW)


CASES: dict[str, tuple[Callable[[int], Callable[[], object]], int]] = {
    "rate card, 1 MB header with a repeated column": (rate_card_header, MB),
    "recipients file, 1 MB header": (recipients_header, MB),
    "Twilio Content, 1 MB of placeholders filled": (twilio_placeholders, MB),
    "lint_template, 1 MB body with variables": (lint_body, MB),
    "Meta webhook, 4 MB of empty statuses": (webhook_body, 4 * MB),
}


def best_of(run: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Time every case at its size and at twice it; print the times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a quarter of the sizes, one run")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    print(f"{'case':48} {'n':>8} {'time n':>9} {'time 2n':>9} {'ratio':>6}")
    for name, (make, size) in CASES.items():
        n = size // 4 if args.quick else size
        single = best_of(make(n), repeat)
        double = best_of(make(2 * n), repeat)
        print(f"{name:48} {n / MB:>6.2f}MB {single:>8.3f}s {double:>8.3f}s {double / single:>6.2f}")


if __name__ == "__main__":
    main()
