"""The public doors hold on hostile input: only the library's errors, exact conversion or refusal.

Issue #17: raw Python errors (digits, calendar ends, CSV limits, encodings), wrong types that
would change meaning, refused calls that change state, super-linear readers and unbounded
amplification.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from wa_outbound import (
    Conversation,
    InboundMessageReceived,
    InvalidValueError,
    OptOutReceived,
    OptOutScope,
    PhoneNumberId,
    Provider,
    RateCardError,
    RecipientFileError,
    SendKind,
    SendRejected,
    Template,
    TemplateFormatError,
    WaId,
    can_send,
    classify_error,
    load_rate_card,
    rules_at,
)
from wa_outbound._errors import decimal_digits, shown
from wa_outbound._time import EARLIEST_INSTANT, LATEST_INSTANT, utc
from wa_outbound.campaigns import CampaignRecipient, read_recipients
from wa_outbound.limits import (
    LimitLedger,
    LimitScopeKey,
    Pacer,
    TokenBucket,
    dump_ledger,
    dump_pacer,
)
from wa_outbound.templates import lint_template, template_from_graph, template_from_twilio_content
from wa_outbound.webhooks import (
    MAX_UNKNOWN_EVENTS,
    UnknownEvent,
    facts_from_events,
    parse_meta_events,
    parse_twilio_events,
)

from .meta_payloads import entry, envelope, messages_change, status
from .test_twilio_webhooks import inbound_message, status_callback

UTC = timezone.utc
RECEIVED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HUGE = "1" * 5000

# --- class 1: raw Python errors -----------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1))),
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
        LATEST_INSTANT,
    ],
)
def test_an_instant_outside_the_supported_range_is_refused_at_the_door(when: datetime) -> None:
    """An instant outside 1970..3000 is refused with the range named, never an OverflowError."""
    with pytest.raises(InvalidValueError, match="supported range of instants"):
        InboundMessageReceived(at=when)


def test_the_ends_of_the_supported_range() -> None:
    """The earliest instant is taken, and so is the last microsecond before the latest."""
    last = LATEST_INSTANT - timedelta(microseconds=1)
    assert (EARLIEST_INSTANT, last) == (utc("at", EARLIEST_INSTANT), utc("at", last))


def test_a_time_zone_with_an_impossible_offset_is_refused() -> None:
    """A tzinfo whose offset is a day or more is refused, not a raw ValueError."""

    class Odd(timezone.__base__):  # type: ignore[name-defined,misc]
        def utcoffset(self, _dt: object) -> timedelta:
            return timedelta(hours=25)

    with pytest.raises(InvalidValueError, match="UTC offset"):
        utc("at", datetime(2026, 1, 1, tzinfo=Odd()))


def test_an_error_message_names_huge_numbers_and_instants_in_words() -> None:
    """A refused huge int is named by its length, an instant in ISO 8601, never by repr."""
    error = InvalidValueError("count", 10**5000, "too large")
    instant = shown(datetime(2020, 1, 1, tzinfo=UTC))
    expected = ("count=a whole number of about 5,001 digits: too large", "2020-01-01T00:00:00Z")
    assert expected == (str(error), instant)


@pytest.mark.parametrize("text", ["--5", "٤٢", "4_2", " 42", "", "-", HUGE, "+5"])
def test_decimal_digits_reads_only_short_ascii_numbers(text: str) -> None:
    """Unicode digits, double signs, underscores and 5,000 digits name no number."""
    assert decimal_digits(text, signed=True) is None


def test_a_change_level_error_code_of_double_minus_is_not_a_crash() -> None:
    """Meta's error code `--5` (or 5,000 digits) is read as no code, the body still parses."""
    body = envelope(
        entry(messages_change(errors=[{"code": "--5"}, {"code": HUGE}, {"code": "٤٢"}]))
    )
    events = parse_meta_events(body, received_at=RECEIVED)
    assert all(not error.code for event in events for error in getattr(event, "errors", ()))


def test_a_status_with_a_huge_or_unicode_timestamp_is_an_unknown_event() -> None:
    """A timestamp of 5,000 digits or of Arabic digits becomes an `UnknownEvent`."""
    body = envelope(
        entry(messages_change(statuses=[status("w1", "sent", 0) | {"timestamp": HUGE}]))
    )
    events = parse_meta_events(body, received_at=RECEIVED)
    assert [UnknownEvent] == [type(event) for event in events]


def test_twilio_huge_counts_and_codes_are_not_a_crash() -> None:
    """Twilio's NumMedia and ErrorCode of 5,000 digits read as none."""
    events = parse_twilio_events(inbound_message(NumMedia=HUGE), received_at=RECEIVED)
    failed = parse_twilio_events(status_callback("failed", ErrorCode=HUGE), received_at=RECEIVED)
    assert (1, ()) == (len(events), failed[0].errors)  # type: ignore[union-attr]


