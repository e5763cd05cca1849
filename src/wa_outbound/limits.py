"""Messaging limits and pacing: how many, and how fast.

The rolling 24-hour ledger of unique recipients, the tier projection, the per-number
throughput and per-recipient pair rate, and the calling limits' log of one conversation
(`Conversation.calls`).

`LimitLedger` and `Pacer` are also at the top level of `wa_outbound`.
"""

from wa_outbound._conversation import CallLog, CallMark
from wa_outbound._ledger import (
    InMemoryLedgerStore,
    LedgerStore,
    LimitLedger,
    LimitScopeKey,
    dump_ledger,
    load_ledger,
)
from wa_outbound._pacing import (
    Pacer,
    ThroughputClass,
    TokenBucket,
)
from wa_outbound._persistence_pacer import dump_pacer, load_pacer
from wa_outbound._tiers import (
    RampStep,
    RampUpPlan,
    TierBlocker,
    TierBlockerCode,
    TierProjection,
    climb,
    project_tier,
    ramp_up,
)

__all__ = [
    "CallLog",
    "CallMark",
    "InMemoryLedgerStore",
    "LedgerStore",
    "LimitLedger",
    "LimitScopeKey",
    "Pacer",
    "RampStep",
    "RampUpPlan",
    "ThroughputClass",
    "TierBlocker",
    "TierBlockerCode",
    "TierProjection",
    "TokenBucket",
    "climb",
    "dump_ledger",
    "dump_pacer",
    "load_ledger",
    "load_pacer",
    "project_tier",
    "ramp_up",
]
