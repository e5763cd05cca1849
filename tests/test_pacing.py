"""Pacing: token buckets (GCRA) and the per-number pacer, driven by `now`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    InvalidValueError,
    NaiveDatetimeError,
    PhoneNumberId,
    Provenance,
    WaId,
    rules_at,
)
from wa_outbound._ids import BusinessScopedUserId
from wa_outbound._pacing import Pacer, ThroughputClass, TokenBucket

UTC = timezone.utc
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULES = rules_at(T0)
BUSINESS = PhoneNumberId("106540352242922")
ALICE = WaId("4915123456789")
BOB = WaId("4915198765432")
US = timedelta(microseconds=1)


def _pacer(**kwargs: object) -> Pacer:
    return Pacer(business=BUSINESS, rules=kwargs.pop("rules", RULES), **kwargs)  # type: ignore[arg-type]


def _count_ok(instants: list[datetime], interval: timedelta, burst: int) -> None:
    ordered = sorted(instants)
    for i, start in enumerate(ordered):
        for j in range(i, len(ordered)):
            span = ordered[j] - start
            assert j - i + 1 <= span / interval + burst


@given(
    interval_us=st.integers(1, 10_000),
    burst=st.integers(1, 5),
    offsets=st.lists(st.integers(0, 50_000), max_size=40),
)
def test_bucket_never_exceeds_rate_times_span_plus_burst(
    interval_us: int, burst: int, offsets: list[int]
) -> None:
    """Over any span, the recorded instants number at most rate x span + burst, in any order."""
    bucket = TokenBucket(interval=timedelta(microseconds=interval_us), burst=burst)
    admitted = [bucket.admit(T0 + timedelta(microseconds=o)) for o in offsets]
    for offset, at in zip(offsets, admitted, strict=True):
        assert at >= T0 + timedelta(microseconds=offset)
    _count_ok(admitted, timedelta(microseconds=interval_us), burst)


def test_bucket_admits_a_burst_then_one_per_interval() -> None:
    """A full bucket of burst 3 admits three at once; the fourth waits one interval."""
    bucket = TokenBucket(interval=timedelta(seconds=1), burst=3)
    assert [T0, T0, T0] == [bucket.admit(T0) for _ in range(3)]
    assert T0 + timedelta(seconds=1) == bucket.peek(T0)
    assert T0 + timedelta(seconds=1) == bucket.admit(T0)
    assert T0 + timedelta(seconds=2) == bucket.admit(T0)
    assert not bucket.is_full(T0 + timedelta(seconds=5) - US)
    assert bucket.is_full(T0 + timedelta(seconds=5))


def test_bucket_per_second_rounds_the_interval_up() -> None:
    """3 per second gives 333,334 µs, so the pace never exceeds the rate."""
    bucket = TokenBucket.per_second(3)
    assert timedelta(microseconds=333_334) == bucket.interval
    assert 1 == bucket.burst
    assert "TokenBucket(interval=" in repr(bucket)
    bucket.admit(T0)
    assert repr(T0 + bucket.interval) in repr(bucket)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"interval": timedelta(0)}, "interval"),
        ({"interval": 6}, "interval"),
        ({"interval": timedelta(seconds=1), "burst": 0}, "burst"),
        ({"interval": timedelta(seconds=1), "burst": True}, "burst"),
    ],
)
def test_bucket_refuses_bad_parameters(kwargs: dict[str, object], field: str) -> None:
    """A non-positive interval or burst raises `InvalidValueError` naming it."""
    with pytest.raises(InvalidValueError) as info:
        TokenBucket(**kwargs)  # type: ignore[arg-type]
    assert field == info.value.field


def test_bucket_refuses_naive_now() -> None:
    """A naive `now` raises `NaiveDatetimeError` naming `now`, and records nothing."""
    bucket = TokenBucket.per_second(1)
    for method in (bucket.admit, bucket.peek, bucket.is_full):
        with pytest.raises(NaiveDatetimeError) as info:
            method(datetime(2026, 1, 1))
        assert "now" == info.value.field
    assert bucket.is_full(T0)


def test_bucket_accepts_other_time_zones() -> None:
    """An aware `now` in another zone is the same instant in UTC."""
    bucket = TokenBucket.per_second(1)
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))
    assert T0 == bucket.admit(plus_two)
    assert T0 + timedelta(seconds=1) == bucket.admit(plus_two)


@pytest.mark.parametrize(
    ("throughput_class", "rate"),
    [
        (ThroughputClass.DEFAULT, 80),
        (ThroughputClass.UPGRADED, 1000),
        (ThroughputClass.COEXISTENCE, 20),
    ],
)
def test_throughput_comes_from_the_rules(throughput_class: ThroughputClass, rate: int) -> None:
    """Each throughput class reads its own rule: 80, 1,000 or 20 messages per second."""
    assert rate == throughput_class.rate(RULES)
    pacer = _pacer(throughput_class=throughput_class)
    assert timedelta(seconds=1) / rate == pacer.throughput_interval
    assert throughput_class == pacer.throughput_class


def test_pair_rate_allows_a_burst_then_one_every_six_seconds() -> None:
    """One recipient gets 45 messages at once, then one every 6 s; 131056 never triggers."""
    pacer = _pacer(throughput_burst=100)
    assert [T0] * 45 == [pacer.admit(ALICE, T0) for _ in range(45)]
    assert T0 + timedelta(seconds=6) == pacer.admit(ALICE, T0)
    assert T0 + timedelta(seconds=12) == pacer.admit(ALICE, T0)


def test_pair_rate_is_per_recipient() -> None:
    """Exhausting one recipient's pair rate leaves another's untouched."""
    pacer = _pacer(throughput_burst=100)
    for _ in range(46):
        pacer.admit(ALICE, T0)
    assert T0 == pacer.admit(BOB, T0)
    assert T0 == pacer.admit(BusinessScopedUserId("US.1234"), T0)
    assert T0 + timedelta(seconds=12) == pacer.peek(ALICE, T0)


def test_a_recipient_held_by_its_pair_rate_does_not_hold_the_others() -> None:
    """A message scheduled 6 s ahead by the pair rate leaves the throughput queue free."""
    rules = attrs.evolve(RULES, pair_rate_burst=1)
    pacer = _pacer(rules=rules)
    assert T0 == pacer.admit(ALICE, T0)
    assert T0 + timedelta(seconds=6) == pacer.admit(ALICE, T0)
    assert T0 + 2 * pacer.throughput_interval == pacer.admit(BOB, T0)


def test_throughput_is_shared_across_recipients() -> None:
    """Messages to different recipients queue behind each other at the number's rate."""
    pacer = _pacer()
    step = timedelta(seconds=1) / 80
    recipients = [WaId(f"4915100000{i:03d}") for i in range(5)]
    assert [T0 + step * i for i in range(5)] == [pacer.admit(r, T0) for r in recipients]


