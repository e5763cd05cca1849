"""Data use by region: may Meta use a WhatsApp user's data for its other products?

The February 2023 product brief notes that in Europe Meta may not share WhatsApp user data
with Facebook or Instagram (to target ads or improve those products), unlike the United
States, India or Brazil. WhatsApp said so again in January 2021 for its "European Region"
(the EU, the EEA and the United Kingdom), where the sharing has been paused since November
2016. The regions are dated data (`Rules.meta_ads_data_sharing_excluded_regions`, reported).

This does not block a send: WhatsApp messages go to European users like to any other. A host
asks before it uses what it learnt on WhatsApp elsewhere, for example before exporting an
audience of WhatsApp users to a Facebook or Instagram ad campaign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from wa_outbound._errors import InvalidValueError, is_a
from wa_outbound._rules import Rule, Rules

if TYPE_CHECKING:
    from wa_outbound._rules import Source

__all__ = ["DataSharing", "meta_ads_data_sharing"]


@attrs.frozen(kw_only=True)
class DataSharing:
    """Whether Meta shares a region's WhatsApp user data with its other products."""

    region: str = attrs.field(validator=is_a(str))
    """The user's region (ISO 3166 code)."""
    shared: bool = attrs.field(validator=is_a(bool))
    """`False` where the rules exclude the region (Europe): do not count on WhatsApp data in
    Facebook or Instagram audiences there."""
    rule: Rule[Any] = attrs.field(validator=is_a(Rule))
    """The rule that says so, with its date and source."""

    @property
    def source(self) -> Source:
        """The document behind the answer."""
        return self.rule.source

    def __bool__(self) -> bool:
        """Return `shared`."""
        return self.shared


def meta_ads_data_sharing(region: str, *, rules: Rules) -> DataSharing:
    """Say whether Meta shares WhatsApp user data of `region` with Facebook and Instagram.

    Args:
        region: The user's region, an ISO 3166 code (`"DE"`, `"US"`); any case.
        rules: The rules in force (`rules_at(now)`).

    Returns:
        A `DataSharing` with the rule it follows. It never blocks a send.

    Raises:
        InvalidValueError: `region` is not a two-letter code, or `rules` is not `Rules`.
    """
    if not isinstance(rules, Rules):
        raise InvalidValueError("rules", rules, "expected Rules")
    code = region.upper() if isinstance(region, str) and region.isascii() else ""
    if len(code) != 2 or not code.isalpha():  # noqa: PLR2004 - ISO 3166 alpha-2
        raise InvalidValueError("region", region, "expected a two-letter ISO 3166 code")
    rule = rules.meta_ads_data_sharing_excluded_regions
    return DataSharing(region=code, shared=code not in rule.value, rule=rule)
