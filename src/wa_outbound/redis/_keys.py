"""Where things live in Redis, the Lua scripts that change them, and instants as integers.

Theory of operation
-------------------
Every key starts with `<prefix>:v<SCHEMA_VERSION>:` and then a hash tag in braces, so a
release that changes the layout reads nothing an older one wrote, and Redis Cluster puts all
the keys one script touches on one slot (a script may only touch keys of one slot):

* documents, their per-kind index and the processed event ids of a store's namespace:
  `wa_outbound:v1:{<namespace>}:doc:<kind>:<subject>` (a string `"<version> <json>"`),
  `...:{<namespace>}:index:<kind>` (a sorted set of subjects, for `keys`),
  `...:{<namespace>}:events` (a sorted set, event id -> instant);
* a messaging-limit ledger: `wa_outbound:v1:{<scope kind>:<graph id>}:ledger` (a sorted set,
  recipient -> instant counted) and `...:ledger:lock` (the lease of a write section);
* a pacer: `wa_outbound:v1:{pacer:<phone number id>}:tat` (a hash: the number's theoretical
  arrival time and the latest instant seen) and `...:pairs` (a sorted set, recipient -> the
  pair-rate bucket's theoretical arrival time).

Instants are integer microseconds since 1970-01-01 UTC: a sorted set's score is a double, which
holds every such integer exactly up to 2**53 (the year 2255), and so does a Lua number.

Each check-and-record is one Lua script: Redis runs a script alone, so no other client's command
comes between its read and its write, on one server or on the slot's node in a cluster.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

import redis.exceptions

from wa_outbound._errors import InvalidValueError, StoreUnavailable
from wa_outbound._time import UTC

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "ADMIT",
    "COMMIT",
    "FENCED_EXPIRE",
    "FENCED_SET",
    "PACE",
    "RELEASE",
    "SCHEMA_VERSION",
    "checked_name",
    "instant",
    "micros",
    "span",
    "text",
    "unavailable",
]

SCHEMA_VERSION: Final = 1
"""The key layout this release writes and reads (`v1` in every key)."""

_NAME: Final = re.compile(r"[^{}\s\x00-\x1f\x7f]{1,200}")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def checked_name(field: str, value: object) -> str:
    """Return `value` if it may be part of a key (no braces, spaces or control characters)."""
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        raise InvalidValueError(
            field, value, "expected 1 to 200 characters without braces, spaces or control codes"
        )
    return value


def micros(at: datetime) -> int:
    """Return an aware instant as integer microseconds since 1970-01-01 UTC."""
    return (at - _EPOCH) // _MICROSECOND


def instant(value: float | str | bytes) -> datetime:
    """Return the instant a score or a script's integer reply holds."""
    return _EPOCH + timedelta(microseconds=int(float(value)))


def span(duration: timedelta) -> int:
    """Return a duration in whole microseconds."""
    return duration // _MICROSECOND


def text(value: str | bytes) -> str:
    """Return a reply as text, whether the client decodes responses or not."""
    return value.decode() if isinstance(value, bytes) else value


@contextlib.contextmanager
def unavailable(name: str) -> Iterator[None]:
    """Turn every Redis failure inside the block into `StoreUnavailable` naming `name`."""
    try:
        yield
    except redis.exceptions.RedisError as error:
        raise StoreUnavailable(name, f"{type(error).__name__}: {error}") from None


COMMIT: Final = """
-- KEYS: the n documents, then the indexes, then the events key.
-- ARGV: n, events ttl (ms), events instant, event count, then per document
--       (expected version, body or '' to remove it, subject, index position in KEYS),
--       then the event ids. A JSON object is never '', so '' cannot be a body.
local n = tonumber(ARGV[1])
local stale = {}
for i = 1, n do
  local current = redis.call('GET', KEYS[i])
  local version = 0
  if current then version = tonumber(string.match(current, '^(%d+) ')) end
  if version ~= tonumber(ARGV[4 + 4 * (i - 1) + 1]) then stale[#stale + 1] = i end
end
if #stale > 0 then return stale end
for i = 1, n do
  local base = 4 + 4 * (i - 1)
  local index = KEYS[tonumber(ARGV[base + 4])]
  if ARGV[base + 2] == '' then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', index, ARGV[base + 3])
  else
    redis.call('SET', KEYS[i], (tonumber(ARGV[base + 1]) + 1) .. ' ' .. ARGV[base + 2])
    redis.call('ZADD', index, 0, ARGV[base + 3])
  end
end
local events = tonumber(ARGV[4])
if events > 0 then
  local key = KEYS[#KEYS]
  for i = 4 + 4 * n + 1, 4 + 4 * n + events do
    redis.call('ZADD', key, 'NX', ARGV[3], ARGV[i])
  end
  redis.call('PEXPIRE', key, ARGV[2])
end
return stale
"""
"""Compare every document's version, then write (or remove) them all and record the events,
or nothing."""

