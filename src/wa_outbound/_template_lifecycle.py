"""The template lifecycle: one message template in one language, as a value.

Theory of operation
-------------------
A `TemplateState` changes only by applying past-tense facts: `TemplateSubmitted` (the host
sent it for review), `TemplateStatusChanged` (Meta's `message_template_status_update`
webhook), `TemplateQualityChanged` (`message_template_quality_update`) and
`TemplateCategoryChanged` (`template_category_update`). Webhooks arrive late, twice and out of
order, so `apply` is idempotent and insensitive to delivery order:

* **Status.** Meta's status events are the inputs of `TEMPLATE_TRANSITIONS`. The state keeps
  the latest event of each kind (at most one per `TemplateInput`, so it stays small) and
  folds the table over them in time order. Every input either sets one status whatever came
  before (APPROVED, PAUSED, DISABLED, ...), keeps the status (FLAGGED), or leads back from one
  status only (UNARCHIVED from ARCHIVED, UNLOCKED from LOCKED); DELETED is final. For such a
  table the fold over the latest event of each kind equals the fold over the full history,
  which the tests check, so an older event never overrides a newer one and a repeated one
  changes nothing. At equal instants the more restrictive event is applied last
  (`TemplateInput` is declared in that order), so, for example, DISABLED wins a tie with
  APPROVED. An event string the library does not know (`TemplateStatusChanged.event`) keeps
  the status and is recorded (`unknown_event`), never raised: Meta adds events without notice.

* **Pauses.** Every PAUSED event is kept (a set of instants), because the pause's number
  decides its length: pause *n* lasts `rules.template_pause_durations.value[n - 1]` (3 h, then
  6 h), and a pause beyond the last listed duration disables the template (Meta: "3rd
  Instance: Disabled"). Durations are rules, so they are read at question time
  (`template_sendable`), not here. Meta's own DISABLED event is authoritative too; an un-pause
  arrives as an APPROVED event. Pauses are never forgotten: whether Meta resets the count
  after an edit is not documented.

* **Flagged.** FLAGGED leaves the status APPROVED and announces a disable date. The flag holds
  until a later REINSTATED, DISABLED or resubmission (PENDING).

* **Quality** and **category** keep the latest report (ties: the worse score, then the larger
  text, so that order never decides). An impending category change (Meta's
  `correct_category` with `category_update_timestamp`) is kept with its instant; the category
  in force is read at question time.

* **Owner and time.** A fact that comes with the template it names (`OwnedTemplateFact`, such
  as the webhooks' `TemplateFactFor`) is applied only to that template: the ids must match,
  and the name and language too where both sides know them. `latest_at` is the latest instant
  of any fact applied; `template_sendable` refuses a `now` earlier than it by more than the
  rules' clock skew tolerance.

Nothing here reads a clock; nothing here raises for a valid fact.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

import attrs

from wa_outbound._errors import (
    InvalidTransition,
    InvalidValueError,
    ascii_upper,
    is_a,
    is_instant,
    is_tuple_of,
    items_of,
    member,
)
from wa_outbound._facts import at_field, non_empty_field, text_field
from wa_outbound._rules import Rules, answer_instant, rules_at
from wa_outbound._shown import Shown
from wa_outbound._time import UTC, iso_instant, utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from wa_outbound._render import Report

__all__ = [
    "TEMPLATE_TRANSITIONS",
    "OwnedTemplateFact",
    "QualityScore",
    "TemplateCategoryChanged",
    "TemplateDecision",
    "TemplateEvent",
    "TemplateFact",
    "TemplateInput",
    "TemplateNote",
    "TemplateQualityChanged",
    "TemplateReason",
    "TemplateState",
    "TemplateStatus",
    "TemplateStatusChanged",
    "TemplateSubmitted",
    "seen_after",
    "sendable_at",
    "template_sendable",
]


class TemplateStatus(enum.Enum):
    """Where a template stands with Meta; only `APPROVED` templates can be sent."""

    PENDING = "PENDING"
    """In review (submitted, or resubmitted after an edit)."""
    APPROVED = "APPROVED"
    """Active: the template can be sent (whatever its quality score)."""
    REJECTED = "REJECTED"
    """Refused in review; edit and resubmit it, or appeal."""
    PAUSED = "PAUSED"
    """Temporarily unusable after low-quality feedback (3 h, then 6 h)."""
    DISABLED = "DISABLED"
    """Unusable for good after repeated low quality or a policy decision; edit and resubmit."""
    IN_APPEAL = "IN_APPEAL"
    """A rejection is being appealed."""
    PENDING_DELETION = "PENDING_DELETION"
    """Deleted in WhatsApp Manager or by the API; not sendable."""
    DELETED = "DELETED"
    """Deleted; never comes back (a new template must be created)."""
    ARCHIVED = "ARCHIVED"
    """Archived to keep WhatsApp Manager's list clean; UNARCHIVED brings it back."""
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    """The WhatsApp Business Account is at its template limit."""
    LOCKED = "LOCKED"
    """Locked by Meta (cannot be edited); UNLOCKED brings it back."""


class QualityScore(enum.Enum):
    """A template's quality rating; all four can be sent (Meta, "Template quality rating")."""

    GREEN = "GREEN"
    """High quality: little or no negative feedback."""
    YELLOW = "YELLOW"
    """Medium quality: negative feedback or low read rates; may soon be paused."""
    RED = "RED"
    """Low quality: in danger of being paused or disabled soon."""
    UNKNOWN = "UNKNOWN"
    """No quality signal yet (every new template starts here)."""


