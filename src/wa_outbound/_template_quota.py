"""The template quota of a WhatsApp Business Account: how many templates it may hold.

Theory of operation
-------------------
Meta caps the templates of each WhatsApp Business Account (WABA): 250 while its business
portfolio is unverified, 6,000 once the portfolio is verified and one of its accounts has a
business phone number with an approved display name (`rules.template_quota` and
`rules.template_quota_verified`). What counts changed on 2022-10-25: before, each template
*name* counted once whatever its translations; since, "if you create multiple templates with
the same name but with different languages, each template counts against your template limit"
(`rules.template_quota_counts_languages`). Under Meta's new account model the templates and
their quota belong to a Messaging account, one per partner ("A Messaging account holds your
message templates and billing details"; `rules.templates_owned_by_messaging_account`): a
catalogue is then the Messaging account's, and `QuotaDecision.owner` says which account it is.

A `TemplateCatalogue` is the set of `(name, language)` pairs an account holds, which is what
Meta counts: every template that exists, whatever its review status (pending, rejected and
paused templates count). A deleted template leaves the catalogue, so `from_templates` skips
templates whose status is `DELETED` (one `PENDING_DELETION` still counts, to be safe). Meta
also blocks the *name* of a deleted approved template for 30 days; the catalogue does not model
that, and `can_add` cannot see it.

`can_add` answers before a submission: a pair that already exists is refused (Meta: "Content
in This Language Already Exists", error subcode 2388024); a new language of an existing name is
free under the older rule; otherwise a new template fits while the count is below the quota
(Meta's subcode for a full account is reported as 2388019). The list endpoint's `summary`
(`message_template_count`, `message_template_limit`) is the authority when a host has it; this
catalogue answers offline and in tests.

Sources: Meta, "Template fundamentals" (§Template limits, updated 2026-05-05); Meta's changelog
of 2022-10-25; 360dialog's documentation for the older rule; the creation subcodes as reported
in the project's research notes.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound._errors import InvalidValueError, ascii_upper, is_a, is_whole, items_of
from wa_outbound._templates import Template

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wa_outbound._rules import Rules

__all__ = ["QuotaDecision", "QuotaReason", "TemplateCatalogue"]

_DELETED: Final = "DELETED"


class QuotaReason(enum.Enum):
    """Why a template may, or may not, be added to an account."""

    ADDS_ONE = "adds_one"
    """Allowed: the template is new and the account is below its quota; the count grows by one."""
    ALREADY_COUNTED = "already_counted"
    """Allowed: another language of the same name already counts (the rule before 2022-10-25);
    the count does not grow."""
    DUPLICATE = "duplicate"
    """Refused: this name already exists in this language (Meta subcode 2388024)."""
    QUOTA_REACHED = "quota_reached"
    """Refused: the account holds as many templates as its quota allows (Meta subcode
    2388019, as reported)."""

    @property
    def error_subcode(self) -> int | None:
        """The Graph API error subcode Meta answers a refused submission with, if any."""
        return _SUBCODES.get(self)


_SUBCODES: Final[dict[QuotaReason, int]] = {
    QuotaReason.DUPLICATE: 2388024,
    QuotaReason.QUOTA_REACHED: 2388019,
}


def _checked(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(field, value, "expected a non-empty string")
    return value


def _pairs(value: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """Convert to a frozenset of `(name, language)` pairs, checking each."""
    pairs = set()
    for item in items_of("templates", value, tuple):
        if not isinstance(item, tuple) or len(item) != 2:  # noqa: PLR2004 - a pair
            raise InvalidValueError("templates", item, "expected a (name, language) pair")
        pairs.add((_checked("name", item[0]), _checked("language", item[1])))
    return frozenset(pairs)


def _verified(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidValueError(attribute.name, value, "expected a bool")


@attrs.frozen(kw_only=True)
class QuotaDecision:
    """The answer to "may this account hold one more template?".

    `bool(decision)` is `allowed`.
    """

    allowed: bool = attrs.field(validator=is_a(bool))
    """Whether Meta should accept the template as far as the quota goes."""
    reason: QuotaReason = attrs.field(validator=is_a(QuotaReason))
    """Why."""
    used: int = attrs.field(validator=is_whole())
    """How many templates count against the quota now."""
    quota: int = attrs.field(validator=is_whole())
    """How many may count."""
    owner: str = attrs.field(default="WhatsApp Business Account", validator=is_a(str))
    """Which account holds the templates and their quota under the rules: the WhatsApp Business
    Account, or since the new account model the partner's Messaging account
    (`templates_owned_by_messaging_account`)."""

    @property
    def remaining(self) -> int:
        """How many more templates would fit now (never negative)."""
        return max(self.quota - self.used, 0)

    @property
    def message(self) -> str:
        """The answer as one sentence."""
        return _MESSAGES[self.reason].format(used=self.used, quota=self.quota, owner=self.owner)

    def __bool__(self) -> bool:
        """Return `allowed`."""
        return self.allowed


_MESSAGES: Final[dict[QuotaReason, str]] = {
    QuotaReason.ADDS_ONE: "the template fits: {used} of {quota} templates are used",
    QuotaReason.ALREADY_COUNTED: "another language of this name already counts, so the"
    " template adds nothing to the {used} of {quota} templates used",
    QuotaReason.DUPLICATE: "a template with this name already exists in this language",
    QuotaReason.QUOTA_REACHED: "the {owner} holds {used} templates, its quota of {quota};"
    " delete one, or verify the business portfolio to raise the quota",
}


@attrs.frozen(kw_only=True)
class TemplateCatalogue:
    """The templates of one WhatsApp Business Account, as Meta counts them.

    Build one from the templates Meta lists (`from_templates`), or by hand, then ask
    `can_add` before submitting a new template.
    """

    templates: frozenset[tuple[str, str]] = attrs.field(default=frozenset(), converter=_pairs)
    """The `(name, language)` pair of every template the account holds."""
    verified: bool = attrs.field(default=False, validator=_verified)
    """Whether the business portfolio is verified (with an approved display name), which
    raises the quota."""

    @classmethod
    def from_templates(
        cls, templates: Iterable[Template], *, verified: bool = False
    ) -> TemplateCatalogue:
        """Build the catalogue of the templates Meta lists; deleted templates are skipped.

        Raises:
            InvalidValueError: An item is not a `Template`, or has an empty name or language.
        """
        pairs: set[tuple[str, str]] = set()
        for template in templates:
            if not isinstance(template, Template):
                raise InvalidValueError("templates", template, "expected a Template")
            if ascii_upper(template.status or "") != _DELETED:
                pairs.add((template.name, template.language))
        return cls(templates=frozenset(pairs), verified=verified)

    @property
    def names(self) -> frozenset[str]:
        """The distinct template names."""
        return frozenset(name for name, _ in self.templates)

    def add(self, name: str, language: str) -> TemplateCatalogue:
        """Return the catalogue with the template added (unchanged if it is already there).

        This records what Meta accepted; ask `can_add` first.

        Raises:
            InvalidValueError: `name` or `language` is not a non-empty string.
        """
        pair = (_checked("name", name), _checked("language", language))
        if pair in self.templates:
            return self
        return attrs.evolve(self, templates=self.templates | {pair})

    def with_template(self, template: Template) -> TemplateCatalogue:
        """Return the catalogue with `template`'s name and language added."""
        if not isinstance(template, Template):
            raise InvalidValueError("template", template, "expected a Template")
        return self.add(template.name, template.language)

    def remove(self, name: str, language: str) -> TemplateCatalogue:
        """Return the catalogue without the template (unchanged if it is not there).

        Raises:
            InvalidValueError: `name` or `language` is not a non-empty string.
        """
        pair = (_checked("name", name), _checked("language", language))
        if pair not in self.templates:
            return self
        return attrs.evolve(self, templates=self.templates - {pair})

    def count(self, rules: Rules) -> int:
        """How many templates count against the quota under `rules`."""
        if rules.template_quota_counts_languages.value:
            return len(self.templates)
        return len(self.names)

    def quota(self, rules: Rules) -> int:
        """How many templates the account may hold under `rules`."""
        if self.verified:
            return rules.template_quota_verified.value
        return rules.template_quota.value

    def can_add(self, name: str, language: str, *, rules: Rules) -> QuotaDecision:
        """Decide whether the account may hold one more template, `name` in `language`.

        Args:
            name: The new template's name.
            language: Its language code (`en_US`).
            rules: The rules to apply (quota, and what counts).

        Raises:
            InvalidValueError: `name` or `language` is not a non-empty string.
        """
        pair = (_checked("name", name), _checked("language", language))
        used, quota = self.count(rules), self.quota(rules)
        if pair in self.templates:
            reason = QuotaReason.DUPLICATE
        elif not rules.template_quota_counts_languages.value and name in self.names:
            reason = QuotaReason.ALREADY_COUNTED
        elif used >= quota:
            reason = QuotaReason.QUOTA_REACHED
        else:
            reason = QuotaReason.ADDS_ONE
        allowed = reason in {QuotaReason.ADDS_ONE, QuotaReason.ALREADY_COUNTED}
        owner = (
            "Messaging account"
            if rules.templates_owned_by_messaging_account.value
            else "WhatsApp Business Account"
        )
        return QuotaDecision(allowed=allowed, reason=reason, used=used, quota=quota, owner=owner)
