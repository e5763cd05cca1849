"""`ApiError`: what Meta or Twilio answered (or did not), classified by the error taxonomy.

The remote branch of the exception tree (`_errors.py` draws the local ones):

```text
WaOutboundError
└── ApiError     the platform refused the request, or no answer came back (`decision.reach`)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wa_outbound._errors import InvalidValueError, WaOutboundError, shown
from wa_outbound._taxonomy import TransportFailure, classify_error, classify_transport_failure

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from wa_outbound._facts import Provider
    from wa_outbound._taxonomy import RetryDecision

__all__ = ["ApiError", "json_object", "no_body", "read_answer", "retry_after"]


class ApiError(WaOutboundError):
    """The platform refused a request with an error code, or the request got no answer.

    `decision` is the error taxonomy's answer (`classify_error` for a code,
    `classify_transport_failure` when no answer came): whether and when the same request may
    be sent again, and whether it may have reached the platform (`decision.reach`). The
    access token never appears in the message.

    Attributes:
        provider: Who answered (`None` when no answer came back).
        code: The platform's error code (`None` when no answer came back).
        subcode: Meta's `error_subcode`, if any.
        http_status: The HTTP status of the answer (`None` when no answer came back).
        fbtrace_id: Meta's trace id for support requests (`""` if none).
        platform_message: The platform's own message (`error.message` / Twilio's `message`).
        decision: What to do next, and why.
    """

    def __init__(
        self,
        *,
        decision: RetryDecision,
        provider: Provider | None = None,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        fbtrace_id: str = "",
        platform_message: str = "",
    ) -> None:
        """Build the error from what the platform answered and its classification."""
        self.provider = provider
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.platform_message = platform_message
        self.decision = decision
        super().__init__(self._text())

    @classmethod
    def no_answer(cls, failure: TransportFailure, *, attempt: int = 0) -> ApiError:
        """Return the error for a request that got no answer from the platform."""
        return cls(decision=classify_transport_failure(failure, attempt=attempt))

    def _text(self) -> str:
        decision = self.decision
        if self.code is None:
            what = f"no answer ({decision.title})"
        else:
            who = self.provider.value if self.provider is not None else "platform"
            what = f"{who} error {self.code}"
            if self.subcode is not None:
                what += f"/{self.subcode}"
            what += f" ({decision.title})"
        parts = [what]
        if self.platform_message:
            parts.append(shown(self.platform_message, 200))
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.fbtrace_id:
            parts.append(f"fbtrace_id {self.fbtrace_id}")
        parts.append(f"next: {decision.action.value}")
        return "; ".join(parts)


def read_answer(
    provider: Provider,
    response: httpx.Response,
    attempt: int,
    error_fields: Callable[[dict[str, Any]], dict[str, Any] | None],
) -> dict[str, Any]:
    """Return a 2xx answer's JSON object, or raise the `ApiError` the answer means.

    `error_fields` finds the provider's error in a JSON body: `code` (required), and
    `subcode`, `fbtrace_id`, `message` if it has them; `None` when the body holds no error.
    A code that is not a whole number is taken as no error body.
    """
    status = response.status_code
    data = json_object(response)
    if 200 <= status < 300:  # noqa: PLR2004 - the 2xx range
        if data is None:  # accepted, but the answer is lost: the message may have gone out
            raise ApiError.no_answer(TransportFailure.CONNECTION_RESET_AFTER_SEND, attempt=attempt)
        return data
    fields = error_fields(data) if data is not None else None
    if fields is not None:
        try:
            decision = classify_error(
                provider,
                fields["code"],
                http_status=status,
                retry_after=retry_after(response),
                attempt=attempt,
            )
        except InvalidValueError:
            pass
        else:
            subcode = fields.get("subcode")
            raise ApiError(
                decision=decision,
                provider=provider,
                code=decision.code,
                subcode=subcode if type(subcode) is int else None,
                http_status=status,
                fbtrace_id=str(fields.get("fbtrace_id") or ""),
                platform_message=str(fields.get("message") or ""),
            )
    raise no_body(provider, response, attempt)


def no_body(provider: Provider, response: httpx.Response, attempt: int) -> ApiError:
    """Return the error for an answer without the platform's error body.

    A 5xx from a gateway may come after the platform took the message (ambiguous); any other
    status is classified as an unknown code equal to the status, refined by the status
    (429 is retried, anything else is not).
    """
    status = response.status_code
    if status >= 500:  # noqa: PLR2004 - the 5xx range
        return ApiError.no_answer(TransportFailure.HTTP_5XX_WITHOUT_BODY, attempt=attempt)
    decision = classify_error(
        provider, status, http_status=status, retry_after=retry_after(response), attempt=attempt
    )
    return ApiError(decision=decision, provider=provider, http_status=status)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < float("inf") else None
