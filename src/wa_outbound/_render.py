"""Show values in notebooks (`_repr_markdown_`, `_repr_html_`) and terminals (`__rich__`).

A value says once, as text, what it shows: a `Report` (a titled summary, an optional `Chart`,
`Table`s, notes). The functions here turn that one source into Markdown, HTML and a `rich`
renderable, so the three never disagree; a value gets all three by inheriting `Shown` and
defining `_report` (`wa_outbound._shown`, which loads this module only when a value is
shown). `rich` is imported only when a terminal asks for it (the `cli` extra);
a chart is drawn as inline SVG for HTML and as text bars elsewhere, with no plotting library.
"""

from __future__ import annotations

import enum
import html
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Chart",
    "Report",
    "Table",
    "as_html",
    "as_markdown",
    "as_rich",
    "chart_svg",
    "chart_text",
    "plain",
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
    chart: Chart | None = None
    """A bar chart shown after the summary, or `None`."""


@attrs.frozen(kw_only=True)
class Chart:
    """Bars (one per label) against a limit line: sends per day against the messaging limit."""

    title: str
    """What the chart shows."""
    labels: tuple[str, ...]
    """One label per bar (a day), in order."""
    bars: tuple[int, ...]
    """The bars' heights (sends)."""
    limits: tuple[int | None, ...]
    """The limit at each bar; `None` for no limit (nothing drawn there)."""
    bar_name: str = "sends"
    """What a bar counts."""
    limit_name: str = "limit"
    """What the line is."""


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
    if report.chart is not None:
        lines += ["", f"**{report.chart.title}**", "", "```text", *chart_text(report.chart), "```"]
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
    if report.chart is not None:
        parts.append(chart_svg(report.chart))
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
    if report.chart is not None:
        parts.append(escape("\n".join([f"{report.chart.title}:", *chart_text(report.chart)])))
    parts += [_rich_table(table) for table in report.tables]
    if report.notes:
        parts.append(f"{report.notes_title}:\n" + "\n".join(f"  {escape(n)}" for n in report.notes))
    return Group(*parts)


# --- charts ---------------------------------------------------------------------------------

_WIDTH: Final = 640
_HEIGHT: Final = 220
_MARGIN: Final = (56, 28, 12, 28)
"""Left, top, right, bottom margins of the plot area, in pixels."""
_TEXT_ROWS: Final = 40
"""The most bars shown as text: a longer chart shows its first and last bars."""
_TEXT_WIDTH: Final = 40


def _most(chart: Chart) -> int:
    highest = max((*chart.bars, *(limit or 0 for limit in chart.limits)), default=0)
    return max(highest, 1)


def chart_svg(chart: Chart) -> str:
    """The chart as an inline SVG: a bar per label, the limit as a step line, axis labels."""
    left, top, right, bottom = _MARGIN
    width, height = _WIDTH - left - right, _HEIGHT - top - bottom
    most = _most(chart)
    count = max(len(chart.bars), 1)
    step = width / count

    def y(value: int) -> float:  # a tenth of headroom keeps the limit line off the edge
        return top + height - value / (most * 1.1) * height

    bars = "".join(
        f"<rect x='{left + index * step + step * 0.1:.1f}' y='{y(value):.1f}'"
        f" width='{max(step * 0.8, 0.5):.1f}' height='{top + height - y(value):.1f}'"
        f" fill='#4c78a8'><title>{html.escape(label)}: {value:,} {chart.bar_name}</title></rect>"
        for index, (label, value) in enumerate(zip(chart.labels, chart.bars, strict=True))
    )
    points = []
    for index, limit in enumerate(chart.limits):
        if limit is not None:
            points += [(left + index * step, y(limit)), (left + (index + 1) * step, y(limit))]
    line = ""
    if points:
        drawn = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        line = f"<polyline points='{drawn}' fill='none' stroke='#e45756' stroke-width='2'/>"
    first, last = (chart.labels[0], chart.labels[-1]) if chart.labels else ("", "")
    text = "font-family='sans-serif' font-size='11'"
    axes = (
        f"<line x1='{left}' y1='{top + height}' x2='{left + width}' y2='{top + height}'"
        " stroke='#888'/>"
        f"<text x='{left - 4}' y='{y(most) + 4:.1f}' text-anchor='end' {text}>{most:,}</text>"
        f"<text x='{left - 4}' y='{top + height}' text-anchor='end' {text}>0</text>"
        f"<text x='{left}' y='{_HEIGHT - 8}' {text}>{html.escape(first)}</text>"
        f"<text x='{left + width}' y='{_HEIGHT - 8}' text-anchor='end' {text}>"
        f"{html.escape(last)}</text>"
    )
    legend = (
        f"<text x='{left}' y='14' {text} fill='#4c78a8'>■ {chart.bar_name}</text>"
        f"<text x='{left + 80}' y='14' {text} fill='#e45756'>— {chart.limit_name}</text>"
    )
    return (
        f"<figure><svg xmlns='http://www.w3.org/2000/svg' width='{_WIDTH}' height='{_HEIGHT}'"
        f" viewBox='0 0 {_WIDTH} {_HEIGHT}' role='img'"
        f" aria-label='{html.escape(chart.title)}'>{bars}{line}{axes}{legend}</svg>"
        f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
    )


def chart_text(chart: Chart) -> list[str]:
    """The chart as lines of text bars: label, bar, value and limit (terminals, Markdown)."""
    most = _most(chart)
    rows = list(zip(chart.labels, chart.bars, chart.limits, strict=True))
    skipped = 0
    if len(rows) > _TEXT_ROWS:
        half = _TEXT_ROWS // 2
        skipped = len(rows) - 2 * half
        rows = rows[:half] + rows[-half:]
    lines = []
    for index, (label, value, limit) in enumerate(rows):
        if skipped and index == _TEXT_ROWS // 2:
            lines.append(f"… {skipped:,} more …")
        filled = round(value / most * _TEXT_WIDTH)
        bar = "█" * filled + " " * (_TEXT_WIDTH - filled)
        bound = "no limit" if limit is None else f"{chart.limit_name} {limit:,}"
        lines.append(f"{label} {bar} {value:,} {chart.bar_name} ({bound})")
    return lines


# --- values ---------------------------------------------------------------------------------


def plain(value: object) -> str:  # noqa: PLR0911 - one return per kind of value
    """A value as a reader writes it: durations in words, instants in UTC, enums by name."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value).replace("_", " ")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value, key=str) if isinstance(value, (frozenset, set)) else value
        return ", ".join(plain(item) for item in items) or "none"
    return str(value)


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds >= 2 * 86_400 and seconds % 86_400 == 0:  # 24 h reads better than "1 day"
        return f"{seconds // 86_400} days"
    for unit, size in (("h", 3_600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
