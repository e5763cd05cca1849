"""Platform rules as dated data: every number with its source and the date it took effect.

Theory of operation
-------------------
WhatsApp's rules change on dated announcements: conversation-based pricing gave way to
per-message pricing on 2025-07-01, messaging limits moved from phone numbers to business
portfolios on 2025-10-07, business-initiated calling arrived in 2025. A host that plans a
campaign next month, or audits one from last year, needs the rules of *that* instant.

So the rules live in `RULE_HISTORY`, an ordered tuple of `RuleChange` values: the baseline (the
rules in force in early 2023, the regime of the February 2023 product brief) followed by every
dated change. Folding the history up to an instant gives the `Rules` in force then; `rules_at`
does exactly that (precomputed, with a binary search). Each number inside `Rules` is a `Rule`:
the value, the instant it took effect and a `Source` (document title, URL, whether the page is
Meta's or Twilio's own documentation or only a third party's report, and when it was checked).

`Rules` is flat and frozen. New rules are added as new fields; a field never changes what it
means. A host overrides any number with `attrs.evolve(rules, service_window=timedelta(hours=12))`:
the bare value is wrapped in a `Rule` whose source says it was set by the host, so printed rule
sets never pass an override off as Meta's.

Sources were checked on 2026-11-25 against Meta's developer documentation (mirrored in
`ArielAmzalak/WBAPI_Doc`) and the third-party pages named per rule; DOMAIN.md in the project's
shared notes lists the wider background.
"""

from __future__ import annotations

import bisect
import enum
import functools
import itertools
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import ClockSkewError, RuleDataError, expect
from wa_outbound._shown import Shown
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from collections.abc import Iterator

    from wa_outbound._render import Report

__all__ = [
    "RULE_HISTORY",
    "LimitScope",
    "PricingModel",
    "Provenance",
    "Rule",
    "RuleChange",
    "RuleDifference",
    "Rules",
    "Source",
    "answer_instant",
    "builtin_rule_sets",
    "diff_rules",
    "rules_at",
]

T = TypeVar("T")


class Provenance(enum.Enum):
    """How far a rule's source can be trusted."""

    OFFICIAL = "official"
    """Stated in Meta's or Twilio's own documentation."""
    REPORTED = "reported"
    """Only reported by third parties (providers, changelogs); override it if you know better."""
    OVERRIDE = "override"
    """Set by the host application with `attrs.evolve`."""


class PricingModel(enum.Enum):
    """How Meta charges for messages."""

    CONVERSATION_BASED = "conversation_based"
    """A charge per 24-hour conversation, opened by a delivered message (until 2025-06-30)."""
    PER_MESSAGE = "per_message"
    """A charge per delivered template message (from 2025-07-01)."""


class LimitScope(enum.Enum):
    """What a messaging limit (unique users per rolling 24 h) is counted for."""

    PHONE_NUMBER = "phone_number"
    """Each business phone number has its own limit (until 2025-10-06)."""
    BUSINESS_PORTFOLIO = "business_portfolio"
    """All numbers of a business portfolio share one limit (from 2025-10-07)."""


@attrs.frozen(kw_only=True)
class Source:
    """Where a rule comes from."""

    title: str
    """Title of the document, as its publisher names it."""
    url: str
    """Address of the document."""
    provenance: Provenance = Provenance.OFFICIAL
    """Whether the document is the platform's own, a third party's report, or the host's."""
    checked: date | None = None
    """When the rule was last checked against the document; `None` for overrides."""


OVERRIDE_SOURCE: Final = Source(
    title="set by the host application", url="", provenance=Provenance.OVERRIDE
)


@attrs.frozen(kw_only=True)
class Rule(Generic[T]):
    """One platform number (or flag) with the instant it took effect and its source."""

    value: T
    """The number itself: a duration, a count, a flag or an enum member."""
    effective_from: datetime | None
    """Instant (aware, UTC) from which the platform applies it; `None` for host overrides."""
    source: Source
    """The document that states it."""
    note: str = ""
    """What the number means in practice, or what remains uncertain about it."""


def _as_rule(value: object) -> Rule[Any]:
    """Wrap a bare value given to `attrs.evolve` into a `Rule` marked as a host override."""
    if isinstance(value, Rule):
        return value
    return Rule(value=value, effective_from=None, source=OVERRIDE_SOURCE)


def _rule_of(kind: type, *, positive: bool = False) -> Any:  # noqa: ANN401 - attrs validator
    """Build a validator checking that a `Rule` field holds a value of `kind`."""

    def check(_instance: object, attribute: attrs.Attribute[Any], rule: Rule[Any]) -> None:
        value = rule.value
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise RuleDataError(attribute.name, value, f"expected a {kind.__name__}")
        if positive and not value > kind():
            raise RuleDataError(attribute.name, value, "must be greater than zero")

    return check


def _field(kind: type, *, positive: bool = False) -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(converter=_as_rule, validator=_rule_of(kind, positive=positive))


def _durations(_instance: object, attribute: attrs.Attribute[Any], rule: Rule[Any]) -> None:
    """Check that a `Rule` field holds a non-empty tuple of positive durations."""
    value = rule.value
    if not isinstance(value, tuple) or not value:
        raise RuleDataError(attribute.name, value, "expected a non-empty tuple of timedeltas")
    for item in value:
        if not isinstance(item, timedelta) or not item > timedelta(0):
            raise RuleDataError(
                attribute.name, value, "every duration must be a timedelta greater than zero"
            )


def _durations_field() -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(converter=_as_rule, validator=_durations)


def _ascending_tiers(_instance: object, attribute: attrs.Attribute[Any], rule: Rule[Any]) -> None:
    """Check that a `Rule` field holds a non-empty, strictly ascending tuple of positive ints."""
    value = rule.value
    if not isinstance(value, tuple) or not value:
        raise RuleDataError(attribute.name, value, "expected a non-empty tuple of ints")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            raise RuleDataError(
                attribute.name, value, "every tier must be an int greater than zero"
            )
    if any(low >= high for low, high in itertools.pairwise(value)):
        raise RuleDataError(attribute.name, value, "tiers must be strictly ascending")


def _categories(_instance: object, attribute: attrs.Attribute[Any], rule: Rule[Any]) -> None:
    """Check that a `Rule` field holds a non-empty tuple of template categories."""
    value = rule.value
    if (
        not isinstance(value, tuple)
        or not value
        or not all(isinstance(item, TemplateCategory) for item in value)
    ):
        raise RuleDataError(attribute.name, value, "expected a non-empty tuple of TemplateCategory")


def _categories_field() -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(converter=_as_rule, validator=_categories)


_REGION: Final = re.compile(r"[A-Z]{2}")


def _regions(_instance: object, attribute: attrs.Attribute[Any], rule: Rule[Any]) -> None:
    """Check that a `Rule` field holds a tuple of two-letter region codes (possibly empty)."""
    value = rule.value
    if not isinstance(value, tuple) or not all(
        isinstance(item, str) and _REGION.fullmatch(item) for item in value
    ):
        raise RuleDataError(attribute.name, value, "expected a tuple of ISO 3166 region codes")


def _regions_field() -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(converter=_as_rule, validator=_regions)


def _tiers_field() -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(converter=_as_rule, validator=_ascending_tiers)


def _share(_instance: object, attribute: attrs.Attribute[Any], rule: Rule[Any]) -> None:
    """Check that a `Rule` field holds a float in (0, 1]."""
    value = rule.value
    if not isinstance(value, float):
        raise RuleDataError(attribute.name, value, "expected a float")
    if not 0.0 < value <= 1.0:
        raise RuleDataError(attribute.name, value, "must be greater than 0 and at most 1")


def _share_field() -> Any:  # noqa: ANN401 - attrs field
    return attrs.field(converter=_as_rule, validator=_share)


