"""Twilio callbacks: `X-Twilio-Signature`, form decoding, and parameters -> typed events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound._errors import (
    InvalidValueError,
    NaiveDatetimeError,
    SignatureMismatch,
    WebhookParseError,
)
from wa_outbound._facts import Provider
from wa_outbound.webhooks._events import (
    InboundMessage,
    MessageStatus,
    Referral,
    StatusKind,
    UnknownEvent,
    WebhookError,
)
from wa_outbound.webhooks._twilio import (
    TWILIO_MAX_BODY_BYTES,
    TWILIO_SIGNATURE_HEADER,
    parse_twilio_events,
    parse_twilio_form,
    read_twilio_webhook,
    verify_twilio_body_signature,
    verify_twilio_signature,
)

from .conftest import T0

TOKEN = "12345"  # noqa: S105 - Twilio's published test token, not a credential
"""The auth token of Twilio's own published test vectors."""
OLD_TOKEN = "0f6b2c9e8d7a41c3b5e29f0a7d6c4b18"  # noqa: S105 - made-up fixture
NEW_TOKEN = "9a1d3e5f7b2c4d6e8f0a1b3c5d7e9f20"  # noqa: S105 - made-up fixture
STATUS_URL = "https://shop.example/twilio/status?tenant=7"
INBOUND_URL = "https://shop.example/twilio/inbound"
BUSINESS = "whatsapp:+14155238886"
USER = "whatsapp:+4915123456789"
OUTBOUND_SID = "SM5f3c1b2e9a7d4c6b8e0f1a2b3c4d5e6f"
INBOUND_SID = "SMa1b2c3d4e5f60718293a4b5c6d7e8f90"
TEMPLATE_SID = "MM0c9b8a7f6e5d4c3b2a19f8e7d6c5b4a3"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"

# twilio-python tests/unit/test_request_validator.py: token 12345, this URL and these params.
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
VECTOR_BODY = '{"property": "value", "boolean": true}'
VECTOR_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
VECTOR_BODY_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="


