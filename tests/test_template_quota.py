"""The template quota: what counts, verified and unverified accounts, duplicates."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import InvalidValueError
from wa_outbound._rules import Rules, builtin_rule_sets, rules_at
from wa_outbound._template_quota import QuotaDecision, QuotaReason, TemplateCatalogue
from wa_outbound._templates import Body, Template

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TODAY = rules_at(T0)
SMALL = attrs.evolve(TODAY, template_quota=3, template_quota_verified=5)
BY_NAME = attrs.evolve(SMALL, template_quota_counts_languages=False)
R = QuotaReason


def template(name: str, language: str, status: str | None = None) -> Template:
    """Build a template in one language."""
    return Template(
        name=name,
        language=language,
        category=TemplateCategory.UTILITY,
        components=(Body(text="Hello"),),
        status=status,
    )


def catalogue(*pairs: tuple[str, str], verified: bool = False) -> TemplateCatalogue:
    """Build a catalogue from (name, language) pairs."""
    return TemplateCatalogue(templates=frozenset(pairs), verified=verified)


def test_real_rules_give_250_and_6000() -> None:
    """Every built-in rule set: 250 unverified, 6,000 verified, each language counting."""
    for rules in builtin_rule_sets():
        assert 250 == catalogue().quota(rules)
        assert 6000 == catalogue(verified=True).quota(rules)
        assert rules.template_quota_counts_languages.value


def test_real_rules_decision_reports_usage() -> None:
    """Under today's rules a new template adds one and reports what is left."""
    decision = catalogue(("hello", "en_US")).can_add("hello", "de", rules=TODAY)
    assert QuotaDecision(allowed=True, reason=R.ADDS_ONE, used=1, quota=250) == decision
    assert 249 == decision.remaining
    assert "1 of 250 templates are used" in decision.message
    assert decision


def test_verified_accounts_use_the_verified_quota() -> None:
    """A verified catalogue at the unverified quota can still add."""
    full = catalogue(("a", "en"), ("b", "en"), ("c", "en"))
    assert R.QUOTA_REACHED == full.can_add("d", "en", rules=SMALL).reason
    verified = attrs.evolve(full, verified=True)
    decision = verified.can_add("d", "en", rules=SMALL)
    assert (True, R.ADDS_ONE, 3, 5, 2) == (
        decision.allowed,
        decision.reason,
        decision.used,
        decision.quota,
        decision.remaining,
    )


def test_each_language_counts_since_2022() -> None:
    """With languages counting, two languages of one name count twice."""
    both = catalogue(("hello", "en"), ("hello", "de"))
    assert 2 == both.count(SMALL)
    assert 1 == both.count(BY_NAME)
    assert frozenset({"hello"}) == both.names


def test_quota_reached_at_exactly_the_rule() -> None:
    """The third template fits a quota of 3; the fourth does not."""
    two = catalogue(("a", "en"), ("b", "en"))
    assert R.ADDS_ONE == two.can_add("c", "en", rules=SMALL).reason
    three = two.add("c", "en")
    decision = three.can_add("d", "en", rules=SMALL)
    assert QuotaDecision(allowed=False, reason=R.QUOTA_REACHED, used=3, quota=3) == decision
    assert 0 == decision.remaining
    assert not decision
    assert 2388019 == decision.reason.error_subcode
    assert "its quota of 3" in decision.message


def test_a_new_language_counts_when_languages_count() -> None:
    """At the quota, another language of an existing name is refused when languages count."""
    full = catalogue(("a", "en"), ("b", "en"), ("c", "en"))
    assert R.QUOTA_REACHED == full.can_add("a", "de", rules=SMALL).reason


def test_a_new_language_is_already_counted_under_the_older_rule() -> None:
    """Under name counting, another language of an existing name adds nothing, even when full."""
    full = catalogue(("a", "en"), ("b", "en"), ("c", "en"))
    decision = full.can_add("a", "de", rules=BY_NAME)
    assert QuotaDecision(allowed=True, reason=R.ALREADY_COUNTED, used=3, quota=3) == decision
    assert None is decision.reason.error_subcode
    assert "already counts" in decision.message
    assert R.QUOTA_REACHED == full.can_add("d", "en", rules=BY_NAME).reason