@attrs.frozen(kw_only=True)
class Rules(Shown):
    """The platform rules in force at one instant.

    Get one with `rules_at(when)`; override a number with
    `attrs.evolve(rules, service_window=timedelta(hours=12))`.
    Read a number with `rules.service_window.value`, its origin with `.source`.
    """

    name: str
    """Short name of the rule set, after the change that started it."""
    effective_from: datetime
    """Instant (aware, UTC) from which this set is in force."""

    # --- customer service window and free entry point -----------------------------------
    service_window: Rule[timedelta] = _field(timedelta, positive=True)
    """How long after the user's latest message (or call) free-form messages may be sent."""
    service_window_opened_by_calls: Rule[bool] = _field(bool)
    """Whether a call from the user opens or refreshes the customer service window."""
    free_entry_point_reply_within: Rule[timedelta] = _field(timedelta, positive=True)
    """How soon the business must reply to an ad or Page-button message to open the free entry
    point window."""
    free_entry_point_window: Rule[timedelta] = _field(timedelta, positive=True)
    """How long the free entry point window lasts from the business's reply."""

    # --- calling --------------------------------------------------------------------------
    business_initiated_calls: Rule[bool] = _field(bool)
    """Whether the platform lets a business call a WhatsApp user through the API."""
    call_permission_temporary_validity: Rule[timedelta] = _field(timedelta, positive=True)
    """How long a temporary call permission lasts when the platform does not say."""

    permanent_call_permission: Rule[bool] = _field(bool)
    """Whether a user can grant a call permission that never expires."""

    # --- issue 16: calling limits, template components, data use, groups -------------------
    call_permission_requests_per_day: Rule[int] = _field(int, positive=True)
    """How many call permission requests a business number may send one user in a moving
    24 hours; a connected call between them resets the count."""
    call_permission_requests_per_week: Rule[int] = _field(int, positive=True)
    """How many call permission requests a business number may send one user in a moving
    7 days; a connected call between them resets the count."""
    business_calls_connected_per_day: Rule[int] = _field(int, positive=True)
    """How many connected business-initiated calls a business number may make to one user in a
    moving 24 hours, whatever the permission."""
    call_permission_revoked_after_unanswered: Rule[int] = _field(int, positive=True)
    """After how many consecutive unanswered (or rejected) business-initiated calls the user's
    call permission is revoked by the platform."""
    calling_minimum_messaging_limit: Rule[int] = _field(int, positive=True)
    """The messaging limit (unique users per 24 hours) a business needs before it may use the
    Calling API."""
    business_calls_blocked_regions: Rule[tuple[str, ...]] = _regions_field()
    """The regions (ISO 3166 codes) of business phone numbers that may not place
    business-initiated calls."""
    template_offer_text_max_length: Rule[int] = _field(int, positive=True)
    """How many characters the text of a limited-time offer may have."""
    template_carousel_cards_min: Rule[int] = _field(int, positive=True)
    """How many cards a carousel template must define at least."""
    template_carousel_cards_max: Rule[int] = _field(int, positive=True)
    """How many cards a carousel template may define at most."""
    groups_api: Rule[bool] = _field(bool)
    """Whether a business may create WhatsApp groups and send to them through the API."""
    group_participants_max: Rule[int] = _field(int, positive=True)
    """How many participants a WhatsApp group may have (consumer groups before the Groups API,
    API groups since)."""
    groups_per_number_max: Rule[int] = _field(int, positive=True)
    """How many groups one business number may create through the Groups API."""
    meta_ads_data_sharing_excluded_regions: Rule[tuple[str, ...]] = _regions_field()
    """The regions (ISO 3166 codes) whose WhatsApp users' data Meta does not share with its
    other products (Facebook, Instagram) to improve them or target their ads."""

    # --- consent ----------------------------------------------------------------------------
    opt_in_required_inside_window: Rule[bool] = _field(bool)
    """Whether a template sent inside an open customer service window needs a recorded opt-in too
    (a free-form reply to the user never does)."""

    # --- regime markers: which pricing model and limit scope are in force -----------------
    pricing_model: Rule[PricingModel] = _field(PricingModel)
    """How Meta charges: per 24-hour conversation or per delivered message."""
    messaging_limit_scope: Rule[LimitScope] = _field(LimitScope)
    """Whether messaging limits count per phone number or per business portfolio."""
    conversation_length: Rule[timedelta] = _field(timedelta, positive=True)
    """How long a conversation lasts from the delivery of the message that opened it
    (conversation-based pricing)."""
    priced_by_template_category: Rule[bool] = _field(bool)
    """Whether marketing, utility and authentication templates have their own prices (otherwise one
    business-initiated price)."""
    free_tier_conversations: Rule[int] = _field(int)
    """How many conversations a WhatsApp Business Account gets free each month (conversation-based
    pricing)."""
    free_tier_service_only: Rule[bool] = _field(bool)
    """Whether the monthly free conversations are service conversations only."""
    service_free: Rule[bool] = _field(bool)
    """Whether service (non-template) messages and conversations are free."""
    free_service_messages: Rule[int] = _field(int)
    """How many service messages a business phone number sends free each month before they are
    charged."""
    utility_free_in_service_window: Rule[bool] = _field(bool)
    """Whether utility templates delivered inside an open customer service window are free."""
    marketing_blocked_regions: Rule[tuple[str, ...]] = _regions_field()
    """The recipient regions (ISO 3166 codes) to which marketing templates are not delivered."""

    # --- templates --------------------------------------------------------------------------
    template_review_time: Rule[timedelta] = _field(timedelta, positive=True)
    """How long Meta may take to review a submitted template; a longer wait is overdue."""
    template_pause_durations: Rule[tuple[timedelta, ...]] = _durations_field()
    """How long each successive low-quality pause of a template lasts; the pause after the last
    one disables the template."""
    template_categories: Rule[tuple[TemplateCategory, ...]] = _categories_field()
    """The template categories a new template may be submitted in."""
    template_recategorised_in_review: Rule[bool] = _field(bool)
    """Whether review gives a template of the wrong category the right one instead of rejecting
    it."""
    template_quota: Rule[int] = _field(int, positive=True)
    """How many templates a WhatsApp Business Account of an unverified business may hold."""
    template_quota_verified: Rule[int] = _field(int, positive=True)
    """How many templates a WhatsApp Business Account of a verified business may hold."""
    template_quota_counts_languages: Rule[bool] = _field(bool)
    """Whether each language of a template counts against the quota (otherwise each name counts
    once)."""
    template_name_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a template's name may have."""
    template_body_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a template's body text may have."""
    template_body_max_newlines: Rule[int] = _field(int, positive=True)
    """How many line breaks in a row a template's body text may have."""
    template_body_max_emojis: Rule[int] = _field(int, positive=True)
    """How many emojis a template's body text may have."""
    template_header_text_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a template's text header may have."""
    template_header_max_parameters: Rule[int] = _field(int, positive=True)
    """How many variables a template's text header may have."""
    template_footer_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a template's footer may have."""
    template_words_per_parameter: Rule[int] = _field(int, positive=True)
    """How many fixed words a template's text needs per variable (plus one)."""
    template_buttons_max: Rule[int] = _field(int, positive=True)
    """How many buttons a template may have in all."""
    template_quick_reply_buttons_max: Rule[int] = _field(int, positive=True)
    """How many quick-reply buttons a template may have."""
    template_url_buttons_max: Rule[int] = _field(int, positive=True)
    """How many URL buttons a template may have."""
    template_phone_buttons_max: Rule[int] = _field(int, positive=True)
    """How many phone-number buttons a template may have."""
    template_copy_code_buttons_max: Rule[int] = _field(int, positive=True)
    """How many copy-code buttons a template may have."""
    template_button_text_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a button's label may have."""
    template_url_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a URL button's address may have."""
    template_phone_number_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a phone-number button's number may have."""
    template_copy_code_max_length: Rule[int] = _field(int, positive=True)
    """How many characters the code of a copy-code button may have."""
    template_auth_parameter_max_length: Rule[int] = _field(int, positive=True)
    """How many characters the code of an authentication template may have."""
    template_code_expiration_max_minutes: Rule[int] = _field(int, positive=True)
    """The longest code expiry an authentication template's footer may state, in minutes."""
    template_parameter_max_spaces: Rule[int] = _field(int, positive=True)
    """How many spaces in a row a parameter value may hold when sent."""
    template_marketing_opt_out_required: Rule[bool] = _field(bool)
    """Whether a marketing template must offer an opt-out (a button or a line telling how to
    stop)."""

    # --- Twilio Content API -----------------------------------------------------------------
    twilio_content_variables_max: Rule[int] = _field(int, positive=True)
    """How many variables Twilio takes in one send's ContentVariables."""
    twilio_content_variable_key_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a Twilio ContentVariables key may have."""
    twilio_content_variable_value_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a Twilio ContentVariables value may have."""

    # --- pacing -----------------------------------------------------------------------------
    throughput_default: Rule[int] = _field(int, positive=True)
    """How many messages per second a business phone number may handle by default."""
    throughput_upgraded: Rule[int] = _field(int, positive=True)
    """How many messages per second a business phone number may handle after Meta's automatic
    throughput upgrade."""
    throughput_coexistence: Rule[int] = _field(int, positive=True)
    """How many messages per second a number used with both the WhatsApp Business app and the
    Cloud API may handle."""
    pair_rate_interval: Rule[timedelta] = _field(timedelta, positive=True)
    """How long a business number must wait, on average, between two messages to the same user."""
    pair_rate_burst: Rule[int] = _field(int, positive=True)
    """How many messages a business number may send to the same user at once, borrowing against
    the pair rate."""

    # --- messaging limits -------------------------------------------------------------------
    messaging_limit_window: Rule[timedelta] = _field(timedelta, positive=True)
    """How long a recipient reached outside a customer service window keeps counting against the
    messaging limit: the moving period over which unique recipients are counted."""
    messaging_limit_tiers: Rule[tuple[int, ...]] = _tiers_field()
    """The messaging limits below unlimited, lowest first: the ladder a business climbs one step
    at a time."""
    verified_starting_limit: Rule[int] = _field(int, positive=True)
    """The messaging limit a verified business reaches by verification (or another scaling path);
    automatic upgrades start from it."""
    limit_upgrade_usage_share: Rule[float] = _share_field()
    """Which share of the current messaging limit the business must have used within the lookback
    period to be upgraded."""
    limit_upgrade_lookback: Rule[timedelta] = _field(timedelta, positive=True)
    """How far back Meta looks at the business's usage when deciding an automatic upgrade."""
    limit_upgrade_delay: Rule[timedelta] = _field(timedelta, positive=True)
    """How soon after meeting the criteria Meta raises the messaging limit by one step."""
    limit_downgrade_after_low_quality: Rule[timedelta] = _field(timedelta, positive=True)
    """How long the quality rating may stay low before the messaging limit drops one step."""

    # --- time -------------------------------------------------------------------------------
    webhook_redelivery_period: Rule[timedelta] = _field(timedelta, positive=True)
    """How long the platform keeps re-delivering a webhook the host did not acknowledge: a
    state store remembers the events it processed at least this long, so that a late retry is
    recognised and not folded twice."""
    clock_skew_tolerance: Rule[timedelta] = _field(timedelta, positive=True)
    """How far the platform's timestamps may run ahead of the host's clock: a question asked at
    a `now` earlier than the latest fact a value holds by at most this much is answered as at
    that fact's instant, by more it is refused (`ClockSkewError`); and a webhook stamped more
    than this after the host received it is not read as a fact."""

    # --- the platform as of December 2026 (issue #15) ----------------------------------------
    limit_downgraded_for_low_quality: Rule[bool] = _field(bool)
    """Whether a quality rating that stays low for `limit_downgrade_after_low_quality` lowers the
    messaging limit one step."""
    template_marketing_body_max_length: Rule[int] = _field(int, positive=True)
    """How many characters a marketing template's body text may have."""
    direct_send: Rule[bool] = _field(bool)
    """Whether an eligible account may send a utility message outside the customer service window
    without an approved template, by adding a category to a normal message (Direct Send)."""
    direct_send_ttl_min: Rule[timedelta] = _field(timedelta, positive=True)
    """The shortest time-to-live a Direct Send utility message may carry."""
    direct_send_ttl_max: Rule[timedelta] = _field(timedelta, positive=True)
    """The longest time-to-live a Direct Send utility message may carry."""
    template_pacing: Rule[bool] = _field(bool)
    """Whether messages of new, unpaused or not GREEN marketing and utility templates may be held
    after an unpublished threshold, and dropped if early feedback is bad."""
    portfolio_pacing: Rule[bool] = _field(bool)
    """Whether one template's low quality may get the portfolio's other templates paced too."""
    marketing_messages_endpoint: Rule[bool] = _field(bool)
    """Whether marketing templates are to be sent to the Marketing Messages endpoint
    (`/<PHONE_NUMBER_ID>/marketing_messages`) rather than to `/messages`."""
    marketing_per_user_limit: Rule[bool] = _field(bool)
    """Whether WhatsApp may hold back a marketing template from a user who receives many (error
    131049)."""
    marketing_per_user_limit_exempts_window: Rule[bool] = _field(bool)
    """Whether marketing messages sent inside a customer service window the user opened stay out
    of the per-user marketing limit."""
    marketing_per_user_limit_retry_after: Rule[timedelta] = _field(timedelta, positive=True)
    """How long to wait before sending a marketing template again to a user it was held back from
    by the per-user marketing limit."""
    business_scoped_user_ids: Rule[bool] = _field(bool)
    """Whether a message may be addressed to a business-scoped user ID instead of a phone number
    (authentication messages excepted: error 131062)."""
    templates_owned_by_messaging_account: Rule[bool] = _field(bool)
    """Whether templates and their quota belong to a Messaging account (otherwise to the WhatsApp
    Business Account)."""
    ai_provider_charged_regions: Rule[tuple[str, ...]] = _regions_field()
    """The recipient regions where an "AI Provider" pays for each non-template message it
    delivers, even inside the customer service window."""

    def __attrs_post_init__(self) -> None:
        """Check that the set's own instant is aware."""
        utc("effective_from", self.effective_from)

    def items(self) -> Iterator[tuple[str, Rule[Any]]]:
        """Yield `(field name, Rule)` for every rule, in declaration order."""
        for name in RULE_FIELDS:
            yield name, getattr(self, name)

    def _report(self) -> Report:
        """What every rendering shows: every rule's value, since when, and how sure it is."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        rows = tuple(
            (
                name,
                plain(_short(rule.value)),
                "host override"
                if rule.effective_from is None
                else plain(rule.effective_from.date()),
                plain(rule.source.provenance),
            )
            for name, rule in self.items()
        )
        return Report(
            title=f"Rules: {self.name}",
            summary=(f"in force from {plain(self.effective_from)}; {len(rows)} rules",),
            tables=(
                Table(title="Rules", header=("rule", "value", "since", "provenance"), rows=rows),
            ),
        )

    @staticmethod
    def describe(name: str) -> str:
        """Return the meaning of the rule called `name`: its attribute docstring, on one line.

        A field's attribute docstring is the only text of its meaning: the `rules` command
        and the documentation read it through here.

        Raises:
            RuleDataError: There is no rule of that name, or this module's source is not
                installed (the wheel ships it).
        """
        if name not in RULE_FIELDS:
            raise RuleDataError("rule", name, "no such rule")
        docs = _field_docs()
        if name not in docs:
            raise RuleDataError(
                "rule", name, "no description: the source of wa_outbound._rules is missing"
            )
        return docs[name]


def _short(value: object) -> object:
    """A long tuple (31 regions) as its first three items and its length, for tables."""
    if isinstance(value, tuple) and len(value) > 8:  # noqa: PLR2004 - what a cell holds
        return f"{', '.join(map(str, value[:3]))}, ... ({len(value)})"
    return value


RULE_FIELDS: Final[tuple[str, ...]] = tuple(
    a.name for a in attrs.fields(Rules) if a.name not in {"name", "effective_from"}
)


def _source() -> str | None:
    """The source of this module, from wherever it was imported (`None` if not installed)."""
    loader = getattr(__spec__, "loader", None)
    get_source = getattr(loader, "get_source", None)
    return None if get_source is None else get_source(__name__)


@functools.cache
def _field_docs() -> Mapping[str, str]:
    """The attribute docstring of every `Rules` field, whitespace folded, read once on first use.

    Parsing the source (a few milliseconds) waits until a rule's meaning is asked for, so
    `import wa_outbound` pays nothing for it; unlike `__doc__`, it also survives `python -OO`.
    """
    import ast  # noqa: PLC0415 - only the rules command and the docs need the docstrings

    source = _source()
    if source is None:
        return {}
    tree = ast.parse(source)
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Rules").body
    return {
        node.target.id: " ".join(after.value.value.split())
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    }


@attrs.frozen(kw_only=True)
class RuleChange:
    """A dated platform change: the rules it sets, from one instant on."""

    effective_from: datetime
    """Instant (aware, UTC) of the change."""
    title: str
    """What changed, in a few words; becomes the name of the rule set it starts."""
    rules: Mapping[str, Rule[Any]]
    """New values, by `Rules` field name."""


@attrs.frozen(kw_only=True)
class RuleDifference:
    """How one rule differs between two rule sets."""

    name: str
    """The `Rules` field."""
    before: Rule[Any]
    """The rule in the earlier set."""
    after: Rule[Any]
    """The rule in the later set."""


def _day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


_CHECKED: Final = date(2026, 11, 25)

_SERVICE_MESSAGES: Final = Source(
    title="Meta, Service messages (customer service windows), updated 2026-05-21",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages",
    checked=_CHECKED,
)
_API_LAUNCH: Final = Source(
    title="What Mobile, WhatsApp set to start charging businesses (WhatsApp Business API"
    " launch, August 2018: free replies up to 24 hours after the user's message)",
    url="https://www.whatmobile.net/News/article/whatsapp-set-start-charge-businesses",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CONVERSATION_TYPES: Final = Source(
    title="Meta, Conversation types (2023 text, conversation-based pricing)",
    url="https://developers.facebook.com/docs/whatsapp/conversation-types",
    checked=_CHECKED,
)
_PRICING: Final = Source(
    title="Meta, Pricing on the WhatsApp Business Platform (free entry point windows),"
    " updated 2026-03-30",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing",
    checked=_CHECKED,
)
_CONVERSATION_PRICING: Final = Source(
    title="Meta, Conversation-based pricing (deprecated): free entry point conversations",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing/conversation-based-pricing",
    checked=_CHECKED,
)
_OPT_IN: Final = Source(
    title="Meta, Get opt-in for WhatsApp (November 2024 Business Messaging Policy update),"
    " updated 2025-11-03",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/getting-opt-in",
    checked=_CHECKED,
)
_OPT_IN_2023: Final = Source(
    title="Meta, Get opt-in for WhatsApp (2023 text: opt-in before opening conversations"
    " outside the 24-hour window)",
    url="https://developers.facebook.com/docs/whatsapp/overview/getting-opt-in",
    checked=_CHECKED,
)
_LIMITS_CHANGE: Final = Source(
    title="Meta, Upcoming changes to messaging limits (business portfolio limits)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/upcoming-messaging-limits-changes",
    checked=_CHECKED,
)
_MESSAGING_LIMITS: Final = Source(
    title="Meta, Messaging Limits (250, then 2,000 by a scaling path, then 10,000, 100,000 and"
    " unlimited by automatic scaling: at least half the limit used in the last 7 days, next"
    " level within 6 hours)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits",
    checked=_CHECKED,
)
_LIMITS_50_REPORT: Final = "https://help.brevo.com/hc/en-us/articles/4416154854546-About-the-messaging-limits-and-quality-rating-of-WhatsApp-messages"
_LIMITS_2023: Final = Source(
    title="AWS End User Messaging Social, Increase messaging conversation limits",
    url="https://docs.aws.amazon.com/social-messaging/latest/userguide/increase-message-limit.html",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CALL_PERMISSIONS: Final = Source(
    title="Meta, Obtain user call permissions, updated 2025-11-13",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions",
    checked=_CHECKED,
)
_CALLING_LAUNCH: Final = Source(
    title="ChakraHQ, WhatsApp Business Calling API launched on 15 July 2025 (third-party"
    " report; Meta's pages give no launch date)",
    url="https://articles.chakrahq.com/article/whatsapp-cloud-api-calling-feature-details/",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CALL_PERMISSION_LIMITS: Final = Source(
    title="Gupshup, Obtain user call permissions ('Max 1 request per 24 hours', 'Max 2 requests"
    " per 7 days', 'Limits reset when any connected call (business-initiated or user-initiated)"
    " occurs', '4 consecutive unanswered calls -> Approved permission is automatically"
    " revoked'); Wati and Infobip state the same. Meta's call permissions API reports the"
    " limits as PT24H / P7D; Meta's page text with the numbers was not seen",
    url="https://partner-docs.gupshup.io/docs/obtain-user-call-permissions",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CONNECTED_CALLS_2025: Final = Source(
    title="Twilio, error 37006 ('more than five connected business-initiated WhatsApp calls to"
    " the same number in a 24-hour period'); Wati and Infobip give 5 as well",
    url="https://www.twilio.com/docs/api/errors/37006",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CALL_PERMISSIONS_NOV_2025: Final = Source(
    title="Meta, Obtain user call permissions, updated 2025-11-13 ('Your business can make"
    " only 10 connected calls every 24 hours', per business and WhatsApp user pair), as"
    " copied by Kapso",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions",
    checked=_CHECKED,
)
_CALL_PERMISSIONS_JUN_2026: Final = Source(
    title="Meta, Obtain user call permissions, updated 2026-06-26 ('Your business can make a"
    " maximum of 100 connected calls every 24 hours', per business and WhatsApp user pair)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions",
    checked=_CHECKED,
)
_CALLING_OVERVIEW: Final = Source(
    title="Meta, Cloud API Calling, prerequisites ('The business must have a messaging limit of"
    " at least 2000 business-initiated conversations in a rolling 24-hour period')",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/calling",
    checked=_CHECKED,
)
_CALLING_FAQ: Final = Source(
    title="Meta, Calling FAQs, updated 2025-11-13 ('Business-initiated Calling (BIC) is"
    " currently available in every location Cloud API is available, except ... USA, Canada,"
    " Turkey, Egypt, Vietnam, Nigeria'; the business number's country code counts)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/faq",
    checked=_CHECKED,
)
_LIMITED_TIME_OFFER: Final = Source(
    title="Meta, Limited-time offer templates (offer text 'Maximum 16 characters'; 'Only"
    " templates categorized as MARKETING are supported'; 'Footer components are not supported')",
    url="https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/limited-time-offer-templates",
    checked=_CHECKED,
)
_CAROUSEL: Final = Source(
    title="Meta, Media card carousel templates ('minimum 2 and maximum 10' cards; carousels"
    " only for marketing templates)",
    url="https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/media-card-carousel-templates",
    checked=_CHECKED,
)
_LIMITS_250_START: Final = Source(
    title="Brevo, About the messaging limits and quality rating of WhatsApp messages"
    " ('Unverified trial tier: 250 unique customers ... If you signed up before September"
    " 30th, 2022, the limit is 50 unique customers')",
    url=_LIMITS_50_REPORT,
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_TEMPLATES_1500: Final = (
    "https://help.eocean.net/knowledge/template-guidelines ('WhatsApp supports up to 250"
    " templates per account by default ... may approve a higher limit of 1500 templates')"
)
_GROUPS_2023: Final = Source(
    title="The February 2023 product brief: groups of up to 1,024 participants in the WhatsApp"
    " app, no API; every participant sees the others' numbers. Groups of 1,024 (up from 256)"
    " arrived with Communities on 2022-11-03, as reported by the Indian Express",
    url="https://indianexpress.com/article/technology/tech-news-technology/whatsapp-starts-global-roll-out-of-communities-feature-groups-can-now-support-1024-users-8246470/",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_GROUPS_API: Final = Source(
    title="Meta, Groups API, updated 2025-11-14 ('The Groups API is now open to all businesses"
    " with an Official Business Account'; 'Max group participants: 8'; 'Max groups you can"
    " create: 10,000 per business number'; 'Admin hide group participant list' not supported),"
    " as copied by ChatArchitect",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/groups",
    checked=_CHECKED,
)
_EUROPEAN_REGION: Final = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU",
    "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI",
    "SK",
)  # fmt: skip
"""WhatsApp's "European Region": the EU, the EEA (Iceland, Liechtenstein, Norway) and the UK."""
_EU_DATA_USE: Final = Source(
    title="WhatsApp's statement of January 2021, as reported by DIGIT: 'it is still the case"
    " that WhatsApp does not share European region WhatsApp user data with Facebook for the"
    " purpose of Facebook using this data to improve its products or advertisements' (the EU,"
    " the EEA and the UK); the sharing was paused in November 2016 after European data"
    " protection authorities objected",
    url="https://digit.fyi/facebook-to-access-whatsapp-user-data-except-in-europe/",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_BUSINESS_CALLS: Final = Source(
    title="Meta, Business-Initiated Calls ('The Calling API supports making calls to WhatsApp"
    " users from your business'; call permission first), updated 2026-05-21",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/",
    checked=date(2026, 12, 7),
)
_TEMPLATE_REVIEW: Final = Source(
    title="Meta, Template review ('It can take up to 24 hours for an approval decision to be"
    " made')",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-review",
    checked=_CHECKED,
)
_TEMPLATE_REVIEW_2023: Final = Source(
    title="Zavu, Template Approval Process (typical review 24-48 hours; the February 2023"
    " product brief: approval can take up to 48 hours)",
    url="https://docs.zavu.dev/guides/whatsapp/templates/approval",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_TEMPLATE_REVIEW_DATE: Final = (
    "https://awsapichanges.com/archive/changes/2352cb-social-messaging.html"
)
_TEMPLATE_PAUSING: Final = Source(
    title="Meta, Template pausing (1st instance 3 hours, 2nd 6 hours, 3rd disabled)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pausing",
    checked=_CHECKED,
)

_TEMPLATE_OVERVIEW: Final = Source(
    title="Meta, Template fundamentals (names, template limits, parameter formats), updated"
    " 2026-05-05",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview",
    checked=_CHECKED,
)
_TEMPLATE_COMPONENTS: Final = Source(
    title="Meta, Template components (character limits, buttons), updated 2026-05-06",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components",
    checked=_CHECKED,
)
_TEMPLATE_LIMIT_CHANGE: Final = Source(
    title="Meta, WhatsApp Business Platform changelog, 2022-10-25 ('up to 6,000 message"
    " templates if ... verified'; 'translated versions ... now count against ... the template"
    " limit')",
    url="https://developers.facebook.com/docs/whatsapp/changelog",
    checked=_CHECKED,
)
_TEMPLATE_CATEGORIZATION: Final = Source(
    title="Meta, Template categorization (allow_category_change no longer supported from"
    " 2025-04-09; authentication parameters restricted to 15 characters)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-categorization",
    checked=_CHECKED,
)
_AUTHENTICATION_TEMPLATES: Final = Source(
    title="Meta, Authentication templates (code_expiration_minutes: minimum 1, maximum 90)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/authentication-templates/authentication-templates",
    checked=_CHECKED,
)
_CATEGORIES_2023: Final = Source(
    title="Kaleyra, WhatsApp Template Category ('Meta will launch the new categories on April"
    " 1st, 2023'; legacy categories supported until 2023-04-24); Wati, What is a template"
    " message ('Starting April 1st 2023 the message template approval will require category"
    " validation using new categories'): both reported, no Meta page gives the date",
    url="https://developers.kaleyra.io/docs/whatsapp-template-category",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CATEGORIES_LEGACY: Final = Source(
    title="Sinch, WhatsApp templates ('new template categories ... MARKETING, OTP and"
    " TRANSACTIONAL'; older templates list other values); Wati: the eleven legacy categories"
    " in use until 2023-04-01",
    url="https://developers.sinch.com/docs/provisioning-api/getting-started/whatsapp/templates",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_TWILIO_VARIABLES: Final = Source(
    title="Twilio, Using variables with Content Templates ('for every x variables, there"
    " must be at least 2x+1 non-variable words')",
    url="https://www.twilio.com/docs/content/using-variables-with-content-api",
    checked=_CHECKED,
)
_TEMPLATE_REVIEW_NEWLINES: Final = Source(
    title="Meta's rejection text as quoted in third-party code ('The message body can't have"
    " more than two consecutive newline characters, only have parameters, or have more than 10"
    " emojis'); Meta's Template review page only says limits depend on the template",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-review",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_PARAMETER_SPACES: Final = Source(
    title="Cloud API error 132018 as observed by third-party code ('Param text cannot have"
    " new-line/tab characters or more than 4 consecutive spaces'); not on a Meta page",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)

_PRICING_2023: Final = Source(
    title="Meta, Updates to conversation-based pricing, effective June 1, 2023 (marketing,"
    " utility, authentication and service conversations; 1,000 free service conversations a"
    " month)",
    url="https://developers.facebook.com/docs/whatsapp/updates-to-pricing",
    checked=_CHECKED,
)
_FREE_SERVICE_2024: Final = Source(
    title="Gupshup, Billing events ('There is no Meta fees charged for service conversations"
    " 1st Nov onwards')",
    url="https://docs.gupshup.io/docs/billing-events",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_US_MARKETING_BLOCK: Final = Source(
    title="Meta, Per-user marketing template message limits ('Starting April 1, 2025, ..."
    " WhatsApp will not deliver any marketing template messages to individuals with United"
    " States phone numbers (numbers composed of a +1 dialing code and a US area code)')",
    url="https://developers.facebook.com/docs/whatsapp/per-user-limits",
    checked=date(2026, 12, 7),
)
_SERVICE_CHARGED_2026: Final = Source(
    title="ChakraHQ, WhatsApp API pricing update: service messages (October 2026); YCloud's"
    " pricing-migration page warns that service and utility rules changed on 2026-10-01 - not"
    " yet seen on a Meta page (looked for again on 2026-12-07: Meta's pages found say only that"
    " other businesses are 'not being charged for non-template messages sent in an open"
    " customer service window')",
    url="https://chakrahq.com/article/whatsapp-api-pricing-update-service-messages-october-2026/",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)

_TWILIO_CONTENT_VARIABLES: Final = Source(
    title="Twilio, Using variables with Content Templates ('up to 100 variables'; 'A variable"
    " key has a maximum length of 16 characters'; 'A variable value can be up to 1,600"
    " characters')",
    url="https://www.twilio.com/docs/content/using-variables-with-content-api",
    checked=_CHECKED,
)

_THROUGHPUT: Final = Source(
    title="Meta, Throughput (80 mps by default, 1,000 mps by automatic upgrade, 20 mps for"
    " WhatsApp Business app numbers), updated 2026-05-21",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput",
    checked=_CHECKED,
)
_PAIR_RATE: Final = Source(
    title="Meta, About the WhatsApp Business Platform, 'Pair rate limits' ('1 message every 6"
    " seconds to the same WhatsApp user'; 'up to 45 messages in a 6-second burst'; 'retry after"
    " 4^X seconds'), updated 2025-12-05",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/about-the-platform",
    checked=date(2026, 12, 7),
)
_REDELIVERY: Final = Source(
    title="360dialog, Webhooks: failed webhooks are re-delivered for up to 7 days with"
    " exponential backoff (Meta's own pages, not in the store checked, are quoted as saying"
    " 7 days for the Cloud API and 36 hours for webhooks in general)",
    url="https://docs.360dialog.com/docs/waba-messaging/webhook",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_CLOCK_SKEW: Final = Source(
    title="Stripe, Verify webhook signatures (a default tolerance of five minutes between a"
    " webhook's timestamp and the receiver's clock); Meta documents no clock skew bound for"
    " WhatsApp webhooks",
    url="https://docs.stripe.com/webhooks/signature",
    provenance=Provenance.REPORTED,
    checked=_CHECKED,
)
_PAIR_RATE_REPORT: Final = "https://dev.to/wapgrowai_org/whatsapp-cloud-api-rate-limits-in-practice-throughput-pair-rate-messaging-limits-and-error-codes-1i7k"

_NO_CALLS: Final = "Unused while business-initiated calls are unavailable."
_ISSUE_16_BASELINE: Final[Mapping[str, Rule[Any]]] = {
    "call_permission_requests_per_day": Rule(
        value=1,
        effective_from=_day(2023, 1, 1),
        source=_CALL_PERMISSION_LIMITS,
        note=_NO_CALLS,
    ),
    "call_permission_requests_per_week": Rule(
        value=2,
        effective_from=_day(2023, 1, 1),
        source=_CALL_PERMISSION_LIMITS,
        note=_NO_CALLS,
    ),
    "business_calls_connected_per_day": Rule(
        value=5,
        effective_from=_day(2023, 1, 1),
        source=_CONNECTED_CALLS_2025,
        note=_NO_CALLS,
    ),
    "call_permission_revoked_after_unanswered": Rule(
        value=4,
        effective_from=_day(2023, 1, 1),
        source=_CALL_PERMISSION_LIMITS,
        note=_NO_CALLS,
    ),
    "calling_minimum_messaging_limit": Rule(
        value=2000,
        effective_from=_day(2023, 1, 1),
        source=_CALLING_OVERVIEW,
        note=_NO_CALLS,
    ),
    "business_calls_blocked_regions": Rule(
        value=(),
        effective_from=_day(2023, 1, 1),
        source=_CALLING_FAQ,
        note=_NO_CALLS + " No region list applies before the launch.",
    ),
    "template_offer_text_max_length": Rule(
        value=16,
        effective_from=_day(2023, 1, 1),
        source=_LIMITED_TIME_OFFER,
        note="Limited-time offers are marketing only and take no footer. The page gives no"
        " start date, so the baseline's date is used.",
    ),
    "template_carousel_cards_min": Rule(
        value=2,
        effective_from=_day(2023, 1, 1),
        source=_CAROUSEL,
        note="A product card carousel defines two cards and may send up to ten. The page gives"
        " no start date, so the baseline's date is used.",
    ),
    "template_carousel_cards_max": Rule(
        value=10,
        effective_from=_day(2023, 1, 1),
        source=_CAROUSEL,
        note="The page gives no start date, so the baseline's date is used.",
    ),
    "groups_api": Rule(
        value=False,
        effective_from=_day(2018, 8, 1),
        source=_GROUPS_2023,
        note="Groups lived in the WhatsApp app only; a business could not create one or send"
        " to one through the API.",
    ),
    "group_participants_max": Rule(
        value=1024,
        effective_from=_day(2022, 11, 3),
        source=_GROUPS_2023,
        note="Consumer groups in the WhatsApp app (the brief's 1,024). Every participant sees"
        " every other's phone number and anyone with an invite link may join: no way to"
        " send to customers within privacy requirements.",
    ),
    "groups_per_number_max": Rule(
        value=10_000,
        effective_from=_day(2023, 1, 1),
        source=_GROUPS_API,
        note="Unused while the Groups API is unavailable.",
    ),
    "meta_ads_data_sharing_excluded_regions": Rule(
        value=_EUROPEAN_REGION,
        effective_from=_day(2016, 11, 1),
        source=_EU_DATA_USE,
        note="The February 2023 product brief: in Europe Meta may not use WhatsApp user data"
        " for its other products (ads on Facebook and Instagram), unlike the US, India or"
        " Brazil. The user's region, not the business's, counts. It does not restrict"
        " sending; ask `meta_ads_data_sharing` before exporting an audience.",
    ),
}
"""The baseline of issue 16's rules (kept apart so that the baseline's big literal stays
readable)."""
# --- sources of the platform as of December 2026 (issue #15) ---------------------------------
_CHECKED_2026_12: Final = date(2026, 12, 7)
_LIMITS_NO_DOWNGRADE: Final = Source(
    title="Meta, Upcoming changes to messaging limits (now live): from 2025-10-07 no 'Flagged'"
    " phone number quality state and no downgrade of the limit for quality",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/upcoming-messaging-limits-changes",
    checked=_CHECKED_2026_12,
)
_COPY_CODE_2025: Final = Source(
    title="Meta changelog entry of 2025-12-03 (copy-code coupon codes up to 20 characters), as"
    " the project's issue #15 and shared notes cite it; the entry is not in the copy of Meta's"
    " changelog seen, and Meta's Coupon code templates page (updated 2026-05-28) states no"
    " number any more",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/changelog",
    provenance=Provenance.REPORTED,
    checked=_CHECKED_2026_12,
)
_MARKETING_BODY_2025: Final = Source(
    title="Meta, Marketing Messages API changelog, 2025-03-27: 'Character limits for the body"
    " component will vary based on the template format and tag' (Cloud API too)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/changelog",
    checked=_CHECKED_2026_12,
)
_PER_USER_LIMITS: Final = Source(
    title="Meta, Per-user marketing template message limits (131049; 'wait at least 24 hours';"
    " from 2025-04-01 no marketing templates to US numbers, '+1 dialing code and a US area"
    " code'; marketing inside a user-opened window does not count)",
    url="https://developers.facebook.com/docs/whatsapp/per-user-limits",
    checked=_CHECKED_2026_12,
)
_DIRECT_SEND: Final = Source(
    title="Meta, Direct Send: send utility and authentication messages, API reference (category"
    " field; TTL 30 s to 12 h; errors 100, 139200), updated 2026-07-31",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/api-reference/",
    checked=_CHECKED_2026_12,
)
_TEMPLATE_PACING: Final = Source(
    title="Meta, Template pacing (marketing and utility templates: new, unpaused or not GREEN"
    " templates may be held, then dropped on a bad quality signal)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pacing",
    checked=_CHECKED_2026_12,
)
_PORTFOLIO_PACING: Final = Source(
    title="Meta changelog entry of 2025-12-08 (portfolio pacing), as the project's issue #15"
    " and shared notes cite it; not in the copy of Meta's changelog seen. Meta's Template"
    " pacing page says 'you may see other templates get paced' after a template's low quality",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/changelog",
    provenance=Provenance.REPORTED,
    checked=_CHECKED_2026_12,
)
_MARKETING_ROUTING: Final = Source(
    title="Meta, Route template messages by category (MARKETING to"
    " /<PHONE_NUMBER_ID>/marketing_messages, every other category to /messages, by the"
    " template's latest category), updated 2026-09-21",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/route-template-messages/",
    checked=_CHECKED_2026_12,
)
_MARKETING_ENDPOINT_2025: Final = (
    "Meta's Marketing Messages changelog of 2025-09-03: 'The /marketing_messages endpoint will"
    " accept marketing messages for both MM Lite API and Cloud API'"
)
_BSUID: Final = Source(
    title="Meta, Business-scoped user IDs (BSUIDs may be used for any message except one-tap,"
    " zero-tap and copy code authentication templates: error 131062; phone numbers shared for"
    " 30 days after an exchange; country code in messages webhooks)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids",
    checked=_CHECKED_2026_12,
)
_AI_PROVIDERS: Final = Source(
    title="Meta, New pricing policy for AI Providers leveraging the WhatsApp Business Platform"
    " (from 2026-02-16 each non-template message an AI Provider delivers to a user in Italy is"
    " charged), updated 2026-05-21, linked from Meta's pricing page; read in a copy of the page"
    " (https://support.chatarchitect.com/books/meta-whatsapp/page/new-pricing-policy-for-ai-providers-leveraging-the-whatsapp-business-platform-developer-documentation)",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing",
    checked=_CHECKED_2026_12,
)
_MESSAGING_ACCOUNTS: Final = Source(
    title="Meta, WhatsApp accounts and Messaging accounts ('A Messaging account holds your"
    " message templates and billing details'; the template limit applies per Messaging"
    " account); Onboarding changes, updated 2026-10-27",
    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/whatsapp-business-accounts",
    checked=_CHECKED_2026_12,
)

RULE_HISTORY: Final[tuple[RuleChange, ...]] = (
    RuleChange(
        effective_from=_day(2023, 1, 1),
        title="2023 regime",
        rules={
            "service_window": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2018, 8, 1),
                source=_SERVICE_MESSAGES,
                note="Opened and reset by every user message; business messages never extend"
                " it (Meta's pricing example closes it 24 h after the user's last message)."
                " In force since the API's launch in August 2018 (date reported: "
                + _API_LAUNCH.url
                + ").",
            ),
            "service_window_opened_by_calls": Rule(
                value=False,
                effective_from=_day(2018, 8, 1),
                source=_CONVERSATION_TYPES,
                note="'When a customer messages you, a 24-hour timer called a customer service"
                " window starts': only messages opened it before the Calling API.",
            ),
            "free_entry_point_reply_within": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="Ad or Page-button messages from the Android or iOS app only. The"
                " 2022-02-01 start of conversation-based pricing is reported, not on Meta's page.",
            ),
            "free_entry_point_window": Rule(
                value=timedelta(hours=72),
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="Starts when the reply is delivered; all messages free; free-form still"
                " needs the 24 h window. No new conversation opens while it lasts. The"
                " 2022-02-01 date is reported.",
            ),
            "business_initiated_calls": Rule(
                value=False,
                effective_from=_day(2018, 8, 1),
                source=_CALLING_LAUNCH,
                note="No calling API before its 2025 launch: a business could only invite the"
                " user to call it.",
            ),
            "call_permission_temporary_validity": Rule(
                value=timedelta(days=7),
                effective_from=_day(2018, 8, 1),
                source=_CALL_PERMISSIONS,
                note="Unused while business-initiated calls are unavailable.",
            ),
            "permanent_call_permission": Rule(
                value=False,
                effective_from=_day(2018, 8, 1),
                source=_CALL_PERMISSIONS,
            ),
            "opt_in_required_inside_window": Rule(
                value=False,
                effective_from=_day(2018, 8, 1),
                source=_OPT_IN_2023,
                note="Opt-in was required before opening conversations outside the window;"
                " user-initiated conversations needed no prior opt-in.",
            ),
            "pricing_model": Rule(
                value=PricingModel.CONVERSATION_BASED,
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="Four categories from 2023-06-01 (Meta); the 2022-02-01 start is reported.",
            ),
            "messaging_limit_scope": Rule(
                value=LimitScope.PHONE_NUMBER,
                effective_from=_day(2018, 8, 1),
                source=_LIMITS_2023,
            ),
            "conversation_length": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="A conversation opens when a business message is delivered and lasts 24 "
                "hours; the 2022-02-01 start is reported.",
            ),
            "priced_by_template_category": Rule(
                value=False,
                effective_from=_day(2022, 2, 1),
                source=_PRICING_2023,
                note="Before 2023-06-01 every business-initiated conversation had one price, and "
                "user-initiated (service) conversations another.",
            ),
            "free_tier_conversations": Rule(
                value=1000,
                effective_from=_day(2022, 2, 1),
                source=_PRICING_2023,
                note="Per WhatsApp Business Account and month, conversations of any kind until "
                "2023-05-31.",
            ),
            "free_tier_service_only": Rule(
                value=False,
                effective_from=_day(2022, 2, 1),
                source=_PRICING_2023,
                note="Before 2023-06-01 the free conversations could be of any kind.",
            ),
            "service_free": Rule(
                value=False,
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="Service conversations were charged beyond the monthly free tier.",
            ),
            "free_service_messages": Rule(
                value=0,
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="No per-message allowance: service was charged per conversation.",
            ),
            "utility_free_in_service_window": Rule(
                value=False,
                effective_from=_day(2022, 2, 1),
                source=_CONVERSATION_PRICING,
                note="A utility template opens a utility conversation whatever service "
                "conversation is open.",
            ),
            "marketing_blocked_regions": Rule(
                value=(),
                effective_from=_day(2023, 1, 1),
                source=_US_MARKETING_BLOCK,
                note="No region was blocked.",
            ),
            "template_review_time": Rule(
                value=timedelta(hours=48),
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_REVIEW_2023,
                note="As the February 2023 product brief states it; no Meta page with 48 h was"
                " found, and no start date is known, so the baseline's date is used.",
            ),
            "template_pause_durations": Rule(
                value=(timedelta(hours=3), timedelta(hours=6)),
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_PAUSING,
                note="The third pause disables the template; an un-pause arrives as an APPROVED"
                " status event. The page gives no start date (the 2023 brief already describes"
                " pauses), so the baseline's date is used.",
            ),
            "template_categories": Rule(
                value=(
                    TemplateCategory.MARKETING,
                    TemplateCategory.TRANSACTIONAL,
                    TemplateCategory.OTP,
                    *tuple(TemplateCategory)[5:],
                ),
                effective_from=_day(2023, 1, 1),
                source=_CATEGORIES_LEGACY,
                note="New templates used TRANSACTIONAL, MARKETING or OTP; the eleven legacy "
                "categories (ACCOUNT_UPDATE, ...) are accepted too, as the February 2023 "
                "brief and Wati still list them until 2023-04-01. When the interim names "
                "started is not known.",
            ),
            "template_recategorised_in_review": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_CATEGORIZATION,
                note="A template of the wrong category was rejected (INCORRECT_CATEGORY) unless it"
                " was submitted with allow_category_change.",
            ),
            "template_quota": Rule(
                value=250,
                effective_from=_day(2022, 10, 25),
                source=_TEMPLATE_OVERVIEW,
                note="Per WhatsApp Business Account of an unverified business portfolio. Before "
                "2022-10-25 the 250 counted names (360dialog).",
            ),
            "template_quota_verified": Rule(
                value=6000,
                effective_from=_day(2022, 10, 25),
                source=_TEMPLATE_LIMIT_CHANGE,
                note="The portfolio is verified and one of its accounts has a number with an"
                " approved display name. The February 2023 brief says '250 templates, 1,500 on"
                " request': 1,500 was the limit Meta granted on request before this change"
                " (reported: " + _TEMPLATES_1500 + "), when the 250 counted names. Meta's"
                " changelog replaced it with 6,000 on 2022-10-25, which was in force in"
                " February 2023 and is followed here.",
            ),
            "template_quota_counts_languages": Rule(
                value=True,
                effective_from=_day(2022, 10, 25),
                source=_TEMPLATE_LIMIT_CHANGE,
                note="'Each template counts against your template limit' (Meta, Template "
                "fundamentals); before 2022-10-25 the translations of a name counted once.",
            ),
            "template_name_max_length": Rule(
                value=512,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_OVERVIEW,
                note="Lowercase letters, digits and underscores only. The page gives no start "
                "date, so the baseline's date is used.",
            ),
            "template_body_max_length": Rule(
                value=1024,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_body_max_newlines": Rule(
                value=2,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_REVIEW_NEWLINES,
                note="More than two line breaks in a row get a template rejected, as reported; no "
                "Meta page gives the number.",
            ),
            "template_body_max_emojis": Rule(
                value=10,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_REVIEW_NEWLINES,
                note="More than 10 emojis in a body get a template rejected, as Meta's rejection"
                " text quoted by third parties says; Meta's Template review page only says the"
                " number of emojis 'may also be limited'. Twilio's WhatsApp approval guidance"
                " gives the same 10.",
            ),
            "template_header_text_max_length": Rule(
                value=60,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_header_max_parameters": Rule(
                value=1,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="'Supports 1 parameter.' The page gives no start date, so the baseline's date"
                " is used.",
            ),
            "template_footer_max_length": Rule(
                value=60,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="Footers take no variables. The page gives no start date, so the baseline's "
                "date is used.",
            ),
            "template_words_per_parameter": Rule(
                value=2,
                effective_from=_day(2023, 1, 1),
                source=_TWILIO_VARIABLES,
                note="A text with n variables needs at least 2n + 1 other words. Meta rejects 'too"
                " many variable parameters relative to the message length' without a number; "
                "Twilio's number is used.",
            ),
            "template_buttons_max": Rule(
                value=10,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_quick_reply_buttons_max": Rule(
                value=10,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="Quick replies and other buttons must form two groups (QR, QR, URL is fine; "
                "QR, URL, QR is not). The page gives no start date, so the baseline's date is"
                " used.",
            ),
            "template_url_buttons_max": Rule(
                value=2,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_phone_buttons_max": Rule(
                value=1,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_copy_code_buttons_max": Rule(
                value=1,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_button_text_max_length": Rule(
                value=25,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="Quick-reply, URL and phone-number buttons. The page gives no start date, so "
                "the baseline's date is used.",
            ),
            "template_url_max_length": Rule(
                value=2000,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="One variable may be appended to the end of the address. The page gives no "
                "start date, so the baseline's date is used.",
            ),
            "template_phone_number_max_length": Rule(
                value=20,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "template_copy_code_max_length": Rule(
                value=15,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="20 from 2025-12-03 (reported). The page gives no start date, so the"
                " baseline's date is used.",
            ),
            "template_auth_parameter_max_length": Rule(
                value=15,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_CATEGORIZATION,
                note="URLs, media and emojis are not allowed in authentication templates either."
                " The page gives no start date; preset authentication templates are reported"
                " from 2023-05-29 (Aliyun), so the baseline's date is used.",
            ),
            "template_code_expiration_max_minutes": Rule(
                value=90,
                effective_from=_day(2023, 1, 1),
                source=_AUTHENTICATION_TEMPLATES,
                note="Minimum 1. The start of preset authentication templates is reported as "
                "2023-05-29 (Aliyun; Kaleyra says May 2023).",
            ),
            "template_parameter_max_spaces": Rule(
                value=4,
                effective_from=_day(2023, 1, 1),
                source=_PARAMETER_SPACES,
                note="Parameter values may not hold line breaks or tabs either (error 132018). The"
                " page gives no start date, so the baseline's date is used.",
            ),
            "template_marketing_opt_out_required": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="Meta recommends an opt-out quick reply ('a common use case') but does not "
                "require it; users can always stop marketing messages themselves (131050). "
                "The February 2023 brief calls it required: set this to True to enforce it.",
            ),
            "twilio_content_variables_max": Rule(
                value=100,
                effective_from=_day(2023, 1, 1),
                source=_TWILIO_CONTENT_VARIABLES,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "twilio_content_variable_key_max_length": Rule(
                value=16,
                effective_from=_day(2023, 1, 1),
                source=_TWILIO_CONTENT_VARIABLES,
                note="Keys also hold no spaces. The page gives no start date, so the baseline's"
                " date is used.",
            ),
            "twilio_content_variable_value_max_length": Rule(
                value=1600,
                effective_from=_day(2023, 1, 1),
                source=_TWILIO_CONTENT_VARIABLES,
                note="The page gives no start date, so the baseline's date is used.",
            ),
            "throughput_default": Rule(
                value=80,
                effective_from=_day(2023, 1, 1),
                source=_THROUGHPUT,
                note="Per registered number, inbound and outbound messages of every type"
                " together; above it the API answers 130429. The page gives no start date, so"
                " the baseline's date is used.",
            ),
            "throughput_upgraded": Rule(
                value=1000,
                effective_from=_day(2023, 1, 1),
                source=_THROUGHPUT,
                note="Free and automatic for eligible numbers (unlimited messaging tier, quality"
                " not low); the upgrade makes the number unusable for up to a minute (131057)."
                " No start date found, so the baseline's date is used.",
            ),
            "throughput_coexistence": Rule(
                value=20,
                effective_from=_day(2023, 1, 1),
                source=_THROUGHPUT,
                note="Coexistence (Business app and Cloud API on one number, Business app 2.24.17"
                " or later) did not exist in early 2023; the rule is only used for such numbers,"
                " so the baseline's date is kept. A 2025 copy of Meta's Cloud API overview gave"
                " 5 mps; when it became 20 is unknown.",
            ),
            "pair_rate_interval": Rule(
                value=timedelta(seconds=6),
                effective_from=_day(2023, 1, 1),
                source=_PAIR_RATE,
                note="About 10 messages a minute (600 an hour) to one user; above it the API"
                " answers 131056 (also reported by " + _PAIR_RATE_REPORT + "). No start date"
                " found, so the baseline's date is used.",
            ),
            "pair_rate_burst": Rule(
                value=45,
                effective_from=_day(2023, 1, 1),
                source=_PAIR_RATE,
                note="A burst 'borrows' from the future quota: after n messages at once, the next"
                " waits about n x 6 s (a burst of 20: about 2 minutes). No start date found, so"
                " the baseline's date is used.",
            ),
            "messaging_limit_window": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2023, 1, 1),
                source=Source(
                    title="Meta, Messaging Limits ('unique WhatsApp user phone numbers your"
                    " business can deliver messages to, outside of a customer service window,"
                    " within a moving 24-hour period')",
                    url="https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits",
                    checked=_CHECKED,
                ),
                note="The same 24 hours under the 2023 per-number regime (then counted as"
                " business-initiated conversations in a rolling 24 hours, per the AWS page of"
                " messaging_limit_scope). Meta counts deliveries; counting sends is the safe"
                " side. No start date found, so the baseline's date is used.",
            ),
            "messaging_limit_tiers": Rule(
                value=(250, 1_000, 10_000, 100_000),
                effective_from=_day(2022, 9, 30),
                source=_LIMITS_250_START,
                note="Per phone number: 250 until the business is verified, then 1K, 10K, 100K,"
                " unlimited (AWS: " + _LIMITS_2023.url + "). The February 2023 product brief"
                " (reported) says unverified businesses could start at most 50 conversations a"
                " day, 'expected to increase to 250', and verified ones 1,000 to unlimited;"
                " the 50 step applied only to accounts signed up before 2022-09-30, the date"
                " the 250 start replaced it, so in February 2023 new accounts started at 250"
                " and a 50 limit (TIER_50) projects to 250 next. Meta's own pages give no"
                " date; its current page starts at 250.",
            ),
            "verified_starting_limit": Rule(
                value=1_000,
                effective_from=_day(2023, 1, 1),
                source=_LIMITS_2023,
                note="Reached by business verification, identity verification, or 1,000"
                " business-initiated conversations in a moving 30 days with high-quality"
                " templates; not by the automatic half-the-limit rule.",
            ),
            "limit_upgrade_usage_share": Rule(
                value=0.5,
                effective_from=_day(2023, 1, 1),
                source=_LIMITS_2023,
                note="Half the current limit (500, 5,000, 50,000 unique users) in the lookback;"
                " Meta's current Messaging Limits page states the same for portfolios. An older"
                " rule (twice the limit, 48 h at the limit) is reported by some providers; its"
                " dates are unknown.",
            ),
            "limit_upgrade_lookback": Rule(
                value=timedelta(days=7),
                effective_from=_day(2023, 1, 1),
                source=_LIMITS_2023,
                note="Meta's current Messaging Limits page states the same 7 days for portfolios.",
            ),
            "limit_upgrade_delay": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2023, 1, 1),
                source=_LIMITS_2023,
                note="'Within 24 hours': a bound, not a schedule; planning uses the bound.",
            ),
            "limit_downgrade_after_low_quality": Rule(
                value=timedelta(days=7),
                effective_from=_day(2023, 1, 1),
                source=_LIMITS_2023,
                note="Low quality for 7 days lowered the limit one step (per-number regime)."
                " Since 2025-10-07 there is no downgrade for quality"
                " (limit_downgraded_for_low_quality); the duration is then unused.",
            ),
            "webhook_redelivery_period": Rule(
                value=timedelta(days=7),
                effective_from=_day(2023, 1, 1),
                source=_REDELIVERY,
                note="Meta's pages disagree: the Cloud API webhooks guide says failed deliveries"
                " are retried for up to 7 days, the general webhooks guide up to 36 hours. The"
                " longer one is kept: remembering processed events longer costs a little"
                " storage, forgetting them too early folds a retry twice.",
            ),
            "clock_skew_tolerance": Rule(
                value=timedelta(minutes=5),
                effective_from=_day(2023, 1, 1),
                source=_CLOCK_SKEW,
                note="UNCONFIRMED for WhatsApp: Meta states no bound. Its timestamps come from"
                " its own servers ('when the WhatsApp server received the message'), and its"
                " 'Create a webhook endpoint' page only says that deliveries are retried for up"
                " to 36 hours, which makes them late, never early; a timestamp ahead of the"
                " host's clock is that clock's drift. Five minutes is the tolerance webhook"
                " verifiers commonly allow for it (Stripe's libraries' default); with"
                " NTP-synchronised clocks a host may lower it. Not a platform change, so the"
                " baseline's date is used.",
            ),
            # --- issue 16: calling limits, template components, data use, groups ---------
            **_ISSUE_16_BASELINE,
            # --- the platform as of December 2026 (issue #15) ----------------------------
            "limit_downgraded_for_low_quality": Rule(
                value=True,
                effective_from=_day(2023, 1, 1),
                source=_LIMITS_2023,
                note="Per phone number: a quality rating low for 7 days moved the number to the"
                " next lower limit (the 'Flagged' state). No start date found, so the baseline's"
                " date is used.",
            ),
            "template_marketing_body_max_length": Rule(
                value=1024,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_COMPONENTS,
                note="The same 1,024 characters as every body. The page gives no start date, so"
                " the baseline's date is used.",
            ),
            "direct_send": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_DIRECT_SEND,
                note="Before Direct Send, a business-initiated message needed an approved"
                " template.",
            ),
            "direct_send_ttl_min": Rule(
                value=timedelta(seconds=30),
                effective_from=_day(2023, 1, 1),
                source=_DIRECT_SEND,
                note="Unused while Direct Send is unavailable.",
            ),
            "direct_send_ttl_max": Rule(
                value=timedelta(hours=12),
                effective_from=_day(2023, 1, 1),
                source=_DIRECT_SEND,
                note="Unused while Direct Send is unavailable.",
            ),
            "template_pacing": Rule(
                value=True,
                effective_from=_day(2023, 1, 1),
                source=_TEMPLATE_PACING,
                note="Meta's page is undated; AWS's template guide already says quality 'lowers"
                " a template's pacing or sending rate'. The baseline's date is used; when"
                " utility templates joined marketing ones is not known.",
            ),
            "portfolio_pacing": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_PORTFOLIO_PACING,
                note="Before portfolio pacing each template was paced on its own history.",
            ),
            "marketing_messages_endpoint": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_MARKETING_ROUTING,
                note="Marketing templates went to /messages like every other message.",
            ),
            "marketing_per_user_limit": Rule(
                value=True,
                effective_from=_day(2023, 1, 1),
                source=_PER_USER_LIMITS,
                note="UNCONFIRMED start: Meta's page is undated about the limit itself; third"
                " parties report it from 2023 (first failing as 131026, later 131049). The"
                " baseline's date is used.",
            ),
            "marketing_per_user_limit_exempts_window": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_PER_USER_LIMITS,
                note="The limit counted marketing templates that opened a marketing"
                " conversation; one more could go in an open marketing conversation.",
            ),
            "marketing_per_user_limit_retry_after": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2023, 1, 1),
                source=_PER_USER_LIMITS,
                note="'Wait at least 24 hours before resending'; a sooner resend only fails"
                " again. The page gives no start date, so the baseline's date is used.",
            ),
            "business_scoped_user_ids": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_BSUID,
                note="Messages were addressed to phone numbers only.",
            ),
            "templates_owned_by_messaging_account": Rule(
                value=False,
                effective_from=_day(2023, 1, 1),
                source=_MESSAGING_ACCOUNTS,
                note="Templates and their quota belonged to the WhatsApp Business Account.",
            ),
            "ai_provider_charged_regions": Rule(
                value=(),
                effective_from=_day(2023, 1, 1),
                source=_AI_PROVIDERS,
                note="Non-template messages were free for every business inside the window.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2023, 4, 1),
        title="three template categories",
        rules={
            "template_categories": Rule(
                value=(
                    TemplateCategory.MARKETING,
                    TemplateCategory.UTILITY,
                    TemplateCategory.AUTHENTICATION,
                ),
                effective_from=_day(2023, 4, 1),
                source=_CATEGORIES_2023,
                note="Meta re-categorised every existing template by its content; legacy"
                " values stayed accepted until 2023-04-24 (reported). See CATEGORY_MAPPING."
                " Meta's Template categorization page says the three categories were"
                " introduced in 'June 2023' (with their pricing); the April date is the"
                " providers'.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2023, 6, 1),
        title="four conversation categories",
        rules={
            "priced_by_template_category": Rule(
                value=True,
                effective_from=_day(2023, 6, 1),
                source=_PRICING_2023,
                note="Marketing, utility and authentication conversations each have their own "
                "price per market.",
            ),
            "free_tier_service_only": Rule(
                value=True,
                effective_from=_day(2023, 6, 1),
                source=_PRICING_2023,
                note="The 1,000 free conversations a month are service conversations only.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2024, 10, 10),
        title="24-hour template review",
        rules={
            "template_review_time": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2024, 10, 10),
                source=_TEMPLATE_REVIEW,
                note="UNCONFIRMED date: no source says the 24-hour review started then. Meta's"
                " page is undated; the date is the earliest dated third-party"
                " statement found: AWS End User Messaging Social, whose guide says 'Meta's"
                " review can take up to 24 hours', launched on 2024-10-10 ("
                + _TEMPLATE_REVIEW_DATE
                + "). The change may be older; a later date keeps the longer wait meanwhile.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2024, 11, 1),
        title="general opt-in policy",
        rules={
            "service_free": Rule(
                value=True,
                effective_from=_day(2024, 11, 1),
                source=_CONVERSATION_PRICING,
                note="'As of November 1, 2024, you can open an unlimited number of service"
                " conversations at no charge' (Meta); the free tier of 1,000 ends."
                " Also reported by Gupshup: " + _FREE_SERVICE_2024.url + ".",
            ),
            "free_tier_conversations": Rule(
                value=0,
                effective_from=_day(2024, 11, 1),
                source=_FREE_SERVICE_2024,
                note="No free tier is needed once service conversations are free.",
            ),
            "opt_in_required_inside_window": Rule(
                value=True,
                effective_from=_day(2024, 11, 1),
                source=_OPT_IN,
                note="Meta dropped 'outside the 24-hour window' from the requirement: opt-in"
                " before messaging people, general opt-in accepted. The page names the month"
                " only; the 1st is assumed.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 3, 27),
        title="marketing body limits by format",
        rules={
            "template_marketing_body_max_length": Rule(
                value=1024,
                effective_from=_day(2025, 3, 27),
                source=_MARKETING_BODY_2025,
                note="Since 2025-03-27 the limit of a marketing body (and of its emojis) depends"
                " on the template's format and tag; Meta publishes no numbers, so the general"
                " 1,024 stays the bound checked here. A host that knows its format's number"
                " overrides this rule (attrs.evolve).",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 4, 1),
        title="marketing to US numbers blocked",
        rules={
            "marketing_blocked_regions": Rule(
                value=("US",),
                effective_from=_day(2025, 4, 1),
                source=_US_MARKETING_BLOCK,
                note="Meta 'will temporarily pause delivery of all marketing template messages' to"
                " numbers with a +1 dialing code and a US area code; a send fails with 131049"
                " (the per-user limit's code), which for a US number means: do not retry. Other"
                " +1 regions (Canada, the Caribbean) are not blocked.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 4, 9),
        title="categories assigned in review",
        rules={
            "template_recategorised_in_review": Rule(
                value=True,
                effective_from=_day(2025, 4, 9),
                source=_TEMPLATE_CATEGORIZATION,
                note="'We no longer support the allow_category_change property ... This is now"
                " the default behavior': a UTILITY template judged MARKETING is approved as"
                " MARKETING.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 7, 1),
        title="per-message pricing",
        rules={
            "utility_free_in_service_window": Rule(
                value=True,
                effective_from=_day(2025, 7, 1),
                source=_PRICING,
                note="Utility templates delivered inside an open customer service window are free.",
            ),
            "pricing_model": Rule(
                value=PricingModel.PER_MESSAGE,
                effective_from=_day(2025, 7, 1),
                source=_PRICING,
                note="Applied from midnight in each WhatsApp Business Account's time zone.",
            ),
            "free_entry_point_window": Rule(
                value=timedelta(hours=72),
                effective_from=_day(2025, 7, 1),
                source=_PRICING,
                note="Starts when the business responds; every message type is free in it;"
                " free-form still needs the 24 h window.",
            ),
            "marketing_per_user_limit_exempts_window": Rule(
                value=True,
                effective_from=_day(2025, 7, 1),
                source=_PER_USER_LIMITS,
                note="'Gradually rolling out from late Q2 2025' with per-message pricing: every"
                " delivered marketing message counts, except those sent inside a customer"
                " service window the user opened by replying. The 2025-07-01 date is the"
                " pricing change's; the rollout's exact days are not given.",
            ),
            "free_entry_point_reply_within": Rule(
                value=timedelta(hours=24),
                effective_from=_day(2025, 7, 1),
                source=_PRICING,
                note="Ad or Page-button messages from the Android or iOS app only.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 7, 15),
        title="business-initiated calling",
        rules={
            "business_initiated_calls": Rule(
                value=True,
                effective_from=_day(2025, 7, 15),
                source=_BUSINESS_CALLS,
                note="Only to users who granted call permission; not in every country."
                " UNCONFIRMED date: Meta's pages give no launch date; 2025-07-15 is reported"
                " (" + _CALLING_LAUNCH.url + ").",
            ),
            "service_window_opened_by_calls": Rule(
                value=True,
                effective_from=_day(2025, 7, 15),
                source=_SERVICE_MESSAGES,
                note="'When a WhatsApp user messages you or calls you, a 24-hour timer ...'"
                " The date is the Calling API launch as reported by third parties.",
            ),
            "call_permission_temporary_validity": Rule(
                value=timedelta(days=7),
                effective_from=_day(2025, 7, 15),
                source=_CALL_PERMISSIONS,
                note="'7 calendar days (168 hours) ... from time of user's approval'; used only"
                " when a grant carries no expiry of its own.",
            ),
            "call_permission_requests_per_day": Rule(
                value=1,
                effective_from=_day(2025, 7, 15),
                source=_CALL_PERMISSION_LIMITS,
                note="Free-form (inside the window) and template requests alike. A connected"
                " call in either direction resets the count (reported).",
            ),
            "call_permission_requests_per_week": Rule(
                value=2,
                effective_from=_day(2025, 7, 15),
                source=_CALL_PERMISSION_LIMITS,
                note="Reset by a connected call, as the daily count.",
            ),
            "business_calls_connected_per_day": Rule(
                value=5,
                effective_from=_day(2025, 7, 15),
                source=_CONNECTED_CALLS_2025,
                note="Per business number and user, over a moving 24 hours. Meta's page"
                " raised it later (10, then 100).",
            ),
            "call_permission_revoked_after_unanswered": Rule(
                value=4,
                effective_from=_day(2025, 7, 15),
                source=_CALL_PERMISSION_LIMITS,
                note="After 2 in a row the user is asked to reconsider; after 4 the permission"
                " is revoked. Rejected calls count as unanswered (Gupshup: 'For Unanswered or"
                " Rejected Calls').",
            ),
            "calling_minimum_messaging_limit": Rule(
                value=2000,
                effective_from=_day(2025, 7, 15),
                source=_CALLING_OVERVIEW,
                note="Wati's English page now says 1,000 and its Spanish one 2,000; Meta's"
                " prerequisite says 2,000, which is followed (there is no 1,000 limit since"
                " 2025-10-07).",
            ),
            "business_calls_blocked_regions": Rule(
                value=("CA", "EG", "NG", "TR", "US", "VN"),
                effective_from=_day(2025, 7, 15),
                source=_CALLING_FAQ,
                note="By the country code of the business phone number; the user may be"
                " anywhere the Cloud API is available. Infobip also names Cuba, Iran, North"
                " Korea, Syria and occupied Ukrainian regions, where the platform does not"
                " operate at all.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 10, 7),
        title="portfolio messaging limits",
        rules={
            "messaging_limit_scope": Rule(
                value=LimitScope.BUSINESS_PORTFOLIO,
                effective_from=_day(2025, 10, 7),
                source=_LIMITS_CHANGE,
            ),
            "messaging_limit_tiers": Rule(
                value=(250, 2_000, 10_000, 100_000),
                effective_from=_day(2025, 10, 7),
                source=_MESSAGING_LIMITS,
                note="Per business portfolio, shared by all its numbers; 1K is gone. Existing"
                " portfolios took the highest limit of any of their numbers (Upcoming changes"
                " to messaging limits: " + _LIMITS_CHANGE.url + ").",
            ),
            "verified_starting_limit": Rule(
                value=2_000,
                effective_from=_day(2025, 10, 7),
                source=_MESSAGING_LIMITS,
                note="Reached by a scaling path: business verification, partner-led business"
                " verification, or 2,000 delivered messages to unique users outside customer"
                " service windows in a moving 30 days with high-quality templates.",
            ),
            "limit_downgraded_for_low_quality": Rule(
                value=False,
                effective_from=_day(2025, 10, 7),
                source=_LIMITS_NO_DOWNGRADE,
                note="The page's table of changes: phone number quality state before 2025-10-07"
                " 'Could be Flagged and downgraded', from then 'No Flagged state, no"
                " downgrade' (row read in DoubleTick's copy of the table,"
                " https://learn.doubletick.io/whatsapp-business-api/upcoming-changes-to-whatsapp-messaging-limits-effective-october-7-2025,"
                " as the stored excerpt of Meta's page ends before it). A low rating still"
                " blocks upgrades.",
            ),
            "limit_upgrade_usage_share": Rule(
                value=0.5,
                effective_from=_day(2025, 10, 7),
                source=_MESSAGING_LIMITS,
                note="'In the last 7 days, your business has utilized at least half of your"
                " current messaging limit' (Meta), per portfolio; the same half as before.",
            ),
            "limit_upgrade_lookback": Rule(
                value=timedelta(days=7),
                effective_from=_day(2025, 10, 7),
                source=_MESSAGING_LIMITS,
                note="The same 7 days as before, now on Meta's own page.",
            ),
            "limit_upgrade_delay": Rule(
                value=timedelta(hours=6),
                effective_from=_day(2025, 10, 7),
                source=_MESSAGING_LIMITS,
                note="'Within 6 hours' (was 24 hours, per " + _LIMITS_CHANGE.url + ").",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 11, 3),
        title="permanent call permissions",
        rules={
            "permanent_call_permission": Rule(
                value=True,
                effective_from=_day(2025, 11, 3),
                source=_CALL_PERMISSIONS,
                note="'As of November 3, 2025, permanent permissions is now available.'",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 11, 13),
        title="10 connected calls a day",
        rules={
            "business_calls_connected_per_day": Rule(
                value=10,
                effective_from=_day(2025, 11, 13),
                source=_CALL_PERMISSIONS_NOV_2025,
                note="The date is the page's update; the change may be older. Permanent"
                " permissions have the same cap.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 11, 14),
        title="Groups API",
        rules={
            "groups_api": Rule(
                value=True,
                effective_from=_day(2025, 11, 14),
                source=_GROUPS_API,
                note="Official Business Accounts only, not for numbers shared with the WhatsApp"
                " Business app or in Multi-solution Conversations. The date is the page's"
                " update saying it is 'now open' to them; before, a messaging limit of 100,000"
                " was needed too (since an unknown date). Any member's message opens one"
                " customer service window for the whole group; each delivered copy is charged.",
            ),
            "group_participants_max": Rule(
                value=8,
                effective_from=_day(2025, 11, 14),
                source=_GROUPS_API,
                note="Groups the business creates through the API; joining is by invite link"
                " only. The participant list cannot be hidden: members still see each other.",
            ),
            "groups_per_number_max": Rule(
                value=10_000,
                effective_from=_day(2025, 11, 14),
                source=_GROUPS_API,
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 12, 3),
        title="copy-code coupons of 20 characters",
        rules={
            "template_copy_code_max_length": Rule(
                value=20,
                effective_from=_day(2025, 12, 3),
                source=_COPY_CODE_2025,
                note="UNCONFIRMED on a Meta page: the 20 and its date come from the changelog"
                " entry as cited; Meta's components page of 2026-05-06 still said 15. Override"
                " it with attrs.evolve if review refuses a longer code.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2025, 12, 8),
        title="portfolio pacing",
        rules={
            "portfolio_pacing": Rule(
                value=True,
                effective_from=_day(2025, 12, 8),
                source=_PORTFOLIO_PACING,
                note="UNCONFIRMED date (reported): a template's low quality may get other"
                " templates of the portfolio paced; a pause caused by pacing is reported to"
                " need a manual unpause (not on the Meta page seen).",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 2, 16),
        title="AI Providers charged for non-template messages",
        rules={
            "ai_provider_charged_regions": Rule(
                value=("IT",),
                effective_from=_day(2026, 2, 16),
                source=_AI_PROVIDERS,
                note="Only for 'AI Providers' (Terms of 2026-01-15), where Meta is legally required"
                " to let them use the platform: Italy (+39) from 2026-02-16. The page adds more"
                " countries from 2026-03-11 and stops charging in 'certain markets' from"
                " 2026-05-13; those lists were not readable in the copies found, so only Italy is"
                " encoded (override the rule with your markets). Other businesses are unaffected.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 6, 26),
        title="100 connected calls a day",
        rules={
            "business_calls_connected_per_day": Rule(
                value=100,
                effective_from=_day(2026, 6, 26),
                source=_CALL_PERMISSIONS_JUN_2026,
                note="The date is the page's update. A copy of the page still dated 2025-11-13"
                " already says 100, so the change may be older.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 7, 1),
        title="business-scoped user IDs",
        rules={
            "business_scoped_user_ids": Rule(
                value=True,
                effective_from=_day(2026, 7, 1),
                source=_BSUID,
                note="UNCONFIRMED date: Meta's page says usernames launch 'later in 2026' and"
                " gives no day; BSUIDs appear in webhooks from 2026 (Sinch: from March 2026)"
                " and the July start is reported (WasapFlow). Authentication templates still"
                " need a phone number (131062); webhooks carry the user's country code.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 7, 31),
        title="Direct Send",
        rules={
            "direct_send": Rule(
                value=True,
                effective_from=_day(2026, 7, 31),
                source=_DIRECT_SEND,
                note="Utility messages for eligible accounts (authentication in restricted"
                " access); Meta matches or generates a template (source AUTO_GENERATED) and"
                " charges the utility rate. The date is the API reference's; Twilio's page"
                " is of 2026-10-20 (https://www.twilio.com/docs/whatsapp/direct-send).",
            ),
            "direct_send_ttl_min": Rule(
                value=timedelta(seconds=30),
                effective_from=_day(2026, 7, 31),
                source=_DIRECT_SEND,
                note="'The time-to-live value must be higher than or equal to 30' (error 100).",
            ),
            "direct_send_ttl_max": Rule(
                value=timedelta(hours=12),
                effective_from=_day(2026, 7, 31),
                source=_DIRECT_SEND,
                note="'The time-to-live value must be lower than or equal to 43200' (error 100).",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 9, 21),
        title="marketing routed to its own endpoint",
        rules={
            "marketing_messages_endpoint": Rule(
                value=True,
                effective_from=_day(2026, 9, 21),
                source=_MARKETING_ROUTING,
                note="Route by the template's latest category (after a completed category"
                " change only). The date is the page's, the earliest dated request found; "
                + _MARKETING_ENDPOINT_2025
                + ". An account with marketing disabled on the Cloud API gets 131063 from"
                " /messages. A reported end of marketing on the Cloud API (2027-10-13) was not"
                " found on any page and is not modelled.",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 10, 1),
        title="service messages charged",
        rules={
            "service_free": Rule(
                value=False,
                effective_from=_day(2026, 10, 1),
                source=_SERVICE_CHARGED_2026,
                note="Service messages are charged per message at the market's utility rate, "
                "without volume tiers (reported).",
            ),
            "free_service_messages": Rule(
                value=1000,
                effective_from=_day(2026, 10, 1),
                source=_SERVICE_CHARGED_2026,
                note="The first 1,000 service messages a month per business phone number stay free"
                " (reported).",
            ),
            "utility_free_in_service_window": Rule(
                value=False,
                effective_from=_day(2026, 10, 1),
                source=_SERVICE_CHARGED_2026,
                note="Utility templates inside the customer service window are charged again; the "
                "72-hour free entry point window stays free (reported).",
            ),
        },
    ),
    RuleChange(
        effective_from=_day(2026, 10, 27),
        title="templates in Messaging accounts",
        rules={
            "templates_owned_by_messaging_account": Rule(
                value=True,
                effective_from=_day(2026, 10, 27),
                source=_MESSAGING_ACCOUNTS,
                note="UNCONFIRMED date: the date of Meta's 'Onboarding changes' page, the earliest"
                " dated statement of the new account model found; each partner has its own"
                " Messaging account, which holds the templates and the 250 / 6,000 quota.",
            ),
        },
    ),
)
"""Every dated platform change, oldest first: the 2023 regime, then each change since.

The built-in rule sets (`builtin_rule_sets()`, `rules_at()`) are this history folded up to
each change. Adding a change here is how the library learns a new platform rule.
"""


def _fold(history: tuple[RuleChange, ...]) -> tuple[Rules, ...]:
    """Fold the history into the rule set in force after each change."""
    sets: list[Rules] = []
    current: dict[str, Rule[Any]] = {}
    for change in history:
        unknown = set(change.rules) - set(RULE_FIELDS)
        if unknown:
            raise RuleDataError("rules", sorted(unknown), f"unknown rule in {change.title!r}")
        current.update(change.rules)
        missing = set(RULE_FIELDS) - set(current)
        if missing:
            raise RuleDataError("rules", sorted(missing), f"not set by {change.title!r}")
        if sets and change.effective_from <= sets[-1].effective_from:
            raise RuleDataError("effective_from", change.effective_from, "history out of order")
        sets.append(Rules(name=change.title, effective_from=change.effective_from, **current))
    return tuple(sets)


_SETS: Final = _fold(RULE_HISTORY)
_STARTS: Final = tuple(s.effective_from for s in _SETS)


def builtin_rule_sets() -> tuple[Rules, ...]:
    """Return every built-in rule set, oldest first: the 2023 regime, each change, today's."""
    return _SETS


def rules_at(when: datetime) -> Rules:
    """Return the built-in rules in force at `when`.

    Args:
        when: An aware instant.

    Raises:
        NaiveDatetimeError: `when` has no time zone.
        RuleDataError: `when` is before the oldest rule set (2023-01-01).
    """
    if when.__class__ is not datetime or when.tzinfo is not UTC:  # the fast path skips a call
        when = utc("when", when)
    if when >= _STARTS[-1]:
        return _SETS[-1]  # the common case: today's rules
    index = bisect.bisect_right(_STARTS, when) - 1
    if index < 0:
        raise RuleDataError(
            "when", when, f"no rule set before {_STARTS[0].date().isoformat()} is known"
        )
    return _SETS[index]


def answer_instant(now: datetime, latest: datetime | None, rules: Rules | None = None) -> datetime:
    """Return the instant a question asked at `now` about a value is answered at.

    `latest` is the latest instant the value has seen (its `latest_at`). A `now` at or after it
    is kept. A `now` before it by at most `clock_skew_tolerance` becomes `latest`: the
    platform's clock ran a little ahead of the host's, and the answer is the one at the latest
    fact. Further before, the question would answer from the future, so it is refused.

    Args:
        now: The instant asked at (aware, UTC).
        latest: The latest instant the value has seen; `None` if it has seen none.
        rules: The rules whose tolerance applies; by default the built-in rules in force at
            `latest` (the oldest set for an instant before it).

    Raises:
        ClockSkewError: `now` is before `latest` by more than the tolerance.
    """
    if latest is None or now >= latest:
        return now
    if rules is None:
        index = bisect.bisect_right(_STARTS, latest) - 1
        rules = _SETS[max(index, 0)]
    tolerance: timedelta = rules.clock_skew_tolerance.value
    if latest - now > tolerance:
        raise ClockSkewError(now, latest, tolerance)
    return latest


def diff_rules(before: Rules, after: Rules) -> tuple[RuleDifference, ...]:
    """Return the rules whose value, date or source differ between two rule sets.

    The tuple renders in notebooks and terminals as a table of the two sets side by side.

    Raises:
        InvalidValueError: `before` or `after` is not `Rules`.
    """
    expect("before", before, Rules)
    expect("after", after, Rules)
    differences = _RuleDifferences(
        RuleDifference(name=name, before=old, after=new)
        for (name, old), (_, new) in zip(before.items(), after.items(), strict=True)
        if old != new
    )
    differences.before, differences.after = before.name, after.name
    return differences


class _RuleDifferences(Shown, tuple[RuleDifference, ...]):  # noqa: SLOT001 - names kept in a dict
    """`diff_rules`'s tuple, which knows the two sets' names to show them side by side."""

    before: str
    """The name of the earlier set."""
    after: str
    """The name of the later set."""

    def _report(self) -> Report:
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        rows = tuple(
            (
                difference.name,
                plain(difference.before.value),
                plain(difference.after.value),
                "—"
                if difference.after.effective_from is None
                else plain(difference.after.effective_from.date()),
            )
            for difference in self
        )
        return Report(
            title="Rule differences",
            summary=(f"{len(rows)} rules differ from {self.before!r} to {self.after!r}",),
            tables=(
                Table(
                    title="Rule differences",
                    header=("rule", self.before, self.after, "since"),
                    rows=rows,
                ),
            ),
        )
