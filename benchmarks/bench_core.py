"""Core speed: `can_send` and `apply` per second, and `import wa_outbound` against `import cattrs`.

Run: `python benchmarks/bench_core.py` (add `--quick` for a smoke run). Figures are printed
both absolute and as ratios against baselines measured in the same process, so runs on
different machines can be compared. Targets (issue #3): can_send >= 500,000/s (stretch
1,000,000/s), apply >= 300,000/s, import time <= 1.2 x `import cattrs`.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import subprocess
import sys
import timeit
from datetime import datetime, timedelta, timezone
from pathlib import Path

import wa_outbound
from wa_outbound import (
    Conversation,
    EntryPoint,
    InboundMessageReceived,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    PhoneNumberId,
    ReferralReceived,
    SendKind,
    WaId,
    can_send,
    rules_at,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def _rate(stmt: object, number: int, repeat: int) -> float:
    """Best calls per second over `repeat` runs of `number` calls."""
    times = timeit.repeat(stmt, number=number, repeat=repeat)  # type: ignore[arg-type]
    return number / min(times)


def _baseline() -> None:
    """An empty function call: what a call costs at all on this interpreter."""


def bench_can_send(number: int, repeat: int) -> dict[str, float]:
    """`can_send` on a realistic conversation, with rules given and looked up by `now`."""
    c = Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))
    c = c.apply_all(
        [
            ReferralReceived(at=T0, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD),
            OutboundMessageSent(at=T0 + timedelta(minutes=2)),
            OptInRecorded(at=T0, method="ad form"),
            OptOutReceived(at=T0 + timedelta(hours=1), scope=OptOutScope.MARKETING),
        ]
    )
    now = T0 + timedelta(hours=3)
    rules = rules_at(now)
    kinds = list(SendKind)
    results = {}
    for kind in (SendKind.FREE_FORM, SendKind.MARKETING_TEMPLATE):
        results[f"can_send {kind.value} (rules given)"] = _rate(
            lambda kind=kind: can_send(c, kind, now=now, rules=rules), number, repeat
        )
    results["can_send free_form (rules looked up)"] = _rate(
        lambda: can_send(c, SendKind.FREE_FORM, now=now), number, repeat
    )
    rotation = itertools.cycle(kinds)
    results["can_send every kind, round robin"] = _rate(
        lambda: can_send(c, next(rotation), now=now, rules=rules), number, repeat
    )
    return results


def bench_apply(number: int, repeat: int) -> dict[str, float]:
    """`apply` of inbound messages: each one new (the window moves) and a duplicate (no-op)."""
    c = Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))
    facts = [InboundMessageReceived(at=T0 + timedelta(seconds=i)) for i in range(number)]
    state = {"c": c, "i": 0}

    def apply_new() -> None:
        i = state["i"]
        state["c"] = state["c"].apply(facts[i % number])  # type: ignore[attr-defined]
        state["i"] = i + 1

    def run_new() -> float:
        state["c"], state["i"] = c, 0
        return timeit.timeit(apply_new, number=number)

    best = min(run_new() for _ in range(repeat))
    duplicate = c.apply(facts[-1])
    older = facts[0]
    opt_in = OptInRecorded(at=T0, method="form")
    stop = OptOutReceived(at=T0, scope=OptOutScope.MARKETING)
    return {
        "apply new inbound message": number / best,
        "apply late or duplicate message": _rate(lambda: duplicate.apply(older), number, repeat),
        "apply opt-in (consent machine)": _rate(lambda: c.apply(opt_in), number, repeat),
        "apply marketing stop": _rate(lambda: c.apply(stop), number, repeat),
    }


def bench_import(runs: int) -> dict[str, float]:
    """Whole-process import time of `wa_outbound` against `cattrs` (best of `runs`)."""

    def best(module: str) -> float:
        samples = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", f"import {module}"],
                capture_output=True,
                text=True,
                check=True,
            ).stderr
            total = 0
            for line in out.splitlines():
                parts = line.split("|")
                if len(parts) == 3 and parts[2].strip() == module:
                    total = int(parts[1])
            samples.append(total / 1e6)
        return min(samples)

    # Measure wa_outbound as an installed package: with its bytecode compiled, as pip does
    # for cattrs (an editable install under PYTHONDONTWRITEBYTECODE would compile each time).
    compileall.compile_dir(str(Path(wa_outbound.__file__).parent), quiet=1)
    ours, theirs = best("wa_outbound"), best("cattrs")
    return {"import wa_outbound (s)": ours, "import cattrs (s)": theirs, "ratio": ours / theirs}


def main() -> None:
    """Run every benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    number, repeat, runs = (2_000, 2, 3) if args.quick else (200_000, 5, 15)

    baseline = _rate(_baseline, number, repeat)
    print(f"python {sys.version.split()[0]}; empty call baseline {baseline:,.0f}/s")
    for title, figures in (
        ("can_send (target >= 500,000/s)", bench_can_send(number, repeat)),
        ("apply (target >= 300,000/s)", bench_apply(number, repeat)),
    ):
        print(f"\n{title}")
        for name, rate in figures.items():
            print(f"  {name:45} {rate:>12,.0f}/s   {baseline / rate:6.1f} x an empty call")
    imports = bench_import(runs)
    print("\nimport time (target <= 1.2 x cattrs)")
    print(f"  import wa_outbound  {imports['import wa_outbound (s)'] * 1000:7.1f} ms")
    print(f"  import cattrs       {imports['import cattrs (s)'] * 1000:7.1f} ms")
    print(f"  ratio               {imports['ratio']:7.2f}")


if __name__ == "__main__":
    main()
