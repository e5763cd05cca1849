"""`SenderState`: everything a sender knows, kept in a store; the sync shell over the routing.

Theory of operation
-------------------
Each call loads what it needs from the store (with versions), computes with the pure core and
the pure routing (`_routing`), and writes back what changed with compare-and-set. When another
worker wrote first, the write is refused whole (`WriteConflict`) and the call starts again from
a fresh read, up to `max_attempts` times; so no update is lost and none is applied twice.
Webhook events are recorded as processed in the same commit as their effects, so a batch that
arrives twice is folded once.

The ledger of the messaging limit is the exception: it is held in the store's own exclusive
section (`Store.ledger`), because recording a slot is checked against every other worker's
slots. Recording the same send twice takes no second slot, so a retry after a lost
compare-and-set cannot double-count.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import time
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from wa_outbound import _wire
from wa_outbound._conversation import Conversation
from wa_outbound._decide import decide as decide_send
from wa_outbound._decision import Reason
from wa_outbound._errors import InvalidValueError, StoredDataError, WriteConflict, texts
from wa_outbound._facts import CallPermissionRequested, Fact, OutboundMessageSent
from wa_outbound._ids import PhoneNumberId, WaId
from wa_outbound._kinds import SendKind
from wa_outbound._ledger import LimitLedger, LimitScopeKey
from wa_outbound._pacing import Pacer
from wa_outbound._persistence import dump_conversation, load_conversation
from wa_outbound._persistence_pacer import (
    copy_pacer,
    dump_pair_rate,
    give_pair,
    load_pair_rate,
    take_pair,
)
from wa_outbound._rules import Rules, rules_at
from wa_outbound._time import utc
from wa_outbound.account import (
    AccountFact,
    AccountHealth,
    MessagingLimitChanged,
    PhoneNumberStatusChanged,
    QualityRatingChanged,
    dump_account_health,
    load_account_health,
)
from wa_outbound.limits import dump_pacer, load_pacer
from wa_outbound.state._routing import (
    BusinessNumber,
    Change,
    account_key,
    conversation_key,
    delivery_key,
    event_id,
    pacer_key,
    pair_rate_key,
    plan,
    route,
    sharing_limit,
    template_key,
)
from wa_outbound.stores._base import (
    Delete,
    StateKey,
    StateKind,
    Store,
    Stored,
    Write,
    documents_of,
    plain_write,
    remove_unchanged,
)
from wa_outbound.templates import TemplateState, dump_template_state, load_template_state
from wa_outbound.webhooks import (
    MessageDelivery,
    MessageEcho,
    dump_delivery,
    facts_from_events,
    load_delivery,
)

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from wa_outbound._decision import SendDecision
    from wa_outbound._ids import Recipient
    from wa_outbound._rates import RateCard
    from wa_outbound.webhooks import Event

__all__ = ["Received", "SenderState"]


@attrs.frozen
class Received:
    """What one webhook batch changed."""

    changes: tuple[Change, ...]
    """What changed, one line each."""
    processed: int
    """How many events were new and folded in."""
    skipped: int
    """How many events had been processed before (a provider's retry) and were skipped."""

    def __str__(self) -> str:
        """One line per change."""
        return "\n".join(change.summary for change in self.changes)


_Load = Callable[[object, "Rules | None"], object]
_Dump = Callable[[Any], dict[str, Any]]


_NUMBER: Final = _wire.StoredFormat(name="wa_outbound.business_number", version=1)


@functools.cache
def _number_converter() -> Any:  # noqa: ANN401 - a cattrs converter, imported late
    return _wire.make_converter()


def _load_number(data: object, _rules: Rules | None) -> BusinessNumber:
    body = _wire.check_header(data, _NUMBER)
    return _wire.structure(_number_converter(), body, BusinessNumber, StoredDataError)


def _dump_number(number: BusinessNumber) -> dict[str, Any]:
    data = _wire.header(_NUMBER)
    data.update(_number_converter().unstructure(number, BusinessNumber))
    return data


_CODECS: Final[dict[StateKind, tuple[_Load, _Dump]]] = {
    StateKind.CONVERSATION: (lambda data, _rules: load_conversation(data), dump_conversation),
    StateKind.TEMPLATE: (lambda data, _rules: load_template_state(data), dump_template_state),
    StateKind.ACCOUNT: (lambda data, _rules: load_account_health(data), dump_account_health),
    StateKind.DELIVERY: (lambda data, _rules: load_delivery(data), dump_delivery),
    StateKind.PACER: (lambda data, rules: load_pacer(data, rules=_given(rules)), dump_pacer),
    StateKind.NUMBER: (_load_number, _dump_number),
    StateKind.PAIR_RATE: (lambda data, _rules: load_pair_rate(data), dump_pair_rate),
}


_PLAIN: Final = frozenset({StateKind.CONVERSATION, StateKind.PACER, StateKind.PAIR_RATE})
"""The kinds whose dumps are plain JSON built from checked values (`plain_write` takes them);
a template keeps Graph's own JSON, so it is encoded as any document is."""


def _write(key: StateKey, document: dict[str, Any], expected_version: int) -> Write:
    return Write(key=key, document=document, expected_version=expected_version)


def _given(rules: Rules | None) -> Rules:
    if rules is None:  # pragma: no cover - every caller that reads a pacer passes its rules
        raise AssertionError
    return rules


_MEMO_SIZE: Final = 512
"""How many loaded values a `SenderState` keeps (the oldest is dropped first)."""


class _Memo:
    """Loaded values by key, reused while the stored document is still the one loaded.

    Loading a document (checking it and building its values) costs more than recognising it;
    a send reads the same conversation twice (decide, then record_sent), the number's pacer
    after its own last write, and the same template and account for every recipient. The
    stored JSON text is compared when the store gives it (the store then never decodes it),
    else the decoded document. A document that changed in any way is loaded again, so the
    answers are those of loading every time. A pacer is mutable: each read gets its own copy.
    Safe between threads: a race only loads a value twice.
    """

    def __init__(self) -> None:
        self._values: collections.OrderedDict[
            StateKey, tuple[str | None, dict[str, Any] | None, Any]
        ] = collections.OrderedDict()
        self._by_text = False
        """Whether the store hands over its text: documents need not be kept then (they would
        only add work for the garbage collector)."""

    def load(self, key: StateKey, stored: Stored, rules: Rules | None) -> Any:  # noqa: ANN401
        found = self._values.get(key)
        if found is not None and _same(found[0], found[1], stored):
            value = found[2]
        else:
            value = _load(key, stored, rules)
            if stored.text is not None:
                self._by_text = True
                self._remember(key, stored.text, None, value)
            else:
                self._remember(key, None, stored.document, value)
        return copy_pacer(value) if key.kind is StateKind.PACER else value

    def keep(self, write: Write, value: Any) -> None:  # noqa: ANN401
        """Remember `value` as what `write` (just committed) loads to."""
        document = None if self._by_text else write.document
        self._remember(write.key, write.text, document, value)

    def _remember(
        self,
        key: StateKey,
        text: str | None,
        document: dict[str, Any] | None,
        value: Any,  # noqa: ANN401
    ) -> None:
        values = self._values
        if len(values) >= _MEMO_SIZE and key not in values:
            with contextlib.suppress(KeyError):  # another thread emptied it meanwhile
                values.popitem(last=False)  # the oldest: O(1), unlike a dict's
        kept = copy_pacer(value) if key.kind is StateKind.PACER else value
        values[key] = (text, document, kept)


def _same(text: str | None, document: dict[str, Any] | None, stored: Stored) -> bool:
    """Whether `stored` holds the document remembered as `text` (or `document`)."""
    if text is not None and stored.text is not None:
        return text == stored.text
    return document is not None and document == stored.document


def _load(key: StateKey, stored: Stored, rules: Rules | None) -> Any:  # noqa: ANN401
    """Load one stored document, naming the key in the error when it cannot be read."""
    try:
        return _CODECS[key.kind][0](stored.document, rules)
    except StoredDataError as error:
        raise StoredDataError(f"{key}: {error.field}", error.value, error.reason) from None


class SenderState:
    """One object that holds everything a sender knows, in a `Store`.

    ```python
    state = SenderState(SqliteStore("state.db"), numbers=[shop])
    state.receive(webhooks.read_meta_webhook(body, headers, app_secrets=[SECRET]), now=now)
    decision = state.decide(shop.phone_number_id, anna, SendKind.MARKETING_TEMPLATE,
                            now=now, template=("spring_sale", "en"))
    if decision.allowed:
        ...  # send it
        state.record_sent(shop.phone_number_id, anna, SendKind.MARKETING_TEMPLATE, now=now)
    ```

    Safe to share between threads; several processes (or machines, with a shared store) may
    each have their own over the same store.
    """

    def __init__(
        self,
        store: Store,
        *,
        numbers: Iterable[BusinessNumber],
        rules: Rules | None = None,
        rate_card: RateCard | None = None,
        stop_keywords: Collection[str] = (),
        start_keywords: Collection[str] = (),
        marketing_stop_payloads: Collection[str] = (),
        max_attempts: int = 32,
    ) -> None:
        """Keep state for `numbers` in `store`.

        Args:
            store: Where the state lives (`MemoryStore`, `SqliteStore`, ...).
            numbers: The business's phone numbers, each with its account and portfolio. They
                are recorded in the store too, so that tools reading it (the `state` command)
                know them.
            rules: The rules to apply; by default the built-in rules in force at each `now`.
            rate_card: Prices for `decide`'s cost estimate; none by default.
            stop_keywords: Message texts that mean "stop all messages" (e.g. `"STOP"`).
            start_keywords: Message texts that mean a new opt-in (e.g. `"START"`).
            marketing_stop_payloads: Button payloads that mean "stop marketing".
            max_attempts: How often a call reads again after losing a compare-and-set before
                it gives up with `WriteConflict`.

        Raises:
            InvalidValueError: A number is not a `BusinessNumber`, two share a phone number
                id, or `max_attempts` is not a whole number of at least 1.
        """
        listed = tuple(numbers)
        for number in listed:
            if not isinstance(number, BusinessNumber):
                raise InvalidValueError("numbers", number, "expected BusinessNumber values")
        self._numbers: Final = {number.phone_number_id: number for number in listed}
        if len(self._numbers) != len(listed):
            raise InvalidValueError("numbers", listed, "a phone number id is listed twice")
        if type(max_attempts) is not int or max_attempts < 1:
            raise InvalidValueError("max_attempts", max_attempts, "expected an int >= 1")
        if rules is not None and not isinstance(rules, Rules):
            raise InvalidValueError("rules", rules, "expected Rules")
        self.store: Final = store
        """Where the state lives."""
        self._rules = rules
        self._rate_card = rate_card
        self._keywords = (
            texts("stop_keywords", stop_keywords),
            texts("start_keywords", start_keywords),
            texts("marketing_stop_payloads", marketing_stop_payloads),
        )
        self._attempts = max_attempts
        self._memo = _Memo()
        self._record_numbers(listed)

    @classmethod
    def from_store(cls, store: Store, **options: Any) -> SenderState:  # noqa: ANN401
        """Open the state a `SenderState` kept in `store`, with the numbers recorded there.

        Args:
            store: A store an earlier `SenderState` wrote to.
            **options: The other arguments of `SenderState` (`rules`, `rate_card`, ...).

        Raises:
            StoredDataError: A recorded number cannot be read (the error names its key).
        """
        keys = store.keys(StateKind.NUMBER)
        stored = store.read(keys)
        numbers = [_load(key, stored[key], None) for key in keys if key in stored]
        return cls(store, numbers=numbers, **options)

    def __repr__(self) -> str:
        """Name the store and the numbers."""
        numbers = ", ".join(number.value for number in self._numbers)
        return f"SenderState({self.store!r}, numbers=[{numbers}])"

    @property
    def numbers(self) -> tuple[BusinessNumber, ...]:
        """The business's phone numbers."""
        return tuple(self._numbers.values())

    def _record_numbers(self, numbers: tuple[BusinessNumber, ...]) -> None:
        keys = {StateKey(StateKind.NUMBER, n.phone_number_id.value): n for n in numbers}

        def attempt() -> None:
            stored = self.store.read(keys)
            writes = [
                Write(
                    key=key, document=_dump_number(number), expected_version=_version(stored, key)
                )
                for key, number in keys.items()
                if key not in stored or stored[key].document != _dump_number(number)
            ]
            if writes:
                self.store.commit(writes)

        self._retrying(attempt)

    def _count_echoes(
        self, fresh: Iterable[Event], loaded: Mapping[StateKey, Any], rules: Rules
    ) -> None:
        """Count messages sent from the WhatsApp Business app in the messaging limit's ledger.

        They reach users as the Cloud API's messages do: one sent outside the user's window
        takes a slot (counted on the safe side: Meta does not say whether app messages count).
        """
        for event in fresh:
            if not isinstance(event, MessageEcho):
                continue
            try:
                business, recipient = PhoneNumberId(event.phone_number_id), WaId.parse(event.to)
            except InvalidValueError:
                continue
            number = self._numbers.get(business)
            if number is None:
                continue
            chat = loaded.get(conversation_key(business, recipient))
            end = None if chat is None else chat.service_window_expires_at(rules)
            window_open = end is not None and event.at < end
            scope = LimitScopeKey.under(rules, phone_number=business, portfolio=number.portfolio_id)
            with self.store.ledger(scope) as kept:
                ledger = LimitLedger(scope=scope, rules=rules, store=kept)
                ledger.record(recipient, event.at, window_open=window_open)

    def _rules_at(self, now: datetime) -> Rules:
        return self._rules if self._rules is not None else rules_at(now)

    def _number(self, business: PhoneNumberId) -> BusinessNumber:
        number = self._numbers.get(business)
        if number is None:
            raise InvalidValueError("business", business, "not one of the configured numbers")
        return number

    def _retrying(self, attempt: Callable[[], Any]) -> Any:  # noqa: ANN401 - whatever it returns
        for tries in range(self._attempts):
            try:
                return attempt()
            except WriteConflict:  # noqa: PERF203 - retrying is the point
                if tries + 1 == self._attempts:
                    raise
                time.sleep(0.0005 * min(tries, 20))  # let the other writer finish
        raise AssertionError  # pragma: no cover - the loop returns or raises

    # --- webhooks in ---------------------------------------------------------------------

    def receive(self, events: Iterable[Event], *, now: datetime) -> Received:
        """Route every fact of a webhook batch to its state, in one commit, once.

        Args:
            events: The batch (from `read_meta_webhook` or `read_twilio_webhook`).
            now: When it was received (also the instant for events that carry none).

        Returns:
            What changed, and how many events were new or already processed.

        Raises:
            StoredDataError: A stored value the batch changes cannot be read (the error names
                its key); nothing is written.
            WriteConflict: Other writers kept winning for `max_attempts` tries.
        """
        now = utc("now", now)
        batch = tuple(events)
        ids = {event_id(event): event for event in batch}
        rules = self._rules_at(now)
        stops, starts, marketing = self._keywords

        def attempt() -> Received:
            seen = self.store.seen(ids)
            fresh = [event for key, event in ids.items() if key not in seen]
            if not fresh:
                return Received(changes=(), processed=0, skipped=len(batch))
            facts = facts_from_events(
                fresh,
                stop_keywords=stops,
                start_keywords=starts,
                marketing_stop_payloads=marketing,
                received_at=now,
            )
            routed = plan(facts, fresh, self.numbers, self._rules)
            stored = self.store.read(routed.keys)
            loaded = {key: self._memo.load(key, value, rules) for key, value in stored.items()}
            changed, changes = route(routed, loaded, now=now, rules=rules)
            self._count_echoes(fresh, loaded, rules)
            writes = [
                (plain_write if key.kind in _PLAIN else _write)(
                    key, _CODECS[key.kind][1](value), _version(stored, key)
                )
                for key, value in changed.items()
            ]
            fresh_ids = [key for key in ids if key not in seen]
            self.store.commit(writes, events=fresh_ids, at=now)
            return Received(changes=changes, processed=len(fresh), skipped=len(batch) - len(fresh))

        result: Received = self._retrying(attempt)
        return result

    def apply(
        self, business: PhoneNumberId, recipient: Recipient, facts: Iterable[Fact]
    ) -> Conversation:
        """Apply facts the host learnt itself (a sign-up form's opt-in, ...) to a conversation.

        Returns:
            The conversation after the facts, as now stored.

        Raises:
            InvalidValueError: `business` is not one of the configured numbers.
            InvalidTransition: A fact is not a conversation fact; nothing is written.
        """
        self._number(business)
        key = conversation_key(business, recipient)
        listed = tuple(facts)

        def attempt() -> Conversation:
            stored = self.store.read([key])
            before = (
                _load(key, stored[key], None)
                if key in stored
                else Conversation(business=business, recipient=recipient)
            )
            after: Conversation = before.apply_all(listed)
            if after != before or key not in stored:
                self.store.commit(
                    [
                        Write(
                            key=key,
                            document=dump_conversation(after),
                            expected_version=_version(stored, key),
                        )
                    ]
                )
            return after

        result: Conversation = self._retrying(attempt)
        return result

    def apply_account(self, business: PhoneNumberId, facts: Iterable[AccountFact]) -> AccountHealth:
        """Apply account facts the host learnt itself to the stored health, in one commit.

        For what the webhooks do not say: Direct Send eligibility (`DirectSendAccessChanged`),
        or what a client read from the Graph API (`CloudApiClient.number_health(record=True)`
        calls this). Each fact reaches the health of every configured number it concerns, as
        `receive` routes the webhooks' account events: a quality rating or a phone status the
        number alone; a messaging limit every number that shares its limit (the business
        portfolio's, under the rules at the fact's instant); anything else (restrictions,
        verification, violations, Direct Send) every number of the same WhatsApp Business
        Account. Applying the same facts twice changes nothing more.

        Args:
            business: The number the facts were learnt for.
            facts: Account facts (`wa_outbound.account`); checked before anything is read.

        Returns:
            The health of `business` after the facts, as now stored.

        Raises:
            InvalidValueError: `business` is not one of the configured numbers, or an item of
                `facts` is not an account fact (the error names it, e.g. `facts[1]`); nothing
                is written.
            StoredDataError: A stored health cannot be read (the error names its key).
            WriteConflict: Other writers kept winning for `max_attempts` tries.
        """
        number = self._number(business)
        listed = account_facts(facts)
        targets: dict[StateKey, list[AccountFact]] = {account_key(business): []}
        owners: dict[StateKey, PhoneNumberId] = {account_key(business): business}
        for fact in listed:
            for other in self._concerned(number, fact):
                key = account_key(other.phone_number_id)
                owners[key] = other.phone_number_id
                targets.setdefault(key, []).append(fact)

        def attempt() -> AccountHealth:
            stored = self.store.read(targets)
            writes = []
            after: dict[StateKey, AccountHealth] = {}
            for key, applied in targets.items():
                before = (
                    _load(key, stored[key], None)
                    if key in stored
                    else AccountHealth(phone_number_id=owners[key])
                )
                after[key] = before.apply_all(applied)
                if after[key] != before:
                    document = dump_account_health(after[key])
                    writes.append(
                        Write(key=key, document=document, expected_version=_version(stored, key))
                    )
            if writes:
                self.store.commit(writes)
            return after[account_key(business)]

        result: AccountHealth = self._retrying(attempt)
        return result

    def _concerned(self, number: BusinessNumber, fact: AccountFact) -> list[BusinessNumber]:
        """The configured numbers whose health `fact`, learnt for `number`, changes."""
        if isinstance(fact, _NUMBER_FACTS):
            return [number]
        if isinstance(fact, MessagingLimitChanged):
            return sharing_limit([number], self.numbers, self._rules_at(fact.at))
        return [n for n in self.numbers if n.waba_id == number.waba_id]

    def forget_idle_pair_rates(self, *, before: datetime) -> int:
        """Remove the pair-rate buckets of recipients that were full again before `before`.

        Each recipient messaged keeps a small pair-rate document (`pair_rate_key`). Once its
        bucket is full again (no message for a few minutes), it answers as no bucket at all,
        so removing it changes no answer. Run it now and then (a daily job, next to
        `forget_old_events`) with a cutoff some time in the past, such as an hour ago: a
        worker whose clock lags may still pace against a bucket that only just filled. Each
        removal is a compare-and-set: a bucket a send changed meanwhile is kept.

        Returns:
            How many buckets were removed.

        Raises:
            StoredDataError: A stored bucket cannot be read (the error names its key); nothing
                is removed.
        """
        cutoff = utc("before", before)
        return remove_unchanged(
            self.store,
            (
                Delete(key=key, expected_version=stored.version)
                for key, stored in documents_of(self.store, StateKind.PAIR_RATE)
                if _load(key, stored, None) <= cutoff
            ),
        )

    def forget_old_events(self, now: datetime) -> int:
        """Forget processed event ids older than the platform re-delivers webhooks for.

        The period is the rules' `webhook_redelivery_period` (7 days). Run it now and then
        (a daily job); returns how many ids were forgotten.
        """
        now = utc("now", now)
        return self.store.forget_events(now - self._rules_at(now).webhook_redelivery_period.value)

    # --- what the store knows ------------------------------------------------------------

    def _read_one(self, key: StateKey, rules: Rules | None = None) -> Any:  # noqa: ANN401
        stored = self.store.read([key]).get(key)
        return None if stored is None else self._memo.load(key, stored, rules)

    def conversation(self, business: PhoneNumberId, recipient: Recipient) -> Conversation:
        """Return what is known of the conversation (a fresh one when nothing is)."""
        found = self._read_one(conversation_key(business, recipient))
        return found if found is not None else Conversation(business=business, recipient=recipient)

    def template(self, business: PhoneNumberId, name: str, language: str) -> TemplateState | None:
        """Return the state of a template of `business`'s account, or `None` if never seen."""
        number = self._number(business)
        found: TemplateState | None = self._read_one(template_key(number.waba_id, name, language))
        return found

    def account(self, business: PhoneNumberId) -> AccountHealth | None:
        """Return the account health of `business`, or `None` if no account event came yet."""
        self._number(business)
        found: AccountHealth | None = self._read_one(account_key(business))
        return found

    def delivery(self, message_id: str) -> MessageDelivery | None:
        """Return the delivery tracking of a message, or `None` if no status came yet."""
        found: MessageDelivery | None = self._read_one(delivery_key(message_id))
        return found

    # --- before and after a send -------------------------------------------------------------

    def decide(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        template: tuple[str, str] | None = None,
        market: str | None = None,
        authentication_international: bool = False,
        month_volume: int | None = None,
    ) -> SendDecision:
        """Load every part a send depends on, and `decide()` it.

        Args:
            business: The business phone number that sends.
            recipient: Who receives.
            kind: What is sent (for a template, the category it is sent as).
            now: The instant of the send.
            template: The template's `(name, language)`; its state (approved, paused, ...)
                then takes part. A template the store has never heard of takes no part.
            market: The recipient's market for the price, when the number does not tell it.
            authentication_international: Whether an authentication template is priced at the
                authentication-international rate.
            month_volume: The messages of the send's market and category the business
                portfolio was already charged this month, for the rate card's volume tiers
                (`decide`'s argument); `None` prices at the list price.

        Raises:
            InvalidValueError: `business` is not one of the configured numbers, or another
                argument is out of its domain.
        """
        return self._decide(
            business,
            recipient,
            kind,
            now=now,
            template=template,
            market=market,
            authentication_international=authentication_international,
            month_volume=month_volume,
            take=False,
        )

    def admit(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        template: tuple[str, str] | None = None,
        market: str | None = None,
        authentication_international: bool = False,
        month_volume: int | None = None,
    ) -> SendDecision:
        """`decide`, and when the send may go ahead, take its messaging-limit slot at once.

        Between `decide` and `record_sent` another worker may take the last slot of the
        messaging limit, and both sends go out. `admit` decides and takes the recipient's slot
        in one step, inside the store's exclusive section of the ledger, so no two workers are
        ever given the same last slot (the clients call it before every send). A send that
        then fails keeps its slot: counting a user the platform never reached only ever delays
        a later send. `record_sent` afterwards takes no second slot for the same recipient.

        The send goes ahead when the decision allows it or says only `PACED` (it then waits).
        Nothing is taken when no messaging limit is known, for a call, or for a recipient
        whose customer service window is open (such sends take no slot).

        Arguments and errors are those of `decide`.
        """
        return self._decide(
            business,
            recipient,
            kind,
            now=now,
            template=template,
            market=market,
            authentication_international=authentication_international,
            month_volume=month_volume,
            take=True,
        )

    def _decide(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        template: tuple[str, str] | None,
        market: str | None,
        authentication_international: bool,
        month_volume: int | None,
        take: bool,
    ) -> SendDecision:
        now = utc("now", now)
        number = self._number(business)
        rules = self._rules_at(now)
        keys = [
            conversation_key(business, recipient),
            account_key(business),
            pacer_key(business),
            pair_rate_key(business, recipient),
        ]
        if template is not None:
            name, language = _template_name(template)
            keys.append(template_key(number.waba_id, name, language))
        stored = self.store.read(keys)
        loaded = {key: self._memo.load(key, value, rules) for key, value in stored.items()}
        conversation = loaded.get(keys[0]) or Conversation(business=business, recipient=recipient)
        # No stored health is a health with nothing reported: Direct Send not enabled.
        account: AccountHealth = loaded.get(keys[1]) or _nothing_reported(business)
        pacer: Pacer | None = loaded.get(keys[2])
        if pacer is not None:
            give_pair(pacer, recipient, loaded.get(keys[3]))
        template_state = loaded.get(keys[4]) if template is not None else None
        limit = account.messaging_limit
        ask = functools.partial(
            decide_send,
            conversation,
            kind,
            now=now,
            rules=rules,
            template=template_state,
            account=account,
            limit=limit,
            pacer=pacer,
            rate_card=self._rate_card,
            market=market,
            authentication_international=authentication_international,
            month_volume=month_volume,
        )
        if limit is None:  # no limit known: the ledger takes no part
            return ask(ledger=None)
        scope = LimitScopeKey.under(rules, phone_number=business, portfolio=number.portfolio_id)
        with self.store.ledger(scope, write=take) as kept:
            ledger = LimitLedger(scope=scope, rules=rules, store=kept)
            decision: SendDecision = ask(ledger=ledger)
            if take and kind is not SendKind.CALL and _goes_ahead(decision):
                end = conversation.service_window_expires_at(rules)
                ledger.record(recipient, now, window_open=end is not None and now < end)
            return decision

    def record_sent(
        self,
        business: PhoneNumberId,
        recipient: Recipient,
        kind: SendKind,
        *,
        now: datetime,
        message_id: str = "",
        also: Sequence[Write] = (),
    ) -> bool:
        """Record a message that was sent: the conversation, the pacing, the messaging limit.

        Call it after the platform accepted the message. Recording the same send twice changes
        nothing more than recording it once.

        Args:
            business: The business phone number that sent it.
            recipient: Who it went to.
            kind: What was sent.
            now: When it was sent.
            message_id: The platform's id of the message (`wamid....`), if known.
            also: Other documents to write in the same commit, each at the version its writer
                read, so that the send and they are kept together or not at all (the outbox
                settles its entry this way, `Outbox.settle_sent`). They must not be the
                send's own documents.

        Returns:
            Whether the send took a new slot of the messaging limit (a business-initiated
            message to a user not reached in the moving window).

        Raises:
            InvalidValueError: `business` is not one of the configured numbers, `kind` is
                not a `SendKind`, or `also` holds something else than a `Write` of another
                key; nothing is written.
            WriteConflict: A document of `also` changed since its writer read it (at once,
                naming it: only its writer can read it again), or other writers kept winning
                for `max_attempts` tries; nothing is written.
        """
        now = utc("now", now)
        if not isinstance(kind, SendKind):
            raise InvalidValueError("kind", kind, "expected a SendKind")
        number = self._number(business)
        rules = self._rules_at(now)
        chat, pace = conversation_key(business, recipient), pacer_key(business)
        pair = pair_rate_key(business, recipient)
        extra = (
            [] if isinstance(also, tuple) and not also else _other_writes(also, (chat, pace, pair))
        )
        facts: list[Fact] = [OutboundMessageSent(at=now, message_id=message_id)]
        if kind is SendKind.CALL_PERMISSION_REQUEST:  # counted by the request limits
            facts.append(CallPermissionRequested(at=now, message_id=message_id))

        def attempt() -> bool:
            stored = self.store.read([chat, pace, pair])
            versions = [_version(stored, key) for key in (chat, pace, pair)]
            loaded = {key: self._memo.load(key, value, rules) for key, value in stored.items()}
            before = loaded.get(chat) or Conversation(business=business, recipient=recipient)
            end = before.service_window_expires_at(rules)
            window_open = end is not None and now < end
            pacer = loaded.get(pace) or Pacer(
                business=business, rules=rules, throughput_class=number.throughput_class
            )
            # The recipient's pair-rate bucket lives in its own document; a pacer stored by an
            # older release may still hold it, and the later TAT wins (`give_pair`).
            give_pair(pacer, recipient, loaded.get(pair))
            pacer.admit(recipient, now)
            pair_tat = take_pair(pacer, recipient)
            if pair_tat is None:  # pragma: no cover - admit always holds the recipient's bucket
                raise AssertionError
            took = False
            if kind is not SendKind.CALL:
                scope = LimitScopeKey.under(
                    rules, phone_number=business, portfolio=number.portfolio_id
                )
                with self.store.ledger(scope) as kept:
                    ledger = LimitLedger(scope=scope, rules=rules, store=kept)
                    took = ledger.record(recipient, now, window_open=window_open)
            after = before.apply_all(facts)
            writes = [  # the library's own plain documents
                plain_write(chat, dump_conversation(after), versions[0]),
                plain_write(pace, dump_pacer(pacer), versions[1]),
                plain_write(pair, dump_pair_rate(pair_tat), versions[2]),
            ]
            try:
                self.store.commit([*writes, *extra])
            except WriteConflict as conflict:
                if any(str(write.key) in conflict.keys for write in extra):
                    raise _Given(conflict) from None  # its writer must read it again
                raise
            self._memo.keep(writes[0], after)  # what the next read will find
            self._memo.keep(writes[1], pacer)
            return took

        try:
            result: bool = self._retrying(attempt)
        except _Given as given:
            raise given.conflict from None
        return result


class _Given(Exception):  # noqa: N818 - carries a WriteConflict past the retries
    """A conflict on a document `record_sent` was given: retrying cannot mend it."""

    def __init__(self, conflict: WriteConflict) -> None:
        super().__init__(conflict)
        self.conflict = conflict


def _other_writes(also: object, own: tuple[StateKey, ...]) -> list[Write]:
    """`record_sent`'s `also`, checked: writes of keys other than the send's `own`."""
    if isinstance(also, str | bytes | Mapping) or not isinstance(also, Sequence):
        raise InvalidValueError("also", also, "expected a sequence of Write values")
    for index, write in enumerate(also):
        if not isinstance(write, Write):
            raise InvalidValueError(f"also[{index}]", write, "expected a Write")
        if write.key in own:
            raise InvalidValueError(f"also[{index}]", write.key, "the send writes this key itself")
    return list(also)


def _goes_ahead(decision: SendDecision) -> bool:
    """Whether a client sends after `decision`: it allows the send, or only paces it."""
    return all(reason.code is Reason.PACED for reason in decision.reasons)


def _version(stored: Mapping[StateKey, Stored], key: StateKey) -> int:
    found = stored.get(key)
    return 0 if found is None else found.version


def _template_name(template: object) -> tuple[str, str]:
    if (
        not isinstance(template, tuple)
        or len(template) != 2  # noqa: PLR2004 - a (name, language) pair
        or not all(isinstance(part, str) and part for part in template)
    ):
        raise InvalidValueError("template", template, "expected a (name, language) pair")
    return template[0], template[1]


@functools.lru_cache(maxsize=1024)
def _nothing_reported(business: PhoneNumberId) -> AccountHealth:
    """The health of a number nothing was reported about (one value per number: it is frozen)."""
    return AccountHealth(phone_number_id=business)


_ACCOUNT_FACTS: Final = typing.get_args(AccountFact)
_NUMBER_FACTS: Final = (QualityRatingChanged, PhoneNumberStatusChanged)
"""Account facts about one phone number; the others concern its account or portfolio."""


def account_facts(facts: object) -> tuple[AccountFact, ...]:
    """Return `facts` as a tuple of account facts; refuse anything else, naming its position."""
    if isinstance(facts, (str, bytes, bytearray)) or not isinstance(facts, Iterable):
        raise InvalidValueError("facts", facts, "expected a collection of account facts")
    listed = tuple(facts)
    for index, fact in enumerate(listed):
        if isinstance(fact, _ACCOUNT_FACTS):
            continue
        if isinstance(fact, typing.get_args(Fact)):
            hint = "a conversation fact: apply it with SenderState.apply"
        elif hasattr(fact, "fact"):
            hint = "a wrapped fact: pass its .fact (or the webhook events to receive)"
        else:
            hint = "expected an account fact (QualityRatingChanged, DirectSendAccessChanged, ...)"
        raise InvalidValueError(f"facts[{index}]", fact, hint)
    return listed
