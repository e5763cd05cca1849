"""MkDocs hook: build docs content from the library's own tables, so it cannot drift.

* `<!-- diagram: consent -->`, `<!-- diagram: marketing -->` and
  `<!-- diagram: call_permission -->` become Mermaid state diagrams drawn from
  `CONSENT_TRANSITIONS`, `MARKETING_TRANSITIONS` and `CALL_PERMISSION_TRANSITIONS`.
* `<!-- diagram: template -->` draws the life a template usually has (`TEMPLATE_LIFE`, each
  arrow checked against `TEMPLATE_TRANSITIONS`, the pauses from the rules), and
  `<!-- diagram: template_events -->` states the rest of `TEMPLATE_TRANSITIONS` as a table:
  which status each event sets, and from which statuses (the complete graph has over a
  hundred arrows, which no reader can follow).
* `<!-- rules: history -->` becomes one section per dated change in `RULE_HISTORY`,
  `<!-- rules: fields -->` a table of the `Rules` fields with their meaning, and
  `<!-- rules: pricing -->` (`direct_send`, `pacing`, `routing`) a table of every value the
  pricing rules (Direct Send's, pacing's, marketing routing's) took, oldest first.
* `<!-- categories: mapping -->` becomes a table of every template category, old and new, from
  `CATEGORY_MAPPING`: its era, where it went, the source and how sure the mapping is.
* `<!-- lint: codes -->` becomes a table of every lint code from `LINT_RULES`: its severity, the
  `Rules` fields it reads with their latest built-in values and sources, or the document
  behind it.
* `<!-- errors: meta -->` and `<!-- errors: twilio -->` become a table of that provider's
  error codes from `ERROR_CODES` and `ERROR_CODE_RANGES`, `<!-- errors: transport -->` one of
  `TRANSPORT_FAILURES`, and `<!-- errors: backoff -->` one of the `Backoff` schedules.
* `<!-- cli: commands -->` and `<!-- cli: exit -->` become tables of the command line's
  commands (`COMMANDS`, with their one-line help) and exit statuses (`EXIT_STATUSES`).
* Each reference page renders the names of its public modules (`REFERENCE_PAGES`): the top
  level's on the API page, a family's on its own page. A missing or repeated one is a warning,
  which `mkdocs build --strict` turns into a failure.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import itertools
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import urlsplit

from mkdocs.exceptions import PluginError

import wa_outbound
from wa_outbound.error_codes import (
    ERROR_CODE_RANGES,
    ERROR_CODES,
    TRANSPORT_FAILURES,
    Backoff,
    ErrorInfo,
)
from wa_outbound.templates import (
    CATEGORY_MAPPING,
    LINT_RULES,
    TEMPLATE_TRANSITIONS,
    LintCode,
    TemplateStatus,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.wa_outbound")

PLACEHOLDER = re.compile(r"<!-- (diagram|rules|errors|categories|lint|cli): (\w+) -->")
NOT_RENDERED = frozenset({"__version__"})  # described in prose on the API page
State = TypeVar("State", bound=enum.Enum)
Input = TypeVar("Input", bound=enum.Enum)
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)
OFFICIAL = wa_outbound.Provenance.OFFICIAL


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


TEMPLATE_LIFE: Final = (
    ("PENDING", "APPROVED", "APPROVED", "approved in review"),
    ("PENDING", "REJECTED", "REJECTED", "rejected in review"),
    ("REJECTED", "IN_APPEAL", "IN_APPEAL", "appealed"),
    ("IN_APPEAL", "APPROVED", "APPROVED", "appeal upheld"),
    ("IN_APPEAL", "REJECTED", "REJECTED", "appeal refused"),
    ("REJECTED", "PENDING", "PENDING", "edited and resubmitted"),
    ("APPROVED", "PAUSED", "PAUSED", "low quality: paused {pauses}"),
    ("PAUSED", "APPROVED", "APPROVED", "the pause is over"),
    ("PAUSED", "DISABLED", "DISABLED", "a {third} pause"),
    ("APPROVED", "DISABLED", "DISABLED", "policy"),
    ("DISABLED", "PENDING", "PENDING", "edited and resubmitted"),
    ("APPROVED", "ARCHIVED", "ARCHIVED", "archived"),
    ("ARCHIVED", "UNARCHIVED", "APPROVED", "unarchived"),
    ("APPROVED", "PENDING_DELETION", "PENDING_DELETION", "deleted"),
    ("PENDING_DELETION", "DELETED", "DELETED", "gone"),
)
"""The usual life of a template: (status, event, next status, label), drawn in this order."""


def template_life() -> str:
    """Return a Mermaid diagram of `TEMPLATE_LIFE`, each arrow checked against the machine."""
    from wa_outbound.templates import TemplateInput  # noqa: PLC0415

    pauses = wa_outbound.rules_at(wa_outbound.RULE_HISTORY[-1].effective_from)
    durations = pauses.template_pause_durations.value
    ordinals = ("1st", "2nd", "3rd", "4th", "5th")
    words = {
        "pauses": ", then ".join(show(d) for d in durations),
        "third": ordinals[len(durations)] if len(durations) < len(ordinals) else "again",
    }
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> PENDING: submitted"]
    for status, event, target, label in TEMPLATE_LIFE:
        actual = TEMPLATE_TRANSITIONS[TemplateStatus[status], TemplateInput[event]]
        if actual is not TemplateStatus[target]:
            msg = f"TEMPLATE_LIFE: {status} --{event}--> {target}, but the machine says {actual}"
            raise PluginError(msg)
        lines.append(f"    {status} --> {target}: {label.format(**words)}")
    lines.append("    DELETED --> [*]")
    return "\n".join([*lines, "```"])


def template_events() -> str:
    """Return a table of `TEMPLATE_TRANSITIONS` by event: the status it sets, and from where."""
    from wa_outbound.templates import TemplateInput  # noqa: PLC0415

    every = list(TemplateStatus)
    rows = ["| event | new status | from |", "|---|---|---|"]
    for event in TemplateInput:
        moves = {
            status: TEMPLATE_TRANSITIONS[status, event]
            for status in every
            if TEMPLATE_TRANSITIONS[status, event] is not status
        }
        targets = {target.name for target in moves.values()}
        if not moves:
            rows.append(f"| `{event.value}` | none: the status stays | any status |")
            continue
        # The statuses it leaves as they are, besides the one it sets.
        staying = [s.name for s in every if s not in moves and s.name not in targets]
        if len(moves) == 1:
            where = f"`{next(iter(moves)).name}` only"
        elif not staying:
            where = "any other status"
        else:
            where = "any other status but " + ", ".join(f"`{name}`" for name in staying)
        rows.append(f"| `{event.value}` | `{' / '.join(sorted(targets))}` | {where} |")
    return "\n".join(rows)


def command_line(name: str, placeholder: str) -> str:
    """Return the command line's commands (`COMMANDS`) or exit statuses as a Markdown table."""
    from wa_outbound.cli._main import COMMANDS, EXIT_STATUSES  # noqa: PLC0415

    if name == "commands":
        rows = [f"| `{command}` | {module.HELP} |" for command, module in COMMANDS.items()]
        return "\n".join(["| command | what it does |", "|---|---|", *rows])
    if name == "exit":
        rows = [f"| {status} | {meaning} |" for status, meaning in EXIT_STATUSES.items()]
        return "\n".join(["| status | meaning |", "|---:|---|", *rows])
    raise PluginError(f"unknown placeholder {placeholder!r}")


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
    if isinstance(value, tuple):
        return ", ".join(show(item) for item in value)
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