def test_classify_error_refuses_a_code_of_too_many_digits() -> None:
    """A code of 5,000 digits is refused with an InvalidValueError, not int()'s ValueError."""
    with pytest.raises(InvalidValueError, match="100 digits"):
        classify_error(Provider.META, HUGE)


def test_lint_takes_a_variable_of_five_thousand_digits() -> None:
    """`{{111…}}` with 5,000 digits is a lint finding, not a raw ValueError."""
    template = template_from_graph(
        {
            "name": "order_update",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": f"Hello {{{{{HUGE}}}}}."}],
        }
    )
    assert lint_template(template, rules=rules_at(RECEIVED))


def test_a_recipients_file_with_an_instant_at_the_calendar_start_is_a_bad_row() -> None:
    """`0001-01-01T00:00:00+01:00` is a row error naming the range, not an OverflowError."""
    rows = list(
        read_recipients(
            io.StringIO("phone,last_inbound_at\n4915123456789,0001-01-01T00:00:00+01:00\n")
        )
    )
    assert isinstance(rows[0], RecipientFileError)
    assert "supported range" in rows[0].reason


def test_a_recipients_cell_over_the_csv_field_limit_is_a_bad_row() -> None:
    """A cell of 200,000 characters is one bad row; the rows after it are still read."""
    text = "phone\n" + '"' + "1" * 200_000 + '"\n4915123456789\n'
    rows = list(read_recipients(io.StringIO(text)))
    assert [RecipientFileError, CampaignRecipient] == [type(row) for row in rows]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_recipients_file_not_in_utf8_is_refused_in_words(
    encoding: str, tmp_path: pytest.TempPathFactory
) -> None:
    """A Latin-1 or UTF-16 file raises a `RecipientFileError` asking for UTF-8."""
    path = tmp_path / "r.csv"  # type: ignore[operator]
    path.write_bytes("phone,name\n4915123456789,Jürgen\n".encode(encoding))
    with pytest.raises(RecipientFileError, match="UTF-8"):
        list(read_recipients(path))


def test_a_rate_card_not_in_utf8_is_refused_in_words() -> None:
    """A rate card that does not decode is a `RateCardError`, not a `UnicodeDecodeError`."""
    stream = io.TextIOWrapper(io.BytesIO("market,Zürich\n".encode("latin-1")), encoding="utf-8")
    with pytest.raises(RateCardError, match="UTF-8"):
        load_rate_card(stream)


def test_a_rate_card_date_at_the_calendar_start_is_a_card_error() -> None:
    """An effective_from of year 1 with an offset is refused as a card error, not an overflow."""
    text = (
        "market,category,amount,currency,effective_from,source\n"
        "DE,marketing,0.1,USD,0001-01-01T00:00:00+01:00,test\n"
    )
    with pytest.raises(RateCardError, match="supported range"):
        load_rate_card(io.StringIO(text))


# --- class 2: wrong types never change meaning ----------------------------------------------


def test_an_opt_out_scope_is_its_member_or_exactly_its_value() -> None:
    """`scope="marketing"` is the marketing scope, never a full opt-out; "Marketing" is refused."""
    fact = OptOutReceived(at=RECEIVED, scope="marketing")  # type: ignore[arg-type]
    assert OptOutScope.MARKETING == fact.scope
    with pytest.raises(InvalidValueError, match="marketing, all"):
        OptOutReceived(at=RECEIVED, scope="Marketing")  # type: ignore[arg-type]


def test_a_send_rejected_code_as_text_closes_the_window() -> None:
    """`code="63016"` is Twilio's window-closed code, not a silent no-op; `"6e4"` is refused."""
    fact = SendRejected(at=RECEIVED, provider="twilio", code="63016")  # type: ignore[arg-type]
    assert (Provider.TWILIO, 63016) == (fact.provider, fact.code)
    with pytest.raises(InvalidValueError, match="code"):
        SendRejected(at=RECEIVED, provider=Provider.META, code="6e4")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="code"):
        SendRejected(at=RECEIVED, provider=Provider.META, code=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["no", "yes", 0, 1, "", "False"])
def test_a_campaign_recipient_opt_in_is_a_bool_or_nothing(value: object) -> None:
    """`opted_in="no"` (truthy) or `1` is refused: only True, False or None."""
    with pytest.raises(InvalidValueError, match="opted_in"):
        CampaignRecipient(recipient=WaId("4915123456789"), opted_in=value)  # type: ignore[arg-type]


def test_a_keyword_list_given_as_one_string_is_refused() -> None:
    """`stop_keywords="STOP"` would stop on "S", "T", "O", "P": it is refused."""
    with pytest.raises(InvalidValueError, match="stop_keywords"):
        facts_from_events((), stop_keywords="STOP")