class TemplateInput(enum.Enum):
    """The inputs of the status machine: Meta's `message_template_status_update` events.

    Declared from the least to the most restrictive: at equal instants, later members are
    applied last.
    """

    APPROVED = "APPROVED"
    """Approved in review, or active again after a pause."""
    REINSTATED = "REINSTATED"
    """No longer flagged or disabled; can be sent again."""
    UNARCHIVED = "UNARCHIVED"
    """Taken out of the archive."""
    UNLOCKED = "UNLOCKED"
    """No longer locked."""
    PENDING = "PENDING"
    """Submitted (or resubmitted) for review; also `TemplateSubmitted`."""
    FLAGGED = "FLAGGED"
    """Negative feedback: still approved, but to be disabled on a given date."""
    IN_APPEAL = "IN_APPEAL"
    """A rejection is under appeal."""
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    """The account is at its template limit."""
    REJECTED = "REJECTED"
    """Refused in review."""
    PAUSED = "PAUSED"
    """Paused for low quality."""
    LOCKED = "LOCKED"
    """Locked by Meta."""
    ARCHIVED = "ARCHIVED"
    """Archived."""
    DISABLED = "DISABLED"
    """Disabled."""
    PENDING_DELETION = "PENDING_DELETION"
    """Deletion requested."""
    DELETED = "DELETED"
    """Deleted."""


_S = TemplateStatus
_I = TemplateInput

# Inputs that set one status whatever came before.
_SETS: Final[dict[TemplateInput, TemplateStatus]] = {
    _I.APPROVED: _S.APPROVED,
    _I.REINSTATED: _S.APPROVED,
    _I.PENDING: _S.PENDING,
    _I.IN_APPEAL: _S.IN_APPEAL,
    _I.LIMIT_EXCEEDED: _S.LIMIT_EXCEEDED,
    _I.REJECTED: _S.REJECTED,
    _I.PAUSED: _S.PAUSED,
    _I.LOCKED: _S.LOCKED,
    _I.ARCHIVED: _S.ARCHIVED,
    _I.DISABLED: _S.DISABLED,
    _I.PENDING_DELETION: _S.PENDING_DELETION,
    _I.DELETED: _S.DELETED,
}

TEMPLATE_TRANSITIONS: Final[dict[tuple[TemplateStatus, TemplateInput], TemplateStatus]] = {
    # The platform is authoritative: its event sets the status, except that nothing brings a
    # deleted template back (Meta: a deleted template's name cannot even be reused for 30
    # days; a new template gets a new id).
    **{
        (status, kind): _S.DELETED if status is _S.DELETED else target
        for status in _S
        for kind, target in _SETS.items()
    },
    # FLAGGED leaves the status as it is (APPROVED, with a disable date kept aside).
    **{(status, _I.FLAGGED): status for status in _S},
    # UNARCHIVED and UNLOCKED lead back from their own status only.
    **{(status, _I.UNARCHIVED): _S.APPROVED if status is _S.ARCHIVED else status for status in _S},
    **{(status, _I.UNLOCKED): _S.APPROVED if status is _S.LOCKED else status for status in _S},
}
"""`(status, input) -> status`: the template status machine, for events in time order."""

_RANK: Final[dict[TemplateInput, int]] = {kind: rank for rank, kind in enumerate(_I)}
_QUALITY_RANK: Final[dict[QualityScore, int]] = {
    QualityScore.GREEN: 0,
    QualityScore.UNKNOWN: 1,
    QualityScore.YELLOW: 2,
    QualityScore.RED: 3,
}
_BY_VALUE: Final[dict[str, TemplateInput]] = {kind.value: kind for kind in _I}


# --- facts ----------------------------------------------------------------------------------


def _disable_at(value: datetime | None) -> datetime | None:
    return None if value is None else utc("disable_at", value)


def _takes_effect_at(value: datetime | None) -> datetime | None:
    return None if value is None else utc("takes_effect_at", value)


def _quality(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, QualityScore):
        raise InvalidValueError(attribute.name, value, "expected a QualityScore")


@attrs.frozen(kw_only=True)
class TemplateSubmitted:
    """The business submitted the template for review (created it, or edited it)."""

    at: datetime = attrs.field(converter=at_field)
    """When it was submitted."""


@attrs.frozen(kw_only=True)
class TemplateStatusChanged:
    """Meta reported a template status event (`message_template_status_update`)."""

    at: datetime = attrs.field(converter=at_field)
    """When (the webhook's `entry.time`)."""
    event: str = attrs.field(validator=non_empty_field)
    """Meta's `event` value: `APPROVED`, `PAUSED`, `FLAGGED`, ...; unknown values are kept."""
    reason: str = attrs.field(default="", validator=text_field)
    """Meta's `reason` (for REJECTED: `INVALID_FORMAT`, `PROMOTIONAL`, ...), if any."""
    disable_at: datetime | None = attrs.field(default=None, converter=_disable_at)
    """For FLAGGED: when the template will be disabled (`disable_info.disable_date`)."""

    @property
    def kind(self) -> TemplateInput | None:
        """The event as a `TemplateInput`; `None` if the library does not know it."""
        return _BY_VALUE.get(ascii_upper(self.event.strip()))


@attrs.frozen(kw_only=True)
class TemplateQualityChanged:
    """Meta reported a new quality score (`message_template_quality_update`)."""

    at: datetime = attrs.field(converter=at_field)
    """When (the webhook's `entry.time`)."""
    new: QualityScore = attrs.field(validator=_quality)
    """The new score (`new_quality_score`)."""
    previous: QualityScore | None = attrs.field(default=None, validator=_quality)
    """The score before (`previous_quality_score`), if given."""


