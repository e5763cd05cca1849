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
    # --- issue 16: calling limits --------------------------------------------------------
    CALL_PERMISSION_REQUEST = "call_permission_request"
    """A call permission request: a free-form interactive message inside the customer service
    window, a call permission request template (marketing or utility) outside it."""

    @property
    def is_template(self) -> bool:
        """Whether this kind is a template message (a call permission request is not always)."""
        # Identity tests: hashing an enum member runs Python code, comparing does not.
        return (
            self is not SendKind.FREE_FORM
            and self is not SendKind.CALL
            and self is not SendKind.CALL_PERMISSION_REQUEST
        )

    @property
    def is_calling(self) -> bool:
        """Whether this kind is a call or a call permission request (the calling limits apply)."""
        return self is SendKind.CALL or self is SendKind.CALL_PERMISSION_REQUEST
