"""Hypothesis strategies for the core's values: instants, ids, facts and the values they build."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from hypothesis import strategies as st

from wa_outbound._account import (
    AccountFact,
    AccountHealth,
    AccountRestricted,
    AccountRestrictionLifted,
    AccountViolationReported,
    BusinessVerificationChanged,
    DirectSendAccessChanged,
    MessagingLimit,
    MessagingLimitChanged,
    PhoneNumberStatus,
    PhoneNumberStatusChanged,
    QualityRating,
    QualityRatingChanged,
    Restriction,
    VerificationStatus,
)
from wa_outbound._categories import TemplateCategory
from wa_outbound._conversation import Conversation
from wa_outbound._errors import InvalidValueError
from wa_outbound._facts import (
    AUTHORITATIVE_CODES,
    BusinessCallUnanswered,
    CallConnected,
    CallPermissionGranted,
    CallPermissionRejected,
    CallPermissionRequested,
    CallPermissionRevoked,
    EntryPoint,
    Fact,
    InboundCallReceived,
    InboundMessageReceived,
    MarketingResumed,
    OptInRecorded,
    OptOutReceived,
    OptOutScope,
    OutboundMessageSent,
    Provider,
    ReferralReceived,
    SendRejected,
)
from wa_outbound._ids import BusinessScopedUserId, PhoneNumberId, WaId
from wa_outbound._rules import Rules, builtin_rule_sets
from wa_outbound._template_json import template_to_graph
from wa_outbound._template_lifecycle import (
    QualityScore,
    TemplateCategoryChanged,
    TemplateFact,
    TemplateInput,
    TemplateQualityChanged,
    TemplateState,
    TemplateStatusChanged,
    TemplateSubmitted,
)
from wa_outbound._templates import (
    Body,
    BodyExample,
    Button,
    Buttons,
    ButtonType,
    Component,
    Footer,
    Header,
    HeaderExample,
    HeaderFormat,
    NamedExample,
    OtpType,
    ParameterFormat,
    Template,
)
from wa_outbound._time import UTC

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "account_facts",
    "account_healths",
    "conversations",
    "facts",
    "graph_templates",
    "instants",
    "phone_number_ids",
    "recipients",
    "template_facts",
    "template_states",
    "templates",
    "wa_ids",
]

EPOCH: Final = datetime(2023, 1, 1, tzinfo=UTC)
"""Start of the default time range: the oldest built-in rule set."""


def instants(
    start: datetime = EPOCH, span: timedelta = timedelta(days=30)
) -> st.SearchStrategy[datetime]:
    """Aware UTC instants in `[start, start + span]`, at whole seconds."""
    seconds = int(span.total_seconds())
    return st.integers(0, seconds).map(lambda s: start + timedelta(seconds=s))


def wa_ids() -> st.SearchStrategy[WaId]:
    """Valid WhatsApp user ids (E.164 digits)."""
    return st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True).map(WaId)


def recipients() -> st.SearchStrategy[WaId | BusinessScopedUserId]:
    """WhatsApp user ids and business-scoped user ids."""
    bsuids = st.from_regex(r"[A-Z]{2}\.[A-Za-z0-9]{1,40}", fullmatch=True).map(BusinessScopedUserId)
    return st.one_of(wa_ids(), bsuids)


def phone_number_ids() -> st.SearchStrategy[PhoneNumberId]:
    """Graph API phone number ids."""
    return st.from_regex(r"[0-9]{15}", fullmatch=True).map(PhoneNumberId)


def facts(times: st.SearchStrategy[datetime] | None = None) -> st.SearchStrategy[Fact]:
    """Any conversation fact, at instants drawn from `times` (default: `instants()`)."""
    at = times if times is not None else instants()
    codes = st.sampled_from(
        [*AUTHORITATIVE_CODES, (Provider.META, 131026), (Provider.TWILIO, 63024)]
    )
    text = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).filter(str.strip)
    call_ids = st.sampled_from(["", "wacid.1", "wacid.2"])  # collisions test the dedupe

    def granted(start: datetime, hours: int | None) -> CallPermissionGranted:
        expires = None if hours is None else start + timedelta(hours=hours)
        return CallPermissionGranted(at=start, expires_at=expires)

    return st.one_of(
        st.builds(InboundMessageReceived, at=at),
        st.builds(InboundCallReceived, at=at),
        st.builds(ReferralReceived, at=at, entry_point=st.sampled_from(EntryPoint)),
        st.builds(OutboundMessageSent, at=at),
        st.builds(OptInRecorded, at=at, method=text),
        st.builds(OptOutReceived, at=at, scope=st.sampled_from(OptOutScope), method=text),
        st.builds(MarketingResumed, at=at),
        st.builds(granted, at, st.none() | st.integers(1, 24 * 14)),
        st.builds(CallPermissionRejected, at=at),
        st.builds(CallPermissionRevoked, at=at),
        st.builds(CallPermissionRequested, at=at, message_id=call_ids),
        st.builds(CallConnected, at=at, call_id=call_ids, business_initiated=st.booleans()),
        st.builds(BusinessCallUnanswered, at=at, call_id=call_ids),
        codes.flatmap(
            lambda pc: st.builds(SendRejected, at=at, provider=st.just(pc[0]), code=st.just(pc[1]))
        ),
    )


def conversations(
    times: st.SearchStrategy[datetime] | None = None, max_facts: int = 12
) -> st.SearchStrategy[Conversation]:
    """Conversations reached by applying up to `max_facts` random facts to a new one."""
    return st.builds(
        lambda business, recipient, fs: Conversation(
            business=business, recipient=recipient
        ).apply_all(fs),
        phone_number_ids(),
        recipients(),
        st.lists(facts(times), max_size=max_facts),
    )


# --- template lifecycle and account health -------------------------------------------------

_TEMPLATE_EVENTS: Final = (*(kind.value for kind in TemplateInput), "approved", "MYSTERY")
"""Meta's status events, one in lowercase (Meta's own spelling varies) and one unknown."""
_RESTRICTION_TYPES: Final = (
    "RESTRICTED_BIZ_INITIATED_MESSAGING",
    "RESTRICTED_CUSTOMER_INITIATED_MESSAGING",
    "RESTRICTION_ON_ADD_PHONE_NUMBER_ACTION",
    "RESTRICTED_SOMETHING_NEW",
)
"""Meta's documented restriction types, and one the library does not know."""


