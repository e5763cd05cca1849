"""Sending, provider-neutral: answers read, the outbox kept, retries that never duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import InvalidValueError, Provider, RetryAction, SendKind, StoredDataError
from wa_outbound._taxonomy import Reach, TransportFailure
from wa_outbound.meta import Text
from wa_outbound.meta._client import _graph_error
from wa_outbound.sending import (
    ApiError,
    Outbox,
    OutboxEntry,
    OutboxStatus,
    SendStatus,
    dump_outbox_entry,
    is_testing,
    load_outbox_entry,
    set_testing,
)
from wa_outbound.sending._api_error import read_answer
from wa_outbound.sending._flow import failure_of
from wa_outbound.sending._outbox import settle
from wa_outbound.state import SenderState
from wa_outbound.stores import MemoryStore, SqliteStore, StateKey, StateKind, Write, WriteConflict
from wa_outbound.twilio import Text as TwilioText
from wa_outbound.webhooks import TWILIO_CALLBACK_KEY, MessageStatus, StatusKind, read_twilio_webhook

from . import redis_server
from .client_fakes import (
    ANNA,
    NOW,
    SENDER,
    SHOP,
    TOKEN,
    Harness,
    Platform,
    accepted,
    fresh_state,
    graph_error,
    twilio_created,
)
from .conftest import STORE_KINDS, make_store
from .test_twilio_webhooks import TOKEN as TWILIO_TOKEN
from .test_twilio_webhooks import signed, status_callback


def reopen(store: Any) -> Any:
    """A new Redis store over the same keys (as another process would open it)."""
    from wa_outbound.redis import RedisStore

    return RedisStore.from_url(redis_server.url(), prefix=store.prefix)


@pytest.fixture
def sync() -> Iterator[Harness]:
    """A sync harness (for tests about parts both modes share)."""
    built = Harness("sync")
    yield built
    built.close()


def entry(**changes: Any) -> OutboxEntry:
    """An outbox entry, pending."""
    values: dict[str, Any] = {
        "key": "wao-1",
        "provider": Provider.META,
        "business": SHOP.phone_number_id,
        "recipient": ANNA,
        "kind": SendKind.FREE_FORM,
        "status": OutboxStatus.PENDING,
        "created_at": NOW,
        "updated_at": NOW,
        "request": {"path": "1/messages", "body": {"type": "text"}},
        **changes,
    }
    return OutboxEntry(**values)


# --- reading answers -----------------------------------------------------------------------------


def read(response: httpx.Response, provider: Provider = Provider.META) -> dict[str, Any]:
    """Read `response` as the Meta client does."""
    return read_answer(provider, response, 0, _graph_error)


def test_a_code_sent_as_text_is_read() -> None:
    """Relays send the code as a string; it is classified all the same."""
    with pytest.raises(ApiError) as caught:
        read(graph_error("131056"))
    assert (131056, RetryAction.RETRY_AFTER) == (caught.value.code, caught.value.decision.action)


def test_an_unreadable_code_is_read_as_no_error_body() -> None:
    """A code that is not a number: the status decides (a 400 is not retried)."""
    with pytest.raises(ApiError) as caught:
        read(graph_error("abc"))
    assert (None, 400, RetryAction.UNKNOWN) == (
        caught.value.code,
        caught.value.http_status,
        caught.value.decision.action,
    )


def test_a_429_without_a_body_is_retried() -> None:
    """A bare 429 means a rate limit: retryable."""
    with pytest.raises(ApiError) as caught:
        read(httpx.Response(429, text="slow down", headers={"Retry-After": "soon"}))
    assert caught.value.decision.retryable


def test_an_accepted_send_without_a_readable_answer_is_ambiguous() -> None:
    """A 200 whose body is not JSON: the message may have gone out."""
    with pytest.raises(ApiError) as caught:
        read(httpx.Response(200, text="<html>"))
    assert Reach.UNKNOWN == caught.value.decision.reach


def test_the_error_text_names_code_subcode_status_and_trace() -> None:
    """The message gives what support needs, and what to do next."""
    with pytest.raises(ApiError) as caught:
        read(graph_error(131056, error_subcode=2494055))
    text = str(caught.value)
    assert text.startswith("meta error 131056/2494055 (")
    assert "HTTP 400; fbtrace_id A4O5a8RAgePwbcGSu; next: retry_after" in text


@given(
    status=st.integers(100, 599),
    body=st.one_of(
        st.binary(max_size=64),
        st.builds(
            lambda code, message: (
                httpx.Response(400, json={"error": {"code": code, "message": message}}).content
            ),
            st.one_of(
                st.integers(-5, 200_000),
                st.text(max_size=8),
                st.none(),
                st.floats(allow_nan=False, allow_infinity=False),
            ),
            st.one_of(st.text(max_size=20), st.integers()),
        ),
    ),
)
def test_any_answer_reads_as_json_or_an_api_error(status: int, body: bytes) -> None:
    """Whatever status and bytes come back, the reader returns a JSON object or an ApiError."""
    response = httpx.Response(status, content=body)
    try:
        data: object = read(response)
    except ApiError as error:
        data = error
    assert isinstance(data, dict | ApiError)
    assert TOKEN not in str(data)


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (httpx.ConnectTimeout("t"), TransportFailure.CONNECT_TIMEOUT),
        (httpx.PoolTimeout("t"), TransportFailure.CONNECT_TIMEOUT),
        (httpx.ConnectError("t"), TransportFailure.CONNECT_ERROR),
        (httpx.UnsupportedProtocol("t"), TransportFailure.CONNECT_ERROR),
        (httpx.WriteTimeout("t"), TransportFailure.WRITE_TIMEOUT),
        (httpx.ReadTimeout("t"), TransportFailure.READ_TIMEOUT),
        (httpx.RemoteProtocolError("t"), TransportFailure.CONNECTION_RESET_AFTER_SEND),
        (httpx.WriteError("t"), TransportFailure.CONNECTION_RESET_AFTER_SEND),
        (httpx.DecodingError("t"), TransportFailure.CONNECTION_RESET_AFTER_SEND),
    ],
)
def test_httpx_errors_map_to_where_the_request_got(
    error: httpx.RequestError, failure: TransportFailure
) -> None:
    """Before the request left it is safe to retry; after, it is ambiguous."""
    assert failure == failure_of(error)


# --- the outbox ----------------------------------------------------------------------------------


def test_an_entry_round_trips_through_its_stored_document() -> None:
    """An entry written and read back is equal, and its document has a versioned header."""
    value = entry(status=OutboxStatus.SENT, message_id="wamid.1", error_code=None, attempts=2)
    document = dump_outbox_entry(value)
    assert ("wa_outbound.outbox_entry", 1) == (document["format"], document["version"])
    assert value == load_outbox_entry(document)


def test_a_bad_stored_entry_names_its_key() -> None:
    """A document that is not an entry is refused with the key in the error."""
    state = fresh_state()
    key = StateKey(StateKind.OUTBOX, "wao-bad")
    state.store.commit([Write(key=key, document={"format": "x"}, expected_version=0)])
    with pytest.raises(StoredDataError, match="outbox/wao-bad"):
        Outbox(state).get("wao-bad")


def test_a_key_is_reserved_once() -> None:
    """Reserving a key twice is refused; updating an unknown key too."""
    outbox = Outbox(fresh_state())
    outbox.reserve(entry())
    with pytest.raises(InvalidValueError, match="already"):
        outbox.reserve(entry())
    with pytest.raises(InvalidValueError, match="not in the outbox"):
        outbox.update("wao-2", lambda e: e)
    assert [] == outbox.entries(OutboxStatus.SENT)
    assert ["wao-1"] == [e.key for e in outbox.entries()]


def test_an_update_reads_again_after_losing_a_race() -> None:
    """A compare-and-set lost to another writer is retried from a fresh read."""
    state = fresh_state()
    outbox = Outbox(state, max_attempts=2)
    outbox.reserve(entry())
    calls = [0]

    def change(value: OutboxEntry) -> OutboxEntry:
        calls[0] += 1
        if calls[0] == 1:  # another writer wins in between
            other = attrs.evolve(value, attempts=9)
            state.store.commit(
                [
                    Write(
                        key=StateKey(StateKind.OUTBOX, "wao-1"),
                        document=dump_outbox_entry(other),
                        expected_version=1,
                    )
                ]
            )
        return attrs.evolve(value, status=OutboxStatus.SENT)

    done = outbox.update("wao-1", change)
    assert (OutboxStatus.SENT, 9, 2) == (done.status, done.attempts, calls[0])


def test_an_update_of_an_entry_it_wrote_needs_no_read() -> None:
    """Settling an entry this outbox reserved commits at once; nothing is read."""

    class Counting(MemoryStore):
        reads = 0

        def read(self, keys: Any) -> Any:
            Counting.reads += 1
            return super().read(keys)

    state = SenderState(Counting(), numbers=[SHOP])
    outbox = Outbox(state)
    outbox.reserve(entry())
    before = Counting.reads
    marked = outbox.update("wao-1", settle(OutboxStatus.AMBIGUOUS, NOW, attempts=1))
    done = outbox.update("wao-1", settle(OutboxStatus.SENT, NOW, message_id="wamid.1"))
    assert (0, OutboxStatus.AMBIGUOUS, OutboxStatus.SENT) == (
        Counting.reads - before,
        marked.status,
        done.status,
    )
    assert done == outbox.get("wao-1")
    outbox.update("wao-1", lambda e: e)  # a settled entry is not remembered: it is read
    assert 2 == Counting.reads - before


def test_an_outbox_remembers_a_bounded_number_of_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its bound the oldest remembered entry is forgotten, and read when it is updated."""
    from wa_outbound.sending import _outbox

    monkeypatch.setattr(_outbox, "_REMEMBERED", 2)
    outbox = Outbox(fresh_state())
    for key in ("wao-1", "wao-2", "wao-3"):
        outbox.reserve(entry(key=key))
    assert ["wao-2", "wao-3"] == list(outbox._written)  # the bound itself
    for key in ("wao-1", "wao-2", "wao-3"):
        done = outbox.update(key, settle(OutboxStatus.SENT, NOW))
        assert done == outbox.get(key)
    assert {} == outbox._written  # settled entries are not remembered


