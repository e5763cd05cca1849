"""Data use by region: Meta does not use European users' WhatsApp data for its other products."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wa_outbound import (
    InvalidValueError,
    Provenance,
    builtin_rule_sets,
    meta_ads_data_sharing,
    rules_at,
)

from .conftest import T0, T2023

TODAY = rules_at(T0)


@pytest.mark.parametrize(("region", "shared"), [("DE", False), ("gb", False), ("NO", False)])
def test_the_european_region_is_excluded(region: str, shared: bool) -> None:  # noqa: FBT001
    """The EU, the EEA and the United Kingdom keep WhatsApp data out of Meta's ads."""
    answer = meta_ads_data_sharing(region, rules=TODAY)
    assert (region.upper(), shared) == (answer.region, answer.shared)
    assert not answer


@pytest.mark.parametrize("region", ["US", "IN", "BR"])
def test_the_briefs_other_regions_are_shared(region: str) -> None:
    """The United States, India and Brazil, as the brief names them, are not excluded."""
    assert meta_ads_data_sharing(region, rules=TODAY)


def test_the_rule_is_dated_reported_and_in_every_rule_set() -> None:
    """The exclusion dates from November 2016, is reported, and holds in 2023 and today."""
    answer = meta_ads_data_sharing("FR", rules=rules_at(T2023))
    assert datetime(2016, 11, 1, tzinfo=timezone.utc) == answer.rule.effective_from
    assert Provenance.REPORTED is answer.source.provenance
    assert "brief" in answer.rule.note
    assert all(
        "FR" in rules.meta_ads_data_sharing_excluded_regions.value for rules in builtin_rule_sets()
    )


@pytest.mark.parametrize("region", ["", "D", "DEU", "1A", "ÄÖ", 7])
def test_a_region_that_is_no_code_is_refused(region: object) -> None:
    """Anything but a two-letter code is refused, naming `region`."""
    with pytest.raises(InvalidValueError, match="region"):
        meta_ads_data_sharing(region, rules=TODAY)  # type: ignore[arg-type]


def test_rules_must_be_rules() -> None:
    """Rules of the wrong type are refused."""
    with pytest.raises(InvalidValueError, match="rules"):
        meta_ads_data_sharing("DE", rules=None)  # type: ignore[arg-type]
