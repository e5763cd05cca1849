"""Account health: what Meta reports about the account, folded into an `AccountHealth`.

The messaging limit, quality rating, phone number status, business verification,
restrictions and Direct Send access, each as a fact.

`AccountHealth` and `MessagingLimit` are also at the top level of `wa_outbound`.
"""

from wa_outbound._account import (
    MESSAGING_TIERS,
    AccountFact,
    AccountHealth,
    AccountRestricted,
    AccountRestrictionLifted,
    AccountViolationReported,
    BusinessVerificationChanged,
    DirectSendAccessChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
    Restriction,
    RestrictionType,
    VerificationStatus,
)
from wa_outbound._persistence_account import dump_account_health, load_account_health

__all__ = [
    "MESSAGING_TIERS",
    "AccountFact",
    "AccountHealth",
    "AccountRestricted",
    "AccountRestrictionLifted",
    "AccountViolationReported",
    "BusinessVerificationChanged",
    "DirectSendAccessChanged",
    "MessagingLimit",
    "MessagingLimitChanged",
    "PhoneNumberStatus",
    "PhoneNumberStatusChanged",
    "QualityRating",
    "QualityRatingChanged",
    "Restriction",
    "RestrictionType",
    "VerificationStatus",
    "dump_account_health",
    "load_account_health",
]