@attrs.frozen(kw_only=True)
class TemplateCategoryChanged:
    """Meta changed, or will change, the template's category (`template_category_update`).

    An impending change carries `correct_category` (and `takes_effect_at`); `new_category` is
    then the category in force until then. A completed change carries `previous_category`.
    """

    at: datetime = attrs.field(converter=at_field)
    """When (the webhook's `entry.time`)."""
    new_category: str = attrs.field(validator=non_empty_field)
    """The category in force (impending change) or the category it got (completed change)."""
    previous_category: str = attrs.field(default="", validator=text_field)
    """The category it had (completed change)."""
    correct_category: str = attrs.field(default="", validator=text_field)
    """The category it will get (impending change)."""
    takes_effect_at: datetime | None = attrs.field(default=None, converter=_takes_effect_at)
    """When an impending change takes effect (`category_update_timestamp`)."""


TemplateFact = (
    TemplateSubmitted | TemplateStatusChanged | TemplateQualityChanged | TemplateCategoryChanged
)
"""Any fact a `TemplateState` can apply."""


class OwnedTemplateFact(Protocol):
    """A template fact with the template it belongs to, as `wa_outbound.webhooks` routes it.

    Any object with these attributes is one (the webhooks' `TemplateFactFor`, or a host's own
    wrapper); `TemplateState.apply` applies the fact when it names that template.
    """

    @property
    def template_id(self) -> str:
        """The template's id."""

    @property
    def template_name(self) -> str:
        """The template's name ("" when not known)."""

    @property
    def language(self) -> str:
        """The template's language ("" when not known)."""

    @property
    def fact(self) -> TemplateFact:
        """What happened."""


# --- the state ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TemplateEvent:
    """The latest status event of one kind that a template received."""

    kind: TemplateInput
    """Which event."""
    at: datetime
    """When."""
    reason: str = ""
    """Meta's `reason`, if any."""
    disable_at: datetime | None = None
    """For FLAGGED: the announced disable date."""


def _event_key(event: TemplateEvent) -> tuple[datetime, int, str, float]:
    """Order events in time; at equal instants by restrictiveness, then by their details."""
    disable = -1.0 if event.disable_at is None else event.disable_at.timestamp()
    return (event.at, _RANK[event.kind], event.reason, disable)


def _check_history(events: tuple[TemplateEvent, ...], pauses: tuple[datetime, ...]) -> None:
    """Refuse a history `apply` never builds (see `TemplateState.__attrs_post_init__`)."""
    items_of("events", events, TemplateEvent)
    items_of("pauses", pauses, datetime)
    previous: TemplateEvent | None = None
    kinds: set[TemplateInput] = set()
    for index, event in enumerate(events):
        if not isinstance(event, TemplateEvent):
            raise InvalidValueError(f"events[{index}]", event, "expected a TemplateEvent")
        if event.kind in kinds:
            reason = f"a second {event.kind.value} event; only the latest of each kind is kept"
            raise InvalidValueError(f"events[{index}]", event, reason)
        if previous is not None and _event_key(previous) >= _event_key(event):
            reason = "events are kept in time order (ties: the more restrictive last)"
            raise InvalidValueError(f"events[{index}]", event, reason)
        kinds.add(event.kind)
        previous = event
    for index in range(1, len(pauses)):
        if pauses[index - 1] >= pauses[index]:
            reason = "pauses are kept in time order, each instant once"
            raise InvalidValueError(f"pauses[{index}]", pauses[index], reason)
    paused = next((e.at for e in events if e.kind is _I.PAUSED), None)
    if paused is None and pauses:
        raise InvalidValueError("pauses", pauses, "pauses without a PAUSED event")
    if paused is not None and (not pauses or pauses[-1] != paused):
        reason = f"the latest pause must be the PAUSED event's instant, {iso_instant(paused)}"
        raise InvalidValueError("pauses", pauses, reason)