def reference_signature(token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """Twilio's documented algorithm, written out independently of the module under test."""
    text = url
    for name in sorted(params):
        value = params[name]
        for item in sorted({value} if isinstance(value, str) else set(value)):
            text += name + item
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def status_callback(status: str, **extra: str) -> dict[str, str]:
    """A WhatsApp status callback as Twilio posts it (field names from Twilio's payloads)."""
    return {
        "SmsSid": OUTBOUND_SID,
        "SmsStatus": status,
        "MessageStatus": status,
        "ChannelToAddress": "+4915123456789",
        "To": USER,
        "ChannelPrefix": "whatsapp",
        "MessageSid": OUTBOUND_SID,
        "AccountSid": ACCOUNT_SID,
        "From": BUSINESS,
        "ApiVersion": "2010-04-01",
        "ChannelInstallSid": "XE0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        **extra,
    }


def inbound_message(**extra: str) -> dict[str, str]:
    """A user's WhatsApp text to the business, as Twilio posts it to the incoming webhook."""
    return {
        "SmsMessageSid": INBOUND_SID,
        "NumMedia": "0",
        "ProfileName": "Ada L.",
        "MessageType": "text",
        "SmsSid": INBOUND_SID,
        "WaId": "4915123456789",
        "SmsStatus": "received",
        "Body": "Hi, is my order ready?",
        "To": BUSINESS,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": INBOUND_SID,
        "AccountSid": ACCOUNT_SID,
        "From": USER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def only(events: tuple[object, ...]) -> object:
    """The single event of a Twilio callback."""
    assert 1 == len(events)
    return events[0]


def signed(
    url: str, params: Mapping[str, str | Sequence[str]], token: str = TOKEN
) -> tuple[bytes, dict[str, str]]:
    """A form body and headers as Twilio would send them to `url`."""
    body = urlencode(params, doseq=True).encode()
    return body, {TWILIO_SIGNATURE_HEADER: reference_signature(token, url, params)}


# --- signature ------------------------------------------------------------------------------


def test_reference_helper_reproduces_twilio_vector() -> None:
    """The test's own reference implementation reproduces twilio-python's published vector."""
    assert VECTOR_SIGNATURE == reference_signature(TOKEN, VECTOR_URL, VECTOR_PARAMS)


def test_twilio_vector_verifies() -> None:
    """twilio-python's published vector (token 12345) verifies."""
    verify_twilio_signature(VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE, [TOKEN])


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        # Signed without a port, requested with one (twilio-python: removes port on https).
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", VECTOR_SIGNATURE),
        # Signed with the request's port 1234 over http.
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        # Signed with the default port added (443 for https, 80 for http).
        (VECTOR_URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ],
)
def test_port_variants_of_the_url_verify(url: str, signature: str) -> None:
    """The URL matches with its default port added or its port removed, as in twilio-python."""
    verify_twilio_signature(url, VECTOR_PARAMS, signature, [TOKEN])


def test_json_body_vector_verifies() -> None:
    """twilio-python's published JSON-body vector (`bodySHA256`) verifies."""
    url = f"{VECTOR_URL}&bodySHA256={VECTOR_BODY_HASH}"
    verify_twilio_body_signature(url, VECTOR_BODY, VECTOR_BODY_SIGNATURE, [TOKEN])
    verify_twilio_body_signature(url, VECTOR_BODY.encode(), VECTOR_BODY_SIGNATURE, [TOKEN])


def test_json_body_tampered_is_refused() -> None:
    """A JSON body that is not the one hashed in the signed URL is refused."""
    url = f"{VECTOR_URL}&bodySHA256={VECTOR_BODY_HASH}"
    with pytest.raises(SignatureMismatch, match="bodySHA256 does not match"):
        verify_twilio_body_signature(url, b'{"property": "evil"}', VECTOR_BODY_SIGNATURE, [TOKEN])


def test_json_body_check_needs_a_body_hash_in_the_url() -> None:
    """The JSON-body check refuses a URL without `bodySHA256`."""
    with pytest.raises(SignatureMismatch, match="no bodySHA256"):
        verify_twilio_body_signature(VECTOR_URL, VECTOR_BODY, VECTOR_BODY_SIGNATURE, [TOKEN])


def test_multi_valued_parameters_are_signed_per_value_sorted() -> None:
    """A repeated parameter is signed once per value, values sorted, whatever their order."""
    params = {
        "MessageSid": INBOUND_SID,
        "MediaUrl": ["https://media.example/b.jpg", "https://media.example/a.jpg"],
        "Body": "two pictures",
    }
    signature = reference_signature(TOKEN, INBOUND_URL, params)
    verify_twilio_signature(INBOUND_URL, params, signature, [TOKEN])
    reordered = {**params, "MediaUrl": list(reversed(params["MediaUrl"]))}
    verify_twilio_signature(INBOUND_URL, reordered, signature, [TOKEN])
    first_only = {**params, "MediaUrl": "https://media.example/b.jpg"}
    with pytest.raises(SignatureMismatch):
        verify_twilio_signature(INBOUND_URL, first_only, signature, [TOKEN])


def test_a_value_repeated_under_one_name_is_signed_once() -> None:
    """Twilio signs a name's distinct values (`sorted(set(values))`): a copy adds nothing."""
    twice = {"MessageSid": INBOUND_SID, "MediaUrl": ["https://media.example/a.jpg"] * 2}
    once = {"MessageSid": INBOUND_SID, "MediaUrl": "https://media.example/a.jpg"}
    verify_twilio_signature(
        INBOUND_URL, twice, reference_signature(TOKEN, INBOUND_URL, once), [TOKEN]
    )


_names = st.sampled_from(["Body", "MediaUrl0", "MediaUrl", "From", "a", "ab", "b"])
_values = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6
) | st.sampled_from(["x", "y"])


@given(
    pairs=st.lists(st.tuples(_names, _values), max_size=8),
    url=st.sampled_from([INBOUND_URL, STATUS_URL, "https://shop.example:443/t?x=1&x=2"]),
)
def test_signatures_agree_with_twilio_python(pairs: list[tuple[str, str]], url: str) -> None:
    """On random forms, repeated names and values included, twilio-python signs as we verify."""
    request_validator = pytest.importorskip("twilio.request_validator")
    validator = request_validator.RequestValidator(TOKEN)
    form = GetAllDict(pairs)
    signature = validator.compute_signature(url, form)
    assert validator.validate(url, form, signature)
    verify_twilio_signature(url, MultiDict(pairs), signature, [TOKEN])  # type: ignore[arg-type]
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    verify_twilio_signature(url, params, signature, [TOKEN])


