"""Twilio Content API resources read as `Template` values, and `ContentVariables` written.

Theory of operation
-------------------
A host that sends through Twilio keeps its WhatsApp templates as Content API resources
(`GET https://content.twilio.com/v1/Content/{sid}`): a `sid` (`HX` and 32 hex digits), a
`friendly_name`, a `language`, default `variables` (`{"1": "Customer_Name"}`) and `types`, one
entry per content type (`twilio/text`, `twilio/call-to-action`, ...) holding that type's
fields. Twilio submits such a resource to WhatsApp for approval as a Meta template, so
`template_from_twilio_content` reads it onto the same `Template` model as Meta's Graph JSON;
`lint_template` and the send-time checks then work the same for both providers.

What is mapped, and how:

- `friendly_name` becomes `name`, kept as given: WhatsApp approval needs lowercase letters,
  digits and underscores, and the linter is what says so.
- `sid` becomes `id`, `language` stays `language`.
- Of the content types present, the one WhatsApp templates are made of is read, preferring
  `whatsapp/authentication`, then `whatsapp/card`, `twilio/card`, `twilio/call-to-action`,
  `twilio/quick-reply`, `twilio/media` and `twilio/text`; other types (`twilio/list-picker`,
  `twilio/location`, ...) are ignored, and a resource with none of these is refused.
- `body` becomes the BODY text; `{{1}}`-style variables stay as written. A text of only
  numbered variables is positional; any other name makes the template NAMED.
- `variables` give the examples Meta asks for (`body_text`, `header_text`, the URL button's
  full sample address, the media header's sample). A text whose variables do not all have a
  default gets no example, so the linter reports the gap rather than a half-filled example.
- `whatsapp/card`'s `header_text` becomes a TEXT header; `media` (the first URL) becomes an
  IMAGE, VIDEO or DOCUMENT header by the file extension of its sample (IMAGE when unknown,
  as WhatsApp classifies it by the sample at approval), the sample URL standing in for
  Meta's `header_handle`. `footer` (`whatsapp/card`) and `subtitle` (`twilio/card`) become
  the FOOTER; `twilio/card`'s `title` is the body text, followed by its `body` if any.
- Actions become buttons: URL, PHONE_NUMBER (`phone`), COPY_CODE (`code` as the example; its
  `title` has no Meta counterpart), VOICE_CALL and quick replies (`id` is a send-time payload
  with no Meta counterpart). `whatsapp/authentication` becomes Meta's preset shape: a body
  with `add_security_recommendation` (Twilio's default is true), an expiry footer and one
  copy-code OTP button labelled `copy_code_text`.
- Twilio keeps the category in the approval request, not in the resource, so it is an
  argument (default AUTHENTICATION for `whatsapp/authentication`, UTILITY otherwise).

Reading is strict about the keys it uses (a string must be a string, a list a list) and
ignores the others (`account_sid`, `url`, `links`, `date_created`, ...). Every failure is one
`TemplateFormatError` naming the JSON path (`types.twilio/call-to-action.actions[1].type`)
and the value found there.

`twilio_content_variables` writes the `ContentVariables` form field of a send (a JSON object
as a string), checking Twilio's documented limits first.

Sources (Twilio, read 2026-11-25):

- https://www.twilio.com/docs/content/content-api-resources (the resource, `variables`)
- https://www.twilio.com/docs/content/using-variables-with-content-api (key limits)
- https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder
  (`ContentVariables`, up to 100 pairs)
- https://www.twilio.com/docs/content/twilio-call-to-action ,
  https://www.twilio.com/docs/content/twiliocard ,
  https://www.twilio.com/docs/content/whatsappcard ,
  https://www.twilio.com/docs/content/whatsappauthentication (the content types)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from wa_outbound import _wire
from wa_outbound._categories import TemplateCategory
from wa_outbound._errors import InvalidValueError, TemplateFormatError, expect
from wa_outbound._rules import Rules
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
    placeholders,
)

__all__ = ["template_from_twilio_content", "twilio_content_variables"]

_SID: Final = re.compile(r"HX[0-9a-fA-F]{32}")
_PREFERENCE: Final = (
    "whatsapp/authentication",
    "whatsapp/card",
    "twilio/card",
    "twilio/call-to-action",
    "twilio/quick-reply",
    "twilio/media",
    "twilio/text",
)
_CALL_TO_ACTION: Final = frozenset({"URL", "PHONE_NUMBER", "COPY_CODE", "VOICE_CALL"})
_QUICK_REPLY: Final = frozenset({"QUICK_REPLY"})
_CARD: Final = _CALL_TO_ACTION | _QUICK_REPLY
_MEDIA_FORMATS: Final = {
    ".jpg": HeaderFormat.IMAGE,
    ".jpeg": HeaderFormat.IMAGE,
    ".png": HeaderFormat.IMAGE,
    ".mp4": HeaderFormat.VIDEO,
    ".3gp": HeaderFormat.VIDEO,
    ".pdf": HeaderFormat.DOCUMENT,
    ".doc": HeaderFormat.DOCUMENT,
    ".docx": HeaderFormat.DOCUMENT,
    ".xls": HeaderFormat.DOCUMENT,
    ".xlsx": HeaderFormat.DOCUMENT,
    ".ppt": HeaderFormat.DOCUMENT,
    ".pptx": HeaderFormat.DOCUMENT,
    ".txt": HeaderFormat.DOCUMENT,
}


# --- reading JSON with paths --------------------------------------------------------------


def _string(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value.__class__ is str:  # the common case, without the readers' calls
        return value
    if required:
        return _wire.required(data, key, path, _wire.string)
    return _wire.optional(data, key, path, _wire.string)


def _array(data: Mapping[str, Any], key: str, path: str, *, required: bool) -> Sequence[Any]:
    if required:
        return _wire.required(data, key, path, _wire.json_array)
    return _wire.optional(data, key, path, _wire.json_array) or ()


def _text_values(value: object) -> Mapping[str, str]:
    """A JSON object of strings (the resource's `variables`)."""
    data = _wire.json_object(value)
    for key, default in data.items():
        _wire.string(default, key)
    return data


# --- texts, variables and examples --------------------------------------------------------


def _keys(text: str) -> tuple[str, ...]:
    """The variable names of `text`, each once, in order of first appearance."""
    return tuple(dict.fromkeys(p.key for p in placeholders(text)))


def _filled(text: str, variables: Mapping[str, str]) -> str | None:
    """`text` with every variable replaced by its default, or None if one has none."""
    found = placeholders(text)
    if any(p.key not in variables for p in found):
        return None
    parts: list[str] = []  # joined once: rebuilding the text per placeholder is quadratic
    end = 0
    for p in found:
        parts += (text[end : p.start], variables[p.key])
        end = p.end
    parts.append(text[end:])
    return "".join(parts)


def _numbered(key: str) -> bool:
    return key.isascii() and key.isdigit()


def _ordered(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Positional keys by number (the order of Meta's example list), others as they came."""
    return tuple(sorted(keys, key=_by_number)) if all(map(_numbered, keys)) else keys


def _by_number(key: str) -> tuple[int, str]:
    """Digits compared as numbers without `int()` (which refuses more than 4,300 of them)."""
    digits = key.lstrip("0")
    return (len(digits), digits)


def _body(text: str, variables: Mapping[str, str]) -> Body:
    keys = _ordered(_keys(text))
    if not keys or any(k not in variables for k in keys):
        return Body(text=text)
    if all(map(_numbered, keys)):
        return Body(text=text, example=BodyExample(body_text=(tuple(variables[k] for k in keys),)))
    named = tuple(NamedExample(param_name=k, example=variables[k]) for k in keys)
    return Body(text=text, example=BodyExample(body_text_named_params=named))


def _text_header(text: str, variables: Mapping[str, str]) -> Header:
    keys = _keys(text)
    if not keys or any(k not in variables for k in keys):
        return Header(format=HeaderFormat.TEXT, text=text)
    if all(map(_numbered, keys)):
        example = HeaderExample(header_text=tuple(variables[k] for k in _ordered(keys)))
    else:
        example = HeaderExample(
            header_text_named_params=tuple(
                NamedExample(param_name=k, example=variables[k]) for k in keys
            )
        )
    return Header(format=HeaderFormat.TEXT, text=text, example=example)


def _media_header(content: Mapping[str, Any], path: str, variables: Mapping[str, str]) -> Header:
    urls = _array(content, "media", path, required=True)
    where = _wire.at(path, "media")
    if not urls:
        raise _wire.WireError(where, urls, "expected at least one URL")
    for index, url in enumerate(urls):
        _wire.string(url, _wire.at(where, index))
    sample = _filled(urls[0], variables)
    address = (sample or urls[0]).split("?", 1)[0].split("#", 1)[0].lower()
    extension = address[address.rfind(".") :] if "." in address.rpartition("/")[2] else ""
    header_format = _MEDIA_FORMATS.get(extension, HeaderFormat.IMAGE)
    example = None if sample is None else HeaderExample(header_handle=(sample,))
    return Header(format=header_format, example=example)


# --- buttons ------------------------------------------------------------------------------


def _button(
    action: object, path: str, allowed: frozenset[str], variables: Mapping[str, str]
) -> Button:
    action = _wire.json_object(action, path)
    if allowed == _QUICK_REPLY and "type" not in action:
        kind = "QUICK_REPLY"
    else:
        kind = _wire.required(action, "type", path)
    if not isinstance(kind, str) or kind not in allowed:
        expected = "expected one of " + ", ".join(sorted(allowed))
        raise _wire.WireError(_wire.at(path, "type"), kind, expected)
    if kind == "COPY_CODE":
        code = _string(action, "code", path, required=True)
        return Button(type=ButtonType.COPY_CODE, example=_filled(code or "", variables))
    title = _string(action, "title", path, required=True)
    if kind == "URL":
        url = _string(action, "url", path, required=True) or ""
        sample = _filled(url, variables) if placeholders(url) else None
        example = None if sample is None else (sample,)
        return Button(type=ButtonType.URL, text=title, url=url, example=example)
    if kind == "PHONE_NUMBER":
        phone = _string(action, "phone", path, required=True)
        return Button(type=ButtonType.PHONE_NUMBER, text=title, phone_number=phone)
    return Button(type=ButtonType(kind), text=title)  # QUICK_REPLY, VOICE_CALL


def _buttons(
    content: Mapping[str, Any],
    path: str,
    allowed: frozenset[str],
    variables: Mapping[str, str],
    *,
    required: bool,
) -> list[Component]:
    actions = _array(content, "actions", path, required=required)
    where = _wire.at(path, "actions")
    buttons = tuple(
        _button(action, _wire.at(where, index), allowed, variables)
        for index, action in enumerate(actions)
    )
    return [Buttons(buttons=buttons)] if buttons else []


# --- content types ------------------------------------------------------------------------


def _authentication(content: Mapping[str, Any], path: str) -> list[Component]:
    recommend = _wire.optional(content, "add_security_recommendation", path, _wire.boolean)
    components: list[Component] = [Body(add_security_recommendation=recommend is not False)]
    minutes = _wire.optional(content, "code_expiration_minutes", path, _wire.integer)
    if minutes is not None:
        components.append(Footer(code_expiration_minutes=minutes))
    actions = _array(content, "actions", path, required=True)
    buttons = []
    for index, action in enumerate(actions):
        where = _wire.at(_wire.at(path, "actions"), index)
        item = _wire.json_object(action, where)
        kind = _string(item, "type", where, required=True)
        if kind != "COPY_CODE":
            raise _wire.WireError(_wire.at(where, "type"), kind, "expected COPY_CODE")
        text = _string(item, "copy_code_text", where)
        buttons.append(Button(type=ButtonType.OTP, otp_type=OtpType.COPY_CODE, text=text))
    if buttons:
        components.append(Buttons(buttons=tuple(buttons)))
    return components


def _card_text(content: Mapping[str, Any], path: str) -> str | None:
    parts = [_string(content, "title", path), _string(content, "body", path)]
    present = [part for part in parts if part is not None]
    return "\n".join(present) if present else None


def _components(
    kind: str, content: Mapping[str, Any], path: str, variables: Mapping[str, str]
) -> list[Component]:
    if kind == "whatsapp/authentication":
        return _authentication(content, path)
    components: list[Component] = []
    header_text = _string(content, "header_text", path) if kind == "whatsapp/card" else None
    if header_text is not None:
        components.append(_text_header(header_text, variables))
    elif kind in {"whatsapp/card", "twilio/card", "twilio/media"} and "media" in content:
        components.append(_media_header(content, path, variables))
    if kind == "twilio/card":
        text = _card_text(content, path)
    else:
        required = kind != "twilio/media"  # the only type whose body is optional
        text = _string(content, "body", path, required=required)
    if text is not None:
        components.append(_body(text, variables))
    footer_key = {"whatsapp/card": "footer", "twilio/card": "subtitle"}.get(kind)
    footer = _string(content, footer_key, path) if footer_key else None
    if footer is not None:
        components.append(Footer(text=footer))
    if kind == "twilio/call-to-action":
        components += _buttons(content, path, _CALL_TO_ACTION, variables, required=True)
    elif kind == "twilio/quick-reply":
        components += _buttons(content, path, _QUICK_REPLY, variables, required=True)
    elif kind in {"whatsapp/card", "twilio/card"}:
        components += _buttons(content, path, _CARD, variables, required=False)
    return components


def _parameter_format(components: list[Component]) -> ParameterFormat | None:
    texts = [c.text for c in components if isinstance(c, (Header, Body)) and c.text]
    keys = [key for text in texts for key in _keys(text)]
    return None if all(map(_numbered, keys)) else ParameterFormat.NAMED


def _read(data: object, category: TemplateCategory | None) -> Template:
    data = _wire.json_object(data)
    sid = _string(data, "sid", "")
    if sid is not None and not _SID.fullmatch(sid):
        raise _wire.WireError("sid", sid, "expected HX and 32 hexadecimal digits")
    name = _string(data, "friendly_name", "", required=True) or ""
    language = _string(data, "language", "", required=True) or ""
    variables = _wire.optional(data, "variables", "", _text_values) or {}
    types = _wire.required(data, "types", "", _wire.json_object)
    kind = next((k for k in _PREFERENCE if k in types), None)
    if kind is None:
        expected = "expected one of the content types " + ", ".join(_PREFERENCE)
        raise _wire.WireError("types", list(types), expected)
    content = _wire.required(types, kind, "types", _wire.json_object)
    components = _components(kind, content, _wire.at("types", kind), variables)
    if category is None:
        category = (
            TemplateCategory.AUTHENTICATION
            if kind == "whatsapp/authentication"
            else TemplateCategory.UTILITY
        )
    return Template(
        name=name,
        language=language,
        category=category,
        components=tuple(components),
        parameter_format=_parameter_format(components),
        id=sid,
    )


def template_from_twilio_content(
    data: object, *, category: TemplateCategory | None = None
) -> Template:
    """Read a Twilio Content API resource (parsed JSON) as a `Template`.

    Args:
        data: The resource, as `GET /v1/Content/{sid}` returns it or as it is created (then
            without `sid`).
        category: The category the template is (or will be) submitted in; Twilio keeps it in
            the approval request. Default: AUTHENTICATION for `whatsapp/authentication`,
            UTILITY otherwise.

    Returns:
        The template, with the resource's `sid` as `id`. See the module documentation for
        what maps onto what.

    Raises:
        TemplateFormatError: The data is not a content resource WhatsApp templates are made
            of: a required key is missing, a key holds the wrong JSON type, an action has an
            unknown type, or none of the content types is one WhatsApp templates use. The
            error names the JSON path and the value found there.
    """
    try:
        return _read(data, category)
    except _wire.WireError as error:
        raise _wire.refuse(TemplateFormatError, error, data) from None


def twilio_content_variables(values: Mapping[str, str], *, rules: Rules) -> str:
    """Write the `ContentVariables` form field of a Twilio send: a JSON object as a string.

    Args:
        values: The value of each variable, by its key (`{"1": "Maria", "2": "12/1"}`).
        rules: The rules in force (`rules_wire.at(now)`); the limits are Twilio's, from
            `rules.twilio_content_variables_max` and the key and value lengths.

    Returns:
        Compact JSON, non-ASCII characters kept as they are (`{"1":"Maria","2":"12/1"}`).

    Raises:
        InvalidValueError: More pairs than the rules allow (100); a key that is empty, longer
            than the rules allow (16 characters) or holds a space; a value that is not a
            string or is longer than the rules allow (1,600 characters).
    """
    expect("rules", rules, Rules)
    max_variables = rules.twilio_content_variables_max.value
    max_key = rules.twilio_content_variable_key_max_length.value
    max_value = rules.twilio_content_variable_value_max_length.value
    if not isinstance(values, Mapping):
        raise InvalidValueError("values", values, "expected a mapping of keys to values")
    if len(values) > max_variables:
        reason = f"Twilio takes at most {max_variables} variables per message"
        raise InvalidValueError("values", len(values), reason)
    for key, value in values.items():
        if not isinstance(key, str) or not 0 < len(key) <= max_key or any(c.isspace() for c in key):
            reason = f"a variable key has 1 to {max_key} characters and no spaces"
            raise InvalidValueError("values", key, reason)
        if not isinstance(value, str):
            raise InvalidValueError(f"values.{key}", value, "expected a string")
        if len(value) > max_value:
            reason = f"a variable value has at most {max_value} characters"
            raise InvalidValueError(f"values.{key}", value, reason)
    return json.dumps(dict(values), separators=(",", ":"), ensure_ascii=False)
