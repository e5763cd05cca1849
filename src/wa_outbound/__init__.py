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


def __getattr__(name: str) -> str:
    """Compute `__version__` on first use (importlib.metadata is slow to import)."""
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
    "RULE_HISTORY",
    "TRANSPORT_FAILURES",
    "Alternative",
    "Backoff",
    "BlockReason",
    "BusinessScopedUserId",
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
    "InboundCallReceived",
    "InboundMessageReceived",
    "InputError",
    "InvalidTransition",
    "InvalidValueError",
    "LimitScope",
    "MarketingInput",
    "MarketingResumed",
    "MarketingStatus",
    "NaiveDatetimeError",
    "OptInRecorded",
    "OptOutReceived",
    "OptOutScope",
    "OutboundMessageSent",
    "PhoneNumberId",
    "PricingModel",
    "Provenance",
    "Provider",
    "Reach",
    "Reason",
    "Recipient",
    "ReferralReceived",
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
    "TransportFailure",
    "UsageError",
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
    "load_conversation",
    "rules_at",
]
