"""Shared-ledger speed: `RedisLimitLedger.admit` per second from 1, 4 and 16 worker processes.

Run: `python benchmarks/bench_redis.py` (add `--quick` for a smoke run; `--url` for a running
server, else a private `redis-server` is started on a free port). Each worker is a process with
its own client, admitting recipients of one portfolio (a 250,000 limit, recipients drawn from
100,000, so most admissions re-send and some take a slot); every admission is one script call,
one round trip. `--batch N` admits N recipients per call (`admit_many`: one script, one round
trip), as a campaign that sends in batches would. The in-memory gate (`remaining`,
`would_count`, `record` on a `LimitLedger`) is measured in the same run for the ratio.
Target (issue #14): >= 20,000 admissions per second in aggregate on a 2-core machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import redis

from wa_outbound import LimitScope, MessagingLimit, WaId, rules_at
from wa_outbound.limits import LimitLedger, LimitScopeKey
from wa_outbound.redis import RedisLimitLedger

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
RULES = rules_at(T0)
SCOPE = LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="184512934729183")
LIMIT = MessagingLimit(users=250_000)
RECIPIENTS = 100_000


def _worker(url: str, prefix: str, seed: int, count: int, batch: int, barrier: Any) -> None:  # noqa: ANN401, PLR0917
    """Admit `count` recipients after every worker is ready; report the seconds it took."""
    client = redis.Redis.from_url(url)
    ledger = RedisLimitLedger(client, scope=SCOPE, rules=RULES, prefix=prefix)
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    numbers = [WaId(f"49151{rng.randrange(RECIPIENTS):08d}") for _ in range(count)]
    nows = [T0 + timedelta(microseconds=50 * i) for i in range(count)]
    ledger.admit(numbers[0], LIMIT, T0)  # connect and load the script before timing
    barrier.wait()
    if batch == 1:
        for number, now in zip(numbers, nows, strict=True):
            ledger.admit(number, LIMIT, now)
    else:
        for start in range(0, count, batch):
            ledger.admit_many(numbers[start : start + batch], LIMIT, nows[start])
    barrier.wait()
    client.close()


def run_workers(url: str, workers: int, total: int, batch: int) -> float:
    """Admissions per second, in aggregate, from `workers` processes sharing `total` calls."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    prefix = f"bench{random.randrange(1 << 30)}"  # noqa: S311
    share = total // workers
    processes = [
        context.Process(target=_worker, args=(url, prefix, seed, share, batch, barrier))
        for seed in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    barrier.wait()
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join()
    with redis.Redis.from_url(url) as client:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    return share * workers / elapsed


def in_memory(count: int) -> float:
    """Gated admissions per second through `LimitLedger` in memory (one process)."""
    rng = random.Random(1)  # noqa: S311
    numbers = [WaId(f"49151{rng.randrange(RECIPIENTS):08d}") for _ in range(count)]
    nows = [T0 + timedelta(microseconds=50 * i) for i in range(count)]
    ledger = LimitLedger(scope=SCOPE, rules=RULES)
    start = time.perf_counter()
    for number, now in zip(numbers, nows, strict=True):
        remaining = ledger.remaining(LIMIT, now)
        if remaining is None or remaining > 0 or not ledger.would_count(number, now):
            ledger.record(number, now)
    return count / (time.perf_counter() - start)


def _private_server() -> tuple[str, subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server on PATH: pass --url")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tempfile.mkdtemp(prefix="bench-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            with redis.Redis.from_url(url) as client:
                client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    return url, process, directory


def main() -> None:
    """Print admissions per second for 1, 4 and 16 workers, and the in-memory ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--url", help="a running server (default: start a private one)")
    parser.add_argument(
        "--batch", type=int, nargs="*", default=[1, 32], help="recipients per call (1: admit)"
    )
    options = parser.parse_args()
    total = 8_000 if options.quick else 64_000
    process = directory = None
    url = options.url
    if url is None:
        url, process, directory = _private_server()
    try:
        memory = in_memory(total)
        print(f"in-memory LimitLedger gate, 1 process: {memory:,.0f} admissions/s")
        for batch in options.batch:
            call = "admit" if batch == 1 else f"admit_many (batches of {batch})"
            for workers in (1, 4, 16):
                rate = run_workers(url, workers, total, batch)
                print(
                    f"RedisLimitLedger.{call}, {workers:2d} workers:"
                    f" {rate:,.0f} admissions/s (in-memory / Redis: {memory / rate:,.1f}x)"
                )
    finally:
        if process is not None:
            process.terminate()
            process.wait()
            shutil.rmtree(str(directory), ignore_errors=True)


if __name__ == "__main__":
    main()
