"""`lint FILE [FILE ...]`: lint Graph API JSON templates against the rules in force.

Each file holds one template, a list, or a list-templates response; `-` reads standard input.
The command exits 1 (findings) if any template has an error, and 3 (an input error) if a file
cannot be read as templates; the other files are linted all the same.
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
from wa_outbound.cli._common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    console,
    count,
    escape,
    future_note,
    instant,
    print_json,
    words,
)

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


def _json(raw: bytes) -> object:
    """Decode a file's bytes as JSON (a byte-order mark is fine, as for CSV files).

    Raises:
        ValueError: The bytes are not UTF-8, not JSON, or nested too deeply; in words.
    """
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        msg = f"not UTF-8 text: byte {error.start} cannot be read"
        raise ValueError(msg) from None
    except RecursionError:
        msg = "not JSON this command can read: nested too deeply"
        raise ValueError(msg) from None
    except ValueError as error:
        msg = f"not JSON: {error}"
        raise ValueError(msg) from None


def _stdin() -> bytes:
    """Standard input as bytes (a test's replacement may have text only)."""
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read() if stream is not None else sys.stdin.read().encode()


def _read_templates(name: str) -> tuple[tuple[Template, ...], dict[str, Any] | None]:
    """Read the templates of one file; on failure return no templates and the problem."""
    try:
        data = _json(_stdin() if name == "-" else Path(name).read_bytes())
    except OSError as error:
        return (), {"path": "$", "reason": f"cannot read the file: {error.strerror}"}
    except ValueError as error:
        return (), {"path": "$", "reason": str(error)}
    try:
        return templates_from_graph(data), None
    except TemplateFormatError as error:
        return (), {"path": error.field, "reason": error.reason, "value": repr(error.value)}


def run(args: argparse.Namespace, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Lint every template of every file; 3 if a file is unreadable, 1 if a template has errors."""
    now = clock()
    when = args.at if args.at is not None else now
    future_note(when, now)
    rules = rules_at(when)
    report: list[dict[str, Any]] = []
    errors = warnings = unreadable = 0
    for name in args.files:
        templates, problem = _read_templates(name)
        unreadable += problem is not None
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
            "unreadable_files": unreadable,
            "warnings": warnings,
            "files": report,
        }
        print_json(document, out)
    else:
        _print(out, report, rules, (errors, warnings, unreadable))
    if unreadable:
        print(
            f"wa-outbound: error: {count(unreadable, 'file')} could not be read as templates",
            file=sys.stderr,
        )
        return EXIT_INPUT
    return EXIT_FINDINGS if errors else 0


def _print(
    out: TextIO, report: list[dict[str, Any]], rules: Rules, counts: tuple[int, int, int]
) -> None:
    shown = console(out)
    from rich.table import Table  # noqa: PLC0415 - optional dependency
    from rich.text import Text  # noqa: PLC0415

    shown.print(
        f"Linting against the rules of {rules.name} (since {rules.effective_from:%Y-%m-%d})"
    )
    for entry in report:
        if entry["error"] is not None:
            problem = entry["error"]
            shown.print(
                f"[bold red]✗ {escape(entry['file'])}[/]: cannot read a template at"
                f" {escape(problem['path'])}: {escape(problem['reason'])}"
            )
            continue
        for template in entry["templates"]:
            findings = template["findings"]
            title = escape(
                f"{entry['file']}: {template['name']}"
                f" ({template['language']}, {words(template['category'])})"
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
                table.add_row(
                    Text(f["severity"], style=colour),
                    Text(f["code"]),
                    Text(f["path"]),
                    Text(f["message"]),
                )
            shown.print(table)
    errors, warnings, unreadable = counts
    summary = f"{count(errors, 'error')}, {count(warnings, 'warning')}"
    if unreadable:
        summary += f"; {count(unreadable, 'file')} could not be read"
    shown.print(summary)
