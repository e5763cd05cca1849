"""The messaging-limit ledger: counting, expiry, gating, the store and persistence."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from wa_outbound import (
    BusinessScopedUserId,
    InvalidValueError,
    LimitScope,
    MessagingLimit,
    NaiveDatetimeError,
    PhoneNumberId,
    StoredDataError,
    WaId,
    rules_at,
)
from wa_outbound._ledger import (
    FUTURE_TOLERANCE,
    InMemoryLedgerStore,
    LedgerStore,
    LimitLedger,
    LimitScopeKey,
    dump_ledger,
    load_ledger,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
T2023 = datetime(2023, 3, 6, 9, 0, tzinfo=UTC)
RULES = rules_at(T0)
DAY = timedelta(hours=24)
PORTFOLIO = LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="1234567890")
ALICE = WaId("4915123456789")
BOB = WaId("4915123456780")
CAROL = BusinessScopedUserId("US.carol-1")
RECIPIENTS = [WaId(f"4915100000{i:03d}") for i in range(6)] + [CAROL]


def new_ledger() -> LimitLedger:
    """Build an empty portfolio ledger under today's rules."""
    return LimitLedger(scope=PORTFOLIO, rules=RULES)


def test_window_rule_is_24_hours_from_meta() -> None:
    """The ledger's window is the 24-hour `messaging_limit_window` rule, in every rule set."""
    assert DAY == rules_at(T2023).messaging_limit_window.value
    assert DAY == RULES.messaging_limit_window.value
    assert "messaging-limits" in RULES.messaging_limit_window.source.url
    assert DAY == new_ledger().window


def test_scope_key_follows_the_rules() -> None:
    """A phone number is the scope under the 2023 rules, the portfolio under today's."""
    number = PhoneNumberId("106540352242922")
    old = LimitScopeKey.under(rules_at(T2023), phone_number=number, portfolio="99")
    new = LimitScopeKey.under(RULES, phone_number=number, portfolio="99")
    assert LimitScopeKey(kind=LimitScope.PHONE_NUMBER, graph_id="106540352242922") == old
    assert LimitScopeKey(kind=LimitScope.BUSINESS_PORTFOLIO, graph_id="99") == new


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "business_portfolio", "graph_id": "1"}, "scope.kind"),
        ({"kind": LimitScope.PHONE_NUMBER, "graph_id": "abc"}, "scope.graph_id"),
        ({"kind": LimitScope.PHONE_NUMBER, "graph_id": 12}, "scope.graph_id"),
    ],
)
def test_scope_key_refuses_bad_values(kwargs: dict[str, object], field: str) -> None:
    """A scope key with a bad kind or id is refused, naming the field."""
    with pytest.raises(InvalidValueError) as error:
        LimitScopeKey(**kwargs)  # type: ignore[arg-type]
    assert field == error.value.field


def test_ledger_refuses_a_scope_the_rules_do_not_count_by() -> None:
    """A phone-number ledger under portfolio rules is refused, and so are wrong types."""
    number_scope = LimitScopeKey(kind=LimitScope.PHONE_NUMBER, graph_id="1")
    with pytest.raises(InvalidValueError, match="business_portfolio"):
        LimitLedger(scope=number_scope, rules=RULES)
    with pytest.raises(InvalidValueError, match="scope"):
        LimitLedger(scope="1", rules=RULES)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="rules"):
        LimitLedger(scope=PORTFOLIO, rules=None)  # type: ignore[arg-type]
    assert 0 == LimitLedger(scope=number_scope, rules=rules_at(T2023)).opened(T2023)


def test_counting_a_recipient_and_its_release() -> None:
    """A recipient holds one slot for 24 hours after its latest send, then frees it."""
    ledger = new_ledger()
    assert ledger.record(ALICE, T0) is True
    assert ledger.record(ALICE, T0 + timedelta(hours=20)) is False
    assert 1 == ledger.opened(T0 + timedelta(hours=30))
    assert T0 + timedelta(hours=44) == ledger.next_release_at(T0 + timedelta(hours=30))
    assert ledger.would_count(ALICE, T0 + timedelta(hours=43, minutes=59)) is False
    assert ledger.would_count(ALICE, T0 + timedelta(hours=44)) is True
    assert 0 == ledger.opened(T0 + timedelta(hours=44))
    assert ledger.next_release_at(T0 + timedelta(hours=44)) is None


