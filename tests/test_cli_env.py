"""The ``Env`` each command is handed (issue 19: one object for the consoles, the terminal, the environment,
the clock and the folder, as httpie's ``Environment``): a test swaps it, and the command believes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from smtp_server import SmtpTestServer
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.clock import ManualClock
from pressctl.errors import ExitStatus
from pressctl.scaffold import init_workspace

runner = CliRunner()
LIFT = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)  # the sample release's embargo: 10:00 in Hong Kong


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    return root


@pytest.mark.parametrize(("moment", "marked"), [(LIFT - dt.timedelta(minutes=1), True), (LIFT, False)])
def test_a_command_reads_the_time_from_its_env(ws: Path, tmp_path: Path, moment: dt.datetime, marked: bool) -> None:
    """``pressctl render`` marks the release EMBARGOED by the Env's clock, not the machine's."""
    env = Env.for_test(clock=ManualClock(moment))
    done = runner.invoke(
        app, ["render", str(ws / "releases" / "sample.md"), "-o", str(tmp_path / "out"), "--lang", "en"], obj=env
    )
    assert done.exit_code == ExitStatus.OK, done.output
    text = (tmp_path / "out" / "sample.txt").read_text(encoding="utf-8")
    assert ("EMBARGOED" in text) is marked


def test_a_command_finds_its_workspace_from_the_envs_folder(ws: Path) -> None:
    """No ``cd`` in the test: the Env's folder is where ``schedule list`` looks for the workspace."""
    assert runner.invoke(app, ["schedule", "list"], obj=Env.for_test(cwd=ws.parent)).exit_code == ExitStatus.BAD_INPUT
    listed = runner.invoke(app, ["schedule", "list"], obj=Env.for_test(cwd=ws / "releases"))
    assert listed.exit_code == ExitStatus.OK and listed.stdout.strip() == "no jobs", listed.output


def test_a_password_is_asked_only_of_a_person_and_read_from_the_envs_variables(ws: Path) -> None:
    """``smtp check``: the password from the Env's variables; else asked when a person is at the terminal
    (``interactive``), and the answer logs in; never asked of a script (the login is then not tried)."""
    asked: list[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        return "harbour-pw-42"

    with SmtpTestServer(auth=("press", "harbour-pw-42")) as server:
        args = ["smtp", "check", "--smtp", server.url(user="press"), "--config", str(ws / "pressctl.toml")]
        given = runner.invoke(app, args, obj=Env.for_test(environ={"PRESSCTL_SMTP_PASSWORD": "harbour-pw-42"}))
        assert given.exit_code == ExitStatus.OK, given.output
        person = runner.invoke(app, args, obj=Env.for_test(environ={}, interactive=True, answers=answer))
        assert person.exit_code == ExitStatus.OK, person.output
        assert asked == [f"Password for press at {server.host}"]
        script = runner.invoke(app, args, obj=Env.for_test(environ={}, answers=answer))
        assert script.exit_code == ExitStatus.OK and len(asked) == 1, script.output
        assert "not tried: no password" in script.stdout
    assert "harbour-pw-42" not in given.output + person.output + script.output
