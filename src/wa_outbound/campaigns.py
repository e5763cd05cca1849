"""Campaign planning: how long a campaign takes, who it reaches and what it costs.

Waves within the messaging limit, throughput and pair rate, with blocked counts, projected
tier upgrades, the finish time and the cost; recipients read from CSV.

`plan_campaign`, `CampaignPlan` and `CampaignRecipient` are also at the top level of
`wa_outbound`. `Endpoint` and `Risk` are the endpoint and the risks a `SendDecision` and a
`CampaignPlan` report.
"""

from wa_outbound._campaign import (
    DUPLICATE,
    CampaignPlan,
    CampaignRecipient,
    CampaignSchedule,
    PlanDay,
    ScheduledSend,
    TierChange,
    iter_schedule,
    plan_campaign,
    read_recipients,
)
from wa_outbound._decision import Endpoint, Risk

__all__ = [
    "DUPLICATE",
    "CampaignPlan",
    "CampaignRecipient",
    "CampaignSchedule",
    "Endpoint",
    "PlanDay",
    "Risk",
    "ScheduledSend",
    "TierChange",
    "iter_schedule",
    "plan_campaign",
    "read_recipients",
]
