"""The public surface: names, version, and what importing the package pulls in."""

from __future__ import annotations

import subprocess
import sys

import wa_outbound

EXPECTED_PUBLIC_NAMES = [
    "AUTHORITATIVE_CODES",
    "CALL_PERMISSION_TRANSITIONS",
    "CATEGORY_MAPPING",
    "CONSENT_TRANSITIONS",
    "DUPLICATE",
    "ERROR_CODES",
    "ERROR_CODE_RANGES",
    "LINT_RULES",
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
    "Body",
    "BodyExample",
    "BusinessScopedUserId",
    "BusinessVerificationChanged",
    "Button",
    "ButtonParameter",
    "ButtonSubType",
    "ButtonType",
    "Buttons",
    "CallPermission",
    "CallPermissionGranted",
    "CallPermissionInput",
    "CallPermissionRejected",
    "CallPermissionRevoked",
    "CallPermissionStatus",
    "CampaignPlan",
    "CampaignRecipient",
    "CampaignSchedule",
    "CategoryEra",
    "CategoryMapping",
    "CodeMeaning",
    "Component",
    "Consent",
    "ConsentInput",
    "ConsentStatus",
    "Conversation",
    "ConversationCharges",
    "CostEstimate",
    "CostReason",
    "EntryPoint",
    "EntryPointVisit",
    "ErrorInfo",
    "Fact",
    "Footer",
    "Header",
    "HeaderExample",
    "HeaderFormat",
    "HeaderMedia",
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
    "LintCode",
    "LintFinding",
    "LintRule",
    "MarketingInput",
    "MarketingResumed",
    "MarketingStatus",
    "MediaKind",
    "MessagingLimit",
    "MessagingLimitChanged",
    "NaiveDatetimeError",
    "NamedExample",
    "OptInRecorded",
    "OptOutReceived",
    "OptOutScope",
    "OtherComponent",
    "OtpType",
    "OutboundMessageSent",
    "Pacer",
    "ParameterCheck",
    "ParameterFormat",
    "ParameterProblem",
    "ParameterProblemCode",
    "PhoneNumberId",
    "PhoneNumberStatus",
    "PhoneNumberStatusChanged",
    "Placeholder",
    "PlanDay",
    "PriceCategory",
    "PricingModel",
    "Provenance",
    "Provider",
    "QualityRating",
    "QualityRatingChanged",
    "QualityScore",
    "QuotaDecision",
    "QuotaReason",
    "RampStep",
    "Rate",
    "RateCard",
    "RateCardError",
    "Reach",
    "Reason",
    "Recipient",
    "RecipientFileError",
    "ReferralReceived",
    "Restriction",
    "RetryAction",
    "RetryDecision",
    "Rule",
    "RuleChange",
    "RuleDataError",
    "RuleDifference",
    "Rules",
    "ScheduledSend",
    "SendDecision",
    "SendKind",
    "SendRejected",
    "Severity",
    "SignatureMismatch",
    "Source",
    "StoredDataError",
    "Template",
    "TemplateCatalogue",
    "TemplateCategory",
    "TemplateCategoryChanged",
    "TemplateDecision",
    "TemplateEvent",
    "TemplateFact",
    "TemplateFormatError",
    "TemplateInput",
    "TemplateNote",
    "TemplateParameters",
    "TemplateQualityChanged",
    "TemplateReason",
    "TemplateState",
    "TemplateStatus",
    "TemplateStatusChanged",
    "TemplateSubmitted",
    "ThroughputClass",
    "TierBlocker",
    "TierBlockerCode",
    "TierChange",
    "TierProjection",
    "TokenBucket",
    "TransportFailure",
    "UsageError",
    "VerificationStatus",
    "WaId",
    "WaOutboundError",
    "WebhookParseError",
    "__version__",
    "builtin_rate_card",
    "builtin_rule_sets",
    "can_send",
    "check_parameters",
    "classify_error",
    "classify_transport_failure",
    "decide",
    "diff_rules",
    "dump_conversation",
    "dump_ledger",
    "estimate_cost",
    "iter_schedule",
    "lint_template",
    "load_conversation",
    "load_ledger",
    "load_rate_card",
    "placeholders",
    "plan_campaign",
    "price_category",
    "project_tier",
    "ramp_up",
    "read_recipients",
    "recipient_region",
    "rules_at",
    "template_from_graph",
    "template_from_twilio_content",
    "template_sendable",
    "template_to_graph",
    "templates_from_graph",
    "twilio_content_variables",
]


def test_all_is_pinned() -> None:
    """`__all__` lists exactly the public names, sorted, and each one exists."""
    assert EXPECTED_PUBLIC_NAMES == wa_outbound.__all__
    for name in wa_outbound.__all__:
        assert hasattr(wa_outbound, name), name


def test_no_public_name_outside_all() -> None:
    """Every public attribute of the package (not a submodule) is listed in `__all__`."""
    public = {
        name
        for name, value in vars(wa_outbound).items()
        if not name.startswith("_") and type(value).__name__ != "module"
    }
    assert set() == public - set(wa_outbound.__all__)


def test_version_is_the_installed_one() -> None:
    """`__version__` comes from the installed distribution's metadata."""
    from importlib.metadata import version

    assert version("wa_outbound") == wa_outbound.__version__


def test_import_pulls_in_no_io_or_optional_dependency() -> None:
    """Importing `wa_outbound` imports neither the I/O extras nor the test tools, nor cattrs."""
    code = (
        "import sys, wa_outbound\n"
        "bad = [m for m in ('httpx', 'tenacity', 'hypothesis', 'redis', 'rich', 'cattrs',"
        " 'asyncio', 'importlib.metadata') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "" == result.stdout.strip()


def test_core_modules_do_not_read_a_clock() -> None:
    """No private core module calls `datetime.now`, `time.time` or `utcnow`."""
    from pathlib import Path

    package = Path(wa_outbound.__file__).parent
    for path in package.glob("_*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "time.time(", "utcnow(", "import time\n", "import random"):
            assert needle not in text, f"{path.name} contains {needle!r}"
