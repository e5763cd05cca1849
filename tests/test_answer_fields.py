"""The answer types refuse a field of the wrong type with `InvalidValueError`, naming it.

The library builds these values; a host builds them too (in its tests, or loading what it
kept). A wrong type is refused where it is built, not found later where it is read. The
decision types built on `decide`'s hot path (`SendDecision`, `BlockReason`) are left out:
checking their fields made `decide` measurably slower (see the CHANGELOG).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import T0
from wa_outbound import (
    CampaignPlan,
    CostEstimate,
    DataSharing,
    GroupSendDecision,
    InvalidValueError,
    MessagingLimit,
    NaiveDatetimeError,
    PricingModel,
    Provenance,
    Provider,
    Rule,
    SendDecision,
    SendKind,
    Source,
    WaId,
)
from wa_outbound.campaigns import PlanDay, ScheduledSend, TierChange
from wa_outbound.error_codes import Backoff, ErrorInfo, Reach, RetryAction, RetryDecision
from wa_outbound.limits import RampStep, RampUpPlan, TierBlocker, TierBlockerCode, TierProjection
from wa_outbound.pricing import CostReason, GroupCost, PriceCategory, Rate
from wa_outbound.templates import (
    CategoryEra,
    CategoryMapping,
    LintCode,
    LintFinding,
    LintReport,
    LintRule,
    ParameterCheck,
    ParameterProblem,
    ParameterProblemCode,
    QuotaDecision,
    QuotaReason,
    Severity,
    TemplateCategory,
    TemplateDecision,
    TemplateNote,
    TemplateReason,
    TemplateStatus,
)

UTC = timezone.utc
SOURCE = Source(title="Meta, Pricing", url="https://example.com", provenance=Provenance.OFFICIAL)
LIMIT = MessagingLimit(users=250)
RATE = Rate(
    market="Germany",
    category=PriceCategory.MARKETING,
    amount=Decimal("0.1365"),
    currency="USD",
    effective_from=T0,
)
ESTIMATE = CostEstimate(
    kind=SendKind.MARKETING_TEMPLATE,
    charged=True,
    reason=CostReason.CHARGED,
    category=PriceCategory.MARKETING,
    market="Germany",
    rate=RATE,
    amount=Decimal("0.1365"),
    currency="USD",
    pricing_model=PricingModel.PER_MESSAGE,
    conversation_expires_at=T0,
    rule="pricing_model",
    source=SOURCE,
)
BLOCKER = TierBlocker(code=TierBlockerCode.NOT_ENOUGH_USAGE, needed=1)
STEP = RampStep(day=0, starts_at=T0, limit=LIMIT, users=250, cumulative=250, upgrades=(T0,))
NOTE = TemplateNote(code=TemplateReason.PAUSED, at=T0, detail="3 hours")
PROBLEM = ParameterProblem(
    code=ParameterProblemCode.COUNT_MISMATCH,
    error_code=132000,
    path="body",
    message="missing {{1}}",
)
GROUP_COST = GroupCost(category=PriceCategory.MARKETING, copies=2, rates=(("Germany", RATE),))
DAY = PlanDay(
    date=T0.date(),
    sends=1,
    new_users=1,
    limit=LIMIT,
    tier_change=LIMIT,
    cost={"USD": Decimal(1)},
    unknown_price_sends=0,
)
CHANGE = TierChange(at=T0, before=LIMIT, after=MessagingLimit(users=2000), qualified_at=T0)

ANSWERS: tuple[Any, ...] = (
    ESTIMATE,
    RetryDecision(
        action=RetryAction.RETRY_AFTER,
        delay=timedelta(seconds=4),
        reach=Reach.REACHED,
        provider=Provider.META,
        code=131056,
        known=True,
        backoff=Backoff.PAIR_RATE,
        title="pair rate limit",
        reason="too many messages to one user",
        source=SOURCE,
    ),
    ErrorInfo(
        title="t", action=RetryAction.FIX_REQUEST, backoff=Backoff.NONE, reason="r", source=SOURCE
    ),
    TierProjection(
        current=LIMIT, next=LIMIT, eligible=False, blockers=(BLOCKER,), earliest_upgrade_at=T0
    ),
    BLOCKER,
    STEP,
    TemplateDecision(
        status=TemplateStatus.PAUSED, reasons=(NOTE,), warnings=(NOTE,), next_change_at=T0
    ),
    NOTE,
    QuotaDecision(allowed=True, reason=QuotaReason.ADDS_ONE, used=1, quota=250),
    LintFinding(code=LintCode.NAME_FORMAT, severity=Severity.ERROR, path="name", message="m"),
    LintRule(code=LintCode.NAME_FORMAT, severity=Severity.ERROR, rules=("a",), source="s"),
    PROBLEM,
    ParameterCheck(problems=(PROBLEM,), rendered_header="h", rendered_body="b"),
    GROUP_COST,
    GroupSendDecision(
        decision=SendDecision(kind=SendKind.MARKETING_TEMPLATE),
        advisories=(),
        participants=2,
        participant_limit=8,
        cost=GROUP_COST,
    ),
    CategoryMapping(
        category=TemplateCategory.MARKETING,
        era=CategoryEra.CURRENT,
        current=TemplateCategory.MARKETING,
        interim=None,
        source="s",
    ),
    DataSharing(
        region="DE", shared=False, rule=Rule(value=False, effective_from=T0, source=SOURCE)
    ),
    ScheduledSend(recipient=WaId("4915123456789"), at=T0, new_user=True, cost=ESTIMATE),
    CHANGE,
    DAY,
    CampaignPlan(
        kind=SendKind.MARKETING_TEMPLATE,
        starts_at=T0,
        finishes_at=T0,
        recipients=3,
        scheduled=1,
        new_users=1,
        blocked={"duplicate": 1},
        bad_rows=1,
        bad_row_examples=(),
        bad_row_causes={"phone: expected digits": 1},
        days=(DAY,),
        tier_changes=(CHANGE,),
        limit=LIMIT,
        tier_blockers=(BLOCKER,),
        cost={(PriceCategory.MARKETING, "Germany", "USD"): Decimal(1)},
        unknown_price_sends=0,
    ),
)
"""One valid value of each answer type, every optional field given."""

_NAMES: dict[str, Any] = {
    "CostEstimate": CostEstimate,
    "SendDecision": SendDecision,
    "Rate": Rate,
    "PriceCategory": PriceCategory,
    "date": date,
}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of `cls`'s fields (some are imported only for type checkers)."""
    module = vars(typing.cast("Any", __import__(cls.__module__, fromlist=["_"])))
    # The class's own namespace is not searched: `PlanDay.date` would hide the type `date`.
    return typing.get_type_hints(cls, globalns={**module, "Any": Any}, localns=_NAMES)


