"""Meta's Cloud API: send messages and manage templates, sync or async (the `http` extra).

```python
from wa_outbound.meta import CloudApiClient, TemplateMessage, Text

with CloudApiClient(state=state, access_token=TOKEN, phone_number_id=shop) as client:
    client.send("+49 151 2345 6789", Text("Your order shipped"))  # asks the state first
```

Every send asks `SenderState.decide` first (opt out per call with `check=False`), reserves an
outbox entry whose key rides in `biz_opaque_callback_data`, paces, retries only what cannot
duplicate, records the send and feeds a refusal back as a `SendRejected` fact.
"""

from wa_outbound.meta._client import (
    DEFAULT_GRAPH_VERSION,
    GRAPH_URL,
    AsyncCloudApiClient,
    CallPermissionRequest,
    CloudApiClient,
    Interactive,
    Media,
    MediaType,
    Message,
    NumberHealth,
    TemplateMessage,
    Text,
)

__all__ = [
    "DEFAULT_GRAPH_VERSION",
    "GRAPH_URL",
    "AsyncCloudApiClient",
    "CallPermissionRequest",
    "CloudApiClient",
    "Interactive",
    "Media",
    "MediaType",
    "Message",
    "NumberHealth",
    "TemplateMessage",
    "Text",
]
