"""Rules as dated data: lookup by instant, overrides, differences, and the history's shape."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    RULE_HISTORY,
    LimitScope,
    NaiveDatetimeError,
    PricingModel,
    Provenance,
    Rule,
    RuleChange,
    RuleDataError,
    Rules,
    Source,
    builtin_rule_sets,
    diff_rules,
    rules_at,
)
from wa_outbound._rules import RULE_FIELDS, _fold

UTC = timezone.utc


def test_oldest_set_is_the_2023_regime() -> None:
    """The first built-in set is the 2023 regime, in force from 2023-01-01."""
    first = builtin_rule_sets()[0]
    assert "2023 regime" == first.name
    assert datetime(2023, 1, 1, tzinfo=UTC) == first.effective_from
    assert PricingModel.CONVERSATION_BASED == first.pricing_model.value
    assert LimitScope.PHONE_NUMBER == first.messaging_limit_scope.value
    assert first.business_initiated_calls.value is False


def test_current_set_has_todays_regime() -> None:
    """The rules in force today use per-message pricing and portfolio limits."""
    today = rules_at(datetime(2026, 11, 25, tzinfo=UTC))
    assert builtin_rule_sets()[-1] is today
    assert PricingModel.PER_MESSAGE == today.pricing_model.value
    assert LimitScope.BUSINESS_PORTFOLIO == today.messaging_limit_scope.value
    assert today.business_initiated_calls.value is True
    assert today.permanent_call_permission.value is True
    assert timedelta(hours=24) == today.service_window.value
    assert timedelta(hours=72) == today.free_entry_point_window.value
    assert timedelta(days=7) == today.call_permission_temporary_validity.value


@pytest.mark.parametrize(
    ("when", "name"),
    [
        (datetime(2023, 1, 1, tzinfo=UTC), "2023 regime"),
        (datetime(2023, 3, 31, 23, 59, 59, tzinfo=UTC), "2023 regime"),
        (datetime(2023, 4, 1, tzinfo=UTC), "three template categories"),
        (datetime(2023, 5, 31, 23, 59, 59, tzinfo=UTC), "three template categories"),
        (datetime(2023, 6, 1, tzinfo=UTC), "four conversation categories"),
        (datetime(2024, 10, 9, 23, 59, 59, tzinfo=UTC), "four conversation categories"),
        (datetime(2024, 10, 10, tzinfo=UTC), "24-hour template review"),
        (datetime(2024, 10, 31, 23, 59, 59, tzinfo=UTC), "24-hour template review"),
        (datetime(2024, 11, 1, tzinfo=UTC), "general opt-in policy"),
        (datetime(2025, 3, 26, 23, 59, 59, tzinfo=UTC), "general opt-in policy"),
        (datetime(2025, 3, 27, tzinfo=UTC), "marketing body limits by format"),
        (datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC), "marketing body limits by format"),
        (datetime(2025, 4, 1, tzinfo=UTC), "marketing to US numbers blocked"),
        (datetime(2025, 4, 8, 23, 59, 59, tzinfo=UTC), "marketing to US numbers blocked"),
        (datetime(2025, 4, 9, tzinfo=UTC), "categories assigned in review"),
        (datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC), "categories assigned in review"),
        (datetime(2025, 7, 1, tzinfo=UTC), "per-message pricing"),
        (datetime(2025, 10, 6, 23, 0, tzinfo=UTC), "business-initiated calling"),
        (datetime(2025, 10, 7, tzinfo=UTC), "portfolio messaging limits"),
        (datetime(2025, 11, 3, tzinfo=UTC), "permanent call permissions"),
        (datetime(2025, 11, 13, tzinfo=UTC), "10 connected calls a day"),
        (datetime(2025, 11, 14, tzinfo=UTC), "Groups API"),
        (datetime(2025, 12, 2, 23, 59, 59, tzinfo=UTC), "Groups API"),
        (datetime(2025, 12, 3, tzinfo=UTC), "copy-code coupons of 20 characters"),
        (datetime(2025, 12, 8, tzinfo=UTC), "portfolio pacing"),
        (datetime(2026, 2, 16, tzinfo=UTC), "AI Providers charged for non-template messages"),
        (datetime(2026, 6, 26, tzinfo=UTC), "100 connected calls a day"),
        (datetime(2026, 7, 1, tzinfo=UTC), "business-scoped user IDs"),
        (datetime(2026, 7, 31, tzinfo=UTC), "Direct Send"),
        (datetime(2026, 9, 21, tzinfo=UTC), "marketing routed to its own endpoint"),
        (datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC), "marketing routed to its own endpoint"),
        (datetime(2026, 10, 1, tzinfo=UTC), "service messages charged"),
        (datetime(2026, 10, 27, tzinfo=UTC), "templates in Messaging accounts"),
    ],
)
def test_rules_at_switches_exactly_at_each_change(when: datetime, name: str) -> None:
    """A change is in force from its instant on, and not a second before."""
    assert name == rules_at(when).name


def test_rules_at_accepts_other_time_zones() -> None:
    """An instant in another zone is compared in UTC (01:00 at +02:00 is still June 30 UTC)."""
    plus_two = timezone(timedelta(hours=2))
    assert (
        "categories assigned in review"
        == rules_at(datetime(2025, 7, 1, 1, 0, tzinfo=plus_two)).name
    )


def test_rules_before_the_oldest_set_are_refused() -> None:
    """Asking for 2022 raises `RuleDataError` naming the argument."""
    with pytest.raises(RuleDataError, match="when=") as info:
        rules_at(datetime(2022, 12, 31, 23, 59, tzinfo=UTC))
    assert "when" == info.value.field


def test_rules_at_refuses_naive_instants() -> None:
    """A naive datetime raises `NaiveDatetimeError`, which is also a `ValueError`."""
    with pytest.raises(NaiveDatetimeError) as info:
        rules_at(datetime(2025, 1, 1))
    assert isinstance(info.value, ValueError)
    assert "when" == info.value.field


@given(st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2030, 1, 1)))
def test_rules_at_returns_the_latest_set_not_after_the_instant(naive: datetime) -> None:
    """For any instant, the set returned started at or before it, and the next one after it."""
    when = naive.replace(tzinfo=UTC)
    sets = builtin_rule_sets()
    found = rules_at(when)
    index = sets.index(found)
    assert found.effective_from <= when
    if index + 1 < len(sets):
        assert sets[index + 1].effective_from > when


def test_every_rule_carries_a_source_and_a_date() -> None:
    """Every number of every built-in set has a dated, titled, addressed source."""
    for rules in builtin_rule_sets():
        for name, rule in rules.items():
            assert rule.effective_from is not None, name
            assert rule.effective_from <= rules.effective_from, name
            assert rule.source.title, name
            assert rule.source.url.startswith("https://"), name
            assert rule.source.provenance in {Provenance.OFFICIAL, Provenance.REPORTED}, name
            assert rule.source.checked is not None, name
            assert Rules.describe(name), name


def test_evolve_with_a_bare_value_is_marked_as_an_override() -> None:
    """`attrs.evolve(rules, service_window=...)` wraps the value and says the host set it."""
    rules = attrs.evolve(
        rules_at(datetime(2026, 1, 1, tzinfo=UTC)), service_window=timedelta(hours=12)
    )
    assert timedelta(hours=12) == rules.service_window.value
    assert Provenance.OVERRIDE == rules.service_window.source.provenance
    assert rules.service_window.effective_from is None


def test_evolve_with_a_rule_keeps_its_source() -> None:
    """A full `Rule` passed to `evolve` is kept as given."""
    source = Source(title="Our contract", url="https://example.com/contract")
    rule = Rule(
        value=timedelta(hours=48), effective_from=datetime(2026, 1, 1, tzinfo=UTC), source=source
    )
    rules = attrs.evolve(builtin_rule_sets()[-1], free_entry_point_window=rule)
    assert rule == rules.free_entry_point_window


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("service_window", 24, "expected a timedelta"),
        ("service_window", timedelta(0), "greater than zero"),
        ("service_window", timedelta(hours=-1), "greater than zero"),
        ("business_initiated_calls", 1, "expected a bool"),
        ("pricing_model", "per_message", "expected a PricingModel"),
        ("call_permission_temporary_validity", True, "expected a timedelta"),
    ],
)
def test_bad_overrides_are_refused_naming_the_rule(field: str, value: object, message: str) -> None:
    """An override of the wrong type or sign raises `RuleDataError` naming the rule."""
    rules = builtin_rule_sets()[-1]
    with pytest.raises(RuleDataError, match=message) as info:
        attrs.evolve(rules, **{field: value})
    assert field == info.value.field


def test_rules_refuse_a_naive_effective_from() -> None:
    """A rule set's own instant must be aware."""
    with pytest.raises(NaiveDatetimeError):
        attrs.evolve(builtin_rule_sets()[0], effective_from=datetime(2023, 1, 1))