def test_duplicate() -> None:
    """The same name in the same language is refused, in both counting modes."""
    one = catalogue(("hello", "en_US"))
    for rules in (SMALL, BY_NAME):
        decision = one.can_add("hello", "en_US", rules=rules)
        assert (False, R.DUPLICATE) == (decision.allowed, decision.reason)
        assert 2388024 == decision.reason.error_subcode
        assert "already exists in this language" in decision.message


def test_add_remove_and_with_template() -> None:
    """Adding and removing return new catalogues; repeating either changes nothing."""
    empty = TemplateCatalogue()
    one = empty.add("hello", "en")
    assert frozenset({("hello", "en")}) == one.templates
    assert one is one.add("hello", "en")
    assert empty.templates == one.remove("hello", "en").templates
    assert empty is empty.remove("hello", "en")
    assert one == empty.with_template(template("hello", "en"))


def test_from_templates_skips_deleted_ones() -> None:
    """Meta counts every template that exists; deleted ones leave the catalogue."""
    listed = [
        template("a", "en", "APPROVED"),
        template("a", "de", "REJECTED"),
        template("b", "en", "deleted"),
        template("c", "en", "PENDING_DELETION"),
        template("d", "en"),
    ]
    built = TemplateCatalogue.from_templates(listed, verified=True)
    expected = catalogue(("a", "en"), ("a", "de"), ("c", "en"), ("d", "en"), verified=True)
    assert expected == built


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: TemplateCatalogue().add("", "en"), "name"),
        (lambda: TemplateCatalogue().add("a", " "), "language"),
        (lambda: TemplateCatalogue().remove(1, "en"), "name"),
        (lambda: TemplateCatalogue().can_add("a", None, rules=TODAY), "language"),
        (lambda: TemplateCatalogue(templates=[("a",)]), "templates"),
        (lambda: TemplateCatalogue(templates="ab"), "templates"),
        (lambda: TemplateCatalogue(templates=[("a", "")]), "language"),
        (lambda: TemplateCatalogue(verified=1), "verified"),
        (lambda: TemplateCatalogue.from_templates(["a"]), "templates"),
        (lambda: TemplateCatalogue().with_template("a"), "template"),
    ],
)
def test_bad_values_are_refused(build: Any, field: str) -> None:
    """Empty names and languages and wrong types raise `InvalidValueError` naming the field."""
    with pytest.raises(InvalidValueError) as raised:
        build()
    assert field == raised.value.field


_NAMES = st.sampled_from(["a", "b", "c", "d", "e", "f"])
_LANGUAGES = st.sampled_from(["en", "de", "fr"])


@given(
    attempts=st.lists(st.tuples(_NAMES, _LANGUAGES), max_size=40),
    quota=st.integers(1, 6),
    by_language=st.booleans(),
    verified=st.booleans(),
)
def test_count_never_exceeds_quota(
    attempts: list[tuple[str, str]], quota: int, *, by_language: bool, verified: bool
) -> None:
    """Adding only what `can_add` allows never takes the count over the quota."""
    rules: Rules = attrs.evolve(
        TODAY,
        template_quota=quota,
        template_quota_verified=quota + 2,
        template_quota_counts_languages=by_language,
    )
    state = TemplateCatalogue(verified=verified)
    for name, language in attempts:
        decision = state.can_add(name, language, rules=rules)
        assert state.count(rules) == decision.used
        if decision.allowed:
            before = state.count(rules)
            state = state.add(name, language)
            grew = state.count(rules) - before
            assert (1 if decision.reason is R.ADDS_ONE else 0) == grew
        assert state.count(rules) <= state.quota(rules)


def test_the_quota_belongs_to_the_messaging_account_under_the_new_account_model() -> None:
    """Meta: 'A Messaging account holds your message templates'; earlier the WABA held them."""
    november = rules_at(datetime(2026, 11, 2, tzinfo=timezone.utc))
    full = catalogue(*((f"t{index}", "en") for index in range(250)))
    before = full.can_add("new", "en", rules=TODAY)
    after = full.can_add("new", "en", rules=november)
    assert ("WhatsApp Business Account", "Messaging account") == (before.owner, after.owner)
    assert "the Messaging account holds 250 templates" in after.message
    assert (250, 250) == (before.quota, after.quota)  # the same 250 / 6,000 per account