@pytest.mark.parametrize(
    "text", ["ut\u0131l\u0131ty", "UT\u0130L\u0130TY", "\uff55\uff54\uff49\uff4c\uff49\uff54\uff59"]
)
def test_enum_text_with_look_alike_letters_is_refused(text: str) -> None:
    """A category spelled with a dotless i (or full-width letters) is not UTILITY."""
    with pytest.raises(InvalidValueError, match="category"):
        Template(name="t", language="en_US", category=text, components=())  # type: ignore[arg-type]
    with pytest.raises(TemplateFormatError, match="category"):
        template_from_graph({"name": "t", "language": "en_US", "category": text, "components": []})


def test_functions_take_an_enum_or_exactly_its_value_string() -> None:
    """`can_send(c, "free_form")` and `classify_error("meta", ...)` convert at the door."""
    conversation = Conversation(
        business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789")
    ).apply(InboundMessageReceived(at=RECEIVED))
    by_value = can_send(conversation, "free_form", now=RECEIVED)
    by_member = can_send(conversation, SendKind.FREE_FORM, now=RECEIVED)
    assert by_member == by_value
    assert classify_error(Provider.META, 131047) == classify_error("meta", 131047)
    with pytest.raises(InvalidValueError, match="free_form"):
        can_send(conversation, "FREE_FORM", now=RECEIVED)


# --- class 3: a refused call changes nothing -----------------------------------------------


def test_a_pacer_refusing_a_recipient_records_nothing() -> None:
    """`admit` with a wrong recipient is refused before the pacer moves its latest instant."""
    pacer = Pacer(business=PhoneNumberId("106540352242922"), rules=rules_at(RECEIVED))
    pacer.admit(WaId("4915123456789"), RECEIVED)
    before = dump_pacer(pacer)
    with pytest.raises(InvalidValueError, match="recipient"):
        pacer.admit("4915123456789", RECEIVED + timedelta(hours=1))  # type: ignore[arg-type]
    assert before == dump_pacer(pacer)


def test_a_pacer_whose_next_instant_overflows_refuses_and_keeps_working() -> None:
    """A bucket pushed past the calendar's end refuses that call, and nothing is recorded."""
    bucket = TokenBucket(interval=timedelta(days=2_000_000))
    first = bucket.admit(RECEIVED)
    with pytest.raises(InvalidValueError, match="end of the calendar"):
        bucket.admit(RECEIVED)
    assert (RECEIVED, RECEIVED + timedelta(days=2_000_000)) == (first, bucket.peek(RECEIVED))


def test_a_ledger_refusing_a_send_keeps_its_latest_instant() -> None:
    """`record` with a bad flag or a send from the future leaves the ledger as it was."""
    rules = rules_at(RECEIVED)
    scope = LimitScopeKey.under(
        rules, phone_number=PhoneNumberId("106540352242922"), portfolio="102290129340398"
    )
    ledger = LimitLedger(scope=scope, rules=rules)
    ledger.record(WaId("4915123456789"), RECEIVED)
    before = dump_ledger(ledger)
    later = RECEIVED + timedelta(days=1)
    with pytest.raises(InvalidValueError, match="window_open"):
        ledger.record(WaId("4915123456780"), later, window_open="no")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="at="):
        ledger.record(WaId("4915123456780"), later, at=later + timedelta(days=1))
    assert before == dump_ledger(ledger)


# --- class 4: linear readers ------------------------------------------------------------------


def test_twilio_placeholders_are_filled_in_one_pass() -> None:
    """A URL with 2,000 placeholders is filled (one join, no rebuild per placeholder), in order."""
    url = "https://example.com/" + "".join(f"{{{{{n}}}}}/" for n in range(1, 2001))
    content = {
        "friendly_name": "many",
        "language": "en",
        "variables": {str(n): f"v{n}" for n in range(1, 2001)},
        "types": {
            "whatsapp/card": {
                "body": "Your order",
                "actions": [{"type": "URL", "title": "Open", "url": url}],
            }
        },
    }
    template = template_from_twilio_content(content, category="UTILITY")
    expected = "https://example.com/" + "".join(f"v{n}/" for n in range(1, 2001))
    button = template.components[-1].buttons[0]  # type: ignore[union-attr]
    assert (expected,) == button.example


def test_a_rate_card_with_a_repeated_column_names_it() -> None:
    """The duplicate-column check (a set, linear in the header) still names the column."""
    header = ",".join(["market", *(f"c{n}" for n in range(10_000)), "c5"])
    with pytest.raises(RateCardError, match="c5"):
        load_rate_card(io.StringIO(header + "\n"))


# --- class 5: one body, bounded output ----------------------------------------------------------


def test_unknown_events_beyond_the_cap_are_counted_not_kept() -> None:
    """1,500 empty statuses give 1,000 unknown events and one that counts the other 500."""
    body = envelope(entry(messages_change(statuses=[{}] * (MAX_UNKNOWN_EVENTS + 500))))
    events = parse_meta_events(body, received_at=RECEIVED)
    assert MAX_UNKNOWN_EVENTS + 1 == len(events)
    assert ("body", "500 more unknown events") == (events[-1].field, events[-1].reason[:23])  # type: ignore[union-attr]