def _template_id(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError("template_id", value, "must not be empty")


def _quality_member(value: object) -> QualityScore:
    return member("quality", QualityScore, value)


_NOT_COMPUTED: Final = object()
"""A kept `latest_at` before a question computed it."""


@attrs.frozen(kw_only=True)
class TemplateState(Shown):
    """Everything the rules need to know about one message template in one language.

    Start with `TemplateState(template_id=...)` (status PENDING), then `apply` facts as they
    happen. Ask `template_sendable(state, now=...)` before sending it.
    """

    template_id: str = attrs.field(validator=_template_id)
    """Meta's template id."""
    name: str = attrs.field(default="", validator=text_field)
    """The template's name."""
    language: str = attrs.field(default="", validator=text_field)
    """Its language code (`en_US`, ...)."""
    events: tuple[TemplateEvent, ...] = ()
    """The latest status event of each kind, oldest first."""
    pauses: tuple[datetime, ...] = ()
    """Every PAUSED event's instant, oldest first."""
    submitted_at: datetime | None = None
    """The latest submission for review (`TemplateSubmitted`)."""
    quality: QualityScore = attrs.field(default=QualityScore.UNKNOWN, converter=_quality_member)
    """The latest quality score."""
    quality_at: datetime | None = None
    """When Meta reported it."""
    category: str = ""
    """The category in force at the latest category report ("" if never reported)."""
    upcoming_category: str = ""
    """The category an announced change will give it ("" if none announced)."""
    category_changes_at: datetime | None = None
    """When the announced change takes effect."""
    category_at: datetime | None = None
    """When Meta last reported the category."""
    unknown_event: str = ""
    """The latest status event the library does not know ("" if none)."""
    unknown_event_at: datetime | None = None
    """When it arrived."""
    updated_at: datetime | None = None
    """The latest instant of any fact applied."""
    status: TemplateStatus = attrs.field(init=False, eq=False, repr=False)
    """The status the events say, before rules and time are considered."""
    status_since: datetime | None = attrs.field(init=False, eq=False, repr=False)
    """Instant of the event that set `status` (`None` while no event did)."""
    _latest: datetime | object | None = attrs.field(
        init=False, default=_NOT_COMPUTED, eq=False, repr=False, alias="_latest"
    )
    """`latest_at`, once a question has computed it."""
    _memo: _Memo | None = attrs.field(init=False, default=None, eq=False, repr=False, alias="_memo")
    """The latest verdict and the span of instants it holds for (a value is frozen: the
    verdict changes only with `now` crossing a deadline the state and the rules fix)."""

    def __attrs_post_init__(self) -> None:
        """Check the history, then derive the status by folding the table over it.

        Raises:
            InvalidValueError: `events` is not in time order (`apply`'s order) or holds two
                events of one kind, `pauses` is not in time order or repeats an instant, or the
                latest pause is not the latest PAUSED event: no sequence of facts gives such a
                state, and the status and pause number read from it would be wrong.
        """
        _check_history(self.events, self.pauses)
        status, since = _S.PENDING, None
        for event in self.events:
            new = TEMPLATE_TRANSITIONS[status, event.kind]
            # An event that sets the status it leaves restarts it (a resubmission, a new pause).
            if new is not status or _SETS.get(event.kind) is new:
                status, since = new, event.at
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "status_since", since)

    # --- reading ------------------------------------------------------------------------

    def latest(self, kind: TemplateInput | str) -> TemplateEvent | None:
        """Return the latest event of `kind` (a member or its value string), if any."""
        kind = member("kind", TemplateInput, kind)
        for event in self.events:
            if event.kind is kind:
                return event
        return None

    @property
    def pause_count(self) -> int:
        """How many times the template was paused."""
        return len(self.pauses)

    @property
    def paused_at(self) -> datetime | None:
        """Start of the current pause; `None` unless the status is PAUSED."""
        return self.status_since if self.status is _S.PAUSED else None

    @property
    def pause_number(self) -> int:
        """The current pause's number (1 for the first); 0 unless the status is PAUSED."""
        start = self.paused_at
        return 0 if start is None else sum(1 for p in self.pauses if p <= start)

    def pause_ends_at(self, rules: Rules) -> datetime | None:
        """Return when the current pause ends under `rules`.

        `None` if the template is not paused, or if this pause is beyond the rules' last
        listed duration (the template is then disabled).
        """
        start, number = self.paused_at, self.pause_number
        durations = rules.template_pause_durations.value
        if start is None or number > len(durations):
            return None
        return start + durations[number - 1]

    @property
    def rejection_reason(self) -> str:
        """Meta's reason for the rejection, while the status is REJECTED."""
        event = self.latest(_I.REJECTED)
        return event.reason if event is not None and self.status is _S.REJECTED else ""

    @property
    def flagged_disable_at(self) -> datetime | None:
        """The disable date of a flag still in force; `None` if none (or none announced)."""
        flag = self.flagged
        return None if flag is None else flag.disable_at

    @property
    def flagged(self) -> TemplateEvent | None:
        """The FLAGGED event still in force, if any.

        A later REINSTATED, DISABLED or resubmission (PENDING) lifts it.
        """
        flag = self.latest(_I.FLAGGED)
        if flag is None:
            return None
        for kind in (_I.REINSTATED, _I.DISABLED, _I.PENDING):
            lifted = self.latest(kind)
            if lifted is not None and lifted.at > flag.at:
                return None
        return flag

    def _report(self) -> Report:
        """What every rendering shows: the status and since when, quality, category, pauses."""
        from wa_outbound._render import Report, Table, plain  # noqa: PLC0415 - on use

        name = " ".join(part for part in (self.name, self.language) if part) or self.template_id
        rows = [
            ("template", f"{name} ({self.template_id})"),
            ("status", f"{plain(self.status)} since {plain(self.status_since)}"),
            ("quality", f"{plain(self.quality)} (reported {plain(self.quality_at)})"),
            ("category", self.category or "not reported"),
        ]
        if self.upcoming_category:
            rows.append(
                (
                    "category change",
                    f"to {self.upcoming_category} at {plain(self.category_changes_at)}",
                )
            )
        rows.append(
            (
                "pauses",
                f"{self.pause_count}"
                + (f", latest {plain(self.pauses[-1])}" if self.pauses else ""),
            )
        )
        flag = self.flagged_disable_at
        if self.flagged is not None:
            rows.append(("flagged", f"disabled at {plain(flag)} unless quality improves"))
        if self.rejection_reason:
            rows.append(("rejected because", self.rejection_reason))
        if self.unknown_event:
            rows.append(
                ("unknown event", f"{self.unknown_event} at {plain(self.unknown_event_at)}")
            )
        return Report(
            title="Template state",
            summary=(f"{name}: {plain(self.status)}",),
            tables=(Table(title="Template state", rows=tuple(rows)),),
        )

    # --- applying facts -----------------------------------------------------------------

    def apply(self, fact: TemplateFact | OwnedTemplateFact) -> TemplateState:
        """Return the state after `fact`; applying the same fact twice changes nothing.

        `fact` may come with the template it belongs to (`OwnedTemplateFact`, such as the
        webhooks' `TemplateFactFor`): it is applied when its template id is this one's, and
        so are its name and language where both sides know them.

        Raises:
            InvalidTransition: `fact` is not a template fact, or it names another template
                (the error names both).
        """
        try:
            step = _APPLY[type(fact)]
        except KeyError:
            inner = _owned_fact(self, fact)
            step = _APPLY[type(inner)]
        else:
            inner = cast("TemplateFact", fact)
        new = step(self, inner)
        if new is self:
            return self
        if self.updated_at is not None and self.updated_at >= inner.at:
            return new
        return attrs.evolve(new, updated_at=inner.at)

    def apply_all(self, facts: Iterable[TemplateFact | OwnedTemplateFact]) -> TemplateState:
        """Return the state after every fact of `facts`, in the order given."""
        state = self
        for fact in facts:
            state = state.apply(fact)
        return state

    @property
    def latest_at(self) -> datetime | None:
        """The latest instant of any fact applied (`None` before the first).

        Derived from the instants the state keeps (an announced disable date or category
        change is not one: it lies ahead by design). `template_sendable` refuses a `now`
        earlier than it by more than the rules' `clock_skew_tolerance`.
        """
        events = self.events  # in time order, and the latest pause is one of them
        latest = max(
            self.updated_at or _EARLIEST,
            self.submitted_at or _EARLIEST,
            self.quality_at or _EARLIEST,
            self.category_at or _EARLIEST,
            self.unknown_event_at or _EARLIEST,
            events[-1].at if events else _EARLIEST,
        )
        return None if latest is _EARLIEST else latest


