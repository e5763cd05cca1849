"""Twilio's WhatsApp channel: send messages through the Messages API, sync or async.

```python
from wa_outbound.twilio import ContentTemplate, TwilioClient

with TwilioClient(state=state, sender=sender, account_sid=SID, auth_token=TOKEN,
                  status_callback="https://example.com/twilio/status") as client:
    client.send("+49 151 2345 6789", ContentTemplate(content_sid=HX, kind=kind))
```

The same flow as `wa_outbound.meta` (decide, outbox, pacing, safe retries, facts fed back);
the idempotency key rides in the `StatusCallback` URL (`webhooks.TWILIO_CALLBACK_KEY`).
Needs the `http` extra.
"""

from wa_outbound.twilio._client import (
    TWILIO_API_URL,
    AsyncTwilioClient,
    ContentTemplate,
    Media,
    Message,
    Text,
    TwilioClient,
)

__all__ = [
    "TWILIO_API_URL",
    "AsyncTwilioClient",
    "ContentTemplate",
    "Media",
    "Message",
    "Text",
    "TwilioClient",
]
