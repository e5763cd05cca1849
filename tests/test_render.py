"""Tables and reports as Markdown, HTML and rich: one source, three renderings."""

from __future__ import annotations

from rich.console import Console

from wa_outbound._render import (
    Report,
    Table,
    as_html,
    as_markdown,
    as_rich,
    report_html,
    report_markdown,
    report_rich,
)

ROWS = (("send", "utility_template"), ("reason", "a | b <c>"))
GRID = Table(
    title="Per day",
    header=("day", "sends"),
    rows=(("2026-11-23", "1,000"), ("2026-11-24", "5")),
    right=frozenset({1}),
)


def terminal(renderable: object) -> str:
    """What a 100-column terminal shows of `renderable`."""
    console = Console(record=True, width=100)
    console.print(renderable)
    return console.export_text()


def test_label_rows_render_as_before() -> None:
    """(label, text) rows: a headerless Markdown table, an HTML table headed by labels."""
    assert (
        "**Decision**\n\n| | |\n|---|---|\n| send | utility_template |\n| reason | a \\| b <c> |"
        == as_markdown("Decision", ROWS)
    )
    assert (
        "<table><caption>Decision</caption>"
        "<tr><th style='text-align:left'>send</th>"
        "<td style='text-align:left'>utility_template</td></tr>"
        "<tr><th style='text-align:left'>reason</th>"
        "<td style='text-align:left'>a | b &lt;c&gt;</td></tr></table>"
    ) == as_html("Decision", ROWS)
    shown = terminal(as_rich("Decision", ROWS))
    assert shown.startswith("Decision")
    assert "│ reason │ a | b <c>" in shown


def test_a_grid_aligns_its_number_columns_right() -> None:
    """A header and rows: Markdown marks the right-aligned columns, rich aligns them."""
    lines = report_markdown(Report(title="Plan", summary=("one",), tables=(GRID,))).splitlines()
    assert ["| day | sends |", "|---|---:|", "| 2026-11-23 | 1,000 |"] == lines[4:7]
    assert "│ 2026-11-24 │     5 │" in terminal(
        report_rich(Report(title="P", summary=(), tables=(GRID,)))
    )


def test_a_report_shows_title_summary_tables_and_notes_in_every_rendering() -> None:
    """Every part of a report shows in Markdown, HTML and rich; notes only when there are some."""
    report = Report(
        title="Plan",
        summary=("first line", "second line"),
        tables=(GRID,),
        notes_title="Bad rows",
        notes=("row 3, phone='[bold]x': bad",),
    )
    markdown, page, shown = (
        report_markdown(report),
        report_html(report),
        terminal(report_rich(report)),
    )
    assert markdown.startswith("**Plan** — first line  \nsecond line  \n\n**Per day**")
    assert markdown.endswith("**Bad rows**\n\n- row 3, phone='[bold]x': bad")
    assert page.startswith("<p><b>Plan</b><br>first line<br>second line</p><table><caption>")
    assert page.endswith("<ul><li>row 3, phone=&#x27;[bold]x&#x27;: bad</li></ul>")
    assert shown.startswith("first line\nsecond line\nPer day")
    assert shown.endswith("Bad rows:\n  row 3, phone='[bold]x': bad\n")
    bare = Report(title="Plan", summary=("only",), notes_title="Bad rows")
    assert "Bad rows" not in report_markdown(bare) + report_html(bare) + terminal(report_rich(bare))
