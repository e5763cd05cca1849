"""Campaign planner speed and memory: `plan_campaign` over 1,000,000 and 10,000,000 recipients.

Run: `python benchmarks/bench_campaign.py` (add `--quick` for 100,000). Each size runs in a fresh
process, so that its peak memory (`ru_maxrss`) is its own; the figure printed is the growth of
the peak over the process's footprint before planning. Recipients are synthetic and generated
lazily (a generator of `WaId`: mostly fresh opted-in users, a realistic country mix, one in
fifty listed twice, one in a hundred without an opt-in), so the input itself takes no memory.
Generating a `WaId` costs about as much as planning it; the generator alone is timed too and
subtracted, to show the planner's own cost. Target (issue #6): 10,000,000 recipients in <= 10 s,
memory not growing with the number of recipients.

Three runs per size: utility template without a rate card (the pure schedule), marketing with
the built-in rate card (market lookup and pricing), and `dedupe=False` (flat memory).
"""

from __future__ import annotations

import argparse
import itertools
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from wa_outbound import MessagingLimit, PhoneNumberId, WaId
from wa_outbound._campaign import CampaignRecipient, plan_campaign
from wa_outbound._kinds import SendKind
from wa_outbound._rates import builtin_rate_card

if TYPE_CHECKING:
    from collections.abc import Iterator

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
BUSINESS = PhoneNumberId("106540352242922")
# (calling code + leading national digits, national digits to add): India, Brazil, Indonesia,
# Mexico, Germany, Nigeria, Afghanistan, the UK, the US.
MIX = (
    ("9198", 8),
    ("9198", 8),
    ("9197", 8),
    ("5511", 9),
    ("5521", 9),
    ("62812", 8),
    ("52155", 8),
    ("49151", 8),
    ("234803", 7),
    ("9370", 7),
    ("447700", 6),
    ("1415555", 4),
)


def recipients(count: int) -> Iterator[WaId | CampaignRecipient]:
    """`count` synthetic rows: mostly bare opted-in ids, a few repeats and refusals."""
    mix = itertools.cycle(MIX)
    for i in range(count):
        prefix, digits = next(mix)
        number = WaId(f"{prefix}{i % 10**digits:0{digits}d}")
        if i % 100 == 7:
            yield CampaignRecipient(recipient=number, opted_in=False)
        elif i % 50 == 3 and i:
            yield WaId(f"{MIX[0][0]}{(i - 12) % 10**8:08d}")  # listed earlier
        else:
            yield number


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def one(count: int, variant: str) -> None:
    """Plan `count` recipients in this process; print seconds and peak memory growth."""
    start = time.perf_counter()
    for _ in recipients(count):
        pass
    generate = time.perf_counter() - start
    card = builtin_rate_card() if variant == "priced" else None
    kind = SendKind.MARKETING_TEMPLATE if variant == "priced" else SendKind.UTILITY_TEMPLATE
    before = _peak_kib()
    start = time.perf_counter()
    plan = plan_campaign(
        recipients(count),
        business=BUSINESS,
        kind=kind,
        start=T0,
        limit=MessagingLimit(users=100_000),
        rate_card=card,
        assume_opted_in=True,
        dedupe=variant != "no-dedupe",
    )
    total = time.perf_counter() - start
    grown = (_peak_kib() - before) / 1024
    print(
        f"  {count:>11,} {variant:10} {total:7.2f} s total  {total - generate:6.2f} s planning"
        f" ({(total - generate) / count * 1e6:.2f} us/recipient)  peak +{grown:7.1f} MiB"
        f"  [{plan.scheduled:,} sent, {len(plan.days)} days, {len(plan.tier_changes)} upgrades,"
        f" {sum(plan.blocked.values()):,} blocked, {plan.unknown_price_sends:,} unknown price]"
    )


def main() -> None:
    """Run every size and variant in a fresh process and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 recipients only")
    parser.add_argument("--one", nargs=2, metavar=("COUNT", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(int(args.one[0]), args.one[1])
        return
    sizes = (100_000,) if args.quick else (1_000_000, 10_000_000)
    print(f"python {sys.version.split()[0]}; plan_campaign (target: 10,000,000 in <= 10 s)")
    for variant in ("schedule", "priced", "no-dedupe"):
        for size in sizes:
            subprocess.run([sys.executable, __file__, "--one", str(size), variant], check=False)


if __name__ == "__main__":
    main()