def _conforms(value: object, hint: Any) -> bool:  # noqa: PLR0911 - one return per kind of hint
    """Whether `value` is of the type `hint` describes (nested tuples and keys: their kind)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in {typing.Union, types.UnionType}:
        return any(_conforms(value, arm) for arm in args)
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is datetime:
        return isinstance(value, datetime) and value.utcoffset() is not None
    if origin is tuple:
        return isinstance(value, tuple) and (
            args[1:] != (...,) or all(_conforms(item, args[0]) for item in value)
        )
    if origin is Mapping:
        return isinstance(value, Mapping) and all(
            _conforms(key, args[0]) and _conforms(item, args[1]) for key, item in value.items()
        )
    if hint is Any:
        return True
    return isinstance(value, origin or hint)


HOSTILE = st.one_of(
    st.builds(object),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.binary(max_size=3),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.lists(st.integers(), max_size=2),
    st.tuples(st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sampled_from([SendKind.FREE_FORM, Decimal(1), timedelta(0), T0.date(), LIMIT]),
)


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda answer: type(answer).__name__)
def test_the_sample_answers_conform_to_their_annotations(answer: object) -> None:
    """Each sample value holds exactly the types its fields are annotated with (the oracle)."""
    hints = _hints(type(answer))
    expected = {field.name: True for field in attrs.fields(type(answer))}
    actual = {name: _conforms(getattr(answer, name), hints[name]) for name in expected}
    assert expected == actual


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda answer: type(answer).__name__)
@given(data=st.data(), value=HOSTILE)
def test_a_field_of_the_wrong_type_is_refused_by_name(
    answer: object, data: st.DataObject, value: object
) -> None:
    """A value of another type than a field's annotation is refused, naming the field."""
    cls = type(answer)
    field = data.draw(st.sampled_from([field.name for field in attrs.fields(cls)]))
    hint = _hints(cls)[field]
    if _conforms(value, hint):
        assert value is getattr(attrs.evolve(answer, **{field: value}), field)
        return
    with pytest.raises(InvalidValueError) as raised:
        attrs.evolve(answer, **{field: value})
    assert (field, value) == (raised.value.field.partition("[")[0], value)