def test_another_outbox_s_change_wins_over_the_remembered_entry() -> None:
    """Another worker gave the entry up: the remembered one is refused, the stored one decides."""
    state = fresh_state()
    mine, theirs = Outbox(state), Outbox(state)
    mine.reserve(entry())
    theirs.give_up("wao-1", now=NOW)

    def only_if_abandoned(value: OutboxEntry) -> OutboxEntry:
        if value.status is not OutboxStatus.ABANDONED:
            raise InvalidValueError("key", value.key, "not abandoned")
        return attrs.evolve(value, status=OutboxStatus.PENDING)

    assert OutboxStatus.PENDING == mine.update("wao-1", only_if_abandoned).status
    theirs.give_up("wao-1", now=NOW)
    assert OutboxStatus.ABANDONED == mine.update("wao-1", lambda e: e).status  # stale: read
    theirs.update("wao-1", settle(OutboxStatus.SENT, NOW))
    with pytest.raises(InvalidValueError, match="already settled"):
        mine.give_up("wao-1", now=NOW)  # it remembers the entry unsettled; the store knows


def test_an_update_gives_up_after_max_attempts() -> None:
    """Losing every race ends in WriteConflict."""

    class Racing(MemoryStore):
        def commit(self, writes: Any, **options: Any) -> None:
            if writes and writes[0].expected_version:
                raise WriteConflict(("outbox/wao-1",))
            super().commit(writes, **options)

    state = SenderState(Racing(), numbers=[SHOP])
    outbox = Outbox(state, max_attempts=2)
    outbox.reserve(entry())
    with pytest.raises(WriteConflict):
        outbox.update("wao-1", lambda e: e)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_the_outbox_outlives_the_process(kind: str, tmp_path: Path, sync: Harness) -> None:
    """An ambiguous send survives the process: a new state over the same store still has it."""
    store = make_store(kind, tmp_path)
    state = SenderState(store, numbers=[SHOP, SENDER])
    client = sync.meta(Platform(httpx.ReadTimeout("slow")), state)
    result = sync.run(client.send(ANNA, Text("hi"), check=False))
    state.store.close()
    again = SqliteStore(tmp_path / "s.db") if kind == "sqlite" else reopen(store)
    reopened = SenderState.from_store(again)
    [found] = Outbox(reopened).entries(OutboxStatus.AMBIGUOUS)
    assert result.key == found.key
    reopened.store.close()


