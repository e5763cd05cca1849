"""wa_outbound: know before you send a WhatsApp message.

May this business send this message, to this person, now? If not, why, and what instead?
The core is pure: values, facts and questions, with `now` always passed in.

Example:
    >>> from datetime import datetime, timezone
    >>> from wa_outbound import (
    ...     Conversation, InboundMessageReceived, PhoneNumberId, SendKind, WaId, can_send,
    ... )
    >>> now = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    >>> c = Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))
    >>> c = c.apply(InboundMessageReceived(at=now))
    >>> can_send(c, SendKind.FREE_FORM, now=now).allowed
    True
"""

import importlib as _importlib
import typing as _typing

from wa_outbound._conversation import (
    CALL_PERMISSION_TRANSITIONS,
    CONSENT_TRANSITIONS,
    MARKETING_TRANSITIONS,
    CallPermission,
    CallPermissionInput,
    CallPermissionStatus,
    Consent,
    ConsentInput,
    ConsentStatus,
    Conversation,
    EntryPointVisit,
    MarketingInput,
    MarketingStatus,
)
from wa_outbound._decision import (
    Alternative,
    BlockReason,
    Reason,
    SendDecision,
    SendKind,
    can_send,
)
from wa_outbound._errors import (
    InputError,
    InvalidTransition,
    InvalidValueError,
    NaiveDatetimeError,
    RuleDataError,
    SignatureMismatch,
    StoredDataError,
    UsageError,
    WaOutboundError,
    WebhookParseError,
)
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRevoked,
    CodeMeaning,
    EntryPoint,
    Fact,
    InboundCallReceived,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    Provider,
    ReferralReceived,
    SendRejected,
)
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, WaId
from wa_outbound._persistence import dump_conversation, load_conversation
from wa_outbound._rules import (
    RULE_HISTORY,
    LimitScope,
    PricingModel,
    Provenance,
    Rule,
    RuleChange,
    RuleDifference,
    Rules,
    Source,
    builtin_rule_sets,
    diff_rules,
    rules_at,
)

if _typing.TYPE_CHECKING:  # loaded on first use, below; static tools see them here
    from wa_outbound._account import (
        MESSAGING_TIERS,
        AccountFact,
        AccountHealth,
        AccountRestricted,
        AccountRestrictionLifted,
        AccountViolationReported,
        BusinessVerificationChanged,
        MessagingLimit,
        MessagingLimitChanged,
        PhoneNumberStatus,
        PhoneNumberStatusChanged,
        QualityRating,
        QualityRatingChanged,
        Restriction,
        VerificationStatus,
    )
    from wa_outbound._ledger import (
        InMemoryLedgerStore,
        LedgerStore,
        LimitLedger,
        LimitScopeKey,
        dump_ledger,
        load_ledger,
    )
    from wa_outbound._pacing import Pacer, ThroughputClass, TokenBucket
    from wa_outbound._taxonomy import (
        ERROR_CODE_RANGES,
        ERROR_CODES,
        MAX_RETRY_DELAY,
        TRANSPORT_FAILURES,
        Backoff,
        ErrorInfo,
        Reach,
        RetryAction,
        RetryDecision,
        TransportFailure,
        classify_error,
        classify_transport_failure,
    )
    from wa_outbound._template_lifecycle import (
        TEMPLATE_TRANSITIONS,
        QualityScore,
        TemplateCategoryChanged,
        TemplateDecision,
        TemplateEvent,
        TemplateFact,
        TemplateInput,
        TemplateNote,
        TemplateQualityChanged,
        TemplateReason,
        TemplateState,
        TemplateStatus,
        TemplateStatusChanged,
        TemplateSubmitted,
        template_sendable,
    )
    from wa_outbound._tiers import (
        RampStep,
        TierBlocker,
        TierBlockerCode,
        TierProjection,
        project_tier,
        ramp_up,
    )

# Names from modules that most callers never touch on their hot path (templates, account
# health, the error taxonomy) load on first access, so that `import wa_outbound` stays cheap.
_LAZY: _typing.Final[dict[str, str]] = {
    "InMemoryLedgerStore": "wa_outbound._ledger",
    "LedgerStore": "wa_outbound._ledger",
    "LimitLedger": "wa_outbound._ledger",
    "LimitScopeKey": "wa_outbound._ledger",
    "dump_ledger": "wa_outbound._ledger",
    "load_ledger": "wa_outbound._ledger",
    "RampStep": "wa_outbound._tiers",
    "TierBlocker": "wa_outbound._tiers",
    "TierBlockerCode": "wa_outbound._tiers",
    "TierProjection": "wa_outbound._tiers",
    "project_tier": "wa_outbound._tiers",
    "ramp_up": "wa_outbound._tiers",
    "Pacer": "wa_outbound._pacing",
    "ThroughputClass": "wa_outbound._pacing",
    "TokenBucket": "wa_outbound._pacing",
    "MESSAGING_TIERS": "wa_outbound._account",
    "AccountFact": "wa_outbound._account",
    "AccountHealth": "wa_outbound._account",
    "AccountRestricted": "wa_outbound._account",
    "AccountRestrictionLifted": "wa_outbound._account",
    "AccountViolationReported": "wa_outbound._account",
    "BusinessVerificationChanged": "wa_outbound._account",
    "MessagingLimit": "wa_outbound._account",
    "MessagingLimitChanged": "wa_outbound._account",
    "PhoneNumberStatus": "wa_outbound._account",
    "PhoneNumberStatusChanged": "wa_outbound._account",
    "QualityRating": "wa_outbound._account",
    "QualityRatingChanged": "wa_outbound._account",
    "Restriction": "wa_outbound._account",
    "VerificationStatus": "wa_outbound._account",
    "TEMPLATE_TRANSITIONS": "wa_outbound._template_lifecycle",
    "QualityScore": "wa_outbound._template_lifecycle",
    "TemplateCategoryChanged": "wa_outbound._template_lifecycle",
    "TemplateDecision": "wa_outbound._template_lifecycle",
    "TemplateEvent": "wa_outbound._template_lifecycle",
    "TemplateFact": "wa_outbound._template_lifecycle",
    "TemplateInput": "wa_outbound._template_lifecycle",
    "TemplateNote": "wa_outbound._template_lifecycle",
    "TemplateQualityChanged": "wa_outbound._template_lifecycle",
    "TemplateReason": "wa_outbound._template_lifecycle",
    "TemplateState": "wa_outbound._template_lifecycle",
    "TemplateStatus": "wa_outbound._template_lifecycle",
    "TemplateStatusChanged": "wa_outbound._template_lifecycle",
    "TemplateSubmitted": "wa_outbound._template_lifecycle",
    "template_sendable": "wa_outbound._template_lifecycle",
    "ERROR_CODE_RANGES": "wa_outbound._taxonomy",
    "ERROR_CODES": "wa_outbound._taxonomy",
    "MAX_RETRY_DELAY": "wa_outbound._taxonomy",
    "TRANSPORT_FAILURES": "wa_outbound._taxonomy",
    "Backoff": "wa_outbound._taxonomy",
    "ErrorInfo": "wa_outbound._taxonomy",
    "Reach": "wa_outbound._taxonomy",
    "RetryAction": "wa_outbound._taxonomy",
    "RetryDecision": "wa_outbound._taxonomy",
    "TransportFailure": "wa_outbound._taxonomy",
    "classify_error": "wa_outbound._taxonomy",
    "classify_transport_failure": "wa_outbound._taxonomy",
}


