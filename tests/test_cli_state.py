"""`python -m wa_outbound state`: what a SenderState's SQLite file knows, and what may be sent."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from wa_outbound import SendKind, WaId
from wa_outbound.state import SenderState
from wa_outbound.stores import SqliteStore

from . import meta_payloads as p
from .test_cli import run
from .test_state import NOW, SHOP, events_of, inbound

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A store where Anna wrote, stopped marketing, a template was paused and the limit rose."""
    path = tmp_path / "state.sqlite"
    state = SenderState(SqliteStore(path), numbers=[SHOP])
    state.receive(
        events_of(inbound("wamid.1", p.T), p.USER_PREFERENCES, p.TEMPLATE_PAUSED, p.PHONE_QUALITY),
        now=NOW,
    )
    state.record_sent(SHOP.phone_number_id, WaId(p.USER), SendKind.FREE_FORM, now=NOW)
    state.store.close()
    return str(path)


def test_recipient_json(database: str) -> None:
    """`--recipient --json` gives the conversation and an answer for every kind of message."""
    status, output = run(
        "state", database, "--recipient", p.USER, "--json", now=NOW + timedelta(minutes=1)
    )
    assert 0 == status
    report = json.loads(output)
    (chat,) = report["conversations"]
    assert "stopped" == chat["marketing"]
    assert chat["may_send"]["free_form"]["allowed"]
    marketing = chat["may_send"]["marketing_template"]
    assert not marketing["allowed"]
    assert any("stopped marketing" in reason for reason in marketing["reasons"])
    assert {kind.value for kind in SendKind} == set(chat["may_send"])


def test_recipient_text_after_the_window(database: str) -> None:
    """The text report says why free-form is no longer allowed a day later."""
    status, output = run(
        "state", database, "--recipient", "+" + p.USER, now=NOW + timedelta(days=2)
    )
    assert 0 == status
    assert f"Conversation {p.PHONE_ID} → {p.USER}" in output
    assert "free form: no: the customer service window closed" in output
    assert "instead: Send an approved template instead of free-form." in output


def test_template_and_account(database: str) -> None:
    """`--template` and `--account` show the template's status and the number's health."""
    status, output = run(
        "state", database, "--template", "order_update:en_US", "--account", now=NOW
    )
    assert 0 == status
    assert "Template order_update (en_US) of 106540352242922: paused" in output
    assert "messaging limit 10,000" in output
    status, output = run("state", database, "--template", "nope:en", "--json", now=NOW)
    assert [False] == [t["known"] for t in json.loads(output)["templates"]]


def test_everything_by_default(database: str) -> None:
    """With nothing asked, the numbers and their health are shown."""
    status, output = run("state", database, "--json", now=NOW)
    assert 0 == status
    report = json.loads(output)
    assert [p.PHONE_ID] == [n["phone_number_id"] for n in report["numbers"]]
    assert [True] == [a["known"] for a in report["accounts"]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--business", "999"), "--business"),
        (("--template", "no-language"), "NAME:LANGUAGE"),
        (("--recipient", "not a number!"), "bsuid"),
    ],
)
def test_bad_arguments_are_one_line(
    database: str, argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad argument ends with status 1 and one line naming it, never a traceback."""
    status, _ = run("state", database, *argv, now=NOW)
    assert 3 == status
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_missing_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database that does not exist is not created: the command says so."""
    status, _ = run("state", str(tmp_path / "none.sqlite"))
    assert 3 == status
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()