@given(
    burst=st.integers(1, 4),
    steps=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 300_000)), max_size=30),
)
def test_pacer_answer_is_the_earliest_instant(burst: int, steps: list[tuple[int, int]]) -> None:
    """Admitting at the returned instant succeeds at once; a microsecond earlier does not."""
    rules = attrs.evolve(RULES, pair_rate_burst=burst, pair_rate_interval=timedelta(seconds=1))
    pacer = _pacer(rules=rules, throughput_class=ThroughputClass.COEXISTENCE)
    recipients = [ALICE, BOB, WaId("33612345678")]
    now = T0
    sent: dict[WaId, list[datetime]] = {r: [] for r in recipients}
    for who, advance in steps:
        now += timedelta(microseconds=advance)
        recipient = recipients[who]
        expected = pacer.peek(recipient, now)
        if expected > now:
            assert pacer.peek(recipient, expected - US) > expected - US
        assert expected == pacer.peek(recipient, expected)
        actual = pacer.admit(recipient, now)
        assert expected == actual
        sent[recipient].append(actual)
    for instants in sent.values():
        _count_ok(instants, timedelta(seconds=1), burst)


def test_memory_stays_bounded() -> None:
    """Pair-rate buckets that are full again are forgotten: a long campaign keeps few."""
    pacer = _pacer(throughput_class=ThroughputClass.UPGRADED)
    now = T0
    for i in range(20_000):
        now += timedelta(milliseconds=100)
        pacer.admit(WaId(f"49151{i:08d}"), now)
        assert pacer.tracked_recipients <= 2048
    # Recipients of the last 6 s (one message each) are all that must be remembered.
    assert pacer.tracked_recipients >= 60
    assert "tracked_recipients=" in repr(pacer)


