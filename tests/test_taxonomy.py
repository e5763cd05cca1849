"""The error taxonomy: every code's row, the backoff rules, defaults, and bad input."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    AUTHORITATIVE_CODES,
    CodeMeaning,
    InvalidValueError,
    Provenance,
    Provider,
)
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

META, TWILIO = Provider.META, Provider.TWILIO
S = timedelta(seconds=1)
ROWS = sorted(ERROR_CODES.items(), key=lambda item: (item[0][0].value, item[0][1]))
RETRYING = frozenset({RetryAction.RETRY_AFTER, RetryAction.RETRY_TOMORROW})


def row_id(key: tuple[Provider, int]) -> str:
    """Return a readable test id such as `meta-131056`."""
    return f"{key[0].value}-{key[1]}"


# What the transport notes (TRANSPORT.md §2.3, §4.2; DOMAIN.md §3.5, §4.5, §7) ask for, written
# out independently of the table so that a wrong row cannot pass by agreeing with itself.
EXPECTED_ACTIONS: dict[tuple[Provider, int], RetryAction] = {
    **{(META, c): RetryAction.ACCOUNT_ACTION for c in (0, 3, 10, 190, 368, 131031, 131042)},
    **{(META, c): RetryAction.ACCOUNT_ACTION for c in (130497, 131005, 131037, 131045, 131048)},
    (META, 133010): RetryAction.ACCOUNT_ACTION,
    **{(META, c): RetryAction.RETRY_AFTER for c in (1, 2, 4, 80007, 130429, 131000, 131016)},
    **{(META, c): RetryAction.RETRY_AFTER for c in (131056, 133004)},
    (META, 131049): RetryAction.RETRY_TOMORROW,
    (META, 131047): RetryAction.USE_TEMPLATE,
    (META, 131050): RetryAction.STOP_OPTED_OUT,
    **{
        (META, c): RetryAction.FIX_TEMPLATE
        for c in (132000, 132001, 132005, 132007, 132008, 132012, 132015, 132016)
    },
    **{(META, c): RetryAction.FIX_REQUEST for c in (100, 131008, 131009, 131021, 131051)},
    **{(META, c): RetryAction.FIX_REQUEST for c in (131052, 131053, 135000)},
    (META, 131026): RetryAction.RECIPIENT_UNREACHABLE,
    (TWILIO, 20429): RetryAction.RETRY_AFTER,
    (TWILIO, 63119): RetryAction.RETRY_AFTER,
    (TWILIO, 21211): RetryAction.FIX_REQUEST,
    (TWILIO, 63021): RetryAction.FIX_REQUEST,
    (TWILIO, 63016): RetryAction.USE_TEMPLATE,
    (TWILIO, 63018): RetryAction.RETRY_TOMORROW,
    (TWILIO, 63049): RetryAction.RETRY_TOMORROW,
    (TWILIO, 63033): RetryAction.STOP_OPTED_OUT,
    (TWILIO, 63024): RetryAction.RECIPIENT_UNREACHABLE,
    (TWILIO, 63051): RetryAction.ACCOUNT_ACTION,
    (TWILIO, 63112): RetryAction.ACCOUNT_ACTION,
}
LISTED_CODES: dict[Provider, frozenset[int]] = {
    META: frozenset(
        {
            *(0, 1, 2, 3, 4, 10, 100, 190, 368, 80007, 130429, 130472, 130497),
            *(131000, 131005, 131008, 131009, 131016, 131021, 131026, 131030, 131031),
            *(131037, 131042, 131045, 131047, 131048, 131049, 131050, 131051, 131052),
            *(131053, 131056, 131057, 131062, 131063, 131064),
            *(132000, 132001, 132005, 132007, 132008, 132012, 132015, 132016, 132068),
            *(132069, 133004, 133010, 133016, 135000, 137000),
            *(131020, 131041, 131204, 131207, 131208, 131211),  # Groups API
            *(139200, 2388318, 2388330),  # Direct Send (issue #15)
        }
    ),
    TWILIO: frozenset(
        {20429, 21211, 63003, 63005, 63012, 63013, 63016, 63018, 63021, 63024, 63032}
        | {63033, 63049, 63051, 63112, 63119}
    ),
}


# --- the table -------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "info"), ROWS, ids=[row_id(key) for key, _ in ROWS])
def test_every_code_is_classified_as_its_row_says(
    key: tuple[Provider, int], info: ErrorInfo
) -> None:
    """Each code in the table gets its row's action, backoff, title, reason and source."""
    provider, code = key
    decision = classify_error(provider, code)
    assert info.action == decision.action
    assert info.backoff == decision.backoff
    assert info.backoff.delay(0) == decision.delay
    assert info.title == decision.title
    assert info.reason == decision.reason
    assert info.source == decision.source
    assert (provider, code, None) == (decision.provider, decision.code, decision.failure)
    assert decision.known
    assert Reach.REACHED == decision.reach