def test_remaining_against_a_limit() -> None:
    """`remaining` is the limit minus the recipients counted, never negative; unlimited is None."""
    ledger = new_ledger()
    for recipient in (ALICE, BOB, CAROL):
        ledger.record(recipient, T0)
    assert 0 == ledger.remaining(MessagingLimit(users=2), T0)
    assert 247 == ledger.remaining(MessagingLimit(users=250), T0)
    assert ledger.remaining(MessagingLimit.unlimited(), T0) is None
    with pytest.raises(InvalidValueError, match="limit"):
        ledger.remaining(250, T0)  # type: ignore[arg-type]


def test_sends_inside_an_open_window_never_count() -> None:
    """A send into an open customer service window uses no slot and records nothing."""
    ledger = new_ledger()
    assert ledger.would_count(ALICE, T0, window_open=True) is False
    assert ledger.record(ALICE, T0, window_open=True) is False
    assert 0 == ledger.opened(T0)
    assert ledger.would_count(ALICE, T0) is True


def test_late_sends_count_from_their_own_instant() -> None:
    """A send learnt late counts from `at`; one older than the window changes nothing."""
    ledger = new_ledger()
    ledger.record(ALICE, T0)
    assert ledger.record(BOB, T0, at=T0 - timedelta(hours=23)) is True
    assert T0 + timedelta(hours=1) == ledger.next_release_at(T0)
    assert ledger.record(CAROL, T0, at=T0 - DAY) is False
    assert 2 == ledger.opened(T0)
    assert 1 == ledger.opened(T0 + timedelta(hours=1))


def test_an_earlier_now_is_taken_as_the_latest_seen() -> None:
    """After asking at a later instant, an earlier `now` answers as of the later one."""
    ledger = new_ledger()
    ledger.record(ALICE, T0)
    assert 0 == ledger.opened(T0 + DAY)
    assert 0 == ledger.opened(T0)
    assert T0 + DAY == ledger.latest
    assert new_ledger().latest is None


def test_other_time_zones_are_accepted() -> None:
    """An instant in another zone is the same instant in UTC."""
    plus_two = timezone(timedelta(hours=2))
    ledger = new_ledger()
    ledger.record(ALICE, T0.astimezone(plus_two), at=T0.astimezone(plus_two))
    assert T0 + DAY == ledger.next_release_at(T0.astimezone(plus_two))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda led: led.record("4915123456789", T0), "recipient"),
        (lambda led: led.record(ALICE, datetime(2026, 11, 23, 9, 0)), "now"),
        (lambda led: led.record(ALICE, T0, at=datetime(2026, 11, 23, 9, 0)), "at"),
        (lambda led: led.record(ALICE, T0, at="2026-11-23"), "at"),
        (lambda led: led.record(ALICE, T0, at=T0 + FUTURE_TOLERANCE * 2), "at"),
        (lambda led: led.record(ALICE, T0, window_open=1), "window_open"),
        (lambda led: led.record(ALICE, T0 + DAY * 2, window_open=None), "window_open"),
        (lambda led: led.would_count(None, T0), "recipient"),
        (lambda led: led.would_count(ALICE, T0, window_open="no"), "window_open"),
        (lambda led: led.opened(1), "now"),
        (lambda led: led.next_release_at(datetime(2026, 11, 23, 9, 0)), "now"),
    ],
)
def test_bad_input_is_refused_and_leaves_the_ledger_unchanged(call: object, field: str) -> None:
    """Every bad argument raises `InvalidValueError` naming it; nothing is recorded."""
    ledger = new_ledger()
    ledger.record(BOB, T0 - timedelta(hours=1))
    before = dump_ledger(ledger)
    with pytest.raises(InvalidValueError) as error:
        call(ledger)  # type: ignore[operator]
    assert field == error.value.field
    assert before == dump_ledger(ledger)


def test_naive_now_raises_the_naive_error() -> None:
    """A naive `now` is refused as naive, not just as wrong."""
    with pytest.raises(NaiveDatetimeError):
        new_ledger().opened(datetime(2026, 11, 23, 9, 0))


