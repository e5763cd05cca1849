"""Show decisions and plans in notebooks (`_repr_markdown_`, `_repr_html_`) and terminals.

A value says once, as text, what it shows: rows of (label, text) for a decision, a `Report` (a
titled summary, `Table`s with a header, notes) for a plan. The functions here turn that one
source into Markdown, HTML and a `rich` renderable, so the three never disagree. `rich` is
imported only when a terminal asks for it (the `cli` extra).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Report",
    "Table",
    "as_html",
    "as_markdown",
    "as_rich",
    "report_html",
    "report_markdown",
    "report_rich",
]


@attrs.frozen(kw_only=True)
class Table:
    """A titled table of text: (label, text) rows, or a header and rows of cells under it."""

    title: str
    """What the table shows."""
    rows: tuple[tuple[str, ...], ...]
    """The cells, row by row."""
    header: tuple[str, ...] | None = None
    """The column names; `None` for (label, text) rows, whose first cell labels the row."""
    right: frozenset[int] = frozenset()
    """The columns, by index, aligned right (numbers)."""


@attrs.frozen(kw_only=True)
class Report:
    """A titled summary, then tables, then notes under a title of their own."""

    title: str
    """What the report is. Notebooks show it bold before the summary; a terminal, where it was
    asked for by name, starts with the summary."""
    summary: tuple[str, ...]
    """Lines of text."""
    tables: tuple[Table, ...] = ()
    """The tables, in order."""
    notes_title: str = ""
    """What the notes are."""
    notes: tuple[str, ...] = ()
    """Lines after the tables; with none, neither they nor their title show."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown_table(table: Table) -> list[str]:
    """A table's Markdown lines: the header (empty for label rows), the alignments, the rows."""
    if table.header is None:
        lines = ["| | |", "|---|---|"]
    else:
        aligns = ("---:" if index in table.right else "---" for index in range(len(table.header)))
        lines = ["| " + " | ".join(table.header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(_cell(text) for text in row) + " |" for row in table.rows]
    return lines


def _html_table(table: Table) -> str:
    """A table as HTML with a caption; label rows head each row with their label."""
    caption = f"<caption>{html.escape(table.title)}</caption>"
    if table.header is None:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
            f"<td style='text-align:left'>{html.escape(text)}</td></tr>"
            for label, text in table.rows
        )
        return f"<table>{caption}{body}</table>"
    head = "".join(f"<th>{html.escape(name)}</th>" for name in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(text)}</td>" for text in row) + "</tr>"
        for row in table.rows
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rich_table(table: Table) -> Any:  # noqa: ANN401 - rich is optional
    """A table as a `rich` table (needs the `cli` extra); label rows show their label bold.

    Cells are `Text`, never console markup: a cell may hold what a user typed (`[/bold]`).
    """
    from rich.table import Table as RichTable  # noqa: PLC0415 - optional dependency, on use
    from rich.text import Text  # noqa: PLC0415

    shown = RichTable(
        title=Text(table.title), show_header=table.header is not None, title_justify="left"
    )
    if table.header is None:
        shown.add_column(style="bold")
        shown.add_column()
    else:
        for index, name in enumerate(table.header):
            shown.add_column(name, justify="right" if index in table.right else "left")
    for row in table.rows:
        shown.add_row(*(Text(cell) for cell in row))
    return shown


def as_markdown(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Rows of (label, text) as a Markdown table under a bold title."""
    table = Table(title=title, rows=tuple(rows))
    return "\n".join([f"**{title}**", "", *_markdown_table(table)])


def as_html(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Rows of (label, text) as an HTML table with a caption."""
    return _html_table(Table(title=title, rows=tuple(rows)))


def as_rich(title: str, rows: Sequence[tuple[str, str]]) -> Any:  # noqa: ANN401 - rich is optional
    """Rows of (label, text) as a `rich` table (needs the `cli` extra)."""
    return _rich_table(Table(title=title, rows=tuple(rows)))


def report_markdown(report: Report) -> str:
    """A report as Markdown: the bold title and the summary, each table titled, the notes."""
    first, *rest = report.summary or ("",)
    lines = [f"**{report.title}** — {first}  ", *(f"{line}  " for line in rest)]
    for table in report.tables:
        lines += ["", f"**{table.title}**", "", *_markdown_table(table)]
    if report.notes:
        lines += ["", f"**{report.notes_title}**", ""]
        lines += [f"- {html.escape(note, quote=False)}" for note in report.notes]
    return "\n".join(lines)


def report_html(report: Report) -> str:
    """A report as HTML: the bold title and the summary, each table captioned, the notes."""
    summary = "<br>".join(html.escape(line) for line in report.summary)
    parts = [f"<p><b>{html.escape(report.title)}</b><br>{summary}</p>"]
    parts += [_html_table(table) for table in report.tables]
    if report.notes:
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.notes)
        parts.append(f"<p><b>{html.escape(report.notes_title)}</b></p><ul>{notes}</ul>")
    return "".join(parts)


def report_rich(report: Report) -> Any:  # noqa: ANN401 - rich is optional
    """A report as a `rich` group: the summary, each table titled, the notes (`cli` extra).

    Notes may hold what a user typed (a bad row's value): they are shown as text, never read
    as console markup.
    """
    from rich.console import Group  # noqa: PLC0415 - optional dependency, loaded on use
    from rich.markup import escape  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    parts: list[Any] = [Text("\n".join(report.summary))]
    parts += [_rich_table(table) for table in report.tables]
    if report.notes:
        parts.append(f"{report.notes_title}:\n" + "\n".join(f"  {escape(n)}" for n in report.notes))
    return Group(*parts)