ADMIT: Final = """
-- KEYS[1]: the ledger. ARGV: instant, cutoff, limit (-1: none), ttl (ms), open (1/0), then
-- the recipients, admitted in order. Returns per recipient
-- {admitted, new slot, recipients counted after it, oldest instant or -1}.
local key = KEYS[1]
local at = tonumber(ARGV[1])
local cutoff = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local counted = redis.call('ZCARD', key)
local free = ARGV[5] == '1' or at <= cutoff
local touched = false
local out = {}
for i = 6, #ARGV do
  local admitted, new, oldest = 1, 0, -1
  if free then
    admitted = 1
  elseif redis.call('ZSCORE', key, ARGV[i]) then
    redis.call('ZADD', key, 'GT', ARGV[1], ARGV[i])
    touched = true
  elseif limit >= 0 and counted >= limit then
    admitted = 0
    oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or -1)
  else
    redis.call('ZADD', key, ARGV[1], ARGV[i])
    counted = counted + 1
    new = 1
    touched = true
  end
  out[#out + 1] = admitted
  out[#out + 1] = new
  out[#out + 1] = counted
  out[#out + 1] = oldest
end
if touched then redis.call('PEXPIRE', key, ARGV[4]) end
return out
"""
"""Forget expired slots, then count each recipient if it holds a slot or one remains."""

_LEASE_CHECK: Final = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return redis.error_reply('WA_OUTBOUND_LEASE_LOST the write section outlived its lease')
end
"""

FENCED_SET: Final = (
    _LEASE_CHECK
    + """
local added = redis.call('ZADD', KEYS[1], 'GT', ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return added
"""
)
"""Inside a write section: count a recipient at an instant (never earlier than kept)."""

FENCED_EXPIRE: Final = (
    _LEASE_CHECK
    + """
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
"""
)
"""Inside a write section: forget the slots counted at or before the cutoff."""

RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""Give a write section's lease back, if it is still ours."""

PACE: Final = """
-- KEYS[1]: the number's hash (tat, latest); KEYS[2]: the pair-rate buckets.
-- ARGV: recipient, now, interval, tolerance, pair interval, pair tolerance, record (1/0),
--       margin (ms). Returns the instant the message may go out.
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'latest')
local latest = tonumber(state[2])
if latest and now < latest then now = latest end
local tat = tonumber(state[1])
local tolerance = tonumber(ARGV[4])
local at = now
if tat and tat > now + tolerance then at = tat - tolerance end
local new_tat = at + tonumber(ARGV[3])
if tat and tat > at then new_tat = tat + tonumber(ARGV[3]) end
local pair = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]))
local pair_tolerance = tonumber(ARGV[6])
if pair and pair > at + pair_tolerance then at = pair - pair_tolerance end
if ARGV[7] ~= '1' then return at end
local new_pair = at + tonumber(ARGV[5])
if pair and pair > at then new_pair = pair + tonumber(ARGV[5]) end
-- Lua would print these numbers with 14 digits: write them as integers.
redis.call('HSET', KEYS[1], 'tat', string.format('%d', new_tat), 'latest', string.format('%d', now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now))
redis.call('ZADD', KEYS[2], string.format('%d', new_pair), ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local until_full = math.max(new_tat, tonumber(last[2])) - now
local ttl = string.format('%d', math.floor(until_full / 1000) + tonumber(ARGV[8]))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return at
"""
"""The pacer's GCRA step for the number's throughput and the pair rate, as `Pacer.admit`."""
