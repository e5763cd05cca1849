"""MkDocs hook: build docs content from the library's own tables, so it cannot drift.

* `<!-- diagram: consent -->`, `<!-- diagram: marketing -->` and
  `<!-- diagram: call_permission -->` become Mermaid state diagrams drawn from
  `CONSENT_TRANSITIONS`, `MARKETING_TRANSITIONS` and `CALL_PERMISSION_TRANSITIONS`.
* `<!-- rules: history -->` becomes one section per dated change in `RULE_HISTORY`, and
  `<!-- rules: fields -->` a table of the `Rules` fields with their meaning.
* The API reference page must render every name in `wa_outbound.__all__`; a missing one is a
  warning, which `mkdocs build --strict` turns into a failure.
"""

from __future__ import annotations

import enum
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from mkdocs.exceptions import PluginError

import wa_outbound

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.wa_outbound")

PLACEHOLDER = re.compile(r"<!-- (diagram|rules): (\w+) -->")
API_PAGE = "reference/api.md"
NOT_RENDERED = frozenset({"__version__"})  # described in prose on the API page
State = TypeVar("State", bound=enum.Enum)
Input = TypeVar("Input", bound=enum.Enum)
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)


def state_diagram(table: Mapping[tuple[State, Input], State], start: State) -> str:
    """Return a Mermaid state diagram for a `(state, input) -> state` table.

    Inputs that lead between the same two states share one edge; self-loops are left out.
    """
    edges: dict[tuple[str, str], list[str]] = {}
    for (state, event), target in table.items():
        if state is not target:
            edges.setdefault((state.name, target.name), []).append(str(event.value))
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {start.name}"]
    lines += [f"    {a} --> {b}: {', '.join(labels)}" for (a, b), labels in edges.items()]
    return "\n".join([*lines, "```"])


def show(value: object) -> str:
    """Return a rule value as the docs write it: `24 h`, `7 days`, `yes`, `per_message`."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        if value >= WEEK and not value % DAY:
            return f"{value.days} days"
        return f"{value / HOUR:g} h"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    return str(value)


def cell(text: str) -> str:
    """Return `text` safe for a Markdown table cell."""
    return text.replace("|", r"\|").replace("\n", " ")


def rule_history() -> str:
    """Return one Markdown section per change in `RULE_HISTORY`, with a table of its rules."""
    parts = []
    for change in wa_outbound.RULE_HISTORY:
        rows = [
            f"### {change.effective_from.date().isoformat()}: {change.title}",
            "",
            "| Rule | Value | Took effect | Source | Provenance | Note |",
            "|---|---|---|---|---|---|",
        ]
        for name, rule in change.rules.items():
            took = rule.effective_from.date().isoformat() if rule.effective_from else "—"
            source = f"[{cell(rule.source.title)}]({rule.source.url})"
            rows.append(
                f"| `{name}` | {show(rule.value)} | {took} | {source}"
                f" | {rule.source.provenance.value} | {cell(rule.note)} |"
            )
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def rule_fields() -> str:
    """Return a Markdown table of the `Rules` fields, their meaning and latest value."""
    latest = wa_outbound.builtin_rule_sets()[-1]
    rows = ["| Field | Meaning | Latest built-in value |", "|---|---|---|"]
    rows += [
        f"| `{name}` | {cell(wa_outbound.Rules.describe(name))} | {show(rule.value)} |"
        for name, rule in latest.items()
    ]
    return "\n".join(rows)


def expand(match: re.Match[str]) -> str:
    """Return the generated text for one placeholder."""
    kind, name = match.groups()
    consent, permission = wa_outbound.Consent(), wa_outbound.CallPermission()
    if (kind, name) == ("diagram", "consent"):
        return state_diagram(wa_outbound.CONSENT_TRANSITIONS, consent.status)
    if (kind, name) == ("diagram", "marketing"):
        return state_diagram(wa_outbound.MARKETING_TRANSITIONS, consent.marketing)
    if (kind, name) == ("diagram", "call_permission"):
        return state_diagram(wa_outbound.CALL_PERMISSION_TRANSITIONS, permission.status)
    if (kind, name) == ("rules", "history"):
        return rule_history()
    if (kind, name) == ("rules", "fields"):
        return rule_fields()
    raise PluginError(f"unknown placeholder {match.group(0)!r}")


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace the placeholders; on the API page, warn about public names missing or repeated."""
    if page.file.src_uri == API_PAGE:
        rendered = re.findall(r"^::: wa_outbound\.(\w+)$", markdown, flags=re.MULTILINE)
        for name in sorted(set(wa_outbound.__all__) - set(rendered) - NOT_RENDERED):
            log.warning("%s does not render wa_outbound.%s", API_PAGE, name)
        for name in sorted({name for name in rendered if rendered.count(name) > 1}):
            log.warning("%s renders wa_outbound.%s more than once", API_PAGE, name)
    return PLACEHOLDER.sub(expand, markdown)
