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
    can_send,
)
from wa_outbound._errors import (
    ClockSkewError,
    InputError,
    InvalidTransition,
    InvalidValueError,
    NaiveDatetimeError,
    RateCardError,
    RecipientFileError,
    RuleDataError,
    SignatureMismatch,
    StoredDataError,
    StoreError,
    StoreUnavailable,
    TemplateFormatError,
    UsageError,
    WaOutboundError,
    WebhookParseError,
    WriteConflict,
)
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    BusinessCallUnanswered,
    CallConnected,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRequested,
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
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, Recipient, TwilioSender, WaId
from wa_outbound._kinds import SendKind
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

if _typing.TYPE_CHECKING:  # the lazy names below, for static tools
    from wa_outbound._account import AccountHealth, MessagingLimit
    from wa_outbound._campaign import CampaignPlan, CampaignRecipient, plan_campaign
    from wa_outbound._categories import TemplateCategory
    from wa_outbound._cost import CostEstimate, estimate_cost
    from wa_outbound._data_use import DataSharing, meta_ads_data_sharing
    from wa_outbound._decide import decide
    from wa_outbound._groups import GroupAdvisory, GroupSendDecision, decide_group
    from wa_outbound._ledger import LimitLedger
    from wa_outbound._pacing import Pacer
    from wa_outbound._persistence import dump_conversation, load_conversation
    from wa_outbound._rates import RateCard, builtin_rate_card, load_rate_card
    from wa_outbound._taxonomy import RetryAction, RetryDecision, classify_error
    from wa_outbound._template_lifecycle import TemplateState
    from wa_outbound._templates import Template

# Names from modules that most callers never touch on their hot path load on first access, so
# that `import wa_outbound` stays cheap. This table is the one list of them; the imports above
# repeat it for static tools only, and a test checks that the two and `__all__` agree.
_LAZY: _typing.Final[dict[str, tuple[str, ...]]] = {
    "wa_outbound._account": ("AccountHealth", "MessagingLimit"),
    "wa_outbound._campaign": ("CampaignPlan", "CampaignRecipient", "plan_campaign"),
    "wa_outbound._categories": ("TemplateCategory",),
    "wa_outbound._cost": ("CostEstimate", "estimate_cost"),
    "wa_outbound._data_use": ("DataSharing", "meta_ads_data_sharing"),
    "wa_outbound._decide": ("decide",),
    "wa_outbound._groups": ("GroupAdvisory", "GroupSendDecision", "decide_group"),
    "wa_outbound._ledger": ("LimitLedger",),
    "wa_outbound._pacing": ("Pacer",),
    "wa_outbound._persistence": ("dump_conversation", "load_conversation"),
    "wa_outbound._rates": ("RateCard", "builtin_rate_card", "load_rate_card"),
    "wa_outbound._taxonomy": ("RetryAction", "RetryDecision", "classify_error"),
    "wa_outbound._template_lifecycle": ("TemplateState",),
    "wa_outbound._templates": ("Template",),
}
_LAZY_MODULE: _typing.Final[dict[str, str]] = {
    name: module for module, names in _LAZY.items() for name in names
}

# The public submodules that hold whole families; a name that lives only there is found by the
# hint in `__getattr__`. (`testing` needs Hypothesis and is left out on purpose.)
_FAMILIES: _typing.Final = (
    "account",
    "campaigns",
    "error_codes",
    "limits",
    "pricing",
    "state",
    "stores",
    "templates",
    "webhooks",
)


def __getattr__(name: str) -> object:
    """Load lazily exported names on first use; compute `__version__` (slow metadata)."""
    module = _LAZY_MODULE.get(name)
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
    message = f"module 'wa_outbound' has no attribute {name!r}"
    if not name.startswith("_"):
        for family in _FAMILIES:
            if name in _importlib.import_module(f"wa_outbound.{family}").__all__:
                message += f"; it is in wa_outbound.{family}"
                break
    raise AttributeError(message)


__all__ = [
    "AUTHORITATIVE_CODES",
    "CALL_PERMISSION_TRANSITIONS",
    "CONSENT_TRANSITIONS",
    "MARKETING_TRANSITIONS",
    "RULE_HISTORY",
    "AccountHealth",
    "Alternative",
    "BlockReason",
    "BusinessCallUnanswered",
    "BusinessScopedUserId",
    "CallConnected",
    "CallPermission",
    "CallPermissionGranted",
    "CallPermissionInput",
    "CallPermissionRejected",
    "CallPermissionRequested",
    "CallPermissionRevoked",
    "CallPermissionStatus",
    "CampaignPlan",
    "CampaignRecipient",
    "ClockSkewError",
    "CodeMeaning",
    "Consent",
    "ConsentInput",
    "ConsentStatus",
    "Conversation",
    "CostEstimate",
    "DataSharing",
    "EntryPoint",
    "EntryPointVisit",
    "Fact",
    "GroupAdvisory",
    "GroupSendDecision",
    "InboundCallReceived",
    "InboundMessageReceived",
    "InputError",
    "InvalidTransition",
    "InvalidValueError",
    "LimitLedger",
    "LimitScope",
    "MarketingInput",
    "MarketingResumed",
    "MarketingStatus",
    "MessagingLimit",
    "NaiveDatetimeError",
    "OptInRecorded",
    "OptOutReceived",
    "OptOutScope",
    "OutboundMessageSent",
    "Pacer",
    "PhoneNumberId",
    "PricingModel",
    "Provenance",
    "Provider",
    "RateCard",
    "RateCardError",
    "Reason",
    "Recipient",
    "RecipientFileError",
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
    "StoreError",
    "StoreUnavailable",
    "StoredDataError",
    "Template",
    "TemplateCategory",
    "TemplateFormatError",
    "TemplateState",
    "TwilioSender",
    "UsageError",
    "WaId",
    "WaOutboundError",
    "WebhookParseError",
    "WriteConflict",
    "__version__",
    "builtin_rate_card",
    "builtin_rule_sets",
    "can_send",
    "classify_error",
    "decide",
    "decide_group",
    "diff_rules",
    "dump_conversation",
    "estimate_cost",
    "load_conversation",
    "load_rate_card",
    "meta_ads_data_sharing",
    "plan_campaign",
    "rules_at",
]


def __dir__() -> list[str]:
    """List the public names, loaded or not."""
    return sorted({*globals(), *__all__})
