"""Ledger speed and memory: `LimitLedger.record` per second, and 1,000,000 active recipients.

Run: `python benchmarks/bench_ledger.py` (add `--quick` for a smoke run). Speeds are printed
absolute and as a ratio to an empty function call measured in the same process, so runs on
different machines compare. Targets (issue #5, item 2): >= 1,000,000 recorded sends per second
on one core; <= 256 MiB for 1,000,000 active recipients (measured with `tracemalloc`; the
recipient values themselves are built beforehand and not counted, as a host holds them anyway).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import timeit
import tracemalloc
from datetime import datetime, timedelta, timezone

from wa_outbound import LimitScope, MessagingLimit, WaId, rules_at
from wa_outbound._ledger import LimitLedger, LimitScopeKey

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
RULES = rules_at(T0)
SCOPE = LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="1234567890")


def _rate(stmt: object, number: int, repeat: int) -> float:
    """Best calls per second over `repeat` runs of `number` calls."""
    times = timeit.repeat(stmt, number=number, repeat=repeat)  # type: ignore[arg-type]
    return number / min(times)


def _baseline() -> None:
    """An empty function call: what a call costs at all on this interpreter."""


def bench(number: int, repeat: int) -> dict[str, float]:
    """Recorded sends: a campaign (new recipients, time advancing), re-sends, and questions."""
    recipients = [WaId(f"49151{i:08d}") for i in range(number)]
    nows = [T0 + timedelta(microseconds=50 * i) for i in range(number)]
    limit = MessagingLimit(users=100_000)

    def campaign() -> float:
        record = LimitLedger(scope=SCOPE, rules=RULES).record
        pairs = zip(recipients, nows, strict=True)
        return timeit.timeit(lambda: record(*next(pairs)), number=number)

    def loop_campaign() -> float:
        """The same campaign without timeit's lambda: a host's own loop."""
        record = LimitLedger(scope=SCOPE, rules=RULES).record
        start = timeit.default_timer()
        for recipient, now in zip(recipients, nows, strict=True):
            record(recipient, now)
        return timeit.default_timer() - start

    busy = LimitLedger(scope=SCOPE, rules=RULES)
    ten_thousand = recipients[:10_000]
    for recipient in ten_thousand:
        busy.record(recipient, T0)
    cycle = itertools.cycle(ten_thousand)
    one = recipients[0]
    return {
        "record, new recipients, time advancing": number / min(campaign() for _ in range(repeat)),
        "record, same, plain for-loop (no lambda)": number
        / min(loop_campaign() for _ in range(repeat)),
        "record, re-send among 10,000, same now": _rate(
            lambda: busy.record(next(cycle), T0), number, repeat
        ),
        "would_count, one recipient": _rate(lambda: busy.would_count(one, T0), number, repeat),
        "remaining, 10,000 counted": _rate(lambda: busy.remaining(limit, T0), number, repeat),
        "next_release_at, 10,000 counted": _rate(lambda: busy.next_release_at(T0), number, repeat),
    }


def memory(count: int) -> float:
    """Bytes per active recipient of a ledger holding `count` of them (tracemalloc)."""
    recipients = [WaId(f"49151{i:08d}") for i in range(count)]
    nows = [T0 + timedelta(microseconds=50 * i) for i in range(count)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ledger = LimitLedger(scope=SCOPE, rules=RULES)
    for recipient, now in zip(recipients, nows, strict=True):
        ledger.record(recipient, now)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert count == ledger.opened(nows[-1])
    return used


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    number, repeat, active = (2_000, 2, 10_000) if args.quick else (500_000, 5, 1_000_000)
    baseline = _rate(_baseline, number, repeat)
    print(f"python {sys.version.split()[0]}; empty call baseline {baseline:,.0f}/s")
    print("\nledger calls (target >= 1,000,000 records/s)")
    for name, rate in bench(number, repeat).items():
        print(f"  {name:45} {rate:>12,.0f}/s   {baseline / rate:6.1f} x an empty call")
    used = memory(active)
    print(f"\nmemory of {active:,} active recipients (target <= 256 MiB for 1,000,000)")
    print(f"  {used / 2**20:,.1f} MiB, {used / active:,.0f} bytes per recipient")


if __name__ == "__main__":
    main()