_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
"""An instant before every instant a fact can carry."""


_LATEST: Final = datetime.max.replace(tzinfo=UTC)
"""An instant after every instant a fact can carry."""


def seen_after(s: TemplateState, now: datetime) -> bool:
    """Whether `s` holds an instant after `now` (`latest_at > now`).

    `decide` asks this before every template send: the first question computes `latest_at`
    and keeps it on the (frozen) state, so asking again costs one look-up.
    """
    latest = s._latest  # noqa: SLF001 - this module's own cache
    if latest is _NOT_COMPUTED:
        latest = s.latest_at
        object.__setattr__(s, "_latest", latest)
    return latest is not None and latest > now  # type: ignore[operator]


def _owned_fact(s: TemplateState, item: object) -> TemplateFact:
    """Return the fact of an `OwnedTemplateFact` that names `s`; refuse anything else."""
    fact = getattr(item, "fact", None)
    template_id = getattr(item, "template_id", None)
    if type(fact) not in _APPLY or not isinstance(template_id, str):
        raise InvalidTransition(s, item, "not a template fact") from None
    name = getattr(item, "template_name", "")
    language = getattr(item, "language", "")
    if (
        template_id != s.template_id
        or (name and s.name and name != s.name)
        or (language and s.language and language != s.language)
    ):
        raise InvalidTransition(
            s,
            item,
            f"the fact is for template {template_id!r} ({name or '?'}, {language or '?'});"
            f" this state is template {s.template_id!r} ({s.name or '?'},"
            f" {s.language or '?'})",
        ) from None
    return cast("TemplateFact", fact)


def _with_event(
    s: TemplateState, event: TemplateEvent, pauses: tuple[datetime, ...] | None = None
) -> TemplateState:
    """Return `s` with `event` if it is the latest of its kind, and with `pauses` if given.

    One step for both, so that no state in between has a pause without its event.
    """
    changes: dict[str, Any] = {}
    current = s.latest(event.kind)
    if current is None or _event_key(current) < _event_key(event):
        kept = [e for e in s.events if e.kind is not event.kind]
        kept.append(event)
        changes["events"] = tuple(sorted(kept, key=_event_key))
    if pauses is not None and pauses != s.pauses:
        changes["pauses"] = pauses
    return attrs.evolve(s, **changes) if changes else s


def _submitted(s: TemplateState, fact: TemplateSubmitted) -> TemplateState:
    new = _with_event(s, TemplateEvent(kind=_I.PENDING, at=fact.at))
    if s.submitted_at is not None and s.submitted_at >= fact.at:
        return new
    return attrs.evolve(new, submitted_at=fact.at)


def _status_changed(s: TemplateState, fact: TemplateStatusChanged) -> TemplateState:
    kind = fact.kind
    if kind is None:
        key = (fact.at, fact.event)
        if s.unknown_event_at is not None and (s.unknown_event_at, s.unknown_event) >= key:
            return s
        return attrs.evolve(s, unknown_event=fact.event, unknown_event_at=fact.at)
    pauses = None
    if kind is _I.PAUSED and fact.at not in s.pauses:
        pauses = tuple(sorted((*s.pauses, fact.at)))
    return _with_event(
        s,
        TemplateEvent(kind=kind, at=fact.at, reason=fact.reason, disable_at=fact.disable_at),
        pauses,
    )


def _quality_changed(s: TemplateState, fact: TemplateQualityChanged) -> TemplateState:
    if s.quality_at is not None and (s.quality_at, _QUALITY_RANK[s.quality]) >= (
        fact.at,
        _QUALITY_RANK[fact.new],
    ):
        return s
    return attrs.evolve(s, quality=fact.new, quality_at=fact.at)