def __getattr__(name: str) -> object:
    """Load lazily exported names on first use; compute `__version__` (slow metadata)."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(module), name)
        globals()[name] = value
        return value
    if name == "__version__":
        import importlib.metadata  # noqa: PLC0415 - deferred on purpose

        try:
            return importlib.metadata.version("wa_outbound")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source tree
            return "0+unknown"
    raise AttributeError(f"module 'wa_outbound' has no attribute {name!r}")


__all__ = [
    "AUTHORITATIVE_CODES",
    "CALL_PERMISSION_TRANSITIONS",
    "CONSENT_TRANSITIONS",
    "ERROR_CODES",
    "ERROR_CODE_RANGES",
    "MARKETING_TRANSITIONS",
    "MAX_RETRY_DELAY",
    "MESSAGING_TIERS",
    "RULE_HISTORY",
    "TEMPLATE_TRANSITIONS",
    "TRANSPORT_FAILURES",
    "AccountFact",
    "AccountHealth",
    "AccountRestricted",
    "AccountRestrictionLifted",
    "AccountViolationReported",
    "Alternative",
    "Backoff",
    "BlockReason",
    "BusinessScopedUserId",
    "BusinessVerificationChanged",
    "CallPermission",
    "CallPermissionGranted",
    "CallPermissionInput",
    "CallPermissionRejected",
    "CallPermissionRevoked",
    "CallPermissionStatus",
    "CodeMeaning",
    "Consent",
    "ConsentInput",
    "ConsentStatus",
    "Conversation",
    "EntryPoint",
    "EntryPointVisit",
    "ErrorInfo",
    "Fact",
    "InMemoryLedgerStore",
    "InboundCallReceived",
    "InboundMessageReceived",
    "InputError",
    "InvalidTransition",
    "InvalidValueError",
    "LedgerStore",
    "LimitLedger",
    "LimitScope",
    "LimitScopeKey",
    "MarketingInput",
    "MarketingResumed",
    "MarketingStatus",
    "MessagingLimit",
    "MessagingLimitChanged",
    "NaiveDatetimeError",
    "OptInRecorded",
    "OptOutReceived",
    "OptOutScope",
    "OutboundMessageSent",
    "Pacer",
    "PhoneNumberId",
    "PhoneNumberStatus",
    "PhoneNumberStatusChanged",
    "PricingModel",
    "Provenance",
    "Provider",
    "QualityRating",
    "QualityRatingChanged",
    "QualityScore",
    "RampStep",
    "Reach",
    "Reason",
    "Recipient",
    "ReferralReceived",
    "Restriction",
    "RetryAction",
    "RetryDecision",
    "Rule",
    "RuleChange",
    "RuleDataError",
    "RuleDifference",
    "Rules",
    "SendDecision",
    "SendKind",
    "SendRejected",
    "SignatureMismatch",
    "Source",
    "StoredDataError",
    "TemplateCategoryChanged",
    "TemplateDecision",
    "TemplateEvent",
    "TemplateFact",
    "TemplateInput",
    "TemplateNote",
    "TemplateQualityChanged",
    "TemplateReason",
    "TemplateState",
    "TemplateStatus",
    "TemplateStatusChanged",
    "TemplateSubmitted",
    "ThroughputClass",
    "TierBlocker",
    "TierBlockerCode",
    "TierProjection",
    "TokenBucket",
    "TransportFailure",
    "UsageError",
    "VerificationStatus",
    "WaId",
    "WaOutboundError",
    "WebhookParseError",
    "__version__",
    "builtin_rule_sets",
    "can_send",
    "classify_error",
    "classify_transport_failure",
    "diff_rules",
    "dump_conversation",
    "dump_ledger",
    "load_conversation",
    "load_ledger",
    "project_tier",
    "ramp_up",
    "rules_at",
    "template_sendable",
]


def __dir__() -> list[str]:
    """List the public names, loaded or not."""
    return sorted({*globals(), *__all__})
