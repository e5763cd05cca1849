"""The command line holds against hostile arguments and files: a documented status, no traceback."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wa_outbound.cli import main
from wa_outbound.cli._main import COMMANDS, EXIT_STATUSES, _parser

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)

LONG_RUNNING = frozenset({"emulate"})
"""Commands that serve or wait until stopped: their own tests drive them, not this fuzz."""

DOCUMENTED = frozenset(EXIT_STATUSES) - {70}
"""Every documented status but the internal error's: a fuzzed input must never reach a bug."""

HOSTILE_TEXT = (
    "--5",
    "-1",
    "0",
    "2,000",
    "2 000",
    "TIER_10K",
    "9" * 5000,
    "\uff12\uff10\uff10\uff10",
    "[/bold]",
    "[link=https://evil.example]click[/link]",
    "[bold red]spoof",
    "9999-12-31",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+01:00",
    "2026-11-25",
    "2099-01-01",
    "ut\u0131l\u0131ty",
    "MARKETING",
    "green",
    "",
    " ",
    "-",
    "a:b",
    "x" * 300,
)
"""Values a user might type, or a hostile one would."""


def _files(root: Path) -> list[str]:
    """Write hostile input files under `root` and return their paths (and two that are not)."""
    deep = "[" * 100_000 + "]" * 100_000
    files: dict[str, bytes] = {
        "latin1.csv": "phone,consent\n+4915123456789,jä\n".encode("latin-1"),
        "utf16.csv": "phone\n+4915123456789\n".encode("utf-16"),
        "bom.csv": "\ufeffphone,consent\n+4915123456789,opted_in\n".encode(),
        "markup.csv": b"phone,consent\n[/bold],[link=https://evil.example]x[/link]\n",
        "huge_cell.csv": b"phone\n" + b"1" * 200_000 + b"\n",
        "no_phone.csv": b"name\nx\n",
        "empty.csv": b"",
        "deep.json": deep.encode(),
        "bom.json": b"\xef\xbb\xbf{}",
        "markup.json": json.dumps(
            {"name": "[/bold]", "language": "[link=x]", "category": "MARKETING", "components": []}
        ).encode(),
        "not.sqlite": b"SQLite format 3\x00garbage" * 10,
        "rates.csv": b"market,category,amount,currency\nDE,marketing,--5,USD\n",
    }
    paths = []
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        paths.append(str(path))
    directory = root / "a_directory"
    directory.mkdir()
    return [*paths, str(directory), str(root / "missing.csv")]


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The hostile files, written once for the module."""
    return _files(tmp_path_factory.mktemp("hostile"))


def _options(name: str) -> list[tuple[str, bool]]:
    """Every option of command `name`, with whether it takes a value."""
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [
        (action.option_strings[-1], action.nargs != 0)
        for action in sub.choices[name]._actions
        if action.option_strings and action.option_strings[0] not in {"-h", "--help"}
    ]


@st.composite
def command_lines(draw: st.DrawFn, files: list[str]) -> list[str]:
    """A command, some of its options (with hostile values) and hostile positionals."""
    name = draw(st.sampled_from(sorted(set(COMMANDS) - LONG_RUNNING)))
    values = st.sampled_from([*HOSTILE_TEXT, *files])
    argv = [name]
    argv += draw(st.lists(st.sampled_from(files), max_size=2))
    for option, takes_value in draw(st.lists(st.sampled_from(_options(name)), max_size=4)):
        argv.append(option)
        if takes_value:
            argv += draw(st.lists(values, min_size=1, max_size=2))
    return argv


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    try:
        status = main(argv, clock=lambda: NOW, out=out)
    except SystemExit as exit_:  # argparse: usage errors and --help
        status = exit_.code if isinstance(exit_.code, int) else 2
    return status, out.getvalue()


def _check(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _run(argv)
    err = capsys.readouterr().err
    assert status in DOCUMENTED, (argv, err)
    assert "Traceback" not in output + err
    if status == 3:
        errors = [line for line in err.splitlines() if line.startswith("wa-outbound: error:")]
        assert 1 == len(errors), err
    assert "evil.example" not in output or "[link=" in output  # shown, never made a link


@pytest.mark.fuzz
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_command_holds_against_hostile_input(
    data: st.DataObject, hostile_files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Any command with generated options and hostile files exits with a documented status."""
    _check(data.draw(command_lines(hostile_files)), capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "{latin1.csv}", "--template-kind", "utility"],
        ["plan", "{utf16.csv}", "--template-kind", "utility"],
        ["plan", "{huge_cell.csv}", "--template-kind", "utility"],
        ["plan", "{a_directory}", "--template-kind", "utility"],
        ["plan", "{missing.csv}", "--template-kind", "utility"],
        ["plan", "{markup.csv}", "--template-kind", "utility"],
        ["plan", "{bom.csv}", "--template-kind", "utility", "--limit=--5"],
        ["lint", "{deep.json}"],
        ["lint", "{markup.json}"],
        ["lint", "{a_directory}", "{latin1.csv}"],
        ["limits", "--limit", "9" * 5000],
        ["limits", "--used", "-4", "--quality", "ut\u0131l\u0131ty"],
        ["rates", "--rates", "{rates.csv}"],
        ["rates", "--market", "[link=https://evil.example]x[/link]"],
        ["state", "{not.sqlite}", "--recipient", "[/bold]"],
        ["state", "{a_directory}"],
        ["rules", "--at", "9999-12-31T23:59:59-12:00"],
        ["rules", "--at", "0001-01-01T00:00:00+01:00"],
    ],
)
def test_known_hostile_inputs_end_in_one_line(
    argv: list[str], hostile_files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each input of the issue's list ends with a documented status, never a traceback."""
    by_name = {path.rsplit("/", 1)[-1]: path for path in hostile_files}
    _check([by_name.get(arg.strip("{}"), arg) for arg in argv], capsys)


@pytest.mark.parametrize("argv", [["rules", "--json"], ["limits", "--json"]])
def test_a_closed_pipe_ends_quietly(argv: list[str]) -> None:
    """`wa-outbound rules | head -1`: the reader is gone; no traceback, status 141."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before the first byte: every write fails
    with subprocess.Popen(
        [sys.executable, "-m", "wa_outbound", *argv, "--at", "2026-11-25"],
        stdout=write_end,
        stderr=subprocess.PIPE,
    ) as process:
        os.close(write_end)
        _, err = process.communicate()
    assert (141, b"") == (process.returncode, err)


def test_user_text_is_never_markup(tmp_path: Path) -> None:
    """A template named `[/bold]` or `[link=...]` prints as typed, and makes no link."""
    path = tmp_path / "t.json"
    name = "[link=https://evil.example]click[/link]"
    template = {"name": name, "language": "en", "category": "UTILITY", "components": []}
    path.write_text(json.dumps(template))
    _, output = _run(["lint", str(path)])
    assert name in output