PRICING_RULES = (
    "pricing_model",
    "conversation_length",
    "priced_by_template_category",
    "free_tier_conversations",
    "free_tier_service_only",
    "service_free",
    "free_service_messages",
    "utility_free_in_service_window",
    "marketing_blocked_regions",
    "free_entry_point_window",
)
"""The `Rules` fields that decide what a send costs, as the pricing page lists them."""


RULE_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "pricing": PRICING_RULES,
    "direct_send": ("direct_send", "direct_send_ttl_min", "direct_send_ttl_max"),
    "pacing": ("template_pacing", "portfolio_pacing", "template_pause_durations"),
    "routing": (
        "marketing_messages_endpoint",
        "marketing_per_user_limit",
        "marketing_per_user_limit_exempts_window",
        "marketing_per_user_limit_retry_after",
        "marketing_blocked_regions",
    ),
}
"""The `Rules` fields of each `<!-- rules: ... -->` table of dated values (besides `history`
and `fields`)."""


def rule_values(names: tuple[str, ...]) -> str:
    """Return a Markdown table of every value the rules `names` took in `RULE_HISTORY`."""
    found = [
        (rule.effective_from or change.effective_from, name, rule, change.title)
        for change in wa_outbound.RULE_HISTORY
        for name in names
        if (rule := change.rules.get(name)) is not None
    ]
    rows = [
        "| Took effect | Rule | Value | Change | Source | Provenance | Note |",
        "|---|---|---|---|---|---|---|",
    ]
    for took, name, rule, title in sorted(found, key=lambda row: row[0]):  # stable: by change
        source = f"[{cell(rule.source.title)}]({rule.source.url})"
        rows.append(
            f"| {took.date().isoformat()} | `{name}` | {show(rule.value) or 'none'}"
            f" | {cell(title)} | {source} | {rule.source.provenance.value} | {cell(rule.note)} |"
        )
    return "\n".join(rows)