def _category_changed(s: TemplateState, fact: TemplateCategoryChanged) -> TemplateState:
    upcoming = fact.correct_category
    changes_at = fact.takes_effect_at if upcoming else None
    new = (
        fact.at,
        fact.new_category,
        upcoming,
        -1.0 if changes_at is None else changes_at.timestamp(),
    )
    if s.category_at is not None:
        old_at = s.category_changes_at
        old = (
            s.category_at,
            s.category,
            s.upcoming_category,
            -1.0 if old_at is None else old_at.timestamp(),
        )
        if old >= new:
            return s
    return attrs.evolve(
        s,
        category=fact.new_category,
        upcoming_category=upcoming,
        category_changes_at=changes_at,
        category_at=fact.at,
    )


_APPLY: Final[dict[type, Callable[[TemplateState, Any], TemplateState]]] = {
    TemplateSubmitted: _submitted,
    TemplateStatusChanged: _status_changed,
    TemplateQualityChanged: _quality_changed,
    TemplateCategoryChanged: _category_changed,
}
"""Which step each kind of fact takes."""


# --- the question ---------------------------------------------------------------------------


class TemplateReason(enum.Enum):
    """Why a template cannot be sent (blocking) or what to watch (warnings)."""

    PENDING_REVIEW = "pending_review"
    """Blocking: the template is still in review."""
    REJECTED = "rejected"
    """Blocking: the template was rejected."""
    PAUSED = "paused"
    """Blocking: the template is paused for low quality until the pause ends."""
    DISABLED = "disabled"
    """Blocking: Meta disabled the template."""
    DISABLED_AFTER_PAUSES = "disabled_after_pauses"
    """Blocking: a pause beyond the rules' last listed duration disables the template."""
    DISABLE_DATE_PASSED = "disable_date_passed"
    """Blocking: the template was flagged and its announced disable date has passed."""
    IN_APPEAL = "in_appeal"
    """Blocking: a rejection is under appeal."""
    PENDING_DELETION = "pending_deletion"
    """Blocking: the template is being deleted."""
    DELETED = "deleted"
    """Blocking: the template was deleted."""
    ARCHIVED = "archived"
    """Blocking: the template is archived."""
    LIMIT_EXCEEDED = "limit_exceeded"
    """Blocking: the account is at its template limit."""
    LOCKED = "locked"
    """Blocking: the template is locked."""
    FLAGGED = "flagged"
    """Warning: the template was flagged and will be disabled unless its quality improves."""
    LOW_QUALITY = "low_quality"
    """Warning: the quality score is RED; a pause may follow."""
    PAUSE_END_UNCONFIRMED = "pause_end_unconfirmed"
    """Warning: the pause has run its length, but Meta's APPROVED event has not arrived."""
    CATEGORY_CHANGE = "category_change"
    """Warning: Meta announced a category change (and so a price change)."""
    UNKNOWN_EVENT = "unknown_event"
    """Warning: Meta's latest status event is one the library does not know."""
    PACING = "pacing"
    """Warning: the template may be paced (a marketing or utility template that is new,
    unpaused or not GREEN): after an unpublished threshold its messages are held for feedback,
    and dropped if the feedback is bad (Meta, Template pacing)."""


_MESSAGES: Final[dict[TemplateReason, str]] = {
    TemplateReason.PENDING_REVIEW: "the template is in review since {at}; only approved"
    " templates may be sent",
    TemplateReason.REJECTED: "the template was rejected on {at}{detail}; edit and resubmit"
    " it, or appeal",
    TemplateReason.PAUSED: "the template is paused for low quality until {at} ({detail})",
    TemplateReason.DISABLED: "the template was disabled on {at}; edit and resubmit it",
    TemplateReason.DISABLED_AFTER_PAUSES: "the template was paused on {at} for the {detail}"
    " time, which disables it; edit and resubmit it",
    TemplateReason.DISABLE_DATE_PASSED: "the template was flagged and is disabled from {at}",
    TemplateReason.IN_APPEAL: "the template's rejection is under appeal since {at}",
    TemplateReason.PENDING_DELETION: "the template is being deleted since {at}",
    TemplateReason.DELETED: "the template was deleted on {at}",
    TemplateReason.ARCHIVED: "the template is archived since {at}; unarchive it first",
    TemplateReason.LIMIT_EXCEEDED: "the account reached its template limit on {at}",
    TemplateReason.LOCKED: "the template is locked by Meta since {at}",
    TemplateReason.FLAGGED: "the template was flagged for negative feedback; it will be"
    " disabled {at} unless its quality improves",
    TemplateReason.LOW_QUALITY: "the template's quality is RED since {at}; it may be paused",
    TemplateReason.PAUSE_END_UNCONFIRMED: "the template's pause ended at {at}, but Meta has"
    " not yet reported it active again",
    TemplateReason.CATEGORY_CHANGE: "Meta will change the template's category to {detail}"
    " at {at}; its price changes with it",
    TemplateReason.UNKNOWN_EVENT: "Meta reported a template event the library does not know"
    " ({detail}) at {at}",
    TemplateReason.PACING: "the template may be paced ({detail}): past a threshold Meta does"
    " not publish, its messages are held for early feedback and dropped if it is bad; send a"
    " small first batch and watch delivery",
}

_PACED_CATEGORIES: Final = frozenset({"MARKETING", "UTILITY"})
"""The categories Meta's template pacing applies to."""

_BLOCKED_BY_STATUS: Final[dict[TemplateStatus, TemplateReason]] = {
    _S.PENDING: TemplateReason.PENDING_REVIEW,
    _S.REJECTED: TemplateReason.REJECTED,
    _S.DISABLED: TemplateReason.DISABLED,
    _S.IN_APPEAL: TemplateReason.IN_APPEAL,
    _S.PENDING_DELETION: TemplateReason.PENDING_DELETION,
    _S.DELETED: TemplateReason.DELETED,
    _S.ARCHIVED: TemplateReason.ARCHIVED,
    _S.LIMIT_EXCEEDED: TemplateReason.LIMIT_EXCEEDED,
    _S.LOCKED: TemplateReason.LOCKED,
}


