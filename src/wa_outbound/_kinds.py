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
    DIRECT_SEND = "direct_send"
    """A utility message sent without an approved template, by adding `"category": "utility"`
    to a normal message (Direct Send, from 2026-07-31, for eligible accounts); Meta matches or
    generates the template behind it and charges the utility rate."""

    @property
    def is_template(self) -> bool:
        """Whether this kind is a template message (a call permission request is not always)."""
        # Identity tests: hashing an enum member runs Python code, comparing does not.
        return (
            self is not SendKind.FREE_FORM
            and self is not SendKind.CALL
            and self is not SendKind.CALL_PERMISSION_REQUEST
            and self is not SendKind.DIRECT_SEND
        )

    @property
    def is_calling(self) -> bool:
        """Whether this kind is a call or a call permission request (the calling limits apply)."""
        return self is SendKind.CALL or self is SendKind.CALL_PERMISSION_REQUEST

    @property
    def business_initiated(self) -> bool:
        """Whether this kind may go outside a customer service window, business-initiated.

        A template does, and so does a Direct Send message (with the template Meta generates).
        """
        return self is SendKind.DIRECT_SEND or self.is_template
