"""State façade speed: `receive` into SQLite, `decide` from SQLite, and bytes on disk.

Run: `python benchmarks/bench_state.py` (add `--quick` for a smoke run). Targets (issue #12):
`receive` into SQLite >= 20,000 events/s in webhook-sized batches; the façade's `decide` on
SQLite for a warm recipient >= 20,000/s, reported with its ratio to the pure `decide` measured
in the same process; bytes on disk per 1,000,000 stored conversations (extrapolated from a
sample, stated as such).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from wa_outbound import PhoneNumberId, SendKind, WaId, decide, rules_at, webhooks
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import SqliteStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
SHOP = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242922"),
    waba_id="102290129340398",
    portfolio_id="184512934729183",
    display_phone_number="15550001111",
)


def batch(first: int, size: int, at: int) -> dict[str, Any]:
    """One Meta webhook with `size` inbound messages from users `first`... (distinct)."""
    messages = [
        {
            "from": f"4915{first + n:09d}",
            "id": f"wamid.bench{first + n}.{at}",
            "timestamp": str(at),
            "type": "text",
            "text": {"body": "Hello"},
        }
        for n in range(size)
    ]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": SHOP.waba_id,
                "time": at,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": SHOP.phone_number_id.value,
                            },
                            "messages": messages,
                        },
                    }
                ],
            }
        ],
    }


def bench_receive(folder: Path, users: int, size: int) -> float:
    """Events per second folded into a fresh SQLite store, `size` events per batch."""
    state = SenderState(SqliteStore(folder / "receive.sqlite"), numbers=[SHOP])
    at = int(NOW.timestamp())
    batches = [webhooks.parse_meta_events(batch(n, size, at)) for n in range(0, users, size)]
    start = time.perf_counter()
    for events in batches:
        state.receive(events, now=NOW)
    elapsed = time.perf_counter() - start
    state.store.close()
    return users / elapsed


def bench_decide(folder: Path, number: int) -> tuple[float, float]:
    """The façade's decisions per second for a warm recipient, and the pure `decide`'s."""
    state = SenderState(SqliteStore(folder / "decide.sqlite"), numbers=[SHOP])
    anna = WaId("4915123456789")
    at = int(NOW.timestamp())
    state.receive(webhooks.parse_meta_events(batch(123456789, 1, at)), now=NOW)
    later = NOW + timedelta(minutes=5)
    state.decide(SHOP.phone_number_id, anna, SendKind.FREE_FORM, now=later)
    start = time.perf_counter()
    for _ in range(number):
        state.decide(SHOP.phone_number_id, anna, SendKind.FREE_FORM, now=later)
    facade = number / (time.perf_counter() - start)
    conversation = state.conversation(SHOP.phone_number_id, anna)
    rules = rules_at(later)
    start = time.perf_counter()
    for _ in range(number):
        decide(conversation, SendKind.FREE_FORM, now=later, rules=rules)
    pure = number / (time.perf_counter() - start)
    state.store.close()
    return facade, pure


def bench_bytes(folder: Path, users: int) -> float:
    """Bytes on disk per stored conversation, after `users` conversations (WAL checkpointed)."""
    path = folder / "size.sqlite"
    state = SenderState(SqliteStore(path), numbers=[SHOP])
    at = int(NOW.timestamp())
    for first in range(0, users, 500):
        state.receive(webhooks.parse_meta_events(batch(first, 500, at)), now=NOW)
    state.store.close()
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
    db.close()
    return path.stat().st_size / users


def main() -> None:
    """Print the figures and their targets."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a smoke run with small counts")
    quick = parser.parse_args().quick
    users, decisions, sample = (2_000, 2_000, 2_000) if quick else (50_000, 50_000, 50_000)
    print(f"python {sys.version.split()[0]}; SQLite store in a temporary folder")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for size in (1, 10, 100):
            (folder / f"b{size}").mkdir()
            rate = bench_receive(folder / f"b{size}", users, size)
            label = f"receive, {size:>3} events per webhook"
            print(f"  {label:<33}{rate:>10,.0f} events/s  (target 20,000)")
        facade, pure = bench_decide(folder, decisions)
        print(f"  decide via SenderState (SQLite)  {facade:>10,.0f} /s       (target 20,000)")
        ratio = pure / facade
        print(f"  decide, pure, same recipient     {pure:>10,.0f} /s       ratio {ratio:.1f} x")
        per = bench_bytes(folder, sample)
        print(
            f"  bytes on disk per conversation   {per:>10,.0f}          "
            f"about {per * 1_000_000 / 2**20:,.0f} MiB per 1,000,000 (extrapolated from {sample:,})"
        )


if __name__ == "__main__":
    main()