@pytest.mark.parametrize(("key", "action"), sorted(EXPECTED_ACTIONS.items(), key=str))
def test_codes_get_the_action_the_transport_notes_ask_for(
    key: tuple[Provider, int], action: RetryAction
) -> None:
    """Codes the notes classify get that class, independently of how the table spells it."""
    assert action == classify_error(*key).action


def test_the_table_lists_every_code_the_notes_list() -> None:
    """Every Meta and Twilio code in the notes has a row, and the table has no other."""
    for provider, codes in LISTED_CODES.items():
        assert codes == {code for owner, code in ERROR_CODES if owner is provider}


def test_the_permission_range_is_one_rule() -> None:
    """Every code from 200 to 299 is Meta's API Permission; 199 and 300 are not."""
    ((provider, codes, info),) = ERROR_CODE_RANGES
    assert (META, range(200, 300)) == (provider, codes)
    for code in codes:
        decision = classify_error(META, code)
        assert (RetryAction.ACCOUNT_ACTION, info.title) == (decision.action, decision.title)
    assert not classify_error(META, 199).known
    assert not classify_error(META, 300).known
    assert not classify_error(TWILIO, 250).known


def test_ranges_do_not_overlap_the_table() -> None:
    """A code is either a single row or in a range, never both."""
    for provider, codes, _info in ERROR_CODE_RANGES:
        assert [] == [code for owner, code in ERROR_CODES if owner is provider and code in codes]


@pytest.mark.parametrize(
    "info",
    [info for _, info in ROWS] + [info for *_, info in ERROR_CODE_RANGES],
    ids=[row_id(key) for key, _ in ROWS] + ["meta-200-299"],
)
def test_rows_are_consistent(info: ErrorInfo) -> None:
    """A row waits if and only if it retries, waits a day if and only if it retries tomorrow."""
    assert (info.action in RETRYING) == (info.backoff is not Backoff.NONE)
    assert (info.action is RetryAction.RETRY_TOMORROW) == (info.backoff is Backoff.NEXT_DAY)
    assert Reach.REACHED == info.reach
    assert info.source.url.startswith("https://")
    assert info.source.provenance in {Provenance.OFFICIAL, Provenance.REPORTED}
    assert info.title
    assert info.reason.endswith(".")


def test_the_taxonomy_agrees_with_the_authoritative_codes() -> None:
    """131047 and 63016 ask for a template, 131050 stops marketing, as `AUTHORITATIVE_CODES` say."""
    meant = {
        CodeMeaning.WINDOW_CLOSED: RetryAction.USE_TEMPLATE,
        CodeMeaning.MARKETING_OPTED_OUT: RetryAction.STOP_OPTED_OUT,
    }
    for (provider, code), meaning in AUTHORITATIVE_CODES.items():
        assert meant[meaning] == classify_error(provider, code).action
    said = {key for key, info in ERROR_CODES.items() if info.action in meant.values()}
    assert set(AUTHORITATIVE_CODES) == said


# --- backoff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(0, 1), (1, 4), (2, 16), (3, 64), (4, 256), (5, 900), (50, 900)]
)
def test_pair_rate_waits_four_to_the_attempt_seconds(attempt: int, seconds: int) -> None:
    """131056 waits 4**attempt seconds, at most 15 minutes."""
    assert seconds * S == classify_error(META, 131056, attempt=attempt).delay


@pytest.mark.parametrize(
    ("code", "first", "cap"),
    [
        (130429, 1 * S, timedelta(minutes=1)),
        (131000, 2 * S, timedelta(minutes=5)),
        (4, timedelta(minutes=1), timedelta(hours=1)),
        (80007, timedelta(minutes=1), timedelta(hours=1)),
        (131057, timedelta(hours=1), timedelta(hours=6)),
    ],
)
def test_backoffs_double_up_to_their_cap(code: int, first: timedelta, cap: timedelta) -> None:
    """The exponential schedules start at their first wait, double, and stop at their cap."""
    delays = [classify_error(META, code, attempt=n).delay for n in range(12)]
    assert first == delays[0]
    assert 2 * first == delays[1]
    assert cap == delays[-1]
    assert None not in delays
    assert sorted(delays) == delays  # type: ignore[type-var]


