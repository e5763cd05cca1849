"""Shared fixtures and Hypothesis profiles (`HYPOTHESIS_PROFILE=dev|ci|deep|fuzz`)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from wa_outbound import Conversation, PhoneNumberId, WaId
from wa_outbound.stores import MemoryStore, SqliteStore, Store

from . import redis_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.register_profile(
    "dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("deep", max_examples=2000, deadline=None, stateful_step_count=80)
settings.register_profile("fuzz", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
"""A Monday morning under today's rules."""
T2023 = datetime(2023, 3, 6, 9, 0, tzinfo=timezone.utc)
"""A Monday morning under the 2023 regime."""


@pytest.fixture
def conversation() -> Conversation:
    """A fresh conversation between a shop's number and one customer."""
    return Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))


STORE_KINDS = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]
"""Every store kind, as test parameters (the Redis ones marked `redis`)."""


def make_store(kind: str, directory: Path | None = None, **options: object) -> Store:
    """Return a fresh, empty store of `kind` (SQLite in `directory`, else in memory)."""
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(":memory:" if directory is None else directory / "s.db")
    from wa_outbound.redis import RedisStore

    return RedisStore.from_url(
        redis_server.url(),
        prefix=redis_server.prefix(),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store kind, fresh."""
    made = make_store(request.param, tmp_path)
    yield made
    made.close()


def pytest_sessionfinish() -> None:
    """Stop the private Redis server, if a test started one."""
    redis_server.stop()