def rule_fields() -> str:
    """Return a Markdown table of the `Rules` fields, their meaning and latest value."""
    latest = wa_outbound.builtin_rule_sets()[-1]
    rows = ["| Field | Meaning | Latest built-in value |", "|---|---|---|"]
    rows += [
        f"| `{name}` | {cell(wa_outbound.Rules.describe(name))} | {show(rule.value)} |"
        for name, rule in latest.items()
    ]
    return "\n".join(rows)


def site_name(url: str) -> str:
    """Return a short label for a web address: its host without `www.`, `developers.`, ..."""
    host = urlsplit(url).hostname or url
    for prefix in ("www.", "developers.", "support.", "docs."):
        host = host.removeprefix(prefix)
    return host


def category_mapping() -> str:
    """Return a Markdown table of `CATEGORY_MAPPING`, with each distinct note once below it."""
    notes: list[str] = []
    lines = ["| Category | Era | Maps to | Source | Note |", "|---|---|---|---|---|"]
    for category, mapping in CATEGORY_MAPPING.items():
        target = show(mapping.current)
        if mapping.interim is not None:
            target = f"{show(mapping.interim)}, then {target}"
        if mapping.current is category:
            target = "itself"
        links = ", ".join(
            f"[{site_name(url)}]({url})" for url in re.split(r"\s*;\s*", mapping.source) if url
        )
        mark = "—"
        if mapping.note:
            if mapping.note not in notes:
                notes.append(mapping.note)
            mark = f"({notes.index(mapping.note) + 1})"
        lines.append(f"| {show(category)} | {mapping.era.value} | {target} | {links} | {mark} |")
    lines += ["", *(f"({number}) {note}  " for number, note in enumerate(notes, start=1))]
    return "\n".join(lines).rstrip()


