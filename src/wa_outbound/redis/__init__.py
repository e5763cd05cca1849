"""State on Redis: many workers on many machines, one account (the `redis` extra).

```python
import redis
from wa_outbound.redis import RedisStore

store = RedisStore(redis.Redis(), namespace="184512934729183")
```

`RedisStore` is a `Store` (documents with compare-and-set, processed events, ledgers) that
every worker shares. `RedisLimitLedger.admit` checks the messaging limit and takes the slot in
one server-side script, and `RedisPacer.admit` paces a phone number's messages across all
workers the same way; `AsyncRedisLimitLedger` and `AsyncRedisPacer` are their asyncio twins.
When Redis cannot be reached, every call raises `StoreUnavailable` and the send is not made,
unless the admitting classes were built with `fail_open=True`.
"""

from wa_outbound._errors import StoreUnavailable
from wa_outbound.redis._keys import SCHEMA_VERSION
from wa_outbound.redis._limits import (
    Admission,
    AsyncRedisLimitLedger,
    AsyncRedisPacer,
    RedisLimitLedger,
    RedisPacer,
)
from wa_outbound.redis._store import RedisLedgerStore, RedisStore

__all__ = [
    "SCHEMA_VERSION",
    "Admission",
    "AsyncRedisLimitLedger",
    "AsyncRedisPacer",
    "RedisLedgerStore",
    "RedisLimitLedger",
    "RedisPacer",
    "RedisStore",
    "StoreUnavailable",
]