def test_a_send_within_the_tolerance_is_accepted() -> None:
    """A send a few seconds after `now` (clock skew) is recorded at its own instant."""
    ledger = new_ledger()
    assert ledger.record(ALICE, T0, at=T0 + FUTURE_TOLERANCE) is True
    assert T0 + FUTURE_TOLERANCE + DAY == ledger.next_release_at(T0)


def test_store_handles_out_of_order_and_resent_recipients() -> None:
    """The in-memory store keeps the exact oldest instant through late and repeated sends."""
    store = InMemoryLedgerStore()
    assert store.oldest() is None
    assert store.set_counted(ALICE, T0 + timedelta(hours=2)) is True
    assert store.set_counted(BOB, T0) is True  # late: goes to the heap
    assert store.set_counted(CAROL, T0 + timedelta(hours=3)) is True
    assert T0 == store.oldest()
    assert store.set_counted(BOB, T0 + timedelta(hours=5)) is False  # heap entry goes stale
    assert store.set_counted(ALICE, T0 + timedelta(hours=4)) is False  # queue entry stale
    assert store.set_counted(ALICE, T0) is False  # earlier than kept: no change
    assert T0 + timedelta(hours=3) == store.oldest()
    store.expire(T0 + timedelta(hours=3))
    assert {ALICE: T0 + timedelta(hours=4), BOB: T0 + timedelta(hours=5)} == dict(store.items())
    assert T0 + timedelta(hours=4) == store.oldest()
    assert "InMemoryLedgerStore(recipients=2)" == repr(store)
    store.expire(T0 + timedelta(hours=10))
    assert 0 == len(store)
    assert store.oldest() is None


def test_store_expiry_moves_resent_recipients_along() -> None:
    """Expiring past a stale entry keeps its recipient at the later instant, in both structures."""
    store = InMemoryLedgerStore()
    store.set_counted(ALICE, T0 + timedelta(hours=1))
    store.set_counted(BOB, T0)  # heap
    store.set_counted(BOB, T0 + timedelta(hours=6))
    store.set_counted(ALICE, T0 + timedelta(hours=7))
    store.expire(T0 + timedelta(hours=2))
    assert {ALICE: T0 + timedelta(hours=7), BOB: T0 + timedelta(hours=6)} == dict(store.items())
    assert T0 + timedelta(hours=6) == store.oldest()
    store.expire(T0 + timedelta(hours=6))
    assert [ALICE] == [r for r, _ in store.items()]


def test_memory_stays_bounded_by_recipients_in_the_window() -> None:
    """Many re-sends and expired recipients leave one entry per recipient inside the window."""
    ledger = new_ledger()
    for minute in range(3 * 24 * 60):
        ledger.record(RECIPIENTS[minute % 3], T0 + timedelta(minutes=minute))
    ledger.record(ALICE, T0 + timedelta(days=3))
    store = ledger.store
    assert isinstance(store, InMemoryLedgerStore)
    assert 4 == len(store)
    assert 4 == len(store._queue) + len(store._heap)
    assert "LimitLedger(scope=" in repr(ledger)


def test_dump_is_json_and_round_trips() -> None:
    """A dumped ledger is plain JSON and loads back to one that dumps and answers the same."""
    ledger = new_ledger()
    ledger.record(ALICE, T0)
    ledger.record(CAROL, T0, at=T0 - timedelta(hours=2))
    data = json.loads(json.dumps(dump_ledger(ledger)))
    loaded = load_ledger(data, rules=RULES)
    assert data == dump_ledger(loaded)
    assert [
        {"bsuid": "US.carol-1", "at": "2026-11-23T07:00:00Z"},
        {
            "wa_id": "4915123456789",
            "at": "2026-11-23T09:00:00Z",
        },
    ] == data["counted"]
    assert ledger.next_release_at(T0) == loaded.next_release_at(T0)
    assert load_ledger(dump_ledger(new_ledger()), rules=RULES).latest is None


def test_load_refuses_a_non_empty_store() -> None:
    """Loading into a store that already keeps recipients is refused."""
    store = InMemoryLedgerStore()
    store.set_counted(ALICE, T0)
    with pytest.raises(InvalidValueError, match="store"):
        load_ledger(dump_ledger(new_ledger()), rules=RULES, store=store)


