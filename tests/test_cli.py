"""The command line, through `main()` and through the real entry point."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from wa_outbound.cli import DEMO_STORY, main


def run(*argv: str, now: datetime | None = None) -> tuple[int, str]:
    """Run the CLI in-process with a fixed clock; return (status, output)."""
    out = io.StringIO()
    clock = (
        (lambda: now) if now is not None else (lambda: datetime(2026, 11, 25, tzinfo=timezone.utc))
    )
    status = main(list(argv), clock=clock, out=out)
    return status, out.getvalue()


def demo_lines() -> int:
    """How many JSON lines `demo --json` prints: one per decision and plan, the state, the run."""
    return 2 + sum(
        len(step.asks) + step.ask_template + len(step.campaign_to) + bool(step.plan_for)
        for step in DEMO_STORY
    )


def test_demo_json_tells_the_whole_story() -> None:
    """`demo --json` prints one JSON line per decision, covering every beat of the story."""
    status, output = run("demo", "--json")
    assert 0 == status
    lines = [json.loads(line) for line in output.splitlines()]
    assert demo_lines() == len(lines)
    by_step = {(line["step"], line["kind"]): line for line in lines}
    assert by_step[1, "free_form"]["allowed"]
    assert not by_step[3, "free_form"]["allowed"]
    assert "send_template" == by_step[3, "free_form"]["instead"]
    assert by_step[3, "utility_template"]["allowed"]
    assert ["marketing_opted_out"] == [
        r["code"] for r in by_step[4, "marketing_template"]["reasons"]
    ]
    assert by_step[4, "utility_template"]["allowed"]
    assert ["no_call_permission"] == [r["code"] for r in by_step[7, "call"]["reasons"]]
    assert not by_step[5, "campaign_template"]["allowed"]
    assert ["paused"] == [r["code"] for r in by_step[5, "campaign_template"]["reasons"]]
    assert "2026-11-24T18:30:00+00:00" == by_step[5, "campaign_template"]["next_change_at"]
    campaign = [line for line in lines if "recipient" in line]
    assert [True, False] == [line["allowed"] for line in campaign]
    assert ["messaging_limit_reached"] == [r["code"] for r in campaign[1]["reasons"]]
    assert "send_later" == campaign[1]["instead"]
    assert by_step[8, "call"]["allowed"]
    assert by_step[9, "campaign_template"]["allowed"]
    state = by_step["state", "state"]
    assert "state.sqlite" == state["file"]
    (kept,) = state["conversations"]
    assert ("opted_in", "stopped", "granted") == (
        kept["consent"],
        kept["marketing"],
        kept["call_permission"],
    )


def test_demo_json_ends_with_the_campaign_plan() -> None:
    """The last JSON line is the plan: 3,000 sends in two waves over two days, one upgrade."""
    _, output = run("demo", "--json")
    plan = json.loads(output.splitlines()[-3])
    assert ("campaign_plan", "marketing_template") == (plan["kind"], plan["template_kind"])
    assert (3_001, 3_000, 3_000) == (plan["recipients"], plan["scheduled"], plan["new_users"])
    assert {"marketing_opted_out": 1} == plan["blocked"]  # Ana stopped promotions in step 4
    assert 2 == plan["waves"]
    assert [
        {"date": "2026-11-24", "sends": 2_000},
        {"date": "2026-11-25", "sends": 1_000},
    ] == plan["days"]
    assert [{"at": "2026-11-25T02:00:12.487500+00:00", "before": 2_000, "after": 10_000}] == (
        plan["tier_changes"]
    )
    assert "2026-11-25T02:00:24.975000+00:00" == plan["finishes_at"]
    assert ({"USD": "177.6000"}, 0) == (plan["total_cost"], plan["unknown_price_sends"])


def test_demo_text_shows_decisions_and_reasons() -> None:
    """The text demo shows allowed and blocked sends with their reasons and alternatives."""
    status, output = run("demo")
    assert 0 == status
    assert "free form: allowed" in output
    assert "window_closed" in output
    assert "instead" in output
    assert "marketing_opted_out" in output
    assert "template winter_sale: blocked" in output
    assert "template winter_sale: sendable" in output
    assert "messaging_limit_reached" in output
    assert "campaign plan: 3,000 sends in 2 waves over 2 days" in output
    assert "limit 2,000 -> 10,000 at Wed 02:00" in output
    assert "cost: 177.60 USD" in output
    assert "instead: ask again Wed 09:30" in output
    # The call stays allowed past the window's closing: both clocks are named.
    assert (
        "call: allowed (the customer service window closes Wed 17:00; the call permission"
        " lasts until 1 Dec 17:00)"
    ) in " ".join(output.split())


def test_demo_without_phonenumbers_skips_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the pricing extra the demo still runs: the plan step says what to install."""
    from wa_outbound.cli import _demo

    monkeypatch.setattr(_demo, "_pricing_installed", lambda: False)
    _, output = run("demo", "--json")
    lines = output.splitlines()
    assert demo_lines() == len(lines)
    last = json.loads(lines[-3])
    assert "campaign_plan" == last["kind"]
    assert "wa_outbound[pricing]" in last["skipped"]
    assert "scheduled" not in last
    _, text = run("demo")
    assert "campaign plan skipped" in text
    assert "wa_outbound[pricing]" in text