def _when(at: datetime | None) -> str:
    return "(unknown)" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


@attrs.frozen
class TemplateNote:
    """One reason a template cannot be sent, or one warning about it.

    `message` turns it into a sentence for a log line or an operator; it is built on demand.
    """

    code: TemplateReason = attrs.field(validator=is_a(TemplateReason))
    """Stable code to branch on."""
    at: datetime | None = attrs.field(default=None, validator=is_instant(optional=True))
    """The instant behind it (pause end, disable date, status change, ...)."""
    detail: str = attrs.field(default="", validator=is_a(str))
    """A short extra the sentence needs (pause length, new category, ...)."""

    @property
    def message(self) -> str:
        """The note as one sentence."""
        if self.code is TemplateReason.FLAGGED and self.at is None:
            when = "soon"
        else:
            when = ("on " if self.code is TemplateReason.FLAGGED else "") + _when(self.at)
        return _MESSAGES[self.code].format(at=when, detail=self.detail)

    def __str__(self) -> str:
        """Return `message`."""
        return self.message


@attrs.frozen(kw_only=True)
class TemplateDecision:
    """The answer to "may I send this template now?".

    `allowed` is `True` exactly when `reasons` is empty; `bool(decision)` is `allowed`.
    Warnings never block.
    """

    status: TemplateStatus = attrs.field(validator=is_a(TemplateStatus))
    """The status in force at `now`, once pause lengths and disable dates are applied."""
    reasons: tuple[TemplateNote, ...] = attrs.field(default=(), validator=is_tuple_of(TemplateNote))
    """Every reason it is blocked; empty when allowed."""
    warnings: tuple[TemplateNote, ...] = attrs.field(
        default=(), validator=is_tuple_of(TemplateNote)
    )
    """What to watch even though it may be sent (flagged, RED quality, category change)."""
    quality: QualityScore = attrs.field(default=QualityScore.UNKNOWN, validator=is_a(QualityScore))
    """The latest quality score."""
    category: str = attrs.field(default="", validator=is_a(str))
    """The category in force at `now` ("" if never reported)."""
    review_overdue: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether the template is in review for at least the rules' review time."""
    next_change_at: datetime | None = attrs.field(default=None, validator=is_instant(optional=True))
    """When this answer changes by the passage of time alone; `None` if only a new fact can."""

    @property
    def allowed(self) -> bool:
        """Whether the template may be sent (no blocking reason)."""
        return not self.reasons

    @property
    def codes(self) -> tuple[TemplateReason, ...]:
        """The blocking reason codes, in order."""
        return tuple(r.code for r in self.reasons)

    def __bool__(self) -> bool:
        """Return `allowed`."""
        return not self.reasons


def template_sendable(
    state: TemplateState, *, now: datetime, rules: Rules | None = None
) -> TemplateDecision:
    """Decide whether the template may be sent at `now`.

    Only APPROVED templates can be sent; every quality score can (Meta, "Template quality
    rating"). A pause blocks until it has run its length under `rules`; a flagged template
    blocks from its disable date on.

    Args:
        state: The template's state.
        now: The instant of the send (aware).
        rules: The rules to apply; by default the built-in rules in force at `now`.

    Returns:
        A `TemplateDecision` with every blocking reason, warnings and the next instant the
        answer changes. A `now` before the state's `latest_at` by at most the rules'
        `clock_skew_tolerance` is answered as at `latest_at`.

    Raises:
        NaiveDatetimeError: `now` has no time zone.
        ClockSkewError: `now` is before the state's `latest_at` by more than the tolerance.
        InvalidValueError: `state` is not a `TemplateState`.
        RuleDataError: `rules` is omitted and `now` is before the oldest rule set.
    """
    if not isinstance(state, TemplateState):
        raise InvalidValueError("state", state, "expected a TemplateState")
    now = answer_instant(utc("now", now), state.latest_at, rules)
    return sendable_at(state, now, rules if rules is not None else rules_at(now))


class _Memo:
    """A verdict kept on a state: the rules it was asked under, and the span it holds for."""

    __slots__ = ("rules", "since", "until", "verdict")

    def __init__(
        self, rules: Rules, since: datetime, until: datetime, verdict: TemplateDecision
    ) -> None:
        """Keep the verdict and its span, `since <= now < until`."""
        self.rules = rules
        self.since = since
        self.until = until
        self.verdict = verdict


def sendable_at(state: TemplateState, now: datetime, rules: Rules) -> TemplateDecision:
    """`template_sendable` once its arguments are checked and `now` is the instant to answer at.

    `decide` calls it after checking every part itself, so the check runs once per send. The
    verdict depends on `now` only through a few deadlines the state and the rules fix (the
    pause's end, the review deadline, a flag's disable date, an announced category change):
    it is kept on the state with the span between the deadlines around `now`, and asking again
    within that span under the same rules returns it without working it out again.
    """
    memo = state._memo  # noqa: SLF001 - this module's own cache
    if memo is not None and memo.rules is rules and memo.since <= now < memo.until:
        return memo.verdict
    verdict = verdict_at(state, now, rules)
    since, until = _EARLIEST, _LATEST
    for deadline in _deadlines(state, rules):
        if deadline <= now:
            since = max(since, deadline)
        else:
            until = min(until, deadline)
    object.__setattr__(state, "_memo", _Memo(rules, since, until, verdict))
    return verdict


