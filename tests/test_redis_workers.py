"""Many workers, one account: processes and threads share one ledger and one pacer in Redis."""

from __future__ import annotations

import collections
import os
import random
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from wa_outbound import LimitScope, MessagingLimit, PhoneNumberId, WaId, rules_at
from wa_outbound.limits import LimitScopeKey

from . import redis_server

if TYPE_CHECKING:
    from pathlib import Path

redis = pytest.importorskip("redis")
from wa_outbound.redis import RedisLimitLedger, RedisPacer  # noqa: E402 - after the skip

pytestmark = pytest.mark.redis

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
RULES = rules_at(T0)
DAY = timedelta(hours=24)
PORTFOLIO = LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="184512934729183")
NUMBER = PhoneNumberId("106540352242922")
LIMIT = MessagingLimit(users=250)
POOL = [f"4915100{n:05d}" for n in range(600)]
PHASES = (T0, T0 + timedelta(hours=12), T0 + timedelta(hours=24, minutes=30))
"""Fill the limit; re-send to some inside the window; after the first slots expired."""
PROCESSES, THREADS, ATTEMPTS = 4, 4, 120
_SPAWN = redis_server.worker_context()


def _admit_phase(ledger: RedisLimitLedger, start: datetime, seed: int) -> list[tuple[Any, ...]]:
    """Admit a random share of the pool at instants within a minute of `start`."""
    rng = random.Random(seed)  # noqa: S311 - test data
    admitted = []
    for number in rng.sample(POOL, ATTEMPTS):
        at = start + timedelta(milliseconds=rng.randrange(60_000))
        answer = ledger.admit(WaId(number), LIMIT, at)
        if answer.admitted:
            admitted.append((number, at, answer.new_slot))
    return admitted


