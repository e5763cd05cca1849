"""Every value a notebook user looks at renders in Markdown, HTML and a terminal from one report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from rich.console import Console

from wa_outbound import (
    AccountHealth,
    CampaignRecipient,
    Conversation,
    InboundMessageReceived,
    MessagingLimit,
    OptInRecorded,
    PhoneNumberId,
    Provider,
    SendKind,
    TemplateCategory,
    TemplateState,
    WaId,
    builtin_rate_card,
    can_send,
    decide,
    diff_rules,
    estimate_cost,
    plan_campaign,
    rules_at,
)
from wa_outbound._render import Chart, Report, chart_svg, chart_text, plain
from wa_outbound._shown import Shown
from wa_outbound.account import PhoneNumberStatus, QualityRating
from wa_outbound.error_codes import classify_error
from wa_outbound.limits import RampUpPlan, project_tier, ramp_up
from wa_outbound.templates import (
    Body,
    BodyExample,
    Button,
    Buttons,
    ButtonType,
    Footer,
    LintReport,
    Template,
    TemplateStatusChanged,
    TemplateSubmitted,
    lint_template,
)
from wa_outbound.testing import templates

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
RULES = rules_at(T0)
BUSINESS = PhoneNumberId("106540352242922")
RECIPIENT = WaId("4915123456789")
CONVERSATION = Conversation(business=BUSINESS, recipient=RECIPIENT).apply_all(
    [OptInRecorded(at=T0 - 2 * H, method="checkout"), InboundMessageReceived(at=T0 - H)]
)
ORDER = Template(
    name="order_update",
    language="en_US",
    category=TemplateCategory.UTILITY,
    components=(
        Body(
            text="Hello {{1}}, your order {{2}} has shipped.",
            example=BodyExample(body_text=(("Maria", "#1234"),)),
        ),
        Footer(text="Reply STOP to opt out"),
        Buttons(
            buttons=(Button(type=ButtonType.URL, text="Track", url="https://example.com/t/{{1}}"),)
        ),
    ),
)


def terminal(value: object, width: int = 160) -> str:
    """What a terminal of `width` columns shows of `value`."""
    console = Console(record=True, width=width)
    console.print(value)
    return console.export_text()


def squash(text: str) -> str:
    """`text` without spaces and table rules, so that a cell wrapped by a terminal still matches."""
    return re.sub(r"[\s│]", "", text)


def values() -> dict[str, Any]:
    """One of every value that renders, built the way a notebook user builds it."""
    template = TemplateState(template_id="1304694804498707", name="order_update").apply_all(
        [TemplateSubmitted(at=T0 - 72 * H), TemplateStatusChanged(at=T0 - 70 * H, event="APPROVED")]
    )
    rows = [CampaignRecipient(recipient=WaId(f"49151{i:08d}"), opted_in=True) for i in range(6000)]
    return {
        "rules": RULES,
        "diff": diff_rules(rules_at(datetime(2024, 1, 1, tzinfo=timezone.utc)), RULES),
        "lint": lint_template(ORDER, rules=RULES),
        "conversation": CONVERSATION,
        "template state": template,
        "template": ORDER,
        "retry": classify_error(Provider.META, 131047),
        "cost": estimate_cost(
            CONVERSATION,
            SendKind.MARKETING_TEMPLATE,
            now=T0,
            rules=RULES,
            rate_card=builtin_rate_card(),
        ),
        "tier": project_tier(
            MessagingLimit(users=2_000),
            used_last_7_days=500,
            quality=QualityRating.GREEN,
            phone_status=PhoneNumberStatus.CONNECTED,
            now=T0,
        ),
        "ramp": ramp_up(20_000, limit=MessagingLimit(users=2_000), now=T0),
        "rate card": builtin_rate_card(),
        "decision": decide(
            CONVERSATION,
            SendKind.UTILITY_TEMPLATE,
            now=T0,
            template=template,
            account=AccountHealth(),
            rate_card=builtin_rate_card(),
        ),
        "plan": plan_campaign(
            rows,
            business=BUSINESS,
            kind=SendKind.UTILITY_TEMPLATE,
            start=T0,
            limit=MessagingLimit(users=2_000),
            rate_card=builtin_rate_card(),
        ),
    }


@pytest.mark.parametrize("name", sorted(values()))
def test_every_rendering_shows_every_cell_of_the_one_report(name: str) -> None:
    """Markdown, HTML and rich each show the report's title, every table title and cell."""
    value = values()[name]
    assert isinstance(value, Shown)
    report = value._report()
    renderings = {
        "markdown": value._repr_markdown_(),
        "html": value._repr_html_(),
        "terminal": terminal(value, width=1_000),  # wide: a wrapped cell splits across lines
    }
    cells = {cell for table in report.tables for row in table.rows for cell in row if cell}
    for where, text in renderings.items():
        shown = squash(text.replace("&#x27;", "'").replace("&amp;", "&").replace("&gt;", ">"))
        if where == "terminal":  # a wrapped cell's lines alternate with the next columns'
            missing = {c for c in cells if any(squash(w) not in shown for w in c.split())}
        else:
            missing = {cell for cell in cells if squash(cell) not in shown}
        assert set() == missing, where
        for table in report.tables:
            assert squash(table.title) in shown, where
    assert renderings["markdown"].startswith(f"**{report.title}**")


