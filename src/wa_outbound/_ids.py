"""Who sends and who receives: small typed identities instead of bare strings.

A recipient is a WhatsApp user ID (`WaId`: the E.164 number without "+") or a business-scoped
user ID (`BusinessScopedUserId`, announced for 2026). A sender is a business phone number
(`PhoneNumberId`, the Graph API id of the number; a Twilio sender maps onto it).

Validation here is syntactic only, so the core stays dependency-free: E.164 allows at most
15 digits and no leading zero (ITU-T E.164, section 6.1). Region and market lookup, which need
the `phonenumbers` data, belong to pricing.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from wa_outbound._errors import InvalidValueError

__all__ = ["BusinessScopedUserId", "PhoneNumberId", "Recipient", "WaId"]

_E164_DIGITS: Final = re.compile(r"[1-9][0-9]{6,14}")
_GRAPH_ID: Final = re.compile(r"[0-9]{1,32}")
_BSUID: Final = re.compile(r"[A-Za-z0-9._-]{1,256}")


def _check(pattern: re.Pattern[str], field: str, value: object, what: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise InvalidValueError(field, value, f"expected {what}")


@attrs.frozen(order=True, cache_hash=True)
class WaId:
    """A WhatsApp user ID: the user's phone number in E.164 form without the leading "+".

    `WaId("+49 151 2345 6789")` is refused: normalise first (`WaId.parse` does that for
    the common spellings).
    """

    value: str
    """Digits only, 7 to 15 of them, not starting with 0."""

    def __attrs_post_init__(self) -> None:
        """Refuse anything that is not an E.164 digit string."""
        _check(_E164_DIGITS, "wa_id", self.value, "7 to 15 digits without '+' or spaces")

    @classmethod
    def parse(cls, text: str) -> WaId:
        """Read a phone number written with "+", spaces, dashes, dots or parentheses.

        Args:
            text: For example ``"+49 151 2345-6789"`` or ``"whatsapp:+14155550100"``.

        Raises:
            InvalidValueError: What remains is not an E.164 digit string.
        """
        if not isinstance(text, str):
            raise InvalidValueError("wa_id", text, "expected a phone number as text")
        cleaned = text.removeprefix("whatsapp:").strip()
        cleaned = re.sub(r"[\s().-]", "", cleaned).removeprefix("+")
        if _E164_DIGITS.fullmatch(cleaned) is None:
            raise InvalidValueError("wa_id", text, "not a phone number in international form")
        return cls(cleaned)

    def __str__(self) -> str:
        """Return the digits, as the Cloud API spells a `wa_id`."""
        return self.value


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


Recipient = WaId | BusinessScopedUserId
"""Anyone a business can message: a phone-number identity or a business-scoped one."""
