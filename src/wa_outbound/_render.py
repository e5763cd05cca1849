"""Show decisions and plans in notebooks (`_repr_markdown_`, `_repr_html_`) and terminals.

One function per value builds its rows (label, text); the Markdown, HTML and `rich` renderings
all come from those rows, so they never disagree. `rich` is imported only when a terminal asks
for it (the `cli` extra).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["as_html", "as_markdown", "as_rich"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def as_markdown(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Rows as a Markdown table under a bold title."""
    lines = [f"**{title}**", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(text)} |" for label, text in rows]
    return "\n".join(lines)


def as_html(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Rows as an HTML table with a caption."""
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
        f"<td style='text-align:left'>{html.escape(text)}</td></tr>"
        for label, text in rows
    )
    return f"<table><caption>{html.escape(title)}</caption>{body}</table>"


def as_rich(title: str, rows: Sequence[tuple[str, str]]) -> Any:  # noqa: ANN401 - rich is optional
    """Rows as a `rich` table (needs the `cli` extra)."""
    from rich.table import Table  # noqa: PLC0415 - optional dependency, loaded on use

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, text in rows:
        table.add_row(label, text)
    return table