def test_a_naive_instant_is_refused_as_naive() -> None:
    """A naive datetime in an instant field is a `NaiveDatetimeError` naming the field."""
    naive = datetime(2026, 1, 1)
    with pytest.raises(NaiveDatetimeError, match="starts_at"):
        attrs.evolve(STEP, starts_at=naive)


def test_an_item_of_the_wrong_type_is_named_by_its_position() -> None:
    """A tuple field with a stranger inside names the item's position."""
    with pytest.raises(InvalidValueError) as raised:
        attrs.evolve(STEP, upgrades=(T0, "noon"))
    assert ("upgrades[1]", "noon") == (raised.value.field, raised.value.value)


def test_a_count_of_the_wrong_type_is_named_by_its_key() -> None:
    """A mapping of counts holding a bool names the key (`True` is not a count)."""
    with pytest.raises(InvalidValueError) as raised:
        attrs.evolve(ANSWERS[-1], bad_row_causes={"phone: bad": True})
    assert "bad_row_causes['phone: bad']" == raised.value.field


def test_a_mapping_key_of_the_wrong_type_is_refused() -> None:
    """A mapping whose key is of the wrong type is refused, the key named as the value."""
    with pytest.raises(InvalidValueError) as raised:
        attrs.evolve(ANSWERS[-1], at_risk={"marketing": 1})
    assert ("at_risk", "marketing") == (raised.value.field, raised.value.value)


def test_a_list_is_refused_where_a_tuple_is_kept() -> None:
    """A tuple field refuses a list: a frozen value must stay hashable and unchanged."""
    with pytest.raises(InvalidValueError, match="expected a tuple"):
        attrs.evolve(STEP, upgrades=[T0])


def test_a_scheduled_send_refuses_a_cost_that_is_not_an_estimate() -> None:
    """`ScheduledSend.cost` (checked lazily, as pricing loads on use) refuses a non-estimate."""
    with pytest.raises(InvalidValueError, match="expected a CostEstimate or None"):
        ScheduledSend(recipient=WaId("4915123456789"), at=T0, new_user=True, cost=1)


# --- LintReport and RampUpPlan: tuples built from a collection -------------------------------

NOT_A_COLLECTION = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(object),
)


@pytest.mark.parametrize(("cls", "field"), [(LintReport, "findings"), (RampUpPlan, "steps")])
@given(value=NOT_A_COLLECTION)
def test_a_shown_tuple_refuses_what_is_not_a_collection(
    cls: type, field: str, value: object
) -> None:
    """`LintReport` and `RampUpPlan` refuse a non-collection, naming the argument and value."""
    with pytest.raises(InvalidValueError) as raised:
        cls(value)
    assert (field, value) == (raised.value.field, raised.value.value)


@pytest.mark.parametrize(("cls", "field"), [(LintReport, "findings"), (RampUpPlan, "steps")])
@given(items=st.lists(st.one_of(st.integers(), st.text(), st.none()), min_size=1, max_size=3))
def test_a_shown_tuple_refuses_a_stranger_by_position(
    cls: type, field: str, items: list[object]
) -> None:
    """An item of the wrong type is named by its position (`findings[0]`)."""
    with pytest.raises(InvalidValueError) as raised:
        cls(items)
    assert (f"{field}[0]", items[0]) == (raised.value.field, raised.value.value)


@given(size=st.integers(min_value=0, max_value=3))
def test_a_shown_tuple_equals_the_plain_tuple_of_its_items(size: int) -> None:
    """Built from a list or a generator, the report equals the plain tuple (and so compares)."""
    finding = ANSWERS[9]
    expected = (finding,) * size
    assert (expected, expected) == (LintReport([finding] * size), LintReport(iter(expected)))
    assert (STEP,) * size == RampUpPlan((STEP,) * size)
    assert () == LintReport() == RampUpPlan()
