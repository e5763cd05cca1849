"""Keep state for a service: webhooks in, decisions out, sends recorded, in one store.

```python
from wa_outbound.state import BusinessNumber, SenderState
from wa_outbound.stores import SqliteStore

shop = BusinessNumber(
    phone_number_id=PhoneNumberId("106540352242922"),
    waba_id="102290129340398",
    portfolio_id="184512934729183",
    display_phone_number="+1 555-010-0100",
)
state = SenderState(SqliteStore("state.db"), numbers=[shop], stop_keywords={"STOP"})

received = state.receive(events, now=now)          # webhooks: every fact to its state, once
decision = state.decide(shop.phone_number_id, anna, SendKind.MARKETING_TEMPLATE,
                        now=now, template=("spring_sale", "en"))
state.record_sent(shop.phone_number_id, anna, SendKind.MARKETING_TEMPLATE, now=now)
```

The routing (which fact changes which state, and what that means in words) is pure; the
shells load and save through the store. `AsyncSenderState` is the asyncio shell.
"""

from wa_outbound.state._async import AsyncSenderState
from wa_outbound.state._routing import (
    BusinessNumber,
    Change,
    account_key,
    conversation_key,
    delivery_key,
    event_id,
    pacer_key,
    pair_rate_key,
    template_key,
)
from wa_outbound.state._sender import Received, SenderState

__all__ = [
    "AsyncSenderState",
    "BusinessNumber",
    "Change",
    "Received",
    "SenderState",
    "account_key",
    "conversation_key",
    "delivery_key",
    "event_id",
    "pacer_key",
    "pair_rate_key",
    "template_key",
]
