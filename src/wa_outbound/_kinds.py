"""What a business wants to send: the one enum every part of the core asks about.

A leaf module (it imports nothing of the package), so that the conversation machine, the
cost model and the decision can all name a `SendKind` without importing one another.
"""

from __future__ import annotations

import enum

__all__ = ["SendKind"]


class SendKind(enum.Enum):
    """What the business wants to send."""

    FREE_FORM = "free_form"
    """Any non-template message: text, media, interactive, location, reaction, ..."""
    MARKETING_TEMPLATE = "marketing_template"
    """An approved template of category MARKETING."""
    UTILITY_TEMPLATE = "utility_template"
    """An approved template of category UTILITY."""
    AUTHENTICATION_TEMPLATE = "authentication_template"
    """An approved template of category AUTHENTICATION."""
    CALL = "call"
    """A business-initiated voice call (Calling API)."""

    @property
    def is_template(self) -> bool:
        """Whether this kind is a template message."""
        # Identity tests: hashing an enum member runs Python code, comparing does not.
        return self is not SendKind.FREE_FORM and self is not SendKind.CALL
