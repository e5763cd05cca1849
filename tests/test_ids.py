"""Identities a service types every day: reading numbers, writing them back, Twilio senders."""

from __future__ import annotations

import pytest
from hypothesis import given

from wa_outbound import InvalidValueError, PhoneNumberId, TwilioSender, WaId
from wa_outbound.testing import wa_ids


def test_a_written_number_given_to_the_constructor_points_to_parse() -> None:
    """`WaId("+49 ...")` is refused with a message that names `WaId.parse`."""
    with pytest.raises(InvalidValueError, match=r"WaId\.parse") as caught:
        WaId("+4915123456789")
    assert "wa_id" == caught.value.field


@pytest.mark.parametrize(
    "text",
    [
        "+49 151 2345 6789",
        "0049 151 2345 6789",
        "0049-151-23456789",
        "+49 (151) 2345/6789",
        "whatsapp:+4915123456789",
        "4915123456789",
    ],
)
def test_international_forms_are_read_by_syntax(text: str) -> None:
    """'+', the '00' prefix, separators and Twilio's prefix all give the same digits."""
    assert WaId("4915123456789") == WaId.parse(text)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("0151 23456789", "DE", "4915123456789"),
        ("(415) 555-0100", "US", "14155550100"),
        ("011 98765-4321", "BR", "5511987654321"),
        ("+44 20 7946 0958", "DE", "442079460958"),
        ("0044 20 7946 0958", "de", "442079460958"),
    ],
)
def test_national_numbers_are_read_for_a_region(text: str, region: str, expected: str) -> None:
    """A national number with a region goes through phonenumbers; international forms do not."""
    assert WaId(expected) == WaId.parse(text, region=region)


@pytest.mark.parametrize(
    ("text", "region", "field", "words"),
    [
        ("0151 23456789", None, "wa_id", r"region=\.\.\.\) reads a national number"),
        ("call me", None, "wa_id", "international form"),
        ("0151", "DE", "wa_id", "not a phone number of DE"),
        ("call me", "DE", "wa_id", "not a phone number of DE"),
        ("0151 23456789", "Germany", "region", "ISO 3166"),
        ("", None, "wa_id", "international form"),
    ],
)
def test_what_cannot_be_read_is_refused_naming_the_way(
    text: str, region: str | None, field: str, words: str
) -> None:
    """Each refusal names the field and says what would be read."""
    with pytest.raises(InvalidValueError, match=words) as caught:
        WaId.parse(text, region=region)
    assert field == caught.value.field


@given(wa_ids())
def test_every_wa_id_goes_back_to_e164_and_twilio_and_is_read_again(wa_id: WaId) -> None:
    """`e164`, `twilio_address` and the '00' form all read back to the same `WaId`."""
    assert "+" + wa_id.value == wa_id.e164
    assert "whatsapp:+" + wa_id.value == wa_id.twilio_address
    for written in (wa_id.e164, wa_id.twilio_address, "00" + wa_id.value):
        assert wa_id == WaId.parse(written)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("5511987654321", ("5511987654321", "551187654321")),
        ("551187654321", ("5511987654321", "551187654321")),
        ("559281723241", ("5592981723241", "559281723241")),
        ("551133334444", ("551133334444",)),  # a landline: no ninth digit
        ("4915123456789", ("4915123456789",)),
    ],
)
def test_brazilian_mobile_numbers_have_two_forms(number: str, expected: tuple[str, ...]) -> None:
    """A Brazilian mobile number gives its forms with and without the ninth digit."""
    assert tuple(WaId(form) for form in expected) == WaId(number).ninth_digit_forms()


def test_a_twilio_sender_is_a_phone_number_with_its_own_type() -> None:
    """A Twilio sender reads its address, writes it back, and keys states by its digits."""
    sender = TwilioSender.parse("whatsapp:+14155238886")
    assert TwilioSender("14155238886") == sender
    assert "whatsapp:+14155238886" == sender.address == str(sender)
    assert "+14155238886" == sender.e164
    assert PhoneNumberId("14155238886") == sender.key
    with pytest.raises(InvalidValueError, match="whatsapp:") as caught:
        TwilioSender.parse("MG123")
    assert "twilio_sender" == caught.value.field
    with pytest.raises(InvalidValueError, match=r"TwilioSender\.parse"):
        TwilioSender("whatsapp:+14155238886")