def test_describe_unknown_rule() -> None:
    """Describing a rule that does not exist raises `RuleDataError`."""
    with pytest.raises(RuleDataError, match="no such rule"):
        Rules.describe("nope")


def test_diff_lists_exactly_the_changed_rules() -> None:
    """Between 2023 and today the window length is unchanged; calling and pricing changed."""
    changes = diff_rules(builtin_rule_sets()[0], builtin_rule_sets()[-1])
    names = [c.name for c in changes]
    assert "service_window" not in names
    assert {"business_initiated_calls", "pricing_model", "messaging_limit_scope"} <= set(names)
    pricing = next(c for c in changes if c.name == "pricing_model")
    assert PricingModel.CONVERSATION_BASED == pricing.before.value
    assert PricingModel.PER_MESSAGE == pricing.after.value


def test_diff_of_a_set_with_itself_is_empty() -> None:
    """No rule differs between a set and itself."""
    for rules in builtin_rule_sets():
        assert () == diff_rules(rules, rules)


def test_consecutive_sets_differ_by_their_change() -> None:
    """Each dated step changes exactly the rules its `RuleChange` lists (value, date or source)."""
    sets = builtin_rule_sets()
    for change, before, after in zip(RULE_HISTORY[1:], sets[:-1], sets[1:], strict=True):
        changed = {d.name for d in diff_rules(before, after)}
        assert set(change.rules) == changed


