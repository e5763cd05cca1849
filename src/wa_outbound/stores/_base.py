"""The store protocol: versioned documents, compare-and-set writes, processed events, ledgers.

Theory of operation
-------------------
A store keeps JSON documents under a `StateKey` (what kind of state, and whose), each with a
version that grows by one on every write. It never interprets a document: the state façade
loads values from documents and dumps them back through the wire formats, so a store is
storage only and the same answers come from every store.

Writes are optimistic: a writer reads documents with their versions, computes the new values
without holding anything, then commits every changed document with the version it read
(`Write.expected_version`, 0 for "must not exist yet"). A commit may also remove documents,
each on the same condition (`Delete.expected_version`). The commit is all or nothing: if any
version differs, nothing is written or removed and `WriteConflict` names the keys; the writer
reads again and retries. The ids of the webhook events a batch carried are recorded in the
same commit, so a batch delivered twice is recognised and applied once.

A removed key is absent again: its next write expects version 0 and makes version 1. So a
writer holding an old read of a key that was removed and then written anew could overwrite
the new document; remove only documents whose keys are not written again (an outbox entry's
fresh idempotency key), or that nobody still holds a read of.

The messaging-limit ledger is the one high-volume value: a sorted set of recipients with the
instant each was counted. It is not a document but a `LedgerStore` (the core's protocol) that
a store hands out inside an exclusive section (`Store.ledger(scope)`), so that checking the
limit and recording a slot are one atomic step across processes.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from wa_outbound import _wire
from wa_outbound._errors import InvalidValueError, StoredDataError, WriteConflict
from wa_outbound._time import UTC, utc

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
    from contextlib import AbstractContextManager

    from wa_outbound._ids import Recipient
    from wa_outbound._ledger import LedgerStore, LimitScopeKey

__all__ = [
    "EVENT_ID_MAX_LENGTH",
    "LISTING_BATCH",
    "Delete",
    "StateKey",
    "StateKind",
    "Store",
    "Stored",
    "Write",
    "blocks",
    "check_events",
    "decode_document",
    "documents_of",
    "encode_document",
    "encode_writes",
    "plain_write",
    "recipient_from_text",
    "recipient_text",
    "remove_unchanged",
    "scope_text",
]

EVENT_ID_MAX_LENGTH: Final = 512
"""The longest webhook event id a store records (Meta's `wamid`s are about 60 characters)."""

_KEY_ID: Final = re.compile(r"[^\x00-\x1f\x7f]{1,1024}")


class StateKind(enum.Enum):
    """What kind of state a document holds."""

    CONVERSATION = "conversation"
    """A `Conversation`, by business phone number and recipient."""
    TEMPLATE = "template"
    """A `TemplateState`, by WhatsApp Business Account, name and language."""
    ACCOUNT = "account"
    """An `AccountHealth`, by business phone number."""
    DELIVERY = "delivery"
    """A message's delivery tracking, by message id."""
    PACER = "pacer"
    """A `Pacer`'s throughput bucket, by business phone number."""
    PAIR_RATE = "pair_rate"
    """A `Pacer`'s pair-rate bucket of one recipient, by business phone number and recipient."""
    NUMBER = "number"
    """A business phone number's configuration (its account and portfolio), by its id."""
    OUTBOX = "outbox"
    """A send the clients reserved before the request left (`wa_outbound.sending.OutboxEntry`),
    by its idempotency key."""


@attrs.frozen(cache_hash=True)
class StateKey:
    """Where one document lives: its kind and the id of whose state it is."""

    kind: StateKind = attrs.field()
    """What kind of state."""
    subject: str = attrs.field()
    """Whose state, as text (the façade builds it from typed ids)."""

    @kind.validator
    def _check_kind(self, _attribute: object, value: object) -> None:
        if not isinstance(value, StateKind):
            raise InvalidValueError("key.kind", value, "expected a StateKind")

    @subject.validator
    def _check_subject(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or _KEY_ID.fullmatch(value) is None:
            raise InvalidValueError(
                "key.subject", value, "expected 1 to 1,024 characters without control characters"
            )

    def __str__(self) -> str:
        """Return `kind/subject`, as error messages and logs show the key."""
        return f"{self.kind.value}/{self.subject}"


class Stored:
    """A document as a store holds it, with the version to pass back when writing it.

    A store that keeps JSON text hands it over as `text` (`Stored.of_text`); the document is
    then decoded on first use only, so a reader that recognises the text (the state façade
    keeps what it loaded, by text) never decodes it.
    """

    __slots__ = ("_document", "_key", "text", "version")

    version: int
    """Grows by one on every write; the first write makes version 1."""
    text: str | None
    """The document as the JSON text the store keeps; `None` when the store gave a dict."""

    def __init__(self, version: int, document: dict[str, Any]) -> None:
        """Hold `document` at `version`."""
        self.version = version
        self.text = None
        self._document: dict[str, Any] | None = document
        self._key = ""

    @classmethod
    def of_text(cls, key: StateKey, version: int, text: str) -> Stored:
        """Hold the JSON `text` stored under `key`, decoded on first use of `document`."""
        stored = cls.__new__(cls)
        stored.version = version
        stored.text = text
        stored._document = None  # noqa: SLF001 - its own class
        stored._key = str(key)  # noqa: SLF001 - its own class
        return stored

    @property
    def document(self) -> dict[str, Any]:
        """The JSON document (a fresh copy: changing it changes nothing stored).

        Raises:
            StoredDataError: The stored text is not a JSON object, naming the key.
        """
        if self._document is None:
            self._document = decode_document(self._key, self.text or "")
        return self._document

    def __eq__(self, other: object) -> bool:
        """Equal when the versions and the documents are."""
        if not isinstance(other, Stored):
            return NotImplemented
        return self.version == other.version and self.document == other.document

    __hash__ = None  # type: ignore[assignment] # a document is a dict: not hashable

    def __repr__(self) -> str:
        """Show the version and the document (its text while not decoded: never raises)."""
        if self._document is None:
            return f"Stored(version={self.version!r}, text={self.text!r})"
        return f"Stored(version={self.version!r}, document={self._document!r})"


@attrs.frozen
class Write:
    """One document to write, if the stored version is still the one that was read."""

    key: StateKey = attrs.field()
    """Where to write."""
    document: dict[str, Any] = attrs.field()
    """The new JSON document."""
    expected_version: int = attrs.field()
    """The version that was read; 0 when the key was absent (the write then creates it)."""
    _text: list[str] = attrs.field(init=False, factory=list, eq=False, repr=False)

    @property
    def text(self) -> str:
        """The document as compact JSON text, encoded once (the stores keep this text).

        Raises:
            InvalidValueError: The document holds a value JSON cannot represent (a set, a
                datetime, NaN, ...), naming the key.
        """
        if not self._text:
            self._text.append(encode_document(self.key, self.document))
        return self._text[0]

    @key.validator
    def _check_key(self, _attribute: object, value: object) -> None:
        if not isinstance(value, StateKey):
            raise InvalidValueError("write.key", value, "expected a StateKey")

    @document.validator
    def _check_document(self, _attribute: object, value: object) -> None:
        if not isinstance(value, dict):
            raise InvalidValueError("write.document", value, "expected a JSON object (a dict)")

    @expected_version.validator
    def _check_version(self, _attribute: object, value: object) -> None:
        if type(value) is not int or value < 0:
            raise InvalidValueError("write.expected_version", value, "expected an int >= 0")


@attrs.frozen
class Delete:
    """One document to remove, if the stored version is still the one that was read.

    Removing a key that is absent, with `expected_version` 0, is accepted and changes
    nothing (the key is absent, as expected); with any other version it is a conflict.
    """

    key: StateKey = attrs.field()
    """What to remove."""
    expected_version: int = attrs.field()
    """The version that was read (0: the key must be absent, and then nothing is removed)."""

    @key.validator
    def _check_key(self, _attribute: object, value: object) -> None:
        if not isinstance(value, StateKey):
            raise InvalidValueError("delete.key", value, "expected a StateKey")

    @expected_version.validator
    def _check_version(self, _attribute: object, value: object) -> None:
        if type(value) is not int or value < 0:
            raise InvalidValueError("delete.expected_version", value, "expected an int >= 0")


class Store(Protocol):
    """Where a service keeps what it knows: `MemoryStore`, `SqliteStore`, or your own.

    Every method is atomic on its own. A store never judges a document; it only keeps it.

    The asyncio shells (`AsyncSenderState`, the async clients) run a store's calls in a worker
    thread, so that the event loop never waits on its I/O. A store whose calls never wait
    (`MemoryStore`) says so with a class attribute `blocking = False`; they are then called
    directly, which saves a thread hop per call.
    """

    def read(self, keys: Collection[StateKey]) -> dict[StateKey, Stored]:
        """Return the stored documents of `keys`; a key never written is absent.

        A store that keeps JSON text returns `Stored.of_text(key, version, text)`: the text is
        then decoded only if the document is used, and the state façade recognises a document
        it loaded before by its text alone.
        """
        ...

    def commit(
        self,
        writes: Sequence[Write | Delete],
        *,
        events: Collection[str] = (),
        at: datetime | None = None,
    ) -> None:
        """Write (or remove) every document and record every event id, or nothing at all.

        Args:
            writes: The documents to write (`Write`) or remove (`Delete`), each with the
                version it was read at. A store that keeps JSON text keeps `Write.text`.
            events: Ids of webhook events now processed (recorded with `at`).
            at: When they were processed; required when `events` is not empty.

        Raises:
            WriteConflict: A stored version differs from the expected one.
            StoreUnavailable: The store cannot be written.
        """
        ...

    def seen(self, events: Collection[str]) -> frozenset[str]:
        """Return which of the event ids were recorded by an earlier commit."""
        ...

    def keys(self, kind: StateKind, *, prefix: str = "") -> list[StateKey]:
        """Return the keys of `kind` whose subject starts with `prefix`, sorted (for tools)."""
        ...

    def forget_events(self, before: datetime) -> int:
        """Forget event ids recorded before `before` (after the provider stops re-delivering).

        Returns:
            How many were forgotten.
        """
        ...

    def ledger(
        self, scope: LimitScopeKey, *, write: bool = True
    ) -> AbstractContextManager[LedgerStore]:
        """Hold the ledger of `scope`: exclusively to write, or as one consistent view to read.

        Writing, an exception inside the `with` block undoes what was recorded inside it
        (where the store can; see each store). Reading (`write=False`), the view is read-only:
        expiring slots only hides them from its answers.
        """
        ...

    def close(self) -> None:
        """Release what the store holds open (files, connections)."""
        ...


def recipient_text(recipient: Recipient) -> str:
    """Return a recipient as the text stores key it by (`wa_id:4915...`, `bsuid:US.x`)."""
    return f"{_wire.recipient_key(recipient)}:{recipient.value}"


def recipient_from_text(text: str, path: str) -> Recipient:
    """Return the recipient `recipient_text` wrote; refuse anything else naming `path`.

    Raises:
        StoredDataError: `text` is not `wa_id:...` or `bsuid:...` with a valid id.
    """
    kind, _, value = text.partition(":")
    try:
        return _wire.recipient(kind, value)
    except _wire.WireError as error:
        raise StoredDataError(path, text, error.reason) from None


LISTING_BATCH: Final = 500
"""How many documents the maintenance calls read, and remove, per store call."""


def documents_of(store: Store, kind: StateKind) -> Iterator[tuple[StateKey, Stored]]:
    """Every document of `kind`, by key, read `LISTING_BATCH` at a time (for maintenance)."""
    keys = store.keys(kind)
    for start in range(0, len(keys), LISTING_BATCH):
        chunk = keys[start : start + LISTING_BATCH]
        stored = store.read(chunk)
        for key in chunk:
            if key in stored:  # removed since it was listed
                yield key, stored[key]


def remove_unchanged(store: Store, deletes: Iterable[Delete]) -> int:
    """Remove each document unchanged since it was read; keep what another writer changed.

    The removals go `LISTING_BATCH` per commit. A commit refused for changed documents is
    tried again without them; a store naming keys it was not given removes nothing more.

    Returns:
        How many documents were removed.
    """
    pending = list(deletes)
    removed = 0
    for start in range(0, len(pending), LISTING_BATCH):
        batch = pending[start : start + LISTING_BATCH]
        while batch:
            try:
                store.commit(batch)
            except WriteConflict as conflict:  # noqa: PERF203 - trying again is the point
                changed = frozenset(conflict.keys)
                kept = [delete for delete in batch if str(delete.key) not in changed]
                if len(kept) == len(batch):
                    break
                batch = kept
            else:
                removed += len(batch)
                break
    return removed


def blocks(store: object) -> bool:
    """Whether `store`'s calls may wait on I/O (unless it says `blocking = False`)."""
    return getattr(store, "blocking", True) is not False


def scope_text(scope: LimitScopeKey) -> str:
    """Return the ledger scope as the text a store keys it by (`portfolio:123`)."""
    return f"{scope.kind.value}:{scope.graph_id}"


def encode_document(key: StateKey, document: Mapping[str, Any]) -> str:
    """Return `document` as compact JSON text, refusing what JSON cannot hold exactly.

    Raises:
        InvalidValueError: The document holds a value JSON cannot represent (a set, a
            datetime, NaN, ...), naming the key.
    """
    try:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValueError(str(key), "<document>", f"not JSON: {error}") from None


_orjson_dumps: Callable[[object], bytes] | None
try:  # an optional speed-up (the `fast` extra)
    from orjson import dumps as _orjson_dumps
except ImportError:  # pragma: no cover - depends on the environment
    _orjson_dumps = None


def plain_write(key: StateKey, document: dict[str, Any], expected_version: int) -> Write:
    """A `Write` of a document this library built itself, encoded with orjson when installed.

    Only for plain JSON: `dict`s with `str` keys, `list`s, `str`, `int`, finite `float`, `bool`
    and `None`, exactly those classes (the library's own dumps of checked values). orjson
    writes such a document as the standard library does, but about ten times faster; it would
    write NaN as `null` or an enum as its value, where `Write.text` refuses them, hence the
    restriction. A document orjson refuses (an integer beyond 64 bits) is encoded as
    `Write.text` encodes it.
    """
    write = Write(key=key, document=document, expected_version=expected_version)
    if _orjson_dumps is not None:
        with contextlib.suppress(TypeError):
            write._text.append(_orjson_dumps(document).decode())  # noqa: SLF001 - this module's
    return write


def encode_writes(writes: Iterable[Write | Delete]) -> list[tuple[Write | Delete, str | None]]:
    """Return each change with its document as JSON text (`None` for a `Delete`).

    Every change is checked before any is kept.

    Raises:
        InvalidValueError: An item is neither a `Write` nor a `Delete`, or a document is not
            JSON.
    """
    encoded: list[tuple[Write | Delete, str | None]] = []
    for write in writes:
        if isinstance(write, Delete):
            encoded.append((write, None))
        elif isinstance(write, Write):
            encoded.append((write, write.text))
        else:
            raise InvalidValueError("writes", write, "expected Write or Delete values")
    return encoded


def decode_document(key: str, text: str) -> dict[str, Any]:
    """Return the JSON object stored as `text`.

    Raises:
        StoredDataError: The stored text is not a JSON object, naming the key.
    """
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise StoredDataError(key, text[:80], f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise StoredDataError(key, value, "expected a JSON object")
    return value


def check_events(events: Iterable[str], at: datetime | None) -> tuple[tuple[str, ...], datetime]:
    """Validate the event ids and instant of a commit; return them as a tuple and aware UTC."""
    ids = tuple(events)
    for event in ids:
        if not isinstance(event, str) or not 0 < len(event) <= EVENT_ID_MAX_LENGTH:
            raise InvalidValueError(
                "events", event, f"expected event ids of 1 to {EVENT_ID_MAX_LENGTH} characters"
            )
    if at is None:
        if ids:
            raise InvalidValueError("at", None, "recording events needs the instant (at=)")
        return ids, _NO_INSTANT
    return ids, utc("at", at)


_NO_INSTANT: Final = datetime(1970, 1, 1, tzinfo=UTC)