def test_rules_json_lists_every_rule_with_its_source() -> None:
    """`rules --at 2023-03-01 --json` gives the 2023 regime with values, dates and sources."""
    status, output = run("rules", "--at", "2023-03-01", "--json")
    assert 0 == status
    document = json.loads(output)
    assert "2023 regime" == document["rule_set"]
    rules = {r["name"]: r for r in document["rules"]}
    assert "PT24H" == rules["service_window"]["value"]
    assert "PT72H" == rules["free_entry_point_window"]["value"]
    assert "conversation_based" == rules["pricing_model"]["value"]
    assert rules["business_initiated_calls"]["value"] is False
    for rule in document["rules"]:
        assert rule["source"]["url"].startswith("https://")
        assert rule["effective_from"]


def test_rules_default_to_now() -> None:
    """Without `--at` the clock decides which set is shown."""
    _, output = run("rules", "--json", now=datetime(2025, 8, 1, tzinfo=timezone.utc))
    assert "business-initiated calling" == json.loads(output)["rule_set"]


def test_rules_text() -> None:
    """The text table names the set, the rules and their sources."""
    status, output = run("rules", "--at", "2026-11-25")
    assert 0 == status
    assert "templates in Messaging accounts" in output
    assert "service_window" in output
    assert "developers.facebook.com" in output
    assert "(reported)" in output


def test_rules_diff_json() -> None:
    """`rules --diff` lists what changed between two dates, before and after."""
    status, output = run("rules", "--diff", "2025-06-01", "2025-12-01", "--json")
    assert 0 == status
    document = json.loads(output)
    changes = {c["name"]: c for c in document["changes"]}
    assert "conversation_based" == changes["pricing_model"]["before"]["value"]
    assert "per_message" == changes["pricing_model"]["after"]["value"]
    assert "2025-07-01T00:00:00+00:00" == changes["pricing_model"]["after"]["effective_from"]
    assert "service_window" not in changes


def test_rules_diff_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text diff shows old and new values, and source-only changes as unchanged values."""
    monkeypatch.setenv("COLUMNS", "240")
    _, output = run("rules", "--diff", "2025-06-01", "2025-12-01")
    assert "conversation based -> per message" in output
    assert "value unchanged" in output
    _, same = run("rules", "--diff", "2026-01-01", "2026-02-01")
    assert "No rule changed" in same


def test_rules_before_2023_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A date before the oldest set exits with status 3 (input error) and a clear message."""
    status, _ = run("rules", "--at", "2020-01-01")
    assert 3 == status
    assert "no rule set before 2023-01-01" in capsys.readouterr().err


def test_bad_dates_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable date exits with argparse's status 2 and names the value."""
    with pytest.raises(SystemExit) as info:
        run("rules", "--at", "next tuesday")
    assert 2 == info.value.code
    assert "next tuesday" in capsys.readouterr().err


def test_instants_with_zones_are_read_in_utc() -> None:
    """`--at 2025-07-01T01:00+02:00` is still June 30 in UTC."""
    _, output = run("rules", "--at", "2025-07-01T01:00+02:00", "--json")
    assert "categories assigned in review" == json.loads(output)["rule_set"]


def test_no_command_prints_help() -> None:
    """Without a command the CLI prints its help and exits with 2."""
    status, output = run()
    assert 2 == status
    assert "demo" in output


def test_help_lists_every_registered_command() -> None:
    """`--help` names each command of the registry with its one-line help."""
    from wa_outbound.cli._main import COMMANDS

    _, output = run()
    for name, command in COMMANDS.items():
        assert name in output
        assert command.HELP in " ".join(output.split())