def member_docs(cls: type[enum.Enum]) -> dict[str, str]:
    """Return the docstring written under each member of an enum class, by member name."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.Assign)
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.targets[0].id] = inspect.cleandoc(following.value.value)
    return docs


def document_link(title: str) -> str:
    """Return `title` linked to the official built-in rule source whose title starts with it.

    `LINT_RULES` names a document without a `Rules` field by its title alone (`Meta, Template
    review`); the rule data holds its address.
    """
    for rules in wa_outbound.builtin_rule_sets():
        for rule in dict(rules.items()).values():
            source = rule.source
            if source.title.startswith(title) and source.provenance is OFFICIAL:
                return f"[{cell(title)}]({source.url})"
    return cell(title)


def lint_codes() -> str:
    """Return a Markdown table of `LINT_RULES`: code, meaning, severity, rules and sources."""
    latest = wa_outbound.builtin_rule_sets()[-1]
    meanings = member_docs(LintCode)
    lines = ["| Code | Finds | Severity | Rule (latest built-in value) | Source |"]
    lines.append("|---|---|---|---|---|")
    for code, lint_rule in LINT_RULES.items():
        fields, sources = [], []
        for name in lint_rule.rules:
            rule = getattr(latest, name)
            fields.append(f"`{name}` = {show(rule.value)}")
            link = f"[{cell(rule.source.title)}]({rule.source.url})"
            if rule.source.provenance is not OFFICIAL:
                link += f" ({rule.source.provenance.value})"
            if link not in sources:
                sources.append(link)
        if lint_rule.source and not any(lint_rule.source in link for link in sources):
            sources.append(document_link(lint_rule.source))
        lines.append(
            f"| `{code.value}` | {cell(meanings.get(code.name, ''))}"
            f" | {lint_rule.severity.value} | {'<br>'.join(fields) or '—'}"
            f" | {'<br>'.join(sources)} |"
        )
    return "\n".join(lines)


def source_link(info: ErrorInfo) -> str:
    """Return a row's source as a Markdown link followed by its provenance."""
    return f"[{cell(info.source.title)}]({info.source.url}) ({info.source.provenance.value})"


def error_codes(provider: wa_outbound.Provider) -> str:
    """Return a Markdown table of one provider's error codes, ranges included, by code."""
    rows: list[tuple[int, str, ErrorInfo]] = [
        (code, str(code), info) for (owner, code), info in ERROR_CODES.items() if owner is provider
    ]
    rows += [
        (codes.start, f"{codes.start}-{codes[-1]}", info)
        for owner, codes, info in ERROR_CODE_RANGES
        if owner is provider
    ]
    lines = [
        "| Code | Title | Action | Backoff | What to do | Source |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {cell(info.title)} | {show(info.action)} | {show(info.backoff)}"
        f" | {cell(info.reason)} | {source_link(info)} |"
        for _, label, info in sorted(rows, key=lambda row: row[0])
    ]
    return "\n".join(lines)


def transport_failures() -> str:
    """Return a Markdown table of `TRANSPORT_FAILURES`."""
    lines = ["| Failure | Reached the platform | Action | What to do |", "|---|---|---|---|"]
    lines += [
        f"| {show(failure)} | {show(info.reach)} | {show(info.action)} | {cell(info.reason)} |"
        for failure, info in TRANSPORT_FAILURES.items()
    ]
    return "\n".join(lines)


def backoff_schedules() -> str:
    """Return a Markdown table of the `Backoff` schedules and their first delays."""
    lines = ["| Backoff | Schedule | Attempts 0, 1, 2, 3 |", "|---|---|---|"]
    for backoff in Backoff:
        delays = [backoff.delay(attempt) for attempt in range(4)]
        shown = ", ".join("—" if delay is None else show_short(delay) for delay in delays)
        lines.append(f"| {show(backoff)} | {backoff.summary} | {shown} |")
    return "\n".join(lines)