def test_forgotten_bucket_behaves_like_a_new_one() -> None:
    """A recipient forgotten by a sweep gets a full burst again, as it would have anyway."""
    pacer = _pacer(throughput_class=ThroughputClass.UPGRADED)
    pacer.admit(ALICE, T0)
    later = T0 + timedelta(minutes=10)
    for i in range(1100):
        pacer.admit(WaId(f"49151{i:08d}"), later)
    assert 1100 == pacer.tracked_recipients  # Alice's full bucket was swept away
    assert later + timedelta(seconds=2) == pacer.admit(ALICE, later + timedelta(seconds=2))


def test_naive_now_is_refused_and_nothing_recorded() -> None:
    """A naive `now` raises `NaiveDatetimeError` naming `now`; the pacer is unchanged."""
    pacer = _pacer()
    naive = datetime(2026, 11, 23, 9, 0)
    for method in (pacer.admit, pacer.peek):
        with pytest.raises(NaiveDatetimeError) as info:
            method(ALICE, naive)
        assert "now" == info.value.field
    assert 0 == pacer.tracked_recipients
    assert T0 == pacer.admit(ALICE, T0)


def test_backwards_now_is_clamped_to_the_latest_seen() -> None:
    """A `now` earlier than one already seen counts as that later instant (never refused)."""
    pacer = _pacer()
    later = T0 + timedelta(seconds=10)
    assert later == pacer.admit(ALICE, later)
    assert later + pacer.throughput_interval == pacer.peek(BOB, T0)
    assert later + pacer.throughput_interval == pacer.admit(BOB, T0)
    # The clamp does not move the latest instant backwards either.
    assert later + 2 * pacer.throughput_interval == pacer.admit(WaId("33612345678"), T0)


def test_rules_overrides_change_the_pace() -> None:
    """`attrs.evolve` on the rules changes the pacer's throughput and pair rate."""
    rules = attrs.evolve(
        RULES, throughput_default=10, pair_rate_interval=timedelta(seconds=1), pair_rate_burst=1
    )
    pacer = _pacer(rules=rules)
    assert timedelta(milliseconds=100) == pacer.throughput_interval
    assert T0 == pacer.admit(ALICE, T0)
    assert T0 + timedelta(seconds=1) == pacer.admit(ALICE, T0)
    assert T0 + timedelta(milliseconds=200) == pacer.admit(BOB, T0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"throughput_class": "DEFAULT"}, "throughput_class"),
        ({"throughput_burst": 0}, "throughput_burst"),
    ],
)
def test_pacer_refuses_bad_parameters(kwargs: dict[str, object], field: str) -> None:
    """A wrong throughput class or burst raises `InvalidValueError` naming it."""
    with pytest.raises(InvalidValueError) as info:
        _pacer(**kwargs)
    assert field == info.value.field


def test_baseline_rules_carry_the_pacing_figures() -> None:
    """The 2023 baseline and today's rules give 80 / 1,000 / 20 mps and 45 per 6 s (Meta)."""
    for rules in (rules_at(datetime(2023, 1, 1, tzinfo=UTC)), RULES):
        assert 80 == rules.throughput_default.value
        assert 1000 == rules.throughput_upgraded.value
        assert 20 == rules.throughput_coexistence.value
        assert timedelta(seconds=6) == rules.pair_rate_interval.value
        assert 45 == rules.pair_rate_burst.value
        assert rules.pair_rate_burst.source.provenance is Provenance.OFFICIAL
        assert "about-the-platform" in rules.pair_rate_burst.source.url
