"""State stores: where a service keeps what it knows between requests, and across processes.

```python
from wa_outbound.stores import SqliteStore

store = SqliteStore("wa_outbound.sqlite")  # the embedded default: one file per machine
```

A store keeps versioned JSON documents (conversations, template states, account health,
deliveries, pacers, outbox entries) with compare-and-set writes and removals, the ids of
webhook events already processed, and the messaging-limit ledgers. It never interprets what
it keeps: the same answers come from every store. `MemoryStore` serves one process;
`SqliteStore` the processes of one machine;
`wa_outbound.redis.RedisStore` (the `redis` extra) the workers of many machines.
"""

from wa_outbound._errors import StoreError, StoreUnavailable, WriteConflict
from wa_outbound.stores._base import (
    EVENT_ID_MAX_LENGTH,
    Delete,
    StateKey,
    StateKind,
    Store,
    Stored,
    Write,
)
from wa_outbound.stores._memory import MemoryStore
from wa_outbound.stores._sqlite import SCHEMA_VERSION, SqliteLedgerStore, SqliteStore

__all__ = [
    "EVENT_ID_MAX_LENGTH",
    "SCHEMA_VERSION",
    "Delete",
    "MemoryStore",
    "SqliteLedgerStore",
    "SqliteStore",
    "StateKey",
    "StateKind",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Stored",
    "Write",
    "WriteConflict",
]
