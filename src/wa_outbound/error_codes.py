"""The platform's error codes: what each Meta and Twilio code means, and what to do next.

Retry (and when), send a template, stop, or reconcile first because the message may already
have gone.

`classify_error`, `RetryDecision` and `RetryAction` are also at the top level of
`wa_outbound`.
"""

from wa_outbound._taxonomy import (
    ERROR_CODE_RANGES,
    ERROR_CODES,
    MAX_RETRY_DELAY,
    TRANSPORT_FAILURES,
    Backoff,
    ErrorInfo,
    Reach,
    RetryAction,
    RetryDecision,
    TransportFailure,
    classify_error,
    classify_transport_failure,
)

__all__ = [
    "ERROR_CODES",
    "ERROR_CODE_RANGES",
    "MAX_RETRY_DELAY",
    "TRANSPORT_FAILURES",
    "Backoff",
    "ErrorInfo",
    "Reach",
    "RetryAction",
    "RetryDecision",
    "TransportFailure",
    "classify_error",
    "classify_transport_failure",
]
