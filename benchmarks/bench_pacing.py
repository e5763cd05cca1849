"""Pacing speed: `Pacer.admit` and `TokenBucket.admit` per second, against an empty call.

Run: `python benchmarks/bench_pacing.py` (add `--quick` for a smoke run). Figures are printed
absolute and as a ratio to an empty function call measured in the same process, so runs on
different machines compare. Target (issue #5, item 4): >= 1,000,000 admits per second.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import timeit
from datetime import datetime, timedelta, timezone

from wa_outbound import PhoneNumberId, WaId, rules_at
from wa_outbound._pacing import Pacer, ThroughputClass, TokenBucket

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def _rate(stmt: object, number: int, repeat: int) -> float:
    """Best calls per second over `repeat` runs of `number` calls."""
    times = timeit.repeat(stmt, number=number, repeat=repeat)  # type: ignore[arg-type]
    return number / min(times)


def _baseline() -> None:
    """An empty function call: what a call costs at all on this interpreter."""


def bench(number: int, repeat: int) -> dict[str, float]:
    """Admits on a campaign (many recipients, time advancing) and on one busy recipient."""
    rules = rules_at(T0)
    recipients = [WaId(f"49151{i:08d}") for i in range(10_000)]
    nows = [T0 + timedelta(milliseconds=i) for i in range(number)]
    business = PhoneNumberId("106540352242922")

    def campaign() -> float:
        pacer = Pacer(business=business, rules=rules, throughput_class=ThroughputClass.UPGRADED)
        admit = pacer.admit
        pairs = zip(itertools.cycle(recipients), nows)
        return timeit.timeit(lambda: admit(*next(pairs)), number=number)

    pacer = Pacer(business=business, rules=rules)
    one = recipients[0]
    bucket = TokenBucket.per_second(80)
    return {
        "Pacer.admit, 10,000 recipients round robin": number
        / min(campaign() for _ in range(repeat)),
        "Pacer.admit, one recipient, same now": _rate(lambda: pacer.admit(one, T0), number, repeat),
        "Pacer.peek, one recipient": _rate(lambda: pacer.peek(one, T0), number, repeat),
        "TokenBucket.admit, same now": _rate(lambda: bucket.admit(T0), number, repeat),
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    number, repeat = (2_000, 2) if args.quick else (200_000, 5)
    baseline = _rate(_baseline, number, repeat)
    print(f"python {sys.version.split()[0]}; empty call baseline {baseline:,.0f}/s")
    print("\nadmits (target >= 1,000,000/s; lambda call overhead included)")
    for name, rate in bench(number, repeat).items():
        print(f"  {name:45} {rate:>12,.0f}/s   {baseline / rate:6.1f} x an empty call")


if __name__ == "__main__":
    main()