def _stored() -> dict[str, object]:
    ledger = new_ledger()
    ledger.record(ALICE, T0)
    return dump_ledger(ledger)


def _set(path: tuple[object, ...], value: object) -> dict[str, object]:
    data = copy.deepcopy(_stored())
    target: object = data
    for part in path[:-1]:
        target = target[part]  # type: ignore[index]
    if value is _DELETE:
        del target[path[-1]]  # type: ignore[attr-defined]
    else:
        target[path[-1]] = value  # type: ignore[index]
    return data


_DELETE = object()
_ALICE_ENTRY = {"wa_id": "4915123456789", "at": "2026-11-23T09:00:00Z"}


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("format",), "other", "format"),
        (("version",), 2, "version"),
        (("version",), True, "version"),
        (("version",), _DELETE, "version"),
        (("extra",), 1, "extra"),
        (("scope",), [], "scope"),
        (("scope", "kind"), "waba", "scope.kind"),
        (("scope", "graph_id"), "x", "scope.graph_id"),
        (("latest",), "yesterday", "latest"),
        (("latest",), "2026-11-23T09:00:00", "latest"),
        (("counted",), {}, "counted"),
        (("counted", 0), "4915123456789", "counted[0]"),
        (("counted", 0, "wa_id"), "+49", "counted[0].wa_id"),
        (("counted", 0, "bsuid"), "x", "counted[0]"),
        (("counted", 0, "at"), 5, "counted[0].at"),
        (("counted", 0, "at"), _DELETE, "counted[0].at"),
        (("counted", 0, "note"), "hi", "counted[0].note"),
        (("counted",), [_ALICE_ENTRY, _ALICE_ENTRY], "counted[1]"),
    ],
)
def test_corrupt_data_is_refused_naming_the_field(
    path: tuple[object, ...], value: object, field: str
) -> None:
    """Every malformed part of a stored ledger raises `StoredDataError` naming its path."""
    with pytest.raises(StoredDataError) as error:
        load_ledger(_set(path, value), rules=RULES)
    assert field == error.value.field


def test_load_refuses_what_is_not_an_object() -> None:
    """A stored ledger must be a JSON object."""
    with pytest.raises(StoredDataError) as error:
        load_ledger([], rules=RULES)
    assert "$" == error.value.field


_recipients = st.sampled_from(RECIPIENTS)
_steps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30))


@given(
    sends=st.lists(
        st.tuples(_recipients, _steps, st.timedeltas(timedelta(0), timedelta(hours=26))),
        max_size=40,
    )
)
def test_round_trip_of_any_ledger(sends: list[tuple[WaId, timedelta, timedelta]]) -> None:
    """Any ledger dumps and loads back to the same document and the same answers."""
    ledger = new_ledger()
    now = T0
    for recipient, step, lateness in sends:
        now += step
        ledger.record(recipient, now, at=now - lateness)
    loaded = load_ledger(json.loads(json.dumps(dump_ledger(ledger))), rules=RULES)
    assert dump_ledger(ledger) == dump_ledger(loaded)
    assert ledger.opened(now) == loaded.opened(now)
    assert ledger.next_release_at(now) == loaded.next_release_at(now)


