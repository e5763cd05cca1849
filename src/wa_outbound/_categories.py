"""Template categories, old and new, and how the old ones map onto today's three.

Theory of operation
-------------------
A template's category decides what it may say and what each delivered message costs. It has
changed twice. Until 2022 Meta knew eleven fine-grained categories (ACCOUNT_UPDATE,
ALERT_UPDATE, ..., TRANSPORTATION_UPDATE); new templates then had to choose between
TRANSACTIONAL, MARKETING and OTP, while templates listed from before kept their old value; from
2023-04-01 the categories are MARKETING, UTILITY and AUTHENTICATION (UTILITY replaced
TRANSACTIONAL, AUTHENTICATION replaced OTP) and Meta re-categorised every existing template
itself.

`TemplateCategory` knows all seventeen values so that any template a host reads, however old,
has a category. Which ones a new submission may use is a dated rule
(`Rules.template_categories`). `CATEGORY_MAPPING` says where each old value went. No Meta page
gives a per-value table for the eleven: Meta re-categorised each template by its content, and
the documented rule of thumb (providers' pages, below) is that the eleven transactional
values became TRANSACTIONAL and then UTILITY, while anything promotional became MARKETING. The
mapping therefore gives UTILITY with that caveat, and `current_category` returns it; a host that
knows better overrides it by re-reading the template from the API.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import attrs

from wa_outbound._errors import is_a

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CATEGORY_MAPPING", "CategoryEra", "CategoryMapping", "TemplateCategory"]


class CategoryEra(enum.Enum):
    """When a template category was in use for new templates."""

    LEGACY = "legacy"
    """One of the eleven fine-grained categories used until 2022."""
    INTERIM = "interim"
    """TRANSACTIONAL or OTP: the interim names used until 2023-04-01."""
    CURRENT = "current"
    """MARKETING, UTILITY or AUTHENTICATION: the categories since 2023-04-01."""


class TemplateCategory(enum.Enum):
    """A template category as Meta's Graph API spells it, old or new."""

    MARKETING = "MARKETING"
    """Promotions, offers, announcements, re-engagement: anything not utility or authentication."""
    UTILITY = "UTILITY"
    """Updates about a transaction or an account the user agreed to (order, bill, booking)."""
    AUTHENTICATION = "AUTHENTICATION"
    """One-time passcodes, with Meta's preset text and a copy-code or one-tap button."""
    TRANSACTIONAL = "TRANSACTIONAL"
    """Interim name of UTILITY (until 2023-04-01)."""
    OTP = "OTP"
    """Interim name of AUTHENTICATION (until 2023-04-01)."""
    ACCOUNT_UPDATE = "ACCOUNT_UPDATE"
    """Legacy: a change to the user's account."""
    ALERT_UPDATE = "ALERT_UPDATE"
    """Legacy: an alert the user asked for."""
    APPOINTMENT_UPDATE = "APPOINTMENT_UPDATE"
    """Legacy: an appointment reminder or change."""
    AUTO_REPLY = "AUTO_REPLY"
    """Legacy: an automatic reply when the business is away."""
    ISSUE_RESOLUTION = "ISSUE_RESOLUTION"
    """Legacy: follow-up on a customer-service issue."""
    PAYMENT_UPDATE = "PAYMENT_UPDATE"
    """Legacy: a payment receipt or reminder."""
    PERSONAL_FINANCE_UPDATE = "PERSONAL_FINANCE_UPDATE"
    """Legacy: a personal finance notice (balance, statement)."""
    RESERVATION_UPDATE = "RESERVATION_UPDATE"
    """Legacy: a reservation confirmation or change."""
    SHIPPING_UPDATE = "SHIPPING_UPDATE"
    """Legacy: a shipping or delivery notice."""
    TICKET_UPDATE = "TICKET_UPDATE"
    """Legacy: an event ticket notice."""
    TRANSPORTATION_UPDATE = "TRANSPORTATION_UPDATE"
    """Legacy: a travel or transport notice (flight, train)."""

    @property
    def era(self) -> CategoryEra:
        """When this category was in use for new templates."""
        return CATEGORY_MAPPING[self].era

    @property
    def current(self) -> TemplateCategory:
        """The category of today's three that this one maps to."""
        return CATEGORY_MAPPING[self].current


@attrs.frozen(kw_only=True)
class CategoryMapping:
    """Where one template category went when the categories changed."""

    category: TemplateCategory = attrs.field(validator=is_a(TemplateCategory))
    """The category, old or new."""
    era: CategoryEra = attrs.field(validator=is_a(CategoryEra))
    """When it was in use for new templates."""
    current: TemplateCategory = attrs.field(validator=is_a(TemplateCategory))
    """The category of today's three it maps to (itself for today's three)."""
    interim: TemplateCategory | None = attrs.field(validator=is_a(TemplateCategory, optional=True))
    """The interim category it mapped to first (legacy categories only)."""
    source: str = attrs.field(validator=is_a(str))
    """Where the mapping is documented."""
    note: str = attrs.field(default="", validator=is_a(str))
    """How sure the mapping is."""


_KALEYRA: Final = "https://developers.kaleyra.io/docs/whatsapp-template-category"
_SINCH: Final = (
    "https://developers.sinch.com/docs/provisioning-api/getting-started/whatsapp/templates"
)
_EXOTEL: Final = "https://support.exotel.com/support/solutions/articles/3000120232"
_LEGACY_NOTE: Final = (
    "No Meta page gives a per-value table: Meta re-categorised every template by its content on"
    " 2023-04-01 (Exotel). Providers' rule of thumb: the transactional values became"
    " TRANSACTIONAL, then UTILITY; a template with any promotional content became MARKETING."
)


def _mappings() -> Mapping[TemplateCategory, CategoryMapping]:
    table: dict[TemplateCategory, CategoryMapping] = {}
    for category in (
        TemplateCategory.MARKETING,
        TemplateCategory.UTILITY,
        TemplateCategory.AUTHENTICATION,
    ):
        table[category] = CategoryMapping(
            category=category,
            era=CategoryEra.CURRENT,
            current=category,
            interim=None,
            source=_KALEYRA,
        )
    for interim, current in (
        (TemplateCategory.TRANSACTIONAL, TemplateCategory.UTILITY),
        (TemplateCategory.OTP, TemplateCategory.AUTHENTICATION),
    ):
        table[interim] = CategoryMapping(
            category=interim,
            era=CategoryEra.INTERIM,
            current=current,
            interim=None,
            source=_KALEYRA,
            note=f"'{current.value} replaced {interim.value}' (Kaleyra; Sinch lists the"
            " interim names).",
        )
    for legacy in tuple(TemplateCategory)[5:]:
        table[legacy] = CategoryMapping(
            category=legacy,
            era=CategoryEra.LEGACY,
            current=TemplateCategory.UTILITY,
            interim=TemplateCategory.TRANSACTIONAL,
            source=f"{_SINCH} ; {_EXOTEL}",
            note=_LEGACY_NOTE,
        )
    return MappingProxyType(table)


CATEGORY_MAPPING: Final[Mapping[TemplateCategory, CategoryMapping]] = _mappings()
"""Every template category, old or new, with the era it belongs to and where it went."""