def test_repr_names_the_store() -> None:
    """The outbox shows its store."""
    assert repr(Outbox(fresh_state())).startswith("Outbox(MemoryStore")


# --- the engine's edges -----------------------------------------------------------------------


def test_the_testing_switch_is_global_and_reversible() -> None:
    """`set_testing` turns waiting off and on."""
    assert not is_testing()
    set_testing(True)
    assert is_testing()
    set_testing(False)
    assert not is_testing()


def test_a_paced_decision_waits_for_its_instant(sync: Harness) -> None:
    """The stored pacer says the pair rate is used up: the client waits, then sends."""
    state = fresh_state()
    for _ in range(45):  # the pair rate's burst, used by other workers
        state.record_sent(SHOP.phone_number_id, ANNA, SendKind.FREE_FORM, now=NOW)
    client = sync.meta(Platform(), state)
    result = sync.run(client.send(ANNA, Text("hi")))
    assert SendStatus.SENT == result.status
    assert sync.clock.sleeps[0] >= 1


def test_a_client_refuses_an_http_client_of_the_other_kind() -> None:
    """A sync client given an AsyncClient (and the reverse) is refused by name."""
    for mode, http in (("sync", httpx.AsyncClient()), ("async", httpx.Client())):
        harness = Harness(mode)
        with pytest.raises(InvalidValueError, match="http"):
            harness.meta(Platform(), http=http)
        harness.close()


