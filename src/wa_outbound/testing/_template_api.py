"""Meta's template management endpoint: `/{waba_id}/message_templates` (list, create, delete)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from wa_outbound._errors import TemplateFormatError
from wa_outbound.templates import template_from_graph, template_to_graph
from wa_outbound.testing._cloud_api import _CloudApi
from wa_outbound.testing._exchange import EmulatorReply, EmulatorRequest
from wa_outbound.testing._platform import _dumps, _Refused

if TYPE_CHECKING:
    from collections.abc import Mapping


class _TemplateApi(_CloudApi):
    """List, create and delete templates as the Graph API does."""

    def _templates_endpoint(self, method: str, request: EmulatorRequest) -> EmulatorReply:
        query = dict(request.query)
        if method == "GET":
            return self._list_templates(query)
        if method == "DELETE":
            name = query.get("name", "")
            doomed = [key for key in self._templates if key[0] == name]
            if not doomed:
                raise _Refused(self._meta_error(100, f"Template {name!r} not found"))
            for key in doomed:
                entry = self._templates.pop(key)
                self._by_content_sid.pop(entry.content_sid, None)
            return EmulatorReply(status=200, body=_dumps({"success": True}))
        if method == "POST":
            try:
                template = template_from_graph(json.loads(request.body or b"null"))
            except (ValueError, TemplateFormatError) as error:
                raise _Refused(self._meta_error(100, str(error))) from None
            if (template.name, template.language) in self._templates:
                raise _Refused(
                    self._meta_error(
                        100,
                        f"Content in this language already exists for {template.name}",
                        subcode=2388024,
                    )
                )
            template_id = self.add_template(template)
            body = {"id": template_id, "status": "APPROVED", "category": template.category.value}
            return EmulatorReply(status=200, body=_dumps(body))
        raise _Refused(self._meta_error(2500, f"Unsupported method {method}"))

    def _list_templates(self, query: Mapping[str, str]) -> EmulatorReply:
        entries = sorted(self._templates.values(), key=lambda e: int(e.state.template_id))
        if "name" in query:
            entries = [e for e in entries if e.template.name == query["name"]]
        try:
            limit = max(1, min(int(query.get("limit", "25")), 1000))
            start = int(query.get("after", "0") or "0")
        except ValueError:
            raise _Refused(self._meta_error(100, "limit and after must be numbers")) from None
        page = entries[start : start + limit]
        data = [template_to_graph(entry.template) for entry in page]
        body: dict[str, Any] = {"data": data, "paging": {"cursors": {"before": str(start)}}}
        end = start + len(page)
        body["paging"]["cursors"]["after"] = str(end)
        if end < len(entries):
            query_text = urlencode({**query, "limit": str(limit), "after": str(end)})
            body["paging"]["next"] = (
                f"{self.graph_url}/{self.waba_id}/message_templates?{query_text}"
            )
        return EmulatorReply(status=200, body=_dumps(body))
