"""Hypothesis strategies for property-testing code that uses `wa_outbound`.

Needs the `testing` extra (`pip install 'wa_outbound[testing]'`); importing `wa_outbound`
itself never imports Hypothesis.

Example:
    >>> from hypothesis import given
    >>> from wa_outbound.testing import conversations
    >>> @given(conversations())
    ... def test_round_trip(conversation): ...
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from wa_outbound._conversation import Conversation
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRevoked,
    EntryPoint,
    Fact,
    InboundCallReceived,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    Provider,
    ReferralReceived,
    SendRejected,
)
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._time import UTC

__all__ = ["conversations", "facts", "instants", "phone_number_ids", "recipients", "wa_ids"]

EPOCH: Final = datetime(2023, 1, 1, tzinfo=UTC)
"""Start of the default time range: the oldest built-in rule set."""


def instants(
    start: datetime = EPOCH, span: timedelta = timedelta(days=30)
) -> st.SearchStrategy[datetime]:
    """Aware UTC instants in `[start, start + span]`, at whole seconds."""
    seconds = int(span.total_seconds())
    return st.integers(0, seconds).map(lambda s: start + timedelta(seconds=s))


def wa_ids() -> st.SearchStrategy[WaId]:
    """Valid WhatsApp user ids (E.164 digits)."""
    return st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True).map(WaId)


def recipients() -> st.SearchStrategy[WaId | BusinessScopedUserId]:
    """WhatsApp user ids and business-scoped user ids."""
    bsuids = st.from_regex(r"[A-Z]{2}\.[A-Za-z0-9]{1,40}", fullmatch=True).map(BusinessScopedUserId)
    return st.one_of(wa_ids(), bsuids)


def phone_number_ids() -> st.SearchStrategy[PhoneNumberId]:
    """Graph API phone number ids."""
    return st.from_regex(r"[0-9]{15}", fullmatch=True).map(PhoneNumberId)


def facts(times: st.SearchStrategy[datetime] | None = None) -> st.SearchStrategy[Fact]:
    """Any conversation fact, at instants drawn from `times` (default: `instants()`)."""
    at = times if times is not None else instants()
    codes = st.sampled_from(
        [*AUTHORITATIVE_CODES, (Provider.META, 131026), (Provider.TWILIO, 63024)]
    )
    text = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).filter(str.strip)

    def granted(start: datetime, hours: int | None) -> CallPermissionGranted:
        expires = None if hours is None else start + timedelta(hours=hours)
        return CallPermissionGranted(at=start, expires_at=expires)

    return st.one_of(
        st.builds(InboundMessageReceived, at=at),
        st.builds(InboundCallReceived, at=at),
        st.builds(ReferralReceived, at=at, entry_point=st.sampled_from(EntryPoint)),
        st.builds(OutboundMessageSent, at=at),
        st.builds(OptInRecorded, at=at, method=text),
        st.builds(OptOutReceived, at=at, scope=st.sampled_from(OptOutScope), method=text),
        st.builds(MarketingResumed, at=at),
        st.builds(granted, at, st.none() | st.integers(1, 24 * 14)),
        st.builds(CallPermissionRejected, at=at),
        st.builds(CallPermissionRevoked, at=at),
        codes.flatmap(
            lambda pc: st.builds(SendRejected, at=at, provider=st.just(pc[0]), code=st.just(pc[1]))
        ),
    )


def conversations(
    times: st.SearchStrategy[datetime] | None = None, max_facts: int = 12
) -> st.SearchStrategy[Conversation]:
    """Conversations reached by applying up to `max_facts` random facts to a new one."""
    return st.builds(
        lambda business, recipient, fs: Conversation(
            business=business, recipient=recipient
        ).apply_all(fs),
        phone_number_ids(),
        recipients(),
        st.lists(facts(times), max_size=max_facts),
    )