def _deadlines(state: TemplateState, rules: Rules) -> list[datetime]:
    """Every instant at which the verdict on `state` under `rules` may change by time alone."""
    found: list[datetime] = []
    status, since = state.status, state.status_since
    if status is _S.PAUSED:
        end = state.pause_ends_at(rules)
        if end is not None:
            found.append(end)
    if status is _S.PENDING and since is not None:
        found.append(since + rules.template_review_time.value)
    flag = state.flagged
    if flag is not None and flag.disable_at is not None:
        found.append(flag.disable_at)
    if state.category_changes_at is not None:
        found.append(state.category_changes_at)
    return found


def verdict_at(state: TemplateState, now: datetime, rules: Rules) -> TemplateDecision:
    """Work out the verdict on `state` at `now` under `rules`, kept nowhere (`sendable_at`'s)."""
    reasons: list[TemplateNote] = []
    warnings: list[TemplateNote] = []
    changes: list[datetime] = []
    status, since = state.status, state.status_since
    review_overdue = False

    if status is _S.PAUSED:
        status = _paused(state, rules, now, reasons=reasons, warnings=warnings, changes=changes)
    elif status is _S.PENDING:
        deadline = None if since is None else since + rules.template_review_time.value
        review_overdue = deadline is not None and now >= deadline
        if deadline is not None and not review_overdue:
            changes.append(deadline)
    if status is _S.APPROVED:
        status = _flag(state, now, reasons, warnings, changes)
    elif status in _BLOCKED_BY_STATUS and not reasons:
        reasons.append(_status_note(state, status, since))

    if state.quality is QualityScore.RED:
        warnings.append(TemplateNote(TemplateReason.LOW_QUALITY, state.quality_at))
    category = state.category
    changes_at = state.category_changes_at
    if state.upcoming_category and changes_at is not None:
        if now >= changes_at:
            category = state.upcoming_category
        else:
            warnings.append(
                TemplateNote(TemplateReason.CATEGORY_CHANGE, changes_at, state.upcoming_category)
            )
            changes.append(changes_at)
    unknown_at = state.unknown_event_at
    if unknown_at is not None and (since is None or unknown_at > since):
        warnings.append(TemplateNote(TemplateReason.UNKNOWN_EVENT, unknown_at, state.unknown_event))
    warnings.extend(_pacing_notes(state, category, rules, blocked=bool(reasons)))

    return TemplateDecision(
        status=status,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        quality=state.quality,
        category=category,
        review_overdue=review_overdue,
        next_change_at=min(changes, default=None),
    )


def _pacing_notes(
    state: TemplateState, category: str, rules: Rules, *, blocked: bool
) -> tuple[TemplateNote, ...]:
    """Return the pacing warning of a sendable marketing or utility template not yet GREEN."""
    if (
        blocked
        or not rules.template_pacing.value
        or category.upper() not in _PACED_CATEGORIES
        or state.quality is QualityScore.GREEN
    ):
        return ()
    if state.quality is QualityScore.UNKNOWN:
        why = "quality not GREEN yet"
    else:
        why = f"quality {state.quality.value}"
    if rules.portfolio_pacing.value:
        why += "; other templates' low quality can pace it too"
    return (TemplateNote(TemplateReason.PACING, state.quality_at, why),)


def _status_note(
    state: TemplateState, status: TemplateStatus, since: datetime | None
) -> TemplateNote:
    detail = ""
    if status is _S.REJECTED and state.rejection_reason:
        detail = f" ({state.rejection_reason})"
    return TemplateNote(_BLOCKED_BY_STATUS[status], since, detail)


_ORDINALS: Final = ("first", "second", "third", "fourth", "fifth")


def _ordinal(number: int) -> str:
    return _ORDINALS[number - 1] if number <= len(_ORDINALS) else f"{number}th"


def _paused(
    state: TemplateState,
    rules: Rules,
    now: datetime,
    *,
    reasons: list[TemplateNote],
    warnings: list[TemplateNote],
    changes: list[datetime],
) -> TemplateStatus:
    """Read the current pause under `rules`; return the status in force at `now`."""
    number = state.pause_number
    end = state.pause_ends_at(rules)
    if end is None:
        reasons.append(
            TemplateNote(TemplateReason.DISABLED_AFTER_PAUSES, state.paused_at, _ordinal(number))
        )
        return _S.DISABLED
    if now < end:
        hours = rules.template_pause_durations.value[number - 1].total_seconds() / 3600
        reasons.append(TemplateNote(TemplateReason.PAUSED, end, f"pause {number}, {hours:g} h"))
        changes.append(end)
        return _S.PAUSED
    # Meta unpauses on its own once the pause has run its length and then sends APPROVED;
    # until that event arrives the template is taken as active, with a warning.
    warnings.append(TemplateNote(TemplateReason.PAUSE_END_UNCONFIRMED, end))
    return _S.APPROVED


def _flag(
    state: TemplateState,
    now: datetime,
    reasons: list[TemplateNote],
    warnings: list[TemplateNote],
    changes: list[datetime],
) -> TemplateStatus:
    """Apply a flag in force; return the status in force at `now`."""
    flag = state.flagged
    if flag is None:
        return _S.APPROVED
    disable_at = flag.disable_at
    if disable_at is not None and now >= disable_at:
        reasons.append(TemplateNote(TemplateReason.DISABLE_DATE_PASSED, disable_at))
        return _S.DISABLED
    warnings.append(TemplateNote(TemplateReason.FLAGGED, disable_at))
    if disable_at is not None:
        changes.append(disable_at)
    return _S.APPROVED
