"""The public surface: names, families, version, and what importing the package pulls in."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import wa_outbound

EXPECTED_PUBLIC_NAMES = [
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
"""The names a host types on the send path: at most about 100 (issue #11)."""

EXPECTED_FAMILIES: dict[str, list[str]] = {
    # the clients (issue 13)
    "meta": [
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
    ],
    "sending": [
        "ApiError",
        "AttemptReport",
        "Outbox",
        "OutboxEntry",
        "OutboxStatus",
        "RetryHook",
        "SendResult",
        "SendStatus",
        "dump_outbox_entry",
        "is_testing",
        "load_outbox_entry",
        "set_testing",
    ],
    "twilio": [
        "TWILIO_API_URL",
        "AsyncTwilioClient",
        "ContentTemplate",
        "Media",
        "Message",
        "Text",
        "TwilioClient",
    ],
    "state": [
        "AsyncSenderState",
        "BusinessNumber",
        "Change",
        "Received",
        "SenderState",
        "account_key",
        "conversation_key",
        "delivery_key",
        "event_id",
        "pacer_key",
        "pair_rate_key",
        "template_key",
    ],
    "redis": [
        "SCHEMA_VERSION",
        "Admission",
        "AsyncRedisLimitLedger",
        "AsyncRedisPacer",
        "RedisLedgerStore",
        "RedisLimitLedger",
        "RedisPacer",
        "RedisStore",
        "StoreUnavailable",
    ],
    "stores": [
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
    ],
    "account": [
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
    ],
    "campaigns": [
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
    ],
    "error_codes": [
        "ERROR_CODES",
        "ERROR_CODE_RANGES",
        "MAX_RETRY_DELAY",
        "TRANSPORT_FAILURES",
        "Backoff",
        "ErrorInfo",
        "Reach",
        "RetryAction",
        "RetryDecision",
        "TransportFailure",
        "classify_error",
        "classify_transport_failure",
    ],
    "limits": [
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
    ],
    "pricing": [
        "ConversationCharges",
        "CostEstimate",
        "CostReason",
        "GroupCost",
        "InternationalRate",
        "MarketEntry",
        "MarketMap",
        "PriceCategory",
        "PriceEnd",
        "Rate",
        "RateCard",
        "RateChange",
        "authentication_international",
        "authentication_international_countries",
        "builtin_market_map",
        "builtin_rate_card",
        "dump_charges",
        "estimate_cost",
        "load_charges",
        "load_market_map",
        "load_rate_card",
        "price_category",
        "recipient_market",
        "recipient_region",
    ],
    "templates": [
        "CATEGORY_MAPPING",
        "LINT_RULES",
        "TEMPLATE_TRANSITIONS",
        "Body",
        "BodyExample",
        "Button",
        "ButtonParameter",
        "ButtonSubType",
        "ButtonType",
        "Buttons",
        "CategoryEra",
        "CategoryMapping",
        "Component",
        "Footer",
        "Header",
        "HeaderExample",
        "HeaderFormat",
        "HeaderMedia",
        "LintCode",
        "LintFinding",
        "LintReport",
        "LintRule",
        "MediaKind",
        "NamedExample",
        "OtherComponent",
        "OtpType",
        "ParameterCheck",
        "ParameterFormat",
        "ParameterProblem",
        "ParameterProblemCode",
        "Placeholder",
        "QualityScore",
        "QuotaDecision",
        "QuotaReason",
        "Severity",
        "Template",
        "TemplateCatalogue",
        "TemplateCategory",
        "TemplateCategoryChanged",
        "TemplateDecision",
        "TemplateEvent",
        "TemplateFact",
        "TemplateInput",
        "TemplateNote",
        "TemplateParameters",
        "TemplateQualityChanged",
        "TemplateReason",
        "TemplateState",
        "TemplateStatus",
        "TemplateStatusChanged",
        "TemplateSubmitted",
        "check_parameters",
        "dump_catalogue",
        "dump_template_state",
        "lint_template",
        "load_catalogue",
        "load_template_state",
        "placeholders",
        "template_from_graph",
        "template_from_twilio_content",
        "template_sendable",
        "template_to_graph",
        "templates_from_graph",
        "twilio_content_variables",
    ],
}
"""Each public submodule's names; `webhooks` pins its own in `test_webhooks_public.py`."""

PACKAGE = Path(wa_outbound.__file__).parent


def test_all_is_pinned() -> None:
    """`__all__` lists exactly the public names, sorted, and each one exists."""
    assert EXPECTED_PUBLIC_NAMES == wa_outbound.__all__
    for name in wa_outbound.__all__:
        assert hasattr(wa_outbound, name), name


def test_the_top_level_stays_curated() -> None:
    """The top level keeps to the send path: no more than 100 names."""
    assert len(wa_outbound.__all__) <= 100


@pytest.mark.parametrize("family", sorted(EXPECTED_FAMILIES))
def test_family_is_pinned(family: str) -> None:
    """Each public submodule lists exactly its names, and each one exists."""
    module = importlib.import_module(f"wa_outbound.{family}")
    assert EXPECTED_FAMILIES[family] == module.__all__
    for name in module.__all__:
        assert hasattr(module, name), name


def test_top_level_names_are_the_family_objects() -> None:
    """A name at the top level and in a family is one and the same object."""
    for family in wa_outbound._FAMILIES:
        module = importlib.import_module(f"wa_outbound.{family}")
        for name in set(module.__all__) & set(wa_outbound.__all__):
            assert getattr(module, name) is getattr(wa_outbound, name), name


def test_moved_names_say_where_they_went() -> None:
    """A name that lives only in a family fails with a message naming the family."""
    with pytest.raises(AttributeError, match=r"wa_outbound\.templates"):
        _ = wa_outbound.lint_template  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"no attribute 'no_such_name'$"):
        _ = wa_outbound.no_such_name  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"no attribute '_private'$"):
        _ = wa_outbound._private  # type: ignore[attr-defined]