def show_short(value: timedelta) -> str:
    """Return a short delay as the docs write it: `16 s`, `2 min`, `6 h`."""
    seconds = int(value.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def error_table(name: str, placeholder: str) -> str:
    """Return the generated table for one `<!-- errors: ... -->` placeholder."""
    if name == "meta":
        return error_codes(wa_outbound.Provider.META)
    if name == "twilio":
        return error_codes(wa_outbound.Provider.TWILIO)
    if name == "transport":
        return transport_failures()
    if name == "backoff":
        return backoff_schedules()
    raise PluginError(f"unknown placeholder {placeholder!r}")


def diagram(name: str) -> str | None:
    """Return the Mermaid diagram of the machine called `name`, or `None` if there is none."""
    consent, permission = wa_outbound.Consent(), wa_outbound.CallPermission()
    machines = {
        "consent": (wa_outbound.CONSENT_TRANSITIONS, consent.status),
        "marketing": (wa_outbound.MARKETING_TRANSITIONS, consent.marketing),
        "call_permission": (wa_outbound.CALL_PERMISSION_TRANSITIONS, permission.status),
    }
    if name == "template":
        return template_life()
    if name == "template_events":
        return template_events()
    machine = machines.get(name)
    return None if machine is None else state_diagram(*machine)  # type: ignore[arg-type]


def expand(match: re.Match[str]) -> str:
    """Return the generated text for one placeholder."""
    kind, name = match.groups()
    if kind == "errors":
        return error_table(name, match.group(0))
    if (kind, name) == ("categories", "mapping"):
        return category_mapping()
    if (kind, name) == ("lint", "codes"):
        return lint_codes()
    if kind == "cli":
        return command_line(name, match.group(0))
    generated = diagram(name) if kind == "diagram" else None
    if (kind, name) == ("rules", "history"):
        generated = rule_history()
    elif (kind, name) == ("rules", "fields"):
        generated = rule_fields()
    elif kind == "rules" and name in RULE_GROUPS:
        generated = rule_values(RULE_GROUPS[name])
    if generated is None:
        raise PluginError(f"unknown placeholder {match.group(0)!r}")
    return generated


REFERENCE_PAGES: Final[dict[str, tuple[str, ...]]] = {
    "reference/api.md": ("wa_outbound",),
    "reference/templates.md": ("wa_outbound.templates",),
    "reference/account.md": ("wa_outbound.account",),
    "reference/limits.md": ("wa_outbound.limits",),
    "reference/pricing.md": ("wa_outbound.pricing",),
    "reference/campaigns.md": ("wa_outbound.campaigns",),
    "reference/error-codes.md": ("wa_outbound.error_codes",),
    "reference/webhooks.md": ("wa_outbound.webhooks",),
    "reference/state.md": ("wa_outbound.state", "wa_outbound.stores"),
    "reference/redis.md": ("wa_outbound.redis",),
    "reference/sending.md": ("wa_outbound.sending",),
    "reference/meta.md": ("wa_outbound.meta",),
    "reference/twilio.md": ("wa_outbound.twilio",),
}
"""Each reference page and the public modules whose names it renders."""


def owned_names(module_name: str) -> set[str]:
    """The public names a reference page must render.

    A name that lives in a family is rendered once, on the family's page (even when the top
    level has it too); the API page renders the rest of the top level, and every error class
    (`wa_outbound.webhooks` and `wa_outbound.stores` re-export some).
    """
    families = set().union(
        *(
            importlib.import_module(page_module).__all__
            for page_modules in REFERENCE_PAGES.values()
            for page_module in page_modules
            if page_module != "wa_outbound"
        )
    )
    errors = {
        name
        for name in wa_outbound.__all__
        if isinstance(value := getattr(wa_outbound, name), type)
        and issubclass(value, wa_outbound.WaOutboundError)
    }
    top_only = set(wa_outbound.__all__) - (families - errors) - NOT_RENDERED
    if module_name == "wa_outbound":
        return top_only
    return set(importlib.import_module(module_name).__all__) - top_only


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace the placeholders; on a reference page, warn about names missing or repeated."""
    for module_name in REFERENCE_PAGES.get(page.file.src_uri, ()):
        prefix = re.escape(module_name)
        rendered = re.findall(rf"^::: {prefix}\.(\w+)$", markdown, flags=re.MULTILINE)
        for name in sorted(owned_names(module_name) - set(rendered)):
            log.warning("%s does not render %s.%s", page.file.src_uri, module_name, name)
        for name in sorted({name for name in rendered if rendered.count(name) > 1}):
            log.warning("%s renders %s.%s more than once", page.file.src_uri, module_name, name)
    return PLACEHOLDER.sub(expand, markdown)
