"""Twilio's Messages endpoint: send (`POST .../Messages.json`), fetch, and its error replies."""

from __future__ import annotations

import json
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, parse_qsl, urlsplit

import attrs

from wa_outbound._errors import InvalidValueError
from wa_outbound._facts import Provider
from wa_outbound._ids import WaId
from wa_outbound.templates import Template, TemplateParameters
from wa_outbound.testing._enforcement import _code_for, _Enforcement, _title
from wa_outbound.testing._exchange import EmulatorReply, EmulatorRequest
from wa_outbound.testing._faults import FaultKind
from wa_outbound.testing._platform import (
    _TWILIO,
    _TWILIO_API,
    EmulatedMessage,
    _canonical,
    _canonical_text,
    _dumps,
    _Refused,
    _Template,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


_TWILIO_MESSAGES: Final = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21656: "The ContentVariables Parameter is invalid.",
    63007: "Twilio could not find a Channel with the specified From address",
}
_TWILIO_STATUS: Final = {20003: 401, 20404: 404, 20429: 429, 20500: 500}


class _TwilioApi(_Enforcement):
    """Twilio's Messages resource over the same rules."""

    def _twilio_auth(self, request: EmulatorRequest, account_sid: str) -> None:
        import base64  # noqa: PLC0415 - only Twilio requests need it

        given = request.header("authorization") or ""
        scheme, _, encoded = given.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        if (
            scheme.lower() != "basic"
            or user != self.twilio_account_sid
            or password != self.twilio_auth_token
            or account_sid != self.twilio_account_sid
        ):
            raise _Refused(_twilio_error(20003, "Authentication Error - invalid username"))

    def _twilio_send(self, request: EmulatorRequest) -> EmulatorReply:  # noqa: C901
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        to = form.get("To", "")
        if not to.startswith("whatsapp:"):
            raise _Refused(
                _twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")
            )
        try:
            wa_id = WaId.parse(to).value
        except InvalidValueError:
            raise _Refused(
                _twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")
            ) from None
        sender = form.get("From", "")
        if sender != self.twilio_from and not form.get("MessagingServiceSid"):
            raise _Refused(_twilio_error(63007, f"From {sender}"))
        entry: _Template | None = None
        parameters = TemplateParameters()
        sid = form.get("ContentSid", "")
        if sid:
            found = self._by_content_sid.get(sid)
            if found is None:
                raise _Refused(_twilio_error(20404, f"Content {sid} was not found"))
            entry = self._templates[found]
            try:
                variables = json.loads(form.get("ContentVariables") or "{}")
            except ValueError:
                variables = None
            if not isinstance(variables, dict) or not all(
                isinstance(value, str) for value in variables.values()
            ):
                raise _Refused(_twilio_error(21656, "ContentVariables is not a JSON object"))
            parameters = _twilio_parameters(entry.template, variables)
        elif not form.get("Body") and not form.get("MediaUrl"):
            raise _Refused(_twilio_error(21602, "Body, MediaUrl or ContentSid is required"))
        callback = form.get("StatusCallback", "")
        key = ""
        if callback:
            values = parse_qs(urlsplit(callback).query).get(self.twilio_key_parameter)
            key = values[0] if values else ""
        content = _canonical(
            {name: form.get(name, "") for name in ("Body", "MediaUrl", "ContentSid")}
            | {"ContentVariables": _canonical_text(form.get("ContentVariables", ""))}
        )
        fault = self._fault()
        if fault is not None and not fault.accepted:
            return _twilio_fault(fault)
        verdict = self._admit(wa_id, entry, parameters, _TWILIO)
        if isinstance(verdict, tuple):
            rule, detail, _code = verdict
            raise _Refused(_twilio_error(_code_for(rule, _TWILIO)[0], detail))
        message = self._accept(
            verdict,
            wa_id=wa_id,
            key=key,
            content=content,
            provider=_TWILIO,
            entry=entry,
            status_callback=callback,
        )
        if fault is not None:
            return EmulatorReply(status=0, fault=fault)
        return EmulatorReply(status=201, body=_dumps(self._twilio_resource(message, form)))

    def _twilio_resource(
        self, message: EmulatedMessage, form: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        form = form or {}
        status = message.statuses[-1] if message.statuses else "queued"
        if message.error_code is not None and "failed" in message.statuses:
            status = "failed"
        stamp = format_datetime(message.accepted_at, usegmt=True)
        return {
            "sid": message.id,
            "account_sid": self.twilio_account_sid,
            "to": f"whatsapp:+{message.recipient}",
            "from": self.twilio_from,
            "body": form.get("Body", ""),
            "status": status,
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": _TWILIO_API,
            "price": None,
            "price_unit": "USD",
            "error_code": message.error_code if status == "failed" else None,
            "error_message": message.error_detail if status == "failed" else None,
            "messaging_service_sid": form.get("MessagingServiceSid") or None,
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": None,
            "uri": f"/{_TWILIO_API}/Accounts/{self.twilio_account_sid}/Messages/{message.id}.json",
        }

    def _twilio_fetch(self, sid: str) -> EmulatorReply:
        message = self._messages.get(sid)
        if message is None or message.provider is not _TWILIO:
            raise _Refused(_twilio_error(20404, f"Message {sid} was not found"))
        return EmulatorReply(status=200, body=_dumps(self._twilio_resource(message)))


def _twilio_parameters(template: Template, variables: Mapping[str, str]) -> TemplateParameters:
    if template.named:
        return TemplateParameters(body=dict(variables))
    keys = sorted(variables, key=lambda key: (not key.isdigit(), int(key) if key.isdigit() else 0))
    return TemplateParameters(body=tuple(variables[key] for key in keys))


def _twilio_error(code: int, detail: str) -> EmulatorReply:
    status = _TWILIO_STATUS.get(code, 400)
    body = {
        "code": code,
        "message": f"{_TWILIO_MESSAGES.get(code, _title(code, Provider.TWILIO))} ({detail})",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return EmulatorReply(status=status, body=_dumps(body))


def _twilio_fault(fault: FaultKind) -> EmulatorReply:
    if fault is FaultKind.RATE_LIMITED:
        return attrs.evolve(_twilio_error(20429, "Too many requests"), fault=fault)
    if fault is FaultKind.SERVER_ERROR:
        return attrs.evolve(_twilio_error(20500, "Internal Server Error"), fault=fault)
    return EmulatorReply(status=0, fault=fault)
