"""Sending, for both clients: typed API errors, retries that never duplicate, the outbox.

```python
from wa_outbound.sending import ApiError, Outbox, SendStatus, set_testing

result = client.send(anna, meta.Text("Your order shipped"))   # wa_outbound.meta client
if result.status is SendStatus.AMBIGUOUS:
    ...  # not resent; a status webhook carrying result.key settles it (Outbox.reconcile)
```

What is here is provider-neutral: `wa_outbound.meta` and `wa_outbound.twilio` build requests
and read answers; this package decides, reserves an outbox entry, paces, retries what the error
taxonomy says is safe (tenacity), records the send and feeds failures back as facts. It needs
the `http` extra (httpx, tenacity).
"""

from wa_outbound.sending._api_error import ApiError
from wa_outbound.sending._flow import (
    AttemptReport,
    RetryHook,
    SendResult,
    SendStatus,
    is_testing,
    set_testing,
)
from wa_outbound.sending._outbox import (
    Outbox,
    OutboxEntry,
    OutboxStatus,
    dump_outbox_entry,
    load_outbox_entry,
)

__all__ = [
    "ApiError",
    "AttemptReport",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "RetryHook",
    "SendResult",
    "SendStatus",
    "dump_outbox_entry",
    "is_testing",
    "load_outbox_entry",
    "set_testing",
]