@pytest.mark.parametrize("attempt", [0, 1, 7, 10**9])
def test_a_day_limit_waits_a_day_whatever_the_attempt(attempt: int) -> None:
    """131049 and 63049 say retry a day later, at every attempt."""
    for provider, code in [(META, 131049), (TWILIO, 63049), (TWILIO, 63018)]:
        assert timedelta(hours=24) == classify_error(provider, code, attempt=attempt).delay


def test_huge_attempts_give_the_cap() -> None:
    """An absurd attempt count still gives the capped delay, with no overflow."""
    assert timedelta(minutes=15) == classify_error(META, 131056, attempt=10**100).delay


@pytest.mark.parametrize("retry_after", [30, 30.0, 30 * S])
def test_retry_after_is_honoured(retry_after: float | timedelta) -> None:
    """A Retry-After longer than the backoff becomes the delay, in seconds or as a duration."""
    assert 30 * S == classify_error(META, 130429, retry_after=retry_after).delay


def test_a_short_retry_after_does_not_shorten_the_backoff() -> None:
    """The delay is never shorter than the backoff, even when Retry-After says less."""
    assert 16 * S == classify_error(META, 131056, attempt=2, retry_after=3).delay


@pytest.mark.parametrize("retry_after", [3 * 86_400, 1e300, timedelta(days=400)])
def test_retry_after_is_capped(retry_after: float | timedelta) -> None:
    """A Retry-After beyond a day is capped at `MAX_RETRY_DELAY`."""
    assert MAX_RETRY_DELAY == classify_error(TWILIO, 20429, retry_after=retry_after).delay


def test_retry_after_does_not_make_a_permanent_error_retryable() -> None:
    """A Retry-After on a code that must not be retried is ignored."""
    decision = classify_error(META, 131026, retry_after=5)
    assert (RetryAction.RECIPIENT_UNREACHABLE, None) == (decision.action, decision.delay)


@pytest.mark.parametrize(
    ("backoff", "summary"),
    [
        (Backoff.NONE, "no automatic retry"),
        (Backoff.PAIR_RATE, "1 s x 4^attempt, at most 15 min"),
        (Backoff.APP_RATE, "1 min x 2^attempt, at most 1 h"),
        (Backoff.NEXT_DAY, "24 h"),
    ],
)
def test_backoff_summaries(backoff: Backoff, summary: str) -> None:
    """Each schedule describes itself in words for the docs table."""
    assert summary == backoff.summary


# --- codes as text, and bad input ----------------------------------------------------------


@pytest.mark.parametrize("text", ["131056", " 131056 ", "0131056"])
def test_codes_may_arrive_as_text(text: str) -> None:
    """A relay's string code classifies like the number, and the decision holds an int."""
    assert classify_error(META, 131056) == classify_error(META, text)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "abc",
        "-1",
        "+5",
        "1.5",
        "1e5",
        "13 1056",
        "\uff11\uff12",
        -1,
        1.0,
        True,
        None,
        "9" * 5000,
    ],
)
def test_bad_codes_raise(code: object) -> None:
    """A negative, fractional or non-numeric code raises `InvalidValueError` naming it."""
    with pytest.raises(InvalidValueError) as raised:
        classify_error(META, code)  # type: ignore[arg-type]
    assert ("code", code) == (raised.value.field, raised.value.value)
    assert "code=" in str(raised.value)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("attempt", {"attempt": -1}),
        ("attempt", {"attempt": 1.5}),
        ("attempt", {"attempt": True}),
        ("retry_after", {"retry_after": -1}),
        ("retry_after", {"retry_after": float("nan")}),
        ("retry_after", {"retry_after": float("inf")}),
        ("retry_after", {"retry_after": -S}),
        ("retry_after", {"retry_after": "30"}),
        ("retry_after", {"retry_after": True}),
        ("http_status", {"http_status": 99}),
        ("http_status", {"http_status": 600}),
        ("http_status", {"http_status": "429"}),
        ("http_status", {"http_status": True}),
    ],
)
def test_bad_arguments_raise(field: str, kwargs: dict[str, object]) -> None:
    """Each bad keyword argument raises `InvalidValueError` naming the field and its value."""
    with pytest.raises(InvalidValueError) as raised:
        classify_error(META, 131056, **kwargs)  # type: ignore[arg-type]
    assert (field, kwargs[field]) == (raised.value.field, raised.value.value)