def test_a_decision_is_allowed_or_blocked_at_a_glance_and_a_sentence() -> None:
    """An allowed decision shows a tick and reads as a sentence; a blocked one says instead."""
    allowed = can_send(CONVERSATION, SendKind.FREE_FORM, now=T0)
    assert (
        "Allowed: a free-form message may be sent now; the service window closes at"
        " 2026-11-24 08:00 UTC."
    ) == str(allowed)
    assert "✅" in allowed._repr_html_()
    blocked = can_send(CONVERSATION, SendKind.FREE_FORM, now=T0 + 30 * H)
    assert str(blocked).startswith("Blocked: a free-form message may not be sent now, because")
    assert str(blocked).endswith(
        "Instead, send an approved template instead of a free-form message."
    )
    assert "⛔" in terminal(blocked)


def test_a_plan_draws_sends_per_day_against_the_limit_as_inline_svg() -> None:
    """The plan's HTML holds an SVG chart; its text renderings hold the same bars as text."""
    plan = values()["plan"]
    page = plan._repr_html_()
    assert "<svg" in page
    assert page.count("<rect") == len(plan.days)
    assert "<polyline" in page  # the limit
    assert "Projected messaging limit upgrades" in page
    assert "Cost per market" in page
    assert "█" in plan._repr_markdown_()
    assert "(messaging limit at the end of the day " in terminal(plan)


def test_a_template_previews_its_message_with_examples_and_buttons() -> None:
    """Variables show their examples in brackets; buttons show their label and target."""
    rows = dict(ORDER._report().tables[0].rows)
    assert "Hello [Maria], your order [#1234] has shipped." == rows["body"]
    assert "[ Track ] → https://example.com/t/{{1}}" == rows["button 1"]
    assert "Reply STOP to opt out" == rows["footer"]


@given(templates())
def test_any_template_renders(template: Template) -> None:
    """Any valid template renders in every form without error."""
    assert template._repr_html_().startswith("<p><b>Template ")
    assert template._repr_markdown_()


def test_lint_and_diff_stay_tuples() -> None:
    """A lint report and a rule difference compare equal to the plain tuple of their items."""
    report = values()["lint"]
    assert isinstance(report, LintReport)
    assert tuple(report) == report
    assert report.errors + report.warnings == tuple(sorted(report, key=lambda f: not f.is_error))
    diff = values()["diff"]
    assert tuple(diff) == diff
    assert diff._report().tables[0].header[1:3] == (diff.before, diff.after)
    assert isinstance(values()["ramp"], RampUpPlan)


def test_a_lint_report_without_findings_says_so() -> None:
    """An empty report says nothing stands in the way, and shows no table."""
    assert "**Template lint** — nothing found" in LintReport()._repr_markdown_()


def test_plain_values_read_as_people_write_them() -> None:
    """Durations in words, instants in UTC, enums without underscores, counts with commas."""
    assert "24 h" == plain(timedelta(hours=24))
    assert "7 days" == plain(timedelta(days=7))
    assert "36 h" == plain(timedelta(hours=36))
    assert "30 min" == plain(timedelta(minutes=30))
    assert "5 s" == plain(timedelta(seconds=5))
    assert "2026-11-23 09:00 UTC" == plain(T0)
    assert "2026-11-23" == plain(T0.date())
    assert "utility template" == plain(SendKind.UTILITY_TEMPLATE)
    assert "2,000" == plain(2_000)
    assert "yes" == plain(True)  # noqa: FBT003
    assert "—" == plain(None)
    assert "none" == plain(())
    assert "a, b" == plain(frozenset({"b", "a"}))
    assert "x" == plain("x")


def test_a_long_chart_shows_its_ends_as_text_and_every_bar_as_svg() -> None:
    """Text bars keep the first and last days of a long chart; the SVG keeps them all."""
    chart = Chart(
        title="t",
        labels=tuple(f"d{i}" for i in range(100)),
        bars=tuple(range(100)),
        limits=(None,) * 50 + (80,) * 50,
    )
    lines = chart_text(chart)
    assert 41 == len(lines)
    assert "… 60 more …" == lines[20]
    assert "no limit" in lines[0]
    assert 100 == chart_svg(chart).count("<rect")
    empty = Report(title="e", summary=(), chart=Chart(title="e", labels=(), bars=(), limits=()))
    assert "<svg" in Shown.__dict__["_repr_html_"].__call__(_Fixed(empty))


class _Fixed(Shown):
    """A value whose report is given."""

    __slots__ = ("report",)

    def __init__(self, report: Report) -> None:
        """Keep the report."""
        self.report = report

    def _report(self) -> Report:
        return self.report


def test_the_mixin_needs_a_report() -> None:
    """A value that inherits `Shown` without saying what it shows refuses to render."""
    with pytest.raises(NotImplementedError):
        Shown()._repr_markdown_()
