"""Who sends and who receives: small typed identities instead of bare strings.

A recipient is a WhatsApp user ID (`WaId`: the E.164 number without "+") or a business-scoped
user ID (`BusinessScopedUserId`, announced for 2026). A sender is a business phone number:
on Meta's Cloud API the Graph API id of the number (`PhoneNumberId`), on Twilio the number
itself (`TwilioSender`, whose `key` is the `PhoneNumberId` the library's states use for it).

Validation here is syntactic only, so the core stays dependency-free: E.164 allows at most
15 digits and no leading zero (ITU-T E.164, section 6.1). `WaId.parse` reads numbers written
in international form ("+", or the "00" international prefix) by syntax alone; a national
number ("0151 2345 6789") needs a region and the `phonenumbers` data (the `pricing` extra).
Region and market lookup belong to pricing.

Brazil's ninth digit: Brazilian mobile numbers gained a leading 9 after the area code
(2012-2016), and a WhatsApp account may still be registered under the older eight-digit form,
so the number a user gives (`+55 11 9xxxx-xxxx`) and the `wa_id` Meta reports can differ by
that digit. Meta documents only that "a WhatsApp user's ID and phone number may not always
match" (Cloud API, `messages` webhook reference: `contacts[].wa_id` against `messages[].from`,
which is the `input` of a send) and publishes no rule for which form an account uses. The
normalisation to follow is therefore Meta's own answer: key a recipient by the `wa_id` Meta
returns (`contacts[].wa_id` of the send response and of inbound webhooks), not by the number
dialled. `WaId.ninth_digit_forms` gives both spellings of a Brazilian mobile number, to match
a record kept under the other one.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from wa_outbound._errors import InvalidValueError

__all__ = ["BusinessScopedUserId", "PhoneNumberId", "Recipient", "TwilioSender", "WaId"]

_E164_DIGITS: Final = re.compile(r"[1-9][0-9]{6,14}")
_GRAPH_ID: Final = re.compile(r"[0-9]{1,32}")
_BSUID: Final = re.compile(r"[A-Za-z0-9._-]{1,256}")
_SEPARATORS: Final = re.compile(r"[\s().\-/]")
_PARSE_HINT: Final = (
    "; WaId.parse reads a written number ('+49 151 2345 6789', '0049 151 ...', or a national"
    " number with region='DE')"
)
_NOT_INTERNATIONAL: Final = (
    "not a phone number in international form ('+' or '00' and the country code;"
    " WaId.parse(text, region=...) reads a national number)"
)
_BRAZIL_MOBILE: Final = re.compile(r"55([1-9][1-9])9?([6-9][0-9]{7})")
"""A Brazilian mobile number: 55, the area code (DDD), the ninth digit or not, then eight
digits of which the first is 6 to 9 (older mobile numbers; landlines start with 2 to 5)."""


def _check(pattern: re.Pattern[str], field: str, value: object, what: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise InvalidValueError(field, value, f"expected {what}")


@attrs.frozen(order=True, cache_hash=True)
class WaId:
    """A WhatsApp user ID: the user's phone number in E.164 form without the leading "+".

    `WaId("4915123456789")` takes the digits as the Cloud API spells a `wa_id`; a number as
    people write it (`"+49 151 2345 6789"`, `"0049 ..."`, `"0151 ..."` with a region) goes
    through `WaId.parse`. `e164` and `twilio_address` give it back in those forms.
    """

    value: str
    """Digits only, 7 to 15 of them, not starting with 0."""

    def __attrs_post_init__(self) -> None:
        """Refuse anything that is not an E.164 digit string, pointing to `WaId.parse`."""
        value = self.value
        if not isinstance(value, str) or _E164_DIGITS.fullmatch(value) is None:
            hint = _PARSE_HINT if isinstance(value, str) else ""
            raise InvalidValueError(
                "wa_id", value, f"expected 7 to 15 digits without '+' or spaces{hint}"
            )

    @classmethod
    def parse(cls, text: str, *, region: str | None = None) -> WaId:
        """Read a phone number as people and providers write it.

        International forms are read by syntax alone: a leading "+" or the "00" international
        prefix, with spaces, dashes, dots, slashes or parentheses, and Twilio's `whatsapp:`
        prefix. A national number (`"0151 23456789"`, `"(415) 555-0100"`) is read for
        `region` with `phonenumbers` (the `pricing` extra). Without `phonenumbers`, the
        international forms still work.

        Args:
            text: For example ``"+49 151 2345-6789"``, ``"0049 151 23456789"``,
                ``"whatsapp:+14155550100"``, or ``"0151 23456789"`` with ``region="DE"``.
            region: The ISO 3166 region (``"DE"``) a national number belongs to; without it,
                only international forms are read.

        Raises:
            InvalidValueError: What remains is not a phone number (in international form, when
                no region is given), or `region` is not a region `phonenumbers` knows.
            ImportError: A national number with a region, without `phonenumbers` installed.
        """
        if not isinstance(text, str):
            raise InvalidValueError("wa_id", text, "expected a phone number as text")
        cleaned = _SEPARATORS.sub("", text.strip().removeprefix("whatsapp:"))
        if cleaned.startswith("+"):
            digits = cleaned[1:]
        elif cleaned.startswith("00"):
            digits = cleaned[2:]
        elif region is not None:
            return cls(_national(text, cleaned, region))
        else:
            digits = cleaned
        if _E164_DIGITS.fullmatch(digits) is None:
            raise InvalidValueError("wa_id", text, _NOT_INTERNATIONAL)
        return cls(digits)

    @property
    def e164(self) -> str:
        """The number in E.164 form, with the "+": ``"+4915123456789"``."""
        return "+" + self.value

    @property
    def twilio_address(self) -> str:
        """The number as Twilio addresses a WhatsApp user: ``"whatsapp:+4915123456789"``."""
        return "whatsapp:+" + self.value

    def ninth_digit_forms(self) -> tuple[WaId, ...]:
        """Both spellings of a Brazilian mobile number, with the ninth digit first; else itself.

        `5511987654321` and `551187654321` may name one WhatsApp account (see the module
        docstring): Meta reports the form the account is registered under as `wa_id`. Use
        this to find a record kept under the other form; key new records by Meta's `wa_id`.
        """
        found = _BRAZIL_MOBILE.fullmatch(self.value)
        if found is None:
            return (self,)
        area, local = found.groups()
        return (WaId(f"55{area}9{local}"), WaId(f"55{area}{local}"))

    def __str__(self) -> str:
        """Return the digits, as the Cloud API spells a `wa_id`."""
        return self.value


def _national(text: str, cleaned: str, region: str) -> str:
    """The E.164 digits of a national number of `region`, read with `phonenumbers`."""
    try:
        import phonenumbers  # noqa: PLC0415 - the pricing extra, only for national numbers
    except ImportError as error:  # pragma: no cover - the test environment has the extra
        raise ImportError(
            "reading a national number needs phonenumbers: install wa_outbound[pricing],"
            " or write the number with '+' and its country code"
        ) from error
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidValueError("region", region, "expected an ISO 3166 region such as 'DE'")
    try:
        number = phonenumbers.parse(cleaned, region.upper())
    except phonenumbers.NumberParseException:
        number = None
    digits = ""
    if number is not None and phonenumbers.is_possible_number(number):
        digits = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))[1:]
    if _E164_DIGITS.fullmatch(digits) is None:
        raise InvalidValueError("wa_id", text, f"not a phone number of {region.upper()}")
    return digits


@attrs.frozen(order=True, cache_hash=True)
class BusinessScopedUserId:
    """A business-scoped user ID (BSUID), which may stand in for a phone number since 2026."""

    value: str
    """The opaque identifier as the platform sends it."""

    def __attrs_post_init__(self) -> None:
        """Refuse empty identifiers and whitespace."""
        _check(_BSUID, "bsuid", self.value, "1 to 256 letters, digits, '.', '_' or '-'")

    def __str__(self) -> str:
        """Return the identifier."""
        return self.value


@attrs.frozen(order=True, cache_hash=True)
class PhoneNumberId:
    """The Graph API id of a business phone number (not the phone number itself)."""

    value: str
    """Digits, as the Cloud API returns them."""

    def __attrs_post_init__(self) -> None:
        """Refuse anything that is not a Graph API numeric id."""
        _check(_GRAPH_ID, "phone_number_id", self.value, "a numeric Graph API id")

    def __str__(self) -> str:
        """Return the id."""
        return self.value


@attrs.frozen(order=True, cache_hash=True)
class TwilioSender:
    """A Twilio WhatsApp sender: the business's phone number itself, not a Graph API id.

    Twilio addresses a sender as ``whatsapp:+14155238886``; `TwilioSender.parse` reads that
    (or the number in any form `WaId.parse` reads). The library's states key a sender by a
    `PhoneNumberId`: `key` is the one for this sender (its digits), as the Twilio webhooks
    report it.
    """

    value: str
    """The number's E.164 digits, without "+"."""

    def __attrs_post_init__(self) -> None:
        """Refuse anything that is not an E.164 digit string."""
        if not isinstance(self.value, str) or _E164_DIGITS.fullmatch(self.value) is None:
            reason = "expected 7 to 15 digits without '+'; TwilioSender.parse reads an address"
            raise InvalidValueError("twilio_sender", self.value, reason)

    @classmethod
    def parse(cls, text: str) -> TwilioSender:
        """Read ``"whatsapp:+14155238886"`` or a number in international form.

        Raises:
            InvalidValueError: `text` is not a phone number in international form.
        """
        try:
            return cls(WaId.parse(text).value)
        except InvalidValueError:
            reason = "expected a Twilio sender such as 'whatsapp:+14155238886'"
            raise InvalidValueError("twilio_sender", text, reason) from None

    @property
    def e164(self) -> str:
        """The number in E.164 form: ``"+14155238886"``."""
        return "+" + self.value

    @property
    def address(self) -> str:
        """The sender as Twilio's `From` takes it: ``"whatsapp:+14155238886"``."""
        return "whatsapp:+" + self.value

    @property
    def key(self) -> PhoneNumberId:
        """The `PhoneNumberId` that keys this sender's states (its digits)."""
        return PhoneNumberId(self.value)

    def __str__(self) -> str:
        """Return the Twilio address."""
        return self.address


Recipient = WaId | BusinessScopedUserId
"""Anyone a business can message: a phone-number identity or a business-scoped one."""