def test_the_engine_refuses_bad_retry_settings(sync: Harness) -> None:
    """`max_attempts` below 1 or a negative `max_wait` are refused."""
    with pytest.raises(InvalidValueError, match="max_attempts"):
        sync.meta(Platform(), max_attempts=0)
    with pytest.raises(InvalidValueError, match="max_wait"):
        sync.meta(Platform(), max_wait=timedelta(seconds=-1))


def test_concurrent_async_sends_share_the_pacer() -> None:
    """Twenty tasks sending at once through one client: all sent, each paced once."""
    harness = Harness("async")
    client = harness.meta(Platform())
    recipients = [ANNA] * 20

    async def burst() -> list[Any]:
        return await asyncio.gather(*(client.send(r, Text("hi")) for r in recipients))

    results = harness.run(burst())
    harness.close()
    assert {SendStatus.SENT} == {r.status for r in results}
    assert 20 == len({r.key for r in results})
    assert 19 == len(harness.clock.sleeps)


# --- the Twilio callback key ------------------------------------------------------------------


def test_twilio_status_callbacks_carry_the_key_back(sync: Harness) -> None:
    """The key on the callback URL comes back as the status's key and settles the send."""
    client = sync.twilio(
        Platform(httpx.ReadTimeout("slow"), twilio_created()),
        status_callback="https://shop.example/twilio/status?tenant=7",
    )
    result = sync.run(client.send(ANNA, TwilioText("hi")))
    assert SendStatus.AMBIGUOUS == result.status
    url = f"https://shop.example/twilio/status?tenant=7&{TWILIO_CALLBACK_KEY}={result.key}"
    body, headers = signed(url, status_callback("delivered"))
    events = read_twilio_webhook(url, body, headers, auth_tokens=[TWILIO_TOKEN], received_at=NOW)
    [event] = events
    assert isinstance(event, MessageStatus)
    assert (StatusKind.DELIVERED, result.key) == (event.status, event.biz_opaque_callback_data)
    [settled] = client.outbox.reconcile(events, now=NOW)
    assert OutboxStatus.SENT == settled.status


# --- never twice, never lost: any script of answers ---------------------------------------------

ANSWERS = {
    "accepted": accepted,
    "pair_rate": lambda: graph_error(131056),
    "throughput": lambda: graph_error(130429, 429),
    "window": lambda: graph_error(131047),
    "refused": lambda: httpx.ConnectError("refused"),
    "read_timeout": lambda: httpx.ReadTimeout("slow"),
    "bare_502": lambda: httpx.Response(502, text="Bad Gateway"),
}
RETRIED = {"pair_rate", "throughput", "refused"}
AMBIGUOUS = {"read_timeout", "bare_502"}


@pytest.mark.parametrize("kind", STORE_KINDS)
@given(script=st.lists(st.sampled_from(sorted(ANSWERS)), min_size=1, max_size=8))
def test_a_send_is_never_duplicated_nor_lost(kind: str, script: list[str]) -> None:
    """Whatever the platform answers, requests stop at the first answer that is not retried.

    Ambiguous and refused sends are never resent; the outcome matches the last answer, and the
    outbox holds exactly one entry in the matching state (in every store kind).
    """
    harness = Harness("sync")
    platform = Platform(*(ANSWERS[name]() for name in script), accepted())
    state = fresh_state(store=make_store(kind))
    client = harness.meta(platform, state, max_attempts=5)
    expected_requests = next(
        (i + 1 for i, name in enumerate(script) if name not in RETRIED), len(script) + 1
    )
    expected_requests = min(expected_requests, 5)
    last = ([*script, "accepted"])[expected_requests - 1]
    try:
        result = client.send(ANNA, Text("hi"))
    except ApiError:
        status = OutboxStatus.FAILED
        assert last in RETRIED | {"window"}
    else:
        status = {SendStatus.SENT: OutboxStatus.SENT, SendStatus.AMBIGUOUS: OutboxStatus.AMBIGUOUS}[
            result.status
        ]
        assert (last in AMBIGUOUS) == (result.status is SendStatus.AMBIGUOUS)
    assert expected_requests == len(platform.requests)
    [kept] = client.outbox.entries()
    assert (status, expected_requests) == (kept.status, kept.attempts)
    keys = {r.content for r in platform.requests}
    state.store.close()
    assert len(keys) == 1