def _hammer(url: str, prefix: str, worker: int, barrier: Any, results: Any) -> None:
    """Run every phase with `THREADS` threads, each phase starting with every other worker."""
    client = redis.Redis.from_url(url)
    ledger = RedisLimitLedger(client, scope=PORTFOLIO, rules=RULES, prefix=prefix)
    log: list[tuple[Any, ...]] = []
    for phase, start in enumerate(PHASES):
        barrier.wait(60)
        shares: list[list[tuple[Any, ...]]] = [[] for _ in range(THREADS)]

        def run(
            thread: int, start: datetime = start, phase: int = phase, shares: list[Any] = shares
        ) -> None:
            shares[thread] = _admit_phase(ledger, start, hash((worker, thread, phase)))

        threads = [threading.Thread(target=run, args=(thread,)) for thread in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log += [entry for share in shares for entry in share]
    results.put(log)
    client.close()


def _most_in_any_window(log: list[tuple[str, datetime, bool]]) -> int:
    """The most unique recipients admitted in any moving 24 h span `(t - 24 h, t]`."""
    events = sorted(log, key=lambda entry: entry[1])
    inside: collections.Counter[str] = collections.Counter()
    most, first = 0, 0
    for number, at, _ in events:
        inside[number] += 1
        while events[first][1] <= at - DAY:
            gone = events[first][0]
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
            first += 1
        most = max(most, len(inside))
    return most


def test_processes_and_threads_never_over_admit() -> None:
    """4 processes x 4 threads at a 250 limit: exactly 250 unique recipients in every window."""
    url, prefix = redis_server.url(), redis_server.prefix()
    barrier = _SPAWN.Barrier(PROCESSES)
    results = _SPAWN.Queue()
    workers = [
        _SPAWN.Process(target=_hammer, args=(url, prefix, worker, barrier, results))
        for worker in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    log = [entry for _ in workers for entry in results.get(timeout=120)]
    for process in workers:
        process.join(60)
    assert [0] * PROCESSES == [process.exitcode for process in workers]
    assert 250 == _most_in_any_window(log)
    by_phase = [[entry for entry in log if start <= entry[1] < start + DAY / 4] for start in PHASES]
    new_slots = [{number for number, _, new in entries if new} for entries in by_phase]
    assert 250 == len(new_slots[0])  # exactly the limit, though 600 were asked for
    assert set() == new_slots[1]  # half a day later: re-sends only, no slot free
    kept = {number for number, _, _ in by_phase[1]}  # re-sent at +12 h: still held at +24.5 h
    assert 250 - len(kept) == len(new_slots[2])
    assert not kept & new_slots[2]
    with redis.Redis.from_url(url) as client:
        ledger = RedisLimitLedger(client, scope=PORTFOLIO, rules=RULES, prefix=prefix)
        assert 250 == ledger.opened(PHASES[2] + timedelta(minutes=1))
    news = sum(len(numbers) for numbers in new_slots)
    assert news == sum(1 for _, _, new in log if new)  # no recipient took two slots at once


def _victim(url: str, prefix: str, path: str) -> None:
    """Admit forever, logging each new slot after the script answered, until killed."""
    client = redis.Redis.from_url(url)
    ledger = RedisLimitLedger(client, scope=PORTFOLIO, rules=RULES, prefix=prefix)
    rng = random.Random(7)  # noqa: S311 - test data
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    while True:
        number = rng.choice(POOL)
        if ledger.admit(WaId(number), LIMIT, T0).new_slot:
            os.write(descriptor, f"{number}\n".encode())


def _survivor(url: str, prefix: str, worker: int, results: Any) -> None:
    """Admit a random share of the pool with two threads; report the new slots taken."""
    client = redis.Redis.from_url(url)
    ledger = RedisLimitLedger(client, scope=PORTFOLIO, rules=RULES, prefix=prefix)
    shares: list[list[tuple[Any, ...]]] = [[], []]

    def run(thread: int) -> None:
        shares[thread] = _admit_phase(ledger, T0, hash((worker, thread)))

    threads = [threading.Thread(target=run, args=(thread,)) for thread in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put([number for share in shares for number, _, new in share if new])
    client.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_worker_killed_mid_run_neither_over_admits_nor_loses_a_slot(tmp_path: Path) -> None:
    """SIGKILL one worker among four: at most 250 held, and every slot held is someone's."""
    url, prefix = redis_server.url(), redis_server.prefix()
    path = str(tmp_path / "victim.log")
    victim = _SPAWN.Process(target=_victim, args=(url, prefix, path))
    victim.start()
    deadline = time.monotonic() + 60
    while not (os.path.exists(path) and os.path.getsize(path) > 200):  # noqa: PTH110, PTH202
        assert time.monotonic() < deadline, "the victim never admitted"
        time.sleep(0.01)
    results = _SPAWN.Queue()
    survivors = [
        _SPAWN.Process(target=_survivor, args=(url, prefix, worker, results)) for worker in range(3)
    ]
    for process in survivors:
        process.start()
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    victim.join(30)
    taken = [number for _ in survivors for number in results.get(timeout=120)]
    for process in survivors:
        process.join(60)
    assert -signal.SIGKILL == victim.exitcode
    with open(path, encoding="ascii") as file:  # noqa: PTH123
        logged = [line for line in file.read().split("\n") if line]
    with redis.Redis.from_url(url) as client:
        ledger = RedisLimitLedger(client, scope=PORTFOLIO, rules=RULES, prefix=prefix)
        # whatever slot is still free, someone can take it
        taken += [number for number in POOL if ledger.admit(WaId(number), LIMIT, T0).new_slot]
        held = {member.decode().split(":")[1] for member in client.zrange(ledger.key, 0, -1)}
    assert 250 == len(held)  # no over-admission, and no slot lost to the killed worker
    assert len(taken) + len(logged) == len(set(taken) | set(logged))  # each counted once
    assert set(taken) | set(logged) <= held
    assert len(held - set(taken) - set(logged)) <= 1  # admitted just before the kill, unlogged


def _pace(url: str, prefix: str, worker: int, start: float, results: Any) -> None:
    """Ask the shared pacer for 100 messages to distinct recipients from two threads."""
    client = redis.Redis.from_url(url)
    pacer = RedisPacer(client, business=NUMBER, rules=RULES, throughput_burst=5, prefix=prefix)
    answers: list[datetime] = []

    def run(thread: int) -> None:
        for n in range(50):
            now = T0 + timedelta(seconds=time.monotonic() - start)
            answers.append(pacer.admit(WaId(f"49151{worker}{thread}{n:05d}"), now))

    threads = [threading.Thread(target=run, args=(thread,)) for thread in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(answers)
    client.close()


def test_the_pacer_across_processes_keeps_to_throughput_plus_burst() -> None:
    """4 processes x 2 threads: no span of time holds more than its share plus the burst."""
    url, prefix = redis_server.url(), redis_server.prefix()
    results = _SPAWN.Queue()
    start = time.monotonic()
    workers = [
        _SPAWN.Process(target=_pace, args=(url, prefix, worker, start, results))
        for worker in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    answers = sorted(at for _ in workers for at in results.get(timeout=120))
    for process in workers:
        process.join(60)
    assert 400 == len(answers)
    interval = timedelta(microseconds=12_500)  # 80 messages per second
    burst = 5
    for first in range(len(answers)):
        for last in range(first + burst, len(answers)):
            # `last - first + 1` messages in a closed span: at most burst + span / interval
            assert answers[last] - answers[first] >= interval * (last - first + 1 - burst)
    assert answers[-1] - answers[0] >= interval * (400 - burst)  # the pace was needed


def _reserve(url: str, prefix: str, results: Any) -> None:
    """Reserve the same 50 outbox keys as every other worker; report the ones this one got."""
    from wa_outbound import InvalidValueError, Provider, SendKind
    from wa_outbound.redis import RedisStore
    from wa_outbound.sending import Outbox, OutboxEntry, OutboxStatus
    from wa_outbound.state import BusinessNumber, SenderState

    shop = BusinessNumber(
        phone_number_id=NUMBER, waba_id="102290129340398", portfolio_id=PORTFOLIO.graph_id
    )
    state = SenderState(RedisStore.from_url(url, prefix=prefix, timeout=10), numbers=[shop])
    outbox = Outbox(state)
    mine = []
    for n in range(50):
        entry = OutboxEntry(
            key=f"wao-{n}",
            provider=Provider.META,
            business=NUMBER,
            recipient=WaId(POOL[n]),
            kind=SendKind.FREE_FORM,
            status=OutboxStatus.PENDING,
            created_at=T0,
            updated_at=T0,
            request={"path": f"{NUMBER}/messages", "body": {"to": POOL[n]}},
        )
        try:
            outbox.reserve(entry)
            mine.append(entry.key)
        except InvalidValueError:
            continue
    results.put(mine)
    state.store.close()


def test_each_outbox_key_is_reserved_by_one_worker_only() -> None:
    """4 processes reserve the same keys: each key goes to exactly one, none is lost."""
    url, prefix = redis_server.url(), redis_server.prefix()
    results = _SPAWN.Queue()
    workers = [_SPAWN.Process(target=_reserve, args=(url, prefix, results)) for _ in range(4)]
    for process in workers:
        process.start()
    reserved = [key for _ in workers for key in results.get(timeout=120)]
    for process in workers:
        process.join(60)
    assert [0] * 4 == [process.exitcode for process in workers]
    assert sorted(f"wao-{n}" for n in range(50)) == sorted(reserved)