def test_a_bad_provider_raises() -> None:
    """A provider given as other text than its value raises `InvalidValueError` naming it."""
    with pytest.raises(InvalidValueError) as raised:
        classify_error("Meta", 131056)
    assert ("provider", "Meta") == (raised.value.field, raised.value.value)


def test_backoff_rejects_a_negative_attempt() -> None:
    """`Backoff.delay` refuses a negative attempt like the classifiers do."""
    with pytest.raises(InvalidValueError, match="attempt=-1"):
        Backoff.PAIR_RATE.delay(-1)


# --- unknown codes and the HTTP status -----------------------------------------------------


@pytest.mark.parametrize(("provider", "code"), [(META, 999_999), (TWILIO, 63999), (META, 5)])
def test_unknown_codes_are_not_retried(provider: Provider, code: int) -> None:
    """A code missing from the table is `UNKNOWN`: no automatic retry, named in the reason."""
    decision = classify_error(provider, code)
    assert RetryAction.UNKNOWN == decision.action
    assert not decision.retryable
    assert not decision.known
    assert decision.delay is None
    assert str(code) in decision.reason
    assert Reach.REACHED == decision.reach


def test_unknown_codes_cite_the_providers_error_list() -> None:
    """The default's source is the provider's own list of codes."""
    assert "facebook.com" in classify_error(META, 999_999).source.url
    assert "twilio.com" in classify_error(TWILIO, 63999).source.url


@pytest.mark.parametrize("status", [None, 200, 400, 401, 403, 404, 428, 430])
def test_other_statuses_leave_unknown_codes_unknown(status: int | None) -> None:
    """Only 429 and 5xx refine an unknown code."""
    assert RetryAction.UNKNOWN == classify_error(META, 999_999, http_status=status).action


def test_429_makes_an_unknown_code_a_short_retry() -> None:
    """An unknown code with HTTP 429 is retried after a short backoff, honouring Retry-After."""
    decision = classify_error(META, 999_999, http_status=429)
    assert (RetryAction.RETRY_AFTER, Backoff.THROUGHPUT) == (decision.action, decision.backoff)
    assert 1 * S == decision.delay
    assert not decision.known
    assert 20 * S == classify_error(META, 999_999, http_status=429, retry_after=20).delay


@pytest.mark.parametrize("status", [500, 502, 503, 599])
def test_5xx_makes_an_unknown_code_a_bounded_retry(status: int) -> None:
    """An unknown code with a 5xx status is retried with the transient backoff."""
    decision = classify_error(TWILIO, 63999, http_status=status)
    assert (RetryAction.RETRY_AFTER, Backoff.TRANSIENT) == (decision.action, decision.backoff)
    assert (
        timedelta(minutes=5) == classify_error(TWILIO, 63999, http_status=status, attempt=40).delay
    )
    assert str(status) in decision.title


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_the_status_never_overrides_a_known_code(status: int) -> None:
    """Known codes keep their class whatever the HTTP status (branch on the code)."""
    for (provider, code), info in ERROR_CODES.items():
        assert info.action == classify_error(provider, code, http_status=status).action


# --- properties ------------------------------------------------------------------------------

retry_afters = (
    st.none() | st.floats(min_value=0, allow_infinity=False) | st.timedeltas(min_value=timedelta(0))
)


@given(
    provider=st.sampled_from(Provider),
    code=st.integers(min_value=0),
    status=st.none() | st.integers(min_value=100, max_value=599),
    retry_after=retry_afters,
    attempt=st.integers(min_value=0),
)
def test_any_code_gets_a_coherent_decision(
    provider: Provider,
    code: int,
    status: int | None,
    retry_after: float | timedelta | None,
    attempt: int,
) -> None:
    """Any non-negative code never raises; `retryable`, the action and the delay agree."""
    decision = classify_error(
        provider, code, http_status=status, retry_after=retry_after, attempt=attempt
    )
    assert (decision.action in RETRYING) == decision.retryable == decision.action.retryable
    assert (decision.delay is None) == (not decision.retryable)
    assert Reach.REACHED == decision.reach
    assert code == decision.code
    if decision.delay is not None:
        assert timedelta(0) < decision.delay <= MAX_RETRY_DELAY
        if isinstance(retry_after, timedelta):
            assert min(retry_after, MAX_RETRY_DELAY) <= decision.delay