def test_file_errors_are_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """A file the command cannot open ends with status 3 and one line naming the file."""
    assert 3 == run("plan", "/nonexistent/recipients.csv", "--template-kind", "utility")[0]
    assert "wa-outbound: error: cannot read /nonexistent/recipients.csv: No such file" in (
        capsys.readouterr().err
    )


def test_other_os_errors_and_interrupts_end_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A closed pipe ends with 141 and nothing printed; Ctrl-C ends with 130 and no traceback."""
    from wa_outbound.cli import _demo

    def broken_pipe(*_: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_demo, "run", broken_pipe)
    assert 141 == run("demo")[0]
    assert "" == capsys.readouterr().err
    monkeypatch.setattr(_demo, "run", interrupted)
    assert 130 == run("demo")[0]
    assert "" == capsys.readouterr().err


def test_module_entry_point() -> None:
    """`python -m wa_outbound demo --json` works as installed."""
    result = subprocess.run(
        [sys.executable, "-m", "wa_outbound", "demo", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.count("\n") == demo_lines()


def test_rules_with_several_values_print_as_lists() -> None:
    """A rule holding several durations prints as a JSON list and a comma-separated text."""
    _, output = run("rules", "--at", "2026-11-25", "--json")
    rules = {r["name"]: r for r in json.loads(output)["rules"]}
    assert ["PT3H", "PT6H"] == rules["template_pause_durations"]["value"]
    _, text = run("rules", "--at", "2026-11-25")
    assert "3 h, 6 h" in text


def test_limits_json_explains_the_limit_and_the_ramp() -> None:
    """`limits --json` gives the ladder in force, the blockers and a ramp-up plan."""
    status, output = run(
        "limits",
        "--at",
        "2026-11-25",
        "--verified",
        "--used",
        "1500",
        "--target",
        "100000",
        "--json",
    )
    assert 0 == status
    document = json.loads(output)
    assert "business_portfolio" == document["scope"]
    assert [250, 2000, 10000, 100000, "unlimited"] == document["tiers"]
    assert (2000, 10000, True) == (document["limit"], document["next"], document["eligible"])
    assert "2026-11-25T06:00:00+00:00" == document["earliest_upgrade_at"]
    assert 100000 == document["ramp_up"][-1]["limit"]
    old = json.loads(
        run("limits", "--at", "2023-03-01", "--limit", "1000", "--quality", "RED", "--json")[1]
    )
    assert "phone_number" == old["scope"]
    assert ["quality_low", "not_enough_usage"] == [b["code"] for b in old["blockers"]]
    assert [] == old["ramp_up"]
    unlimited = json.loads(run("limits", "--limit", "-1", "--json")[1])
    assert ("unlimited", None) == (unlimited["limit"], unlimited["next"])


def test_limits_text_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """The text report shows blockers and the plan; a tier with no limit is an error."""
    status, output = run("limits", "--limit", "TIER_2K", "--used", "1000", "--target", "10000")
    assert 0 == status
    assert "upgrade to 10,000 expected by 2026-11-25 06:00 UTC" in output
    assert "Ramp-up to 10,000 users a day: 1 day" in output
    assert "assumes the quality stays not low" in " ".join(output.split())
    _, blocked = run("limits", "--limit", "250", "--status", "flagged")
    assert "not connected" in blocked
    assert "next tier: 2,000" in blocked
    assert 3 == run("limits", "--limit", "TIER_NOT_SET")[0]
    assert "carries no limit" in capsys.readouterr().err


def test_limits_and_plan_agree_on_the_tiers() -> None:
    """`limits` expects the upgrade its own ramp-up applies: one model, no contradiction."""
    document = json.loads(
        run(
            "limits",
            *("--limit", "2000", "--used", "1200", "--target", "50000", "--verified", "--json"),
        )[1]
    )
    (day,) = document["ramp_up"]
    assert document["earliest_upgrade_at"] == day["upgrades"][0]
    assert (100000, 50000) == (day["limit"], day["users"])
    assert "6 hours" in document["assumes"]


def test_limits_below_the_verified_start_plans_from_it(capsys: pytest.CaptureFixture[str]) -> None:
    """`limits --target 5000` at 250 names the scaling path and plans from 2,000, no error."""
    status, output = run("limits", "--target", "5000")
    assert 0 == status
    text = " ".join(output.split())
    assert "scaling path required" in text
    assert "the ramp-up starts at 2,000" in text
    assert "--verified" in text
    assert "" == capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2,000", 2000), ("2 000", 2000), ("2_000", 2000), ("tier_10k", 10000), ("-1", "unlimited")],
)
def test_limit_is_read_as_people_write_it(text: str, expected: object) -> None:
    """`--limit 2,000` (as the output prints it), tier names in any case, and -1 are read."""
    assert expected == json.loads(run("limits", "--limit", text, "--json")[1])["limit"]
    assert "unlimited" == json.loads(run("limits", "--limit", "Unlimited", "--json")[1])["limit"]


@pytest.mark.parametrize("text", ["--5", "2,00", "9" * 5000, "\uff12\uff10\uff10\uff10"])
def test_limit_refuses_what_is_no_number(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A limit that is no number of users is an input error naming `--limit`."""
    assert 3 == run("limits", f"--limit={text}")[0]
    assert "--limit=" in capsys.readouterr().err


