"""`lint FILE [FILE ...]`: lint Graph API JSON templates against the rules in force.

Each file holds one template, a list, or a list-templates response; `-` reads standard input.
The command exits 1 if any template has an error or a file cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wa_outbound._errors import TemplateFormatError
from wa_outbound._rules import Rules, rules_at
from wa_outbound._template_json import templates_from_graph
from wa_outbound._template_lint import lint_template
from wa_outbound.cli._common import console, instant, print_json

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from datetime import datetime

    from wa_outbound._templates import Template

HELP = "lint message templates (Graph API JSON) before you submit them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the files, `--at` and `--json`."""
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="JSON file: a template, a list, or '-' for stdin"
    )
    parser.add_argument(
        "--at", type=instant, metavar="DATE", help="lint against the rules of DATE (default: now)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _read_templates(name: str) -> tuple[tuple[Template, ...], dict[str, Any] | None]:
    """Read the templates of one file; on failure return no templates and the problem."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        return (), {"path": "$", "reason": f"cannot read the file: {error.strerror}"}
    try:
        data = json.loads(text)
    except ValueError as error:
        return (), {"path": "$", "reason": f"not JSON: {error}"}
    try:
        return templates_from_graph(data), None
    except TemplateFormatError as error:
        return (), {"path": error.field, "reason": error.reason, "value": repr(error.value)}


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Lint every template of every file; 1 if any has an error or cannot be read."""
    when = args.at if args.at is not None else clock()
    rules = rules_at(when)
    report: list[dict[str, Any]] = []
    errors = warnings = 0
    for name in args.files:
        templates, problem = _read_templates(name)
        errors += problem is not None
        linted = []
        for template in templates:
            findings = lint_template(template, rules=rules)
            errors += sum(f.is_error for f in findings)
            warnings += sum(not f.is_error for f in findings)
            linted.append(
                {
                    "name": template.name,
                    "language": template.language,
                    "category": template.category.value,
                    "findings": [
                        {
                            "code": f.code.value,
                            "severity": f.severity.value,
                            "path": f.path,
                            "message": f.message,
                        }
                        for f in findings
                    ],
                }
            )
        report.append({"file": name, "error": problem, "templates": linted})
    if args.json:
        document = {
            "at": when.isoformat(),
            "rule_set": rules.name,
            "errors": errors,
            "warnings": warnings,
            "files": report,
        }
        print_json(document, out)
    else:
        _print(out, report, rules, errors, warnings)
    return 1 if errors else 0


def _print(
    out: TextIO, report: list[dict[str, Any]], rules: Rules, errors: int, warnings: int
) -> None:
    shown = console(out)
    from rich.table import Table  # noqa: PLC0415 - optional dependency

    shown.print(
        f"Linting against the rules of {rules.name} (since {rules.effective_from:%Y-%m-%d})"
    )
    for entry in report:
        if entry["error"] is not None:
            problem = entry["error"]
            shown.print(
                f"[bold red]✗ {entry['file']}[/]: cannot read a template at {problem['path']}:"
                f" {problem['reason']}"
            )
            continue
        for template in entry["templates"]:
            findings = template["findings"]
            title = (
                f"{entry['file']}: {template['name']}"
                f" ({template['language']}, {template['category']})"
            )
            if not findings:
                shown.print(f"[bold green]✓ {title}[/]: no findings")
                continue
            shown.print(f"[bold]{title}[/]")
            table = Table(show_header=True, header_style="bold", expand=False)
            for column in ("severity", "code", "where", "what to do"):
                table.add_column(column)
            for f in findings:
                colour = "red" if f["severity"] == "error" else "yellow"
                table.add_row(f"[{colour}]{f['severity']}[/]", f["code"], f["path"], f["message"])
            shown.print(table)
    shown.print(f"{errors} error(s), {warnings} warning(s)")
