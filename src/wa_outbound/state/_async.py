"""`AsyncSenderState`: the asyncio shell, the same calls awaited, the store's work in a thread."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, TypeVar

from wa_outbound.state._sender import account_facts
from wa_outbound.stores._base import blocks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from wa_outbound._conversation import Conversation
    from wa_outbound._decision import SendDecision
    from wa_outbound._ids import PhoneNumberId, Recipient
    from wa_outbound._kinds import SendKind
    from wa_outbound.account import AccountFact, AccountHealth
    from wa_outbound.state._sender import Received, SenderState
    from wa_outbound.stores._base import Write
    from wa_outbound.webhooks import Event

__all__ = ["AsyncSenderState"]

_T = TypeVar("_T")


class AsyncSenderState:
    """`SenderState` for asyncio services: every call awaits, the event loop never blocks.

    The store's reads and writes run in a worker thread (`asyncio.to_thread`; directly for a
    store that never waits, such as `MemoryStore`); the routing and the decisions are the same
    code as `SenderState`'s, so both give the same answers.

    ```python
    state = AsyncSenderState(SenderState(SqliteStore("state.db"), numbers=[shop]))
    await state.receive(events, now=now)
    ```
    """

    def __init__(self, sync: SenderState) -> None:
        """Wrap a `SenderState` (which holds the store, the numbers and the options)."""
        self.sync: Final = sync
        """The `SenderState` that does the work."""

    def __repr__(self) -> str:
        """Show the wrapped state."""
        return f"AsyncSenderState({self.sync!r})"

    async def _call(self, call: Callable[..., _T], *args: Any, **options: Any) -> _T:  # noqa: ANN401
        if blocks(self.sync.store):
            return await asyncio.to_thread(call, *args, **options)
        return call(*args, **options)

    async def receive(self, events: Iterable[Event], *, now: datetime) -> Received:
        """`SenderState.receive`, awaited."""
        batch = tuple(events)
        return await self._call(self.sync.receive, batch, now=now)

    async def apply_account(
        self, business: PhoneNumberId, facts: Iterable[AccountFact]
    ) -> AccountHealth:
        """`SenderState.apply_account`, awaited."""
        listed = account_facts(facts)  # checked here: an iterator is read once, on this thread
        return await self._call(self.sync.apply_account, business, listed)

    async def decide(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        template: tuple[str, str] | None = None,
        market: str | None = None,
        authentication_international: bool = False,
    ) -> SendDecision:
        """`SenderState.decide`, awaited."""
        return await self._call(
            self.sync.decide,
            business,
            recipient,
            kind,
            now=now,
            template=template,
            market=market,
            authentication_international=authentication_international,
        )

    async def admit(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        template: tuple[str, str] | None = None,
        market: str | None = None,
        authentication_international: bool = False,
    ) -> SendDecision:
        """`SenderState.admit`, awaited."""
        return await self._call(
            self.sync.admit,
            business,
            recipient,
            kind,
            now=now,
            template=template,
            market=market,
            authentication_international=authentication_international,
        )

    async def record_sent(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        message_id: str = "",
        also: Sequence[Write] = (),
    ) -> bool:
        """`SenderState.record_sent`, awaited."""
        return await self._call(
            self.sync.record_sent,
            business,
            recipient,
            kind,
            now=now,
            message_id=message_id,
            also=also,
        )

    async def conversation(self, business: PhoneNumberId, recipient: Recipient) -> Conversation:
        """`SenderState.conversation`, awaited."""
        return await self._call(self.sync.conversation, business, recipient)
