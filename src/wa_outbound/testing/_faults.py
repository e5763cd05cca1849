"""Faults the emulator injects into message sends, drawn from a seeded generator.

Each send request draws one number in [0, 1) from the emulator's fault generator and falls
into at most one fault, by the fractions of `Faults` in the order of `FaultKind`. The
generator is seeded, so the same seed and the same requests give the same faults. Where a
fault happens matters more than what it is called:

* before the platform looked at the request (`RATE_LIMITED`, `SERVER_ERROR`,
  `CONNECT_ERROR`, `CONNECTION_RESET`): no message exists; a retry is safe, though a client
  cannot know that for a reset;
* after the platform accepted the message (`READ_TIMEOUT`): the message exists and its status
  webhooks flow, but the client never hears the answer. This is the ambiguous send a client
  must reconcile rather than resend.
"""

from __future__ import annotations

import enum

import attrs

from wa_outbound._errors import InvalidValueError

__all__ = ["FaultKind", "Faults"]


class FaultKind(enum.Enum):
    """One fault the emulator can inject into a send request."""

    RATE_LIMITED = "rate_limited"
    """HTTP 429 before acceptance (Meta 130429, Twilio 20429); no message exists."""
    SERVER_ERROR = "server_error"
    """HTTP 503 / 500 before acceptance (Meta code 2, Twilio 20500); no message exists."""
    CONNECT_ERROR = "connect_error"
    """The connection could not be opened: the request never left (`httpx.ConnectError`)."""
    CONNECTION_RESET = "connection_reset"
    """The connection dropped after the request was sent, before the platform processed it
    (`httpx.ReadError`): no message exists, but the client cannot know that."""
    READ_TIMEOUT = "read_timeout"
    """The platform accepted the message, then the answer was lost (`httpx.ReadTimeout`): the
    message exists and its webhooks flow."""

    @property
    def accepted(self) -> bool:
        """Whether the message exists after this fault (the platform accepted it)."""
        return self is FaultKind.READ_TIMEOUT


def _fraction(_instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0.0 <= float(value) <= 1.0
    ):
        raise InvalidValueError(attribute.name, value, "expected a fraction from 0 to 1")


@attrs.frozen(kw_only=True)
class Faults:
    """Which fraction of send requests fails in which way.

    ```python
    Faults(rate_limited=0.05, server_error=0.05, read_timeout=0.1)
    Faults.parse("rate_limited=0.05,read_timeout=0.1")   # the `emulate --faults` form
    Faults.uniform(0.2)                                  # 20 % spread over every kind
    ```
    """

    rate_limited: float = attrs.field(default=0.0, validator=_fraction)
    """Fraction answered HTTP 429 before acceptance."""
    server_error: float = attrs.field(default=0.0, validator=_fraction)
    """Fraction answered with a 5xx before acceptance."""
    connect_error: float = attrs.field(default=0.0, validator=_fraction)
    """Fraction whose connection cannot be opened."""
    connection_reset: float = attrs.field(default=0.0, validator=_fraction)
    """Fraction whose connection drops after sending, before processing."""
    read_timeout: float = attrs.field(default=0.0, validator=_fraction)
    """Fraction accepted, whose answer is lost."""

    def __attrs_post_init__(self) -> None:
        """Refuse fractions that add up to more than 1."""
        if self.total > 1.0 + 1e-9:
            raise InvalidValueError("faults", self, "the fractions add up to more than 1")

    @property
    def total(self) -> float:
        """The fraction of send requests that fail in some way."""
        return sum(self.fraction(kind) for kind in FaultKind)

    def fraction(self, kind: FaultKind) -> float:
        """The fraction of send requests that fail with `kind`."""
        value: float = getattr(self, kind.value)
        return value

    def pick(self, draw: float) -> FaultKind | None:
        """Return the fault that a uniform draw in [0, 1) falls into, or `None`."""
        edge = 0.0
        for kind in FaultKind:
            edge += self.fraction(kind)
            if draw < edge:
                return kind
        return None

    @classmethod
    def uniform(cls, total: float) -> Faults:
        """Spread `total` evenly over every fault kind.

        Raises:
            InvalidValueError: `total` is not a fraction from 0 to 1.
        """
        if isinstance(total, bool) or not isinstance(total, (int, float)) or not 0 <= total <= 1:
            raise InvalidValueError("total", total, "expected a fraction from 0 to 1")
        share = float(total) / len(FaultKind)
        return cls(**{kind.value: share for kind in FaultKind})

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Read `kind=fraction` pairs separated by commas (`"rate_limited=0.05,read_timeout=0.1"`).

        A bare number spreads that fraction over every kind (`"0.2"`); an empty text is no fault.

        Raises:
            InvalidValueError: A pair names no fault kind or its fraction is not a number from
                0 to 1, or the fractions add up to more than 1.
        """
        text = text.strip()
        if not text:
            return cls()
        if "=" not in text:
            return cls.uniform(_number("faults", text))
        values: dict[str, float] = {}
        known = {kind.value for kind in FaultKind}
        for part in text.split(","):
            name, _, number = part.partition("=")
            name = name.strip().replace("-", "_")
            if name not in known:
                shown = ", ".join(sorted(known))
                raise InvalidValueError("faults", part, f"expected one of {shown}")
            values[name] = _number(name, number)
        return cls(**values)

    def __str__(self) -> str:
        """The `parse` form of the fractions that are not zero."""
        return ",".join(
            f"{kind.value}={self.fraction(kind):g}" for kind in FaultKind if self.fraction(kind)
        )


def _number(field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidValueError(field, text, "expected a fraction from 0 to 1") from None
