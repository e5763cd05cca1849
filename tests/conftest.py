"""Shared fixtures and Hypothesis profiles (`HYPOTHESIS_PROFILE=dev|ci|deep|fuzz`)."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, settings

from wa_outbound import Conversation, PhoneNumberId, WaId

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
