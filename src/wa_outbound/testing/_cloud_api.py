"""Meta's Cloud API: `/messages` and `/marketing_messages`, the phone number's fields, errors."""

from __future__ import annotations

import json
from typing import Any, Final

import attrs

from wa_outbound._errors import InvalidValueError
from wa_outbound._ids import WaId
from wa_outbound._pacing import ThroughputClass
from wa_outbound.templates import TemplateCategory
from wa_outbound.testing._enforcement import _code_for, _Enforcement, _Rule, _title
from wa_outbound.testing._exchange import EmulatorReply, EmulatorRequest
from wa_outbound.testing._faults import FaultKind
from wa_outbound.testing._platform import _META, _canonical, _dumps, _Refused, _Template

_FREE_FORM_TYPES: Final = frozenset(
    {
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "interactive",
        "location",
        "contacts",
        "reaction",
    }
)
_MEDIA_TYPES: Final = frozenset({"image", "audio", "video", "document", "sticker"})


_HTTP_STATUS: Final = {2: 503, 190: 401, 130429: 429, 131000: 500}
"""Meta's HTTP status by code where it is not 400 (TRANSPORT.md 2.2)."""


class _CloudApi(_Enforcement):
    """The Graph API's send and phone-number endpoints, and its error replies."""

    def _node(self, node: str, expected: str) -> None:
        if node != expected:
            raise _Refused(
                self._meta_error(
                    100,
                    f"Unsupported request. Object with ID '{node}' does not exist, cannot be"
                    " loaded due to missing permissions, or does not support this operation",
                    subcode=33,
                )
            )

    def _meta_auth(self, request: EmulatorRequest) -> None:
        given = request.header("authorization") or ""
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.access_token:
            raise _Refused(self._meta_error(190, "Invalid OAuth 2.0 Access Token", kind="OAuth"))

    def _meta_error(
        self, code: int, details: str, *, subcode: int | None = None, kind: str = "OAuth"
    ) -> EmulatorReply:
        title = _title(code)
        error: dict[str, Any] = {
            "message": f"(#{code}) {title}",
            "type": f"{kind}Exception",
            "code": code,
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        error["fbtrace_id"] = self._fbtrace_id()
        return EmulatorReply(status=_HTTP_STATUS.get(code, 400), body=_dumps({"error": error}))

    def _meta_send(  # noqa: C901, PLR0912, PLR0915
        self, request: EmulatorRequest, *, marketing: bool = False
    ) -> EmulatorReply:
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            raise _Refused(self._meta_error(100, "The request body is not JSON")) from None
        if not isinstance(document, dict):
            raise _Refused(self._meta_error(100, "The request body is not a JSON object"))
        if document.get("messaging_product") != "whatsapp":
            raise _Refused(
                self._meta_error(100, "The parameter messaging_product is required", kind="OAuth")
            )
        to = document.get("to")
        if not isinstance(to, str):
            raise _Refused(self._meta_error(100, "The parameter to is required"))
        try:
            wa_id = WaId.parse(to).value
        except InvalidValueError:
            raise _Refused(
                self._meta_error(131009, f"'{to}' is not a valid phone number")
            ) from None
        kind_name = document.get("type", "text")
        if kind_name not in {*_FREE_FORM_TYPES, "template"}:
            raise _Refused(self._meta_error(131051, f"Unsupported message type '{kind_name}'"))
        payload = document.get(kind_name)
        if not isinstance(payload, dict):
            raise _Refused(self._meta_error(131008, f"The parameter {kind_name} is required"))
        key = document.get("biz_opaque_callback_data", "")
        if not isinstance(key, str) or len(key) > 512:  # noqa: PLR2004 - Meta's documented cap
            raise _Refused(
                self._meta_error(100, "biz_opaque_callback_data must be text of at most 512")
            )
        entry: _Template | None = None
        parameters: list[Any] = []
        if kind_name == "text" and not isinstance(payload.get("body"), str):
            raise _Refused(self._meta_error(131008, "The parameter text.body is required"))
        if kind_name in _MEDIA_TYPES and not ({"id", "link"} & payload.keys()):
            raise _Refused(self._meta_error(131008, f"{kind_name} needs an id or a link"))
        if kind_name == "interactive" and not isinstance(payload.get("type"), str):
            raise _Refused(self._meta_error(131008, "The parameter interactive.type is required"))
        if kind_name == "template":
            name = payload.get("name")
            language = payload.get("language")
            code = language.get("code") if isinstance(language, dict) else None
            if not isinstance(name, str) or not isinstance(code, str):
                raise _Refused(
                    self._meta_error(131008, "template.name and template.language.code required")
                )
            components = payload.get("components", [])
            entry = self._templates.get((name, code))
            if entry is None:
                reply = self._meta_error(132001, f"template name ({name}) does not exist in {code}")
                raise _Refused(reply)
            if not isinstance(components, list):
                raise _Refused(self._meta_error(100, "template.components must be a list"))
            parameters = components
        if marketing and (
            entry is None or entry.template.category.current is not TemplateCategory.MARKETING
        ):
            raise _Refused(self._meta_error(100, "/marketing_messages sends marketing templates"))
        direct_send = self._direct_send(document, kind_name)
        content = _canonical({"type": kind_name, kind_name: payload})
        fault = self._fault()
        if fault is not None and not fault.accepted:
            return self._meta_fault(fault)
        verdict = self._admit(wa_id, entry, parameters, _META, direct_send=direct_send)
        if isinstance(verdict, tuple):
            rule, detail, own_code = verdict
            if rule == _Rule.DIRECT_SEND and self._account.direct_send is False:
                own_code = 139200
            raise _Refused(self._meta_error(own_code or _code_for(rule, _META)[0], detail))
        message = self._accept(
            verdict, wa_id=wa_id, key=key, content=content, provider=_META, entry=entry
        )
        if fault is not None:  # READ_TIMEOUT: accepted, the answer is lost
            return EmulatorReply(status=0, fault=fault)
        body = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [{"id": message.id, "message_status": "accepted"}],
        }
        return EmulatorReply(status=200, body=_dumps(body))

    def _direct_send(self, document: dict[str, Any], kind_name: str) -> bool:
        """Whether the body is a Direct Send (`category`, `ttl_seconds`); refuse a bad one."""
        category = document.get("category")
        ttl = document.get("ttl_seconds")
        if category is None:
            if ttl is not None:
                detail = "The request included one or more unsupported or misspelled parameters"
                raise _Refused(self._meta_error(100, detail))
            return False
        if category != "utility" or kind_name == "template":
            raise _Refused(self._meta_error(100, f"Unsupported category {category!r}"))
        low = int(self.rules.direct_send_ttl_min.value.total_seconds())
        high = int(self.rules.direct_send_ttl_max.value.total_seconds())
        if ttl is not None and (type(ttl) is not int or not low <= ttl <= high):
            detail = f"The time-to-live value must be from {low} to {high}"
            raise _Refused(self._meta_error(100, detail))
        return True

    def _meta_fault(self, fault: FaultKind) -> EmulatorReply:
        if fault is FaultKind.RATE_LIMITED:
            reply = self._meta_error(130429, "Cloud API message throughput has been reached")
            return attrs.evolve(reply, fault=fault)
        if fault is FaultKind.SERVER_ERROR:
            reply = self._meta_error(2, "Service temporarily unavailable", kind="OAuth")
            return attrs.evolve(reply, fault=fault)
        return EmulatorReply(status=0, fault=fault)

    def _phone_number(self, request: EmulatorRequest) -> EmulatorReply:
        query = dict(request.query)
        account = self._account
        limit = account.messaging_limit
        tier = "TIER_UNLIMITED" if limit is None or limit.users is None else _tier(limit.users)
        fields: dict[str, Any] = {
            "verified_name": "Emulated Business",
            "display_phone_number": f"+{self.display_phone_number}",
            "quality_rating": account.quality_rating.value,
            "status": account.phone_status.value,
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "throughput": {
                "level": "HIGH" if self.throughput_class is ThroughputClass.UPGRADED else "STANDARD"
            },
            "whatsapp_business_manager_messaging_limit": tier,
            "messaging_limit_tier": tier,
            "platform_type": "CLOUD_API",
        }
        wanted = [name.strip() for name in query.get("fields", "").split(",") if name.strip()]
        if wanted:
            fields = {name: fields[name] for name in wanted if name in fields}
        return EmulatorReply(status=200, body=_dumps({**fields, "id": self.phone_number_id}))


def _tier(users: int) -> str:
    names = {250: "TIER_250", 1000: "TIER_1K", 2000: "TIER_2K", 10000: "TIER_10K"}
    return names.get(users, "TIER_100K" if users == 100_000 else f"TIER_{users}")  # noqa: PLR2004