def test_no_public_name_outside_all() -> None:
    """Every public attribute of the package (not a submodule) is listed in `__all__`."""
    public = {
        name
        for name, value in vars(wa_outbound).items()
        if not name.startswith("_") and type(value).__name__ != "module"
    }
    assert set() == public - set(wa_outbound.__all__)


def _type_checking_imports() -> dict[str, tuple[str, ...]]:
    """The `if TYPE_CHECKING:` imports of `wa_outbound/__init__.py`, by module."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for item in node.body:
                assert isinstance(item, ast.ImportFrom)
                assert item.module is not None
                found[item.module] = tuple(alias.name for alias in item.names)
    return found


def test_lazy_table_type_checking_imports_and_all_agree() -> None:
    """The lazy table, the imports static tools see, and `__all__` name the same things."""
    lazy = wa_outbound._LAZY
    assert lazy == _type_checking_imports()
    names = [name for names in lazy.values() for name in names]
    assert len(names) == len(set(names)), "a lazy name listed twice"
    assert set(names) <= set(wa_outbound.__all__)
    for module, module_names in lazy.items():
        for name in module_names:
            assert getattr(importlib.import_module(module), name) is getattr(wa_outbound, name)


def test_version_is_the_installed_one() -> None:
    """`__version__` comes from the installed distribution's metadata."""
    from importlib.metadata import version

    assert version("wa_outbound") == wa_outbound.__version__


def test_import_pulls_in_no_io_or_optional_dependency() -> None:
    """Importing `wa_outbound` imports neither the I/O extras nor the test tools, nor cattrs."""
    code = (
        "import sys, wa_outbound\n"
        "bad = [m for m in ('httpx', 'tenacity', 'hypothesis', 'redis', 'rich', 'cattrs',"
        " 'asyncio', 'importlib.metadata', 'sqlite3', 'socket') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "" == result.stdout.strip()


_CLOCK_CALLS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter"})


def test_core_modules_do_not_read_a_clock() -> None:
    """No module below the I/O-free line calls a clock (`datetime.now()`, `time.time()`, ...).

    Which modules the core may import is import-linter's job (`lint-imports`); a clock read
    through an allowed module (`datetime`) is a call, which only the syntax tree shows.
    """
    core = sorted(PACKAGE.glob("_*.py"))
    assert core, "no core modules found"
    for path in core:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _CLOCK_CALLS
                and not node.args
            ):
                pytest.fail(f"{path.name}:{node.lineno} calls {ast.unparse(node.func)}()")