def template_facts(
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[TemplateFact]:
    """Any template fact, at instants drawn from `times` (default: `instants()`).

    Status events include every `TemplateInput`, one in lowercase and one the library does not
    know; flags come with or without a disable date, category changes announced or completed.
    """
    at = times if times is not None else instants()
    categories = st.sampled_from(["MARKETING", "UTILITY", "AUTHENTICATION"])
    return st.one_of(
        st.builds(TemplateSubmitted, at=at),
        st.builds(
            TemplateStatusChanged,
            at=at,
            event=st.sampled_from(_TEMPLATE_EVENTS),
            reason=st.sampled_from(["", "INVALID_FORMAT", "SCAM"]),
            disable_at=st.none() | at,
        ),
        st.builds(
            TemplateQualityChanged,
            at=at,
            new=st.sampled_from(QualityScore),
            previous=st.none() | st.sampled_from(QualityScore),
        ),
        st.builds(
            TemplateCategoryChanged,
            at=at,
            new_category=categories,
            previous_category=st.just("") | categories,
            correct_category=st.just("") | categories,
            takes_effect_at=st.none() | at,
        ),
    )


def template_states(
    times: st.SearchStrategy[datetime] | None = None, max_facts: int = 12
) -> st.SearchStrategy[TemplateState]:
    """Template states reached by applying up to `max_facts` random template facts."""
    return st.builds(
        lambda template_id, name, language, fs: TemplateState(
            template_id=template_id, name=name, language=language
        ).apply_all(fs),
        st.from_regex(r"[1-9][0-9]{9,15}", fullmatch=True),
        st.sampled_from(["", "order_update", "winter_sale"]),
        st.sampled_from(["", *_LANGUAGES]),
        st.lists(template_facts(times), max_size=max_facts),
    )


def account_facts(
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[AccountFact]:
    """Any account health fact, at instants drawn from `times` (default: `instants()`).

    Restriction lists hold one to three restrictions (a type twice, a type the library does not
    know, with or without an expiry); expiries are drawn from `times` too.
    """
    at = times if times is not None else instants()
    limits = st.sampled_from([-1, 250, 2_000, 10_000, 100_000]).map(MessagingLimit.from_max_daily)
    restriction = st.builds(
        Restriction, restriction_type=st.sampled_from(_RESTRICTION_TYPES), until=st.none() | at
    )
    return st.one_of(
        st.builds(
            QualityRatingChanged,
            at=at,
            rating=st.sampled_from(QualityRating),
            previous=st.none() | st.sampled_from(QualityRating),
        ),
        st.builds(PhoneNumberStatusChanged, at=at, status=st.sampled_from(PhoneNumberStatus)),
        st.builds(MessagingLimitChanged, at=at, limit=limits, previous=st.none() | limits),
        st.builds(BusinessVerificationChanged, at=at, status=st.sampled_from(VerificationStatus)),
        st.builds(
            AccountViolationReported,
            at=at,
            violation_type=st.sampled_from(["ADULT", "ALCOHOL", "SCAM"]),
        ),
        st.builds(
            AccountRestricted,
            at=at,
            restrictions=st.lists(restriction, min_size=1, max_size=3).map(tuple),
        ),
        st.builds(AccountRestrictionLifted, at=at),
        st.builds(DirectSendAccessChanged, at=at, enabled=st.booleans()),
    )


def account_healths(
    times: st.SearchStrategy[datetime] | None = None, max_facts: int = 12
) -> st.SearchStrategy[AccountHealth]:
    """Account healths reached by applying up to `max_facts` random account facts."""
    return st.builds(
        lambda number, fs: AccountHealth(phone_number_id=number).apply_all(fs),
        st.none() | phone_number_ids(),
        st.lists(account_facts(times), max_size=max_facts),
    )


# --- message templates --------------------------------------------------------------------

_LANGUAGES: Final = ("en_US", "pt_BR", "de", "es_MX", "id")
_NAME_WORDS: Final = (
    "order",
    "shipping",
    "update",
    "reminder",
    "booking",
    "payment",
    "receipt",
    "delivery",
    "account",
    "welcome",
    "seasonal",
    "promotion",
    "appointment",
    "ticket",
    "verification",
)
# Phrases of a utility text. None holds a promotional word (offer, sale, discount, off, free,
# deal, promo, coupon, buy, shop, limited), not even inside a longer word.
_LEADS: Final = (
    "Hello",
    "Hi there",
    "Dear customer",
    "Your order",
    "Your booking",
    "Your appointment with",
    "Your payment of",
    "Ticket",
    "Reminder: your visit on",
    "We received your message about",
)
"""Text before a variable: it ends with a word."""
_CONTINUATIONS: Final = (
    "has been confirmed",
    "is ready for pickup",
    "will arrive tomorrow",
    "was received today",
    "has been shipped",
    "is due next week",
    ", thank you for your order",
    ", we have updated your account",
    "is scheduled for Monday morning",
    ", please check the details below",
)
"""Text after a variable: at least two words, the last one a word."""
_SENTENCES: Final = (
    "Reply here if you need help",
    "Thank you for choosing us",
    "Contact our support team with any questions",
    "Please keep this message for your records",
    "See you soon",
    "We will let you know when it changes",
)
"""Sentences without variables, at least two words each."""
_PROMO_SENTENCES: Final = (
    "Enjoy our new season collection",
    "Members get early access this weekend",
    "Save on your favourite brands",
    "Our summer sale ends on Sunday",
    "Use your discount at checkout",
)
_PROMO_CONTINUATIONS: Final = (
    ", your exclusive offer is waiting",
    "is now on sale in our stores",
)
_SENTENCE_BREAKS: Final = (". ", ". ", "! ", ".\n", ".\n\n")
_ENDINGS: Final = ("", ".", ".", "!")
_HEADER_TEXTS: Final = (
    "Order update",
    "Your booking is confirmed",
    "Payment reminder",
    "Delivery status",
    "Appointment reminder",
)
_HEADER_PROMO_TEXTS: Final = ("Our summer sale is on!", "New arrivals this week")
_HEADER_LEADS: Final = ("Order", "Booking", "Ticket", "Hi")
_HEADER_CONTINUATIONS: Final = ("is on its way", "is confirmed", ", welcome back", "is ready")
_HEADER_PROMO_LEADS: Final = ("Our",)
_HEADER_PROMO_CONTINUATIONS: Final = ("is on!", "starts today")
_PARAM_NAMES: Final = (
    "first_name",
    "order_id",
    "due_date",
    "amount",
    "city",
    "store_name",
    "booking_ref",
    "tracking_code",
    "agent_name",
    "ticket_id",
    "seat",
)
_EXAMPLE_VALUES: Final = (
    "Maria",
    "Pablo",
    "4721-A",
    "12 March",
    "3:30 PM",
    "Berlin",
    "EUR 49.90",
    "AB123",
    "the end of August",
)
_PLAIN_FOOTERS: Final = (
    "Lucky Shrub Succulents",
    "Sent by Acme Support",
    "This is an automated message",
    "Questions? Reply to this message.",
)
_PROMO_FOOTERS: Final = (
    "Use the buttons below to manage your marketing subscriptions",
    "Not interested? Tap Stop promotions",
)
_MEDIA_HANDLES: Final = (
    "4::aW1hZ2UvanBlZw==:ARZ6Lw8vQJm0r1sN2kX",
    "4::dmlkZW8vbXA0:ARbq7tE0H3vXyQ9kM4",
    "https://scontent.whatsapp.net/v/t61.29466-34/1234567890_n.jpg",
)
_OPT_OUTS: Final = ("Stop promotions", "Unsubscribe", "Unsubscribe from Promos")
_QUICK_REPLIES: Final = ("Yes", "No", "Confirm", "Reschedule", "Talk to an agent", "Not now")
_URL_TEXTS: Final = ("View order", "Track package", "See details", "Open website")
_URLS: Final = (
    ("https://shop.example/{{1}}", ("https://shop.example/summer",)),
    ("https://www.example.com/orders/{{1}}", ("https://www.example.com/orders/4721",)),
    ("https://www.example.com/help", None),
)
_PHONE_TEXTS: Final = ("Call us", "Call support")
_PHONES: Final = ("+15550051310", "+4930901820", "+5511987654321")
_COPY_CODE_TEXT: Final = "Copy code"
_CODES: Final = ("SUMMER25", "25OFF", "WELCOME10", "FALLDEALS2026")


def _fitting(texts: tuple[str, ...], max_length: int) -> tuple[str, ...]:
    return tuple(text for text in texts if len(text) <= max_length)


@st.composite
def _variable_names(
    draw: st.DrawFn, min_count: int, max_count: int, *, named: bool
) -> tuple[str, ...]:
    """Between `min_count` and `max_count` variable keys: `1`, `2`, ... or distinct names."""
    if named:
        names = draw(
            st.lists(
                st.sampled_from(_PARAM_NAMES), min_size=min_count, max_size=max_count, unique=True
            )
        )
        return tuple(names)
    return tuple(str(n) for n in range(1, draw(st.integers(min_count, max_count)) + 1))


def _examples(draw: st.DrawFn, keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(draw(st.sampled_from(_EXAMPLE_VALUES)) for _ in keys)


def _words(text: str) -> int:
    return len(text.split())


def _longest(texts: tuple[str, ...]) -> int:
    return max(map(len, texts))


def _attach(text: str, key: str, after: str) -> str:
    """`text {{key}} after`, without a space before `after`'s leading comma."""
    return f"{text} {{{{{key}}}}}" + ("" if after.startswith(",") else " ") + after


@st.composite
def _body(draw: st.DrawFn, rules: Rules, *, named: bool, promotional: bool) -> Body:
    """A body of sentences whose variables sit between fixed words, never side by side."""
    sentences = _SENTENCES + _PROMO_SENTENCES if promotional else _SENTENCES
    continuations = _CONTINUATIONS + _PROMO_CONTINUATIONS if promotional else _CONTINUATIONS
    newlines = rules.template_body_max_newlines.value
    breaks = st.sampled_from(tuple(b for b in _SENTENCE_BREAKS if b.count("\n") <= newlines))
    per_variable = rules.template_words_per_parameter.value
    # Worst-case sizes keep the text within the length limit without filtering.
    sentence_size = _longest(sentences) + 3  # with a break
    padding = -(-per_variable // 2)  # sentences (two words or more) that make up the ratio
    variable_size = (
        _longest(_LEADS)
        + _longest(_PARAM_NAMES)
        + 5
        + _longest(continuations)
        + 3
        + padding * sentence_size
    )
    room = rules.template_body_max_length.value - 1  # the closing punctuation
    if promotional:  # a marketing body: its own limit, which a host may set lower
        room = min(room, rules.template_marketing_body_max_length.value - 1)
    max_variables = max(0, min(4, (room - sentence_size) // variable_size))
    keys = draw(_variable_names(0, max_variables, named=named))
    parts: list[str] = []
    for key in keys:
        # at least `per_variable` fixed words after each variable keep the ratio and the end
        part = _attach(draw(st.sampled_from(_LEADS)), key, draw(st.sampled_from(continuations)))
        while _words(part.rpartition("}}")[2]) < per_variable:
            part += draw(breaks) + draw(st.sampled_from(sentences))
        parts.append(part)
    tail = min(3, (room - len(keys) * variable_size) // sentence_size)
    parts += draw(st.lists(st.sampled_from(sentences), max_size=max(0, tail)))
    if not parts:  # no variable, and the worst-case sentence may not fit: pick one that does
        parts.append(draw(st.sampled_from(_fitting(sentences, room) or sentences[-1:])))
    text = parts[0]
    for part in parts[1:]:
        text += draw(breaks) + part
    text += draw(st.sampled_from(_ENDINGS))
    if not keys:
        return Body(text=text)
    values = _examples(draw, keys)
    if named:
        example = BodyExample(
            body_text_named_params=tuple(
                NamedExample(param_name=k, example=v) for k, v in zip(keys, values, strict=True)
            )
        )
    else:
        example = BodyExample(body_text=(values,))
    return Body(text=text, example=example)


@st.composite
def _text_header(draw: st.DrawFn, rules: Rules, *, named: bool, promotional: bool) -> Header | None:
    """A short text header, with at most one variable in its middle."""
    limit = rules.template_header_text_max_length.value
    texts = _fitting(_HEADER_TEXTS + _HEADER_PROMO_TEXTS if promotional else _HEADER_TEXTS, limit)
    leads = _HEADER_LEADS + _HEADER_PROMO_LEADS if promotional else _HEADER_LEADS
    per_variable = rules.template_words_per_parameter.value
    continuations = tuple(
        text
        for text in (
            _HEADER_CONTINUATIONS + _HEADER_PROMO_CONTINUATIONS
            if promotional
            else _HEADER_CONTINUATIONS
        )
        if _words(text) >= per_variable
    )
    can_vary = (
        rules.template_header_max_parameters.value >= 1
        and bool(continuations)
        and _longest(leads) + _longest(_PARAM_NAMES) + 6 + _longest(continuations) <= limit
    )
    if not can_vary or not draw(st.booleans()):
        return (
            Header(format=HeaderFormat.TEXT, text=draw(st.sampled_from(texts))) if texts else None
        )
    key = draw(_variable_names(1, 1, named=named))[0]
    text = _attach(draw(st.sampled_from(leads)), key, draw(st.sampled_from(continuations)))
    value = draw(st.sampled_from(_EXAMPLE_VALUES))
    example = (
        HeaderExample(header_text_named_params=(NamedExample(param_name=key, example=value),))
        if named
        else HeaderExample(header_text=(value,))
    )
    return Header(format=HeaderFormat.TEXT, text=text, example=example)


def _media_header(header_format: HeaderFormat) -> st.SearchStrategy[Header]:
    return st.builds(
        Header,
        format=st.just(header_format),
        example=st.sampled_from(_MEDIA_HANDLES).map(lambda h: HeaderExample(header_handle=(h,))),
    )


def _header(rules: Rules, *, named: bool, promotional: bool) -> st.SearchStrategy[Header | None]:
    return st.one_of(
        st.none(),
        _text_header(rules, named=named, promotional=promotional),
        *(
            _media_header(f)
            for f in (HeaderFormat.IMAGE, HeaderFormat.VIDEO, HeaderFormat.DOCUMENT)
        ),
        st.just(Header(format=HeaderFormat.LOCATION)),
    )


@st.composite
def _buttons(draw: st.DrawFn, rules: Rules, *, marketing: bool) -> Buttons | None:
    """Buttons within every per-kind and total limit, quick replies in one group."""
    text_length = rules.template_button_text_max_length.value
    total = rules.template_buttons_max.value
    opt_outs = _fitting(_OPT_OUTS, text_length)
    needs_opt_out = int(
        marketing and bool(opt_outs) and rules.template_quick_reply_buttons_max.value > 0
    )
    others: list[Button] = []
    url_texts = _fitting(_URL_TEXTS, text_length)
    urls = tuple((u, e) for u, e in _URLS if len(u) <= rules.template_url_max_length.value)
    url_count = min(rules.template_url_buttons_max.value, len(url_texts)) if urls else 0
    texts = (
        draw(st.lists(st.sampled_from(url_texts), max_size=url_count, unique=True))
        if url_count
        else []
    )
    for text in texts:
        url, example = draw(st.sampled_from(urls))
        others.append(Button(type=ButtonType.URL, text=text, url=url, example=example))
    phones = _fitting(_PHONES, rules.template_phone_number_max_length.value)
    phone_texts = _fitting(_PHONE_TEXTS, text_length)
    if phones and phone_texts and rules.template_phone_buttons_max.value and draw(st.booleans()):
        others.append(
            Button(
                type=ButtonType.PHONE_NUMBER,
                text=draw(st.sampled_from(phone_texts)),
                phone_number=draw(st.sampled_from(phones)),
            )
        )
    codes = _fitting(_CODES, rules.template_copy_code_max_length.value)
    if marketing and codes and rules.template_copy_code_buttons_max.value and draw(st.booleans()):
        others.append(Button(type=ButtonType.COPY_CODE, example=draw(st.sampled_from(codes))))
    others = list(draw(st.permutations(others)))[: max(0, total - needs_opt_out)]
    room = min(rules.template_quick_reply_buttons_max.value, total - len(others))
    reply_texts = _fitting(_QUICK_REPLIES, text_length) or ("",)  # "" is never drawn
    replies = list(
        draw(
            st.lists(
                st.sampled_from(reply_texts),
                max_size=max(0, room - needs_opt_out) if reply_texts else 0,
                unique=True,
            )
        )
    )
    if needs_opt_out:
        opt_out = draw(st.sampled_from(opt_outs))
        replies.insert(draw(st.integers(0, len(replies))), opt_out)
    quick = [Button(type=ButtonType.QUICK_REPLY, text=text) for text in replies]
    buttons = (quick + others) if draw(st.booleans()) else (others + quick)
    return Buttons(buttons=tuple(buttons)) if buttons else None


@st.composite
def _authentication(draw: st.DrawFn, rules: Rules) -> tuple[Component, ...]:
    """Meta's preset authentication template: body, optional expiry footer, copy-code button."""
    components: list[Component] = [
        Body(add_security_recommendation=draw(st.sampled_from((True, None))))
    ]
    if draw(st.booleans()):
        minutes = draw(st.integers(1, rules.template_code_expiration_max_minutes.value))
        components.append(Footer(code_expiration_minutes=minutes))
    fits = len(_COPY_CODE_TEXT) <= rules.template_button_text_max_length.value
    text = _COPY_CODE_TEXT if fits else None  # without a label, Meta shows its own
    button = Button(type=ButtonType.OTP, otp_type=OtpType.COPY_CODE, text=text)
    components.append(Buttons(buttons=(button,)))
    return tuple(components)


@st.composite
def _template(draw: st.DrawFn, rules: Rules, categories: tuple[TemplateCategory, ...]) -> Template:
    category = draw(st.sampled_from(categories))
    name = "_".join(draw(st.lists(st.sampled_from(_NAME_WORDS), min_size=1, max_size=3)))
    name += draw(st.sampled_from(("", "", "_v2", "_2026")))
    name = name[: min(40, rules.template_name_max_length.value)]
    language = draw(st.sampled_from(_LANGUAGES))
    if category.current is TemplateCategory.AUTHENTICATION:
        return Template(
            name=name,
            language=language,
            category=category,
            components=draw(_authentication(rules)),
        )
    parameter_format = draw(
        st.sampled_from((None, ParameterFormat.POSITIONAL, ParameterFormat.NAMED))
    )
    named = parameter_format is ParameterFormat.NAMED
    marketing = category.current is TemplateCategory.MARKETING
    components: list[Component] = []
    header = draw(_header(rules, named=named, promotional=marketing))
    if header is not None:
        components.append(header)
    components.append(draw(_body(rules, named=named, promotional=marketing)))
    footers = _fitting(
        _PLAIN_FOOTERS + _PROMO_FOOTERS if marketing else _PLAIN_FOOTERS,
        rules.template_footer_max_length.value,
    )
    if bool(footers) and draw(st.booleans()):
        components.append(Footer(text=draw(st.sampled_from(footers))))
    buttons = draw(_buttons(rules, marketing=marketing))
    if buttons is not None:
        components.append(buttons)
    return Template(
        name=name,
        language=language,
        category=category,
        components=tuple(components),
        parameter_format=parameter_format,
    )


def templates(
    rules: Rules | None = None, *, categories: Iterable[TemplateCategory] | None = None
) -> st.SearchStrategy[Template]:
    """Message templates that Meta's documented rules accept, ready to submit.

    Every template drawn passes the rules' limits: a name of lowercase letters, digits and
    underscores; a body of realistic fixed words whose variables (`{{1}}`, ... or
    `{{first_name}}` when `parameter_format` is NAMED) are numbered in order, never at the
    start or end, never side by side, with enough fixed words around them and an example
    value each; an optional text, media or location header; an optional footer; buttons
    within every per-kind and total limit, quick replies grouped together. MARKETING
    templates always carry an opt-out quick reply ("Stop promotions", "Unsubscribe"); other
    categories use no promotional words. AUTHENTICATION templates take Meta's preset shape: a
    body without text, an optional code-expiry footer and one copy-code OTP button. An interim
    or legacy category takes the shape of the category it maps to (OTP: authentication;
    TRANSACTIONAL, ACCOUNT_UPDATE, ...: utility).

    Args:
        rules: The rules whose limits apply (default: the newest built-in rule set).
        categories: The categories to draw from (default: those the rules accept for new
            templates). A category the rules do not accept gives templates that are valid in
            every other respect.

    Returns:
        A strategy of `Template` values, without the fields only Meta fills (`id`, `status`).
    """
    chosen = rules if rules is not None else builtin_rule_sets()[-1]
    allowed = tuple(categories) if categories is not None else chosen.template_categories.value
    if not allowed:
        raise InvalidValueError("categories", categories, "give at least one category")
    return _template(chosen, allowed)


def graph_templates(
    rules: Rules | None = None, *, categories: Iterable[TemplateCategory] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """The Graph API JSON (a dict, as `template_to_graph` writes it) of `templates(...)`.

    Args:
        rules: The rules whose limits apply (default: the newest built-in rule set).
        categories: The categories to draw from (default: those the rules accept).
    """
    return templates(rules, categories=categories).map(template_to_graph)