def _base() -> dict[str, Rule[object]]:
    return dict(RULE_HISTORY[0].rules)


def test_fold_refuses_unknown_rules() -> None:
    """A change naming a rule `Rules` does not have is refused."""
    bad = RuleChange(
        effective_from=datetime(2023, 1, 1, tzinfo=UTC),
        title="x",
        rules={**_base(), "nope": _base()["service_window"]},
    )
    with pytest.raises(RuleDataError, match="unknown rule"):
        _fold((bad,))


def test_fold_refuses_an_incomplete_baseline() -> None:
    """The first change must set every rule."""
    rules = _base()
    del rules["service_window"]
    with pytest.raises(RuleDataError, match="not set by"):
        _fold(
            (RuleChange(effective_from=datetime(2023, 1, 1, tzinfo=UTC), title="x", rules=rules),)
        )


def test_fold_refuses_history_out_of_order() -> None:
    """Changes must be in strictly increasing time order."""
    first = RuleChange(effective_from=datetime(2024, 1, 1, tzinfo=UTC), title="a", rules=_base())
    second = RuleChange(effective_from=datetime(2023, 1, 1, tzinfo=UTC), title="b", rules={})
    with pytest.raises(RuleDataError, match="out of order"):
        _fold((first, second))


def test_rule_fields_cover_every_rule() -> None:
    """`items()` yields every `Rules` field except the set's own name and date."""
    names = [name for name, _ in builtin_rule_sets()[0].items()]
    assert list(RULE_FIELDS) == names
    assert {a.name for a in attrs.fields(Rules)} - {"name", "effective_from"} == set(names)


def _attribute_docstrings() -> dict[str, str]:
    """Each `Rules` field's attribute docstring, read from the source independently of the code."""
    import ast
    import inspect
    import itertools

    from wa_outbound import _rules

    tree = ast.parse(inspect.getsource(_rules))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Rules").body
    return {
        node.target.id: after.value.value  # type: ignore[attr-defined]
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr)
    }


def test_every_rule_field_has_an_attribute_docstring_that_describe_returns() -> None:
    """Each `Rules` field has a non-empty docstring; `describe` returns it, on one line."""
    docs = _attribute_docstrings()
    assert {a.name for a in attrs.fields(Rules)} == set(docs)
    for name in RULE_FIELDS:
        assert docs[name].strip(), name
        assert " ".join(docs[name].split()) == Rules.describe(name), name


def test_rule_meanings_are_written_once() -> None:
    """No field carries a second copy of its meaning (in its attrs metadata, say)."""
    for field in attrs.fields(Rules):
        assert {} == dict(field.metadata), field.name


def test_describe_without_the_source_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the module's source is not installed, `describe` raises instead of printing nothing."""
    from wa_outbound import _rules

    monkeypatch.setattr(_rules, "__spec__", None)
    _rules._field_docs.cache_clear()
    try:
        assert _rules._source() is None
        with pytest.raises(RuleDataError, match=r"source of wa_outbound\._rules is missing"):
            Rules.describe("service_window")
    finally:
        _rules._field_docs.cache_clear()


def test_the_2023_limits_and_template_quota_keep_the_briefs_word_in_the_notes() -> None:
    """February 2023: a 250 start and 6,000 templates, the brief notwithstanding."""
    february = rules_at(datetime(2023, 2, 15, tzinfo=UTC))
    tiers = february.messaging_limit_tiers
    assert 250 == tiers.value[0]
    assert datetime(2022, 9, 30, tzinfo=UTC) == tiers.effective_from
    assert Provenance.REPORTED is tiers.source.provenance
    assert "50" in tiers.note
    assert "brief" in tiers.note
    assert 6000 == february.template_quota_verified.value
    assert "1,500" in february.template_quota_verified.note