class LedgerMachine(RuleBasedStateMachine):
    """The ledger against a list of (recipient, instant) filtered to the last 24 hours.

    `store_kind` picks where the counts live: the core's in-memory ledger store, or the
    ledger section of a SQLite or Redis store (held open for the whole run).
    """

    store_kind = "core"

    def __init__(self) -> None:
        """Start with no ledger; `start` builds it."""
        super().__init__()
        self.now = T0
        self.sends: list[tuple[WaId | BusinessScopedUserId, datetime]] = []
        self.admitted: list[tuple[WaId | BusinessScopedUserId, datetime]] = []
        self.sections = contextlib.ExitStack()
        self.ledger = LimitLedger(scope=PORTFOLIO, rules=RULES, store=self.new_store())
        self.limit = MessagingLimit(users=3)
        self.ungated = False

    @initialize(users=st.integers(min_value=1, max_value=5))
    def start(self, users: int) -> None:
        """Pick the messaging limit the gated sends respect."""
        self.limit = MessagingLimit(users=users)

    def counted(self, now: datetime) -> set[WaId | BusinessScopedUserId]:
        """Reference: the unique recipients sent to in (now - 24 h, now]."""
        return {r for r, at in self.sends if now - DAY < at <= now + FUTURE_TOLERANCE}

    @rule(step=_steps)
    def time_passes(self, step: timedelta) -> None:
        """Advance the clock."""
        self.now += step

    @rule(recipient=_recipients, lateness=st.timedeltas(timedelta(0), timedelta(hours=25)))
    def record(self, recipient: WaId, lateness: timedelta) -> None:
        """Record a send (maybe learnt late); it takes a slot exactly when the reference says."""
        at = self.now - lateness
        self.ungated = True
        expected = at > self.now - DAY and recipient not in self.counted(self.now)
        assert expected == self.ledger.record(recipient, self.now, at=at)
        if at > self.now - DAY:
            self.sends.append((recipient, at))

    @rule(recipient=_recipients)
    def gated_send(self, recipient: WaId) -> None:
        """Send only when a slot remains or none is needed; a re-send never takes a second."""
        remaining = self.ledger.remaining(self.limit, self.now)
        new_slot = self.ledger.would_count(recipient, self.now)
        assert (recipient not in self.counted(self.now)) == new_slot
        if remaining is None or remaining > 0 or not new_slot:
            assert new_slot == self.ledger.record(recipient, self.now)
            self.sends.append((recipient, self.now))
            self.admitted.append((recipient, self.now))

    @rule(recipient=_recipients)
    def reply_in_open_window(self, recipient: WaId) -> None:
        """A reply in an open service window never counts."""
        assert self.ledger.record(recipient, self.now, window_open=True) is False

    @rule(recipient=_recipients, ahead=st.timedeltas(timedelta(minutes=1), timedelta(hours=2)))
    def future_send_is_refused(self, recipient: WaId, ahead: timedelta) -> None:
        """A send too far ahead of `now` raises and leaves the ledger unchanged."""
        before = dump_ledger(self.ledger)
        with pytest.raises(InvalidValueError):
            self.ledger.record(recipient, self.now, at=self.now + ahead)
        assert before == dump_ledger(self.ledger)

    @precondition(lambda self: self.sends)
    @rule()
    def round_trip(self) -> None:
        """Swap the ledger for its dumped-and-loaded copy; nothing observable changes."""
        data = json.loads(json.dumps(dump_ledger(self.ledger)))
        self.ledger = load_ledger(data, rules=RULES, store=self.new_store())
        assert data == dump_ledger(self.ledger)

    def new_store(self) -> LedgerStore:
        """An empty ledger store of the machine's kind."""
        if self.store_kind == "core":
            return InMemoryLedgerStore()
        from .conftest import make_store

        store = make_store(self.store_kind, lease=600)
        self.sections.callback(store.close)
        return self.sections.enter_context(store.ledger(PORTFOLIO))

    def teardown(self) -> None:
        """Close the stores' sections."""
        self.sections.close()

    @invariant()
    def matches_the_reference(self) -> None:
        """Opened count and next release equal the reference's."""
        counted = self.counted(self.now)
        assert len(counted) == self.ledger.opened(self.now)
        latest = {r: max(at for s, at in self.sends if s == r) for r in counted}
        expected = min(latest.values()) + DAY if latest else None
        assert expected == self.ledger.next_release_at(self.now)

    @invariant()
    def gated_sends_never_exceed_the_limit(self) -> None:
        """With every send gated, no 24-hour span holds more unique recipients than the limit."""
        if self.ungated:
            return
        for _, end in self.admitted[-3:]:
            span = {r for r, at in self.admitted if end - DAY < at <= end}
            assert self.limit.users is not None
            assert len(span) <= self.limit.users


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachineOnSqlite = type("OnSqlite", (LedgerMachine,), {"store_kind": "sqlite"}).TestCase
TestLedgerMachineOnRedis = pytest.mark.redis(
    type("OnRedis", (LedgerMachine,), {"store_kind": "redis"}).TestCase
)
TestLedgerMachineOnRedis.settings = settings(max_examples=30, deadline=None)  # a round trip a call


def test_attrs_scope_key_is_frozen() -> None:
    """A scope key is a frozen value."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        PORTFOLIO.graph_id = "1"  # type: ignore[misc]