class GetAllDict(dict[str, str]):
    """Flask's `MultiDict` as twilio-python reads it: `getall` gives every value of a name."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        """Keep the pairs; the dict holds each name's first value."""
        super().__init__((name, value) for name, value in reversed(pairs))
        self.pairs = pairs

    def getall(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        return [value for key, value in self.pairs if key == name]


class MultiDict:
    """The part of Werkzeug's `MultiDict` that matters: iteration and `getlist`."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        """Keep the pairs."""
        self.pairs = pairs

    def __iter__(self) -> object:
        """Each name once."""
        return iter(dict.fromkeys(name for name, _ in self.pairs))

    def __getitem__(self, name: str) -> str:
        """The first value, as Werkzeug does."""
        return next(value for key, value in self.pairs if key == name)

    def __len__(self) -> int:
        """How many names."""
        return len(dict.fromkeys(name for name, _ in self.pairs))

    def getlist(self, name: str) -> list[str]:
        """Every value of `name`."""
        return [value for key, value in self.pairs if key == name]

    def items(self) -> list[tuple[str, str]]:
        """First values only, as Werkzeug does: what a naive reader would lose."""
        return [(name, self[name]) for name in self]


def test_multidict_is_read_with_all_its_values() -> None:
    """A framework multi-value dict passed as is verifies with every value of a repeated name."""
    pairs = [("MediaUrl", "https://media.example/a.jpg"), ("MediaUrl", "https://media.example/b")]
    params = {"MediaUrl": [value for _, value in pairs]}
    signature = reference_signature(TOKEN, INBOUND_URL, params)
    verify_twilio_signature(INBOUND_URL, MultiDict(pairs), signature, [TOKEN])  # type: ignore[arg-type]


def test_any_token_of_a_rotation_verifies() -> None:
    """During a rotation both the new and the previous auth token are accepted."""
    params = status_callback("delivered")
    for token in (OLD_TOKEN, NEW_TOKEN):
        signature = reference_signature(token, STATUS_URL, params)
        verify_twilio_signature(STATUS_URL, params, signature, [NEW_TOKEN, OLD_TOKEN])


@pytest.mark.parametrize(
    ("url", "params", "tokens"),
    [
        pytest.param(STATUS_URL, status_callback("delivered"), [OLD_TOKEN], id="wrong-token"),
        pytest.param(STATUS_URL, status_callback("read"), [TOKEN], id="tampered-param"),
        pytest.param(
            STATUS_URL, {**status_callback("delivered"), "X": ""}, [TOKEN], id="added-param"
        ),
        pytest.param(
            "https://shop.example/twilio/status?tenant=8",
            status_callback("delivered"),
            [TOKEN],
            id="other-url",
        ),
    ],
)
def test_mismatching_signatures_are_refused(
    url: str, params: dict[str, str], tokens: list[str]
) -> None:
    """A wrong token, a changed or added parameter, or another URL is refused."""
    signature = reference_signature(TOKEN, STATUS_URL, status_callback("delivered"))
    with pytest.raises(SignatureMismatch) as caught:
        verify_twilio_signature(url, params, signature, tokens)
    assert TWILIO_SIGNATURE_HEADER == caught.value.header
    assert "does not match" in caught.value.reason


@pytest.mark.parametrize(
    ("signature", "tokens", "reason"),
    [
        (None, [TOKEN], "header missing"),
        ("RSOYDt4T1cUTdK1PDd93/VVr8B8=", [], "no auth token"),
        ("ŝïğñàtürę", [TOKEN], "does not match"),
        ("", [TOKEN], "does not match"),
    ],
)
def test_missing_or_garbled_signatures_are_refused(
    signature: str | None, tokens: list[str], reason: str
) -> None:
    """A missing header, no token to check with, or a garbled header is refused with a reason."""
    with pytest.raises(SignatureMismatch, match=reason):
        verify_twilio_signature(VECTOR_URL, VECTOR_PARAMS, signature, tokens)


@pytest.mark.parametrize(
    "url",
    ["https://mycompany.com:abc/myapp.php", "https://[::1/myapp.php", "https://u:p@[::1]:8443/x?"],
)
def test_odd_urls_are_still_checked_as_given(url: str) -> None:
    """A URL with a bad port, a broken host or an empty query is checked as given."""
    verify_twilio_signature(
        url, VECTOR_PARAMS, reference_signature(TOKEN, url, VECTOR_PARAMS), [TOKEN]
    )


def test_signature_with_whitespace_around_verifies() -> None:
    """Whitespace a proxy left around the header value does not matter."""
    verify_twilio_signature(VECTOR_URL, VECTOR_PARAMS, f" {VECTOR_SIGNATURE}\n", [TOKEN])


# --- form decoding --------------------------------------------------------------------------


def test_form_keeps_repeated_names_blank_values_and_decodes_plus() -> None:
    """Repeated names keep every value in order, blank values stay, `+` is a space."""
    form = parse_twilio_form(b"MediaUrl0=b&MediaUrl0=a&Body=&Note=caf%C3%A9+au+lait%2B")
    assert {"MediaUrl0": ("b", "a"), "Body": "", "Note": "café au lait+"} == form


def test_form_accepts_text() -> None:
    """A body already decoded to text is read the same way."""
    assert {"Body": "Grüße"} == parse_twilio_form("Body=Gr%C3%BC%C3%9Fe")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"Body=\xff\xfe", id="raw-invalid-utf8"),
        pytest.param(b"Body=%FF%FE", id="escaped-invalid-utf8"),
        pytest.param(b"&".join([b"a=1"] * 1001), id="too-many-fields"),
    ],
)
def test_unreadable_forms_are_refused(body: bytes) -> None:
    """Invalid UTF-8, raw or escaped, and absurd field counts raise `WebhookParseError`."""
    with pytest.raises(WebhookParseError):
        parse_twilio_form(body)


def test_oversized_bodies_are_refused() -> None:
    """A body over the limit is refused unread."""
    with pytest.raises(WebhookParseError, match="exceeds 10"):
        parse_twilio_form(b"Body=" + b"x" * 6, max_body_bytes=10)


@pytest.mark.parametrize(
    "mapping",
    [
        pytest.param({1: "x"}, id="name-not-text"),
        pytest.param({"Body": 1}, id="value-not-text"),
        pytest.param({"Body": b"hi"}, id="value-bytes"),
        pytest.param({"Body": ["hi", 2]}, id="list-with-non-text"),
    ],
)
def test_mappings_of_other_than_strings_are_refused(mapping: dict[object, object]) -> None:
    """A decoded mapping holding something other than strings raises `WebhookParseError`."""
    with pytest.raises(WebhookParseError):
        parse_twilio_form(mapping)  # type: ignore[arg-type]


def test_mapping_sequences_are_normalised() -> None:
    """A one-value list becomes its value; several values or none become a tuple."""
    form = parse_twilio_form({"Body": ["hi"], "MediaUrl": ["a", "b"], "Empty": []})
    assert {"Body": "hi", "MediaUrl": ("a", "b"), "Empty": ()} == form


# --- status callbacks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("twilio_status", "event_type", "kind"),
    [
        ("sent", "", StatusKind.SENT),
        ("delivered", "DELIVERED", StatusKind.DELIVERED),
        ("read", "READ", StatusKind.READ),
    ],
)
def test_status_callbacks_become_message_statuses(
    twilio_status: str, event_type: str, kind: StatusKind
) -> None:
    """`sent`, `delivered` and `read` callbacks become `MessageStatus`es without a time."""
    params = status_callback(twilio_status)
    if event_type:
        params["EventType"] = event_type
    expected = MessageStatus(
        provider=Provider.TWILIO,
        phone_number_id="14155238886",
        message_id=OUTBOUND_SID,
        status=kind,
        at=None,
        recipient_id="4915123456789",
    )
    event = only(parse_twilio_events(params, received_at=T0))
    assert expected == event
    assert isinstance(event, MessageStatus)
    assert params == event.raw


def test_failed_outside_the_window_carries_63016() -> None:
    """A `failed` callback with ErrorCode 63016 carries it as a `WebhookError`."""
    params = status_callback("failed", ErrorCode="63016")
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, MessageStatus)
    assert StatusKind.FAILED == event.status
    assert (WebhookError(code=63016),) == event.errors


def test_undelivered_carries_its_error_and_channel_message() -> None:
    """An `undelivered` callback keeps the code, Twilio's message and the channel's message."""
    params = status_callback(
        "undelivered",
        ErrorCode="63049",
        ErrorMessage="Meta chose not to deliver this WhatsApp marketing message.",
        ChannelStatusMessage="Message failed to send because more than 24 hours have passed",
    )
    expected = WebhookError(
        code=63049,
        message="Meta chose not to deliver this WhatsApp marketing message.",
        details="Message failed to send because more than 24 hours have passed",
    )
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, MessageStatus)
    assert StatusKind.UNDELIVERED == event.status
    assert (expected,) == event.errors


@pytest.mark.parametrize(
    "code", ["", "n/a", "\uff16\uff13\uff10\uff11\uff16"]
)  # last: full-width digits
def test_unreadable_error_codes_are_left_in_raw(code: str) -> None:
    """An empty or non-numeric ErrorCode gives no `WebhookError`; the status still counts."""
    event = only(parse_twilio_events(status_callback("failed", ErrorCode=code), received_at=T0))
    assert isinstance(event, MessageStatus)
    assert () == event.errors


@pytest.mark.parametrize(
    "twilio_status",
    ["queued", "accepted", "scheduled", "sending", "canceled", "partially_delivered"],
)
def test_interim_statuses_are_kept_as_unknown_events(twilio_status: str) -> None:
    """Statuses with no `StatusKind` equivalent become `UnknownEvent`s naming the status."""
    params = status_callback(twilio_status)
    expected = UnknownEvent(
        provider=Provider.TWILIO,
        field="MessageStatus",
        reason=f"Twilio status {twilio_status!r} has no StatusKind equivalent",
    )
    event = only(parse_twilio_events(params, received_at=T0))
    assert expected == event
    assert isinstance(event, UnknownEvent)
    assert params == event.raw


def test_unknown_statuses_are_kept_as_unknown_events() -> None:
    """A status Twilio has not documented becomes an `UnknownEvent`, not an error."""
    event = only(parse_twilio_events(status_callback("teleported"), received_at=T0))
    assert isinstance(event, UnknownEvent)
    assert "unknown Twilio status 'teleported'" == event.reason


def test_status_is_read_from_sms_status_when_message_status_is_absent() -> None:
    """The legacy `SmsStatus` stands in for a missing `MessageStatus`."""
    params = status_callback("delivered")
    del params["MessageStatus"]
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, MessageStatus)
    assert StatusKind.DELIVERED == event.status


def test_non_numeric_addresses_are_kept_as_sent() -> None:
    """An address that is not `+digits` keeps its text, prefix removed."""
    params = status_callback("sent", To="whatsapp:US.13491208655302741918")
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, MessageStatus)
    assert "US.13491208655302741918" == event.recipient_id


def test_channel_prefix_alone_marks_whatsapp() -> None:
    """`ChannelPrefix=whatsapp` marks a WhatsApp callback even with bare addresses."""
    params = status_callback("sent", From="+14155238886", To="+4915123456789")
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, MessageStatus)
    assert ("14155238886", "4915123456789") == (event.phone_number_id, event.recipient_id)


# --- inbound messages -----------------------------------------------------------------------


def test_inbound_text_becomes_an_inbound_message() -> None:
    """A user's text becomes an `InboundMessage` at the host's `received_at`."""
    expected = InboundMessage(
        provider=Provider.TWILIO,
        phone_number_id="14155238886",
        message_id=INBOUND_SID,
        at=T0,
        type="text",
        wa_id="4915123456789",
        profile_name="Ada L.",
        text="Hi, is my order ready?",
    )
    assert expected == only(parse_twilio_events(inbound_message(), received_at=T0))


def test_click_to_whatsapp_ad_carries_its_referral() -> None:
    """The first message after a click-to-WhatsApp ad carries the ad as a `Referral`."""
    params = inbound_message(
        Body="Hi! I saw your ad for the rain jacket",
        ReferralSourceId="120210000000000001",
        ReferralSourceType="ad",
        ReferralSourceUrl="https://fb.me/3cZ8rQmXy",
        ReferralHeadline="Rain jackets -20% this week",
        ReferralBody="Free shipping to Germany",
        ReferralCtwaClid="ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
        ReferralMediaId="1518926418563488",
        ReferralMediaContentType="image/jpeg",
        ReferralMediaUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/SM0/Media/ME0",
    )
    expected = Referral(
        source_type="ad",
        source_id="120210000000000001",
        source_url="https://fb.me/3cZ8rQmXy",
        headline="Rain jackets -20% this week",
        ctwa_clid="ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
    )
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, InboundMessage)
    assert expected == event.referral
    assert "Hi! I saw your ad for the rain jacket" == event.text


def test_quick_reply_button_carries_payload_and_replied_message() -> None:
    """A tapped quick-reply button carries its payload, its text and the template it answers."""
    params = inbound_message(
        MessageType="button",
        Body="Stop promotions",
        ButtonText="Stop promotions",
        ButtonPayload="OPT_OUT_MARKETING",
        OriginalRepliedMessageSender=BUSINESS,
        OriginalRepliedMessageSid=TEMPLATE_SID,
    )
    expected = InboundMessage(
        provider=Provider.TWILIO,
        phone_number_id="14155238886",
        message_id=INBOUND_SID,
        at=T0,
        type="button",
        wa_id="4915123456789",
        profile_name="Ada L.",
        text="Stop promotions",
        button_payload="OPT_OUT_MARKETING",
        context_id=TEMPLATE_SID,
    )
    assert expected == only(parse_twilio_events(params, received_at=T0))


def test_button_text_stands_in_for_an_empty_body() -> None:
    """When `Body` is empty, the button's text is the message's text."""
    params = inbound_message(Body="", ButtonText="Yes, confirm", ButtonPayload="CONFIRM")
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, InboundMessage)
    assert "Yes, confirm" == event.text


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        ({}, "text"),
        ({"ButtonPayload": "CONFIRM"}, "button"),
        ({"ButtonText": "Confirm"}, "button"),
        ({"NumMedia": "1", "MediaContentType0": "image/jpeg"}, "image"),
        ({"NumMedia": "1", "MediaContentType0": "audio/ogg"}, "audio"),
        ({"NumMedia": "2", "MediaContentType0": "video/mp4"}, "video"),
        ({"NumMedia": "1", "MediaContentType0": "application/pdf"}, "document"),
        ({"NumMedia": "x", "MediaContentType0": "image/jpeg"}, "text"),
        ({"Latitude": "52.52", "Longitude": "13.405"}, "location"),
        ({"Latitude": "52.52"}, "text"),
    ],
)
def test_message_type_is_inferred_when_twilio_does_not_say(
    extra: dict[str, str], kind: str
) -> None:
    """Without `MessageType`, the type follows from buttons, media and location parameters."""
    params = {**inbound_message(**extra)}
    del params["MessageType"]
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, InboundMessage)
    assert kind == event.type


def test_sender_falls_back_to_from_without_wa_id() -> None:
    """Without `WaId` the user is the digits of `From`."""
    params = inbound_message()
    del params["WaId"]
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, InboundMessage)
    assert "4915123456789" == event.wa_id


def test_inbound_without_sender_is_unknown() -> None:
    """An inbound message with neither `WaId` nor `From` is kept as an `UnknownEvent`."""
    params = inbound_message()
    del params["WaId"], params["From"]
    event = only(parse_twilio_events(params, received_at=T0))
    assert isinstance(event, UnknownEvent)
    assert "inbound message without a sender" == event.reason


def test_inbound_without_status_is_recognised_by_its_body() -> None:
    """A message without `SmsStatus` is still an inbound message when it has a `Body`."""
    params = inbound_message()
    del params["SmsStatus"]
    assert isinstance(only(parse_twilio_events(params, received_at=T0)), InboundMessage)


def test_repeated_parameters_are_read_by_their_first_value() -> None:
    """Where a parameter came several times, the event reads its first value."""
    event = only(
        parse_twilio_events(
            urlencode({**inbound_message(), "Body": ["first", "second"]}, doseq=True),
            received_at=T0,
        )
    )
    assert isinstance(event, InboundMessage)
    assert "first" == event.text


def test_received_at_must_be_aware() -> None:
    """A naive `received_at` is refused; an aware one is normalised to UTC."""
    with pytest.raises(NaiveDatetimeError):
        parse_twilio_events(inbound_message(), received_at=datetime(2026, 11, 23, 9))
    berlin = T0.astimezone(timezone(timedelta(hours=1)))
    event = only(parse_twilio_events(inbound_message(), received_at=berlin))
    assert isinstance(event, InboundMessage)
    assert T0 == event.at
    assert timezone.utc == event.at.tzinfo


# --- anything else --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        pytest.param(
            {"EventType": "onMessageAdded", "ConversationSid": "CH0"},
            "MessageSid",
            "no MessageSid: not a Messaging callback",
            id="conversations-webhook",
        ),
        pytest.param(
            {**status_callback("delivered", From="+14155238886", To="+4915123456789")}
            | {"ChannelPrefix": "sms"},
            "From",
            "not a WhatsApp message (From='+14155238886', To='+4915123456789')",
            id="sms",
        ),
        pytest.param(
            {"MessageSid": OUTBOUND_SID, "From": BUSINESS, "To": USER},
            "MessageStatus",
            "neither a status callback nor an inbound message",
            id="no-status-no-body",
        ),
    ],
)
def test_other_callbacks_are_unknown_events(
    params: dict[str, str], field: str, reason: str
) -> None:
    """Callbacks that are not WhatsApp message callbacks are kept as `UnknownEvent`s."""
    expected = UnknownEvent(provider=Provider.TWILIO, field=field, reason=reason)
    assert expected == only(parse_twilio_events(params, received_at=T0))


# --- the whole request ----------------------------------------------------------------------


def test_signed_request_is_read() -> None:
    """A signed status callback POST comes back as its event; header case does not matter."""
    body, headers = signed(STATUS_URL, status_callback("read"))
    lower = {"content-type": "application/x-www-form-urlencoded"}
    lower |= {name.lower(): value for name, value in headers.items()}
    event = only(read_twilio_webhook(STATUS_URL, body, lower, auth_tokens=[TOKEN], received_at=T0))
    assert isinstance(event, MessageStatus)
    assert StatusKind.READ == event.status


def test_request_to_an_odd_url_is_checked_as_given() -> None:
    """A request to a URL with a broken host is verified over that URL as given."""
    url = "https://[::1/twilio/inbound"
    body, headers = signed(url, inbound_message())
    event = only(read_twilio_webhook(url, body, headers, auth_tokens=[TOKEN], received_at=T0))
    assert isinstance(event, InboundMessage)


def test_unsigned_request_is_refused() -> None:
    """A POST without the header raises `SignatureMismatch`, not an event."""
    body, _ = signed(INBOUND_URL, inbound_message())
    with pytest.raises(SignatureMismatch, match="header missing"):
        read_twilio_webhook(INBOUND_URL, body, {}, auth_tokens=[TOKEN], received_at=T0)


def test_forged_request_is_refused() -> None:
    """A body changed after signing raises `SignatureMismatch`."""
    body, headers = signed(INBOUND_URL, inbound_message())
    forged = body.replace(b"order+ready", b"refund+now")
    with pytest.raises(SignatureMismatch):
        read_twilio_webhook(INBOUND_URL, forged, headers, auth_tokens=[TOKEN], received_at=T0)


def test_oversized_request_is_refused_before_the_signature() -> None:
    """A body over the limit is refused before its signature is even looked at."""
    with pytest.raises(WebhookParseError, match="exceeds"):
        read_twilio_webhook(
            INBOUND_URL,
            b"x" * (TWILIO_MAX_BODY_BYTES + 1),
            {},
            auth_tokens=[TOKEN],
            received_at=T0,
        )


def test_naive_received_at_is_refused_for_requests() -> None:
    """`read_twilio_webhook` refuses a naive `received_at` too."""
    body, headers = signed(INBOUND_URL, inbound_message())
    with pytest.raises(NaiveDatetimeError):
        read_twilio_webhook(
            INBOUND_URL, body, headers, auth_tokens=[TOKEN], received_at=datetime(2026, 11, 23)
        )


def test_json_bodied_request_is_verified_and_kept_unknown() -> None:
    """A signed JSON-bodied webhook is verified by its body hash and kept as an `UnknownEvent`."""
    url = f"{VECTOR_URL}&bodySHA256={VECTOR_BODY_HASH}"
    headers = {"X-Twilio-Signature": VECTOR_BODY_SIGNATURE}
    event = only(
        read_twilio_webhook(url, VECTOR_BODY.encode(), headers, auth_tokens=[TOKEN], received_at=T0)
    )
    assert isinstance(event, UnknownEvent)
    assert "body" == event.field
    assert VECTOR_BODY == event.raw
    with pytest.raises(SignatureMismatch):
        read_twilio_webhook(url, b"{}", headers, auth_tokens=[TOKEN], received_at=T0)


# --- properties -----------------------------------------------------------------------------

KNOWN_NAMES = st.sampled_from(
    [
        "MessageSid",
        "SmsSid",
        "MessageStatus",
        "SmsStatus",
        "From",
        "To",
        "WaId",
        "Body",
        "NumMedia",
        "MediaContentType0",
        "ErrorCode",
        "ChannelPrefix",
        "ButtonPayload",
        "ReferralSourceId",
        "MessageType",
        "Latitude",
        "Longitude",
    ]
)
KNOWN_VALUES = st.sampled_from(
    [
        "SM0",
        "whatsapp:+4915123456789",
        "whatsapp:",
        "+14155238886",
        "whatsapp",
        "received",
        "sent",
        "failed",
        "queued",
        "63016",
        "1",
        "image/png",
        "",
    ]
)
VALUES = st.one_of(KNOWN_VALUES, st.text())
PARAMS = st.dictionaries(
    st.one_of(KNOWN_NAMES, st.text()),
    st.one_of(VALUES, st.lists(VALUES, min_size=2, max_size=3)),
    max_size=12,
)


@pytest.mark.fuzz
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_ever_raise_parse_errors(body: bytes) -> None:
    """Any bytes either give exactly one event or raise `WebhookParseError`."""
    try:
        events = parse_twilio_events(body, received_at=T0)
    except WebhookParseError:
        return
    assert 1 == len(events)


@pytest.mark.fuzz
@given(PARAMS)
def test_arbitrary_parameters_always_give_one_event(params: dict[str, str | list[str]]) -> None:
    """Any mapping of strings gives exactly one event and never raises."""
    assert 1 == len(parse_twilio_events(params, received_at=T0))


@given(PARAMS)
def test_form_round_trips(params: dict[str, str | list[str]]) -> None:
    """Encoding parameters as a form and decoding them gives the same parameters back."""
    expected = {
        name: value if isinstance(value, str) else tuple(value) for name, value in params.items()
    }
    assert expected == parse_twilio_form(urlencode(params, doseq=True).encode())


@given(PARAMS, st.sampled_from([STATUS_URL, INBOUND_URL, VECTOR_URL]))
def test_signed_requests_always_verify(params: dict[str, str | list[str]], url: str) -> None:
    """Any parameters signed by Twilio's algorithm verify, end to end through the raw body."""
    body, headers = signed(url, params)
    events = read_twilio_webhook(url, body, headers, auth_tokens=[OLD_TOKEN, TOKEN], received_at=T0)
    assert 1 == len(events)


@pytest.mark.fuzz
@given(st.binary(max_size=400), st.text(max_size=40))
def test_arbitrary_requests_raise_only_input_errors(body: bytes, signature: str) -> None:
    """Any body with any signature is refused with `SignatureMismatch` or `WebhookParseError`."""
    with pytest.raises((SignatureMismatch, WebhookParseError)):
        read_twilio_webhook(
            INBOUND_URL,
            body,
            {TWILIO_SIGNATURE_HEADER: signature},
            auth_tokens=[TOKEN],
            received_at=T0,
        )


@pytest.mark.parametrize(
    "received_at",
    [datetime(2008, 12, 31, tzinfo=timezone.utc), datetime(2101, 1, 2, tzinfo=timezone.utc)],
)
def test_a_receive_time_that_cannot_be_true_is_refused(received_at: datetime) -> None:
    """A receive time before 2009 or after 2100 is refused: it would stamp Twilio's facts."""
    with pytest.raises(InvalidValueError, match="received_at") as caught:
        parse_twilio_events(inbound_message(), received_at=received_at)
    assert received_at == caught.value.value
    body, headers = signed(INBOUND_URL, inbound_message())
    with pytest.raises(InvalidValueError, match="host's clock"):
        read_twilio_webhook(
            INBOUND_URL, body, headers, auth_tokens=[TOKEN], received_at=received_at
        )
