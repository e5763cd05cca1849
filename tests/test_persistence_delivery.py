"""Persistence of message deliveries: round trips and strict loads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import StoredDataError
from wa_outbound.testing import instants
from wa_outbound.webhooks import (
    MessageDelivery,
    StatusKind,
    WebhookError,
    dump_delivery,
    load_delivery,
)

from .conftest import T0
from .json_mutations import DELETE, json_values, mutated, with_value

text = st.text(max_size=12)
deliveries = st.builds(
    MessageDelivery,
    message_id=st.text(min_size=1, max_size=40),
    status=st.sampled_from(StatusKind),
    at=st.none() | instants(),
    errors=st.lists(
        st.builds(WebhookError, code=st.integers(), title=text, message=text, details=text),
        max_size=2,
    ).map(tuple),
    biz_opaque_callback_data=text,
)


@given(deliveries)
def test_delivery_round_trips_through_json(delivery: MessageDelivery) -> None:
    """`load(json(dump(d)))` equals `d`."""
    assert delivery == load_delivery(json.loads(json.dumps(dump_delivery(delivery))))


def stored() -> dict[str, Any]:
    """A failed delivery with its error."""
    return dump_delivery(
        MessageDelivery(
            message_id="wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
            status=StatusKind.FAILED,
            at=T0,
            errors=(WebhookError(code=131047, title="Re-engagement message"),),
            biz_opaque_callback_data="order-42",
        )
    )


def test_the_format_is_plain_and_readable() -> None:
    """The status by value, the instant in ISO 8601, errors as objects."""
    data = stored()
    assert ("wa_outbound.message_delivery", 1, "failed", "2026-11-23T09:00:00Z") == (
        data["format"],
        data["version"],
        data["status"],
        data["at"],
    )
    assert 131047 == data["errors"][0]["code"]


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("format",), "wa_outbound.webhook_event", "format", "expected"),
        (("version",), 2, "version", "newer release"),
        (("message_id",), "", "message_id", "expected a message id"),
        (("message_id",), 7, "message_id", "expected a string"),
        (("status",), "FAILED", "status", "StatusKind"),
        (("at",), DELETE, "at", "missing"),
        (("at",), "2026-11-23T09:00:00", "at", "time zone"),
        (("errors", 0, "code"), "131047", "errors[0].code", "expected an integer"),
        (("errors", 0, "details"), DELETE, "errors[0].details", "missing"),
        (("errors", 0, "href"), "x", "errors[0].href", "unknown field"),
        (("raw",), {}, "raw", "unknown field"),
    ],
)
def test_damage_names_the_field(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    """Every kind of damage raises `StoredDataError` naming the field path; nothing defaults."""
    with pytest.raises(StoredDataError, match=message) as info:
        load_delivery(with_value(stored(), path, value))
    assert field == info.value.field


@given(mutated(deliveries.map(dump_delivery), json_values([*stored(), "code", "title"])))
def test_a_damaged_delivery_loads_exactly_or_is_refused(data: Any) -> None:
    """Any one change to a stored delivery loads into one that stores the same, or is refused."""
    try:
        delivery = load_delivery(data)
    except StoredDataError:
        return
    assert delivery == load_delivery(dump_delivery(delivery))