@given(provider=st.sampled_from(Provider), code=st.integers(min_value=0, max_value=10**12))
def test_text_and_number_codes_agree(provider: Provider, code: int) -> None:
    """The decimal text of a code classifies exactly like the code."""
    assert classify_error(provider, code) == classify_error(provider, str(code))


# --- transport failures ----------------------------------------------------------------------

NEVER_SENT = {
    TransportFailure.DNS_ERROR,
    TransportFailure.CONNECT_ERROR,
    TransportFailure.CONNECT_TIMEOUT,
    TransportFailure.TLS_ERROR,
}


@pytest.mark.parametrize("failure", list(TransportFailure))
def test_transport_failures(failure: TransportFailure) -> None:
    """Failures before sending are retried; failures after it must be reconciled, not resent."""
    decision = classify_transport_failure(failure)
    assert (None, None, failure) == (decision.provider, decision.code, decision.failure)
    assert decision.known
    assert TRANSPORT_FAILURES[failure].title == decision.title
    if failure in NEVER_SENT:
        assert (RetryAction.RETRY_AFTER, Reach.NOT_REACHED) == (decision.action, decision.reach)
        assert 2 * S == decision.delay
        assert timedelta(minutes=5) == classify_transport_failure(failure, attempt=30).delay
    else:
        assert (RetryAction.RECONCILE, Reach.UNKNOWN) == (decision.action, decision.reach)
        assert not decision.retryable
        assert decision.delay is None


def test_every_transport_failure_has_a_row() -> None:
    """The table covers every member of `TransportFailure`."""
    assert set(TransportFailure) == set(TRANSPORT_FAILURES)


def test_transport_failure_bad_input_raises() -> None:
    """A failure given as text, or a negative attempt, raises `InvalidValueError`."""
    with pytest.raises(InvalidValueError, match="failure='READ_TIMEOUT'"):
        classify_transport_failure("READ_TIMEOUT")
    with pytest.raises(InvalidValueError, match="attempt=-2"):
        classify_transport_failure(TransportFailure.DNS_ERROR, attempt=-2)


def test_decisions_are_frozen_values() -> None:
    """A decision cannot be changed in place; `attrs.evolve` makes a new one."""
    decision = classify_error(META, 131056)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decision.delay = None  # type: ignore[misc]
    later = attrs.evolve(decision, delay=4 * S)
    assert (1 * S, 4 * S) == (decision.delay, later.delay)
    assert isinstance(later, RetryDecision)


# --- issue #15: the US marketing pause, Direct Send and routing codes ---------------------------


def test_131049_to_a_us_number_is_the_marketing_pause_not_the_per_user_limit() -> None:
    """Meta: no marketing template reaches a US number since 2025-04-01; do not retry it."""
    us = classify_error(META, 131049, region="US")
    elsewhere = classify_error(META, 131049, region="CA")
    unknown = classify_error(META, 131049)
    assert (RetryAction.RECIPIENT_UNREACHABLE, None, True) == (us.action, us.delay, us.known)
    assert "per-user-limits" in us.source.url
    assert us.source.provenance is Provenance.OFFICIAL
    for decision in (elsewhere, unknown):
        assert (RetryAction.RETRY_TOMORROW, timedelta(hours=24)) == (
            decision.action,
            decision.delay,
        )
        assert decision.source.provenance is Provenance.OFFICIAL


def test_region_must_be_text() -> None:
    """A region that is not text is refused, naming the field."""
    with pytest.raises(InvalidValueError, match="region"):
        classify_error(META, 131049, region=1)  # type: ignore[arg-type]


def test_direct_send_access_blocked_needs_an_operator() -> None:
    """139200 (Direct Send access blocked) stops Direct Send: send approved templates instead."""
    decision = classify_error(META, 139200)
    assert (RetryAction.ACCOUNT_ACTION, True) == (decision.action, decision.known)
    assert "direct-send" in decision.source.url


def test_131062_and_131063_cite_meta_pages() -> None:
    """131062 (authentication to a BSUID) and 131063 (marketing off /messages) cite Meta pages."""
    assert "business-scoped-user-ids" in classify_error(META, 131062).source.url
    assert "route-template-messages" in classify_error(META, 131063).source.url


def test_twilio_63033_is_a_marketing_opt_out_not_a_held_message() -> None:
    """63033 (the user stopped marketing) says stop, unlike 63049 (Meta held it back): retry."""
    expected = (RetryAction.STOP_OPTED_OUT, RetryAction.RETRY_TOMORROW)
    actual = tuple(classify_error(TWILIO, code).action for code in (63033, 63049))
    assert expected == actual