def test_choices_take_any_case() -> None:
    """`--quality red` and `--template-kind MARKETING` read like their lower or upper spelling."""
    document = json.loads(run("limits", "--limit", "2000", "--quality", "red", "--json")[1])
    assert "quality_low" in [b["code"] for b in document["blockers"]]


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` prints one line with the version and exits 0."""
    with pytest.raises(SystemExit) as info:
        run("--version")
    assert 0 == info.value.code
    assert capsys.readouterr().out.startswith("wa-outbound ")


def test_a_date_in_the_future_says_the_rules_are_assumed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A date past today and the last known change prints a note on standard error."""
    run("rules", "--at", "2031-01-01", "--json")
    assert "are assumed to hold then" in capsys.readouterr().err
    run("rules", "--at", "2026-11-01", "--json")
    assert "" == capsys.readouterr().err


def test_dates_out_of_range_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """A year before 1970 or after 9000 is refused by the parser, naming the value."""
    with pytest.raises(SystemExit) as info:
        run("rules", "--at", "9999-12-31")
    assert 2 == info.value.code
    assert "the year must be from 1970 to 9000" in capsys.readouterr().err


SEASONAL = {
    "name": "seasonal_promotion",
    "language": "en_US",
    "category": "MARKETING",
    "components": [
        {
            "type": "BODY",
            "text": "Shop now through {{1}} and use code {{2}} to get 25% off of all merchandise.",
            "example": {"body_text": [["the end of August", "25OFF"]]},
        },
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop promotions"}]},
    ],
}
BROKEN = {
    "name": "order update",
    "language": "en_US",
    "category": "UTILITY",
    "components": [{"type": "BODY", "text": "{{1}} your order ships today, enjoy free delivery"}],
}


def write(tmp_path: pytest.TempPathFactory | object, name: str, data: object) -> str:
    """Write JSON to a file in `tmp_path` and return its path."""
    path = tmp_path / name  # type: ignore[operator]
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_lint_clean_template_exits_zero(tmp_path: object) -> None:
    """A template with no findings passes: exit 0, a check mark."""
    status, output = run("lint", write(tmp_path, "t.json", SEASONAL))
    assert 0 == status
    assert "seasonal_promotion" in output
    assert "no" in output.split("seasonal_promotion")[1]
    assert "0 errors, 0 warnings" in output


def test_lint_reports_findings_and_exits_one(tmp_path: object) -> None:
    """A list with a broken template fails: exit 1, every finding listed."""
    status, output = run("lint", write(tmp_path, "t.json", [SEASONAL, BROKEN]))
    assert 1 == status
    for code in ("name-format", "variable-at-edge", "example-missing", "category-looks-promo"):
        assert code in output
    assert "3 errors, 1 warning" in output


def test_lint_json_lists_files_templates_and_findings(tmp_path: object) -> None:
    """`lint --json` gives counts, the rule set, and each finding with code, path and message."""
    listing = {"data": [SEASONAL, BROKEN], "paging": {"cursors": {"before": "a", "after": "b"}}}
    status, output = run("lint", "--json", write(tmp_path, "list.json", listing))
    document = json.loads(output)
    assert 1 == status
    assert (3, 1) == (document["errors"], document["warnings"])
    assert "templates in Messaging accounts" == document["rule_set"]
    (entry,) = document["files"]
    assert [
        [],
        ["name-format", "variable-at-edge", "example-missing", "category-looks-promotional"],
    ] == [[f["code"] for f in t["findings"]] for t in entry["templates"]]
    assert "components[0].text" == entry["templates"][1]["findings"][1]["path"]


def test_lint_reports_unreadable_files_without_stopping(tmp_path: object) -> None:
    """Missing files, bad JSON and non-templates are reported (status 3); the others linted."""
    bad_json = write(tmp_path, "bad.json", "{not json")
    not_template = write(tmp_path, "nt.json", {**SEASONAL, "category": "PROMO"})
    good = write(tmp_path, "good.json", SEASONAL)
    status, output = run(
        "lint",
        "--json",
        str(tmp_path) + "/missing.json",
        bad_json,
        not_template,
        good,  # type: ignore[operator]
    )
    document = json.loads(output)
    assert 3 == status
    assert (0, 3) == (document["errors"], document["unreadable_files"])
    errors = [f["error"] for f in document["files"]]
    assert "cannot read the file" in errors[0]["reason"]
    assert errors[1]["reason"].startswith("not JSON")
    assert "category" == errors[2]["path"]
    assert errors[3] is None
    status, text = run("lint", not_template)
    assert "cannot read a template at category" in text


def test_lint_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """`lint -` reads the JSON from standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(SEASONAL)))
    assert 0 == run("lint", "-")[0]


def test_lint_at_an_older_date_uses_its_rules(tmp_path: object) -> None:
    """Under the 2023 regime, UTILITY was not a category yet."""
    body = {
        "type": "BODY",
        "text": "Your order {{1}} ships on {{2}} from our warehouse in Lisbon.",
        "example": {"body_text": [["8601", "May 3"]]},
    }
    template = {**SEASONAL, "category": "UTILITY", "components": [body]}
    path = write(tmp_path, "t.json", template)
    _, output = run("lint", "--json", "--at", "2023-03-01", path)
    document = json.loads(output)
    assert "2023 regime" == document["rule_set"]
    assert ["category-not-accepted"] == [
        f["code"] for f in document["files"][0]["templates"][0]["findings"]
    ]
    assert 0 == run("lint", path)[0]


def test_rules_show_short_durations_in_minutes_and_seconds() -> None:
    """Durations under an hour read in minutes or seconds, not fractions of an hour."""
    from wa_outbound.cli._rules import _text_value

    assert ("5 min", "6 s", "24 h", "7 days") == tuple(
        _text_value(d)
        for d in (
            timedelta(minutes=5),
            timedelta(seconds=6),
            timedelta(hours=24),
            timedelta(days=7),
        )
    )


def test_rules_by_name_prefix_and_grep(monkeypatch: pytest.MonkeyPatch) -> None:
    """`rules NAME` prints one rule or every rule it starts; `--grep` filters by meaning too."""
    one = json.loads(run("rules", "service_window", "--json")[1])["rules"]
    assert ["service_window"] == [r["name"] for r in one]
    upgrade = json.loads(run("rules", "limit_upgrade", "--json")[1])["rules"]
    assert {"limit_upgrade_usage_share", "limit_upgrade_lookback", "limit_upgrade_delay"} == {
        r["name"] for r in upgrade
    }
    found = json.loads(run("rules", "--grep", "LIMIT", "--json")[1])["rules"]
    assert "messaging_limit_tiers" in [r["name"] for r in found]
    assert all("limit" in (r["name"] + r["meaning"]).lower() for r in found)
    monkeypatch.setenv("COLUMNS", "240")
    _, text = run("rules", "messaging_limit_tiers", "--at", "2026-11-25")
    assert "250, 2,000, 10,000, 100,000" in text
    assert "No rule matches." in run("rules", "--grep", "no such words")[1]


def test_rules_names_a_misspelt_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """A name that starts no rule is an input error suggesting the closest names."""
    assert 3 == run("rules", "servce_window")[0]
    assert "did you mean service_window" in capsys.readouterr().err


def test_rules_diff_filters_and_refuses_at(capsys: pytest.CaptureFixture[str]) -> None:
    """`--diff` keeps only the names asked for; `--at` with `--diff` is a usage error."""
    document = json.loads(
        run("rules", "limit_upgrade", "--diff", "2023-01-01", "2026-12-01", "--json")[1]
    )
    assert ["limit_upgrade_usage_share", "limit_upgrade_lookback", "limit_upgrade_delay"] == [
        c["name"] for c in document["changes"]
    ]  # the first two: same value, now from Meta's own page (issue #15)
    with pytest.raises(SystemExit) as info:
        run("rules", "--at", "2026-01-01", "--diff", "2023-01-01", "2026-12-01")
    assert 2 == info.value.code
    assert "not allowed with argument" in capsys.readouterr().err


def test_rules_table_takes_the_width_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped output is `COLUMNS` wide (120 without it) and the rule column is never squeezed."""
    monkeypatch.setenv("COLUMNS", "80")
    _, output = run("rules", "--diff", "2023-01-01", "2026-12-01")
    assert 80 == max(len(line) for line in output.splitlines())
    assert "messaging_limit_tiers" in output
    monkeypatch.delenv("COLUMNS")
    _, wide = run("rules", "service_window")
    assert 120 == max(len(line) for line in wide.splitlines())


def test_answer_change_text_names_each_clock() -> None:
    """Allowed sends name what runs out (window, free entry point, permission); blocked, when."""
    from wa_outbound import Conversation, PhoneNumberId, SendKind, WaId, can_send
    from wa_outbound._facts import (
        CallPermissionGranted,
        EntryPoint,
        OutboundMessageSent,
        ReferralReceived,
    )
    from wa_outbound.cli._common import answer_change_text, when_text

    now = datetime(2026, 11, 24, 17, tzinfo=timezone.utc)
    chat = Conversation(business=PhoneNumberId("106540352242922"), recipient=WaId("4915123456789"))
    chat = chat.apply(ReferralReceived(at=now, entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD))
    chat = chat.apply(OutboundMessageSent(at=now))  # the reply opens the free entry point
    chat = chat.apply(CallPermissionGranted(at=now))  # permanent since 2025-11-03
    text = answer_change_text(can_send(chat, SendKind.FREE_FORM, now=now), chat, now)
    assert "the customer service window closes Wed 17:00" in text
    assert "the free entry point ends" in text
    call = answer_change_text(can_send(chat, SendKind.CALL, now=now), chat, now)
    assert call.endswith("the call permission is permanent")
    unknown = answer_change_text(can_send(chat, SendKind.CALL, now=now), None, now)
    assert "the customer service window closes Wed 17:00" == unknown
    assert "3 Jan 2028 09:00" == when_text(datetime(2028, 1, 3, 9, tzinfo=timezone.utc), now)
    assert "1 Dec 17:00" == when_text(datetime(2026, 12, 1, 17, tzinfo=timezone.utc), now)


def test_lint_reads_a_byte_order_mark(tmp_path: object) -> None:
    """A JSON file starting with a UTF-8 byte-order mark is read, as the CSV readers read it."""
    path = tmp_path / "bom.json"  # type: ignore[operator]
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(SEASONAL).encode())
    assert 0 == run("lint", str(path))[0]


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (RecursionError(), 3, "the input is nested too deeply to read"),
        (__import__("csv").Error("field larger than field limit"), 3, "the CSV file cannot"),
        (UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid"), 3, "not UTF-8 text"),
        (IsADirectoryError(21, "Is a directory", "plans"), 3, "cannot read plans: Is a dir"),
        (ZeroDivisionError("oops"), 70, "internal error, please report it: ZeroDivisionError"),
    ],
)
def test_every_failure_is_one_line_with_its_status(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    status: int,
    line: str,
) -> None:
    """Whatever a command raises ends as one line on standard error and a documented status."""
    from wa_outbound.cli import _demo

    def fail(*_: object) -> int:
        raise error

    monkeypatch.setattr(_demo, "run", fail)
    assert status == run("demo")[0]
    err = capsys.readouterr().err
    assert 1 == len(err.splitlines())
    assert line in err


def test_a_closed_standard_output_is_swapped_for_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On standard output itself, a closed pipe leaves nothing for Python to flush at exit."""
    from wa_outbound.cli import _demo

    def broken(*_: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(_demo, "run", broken)
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # no file descriptor to swap
    assert 141 == main(["demo"])
    assert "" == capsys.readouterr().err


def test_text_helpers() -> None:
    """Limits, durations and counts read as words."""
    from datetime import timedelta as td

    from wa_outbound.cli._common import count, duration, limit_text

    assert ("none", "1 day", "90 minutes", "7 days", "6 hours") == (
        limit_text(None),
        count(1, "day"),
        duration(td(minutes=90)),
        duration(td(days=7)),
        duration(td(hours=6)),
    )
